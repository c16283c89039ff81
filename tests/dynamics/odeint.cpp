// The steppers are Boost.Odeint steppers: integrate_const drives them with an observer
// (odeint's stochastic_euler example pattern), and gives the same trajectory as do_step by hand.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <utility>
#include <vector>

#include <Eigen/Eigenvalues>
#include <boost/numeric/odeint/integrate/integrate_const.hpp>

#include "shiftcurv/dynamics/langevin_system.hpp"
#include "shiftcurv/dynamics/sde_steppers.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/matrix_field.hpp"
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

// Least squares U_i(θ) = ½(x_iᵀθ − y_i)² (state-dependent noise), counting its per-sample
// gradient evaluations.
struct counting_least_squares {
  sc::matrix X;
  sc::vector y;
  mutable std::atomic<long> gradients{0};
  counting_least_squares(sc::index n, sc::index p) : X(n, p), y(n) {
    for (sc::index i = 0; i < n; ++i) {
      y(i) = std::cos(1.7 * static_cast<double>(i));
      for (sc::index j = 0; j < p; ++j) X(i, j) = std::sin(1.0 + static_cast<double>(i) + 2.3 * static_cast<double>(j));
    }
  }
  sc::index num_samples() const { return X.rows(); }
  double value(const sc::vector& th, sc::index i) const { return 0.5 * std::pow(X.row(i).dot(th) - y(i), 2); }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const {
    ++gradients;
    g = (X.row(i).dot(th) - y(i)) * X.row(i).transpose();
  }
};

// `steps` steps of Stepper from a fixed start and noise; the gradients per step in `per_step`.
template <class Stepper, class System>
sc::vector run_counted(const System& sys, const counting_least_squares& loss, int steps, long& per_step) {
  Stepper st(sc::philox_noise(3, 1));
  sc::vector x = sc::vector::LinSpaced(loss.X.cols(), -0.5, 0.5);
  const long before = loss.gradients;
  for (int n = 0; n < steps; ++n) st.do_step(sys, x, 0.02 * n, 0.02);
  per_step = (loss.gradients - before) / steps;
  return x;
}

// A user system (not a std::pair) with time-dependent diagonal noise and a combined evaluation
// that counts its calls.
struct diagonal_system_with_combined {
  struct drift {
    void operator()(const sc::vector& x, sc::vector& f, double t) const { f = -x * (1 + t); }
  } first;
  struct diffusion {
    void operator()(const sc::vector& x, sc::vector& g, double t) const {
      g = (0.3 + 0.1 * t + 0.2 * x.array().square()).matrix();
    }
  } second;
  mutable long combined_calls = 0;
  void drift_and_noise(const sc::vector& x, sc::vector& f, sc::vector& g, double t) const {
    ++combined_calls;
    first(x, f, t);
    second(x, g, t);
  }
};

template <class Stepper>
void check_diagonal_combined(long expected_combined_calls_per_step) {
  const diagonal_system_with_combined sys;
  const auto pair = std::make_pair(sys.first, sys.second);
  Stepper a(sc::philox_noise(8, 2)), b(sc::philox_noise(8, 2));
  sc::vector x = sc::vector::Constant(2, 0.4), y = x;
  for (int n = 0; n < 10; ++n) {
    a.do_step(sys, x, 0.05 * n, 0.05);
    b.do_step(pair, y, 0.05 * n, 0.05);
  }
  CHECK(sys.combined_calls == 10 * expected_combined_calls_per_step);
  CHECK(x == y);
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

// The noise amplitude of the multi-D SDE: G·Gᵀ must be T·D(θ), with D computed here from its
// definition (not from the library's noise factor).  Tolerance: Cholesky and the product are
// backward stable, so ‖GGᵀ − T·D‖ ≤ ~10 ε ‖T·D‖; 1e-13 relative leaves a margin.
struct curved_field {  // D(θ) = [[1 + θ₀², 0.3 + 0.2 sin θ₁], [·, 2 + cos θ₀]]: SPD, non-diagonal
  template <class S>
  Eigen::Matrix<S, -1, -1> operator()(const Eigen::Matrix<S, -1, 1>& th) const {
    using std::cos;
    using std::sin;
    Eigen::Matrix<S, -1, -1> D(2, 2);
    D << S(1) + th(0) * th(0), S(0.3) + S(0.2) * sin(th(1)), S(0.3) + S(0.2) * sin(th(1)), S(2) + cos(th(0));
    return D;
  }
};

TEST_CASE("langevin_system: G Gᵀ = T·D(θ) at a point, constant non-diagonal and position-dependent D") {
  const double T = 0.37;
  const sc::vector theta = (sc::vector(2) << 0.8, -1.3).finished();
  sc::matrix G;
  {
    Eigen::MatrixXd Dm(2, 2);
    Dm << 1.5, -0.7, -0.7, 0.9;
    // temporaries: the system keeps its own copies (odeint's convention)
    const auto sys = sc::langevin_system(sc::quadratic(Eigen::MatrixXd::Identity(2, 2)), sc::constant_diffusion(Dm), T);
    sys.second(theta, G);
    INFO("constant D: G Gᵀ = " << G * G.transpose());
    CHECK((G * G.transpose() - T * Dm).norm() <= 1e-13 * (T * Dm).norm());
  }
  {
    const auto sys = sc::langevin_system(sc::quadratic(Eigen::MatrixXd::Identity(2, 2)),
                                         sc::matrix_field_diffusion{curved_field{}}, T);
    sys.second(theta, G);
    Eigen::Matrix2d D;  // the formula above, written out
    const double off = 0.3 + 0.2 * std::sin(-1.3);
    D << 1 + 0.64, off, off, 2 + std::cos(0.8);
    INFO("field D: G Gᵀ = " << G * G.transpose() << ", T·D = " << T * D);
    CHECK((G * G.transpose() - T * D).norm() <= 1e-13 * (T * D).norm());
    // and the drift is −∇U = −θ for U = ½|θ|²
    sc::vector f;
    sys.first(theta, f);
    CHECK((f + theta).norm() <= 1e-15);
  }
}

TEST_CASE("per_sample_langevin_system: G Gᵀ = T·D with D = (1/N) Σ (g_i − ḡ)(g_i − ḡ)ᵀ by brute force") {
  const sc::index N = 7, p = 3;
  const counting_least_squares loss(N, p);
  const double T = 0.21;
  const auto sys = sc::per_sample_langevin_system(loss, T);
  const sc::vector theta = sc::vector::LinSpaced(p, -0.4, 0.9);
  // per-sample gradients of ½(x_iᵀθ − y_i)², from the data (not through the loss object)
  Eigen::MatrixXd g(p, N);
  for (sc::index i = 0; i < N; ++i) g.col(i) = (loss.X.row(i).dot(theta) - loss.y(i)) * loss.X.row(i).transpose();
  const Eigen::VectorXd gbar = g.rowwise().mean();
  Eigen::MatrixXd D = Eigen::MatrixXd::Zero(p, p);
  for (sc::index i = 0; i < N; ++i) D += (g.col(i) - gbar) * (g.col(i) - gbar).transpose() / static_cast<double>(N);
  sc::matrix G;
  sys.second(theta, G);
  INFO("G Gᵀ = " << G * G.transpose() << "\nT·D = " << T * D);
  CHECK((G * G.transpose() - T * D).norm() <= 1e-13 * (T * D).norm());
  sc::vector f;
  sys.first(theta, f);
  CHECK((f + gbar).norm() <= 1e-14 * gbar.norm());
}

template <class F>
concept per_sample_system_accepts = requires(F&& f) { sc::per_sample_langevin_system(std::forward<F>(f), 0.3); };

TEST_CASE("per_sample_langevin_system: T <= 0 or NaN rejected, naming the function; temporaries do not compile") {
  const counting_least_squares loss(4, 2);
  CHECK_THROWS_WITH_AS(sc::per_sample_langevin_system(loss, 0.0),
                       doctest::Contains("shiftcurv::per_sample_langevin_system: T must be > 0"), sc::domain_error);
  CHECK_THROWS_WITH_AS(sc::per_sample_langevin_system(loss, -1.0), doctest::Contains("per_sample_langevin_system"),
                       sc::domain_error);
  CHECK_THROWS_WITH_AS(sc::per_sample_langevin_system(loss, NAN), doctest::Contains("per_sample_langevin_system"),
                       sc::invalid_argument);
  // the system keeps a reference to the data: an rvalue data set is rejected at compile time
  static_assert(per_sample_system_accepts<const counting_least_squares&>);
  static_assert(!per_sample_system_accepts<counting_least_squares>);
}

// The per-sample system's combined evaluation: drift −ḡ and noise √T·Aᵀ from ONE sweep over the
// N per-sample gradients, where a plain pair sweeps twice.  Per step (m = N noise columns):
//   Euler–Maruyama 2N → N,  Milstein (N + 2)N → (N + 1)N,  weak-2 (4N + 3)N → (4N + 2)N.
// Trajectories are bit-identical to the separate evaluation (the plain std::pair it converts to).
TEST_CASE("per_sample_langevin_system: one gradient sweep for drift and noise, bit-identical to separate evaluation") {
  const sc::index N = 5, p = 3;
  const counting_least_squares loss(N, p);
  const auto combined = sc::per_sample_langevin_system(loss, 0.3);
  const std::pair<sc::per_sample_drift<counting_least_squares>, sc::per_sample_diffusion<counting_least_squares>>
      separate = combined;
  static_assert(sc::detail::sde_combined<decltype(combined), sc::vector, sc::matrix>);
  static_assert(!sc::detail::sde_combined<decltype(separate), sc::vector, sc::matrix>);

  const sc::vector theta = sc::vector::LinSpaced(p, 0.2, -0.7);
  sc::vector f1, f2;
  sc::matrix G1, G2;
  const long before = loss.gradients;
  combined.drift_and_noise(theta, f1, G1);
  CHECK(loss.gradients - before == N);
  combined.first(theta, f2);
  combined.second(theta, G2);
  CHECK(loss.gradients - before == 3 * N);
  CHECK(f1 == f2);
  CHECK(G1 == G2);
  // √T·Aᵀ: p×N with centred columns, and −ḡ the mean gradient.
  CHECK(G1.rows() == p);
  CHECK(G1.cols() == N);
  CHECK(G1.rowwise().sum().norm() < 1e-14);
  sc::vector gbar = sc::vector::Zero(p), g(p);
  for (sc::index i = 0; i < N; ++i) {
    loss.gradient(theta, i, g);
    gbar += g / static_cast<double>(N);
  }
  CHECK((f1 + gbar).norm() < 1e-14);

  long per_step_combined = 0, per_step_separate = 0;
  const int steps = 20;
  {
    const sc::vector a = run_counted<sc::euler_maruyama<>>(combined, loss, steps, per_step_combined);
    const sc::vector b = run_counted<sc::euler_maruyama<>>(separate, loss, steps, per_step_separate);
    CHECK(per_step_combined == N);
    CHECK(per_step_separate == 2 * N);
    CHECK(a == b);
  }
  {
    const sc::vector a = run_counted<sc::milstein<>>(combined, loss, steps, per_step_combined);
    const sc::vector b = run_counted<sc::milstein<>>(separate, loss, steps, per_step_separate);
    CHECK(per_step_combined == (N + 1) * N);
    CHECK(per_step_separate == (N + 2) * N);
    CHECK(a == b);
  }
  {
    const sc::vector a = run_counted<sc::weak_order2<>>(combined, loss, steps, per_step_combined);
    const sc::vector b = run_counted<sc::weak_order2<>>(separate, loss, steps, per_step_separate);
    CHECK(per_step_combined == (4 * N + 2) * N);
    CHECK(per_step_separate == (4 * N + 3) * N);
    CHECK(a == b);
  }
  // odeint's integrate_const passes the system through unchanged: the combined path there too.
  sc::euler_maruyama<> em(sc::philox_noise(3, 1));
  sc::vector x = sc::vector::LinSpaced(p, -0.5, 0.5);
  const long start = loss.gradients;
  odeint::integrate_const(std::ref(em), combined, x, 0.0, 0.4, 0.02);
  CHECK(loss.gradients - start == 20 * N);
  CHECK(x == run_counted<sc::euler_maruyama<>>(separate, loss, steps, per_step_separate));
}

TEST_CASE("a user system's drift_and_noise (diagonal noise, with time) is used once per step and matches its parts") {
  check_diagonal_combined<sc::euler_maruyama<>>(1);
  check_diagonal_combined<sc::milstein<>>(1);
  check_diagonal_combined<sc::weak_order2<>>(1);
}
