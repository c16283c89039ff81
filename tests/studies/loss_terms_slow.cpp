// test_loss_terms (studies/loss_terms.hpp): the header's mode-versus-mean statement, pinned.
// The predicted b = (T/2)H⁻¹∇·D is the shift of the MODE of the stationary density; the iterate
// MEAN obeys E[∇U_tr(θ) + αθ] = 0 in stationarity (the minibatch gradient is unbiased), so for a
// quadratic U_tr the measured b = θ_tr − θ̄ is 0 whatever ∇·D.  On the quadratic fixture whose
// noise grows with θ (κ ≠ 0: ∇·D ≠ 0) a long run resolves the predicted b by many standard
// errors while the measured b stays within 4 of them.  Slow suite (tests/CMakeLists.txt).
#include <doctest/doctest.h>

#include <cmath>

#include <Eigen/Dense>

#include "loss_terms_cases.hpp"
#include "shiftcurv/studies/loss_terms.hpp"

namespace sc = shiftcurv;

TEST_SUITE("slow loss terms") {
TEST_CASE("test_loss_terms: the measured bias of a quadratic U_tr is 0 within its standard error, the predicted one is not") {
  const loss_terms_cases::tlt_problem P(0.8, 0.2);  // κ = 0.8, α = 0.2
  sc::test_loss_terms_options opt;
  opt.burn_in = 1000;
  opt.samples = 100000;
  opt.thinning = 10;  // 10⁶ steps; the slowest mode relaxes in 1/(λ(h_min + α)) ≈ 10 steps
  opt.k = P.p;
  opt.keep_iterates = true;
  opt.track_train_loss = false;
  opt.seed = 21;
  const auto r = sc::test_loss_terms(P.tr, P.te, P.theta_tr, P.theta_test, P.o, opt);
  CAPTURE(r.message);
  REQUIRE(!sc::is_failure(r.status));
  REQUIRE(r.iterates.cols() == opt.samples);
  CHECK(r.steps == 1000000);
  // the predicted b against its closed form (T/2)(H + κD0 + αI)⁻¹∇·D(θ_tr)
  const sc::matrix Ha = P.tr.H + 0.8 * P.D0() + P.o.alpha * sc::matrix::Identity(P.p, P.p);
  const sc::vector b_pred = 0.5 * P.o.temperature() * Ha.ldlt().solve(P.divergence(P.theta_tr));
  CHECK((r.predicted_bias - b_pred).norm() < 1e-10 * b_pred.norm());
  // the measured b along û = b_pred/|b_pred|: ûᵀ(θ_tr − θ̄) with its batch-means standard error
  // (50 batches of 2000 records = 20000 steps, ≫ the relaxation time)
  const sc::vector u = b_pred / b_pred.norm();
  const sc::vector y = (P.theta_tr.transpose() * u)(0) - (u.transpose() * r.iterates).array();  // ûᵀ(θ_tr − θ_t)
  const sc::index nb = 50, L = opt.samples / nb;
  sc::vector bm(nb);
  for (sc::index j = 0; j < nb; ++j) bm(j) = y.segment(j * L, L).mean();
  const double measured = y.mean();
  const double se = std::sqrt((bm.array() - bm.mean()).square().sum() / (nb - 1.0) / nb);
  CHECK(std::abs(measured - u.dot(r.measured_bias)) < 1e-12);
  CAPTURE(measured);
  CAPTURE(se);
  CAPTURE(b_pred.norm());
  CHECK(std::abs(measured) < 4 * se);
  // The run resolves the mode's shift: b = 0 (within 4 s.e., above) and b = b_pred (it would be
  // within 4 s.e. of b_pred) cannot both hold when |b_pred| > 8 s.e. (12.7 s.e. with this
  // Philox fixture).
  CHECK(b_pred.norm() > 8 * se);
  // and in every coordinate
  for (sc::index i = 0; i < P.p; ++i) {
    const sc::vector yi = P.theta_tr(i) - r.iterates.row(i).transpose().array();
    sc::vector bmi(nb);
    for (sc::index j = 0; j < nb; ++j) bmi(j) = yi.segment(j * L, L).mean();
    const double sei = std::sqrt((bmi.array() - bmi.mean()).square().sum() / (nb - 1.0) / nb);
    CAPTURE(i);
    CHECK(std::abs(r.measured_bias(i)) < 4 * sei);
  }
}
}  // TEST_SUITE("slow loss terms")
