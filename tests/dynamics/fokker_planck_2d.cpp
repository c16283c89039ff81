// 2-D Fokker–Planck solver (diagonal D): steady state against closed forms (B.1 case 3 with a
// position-dependent diagonal D; isotropic D with a non-separable loss), a current-carrying
// Ornstein–Uhlenbeck steady state (HD ≠ DH) against the Lyapunov covariance, agreement of the
// long-time evolution with the steady state, mass and positivity, bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "shiftcurv/dynamics/fokker_planck_2d.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/synthetic/closed_forms.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"

namespace sc = shiftcurv;

namespace {

// log ρ_ref(i, j) from an unnormalized log density, normalized like the solver (Σ ρ ΔxΔy = 1).
template <class F>
Eigen::MatrixXd reference_log_density(const sc::fokker_planck_2d& fp, const F& log_rho) {
  Eigen::MatrixXd l(fp.cells(0), fp.cells(1));
  for (Eigen::Index j = 0; j < fp.cells(1); ++j)
    for (Eigen::Index i = 0; i < fp.cells(0); ++i) l(i, j) = log_rho(fp.centres(0)(i), fp.centres(1)(j));
  const double top = l.maxCoeff();
  double z = 0;
  for (Eigen::Index j = 0; j < fp.cells(1); ++j)
    for (Eigen::Index i = 0; i < fp.cells(0); ++i) z += std::exp(l(i, j) - top) * fp.widths(0)(i) * fp.widths(1)(j);
  return l.array() - (top + std::log(z));
}

// Net outflow of every cell from the face currents: ṁ = jx(i) − jx(i+1) + jy(j) − jy(j+1).
Eigen::MatrixXd net_inflow(const sc::fokker_planck_2d& fp) {
  const auto [jx, jy] = fp.current();
  Eigen::MatrixXd out(fp.cells(0), fp.cells(1));
  for (Eigen::Index j = 0; j < fp.cells(1); ++j)
    for (Eigen::Index i = 0; i < fp.cells(0); ++i) out(i, j) = jx(i, j) - jx(i + 1, j) + jy(i, j) - jy(i, j + 1);
  return out;
}

// Covariance of the discrete density (midpoint rule).
Eigen::Matrix2d covariance(const sc::fokker_planck_2d& fp) {
  const Eigen::VectorXd& m = fp.cell_masses();
  Eigen::Vector2d mean = Eigen::Vector2d::Zero();
  Eigen::Matrix2d second = Eigen::Matrix2d::Zero();
  for (Eigen::Index j = 0; j < fp.cells(1); ++j)
    for (Eigen::Index i = 0; i < fp.cells(0); ++i) {
      const Eigen::Vector2d x(fp.centres(0)(i), fp.centres(1)(j));
      const double w = m(i + fp.cells(0) * j);
      mean += w * x;
      second += w * x * x.transpose();
    }
  return second - mean * mean.transpose();
}

}  // namespace

TEST_CASE("FP 2-D steady state, B.1 case 3 (position-dependent diagonal D): exp(-2v/T) at the nodes") {
  const Eigen::VectorXd h = (Eigen::VectorXd(2) << 1.0, 2.0).finished();
  const sc::b1_case3 c3(h, 0.7);
  const double T = 0.5;
  sc::fokker_planck_2d fp(c3.loss, c3.noise, T, {-3, -2.5}, {3, 2.5}, {48, 40});
  const auto ss = fp.steady_state();
  REQUIRE(ss.ok());
  CHECK(ss.detailed_balance);
  const auto ref = reference_log_density(fp, [&](double x, double y) {
    return c3.log_density(Eigen::Vector2d(x, y), T);
  });
  const double err = (ss.log_density - ref).cwiseAbs().maxCoeff();
  INFO("B.1 case 3: max |log rho - closed form| = " << err << ", circulation " << ss.circulation
                                                         << ", bound " << ss.log_density_error);
  // exact up to the quadrature of the edge increments (≤ 1e-13 relative) and rounding in the
  // path sums (|log ρ| ≲ 40 here): 1e-10 leaves a wide margin.
  CHECK(err < 1e-10);
  CHECK(ss.circulation < 1e-11);
  CHECK(fp.mass() == doctest::Approx(1).epsilon(1e-14));
  // zero current on every face: against the one-way flux scale max(ρ)·max rate
  const auto [jx, jy] = fp.current();
  CHECK(jx.cwiseAbs().maxCoeff() < 1e-14);
  CHECK(jy.cwiseAbs().maxCoeff() < 1e-14);
  INFO("residual " << ss.residual);
  CHECK(ss.residual < 1e-14);  // ‖A m‖₁ / max|A_ii|: rounding of the rates times ρ ≲ 1
}

TEST_CASE("FP 2-D steady state, non-separable loss with isotropic D: exp(-2U/(T c))") {
  // Two tilted Gaussian wells with full covariances; D = c·I makes V = ∇U/c a gradient.
  Eigen::Matrix2d S0, S1;
  S0 << 0.3, 0.1, 0.1, 0.2;
  S1 << 0.5, -0.2, -0.2, 0.6;
  const sc::gaussian_wells U({Eigen::Vector2d(-1, 0), Eigen::Vector2d(1, 0.5)}, {0.4, 0.7}, {S0, S1}, 0.05);
  const double c = 0.3, T = 0.4;
  sc::fokker_planck_2d fp(U, sc::constant_diffusion(c, 2), T, {-3, -3}, {3, 3}, {45, 50});
  const auto ss = fp.steady_state();
  REQUIRE(ss.ok());
  CHECK(ss.detailed_balance);
  const auto ref = reference_log_density(fp, [&](double x, double y) { return -2 * U(Eigen::Vector2d(x, y)) / (T * c); });
  const double err = (ss.log_density - ref).cwiseAbs().maxCoeff();
  INFO("gaussian wells: max |log rho - closed form| = " << err << ", circulation " << ss.circulation);
  CHECK(err < 1e-10);  // as above; |log ρ| ≲ 20
  // Backward Euler with a huge step is inverse iteration on the null space of the generator:
  // from uniform it lands on the same state whatever the mixing time (factor (1 + dt·λ₁)⁻¹ per
  // step).
  fp.set_uniform();
  const auto r = fp.evolve(1e7, {.scheme = sc::fp_scheme::backward_euler, .dt = 1e6});
  REQUIRE(r.ok());
  const Eigen::MatrixXd rho_ref = ref.array().exp();
  const double l1 = ((fp.density() - rho_ref).array().abs() * (6.0 / 45) * (6.0 / 50)).sum();
  INFO("backward Euler dt = 1e6: L1 to the closed form " << l1);
  CHECK(l1 < 1e-9);
  CHECK(std::abs(fp.mass() - 1) < 1e-12);
  CHECK(fp.cell_masses().minCoeff() >= 0.0);
  // adaptive TR-BDF2 over a transient: mass kept, positive to rounding
  fp.set_uniform();
  const auto r2 = fp.evolve(1.0, {.tolerance = 1e-7});
  REQUIRE(r2.ok());
  INFO("TR-BDF2 to t=1: steps " << r2.iterations << ", estimate " << r2.error_estimate);
  CHECK(std::abs(fp.mass() - 1) < 1e-12);
  CHECK(r2.min_density >= -1e-14 * fp.density().maxCoeff());
  CHECK(fp.time() == doctest::Approx(1.0));
}

TEST_CASE("FP 2-D Ornstein–Uhlenbeck with HD ≠ DH: current-carrying steady state, Lyapunov covariance") {
  // U = ½θᵀHθ, D = diag(d1, d2) constant: V = D⁻¹Hθ has curl (HD ≠ DH), the stationary law is
  // Gaussian with HΣ + ΣH = T·D and carries a rotating current.  Box ±7σ: walls negligible.
  Eigen::Matrix2d H;
  H << 1.0, 0.5, 0.5, 1.0;
  const double d1 = 1.0, d2 = 0.25, T = 0.5;
  // Lyapunov equation for the symmetric Σ: three linear equations in (Σ11, Σ12, Σ22)
  Eigen::Matrix3d L;
  L << 2 * H(0, 0), 2 * H(0, 1), 0, H(0, 1), H(0, 0) + H(1, 1), H(0, 1), 0, 2 * H(0, 1), 2 * H(1, 1);
  const Eigen::Vector3d s = L.fullPivLu().solve(Eigen::Vector3d(T * d1, 0, T * d2));
  Eigen::Matrix2d Sigma;
  Sigma << s(0), s(1), s(1), s(2);
  CHECK((H * Sigma + Sigma * H - Eigen::Matrix2d(Eigen::Vector2d(T * d1, T * d2).asDiagonal())).norm() < 1e-14);
  auto grad = [&H](double x, double y) { return Eigen::Vector2d(H * Eigen::Vector2d(x, y)); };
  auto diag = [&](double, double) { return Eigen::Vector2d(d1, d2); };
  const double Lx = 7 * std::sqrt(Sigma(0, 0)), Ly = 7 * std::sqrt(Sigma(1, 1));
  std::vector<double> errs;
  for (Eigen::Index n : {30, 60}) {
    sc::fokker_planck_2d fp(grad, diag, T, {-Lx, -Ly}, {Lx, Ly}, {n, n});
    const auto ss = fp.steady_state();
    REQUIRE(ss.ok());
    CHECK(!ss.detailed_balance);
    CHECK(ss.circulation > 1e-4);
    CHECK(ss.residual < 1e-13);  // A m = 0 to rounding
    CHECK(fp.cell_masses().minCoeff() >= 0.0);
    CHECK(fp.mass() == doctest::Approx(1).epsilon(1e-13));
    // the current is non-zero but divergence-free
    const auto [jx, jy] = fp.current();
    const double jscale = std::max(jx.cwiseAbs().maxCoeff(), jy.cwiseAbs().maxCoeff());
    CHECK(jscale > 1e-3);
    CHECK(net_inflow(fp).cwiseAbs().maxCoeff() < 1e-12 * jscale);
    const double e = (covariance(fp) - Sigma).cwiseAbs().maxCoeff();
    INFO("n = " << n << ": covariance error " << e << ", circulation " << ss.circulation << ", current scale "
                   << jscale);
    errs.push_back(e);
    if (n == 30) {  // backward Euler from uniform lands on the same state
      const Eigen::VectorXd m_ss = fp.cell_masses();
      fp.set_uniform();
      const auto r = fp.evolve(1e6, {.scheme = sc::fp_scheme::backward_euler, .dt = 1e5});
      CHECK(r.ok());
      CHECK(fp.cell_masses().minCoeff() >= 0.0);
      CHECK((fp.cell_masses() - m_ss).cwiseAbs().sum() < 1e-10);
    }
  }
  const double order = std::log2(errs[0] / errs[1]);
  INFO("covariance order " << order);
  CHECK(order == doctest::Approx(2).epsilon(0.15));  // second order in h
  CHECK(errs[1] < 0.01 * Sigma.cwiseAbs().maxCoeff());
}

TEST_CASE("FP 2-D time stepping: mass to 1e-12, backward Euler positive for any dt") {
  const Eigen::VectorXd h = (Eigen::VectorXd(2) << 1.0, 2.0).finished();
  const sc::b1_case3 c3(h, 0.7);
  sc::fokker_planck_2d fp(c3.loss, c3.noise, 0.5, {-3, -3}, {3, 3}, {30, 30});
  for (double dt : {1e-3, 0.1, 100.0}) {
    Eigen::MatrixXd rho = Eigen::MatrixXd::Zero(30, 30);
    rho(2, 27) = 1;  // a point mass in a corner
    fp.set_density(rho);
    const auto r = fp.evolve(1.0, {.scheme = sc::fp_scheme::backward_euler, .dt = dt});
    CHECK(r.ok());
    CHECK(fp.cell_masses().minCoeff() >= 0.0);
    CHECK(std::abs(fp.mass() - 1) < 1e-12);
    CHECK(r.max_mass_correction < 1e-16 * (1 + dt * 1e4));  // rounding only
  }
  // the generator conserves mass structurally: every column sums to zero
  const Eigen::RowVectorXd colsum = Eigen::RowVectorXd::Ones(fp.size()) * fp.generator();
  CHECK(colsum.cwiseAbs().maxCoeff() < 1e-13);
  // marginals add up
  CHECK(fp.marginal(0).sum() == doctest::Approx(1).epsilon(1e-14));
  CHECK(fp.marginal(1).size() == 30);
}

TEST_CASE("FP 2-D bad input throws the documented types") {
  const sc::gaussian_wells U({Eigen::Vector2d(0, 0)}, {0.5}, {Eigen::Matrix2d::Identity()});
  const sc::constant_diffusion D(0.3, 2);
  CHECK_THROWS_AS(sc::fokker_planck_2d(U, D, 0.0, {-1, -1}, {1, 1}, {10, 10}), sc::domain_error);
  CHECK_THROWS_AS(sc::fokker_planck_2d(U, D, 0.1, {1, -1}, {-1, 1}, {10, 10}), sc::invalid_argument);
  CHECK_THROWS_AS(sc::fokker_planck_2d(U, D, 0.1, {-1, -1}, {1, 1}, {10, 1}), sc::invalid_argument);
  CHECK_THROWS_AS(sc::fokker_planck_2d(U, sc::constant_diffusion(0.3, 1), 0.1, {-1, -1}, {1, 1}, {10, 10}),
                  sc::invalid_argument);
  Eigen::MatrixXd M(2, 2);
  M << 1, 0.3, 0.3, 1;
  CHECK_THROWS_AS(sc::fokker_planck_2d(U, sc::constant_diffusion(M), 0.1, {-1, -1}, {1, 1}, {10, 10}),
                  sc::invalid_argument);  // non-diagonal D: not supported
  auto g = [](double x, double y) { return Eigen::Vector2d(x, y); };
  CHECK_THROWS_AS(sc::fokker_planck_2d(g, [](double x, double) { return Eigen::Vector2d(x, 1); }, 0.1, {-1, -1},
                                       {1, 1}, {10, 10}),
                  sc::domain_error);  // D₁ ≤ 0 for x ≤ 0
  sc::fokker_planck_2d fp(U, D, 0.1, {-1, -1}, {1, 1}, {10, 8});
  CHECK_THROWS_AS(fp.set_density(Eigen::MatrixXd::Ones(8, 10)), sc::invalid_argument);
  CHECK_THROWS_AS(fp.set_density(-Eigen::MatrixXd::Ones(10, 8)), sc::domain_error);
  CHECK_THROWS_AS(fp.marginal(2), sc::invalid_argument);
  CHECK_THROWS_AS(fp.evolve(-1.0), sc::domain_error);
}
