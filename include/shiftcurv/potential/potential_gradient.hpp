// shiftcurv/potential/potential_gradient.hpp — the steady-state drift V(θ, T) whose line
// integral is the effective potential (THEORY.md, "Steady state and effective potential").
//
//   shiftcurv::b1_case3 c({1.0, 2.0}, 0.7);                      // a loss and a diffusion model
//   shiftcurv::vector th(2); th << 0.3, -0.4;
//   auto V = shiftcurv::potential_gradient(c.loss, c.noise, /*T=*/0.1, th);
//   //  V = D(θ)⁻¹ ( ∇U(θ) + (T/2) ∇·D(θ) ),  ∇ log ρ = −(2/T) V
//   auto J = shiftcurv::potential_jacobian(c.loss, c.noise, 0.1, th);    // ∂V_i/∂θ_j
//   auto H = shiftcurv::potential_hessian_at(c.loss, c.noise, 0.1, mu);  // ∇²v where V(µ) = 0
//   auto op = shiftcurv::overparametrized(c.loss, c.noise, /*alpha=*/1e-3, /*beta=*/0.1);
//   auto Vop = shiftcurv::potential_gradient(op, 0.1, th);      // (D+β²I)⁻¹(∇U + αθ + (T/2)∇·D)
//
// Contract (arguments always (loss, noise, T, θ)):
// * `potential_gradient`: V = D⁻¹(∇U + (T/2)∇·D); D⁻¹ multiplies BOTH terms (THEORY.md's
//   correction to the paper's eq 5).  A Cholesky solve (never an explicit inverse): exact up
//   to the derivative routes (derivatives/derivatives.hpp) and ≈ ε·cond(D) relative rounding.
// * `potential_jacobian`: ∂V_i/∂θ_j anywhere, by central differences of V (2p evaluations of
//   V, step ε^{1/3}·max(1,|θ_j|), ≈ 1e-10 relative).
// * `divergence_jacobian(noise, θ)`: ∇(∇·D) (row i = ∇ of the i-th entry), central differences.
// * `potential_hessian_at`: ∇²v = D⁻¹(∇²U + (T/2)∇(∇·D)), exact at a critical point of v
//   (V = 0; elsewhere it drops the ∇D⁻¹ term); not symmetrized.
//
// Throws shiftcurv::invalid_argument (θ empty, NaN/Inf, θ's size differs from the loss's or
// the model's dimension(), D(θ) not p×p) and shiftcurv::domain_error (T ≤ 0, D(θ) not
// positive definite: V, and hence v, does not exist there; for a rank-deficient gradient
// covariance use the over-parametrized β > 0 variant).  Messages name the function called.
#pragma once

#include <cmath>
#include <string_view>

#include <Eigen/Cholesky>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/detail/spd.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/derivatives/finite_difference.hpp"
#include "shiftcurv/noise/overparametrized.hpp"

namespace shiftcurv {

namespace detail {

/// D(θ), checked to be p×p; invalid_argument naming `fn` otherwise.
template <class Noise>
matrix checked_diffusion_matrix(std::string_view fn, const Noise& noise, const vector& theta) {
  matrix D = noise.matrix(theta);
  if (D.rows() != theta.size() || D.cols() != theta.size())
    throw_invalid(fn, "the diffusion model's D(theta) is ", D.rows(), "x", D.cols(), ", expected ",
                  theta.size(), "x", theta.size(), " (the size of theta)");
  return D;
}

/// Cholesky factorization of D(θ); throws domain_error naming `fn` if it is not PD.
template <class Noise>
Eigen::LLT<matrix> diffusion_cholesky(std::string_view fn, const Noise& noise, const vector& theta) {
  return checked_cholesky(fn, "D(theta)", checked_diffusion_matrix(fn, noise, theta));
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

/// θ non-empty and finite, and of the dimension the loss and the noise model declare.
template <class Loss, class Noise>
void check_model_point(std::string_view fn, std::string_view name, const Loss& loss, const Noise& noise,
                 const vector& theta) {
  if (theta.size() < 1) throw_invalid(fn, name, " must not be empty");
  require_finite(fn, name, theta);
  require_dimension(fn, name, loss, theta.size());
  require_dimension(fn, name, noise, theta.size());
}

/// T finite and > 0, θ as check_model_point.
template <class Loss, class Noise>
void check_T_theta(std::string_view fn, const Loss& loss, const Noise& noise, double T, const vector& theta) {
  require_temperature(fn, T);
  check_model_point(fn, "theta", loss, noise, theta);
}

/// T and θ without the dimension checks (for callers without a loss at hand).
inline void check_theta_T(std::string_view fn, const vector& theta, double T) {
  require_temperature(fn, T);
  if (theta.size() < 1) throw_invalid(fn, "theta must not be empty");
  require_finite(fn, "theta", theta);
}

template <class Loss, class Noise>
matrix potential_jacobian(std::string_view fn, const Loss& loss, const Noise& noise, double T,
                          const vector& theta) {
  return fd_jacobian([&](const vector& x) { return potential_gradient_unchecked(fn, loss, noise, x, T); },
                     theta);
}

template <class Noise>
matrix divergence_jacobian(const Noise& noise, const vector& theta) {
  return fd_jacobian([&](const vector& x) { return vector(noise.divergence(x)); }, theta);
}

/// ∇²v at θ for callers that checked their input; errors name `fn`.
template <class Loss, class Noise>
matrix potential_hessian_at(std::string_view fn, const Loss& loss, const Noise& noise, double T,
                            const vector& theta) {
  matrix M = hessian_unchecked(loss, theta);
  M.noalias() += (0.5 * T) * detail::divergence_jacobian(noise, theta);
  const matrix D = checked_diffusion_matrix(fn, noise, theta);
  if (D.isDiagonal(0.0) && D.allFinite() && (D.diagonal().array() > 0).all())
    return D.diagonal().cwiseInverse().asDiagonal() * M;  // diagonal D: a row scaling, O(p²)
  return checked_cholesky(fn, "D(theta)", D).solve(M);
}

}  // namespace detail

/// V(θ, T) = D(θ)⁻¹(∇U(θ) + (T/2)∇·D(θ)).  Throws as the header comment says.
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
vector potential_gradient(const Loss& loss, const Noise& noise, double T, const vector& theta) {
  constexpr std::string_view fn = "potential_gradient";
  detail::check_T_theta(fn, loss, noise, T, theta);
  return detail::potential_gradient_unchecked(fn, loss, noise, theta, T);
}

/// The over-parametrized variant (eq 13): (D + β²I)⁻¹(∇U + αθ + (T/2)∇·D).
template <class Loss, class Noise>
vector potential_gradient(const overparametrized_model<Loss, Noise>& model, double T, const vector& theta) {
  return potential_gradient(model.loss, model.noise, T, theta);
}

/// ∂V_i/∂θ_j by central differences of V (2p evaluations; see the header comment).
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
matrix potential_jacobian(const Loss& loss, const Noise& noise, double T, const vector& theta) {
  constexpr std::string_view fn = "potential_jacobian";
  detail::check_T_theta(fn, loss, noise, T, theta);
  return detail::potential_jacobian(fn, loss, noise, T, theta);
}

/// ∇(∇·D)(θ) (p×p, row i = ∇ of the i-th divergence entry) by central differences.
template <class Noise>
  requires diffusion_model<Noise>
matrix divergence_jacobian(const Noise& noise, const vector& theta) {
  constexpr std::string_view fn = "divergence_jacobian";
  if (theta.size() < 1) detail::throw_invalid(fn, "theta must not be empty");
  require_finite(fn, "theta", theta);
  require_dimension(fn, "theta", noise, theta.size());
  const vector div = noise.divergence(theta);
  require_size(fn, "the diffusion model's divergence", div.size(), theta.size());
  return detail::divergence_jacobian(noise, theta);
}

/// ∇²v = D⁻¹(∇²U + (T/2)∇(∇·D)) at a critical point of v (V = 0); not symmetrized.
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
matrix potential_hessian_at(const Loss& loss, const Noise& noise, double T, const vector& theta) {
  constexpr std::string_view fn = "potential_hessian_at";
  detail::check_T_theta(fn, loss, noise, T, theta);
  return detail::potential_hessian_at(fn, loss, noise, T, theta);
}

}  // namespace shiftcurv
