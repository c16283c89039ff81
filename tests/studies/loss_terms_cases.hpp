// The quadratic per-sample losses that loss_terms.cpp and loss_terms_slow.cpp share: per-sample
// gradients are the mean gradient plus fixed centred Gaussian draws z_i (scaled by 1 + κ z_iᵀδ),
// so SGD's stationary covariance, ∇·D and the first-order bias have closed forms.
#pragma once


#include <Eigen/Dense>

#include "shiftcurv/core/types.hpp"
#include "shiftcurv/dynamics/sgd.hpp"
#include "random_matrices.hpp"

namespace loss_terms_cases {
namespace sc = shiftcurv;

// U(x_i, θ) = ½ δᵀHδ + z_iᵀδ + ½ κ (z_iᵀδ)²,  δ = θ − m,  Σ_i z_i = 0.
struct tlt_train {
  sc::matrix H, Z;
  sc::vector m;
  double kappa = 0;
  sc::index num_samples() const { return Z.rows(); }
  sc::index dimension() const { return H.rows(); }
  double value(const sc::vector& th, sc::index i) const {
    const sc::vector d = th - m;
    const double u = Z.row(i).dot(d);
    return 0.5 * d.dot(H * d) + u + 0.5 * kappa * u * u;
  }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const {
    const sc::vector d = th - m;
    g = H * d + Z.row(i).transpose() * (1 + kappa * Z.row(i).dot(d));
  }
  void hessian(const sc::vector&, sc::index i, sc::matrix& out) const {
    out = H + kappa * Z.row(i).transpose() * Z.row(i);
  }
};
// U_test(x_i, θ) = u0 + ½ δᵀCδ + w_iᵀδ,  δ = θ − m',  Σ_i w_i = 0.
struct tlt_test {
  sc::matrix C, W;
  sc::vector m;
  double u0 = 0;
  sc::index num_samples() const { return W.rows(); }
  sc::index dimension() const { return C.rows(); }
  double value(const sc::vector& th, sc::index i) const {
    const sc::vector d = th - m;
    return u0 + 0.5 * d.dot(C * d) + W.row(i).dot(d);
  }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const {
    g = C * (th - m) + W.row(i).transpose();
  }
  void hessian(const sc::vector&, sc::index, sc::matrix& out) const { out = C; }
};

inline sc::matrix tlt_spd(sc::index p, double lo, double hi, unsigned seed) {
  test_support::fixture_rng rng(seed);
  return test_support::spd(p, lo, hi, rng);
}
inline sc::matrix tlt_centred_normals(sc::index n, sc::index p, double scale, unsigned seed) {
  test_support::fixture_rng rng(seed);
  sc::matrix Z(n, p);
  for (sc::index i = 0; i < n; ++i)
    for (sc::index j = 0; j < p; ++j) Z(i, j) = scale * rng.normal();
  Z.rowwise() -= Z.colwise().mean();
  return Z;
}

struct tlt_problem {
  sc::index p = 4;
  tlt_train tr;
  tlt_test te;
  sc::sgd_options o;
  sc::vector theta_tr, theta_test;
  explicit tlt_problem(double kappa = 0, double alpha = 0.2) {
    tr.H = tlt_spd(p, 0.5, 3.0, 11);
    tr.Z = tlt_centred_normals(40, p, 0.7, 12);
    tr.m = sc::vector::LinSpaced(p, -0.5, 0.5);
    tr.kappa = kappa;
    te.C = tlt_spd(p, 0.3, 2.0, 13);
    te.W = tlt_centred_normals(3, p, 0.5, 14);  // N_test = 3 < p: eq 12 projects
    te.m = tr.m + sc::vector::LinSpaced(p, 0.1, -0.2);
    te.u0 = 0.25;
    o.learning_rate = 0.1;
    o.batch_size = 4;  // T = 0.025
    o.alpha = alpha;
    o.beta = 0.3;
    // the minimum of U_tr + (α/2)|θ|² (U_tr = ½δᵀ(H + κD0)δ, D0 = ZᵀZ/N, since Σ z_i = 0)
    const sc::matrix Htr = tr.H + kappa * D0();
    theta_tr = (Htr + alpha * sc::matrix::Identity(p, p)).ldlt().solve(Htr * tr.m);
    theta_test = te.m;
  }
  sc::matrix D0() const { return tr.Z.transpose() * tr.Z / static_cast<double>(tr.Z.rows()); }
  /// Σ of HΣ + ΣH − c·HΣH = T(D + β²I) (c = λ: the SGD recursion; c = 0: the SDE).
  sc::matrix covariance(double c, const sc::matrix& H) const {
    Eigen::SelfAdjointEigenSolver<sc::matrix> es(H);
    const sc::matrix& V = es.eigenvectors();
    const sc::vector& h = es.eigenvalues();
    const sc::matrix E = V.transpose() * (D0() + o.beta * o.beta * sc::matrix::Identity(p, p)) * V;
    sc::matrix S(p, p);
    for (sc::index i = 0; i < p; ++i)
      for (sc::index j = 0; j < p; ++j) S(i, j) = o.temperature() * E(i, j) / (h(i) + h(j) - c * h(i) * h(j));
    return V * S * V.transpose();
  }
  /// ∇·D(θ) in closed form: c_i = g_i − ḡ = z_i + M_i δ with M_i = κ(z_i z_iᵀ − D0) (Σ z_i = 0),
  /// so ∂_j D_aj = (1/N) Σ_i [(M_i)_aj (c_i)_j + (c_i)_a (M_i)_jj] and
  /// ∇·D = (1/N) Σ_i [M_i c_i + tr(M_i) c_i]  (affine in δ).
  sc::vector divergence(const sc::vector& theta) const {
    const sc::vector d = theta - tr.m;
    const sc::matrix D = D0();
    sc::vector out = sc::vector::Zero(p);
    for (sc::index i = 0; i < tr.Z.rows(); ++i) {
      const sc::vector z = tr.Z.row(i).transpose();
      const sc::matrix M = tr.kappa * (z * z.transpose() - D);
      const sc::vector c = z + M * d;
      out += M * c + M.trace() * c;
    }
    return out / static_cast<double>(tr.Z.rows());
  }
  /// D(θ) formed densely from the per-sample gradients (the definition, brute force).
  sc::matrix sample_covariance(const sc::vector& theta) const {
    const sc::index N = tr.Z.rows();
    sc::matrix G(N, p);
    for (sc::index i = 0; i < N; ++i) {
      sc::vector g;
      tr.gradient(theta, i, g);
      G.row(i) = g.transpose();
    }
    const sc::matrix C = G.rowwise() - G.colwise().mean();
    return C.transpose() * C / static_cast<double>(N);
  }
};
}  // namespace loss_terms_cases
