// shiftcurv/generalization/test_loss_prediction.hpp — the driver of eq 3, 4 and 7: from a
// train loss, a test loss, a diffusion model and T to the named terms of the expected test loss.
//
//   auto pred = shiftcurv::predict_test_loss(train, test, noise, /*T=*/0.05, seeds);
//   if (!pred) std::cerr << pred.message << '\n';
//   pred.decomposition.overall.total_eq4;          // Σ_k w_k [U_k + ½TrΣC + ½(s+b)ᵀC(s+b)]
//   pred.decomposition.overall.shift_curvature;    // Σ_k w_k ½ s_kᵀ C_k s_k
//   for (const auto& b : pred.basins) use(b.theta_train, b.theta_test, b.shift, b.bias);
//
// Steps: (1) θ_k^tr = find_minimum(U_tr, seed) for each seed, duplicates (closer than
// `merge_distance`·max(1,|θ|)) merged; (2) test minima found from every θ_k^tr and every seed,
// deduplicated likewise, and each train minimum paired with its NEAREST test minimum (several
// train minima may share one test minimum); (3) the Gaussian mixture of the steady state
// (basins/gaussian_mixture.hpp: w_k, µ_k, Σ_k, b_k = θ_k^tr − µ_k) at T; (4) C_k^test =
// ∇²U_test(θ_k^test), U_k^test, s_k = θ_k^test − θ_k^tr, and decompose_test_loss.
//
// Error: inherits the O(T) error of the Laplace weights and the O(|s+b|³ + |s+b|TrΣ) error of
// the quadratic expansion (generalization/decomposition.hpp); the numerical parts (minima to
// ‖∇U‖∞ ≤ 1e-10, line integrals to 1e-12) are far smaller.  A minimum that is not found, or a
// mixture component that fails, makes the result's status non-success with the reason in
// `message`; failed components have weight 0 and are still listed.
//
// Throws invalid_argument (no seeds, NaN, sizes) and domain_error (T ≤ 0, D not positive
// definite where evaluated).
#pragma once

#include <string>
#include <vector>

#include "shiftcurv/basins/gaussian_mixture.hpp"
#include "shiftcurv/basins/minima.hpp"
#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/generalization/decomposition.hpp"

namespace shiftcurv {

struct prediction_options {
  minimize_options minimize{};
  mixture_options mixture{};
  double merge_distance = 1e-6;  ///< minima closer than this (relative) are the same minimum
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
  double weight = 0;      ///< w_k (Laplace)
};

struct test_loss_prediction : result_base {
  std::vector<basin_prediction> basins;
  test_loss_decomposition decomposition;
};

namespace detail {
inline void add_distinct(std::vector<vector>& set, const vector& x, double tol) {
  for (const auto& y : set)
    if ((x - y).norm() <= tol * std::max(1.0, y.norm())) return;
  set.push_back(x);
}
inline void note(result_base& r, status s, const std::string& msg) {
  if (r.status == status::success) r.status = s;
  if (!r.message.empty()) r.message += "; ";
  r.message += msg;
}
}  // namespace detail

template <class Train, class Test, class Noise>
  requires loss_function<Train> && loss_function<Test> && diffusion_model<Noise>
test_loss_prediction predict_test_loss(const Train& train, const Test& test, const Noise& noise, double T,
                                       const std::vector<vector>& seeds, prediction_options opt = {}) {
  constexpr std::string_view fn = "predict_test_loss";
  require_temperature(fn, T);
  if (seeds.empty()) detail::throw_invalid(fn, "need at least one seed");
  for (const auto& s : seeds) {
    require_size(fn, "a seed", s.size(), seeds.front().size());
    require_finite(fn, "a seed", s);
  }
  require_positive(fn, "merge_distance", opt.merge_distance);
  test_loss_prediction out;

  std::vector<vector> train_minima, test_minima;
  for (const auto& s : seeds) {
    const auto m = find_minimum(train, s, opt.minimize);
    out.evaluations += m.evaluations;
    if (!m) {
      detail::note(out, m.status, "train minimum from a seed: " + m.message);
      continue;
    }
    detail::add_distinct(train_minima, m.theta, opt.merge_distance);
  }
  if (train_minima.empty()) {
    detail::note(out, status::not_converged, "no train minimum found");
    return out;
  }
  std::vector<vector> test_seeds = train_minima;
  test_seeds.insert(test_seeds.end(), seeds.begin(), seeds.end());
  for (const auto& s : test_seeds) {
    const auto m = find_minimum(test, s, opt.minimize);
    out.evaluations += m.evaluations;
    if (m) detail::add_distinct(test_minima, m.theta, opt.merge_distance);
  }
  if (test_minima.empty()) {
    detail::note(out, status::not_converged, "no test minimum found");
    return out;
  }

  mixture_options mo = opt.mixture;
  mo.refine_train_minima = false;  // already minima
  const auto gm = gaussian_mixture(train, noise, T, train_minima, mo);
  out.evaluations += gm.evaluations;
  if (!gm) detail::note(out, gm.status, "gaussian_mixture: " + gm.message);

  std::vector<basin_terms> terms;
  for (std::size_t k = 0; k < train_minima.size(); ++k) {
    const auto& c = gm.components[k];
    basin_prediction b;
    b.theta_train = train_minima[k];
    std::size_t best = 0;
    for (std::size_t j = 1; j < test_minima.size(); ++j)
      if ((test_minima[j] - b.theta_train).norm() < (test_minima[best] - b.theta_train).norm()) best = j;
    b.theta_test = test_minima[best];
    b.shift = b.theta_test - b.theta_train;
    b.mu = c.mu;
    b.bias = c.bias;
    b.covariance = c.Sigma;
    b.weight = c.weight;
    b.test_curvature = detail::hessian_unchecked(test, b.theta_test);
    b.test_depth = detail::value_unchecked(test, b.theta_test);
    out.basins.push_back(b);
    if (c.status != status::success) continue;  // weight 0: left out of the decomposition
    terms.push_back({b.weight, b.test_depth, b.test_curvature, b.shift, b.bias, b.covariance});
  }
  if (terms.empty()) {
    detail::note(out, status::not_converged, "no mixture component succeeded");
    return out;
  }
  out.decomposition = decompose_test_loss(terms);
  return out;
}

}  // namespace shiftcurv
