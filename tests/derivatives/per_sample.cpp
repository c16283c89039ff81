// Per-sample least squares: mean loss/gradient, G, D, ∇·D and D·v against brute force.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/derivatives/per_sample.hpp"
#include "shiftcurv/noise/diffusion.hpp"
#include "shiftcurv/noise/gradient_covariance.hpp"

namespace sc = shiftcurv;

namespace {
// U(x_i, θ) = ½ (a_iᵀθ − y_i)² + ¼ γ (a_iᵀθ)⁴ : the quartic term makes D non-constant so that
// ∇·D ≠ 0 and per-sample Hessians depend on θ.
struct least_squares {
  Eigen::MatrixXd X;
  Eigen::VectorXd y;
  double gamma = 0.3;
  sc::index num_samples() const { return X.rows(); }
  double value(const Eigen::VectorXd& th, sc::index i) const {
    const double z = X.row(i).dot(th), r = z - y(i);
    return 0.5 * r * r + 0.25 * gamma * z * z * z * z;
  }
  void gradient(const Eigen::VectorXd& th, sc::index i, Eigen::VectorXd& g) const {
    const double z = X.row(i).dot(th);
    g = (z - y(i) + gamma * z * z * z) * X.row(i).transpose();
  }
};
struct least_squares_h : least_squares {
  void hessian(const Eigen::VectorXd& th, sc::index i, Eigen::MatrixXd& H) const {
    const double z = X.row(i).dot(th);
    H = (1 + 3 * gamma * z * z) * X.row(i).transpose() * X.row(i);
  }
};

least_squares_h make(int n, int p) {
  Eigen::MatrixXd X(n, p);
  Eigen::VectorXd y(n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < p; ++j) X(i, j) = std::sin(1.3 * i + 0.7 * j + 0.1 * i * j);
    y(i) = std::cos(0.9 * i);
  }
  least_squares_h f;
  f.X = X;
  f.y = y;
  return f;
}

// Brute force, written independently from the definitions: D_jk = (1/N) Σ_i g_ij g_ik − ḡ_j ḡ_k,
// and ∇·D by central differences of that D with a small step.
Eigen::MatrixXd brute_D(const least_squares& f, const Eigen::VectorXd& th) {
  const int n = int(f.X.rows()), p = int(th.size());
  Eigen::MatrixXd S = Eigen::MatrixXd::Zero(p, p);
  Eigen::VectorXd m = Eigen::VectorXd::Zero(p);
  for (int i = 0; i < n; ++i) {
    const double z = f.X.row(i).dot(th);
    const Eigen::VectorXd g = (z - f.y(i) + f.gamma * z * z * z) * f.X.row(i).transpose();
    S += g * g.transpose();
    m += g;
  }
  S /= n;
  m /= n;
  return S - m * m.transpose();
}
}  // namespace

TEST_CASE("mean loss, gradient and G of a per-sample loss match brute force") {
  const auto f = make(7, 3);
  const Eigen::VectorXd th = (Eigen::VectorXd(3) << 0.2, -0.4, 0.9).finished();
  // Brute force from the formulas (not the functor): U_i = ½r² + ¼γz⁴, g_i = (r + γz³) a_i.
  double U = 0;
  Eigen::MatrixXd Gb(7, 3);
  for (int i = 0; i < 7; ++i) {
    const double z = f.X.row(i).dot(th), r = z - f.y(i);
    U += 0.5 * r * r + 0.25 * f.gamma * z * z * z * z;
    Gb.row(i) = (r + f.gamma * z * z * z) * f.X.row(i);
  }
  U /= 7;
  // Seven O(1) terms summed in different orders: agreement to a few ulps of the largest.
  CHECK(std::abs(sc::mean_loss(f, th) - U) <= 1e-14 * std::abs(U));
  const Eigen::MatrixXd G = sc::sample_gradients(f, th);
  CHECK(G.rows() == 7);
  CHECK((G - Gb).cwiseAbs().maxCoeff() <= 1e-15 * Gb.cwiseAbs().maxCoeff());
  const Eigen::VectorXd gbar = Gb.colwise().mean().transpose();
  CHECK((sc::mean_gradient(f, th) - gbar).norm() < 1e-14 * gbar.norm());
  // The adapter is a loss functor whose gradient and Hessian are the per-sample means.
  sc::mean_loss_of train{f};
  static_assert(sc::has_gradient<decltype(train)> && sc::has_hessian<decltype(train)>);
  CHECK((sc::gradient(train, th) - gbar).norm() < 1e-14 * gbar.norm());
  Eigen::MatrixXd Hb = Eigen::MatrixXd::Zero(3, 3);
  for (int i = 0; i < 7; ++i) {
    const double z = f.X.row(i).dot(th);
    Hb += (1 + 3 * f.gamma * z * z) * f.X.row(i).transpose() * f.X.row(i) / 7.0;
  }
  CHECK((sc::hessian(train, th) - Hb).norm() < 1e-14 * Hb.norm());
}

TEST_CASE("D, D·v and the low-rank factor of the gradient covariance match brute force") {
  const auto f = make(9, 4);
  const Eigen::VectorXd th = (Eigen::VectorXd(4) << 0.2, -0.4, 0.9, 0.1).finished();
  const Eigen::VectorXd v = (Eigen::VectorXd(4) << 1.0, -2.0, 0.5, 0.25).finished();
  sc::gradient_covariance noise{f};
  const Eigen::MatrixXd Db = brute_D(f, th);
  const double scale = Db.cwiseAbs().maxCoeff();
  CHECK((noise.matrix(th) - Db).cwiseAbs().maxCoeff() < 1e-13 * scale);
  CHECK((sc::diffusion_times(noise, th, v) - Db * v).norm() < 1e-13 * (Db * v).norm());
  const Eigen::MatrixXd A = sc::low_rank_factor(f, th);
  CHECK(A.rows() == 9);
  CHECK((A.transpose() * A - Db).cwiseAbs().maxCoeff() < 1e-13 * scale);
  const Eigen::MatrixXd F = noise.noise_factor(th);
  CHECK((F * F.transpose() - Db).cwiseAbs().maxCoeff() < 1e-13 * scale);
}

TEST_CASE("∇·D of the gradient covariance matches central differences of the brute-force D") {
  const auto fh = make(9, 3);
  const least_squares& f = fh;
  const Eigen::VectorXd th = (Eigen::VectorXd(3) << 0.3, -0.5, 0.8).finished();
  Eigen::VectorXd want = Eigen::VectorXd::Zero(3);
  const double h = 1e-5;  // central differences of a smooth D: error O(h²) ≈ 1e-10
  for (int j = 0; j < 3; ++j) {
    Eigen::VectorXd tp = th, tm = th;
    tp(j) += h;
    tm(j) -= h;
    want += (brute_D(f, tp).col(j) - brute_D(f, tm).col(j)) / (2 * h);
  }
  const double tol = 1e-7 * std::max(1.0, want.norm());
  sc::gradient_covariance with_hessians{fh};   // per-sample Hessians given
  sc::gradient_covariance without{f};          // derived by finite differences
  CHECK((with_hessians.divergence(th) - want).norm() < tol);
  CHECK((without.divergence(th) - want).norm() < tol);
}

TEST_CASE("per-sample bad input throws") {
  const auto f = make(5, 2);
  Eigen::VectorXd th(2);
  th << 0.1, std::nan("");
  CHECK_THROWS_AS(sc::mean_loss(f, th), sc::invalid_argument);
  CHECK_THROWS_AS(sc::sample_gradients(f, th), sc::invalid_argument);
  sc::gradient_covariance noise{f};
  CHECK_THROWS_AS(sc::diffusion_times(noise, Eigen::VectorXd::Zero(2), Eigen::VectorXd::Ones(3)), sc::invalid_argument);
}

TEST_CASE("sample_hessian by finite differences of the per-sample gradient matches the formula") {
  const auto fh = make(5, 3);
  const least_squares& f = fh;  // no per-sample Hessian: central differences of g_i
  const Eigen::VectorXd th = (Eigen::VectorXd(3) << 0.3, -0.2, 0.6).finished();
  for (sc::index i = 0; i < 5; ++i) {
    const double z = f.X.row(i).dot(th);
    const Eigen::MatrixXd want = (1 + 3 * f.gamma * z * z) * f.X.row(i).transpose() * f.X.row(i);
    // First differences of an O(1) gradient: error ≈ ε^{2/3} ≈ 4e-11 (derivatives.hpp); 1e-8 is 250×.
    CHECK((sc::sample_hessian(f, th, i) - want).norm() <= 1e-8 * std::max(1.0, want.norm()));
  }
}

namespace {
// A per-sample loss with no samples.
struct empty_data {
  sc::index num_samples() const { return 0; }
  double value(const Eigen::VectorXd&, sc::index) const { return 0; }
  void gradient(const Eigen::VectorXd& th, sc::index, Eigen::VectorXd& g) const { g = Eigen::VectorXd::Zero(th.size()); }
};
}  // namespace

TEST_CASE("bad input: empty per-sample data and sample_hessian name the function called") {
  const empty_data e;
  const Eigen::VectorXd th = Eigen::Vector2d(0.1, 0.2);
  using ia = sc::invalid_argument;
  CHECK_THROWS_WITH_AS(sc::mean_loss(e, th), doctest::Contains("shiftcurv::mean_loss: the per-sample loss has 0 samples"), ia);
  CHECK_THROWS_WITH_AS(sc::mean_gradient(e, th), doctest::Contains("shiftcurv::mean_gradient: the per-sample loss has 0 samples"), ia);
  CHECK_THROWS_WITH_AS(sc::sample_gradients(e, th), doctest::Contains("shiftcurv::sample_gradients: the per-sample loss has 0 samples"), ia);
  CHECK_THROWS_WITH_AS(sc::sample_hessian(e, th, 0), doctest::Contains("shiftcurv::sample_hessian: the per-sample loss has 0 samples"), ia);
  CHECK_THROWS_WITH_AS(sc::low_rank_factor(e, th), doctest::Contains("shiftcurv::low_rank_factor: the per-sample loss has 0 samples"), ia);
  const sc::gradient_covariance noise{e};
  CHECK_THROWS_WITH_AS(noise.matrix(th), doctest::Contains("shiftcurv::gradient_covariance::matrix: the per-sample loss has 0 samples"), ia);
  CHECK_THROWS_WITH_AS(sc::diffusion_matrix(noise, th), doctest::Contains("the per-sample loss has 0 samples"), ia);
  const sc::mean_loss_of train{e};
  CHECK_THROWS_WITH_AS(sc::gradient(train, th), doctest::Contains("the per-sample loss has 0 samples"), ia);

  const auto f = make(4, 2);
  CHECK_THROWS_WITH_AS(sc::sample_hessian(f, th, 4), doctest::Contains("shiftcurv::sample_hessian: sample index i = 4 is outside [0, 4)"), ia);
  CHECK_THROWS_AS(sc::sample_hessian(f, th, -1), ia);
  CHECK_THROWS_AS(sc::sample_hessian(f, Eigen::Vector2d(std::nan(""), 0.0), 0), ia);
  CHECK_THROWS_AS(sc::sample_hessian(f, Eigen::VectorXd(), 0), ia);
  CHECK_THROWS_AS(sc::sample_gradients(f, Eigen::VectorXd()), ia);
}
