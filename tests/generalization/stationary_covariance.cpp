// The stationary covariance of the OU process near a minimum (HΣ + ΣH = T·D) in the top-k
// eigenspace of H against dense_lyapunov, dense_lyapunov against the vectorized (Kronecker)
// system solved by LU and against (T/2)H⁻¹D in the commuting case, and the measured
// covariance-curvature ½tr(CΣ) on an exactly discretized OU process.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "shiftcurv/curvature/linear_operator.hpp"
#include "shiftcurv/generalization/stationary_covariance.hpp"
#include "random_matrices.hpp"
#include "support.hpp"

namespace sc = shiftcurv;

namespace stationary_covariance_test {

using test_support::gaussian;
using test_support::orthogonal;

// H = U diag(λ) Uᵀ with well separated eigenvalues λ_i = 0.2 + 10·0.85^i (descending).
struct spd_problem {
  sc::matrix U;
  sc::vector lambda;
  sc::matrix H;
};

spd_problem make_spd(sc::index p, test_support::fixture_rng& rng) {
  spd_problem s;
  s.U = orthogonal(p, rng);
  s.lambda.resize(p);
  for (sc::index i = 0; i < p; ++i) s.lambda(i) = 0.2 + 10.0 * std::pow(0.85, static_cast<double>(i));
  s.H = s.U * s.lambda.asDiagonal() * s.U.transpose();
  return s;
}

double rel_fro(const sc::matrix& A, const sc::matrix& B) { return (A - B).norm() / B.norm(); }


TEST_CASE("dense_lyapunov: the Kronecker system by LU (p = 8) and the commuting case (T/2)H^-1 D") {
  test_support::fixture_rng rng(11);
  const sc::index p = 8;
  const double T = 0.37;
  const sc::matrix A = gaussian(p, p, rng);
  const sc::matrix H = A * A.transpose() + 0.5 * sc::matrix::Identity(p, p);  // SPD
  const sc::matrix G = gaussian(p, 3, rng);
  const sc::matrix D = G * G.transpose();  // PSD rank 3
  const auto r = sc::dense_lyapunov(H, D, T);
  REQUIRE(r.ok());
  CHECK(r.basis.cols() == p);
  // (I⊗H + H⊗I) vec Σ = T vec D, column-major vec; an independent dense LU solve.
  const sc::matrix I = sc::matrix::Identity(p, p);
  sc::matrix K(p * p, p * p);
  for (sc::index a = 0; a < p; ++a)
    for (sc::index b = 0; b < p; ++b) K.block(a * p, b * p, p, p) = I(a, b) * H + H(a, b) * I;
  const sc::vector vecD = Eigen::Map<const sc::vector>(D.data(), p * p);
  const sc::vector vecS = K.partialPivLu().solve(T * vecD);
  const sc::matrix Sigma_lu = Eigen::Map<const sc::matrix>(vecS.data(), p, p);
  // Both solvers are backward stable; κ(H) here is ≈ 1e2, so 1e-12 relative leaves a margin.
  CHECK(rel_fro(r.dense(), Sigma_lu) < 1e-12);
  CHECK((H * r.dense() + r.dense() * H - T * D).norm() / (T * D.norm()) < 1e-12);

  // Commuting: D = U M Uᵀ in H's eigenbasis, HD = DH, so Σ = (T/2) H⁻¹ D.
  Eigen::SelfAdjointEigenSolver<sc::matrix> es(H);
  sc::vector m(p);
  for (sc::index i = 0; i < p; ++i) m(i) = 0.1 + 0.3 * static_cast<double>(i);
  const sc::matrix Dc = es.eigenvectors() * m.asDiagonal() * es.eigenvectors().transpose();
  const sc::matrix laplace = 0.5 * T * H.ldlt().solve(Dc);
  CHECK(rel_fro(sc::dense_lyapunov(H, Dc, T).dense(), laplace) < 1e-12);
}

TEST_CASE("lyapunov_covariance against dense_lyapunov (p = 40, D PSD of rank 10)") {
  test_support::fixture_rng rng(2026);
  const sc::index p = 40;
  const double T = 0.05;
  const auto s = make_spd(p, rng);
  const sc::matrix G = gaussian(p, 10, rng);
  const sc::matrix D_out = G * G.transpose();  // column space generic: weight outside any top-k span
  sc::lyapunov_covariance_options o;
  o.eigen.tolerance = 1e-12;

  SUBCASE("k = p: the whole space, exact to rounding") {
    o.k = p;
    const auto r = sc::lyapunov_covariance(sc::matrix_operator(s.H), sc::matrix_operator(D_out), T, o);
    REQUIRE(r.ok());
    CHECK(r.operator_applications == 2 * p);
    const auto ref = sc::dense_lyapunov(s.H, D_out, T);
    // κ(H) ≈ 50; both are eigen-decompositions of the same H: 1e-12 is ~1e3 ε·κ.
    CHECK(rel_fro(r.dense(), ref.dense()) < 1e-12);
  }

  const sc::index k = 12;
  const sc::matrix Uk = s.U.leftCols(k);
  const sc::matrix P = Uk * Uk.transpose();
  o.k = k;

  SUBCASE("k < p with D inside the top-k eigenspace: exact") {
    const sc::matrix B = gaussian(k, 10, rng);
    const sc::matrix D_in = Uk * (B * B.transpose()) * Uk.transpose();  // rank 10, D = P D P
    const auto r = sc::lyapunov_covariance(sc::matrix_operator(s.H), sc::matrix_operator(D_in), T, o);
    REQUIRE(r.ok());
    CHECK(r.basis.cols() == k);
    for (sc::index i = 0; i < k; ++i) CHECK(r.curvatures(i) == doctest::Approx(s.lambda(i)).epsilon(1e-10));
    const auto ref = sc::dense_lyapunov(s.H, D_in, T);
    // Lanczos to 1e-12 relative residual, eigengap ≥ 0.85^11·1.5 ≈ 0.2 of λ ≤ 10: eigenvectors
    // to ~1e-10, hence 1e-9 on Σ.
    const double err = rel_fro(r.dense(), ref.dense());
    MESSAGE("k = 12, D inside span Q: relative error ", err);
    CHECK(err < 1e-9);
    // The factored helpers against the dense Σ.
    const sc::vector x = gaussian(p, 1, rng);
    CHECK((r.apply(x) - ref.dense() * x).norm() < 1e-9 * (ref.dense() * x).norm());
    CHECK(r.variance_along(x) == doctest::Approx(x.dot(ref.dense() * x)).epsilon(1e-9));
    const sc::matrix Cm = gaussian(p, p, rng);
    const sc::matrix C = Cm * Cm.transpose();
    CHECK(r.trace_with(sc::matrix_operator(C)) == doctest::Approx(0.5 * (C * ref.dense()).trace()).epsilon(1e-9));
  }

  SUBCASE("k < p with D outside: the error is Σ − PΣP, as the projection predicts") {
    const auto r = sc::lyapunov_covariance(sc::matrix_operator(s.H), sc::matrix_operator(D_out), T, o);
    REQUIRE(r.ok());
    const sc::matrix Sigma = sc::dense_lyapunov(s.H, D_out, T).dense();
    const sc::matrix predicted = P * Sigma * P;
    const double err = rel_fro(r.dense(), Sigma);
    const double pred_err = rel_fro(predicted, Sigma);
    MESSAGE("k = 12, generic D: relative error ", err, ", predicted ‖Σ − PΣP‖/‖Σ‖ = ", pred_err);
    CHECK(pred_err > 0.1);                     // the missing part is not small here
    CHECK(rel_fro(r.dense(), predicted) < 1e-9);  // it is exactly the projection (Lanczos accuracy)
    CHECK(err == doctest::Approx(pred_err).epsilon(1e-6));
    // ½tr(CΣ) misses ½tr(C(Σ − PΣP)); C = H here.
    const double half_tr = r.trace_with(sc::matrix_operator(s.H));
    MESSAGE("½tr(HΣ): projected ", half_tr, ", exact ", 0.5 * (s.H * Sigma).trace());
    CHECK(half_tr == doctest::Approx(0.5 * (s.H * predicted).trace()).epsilon(1e-9));
  }
}

TEST_CASE("lyapunov_covariance: an indefinite H is assumption_violated, S finite") {
  sc::vector lam(4);
  lam << 3.0, 2.0, 1.0, -0.5;
  const sc::matrix H = lam.asDiagonal();
  const sc::matrix D = sc::matrix::Identity(4, 4);
  const auto r = sc::lyapunov_covariance(sc::matrix_operator(H), sc::matrix_operator(D), 1.0, {.k = 4});
  CHECK(r.status == sc::status::assumption_violated);
  CHECK(r.message.find("-0.5") != std::string::npos);
  CHECK(r.projected.allFinite());
  CHECK(r.projected(0, 0) == doctest::Approx(1.0 / 6.0));
}

TEST_CASE("stationary covariance: bad input throws naming the function") {
  using test_support::throws_naming;
  const sc::matrix H = sc::matrix::Identity(4, 4), D = sc::matrix::Identity(4, 4);
  const sc::matrix_operator Hop(H), Dop(D), D3(sc::matrix::Identity(3, 3));
  const std::string lc = "lyapunov_covariance";
  throws_naming([&] { (void)sc::lyapunov_covariance(Hop, Dop, 0.0, {.k = 2}); }, lc);
  throws_naming([&] { (void)sc::lyapunov_covariance(Hop, Dop, -1.0, {.k = 2}); }, lc);
  throws_naming([&] { (void)sc::lyapunov_covariance(Hop, Dop, std::nan(""), {.k = 2}); }, lc);
  throws_naming([&] { (void)sc::lyapunov_covariance(Hop, Dop, 1.0, {.k = 0}); }, lc);
  throws_naming([&] { (void)sc::lyapunov_covariance(Hop, Dop, 1.0, {.k = 5}); }, lc);
  throws_naming([&] { (void)sc::lyapunov_covariance(Hop, D3, 1.0, {.k = 2}); }, lc);
  const std::string dl = "dense_lyapunov";
  sc::matrix Hn = H;
  Hn(1, 2) = std::nan("");
  throws_naming([&] { (void)sc::dense_lyapunov(H, D, 0.0); }, dl);
  throws_naming([&] { (void)sc::dense_lyapunov(Hn, D, 1.0); }, dl);
  throws_naming([&] { (void)sc::dense_lyapunov(H, sc::matrix::Identity(3, 3), 1.0); }, dl);
}

}  // namespace stationary_covariance_test
