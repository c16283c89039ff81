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
#pragma once

#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include <boost/numeric/odeint/stepper/stepper_categories.hpp>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
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

  /// Keeps a reference to `loss` (it must outlive the stepper).  Throws domain_error unless
  /// λ > 0 and α ≥ 0; invalid_argument unless 1 ≤ B (≤ N without replacement), β finite.
  sgd_stepper(const F& loss, const sgd_options& options, philox_noise noise = {}) : loss_(&loss), o_(options), noise_(noise) {
    constexpr const char* fn = "sgd_stepper";
    require_positive(fn, "learning_rate", options.learning_rate);
    n_ = detail::checked_num_samples(fn, loss);
    if (options.batch_size < 1) detail::throw_invalid(fn, "batch_size must be >= 1, got ", options.batch_size);
    if (options.sampling == minibatch_sampling::without_replacement && options.batch_size > n_)
      detail::throw_invalid(fn, "batch_size ", options.batch_size, " exceeds the ", n_, " samples (without replacement)");
    require_finite(fn, "alpha", options.alpha);
    require_finite(fn, "beta", options.beta);
    if (options.alpha < 0) detail::throw_domain(fn, "alpha must be >= 0, got ", options.alpha);
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

}  // namespace shiftcurv
