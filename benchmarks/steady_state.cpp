// Steady-state benchmarks (issue 3):
//  * V evaluations needed for a 1e-10 line integral on the B.1 closed-form cases (2-D);
//    counters: V_evals, and rel_error against the closed form;
//  * Gaussian-mixture basin weights against the dimension p (dense Hessian, two basins,
//    constant D) up to p = 2000;
//  * the exact 1-D steady state of the Figure 4 setting (construction + E[U_tr] + E[U_test])
//    across temperatures, constant and position-dependent D.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "shiftcurv/basins/gaussian_mixture.hpp"
#include "shiftcurv/basins/steady_state_1d.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/scalar_field.hpp"
#include "shiftcurv/potential/effective_potential.hpp"
#include "shiftcurv/synthetic/closed_forms.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"

namespace sc = shiftcurv;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {
MatrixXd spd2() {
  MatrixXd H(2, 2);
  H << 2.0, 0.6, 0.6, 1.0;
  return H;
}

template <class Case>
void line_integral(benchmark::State& state, const Case& c) {
  const double T = 0.1;
  const VectorXd a = (VectorXd(2) << -0.5, 0.9).finished(), b = (VectorXd(2) << 1.2, -0.7).finished();
  sc::line_integral_options opt;
  opt.tolerance = 1e-10;
  sc::line_integral_result r;
  for (auto _ : state) {
    r = sc::effective_potential(c.loss, c.noise, T, a, b, opt);
    benchmark::DoNotOptimize(r.value);
  }
  const double want = c.potential(T, b) - c.potential(T, a);
  state.counters["V_evals"] = static_cast<double>(r.evaluations);
  state.counters["rel_error"] = std::abs(r.value - want) / std::abs(want);
}
void BM_line_integral_B1_case1(benchmark::State& s) { line_integral(s, sc::b1_case1(spd2(), 0.4)); }
void BM_line_integral_B1_case2(benchmark::State& s) { line_integral(s, sc::b1_case2(spd2())); }
void BM_line_integral_B1_case3(benchmark::State& s) {
  line_integral(s, sc::b1_case3((VectorXd(2) << 1.5, 0.7).finished(), 0.8));
}
BENCHMARK(BM_line_integral_B1_case1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_line_integral_B1_case2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_line_integral_B1_case3)->Unit(benchmark::kMicrosecond);

// U = (θ0² − 1)²/4 + ½ yᵀAy, y = θ1.., A dense SPD: minima at θ0 = ±1, y = 0.
struct dense_double_well {
  MatrixXd A;
  double operator()(const VectorXd& x) const {
    const auto y = x.tail(x.size() - 1);
    return 0.25 * (x(0) * x(0) - 1) * (x(0) * x(0) - 1) + 0.5 * y.dot(A * y);
  }
  VectorXd gradient(const VectorXd& x) const {
    VectorXd g(x.size());
    g(0) = x(0) * (x(0) * x(0) - 1);
    g.tail(x.size() - 1) = A * x.tail(x.size() - 1);
    return g;
  }
  MatrixXd hessian(const VectorXd& x) const {
    MatrixXd H = MatrixXd::Zero(x.size(), x.size());
    H(0, 0) = 3 * x(0) * x(0) - 1;
    H.bottomRightCorner(x.size() - 1, x.size() - 1) = A;
    return H;
  }
};

void BM_mixture_weights(benchmark::State& state) {
  const auto p = static_cast<Eigen::Index>(state.range(0));
  std::srand(1);
  const MatrixXd B = MatrixXd::Random(p - 1, p - 1);
  const dense_double_well U{B * B.transpose() / static_cast<double>(p) + MatrixXd::Identity(p - 1, p - 1)};
  sc::constant_diffusion D(1e-2, p);
  VectorXd s1 = VectorXd::Zero(p), s2 = VectorXd::Zero(p);
  s1(0) = 0.95;
  s2(0) = -1.05;
  for (auto _ : state) {
    const auto gm = sc::gaussian_mixture(U, D, 0.1, {s1, s2});
    benchmark::DoNotOptimize(gm.components[0].weight);
    if (!gm.ok()) state.SkipWithError(gm.message.c_str());
  }
  state.SetComplexityN(p);
}
BENCHMARK(BM_mixture_weights)->Arg(10)->Arg(100)->Arg(500)->Arg(1000)->Arg(2000)
    ->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_steady_state_fig4(benchmark::State& state) {
  const double T = std::pow(10.0, -static_cast<double>(state.range(0)));
  sc::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5});
  const auto Ut = U.shifted(0.1);
  sc::constant_diffusion D(1e-3, 1);
  long evals = 0;
  for (auto _ : state) {
    const sc::steady_state_1d ss(U, D, T, -4, 4);
    const auto a = ss.expected_loss(U), b = ss.expected_loss(Ut);
    benchmark::DoNotOptimize(a.value + b.value);
    evals = ss.evaluations() + a.evaluations + b.evaluations;
  }
  state.counters["T"] = T;
  state.counters["evals"] = static_cast<double>(evals);
}
BENCHMARK(BM_steady_state_fig4)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);

void BM_steady_state_fig4_linear_D(benchmark::State& state) {
  const double T = std::pow(10.0, -static_cast<double>(state.range(0)));
  sc::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5});
  const auto Ut = U.shifted(0.1);
  auto d = [](const auto& x) { return 0.01 + 0.002 * x(0); };
  sc::scalar_field_diffusion D{d};
  for (auto _ : state) {
    const sc::steady_state_1d ss(U, D, T, -4, 4);
    const auto a = ss.expected_loss(U), b = ss.expected_loss(Ut);
    benchmark::DoNotOptimize(a.value + b.value);
  }
  state.counters["T"] = T;
}
BENCHMARK(BM_steady_state_fig4_linear_D)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);
}  // namespace
