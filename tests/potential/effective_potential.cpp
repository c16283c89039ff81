// V(θ, T) and the effective potential v against the closed forms of Appendix B.1, the
// tanh-sinh route at a singular end, the curl diagnostics, and bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/LU>

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
// √(θ+0.01) + √(2−θ): smooth on [0, 1] but steep near 0 (one Gauss–Kronrod panel misses its
// tolerance there), not finite beyond θ = 2.
struct steep_then_undefined {
  template <class S>
  S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& th) const {
    using std::sqrt;
    return sqrt(th(0) + 0.01) + sqrt(2.0 - th(0));
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
  // on these paths the relative error is ≤ 1e-11, and 1e-10 is the issue's requirement.
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
      CHECK(rel(r.value, c1.potential(T, b) - c1.potential(T, a)) < 1e-10);
      sc::b1_case1 c2(spd2(), 0.4);
      const VectorXd a2 = vec({-0.3, 0.8}), m2 = vec({1.2, 1.5}), b2 = vec({1.7, -0.9});
      const auto s = sc::effective_potential(c2.loss, c2.noise, T, a2, b2, opt);
      const auto q = sc::effective_potential(c2.loss, c2.noise, T, std::vector<VectorXd>{a2, m2, b2}, opt);
      const double want = c2.potential(T, b2) - c2.potential(T, a2);
      CHECK(rel(s.value, want) < 1e-10);
      CHECK(rel(q.value, want) < 1e-10);
      // ρ(b)/ρ(a) = exp(−(2/T)Δv): compare the log, i.e. the relative error of the ratio.
      CHECK(std::abs(-2 / T * q.value - (c2.log_density(T, b2) - c2.log_density(T, a2))) < 1e-10 * std::abs(2 / T * want));
    }
    {  // case 2: U = ½θᵀHθ, D = H⁻¹ constant anisotropic: v = ½|∇U|²
      sc::b1_case2 c(spd2());
      const VectorXd a = vec({0.5, -0.2}), m = vec({-1.0, 0.3}), b = vec({1.1, 0.9});
      const double want = c.potential(T, b) - c.potential(T, a);
      CHECK(rel(sc::effective_potential(c.loss, c.noise, T, a, b, opt).value, want) < 1e-10);
      CHECK(rel(sc::effective_potential(c.loss, c.noise, T, std::vector<VectorXd>{a, m, b}, opt).value, want) < 1e-10);
    }
    {  // case 3: non-constant anisotropic diagonal D
      sc::b1_case3 c(vec({1.5, 0.7}), 0.8);
      const VectorXd a = vec({0.1, -0.4}), m = vec({1.3, 0.2}), b = vec({-0.9, 1.6});
      const double want = c.potential(T, b) - c.potential(T, a);
      CHECK(rel(sc::effective_potential(c.loss, c.noise, T, a, b, opt).value, want) < 1e-10);
      CHECK(rel(sc::effective_potential(c.loss, c.noise, T, std::vector<VectorXd>{a, m, b}, opt).value, want) < 1e-10);
      sc::b1_case3 c1(vec({1.5}), 0.8);
      const VectorXd x = vec({-0.4}), y = vec({1.9});
      CHECK(rel(sc::effective_potential(c1.loss, c1.noise, T, x, y, opt).value,
                c1.potential(T, y) - c1.potential(T, x)) < 1e-10);
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

TEST_CASE("path_gap with both integrals failing: the more severe status, both messages in path order") {
  // Path A = 0 -> 1 on one Gauss-Kronrod panel: tolerance_not_met.  Path B = 0 -> 3 -> 1 crosses
  // theta > 2, where V is NaN: numerical_issue.  Before the one status rule, path_gap took the
  // first failing path's status (tolerance_not_met here); now the more severe one, in either order.
  const sc::constant_diffusion one(1.0, 1);
  const double T = 0.5;
  const std::vector<VectorXd> a{vec({0.0}), vec({1.0})};
  const std::vector<VectorXd> b{vec({0.0}), vec({3.0}), vec({1.0})};
  sc::path_gap_options o;
  o.integral.rule = sc::line_rule::gauss_kronrod;
  o.integral.max_depth = 0;
  const auto la = sc::effective_potential(steep_then_undefined{}, one, T, a, o.integral);
  const auto lb = sc::effective_potential(steep_then_undefined{}, one, T, b, o.integral);
  REQUIRE(la.status == sc::status::tolerance_not_met);
  REQUIRE(lb.status == sc::status::numerical_issue);
  const auto ab = sc::path_gap(steep_then_undefined{}, one, T, a, b, o);
  const auto ba = sc::path_gap(steep_then_undefined{}, one, T, b, a, o);
  CHECK(ab.status == sc::status::numerical_issue);
  CHECK(ba.status == sc::status::numerical_issue);
  // Each path's message as path_gap words it: its line integral's, named path_gap.
  auto as_path_gap = [](std::string m) {
    const std::string own = "shiftcurv::effective_potential: ";
    REQUIRE(m.rfind(own, 0) == 0);
    return "shiftcurv::path_gap: a line integral failed: shiftcurv::path_gap: " + m.substr(own.size());
  };
  const std::string fa = as_path_gap(la.message), fb = as_path_gap(lb.message);
  CHECK_MESSAGE(ab.message == fa + "; " + fb, ab.message);
  CHECK_MESSAGE(ba.message == fb + "; " + fa, ba.message);
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
  sc::curl_diagnostic_options co;
  co.threshold = -1;
  CHECK_THROWS_AS(sc::curl_diagnostic(c.loss, c.noise, 0.1, th, co), sc::domain_error);
  CHECK_THROWS_AS(sc::curl_diagnostic(c.loss, c.noise, 0.1, nan), sc::invalid_argument);
  CHECK_THROWS_AS(sc::path_gap(c.loss, c.noise, 0.1, std::vector<VectorXd>{th, vec({1.0, 1.0})},
                               std::vector<VectorXd>{th, vec({1.0, 2.0})}),
                  sc::invalid_argument);
}

namespace {
// The message of the exception of type E that f throws ("" if none or another type).
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (...) {
    return "(another exception type)";
  }
  return "(nothing thrown)";
}
bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// D(θ) = [[1, 2], [2, 1]] everywhere: symmetric, eigenvalues 3 and −1 (trace 2, det −3).
struct indefinite_field {
  MatrixXd operator()(const VectorXd&) const {
    MatrixXd D(2, 2);
    D << 1, 2, 2, 1;
    return D;
  }
};
// A diffusion model that returns a D of the wrong size.
struct wrong_size_model {
  MatrixXd matrix(const VectorXd&) const { return MatrixXd::Identity(3, 3); }
  VectorXd divergence(const VectorXd&) const { return VectorXd::Zero(3); }
  MatrixXd noise_factor(const VectorXd&) const { return MatrixXd::Identity(3, 3); }
};
}  // namespace

TEST_CASE("bad input: potential_jacobian, divergence_jacobian, potential_hessian_at name themselves") {
  sc::b1_case2 c(spd2());  // loss and noise declare dimension 2
  const VectorXd th = vec({0.1, 0.2});
  const VectorXd nan = vec({std::numeric_limits<double>::quiet_NaN(), 0.0});
  const VectorXd three = vec({0.1, 0.2, 0.3});
  using ia = sc::invalid_argument;
  using de = sc::domain_error;
  for (double T : {0.0, -1.0}) {
    CHECK(starts_with(message_of<de>([&] { (void)sc::potential_jacobian(c.loss, c.noise, T, th); }),
                      "shiftcurv::potential_jacobian: T must be > 0"));
    CHECK(starts_with(message_of<de>([&] { (void)sc::potential_hessian_at(c.loss, c.noise, T, th); }),
                      "shiftcurv::potential_hessian_at: T must be > 0"));
  }
  CHECK_THROWS_AS(sc::potential_jacobian(c.loss, c.noise, std::nan(""), th), ia);
  CHECK_THROWS_AS(sc::potential_jacobian(c.loss, c.noise, 0.1, nan), ia);
  CHECK_THROWS_AS(sc::potential_hessian_at(c.loss, c.noise, 0.1, nan), ia);
  CHECK_THROWS_AS(sc::divergence_jacobian(c.noise, nan), ia);
  CHECK_THROWS_AS(sc::divergence_jacobian(c.noise, VectorXd()), ia);
  CHECK_THROWS_AS(sc::potential_jacobian(c.loss, c.noise, 0.1, VectorXd()), ia);
  // θ of the wrong size against the declared dimension: an invalid_argument naming the function.
  const std::string mj = message_of<ia>([&] { (void)sc::potential_jacobian(c.loss, c.noise, 0.1, three); });
  CHECK_MESSAGE(starts_with(mj, "shiftcurv::potential_jacobian: theta has size 3"), mj);
  CHECK_MESSAGE(contains(mj, "dimension() = 2"), mj);
  CHECK(starts_with(message_of<ia>([&] { (void)sc::divergence_jacobian(c.noise, three); }),
                    "shiftcurv::divergence_jacobian: theta has size 3"));
  CHECK(starts_with(message_of<ia>([&] { (void)sc::potential_hessian_at(c.loss, c.noise, 0.1, vec({0.1})); }),
                    "shiftcurv::potential_hessian_at: theta has size 1"));
  // D not positive definite: domain_error, naming the function and the smallest eigenvalue −1.
  const sc::matrix_field_diffusion<indefinite_field> bad{indefinite_field{}};
  const sc::quadratic q(spd2());
  const std::string mh = message_of<de>([&] { (void)sc::potential_hessian_at(q, bad, 0.1, th); });
  CHECK_MESSAGE(starts_with(mh, "shiftcurv::potential_hessian_at: D(theta) must be positive definite"), mh);
  CHECK_MESSAGE(contains(mh, "smallest eigenvalue is -1 "), mh);
  CHECK(starts_with(message_of<de>([&] { (void)sc::potential_jacobian(q, bad, 0.1, th); }),
                    "shiftcurv::potential_jacobian: D(theta) must be positive definite"));
  // A model whose D is 3x3 at a 2-vector.
  CHECK(starts_with(message_of<ia>([&] { (void)sc::potential_gradient(q, wrong_size_model{}, 0.1, th); }),
                    "shiftcurv::potential_gradient: the diffusion model's D(theta) is 3x3, expected 2x2"));
  CHECK_THROWS_AS(sc::divergence_jacobian(wrong_size_model{}, th), ia);
}

TEST_CASE("bad input: curl_diagnostic and path_gap with T <= 0 name themselves") {
  sc::b1_case2 c(spd2());
  const VectorXd a = vec({0.1, 0.2}), b = vec({0.5, -0.3});
  for (double T : {0.0, -0.5}) {
    const std::string mc = message_of<sc::domain_error>([&] { (void)sc::curl_diagnostic(c.loss, c.noise, T, a); });
    CHECK_MESSAGE(starts_with(mc, "shiftcurv::curl_diagnostic: T must be > 0"), mc);
    const std::string mp = message_of<sc::domain_error>([&] { (void)sc::path_gap(c.loss, c.noise, T, a, b); });
    CHECK_MESSAGE(starts_with(mp, "shiftcurv::path_gap: T must be > 0"), mp);
  }
  CHECK_THROWS_AS(sc::path_gap(c.loss, c.noise, std::nan(""), a, b), sc::invalid_argument);
  CHECK_THROWS_AS(sc::path_gap(c.loss, c.noise, 0.1, a, vec({0.5, std::nan("")})), sc::invalid_argument);
  CHECK(starts_with(message_of<sc::invalid_argument>([&] { (void)sc::curl_diagnostic(c.loss, c.noise, 0.1, vec({1.0, 2.0, 3.0})); }),
                    "shiftcurv::curl_diagnostic: theta has size 3"));
  // An indefinite D met on the path: the message names path_gap, not an internal step.
  const sc::matrix_field_diffusion<indefinite_field> bad{indefinite_field{}};
  const std::string mb = message_of<sc::domain_error>([&] { (void)sc::path_gap(c.loss, bad, 0.1, a, b); });
  CHECK_MESSAGE(starts_with(mb, "shiftcurv::path_gap: D(theta) must be positive definite"), mb);
}

TEST_CASE("an indefinite constant D is reported as not positive definite, with its smallest eigenvalue") {
  // [[1, 2], [2, 1]] has eigenvalues 3 and −1 (closed form); its diagonal is positive, so a
  // message quoting the diagonal would mislead.
  MatrixXd D(2, 2);
  D << 1, 2, 2, 1;
  const std::string m = message_of<sc::domain_error>([&] { sc::constant_diffusion bad(D); });
  CHECK_MESSAGE(starts_with(m, "shiftcurv::constant_diffusion: D must be positive definite"), m);
  CHECK_MESSAGE(contains(m, "smallest eigenvalue is -1 "), m);
  CHECK_MESSAGE(!contains(m, "diagonal"), m);
  // A 3x3 with eigenvalues {−2, 1, 4}: Q diag Qᵀ with a Householder Q = I − 2wwᵀ/|w|².
  const VectorXd w = vec({1.0, 2.0, 2.0});
  const MatrixXd Q = MatrixXd::Identity(3, 3) - 2 * w * w.transpose() / w.squaredNorm();
  const MatrixXd D3 = Q * vec({-2.0, 1.0, 4.0}).asDiagonal() * Q.transpose();
  const std::string m3 = message_of<sc::domain_error>([&] { sc::constant_diffusion bad(D3); });
  CHECK_MESSAGE(contains(m3, "smallest eigenvalue is -2 "), m3);
  CHECK(std::abs(sc::detail::smallest_eigenvalue(D3) + 2) < 1e-13);  // Jacobi converges to ≈ ε‖D‖
}

TEST_CASE("potential_jacobian, divergence_jacobian and potential_hessian_at against closed forms") {
  const double T = 0.3;
  const VectorXd th = vec({0.6, -0.3});
  // Constant D, quadratic U: V = D⁻¹Hθ, so ∂V/∂θ = D⁻¹H exactly; central differences of a
  // linear V are exact up to rounding (≈ ε/h·|V| ≈ 1e-11): asserted 1e-9.
  MatrixXd D(2, 2);
  D << 1.0, 0.3, 0.3, 0.5;
  const sc::quadratic U(spd2());
  const sc::constant_diffusion noise(D);
  const MatrixXd A = D.inverse() * spd2();
  CHECK((sc::potential_jacobian(U, noise, T, th) - A).norm() <= 1e-9 * A.norm());
  // d = 1 + |θ|⁴: ∇·(dI) = 4|θ|²θ and ∇(∇·D) = 4(|θ|² I + 2θθᵀ); first differences of a
  // smooth O(1) function: error ≈ 1e-10 relative, asserted 1e-7.
  auto d = [](const auto& x) { return 1.0 + x.squaredNorm() * x.squaredNorm(); };
  const sc::scalar_field_diffusion field{d};
  const MatrixXd want = 4 * (th.squaredNorm() * MatrixXd::Identity(2, 2) + 2 * th * th.transpose());
  CHECK((sc::divergence_jacobian(field, th) - want).norm() <= 1e-7 * want.norm());
  // B.1 case 1 at its minimum θ = 0: v = (1 + T/2) log U, so ∇²v(0) = (1 + T/2) H / a.
  const double a = 0.4;
  const sc::b1_case1 c1(spd2(), a);
  const MatrixXd Hv = sc::potential_hessian_at(c1.loss, c1.noise, T, VectorXd::Zero(2));
  const MatrixXd Hv_want = (1 + T / 2) * spd2() / a;
  CHECK((Hv - Hv_want).norm() <= 1e-7 * Hv_want.norm());
}
