// shiftcurv/core/concepts.hpp — what a user functor must provide, as C++20 concepts.
//
//   struct my_loss {                                       // the minimum: a value
//     template <class S> S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& th) const {
//       return 0.25 * th.squaredNorm() * th.squaredNorm() - 0.5 * th.squaredNorm();
//     }
//   };
//   static_assert(shiftcurv::loss_function<my_loss>);
//   static_assert(shiftcurv::scalar_templated_loss<my_loss>);   // exact AD derivatives
//   static_assert(!shiftcurv::has_gradient<my_loss>);           // none given: derived
//
// Derivatives are optional members, detected at compile time (derivatives/derivatives.hpp
// picks analytic member > automatic differentiation > finite differences): gradient(θ) (∇U),
// hessian(θ) (∇²U), hvp(θ, v) (∇²U·v).
// A per-sample (dataset) loss has ensmallen's separable shape: num_samples(), value(θ, i)
// (U(x_i, θ)), gradient(θ, i, g) (g ← ∂θ U(x_i, θ)), optionally hessian(θ, i, H) and
// hvp(θ, i, v, out); optionally also batched members over all samples
// (`batched_per_sample_loss`: mean_value, mean_gradient, sample_gradients, mean_hvp,
// covariance_apply, ...) and the minibatch member `minibatch_gradient(θ, rows, g)` that SGD
// uses (`has_minibatch_gradient`).
// A diffusion model gives D(θ) = F(θ)F(θ)ᵀ (p×p): matrix(θ), divergence(θ) ((∇·D)_i =
// Σ_j ∂_j D_ij), noise_factor(θ) (F, p×m: Cholesky factor, or Aᵀ of a per-sample loss), and
// optionally apply(θ, v) (D·v).  The exact signatures are the concepts below.
// Any loss or diffusion model may also declare `index dimension() const` (p), which every
// public entry point then checks θ against (shiftcurv::invalid_argument naming the function).
#pragma once

#include <span>

#include <concepts>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "shiftcurv/core/dual.hpp"
#include "shiftcurv/core/types.hpp"

namespace shiftcurv {

/// An Eigen column vector of doubles, fixed or dynamic size.
template <class V>
concept real_vector = std::derived_from<V, Eigen::MatrixBase<V>> && V::ColsAtCompileTime == 1 &&
                      std::same_as<typename V::Scalar, double>;

namespace detail {
template <class Vec, class Scalar>
using rebind_vector = Eigen::Matrix<Scalar, Vec::RowsAtCompileTime, 1, Eigen::ColMajor,
                                    Vec::MaxRowsAtCompileTime, 1>;
}  // namespace detail

/// f(θ) returns something convertible to double.
template <class F, class Vec = vector>
concept loss_function = requires(const F& f, const Vec& theta) {
  { f(theta) } -> std::convertible_to<double>;
};

/// f is templated on its scalar: called with a vector of duals it returns that dual, at first
/// and at second order.  Such a loss gets exact derivatives by automatic differentiation.
template <class F, class Vec = vector>
concept scalar_templated_loss =
    loss_function<F, Vec> &&
    requires(const F& f, const detail::rebind_vector<Vec, dual<double>>& x1,
             const detail::rebind_vector<Vec, dual<dual<double>>>& x2) {
      { f(x1) } -> std::same_as<dual<double>>;
      { f(x2) } -> std::same_as<dual<dual<double>>>;
    };

/// The loss provides its gradient: `f.gradient(θ)`.
template <class F, class Vec = vector>
concept has_gradient = loss_function<F, Vec> && requires(const F& f, const Vec& theta) {
  { f.gradient(theta) } -> std::convertible_to<detail::rebind_vector<Vec, double>>;
};

/// The loss provides its Hessian: `f.hessian(θ)`.
template <class F, class Vec = vector>
concept has_hessian = loss_function<F, Vec> && requires(const F& f, const Vec& theta) {
  { f.hessian(theta) } -> std::convertible_to<matrix>;
};

/// The loss provides Hessian-vector products: `f.hvp(θ, v)`.
template <class F, class Vec = vector>
concept has_hvp = loss_function<F, Vec> && requires(const F& f, const Vec& theta, const Vec& v) {
  { f.hvp(theta, v) } -> std::convertible_to<detail::rebind_vector<Vec, double>>;
};

/// A dataset loss in ensmallen's separable shape (see the header comment).
template <class F, class Vec = vector>
concept per_sample_loss = requires(const F& f, const Vec& theta, index i, vector& g) {
  { f.num_samples() } -> std::convertible_to<index>;
  { f.value(theta, i) } -> std::convertible_to<double>;
  f.gradient(theta, i, g);
};

/// A per-sample loss that also gives per-sample Hessians: `f.hessian(θ, i, H)`.
template <class F, class Vec = vector>
concept has_sample_hessian = per_sample_loss<F, Vec> &&
                             requires(const F& f, const Vec& theta, index i, matrix& H) {
                               f.hessian(theta, i, H);
                             };

/// A per-sample loss that also gives per-sample Hessian-vector products.
template <class F, class Vec = vector>
concept has_sample_hvp = per_sample_loss<F, Vec> &&
                         requires(const F& f, const Vec& theta, index i, const vector& v, vector& out) {
                           f.hvp(theta, i, v, out);
                         };

/// Batched members of a per-sample loss, each optional and used wherever present (by
/// mean_loss, mean_gradient, sample_gradients, mean_loss_of, gradient_covariance and through
/// them every algorithm of the library), so that a network adapter runs at its own speed:
///   double mean_value(θ)             (1/N) Σ U(x_i, θ)
///   vector mean_gradient(θ)          (1/N) Σ g_i
///   matrix sample_gradients(θ)       G (N × p), row i = g_iᵀ
///   vector mean_hvp(θ, v)            (1/N) Σ ∇²U(x_i, θ) v
///   vector covariance_apply(θ, v)    D v, D = (1/N) Σ (g_i − ḡ)(g_i − ḡ)ᵀ (population, 1/N)
///   double covariance_trace(θ)       tr D
///   vector covariance_divergence(θ)  ∇·D
template <class F>
concept has_batched_value = per_sample_loss<F> && requires(const F& f, const vector& theta) {
  { f.mean_value(theta) } -> std::convertible_to<double>;
};
template <class F>
concept has_batched_gradient = per_sample_loss<F> && requires(const F& f, const vector& theta) {
  { f.mean_gradient(theta) } -> std::convertible_to<vector>;
};
template <class F>
concept has_batched_sample_gradients = per_sample_loss<F> && requires(const F& f, const vector& theta) {
  { f.sample_gradients(theta) } -> std::convertible_to<matrix>;
};
template <class F>
concept has_batched_hvp = per_sample_loss<F> && requires(const F& f, const vector& theta, const vector& v) {
  { f.mean_hvp(theta, v) } -> std::convertible_to<vector>;
};
template <class F>
concept has_batched_covariance = per_sample_loss<F> && requires(const F& f, const vector& theta, const vector& v) {
  { f.covariance_apply(theta, v) } -> std::convertible_to<vector>;
  { f.covariance_trace(theta) } -> std::convertible_to<double>;
};
template <class F>
concept has_batched_covariance_divergence = per_sample_loss<F> && requires(const F& f, const vector& theta) {
  { f.covariance_divergence(theta) } -> std::convertible_to<vector>;
};
/// The mean gradient over a list of sample indices (repetitions allowed), in one batched pass:
///   void minibatch_gradient(θ, const std::vector<index>& rows, vector& g)
///        g ← (1/|rows|) Σ_k g_{rows[k]}(θ)
/// with `num_samples()`.  sgd_stepper (dynamics/sgd.hpp) uses it for its minibatch when present;
/// a loss with only this member (e.g. a GPU network loss) runs SGD without per-sample members.
template <class F>
concept has_minibatch_gradient =
    requires(const F& f, const vector& theta, const std::vector<index>& rows, vector& g) {
      { f.num_samples() } -> std::convertible_to<index>;
      f.minibatch_gradient(theta, rows, g);
    };
/// A per-sample loss with at least the batched value, gradient and HVP.
template <class F>
concept batched_per_sample_loss = has_batched_value<F> && has_batched_gradient<F> && has_batched_hvp<F>;

/// A diffusion model: D(θ), ∇·D(θ) and a noise factor F with D = F Fᵀ.
template <class M, class Vec = vector>
concept diffusion_model = requires(const M& m, const Vec& theta) {
  { m.matrix(theta) } -> std::convertible_to<shiftcurv::matrix>;
  { m.divergence(theta) } -> std::convertible_to<vector>;
  { m.noise_factor(theta) } -> std::convertible_to<shiftcurv::matrix>;
};

/// A diffusion model that applies D·v without forming D.
template <class M, class Vec = vector>
concept has_diffusion_apply = diffusion_model<M, Vec> && requires(const M& m, const Vec& theta, const Vec& v) {
  { m.apply(theta, v) } -> std::convertible_to<vector>;
};

/// The functor declares its dimension p: `f.dimension()`.
template <class F>
concept has_dimension = requires(const F& f) {
  { f.dimension() } -> std::convertible_to<index>;
};

// ---- 1-D losses and diffusions (p = 1; derivatives/scalar_1d.hpp, noise/diffusion_1d.hpp) ----

namespace detail {

/// Losses with scalar helpers `value(double)` and `derivative(double, order)`.
template <class F>
concept scalar_loss_members = requires(const F& f, double x, int k) {
  { f.value(x) } -> std::convertible_to<double>;
  { f.derivative(x, k) } -> std::convertible_to<double>;
};

/// A callable on a double returning something convertible to double.
template <class F>
concept scalar_callable = requires(const F& f, double x) {
  { f(x) } -> std::convertible_to<double>;
};

/// A callable on a double that is templated on its argument: f(dual) returns a dual.
template <class F>
concept scalar_dual_callable = scalar_callable<F> && requires(const F& f, dual<double> x) {
  { f(x) } -> std::same_as<dual<double>>;
};

/// A loss that offers `derivative_batch(std::span<const double> θ, std::span<double> out)`.
template <class F>
concept batch_derivative_1d = requires(const F& f, std::span<const double> x, std::span<double> out) {
  f.derivative_batch(x, out);
};

}  // namespace detail

/// A 1-D loss (U's value): members value/derivative, a callable on a double, or a library loss
/// on 1-vectors.  Disjunction order matters (a callable on doubles is never tried on vectors).
template <class F>
concept loss_1d = detail::scalar_loss_members<F> || detail::scalar_callable<F> || loss_function<F>;

/// A 1-D diffusion: a diffusion_model on 1-vectors, or a callable double → double (D(θ)).
template <class M>
concept diffusion_1d_model = diffusion_model<M> || detail::scalar_callable<M>;

}  // namespace shiftcurv
