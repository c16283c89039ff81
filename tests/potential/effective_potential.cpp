// V(θ, T) and the effective potential v against the closed forms of Appendix B.1, the
// tanh-sinh route at a singular end, the curl diagnostics, and bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/overparametrized.hpp"
#include "shiftcurv/noise/scalar_field.hpp"
#include "shiftcurv/potential/curl.hpp"
#include "shiftcurv/potential/effective_potential.hpp"
#include "shiftcurv/potential/potential_gradient.hpp"
#include "shiftcurv/synthetic/closed_forms.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"

namespace sc = shiftcurv;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {
VectorXd vec(std::initializer_list<double> xs) {
  VectorXd v(static_cast<Eigen::Index>(xs.size()));
  Eigen::Index i = 0;
  for (double x : xs) v(i++) = x;
  return v;
}
MatrixXd spd2() {
  MatrixXd H(2, 2);
  H << 2.0, 0.6, 0.6, 1.0;
  return H;
}
double rel(double got, double want) { return std::abs(got - want) / std::abs(want); }

// √θ: its derivative is infinite at θ = 0, an integrable singularity of V at the segment's end.
struct sqrt_loss {
  template <class S>
  S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& th) const {
    using std::sqrt;
    return sqrt(th(0));
  }
};
}  // namespace

TEST_CASE("V = D^-1 (grad U + (T/2) div D) against hand-derived formulas") {
  // B.1 case 3 in 2-D: D = diag(1/(1+κU_i)), ∂_i D_ii = −κ h_i θ_i/(1+κU_i)², so
  // V_i = h_iθ_i(1 + κU_i) − (T/2) κ h_i θ_i/(1+κU_i), written out here independently.
  const VectorXd h = vec({1.5, 0.7});
  const double kappa = 0.8, T = 0.3;
  sc::b1_case3 c(h, kappa);
  const VectorXd th = vec({0.4, -1.1});
  const VectorXd V = sc::potential_gradient(c.loss, c.noise, T, th);
  for (int i = 0; i < 2; ++i) {
    const double Ui = 0.5 * h(i) * th(i) * th(i);
    const double want = h(i) * th(i) * (1 + kappa * Ui) - 0.5 * T * kappa * h(i) * th(i) / (1 + kappa * Ui);
    CHECK(rel(V(i), want) < 1e-13);  // AD divergence + Cholesky solve: rounding only
  }
  // Over-parametrized (eq 13): (D + β²I)⁻¹(∇U + αθ) for a constant anisotropic D.
  MatrixXd D(2, 2);
  D << 0.5, 0.2, 0.2, 0.3;
  const double alpha = 0.05, beta = 0.4;
  const auto op = sc::overparametrized(sc::quadratic(spd2()), sc::constant_diffusion(D), alpha, beta);
  const VectorXd Vop = sc::potential_gradient(op, T, th);
  const MatrixXd Db = D + beta * beta * MatrixXd::Identity(2, 2);
  const VectorXd want = Db.fullPivLu().solve(spd2() * th + alpha * th);
  CHECK((Vop - want).norm() < 1e-13 * want.norm());
}

TEST_CASE("effective potential along segments and polylines matches B.1 closed forms to 1e-10") {
  // The quadrature is asked for 1e-12 relative to ∫|V·dθ|; with |v(b) − v(a)| ≥ 0.1·∫|V·dθ|
  // on these paths the relative error is ≤ 1e-11, and 1e-10 is the requirement.
  sc::line_integral_options opt;
  opt.tolerance = 1e-12;
  for (double T : {0.05, 0.5, 2.0}) {
    CAPTURE(T);
    {  // case 1, 1-D and 2-D: D = U·I, non-constant
      sc::b1_case1 c1(MatrixXd::Constant(1, 1, 1.3), 0.4);
      const VectorXd a = vec({-0.3}), b = vec({1.7});
      const auto r = sc::effective_potential(c1.loss, c1.noise, T, a, b, opt);
      CHECK(r.ok());
      CHECK(r.evaluations > 0);
      CHECK(rel(r.value, c1.potential(b, T) - c1.potential(a, T)) < 1e-10);
      sc::b1_case1 c2(spd2(), 0.4);
      const VectorXd a2 = vec({-0.3, 0.8}), m2 = vec({1.2, 1.5}), b2 = vec({1.7, -0.9});
      const auto s = sc::effective_potential(c2.loss, c2.noise, T, a2, b2, opt);
      const auto q = sc::effective_potential(c2.loss, c2.noise, T, std::vector<VectorXd>{a2, m2, b2}, opt);
      const double want = c2.potential(b2, T) - c2.potential(a2, T);
      CHECK(rel(s.value, want) < 1e-10);
      CHECK(rel(q.value, want) < 1e-10);
      // ρ(b)/ρ(a) = exp(−(2/T)Δv): compare the log, i.e. the relative error of the ratio.
      CHECK(std::abs(-2 / T * q.value - (c2.log_density(b2, T) - c2.log_density(a2, T))) < 1e-10 * std::abs(2 / T * want));
    }
    {  // case 2: U = ½θᵀHθ, D = H⁻¹ constant anisotropic: v = ½|∇U|²
      sc::b1_case2 c(spd2());
      const VectorXd a = vec({0.5, -0.2}), m = vec({-1.0, 0.3}), b = vec({1.1, 0.9});
      const double want = c.potential(b, T) - c.potential(a, T);
      CHECK(rel(sc::effective_potential(c.loss, c.noise, T, a, b, opt).value, want) < 1e-10);
      CHECK(rel(sc::effective_potential(c.loss, c.noise, T, std::vector<VectorXd>{a, m, b}, opt).value, want) < 1e-10);
    }
    {  // case 3: non-constant anisotropic diagonal D
      sc::b1_case3 c(vec({1.5, 0.7}), 0.8);
      const VectorXd a = vec({0.1, -0.4}), m = vec({1.3, 0.2}), b = vec({-0.9, 1.6});
      const double want = c.potential(b, T) - c.potential(a, T);
      CHECK(rel(sc::effective_potential(c.loss, c.noise, T, a, b, opt).value, want) < 1e-10);
      CHECK(rel(sc::effective_potential(c.loss, c.noise, T, std::vector<VectorXd>{a, m, b}, opt).value, want) < 1e-10);
      sc::b1_case3 c1(vec({1.5}), 0.8);
      const VectorXd x = vec({-0.4}), y = vec({1.9});
      CHECK(rel(sc::effective_potential(c1.loss, c1.noise, T, x, y, opt).value,
                c1.potential(y, T) - c1.potential(x, T)) < 1e-10);
    }
  }
}

TEST_CASE("a segment with a singular end is integrated by tanh-sinh") {
  // U = √θ, D = 1: V = 1/(2√θ) is infinite at θ = 0; v(1) − v(0) = 1 exactly.
  sc::constant_diffusion one(1.0, 1);
  const auto r = sc::effective_potential(sqrt_loss{}, one, 0.5, vec({0.0}), vec({1.0}));
  CHECK(r.ok());
  CHECK(r.iterations > 0);  // tanh-sinh levels (the Gauss–Kronrod route reports none)
  CHECK(std::abs(r.value - 1.0) < 1e-10);  // tolerance 1e-10 × L1 (= 1)
  // Forcing Gauss–Kronrod on the same segment needs far more evaluations.
  sc::line_integral_options gk;
  gk.rule = sc::line_rule::gauss_kronrod;
  const auto g = sc::effective_potential(sqrt_loss{}, one, 0.5, vec({0.0}), vec({1.0}), gk);
  CHECK(g.evaluations > r.evaluations);
}

TEST_CASE("curl diagnostics: curl-free on B.1 cases, violated for non-commuting H and D") {
  const double T = 0.4;
  const VectorXd th = vec({0.6, -0.3});
  sc::b1_case1 c1(spd2(), 0.4);
  sc::b1_case2 c2(spd2());
  sc::b1_case3 c3(vec({1.5, 0.7}), 0.8);
  // Central differences: relative antisymmetry ≈ 1e-10 at most on these O(1) problems.
  const auto d1 = sc::curl_diagnostic(c1.loss, c1.noise, T, th);
  const auto d2 = sc::curl_diagnostic(c2.loss, c2.noise, T, th);
  const auto d3 = sc::curl_diagnostic(c3.loss, c3.noise, T, th);
  CHECK(d1.ok());
  CHECK(d2.ok());
  CHECK(d3.ok());
  CHECK(d1.relative_antisymmetry < 1e-8);
  CHECK(d2.relative_antisymmetry < 1e-8);
  CHECK(d3.relative_antisymmetry < 1e-8);
  const VectorXd a = vec({-0.5, 0.9}), b = vec({1.2, -0.7});
  CHECK(sc::path_gap(c1.loss, c1.noise, T, a, b).ok());
  CHECK(sc::path_gap(c3.loss, c3.noise, T, a, b).ok());
  CHECK(sc::path_gap(c3.loss, c3.noise, T, a, b).relative_gap < 1e-10);

  // Constant D and quadratic U with HD ≠ DH: V = Aθ, A = D⁻¹H not symmetric.
  MatrixXd D(2, 2);
  D << 1.0, 0.0, 0.0, 0.25;
  const MatrixXd H = spd2();
  sc::quadratic U(H);
  sc::constant_diffusion noise(D);
  const MatrixXd A = D.inverse() * H;
  const auto bad = sc::curl_diagnostic(U, noise, T, th);
  CHECK(bad.status == sc::status::assumption_violated);
  CHECK(!bad.message.empty());
  const double want = 0.5 * (A - A.transpose()).norm() / A.norm();
  CHECK(rel(bad.relative_antisymmetry, want) < 1e-7);  // FD of a linear V: rounding only
  // Path integrals of V = Aθ: straight a→b is dᵀA a + ½ dᵀA d; the staircase (a0,a1)→(b0,a1)→b
  // is the sum of the same formula over its two legs.
  auto straight = [&](const VectorXd& p, const VectorXd& q) {
    const VectorXd d = q - p;
    return d.dot(A * p) + 0.5 * d.dot(A * d);
  };
  const VectorXd corner = vec({b(0), a(1)});
  const double gap_want = std::abs(straight(a, b) - (straight(a, corner) + straight(corner, b)));
  const auto g = sc::path_gap(U, noise, T, a, b);
  CHECK(g.status == sc::status::assumption_violated);
  CHECK(rel(g.gap, gap_want) < 1e-9);
}

TEST_CASE("bad input throws the documented types") {
  sc::b1_case2 c(spd2());
  const VectorXd th = vec({0.1, 0.2});
  const VectorXd nan = vec({std::numeric_limits<double>::quiet_NaN(), 0.0});
  CHECK_THROWS_AS(sc::potential_gradient(c.loss, c.noise, 0.1, nan), sc::invalid_argument);
  CHECK_THROWS_AS(sc::potential_gradient(c.loss, c.noise, 0.0, th), sc::domain_error);
  CHECK_THROWS_AS(sc::potential_gradient(c.loss, c.noise, -1.0, th), sc::domain_error);
  CHECK_THROWS_AS(sc::effective_potential(c.loss, c.noise, 0.1, th, nan), sc::invalid_argument);
  CHECK_THROWS_AS(sc::effective_potential(c.loss, c.noise, 0.1, th, vec({1.0})), sc::invalid_argument);
  CHECK_THROWS_AS(sc::effective_potential(c.loss, c.noise, -0.1, th, th), sc::domain_error);
  CHECK_THROWS_AS(sc::effective_potential(c.loss, c.noise, 0.1, std::vector<VectorXd>{th}), sc::invalid_argument);
  sc::line_integral_options bad;
  bad.tolerance = 0;
  CHECK_THROWS_AS(sc::effective_potential(c.loss, c.noise, 0.1, th, th, bad), sc::domain_error);
  // D(θ) = 1 − θ0 is not positive definite for θ0 ≥ 1.
  auto d = [](const auto& x) { return 1.0 - x(0); };
  sc::scalar_field_diffusion neg{d};
  CHECK_THROWS_AS(sc::potential_gradient(c.loss, neg, 0.1, vec({1.5, 0.0})), sc::domain_error);
  CHECK_THROWS_AS(sc::effective_potential(c.loss, neg, 0.1, vec({0.0, 0.0}), vec({2.0, 0.0})), sc::domain_error);
  sc::curl_options co;
  co.threshold = -1;
  CHECK_THROWS_AS(sc::curl_diagnostic(c.loss, c.noise, 0.1, th, co), sc::domain_error);
  CHECK_THROWS_AS(sc::curl_diagnostic(c.loss, c.noise, 0.1, nan), sc::invalid_argument);
  CHECK_THROWS_AS(sc::path_gap(c.loss, c.noise, 0.1, std::vector<VectorXd>{th, vec({1.0, 1.0})},
                               std::vector<VectorXd>{th, vec({1.0, 2.0})}),
                  sc::invalid_argument);
}
