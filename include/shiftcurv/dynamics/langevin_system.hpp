// shiftcurv/dynamics/langevin_system.hpp — the Itô SDE of SGD, dθ = −∇U dt + √(T·D(θ)) dW,
// as an odeint-style system: a pair (drift, diffusion) of functors.
//
//   shiftcurv::double_well U;
//   shiftcurv::constant_diffusion D(1.0, 2);
//   auto sys = shiftcurv::langevin_system(U, D, /*T=*/0.3);   // std::pair of functors (copies of U, D)
//   shiftcurv::vector f(2); shiftcurv::matrix G;
//   sys.first(theta, f);     // f = −∇U(θ)
//   sys.second(theta, G);    // G = √T·F(θ), F the model's noise factor (D = F Fᵀ)
//
// The pair is what the steppers of sde_steppers.hpp (and boost::numeric::odeint::
// integrate_const with them) take, following odeint's stochastic_euler example.  Any user
// pair works too: drift(x, f[, t]) and either diffusion(x, G[, t]) with G a p×m matrix
// (general noise, dW ∈ Rᵐ) or diffusion(x, g[, t]) with g a vector (diagonal noise).
//
// For a per-sample loss use `per_sample_langevin_system(loss, T)`: drift −ḡ, noise factor
// √T·Aᵀ (p×N, A = (G − 1ḡᵀ)/√N), so D = AᵀA is never formed (THEORY.md "Objects").  Both need
// all N per-sample gradients; the returned object is a std::pair (drift, diffusion) that also
// has `drift_and_noise(θ, f, G)`, which the steppers call at the start of each step, so
// Euler–Maruyama evaluates the N gradients once per step instead of twice (Milstein: (N + 1)·N
// instead of (N + 2)·N, weak-2: (4N + 2)·N instead of (4N + 3)·N).  Separate and combined
// evaluation share one summation order, so they give bit-identical results; the combined call
// keeps no state (its workspace is local), so one system object is safe across ensemble threads.
//
// Lifetimes: langevin_system stores COPIES of the loss and the diffusion model (odeint's
// convention; temporaries are fine, and a loss holding large data should hold it by pointer).
// per_sample_langevin_system keeps a REFERENCE to the data set, which must outlive the pair;
// passing a temporary data set does not compile (deleted rvalue overload).  The functors are
// called concurrently from ensemble threads, so they must be safe to call const.
#pragma once

#include <cmath>
#include <concepts>
#include <functional>
#include <utility>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/derivatives/per_sample.hpp"

namespace shiftcurv {

/// f(θ) = −∇U(θ), by the derivative route of derivatives.hpp.  Holds its own copy of the loss.
template <class Loss>
struct langevin_drift {
  Loss loss;
  void operator()(const vector& theta, vector& f) const { f = -detail::gradient_unchecked(loss, theta); }
};

/// G(θ) = √T·F(θ) with F the model's noise factor, D = F Fᵀ.  Holds its own copy of the model.
template <class Model>
struct langevin_diffusion {
  Model model;
  double sqrt_temperature;
  void operator()(const vector& theta, matrix& G) const { G = sqrt_temperature * model.noise_factor(theta); }
};

/// The pair (−∇U, √T·F) for dθ = −∇U dt + √(T·D) dW, holding COPIES of the loss and the
/// model (odeint's convention: temporaries are safe).  Throws domain_error unless T > 0.
template <class Loss, class Model>
  requires loss_function<Loss> && diffusion_model<Model>
std::pair<langevin_drift<Loss>, langevin_diffusion<Model>> langevin_system(const Loss& loss, const Model& noise,
                                                                          double T) {
  require_temperature("langevin_system", T);
  return {langevin_drift<Loss>{loss}, langevin_diffusion<Model>{noise, std::sqrt(T)}};
}

namespace detail {

/// ḡ(θ) = (1/N) Σ g_i(θ), summed in sample order; with `columns`, g_i is also stored as column
/// i of it (p×N).  The drift, the diffusion and their combined evaluation all go through here,
/// so they agree bit for bit.
template <class F>
vector per_sample_mean_gradient(const F& s, const vector& theta, matrix* columns) {
  const index n = static_cast<index>(s.num_samples());
  vector g(theta.size());
  vector sum = vector::Zero(theta.size());
  if (columns != nullptr) columns->resize(theta.size(), n);
  for (index i = 0; i < n; ++i) {
    s.gradient(theta, i, g);
    if (columns != nullptr) columns->col(i) = g;
    sum += g;
  }
  return sum / static_cast<double>(n);
}

/// G ← √T·(G − ḡ1ᵀ)/√N: the per-sample gradient columns turned into √T·Aᵀ.
inline void per_sample_noise_from_columns(matrix& G, const vector& mean, double sqrt_temperature) {
  G.colwise() -= mean;
  G *= sqrt_temperature / std::sqrt(static_cast<double>(G.cols()));
}

}  // namespace detail

/// −ḡ(θ) = −(1/N) Σ g_i(θ) of a per-sample loss.
template <class F>
struct per_sample_drift {
  std::reference_wrapper<const F> samples;
  void operator()(const vector& theta, vector& f) const {
    f = -detail::per_sample_mean_gradient(samples.get(), theta, nullptr);
  }
};

/// √T·Aᵀ (p×N) with A = (G − 1ḡᵀ)/√N: the noise √(T D)·ξ is √T·Aᵀζ, ζ ~ N(0, I_N).
template <class F>
struct per_sample_diffusion {
  std::reference_wrapper<const F> samples;
  double sqrt_temperature;
  void operator()(const vector& theta, matrix& G) const {
    const vector mean = detail::per_sample_mean_gradient(samples.get(), theta, &G);
    detail::per_sample_noise_from_columns(G, mean, sqrt_temperature);
  }
};

/// The system of per_sample_langevin_system: the pair (−ḡ, √T·Aᵀ) plus their combined
/// evaluation from one sweep over the N per-sample gradients (see sde_steppers.hpp).
template <class F>
struct per_sample_langevin_pair : std::pair<per_sample_drift<F>, per_sample_diffusion<F>> {
  using std::pair<per_sample_drift<F>, per_sample_diffusion<F>>::pair;
  /// f = −ḡ(θ) and G = √T·Aᵀ(θ), equal bit for bit to first(θ, f) and second(θ, G) (it uses
  /// first's loss and second's √T, which per_sample_langevin_system makes the same loss).
  void drift_and_noise(const vector& theta, vector& f, matrix& G) const {
    const vector mean = detail::per_sample_mean_gradient(this->first.samples.get(), theta, &G);
    f = -mean;
    detail::per_sample_noise_from_columns(G, mean, this->second.sqrt_temperature);
  }
};

/// The pair (−ḡ, √T·Aᵀ) of a per-sample loss, with combined evaluation; throws domain_error
/// unless T > 0 (invalid_argument for a NaN T), invalid_argument unless N ≥ 1.  It converts to
/// the plain std::pair (which evaluates the parts separately).  Keeps a REFERENCE to the data
/// set (which may be large): `samples` must outlive the pair, and a temporary is rejected at
/// compile time (the rvalue overload is deleted).
template <class F>
  requires per_sample_loss<F>
per_sample_langevin_pair<F> per_sample_langevin_system(const F& samples, double T) {
  require_temperature("per_sample_langevin_system", T);
  detail::checked_num_samples("per_sample_langevin_system", samples);
  return per_sample_langevin_pair<F>(per_sample_drift<F>{std::cref(samples)},
                                     per_sample_diffusion<F>{std::cref(samples), std::sqrt(T)});
}
template <class F>
  requires per_sample_loss<F>
void per_sample_langevin_system(const F&& samples, double T) = delete;

}  // namespace shiftcurv
