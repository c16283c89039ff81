// L-BFGS on the digits MLP 64-1024-1024-10 (p = 1,125,386; examples/network/mlp.hpp, the 1000
// training digits, α = 1e-3): 20 iterations of the library's minimize_lbfgs (optimize/lbfgs.hpp)
// against LBFGSpp called directly with the same parameters (memory 10, strong-Wolfe line search
// of Nocedal & Wright) on the same loss, both through mlp_loss::value_and_gradient.  The
// difference is the library's overhead: input checks, the best-point copy, the finiteness test.
// Counters: evaluations (value+gradient passes) and iterations, equal in both rows.
//   OMP_NUM_THREADS=2 build/benchmarks/lbfgs_mlp --benchmark_enable_random_interleaving=true
#include <benchmark/benchmark.h>

#include <LBFGS.h>

#include "network/mlp.hpp"
#include "network/workspace.hpp"
#include "shiftcurv/optimize/lbfgs.hpp"

namespace {

namespace net = shiftcurv_examples::network;
constexpr int iterations = 20;

struct fixture {
  net::mlp_shape shape{{64, 1024, 1024, 10}};
  net::digits_split data = net::load_digits(net::default_digits_path());
  net::mlp_loss<double> loss{shape, data.train, 1e-3};
  shiftcurv::vector theta0 = net::initial_parameters(shape, 1);
};
const fixture& setup() {
  static const bool heap = (net::keep_freed_work_space(), true);
  static const fixture f;
  static const bool warm = [] {  // one pass before timing: OpenMP's threads, the heap
    shiftcurv::vector g;
    benchmark::DoNotOptimize(f.loss.value_and_gradient(f.theta0, g));
    return true;
  }();
  (void)heap, (void)warm;
  return f;
}

void library(benchmark::State& state) {
  const fixture& f = setup();
  shiftcurv::minimize_lbfgs_options o;
  o.gradient_tolerance = 1e-12;  // never met in 20 iterations: every run does all of them
  o.max_iterations = iterations;
  o.memory = 10;
  shiftcurv::minimize_lbfgs_result r;
  for (auto _ : state) {
    r = shiftcurv::minimize_lbfgs(f.loss, f.theta0, o);
    benchmark::DoNotOptimize(r.value);
  }
  state.counters["evaluations"] = static_cast<double>(r.evaluations);
  state.counters["iterations"] = static_cast<double>(r.iterations);
  state.counters["value"] = r.value;
}

void lbfgspp_direct(benchmark::State& state) {
  const fixture& f = setup();
  LBFGSpp::LBFGSParam<double> p;
  p.m = 10;
  p.epsilon = 1e-12;
  p.epsilon_rel = 0;
  p.max_iterations = iterations;
  p.linesearch = LBFGSpp::LBFGS_LINESEARCH_BACKTRACKING_STRONG_WOLFE;
  long evaluations = 0;
  int used = 0;
  double fx = 0;
  auto objective = [&](const shiftcurv::vector& x, shiftcurv::vector& g) {
    ++evaluations;
    return f.loss.value_and_gradient(x, g);
  };
  for (auto _ : state) {
    evaluations = 0;
    LBFGSpp::LBFGSSolver<double, LBFGSpp::LineSearchNocedalWright> solver(p);
    shiftcurv::vector x = f.theta0;
    used = solver.minimize(objective, x, fx);
    benchmark::DoNotOptimize(fx);
  }
  state.counters["evaluations"] = static_cast<double>(evaluations);
  state.counters["iterations"] = used;
  state.counters["value"] = fx;
}

}  // namespace

BENCHMARK(library)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(3);
BENCHMARK(lbfgspp_direct)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(3);
