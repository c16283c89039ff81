// shiftcurv/generalization/stationary_covariance.hpp — the stationary covariance Σ of SGD near
// a minimum (the Ornstein–Uhlenbeck process dθ = −H(θ−θ*)dt + √(T D) dW, Lyapunov equation
// HΣ + ΣH = T·D), solved in the top-k eigenspace of H.
// (The covariance-curvature measured from SGD iterates: studies/covariance_curvature.hpp.)
//
//   shiftcurv::hessian_operator H(loss, theta_star);       // curvature/linear_operator.hpp
//   shiftcurv::diffusion_operator D(noise, theta_star);
//   auto sig = shiftcurv::lyapunov_covariance(H, D, T, {.k = 20});
//   if (!sig) std::cerr << sig.message << '\n';
//   double cc = sig.trace_with(C);                          // ½ tr(C Σ), k products of C
//   double var = sig.variance_along(u);                     // uᵀ Σ u
//   shiftcurv::vector y = sig.apply(x);                     // Σ x = Q S Qᵀ x
//   auto ref = shiftcurv::dense_lyapunov(Hdense, Ddense, T); // small p: exact, ref.dense() = Σ
//
// lyapunov_covariance: with Q (p×k) the top-k eigenvectors of H (top_eigenpairs) and λ the
// Ritz values, S_ij = T·(QᵀDQ)_ij / (λ_i + λ_j) solves the projected equation; Σ ≈ Q S Qᵀ is
// kept factored (nothing p×p is formed).  Exact when D's column space lies in span Q; what it
// misses otherwise, and the dense reference: on the functions below.
// Status: assumption_violated when λ_i + λ_j ≤ 0 (H not positive definite on span Q: no
// stationary distribution along those pairs; S_ij = 0, the message names the most negative λ);
// Lanczos that does not converge passes on its status (max_iterations / numerical_issue) and
// message, with the converged eigenpairs used (with both findings, the more severe status and
// both messages: core/status.hpp).
//
// References: Gardiner, Stochastic Methods (2009) §3.8.4 (OU stationary covariance);
// Bartels & Stewart, CACM 15 (1972) 820; Mandt, Hoffman & Blei, JMLR 18 (2017) (SGD as OU,
// Lyapunov equation); Flegal & Jones, Ann. Statist. 38 (2010) 1034 (batch means).
//
// Throws shiftcurv::invalid_argument naming the function (sizes that disagree, NaN/Inf, k < 1 or
// k > p) or shiftcurv::domain_error (T ≤ 0).
#pragma once

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/curvature/lanczos.hpp"
#include "shiftcurv/curvature/linear_operator.hpp"

namespace shiftcurv {

/// Options of lyapunov_covariance.
struct lyapunov_covariance_options {
  index k = 0;                  ///< eigenvectors of H kept, 1 ≤ k ≤ p (required)
  top_eigenpairs_options eigen{};   ///< Lanczos options (curvature/lanczos.hpp; default tolerance 1e-10, largest_algebraic)
};

namespace detail {
/// A·Q column by column (k products of the operator).
template <class Op>
matrix apply_columns(const Op& op, const matrix& Q) {
  matrix out(Q.rows(), Q.cols());
  vector y;
  for (index j = 0; j < Q.cols(); ++j) {
    const vector q = Q.col(j);
    op.apply(q, y);
    out.col(j) = y;
  }
  return out;
}
}  // namespace detail

/// Σ ≈ Q S Qᵀ, kept factored.
struct lyapunov_covariance_result : result_base {
  matrix basis;                 ///< Q, p×k, orthonormal eigenvectors of H
  vector curvatures;            ///< λ, the Ritz values (eigenvalues of H on span Q)
  matrix projected;             ///< S, k×k: H_k S + S H_k = T Q^T D Q
  vector residual_norms;        ///< Lanczos' ‖Hq − λq‖ (empty for k = p / dense)
  long operator_applications = 0;  ///< products of H and D

  /// Σ x = Q S Qᵀ x.
  vector apply(const vector& x) const {
    require_size("lyapunov_covariance_result::apply", "x", x.size(), basis.rows());
    return basis * (projected * (basis.transpose() * x));
  }
  /// uᵀ Σ u (the variance of uᵀθ; pass a unit u for the variance along a direction).
  double variance_along(const vector& u) const {
    require_size("lyapunov_covariance_result::variance_along", "u", u.size(), basis.rows());
    const vector c = basis.transpose() * u;
    return c.dot(projected * c);
  }
  /// ½ tr(C Σ) = ½ tr(S QᵀCQ): k products of the symmetric operator C.
  template <class Op>
    requires symmetric_operator<Op>
  double trace_with(const Op& C) const {
    require_size("lyapunov_covariance_result::trace_with", "the operator C", static_cast<index>(C.size()),
                 basis.rows());
    const matrix CQ = detail::apply_columns(C, basis);
    const matrix M = basis.transpose() * CQ;
    return 0.5 * projected.cwiseProduct(0.5 * (M + M.transpose())).sum();
  }
  /// Σ as a dense p×p matrix (small p only).
  matrix dense() const { return basis * projected * basis.transpose(); }
};

namespace detail {

/// S_ij = T Dk_ij / (λ_i + λ_j), with the assumption check.
inline void lyapunov_diagonal_solve(std::string_view fn, lyapunov_covariance_result& out, const matrix& Dk,
                                    double T) {
  const vector& lam = out.curvatures;
  const index k = lam.size();
  out.projected.resize(k, k);
  index bad = 0;
  for (index j = 0; j < k; ++j)
    for (index i = 0; i < k; ++i) {
      const double s = lam(i) + lam(j);
      const double dij = 0.5 * (Dk(i, j) + Dk(j, i));
      if (s > 0) {
        out.projected(i, j) = T * dij / s;
      } else {
        out.projected(i, j) = 0.0;
        ++bad;
      }
    }
  if (bad > 0) {
    record_status(out, status::assumption_violated,
                  message(fn, "H is not positive definite on the kept eigenspace: eigenvalue ", lam.minCoeff(),
                          " gives lambda_i + lambda_j <= 0 for ", bad,
                          " entries (no stationary covariance there); those entries of S are set to 0"));
  }
}

/// All eigenpairs of the symmetric part of H, largest first, into out.curvatures / out.basis;
/// false (out's status and message set) when the eigensolver fails.  A template of nothing (see
/// core/types.hpp); the solver runs on a plain matrix, the instantiation every other caller shares.
template <class = void>
bool symmetric_eigenbasis(std::string_view fn, const matrix& H, lyapunov_covariance_result& out) {
  const matrix S = 0.5 * (H + H.transpose());
  Eigen::SelfAdjointEigenSolver<matrix> es(S);
  if (es.info() != Eigen::Success) {
    record_status(out, status::numerical_issue, message(fn, "the eigensolver of H did not converge"));
    return false;
  }
  out.curvatures = es.eigenvalues().reverse();
  out.basis = es.eigenvectors().rowwise().reverse();
  return true;
}

}  // namespace detail

/// The stationary covariance of the OU process near a minimum in the top-k eigenspace of H.
/// With Q (p×k) the top-k eigenvectors of H by restarted Lanczos (top_eigenpairs,
/// curvature/lanczos.hpp) and λ the Ritz values,
///   H_k = QᵀHQ = diag(λ),  D_k = QᵀDQ (k products D·q),  S_ij = T·(D_k)_ij / (λ_i + λ_j),
/// which solves H_k S + S H_k = T·D_k; Σ ≈ Q S Qᵀ is kept factored (nothing p×p is formed).
/// k = p is allowed: then H is formed by p products H·e_i and diagonalized by Eigen's
/// SelfAdjointEigenSolver (Spectra needs k < p).  Cost: Lanczos' H products + k D products.
/// Exactness: in H's eigenbasis the equation decouples entrywise, Σ̃_ij = T D̃_ij/(λ_i + λ_j)
/// (Bartels & Stewart 1972 with a diagonal Schur form), so with exact eigenvectors
///   Q S Qᵀ = P Σ P,   P = Q Qᵀ,
/// the projection of the exact Σ: the result is exact when D = P D P (D's column space inside
/// the top-k eigenspace of H), and otherwise misses Σ − PΣP, whose entries in the eigenbasis
/// are T D̃_ij/(λ_i + λ_j) with i or j outside the top k — small when D puts little weight
/// outside span Q or when that weight sits at large λ_i + λ_j; ½tr(CΣ) misses ½tr(C(Σ − PΣP)).
/// Lanczos' Ritz residuals r_j (reported in `residual_norms`) perturb S by O(r/gap).
/// Commuting case: HD = DH with H > 0 gives Σ = (T/2) H⁻¹ D, the Laplace covariance of the
/// effective potential ((T/2)[∇²v]⁻¹, THEORY.md "Networks and the over-parametrized case").
template <class HOp, class DOp>
  requires symmetric_operator<HOp> && symmetric_operator<DOp>
lyapunov_covariance_result lyapunov_covariance(const HOp& H, const DOp& D, double T,
                                                 const lyapunov_covariance_options& options) {
  constexpr std::string_view fn = "lyapunov_covariance";
  require_temperature(fn, T);
  const index p = static_cast<index>(H.size());
  require_size(fn, "the operator D", static_cast<index>(D.size()), p);
  const index k = options.k;
  if (k < 1 || k > p) detail::throw_invalid(fn, "options.k must be in [1, p = ", p, "], got ", k);

  lyapunov_covariance_result out;
  if (k == p) {
    matrix Hd(p, p);
    vector e = vector::Zero(p), y;
    for (index j = 0; j < p; ++j) {
      e(j) = 1.0;
      H.apply(e, y);
      Hd.col(j) = y;
      e(j) = 0.0;
    }
    out.operator_applications += p;
    if (!Hd.allFinite()) {
      record_status(out, status::numerical_issue, detail::message(fn, "the operator H returned a non-finite value"));
      return out;
    }
    if (!detail::symmetric_eigenbasis(fn, Hd, out)) return out;
  } else {
    auto top = top_eigenpairs(H, k, options.eigen);
    out.operator_applications += top.operator_applications;
    record_status(out, top.status, top.message);
    out.iterations = top.iterations;
    out.curvatures = top.values;
    out.basis = top.vectors;
    out.residual_norms = top.residual_norms;
    if (top.status == status::numerical_issue) return out;
  }
  const matrix DQ = detail::apply_columns(D, out.basis);
  out.operator_applications += out.basis.cols();
  out.evaluations = out.operator_applications;
  if (!DQ.allFinite()) {
    record_status(out, status::numerical_issue, detail::message(fn, "the operator D returned a non-finite value"));
    out.projected = matrix::Zero(out.basis.cols(), out.basis.cols());
    return out;
  }
  detail::lyapunov_diagonal_solve(fn, out, out.basis.transpose() * DQ, T);
  return out;
}

/// The dense solution of HΣ + ΣH = T·D for symmetric H and D, the reference for small p:
/// H = UΛUᵀ by Eigen's SelfAdjointEigenSolver, S̃ = T·UᵀDU ./ (λ_i + λ_j), returned in the same
/// result struct (basis = U, k = p); `dense()` forms Σ = U S̃ Uᵀ.
/// (testing::ou_stationary_covariance in testing/reference_problems.hpp solves the same equation
/// as the p²×p² Kronecker system by LU, also for non-symmetric H.)
template <class = void>
lyapunov_covariance_result dense_lyapunov(const matrix& H, const matrix& D, double T) {
  constexpr std::string_view fn = "dense_lyapunov";
  require_temperature(fn, T);
  if (H.rows() < 1 || H.rows() != H.cols())
    detail::throw_invalid(fn, "H must be square and non-empty, got ", H.rows(), "x", H.cols());
  if (D.rows() != H.rows() || D.cols() != H.cols())
    detail::throw_invalid(fn, "D has size ", D.rows(), "x", D.cols(), ", expected ", H.rows(), "x", H.cols());
  require_finite(fn, "H", H);
  require_finite(fn, "D", D);
  lyapunov_covariance_result out;
  if (!detail::symmetric_eigenbasis(fn, H, out)) return out;
  const matrix Ds = 0.5 * (D + D.transpose());
  detail::lyapunov_diagonal_solve(fn, out, out.basis.transpose() * Ds * out.basis, T);
  return out;
}

}  // namespace shiftcurv
