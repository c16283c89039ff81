// Stationary statistics of the ensembles against exact references (slow suites: seconds under
// ASan; tests/CMakeLists.txt):
//  * the same lambda U(θ) in the ensemble, the FP solver and the exact steady state;
//  * Ornstein–Uhlenbeck with HD ≠ DH (a steady state with probability current), driven through
//    langevin_system, against the Lyapunov equation HΣ + ΣH = T·D solved here.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include <Eigen/LU>

#include "shiftcurv/basins/steady_state_1d.hpp"
#include "shiftcurv/dynamics/ensemble.hpp"
#include "shiftcurv/dynamics/langevin_1d.hpp"
#include "shiftcurv/dynamics/langevin_system.hpp"
#include "shiftcurv/dynamics/observers.hpp"
#include "shiftcurv/dynamics/sde_steppers.hpp"
#include "shiftcurv/fokker_planck/fokker_planck_1d.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"
#include "shiftcurv/testing/monte_carlo.hpp"

namespace sc = shiftcurv;
namespace st = shiftcurv::testing;

// One meaning for a callable: the SAME lambda U(θ) (its value) and the same diffusion go to
// the ensemble, the Fokker–Planck solver and the exact steady state; all three must agree.
// (Before issue 9 the FP solver read a callable as U', which this test would catch: the drift
// would be U'' and the densities unrelated.)  ~3 s.
TEST_SUITE("slow") {
TEST_CASE("1-D: the same lambda U and D in langevin_ensemble_1d, fokker_planck_1d and steady_state_1d agree") {
  const double T = 0.5, lo = -2, hi = 2;
  auto U = [](auto x) { return 0.25 * x * x * x * x - 0.5 * x * x + 0.1 * x; };  // tilted double well
  auto check_all = [&](const auto& D, const std::string& what) {
    INFO(what);
    const sc::steady_state_1d exact(U, D, T, lo, hi);
    REQUIRE(exact.status() == sc::status::success);
    // FP: its discrete steady state is exp(−2v/T) at the centres up to quadrature (≤ 1e-10),
    // normalized by the midpoint sum Σρ_iΔθ_i, whose relative error is O(h²/24·max|ρ''/ρ|)
    // ≈ (2e-3)²/24 · 10 ≈ 2e-6: |log ρ_FP − log ρ_exact| ≤ 1e-5.
    sc::fokker_planck_1d fp(U, D, T, lo, hi, 2000);
    const auto ss = fp.steady_state();
    REQUIRE(ss.ok());
    double worst = 0;
    for (sc::index i = 0; i < fp.cells(); ++i)
      worst = std::max(worst, std::abs(ss.log_density(i) - exact.log_density(fp.centres()(i))));
    MESSAGE(what << ": max |log rho_FP - log rho_exact| = " << worst);
    CHECK(worst <= 1e-5);
    // The ensemble: mean loss and left-basin occupancy against the exact expectations, within
    // 4.5 MC standard errors plus a bias allowance (weak-2 at h = 0.01: O(h²) ≈ 1e-4; the
    // relaxation, rate ≳ 0.3 over t = 20, < 1e-3).
    sc::langevin_1d_options o;
    o.particles = 20000;
    o.dt = 0.01;
    o.t_end = 20;
    o.walls = sc::reflecting_box(lo, hi);
    o.basin_boundaries = {0.0};
    o.scheme = sc::sde_scheme::weak_order2;
    o.seed = 4242;
    o.threads = 2;
    o.progress = false;
    const auto r = sc::langevin_ensemble_1d(U, D, T, o);
    REQUIRE(r.ok());
    const auto e_loss = exact.expected_loss(U);
    REQUIRE(e_loss.ok());
    const st::mc_estimate_result loss{r.final().mean_train_loss, r.final().train_loss_error, r.final().particles};
    MESSAGE(what << ": E[U] ensemble " << loss.mean << " +- " << loss.standard_error << ", exact " << e_loss.value);
    CHECK(st::within_mc(loss, e_loss.value, 4.5, 1e-3));
    const double p_left = exact.expectation([](double x) { return x < 0 ? 1.0 : 0.0; }).value;
    const st::mc_estimate_result occ{r.final().occupancy[0], r.final().occupancy_error[0], r.final().particles};
    MESSAGE(what << ": P(theta<0) ensemble " << occ.mean << " +- " << occ.standard_error << ", exact " << p_left);
    CHECK(st::within_mc(occ, p_left, 4.5, 1e-3));
  };
  check_all(sc::constant_diffusion(0.8, 1), "constant_diffusion D = 0.8");
  check_all([](auto x) { return 1.0 + 0.4 * x; }, "generic lambda D = 1 + 0.4 theta");
}
}  // TEST_SUITE("slow")

TEST_SUITE("slow") {
TEST_CASE("OU with HD != DH through langevin_system: stationary covariance solves HΣ + ΣH = T·D") {
  Eigen::MatrixXd H(2, 2), D(2, 2);
  H << 2, 0.5, 0.5, 1;
  D << 0.5, 0.3, 0.3, 1;
  REQUIRE((H * D - D * H).norm() > 0.5);  // non-commuting: the steady state carries a current
  const double T = 0.4;
  // The library's own SDE: drift −∇U = −Hθ, noise √T·chol(D); temporaries are copied in.
  const auto sys = sc::langevin_system(sc::quadratic(H), sc::constant_diffusion(D), T);
  sc::ensemble_options o;
  o.particles = 20000;
  o.dt = 0.02;
  o.t_end = 6;
  o.seed = 31;
  o.threads = 2;
  o.progress = false;
  sc::mean_observer second_moments({[](const sc::vector& x) { return x(0) * x(0); },
                                    [](const sc::vector& x) { return x(0) * x(1); },
                                    [](const sc::vector& x) { return x(1) * x(1); }});
  const auto r = sc::run_ensemble(sc::weak_order2<>(), sys, sc::initial_point{sc::vector(sc::vector::Zero(2))},
                                  second_moments, o);
  REQUIRE(r.ok());
  // Reference, independent of the library and of the integrator: the Lyapunov equation
  // HΣ + ΣHᵀ = T·D vectorized, (I ⊗ H + H ⊗ I) vec Σ = T vec D, solved by LU.
  Eigen::MatrixXd K = Eigen::MatrixXd::Zero(4, 4);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b)
      for (int c = 0; c < 2; ++c) {
        K(2 * a + b, 2 * a + c) += H(b, c);  // I ⊗ H  (column-major vec: index b + 2a)
        K(2 * b + a, 2 * c + a) += H(b, c);  // H ⊗ I
      }
  Eigen::VectorXd vecD(4);
  vecD << D(0, 0), D(1, 0), D(0, 1), D(1, 1);
  const Eigen::VectorXd vecS = K.partialPivLu().solve(T * vecD);
  Eigen::Matrix2d S;
  S << vecS(0), vecS(2), vecS(1), vecS(3);
  REQUIRE((H * S + S * H.transpose() - T * D).norm() < 1e-13);
  const double got[3] = {r.observer.mean(0, 0), r.observer.mean(0, 1), r.observer.mean(0, 2)};
  const double want[3] = {S(0, 0), S(0, 1), S(1, 1)};
  // Without the current, Σ would be (T/2) D H⁻¹ — check it is far off.
  const Eigen::Matrix2d naive = 0.5 * T * D * H.inverse();
  for (int i = 0; i < 3; ++i) {
    // 4.5 MC standard errors (sample SE of x_i x_j) + relaxation e^{−2λ_min t} < 1e-4 +
    // weak-2 bias O(h²‖H‖²) ≈ 2e-3 relative.
    const double se = r.observer.standard_error(0, i);
    MESSAGE("moment " << i << ": " << got[i] << " ± " << se << ", Lyapunov " << want[i]);
    CHECK(std::fabs(got[i] - want[i]) < 4.5 * se + 2e-3 * std::fabs(want[i]) + 1e-4);
  }
  CHECK(std::fabs(naive(0, 1) - S(0, 1)) > 10 * r.observer.standard_error(0, 1));
  // The noise amplitude matters: a factor √2 too large in G moves Σ by 2× (Σ ∝ T·D); the
  // variances are resolved well enough to tell.
  for (int i : {0, 2}) CHECK(std::fabs(got[i] - 2 * want[i]) > 10 * r.observer.standard_error(0, i));
}
}  // TEST_SUITE("slow")
