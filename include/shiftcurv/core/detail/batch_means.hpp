// shiftcurv/core/detail/batch_means.hpp — the standard error of a time average from
// non-overlapping batch means (Flegal & Jones 2010), shared by studies/flat_direction_variance.hpp,
// studies/loss_terms.hpp and generalization/stationary_covariance.hpp.
#pragma once

#include <cmath>

#include "shiftcurv/core/types.hpp"

namespace shiftcurv::detail {

/// Mean, standard error sd(batch means)/√b and lag-1 correlation of the batch means.
struct batch_means_summary {
  double mean = 0;
  double standard_error = 0;
  double autocorrelation = 0;
};

/// `bm` holds b ≥ 2 batch means of equally long batches.
inline batch_means_summary summarize_batch_means(const vector& bm) {
  batch_means_summary s;
  const index b = bm.size();
  if (b < 1) return s;
  s.mean = bm.mean();
  if (b < 2) return s;
  const vector c = bm.array() - s.mean;
  const double ss = c.squaredNorm();
  s.standard_error = std::sqrt(ss / static_cast<double>(b - 1) / static_cast<double>(b));
  s.autocorrelation = ss > 0 ? c.head(b - 1).dot(c.tail(b - 1)) / ss : 0.0;
  return s;
}

/// The batch means of a series x (b batches of L = ⌊n/b⌋, the first b·L entries).
inline vector batch_means_of(const vector& x, index b) {
  const index L = x.size() / b;
  vector bm(b);
  for (index j = 0; j < b; ++j) bm(j) = x.segment(j * L, L).mean();
  return bm;
}

}  // namespace shiftcurv::detail
