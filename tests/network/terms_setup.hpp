// The two digits-MLP problems of tests/network/terms.cpp and terms_slow.cpp (one definition for
// both executables): the loss, its minimum, and the dense references formed here only — the
// Hessians by central differences of the mean gradient, D from the per-sample gradient matrix,
// the Lyapunov equations solved in the dense eigenbasis (network_reference.hpp).
#pragma once

#include <cmath>
#include <vector>

#include <Eigen/Dense>

#include "network/mlp.hpp"
#include "network_reference.hpp"
#include "shiftcurv/dynamics/sgd.hpp"
#include "shiftcurv/studies/loss_terms.hpp"

namespace terms_setup {

namespace sc = shiftcurv;
namespace net = shiftcurv_examples::network;

inline net::labeled_data rows(const net::labeled_data& d, int count, int stride, int offset) {
  std::vector<sc::index> r;
  for (int k = 0; k < count; ++k) r.push_back(offset + stride * k);
  return d.subset(r);
}

/// Appendix D.1's problem: 64-4-10 (p = 310) on N = 40 digits, eq 13's α = 0.5, β = 0.03.
/// U (α = 0) is what SGD samples, Ua = U + (α/2)|θ|² its minimum θ*; H = ∇²Ua(θ*) (dense, FD),
/// G the per-sample gradients of U at θ*, D = their covariance + β²I, S the discrete Lyapunov Σ
/// of the linearized recursion; Q the gradients' span, Pp the projector on its complement.
struct flat_problem {
  net::mlp_shape shape{{64, 4, 10}};
  net::labeled_data data;
  net::mlp_loss<double> U, Ua;
  sc::sgd_options o;
  sc::vector theta;
  double gradient_norm = 0;
  sc::index p = 0, N = 40;
  sc::matrix H, G, D, S, Q, Pp;
  double ref_perp = 0, ref_span = 0;
  explicit flat_problem(const net::labeled_data& train)
      : data(rows(train, 40, 25, 1)), U(shape, data, 0.0), Ua(shape, data, 0.5) {
    // α = 0.5: at α = 0.1 the Hessian of U_tr + (α/2)|θ|² at θ* has eigenvalues near 0.008 (the
    // data loss curves down by almost α there), whose slow, large fluctuations need far longer runs
    o.learning_rate = 0.05;
    o.batch_size = 4;
    o.alpha = 0.5;
    o.beta = 0.03;
    theta = net::initial_parameters(shape, 5);
    gradient_norm = test_support::minimize_bb(Ua, theta);
    p = theta.size();
    H = test_support::mean_hessian_fd(Ua, theta);
    G = U.sample_gradients(theta);
    D = test_support::population_covariance(G) + o.beta * o.beta * sc::matrix::Identity(p, p);
    S = test_support::lyapunov_dense(H, D, o.temperature(), o.learning_rate);
    Eigen::HouseholderQR<sc::matrix> qr(G.transpose());
    Q = qr.householderQ() * sc::matrix::Identity(p, N);
    Pp = sc::matrix::Identity(p, p) - Q * Q.transpose();
    ref_perp = (Pp * S * Pp).trace() / static_cast<double>(p - N);
    ref_span = (Q.transpose() * S * Q).trace() / static_cast<double>(N);
  }
  /// The quadratic model of U at θ* (Hessian H − αI: SGD adds α): the linear recursion whose
  /// stationary covariance is S exactly.
  test_support::quadratic_model quadratic() const {
    return test_support::quadratic_model_of(U, theta, H - o.alpha * sc::matrix::Identity(p, p));
  }
};

/// Eq 4's problem: 64-3-10 (p = 235), l2 (default 0.05) inside both losses, N_tr = 60, N_test = 40;
/// θ_tr, θ_test their minima, λ = 0.05, B = 4.  H, C the dense FD Hessians at θ_tr, θ_test, D the
/// per-sample gradient covariance at θ_tr; k in 8…30 with the widest relative gap of H below it.
struct eq4_problem {
  net::mlp_shape shape{{64, 3, 10}};
  net::mlp_loss<double> Utr, Ute;
  sc::vector th_tr, th_te;
  double train_gradient_norm = 0, test_gradient_norm = 0;
  sc::index p = 0, k = 8;
  double best = 0;  // the relative gap below the top k
  sc::sgd_options o;
  sc::matrix H, C, D, V;  // V: H's dense top-k eigenvectors
  sc::vector h;           // H's eigenvalues, ascending
  eq4_problem(const net::labeled_data& train, const net::labeled_data& test, double l2 = 0.05)
      : Utr(shape, rows(train, 60, 16, 0), l2), Ute(shape, rows(test, 40, 19, 3), l2) {
    th_tr = net::initial_parameters(shape, 9);
    train_gradient_norm = test_support::minimize_bb(Utr, th_tr);
    th_te = th_tr;
    test_gradient_norm = test_support::minimize_bb(Ute, th_te);
    p = th_tr.size();
    o.learning_rate = 0.05;
    o.batch_size = 4;
    H = test_support::mean_hessian_fd(Utr, th_tr);
    C = test_support::mean_hessian_fd(Ute, th_te);
    D = test_support::population_covariance(Utr.sample_gradients(th_tr));
    Eigen::SelfAdjointEigenSolver<sc::matrix> es(H);
    h = es.eigenvalues();
    for (sc::index j = 8; j <= 30; ++j) {
      const double gap = (h(p - j) - h(p - j - 1)) / h(p - 1);
      if (gap > best) best = gap, k = j;
    }
    V = es.eigenvectors().rightCols(k);
  }
  double temperature() const { return o.temperature(); }
  /// ½tr(CΣ) with Σ the linearized recursion's exact (discrete Lyapunov) covariance.
  double discrete_covariance_curvature() const {
    return 0.5 * (C * test_support::lyapunov_dense(H, D, temperature(), o.learning_rate)).trace();
  }
};

/// test_loss_terms options of the replica runs: burn-in 4τ (τ = 1/(λ h_min) the slowest mode's
/// relaxation time in steps: e^{-8} of its variance's transient left), then 400 records every
/// 10 steps; k = 1 (the prediction is not what these runs check), no train loss.
inline sc::test_loss_terms_options replica_run(const eq4_problem& P) {
  const double tau = 1 / (P.o.learning_rate * P.h(0));
  sc::test_loss_terms_options opt;
  opt.k = 1;
  opt.burn_in = static_cast<sc::index>(std::ceil(4 * tau));
  opt.samples = 400;
  opt.thinning = 10;
  opt.track_train_loss = false;
  return opt;
}

/// The quadratic models of eq4_problem's U_tr at θ_tr (Hessian H) and U_test at θ_test (Hessian
/// C), rotated into H's eigenbasis W (H diagonal there: an SGD step costs O(pB)); m the exact
/// stationary mean (original coordinates), a the test model's gradient at m, loss_exact the
/// exact stationary mean test loss ū + w̄ᵀ(m − θ_test) + ½(m − θ_test)ᵀC(m − θ_test) + ½tr(CΣ).
struct eq4_quadratic_models {
  test_support::quadratic_model train, test;
  sc::matrix W;
  sc::vector theta_tr, theta_te, m, a;
  double loss_exact = 0;
};
inline eq4_quadratic_models eq4_models(const eq4_problem& P) {
  eq4_quadratic_models M;
  Eigen::SelfAdjointEigenSolver<sc::matrix> es(P.H);
  M.W = es.eigenvectors();
  const auto qtr = test_support::quadratic_model_of(P.Utr, P.th_tr, P.H);
  const auto qte = test_support::quadratic_model_of(P.Ute, P.th_te, P.C);
  M.train = qtr.rotated(M.W, true);
  M.test = qte.rotated(M.W, false);
  M.theta_tr = M.W.transpose() * P.th_tr;
  M.theta_te = M.W.transpose() * P.th_te;
  M.m = P.th_tr - P.H.ldlt().solve(qtr.gbar);
  const sc::vector dm = M.m - P.th_te;
  M.a = qte.gbar + P.C * dm;
  M.loss_exact = qte.u.mean() + qte.gbar.dot(dm) + 0.5 * dm.dot(P.C * dm) + P.discrete_covariance_curvature();
  return M;
}

}  // namespace terms_setup
