// shiftcurv/dynamics/sde_steppers.hpp — fixed-step integrators for Itô SDEs
// dX = f(X, t) dt + G(X, t) dW, in the shape of Boost.Odeint steppers.
//
//   #include <boost/numeric/odeint/integrate/integrate_const.hpp>
//   auto sys = shiftcurv::langevin_system(U, D, T);              // pair (drift, diffusion)
//   shiftcurv::euler_maruyama<> em(shiftcurv::philox_noise(/*seed=*/1, /*trajectory=*/0));
//   shiftcurv::vector x = x0;
//   boost::numeric::odeint::integrate_const(std::ref(em), sys, x, 0.0, 10.0, 1e-3,
//       [](const shiftcurv::vector& x, double t) { /* observe */ });
//   shiftcurv::weak_order2<> w2(noise, shiftcurv::reflecting_box(-4, 4));  // walls optional
//
// The system is a std::pair like odeint's stochastic_euler example: `first(x, f[, t])` writes
// the drift, `second(x, G[, t])` the diffusion — either a p×m matrix (general noise, dW ∈ Rᵐ)
// or, when it takes a state-typed vector, the diagonal of G (diagonal noise, m = p).  The
// Brownian increments come from the stepper's random source (template parameter RandomSource,
// default `philox_noise`: keyed by seed, trajectory and the stepper's own step counter), so a
// trajectory is reproducible bit for bit.  odeint copies steppers by value: pass
// std::ref(stepper) to keep its step counter advancing.  A system may also offer
// `drift_and_noise(x, f, G[, t])` (see detail::sde_combined below).
//
// Schemes (Kloeden & Platen, "Numerical Solution of Stochastic Differential Equations", 1992;
// orders and costs on each class): euler_maruyama, milstein (derivative-free), weak_order2
// (Platen).  "Error estimate": these are fixed-step schemes without error control; their
// orders are what tests/dynamics/convergence_slow.cpp measures with the estimator of
// testing/convergence.hpp.  With reflecting walls the state is folded back after every step
// and the supporting values of Milstein/weak-2 are folded too (so coefficients are never
// evaluated outside the box).
#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>
#include <utility>

#include <boost/numeric/odeint/stepper/stepper_categories.hpp>
#include <Eigen/Core>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/dynamics/reflecting_box.hpp"
#include "shiftcurv/random/philox.hpp"

namespace shiftcurv {

/// Which SDE scheme (used by the ensemble front ends).
enum class sde_scheme { euler_maruyama, milstein, weak_order2 };

namespace detail {

template <class State>
using noise_matrix_t =
    Eigen::Matrix<double, State::RowsAtCompileTime, Eigen::Dynamic,
                  Eigen::AutoAlign | (State::RowsAtCompileTime == 1 ? Eigen::RowMajor : Eigen::ColMajor),
                  State::MaxRowsAtCompileTime, Eigen::Dynamic>;

template <class F, class X, class Out>
concept sde_part_with_time = std::invocable<const F&, const X&, Out&, double>;
template <class F, class X, class Out>
concept sde_part = sde_part_with_time<F, X, Out> || std::invocable<const F&, const X&, Out&>;

template <class F, class X, class Out>
void call_sde_part(const F& f, const X& x, Out& out, double t) {
  if constexpr (sde_part_with_time<F, X, Out>)
    f(x, out, t);
  else
    f(x, out);
}

/// The system offers `drift_and_noise(x, f, g[, t])` for the diffusion output type Out (G of the
/// diffusion's output type: matrix or diagonal vector): both parts at one point in one call, for
/// models where they share work — per_sample_langevin_system computes the N per-sample gradients
/// once for −ḡ and √T·Aᵀ.  The steppers call it wherever drift and diffusion are needed at the
/// same point (the start of every step), and the separate `first`/`second` elsewhere; its
/// results must equal theirs (bit for bit, if trajectories are to match a plain pair's).  A
/// plain std::pair has no such member and is evaluated part by part.
template <class System, class X, class Out>
concept sde_combined_with_time = requires(const System& s, const X& x, X& f, Out& g, double t) {
  s.drift_and_noise(x, f, g, t);
};
template <class System, class X, class Out>
concept sde_combined = sde_combined_with_time<System, X, Out> ||
                       requires(const System& s, const X& x, X& f, Out& g) { s.drift_and_noise(x, f, g); };

/// Drift f and diffusion g (a matrix or a diagonal, as the system writes it) at the same point:
/// one combined call when the system offers it, else `first` then `second`.
template <class System, class X, class Out>
void call_drift_and_noise(const System& sys, const X& x, X& f, Out& g, double t) {
  if constexpr (sde_combined_with_time<System, X, Out>) {
    sys.drift_and_noise(x, f, g, t);
  } else if constexpr (sde_combined<System, X, Out>) {
    sys.drift_and_noise(x, f, g);
  } else {
    call_sde_part(sys.first, x, f, t);
    call_sde_part(sys.second, x, g, t);
  }
}

/// True when the diffusion functor writes a p×m matrix; false when it writes a diagonal.
template <class Diffusion, class State>
inline constexpr bool general_noise_v = sde_part<Diffusion, State, noise_matrix_t<State>>;

template <class Diffusion, class State>
void diffusion_matrix_of(const Diffusion& d, const State& x, noise_matrix_t<State>& G, State& diag, double t) {
  if constexpr (general_noise_v<Diffusion, State>) {
    call_sde_part(d, x, G, t);
  } else {
    static_assert(sde_part<Diffusion, State, State>,
                  "the diffusion functor must take (x, G[, t]) with G a matrix or (x, g[, t]) with g a vector");
    call_sde_part(d, x, diag, t);
    G = diag.asDiagonal();
  }
}

/// drift f and the p×m diffusion matrix G at one point (diagonal noise expanded), through the
/// system's combined evaluation when it has one.
template <class System, class State>
void drift_and_diffusion_matrix_of(const System& sys, const State& x, State& f, noise_matrix_t<State>& G, State& diag,
                                   double t) {
  if constexpr (general_noise_v<decltype(sys.second), State>) {
    call_drift_and_noise(sys, x, f, G, t);
  } else {
    static_assert(sde_part<decltype(sys.second), State, State>,
                  "the diffusion functor must take (x, G[, t]) with G a matrix or (x, g[, t]) with g a vector");
    call_drift_and_noise(sys, x, f, diag, t);
    G = diag.asDiagonal();
  }
}

template <class State, class RandomSource>
class sde_stepper_base {
 public:
  using state_type = State;
  using deriv_type = State;
  using value_type = double;
  using time_type = double;
  using order_type = unsigned short;
  using stepper_category = boost::numeric::odeint::stepper_tag;
  using random_source_type = RandomSource;

  sde_stepper_base() = default;
  explicit sde_stepper_base(RandomSource source, reflecting_box walls = {}, std::uint64_t first_step = 0)
      : random_(std::move(source)), walls_(std::move(walls)), step_(first_step) {}

  /// Start over with another random source (another trajectory) at step `first_step`.
  void restart(RandomSource source, std::uint64_t first_step = 0) {
    random_ = std::move(source);
    step_ = first_step;
  }
  /// The counter of the next step (it keys the random numbers).
  std::uint64_t step_index() const { return step_; }
  const RandomSource& random_source() const { return random_; }
  const reflecting_box& walls() const { return walls_; }
  void set_walls(reflecting_box w) { walls_ = std::move(w); }

 protected:
  static void check_step(std::string_view fn, double dt) {
    if (!(dt > 0) || !std::isfinite(dt)) throw_invalid(fn, "dt must be finite and > 0, got ", dt);
  }
  template <class V>
  void confine(V& x) const {
    walls_.apply(x);
  }
  RandomSource random_{};
  reflecting_box walls_{};
  std::uint64_t step_ = 0;
};

}  // namespace detail

/// Euler–Maruyama: X_{n+1} = X_n + f h + G ΔW.  Strong order ½, weak order 1.
template <class State = vector, class RandomSource = philox_noise>
class euler_maruyama : public detail::sde_stepper_base<State, RandomSource> {
  using base = detail::sde_stepper_base<State, RandomSource>;

 public:
  using typename base::order_type;
  using base::base;
  static constexpr double strong_order = 0.5;
  static constexpr double weak_order = 1.0;
  /// odeint's integer order: the weak order.
  static constexpr order_type order() { return 1; }

  template <class System>
  void do_step(const System& system, State& x, double t, double dt) {
    this->check_step("euler_maruyama::do_step", dt);
    const double sq = std::sqrt(dt);
    if constexpr (detail::general_noise_v<decltype(system.second), State>) {
      detail::call_drift_and_noise(system, x, f_, G_, t);
      z_.resize(G_.cols());
      this->random_.increments(this->step_, z_.data(), z_.size());
      x += dt * f_ + G_ * (sq * z_);
    } else {
      detail::call_drift_and_noise(system, x, f_, g_, t);
      z_.resize(x.size());
      this->random_.increments(this->step_, z_.data(), z_.size());
      x += dt * f_ + sq * g_.cwiseProduct(z_);
    }
    this->confine(x);
    ++this->step_;
  }

 private:
  State f_, g_;
  detail::noise_matrix_t<State> G_;
  Eigen::VectorXd z_;
};

/// Derivative-free Milstein (KP §11.1, eqs 11.1.3 and 11.1.7): the Milstein correction
/// ½ Σ L^{j1} b^{j2} (ΔW_{j1} ΔW_{j2} − h δ) with L^{j1} b^{j2} replaced by
/// [b^{j2}(Υ^{j1}) − b^{j2}]/√h, Υ^{j} = X + f h + b^{j} √h.  Strong order 1 for diagonal noise
/// (g_i depending on x_i only) and for commutative noise (L^{j1} b^{j2} = L^{j2} b^{j1}, e.g.
/// additive or scalar noise); otherwise it is strong order ½ like Euler.  Weak order 1.
/// Costs m + 1 diffusion evaluations per step for general noise, 2 for diagonal noise.
template <class State = vector, class RandomSource = philox_noise>
class milstein : public detail::sde_stepper_base<State, RandomSource> {
  using base = detail::sde_stepper_base<State, RandomSource>;

 public:
  using typename base::order_type;
  using base::base;
  static constexpr double strong_order = 1.0;
  static constexpr double weak_order = 1.0;
  static constexpr order_type order() { return 1; }

  template <class System>
  void do_step(const System& system, State& x, double t, double dt) {
    this->check_step("milstein::do_step", dt);
    const double sq = std::sqrt(dt);
    if constexpr (detail::general_noise_v<decltype(system.second), State>) {
      detail::call_drift_and_noise(system, x, f_, G_, t);
      const index m = G_.cols();
      z_.resize(m);
      this->random_.increments(this->step_, z_.data(), m);
      const Eigen::VectorXd dW = sq * z_;
      State next = x + dt * f_ + G_ * dW;
      for (index j = 0; j < m; ++j) {  // support Υ^j = X + f h + b^j √h
        support_ = x + dt * f_ + sq * G_.col(j);
        this->confine(support_);
        detail::call_sde_part(system.second, support_, Gs_, t);
        Eigen::VectorXd w = dW(j) * dW;  // ΔW_j ΔW − h e_j
        w(j) -= dt;
        next += (Gs_ - G_) * w / (2 * sq);
      }
      x = next;
    } else {
      detail::call_drift_and_noise(system, x, f_, g_, t);
      z_.resize(x.size());
      this->random_.increments(this->step_, z_.data(), z_.size());
      support_ = x + dt * f_ + sq * g_;
      this->confine(support_);
      detail::call_sde_part(system.second, support_, gs_, t);
      const Eigen::VectorXd dW = sq * z_;
      x += dt * f_ + g_.cwiseProduct(dW) +
           ((gs_ - g_).array() * (dW.array().square() - dt) / (2 * sq)).matrix();
    }
    this->confine(x);
    ++this->step_;
  }

 private:
  State f_, g_, gs_, support_;
  detail::noise_matrix_t<State> G_, Gs_;
  Eigen::VectorXd z_;
};

/// Platen's explicit weak order 2.0 scheme for general (non-commutative) multi-dimensional
/// noise, KP eq. (15.1.3) (the scalar case is eq. 15.1.1), with Gaussian ΔŴ (so it also works on
/// refined Brownian paths) and two-point V_{r,j} = ±h.  Weak order 2 for smooth coefficients.
/// Per step: 2 drift and 2m + 1 diffusion evaluations when m = 1, 4m + 1 otherwise (diagonal
/// noise is expanded to a p×p diagonal G, m = p), plus O(m²p) work for the double sums — meant
/// for small m.  Time-dependent coefficients are treated by appending t as a state (drift 1, no
/// noise), as KP do.
template <class State = vector, class RandomSource = philox_noise>
class weak_order2 : public detail::sde_stepper_base<State, RandomSource> {
  using base = detail::sde_stepper_base<State, RandomSource>;
  using noise_matrix = detail::noise_matrix_t<State>;

 public:
  using typename base::order_type;
  using base::base;
  static constexpr double strong_order = 0.5;  // 1 for additive noise
  static constexpr double weak_order = 2.0;
  static constexpr order_type order() { return 2; }

  template <class System>
  void do_step(const System& system, State& x, double t, double dt) {
    this->check_step("weak_order2::do_step", dt);
    const double sq = std::sqrt(dt);
    const double t1 = t + dt;
    detail::drift_and_diffusion_matrix_of(system, x, f_, G_, diag_, t);
    const index m = G_.cols();
    z_.resize(m);
    this->random_.increments(this->step_, z_.data(), m);
    const Eigen::VectorXd dW = sq * z_;
    const State drifted = x + dt * f_;

    // Ῡ = X + f h + G ΔŴ; drift average ½(f(Ῡ, t+h) + f) h.
    support_ = drifted + G_ * dW;
    this->confine(support_);
    detail::call_sde_part(system.first, support_, fs_, t1);
    State next = x + 0.5 * dt * (fs_ + f_);

    if (m > 1) {
      aux_.resize(m * m);
      this->random_.auxiliary(this->step_, aux_.data(), m * m);
    }
    for (index j = 0; j < m; ++j) {
      // R±^j = X + f h ± b^j √h, at t + h.
      support_ = drifted + sq * G_.col(j);
      this->confine(support_);
      detail::diffusion_matrix_of(system.second, support_, Gp_, diag_, t1);
      support_ = drifted - sq * G_.col(j);
      this->confine(support_);
      detail::diffusion_matrix_of(system.second, support_, Gm_, diag_, t1);
      next += 0.25 * (Gp_.col(j) + Gm_.col(j) + 2 * G_.col(j)) * dW(j) +
              0.25 * (Gp_.col(j) - Gm_.col(j)) * ((dW(j) * dW(j) - dt) / sq);
    }
    if (m > 1) {
      for (index r = 0; r < m; ++r) {
        // U±^r = X ± b^r √h, at t.
        support_ = x + sq * G_.col(r);
        this->confine(support_);
        detail::diffusion_matrix_of(system.second, support_, Gp_, diag_, t);
        support_ = x - sq * G_.col(r);
        this->confine(support_);
        detail::diffusion_matrix_of(system.second, support_, Gm_, diag_, t);
        for (index j = 0; j < m; ++j) {
          if (j == r) continue;
          // V_{r,j}: ±h two-point for r < j, V_{r,j} = −V_{j,r}.
          const double v = r < j ? (aux_(r * m + j) < 0 ? -dt : dt) : (aux_(j * m + r) < 0 ? dt : -dt);
          next += 0.25 * (Gp_.col(j) + Gm_.col(j) - 2 * G_.col(j)) * (dW(j) / sq) +
                  0.25 * (Gp_.col(j) - Gm_.col(j)) * ((dW(j) * dW(r) + v) / sq);
        }
      }
    }
    x = next;
    this->confine(x);
    ++this->step_;
  }

 private:
  State f_, fs_, diag_, support_;
  noise_matrix G_, Gp_, Gm_;
  Eigen::VectorXd z_, aux_;
};

}  // namespace shiftcurv
