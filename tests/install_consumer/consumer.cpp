// A downstream project that found shiftcurv with find_package and includes the whole library
// (the umbrella header): every dependency a public header needs (Eigen, Boost, Random123,
// Threads) must come with the package.  Checks one exact derivative and one Philox normal.
#include <cmath>
#include <shiftcurv/shiftcurv.hpp>

int main() {
  shiftcurv::double_well U;
  Eigen::VectorXd th(1);
  th << 2.0;
  const double g = shiftcurv::gradient(U, th)(0);  // θ³ − θ = 6
  double z = 0;
  shiftcurv::philox_stream(1, 0).normals(0, &z, 1);
  return std::abs(g - 6.0) < 1e-12 && std::isfinite(z) ? 0 : 1;
}
