// shiftcurv/potential/effective_potential.hpp — the effective potential v(θ, T) as a line
// integral of V (THEORY.md eq 5/24: v(θ) = ∫_{θ0}^{θ} V(ξ)·dξ, ρ ∝ exp(−(2/T) v)).
//
//   shiftcurv::b1_case1 c(H, 0.5);                                   // closed form known
//   auto r = shiftcurv::effective_potential(c.loss, c.noise, 0.1, a, b);  // v(b) − v(a)
//   if (r) use(r.value, r.error_estimate, r.evaluations);            // evaluations = V calls
//   auto q = shiftcurv::effective_potential(c.loss, c.noise, 0.1, {a, m, b});  // polyline a→m→b
//
// Contract: v(end) − v(start) = ∫V·dθ along the straight segment or the polyline (a sum of
// segments).  Each segment is integrated by a globally adaptive Gauss–Kronrod rule (31-point
// Kronrod leaves); where V cannot be evaluated at an end (D singular there) by tanh-sinh,
// which never evaluates the ends.  `error_estimate` estimates |value − exact|; status is
// success when it is ≤ tolerance·∫|V·dθ| (relative to the L1 norm, so that integrals that
// cancel to ~0 still terminate), tolerance_not_met otherwise, numerical_issue if not finite.
//
// Throws invalid_argument (NaN, sizes, θ's size ≠ the loss's or model's dimension(), a path of
// fewer than 2 points), domain_error (T ≤ 0, D not positive definite at a point visited).
#pragma once

#include <cmath>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/math/quadrature/tanh_sinh.hpp>

#include "shiftcurv/core/detail/adaptive_quadrature.hpp"
#include "shiftcurv/core/detail/numerics.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/io/csv_table.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/potential/potential_gradient.hpp"

namespace shiftcurv {

enum class line_rule {
  automatic,       ///< Gauss–Kronrod, tanh-sinh on segments with an end where V is singular
  gauss_kronrod,   ///< always adaptive Gauss–Kronrod
  tanh_sinh        ///< always tanh-sinh (ends never evaluated)
};

struct line_integral_options {
  double tolerance = 1e-10;   ///< relative to ∫|V·dθ| along the path
  int max_depth = 15;         ///< bisection depth of the adaptive rule (≤ 4096 leaves in all)
  line_rule rule = line_rule::automatic;  ///< automatic | gauss_kronrod | tanh_sinh
};

struct line_integral_result : result_base {
  double value = 0;           ///< v(end) − v(start)
  double error_estimate = 0;  ///< estimate of |value − exact|
  double l1_norm = 0;         ///< ∫|V·dθ| along the path (the scale of `tolerance`)
};

namespace detail {

/// t ↦ V(a + t·d)·d, the integrand of v along the segment a → a + d, counting evaluations in
/// `evals`.  For a constant D, V·d = N·(D⁻¹d) with N = ∇U + (T/2)∇·D: one factorization serves
/// every point of the segment.
template <class Loss, class Noise>
auto segment_integrand(std::string_view fn, const Loss& loss, const Noise& noise, double T, const vector& a,
                       const vector& d, long& evals) {
  vector w;
  if constexpr (std::is_same_v<Noise, constant_diffusion>) w = diffusion_cholesky(fn, noise, a).solve(d);
  return [fn, &loss, &noise, T, a, d, w, &evals](double t) {
    ++evals;
    const vector x = a + t * d;
    if constexpr (std::is_same_v<Noise, constant_diffusion>)
      return drift_numerator(loss, noise, x, T).dot(w);
    else
      return potential_gradient_unchecked(fn, loss, noise, x, T).dot(d);
  };
}

template <class Loss, class Noise>
line_integral_result segment_integral(std::string_view fn, const Loss& loss, const Noise& noise,
                                      double T, const vector& from, const vector& to,
                                      const line_integral_options& options) {
  line_integral_result r;
  const vector d = to - from;
  if (d.squaredNorm() == 0) return r;
  long evals = 0;
  auto phi = segment_integrand(fn, loss, noise, T, from, d, evals);
  line_rule rule = options.rule;
  if (rule == line_rule::automatic) {
    rule = line_rule::gauss_kronrod;
    for (double t : {0.0, 1.0}) {
      try {
        if (!std::isfinite(phi(t))) rule = line_rule::tanh_sinh;
      } catch (const shiftcurv::domain_error&) {
        rule = line_rule::tanh_sinh;
      }
    }
  }
  if (rule == line_rule::tanh_sinh) {
    boost::math::quadrature::tanh_sinh<double> ts(static_cast<std::size_t>(std::max(options.max_depth, 4)));
    double err = 0, l1 = 0;
    std::size_t levels = 0;
    try {
      r.value = ts.integrate(phi, 0.0, 1.0, options.tolerance, &err, &l1, &levels);
    } catch (const shiftcurv::domain_error&) {
      throw;  // D not positive definite inside the segment: the caller's domain
    } catch (const std::exception& e) {  // Boost's evaluation_error: V blew up inside
      r.value = std::numeric_limits<double>::quiet_NaN();
      r.message = e.what();
    }
    r.error_estimate = err;
    r.l1_norm = l1;
    r.iterations = static_cast<long>(levels);
  } else {
    const adaptive_sum s = adaptive_gauss_kronrod<31>(phi, 0.0, 1.0, options.tolerance, 0.0, options.max_depth);
    r.value = s.value;
    r.error_estimate = s.error;
    r.l1_norm = s.l1;
  }
  r.evaluations = evals;
  return r;
}

inline void finish_line_result(std::string_view fn, line_integral_result& r, double tol) {
  if (!std::isfinite(r.value) || !std::isfinite(r.error_estimate)) {
    const std::string cause = std::exchange(r.message, {});  // the quadrature's exception text, if any
    record_status(r, status::numerical_issue,
                  message(fn, "the line integral is not finite (V singular on the path?) ", cause));
  } else if (r.error_estimate > tol * r.l1_norm && r.error_estimate > 0) {
    record_status(r, status::tolerance_not_met,
                  message(fn, "error estimate ", r.error_estimate, " exceeds tolerance ", tol,
                          " x L1 norm ", r.l1_norm));
  }
}

inline void check_line_options(std::string_view fn, const line_integral_options& options) {
  require_positive(fn, "tolerance", options.tolerance);
  if (options.max_depth < 0) throw_invalid(fn, "max_depth must be >= 0, got ", options.max_depth);
}

}  // namespace detail

namespace detail {

/// v(last) − v(first) along a polyline, for public callers; checks and messages name `fn`.
template <class Loss, class Noise>
line_integral_result line_integral(std::string_view fn, const Loss& loss, const Noise& noise, double T,
                                   const std::vector<vector>& polyline, const line_integral_options& options) {
  require_temperature(fn, T);
  if (polyline.size() < 2)
    throw_invalid(fn, "a path needs at least 2 points, got ", polyline.size());
  check_model_point(fn, "the path's first point", loss, noise, polyline.front());
  check_line_options(fn, options);
  for (std::size_t i = 1; i < polyline.size(); ++i) {
    require_size(fn, "a point of the path", polyline[i].size(), polyline.front().size());
    require_finite(fn, "a point of the path", polyline[i]);
  }
  line_integral_result total;
  compensated_sum sum;
  for (std::size_t i = 0; i + 1 < polyline.size(); ++i) {
    const line_integral_result s = segment_integral(fn, loss, noise, T, polyline[i], polyline[i + 1], options);
    sum.add(s.value);
    total.error_estimate += s.error_estimate;
    total.l1_norm += s.l1_norm;
    total.evaluations += s.evaluations;
    total.iterations += s.iterations;
    if (total.message.empty()) total.message = s.message;
  }
  total.value = sum.value();
  finish_line_result(fn, total, options.tolerance);
  return total;
}

}  // namespace detail

/// v(to) − v(from) along the straight segment.
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
line_integral_result effective_potential(const Loss& loss, const Noise& noise, double T,
                                         const vector& from, const vector& to,
                                         const line_integral_options& options = {}) {
  constexpr std::string_view fn = "effective_potential";
  require_size(fn, "to", to.size(), from.size());
  return detail::line_integral(fn, loss, noise, T, {from, to}, options);
}

/// v(last) − v(first) along the polyline through the given points (≥ 2).
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
line_integral_result effective_potential(const Loss& loss, const Noise& noise, double T,
                                         const std::vector<vector>& polyline,
                                         const line_integral_options& options = {}) {
  return detail::line_integral("effective_potential", loss, noise, T, polyline, options);
}

/// The result as a CSV table (io/csv.hpp writes it): value, error_estimate, l1_norm, status, message, evaluations.
inline csv_table to_table(const line_integral_result& r) {
  csv_table t({"value", "error_estimate", "l1_norm", "status", "message", "evaluations"});
  t.add_row({r.value, r.error_estimate, r.l1_norm, to_string(r.status), r.message, r.evaluations});
  return t;
}

}  // namespace shiftcurv
