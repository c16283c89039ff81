// examples/network/parts/fig5.hpp — part 2 of network_experiment, Figure 5's temperature experiment
// (stage 1, then SGD at (λ, B)): fig5_temperature.csv.
#pragma once

#include "network/parts/common.hpp"

namespace shiftcurv_examples::cli {

inline table_spec fig5_spec() {
  return {"fig5_temperature",
          {"seed", "learning_rate", "batch", "T", "steps", "final_train_loss", "final_test_loss", "final_test_accuracy",
           "final_l2", "stage1_train_loss", "stage1_test_loss", "seconds"},
          3};
}

inline double median(std::vector<double> x) {
  if (x.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(x.begin(), x.end());
  const std::size_t n = x.size();
  return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

// ---- part 2: Figure 5's temperature experiment ----
template <class Loss>
part fig5_part(experiment_base<Loss>& e) {
  using vector = shiftcurv::vector;
  using timed = typename experiment_base<Loss>::timed;
  part p{2, "fig5", {fig5_spec()}, {}};
  for (std::uint64_t seed : e.s.seeds)
    for (std::size_t q = 0; q < e.s.pairs.size(); ++q) {
      const auto [lr, B] = e.s.pairs[q];
      unit u;
      u.key = {static_cast<double>(seed), lr, static_cast<double>(B)};
      u.label = "seed=" + std::to_string(seed) + " lambda=" + shiftcurv::csv_number(lr) + " B=" + std::to_string(B);
      u.compute = [&e, seed, q, lr = lr, B = B] {
        const auto t0 = std::chrono::steady_clock::now();
        const auto& L = e.default_split();
        const vector& th1 = e.stage1_default(seed);
        vector th = th1;
        const timed tr = e.timed_of(*L.train), te = e.timed_of(*L.test);
        const long steps = static_cast<long>(std::ceil(e.s.fig5_epochs * static_cast<double>(e.train_data.size()) / static_cast<double>(B)));
        std::vector<double> ftr, fte;
        shiftcurv_examples::network::run_sgd("network_experiment (fig5)", tr, th, lr, B, e.s.fig5_epochs, seed,
                                    100 + static_cast<std::uint64_t>(q), [&](long n, const vector& x) {
                                      if (n > steps - e.s.final_steps) {
                                        ftr.push_back(tr.mean_value(x));
                                        fte.push_back(te.mean_value(x));
                                      }
                                    });
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return std::vector<rows_t>{{{static_cast<double>(seed), lr, static_cast<double>(B), lr / static_cast<double>(B),
                                     static_cast<double>(steps), median(ftr), median(fte),
                                     shiftcurv_examples::network::accuracy_or_nan(*L.test, th), e.l2(th), tr.mean_value(th1), te.mean_value(th1),
                                     secs}}};
      };
      p.units.push_back(std::move(u));
    }
  return p;
}

}  // namespace shiftcurv_examples::cli
