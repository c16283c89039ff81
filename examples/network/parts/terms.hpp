// examples/network/parts/terms.hpp — part 5 of network_experiment, eq 4's terms measured from SGD
// iterates and predicted (Lyapunov) (CPU backend): test_loss_terms.csv.
#pragma once

#include "network/parts/common.hpp"

namespace shiftcurv_examples::cli {

inline table_spec terms_spec() {
  return {"test_loss_terms",
          {"T", "seed", "mean_test_loss", "mean_test_loss_se", "effective_samples", "mean_train_loss", "depth",
           "shift_curvature", "projected_shift_curvature", "measured_bias_curvature", "measured_covariance_curvature",
           "measured_covariance_curvature_se", "measured_total_eq4", "predicted_bias_curvature",
           "predicted_covariance_curvature", "predicted_total_eq4", "total_eq7", "k", "records", "train_grad_norm",
           "test_grad_norm", "status", "seconds"},
          2};
}

// ---- part 5: eq 4's terms, measured from SGD iterates and predicted (Lyapunov) ----
template <class Loss>
part terms_part(experiment_base<Loss>& e) {
  using vector = shiftcurv::vector;
  part p{5, "test_loss_terms", {terms_spec()}, {}};
  const double T = e.s.terms_temperature;
  for (std::uint64_t seed : e.s.seeds) {
    unit u;
    u.key = {T, static_cast<double>(seed)};
    u.label = "T=" + shiftcurv::csv_number(T) + " seed=" + std::to_string(seed);
    u.compute = [&e, T, seed] {
      const auto t0 = std::chrono::steady_clock::now();
      const auto& L = e.default_split();
      // θ_SGD at T as in part 1, the two descents, then SGD at T from θ_tr
      vector th = e.init(seed);
      const shiftcurv_examples::network::timed_loss<Loss> tr{L.train.get(), e.timing};
      shiftcurv_examples::network::run_sgd("network_experiment (terms)", tr, th, T * static_cast<double>(e.s.batch), e.s.batch,
                                  e.s.epochs, seed, 0, [](long, const vector&) {});
      auto o = e.protocol(T);
      o.line_points = 3;
      const auto line = shiftcurv::line_protocol(e.timed_of(*L.train), e.timed_of(*L.test), th, o);
      shiftcurv::sgd_options so;
      so.learning_rate = T * static_cast<double>(e.s.batch);
      so.batch_size = e.s.batch;
      shiftcurv::test_loss_terms_options to;
      to.samples = e.s.terms_samples;
      to.thinning = e.s.terms_thinning;
      to.burn_in = e.s.terms_burn_in;
      to.k = e.s.terms_k;
      to.seed = seed;
      const auto r = shiftcurv::test_loss_terms(*L.train, *L.test, line.theta_tr, line.theta_test, so, to);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      return std::vector<rows_t>{{{T, static_cast<double>(seed), r.mean_test_loss, r.mean_test_loss_standard_error,
                                   r.effective_samples, r.mean_train_loss, r.measured.depth, r.measured.shift_curvature,
                                   r.projected_shift_curvature, r.measured.bias_curvature,
                                   r.measured.covariance_curvature, r.measured_covariance_curvature.standard_error,
                                   r.measured.total_eq4, r.predicted.bias_curvature, r.predicted.covariance_curvature,
                                   r.predicted.total_eq4, r.measured.total_eq7, static_cast<double>(r.k),
                                   static_cast<double>(r.records), line.train_descent.gradient_norm,
                                   line.test_descent.gradient_norm, static_cast<double>(static_cast<int>(r.status)),
                                   secs}}};
    };
    p.units.push_back(std::move(u));
  }
  return p;
}

}  // namespace shiftcurv_examples::cli
