// Losses shared by the tests of optimize/ (the test files are compiled as unity batches: a
// helper defined in two files' anonymous namespaces would clash).
#pragma once

#include <cmath>
#include <initializer_list>

#include <doctest/doctest.h>

#include <Eigen/Core>
#include <shiftcurv/core/types.hpp>
#include <shiftcurv/optimize/lbfgs.hpp>

namespace optimize_test {

inline shiftcurv::vector vec(std::initializer_list<double> xs) {
  shiftcurv::vector v(static_cast<Eigen::Index>(xs.size()));
  Eigen::Index i = 0;
  for (double x : xs) v(i++) = x;
  return v;
}

/// U = (1 − x)² + 100 (y − x²)²: minimum 0 at (1, 1), a curved valley (derivatives by AD).
struct rosenbrock {
  template <class S>
  S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& x) const {
    const S a = S(1) - x(0), b = x(1) - x(0) * x(0);
    return a * a + S(100) * b * b;
  }
};

/// U = θ_0: no minimum.
struct linear {
  template <class S>
  S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& x) const { return x(0); }
};

/// U = ½ Σ a_i (x_i − c_i)², a_i = 1 + 99·i/(p − 1) (condition number 100), c_i = sin(i):
/// minimum c, ∇U = a∘(x − c), analytic.
struct separable_quadratic {
  shiftcurv::vector a, c;
  explicit separable_quadratic(shiftcurv::index p) : a(p), c(p) {
    for (shiftcurv::index i = 0; i < p; ++i) {
      a(i) = 1 + 99.0 * static_cast<double>(i) / static_cast<double>(p - 1);
      c(i) = std::sin(static_cast<double>(i));
    }
  }
  shiftcurv::index dimension() const { return a.size(); }
  double operator()(const shiftcurv::vector& x) const { return 0.5 * (a.array() * (x - c).array().square()).sum(); }
  shiftcurv::vector gradient(const shiftcurv::vector& x) const { return a.cwiseProduct(x - c); }
};

/// minimize_lbfgs on separable_quadratic(p) from 0 against the closed-form minimum c.
inline void check_separable_quadratic(shiftcurv::index p) {
  namespace sc = shiftcurv;
  const separable_quadratic U(p);
  sc::minimize_lbfgs_options o;
  o.gradient_tolerance = 1e-6;
  o.max_iterations = 2000;
  const auto r = sc::minimize_lbfgs(U, sc::vector::Zero(p), o);
  INFO(r.message);
  REQUIRE(r.ok());
  CHECK(r.gradient_norm <= o.gradient_tolerance);
  // The stop rule bounds the error exactly: ∇U_i = a_i (θ_i − c_i), so
  // a_i |θ_i − c_i| ≤ ‖∇U‖₂ ≤ g_tol, i.e. |θ_i − c_i| ≤ g_tol / a_i for every i.  The gradient
  // is evaluated in floating point (relative error ≤ 2ε per entry): the factor 1 + 1e-12.
  const sc::vector g = U.gradient(r.theta);
  CHECK(g.norm() == doctest::Approx(r.gradient_norm).epsilon(1e-12));
  CHECK((U.a.array() * (r.theta - U.c).array().abs()).maxCoeff() <= o.gradient_tolerance * (1 + 1e-12));
  // and U(θ) = ½ Σ g_i² / a_i ≤ ½ ‖g‖² / min a = ½ g_tol² (a sum of p positive terms: p·ε ≤ 1e-9).
  CHECK(r.value >= 0);
  CHECK(r.value <= 0.5 * o.gradient_tolerance * o.gradient_tolerance * (1 + 1e-9));
  CHECK(r.value == doctest::Approx(U(r.theta)).epsilon(1e-15));
  CHECK(r.evaluations >= r.iterations);
  CHECK(r.iterations < o.max_iterations);
}

}  // namespace optimize_test
