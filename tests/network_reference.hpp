// An independent reference of the digits MLP loss for the network tests: the textbook per-sample
// loop, templated on its scalar so the library's dual numbers give exact gradients and HVPs
// (no GEMMs, no R-operator, nothing shared with examples/network/mlp.hpp but the documented
// parameter layout: per layer W row-major (out × in), then b).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Dense>
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

/// A minimum of a batched loss by Barzilai–Borwein gradient descent from θ (updated); returns
/// ‖∇U‖ at the end.
template <class L>
double minimize_bb(const L& U, shiftcurv::vector& th, double tol = 1e-9, int max_iter = 50000) {
  shiftcurv::vector g = U.mean_gradient(th);
  double step = 0.1;
  for (int it = 0; it < max_iter && g.norm() > tol; ++it) {
    const shiftcurv::vector th_new = th - step * g;
    const shiftcurv::vector g_new = U.mean_gradient(th_new);
    const shiftcurv::vector ds = th_new - th, dg = g_new - g;
    const double sy = ds.dot(dg);
    step = sy > 0 ? std::min(ds.squaredNorm() / sy, 10.0) : 0.1;
    th = th_new;
    g = g_new;
  }
  return g.norm();
}

/// Σ of HΣ + ΣH − c·HΣH = T·D in H's dense eigenbasis (H symmetric, h_i + h_j − c h_i h_j ≠ 0):
/// c = λ is the stationary covariance of the linear SGD recursion δ ← (I − λH)δ − λξ with
/// Cov ξ = (T/λ)D exactly (the discrete Lyapunov equation Σ = KΣK + λT·D, K = I − λH); c = 0
/// the SDE's (continuous Lyapunov).
inline shiftcurv::matrix lyapunov_dense(const shiftcurv::matrix& H, const shiftcurv::matrix& D, double T, double c) {
  Eigen::SelfAdjointEigenSolver<shiftcurv::matrix> es(H);
  const shiftcurv::matrix& V = es.eigenvectors();
  const shiftcurv::vector& h = es.eigenvalues();
  shiftcurv::matrix S = V.transpose() * D * V;
  for (shiftcurv::index i = 0; i < h.size(); ++i)
    for (shiftcurv::index j = 0; j < h.size(); ++j) S(i, j) *= T / (h(i) + h(j) - c * h(i) * h(j));
  return V * S * V.transpose();
}

/// The exact covariance of the mean θ̄ of n records taken every m steps of the stationary linear
/// recursion δ ← Kδ + ξ, K = I − λH (H symmetric, |1 − λh_i| < 1), stationary covariance Σ:
/// Cov(δ_j, δ_j+l) = K^{ml}Σ, so in H's eigenbasis (κ_i = 1 − λh_i, S = VᵀΣV)
///   Cov(θ̄)_ij = S_ij (g(κ_i^m) + g(κ_j^m))/2,  g(r) = (1/n²)[n + 2 Σ_{l=1}^{n−1} (n − l) r^l].
/// Second moments only: exact whatever the law of ξ (minibatch noise included).
inline shiftcurv::matrix record_mean_covariance(const shiftcurv::matrix& H, const shiftcurv::matrix& Sigma, double lr,
                                                shiftcurv::index m, shiftcurv::index n) {
  Eigen::SelfAdjointEigenSolver<shiftcurv::matrix> es(H);
  const shiftcurv::matrix& V = es.eigenvectors();
  const shiftcurv::index p = H.rows();
  shiftcurv::vector g(p);
  const double nn = static_cast<double>(n);
  for (shiftcurv::index i = 0; i < p; ++i) {
    const double r = std::pow(1 - lr * es.eigenvalues()(i), static_cast<double>(m));
    double sum = nn, rl = 1;
    for (shiftcurv::index l = 1; l < n; ++l) {
      rl *= r;
      sum += 2 * (nn - static_cast<double>(l)) * rl;
    }
    g(i) = sum / (nn * nn);
  }
  shiftcurv::matrix S = V.transpose() * Sigma * V;
  for (shiftcurv::index i = 0; i < p; ++i)
    for (shiftcurv::index j = 0; j < p; ++j) S(i, j) *= 0.5 * (g(i) + g(j));
  return V * S * V.transpose();
}

/// The quadratic model of a per-sample loss at θ0: U_i(θ) = u_i + g_iᵀd + ½ dᵀA d, d = θ − θ0,
/// one Hessian A for every sample (rows g_iᵀ of G: the loss's per-sample gradients at θ0).  Its
/// per-sample gradients g_i + A d differ from their mean by the constant g_i − ḡ, so SGD on it
/// (eq 13's α, β; B draws with replacement) is the LINEAR recursion
///   d ← (I − λ(A + αI)) d − λ(ḡ + αθ0) − λ(ḡ_B − ḡ) + √(λT) β w,
/// whose stationary mean solves (A + αI) d = −(ḡ + αθ0) and whose stationary covariance is
/// lyapunov_dense(A + αI, D + β²I, T, λ), D the population covariance of G, both exactly: no
/// nonlinearity, only Monte Carlo error.  Batched members keep a step at one A·d product.
struct quadratic_model {
  shiftcurv::matrix A, G;  // p × p;  N × p (row i = g_iᵀ)
  shiftcurv::vector u, theta0, gbar;
  bool diagonal = false;   // A is diagonal (rotated(): H's eigenbasis): products cost p, not p²
  shiftcurv::vector times_A(const shiftcurv::vector& v) const {
    return diagonal ? shiftcurv::vector(A.diagonal().cwiseProduct(v)) : shiftcurv::vector(A * v);
  }
  shiftcurv::index num_samples() const { return G.rows(); }
  shiftcurv::index dimension() const { return A.rows(); }
  double value(const shiftcurv::vector& th, shiftcurv::index i) const {
    const shiftcurv::vector d = th - theta0;
    return u(i) + G.row(i).dot(d) + 0.5 * d.dot(times_A(d));
  }
  void gradient(const shiftcurv::vector& th, shiftcurv::index i, shiftcurv::vector& g) const {
    g = G.row(i).transpose() + times_A(th - theta0);
  }
  void hessian(const shiftcurv::vector&, shiftcurv::index, shiftcurv::matrix& out) const { out = A; }
  double mean_value(const shiftcurv::vector& th) const {
    const shiftcurv::vector d = th - theta0;
    return u.mean() + gbar.dot(d) + 0.5 * d.dot(times_A(d));
  }
  shiftcurv::vector mean_gradient(const shiftcurv::vector& th) const { return gbar + times_A(th - theta0); }
  shiftcurv::vector mean_hvp(const shiftcurv::vector&, const shiftcurv::vector& v) const { return times_A(v); }
  shiftcurv::matrix sample_gradients(const shiftcurv::vector& th) const {
    return G.rowwise() + times_A(th - theta0).transpose();
  }
  /// The same model in the coordinates θ' = Wᵀθ (W orthogonal): A' = WᵀAW (diagonal when W
  /// holds A's eigenvectors and `diag` is set), G' = GW, θ0' = Wᵀθ0.  SGD without β noise
  /// (β = 0) on the rotated model is the rotated recursion with the SAME minibatches.
  quadratic_model rotated(const shiftcurv::matrix& W, bool diag) const {
    quadratic_model q;
    q.A = W.transpose() * A * W;
    if (diag) q.A = shiftcurv::matrix(q.A.diagonal().asDiagonal());
    q.diagonal = diag;
    q.G = G * W;
    q.u = u;
    q.theta0 = W.transpose() * theta0;
    q.gbar = W.transpose() * gbar;
    return q;
  }
  void minibatch_gradient(const shiftcurv::vector& th, const std::vector<shiftcurv::index>& rows,
                          shiftcurv::vector& g) const {
    g = times_A(th - theta0);
    shiftcurv::vector m = shiftcurv::vector::Zero(g.size());
    for (shiftcurv::index i : rows) m += G.row(i).transpose();
    g += m / static_cast<double>(rows.size());
  }
};

/// The quadratic model of U at θ0 with Hessian A: u_i = U.value(θ0, i), G = U.sample_gradients(θ0).
template <class L>
quadratic_model quadratic_model_of(const L& U, const shiftcurv::vector& theta0, const shiftcurv::matrix& A) {
  quadratic_model q;
  q.A = A;
  q.G = U.sample_gradients(theta0);
  q.u.resize(q.G.rows());
  for (shiftcurv::index i = 0; i < q.G.rows(); ++i) q.u(i) = U.value(theta0, i);
  q.theta0 = theta0;
  q.gbar = q.G.colwise().mean().transpose();
  return q;
}

/// ∇·D(θ) (D the population covariance of U's per-sample gradients), component j = Σ_k ∂_k D_jk,
/// by central differences of column k of D along e_k (h = 1e-5: ≈ 1e-9 relative).
template <class L>
shiftcurv::vector covariance_divergence_fd(const L& U, const shiftcurv::vector& theta) {
  const shiftcurv::index p = theta.size();
  const double h = 1e-5;
  shiftcurv::vector div = shiftcurv::vector::Zero(p);
  const auto column = [&](const shiftcurv::vector& th, shiftcurv::index k) {
    const shiftcurv::matrix G = U.sample_gradients(th);
    const shiftcurv::matrix C = G.rowwise() - G.colwise().mean();
    return shiftcurv::vector(C.transpose() * C.col(k) / static_cast<double>(G.rows()));
  };
  for (shiftcurv::index k = 0; k < p; ++k) {
    shiftcurv::vector a = theta, b = theta;
    a(k) += h;
    b(k) -= h;
    div += (column(a, k) - column(b, k)) / (2 * h);
  }
  return div;
}

}  // namespace test_support
