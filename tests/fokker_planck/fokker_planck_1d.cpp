// 1-D Fokker–Planck solver: steady state against exp(−2v/T) computed here by adaptive
// quadrature and against the B.1 closed form, long-time convergence to it, mass conservation,
// positivity, zero current at steady state, OU transients against the exact Gaussian with
// convergence orders in dt and in the cell size, basin masses, bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include <boost/math/quadrature/gauss_kronrod.hpp>

#include "shiftcurv/fokker_planck/fokker_planck_1d.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/scalar_field.hpp"
#include "shiftcurv/synthetic/closed_forms.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"

namespace sc = shiftcurv;

namespace {

// Position-dependent D(θ) = c (1.2 + sin θ) > 0, templated (AD divergence; FP needs D only).
struct wavy_d {
  double c = 0.02;
  template <class Derived>
  typename Derived::Scalar operator()(const Eigen::MatrixBase<Derived>& th) const {
    using std::sin;
    using S = typename Derived::Scalar;
    return S(c) * (S(1.2) + sin(th(0)));
  }
};
double wavy(double x, double c) { return c * (1.2 + std::sin(x)); }
double wavy(double x) { return wavy(x, 0.02); }

// The reference: log ρ(θ_i) = −(2/T)[∫_{θ_0}^{θ_i} U'/D + (T/2) log D(θ_i)] − log Z with
// Σ ρ_i Δθ_i = 1, each integral by adaptive 61-point Gauss–Kronrod over the WHOLE range
// [θ_0, θ_i] (the solver integrates cell by cell with the 15-point rule).
template <class DU, class DD>
Eigen::VectorXd reference_log_density(const DU& du, const DD& d, double T, const Eigen::VectorXd& centres,
                                      const Eigen::VectorXd& widths) {
  const Eigen::Index N = centres.size();
  Eigen::VectorXd l(N);
  auto f = [&](double x) { return du(x) / d(x); };
  for (Eigen::Index i = 0; i < N; ++i) {
    const double I = i == 0 ? 0.0
                            : boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
                                  f, centres(0), centres(i), 10, 1e-12);
    l(i) = -2 / T * I - std::log(d(centres(i)));
  }
  const double top = l.maxCoeff();
  double z = 0;
  for (Eigen::Index i = 0; i < N; ++i) z += std::exp(l(i) - top) * widths(i);
  return l.array() - (top + std::log(z));
}

// Faces of a smoothly non-uniform grid: s(u) = u − 0.6 sin(2πu)/(2π), s' ∈ [0.4, 1.6].
Eigen::VectorXd wavy_faces(double lo, double hi, Eigen::Index N) {
  Eigen::VectorXd f(N + 1);
  for (Eigen::Index k = 0; k <= N; ++k) {
    const double u = static_cast<double>(k) / static_cast<double>(N);
    f(k) = lo + (hi - lo) * (u - 0.6 * std::sin(2 * std::numbers::pi * u) / (2 * std::numbers::pi));
  }
  return f;
}

double max_abs_diff(const Eigen::VectorXd& a, const Eigen::VectorXd& b) { return (a - b).cwiseAbs().maxCoeff(); }

}  // namespace

TEST_CASE("FP 1-D steady state is exp(-2v/T) at the nodes: constant and position-dependent D, any grid") {
  const sc::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5}, 0.01);
  auto du = [&](double x) { return U.derivative(x, 1); };
  // Tolerance: the solver's log ρ differs from the reference by the quadrature errors of both
  // (≤ 1e-13 relative each) and rounding in Σ Δφ (N·ε·max|φ|).  Here max|φ| ≲ 4e3, so the
  // expected error is ~1e-12; 1e-10 leaves a margin of ~100 for the reference quadrature.
  SUBCASE("constant D = 0.02, uniform and non-uniform grids") {
    const sc::constant_diffusion D(0.02, 1);
    const double T = 0.1;
    for (const auto& faces : {sc::detail::fp_uniform_faces("t", -4, 4, 157), wavy_faces(-4, 4, 157)}) {
      sc::fokker_planck_1d fp(U, D, T, faces);
      const auto ss = fp.steady_state();
      REQUIRE(ss.ok());
      const auto ref = reference_log_density(du, [](double) { return 0.02; }, T, fp.centres(), fp.widths());
      const double err = max_abs_diff(ss.log_density, ref);
      INFO("constant D: max |log rho - ref| = " << err << ", bound " << ss.log_density_error);
      CHECK(err < 1e-10);
      CHECK(max_abs_diff(fp.density().array().log().matrix(), ss.log_density) < 1e-12);
      CHECK(std::abs(fp.mass() - 1) <= 1e-14 * 1);
    }
  }
  SUBCASE("D(θ) = 0.02(1.2 + sin θ): the −(T/2) log D term") {
    const sc::scalar_field_diffusion D{wavy_d{}};
    const double T = 0.1;
    for (const auto& faces : {sc::detail::fp_uniform_faces("t", -4, 4, 101), wavy_faces(-4, 4, 101)}) {
      sc::fokker_planck_1d fp(U, D, T, faces);
      const auto ss = fp.steady_state();
      REQUIRE(ss.ok());
      const auto ref = reference_log_density(du, [](double x) { return wavy(x); }, T, fp.centres(), fp.widths());
      const double err = max_abs_diff(ss.log_density, ref);
      INFO("wavy D: max |log rho - ref| = " << err << ", bound " << ss.log_density_error);
      CHECK(err < 1e-10);
      // a plain callable D(θ) gives the same discretization as the diffusion model
      sc::fokker_planck_1d fp2(U, [](double x) { return wavy(x); }, T, faces);
      CHECK(max_abs_diff(fp2.steady_state().log_density, ss.log_density) < 1e-13);
    }
  }
}

TEST_CASE("FP 1-D steady state against the B.1 case-1 closed form rho ∝ U^-(1+2/T)") {
  // U = a + ½hθ², D = U (positive): closed form, no quadrature in the reference at all.
  const double h = 2.0, a = 0.5, T = 0.3;
  const sc::b1_case1 c1(Eigen::MatrixXd::Constant(1, 1, h), a);
  sc::fokker_planck_1d fp(c1.loss, c1.noise, T, wavy_faces(-3, 3, 64));
  const auto ss = fp.steady_state();
  Eigen::VectorXd ref(fp.cells());
  for (Eigen::Index i = 0; i < fp.cells(); ++i)
    ref(i) = -(1 + 2 / T) * std::log(a + 0.5 * h * fp.centres()(i) * fp.centres()(i));
  ref.array() -= std::log((ref.array().exp() * fp.widths().array()).sum());
  const double err = max_abs_diff(ss.log_density, ref);
  INFO("B.1 case 1: max |log rho - closed form| = " << err);
  CHECK(err < 1e-12);  // only rounding: |log ρ| ≲ 30 here
}

TEST_CASE("FP 1-D sharply peaked steady state: 2/(T·D) = 1e5 on [-4, 4] neither underflows nor overflows") {
  // The paper's Figure 4 (left) loss with D = 1e-3, T = 0.02: log ρ spans ~1e4.
  const sc::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5});
  const sc::constant_diffusion D(1e-3, 1);
  const double T = 0.02;
  sc::fokker_planck_1d fp(U, D, T, -4, 4, 400);
  const auto ss = fp.steady_state();
  REQUIRE(ss.ok());
  CHECK(ss.log_density.allFinite());
  CHECK(fp.density().allFinite());
  CHECK(std::abs(fp.mass() - 1) <= 1e-14 * 1);
  const auto ref = reference_log_density([&](double x) { return U.derivative(x, 1); }, [](double) { return 1e-3; },
                                         T, fp.centres(), fp.widths());
  // log ρ reaches −1.5e3 here; relative accuracy 1e-13 of the integrals ⇒ 1e-9 absolute.
  const double err = max_abs_diff(ss.log_density, ref);
  INFO("peaked: range of log rho " << ss.log_density.minCoeff() << " .. " << ss.log_density.maxCoeff()
                                      << ", max error " << err);
  CHECK(err < 1e-9);
  // Time stepping survives it too: backward Euler with a huge step lands on the steady state.
  fp.set_uniform();
  const auto r = fp.evolve(1e6, {.scheme = sc::fp_scheme::backward_euler, .dt = 1e5});
  CHECK(r.ok());
  CHECK(r.min_density >= 0);
  CHECK(std::abs(fp.mass() - 1) <= 1e-12 * 1);
}

TEST_CASE("FP 1-D: long-time evolution converges to the steady state, conserves mass, stays positive, current vanishes") {
  const sc::gaussian_wells_1d U({-1, 1}, {0.05, 0.1}, {0.3, 0.5}, 0.01);
  // D = 0.5(1.2 + sin θ), T = 1: 2/(T·D) ≤ 20 and barriers ≈ 0.05, so the chain mixes fast
  // (the spectral gap is measured below).
  const sc::scalar_field_diffusion D{wavy_d{0.5}};
  const double T = 1.0;
  sc::fokker_planck_1d fp(U, D, T, wavy_faces(-4, 4, 300));
  const auto ss = fp.steady_state();
  const Eigen::VectorXd rho_ss = fp.density();
  const Eigen::VectorXd m_ss = fp.cell_masses();

  SUBCASE("zero current at the steady state, against the size of the one-way fluxes") {
    const Eigen::VectorXd j = fp.current();
    CHECK(j(0) == 0.0);
    CHECK(j(fp.cells()) == 0.0);
    for (Eigen::Index i = 0; i + 1 < fp.cells(); ++i) {
      // one-way flux scale |U'|ρ + (T/2)Dρ/h at the face, computed here from the definitions
      const double x = fp.faces()(i + 1), hh = fp.centres()(i + 1) - fp.centres()(i);
      const double rho = std::max(rho_ss(i), rho_ss(i + 1));
      const double scale = std::abs(U.derivative(x, 1)) * rho + 0.5 * T * wavy(x, 0.5) * rho / hh;
      CHECK(std::abs(j(i + 1)) <= 1e-13 * scale);
    }
    // and the generator annihilates it (relative to its action on the uniform state)
    const double res = fp.generator_times(m_ss).cwiseAbs().maxCoeff();
    const double ref = fp.generator_times(fp.widths() / 8).cwiseAbs().maxCoeff();
    INFO("generator residual " << res << " vs " << ref);
    CHECK(res < 1e-12 * ref);
  }
  SUBCASE("adaptive TR-BDF2 from uniform reaches the steady state within its error estimate") {
    // Spectral gap λ₁ of the generator A.  Detailed balance makes A similar to the symmetric
    // tridiagonal S with diagonal A_ii and off-diagonal √(A_{i,i+1} A_{i+1,i}); its second
    // largest eigenvalue −λ₁ is found by bisection on Sturm counts (number of negative pivots
    // of S − xI = number of eigenvalues below x).
    const Eigen::Index N = fp.cells();
    Eigen::VectorXd a(N), b2(N);
    for (Eigen::Index i = 0; i < N; ++i) {
      const Eigen::VectorXd col = fp.generator_times(Eigen::VectorXd::Unit(N, i));
      a(i) = col(i);
      if (i + 1 < N) b2(i) = col(i + 1);  // A_{i+1,i}
      if (i > 0) b2(i - 1) *= col(i - 1);  // × A_{i−1,i}
    }
    auto below = [&](double x) {
      Eigen::Index count = 0;
      double d = 1;
      for (Eigen::Index i = 0; i < N; ++i) {
        d = (a(i) - x) - (i > 0 ? b2(i - 1) / d : 0.0);
        if (d == 0) d = -1e-300;
        if (d < 0) ++count;
      }
      return count;
    };
    CHECK(below(-1e-9) == N - 1);  // exactly one eigenvalue ≥ −1e-9: the steady state
    double lo = a.minCoeff() * 4 - 1, hi = -1e-9;
    for (int it = 0; it < 200; ++it) {
      const double mid = 0.5 * (lo + hi);
      (below(mid) >= N - 1 ? hi : lo) = mid;
    }
    const double gap = -hi;
    INFO("spectral gap " << gap);
    CHECK(gap * 1000 > 40);  // ⇒ the transient left at t = 1000 is < e^{−40}
    fp.set_uniform();
    const auto r = fp.evolve(1000.0, {.tolerance = 1e-8});
    REQUIRE(r.ok());
    const double l1 = (fp.cell_masses() - m_ss).cwiseAbs().sum();
    INFO("TR-BDF2 to t=1000: steps " << r.iterations << " rejected " << r.rejected_steps << ", L1 to steady "
                                        << l1 << ", error estimate " << r.error_estimate << ", mass change "
                                        << r.mass_change << ", min rho " << r.min_density);
    // The remaining transient e^{−λ₁·1000} < e^{−40} is negligible; what is left is the
    // time-stepping error, bounded by the estimate.
    CHECK(l1 <= r.error_estimate + 1e-12);
    CHECK(r.mass_change < 1e-12);
    INFO("max mass correction " << r.max_mass_correction << " at dt_max " << r.dt_max);
    CHECK(r.max_mass_correction < 1e-16 * (1 + r.dt_max * 1e4));  // rounding: ε·cond(I − dt·A), ‖A‖ ≲ 1e4
    CHECK(std::abs(fp.mass() - 1) < 1e-12);
    CHECK(r.min_density >= -1e-14 * fp.density().maxCoeff());
    CHECK(fp.time() == doctest::Approx(1000));
  }
  SUBCASE("backward Euler from a point mass: positive for any dt, mass to 1e-12") {
    // Mass conservation is structural: every column of the generator sums to zero.
    for (Eigen::Index i = 0; i < fp.cells(); ++i) {
      const Eigen::VectorXd col = fp.generator_times(Eigen::VectorXd::Unit(fp.cells(), i));
      CHECK(std::abs(col.sum()) <= 1e-15 * col.cwiseAbs().sum());
    }
    for (double dt : {1e-3, 0.1, 10.0, 1e4}) {
      fp.set_point_mass(-3.9);
      const auto r = fp.evolve(50.0, {.scheme = sc::fp_scheme::backward_euler, .dt = dt});
      CHECK(r.ok());
      INFO("BE dt=" << dt << " max mass correction " << r.max_mass_correction);
      CHECK(r.max_mass_correction < 1e-16 * (1 + dt * 1e4));  // ε·cond(I − dt·A), ‖A‖ ≲ 1e4 here
      CHECK(fp.cell_masses().minCoeff() >= 0.0);  // exact: the Thomas sweeps add non-negative terms
      CHECK(std::abs(fp.mass() - 1) < 1e-12);
    }
    // a long BE run with a huge step IS the steady state (inverse iteration on the null space)
    fp.set_point_mass(3.0);
    fp.evolve(1e9, {.scheme = sc::fp_scheme::backward_euler, .dt = 1e8});
    const double l1 = (fp.cell_masses() - m_ss).cwiseAbs().sum();
    INFO("BE dt=1e8: L1 to steady " << l1);
    CHECK(l1 < 1e-10);
  }
}

TEST_CASE("FP 1-D current of a uniform density is -U'ρ (constant D)") {
  // ρ = 1/L uniform, D const: j = −U'ρ − (T/2)Dρ' = −U'/L at interior faces, to O(h²).
  // The solver gets U's value (a generic lambda: U' by dual numbers); the check uses U'.
  auto u = [](auto x) {
    using std::cos;
    return -cos(x) + 0.15 * x * x;
  };
  auto du = [](double x) { return std::sin(x) + 0.3 * x; };
  sc::fokker_planck_1d fp(u, [](double) { return 0.5; }, 0.4, -3, 3, 600);
  const Eigen::VectorXd j = fp.current();
  double err = 0;
  for (Eigen::Index f = 1; f < fp.cells(); ++f) err = std::max(err, std::abs(j(f) + du(fp.faces()(f)) / 6));
  INFO("uniform current error " << err);
  CHECK(err < 1e-5);  // SG flux on a uniform ρ: O(h²·|U'''|) with h = 0.01 ⇒ ~1e-5·(1/6)
}

TEST_CASE("FP 1-D Ornstein–Uhlenbeck transient: Gaussian mean and variance, orders in dt and in h") {
  // U = ½kθ², D = d: θ(t) Gaussian, mean μ₀e^{−kt}, variance σ₀²e^{−2kt} + (Td/2k)(1 − e^{−2kt}).
  const double k = 1.0, d = 1.0, T = 0.5, mu0 = 1.0, s0 = 0.2, t_end = 1.0;
  const double mu_exact = mu0 * std::exp(-k * t_end);
  const double var_exact = s0 * s0 * std::exp(-2 * k * t_end) + T * d / (2 * k) * (1 - std::exp(-2 * k * t_end));
  auto u = [k](auto x) { return 0.5 * k * x * x; };  // U's value, as for every 1-D entry point
  auto dd = [d](double) { return d; };
  auto moments_error = [&](sc::fokker_planck_1d& fp, const sc::fp_evolve_options& o,
                           sc::fp_evolve_result* out = nullptr) {
    // start: exact cell integrals of N(μ₀, σ₀²) (erf), so the initial moments are exact to O(h²)
    Eigen::VectorXd rho(fp.cells());
    for (Eigen::Index i = 0; i < fp.cells(); ++i) {
      const double a = (fp.faces()(i) - mu0) / (s0 * std::sqrt(2.0)), b = (fp.faces()(i + 1) - mu0) / (s0 * std::sqrt(2.0));
      rho(i) = 0.5 * (std::erf(b) - std::erf(a)) / fp.widths()(i);
    }
    fp.set_density(rho);
    const auto r = fp.evolve(t_end, o);
    REQUIRE(r.ok());
    if (out) *out = r;
    const Eigen::VectorXd& m = fp.cell_masses();
    const double mean = m.dot(fp.centres());
    const double var = m.dot(fp.centres().cwiseAbs2()) - mean * mean;
    return std::max(std::abs(mean - mu_exact), std::abs(var - var_exact));
  };
  SUBCASE("order in the cell size (TR-BDF2, dt = 1e-3 so the time error is ~1e-8)") {
    std::vector<double> errs;
    for (Eigen::Index N : {40, 80, 160, 320}) {
      sc::fokker_planck_1d fp(u, dd, T, -5, 5, N);
      errs.push_back(moments_error(fp, {.dt = 1e-3}));
    }
    for (std::size_t q = 1; q < errs.size(); ++q) {
      const double order = std::log2(errs[q - 1] / errs[q]);
      INFO("h-order: err " << errs[q] << " order " << order);
      CHECK(std::abs(order - 2) <= 0.1 * 2);  // second order in h: 1.8 .. 2.2
    }
  }
  SUBCASE("order in dt (N = 10000 cells on [-5, 5]: spatial error 2.5e-7, below 2% of the smallest time error)") {
    sc::fokker_planck_1d fp(u, dd, T, -5, 5, 10000);
    for (auto [scheme, p] : {std::pair{sc::fp_scheme::backward_euler, 1.0}, std::pair{sc::fp_scheme::tr_bdf2, 2.0},
                             std::pair{sc::fp_scheme::crank_nicolson, 2.0}}) {
      std::vector<double> errs;
      for (double dt : {0.2, 0.1, 0.05, 0.025}) errs.push_back(moments_error(fp, {.scheme = scheme, .dt = dt}));
      for (std::size_t q = 1; q < errs.size(); ++q) {
        const double order = std::log2(errs[q - 1] / errs[q]);
        INFO(sc::to_string(scheme) << " dt-order: err " << errs[q] << " order " << order);
        CHECK(std::abs(order - (p)) <= 0.1 * std::abs(p));
      }
    }
  }
  SUBCASE("adaptive steps meet the tolerance") {
    // N = 10000: the spatial error is 0.245·h² = 2.5e-7 (the constant measured by the h-order
    // runs above: 2.39e-4 at h = 1/32).  The time error in the moments is at most max θ² = 25
    // times the L1 error estimate.
    sc::fokker_planck_1d fp(u, dd, T, -5, 5, 10000);
    sc::fp_evolve_result r;
    const double e = moments_error(fp, {.tolerance = 1e-8}, &r);
    INFO("adaptive moments error " << e << " steps " << r.iterations << " estimate " << r.error_estimate);
    CHECK(e < 3e-7 + 25 * r.error_estimate);
    CHECK(r.error_estimate < 1e-5);
  }
}

TEST_CASE("FP 1-D basin masses against quadrature of the exact density") {
  const sc::gaussian_wells_1d U({-1, 1}, {0.05, 0.1}, {0.3, 0.5}, 0.01);
  const double T = 0.2, c = 0.5;
  sc::fokker_planck_1d fp(U, [c](double) { return c; }, T, -4, 4, 2000);
  fp.steady_state();
  // exact masses: ∫ exp(−2U/(Tc)) over each interval, adaptive quadrature
  auto w = [&](double x) { return std::exp(-2 * U.value(x) / (T * c)); };
  using gk = boost::math::quadrature::gauss_kronrod<double, 61>;
  const double b = 0.13;  // the boundary need not fall on a face
  const double ml = gk::integrate(w, -4.0, b, 10, 1e-12), mr = gk::integrate(w, b, 4.0, 10, 1e-12);
  const auto masses = fp.basin_masses({b});
  REQUIRE(masses.size() == 2);
  INFO("basin masses " << masses.transpose() << " exact " << ml / (ml + mr) << " " << mr / (ml + mr));
  // midpoint rule O(h²/24·∫|ρ''|) with h = 4e-3 plus the split cell O(h·ρ·h): ≲ 1e-5
  CHECK(std::abs(masses(0) - (ml / (ml + mr))) <= 1e-5 * std::abs(ml / (ml + mr)));
  CHECK(std::abs(masses(1) - (mr / (ml + mr))) <= 1e-5 * std::abs(mr / (ml + mr)));
  CHECK(std::abs(masses.sum() - 1) <= 1e-14 * 1);
  CHECK(fp.basin_masses({}).size() == 1);
  CHECK(fp.basin_masses({-4.0, 4.0})(0) == 0.0);
}

TEST_CASE("FP 1-D bad input throws the documented types") {
  const sc::gaussian_wells_1d U({0}, {0.1}, {0.3});
  const sc::constant_diffusion D(0.1, 1);
  CHECK_THROWS_AS(sc::fokker_planck_1d(U, D, 0.0, -1, 1, 10), sc::domain_error);
  CHECK_THROWS_AS(sc::fokker_planck_1d(U, D, -1.0, -1, 1, 10), sc::domain_error);
  CHECK_THROWS_AS(sc::fokker_planck_1d(U, D, NAN, -1, 1, 10), sc::invalid_argument);
  CHECK_THROWS_AS(sc::fokker_planck_1d(U, D, 0.1, 1, -1, 10), sc::invalid_argument);
  CHECK_THROWS_AS(sc::fokker_planck_1d(U, D, 0.1, -1, 1, 1), sc::invalid_argument);
  CHECK_THROWS_AS(sc::fokker_planck_1d(U, D, 0.1, -1, 1, 0), sc::invalid_argument);
  CHECK_THROWS_AS(sc::fokker_planck_1d(U, D, 0.1, -1, INFINITY, 10), sc::invalid_argument);
  CHECK_THROWS_AS(sc::fokker_planck_1d(U, sc::constant_diffusion(0.1, 2), 0.1, -1, 1, 10), sc::invalid_argument);
  Eigen::VectorXd bad_faces(4);
  bad_faces << 0, 1, 0.5, 2;
  CHECK_THROWS_AS(sc::fokker_planck_1d(U, D, 0.1, bad_faces), sc::invalid_argument);
  // D ≤ 0 somewhere on the domain (D(θ) = θ on [−1, 1])
  auto lin = [](double x) { return x; };
  CHECK_THROWS_AS(sc::fokker_planck_1d(lin, lin, 0.1, -1, 1, 10), sc::domain_error);
  CHECK_THROWS_AS(sc::fokker_planck_1d(lin, [](double) { return NAN; }, 0.1, -1, 1, 10), sc::invalid_argument);
  CHECK_THROWS_AS(sc::fokker_planck_1d([](double) { return NAN; }, [](double) { return 1.0; }, 0.1, -1, 1, 10),
                  sc::invalid_argument);

  sc::fokker_planck_1d fp(U, D, 0.1, -1, 1, 10);
  CHECK_THROWS_AS(fp.set_density(Eigen::VectorXd::Ones(9)), sc::invalid_argument);
  CHECK_THROWS_AS(fp.set_density(Eigen::VectorXd::Constant(10, -1.0)), sc::domain_error);
  CHECK_THROWS_AS(fp.set_density(Eigen::VectorXd::Zero(10)), sc::domain_error);
  CHECK_THROWS_AS(fp.set_density(Eigen::VectorXd::Constant(10, NAN)), sc::invalid_argument);
  CHECK_THROWS_AS(fp.set_point_mass(2.0), sc::domain_error);
  CHECK_THROWS_AS(fp.evolve(-1.0), sc::domain_error);
  CHECK_THROWS_AS(fp.evolve(NAN), sc::invalid_argument);
  CHECK_THROWS_AS(fp.evolve(1.0, {.dt = -0.1}), sc::domain_error);
  CHECK_THROWS_AS(fp.evolve(1.0, {.tolerance = 0}), sc::domain_error);
  CHECK_THROWS_AS(fp.basin_masses({2.0}), sc::domain_error);
  CHECK_THROWS_AS(fp.basin_masses({0.5, 0.0}), sc::invalid_argument);
  CHECK_THROWS_AS(fp.basin_masses({NAN}), sc::invalid_argument);
  // a step budget that is too small is a status, not a throw
  const auto r = fp.evolve(1.0, {.dt = 1e-3, .max_steps = 10});
  CHECK(r.status == sc::status::max_iterations);
  CHECK(fp.evolve(0.0).ok());
}
