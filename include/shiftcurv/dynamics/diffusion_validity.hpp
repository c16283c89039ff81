// shiftcurv/dynamics/diffusion_validity.hpp — is the diffusion (Fokker–Planck) description of
// SGD valid at this λ, B?  The per-step cumulants of the SGD update and their size relative to
// the second-order (diffusion) terms of the Kramers–Moyal expansion (paper Appendix A.2).
//
//   shiftcurv::sgd_step_cumulants_options o; o.learning_rate = 0.1; o.batch_size = 8;
//   auto c = shiftcurv::sgd_step_cumulants(my_dataset_loss, theta, o);
//   c.mean;                // κ₁ = −λ(ḡ + αθ)
//   c.covariance;          // κ₂ = λT·D (+ λT β² I)
//   c.third, c.fourth;     // κ₃ = −λT²·ω₃, κ₄ = λT³·ω₄ (flattened tensors, small p only)
//   c.third_order_ratio;   // max over principal directions of the KM 3rd- vs 2nd-order term
//   if (!c) std::cerr << c.message;   // assumption_violated: ratios above o.tolerance
//
// With ω_k the k-th cumulant (tensor) of the per-sample gradient over the training set and a
// minibatch of B i.i.d. draws (with replacement), the step Δ = −(λ/B)Σ g_{i_b} has cumulants
// κ_k = B(−λ/B)^k ω_k = (−1)^k λ T^{k−1} ω_k (T = λ/B), additive over the batch.  In rescaled
// time the Kramers–Moyal term of order k is (1/k!) κ_k/λ ∂^k; at a length scale ℓ (∂ ~ 1/ℓ)
// its size relative to the diffusion term (1/2) κ₂/λ ∂² is
//   r_k(u) = (2/k!) |κ_k(u,…,u)| / (κ₂(u,u) ℓ^{k−2})    along a unit direction u.
// We report r₃ and r₄ maximized over the principal directions of κ₂ (those with variance >
// 1e-12 of the largest).  ℓ defaults to the one-step spread √κ₂(u,u), where r₃ = |skew|/3 and
// r₄ = |excess kurtosis|/12 of one step — the scale-free Gaussianity of a single update, which
// shrinks as 1/√B and 1/B; pass the width of the stationary distribution (≈ √(T·D/U''))
// as `length_scale` to judge the FP equation on the scale where ρ varies.  Also
// `drift_to_spread` = |κ₁|/√tr κ₂: the mean step in units of its spread (λ small enough that
// the step's distribution varies slowly with θ needs this ≲ 1).  The cumulants are exact for
// the empirical training distribution (no sampling error); eq 13's β noise is Gaussian and
// only adds to κ₂.  Without replacement the batch is not i.i.d.; these are then upper bounds
// up to the finite-population factor (N−B)/(N−1) in κ₂.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Eigenvalues>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/derivatives/per_sample.hpp"

namespace shiftcurv {

struct sgd_step_cumulants_options {
  double learning_rate = 0;      ///< λ > 0
  index batch_size = 1;          ///< B ≥ 1
  double alpha = 0;              ///< eq 13 (drift αθ)
  double beta = 0;               ///< eq 13 (noise β: adds λTβ² I to κ₂)
  double length_scale = 0;       ///< ℓ > 0, or 0 for the one-step spread
  index max_tensor_dimension = 16;  ///< full κ₃, κ₄ tensors only when p ≤ this
  double tolerance = 0.1;        ///< status assumption_violated when r₃ or r₄ exceeds it
};

struct sgd_step_cumulants_result : result_base {
  vector mean;                   ///< κ₁ (p)
  matrix covariance;             ///< κ₂ (p×p)
  std::vector<double> third;     ///< κ₃[a + p(b + p c)], empty when p > max_tensor_dimension
  std::vector<double> fourth;    ///< κ₄[a + p(b + p(c + p d))], likewise
  vector principal_variances;    ///< eigenvalues of κ₂ (ascending)
  matrix principal_directions;   ///< its eigenvectors (columns)
  vector skewness;               ///< κ₃(u,u,u)/κ₂(u,u)^{3/2} per principal direction (0 if degenerate)
  vector excess_kurtosis;        ///< κ₄(u,u,u,u)/κ₂(u,u)² per principal direction
  double third_order_ratio = 0;  ///< max_u r₃(u)
  double fourth_order_ratio = 0; ///< max_u r₄(u)
  double drift_to_spread = 0;    ///< |κ₁| / √tr κ₂
  double temperature = 0;        ///< T = λ/B
};

/// Per-step cumulants of SGD at θ and their Kramers–Moyal ratios (see the header comment).
/// Throws domain_error unless λ > 0, α ≥ 0, ℓ ≥ 0; invalid_argument on B < 1, θ non-finite.
template <class F>
  requires per_sample_loss<F>
sgd_step_cumulants_result sgd_step_cumulants(const F& loss, const vector& theta, const sgd_step_cumulants_options& options) {
  constexpr const char* fn = "sgd_step_cumulants";
  require_positive(fn, "learning_rate", options.learning_rate);
  if (options.batch_size < 1) detail::throw_invalid(fn, "batch_size must be >= 1, got ", options.batch_size);
  require_finite(fn, "alpha", options.alpha);
  require_finite(fn, "beta", options.beta);
  require_finite(fn, "length_scale", options.length_scale);
  if (options.alpha < 0) detail::throw_domain(fn, "alpha must be >= 0, got ", options.alpha);
  if (options.length_scale < 0) detail::throw_domain(fn, "length_scale must be >= 0, got ", options.length_scale);
  const matrix G = sample_gradients(loss, theta);  // checks θ
  const index N = G.rows(), p = G.cols();
  const double lr = options.learning_rate, B = static_cast<double>(options.batch_size), T = lr / B;
  const vector gbar = G.colwise().mean().transpose();
  matrix C = G.rowwise() - gbar.transpose();  // centred, rows c_i
  const double invN = 1.0 / static_cast<double>(N);

  sgd_step_cumulants_result r;
  r.temperature = T;
  r.evaluations = N;
  r.mean = -lr * (gbar + options.alpha * theta);
  const matrix omega2 = invN * C.transpose() * C;
  r.covariance = lr * T * omega2;
  r.covariance.diagonal().array() += lr * T * options.beta * options.beta;
  // κ_k = (−1)^k λ T^{k−1} ω_k for k = 3, 4.
  const double c3 = -lr * T * T, c4 = lr * T * T * T;
  if (p <= options.max_tensor_dimension) {
    const auto P = static_cast<std::size_t>(p);
    r.third.assign(P * P * P, 0.0);
    r.fourth.assign(P * P * P * P, 0.0);
    for (index i = 0; i < N; ++i)
      for (std::size_t a = 0; a < P; ++a)
        for (std::size_t b = 0; b < P; ++b) {
          const double cab = C(i, static_cast<index>(a)) * C(i, static_cast<index>(b));
          for (std::size_t c = 0; c < P; ++c) {
            const double cabc = cab * C(i, static_cast<index>(c));
            r.third[a + P * (b + P * c)] += cabc * invN;
            for (std::size_t d = 0; d < P; ++d) r.fourth[a + P * (b + P * (c + P * d))] += cabc * C(i, static_cast<index>(d)) * invN;
          }
        }
    // ω₄ = µ₄ − (µ_ab µ_cd + µ_ac µ_bd + µ_ad µ_bc) for centred moments.
    for (std::size_t a = 0; a < P; ++a)
      for (std::size_t b = 0; b < P; ++b)
        for (std::size_t c = 0; c < P; ++c) {
          r.third[a + P * (b + P * c)] *= c3;
          for (std::size_t d = 0; d < P; ++d) {
            const auto m = [&](std::size_t x, std::size_t y) { return omega2(static_cast<index>(x), static_cast<index>(y)); };
            double& v = r.fourth[a + P * (b + P * (c + P * d))];
            v = c4 * (v - m(a, b) * m(c, d) - m(a, c) * m(b, d) - m(a, d) * m(b, c));
          }
        }
  }
  Eigen::SelfAdjointEigenSolver<matrix> eig(r.covariance);
  r.principal_variances = eig.eigenvalues();
  r.principal_directions = eig.eigenvectors();
  r.skewness = vector::Zero(p);
  r.excess_kurtosis = vector::Zero(p);
  const double vmax = std::max(0.0, r.principal_variances.maxCoeff());
  for (index j = 0; j < p; ++j) {
    const double var = r.principal_variances(j);
    if (!(var > 1e-12 * vmax) || vmax == 0) continue;
    // Directional cumulants from the projections z_i = u·c_i (exact, any p).
    const vector z = C * r.principal_directions.col(j);
    const double w2 = z.squaredNorm() * invN;
    const double w3 = z.array().cube().sum() * invN;
    const double w4 = z.array().square().square().sum() * invN - 3 * w2 * w2;
    const double k3 = c3 * w3, k4 = c4 * w4;
    r.skewness(j) = k3 / std::pow(var, 1.5);
    r.excess_kurtosis(j) = k4 / (var * var);
    const double ell = options.length_scale > 0 ? options.length_scale : std::sqrt(var);
    r.third_order_ratio = std::max(r.third_order_ratio, (1.0 / 3.0) * std::fabs(k3) / (var * ell));
    r.fourth_order_ratio = std::max(r.fourth_order_ratio, (1.0 / 12.0) * std::fabs(k4) / (var * ell * ell));
  }
  const double tr = r.covariance.trace();
  r.drift_to_spread = tr > 0 ? r.mean.norm() / std::sqrt(tr) : 0.0;
  if (r.third_order_ratio > options.tolerance || r.fourth_order_ratio > options.tolerance) {
    record_status(r, status::assumption_violated,
                  detail::message(fn, "Kramers-Moyal terms beyond second order are not small: r3 = ", r.third_order_ratio,
                                  ", r4 = ", r.fourth_order_ratio, " (tolerance ", options.tolerance,
                                  "); lower T = lambda/B or check the length scale"));
  }
  return r;
}

}  // namespace shiftcurv
