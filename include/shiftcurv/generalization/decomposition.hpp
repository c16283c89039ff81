// shiftcurv/generalization/decomposition.hpp — the expected test loss split into named terms
// (the paper's eq 3, 4 and 7; THEORY.md "Test loss").
//
//   std::vector<shiftcurv::basin_terms> basins(2);
//   basins[0] = {.weight = 0.3, .test_depth = -1.0, .test_curvature = C0,
//                .shift = s0, .bias = b0, .covariance = S0};
//   basins[1] = {.weight = 0.7, ...};
//   auto d = shiftcurv::decompose_test_loss(basins);
//   d.overall.total_eq4;              // Σ_k w_k [U_k + ½Tr(Σ_k C_k) + ½(s_k+b_k)ᵀC_k(s_k+b_k)]
//   d.overall.shift_curvature;        // Σ_k w_k ½ s_kᵀ C_k s_k
//   d.per_basin[1].bias_curvature;    // ½ b_1ᵀC_1b_1 + s_1ᵀC_1b_1 (unweighted)
//   // eq 3, one solution θ̂ near basin k:
//   double u = shiftcurv::single_solution_test_loss(U_k, C_k, theta_train, theta_test, theta_hat);
//
// Per basin k the inputs are the weight w_k, the test depth U_k^test = U_test(θ_k^test), the
// test curvature C_k^test = ∇²U_test(θ_k^test), the shift s_k = θ_k^test − θ_k^tr, the bias
// b_k = θ_k^tr − µ_k and the covariance Σ_k of the basin's Gaussian (basin_terms); the named
// terms are the fields of decomposition_terms; `per_basin[k]` holds them unweighted, `overall`
// is Σ_k w_k per_basin[k].
// What the numbers mean (error estimate): the arithmetic is exact up to rounding; the
// approximation is the second-order Taylor expansion of U_test about θ_k^test averaged over
// N(µ_k, Σ_k).  It is exact when U_test is quadratic on the support that matters and ρ is a
// Gaussian mixture; otherwise the first neglected terms are ⅙∇³U_test applied to
// (s_k+b_k) three times and to (s_k+b_k, Σ_k), i.e. O(|s_k+b_k|³ + |s_k+b_k|·Tr Σ_k) per
// basin, plus the error of the mixture approximation of ρ itself (O(T²) for the Laplace fit).
// The quadratic forms and the trace only see symmetric matrices: C and Σ are replaced by
// their symmetric parts ½(M + Mᵀ) (a finite-difference Hessian is symmetric only to rounding).
// Bad input throws: an empty basin list, sizes that disagree (every basin must live in the
// same R^p) or a non-finite entry → shiftcurv::invalid_argument; a negative weight, or
// weights whose sum differs from 1 by more than 1e-9 → shiftcurv::domain_error.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"

namespace shiftcurv {

/// The per-basin inputs of eq 4.
struct basin_terms {
  double weight = 0;       ///< w_k (the basin's probability under the steady state)
  double test_depth = 0;   ///< U_k^test = U_test(θ_k^test)
  matrix test_curvature;   ///< C_k^test = ∇²U_test(θ_k^test), p×p
  vector shift;            ///< s_k = θ_k^test − θ_k^tr
  vector bias;             ///< b_k = θ_k^tr − µ_k
  matrix covariance;       ///< Σ_k, p×p
};

/// The named terms of eq 4 and 7 (see the header comment).
struct decomposition_terms {
  double depth = 0;                 ///< U_k^test
  double shift_curvature = 0;       ///< ½ s_kᵀ C s_k
  double bias_curvature = 0;        ///< ½ b_kᵀ C b_k + s_kᵀ C b_k
  double covariance_curvature = 0;  ///< ½ Tr(Σ_k C)
  double total_eq4 = 0;             ///< the sum of all four (eq 4)
  double total_eq7 = 0;             ///< depth + shift_curvature (eq 7: bias and Σ are O(T))
};

/// `per_basin[k]` unweighted, `overall` = Σ_k w_k per_basin[k].
struct decompose_test_loss_result {
  decomposition_terms overall;
  std::vector<decomposition_terms> per_basin;
};

/// How far the weights may sum from 1 before decompose_test_loss refuses them.
inline constexpr double decomposition_weight_tolerance = 1e-9;

namespace detail::decomposition_impl {

inline std::string basin_field(std::size_t k, const char* field) {
  return "basins[" + std::to_string(k) + "]." + field;
}

inline void require_square(std::string_view fn, const std::string& name, const matrix& M, index p) {
  if (M.rows() != p || M.cols() != p)
    throw_invalid(fn, name, " is ", M.rows(), "x", M.cols(), ", expected ", p, "x", p);
}

inline matrix symmetric_part(const matrix& M) { return 0.5 * (M + M.transpose()); }

// The unweighted terms of one basin; inputs already validated.
inline decomposition_terms terms_of(const basin_terms& b) {
  const matrix C = symmetric_part(b.test_curvature);
  const vector Cs = C * b.shift;
  const vector Cb = C * b.bias;
  decomposition_terms t;
  t.depth = b.test_depth;
  t.shift_curvature = 0.5 * b.shift.dot(Cs);
  t.bias_curvature = 0.5 * b.bias.dot(Cb) + b.shift.dot(Cb);
  // Tr(Σ C) for symmetric Σ, C is the Frobenius inner product.
  t.covariance_curvature = 0.5 * symmetric_part(b.covariance).cwiseProduct(C).sum();
  t.total_eq7 = t.depth + t.shift_curvature;
  t.total_eq4 = t.total_eq7 + t.bias_curvature + t.covariance_curvature;
  return t;
}

inline void validate_basin(std::string_view fn, const basin_terms& b, std::size_t k, index p) {
  require_finite(fn, basin_field(k, "weight"), b.weight);
  require_finite(fn, basin_field(k, "test_depth"), b.test_depth);
  require_size(fn, basin_field(k, "shift"), b.shift.size(), p);
  require_size(fn, basin_field(k, "bias"), b.bias.size(), p);
  require_square(fn, basin_field(k, "test_curvature"), b.test_curvature, p);
  require_square(fn, basin_field(k, "covariance"), b.covariance, p);
  require_finite(fn, basin_field(k, "shift"), b.shift);
  require_finite(fn, basin_field(k, "bias"), b.bias);
  require_finite(fn, basin_field(k, "test_curvature"), b.test_curvature);
  require_finite(fn, basin_field(k, "covariance"), b.covariance);
  if (b.weight < 0) throw_domain(fn, basin_field(k, "weight"), " must be >= 0, got ", b.weight);
}

}  // namespace detail::decomposition_impl

/// Eq 4 and 7, per basin and weighted over the basins.  Throws on bad input (header comment).
inline decompose_test_loss_result decompose_test_loss(const std::vector<basin_terms>& basins) {
  constexpr const char* fn = "decompose_test_loss";
  if (basins.empty()) detail::throw_invalid(fn, "basins is empty, need at least one basin");
  const index p = basins.front().shift.size();
  if (p < 1) detail::throw_invalid(fn, "basins[0].shift is empty, need dimension p >= 1");
  double weight_sum = 0;
  for (std::size_t k = 0; k < basins.size(); ++k) {
    detail::decomposition_impl::validate_basin(fn, basins[k], k, p);
    weight_sum += basins[k].weight;
  }
  if (!(std::abs(weight_sum - 1.0) <= decomposition_weight_tolerance))
    detail::throw_domain(fn, "the weights must sum to 1 within ", decomposition_weight_tolerance,
                         ", they sum to ", weight_sum);

  decompose_test_loss_result out;
  out.per_basin.reserve(basins.size());
  for (const auto& b : basins) {
    const decomposition_terms t = detail::decomposition_impl::terms_of(b);
    out.per_basin.push_back(t);
    auto& o = out.overall;
    o.depth += b.weight * t.depth;
    o.shift_curvature += b.weight * t.shift_curvature;
    o.bias_curvature += b.weight * t.bias_curvature;
    o.covariance_curvature += b.weight * t.covariance_curvature;
    o.total_eq4 += b.weight * t.total_eq4;
    o.total_eq7 += b.weight * t.total_eq7;
  }
  return out;
}

/// Eq 3 for one solution θ̂ near basin k:  U_k^test + ½ (s_k + b̂)ᵀ C_k^test (s_k + b̂), with
/// `solution_bias` b̂ = θ_k^tr − θ̂.  Throws invalid_argument on sizes or non-finite entries.
inline double single_solution_test_loss(double test_depth, const matrix& test_curvature,
                                        const vector& shift, const vector& solution_bias) {
  constexpr const char* fn = "single_solution_test_loss";
  const index p = shift.size();
  if (p < 1) detail::throw_invalid(fn, "shift is empty, need dimension p >= 1");
  require_finite(fn, "test_depth", test_depth);
  require_size(fn, "solution_bias", solution_bias.size(), p);
  detail::decomposition_impl::require_square(fn, "test_curvature", test_curvature, p);
  require_finite(fn, "shift", shift);
  require_finite(fn, "solution_bias", solution_bias);
  require_finite(fn, "test_curvature", test_curvature);
  const vector d = shift + solution_bias;
  return test_depth + 0.5 * d.dot(detail::decomposition_impl::symmetric_part(test_curvature) * d);
}

/// Eq 3 from the points themselves: s_k = θ_k^test − θ_k^tr, b̂ = θ_k^tr − θ̂, so that
/// s_k + b̂ = θ_k^test − θ̂.
inline double single_solution_test_loss(double test_depth, const matrix& test_curvature,
                                        const vector& theta_train, const vector& theta_test,
                                        const vector& theta_hat) {
  constexpr const char* fn = "single_solution_test_loss";
  require_size(fn, "theta_test", theta_test.size(), theta_train.size());
  require_size(fn, "theta_hat", theta_hat.size(), theta_train.size());
  require_finite(fn, "theta_train", theta_train);
  require_finite(fn, "theta_test", theta_test);
  require_finite(fn, "theta_hat", theta_hat);
  return single_solution_test_loss(test_depth, test_curvature, vector(theta_test - theta_train),
                                   vector(theta_train - theta_hat));
}

}  // namespace shiftcurv
