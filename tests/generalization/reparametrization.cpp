// Appendix C: every term of eq 4 is invariant under a nonlinear reparametrization θ = r(y),
// within the expected O(s) / O(s + T) relative terms.  The y-side quantities are measured
// independently: minima by Newton's method on U∘r, Hessians of U∘r by automatic
// differentiation, the covariance by a Laplace fit of the pushed-forward density in y.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include <Eigen/Dense>

#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/generalization/decomposition.hpp"
#include "shiftcurv/generalization/reparametrization.hpp"

#include "support.hpp"

namespace sc = shiftcurv;

namespace {

template <class S>
using vec = Eigen::Matrix<S, Eigen::Dynamic, 1>;

using test_support::v2;

// θ = r(y) = (y1 + α y2², sinh y2): nonlinear, invertible, explicit inverse.
constexpr double alpha = 0.4;
template <class S>
vec<S> r_of(const vec<S>& y) {
  using std::sinh;
  vec<S> th(2);
  th(0) = y(0) + S(alpha) * y(1) * y(1);
  th(1) = sinh(y(1));
  return th;
}
sc::vector r_inverse(const sc::vector& th) {
  const double y1 = std::asinh(th(1));
  return v2(th(0) - alpha * y1 * y1, y1);
}
sc::matrix jacobian(const sc::vector& y) {  // ∂r/∂y, by hand
  sc::matrix J(2, 2);
  J << 1.0, 2 * alpha * y(1), 0.0, std::cosh(y(1));
  return J;
}

// U_tr(θ) = ½δᵀHδ + γ δ1²δ2 + κ|δ|⁴, δ = θ − θ_tr (minimum at θ_tr, Hessian H there);
// U_test(θ) = U_tr(θ + h e): minimum at θ_test = θ_tr − h e, so s = −h e.
const sc::vector theta_train = v2(0.3, 0.5);
const sc::vector direction = v2(0.6, -0.8);
struct train_loss {
  double offset = 0;  // evaluates U_tr at θ + offset·e
  template <class S>
  S at(const vec<S>& th) const {
    const S d0 = th(0) + S(offset * direction(0)) - S(theta_train(0));
    const S d1 = th(1) + S(offset * direction(1)) - S(theta_train(1));
    const S q = d0 * d0 + d1 * d1;
    return S(-0.7) + S(0.5 * 2.0) * d0 * d0 + S(0.4) * d0 * d1 + S(0.5 * 1.2) * d1 * d1 +
           S(0.5) * d0 * d0 * d1 + S(0.3) * q * q;
  }
  template <class S>
  S operator()(const vec<S>& th) const { return at(th); }
};
sc::matrix H_train() {
  sc::matrix H(2, 2);
  H << 2.0, 0.4, 0.4, 1.2;
  return H;
}

// U∘r.
struct composed {
  train_loss U;
  template <class S>
  S operator()(const vec<S>& y) const { return U.at(r_of(y)); }
};

// −log ρ_Y(y) for θ ~ N(µ, Σ): ½(r(y)−µ)ᵀΣ⁻¹(r(y)−µ) − log|det ∂r/∂y|, det = cosh y2.
struct pushed_forward_gaussian {
  sc::vector mu;
  sc::matrix Sigma_inverse;
  template <class S>
  S operator()(const vec<S>& y) const {
    using std::cosh;
    using std::log;
    const vec<S> th = r_of(y);
    const S e0 = th(0) - S(mu(0)), e1 = th(1) - S(mu(1));
    return S(0.5) * (S(Sigma_inverse(0, 0)) * e0 * e0 + S(2 * Sigma_inverse(0, 1)) * e0 * e1 +
                     S(Sigma_inverse(1, 1)) * e1 * e1) -
           log(cosh(y(1)));
  }
};

// Newton's method with exact (AD) derivatives, to |step| < 1e-14.
template <class F>
sc::vector newton_minimum(const F& f, sc::vector y) {
  for (int it = 0; it < 60; ++it) {
    const sc::vector step = sc::hessian(f, y).ldlt().solve(sc::gradient(f, y));
    y -= step;
    if (step.norm() < 1e-14) break;
  }
  return y;
}

struct both_sides {
  sc::basin_terms theta, y;
  sc::matrix J;  // ∂r/∂y at y_test
};

// The basin in θ (exact by construction) and in y (measured there), for shift size h and a
// Gaussian N(θ_tr − T b0, T M).
both_sides measure(double h, double T) {
  const train_loss U_test{h};
  const sc::vector theta_test = theta_train - h * direction;
  const sc::vector b = T * v2(0.5, -0.3);
  sc::matrix M(2, 2);
  M << 0.8, 0.2, 0.2, 0.5;
  const sc::matrix Sigma = T * M;
  const sc::vector mu = theta_train - b;

  both_sides out;
  out.theta = {1.0, U_test(theta_test), sc::hessian(U_test, theta_test), theta_test - theta_train, b, Sigma};
  // y side: minima of U∘r found by Newton from perturbed starts, Hessian of U∘r there.
  const composed Ur_train{train_loss{0.0}}, Ur_test{U_test};
  const sc::vector y_train = newton_minimum(Ur_train, r_inverse(theta_train) + v2(0.02, -0.01));
  const sc::vector y_test = newton_minimum(Ur_test, r_inverse(theta_test) + v2(-0.01, 0.02));
  const pushed_forward_gaussian nlp{mu, Sigma.inverse()};
  const sc::vector y_mode = newton_minimum(nlp, r_inverse(mu));
  const sc::matrix Sigma_y = sc::hessian(nlp, y_mode).inverse();
  out.y = {1.0, Ur_test(y_test), sc::hessian(Ur_test, y_test), y_test - y_train, y_train - r_inverse(mu), Sigma_y};
  out.J = jacobian(y_test);
  // The minima correspond (Newton converged to the right points).
  CHECK((r_of<double>(y_train) - theta_train).norm() < 1e-12);
  CHECK((r_of<double>(y_test) - theta_test).norm() < 1e-12);
  return out;
}

double rel(double a, double b) { return std::abs(a - b) / std::abs(b); }

}  // namespace

TEST_CASE("reparametrize maps C, s, b, Sigma so that every term is exactly invariant") {
  const sc::basin_terms basin{1.0, -0.4, H_train(), v2(0.05, -0.08), v2(0.01, 0.004),
                              (sc::matrix(2, 2) << 0.02, 0.003, 0.003, 0.01).finished()};
  const sc::matrix J = jacobian(v2(0.2, 0.7));
  const auto mapped = sc::reparametrize(basin, J);
  // The helpers against hand-written 2×2 algebra.
  const double j00 = J(0, 0), j01 = J(0, 1), j10 = J(1, 0), j11 = J(1, 1);
  const sc::matrix& C = basin.test_curvature;
  // (JᵀCJ)_{ab} = Σ_ij J_ia C_ij J_jb
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      double e = 0;
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) e += J(i, a) * C(i, j) * J(j, b);
      CHECK(std::abs(mapped.test_curvature(a, b) - (e)) <= 1e-14 * std::abs(e));
      CHECK(std::abs(sc::reparametrized_curvature(C, J)(a, b) - (e)) <= 1e-14 * std::abs(e));
    }
  // J⁻¹ by the 2×2 adjugate.
  const double det = j00 * j11 - j01 * j10;
  sc::matrix Jinv(2, 2);
  Jinv << j11 / det, -j01 / det, -j10 / det, j00 / det;
  CHECK((mapped.shift - Jinv * basin.shift).norm() < 1e-15);
  CHECK((mapped.bias - Jinv * basin.bias).norm() < 1e-15);
  CHECK((sc::reparametrized_displacement(basin.shift, J) - Jinv * basin.shift).norm() < 1e-15);
  const sc::matrix Sy = Jinv * basin.covariance * Jinv.transpose();
  CHECK((mapped.covariance - Sy).norm() < 1e-15);
  CHECK((sc::reparametrized_covariance(basin.covariance, J) - Sy).norm() < 1e-15);
  CHECK(mapped.weight == basin.weight);
  CHECK(mapped.test_depth == basin.test_depth);

  const auto d0 = sc::decompose_test_loss({basin}).overall, d1 = sc::decompose_test_loss({mapped}).overall;
  CHECK(std::abs(d1.shift_curvature - (d0.shift_curvature)) <= 1e-13 * std::abs(d0.shift_curvature));
  CHECK(std::abs(d1.bias_curvature - (d0.bias_curvature)) <= 1e-13 * std::abs(d0.bias_curvature));
  CHECK(std::abs(d1.covariance_curvature - (d0.covariance_curvature)) <= 1e-13 * std::abs(d0.covariance_curvature));
  CHECK(std::abs(d1.total_eq4 - (d0.total_eq4)) <= 1e-14 * std::abs(d0.total_eq4));
  CHECK(std::abs(d1.total_eq7 - (d0.total_eq7)) <= 1e-14 * std::abs(d0.total_eq7));
}

TEST_CASE("every term is invariant under a nonlinear reparametrization within O(s + T)") {
  // Shrink h and T together (T = h/4): the y-measured terms approach the θ terms with relative
  // differences linear in h (ratio ≈ 2 per halving); the mapped displacements agree with the
  // measured ones to O(h²) (ratio ≈ 4).  Bounds: the constant in front of h is set by the
  // second derivatives of r (2α = 0.8, sinh y2 ≈ 0.5) and of U (the cubic γ = 0.5): O(1);
  // measured ≤ 0.42h; we assert ≤ h and ratios within ±25% of 2.
  struct row {
    double h, shift_rel, bias_rel, cov_rel, eq4_rel, s_map, b_map, sigma_map;
  };
  std::vector<row> rows;
  for (double h : {0.08, 0.04, 0.02}) {
    const double T = h / 4;
    const auto m = measure(h, T);
    const auto dt = sc::decompose_test_loss({m.theta}).overall;
    const auto dy = sc::decompose_test_loss({m.y}).overall;
    CAPTURE(h);
    // Depth: a scalar is its own reparametrization.
    CHECK(std::abs(dy.depth - (dt.depth)) <= 1e-14 * std::abs(dt.depth));
    // Curvature at the minimum: C_y = JᵀCJ exactly (Newton to 1e-14, AD Hessians): 1e-10.
    CHECK((m.y.test_curvature - m.J.transpose() * m.theta.test_curvature * m.J).norm() <=
          1e-10 * m.y.test_curvature.norm());
    const auto mapped = sc::reparametrize(m.theta, m.J);
    const double excess = dt.total_eq4 - dt.depth;
    rows.push_back({h, rel(dy.shift_curvature, dt.shift_curvature), rel(dy.bias_curvature, dt.bias_curvature),
                    rel(dy.covariance_curvature, dt.covariance_curvature),
                    std::abs((dy.total_eq4 - dy.depth) - excess) / excess,
                    (mapped.shift - m.y.shift).norm() / m.y.shift.norm(),
                    (mapped.bias - m.y.bias).norm() / m.y.bias.norm(),
                    (mapped.covariance - m.y.covariance).norm() / m.y.covariance.norm()});
    const auto& rw = rows.back();
    CHECK(rw.shift_rel <= h);
    CHECK(rw.bias_rel <= h);
    CHECK(rw.cov_rel <= h);
    CHECK(rw.eq4_rel <= h);
    CHECK(rw.s_map <= h);
    CHECK(rw.b_map <= h);
    CHECK(rw.sigma_map <= h);
  }
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto &a = rows[i - 1], &b = rows[i];
    CAPTURE(b.h);
    CHECK(std::abs(a.shift_rel / b.shift_rel - (2.0)) <= 0.25 * std::abs(2.0));
    CHECK(std::abs(a.bias_rel / b.bias_rel - (2.0)) <= 0.25 * std::abs(2.0));
    CHECK(std::abs(a.cov_rel / b.cov_rel - (2.0)) <= 0.25 * std::abs(2.0));
    CHECK(std::abs(a.eq4_rel / b.eq4_rel - (2.0)) <= 0.25 * std::abs(2.0));
    // |J⁻¹s − s_y| = O(h²) against |s_y| = O(h): relative O(h); likewise for b and Σ.
    CHECK(std::abs(a.s_map / b.s_map - (2.0)) <= 0.25 * std::abs(2.0));
    CHECK(std::abs(a.b_map / b.b_map - (2.0)) <= 0.25 * std::abs(2.0));
    CHECK(std::abs(a.sigma_map / b.sigma_map - (2.0)) <= 0.25 * std::abs(2.0));
  }
}

TEST_CASE("the reparametrization helpers reject bad input") {
  using ia = sc::invalid_argument;
  using de = sc::domain_error;
  const sc::matrix C = H_train();
  const sc::vector s = v2(0.1, 0.2);
  const sc::matrix J = jacobian(v2(0.1, 0.3));
  sc::matrix singular(2, 2);
  singular << 1.0, 2.0, 2.0, 4.0;
  CHECK_THROWS_AS(sc::reparametrized_curvature(C, sc::matrix::Identity(3, 3)), ia);
  CHECK_THROWS_AS(sc::reparametrized_curvature(sc::matrix::Identity(2, 3), J), ia);
  CHECK_THROWS_AS(sc::reparametrized_curvature(C, singular), de);
  CHECK_THROWS_AS(sc::reparametrized_displacement(sc::vector::Zero(3), J), ia);
  CHECK_THROWS_AS(sc::reparametrized_displacement(s, singular), de);
  CHECK_THROWS_AS(sc::reparametrized_displacement(sc::vector(), sc::matrix()), ia);
  sc::matrix Jn = J;
  Jn(0, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(sc::reparametrized_covariance(C, Jn), ia);
  CHECK_THROWS_AS(sc::reparametrized_covariance(C, singular), de);
  sc::basin_terms b{1.0, 0.0, C, s, s, C};
  CHECK_NOTHROW(sc::reparametrize(b, J));
  CHECK_THROWS_AS(sc::reparametrize(b, singular), de);
  CHECK_THROWS_AS(sc::reparametrize(b, sc::matrix::Identity(3, 3)), ia);
  b.bias = sc::vector::Zero(3);
  CHECK_THROWS_AS(sc::reparametrize(b, J), ia);
  b.bias = s;
  b.covariance(1, 0) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(sc::reparametrize(b, J), ia);
}
