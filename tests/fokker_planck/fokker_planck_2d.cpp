// 2-D Fokker–Planck solver.  Diagonal D: steady state against closed forms (B.1 case 3 with a
// position-dependent diagonal D; isotropic D with a non-separable loss), a current-carrying
// Ornstein–Uhlenbeck steady state (HD ≠ DH) against the Lyapunov covariance, agreement of the
// long-time evolution with the steady state, mass and positivity, bad input.  Constant
// non-diagonal D (7-point stencil): Ornstein–Uhlenbeck covariance and rotating current against
// the Lyapunov solution with observed orders, the exact steady state where V is curl-free, mass
// and positivity in time, the limit D₁₂ → 0, the aspect-ratio range and bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>

#include "shiftcurv/fokker_planck/fokker_planck_2d.hpp"
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
    return c3.log_density(T, Eigen::Vector2d(x, y));
  });
  const double err = (ss.log_density - ref).cwiseAbs().maxCoeff();
  INFO("B.1 case 3: max |log rho - closed form| = " << err << ", circulation " << ss.circulation
                                                         << ", bound " << ss.log_density_error);
  // exact up to the quadrature of the edge increments (≤ 1e-13 relative) and rounding in the
  // path sums (|log ρ| ≲ 40 here): 1e-10 leaves a wide margin.
  CHECK(err < 1e-10);
  CHECK(ss.circulation < 1e-11);
  CHECK(std::abs(fp.mass() - 1) <= 1e-14 * 1);
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
    CHECK(std::abs(fp.mass() - 1) <= 1e-13 * 1);
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
  CHECK(std::abs(order - 2) <= 0.15 * 2);  // second order in h
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
  CHECK(std::abs(fp.marginal(0).sum() - 1) <= 1e-14 * 1);
  CHECK(fp.marginal(1).size() == 30);
}

TEST_CASE("FP 2-D bad input throws the documented types") {
  const sc::gaussian_wells U({Eigen::Vector2d(0, 0)}, {0.5}, {Eigen::Matrix2d::Identity()});
  const sc::constant_diffusion D(0.3, 2);
  CHECK_THROWS_AS(sc::fokker_planck_2d(U, D, 0.0, {-1, -1}, {1, 1}, {10, 10}), sc::domain_error);
  // T < 0 or NaN, through each constructor, named in the message before any other work
  auto g2 = [](double x, double y) { return Eigen::Vector2d(x, y); };
  auto one = [](double, double) { return Eigen::Vector2d(1, 1); };
  Eigen::Matrix2d D2;
  D2 << 1, 0.3, 0.3, 1;
  for (double T : {-0.5, -1e-300}) {
    CHECK_THROWS_WITH_AS(sc::fokker_planck_2d(U, D, T, {-1, -1}, {1, 1}, {10, 10}),
                         doctest::Contains("shiftcurv::fokker_planck_2d: T must be > 0"), sc::domain_error);
    CHECK_THROWS_WITH_AS(sc::fokker_planck_2d(g2, one, T, {-1, -1}, {1, 1}, {10, 10}),
                         doctest::Contains("shiftcurv::fokker_planck_2d: T must be > 0"), sc::domain_error);
    CHECK_THROWS_WITH_AS(sc::fokker_planck_2d(g2, D2, T, {-1, -1}, {1, 1}, {10, 10}),
                         doctest::Contains("shiftcurv::fokker_planck_2d: T must be > 0"), sc::domain_error);
  }
  CHECK_THROWS_WITH_AS(sc::fokker_planck_2d(U, D, NAN, {-1, -1}, {1, 1}, {10, 10}),
                       doctest::Contains("shiftcurv::fokker_planck_2d: T must be finite"), sc::invalid_argument);
  CHECK_THROWS_WITH_AS(sc::fokker_planck_2d(g2, one, NAN, {-1, -1}, {1, 1}, {10, 10}),
                       doctest::Contains("shiftcurv::fokker_planck_2d: T must be finite"), sc::invalid_argument);
  CHECK_THROWS_WITH_AS(sc::fokker_planck_2d(g2, D2, NAN, {-1, -1}, {1, 1}, {10, 10}),
                       doctest::Contains("shiftcurv::fokker_planck_2d: T must be finite"), sc::invalid_argument);
  CHECK_THROWS_AS(sc::fokker_planck_2d(U, D, 0.1, {1, -1}, {-1, 1}, {10, 10}), sc::invalid_argument);
  CHECK_THROWS_AS(sc::fokker_planck_2d(U, D, 0.1, {-1, -1}, {1, 1}, {10, 1}), sc::invalid_argument);
  CHECK_THROWS_AS(sc::fokker_planck_2d(U, sc::constant_diffusion(0.3, 1), 0.1, {-1, -1}, {1, 1}, {10, 10}),
                  sc::invalid_argument);
  Eigen::MatrixXd M(2, 2);
  M << 1, 0.3, 0.3, 1;
  // a constant non-diagonal D is supported where hx/hy lies in [0.3, 1/0.3] ...
  CHECK_NOTHROW(sc::fokker_planck_2d(U, sc::constant_diffusion(M), 0.1, {-1, -1}, {1, 1}, {10, 10}));
  // ... and is a domain_error outside it (hx/hy = 4 here)
  CHECK_THROWS_AS(sc::fokker_planck_2d(U, sc::constant_diffusion(M), 0.1, {-1, -1}, {1, 1}, {10, 40}),
                  sc::domain_error);
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

// ---- constant non-diagonal D -------------------------------------------------------------------

namespace {

// Σ solving the Lyapunov equation HΣ + ΣH = T·D (symmetric H, D): three linear equations in
// (Σ11, Σ12, Σ22), solved by full-pivot LU — independent of the solver.
Eigen::Matrix2d lyapunov(const Eigen::Matrix2d& H, const Eigen::Matrix2d& D, double T) {
  Eigen::Matrix3d L;
  L << 2 * H(0, 0), 2 * H(0, 1), 0, H(1, 0), H(0, 0) + H(1, 1), H(0, 1), 0, 2 * H(1, 0), 2 * H(1, 1);
  const Eigen::Vector3d s = L.fullPivLu().solve(Eigen::Vector3d(T * D(0, 0), T * D(0, 1), T * D(1, 1)));
  Eigen::Matrix2d S;
  S << s(0), s(1), s(1), s(2);
  return S;
}

// A diffusion model whose D₁₂ depends on x (not supported: must throw invalid_argument).
struct varying_offdiagonal {
  double slope = 0.1, base = 0.2;
  sc::matrix matrix(const sc::vector& t) const {
    sc::matrix D(2, 2);
    D << 1, base + slope * t(0), base + slope * t(0), 1;
    return D;
  }
  sc::vector divergence(const sc::vector&) const { return sc::vector::Zero(2); }
  sc::matrix noise_factor(const sc::vector& t) const { return matrix(t).llt().matrixL(); }
};

}  // namespace

TEST_CASE("FP 2-D constant non-diagonal D, Ornstein–Uhlenbeck with HD ≠ DH: Lyapunov covariance, current") {
  // U = ½θᵀHθ, D constant with D₁₂ < 0 (NW/SE diagonal jumps).  The stationary law is Gaussian
  // with HΣ + ΣH = T·D; it carries the current J = ρ(H − (T/2)DΣ⁻¹)θ (THEORY: J = ρ∇U +
  // (T/2)D∇ρ, ∇ρ = −ρΣ⁻¹θ), non-zero because HD ≠ DH.  Box ±7σ: walls negligible (e^{−24.5}).
  Eigen::Matrix2d H, D;
  H << 1.0, 0.5, 0.5, 1.0;
  D << 1.0, -0.3, -0.3, 0.25;
  const double T = 0.5;
  REQUIRE((H * D - D * H).norm() > 0.1);
  const Eigen::Matrix2d Sigma = lyapunov(H, D, T);
  CHECK((H * Sigma + Sigma * H - T * D).norm() < 1e-14);
  const Eigen::Matrix2d M = H - 0.5 * T * D * Sigma.inverse();  // J = ρ M θ
  CHECK((M - M.transpose()).norm() > 0.5);                       // a genuine rotation part
  const Eigen::Matrix2d Si = Sigma.inverse();
  const double norm = 1 / (2 * M_PI * std::sqrt(Sigma.determinant()));
  auto rho = [&](const Eigen::Vector2d& t) { return norm * std::exp(-0.5 * t.dot(Si * t)); };
  // ∫ (x J_y − y J_x) dθ = E[x (Mθ)_y − y (Mθ)_x]: the total circulation of the current
  const double Lz = M(1, 0) * Sigma(0, 0) + M(1, 1) * Sigma(0, 1) - M(0, 0) * Sigma(0, 1) - M(0, 1) * Sigma(1, 1);
  CHECK(Lz > 0.05);
  auto grad = [&H](double x, double y) { return Eigen::Vector2d(H * Eigen::Vector2d(x, y)); };
  const double Lx = 7 * std::sqrt(Sigma(0, 0)), Ly = 7 * std::sqrt(Sigma(1, 1));
  const auto range = sc::fokker_planck_2d::admissible_aspect_ratio(D);
  CHECK(range[0] == doctest::Approx(0.3 / 0.25));
  CHECK(range[1] == doctest::Approx(1.0 / 0.3));
  REQUIRE(Lx / Ly > range[0]);  // n × n cells: hx/hy = Lx/Ly ≈ 1.46 is admissible
  REQUIRE(Lx / Ly < range[1]);
  std::vector<double> cov_err, cur_err, circ_err;
  double jmax = 0;
  for (Eigen::Index n : {24, 48, 96}) {
    sc::fokker_planck_2d fp(grad, D, T, {-Lx, -Ly}, {Lx, Ly}, {n, n});
    CHECK(!fp.diagonal_diffusion());
    CHECK(fp.mixed_diffusion() == -0.3);
    const auto ss = fp.steady_state();
    REQUIRE(ss.ok());
    CHECK(!ss.detailed_balance);
    CHECK(ss.circulation > 1e-3);  // ≈ (2/T)|curl V| hx hy: V = D⁻¹Hθ has curl
    CHECK(ss.residual < 1e-13);    // A m = 0 to rounding
    CHECK(fp.cell_masses().minCoeff() >= 0.0);
    CHECK(std::abs(fp.mass() - 1) <= 1e-13 * 1);
    cov_err.push_back((covariance(fp) - Sigma).cwiseAbs().maxCoeff());
    // face currents against −J at the face centres (jx/hy ≈ −J_x, jy/hx ≈ −J_y)
    const auto [jx, jy] = fp.current();
    const double hx = fp.widths(0)(0), hy = fp.widths(1)(0);
    double e = 0, lz = 0;
    jmax = 0;
    for (Eigen::Index j = 0; j < n; ++j)
      for (Eigen::Index i = 1; i < n; ++i) {
        const Eigen::Vector2d t(fp.faces(0)(i), fp.centres(1)(j));
        const double Jx = rho(t) * (M * t)(0);
        e = std::max(e, std::abs(jx(i, j) / hy + Jx));
        jmax = std::max(jmax, std::abs(Jx));
        lz += t(1) * jx(i, j) * hx;  // −∫ y J_x
      }
    for (Eigen::Index j = 1; j < n; ++j)
      for (Eigen::Index i = 0; i < n; ++i) {
        const Eigen::Vector2d t(fp.centres(0)(i), fp.faces(1)(j));
        const double Jy = rho(t) * (M * t)(1);
        e = std::max(e, std::abs(jy(i, j) / hx + Jy));
        jmax = std::max(jmax, std::abs(Jy));
        lz -= t(0) * jy(i, j) * hy;  // +∫ x J_y
      }
    cur_err.push_back(e / jmax);
    circ_err.push_back(std::abs(lz - Lz) / Lz);
    CHECK(net_inflow(fp).cwiseAbs().maxCoeff() < 1e-12 * jmax * hx);  // divergence-free current
    INFO("n = " << n << ": covariance error " << cov_err.back() << ", current error " << cur_err.back()
                << " (relative to max|J| " << jmax << "), circulation " << lz << " vs " << Lz << ", steady-state "
                << ss.iterations << " iterations");
    CHECK(lz > 0);  // rotates the right way
  }
  const double o1 = std::log2(cov_err[0] / cov_err[1]), o2 = std::log2(cov_err[1] / cov_err[2]);
  const double oc = std::log2(cur_err[1] / cur_err[2]), ol = std::log2(circ_err[1] / circ_err[2]);
  INFO("covariance orders " << o1 << ", " << o2 << "; current order " << oc << "; circulation order " << ol);
  // observed: covariance errors 1.5e-2, 3.6e-3, 9.0e-4 (orders 2.05, 2.02); the scheme is second
  // order (first moment exact through B(x) − B(−x) = −x, second moment T·D(1 + O(h²))).
  CHECK(o1 > 1.5);
  CHECK(o2 > 1.5);
  CHECK(std::abs(o2 - 2) <= 0.1 * 2);
  CHECK(cov_err[2] < 0.01 * Sigma.cwiseAbs().maxCoeff());  // |Σ| ≈ 0.3
  // the face currents converge at second order to the Gaussian's J (observed 2.1 % of max|J| at
  // n = 96), and the total circulation ∫ θ × J to 0.6 %
  CHECK(oc > 1.5);
  CHECK(cur_err[2] < 0.03);
  CHECK(ol > 1.5);
  CHECK(circ_err[2] < 0.01);
}

TEST_CASE("FP 2-D constant non-diagonal D with curl-free V: exact exp(-2v/T) at the nodes, zero current") {
  // D = Σ λ_k q_k q_kᵀ and U = Σ λ_k f_k(q_kᵀθ) give V = D⁻¹∇U = ∇w, w = Σ f_k(q_kᵀθ): curl-free,
  // ρ ∝ exp(−2w/T).  f₁ a tilted double well, f₂(u) = u²: non-Gaussian and rotated against the
  // grid, so the diagonal jumps are exercised (D₁₂ > 0: NE/SW).
  Eigen::Matrix2d D;
  D << 1.0, 0.6, 0.6, 0.8;
  // (the dynamic-size solver: compiled once for the tests, tests/eigen_instantiations.hpp)
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es{Eigen::MatrixXd(D)};
  const Eigen::Matrix2d Q = es.eigenvectors();
  const Eigen::Vector2d lam = es.eigenvalues();
  auto grad = [&](double x, double y) {
    const Eigen::Vector2d t(x, y);
    const double u1 = Q.col(0).dot(t), u2 = Q.col(1).dot(t);
    return Eigen::Vector2d(lam(0) * (u1 * u1 * u1 - u1 + 0.1) * Q.col(0) + lam(1) * 2 * u2 * Q.col(1));
  };
  auto w = [&](double x, double y) {
    const Eigen::Vector2d t(x, y);
    const double u1 = Q.col(0).dot(t), u2 = Q.col(1).dot(t);
    return 0.25 * u1 * u1 * u1 * u1 - 0.5 * u1 * u1 + 0.1 * u1 + u2 * u2;
  };
  const double T = 0.4;
  sc::fokker_planck_2d fp(grad, D, T, {-2.5, -2.5}, {2.5, 2.5}, {61, 50});
  const auto ss = fp.steady_state();
  REQUIRE(ss.ok());
  CHECK(ss.detailed_balance);
  CHECK(ss.circulation < 1e-11);  // quadrature and rounding only
  const auto ref = reference_log_density(fp, [&](double x, double y) { return -2 * w(x, y) / T; });
  const double err = (ss.log_density - ref).cwiseAbs().maxCoeff();
  INFO("curl-free non-diagonal D: max |log rho - exact| = " << err << ", circulation " << ss.circulation
                                                             << ", bound " << ss.log_density_error);
  CHECK(err < 1e-10);  // as in the diagonal cases: quadrature ≤ 1e-13 relative, |log ρ| ≲ 40
  const auto [jx, jy] = fp.current();
  CHECK(jx.cwiseAbs().maxCoeff() < 1e-14);
  CHECK(jy.cwiseAbs().maxCoeff() < 1e-14);
  CHECK(fp.diagonal_current().cwiseAbs().maxCoeff() < 1e-14);
  CHECK(ss.residual < 1e-14);
  // the chain is reversible, so the sparse-LU path (forced by a negative tolerance) lands on the
  // same state
  const auto lu = fp.steady_state(-1.0);
  REQUIRE(lu.ok());
  CHECK(!lu.detailed_balance);
  CHECK((lu.log_density - ref).cwiseAbs().maxCoeff() < 1e-10);
}

TEST_CASE("FP 2-D constant non-diagonal D: mass to 1e-13, positivity in time, D12 -> 0 gives the diagonal solver") {
  // a library loss and constant_diffusion(M): the 7-point path from a diffusion model
  Eigen::Matrix2d S0, S1;
  S0 << 0.3, 0.1, 0.1, 0.2;
  S1 << 0.5, -0.2, -0.2, 0.6;
  const sc::gaussian_wells U({Eigen::Vector2d(-1, 0), Eigen::Vector2d(1, 0.5)}, {0.4, 0.7}, {S0, S1}, 0.05);
  Eigen::MatrixXd Dm(2, 2);
  Dm << 0.3, 0.12, 0.12, 0.2;  // admissible hx/hy ∈ [0.6, 2.5]
  const double T = 0.4;
  sc::fokker_planck_2d fp(U, sc::constant_diffusion(Dm), T, {-3, -3}, {3, 3}, {30, 25});  // hx/hy = 5/6
  REQUIRE(!fp.diagonal_diffusion());
  CHECK(fp.mixed_diffusion() == 0.12);
  CHECK(fp.effective_axis_diffusion()[0] == doctest::Approx(0.3 - 0.12 * 5.0 / 6));
  CHECK(fp.effective_axis_diffusion()[1] == doctest::Approx(0.2 - 0.12 * 6.0 / 5));
  // a Markov generator: off-diagonal entries ≥ 0 on at most 6 neighbours, columns summing to 0
  const auto& A = fp.generator();
  double offmin = 0, diagmax = 0;
  Eigen::Index maxcol = 0;
  for (Eigen::Index k = 0; k < A.outerSize(); ++k) {
    Eigen::Index nnz = 0;
    for (Eigen::SparseMatrix<double>::InnerIterator it(A, k); it; ++it, ++nnz)
      if (it.row() != it.col())
        offmin = std::min(offmin, it.value());
      else
        diagmax = std::max(diagmax, -it.value());
    maxcol = std::max(maxcol, nnz);
  }
  CHECK(offmin >= 0.0);
  CHECK(maxcol <= 7);
  const Eigen::RowVectorXd colsum = Eigen::RowVectorXd::Ones(fp.size()) * A;
  CHECK(colsum.cwiseAbs().maxCoeff() < 1e-14 * diagmax);
  // the face currents (diagonal edges attributed to faces) balance ṁ = A m exactly
  fp.set_uniform();
  const Eigen::VectorXd mdot = A * fp.cell_masses();
  const Eigen::MatrixXd inflow = net_inflow(fp);
  CHECK((Eigen::Map<const Eigen::VectorXd>(inflow.data(), inflow.size()) - mdot).cwiseAbs().maxCoeff() <
        1e-14 * diagmax * fp.cell_masses().maxCoeff());
  // backward Euler from a point mass in a corner: positive and mass-conserving for every dt
  for (double dt : {1e-3, 0.1, 100.0}) {
    Eigen::MatrixXd rho = Eigen::MatrixXd::Zero(30, 25);
    rho(2, 22) = 1;
    fp.set_density(rho);
    const auto r = fp.evolve(1.0, {.scheme = sc::fp_scheme::backward_euler, .dt = dt});
    CHECK(r.ok());
    CHECK(fp.cell_masses().minCoeff() >= 0.0);
    CHECK(std::abs(fp.mass() - 1) < 1e-13);
    CHECK(r.max_mass_correction < 1e-16 * (1 + dt * 1e4));  // the rescaling removes rounding only
  }
  // adaptive TR-BDF2 from uniform: mass kept, positive to rounding
  fp.set_uniform();
  const auto r2 = fp.evolve(1.0, {.tolerance = 1e-7});
  REQUIRE(r2.ok());
  CHECK(std::abs(fp.mass() - 1) < 1e-13);
  CHECK(r2.min_density >= -1e-14 * fp.density().maxCoeff());
  // long backward Euler steps land on the steady state
  const auto ss = fp.steady_state();
  REQUIRE(ss.ok());
  const Eigen::VectorXd m_ss = fp.cell_masses();
  fp.set_uniform();
  REQUIRE(fp.evolve(1e7, {.scheme = sc::fp_scheme::backward_euler, .dt = 1e6}).ok());
  CHECK((fp.cell_masses() - m_ss).cwiseAbs().sum() < 1e-9);

  // D₁₂ → 0: the 7-point scheme depends smoothly on D₁₂ (rates change by O(D₁₂/D_kk)), so with
  // D₁₂ = 1e-10 it agrees with the 5-point diagonal solver to O(1e-10) (observed 1.2e-10 in L1).
  Eigen::Matrix2d H;
  H << 1.0, 0.5, 0.5, 1.0;
  auto grad = [&H](double x, double y) { return Eigen::Vector2d(H * Eigen::Vector2d(x, y)); };
  Eigen::Matrix2d Dd, Dt;
  Dd << 1.0, 0, 0, 0.25;
  Dt << 1.0, 1e-10, 1e-10, 0.25;
  sc::fokker_planck_2d a(grad, Dd, 0.5, {-3, -2}, {3, 2}, {40, 30}), b(grad, Dt, 0.5, {-3, -2}, {3, 2}, {40, 30});
  CHECK(a.diagonal_diffusion());
  CHECK(!b.diagonal_diffusion());
  REQUIRE(a.steady_state().ok());
  REQUIRE(b.steady_state().ok());
  CHECK((a.cell_masses() - b.cell_masses()).cwiseAbs().sum() < 1e-8);
  Eigen::MatrixXd rho = Eigen::MatrixXd::Zero(40, 30);
  rho(5, 25) = 1;
  a.set_density(rho);
  b.set_density(rho);
  REQUIRE(a.evolve(0.5, {.scheme = sc::fp_scheme::backward_euler, .dt = 0.05}).ok());
  REQUIRE(b.evolve(0.5, {.scheme = sc::fp_scheme::backward_euler, .dt = 0.05}).ok());
  CHECK((a.cell_masses() - b.cell_masses()).cwiseAbs().sum() < 1e-8);
  // and the diagonal callable solver is the same as the constant-matrix one with D₁₂ = 0
  sc::fokker_planck_2d c(grad, [](double, double) { return Eigen::Vector2d(1.0, 0.25); }, 0.5, {-3, -2}, {3, 2},
                         {40, 30});
  CHECK((Eigen::MatrixXd(c.generator()) - Eigen::MatrixXd(a.generator())).cwiseAbs().maxCoeff() == 0.0);
}

TEST_CASE("FP 2-D non-diagonal D: the aspect-ratio range, its ends, and bad input") {
  Eigen::Matrix2d H, D;
  H << 1.0, 0.5, 0.5, 1.0;
  D << 1.0, 0.4, 0.4, 0.5;  // admissible hx/hy ∈ [0.8, 2.5]
  auto grad = [&H](double x, double y) { return Eigen::Vector2d(H * Eigen::Vector2d(x, y)); };
  const auto range = sc::fokker_planck_2d::admissible_aspect_ratio(D);
  CHECK(range[0] == doctest::Approx(0.8));
  CHECK(range[1] == doctest::Approx(2.5));
  // outside the range: domain_error naming the function, D12, hx/hy and the range
  try {
    sc::fokker_planck_2d(grad, D, 0.5, {-3, -1}, {3, 1}, {20, 20});  // hx/hy = 3
    FAIL("expected domain_error");
  } catch (const sc::domain_error& e) {
    const std::string m = e.what();
    INFO(m);
    CHECK(m.find("shiftcurv::fokker_planck_2d") == 0);
    CHECK(m.find("D12 = 0.4") != std::string::npos);
    CHECK(m.find("hx/hy in [|D12|/D22, D11/|D12|] = [0.8") != std::string::npos);
    CHECK(m.find("got hx/hy = ") != std::string::npos);
  }
  CHECK_THROWS_AS(sc::fokker_planck_2d(grad, D, 0.5, {-1, -3}, {1, 3}, {20, 20}), sc::domain_error);  // 1/3
  // at the ends of the range one axis edge has weight 0 and drops out: still positive, exact
  // mass, and the OU covariance is still second order (no upwinding, no division by 0)
  const double T = 0.5;
  const Eigen::Matrix2d Sigma = lyapunov(H, D, T);
  for (double ratio : {range[0], range[1]}) {
    std::vector<double> errs;
    for (Eigen::Index n : {24, 48}) {
      const double Ly = 7 * std::sqrt(Sigma(1, 1)) * std::max(1.0, std::sqrt(Sigma(0, 0) / Sigma(1, 1)) / ratio);
      sc::fokker_planck_2d fp(grad, D, T, {-ratio * Ly, -Ly}, {ratio * Ly, Ly}, {n, n});
      const auto eff = fp.effective_axis_diffusion();
      CHECK(std::abs(std::min(eff[0], eff[1])) <= 1e-12);
      CHECK(std::max(eff[0], eff[1]) > 0.3);
      const auto ss = fp.steady_state();
      REQUIRE(ss.ok());
      CHECK(fp.cell_masses().minCoeff() >= 0.0);
      CHECK(ss.residual < 1e-13);
      CHECK(fp.generator().coeffs().allFinite());
      errs.push_back((covariance(fp) - Sigma).cwiseAbs().maxCoeff());
    }
    INFO("hx/hy = " << ratio << ": covariance errors " << errs[0] << ", " << errs[1]);
    CHECK(std::log2(errs[0] / errs[1]) > 1.8);  // observed 2.00 at both ends
    CHECK(errs[1] < 2e-3);
  }
  // position-dependent non-diagonal D: invalid_argument (not implemented), whether D is
  // non-diagonal at the first corner or only further in
  const sc::gaussian_wells U({Eigen::Vector2d(0, 0)}, {0.5}, {Eigen::Matrix2d::Identity()});
  CHECK_THROWS_AS(sc::fokker_planck_2d(U, varying_offdiagonal{}, 0.1, {-1, -1}, {1, 1}, {10, 10}),
                  sc::invalid_argument);
  CHECK_THROWS_AS(sc::fokker_planck_2d(U, varying_offdiagonal{0.1, 0.1}, 0.1, {-1, -1}, {1, 1}, {10, 10}),
                  sc::invalid_argument);  // D₁₂ = 0.1(1 + x) vanishes at the corner x = −1
  // a constant D that is not positive definite, not symmetric, or not finite
  Eigen::Matrix2d bad;
  bad << 1, 2, 2, 1;
  CHECK_THROWS_AS(sc::fokker_planck_2d(grad, bad, 0.5, {-1, -1}, {1, 1}, {10, 10}), sc::domain_error);
  CHECK_THROWS_AS(sc::fokker_planck_2d::admissible_aspect_ratio(bad), sc::domain_error);
  bad << 1, 0.2, 0.3, 1;
  CHECK_THROWS_AS(sc::fokker_planck_2d(grad, bad, 0.5, {-1, -1}, {1, 1}, {10, 10}), sc::invalid_argument);
  bad << 1, NAN, NAN, 1;
  CHECK_THROWS_AS(sc::fokker_planck_2d(grad, bad, 0.5, {-1, -1}, {1, 1}, {10, 10}), sc::invalid_argument);
  bad << -1, 0, 0, 1;  // diagonal path: D₁ ≤ 0
  CHECK_THROWS_AS(sc::fokker_planck_2d(grad, bad, 0.5, {-1, -1}, {1, 1}, {10, 10}), sc::domain_error);
  CHECK_THROWS_AS(sc::fokker_planck_2d(grad, D, 0.0, {-1, -1}, {1, 1}, {10, 10}), sc::domain_error);  // T = 0

  // the header's usage example
  Eigen::Matrix2d Dx;
  Dx << 2.0, 0.6, 0.6, 1.0;
  sc::fokker_planck_2d fd([](double x, double y) { return Eigen::Vector2d(x, 2 * y); }, Dx, 0.5, {-4, -4}, {4, 4},
                          {80, 80});
  const auto sd = fd.steady_state();
  CHECK(sd.ok());
  CHECK(!sd.detailed_balance);
  CHECK(fd.diagonal_current().cwiseAbs().maxCoeff() > 0);
}
