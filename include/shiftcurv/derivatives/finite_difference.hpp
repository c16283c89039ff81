// Internal: central finite differences with the step rule documented in derivatives.hpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "shiftcurv/core/concepts.hpp"

namespace shiftcurv::detail {

inline constexpr double fd_eps = std::numeric_limits<double>::epsilon();

/// A step h ≈ scale·max(1,|x|) that is exactly representable as (x + h) − x, so the
/// difference quotient divides by the step actually taken.
inline double fd_step(double x, double scale) {
  const double h = scale * std::max(1.0, std::abs(x));
  volatile double xh = x + h;  // volatile: keep the compiler from folding (x+h)−x into h
  return xh - x;
}

inline double fd_scale_first() { return std::cbrt(fd_eps); }   // ≈ 6.1e-6
inline double fd_scale_second() { return std::sqrt(std::sqrt(fd_eps)); }  // ≈ 1.2e-4

template <class F, class Vec>
auto fd_gradient(const F& f, const Vec& theta) {
  rebind_vector<Vec, double> g(theta.size());
  Vec x = theta;
  for (index i = 0; i < theta.size(); ++i) {
    const double h = fd_step(theta(i), fd_scale_first());
    x(i) = theta(i) + h;
    const double fp = f(x);
    x(i) = theta(i) - h;
    const double fm = f(x);
    x(i) = theta(i);
    g(i) = (fp - fm) / (2 * h);
  }
  return g;
}

/// Jacobian J_ij = ∂f_i/∂θ_j of a vector function by central differences of f (the one copy
/// used by the library: Hessians from gradients, ∂V/∂θ, ∇(∇·D)).  Step h_j = fd_step(θ_j,
/// ε^{1/3}), error ≈ ε^{2/3} relative; 2p evaluations of f.  Rows = the size of f(θ).
template <class G, class Vec>
auto fd_jacobian(const G& f, const Vec& theta) {
  constexpr int N = Vec::RowsAtCompileTime;
  const index p = theta.size();
  Eigen::Matrix<double, Eigen::Dynamic, N> J;
  Vec x = theta;
  for (index j = 0; j < p; ++j) {
    const double h = fd_step(theta(j), fd_scale_first());
    x(j) = theta(j) + h;
    const auto fp = f(x);
    x(j) = theta(j) - h;
    const auto fm = f(x);
    x(j) = theta(j);
    if (j == 0) J.resize(fp.size(), p);
    J.col(j) = (fp - fm) / (2 * h);
  }
  return J;
}

/// Hessian from a gradient callable: central differences of ∇f, symmetrized.
template <class G, class Vec>
auto fd_jacobian_of_gradient(const G& grad, const Vec& theta) {
  constexpr int N = Vec::RowsAtCompileTime;
  const Eigen::Matrix<double, N, N> H = fd_jacobian(grad, theta);
  return Eigen::Matrix<double, N, N>(0.5 * (H + H.transpose()));
}

/// Hessian from values only: four-point mixed differences with h = ε^{1/4}·max(1,|θ_i|).
template <class F, class Vec>
auto fd_hessian_from_values(const F& f, const Vec& theta) {
  constexpr int N = Vec::RowsAtCompileTime;
  const index p = theta.size();
  Eigen::Matrix<double, N, N> H(p, p);
  Vec x = theta;
  const double f0 = f(theta);
  for (index i = 0; i < p; ++i) {
    const double hi = fd_step(theta(i), fd_scale_second());
    x(i) = theta(i) + 2 * hi;
    const double fpp = f(x);
    x(i) = theta(i) - 2 * hi;
    const double fmm = f(x);
    x(i) = theta(i);
    H(i, i) = (fpp - 2 * f0 + fmm) / (4 * hi * hi);
    for (index j = i + 1; j < p; ++j) {
      const double hj = fd_step(theta(j), fd_scale_second());
      auto at = [&](double si, double sj) {
        x(i) = theta(i) + si * hi;
        x(j) = theta(j) + sj * hj;
        const double v = f(x);
        x(i) = theta(i);
        x(j) = theta(j);
        return v;
      };
      H(i, j) = H(j, i) = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * hi * hj);
    }
  }
  return H;
}

/// ∇²f·v from a gradient callable: (∇f(θ+hv) − ∇f(θ−hv)) / 2h, h = ε^{1/3} max(1,|θ|∞)/|v|∞.
template <class G, class Vec, class V>
auto fd_hvp_from_gradient(const G& grad, const Vec& theta, const V& v) {
  const double vmax = v.template lpNorm<Eigen::Infinity>();
  if (vmax == 0) return rebind_vector<Vec, double>(rebind_vector<Vec, double>::Zero(theta.size()));
  const double tmax = theta.size() ? theta.template lpNorm<Eigen::Infinity>() : 0.0;
  const double h = fd_scale_first() * std::max(1.0, tmax) / vmax;
  const Vec xp = theta + h * v;
  const Vec xm = theta - h * v;
  return rebind_vector<Vec, double>((grad(xp) - grad(xm)) / (2 * h));
}

}  // namespace shiftcurv::detail
