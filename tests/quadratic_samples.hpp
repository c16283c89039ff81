// A per-sample quadratic with batched members (shared by the line-protocol tests of
// tests/studies and the network-experiment tests of tests/network).
#pragma once

#include <cstdint>
#include <vector>

#include <shiftcurv/core/types.hpp>

namespace test_support {

/// U(x_i, θ) = ½(θ − x_i)ᵀA(θ − x_i): U = ½(θ − x̄)ᵀA(θ − x̄) + const, minimum x̄, Hessian A.
struct quadratic_samples {
  shiftcurv::matrix A;
  shiftcurv::matrix X;  // p × N, sample i = column i
  shiftcurv::index num_samples() const { return X.cols(); }
  shiftcurv::index dimension() const { return X.rows(); }
  double value(const shiftcurv::vector& th, shiftcurv::index i) const {
    const shiftcurv::vector d = th - X.col(i);
    return 0.5 * d.dot(A * d);
  }
  void gradient(const shiftcurv::vector& th, shiftcurv::index i, shiftcurv::vector& g) const { g = A * (th - X.col(i)); }
  double mean_value(const shiftcurv::vector& th) const {
    double s = 0;
    for (shiftcurv::index i = 0; i < X.cols(); ++i) s += value(th, i);
    return s / static_cast<double>(X.cols());
  }
  shiftcurv::vector mean_gradient(const shiftcurv::vector& th) const { return A * (th - X.rowwise().mean()); }
  shiftcurv::vector mean_hvp(const shiftcurv::vector&, const shiftcurv::vector& v) const { return A * v; }
  void minibatch_gradient(const shiftcurv::vector& th, const std::vector<shiftcurv::index>& rows, shiftcurv::vector& g) const {
    shiftcurv::vector m = shiftcurv::vector::Zero(th.size());
    for (shiftcurv::index i : rows) m += X.col(i);
    g = A * (th - m / static_cast<double>(rows.size()));
  }
  /// U at the minimum and anywhere, in closed form: ½(θ − x̄)ᵀA(θ − x̄) + (1/N)Σ½(x̄ − x_i)ᵀA(x̄ − x_i).
  double closed_form(const shiftcurv::vector& th) const {
    const shiftcurv::vector xbar = X.rowwise().mean(), d = th - xbar;
    double c = 0;
    for (shiftcurv::index i = 0; i < X.cols(); ++i) {
      const shiftcurv::vector e = xbar - X.col(i);
      c += 0.5 * e.dot(A * e);
    }
    return 0.5 * d.dot(A * d) + c / static_cast<double>(X.cols());
  }
};

/// N = n samples in R³: x_i uniform in [−½, ½]³ (a 64-bit LCG from `seed`, portable) plus
/// offset·(1, 2, 3); Hessian A.
inline quadratic_samples make_quadratic(const shiftcurv::matrix& A, int n, double offset, unsigned seed) {
  quadratic_samples q;
  q.A = A;
  q.X.resize(3, n);
  std::uint64_t s = seed;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < 3; ++j) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      q.X(j, i) = static_cast<double>(s >> 11) * 0x1.0p-53 - 0.5 + offset * (j + 1);
    }
  return q;
}

}  // namespace test_support
