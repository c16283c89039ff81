// The counter-based normals: distribution against Φ (Kolmogorov–Smirnov), moments, and the
// keying by (seed, trajectory, step) — same counter, same number; different counter, different.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <boost/math/distributions/normal.hpp>

#include "shiftcurv/dynamics/random.hpp"

TEST_CASE("ziggurat normals: KS distance to Φ and first four moments") {
  const shiftcurv::philox_stream s(2024, 3);
  const int n = 400000;
  std::vector<double> z(static_cast<std::size_t>(n));
  for (int i = 0; i < n; i += 4) s.normals(static_cast<std::uint64_t>(i / 4), &z[static_cast<std::size_t>(i)], 4);
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
