// examples/network/parts/d1.hpp — part 4 of network_experiment, Appendix D.1: the variance outside
// the span of the per-sample gradients (CPU backend: needs per-sample members): d1.csv.
#pragma once

#include "network/parts/common.hpp"

namespace shiftcurv_examples::cli {

inline table_spec d1_spec() {
  return {"d1",
          {"seed", "n_train", "parameters", "rank", "T", "alpha", "beta", "learning_rate", "batch", "steps", "variance",
           "standard_error", "prediction", "prediction_discrete", "direction_variance", "direction_standard_error",
           "span_variance", "batch_autocorrelation", "min_grad_norm", "status", "seconds"},
          1};
}

// ---- part 4: Appendix D.1 — variance outside the span of the per-sample gradients ----
template <class Loss>
part d1_part(experiment_base<Loss>& e) {
  using index = shiftcurv::index;
  using data_t = typename experiment_base<Loss>::data_t;
  part p{4, "d1", {d1_spec()}, {}};
  for (std::uint64_t seed : e.s.seeds) {
    unit u;
    u.key = {static_cast<double>(seed)};
    u.label = "seed=" + std::to_string(seed);
    u.compute = [&e, seed] {
      const auto t0 = std::chrono::steady_clock::now();
      std::vector<index> rows(static_cast<std::size_t>(e.s.d1_train_size));
      std::iota(rows.begin(), rows.end(), index{0});
      const data_t d = e.train_data.subset(rows);
      // θ*: the minimum of U_tr + (α/2)|θ|² (L-BFGS); the SGD loss itself has no ℓ2 term
      // (eq 13 puts α in the SGD step).
      const shiftcurv_examples::network::mlp_loss<double> reg(e.shape, d, e.s.d1_alpha), plain(e.shape, d, 0.0);
      const shiftcurv_examples::network::timed_loss<shiftcurv_examples::network::mlp_loss<double>> treg{&reg, e.timing};
      const auto star = shiftcurv::minimize_lbfgs(treg, e.init(seed), e.s.descent);
      shiftcurv::sgd_options o;
      o.learning_rate = e.s.d1_lr;
      o.batch_size = e.s.d1_batch;
      o.alpha = e.s.d1_alpha;
      o.beta = e.s.d1_beta;
      shiftcurv::flat_direction_variance_options fo;
      fo.sample_relaxations = e.s.d1_relaxations;
      fo.burn_in_relaxations = 5;
      fo.seed = seed;
      const auto r = shiftcurv::flat_direction_variance(plain, star.theta, o, fo);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      return std::vector<rows_t>{{{static_cast<double>(seed), static_cast<double>(d.size()),
                                   static_cast<double>(r.parameters), static_cast<double>(r.rank), r.temperature,
                                   e.s.d1_alpha, e.s.d1_beta, e.s.d1_lr, static_cast<double>(e.s.d1_batch),
                                   static_cast<double>(r.steps), r.variance, r.standard_error, r.prediction,
                                   r.prediction_discrete, r.direction_variance, r.direction_standard_error,
                                   r.span_variance, r.batch_autocorrelation, star.gradient_norm,
                                   static_cast<double>(static_cast<int>(r.status)), secs}}};
    };
    p.units.push_back(std::move(u));
  }
  return p;
}

}  // namespace shiftcurv_examples::cli
