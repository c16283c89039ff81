// shiftcurv/dynamics/sgd.hpp — discrete SGD on a per-sample loss (eq 9), optionally the
// over-parametrized variant of eq 13, as a stepper in rescaled time t = λ·n so that it runs
// through the same ensemble machinery as the SDE and compares with it directly.
//
//   my_dataset_loss data;                                     // per_sample_loss (ensmallen shape)
//   shiftcurv::sgd_options o; o.learning_rate = 0.02; o.batch_size = 4;   // T = λ/B = 0.005
//   shiftcurv::sgd_stepper<my_dataset_loss> sgd(data, o);
//   shiftcurv::ensemble_options e; e.dt = o.learning_rate;   // one SGD step per λ of time
//   e.t_end = 50; e.particles = 4000;
//   auto r = shiftcurv::run_ensemble(sgd, shiftcurv::no_system{}, shiftcurv::initial_point{theta0},
//                                    shiftcurv::basin_occupancy_observer({0.0}), e);
//   // or by hand:
//   sgd.restart(shiftcurv::philox_noise(seed, trajectory));
//   sgd.do_step(shiftcurv::no_system{}, theta, t, o.learning_rate);     // one step
//
// One step (THEORY.md "SGD and its diffusion approximation", eq 9 and 13):
//   θ ← θ − λ[(1/B) Σ_{i∈batch} g_i(θ) + αθ] + √(λT)·β·w,   w ~ N(0, I_p),  T = λ/B.
// The minibatch gradient: when the loss has `minibatch_gradient(θ, rows, g)` (core/concepts.hpp,
// `has_minibatch_gradient`: e.g. the network losses of examples/network, one batched pass over
// the B rows) the stepper calls it once per step; otherwise it sums B per-sample `gradient(θ, i,
// g)` calls.  Both paths draw the same indices, so they give the same trajectory up to rounding.
// Minibatches: `with_replacement` draws B i.i.d. uniform indices (the paper's model: one step
// has mean −λ∇U and covariance λT·D); `without_replacement` draws B distinct indices (partial
// Fisher–Yates), whose covariance is λT·D·(N−B)/(N−1).  Indices and w of step n of trajectory k
// come from Philox keyed by (seed, k, n): reproducible for any thread count.
// The stepper follows the odeint stepper concept (do_step(system, θ, t, dt)); the system is
// ignored (pass no_system{}) and dt must equal λ: time advances by λ per SGD step.
//
// One trajectory with records (the burn-in-and-record loop; contract, status, throws: sgd_record):
//   shiftcurv::sgd_record_options rec; rec.burn_in = 1000; rec.records = 400; rec.thinning = 10;
//   auto r = shiftcurv::sgd_record(data, theta0, o, rec, [&](index t, const vector& th) { ... });
//   auto X = shiftcurv::sgd_iterates(data, theta0, o, rec).iterates;    // or the p×n records
#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>
#include <numeric>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/numeric/odeint/stepper/stepper_categories.hpp>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/derivatives/per_sample.hpp"
#include "shiftcurv/random/philox.hpp"

namespace shiftcurv {

enum class minibatch_sampling { with_replacement, without_replacement };

struct sgd_options {
  double learning_rate = 0;   ///< λ > 0
  index batch_size = 1;       ///< B in [1, N] (≤ N without replacement)
  minibatch_sampling sampling = minibatch_sampling::with_replacement;
  double alpha = 0;           ///< eq 13 ℓ2 drift α ≥ 0
  double beta = 0;            ///< eq 13 isotropic noise β
  double temperature() const { return learning_rate / static_cast<double>(batch_size); }
};

/// The (ignored) system argument of sgd_stepper::do_step.
struct no_system {};

/// Whether check_sgd_options bounds the batch size by the sample count N with replacement too
/// (without replacement B ≤ N always).
enum class sgd_batch_bound { without_replacement_only, always };

/// The one check of sgd_options for SGD on N samples, naming `fn` (the public function called)
/// and the fields as `name`.field (e.g. "sgd.learning_rate").  Throws domain_error unless
/// λ > 0 and α ≥ 0; invalid_argument when λ, α or β is not finite, B < 1, or B > N (without
/// replacement, or always with sgd_batch_bound::always).
template <class = void>
void check_sgd_options(std::string_view fn, const sgd_options& options, index N, std::string_view name = "options",
                              sgd_batch_bound bound = sgd_batch_bound::without_replacement_only) {
  const std::string prefix = name.empty() ? std::string() : std::string(name) + ".";
  require_positive(fn, prefix + "learning_rate", options.learning_rate);
  const index B = options.batch_size;
  if (bound == sgd_batch_bound::always && (B < 1 || B > N))
    detail::throw_invalid(fn, prefix, "batch_size must be in [1, N = ", N, "], got ", B);
  if (B < 1) detail::throw_invalid(fn, prefix, "batch_size must be >= 1, got ", B);
  if (options.sampling == minibatch_sampling::without_replacement && B > N)
    detail::throw_invalid(fn, prefix, "batch_size ", B, " exceeds the ", N, " samples (without replacement)");
  require_finite(fn, prefix + "alpha", options.alpha);
  require_finite(fn, prefix + "beta", options.beta);
  if (options.alpha < 0) detail::throw_domain(fn, prefix, "alpha must be >= 0, got ", options.alpha);
}

template <class F>
  requires per_sample_loss<F> || has_minibatch_gradient<F>
class sgd_stepper {
 public:
  using state_type = vector;
  using deriv_type = vector;
  using value_type = double;
  using time_type = double;
  using order_type = unsigned short;
  using stepper_category = boost::numeric::odeint::stepper_tag;
  using random_source_type = philox_noise;
  static constexpr order_type order() { return 1; }

  /// Keeps a reference to `loss` (it must outlive the stepper).  Throws as check_sgd_options
  /// (naming sgd_stepper).
  sgd_stepper(const F& loss, const sgd_options& options, philox_noise noise = {}) : loss_(&loss), o_(options), noise_(noise) {
    constexpr std::string_view fn = "sgd_stepper";
    n_ = detail::checked_num_samples(fn, loss);
    check_sgd_options(fn, options, n_);
    reset_permutation();
  }

  const sgd_options& options() const { return o_; }
  double temperature() const { return o_.temperature(); }
  std::uint64_t step_index() const { return step_; }
  void restart(philox_noise noise, std::uint64_t first_step = 0) {
    noise_ = noise;
    step_ = first_step;
    reset_permutation();
  }

  /// One SGD step; dt must equal the learning rate (time t = λ·n).
  template <class System>
  void do_step(const System& /*ignored*/, vector& theta, double /*t*/, double dt) {
    if (std::fabs(dt - o_.learning_rate) > 1e-12 * o_.learning_rate)
      detail::throw_invalid("sgd_stepper::do_step", "dt must equal the learning rate ", o_.learning_rate, ", got ", dt);
    step(theta);
  }

  /// θ ← θ − λ[(1/B) Σ_batch g_i + αθ] + √(λT) β w.
  void step(vector& theta) {
    const index B = o_.batch_size;
    draw_batch();
    if constexpr (has_minibatch_gradient<F>) {
      loss_->minibatch_gradient(theta, rows_, g_);
      if (g_.size() != theta.size())
        detail::throw_invalid("sgd_stepper", "the loss's minibatch_gradient has ", g_.size(), " entries, theta has ",
                              theta.size());
      sum_ = g_ * static_cast<double>(B);
    } else {
      sum_.setZero(theta.size());
      g_.resize(theta.size());
      for (index b = 0; b < B; ++b) {
        loss_->gradient(theta, rows_[static_cast<std::size_t>(b)], g_);
        sum_ += g_;
      }
    }
    const double lr = o_.learning_rate;
    theta -= lr * (sum_ / static_cast<double>(B) + o_.alpha * theta);
    if (o_.beta != 0) {
      w_.resize(theta.size());
      noise_.stream.normals(step_, w_.data(), w_.size(), random_purpose::increments);
      theta += std::sqrt(lr * temperature()) * o_.beta * w_;
    }
    ++step_;
  }

  /// The sample indices of the last step taken (empty before the first).
  const std::vector<index>& last_batch() const { return rows_; }

 private:
  // The B indices of step step_ from Philox (seed, trajectory, step_, minibatch), into rows_.
  void draw_batch() {
    const index B = o_.batch_size;
    const auto& s = noise_.stream;
    rows_.resize(static_cast<std::size_t>(B));
    for (index b = 0; b < B; ++b) {
      index i;
      const double u = detail::open_uniform(s.bits(step_, static_cast<std::uint64_t>(b), random_purpose::minibatch));
      if (o_.sampling == minibatch_sampling::with_replacement) {
        i = std::min<index>(n_ - 1, static_cast<index>(u * static_cast<double>(n_)));
      } else {  // partial Fisher–Yates on a persistent permutation
        const index j = std::min<index>(n_ - 1, b + static_cast<index>(u * static_cast<double>(n_ - b)));
        std::swap(perm_[static_cast<std::size_t>(b)], perm_[static_cast<std::size_t>(j)]);
        i = perm_[static_cast<std::size_t>(b)];
      }
      rows_[static_cast<std::size_t>(b)] = i;
    }
  }
  void reset_permutation() {
    if (o_.sampling == minibatch_sampling::without_replacement) {
      perm_.resize(static_cast<std::size_t>(n_));
      std::iota(perm_.begin(), perm_.end(), index{0});
    }
  }
  const F* loss_;
  sgd_options o_;
  philox_noise noise_;
  index n_ = 0;
  std::uint64_t step_ = 0;
  std::vector<index> perm_, rows_;
  vector sum_, g_, w_;
};

/// Options of sgd_record and sgd_iterates: the run is burn_in + records·thinning steps.
struct sgd_record_options {
  index burn_in = 0;             ///< SGD steps run before the first record (≥ 0)
  index records = 0;             ///< records n (≥ 0; 0: only the burn-in runs)
  index thinning = 1;            ///< SGD steps per record; record t follows step burn_in + (t+1)·thinning
  std::uint64_t seed = 0;        ///< Philox seed of the minibatches and of eq 13's noise
  std::uint64_t trajectory = 0;  ///< Philox trajectory (stream) of that seed
};

/// What sgd_record ran; iterations = burn_in + steps, evaluations = iterations·B per-sample
/// gradients.
struct sgd_record_result : result_base {
  vector theta;          ///< the last iterate (on numerical_issue the first non-finite one)
  index burn_in = 0;     ///< burn-in steps run
  index steps = 0;       ///< steps run after the burn-in
  index records = 0;     ///< records handed to the callback
  bool stopped = false;  ///< the callback returned false
};

/// sgd_record's result with the records.
struct sgd_iterates_result : sgd_record_result {
  matrix iterates;  ///< p×records, column t = record t
};

/// A record callback: `(index t, const vector& theta)` returning void (never stops) or bool
/// (false stops the run after record t).
template <class C>
concept sgd_record_callback =
    std::invocable<C&, index, const vector&> &&
    (std::is_void_v<std::invoke_result_t<C&, index, const vector&>> ||
     std::convertible_to<std::invoke_result_t<C&, index, const vector&>, bool>);

namespace detail {

/// sgd_record's checks of its arguments, naming `fn`.
template <class F>
void check_sgd_record(std::string_view fn, const F& loss, const vector& theta0, const sgd_options& options,
                      const sgd_record_options& record) {
  check_sample_point(fn, loss, theta0);
  check_sgd_options(fn, options, checked_num_samples(fn, loss));
  if (record.burn_in < 0) throw_invalid(fn, "record.burn_in must be >= 0, got ", record.burn_in);
  if (record.records < 0) throw_invalid(fn, "record.records must be >= 0, got ", record.records);
  if (record.thinning < 1) throw_invalid(fn, "record.thinning must be >= 1, got ", record.thinning);
}

/// The burn-in-and-record loop of sgd_record, on checked arguments; its status message names
/// `fn` (the public function the user called).
template <class F, sgd_record_callback Callback>
sgd_record_result run_sgd_record(std::string_view fn, const F& loss, const vector& theta0, const sgd_options& options,
                                 const sgd_record_options& record, Callback& on_record) {
  sgd_stepper<F> stepper(loss, options, philox_noise(record.seed, record.trajectory));
  sgd_record_result r;
  r.theta = theta0;
  auto advance = [&](index& counter) {  // one step; false (and numerical_issue) on a non-finite iterate
    stepper.step(r.theta);
    ++counter;
    if (r.theta.allFinite()) return true;
    const index k = r.burn_in + r.steps;
    record_status(r, status::numerical_issue,
                  message(fn, "the SGD iterate became non-finite at step ", k, k <= record.burn_in ? " (burn-in)" : "",
                          ": lower the learning rate"));
    return false;
  };
  bool finite = true;
  for (index s = 0; finite && s < record.burn_in; ++s) finite = advance(r.burn_in);
  for (index t = 0; finite && t < record.records; ++t) {
    for (index s = 0; finite && s < record.thinning; ++s) finite = advance(r.steps);
    if (!finite) break;
    ++r.records;
    const vector& theta = r.theta;
    if constexpr (std::is_void_v<std::invoke_result_t<Callback&, index, const vector&>>) {
      on_record(t, theta);
    } else if (!static_cast<bool>(on_record(t, theta))) {
      r.stopped = true;
      break;
    }
  }
  r.iterations = static_cast<long>(r.burn_in + r.steps);
  r.evaluations = r.iterations * static_cast<long>(options.batch_size);
  return r;
}

/// A study's result takes over what its SGD run did: the step counts (burn_in, steps,
/// iterations, evaluations) and its status and message (core/status.hpp's rule).
template <class R>
void take_sgd_record(R& out, const sgd_record_result& rec) {
  out.burn_in = rec.burn_in;
  out.steps = rec.steps;
  out.iterations = rec.iterations;
  out.evaluations = rec.evaluations;
  record_status(out, rec.status, rec.message);
}

}  // namespace detail

/// SGD from theta0: record.burn_in steps, then record.records records, one every
/// record.thinning steps, each handed to `on_record(t, θ)` (sgd_record_callback: return false to
/// stop).  Record t (0-based) is the iterate after burn_in + (t+1)·thinning steps of sgd_stepper
/// on Philox (record.seed, record.trajectory), the stream of a hand loop of step() from theta0.
/// Status: success (also when the callback stopped the run: `stopped`); numerical_issue when an
/// iterate is non-finite (checked after every step; the message names the step, `theta` holds
/// it).  Throws invalid_argument (θ0 empty, non-finite or of a size other than the loss's
/// dimension(); burn_in < 0, records < 0, thinning < 1) and as check_sgd_options, naming
/// sgd_record.
template <class F, sgd_record_callback Callback>
  requires per_sample_loss<F> || has_minibatch_gradient<F>
sgd_record_result sgd_record(const F& loss, const vector& theta0, const sgd_options& options,
                             const sgd_record_options& record, Callback&& on_record) {
  constexpr std::string_view fn = "sgd_record";
  detail::check_sgd_record(fn, loss, theta0, options, record);
  return detail::run_sgd_record(fn, loss, theta0, options, record, on_record);
}

/// sgd_record keeping the records: iterates is p×records (fewer columns when the run stopped);
/// throws as sgd_record, naming sgd_iterates.
template <class F>
  requires per_sample_loss<F> || has_minibatch_gradient<F>
sgd_iterates_result sgd_iterates(const F& loss, const vector& theta0, const sgd_options& options,
                                 const sgd_record_options& record) {
  constexpr std::string_view fn = "sgd_iterates";
  detail::check_sgd_record(fn, loss, theta0, options, record);
  sgd_iterates_result out;
  out.iterates.resize(theta0.size(), record.records);
  auto keep = [&](index t, const vector& theta) { out.iterates.col(t) = theta; };
  static_cast<sgd_record_result&>(out) = detail::run_sgd_record(fn, loss, theta0, options, record, keep);
  out.iterates.conservativeResize(Eigen::NoChange, out.records);
  return out;
}

}  // namespace shiftcurv
