// shiftcurv/derivatives/scalar_1d.hpp — the one 1-D (p = 1) access layer of the library, used by langevin_ensemble_1d,
// fokker_planck_1d and steady_state_1d (and anything else that works on a double θ).
//
// A 1-D LOSS is U's value (never U'), given as any of
//   (a) an object with `value(double)` and `derivative(double, int order)` (gaussian_wells_1d);
//   (b) a callable double → double (a generic lambda, templated on its argument, is
//       differentiated by dual numbers; a plain one by finite differences);
//   (c) a library loss on vectors of length 1 (loss_function), through derivatives.hpp.
// The derivative route is the library's: analytic member > dual numbers > finite differences.
// A generic lambda meant for vectors must constrain its argument (e.g. `const shiftcurv::vector&`):
// one taking `auto` is tried on a double first.
//
// A 1-D DIFFUSION is any diffusion_model on 1-vectors (constant_diffusion, scalar_field_diffusion,
// matrix_field_diffusion, …; D = matrix(θ)(0, 0), D' = divergence(θ)(0)) or, as a convenience, a
// callable double → double giving D(θ) (D' by dual numbers when templated, else by finite
// differences).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/dual.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"

namespace shiftcurv {
namespace detail {

/// θ as a 1-vector (the library's dynamic vector, which every library loss accepts; a loss
/// templated on Eigen::Matrix<S, Dynamic, 1> would not deduce from a fixed-size vector).
inline vector point_1d(double x) { return vector::Constant(1, x); }

/// U(x).
template <class F>
double loss_value_1d(const F& f, double x) {
  if constexpr (scalar_loss_members<F>)
    return static_cast<double>(f.value(x));
  else if constexpr (scalar_callable<F>)
    return static_cast<double>(f(x));
  else
    return static_cast<double>(value_unchecked(f, point_1d(x)));
}

/// dU/dθ at x (analytic member > dual numbers > finite differences).
template <class F>
double loss_derivative_1d(const F& f, double x) {
  if constexpr (scalar_loss_members<F>)
    return static_cast<double>(f.derivative(x, 1));
  else if constexpr (scalar_dual_callable<F>)
    return f(dual<double>(x, 1.0)).tangent();
  else if constexpr (scalar_callable<F>)
    return fd_gradient([&f](const vector_of<double, 1>& v) { return static_cast<double>(f(v(0))); },
                       vector_of<double, 1>(vector_of<double, 1>::Constant(x)))(0);
  else
    return static_cast<double>(gradient_unchecked(f, point_1d(x))(0));
}

/// out[j] = U'(x[j]) for j < n; SIMD-wide through `derivative_batch` when the loss has it.
template <class F>
void loss_derivatives_1d(const F& f, const double* x, double* out, index n) {
  if constexpr (batch_derivative_1d<F>) {
    f.derivative_batch(std::span<const double>(x, static_cast<std::size_t>(n)),
                       std::span<double>(out, static_cast<std::size_t>(n)));
  } else {
    for (index j = 0; j < n; ++j) out[j] = loss_derivative_1d(f, x[j]);
  }
}

/// Checks that a 1-D loss is 1-D where it says so (an optional `dimension()` member), naming
/// the public function `fn`.  (A vector loss without one cannot be probed safely.)
template <class F>
void require_loss_1d(std::string_view fn, std::string_view name, const F& f) {
  if constexpr (has_dimension<F>) {
    if (static_cast<index>(f.dimension()) != 1)
      throw_invalid(fn, name, " must be a 1-D loss, its dimension() is ", f.dimension());
  }
}

}  // namespace detail
}  // namespace shiftcurv
