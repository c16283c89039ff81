// The steppers are Boost.Odeint steppers: integrate_const drives them with an observer
// (odeint's stochastic_euler example pattern), and gives the same trajectory as do_step by hand.
#include <doctest/doctest.h>

#include <functional>
#include <utility>
#include <vector>

#include <Eigen/Eigenvalues>
#include <boost/numeric/odeint/integrate/integrate_const.hpp>

#include "shiftcurv/dynamics/langevin_system.hpp"
#include "shiftcurv/dynamics/sde_steppers.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"

namespace sc = shiftcurv;
namespace odeint = boost::numeric::odeint;

namespace {
// odeint's stochastic_euler example: the Ornstein–Uhlenbeck process dx = −γx dt + σ dW.
struct ornstein_det {
  void operator()(const sc::vector& x, sc::vector& dxdt) const { dxdt = -x; }
};
struct ornstein_stoch {
  double sigma;
  void operator()(const sc::vector& x, sc::vector& g) const { g = sc::vector::Constant(x.size(), sigma); }
};

template <class Stepper>
void check_integrate_const_matches_do_step() {
  Stepper a(sc::philox_noise(5, 0)), b(sc::philox_noise(5, 0));
  auto sys = std::make_pair(ornstein_det{}, ornstein_stoch{0.3});
  sc::vector x = sc::vector::Constant(2, 1.0), y = x;
  std::vector<double> times;
  std::vector<sc::vector> states;
  const std::size_t steps = odeint::integrate_const(std::ref(a), sys, x, 0.0, 1.0, 0.01,
                                                    [&](const sc::vector& s, double t) {
                                                      times.push_back(t);
                                                      states.push_back(s);
                                                    });
  CHECK(steps == 100);
  CHECK(times.size() == 101);  // the observer sees t = 0, 0.01, …, 1
  CHECK(times.back() == doctest::Approx(1.0));
  CHECK(a.step_index() == 100);  // std::ref kept the counter
  for (int n = 0; n < 100; ++n) b.do_step(sys, y, 0.01 * n, 0.01);
  CHECK((x - y).norm() == 0.0);  // bit-identical: same keys, same arithmetic
  CHECK((states.back() - x).norm() == 0.0);
}
}  // namespace

TEST_CASE("odeint::integrate_const drives the steppers with an observer") {
  using odeint_tag = odeint::stepper_tag;
  static_assert(std::is_same_v<sc::euler_maruyama<>::stepper_category, odeint_tag>);
  static_assert(sc::euler_maruyama<>::order() == 1 && sc::weak_order2<>::order() == 2);
  check_integrate_const_matches_do_step<sc::euler_maruyama<>>();
  check_integrate_const_matches_do_step<sc::milstein<>>();
  check_integrate_const_matches_do_step<sc::weak_order2<>>();
}

TEST_CASE("langevin_system with odeint: OU mean decays as e^{-Ht} x0 (averaged over trajectories)") {
  Eigen::MatrixXd H(2, 2);
  H << 2, 0.5, 0.5, 1;
  sc::quadratic U(H);
  sc::constant_diffusion D(0.5, 2);
  auto sys = sc::langevin_system(U, D, 0.2);
  const sc::vector x0 = (sc::vector(2) << 1.0, -1.0).finished();
  const int M = 4000;
  sc::vector mean = sc::vector::Zero(2);
  for (int k = 0; k < M; ++k) {
    sc::weak_order2<> st(sc::philox_noise(9, static_cast<std::uint64_t>(k)));
    sc::vector x = x0;
    odeint::integrate_const(std::ref(st), sys, x, 0.0, 0.5, 0.05);
    mean += x / M;
  }
  // E x(t) = e^{−Ht} x0 exactly (linear drift); weak-2 bias at h = 0.05 is O(h²‖H‖³) ≈ 3e-3
  // relative; per-coordinate MC standard error ≤ √(T·D/(2λ_min)/M) ≈ 0.005.
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(H);
  const Eigen::MatrixXd expm = eig.eigenvectors() * (-0.5 * eig.eigenvalues().array()).exp().matrix().asDiagonal() *
                               eig.eigenvectors().transpose();
  const sc::vector exact = expm * x0;
  CHECK((mean - exact).cwiseAbs().maxCoeff() < 4.5 * 0.005 + 3e-3);
}

TEST_CASE("steppers reject a non-positive step") {
  sc::euler_maruyama<> st;
  auto sys = std::make_pair(ornstein_det{}, ornstein_stoch{0.3});
  sc::vector x = sc::vector::Ones(1);
  CHECK_THROWS_AS(st.do_step(sys, x, 0.0, 0.0), sc::invalid_argument);
  CHECK_THROWS_AS(st.do_step(sys, x, 0.0, -1e-3), sc::invalid_argument);
  CHECK_THROWS_AS(sc::langevin_system(sc::quadratic(Eigen::MatrixXd::Identity(1, 1)), sc::constant_diffusion(1.0, 1), -1.0),
                  sc::domain_error);
  CHECK_THROWS_AS(sc::reflecting_box(1.0, 1.0), sc::invalid_argument);
}
