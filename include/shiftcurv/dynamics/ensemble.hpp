// shiftcurv/dynamics/ensemble.hpp — many independent trajectories of an SDE on all cores,
// reduced on the fly by observers.
//
//   shiftcurv::double_well U;  shiftcurv::constant_diffusion D(1.0, 2);
//   auto sys = shiftcurv::langevin_system(U, D, /*T=*/0.5);
//   shiftcurv::weak_order2<> stepper;                          // walls: stepper.set_walls(...)
//   shiftcurv::ensemble_options opts;
//   opts.particles = 10000; opts.dt = 1e-2; opts.t_end = 20; opts.observe_at = {10, 20};
//   auto obs = shiftcurv::observe_all(shiftcurv::basin_occupancy_observer({0.0}),
//                                     shiftcurv::mean_observer({[&](const shiftcurv::vector& x) { return U(x); }}));
//   auto r = shiftcurv::run_ensemble(stepper, sys, shiftcurv::initial_point{x0}, obs, opts);
//   if (!r) std::cerr << r.message;            // e.g. particles that went non-finite
//   std::get<0>(r.observer.parts).fraction(1, 0);   // occupancy of θ₀ < 0 at t = 20
//
// Trajectory k uses the noise philox_noise(seed, k) from step 0, and its initial state is
// init(seed, k); particles are cut into chunks whose size depends on the particle count only,
// each chunk has its own observer copy, and the copies are merged in chunk order — so the
// result is bit-identical for any thread count (tests/dynamics/ensemble.cpp checks it), and
// over MPI ranks too (parallel/mpi/ensemble.hpp: mpi::run_ensemble merges the chunks in the same
// order).
// Snapshot times are rounded to whole steps (`times` in the result are the ones used).
// A particle whose state becomes NaN/Inf is dropped from later snapshots and counted in
// `non_finite`; the status is then numerical_issue (an initial state that is already NaN/Inf
// is bad input: invalid_argument).  A progress line goes to stderr for long runs
// (opts.progress = false silences it).
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/dynamics/detail/parallel.hpp"
#include "shiftcurv/dynamics/reflecting_box.hpp"
#include "shiftcurv/random/philox.hpp"

namespace shiftcurv {

struct ensemble_options {
  index particles = 1000;          ///< number of trajectories (≥ 1)
  double dt = 1e-3;                ///< step > 0
  double t_end = 1.0;              ///< end time ≥ 0
  std::vector<double> observe_at;  ///< snapshot times in [0, t_end] (rounded to whole steps); empty: {t_end}
  std::uint64_t seed = 0;          ///< Philox key of the noise and of initial_uniform
  unsigned threads = 0;            ///< worker threads, 0: all hardware threads; the result does not depend on it
  bool progress = true;            ///< a progress line for runs longer than progress_after_seconds
  double progress_after_seconds = 3.0;      ///< how long a run must take before progress shows
  std::ostream* progress_stream = &std::cerr;  ///< where the progress line goes
};

template <class Observer>
struct ensemble_result : result_base {
  Observer observer;
  std::vector<double> times;     ///< the snapshot times actually used (whole steps)
  std::vector<index> steps_at;   ///< their step indices
  index particles = 0;
  index steps = 0;               ///< steps per particle
  index non_finite = 0;          ///< particles dropped because their state became NaN/Inf
  double seconds = 0;            ///< wall-clock time
};

/// All particles start at x0.
template <class State = vector>
struct initial_point {
  State x0;
  State operator()(std::uint64_t /*seed*/, index /*trajectory*/) const { return x0; }
};
template <class State>
initial_point(State) -> initial_point<State>;

/// Particles uniform on a box (keyed by (seed, trajectory), purpose `initial`).
struct initial_uniform {
  vector lower, upper;
  initial_uniform(vector lo, vector hi) : lower(std::move(lo)), upper(std::move(hi)) {
    require_size("initial_uniform", "upper", upper.size(), lower.size());
    require_finite("initial_uniform", "lower", lower);
    require_finite("initial_uniform", "upper", upper);
    if (((upper - lower).array() < 0).any()) detail::throw_invalid("initial_uniform", "need lower <= upper");
  }
  vector operator()(std::uint64_t seed, index trajectory) const {
    const philox_stream s(seed, static_cast<std::uint64_t>(trajectory));
    vector x(lower.size());
    for (index i = 0; i < x.size(); ++i)
      x(i) = lower(i) + (upper(i) - lower(i)) * detail::open_uniform(s.bits(0, static_cast<std::uint64_t>(i), random_purpose::initial));
    return x;
  }
};

namespace detail {

struct snapshot_plan {
  std::vector<index> steps;
  std::vector<double> times;
  index total_steps = 0;
};

inline snapshot_plan plan_snapshots(std::string_view fn, index particles, double dt, double t_end,
                                    const std::vector<double>& observe_at) {
  if (particles < 1) throw_invalid(fn, "particles must be >= 1, got ", particles);
  if (!std::isfinite(dt) || !(dt > 0)) throw_invalid(fn, "dt must be finite and > 0, got ", dt);
  if (!std::isfinite(t_end) || t_end < 0) throw_invalid(fn, "t_end must be finite and >= 0, got ", t_end);
  if (t_end / dt > 9e15) throw_invalid(fn, "t_end / dt is too large: ", t_end / dt);
  snapshot_plan plan;
  plan.total_steps = static_cast<index>(std::llround(t_end / dt));
  std::vector<double> ts = observe_at.empty() ? std::vector<double>{t_end} : observe_at;
  double prev = 0;
  for (double t : ts) {
    if (!std::isfinite(t) || t < 0 || t > t_end * (1 + 1e-12))
      throw_invalid(fn, "observation times must lie in [0, t_end = ", t_end, "], got ", t);
    if (t < prev) throw_invalid(fn, "observation times must be nondecreasing, got ", t, " after ", prev);
    prev = t;
    const index n = std::min(plan.total_steps, static_cast<index>(std::llround(t / dt)));
    plan.steps.push_back(n);
    plan.times.push_back(static_cast<double>(n) * dt);
  }
  return plan;
}

template <class Observer>
struct chunk_accumulator {
  Observer observer;
  index non_finite = 0;
  void merge(const chunk_accumulator& o) {
    observer.merge(o.observer);
    non_finite += o.non_finite;
  }
  template <class Archive>
  void serialize(Archive& ar) {
    observer.serialize(ar);
    ar(non_finite);
  }
};

template <class State>
bool all_finite(const State& x) {
  for (index i = 0; i < x.size(); ++i)
    if (!std::isfinite(x(i))) return false;
  return true;
}

}  // namespace detail

namespace detail {
/// run_ensemble with the chunks run by `exec` (local_chunk_executor, or parallel/mpi/ensemble.hpp's).
template <class Exec, class Stepper, class System, class Init, class Observer>
auto run_ensemble_with(Exec&& exec, const Stepper& stepper, const System& system, const Init& init, Observer observer,
                       const ensemble_options& options) -> ensemble_result<Observer> {
  using State = typename Stepper::state_type;
  const auto plan = detail::plan_snapshots("run_ensemble", options.particles, options.dt, options.t_end, options.observe_at);
  const index snapshots = static_cast<index>(plan.steps.size());
  observer.reset(snapshots);
  const index chunk = detail::chunk_size_for(options.particles);
  const index chunks = (options.particles + chunk - 1) / chunk;
  const unsigned threads = detail::resolve_threads(options.threads, chunks);
  const auto t0 = std::chrono::steady_clock::now();

  detail::chunk_accumulator<Observer> proto{observer, 0};
  auto work = [&](index c, detail::chunk_accumulator<Observer>& acc, std::atomic<std::uint64_t>& done) {
    Stepper st = stepper;
    const System sys = system;
    for (index k = c * chunk; k < std::min(options.particles, (c + 1) * chunk); ++k) {
      st.restart(typename Stepper::random_source_type(options.seed, static_cast<std::uint64_t>(k)));
      State x = init(options.seed, k);
      for (index i = 0; i < x.size(); ++i)
        if (!std::isfinite(x(i)))
          detail::throw_invalid("run_ensemble", "the initial state of trajectory ", k, " has a non-finite entry x0[",
                                i, "] = ", x(i));
      index n = 0;
      bool finite = true;
      for (index s = 0; s < snapshots && finite; ++s) {
        for (; n < plan.steps[static_cast<std::size_t>(s)]; ++n) st.do_step(sys, x, static_cast<double>(n) * options.dt, options.dt);
        finite = detail::all_finite(x);
        if (finite) acc.observer.observe(s, x);
      }
      if (!finite) ++acc.non_finite;
      done += static_cast<std::uint64_t>(plan.total_steps);
    }
  };
  detail::progress_settings progress;
  progress.enabled = options.progress && options.progress_stream != nullptr;
  progress.after_seconds = options.progress_after_seconds;
  progress.out = options.progress_stream;
  progress.label = "shiftcurv::run_ensemble";
  auto total = exec(chunks, threads, proto, work,
                    static_cast<std::uint64_t>(plan.total_steps) * static_cast<std::uint64_t>(options.particles), progress);
  ensemble_result<Observer> r{result_base{}, std::move(total.observer), plan.times, plan.steps,
                              options.particles, plan.total_steps, total.non_finite, 0.0};
  r.iterations = plan.total_steps;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (r.non_finite > 0) {
    record_status(r, status::numerical_issue,
                  detail::message("run_ensemble", r.non_finite, " of ", r.particles,
                                  " particles became non-finite and were dropped (dt too large?)"));
  }
  return r;
}
}  // namespace detail

/// Integrate `particles` independent copies of the system with copies of `stepper` and feed
/// every particle's state at each snapshot time to the observer.  See the header comment.
/// Throws invalid_argument on particles < 1, dt ≤ 0 or non-finite, t_end < 0, bad snapshot
/// times, an initial state with a NaN/Inf entry.
template <class Stepper, class System, class Init, class Observer>
auto run_ensemble(const Stepper& stepper, const System& system, const Init& init, Observer observer,
                  const ensemble_options& options = {}) -> ensemble_result<Observer> {
  return detail::run_ensemble_with(detail::local_chunk_executor{}, stepper, system, init, std::move(observer), options);
}

}  // namespace shiftcurv
