// Ensembles: bit-identical results for any thread count, the 1-D fast path equal to the
// generic steppers on the same noise, and bad input.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ensemble_case.hpp"
#include "shiftcurv/dynamics/ensemble.hpp"
#include "shiftcurv/dynamics/langevin_1d.hpp"
#include "shiftcurv/dynamics/langevin_system.hpp"
#include "shiftcurv/dynamics/observers.hpp"
#include "shiftcurv/dynamics/sde_steppers.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"

namespace sc = shiftcurv;
using state1 = Eigen::Matrix<double, 1, 1>;

namespace {
// The noise of the 1-D fast path, as a stepper noise source: philox_batch(seed).normal(k, n),
// one trajectory at a time (the fast path computes it 64 trajectories at once).
struct packed_noise {
  sc::philox_batch s;
  std::uint64_t k = 0;
  packed_noise() = default;
  packed_noise(std::uint64_t seed, std::uint64_t trajectory) : s(seed), k(trajectory) {}
  void increments(std::uint64_t step, double* z, sc::index) const { z[0] = s.normal(k, step); }
  void auxiliary(std::uint64_t, double*, sc::index) const {}
};

// Per-sample least squares U_i(θ) = ½(x_iᵀθ − y_i)², counting gradient evaluations across threads.
struct counting_samples {
  sc::matrix X;
  sc::vector y;
  mutable std::atomic<long> gradients{0};
  counting_samples(sc::index n, sc::index p) : X(n, p), y(n) {
    for (sc::index i = 0; i < n; ++i) {
      y(i) = 0.5 * std::cos(2.1 * static_cast<double>(i));
      for (sc::index j = 0; j < p; ++j) X(i, j) = std::cos(0.3 + 1.3 * static_cast<double>(i) - 0.7 * static_cast<double>(j));
    }
  }
  sc::index num_samples() const { return X.rows(); }
  double value(const sc::vector& th, sc::index i) const { return 0.5 * std::pow(X.row(i).dot(th) - y(i), 2); }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const {
    gradients.fetch_add(1, std::memory_order_relaxed);
    g = (X.row(i).dot(th) - y(i)) * X.row(i).transpose();
  }
};

sc::langevin_1d_result run_1d(unsigned threads, sc::sde_scheme scheme) {
  sc::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5});
  auto D = [](double x) { return 0.5 + 0.1 * x; };
  sc::langevin_1d_options o;
  o.particles = 777;
  o.dt = 0.01;
  o.t_end = 2.0;
  o.observe_at = {1.0, 2.0};
  o.walls = sc::reflecting_box(-4, 4);
  o.basin_boundaries = {0.0};
  o.histogram_bins = 16;
  o.scheme = scheme;
  o.seed = 99;
  o.threads = threads;
  o.progress = false;
  return sc::langevin_ensemble_1d(U, U.shifted(0.1), D, 0.05, o);
}
}  // namespace

TEST_CASE("1-D fast path: bit-identical for 1, 2 and 3 threads") {
  for (auto scheme : {sc::sde_scheme::euler_maruyama, sc::sde_scheme::milstein, sc::sde_scheme::weak_order2}) {
    const auto a = run_1d(1, scheme), b = run_1d(2, scheme), c = run_1d(3, scheme);
    REQUIRE(a.ok());
    for (std::size_t s = 0; s < 2; ++s) {
      CHECK(a.snapshots[s].mean_train_loss == b.snapshots[s].mean_train_loss);
      CHECK(a.snapshots[s].mean_train_loss == c.snapshots[s].mean_train_loss);
      CHECK(a.snapshots[s].mean_test_loss == c.snapshots[s].mean_test_loss);
      CHECK(a.snapshots[s].train_loss_error == c.snapshots[s].train_loss_error);
      CHECK(a.snapshots[s].occupancy == c.snapshots[s].occupancy);
      CHECK(a.snapshots[s].histogram == b.snapshots[s].histogram);
    }
    // the occupancy of θ < 0 is the histogram mass of its 8 bins (the boundary 0 is a bin edge
    // of the 16 bins on [−4, 4]): two independent counters of the same particles
    double left = 0;
    for (std::size_t b = 0; b < 8; ++b) left += a.final().histogram[b] * 0.5;  // density × width
    CHECK(std::abs(a.final().occupancy[0] - left) <= 1e-12);
    CHECK(a.final().particles == 777);
  }
}

TEST_CASE("generic ensemble: bit-identical for 1, 2 and 3 threads") {
  const test_support::ensemble_case c;
  auto run = [&](unsigned threads) {
    return sc::run_ensemble(sc::milstein<>(), c.sys, c.init, c.observers(), c.options(threads));
  };
  const auto a = run(1), b = run(2), t3 = run(3);
  REQUIRE(a.ok());
  for (sc::index s = 0; s < 2; ++s) {
    CHECK(std::get<1>(a.observer.parts).mean(s, 0) == std::get<1>(b.observer.parts).mean(s, 0));
    CHECK(std::get<1>(a.observer.parts).mean(s, 0) == std::get<1>(t3.observer.parts).mean(s, 0));
    CHECK(std::get<1>(a.observer.parts).standard_error(s, 0) == std::get<1>(t3.observer.parts).standard_error(s, 0));
    CHECK(std::get<0>(a.observer.parts).count(s, 0) == std::get<0>(t3.observer.parts).count(s, 0));
    CHECK(std::get<2>(a.observer.parts).count(s, 3) == std::get<2>(b.observer.parts).count(s, 3));
  }
  CHECK(std::get<0>(a.observer.parts).total(1) == 300);
  CHECK(a.times[0] == doctest::Approx(0.5));
}

TEST_CASE("1-D fast path = generic stepper on the same noise (all three schemes, with walls)") {
  sc::gaussian_wells_1d U({-1, 1}, {0.3, 0.5}, {0.4, 0.5});
  const double T = 0.4, dt = 0.01;
  auto D = [](double x) { return 0.5 + 0.1 * x; };
  auto sys = std::make_pair([&](const state1& x, state1& f) { f(0) = -U.derivative(x(0), 1); },
                            [&](const state1& x, state1& g) { g(0) = std::sqrt(T * D(x(0))); });
  const sc::reflecting_box walls(-1.5, 1.5);
  // 70 particles: one full block of 64 and a partial one.  The generic steppers run each
  // trajectory alone on its own noise; the mean over the 70 end points must agree.
  constexpr int particles = 70;
  auto generic = [&](auto make_stepper) {
    double sum = 0;
    for (int k = 0; k < particles; ++k) {
      auto stepper = make_stepper(packed_noise(17, static_cast<std::uint64_t>(k)));
      stepper.set_walls(walls);
      state1 x = state1::Constant(0.2);
      for (int n = 0; n < 500; ++n) stepper.do_step(sys, x, n * dt, dt);
      sum += x(0);
    }
    return sum / particles;
  };
  auto fast = [&](sc::sde_scheme scheme) {
    sc::langevin_1d_options o;
    o.particles = particles;
    o.dt = dt;
    o.t_end = 5.0;
    o.walls = walls;
    o.x0 = 0.2;
    o.scheme = scheme;
    o.seed = 17;
    o.progress = false;
    return sc::langevin_ensemble_1d(U, D, T, o).final().mean_theta;
  };
  // Same numbers in a different association order, and the fast path's SIMD exp (≤ 1 ulp from
  // std::exp): agreement to rounding (1e-12 over 500 steps of an O(1) contraction).
  auto agree = [](double fast_mean, double generic_mean) {
    INFO("fast " << fast_mean << " generic " << generic_mean);
    CHECK(std::abs(fast_mean - generic_mean) <= 1e-12 * std::abs(generic_mean));
  };
  agree(fast(sc::sde_scheme::euler_maruyama),
        generic([](packed_noise z) { return sc::euler_maruyama<state1, packed_noise>(z); }));
  agree(fast(sc::sde_scheme::milstein), generic([](packed_noise z) { return sc::milstein<state1, packed_noise>(z); }));
  agree(fast(sc::sde_scheme::weak_order2),
        generic([](packed_noise z) { return sc::weak_order2<state1, packed_noise>(z); }));
}

TEST_CASE("ensembles: bad input throws the documented type, naming the function; negative D is reported") {
  sc::gaussian_wells_1d U({0.0}, {0.1}, {0.3});
  auto D = [](double) { return 1.0; };
  const double T = 0.1;
  sc::langevin_1d_options o;
  o.walls = sc::reflecting_box(-1, 1);
  o.progress = false;
  o.t_end = 0.1;
  o.dt = 0.01;
  o.particles = 10;
  CHECK(sc::langevin_ensemble_1d(U, D, T, o).ok());
  CHECK(sc::langevin_ensemble_1d(U, sc::constant_diffusion(1.0, 1), T, o).ok());
  CHECK_THROWS_WITH_AS(sc::langevin_ensemble_1d(U, D, 0.0, o), doctest::Contains("langevin_ensemble_1d"), sc::domain_error);
  CHECK_THROWS_AS(sc::langevin_ensemble_1d(U, D, NAN, o), sc::invalid_argument);
  CHECK_THROWS_WITH_AS(sc::langevin_ensemble_1d(U, sc::constant_diffusion(1.0, 2), T, o),
                       doctest::Contains("langevin_ensemble_1d"), sc::invalid_argument);
  auto bad = o;
  bad.particles = 0;
  CHECK_THROWS_AS(sc::langevin_ensemble_1d(U, D, T, bad), sc::invalid_argument);
  bad = o; bad.dt = -0.1;
  CHECK_THROWS_AS(sc::langevin_ensemble_1d(U, D, T, bad), sc::invalid_argument);
  bad = o; bad.t_end = -1;
  CHECK_THROWS_AS(sc::langevin_ensemble_1d(U, D, T, bad), sc::invalid_argument);
  bad = o; bad.x0 = 2.0;  // outside the walls
  CHECK_THROWS_AS(sc::langevin_ensemble_1d(U, D, T, bad), sc::invalid_argument);
  bad = o; bad.walls = sc::reflecting_box();  // uniform start without walls
  CHECK_THROWS_AS(sc::langevin_ensemble_1d(U, D, T, bad), sc::invalid_argument);
  bad = o; bad.basin_boundaries = {0.5, 0.1};
  CHECK_THROWS_AS(sc::langevin_ensemble_1d(U, D, T, bad), sc::invalid_argument);
  bad = o; bad.observe_at = {0.2};  // beyond t_end
  CHECK_THROWS_AS(sc::langevin_ensemble_1d(U, D, T, bad), sc::invalid_argument);
  // D < 0 on part of the domain: particles that meet it go NaN and are counted.
  auto negative = [](double x) { return x; };
  const auto r = sc::langevin_ensemble_1d(U, negative, T, o);
  CHECK(r.status == sc::status::numerical_issue);
  CHECK(r.non_finite > 0);
  CHECK(r.message.find("langevin_ensemble_1d") != std::string::npos);

  // run_ensemble: particles < 1, dt <= 0 or NaN, a NaN initial state (bad input, not a
  // numerical issue of the run).
  auto sys = sc::langevin_system(sc::quadratic(Eigen::MatrixXd::Identity(1, 1)), sc::constant_diffusion(1.0, 1), 1.0);
  const auto origin = sc::initial_point{sc::vector(sc::vector::Zero(1))};
  sc::ensemble_options e;
  e.progress = false;
  e.particles = 0;
  CHECK_THROWS_WITH_AS(sc::run_ensemble(sc::euler_maruyama<>(), sys, origin, sc::histogram_observer(-1, 1, 4), e),
                       doctest::Contains("run_ensemble"), sc::invalid_argument);
  for (double dt : {0.0, -0.01, double(NAN)}) {
    e = {};
    e.progress = false;
    e.dt = dt;
    CHECK_THROWS_WITH_AS(sc::run_ensemble(sc::euler_maruyama<>(), sys, origin, sc::histogram_observer(-1, 1, 4), e),
                         doctest::Contains("run_ensemble: dt"), sc::invalid_argument);
  }
  e = {};
  e.progress = false;
  e.particles = 50;
  e.t_end = 0.1;
  e.dt = 0.01;
  const auto nan_start = sc::initial_point{sc::vector(sc::vector::Constant(1, NAN))};
  CHECK_THROWS_WITH_AS(sc::run_ensemble(sc::euler_maruyama<>(), sys, nan_start, sc::histogram_observer(-1, 1, 4), e),
                       doctest::Contains("run_ensemble: the initial state of trajectory"), sc::invalid_argument);
  // only one trajectory's start is bad: still rejected, and its index named
  auto one_bad = [](std::uint64_t, sc::index k) { return sc::vector(sc::vector::Constant(1, k == 7 ? INFINITY : 0.0)); };
  CHECK_THROWS_WITH_AS(sc::run_ensemble(sc::euler_maruyama<>(), sys, one_bad, sc::histogram_observer(-1, 1, 4), e),
                       doctest::Contains("trajectory 7"), sc::invalid_argument);
  CHECK_THROWS_AS(sc::histogram_observer(1, -1, 4), sc::invalid_argument);
  CHECK_THROWS_AS(sc::basin_occupancy_observer({1.0, 0.0}), sc::invalid_argument);
}

TEST_CASE("progress: shown on the given stream once the run is long enough, silenceable") {
  sc::gaussian_wells_1d U({0.0}, {0.1}, {0.3});
  auto D = [](double) { return 1.0; };
  sc::langevin_1d_options o;
  o.walls = sc::reflecting_box(-1, 1);
  o.t_end = 0.5;
  o.dt = 0.01;
  o.particles = 2000;
  o.threads = 2;
  std::ostringstream shown, silent, quick;
  o.progress_after_seconds = 0.0;  // print from the first merged chunk on
  o.progress_stream = &shown;
  (void)sc::langevin_ensemble_1d(U, D, 0.1, o);
  CHECK(shown.str().find("langevin_ensemble_1d") != std::string::npos);
  CHECK(shown.str().find("done") != std::string::npos);
  o.progress = false;
  o.progress_stream = &silent;
  (void)sc::langevin_ensemble_1d(U, D, 0.1, o);
  CHECK(silent.str().empty());
  o.progress = true;
  o.progress_after_seconds = 3.0;  // this run takes milliseconds: nothing printed
  o.progress_stream = &quick;
  (void)sc::langevin_ensemble_1d(U, D, 0.1, o);
  CHECK(quick.str().empty());
}

// One per-sample system object shared by the ensemble's threads: its combined drift-and-noise
// evaluation keeps no state, so two threads give the result of one thread and of the plain pair
// (separate evaluation), bit for bit, with half the gradient evaluations.
TEST_CASE("run_ensemble on per_sample_langevin_system: combined evaluation, thread-safe, equal to the plain pair") {
  const sc::index N = 6, p = 2;
  const counting_samples data(N, p);
  const auto combined = sc::per_sample_langevin_system(data, 0.2);
  const std::pair<sc::per_sample_drift<counting_samples>, sc::per_sample_diffusion<counting_samples>> separate = combined;
  sc::ensemble_options o;
  o.particles = 200;
  o.dt = 0.05;
  o.t_end = 1.0;  // 20 steps
  o.seed = 12;
  o.progress = false;
  auto obs = sc::mean_observer({[](const sc::vector& x) { return x(0); }, [](const sc::vector& x) { return x(1); }});
  const auto init = sc::initial_point{sc::vector(sc::vector::Constant(p, 0.3))};
  auto run = [&](const auto& sys, unsigned threads, long& gradients) {
    o.threads = threads;
    const long before = data.gradients;
    auto r = sc::run_ensemble(sc::euler_maruyama<>(), sys, init, obs, o);
    gradients = data.gradients - before;
    return r;
  };
  long g_comb2 = 0, g_comb1 = 0, g_sep = 0;
  const auto a = run(combined, 2, g_comb2);
  const auto b = run(combined, 1, g_comb1);
  const auto c = run(separate, 2, g_sep);
  REQUIRE(a.ok());
  CHECK(g_comb2 == o.particles * 20 * N);
  CHECK(g_comb1 == g_comb2);
  CHECK(g_sep == 2 * g_comb2);
  for (sc::index q = 0; q < 2; ++q) {
    CHECK(a.observer.mean(0, q) == b.observer.mean(0, q));
    CHECK(a.observer.mean(0, q) == c.observer.mean(0, q));
    CHECK(a.observer.standard_error(0, q) == c.observer.standard_error(0, q));
  }
}
