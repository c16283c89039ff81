// Appendix F / eq 31: symmetrized quadratic fits, the HVP directional curvature and the
// higher-order series, against losses whose shape along the line is known in closed form.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include <Eigen/Dense>

#include "shiftcurv/generalization/line_curvature.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"

#include "support.hpp"

namespace sc = shiftcurv;

namespace {

using test_support::v2;

// U(θ) = u0 + ½k a² + q a⁴ + ½m b² + g a²b² + c3 a³, a = uᵀ(θ − centre), b = wᵀ(θ − centre),
// w ⟂ u.  Along θ = centre + t u it is u0 + ½k t² + c3 t³ + q t⁴, and its Hessian at the
// centre is k u uᵀ + m w wᵀ.
struct line_polynomial {
  sc::vector centre, u, w;
  double u0 = 0, k = 0, q = 0, m = 1, g = 0, c3 = 0;
  template <class Derived>
  typename Derived::Scalar operator()(const Eigen::MatrixBase<Derived>& th) const {
    using S = typename Derived::Scalar;
    const S a = (th(0) - centre(0)) * u(0) + (th(1) - centre(1)) * u(1);
    const S b = (th(0) - centre(0)) * w(0) + (th(1) - centre(1)) * w(1);
    return S(u0) + S(0.5 * k) * a * a + S(q) * a * a * a * a + S(0.5 * m) * b * b + S(g) * a * a * b * b +
           S(c3) * a * a * a;
  }
};

// U(θ) = u0 − a exp(−½(θ − c)ᵀA(θ − c)); Hessian at c is a·A.
struct gaussian_well {
  sc::vector centre;
  sc::matrix A;
  double u0 = 0, a = 1;
  template <class Derived>
  typename Derived::Scalar operator()(const Eigen::MatrixBase<Derived>& th) const {
    using S = typename Derived::Scalar;
    using std::exp;
    const S r0 = th(0) - centre(0), r1 = th(1) - centre(1);
    const S qf = S(A(0, 0)) * r0 * r0 + S(2 * A(0, 1)) * r0 * r1 + S(A(1, 1)) * r1 * r1;
    return S(u0) - S(a) * exp(S(-0.5) * qf);
  }
};

// NaN on the far side of a wall through `wall_point` perpendicular to inner.u.
struct walled {
  line_polynomial inner;
  sc::vector wall_point;
  template <class Derived>
  typename Derived::Scalar operator()(const Eigen::MatrixBase<Derived>& th) const {
    using S = typename Derived::Scalar;
    const double t = (sc::value_of(th(0)) - wall_point(0)) * inner.u(0) +
                     (sc::value_of(th(1)) - wall_point(1)) * inner.u(1);
    return t < 0 ? S(std::numeric_limits<double>::quiet_NaN()) : inner(th);
  }
};

// Hides the templated operator: only values, so every derivative is by finite differences.
template <class F>
struct values_only {
  F f;
  double operator()(const sc::vector& th) const { return f(th); }
};
template <class F>
values_only(F) -> values_only<F>;

struct expected_fit {
  double minimum, curvature, residual;
};
// The mirrored least-squares fit y ≈ α + β·½d² written out: points d_i = L i/(n−1), each d > 0
// counted twice (d and −d), normal equations solved by Cramer's rule.
template <class Y>
expected_fit mirrored_fit(const Y& y_of_d, double L, int n) {
  double S0 = 0, S1 = 0, S2 = 0, T0 = 0, T1 = 0;
  for (int i = 0; i < n; ++i) {
    const double d = L * i / (n - 1), x = 0.5 * d * d, y = y_of_d(d), om = (i == 0) ? 1 : 2;
    S0 += om;
    S1 += om * x;
    S2 += om * x * x;
    T0 += om * y;
    T1 += om * x * y;
  }
  const double beta = (S0 * T1 - S1 * T0) / (S0 * S2 - S1 * S1), alpha = (T0 - beta * S1) / S0;
  double r2 = 0;
  for (int i = 0; i < n; ++i) {
    const double d = L * i / (n - 1), x = 0.5 * d * d, om = (i == 0) ? 1 : 2;
    r2 += om * std::pow(y_of_d(d) - alpha - beta * x, 2);
  }
  return {alpha, beta, std::sqrt(r2 / S0)};
}

// A line through two minima at distance `dist` along u = (cos φ, sin φ).
struct geometry {
  sc::vector u = v2(std::cos(0.6), std::sin(0.6)), w = v2(-std::sin(0.6), std::cos(0.6));
  sc::vector theta_test = v2(0.4, -0.2);
  double dist = 0.3;
  sc::vector theta_train() const { return theta_test - dist * u; }
};

}  // namespace

TEST_CASE("quadratic losses: fits, HVP and eq 31 are all exact") {
  const geometry g;
  // Test: ½k t² along the line, k = 2.5; train: ½k' t², k' = 1.7, different transverse curvatures.
  const line_polynomial test{g.theta_test, g.u, g.w, -0.8, 2.5, 0.0, 4.0, 0.0, 0.0};
  const line_polynomial train{g.theta_train(), g.u, g.w, -1.0, 1.7, 0.0, 0.5, 0.0, 0.0};
  const auto r = sc::line_curvature(train, test, g.theta_train(), g.theta_test);
  CHECK(r.ok());
  CHECK(r.exact_derivatives);
  CHECK(std::abs(r.shift_norm - (g.dist)) <= 1e-14 * std::abs(g.dist));
  // A parabola is fitted exactly: only rounding (1e-12 relative on c, residual ≈ ε·|U|).
  CHECK(std::abs(r.test_curvature - (2.5)) <= 1e-11 * std::abs(2.5));
  CHECK(std::abs(r.train_curvature - (1.7)) <= 1e-11 * std::abs(1.7));
  CHECK(std::abs(r.test_fit_minimum - (-0.8)) <= 1e-13 * std::abs(-0.8));
  CHECK(std::abs(r.train_fit_minimum - (-1.0)) <= 1e-13 * std::abs(-1.0));
  CHECK(r.test_residual < 1e-14);
  CHECK(r.train_residual < 1e-14);
  // Hessian at θ_test: 2.5 u uᵀ + 4 w wᵀ, so sᵀCs/|s|² = 2.5 (s ∥ u).
  CHECK(std::abs(r.directional_curvature - (2.5)) <= 1e-13 * std::abs(2.5));
  CHECK(r.order_J == 2);
  // U_test(θ_tr) = −0.8 + ½·2.5·0.09 exactly; the series terminates at j = 2.
  CHECK(std::abs(r.test_at_train_minimum - (-0.8 + 0.5 * 2.5 * 0.09)) <= 1e-14 * std::abs(-0.8 + 0.5 * 2.5 * 0.09));
  CHECK(std::abs(r.higher_order_estimate - (-0.8 + 0.5 * 2.5 * 0.09)) <= 1e-14 * std::abs(-0.8 + 0.5 * 2.5 * 0.09));
  CHECK(std::abs(r.test_slope) <= 1e-14);
  // The reported samples are the one-sided curves.
  REQUIRE(r.distances.size() == 33);
  for (std::size_t i = 0; i < r.distances.size(); ++i) {
    const double d = r.distances[i];
    CHECK(std::abs(r.test_samples[i] - (-0.8 + 1.25 * d * d)) <= 1e-14 * std::abs(-0.8 + 1.25 * d * d));
    CHECK(std::abs(r.train_samples[i] - (-1.0 + 0.85 * d * d)) <= 1e-14 * std::abs(-1.0 + 0.85 * d * d));
  }
  CHECK(std::abs(r.distances.back() - (g.dist)) <= 1e-15 * std::abs(g.dist));
}

TEST_CASE("quartic losses: the fit is the least-squares parabola, eq 31 sums to the exact value") {
  const geometry g;
  // Along the line: test −0.5 + ½·1.2 t² + 40 t⁴ (the quartic dominates at |s| = 0.3),
  // train −0.6 + ½·0.9 t² + 25 t⁴; transverse and cross terms off the line.
  const line_polynomial test{g.theta_test, g.u, g.w, -0.5, 1.2, 40.0, 3.0, 2.0, 0.0};
  const line_polynomial train{g.theta_train(), g.u, g.w, -0.6, 0.9, 25.0, 1.0, -1.0, 0.0};
  sc::line_curvature_options opt;
  opt.samples = 21;
  opt.window = 1.5;
  const auto r = sc::line_curvature(train, test, g.theta_train(), g.theta_test, opt);
  CHECK(r.ok());
  const double L = 1.5 * g.dist;
  const auto et = mirrored_fit([](double d) { return -0.5 + 0.6 * d * d + 40 * std::pow(d, 4); }, L, 21);
  const auto er = mirrored_fit([](double d) { return -0.6 + 0.45 * d * d + 25 * std::pow(d, 4); }, L, 21);
  // QR vs Cramer on a 2-parameter problem with condition ~1e2: asserted 1e-10.
  CHECK(std::abs(r.test_curvature - (et.curvature)) <= 1e-10 * std::abs(et.curvature));
  CHECK(std::abs(r.test_fit_minimum - (et.minimum)) <= 1e-10 * std::abs(et.minimum));
  CHECK(std::abs(r.test_residual - (et.residual)) <= 1e-8 * std::abs(et.residual));
  CHECK(std::abs(r.train_curvature - (er.curvature)) <= 1e-10 * std::abs(er.curvature));
  CHECK(std::abs(r.train_residual - (er.residual)) <= 1e-8 * std::abs(er.residual));
  // The fit sees the quartic: it is well above the curvature at the minimum.
  CHECK(r.test_curvature > 2 * 1.2);
  CHECK(std::abs(r.directional_curvature - (1.2)) <= 1e-13 * std::abs(1.2));
  CHECK(r.order_J == 2);
  // Exact derivatives: f'' = 1.2, f'''' = 24·40, all others zero.
  CHECK(std::abs(r.line_derivatives[2] - (1.2)) <= 1e-13 * std::abs(1.2));
  CHECK(std::abs(r.line_derivatives[3]) <= 1e-12);
  CHECK(std::abs(r.line_derivatives[4] - (960.0)) <= 1e-13 * std::abs(960.0));
  CHECK(std::abs(r.line_derivatives[6]) < 1e-9);
  const double exact = -0.5 + 0.6 * 0.09 + 40 * std::pow(0.3, 4);
  CHECK(std::abs(r.test_at_train_minimum - (exact)) <= 1e-14 * std::abs(exact));
  CHECK(std::abs(r.higher_order_estimate - (exact)) <= 1e-13 * std::abs(exact));
}

TEST_CASE("a purely quartic minimum along the line has order J = 4") {
  const geometry g;
  const line_polynomial test{g.theta_test, g.u, g.w, 0.1, 0.0, 30.0, 2.0, 1.0, 0.0};
  const line_polynomial train{g.theta_train(), g.u, g.w, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0};
  const auto r = sc::line_curvature(train, test, g.theta_train(), g.theta_test);
  CHECK(r.ok());
  CHECK(r.order_J == 4);
  CHECK(std::abs(r.directional_curvature) < 1e-13);
  CHECK(std::abs(r.higher_order_estimate - (0.1 + 30 * std::pow(0.3, 4))) <= 1e-13 * std::abs(0.1 + 30 * std::pow(0.3, 4)));

  // The same by finite differences (value-only functor): the d² term of a quartic is 2qh²
  // (truncation), which the Richardson estimate recognizes as zero; the series is accurate to
  // its reported error.  That error is dominated by rounding, ≈ ε^{2/(j+2)}·max|f|·Σ|w_i|/j! per
  // term (j = 4: 6e-6·0.34·16/24; j = 6: 1.2e-4·0.34·64/720), ≈ 2e-5·|U| in all: asserted 1e-4.
  const auto f = sc::line_curvature(values_only{train}, values_only{test}, g.theta_train(), g.theta_test);
  CHECK(!f.exact_derivatives);
  CHECK(f.ok());
  CHECK(f.order_J == 4);
  CHECK(std::abs(f.higher_order_estimate - r.higher_order_estimate) <= f.higher_order_error);
  CHECK(f.higher_order_error < 1e-4 * std::abs(r.higher_order_estimate));
  // The HVP by differences of finite-difference gradients: value-only route, ≈1e-8·scale,
  // asserted 1e-5 as in derivatives.hpp.
  CHECK(std::abs(f.directional_curvature) < 1e-5 * 2.0);
  // The fit uses values only, so it is the same least-squares parabola of 0.1 + 30 d⁴ (Cramer
  // here vs QR there: 1e-10 as above).
  const auto quartic_fit = mirrored_fit([](double d) { return 0.1 + 30 * std::pow(d, 4); }, g.dist, 33);
  CHECK(std::abs(f.test_curvature - quartic_fit.curvature) <= 1e-10 * std::abs(quartic_fit.curvature));
  CHECK(std::abs(r.test_curvature - quartic_fit.curvature) <= 1e-10 * std::abs(quartic_fit.curvature));
}

TEST_CASE("a Gaussian well: eq 31 converges within its error estimate, FD agrees with AD") {
  const geometry g;
  sc::matrix A(2, 2);
  A << 5.0, 1.5, 1.5, 2.0;
  const gaussian_well test{g.theta_test, A, 0.2, 0.9};
  const gaussian_well train{g.theta_train(), A * 1.3, 0.0, 1.0};
  // Along u the well is −0.9 exp(−½κt²), κ = uᵀAu; ½κ|s|² ≈ 0.2, so the series alternates
  // with terms falling by ≥ 4×: the truncation error is below the last included term.
  const double kappa = g.u.dot(A * g.u);
  const double exact = 0.2 - 0.9 * std::exp(-0.5 * kappa * g.dist * g.dist);
  double previous = std::numeric_limits<double>::infinity();
  for (int order : {2, 4, 6, 8}) {
    sc::line_curvature_options opt;
    opt.max_order = order;
    const auto r = sc::line_curvature(train, test, g.theta_train(), g.theta_test, opt);
    CAPTURE(order);
    CHECK(r.ok());
    CHECK(r.order_J == 2);
    CHECK(std::abs(r.test_at_train_minimum - (exact)) <= 1e-14 * std::abs(exact));
    const double err = std::abs(r.higher_order_estimate - exact);
    CHECK(err <= r.higher_order_error);
    CHECK(err < previous);
    previous = err;
    // The HVP against the analytic Hessian 0.9·A at the centre.
    CHECK(std::abs(r.directional_curvature - (0.9 * kappa)) <= 1e-13 * std::abs(0.9 * kappa));
  }
  // Alternating series in x = ½κ|s|²: after the x⁴ term (order 8) the error lies between the
  // first neglected term 0.9x⁵/5! and that minus the next, 0.9x⁶/6!.
  const double x = 0.5 * kappa * g.dist * g.dist;
  CHECK(previous <= 0.9 * std::pow(x, 5) / 120);
  CHECK(previous >= 0.9 * (std::pow(x, 5) / 120 - std::pow(x, 6) / 720));

  // Finite differences vs exact derivatives, order by order, within the reported estimates
  // (×3: the Richardson estimate is the leading-order truncation, not a bound).
  sc::line_curvature_options opt;
  opt.max_order = 8;
  const auto ad = sc::line_curvature(train, test, g.theta_train(), g.theta_test, opt);
  const auto fd = sc::line_curvature(values_only{train}, values_only{test}, g.theta_train(), g.theta_test, opt);
  CHECK(std::abs(fd.higher_order_estimate - ad.higher_order_estimate) <= fd.higher_order_error);
  CHECK(std::abs(fd.directional_curvature - (ad.directional_curvature)) <= 1e-5 * std::abs(ad.directional_curvature));
  // The fit only uses values: both routes give the same numbers.
  CHECK(fd.test_curvature == ad.test_curvature);
  CHECK(fd.train_curvature == ad.train_curvature);
}

TEST_CASE("a test point that is not a minimum along the line is reported, not thrown") {
  const geometry g;
  const line_polynomial train{g.theta_train(), g.u, g.w, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0};
  // Saddle: negative curvature along the line.
  const line_polynomial saddle{g.theta_test, g.u, g.w, 0.0, -1.0, 0.0, 1.0, 0.0, 0.0};
  auto r = sc::line_curvature(train, saddle, g.theta_train(), g.theta_test);
  CHECK(r.status == sc::status::assumption_violated);
  CHECK(r.order_J == 2);
  CHECK(std::abs(r.directional_curvature - (-1.0)) <= 1e-13 * std::abs(-1.0));
  // Inflection: lowest nonzero derivative is the third.
  const line_polynomial cubic{g.theta_test, g.u, g.w, 0.0, 0.0, 0.0, 1.0, 0.0, 2.0};
  r = sc::line_curvature(train, cubic, g.theta_train(), g.theta_test);
  CHECK(r.status == sc::status::assumption_violated);
  CHECK(r.order_J == 3);
  // Flat along the line (only transverse curvature; the offset 0.3 sets the rounding level
  // below which the ~1e-33 terms left by w·u ≈ 1e-17 count as zero).
  const line_polynomial flat{g.theta_test, g.u, g.w, 0.3, 0.0, 0.0, 1.0, 0.0, 0.0};
  r = sc::line_curvature(train, flat, g.theta_train(), g.theta_test);
  CHECK(r.status == sc::status::assumption_violated);
  CHECK(r.order_J == 0);
  CHECK(!r.message.empty());
  // A loss that is NaN beyond a wall on the train side: numerical_issue, not a silent NaN.
  const walled nan_train{train, g.theta_train() - 0.5 * g.dist * g.u};
  const line_polynomial good{g.theta_test, g.u, g.w, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0};
  r = sc::line_curvature(nan_train, good, g.theta_train(), g.theta_test);
  CHECK(r.status == sc::status::numerical_issue);
}

TEST_CASE("line_curvature rejects bad input") {
  using ia = sc::invalid_argument;
  using de = sc::domain_error;
  const geometry g;
  const line_polynomial loss{g.theta_test, g.u, g.w, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0};
  const sc::vector a = g.theta_train(), b = g.theta_test;
  CHECK_THROWS_AS(sc::line_curvature(loss, loss, a, a), ia);
  CHECK_THROWS_AS(sc::line_curvature(loss, loss, a, sc::vector::Zero(3)), ia);
  CHECK_THROWS_AS(sc::line_curvature(loss, loss, sc::vector(), sc::vector()), ia);
  sc::vector bad = b;
  bad(1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(sc::line_curvature(loss, loss, a, bad), ia);
  sc::line_curvature_options opt;
  opt.samples = 2;
  CHECK_THROWS_AS(sc::line_curvature(loss, loss, a, b, opt), ia);
  opt = {};
  opt.max_order = 1;
  CHECK_THROWS_AS(sc::line_curvature(loss, loss, a, b, opt), ia);
  opt.max_order = 9;
  CHECK_THROWS_AS(sc::line_curvature(loss, loss, a, b, opt), ia);
  opt = {};
  opt.window = 0;
  CHECK_THROWS_AS(sc::line_curvature(loss, loss, a, b, opt), de);
  opt.window = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(sc::line_curvature(loss, loss, a, b, opt), ia);
  opt = {};
  opt.zero_tolerance = -1;
  CHECK_THROWS_AS(sc::line_curvature(loss, loss, a, b, opt), de);
  // A loss that declares dimension 2 handed 3-vectors: named in the message.
  const sc::quadratic q(sc::matrix::Identity(2, 2));
  const sc::vector a3 = sc::vector::Zero(3), b3 = sc::vector::Ones(3);
  CHECK_THROWS_WITH_AS(sc::line_curvature(q, q, a3, b3),
                       "shiftcurv::line_curvature: theta_train has size 3, but the loss (or diffusion model) declares dimension() = 2",
                       ia);
}

TEST_CASE("Appendix F side selection: losses asymmetric along the line are fitted on the sides THEORY.md specifies") {
  // Along the line (t measured from each loss's own minimum, increasing toward θ_test):
  //   test  f(t) = u0 + ½k t² + c3 t³ about θ_test,   train f(t) = u0' + ½k' t² + c3' t³ about θ_tr.
  // THEORY.md: the test fit uses the side of θ_test facing θ_tr (t = −d), the train fit the side
  // of θ_tr facing away from θ_test (t = −d), each mirrored.  The cubic makes the two sides
  // differ, so the fit of the wrong side is measurably different.
  const geometry g;
  const double kt = 2.0, ct = 2.0, kr = 1.4, cr = -1.5;
  const line_polynomial test{g.theta_test, g.u, g.w, -0.3, kt, 0.0, 3.0, 0.5, ct};
  const line_polynomial train{g.theta_train(), g.u, g.w, -0.4, kr, 0.0, 1.0, -0.5, cr};
  for (const double window : {1.0, 0.6}) {
    sc::line_curvature_options opt;
    opt.window = window;
    const auto r = sc::line_curvature(train, test, g.theta_train(), g.theta_test, opt);
    CHECK(r.ok());
    const double L = window * g.dist;
    auto test_at = [&](double t) { return -0.3 + 0.5 * kt * t * t + ct * t * t * t; };
    auto train_at = [&](double t) { return -0.4 + 0.5 * kr * t * t + cr * t * t * t; };
    const auto test_spec = mirrored_fit([&](double d) { return test_at(-d); }, L, opt.samples);
    const auto test_other = mirrored_fit([&](double d) { return test_at(d); }, L, opt.samples);
    const auto train_spec = mirrored_fit([&](double d) { return train_at(-d); }, L, opt.samples);
    const auto train_other = mirrored_fit([&](double d) { return train_at(d); }, L, opt.samples);
    // QR (library) against Cramer's rule (here) on a 2-parameter problem of condition ~1e2:
    // agreement to ~1e-13 relative; asserted 1e-10.
    CHECK(std::abs(r.test_curvature - test_spec.curvature) <= 1e-10 * std::abs(test_spec.curvature));
    CHECK(std::abs(r.test_fit_minimum - test_spec.minimum) <= 1e-10 * std::abs(test_spec.minimum));
    CHECK(std::abs(r.test_residual - test_spec.residual) <= 1e-8 * test_spec.residual);
    CHECK(std::abs(r.train_curvature - train_spec.curvature) <= 1e-10 * std::abs(train_spec.curvature));
    CHECK(std::abs(r.train_residual - train_spec.residual) <= 1e-8 * train_spec.residual);
    // The other side gives a curvature that differs by far more than the tolerance above (the
    // mirrored cubic ±c3 d³ projects onto d² with opposite signs): the test can fail.
    CHECK(std::abs(test_other.curvature - test_spec.curvature) > 0.1 * std::abs(test_spec.curvature));
    CHECK(std::abs(train_other.curvature - train_spec.curvature) > 0.1 * std::abs(train_spec.curvature));
    // The reported samples are those sides, point by point (U exact to rounding).
    for (std::size_t i = 0; i < r.distances.size(); ++i) {
      const double d = r.distances[i];
      CHECK(std::abs(r.test_samples[i] - test_at(-d)) <= 1e-14);
      CHECK(std::abs(r.train_samples[i] - train_at(-d)) <= 1e-14);
    }
    // The exact directional curvature is k (the cubic does not touch the second derivative).
    CHECK(std::abs(r.directional_curvature - kt) <= 1e-13 * kt);
    CHECK(r.order_J == 2);
  }
}
