// Kramers escape in the quartic double well U = θ⁴/4 − θ²/2 with constant D = 1: the mean
// transition time from −1 to +1 of dθ = −U' dt + √T dW, by simulation, against
//  * the exact 1-D mean first-passage time by quadrature (written here):
//      τ = (2/T) ∫_{−1}^{1} e^{2U(y)/T} ∫_{−∞}^{y} e^{−2U(z)/T} dz dy,
//  * the Eyring–Kramers law √2·π·e^{1/(2T)} (testing/reference_problems.hpp), whose relative
//    error is O(ε), ε = T/2.
#include <doctest/doctest.h>

#include <cmath>
#include <thread>
#include <vector>

#include <boost/math/quadrature/gauss_kronrod.hpp>

#include "shiftcurv/dynamics/sde_steppers.hpp"
#include "shiftcurv/testing/monte_carlo.hpp"
#include "shiftcurv/testing/reference_problems.hpp"

namespace sc = shiftcurv;
namespace st = shiftcurv::testing;
using state1 = Eigen::Matrix<double, 1, 1>;

namespace {
double exact_mfpt(double T) {
  using boost::math::quadrature::gauss_kronrod;
  auto U = [](double x) { return 0.25 * x * x * x * x - 0.5 * x * x; };
  auto inner = [&](double y) {
    return gauss_kronrod<double, 61>::integrate([&](double z) { return std::exp(-2 * (U(z) - U(y)) / T); }, -4.0, y, 12, 1e-12);
  };
  // e^{2U(y)/T}·∫e^{−2U(z)/T} written as one exponent to avoid overflow.
  return 2 / T * gauss_kronrod<double, 61>::integrate(inner, -1.0, 1.0, 12, 1e-11);
}

// First-passage times from −1 to ≥ +1 with Platen's weak-2 scheme, split over two threads.
st::mc_estimate_result simulated_mfpt(double T, double dt, int particles, std::uint64_t seed) {
  auto sys = std::make_pair([](const state1& x, state1& f) { f(0) = x(0) - x(0) * x(0) * x(0); },
                            [T](const state1&, state1& g) { g(0) = std::sqrt(T); });
  std::vector<double> tau(static_cast<std::size_t>(particles));
  auto work = [&](int first, int last) {
    for (int k = first; k < last; ++k) {
      sc::weak_order2<state1> st(sc::philox_noise(seed, static_cast<std::uint64_t>(k)));
      state1 x = state1::Constant(-1.0);
      long n = 0;
      while (x(0) < 1.0) st.do_step(sys, x, static_cast<double>(n++) * dt, dt);
      tau[static_cast<std::size_t>(k)] = static_cast<double>(n) * dt;
    }
  };
  std::thread helper(work, 0, particles / 2);
  work(particles / 2, particles);
  helper.join();
  return st::mc_mean(tau);
}
}  // namespace

// Over ~2 s under ASan: in the "slow" suite (the Release pass runs it).
TEST_SUITE("slow") {
TEST_CASE("Kramers: mean transition time at T = 0.25 matches the exact quadrature") {
  const double T = 0.25;
  const double exact = exact_mfpt(T), ek = st::eyring_kramers_transition_time(T);
  const auto e = simulated_mfpt(T, 0.01, 2000, 5);
  MESSAGE("T=0.25: simulated " << e.mean << " ± " << e.standard_error << ", exact " << exact << ", Eyring-Kramers " << ek);
  // 4.5 MC standard errors (τ is nearly exponential: SE ≈ τ/√2000 ≈ 2.2%) plus 2% for the
  // time step (weak-2, h = 0.01) and the discrete monitoring of the crossing.
  CHECK(st::within_mc(e, exact, 4.5, 0.02 * exact));
  // Eyring–Kramers is asymptotic: at ε = T/2 = 0.125 it is within a few ε of the exact time.
  CHECK(std::fabs(exact / ek - 1) < 3 * T / 2);
}
}  // TEST_SUITE("slow")

TEST_SUITE("slow") {
TEST_CASE("Kramers: at T = 0.125 the simulated rate approaches Eyring–Kramers") {
  const double T = 0.125;
  const double exact = exact_mfpt(T), ek = st::eyring_kramers_transition_time(T);
  const auto e = simulated_mfpt(T, 0.01, 2000, 6);
  MESSAGE("T=0.125: simulated " << e.mean << " ± " << e.standard_error << ", exact " << exact << ", Eyring-Kramers " << ek);
  CHECK(st::within_mc(e, exact, 4.5, 0.02 * exact));
  // Relative error O(ε): |τ/τ_EK − 1| ≤ 2ε plus the MC tolerance.
  CHECK(std::fabs(e.mean / ek - 1) < 2 * (T / 2) + 4.5 * e.standard_error / ek);
  // …and it shrank from T = 0.25 to T = 0.125 (the exact ratio, no MC noise).
  CHECK(std::fabs(exact / ek - 1) < std::fabs(exact_mfpt(0.25) / st::eyring_kramers_transition_time(0.25) - 1));
}
}
