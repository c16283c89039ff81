// shiftcurv/noise/scalar_field.hpp — isotropic, position-dependent diffusion D(θ) = d(θ)·I.
//
//   auto d = [](const auto& th) { return 1.0 + th.squaredNorm(); };   // any loss-like functor
//   shiftcurv::scalar_field_diffusion noise{d};
//   noise.divergence(theta);   // ∇·(d I) = ∇d, by the derivative routes of derivatives.hpp
//
// d is any functor satisfying `loss_function`: its gradient comes from its own member, from
// automatic differentiation when templated on the scalar, or from finite differences.
#pragma once

#include <cmath>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"

namespace shiftcurv {

template <class Field>
  requires loss_function<Field>
struct scalar_field_diffusion {
  Field d;

  index dimension() const requires has_dimension<Field> { return d.dimension(); }
  double scale(const vector& theta) const { return static_cast<double>(d(theta)); }
  shiftcurv::matrix matrix(const vector& theta) const {
    const index p = theta.size();
    return scale(theta) * shiftcurv::matrix::Identity(p, p);
  }
  vector divergence(const vector& theta) const { return detail::gradient_unchecked(d, theta); }
  /// √d·I; throws domain_error where d(θ) ≤ 0.
  shiftcurv::matrix noise_factor(const vector& theta) const {
    const double s = scale(theta);
    if (!(s > 0))
      detail::throw_domain("scalar_field_diffusion::noise_factor", "d(theta) must be > 0, got ", s);
    return std::sqrt(s) * shiftcurv::matrix::Identity(theta.size(), theta.size());
  }
  vector apply(const vector& theta, const vector& v) const { return scale(theta) * v; }
};
template <class Field>
scalar_field_diffusion(Field) -> scalar_field_diffusion<Field>;

}  // namespace shiftcurv
