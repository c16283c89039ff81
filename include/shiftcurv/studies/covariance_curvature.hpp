// shiftcurv/studies/covariance_curvature.hpp — the covariance-curvature ½tr(CΣ) measured from
// SGD iterates near a minimum, with its batch-means standard error.
//
//   shiftcurv::hessian_operator C(test_loss, theta_test);             // curvature/linear_operator.hpp
//   auto m = shiftcurv::covariance_curvature_estimate(C, iterates);   // ½ E[δᵀ C δ] ± m.standard_error
//
// covariance_curvature_estimate(C_op, iterates, options) — ½tr(CΣ) = ½E[δᵀCδ] from n iterates
// θ_t near a minimum (a std::vector of p-vectors or a p×n matrix with one iterate per column):
// δ_t = θ_t − θ̄ (θ̄ the mean of the iterates), one product C·δ_t per iterate.  Mean bias: the
// plain average of ½δ_tᵀCδ_t has expectation ½tr(CΣ) − ½tr(C Var θ̄) exactly (stationary
// iterates); for independent iterates Var θ̄ = Σ/n, i.e. the factor (n−1)/n, but successive SGD
// iterates are autocorrelated and Var θ̄ is larger by the integrated autocorrelation time.  We
// add ½tr(C V̂) back with V̂ the batch-means estimate of Var θ̄ (b more C products; reported as
// `mean_correction`); for independent iterates this is the n/(n−1) correction to O(1/b).
// Standard error by non-overlapping batch means (Flegal & Jones 2010; THEORY.md: mind the
// autocorrelation): the first b·L iterates, L = ⌊n/b⌋, in b batches of L; s.e. = sd(batch
// means)/√b.  It is trustworthy when L is many autocorrelation times: `batch_autocorrelation`
// (lag-1 correlation of the batch means) near 0 says so, a value ≳ 0.3 says the batches are
// too short.  With n < b (fewer than b batches of ≥ 1 iterate) it uses b = n batches of one
// iterate, status tolerance_not_met: that s.e. ignores the autocorrelation.
//
// References: Flegal & Jones, Ann. Statist. 38 (2010) 1034 (batch means).
//
// Throws shiftcurv::invalid_argument naming the function (sizes that disagree, NaN/Inf, fewer
// than 2 iterates, batches < 2).
#pragma once

#include <cmath>
#include <string_view>
#include <vector>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/detail/batch_means.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/curvature/linear_operator.hpp"

namespace shiftcurv {

/// Options of covariance_curvature_estimate.
struct covariance_curvature_estimate_options {
  index batches = 20;   ///< non-overlapping batches for the standard error (≥ 2)
};

/// ½ tr(C Σ) measured from iterates.
struct covariance_curvature_estimate_result : result_base {
  double value = 0;                  ///< ½ mean δᵀCδ + mean_correction
  double standard_error = 0;         ///< batch means
  double mean_correction = 0;        ///< ½ tr(C V̂), V̂ the batch-means estimate of Var θ̄
  double batch_autocorrelation = 0;  ///< lag-1 correlation of the batch means (≈ 0 is good)
  index samples = 0;                 ///< n iterates (value) — the s.e. uses batches·batch_size
  index batches = 0;                 ///< b used
  index batch_size = 0;              ///< L
  long operator_applications = 0;    ///< products of C: n + b
};

/// ½ tr(CΣ) = ½ E[δᵀCδ] from iterates, columns of a p×n matrix (see the header comment).
template <class Op>
  requires symmetric_operator<Op>
covariance_curvature_estimate_result covariance_curvature_estimate(const Op& C, const matrix& iterates,
                                                          const covariance_curvature_estimate_options& options = {}) {
  constexpr std::string_view fn = "covariance_curvature_estimate";
  const index p = iterates.rows(), n = iterates.cols();
  if (n < 2) detail::throw_invalid(fn, "need at least 2 iterates, got ", n);
  if (options.batches < 2) detail::throw_invalid(fn, "options.batches must be >= 2, got ", options.batches);
  require_size(fn, "the operator C", static_cast<index>(C.size()), p);
  require_finite(fn, "iterates", iterates);

  covariance_curvature_estimate_result out;
  out.samples = n;
  index b = options.batches;
  if (n < b) {
    b = n;
    record_status(out, status::tolerance_not_met,
                  detail::message(fn, "only ", n, " iterates for ", options.batches,
                                  " batches: using batches of one iterate, whose standard error ignores the "
                                  "autocorrelation of successive iterates"));
  }
  const index L = n / b;
  out.batches = b;
  out.batch_size = L;

  const vector mean = iterates.rowwise().mean();
  vector q(n), d(p), y;
  for (index t = 0; t < n; ++t) {
    d = iterates.col(t) - mean;
    C.apply(d, y);
    q(t) = 0.5 * d.dot(y);
  }
  vector bm(b);
  for (index j = 0; j < b; ++j) bm(j) = q.segment(j * L, L).mean();
  // ½ tr(C V̂), V̂ = 1/(b(b−1)) Σ_j (m_j − θ̄)(m_j − θ̄)ᵀ with m_j the batch means of θ.
  double corr = 0;
  for (index j = 0; j < b; ++j) {
    d = iterates.middleCols(j * L, L).rowwise().mean() - mean;
    C.apply(d, y);
    corr += 0.5 * d.dot(y);
  }
  corr /= static_cast<double>(b) * static_cast<double>(b - 1);
  out.operator_applications = n + b;
  out.evaluations = out.operator_applications;
  if (!q.allFinite() || !std::isfinite(corr)) {
    record_status(out, status::numerical_issue, detail::message(fn, "the operator C returned a non-finite value"));
    return out;
  }
  out.mean_correction = corr;
  out.value = q.mean() + corr;
  const auto batches = detail::summarize_batch_means(bm);
  out.standard_error = batches.standard_error;
  out.batch_autocorrelation = batches.autocorrelation;
  return out;
}

/// The same with the iterates as a vector of p-vectors.
template <class Op>
  requires symmetric_operator<Op>
covariance_curvature_estimate_result covariance_curvature_estimate(const Op& C, const std::vector<vector>& iterates,
                                                          const covariance_curvature_estimate_options& options = {}) {
  constexpr std::string_view fn = "covariance_curvature_estimate";
  if (iterates.size() < 2) detail::throw_invalid(fn, "need at least 2 iterates, got ", iterates.size());
  const index p = iterates.front().size();
  matrix M(p, static_cast<index>(iterates.size()));
  for (std::size_t t = 0; t < iterates.size(); ++t) {
    if (iterates[t].size() != p)
      detail::throw_invalid(fn, "iterate ", t, " has size ", iterates[t].size(), ", expected ", p, " (that of iterate 0)");
    M.col(static_cast<index>(t)) = iterates[t];
  }
  return covariance_curvature_estimate(C, M, options);
}

}  // namespace shiftcurv
