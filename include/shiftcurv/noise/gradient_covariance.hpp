// shiftcurv/noise/gradient_covariance.hpp — SGD's own noise: the covariance of the per-sample
// gradients of a dataset loss (THEORY.md "Objects").
//
//   shiftcurv::gradient_covariance noise{my_per_sample_loss};
//   auto A  = shiftcurv::low_rank_factor(my_per_sample_loss, theta);  // N×p, D = AᵀA
//   auto Dv = noise.apply(theta, v);                                 // Aᵀ(A v), D never formed
//   auto F  = noise.noise_factor(theta);                             // Aᵀ (p×N): √D·ξ = Aᵀζ
//   auto div = noise.divergence(theta);                              // ∇·D
//   double t = noise.trace(theta);                                   // tr D
//
// D(θ) = (1/N) Σ_i (g_i − ḡ)(g_i − ḡ)ᵀ has rank ≤ min(p, N−1); for large p use `apply` and
// `noise_factor`, never `matrix`.  Its divergence, with c_i = g_i − ḡ and H_i the per-sample
// Hessians, is (∇·D) = (1/N) Σ_i [H_i c_i + c_i tr(H_i)] (the H̄ terms cancel since Σ c_i = 0);
// H_i come from the functor's per-sample Hessian/HVP when it gives them, else from finite
// differences of its per-sample gradient (derivatives/per_sample.hpp).
// A loss with batched members (core/concepts.hpp) is used through them: covariance_apply for
// `apply`, covariance_trace for `trace`, covariance_divergence for `divergence`, and
// sample_gradients for the factor.  D is the population covariance (1/N) of the samples the
// loss holds: on a subsample, N is the subsample's size.
#pragma once

#include <cmath>
#include <string_view>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/derivatives/per_sample.hpp"

namespace shiftcurv {

namespace detail {
template <class F>
matrix low_rank_factor(std::string_view fn, const F& f, const vector& theta) {
  matrix G = detail::sample_gradients(fn, f, theta);
  const double n = static_cast<double>(G.rows());
  const vector mean = G.colwise().mean().transpose();
  G.rowwise() -= mean.transpose();
  return G / std::sqrt(n);
}
}  // namespace detail

/// A = (G − 1ḡᵀ)/√N (N×p), so that D = AᵀA.  Throws invalid_argument (no samples, θ empty,
/// not finite or of a size other than the loss's dimension()).
template <class F>
  requires per_sample_loss<F>
matrix low_rank_factor(const F& f, const vector& theta) {
  return detail::low_rank_factor("low_rank_factor", f, theta);
}

template <class F>
  requires per_sample_loss<F>
struct gradient_covariance {
  F samples;

  index dimension() const requires has_dimension<F> { return samples.dimension(); }
  shiftcurv::matrix factor(const vector& theta) const {
    return detail::low_rank_factor("gradient_covariance::factor", samples, theta);
  }
  shiftcurv::matrix matrix(const vector& theta) const {
    const shiftcurv::matrix A = detail::low_rank_factor("gradient_covariance::matrix", samples, theta);
    return A.transpose() * A;
  }
  vector apply(const vector& theta, const vector& v) const {
    constexpr std::string_view fn = "gradient_covariance::apply";
    require_size(fn, "v", v.size(), theta.size());
    if constexpr (has_batched_covariance<F>) {
      detail::check_sample_point(fn, samples, theta);
      require_finite(fn, "v", v);
      vector out = samples.covariance_apply(theta, v);
      require_size(fn, "the loss's covariance_apply", out.size(), theta.size());
      return out;
    } else {
      const shiftcurv::matrix A = detail::low_rank_factor(fn, samples, theta);
      return A.transpose() * (A * v);
    }
  }
  /// tr D(θ) = (1/N) Σ |g_i − ḡ|² (the loss's covariance_trace when it has one).
  double trace(const vector& theta) const {
    constexpr std::string_view fn = "gradient_covariance::trace";
    if constexpr (has_batched_covariance<F>) {
      detail::check_sample_point(fn, samples, theta);
      return static_cast<double>(samples.covariance_trace(theta));
    } else {
      return detail::low_rank_factor(fn, samples, theta).squaredNorm();
    }
  }
  shiftcurv::matrix noise_factor(const vector& theta) const {
    return detail::low_rank_factor("gradient_covariance::noise_factor", samples, theta).transpose();
  }
  vector divergence(const vector& theta) const {
    if constexpr (has_batched_covariance_divergence<F>) {
      constexpr std::string_view fn = "gradient_covariance::divergence";
      detail::check_sample_point(fn, samples, theta);
      vector out = samples.covariance_divergence(theta);
      require_size(fn, "the loss's covariance_divergence", out.size(), theta.size());
      return out;
    }
    // rows c_i/√N
    const shiftcurv::matrix A = detail::low_rank_factor("gradient_covariance::divergence", samples, theta);
    const double n = static_cast<double>(A.rows());
    vector div = vector::Zero(theta.size());
    for (index i = 0; i < A.rows(); ++i) {
      const shiftcurv::matrix H = detail::sample_hessian(samples, theta, i);
      const vector c = A.row(i).transpose() * std::sqrt(n);
      div += H * c + c * H.trace();
    }
    return div / n;
  }
};
template <class F>
gradient_covariance(F) -> gradient_covariance<F>;

}  // namespace shiftcurv
