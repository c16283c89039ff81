// The public testing helpers: the order estimator on exact power laws, the Monte Carlo
// tolerance helpers, and the analytic references against independent computations.
#include <doctest/doctest.h>

#include <cmath>
#include <type_traits>
#include <vector>

#include <numbers>

#include <Eigen/Eigenvalues>
#include <boost/math/quadrature/gauss_kronrod.hpp>

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
  CHECK(std::abs(e.mean - 2.5) <= 1e-15);
  CHECK(std::abs(e.standard_error - std::sqrt((5.0 / 3) / 4)) <= 1e-15);  // √(s²/n), s² = 5/3
  CHECK(st::within_mc(e, 2.5 + 4 * e.standard_error));
  CHECK(!st::within_mc(e, 2.5 + 5 * e.standard_error));
  CHECK(st::within_mc(e, 2.5 + 5 * e.standard_error, 4.5, e.standard_error));
  CHECK(std::abs(st::binomial_standard_error(0.5, 100) - 0.05) <= 1e-16);
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

namespace {
// Itô's formula for an exact solution u = F(t, W(t)): the drift is ∂_t F + ½ ∂²_W F and the
// diffusion ∂_W F, here by central differences of the problem's exact() (h = 1e-4: truncation
// ~h²·|∂⁴F| ≈ 1e-9, rounding ~ε|F|/h² ≈ 2e-8), against the problem's own system().
template <class Problem>
void check_ito(const Problem& pr, double t, double w) {
  auto F = [&](double tt, double ww) {
    Eigen::VectorXd W(1);
    W << ww;
    return pr.exact(W, tt)(0);
  };
  const double h = 1e-4, u = F(t, w);
  const double Ft = (F(t + h, w) - F(t - h, w)) / (2 * h);
  const double Fw = (F(t, w + h) - F(t, w - h)) / (2 * h);
  const double Fww = (F(t, w + h) - 2 * u + F(t, w - h)) / (h * h);
  const auto sys = pr.system();
  st::scalar_state x, f, g;
  x(0) = u;
  if constexpr (std::is_invocable_v<decltype(sys.first), const st::scalar_state&, st::scalar_state&, double>) {
    sys.first(x, f, t);
    sys.second(x, g, t);
  } else {
    sys.first(x, f);
    sys.second(x, g);
  }
  INFO("t = " << t << ", W = " << w << ": drift " << f(0) << " vs " << Ft + 0.5 * Fww << ", diffusion " << g(0)
              << " vs " << Fw);
  CHECK(std::abs(Ft + 0.5 * Fww - f(0)) <= 1e-6 * (1 + std::abs(f(0))));
  CHECK(std::abs(Fw - g(0)) <= 1e-6 * (1 + std::abs(g(0))));
}

// E F(t, W) for W ~ N(0, t) by Gauss–Kronrod over ±12 standard deviations (tail < e^{−72}).
template <class Problem>
double exact_mean(const Problem& pr, double t) {
  const double s = std::sqrt(t);
  auto integrand = [&](double w) {
    Eigen::VectorXd W(1);
    W << w;
    return pr.exact(W, t)(0) * std::exp(-0.5 * w * w / t) / (s * std::sqrt(2 * std::numbers::pi));
  };
  return boost::math::quadrature::gauss_kronrod<double, 61>::integrate(integrand, -12 * s, 12 * s, 15, 1e-14);
}
}  // namespace

TEST_CASE("reference problems: exact solutions satisfy Itô's formula for their SDEs; closed-form means") {
  const st::geometric_brownian_motion gbm;
  const st::cubic_problem cubic;
  const st::additive_noise_problem add;
  for (double t : {0.3, 0.7}) {
    for (double w : {-0.8, 0.0, 0.5}) {
      check_ito(gbm, t, w);
      check_ito(cubic, t, w);
      check_ito(add, t, w);
    }
  }
  // means: quadrature of the exact solution over W ~ N(0, t) against the closed forms (1e-10)
  for (double t : {0.3, 0.7}) {
    CHECK(std::abs(exact_mean(gbm, t) - gbm.mean(t)) <= 1e-10 * gbm.mean(t));
    CHECK(std::abs(exact_mean(add, t) - add.mean(t)) <= 1e-10 * std::abs(add.mean(t)));
  }
  // initial values: W(0) = 0
  Eigen::VectorXd W0(1);
  W0 << 0.0;
  CHECK(std::abs(cubic.exact(W0, 0.0)(0) - cubic.u0) <= 1e-15);
  CHECK(std::abs(add.exact(W0, 0.0)(0) - add.x0) <= 1e-15);
  // Eyring–Kramers for U = θ⁴/4 − θ²/2, d = 1: 2π/√(U''(±1)·|U''(0)|)·e^{2ΔU/T} with ΔU = 1/4,
  // U''(±1) = 2, U''(0) = −1, i.e. √2·π·e^{1/(2T)}.
  const double T = 0.25, ek = std::sqrt(2.0) * std::numbers::pi * std::exp(0.5 / T);
  CHECK(std::abs(st::eyring_kramers_transition_time(T) - ek) <= 1e-13 * ek);
  CHECK_THROWS_AS(st::eyring_kramers_transition_time(-1), shiftcurv::domain_error);
}
