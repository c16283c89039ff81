// Issue 11 parts 4 and 5 on the digits MLP: flat_direction_variance (Appendix D.1) at p > N and
// test_loss_terms (eq 4's terms) against dense references formed here only (terms_setup.hpp) —
// the Hessians by central differences of the mean gradient (independent of the R-operator HVPs
// the library uses), D from the per-sample gradient matrix, the Lyapunov equations solved in the
// dense eigenbasis, the complement of the gradient span by a Householder QR, ∇·D by central
// differences of D.
//
// Monte Carlo error and nonlinearity are told apart by running the same SGD (same seed: the same
// minibatches and the same β noise) on the net's quadratic model at the minimum
// (test_support::quadratic_model: the FD Hessian, the net's per-sample gradients there), where
// SGD is the linear recursion whose stationary covariance and mean are known exactly: the
// model's measurement deviates from the exact value by Monte Carlo error alone, and the net's
// from the model's by the net's nonlinearity.  D.1's complement relaxes in 1/(λα) = 40 steps
// and its slowest mode in ≈ 220, against batches of 2000 steps: its batch-means standard errors
// are used.  The eq-4 run's slowest mode relaxes in
// ≈ 3600 steps, about its whole record window: here only exact second moments are used, and
// terms_slow.cpp checks ½tr(CΣ), the mean test loss and the net's nonlinearity over replicas.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include <Eigen/Dense>

#include "network/mlp.hpp"
#include "network/terms_setup.hpp"
#include "network_reference.hpp"
#include "shiftcurv/studies/flat_direction_variance.hpp"
#include "shiftcurv/studies/loss_terms.hpp"

namespace sc = shiftcurv;
namespace net = shiftcurv_examples::network;

TEST_SUITE("network") {
TEST_CASE("flat_direction_variance on the digits MLP at p > N against the linearized SGD covariance") {
  const auto digits = net::load_digits(net::default_digits_path());
  const terms_setup::flat_problem P(digits.train);  // p = 310 > N = 40
  REQUIRE(P.gradient_norm < 1e-8);
  const sc::index p = P.p, N = P.N;

  sc::flat_direction_variance_options opt;
  opt.seed = 2;
  opt.sample_relaxations = 1000;  // 40000 steps
  const auto r = sc::flat_direction_variance(P.U, P.theta, P.o, opt);
  CAPTURE(r.message);
  CHECK(r.status == sc::status::success);
  REQUIRE(!sc::is_failure(r.status));
  CHECK(r.rank == N);
  // the same run on the quadratic model: SGD is then the linear recursion whose Σ is P.S exactly
  const auto quad = P.quadratic();
  const auto rq = sc::flat_direction_variance(quad, P.theta, P.o, opt);
  CAPTURE(rq.message);
  CHECK(rq.status == sc::status::success);
  REQUIRE(!sc::is_failure(rq.status));
  CHECK(rq.rank == N);

  const double ref_perp = P.ref_perp, ref_span = P.ref_span;
  // the curvature of U_tr that the complement still sees (the Gauss–Newton part of J_iᵀ…J_i)
  const double h_perp =
      (P.Pp * (P.H - P.o.alpha * sc::matrix::Identity(p, p)) * P.Pp).trace() / static_cast<double>(p - N);
  CAPTURE(r.variance);
  CAPTURE(r.standard_error);
  CAPTURE(rq.variance);
  CAPTURE(rq.standard_error);
  CAPTURE(r.prediction_discrete);
  CAPTURE(ref_perp);
  CAPTURE(r.span_variance);
  CAPTURE(rq.span_variance);
  CAPTURE(rq.span_standard_error);
  CAPTURE(ref_span);
  CAPTURE(h_perp);
  const double tau = 1 / (P.o.learning_rate * Eigen::SelfAdjointEigenSolver<sc::matrix>(P.H).eigenvalues()(0));
  CAPTURE(tau);
  MESSAGE("D.1 on the MLP p=310 N=40: measured " << r.variance << " +- " << r.standard_error << " (quadratic model "
                                                 << rq.variance << " +- " << rq.standard_error << "), Tb^2/(2a) = "
                                                 << r.prediction << ", discrete " << r.prediction_discrete
                                                 << ", linearized Lyapunov " << ref_perp << "; directions "
                                                 << r.direction_variance << " (model " << rq.direction_variance
                                                 << "); span " << r.span_variance << " (model " << rq.span_variance
                                                 << ", linearized " << ref_span
                                                 << "); mean curvature of U_tr on the complement " << h_perp
                                                 << "; slowest relaxation 1/(lambda h_min) = " << tau << " steps");
  // (1) Monte Carlo error alone: the quadratic model against its exact values, 4 s.e.
  CHECK(std::abs(rq.variance - ref_perp) < 4 * rq.standard_error);
  CHECK(std::abs(rq.direction_variance - ref_perp) < 4 * rq.direction_standard_error);
  CHECK(std::abs(rq.span_variance - ref_span) < 4 * rq.span_standard_error);
  CHECK(rq.standard_error < 0.05 * ref_perp);  // the checks have teeth
  CHECK(rq.span_standard_error < 0.1 * ref_span);
  // (2) the net's nonlinearity, net minus model on the same noise.  The 5 %, 8 %, 12 % that used
  // to cover Monte Carlo error and nonlinearity together (measured over seeds 2–4) now bound the
  // nonlinearity alone; the Monte Carlo error is bounded by (1).
  CHECK(std::abs(r.variance - rq.variance) < 0.05 * ref_perp);
  CHECK(std::abs(r.direction_variance - rq.direction_variance) < 0.08 * ref_perp);
  CHECK(std::abs(r.span_variance - rq.span_variance) < 0.12 * ref_span);
  // and the reference is not D.1's flat value: the span's gradient noise leaks into the
  // complement through H's coupling (20 % here), which the measurement resolves
  CHECK(std::abs(ref_perp - r.prediction_discrete) > 0.1 * ref_perp);
  CHECK(std::abs(r.variance - r.prediction_discrete) > 8 * r.standard_error);
  CHECK(std::abs(rq.variance - rq.prediction_discrete) > 8 * rq.standard_error);
}

TEST_CASE("test_loss_terms on the digits MLP: predicted and measured terms of eq 4 against dense references") {
  const auto digits = net::load_digits(net::default_digits_path());
  const terms_setup::eq4_problem P(digits.train, digits.test);  // p = 195 + 40 = 235
  REQUIRE(P.train_gradient_norm < 1e-8);
  REQUIRE(P.test_gradient_norm < 1e-8);
  REQUIRE(P.h.minCoeff() > 0);
  const sc::index p = P.p, k = P.k;
  const double best = P.best, T = P.temperature();
  const sc::matrix &H = P.H, &C = P.C, &D = P.D, &V = P.V;
  CAPTURE(k);
  CAPTURE(best);

  sc::test_loss_terms_options opt;
  opt.k = k;
  opt.burn_in = 1000;
  opt.samples = 400;
  opt.thinning = 10;
  opt.keep_iterates = true;
  opt.seed = 4;
  const auto r = sc::test_loss_terms(P.Utr, P.Ute, P.th_tr, P.th_te, P.o, opt);
  CAPTURE(r.message);
  CHECK(!sc::is_failure(r.status));
  REQUIRE(r.iterates.cols() == 400);

  // predicted: the dense continuous Lyapunov Σ projected on the dense top-k eigenvectors of H
  const sc::matrix S = test_support::lyapunov_dense(H, D, T, 0.0);
  const sc::matrix Pk = V * V.transpose();
  const double pred_dense = 0.5 * (C * Pk * S * Pk).trace();
  CAPTURE(pred_dense);
  CAPTURE(r.predicted.covariance_curvature);
  // FD Hessians ≈ 1e-9 relative; eigenvector errors that over the gap
  const double spectral = 1e-6 / best;
  CHECK(std::abs(r.predicted.covariance_curvature - pred_dense) < spectral * std::abs(pred_dense));
  // predicted bias (T/2) V diag(1/h) Vᵀ ∇·D(θ_tr), ∇·D by central differences of D's columns
  // (≈ 1e-9 relative; the net computes it by its own per-sample Hessian products), in the same
  // dense top-k span: the span's errors as above
  const sc::vector div = test_support::covariance_divergence_fd(P.Utr, P.th_tr);
  const sc::vector b_pred = 0.5 * T * V * (V.transpose() * div).cwiseQuotient(P.h.tail(k));
  CAPTURE(div.norm());
  CAPTURE(b_pred.norm());
  REQUIRE(r.divergence.size() == p);
  CHECK((r.divergence - div).norm() < 1e-7 * div.norm());
  CHECK((r.predicted_bias - b_pred).norm() < spectral * b_pred.norm());
  CHECK(b_pred.norm() > 1e-6);  // not trivially zero
  const sc::vector s = P.th_te - P.th_tr;
  const double shift = 0.5 * s.dot(C * s);
  const double bc_pred = 0.5 * b_pred.dot(C * b_pred) + s.dot(C * b_pred);
  // |Cb|·|s| bounds the error of s·Cb from b's relative error
  const double bc_scale = (C * b_pred).norm() * (s.norm() + b_pred.norm());
  CHECK(std::abs(r.predicted.bias_curvature - bc_pred) < spectral * bc_scale);
  // predicted eq 4: depth + shift + bias + covariance terms
  const double depth = P.Ute.mean_value(P.th_te);
  const double eq4_pred = depth + shift + bc_pred + pred_dense;
  CHECK(std::abs(r.predicted.total_eq4 - eq4_pred) < 1e-7 * shift + spectral * (bc_scale + std::abs(pred_dense)));

  // measured: ½ tr(C Σ̂) with Σ̂ the covariance of the same iterates, plus the same mean correction
  const sc::matrix X = r.iterates;
  const sc::vector mean = X.rowwise().mean();
  const sc::matrix dX = X.colwise() - mean;
  const sc::matrix Shat = dX * dX.transpose() / static_cast<double>(X.cols());
  const double meas_dense = 0.5 * (C * Shat).trace() + r.measured_covariance_curvature.mean_correction;
  CHECK(std::abs(r.measured_covariance_curvature.value - meas_dense) < 1e-7 * meas_dense);
  CHECK((r.iterate_mean - mean).norm() < 1e-14 * (1 + mean.norm()));
  // depth and shift-curvature against the dense C
  CHECK(std::abs(r.test_depth - depth) < 1e-14);
  CHECK(std::abs(r.shift_curvature - shift) < 1e-7 * shift);
  // the bias-curvature with the measured b (dense C)
  const sc::vector b = P.th_tr - mean;
  const double bc_meas = 0.5 * b.dot(C * b) + s.dot(C * b);
  CHECK(std::abs(r.measured.bias_curvature - bc_meas) < 1e-7 * shift);
  // measured eq 4 from the same pieces
  CHECK(std::abs(r.measured.total_eq4 - (depth + shift + bc_meas + meas_dense)) < 1e-7 * (shift + meas_dense));
  // the mean test loss: the mean of U_test over the same records
  double mtl = 0;
  for (sc::index t = 0; t < X.cols(); ++t) mtl += P.Ute.mean_value(X.col(t));
  mtl /= static_cast<double>(X.cols());
  CHECK(std::abs(r.mean_test_loss - mtl) < 1e-12 * mtl);
  // eq 12: s projected on the span of the test gradients at θ_tr (rank N_test = 40 < p), by QR
  const sc::matrix Gt = P.Ute.sample_gradients(P.th_tr).transpose();
  Eigen::HouseholderQR<sc::matrix> qr(Gt);
  const sc::matrix Qt = qr.householderQ() * sc::matrix::Identity(p, Gt.cols());
  const sc::vector sP = Qt * (Qt.transpose() * s);
  CHECK(r.projected_shift.rank == Gt.cols());
  CHECK(std::abs(r.projected_shift_curvature - 0.5 * sP.dot(C * sP)) < 1e-7 * shift);
  CHECK(std::abs(r.projected_shift_curvature - shift) > 1e-3 * shift);  // it does project

  MESSAGE("MLP p=" << p << " T=" << T << " k=" << k << " (short run): measured 1/2tr(CS) "
                   << r.measured_covariance_curvature.value << " +- " << r.measured_covariance_curvature.standard_error
                   << ", predicted (top-k) " << r.predicted.covariance_curvature << ", dense full continuous "
                   << 0.5 * (C * S).trace() << "; mean test loss " << r.mean_test_loss << " +- "
                   << r.mean_test_loss_standard_error << ", eq4 measured " << r.measured.total_eq4 << ", eq4 predicted "
                   << r.predicted.total_eq4 << ", depth " << r.test_depth << ", shift " << r.shift_curvature
                   << " (eq 12: " << r.projected_shift_curvature << "), bias meas " << r.measured.bias_curvature
                   << " pred " << r.predicted.bias_curvature);
}

TEST_CASE("test_loss_terms on the digits MLP: its quadratic model's iterate mean exactly, the nonlinearity on the same noise") {
  const auto digits = net::load_digits(net::default_digits_path());
  const terms_setup::eq4_problem P(digits.train, digits.test);
  REQUIRE(P.train_gradient_norm < 1e-8);
  REQUIRE(P.test_gradient_norm < 1e-8);
  REQUIRE(P.h.minCoeff() > 0);
  const sc::matrix& H = P.H;
  const auto o = P.o;
  // H's smallest eigenvalue is 0.0056 (the data loss curves down by 0.044 there): the slowest
  // mode relaxes in τ = 1/(λ h_min) ≈ 3600 steps, longer than the whole record window (4000
  // steps), so batch means cannot give this run's standard errors (terms_slow.cpp: they are 2–4×
  // too small) and the checks here use only exact second moments; terms_slow.cpp checks
  // ½tr(CΣ) and the mean test loss over replicas.
  sc::test_loss_terms_options opt = terms_setup::replica_run(P);
  opt.seed = 4;
  const auto M = terms_setup::eq4_models(P);
  const auto rq = sc::test_loss_terms(M.train, M.test, M.theta_tr, M.theta_te, o, opt);
  const auto r = sc::test_loss_terms(P.Utr, P.Ute, P.th_tr, P.th_te, o, opt);
  CAPTURE(rq.message);
  CAPTURE(r.message);
  CHECK(!sc::is_failure(rq.status));
  CHECK(!sc::is_failure(r.status));
  const double cov_exact = P.discrete_covariance_curvature();
  const sc::matrix Sd = test_support::lyapunov_dense(H, P.D, P.temperature(), o.learning_rate);
  const sc::matrix Cm = test_support::record_mean_covariance(H, Sd, o.learning_rate, opt.thinning, opt.samples);
  const double window_bias = 0.5 * (P.C * Cm).trace();  // E ½tr(CΣ̂) = ½tr(CΣ) − ½tr(C Cov θ̄)
  MESSAGE("MLP p=" << P.p << " h_min=" << P.h(0) << ": 1/2tr(CS) net " << r.measured_covariance_curvature.value
                   << " +- " << r.measured_covariance_curvature.standard_error << ", quadratic model "
                   << rq.measured_covariance_curvature.value << " +- " << rq.measured_covariance_curvature.standard_error
                   << ", exact " << cov_exact << " (1/2tr(C Cov mean) " << window_bias << ", mean corrections net "
                   << r.measured_covariance_curvature.mean_correction << ", model "
                   << rq.measured_covariance_curvature.mean_correction << "); mean test loss net " << r.mean_test_loss
                   << " +- " << r.mean_test_loss_standard_error << ", model " << rq.mean_test_loss << " +- "
                   << rq.mean_test_loss_standard_error << ", exact (model) " << M.loss_exact);
  // the model: its iterate mean against the exact m, with the exact covariance of a mean of
  // correlated records (record_mean_covariance: second moments of the linear recursion; the
  // run starts at θ_tr ≈ m, so the stationary value bounds it), in the direction that carries
  // the mean test loss, a = ∇U_test of the model at m
  const sc::vector err = M.W * rq.iterate_mean - M.m;
  CAPTURE(M.a.dot(err));
  CAPTURE(std::sqrt(M.a.dot(Cm * M.a)));
  CHECK(std::abs(M.a.dot(err)) < 4 * std::sqrt(M.a.dot(Cm * M.a)));
  // a quadratic test loss: the mean over the records is eq 4's measured total less the mean
  // correction, up to the model's ∇U_test(θ_test) = w̄ (≈ 1e-8) times the measured b
  CHECK(std::abs(rq.measured.total_eq4 - rq.measured_covariance_curvature.mean_correction - rq.mean_test_loss) <
        1e-9 * rq.mean_test_loss + 2 * M.test.gbar.norm() * rq.measured_bias.norm());
  // the model's D is constant: ∇·D = 0, no predicted bias (rounding of Σ A c_i with Σ c_i ≈ 0)
  CHECK(rq.predicted_bias.norm() < 1e-10);
  // The net against its linearization: one run's difference net − model on the same minibatches
  // has sd ≈ 15 % of ½tr(CΣ) (the trajectories part, little noise cancels), so it is not checked
  // here; terms_slow.cpp checks the net against the exact expectation over 16 replicas, with
  // the nonlinearity and its replica standard error in the tolerance.
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
    const auto data = terms_setup::rows(digits.train, 200, 5, 0);  // N = 200 < p
    const net::mlp_loss<double> U(shape, data, 0.0);
    sc::sgd_options o;
    o.learning_rate = 0.05;
    o.batch_size = 4;
    o.alpha = 0.1;  // at α = 0.5 the wide net collapses toward θ = 0 (gradient rank 90, not 200)
    o.beta = 0.03;
    const net::mlp_loss<double> Ua(shape, data, o.alpha);
    sc::vector th = net::initial_parameters(shape, 5);
    REQUIRE(test_support::minimize_bb(Ua, th, 1e-7) < 1e-7);
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
    REQUIRE(test_support::minimize_bb(Utr, th_tr, 1e-6, 40000) < 1e-5);
    sc::vector th_te = th_tr;
    REQUIRE(test_support::minimize_bb(Ute, th_te, 1e-6, 40000) < 1e-5);
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
