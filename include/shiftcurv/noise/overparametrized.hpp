// shiftcurv/noise/overparametrized.hpp — the over-parametrized modification of eq 13:
// SGD with an ℓ2 drift αθ and extra isotropic noise β: ∇U → ∇U + αθ, D → D + β²I.
//
//   auto op = shiftcurv::overparametrized(train_loss, noise, /*alpha=*/1e-3, /*beta=*/1e-2);
//   shiftcurv::gradient(op.loss, theta);   // ∇U_tr + αθ
//   op.noise.matrix(theta);                // D + β²I, invertible for β ≠ 0
#pragma once

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"

namespace shiftcurv {

/// U(θ) + (α/2)|θ|²: its gradient carries the drift αθ.
template <class L>
  requires loss_function<L>
struct with_l2_drift {
  L loss;
  double alpha = 0;
  index dimension() const requires has_dimension<L> { return loss.dimension(); }
  double operator()(const vector& theta) const {
    return detail::value_unchecked(loss, theta) + 0.5 * alpha * theta.squaredNorm();
  }
  vector gradient(const vector& theta) const {
    return detail::gradient_unchecked(loss, theta) + alpha * theta;
  }
  matrix hessian(const vector& theta) const {
    matrix H = detail::hessian_unchecked(loss, theta);
    H.diagonal().array() += alpha;
    return H;
  }
  vector hvp(const vector& theta, const vector& v) const {
    return detail::hvp_unchecked(loss, theta, v) + alpha * v;
  }
};

/// D(θ) + β²I, with noise factor [F(θ), β I] (p×(m+p)) so that F Fᵀ = D + β²I.
template <class M>
  requires diffusion_model<M>
struct with_isotropic_noise {
  M base;
  double beta = 0;
  index dimension() const requires has_dimension<M> { return base.dimension(); }
  shiftcurv::matrix matrix(const vector& theta) const {
    shiftcurv::matrix D = base.matrix(theta);
    D.diagonal().array() += beta * beta;
    return D;
  }
  vector divergence(const vector& theta) const { return base.divergence(theta); }
  shiftcurv::matrix noise_factor(const vector& theta) const {
    const shiftcurv::matrix F = base.noise_factor(theta);
    const index p = theta.size();
    shiftcurv::matrix out(p, F.cols() + p);
    out << F, beta * shiftcurv::matrix::Identity(p, p);
    return out;
  }
  vector apply(const vector& theta, const vector& v) const {
    if constexpr (has_diffusion_apply<M>)
      return base.apply(theta, v) + beta * beta * v;
    else
      return base.matrix(theta) * v + beta * beta * v;
  }
};

template <class L, class M>
struct overparametrized_model {
  with_l2_drift<L> loss;
  with_isotropic_noise<M> noise;
};

/// The pair (U + α|θ|²/2, D + β²I); throws invalid_argument unless α and β are finite,
/// domain_error if α < 0.
template <class L, class M>
  requires loss_function<L> && diffusion_model<M>
overparametrized_model<L, M> overparametrized(L loss, M noise, double alpha, double beta) {
  require_finite("overparametrized", "alpha", alpha);
  require_finite("overparametrized", "beta", beta);
  if (alpha < 0) detail::throw_domain("overparametrized", "alpha must be >= 0, got ", alpha);
  return {{std::move(loss), alpha}, {std::move(noise), beta}};
}

}  // namespace shiftcurv
