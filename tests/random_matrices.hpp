// Random test matrices from std::mt19937_64 (shared by the Lyapunov and covariance-curvature
// tests: test sources are unity-built, so a helper defined in two files would clash).
#pragma once

#include <random>

#include <Eigen/Dense>
#include <shiftcurv/core/types.hpp>

namespace test_support {

/// An r×c matrix of independent N(0, 1) entries, column by column from rng.
inline shiftcurv::matrix gaussian(shiftcurv::index r, shiftcurv::index c, std::mt19937_64& rng) {
  std::normal_distribution<double> N(0.0, 1.0);
  shiftcurv::matrix M(r, c);
  for (shiftcurv::index j = 0; j < c; ++j)
    for (shiftcurv::index i = 0; i < r; ++i) M(i, j) = N(rng);
  return M;
}

/// A Haar-ish random orthogonal p×p matrix (Q of the QR of a Gaussian matrix).
inline shiftcurv::matrix orthogonal(shiftcurv::index p, std::mt19937_64& rng) {
  Eigen::HouseholderQR<shiftcurv::matrix> qr(gaussian(p, p, rng));
  return qr.householderQ() * shiftcurv::matrix::Identity(p, p);
}

}  // namespace test_support
