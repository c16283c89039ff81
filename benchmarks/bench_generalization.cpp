// Costs of the generalization box: the eq-4 decomposition, the eq-12 projection (SVD of the
// N×p per-sample gradients), the Appendix-F line curvature (AD and finite-difference routes)
// and the Appendix-C reparametrization maps.
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "shiftcurv/generalization/decomposition.hpp"
#include "shiftcurv/generalization/line_curvature.hpp"
#include "shiftcurv/generalization/reparametrization.hpp"
#include "shiftcurv/generalization/shift.hpp"

namespace sc = shiftcurv;

namespace {

sc::matrix spd(sc::index p, double shift) {
  sc::matrix A(p, p);
  for (sc::index i = 0; i < p; ++i)
    for (sc::index j = 0; j < p; ++j) A(i, j) = std::sin(0.37 * static_cast<double>(i * p + j) + shift);
  return A * A.transpose() / static_cast<double>(p) + sc::matrix::Identity(p, p);
}

// U(θ) = −exp(−½|θ − c|²_A) with A diagonal: a p-dimensional Gaussian well.
struct well {
  sc::vector centre, a;
  template <class Derived>
  typename Derived::Scalar operator()(const Eigen::MatrixBase<Derived>& th) const {
    using S = typename Derived::Scalar;
    using std::exp;
    S q(0);
    for (sc::index i = 0; i < th.size(); ++i) q = q + S(a(i)) * (th(i) - S(centre(i))) * (th(i) - S(centre(i)));
    return -exp(S(-0.5) * q);
  }
};
struct well_values {
  well w;
  double operator()(const sc::vector& th) const { return w(th); }
};

void BM_decompose(benchmark::State& state) {
  const auto K = static_cast<std::size_t>(state.range(0));
  const sc::index p = state.range(1);
  std::vector<sc::basin_terms> basins;
  for (std::size_t k = 0; k < K; ++k)
    basins.push_back({1.0 / static_cast<double>(K), -1.0, spd(p, 0.1 * static_cast<double>(k)),
                      sc::vector::Constant(p, 0.01), sc::vector::Constant(p, 0.001), 1e-3 * spd(p, 1.0)});
  for (auto _ : state) benchmark::DoNotOptimize(sc::decompose_test_loss(basins));
}
BENCHMARK(BM_decompose)->Args({2, 2})->Args({10, 100});

void BM_projected_shift(benchmark::State& state) {
  const sc::index N = state.range(0), p = state.range(1);
  sc::matrix G(N, p);
  for (sc::index i = 0; i < N; ++i)
    for (sc::index j = 0; j < p; ++j) G(i, j) = std::sin(0.013 * static_cast<double>(i * j) + 0.1 * static_cast<double>(i));
  const sc::vector s = sc::vector::LinSpaced(p, -1, 1);
  for (auto _ : state) benchmark::DoNotOptimize(sc::projected_shift(s, G));
}
BENCHMARK(BM_projected_shift)->Args({10, 1000})->Args({100, 10000})->Unit(benchmark::kMillisecond);

void BM_line_curvature(benchmark::State& state) {
  const sc::index p = state.range(0);
  const bool exact = state.range(1) != 0;
  const well test{sc::vector::Zero(p), sc::vector::LinSpaced(p, 0.5, 2.0)};
  const well train{sc::vector::Constant(p, -0.05), sc::vector::LinSpaced(p, 0.6, 2.5)};
  const sc::vector a = sc::vector::Constant(p, -0.05), b = sc::vector::Zero(p);
  for (auto _ : state) {
    if (exact)
      benchmark::DoNotOptimize(sc::line_curvature(train, test, a, b));
    else
      benchmark::DoNotOptimize(sc::line_curvature(well_values{train}, well_values{test}, a, b));
  }
}
BENCHMARK(BM_line_curvature)->Args({2, 1})->Args({2, 0})->Args({100, 1})->Args({100, 0})->Unit(benchmark::kMicrosecond);

void BM_reparametrize(benchmark::State& state) {
  const sc::index p = state.range(0);
  const sc::basin_terms basin{1.0, -1.0, spd(p, 0.2), sc::vector::Constant(p, 0.01), sc::vector::Constant(p, 0.001),
                              1e-3 * spd(p, 0.5)};
  const sc::matrix J = spd(p, 0.9);
  for (auto _ : state) benchmark::DoNotOptimize(sc::reparametrize(basin, J));
}
BENCHMARK(BM_reparametrize)->Arg(2)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace
