// shiftcurv/noise/matrix_field.hpp — a user-supplied matrix field D(θ).
//
//   struct my_field {   // templated on the scalar: divergence by automatic differentiation
//     template <class S> Eigen::Matrix<S, -1, -1> operator()(const Eigen::Matrix<S, -1, 1>& th) const {
//       Eigen::Matrix<S, -1, -1> D(2, 2);
//       D << 1 + th(0) * th(0), S(0.1), S(0.1), 1 + th(1) * th(1);
//       return D;
//     }
//   };
//   shiftcurv::matrix_field_diffusion noise{my_field{}};
//   noise.divergence(theta);   // Σ_j ∂_j D_ij, exact
//
// The divergence comes from the field's own `divergence(θ)` member when it has one, from dual
// numbers when it is templated on its scalar (p first-order passes), else from central
// differences (h = ε^{1/3}·max(1,|θ_j|), error ≈ 1e-10 relative).  The noise factor is the
// Cholesky factor of D(θ); it throws domain_error where D(θ) is not positive definite.
#pragma once

#include <concepts>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/detail/spd.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/derivatives/autodiff.hpp"
#include "shiftcurv/derivatives/finite_difference.hpp"

namespace shiftcurv {

/// F(θ) returns a matrix convertible to a double matrix.
template <class F>
concept matrix_field = requires(const F& f, const vector& theta) {
  { f(theta) } -> std::convertible_to<matrix>;
};

/// F is templated on its scalar: called with dual numbers it returns a matrix of duals.
template <class F>
concept scalar_templated_matrix_field =
    matrix_field<F> && requires(const F& f, const vector_of<dual<double>>& x) {
      requires std::same_as<typename std::remove_cvref_t<decltype(f(x))>::Scalar, dual<double>>;
    };

template <class F>
concept has_divergence = matrix_field<F> && requires(const F& f, const vector& theta) {
  { f.divergence(theta) } -> std::convertible_to<vector>;
};

template <class Field>
  requires matrix_field<Field>
struct matrix_field_diffusion {
  Field field;

  index dimension() const requires has_dimension<Field> { return field.dimension(); }
  shiftcurv::matrix matrix(const vector& theta) const {
    shiftcurv::matrix D = field(theta);
    if (D.rows() != theta.size() || D.cols() != theta.size())
      detail::throw_invalid("matrix_field_diffusion", "D(theta) is ", D.rows(), "x", D.cols(),
                            ", expected ", theta.size(), "x", theta.size());
    return D;
  }

  vector divergence(const vector& theta) const {
    const index p = theta.size();
    if constexpr (has_divergence<Field>) {
      return field.divergence(theta);
    } else if constexpr (scalar_templated_matrix_field<Field>) {
      vector div = vector::Zero(p);
      for (index j = 0; j < p; ++j) {
        const auto Dj = field(detail::lift1(theta, j));  // tangent = ∂_j D
        for (index i = 0; i < p; ++i) div(i) += Dj(i, j).tangent();
      }
      return div;
    } else {
      // (∇·D)_i = Σ_j ∂_j D_ij: only column j of ∂_j D is needed (not a full Jacobian).
      vector div = vector::Zero(p);
      vector x = theta;
      for (index j = 0; j < p; ++j) {
        const double h = detail::fd_step(theta(j), detail::fd_scale_first());
        x(j) = theta(j) + h;
        const shiftcurv::matrix Dp = field(x);
        x(j) = theta(j) - h;
        const shiftcurv::matrix Dm = field(x);
        x(j) = theta(j);
        div += (Dp.col(j) - Dm.col(j)) / (2 * h);
      }
      return div;
    }
  }

  shiftcurv::matrix noise_factor(const vector& theta) const {
    return detail::cholesky_factor("matrix_field_diffusion::noise_factor", matrix(theta));
  }
};
template <class Field>
matrix_field_diffusion(Field) -> matrix_field_diffusion<Field>;

}  // namespace shiftcurv
