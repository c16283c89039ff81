// Diffusion models: D, ∇·D and the noise factor against closed forms; bad input throws.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/diffusion.hpp"
#include "shiftcurv/noise/matrix_field.hpp"
#include "shiftcurv/noise/overparametrized.hpp"
#include "shiftcurv/noise/scalar_field.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"

namespace sc = shiftcurv;

namespace {
// D(θ) = [[1 + θ0², θ0 θ1], [θ0 θ1, 2 + sin θ1]];  ∇·D = (2θ0 + θ0, θ1 + cos θ1).
struct field_templated {
  template <class S>
  Eigen::Matrix<S, -1, -1> operator()(const Eigen::Matrix<S, -1, 1>& t) const {
    using std::sin;
    Eigen::Matrix<S, -1, -1> D(2, 2);
    D(0, 0) = S(1) + t(0) * t(0);
    D(0, 1) = t(0) * t(1);
    D(1, 0) = t(0) * t(1);
    D(1, 1) = S(2) + sin(t(1));
    return D;
  }
};
struct field_double {
  Eigen::MatrixXd operator()(const Eigen::VectorXd& t) const { return field_templated{}(t); }
};
struct field_with_div : field_double {
  Eigen::VectorXd divergence(const Eigen::VectorXd& t) const {
    return (Eigen::VectorXd(2) << 3 * t(0), t(1) + std::cos(t(1))).finished();
  }
};
Eigen::VectorXd exact_div(const Eigen::VectorXd& t) { return field_with_div{}.divergence(t); }
}  // namespace

static_assert(sc::scalar_templated_matrix_field<field_templated>);
static_assert(!sc::scalar_templated_matrix_field<field_double>);
static_assert(sc::has_divergence<field_with_div> && !sc::has_divergence<field_double>);
static_assert(sc::diffusion_model<sc::matrix_field_diffusion<field_double>>);

TEST_CASE("matrix field divergence: AD exact, finite differences to 1e-8, user member as given") {
  const Eigen::VectorXd t = (Eigen::VectorXd(2) << 0.7, -0.4).finished();
  sc::matrix_field_diffusion ad{field_templated{}};
  sc::matrix_field_diffusion fd{field_double{}};
  sc::matrix_field_diffusion user{field_with_div{}};
  CHECK((ad.divergence(t) - exact_div(t)).norm() < 1e-14);
  CHECK((fd.divergence(t) - exact_div(t)).norm() < 1e-8);
  CHECK((user.divergence(t) - exact_div(t)).norm() == 0.0);
  const Eigen::MatrixXd L = ad.noise_factor(t);
  CHECK((L * L.transpose() - field_double{}(t)).norm() < 1e-14);
}

TEST_CASE("constant diffusion: scalar and matrix forms") {
  sc::constant_diffusion iso(0.25, 3);
  const Eigen::VectorXd t = Eigen::VectorXd::Ones(3);
  CHECK((iso.matrix(t) - 0.25 * Eigen::MatrixXd::Identity(3, 3)).norm() == 0.0);
  CHECK(iso.divergence(t).norm() == 0.0);
  CHECK((iso.noise_factor(t) - 0.5 * Eigen::MatrixXd::Identity(3, 3)).norm() == 0.0);
  Eigen::Matrix2d M;
  M << 2, 0.5, 0.5, 1;
  sc::constant_diffusion an{Eigen::MatrixXd(M)};
  const Eigen::VectorXd t2 = Eigen::VectorXd::Zero(2);
  const Eigen::MatrixXd L = an.noise_factor(t2);
  CHECK((L * L.transpose() - M).norm() < 1e-15);
  CHECK_THROWS_AS(iso.matrix(t2), sc::invalid_argument);  // θ of the wrong dimension
}

TEST_CASE("scalar field diffusion: ∇·(d I) = ∇d") {
  auto d = [](const auto& th) { return 1.0 + th.squaredNorm() * th.squaredNorm(); };  // ∇d = 4|θ|²θ
  sc::scalar_field_diffusion noise{d};
  const Eigen::VectorXd t = (Eigen::VectorXd(3) << 0.2, 0.5, -0.3).finished();
  const Eigen::VectorXd want = 4 * t.squaredNorm() * t;
  CHECK((noise.divergence(t) - want).norm() < 1e-14);
  CHECK(noise.matrix(t)(1, 1) == d(t));  // D = d·I exactly
  CHECK(noise.noise_factor(t)(2, 2) == std::sqrt(d(t)));
  auto neg = [](const Eigen::VectorXd& th) { return -1.0 + th.sum(); };
  sc::scalar_field_diffusion bad{neg};
  CHECK_THROWS_AS(bad.noise_factor(Eigen::VectorXd::Zero(2)), sc::domain_error);
}

TEST_CASE("over-parametrized modification: ∇U + αθ and D + β²I") {
  Eigen::Matrix2d H;
  H << 2, 0.3, 0.3, 1;
  const double alpha = 0.1, beta = 0.2;
  auto op = sc::overparametrized(sc::quadratic(H), sc::constant_diffusion(0.5, 2), alpha, beta);
  const Eigen::VectorXd t = (Eigen::VectorXd(2) << 1.0, -2.0).finished();
  CHECK((sc::gradient(op.loss, t) - (H * t + alpha * t)).norm() < 1e-15);
  CHECK((sc::hessian(op.loss, t) - (H + alpha * Eigen::Matrix2d::Identity())).norm() < 1e-15);
  const Eigen::MatrixXd D = op.noise.matrix(t);
  CHECK((D - (0.5 + beta * beta) * Eigen::MatrixXd::Identity(2, 2)).norm() < 1e-15);
  const Eigen::MatrixXd F = op.noise.noise_factor(t);
  CHECK((F * F.transpose() - D).norm() < 1e-15);
  CHECK((sc::diffusion_times(op.noise, t, t) - D * t).norm() < 1e-15);
  CHECK_THROWS_AS(sc::overparametrized(sc::quadratic(H), sc::constant_diffusion(0.5, 2), -1.0, beta),
                  sc::domain_error);
}

TEST_CASE("diffusion matrices that are not positive definite, not symmetric or not finite throw") {
  Eigen::MatrixXd M(2, 2);
  M << 1, 2, 2, 1;  // eigenvalues 3, −1
  CHECK_THROWS_AS(sc::constant_diffusion{M}, sc::domain_error);
  CHECK_THROWS_WITH(sc::constant_diffusion{M}, doctest::Contains("shiftcurv::constant_diffusion: D must be positive definite"));
  M << 1, 0.5, 0.4, 1;
  CHECK_THROWS_AS(sc::constant_diffusion{M}, sc::invalid_argument);
  M << 1, 0, 0, std::nan("");
  CHECK_THROWS_AS(sc::constant_diffusion{M}, sc::invalid_argument);
  CHECK_THROWS_AS(sc::constant_diffusion(0.0, 2), sc::domain_error);
  CHECK_THROWS_AS(sc::constant_diffusion(-1.0, 2), std::domain_error);
  CHECK_THROWS_AS(sc::constant_diffusion(1.0, 0), sc::invalid_argument);
  struct indefinite {
    Eigen::MatrixXd operator()(const Eigen::VectorXd& t) const {
      return (Eigen::MatrixXd(2, 2) << t(0), 0, 0, 1).finished();
    }
  };
  sc::matrix_field_diffusion f{indefinite{}};
  CHECK_THROWS_AS(f.noise_factor((Eigen::VectorXd(2) << -1.0, 0.0).finished()), sc::domain_error);
  CHECK_THROWS_AS(sc::divergence(f, (Eigen::VectorXd(2) << std::nan(""), 0.0).finished()), sc::invalid_argument);
}

TEST_CASE("bad input: diffusion_matrix, divergence and diffusion_times check theta and the model's output") {
  const sc::constant_diffusion iso(0.5, 2);  // declares dimension 2
  const Eigen::VectorXd t2 = Eigen::Vector2d(0.3, -0.1);
  const Eigen::VectorXd nan = Eigen::Vector2d(std::nan(""), 0.0);
  CHECK_THROWS_WITH_AS(sc::diffusion_matrix(iso, nan), doctest::Contains("shiftcurv::diffusion_matrix: theta must be finite"),
                       sc::invalid_argument);
  CHECK_THROWS_WITH_AS(sc::diffusion_matrix(iso, Eigen::VectorXd()), doctest::Contains("shiftcurv::diffusion_matrix: theta must not be empty"),
                       sc::invalid_argument);
  CHECK_THROWS_WITH_AS(sc::diffusion_matrix(iso, Eigen::Vector3d(1, 2, 3)),
                       doctest::Contains("shiftcurv::diffusion_matrix: theta has size 3, but the loss (or diffusion model) declares dimension() = 2"),
                       sc::invalid_argument);
  CHECK_THROWS_WITH_AS(sc::divergence(iso, Eigen::VectorXd(Eigen::VectorXd::Zero(1))),
                       doctest::Contains("shiftcurv::divergence: theta has size 1"), sc::invalid_argument);
  CHECK_THROWS_AS(sc::diffusion_times(iso, t2, Eigen::Vector3d(1, 2, 3)), sc::invalid_argument);
  CHECK_THROWS_AS(sc::diffusion_times(iso, t2, nan), sc::invalid_argument);
  // A user field that returns a 3x3 D at a 2-vector (no dimension declared): caught on output.
  struct wrong_size {
    Eigen::MatrixXd operator()(const Eigen::VectorXd&) const { return Eigen::MatrixXd::Identity(3, 3); }
  };
  const sc::matrix_field_diffusion f{wrong_size{}};
  CHECK_THROWS_AS(sc::diffusion_matrix(f, t2), sc::invalid_argument);
  // Models built from something that knows its dimension declare it.
  CHECK(iso.dimension() == 2);
  CHECK(sc::overparametrized(sc::quadratic(Eigen::Matrix3d::Identity()), sc::constant_diffusion(1.0, 3), 0.0, 0.1)
            .noise.dimension() == 3);
}

TEST_CASE("bad input: overparametrized with NaN or infinite alpha, beta") {
  const sc::quadratic q(Eigen::Matrix2d::Identity());
  const sc::constant_diffusion iso(0.5, 2);
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH_AS(sc::overparametrized(q, iso, 0.1, nan), doctest::Contains("shiftcurv::overparametrized: beta must be finite"),
                       sc::invalid_argument);
  CHECK_THROWS_AS(sc::overparametrized(q, iso, 0.1, inf), sc::invalid_argument);
  CHECK_THROWS_WITH_AS(sc::overparametrized(q, iso, nan, 0.1), doctest::Contains("shiftcurv::overparametrized: alpha must be finite"),
                       sc::invalid_argument);
  // β = 0 and a negative β are legal (only β² enters): D + β²I.
  const auto op = sc::overparametrized(q, iso, 0.0, -0.5);
  CHECK((op.noise.matrix(Eigen::Vector2d(0.1, 0.2)) - 0.75 * Eigen::Matrix2d::Identity()).norm() == 0.0);
}
