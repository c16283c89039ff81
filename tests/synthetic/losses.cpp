// Synthetic losses: analytic members against AD and closed forms; B.1 cases satisfy
// V = D⁻¹(∇U + (T/2)∇·D) = ∇v for their closed-form v (checked by central differences of v).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>
#include <numbers>

#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/synthetic/closed_forms.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"

namespace sc = shiftcurv;

TEST_CASE("p-D Gaussian wells: value against the normal density, analytic derivatives against AD") {
  Eigen::Matrix2d S0, S1;
  S0 << 0.3, 0.1, 0.1, 0.2;
  S1 << 0.5, -0.2, -0.2, 0.6;
  std::vector<Eigen::VectorXd> m{Eigen::Vector2d(-1, 0), Eigen::Vector2d(1, 0.5)};
  sc::gaussian_wells U(m, {0.4, 0.7}, {S0, S1}, 0.05);
  const Eigen::VectorXd t = Eigen::Vector2d(0.2, -0.1);
  auto normal = [](const Eigen::Vector2d& x, const Eigen::Vector2d& mu, const Eigen::Matrix2d& S) {
    const Eigen::Vector2d r = x - mu;
    return std::exp(-0.5 * r.dot(S.inverse() * r)) / (2 * std::numbers::pi * std::sqrt(S.determinant()));
  };
  const double want = -0.4 * normal(t, m[0], S0) - 0.7 * normal(t, m[1], S1) + 0.05 * t.squaredNorm();
  CHECK(std::abs(U(t) - (want)) <= 1e-14 * std::abs(want));
  CHECK((U.gradient(t) - sc::detail::ad_gradient(U, t)).norm() < 1e-12 * U.gradient(t).norm());
  CHECK((U.hessian(t) - sc::detail::ad_hessian(U, t)).norm() < 1e-12 * U.hessian(t).norm());
  CHECK_THROWS_AS(sc::gaussian_wells(m, {0.4}, {S0, S1}), sc::invalid_argument);
  CHECK_THROWS_AS(sc::gaussian_wells(m, {0.4, 0.7}, {S0, Eigen::MatrixXd(-S1)}), sc::domain_error);
}

TEST_CASE("1-D Gaussian wells: normal density, shift, bad input") {
  sc::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5}, 0.002);
  const double x = 0.3;
  const double phi0 = std::exp(-0.5 * std::pow((x + 1) / 0.1, 2)) / (0.1 * std::sqrt(2 * std::numbers::pi));
  const double phi1 = std::exp(-0.5 * std::pow((x - 1) / 0.5, 2)) / (0.5 * std::sqrt(2 * std::numbers::pi));
  CHECK(std::abs(U.value(x) - (-0.021 * phi0 - 0.1 * phi1 + 0.002 * x * x)) <= 1e-14 * std::abs(-0.021 * phi0 - 0.1 * phi1 + 0.002 * x * x));
  const auto test = U.shifted(0.1);  // U_test(θ) = U_tr(θ + s), confinement included
  // The same closed form at y = x + 0.1, and its derivative Σ w (y − m)/σ² φ(y) + 2c y.
  const double y = x + 0.1;
  const double psi0 = std::exp(-0.5 * std::pow((y + 1) / 0.1, 2)) / (0.1 * std::sqrt(2 * std::numbers::pi));
  const double psi1 = std::exp(-0.5 * std::pow((y - 1) / 0.5, 2)) / (0.5 * std::sqrt(2 * std::numbers::pi));
  const double want_value = -0.021 * psi0 - 0.1 * psi1 + 0.002 * y * y;
  const double want_slope = 0.021 * (y + 1) / 0.01 * psi0 + 0.1 * (y - 1) / 0.25 * psi1 + 0.004 * y;
  CHECK(std::abs(test.value(x) - want_value) <= 1e-14 * std::abs(want_value));
  CHECK(std::abs(test.derivative(x, 1) - want_slope) <= 1e-13 * std::abs(want_slope));
  CHECK(U.dimension() == 1);
  CHECK_THROWS_AS(sc::gaussian_wells_1d({-1, 1}, {0.1}, {0.1, 0.5}), sc::invalid_argument);
  CHECK_THROWS_AS(sc::gaussian_wells_1d({-1, 1}, {0.1, 0.1}, {0.1, 0.0}), sc::domain_error);
  CHECK_THROWS_AS(sc::gaussian_wells_1d({-1, NAN}, {0.1, 0.1}, {0.1, 0.1}), sc::invalid_argument);
}

TEST_CASE("1-D Gaussian wells: derivative_batch against the closed-form U' at many points") {
  // U' = Σ w (x − m)/σ² · N(x; m, σ²) + 2c x, written out here independently of the class.
  const double m[2] = {-1, 1}, w[2] = {0.021, 0.1}, s[2] = {0.1, 0.5}, c = 0.002, shift = 0.07;
  const auto U = sc::gaussian_wells_1d({-1, 1}, {0.021, 0.1}, {0.1, 0.5}, c).shifted(shift);
  for (const int n : {1, 7, 64, 1001}) {  // odd sizes exercise the SIMD remainder loops
    std::vector<double> x(static_cast<std::size_t>(n)), d(static_cast<std::size_t>(n));
    for (int j = 0; j < n; ++j) x[static_cast<std::size_t>(j)] = -4 + 8.0 * j / std::max(1, n - 1) + 1e-3;
    U.derivative_batch(x, d);
    double worst = 0;
    for (int j = 0; j < n; ++j) {
      const double t = x[static_cast<std::size_t>(j)] + shift;
      double want = 2 * c * t;
      for (int i = 0; i < 2; ++i)
        want += w[i] * (t - m[i]) / (s[i] * s[i]) * std::exp(-0.5 * std::pow((t - m[i]) / s[i], 2)) /
                (s[i] * std::sqrt(2 * std::numbers::pi));
      // Eigen's SIMD exp is within 1 ulp of std::exp; a few roundings on top: 1e-13 of the
      // scale max|U'| ≈ 0.84 (cancellation between the wells makes relative errors meaningless).
      worst = std::max(worst, std::fabs(d[static_cast<std::size_t>(j)] - want));
    }
    CHECK(worst < 1e-13);
  }
  std::vector<double> x(3), d(2);
  CHECK_THROWS_AS(U.derivative_batch(x, d), sc::invalid_argument);
}

TEST_CASE("double well and quadratic: derivatives against closed forms") {
  sc::double_well W;
  const Eigen::VectorXd t = Eigen::Vector2d(1.3, -0.4);
  CHECK((sc::gradient(W, t) - sc::detail::ad_gradient(W, t)).norm() < 1e-14);
  CHECK(W(t) == doctest::Approx(std::pow(1.3, 4) / 4 - 1.3 * 1.3 / 2 + std::pow(0.4, 4) / 4 - 0.08));
  CHECK(sc::hessian(W, t)(0, 0) == doctest::Approx(3 * 1.69 - 1));
  Eigen::Matrix2d H;
  H << 2, 0.5, 0.5, 1;
  sc::quadratic q(H, Eigen::Vector2d(1, 1));
  CHECK(q(t) == doctest::Approx(0.5 * (t - Eigen::Vector2d(1, 1)).dot(H * (t - Eigen::Vector2d(1, 1)))));
  CHECK((sc::detail::ad_hessian(q, t) - H).norm() < 1e-14);
}

namespace {
// V = D⁻¹(∇U + (T/2)∇·D) from the library's pieces; ∇v by central differences of the closed form.
template <class Case>
void check_potential_gradient(const Case& c, const Eigen::VectorXd& t, double T) {
  const Eigen::MatrixXd D = c.noise.matrix(t);
  const Eigen::VectorXd V = D.ldlt().solve(sc::gradient(c.loss, t) + T / 2 * c.noise.divergence(t));
  Eigen::VectorXd gv(t.size());
  for (Eigen::Index j = 0; j < t.size(); ++j) {
    const double h = 1e-5;
    Eigen::VectorXd tp = t, tm = t;
    tp(j) += h;
    tm(j) -= h;
    gv(j) = (c.potential(T, tp) - c.potential(T, tm)) / (2 * h);
  }
  CHECK((V - gv).norm() < 1e-8 * std::max(1.0, gv.norm()));
}
}  // namespace

TEST_CASE("B.1 closed forms: the library's V is the gradient of the closed-form v") {
  Eigen::Matrix2d H;
  H << 2, 0.6, 0.6, 1.5;
  const Eigen::VectorXd t = Eigen::Vector2d(0.4, -0.7);
  for (double T : {0.05, 0.5, 2.0}) {
    check_potential_gradient(sc::b1_case1(H, 0.3), t, T);
    check_potential_gradient(sc::b1_case2(H), t, T);
    check_potential_gradient(sc::b1_case3(Eigen::Vector2d(1.5, 0.4), 0.7), t, T);
  }
}

TEST_CASE("closed-form cases: bad input names the case being built; dimension() is declared") {
  Eigen::MatrixXd H(2, 2);
  H << 2, 0.6, 0.6, 1.5;
  CHECK_THROWS_WITH_AS(sc::b1_case1(Eigen::MatrixXd::Ones(2, 3), 0.5),
                       "shiftcurv::b1_case1: H must be square and non-empty, got 2x3", sc::invalid_argument);
  CHECK_THROWS_WITH_AS(sc::b1_case1(H, 0.0), "shiftcurv::b1_case1: a must be > 0, got 0", sc::domain_error);
  Eigen::MatrixXd Hn = H;
  Hn(0, 1) = std::nan("");
  CHECK_THROWS_WITH_AS(sc::b1_case2{Hn}, doctest::Contains("shiftcurv::b1_case2: H must be finite"), sc::invalid_argument);
  Eigen::MatrixXd indefinite(2, 2);
  indefinite << 1, 2, 2, 1;  // eigenvalues 3 and −1
  CHECK_THROWS_WITH_AS(sc::b1_case2{indefinite},
                       doctest::Contains("shiftcurv::b1_case2: H must be positive definite, but its smallest eigenvalue is -1 "),
                       sc::domain_error);
  CHECK_THROWS_WITH_AS(sc::b1_case3(Eigen::Vector2d(1.0, std::nan("")), 0.5),
                       doctest::Contains("shiftcurv::b1_case3: h must be finite"), sc::invalid_argument);
  CHECK_THROWS_WITH_AS(sc::b1_case3(Eigen::Vector2d(1.0, -1.0), 0.5), "shiftcurv::b1_case3: h must be > 0, min is -1",
                       sc::domain_error);
  const sc::b1_case1 c1(H, 0.5);
  const sc::b1_case2 c2(H);
  const sc::b1_case3 c3(Eigen::Vector3d(1.0, 2.0, 3.0), 0.5);
  CHECK(c1.loss.dimension() == 2);
  CHECK(c1.noise.dimension() == 2);
  CHECK(c2.loss.dimension() == 2);
  CHECK(c2.noise.dimension() == 2);
  CHECK(c3.loss.dimension() == 3);
  CHECK(c3.noise.dimension() == 3);
}
