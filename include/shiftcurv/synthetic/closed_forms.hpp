// shiftcurv/synthetic/closed_forms.hpp — the three cases of Appendix B.1 where the effective
// potential is known in closed form (THEORY.md, "Closed forms for tests").
//
//   shiftcurv::b1_case1 c1(H, /*a=*/0.5);        // U = a + ½θᵀHθ > 0, D = U·I
//   c1.potential(T, theta);                      // v = (1 + T/2) log U
//   shiftcurv::b1_case2 c2(H);                   // U = ½θᵀHθ, D = H⁻¹: v = ½|∇U|²
//   shiftcurv::b1_case3 c3(h, /*kappa=*/0.7);    // U = Σ ½h_iθ_i², f(u) = u + κu²/2,
//                                                // D = diag(1/f'(U_i)): v = Σ f(U_i) − (T/2)Σ log f'(U_i)
//   c3.loss, c3.noise                            // a loss functor and a diffusion model
//                                                // (both declare dimension() = p)
//
// v is defined up to an additive constant; `potential` returns the closed form as written, so
// compare differences v(θ) − v(θ₀).  `log_density` is −(2/T)·v (unnormalized log ρ).
#pragma once

#include <cmath>
#include <string_view>
#include <utility>

#include <Eigen/Cholesky>

#include "shiftcurv/core/detail/spd.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/matrix_field.hpp"
#include "shiftcurv/noise/scalar_field.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"

namespace shiftcurv {

namespace detail {
/// H square, non-empty and finite, checked under the name of the case being built.
inline const matrix& checked_curvature(std::string_view fn, const matrix& H) {
  if (H.rows() != H.cols() || H.rows() < 1)
    throw_invalid(fn, "H must be square and non-empty, got ", H.rows(), "x", H.cols());
  require_finite(fn, "H", H);
  return H;
}
/// h non-empty, finite and > 0 (the diagonal curvatures of case 3).
inline const vector& checked_diagonal(std::string_view fn, const vector& h) {
  if (h.size() < 1) throw_invalid(fn, "h must not be empty");
  require_finite(fn, "h", h);
  if ((h.array() <= 0).any()) throw_domain(fn, "h must be > 0, min is ", h.minCoeff());
  return h;
}
}  // namespace detail

/// U shifted up by a > 0 so that D = U·I is positive definite everywhere.
struct positive_quadratic {
  quadratic q;
  double a;
  index dimension() const { return q.dimension(); }
  template <class Derived>
  typename Derived::Scalar operator()(const Eigen::MatrixBase<Derived>& theta) const {
    return typename Derived::Scalar(a) + q(theta);
  }
  vector gradient(const vector& theta) const { return q.gradient(theta); }
  matrix hessian(const vector& theta) const { return q.hessian(theta); }
};

struct b1_case1 {
  /// Throws invalid_argument (H not square or not finite), domain_error (a ≤ 0).
  b1_case1(const matrix& H, double a) : loss{quadratic(detail::checked_curvature("b1_case1", H)), a}, noise{loss} {
    require_positive("b1_case1", "a", a);
  }
  positive_quadratic loss;
  scalar_field_diffusion<positive_quadratic> noise;
  double potential(double T, const vector& theta) const {
    return (1 + T / 2) * std::log(loss(theta));
  }
  double log_density(double T, const vector& theta) const { return -2 / T * potential(T, theta); }
};

struct b1_case2 {
  /// Throws invalid_argument (H not square or not finite), domain_error (H not positive definite).
  template <class = void>  // see core/types.hpp
  explicit b1_case2(const matrix& H)
      : loss(detail::checked_curvature("b1_case2", H)), noise(detail::checked_cholesky("b1_case2", "H", H).solve(matrix::Identity(H.rows(), H.rows()))) {}
  quadratic loss;
  constant_diffusion noise;
  double potential(double /*T*/, const vector& theta) const {
    return 0.5 * loss.gradient(theta).squaredNorm();
  }
  double log_density(double T, const vector& theta) const { return -2 / T * potential(T, theta); }
};

/// The diagonal field D = diag(1/(1 + κ·½h_iθ_i²)), templated on the scalar (AD divergence).
struct b1_case3_field {
  vector h;
  double kappa;
  index dimension() const { return h.size(); }
  template <class S>
  Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& theta) const {
    const index p = theta.size();
    Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> D(p, p);
    for (index i = 0; i < p; ++i)
      for (index j = 0; j < p; ++j) D(i, j) = S(0);
    for (index i = 0; i < p; ++i) {
      const S Ui = S(0.5 * h(i)) * theta(i) * theta(i);
      D(i, i) = S(1) / (S(1) + S(kappa) * Ui);
    }
    return D;
  }
};

struct b1_case3 {
  /// Throws invalid_argument (h empty or not finite), domain_error (h ≤ 0, κ ≤ 0).
  b1_case3(const vector& h, double kappa)
      : loss(matrix(detail::checked_diagonal("b1_case3", h).asDiagonal())), noise{b1_case3_field{h, kappa}},
        h_(h), kappa_(kappa) {
    require_positive("b1_case3", "kappa", kappa);
  }
  quadratic loss;
  matrix_field_diffusion<b1_case3_field> noise;
  double potential(double T, const vector& theta) const {
    double v = 0;
    for (index i = 0; i < theta.size(); ++i) {
      const double Ui = 0.5 * h_(i) * theta(i) * theta(i);
      v += Ui + 0.5 * kappa_ * Ui * Ui - T / 2 * std::log(1 + kappa_ * Ui);
    }
    return v;
  }
  double log_density(double T, const vector& theta) const { return -2 / T * potential(T, theta); }

 private:
  vector h_;
  double kappa_;
};

}  // namespace shiftcurv
