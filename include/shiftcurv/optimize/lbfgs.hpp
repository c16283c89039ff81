// shiftcurv/optimize/lbfgs.hpp — a local minimum of U by L-BFGS: U and ∇U only, O(m·p) memory
// (networks, p up to 10⁶ and more).
//
//   shiftcurv::minimize_lbfgs_options o;  o.gradient_tolerance = 1e-6;
//   auto r = shiftcurv::minimize_lbfgs(loss, theta0, o);   // a loss functor or a per-sample loss
//   if (r) use(r.theta, r.value, r.gradient_norm);         // else r.status, r.message
//
// Which minimizer: find_minimum (optimize/find_minimum.hpp) for small p, where Hessians are
// affordable (quadratic convergence, a certified minimum); this one for large p.
//
// Contract: LBFGSpp's L-BFGS (`memory` correction pairs) with the strong-Wolfe line search of
// Nocedal & Wright (sufficient decrease 1e-4, curvature 0.9).  U and ∇U come from, in order:
// 1. the loss's `double value_and_gradient(θ, g)` (one pass); 2. a per-sample loss: its batched
// `mean_value`/`mean_gradient` when present, else the means of its per-sample calls; 3. a loss
// functor: U(θ) and the routes of derivatives/derivatives.hpp (without a `gradient` member,
// AD or differences cost O(p) evaluations of U).  Stops when ‖∇U‖₂ ≤ gradient_tolerance
// (LBFGSpp's absolute `epsilon`; its epsilon_rel·‖θ‖ and `past` value tests are off) or after
// max_iterations (LBFGSpp's count of line searches, 1 if θ0 meets the tolerance; a failed line
// search counts 1).  A failed line search (LBFGSpp throws: rounding near the minimum, or a
// non-finite step) restarts from the best point, at most `restarts` times, unless that point
// meets the tolerance.  The result (theta, value, gradient_norm = ‖∇U‖₂ there) is the point
// where the stop test held, else the point of lowest U evaluated; `evaluations` counts (U, ∇U)
// pairs.  Memory O(m·p).  Below U's rounding (‖∇U‖ too small for a visible decrease) the line
// searches fail or run out: not_converged or max_iterations, never a false success.
//
// Statuses: success iff gradient_norm ≤ gradient_tolerance; else max_iterations, not_converged
// (line searches failed: LBFGSpp's reason in the message) or numerical_issue (U or ∇U not
// finite: the run stops, the best finite point is returned; at θ0: θ0, value and norm NaN).
// Throws invalid_argument (θ0 empty, not finite, or of a size other than a declared
// dimension(); a gradient of another size; gradient_tolerance ≤ 0 or not finite; memory,
// max_iterations, max_line_search < 1; restarts < 0), naming the function called; what the
// loss itself throws propagates.
#pragma once

#include <cmath>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

#include <LBFGS.h>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/derivatives/per_sample.hpp"

namespace shiftcurv {

struct minimize_lbfgs_options {
  double gradient_tolerance = 1e-5;  ///< stop when ‖∇U‖₂ ≤ this (absolute; LBFGSpp's epsilon)
  int max_iterations = 1000;         ///< L-BFGS iterations (line searches), over all restarts
  int memory = 10;                   ///< m: correction pairs kept; memory ≈ (2m + 6)·p doubles
  int max_line_search = 20;          ///< LBFGSpp's max_linesearch: a line search that makes this
                                     ///< many (+1) evaluations stops at its last trial point
  int restarts = 2;                  ///< restarts from the best point after a failed line search
};

struct minimize_lbfgs_result : result_base {
  vector theta;              ///< the minimizer (see the header opening)
  double value = 0;          ///< U(theta)
  double gradient_norm = 0;  ///< ‖∇U(theta)‖₂
};

namespace detail {

/// Thrown inside the objective when U or ∇U is not finite; caught by minimize_lbfgs.
struct lbfgs_non_finite {};

/// U(θ) and ∇U(θ) into g, by the first route of the header opening that the loss offers.
template <class Loss>
double lbfgs_value_and_gradient(const Loss& loss, const vector& theta, vector& g) {
  if constexpr (requires { { loss.value_and_gradient(theta, g) } -> std::convertible_to<double>; }) {
    return static_cast<double>(loss.value_and_gradient(theta, g));
  } else if constexpr (per_sample_loss<Loss>) {
    const index n = static_cast<index>(loss.num_samples());
    double u;
    if constexpr (has_batched_value<Loss>) {
      u = static_cast<double>(loss.mean_value(theta));
    } else {
      compensated_sum s;
      for (index i = 0; i < n; ++i) s.add(static_cast<double>(loss.value(theta, i)));
      u = s.value() / static_cast<double>(n);
    }
    if constexpr (has_batched_gradient<Loss>) {
      g = loss.mean_gradient(theta);
    } else {
      vector gi(theta.size());
      g.setZero(theta.size());
      for (index i = 0; i < n; ++i) {
        loss.gradient(theta, i, gi);
        g += gi;
      }
      g /= static_cast<double>(n);
    }
    return u;
  } else {
    const double u = value_unchecked(loss, theta);
    g = gradient_unchecked(loss, theta);
    return u;
  }
}

/// minimize_lbfgs for callers that name themselves `fn` in messages.
template <class Loss>
minimize_lbfgs_result minimize_lbfgs(std::string_view fn, const Loss& loss, const vector& theta0,
                                     const minimize_lbfgs_options& options) {
  if (theta0.size() < 1) throw_invalid(fn, "theta0 must not be empty");
  require_finite(fn, "theta0", theta0);
  require_dimension(fn, "theta0", loss, theta0.size());
  require_finite(fn, "gradient_tolerance", options.gradient_tolerance);
  if (!(options.gradient_tolerance > 0))
    throw_invalid(fn, "gradient_tolerance must be > 0, got ", options.gradient_tolerance);
  if (options.max_iterations < 1) throw_invalid(fn, "max_iterations must be >= 1, got ", options.max_iterations);
  if (options.memory < 1) throw_invalid(fn, "memory must be >= 1, got ", options.memory);
  if (options.max_line_search < 1) throw_invalid(fn, "max_line_search must be >= 1, got ", options.max_line_search);
  if (options.restarts < 0) throw_invalid(fn, "restarts must be >= 0, got ", options.restarts);
  if constexpr (per_sample_loss<Loss>) checked_num_samples(fn, loss);

  minimize_lbfgs_result out;
  // LBFGSpp's objective: U and ∇U, the best point so far, a stop on a non-finite value.
  struct objective {
    std::string_view fn;
    const Loss* loss;
    minimize_lbfgs_result* best;
    std::exception_ptr* loss_error;
    double* last_gradient_norm;  // at the point evaluated last (LBFGSpp's x on its return)
    double operator()(const vector& x, vector& g) {
      // A non-finite trial point is L-BFGS's breakdown (a degenerate correction pair), not the
      // loss's: taken as a failed line search, so L-BFGS restarts from the best point.
      if (!x.allFinite()) throw std::runtime_error("the L-BFGS step is not finite");
      double u;
      try {
        u = lbfgs_value_and_gradient(*loss, x, g);
        require_size(fn, "the loss's gradient", g.size(), x.size());
      } catch (...) {
        *loss_error = std::current_exception();
        throw;
      }
      ++best->evaluations;
      const double gn = g.norm();  // not finite iff g is not (or ‖g‖ overflows: then checked)
      if (!std::isfinite(u) || (!std::isfinite(gn) && !g.allFinite())) throw lbfgs_non_finite{};
      *last_gradient_norm = gn;
      if (best->theta.size() == 0 || u < best->value) {
        best->theta = x;
        best->value = u;
        best->gradient_norm = *last_gradient_norm;
      }
      return u;
    }
  };
  std::exception_ptr loss_error;
  double last_gradient_norm = std::numeric_limits<double>::quiet_NaN();
  objective obj{fn, &loss, &out, &loss_error, &last_gradient_norm};
  vector x = theta0;
  int used = 0;
  std::string failure;
  bool non_finite = false;
  for (int attempt = 0; attempt <= options.restarts && used < options.max_iterations; ++attempt) {
    LBFGSpp::LBFGSParam<double> p;
    p.m = options.memory;
    p.epsilon = options.gradient_tolerance;
    p.epsilon_rel = 0;
    p.past = 0;
    p.max_iterations = options.max_iterations - used;  // > 0 here: 0 would mean no limit
    p.max_linesearch = options.max_line_search;
    p.linesearch = LBFGSpp::LBFGS_LINESEARCH_BACKTRACKING_STRONG_WOLFE;
    LBFGSpp::LBFGSSolver<double, LBFGSpp::LineSearchNocedalWright> solver(p);
    double fx = 0;
    try {
      used += solver.minimize(obj, x, fx);
      failure.clear();
      // LBFGSpp's stop test held at its x (evaluated last): that point, even where an earlier
      // trial point had a lower U by rounding (or a line search that ran out of evaluations).
      if (last_gradient_norm <= options.gradient_tolerance && out.gradient_norm > options.gradient_tolerance) {
        out.theta = x;
        out.value = fx;
        out.gradient_norm = last_gradient_norm;
      }
      break;
    } catch (const lbfgs_non_finite&) {
      non_finite = true;
      used += 1;
      break;
    } catch (const std::exception& e) {
      if (loss_error) std::rethrow_exception(loss_error);
      failure = e.what();  // the line search failed: restart from the best point
      used += 1;
      x = out.theta;
      if (out.gradient_norm <= options.gradient_tolerance) break;
    } catch (...) {
      if (loss_error) std::rethrow_exception(loss_error);
      throw;
    }
  }
  out.iterations = used;
  if (out.theta.size() == 0) {
    out.theta = theta0;
    out.value = std::numeric_limits<double>::quiet_NaN();
    out.gradient_norm = std::numeric_limits<double>::quiet_NaN();
    record_status(out, status::numerical_issue, message(fn, "the loss is not finite at the start"));
    return out;
  }
  if (non_finite) {
    record_status(out, status::numerical_issue, message(fn, "U or its gradient is not finite at a trial point after ", used,
                          " iterations; the best point has |grad U| = ", out.gradient_norm));
    return out;
  }
  if (out.gradient_norm <= options.gradient_tolerance) return out;
  record_status(out, failure.empty() ? status::max_iterations : status::not_converged, message(fn, "L-BFGS stopped at |grad U| = ", out.gradient_norm, " > ", options.gradient_tolerance,
                        failure.empty() ? std::string(" (iteration limit)") : " (" + failure + ")"));
  return out;
}

}  // namespace detail

/// A local minimum of U from theta0 by L-BFGS (see the header opening).  `loss`: a loss functor
/// (value, optional gradient) or a per-sample loss (core/concepts.hpp).
template <class Loss>
  requires loss_function<Loss> || per_sample_loss<Loss>
minimize_lbfgs_result minimize_lbfgs(const Loss& loss, const vector& theta0, const minimize_lbfgs_options& options = {}) {
  return detail::minimize_lbfgs("minimize_lbfgs", loss, theta0, options);
}

}  // namespace shiftcurv
