// The public testing helpers: the order estimator on exact power laws, the Monte Carlo
// tolerance helpers, and the analytic references against independent computations.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include <numbers>

#include <Eigen/Eigenvalues>

#include "shiftcurv/testing/convergence.hpp"
#include "shiftcurv/testing/monte_carlo.hpp"
#include "shiftcurv/testing/reference_problems.hpp"

namespace st = shiftcurv::testing;

TEST_CASE("fit_convergence_order recovers an exact power law and reports curvature as error") {
  const std::vector<double> dt{0.1, 0.05, 0.025, 0.0125};
  std::vector<double> err;
  for (double h : dt) err.push_back(3.0 * h * h);
  const auto f = st::fit_convergence_order(dt, err);
  CHECK(std::abs(f.order - 2.0) <= 1e-12 * 2.0);
  CHECK(std::abs(f.log_constant - (std::log(3.0))) <= 1e-12 * std::abs(std::log(3.0)));
  CHECK(f.order_error < 1e-12);
  CHECK(st::order_within(f, 2.0, 1e-9));
  std::vector<double> bent;
  for (double h : dt) bent.push_back(h + 10 * h * h);  // not a power law: nonzero residual
  CHECK(st::fit_convergence_order(dt, bent).order_error > 1e-3);
  CHECK_THROWS_AS(st::fit_convergence_order(std::vector<double>{0.1}, std::vector<double>{1.0}), shiftcurv::invalid_argument);
  CHECK_THROWS_AS(st::fit_convergence_order(dt, std::vector<double>{1, 2, 0, 4}), shiftcurv::invalid_argument);
  CHECK_THROWS_AS(st::fit_convergence_order(dt, std::vector<double>{1, 2}), shiftcurv::invalid_argument);
}

TEST_CASE("Monte Carlo helpers: mean, standard error, tolerances") {
  const std::vector<double> x{1, 2, 3, 4};
  const auto e = st::mc_mean(x);
  CHECK(e.mean == doctest::Approx(2.5));
  CHECK(e.standard_error == doctest::Approx(std::sqrt((1.25 * 4 / 3) / 4)));  // s²/n, s² = 5/3
  CHECK(st::within_mc(e, 2.5 + 4 * e.standard_error));
  CHECK(!st::within_mc(e, 2.5 + 5 * e.standard_error));
  CHECK(st::within_mc(e, 2.5 + 5 * e.standard_error, 4.5, e.standard_error));
  CHECK(st::binomial_standard_error(0.5, 100) == doctest::Approx(0.05));
  CHECK(st::consistent_mc({1.0, 0.3, 10}, {2.0, 0.4, 10}, 2.0));  // |Δ| = 1 ≤ 2·0.5
  CHECK(!st::consistent_mc({1.0, 0.3, 10}, {2.0, 0.4, 10}, 1.5));
  CHECK_THROWS_AS(st::mc_mean(std::vector<double>{}), shiftcurv::invalid_argument);
  CHECK_THROWS_AS(st::binomial_standard_error(0.5, 0), shiftcurv::invalid_argument);
}

TEST_CASE("OU stationary covariance: commuting case closed form, non-commuting residual") {
  Eigen::MatrixXd H(2, 2), D(2, 2);
  H << 2, 0.5, 0.5, 1;
  // D = H⁻¹·c commutes with H: Σ = (T/2) D H⁻¹ exactly.
  const Eigen::MatrixXd Dc = 0.7 * H.inverse();
  const Eigen::MatrixXd Sc = st::ou_stationary_covariance(H, Dc, 0.3);
  CHECK((Sc - 0.15 * Dc * H.inverse()).norm() < 1e-14);
  D << 0.5, 0.3, 0.3, 1;
  const Eigen::MatrixXd S = st::ou_stationary_covariance(H, D, 0.3);
  CHECK((H * S + S * H - 0.3 * D).norm() < 1e-14);
  // Σ is the integral ∫_0^∞ e^{−Hs} T D e^{−Hs} ds: check by the eigenbasis formula.
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(H);
  const Eigen::MatrixXd Q = eig.eigenvectors();
  Eigen::MatrixXd Dt = Q.transpose() * (0.3 * D) * Q;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) Dt(i, j) /= eig.eigenvalues()(i) + eig.eigenvalues()(j);
  CHECK((Q * Dt * Q.transpose() - S).norm() < 1e-14);
  CHECK_THROWS_AS(st::ou_stationary_covariance(H, Eigen::MatrixXd::Identity(3, 3), 0.3), shiftcurv::invalid_argument);
  CHECK_THROWS_AS(st::ou_stationary_covariance(H, D, 0.0), shiftcurv::domain_error);
}

TEST_CASE("reference problems: exact solutions satisfy their SDEs' Itô moments") {
  st::geometric_brownian_motion gbm;
  // E u(t) = u₀ e^{at}: average the exact solution over W ~ N(0, t) by Gauss–Hermite-free
  // closed form: E e^{bW} = e^{b²t/2}.
  const double t = 0.7;
  CHECK(gbm.u0 * std::exp((gbm.a - 0.5 * gbm.b * gbm.b) * t) * std::exp(0.5 * gbm.b * gbm.b * t) ==
        doctest::Approx(gbm.mean(t)));
  Eigen::VectorXd W(1);
  W << 0.0;
  st::cubic_problem cubic;
  CHECK(cubic.exact(W, 1.0)(0) == doctest::Approx(0.5));
  st::additive_noise_problem add;
  CHECK(add.exact(W, 0.0)(0) == doctest::Approx(add.x0));
  // Eyring–Kramers: √2·π·e^{1/(2T)}.
  CHECK(st::eyring_kramers_transition_time(0.25) == doctest::Approx(std::sqrt(2.0) * std::numbers::pi * std::exp(2.0)));
  CHECK_THROWS_AS(st::eyring_kramers_transition_time(-1), shiftcurv::domain_error);
}
