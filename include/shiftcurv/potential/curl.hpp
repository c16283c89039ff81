// shiftcurv/potential/curl.hpp — is V curl-free (Assumption 1)?  Two measurements.
//
//   auto c = shiftcurv::curl_diagnostic(loss, noise, T, theta);
//   if (c.status == shiftcurv::status::assumption_violated) warn(c.message);
//   c.relative_antisymmetry;       // ‖(J − Jᵀ)/2‖_F / ‖J‖_F, J = ∂V/∂θ (0 when curl-free)
//   auto g = shiftcurv::path_gap(loss, noise, T, a, b);  // straight segment vs staircase path
//   g.relative_gap;                // |v_A − v_B| / max(∫|V·dθ| along A, along B)
//
// v(θ) = ∫V·dθ exists (is path independent) iff ∂V_i/∂θ_j is symmetric (the paper's
// Assumption 1; THEORY.md).  This is a property of the user's loss and noise, never assumed:
// * `curl_diagnostic`: J by central differences of V (2p evaluations, step ε^{1/3}·max(1,|θ_j|),
//   error ≈ ε^{2/3} relative: a curl-free V shows a relative antisymmetry ≲ 1e-8 on an
//   O(1)-scaled problem).  Above the threshold the status is `assumption_violated`.
// * `path_gap`: the line integrals along two paths with the same ends (effective_potential);
//   their difference is compared with threshold·L1 + 10·(sum of the two error estimates).
//
// Throws invalid_argument (NaN, sizes, θ's size ≠ a declared dimension(), paths that do not
// share their ends) and domain_error (T ≤ 0, D not positive definite, threshold ≤ 0), naming
// the function called.
#pragma once

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/potential/effective_potential.hpp"
#include "shiftcurv/potential/potential_gradient.hpp"

namespace shiftcurv {

struct curl_diagnostic_options {
  double threshold = 1e-6;   ///< largest relative antisymmetry still counted as curl-free (> 0; default: 100× the difference error)
};

struct curl_diagnostic_result : result_base {
  matrix jacobian;                  ///< ∂V_i/∂θ_j (central differences)
  double relative_antisymmetry = 0; ///< ‖(J − Jᵀ)/2‖_F / ‖J‖_F (0 if J = 0)
  double threshold = 0;             ///< the threshold it was compared with
};

/// The relative antisymmetric part of ∂V/∂θ at θ; status assumption_violated above threshold.
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
curl_diagnostic_result curl_diagnostic(const Loss& loss, const Noise& noise, double T,
                                       const vector& theta, const curl_diagnostic_options& options = {}) {
  constexpr std::string_view fn = "curl_diagnostic";
  detail::check_T_theta(fn, loss, noise, T, theta);
  require_positive(fn, "threshold", options.threshold);
  curl_diagnostic_result r;
  r.jacobian = detail::potential_jacobian(fn, loss, noise, T, theta);
  r.evaluations = 2 * theta.size();
  r.threshold = options.threshold;
  const double norm = r.jacobian.norm();
  r.relative_antisymmetry = norm > 0 ? 0.5 * (r.jacobian - r.jacobian.transpose()).norm() / norm : 0.0;
  if (!std::isfinite(r.relative_antisymmetry)) {
    record_status(r, status::numerical_issue, detail::message(fn, "the Jacobian of V is not finite"));
  } else if (r.relative_antisymmetry > options.threshold) {
    record_status(r, status::assumption_violated,
                  detail::message(fn, "V is not curl-free: relative antisymmetry of dV/dtheta is ",
                                  r.relative_antisymmetry, " > threshold ", options.threshold,
                                  "; the effective potential depends on the path"));
  }
  return r;
}

struct path_gap_options {
  double threshold = 1e-8;             ///< relative to the larger L1 norm of the two integrals (> 0; default: 100× the default line-integral tolerance)
  line_integral_options integral{.tolerance = 1e-12};  ///< options of the two line integrals
};

struct path_gap_result : result_base {
  double value_a = 0, value_b = 0;  ///< v(end) − v(start) along path A and along path B
  double gap = 0;                   ///< |value_a − value_b|
  double relative_gap = 0;          ///< gap / max(L1_A, L1_B)
  double error_estimate = 0;        ///< sum of the two integrals' error estimates
  double threshold = 0;             ///< effective threshold on relative_gap
};

/// Compare ∫V·dθ along two polylines with the same first and last points.
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
path_gap_result path_gap(const Loss& loss, const Noise& noise, double T,
                         const std::vector<vector>& path_a, const std::vector<vector>& path_b,
                         const path_gap_options& options = {}) {
  constexpr std::string_view fn = "path_gap";
  require_temperature(fn, T);
  require_positive(fn, "threshold", options.threshold);
  if (path_a.size() < 2 || path_b.size() < 2)
    detail::throw_invalid(fn, "each path needs at least 2 points, got ", path_a.size(), " and ", path_b.size());
  require_size(fn, "path_b's first point", path_b.front().size(), path_a.front().size());
  if ((path_a.front() - path_b.front()).norm() != 0 || (path_a.back() - path_b.back()).norm() != 0)
    detail::throw_invalid(fn, "the two paths must share their first and last points");
  const line_integral_result a = detail::line_integral(fn, loss, noise, T, path_a, options.integral);
  const line_integral_result b = detail::line_integral(fn, loss, noise, T, path_b, options.integral);
  path_gap_result r;
  r.value_a = a.value;
  r.value_b = b.value;
  r.gap = std::abs(a.value - b.value);
  r.error_estimate = a.error_estimate + b.error_estimate;
  r.evaluations = a.evaluations + b.evaluations;
  const double scale = std::max(a.l1_norm, b.l1_norm);
  r.relative_gap = scale > 0 ? r.gap / scale : 0.0;
  r.threshold = scale > 0 ? options.threshold + 10 * r.error_estimate / scale : options.threshold;
  if (!a.ok() || !b.ok()) {
    if (!a.ok()) record_status(r, a.status, detail::message(fn, "a line integral failed: ", a.message));
    if (!b.ok()) record_status(r, b.status, detail::message(fn, "a line integral failed: ", b.message));
  } else if (r.relative_gap > r.threshold) {
    record_status(r, status::assumption_violated,
                  detail::message(fn, "V is not curl-free: the two paths differ by ", r.gap,
                                  " (relative ", r.relative_gap, " > threshold ", r.threshold, ")"));
  }
  return r;
}

/// The straight segment from→to against the staircase that changes one coordinate at a time.
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
path_gap_result path_gap(const Loss& loss, const Noise& noise, double T, const vector& from,
                         const vector& to, const path_gap_options& options = {}) {
  require_size("path_gap", "to", to.size(), from.size());
  require_finite("path_gap", "from", from);
  require_finite("path_gap", "to", to);
  std::vector<vector> staircase{from};
  vector x = from;
  for (index j = 0; j < from.size(); ++j) {
    if (x(j) == to(j)) continue;
    x(j) = to(j);
    staircase.push_back(x);
  }
  if (staircase.size() < 2) staircase.push_back(to);
  return path_gap(loss, noise, T, std::vector<vector>{from, to}, staircase, options);
}

}  // namespace shiftcurv
