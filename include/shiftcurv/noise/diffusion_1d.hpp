// shiftcurv/noise/diffusion_1d.hpp — a 1-D diffusion (core/concepts.hpp, diffusion_1d_model) read
// as D(θ), D'(θ) of a double: a diffusion_model on 1-vectors or a callable double → double.
// Used by the 1-D Langevin ensemble, the 1-D Fokker–Planck solver and the exact 1-D steady state.
#pragma once

#include <string_view>
#include <type_traits>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/derivatives/scalar_1d.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/scalar_field.hpp"

namespace shiftcurv {
namespace detail {

/// D(θ) and D'(θ) of a 1-D diffusion as functions of a double.  Holds a pointer to the model
/// (which must outlive the view); constant_diffusion is read once, scalar_field_diffusion goes
/// through its field without 1-vectors.  The constructor checks that the model is 1-D (1×1 D at
/// `probe`), naming the public function `fn`.
template <class M>
class diffusion_1d_view {
 public:
  diffusion_1d_view(std::string_view fn, const M& m, double probe) : m_(&m) {
    if constexpr (diffusion_model<M>) {
      if constexpr (has_dimension<M>)
        if (static_cast<index>(m.dimension()) != 1)
          throw_invalid(fn, "the diffusion model must be 1-D, its dimension() is ", m.dimension());
      vector t(1);
      t(0) = probe;
      const shiftcurv::matrix D0 = m.matrix(t);
      if (D0.rows() != 1 || D0.cols() != 1)
        throw_invalid(fn, "the diffusion model must be 1-D (1x1 D), D(theta) is ", D0.rows(), "x", D0.cols());
      constant_ = D0(0, 0);
    }
  }

  static constexpr bool is_constant = std::is_same_v<M, constant_diffusion>;

  double value(double x) const {
    if constexpr (is_constant) {
      return constant_;
    } else if constexpr (is_scalar_field) {  // the field is a loss on vectors: no double overload tried
      return static_cast<double>(value_unchecked(m_->d, point_1d(x)));
    } else if constexpr (diffusion_model<M>) {
      vector t(1);
      t(0) = x;
      return static_cast<double>(m_->matrix(t)(0, 0));
    } else {
      return static_cast<double>((*m_)(x));
    }
  }
  double operator()(double x) const { return value(x); }

  double derivative(double x) const {
    if constexpr (is_constant) {
      return 0.0;
    } else if constexpr (is_scalar_field) {
      return static_cast<double>(gradient_unchecked(m_->d, point_1d(x))(0));
    } else if constexpr (diffusion_model<M>) {
      vector t(1);
      t(0) = x;
      return static_cast<double>(m_->divergence(t)(0));
    } else {
      return loss_derivative_1d(*m_, x);
    }
  }

 private:
  template <class T>
  struct is_scalar_field_t : std::false_type {};
  template <class F>
  struct is_scalar_field_t<scalar_field_diffusion<F>> : std::true_type {};
  static constexpr bool is_scalar_field = is_scalar_field_t<M>::value;

  const M* m_;
  double constant_ = 0;
};

}  // namespace detail
}  // namespace shiftcurv
