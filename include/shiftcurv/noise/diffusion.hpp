// shiftcurv/noise/diffusion.hpp — generic access to any diffusion model.
//
//   shiftcurv::constant_diffusion noise(0.5, 3);               // D = 0.5·I₃
//   auto Dv = shiftcurv::diffusion_times(noise, theta, v);     // D(θ)·v
//   auto div = shiftcurv::divergence(noise, theta);           // ∇·D(θ)
//
// The models themselves (one per header in this folder) satisfy the `diffusion_model`
// concept of core/concepts.hpp: `matrix(θ)`, `divergence(θ)`, `noise_factor(θ)` (F with
// D = F Fᵀ; the SDE noise is F ζ, ζ ~ N(0, I_m)) and optionally `apply(θ, v)`.
#pragma once

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"

namespace shiftcurv {

/// D(θ)·v, without forming D when the model can.
template <class M>
  requires diffusion_model<M>
vector diffusion_times(const M& model, const vector& theta, const vector& v) {
  require_finite("diffusion_times", "theta", theta);
  require_size("diffusion_times", "v", v.size(), theta.size());
  require_finite("diffusion_times", "v", v);
  if constexpr (has_diffusion_apply<M>)
    return model.apply(theta, v);
  else
    return model.matrix(theta) * v;
}

/// D(θ), checked input.
template <class M>
  requires diffusion_model<M>
matrix diffusion_matrix(const M& model, const vector& theta) {
  require_finite("diffusion_matrix", "theta", theta);
  return model.matrix(theta);
}

/// (∇·D)(θ)_i = Σ_j ∂_j D_ij(θ), checked input.
template <class M>
  requires diffusion_model<M>
vector divergence(const M& model, const vector& theta) {
  require_finite("divergence", "theta", theta);
  return model.divergence(theta);
}

}  // namespace shiftcurv
