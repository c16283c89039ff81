// Strong and weak convergence orders of the SDE schemes under dt halving, on the analytic
// problems of testing/reference_problems.hpp (the SciML test set: geometric Brownian motion,
// the cubic problem, additive time-dependent noise).  Each level uses the same Brownian paths.
// A slow suite (7 s under ASan, a fraction of a second in Release: tests/CMakeLists.txt).
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "shiftcurv/dynamics/sde_steppers.hpp"
#include "shiftcurv/testing/convergence.hpp"
#include "shiftcurv/testing/reference_problems.hpp"

namespace st = shiftcurv::testing;
using st::brownian_refinement;
using st::scalar_state;

namespace {
template <template <class, class> class Scheme>
auto scalar_maker() {
  return [](brownian_refinement n) { return Scheme<scalar_state, brownian_refinement>(n); };
}

template <class Problem>
auto exact_of(const Problem& p) {
  return [p](const Eigen::VectorXd& W, double t) { return p.exact(W, t); };
}

void report_scalar(const char* what, const st::convergence_result& s) {
  MESSAGE(std::string(what) << ": order " << s.fit.order << " ± " << s.fit.order_error << ", errors " << s.error[0] << " … "
                << s.error.back() << " (se " << s.standard_error.back() << ")");
}
}  // namespace

TEST_SUITE("slow convergence") {
// Tolerances: the fitted slope over 4 levels carries a regression error (printed) and a Monte
// Carlo error; we accept ±0.15 around the theoretical order for strong errors (with 2000 paths
// the MC error of each strong error is < 3% of it, i.e. < 0.05 in a slope over a factor 8
// of dt) and ±0.25 for weak orders (errors are differences of means, noisier).  The wrong order
// is always outside: ½ vs 1 and 1 vs 2.
TEST_CASE("strong order: Euler–Maruyama ½, Milstein 1 (GBM and cubic, diagonal noise)") {
  st::convergence_options o;
  o.steps = {32, 64, 128, 256};
  o.trajectories = 2000;
  o.seed = 11;
  st::geometric_brownian_motion gbm;
  st::cubic_problem cubic;

  auto em_gbm = st::strong_convergence(scalar_maker<shiftcurv::euler_maruyama>(), gbm.system(), gbm.initial(), exact_of(gbm), o);
  report_scalar("EM  GBM strong", em_gbm);
  CHECK(st::order_within(em_gbm.fit, 0.5, 0.15));
  auto mil_gbm = st::strong_convergence(scalar_maker<shiftcurv::milstein>(), gbm.system(), gbm.initial(), exact_of(gbm), o);
  report_scalar("Mil GBM strong", mil_gbm);
  CHECK(st::order_within(mil_gbm.fit, 1.0, 0.15));

  auto em_cubic = st::strong_convergence(scalar_maker<shiftcurv::euler_maruyama>(), cubic.system(), cubic.initial(), exact_of(cubic), o);
  report_scalar("EM  cubic strong", em_cubic);
  CHECK(st::order_within(em_cubic.fit, 0.5, 0.15));
  auto mil_cubic = st::strong_convergence(scalar_maker<shiftcurv::milstein>(), cubic.system(), cubic.initial(), exact_of(cubic), o);
  report_scalar("Mil cubic strong", mil_cubic);
  CHECK(st::order_within(mil_cubic.fit, 1.0, 0.15));
}

TEST_CASE("strong order 1 for additive noise: Euler–Maruyama and weak-2 (time-dependent coefficients)") {
  st::convergence_options o;
  o.steps = {8, 16, 32, 64};
  o.trajectories = 1000;
  o.seed = 12;
  st::additive_noise_problem add;
  auto em = st::strong_convergence(scalar_maker<shiftcurv::euler_maruyama>(), add.system(), add.initial(), exact_of(add), o);
  report_scalar("EM  additive strong", em);
  CHECK(st::order_within(em.fit, 1.0, 0.15));
  auto w2 = st::strong_convergence(scalar_maker<shiftcurv::weak_order2>(), add.system(), add.initial(), exact_of(add), o);
  report_scalar("W2  additive strong", w2);
  // Platen's scheme integrates additive noise with the trapezoidal ½(g(t)+g(t+h))ΔW: strong
  // order at least 1 (here ≈ 2, since g varies slowly: the O(h) term has a tiny constant).
  CHECK(!w2.fit.noise_limited);
  CHECK(w2.fit.order > 1.0 - 0.15);
}

TEST_CASE("weak order: Euler–Maruyama 1, weak-2 2 (GBM, E[u(1)])") {
  st::convergence_options o;
  o.steps = {2, 4, 8, 16};
  o.trajectories = 100000;
  o.seed = 13;
  st::geometric_brownian_motion gbm;
  const auto first = [](const scalar_state& x) { return x(0); };
  auto em = st::weak_convergence(scalar_maker<shiftcurv::euler_maruyama>(), gbm.system(), gbm.initial(), exact_of(gbm), first, o);
  report_scalar("EM  GBM weak", em);
  CHECK(st::order_within(em.fit, 1.0, 0.25));
  auto w2 = st::weak_convergence(scalar_maker<shiftcurv::weak_order2>(), gbm.system(), gbm.initial(), exact_of(gbm), first, o);
  report_scalar("W2  GBM weak", w2);
  CHECK(st::order_within(w2.fit, 2.0, 0.25));
  // The coupled estimator is unbiased, and E u(1) = u₀ e^{1.01} is known: EM's mean is exactly
  // u₀(1 + 1.01h)^N, so its weak error at h = 1/16 is known in closed form too.
  const double exact_em_error = gbm.mean(1.0) - 0.5 * std::pow(1 + 1.01 / 16, 16);
  CHECK(std::fabs(em.error.back() - exact_em_error) <= 4.5 * em.standard_error.back());
}
}  // TEST_SUITE("slow convergence")
