// Discrete SGD (eq 9) against the exact discrete-time AR(1) moments, and bad options; the
// recorder (sgd_record, sgd_iterates) against closed forms and a hand loop of the stepper.  Eq 13 and
// the paper's Figure 5 claim (stationary statistics depend on λ and B through T = λ/B):
// sgd_slow.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <exception>
#include <functional>
#include <limits>
#include <string>
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

// ---- sgd_record / sgd_iterates: the burn-in-and-record loop ----------------------------------
namespace {
// U(x_i, θ) = ½|θ − x_i|² on R², declaring its dimension (for the size checks).
struct points_2d {
  sc::matrix x;  // 2×N
  sc::index dimension() const { return 2; }
  sc::index num_samples() const { return x.cols(); }
  double value(const sc::vector& th, sc::index i) const { return 0.5 * (th - x.col(i)).squaredNorm(); }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const { g = th - x.col(i); }
};

// The records of a hand-written loop of sgd_stepper::step (the reference for sgd_record).
template <class F>
sc::matrix hand_records(const F& loss, const sc::vector& theta0, const sc::sgd_options& o,
                        const sc::sgd_record_options& rec) {
  sc::sgd_stepper<F> s(loss, o, sc::philox_noise(rec.seed, rec.trajectory));
  sc::vector th = theta0;
  for (sc::index k = 0; k < rec.burn_in; ++k) s.step(th);
  sc::matrix X(theta0.size(), rec.records);
  for (sc::index t = 0; t < rec.records; ++t) {
    for (sc::index k = 0; k < rec.thinning; ++k) s.step(th);
    X.col(t) = th;
  }
  return X;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("sgd_record: records are the iterates after burn_in + (t+1)·thinning steps (closed form)") {
  // All x_i = 0, no noise: θ_k = (1 − λ)^k θ0, exact in binary for λ = 1/2.
  mean_estimation zeros{{0.0, 0.0, 0.0}};
  sc::sgd_options o;
  o.learning_rate = 0.5;
  o.batch_size = 2;
  const sc::sgd_record_options rec{.burn_in = 7, .records = 5, .thinning = 3, .seed = 1, .trajectory = 2};
  std::vector<sc::index> seen;
  std::vector<double> values;
  const auto r = sc::sgd_record(zeros, sc::vector::Constant(1, 1.0), o, rec, [&](sc::index t, const sc::vector& th) {
    seen.push_back(t);
    values.push_back(th(0));
  });
  REQUIRE(r.ok());
  CHECK(r.message.empty());
  CHECK(r.burn_in == 7);
  CHECK(r.steps == 15);
  CHECK(r.records == 5);
  CHECK(!r.stopped);
  CHECK(r.iterations == 22);
  CHECK(r.evaluations == 44);  // B per-sample gradients per step
  REQUIRE(seen.size() == 5);
  for (sc::index t = 0; t < 5; ++t) {
    CHECK(seen[static_cast<std::size_t>(t)] == t);
    CHECK(values[static_cast<std::size_t>(t)] == std::ldexp(1.0, -static_cast<int>(7 + 3 * (t + 1))));
  }
  CHECK(r.theta(0) == std::ldexp(1.0, -22));
  // records = 0: only the burn-in runs, the callback is never called
  const auto b = sc::sgd_record(zeros, sc::vector::Constant(1, 1.0), o, {.burn_in = 4, .records = 0},
                                [&](sc::index, const sc::vector&) { FAIL("a record with records = 0"); });
  CHECK(b.ok());
  CHECK(b.burn_in == 4);
  CHECK(b.steps == 0);
  CHECK(b.theta(0) == 1.0 / 16);
}

TEST_CASE("sgd_record and sgd_iterates equal a hand loop of sgd_stepper bit for bit (eq 13, both samplings)") {
  points_2d data{sc::matrix(2, 5)};
  data.x << -1.0, 0.3, 2.0, 0.7, -0.4,  //
      0.5, -1.2, 0.1, 1.4, -0.8;
  const sc::vector theta0 = sc::vector::Constant(2, 2.5);
  for (auto sampling : {sc::minibatch_sampling::with_replacement, sc::minibatch_sampling::without_replacement}) {
    sc::sgd_options o;
    o.learning_rate = 0.1;
    o.batch_size = 2;
    o.sampling = sampling;
    o.alpha = 0.3;
    o.beta = 0.7;
    const sc::sgd_record_options rec{.burn_in = 13, .records = 40, .thinning = 4, .seed = 9, .trajectory = 5};
    const sc::matrix X = hand_records(data, theta0, o, rec);
    const auto it = sc::sgd_iterates(data, theta0, o, rec);
    REQUIRE(it.ok());
    REQUIRE(it.iterates.rows() == 2);
    REQUIRE(it.iterates.cols() == 40);
    CHECK((it.iterates.array() == X.array()).all());
    CHECK((it.theta.array() == X.col(39).array()).all());
    sc::matrix Y(2, 40);
    const auto r = sc::sgd_record(data, theta0, o, rec, [&](sc::index t, const sc::vector& th) { Y.col(t) = th; });
    CHECK((Y.array() == X.array()).all());
    // another trajectory of the same seed is another stream
    sc::sgd_record_options other = rec;
    other.trajectory = 6;
    CHECK((sc::sgd_iterates(data, theta0, o, other).iterates.array() != X.array()).any());
    CHECK(r.records == 40);
  }
}

TEST_CASE("sgd_record: the callback stops the run; a diverging run reports numerical_issue at its step") {
  mean_estimation zeros{{0.0, 0.0}};
  sc::sgd_options o;
  o.learning_rate = 0.5;
  const sc::vector one = sc::vector::Constant(1, 1.0);
  // stop when θ < 2^-10: θ_k = 2^-k, records after steps 2 + 3(t+1): 5, 8, 11 → stop at t = 2
  const auto s = sc::sgd_record(zeros, one, o, {.burn_in = 2, .records = 100, .thinning = 3},
                                [](sc::index, const sc::vector& th) { return th(0) >= std::ldexp(1.0, -10); });
  CHECK(s.ok());
  CHECK(s.stopped);
  CHECK(s.records == 3);
  CHECK(s.steps == 9);
  CHECK(s.theta(0) == std::ldexp(1.0, -11));
  CHECK(s.iterations == 11);

  // λ = 5: θ_k = (−4)^k = ±2^{2k}; step 512 computes 5·θ_511 = 5·2^{1022} > DBL_MAX, so θ_512 = ±inf
  // and steps 1…511 are finite.
  o.learning_rate = 5;
  int calls = 0;
  const auto d = sc::sgd_record(zeros, one, o, {.burn_in = 100, .records = 1000},
                                [&](sc::index, const sc::vector& th) {
                                  ++calls;
                                  CHECK(th.allFinite());
                                });
  CHECK(d.status == sc::status::numerical_issue);
  CHECK(!d.stopped);
  CHECK(d.burn_in == 100);
  CHECK(d.steps == 412);
  CHECK(d.records == 411);
  CHECK(calls == 411);
  CHECK(d.iterations == 512);
  CHECK(!d.theta.allFinite());
  CAPTURE(d.message);
  CHECK(d.message.rfind("shiftcurv::sgd_record:", 0) == 0);
  CHECK(d.message.find("non-finite at step 512") != std::string::npos);
  // in the burn-in
  const auto e = sc::sgd_iterates(zeros, one, o, {.burn_in = 600, .records = 10});
  CHECK(e.status == sc::status::numerical_issue);
  CHECK(e.burn_in == 512);
  CHECK(e.steps == 0);
  CHECK(e.records == 0);
  CHECK(e.iterates.cols() == 0);
  CHECK(e.message.rfind("shiftcurv::sgd_iterates:", 0) == 0);
  CHECK(e.message.find("non-finite at step 512 (burn-in)") != std::string::npos);
  // stopped mid-records: sgd_iterates keeps the finite records
  const auto m = sc::sgd_iterates(zeros, one, o, {.burn_in = 500, .records = 20});
  CHECK(m.records == 11);
  REQUIRE(m.iterates.cols() == 11);
  CHECK(m.iterates(0, 10) == std::ldexp(1.0, 2 * 511) * -1.0);  // (−4)^511
}

TEST_CASE("sgd_record, sgd_iterates, check_sgd_options: bad input throws naming the function and the field") {
  points_2d data{sc::matrix::Zero(2, 3)};
  const sc::vector th = sc::vector::Zero(2);
  sc::sgd_options o;
  o.learning_rate = 0.1;
  const sc::sgd_record_options rec{.records = 3};
  auto none = [](sc::index, const sc::vector&) {};
  auto check = [](const std::string& m, const std::string& fn, const std::string& what) {
    CAPTURE(m);
    CHECK(m.rfind("shiftcurv::" + fn + ":", 0) == 0);
    CHECK(m.find(what) != std::string::npos);
  };
  sc::sgd_record_options bad = rec;
  bad.burn_in = -1;
  CHECK_THROWS_AS(sc::sgd_record(data, th, o, bad, none), sc::invalid_argument);
  check(message_of([&] { sc::sgd_record(data, th, o, bad, none); }), "sgd_record", "record.burn_in");
  bad = rec, bad.records = -2;
  CHECK_THROWS_AS(sc::sgd_iterates(data, th, o, bad), sc::invalid_argument);
  check(message_of([&] { sc::sgd_iterates(data, th, o, bad); }), "sgd_iterates", "record.records");
  bad = rec, bad.thinning = 0;
  CHECK_THROWS_AS(sc::sgd_record(data, th, o, bad, none), sc::invalid_argument);
  check(message_of([&] { sc::sgd_record(data, th, o, bad, none); }), "sgd_record", "record.thinning");
  // θ0
  CHECK_THROWS_AS(sc::sgd_record(data, sc::vector(), o, rec, none), sc::invalid_argument);
  CHECK_THROWS_AS(sc::sgd_record(data, sc::vector::Zero(3), o, rec, none), sc::invalid_argument);
  sc::vector nan = th;
  nan(1) = std::nan("");
  CHECK_THROWS_AS(sc::sgd_iterates(data, nan, o, rec), sc::invalid_argument);
  check(message_of([&] { sc::sgd_iterates(data, nan, o, rec); }), "sgd_iterates", "theta");
  // the SGD options
  sc::sgd_options p = o;
  p.learning_rate = 0;
  CHECK_THROWS_AS(sc::sgd_record(data, th, p, rec, none), sc::domain_error);
  check(message_of([&] { sc::sgd_record(data, th, p, rec, none); }), "sgd_record", "options.learning_rate");
  p.learning_rate = std::nan("");
  CHECK_THROWS_AS(sc::sgd_record(data, th, p, rec, none), sc::invalid_argument);
  p = o, p.batch_size = 0;
  CHECK_THROWS_AS(sc::sgd_record(data, th, p, rec, none), sc::invalid_argument);
  check(message_of([&] { sc::sgd_record(data, th, p, rec, none); }), "sgd_record", "options.batch_size");
  p = o, p.alpha = -0.5;
  CHECK_THROWS_AS(sc::sgd_iterates(data, th, p, rec), sc::domain_error);
  check(message_of([&] { sc::sgd_iterates(data, th, p, rec); }), "sgd_iterates", "options.alpha");
  p = o, p.beta = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(sc::sgd_record(data, th, p, rec, none), sc::invalid_argument);
  check(message_of([&] { sc::sgd_record(data, th, p, rec, none); }), "sgd_record", "options.beta");
  // B > N: allowed with replacement unless the bound is `always`; never without replacement
  p = o, p.batch_size = 4;
  CHECK_NOTHROW(sc::check_sgd_options("f", p, 3));
  CHECK_THROWS_AS(sc::check_sgd_options("f", p, 3, "sgd", sc::sgd_batch_bound::always), sc::invalid_argument);
  check(message_of([&] { sc::check_sgd_options("f", p, 3, "sgd", sc::sgd_batch_bound::always); }), "f",
        "sgd.batch_size must be in [1, N = 3], got 4");
  p.sampling = sc::minibatch_sampling::without_replacement;
  CHECK_THROWS_AS(sc::check_sgd_options("f", p, 3), sc::invalid_argument);
  check(message_of([&] { sc::check_sgd_options("f", p, 3); }), "f", "options.batch_size 4 exceeds the 3 samples");
  CHECK_THROWS_AS(sc::sgd_record(data, th, p, rec, none), sc::invalid_argument);
  // the stepper's own check names it
  check(message_of([&] { sc::sgd_stepper s(data, p); }), "sgd_stepper", "options.batch_size");
}
