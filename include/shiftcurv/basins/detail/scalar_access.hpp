// Internal: the one 1-D (p = 1) access layer of the library, used by langevin_ensemble_1d,
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

#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/dual.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/scalar_field.hpp"

namespace shiftcurv {
namespace detail {

/// Losses with scalar helpers `value(double)` and `derivative(double, order)`.
template <class F>
concept scalar_loss_members = requires(const F& f, double x, int k) {
  { f.value(x) } -> std::convertible_to<double>;
  { f.derivative(x, k) } -> std::convertible_to<double>;
};

/// A callable on a double returning something convertible to double.
template <class F>
concept scalar_callable = requires(const F& f, double x) {
  { f(x) } -> std::convertible_to<double>;
};

/// A callable on a double that is templated on its argument: f(dual) returns a dual.
template <class F>
concept scalar_dual_callable = scalar_callable<F> && requires(const F& f, dual<double> x) {
  { f(x) } -> std::same_as<dual<double>>;
};

/// A loss that offers `derivative_batch(std::span<const double> θ, std::span<double> out)`.
template <class F>
concept batch_derivative_1d = requires(const F& f, std::span<const double> x, std::span<double> out) {
  f.derivative_batch(x, out);
};

}  // namespace detail

/// A 1-D loss (U's value): members value/derivative, a callable on a double, or a library loss
/// on 1-vectors.  Disjunction order matters (a callable on doubles is never tried on vectors).
template <class F>
concept loss_1d = detail::scalar_loss_members<F> || detail::scalar_callable<F> || loss_function<F>;

/// A 1-D diffusion: a diffusion_model on 1-vectors, or a callable double → double (D(θ)).
template <class M>
concept diffusion_1d_model = diffusion_model<M> || detail::scalar_callable<M>;

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
