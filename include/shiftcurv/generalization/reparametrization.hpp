// shiftcurv/generalization/reparametrization.hpp — how the terms of eq 4 transform under a
// reparametrization θ = r(y) (the paper's Appendix C).
//
//   // J = ∂r/∂y at the test minimum y_test = r⁻¹(θ_test)
//   shiftcurv::basin_terms in_y = shiftcurv::reparametrize(basin, J);
//   //   C → Jᵀ C J,  s → J⁻¹ s,  b → J⁻¹ b,  Σ → J⁻¹ Σ J⁻ᵀ,  w and U_k^test unchanged
//   auto same = shiftcurv::decompose_test_loss({in_y});   // every term equals the θ one
//   shiftcurv::matrix Cy = shiftcurv::reparametrized_curvature(C, J);
//
// Contract (Appendix C): at a critical point the Hessian of U∘r is JᵀCJ exactly; shifts and
// biases map to first order (J⁻¹s, J⁻¹b); a covariance as J⁻¹ΣJ⁻ᵀ to leading order.  With
// these maps every term of eq 4 is algebraically invariant, so decompose_test_loss of the
// mapped basin equals that of the original up to rounding (LU with full pivoting, ≈ ε·cond(J)).
// Against quantities measured directly in y, the mapped shift and bias differ by O(|s|²) and
// O(|b|(|s| + |b|)), the covariance by a relative O(|s| + |b| + Tr Σ).  No options.
//
// Bad input throws: J not p×p, sizes that disagree, NaN/Inf → shiftcurv::invalid_argument;
// J singular (full-pivoting LU rank < p) → shiftcurv::domain_error.
#pragma once

#include <string_view>

#include <Eigen/LU>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/generalization/decomposition.hpp"

namespace shiftcurv {

namespace detail::reparametrization_impl {

template <class = void>
Eigen::FullPivLU<matrix> checked_jacobian(std::string_view fn, const matrix& J, index p) {
  if (J.rows() != p || J.cols() != p)
    throw_invalid(fn, "the Jacobian J is ", J.rows(), "x", J.cols(), ", expected ", p, "x", p);
  require_finite(fn, "the Jacobian J", J);
  Eigen::FullPivLU<matrix> lu(J);
  if (!lu.isInvertible())
    throw_domain(fn, "the Jacobian J must be invertible, its rank is ", lu.rank(), " < ", p);
  return lu;
}

}  // namespace detail::reparametrization_impl

/// Jᵀ C J: the Hessian of U∘r at a critical point, from the Hessian C of U.
template <class = void>
matrix reparametrized_curvature(const matrix& C, const matrix& J) {
  constexpr const char* fn = "reparametrized_curvature";
  if (C.rows() != C.cols() || C.rows() < 1)
    detail::throw_invalid(fn, "C must be square and non-empty, got ", C.rows(), "x", C.cols());
  require_finite(fn, "C", C);
  detail::reparametrization_impl::checked_jacobian(fn, J, C.rows());
  return J.transpose() * C * J;
}

/// J⁻¹ v: a small displacement (shift s_k or bias b_k) in the y coordinates.
template <class = void>
vector reparametrized_displacement(const vector& v, const matrix& J) {
  constexpr const char* fn = "reparametrized_displacement";
  if (v.size() < 1) detail::throw_invalid(fn, "the displacement is empty");
  require_finite(fn, "the displacement", v);
  return detail::reparametrization_impl::checked_jacobian(fn, J, v.size()).solve(v);
}

/// J⁻¹ Σ J⁻ᵀ: the covariance of y = r⁻¹(θ) for θ ~ N(µ, Σ) to leading order in Σ.
template <class = void>
matrix reparametrized_covariance(const matrix& Sigma, const matrix& J) {
  constexpr const char* fn = "reparametrized_covariance";
  if (Sigma.rows() != Sigma.cols() || Sigma.rows() < 1)
    detail::throw_invalid(fn, "Sigma must be square and non-empty, got ", Sigma.rows(), "x", Sigma.cols());
  require_finite(fn, "Sigma", Sigma);
  const auto lu = detail::reparametrization_impl::checked_jacobian(fn, J, Sigma.rows());
  const matrix X = lu.solve(Sigma);                          // J⁻¹ Σ
  return lu.solve(matrix(X.transpose())).transpose();        // (J⁻¹ (J⁻¹Σ)ᵀ)ᵀ = J⁻¹ Σ J⁻ᵀ
}

/// Every field of one basin mapped to the y coordinates (weight and depth are unchanged).
template <class = void>
basin_terms reparametrize(const basin_terms& basin, const matrix& J) {
  constexpr const char* fn = "reparametrize";
  const index p = basin.shift.size();
  if (p < 1) detail::throw_invalid(fn, "basin.shift is empty");
  require_finite(fn, "basin.weight", basin.weight);
  require_finite(fn, "basin.test_depth", basin.test_depth);
  require_size(fn, "basin.bias", basin.bias.size(), p);
  detail::decomposition_impl::require_square(fn, "basin.test_curvature", basin.test_curvature, p);
  detail::decomposition_impl::require_square(fn, "basin.covariance", basin.covariance, p);
  require_finite(fn, "basin.shift", basin.shift);
  require_finite(fn, "basin.bias", basin.bias);
  require_finite(fn, "basin.test_curvature", basin.test_curvature);
  require_finite(fn, "basin.covariance", basin.covariance);
  const auto lu = detail::reparametrization_impl::checked_jacobian(fn, J, p);
  basin_terms out;
  out.weight = basin.weight;
  out.test_depth = basin.test_depth;
  out.test_curvature = J.transpose() * basin.test_curvature * J;
  out.shift = lu.solve(basin.shift);
  out.bias = lu.solve(basin.bias);
  const matrix X = lu.solve(basin.covariance);
  out.covariance = lu.solve(matrix(X.transpose())).transpose();
  return out;
}

}  // namespace shiftcurv
