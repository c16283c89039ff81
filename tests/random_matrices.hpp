// Random test fixtures drawn from the library's own Philox streams (random/philox.hpp), shared by
// every test that needs random data (test sources are unity-built, so a helper defined in two
// files would clash).  A draw is a pure function of (seed, stream, draw index), the same with
// every standard library and compiler: std::rand, Eigen's Random(), std::normal_distribution,
// std::uniform_*_distribution and std::shuffle are implementation-defined, so a fixture built
// with them — and the meaning of a "4 standard errors" check on it — would change between
// libstdc++ and libc++.
//
//   test_support::fixture_rng rng(/*seed=*/11);
//   const shiftcurv::matrix G = test_support::gaussian(5, 3, rng);   // N(0, 1) entries
//   const shiftcurv::matrix H = test_support::spd(4, 0.5, 3.0, rng);  // eigenvalues 0.5 .. 3
//   double u = rng.uniform(-1, 1);  int k = rng.integer(0, 9);
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <utility>

#include <Eigen/Dense>
#include <shiftcurv/core/types.hpp>
#include <shiftcurv/random/philox.hpp>

namespace test_support {

/// A sequential generator over one Philox stream: draw n uses step n of (seed, stream) under
/// random_purpose::user, so draws never depend on how earlier ones were used.
class fixture_rng {
 public:
  explicit fixture_rng(std::uint64_t seed, std::uint64_t stream = 0) : s_(seed, stream) {}

  /// A standard normal (Philox + ziggurat, as the library's own noise).
  double normal() {
    double z;
    s_.normals(next_++, &z, 1, shiftcurv::random_purpose::user);
    return z;
  }
  /// A uniform in (0, 1].
  double uniform() { return s_.uniform(next_++, 0, shiftcurv::random_purpose::user); }
  /// A uniform in (a, b].
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  /// A raw 64-bit word.
  std::uint64_t bits() { return s_.bits(next_++, 0, shiftcurv::random_purpose::user); }
  /// An integer uniform on {a, ..., b} (a ≤ b): ⌊u·(b − a + 1)⌋ for a 53-bit u in [0, 1) (bias
  /// below (b − a + 1)/2⁵³).
  int integer(int a, int b) {
    const double n = static_cast<double>(b) - static_cast<double>(a) + 1;
    const double u = static_cast<double>(bits() >> 11) * 0x1.0p-53;
    return a + std::min(static_cast<int>(u * n), b - a);
  }
  /// Fisher–Yates shuffle of [first, last) with integer().
  template <class It>
  void shuffle(It first, It last) {
    const auto n = static_cast<int>(std::distance(first, last));
    for (int i = n - 1; i > 0; --i) std::swap(first[i], first[integer(0, i)]);
  }

 private:
  shiftcurv::philox_stream s_;
  std::uint64_t next_ = 0;
};

/// An r×c matrix of independent N(0, 1) entries, column by column from rng.
inline shiftcurv::matrix gaussian(shiftcurv::index r, shiftcurv::index c, fixture_rng& rng) {
  shiftcurv::matrix M(r, c);
  for (shiftcurv::index j = 0; j < c; ++j)
    for (shiftcurv::index i = 0; i < r; ++i) M(i, j) = rng.normal();
  return M;
}

/// An r×c matrix of independent uniforms in (lo, hi], column by column (the portable stand-in
/// for Eigen's Random(), whose values depend on std::rand).
inline shiftcurv::matrix uniform_matrix(shiftcurv::index r, shiftcurv::index c, fixture_rng& rng,
                                        double lo = -1, double hi = 1) {
  shiftcurv::matrix M(r, c);
  for (shiftcurv::index j = 0; j < c; ++j)
    for (shiftcurv::index i = 0; i < r; ++i) M(i, j) = rng.uniform(lo, hi);
  return M;
}

/// A vector of n independent uniforms in (lo, hi].
inline shiftcurv::vector uniform_vector(shiftcurv::index n, fixture_rng& rng, double lo = -1, double hi = 1) {
  return uniform_matrix(n, 1, rng, lo, hi).col(0);
}

/// A Haar-ish random orthogonal p×p matrix (Q of the QR of a Gaussian matrix).
inline shiftcurv::matrix orthogonal(shiftcurv::index p, fixture_rng& rng) {
  Eigen::HouseholderQR<shiftcurv::matrix> qr(gaussian(p, p, rng));
  return qr.householderQ() * shiftcurv::matrix::Identity(p, p);
}

/// V diag(lo, ..., hi) Vᵀ: a p×p SPD matrix with equally spaced eigenvalues from lo to hi in a
/// random orthonormal basis V = orthogonal(p, rng).
inline shiftcurv::matrix spd(shiftcurv::index p, double lo, double hi, fixture_rng& rng) {
  const shiftcurv::matrix V = orthogonal(p, rng);
  return V * shiftcurv::vector::LinSpaced(p, lo, hi).asDiagonal() * V.transpose();
}

}  // namespace test_support
