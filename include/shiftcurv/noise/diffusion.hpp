// shiftcurv/noise/diffusion.hpp — generic access to any diffusion model.
//
//   shiftcurv::constant_diffusion noise(0.5, 3);               // D = 0.5·I₃
//   auto Dv = shiftcurv::diffusion_times(noise, theta, v);     // D(θ)·v
//   auto div = shiftcurv::divergence(noise, theta);           // ∇·D(θ)
//
// The models themselves (one per header in this folder) satisfy the `diffusion_model`
// concept of core/concepts.hpp: `matrix(θ)`, `divergence(θ)`, `noise_factor(θ)` (F with
// D = F Fᵀ; the SDE noise is F ζ, ζ ~ N(0, I_m)) and optionally `apply(θ, v)` and
// `dimension()`.  These accessors throw shiftcurv::invalid_argument when θ is empty, not
// finite, or of a size other than the model's dimension(), or when the model returns a D of
// the wrong size.
#pragma once

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"

#include <string_view>

namespace shiftcurv {

namespace detail {
/// θ non-empty, finite and of the model's declared dimension().
template <class M>
void check_model_theta(std::string_view fn, const M& model, const vector& theta) {
  if (theta.size() < 1) throw_invalid(fn, "theta must not be empty");
  require_finite(fn, "theta", theta);
  require_dimension(fn, "theta", model, theta.size());
}
}  // namespace detail

/// D(θ)·v, without forming D when the model can.
template <class M>
  requires diffusion_model<M>
vector diffusion_times(const M& model, const vector& theta, const vector& v) {
  constexpr std::string_view fn = "diffusion_times";
  detail::check_model_theta(fn, model, theta);
  require_size(fn, "v", v.size(), theta.size());
  require_finite(fn, "v", v);
  vector out;
  if constexpr (has_diffusion_apply<M>)
    out = model.apply(theta, v);
  else
    out = model.matrix(theta) * v;
  require_size(fn, "the model's D(theta)·v", out.size(), theta.size());
  return out;
}

/// D(θ), checked input and output (p×p).
template <class M>
  requires diffusion_model<M>
matrix diffusion_matrix(const M& model, const vector& theta) {
  constexpr std::string_view fn = "diffusion_matrix";
  detail::check_model_theta(fn, model, theta);
  matrix D = model.matrix(theta);
  if (D.rows() != theta.size() || D.cols() != theta.size())
    detail::throw_invalid(fn, "the model's D(theta) is ", D.rows(), "x", D.cols(), ", expected ",
                          theta.size(), "x", theta.size(), " (the size of theta)");
  return D;
}

/// (∇·D)(θ)_i = Σ_j ∂_j D_ij(θ), checked input and output.
template <class M>
  requires diffusion_model<M>
vector divergence(const M& model, const vector& theta) {
  constexpr std::string_view fn = "divergence";
  detail::check_model_theta(fn, model, theta);
  vector d = model.divergence(theta);
  require_size(fn, "the model's divergence", d.size(), theta.size());
  return d;
}

}  // namespace shiftcurv
