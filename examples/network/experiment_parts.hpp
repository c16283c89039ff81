// examples/network/experiment_parts.hpp — the parts of network_experiment (issue 11) as units of
// work with their CSV tables, for either backend (mlp_loss or mlp_cuda_loss).
//
// A part is a list of units (one (T, seed), one (seed, λ, B), ...), each computing the rows of
// the part's tables for that unit; the unit's key is the first key_columns fields of its rows.
// The driver (network_experiment.cpp) skips units whose key is in the part's last table, so a
// rerun continues an interrupted one (experiment_resume.hpp).
//
//   part 1  temperature   fig1_line.csv, fig2_temperature.csv   (Figures 1–3)
//   part 2  fig5          fig5_temperature.csv                  (Figure 5, two stages)
//   part 3  shift         shift_reshuffle.csv, shift_sample_size.csv
//   part 4  d1            d1.csv                 (Appendix D.1; CPU backend: needs per-sample members)
//   part 5  terms         test_loss_terms.csv    (eq 4's terms, measured and predicted; CPU backend)
// Columns: examples/network/README.md, "network_experiment".
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
  shiftcurv_examples::network::descent_options descent;
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

// ---- column sets -------------------------------------------------------------------------------
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
inline table_spec fig5_spec() {
  return {"fig5_temperature",
          {"seed", "learning_rate", "batch", "T", "steps", "final_train_loss", "final_test_loss", "final_test_accuracy",
           "final_l2", "stage1_train_loss", "stage1_test_loss", "seconds"},
          3};
}
inline std::vector<std::string> shift_columns(const std::string& first) {
  return {first, "seed", "n_train", "n_test", "train_loss", "test_loss", "test_accuracy", "l2_term",
          "train_min_loss", "test_min_loss", "test_at_train_min", "shift_norm", "shift_curvature_hvp",
          "descents_converged", "seconds"};
}
inline table_spec reshuffle_spec() { return {"shift_reshuffle", shift_columns("split"), 2}; }
inline table_spec sample_size_spec() { return {"shift_sample_size", shift_columns("size"), 2}; }
inline table_spec d1_spec() {
  return {"d1",
          {"seed", "n_train", "parameters", "rank", "T", "alpha", "beta", "learning_rate", "batch", "steps", "variance",
           "standard_error", "prediction", "prediction_discrete", "direction_variance", "direction_standard_error",
           "span_variance", "batch_autocorrelation", "min_grad_norm", "status", "seconds"},
          1};
}
inline table_spec terms_spec() {
  return {"test_loss_terms",
          {"T", "seed", "mean_test_loss", "mean_test_loss_se", "effective_samples", "mean_train_loss", "depth",
           "shift_curvature", "projected_shift_curvature", "measured_bias_curvature", "measured_covariance_curvature",
           "measured_covariance_curvature_se", "measured_total_eq4", "predicted_bias_curvature",
           "predicted_covariance_curvature", "predicted_total_eq4", "total_eq7", "k", "records", "train_grad_norm",
           "test_grad_norm", "status", "seconds"},
          2};
}
// ---- the experiment on one backend --------------------------------------------------------------
template <class Loss>
class experiment {
 public:
  using data_t = shiftcurv_examples::network::labeled_data;
  using make_loss = std::function<std::unique_ptr<Loss>(const data_t&)>;
  using vector = shiftcurv::vector;
  using index = shiftcurv::index;

  experiment(const experiment_settings& s, const shiftcurv_examples::network::digits_split& data, make_loss make,
             shiftcurv_examples::network::call_timing* timing)
      : s_(s), shape_{s.widths}, make_(std::move(make)), timing_(timing) {
    std::vector<index> rows(static_cast<std::size_t>(s_.train_size));
    std::iota(rows.begin(), rows.end(), index{0});
    train_ = data.train.subset(rows);
    test_ = data.test;
    // the merged pool of the shift experiments: all training digits, then the test digits
    merged_.features.resize(data.train.features.rows(), data.train.size() + data.test.size());
    merged_.features << data.train.features, data.test.features;
    merged_.labels = data.train.labels;
    merged_.labels.insert(merged_.labels.end(), data.test.labels.begin(), data.test.labels.end());
  }

  std::vector<part> parts() {
    std::vector<part> p{temperature_part(), fig5_part(), shift_part()};
    if constexpr (shiftcurv::per_sample_loss<Loss>) {  // the CPU backend (the CUDA one has no per-sample members)
      p.push_back(d1_part());
      p.push_back(terms_part());
    }
    return p;
  }

 private:
  struct split_losses {
    std::unique_ptr<Loss> train, test;
  };
  split_losses losses(const data_t& tr, const data_t& te) const { return {make_(tr), make_(te)}; }
  const split_losses& default_split() {
    if (!default_) default_ = std::make_unique<split_losses>(losses(train_, test_));
    return *default_;
  }
  vector init(std::uint64_t seed) const { return shiftcurv_examples::network::initial_parameters(shape_, seed); }
  double l2(const vector& th) const { return 0.5 * s_.alpha * th.squaredNorm(); }
  shiftcurv_examples::network::protocol_options protocol(double T) const {
    shiftcurv_examples::network::protocol_options o;
    o.temperature = T;
    o.batch_size = s_.batch;
    o.epochs = s_.epochs;
    o.descent = s_.descent;
    o.line_points = s_.line_points;
    return o;
  }

  // ---- part 1: the temperature sweep (Figures 1–3) ----
  part temperature_part() {
    part p{1, "temperature", {fig1_spec(), fig2_spec()}, {}};
    for (double T : s_.temperatures)
      for (std::uint64_t seed : s_.seeds) {
        unit u;
        u.key = {T, static_cast<double>(seed)};
        u.done_table = 1;  // fig2_temperature: one row per unit, written after its fig1_line rows
        u.label = "T=" + shiftcurv::csv_number(T) + " seed=" + std::to_string(seed);
        u.compute = [this, T, seed] {
          const auto t0 = std::chrono::steady_clock::now();
          const auto& L = default_split();
          const auto r = shiftcurv_examples::network::run_protocol(*L.train, *L.test, init(seed), protocol(T), seed, timing_);
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
                          static_cast<double>(s_.batch),
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
                          l2(r.theta_tr),
                          secs}};
          return std::vector<rows_t>{line, summary};
        };
        p.units.push_back(std::move(u));
      }
    return p;
  }

  // ---- stage 1: large batch, decreasing learning rate (λ0, λ0/10 at 50%, λ0/100 at 75%) ----
  vector stage1(const Loss& train, std::uint64_t seed) const {
    vector th = init(seed);
    const shiftcurv_examples::network::timed_loss<Loss> tr{&train, timing_};
    const double E = s_.stage1_epochs;
    const double fractions[3] = {0.5, 0.25, 0.25}, rates[3] = {1.0, 0.1, 0.01};
    for (int k = 0; k < 3; ++k) {
      shiftcurv_examples::network::run_sgd("network_experiment (stage 1)", tr, th, s_.stage1_lr * rates[k], s_.stage1_batch,
                                  E * fractions[k], seed, 1 + static_cast<std::uint64_t>(k), [](long, const vector&) {});
      if (!th.allFinite()) throw std::runtime_error("stage 1 diverged: lower --stage1-lr");
    }
    return th;
  }
  const vector& stage1_default(std::uint64_t seed) {
    auto it = stage1_cache_.find(seed);
    if (it == stage1_cache_.end()) it = stage1_cache_.emplace(seed, stage1(*default_split().train, seed)).first;
    return it->second;
  }

  // ---- part 2: Figure 5's temperature experiment ----
  part fig5_part() {
    part p{2, "fig5", {fig5_spec()}, {}};
    for (std::uint64_t seed : s_.seeds)
      for (std::size_t q = 0; q < s_.pairs.size(); ++q) {
        const auto [lr, B] = s_.pairs[q];
        unit u;
        u.key = {static_cast<double>(seed), lr, static_cast<double>(B)};
        u.label = "seed=" + std::to_string(seed) + " lambda=" + shiftcurv::csv_number(lr) + " B=" + std::to_string(B);
        u.compute = [this, seed, q, lr = lr, B = B] {
          const auto t0 = std::chrono::steady_clock::now();
          const auto& L = default_split();
          const vector& th1 = stage1_default(seed);
          vector th = th1;
          const shiftcurv_examples::network::timed_loss<Loss> tr{L.train.get(), timing_}, te{L.test.get(), timing_};
          const long steps = static_cast<long>(std::ceil(s_.fig5_epochs * static_cast<double>(train_.size()) / static_cast<double>(B)));
          std::vector<double> ftr, fte;
          shiftcurv_examples::network::run_sgd("network_experiment (fig5)", tr, th, lr, B, s_.fig5_epochs, seed,
                                      100 + static_cast<std::uint64_t>(q), [&](long n, const vector& x) {
                                        if (n > steps - s_.final_steps) {
                                          ftr.push_back(tr(x));
                                          fte.push_back(te(x));
                                        }
                                      });
          const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          return std::vector<rows_t>{{{static_cast<double>(seed), lr, static_cast<double>(B), lr / static_cast<double>(B),
                                       static_cast<double>(steps), median(ftr), median(fte),
                                       shiftcurv_examples::network::detail::accuracy_or_nan(*L.test, th), l2(th), tr(th1), te(th1),
                                       secs}}};
        };
        p.units.push_back(std::move(u));
      }
    return p;
  }

  static double median(std::vector<double> x) {
    if (x.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::sort(x.begin(), x.end());
    const std::size_t n = x.size();
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
  }

  // ---- part 3: the shift experiments ----
  std::vector<double> shift_row(double first, std::uint64_t seed, const data_t& tr_data, const data_t& te_data) const {
    const auto t0 = std::chrono::steady_clock::now();
    const split_losses L = losses(tr_data, te_data);
    const vector th = stage1(*L.train, seed);
    auto o = protocol(s_.temperatures.empty() ? 1.0 : s_.temperatures.front());
    o.line_points = 3;
    const auto r = shiftcurv_examples::network::line_protocol(*L.train, *L.test, th, o, timing_);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return {first,
            static_cast<double>(seed),
            static_cast<double>(tr_data.size()),
            static_cast<double>(te_data.size()),
            r.sgd_train_loss,
            r.sgd_test_loss,
            shiftcurv_examples::network::detail::accuracy_or_nan(*L.test, th),
            l2(th),
            r.train_at_train_min,
            r.test_at_test_min,
            r.test_at_train_min,
            r.shift_norm,
            r.shift_curvature_hvp,
            r.train_descent.ok() && r.test_descent.ok() ? 1.0 : 0.0,
            secs};
  }
  /// Merged digits permuted by std::mt19937_64(key): the first n_train rows train, the next n_test test.
  std::pair<data_t, data_t> random_split(std::uint64_t key, index n_train, index n_test) const {
    std::vector<index> perm(static_cast<std::size_t>(merged_.size()));
    std::iota(perm.begin(), perm.end(), index{0});
    std::mt19937_64 gen(key);
    for (std::size_t i = perm.size() - 1; i > 0; --i) {  // Fisher–Yates on 53-bit uniforms
      const double u = static_cast<double>(gen() >> 11) * 0x1.0p-53;
      std::swap(perm[i], perm[static_cast<std::size_t>(u * static_cast<double>(i + 1))]);
    }
    const std::vector<index> a(perm.begin(), perm.begin() + n_train), b(perm.begin() + n_train, perm.begin() + n_train + n_test);
    return {merged_.subset(a), merged_.subset(b)};
  }

  part shift_part() {
    part p{3, "shift", {reshuffle_spec(), sample_size_spec()}, {}};
    for (long k = 0; k <= s_.reshuffles; ++k)
      for (std::uint64_t seed : s_.seeds) {
        unit u;
        u.key = {static_cast<double>(k), static_cast<double>(seed)};
        u.label = (k == 0 ? std::string("default split") : "reshuffle " + std::to_string(k)) + " seed=" + std::to_string(seed);
        u.compute = [this, k, seed] {
          if (k == 0) return std::vector<rows_t>{{shift_row(0, seed, train_, test_)}, {}};
          const auto [a, b] = random_split(0x5EED0000ULL + static_cast<std::uint64_t>(k), train_.size(), test_.size());
          return std::vector<rows_t>{{shift_row(static_cast<double>(k), seed, a, b)}, {}};
        };
        p.units.push_back(std::move(u));
      }
    const double fraction = static_cast<double>(train_.size()) / static_cast<double>(train_.size() + test_.size());
    for (index n : s_.sizes)
      for (std::uint64_t seed : s_.seeds) {
        unit u;
        u.key = {static_cast<double>(n), static_cast<double>(seed)};
        u.done_table = 1;
        u.label = "size=" + std::to_string(n) + " seed=" + std::to_string(seed);
        u.compute = [this, n, seed, fraction] {
          const index ntr = static_cast<index>(std::lround(fraction * static_cast<double>(n)));
          const auto [a, b] = random_split(0x512E0000ULL + static_cast<std::uint64_t>(n) * 1000003ULL + seed, ntr, n - ntr);
          return std::vector<rows_t>{{}, {shift_row(static_cast<double>(n), seed, a, b)}};
        };
        p.units.push_back(std::move(u));
      }
    return p;
  }

  // ---- part 4: Appendix D.1 — variance outside the span of the per-sample gradients ----
  part d1_part() {
    part p{4, "d1", {d1_spec()}, {}};
    for (std::uint64_t seed : s_.seeds) {
      unit u;
      u.key = {static_cast<double>(seed)};
      u.label = "seed=" + std::to_string(seed);
      u.compute = [this, seed] {
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<index> rows(static_cast<std::size_t>(s_.d1_train_size));
        std::iota(rows.begin(), rows.end(), index{0});
        const data_t d = train_.subset(rows);
        // θ*: the minimum of U_tr + (α/2)|θ|² (L-BFGS); the SGD loss itself has no ℓ2 term
        // (eq 13 puts α in the SGD step).
        const shiftcurv_examples::network::mlp_loss<double> reg(shape_, d, s_.d1_alpha), plain(shape_, d, 0.0);
        const shiftcurv_examples::network::timed_loss<shiftcurv_examples::network::mlp_loss<double>> treg{&reg, timing_};
        const auto star = shiftcurv_examples::network::descend("network_experiment (D.1 minimum)", treg, init(seed), s_.descent);
        shiftcurv::sgd_options o;
        o.learning_rate = s_.d1_lr;
        o.batch_size = s_.d1_batch;
        o.alpha = s_.d1_alpha;
        o.beta = s_.d1_beta;
        shiftcurv::flat_direction_variance_options fo;
        fo.sample_relaxations = s_.d1_relaxations;
        fo.burn_in_relaxations = 5;
        fo.seed = seed;
        const auto r = shiftcurv::flat_direction_variance(plain, star.theta, o, fo);
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return std::vector<rows_t>{{{static_cast<double>(seed), static_cast<double>(d.size()),
                                     static_cast<double>(r.parameters), static_cast<double>(r.rank), r.temperature,
                                     s_.d1_alpha, s_.d1_beta, s_.d1_lr, static_cast<double>(s_.d1_batch),
                                     static_cast<double>(r.steps), r.variance, r.standard_error, r.prediction,
                                     r.prediction_discrete, r.direction_variance, r.direction_standard_error,
                                     r.span_variance, r.batch_autocorrelation, star.gradient_norm,
                                     static_cast<double>(static_cast<int>(r.status)), secs}}};
      };
      p.units.push_back(std::move(u));
    }
    return p;
  }

  // ---- part 5: eq 4's terms, measured from SGD iterates and predicted (Lyapunov) ----
  part terms_part() {
    part p{5, "test_loss_terms", {terms_spec()}, {}};
    const double T = s_.terms_temperature;
    for (std::uint64_t seed : s_.seeds) {
      unit u;
      u.key = {T, static_cast<double>(seed)};
      u.label = "T=" + shiftcurv::csv_number(T) + " seed=" + std::to_string(seed);
      u.compute = [this, T, seed] {
        const auto t0 = std::chrono::steady_clock::now();
        const auto& L = default_split();
        // θ_SGD at T as in part 1, the two descents, then SGD at T from θ_tr
        vector th = init(seed);
        const shiftcurv_examples::network::timed_loss<Loss> tr{L.train.get(), timing_};
        shiftcurv_examples::network::run_sgd("network_experiment (terms)", tr, th, T * static_cast<double>(s_.batch), s_.batch,
                                    s_.epochs, seed, 0, [](long, const vector&) {});
        auto o = protocol(T);
        o.line_points = 3;
        const auto line = shiftcurv_examples::network::line_protocol(*L.train, *L.test, th, o, timing_);
        shiftcurv::sgd_options so;
        so.learning_rate = T * static_cast<double>(s_.batch);
        so.batch_size = s_.batch;
        shiftcurv::test_loss_terms_options to;
        to.samples = s_.terms_samples;
        to.thinning = s_.terms_thinning;
        to.burn_in = s_.terms_burn_in;
        to.k = s_.terms_k;
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

  experiment_settings s_;
  shiftcurv_examples::network::mlp_shape shape_;
  make_loss make_;
  shiftcurv_examples::network::call_timing* timing_;
  data_t train_, test_, merged_;
  std::unique_ptr<split_losses> default_;
  std::map<std::uint64_t, vector> stage1_cache_;
};

}  // namespace shiftcurv_examples::cli
