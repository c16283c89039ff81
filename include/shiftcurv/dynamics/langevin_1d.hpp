// shiftcurv/dynamics/langevin_1d.hpp — the 1-D fast path: an ensemble of the Itô SDE
// dθ = −U'(θ) dt + √(T·D(θ)) dW on an interval with reflecting walls, reporting mean train
// and test loss, basin occupancies and a histogram at chosen times.
//
//   shiftcurv::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5});
//   auto U_test = U.shifted(0.1);
//   shiftcurv::constant_diffusion D(1e-3, 1);                   // or [](double) { return 1e-3; }
//   shiftcurv::langevin_1d_options o;
//   o.particles = 100000; o.dt = 1e-3; o.t_end = 100;
//   o.walls = shiftcurv::reflecting_box(-4, 4);                  // x0 unset: uniform start
//   o.basin_boundaries = {0.0};                                  // basins (−4,0), [0,4)
//   o.scheme = shiftcurv::sde_scheme::weak_order2; o.seed = 1; o.threads = 0;
//   auto r = shiftcurv::langevin_ensemble_1d(U, U_test, D, /*T=*/0.5, o);
//   const auto& s = r.final();         // s.mean_train_loss, s.mean_test_loss, s.occupancy[k]
//   if (!r) std::cerr << r.message;
//
// Contract.  U and U_test are U's VALUE, as everywhere in the library (any 1-D loss form of
// derivatives/scalar_1d.hpp).  D: any 1-D diffusion model or a callable double → double;
// D(θ) ≥ 0 wherever it is evaluated (the schemes are derivative-free: D' is never needed).
// With walls, every point where U' and D are evaluated lies inside them (supporting values are
// folded too).  T > 0 is positional.  Schemes as in sde_steppers.hpp (Euler–Maruyama,
// derivative-free Milstein, Platen weak order 2, scalar noise); how the particles are
// vectorized and the noise keyed is noted at langevin_ensemble_1d.
// Errors: every mean comes with its Monte Carlo standard error over particles (independent,
// so exact); the time-discretization bias is O(dt) (Euler, Milstein) or O(dt²) (weak-2) away
// from the walls and is NOT included — halve dt to check it.
// Throws: see langevin_ensemble_1d; over MPI ranks: parallel/mpi/ensemble.hpp; chunk by chunk
// (to distribute or checkpoint them yourself): langevin_1d_chunks below.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <iostream>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/detail/moments.hpp"
#include "shiftcurv/core/dual.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/dynamics/detail/parallel.hpp"
#include "shiftcurv/dynamics/ensemble.hpp"
#include "shiftcurv/dynamics/reflecting_box.hpp"
#include "shiftcurv/dynamics/sde_steppers.hpp"
#include "shiftcurv/io/csv_table.hpp"
#include "shiftcurv/noise/diffusion_1d.hpp"
#include "shiftcurv/random/philox.hpp"

namespace shiftcurv {

struct langevin_1d_options {
  index particles = 1000;                 ///< number of independent particles (≥ 1)
  double dt = 1e-3;                       ///< step h > 0
  double t_end = 1.0;                     ///< ≥ 0
  std::vector<double> observe_at;         ///< snapshot times in [0, t_end] (rounded to whole steps); empty: {t_end}
  sde_scheme scheme = sde_scheme::euler_maruyama;  ///< euler_maruyama | milstein | weak_order2
  reflecting_box walls;                   ///< reflecting interval [lo, hi]; default: none
  std::optional<double> x0;               ///< start all particles at x0; unset: uniform on the walls
  std::vector<double> basin_boundaries;   ///< strictly increasing interior points: K−1 points, K basins
  index histogram_bins = 0;               ///< > 0: a density histogram on the walls' interval per snapshot
  std::uint64_t seed = 0;                 ///< Philox key
  unsigned threads = 0;                   ///< 0: all hardware threads; results do not depend on it
  bool progress = true;                   ///< a progress line for runs longer than progress_after_seconds
  double progress_after_seconds = 3.0;    ///< how long a run must take before progress shows
  std::ostream* progress_stream = &std::cerr;  ///< where the progress line goes
};

struct langevin_1d_snapshot {
  double time = 0;
  long particles = 0;                     ///< finite particles averaged
  double mean_train_loss = 0, train_loss_error = 0;   ///< mean over particles, its standard error
  double mean_test_loss = 0, test_loss_error = 0;
  double mean_theta = 0, variance_theta = 0;
  std::vector<double> occupancy;          ///< fraction per basin (sums to 1)
  std::vector<double> occupancy_error;    ///< √(p(1−p)/n)
  std::vector<double> histogram;          ///< density per bin (empty unless histogram_bins > 0)
};

struct langevin_1d_result : result_base {
  std::vector<langevin_1d_snapshot> snapshots;
  index particles = 0;
  index steps = 0;          ///< steps per particle
  index non_finite = 0;     ///< particles dropped (state NaN/Inf, e.g. D < 0)
  double seconds = 0;
  const langevin_1d_snapshot& final() const { return snapshots.back(); }
};

namespace detail {

/// One step of a block of at most `width` particles.  The arithmetic per particle is that of
/// sde_steppers.hpp for scalar noise (tests/dynamics/ensemble.cpp checks the two agree).
template <sde_scheme S, class Train, class Diffusion>
struct langevin_block_1d {
  static constexpr index width = philox_batch::lanes;
  const Train& U;
  diffusion_1d_view<Diffusion> D;
  double T, h, sqrt_h;
  bool walls;
  double lo, hi;
  alignas(64) double f[width], b[width], y[width], f2[width], bp[width], bm[width];

  /// 1 when v lies outside [lo, hi] (NaN too); a select-free form the compiler vectorizes.
  int outside(double v) const { return static_cast<int>(!(v >= lo)) | static_cast<int>(!(v <= hi)); }
  /// Fold the particles that left the walls back in (the rare second pass).
  void fold_outside(double* x, index n) const {
    for (index j = 0; j < n; ++j)
      if (outside(x[j])) x[j] = reflect_into(x[j], lo, hi);
  }
  void fold(double* x, index n) const {
    if (!walls) return;
    int any = 0;
    for (index j = 0; j < n; ++j) any |= outside(x[j]);
    if (any) fold_outside(x, n);
  }
  /// out[j] = √(T·D(x[j])) (NaN where D < 0: the particle is then dropped and reported);
  /// returns true when all n values are the same (then out[0] holds it and the rest is unset).
  bool amplitude(const double* x, double* out, index n) const {
    for (index j = 0; j < n; ++j) out[j] = T * D.value(x[j]);
    const double first = out[0];
    int varies = 0;
    for (index j = 0; j < n; ++j) varies |= out[j] != first ? 1 : 0;
    if (varies == 0 && first >= 0) {  // constant D (the common case): one square root
      out[0] = std::sqrt(first);
      return true;
    }
    // Eigen's packet sqrt: SIMD without std::sqrt's errno path, NaN for negative arguments.
    Eigen::Map<Eigen::ArrayXd> v(out, n);
    v = v.sqrt();
    return false;
  }
  void amplitude_all(const double* x, double* out, index n) const {
    if (amplitude(x, out, n))
      for (index j = 1; j < n; ++j) out[j] = out[0];
  }

  // f holds U' (the drift is −f).
  void step(double* x, const double* z, index n) {
    loss_derivatives_1d(U, x, f, n);
    if constexpr (S == sde_scheme::euler_maruyama) {
      // Update and wall check in one pass; the rare fold in a second.
      int any = 0;
      if (amplitude(x, b, n)) {  // constant amplitude: no per-particle load of b
        const double b0 = b[0];
        for (index j = 0; j < n; ++j) {
          x[j] = x[j] - f[j] * h + b0 * (sqrt_h * z[j]);
          any |= outside(x[j]);
        }
      } else {
        for (index j = 0; j < n; ++j) {
          x[j] = x[j] - f[j] * h + b[j] * (sqrt_h * z[j]);
          any |= outside(x[j]);
        }
      }
      if (any && walls) fold_outside(x, n);
      return;
    }
    amplitude_all(x, b, n);
    if constexpr (S == sde_scheme::milstein) {
      for (index j = 0; j < n; ++j) y[j] = x[j] - f[j] * h + b[j] * sqrt_h;
      fold(y, n);
      amplitude_all(y, bp, n);
      for (index j = 0; j < n; ++j) {
        const double dW = sqrt_h * z[j];
        x[j] = x[j] - f[j] * h + b[j] * dW + (bp[j] - b[j]) * (dW * dW - h) / (2 * sqrt_h);
      }
      fold(x, n);
    } else {
      for (index j = 0; j < n; ++j) y[j] = x[j] - f[j] * h + b[j] * (sqrt_h * z[j]);
      fold(y, n);
      loss_derivatives_1d(U, y, f2, n);
      for (index j = 0; j < n; ++j) y[j] = x[j] - f[j] * h + b[j] * sqrt_h;
      fold(y, n);
      amplitude_all(y, bp, n);
      for (index j = 0; j < n; ++j) y[j] = x[j] - f[j] * h - b[j] * sqrt_h;
      fold(y, n);
      amplitude_all(y, bm, n);
      for (index j = 0; j < n; ++j) {
        const double dW = sqrt_h * z[j];
        x[j] = x[j] - 0.5 * (f2[j] + f[j]) * h + 0.25 * (bp[j] + bm[j] + 2 * b[j]) * dW +
               0.25 * (bp[j] - bm[j]) * (dW * dW - h) / sqrt_h;
      }
      fold(x, n);
    }
  }
};

struct langevin_1d_accumulator {
  index basins = 1, bins = 0;
  std::vector<running_moments> train, test, theta;   // per snapshot
  std::vector<long> occupancy, histogram;             // snapshot-major
  index non_finite = 0;
  void reset(index snapshots) {
    train.assign(static_cast<std::size_t>(snapshots), {});
    test = theta = train;
    occupancy.assign(static_cast<std::size_t>(snapshots * basins), 0);
    histogram.assign(static_cast<std::size_t>(snapshots * bins), 0);
  }
  void merge(const langevin_1d_accumulator& o) {
    for (std::size_t i = 0; i < train.size(); ++i) {
      train[i].merge(o.train[i]);
      test[i].merge(o.test[i]);
      theta[i].merge(o.theta[i]);
    }
    for (std::size_t i = 0; i < occupancy.size(); ++i) occupancy[i] += o.occupancy[i];
    for (std::size_t i = 0; i < histogram.size(); ++i) histogram[i] += o.histogram[i];
    non_finite += o.non_finite;
  }
  template <class Archive>
  void serialize(Archive& ar) { ar(train, test, theta, occupancy, histogram, non_finite); }
  /// True when the partial sums have the sizes of `proto` (a partial read back from bytes).
  bool same_shape(const langevin_1d_accumulator& proto) const {
    return train.size() == proto.train.size() && test.size() == proto.test.size() && theta.size() == proto.theta.size() &&
           occupancy.size() == proto.occupancy.size() && histogram.size() == proto.histogram.size() && non_finite >= 0;
  }
};

/// Particles per chunk: whole blocks of `width`, a function of the particle count only.
inline index langevin_1d_chunk_size(index particles) {
  constexpr index width = philox_batch::lanes;
  return std::clamp<index>((chunk_size_for(particles) + width - 1) / width * width, width, 4 * width);
}
/// The number of chunks of langevin_1d_chunk_size(particles) particles (the last one partial).
inline index langevin_1d_chunk_count(index particles) {
  const index c = langevin_1d_chunk_size(particles);
  return (particles + c - 1) / c;
}

inline langevin_1d_accumulator langevin_1d_prototype(const langevin_1d_options& options, index snapshots) {
  langevin_1d_accumulator proto;
  proto.basins = static_cast<index>(options.basin_boundaries.size()) + 1;
  proto.bins = options.histogram_bins;
  proto.reset(snapshots);
  return proto;
}

/// The chunks are run by `exec` (local_chunk_executor merges them; see parallel.hpp).
template <sde_scheme S, class Train, class Test, class Diffusion, class Exec>
auto run_langevin_1d(Exec&& exec, const Train& U, const Test& U_test, const diffusion_1d_view<Diffusion>& D, double T,
                     const langevin_1d_options& options, const snapshot_plan& plan) {
  const index snapshots = static_cast<index>(plan.steps.size());
  const langevin_1d_accumulator proto = langevin_1d_prototype(options, snapshots);
  const bool walls = options.walls.active();
  const double lo = walls ? options.walls.lower(0) : 0.0, hi = walls ? options.walls.upper(0) : 0.0;
  using block_kernel = langevin_block_1d<S, Train, Diffusion>;
  constexpr index width = block_kernel::width;
  // Whole blocks per chunk (a function of the particle count only: reproducible summation).
  const index chunk = langevin_1d_chunk_size(options.particles);
  const index chunks = langevin_1d_chunk_count(options.particles);
  const auto& bounds = options.basin_boundaries;
  const philox_batch noise(options.seed);

  auto work = [&](index c, langevin_1d_accumulator& acc, std::atomic<std::uint64_t>& done) {
    block_kernel kernel{U, D, T, options.dt, std::sqrt(options.dt), walls, lo, hi, {}, {}, {}, {}, {}, {}};
    const index end = std::min(options.particles, (c + 1) * chunk);
    for (index k0 = c * chunk; k0 < end; k0 += width) {
      const index n = std::min(width, end - k0);
      alignas(64) double x[width], z0[width], z1[width];
      bool dead[width];
      for (index j = 0; j < n; ++j) {
        const philox_stream init(options.seed, static_cast<std::uint64_t>(k0 + j));
        x[j] = options.x0 ? *options.x0 : lo + (hi - lo) * open_uniform(init.bits(0, 0, random_purpose::initial));
        dead[j] = false;
      }
      index step = 0;
      for (index s = 0; s < snapshots; ++s) {
        for (const index until = plan.steps[static_cast<std::size_t>(s)]; step < until; ++step) {
          if ((step & 1) == 0)
            noise.normal_pairs(static_cast<std::uint64_t>(step >> 1), static_cast<std::uint64_t>(k0), n, z0, z1);
          kernel.step(x, (step & 1) ? z1 : z0, n);
        }
        const auto su = static_cast<std::size_t>(s);
        for (index j = 0; j < n; ++j) {
          if (dead[j] || !std::isfinite(x[j])) {  // dropped from this snapshot on
            dead[j] = true;
            continue;
          }
          acc.train[su].add(loss_value_1d(U, x[j]));
          acc.test[su].add(loss_value_1d(U_test, x[j]));
          acc.theta[su].add(x[j]);
          const auto b = std::upper_bound(bounds.begin(), bounds.end(), x[j]) - bounds.begin();
          ++acc.occupancy[su * static_cast<std::size_t>(acc.basins) + static_cast<std::size_t>(b)];
          if (acc.bins > 0) {
            const index bin = std::clamp<index>(static_cast<index>((x[j] - lo) / (hi - lo) * static_cast<double>(acc.bins)), 0, acc.bins - 1);
            ++acc.histogram[su * static_cast<std::size_t>(acc.bins) + static_cast<std::size_t>(bin)];
          }
        }
      }
      for (index j = 0; j < n; ++j)
        if (dead[j] || !std::isfinite(x[j])) ++acc.non_finite;
      done += static_cast<std::uint64_t>(plan.total_steps) * static_cast<std::uint64_t>(n);
    }
  };
  progress_settings progress;
  progress.enabled = options.progress && options.progress_stream != nullptr;
  progress.after_seconds = options.progress_after_seconds;
  progress.out = options.progress_stream;
  progress.label = "shiftcurv::langevin_ensemble_1d";
  return exec(chunks, resolve_threads(options.threads, chunks), proto, work,
              static_cast<std::uint64_t>(plan.total_steps) * static_cast<std::uint64_t>(options.particles), progress);
}

template <class Diffusion>
struct langevin_1d_setup {
  snapshot_plan plan;
  diffusion_1d_view<Diffusion> D;
};

/// The checks of langevin_ensemble_1d (see there), and the snapshot plan.
template <class Train, class Test, class Diffusion>
langevin_1d_setup<Diffusion> check_langevin_1d(const char* fn, const Train& U, const Test& U_test, const Diffusion& D,
                                               double T, const langevin_1d_options& options) {
  require_temperature(fn, T);
  auto plan = detail::plan_snapshots(fn, options.particles, options.dt, options.t_end, options.observe_at);
  if (options.walls && options.walls.dimension() > 1)
    detail::throw_invalid(fn, "walls must be a 1-D interval, got a box of dimension ", options.walls.dimension());
  if (options.x0) {
    require_finite(fn, "x0", *options.x0);
    if (options.walls && !(*options.x0 >= options.walls.lower(0) && *options.x0 <= options.walls.upper(0)))
      detail::throw_invalid(fn, "x0 = ", *options.x0, " lies outside the walls [", options.walls.lower(0), ", ",
                            options.walls.upper(0), "]");
  } else if (!options.walls) {
    detail::throw_invalid(fn, "a uniform initial condition needs walls (or set x0)");
  }
  for (double b : options.basin_boundaries) require_finite(fn, "basin boundary", b);
  for (std::size_t i = 1; i < options.basin_boundaries.size(); ++i)
    if (!(options.basin_boundaries[i - 1] < options.basin_boundaries[i]))
      detail::throw_invalid(fn, "basin boundaries must be strictly increasing, got ", options.basin_boundaries[i - 1],
                            " then ", options.basin_boundaries[i]);
  if (options.histogram_bins < 0) detail::throw_invalid(fn, "histogram_bins must be >= 0, got ", options.histogram_bins);
  if (options.histogram_bins > 0 && !options.walls) detail::throw_invalid(fn, "a histogram needs walls (its range)");
  const double probe = options.x0 ? *options.x0 : options.walls.lower(0);
  detail::require_loss_1d(fn, "U", U);
  detail::require_loss_1d(fn, "U_test", U_test);
  return {std::move(plan), diffusion_1d_view<Diffusion>(fn, D, probe)};
}

/// run_langevin_1d for the scheme of `o`.
template <class Exec, class Train, class Test, class Diffusion>
auto dispatch_langevin_1d(Exec&& exec, const Train& U, const Test& U_test, const langevin_1d_setup<Diffusion>& setup,
                          double T, const langevin_1d_options& options) {
  switch (options.scheme) {
    case sde_scheme::milstein:
      return run_langevin_1d<sde_scheme::milstein>(exec, U, U_test, setup.D, T, options, setup.plan);
    case sde_scheme::weak_order2:
      return run_langevin_1d<sde_scheme::weak_order2>(exec, U, U_test, setup.D, T, options, setup.plan);
    case sde_scheme::euler_maruyama:
    default:
      return run_langevin_1d<sde_scheme::euler_maruyama>(exec, U, U_test, setup.D, T, options, setup.plan);
  }
}

/// The result from the merged partial sums.
inline langevin_1d_result make_langevin_1d_result(const char* fn, const langevin_1d_accumulator& acc,
                                                  const snapshot_plan& plan, const langevin_1d_options& options) {
  langevin_1d_result r;
  r.particles = options.particles;
  r.steps = plan.total_steps;
  r.iterations = plan.total_steps;
  r.non_finite = acc.non_finite;
  for (std::size_t s = 0; s < plan.steps.size(); ++s) {
    langevin_1d_snapshot snap;
    snap.time = plan.times[s];
    snap.particles = acc.train[s].n;
    snap.mean_train_loss = acc.train[s].mean;
    snap.train_loss_error = acc.train[s].standard_error();
    snap.mean_test_loss = acc.test[s].mean;
    snap.test_loss_error = acc.test[s].standard_error();
    snap.mean_theta = acc.theta[s].mean;
    snap.variance_theta = acc.theta[s].variance();
    const double n = static_cast<double>(snap.particles);
    for (index k = 0; k < acc.basins; ++k) {
      const double p = n > 0 ? static_cast<double>(acc.occupancy[s * static_cast<std::size_t>(acc.basins) + static_cast<std::size_t>(k)]) / n : 0.0;
      snap.occupancy.push_back(p);
      snap.occupancy_error.push_back(n > 0 ? std::sqrt(p * (1 - p) / n) : 0.0);
    }
    if (acc.bins > 0) {
      const double width = (options.walls.upper(0) - options.walls.lower(0)) / static_cast<double>(acc.bins);
      for (index b = 0; b < acc.bins; ++b)
        snap.histogram.push_back(n > 0 ? static_cast<double>(acc.histogram[s * static_cast<std::size_t>(acc.bins) + static_cast<std::size_t>(b)]) / (n * width) : 0.0);
    }
    r.snapshots.push_back(std::move(snap));
  }
  if (r.non_finite > 0) {
    record_status(r, status::numerical_issue,
                  detail::message(fn, r.non_finite, " of ", r.particles,
                                  " particles became non-finite and were dropped (D(θ) < 0 somewhere, or dt too large?)"));
  }
  return r;
}

}  // namespace detail

/// Ensemble of the 1-D Itô SDE dθ = −U'(θ) dt + √(T·D(θ)) dW (see the header comment).
/// Speed: particles advance in blocks of 64, step by step, so that every stage is a loop over
/// independent particles the compiler vectorizes: the normals (philox_batch), the drift and the
/// update.  A loss that offers `derivative_batch(std::span<const double> θ, std::span<double>
/// out)` (out[j] = U'(θ[j]); gaussian_wells_1d does) gets the drift SIMD-wide; otherwise U' is
/// called per particle.  constant_diffusion is read once and scalar_field_diffusion and
/// callables are evaluated on doubles; other diffusion models go through 1-vectors (slower).
/// Build with -O3 -march=native to get AVX2/AVX-512 code (benchmarks/README.md has the numbers,
/// the SSE2 baseline's included).
/// Noise: the normal of step n of trajectory k is philox_batch(seed).normal(k, n)
/// (random/philox.hpp: Philox4x32-10 keyed by (seed, trajectory, step)), bit-identical for any
/// thread count; initial uniform positions come from philox_stream(seed, k), purpose `initial`.
/// Throws domain_error unless T > 0; invalid_argument on a loss or diffusion model that is not
/// 1-D, particles < 1, dt ≤ 0 or non-finite, t_end < 0, bad snapshot times, a non-finite x0 or
/// one outside the walls, a uniform start without walls, boundaries not strictly increasing or
/// non-finite, a histogram without walls.
template <class Train, class Test, class Diffusion>
  requires loss_1d<Train> && loss_1d<Test> && diffusion_1d_model<Diffusion>
langevin_1d_result langevin_ensemble_1d(const Train& U, const Test& U_test, const Diffusion& D, double T,
                                        const langevin_1d_options& options = {}) {
  constexpr const char* fn = "langevin_ensemble_1d";
  const auto setup = detail::check_langevin_1d(fn, U, U_test, D, T, options);
  const auto t0 = std::chrono::steady_clock::now();
  const auto acc = detail::dispatch_langevin_1d(detail::local_chunk_executor{}, U, U_test, setup, T, options);
  langevin_1d_result r = detail::make_langevin_1d_result(fn, acc, setup.plan, options);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

/// The same with the train loss also as the test loss.
template <class Train, class Diffusion>
  requires loss_1d<Train> && diffusion_1d_model<Diffusion>
langevin_1d_result langevin_ensemble_1d(const Train& U, const Diffusion& D, double T, const langevin_1d_options& options = {}) {
  return langevin_ensemble_1d(U, U, D, T, options);
}

/// The partial sums of one chunk of particles (serializable: io/checkpoint.hpp's archives).
using langevin_1d_partial = detail::langevin_1d_accumulator;

/// langevin_ensemble_1d cut into its chunks, for callers that distribute or checkpoint them
/// (parallel/mpi/ensemble.hpp, examples/langevin_ensemble.cpp).  The chunks are fixed by the particle
/// count; run(first, last) integrates chunks [first, last) on o.threads threads and returns
/// their partial sums; finish(parts) merges the partial sums of ALL chunks in chunk order, as
/// langevin_ensemble_1d does: the result is bit-identical to it, whichever process or run
/// computed which chunk.  The models must outlive this object.  The constructor makes
/// langevin_ensemble_1d's checks; finish throws invalid_argument on a wrong number of parts or
/// parts of the wrong shape (e.g. read back from another configuration).
template <class Train, class Test, class Diffusion>
class langevin_1d_chunks {
 public:
  langevin_1d_chunks(const Train& U, const Test& U_test, const Diffusion& D, double T, langevin_1d_options o)
      : U_(U), U_test_(U_test), T_(T), o_(std::move(o)), setup_(detail::check_langevin_1d(fn, U, U_test, D, T, o_)),
        proto_(detail::langevin_1d_prototype(o_, static_cast<index>(setup_.plan.steps.size()))) {}

  index chunks() const { return detail::langevin_1d_chunk_count(o_.particles); }
  /// The partial sums of chunks [first, last) (0 ≤ first ≤ last ≤ chunks()), in chunk order.
  std::vector<langevin_1d_partial> run(index first, index last) const {
    if (first < 0 || first > last || last > chunks())
      detail::throw_invalid("langevin_1d_chunks::run", "need 0 <= first <= last <= ", chunks(), ", got ", first, ", ", last);
    return detail::dispatch_langevin_1d(detail::chunk_range_executor{first, last}, U_, U_test_, setup_, T_, o_);
  }
  /// A partial sum with nothing in it, of the right shape (to read one back into).
  const langevin_1d_partial& empty_partial() const { return proto_; }
  /// The result from the partial sums of all chunks, in chunk order (seconds: 0).
  langevin_1d_result finish(const std::vector<langevin_1d_partial>& parts) const {
    if (static_cast<index>(parts.size()) != chunks())
      detail::throw_invalid("langevin_1d_chunks::finish", "need the partial sums of all ", chunks(), " chunks, got ",
                            parts.size());
    langevin_1d_partial total = proto_;
    for (const auto& p : parts) {
      if (!p.same_shape(proto_))
        detail::throw_invalid("langevin_1d_chunks::finish", "a partial sum has the wrong shape (another configuration?)");
      total.merge(p);
    }
    return detail::make_langevin_1d_result(fn, total, setup_.plan, o_);
  }
  const langevin_1d_options& options() const { return o_; }

 private:
  static constexpr const char* fn = "langevin_ensemble_1d";
  const Train& U_;
  const Test& U_test_;
  double T_;
  langevin_1d_options o_;
  detail::langevin_1d_setup<std::remove_cv_t<Diffusion>> setup_;
  langevin_1d_partial proto_;
};

/// The result as a CSV table (io/csv.hpp writes it): one row per snapshot: time, particles, mean_train_loss, train_loss_error,
/// mean_test_loss, test_loss_error, mean_theta, variance_theta, occupancy_k…, occupancy_error_k….
inline csv_table to_table(const langevin_1d_result& r) {
  const long K = r.snapshots.empty() ? 0 : static_cast<long>(r.snapshots.front().occupancy.size());
  std::vector<std::string> h{"time",           "particles",      "mean_train_loss", "train_loss_error",
                             "mean_test_loss", "test_loss_error", "mean_theta",      "variance_theta"};
  detail::append_indexed(h, "occupancy", K);
  detail::append_indexed(h, "occupancy_error", K);
  csv_table t(std::move(h));
  for (const auto& s : r.snapshots) {
    std::vector<csv_cell> row{s.time,           s.particles,       s.mean_train_loss, s.train_loss_error,
                              s.mean_test_loss, s.test_loss_error, s.mean_theta,      s.variance_theta};
    for (long k = 0; k < K; ++k) row.emplace_back(s.occupancy.at(k));
    for (long k = 0; k < K; ++k) row.emplace_back(s.occupancy_error.at(k));
    t.add_row(std::move(row));
  }
  return t;
}

}  // namespace shiftcurv
