// covariance_curvature_estimate (studies/covariance_curvature.hpp): ½tr(CΣ) from iterates of an
// exactly discretized OU process whose stationary covariance Σ is the dense Lyapunov solution.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "shiftcurv/curvature/linear_operator.hpp"
#include "shiftcurv/generalization/stationary_covariance.hpp"
#include "shiftcurv/studies/covariance_curvature.hpp"
#include "random_matrices.hpp"
#include "support.hpp"

namespace sc = shiftcurv;

namespace covariance_curvature_test {

using test_support::gaussian;
using test_support::orthogonal;

// The OU process dθ = −Hθ dt + √(T D) dW sampled exactly at spacing dt: θ' = A θ + ξ with
// A = exp(−H dt) = U e^{−Λ dt} Uᵀ and Cov ξ = Σ − A Σ Aᵀ (Σ the stationary covariance), started
// from the stationary law.
struct ou_problem {
  sc::matrix H, D, C, A, Lxi, Lsig;
  double T = 0.2;
  double exact = 0;  // ½ tr(C Σ)
};

ou_problem make_ou() {
  test_support::fixture_rng rng(5);
  const sc::index p = 5;
  ou_problem o;
  const sc::matrix U = orthogonal(p, rng);
  sc::vector lam(p);
  lam << 3.0, 2.0, 1.2, 0.8, 0.5;
  o.H = U * lam.asDiagonal() * U.transpose();
  const sc::matrix G = gaussian(p, p, rng);
  o.D = G * G.transpose() + 0.1 * sc::matrix::Identity(p, p);
  const sc::matrix Cg = gaussian(p, p, rng);
  o.C = Cg * Cg.transpose();
  const double dt = 0.1;
  o.A = U * (-dt * lam.array()).exp().matrix().asDiagonal() * U.transpose();
  const sc::matrix Sigma = sc::dense_lyapunov(o.H, o.D, o.T).dense();
  sc::matrix Q = Sigma - o.A * Sigma * o.A.transpose();
  Q = 0.5 * (Q + Q.transpose());
  o.Lxi = Q.llt().matrixL();
  o.Lsig = Sigma.llt().matrixL();
  o.exact = 0.5 * (o.C * Sigma).trace();
  return o;
}

sc::matrix simulate(const ou_problem& o, sc::index n, std::uint64_t seed) {
  test_support::fixture_rng rng(seed);
  const sc::index p = o.H.rows();
  sc::matrix X(p, n);
  sc::vector z(p);
  for (sc::index i = 0; i < p; ++i) z(i) = rng.normal();
  sc::vector th = o.Lsig * z;
  for (sc::index t = 0; t < n; ++t) {
    X.col(t) = th;
    for (sc::index i = 0; i < p; ++i) z(i) = rng.normal();
    th = o.A * th + o.Lxi * z;
  }
  return X;
}

TEST_CASE("covariance_curvature_estimate on an exactly discretized OU process (p = 5, 20000 steps)") {
  const auto o = make_ou();
  const sc::matrix X = simulate(o, 20000, 1);
  const sc::matrix_operator C(o.C);
  const auto r = sc::covariance_curvature_estimate(C, X);
  REQUIRE(r.ok());
  MESSAGE("estimate ", r.value, " ± ", r.standard_error, " vs exact ", o.exact, " (mean correction ",
          r.mean_correction, ", batch autocorrelation ", r.batch_autocorrelation, ")");
  CHECK(r.batches == 20);
  CHECK(r.batch_size == 1000);
  CHECK(r.samples == 20000);
  CHECK(r.operator_applications == 20020);
  CHECK(std::abs(r.value - o.exact) < 4 * r.standard_error);
  CHECK(r.standard_error < 0.05 * o.exact);  // the measurement is informative at all
  // The same iterates as a std::vector give the same numbers.
  std::vector<sc::vector> v;
  for (sc::index t = 0; t < X.cols(); ++t) v.push_back(X.col(t));
  const auto r2 = sc::covariance_curvature_estimate(C, v);
  CHECK(r2.value == doctest::Approx(r.value).epsilon(1e-14));
  CHECK(r2.standard_error == doctest::Approx(r.standard_error).epsilon(1e-14));
}

TEST_CASE("covariance_curvature_estimate: the batch-means standard error matches the spread of 30 replicas") {
  const auto o = make_ou();
  const sc::matrix_operator C(o.C);
  const int R = 30;
  std::vector<double> values, ses;
  for (int rep = 0; rep < R; ++rep) {
    const auto r = sc::covariance_curvature_estimate(C, simulate(o, 20000, 100 + rep));
    values.push_back(r.value);
    ses.push_back(r.standard_error);
  }
  double m = 0, mse = 0;
  for (int i = 0; i < R; ++i) m += values[i] / R, mse += ses[i] / R;
  double var = 0;
  for (double x : values) var += (x - m) * (x - m) / (R - 1);
  const double sd = std::sqrt(var);
  MESSAGE("30 replicas: sd of estimates ", sd, ", mean batch-means s.e. ", mse, ", mean ", m, " vs exact ",
          o.exact);
  // sd over 30 replicas has relative error ≈ 1/√58 ≈ 13%; the averaged s.e. ≈ 3%: a ratio in
  // [0.65, 1.5] is ≈ 3σ.  Batch means with L = 1000 ≫ the correlation time (≈ 10 steps)
  // underestimate by only O(τ/L).
  CHECK(mse / sd > 0.65);
  CHECK(mse / sd < 1.5);
  // The replica mean is unbiased to within its own error (the mean correction removes the
  // O(τ/n) bias of subtracting θ̄).
  CHECK(std::abs(m - o.exact) < 4 * sd / std::sqrt(static_cast<double>(R)));
}

TEST_CASE("covariance_curvature_estimate: fewer iterates than batches is tolerance_not_met") {
  const auto o = make_ou();
  const auto r = sc::covariance_curvature_estimate(sc::matrix_operator(o.C), simulate(o, 7, 3));
  CHECK(r.status == sc::status::tolerance_not_met);
  CHECK(r.batches == 7);
  CHECK(std::isfinite(r.value));
  CHECK(!r.message.empty());
}

TEST_CASE("covariance_curvature_estimate: bad input throws naming the function") {
  using test_support::throws_naming;
  const sc::matrix H = sc::matrix::Identity(4, 4);
  const sc::matrix_operator Hop(H), D3(sc::matrix::Identity(3, 3));
  const std::string ce = "covariance_curvature_estimate";
  test_support::fixture_rng rng(1);
  sc::matrix X = test_support::uniform_matrix(4, 50, rng);
  throws_naming([&] { (void)sc::covariance_curvature_estimate(Hop, sc::matrix(X.leftCols(1))); }, ce);
  throws_naming([&] { (void)sc::covariance_curvature_estimate(Hop, std::vector<sc::vector>{X.col(0)}); }, ce);
  throws_naming([&] { (void)sc::covariance_curvature_estimate(Hop, X, {.batches = 1}); }, ce);
  throws_naming([&] { (void)sc::covariance_curvature_estimate(D3, X); }, ce);
  std::vector<sc::vector> ragged{X.col(0), X.col(1), sc::vector::Zero(3)};
  throws_naming([&] { (void)sc::covariance_curvature_estimate(Hop, ragged); }, ce);
  X(2, 7) = std::nan("");
  throws_naming([&] { (void)sc::covariance_curvature_estimate(Hop, X); }, ce);
}

}  // namespace covariance_curvature_test
