// shiftcurv/testing/convergence.hpp — convergence orders of SDE schemes under dt halving,
// measured the way SciML's DiffEqDevTools test_convergence does: the same Brownian paths on
// every level (coarse increments are sums of the finest ones), errors against the exact
// solution evaluated on that path, and a least-squares slope in log–log.
//
//   #include <shiftcurv/testing/convergence.hpp>
//   #include <shiftcurv/testing/reference_problems.hpp>
//   namespace st = shiftcurv::testing;
//   st::geometric_brownian_motion gbm;
//   st::convergence_options o; o.steps = {16, 32, 64, 128}; o.trajectories = 2000;
//   auto s = st::strong_convergence(
//       [](st::brownian_refinement n) { return shiftcurv::euler_maruyama<st::scalar_state, st::brownian_refinement>(n); },
//       gbm.system(), gbm.initial(), [&](const Eigen::VectorXd& W, double t) { return gbm.exact(W, t); }, o);
//   CHECK(s.fit.order == doctest::Approx(0.5).epsilon(0.2));   // or: st::order_within(s.fit, 0.5, 0.1)
//
// Error estimates: `standard_error[i]` is the Monte Carlo standard error of `error[i]`;
// `fit.order_error` is the standard error of the fitted slope from the regression residuals
// (it reflects how straight the log–log line is, not the MC noise, which you bound by checking
// error[i] ≫ standard_error[i] — `fit.noise_limited` says when that fails at any level).
// Strong error: E|X_N − X(t_end)| (Euclidean).  Weak error: |E f(X_N) − E f(X(t_end))|,
// estimated by the mean of the coupled differences f(X_N) − f(X(t_end)) (unbiased: X(t_end) is
// an exact sample, no closed-form expectation needed).
//
// Without a pathwise exact solution (non-commutative noise: X(t) depends on the Lévy areas, not
// on W(t) alone), `weak_level_differences` estimates E f(X_N) on every level and the successive
// differences E[f(X_{N_l}) − f(X_{N_{l+1}})] on the same Brownian paths.  A difference has the
// variance of the strong error between two levels, far below Var f, so it resolves a weak error
// that the plain estimates cannot; compare it with exact values (e.g. exact scheme moments of a
// linear SDE, tests/dynamics/convergence_general_slow.cpp) and the finest estimate with E f(X(t_end)).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/random/philox.hpp"
#include "shiftcurv/testing/monte_carlo.hpp"

namespace shiftcurv::testing {

/// A noise source for the steppers whose increments on a grid of step h = ratio·h_fine are the
/// sums of the finest-grid increments of the same (seed, trajectory): one Brownian path seen
/// at several resolutions.  Auxiliary variables come from their own stream.
struct brownian_refinement {
  philox_stream fine;
  index ratio = 1;
  brownian_refinement() = default;
  brownian_refinement(std::uint64_t seed, std::uint64_t trajectory, index r = 1) : fine(seed, trajectory), ratio(r) {}
  void increments(std::uint64_t step, double* z, index m) const {
    // Plain loops: GCC 12 reports a false -Warray-bounds for Eigen's packet ops on a Map of a
    // one-element buffer once this is inlined into a stepper.
    std::vector<double> buf(static_cast<std::size_t>(m));
    std::fill(z, z + m, 0.0);
    for (index k = 0; k < ratio; ++k) {
      fine.normals(step * static_cast<std::uint64_t>(ratio) + static_cast<std::uint64_t>(k), buf.data(), m);
      for (index i = 0; i < m; ++i) z[i] += buf[static_cast<std::size_t>(i)];
    }
    const double root = std::sqrt(static_cast<double>(ratio));
    for (index i = 0; i < m; ++i) z[i] /= root;
  }
  void auxiliary(std::uint64_t step, double* z, index m) const {
    fine.normals(step, z, m, random_purpose::auxiliary);
  }
  /// W(t) at the end of `fine_steps` fine steps of size h_fine.
  Eigen::VectorXd brownian_at(index fine_steps, double h_fine, index m) const {
    Eigen::VectorXd W = Eigen::VectorXd::Zero(m), buf(m);
    for (index n = 0; n < fine_steps; ++n) {
      fine.normals(static_cast<std::uint64_t>(n), buf.data(), m);
      W += buf;
    }
    return W * std::sqrt(h_fine);
  }
};

struct order_fit_result {
  double order = 0;          ///< slope of log(error) against log(dt)
  double order_error = 0;    ///< its standard error from the residuals
  double log_constant = 0;   ///< intercept: error ≈ exp(log_constant)·dt^order
  bool noise_limited = false;///< some error was < 3 of its Monte Carlo standard errors
};

/// Least-squares slope of log(error) on log(dt).  Throws invalid_argument unless ≥ 2 points of
/// equal count, all positive and finite.
inline order_fit_result fit_convergence_order(std::span<const double> dt, std::span<const double> error) {
  constexpr const char* fn = "testing::fit_convergence_order";
  if (dt.size() != error.size()) detail::throw_invalid(fn, "dt has ", dt.size(), " entries, error has ", error.size());
  if (dt.size() < 2) detail::throw_invalid(fn, "need at least 2 points, got ", dt.size());
  const double n = static_cast<double>(dt.size());
  double sx = 0, sy = 0;
  for (std::size_t i = 0; i < dt.size(); ++i) {
    if (!(dt[i] > 0) || !std::isfinite(dt[i])) detail::throw_invalid(fn, "dt must be > 0 and finite, got ", dt[i]);
    if (!(error[i] > 0) || !std::isfinite(error[i])) detail::throw_invalid(fn, "error must be > 0 and finite, got ", error[i]);
    sx += std::log(dt[i]);
    sy += std::log(error[i]);
  }
  const double mx = sx / n, my = sy / n;
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < dt.size(); ++i) {
    const double x = std::log(dt[i]) - mx, y = std::log(error[i]) - my;
    sxx += x * x;
    sxy += x * y;
  }
  if (!(sxx > 0)) detail::throw_invalid(fn, "the dt values must not all be equal");
  order_fit_result f;
  f.order = sxy / sxx;
  f.log_constant = my - f.order * mx;
  double rss = 0;
  for (std::size_t i = 0; i < dt.size(); ++i) {
    const double r = std::log(error[i]) - (f.log_constant + f.order * std::log(dt[i]));
    rss += r * r;
  }
  f.order_error = dt.size() > 2 ? std::sqrt(rss / (n - 2) / sxx) : 0.0;
  return f;
}

/// |fit.order − expected| ≤ tolerance (and the fit not noise limited).
inline bool order_within(const order_fit_result& f, double expected, double tolerance) {
  return !f.noise_limited && std::fabs(f.order - expected) <= tolerance;
}

struct convergence_options {
  double t_end = 1.0;
  std::vector<index> steps{16, 32, 64, 128};  ///< steps per level; each must divide the largest
  index trajectories = 1000;
  std::uint64_t seed = 0;
  index noise_dimension = 1;                  ///< m, the number of Brownian motions
};

struct convergence_result {
  std::vector<double> dt, error, standard_error;
  order_fit_result fit;
};

namespace detail_convergence {

template <class MakeStepper, class System, class State, class Exact, class ErrorOf>
convergence_result study(const MakeStepper& make, const System& sys, const State& x0, const Exact& exact,
                        const convergence_options& options, ErrorOf error_of, bool absolute_of_mean) {
  constexpr const char* fn = "testing::convergence";
  if (options.steps.size() < 2) shiftcurv::detail::throw_invalid(fn, "need at least 2 levels");
  if (options.trajectories < 2) shiftcurv::detail::throw_invalid(fn, "need at least 2 trajectories");
  if (!(options.t_end > 0) || !std::isfinite(options.t_end)) shiftcurv::detail::throw_invalid(fn, "t_end must be > 0, got ", options.t_end);
  index fine = 0;
  for (index s : options.steps) {
    if (s < 1) shiftcurv::detail::throw_invalid(fn, "steps must be >= 1, got ", s);
    fine = std::max(fine, s);
  }
  for (index s : options.steps)
    if (fine % s) shiftcurv::detail::throw_invalid(fn, "every level must divide the finest (", fine, "), got ", s);
  const double h_fine = options.t_end / static_cast<double>(fine);
  std::vector<mc_accumulator> acc(options.steps.size());
  for (index k = 0; k < options.trajectories; ++k) {
    const brownian_refinement path(options.seed, static_cast<std::uint64_t>(k), 1);
    const auto W = path.brownian_at(fine, h_fine, options.noise_dimension);
    const State x_exact = exact(W, options.t_end);
    for (std::size_t l = 0; l < options.steps.size(); ++l) {
      const index n = options.steps[l];
      auto stepper = make(brownian_refinement(options.seed, static_cast<std::uint64_t>(k), fine / n));
      State x = x0;
      const double h = options.t_end / static_cast<double>(n);
      for (index i = 0; i < n; ++i) stepper.do_step(sys, x, static_cast<double>(i) * h, h);
      acc[l].add(error_of(x, x_exact));
    }
  }
  convergence_result s;
  for (std::size_t l = 0; l < options.steps.size(); ++l) {
    const auto e = acc[l].estimate();
    s.dt.push_back(options.t_end / static_cast<double>(options.steps[l]));
    s.error.push_back(absolute_of_mean ? std::fabs(e.mean) : e.mean);
    s.standard_error.push_back(e.standard_error);
  }
  s.fit = fit_convergence_order(s.dt, s.error);
  for (std::size_t l = 0; l < s.error.size(); ++l)
    if (s.error[l] < 3 * s.standard_error[l]) s.fit.noise_limited = true;
  return s;
}

}  // namespace detail_convergence

/// Strong errors E|X_N − X(t_end)| per level and their order.  make(brownian_refinement)
/// returns a stepper; exact(W, t) the exact solution for the Brownian value W(t) (m-vector).
template <class MakeStepper, class System, class State, class Exact>
convergence_result strong_convergence(const MakeStepper& make, const System& sys, const State& x0, const Exact& exact,
                                     const convergence_options& options = {}) {
  return detail_convergence::study(make, sys, x0, exact, options,
                                   [](const State& x, const State& y) { return (x - y).norm(); }, false);
}

/// Weak errors |E f(X_N) − E f(X(t_end))| per level (coupled estimator) and their order.
template <class MakeStepper, class System, class State, class Exact, class Functional>
convergence_result weak_convergence(const MakeStepper& make, const System& sys, const State& x0, const Exact& exact,
                                   const Functional& f, const convergence_options& options = {}) {
  return detail_convergence::study(make, sys, x0, exact, options,
                                   [&f](const State& x, const State& y) { return static_cast<double>(f(x)) - static_cast<double>(f(y)); },
                                   true);
}

/// Per-level estimates for weak convergence without a pathwise exact solution (see the header).
struct weak_level_result {
  std::vector<double> dt;               ///< per level, in the order of `steps`
  std::vector<mc_estimate_result> value;       ///< E f(X_N) per level (the same paths on every level)
  std::vector<mc_estimate_result> difference;  ///< E[f(X_{N_l}) − f(X_{N_{l+1}})], l < levels − 1
  /// Order of |difference[l]| against dt[l]: the weak order p when consecutive levels have one
  /// ratio r (then difference[l] = C dt_l^p (1 − r^{−p}) + higher order); noise_limited when
  /// some |difference| < 3 of its standard errors.  Needs ≥ 3 levels.
  order_fit_result fit;
};

/// E f(X_N) per level and the coupled differences of consecutive levels; `steps` must increase
/// and divide the largest.  Throws invalid_argument on < 3 levels, < 2 trajectories, t_end ≤ 0.
template <class MakeStepper, class System, class State, class Functional>
weak_level_result weak_level_differences(const MakeStepper& make, const System& sys, const State& x0,
                                        const Functional& f, const convergence_options& options = {}) {
  constexpr const char* fn = "testing::weak_level_differences";
  if (options.steps.size() < 3) shiftcurv::detail::throw_invalid(fn, "need at least 3 levels, got ", options.steps.size());
  if (options.trajectories < 2) shiftcurv::detail::throw_invalid(fn, "need at least 2 trajectories");
  if (!(options.t_end > 0) || !std::isfinite(options.t_end)) shiftcurv::detail::throw_invalid(fn, "t_end must be > 0, got ", options.t_end);
  const index fine = options.steps.back();
  for (std::size_t l = 0; l < options.steps.size(); ++l) {
    if (options.steps[l] < 1) shiftcurv::detail::throw_invalid(fn, "steps must be >= 1, got ", options.steps[l]);
    if (l > 0 && options.steps[l] <= options.steps[l - 1]) shiftcurv::detail::throw_invalid(fn, "steps must increase");
    if (fine % options.steps[l]) shiftcurv::detail::throw_invalid(fn, "every level must divide the finest (", fine, "), got ", options.steps[l]);
  }
  const std::size_t levels = options.steps.size();
  std::vector<mc_accumulator> values(levels), differences(levels - 1);
  for (index k = 0; k < options.trajectories; ++k) {
    double previous = 0;
    for (std::size_t l = 0; l < levels; ++l) {
      const index n = options.steps[l];
      auto stepper = make(brownian_refinement(options.seed, static_cast<std::uint64_t>(k), fine / n));
      State x = x0;
      const double h = options.t_end / static_cast<double>(n);
      for (index i = 0; i < n; ++i) stepper.do_step(sys, x, static_cast<double>(i) * h, h);
      const double v = static_cast<double>(f(x));
      values[l].add(v);
      if (l > 0) differences[l - 1].add(previous - v);
      previous = v;
    }
  }
  weak_level_result s;
  std::vector<double> dt_diff, abs_diff;
  for (std::size_t l = 0; l < levels; ++l) {
    s.dt.push_back(options.t_end / static_cast<double>(options.steps[l]));
    s.value.push_back(values[l].estimate());
  }
  for (std::size_t l = 0; l + 1 < levels; ++l) {
    s.difference.push_back(differences[l].estimate());
    dt_diff.push_back(s.dt[l]);
    abs_diff.push_back(std::fabs(s.difference[l].mean));
  }
  if (std::all_of(abs_diff.begin(), abs_diff.end(), [](double d) { return d > 0 && std::isfinite(d); })) {
    s.fit = fit_convergence_order(dt_diff, abs_diff);
  } else {
    s.fit.order = std::numeric_limits<double>::quiet_NaN();
    s.fit.noise_limited = true;
  }
  for (const auto& d : s.difference)
    if (std::fabs(d.mean) < 3 * d.standard_error) s.fit.noise_limited = true;
  return s;
}

}  // namespace shiftcurv::testing
