// Internal: exact derivatives of scalar-templated losses with shiftcurv::dual.
#pragma once

#include "shiftcurv/core/concepts.hpp"

namespace shiftcurv::detail {

/// θ lifted to first-order duals with tangent direction e_k.
template <class Vec>
auto lift1(const Vec& theta, index k) {
  rebind_vector<Vec, dual<double>> x(theta.size());
  for (index i = 0; i < theta.size(); ++i) x(i) = dual<double>(theta(i), i == k ? 1.0 : 0.0);
  return x;
}

/// θ lifted to second-order duals: inner tangent a, outer tangent b.  Then
/// f(x).value().tangent() = ∇f·a, f(x).tangent().value() = ∇f·b, f(x).tangent().tangent() = bᵀ∇²f a.
template <class Vec, class A, class B>
auto lift2(const Vec& theta, const A& a, const B& b) {
  rebind_vector<Vec, dual<dual<double>>> x(theta.size());
  for (index i = 0; i < theta.size(); ++i)
    x(i) = dual<dual<double>>(dual<double>(theta(i), a(i)), dual<double>(b(i), 0.0));
  return x;
}

template <class F, class Vec>
auto ad_gradient(const F& f, const Vec& theta) {
  rebind_vector<Vec, double> g(theta.size());
  for (index k = 0; k < theta.size(); ++k) g(k) = f(lift1(theta, k)).tangent();
  return g;
}

template <class F, class Vec>
auto ad_hessian(const F& f, const Vec& theta) {
  constexpr int N = Vec::RowsAtCompileTime;
  const index p = theta.size();
  Eigen::Matrix<double, N, N> H(p, p);
  using unit = rebind_vector<Vec, double>;
  for (index i = 0; i < p; ++i)
    for (index j = i; j < p; ++j) {
      const auto fx = f(lift2(theta, unit::Unit(p, j), unit::Unit(p, i)));
      H(i, j) = H(j, i) = fx.tangent().tangent();
    }
  return H;
}

template <class F, class Vec, class V>
auto ad_hvp(const F& f, const Vec& theta, const V& v) {
  const index p = theta.size();
  rebind_vector<Vec, double> out(p);
  using unit = rebind_vector<Vec, double>;
  for (index i = 0; i < p; ++i) out(i) = f(lift2(theta, unit::Unit(p, i), v)).tangent().tangent();
  return out;
}

}  // namespace shiftcurv::detail
