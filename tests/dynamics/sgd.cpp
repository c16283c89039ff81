// Discrete SGD (eq 9) against the exact discrete-time AR(1) moments, and bad options.  Eq 13 and
// the paper's Figure 5 claim (stationary statistics depend on λ and B through T = λ/B):
// sgd_slow.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "shiftcurv/dynamics/ensemble.hpp"
#include "shiftcurv/dynamics/observers.hpp"
#include "shiftcurv/dynamics/sgd.hpp"
#include "shiftcurv/testing/monte_carlo.hpp"
#include "sgd_cases.hpp"

namespace sc = shiftcurv;
namespace st = shiftcurv::testing;

using sgd_cases::mean_estimation;
using sgd_cases::observed;

TEST_CASE("SGD on ½(θ−x_i)²: exact AR(1) stationary mean and variance, with and without replacement") {
  mean_estimation data{{-1.3, -0.4, 0.0, 0.2, 0.5, 0.9, 1.1, 2.0, -0.7, 1.7}};
  const double n = 10, xbar = 0.4;
  double s2 = 0;
  for (double x : data.x) s2 += (x - xbar) * (x - xbar) / n;
  for (auto sampling : {sc::minibatch_sampling::with_replacement, sc::minibatch_sampling::without_replacement}) {
    sc::sgd_options o;
    o.learning_rate = 0.1;
    o.batch_size = 3;
    o.sampling = sampling;
    sc::sgd_stepper sgd(data, o);
    sc::ensemble_options e;
    e.particles = 20000;
    e.dt = o.learning_rate;
    e.t_end = 20;  // 200 steps: (1−λ)^{400} ≈ 5e-19 of the initial offset remains
    e.seed = 3;
    e.threads = 2;
    e.progress = false;
    sc::mean_observer m({[](const sc::vector& t) { return t(0); }, [&](const sc::vector& t) { return std::pow(t(0) - xbar, 2); }});
    const auto r = sc::run_ensemble(sgd, sc::no_system{}, sc::initial_point{sc::vector(sc::vector::Constant(1, 3.0))}, m, e);
    REQUIRE(r.ok());
    const double fpc = sampling == sc::minibatch_sampling::with_replacement ? 1.0 : (n - 3) / (n - 1);
    const double var = o.learning_rate * s2 / 3 * fpc / (2 - o.learning_rate);  // λ Var(x̄_B)/(2 − λ)
    MESSAGE("variance " << r.observer.mean(0, 1) << " ± " << r.observer.standard_error(0, 1) << ", exact " << var);
    CHECK(st::within_mc(observed(r.observer, 0, 0), xbar));
    CHECK(st::within_mc(observed(r.observer, 0, 1), var));
  }
}

TEST_CASE("sgd_stepper: bad options throw") {
  mean_estimation data{{0.0, 1.0}};
  sc::sgd_options o;
  o.learning_rate = 0.0;
  CHECK_THROWS_AS(sc::sgd_stepper(data, o), sc::domain_error);
  o.learning_rate = 0.1;
  o.batch_size = 0;
  CHECK_THROWS_AS(sc::sgd_stepper(data, o), sc::invalid_argument);
  o.batch_size = 3;
  o.sampling = sc::minibatch_sampling::without_replacement;
  CHECK_THROWS_AS(sc::sgd_stepper(data, o), sc::invalid_argument);
  o.batch_size = 1;
  o.alpha = -1;
  CHECK_THROWS_AS(sc::sgd_stepper(data, o), sc::domain_error);
  o.alpha = 0;
  sc::sgd_stepper ok(data, o);
  sc::vector th = sc::vector::Zero(1);
  CHECK_THROWS_AS(ok.do_step(sc::no_system{}, th, 0.0, 0.2), sc::invalid_argument);  // dt ≠ λ
}
