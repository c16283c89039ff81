// Issue 11 parts 4 and 5 on the digits MLP: flat_direction_variance (Appendix D.1) at p > N and
// test_loss_terms (eq 4's terms) against dense references formed here only — the Hessians by
// central differences of the mean gradient (independent of the R-operator HVPs the library
// uses), D from the per-sample gradient matrix, the Lyapunov equations solved in the dense
// eigenbasis, the complement of the gradient span by a Householder QR.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include <Eigen/Dense>

#include "network/mlp.hpp"
#include "network_reference.hpp"
#include "shiftcurv/studies/flat_direction_variance.hpp"
#include "shiftcurv/studies/loss_terms.hpp"

namespace sc = shiftcurv;
namespace net = shiftcurv_examples::network;

namespace {
net::labeled_data terms_rows(const net::labeled_data& d, int count, int stride, int offset) {
  std::vector<sc::index> rows;
  for (int k = 0; k < count; ++k) rows.push_back(offset + stride * k);
  return d.subset(rows);
}

/// A minimum of the loss by Barzilai–Borwein gradient descent; returns ‖∇U‖ at the end.
template <class L>
double terms_minimize(const L& U, sc::vector& th, double tol = 1e-9, int max_iter = 50000) {
  sc::vector g = U.mean_gradient(th);
  double step = 0.1;
  for (int it = 0; it < max_iter && g.norm() > tol; ++it) {
    const sc::vector th_new = th - step * g;
    const sc::vector g_new = U.mean_gradient(th_new);
    const sc::vector ds = th_new - th, dg = g_new - g;
    const double sy = ds.dot(dg);
    step = sy > 0 ? std::min(ds.squaredNorm() / sy, 10.0) : 0.1;
    th = th_new;
    g = g_new;
  }
  return g.norm();
}

/// Σ of HΣ + ΣH − c·HΣH = T·D in H's eigenbasis (c = λ: the linearized SGD recursion; 0: the SDE).
sc::matrix terms_lyapunov(const sc::matrix& H, const sc::matrix& D, double T, double c) {
  Eigen::SelfAdjointEigenSolver<sc::matrix> es(H);
  const sc::matrix& V = es.eigenvectors();
  const sc::vector& h = es.eigenvalues();
  sc::matrix S = V.transpose() * D * V;
  for (sc::index i = 0; i < h.size(); ++i)
    for (sc::index j = 0; j < h.size(); ++j) S(i, j) *= T / (h(i) + h(j) - c * h(i) * h(j));
  return V * S * V.transpose();
}
}  // namespace

TEST_SUITE("network") {
TEST_CASE("flat_direction_variance on the digits MLP at p > N against the linearized SGD covariance") {
  const auto digits = net::load_digits(net::default_digits_path());
  const net::mlp_shape shape{{64, 4, 10}};  // p = 260 + 50 = 310 > N = 40
  const auto data = terms_rows(digits.train, 40, 25, 1);
  const net::mlp_loss<double> U(shape, data, 0.0);  // eq 13's α lives in sgd.alpha
  sc::sgd_options o;
  // α = 0.5: at α = 0.1 the Hessian of U_tr + (α/2)|θ|² at θ* has eigenvalues near 0.008 (the
  // data loss curves down by almost α there), whose slow, large fluctuations need far longer runs
  o.learning_rate = 0.05;
  o.batch_size = 4;
  o.alpha = 0.5;
  o.beta = 0.03;
  const double T = o.temperature();
  // θ*: the minimum of U_tr + (α/2)|θ|² (the loss eq-13 SGD descends)
  const net::mlp_loss<double> Ua(shape, data, o.alpha);
  sc::vector th = net::initial_parameters(shape, 5);
  const double gnorm = terms_minimize(Ua, th);
  REQUIRE(gnorm < 1e-8);
  const sc::index p = th.size(), N = 40;

  sc::flat_direction_variance_options opt;
  opt.seed = 2;
  opt.sample_relaxations = 1000;  // 40000 steps
  const auto r = sc::flat_direction_variance(U, th, o, opt);
  CAPTURE(r.message);
  CHECK(r.status == sc::status::success);
  REQUIRE(!sc::is_failure(r.status));
  CHECK(r.rank == N);

  // Reference: the OU/SGD recursion linearized at θ*: H + αI, D(θ*) + β²I, discrete Lyapunov.
  const sc::matrix H = test_support::mean_hessian_fd(Ua, th);
  const sc::matrix G = U.sample_gradients(th);
  const sc::matrix D = test_support::population_covariance(G) + o.beta * o.beta * sc::matrix::Identity(p, p);
  const sc::matrix S = terms_lyapunov(H, D, T, o.learning_rate);
  Eigen::HouseholderQR<sc::matrix> qr(G.transpose());
  const sc::matrix Q = qr.householderQ() * sc::matrix::Identity(p, N);
  const sc::matrix Pp = sc::matrix::Identity(p, p) - Q * Q.transpose();
  const double ref_perp = (Pp * S * Pp).trace() / static_cast<double>(p - N);
  const double ref_span = (Q.transpose() * S * Q).trace() / static_cast<double>(N);
  // the curvature of U_tr that the complement still sees (the Gauss–Newton part of J_iᵀ…J_i)
  const double h_perp = (Pp * (H - o.alpha * sc::matrix::Identity(p, p)) * Pp).trace() / static_cast<double>(p - N);
  CAPTURE(r.variance);
  CAPTURE(r.standard_error);
  CAPTURE(r.prediction);
  CAPTURE(r.prediction_discrete);
  CAPTURE(ref_perp);
  CAPTURE(r.span_variance);
  CAPTURE(ref_span);
  CAPTURE(h_perp);
  MESSAGE("D.1 on the MLP p=310 N=40: measured " << r.variance << " +- " << r.standard_error << ", Tb^2/(2a) = "
                                                 << r.prediction << ", discrete " << r.prediction_discrete
                                                 << ", linearized Lyapunov " << ref_perp << "; span " << r.span_variance
                                                 << " (linearized " << ref_span << "); mean curvature of U_tr on the complement " << h_perp);
  // Tolerance: 4 s.e. plus the nonlinearity of the net over the iterates' spread, not in the
  // linearized reference: measured over seeds 2–4 at ≤ 3 % (complement), ≤ 8 % (span, where
  // the spread is 25× larger); allowed 5 %, 8 %, 12 %.
  CHECK(std::abs(r.variance - ref_perp) < 4 * r.standard_error + 0.05 * ref_perp);
  CHECK(std::abs(r.direction_variance - ref_perp) < 4 * r.direction_standard_error + 0.08 * ref_perp);
  CHECK(std::abs(r.span_variance - ref_span) < 4 * r.span_standard_error + 0.12 * ref_span);
  // and the reference is not D.1's flat value: the span's gradient noise leaks into the
  // complement through H's coupling (20 % here), which the measurement resolves
  CHECK(std::abs(ref_perp - r.prediction_discrete) > 0.1 * ref_perp);
  CHECK(std::abs(r.variance - r.prediction_discrete) > 8 * r.standard_error);
}

TEST_CASE("test_loss_terms on the digits MLP: predicted and measured ½tr(CΣ) against dense references") {
  const auto digits = net::load_digits(net::default_digits_path());
  const net::mlp_shape shape{{64, 3, 10}};  // p = 195 + 40 = 235
  const double l2 = 0.05;
  const net::mlp_loss<double> Utr(shape, terms_rows(digits.train, 60, 16, 0), l2);
  const net::mlp_loss<double> Ute(shape, terms_rows(digits.test, 40, 19, 3), l2);
  sc::vector th_tr = net::initial_parameters(shape, 9);
  REQUIRE(terms_minimize(Utr, th_tr) < 1e-8);
  sc::vector th_te = th_tr;
  REQUIRE(terms_minimize(Ute, th_te) < 1e-8);
  const sc::index p = th_tr.size();

  sc::sgd_options o;
  o.learning_rate = 0.05;
  o.batch_size = 4;
  const double T = o.temperature();
  const sc::matrix H = test_support::mean_hessian_fd(Utr, th_tr);
  const sc::matrix C = test_support::mean_hessian_fd(Ute, th_te);
  const sc::matrix D = test_support::population_covariance(Utr.sample_gradients(th_tr));
  Eigen::SelfAdjointEigenSolver<sc::matrix> es(H);
  REQUIRE(es.eigenvalues().minCoeff() > 0);
  // k in 8…30 with the widest relative gap below it (the dense top-k space is then well defined)
  sc::index k = 8;
  double best = 0;
  for (sc::index j = 8; j <= 30; ++j) {
    const double gap = (es.eigenvalues()(p - j) - es.eigenvalues()(p - j - 1)) / es.eigenvalues()(p - 1);
    if (gap > best) best = gap, k = j;
  }
  CAPTURE(k);
  CAPTURE(best);

  sc::test_loss_terms_options opt;
  opt.k = k;
  opt.burn_in = 1000;
  opt.samples = 400;
  opt.thinning = 10;
  opt.keep_iterates = true;
  opt.seed = 4;
  const auto r = sc::test_loss_terms(Utr, Ute, th_tr, th_te, o, opt);
  CAPTURE(r.message);
  CHECK(!sc::is_failure(r.status));
  REQUIRE(r.iterates.cols() == 400);

  // predicted: the dense continuous Lyapunov Σ projected on the dense top-k eigenvectors of H
  const sc::matrix S = terms_lyapunov(H, D, T, 0.0);
  const sc::matrix V = es.eigenvectors().rightCols(k);
  const sc::matrix P = V * V.transpose();
  const double pred_dense = 0.5 * (C * P * S * P).trace();
  CAPTURE(pred_dense);
  CAPTURE(r.predicted.covariance_curvature);
  // FD Hessians ≈ 1e-9 relative; eigenvector errors that over the gap
  CHECK(std::abs(r.predicted.covariance_curvature - pred_dense) < 1e-6 / best * std::abs(pred_dense));
  // measured: ½ tr(C Σ̂) with Σ̂ the covariance of the same iterates, plus the same mean correction
  const sc::matrix X = r.iterates;
  const sc::vector mean = X.rowwise().mean();
  const sc::matrix dX = X.colwise() - mean;
  const sc::matrix Shat = dX * dX.transpose() / static_cast<double>(X.cols());
  const double meas_dense = 0.5 * (C * Shat).trace() + r.measured_covariance_curvature.mean_correction;
  CHECK(std::abs(r.measured_covariance_curvature.value - meas_dense) < 1e-7 * meas_dense);
  CHECK((r.iterate_mean - mean).norm() < 1e-14 * (1 + mean.norm()));
  // depth and shift-curvature against the dense C
  const sc::vector s = th_te - th_tr;
  CHECK(std::abs(r.test_depth - Ute.mean_value(th_te)) < 1e-14);
  CHECK(std::abs(r.shift_curvature - 0.5 * s.dot(C * s)) < 1e-7 * 0.5 * s.dot(C * s));
  // the bias-curvature with the measured b (dense C)
  const sc::vector b = th_tr - mean;
  CHECK(std::abs(r.measured.bias_curvature - (0.5 * b.dot(C * b) + s.dot(C * b))) < 1e-7 * (0.5 * s.dot(C * s)));

  // Measured against predicted (the theory itself): the full dense Lyapunov Σ of the linearized
  // SGD recursion is the reference for the measured value; reported, with a loose bound for
  // the nonlinearity of the net and the truncation at k.
  const double full_discrete = 0.5 * (C * terms_lyapunov(H, D, T, o.learning_rate)).trace();
  MESSAGE("MLP p=" << p << " T=" << T << " k=" << k << ": measured 1/2tr(CS) " << r.measured_covariance_curvature.value
                   << " +- " << r.measured_covariance_curvature.standard_error << ", predicted (top-k) "
                   << r.predicted.covariance_curvature << ", dense full continuous " << 0.5 * (C * S).trace()
                   << ", dense discrete " << full_discrete << "; mean test loss " << r.mean_test_loss << " +- "
                   << r.mean_test_loss_standard_error << ", eq4 measured " << r.measured.total_eq4 << ", eq4 predicted "
                   << r.predicted.total_eq4 << ", depth " << r.test_depth << ", shift " << r.shift_curvature
                   << " (eq 12: " << r.projected_shift_curvature << "), bias meas " << r.measured.bias_curvature
                   << " pred " << r.predicted.bias_curvature);
  CHECK(std::abs(r.measured_covariance_curvature.value - full_discrete) <
        4 * r.measured_covariance_curvature.standard_error + 0.15 * full_discrete);
}
}

// A measurement, not a test (its checks only guard against failure): the README's wide-net numbers.
// ~2.5 min, so it is skipped in `make test` (and not named "slow*": no ctest entry runs it);
// run it with
//   build/tests/test_network -ts="measurement network terms" --no-skip
TEST_SUITE("measurement network terms") {
TEST_CASE("D.1 and the eq-4 terms on a wider net over the digits (numbers for the README)" * doctest::skip()) {
  const auto digits = net::load_digits(net::default_digits_path());
  const net::mlp_shape shape{{64, 32, 10}};  // p = 2080 + 330 = 2410
  {
    const auto data = terms_rows(digits.train, 200, 5, 0);  // N = 200 < p
    const net::mlp_loss<double> U(shape, data, 0.0);
    sc::sgd_options o;
    o.learning_rate = 0.05;
    o.batch_size = 4;
    o.alpha = 0.1;  // at α = 0.5 the wide net collapses toward θ = 0 (gradient rank 90, not 200)
    o.beta = 0.03;
    const net::mlp_loss<double> Ua(shape, data, o.alpha);
    sc::vector th = net::initial_parameters(shape, 5);
    REQUIRE(terms_minimize(Ua, th, 1e-7) < 1e-7);
    sc::flat_direction_variance_options opt;
    opt.thinning = 10;
    opt.sample_relaxations = 200;  // 40000 steps
    opt.seed = 1;
    const auto r = sc::flat_direction_variance(U, th, o, opt);
    CAPTURE(r.message);
    MESSAGE("D.1 wide: p=" << r.parameters << " N=" << r.samples << " rank=" << r.rank << " steps=" << r.steps
                           << ": complement " << r.variance << " +- " << r.standard_error << ", directions "
                           << r.direction_variance << " +- " << r.direction_standard_error << ", span "
                           << r.span_variance << "; Tb^2/(2a) = " << r.prediction << ", discrete "
                           << r.prediction_discrete);
    CHECK(!sc::is_failure(r.status));
    CHECK(r.rank == 200);
    CHECK(r.variance > 0);
  }
  {
    const double l2 = 0.05;
    const net::mlp_loss<double> Utr(shape, digits.train, l2);  // N_tr = 1000
    const net::mlp_loss<double> Ute(shape, digits.test, l2);   // N_test = 797
    sc::vector th_tr = net::initial_parameters(shape, 9);
    REQUIRE(terms_minimize(Utr, th_tr, 1e-6, 40000) < 1e-5);
    sc::vector th_te = th_tr;
    REQUIRE(terms_minimize(Ute, th_te, 1e-6, 40000) < 1e-5);
    sc::sgd_options o;
    o.learning_rate = 0.05;
    o.batch_size = 16;
    sc::test_loss_terms_options opt;
    opt.k = 20;
    opt.seed = 2;
    const auto r = sc::test_loss_terms(Utr, Ute, th_tr, th_te, o, opt);
    CAPTURE(r.message);
    MESSAGE("eq4 wide: p=" << r.parameters << " T=" << r.temperature << " k=" << r.k << " status "
                           << sc::to_string(r.status) << ": 1/2tr(CS) measured "
                           << r.measured_covariance_curvature.value << " +- "
                           << r.measured_covariance_curvature.standard_error << ", predicted "
                           << r.predicted.covariance_curvature << "; mean test loss " << r.mean_test_loss << " +- "
                           << r.mean_test_loss_standard_error << " (train " << r.mean_train_loss << "); eq4 measured "
                           << r.measured.total_eq4 << ", predicted " << r.predicted.total_eq4 << "; depth "
                           << r.test_depth << ", shift " << r.shift_curvature << " (eq 12 "
                           << r.projected_shift_curvature << ", rank " << r.projected_shift.rank << "), bias measured "
                           << r.measured.bias_curvature << ", predicted " << r.predicted.bias_curvature
                           << "; |s| " << r.shift.norm() << ", |b| meas " << r.measured_bias.norm() << " pred "
                           << r.predicted_bias.norm());
    CHECK(!sc::is_failure(r.status));
    CHECK(r.measured_covariance_curvature.value > 0);
    CHECK(r.predicted.covariance_curvature > 0);
  }
}
}
