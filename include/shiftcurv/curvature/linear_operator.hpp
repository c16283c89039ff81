// shiftcurv/curvature/linear_operator.hpp — symmetric linear operators given only by their
// action x ↦ A·x: the Hessian of a loss (through HVPs), the diffusion matrix D (through its
// `apply`), a dense matrix, a Gram matrix AᵀA, and one parameter block (layer) of any of them.
//
//   shiftcurv::hessian_operator H(loss, theta);          // x ↦ ∇²U(θ)·x, never forms ∇²U
//   shiftcurv::diffusion_operator D(noise, theta);       // x ↦ D(θ)·x through noise.apply
//   shiftcurv::block_operator H1(H, offset, size);       // one layer: x ↦ (∇²U)_{bb}·x
//   auto top = shiftcurv::top_eigenpairs(H1, 5);         // curvature/lanczos.hpp
//   H.applications();                                    // HVPs spent so far
//   shiftcurv::hessian_operator Hs(shiftcurv::subsample(data, idx), theta);   // a data subset
//
// The concept (`symmetric_operator`): an operator `op` has
//   index size() const;                                 // p: it maps R^p to R^p
//   void  apply(const vector& x, vector& y) const;      // y ← A·x (y is resized to p by apply)
// with A symmetric.  The in-place form lets Lanczos reuse its work vectors.  Nothing checks the
// symmetry (it would cost p applications); a non-symmetric A gives meaningless eigenvalues.
// Each adapter (hessian_operator, diffusion_operator, gram_operator, matrix_operator,
// block_operator; routes and costs on each class) counts its applications: `applications()`;
// copies share nothing.
//
// Lifetime: hessian_operator, diffusion_operator, block_operator and subsample built from an
// lvalue (a named loss, noise model or operator) refer to it, which must outlive them; built
// from a temporary they keep a copy.  θ is always copied; matrix_operator and gram_operator
// keep their own matrix (std::move a large one in).
//
// Throws shiftcurv::invalid_argument naming the adapter (θ empty, NaN/Inf, of a size other
// than the loss's dimension(); x of the wrong size; a matrix that is not square; a block
// outside [0, p); empty or out-of-range indices).
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/derivatives/finite_difference.hpp"
#include "shiftcurv/derivatives/per_sample.hpp"

namespace shiftcurv {

/// A symmetric linear map R^p → R^p given by its action (see the header comment).
template <class Op>
concept symmetric_operator = requires(const Op& op, const vector& x, vector& y) {
  { op.size() } -> std::convertible_to<index>;
  op.apply(x, y);
};

namespace detail {

/// An application counter that survives copies of its operator (each copy counts on its own)
/// and is safe to bump from several threads.
class application_counter {
 public:
  application_counter() = default;
  application_counter(const application_counter& o) : n_(o.n_.load(std::memory_order_relaxed)) {}
  application_counter& operator=(const application_counter& o) {
    n_.store(o.n_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    return *this;
  }
  void bump() const { n_.fetch_add(1, std::memory_order_relaxed); }
  long value() const { return n_.load(std::memory_order_relaxed); }

 private:
  mutable std::atomic<long> n_{0};
};

template <class T>
struct is_mean_loss_of : std::false_type {};
template <class F>
struct is_mean_loss_of<mean_loss_of<F>> : std::true_type {};

/// The per-sample loss behind a loss (itself, or the one inside mean_loss_of), or void.
template <class L>
decltype(auto) per_sample_of(const L& loss) {
  if constexpr (is_mean_loss_of<L>::value)
    return (loss.samples);
  else
    return (loss);
}

inline void check_operator_input(std::string_view fn, std::string_view what, const vector& x, index p) {
  require_size(fn, what, x.size(), p);
  require_finite(fn, what, x);
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// subsample

/// The per-sample loss `F` restricted to the samples `indices` (sample i of the view is sample
/// indices[i] of F).  Members are present exactly when F has them, so the concepts of
/// core/concepts.hpp (and the routes they select) see through the view.
template <class F>
class subsample_of {
  using base = std::remove_cvref_t<F>;

 public:
  subsample_of(F f, std::vector<index> indices) : f_(std::forward<F>(f)), idx_(std::move(indices)) {
    constexpr std::string_view fn = "subsample";
    if (idx_.empty()) detail::throw_invalid(fn, "indices must not be empty");
    const index n = static_cast<index>(f_.num_samples());
    for (std::size_t k = 0; k < idx_.size(); ++k)
      if (idx_[k] < 0 || idx_[k] >= n)
        detail::throw_invalid(fn, "indices[", k, "] = ", idx_[k], " is outside [0, ", n, ")");
  }

  index num_samples() const { return static_cast<index>(idx_.size()); }
  const std::vector<index>& indices() const { return idx_; }
  const base& full() const { return f_; }

  index dimension() const
    requires has_dimension<base>
  {
    return f_.dimension();
  }
  double value(const vector& theta, index i) const { return f_.value(theta, at(i)); }
  void gradient(const vector& theta, index i, vector& g) const { f_.gradient(theta, at(i), g); }
  void hessian(const vector& theta, index i, matrix& H) const
    requires has_sample_hessian<base>
  {
    f_.hessian(theta, at(i), H);
  }
  void hvp(const vector& theta, index i, const vector& v, vector& out) const
    requires has_sample_hvp<base>
  {
    f_.hvp(theta, at(i), v, out);
  }

 private:
  index at(index i) const {
    if (i < 0 || i >= num_samples())
      detail::throw_invalid("subsample", "sample index i = ", i, " is outside [0, ", num_samples(), ")");
    return idx_[static_cast<std::size_t>(i)];
  }
  F f_;
  std::vector<index> idx_;
};

/// A per-sample loss on the subsample `indices` of f's samples: f.subsample(indices) when f has
/// such a member (returning a per-sample loss, e.g. a batched network adapter), else the view
/// subsample_of (i ↦ indices[i]).  Normalization: every mean over the result is over |indices|
/// samples, so
///   hessian_operator(subsample(f, idx), θ)   is (1/|idx|) Σ_{i∈idx} ∇²U(x_i, θ), and
///   gradient_covariance{subsample(f, idx)}   is D on the subsample with the POPULATION
///     normalization of THEORY.md: D_idx = (1/|idx|) Σ_{i∈idx} (g_i − ḡ_idx)(g_i − ḡ_idx)ᵀ,
///     ḡ_idx the subsample's mean gradient — 1/|idx|, not 1/(|idx|−1).  (The covariance of
///     one SGD step's minibatch mean over B i.i.d. draws is D/B; the library carries that 1/B
///     in T = λ/B, never inside D.)
/// Indices must lie in [0, N); repeats are allowed (a bootstrap resample) and count twice.
template <class F>
  requires per_sample_loss<std::remove_cvref_t<F>>
auto subsample(F&& f, std::vector<index> indices) {
  if constexpr (requires {
                  { f.subsample(indices) } -> per_sample_loss;
                }) {
    if (indices.empty()) detail::throw_invalid("subsample", "indices must not be empty");
    return f.subsample(indices);
  } else {
    return subsample_of<F>(std::forward<F>(f), std::move(indices));
  }
}

// ---------------------------------------------------------------------------------------------
// hessian_operator

/// x ↦ ∇²U(θ)·x of a loss functor or of a per-sample loss's mean, by `shiftcurv::hvp` —
/// analytic `hvp` member, else the loss's `hessian` times x (that route forms ∇²U once per
/// product: give an `hvp`), else dual numbers, else differences of the gradient
/// (derivatives/derivatives.hpp).  A per-sample loss (core/concepts.hpp), also when wrapped in
/// `mean_loss_of`, is used matrix-free as U_tr = (1/N) Σ_i U(x_i, θ): its batched
/// `mean_hvp(θ, x)` when it has one (a network adapter), else (1/N) Σ_i hvp_i(θ, x) when it gives
/// per-sample HVPs, else (1/N) Σ_i H_i x from its per-sample Hessians (p×p, one sample at a
/// time), else central differences of its mean gradient along x (error ≈ 1e-10 relative, step
/// of derivatives.hpp).  A per-sample loss that also has a batched `hvp(θ, x)` member (and
/// `operator()`) uses that.
template <class L>
class hessian_operator {
  using base = std::remove_cvref_t<L>;
  using samples_type = std::remove_cvref_t<decltype(detail::per_sample_of(std::declval<const base&>()))>;
  // A loss with its own batched `hvp(θ, v)` member uses it even when it is also per-sample.
  static constexpr bool per_sample = per_sample_loss<samples_type> && !has_hvp<base>;
  static_assert(per_sample || loss_function<base>,
                "hessian_operator needs a loss functor (core/concepts.hpp loss_function) or a per-sample loss");

 public:
  hessian_operator(L loss, vector theta) : loss_(std::forward<L>(loss)), theta_(std::move(theta)) {
    constexpr std::string_view fn = "hessian_operator";
    if (theta_.size() < 1) detail::throw_invalid(fn, "theta must not be empty");
    require_finite(fn, "theta", theta_);
    require_dimension(fn, "theta", loss_, theta_.size());
    if constexpr (per_sample) detail::checked_num_samples(fn, detail::per_sample_of(loss_));
  }

  index size() const { return theta_.size(); }
  const vector& point() const { return theta_; }
  long applications() const { return count_.value(); }

  void apply(const vector& x, vector& y) const {
    detail::check_operator_input("hessian_operator::apply", "x", x, size());
    count_.bump();
    if constexpr (per_sample) {
      const auto& f = detail::per_sample_of(loss_);
      const index n = static_cast<index>(f.num_samples());
      const index p = size();
      if constexpr (has_batched_hvp<samples_type>) {
        y = f.mean_hvp(theta_, x);  // the loss's batched HVP (core/concepts.hpp)
        require_size("hessian_operator::apply", "the loss's mean_hvp", y.size(), p);
      } else if constexpr (has_sample_hvp<samples_type>) {
        y.setZero(p);
        vector hv(p);
        for (index i = 0; i < n; ++i) {
          f.hvp(theta_, i, x, hv);
          require_size("hessian_operator::apply", "a per-sample HVP", hv.size(), p);
          y += hv;
        }
        y /= static_cast<double>(n);
      } else if constexpr (has_sample_hessian<samples_type>) {
        y.setZero(p);
        matrix H(p, p);
        for (index i = 0; i < n; ++i) {
          f.hessian(theta_, i, H);
          y.noalias() += H * x;
        }
        y /= static_cast<double>(n);
      } else {
        y = detail::fd_hvp_from_gradient(
            [&f, n, p](const vector& t) {
              vector s = vector::Zero(p), g(p);
              for (index i = 0; i < n; ++i) {
                f.gradient(t, i, g);
                s += g;
              }
              return vector(s / static_cast<double>(n));
            },
            theta_, x);
      }
    } else {
      y = detail::hvp_unchecked(loss_, theta_, x);
      require_size("hessian_operator::apply", "the loss's HVP", y.size(), size());
    }
  }

 private:
  L loss_;
  vector theta_;
  detail::application_counter count_;
};
template <class L>
hessian_operator(L&&, vector) -> hessian_operator<L>;

// ---------------------------------------------------------------------------------------------
// diffusion_operator

/// x ↦ D(θ)·x of a diffusion model: by the model's `apply(θ, x)` when it has one
/// (`has_diffusion_apply`), else by its `matrix(θ)`, formed once when the operator is built
/// (p×p: the only route such a model offers; its lower triangle is read).  Note:
/// gradient_covariance::apply recomputes the N per-sample gradients on every product; when an
/// N×p factor fits in memory, `gram_operator(noise.factor(θ))` applies the same D at 4Np flops
/// per product.
template <class M>
  requires diffusion_model<std::remove_cvref_t<M>>
class diffusion_operator {
  using base = std::remove_cvref_t<M>;

 public:
  diffusion_operator(M noise, vector theta) : noise_(std::forward<M>(noise)), theta_(std::move(theta)) {
    constexpr std::string_view fn = "diffusion_operator";
    if (theta_.size() < 1) detail::throw_invalid(fn, "theta must not be empty");
    require_finite(fn, "theta", theta_);
    require_dimension(fn, "theta", noise_, theta_.size());
    if constexpr (!has_diffusion_apply<base>) {
      D_ = noise_.matrix(theta_);
      if (D_.rows() != theta_.size() || D_.cols() != theta_.size())
        detail::throw_invalid(fn, "the model's D is ", D_.rows(), "x", D_.cols(), ", expected ",
                              theta_.size(), "x", theta_.size());
    }
  }

  index size() const { return theta_.size(); }
  const vector& point() const { return theta_; }
  long applications() const { return count_.value(); }

  void apply(const vector& x, vector& y) const {
    detail::check_operator_input("diffusion_operator::apply", "x", x, size());
    count_.bump();
    if constexpr (has_diffusion_apply<base>) {
      y = noise_.apply(theta_, x);
      require_size("diffusion_operator::apply", "the model's D·x", y.size(), size());
    } else {
      y.noalias() = D_.template selfadjointView<Eigen::Lower>() * x;
    }
  }

 private:
  M noise_;
  vector theta_;
  matrix D_;  // only for models without apply
  detail::application_counter count_;
};
template <class M>
diffusion_operator(M&&, vector) -> diffusion_operator<M>;

// ---------------------------------------------------------------------------------------------
// matrix_operator, gram_operator

/// x ↦ M·x for a dense symmetric M (its lower triangle is read).
class matrix_operator {
 public:
  explicit matrix_operator(matrix M) : M_(std::move(M)) {
    constexpr std::string_view fn = "matrix_operator";
    if (M_.rows() < 1 || M_.rows() != M_.cols())
      detail::throw_invalid(fn, "M must be square and non-empty, got ", M_.rows(), "x", M_.cols());
    require_finite(fn, "M", M_);
  }
  index size() const { return M_.rows(); }
  const matrix& dense() const { return M_; }
  long applications() const { return count_.value(); }
  template <class = void>  // see core/types.hpp
  void apply(const vector& x, vector& y) const {
    detail::check_operator_input("matrix_operator::apply", "x", x, size());
    count_.bump();
    y.noalias() = M_.selfadjointView<Eigen::Lower>() * x;
  }

 private:
  matrix M_;
  detail::application_counter count_;
};

/// x ↦ Aᵀ(A x) for an n×p matrix A: the p×p Gram matrix AᵀA without forming it (e.g. D = AᵀA
/// of gradient_covariance).
class gram_operator {
 public:
  explicit gram_operator(matrix A) : A_(std::move(A)) {
    constexpr std::string_view fn = "gram_operator";
    if (A_.rows() < 1 || A_.cols() < 1) detail::throw_invalid(fn, "A must not be empty, got ", A_.rows(), "x", A_.cols());
    require_finite(fn, "A", A_);
  }
  index size() const { return A_.cols(); }
  const matrix& factor() const { return A_; }
  long applications() const { return count_.value(); }
  template <class = void>
  void apply(const vector& x, vector& y) const {
    detail::check_operator_input("gram_operator::apply", "x", x, size());
    count_.bump();
    const vector Ax = A_ * x;
    y.noalias() = A_.transpose() * Ax;
  }

 private:
  matrix A_;
  detail::application_counter count_;
};

// ---------------------------------------------------------------------------------------------
// block_operator

/// P A Pᵀ, P the rows offset..offset+size−1 of I_p: the block of `op` that couples the
/// parameters of one layer (PyHessian's per-layer Hessian, Yao et al. 2020).  Each product costs
/// one product of `op` (x is zero-padded to p).  The network adapter (examples/network/) reports
/// each layer's offset and size; for a loss of your own they are where the layer's weights sit
/// in θ.
template <class Op>
  requires symmetric_operator<std::remove_cvref_t<Op>>
class block_operator {
 public:
  block_operator(Op op, index offset, index size) : op_(std::forward<Op>(op)), offset_(offset), size_(size) {
    constexpr std::string_view fn = "block_operator";
    const index p = static_cast<index>(op_.size());
    if (size_ < 1) detail::throw_invalid(fn, "size must be >= 1, got ", size_);
    if (offset_ < 0 || offset_ + size_ > p)
      detail::throw_invalid(fn, "the block [offset, offset + size) = [", offset_, ", ", offset_ + size_,
                            ") is outside [0, p) with p = ", p);
  }
  index size() const { return size_; }
  index offset() const { return offset_; }
  long applications() const { return count_.value(); }
  const std::remove_cvref_t<Op>& full() const { return op_; }

  void apply(const vector& x, vector& y) const {
    detail::check_operator_input("block_operator::apply", "x", x, size_);
    count_.bump();
    vector z = vector::Zero(static_cast<index>(op_.size()));
    z.segment(offset_, size_) = x;
    vector w;
    op_.apply(z, w);
    require_size("block_operator::apply", "the inner operator's output", w.size(), z.size());
    y = w.segment(offset_, size_);
  }

 private:
  Op op_;
  index offset_, size_;
  detail::application_counter count_;
};
template <class Op>
block_operator(Op&&, index, index) -> block_operator<Op>;

}  // namespace shiftcurv
