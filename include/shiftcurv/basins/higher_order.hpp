// shiftcurv/basins/higher_order.hpp — basin masses for minima that are flat to order J > 2
// (Appendix E; THEORY.md "Higher-order minima").
//
//   // v(µ + y) ≈ v(µ) + Σ_i λ_i y_i^{J_i} / J_i!  along principal directions y_i
//   double lm = shiftcurv::basin_log_mass(v_mu, T, {4}, {24.0 * a});   // 1-D, v = a y⁴
//   double s2 = shiftcurv::basin_variance(T, 4, 24.0 * a);             // E[y²] in that basin
//   auto d = shiftcurv::potential_taylor_coefficients(loss, noise, T, mu, u, 6, r);
//   //  d[k] ≈ d^k/dt^k v(µ + t u) at t = 0, k = 0..6 (d[0] = 0, d[1] = u·V(µ))
//
// The mass of a basin,  ∫ exp(−(2/T)[v(µ) + Σ λ_i y_i^{J_i}/J_i!]) dy
//   = exp(−(2/T)v(µ)) Π_i 2Γ(1 + 1/J_i) (T·J_i!/(2λ_i))^{1/J_i},
// is exact for that polynomial (each factor is a 1-D integral, the Gamma function from
// Boost.Math); for all J_i = J it is Appendix E's formula, for J = 2 the Laplace weight with
// its factor (πT)^{n/2}, which is common to basins of equal order and dimension but must be
// kept when the orders differ (the T^{1/J} factors do not cancel).  As an approximation of
// ∫_basin ρ its relative error is O(T^{1/J}·(next Taylor term)) as T → 0.
//
// `potential_taylor_coefficients` fits a polynomial (degree max(order+1, 7)) by least squares to
// φ(t) = u·V(µ + t u) at Chebyshev nodes on [−r, r] and differentiates it at 0: exact for
// polynomial v up to that degree; otherwise the error is ≈ ε·max|φ|/r^k (rounding) +
// r^{deg−k+1}·|φ^{(deg+1)}|/(deg+1)! (truncation), so r should be a fraction of the basin.
//
// Throws invalid_argument (sizes, odd or < 2 orders, NaN), domain_error (T ≤ 0, λ ≤ 0).
#pragma once

#include <cmath>
#include <numbers>
#include <string_view>
#include <vector>

#include <Eigen/QR>
#include <boost/math/special_functions/factorials.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/potential/potential_gradient.hpp"

namespace shiftcurv {

namespace detail {
inline void check_order(std::string_view fn, int J) {
  if (J < 2 || J % 2 != 0) throw_invalid(fn, "orders must be even and >= 2, got ", J);
  if (J > 170) throw_invalid(fn, "order ", J, " is too large (J! overflows)");
}
}  // namespace detail

/// log of the mass ∫ exp(−(2/T)[v(µ) + Σ λ_i y_i^{J_i}/J_i!]) dy (see the header comment).
inline double basin_log_mass(double v_mu, double T, const std::vector<int>& orders,
                             const std::vector<double>& lambdas) {
  constexpr std::string_view fn = "basin_log_mass";
  require_temperature(fn, T);
  require_finite(fn, "v_mu", v_mu);
  if (orders.size() != lambdas.size())
    detail::throw_invalid(fn, "orders has ", orders.size(), " entries but lambdas has ", lambdas.size());
  if (orders.empty()) detail::throw_invalid(fn, "need at least one direction");
  double out = -2 / T * v_mu;
  for (std::size_t i = 0; i < orders.size(); ++i) {
    detail::check_order(fn, orders[i]);
    require_positive(fn, "lambdas[i]", lambdas[i]);
    const double J = orders[i];
    out += std::log(2 * boost::math::tgamma(1 + 1 / J)) +
           (std::log(T) + boost::math::lgamma(J + 1) - std::log(2 * lambdas[i])) / J;
  }
  return out;
}

/// E[y²] under exp(−(2/T) λ y^J / J!): (T·J!/(2λ))^{2/J} Γ(3/J)/Γ(1/J).
inline double basin_variance(double T, int J, double lambda) {
  constexpr std::string_view fn = "basin_variance";
  require_temperature(fn, T);
  detail::check_order(fn, J);
  require_positive(fn, "lambda", lambda);
  const double j = J;
  const double scale = std::exp((std::log(T) + boost::math::lgamma(j + 1) - std::log(2 * lambda)) / j);
  return scale * scale * boost::math::tgamma(3 / j) / boost::math::tgamma(1 / j);
}

/// d^k/dt^k v(µ + t u) at t = 0 for k = 0..order (entry 0 is 0): see the header comment.
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
std::vector<double> potential_taylor_coefficients(const Loss& loss, const Noise& noise, double T,
                                                  const vector& mu, const vector& u, int order,
                                                  double radius) {
  constexpr std::string_view fn = "potential_taylor_coefficients";
  detail::check_theta_T(fn, mu, T);
  require_size(fn, "u", u.size(), mu.size());
  require_finite(fn, "u", u);
  require_positive(fn, "radius", radius);
  if (order < 1 || order > 20) detail::throw_invalid(fn, "order must be in 1..20, got ", order);
  const int deg = std::max(order + 1, 7);   // degree of the fit of φ = v'
  const int m = deg + 6;                    // Chebyshev nodes
  matrix A(m, deg + 1);
  vector y(m);
  for (int i = 0; i < m; ++i) {
    const double s = std::cos(std::numbers::pi * (i + 0.5) / m);  // in (−1, 1)
    const vector x = mu + (radius * s) * u;
    y(i) = detail::potential_gradient_unchecked(fn, loss, noise, x, T).dot(u);
    double pw = 1;
    for (int k = 0; k <= deg; ++k, pw *= s) A(i, k) = pw;
  }
  const vector c = A.colPivHouseholderQr().solve(y);  // φ(rs) ≈ Σ c_k s^k
  std::vector<double> out(order + 1, 0.0);
  // v^{(k)}(0) = φ^{(k−1)}(0) = c_{k−1} (k−1)! / r^{k−1}
  for (int k = 1; k <= order; ++k)
    out[k] = c(k - 1) * boost::math::factorial<double>(k - 1) / std::pow(radius, k - 1);
  return out;
}

}  // namespace shiftcurv
