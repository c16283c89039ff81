// Internal: symmetric-positive-definite checks shared by the diffusion models.
#pragma once

#include <Eigen/Cholesky>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"

namespace shiftcurv::detail {

/// Throws unless D is square, finite and symmetric to 1e-12 relative.
inline void require_symmetric(std::string_view fn, const matrix& D) {
  if (D.rows() != D.cols()) throw_invalid(fn, "D must be square, got ", D.rows(), "x", D.cols());
  require_finite(fn, "D", D);
  const double scale = D.cwiseAbs().maxCoeff();
  const double asym = (D - D.transpose()).cwiseAbs().maxCoeff();
  if (asym > 1e-12 * scale)
    throw_invalid(fn, "D must be symmetric, max |D - D^T| = ", asym, " (max |D| = ", scale, ")");
}

/// Cholesky factor L (D = L Lᵀ); throws domain_error if D is not positive definite.
inline matrix cholesky_factor(std::string_view fn, const matrix& D) {
  Eigen::LLT<matrix> llt(D);
  if (llt.info() != Eigen::Success)
    throw_domain(fn, "D must be positive definite, its Cholesky factorization failed (min diagonal ",
                 D.diagonal().minCoeff(), ")");
  return llt.matrixL();
}

}  // namespace shiftcurv::detail
