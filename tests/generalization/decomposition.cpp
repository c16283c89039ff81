// The eq-3/4/7 decomposition against hand computation and against exact Gaussian
// expectations (closed forms, cross-checked by 2-D adaptive quadrature written here).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <Eigen/Cholesky>
#include <Eigen/Dense>

#include "shiftcurv/generalization/decomposition.hpp"

#include "support.hpp"

namespace sc = shiftcurv;

namespace {

sc::matrix m2(double a, double b, double c, double d) {
  sc::matrix M(2, 2);
  M << a, b, c, d;
  return M;
}
using test_support::v2;

// xᵀ C y written out for a symmetric 2×2 C (the hand computation).
double form(const sc::matrix& C, const sc::vector& x, const sc::vector& y) {
  return C(0, 0) * x(0) * y(0) + C(0, 1) * (x(0) * y(1) + x(1) * y(0)) + C(1, 1) * x(1) * y(1);
}

sc::basin_terms basin0() {
  return {0.25, -1.5, m2(2, 0.5, 0.5, 1), v2(0.1, -0.2), v2(0.02, 0.01), m2(0.03, 0.005, 0.005, 0.02)};
}
sc::basin_terms basin1() {
  return {0.75, -1.2, m2(0.8, -0.3, -0.3, 1.5), v2(-0.05, 0.15), v2(-0.01, 0.03),
          m2(0.01, -0.002, -0.002, 0.04)};
}

// E[f(θ)], θ ~ N(µ, Σ), by nested adaptive Gauss–Kronrod over z ∈ [−10, 10]² (θ = µ + L z);
// the Gaussian tail beyond 10σ is < 1e-22, the quadrature tolerance 1e-13 relative.
template <class F>
double gaussian_expectation(const F& f, const sc::vector& mu, const sc::matrix& Sigma) {
  using boost::math::quadrature::gauss_kronrod;
  const sc::matrix L = Eigen::LLT<sc::matrix>(Sigma).matrixL();
  const double norm = 1.0 / (2 * std::numbers::pi);
  auto inner = [&](double z0) {
    return gauss_kronrod<double, 61>::integrate(
        [&](double z1) {
          const sc::vector th = mu + L * v2(z0, z1);
          return norm * std::exp(-0.5 * (z0 * z0 + z1 * z1)) * f(th);
        },
        -10.0, 10.0, 12, 1e-13);
  };
  return gauss_kronrod<double, 61>::integrate(inner, -10.0, 10.0, 12, 1e-13);
}

// Steady state of dθ = −H(θ − θ_tr)dt + √(T D) dW (Ornstein–Uhlenbeck, constant D): N(θ_tr, Σ)
// with HΣ + ΣH = T D (Lyapunov), solved here by the Kronecker form (I⊗H + H⊗I) vec Σ = T vec D.
sc::matrix ou_covariance(const sc::matrix& H, const sc::matrix& D, double T) {
  const sc::matrix I = sc::matrix::Identity(2, 2);
  sc::matrix K(4, 4);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) K.block(2 * i, 2 * j, 2, 2) = I(i, j) * H + H(i, j) * I;
  const Eigen::Map<const sc::vector> d(D.data(), 4);
  const sc::vector x = K.fullPivLu().solve(T * d);
  return Eigen::Map<const sc::matrix>(x.data(), 2, 2);
}

}  // namespace

TEST_CASE("every decomposition term matches a hand computation (two 2-D basins)") {
  const std::vector<sc::basin_terms> basins{basin0(), basin1()};
  const auto d = sc::decompose_test_loss(basins);
  REQUIRE(d.per_basin.size() == 2);

  // Basin 0 by hand: sᵀCs = 2·0.01 + 2·0.5·(0.1)(−0.2) + 0.04 = 0.04;
  // bᵀCb = 2·0.0004 + 2·0.5·0.0002 + 0.0001 = 0.0011; sᵀCb = 0.004 − 0.0015 − 0.002 = 0.0005;
  // Tr(ΣC) = 0.06 + 2·0.005·0.5 + 0.02 = 0.085.  Only rounding separates code and hand: 1e-14.
  const auto& t0 = d.per_basin[0];
  CHECK(std::abs((t0.depth) - (-1.5)) <= 1e-15 * std::abs(-1.5));
  CHECK(std::abs((t0.shift_curvature) - (0.02)) <= 1e-14 * std::abs(0.02));
  CHECK(std::abs((t0.bias_curvature) - (0.00055 + 0.0005)) <= 1e-14 * std::abs(0.00055 + 0.0005));
  CHECK(std::abs((t0.covariance_curvature) - (0.0425)) <= 1e-14 * std::abs(0.0425));
  CHECK(std::abs((t0.total_eq7) - (-1.48)) <= 1e-14 * std::abs(-1.48));
  CHECK(std::abs((t0.total_eq4) - (-1.5 + 0.02 + 0.00105 + 0.0425)) <= 1e-14 * std::abs(-1.5 + 0.02 + 0.00105 + 0.0425));

  // Every term of both basins from the written-out quadratic forms.
  double overall[6] = {0, 0, 0, 0, 0, 0};
  for (std::size_t k = 0; k < 2; ++k) {
    const auto& b = basins[k];
    const auto& t = d.per_basin[k];
    const double sh = 0.5 * form(b.test_curvature, b.shift, b.shift);
    const double bi = 0.5 * form(b.test_curvature, b.bias, b.bias) + form(b.test_curvature, b.shift, b.bias);
    const double co = 0.5 * (b.covariance(0, 0) * b.test_curvature(0, 0) +
                             2 * b.covariance(0, 1) * b.test_curvature(0, 1) +
                             b.covariance(1, 1) * b.test_curvature(1, 1));
    CHECK(std::abs((t.depth) - (b.test_depth)) <= 1e-15 * std::abs(b.test_depth));
    CHECK(std::abs((t.shift_curvature) - (sh)) <= 1e-14 * std::abs(sh));
    CHECK(std::abs((t.bias_curvature) - (bi)) <= 1e-13 * std::abs(bi));
    CHECK(std::abs((t.covariance_curvature) - (co)) <= 1e-14 * std::abs(co));
    CHECK(std::abs((t.total_eq7) - (b.test_depth + sh)) <= 1e-14 * std::abs(b.test_depth + sh));
    CHECK(std::abs((t.total_eq4) - (b.test_depth + sh + bi + co)) <= 1e-14 * std::abs(b.test_depth + sh + bi + co));
    const double vals[6] = {b.test_depth, sh, bi, co, b.test_depth + sh + bi + co, b.test_depth + sh};
    for (int i = 0; i < 6; ++i) overall[i] += b.weight * vals[i];
  }
  CHECK(std::abs((d.overall.depth) - (overall[0])) <= 1e-14 * std::abs(overall[0]));
  CHECK(std::abs((d.overall.shift_curvature) - (overall[1])) <= 1e-14 * std::abs(overall[1]));
  CHECK(std::abs((d.overall.bias_curvature) - (overall[2])) <= 1e-13 * std::abs(overall[2]));
  CHECK(std::abs((d.overall.covariance_curvature) - (overall[3])) <= 1e-14 * std::abs(overall[3]));
  CHECK(std::abs((d.overall.total_eq4) - (overall[4])) <= 1e-14 * std::abs(overall[4]));
  CHECK(std::abs((d.overall.total_eq7) - (overall[5])) <= 1e-14 * std::abs(overall[5]));
}

TEST_CASE("eq 4 equals the exact expected test loss of a quadratic test loss under a Gaussian mixture") {
  // U_test(θ) = U_k + ½(θ − θ_test)ᵀC(θ − θ_test) near each basin, θ ~ N(µ_k, Σ_k),
  // µ_k = θ_tr − b_k, θ_test = θ_tr + s_k: the second-order expansion is exact, so eq 4 must
  // agree with 2-D quadrature to the quadrature tolerance (1e-13, asserted 1e-10).
  const std::vector<sc::basin_terms> basins{basin0(), basin1()};
  const std::vector<sc::vector> theta_train{v2(-1.0, 0.5), v2(1.2, -0.3)};
  double exact = 0;
  for (std::size_t k = 0; k < 2; ++k) {
    const auto& b = basins[k];
    const sc::vector theta_test = theta_train[k] + b.shift;
    const sc::vector mu = theta_train[k] - b.bias;
    auto U = [&](const sc::vector& th) {
      const sc::vector r = th - theta_test;
      return b.test_depth + 0.5 * r.dot(b.test_curvature * r);
    };
    exact += b.weight * gaussian_expectation(U, mu, b.covariance);
  }
  CHECK(std::abs((sc::decompose_test_loss(basins).overall.total_eq4) - (exact)) <= 1e-10 * std::abs(exact));
}

TEST_CASE("eq 4 tends to the exact test loss as T -> 0 when |s| is small against the well width") {
  // Train: U_tr = ½(θ − θ_tr)ᵀH(θ − θ_tr), constant D = c·H⁻¹; the steady state is exactly
  // N(θ_tr, Σ) with HΣ + ΣH = T D, and the bias is zero.  Test: a Gaussian well of width ~0.5
  // U_test = −a exp(−½(θ−θ_te)ᵀA(θ−θ_te)), θ_te = θ_tr + s, |s| = 0.02 ≪ 0.5.  Exact:
  // E[U_test] = −a det(I + AΣ)^{−1/2} exp(−½ sᵀ(Σ + A⁻¹)⁻¹ s).  Expanding, with x = Tr(AΣ) and
  // y = sᵀAs, eq 4 misses a·[¼Tr((AΣ)²) + ½sᵀAΣAs + ⅛(x + y)²] + O(3) ≤ (3/8)·a·(x + y)²: we
  // assert ≤ ½ a (x + y)² (margin for the third order, a relative O(x) ≤ 7% for T ≤ 1e-2
  // where x = Tr(AΣ) ≈ 6.5·T).
  const sc::matrix H = m2(2.0, 0.6, 0.6, 1.0);
  const sc::matrix A = m2(4.0, -1.0, -1.0, 6.0);
  const double a = 0.7, c = 1.0;
  const sc::vector theta_train = v2(0.3, -0.4), s = v2(0.012, -0.016);
  const sc::vector theta_test = theta_train + s;
  const sc::matrix D = c * H.inverse();

  auto exact_of = [&](const sc::matrix& Sigma, const sc::vector& shift) {
    const sc::matrix I = sc::matrix::Identity(2, 2);
    const sc::matrix M = Sigma + A.inverse();
    return -a / std::sqrt((I + A * Sigma).determinant()) * std::exp(-0.5 * shift.dot(M.ldlt().solve(shift)));
  };
  auto eq4_of = [&](const sc::matrix& Sigma, const sc::vector& shift) {
    return sc::decompose_test_loss({{1.0, -a, a * A, shift, sc::vector::Zero(2), Sigma}}).overall.total_eq4;
  };

  // The closed form itself against quadrature at one temperature (1e-13 → asserted 1e-10).
  {
    const sc::matrix Sigma = ou_covariance(H, D, 0.05);
    auto U = [&](const sc::vector& th) {
      const sc::vector r = th - theta_test;
      return -a * std::exp(-0.5 * r.dot(A * r));
    };
    CHECK(std::abs((exact_of(Sigma, s)) - (gaussian_expectation(U, theta_train, Sigma))) <= 1e-10 * std::abs(gaussian_expectation(U, theta_train, Sigma)));
  }

  double previous_error = std::numeric_limits<double>::infinity();
  for (double T : {1e-2, 1e-3, 1e-4, 1e-5}) {
    const sc::matrix Sigma = ou_covariance(H, D, T);
    // The Lyapunov solution is the one of the theory, Σ = (T/2)(D⁻¹H)⁻¹ = (cT/2)H⁻², to rounding.
    CHECK((Sigma - 0.5 * c * T * (H * H).inverse()).norm() <= 1e-12 * Sigma.norm());
    const double exact = exact_of(Sigma, s), eq4 = eq4_of(Sigma, s);
    const double x = (A * Sigma).trace(), y = s.dot(A * s);
    const double error = std::abs(eq4 - exact);
    CAPTURE(T);
    CHECK(error <= 0.5 * a * (x + y) * (x + y));
    CHECK(error < previous_error);  // monotone approach
    // Relative to the excess over the depth, the error is O(x + y) → small.
    CHECK(error <= (x + y) * std::abs(exact + a));
    previous_error = error;
  }
  // At the smallest T the residual is the O(|s|⁴) floor: eq 4 agrees to a relative 1e-6.
  const double T = 1e-5;
  const sc::matrix Sigma = ou_covariance(H, D, T);
  CHECK(std::abs(eq4_of(Sigma, s) - exact_of(Sigma, s)) <= 1e-6 * std::abs(exact_of(Sigma, s)));

  // With s = 0 the error is second order in T: dividing T by 10 divides it by 100 (±10%; the
  // third-order correction is a relative O(x), x ≈ 6.5e-2 at T = 1e-2).
  double e_prev = 0;
  for (double T2 : {1e-2, 1e-3, 1e-4}) {
    const sc::matrix S2 = ou_covariance(H, D, T2);
    const double e = std::abs(eq4_of(S2, sc::vector::Zero(2)) - exact_of(S2, sc::vector::Zero(2)));
    if (e_prev > 0) CHECK(std::abs(e_prev / e - 100.0) <= 0.1 * 100.0);
    e_prev = e;
  }
}

TEST_CASE("single_solution_test_loss is eq 3, exact for a quadratic test loss") {
  const sc::matrix C = m2(1.5, -0.4, -0.4, 0.9);
  const sc::vector theta_train = v2(0.2, 0.1), theta_test = v2(0.35, -0.05), theta_hat = v2(0.18, 0.16);
  const double depth = -0.8;
  const sc::vector r = theta_hat - theta_test;
  const double direct = depth + 0.5 * form(C, r, r);  // U_test(θ̂) written out
  CHECK(std::abs((sc::single_solution_test_loss(depth, C, theta_train, theta_test, theta_hat)) - (direct)) <= 1e-14 * std::abs(direct));
  // The (s, b̂) form: s = θ_test − θ_tr, b̂ = θ_tr − θ̂.
  CHECK(std::abs((sc::single_solution_test_loss(depth, C, theta_test - theta_train, theta_train - theta_hat)) - (direct)) <= 1e-14 * std::abs(direct));
  // θ̂ = θ_tr gives depth + shift-curvature (eq 7 for a single solution).
  const sc::vector s = theta_test - theta_train;
  CHECK(std::abs((sc::single_solution_test_loss(depth, C, theta_train, theta_test, theta_train)) - (depth + 0.5 * form(C, s, s))) <= 1e-14 * std::abs(depth + 0.5 * form(C, s, s)));
}

TEST_CASE("the decomposition uses the symmetric parts of C and Sigma") {
  auto b = basin0();
  const sc::matrix skew = m2(0, 0.3, -0.3, 0);
  auto bad = b;
  bad.test_curvature += skew;
  bad.covariance += 0.01 * skew;
  // A single basin needs weight 1.
  b.weight = bad.weight = 1.0;
  const auto e1 = sc::decompose_test_loss({b}).overall, e2 = sc::decompose_test_loss({bad}).overall;
  CHECK(std::abs((e2.total_eq4) - (e1.total_eq4)) <= 1e-14 * std::abs(e1.total_eq4));
  CHECK(std::abs((e2.covariance_curvature) - (e1.covariance_curvature)) <= 1e-14 * std::abs(e1.covariance_curvature));
}

TEST_CASE("decompose_test_loss and single_solution_test_loss reject bad input") {
  using ia = sc::invalid_argument;
  using de = sc::domain_error;
  CHECK_THROWS_AS(sc::decompose_test_loss({}), ia);
  auto b0 = basin0(), b1 = basin1();
  {  // sizes
    auto b = b1;
    b.shift = sc::vector::Zero(3);
    CHECK_THROWS_AS(sc::decompose_test_loss({b0, b}), ia);
    b = b1;
    b.bias = sc::vector::Zero(1);
    CHECK_THROWS_AS(sc::decompose_test_loss({b0, b}), ia);
    b = b1;
    b.test_curvature = sc::matrix::Identity(3, 3);
    CHECK_THROWS_AS(sc::decompose_test_loss({b0, b}), ia);
    b = b1;
    b.covariance = sc::matrix::Identity(2, 3);
    CHECK_THROWS_AS(sc::decompose_test_loss({b0, b}), ia);
    b = b1;
    b.shift = sc::vector();
    b.bias = sc::vector();
    CHECK_THROWS_AS(sc::decompose_test_loss({b}), ia);
  }
  {  // NaN / Inf
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    auto b = b1;
    b.test_depth = nan;
    CHECK_THROWS_AS(sc::decompose_test_loss({b0, b}), ia);
    b = b1;
    b.weight = nan;
    CHECK_THROWS_AS(sc::decompose_test_loss({b0, b}), ia);
    b = b1;
    b.shift(1) = inf;
    CHECK_THROWS_AS(sc::decompose_test_loss({b0, b}), ia);
    b = b1;
    b.covariance(0, 1) = nan;
    CHECK_THROWS_AS(sc::decompose_test_loss({b0, b}), ia);
    b = b1;
    b.test_curvature(1, 1) = -inf;
    CHECK_THROWS_AS(sc::decompose_test_loss({b0, b}), ia);
  }
  {  // weights
    auto b = b1;
    b.weight = 0.75 + 1e-8;
    CHECK_THROWS_AS(sc::decompose_test_loss({b0, b}), de);
    b.weight = 0.75 + 1e-11;  // within 1e-9
    CHECK_NOTHROW(sc::decompose_test_loss({b0, b}));
    auto n0 = b0, n1 = b1;
    n0.weight = -0.25;
    n1.weight = 1.25;
    CHECK_THROWS_AS(sc::decompose_test_loss({n0, n1}), de);
  }
  {  // the message names the function and the field
    auto b = b1;
    b.shift = sc::vector::Zero(3);
    try {
      sc::decompose_test_loss({b0, b});
      FAIL("no throw");
    } catch (const ia& e) {
      CHECK(std::string(e.what()).find("shiftcurv::decompose_test_loss: basins[1].shift") == 0);
    }
  }
  const sc::matrix C = sc::matrix::Identity(2, 2);
  CHECK_THROWS_AS(sc::single_solution_test_loss(0.0, C, v2(1, 2), sc::vector::Zero(3)), ia);
  CHECK_THROWS_AS(sc::single_solution_test_loss(0.0, sc::matrix::Identity(3, 3), v2(1, 2), v2(0, 0)), ia);
  CHECK_THROWS_AS(sc::single_solution_test_loss(std::nan(""), C, v2(1, 2), v2(0, 0)), ia);
  CHECK_THROWS_AS(sc::single_solution_test_loss(0.0, C, v2(1, 2), v2(0, 0), sc::vector::Zero(3)), ia);
  CHECK_THROWS_AS(sc::single_solution_test_loss(0.0, C, v2(1, 2), v2(0, std::nan("")), v2(0, 0)), ia);
  CHECK_THROWS_AS(sc::single_solution_test_loss(0.0, C, sc::vector(), sc::vector()), ia);
}
