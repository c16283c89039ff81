// Eq 12: the shift projected onto the span of the per-test-sample gradients, against an
// explicit orthogonal projector built here by modified Gram–Schmidt.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include <Eigen/Dense>

#include "shiftcurv/derivatives/per_sample.hpp"
#include "shiftcurv/generalization/shift.hpp"

namespace sc = shiftcurv;

namespace {

// Over-parametrized least squares: U(x_i, θ) = ½(a_iᵀθ − y_i)², p = 6 > N = 3.
struct least_squares {
  sc::matrix X;
  sc::vector y;
  sc::index num_samples() const { return X.rows(); }
  double value(const sc::vector& th, sc::index i) const {
    const double r = X.row(i).dot(th) - y(i);
    return 0.5 * r * r;
  }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const {
    g = (X.row(i).dot(th) - y(i)) * X.row(i).transpose();
  }
};

sc::matrix data_matrix() {
  sc::matrix X(3, 6);
  X << 1.0, 0.5, -0.2, 0.0, 0.3, 0.1,   //
      -0.4, 1.2, 0.7, 0.2, 0.0, -0.5,   //
      0.3, -0.1, 0.9, 1.1, -0.6, 0.4;
  return X;
}

// Orthonormal basis of the row space of M by modified Gram–Schmidt (rows with a remaining
// norm below `drop` · their original norm are dropped), and the projector Q Qᵀ.
sc::matrix gram_schmidt_projector(const sc::matrix& M, double drop = 1e-9) {
  std::vector<sc::vector> q;
  for (sc::index i = 0; i < M.rows(); ++i) {
    sc::vector v = M.row(i).transpose();
    const double n0 = v.norm();
    for (int pass = 0; pass < 2; ++pass)  // re-orthogonalize once
      for (const auto& e : q) v -= e.dot(v) * e;
    if (v.norm() > drop * n0) q.push_back(v / v.norm());
  }
  sc::matrix P = sc::matrix::Zero(M.cols(), M.cols());
  for (const auto& e : q) P += e * e.transpose();
  return P;
}

sc::vector some_shift() {
  sc::vector s(6);
  s << 0.3, -0.7, 0.2, 0.5, -0.1, 0.9;
  return s;
}

}  // namespace

TEST_CASE("the projected shift equals the explicit projector onto the test-gradient span") {
  const least_squares test_set{data_matrix(), (sc::vector(3) << 0.5, -1.0, 2.0).finished()};
  sc::vector theta_train(6);
  theta_train << 0.1, 0.2, -0.3, 0.4, 0.0, -0.1;
  const sc::vector s = some_shift();
  const sc::matrix G = sc::sample_gradients(test_set, theta_train);
  // The gradients at θ_tr are nonzero multiples of the data rows: the span is span{a_i}.
  const sc::matrix P = gram_schmidt_projector(data_matrix());
  CHECK(std::abs(P.trace() - (3.0)) <= 1e-12 * std::abs(3.0));

  const auto r = sc::project_shift(s, G);
  CHECK(r.ok());
  CHECK(r.rank == 3);
  CHECK(r.near_threshold == 0);
  // Backward-stable SVD vs Gram–Schmidt: both accurate to ~ε·cond; asserted 1e-12.
  CHECK((r.shift - P * s).norm() <= 1e-12 * s.norm());
  CHECK(std::abs(r.removed_norm - ((s - P * s).norm())) <= 1e-10 * std::abs((s - P * s).norm()));
  CHECK((sc::projected_shift(s, G) - P * s).norm() <= 1e-12 * s.norm());
  // The same through the per-sample overload.
  const auto r2 = sc::project_shift(s, test_set, theta_train);
  CHECK((r2.shift - P * s).norm() <= 1e-12 * s.norm());

  // Appendix D.4: the test Hessian C = (1/N)Σ a_i a_iᵀ has range G, so the shift-curvature is
  // unchanged by the projection, and the projection is the shortest shift that keeps it.
  const sc::matrix X = data_matrix();
  const sc::matrix C = X.transpose() * X / 3.0;
  CHECK(std::abs(r.shift.dot(C * r.shift) - (s.dot(C * s))) <= 1e-12 * std::abs(s.dot(C * s)));
  CHECK(r.shift.norm() < s.norm());
  // Any other shift s + w with w ⟂ G (w = (I − P)z) is longer.
  const sc::vector z = (sc::vector(6) << 1, -1, 2, 0.5, 0.3, -0.8).finished();
  const sc::vector other = r.shift + (sc::matrix::Identity(6, 6) - P) * z;
  CHECK(std::abs(other.dot(C * other) - (s.dot(C * s))) <= 1e-12 * std::abs(s.dot(C * s)));
  CHECK(other.norm() > r.shift.norm());
}

TEST_CASE("the rank tolerance decides nearly dependent gradients") {
  // Rows 0, 1 independent; row 2 = row 0 + row 1 + δ·e, δ = 1e-11 relative: numerically
  // rank 2 at the default tolerance 1e-8, rank 3 at tolerance 0.
  sc::matrix G = data_matrix();
  const sc::vector e = (sc::vector(6) << 0, 0, 0, 0, 0, 1).finished();
  G.row(2) = G.row(0) + G.row(1) + 1e-11 * e.transpose();
  const sc::vector s = some_shift();
  const auto r = sc::project_shift(s, G);
  CHECK(r.rank == 2);
  sc::matrix two = G.topRows(2);
  const sc::matrix P2 = gram_schmidt_projector(two);
  // Dropping a direction of relative size 1e-11 moves the projector by ~1e-11 in its other
  // directions: asserted 1e-9.
  CHECK((r.shift - P2 * s).norm() <= 1e-9 * s.norm());
  const auto r0 = sc::project_shift(s, G, {.rank_tolerance = 0.0});
  CHECK(r0.rank == 3);
  // An exactly duplicated row: rank 2 even at tolerance 0 up to rounding (σ_3 ≈ 1e-16·σ_1),
  // so use the default.
  G.row(2) = 2.0 * G.row(0);
  CHECK(sc::project_shift(s, G).rank == 2);
  // A singular value at 2·threshold is fragile: reported in near_threshold.
  G.row(2) = G.row(0) + G.row(1) + 2e-8 * G.row(0).norm() * e.transpose();
  CHECK(sc::project_shift(s, G).near_threshold >= 1);
}

TEST_CASE("under-parametrized: full-rank gradients leave the shift unchanged") {
  sc::matrix G(8, 3);
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 3; ++j) G(i, j) = std::sin(1.3 * (j + 1) * i + 0.2);  // distinct frequencies: rank 3
  const sc::vector s = (sc::vector(3) << 0.1, -0.2, 0.3).finished();
  const auto r = sc::project_shift(s, G);
  CHECK(r.rank == 3);
  CHECK((r.shift - s).norm() <= 1e-14);
}

TEST_CASE("gradients that vanish give a zero projection and say so") {
  // An interpolating test minimum: every residual is zero, so every per-sample gradient is.
  const sc::matrix X = data_matrix();
  sc::vector theta(6);
  theta << 0.1, 0.2, -0.3, 0.4, 0.0, -0.1;
  const least_squares interpolated{X, X * theta};
  const auto r = sc::project_shift(some_shift(), interpolated, theta);
  CHECK(r.rank == 0);
  CHECK(r.status == sc::status::assumption_violated);
  CHECK(!r.message.empty());
  CHECK(r.shift.norm() == 0.0);
}

TEST_CASE("project_shift rejects bad input") {
  using ia = sc::invalid_argument;
  using de = sc::domain_error;
  const sc::vector s = some_shift();
  const sc::matrix G = data_matrix();
  CHECK_THROWS_AS(sc::project_shift(s, sc::matrix(0, 6)), ia);
  CHECK_THROWS_AS(sc::project_shift(s, sc::matrix::Ones(3, 5)), ia);
  CHECK_THROWS_AS(sc::project_shift(sc::vector(), sc::matrix(3, 0)), ia);
  sc::matrix Gn = G;
  Gn(1, 2) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(sc::project_shift(s, Gn), ia);
  sc::vector sn = s;
  sn(0) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(sc::projected_shift(sn, G), ia);
  CHECK_THROWS_AS(sc::project_shift(s, G, {.rank_tolerance = -1e-3}), de);
  CHECK_THROWS_AS(sc::project_shift(s, G, {.rank_tolerance = 1.0}), de);
  CHECK_THROWS_AS(sc::project_shift(s, G, {.rank_tolerance = std::nan("")}), ia);
  const least_squares test_set{G, sc::vector::Zero(3)};
  CHECK_THROWS_AS(sc::project_shift(s, test_set, sc::vector::Zero(4)), ia);
}
