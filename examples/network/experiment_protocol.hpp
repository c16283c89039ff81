// examples/network/experiment_protocol.hpp — what network_experiment adds to the library's
// protocol of the network experiments (shiftcurv::run_protocol / line_protocol,
// studies/line_protocol.hpp): seconds per kind of loss call for its timing table, and the SGD
// runs of its other parts.
//
//   namespace net = shiftcurv_examples::network;
//   net::mlp_loss<> U_tr(shape, train, 1e-3), U_te(shape, test, 1e-3);
//   net::call_timing timing;
//   const net::timed_loss<net::mlp_loss<>> tr{&U_tr, &timing}, te{&U_te, &timing};
//   shiftcurv::line_protocol_options o;  o.temperature = 0.01;  o.batch_size = 32;  o.epochs = 50;
//   auto r = shiftcurv::run_protocol(tr, te, net::initial_parameters(shape, 1), o, /*seed=*/1);
//   timing.gradient, timing.gradients;            // seconds in and number of ∇U calls
//
// timed_loss forwards the batched members of a network loss (mlp_loss, mlp_cuda_loss) and its
// per-sample ones where it has them, so it is the same kind of loss to the library (a per-sample
// loss for mlp_loss, a batched-only one for mlp_cuda_loss) and the numbers do not change.
// run_sgd: ⌈epochs·N/B⌉ steps of the library's sgd_record; bad input (λ ≤ 0, B outside [1, N],
// epochs ≤ 0) throws shiftcurv::domain_error / invalid_argument naming the caller's `fn`.
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
#include <shiftcurv/core/concepts.hpp>
#include <shiftcurv/dynamics/sgd.hpp>
#include <shiftcurv/studies/line_protocol.hpp>

#include "network/library_names.hpp"

namespace shiftcurv_examples::network {

/// Seconds spent in each kind of loss call (filled by timed_loss; for the benchmark table).
struct call_timing {
  double gradient = 0, hvp = 0, value = 0, minibatch = 0;
  long gradients = 0, hvps = 0, values = 0, minibatches = 0;
};

/// A network loss with its calls timed: forwards the batched members (mean_value, mean_gradient,
/// mean_hvp, value_and_gradient, minibatch_gradient; each timed) and, where the loss has them,
/// accuracy and the per-sample members (not timed).
template <class L>
struct timed_loss {
  const L* loss = nullptr;
  call_timing* timing = nullptr;

  using clock = std::chrono::steady_clock;
  static double since(clock::time_point t0) { return std::chrono::duration<double>(clock::now() - t0).count(); }

  index num_samples() const { return static_cast<index>(loss->num_samples()); }
  index dimension() const { return static_cast<index>(loss->dimension()); }
  double mean_value(const vector& th) const {
    const auto t0 = clock::now();
    const double u = loss->mean_value(th);
    if (timing) timing->value += since(t0), ++timing->values;
    return u;
  }
  vector mean_gradient(const vector& th) const {
    const auto t0 = clock::now();
    vector g = loss->mean_gradient(th);
    if (timing) timing->gradient += since(t0), ++timing->gradients;
    return g;
  }
  vector mean_hvp(const vector& th, const vector& v) const {
    const auto t0 = clock::now();
    vector h = loss->mean_hvp(th, v);
    if (timing) timing->hvp += since(t0), ++timing->hvps;
    return h;
  }
  /// U and ∇U in one pass (counted as a gradient call).
  double value_and_gradient(const vector& th, vector& g) const
    requires requires(const L& f, const vector& x, vector& out) { f.value_and_gradient(x, out); }
  {
    const auto t0 = clock::now();
    const double u = loss->value_and_gradient(th, g);
    if (timing) timing->gradient += since(t0), ++timing->gradients;
    return u;
  }
  void minibatch_gradient(const vector& th, const std::vector<index>& rows, vector& g) const
    requires has_minibatch_gradient<L>
  {
    const auto t0 = clock::now();
    loss->minibatch_gradient(th, rows, g);
    if (timing) timing->minibatch += since(t0), ++timing->minibatches;
  }
  double accuracy(const vector& th) const
    requires requires(const L& f, const vector& x) { f.accuracy(x); }
  {
    return loss->accuracy(th);
  }
  double value(const vector& th, index i) const
    requires per_sample_loss<L>
  {
    return loss->value(th, i);
  }
  void gradient(const vector& th, index i, vector& g) const
    requires per_sample_loss<L>
  {
    loss->gradient(th, i, g);
  }
  void hvp(const vector& th, index i, const vector& v, vector& out) const
    requires has_sample_hvp<L>
  {
    loss->hvp(th, i, v, out);
  }
};

/// The loss's accuracy(θ), or NaN when it has none.
template <class L>
double accuracy_or_nan(const L& loss, const vector& th) {
  if constexpr (requires { loss.accuracy(th); }) return loss.accuracy(th);
  else return std::numeric_limits<double>::quiet_NaN();
}

// ---- validation ------------------------------------------------------------------------------
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

}  // namespace shiftcurv_examples::network
