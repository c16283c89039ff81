// shiftcurv/curvature/lanczos.hpp — extreme eigenpairs of a symmetric operator by restarted
// Lanczos (Spectra), and the plain Lanczos tridiagonalization that SLQ builds on.
//
//   shiftcurv::hessian_operator H(loss, theta);                   // curvature/linear_operator.hpp
//   auto top = shiftcurv::top_eigenpairs(H, 5);                   // 5 largest eigenvalues of ∇²U
//   if (!top) std::cerr << top.message << '\n';
//   top.values;            // descending (the most extreme first), top.vectors: p×5, orthonormal
//   top.residual_norms;    // ‖A v − λ v‖: |λ − λ_exact| ≤ residual (Weyl/Bauer–Fike)
//   shiftcurv::top_eigenpairs_options o; o.which = shiftcurv::spectrum_end::smallest_algebraic;
//   auto bottom = shiftcurv::top_eigenpairs(H, 3, o);             // most negative first
//   auto tri = shiftcurv::lanczos_tridiagonal(H, v0, 30);         // T = tridiag(β, α, β)
//
// top_eigenpairs(op, k, options) — implicitly restarted Lanczos (Lehoucq & Sorensen's IRLM as
// in ARPACK), by Spectra's SymEigsSolver (Y. Qiu, https://spectralib.org; Debian
// libspectra-dev), with the operator applied only through `op.apply`: nothing p×p is formed.
// It needs 1 ≤ k < p (for all p eigenpairs form the matrix and use Eigen's
// SelfAdjointEigenSolver).  Result: values (converged ones, most extreme first: descending for
// largest_algebraic, by descending |λ| for largest_magnitude, ascending for
// smallest_algebraic), vectors (p×count), residual_norms, converged, iterations (restarts),
// operator_applications (== evaluations).
// Status: success when all k converged; max_iterations when fewer did (values/vectors then hold
// the `converged` ones); numerical_issue when the operator returned NaN/Inf.
//
// lanczos_tridiagonal(op, v0, m) — m steps of Lanczos with full reorthogonalization (see the
// function).
//
// Throws shiftcurv::invalid_argument naming the function: k < 1, k ≥ p, ncv outside (k, p],
// max_iterations < 1, tolerance ≤ 0 or not finite; m < 1, v0 of the wrong size, NaN/Inf or zero.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include <Eigen/Core>
#include <Spectra/SymEigsSolver.h>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/curvature/linear_operator.hpp"
#include "shiftcurv/random/philox.hpp"

namespace shiftcurv {

/// Which end of the spectrum top_eigenpairs looks for.
enum class spectrum_end { largest_algebraic, largest_magnitude, smallest_algebraic };

constexpr std::string_view to_string(spectrum_end e) noexcept {
  switch (e) {
    case spectrum_end::largest_algebraic: return "largest_algebraic";
    case spectrum_end::largest_magnitude: return "largest_magnitude";
    case spectrum_end::smallest_algebraic: return "smallest_algebraic";
  }
  return "unknown";
}

struct top_eigenpairs_options {
  /// largest_algebraic: the top of the Hessian spectrum, as PyHessian (Yao et al. 2020);
  /// largest_magnitude; smallest_algebraic: the most negative.
  spectrum_end which = spectrum_end::largest_algebraic;
  index ncv = 0;               ///< Krylov subspace size, k < ncv ≤ p; 0: min(p, max(2k+1, 20))
  int max_iterations = 1000;   ///< restarts of the implicitly restarted Lanczos method (≥ 1)
  double tolerance = 1e-10;    ///< Spectra's test: Ritz residual < tolerance·max(|λ|, ε^{2/3})
  /// The starting vector: standard normals of the Philox stream (seed, trajectory 0), step 1,
  /// purpose random_purpose::probes (random/probes.hpp).
  std::uint64_t seed = 0;
  bool residuals = true;       ///< compute ‖Av − λv‖ (k more applications)
};

struct top_eigenpairs_result : result_base {
  vector values;               ///< converged eigenvalues, most extreme first
  matrix vectors;              ///< p×converged, orthonormal columns
  vector residual_norms;       ///< ‖A v_j − λ_j v_j‖ (empty unless options.residuals)
  index requested = 0;         ///< k
  index converged = 0;         ///< how many of the k converged
  index ncv = 0;               ///< Krylov subspace size used
  long operator_applications = 0;
};

struct lanczos_tridiagonal_result : result_base {
  vector alpha;                ///< diagonal of T (steps entries)
  vector beta;                 ///< off-diagonal of T (steps − 1 entries)
  matrix basis;                ///< Q, p×steps, orthonormal, QᵀAQ = T
  index steps = 0;             ///< Lanczos steps taken (≤ m, ≤ p)
  bool invariant = false;      ///< the Krylov space closed before m steps
  long operator_applications = 0;
};

namespace detail {

/// Thrown by the Spectra adapter when the user's operator returns NaN/Inf; caught by
/// top_eigenpairs and turned into status::numerical_issue.
struct nonfinite_operator_output {
  index entry;
  double value;
};

template <class Op>
class spectra_adapter {
 public:
  using Scalar = double;
  explicit spectra_adapter(const Op& op) : op_(op), n_(static_cast<index>(op.size())), x_(n_), y_(n_) {}
  index rows() const { return n_; }
  index cols() const { return n_; }
  void perform_op(const double* x_in, double* y_out) const {
    x_ = Eigen::Map<const vector>(x_in, n_);
    op_.apply(x_, y_);
    ++applications;
    require_size("top_eigenpairs", "the operator's output", y_.size(), n_);
    for (index i = 0; i < n_; ++i)
      if (!std::isfinite(y_(i))) throw nonfinite_operator_output{i, y_(i)};
    Eigen::Map<vector>(y_out, n_) = y_;
  }
  mutable long applications = 0;

 private:
  const Op& op_;
  index n_;
  mutable vector x_, y_;
};

inline Spectra::SortRule spectra_rule(spectrum_end e) {
  switch (e) {
    case spectrum_end::largest_magnitude: return Spectra::SortRule::LargestMagn;
    case spectrum_end::smallest_algebraic: return Spectra::SortRule::SmallestAlge;
    case spectrum_end::largest_algebraic: break;
  }
  return Spectra::SortRule::LargestAlge;
}

}  // namespace detail

/// The k extreme eigenpairs of the symmetric operator `op` (see the header comment).  The sign
/// of each eigenvector is Spectra's (arbitrary).  A multiple eigenvalue: one Krylov space holds
/// one eigenvector of it in exact arithmetic; restarts and rounding usually recover every copy
/// (the tests find a triple one), but nothing guarantees it — where multiplicity matters,
/// compare runs with two seeds.
template <class Op>
  requires symmetric_operator<Op>
top_eigenpairs_result top_eigenpairs(const Op& op, index k, const top_eigenpairs_options& options = {}) {
  constexpr std::string_view fn = "top_eigenpairs";
  const index p = static_cast<index>(op.size());
  if (p < 2) detail::throw_invalid(fn, "the operator has size p = ", p, "; restarted Lanczos needs p >= 2");
  if (k < 1) detail::throw_invalid(fn, "k must be >= 1, got ", k);
  if (k >= p)
    detail::throw_invalid(fn, "k must be < p = ", p, " (Spectra needs k < p), got k = ", k,
                          "; for all eigenpairs form the matrix and use Eigen's SelfAdjointEigenSolver");
  const index ncv = options.ncv == 0 ? std::min(p, std::max<index>(2 * k + 1, 20)) : options.ncv;
  if (ncv <= k || ncv > p)
    detail::throw_invalid(fn, "options.ncv must satisfy k < ncv <= p (k = ", k, ", p = ", p, "), got ",
                          options.ncv);
  if (options.max_iterations < 1)
    detail::throw_invalid(fn, "options.max_iterations must be >= 1, got ", options.max_iterations);
  require_positive(fn, "options.tolerance", options.tolerance);

  top_eigenpairs_result out;
  out.requested = k;
  out.ncv = ncv;
  detail::spectra_adapter<Op> adapter(op);
  const Spectra::SortRule rule = detail::spectra_rule(options.which);
  vector start(p);
  philox_stream(options.seed, 0).normals(1, start.data(), p, random_purpose::probes);
  try {
    Spectra::SymEigsSolver<detail::spectra_adapter<Op>> solver(adapter, k, ncv);
    solver.init(start.data());
    const index nconv = solver.compute(rule, options.max_iterations, options.tolerance, rule);
    out.iterations = static_cast<long>(solver.num_iterations());
    out.converged = nconv;
    out.values = solver.eigenvalues();
    out.vectors = solver.eigenvectors();
    if (solver.info() != Spectra::CompInfo::Successful) {
      record_status(out, status::max_iterations,
                    detail::message(fn, "only ", nconv, " of ", k, " eigenpairs converged in ",
                                    options.max_iterations, " restarts (ncv = ", ncv,
                                    "); raise max_iterations or ncv, or loosen tolerance"));
    }
  } catch (const detail::nonfinite_operator_output& e) {
    record_status(out, status::numerical_issue,
                  detail::message(fn, "the operator returned a non-finite value (entry ", e.entry, " is ",
                                  e.value, ") after ", adapter.applications, " applications"));
    out.values.resize(0);
    out.vectors.resize(p, 0);
    out.converged = 0;
  }
  if (options.residuals && out.status != status::numerical_issue) {
    out.residual_norms.resize(out.values.size());
    vector y;
    for (index j = 0; j < out.values.size(); ++j) {
      const vector v = out.vectors.col(j);
      op.apply(v, y);
      ++adapter.applications;
      out.residual_norms(j) = (y - out.values(j) * v).norm();
    }
    if (!out.residual_norms.allFinite()) {
      record_status(out, status::numerical_issue,
                    detail::message(fn, "the operator returned a non-finite value on an eigenvector"));
    }
  }
  out.operator_applications = adapter.applications;
  out.evaluations = adapter.applications;
  return out;
}

/// m steps of Lanczos from v0/|v0| with full reorthogonalization (classical Gram–Schmidt
/// applied twice, "twice is enough": Giraud, Langou, Rozložník 2005), so the basis stays
/// orthonormal to rounding and the Ritz values show no ghost copies.  Returns α (diagonal,
/// `steps` entries), β (off-diagonal, steps−1 entries), the basis Q (p×steps) with QᵀAQ = T,
/// and `invariant` when the Krylov space closed early (β below 1e-10·‖T‖: an exact invariant
/// subspace, `steps` < m).  m > p is clamped to p.
template <class Op, class V>
  requires symmetric_operator<Op>
lanczos_tridiagonal_result lanczos_tridiagonal(const Op& op, const Eigen::MatrixBase<V>& v0, index m) {
  constexpr std::string_view fn = "lanczos_tridiagonal";
  const index p = static_cast<index>(op.size());
  if (m < 1) detail::throw_invalid(fn, "m must be >= 1, got ", m);
  require_size(fn, "v0", v0.size(), p);
  require_finite(fn, "v0", v0);
  const double n0 = v0.norm();
  if (!(n0 > 0)) detail::throw_invalid(fn, "v0 must not be zero");
  m = std::min(m, p);

  lanczos_tridiagonal_result out;
  matrix Q(p, m);
  vector alpha(m), beta(m > 1 ? m - 1 : 0);
  Q.col(0) = v0 / n0;
  vector w, q;
  double scale = 0;  // running estimate of ‖T‖ for the breakdown test
  index steps = 0;
  for (index j = 0; j < m; ++j) {
    q = Q.col(j);
    op.apply(q, w);
    ++out.operator_applications;
    require_size(fn, "the operator's output", w.size(), p);
    if (!w.allFinite()) {
      record_status(out, status::numerical_issue,
                    detail::message(fn, "the operator returned a non-finite value at step ", j));
      break;
    }
    alpha(j) = q.dot(w);
    steps = j + 1;
    // Full reorthogonalization against Q[:, 0..j], twice (this subsumes the three-term
    // recurrence's subtraction of α_j q_j and β_{j−1} q_{j−1}).
    for (int pass = 0; pass < 2; ++pass) {
      const vector c = Q.leftCols(j + 1).transpose() * w;
      w.noalias() -= Q.leftCols(j + 1) * c;
    }
    const double b = w.norm();
    scale = std::max(scale, std::abs(alpha(j)) + b + (j > 0 ? beta(j - 1) : 0.0));
    if (j + 1 == m) break;
    if (b <= 1e-10 * scale) {
      out.invariant = true;
      append_note(out, detail::message(fn, "the Krylov space is invariant after ", steps, " steps (beta = ", b, ")"));
      break;
    }
    beta(j) = b;
    Q.col(j + 1) = w / b;
  }
  out.steps = steps;
  out.alpha = alpha.head(steps);
  out.beta = beta.head(std::max<index>(steps - 1, 0));
  out.basis = Q.leftCols(steps);
  out.iterations = steps;
  out.evaluations = out.operator_applications;
  return out;
}

}  // namespace shiftcurv
