// shiftcurv/noise/constant.hpp — constant diffusion: D = c·I or a fixed SPD matrix.
//
//   shiftcurv::constant_diffusion iso(1e-3, 2);        // D = 0.001·I₂
//   Eigen::Matrix2d M; M << 2, 0.5, 0.5, 1;
//   shiftcurv::constant_diffusion aniso(M);            // D = M (checked SPD, Cholesky kept)
//   iso.divergence(theta);                             // zero
#pragma once

#include <cmath>

#include "shiftcurv/core/detail/spd.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"

namespace shiftcurv {

class constant_diffusion {
 public:
  /// D = c·I_p; throws domain_error unless c > 0, invalid_argument unless p ≥ 1.
  constant_diffusion(double c, index p) {
    require_positive("constant_diffusion", "c", c);
    if (p < 1) detail::throw_invalid("constant_diffusion", "dimension p must be >= 1, got ", p);
    D_ = c * shiftcurv::matrix::Identity(p, p);
    L_ = std::sqrt(c) * shiftcurv::matrix::Identity(p, p);
  }
  /// D = M; throws unless M is finite, symmetric and positive definite.
  /// (A template of nothing: see core/types.hpp.)
  template <class = void>
  explicit constant_diffusion(const shiftcurv::matrix& M) : D_(M) {
    detail::require_symmetric("constant_diffusion", M);
    if (M.rows() < 1) detail::throw_invalid("constant_diffusion", "D must be at least 1x1");
    L_ = detail::cholesky_factor("constant_diffusion", M);
  }

  index dimension() const { return D_.rows(); }
  const shiftcurv::matrix& matrix(const vector& theta) const { check(theta); return D_; }
  vector divergence(const vector& theta) const { check(theta); return vector::Zero(D_.rows()); }
  const shiftcurv::matrix& noise_factor(const vector& theta) const { check(theta); return L_; }
  vector apply(const vector& theta, const vector& v) const { check(theta); return D_ * v; }

 private:
  void check(const vector& theta) const {
    require_size("constant_diffusion", "theta", theta.size(), D_.rows());
  }
  shiftcurv::matrix D_, L_;
};

}  // namespace shiftcurv
