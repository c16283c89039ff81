// shiftcurv/generalization/shift.hpp — the over-parametrized shift of eq 12:
// s_k = Proj_{G_test}(θ_k^test − θ_k^tr), G_test = span of the per-test-sample gradients.
//
//   shiftcurv::matrix G = shiftcurv::sample_gradients(test_set, theta_train);  // N×p, rows g_iᵀ
//   shiftcurv::vector s = shiftcurv::projected_shift(theta_test - theta_train, G);
//   auto r = shiftcurv::project_shift(theta_test - theta_train, G);  // with rank, σ_i, status
//   auto r2 = shiftcurv::project_shift(theta_test - theta_train, test_set, theta_train);
//   auto r3 = shiftcurv::project_shift(s, G, {.rank_tolerance = 1e-6});   // a project_shift_result
//
// Contract: G = U S Vᵀ (Eigen's BDCSVD); the span of the rows of G is spanned by the right
// singular vectors with σ_i > rank_tolerance·σ_max, and the projection is V_r V_rᵀ s.  A
// component of s orthogonal to the gradients is invisible to the test loss to second order
// (Appendix D.4), so sᵀCs is unchanged.  The projection is backward stable once the rank is
// decided; `near_threshold` counts the σ_i within a factor 10 of the threshold (a fragile
// rank).  At an interpolating test minimum every per-sample gradient may vanish: evaluate
// them at θ_k^tr.  A rank-0 span gives a zero projection with status assumption_violated.
//
// Throws shiftcurv::invalid_argument (no rows, column count ≠ |s|, NaN/Inf) or
// shiftcurv::domain_error (rank_tolerance outside [0, 1)).
#pragma once

#include <string_view>

#include <Eigen/SVD>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/derivatives/per_sample.hpp"

namespace shiftcurv {

/// Options of project_shift / projected_shift.
struct project_shift_options {
  /// σ_i ≤ rank_tolerance·σ_max counts as outside the span; in [0, 1).  The default is above
  /// the ≈1e-10 noise of finite-difference gradients, far above rounding.
  double rank_tolerance = 1e-8;
};

/// The projected shift with what the rank decision was based on.
struct project_shift_result : result_base {
  vector shift;              ///< Proj_G s
  index rank = 0;            ///< dimension of the resolved span G
  double rank_tolerance = 0; ///< the relative tolerance used
  vector singular_values;    ///< of the gradient matrix, descending
  index near_threshold = 0;  ///< σ_i within a factor 10 of the threshold (fragile rank)
  double removed_norm = 0;   ///< |s − Proj_G s|
};

namespace detail {

/// Eq 12 for callers that name themselves `fn`.  A template of nothing (see core/types.hpp).
template <class = void>
project_shift_result project_shift(std::string_view fn, const vector& shift, const matrix& G,
                                      const project_shift_options& options) {
  const double rank_tolerance = options.rank_tolerance;
  if (shift.size() < 1) throw_invalid(fn, "shift is empty, need dimension p >= 1");
  if (G.rows() < 1) throw_invalid(fn, "test_sample_gradients has no rows, need N >= 1 samples");
  require_size(fn, "the columns of test_sample_gradients", G.cols(), shift.size());
  require_finite(fn, "shift", shift);
  require_finite(fn, "test_sample_gradients", G);
  require_finite(fn, "options.rank_tolerance", rank_tolerance);
  if (!(rank_tolerance >= 0 && rank_tolerance < 1))
    throw_domain(fn, "options.rank_tolerance must be in [0, 1), got ", rank_tolerance);

  project_shift_result out;
  out.rank_tolerance = rank_tolerance;
  Eigen::BDCSVD<matrix> svd(G, Eigen::ComputeThinV);
  if (svd.info() != Eigen::Success) {
    record_status(out, status::numerical_issue, message(fn, "the SVD of the per-sample gradients did not converge"));
    out.shift = vector::Zero(shift.size());
    out.removed_norm = shift.norm();
    return out;
  }
  out.singular_values = svd.singularValues();
  const double sigma_max = out.singular_values.size() > 0 ? out.singular_values(0) : 0.0;
  const double threshold = rank_tolerance * sigma_max;
  index r = 0;
  for (index i = 0; i < out.singular_values.size(); ++i) {
    const double si = out.singular_values(i);
    if (sigma_max > 0 && si > threshold) ++r;
    if (sigma_max > 0 && threshold > 0 && si > 0.1 * threshold && si < 10 * threshold) ++out.near_threshold;
  }
  out.rank = r;
  const auto Vr = svd.matrixV().leftCols(r);
  out.shift = Vr * (Vr.transpose() * shift);
  out.removed_norm = (shift - out.shift).norm();
  if (r == 0) {
    record_status(out, status::assumption_violated,
                  message(fn, "the per-sample gradients vanish (rank 0), so the projected shift is zero; "
                              "at an interpolating test minimum evaluate them at the train minimum"));
  }
  return out;
}

}  // namespace detail

/// Eq 12 with the rank information; `test_sample_gradients` is N×p with rows g_iᵀ.
template <class = void>
project_shift_result project_shift(const vector& shift, const matrix& test_sample_gradients,
                                      const project_shift_options& options = {}) {
  return detail::project_shift("project_shift", shift, test_sample_gradients, options);
}

/// Eq 12: the shift projected onto the span of the rows of `test_sample_gradients` (N×p).
template <class = void>
vector projected_shift(const vector& shift, const matrix& test_sample_gradients,
                       const project_shift_options& options = {}) {
  return detail::project_shift("projected_shift", shift, test_sample_gradients, options).shift;
}

/// Eq 12 with the per-test-sample gradients of a per-sample loss evaluated at `theta`
/// (θ_k^tr is the safe choice, see the header comment).
template <class F>
  requires per_sample_loss<F>
project_shift_result project_shift(const vector& shift, const F& test_samples, const vector& theta,
                                      const project_shift_options& options = {}) {
  constexpr std::string_view fn = "project_shift";
  require_size(fn, "theta", theta.size(), shift.size());
  return detail::project_shift(fn, shift, detail::sample_gradients(fn, test_samples, theta), options);
}

}  // namespace shiftcurv
