// shiftcurv/basins/minima.hpp — minima of U_tr (θ_k) and of the effective potential v (µ_k).
//
//   auto m = shiftcurv::find_minimum(loss, seed);              // trust-region Newton
//   if (m) use(m.theta, m.value, m.gradient);                  // status says if it converged
//   auto xs = shiftcurv::local_minima_1d(wells, -4, 4);        // interior minima, increasing
//   auto ys = shiftcurv::local_maxima_1d(wells, -4, 4);        // interior maxima
//   auto mu = shiftcurv::find_potential_minimum(loss, noise, T, m.theta);  // zero of V near θ_k
//
// Contract:
// * `find_minimum(loss, seed, opt)`: a trust-region Newton method (Nocedal & Wright, ch. 4;
//   steps (H + τI)d = −g by Cholesky, τ raised until ‖d‖ ≤ the radius), so a seed on the
//   shoulder of a narrow well stays in that well.  Converged when ‖∇U‖∞ ≤ gradient_tolerance
//   (then polished by one full Newton step to rounding where H is positive definite) or the
//   step is below step_tolerance·(1 + ‖θ‖), with no negative curvature.  A saddle, a
//   collapsed trust region or the iteration budget give a non-success status, never a throw.
//   `value` is U(θ), `gradient` ∇U(θ).  A flat, higher-order minimum converges linearly.
// * `local_minima_1d` / `local_maxima_1d(loss, lo, hi, scan_points = 2001)`: sign changes of
//   U' on a uniform grid, each refined by TOMS 748 to a few ulps.  Two extrema closer than
//   the grid spacing can be missed.
// * `find_potential_minimum(loss, noise, T, seed, opt)`: damped Newton on N = ∇U + (T/2)∇·D
//   (zero exactly where V = 0), polished like find_minimum.  `gradient` is V(µ), `value` is
//   v(µ) − v(seed).  Status not_converged if the zero is not a minimum of v.
//
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
#include "shiftcurv/io/csv_table.hpp"
#include "shiftcurv/potential/effective_potential.hpp"
#include "shiftcurv/potential/potential_gradient.hpp"

namespace shiftcurv {

struct find_minimum_options {
  double gradient_tolerance = 1e-10;  ///< on ‖∇U‖∞ (or ‖N‖∞ for the potential minimum)
  double step_tolerance = 1e-14;      ///< relative step size that counts as converged
  int max_iterations = 200;           ///< Newton iterations at most
  double initial_radius = 0;          ///< trust radius of find_minimum; 0: 0.1·max(1, ‖seed‖∞)
};

struct minimum_result : result_base {
  vector theta;        ///< the minimizer
  double value = 0;    ///< U(θ) (find_minimum) or v(µ) − v(seed) (find_potential_minimum)
  vector gradient;     ///< ∇U(θ) or V(µ)
};

namespace detail {

inline void check_minimize_options(std::string_view fn, const find_minimum_options& options) {
  require_finite(fn, "gradient_tolerance", options.gradient_tolerance);
  require_finite(fn, "step_tolerance", options.step_tolerance);
  if (options.gradient_tolerance < 0 || options.step_tolerance < 0)
    throw_invalid(fn, "tolerances must be >= 0");
  if (options.max_iterations < 1) throw_invalid(fn, "max_iterations must be >= 1, got ", options.max_iterations);
}

/// Solve (M + τI) d = −g with τ ≥ 0 raised until the Cholesky factorization succeeds.
/// Returns τ used (0 if M itself is positive definite).
template <class = void>
double modified_newton_step(const matrix& M, const vector& g, vector& d) {
  const matrix S = 0.5 * (M + M.transpose());
  // Shift scale: the Hessian's size, or the gradient's where the Hessian vanishes.
  const double beta = std::max({S.cwiseAbs().maxCoeff(), g.cwiseAbs().maxCoeff(), 1e-300});
  double tau = 0;
  const index p = S.rows();
  for (int k = 0; k < 80; ++k) {
    Eigen::LLT<matrix> llt(S + tau * matrix::Identity(p, p));
    if (llt.info() == Eigen::Success) {
      d = -llt.solve(g);
      if (d.allFinite()) return tau;
    }
    tau = tau == 0 ? 1e-3 * beta : 4 * tau;
  }
  d = -g;  // steepest descent as a last resort
  return std::numeric_limits<double>::infinity();
}

/// No clearly negative eigenvalue in the symmetric part of M: the signs of an LDLᵀ
/// factorization's D are those of the eigenvalues (Sylvester), compared with −1e-10·max|M|.
/// Semi-definite (flat, higher-order) minima pass.
template <class = void>
bool no_negative_curvature(const matrix& M) {
  const matrix S = 0.5 * (M + M.transpose());
  if (!S.allFinite()) return false;
  if (Eigen::LLT<matrix>(S).info() == Eigen::Success) return true;  // fast (blocked) path
  const double scale = S.cwiseAbs().maxCoeff();
  Eigen::LDLT<matrix> ldlt(S);
  return ldlt.info() == Eigen::Success && ldlt.vectorD().minCoeff() >= -1e-10 * scale;
}

/// The iterate of find_minimum: θ, U(θ), ∇U(θ) and the evaluations spent.
struct descent_state {
  vector theta;
  double value = 0;
  vector gradient;
  long evaluations = 0;
};

/// Replace θ by θ + d if that reduces ‖∇U‖ (a polishing Newton step: quadratic convergence
/// takes θ from ‖∇U‖ ≈ tolerance to rounding; U's own rounding would hide the decrease).
template <class Loss>
void polish_if_better(const Loss& loss, descent_state& x, const vector& d) {
  if (!d.allFinite()) return;
  const vector trial = x.theta + d;
  const vector gt = gradient_unchecked(loss, trial);
  if (gt.allFinite() && gt.norm() < x.gradient.norm()) {
    x.theta = trial;
    x.gradient = gt;
    x.value = value_unchecked(loss, trial);
    ++x.evaluations;
  }
}

/// The trust-region step: (S + τI)d = −g with τ ≥ 0 raised (×4) until ‖d‖ ≤ radius, then
/// scaled back onto the sphere if needed.  `newton` is the unshifted (or minimally shifted) step.
template <class = void>
vector trust_region_step(const matrix& S, const vector& g, const vector& newton, double radius) {
  vector d = newton;
  const double beta = std::max({S.cwiseAbs().maxCoeff(), g.cwiseAbs().maxCoeff(), 1e-300});
  double tau = 0;
  for (int k = 0; k < 200 && d.norm() > radius; ++k) {
    tau = tau == 0 ? 1e-3 * beta : 4 * tau;
    Eigen::LLT<matrix> llt(S + tau * matrix::Identity(S.rows(), S.rows()));
    if (llt.info() == Eigen::Success) d = -llt.solve(g);
  }
  if (d.norm() > radius) d *= radius / d.norm();
  return d;
}

/// find_minimum for callers that name themselves `fn` in messages.
template <class Loss>
minimum_result find_minimum(std::string_view fn, const Loss& loss, const vector& seed,
                            const find_minimum_options& options) {
  if (seed.size() < 1) throw_invalid(fn, "seed must not be empty");
  require_finite(fn, "seed", seed);
  require_dimension(fn, "seed", loss, seed.size());
  check_minimize_options(fn, options);
  minimum_result r;
  descent_state x{seed, value_unchecked(loss, seed), gradient_unchecked(loss, seed), 1};
  double radius = options.initial_radius > 0 ? options.initial_radius : 0.1 * std::max(1.0, seed.lpNorm<Eigen::Infinity>());
  bool done = false;
  for (int it = 0; it < options.max_iterations && !done; ++it) {
    r.iterations = it + 1;
    if (!std::isfinite(x.value) || !x.gradient.allFinite()) {
      r.status = status::numerical_issue;
      r.message = message(fn, "U or its gradient is not finite at iteration ", it);
      break;
    }
    const matrix H = hessian_unchecked(loss, x.theta);
    const matrix S = 0.5 * (H + H.transpose());
    const Eigen::LLT<matrix> llt(S);  // one factorization: PD test and Newton step
    const bool pd = llt.info() == Eigen::Success;
    // 1. converged: polish with one full Newton step where H is positive definite.
    if (x.gradient.lpNorm<Eigen::Infinity>() <= options.gradient_tolerance && (pd || no_negative_curvature(H))) {
      if (pd) polish_if_better(loss, x, vector(-llt.solve(x.gradient)));
      done = true;
      break;
    }
    // 2. the step: Newton where H is PD, else modified; then cut to the trust region.
    vector newton;
    if (pd) newton = -llt.solve(x.gradient);
    if (!pd || !newton.allFinite()) modified_newton_step(H, x.gradient, newton);
    const vector d = trust_region_step(S, x.gradient, newton, radius);
    // 3. accept or shrink, by the ratio of actual to predicted decrease.
    const double predicted = -(x.gradient.dot(d) + 0.5 * d.dot(S * d));
    const vector trial = x.theta + d;
    const double ut = value_unchecked(loss, trial);
    ++x.evaluations;
    const double actual = x.value - ut;
    const double ratio = predicted > 0 ? actual / predicted : -1.0;
    if (std::isfinite(ut) && actual > 0 && ratio > 0.1) {
      const double step = d.norm();
      x.theta = trial;
      x.value = ut;
      x.gradient = gradient_unchecked(loss, x.theta);
      if (ratio > 0.75 && step >= 0.99 * radius) radius *= 2;
      done = step <= options.step_tolerance * (1 + x.theta.norm()) &&
             no_negative_curvature(hessian_unchecked(loss, x.theta));
      continue;
    }
    // No decrease representable: at a minimum to rounding if the full Newton step is
    // negligible (polish with it); otherwise shrink the trust region.
    if (newton.norm() <= 1e-8 * (1 + x.theta.norm()) && no_negative_curvature(H)) {
      if (pd) polish_if_better(loss, x, newton);
      done = true;
      break;
    }
    radius = 0.25 * std::min(radius, d.norm());
    if (radius <= 1e-15 * (1 + x.theta.norm())) {
      r.status = status::not_converged;
      r.message = message(fn, "the trust region collapsed at iteration ", it, ", |grad| = ",
                          x.gradient.lpNorm<Eigen::Infinity>());
      break;
    }
  }
  r.theta = x.theta;
  r.value = x.value;
  r.gradient = x.gradient;
  r.evaluations = x.evaluations;
  if (r.status == status::success && !done) {
    r.status = status::max_iterations;
    r.message = message(fn, "no convergence in ", options.max_iterations, " iterations, |grad| = ",
                        x.gradient.lpNorm<Eigen::Infinity>());
  }
  if (r.status == status::success && !no_negative_curvature(hessian_unchecked(loss, x.theta))) {
    r.status = status::not_converged;
    r.message = message(fn, "the stationary point found is not a minimum (Hessian has a negative eigenvalue)");
  }
  return r;
}

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

/// find_potential_minimum for callers that name themselves `fn` (e.g. gaussian_mixture).
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
      r.status = status::numerical_issue;
      r.message = message(fn, "grad U + (T/2) div D is not finite at iteration ", it);
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
      r.status = status::numerical_issue;
      r.message = message(fn, "singular Jacobian of grad U + (T/2) div D at iteration ", it);
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
      r.status = status::not_converged;
      r.message = message(fn, "no decrease of |grad U + (T/2) div D| at iteration ", it, ", its norm is ", n0);
      break;
    }
    th += t * d;
    n = nt;
    done = t * d.norm() <= options.step_tolerance * (1 + th.norm());
  }
  r.theta = th;
  if (r.status == status::success && !done) {
    r.status = status::max_iterations;
    r.message = message(fn, "no convergence in ", options.max_iterations, " iterations");
  }
  r.gradient = potential_gradient_unchecked(fn, loss, noise, th, T);
  if (r.status == status::success && !no_negative_curvature(potential_hessian_at(fn, loss, noise, T, th))) {
    r.status = status::not_converged;
    r.message = message(fn, "the zero of V found is not a minimum of v (Hessian of v has a negative eigenvalue)");
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

/// A local minimum of U near `seed` (see the header comment).
template <class Loss>
  requires loss_function<Loss>
minimum_result find_minimum(const Loss& loss, const vector& seed, const find_minimum_options& options = {}) {
  return detail::find_minimum("find_minimum", loss, seed, options);
}

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

/// The result as a CSV table (io/csv.hpp writes it): theta_0…, value, gradient_0…, status, message, iterations.
inline csv_table to_table(const minimum_result& r) {
  std::vector<std::string> h;
  detail::append_indexed(h, "theta", static_cast<long>(r.theta.size()));
  h.push_back("value");
  detail::append_indexed(h, "gradient", static_cast<long>(r.gradient.size()));
  for (const char* c : {"status", "message", "iterations"}) h.push_back(c);
  csv_table t(std::move(h));
  std::vector<csv_cell> row;
  for (long i = 0; i < static_cast<long>(r.theta.size()); ++i) row.emplace_back(r.theta(i));
  row.emplace_back(r.value);
  for (long i = 0; i < static_cast<long>(r.gradient.size()); ++i) row.emplace_back(r.gradient(i));
  row.emplace_back(std::string(to_string(r.status)));
  row.emplace_back(r.message);
  row.emplace_back(r.iterations);
  t.add_row(std::move(row));
  return t;
}

}  // namespace shiftcurv
