// shiftcurv/generalization/shift.hpp — the over-parametrized shift of eq 12:
// s_k = Proj_{G_test}(θ_k^test − θ_k^tr), G_test = span of the per-test-sample gradients.
//
//   shiftcurv::matrix G = shiftcurv::sample_gradients(test_set, theta_train);  // N×p, rows g_iᵀ
//   shiftcurv::vector s = shiftcurv::projected_shift(theta_test - theta_train, G);
//   auto r = shiftcurv::project_shift(theta_test - theta_train, G);  // with rank, σ_i, status
//   auto r2 = shiftcurv::project_shift(theta_test - theta_train, test_set, theta_train);
//
// Method: a singular value decomposition G = U S Vᵀ (Eigen's BDCSVD, divide and conquer,
// O(N p min(N, p))).  The span of the rows of G is spanned by the right singular vectors
// v_i whose σ_i > rank_tolerance · σ_max; the projection is V_r V_rᵀ s.  Any component of s
// orthogonal to the gradients is invisible to the test loss to second order (Appendix D.4:
// the range of C_k^test lies in G_test), so s_kᵀ C s_k is unchanged and |s_k| is the
// smallest shift that reproduces it.
//
// Rank tolerance: relative to the largest singular value; default 1e-8.  It sits above the
// relative noise of finite-difference gradients (≈1e-10, derivatives.hpp) and far above
// rounding in an exact Jacobian (≈ ε·max(N, p) ≈ 1e-13 for N, p ~ 1000).  Directions with
// σ_i ≤ 1e-8·σ_max are treated as outside the span; inspect `singular_values` to judge.
//
// Error estimate: with the rank decided, the projection is backward stable (error ≈ ε·|s|
// times a modest factor); the result is sensitive to the rank decision only through
// directions whose σ_i lies near the threshold, whose number `project_shift` reports in
// `near_threshold` (σ_i within a factor 10 of the threshold on either side).
//
// Where to evaluate the gradients: the paper assumes G_test is constant near θ_k^test.  At an
// interpolating test minimum every per-sample gradient may vanish (least squares with
// zero residuals); evaluate them at θ_k^tr instead, where the test residuals are nonzero.
// A rank-0 span gives a zero projection with status assumption_violated.
//
// Bad input throws shiftcurv::invalid_argument (no rows, column count ≠ |s|, NaN/Inf) or
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

/// Default relative rank tolerance of the gradient span (see the header comment).
inline constexpr double default_shift_rank_tolerance = 1e-8;

/// The projected shift with what the rank decision was based on.
struct shift_projection : result_base {
  vector shift;              ///< Proj_G s
  index rank = 0;            ///< dimension of the resolved span G
  double rank_tolerance = 0; ///< the relative tolerance used
  vector singular_values;    ///< of the gradient matrix, descending
  index near_threshold = 0;  ///< σ_i within a factor 10 of the threshold (fragile rank)
  double removed_norm = 0;   ///< |s − Proj_G s|
};

/// Eq 12 with the rank information; `test_sample_gradients` is N×p with rows g_iᵀ.
inline shift_projection project_shift(const vector& shift, const matrix& test_sample_gradients,
                                      double rank_tolerance = default_shift_rank_tolerance) {
  constexpr const char* fn = "project_shift";
  const matrix& G = test_sample_gradients;
  if (shift.size() < 1) detail::throw_invalid(fn, "shift is empty, need dimension p >= 1");
  if (G.rows() < 1) detail::throw_invalid(fn, "test_sample_gradients has no rows, need N >= 1 samples");
  require_size(fn, "the columns of test_sample_gradients", G.cols(), shift.size());
  require_finite(fn, "shift", shift);
  require_finite(fn, "test_sample_gradients", G);
  require_finite(fn, "rank_tolerance", rank_tolerance);
  if (!(rank_tolerance >= 0 && rank_tolerance < 1))
    detail::throw_domain(fn, "rank_tolerance must be in [0, 1), got ", rank_tolerance);

  shift_projection out;
  out.rank_tolerance = rank_tolerance;
  Eigen::BDCSVD<matrix> svd(G, Eigen::ComputeThinV);
  if (svd.info() != Eigen::Success) {
    out.status = status::numerical_issue;
    out.message = "the SVD of the per-sample gradients did not converge";
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
    out.status = status::assumption_violated;
    out.message = "the per-sample gradients vanish (rank 0), so the projected shift is zero; "
                  "at an interpolating test minimum evaluate them at the train minimum";
  }
  return out;
}

/// Eq 12: the shift projected onto the span of the rows of `test_sample_gradients` (N×p).
inline vector projected_shift(const vector& shift, const matrix& test_sample_gradients,
                              double rank_tolerance = default_shift_rank_tolerance) {
  return project_shift(shift, test_sample_gradients, rank_tolerance).shift;
}

/// Eq 12 with the per-test-sample gradients of a per-sample loss evaluated at `theta`
/// (θ_k^tr is the safe choice, see the header comment).
template <class F>
  requires per_sample_loss<F>
shift_projection project_shift(const vector& shift, const F& test_samples, const vector& theta,
                               double rank_tolerance = default_shift_rank_tolerance) {
  require_size("project_shift", "theta", theta.size(), shift.size());
  return project_shift(shift, sample_gradients(test_samples, theta), rank_tolerance);
}

}  // namespace shiftcurv
