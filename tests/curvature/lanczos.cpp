// Top-k eigenpairs by restarted Lanczos (Spectra) and the plain Lanczos tridiagonalization,
// against Eigen's dense SelfAdjointEigenSolver: synthetic matrices Q diag(λ) Qᵀ with known
// spectra (spread, clustered, negative), the Hessian and D of a tiny tanh network, one layer's
// block, and D on a subsample with the 1/|idx| normalization.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include <Eigen/Dense>

#include "shiftcurv/curvature/lanczos.hpp"
#include "shiftcurv/curvature/linear_operator.hpp"
#include "shiftcurv/noise/gradient_covariance.hpp"

#include "curvature/fixtures.hpp"
#include "support.hpp"

namespace sc = shiftcurv;
using curv_test::descending_eigenvalues;
using curv_test::with_spectrum;
using test_support::throws_naming;

// The concept: the adapters model it; a type with the wrong apply shape does not.
namespace {
struct returns_vector {  // apply returns instead of writing into y
  sc::index size() const { return 2; }
  sc::vector apply(const sc::vector& x) const { return x; }
};
struct no_size {
  void apply(const sc::vector& x, sc::vector& y) const { y = x; }
};
// A diffusion model without `apply`: diffusion_operator falls back to its matrix.
struct matrix_only_noise {
  sc::matrix D;
  sc::matrix matrix(const sc::vector&) const { return D; }
  sc::vector divergence(const sc::vector& th) const { return sc::vector::Zero(th.size()); }
  sc::matrix noise_factor(const sc::vector&) const { return D.llt().matrixL(); }
};
// A per-sample loss with its own `subsample` member: subsample() must ask it.
struct batched_least_squares {
  sc::matrix X;
  sc::vector y;
  bool is_subsample = false;
  sc::index num_samples() const { return X.rows(); }
  double value(const sc::vector& th, sc::index i) const { return 0.5 * std::pow(X.row(i).dot(th) - y(i), 2); }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const { g = (X.row(i).dot(th) - y(i)) * X.row(i).transpose(); }
  batched_least_squares subsample(const std::vector<sc::index>& idx) const {
    batched_least_squares s{sc::matrix(static_cast<sc::index>(idx.size()), X.cols()), sc::vector(static_cast<sc::index>(idx.size())), true};
    for (std::size_t k = 0; k < idx.size(); ++k) {
      s.X.row(static_cast<sc::index>(k)) = X.row(idx[k]);
      s.y(static_cast<sc::index>(k)) = y(idx[k]);
    }
    return s;
  }
};
struct nan_operator {
  sc::index size() const { return 5; }
  void apply(const sc::vector& x, sc::vector& y) const {
    y = x;
    y(3) = std::numeric_limits<double>::quiet_NaN();
  }
};
}  // namespace

static_assert(sc::symmetric_operator<sc::matrix_operator>);
static_assert(sc::symmetric_operator<sc::gram_operator>);
static_assert(sc::symmetric_operator<sc::hessian_operator<curv_test::tiny_net&>>);
static_assert(sc::symmetric_operator<sc::block_operator<sc::matrix_operator>>);
static_assert(!sc::symmetric_operator<returns_vector>);
static_assert(!sc::symmetric_operator<no_size>);
static_assert(!sc::symmetric_operator<sc::matrix>);
// Adapters built from an lvalue refer to it, from a temporary keep a copy.
static_assert(std::is_same_v<decltype(sc::hessian_operator(std::declval<curv_test::tiny_net&>(), sc::vector())),
                             sc::hessian_operator<curv_test::tiny_net&>>);
static_assert(std::is_same_v<decltype(sc::hessian_operator(curv_test::tiny_net{}, sc::vector())),
                             sc::hessian_operator<curv_test::tiny_net>>);
static_assert(std::is_same_v<decltype(sc::block_operator(std::declval<sc::matrix_operator&>(), 0, 1)),
                             sc::block_operator<sc::matrix_operator&>>);
static_assert(std::is_same_v<decltype(sc::subsample(std::declval<const curv_test::tiny_net&>(), {})),
                             sc::subsample_of<const curv_test::tiny_net&>>);
// The subsample view keeps the optional members of what it views, and only those.
static_assert(sc::has_sample_hvp<sc::subsample_of<curv_test::tiny_net&>>);
static_assert(!sc::has_sample_hessian<sc::subsample_of<curv_test::tiny_net&>>);
static_assert(sc::has_dimension<sc::subsample_of<curv_test::tiny_net&>>);

TEST_SUITE("curvature") {

// Tolerances for top_eigenpairs: with Spectra's tolerance 1e-10 each Ritz residual is below
// 1e-10·|λ| (≥ ε^{2/3}), and for a symmetric matrix |λ − λ_exact| ≤ ‖residual‖, so eigenvalues
// agree to ≈ 1e-10 relative to the largest |λ|; 1e-9 leaves a factor 10 for rounding in the
// dense reference (≈ p·ε·‖A‖).  Eigenvectors are checked by their dense residual ‖A v − λ v‖,
// which needs no spectral gap, at 1e-8·‖A‖.
TEST_CASE("top_eigenpairs matches the dense eigensolver on known spectra, both ends") {
  const sc::index p = 60;
  sc::vector lambda(p);
  for (sc::index i = 0; i < p; ++i) lambda(i) = 10.0 - 0.5 * static_cast<double>(i);  // 10 … −19.5
  const sc::matrix A = with_spectrum(lambda, 1);
  sc::matrix_operator op(A);
  const sc::vector exact = descending_eigenvalues(A);
  CHECK((exact - lambda).cwiseAbs().maxCoeff() < 1e-12 * 20);  // the construction is right
  const double scale = 19.5;

  SUBCASE("largest algebraic (default), descending") {
    const auto r = sc::top_eigenpairs(op, 5);
    REQUIRE(r.ok());
    REQUIRE(r.values.size() == 5);
    CHECK(r.vectors.cols() == 5);
    for (sc::index j = 0; j < 5; ++j) {
      CHECK(std::abs(r.values(j) - lambda(j)) < 1e-9 * scale);
      CHECK((A * r.vectors.col(j) - r.values(j) * r.vectors.col(j)).norm() < 1e-8 * scale);
      CHECK(r.residual_norms(j) < 1e-8 * scale);
    }
    CHECK((r.vectors.transpose() * r.vectors - sc::matrix::Identity(5, 5)).cwiseAbs().maxCoeff() < 1e-10);
    CHECK(r.operator_applications == op.applications());
    CHECK(r.operator_applications > 0);
  }
  SUBCASE("smallest algebraic: the negative end, ascending") {
    sc::top_eigenpairs_options o;
    o.which = sc::spectrum_end::smallest_algebraic;
    const auto r = sc::top_eigenpairs(op, 4, o);
    REQUIRE(r.ok());
    for (sc::index j = 0; j < 4; ++j) CHECK(std::abs(r.values(j) - lambda(p - 1 - j)) < 1e-9 * scale);
  }
  SUBCASE("largest magnitude: negatives dominate here") {
    sc::top_eigenpairs_options o;
    o.which = sc::spectrum_end::largest_magnitude;
    const auto r = sc::top_eigenpairs(op, 3, o);
    REQUIRE(r.ok());
    // |λ| descending: −19.5, −19, −18.5 (10 is the largest positive)
    for (sc::index j = 0; j < 3; ++j) CHECK(std::abs(r.values(j) - lambda(p - 1 - j)) < 1e-9 * scale);
  }
  SUBCASE("the seed changes the start vector, not the answer") {
    sc::top_eigenpairs_options o;
    o.seed = 77;
    const auto r = sc::top_eigenpairs(op, 5, o);
    REQUIRE(r.ok());
    for (sc::index j = 0; j < 5; ++j) CHECK(std::abs(r.values(j) - lambda(j)) < 1e-9 * scale);
  }
}

TEST_CASE("top_eigenpairs on a clustered spectrum with a small gap") {
  // Top cluster 5, 5 − 1e-4, 5 − 2e-4, 5 − 3e-4 over a bulk in [−1, 1]: the relative gap
  // 2e-5 makes plain Lanczos slow; the restarted method must still resolve all four.
  const sc::index p = 120;
  sc::vector lambda(p);
  for (sc::index i = 0; i < 4; ++i) lambda(i) = 5.0 - 1e-4 * static_cast<double>(i);
  for (sc::index i = 4; i < p; ++i) lambda(i) = 1.0 - 2.0 * static_cast<double>(i - 4) / static_cast<double>(p - 5);
  const sc::matrix A = with_spectrum(lambda, 2);
  sc::matrix_operator op(A);
  const auto r = sc::top_eigenpairs(op, 4);
  REQUIRE(r.ok());
  // Values to 1e-9·5 (see above), well below the 1e-4 spacing of the cluster.
  for (sc::index j = 0; j < 4; ++j) CHECK(std::abs(r.values(j) - lambda(j)) < 5e-9);
}

TEST_CASE("top_eigenpairs on an exactly repeated eigenvalue") {
  // λ = 5 three times over a bulk in [0.4, 1]: in exact arithmetic one Krylov space holds only
  // one eigenvector of a multiple eigenvalue; the restarts (and rounding) let Spectra find all
  // three here.  The residual check of each vector against the dense matrix is the safeguard
  // the header recommends.
  const sc::index p = 60;
  sc::vector lambda(p);
  for (sc::index i = 0; i < p; ++i) lambda(i) = i < 3 ? 5.0 : 1.0 - static_cast<double>(i) / 100.0;
  const sc::matrix A = with_spectrum(lambda, 3);
  const auto r = sc::top_eigenpairs(sc::matrix_operator(A), 4);
  REQUIRE(r.ok());
  for (sc::index j = 0; j < 4; ++j) {
    CHECK(std::abs(r.values(j) - lambda(j)) < 5e-9);
    CHECK((A * r.vectors.col(j) - r.values(j) * r.vectors.col(j)).norm() < 5e-8);
  }
  // The three vectors for 5 span its eigenspace: orthonormal, so |V₃ᵀV₃ − I| ≈ 0.
  CHECK((r.vectors.leftCols(3).transpose() * r.vectors.leftCols(3) - sc::matrix::Identity(3, 3)).cwiseAbs().maxCoeff() < 1e-10);
}

TEST_CASE("top_eigenpairs reports non-convergence and NaN as a status") {
  const sc::index p = 200;
  sc::vector lambda(p);
  for (sc::index i = 0; i < p; ++i) lambda(i) = 1.0 - 1e-3 * static_cast<double>(i);  // no gap to speak of
  sc::matrix_operator op(with_spectrum(lambda, 3));
  sc::top_eigenpairs_options o;
  o.ncv = 6;
  o.max_iterations = 1;
  const auto r = sc::top_eigenpairs(op, 5, o);
  CHECK(r.status == sc::status::max_iterations);
  CHECK(!r.ok());
  CHECK(r.converged < 5);
  CHECK(r.values.size() == r.converged);
  CHECK(r.message.find("shiftcurv::top_eigenpairs:") == 0);

  const auto bad = sc::top_eigenpairs(nan_operator{}, 2);
  CHECK(bad.status == sc::status::numerical_issue);
  CHECK(bad.values.size() == 0);
  CHECK(bad.message.find("non-finite") != std::string::npos);
}

TEST_CASE("lanczos_tridiagonal: orthonormal basis, QᵀAQ = T, exact Ritz values at m = p") {
  const sc::index p = 40;
  sc::vector lambda(p);
  for (sc::index i = 0; i < p; ++i) lambda(i) = std::pow(1.15, static_cast<double>(i)) - 3.0;  // spread, some < 0
  const sc::matrix A = with_spectrum(lambda, 4);
  sc::matrix_operator op(A);
  const sc::vector v0 = sc::random_probe(p, 9, 0);
  const double scale = lambda.cwiseAbs().maxCoeff();

  const auto t = sc::lanczos_tridiagonal(op, v0, 25);
  REQUIRE(t.ok());
  REQUIRE(t.steps == 25);
  CHECK(t.beta.size() == 24);
  // Full reorthogonalization keeps QᵀQ = I to rounding (without it, it drifts by O(1) once a
  // Ritz value converges); T = QᵀAQ to rounding of p-term dot products.
  CHECK((t.basis.transpose() * t.basis - sc::matrix::Identity(25, 25)).cwiseAbs().maxCoeff() < 1e-12);
  sc::matrix T = sc::matrix::Zero(25, 25);
  T.diagonal() = t.alpha;
  T.diagonal(1) = t.beta;
  T.diagonal(-1) = t.beta;
  CHECK((t.basis.transpose() * A * t.basis - T).cwiseAbs().maxCoeff() < 1e-11 * scale);
  CHECK((t.basis.col(0) - v0.normalized()).norm() < 1e-15 * p);

  // m = p (asked for more: clamped): T is similar to A, so its eigenvalues are A's.
  const auto full = sc::lanczos_tridiagonal(op, v0, p + 10);
  REQUIRE(full.steps == p);
  Eigen::SelfAdjointEigenSolver<sc::matrix> es;
  sc::vector d = full.alpha, s = full.beta;
  es.computeFromTridiagonal(d, s, Eigen::EigenvaluesOnly);
  CHECK((es.eigenvalues() - lambda).cwiseAbs().maxCoeff() < 1e-10 * scale);  // both ascending
  CHECK(full.operator_applications == p);

  // Three distinct eigenvalues: the Krylov space closes after 3 steps.
  sc::vector three(p);
  for (sc::index i = 0; i < p; ++i) three(i) = i < 10 ? -2.0 : (i < 25 ? 1.0 : 4.0);
  const auto inv = sc::lanczos_tridiagonal(sc::matrix_operator(with_spectrum(three, 5)), v0, 20);
  CHECK(inv.invariant);
  CHECK(inv.steps == 3);
}

TEST_CASE("Hessian of a tiny tanh network: top and bottom eigenpairs, every route, one layer") {
  auto net = curv_test::make_net();
  const sc::vector th = curv_test::net_point(net);
  const sc::index p = net.dimension();
  const sc::matrix H = sc::hessian(curv_test::tiny_net_mean{&net, curv_test::all_rows(net)}, th);
  const sc::vector exact = descending_eigenvalues(H);
  const double scale = exact.cwiseAbs().maxCoeff();
  CAPTURE(exact.transpose());
  REQUIRE(exact(p - 1) < 0);  // indefinite at this point: the negative end is tested too

  // The hand-written gradient agrees with dual numbers (checks the fixture itself).
  sc::vector g(p);
  net.gradient(th, 3, g);
  CHECK((g - sc::gradient(curv_test::tiny_net::one_sample{&net, 3}, th)).norm() < 1e-13 * (1 + g.norm()));

  sc::hessian_operator Hop(net, th);  // per-sample HVPs, averaged
  sc::vector x = sc::random_probe(p, 5, 0), y;
  Hop.apply(x, y);
  CHECK((y - H * x).norm() < 1e-12 * scale * x.norm());

  SUBCASE("per-sample loss") {
    const auto r = sc::top_eigenpairs(Hop, 3);
    REQUIRE(r.ok());
    for (sc::index j = 0; j < 3; ++j) {
      CHECK(std::abs(r.values(j) - exact(j)) < 1e-9 * scale);
      CHECK((H * r.vectors.col(j) - r.values(j) * r.vectors.col(j)).norm() < 1e-8 * scale);
    }
    CHECK(Hop.applications() == r.operator_applications + 1);  // + the apply above
  }
  SUBCASE("most negative curvature") {
    sc::top_eigenpairs_options o;
    o.which = sc::spectrum_end::smallest_algebraic;
    const auto r = sc::top_eigenpairs(Hop, 2, o);
    REQUIRE(r.ok());
    CHECK(std::abs(r.values(0) - exact(p - 1)) < 1e-9 * scale);
    CHECK(std::abs(r.values(1) - exact(p - 2)) < 1e-9 * scale);
  }
  SUBCASE("through mean_loss_of and through a scalar-templated loss (dual-number HVPs)") {
    const auto r1 = sc::top_eigenpairs(sc::hessian_operator(sc::mean_loss_of{net}, th), 3);
    const auto r2 = sc::top_eigenpairs(sc::hessian_operator(curv_test::tiny_net_mean{&net, curv_test::all_rows(net)}, th), 3);
    REQUIRE(r1.ok());
    REQUIRE(r2.ok());
    for (sc::index j = 0; j < 3; ++j) {
      CHECK(std::abs(r1.values(j) - exact(j)) < 1e-9 * scale);
      CHECK(std::abs(r2.values(j) - exact(j)) < 1e-9 * scale);
    }
  }
  SUBCASE("one layer: the block of W1 (offset 0, size h·d = 12) is the dense sub-block") {
    const sc::index off = 0, n = net.h * net.d();
    sc::block_operator B(Hop, off, n);
    const sc::matrix Hb = H.block(off, off, n, n);
    const sc::vector xb = sc::random_probe(n, 6, 0);
    sc::vector yb;
    B.apply(xb, yb);
    CHECK((yb - Hb * xb).norm() < 1e-12 * scale * xb.norm());
    const sc::vector eb = descending_eigenvalues(Hb);
    const auto r = sc::top_eigenpairs(B, 2);
    REQUIRE(r.ok());
    CHECK(std::abs(r.values(0) - eb(0)) < 1e-9 * scale);
    CHECK(std::abs(r.values(1) - eb(1)) < 1e-9 * scale);
    CHECK(r.vectors.rows() == n);
    CHECK(B.applications() == r.operator_applications + 1);
  }
  SUBCASE("the second layer's weights w2 (offset h·d + h, size h)") {
    const sc::index off = net.h * net.d() + net.h, n = net.h;
    const auto r = sc::top_eigenpairs(sc::block_operator(Hop, off, n), 1, {.ncv = 4});
    REQUIRE(r.ok());
    CHECK(std::abs(r.values(0) - descending_eigenvalues(H.block(off, off, n, n))(0)) < 1e-9 * scale);
  }
}

TEST_CASE("D of the tiny network through its apply, through its matrix, and on a subsample") {
  auto net = curv_test::make_net();
  const sc::vector th = curv_test::net_point(net);
  const sc::index p = net.dimension();
  const sc::matrix D = curv_test::dense_D(net, th, curv_test::all_rows(net));
  const sc::vector exact = descending_eigenvalues(D);
  const double scale = exact(0);

  // gradient_covariance has apply: D·x without forming D.
  sc::gradient_covariance noise{net};
  sc::diffusion_operator Dop(noise, th);
  const auto r = sc::top_eigenpairs(Dop, 3);
  REQUIRE(r.ok());
  for (sc::index j = 0; j < 3; ++j) {
    CHECK(std::abs(r.values(j) - exact(j)) < 1e-9 * scale);
    CHECK((D * r.vectors.col(j) - r.values(j) * r.vectors.col(j)).norm() < 1e-8 * scale);
  }
  // The factor route (gram_operator of A, D = AᵀA) and a model with only `matrix` agree.
  const auto rg = sc::top_eigenpairs(sc::gram_operator(noise.factor(th)), 3);
  const auto rm = sc::top_eigenpairs(sc::diffusion_operator(matrix_only_noise{D + 1e-3 * sc::matrix::Identity(p, p)}, th), 3);
  REQUIRE(rg.ok());
  REQUIRE(rm.ok());
  for (sc::index j = 0; j < 3; ++j) {
    CHECK(std::abs(rg.values(j) - exact(j)) < 1e-9 * scale);
    CHECK(std::abs(rm.values(j) - (exact(j) + 1e-3)) < 1e-9 * scale);
  }

  // One layer of D (the hidden biases b1: offset h·d, size h) against the dense sub-block.
  {
    const sc::index off = net.h * net.d(), n = net.h;
    const sc::vector eb = descending_eigenvalues(D.block(off, off, n, n));
    const auto rb = sc::top_eigenpairs(sc::block_operator(Dop, off, n), 2, {.ncv = 4});
    REQUIRE(rb.ok());
    CHECK(std::abs(rb.values(0) - eb(0)) < 1e-9 * eb(0));
    CHECK(std::abs(rb.values(1) - eb(1)) < 1e-9 * eb(0));
  }

  // Subsample: D of rows idx with 1/|idx| (population covariance of the subsample).
  const std::vector<sc::index> idx{1, 4, 5, 9, 10};
  const sc::matrix Ds = curv_test::dense_D(net, th, idx);
  sc::gradient_covariance sub{sc::subsample(net, idx)};
  CHECK(sub.samples.num_samples() == 5);
  CHECK((sub.matrix(th) - Ds).cwiseAbs().maxCoeff() < 1e-13 * Ds.cwiseAbs().maxCoeff());
  // Not 1/(|idx| − 1): the sample covariance is 5/4 of Ds, 25% off (guards the normalization).
  CHECK((sub.matrix(th) - 1.25 * Ds).norm() > 0.2 * Ds.norm());
  const sc::vector es = descending_eigenvalues(Ds);
  const auto rs = sc::top_eigenpairs(sc::diffusion_operator(sub, th), 2);
  REQUIRE(rs.ok());
  CHECK(std::abs(rs.values(0) - es(0)) < 1e-9 * es(0));
  CHECK(std::abs(rs.values(1) - es(1)) < 1e-9 * es(0));
  // rank ≤ |idx| − 1 = 4: the fifth eigenvalue of the dense D_idx is rounding.
  CHECK(std::abs(es(4)) < 1e-12 * es(0));

  // Hessian on the subsample: (1/|idx|) Σ_{i∈idx} ∇²U_i.
  const sc::matrix Hs = sc::hessian(curv_test::tiny_net_mean{&net, idx}, th);
  sc::hessian_operator Hsub(sc::subsample(net, idx), th);
  const sc::vector x = sc::random_probe(p, 8, 0);
  sc::vector y;
  Hsub.apply(x, y);
  CHECK((y - Hs * x).norm() < 1e-12 * Hs.norm() * x.norm());

  // A per-sample loss with gradients only: the HVP by central differences of the mean
  // gradient.  The least-squares gradient is linear in θ, so the difference quotient is exact
  // but for rounding ≈ ε/h ≈ 1e-16/6e-6 relative; 1e-8 leaves room.
  batched_least_squares ls{net.X, net.y};
  {
    const sc::vector t3 = sc::random_probe(3, 13, 0, sc::probe_distribution::gaussian);
    const sc::vector x3 = sc::random_probe(3, 13, 1);
    const sc::matrix XtX = net.X.transpose() * net.X / static_cast<double>(net.X.rows());
    sc::vector y3;
    sc::hessian_operator(ls, t3).apply(x3, y3);
    CHECK((y3 - XtX * x3).norm() < 1e-8 * XtX.norm() * x3.norm());
  }

  // A loss with a `subsample` member is asked for its own subsample.
  auto own = sc::subsample(ls, idx);
  static_assert(std::is_same_v<decltype(own), batched_least_squares>);
  CHECK(own.is_subsample);
  CHECK(own.num_samples() == 5);
  CHECK(own.y(2) == net.y(5));
}

TEST_CASE("bad input throws, naming the function") {
  auto net = curv_test::make_net();
  const sc::vector th = curv_test::net_point(net);
  sc::matrix_operator op(with_spectrum(sc::vector::LinSpaced(10, 1.0, 10.0), 1));
  throws_naming([&] { (void)sc::top_eigenpairs(op, 0); }, "top_eigenpairs");
  throws_naming([&] { (void)sc::top_eigenpairs(op, 10); }, "top_eigenpairs");  // k ≥ p
  throws_naming([&] { (void)sc::top_eigenpairs(op, 3, {.ncv = 3}); }, "top_eigenpairs");
  throws_naming([&] { (void)sc::top_eigenpairs(op, 3, {.ncv = 11}); }, "top_eigenpairs");
  throws_naming([&] { (void)sc::top_eigenpairs(op, 3, {.max_iterations = 0}); }, "top_eigenpairs");
  throws_naming([&] { (void)sc::top_eigenpairs(op, 3, {.tolerance = -1}); }, "top_eigenpairs");
  throws_naming([&] { (void)sc::lanczos_tridiagonal(op, sc::vector::Zero(10), 3); }, "lanczos_tridiagonal");
  throws_naming([&] { (void)sc::lanczos_tridiagonal(op, sc::vector::Ones(9), 3); }, "lanczos_tridiagonal");
  throws_naming([&] { (void)sc::lanczos_tridiagonal(op, sc::vector::Ones(10), 0); }, "lanczos_tridiagonal");
  throws_naming([&] { sc::matrix_operator bad(sc::matrix::Ones(3, 4)); }, "matrix_operator");
  throws_naming([&] { sc::block_operator bad(op, 5, 6); }, "block_operator");
  throws_naming([&] { sc::block_operator bad(op, -1, 2); }, "block_operator");
  throws_naming([&] { sc::block_operator bad(op, 0, 0); }, "block_operator");
  sc::vector nan_th = th;
  nan_th(2) = std::numeric_limits<double>::quiet_NaN();
  throws_naming([&] { sc::hessian_operator bad(net, nan_th); }, "hessian_operator");
  throws_naming([&] { sc::hessian_operator bad(net, sc::vector::Zero(5)); }, "hessian_operator");  // dimension() = 21
  throws_naming([&] { sc::diffusion_operator bad(sc::gradient_covariance{net}, sc::vector::Zero(5)); }, "diffusion_operator");
  throws_naming([&] { (void)sc::subsample(net, {0, 12}); }, "subsample");
  throws_naming([&] { (void)sc::subsample(net, {}); }, "subsample");
  sc::vector y;
  throws_naming([&] { sc::hessian_operator(net, th).apply(sc::vector::Ones(3), y); }, "hessian_operator::apply");
  throws_naming([&] { op.apply(sc::vector::Ones(3), y); }, "matrix_operator::apply");
}

}  // TEST_SUITE
