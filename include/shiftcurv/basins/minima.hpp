// shiftcurv/basins/minima.hpp — minima of U_tr (θ_k) and of the effective potential v (µ_k).
//
//   auto m = shiftcurv::find_minimum(loss, seed);              // trust-region Newton
//   if (m) use(m.theta, m.value, m.gradient);                  // status says if it converged
//   auto xs = shiftcurv::local_minima_1d(wells, -4, 4);        // interior minima, increasing
//   auto ys = shiftcurv::local_maxima_1d(wells, -4, 4);        // interior maxima
//   auto mu = shiftcurv::find_potential_minimum(loss, noise, T, m.theta);  // zero of V near θ_k
//
// * `find_minimum`: a trust-region Newton method (Nocedal & Wright, Numerical Optimization,
//   2nd ed., ch. 4): the step solves (H + τI)d = −g with τ ≥ 0 raised (Cholesky, never an
//   inverse) until H + τI is positive definite and ‖d‖ ≤ the trust radius; the radius starts
//   at `initial_radius` (default 0.1·max(1, ‖seed‖∞)) and adapts to the ratio of actual to
//   predicted decrease, so a seed on the shoulder of a narrow well stays in that well.  Once
//   ‖∇U‖∞ ≤ gradient_tolerance, one more full Newton step polishes θ to rounding where H is
//   positive definite (a flat, higher-order minimum converges only linearly: there θ is
//   accurate to ≈ (gradient_tolerance/|U^(J)|)^{1/(J−1)}).  Converged when ‖∇U‖∞ ≤
//   gradient_tolerance or the step is below step_tolerance·(1 + ‖θ‖) with no negative
//   curvature; a stationary point whose Hessian has a negative eigenvalue, a collapsed trust
//   region or the iteration budget give a non-success status (never a throw).  Derivatives come from the loss's
//   routes (derivatives/derivatives.hpp).  `value` is U(θ), `gradient` ∇U(θ).
// * `local_minima_1d` / `local_maxima_1d`: sign changes of U' on a uniform grid of
//   `scan_points` points, each refined by Boost.Math's TOMS 748 bracketing solver (Alefeld,
//   Potra & Shi, ACM TOMS 21, 1995) to a bracket
//   of a few ulps (≈ 1e-15·max(1,|θ|)).  Two extrema closer than the grid spacing can be
//   missed: raise scan_points for features narrower than (hi − lo)/scan_points.
// * `find_potential_minimum`: Newton on N(θ) = ∇U + (T/2)∇·D (zero exactly where V = 0,
//   since D is positive definite), Jacobian ∇²U + (T/2)∇(∇·D) (the latter by central
//   differences of the divergence), backtracking on ‖N‖, polished like find_minimum.  The result's `gradient` is V(µ),
//   `value` is v(µ) − v(seed) by a line integral.  Status not_converged if the zero found is
//   not a minimum of v (∇²v has a negative eigenvalue; flat, higher-order minima pass).
//
// Throws invalid_argument (NaN seed, empty or non-finite interval, scan_points < 3),
// domain_error (T ≤ 0, D not positive definite at µ).
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

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/potential/effective_potential.hpp"
#include "shiftcurv/potential/potential_gradient.hpp"

namespace shiftcurv {

struct minimize_options {
  double gradient_tolerance = 1e-10;  ///< on ‖∇U‖∞ (or ‖N‖∞ for the potential minimum)
  double step_tolerance = 1e-14;      ///< relative step size that counts as converged
  int max_iterations = 200;
  double initial_radius = 0;          ///< trust radius of find_minimum; 0: 0.1·max(1, ‖seed‖∞)
};

struct minimum_result : result_base {
  vector theta;        ///< the minimizer
  double value = 0;    ///< U(θ) (find_minimum) or v(µ) − v(seed) (find_potential_minimum)
  vector gradient;     ///< ∇U(θ) or V(µ)
};

namespace detail {

inline void check_minimize_options(std::string_view fn, const minimize_options& o) {
  require_finite(fn, "gradient_tolerance", o.gradient_tolerance);
  require_finite(fn, "step_tolerance", o.step_tolerance);
  if (o.gradient_tolerance < 0 || o.step_tolerance < 0)
    throw_invalid(fn, "tolerances must be >= 0");
  if (o.max_iterations < 1) throw_invalid(fn, "max_iterations must be >= 1, got ", o.max_iterations);
}

/// Solve (M + τI) d = −g with τ ≥ 0 raised until the Cholesky factorization succeeds.
/// Returns τ used (0 if M itself is positive definite).
inline double modified_newton_step(const matrix& M, const vector& g, vector& d) {
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
inline bool no_negative_curvature(const matrix& M) {
  const matrix S = 0.5 * (M + M.transpose());
  if (!S.allFinite()) return false;
  if (Eigen::LLT<matrix>(S).info() == Eigen::Success) return true;  // fast (blocked) path
  const double scale = S.cwiseAbs().maxCoeff();
  Eigen::LDLT<matrix> ldlt(S);
  return ldlt.info() == Eigen::Success && ldlt.vectorD().minCoeff() >= -1e-10 * scale;
}

template <class F>
std::vector<double> extrema_1d(std::string_view fn, const F& loss, double lo, double hi,
                               int scan_points, bool minima) {
  require_finite(fn, "lo", lo);
  require_finite(fn, "hi", hi);
  if (!(lo < hi)) throw_invalid(fn, "the interval is empty: lo = ", lo, ", hi = ", hi);
  if (scan_points < 3) throw_invalid(fn, "scan_points must be >= 3, got ", scan_points);
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
  // A minimum: U' goes from < 0 to > 0.  Zeros exactly on the grid are handled by looking at
  // the nearest non-zero neighbours on either side.
  std::vector<double> out;
  auto sign_at = [&](int i) { return s[i] > 0 ? 1 : (s[i] < 0 ? -1 : 0); };
  int i = 0;
  while (i < n - 1) {
    const int si = sign_at(i);
    if (si == 0) { ++i; continue; }
    int j = i + 1;
    while (j < n && sign_at(j) == 0) ++j;
    if (j == n) break;
    const int sj = sign_at(j);
    const bool wanted = minima ? (si < 0 && sj > 0) : (si > 0 && sj < 0);
    if (wanted) {
      if (j > i + 1) {
        out.push_back(0.5 * (grid[i + 1] + grid[j - 1]));  // a run of exact zeros: its middle
      } else {
        std::uintmax_t it = 200;
        const auto br = boost::math::tools::toms748_solve(
            du, grid[i], grid[j], s[i], s[j], boost::math::tools::eps_tolerance<double>(52), it);
        const double a = br.first, b = br.second;
        const double fa = du(a), fb = du(b);
        out.push_back(std::abs(fa) <= std::abs(fb) ? a : b);
      }
    }
    i = j;
  }
  return out;
}

}  // namespace detail

/// A local minimum of U near `seed` (see the header comment).
template <class Loss>
  requires loss_function<Loss>
minimum_result find_minimum(const Loss& loss, const vector& seed, minimize_options opt = {}) {
  constexpr std::string_view fn = "find_minimum";
  if (seed.size() < 1) detail::throw_invalid(fn, "seed must not be empty");
  require_finite(fn, "seed", seed);
  detail::check_minimize_options(fn, opt);
  minimum_result r;
  vector th = seed;
  double u = detail::value_unchecked(loss, th);
  vector g = detail::gradient_unchecked(loss, th);
  r.evaluations = 1;
  double radius = opt.initial_radius > 0 ? opt.initial_radius : 0.1 * std::max(1.0, seed.lpNorm<Eigen::Infinity>());
  bool done = false;
  matrix H;
  for (int it = 0; it < opt.max_iterations && !done; ++it) {
    r.iterations = it + 1;
    if (!std::isfinite(u) || !g.allFinite()) {
      r.status = status::numerical_issue;
      r.message = detail::message(fn, "U or its gradient is not finite at iteration ", it);
      break;
    }
    H = detail::hessian_unchecked(loss, th);
    const matrix S = 0.5 * (H + H.transpose());
    const Eigen::LLT<matrix> llt(S);  // one factorization: PD test and Newton step
    const bool pd = llt.info() == Eigen::Success;
    if (g.lpNorm<Eigen::Infinity>() <= opt.gradient_tolerance && (pd || detail::no_negative_curvature(H))) {
      // Polish: one more full Newton step where H is positive definite (quadratic convergence
      // takes θ from ‖∇U‖ ≈ tolerance to rounding), kept only if it reduces ‖∇U‖.
      if (pd) {
        const vector trial = th - llt.solve(g);
        const vector gt = detail::gradient_unchecked(loss, trial);
        if (gt.allFinite() && gt.norm() < g.norm()) {
          th = trial;
          g = gt;
          u = detail::value_unchecked(loss, th);
          ++r.evaluations;
        }
      }
      done = true;
      break;
    }
    // Trust region: the shifted Newton step (H + τI)d = −g with ‖d‖ ≤ radius (τ raised by 4×).
    vector d;
    double tau = 0;
    if (pd) d = -llt.solve(g);
    if (!pd || !d.allFinite()) tau = detail::modified_newton_step(H, g, d);
    const double newton_norm = d.norm();
    const double beta = std::max({S.cwiseAbs().maxCoeff(), g.cwiseAbs().maxCoeff(), 1e-300});
    for (int k = 0; k < 200 && d.norm() > radius; ++k) {
      tau = tau == 0 ? 1e-3 * beta : 4 * tau;
      Eigen::LLT<matrix> llt(S + tau * matrix::Identity(S.rows(), S.rows()));
      if (llt.info() == Eigen::Success) d = -llt.solve(g);
    }
    if (d.norm() > radius) d *= radius / d.norm();
    const double predicted = -(g.dot(d) + 0.5 * d.dot(S * d));
    const vector trial = th + d;
    const double ut = detail::value_unchecked(loss, trial);
    ++r.evaluations;
    const double actual = u - ut;
    const double ratio = predicted > 0 ? actual / predicted : -1.0;
    if (std::isfinite(ut) && actual > 0 && ratio > 0.1) {
      const double step = d.norm();
      th = trial;
      u = ut;
      g = detail::gradient_unchecked(loss, th);
      if (ratio > 0.75 && step >= 0.99 * radius) radius *= 2;
      if (step <= opt.step_tolerance * (1 + th.norm()) &&
          detail::no_negative_curvature(detail::hessian_unchecked(loss, th)))
        done = true;
    } else {
      // No decrease representable: at a minimum to rounding if the full Newton step is
      // negligible; polish with it when it reduces ‖∇U‖ (U's rounding hides the decrease).
      if (newton_norm <= 1e-8 * (1 + th.norm()) && detail::no_negative_curvature(H)) {
        Eigen::LLT<matrix> llt(S);
        if (llt.info() == Eigen::Success) {
          const vector trial_n = th - llt.solve(g);
          const vector gt = detail::gradient_unchecked(loss, trial_n);
          if (gt.allFinite() && gt.norm() < g.norm()) {
            th = trial_n;
            g = gt;
            u = detail::value_unchecked(loss, th);
            ++r.evaluations;
          }
        }
        done = true;
        break;
      }
      radius = 0.25 * std::min(radius, d.norm());
      if (radius <= 1e-15 * (1 + th.norm())) {
        r.status = status::not_converged;
        r.message = detail::message(fn, "the trust region collapsed at iteration ", it,
                                    ", |grad| = ", g.lpNorm<Eigen::Infinity>());
        break;
      }
    }
  }
  r.theta = th;
  r.value = u;
  r.gradient = g;
  if (r.status == status::success && !done) {
    r.status = status::max_iterations;
    r.message = detail::message(fn, "no convergence in ", opt.max_iterations,
                                " iterations, |grad| = ", g.lpNorm<Eigen::Infinity>());
  }
  if (r.status == status::success && !detail::no_negative_curvature(detail::hessian_unchecked(loss, th))) {
    r.status = status::not_converged;
    r.message = detail::message(fn, "the stationary point found is not a minimum (Hessian has a negative eigenvalue)");
  }
  return r;
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
                                      const vector& seed, minimize_options opt = {}) {
  constexpr std::string_view fn = "find_potential_minimum";
  detail::check_theta_T(fn, seed, T);
  detail::check_minimize_options(fn, opt);
  minimum_result r;
  vector th = seed;
  vector n = detail::drift_numerator(loss, noise, th, T);
  bool done = false;
  matrix M;
  for (int it = 0; it < opt.max_iterations && !done; ++it) {
    r.iterations = it + 1;
    if (!n.allFinite()) {
      r.status = status::numerical_issue;
      r.message = detail::message(fn, "grad U + (T/2) div D is not finite at iteration ", it);
      break;
    }
    const bool small = n.lpNorm<Eigen::Infinity>() <= opt.gradient_tolerance;
    M = detail::hessian_unchecked(loss, th);
    M.noalias() += (0.5 * T) * divergence_jacobian(noise, th);
    vector d;
    {
      // Symmetric positive definite M (e.g. constant D): Cholesky; otherwise partial-pivot LU.
      const double asym = (M - M.transpose()).cwiseAbs().maxCoeff();
      Eigen::LLT<matrix> llt;
      if (asym <= 1e-12 * M.cwiseAbs().maxCoeff()) llt.compute(0.5 * (M + M.transpose()));
      if (asym <= 1e-12 * M.cwiseAbs().maxCoeff() && llt.info() == Eigen::Success)
        d = -llt.solve(n);
      else
        d = -Eigen::PartialPivLU<matrix>(M).solve(n);
    }
    if (small) {  // polish with one full Newton step if it reduces ‖N‖ (see find_minimum)
      if (d.allFinite()) {
        const vector trial = th + d;
        const vector nt = detail::drift_numerator(loss, noise, trial, T);
        ++r.evaluations;
        if (nt.allFinite() && nt.norm() < n.norm()) { th = trial; n = nt; }
      }
      done = true;
      break;
    }
    if (!d.allFinite()) {
      r.status = status::numerical_issue;
      r.message = detail::message(fn, "singular Jacobian at iteration ", it);
      break;
    }
    const double n0 = n.norm();
    double t = 1;
    bool accepted = false;
    vector trial, nt;
    for (int k = 0; k < 60; ++k) {
      trial = th + t * d;
      nt = detail::drift_numerator(loss, noise, trial, T);
      ++r.evaluations;
      if (nt.allFinite() && nt.norm() <= (1 - 1e-4 * t) * n0) { accepted = true; break; }
      t *= 0.5;
    }
    const double step = (t * d).norm();
    if (!accepted) {
      if ((d).norm() <= 1e-8 * (1 + th.norm())) { done = true; break; }  // at rounding level
      r.status = status::not_converged;
      r.message = detail::message(fn, "no decrease of |grad U + (T/2) div D| at iteration ", it,
                                  ", its norm is ", n0);
      break;
    }
    th = trial;
    n = nt;
    if (step <= opt.step_tolerance * (1 + th.norm())) done = true;
  }
  r.theta = th;
  if (r.status == status::success && !done) {
    r.status = status::max_iterations;
    r.message = detail::message(fn, "no convergence in ", opt.max_iterations, " iterations");
  }
  r.gradient = detail::potential_gradient_unchecked(fn, loss, noise, th, T);
  if (r.status == status::success) {
    const matrix Hv = potential_hessian_at(loss, noise, th, T);
    if (!detail::no_negative_curvature(Hv)) {
      r.status = status::not_converged;
      r.message = detail::message(fn, "the zero of V found is not a minimum of v (Hessian of v has a negative eigenvalue)");
    }
  }
  if ((th - seed).norm() > 0) {
    const line_integral_result li = effective_potential(loss, noise, T, seed, th);
    r.value = li.value;
    r.evaluations += li.evaluations;
  }
  return r;
}

}  // namespace shiftcurv
