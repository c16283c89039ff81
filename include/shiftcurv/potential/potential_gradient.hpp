// shiftcurv/potential/potential_gradient.hpp — the steady-state drift V(θ, T) whose line
// integral is the effective potential (THEORY.md, "Steady state and effective potential").
//
//   shiftcurv::b1_case3 c({1.0, 2.0}, 0.7);                      // a loss and a diffusion model
//   shiftcurv::vector th(2); th << 0.3, -0.4;
//   auto V = shiftcurv::potential_gradient(c.loss, c.noise, th, /*T=*/0.1);
//   //  V = D(θ)⁻¹ ( ∇U(θ) + (T/2) ∇·D(θ) ),  ∇ log ρ = −(2/T) V
//   auto op = shiftcurv::overparametrized(c.loss, c.noise, /*alpha=*/1e-3, /*beta=*/0.1);
//   auto Vop = shiftcurv::potential_gradient(op, th, 0.1);      // (D+β²I)⁻¹(∇U + αθ + (T/2)∇·D)
//
// This is the drift of the zero-current steady state of the paper's eq 24 / Appendix B.1
// (Bradley, Gomez-Uribe & Vuyyuru, "Shift-curvature, SGD, and generalization").
// D⁻¹ multiplies BOTH terms (the correction in THEORY.md to the paper's eq 5).  The solve is
// a Cholesky factorization of D(θ) (Eigen::LLT), never an explicit inverse; a D(θ) that is not
// positive definite throws shiftcurv::domain_error (V, and hence v, does not exist there; for
// a rank-deficient gradient covariance use the over-parametrized β > 0 variant).  V is exact
// up to the accuracy of the derivative routes (derivatives/derivatives.hpp) and the rounding
// of the solve (≈ ε·cond(D) relative).
//
// `potential_hessian_at(loss, noise, θ, T)` is ∇²v = D⁻¹(∇²U + (T/2)∇(∇·D)), exact at a
// critical point of v (where V = 0), with ∇(∇·D) by central differences of the divergence
// (step ε^{1/3}·max(1,|θ_j|), error ≈ 1e-10 relative; exactly zero for a constant D).
// `potential_jacobian(loss, noise, θ, T)` is ∂V_i/∂θ_j anywhere, by central differences of V
// (same step; 2p evaluations of V).
#pragma once

#include <cmath>
#include <string_view>

#include <Eigen/Cholesky>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/derivatives/detail/finite_difference.hpp"
#include "shiftcurv/noise/overparametrized.hpp"

namespace shiftcurv {

namespace detail {

/// Cholesky factorization of D(θ); throws domain_error naming `fn` if it is not PD.
template <class Noise>
Eigen::LLT<matrix> diffusion_cholesky(std::string_view fn, const Noise& noise, const vector& theta) {
  const matrix D = noise.matrix(theta);
  if (D.rows() != theta.size() || D.cols() != theta.size())
    throw_invalid(fn, "D(theta) is ", D.rows(), "x", D.cols(), ", expected ", theta.size(), "x",
                  theta.size());
  Eigen::LLT<matrix> llt(D);
  if (llt.info() != Eigen::Success || !D.allFinite())
    throw_domain(fn, "D(theta) must be positive definite, its Cholesky factorization failed at theta = (",
                 theta.transpose(), ") (min diagonal ", D.diagonal().minCoeff(), ")");
  return llt;
}

/// ∇U + (T/2)∇·D: the drift numerator, zero exactly where V is.
template <class Loss, class Noise>
vector drift_numerator(const Loss& loss, const Noise& noise, const vector& theta, double T) {
  vector n = gradient_unchecked(loss, theta);
  n.noalias() += (0.5 * T) * noise.divergence(theta);
  return n;
}

template <class Loss, class Noise>
vector potential_gradient_unchecked(std::string_view fn, const Loss& loss, const Noise& noise,
                                    const vector& theta, double T) {
  const auto llt = diffusion_cholesky(fn, noise, theta);
  return llt.solve(drift_numerator(loss, noise, theta, T));
}

inline void check_theta_T(std::string_view fn, const vector& theta, double T) {
  require_temperature(fn, T);
  if (theta.size() < 1) throw_invalid(fn, "theta must not be empty");
  require_finite(fn, "theta", theta);
}

}  // namespace detail

/// V(θ, T) = D(θ)⁻¹(∇U(θ) + (T/2)∇·D(θ)).  Throws invalid_argument (NaN/empty θ),
/// domain_error (T ≤ 0, D(θ) not positive definite).
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
vector potential_gradient(const Loss& loss, const Noise& noise, const vector& theta, double T) {
  detail::check_theta_T("potential_gradient", theta, T);
  return detail::potential_gradient_unchecked("potential_gradient", loss, noise, theta, T);
}

/// The over-parametrized variant (eq 13): (D + β²I)⁻¹(∇U + αθ + (T/2)∇·D).
template <class Loss, class Noise>
vector potential_gradient(const overparametrized_model<Loss, Noise>& model, const vector& theta, double T) {
  return potential_gradient(model.loss, model.noise, theta, T);
}

/// ∂V_i/∂θ_j by central differences of V (2p evaluations; see the header comment).
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
matrix potential_jacobian(const Loss& loss, const Noise& noise, const vector& theta, double T) {
  constexpr std::string_view fn = "potential_jacobian";
  detail::check_theta_T(fn, theta, T);
  const index p = theta.size();
  matrix J(p, p);
  vector x = theta;
  for (index j = 0; j < p; ++j) {
    const double h = detail::fd_step(theta(j), detail::fd_scale_first());
    x(j) = theta(j) + h;
    const vector vp = detail::potential_gradient_unchecked(fn, loss, noise, x, T);
    x(j) = theta(j) - h;
    const vector vm = detail::potential_gradient_unchecked(fn, loss, noise, x, T);
    x(j) = theta(j);
    J.col(j) = (vp - vm) / (2 * h);
  }
  return J;
}

/// ∇(∇·D)(θ) (p×p, row i = ∇ of the i-th divergence entry) by central differences.
template <class Noise>
  requires diffusion_model<Noise>
matrix divergence_jacobian(const Noise& noise, const vector& theta) {
  require_finite("divergence_jacobian", "theta", theta);
  const index p = theta.size();
  matrix J(p, p);
  vector x = theta;
  for (index j = 0; j < p; ++j) {
    const double h = detail::fd_step(theta(j), detail::fd_scale_first());
    x(j) = theta(j) + h;
    const vector dp = noise.divergence(x);
    x(j) = theta(j) - h;
    const vector dm = noise.divergence(x);
    x(j) = theta(j);
    J.col(j) = (dp - dm) / (2 * h);
  }
  return J;
}

/// ∇²v = D⁻¹(∇²U + (T/2)∇(∇·D)) at a critical point of v (V = 0); not symmetrized.
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
matrix potential_hessian_at(const Loss& loss, const Noise& noise, const vector& theta, double T) {
  constexpr std::string_view fn = "potential_hessian_at";
  detail::check_theta_T(fn, theta, T);
  matrix M = detail::hessian_unchecked(loss, theta);
  M.noalias() += (0.5 * T) * divergence_jacobian(noise, theta);
  const matrix D = noise.matrix(theta);
  if (D.rows() == M.rows() && D.cols() == M.cols() && D.isDiagonal(0.0) && D.allFinite()) {
    // A diagonal D (isotropic or axis-aligned noise): D⁻¹M is a row scaling, O(p²).
    if (!(D.diagonal().array() > 0).all())
      detail::throw_domain(fn, "D(theta) must be positive definite, min diagonal ", D.diagonal().minCoeff());
    return D.diagonal().cwiseInverse().asDiagonal() * M;
  }
  const auto llt = detail::diffusion_cholesky(fn, noise, theta);
  return llt.solve(M);
}

}  // namespace shiftcurv
