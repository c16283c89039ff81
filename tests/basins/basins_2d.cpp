// 2-D basins: the saddle between two minima (closed-form saddle and barrier), basin masses
// from fokker_planck_2d's steady state against direct 2-D quadrature, and the Laplace weights
// against them (ratio → 1 with O(T) error).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <boost/math/quadrature/gauss_kronrod.hpp>

#include "shiftcurv/basins/basins_2d.hpp"
#include "shiftcurv/basins/gaussian_mixture.hpp"
#include "shiftcurv/basins/saddle.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/scalar_field.hpp"
#include "support.hpp"

namespace sc = shiftcurv;

namespace {
// U = (x² − 1)² + (y − c x²)²: minima (±1, c), index-1 saddle (0, 0) with U = 1, on a curved
// minimum-energy path (the straight segment between the minima passes (0, c), where U = 1 + c²).
struct curved_well {
  double c = 0.5;
  template <class D>
  typename D::Scalar operator()(const Eigen::MatrixBase<D>& th) const {
    using S = typename D::Scalar;
    const S x = th(0), y = th(1), a = x * x - S(1), b = y - S(c) * x * x;
    return a * a + b * b;
  }
};
// D = (1 + U)·I: V = ∇[log(1 + U)] (1 + T/2), so v = (1 + T/2) log(1 + U) (THEORY B.1 case 1
// shifted by one): same stationary points as U, barrier (1 + T/2) log 2.
struct one_plus_u {
  curved_well u;
  template <class D>
  typename D::Scalar operator()(const Eigen::MatrixBase<D>& th) const { return typename D::Scalar(1) + u(th); }
};

// Tilted double well U = x⁴/4 − x²/2 + εx + y²/2 with a constant diagonal D = diag(1, d2):
// v = u(x) + y²/(2 d2), the basins are the half-planes x < x* and x > x* (x* the local
// maximum of u).
struct tilted {
  double eps = 0.05;
  template <class D>
  typename D::Scalar operator()(const Eigen::MatrixBase<D>& th) const {
    using S = typename D::Scalar;
    const S x = th(0), y = th(1);
    return S(0.25) * x * x * x * x - S(0.5) * x * x + S(eps) * x + S(0.5) * y * y;
  }
  double u(double x) const { return 0.25 * x * x * x * x - 0.5 * x * x + eps * x; }
  double root(double x) const {  // of x³ − x + ε, by Newton
    for (int i = 0; i < 100; ++i) x -= (x * x * x - x + eps) / (3 * x * x - 1);
    return x;
  }
};

struct indefinite_noise {  // D = [[1, 2], [2, 1]] everywhere (constant_diffusion refuses it)
  sc::matrix matrix(const sc::vector&) const { return (sc::matrix(2, 2) << 1.0, 2.0, 2.0, 1.0).finished(); }
  sc::vector divergence(const sc::vector&) const { return sc::vector::Zero(2); }
  sc::matrix noise_factor(const sc::vector&) const { return sc::matrix::Identity(2, 2); }
};

// ∫∫ exp(−(2/T)(v − vref)) over [xa, xb] × [ya, yb], nested adaptive Gauss–Kronrod (relative 1e-12).
template <class V>
double mass(const V& v, double T, double vref, double xa, double xb, double ya, double yb) {
  using gk = boost::math::quadrature::gauss_kronrod<double, 61>;
  return gk::integrate(
      [&](double x) {
        return gk::integrate([&](double y) { return std::exp(-2 / T * (v(x, y) - vref)); }, ya, yb, 15, 1e-12);
      },
      xa, xb, 15, 1e-12);
}
}  // namespace

TEST_CASE("find_saddle: closed-form saddle and barrier of a curved double well") {
  const curved_well U;
  const Eigen::Vector2d a(-1, U.c), b(1, U.c);
  const auto s = sc::find_saddle(U, a, b);
  REQUIRE(s.ok());
  CHECK(s.saddle.norm() < 1e-9);  // Newton-refined to |∇U| ≤ 1e-10, Hessian diag(−4, 2)
  CHECK(std::abs(s.barrier_from_a - 1.0) < 1e-12);
  CHECK(std::abs(s.barrier_from_b - 1.0) < 1e-12);
  CHECK(s.negative_eigenvalues == 1);
  // The string follows the curved path: its middle image is near (0, 0), not (0, c).
  CHECK(s.path[s.path.size() / 2].norm() < 0.05);
}

TEST_CASE("find_potential_saddle: saddle and barrier of v for D = (1 + U) I") {
  const curved_well U;
  const sc::scalar_field_diffusion D{one_plus_u{U}};
  const Eigen::Vector2d a(-1, U.c), b(1, U.c);
  for (double T : {0.1, 1.0}) {
    CAPTURE(T);
    const auto s = sc::find_potential_saddle(U, D, T, a, b);
    REQUIRE(s.ok());
    CHECK(s.saddle.norm() < 1e-8);
    // v(saddle) − v(a) = (1 + T/2)(log 2 − log 1); the line integral to 1e-12 relative.
    const double want = (1 + 0.5 * T) * std::log(2.0);
    CHECK(std::abs(s.barrier_from_a - want) < 1e-9 * want);
    CHECK(std::abs(s.barrier_from_b - want) < 1e-9 * want);
  }
}

TEST_CASE("find_saddle / find_potential_saddle / basin_masses_2d / laplace_ratio_2d: bad input") {
  const curved_well U;
  const Eigen::Vector2d a(-1, 0.5);
  const auto names = test_support::throws_naming;
  CHECK_THROWS_AS(sc::find_saddle(U, a, a), sc::invalid_argument);
  CHECK_THROWS_AS(sc::find_saddle(U, a, Eigen::Vector3d(1, 0, 0)), sc::invalid_argument);
  CHECK_THROWS_AS(sc::find_saddle(U, a, Eigen::Vector2d(NAN, 0)), sc::invalid_argument);
  sc::find_saddle_options o;
  o.images = 2;
  CHECK_THROWS_AS(sc::find_saddle(U, a, -a, o), sc::invalid_argument);
  const sc::constant_diffusion I2(1.0, 2);
  CHECK_THROWS_AS(sc::find_potential_saddle(U, I2, 0.0, a, -a), sc::domain_error);
  names([&] { sc::find_potential_saddle(U, indefinite_noise{}, 1.0, a, -a); }, "find_potential_saddle");
  names([&] { sc::find_saddle(U, a, a); }, "find_saddle");
  CHECK_THROWS_AS(sc::basin_masses_2d(U, I2, 1.0, {}, {-2, -2}, {2, 2}, {20, 20}), sc::invalid_argument);
  CHECK_THROWS_AS(sc::basin_masses_2d(U, I2, 1.0, {Eigen::Vector3d(0, 0, 0)}, {-2, -2}, {2, 2}, {20, 20}),
                  sc::invalid_argument);
  names([&] { sc::basin_masses_2d(U, I2, -1.0, {a}, {-2, -2}, {2, 2}, {20, 20}); }, "basin_masses_2d");
  const auto gm = sc::gaussian_mixture(U, I2, 1.0, {a});
  sc::basin_masses_2d_result two;
  two.log_masses = {0.0, 0.0};
  CHECK_THROWS_AS(sc::laplace_ratio_2d(gm, two), sc::invalid_argument);
  names([&] { sc::laplace_ratio_2d(gm, two); }, "laplace_ratio_2d");
  // An empty mixture, and the barrier scan (internal) with bad points: named after its caller.
  CHECK_THROWS_AS(sc::laplace_ratio_2d(sc::gaussian_mixture_result{}, two), sc::invalid_argument);
  long ev = 0;
  names([&] { sc::detail::barrier_along("gaussian_mixture", U, I2, 1.0, a, Eigen::Vector3d(0, 0, 0), 8, ev); },
        "gaussian_mixture");
  names([&] { sc::detail::barrier_along("gaussian_mixture", U, I2, 1.0, a, -a, 1, ev); }, "gaussian_mixture");
}

TEST_CASE("basin_masses_2d against 2-D quadrature over the half-planes (constant diagonal D)") {
  // Grid: the box puts a cell face exactly on the ridge x = x*, so the discrete partition is the
  // half-planes; the steady state is exp(−2v/T) exactly at the nodes (curl-free V) and the
  // cell sums are midpoint rules of an entire function whose x-derivative vanishes at the ridge
  // and that is ≈ 0 at the walls (O(h⁴) and e^{−2Δv/T} terms): we require 1e-6 relative.
  const double d2 = 0.5, L = 2.5;
  for (double eps : {0.0, 0.05}) {
    const tilted U{eps};
    const double xs = U.root(eps), xl = U.root(-1.0), xr = U.root(1.0);
    auto v = [&](double x, double y) { return U.u(x) + y * y / (2 * d2); };
    Eigen::Matrix2d Dm;
    Dm << 1.0, 0.0, 0.0, d2;
    for (double T : {0.5, 0.25}) {
      CAPTURE(eps);
      CAPTURE(T);
      const auto bm = sc::basin_masses_2d(U, sc::constant_diffusion(Dm), T,
                                          {Eigen::Vector2d(xl, 0), Eigen::Vector2d(xr, 0)}, {xs - L, -L}, {xs + L, L},
                                          {200, 100});
      REQUIRE(bm.ok());
      const double vref = U.u(xl);
      const double ml = mass(v, T, vref, xs - L, xs, -L, L), mr = mass(v, T, vref, xs, xs + L, -L, L);
      const double pl = ml / (ml + mr), pr = mr / (ml + mr);
      CHECK(std::abs(bm.masses[0] - pl) < 1e-6 * pl);
      CHECK(std::abs(bm.masses[1] - pr) < 1e-6 * pr);
      if (eps == 0.0) CHECK(std::abs(bm.masses[0] - 0.5) < 1e-6);  // symmetric well
      CHECK(bm.labels(0, 50) == 0);
      CHECK(bm.labels(199, 50) == 1);
    }
  }
}

TEST_CASE("laplace_ratio_2d: w_k / P_k -> 1 as T -> 0 with O(T) error") {
  // The tilted well with D = diag(1, 0.5); exact P_k from basin_masses_2d (checked against
  // quadrature above) on [x* − 2, x* + 2] × [−1, 1] (v − v_min ≥ 0.9 outside: e^{−36} at
  // T = 0.05) with h = 0.0125 (≥ 4 cells per standard deviation at T = 0.0125).  The error of
  // the Laplace log-odds log(w0/w1) − log(P0/P1) is O(T): measured 9.4e-3, 3.9e-3, 1.8e-3 at
  // T = 0.05, 0.025, 0.0125 (ratios 2.40, 2.14); we require ≤ 0.25·T and ratios in [1.7, 2.5].
  const double d2 = 0.5;
  const tilted U{0.05};
  const double xs = U.root(0.05);
  Eigen::Matrix2d Dm;
  Dm << 1.0, 0.0, 0.0, d2;
  const sc::constant_diffusion D(Dm);
  const std::vector<sc::vector> minima{Eigen::Vector2d(U.root(-1.0), 0), Eigen::Vector2d(U.root(1.0), 0)};
  std::vector<double> err;
  for (double T : {0.05, 0.025, 0.0125}) {
    CAPTURE(T);
    const auto gm = sc::gaussian_mixture(U, D, T, minima);
    REQUIRE(gm.ok());
    const auto bm = sc::basin_masses_2d(U, D, T, minima, {xs - 2, -1}, {xs + 2, 1}, {320, 160});
    REQUIRE(bm.ok());
    const auto r = sc::laplace_ratio_2d(gm, bm);
    err.push_back(std::log(r[0]) - std::log(r[1]));
    CHECK(std::abs(err.back()) < 0.25 * T);
  }
  for (std::size_t i = 0; i + 1 < err.size(); ++i) {
    CHECK(err[i] / err[i + 1] > 1.7);
    CHECK(err[i] / err[i + 1] < 2.5);
  }
}
