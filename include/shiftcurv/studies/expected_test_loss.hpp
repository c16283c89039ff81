// shiftcurv/studies/expected_test_loss.hpp — the driver of eq 3, 4 and 7: from a
// train loss, a test loss, a diffusion model and T to the named terms of the expected test loss.
//
//   auto pred = shiftcurv::predict_test_loss(train, test, noise, /*T=*/0.05, seeds);
//   if (!pred) std::cerr << pred.message << '\n';
//   pred.decomposition.overall.total_eq4;          // Σ_k w_k [U_k + ½TrΣC + ½(s+b)ᵀC(s+b)]
//   pred.decomposition.overall.shift_curvature;    // Σ_k w_k ½ s_kᵀ C_k s_k
//   for (const auto& b : pred.basins) use(b.theta_train, b.theta_test, b.shift, b.bias);
//
// Contract.  (1) θ_k^tr = find_minimum(U_tr, seed) for each seed, duplicates (closer than
// `merge_distance`·max(1,|θ|)) merged; (2) test minima found from every θ_k^tr and every seed,
// deduplicated likewise, each train minimum paired with its NEAREST test minimum (several train
// minima may share one); (3) the Gaussian mixture at T (basins/gaussian_mixture.hpp: w_k, µ_k,
// Σ_k, b_k = θ_k^tr − µ_k, per-component status); (4) C_k^test = ∇²U_test(θ_k^test), U_k^test,
// s_k = θ_k^test − θ_k^tr, and decompose_test_loss over the components that did not fail.
// The weights are the mixture's: a FLAGGED component (assumption_violated, e.g. overlapping
// basins at large T or a curl of V; tolerance_not_met) keeps its weight and enters the sums; a
// FAILED one has weight 0 and the others are renormalized by gaussian_mixture.  Each basin
// reports its status, message and width_ratio; the result's status is the worst of them (or of
// the minimizations) with the reasons in `message`.  If every component fails, the terms of
// `decomposition` are NaN and the status says why — never a silent 0.
//
// Error: the O(T) error of the Laplace weights (large when basins overlap: width_ratio ≳ 1) and
// the O(|s+b|³ + |s+b|·TrΣ) error of the quadratic expansion (generalization/decomposition.hpp);
// the numerical parts (minima to ‖∇U‖∞ ≤ 1e-10, line integrals to 1e-12) are far smaller.
// Throws invalid_argument (no seeds, NaN, sizes, a seed whose size differs from the losses' or
// noise's dimension()) and domain_error (T ≤ 0, D not positive definite at a minimum or where
// evaluated), naming predict_test_loss.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "shiftcurv/basins/gaussian_mixture.hpp"
#include "shiftcurv/basins/minima.hpp"
#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/generalization/decomposition.hpp"
#include "shiftcurv/io/csv_table.hpp"

namespace shiftcurv {

struct predict_test_loss_options {
  find_minimum_options minimize{};      ///< Newton options for the train and test minima (optimize/find_minimum.hpp)
  gaussian_mixture_options mixture{};   ///< options of gaussian_mixture (its refine_train_minima is ignored: θ_k^tr are minima)
  double merge_distance = 1e-6;  ///< minima closer than this (relative to max(1,|θ|)) are the same minimum
};

struct basin_prediction {
  vector theta_train;     ///< θ_k^tr
  vector theta_test;      ///< the nearest test minimum θ_k^test
  vector shift;           ///< s_k = θ_k^test − θ_k^tr
  vector bias;            ///< b_k = θ_k^tr − µ_k
  vector mu;              ///< µ_k
  matrix covariance;      ///< Σ_k
  matrix test_curvature;  ///< C_k^test
  double test_depth = 0;  ///< U_k^test
  double weight = 0;      ///< w_k (Laplace; 0 for a failed component)
  double width_ratio = 0; ///< the component's width / distance to its barrier (≪ 1: reliable weight)
  shiftcurv::status status = shiftcurv::status::success;  ///< the mixture component's status
  std::string message;    ///< why, when status is not success
};

struct predict_test_loss_result : result_base {
  std::vector<basin_prediction> basins;
  decompose_test_loss_result decomposition;  ///< over the components that did not fail
};

namespace detail::prediction_impl {

inline void add_distinct(std::vector<vector>& set, const vector& x, double tol) {
  for (const auto& y : set)
    if ((x - y).norm() <= tol * std::max(1.0, y.norm())) return;
  set.push_back(x);
}

/// Distinct minima of `loss` found from `seeds` (failures noted in `out` when `note_failures`).
template <class Loss>
std::vector<vector> distinct_minima(const Loss& loss, const std::vector<vector>& seeds, const predict_test_loss_options& options,
                                    result_base& out, const char* what, bool note_failures) {
  std::vector<vector> minima;
  for (const auto& s : seeds) {
    const auto m = find_minimum(loss, s, options.minimize);
    out.evaluations += m.evaluations;
    if (m) {
      add_distinct(minima, m.theta, options.merge_distance);
    } else if (note_failures) {
      record_status(out, m.status, std::string(what) + " from a seed: " + m.message);
    }
  }
  return minima;
}

inline void undefined_decomposition(predict_test_loss_result& out, std::size_t K) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const decomposition_terms t{nan, nan, nan, nan, nan, nan};
  out.decomposition.overall = t;
  out.decomposition.per_basin.assign(K, t);
}

template <class Train, class Test, class Noise>
predict_test_loss_result run(std::string_view fn, const Train& train, const Test& test, const Noise& noise, double T,
                                const std::vector<vector>& seeds, const predict_test_loss_options& options) {
  predict_test_loss_result out;
  const std::vector<vector> train_minima = distinct_minima(train, seeds, options, out, "train minimum", true);
  if (train_minima.empty()) {
    record_status(out, status::not_converged, "no train minimum found");
    undefined_decomposition(out, 0);
    return out;
  }
  std::vector<vector> test_seeds = train_minima;
  test_seeds.insert(test_seeds.end(), seeds.begin(), seeds.end());
  const std::vector<vector> test_minima = distinct_minima(test, test_seeds, options, out, "test minimum", false);
  if (test_minima.empty()) {
    record_status(out, status::not_converged, "no test minimum found");
    undefined_decomposition(out, 0);
    return out;
  }
  for (std::size_t k = 0; k < train_minima.size(); ++k)
    mixture_impl::check_diffusion_at(fn, noise, train_minima[k], k);

  gaussian_mixture_options mo = options.mixture;
  mo.refine_train_minima = false;  // already minima
  const gaussian_mixture_result gm = gaussian_mixture(train, noise, T, train_minima, mo);
  out.evaluations += gm.evaluations;
  if (!gm) record_status(out, gm.status, gm.message);

  std::vector<basin_terms> terms;
  std::vector<std::size_t> used;
  for (std::size_t k = 0; k < train_minima.size(); ++k) {
    const mixture_component& c = gm.components[k];
    basin_prediction b;
    b.theta_train = train_minima[k];
    std::size_t best = 0;
    for (std::size_t j = 1; j < test_minima.size(); ++j)
      if ((test_minima[j] - b.theta_train).norm() < (test_minima[best] - b.theta_train).norm()) best = j;
    b.theta_test = test_minima[best];
    b.shift = b.theta_test - b.theta_train;
    b.mu = c.mu;
    b.bias = c.bias;
    b.covariance = c.covariance;
    b.weight = c.weight;
    b.width_ratio = c.width_ratio;
    record_status(b, c.status, c.message);
    b.test_curvature = hessian_unchecked(test, b.theta_test);
    b.test_depth = value_unchecked(test, b.theta_test);
    out.basins.push_back(b);
    if (is_failure(c.status) || !(c.weight >= 0)) continue;  // weight 0 (the mixture renormalized the rest)
    terms.push_back({b.weight, b.test_depth, b.test_curvature, b.shift, b.bias, b.covariance});
    used.push_back(k);
  }
  if (terms.empty()) {
    record_status(out, status::numerical_issue, "every mixture component failed: eq 4 and eq 7 are undefined (NaN)");
    undefined_decomposition(out, train_minima.size());
    return out;
  }
  // decompose_test_loss over the usable components, per_basin re-indexed like `basins`
  // (NaN terms for a failed component).
  const decompose_test_loss_result d = decompose_test_loss(terms);
  undefined_decomposition(out, train_minima.size());
  out.decomposition.overall = d.overall;
  for (std::size_t i = 0; i < used.size(); ++i) out.decomposition.per_basin[used[i]] = d.per_basin[i];
  return out;
}

}  // namespace detail::prediction_impl

/// Eq 4 and 7 from a train loss, a test loss, a diffusion model and T (see the header comment).
template <class Train, class Test, class Noise>
  requires loss_function<Train> && loss_function<Test> && diffusion_model<Noise>
predict_test_loss_result predict_test_loss(const Train& train, const Test& test, const Noise& noise, double T,
                                              const std::vector<vector>& seeds, const predict_test_loss_options& options = {}) {
  constexpr std::string_view fn = "predict_test_loss";
  require_temperature(fn, T);
  if (seeds.empty()) detail::throw_invalid(fn, "need at least one seed");
  const index p = seeds.front().size();
  if (p < 1) detail::throw_invalid(fn, "seeds must not be empty vectors");
  for (const auto& s : seeds) {
    require_size(fn, "a seed", s.size(), p);
    require_finite(fn, "a seed", s);
  }
  require_dimension(fn, "a seed", train, p);
  require_dimension(fn, "a seed", test, p);
  require_dimension(fn, "a seed", noise, p);
  require_positive(fn, "merge_distance", options.merge_distance);
  return detail::as_called_by(fn, [&] { return detail::prediction_impl::run(fn, train, test, noise, T, seeds, options); });
}

/// The result as a CSV table (io/csv.hpp writes it): one row per basin and a last row "overall": basin, weight, depth,
/// shift_curvature, bias_curvature, covariance_curvature, total_eq4, total_eq7 (weight nan where
/// failed basins were left out of the decomposition, so rows no longer align with `basins`).
inline csv_table to_table(const predict_test_loss_result& r) {
  csv_table t({"basin", "weight", "depth", "shift_curvature", "bias_curvature", "covariance_curvature", "total_eq4",
               "total_eq7"});
  auto add = [&t](csv_cell name, double w, const auto& d) {
    t.add_row({std::move(name), w, d.depth, d.shift_curvature, d.bias_curvature, d.covariance_curvature, d.total_eq4,
               d.total_eq7});
  };
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const auto& per = r.decomposition.per_basin;
  // per_basin[k] belongs to basins[k] when none was left out; otherwise the weight is unknown here.
  const bool aligned = per.size() == r.basins.size();
  for (std::size_t k = 0; k < per.size(); ++k) add(static_cast<long>(k), aligned ? r.basins[k].weight : nan, per[k]);
  double wsum = 0;
  for (const auto& b : r.basins) wsum += b.weight;
  add("overall", wsum, r.decomposition.overall);
  return t;
}

}  // namespace shiftcurv
