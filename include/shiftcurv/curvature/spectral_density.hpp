// shiftcurv/curvature/spectral_density.hpp — the eigenvalue density of a symmetric operator by
// stochastic Lanczos quadrature (SLQ), as PyHessian's Hessian ESD.
//
//   shiftcurv::hessian_operator H(loss, theta);                // curvature/linear_operator.hpp
//   auto esd = shiftcurv::spectral_density(H);                  // 10 probes × 80 Lanczos steps
//   shiftcurv::vector grid = shiftcurv::vector::LinSpaced(400, -1.0, 50.0);
//   shiftcurv::vector phi = esd.density(grid, /*sigma=*/0.2);   // ∫ phi = 1; × esd.size: counts
//   double m2 = esd.moment(2);                                  // ≈ tr(A²)/p
//
// Method (Ubaru, Chen & Saad 2017, "Fast estimation of tr(f(A)) via stochastic Lanczos
// quadrature", SIAM J. Matrix Anal. Appl. 38:1075; Lin, Saad & Yang 2016 for the density;
// Yao, Gholami, Keutzer & Mahoney 2020, "PyHessian: neural networks through the lens of the
// Hessian"): for each of n_v probes z_l (random_probe, random/probes.hpp), m Lanczos steps
// from v = z_l/|z_l| (lanczos_tridiagonal, full reorthogonalization) give T_l = Y Θ Yᵀ; the
// nodes of probe l are the Ritz values θ_k and its weights τ_k² = (Y_{0k})², which sum to 1.
// Then vᵀ f(A) v ≈ Σ_k τ_k² f(θ_k) (Gauss quadrature: exact for polynomials f of degree
// ≤ 2m − 1), and E[vᵀ f(A) v] = tr(f(A))/p for Rademacher or Gaussian z.
//
// NORMALIZATION: the density is normalised to 1 — it estimates (1/p) Σ_i δ(t − λ_i), so
// ∫ density = 1 and moment(0) = 1.  Multiply by `size` (= p) for eigenvalue counts: tr(f(A))
// ≈ size · (average over probes of Σ_k τ_k² f(θ_k)); density, moment and
// moment_standard_error are documented on the result struct.
// Cost: n_v·m applications; memory p·m (one probe's Lanczos basis, kept for the full
// reorthogonalization) at a time.
// Result: size, probes, nodes/weights (one vector per probe; a probe whose Krylov space closed
// early has fewer nodes), operator_applications (== evaluations).  Status: success, or
// numerical_issue when the operator returned NaN/Inf (nodes/weights hold the probes before it).
// Throws shiftcurv::invalid_argument naming the function: probes < 1, steps < 1; σ ≤ 0 or a
// non-finite grid (density), j < 0 (moment), fewer than 2 probes (moment_standard_error).
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string_view>
#include <vector>

#include <Eigen/Eigenvalues>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/curvature/lanczos.hpp"
#include "shiftcurv/curvature/linear_operator.hpp"
#include "shiftcurv/random/probes.hpp"

namespace shiftcurv {

struct spectral_density_options {
  index probes = 10;                                           ///< n_v ≥ 1
  index steps = 80;                                            ///< m ≥ 1 Lanczos steps per probe (clamped to p)
  probe_distribution distribution = probe_distribution::rademacher;  ///< or gaussian
  std::uint64_t seed = 0;                                      ///< probe l is random_probe(p, seed, l)
};

struct spectral_density_result : result_base {
  index size = 0;                 ///< p: multiply the density by it for counts
  index probes = 0;               ///< probes that entered
  std::vector<vector> nodes;      ///< Ritz values of each probe's T
  std::vector<vector> weights;    ///< squared first components; each probe's sum to 1
  long operator_applications = 0;

  /// The broadened density (normalised to 1) at each point t of `grid`:
  /// (1/n_v) Σ_l Σ_k τ_lk² N(t; θ_lk, σ²) (Gaussian broadening as in PyHessian; exact unit mass
  /// on ℝ, so on a grid that covers the spectrum ± 6σ its trapezoid sum is 1 to ≈1e-9).
  template <class = void>
  vector density(const vector& grid, double sigma) const {
    constexpr std::string_view fn = "spectral_density_result::density";
    require_positive(fn, "sigma", sigma);
    require_finite(fn, "grid", grid);
    require_some_probes(fn);
    const double c = 1.0 / (sigma * std::sqrt(2 * std::numbers::pi) * static_cast<double>(nodes.size()));
    vector out = vector::Zero(grid.size());
    for (std::size_t l = 0; l < nodes.size(); ++l)
      for (index k = 0; k < nodes[l].size(); ++k) {
        const double w = weights[l](k) * c, t0 = nodes[l](k);
        out.array() += w * (-0.5 * ((grid.array() - t0) / sigma).square()).exp();
      }
    return out;
  }

  /// (1/n_v) Σ_l Σ_k τ_lk² θ_lk^j ≈ tr(A^j)/p (exact per probe for j ≤ 2m−1).
  template <class = void>
  double moment(int j) const {
    const vector per = probe_moments("spectral_density_result::moment", j);
    return per.mean();
  }

  /// Standard error of moment(j) over the probes: sample sd / √n_v (n_v ≥ 2).
  template <class = void>
  double moment_standard_error(int j) const {
    constexpr std::string_view fn = "spectral_density_result::moment_standard_error";
    if (nodes.size() < 2) detail::throw_invalid(fn, "needs at least 2 probes, the result has ", nodes.size());
    const vector per = probe_moments(fn, j);
    const double n = static_cast<double>(per.size());
    return std::sqrt((per.array() - per.mean()).square().sum() / (n - 1) / n);
  }

  /// Σ_k τ_lk² θ_lk^j of each probe l.
  template <class = void>
  vector probe_moments(std::string_view fn, int j) const {
    if (j < 0) detail::throw_invalid(fn, "j must be >= 0, got ", j);
    require_some_probes(fn);
    vector per(static_cast<index>(nodes.size()));
    for (std::size_t l = 0; l < nodes.size(); ++l)
      per(static_cast<index>(l)) = (weights[l].array() * nodes[l].array().pow(j)).sum();
    return per;
  }

 private:
  void require_some_probes(std::string_view fn) const {
    if (nodes.empty()) detail::throw_invalid(fn, "the result holds no probes (status ", to_string(status), ")");
  }
};

/// SLQ nodes and weights of the symmetric operator `op` (see the header comment).
template <class Op>
  requires symmetric_operator<Op>
spectral_density_result spectral_density(const Op& op, const spectral_density_options& options = {}) {
  constexpr std::string_view fn = "spectral_density";
  if (options.probes < 1) detail::throw_invalid(fn, "options.probes must be >= 1, got ", options.probes);
  if (options.steps < 1) detail::throw_invalid(fn, "options.steps must be >= 1, got ", options.steps);
  const index p = static_cast<index>(op.size());
  if (p < 1) detail::throw_invalid(fn, "the operator has size ", p);
  spectral_density_result out;
  out.size = p;
  Eigen::SelfAdjointEigenSolver<matrix> eig;
  for (index l = 0; l < options.probes; ++l) {
    const vector z = random_probe(p, options.seed, static_cast<std::uint64_t>(l), options.distribution);
    const lanczos_tridiagonal_result tri = lanczos_tridiagonal(op, z, options.steps);
    out.operator_applications += tri.operator_applications;
    out.iterations += tri.steps;
    if (tri.status != status::success) {
      record_status(out, tri.status, detail::message(fn, "probe ", l, ": ", tri.message));
      break;
    }
    const index m = tri.steps;
    if (m == 1) {
      out.nodes.push_back(tri.alpha);
      out.weights.push_back(vector::Ones(1));
    } else {
      vector diag = tri.alpha, sub = tri.beta;
      eig.computeFromTridiagonal(diag, sub, Eigen::ComputeEigenvectors);
      if (eig.info() != Eigen::Success) {
        record_status(out, status::numerical_issue,
                      detail::message(fn, "probe ", l, ": the tridiagonal eigenproblem did not converge"));
        break;
      }
      out.nodes.push_back(eig.eigenvalues());
      out.weights.push_back(eig.eigenvectors().row(0).transpose().array().square().matrix());
    }
  }
  out.probes = static_cast<index>(out.nodes.size());
  out.evaluations = out.operator_applications;
  return out;
}

}  // namespace shiftcurv
