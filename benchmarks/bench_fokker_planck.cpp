// Fokker–Planck solvers: time per implicit step, per steady-state solve and per setup, against
// the number of cells N (1-D: 10³ … 10⁷; 2-D: n × n up to 512²).  See benchmarks/README.md
// ("Fokker–Planck") for numbers and the SciPy peer (benchmarks/fokker_planck_scipy.py), which
// solves the same tridiagonal systems with scipy.linalg.solve_banded.
//
//   ./bench_fokker_planck --benchmark_filter=FP1D_step
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <memory>

#include "shiftcurv/fokker_planck/fokker_planck_1d.hpp"
#include "shiftcurv/fokker_planck/fokker_planck_2d.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"

namespace sc = shiftcurv;

namespace {

// The paper's Figure 4 (left) loss with D = 1e-3 on [−4, 4] at T = 0.05 (sharply peaked).
const sc::gaussian_wells_1d& fig4_left() {
  static const sc::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5});
  return U;
}

// One solver per N, built once (setup is measured separately below).
sc::fokker_planck_1d& solver_1d(sc::index N) {
  static std::map<sc::index, std::unique_ptr<sc::fokker_planck_1d>> cache;
  auto& p = cache[N];
  if (!p) {
    // U's value (the loss itself) and a plain callable D(θ)
    p = std::make_unique<sc::fokker_planck_1d>(fig4_left(), [](double) { return 1e-3; }, 0.05, -4.0, 4.0, N);
  }
  return *p;
}

void set_items(benchmark::State& state, sc::index cells, long steps_per_iteration = 1) {
  state.SetItemsProcessed(state.iterations() * cells * steps_per_iteration);
  state.counters["cells"] = static_cast<double>(cells);
}

// One implicit step (fixed dt, factorization cached after the first call).
void FP1D_step(benchmark::State& state, sc::fp_scheme scheme) {
  const sc::index N = state.range(0);
  auto& fp = solver_1d(N);
  fp.set_uniform();
  const sc::fp_evolve_options opt{.scheme = scheme, .dt = 1e-2, .estimate_error = false};
  fp.evolve(1e-2, opt);  // factorization and first touch of the work arrays outside the timing
  for (auto _ : state) {
    auto r = fp.evolve(1e-2, opt);
    benchmark::DoNotOptimize(r.time);
  }
  set_items(state, N);
}
BENCHMARK_CAPTURE(FP1D_step, backward_euler, sc::fp_scheme::backward_euler)
    ->RangeMultiplier(10)->Range(1000, 10'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(FP1D_step, tr_bdf2, sc::fp_scheme::tr_bdf2)
    ->RangeMultiplier(10)->Range(1000, 10'000'000)->Unit(benchmark::kMicrosecond);

// The direct steady-state solve (log-space zero-current recursion + normalization).
void FP1D_steady_state(benchmark::State& state) {
  const sc::index N = state.range(0);
  auto& fp = solver_1d(N);
  fp.steady_state();  // first touch outside the timing
  for (auto _ : state) {
    auto r = fp.steady_state();
    benchmark::DoNotOptimize(r.log_density.data());
  }
  set_items(state, N);
}
BENCHMARK(FP1D_steady_state)->RangeMultiplier(10)->Range(1000, 10'000'000)->Unit(benchmark::kMicrosecond);

// Construction: Gauss–Kronrod quadrature of U'/D on every cell + rates (library functors:
// gaussian_wells_1d through the derivative layer, constant_diffusion).
void FP1D_setup(benchmark::State& state) {
  const sc::index N = state.range(0);
  const sc::constant_diffusion D(1e-3, 1);
  long evals = 0;
  for (auto _ : state) {
    sc::fokker_planck_1d fp(fig4_left(), D, 0.05, -4.0, 4.0, N);
    evals = fp.setup_evaluations();
    benchmark::DoNotOptimize(fp.potential_increments().data());
  }
  set_items(state, N);
  state.counters["evals_per_cell"] = static_cast<double>(evals) / static_cast<double>(N);
}
BENCHMARK(FP1D_setup)->RangeMultiplier(10)->Range(1000, 1'000'000)->Unit(benchmark::kMillisecond);

// 2-D: B.1-like separable quadratic with a diagonal position-dependent D, n × n cells.
sc::fokker_planck_2d& solver_2d(sc::index n) {
  static std::map<sc::index, std::unique_ptr<sc::fokker_planck_2d>> cache;
  auto& p = cache[n];
  if (!p)
    p = std::make_unique<sc::fokker_planck_2d>(
        [](double x, double y) { return Eigen::Vector2d(x + 0.5 * y, 2 * y + 0.5 * x); },  // ∇(½x² + y² + ½xy)
        [](double x, double y) { return Eigen::Vector2d(1 / (1 + 0.35 * x * x), 0.5 + 0.1 * y * y); }, 0.5,
        std::array<double, 2>{-3, -3}, std::array<double, 2>{3, 3}, std::array<sc::index, 2>{n, n});
  return *p;
}

// One backward-Euler step with the cached sparse LU; `solver` picks the diffusion.
void FP2D_step(benchmark::State& state, sc::fokker_planck_2d& (*solver)(sc::index)) {
  const sc::index n = state.range(0);
  auto& fp = solver(n);
  fp.set_uniform();
  const sc::fp_evolve_options opt{.scheme = sc::fp_scheme::backward_euler, .dt = 1e-2, .estimate_error = false};
  fp.evolve(1e-2, opt);  // factorization outside the timing
  for (auto _ : state) {
    auto r = fp.evolve(1e-2, opt);
    benchmark::DoNotOptimize(r.time);
  }
  set_items(state, n * n);
}

// 2-D steady state with a current (∇U has a mixed term and D is anisotropic: V has curl), by
// inverse iteration with a sparse LU factorization (factorization included).
void FP2D_steady_state(benchmark::State& state, sc::fokker_planck_2d& (*solver)(sc::index)) {
  const sc::index n = state.range(0);
  for (auto _ : state) {
    state.PauseTiming();
    auto& fp = solver(n);
    state.ResumeTiming();
    auto r = fp.steady_state();
    benchmark::DoNotOptimize(r.residual);
  }
  set_items(state, n * n);
}

// 2-D with a constant NON-diagonal D (the 7-point stencil with exponentially fitted diagonal
// edges): the same ∇U, D = [[1, 0.4], [0.4, 0.5]], square cells (hx/hy = 1 is admissible).
sc::fokker_planck_2d& solver_2d_mixed(sc::index n) {
  static std::map<sc::index, std::unique_ptr<sc::fokker_planck_2d>> cache;
  auto& p = cache[n];
  if (!p) {
    Eigen::Matrix2d D;
    D << 1.0, 0.4, 0.4, 0.5;
    p = std::make_unique<sc::fokker_planck_2d>(
        [](double x, double y) { return Eigen::Vector2d(x + 0.5 * y, 2 * y + 0.5 * x); }, D, 0.5,
        std::array<double, 2>{-3, -3}, std::array<double, 2>{3, 3}, std::array<sc::index, 2>{n, n});
  }
  return *p;
}

BENCHMARK_CAPTURE(FP2D_step, diagonal, solver_2d)->RangeMultiplier(2)->Range(32, 512)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(FP2D_step, mixed, solver_2d_mixed)->RangeMultiplier(2)->Range(32, 512)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(FP2D_steady_state, diagonal, solver_2d)->RangeMultiplier(2)->Range(32, 512)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(FP2D_steady_state, mixed, solver_2d_mixed)->RangeMultiplier(2)->Range(32, 512)->Unit(benchmark::kMillisecond);

}  // namespace
