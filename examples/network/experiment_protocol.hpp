// examples/network/experiment_protocol.hpp — the protocol of the paper's network experiments
// (Figures 1–3, Appendix F) on any batched loss: SGD at a temperature, L-BFGS descents to the
// train and test minima, the line between them with the symmetrized fits and the eq-3 check.
//
//   namespace net = shiftcurv_examples::network;
//   net::mlp_loss<> U_tr(shape, train, 1e-3), U_te(shape, test, 1e-3);
//   net::protocol_options o;  o.temperature = 0.01;  o.batch_size = 32;  o.epochs = 50;
//   auto r = net::run_protocol(U_tr, U_te, net::initial_parameters(shape, 1), o, /*seed=*/1);
//   r.theta_tr, r.theta_test;                     // the minima (L-BFGS from the SGD solution)
//   r.train_descent.gradient_norm;                // ‖∇U_tr(θ_tr)‖ at the end
//   r.shift_curvature_hvp, r.shift_curvature_fit; // sᵀC_test s exactly and from the fit
//   r.test_at_train_min, r.eq3_prediction;        // U_test(θ_tr) vs U_test(θ_test) + ½sᵀC_test s
//
// The loss: `mean_value(θ)`, `mean_gradient(θ)`, `mean_hvp(θ, v)`, `num_samples()` and, for SGD,
// `minibatch_gradient(θ, rows, g)` or the per-sample members (dynamics/sgd.hpp); `accuracy(θ)`
// is used when present (else the accuracy columns are NaN).  mlp_loss and mlp_cuda_loss qualify.
//
// Contract (THEORY.md, "Networks and the over-parametrized case", "Curvature along the line"):
// * SGD: the library's sgd_record (dynamics/sgd.hpp), λ = T·B, with-replacement minibatches
//   from Philox keyed by (seed, trajectory), ⌈epochs·N/B⌉ steps (rescaled time t = λn).
// * Descent: L-BFGS (shiftcurv::minimize_lbfgs, optimize/lbfgs.hpp: LBFGSpp, memory `memory`,
//   strong-Wolfe line search of Nocedal & Wright) from the SGD solution, on U_tr → θ_tr and on
//   U_test → θ_test; stops when ‖∇U‖ ≤ gradient_tolerance or after max_iterations; a failed
//   line search (rounding near the minimum) restarts L-BFGS from the best point, at most twice.
//   The final ‖∇U‖ is reported; status success iff it is below the tolerance, else
//   max_iterations / not_converged (numerical_issue if U or ∇U is not finite).
// * Line: Θ(r) = θ_tr + r·s/|s|, s = θ_test − θ_tr, sampled at line_points values of r in
//   [−extent·|s|, (1 + extent)·|s|]; the symmetrized fits, eq 31 and the exact directional
//   curvature by line_curvature (generalization/line_curvature.hpp, options `fit`).
// Bad input (T ≤ 0 or not finite, λ ≤ 0, B < 1 or > N, epochs ≤ 0, sizes) throws
// shiftcurv::domain_error / invalid_argument naming the function; SGD that diverges (θ not
// finite) throws std::runtime_error.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <shiftcurv/core/errors.hpp>
#include <shiftcurv/core/status.hpp>
#include <shiftcurv/dynamics/sgd.hpp>
#include <shiftcurv/generalization/line_curvature.hpp>
#include <shiftcurv/optimize/lbfgs.hpp>

#include "network/library_names.hpp"

namespace shiftcurv_examples::network {

/// Seconds spent in each kind of loss call (filled by timed_loss; for the benchmark table).
struct call_timing {
  double gradient = 0, hvp = 0, value = 0, minibatch = 0;
  long gradients = 0, hvps = 0, values = 0, minibatches = 0;
};

/// A batched loss as a library loss functor (value, gradient and HVP members), timing its calls.
template <class L>
struct timed_loss {
  const L* loss = nullptr;
  call_timing* timing = nullptr;

  using clock = std::chrono::steady_clock;
  static double since(clock::time_point t0) { return std::chrono::duration<double>(clock::now() - t0).count(); }

  double operator()(const vector& th) const {
    const auto t0 = clock::now();
    const double u = loss->mean_value(th);
    if (timing) timing->value += since(t0), ++timing->values;
    return u;
  }
  vector gradient(const vector& th) const {
    const auto t0 = clock::now();
    vector g = loss->mean_gradient(th);
    if (timing) timing->gradient += since(t0), ++timing->gradients;
    return g;
  }
  vector hvp(const vector& th, const vector& v) const {
    const auto t0 = clock::now();
    vector h = loss->mean_hvp(th, v);
    if (timing) timing->hvp += since(t0), ++timing->hvps;
    return h;
  }
  /// U and ∇U: one pass when the loss has value_and_gradient, else two calls.
  double value_and_gradient(const vector& th, vector& g) const {
    const auto t0 = clock::now();
    double u;
    if constexpr (requires { loss->value_and_gradient(th, g); }) {
      u = loss->value_and_gradient(th, g);
    } else {
      u = loss->mean_value(th);
      g = loss->mean_gradient(th);
    }
    if (timing) timing->gradient += since(t0), ++timing->gradients;
    return u;
  }
  index dimension() const { return static_cast<index>(loss->dimension()); }
  index num_samples() const { return static_cast<index>(loss->num_samples()); }
  void minibatch_gradient(const vector& th, const std::vector<index>& rows, vector& g) const
    requires has_minibatch_gradient<L>
  {
    const auto t0 = clock::now();
    loss->minibatch_gradient(th, rows, g);
    if (timing) timing->minibatch += since(t0), ++timing->minibatches;
  }
};

// ---- validation ------------------------------------------------------------------------------
/// T > 0 finite, 1 ≤ B ≤ N: else domain_error (T) / invalid_argument (B) naming `fn`.
inline void check_temperature_and_batch(std::string_view fn, double T, index B, index N) {
  require_finite(fn, "the temperature T", T);
  if (!(T > 0)) shiftcurv::detail::throw_domain(fn, "the temperature T = lambda/B must be > 0, got ", T);
  if (B < 1 || B > N) shiftcurv::detail::throw_invalid(fn, "the batch size B must be in [1, N = ", N, "], got ", B);
}
/// λ > 0 finite, 1 ≤ B ≤ N.
inline void check_learning_rate_and_batch(std::string_view fn, double lr, index B, index N) {
  require_finite(fn, "the learning rate lambda", lr);
  if (!(lr > 0)) shiftcurv::detail::throw_domain(fn, "the learning rate lambda must be > 0, got ", lr);
  if (B < 1 || B > N) shiftcurv::detail::throw_invalid(fn, "the batch size B must be in [1, N = ", N, "], got ", B);
}

// ---- SGD -------------------------------------------------------------------------------------
/// ⌈epochs·N/B⌉ SGD steps at (λ, B) from theta (in place; the library's sgd_record), noise of
/// trajectory `trajectory` of `seed`; `observe(step, θ)` after each step (step = 1…steps).
/// Stops at the first non-finite iterate (left in theta).  Returns the number of steps run.
template <class L, class Observer>
long run_sgd(std::string_view fn, const L& loss, vector& theta, double learning_rate, index batch, double epochs,
             std::uint64_t seed, std::uint64_t trajectory, Observer&& observe) {
  const index N = static_cast<index>(loss.num_samples());
  check_learning_rate_and_batch(fn, learning_rate, batch, N);
  require_finite(fn, "epochs", epochs);
  if (!(epochs > 0)) shiftcurv::detail::throw_domain(fn, "epochs must be > 0, got ", epochs);
  sgd_options o;
  o.learning_rate = learning_rate;
  o.batch_size = batch;
  sgd_record_options rec;
  rec.records = static_cast<index>(std::ceil(epochs * static_cast<double>(N) / static_cast<double>(batch)));
  rec.seed = seed;
  rec.trajectory = trajectory;
  auto r = shiftcurv::detail::as_called_by(fn, [&] {
    return sgd_record(loss, theta, o, rec, [&](index t, const vector& th) { observe(static_cast<long>(t) + 1, th); });
  });
  theta = std::move(r.theta);
  return r.iterations;
}

// ---- L-BFGS descent --------------------------------------------------------------------------
struct descent_options {
  double gradient_tolerance = 1e-5;  ///< stop when ‖∇U‖ ≤ this
  int max_iterations = 2000;         ///< L-BFGS iterations (over all restarts)
  int memory = 10;                   ///< L-BFGS memory m
};

/// θ (the point of lowest U), U(θ), ‖∇U(θ)‖ and the status of optimize/lbfgs.hpp.
using descent_result = minimize_lbfgs_result;

/// L-BFGS on `loss` (a functor with operator() and gradient()) from theta0; see the header:
/// the library's minimize_lbfgs with two restarts, messages naming `fn`.
template <class F>
descent_result descend(std::string_view fn, const F& loss, const vector& theta0, const descent_options& o = {}) {
  require_finite(fn, "theta", theta0);
  if (!(o.gradient_tolerance > 0)) shiftcurv::detail::throw_domain(fn, "gradient_tolerance must be > 0, got ", o.gradient_tolerance);
  if (o.max_iterations < 1) shiftcurv::detail::throw_invalid(fn, "max_iterations must be >= 1, got ", o.max_iterations);
  minimize_lbfgs_options lo;
  lo.gradient_tolerance = o.gradient_tolerance;
  lo.max_iterations = o.max_iterations;
  lo.memory = o.memory;
  lo.restarts = 2;
  return shiftcurv::detail::minimize_lbfgs(fn, loss, theta0, lo);
}

// ---- the protocol of Figures 1–3 -------------------------------------------------------------
struct protocol_options {
  double temperature = 0.01;  ///< T = λ/B
  index batch_size = 32;      ///< B
  double epochs = 50;         ///< SGD epochs
  descent_options descent;
  int line_points = 49;       ///< samples of Θ(r), r ∈ [−extent|s|, (1+extent)|s|]
  double line_extent = 0.5;
  line_curvature_options fit;  ///< the symmetrized fits and eq 31
};

struct protocol_result {
  vector theta_sgd, theta_tr, theta_test;
  long sgd_steps = 0;
  double learning_rate = 0;
  double sgd_train_loss = 0, sgd_test_loss = 0;  ///< at the SGD solution
  descent_result train_descent, test_descent;
  line_curvature_result line;
  std::vector<double> r, train_loss, test_loss, train_accuracy, test_accuracy;  ///< along Θ(r)
  double shift_norm = 0;            ///< |s|
  double train_at_train_min = 0;    ///< U_tr(θ_tr)
  double test_at_test_min = 0;      ///< U_test(θ_test)
  double test_at_train_min = 0;     ///< U_test(θ_tr)
  double shift_curvature_hvp = 0;   ///< sᵀ C_test s, C_test = ∇²U_test(θ_test), one HVP
  double shift_curvature_fit = 0;   ///< c_test·|s|² from the symmetrized fit
  double eq3_prediction = 0;        ///< U_test(θ_test) + ½ sᵀ C_test s
  double train_accuracy_at_min = 0, test_accuracy_at_train_min = 0;
  double seconds_sgd = 0, seconds_descent = 0, seconds_line = 0;
};

namespace detail {
template <class L>
double accuracy_or_nan(const L& loss, const vector& th) {
  if constexpr (requires { loss.accuracy(th); }) return loss.accuracy(th);
  else return std::numeric_limits<double>::quiet_NaN();
}
}  // namespace detail

/// Descents from theta_sgd and the line between the minima (steps 2–3 of the protocol).
template <class L>
protocol_result line_protocol(const L& train, const L& test, const vector& theta_sgd, const protocol_options& o,
                              call_timing* timing = nullptr) {
  constexpr std::string_view fn = "network::line_protocol";
  require_finite(fn, "theta", theta_sgd);
  if (o.line_points < 3) shiftcurv::detail::throw_invalid(fn, "line_points must be >= 3, got ", o.line_points);
  if (!(o.line_extent >= 0)) shiftcurv::detail::throw_domain(fn, "line_extent must be >= 0, got ", o.line_extent);
  using clock = std::chrono::steady_clock;
  const timed_loss<L> tr{&train, timing}, te{&test, timing};
  protocol_result r;
  r.theta_sgd = theta_sgd;
  r.sgd_train_loss = tr(theta_sgd);
  r.sgd_test_loss = te(theta_sgd);
  auto t0 = clock::now();
  r.train_descent = descend("network::line_protocol (train descent)", tr, theta_sgd, o.descent);
  r.test_descent = descend("network::line_protocol (test descent)", te, theta_sgd, o.descent);
  r.seconds_descent = std::chrono::duration<double>(clock::now() - t0).count();
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
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (r.shift_norm > 0) {
    r.line = line_curvature(tr, te, r.theta_tr, r.theta_test, o.fit);
    r.shift_curvature_hvp = r.line.directional_curvature * r.shift_norm * r.shift_norm;
    r.shift_curvature_fit = r.line.test_curvature * r.shift_norm * r.shift_norm;
    const vector u = s / r.shift_norm;
    const double lo = -o.line_extent * r.shift_norm, hi = (1 + o.line_extent) * r.shift_norm;
    for (int k = 0; k < o.line_points; ++k) {
      const double x = lo + (hi - lo) * k / (o.line_points - 1);
      const vector th = r.theta_tr + x * u;
      r.r.push_back(x);
      r.train_loss.push_back(tr(th));
      r.test_loss.push_back(te(th));
      r.train_accuracy.push_back(detail::accuracy_or_nan(train, th));
      r.test_accuracy.push_back(detail::accuracy_or_nan(test, th));
    }
  } else {  // the two descents met: no line
    r.line.status = status::assumption_violated;
    r.line.message = shiftcurv::detail::message(fn, "theta_tr == theta_test");
    r.shift_curvature_hvp = 0;
    r.shift_curvature_fit = nan;
  }
  r.eq3_prediction = r.test_at_test_min + 0.5 * r.shift_curvature_hvp;
  r.seconds_line = std::chrono::duration<double>(clock::now() - t0).count();
  return r;
}

/// The whole protocol: SGD at T from theta0 (trajectory 0 of `seed`), then line_protocol.
template <class L>
protocol_result run_protocol(const L& train, const L& test, const vector& theta0, const protocol_options& o,
                             std::uint64_t seed, call_timing* timing = nullptr) {
  constexpr std::string_view fn = "network::run_protocol";
  const index N = static_cast<index>(train.num_samples());
  check_temperature_and_batch(fn, o.temperature, o.batch_size, N);
  require_size(fn, "theta0", theta0.size(), static_cast<index>(train.dimension()));
  require_size(fn, "theta0", theta0.size(), static_cast<index>(test.dimension()));
  const double lr = o.temperature * static_cast<double>(o.batch_size);
  vector theta = theta0;
  const auto t0 = std::chrono::steady_clock::now();
  const timed_loss<L> tr{&train, timing};
  const long steps = run_sgd(fn, tr, theta, lr, o.batch_size, o.epochs, seed, 0, [](long, const vector&) {});
  const double sgd_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!theta.allFinite())
    throw std::runtime_error(shiftcurv::detail::message(fn, "SGD diverged at T = ", o.temperature, " (lambda = ", lr, "): lower T or B"));
  protocol_result r = line_protocol(train, test, theta, o, timing);
  r.sgd_steps = steps;
  r.learning_rate = lr;
  r.seconds_sgd = sgd_seconds;
  return r;
}

}  // namespace shiftcurv_examples::network
