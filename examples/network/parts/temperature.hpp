// examples/network/parts/temperature.hpp — part 1 of network_experiment, the temperature sweep
// (Figures 1–3): fig1_line.csv, fig2_temperature.csv.
#pragma once

#include "network/parts/common.hpp"

namespace shiftcurv_examples::cli {

inline table_spec fig1_spec() {
  return {"fig1_line", {"T", "seed", "r", "r_over_shift", "train_loss", "test_loss", "train_accuracy", "test_accuracy"}, 2};
}
inline table_spec fig2_spec() {
  return {"fig2_temperature",
          {"T", "seed", "learning_rate", "batch", "sgd_steps", "sgd_train_loss", "sgd_test_loss", "train_min_loss",
           "test_min_loss", "test_at_train_min", "eq3_prediction", "shift_norm", "shift_curvature_hvp",
           "shift_curvature_fit", "curvature_hvp", "train_curvature_fit", "test_curvature_fit", "train_fit_minimum",
           "test_fit_minimum", "train_fit_residual", "test_fit_residual", "eq31_estimate", "order_J",
           "train_grad_norm", "test_grad_norm", "train_descent_iterations", "test_descent_iterations",
           "descents_converged", "train_accuracy_at_min", "test_accuracy_at_train_min", "l2_at_train_min",
           "seconds"},
          2};
}

// ---- part 1: the temperature sweep (Figures 1–3) ----
template <class Loss>
part temperature_part(experiment_base<Loss>& e) {
  part p{1, "temperature", {fig1_spec(), fig2_spec()}, {}};
  for (double T : e.s.temperatures)
    for (std::uint64_t seed : e.s.seeds) {
      unit u;
      u.key = {T, static_cast<double>(seed)};
      u.done_table = 1;  // fig2_temperature: one row per unit, written after its fig1_line rows
      u.label = "T=" + shiftcurv::csv_number(T) + " seed=" + std::to_string(seed);
      u.compute = [&e, T, seed] {
        const auto t0 = std::chrono::steady_clock::now();
        const auto& L = e.default_split();
        const auto r = shiftcurv::run_protocol(e.timed_of(*L.train), e.timed_of(*L.test), e.init(seed), e.protocol(T), seed);
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double sd = static_cast<double>(seed);
        rows_t line;
        for (std::size_t k = 0; k < r.r.size(); ++k)
          line.push_back({T, sd, r.r[k], r.r[k] / r.shift_norm, r.train_loss[k], r.test_loss[k], r.train_accuracy[k],
                          r.test_accuracy[k]});
        const bool conv = r.train_descent.ok() && r.test_descent.ok();
        rows_t summary{{T,
                        sd,
                        r.learning_rate,
                        static_cast<double>(e.s.batch),
                        static_cast<double>(r.sgd_steps),
                        r.sgd_train_loss,
                        r.sgd_test_loss,
                        r.train_at_train_min,
                        r.test_at_test_min,
                        r.test_at_train_min,
                        r.eq3_prediction,
                        r.shift_norm,
                        r.shift_curvature_hvp,
                        r.shift_curvature_fit,
                        r.line.directional_curvature,
                        r.line.train_curvature,
                        r.line.test_curvature,
                        r.line.train_fit_minimum,
                        r.line.test_fit_minimum,
                        r.line.train_residual,
                        r.line.test_residual,
                        r.line.higher_order_estimate,
                        static_cast<double>(r.line.order_J),
                        r.train_descent.gradient_norm,
                        r.test_descent.gradient_norm,
                        static_cast<double>(r.train_descent.iterations),
                        static_cast<double>(r.test_descent.iterations),
                        conv ? 1.0 : 0.0,
                        r.train_accuracy_at_min,
                        r.test_accuracy_at_train_min,
                        e.l2(r.theta_tr),
                        secs}};
        return std::vector<rows_t>{line, summary};
      };
      p.units.push_back(std::move(u));
    }
  return p;
}

}  // namespace shiftcurv_examples::cli
