// Internal: symmetric-positive-definite checks shared by the diffusion models and by V.
// Messages say what is wrong in the user's terms: "D must be positive definite, but its
// smallest eigenvalue is -1".  Templates of nothing (`template <class = void>`: see
// core/types.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <string_view>

#include <Eigen/Cholesky>
#include <Eigen/Jacobi>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"

namespace shiftcurv::detail {

/// The smallest eigenvalue of the symmetric part of A by cyclic Jacobi rotations (Golub & Van
/// Loan §8.5; converged to ≈ ε·‖A‖).  Used only to explain a failed factorization, so it is
/// written for clarity rather than speed (O(p³) per sweep).
template <class = void>
double smallest_eigenvalue(const matrix& A) {
  matrix S = 0.5 * (A + A.transpose());
  const index n = S.rows();
  for (int sweep = 0; sweep < 60; ++sweep) {
    const double off = S.squaredNorm() - S.diagonal().squaredNorm();
    if (!(off > 1e-30 * S.squaredNorm())) break;
    for (index p = 0; p < n; ++p)
      for (index q = p + 1; q < n; ++q) {
        if (S(p, q) == 0) continue;
        Eigen::JacobiRotation<double> J;
        J.makeJacobi(S, p, q);
        S.applyOnTheLeft(p, q, J.adjoint());
        S.applyOnTheRight(p, q, J);
      }
  }
  return S.diagonal().minCoeff();
}

/// Why D (square) is not symmetric positive definite, as the end of a sentence
/// "<name> must be positive definite, <reason>".
template <class = void>
std::string not_positive_definite_reason(const matrix& D) {
  std::ostringstream os;
  os.precision(6);
  if (!D.allFinite()) {
    os << "but it has a non-finite entry";
  } else if (D.rows() <= 200) {
    os << "but its smallest eigenvalue is " << smallest_eigenvalue(D);
    if (D.rows() <= 4) {
      os << " (it is [";
      for (index i = 0; i < D.rows(); ++i) {
        os << (i ? ", [" : "[");
        for (index j = 0; j < D.cols(); ++j) os << (j ? ", " : "") << D(i, j);
        os << "]";
      }
      os << "])";
    }
  } else {
    os << "but its Cholesky factorization fails (an eigenvalue is <= 0)";
  }
  return os.str();
}

/// Throws unless D is square, finite and symmetric to 1e-12 relative.
template <class = void>
void require_symmetric(std::string_view fn, const matrix& D) {
  if (D.rows() != D.cols()) throw_invalid(fn, "D must be square, got ", D.rows(), "x", D.cols());
  require_finite(fn, "D", D);
  const double scale = D.cwiseAbs().maxCoeff();
  const double asym = (D - D.transpose()).cwiseAbs().maxCoeff();
  if (asym > 1e-12 * scale)
    throw_invalid(fn, "D must be symmetric, max |D - D^T| = ", asym, " (max |D| = ", scale, ")");
}

/// Cholesky factorization of D; throws domain_error naming `fn` and saying why D (called
/// `name` in the message) is not positive definite.
template <class = void>
Eigen::LLT<matrix> checked_cholesky(std::string_view fn, std::string_view name, const matrix& D) {
  Eigen::LLT<matrix> llt;
  if (D.allFinite()) llt.compute(D);
  if (!D.allFinite() || llt.info() != Eigen::Success)
    throw_domain(fn, name, " must be positive definite, ", not_positive_definite_reason(D));
  return llt;
}

/// Cholesky factor L (D = L Lᵀ); throws domain_error if D is not positive definite.
template <class = void>
matrix cholesky_factor(std::string_view fn, const matrix& D) {
  return checked_cholesky(fn, "D", D).matrixL();
}

}  // namespace shiftcurv::detail
