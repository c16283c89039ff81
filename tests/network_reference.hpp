// An independent reference of the digits MLP loss for the network tests: the textbook per-sample
// loop, templated on its scalar so the library's dual numbers give exact gradients and HVPs
// (no GEMMs, no R-operator, nothing shared with examples/network/mlp.hpp but the documented
// parameter layout: per layer W row-major (out × in), then b).
#pragma once

#include <cmath>
#include <vector>

#include <Eigen/Core>
#include <shiftcurv/core/dual.hpp>
#include <shiftcurv/core/types.hpp>

namespace test_support {

struct reference_mlp {
  std::vector<long> widths;
  shiftcurv::matrix X;       // in × N
  std::vector<int> y;
  double alpha = 0;

  long num_parameters() const {
    long p = 0;
    for (std::size_t l = 0; l + 1 < widths.size(); ++l) p += widths[l + 1] * (widths[l] + 1);
    return p;
  }
  /// ℓ_i(θ) (no ℓ2 term).
  template <class S>
  S sample_loss(const Eigen::Matrix<S, Eigen::Dynamic, 1>& th, long i) const {
    using std::exp;
    using std::log;
    using std::tanh;
    std::vector<S> a(static_cast<std::size_t>(widths[0]));
    for (long j = 0; j < widths[0]; ++j) a[static_cast<std::size_t>(j)] = S(X(j, i));
    long off = 0;
    const std::size_t L = widths.size() - 1;
    for (std::size_t l = 0; l < L; ++l) {
      const long in = widths[l], out = widths[l + 1];
      std::vector<S> z(static_cast<std::size_t>(out));
      for (long o = 0; o < out; ++o) {
        S s = th(off + in * out + o);  // bias
        for (long j = 0; j < in; ++j) s = s + th(off + o * in + j) * a[static_cast<std::size_t>(j)];
        z[static_cast<std::size_t>(o)] = (l + 1 < L) ? S(tanh(s)) : s;
      }
      off += out * (in + 1);
      a = std::move(z);
    }
    // cross-entropy: log Σ exp(z_k) − z_y (logits are O(1) here: no max shift needed)
    S sum = S(0);
    for (const S& zk : a) sum = sum + exp(zk);
    return log(sum) - a[static_cast<std::size_t>(y[static_cast<std::size_t>(i)])];
  }
  /// U(θ) = mean ℓ_i + (α/2)|θ|², a scalar-templated loss functor.
  template <class S>
  S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& th) const {
    S s = S(0);
    for (long i = 0; i < X.cols(); ++i) s = s + sample_loss(th, i);
    S r = S(0);
    for (long k = 0; k < th.size(); ++k) r = r + th(k) * th(k);
    return s / double(X.cols()) + (0.5 * alpha) * r;
  }
};

/// ∇²U of a batched loss by central differences of its mean gradient, symmetrized
/// (h = 1e-5: error ≈ h²|∇⁴U| + ε|∇U|/h ≈ 1e-10 relative); the dense reference for HVP paths.
template <class L>
shiftcurv::matrix mean_hessian_fd(const L& U, const shiftcurv::vector& theta) {
  const shiftcurv::index p = theta.size();
  shiftcurv::matrix H(p, p);
  const double h = 1e-5;
  for (shiftcurv::index j = 0; j < p; ++j) {
    shiftcurv::vector a = theta, b = theta;
    a(j) += h;
    b(j) -= h;
    H.col(j) = (U.mean_gradient(a) - U.mean_gradient(b)) / (2 * h);
  }
  return 0.5 * (H + H.transpose());
}

/// The population covariance (1/N) Σ (g_i − ḡ)(g_i − ḡ)ᵀ of the rows g_iᵀ of G, formed densely.
inline shiftcurv::matrix population_covariance(const shiftcurv::matrix& G) {
  const shiftcurv::matrix C = G.rowwise() - G.colwise().mean();
  return C.transpose() * C / static_cast<double>(G.rows());
}

}  // namespace test_support
