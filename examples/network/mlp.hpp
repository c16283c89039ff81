// examples/network/mlp.hpp — a multilayer perceptron on labelled data as a shiftcurv
// per-sample loss, CPU backend (Eigen GEMMs; multithreaded by Eigen when built with OpenMP).
//
//   auto [train, test] = shiftcurv_examples::network::load_digits(shiftcurv_examples::network::default_digits_path());
//   shiftcurv_examples::network::mlp_shape shape{{64, 128, 128, 10}};
//   shiftcurv_examples::network::mlp_loss<> U_tr(shape, train, /*alpha=*/1e-3), U_te(shape, test);
//   shiftcurv::vector th = shiftcurv_examples::network::initial_parameters(shape, /*seed=*/1);
//   double u  = U_tr.mean_value(th);                 // (1/N) Σ ℓ_i + (α/2)|θ|²
//   auto   g  = U_tr.mean_gradient(th);              // ∇U_tr
//   auto   Hv = U_tr.mean_hvp(th, v);                // ∇²U_tr·v, exact (R-operator)
//   auto   Dv = U_tr.covariance_apply(th, v);        // D·v, D never formed
//   // and every library algorithm, at this speed:
//   shiftcurv::gradient_covariance noise{U_tr};      // picks the batched members up
//   shiftcurv::mean_loss_of train{U_tr};             // U_tr as a loss functor (with hvp)
//
// The model.  widths = {n_0, n_1, …, n_L}; layer l maps a_{l−1} ∈ R^{n_{l−1}} to
// z_l = W_l a_{l−1} + b_l, a_l = tanh(z_l) for l < L; z_L are the logits.  The per-sample loss
// is the softmax cross-entropy (natural log) ℓ_i = logsumexp(z_L) − z_{L,y_i}, and
//   U(θ) = (1/N) Σ_i ℓ_i(θ) + (α/2)|θ|².
// Parameter layout: for each layer l = 1…L in order, W_l row-major (n_l × n_{l−1}), then b_l.
// (layer_offset / layer_size give each layer's block, e.g. for per-layer curvature.)
//
// Members.  Per-sample (the separable shape of derivatives/per_sample.hpp; ℓ2 term included
// in each sample, so the mean of the samples is U): value(θ, i), gradient(θ, i, g),
// hvp(θ, i, v, out).  Batched over all samples (what the library uses when present, see
// core/concepts.hpp `batched_per_sample_loss`):
//   mean_value(θ), mean_gradient(θ), sample_gradients(θ) (N × p, row i = g_iᵀ incl. αθ),
//   minibatch_gradient(θ, rows, g) the mean gradient over the samples `rows` (SGD's minibatch)
//   value_and_gradient(θ, g)     U and ∇U from one pass (L-BFGS)
//   mean_hvp(θ, v)               Pearlmutter's R-operator, forward-over-reverse: exact
//   covariance_apply(θ, v)       D·v = (1/N) Σ (g_i − ḡ)(g_i − ḡ)ᵀ v via u = J v, then Jᵀ(u − ū)
//   covariance_trace(θ)          tr D = (1/N) Σ |g_i|² − |ḡ|², |g_i|² from layer norms: exact
//   covariance_divergence(θ)     ∇·D (see divergence_estimate below for its error)
// D is the POPULATION covariance (1/N) of the cross-entropy per-sample gradients (THEORY.md;
// the ℓ2 term cancels in g_i − ḡ).  On a subsample (`subsample(rows)`), N is the subsample's size.
//
// Precision: Real = double (default) or float; θ and results are double vectors either way;
// sums over samples are accumulated in Real by the GEMMs.
// Thread safety: every member is const and allocates its own work space, so one object may
// be used from several threads.
#pragma once

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <type_traits>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "network/digits.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"

#include "network/library_names.hpp"

namespace shiftcurv_examples::network {

/// Layer widths {n_0, …, n_L} and the parameter layout.
struct mlp_shape {
  std::vector<index> widths;

  index layers() const { return static_cast<index>(widths.size()) - 1; }
  index inputs(index l) const { return widths[static_cast<std::size_t>(l)]; }       // layer l = 0…L−1
  index outputs(index l) const { return widths[static_cast<std::size_t>(l) + 1]; }
  /// First parameter of layer l (its W, row-major), and the number of its parameters (W and b).
  index layer_offset(index l) const {
    index off = 0;
    for (index k = 0; k < l; ++k) off += layer_size(k);
    return off;
  }
  index layer_size(index l) const { return outputs(l) * (inputs(l) + 1); }
  index bias_offset(index l) const { return layer_offset(l) + outputs(l) * inputs(l); }
  index num_parameters() const { return layer_offset(layers()); }

  /// Throws invalid_argument naming `fn` unless there are ≥ 2 widths, all ≥ 1.
  void validate(std::string_view fn) const {
    if (widths.size() < 2)
      shiftcurv::detail::throw_invalid(fn, "an MLP needs at least an input and an output width, got ", widths.size(),
                                       " widths");
    for (std::size_t k = 0; k < widths.size(); ++k)
      if (widths[k] < 1) shiftcurv::detail::throw_invalid(fn, "width ", k, " is ", widths[k], ", must be >= 1");
  }
};

/// The documented initialisation: W_l entries i.i.d. N(0, 1/n_{l−1}) (LeCun normal), b_l = 0,
/// drawn in layout order from std::mt19937_64(seed) with the Box–Muller transform on
/// 53-bit uniforms (so the same seed gives the same θ on every platform).
inline vector initial_parameters(const mlp_shape& shape, std::uint64_t seed) {
  shape.validate("network::initial_parameters");
  std::mt19937_64 gen(seed);
  auto uniform = [&] { return (static_cast<double>(gen() >> 11) + 0.5) * 0x1.0p-53; };  // (0, 1)
  vector th = vector::Zero(shape.num_parameters());
  for (index l = 0; l < shape.layers(); ++l) {
    const double sd = 1.0 / std::sqrt(static_cast<double>(shape.inputs(l)));
    const index off = shape.layer_offset(l), n = shape.outputs(l) * shape.inputs(l);
    for (index k = 0; k < n; k += 2) {
      const double r = std::sqrt(-2.0 * std::log(uniform())), a = 2.0 * M_PI * uniform();
      th(off + k) = sd * r * std::cos(a);
      if (k + 1 < n) th(off + k + 1) = sd * r * std::sin(a);
    }
  }
  return th;
}

/// A unit vector from a seed: i.i.d. normals (the same Box–Muller stream as above), normalised.
inline vector unit_vector(index p, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  auto uniform = [&] { return (static_cast<double>(gen() >> 11) + 0.5) * 0x1.0p-53; };
  vector v(p);
  for (index k = 0; k < p; k += 2) {
    const double r = std::sqrt(-2.0 * std::log(uniform())), a = 2.0 * M_PI * uniform();
    v(k) = r * std::cos(a);
    if (k + 1 < p) v(k + 1) = r * std::sin(a);
  }
  return v / v.norm();
}

namespace detail {
/// tanh for double arrays, vectorised (Eigen's is a scalar libm call per entry for double):
/// Cephes' tanh — |x| < 0.625: x + x·z·P(z)/Q(z), z = x²; else sign(x)(1 − 2/(e^{2|x|} + 1)).
/// Max error 1.8 ulp against glibc's tanh on [−2, 2] (measured); 3.4× faster on AVX2.
template <class D>
auto tanh_array(const Eigen::ArrayBase<D>& x) {
  using S = typename D::Scalar;
  if constexpr (std::is_same_v<S, double>) {
    const auto z = x.square();
    const auto P = (S(-9.64399179425052238628E-1) * z + S(-9.92877231001918586564E1)) * z + S(-1.61468768441708447952E3);
    const auto Q = ((z + S(1.12811678491632931402E2)) * z + S(2.23548839060100448583E3)) * z + S(4.84406305325125486048E3);
    return (x.abs() < S(0.625)).select(x + x * z * P / Q, x.sign() * (S(1) - S(2) / ((S(2) * x.abs()).exp() + S(1))));
  } else {
    return x.tanh();  // Eigen's float tanh is vectorised already
  }
}
}  // namespace detail

/// ∇·D with its Monte Carlo error.  ∇·D = (1/N) Σ_i [H_i c_i + c_i tr H_i] (c_i = g_i − ḡ,
/// H_i the per-sample Hessians).  The first sum is exact (one R-pass whose direction is each
/// sample's own gradient, minus H̄ḡ).  The second needs tr H_i: exactly (probes = 0: p R-passes
/// along the unit vectors, for small nets) or by Hutchinson with `probes` Rademacher vectors
/// shared by all samples (unbiased); `standard_error` is the per-coordinate standard error of
/// the mean over probes (0 when exact).
struct divergence_estimate {
  vector value;
  vector standard_error;
  index probes = 0;  ///< 0: exact
  bool exact = true;
};

template <class Real = double>
class mlp_loss {
 public:
  using real = Real;
  using rmatrix = Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic>;
  using rvector = Eigen::Matrix<Real, Eigen::Dynamic, 1>;
  using rrow = Eigen::Matrix<Real, 1, Eigen::Dynamic>;

  /// Above this many parameters `covariance_divergence(θ)` uses Hutchinson (default_probes).
  static constexpr index exact_divergence_limit = 4096;
  static constexpr index default_probes = 64;

  mlp_loss(mlp_shape shape, const labeled_data& data, double alpha = 0.0)
      : shape_(std::move(shape)), alpha_(alpha) {
    constexpr std::string_view fn = "network::mlp_loss";
    shape_.validate(fn);
    require_finite(fn, "alpha", alpha);
    if (alpha < 0) shiftcurv::detail::throw_invalid(fn, "alpha must be >= 0, got ", alpha);
    if (data.size() < 1) shiftcurv::detail::throw_invalid(fn, "the data set is empty");
    if (data.features.cols() != data.size())
      shiftcurv::detail::throw_invalid(fn, "the data have ", data.features.cols(), " feature columns but ", data.size(),
                                       " labels");
    if (data.features.rows() != shape_.widths.front())
      shiftcurv::detail::throw_invalid(fn, "the data have ", data.features.rows(), " features, the input width is ",
                                       shape_.widths.front());
    require_finite(fn, "the features", data.features);
    const int classes = static_cast<int>(shape_.widths.back());
    for (std::size_t i = 0; i < data.labels.size(); ++i)
      if (data.labels[i] < 0 || data.labels[i] >= classes)
        shiftcurv::detail::throw_invalid(fn, "label of sample ", i, " is ", data.labels[i], ", outside [0, ", classes, ")");
    x_ = data.features.cast<Real>();
    y_ = data.labels;
    data_ = data;
  }

  const mlp_shape& shape() const { return shape_; }
  double alpha() const { return alpha_; }
  index num_samples() const { return x_.cols(); }
  index dimension() const { return shape_.num_parameters(); }
  const labeled_data& data() const { return data_; }

  /// The same model on the samples `rows` (D on it uses 1/rows.size()).
  mlp_loss subsample(const std::vector<index>& rows) const { return mlp_loss(shape_, data_.subset(rows), alpha_); }

  // ---- per-sample (separable) members ---------------------------------------------------
  double value(const vector& theta, index i) const {
    check_sample("network::mlp_loss::value", theta, i);
    const auto w = weights(theta);
    const forward_pass f = forward(w, x_.col(i), &y_[static_cast<std::size_t>(i)]);
    return static_cast<double>(f.loss(0)) + 0.5 * alpha_ * theta.squaredNorm();
  }
  void gradient(const vector& theta, index i, vector& g) const {
    check_sample("network::mlp_loss::gradient", theta, i);
    const auto w = weights(theta);
    const forward_pass f = forward(w, x_.col(i), &y_[static_cast<std::size_t>(i)]);
    const auto e = backward(w, f);
    g = gradient_sum(f, e, rrow::Ones(1)).template cast<double>() + alpha_ * theta;
  }
  void hvp(const vector& theta, index i, const vector& v, vector& out) const {
    check_sample("network::mlp_loss::hvp", theta, i);
    check_direction("network::mlp_loss::hvp", v);
    const auto w = weights(theta);
    const forward_pass f = forward(w, x_.col(i), &y_[static_cast<std::size_t>(i)]);
    const auto e = backward(w, f);
    out = r_gradient_sum(w, f, e, shared_direction(v), rrow::Ones(1)).template cast<double>() + alpha_ * v;
  }

  // ---- batched members -------------------------------------------------------------------
  double mean_value(const vector& theta) const {
    check_theta("network::mlp_loss::mean_value", theta);
    const forward_pass f = forward(weights(theta), x_, y_.data());
    return mean_of(f.loss) + 0.5 * alpha_ * theta.squaredNorm();
  }
  /// ℓ_i for every sample (no ℓ2 term).
  vector sample_losses(const vector& theta) const {
    check_theta("network::mlp_loss::sample_losses", theta);
    return forward(weights(theta), x_, y_.data()).loss.transpose().template cast<double>();
  }
  /// Fraction of samples whose largest logit is the label.
  double accuracy(const vector& theta) const {
    check_theta("network::mlp_loss::accuracy", theta);
    const forward_pass f = forward(weights(theta), x_, y_.data());
    index right = 0;
    for (index i = 0; i < f.p.cols(); ++i) {
      index k = 0;
      f.p.col(i).maxCoeff(&k);
      right += (k == y_[static_cast<std::size_t>(i)]);
    }
    return static_cast<double>(right) / static_cast<double>(num_samples());
  }
  vector mean_gradient(const vector& theta) const {
    const passes s = checked_passes("network::mlp_loss::mean_gradient", theta);
    const forward_pass& f = s.f;
    const backward_pass& e = s.b;
    return gradient_sum(f, e, uniform_weights()).template cast<double>() + alpha_ * theta;
  }
  /// g ← (1/|rows|) Σ_k g_{rows[k]} (ℓ2 term included; repetitions allowed): one forward and
  /// backward pass over the chosen columns — SGD's minibatch (core/concepts.hpp,
  /// `has_minibatch_gradient`).
  void minibatch_gradient(const vector& theta, const std::vector<index>& rows, vector& g) const {
    constexpr std::string_view fn = "network::mlp_loss::minibatch_gradient";
    check_theta(fn, theta);
    if (rows.empty()) shiftcurv::detail::throw_invalid(fn, "the minibatch is empty");
    const index b = static_cast<index>(rows.size());
    rmatrix xb(x_.rows(), b);
    std::vector<int> yb(rows.size());
    for (index k = 0; k < b; ++k) {
      const index i = rows[static_cast<std::size_t>(k)];
      if (i < 0 || i >= num_samples())
        shiftcurv::detail::throw_invalid(fn, "sample index ", i, " is outside [0, ", num_samples(), ")");
      xb.col(k) = x_.col(i);
      yb[static_cast<std::size_t>(k)] = y_[static_cast<std::size_t>(i)];
    }
    const rvector w = weights(theta);
    const forward_pass f = forward(w, xb, yb.data());
    const backward_pass e = backward(w, f);
    g = gradient_sum(f, e, rrow::Constant(b, Real(1) / static_cast<Real>(b))).template cast<double>() + alpha_ * theta;
  }
  /// U(θ) and ∇U(θ) from one forward and backward pass (for optimizers that need both).
  double value_and_gradient(const vector& theta, vector& g) const {
    const passes s = checked_passes("network::mlp_loss::value_and_gradient", theta);
    g = gradient_sum(s.f, s.b, uniform_weights()).template cast<double>() + alpha_ * theta;
    return mean_of(s.f.loss) + 0.5 * alpha_ * theta.squaredNorm();
  }
  /// G (N × p), row i = g_iᵀ = ∇ℓ_iᵀ + αθᵀ.  N·p numbers: for large nets prefer the members below.
  matrix sample_gradients(const vector& theta) const {
    matrix G;
    sample_gradients(theta, G);
    return G;
  }
  /// The same into G, resized only if its size differs (no new N·p allocation per call).
  void sample_gradients(const vector& theta, matrix& G) const {
    const passes s = checked_passes("network::mlp_loss::sample_gradients", theta);
    const forward_pass& f = s.f;
    const backward_pass& e = s.b;
    const index n = num_samples();
    if (G.rows() != n || G.cols() != dimension()) G.resize(n, dimension());
    for (index l = 0; l < shape_.layers(); ++l) {
      // sample-major copies, so that every column of G is a product of two contiguous columns
      const rmatrix at = f.a[static_cast<std::size_t>(l)].transpose();
      const rmatrix et = e[static_cast<std::size_t>(l)].transpose();
      const index in = shape_.inputs(l), off = shape_.layer_offset(l), boff = shape_.bias_offset(l);
      for (index o = 0; o < shape_.outputs(l); ++o) {
        for (index j = 0; j < in; ++j)
          G.col(off + o * in + j) = (et.col(o).array() * at.col(j).array()).template cast<double>();
        G.col(boff + o) = et.col(o).template cast<double>();
      }
    }
    if (alpha_ != 0) G.rowwise() += alpha_ * theta.transpose();
  }
  vector mean_hvp(const vector& theta, const vector& v) const {
    const passes s = checked_passes("network::mlp_loss::mean_hvp", theta, &v);
    return r_gradient_sum(s.w, s.f, s.b, shared_direction(v), uniform_weights()).template cast<double>() + alpha_ * v;
  }
  /// D·v without forming D: u_i = g_iᵀv (a forward-mode pass), then (1/N) Σ_i (u_i − ū) g_i.
  vector covariance_apply(const vector& theta, const vector& v) const {
    const passes s = checked_passes("network::mlp_loss::covariance_apply", theta, &v);
    const forward_pass& f = s.f;
    const backward_pass& e = s.b;
    const rvector vr = v.cast<Real>();
    rrow u = rrow::Zero(num_samples());
    for (index l = 0; l < shape_.layers(); ++l) {
      const auto V = layer_w(vr, l);
      const auto vb = layer_b(vr, l);
      const rmatrix dz = (V * f.a[static_cast<std::size_t>(l)]).colwise() + vb;
      u += (dz.array() * e[static_cast<std::size_t>(l)].array()).colwise().sum().matrix();
    }
    const Real n = static_cast<Real>(num_samples());
    const rrow weights_u = (u.array() - u.mean()) / n;
    return gradient_sum(f, e, weights_u).template cast<double>();
  }
  /// tr D = (1/N) Σ |g_i|² − |ḡ|² with |g_i|² = Σ_l |e_{l,i}|²(|a_{l−1,i}|² + 1): exact.
  double covariance_trace(const vector& theta) const {
    const passes s = checked_passes("network::mlp_loss::covariance_trace", theta);
    const forward_pass& f = s.f;
    const backward_pass& e = s.b;
    const index n = num_samples();
    Eigen::ArrayXd sq = Eigen::ArrayXd::Zero(n);
    for (index l = 0; l < shape_.layers(); ++l) {
      const auto an = f.a[static_cast<std::size_t>(l)].colwise().squaredNorm().array().template cast<double>();
      const auto en = e[static_cast<std::size_t>(l)].colwise().squaredNorm().array().template cast<double>();
      sq += (en * (an + 1.0)).transpose();
    }
    const vector gbar = gradient_sum(f, e, uniform_weights()).template cast<double>();
    return sq.mean() - gbar.squaredNorm();
  }
  /// ∇·D: exact for p ≤ exact_divergence_limit, otherwise Hutchinson with default_probes
  /// (see divergence_estimate; call `divergence(θ, probes, seed)` for the error bar).
  vector covariance_divergence(const vector& theta) const {
    const index probes = dimension() <= exact_divergence_limit ? 0 : default_probes;
    return divergence("network::mlp_loss::covariance_divergence", theta, probes, 1).value;
  }
  divergence_estimate covariance_divergence(const vector& theta, index probes, std::uint64_t seed) const {
    if (probes < 0) shiftcurv::detail::throw_invalid("network::mlp_loss::covariance_divergence", "probes must be >= 0, got ", probes);
    return divergence("network::mlp_loss::covariance_divergence", theta, probes, seed);
  }

 private:
  using wmap = Eigen::Map<const Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
  using bmap = Eigen::Map<const rvector>;

  struct forward_pass {
    std::vector<rmatrix> a;  ///< a[0] = inputs, a[l] = tanh activations of layer l (l = 1…L−1)
    rmatrix p;               ///< softmax probabilities (n_L × N)
    rrow loss;               ///< ℓ_i
    const int* labels = nullptr;
  };
  /// A direction's per-layer terms: dz[l] = V_l a_{l−1} + vb_l (n_l × N) and, for the backward
  /// pass, V_lᵀ e_l (given e_l).  Shared by all samples (an HVP) or one per sample.
  struct direction {
    const mlp_loss* self = nullptr;
    rvector v;          ///< shared direction (when !per_sample)
    bool per_sample = false;
    rmatrix forward_term(index l, const rmatrix& a, const rmatrix& el) const {
      if (!per_sample) return (self->layer_w(v, l) * a).colwise() + self->layer_b(v, l);
      // direction g_i = (e_l a_{l−1}ᵀ, e_l) per sample: V a = e_l (|a|² + 1)
      const rrow an = a.colwise().squaredNorm().array() + Real(1);
      return el.array().rowwise() * an.array();
    }
    rmatrix backward_term(index l, const rmatrix& a, const rmatrix& el) const {
      if (!per_sample) return self->layer_w(v, l).transpose() * el;
      const rrow en = el.colwise().squaredNorm();
      return a.array().rowwise() * en.array();  // Vᵀ e = a |e|²
    }
  };

  wmap layer_w(const rvector& th, index l) const {
    return wmap(th.data() + shape_.layer_offset(l), shape_.outputs(l), shape_.inputs(l));
  }
  bmap layer_b(const rvector& th, index l) const { return bmap(th.data() + shape_.bias_offset(l), shape_.outputs(l)); }

  rvector weights(const vector& theta) const { return theta.cast<Real>(); }
  rrow uniform_weights() const { return rrow::Constant(num_samples(), Real(1) / static_cast<Real>(num_samples())); }
  direction shared_direction(const vector& v) const { return direction{this, v.cast<Real>(), false}; }

  static double mean_of(const rrow& x) {
    double s = 0;
    for (index i = 0; i < x.size(); ++i) s += static_cast<double>(x(i));
    return s / static_cast<double>(x.size());
  }

  void check_theta(std::string_view fn, const vector& theta) const {
    require_size(fn, "theta", theta.size(), dimension());
    require_finite(fn, "theta", theta);
  }
  void check_direction(std::string_view fn, const vector& v) const {
    require_size(fn, "v", v.size(), dimension());
    require_finite(fn, "v", v);
  }
  void check_sample(std::string_view fn, const vector& theta, index i) const {
    check_theta(fn, theta);
    if (i < 0 || i >= num_samples())
      shiftcurv::detail::throw_invalid(fn, "sample index i = ", i, " is outside [0, ", num_samples(), ")");
  }

  template <class X>
  forward_pass forward(const rvector& w, const X& x, const int* labels) const {
    const index L = shape_.layers();
    forward_pass f;
    f.labels = labels;
    f.a.resize(static_cast<std::size_t>(L));
    f.a[0] = x;
    for (index l = 0; l + 1 < L; ++l) {
      rmatrix z = (layer_w(w, l) * f.a[static_cast<std::size_t>(l)]).colwise() + layer_b(w, l);
      f.a[static_cast<std::size_t>(l) + 1] = detail::tanh_array(z.array()).matrix();
    }
    const rmatrix z = (layer_w(w, L - 1) * f.a[static_cast<std::size_t>(L) - 1]).colwise() + layer_b(w, L - 1);
    const index n = z.cols();
    const rrow m = z.colwise().maxCoeff();
    f.p = (z.rowwise() - m).array().exp().matrix();
    const rrow s = f.p.colwise().sum();
    f.p.array().rowwise() /= s.array();
    f.loss.resize(n);
    for (index i = 0; i < n; ++i) f.loss(i) = std::log(s(i)) + m(i) - z(labels[i], i);
    return f;
  }

  /// e[l] = ∂ℓ_i/∂z_l (n_l × N, one column per sample) and wte[l] = W_lᵀ e[l] (l ≥ 1).
  struct backward_pass {
    std::vector<rmatrix> e, wte;
    const rmatrix& operator[](std::size_t l) const { return e[l]; }
  };
  backward_pass backward(const rvector& w, const forward_pass& f) const {
    const index L = shape_.layers();
    backward_pass b;
    b.e.resize(static_cast<std::size_t>(L));
    b.wte.resize(static_cast<std::size_t>(L));
    rmatrix eL = f.p;
    for (index i = 0; i < eL.cols(); ++i) eL(f.labels[i], i) -= Real(1);
    b.e[static_cast<std::size_t>(L) - 1] = std::move(eL);
    for (index l = L - 1; l >= 1; --l) {
      const auto k = static_cast<std::size_t>(l);
      b.wte[k] = layer_w(w, l).transpose() * b.e[k];
      b.e[k - 1] = (b.wte[k].array() * (Real(1) - f.a[k].array().square())).matrix();
    }
    return b;
  }

  /// Σ_i weight_i ∇ℓ_i (cross-entropy only), in the parameter layout.
  rvector gradient_sum(const forward_pass& f, const backward_pass& b, const rrow& weight) const {
    rvector g(dimension());
    for (index l = 0; l < shape_.layers(); ++l) {
      const auto k = static_cast<std::size_t>(l);
      const rmatrix ew = b.e[k].array().rowwise() * weight.array();
      weights_block(g, l) = ew * f.a[k].transpose();
      bias_block(g, l) = ew.rowwise().sum();
    }
    return g;
  }

  using wmap_mut = Eigen::Map<Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
  wmap_mut weights_block(rvector& g, index l) const {
    return wmap_mut(g.data() + shape_.layer_offset(l), shape_.outputs(l), shape_.inputs(l));
  }
  Eigen::Map<rvector> bias_block(rvector& g, index l) const {
    return Eigen::Map<rvector>(g.data() + shape_.bias_offset(l), shape_.outputs(l));
  }

  /// The R-operator's passes along a direction: ra[l] = R(a_l), re[l] = R(e_l), dz[l] = the
  /// direction's own term V_l a_{l−1} + vb_l.
  struct r_pass {
    std::vector<rmatrix> ra, re, dz;
  };
  r_pass r_op(const rvector& w, const forward_pass& f, const backward_pass& b, const direction& d) const {
    const index L = shape_.layers();
    const index n = f.p.cols();
    r_pass r;
    r.ra.resize(static_cast<std::size_t>(L));
    r.re.resize(static_cast<std::size_t>(L));
    r.dz.resize(static_cast<std::size_t>(L));
    r.ra[0] = rmatrix::Zero(shape_.inputs(0), n);
    rmatrix rz;
    for (index l = 0; l < L; ++l) {
      const auto k = static_cast<std::size_t>(l);
      r.dz[k] = d.forward_term(l, f.a[k], b.e[k]);
      rz = r.dz[k];
      if (l > 0) rz.noalias() += layer_w(w, l) * r.ra[k];
      if (l + 1 < L) r.ra[k + 1] = ((Real(1) - f.a[k + 1].array().square()) * rz.array()).matrix();
    }
    // output: R(e_L) = R(p) = p ⊙ R(z) − p (pᵀ R(z))
    const rmatrix prz = f.p.array() * rz.array();
    const rrow s = prz.colwise().sum();
    r.re[static_cast<std::size_t>(L) - 1] = prz - (f.p.array().rowwise() * s.array()).matrix();
    for (index l = L - 1; l >= 1; --l) {
      const auto k = static_cast<std::size_t>(l);
      rmatrix t = d.backward_term(l, f.a[k], b.e[k]);
      t.noalias() += layer_w(w, l).transpose() * r.re[k];
      r.re[k - 1] = (t.array() * (Real(1) - f.a[k].array().square()) -
                     Real(2) * b.wte[k].array() * f.a[k].array() * r.ra[k].array())
                        .matrix();
    }
    return r;
  }

  /// Σ_i weight_i R(∇ℓ_i): with a shared direction v and weights 1/N, the mean HVP.
  rvector r_gradient_sum(const rvector& w, const forward_pass& f, const backward_pass& b, const direction& d,
                         const rrow& weight) const {
    const r_pass r = r_op(w, f, b, d);
    rvector out(dimension());
    for (index l = 0; l < shape_.layers(); ++l) {
      const auto k = static_cast<std::size_t>(l);
      const rmatrix rew = r.re[k].array().rowwise() * weight.array();
      auto W = weights_block(out, l);
      W = rew * f.a[k].transpose();
      if (l > 0) {
        const rmatrix ew = b.e[k].array().rowwise() * weight.array();
        W += ew * r.ra[k].transpose();
      }
      bias_block(out, l) = rew.rowwise().sum();
    }
    return out;
  }

  /// q_i = zᵀ ∇²ℓ_i z for every sample (one R-pass along z).
  rrow quadratic_forms(const rvector& w, const forward_pass& f, const backward_pass& b, const rvector& z) const {
    const direction d{this, z, false};
    const r_pass r = r_op(w, f, b, d);
    rrow q = rrow::Zero(f.p.cols());
    for (index l = 0; l < shape_.layers(); ++l) {
      const auto k = static_cast<std::size_t>(l);
      q += (r.re[k].array() * r.dz[k].array()).colwise().sum().matrix();
      if (l > 0) {
        const rmatrix zra = layer_w(z, l) * r.ra[k];
        q += (b.e[k].array() * zra.array()).colwise().sum().matrix();
      }
    }
    return q;
  }

  /// θ (and v) checked, then the forward and backward passes over all samples.
  struct passes {
    rvector w;
    forward_pass f;
    backward_pass b;
  };
  passes checked_passes(std::string_view fn, const vector& theta, const vector* v = nullptr) const {
    check_theta(fn, theta);
    if (v) check_direction(fn, *v);
    passes s;
    s.w = weights(theta);
    s.f = forward(s.w, x_, y_.data());
    s.b = backward(s.w, s.f);
    return s;
  }

  divergence_estimate divergence(std::string_view fn, const vector& theta, index probes, std::uint64_t seed) const {
    check_theta(fn, theta);
    const rvector w = weights(theta);
    const forward_pass f = forward(w, x_, y_.data());
    const backward_pass b = backward(w, f);
    const rrow uni = uniform_weights();
    const Real n = static_cast<Real>(num_samples());
    const rvector gbar = gradient_sum(f, b, uni);
    // (1/N) Σ H_i c_i = (1/N) Σ H_i g_i − H̄ ḡ
    const direction own{this, rvector(), true};
    const direction along_gbar{this, gbar, false};
    const vector s1 = (r_gradient_sum(w, f, b, own, uni) - r_gradient_sum(w, f, b, along_gbar, uni)).template cast<double>();
    divergence_estimate out;
    out.probes = probes;
    out.exact = probes == 0;
    const index p = dimension();
    if (probes == 0) {
      rrow t = rrow::Zero(num_samples());
      rvector z = rvector::Zero(p);
      for (index j = 0; j < p; ++j) {
        z(j) = Real(1);
        t += quadratic_forms(w, f, b, z);
        z(j) = Real(0);
      }
      const rrow wt = (t.array() - t.mean()) / n;
      out.value = s1 + gradient_sum(f, b, wt).template cast<double>();
      out.standard_error = vector::Zero(p);
      return out;
    }
    std::mt19937_64 gen(seed);
    vector mean = vector::Zero(p), m2 = vector::Zero(p);
    rvector z(p);
    for (index k = 0; k < probes; ++k) {
      for (index j = 0; j < p; j += 64) {
        const std::uint64_t bits = gen();
        for (index q = j; q < std::min(p, j + 64); ++q) z(q) = ((bits >> (q - j)) & 1U) ? Real(1) : Real(-1);
      }
      const rrow t = quadratic_forms(w, f, b, z);
      const rrow wt = (t.array() - t.mean()) / n;
      const vector s2 = gradient_sum(f, b, wt).template cast<double>();
      const vector delta = s2 - mean;  // Welford, per coordinate
      mean += delta / static_cast<double>(k + 1);
      m2 += delta.cwiseProduct(s2 - mean);
    }
    out.value = s1 + mean;
    if (probes > 1)
      out.standard_error = (m2 / static_cast<double>(probes - 1) / static_cast<double>(probes)).cwiseSqrt();
    else
      out.standard_error = vector::Constant(p, std::numeric_limits<double>::infinity());
    return out;
  }

  mlp_shape shape_;
  double alpha_ = 0;
  rmatrix x_;
  std::vector<int> y_;
  labeled_data data_;
};

}  // namespace shiftcurv_examples::network
