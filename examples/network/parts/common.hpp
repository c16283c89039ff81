// examples/network/parts/common.hpp — what the parts of network_experiment share: the settings that
// decide the numbers, the unit/part structure, and experiment_base (the data, the losses of the
// default split, θ₀, the protocol options, the timing adapter and stage-1 training).
//
// A part is a list of units (one (T, seed), one (seed, λ, B), ...), each computing the rows of
// the part's tables for that unit; the unit's key is the first key_columns fields of its rows.
// The driver (network_experiment.cpp) skips units whose key is in the part's last table, so a
// rerun continues an interrupted one (experiment_resume.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <shiftcurv/studies/flat_direction_variance.hpp>
#include <shiftcurv/studies/loss_terms.hpp>

#include "network/digits.hpp"
#include "network/experiment_protocol.hpp"
#include "network/experiment_resume.hpp"
#include "network/mlp.hpp"

namespace shiftcurv_examples::cli {

/// Everything that decides the numbers of a run (the config line of every CSV).
struct experiment_settings {
  std::vector<shiftcurv::index> widths;  ///< {64, hidden..., 10}
  double alpha = 1e-3;
  shiftcurv::index train_size = 1000;    ///< first rows of the 1000 training digits
  std::vector<std::uint64_t> seeds;
  std::string backend = "cpu";
  std::string data;
  // part 1
  std::vector<double> temperatures;
  shiftcurv::index batch = 32;
  double epochs = 30;
  shiftcurv::minimize_lbfgs_options descent = shiftcurv::line_protocol_options{}.descent;  ///< the L-BFGS descents
  int line_points = 49;
  // stage-1 training (part 2's first stage and the shift experiments)
  shiftcurv::index stage1_batch = 100;
  double stage1_lr = 0.5;
  double stage1_epochs = 60;
  // part 2
  std::vector<std::pair<double, shiftcurv::index>> pairs;  ///< (λ, B)
  double fig5_epochs = 50;
  long final_steps = 50;
  // part 3
  long reshuffles = 2;
  std::vector<shiftcurv::index> sizes;
  // part 4 (Appendix D.1): eq-13 SGD on the first d1_train_size digits (p > N)
  shiftcurv::index d1_train_size = 200;
  double d1_alpha = 0.1, d1_beta = 0.1, d1_lr = 0.05, d1_relaxations = 40;
  shiftcurv::index d1_batch = 16;
  // part 5 (eq 4's terms at network scale)
  double terms_temperature = 0.01;
  shiftcurv::index terms_samples = 200, terms_thinning = 10, terms_burn_in = 1000, terms_k = 20;

  std::string config() const {
    auto list = [](const auto& v) {
      std::string s;
      for (std::size_t k = 0; k < v.size(); ++k) {
        if (k) s += ',';
        if constexpr (std::is_floating_point_v<std::decay_t<decltype(v[k])>>) s += shiftcurv::csv_number(v[k]);
        else s += std::to_string(v[k]);
      }
      return s;
    };
    std::string pr;
    for (std::size_t k = 0; k < pairs.size(); ++k)
      pr += (k ? "," : "") + shiftcurv::csv_number(pairs[k].first) + ":" + std::to_string(pairs[k].second);
    const auto n = [](double x) { return shiftcurv::csv_number(x); };
    return "widths=" + list(widths) + ";alpha=" + n(alpha) + ";train_size=" + std::to_string(train_size) +
           ";seeds=" + list(seeds) + ";backend=" + backend + ";data=" + data + ";temperatures=" + list(temperatures) +
           ";batch=" + std::to_string(batch) + ";epochs=" + n(epochs) + ";gtol=" + n(descent.gradient_tolerance) +
           ";max_iterations=" + std::to_string(descent.max_iterations) + ";line_points=" + std::to_string(line_points) +
           ";stage1=" + std::to_string(stage1_batch) + ":" + n(stage1_lr) + ":" + n(stage1_epochs) + ";pairs=" + pr +
           ";fig5_epochs=" + n(fig5_epochs) + ";final_steps=" + std::to_string(final_steps) +
           ";reshuffles=" + std::to_string(reshuffles) + ";sizes=" + list(sizes) +
           ";d1=" + std::to_string(d1_train_size) + ":" + n(d1_alpha) + ":" + n(d1_beta) + ":" + n(d1_lr) + ":" +
           std::to_string(d1_batch) + ":" + n(d1_relaxations) + ";terms=" + n(terms_temperature) + ":" +
           std::to_string(terms_samples) + ":" + std::to_string(terms_thinning) + ":" + std::to_string(terms_burn_in) +
           ":" + std::to_string(terms_k);
  }
};

using rows_t = std::vector<std::vector<double>>;

struct unit {
  std::vector<double> key;  ///< the first key_columns fields of the unit's rows
  std::size_t done_table = 0;  ///< the table whose row (with this key) marks the unit as done
  std::string label;        ///< for the progress line
  std::function<std::vector<rows_t>()> compute;  ///< rows per table of the part
};

struct part {
  int number = 0;
  std::string name;
  std::vector<table_spec> tables;  ///< a unit writes its done_table row after its other rows
  std::vector<unit> units;
};

// ---- the experiment's data and the helpers its parts share -------------------------------------
template <class Loss>
struct experiment_base {
  using data_t = shiftcurv_examples::network::labeled_data;
  using make_loss = std::function<std::unique_ptr<Loss>(const data_t&)>;
  using vector = shiftcurv::vector;
  using index = shiftcurv::index;
  using timed = shiftcurv_examples::network::timed_loss<Loss>;
  struct split_losses {
    std::unique_ptr<Loss> train, test;
  };

  experiment_base(const experiment_settings& settings, const shiftcurv_examples::network::digits_split& data, make_loss m,
                  shiftcurv_examples::network::call_timing* t)
      : s(settings), shape{settings.widths}, make(std::move(m)), timing(t) {
    std::vector<index> rows(static_cast<std::size_t>(s.train_size));
    std::iota(rows.begin(), rows.end(), index{0});
    train_data = data.train.subset(rows);
    test_data = data.test;
    // the merged pool of the shift experiments: all training digits, then the test digits
    merged.features.resize(data.train.features.rows(), data.train.size() + data.test.size());
    merged.features << data.train.features, data.test.features;
    merged.labels = data.train.labels;
    merged.labels.insert(merged.labels.end(), data.test.labels.begin(), data.test.labels.end());
  }

  split_losses losses(const data_t& tr, const data_t& te) const { return {make(tr), make(te)}; }
  const split_losses& default_split() {
    if (!default_) default_ = std::make_unique<split_losses>(losses(train_data, test_data));
    return *default_;
  }
  vector init(std::uint64_t seed) const { return shiftcurv_examples::network::initial_parameters(shape, seed); }
  double l2(const vector& th) const { return 0.5 * s.alpha * th.squaredNorm(); }
  timed timed_of(const Loss& loss) const { return timed{&loss, timing}; }
  shiftcurv::line_protocol_options protocol(double T) const {
    shiftcurv::line_protocol_options o;
    o.temperature = T;
    o.batch_size = s.batch;
    o.epochs = s.epochs;
    o.descent = s.descent;
    o.line_points = s.line_points;
    return o;
  }

  // ---- stage 1: large batch, decreasing learning rate (λ0, λ0/10 at 50%, λ0/100 at 75%) ----
  vector stage1(const Loss& train, std::uint64_t seed) const {
    vector th = init(seed);
    const timed tr = timed_of(train);
    const double E = s.stage1_epochs;
    const double fractions[3] = {0.5, 0.25, 0.25}, rates[3] = {1.0, 0.1, 0.01};
    for (int k = 0; k < 3; ++k) {
      shiftcurv_examples::network::run_sgd("network_experiment (stage 1)", tr, th, s.stage1_lr * rates[k], s.stage1_batch,
                                           E * fractions[k], seed, 1 + static_cast<std::uint64_t>(k), [](long, const vector&) {});
      if (!th.allFinite()) throw std::runtime_error("stage 1 diverged: lower --stage1-lr");
    }
    return th;
  }
  const vector& stage1_default(std::uint64_t seed) {
    auto it = stage1_cache.find(seed);
    if (it == stage1_cache.end()) it = stage1_cache.emplace(seed, stage1(*default_split().train, seed)).first;
    return it->second;
  }

  experiment_settings s;
  shiftcurv_examples::network::mlp_shape shape;
  make_loss make;
  shiftcurv_examples::network::call_timing* timing;
  data_t train_data, test_data, merged;
  std::unique_ptr<split_losses> default_;
  std::map<std::uint64_t, vector> stage1_cache;
};

}  // namespace shiftcurv_examples::cli
