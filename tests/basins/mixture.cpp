// Gaussian-mixture (Laplace) weights, biases and higher-order basins against exact basin
// probabilities (steady_state_1d, itself checked against brute force in steady_state_1d.cpp)
// and against direct quadrature written here.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include <Eigen/Eigenvalues>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/quadrature/tanh_sinh.hpp>

#include "shiftcurv/basins/gaussian_mixture.hpp"
#include "shiftcurv/basins/higher_order.hpp"
#include "shiftcurv/basins/steady_state_1d.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/scalar_field.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"
#include "random_matrices.hpp"

namespace sc = shiftcurv;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {
VectorXd v1(double x) { return VectorXd::Constant(1, x); }

// U = ½hθ² + cθ³: minimum at 0 with U''' = 6c ≠ 0, so the first-order bias has an O(T²) error.
struct cubic {
  double h, c;
  template <class S>
  S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& x) const {
    return S(0.5 * h) * x(0) * x(0) + S(c) * x(0) * x(0) * x(0);
  }
};
// U = a(θ+1)⁴(θ−1)²: a quartic (J = 4) minimum at −1, a quadratic one at 1, barrier at 1/3.
struct quartic_quadratic {
  double a;
  template <class S>
  S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& x) const {
    const S p = x(0) + S(1), q = x(0) - S(1);
    return S(a) * p * p * p * p * q * q;
  }
};
// U = wells(θ0) + ½kθ1²: separable, so a 2-D mixture must reproduce the 1-D one.
struct separable {
  sc::gaussian_wells_1d w;
  double k;
  template <class S>
  S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& x) const {
    return w.at(x(0)) + S(0.5 * k) * x(1) * x(1);
  }
};
// U = (θ0² − 1)²/4 + ½ yᵀAy (y = θ1..): two minima, dense Hessian, analytic derivatives.
struct dense_double_well {
  MatrixXd A;  // (p−1)×(p−1) SPD
  double operator()(const VectorXd& x) const {
    const auto y = x.tail(x.size() - 1);
    return 0.25 * (x(0) * x(0) - 1) * (x(0) * x(0) - 1) + 0.5 * y.dot(A * y);
  }
  VectorXd gradient(const VectorXd& x) const {
    VectorXd g(x.size());
    g(0) = x(0) * (x(0) * x(0) - 1);
    g.tail(x.size() - 1) = A * x.tail(x.size() - 1);
    return g;
  }
  MatrixXd hessian(const VectorXd& x) const {
    MatrixXd H = MatrixXd::Zero(x.size(), x.size());
    H(0, 0) = 3 * x(0) * x(0) - 1;
    H.bottomRightCorner(x.size() - 1, x.size() - 1) = A;
    return H;
  }
};
MatrixXd random_spd(int n, unsigned seed) {
  test_support::fixture_rng rng(seed);
  const MatrixXd B = test_support::uniform_matrix(n, n, rng);
  return B * B.transpose() / n + MatrixXd::Identity(n, n);
}
}  // namespace

TEST_CASE("Laplace weights -> exact basin probabilities as T -> 0 with O(T) error") {
  // Figure 4 wells with D = 0.01 + 0.002θ (position dependent, so µ ≠ θ_k).  The wide basin's
  // relative error w/P − 1 is O(T): halving T halves it (measured ratios 2.06, 2.03, 2.01, 2.0);
  // we require ratios in [1.8, 2.2] and |w/P − 1| ≤ 0.02·T (measured 1.1e-2·T).
  sc::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5});
  auto dfield = [](const auto& x) { return 0.01 + 0.002 * x(0); };
  sc::scalar_field_diffusion D{dfield};
  const std::vector<VectorXd> seeds{v1(-0.9), v1(0.9)};
  std::vector<double> err;
  const std::vector<double> Ts{0.4, 0.2, 0.1, 0.05};
  for (double T : Ts) {
    CAPTURE(T);
    const sc::steady_state_1d ss(U, D, T, -4, 4);
    const auto gm = sc::gaussian_mixture(U, D, T, seeds);
    REQUIRE(gm.ok());
    REQUIRE(gm.components.size() == 2);
    CHECK(gm.components[0].theta_train(0) < 0);  // each seed kept its own basin
    CHECK(gm.components[1].theta_train(0) > 0);
    const auto r = sc::laplace_ratio_1d(gm, ss);
    err.push_back(std::abs(r[1] - 1));
    CHECK(err.back() < 0.02 * T);
    CHECK(std::abs(r[0] - 1) < 0.02 * T);
    // Validity diagnostics: width against the distance to the barrier (the maximum of v
    // between the wells, within O(T) of U's maximum −0.6237; checked to 1e-2).
    for (const auto& c : gm.components) {
      // width = √(T/(2v''(µ))), v''(µ) = U''(µ)/D(µ) at the zero of V (D'' = 0): closed form,
      // to the 1e-9 of the finite-difference divergence Jacobian.
      const double mu = c.mu(0), w = std::sqrt(0.5 * T * (0.01 + 0.002 * mu) / U.derivative(mu, 2));
      CHECK(std::abs(c.width - w) < 1e-8 * w);
      CHECK(c.width_ratio > 0);
      CHECK(c.width_ratio < 0.6);  // separated basins at these T: not flagged
      CHECK(c.status == sc::status::success);
    }
    CHECK(std::abs(gm.components[0].barrier_distance - (ss.basins()[0].upper - gm.components[0].mu(0))) < 1e-2);
    CHECK(std::abs(gm.components[1].barrier_distance - (gm.components[1].mu(0) - ss.basins()[1].lower)) < 1e-2);
    CHECK(std::abs(gm.components[0].weight + gm.components[1].weight - 1) < 1e-15);
  }
  for (std::size_t i = 0; i + 1 < err.size(); ++i) {
    CHECK(err[i] / err[i + 1] > 1.8);
    CHECK(err[i] / err[i + 1] < 2.2);
  }
}

TEST_CASE("bias: exact θ_k − µ_k in closed form, first-order formula to O(T²)") {
  // U = ½hθ² + cθ³, D = a + bθ: µ solves hµ + 3cµ² + Tb/2 = 0, µ = (−h + √(h² − 6cTb))/(6c);
  // the first-order bias is Tb/(2h); their difference is 3cµ²/h + ... = O(T²).
  const double h = 1.0, c = 0.3, a = 0.5, b = 0.4;
  auto dfield = [=](const auto& x) { return a + b * x(0); };
  sc::scalar_field_diffusion D{dfield};
  const cubic U{h, c};
  std::vector<double> diff;
  for (double T : {0.2, 0.1, 0.05, 0.025}) {
    CAPTURE(T);
    const auto gm = sc::gaussian_mixture(U, D, T, {v1(0.1)});
    REQUIRE(gm.ok());
    const auto& k = gm.components[0];
    const double mu = (-h + std::sqrt(h * h - 6 * c * T * b)) / (6 * c);
    CHECK(std::abs(k.theta_train(0)) < 1e-15);
    CHECK(std::abs(k.mu(0) - mu) < 1e-14);             // Newton polished to rounding
    CHECK(std::abs(k.bias(0) + mu) < 1e-14);
    CHECK(std::abs(k.bias_first_order(0) - T * b / (2 * h)) < 1e-14 * T);
    // Σ = (T/2)/v''(µ), v'' = (U''(µ) + 0)/D(µ) at the zero of V (D'' = 0).
    CHECK(std::abs(k.covariance(0, 0) - 0.5 * T * (a + b * mu) / (h + 6 * c * mu)) < 1e-9 * k.covariance(0, 0));
    diff.push_back(std::abs(k.bias(0) - k.bias_first_order(0)));
  }
  for (std::size_t i = 0; i + 1 < diff.size(); ++i) {
    CAPTURE(i);
    CHECK(diff[i] / diff[i + 1] > 3.8);  // O(T²): ratio → 4 when T halves
    CHECK(diff[i] / diff[i + 1] < 4.4);
  }
}

TEST_CASE("log-sum-exp normalization: no NaN as T -> 0 or for weights 1e-300 apart") {
  // Figure 4 left at T = 1e-5: log w_right ≈ −(2/T)·ΔU/c ≈ −8e5: weight exactly 0, log finite.
  sc::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5});
  sc::constant_diffusion D(1e-3, 1);
  for (double T : {1e-3, 1e-5}) {
    const auto gm = sc::gaussian_mixture(U, D, T, {v1(-1.0), v1(1.0)});
    REQUIRE(gm.ok());
    const auto& l = gm.components[0];
    const auto& r = gm.components[1];
    CHECK(l.weight == 1.0);
    CHECK(r.weight == 0.0);
    CHECK(std::isfinite(r.log_weight));
    CHECK(r.log_weight < -700);  // more than 10^300 apart
    // log w_r − log w_l = −(2/T)(v(µ_r) − v(µ_l)) − ½ log(v''_r/v''_l), with v = U/c (D const).
    const double want = -2 / T * (U.value(r.mu(0)) - U.value(l.mu(0))) / 1e-3 -
                        0.5 * std::log(U.derivative(r.mu(0), 2) / U.derivative(l.mu(0), 2));
    CHECK(std::abs((r.log_weight - l.log_weight) - want) < 1e-9 * std::abs(want));
  }
}

TEST_CASE("separable 2-D mixture reproduces the 1-D weights; p > 64 route gives the closed-form Σ") {
  sc::gaussian_wells_1d w({-1, 1}, {0.021, 0.1}, {0.1, 0.5});
  const double c = 1e-2, T = 0.3;
  const separable U2{w, 2.0};
  MatrixXd Dm(2, 2);
  Dm << c, 0, 0, 0.7;
  sc::constant_diffusion D2(Dm), D1(c, 1);
  const auto g2 = sc::gaussian_mixture(U2, D2, T, {(VectorXd(2) << -0.9, 0.2).finished(), (VectorXd(2) << 0.9, -0.1).finished()});
  const auto g1 = sc::gaussian_mixture(w, D1, T, {v1(-0.9), v1(0.9)});
  REQUIRE(g2.ok());
  REQUIRE(g1.ok());
  for (int k = 0; k < 2; ++k) {
    // Identical arithmetic up to the extra, common θ1 factor: agreement to rounding.
    CHECK(std::abs(g2.components[k].log_weight - g1.components[k].log_weight) < 1e-10);
    CHECK(std::abs(g2.components[k].covariance(1, 1) - 0.5 * T * 0.7 / 2.0) < 1e-14);
  }
  // p = 80 (Cholesky route, no eigen-decomposition): two minima θ0 = ±1, y = 0, D = c·I:
  // Σ = (Tc/2) H⁻¹ with H = diag(2, A); weights equal by symmetry.
  const int p = 80;
  const dense_double_well U{random_spd(p - 1, 7)};
  sc::constant_diffusion D(c, p);
  VectorXd s1 = VectorXd::Constant(p, 0.01), s2 = VectorXd::Constant(p, -0.01);
  s1(0) = 0.9;
  s2(0) = -1.1;
  const auto gp = sc::gaussian_mixture(U, D, T, {s1, s2});
  REQUIRE(gp.ok());
  MatrixXd H = MatrixXd::Zero(p, p);
  H(0, 0) = 2;
  H.bottomRightCorner(p - 1, p - 1) = U.A;
  const MatrixXd Sigma = 0.5 * T * c * H.inverse();
  for (const auto& k : gp.components) {
    CHECK((k.covariance - Sigma).norm() < 1e-12 * Sigma.norm());
    CHECK(k.mu.tail(p - 1).norm() < 1e-12);
    CHECK(std::abs(std::abs(k.mu(0)) - 1) < 1e-12);
    const double lmax = Eigen::SelfAdjointEigenSolver<MatrixXd>(Sigma).eigenvalues().maxCoeff();
    CHECK(std::abs(k.width - std::sqrt(lmax)) < 1e-10 * std::sqrt(lmax));  // Lanczos to 1e-12
    CHECK(std::abs(k.weight - 0.5) < 1e-12);
  }
}

TEST_CASE("higher-order masses: basin_log_mass and basin_variance against direct quadrature") {
  // ∫ exp(−(2/T) λ y^J / J!) dy by Boost's tanh-sinh on each half line (doubly-exponential
  // convergence on these entire functions): relative 1e-12.
  boost::math::quadrature::tanh_sinh<double> ts;
  for (int J : {2, 4, 6}) {
    for (double T : {1.0, 1e-3}) {
      CAPTURE(J);
      CAPTURE(T);
      const double lambda = 3.7, fact = std::tgamma(J + 1.0);
      auto f = [&](double y) { return std::exp(-2 / T * lambda * std::pow(y, J) / fact); };
      const double mass = 2 * ts.integrate(f, 0.0, std::numeric_limits<double>::infinity());
      const double m2 = 2 * ts.integrate([&](double y) { return y * y * f(y); }, 0.0,
                                          std::numeric_limits<double>::infinity());
      CHECK(std::abs(sc::basin_log_mass(0.0, T, {J}, {lambda}) - std::log(mass)) < 1e-12);
      CHECK(std::abs(sc::basin_variance(T, J, lambda) - m2 / mass) < 1e-12 * m2 / mass);
      // Product over directions: a 2-D basin of orders (2, J).
      const double m_2 = std::sqrt(std::numbers::pi * T / 1.3);
      CHECK(std::abs(sc::basin_log_mass(0.25, T, {2, J}, {1.3, lambda}) -
                     (-2 / T * 0.25 + std::log(m_2) + std::log(mass))) < 1e-12 * (1 + 0.5 / T));
    }
  }
}

TEST_CASE("a quartic (J = 4) basin next to a quadratic one: weights vs direct quadrature") {
  // U = a(θ+1)⁴(θ−1)², D = 1 on [−3, 3].  Exact basin masses ∫ exp(−(2/T)U) by tanh-sinh on
  // [−3, −1], [−1, 1/3], [1/3, 1], [1, 3] (ρ peaks at the ends of these pieces).  The quartic
  // weight's relative error is O(T^{1/2}) and the quadratic's is dominated by it; measured
  // |w/P − 1| at T = 1e-2, 1e-3, 1e-4: (4.0e-4, 4.4e-3), (7.4e-5, 1.4e-3), (9.8e-6, 3.4e-4).
  const quartic_quadratic U{1.0};
  sc::constant_diffusion D(1.0, 1);
  sc::gaussian_mixture_options opt;
  opt.max_order = 4;
  boost::math::quadrature::tanh_sinh<double> ts;
  double prev = 1;
  for (double T : {1e-2, 1e-3, 1e-4}) {
    CAPTURE(T);
    auto rho = [&](double t) { return std::exp(-2 / T * U(v1(t))); };
    const double left = ts.integrate(rho, -3.0, -1.0) + ts.integrate(rho, -1.0, 1.0 / 3);
    const double right = ts.integrate(rho, 1.0 / 3, 1.0) + ts.integrate(rho, 1.0, 3.0);
    const double pl = left / (left + right), pr = right / (left + right);
    const auto gm = sc::gaussian_mixture(U, D, T, {v1(-0.95), v1(0.95)}, opt);
    REQUIRE(gm.ok());
    const auto& q = gm.components[0];
    const auto& d = gm.components[1];
    CHECK(q.orders[0] == 4);
    CHECK(d.orders[0] == 2);
    CHECK(std::abs(q.lambdas(0) - 96.0) < 0.1);   // U'''' at −1 is 24·a·(−2)² = 96
    CHECK(std::abs(d.lambdas(0) - 32.0) < 1e-6);  // U'' at 1 is 2·a·2⁴ = 32
    const double eq = std::abs(q.weight / pl - 1), ed = std::abs(d.weight / pr - 1);
    CHECK(eq < 0.05 * std::sqrt(T));
    CHECK(ed < 0.05 * std::sqrt(T));
    CHECK(eq < prev);
    prev = eq;
  }
  // Without higher orders the flat basin's Laplace width (√(T/(2v'')) with v'' ≈ 0) dwarfs
  // the distance to the barrier: flagged by the validity diagnostic, never a NaN weight.
  const auto flat = sc::gaussian_mixture(U, D, 1e-3, {v1(-0.95), v1(0.95)});
  CHECK(!flat.ok());
  CHECK(flat.components[0].status == sc::status::assumption_violated);
  CHECK(flat.components[0].width_ratio > 1);
  CHECK(flat.components[1].status == sc::status::success);
  for (const auto& c : flat.components) CHECK(!std::isnan(c.weight));
}

namespace {
struct tilted_quartic {  // u = x⁴/4 − x²/2 + εx
  double eps = 0.05;
  template <class S>
  S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& x) const {
    return S(0.25) * x(0) * x(0) * x(0) * x(0) - S(0.5) * x(0) * x(0) + S(eps) * x(0);
  }
  double u(double x) const { return 0.25 * x * x * x * x - 0.5 * x * x + eps * x; }
  double root(double x) const {
    for (int i = 0; i < 100; ++i) x -= (x * x * x - x + eps) / (3 * x * x - 1);
    return x;
  }
};
}  // namespace

TEST_CASE("the status rule: a failed component gets weight 0, the others are renormalized") {
  // Seeds at the two minima and at the maximum between them (refine_train_minima off): the
  // zero of V found from the maximum is not a minimum of v (not_converged: FAILED), so its
  // weight is 0 and the two minima share weight 1 as in the closed form for a constant D = d:
  // log(w_r/w_l) = −(2/T)(u_r − u_l)/d − ½ log(u''_r/u''_l).
  const tilted_quartic U;
  const double d = 0.5, T = 0.1;
  sc::constant_diffusion D(d, 1);
  const double xl = U.root(-1.0), xm = U.root(0.0), xr = U.root(1.0);
  sc::gaussian_mixture_options o;
  o.refine_train_minima = false;
  const auto gm = sc::gaussian_mixture(U, D, T, {v1(xl), v1(xm), v1(xr)}, o);
  REQUIRE(gm.components.size() == 3);
  CHECK(sc::is_failure(gm.components[1].status));
  CHECK(sc::is_failure(gm.status));
  CHECK(gm.components[1].weight == 0.0);
  CHECK(gm.message.find("component 1 failed") != std::string::npos);
  CHECK(gm.message.find("renormalized") != std::string::npos);
  CHECK(!sc::is_failure(gm.components[0].status));
  CHECK(!sc::is_failure(gm.components[2].status));
  CHECK(std::abs(gm.components[0].weight + gm.components[2].weight - 1) < 1e-15);
  const double want = -2 / T * (U.u(xr) - U.u(xl)) / d - 0.5 * std::log((3 * xr * xr - 1) / (3 * xl * xl - 1));
  CHECK(std::abs((gm.components[2].log_weight - gm.components[0].log_weight) - want) < 1e-9 * std::abs(want));
}

TEST_CASE("gaussian_mixture / basin_log_mass bad input throws the documented types") {
  sc::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5});
  sc::constant_diffusion D(1e-3, 1);
  CHECK_THROWS_AS(sc::gaussian_mixture(U, D, 0.1, {}), sc::invalid_argument);
  CHECK_THROWS_AS(sc::gaussian_mixture(U, D, 0.1, {v1(std::numeric_limits<double>::quiet_NaN())}), sc::invalid_argument);
  CHECK_THROWS_AS(sc::gaussian_mixture(U, D, 0.0, {v1(1.0)}), sc::domain_error);
  CHECK_THROWS_AS(sc::gaussian_mixture(U, D, 0.1, {v1(1.0), VectorXd::Zero(2)}), sc::invalid_argument);
  sc::gaussian_mixture_options o;
  o.reference = 3;
  CHECK_THROWS_AS(sc::gaussian_mixture(U, D, 0.1, {v1(1.0)}, o), sc::invalid_argument);
  o.reference = 0;
  o.max_order = 3;
  CHECK_THROWS_AS(sc::gaussian_mixture(U, D, 0.1, {v1(1.0)}, o), sc::invalid_argument);
  CHECK_THROWS_AS(sc::basin_log_mass(0.0, 0.1, {3}, {1.0}), sc::invalid_argument);
  CHECK_THROWS_AS(sc::basin_log_mass(0.0, 0.1, {2}, {-1.0}), sc::domain_error);
  CHECK_THROWS_AS(sc::basin_log_mass(0.0, -0.1, {2}, {1.0}), sc::domain_error);
  CHECK_THROWS_AS(sc::basin_log_mass(0.0, 0.1, {2, 4}, {1.0}), sc::invalid_argument);
  CHECK_THROWS_AS(sc::basin_variance(0.1, 4, 0.0), sc::domain_error);
  // laplace_ratio_1d: components that are not 1-D, an empty mixture; messages name it.
  const sc::steady_state_1d ss(U, D, 0.1, -4, 4);
  sc::gaussian_mixture_result two_d;
  two_d.components.resize(1);
  two_d.components[0].theta_train = VectorXd::Zero(2);
  CHECK_THROWS_AS(sc::laplace_ratio_1d(two_d, ss), sc::invalid_argument);
  CHECK_THROWS_AS(sc::laplace_ratio_1d(sc::gaussian_mixture_result{}, ss), sc::invalid_argument);
  try {
    sc::laplace_ratio_1d(two_d, ss);
  } catch (const sc::invalid_argument& e) {
    CHECK(std::string(e.what()).rfind("shiftcurv::laplace_ratio_1d:", 0) == 0);
  }
  // gaussian_mixture: errors name it, also for an option checked deep inside (find_minimum).
  sc::gaussian_mixture_options bad;
  bad.minimize.max_iterations = 0;
  try {
    sc::gaussian_mixture(U, D, 0.1, {v1(1.0)}, bad);
    FAIL("no exception");
  } catch (const sc::invalid_argument& e) {
    CHECK(std::string(e.what()).rfind("shiftcurv::gaussian_mixture:", 0) == 0);
  }
}
