// shiftcurv/optimize/find_minimum.hpp — a local minimum of U by trust-region Newton (dense
// Hessians: small p).
//
//   auto m = shiftcurv::find_minimum(loss, seed);              // trust-region Newton
//   if (m) use(m.theta, m.value, m.gradient);                  // status says if it converged
//
// Which minimizer: find_minimum (here) forms and factorizes the p×p Hessian at each step: for
// small p (up to a few hundred), it converges quadratically to rounding, and it certifies a
// minimum (no negative curvature), so it never stops at a saddle.  minimize_lbfgs
// (optimize/lbfgs.hpp) needs only U and ∇U, in O(m·p) memory: for networks (p up to 10⁶ and
// more), to a gradient-norm tolerance, without a curvature check.
//
// Contract: a trust-region Newton method (Nocedal & Wright, ch. 4; steps (H + τI)d = −g by
// Cholesky, τ raised until ‖d‖ ≤ the radius), so a seed on the shoulder of a narrow well stays
// in that well.  Converged when ‖∇U‖∞ ≤ gradient_tolerance (then polished by one full Newton
// step to rounding where H is positive definite) or the step is below step_tolerance·(1 + ‖θ‖),
// with no negative curvature.  `value` is U(θ), `gradient` ∇U(θ).  A flat, higher-order minimum
// converges linearly.  Derivatives by the routes of derivatives/derivatives.hpp.
//
// Statuses: max_iterations (budget spent), not_converged (a saddle or maximum found, or the
// trust region collapsed), numerical_issue (U or ∇U not finite); never a throw for these.
// Throws invalid_argument (seed empty, NaN or of a size other than a declared dimension(),
// tolerances < 0 or not finite, max_iterations < 1), naming the function called.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Cholesky>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/io/csv_table.hpp"

namespace shiftcurv {

struct find_minimum_options {
  double gradient_tolerance = 1e-10;  ///< on ‖∇U‖∞ (or ‖N‖∞ for the potential minimum)
  double step_tolerance = 1e-14;      ///< relative step size that counts as converged
  int max_iterations = 200;          ///< Newton iterations
  double initial_radius = 0;          ///< trust radius of find_minimum; 0: 0.1·max(1, ‖seed‖∞)
};

struct minimum_result : result_base {
  vector theta;        ///< the minimizer
  double value = 0;    ///< U(θ) (find_minimum) or v(µ) − v(seed) (find_potential_minimum)
  vector gradient;     ///< ∇U(θ) or V(µ)
};

namespace detail {

template <class = void>
void check_minimize_options(std::string_view fn, const find_minimum_options& options) {
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
      record_status(r, status::numerical_issue, message(fn, "U or its gradient is not finite at iteration ", it));
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
      record_status(r, status::not_converged, message(fn, "the trust region collapsed at iteration ", it, ", |grad| = ",
                          x.gradient.lpNorm<Eigen::Infinity>()));
      break;
    }
  }
  r.theta = x.theta;
  r.value = x.value;
  r.gradient = x.gradient;
  r.evaluations = x.evaluations;
  if (r.status == status::success && !done) {
    record_status(r, status::max_iterations, message(fn, "no convergence in ", options.max_iterations, " iterations, |grad| = ",
                        x.gradient.lpNorm<Eigen::Infinity>()));
  }
  if (r.status == status::success && !no_negative_curvature(hessian_unchecked(loss, x.theta))) {
    record_status(r, status::not_converged, message(fn, "the stationary point found is not a minimum (Hessian has a negative eigenvalue)"));
  }
  return r;
}

}  // namespace detail

/// A local minimum of U near `seed` (see the header opening).
template <class Loss>
  requires loss_function<Loss>
minimum_result find_minimum(const Loss& loss, const vector& seed, const find_minimum_options& options = {}) {
  return detail::find_minimum("find_minimum", loss, seed, options);
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
