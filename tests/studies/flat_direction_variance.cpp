// Appendix D.1 (studies/flat_direction_variance.hpp) on a linear model where the stationary covariance of
// eq-13 SGD is known exactly: the second-moment recursion of the affine random map
// θ ← K_b θ + λ c_b + √(λT) β w, averaged over the N² equally likely minibatches (B = 2, drawn
// with replacement), is a p²×p² linear system solved here by LU — an independent reference
// for the complement, the random directions and the span.  Bad input throws.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include <Eigen/Dense>

#include "shiftcurv/studies/flat_direction_variance.hpp"
#include "random_matrices.hpp"

namespace sc = shiftcurv;

namespace {
// U(x_i, θ) = ½ (a_iᵀθ − y_i)², rows a_i of A.
struct flatdir_least_squares {
  sc::matrix A;
  sc::vector y;
  sc::index num_samples() const { return A.rows(); }
  sc::index dimension() const { return A.cols(); }
  double value(const sc::vector& th, sc::index i) const {
    const double r = A.row(i).dot(th) - y(i);
    return 0.5 * r * r;
  }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const {
    g = (A.row(i).dot(th) - y(i)) * A.row(i).transpose();
  }
};

struct flatdir_problem {
  sc::index p = 12, N = 5;
  flatdir_least_squares f;
  sc::sgd_options o;
  sc::vector theta_star;
  flatdir_problem() {
    test_support::fixture_rng rng(3);
    f.A = test_support::uniform_matrix(N, p, rng);
    f.y = 0.3 * test_support::uniform_vector(N, rng);
    o.learning_rate = 0.2;
    o.batch_size = 2;
    o.alpha = 1.0;  // λα = 0.2: the discrete and SDE predictions differ by 11 %
    o.beta = 0.8;
    // the minimum of U_tr + (α/2)|θ|²: (AᵀA/N + αI) θ = Aᵀy/N
    const sc::matrix H = f.A.transpose() * f.A / static_cast<double>(N);
    theta_star = (H + o.alpha * sc::matrix::Identity(p, p)).ldlt().solve(f.A.transpose() * f.y / static_cast<double>(N));
  }
  /// The exact stationary covariance of the SGD recursion (B = 2 with replacement).
  sc::matrix exact_covariance() const {
    const double lr = o.learning_rate, T = o.temperature();
    const sc::matrix I = sc::matrix::Identity(p, p);
    const sc::index p2 = p * p;
    sc::matrix EKK = sc::matrix::Zero(p2, p2);
    sc::matrix EK = sc::matrix::Zero(p, p);
    sc::vector Ec = sc::vector::Zero(p);
    sc::matrix Ecc = sc::matrix::Zero(p, p);
    std::vector<sc::matrix> Ks;
    std::vector<sc::vector> cs;
    for (sc::index i = 0; i < N; ++i)
      for (sc::index j = 0; j < N; ++j) {
        const sc::vector ai = f.A.row(i).transpose(), aj = f.A.row(j).transpose();
        const sc::matrix K = I - lr * (0.5 * (ai * ai.transpose() + aj * aj.transpose()) + o.alpha * I);
        const sc::vector c = 0.5 * (ai * f.y(i) + aj * f.y(j));
        Ks.push_back(K);
        cs.push_back(c);
        for (sc::index a = 0; a < p; ++a)
          for (sc::index b = 0; b < p; ++b) EKK.block(a * p, b * p, p, p) += K(a, b) * K;  // K ⊗ K
        EK += K;
        Ec += c;
        Ecc += c * c.transpose();
      }
    const double w = 1.0 / static_cast<double>(N * N);
    EKK *= w, EK *= w, Ec *= w, Ecc *= w;
    // mean: m = E[K] m + λ E[c]
    const sc::vector m = (I - EK).partialPivLu().solve(lr * Ec);
    // second moment S = E[K S Kᵀ] + λ(E[K m cᵀ] + E[c mᵀ Kᵀ]) + λ² E[c cᵀ] + λ T β² I
    sc::matrix R = lr * lr * Ecc + lr * T * o.beta * o.beta * I;
    for (std::size_t k = 0; k < Ks.size(); ++k) {
      const sc::matrix X = Ks[k] * m * cs[k].transpose();
      R += lr * w * (X + X.transpose());
    }
    const sc::vector vecS = (sc::matrix::Identity(p2, p2) - EKK).partialPivLu().solve(R.reshaped());
    const sc::matrix S = vecS.reshaped(p, p);
    return S - m * m.transpose();
  }
};
}  // namespace

TEST_SUITE("noise") {
TEST_CASE("flat_direction_variance: a linear model, complement / directions / span against the exact SGD covariance") {
  const flatdir_problem P;
  const sc::matrix Sigma = P.exact_covariance();
  // the span of the a_i (the per-sample gradients at θ* are nonzero multiples of them)
  Eigen::HouseholderQR<sc::matrix> qr(P.f.A.transpose());
  const sc::matrix Q = qr.householderQ() * sc::matrix::Identity(P.p, P.N);
  const sc::matrix Pperp = sc::matrix::Identity(P.p, P.p) - Q * Q.transpose();
  const double exact_perp = (Pperp * Sigma * Pperp).trace() / static_cast<double>(P.p - P.N);
  const double exact_span = (Q.transpose() * Sigma * Q).trace() / static_cast<double>(P.N);
  const double T = P.o.temperature();
  // the reference itself: outside the span it must be the AR(1) value Tβ²/(α(2 − λα))
  const double ar1 = T * P.o.beta * P.o.beta / (P.o.alpha * (2 - P.o.learning_rate * P.o.alpha));
  CHECK(std::abs(exact_perp - ar1) < 1e-10 * ar1);

  sc::flat_direction_variance_options opt;
  opt.steps = 200000;  // relaxation time 5 steps: 40000 relaxations, relative s.e. ≈ 0.4 %
  opt.seed = 7;
  const auto r = sc::flat_direction_variance(P.f, P.theta_star, P.o, opt);
  CAPTURE(r.message);
  REQUIRE(r.status == sc::status::success);
  CHECK(r.rank == P.N);
  CHECK(r.parameters == P.p);
  CHECK(r.samples == P.N);
  CHECK(std::abs(r.prediction - T * P.o.beta * P.o.beta / (2 * P.o.alpha)) < 1e-14);
  CHECK(std::abs(r.prediction_discrete - ar1) < 1e-14);
  CAPTURE(r.variance);
  CAPTURE(r.standard_error);
  CAPTURE(exact_perp);
  CAPTURE(r.direction_variance);
  CAPTURE(r.direction_standard_error);
  CAPTURE(r.span_variance);
  CAPTURE(r.span_standard_error);
  CAPTURE(exact_span);
  // Monte Carlo tolerances: 4 batch-means standard errors (two-sided 99.99 % for a normal mean)
  CHECK(r.standard_error < 0.02 * exact_perp);
  CHECK(std::abs(r.variance - exact_perp) < 4 * r.standard_error);
  CHECK(std::abs(r.direction_variance - exact_perp) < 4 * r.direction_standard_error);
  CHECK(std::abs(r.span_variance - exact_span) < 4 * r.span_standard_error);
  // the measurement resolves the discrete/continuous difference (11 %) and the span's curvature
  CHECK(std::abs(r.variance - r.prediction) > 6 * r.standard_error);
  CHECK(std::abs(r.span_variance - r.variance) > 10 * (r.span_standard_error + r.standard_error));
}

TEST_CASE("flat_direction_variance: short runs are flagged, bad input throws naming the function") {
  const flatdir_problem P;
  sc::flat_direction_variance_options opt;
  opt.steps = 100;  // 20 batches of 5 steps: a batch is one relaxation time
  const auto r = sc::flat_direction_variance(P.f, P.theta_star, P.o, opt);
  CHECK(r.status == sc::status::tolerance_not_met);
  CHECK(r.message.rfind("shiftcurv::flat_direction_variance:", 0) == 0);

  auto throws = [&](sc::sgd_options o, sc::vector th, const std::string& what) {
    try {
      (void)sc::flat_direction_variance(P.f, th, o, opt);
      FAIL("no exception for " << what);
    } catch (const std::exception& e) {
      const std::string m = e.what();
      CAPTURE(m);
      CHECK(m.rfind("shiftcurv::flat_direction_variance:", 0) == 0);
      CHECK(m.find(what) != std::string::npos);
    }
  };
  sc::sgd_options o = P.o;
  o.alpha = 0;
  CHECK_THROWS_AS(sc::flat_direction_variance(P.f, P.theta_star, o), sc::domain_error);
  throws(o, P.theta_star, "alpha");
  o = P.o, o.beta = 0;
  throws(o, P.theta_star, "beta");
  o = P.o, o.learning_rate = 0;
  CHECK_THROWS_AS(sc::flat_direction_variance(P.f, P.theta_star, o), sc::domain_error);
  o = P.o, o.learning_rate = 2.5;
  throws(o, P.theta_star, "learning_rate*alpha");
  o = P.o, o.batch_size = 6;
  CHECK_THROWS_AS(sc::flat_direction_variance(P.f, P.theta_star, o), sc::invalid_argument);
  throws(o, P.theta_star, "batch_size");
  o = P.o, o.batch_size = 0;
  throws(o, P.theta_star, "batch_size");
  sc::vector bad = P.theta_star;
  bad(3) = std::numeric_limits<double>::quiet_NaN();
  throws(P.o, bad, "theta");
  throws(P.o, sc::vector::Zero(5), "theta");
  // not over-parametrized: p = 12 ≤ N = 13
  test_support::fixture_rng rng(4);
  flatdir_least_squares g{test_support::uniform_matrix(13, 12, rng), test_support::uniform_vector(13, rng)};
  CHECK_THROWS_AS(sc::flat_direction_variance(g, P.theta_star, P.o), sc::invalid_argument);
}
}
