// Internal: running mean and variance (Welford), mergeable (Chan, Golub & LeVeque 1979).
#pragma once

#include <algorithm>
#include <cmath>

namespace shiftcurv::detail {

struct running_moments {
  long n = 0;
  double mean = 0, m2 = 0;
  void add(double x) {
    ++n;
    const double d = x - mean;
    mean += d / static_cast<double>(n);
    m2 += d * (x - mean);
  }
  void merge(const running_moments& o) {
    if (o.n == 0) return;
    if (n == 0) { *this = o; return; }
    const double na = static_cast<double>(n), nb = static_cast<double>(o.n), nt = na + nb;
    const double d = o.mean - mean;
    mean += d * nb / nt;
    m2 += o.m2 + d * d * na * nb / nt;
    n += o.n;
  }
  template <class Archive>
  void serialize(Archive& ar) { ar(n, mean, m2); }
  double variance() const { return n > 1 ? std::max(0.0, m2 / static_cast<double>(n - 1)) : 0.0; }
  double standard_error() const { return n > 0 ? std::sqrt(variance() / static_cast<double>(n)) : 0.0; }
};

}  // namespace shiftcurv::detail
