// shiftcurv/synthetic/gaussian_wells.hpp — mixtures of Gaussian wells, the losses of the
// paper's Figures 4 and 6:  U(θ) = −Σ_i w_i N(θ; m_i, Σ_i) + c|θ|².
//
//   shiftcurv::gaussian_wells_1d fig4_left({-1, 1}, {0.021, 0.1}, {0.1, 0.5});   // c = 0
//   double u  = fig4_left.value(0.3);           // scalar helpers with analytic derivatives
//   double u1 = fig4_left.derivative(0.3, 1);   // U', U'' and U''' likewise (order 1..3)
//   Eigen::VectorXd th(1); th << 0.3;
//   shiftcurv::gradient(fig4_left, th);         // the analytic member
//   auto shifted = fig4_left.shifted(0.1);      // U_test(θ) = U_tr(θ + 0.1)
//   fig4_left.derivative_batch(thetas, out);     // U' at many points (spans), SIMD-wide
//
// Both classes are templated on nothing but evaluate on any scalar (dual numbers included),
// carry analytic gradient and Hessian members, and declare their dimension() (1 and p).  Constructors throw invalid_argument on
// lists of different lengths or non-finite entries, domain_error on σ ≤ 0 / Σ not SPD.
#pragma once

#include <cmath>
#include <numbers>
#include <span>
#include <utility>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/LU>

#include "shiftcurv/core/detail/vector_exp.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"

namespace shiftcurv {

class gaussian_wells_1d {
 public:
  gaussian_wells_1d(std::vector<double> minima, std::vector<double> weights,
                    std::vector<double> sigmas, double confine = 0.0, double shift = 0.0)
      : m_(std::move(minima)), w_(std::move(weights)), s_(std::move(sigmas)), c_(confine), shift_(shift) {
    constexpr const char* fn = "gaussian_wells_1d";
    if (w_.size() != m_.size())
      detail::throw_invalid(fn, "weights has ", w_.size(), " entries but minima has ", m_.size());
    if (s_.size() != m_.size())
      detail::throw_invalid(fn, "sigmas has ", s_.size(), " entries but minima has ", m_.size());
    for (std::size_t i = 0; i < m_.size(); ++i) {
      require_finite(fn, "minima[i]", m_[i]);
      require_finite(fn, "weights[i]", w_[i]);
      require_positive(fn, "sigmas[i]", s_[i]);
    }
    require_finite(fn, "confine", c_);
    require_finite(fn, "shift", shift_);
  }

  /// The whole loss evaluated at θ + s (wells and confinement alike): the paper's test loss
  /// U_test(θ) = U_tr(θ + s), whose minima are those of U_tr moved by −s.
  gaussian_wells_1d shifted(double s) const {
    gaussian_wells_1d out = *this;
    out.shift_ = shift_ + s;
    return out;
  }

  index dimension() const { return 1; }
  const std::vector<double>& minima() const { return m_; }
  const std::vector<double>& weights() const { return w_; }
  const std::vector<double>& sigmas() const { return s_; }
  double confine() const { return c_; }
  /// s such that this loss is U(θ + s) of the unshifted wells.
  double shift() const { return shift_; }

  /// U at a scalar of any type (double or dual).
  template <class S>
  S at(const S& theta) const {
    using std::exp;
    const S x = theta + S(shift_);
    S u = S(c_) * x * x;
    for (std::size_t i = 0; i < m_.size(); ++i) {
      const S r = (x - S(m_[i])) / S(s_[i]);
      u = u - S(w_[i] / (s_[i] * std::sqrt(2 * std::numbers::pi))) * exp(S(-0.5) * r * r);
    }
    return u;
  }
  double value(double theta) const { return at(theta); }

  /// d^k U / dθ^k for k = 0..3, analytic.
  double derivative(double theta, int order) const {
    const double x = theta + shift_;
    double d = 0;
    switch (order) {
      case 0: return value(theta);
      case 1: d = 2 * c_ * x; break;
      case 2: d = 2 * c_; break;
      case 3: d = 0; break;
      default: detail::throw_invalid("gaussian_wells_1d::derivative", "order must be 0..3, got ", order);
    }
    for (std::size_t i = 0; i < m_.size(); ++i) {
      const double s = s_[i], r = (x - m_[i]) / s;
      const double phi = std::exp(-0.5 * r * r) / (s * std::sqrt(2 * std::numbers::pi));
      // φ' = −(r/σ)φ, φ'' = ((r²−1)/σ²)φ, φ''' = ((3r − r³)/σ³)φ;  U gets −w·φ^(k).
      double dk = 0;
      if (order == 1) dk = -r / s * phi;
      if (order == 2) dk = (r * r - 1) / (s * s) * phi;
      if (order == 3) dk = (3 * r - r * r * r) / (s * s * s) * phi;
      d -= w_[i] * dk;
    }
    return d;
  }

  /// out[j] = U'(theta[j]) for all j (the spans must have equal sizes): the same formula as
  /// derivative(θ, 1), evaluated SIMD-wide (one vectorizable pass per well, exp by
  /// detail::vector_exp, < 2⁻⁵² relative to std::exp, with AVX-512; Eigen's packet exp else)
  /// — what ensembles of many particles call (langevin_1d.hpp).
  void derivative_batch(std::span<const double> theta, std::span<double> out) const {
    if (out.size() != theta.size())
      detail::throw_invalid("gaussian_wells_1d::derivative_batch", "out has ", out.size(),
                            " entries but theta has ", theta.size());
    const std::size_t n = theta.size();
    const double* __restrict x = theta.data();
    double* __restrict d = out.data();
    const double c2 = 2 * c_, shift = shift_;
    for (std::size_t j = 0; j < n; ++j) d[j] = c2 * (x[j] + shift);
    for (std::size_t i = 0; i < m_.size(); ++i) {
      // −w·φ' = w (t − m)/σ² · exp(−(t−m)²/(2σ²)) / (σ√(2π)),  t = θ + shift
      const double s = s_[i], a = w_[i] / (s * s * s * std::sqrt(2 * std::numbers::pi)), b = -0.5 / (s * s);
      const double offset = shift - m_[i];
#if SHIFTCURV_VECTOR_EXP
      for (std::size_t j = 0; j < n; ++j) {
        const double u = x[j] + offset;
        d[j] += a * u * detail::vector_exp(b * u * u);
      }
#else  // without AVX-512: Eigen's packet exp (a loop over vector_exp would not vectorize)
      const Eigen::Map<const Eigen::ArrayXd> xs(x, static_cast<index>(n));
      Eigen::Map<Eigen::ArrayXd> ds(d, static_cast<index>(n));
      ds += a * (xs + offset) * (b * (xs + offset).square()).exp();
#endif
    }
  }

  template <class Derived>
  typename Derived::Scalar operator()(const Eigen::MatrixBase<Derived>& theta) const {
    return at(theta(0));
  }
  vector gradient(const vector& theta) const { return vector::Constant(1, derivative(theta(0), 1)); }
  matrix hessian(const vector& theta) const { return matrix::Constant(1, 1, derivative(theta(0), 2)); }

 private:
  std::vector<double> m_, w_, s_;
  double c_ = 0, shift_ = 0;
};

class gaussian_wells {
 public:
  template <class = void>  // see core/types.hpp
  gaussian_wells(std::vector<vector> means, std::vector<double> weights, std::vector<matrix> covariances,
                 double confine = 0.0)
      : m_(std::move(means)), w_(std::move(weights)), c_(confine) {
    constexpr const char* fn = "gaussian_wells";
    if (m_.empty()) detail::throw_invalid(fn, "need at least one well");
    if (w_.size() != m_.size())
      detail::throw_invalid(fn, "weights has ", w_.size(), " entries but means has ", m_.size());
    if (covariances.size() != m_.size())
      detail::throw_invalid(fn, "covariances has ", covariances.size(), " entries but means has ", m_.size());
    require_finite(fn, "confine", c_);
    p_ = m_[0].size();
    for (std::size_t i = 0; i < m_.size(); ++i) {
      require_size(fn, "means[i]", m_[i].size(), p_);
      require_finite(fn, "means[i]", m_[i]);
      require_finite(fn, "weights[i]", w_[i]);
      if (covariances[i].rows() != p_ || covariances[i].cols() != p_)
        detail::throw_invalid(fn, "covariances[", i, "] is ", covariances[i].rows(), "x",
                              covariances[i].cols(), ", expected ", p_, "x", p_);
      require_finite(fn, "covariances[i]", covariances[i]);
      Eigen::LLT<matrix> llt(covariances[i]);
      if (llt.info() != Eigen::Success)
        detail::throw_domain(fn, "covariances[", i, "] is not positive definite");
      prec_.push_back(llt.solve(matrix::Identity(p_, p_)));
      const double logdet = 2 * llt.matrixLLT().diagonal().array().log().sum();
      norm_.push_back(std::exp(-0.5 * (static_cast<double>(p_) * std::log(2 * std::numbers::pi) + logdet)));
    }
  }

  index dimension() const { return p_; }

  template <class Derived>
  typename Derived::Scalar operator()(const Eigen::MatrixBase<Derived>& theta) const {
    using S = typename Derived::Scalar;
    using std::exp;
    S u = S(c_) * theta.squaredNorm();
    for (std::size_t i = 0; i < m_.size(); ++i) {
      const Eigen::Matrix<S, Eigen::Dynamic, 1> r = theta - m_[i].template cast<S>();
      const S q = r.dot(prec_[i].template cast<S>() * r);
      u = u - S(w_[i] * norm_[i]) * exp(S(-0.5) * q);
    }
    return u;
  }
  vector gradient(const vector& theta) const {
    vector g = 2 * c_ * theta;
    for (std::size_t i = 0; i < m_.size(); ++i) {
      const vector z = prec_[i] * (theta - m_[i]);
      g += w_[i] * density(i, theta, z) * z;
    }
    return g;
  }
  matrix hessian(const vector& theta) const {
    matrix H = 2 * c_ * matrix::Identity(p_, p_);
    for (std::size_t i = 0; i < m_.size(); ++i) {
      const vector z = prec_[i] * (theta - m_[i]);
      H += w_[i] * density(i, theta, z) * (prec_[i] - z * z.transpose());
    }
    return H;
  }

 private:
  double density(std::size_t i, const vector& theta, const vector& z) const {
    return norm_[i] * std::exp(-0.5 * (theta - m_[i]).dot(z));
  }
  std::vector<vector> m_;
  std::vector<double> w_;
  std::vector<matrix> prec_;
  std::vector<double> norm_;
  double c_ = 0;
  index p_ = 0;
};

}  // namespace shiftcurv
