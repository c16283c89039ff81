// shiftcurv/fokker_planck/detail/fp_common.hpp — what the 1-D and 2-D Fokker–Planck solvers share:
// the time-stepping options and results (public names, documented on their fields below),
// the Bernoulli function of the Scharfetter–Gummel flux, the cell quadrature of the potential
// increments, compensated sums and the implicit time-stepping driver.
//
// Notes on the 1-D construction (moved from fokker_planck_1d.hpp):
// With g = Dρ and φ = (2/T)∫U'/D, J = (T/2) e^{−φ} ∂θ(e^{φ} g).  Between neighbouring centres θ_i,
// θ_{i+1} (distance h_i) the flux is taken constant and φ's increment is EXACT (Gauss–Kronrod
// quadrature of U'/D, Δφ_i = (2/T)∫_{θ_i}^{θ_{i+1}} U'/D), which gives the Scharfetter–Gummel
// flux  J_{i+½} = (T/2)/h_i · [B(−Δφ_i) g_{i+1} − B(Δφ_i) g_i],  B(x) = x/(eˣ − 1)
// (Scharfetter & Gummel, IEEE Trans. Electron Devices 16:64, 1969; Il'in 1969; Chang & Cooper,
// J. Comput. Phys. 6:1, 1970, whose weights δ = 1/Δφ − 1/(e^{Δφ} − 1) are the same flux).
// Consequences, for ANY grid:
//  - the discrete steady state (zero current on every face) is ρ_i ∝ e^{−φ_i}/D_i =
//    exp(−(2/T) v(θ_i)) exactly at the nodes, v = ∫U'/D + (T/2) log D (up to quadrature error);
//  - the semi-discrete system ṁ = A m for the cell masses m_i = ρ_i Δθ_i is a birth–death
//    Markov generator (off-diagonal rates ≥ 0, columns summing to 0): mass is conserved to
//    rounding and backward Euler is positive for every dt (I − dt·A is an M-matrix);
//  - time-dependent solutions are second order in the cell size (O(h²)).
// The state is advanced by implicit steps with one O(N) tridiagonal solve each (Thomas
// algorithm without pivoting, stable because I − aA is column diagonally dominant):
// backward Euler, Crank–Nicolson or TR-BDF2 (Bank et al., IEEE Trans. Electron Devices
// 32:1992, 1985), fixed or adaptive dt (step doubling).  The options and result types
// (fp_scheme, fp_evolve_options, fp_evolve_result) are shared with the 2-D solver and live in
// this file.  Two practical points: every step is rescaled to the starting
// mass, which removes the rounding drift of the solves (size reported as
// fp_evolve_result::max_mass_correction, ~1e-15 for moderate dt); adaptive steps are rejected
// when a density falls below −1e-14·max ρ (Crank–Nicolson and TR-BDF2, unlike backward Euler,
// are positive only for small enough dt).
//
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <boost/math/quadrature/gauss_kronrod.hpp>

#include "shiftcurv/core/detail/numerics.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"

namespace shiftcurv {

/// Implicit time-stepping schemes of the Fokker–Planck solvers.
enum class fp_scheme {
  backward_euler,  ///< order 1, L-stable; positive and mass-conserving for ANY dt (M-matrix)
  crank_nicolson,  ///< order 2, A-stable (not L-stable); positive only for small dt
  tr_bdf2          ///< order 2, L-stable (Bank et al. 1985, γ = 2 − √2); positive for small dt
};

constexpr std::string_view to_string(fp_scheme s) noexcept {
  switch (s) {
    case fp_scheme::backward_euler: return "backward_euler";
    case fp_scheme::crank_nicolson: return "crank_nicolson";
    case fp_scheme::tr_bdf2: return "tr_bdf2";
  }
  return "unknown";
}

/// How `evolve` steps in time.
struct fp_evolve_options {
  fp_scheme scheme = fp_scheme::tr_bdf2;
  /// > 0: fixed steps of this size (the last one shortened to land on the end time);
  /// 0: adaptive steps (step doubling) that keep each step's L1 error below `tolerance`.
  double dt = 0;
  /// Adaptive only: bound on the L1 norm of each step's local error (the density has L1 norm
  /// 1, so this is an absolute probability error per step).
  double tolerance = 1e-6;
  /// Adaptive only: the first step tried (0: 1e-4 × duration, shrunk as needed).
  double initial_dt = 0;
  /// Budget of steps (accepted + rejected); exhausted → status::max_iterations.
  long max_steps = 10'000'000;
  /// Fixed dt only: estimate the error by step doubling of the first step (two extra half
  /// steps); false leaves error_estimate at 0 (benchmarks, inner loops).
  bool estimate_error = true;
};

/// What `evolve` did.  `iterations` counts accepted steps.
struct fp_evolve_result : result_base {
  double time = 0;              ///< the solver's clock after the call
  long rejected_steps = 0;      ///< adaptive steps rejected (error too large or a negative ρ_i)
  double dt_min = 0, dt_max = 0;  ///< smallest / largest step taken
  /// Time-discretization error, L1 norm of the density.  Adaptive: the sum of the local error
  /// estimates, a bound on the global error because the Fokker–Planck flow (and its discrete
  /// generator) is an L1 contraction.  Fixed dt: the step-doubling estimate of the first step
  /// times the number of steps (rough; the first step usually carries the largest error).
  /// The spatial error (O(h²)) is not included: halve the cell size to see it.
  double error_estimate = 0;
  double min_density = 0;       ///< the smallest ρ_i after the call (≥ 0 with backward Euler)
  double mass_change = 0;       ///< |mass after − mass before| (rounding only)
  /// The exact schemes conserve Σm (the generator's columns sum to 0), but each implicit solve
  /// changes Σm by rounding, ~ε·cond(I − a·A), which grows with dt·‖A‖.  Every step is therefore
  /// rescaled to the starting mass; this is the largest relative rescaling applied (≈1e-15 for
  /// moderate dt, up to ~1e-6 for dt·‖A‖ ~ 1e10).
  double max_mass_correction = 0;
};

namespace detail {

/// B(x) = x / (eˣ − 1), the Bernoulli function of the Scharfetter–Gummel flux; B(0) = 1,
/// B(x) → 0 for x → +∞ (underflows harmlessly), B(x) ≈ −x for x → −∞.
inline double fp_bernoulli(double x) noexcept {
  if (x == 0) return 1.0;
  const double e = std::expm1(x);
  if (std::isinf(e)) return 0.0;
  return x / e;
}

/// ∫_a^b f with the 7/15-point Gauss–Kronrod pair, bisecting (at most 10 levels) until
/// |K − G| ≤ max(1e-13 ∫|f|, abs_tol·(b − a)) (|K − G| is the Gauss error; Kronrod's is far
/// smaller, so `error` is pessimistic).  abs_tol is a per-unit-length floor (rounding noise
/// of f would otherwise force bisection forever where f changes sign).
struct fp_cell_integral {
  double value = 0, error = 0;
  long evaluations = 0;
};

template <class F>
void fp_integrate_cell(const F& f, double a, double b, double abs_tol, int depth, fp_cell_integral& out) {
  // Mapped onto [−1, 1] here: Boost 1.74 returns the non-adaptive error estimate unscaled by
  // the half-width (its L1 is scaled), so we scale all three ourselves.
  const double mid = 0.5 * (a + b), half = 0.5 * (b - a);
  auto g = [&](double t) { return f(mid + half * t); };
  double err = 0, L1 = 0;
  double I = boost::math::quadrature::gauss_kronrod<double, 15>::integrate(g, -1.0, 1.0, 0, 0.0, &err, &L1);
  I *= half;
  err *= half;
  L1 *= half;
  out.evaluations += 15;
  if (err <= std::max(1e-13 * L1, abs_tol * (b - a)) || depth == 0) {
    out.value += I;
    out.error += err;
    return;
  }
  fp_integrate_cell(f, a, mid, abs_tol, depth - 1, out);
  fp_integrate_cell(f, mid, b, abs_tol, depth - 1, out);
}

template <class F>
fp_cell_integral fp_integrate_cell(const F& f, double a, double b, double abs_tol) {
  fp_cell_integral out;
  fp_integrate_cell(f, a, b, abs_tol, 10, out);
  return out;
}

/// Faces of a uniform grid of `cells` cells on [lo, hi], checked.
inline vector fp_uniform_faces(std::string_view fn, double lo, double hi, index cells) {
  require_finite(fn, "lo", lo);
  require_finite(fn, "hi", hi);
  if (!(lo < hi)) throw_invalid(fn, "the domain [lo, hi] is empty: lo = ", lo, ", hi = ", hi);
  if (cells < 2) throw_invalid(fn, "cells must be >= 2, got ", cells);
  vector f(cells + 1);
  for (index i = 0; i <= cells; ++i)
    f(i) = lo + (hi - lo) * (static_cast<double>(i) / static_cast<double>(cells));
  f(cells) = hi;
  return f;
}

inline void fp_check_faces(std::string_view fn, const vector& faces) {
  if (faces.size() < 3) throw_invalid(fn, "need at least 2 cells (3 faces), got ", faces.size(), " faces");
  require_finite(fn, "faces", faces);
  for (index i = 0; i + 1 < faces.size(); ++i)
    if (!(faces(i) < faces(i + 1)))
      throw_invalid(fn, "faces must increase strictly, faces[", i, "] = ", faces(i), " >= faces[", i + 1,
                    "] = ", faces(i + 1));
}

// ---- time stepping ----------------------------------------------------------------------------
// A System provides, for cell masses m (the state; 1ᵀA = 0 so Σm is conserved):
//   void apply(const vector& m, vector& out) const;     // out = A m
//   void solve(double a, const vector& rhs, vector& x); // x = (I − aA)⁻¹ rhs
//   static constexpr bool quantized_dt;                 // prefer dt = dt0·2^k (factor reuse)

struct fp_stepper_work {
  vector w1, w2, w3;
};

template <class System>
void fp_step_raw(System& sys, fp_scheme scheme, double dt, const vector& m, vector& out, fp_stepper_work& w) {
  switch (scheme) {
    case fp_scheme::backward_euler:
      sys.solve(dt, m, out);
      return;
    case fp_scheme::crank_nicolson:
      sys.apply(m, w.w1);
      w.w1 = m + (0.5 * dt) * w.w1;
      sys.solve(0.5 * dt, w.w1, out);
      return;
    case fp_scheme::tr_bdf2: {
      // Bank, Coughran, Fichtner, Grosse, Rose, Smith (1985); Hosea & Shampine (1996).
      const double g = 2 - std::sqrt(2.0);
      const double a1 = 0.5 * g * dt;                     // trapezoidal stage to t + γdt
      const double b = (1 - g) / (2 - g);                 // BDF2 stage coefficient
      const double c1 = 1 / (g * (2 - g)), c2 = (1 - g) * (1 - g) / (g * (2 - g));
      sys.apply(m, w.w1);
      w.w1 = m + a1 * w.w1;
      sys.solve(a1, w.w1, w.w2);                          // y = u(t + γdt)
      w.w1 = c1 * w.w2 - c2 * m;
      sys.solve(b * dt, w.w1, out);
      return;
    }
  }
}

/// One step, then the rounding drift of the mass is removed: the exact scheme conserves Σm
/// (1ᵀA = 0), but each solve perturbs Σm by ~ε·cond(I − aA), which grows with dt·‖A‖; the
/// result is rescaled to the mass `target` (a factor 1 + O(ε·cond), positivity kept).
template <class System>
double fp_step(System& sys, fp_scheme scheme, double dt, const vector& m, vector& out, fp_stepper_work& w,
               double target) {
  fp_step_raw(sys, scheme, dt, m, out, w);
  const double s = out.sum();
  if (!(s > 0)) return 0;
  out *= target / s;
  return std::abs(s / target - 1);
}

constexpr int fp_order(fp_scheme s) { return s == fp_scheme::backward_euler ? 1 : 2; }

/// The options of fp_evolve, checked (naming the public function `fn`).
inline void fp_check_evolve_options(std::string_view fn, double duration, const fp_evolve_options& options) {
  require_finite(fn, "duration", duration);
  if (duration < 0) throw_domain(fn, "duration must be >= 0, got ", duration);
  require_finite(fn, "options.dt", options.dt);
  if (options.dt < 0) throw_domain(fn, "options.dt must be >= 0 (0: adaptive), got ", options.dt);
  if (options.dt == 0) require_positive(fn, "options.tolerance", options.tolerance);
  require_finite(fn, "options.initial_dt", options.initial_dt);
  if (options.initial_dt < 0) throw_domain(fn, "options.initial_dt must be >= 0, got ", options.initial_dt);
  if (options.max_steps < 1) throw_invalid(fn, "options.max_steps must be >= 1, got ", options.max_steps);
}

/// What the two time-stepping loops share: the result being filled, the starting mass (every
/// step is rescaled to it), the scratch vectors and the step-doubling error scale.
struct fp_evolve_run {
  fp_evolve_result r;
  double mass0 = 0;
  fp_stepper_work w;
  vector full, half, tmp;
  double err_scale = 1;
  int order = 1;
  void note(double correction) { r.max_mass_correction = std::max(r.max_mass_correction, correction); }
  void accept(double h) {
    r.dt_min = std::min(r.dt_min, h);
    r.dt_max = std::max(r.dt_max, h);
    ++r.iterations;
  }
  static bool negative(const vector& x) { return x.minCoeff() < -1e-14 * x.maxCoeff(); }
};

/// Fixed steps of opt.dt (the last one shortened), with a step-doubling error estimate of the
/// first step times the number of steps.
template <class System>
void fp_evolve_fixed(System& sys, vector& m, double start_time, double duration, const fp_evolve_options& options,
                     std::string_view fn, fp_evolve_run& run) {
  fp_evolve_result& r = run.r;
  const double nsteps_d = std::ceil(duration / options.dt * (1 - 1e-12));
  const long nsteps = static_cast<long>(std::max(1.0, nsteps_d));
  if (nsteps_d > static_cast<double>(options.max_steps)) {
    record_status(r, status::max_iterations,
                  message(fn, "duration / dt = ", nsteps_d, " steps exceeds options.max_steps = ", options.max_steps));
    return;
  }
  double t = 0;
  for (long k = 0; k < nsteps; ++k) {
    const double h = (k + 1 == nsteps) ? duration - t : options.dt;
    if (k == 0 && options.estimate_error) {  // step doubling once, for the error estimate
      run.note(fp_step(sys, options.scheme, 0.5 * h, m, run.tmp, run.w, run.mass0));
      run.note(fp_step(sys, options.scheme, 0.5 * h, run.tmp, run.half, run.w, run.mass0));
    }
    run.note(fp_step(sys, options.scheme, h, m, run.full, run.w, run.mass0));
    if (k == 0 && options.estimate_error)
      r.error_estimate = run.err_scale * (run.half - run.full).cwiseAbs().sum() * static_cast<double>(nsteps);
    m.swap(run.full);
    t += h;
    run.accept(h);
  }
  r.time = start_time + duration;
  if (fp_evolve_run::negative(m)) {
    record_status(r, status::numerical_issue,
                  message(fn, to_string(options.scheme), " with dt = ", options.dt, " produced negative densities (min cell mass ",
                          m.minCoeff(), "); use backward_euler, a smaller dt, or adaptive steps"));
  }
}

/// Adaptive steps by step doubling: error = |two half steps − one step| / (2^p − 1); a step is
/// accepted when the error is within opt.tolerance and no density is negative.  Steps are
/// quantized to powers of two of the first step when the system prefers it (factor reuse).
template <class System>
void fp_evolve_adaptive(System& sys, vector& m, double start_time, double duration, const fp_evolve_options& options,
                        std::string_view fn, fp_evolve_run& run) {
  fp_evolve_result& r = run.r;
  const int p = run.order;
  // Default first step 1e-4·duration; for a duration so small that it underflows to 0
  // (< ~5e-320) one step of the whole duration.
  double dt = options.initial_dt > 0 ? options.initial_dt : (1e-4 * duration > 0 ? 1e-4 * duration : duration);
  const double dt_quantum = dt;
  auto quantize = [&](double h) {
    if constexpr (System::quantized_dt) {
      return dt_quantum * std::exp2(std::floor(std::log2(h / dt_quantum)));
    } else {
      return h;
    }
  };
  auto stop = [&](status st, double t, auto... parts) {
    record_status(r, st, message(fn, parts...));
    r.time = start_time + t;
  };
  dt = std::min(dt, duration);
  double t = 0;
  long attempts = 0;
  while (t < duration) {
    if (++attempts > options.max_steps)
      return stop(status::max_iterations, t, "options.max_steps = ", options.max_steps,
                  " used before reaching the end time (at t = ", start_time + t, " of ", start_time + duration, ")");
    double h = dt;
    const bool last = t + h >= duration * (1 - 1e-13);
    if (last) h = duration - t;
    run.note(fp_step(sys, options.scheme, h, m, run.full, run.w, run.mass0));
    run.note(fp_step(sys, options.scheme, 0.5 * h, m, run.tmp, run.w, run.mass0));
    run.note(fp_step(sys, options.scheme, 0.5 * h, run.tmp, run.half, run.w, run.mass0));
    const double err = run.err_scale * (run.half - run.full).cwiseAbs().sum();
    const bool neg = fp_evolve_run::negative(run.half);
    if (!std::isfinite(err))
      return stop(status::numerical_issue, t, "a non-finite density appeared at t = ", start_time + t);
    if (err <= options.tolerance && !neg) {
      m.swap(run.half);
      t = last ? duration : t + h;
      r.error_estimate += err;
      run.accept(h);
      const double fac = err > 0 ? std::clamp(0.9 * std::pow(options.tolerance / err, 1.0 / (p + 1)), 0.2, 5.0) : 5.0;
      if (!last) dt = quantize(dt * fac);
    } else {
      ++r.rejected_steps;
      const double fac = neg ? 0.25 : std::clamp(0.9 * std::pow(options.tolerance / err, 1.0 / (p + 1)), 0.1, 0.5);
      dt = quantize(h * fac);
      if (!(dt > 1e-14 * duration))
        return stop(status::not_converged, t, "the adaptive step fell below 1e-14 × duration at t = ", start_time + t,
                    neg ? " (negative densities)" : " (local error above tolerance)");
    }
  }
  r.time = start_time + duration;
}

/// Advances the masses m by `duration` (≥ 0): fixed steps when opt.dt > 0, else adaptive.
/// Negative ρ_i below −1e-14·max ρ reject an adaptive step (fixed steps report them).
template <class System>
fp_evolve_result fp_evolve(System& sys, vector& m, double start_time, double duration,
                           const fp_evolve_options& options, std::string_view fn) {
  fp_check_evolve_options(fn, duration, options);
  fp_evolve_run run;
  run.mass0 = accurate_sum(m);
  run.r.time = start_time;
  if (duration > 0) {
    run.full.resize(m.size());
    run.half.resize(m.size());
    run.tmp.resize(m.size());
    run.order = fp_order(options.scheme);
    run.err_scale = 1.0 / ((1 << run.order) - 1);
    run.r.dt_min = std::numeric_limits<double>::infinity();
    if (options.dt > 0)
      fp_evolve_fixed(sys, m, start_time, duration, options, fn, run);
    else
      fp_evolve_adaptive(sys, m, start_time, duration, options, fn, run);
  }
  run.r.mass_change = std::abs(accurate_sum(m) - run.mass0);
  return run.r;
}

}  // namespace detail
}  // namespace shiftcurv
