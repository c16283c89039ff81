// shiftcurv/basins/minima.hpp — minima of U_tr (θ_k) and of the effective potential v (µ_k).
//
//   auto m = shiftcurv::find_minimum(loss, seed);              // optimize/find_minimum.hpp
//   auto xs = shiftcurv::local_minima_1d(wells, -4, 4);        // interior minima, increasing
//   auto ys = shiftcurv::local_maxima_1d(wells, -4, 4);        // interior maxima
//   auto mu = shiftcurv::find_potential_minimum(loss, noise, T, m.theta);  // zero of V near θ_k
//
// Contract:
// * `find_minimum(loss, seed, options)`, the minimum of U: optimize/find_minimum.hpp (included).
// * `local_minima_1d` / `local_maxima_1d(loss, lo, hi, scan_points = 2001)`: sign changes of
//   U' on a uniform grid, each refined by TOMS 748 to a few ulps.  Two extrema closer than
//   the grid spacing can be missed.
// * `find_potential_minimum(loss, noise, T, seed, options)`: damped Newton on
//   N = ∇U + (T/2)∇·D (zero exactly where V = 0), polished like find_minimum, with the options
//   of find_minimum (find_minimum_options: gradient_tolerance on ‖N‖∞; initial_radius unused).
//   `gradient` is V(µ), `value` is v(µ) − v(seed).
//
// Statuses of find_potential_minimum: not_converged (the zero is not a minimum of v, or no
// decrease of ‖N‖), max_iterations, numerical_issue (N not finite, singular Jacobian).
// Throws invalid_argument (seed empty, NaN or of a size other than a declared dimension(),
// empty or non-finite interval, scan_points < 3), domain_error (T ≤ 0, D not positive
// definite), naming the function called.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <boost/math/tools/roots.hpp>
#include <boost/math/tools/toms748_solve.hpp>

#include "shiftcurv/basins/detail/sign_changes.hpp"
#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/optimize/find_minimum.hpp"
#include "shiftcurv/potential/effective_potential.hpp"
#include "shiftcurv/potential/potential_gradient.hpp"

namespace shiftcurv {

namespace detail {

/// The Newton direction −M⁻¹n for the potential minimum: Cholesky where M is symmetric
/// positive definite (e.g. constant D), partial-pivot LU otherwise.
template <class = void>
vector potential_newton_direction(const matrix& M, const vector& n) {
  const double scale = M.cwiseAbs().maxCoeff();
  if ((M - M.transpose()).cwiseAbs().maxCoeff() <= 1e-12 * scale) {
    Eigen::LLT<matrix> llt(0.5 * (M + M.transpose()));
    if (llt.info() == Eigen::Success) return -llt.solve(n);
  }
  return -Eigen::PartialPivLU<matrix>(M).solve(n);
}

/// find_potential_minimum for callers that name themselves `fn` (e.g. gaussian_mixture);
/// check_minimize_options and no_negative_curvature come from optimize/find_minimum.hpp.
template <class Loss, class Noise>
minimum_result find_potential_minimum(std::string_view fn, const Loss& loss, const Noise& noise, double T,
                                      const vector& seed, const find_minimum_options& options) {
  require_temperature(fn, T);
  check_model_point(fn, "seed", loss, noise, seed);
  check_minimize_options(fn, options);
  minimum_result r;
  vector th = seed;
  vector n = drift_numerator(loss, noise, th, T);
  bool done = false;
  for (int it = 0; it < options.max_iterations && !done; ++it) {
    r.iterations = it + 1;
    if (!n.allFinite()) {
      record_status(r, status::numerical_issue, message(fn, "grad U + (T/2) div D is not finite at iteration ", it));
      break;
    }
    matrix M = hessian_unchecked(loss, th);
    M.noalias() += (0.5 * T) * detail::divergence_jacobian(noise, th);
    const vector d = potential_newton_direction(M, n);
    if (n.lpNorm<Eigen::Infinity>() <= options.gradient_tolerance) {
      // polish with one full Newton step if it reduces ‖N‖ (see find_minimum)
      if (d.allFinite()) {
        const vector nt = drift_numerator(loss, noise, vector(th + d), T);
        ++r.evaluations;
        if (nt.allFinite() && nt.norm() < n.norm()) { th += d; n = nt; }
      }
      done = true;
      break;
    }
    if (!d.allFinite()) {
      record_status(r, status::numerical_issue, message(fn, "singular Jacobian of grad U + (T/2) div D at iteration ", it));
      break;
    }
    // Backtracking on ‖N‖ (Armijo-like sufficient decrease).
    const double n0 = n.norm();
    double t = 1;
    bool accepted = false;
    vector nt;
    for (int k = 0; k < 60 && !accepted; ++k) {
      nt = drift_numerator(loss, noise, vector(th + t * d), T);
      ++r.evaluations;
      accepted = nt.allFinite() && nt.norm() <= (1 - 1e-4 * t) * n0;
      if (!accepted) t *= 0.5;
    }
    if (!accepted) {
      if (d.norm() <= 1e-8 * (1 + th.norm())) { done = true; break; }  // at rounding level
      record_status(r, status::not_converged, message(fn, "no decrease of |grad U + (T/2) div D| at iteration ", it, ", its norm is ", n0));
      break;
    }
    th += t * d;
    n = nt;
    done = t * d.norm() <= options.step_tolerance * (1 + th.norm());
  }
  r.theta = th;
  if (r.status == status::success && !done) {
    record_status(r, status::max_iterations, message(fn, "no convergence in ", options.max_iterations, " iterations"));
  }
  r.gradient = potential_gradient_unchecked(fn, loss, noise, th, T);
  if (r.status == status::success && !no_negative_curvature(potential_hessian_at(fn, loss, noise, T, th))) {
    record_status(r, status::not_converged, message(fn, "the zero of V found is not a minimum of v (Hessian of v has a negative eigenvalue)"));
  }
  if ((th - seed).norm() > 0) {
    const line_integral_result li = line_integral(fn, loss, noise, T, {seed, th}, line_integral_options{});
    r.value = li.value;
    r.evaluations += li.evaluations;
  }
  return r;
}

template <class F>
std::vector<double> extrema_1d(std::string_view fn, const F& loss, double lo, double hi,
                               int scan_points, bool minima) {
  require_finite(fn, "lo", lo);
  require_finite(fn, "hi", hi);
  if (!(lo < hi)) throw_invalid(fn, "the interval is empty: lo = ", lo, ", hi = ", hi);
  if (scan_points < 3) throw_invalid(fn, "scan_points must be >= 3, got ", scan_points);
  require_dimension(fn, "theta", loss, 1);
  vector x(1);
  auto du = [&](double t) {
    x(0) = t;
    return static_cast<double>(gradient_unchecked(loss, x)(0));
  };
  const int n = scan_points;
  std::vector<double> grid(n), s(n);
  for (int i = 0; i < n; ++i) {
    grid[i] = i == n - 1 ? hi : lo + (hi - lo) * static_cast<double>(i) / (n - 1);
    s[i] = du(grid[i]);
    if (!std::isfinite(s[i])) throw_invalid(fn, "U'(theta) is not finite at theta = ", grid[i]);
  }
  // A minimum: U' goes from < 0 to > 0 (zeros exactly on the grid: see find_sign_changes).
  auto roots = find_sign_changes(grid, s, du, lo, hi);
  return minima ? std::move(roots.up) : std::move(roots.down);
}

}  // namespace detail

/// Interior local minima of a 1-D loss (U on 1-vectors) in (lo, hi), increasing.
template <class Loss>
  requires loss_function<Loss>
std::vector<double> local_minima_1d(const Loss& loss, double lo, double hi, int scan_points = 2001) {
  return detail::extrema_1d("local_minima_1d", loss, lo, hi, scan_points, true);
}

/// Interior local maxima of a 1-D loss in (lo, hi), increasing.
template <class Loss>
  requires loss_function<Loss>
std::vector<double> local_maxima_1d(const Loss& loss, double lo, double hi, int scan_points = 2001) {
  return detail::extrema_1d("local_maxima_1d", loss, lo, hi, scan_points, false);
}

/// µ: the minimum of v nearest `seed` (a zero of V), see the header comment.
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
minimum_result find_potential_minimum(const Loss& loss, const Noise& noise, double T,
                                      const vector& seed, const find_minimum_options& options = {}) {
  return detail::find_potential_minimum("find_potential_minimum", loss, noise, T, seed, options);
}

}  // namespace shiftcurv
