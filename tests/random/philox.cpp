// The counter-based normals: distribution against Φ (Kolmogorov–Smirnov), moments, and the
// keying by (seed, trajectory, step) — same counter, same number; different counter, different.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <cmath>
#include <vector>

#include <Random123/philox.h>
#include <boost/math/distributions/normal.hpp>

#include "shiftcurv/random/philox.hpp"

namespace {
// Moments and the Kolmogorov–Smirnov distance of a sample against Φ.
void check_standard_normal(std::vector<double> z) {
  const int n = static_cast<int>(z.size());
  double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
  for (double x : z) {
    m1 += x; m2 += x * x; m3 += x * x * x; m4 += x * x * x * x;
  }
  m1 /= n; m2 /= n; m3 /= n; m4 /= n;
  // Standard errors of the sample moments of N(0,1): √(1/n), √(2/n), √(15/n), √(96/n).
  const double rn = std::sqrt(static_cast<double>(n));
  CHECK(std::fabs(m1) < 4.5 / rn);
  CHECK(std::fabs(m2 - 1) < 4.5 * std::sqrt(2.0) / rn);
  CHECK(std::fabs(m3) < 4.5 * std::sqrt(15.0) / rn);
  CHECK(std::fabs(m4 - 3) < 4.5 * std::sqrt(96.0) / rn);
  std::sort(z.begin(), z.end());
  boost::math::normal_distribution<> phi;
  double d = 0;
  for (int i = 0; i < n; ++i) {
    const double F = cdf(phi, z[static_cast<std::size_t>(i)]);
    d = std::max({d, std::fabs(F - static_cast<double>(i) / n), std::fabs(F - static_cast<double>(i + 1) / n)});
  }
  // KS: P(√n·D > 1.95) ≈ 0.001 (Kolmogorov distribution), so the test fails by chance rarely.
  CHECK(d * rn < 1.95);
  MESSAGE("KS sqrt(n) D = " << d * rn << ", tails min/max " << z.front() << " " << z.back());
}
}  // namespace

TEST_CASE("ziggurat normals: KS distance to Φ and first four moments") {
  const shiftcurv::philox_stream s(2024, 3);
  const int n = 400000;
  std::vector<double> z(static_cast<std::size_t>(n));
  for (int i = 0; i < n; i += 4) s.normals(static_cast<std::uint64_t>(i / 4), &z[static_cast<std::size_t>(i)], 4);
  check_standard_normal(std::move(z));
}

TEST_CASE("philox_batch: the SIMD Philox4x32-10 equals Random123's, word for word") {
  std::uint64_t w[4][64];
  const std::uint64_t first = 0xFFFFFFE0ULL;  // the trajectory counter crosses 2^32 inside the block
  shiftcurv::detail::philox4x32_lanes<64>(0x9u, 0x04000003u, first, 0xDEADBEEFu, 0x01234567u, w);
  int mismatches = 0;
  for (int j = 0; j < 64; ++j) {
    const std::uint64_t t = first + static_cast<std::uint64_t>(j);
    const r123::Philox4x32::ctr_type c = {{0x9u, 0x04000003u, static_cast<std::uint32_t>(t), static_cast<std::uint32_t>(t >> 32)}};
    const r123::Philox4x32::key_type k = {{0xDEADBEEFu, 0x01234567u}};
    const auto r = r123::Philox4x32{}(c, k);
    for (int q = 0; q < 4; ++q) mismatches += r[static_cast<std::size_t>(q)] != w[q][j] ? 1 : 0;
  }
  CHECK(mismatches == 0);
}

TEST_CASE("philox_batch: normal_pairs equals the scalar normal(), rejections included") {
  const shiftcurv::philox_batch g(0x0123456789ABCDEFULL);
  CHECK(g.seed() == 0x0123456789ABCDEFULL);
  double z0[64], z1[64];
  int mismatches = 0, compared = 0;
  for (std::uint64_t m = 0; m < 200; ++m) {
    const std::uint64_t first = 1000 + 37 * m;
    const shiftcurv::index count = 1 + static_cast<shiftcurv::index>(m % 64);  // partial blocks too
    g.normal_pairs(m, first, count, z0, z1);
    for (shiftcurv::index j = 0; j < count; ++j) {
      mismatches += z0[j] != g.normal(first + static_cast<std::uint64_t>(j), 2 * m) ? 1 : 0;
      mismatches += z1[j] != g.normal(first + static_cast<std::uint64_t>(j), 2 * m + 1) ? 1 : 0;
      compared += 2;
    }
  }
  CHECK(mismatches == 0);
  CHECK(compared > 10000);  // ≈ 1.5% of them (≈ 190) went through the ziggurat's slow path
  CHECK_THROWS_AS(g.normal_pairs(0, 0, 0, z0, z1), shiftcurv::invalid_argument);
  CHECK_THROWS_AS(g.normal_pairs(0, 0, 65, z0, z1), shiftcurv::invalid_argument);
  // Different seed, trajectory, step or purpose: different numbers.
  const double a = g.normal(5, 8);
  CHECK(a != shiftcurv::philox_batch(1).normal(5, 8));
  CHECK(a != g.normal(6, 8));
  CHECK(a != g.normal(5, 9));
  CHECK(a != g.normal(5, 8, shiftcurv::random_purpose::auxiliary));
}

TEST_CASE("philox_batch: KS distance to Φ, moments, no correlation between neighbours") {
  const shiftcurv::philox_batch g(2024);
  const int trajectories = 640, pairs = 320;  // 409600 normals
  std::vector<double> z;
  z.reserve(static_cast<std::size_t>(2 * trajectories * pairs));
  std::vector<double> z0(64), z1(64);
  double lag_trajectory = 0, lag_step = 0;
  int n_lag = 0, n_lag_trajectory = 0;
  for (int m = 0; m < pairs; ++m)
    for (int k = 0; k < trajectories; k += 64) {
      g.normal_pairs(static_cast<std::uint64_t>(m), static_cast<std::uint64_t>(k), 64, z0.data(), z1.data());
      for (int j = 0; j < 64; ++j) {
        z.push_back(z0[static_cast<std::size_t>(j)]);
        z.push_back(z1[static_cast<std::size_t>(j)]);
        lag_step += z0[static_cast<std::size_t>(j)] * z1[static_cast<std::size_t>(j)];
        if (j > 0) {
          lag_trajectory += z0[static_cast<std::size_t>(j)] * z0[static_cast<std::size_t>(j - 1)];
          ++n_lag_trajectory;
        }
        ++n_lag;
      }
    }
  // Sample correlations of independent N(0,1) pairs: standard error 1/√n.
  CHECK(std::fabs(lag_step / n_lag) < 4.5 / std::sqrt(static_cast<double>(n_lag)));
  CHECK(std::fabs(lag_trajectory / n_lag_trajectory) < 4.5 / std::sqrt(static_cast<double>(n_lag_trajectory)));
  check_standard_normal(std::move(z));
}

TEST_CASE("the stream is a pure function of (seed, trajectory, step, purpose)") {
  const shiftcurv::philox_stream a(7, 1), b(7, 1), c(7, 2), d(8, 1);
  double x[5], y[5];
  a.normals(42, x, 5);
  b.normals(42, y, 5);
  for (int i = 0; i < 5; ++i) CHECK(x[i] == y[i]);
  c.normals(42, y, 5);
  CHECK(x[0] != y[0]);
  d.normals(42, y, 5);
  CHECK(x[0] != y[0]);
  a.normals(43, y, 5);
  CHECK(x[0] != y[0]);
  a.normals(42, y, 5, shiftcurv::random_purpose::auxiliary);
  CHECK(x[0] != y[0]);
  // Asking for fewer numbers gives a prefix of the same numbers.
  a.normals(42, y, 2);
  CHECK((y[0] == x[0] && y[1] == x[1]));
  const double u = a.uniform(5, 3);
  CHECK((u > 0 && u <= 1));
  CHECK(u == b.uniform(5, 3));
}
