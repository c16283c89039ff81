// A downstream project that found shiftcurv with find_package: derive a gradient and check it.
#include <cmath>
#include <shiftcurv/derivatives/derivatives.hpp>
#include <shiftcurv/synthetic/quadratic.hpp>

int main() {
  shiftcurv::double_well U;
  Eigen::VectorXd th(1);
  th << 2.0;
  const double g = shiftcurv::gradient(U, th)(0);  // θ³ − θ = 6
  return std::abs(g - 6.0) < 1e-12 ? 0 : 1;
}
