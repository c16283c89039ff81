// shiftcurv/derivatives/derivatives.hpp — ∇U, ∇²U and ∇²U·v of any loss functor, by the best
// route available at compile time.
//
//   struct well {                                             // value only, templated
//     template <class S> S operator()(const Eigen::Matrix<S, -1, 1>& th) const {
//       using std::exp; return -exp(-th.squaredNorm());
//     }
//   };
//   shiftcurv::vector th(2); th << 0.3, -0.2;
//   auto g = shiftcurv::gradient(well{}, th);      // exact, by dual numbers
//   auto H = shiftcurv::hessian(well{}, th);       // exact, nested duals
//   auto Hv = shiftcurv::hvp(well{}, th, g);       // exact, p second-order passes
//   static_assert(shiftcurv::gradient_route<well> == shiftcurv::route::automatic);
//
// Contract — routes, in order of preference (gradient_route / hessian_route / hvp_route say
// which one a functor gets):
//  1. analytic — the functor's own member (`gradient(θ)`, `hessian(θ)`, `hvp(θ, v)`);
//  2. automatic — forward-mode dual numbers when the functor is templated on its scalar
//     (core/dual.hpp): exact to rounding;
//  3. finite_difference — central differences of the best lower-order route, step
//     h = ε^{1/3}·max(1,|θ_i|) (error ≈ 1e-10 relative) for first differences, ε^{1/4}·max(1,|θ_i|)
//     (≈ 1e-8) for a Hessian from values only.  The HVP without an `hvp` member is AD, H·v,
//     or differences of the gradient along v.  No options.
// Every accessor checks θ (and v) for NaN/Inf, emptiness and size agreement (with v, and with
// the loss's optional `dimension()`), and throws shiftcurv::invalid_argument naming the
// function and the offending entry.
#pragma once

#include <string_view>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/derivatives/autodiff.hpp"
#include "shiftcurv/derivatives/finite_difference.hpp"

namespace shiftcurv {

/// How a derivative is obtained.
enum class route { analytic, automatic, finite_difference };

constexpr std::string_view to_string(route r) noexcept {
  switch (r) {
    case route::analytic: return "analytic";
    case route::automatic: return "automatic";
    case route::finite_difference: return "finite_difference";
  }
  return "unknown";
}

template <class F, class Vec = vector>
inline constexpr route gradient_route = has_gradient<F, Vec>            ? route::analytic
                                        : scalar_templated_loss<F, Vec> ? route::automatic
                                                                        : route::finite_difference;
template <class F, class Vec = vector>
inline constexpr route hessian_route = has_hessian<F, Vec>             ? route::analytic
                                       : scalar_templated_loss<F, Vec> ? route::automatic
                                                                       : route::finite_difference;
template <class F, class Vec = vector>
inline constexpr route hvp_route = has_hvp<F, Vec> || has_hessian<F, Vec> ? route::analytic
                                   : scalar_templated_loss<F, Vec>        ? route::automatic
                                                                          : route::finite_difference;

namespace detail {

/// θ non-empty, finite and of the loss's declared dimension() (if it declares one).
template <class F, class Vec>
void check_point(std::string_view fn, const F& f, const Vec& theta) {
  if (theta.size() < 1) throw_invalid(fn, "theta must not be empty");
  require_finite(fn, "theta", theta);
  require_dimension(fn, "theta", f, theta.size());
}

// Unchecked versions for inner loops (integrators, quadrature): the public accessors below
// validate and forward here.
template <class F, class Vec>
auto value_unchecked(const F& f, const Vec& theta) {
  return static_cast<double>(f(theta));
}

template <class F, class Vec>
auto gradient_unchecked(const F& f, const Vec& theta) {
  using out = rebind_vector<Vec, double>;
  if constexpr (has_gradient<F, Vec>)
    return out(f.gradient(theta));
  else if constexpr (scalar_templated_loss<F, Vec>)
    return ad_gradient(f, theta);
  else
    return fd_gradient([&f](const Vec& x) { return static_cast<double>(f(x)); }, theta);
}

template <class F, class Vec>
auto hessian_unchecked(const F& f, const Vec& theta) {
  constexpr int N = Vec::RowsAtCompileTime;
  using out = Eigen::Matrix<double, N, N>;
  if constexpr (has_hessian<F, Vec>)
    return out(f.hessian(theta));
  else if constexpr (scalar_templated_loss<F, Vec>)
    return ad_hessian(f, theta);
  else if constexpr (has_gradient<F, Vec>)
    return fd_jacobian_of_gradient([&f](const Vec& x) { return gradient_unchecked(f, x); }, theta);
  else
    return fd_hessian_from_values([&f](const Vec& x) { return static_cast<double>(f(x)); }, theta);
}

template <class F, class Vec, class V>
auto hvp_unchecked(const F& f, const Vec& theta, const V& v) {
  using out = rebind_vector<Vec, double>;
  if constexpr (has_hvp<F, Vec>)
    return out(f.hvp(theta, v));
  else if constexpr (has_hessian<F, Vec>)
    return out(f.hessian(theta) * v);
  else if constexpr (scalar_templated_loss<F, Vec>)
    return ad_hvp(f, theta, v);
  else
    return fd_hvp_from_gradient([&f](const Vec& x) { return gradient_unchecked(f, x); }, theta, v);
}

}  // namespace detail

/// U(θ), checked: θ finite.
template <class F, real_vector Vec>
  requires loss_function<F, Vec>
double value(const F& f, const Vec& theta) {
  detail::check_point("value", f, theta);
  return detail::value_unchecked(f, theta);
}

/// ∇U(θ) by the route `gradient_route<F, Vec>`.
template <class F, real_vector Vec>
  requires loss_function<F, Vec>
auto gradient(const F& f, const Vec& theta) {
  detail::check_point("gradient", f, theta);
  auto g = detail::gradient_unchecked(f, theta);
  require_size("gradient", "the functor's gradient", g.size(), theta.size());
  return g;
}

/// ∇²U(θ) by the route `hessian_route<F, Vec>`.
template <class F, real_vector Vec>
  requires loss_function<F, Vec>
auto hessian(const F& f, const Vec& theta) {
  detail::check_point("hessian", f, theta);
  auto H = detail::hessian_unchecked(f, theta);
  if (H.rows() != theta.size() || H.cols() != theta.size())
    detail::throw_invalid("hessian", "the functor's Hessian is ", H.rows(), "x", H.cols(),
                          ", expected ", theta.size(), "x", theta.size());
  return H;
}

/// ∇²U(θ)·v by the route `hvp_route<F, Vec>`.
template <class F, real_vector Vec, class V>
  requires loss_function<F, Vec>
auto hvp(const F& f, const Vec& theta, const Eigen::MatrixBase<V>& v) {
  detail::check_point("hvp", f, theta);
  require_size("hvp", "v", v.size(), theta.size());
  require_finite("hvp", "v", v);
  const Vec vv = v;
  return detail::hvp_unchecked(f, theta, vv);
}

}  // namespace shiftcurv
