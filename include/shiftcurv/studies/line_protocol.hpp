// shiftcurv/studies/line_protocol.hpp — the protocol of the paper's network experiments
// (Figures 1–3, Appendix F) on any train/test loss pair: SGD at a temperature, L-BFGS descents
// to the train and test minima, the line between them with the symmetrized fits and eq 3.
//
//   my_loss train = ..., test = ...;          // per-sample, or batched (see below)
//   shiftcurv::line_protocol_options o;  o.temperature = 0.01;  o.batch_size = 32;  o.epochs = 50;
//   auto r = shiftcurv::run_protocol(train, test, theta0, o, /*seed=*/1);
//   if (!r) std::cerr << r.message << '\n';      // a descent or the line fit did not succeed
//   r.theta_tr, r.theta_test;                     // the minima (L-BFGS from the SGD solution)
//   r.shift_curvature_hvp, r.shift_curvature_fit; // sᵀC_test s exactly and from the fit
//   r.test_at_train_min, r.eq3_prediction;        // U_test(θ_tr) vs U_test(θ_test) + ½sᵀC_test s
//   auto q = shiftcurv::line_protocol(train, test, theta_sgd, o);   // steps 2–3 from a given θ
//
// The losses (line_protocol_loss): a per-sample loss (core/concepts.hpp; its batched members
// mean_value, mean_gradient, mean_hvp, minibatch_gradient, value_and_gradient used when present,
// as by mean_loss_of and minimize_lbfgs), or a loss with only the batched members mean_value,
// mean_gradient, mean_hvp, minibatch_gradient, num_samples and dimension (e.g. a GPU network
// loss).  `accuracy(θ)` is used when present (else the accuracy fields are NaN).
// Contract (THEORY.md, "Networks and the over-parametrized case", "Curvature along the line"):
// * SGD (run_protocol): sgd_record (dynamics/sgd.hpp) on the train loss, λ = T·B, with-
//   replacement minibatches from Philox (seed, trajectory 0), ⌈epochs·N/B⌉ steps.
// * Descents: minimize_lbfgs (optimize/lbfgs.hpp, options `descent`) from the SGD solution on
//   U_tr → θ_tr and on U_test → θ_test.
// * Line: Θ(r) = θ_tr + r·s/|s|, s = θ_test − θ_tr, at line_points values of r evenly in
//   [−extent·|s|, (1 + extent)·|s|]; the fits, eq 31 and the exact directional curvature by
//   line_curvature (generalization/line_curvature.hpp, options `fit`).
// Status: the worst (record_status) of the two descents' and the line fit's; assumption_violated
// when the descents meet (θ_tr = θ_test: no line, shift_curvature_fit NaN).
// Throws shiftcurv::invalid_argument / domain_error naming the function (T ≤ 0 or not finite,
// B outside [1, N], epochs ≤ 0, θ not finite or of another size, line_points < 3,
// line_extent < 0, gradient_tolerance ≤ 0, max_iterations < 1; as minimize_lbfgs and
// line_curvature otherwise); std::runtime_error when run_protocol's SGD diverges (θ not finite).
#pragma once

#include <chrono>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/derivatives/per_sample.hpp"
#include "shiftcurv/dynamics/sgd.hpp"
#include "shiftcurv/generalization/line_curvature.hpp"
#include "shiftcurv/optimize/lbfgs.hpp"

namespace shiftcurv {

/// A loss the protocol takes: a per-sample loss, or the batched members without per-sample ones.
template <class L>
concept line_protocol_loss =
    per_sample_loss<L> ||
    (has_minibatch_gradient<L> && requires(const L& f, const vector& theta, const vector& v) {
      { f.dimension() } -> std::convertible_to<index>;
      { f.mean_value(theta) } -> std::convertible_to<double>;
      { f.mean_gradient(theta) } -> std::convertible_to<vector>;
      { f.mean_hvp(theta, v) } -> std::convertible_to<vector>;
    });

struct line_protocol_options {
  double temperature = 0.01;  ///< T = λ/B (> 0), run_protocol's SGD
  index batch_size = 32;      ///< B in [1, N], run_protocol's SGD
  double epochs = 50;         ///< SGD epochs (> 0): ⌈epochs·N/B⌉ steps
  /// the two L-BFGS descents (optimize/lbfgs.hpp); here max_iterations defaults to 2000
  minimize_lbfgs_options descent{.gradient_tolerance = 1e-5, .max_iterations = 2000, .memory = 10,
                                 .max_line_search = 20, .restarts = 2};
  int line_points = 49;        ///< samples of Θ(r) on the line (≥ 3)
  double line_extent = 0.5;    ///< r ∈ [−extent·|s|, (1 + extent)·|s|] (≥ 0)
  line_curvature_options fit;  ///< the symmetrized fits and eq 31
};

struct line_protocol_result : result_base {
  vector theta_sgd, theta_tr, theta_test;
  long sgd_steps = 0;                            ///< run_protocol's SGD steps (0 for line_protocol)
  double learning_rate = 0;                      ///< λ = T·B (0 for line_protocol)
  double sgd_train_loss = 0, sgd_test_loss = 0;  ///< at the SGD solution θ_sgd
  minimize_lbfgs_result train_descent, test_descent;
  line_curvature_result line;
  std::vector<double> r, train_loss, test_loss, train_accuracy, test_accuracy;  ///< along Θ(r)
  double shift_norm = 0;           ///< |s|
  double train_at_train_min = 0;   ///< U_tr(θ_tr)
  double test_at_test_min = 0;     ///< U_test(θ_test)
  double test_at_train_min = 0;    ///< U_test(θ_tr)
  double shift_curvature_hvp = 0;  ///< sᵀ C_test s, C_test = ∇²U_test(θ_test), one HVP
  double shift_curvature_fit = 0;  ///< c_test·|s|² from the symmetrized fit
  double eq3_prediction = 0;       ///< U_test(θ_test) + ½ sᵀ C_test s
  double train_accuracy_at_min = 0, test_accuracy_at_train_min = 0;  ///< at θ_tr (NaN without accuracy())
  double seconds_sgd = 0, seconds_descent = 0, seconds_line = 0;     ///< wall time of each stage
};

/// run_protocol's options are line_protocol's (temperature, batch_size and epochs used).
using run_protocol_options = line_protocol_options;
using run_protocol_result = line_protocol_result;

namespace detail {

/// A loss with only batched members as a loss functor (U, ∇U, HVP; U and ∇U in one pass when
/// it has value_and_gradient).  Per-sample losses go through mean_loss_of instead.
template <class L>
struct batched_mean_loss {
  const L* loss;
  index dimension() const { return static_cast<index>(loss->dimension()); }
  double operator()(const vector& theta) const { return static_cast<double>(loss->mean_value(theta)); }
  vector gradient(const vector& theta) const { return loss->mean_gradient(theta); }
  vector hvp(const vector& theta, const vector& v) const { return loss->mean_hvp(theta, v); }
  double value_and_gradient(const vector& theta, vector& g) const
    requires requires(const L& f, const vector& x, vector& out) {
      { f.value_and_gradient(x, out) } -> std::convertible_to<double>;
    }
  {
    return static_cast<double>(loss->value_and_gradient(theta, g));
  }
};

/// The loss functor U(θ) of a protocol loss: mean_loss_of (a view) or batched_mean_loss.
template <class L>
auto protocol_functor(const L& loss) {
  if constexpr (per_sample_loss<L>) return mean_loss_of<const L&>{loss};
  else return batched_mean_loss<L>{&loss};
}

/// What minimize_lbfgs descends: the per-sample loss itself (its value_and_gradient or batched
/// routes), else the batched functor.
template <class L>
minimize_lbfgs_result protocol_descent(std::string_view fn, const L& loss, const vector& theta0,
                                       const minimize_lbfgs_options& options) {
  if constexpr (per_sample_loss<L>) return detail::minimize_lbfgs(fn, loss, theta0, options);
  else return detail::minimize_lbfgs(fn, batched_mean_loss<L>{&loss}, theta0, options);
}

template <class L>
double accuracy_or_nan(const L& loss, const vector& theta) {
  if constexpr (requires { { loss.accuracy(theta) } -> std::convertible_to<double>; })
    return static_cast<double>(loss.accuracy(theta));
  else
    return std::numeric_limits<double>::quiet_NaN();
}

template <class L>
void check_protocol_point(std::string_view fn, std::string_view name, const L& train, const L& test,
                          const vector& theta) {
  if (theta.size() < 1) throw_invalid(fn, name, " must not be empty");
  require_finite(fn, name, theta);
  require_dimension(fn, name, train, theta.size());
  require_dimension(fn, name, test, theta.size());
}

template <class = void>
void check_line_options(std::string_view fn, const line_protocol_options& options) {
  if (options.line_points < 3) throw_invalid(fn, "line_points must be >= 3, got ", options.line_points);
  require_finite(fn, "line_extent", options.line_extent);
  if (!(options.line_extent >= 0)) throw_domain(fn, "line_extent must be >= 0, got ", options.line_extent);
  require_finite(fn, "descent.gradient_tolerance", options.descent.gradient_tolerance);
  if (!(options.descent.gradient_tolerance > 0))
    throw_domain(fn, "descent.gradient_tolerance must be > 0, got ", options.descent.gradient_tolerance);
  if (options.descent.max_iterations < 1)
    throw_invalid(fn, "descent.max_iterations must be >= 1, got ", options.descent.max_iterations);
}

template <class = void>
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// line_protocol on checked arguments.
template <class L>
line_protocol_result run_line_protocol(std::string_view fn, const L& train, const L& test, const vector& theta_sgd,
                                       const line_protocol_options& options) {
  using clock = std::chrono::steady_clock;
  const auto tr = detail::protocol_functor(train);
  const auto te = detail::protocol_functor(test);
  line_protocol_result r;
  r.theta_sgd = theta_sgd;
  r.sgd_train_loss = tr(theta_sgd);
  r.sgd_test_loss = te(theta_sgd);
  auto t0 = clock::now();
  const std::string train_fn = std::string(fn) + " (train descent)", test_fn = std::string(fn) + " (test descent)";
  r.train_descent = detail::protocol_descent(train_fn, train, theta_sgd, options.descent);
  r.test_descent = detail::protocol_descent(test_fn, test, theta_sgd, options.descent);
  r.seconds_descent = detail::seconds_since(t0);
  record_status(r, r.train_descent.status, r.train_descent.message);
  record_status(r, r.test_descent.status, r.test_descent.message);
  r.theta_tr = r.train_descent.theta;
  r.theta_test = r.test_descent.theta;
  t0 = clock::now();
  const vector s = r.theta_test - r.theta_tr;
  r.shift_norm = s.norm();
  r.train_at_train_min = r.train_descent.value;
  r.test_at_test_min = r.test_descent.value;
  r.test_at_train_min = te(r.theta_tr);
  r.train_accuracy_at_min = detail::accuracy_or_nan(train, r.theta_tr);
  r.test_accuracy_at_train_min = detail::accuracy_or_nan(test, r.theta_tr);
  if (r.shift_norm > 0) {
    r.line = line_curvature(tr, te, r.theta_tr, r.theta_test, options.fit);
    r.shift_curvature_hvp = r.line.directional_curvature * r.shift_norm * r.shift_norm;
    r.shift_curvature_fit = r.line.test_curvature * r.shift_norm * r.shift_norm;
    const vector u = s / r.shift_norm;
    const double lo = -options.line_extent * r.shift_norm, hi = (1 + options.line_extent) * r.shift_norm;
    for (int k = 0; k < options.line_points; ++k) {
      const double x = lo + (hi - lo) * k / (options.line_points - 1);
      const vector th = r.theta_tr + x * u;
      r.r.push_back(x);
      r.train_loss.push_back(tr(th));
      r.test_loss.push_back(te(th));
      r.train_accuracy.push_back(detail::accuracy_or_nan(train, th));
      r.test_accuracy.push_back(detail::accuracy_or_nan(test, th));
    }
  } else {  // the two descents met: no line
    r.line.status = status::assumption_violated;
    r.line.message = message(fn, "theta_tr == theta_test: the descents met, no line");
    r.shift_curvature_hvp = 0;
    r.shift_curvature_fit = std::numeric_limits<double>::quiet_NaN();
  }
  record_status(r, r.line.status, r.line.message);
  r.eq3_prediction = r.test_at_test_min + 0.5 * r.shift_curvature_hvp;
  r.seconds_line = detail::seconds_since(t0);
  return r;
}

}  // namespace detail

/// Steps 2–3 of the protocol from a given θ_sgd: the descents and the line between the minima
/// (options temperature, batch_size and epochs unused).  See the header opening.
template <class L>
  requires line_protocol_loss<L>
line_protocol_result line_protocol(const L& train, const L& test, const vector& theta_sgd,
                                   const line_protocol_options& options = {}) {
  constexpr std::string_view fn = "line_protocol";
  detail::check_protocol_point(fn, "theta_sgd", train, test, theta_sgd);
  detail::check_line_options(fn, options);
  return detail::run_line_protocol(fn, train, test, theta_sgd, options);
}

/// The whole protocol: SGD at T from theta0 on the train loss (trajectory 0 of `seed`), then
/// line_protocol from its solution.  See the header opening.
template <class L>
  requires line_protocol_loss<L>
line_protocol_result run_protocol(const L& train, const L& test, const vector& theta0,
                                  const line_protocol_options& options, std::uint64_t seed) {
  constexpr std::string_view fn = "run_protocol";
  const index N = detail::checked_num_samples(fn, train);
  require_finite(fn, "the temperature T", options.temperature);
  if (!(options.temperature > 0))
    detail::throw_domain(fn, "the temperature T = lambda/B must be > 0, got ", options.temperature);
  if (options.batch_size < 1 || options.batch_size > N)
    detail::throw_invalid(fn, "the batch size B must be in [1, N = ", N, "], got ", options.batch_size);
  detail::check_protocol_point(fn, "theta0", train, test, theta0);
  require_finite(fn, "epochs", options.epochs);
  if (!(options.epochs > 0)) detail::throw_domain(fn, "epochs must be > 0, got ", options.epochs);
  detail::check_line_options(fn, options);

  const double lr = options.temperature * static_cast<double>(options.batch_size);
  sgd_options so;
  so.learning_rate = lr;
  so.batch_size = options.batch_size;
  require_finite(fn, "the learning rate lambda = T*B", lr);
  sgd_record_options rec;
  rec.records = static_cast<index>(
      std::ceil(options.epochs * static_cast<double>(N) / static_cast<double>(options.batch_size)));
  rec.seed = seed;
  rec.trajectory = 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto sgd = detail::as_called_by(fn, [&] { return sgd_record(train, theta0, so, rec, [](index, const vector&) {}); });
  const double sgd_seconds = detail::seconds_since(t0);
  if (!sgd.theta.allFinite())
    throw std::runtime_error(
        detail::message(fn, "SGD diverged at T = ", options.temperature, " (lambda = ", lr, "): lower T or B"));
  line_protocol_result r = detail::run_line_protocol(fn, train, test, sgd.theta, options);
  r.sgd_steps = sgd.iterations;
  r.learning_rate = lr;
  r.seconds_sgd = sgd_seconds;
  return r;
}

}  // namespace shiftcurv
