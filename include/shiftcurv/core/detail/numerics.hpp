// Internal: small numerical kernels shared across modules (one copy each).
//  - compensated_sum: Neumaier's variant of Kahan summation (Neumaier 1974): the running
//    compensation also catches the case |x| > |sum|, so the error of the sum is ≈ 2ε·Σ|x_i|
//    independently of the number of terms (plain summation: ≈ n·ε·Σ|x_i|).
#pragma once

#include <cmath>

#include <Eigen/Core>

namespace shiftcurv::detail {

/// Neumaier-compensated running sum: add(x)…, then value().
struct compensated_sum {
  double sum = 0, comp = 0;
  void add(double x) noexcept {
    const double t = sum + x;
    comp += std::abs(sum) >= std::abs(x) ? (sum - t) + x : (x - t) + sum;
    sum = t;
  }
  double value() const noexcept { return sum + comp; }
};

/// Σ x_i of an Eigen vector/array with Neumaier compensation.
template <class Derived>
double accurate_sum(const Eigen::DenseBase<Derived>& x) {
  compensated_sum s;
  for (Eigen::Index i = 0; i < x.size(); ++i) s.add(static_cast<double>(x.derived().coeff(i)));
  return s.value();
}

}  // namespace shiftcurv::detail
