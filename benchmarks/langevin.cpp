// Langevin ensembles: particle-steps per second (Google Benchmark "items_per_second").
//
//  * two_well_1d/<scheme>/<threads> (threads 0 = all cores): the 1-D fast path (langevin_ensemble_1d) on the paper's
//    Figure 4-left wells, D = 1e-3, T = 1, walls [−4, 4], 4096 particles × 1000 steps.
//  * hand_loop_no_rng/<simd_drift>: the same drift, walls and arithmetic as Euler–Maruyama, one
//    thread, with the normals replaced by a cycled precomputed table — the floor without RNG
//    cost; scalar std::exp drift (0) or the SIMD derivative_batch (1).
//  * normals_only: the fast path's noise alone (philox_batch, 64 trajectories per call).
//  * quadratic_full_D/<p>: run_ensemble + Euler–Maruyama on U = ½θᵀHθ with a full constant D
//    (Cholesky factor, p×p), 1 thread.
//  * low_rank_per_sample/<p>: per_sample_langevin_system on least squares with N = 32 samples
//    (noise √T·Aᵀζ, p×N, D never formed), 1 thread.
// One-thread runs execute on the calling thread, so Google Benchmark's CPU time is the work's
// CPU time (the machine may be shared); the all-core run reports wall time.
// The NumPy peer is benchmarks/numpy_euler_maruyama.py (see benchmarks/README.md).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "shiftcurv/dynamics/ensemble.hpp"
#include "shiftcurv/dynamics/langevin_1d.hpp"
#include "shiftcurv/dynamics/langevin_system.hpp"
#include "shiftcurv/dynamics/observers.hpp"
#include "shiftcurv/dynamics/sde_steppers.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"

namespace sc = shiftcurv;

namespace {
constexpr sc::index particles_1d = 4096;
constexpr sc::index steps_1d = 1000;

const sc::gaussian_wells_1d& wells() {
  static const sc::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5});
  return U;
}

void two_well_1d(benchmark::State& state) {
  const auto scheme = static_cast<sc::sde_scheme>(state.range(0));
  sc::langevin_1d_options o;
  o.particles = particles_1d;
  o.dt = 1e-3;
  o.t_end = static_cast<double>(steps_1d) * o.dt;
  o.walls = sc::reflecting_box(-4, 4);
  o.basin_boundaries = {0.0};
  o.scheme = scheme;
  o.threads = static_cast<unsigned>(state.range(1));
  o.progress = false;
  const auto test = wells().shifted(0.1);
  auto D = [](double) { return 1e-3; };
  double sink = 0;
  for (auto _ : state) {
    const auto r = sc::langevin_ensemble_1d(wells(), test, D, /*T=*/1.0, o);
    sink += r.final().mean_train_loss;
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * particles_1d * steps_1d);
}
BENCHMARK(two_well_1d)
    ->ArgNames({"scheme", "threads"})
    ->Args({0, 1})->Args({1, 1})->Args({2, 1})
    ->Unit(benchmark::kMillisecond);
// All cores: wall-clock time (the worker threads' CPU time is not the calling thread's).
BENCHMARK(two_well_1d)->ArgNames({"scheme", "threads"})->Args({0, 0})->Unit(benchmark::kMillisecond)->UseRealTime();

// Euler–Maruyama by hand: same drift (U'), same walls, same per-step arithmetic, no RNG (a
// cycled table of normals), particles in blocks of 64 advanced step by step (the loop order a
// vectorizing compiler wants).  Arg 0: U' per particle through the scalar
// gaussian_wells_1d::derivative (std::exp); arg 1: U' of the whole block through
// derivative_batch (Eigen's SIMD exp) — the floor the library's fast path is measured against.
void hand_loop_no_rng(benchmark::State& state) {
  const auto& U = wells();
  const bool batch = state.range(0) == 1;
  constexpr sc::index block = 64;
  std::vector<double> table(4096);
  const sc::philox_stream s(1, 0);
  for (std::size_t i = 0; i < table.size(); i += 4) s.normals(i, &table[i], 4);
  const double T = 1.0, dt = 1e-3, sq = std::sqrt(dt), b = std::sqrt(T * 1e-3);
  double sink = 0;
  for (auto _ : state) {
    double acc = 0;
    for (sc::index k0 = 0; k0 < particles_1d; k0 += block) {
      alignas(64) double x[block], f[block];
      for (sc::index j = 0; j < block; ++j) x[j] = -4 + 8 * (static_cast<double>(k0 + j) + 0.5) / particles_1d;
      for (sc::index n = 0; n < steps_1d; ++n) {
        if (batch) {
          U.derivative_batch(std::span<const double>(x, block), std::span<double>(f, block));
        } else {
          for (sc::index j = 0; j < block; ++j) f[j] = U.derivative(x[j], 1);
        }
        const double* z = &table[static_cast<std::size_t>((n * block) & 4095)];
        int outside = 0;  // update and wall check in one vectorized pass, the rare fold after
        for (sc::index j = 0; j < block; ++j) {
          x[j] = x[j] - f[j] * dt + b * (sq * z[j]);
          outside |= static_cast<int>(x[j] < -4.0) | static_cast<int>(x[j] > 4.0);
        }
        if (outside)
          for (sc::index j = 0; j < block; ++j)
            if (!(x[j] >= -4.0 && x[j] <= 4.0)) x[j] = sc::reflect_into(x[j], -4.0, 4.0);
      }
      for (sc::index j = 0; j < block; ++j) acc += U.value(x[j]);
    }
    sink += acc;
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * particles_1d * steps_1d);
}
BENCHMARK(hand_loop_no_rng)->ArgName("simd_drift")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The noise alone: philox_batch normals, 64 trajectories per call.
void normals_only(benchmark::State& state) {
  const sc::philox_batch g(1);
  alignas(64) double z0[64], z1[64];
  double sink = 0;
  for (auto _ : state) {
    for (sc::index k0 = 0; k0 < particles_1d; k0 += 64)
      for (sc::index m = 0; m < steps_1d / 2; ++m) {
        g.normal_pairs(static_cast<std::uint64_t>(m), static_cast<std::uint64_t>(k0), 64, z0, z1);
        sink += z0[5] + z1[9];
      }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * particles_1d * steps_1d);
}
BENCHMARK(normals_only)->Unit(benchmark::kMillisecond);

void quadratic_full_D(benchmark::State& state) {
  const sc::index p = state.range(0);
  sc::matrix H = sc::matrix::Identity(p, p), D = sc::matrix::Identity(p, p);
  for (sc::index i = 0; i + 1 < p; ++i) {
    H(i, i + 1) = H(i + 1, i) = 0.3;
    D(i, i + 1) = D(i + 1, i) = -0.2;
  }
  sc::quadratic U(H);
  sc::constant_diffusion noise(D);
  auto sys = sc::langevin_system(U, noise, 0.1);
  sc::ensemble_options o;
  o.particles = 256;
  o.dt = 1e-2;
  o.t_end = 1.0;
  o.threads = 1;
  o.progress = false;
  sc::mean_observer m({[&](const sc::vector& x) { return U(x); }});
  for (auto _ : state) {
    auto r = sc::run_ensemble(sc::euler_maruyama<>(), sys, sc::initial_point{sc::vector(sc::vector::Zero(p))}, m, o);
    benchmark::DoNotOptimize(r.observer.mean(0, 0));
  }
  state.SetItemsProcessed(state.iterations() * o.particles * 100);
}
BENCHMARK(quadratic_full_D)->Arg(2)->Arg(10)->Arg(50)->Unit(benchmark::kMillisecond);

struct least_squares {
  sc::matrix X;
  sc::vector y;
  sc::index num_samples() const { return X.rows(); }
  double value(const sc::vector& th, sc::index i) const {
    const double r = X.row(i).dot(th) - y(i);
    return 0.5 * r * r;
  }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const {
    g = (X.row(i).dot(th) - y(i)) * X.row(i).transpose();
  }
};

void low_rank_per_sample(benchmark::State& state) {
  const sc::index p = state.range(0), N = 32;
  least_squares ls{sc::matrix::Random(N, p) / std::sqrt(static_cast<double>(p)), sc::vector::Random(N)};
  auto sys = sc::per_sample_langevin_system(ls, 0.05);
  sc::ensemble_options o;
  o.particles = 64;
  o.dt = 1e-2;
  o.t_end = 0.5;
  o.threads = 1;
  o.progress = false;
  sc::histogram_observer h(-1, 1, 20);
  for (auto _ : state) {
    auto r = sc::run_ensemble(sc::euler_maruyama<>(), sys, sc::initial_point{sc::vector(sc::vector::Zero(p))}, h, o);
    benchmark::DoNotOptimize(r.observer.count(0, 0));
  }
  state.SetItemsProcessed(state.iterations() * o.particles * 50);
}
BENCHMARK(low_rank_per_sample)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
}  // namespace
