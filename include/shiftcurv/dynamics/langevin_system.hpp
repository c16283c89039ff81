// shiftcurv/dynamics/langevin_system.hpp — the Itô SDE of SGD, dθ = −∇U dt + √(T·D(θ)) dW,
// as an odeint-style system: a pair (drift, diffusion) of functors.
//
//   shiftcurv::double_well U;
//   shiftcurv::constant_diffusion D(1.0, 2);
//   auto sys = shiftcurv::langevin_system(U, D, /*T=*/0.3);   // std::pair of functors
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
// √T·Aᵀ (p×N, A = (G − 1ḡᵀ)/√N), so D = AᵀA is never formed (THEORY.md "Objects").
//
// The functors keep references to the loss and the noise model: those must outlive the pair.
// They are called concurrently from ensemble threads, so they must be safe to call const.
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

/// f(θ) = −∇U(θ), by the derivative route of derivatives.hpp.
template <class Loss>
struct langevin_drift {
  std::reference_wrapper<const Loss> loss;
  void operator()(const vector& theta, vector& f) const { f = -detail::gradient_unchecked(loss.get(), theta); }
};

/// G(θ) = √T·F(θ) with F the model's noise factor, D = F Fᵀ.
template <class Model>
struct langevin_diffusion {
  std::reference_wrapper<const Model> model;
  double sqrt_temperature;
  void operator()(const vector& theta, matrix& G) const { G = sqrt_temperature * model.get().noise_factor(theta); }
};

/// The pair (−∇U, √T·F) for dθ = −∇U dt + √(T·D) dW; throws domain_error unless T > 0.
template <class Loss, class Model>
  requires loss_function<Loss> && diffusion_model<Model>
std::pair<langevin_drift<Loss>, langevin_diffusion<Model>> langevin_system(const Loss& loss, const Model& noise,
                                                                          double T) {
  require_temperature("langevin_system", T);
  return {langevin_drift<Loss>{std::cref(loss)}, langevin_diffusion<Model>{std::cref(noise), std::sqrt(T)}};
}

/// −ḡ(θ) = −(1/N) Σ g_i(θ) of a per-sample loss.
template <class F>
struct per_sample_drift {
  std::reference_wrapper<const F> samples;
  void operator()(const vector& theta, vector& f) const {
    const F& s = samples.get();
    const index n = static_cast<index>(s.num_samples());
    vector g(theta.size());
    f.setZero(theta.size());
    for (index i = 0; i < n; ++i) {
      s.gradient(theta, i, g);
      f -= g;
    }
    f /= static_cast<double>(n);
  }
};

/// √T·Aᵀ (p×N) with A = (G − 1ḡᵀ)/√N: the noise √(T D)·ξ is √T·Aᵀζ, ζ ~ N(0, I_N).
template <class F>
struct per_sample_diffusion {
  std::reference_wrapper<const F> samples;
  double sqrt_temperature;
  void operator()(const vector& theta, matrix& G) const {
    const F& s = samples.get();
    const index n = static_cast<index>(s.num_samples());
    G.resize(theta.size(), n);
    vector g(theta.size());
    for (index i = 0; i < n; ++i) {
      s.gradient(theta, i, g);
      G.col(i) = g;
    }
    const vector mean = G.rowwise().mean();
    G.colwise() -= mean;
    G *= sqrt_temperature / std::sqrt(static_cast<double>(n));
  }
};

/// The pair (−ḡ, √T·Aᵀ) of a per-sample loss; throws unless T > 0 and N ≥ 1.
template <class F>
  requires per_sample_loss<F>
std::pair<per_sample_drift<F>, per_sample_diffusion<F>> per_sample_langevin_system(const F& samples, double T) {
  require_temperature("per_sample_langevin_system", T);
  detail::checked_num_samples("per_sample_langevin_system", samples);
  return {per_sample_drift<F>{std::cref(samples)}, per_sample_diffusion<F>{std::cref(samples), std::sqrt(T)}};
}

}  // namespace shiftcurv
