// shiftcurv/noise/gradient_covariance.hpp — SGD's own noise: the covariance of the per-sample
// gradients of a dataset loss (THEORY.md "Objects").
//
//   shiftcurv::gradient_covariance noise{my_per_sample_loss};
//   auto A  = shiftcurv::low_rank_factor(my_per_sample_loss, theta);  // N×p, D = AᵀA
//   auto Dv = noise.apply(theta, v);                                 // Aᵀ(A v), D never formed
//   auto F  = noise.noise_factor(theta);                             // Aᵀ (p×N): √D·ξ = Aᵀζ
//   auto div = noise.divergence(theta);                              // ∇·D
//
// D(θ) = (1/N) Σ_i (g_i − ḡ)(g_i − ḡ)ᵀ has rank ≤ min(p, N−1); for large p use `apply` and
// `noise_factor`, never `matrix`.  Its divergence, with c_i = g_i − ḡ and H_i the per-sample
// Hessians, is (∇·D) = (1/N) Σ_i [H_i c_i + c_i tr(H_i)] (the H̄ terms cancel since Σ c_i = 0);
// H_i come from the functor's per-sample Hessian/HVP when it gives them, else from finite
// differences of its per-sample gradient (derivatives/per_sample.hpp).
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
    require_size("gradient_covariance::apply", "v", v.size(), theta.size());
    const shiftcurv::matrix A = detail::low_rank_factor("gradient_covariance::apply", samples, theta);
    return A.transpose() * (A * v);
  }
  shiftcurv::matrix noise_factor(const vector& theta) const {
    return detail::low_rank_factor("gradient_covariance::noise_factor", samples, theta).transpose();
  }
  vector divergence(const vector& theta) const {
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
