// Derivative routes against closed forms: AD to 1e-12 relative, finite differences to the
// tolerances documented in derivatives.hpp.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"

namespace sc = shiftcurv;

namespace {
// f(θ) = exp(θ0 θ1) + θ0² sin θ2 + log(1 + θ1²)
struct test_fn_templated {
  template <class S>
  S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& t) const {
    using std::exp; using std::log; using std::sin;
    return exp(t(0) * t(1)) + t(0) * t(0) * sin(t(2)) + log(S(1) + t(1) * t(1));
  }
};
struct test_fn_values {
  double operator()(const Eigen::VectorXd& t) const { return test_fn_templated{}(t); }
};
struct test_fn_gradient : test_fn_values {
  Eigen::VectorXd gradient(const Eigen::VectorXd& t) const;
};
struct fixed_fn {
  template <class Derived>
  typename Derived::Scalar operator()(const Eigen::MatrixBase<Derived>& t) const { return t(0) * t(0) * t(1); }
};

Eigen::VectorXd exact_gradient(const Eigen::VectorXd& t) {
  const double e = std::exp(t(0) * t(1));
  Eigen::VectorXd g(3);
  g << t(1) * e + 2 * t(0) * std::sin(t(2)), t(0) * e + 2 * t(1) / (1 + t(1) * t(1)), t(0) * t(0) * std::cos(t(2));
  return g;
}
Eigen::MatrixXd exact_hessian(const Eigen::VectorXd& t) {
  const double e = std::exp(t(0) * t(1)), q = 1 + t(1) * t(1);
  Eigen::MatrixXd H(3, 3);
  H(0, 0) = t(1) * t(1) * e + 2 * std::sin(t(2));
  H(0, 1) = H(1, 0) = e + t(0) * t(1) * e;
  H(0, 2) = H(2, 0) = 2 * t(0) * std::cos(t(2));
  H(1, 1) = t(0) * t(0) * e + (2 * q - 4 * t(1) * t(1)) / (q * q);
  H(1, 2) = H(2, 1) = 0;
  H(2, 2) = -t(0) * t(0) * std::sin(t(2));
  return H;
}
Eigen::VectorXd test_fn_gradient::gradient(const Eigen::VectorXd& t) const { return exact_gradient(t); }

double rel_err(const Eigen::MatrixXd& got, const Eigen::MatrixXd& want) {
  return (got - want).cwiseAbs().maxCoeff() / std::max(1.0, want.cwiseAbs().maxCoeff());
}
Eigen::VectorXd point() {
  Eigen::VectorXd t(3);
  t << 0.4, -0.9, 1.2;
  return t;
}
}  // namespace

static_assert(sc::gradient_route<test_fn_templated> == sc::route::automatic);
static_assert(sc::gradient_route<test_fn_values> == sc::route::finite_difference);
static_assert(sc::gradient_route<test_fn_gradient> == sc::route::analytic);
static_assert(sc::hessian_route<test_fn_gradient> == sc::route::finite_difference);
static_assert(sc::hessian_route<sc::gaussian_wells_1d> == sc::route::analytic);
static_assert(sc::hvp_route<test_fn_templated> == sc::route::automatic);

TEST_CASE("automatic differentiation matches closed forms to 1e-12 relative") {
  const auto t = point();
  const Eigen::VectorXd v = (Eigen::VectorXd(3) << 0.3, -1.1, 0.5).finished();
  CHECK(rel_err(sc::gradient(test_fn_templated{}, t), exact_gradient(t)) < 1e-12);
  CHECK(rel_err(sc::hessian(test_fn_templated{}, t), exact_hessian(t)) < 1e-12);
  CHECK(rel_err(sc::hvp(test_fn_templated{}, t, v), exact_hessian(t) * v) < 1e-12);
}

TEST_CASE("automatic differentiation works for fixed-size vectors") {
  Eigen::Vector2d t(1.5, -2.0);
  // f = θ0²θ1: every product below is exact in binary floating point, so AD is exact.
  const Eigen::Vector2d g = sc::gradient(fixed_fn{}, t);
  CHECK(g(0) == 2 * 1.5 * -2.0);
  CHECK(g(1) == 1.5 * 1.5);
  const Eigen::Matrix2d H = sc::hessian(fixed_fn{}, t);
  CHECK(H(0, 0) == -4.0);
  CHECK(H(0, 1) == 3.0);
  CHECK(H(1, 0) == 3.0);
  CHECK(H(1, 1) == 0.0);
}

TEST_CASE("finite differences meet their documented tolerances") {
  const auto t = point();
  const Eigen::VectorXd v = (Eigen::VectorXd(3) << 0.3, -1.1, 0.5).finished();
  // First differences: error ≈ ε^{2/3}·scale ≈ 1e-10; asserted at 1e-7.
  const double eg = rel_err(sc::gradient(test_fn_values{}, t), exact_gradient(t));
  CHECK(eg < 1e-7);
  CHECK(eg > 0);  // it really is a finite-difference route
  CHECK(rel_err(sc::hessian(test_fn_gradient{}, t), exact_hessian(t)) < 1e-7);
  CHECK(rel_err(sc::hvp(test_fn_gradient{}, t, v), exact_hessian(t) * v) < 1e-7);
  // Second differences of values: error ≈ ε^{1/2}·scale ≈ 1e-8; asserted at 1e-5.
  CHECK(rel_err(sc::hessian(test_fn_values{}, t), exact_hessian(t)) < 1e-5);
  CHECK(rel_err(sc::hvp(test_fn_values{}, t, v), exact_hessian(t) * v) < 1e-5);
}

namespace {
// d^k/dx^k of U = c x^2 - sum_i w_i N(x; m_i, s_i^2), written out here from g = exp(-u^2/(2 s^2)),
// u = x - m:  g' = -(u/s^2) g,  g'' = (u^2/s^4 - 1/s^2) g,  g^(3) = (3u/s^4 - u^3/s^6) g.
double wells_derivative(double x, int k) {
  const double m[2] = {-1, 1}, w[2] = {0.021, 0.1}, s[2] = {0.1, 0.5}, c = 0.01;
  double d = k == 1 ? 2 * c * x : (k == 2 ? 2 * c : 0.0);
  for (int i = 0; i < 2; ++i) {
    const double u = x - m[i], s2 = s[i] * s[i];
    const double g = std::exp(-u * u / (2 * s2)) / (s[i] * std::sqrt(2 * std::numbers::pi));
    const double gk = k == 1   ? -u / s2 * g
                      : k == 2 ? (u * u / (s2 * s2) - 1 / s2) * g
                               : (3 * u / (s2 * s2) - u * u * u / (s2 * s2 * s2)) * g;
    d -= w[i] * gk;
  }
  return d;
}
double rel(double got, double want) { return std::abs(got - want) / std::abs(want); }
}  // namespace

TEST_CASE("the analytic route of the Gaussian wells agrees with AD and with closed forms") {
  sc::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5}, 0.01);
  for (double x : {-1.05, -0.3, 0.1, 0.7, 1.4}) {
    Eigen::VectorXd t(1);
    t << x;
    // AD through the templated operator() (bypassing the analytic member), and the closed form
    // above: both agree with the analytic member to rounding (a few ulps of the largest term).
    const double ad1 = sc::detail::ad_gradient(U, t)(0);
    const double ad2 = sc::detail::ad_hessian(U, t)(0, 0);
    CHECK(rel(U.derivative(x, 1), ad1) < 1e-12);
    CHECK(rel(U.derivative(x, 2), ad2) < 1e-12);
    for (int k = 1; k <= 3; ++k) CHECK(rel(U.derivative(x, k), wells_derivative(x, k)) < 1e-12);
  }
}

TEST_CASE("a loss that declares its dimension: theta of another size throws naming the function") {
  // The case: a 2-D loss handed a 3-vector (silently a 3-vector gradient before) or a
  // 1-vector (an Eigen assertion before).  quadratic and gaussian_wells declare dimension() = 2.
  Eigen::Matrix2d H;
  H << 2, 0.5, 0.5, 1;
  const sc::quadratic q(H);
  const sc::gaussian_wells wells({Eigen::Vector2d(-1, 0), Eigen::Vector2d(1, 0)}, {1.0, 0.5},
                                 {Eigen::MatrixXd::Identity(2, 2), 0.5 * Eigen::MatrixXd::Identity(2, 2)});
  CHECK(q.dimension() == 2);
  CHECK(wells.dimension() == 2);
  for (Eigen::Index n : {1, 3}) {
    const Eigen::VectorXd t = Eigen::VectorXd::Constant(n, 0.3);
    const std::string size = "theta has size " + std::to_string(n) +
                             ", but the loss (or diffusion model) declares dimension() = 2";
    const std::string mg = "shiftcurv::gradient: " + size, mv = "shiftcurv::value: " + size,
                      mh = "shiftcurv::hessian: " + size, mp = "shiftcurv::hvp: " + size;
    CHECK_THROWS_WITH_AS(sc::gradient(q, t), doctest::Contains(mg.c_str()), sc::invalid_argument);
    CHECK_THROWS_WITH_AS(sc::gradient(wells, t), doctest::Contains(mg.c_str()), sc::invalid_argument);
    CHECK_THROWS_WITH_AS(sc::value(wells, t), doctest::Contains(mv.c_str()), sc::invalid_argument);
    CHECK_THROWS_WITH_AS(sc::hessian(wells, t), doctest::Contains(mh.c_str()), sc::invalid_argument);
    CHECK_THROWS_WITH_AS(sc::hvp(q, t, Eigen::VectorXd::Ones(n)), doctest::Contains(mp.c_str()),
                         sc::invalid_argument);
  }
  // The right size passes: grad U = H theta.
  const Eigen::VectorXd t = Eigen::Vector2d(0.3, -0.2);
  CHECK((sc::gradient(q, t) - H * t).norm() == 0.0);
  CHECK_THROWS_WITH_AS(sc::gradient(q, Eigen::VectorXd()), doctest::Contains("shiftcurv::gradient: theta must not be empty"),
                       sc::invalid_argument);
}

TEST_CASE("bad input throws shiftcurv::invalid_argument naming the function and the value") {
  Eigen::VectorXd t = point();
  t(1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(sc::gradient(test_fn_templated{}, t), sc::invalid_argument);
  CHECK_THROWS_WITH(sc::gradient(test_fn_templated{}, t), doctest::Contains("shiftcurv::gradient: theta"));
  CHECK_THROWS_AS(sc::hessian(test_fn_values{}, t), sc::invalid_argument);
  t(1) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(sc::value(test_fn_values{}, t), sc::invalid_argument);
  const Eigen::VectorXd v2 = Eigen::VectorXd::Ones(2);
  CHECK_THROWS_WITH_AS(sc::hvp(test_fn_templated{}, point(), v2), doctest::Contains("v has size 2, expected 3"),
                       sc::invalid_argument);
  // The exception types derive from the standard ones.
  CHECK_THROWS_AS(sc::gradient(test_fn_templated{}, t), std::invalid_argument);
}
