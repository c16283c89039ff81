// shiftcurv/synthetic/quadratic.hpp — U(θ) = ½(θ−m)ᵀH(θ−m), and the quartic double well
// U(θ) = Σ_j (θ_j⁴/4 − θ_j²/2) (minima at ±1, barrier ¼ per coordinate).
//
//   Eigen::Matrix2d H; H << 2, 0.5, 0.5, 1;
//   shiftcurv::quadratic q{H};                 // centre 0
//   shiftcurv::double_well w;                  // any dimension (declares none)
//   q.dimension();                             // 2: θ of another size throws where checked
#pragma once

#include <utility>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"

namespace shiftcurv {

class quadratic {
 public:
  explicit quadratic(matrix H) : quadratic(H, vector::Zero(H.rows())) {}
  quadratic(matrix H, vector centre) : H_(std::move(H)), m_(std::move(centre)) {
    if (H_.rows() != H_.cols()) detail::throw_invalid("quadratic", "H must be square, got ", H_.rows(), "x", H_.cols());
    require_size("quadratic", "centre", m_.size(), H_.rows());
    require_finite("quadratic", "H", H_);
    require_finite("quadratic", "centre", m_);
    H_ = (0.5 * (H_ + H_.transpose())).eval();
  }
  index dimension() const { return H_.rows(); }
  const matrix& curvature() const { return H_; }
  const vector& centre() const { return m_; }

  template <class Derived>
  typename Derived::Scalar operator()(const Eigen::MatrixBase<Derived>& theta) const {
    using S = typename Derived::Scalar;
    const Eigen::Matrix<S, Eigen::Dynamic, 1> r = theta - m_.cast<S>();
    return S(0.5) * r.dot(H_.cast<S>() * r);
  }
  vector gradient(const vector& theta) const { return H_ * (theta - m_); }
  matrix hessian(const vector&) const { return H_; }
  vector hvp(const vector&, const vector& v) const { return H_ * v; }

 private:
  matrix H_;
  vector m_;
};

struct double_well {
  template <class Derived>
  typename Derived::Scalar operator()(const Eigen::MatrixBase<Derived>& theta) const {
    using S = typename Derived::Scalar;
    S u(0);
    for (index j = 0; j < theta.size(); ++j) {
      const S t2 = theta(j) * theta(j);
      u = u + S(0.25) * t2 * t2 - S(0.5) * t2;
    }
    return u;
  }
  vector gradient(const vector& theta) const { return theta.array().cube() - theta.array(); }
  matrix hessian(const vector& theta) const {
    return (3 * theta.array().square() - 1).matrix().asDiagonal();
  }
};

}  // namespace shiftcurv
