// Appendix D.1 (studies/flat_direction_variance.hpp) on a linear model where the stationary covariance of
// eq-13 SGD is known exactly: the second-moment recursion of the affine random map
// θ ← K_b θ + λ c_b + √(λT) β w, averaged over every equally likely minibatch (B = 2: the N²
// ordered pairs with replacement, the N(N − 1) distinct ones without), is a p²×p² linear system
// solved here by LU — an independent reference for the complement, the random directions and
// the span; also with duplicate rows (rank < N), at an interpolating point (rank 0), with
// thinning (and against sgd_iterates' records); a divergent run; bad input throws.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>
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

/// Every minibatch of B indices out of N, each equally likely: with replacement the N^B ordered
/// draws, without it the N!/(N−B)! ordered draws of distinct indices (what the stepper's partial
/// Fisher–Yates draws at every step, whatever its permutation's state).
std::vector<std::vector<sc::index>> flatdir_all_batches(sc::index N, sc::index B, bool distinct) {
  std::vector<std::vector<sc::index>> out;
  std::vector<sc::index> cur;
  auto rec = [&](auto&& self) -> void {
    if (static_cast<sc::index>(cur.size()) == B) {
      out.push_back(cur);
      return;
    }
    for (sc::index i = 0; i < N; ++i) {
      if (distinct && std::find(cur.begin(), cur.end(), i) != cur.end()) continue;
      cur.push_back(i);
      self(self);
      cur.pop_back();
    }
  };
  rec(rec);
  return out;
}

/// The exact stationary covariance of eq-13 SGD on the least-squares loss, its minibatch drawn
/// uniformly from `batches`: the affine random map θ ← K_b θ + λ c_b + √(λT) β w with
/// K_b = I − λ((1/B) Σ_{i∈b} a_i a_iᵀ + αI), c_b = (1/B) Σ_{i∈b} a_i y_i; its mean solves
/// m = E[K] m + λE[c], its second moment the p²×p² system S = E[K S Kᵀ] + λ(E[K m cᵀ] + E[c mᵀ Kᵀ])
/// + λ²E[c cᵀ] + λTβ² I (LU).
sc::matrix flatdir_exact_covariance(const flatdir_least_squares& f, const sc::sgd_options& o,
                                    const std::vector<std::vector<sc::index>>& batches) {
  const double lr = o.learning_rate, T = o.temperature();
  const sc::index p = f.A.cols();
  const sc::matrix I = sc::matrix::Identity(p, p);
  const sc::index p2 = p * p;
  sc::matrix EKK = sc::matrix::Zero(p2, p2);
  sc::matrix EK = sc::matrix::Zero(p, p);
  sc::vector Ec = sc::vector::Zero(p);
  sc::matrix Ecc = sc::matrix::Zero(p, p);
  std::vector<sc::matrix> Ks;
  std::vector<sc::vector> cs;
  for (const auto& batch : batches) {
    const double inv_b = 1.0 / static_cast<double>(batch.size());
    sc::matrix G = sc::matrix::Zero(p, p);
    sc::vector c = sc::vector::Zero(p);
    for (const sc::index i : batch) {
      const sc::vector a = f.A.row(i).transpose();
      G += inv_b * a * a.transpose();
      c += inv_b * f.y(i) * a;
    }
    const sc::matrix K = I - lr * (G + o.alpha * I);
    Ks.push_back(K);
    cs.push_back(c);
    for (sc::index a = 0; a < p; ++a)
      for (sc::index b = 0; b < p; ++b) EKK.block(a * p, b * p, p, p) += K(a, b) * K;  // K ⊗ K
    EK += K;
    Ec += c;
    Ecc += c * c.transpose();
  }
  const double w = 1.0 / static_cast<double>(batches.size());
  EKK *= w, EK *= w, Ec *= w, Ecc *= w;
  const sc::vector m = (I - EK).partialPivLu().solve(lr * Ec);
  sc::matrix R = lr * lr * Ecc + lr * T * o.beta * o.beta * I;
  for (std::size_t k = 0; k < Ks.size(); ++k) {
    const sc::matrix X = Ks[k] * m * cs[k].transpose();
    R += lr * w * (X + X.transpose());
  }
  const sc::vector vecS = (sc::matrix::Identity(p2, p2) - EKK).partialPivLu().solve(R.reshaped());
  const sc::matrix S = vecS.reshaped(p, p);
  return S - m * m.transpose();
}

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
  flatdir_problem(sc::matrix A, sc::vector y, sc::sgd_options opt) : p(A.cols()), N(A.rows()), o(opt) {
    f.A = std::move(A);
    f.y = std::move(y);
    const sc::matrix H = f.A.transpose() * f.A / static_cast<double>(N);
    theta_star = (H + o.alpha * sc::matrix::Identity(p, p)).ldlt().solve(f.A.transpose() * f.y / static_cast<double>(N));
  }
  /// The exact stationary covariance of the SGD recursion (B = 2 with replacement).
  sc::matrix exact_covariance() const { return flatdir_exact_covariance(f, o, flatdir_all_batches(N, o.batch_size, false)); }
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

namespace {
/// The exact complement and span variances (per direction) of Σ, the span that of the rows of A.
struct flatdir_exact_parts {
  double perp = 0, span = 0;
};
flatdir_exact_parts flatdir_exact_split(const sc::matrix& rows, const sc::matrix& Sigma) {
  const sc::index p = rows.cols(), r = rows.rows();
  Eigen::HouseholderQR<sc::matrix> qr(rows.transpose());
  const sc::matrix Q = qr.householderQ() * sc::matrix::Identity(p, r);
  const sc::matrix Pperp = sc::matrix::Identity(p, p) - Q * Q.transpose();
  return {(Pperp * Sigma * Pperp).trace() / static_cast<double>(p - r),
          (Q.transpose() * Sigma * Q).trace() / static_cast<double>(r)};
}
}  // namespace

TEST_SUITE("noise") {
TEST_CASE("flat_direction_variance: minibatches without replacement against the exact covariance over all distinct pairs") {
  sc::sgd_options o;
  o.learning_rate = 0.2;
  o.batch_size = 2;
  o.sampling = sc::minibatch_sampling::without_replacement;
  o.alpha = 1.0;
  o.beta = 0.8;
  test_support::fixture_rng rng(5);
  sc::matrix A = test_support::uniform_matrix(5, 12, rng);
  // residuals O(1) at θ*: the span's gradient noise, which the sampling scheme scales by
  // (N − B)/(N − 1) = 3/4, outweighs its isotropic β² noise
  sc::vector y = 3.0 * test_support::uniform_vector(5, rng);
  const flatdir_problem P(A, y, o);
  const auto exact = flatdir_exact_split(P.f.A, flatdir_exact_covariance(P.f, o, flatdir_all_batches(5, 2, true)));
  sc::sgd_options ow = o;
  ow.sampling = sc::minibatch_sampling::with_replacement;
  const auto exact_with = flatdir_exact_split(P.f.A, flatdir_exact_covariance(P.f, ow, flatdir_all_batches(5, 2, false)));
  const double ar1 = o.temperature() * o.beta * o.beta / (o.alpha * (2 - o.learning_rate * o.alpha));
  CHECK(std::abs(exact.perp - ar1) < 1e-10 * ar1);  // the complement sees neither scheme's gradient noise

  sc::flat_direction_variance_options opt;
  opt.steps = 100000;  // 20000 relaxation times 1/(λα)
  opt.seed = 11;
  const auto r = sc::flat_direction_variance(P.f, P.theta_star, o, opt);
  CAPTURE(r.message);
  REQUIRE(r.status == sc::status::success);
  CHECK(r.rank == 5);
  CAPTURE(r.variance);
  CAPTURE(r.standard_error);
  CAPTURE(exact.perp);
  CAPTURE(r.span_variance);
  CAPTURE(r.span_standard_error);
  CAPTURE(exact.span);
  CAPTURE(exact_with.span);
  // 4 batch-means standard errors (two-sided 99.99 % for a normal mean)
  CHECK(std::abs(r.variance - exact.perp) < 4 * r.standard_error);
  CHECK(std::abs(r.direction_variance - exact.perp) < 4 * r.direction_standard_error);
  CHECK(std::abs(r.span_variance - exact.span) < 4 * r.span_standard_error);
  // the measurement tells the schemes apart: the with-replacement span value is far outside
  CHECK(std::abs(exact_with.span - exact.span) > 10 * r.span_standard_error);
}

TEST_CASE("flat_direction_variance: duplicate rows (rank r < N) against the exact covariance") {
  const flatdir_problem P0;
  test_support::fixture_rng rng(9);
  sc::matrix A = test_support::uniform_matrix(6, 12, rng);
  A.row(5) = A.row(0);  // sample 5 repeats sample 0's input with another target
  sc::vector y = 0.3 * test_support::uniform_vector(6, rng);
  y(5) = y(0) + 0.4;
  const flatdir_problem P(A, y, P0.o);
  // g_0 and g_5 are both multiples of a_0 (nonzero residuals): the span is that of the 5 distinct rows
  CHECK(std::abs(P.f.A.row(0).dot(P.theta_star) - y(0)) > 1e-3);
  CHECK(std::abs(P.f.A.row(5).dot(P.theta_star) - y(5)) > 1e-3);
  const auto exact = flatdir_exact_split(P.f.A.topRows(5), P.exact_covariance());

  sc::flat_direction_variance_options opt;
  opt.steps = 100000;
  opt.seed = 12;
  const auto r = sc::flat_direction_variance(P.f, P.theta_star, P.o, opt);
  CAPTURE(r.message);
  REQUIRE(r.status == sc::status::success);
  CHECK(r.samples == 6);
  CHECK(r.rank == 5);
  CAPTURE(r.variance);
  CAPTURE(r.standard_error);
  CAPTURE(exact.perp);
  CAPTURE(r.span_variance);
  CAPTURE(r.span_standard_error);
  CAPTURE(exact.span);
  CHECK(std::abs(r.variance - exact.perp) < 4 * r.standard_error);  // over p − r = 7 directions
  CHECK(std::abs(r.direction_variance - exact.perp) < 4 * r.direction_standard_error);
  CHECK(std::abs(r.span_variance - exact.span) < 4 * r.span_standard_error);  // over r = 5
}

TEST_CASE("flat_direction_variance: an interpolating point (every gradient zero) is assumption_violated and measures the whole space") {
  const flatdir_problem P0;
  // y = 0: θ* = 0 interpolates (every residual, hence every g_i, is exactly 0) and is the
  // minimum of U_tr + (α/2)|θ|²
  const flatdir_problem P(P0.f.A, sc::vector::Zero(P0.N), P0.o);
  REQUIRE(P.theta_star.norm() == 0.0);
  const sc::matrix Sigma = P.exact_covariance();
  const double whole = Sigma.trace() / static_cast<double>(P.p);

  sc::flat_direction_variance_options opt;
  opt.steps = 100000;
  opt.seed = 13;
  const auto r = sc::flat_direction_variance(P.f, P.theta_star, P.o, opt);
  CAPTURE(r.message);
  CHECK(r.status == sc::status::assumption_violated);
  CHECK(r.message.rfind("shiftcurv::flat_direction_variance:", 0) == 0);
  CHECK(r.message.find("rank 0") != std::string::npos);
  CHECK(r.rank == 0);
  CHECK(r.span_variance == 0.0);
  CHECK(r.span_standard_error == 0.0);
  CAPTURE(r.variance);
  CAPTURE(r.standard_error);
  CAPTURE(whole);
  // the whole space counts as the complement: tr Σ / p
  CHECK(std::abs(r.variance - whole) < 4 * r.standard_error);
  // which is not Tβ²/(α(2 − λα)): the curvature of the span's directions is in it
  CHECK(std::abs(r.prediction_discrete - whole) > 10 * r.standard_error);
}

TEST_CASE("flat_direction_variance: thinning > 1 records every thinning-th iterate (against sgd_iterates) and the exact covariance") {
  const flatdir_problem P;
  const auto exact = flatdir_exact_split(P.f.A, P.exact_covariance());
  sc::flat_direction_variance_options opt;
  opt.steps = 150000;
  opt.thinning = 3;
  opt.seed = 14;
  const auto r = sc::flat_direction_variance(P.f, P.theta_star, P.o, opt);
  CAPTURE(r.message);
  REQUIRE(r.status == sc::status::success);
  CHECK(r.steps == 150000);
  CHECK(r.records == 50000);
  CHECK(r.batches == 20);
  CHECK(r.batch_size == 2500);
  CHECK(r.burn_in == 50);  // ⌈burn_in_relaxations/(λα)⌉ = ⌈10/0.2⌉
  CAPTURE(r.variance);
  CAPTURE(r.standard_error);
  CAPTURE(exact.perp);
  CAPTURE(r.span_variance);
  CAPTURE(r.span_standard_error);
  CAPTURE(exact.span);
  CHECK(std::abs(r.variance - exact.perp) < 4 * r.standard_error);
  CHECK(std::abs(r.span_variance - exact.span) < 4 * r.span_standard_error);

  // The same records from sgd_iterates (the same Philox stream (seed, 0)), the estimator written
  // out: mean_t |P(θ_t − θ̄)|²/dim + Σ_j |P(m_j − θ̄)|²/(b(b − 1) dim), m_j the batch means.
  const sc::index n = 50000, b = 20, L = 2500;
  const sc::matrix X = sc::sgd_iterates(P.f, P.theta_star, P.o,
                                        {.burn_in = r.burn_in, .records = n, .thinning = 3, .seed = 14, .trajectory = 0})
                           .iterates;
  REQUIRE(X.cols() == n);
  Eigen::HouseholderQR<sc::matrix> qr(P.f.A.transpose());
  const sc::matrix Q = qr.householderQ() * sc::matrix::Identity(P.p, P.N);
  const sc::matrix Pperp = sc::matrix::Identity(P.p, P.p) - Q * Q.transpose();
  const sc::vector mean = X.rowwise().mean();
  const sc::matrix dX = X.colwise() - mean;
  double perp = (Pperp * dX).colwise().squaredNorm().mean();
  double span = (Q.transpose() * dX).colwise().squaredNorm().mean();
  double cperp = 0, cspan = 0;
  for (sc::index j = 0; j < b; ++j) {
    const sc::vector dj = X.middleCols(j * L, L).rowwise().mean() - mean;
    cperp += (Pperp * dj).squaredNorm();
    cspan += (Q.transpose() * dj).squaredNorm();
  }
  perp = (perp + cperp / (b * (b - 1.0))) / static_cast<double>(P.p - P.N);
  span = (span + cspan / (b * (b - 1.0))) / static_cast<double>(P.N);
  CHECK(std::abs(r.variance - perp) < 1e-9 * perp);
  CHECK(std::abs(r.span_variance - span) < 1e-9 * span);
}

TEST_CASE("flat_direction_variance: a divergent run stops with numerical_issue") {
  const flatdir_problem P0;
  // |a_i|² ≈ 400: a step multiplies the span's components by about 1 − λ|a_i|²/B ≈ −39
  const flatdir_problem P(10.0 * P0.f.A, P0.f.y, P0.o);
  REQUIRE(P.o.learning_rate * P.o.alpha < 2);  // the complement alone would be stable
  sc::flat_direction_variance_options opt;
  opt.steps = 100000;
  opt.seed = 15;
  const auto r = sc::flat_direction_variance(P.f, P.theta_star, P.o, opt);
  CAPTURE(r.message);
  CHECK(r.status == sc::status::numerical_issue);
  CHECK(r.message.rfind("shiftcurv::flat_direction_variance:", 0) == 0);
  CHECK(r.message.find("non-finite") != std::string::npos);
  CHECK(r.burn_in + r.steps < 1000);  // ≈ log(1e308)/log(39) ≈ 200 steps, then it stops
  CHECK(r.iterations == r.burn_in + r.steps);
  CHECK(r.records == 0);
}

TEST_CASE("flat_direction_variance: each out-of-range option throws, naming the function and the option") {
  const flatdir_problem P;
  sc::flat_direction_variance_options good;
  good.steps = 1000;
  auto throws = [&](const sc::flat_direction_variance_options& opt, const sc::sgd_options& o, const std::string& what,
                    bool domain) {
    try {
      (void)sc::flat_direction_variance(P.f, P.theta_star, o, opt);
      FAIL("no exception for " << what);
    } catch (const sc::domain_error& e) {
      CHECK(domain);
      const std::string m = e.what();
      CAPTURE(m);
      CHECK(m.rfind("shiftcurv::flat_direction_variance:", 0) == 0);
      CHECK(m.find(what) != std::string::npos);
    } catch (const sc::invalid_argument& e) {
      CHECK(!domain);
      const std::string m = e.what();
      CAPTURE(m);
      CHECK(m.rfind("shiftcurv::flat_direction_variance:", 0) == 0);
      CHECK(m.find(what) != std::string::npos);
    }
  };
  auto with = [&](auto set) {
    sc::flat_direction_variance_options o = good;
    set(o);
    return o;
  };
  using opts = sc::flat_direction_variance_options;
  throws(with([](opts& o) { o.thinning = 0; }), P.o, "options.thinning must be >= 1, got 0", false);
  throws(with([](opts& o) { o.batches = 1; }), P.o, "options.batches must be >= 2, got 1", false);
  throws(with([](opts& o) { o.directions = -1; }), P.o, "options.directions must be >= 0, got -1", false);
  throws(with([](opts& o) { o.steps = -1; }), P.o, "options.steps must be >= 0, got -1", false);
  throws(with([](opts& o) { o.rank_tolerance = -0.1; }), P.o, "options.rank_tolerance must be in [0, 1), got -0.1", true);
  throws(with([](opts& o) { o.rank_tolerance = 1.0; }), P.o, "options.rank_tolerance must be in [0, 1), got 1", true);
  throws(with([](opts& o) { o.rank_tolerance = std::numeric_limits<double>::quiet_NaN(); }), P.o,
         "options.rank_tolerance must be finite", false);
  throws(with([](opts& o) { o.steps = 0, o.sample_relaxations = 0; }), P.o, "options.sample_relaxations must be > 0, got 0",
         false);
  throws(with([](opts& o) { o.sample_relaxations = std::numeric_limits<double>::quiet_NaN(); }), P.o,
         "options.sample_relaxations must be > 0, got nan", false);
  throws(with([](opts& o) { o.burn_in_relaxations = -1; }), P.o, "options.burn_in_relaxations must be >= 0, got -1",
         false);
  throws(with([](opts& o) { o.steps = 11, o.thinning = 3; }), P.o, "gives 3 records, need at least 4", false);
  sc::sgd_options o = P.o;
  o.beta = std::numeric_limits<double>::infinity();
  throws(good, o, "sgd.beta must be finite", false);
  o = P.o, o.sampling = sc::minibatch_sampling::without_replacement, o.batch_size = 6;  // N = 5
  throws(good, o, "batch_size", false);
  // a valid edge of each: runs
  CHECK_NOTHROW((void)sc::flat_direction_variance(P.f, P.theta_star, P.o,
                                                  with([](opts& o) { o.directions = 0, o.batches = 2, o.rank_tolerance = 0; })));
}
}
