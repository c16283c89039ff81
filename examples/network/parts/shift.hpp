// examples/network/parts/shift.hpp — part 3 of network_experiment, the shift experiments
// (reshuffled splits and sample sizes, after stage 1): shift_reshuffle.csv, shift_sample_size.csv.
#pragma once

#include "network/parts/common.hpp"

namespace shiftcurv_examples::cli {

inline std::vector<std::string> shift_columns(const std::string& first) {
  return {first, "seed", "n_train", "n_test", "train_loss", "test_loss", "test_accuracy", "l2_term",
          "train_min_loss", "test_min_loss", "test_at_train_min", "shift_norm", "shift_curvature_hvp",
          "descents_converged", "seconds"};
}
inline table_spec reshuffle_spec() { return {"shift_reshuffle", shift_columns("split"), 2}; }
inline table_spec sample_size_spec() { return {"shift_sample_size", shift_columns("size"), 2}; }

// ---- part 3: the shift experiments ----
template <class Loss>
std::vector<double> shift_row(const experiment_base<Loss>& e, double first, std::uint64_t seed,
                              const typename experiment_base<Loss>::data_t& tr_data,
                              const typename experiment_base<Loss>::data_t& te_data) {
  using vector = shiftcurv::vector;
  using split_losses = typename experiment_base<Loss>::split_losses;
  const auto t0 = std::chrono::steady_clock::now();
  const split_losses L = e.losses(tr_data, te_data);
  const vector th = e.stage1(*L.train, seed);
  auto o = e.protocol(e.s.temperatures.empty() ? 1.0 : e.s.temperatures.front());
  o.line_points = 3;
  const auto r = shiftcurv::line_protocol(e.timed_of(*L.train), e.timed_of(*L.test), th, o);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {first,
          static_cast<double>(seed),
          static_cast<double>(tr_data.size()),
          static_cast<double>(te_data.size()),
          r.sgd_train_loss,
          r.sgd_test_loss,
          shiftcurv_examples::network::accuracy_or_nan(*L.test, th),
          e.l2(th),
          r.train_at_train_min,
          r.test_at_test_min,
          r.test_at_train_min,
          r.shift_norm,
          r.shift_curvature_hvp,
          r.train_descent.ok() && r.test_descent.ok() ? 1.0 : 0.0,
          secs};
}
/// Merged digits permuted by std::mt19937_64(key): the first n_train rows train, the next n_test test.
template <class Loss>
std::pair<typename experiment_base<Loss>::data_t, typename experiment_base<Loss>::data_t> random_split(
    const experiment_base<Loss>& e, std::uint64_t key, shiftcurv::index n_train, shiftcurv::index n_test) {
  using index = shiftcurv::index;
  std::vector<index> perm(static_cast<std::size_t>(e.merged.size()));
  std::iota(perm.begin(), perm.end(), index{0});
  std::mt19937_64 gen(key);
  for (std::size_t i = perm.size() - 1; i > 0; --i) {  // Fisher–Yates on 53-bit uniforms
    const double u = static_cast<double>(gen() >> 11) * 0x1.0p-53;
    std::swap(perm[i], perm[static_cast<std::size_t>(u * static_cast<double>(i + 1))]);
  }
  const std::vector<index> a(perm.begin(), perm.begin() + n_train), b(perm.begin() + n_train, perm.begin() + n_train + n_test);
  return {e.merged.subset(a), e.merged.subset(b)};
}

template <class Loss>
part shift_part(experiment_base<Loss>& e) {
  using index = shiftcurv::index;
  part p{3, "shift", {reshuffle_spec(), sample_size_spec()}, {}};
  for (long k = 0; k <= e.s.reshuffles; ++k)
    for (std::uint64_t seed : e.s.seeds) {
      unit u;
      u.key = {static_cast<double>(k), static_cast<double>(seed)};
      u.label = (k == 0 ? std::string("default split") : "reshuffle " + std::to_string(k)) + " seed=" + std::to_string(seed);
      u.compute = [&e, k, seed] {
        if (k == 0) return std::vector<rows_t>{{shift_row(e, 0, seed, e.train_data, e.test_data)}, {}};
        const auto [a, b] = random_split(e, 0x5EED0000ULL + static_cast<std::uint64_t>(k), e.train_data.size(), e.test_data.size());
        return std::vector<rows_t>{{shift_row(e, static_cast<double>(k), seed, a, b)}, {}};
      };
      p.units.push_back(std::move(u));
    }
  const double fraction = static_cast<double>(e.train_data.size()) / static_cast<double>(e.train_data.size() + e.test_data.size());
  for (index n : e.s.sizes)
    for (std::uint64_t seed : e.s.seeds) {
      unit u;
      u.key = {static_cast<double>(n), static_cast<double>(seed)};
      u.done_table = 1;
      u.label = "size=" + std::to_string(n) + " seed=" + std::to_string(seed);
      u.compute = [&e, n, seed, fraction] {
        const index ntr = static_cast<index>(std::lround(fraction * static_cast<double>(n)));
        const auto [a, b] = random_split(e, 0x512E0000ULL + static_cast<std::uint64_t>(n) * 1000003ULL + seed, ntr, n - ntr);
        return std::vector<rows_t>{{}, {shift_row(e, static_cast<double>(n), seed, a, b)}};
      };
      p.units.push_back(std::move(u));
    }
  return p;
}

}  // namespace shiftcurv_examples::cli
