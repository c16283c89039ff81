// Discrete SGD with ℓ2 drift and isotropic noise (eq 13) against the exact AR(1) moments, and
// against the SDE: the paper's Figure 5 claim that the stationary statistics depend on λ and B
// through T = λ/B.  Slow suites (seconds under ASan; tests/CMakeLists.txt).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/quadrature/tanh_sinh.hpp>

#include "shiftcurv/dynamics/ensemble.hpp"
#include "shiftcurv/dynamics/langevin_system.hpp"
#include "shiftcurv/dynamics/observers.hpp"
#include "shiftcurv/dynamics/sde_steppers.hpp"
#include "shiftcurv/dynamics/sgd.hpp"
#include "shiftcurv/testing/monte_carlo.hpp"
#include "sgd_cases.hpp"

namespace sc = shiftcurv;
namespace st = shiftcurv::testing;

using sgd_cases::mean_estimation;
using sgd_cases::observed;

namespace {
// U(x_i, θ) = θ⁴/4 + θ²/2 + a_iθ²/2 + b_iθ with Σa = Σb = 0 and empirical Var a = 1,
// Cov(a,b) = 1, Var b = 4: ḡ = θ³ + θ, D(θ) = θ² + 2θ + 4 (state dependent, asymmetric).
struct noisy_quartic {
  std::vector<double> a, b;
  sc::index num_samples() const { return static_cast<sc::index>(a.size()); }
  double value(const sc::vector& th, sc::index i) const {
    const double t = th(0);
    return 0.25 * t * t * t * t + 0.5 * t * t + 0.5 * a[static_cast<std::size_t>(i)] * t * t + b[static_cast<std::size_t>(i)] * t;
  }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const {
    const double t = th(0);
    g.resize(1);
    g(0) = t * t * t + t + a[static_cast<std::size_t>(i)] * t + b[static_cast<std::size_t>(i)];
  }
};

noisy_quartic make_noisy_quartic(int n) {
  // Pseudo-random points, then exactly centred and whitened to the target covariance.
  Eigen::MatrixXd Z(n, 2);
  const sc::philox_stream s(77, 0);
  for (int i = 0; i < n; ++i) {
    double z[2];
    s.normals(static_cast<std::uint64_t>(i), z, 2);
    Z(i, 0) = z[0];
    Z(i, 1) = z[1];
  }
  Z.rowwise() -= Z.colwise().mean();
  const Eigen::Matrix2d C = Z.transpose() * Z / n;
  Eigen::Matrix2d target;
  target << 1, 1, 1, 4;
  const Eigen::Matrix2d W = target.llt().matrixL() * Eigen::Matrix2d(C.llt().matrixL()).inverse();
  const Eigen::MatrixXd Y = Z * W.transpose();
  noisy_quartic q;
  for (int i = 0; i < n; ++i) {
    q.a.push_back(Y(i, 0));
    q.b.push_back(Y(i, 1));
  }
  return q;
}

// E_ρ[f] for the exact SDE steady state ρ ∝ exp(−(2/T)∫_0^θ ḡ/D)/D on ℝ.
template <class F>
double stationary_expectation(double T, F f) {
  auto phi = [](double x) {  // ∫_0^x (ξ³+ξ)/(ξ²+2ξ+4) dξ
    return boost::math::quadrature::gauss_kronrod<double, 31>::integrate(
        [](double y) { return (y * y * y + y) / (y * y + 2 * y + 4); }, 0.0, x, 10, 1e-13);
  };
  auto rho = [&](double x) { return std::exp(-2 / T * phi(x)) / (x * x + 2 * x + 4); };
  boost::math::quadrature::tanh_sinh<double> ts;
  const double Z = ts.integrate(rho, -3.0, 3.0);  // ρ < e^{-100} beyond |θ| = 3 at T ≤ 0.1
  return ts.integrate([&](double x) { return f(x) * rho(x); }, -3.0, 3.0) / Z;
}

}  // namespace

TEST_SUITE("slow") {
TEST_CASE("SGD eq 13: ℓ2 drift α and isotropic noise β give the exact AR(1) moments") {
  mean_estimation data{{-1.0, 0.0, 0.5, 2.5}};
  const double xbar = 0.5, s2 = (2.25 + 0.25 + 0 + 4) / 4;
  sc::sgd_options o;
  o.learning_rate = 0.05;
  o.batch_size = 2;
  o.alpha = 0.5;
  o.beta = 0.8;
  sc::sgd_stepper sgd(data, o);
  sc::ensemble_options e;
  e.particles = 20000;
  e.dt = o.learning_rate;
  e.t_end = 30;  // 600 steps, contraction (1 − λ(1+α)) = 0.925 per step
  e.seed = 8;
  e.threads = 2;
  e.progress = false;
  const double a = 1 - o.learning_rate * (1 + o.alpha);
  const double mean = xbar / (1 + o.alpha);
  sc::mean_observer m({[](const sc::vector& t) { return t(0); }, [&](const sc::vector& t) { return std::pow(t(0) - mean, 2); }});
  const auto r = sc::run_ensemble(sgd, sc::no_system{}, sc::initial_point{sc::vector(sc::vector::Zero(1))}, m, e);
  const double lr = o.learning_rate, T = o.temperature();
  const double var = (lr * lr * s2 / 2 + lr * T * o.beta * o.beta) / (1 - a * a);
  CHECK(st::within_mc(observed(r.observer, 0, 0), mean));
  CHECK(st::within_mc(observed(r.observer, 0, 1), var));
}
}  // TEST_SUITE("slow")

TEST_SUITE("slow") {
TEST_CASE("Figure 5: same T = λ/B, different (λ, B) — same stationary statistics as the SDE") {
  const auto data = make_noisy_quartic(40);
  const double T = 0.05;
  const double exact_mean = stationary_expectation(T, [](double x) { return x; });
  const double exact_second = stationary_expectation(T, [](double x) { return x * x; });
  sc::mean_observer proto({[](const sc::vector& t) { return t(0); }, [](const sc::vector& t) { return t(0) * t(0); }});
  sc::ensemble_options e;
  e.particles = 20000;
  e.t_end = 12;  // relaxation rate ≈ U''(0) = 1: e^{-12} of the initial offset remains
  e.seed = 21;
  e.threads = 2;
  e.progress = false;
  const auto init = sc::initial_point{sc::vector(sc::vector::Constant(1, 0.5))};
  struct run { double lr; sc::index B; };
  std::vector<st::mc_estimate_result> means, seconds;
  for (run c : {run{0.05, 1}, run{0.1, 2}, run{0.2, 4}}) {
    sc::sgd_options o;
    o.learning_rate = c.lr;
    o.batch_size = c.B;
    e.dt = c.lr;
    const auto r = sc::run_ensemble(sc::sgd_stepper(data, o), sc::no_system{}, init, proto, e);
    means.push_back(observed(r.observer, 0, 0));
    seconds.push_back(observed(r.observer, 0, 1));
    MESSAGE("SGD λ=" << c.lr << " B=" << c.B << ": E θ = " << means.back().mean << " ± " << means.back().standard_error
                     << ", E θ² = " << seconds.back().mean << " ± " << seconds.back().standard_error);
  }
  // The SDE itself, on the same per-sample loss (noise √T·Aᵀζ with A the N×p factor, D never
  // formed), by Euler–Maruyama: fewer particles, since each step evaluates all N gradients.
  auto sys = sc::per_sample_langevin_system(data, T);
  e.dt = 0.01;
  e.particles = 2000;
  const auto sde = sc::run_ensemble(sc::euler_maruyama<>(), sys, init, proto, e);
  MESSAGE("SDE: E θ = " << sde.observer.mean(0, 0) << " ± " << sde.observer.standard_error(0, 0) << ", E θ² = "
                        << sde.observer.mean(0, 1) << "; exact " << exact_mean << ", " << exact_second);
  // The SDE against the exact steady state: 4.5σ + 2% for Euler's O(h) bias at h = 0.01.
  CHECK(st::within_mc(observed(sde.observer, 0, 0), exact_mean, 4.5, 0.02 * std::fabs(exact_mean)));
  CHECK(st::within_mc(observed(sde.observer, 0, 1), exact_second, 4.5, 0.02 * exact_second));
  // The stated tolerance of the Figure 5 claim: SGD at the same T agrees with the diffusion up
  // to the MC error (4.5σ) plus its O(λ) discrete-time correction, which we bound by
  // λ·|E θ²| for the second moment (AR(1) analogue: the variance carries 1/(1 − λU''/2), and
  // U'' = 1 + 3θ² ≲ 2 where ρ lives) and by 0.01·λ/0.05 for the (nearly vanishing) mean.
  // Measured: E θ² is +3%, +2%, +12% off at λ = 0.05, 0.1, 0.2 — the correction grows with λ
  // at fixed T, as the claim's "approximately" allows.
  for (std::size_t i = 0; i < means.size(); ++i) {
    const double lr = 0.05 * static_cast<double>(1 << i);
    CHECK(st::within_mc(means[i], exact_mean, 4.5, 0.01 * lr / 0.05));
    CHECK(st::within_mc(seconds[i], exact_second, 4.5, lr * exact_second));
  }
  // The statistic does resolve T: at 2T the stationary E θ² is many tolerances away.
  const double second_at_2T = stationary_expectation(2 * T, [](double x) { return x * x; });
  CHECK(std::fabs(second_at_2T - exact_second) > 3 * st::mc_tolerance(seconds[0].standard_error, 4.5, 0.05 * exact_second));
}
}  // TEST_SUITE("slow")

