// Internal: U, U', D, D' of 1-D (p = 1) losses and diffusion models as functions of a double.
#pragma once

#include <concepts>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"

namespace shiftcurv::detail {

/// Losses with scalar helpers `value(double)` and `derivative(double, order)` (such as
/// gaussian_wells_1d) are evaluated through them, without a 1-vector allocation.
template <class L>
concept scalar_loss_1d = requires(const L& f, double t, int k) {
  { f.value(t) } -> std::convertible_to<double>;
  { f.derivative(t, k) } -> std::convertible_to<double>;
};

template <class L>
double loss_at(const L& f, double t) {
  if constexpr (scalar_loss_1d<L>) {
    return static_cast<double>(f.value(t));
  } else {
    vector x(1);
    x(0) = t;
    return value_unchecked(f, x);
  }
}

template <class L>
double loss_derivative_at(const L& f, double t) {
  if constexpr (scalar_loss_1d<L>) {
    return static_cast<double>(f.derivative(t, 1));
  } else {
    vector x(1);
    x(0) = t;
    return gradient_unchecked(f, x)(0);
  }
}

template <class L>
double loss_second_derivative_at(const L& f, double t) {
  if constexpr (scalar_loss_1d<L>) {
    return static_cast<double>(f.derivative(t, 2));
  } else {
    vector x(1);
    x(0) = t;
    return hessian_unchecked(f, x)(0, 0);
  }
}

template <class M>
double diffusion_at(const M& m, double t) {
  vector x(1);
  x(0) = t;
  return static_cast<double>(m.matrix(x)(0, 0));
}

template <class M>
double diffusion_derivative_at(const M& m, double t) {
  vector x(1);
  x(0) = t;
  return static_cast<double>(m.divergence(x)(0));
}

}  // namespace shiftcurv::detail
