// predict_test_loss (the eq-4 driver) against closed forms: a quadratic basin with isotropic
// constant D, where the steady state is exactly N(θ_tr, (T d/2) H⁻¹) and eq 4 is exact; and a
// tilted 2-D double well, where the pairing of train and test minima and the shifts are known
// and the Laplace weights approach the exact basin probabilities (1-D quadrature) as O(T).
#include <doctest/doctest.h>

#include <cmath>

#include <boost/math/quadrature/gauss_kronrod.hpp>

#include "shiftcurv/generalization/test_loss_prediction.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"

namespace sc = shiftcurv;

namespace {
struct test_loss {
  sc::quadratic q;
  double u0;
  template <class D>
  typename D::Scalar operator()(const Eigen::MatrixBase<D>& th) const { return q(th) + typename D::Scalar(u0); }
};
struct tilted {
  double shift = 0;
  template <class D>
  typename D::Scalar operator()(const Eigen::MatrixBase<D>& th) const {
    using S = typename D::Scalar;
    const S x = th(0) + S(shift), y = th(1);
    return S(0.25) * x * x * x * x - S(0.5) * x * x + S(0.05) * x + S(0.5) * y * y;
  }
};
}  // namespace

TEST_CASE("predict_test_loss: a quadratic basin, where eq 4 is exact") {
  Eigen::Matrix2d H, C;
  H << 2.0, 0.4, 0.4, 1.0;
  C << 1.5, -0.3, -0.3, 0.8;
  const Eigen::Vector2d a(0.3, -0.2), c(0.35, -0.1);
  const sc::quadratic train(H, a);
  const test_loss test{sc::quadratic(C, c), 0.7};
  const double d = 0.01, T = 0.2;
  const auto pred = sc::predict_test_loss(train, test, sc::constant_diffusion(d, 2), T, {Eigen::VectorXd::Zero(2)});
  REQUIRE(pred.ok());
  REQUIRE(pred.basins.size() == 1);
  const Eigen::Matrix2d Sigma = T * d / 2 * H.inverse();
  const Eigen::Vector2d s = c - a;
  // E_{N(a, Σ)}[½(θ−c)ᵀC(θ−c) + u0] = u0 + ½ sᵀCs + ½ Tr(CΣ)
  const double exact = 0.7 + 0.5 * s.dot(C * s) + 0.5 * (C * Sigma).trace();
  CHECK(pred.decomposition.overall.total_eq4 == doctest::Approx(exact).epsilon(1e-10));
  CHECK(pred.decomposition.overall.total_eq7 == doctest::Approx(0.7 + 0.5 * s.dot(C * s)).epsilon(1e-10));
  CHECK(pred.decomposition.overall.bias_curvature == doctest::Approx(0.0).epsilon(1e-12));
  CHECK((pred.basins[0].shift - s).norm() < 1e-9);
  CHECK((pred.basins[0].covariance - Sigma).norm() < 1e-9 * Sigma.norm());
  CHECK(pred.basins[0].weight == doctest::Approx(1.0));
}

TEST_CASE("predict_test_loss: tilted double well, pairing, shifts and weights") {
  // U_tr(x, y) = x⁴/4 − x²/2 + 0.05x + y²/2, U_test(θ) = U_tr(θ + (0.1, 0)): test minima are the
  // train minima moved by (−0.1, 0), so s_k = (−0.1, 0) for both basins.
  const double d = 0.1;
  std::vector<Eigen::VectorXd> seeds{Eigen::Vector2d(-1.2, 0.3), Eigen::Vector2d(0.9, -0.2), Eigen::Vector2d(-0.8, 0.0)};
  std::vector<double> err;
  for (double T : {0.2, 0.1, 0.05}) {
    const auto pred = sc::predict_test_loss(tilted{0.0}, tilted{0.1}, sc::constant_diffusion(d, 2), T, seeds);
    REQUIRE(pred.ok());
    REQUIRE(pred.basins.size() == 2);  // the third seed falls into the first basin
    for (const auto& b : pred.basins) CHECK((b.shift - Eigen::Vector2d(-0.1, 0)).norm() < 1e-8);
    // Exact basin probability of x < x_max (the local maximum near 0.05) by quadrature of the
    // x-marginal exp(−2U(x)/(T d)) (y factorizes out).
    auto u = [](double x) { return 0.25 * x * x * x * x - 0.5 * x * x + 0.05 * x; };
    auto rho = [&](double x) { return std::exp(-2 * (u(x) + 0.3) / (T * d)); };
    double xmax = 0.05;
    for (int i = 0; i < 60; ++i) xmax -= (xmax * xmax * xmax - xmax + 0.05) / (3 * xmax * xmax - 1);
    using gk = boost::math::quadrature::gauss_kronrod<double, 61>;
    const double left = gk::integrate(rho, -3.0, xmax, 20, 1e-13), right = gk::integrate(rho, xmax, 3.0, 20, 1e-13);
    const auto& b_left = pred.basins[0].theta_train(0) < 0 ? pred.basins[0] : pred.basins[1];
    err.push_back(std::abs(b_left.weight - left / (left + right)));
  }
  // Laplace weights → exact as T → 0 with error O(T): halving T roughly halves the error.
  CHECK(err[1] < 0.7 * err[0]);
  CHECK(err[2] < 0.7 * err[1]);
  CHECK(err[2] < 0.02);
}

TEST_CASE("predict_test_loss: bad input throws") {
  const sc::quadratic q(Eigen::Matrix2d::Identity());
  CHECK_THROWS_AS(sc::predict_test_loss(q, q, sc::constant_diffusion(1.0, 2), 0.0, {Eigen::VectorXd::Zero(2)}), sc::domain_error);
  CHECK_THROWS_AS(sc::predict_test_loss(q, q, sc::constant_diffusion(1.0, 2), 1.0, {}), sc::invalid_argument);
  CHECK_THROWS_AS(sc::predict_test_loss(q, q, sc::constant_diffusion(1.0, 2), 1.0, {Eigen::Vector2d(NAN, 0)}), sc::invalid_argument);
}
