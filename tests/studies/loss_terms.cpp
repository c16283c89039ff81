// test_loss_terms (studies/loss_terms.hpp) on quadratic per-sample losses whose
// per-sample gradients are the mean gradient plus fixed centred Gaussian draws z_i: SGD is then
// the linear recursion δ ← (I − λ(H+α))δ − λ ζ + √(λT) β w, whose stationary covariance is
// known in closed form in H's eigenbasis (the discrete Lyapunov equation), and every term of
// eq 4 follows; the predicted Σ solves the continuous Lyapunov equation (closed form likewise)
// and the predicted bias (T/2)H⁻¹∇·D has a closed form when the noise scales with θ (κ ≠ 0):
// with α > 0 and k < p against the dense top-k solve, and (k = p) against the exact zero of the
// effective force ∇U_tr + αθ + (T/2)∇·D, which pins its sign.  The fixture: loss_terms_cases.hpp
// (the mean-versus-mode run: loss_terms_slow.cpp).  Bad input throws, naming the function.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include <Eigen/Dense>

#include "loss_terms_cases.hpp"
#include "shiftcurv/studies/loss_terms.hpp"
#include "random_matrices.hpp"

namespace sc = shiftcurv;

using loss_terms_cases::tlt_problem;

TEST_SUITE("generalization") {
TEST_CASE("test_loss_terms: quadratic losses, measured terms against the exact SGD covariance, predicted against the Lyapunov closed form") {
  const tlt_problem P;
  const sc::matrix Heff = P.tr.H + P.o.alpha * sc::matrix::Identity(P.p, P.p);
  const sc::matrix Sd = P.covariance(P.o.learning_rate, Heff);  // the SGD recursion's Σ
  const sc::matrix Sc = P.covariance(0.0, Heff);                // the SDE's Σ
  const sc::matrix& C = P.te.C;
  const sc::vector s = P.theta_test - P.theta_tr;
  const double shift_exact = 0.5 * s.dot(C * s);
  const double cov_discrete = 0.5 * (C * Sd).trace();
  const double cov_continuous = 0.5 * (C * Sc).trace();
  // E U_test = u0 + ½ sᵀCs + ½ tr(CΣ): the mean is θ_tr exactly (linear drift)
  const double expected_loss = P.te.u0 + shift_exact + cov_discrete;

  sc::test_loss_terms_options opt;
  opt.samples = 20000;
  opt.thinning = 10;  // relaxation time 1/(λ h_min) ≈ 14 steps
  opt.burn_in = 500;
  opt.k = P.p;        // the dense route: exact
  opt.seed = 3;
  const auto r = sc::test_loss_terms(P.tr, P.te, P.theta_tr, P.theta_test, P.o, opt);
  CAPTURE(r.message);
  REQUIRE(r.status == sc::status::success);
  CHECK(r.records == 20000);
  CHECK(r.steps == 200000);
  CHECK(r.effective_samples > 1000);
  // exact, deterministic terms (HVPs of the per-sample Hessians: rounding only)
  CHECK(std::abs(r.test_depth - P.te.u0) < 1e-14);
  CHECK(std::abs(r.shift_curvature - shift_exact) < 1e-12 * shift_exact);
  CHECK(std::abs(r.measured.shift_curvature - shift_exact) < 1e-12 * shift_exact);
  CHECK(std::abs(r.predicted.depth - P.te.u0) < 1e-14);
  // predicted Σ (k = p): the continuous Lyapunov solution, no bias (D constant: ∇·D = 0)
  CHECK(std::abs(r.predicted.covariance_curvature - cov_continuous) < 1e-10 * cov_continuous);
  CHECK((r.predicted_covariance.dense() - Sc).norm() < 1e-10 * Sc.norm());
  CHECK(r.predicted_bias.norm() < 1e-12);
  CHECK(std::abs(r.predicted.total_eq4 - (P.te.u0 + shift_exact + cov_continuous)) < 1e-10);
  // measured, within 4 batch-means standard errors of the exact discrete values
  CAPTURE(r.mean_test_loss);
  CAPTURE(r.mean_test_loss_standard_error);
  CAPTURE(expected_loss);
  CAPTURE(r.measured_covariance_curvature.value);
  CAPTURE(r.measured_covariance_curvature.standard_error);
  CAPTURE(cov_discrete);
  CAPTURE(cov_continuous);
  CHECK(std::abs(r.mean_test_loss - expected_loss) < 4 * r.mean_test_loss_standard_error);
  CHECK(std::abs(r.measured_covariance_curvature.value - cov_discrete) <
        4 * r.measured_covariance_curvature.standard_error);
  CHECK(r.measured_covariance_curvature.standard_error < 0.03 * cov_discrete);  // the check has teeth
  // a quadratic test loss: mean_t U_test(θ_t) = depth + ½(s+b)ᵀC(s+b) + ½ mean δᵀCδ exactly
  CHECK(std::abs(r.measured.total_eq4 - r.measured_covariance_curvature.mean_correction - r.mean_test_loss) <
        1e-10 * r.mean_test_loss);
  // the measured bias is the iterate mean's noise: its bias-curvature is far below the covariance term
  CHECK(std::abs(r.measured.bias_curvature) < 0.1 * cov_discrete);
  // eq 12 against a QR projection on the test gradients at θ_tr
  sc::matrix Gt(P.p, 3);
  for (sc::index i = 0; i < 3; ++i) {
    sc::vector g;
    P.te.gradient(P.theta_tr, i, g);
    Gt.col(i) = g;
  }
  Eigen::HouseholderQR<sc::matrix> qr(Gt);
  const sc::matrix Q = qr.householderQ() * sc::matrix::Identity(P.p, 3);
  const sc::vector sP = Q * (Q.transpose() * s);
  CHECK(r.projected_shift.rank == 3);
  CHECK(std::abs(r.projected_shift_curvature - 0.5 * sP.dot(C * sP)) < 1e-10 * shift_exact);
  CHECK(std::abs(r.projected_shift_curvature - shift_exact) > 1e-3 * shift_exact);  // it does project

  // k = 2 < p (Lanczos): the projection of the continuous Σ onto H's top-2 eigenvectors
  opt.k = 2;
  opt.samples = 40;
  opt.thinning = 1;
  const auto r2 = sc::test_loss_terms(P.tr, P.te, P.theta_tr, P.theta_test, P.o, opt);
  Eigen::SelfAdjointEigenSolver<sc::matrix> es(Heff);
  const sc::matrix V2 = es.eigenvectors().rightCols(2);
  const sc::matrix P2 = V2 * V2.transpose();
  CHECK(std::abs(r2.predicted.covariance_curvature - 0.5 * (C * P2 * Sc * P2).trace()) < 1e-8 * cov_continuous);
  CHECK(r2.status == sc::status::tolerance_not_met);  // 40 records: too few effective samples
  CHECK(r2.message.rfind("shiftcurv::test_loss_terms:", 0) == 0);
}

TEST_CASE("test_loss_terms: the predicted bias (T/2)H⁻¹∇·D against its closed form when the noise grows with θ") {
  const double kappa = 0.8;
  const tlt_problem P(kappa, 0.0);
  sc::test_loss_terms_options opt;
  opt.samples = 8;
  opt.thinning = 1;
  opt.burn_in = 0;
  opt.k = P.p;
  const auto r = sc::test_loss_terms(P.tr, P.te, P.theta_tr, P.theta_test, P.o, opt);
  // ∇·D(m) = (2κ/N) Σ z_n |z_n|²; ∇²U_tr = H + κ D0
  const double N = static_cast<double>(P.tr.Z.rows());
  sc::vector div = sc::vector::Zero(P.p);
  for (sc::index n = 0; n < P.tr.Z.rows(); ++n) div += P.tr.Z.row(n).transpose() * P.tr.Z.row(n).squaredNorm();
  div *= 2 * kappa / N;
  const sc::matrix Htr = P.tr.H + kappa * P.D0();
  const sc::vector b = 0.5 * P.o.temperature() * Htr.ldlt().solve(div);
  REQUIRE(r.divergence.size() == P.p);
  CHECK((r.divergence - div).norm() < 1e-12 * div.norm());
  CHECK((r.predicted_bias - b).norm() < 1e-10 * b.norm());
  CHECK(b.norm() > 1e-3);
  const sc::vector s = P.theta_test - P.theta_tr;
  const double bc = 0.5 * b.dot(P.te.C * b) + s.dot(P.te.C * b);
  CHECK(std::abs(r.predicted.bias_curvature - bc) < 1e-10 * std::abs(bc));
  // D(θ_tr) = D0 at δ = 0: the Lyapunov solution with ∇²U_tr = H + κ D0
  CHECK((r.predicted_covariance.dense() - P.covariance(0.0, Htr)).norm() < 1e-10 * P.covariance(0.0, Htr).norm());
}

TEST_CASE("test_loss_terms: the predicted bias with alpha > 0 and k < p against a dense solve, and the exact shift of the zero of the effective force") {
  const double kappa = 0.8, alpha = 0.5;
  const tlt_problem P(kappa, alpha);  // θ_tr ≠ m: ∇·D is taken where δ ≠ 0
  const double T = P.o.temperature();
  const sc::matrix I = sc::matrix::Identity(P.p, P.p);
  // ∇·D(θ_tr): the closed form, against central differences of the dense D of the per-sample
  // gradients (D is quadratic in θ: the differences are exact up to rounding, ≈ ε|D|/h)
  const sc::vector div = P.divergence(P.theta_tr);
  sc::vector div_fd = sc::vector::Zero(P.p);
  const double h = 1e-3;
  for (sc::index j = 0; j < P.p; ++j) {
    sc::vector a = P.theta_tr, b = P.theta_tr;
    a(j) += h;
    b(j) -= h;
    div_fd += (P.sample_covariance(a).col(j) - P.sample_covariance(b).col(j)) / (2 * h);
  }
  CHECK((div - div_fd).norm() < 1e-10 * div.norm());
  // the dense Hessian of U_tr (H + κD0) and its top-2 eigenpairs; SGD's H adds αI
  const sc::matrix Htr = P.tr.H + kappa * P.D0();
  Eigen::SelfAdjointEigenSolver<sc::matrix> es(Htr);
  const sc::index k = 2;
  const sc::matrix V = es.eigenvectors().rightCols(k);
  const sc::vector lam = es.eigenvalues().tail(k);
  const double gap = (lam(0) - es.eigenvalues()(P.p - k - 1)) / es.eigenvalues()(P.p - 1);
  REQUIRE(gap > 0.1);  // the top-2 space is well defined
  const sc::vector b_ref = 0.5 * T * V * (V.transpose() * div).cwiseQuotient((lam.array() + alpha).matrix());
  const sc::vector b_full = 0.5 * T * (Htr + alpha * I).ldlt().solve(div);

  sc::test_loss_terms_options opt;
  opt.samples = 8;
  opt.thinning = 1;
  opt.burn_in = 0;
  opt.k = k;
  const auto r = sc::test_loss_terms(P.tr, P.te, P.theta_tr, P.theta_test, P.o, opt);
  CAPTURE(r.message);
  REQUIRE(!sc::is_failure(r.status));
  REQUIRE(r.k == k);
  REQUIRE(r.divergence.size() == P.p);
  CHECK((r.divergence - div).norm() < 1e-12 * div.norm());
  // Lanczos' Ritz vectors (residual < 1e-10·λ) against the dense eigenvectors: O(1e-10/gap)
  CAPTURE(b_ref.transpose());
  CAPTURE(r.predicted_bias.transpose());
  CHECK((r.predicted_bias - b_ref).norm() < 1e-8 * b_ref.norm());
  const sc::vector s = P.theta_test - P.theta_tr;
  const double bc = 0.5 * b_ref.dot(P.te.C * b_ref) + s.dot(P.te.C * b_ref);
  CHECK(std::abs(r.predicted.bias_curvature - bc) < 1e-8 * std::abs(bc));
  // the check has teeth: the span drops a visible part of H⁻¹∇·D, and α moves the 1/λ weights
  CHECK((b_ref - b_full).norm() > 0.05 * b_full.norm());
  const sc::vector b_no_alpha = 0.5 * T * V * (V.transpose() * div).cwiseQuotient(lam);
  CHECK((b_ref - b_no_alpha).norm() > 0.05 * b_ref.norm());

  // k = p: the full (T/2)(H + αI)⁻¹∇·D ...
  opt.k = P.p;
  const auto rf = sc::test_loss_terms(P.tr, P.te, P.theta_tr, P.theta_test, P.o, opt);
  REQUIRE(!sc::is_failure(rf.status));
  CHECK((rf.predicted_bias - b_full).norm() < 1e-10 * b_full.norm());
  // ... and its sign and convention (b = θ_tr − µ) against µ, the exact zero of the effective
  // force ∇U_tr + αθ + (T/2)∇·D (where ∇log ρ = 0; ∇·(β²I) = 0).  Here ∇U_tr + αθ = (H_tr + αI)(θ − θ_tr)
  // and ∇·D is affine with Jacobian J, so b = (T/2)(H_tr + αI + (T/2)J)⁻¹∇·D(θ_tr) exactly, and
  // the first-order b differs from it by at most ‖E‖/(1 − ‖E‖)·|b|, E = (T/2)(H_tr + αI)⁻¹J.
  sc::matrix J(P.p, P.p);
  for (sc::index j = 0; j < P.p; ++j) {
    sc::vector a = P.theta_tr;
    a(j) += 1.0;
    J.col(j) = P.divergence(a) - div;  // affine: exact
  }
  const sc::vector b_exact = 0.5 * T * (Htr + alpha * I + 0.5 * T * J).partialPivLu().solve(div);
  const double e = (0.5 * T * (Htr + alpha * I).ldlt().solve(J)).operatorNorm();
  CAPTURE(e);
  REQUIRE(e < 0.2);
  CAPTURE(b_exact.transpose());
  CHECK((rf.predicted_bias - b_exact).norm() <= e / (1 - e) * rf.predicted_bias.norm());
  CHECK(b_exact.norm() > 1e-3);
}

TEST_CASE("test_loss_terms: bad input throws, naming the function") {
  const tlt_problem P;
  sc::test_loss_terms_options opt;
  opt.samples = 8;
  opt.thinning = 1;
  opt.burn_in = 0;
  auto throws = [&](const sc::sgd_options& o, const sc::vector& a, const sc::vector& b,
                    const sc::test_loss_terms_options& op, const std::string& what, bool domain) {
    try {
      (void)sc::test_loss_terms(P.tr, P.te, a, b, o, op);
      FAIL("no exception for " << what);
    } catch (const sc::domain_error& e) {
      CHECK(domain);
      const std::string m = e.what();
      CAPTURE(m);
      CHECK(m.rfind("shiftcurv::test_loss_terms:", 0) == 0);
      CHECK(m.find(what) != std::string::npos);
    } catch (const sc::invalid_argument& e) {
      CHECK(!domain);
      const std::string m = e.what();
      CAPTURE(m);
      CHECK(m.rfind("shiftcurv::test_loss_terms:", 0) == 0);
      CHECK(m.find(what) != std::string::npos);
    }
  };
  sc::sgd_options o = P.o;
  o.learning_rate = 0;  // T = 0
  throws(o, P.theta_tr, P.theta_test, opt, "learning_rate", true);
  o.learning_rate = -0.1;
  throws(o, P.theta_tr, P.theta_test, opt, "learning_rate", true);
  o = P.o, o.batch_size = 0;
  throws(o, P.theta_tr, P.theta_test, opt, "batch_size", false);
  o = P.o, o.batch_size = 41;  // N_tr = 40
  throws(o, P.theta_tr, P.theta_test, opt, "batch_size", false);
  o = P.o, o.alpha = -1;
  throws(o, P.theta_tr, P.theta_test, opt, "alpha", true);
  throws(P.o, P.theta_tr, sc::vector::Zero(3), opt, "theta_test", false);
  throws(P.o, sc::vector::Zero(3), sc::vector::Zero(3), opt, "theta", false);  // the losses declare p = 4
  sc::vector nan = P.theta_tr;
  nan(1) = std::numeric_limits<double>::quiet_NaN();
  throws(P.o, nan, P.theta_test, opt, "theta", false);
  throws(P.o, P.theta_tr, nan, opt, "theta_test", false);
  sc::test_loss_terms_options bad = opt;
  bad.samples = 3;
  throws(P.o, P.theta_tr, P.theta_test, bad, "samples", false);
  bad = opt, bad.k = 0;
  throws(P.o, P.theta_tr, P.theta_test, bad, "k", false);
  bad = opt, bad.thinning = 0;
  throws(P.o, P.theta_tr, P.theta_test, bad, "thinning", false);
}
}
