// The per-sample losses and helpers that sgd.cpp and sgd_slow.cpp share.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "shiftcurv/core/types.hpp"
#include "shiftcurv/dynamics/observers.hpp"
#include "shiftcurv/testing/monte_carlo.hpp"

namespace sgd_cases {
namespace sc = shiftcurv;
namespace st = shiftcurv::testing;

// U(x_i, θ) = ½(θ − x_i)²: SGD is the AR(1) θ' = (1 − λ)θ + λ·x̄_batch.
struct mean_estimation {
  std::vector<double> x;
  sc::index num_samples() const { return static_cast<sc::index>(x.size()); }
  double value(const sc::vector& th, sc::index i) const { return 0.5 * std::pow(th(0) - x[static_cast<std::size_t>(i)], 2); }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const {
    g.resize(1);
    g(0) = th(0) - x[static_cast<std::size_t>(i)];
  }
};

/// Component i of observable s of a mean_observer as an estimate (mean, standard error, count).
inline st::mc_estimate_result observed(const sc::mean_observer& m, sc::index s, sc::index i) {
  return {m.mean(s, i), m.standard_error(s, i), m.count(s)};
}
}  // namespace sgd_cases
