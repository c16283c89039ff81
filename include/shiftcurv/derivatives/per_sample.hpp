// shiftcurv/derivatives/per_sample.hpp — the mean loss, its gradient and the per-sample
// gradient matrix of a separable (per-sample) loss.
//
//   struct least_squares {                 // U(x_i, θ) = ½ (a_iᵀθ − y_i)²
//     Eigen::MatrixXd X; Eigen::VectorXd y;
//     shiftcurv::index num_samples() const { return X.rows(); }
//     double value(const Eigen::VectorXd& th, shiftcurv::index i) const {
//       const double r = X.row(i).dot(th) - y(i); return 0.5 * r * r; }
//     void gradient(const Eigen::VectorXd& th, shiftcurv::index i, Eigen::VectorXd& g) const {
//       g = (X.row(i).dot(th) - y(i)) * X.row(i).transpose(); }
//   };
//   least_squares ls{X, y};
//   double U = shiftcurv::mean_loss(ls, th);                 // (1/N) Σ U(x_i, θ)
//   auto G   = shiftcurv::sample_gradients(ls, th);          // N×p, row i = g_iᵀ
//   shiftcurv::mean_loss_of train{ls};                        // a loss functor: U_tr
//   auto g = shiftcurv::gradient(train, th);                 // uses the per-sample gradients
//
// Per-sample Hessians come from the functor's `hessian(θ, i, H)` when given, otherwise from
// `hvp(θ, i, v, out)` column by column, otherwise by central differences of the per-sample
// gradient (step rule of derivatives.hpp, error ≈ 1e-10 relative).
//
// Batched members (core/concepts.hpp: mean_value, mean_gradient, sample_gradients, mean_hvp)
// are used instead of the per-sample loops wherever the loss has them; `mean_loss_of` then has
// an `hvp` member (mean_hvp, or the mean of per-sample HVPs), so shiftcurv::hvp and the
// curvature tools never form the p×p Hessian.
#pragma once

#include <string_view>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/detail/numerics.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/derivatives/finite_difference.hpp"

namespace shiftcurv {

namespace detail {
template <class F>
index checked_num_samples(std::string_view fn, const F& f) {
  const index n = static_cast<index>(f.num_samples());
  if (n <= 0) throw_invalid(fn, "the per-sample loss has ", n, " samples, need at least 1");
  return n;
}

template <class F>
void check_sample_point(std::string_view fn, const F& f, const vector& theta) {
  if (theta.size() < 1) throw_invalid(fn, "theta must not be empty");
  require_finite(fn, "theta", theta);
  require_dimension(fn, "theta", f, theta.size());
}

/// G (N×p) for callers that name themselves `fn`.
template <class F>
matrix sample_gradients(std::string_view fn, const F& f, const vector& theta) {
  check_sample_point(fn, f, theta);
  const index n = checked_num_samples(fn, f);
  if constexpr (has_batched_sample_gradients<F>) {
    matrix G = f.sample_gradients(theta);
    if (G.rows() != n || G.cols() != theta.size())
      throw_invalid(fn, "the loss's sample_gradients is ", G.rows(), "x", G.cols(), ", expected ", n, "x",
                    theta.size());
    return G;
  }
  matrix G(n, theta.size());
  vector g(theta.size());
  for (index i = 0; i < n; ++i) {
    f.gradient(theta, i, g);
    require_size(fn, "a per-sample gradient", g.size(), theta.size());
    G.row(i) = g.transpose();
  }
  return G;
}

template <class F>
matrix sample_hessian(const F& f, const vector& theta, index i) {
  const index p = theta.size();
  matrix H(p, p);
  if constexpr (has_sample_hessian<F>) {
    f.hessian(theta, i, H);
  } else if constexpr (has_sample_hvp<F>) {
    vector col(p);
    for (index j = 0; j < p; ++j) {
      f.hvp(theta, i, vector::Unit(p, j), col);
      H.col(j) = col;
    }
    H = 0.5 * (H + H.transpose()).eval();
  } else {
    H = fd_jacobian_of_gradient(
        [&](const vector& x) {
          vector g(p);
          f.gradient(x, i, g);
          return g;
        },
        theta);
  }
  return H;
}
}  // namespace detail

/// (1/N) Σ_i U(x_i, θ).
template <class F>
  requires per_sample_loss<F>
double mean_loss(const F& f, const vector& theta) {
  detail::check_sample_point("mean_loss", f, theta);
  const index n = detail::checked_num_samples("mean_loss", f);
  if constexpr (has_batched_value<F>) return static_cast<double>(f.mean_value(theta));
  detail::compensated_sum s;
  for (index i = 0; i < n; ++i) s.add(static_cast<double>(f.value(theta, i)));
  return s.value() / static_cast<double>(n);
}

/// The per-sample gradient matrix G (N×p), row i = g_i(θ)ᵀ.
template <class F>
  requires per_sample_loss<F>
matrix sample_gradients(const F& f, const vector& theta) {
  return detail::sample_gradients("sample_gradients", f, theta);
}

/// ḡ = ∇U_tr(θ) = (1/N) Σ_i g_i(θ).
template <class F>
  requires per_sample_loss<F>
vector mean_gradient(const F& f, const vector& theta) {
  detail::check_sample_point("mean_gradient", f, theta);
  const index n = detail::checked_num_samples("mean_gradient", f);
  if constexpr (has_batched_gradient<F>) {
    vector g = f.mean_gradient(theta);
    require_size("mean_gradient", "the loss's mean_gradient", g.size(), theta.size());
    return g;
  }
  vector s = vector::Zero(theta.size()), g(theta.size());
  for (index i = 0; i < n; ++i) {
    f.gradient(theta, i, g);
    require_size("mean_gradient", "a per-sample gradient", g.size(), theta.size());
    s += g;
  }
  return s / static_cast<double>(n);
}

/// ∇²U(x_i, θ) for one sample, by the best route (see the header comment).  Throws
/// invalid_argument unless 0 ≤ i < num_samples() and θ is finite and of the loss's dimension.
template <class F>
  requires per_sample_loss<F>
matrix sample_hessian(const F& f, const vector& theta, index i) {
  constexpr std::string_view fn = "sample_hessian";
  detail::check_sample_point(fn, f, theta);
  const index n = detail::checked_num_samples(fn, f);
  if (i < 0 || i >= n) detail::throw_invalid(fn, "sample index i = ", i, " is outside [0, ", n, ")");
  matrix H = detail::sample_hessian(f, theta, i);
  if (H.rows() != theta.size() || H.cols() != theta.size())
    detail::throw_invalid(fn, "the per-sample Hessian is ", H.rows(), "x", H.cols(), ", expected ",
                          theta.size(), "x", theta.size());
  return H;
}

/// Adapts a per-sample loss to a plain loss functor U_tr(θ) = mean_i U(x_i, θ), with analytic
/// gradient and Hessian assembled from the per-sample ones.
template <class F>
  requires per_sample_loss<F>
struct mean_loss_of {
  F samples;
  index dimension() const requires has_dimension<F> { return samples.dimension(); }
  double operator()(const vector& theta) const { return mean_loss(samples, theta); }
  vector gradient(const vector& theta) const { return mean_gradient(samples, theta); }
  /// ∇²U_tr·v without forming ∇²U_tr: the loss's mean_hvp, else the mean of its per-sample HVPs.
  vector hvp(const vector& theta, const vector& v) const
    requires has_batched_hvp<F> || has_sample_hvp<F>
  {
    constexpr std::string_view fn = "mean_loss_of::hvp";
    detail::check_sample_point(fn, samples, theta);
    require_size(fn, "v", v.size(), theta.size());
    require_finite(fn, "v", v);
    if constexpr (has_batched_hvp<F>) {
      vector out = samples.mean_hvp(theta, v);
      require_size(fn, "the loss's mean_hvp", out.size(), theta.size());
      return out;
    } else {
      const index n = detail::checked_num_samples(fn, samples);
      vector s = vector::Zero(theta.size()), out(theta.size());
      for (index i = 0; i < n; ++i) {
        samples.hvp(theta, i, v, out);
        s += out;
      }
      return s / static_cast<double>(n);
    }
  }
  matrix hessian(const vector& theta) const {
    detail::check_sample_point("mean_loss_of::hessian", samples, theta);
    const index n = detail::checked_num_samples("mean_loss_of::hessian", samples);
    matrix H = matrix::Zero(theta.size(), theta.size());
    for (index i = 0; i < n; ++i) H += detail::sample_hessian(samples, theta, i);
    return H / static_cast<double>(n);
  }
};
template <class F>
mean_loss_of(F) -> mean_loss_of<F>;

}  // namespace shiftcurv
