// Minima of U (1-D scans) and of v (zeros of V) against closed forms; find_minimum itself is
// tested in tests/optimize/find_minimum.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>

#include "shiftcurv/basins/minima.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/scalar_field.hpp"
#include "shiftcurv/synthetic/closed_forms.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"

namespace sc = shiftcurv;
using Eigen::VectorXd;

namespace {
VectorXd vec(std::initializer_list<double> xs) {
  VectorXd v(static_cast<Eigen::Index>(xs.size()));
  Eigen::Index i = 0;
  for (double x : xs) v(i++) = x;
  return v;
}
struct cos3 {  // U = cos 3θ: minima at ±π/3, maximum at 0 inside [−2, 2]
  template <class S>
  S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& x) const {
    using std::cos;
    return cos(S(3) * x(0));
  }
};
struct linear {  // no minimum
  template <class S>
  S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& x) const { return x(0); }
};
}  // namespace

TEST_CASE("local_minima_1d / local_maxima_1d against closed forms and bisection") {
  const auto mins = sc::local_minima_1d(cos3{}, -2.0, 2.0);
  const auto maxs = sc::local_maxima_1d(cos3{}, -2.0, 2.0);
  REQUIRE(mins.size() == 2);
  REQUIRE(maxs.size() == 1);
  // TOMS 748 to a bracket of a few ulps: 1e-13 absolute is the brief's requirement.
  CHECK(std::abs(mins[0] + std::numbers::pi / 3) < 1e-13);
  CHECK(std::abs(mins[1] - std::numbers::pi / 3) < 1e-13);
  CHECK(std::abs(maxs[0]) < 1e-13);
  // Figure 6 right (three wells): minima near −1, 0, 1; reference by bisection on U'.
  sc::gaussian_wells_1d U({-1, 0, 1}, {0.1, 0.051, 0.3}, {0.1, 0.05, 0.3});
  const auto m3 = sc::local_minima_1d(U, -4.0, 4.0);
  const auto x3 = sc::local_maxima_1d(U, -4.0, 4.0);
  REQUIRE(m3.size() == 3);
  REQUIRE(x3.size() == 2);
  auto bisect = [&](double a, double b) {
    for (int i = 0; i < 200; ++i) {
      const double m = 0.5 * (a + b);
      if ((U.derivative(m, 1) < 0) == (U.derivative(a, 1) < 0)) a = m; else b = m;
    }
    return 0.5 * (a + b);
  };
  CHECK(std::abs(m3[0] - bisect(-1.3, -0.7)) < 1e-13);
  CHECK(std::abs(m3[1] - bisect(-0.2, 0.2)) < 1e-13);
  CHECK(std::abs(m3[2] - bisect(0.7, 1.3)) < 1e-13);
  CHECK(std::abs(x3[0] - bisect(-0.8, -0.1)) < 1e-13);
  CHECK(std::abs(x3[1] - bisect(0.1, 0.8)) < 1e-13);
  CHECK_THROWS_AS(sc::local_minima_1d(U, 1.0, 1.0), sc::invalid_argument);
  CHECK_THROWS_AS(sc::local_maxima_1d(U, std::numeric_limits<double>::quiet_NaN(), 1.0), sc::invalid_argument);
  CHECK_THROWS_AS(sc::local_minima_1d(U, -1.0, 1.0, 2), sc::invalid_argument);
}

TEST_CASE("find_potential_minimum: zeros of V against closed forms") {
  // U = ½hθ², D = a + bθ: U' + (T/2)D' = hθ + (T/2)b = 0 at µ = −Tb/(2h) exactly.
  const double h = 2.0, a = 0.5, b = 0.3, T = 0.2;
  sc::quadratic U(Eigen::MatrixXd::Constant(1, 1, h));
  auto dfield = [a, b](const auto& x) { return a + b * x(0); };
  sc::scalar_field_diffusion D{dfield};
  const auto mu = sc::find_potential_minimum(U, D, T, vec({0.0}));
  CHECK(mu.ok());
  CHECK(std::abs(mu.theta(0) + T * b / (2 * h)) < 1e-14);
  CHECK(std::abs(mu.gradient(0)) < 1e-14);
  // value = v(µ) − v(seed) = ∫_0^µ hθ/(a + bθ) dθ + (T/2) log(D(µ)/D(0)), in closed form
  // (h/b)µ − (ha/b²) log(D(µ)/a) + (T/2) log(D(µ)/a).
  const double m = mu.theta(0), lr = std::log((a + b * m) / a);
  const double want = h / b * m - h * a / (b * b) * lr + T / 2 * lr;
  CHECK(std::abs(mu.value - want) < 1e-12 * std::abs(want));
  // B.1 case 1 in 2-D: v = (1 + T/2) log U has its minimum where U does, at 0.
  Eigen::MatrixXd H(2, 2);
  H << 2.0, 0.6, 0.6, 1.0;
  sc::b1_case1 c1(H, 0.4);
  const auto mu2 = sc::find_potential_minimum(c1.loss, c1.noise, 0.3, vec({0.3, -0.2}));
  CHECK(mu2.ok());
  CHECK(mu2.theta.norm() < 1e-12);
  CHECK_THROWS_AS(sc::find_potential_minimum(U, D, 0.0, vec({0.0})), sc::domain_error);
  CHECK_THROWS_AS(sc::find_potential_minimum(U, D, 0.1, vec({std::numeric_limits<double>::quiet_NaN()})),
                  sc::invalid_argument);
  CHECK_THROWS_AS(sc::find_minimum(U, VectorXd()), sc::invalid_argument);
  sc::find_minimum_options bad;
  bad.max_iterations = 0;
  CHECK_THROWS_AS(sc::find_minimum(U, vec({1.0}), bad), sc::invalid_argument);
}

namespace {
// D(θ) = [[1, 2], [2, 1]] everywhere: eigenvalues 3 and −1, not positive definite.
struct indefinite_field {
  Eigen::MatrixXd operator()(const VectorXd&) const {
    Eigen::MatrixXd D(2, 2);
    D << 1, 2, 2, 1;
    return D;
  }
};
}  // namespace

TEST_CASE("minima: messages name the function called, or the caller passed in by a wrapper") {
  Eigen::MatrixXd H(2, 2);
  H << 2.0, 0.6, 0.6, 1.0;
  const sc::quadratic U(H);  // declares dimension 2
  const sc::constant_diffusion D(0.5, 2);
  const VectorXd three = vec({0.1, 0.2, 0.3});
  CHECK_THROWS_WITH_AS(sc::find_minimum(U, three),
                       "shiftcurv::find_minimum: seed has size 3, but the loss (or diffusion model) declares dimension() = 2",
                       sc::invalid_argument);
  CHECK_THROWS_WITH_AS(sc::find_potential_minimum(U, D, 0.1, three),
                       "shiftcurv::find_potential_minimum: seed has size 3, but the loss (or diffusion model) declares dimension() = 2",
                       sc::invalid_argument);
  CHECK_THROWS_WITH_AS(sc::local_minima_1d(U, -1.0, 1.0),
                       "shiftcurv::local_minima_1d: theta has size 1, but the loss (or diffusion model) declares dimension() = 2",
                       sc::invalid_argument);
  // An indefinite D: the public function names itself; a wrapper (gaussian_mixture) passes its name.
  const sc::matrix_field_diffusion<indefinite_field> bad{indefinite_field{}};
  CHECK_THROWS_WITH_AS(sc::find_potential_minimum(U, bad, 0.1, vec({0.1, 0.2})),
                       doctest::Contains("shiftcurv::find_potential_minimum: D(theta) must be positive definite, but its smallest eigenvalue is -1 "),
                       sc::domain_error);
  CHECK_THROWS_WITH_AS(sc::detail::find_potential_minimum("gaussian_mixture", U, bad, 0.1, vec({0.1, 0.2}), {}),
                       doctest::Contains("shiftcurv::gaussian_mixture: D(theta) must be positive definite"),
                       sc::domain_error);
  CHECK_THROWS_WITH_AS(sc::detail::find_potential_minimum("gaussian_mixture", U, D, -1.0, vec({0.1, 0.2}), {}),
                       "shiftcurv::gaussian_mixture: T must be > 0, got -1", sc::domain_error);
  // A non-converged status message names the wrapper too.
  sc::find_minimum_options few;
  few.max_iterations = 2;
  const auto r = sc::detail::find_minimum("predict_test_loss", linear{}, vec({0.0}), few);
  CHECK(!r.ok());
  CHECK(r.message.rfind("shiftcurv::predict_test_loss: ", 0) == 0);
}
