// Hutchinson's trace estimator and stochastic Lanczos quadrature, against exact traces
// tr(A^j) of dense matrices (synthetic with known spectra; the Hessian and D of the tiny tanh
// network), with tolerances from the Monte Carlo standard error.
//
// Tolerance rule: an estimate of n i.i.d. probe values with standard error SE must be within
// 4·SE of the exact value (two-sided normal tail 6e-5; the seeds are fixed, so a pass is
// reproducible).  Where the probe values are reproduced exactly (same probe vectors, dense
// algebra), the tolerance is rounding: ≈ 1e-12 relative.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include <Eigen/Dense>

#include "shiftcurv/core/detail/moments.hpp"
#include "shiftcurv/curvature/hutchinson.hpp"
#include "shiftcurv/curvature/spectral_density.hpp"
#include "shiftcurv/noise/gradient_covariance.hpp"

#include "curvature/fixtures.hpp"
#include "support.hpp"

namespace sc = shiftcurv;
using curv_test::with_spectrum;
using test_support::throws_naming;

namespace {
struct nan_after_three {
  sc::index size() const { return 4; }
  mutable int calls = 0;
  void apply(const sc::vector& x, sc::vector& y) const {
    y = x;
    if (++calls > 3) y(0) = std::numeric_limits<double>::infinity();
  }
};

// Trapezoid rule on a uniform grid.
double trapezoid(const sc::vector& f, double h) { return h * (f.sum() - 0.5 * (f(0) + f(f.size() - 1))); }

// tr(A^j) / p from the spectrum.
double spectral_moment(const sc::vector& lambda, int j) {
  return lambda.array().pow(j).sum() / static_cast<double>(lambda.size());
}
}  // namespace

TEST_SUITE("curvature") {

TEST_CASE("random_probe: reproducible, Rademacher ±1 balanced, Gaussian standardized") {
  const sc::index p = 20000;
  const sc::vector r = sc::random_probe(p, 11, 4);
  CHECK(r == sc::random_probe(p, 11, 4));
  CHECK(r != sc::random_probe(p, 11, 5));
  CHECK(r != sc::random_probe(p, 12, 4));
  CHECK((r.array().abs() == 1.0).all());
  CHECK(std::abs(r.mean()) < 4.0 / std::sqrt(static_cast<double>(p)));  // SE of a ±1 mean: 1/√p
  const sc::vector g = sc::random_probe(p, 11, 4, sc::probe_distribution::gaussian);
  CHECK(std::abs(g.mean()) < 4.0 / std::sqrt(static_cast<double>(p)));
  // SE of the sample variance of normals: √(2/p) = 0.01
  CHECK(std::abs(g.squaredNorm() / static_cast<double>(p) - 1.0) < 4.0 * std::sqrt(2.0 / static_cast<double>(p)));
}

TEST_CASE("hutchinson_trace: exact trace within 4 SE, and its standard error against the analytic variance") {
  const sc::index p = 50;
  const sc::vector lambda = sc::vector::LinSpaced(p, -2.0, 6.0);
  const sc::matrix A = with_spectrum(lambda, 21);
  sc::matrix_operator op(A);
  const double tr = lambda.sum();
  const double fro2 = A.squaredNorm(), diag2 = A.diagonal().squaredNorm();

  for (const auto dist : {sc::probe_distribution::rademacher, sc::probe_distribution::gaussian}) {
    CAPTURE(sc::to_string(dist));
    sc::hutchinson_trace_options o;
    o.probes = 2000;
    o.distribution = dist;
    o.seed = 5;
    const auto r = sc::hutchinson_trace(op, o);
    REQUIRE(r.ok());
    CHECK(r.probes == 2000);
    CHECK(r.operator_applications == 2000);
    // Hutchinson 1989 / Avron–Toledo 2011: Var zᵀAz = 2(‖A‖_F² − Σ A_ii²) (Rademacher), 2‖A‖_F² (Gaussian).
    const double var = dist == sc::probe_distribution::rademacher ? 2 * (fro2 - diag2) : 2 * fro2;
    const double m = static_cast<double>(r.probes);
    CHECK(std::abs(r.value - tr) < 4 * std::sqrt(var / m));
    // The reported SE² · m is the sample variance s²; its own SE is √((µ4 − s⁴)/m) (µ4 the
    // fourth central moment of the probe values, measured from the same samples).
    const double s2 = r.standard_error * r.standard_error * m;
    double mu4 = 0;
    for (double x : r.samples) mu4 += std::pow(x - r.value, 4);
    mu4 /= m;
    CAPTURE(s2);
    CAPTURE(var);
    CHECK(std::abs(s2 - var) < 4 * std::sqrt((mu4 - s2 * s2) / m));
    // Each sample is zᵀAz of the documented probe, reproduced densely.
    for (std::uint64_t l : {0u, 1u, 1999u}) {
      const sc::vector z = sc::random_probe(p, 5, l, dist);
      CHECK(std::abs(r.samples[l] - z.dot(A * z)) < 1e-12 * fro2 * static_cast<double>(p));
    }
  }
  // Same seed, same answer; the Rademacher estimator of a diagonal matrix is exact.
  CHECK(sc::hutchinson_trace(op, {.probes = 10, .seed = 3}).value == sc::hutchinson_trace(op, {.probes = 10, .seed = 3}).value);
  const auto diag = sc::hutchinson_trace(sc::matrix_operator(lambda.asDiagonal().toDenseMatrix()), {.probes = 4});
  CHECK(diag.value == doctest::Approx(tr).epsilon(1e-14));
  CHECK(diag.standard_error < 1e-12);
}

TEST_CASE("hutchinson_trace of the network's Hessian, D, a layer's block and D on a subsample") {
  auto net = curv_test::make_net();
  const sc::vector th = curv_test::net_point(net);
  const auto rows = curv_test::all_rows(net);
  const sc::matrix H = sc::hessian(curv_test::tiny_net_mean{&net, rows}, th);
  const sc::matrix D = curv_test::dense_D(net, th, rows);
  sc::hessian_operator Hop(net, th);
  sc::gradient_covariance noise{net};
  sc::diffusion_operator Dop(noise, th);
  const sc::hutchinson_trace_options o{.probes = 400, .seed = 1};

  const auto tH = sc::hutchinson_trace(Hop, o);
  CHECK(std::abs(tH.value - H.trace()) < 4 * tH.standard_error);
  const auto tD = sc::hutchinson_trace(Dop, o);
  CHECK(std::abs(tD.value - D.trace()) < 4 * tD.standard_error);
  const sc::index off = net.h * net.d(), n = net.h;  // layer b1
  const auto tB = sc::hutchinson_trace(sc::block_operator(Hop, off, n), o);
  CHECK(std::abs(tB.value - H.diagonal().segment(off, n).sum()) < 4 * tB.standard_error);
  CHECK(tB.standard_error > 0);

  const std::vector<sc::index> idx{0, 2, 3, 7, 8, 11};
  const sc::matrix Ds = curv_test::dense_D(net, th, idx);  // 1/|idx|
  const auto tS = sc::hutchinson_trace(sc::diffusion_operator(sc::gradient_covariance{sc::subsample(net, idx)}, th), o);
  CHECK(std::abs(tS.value - Ds.trace()) < 4 * tS.standard_error);
  // The 1/(|idx|−1) trace is 20% larger: many SE away, so the normalization is what is tested.
  CHECK(std::abs(tS.value - 1.2 * Ds.trace()) > 4 * tS.standard_error);
}

TEST_CASE("spectral_density: Gauss-quadrature exactness per probe, moments within MC error, unit mass") {
  const sc::index p = 200;
  sc::vector lambda(p);
  for (sc::index i = 0; i < p; ++i) lambda(i) = 4 * std::sin(static_cast<double>(i)) + static_cast<double>(i) / 50.0;
  const sc::matrix A = with_spectrum(lambda, 31);
  sc::matrix_operator op(A);
  sc::spectral_density_options o;
  o.probes = 30;
  o.steps = 40;
  o.seed = 2;
  const auto r = sc::spectral_density(op, o);
  REQUIRE(r.ok());
  CHECK(r.size == p);
  CHECK(r.probes == 30);
  CHECK(r.operator_applications == 30 * 40);
  for (std::size_t l = 0; l < r.weights.size(); ++l) CHECK(std::abs(r.weights[l].sum() - 1.0) < 1e-12);
  CHECK(std::abs(r.moment(0) - 1.0) < 1e-12);

  // Per probe, Σ τ² θ^j = vᵀA^j v exactly for j ≤ 2m − 1 = 79 (Gauss quadrature): the
  // documented probe z_l, v = z/|z|, dense powers.  Rounding ≈ 1e-13·‖A‖^j.
  const double anorm = lambda.cwiseAbs().maxCoeff();
  for (int j : {1, 2, 3, 10}) {
    CAPTURE(j);
    const sc::vector per = r.probe_moments("test", j);
    for (std::uint64_t l : {0u, 7u, 29u}) {
      const sc::vector v = sc::random_probe(p, 2, l).normalized();
      sc::vector Ajv = v;
      for (int k = 0; k < j; ++k) Ajv = A * Ajv;
      CHECK(std::abs(per(static_cast<sc::index>(l)) - v.dot(Ajv)) < 1e-11 * std::pow(anorm, j));
    }
  }
  // Averages over probes: tr(A^j)/p within 4 SE (Ubaru–Chen–Saad's estimator is unbiased).
  for (int j : {1, 2, 3}) {
    CAPTURE(j);
    CHECK(std::abs(r.moment(j) - spectral_moment(lambda, j)) < 4 * r.moment_standard_error(j));
  }
  // With Rademacher probes |z|² = p, so p·moment(1) is Hutchinson's estimate with the same probes.
  const auto h = sc::hutchinson_trace(op, {.probes = 30, .seed = 2});
  CHECK(std::abs(p * r.moment(1) - h.value) < 1e-12 * anorm * p);

  // The density (normalised to 1) integrates to 1 on a grid covering the spectrum ± 8σ:
  // trapezoid error for a Gaussian with spacing ≪ σ is far below 1e-8, tails beyond 8σ ≈ 1e-15.
  const double sigma = 0.1, lo = lambda.minCoeff() - 8 * sigma, hi = lambda.maxCoeff() + 8 * sigma;
  const sc::index n = 8001;
  const sc::vector grid = sc::vector::LinSpaced(n, lo, hi);
  CHECK(std::abs(trapezoid(r.density(grid, sigma), (hi - lo) / static_cast<double>(n - 1)) - 1.0) < 1e-8);
}

TEST_CASE("spectral_density: density() against the Gaussian-smoothed dense spectrum within its standard error") {
  // Reference: φ(t) = (1/p) Σ_i N(t; λ_i, σ²) from the known spectrum.  With m = p Lanczos steps
  // the Gauss rule of probe l is exact for every f (Ritz values = eigenvalues, weights (u_iᵀv)²),
  // so probe l's density φ_l(t) = Σ_k τ_lk² N(t; θ_lk, σ²) = vᵀ N(t; A, σ²) v, and with
  // Rademacher probes (|z|² = p) E φ_l(t) = φ(t): density() is the mean of n_v i.i.d. unbiased
  // samples at each t, its standard error sd_l(φ_l(t))/√n_v.  Checked at 61 points across the
  // spectrum (peaks, valleys, tails) at 4 s.e. plus rounding.
  const sc::index p = 60;
  sc::vector lambda(p);
  for (sc::index i = 0; i < p; ++i)
    lambda(i) = (i < 20 ? -2.0 : i < 45 ? 1.0 : 4.0) + 0.3 * std::sin(3.0 * static_cast<double>(i));
  const sc::matrix A = with_spectrum(lambda, 17);
  sc::matrix_operator op(A);
  sc::spectral_density_options o;
  o.probes = 40;
  o.steps = p;
  o.seed = 5;
  const auto r = sc::spectral_density(op, o);
  REQUIRE(r.ok());
  const double sigma = 0.25;
  const sc::vector grid = sc::vector::LinSpaced(61, lambda.minCoeff() - 1.0, lambda.maxCoeff() + 1.0);
  const sc::vector phi = r.density(grid, sigma);
  const double norm = 1.0 / (sigma * std::sqrt(2.0 * std::numbers::pi));
  auto gauss = [&](double t, double mu) { return norm * std::exp(-0.5 * (t - mu) * (t - mu) / (sigma * sigma)); };
  int checked_peaks = 0;
  for (sc::index g = 0; g < grid.size(); ++g) {
    const double t = grid(g);
    double ref = 0;
    for (sc::index i = 0; i < p; ++i) ref += gauss(t, lambda(i)) / static_cast<double>(p);
    sc::detail::running_moments per_probe;
    for (std::size_t l = 0; l < r.nodes.size(); ++l) {
      double f = 0;
      for (sc::index k = 0; k < r.nodes[l].size(); ++k) f += r.weights[l](k) * gauss(t, r.nodes[l](k));
      per_probe.add(f);
    }
    CAPTURE(t);
    CHECK(std::abs(phi(g) - per_probe.mean) < 1e-12 * norm);  // density() is that mean
    CHECK(std::abs(phi(g) - ref) <= 4 * per_probe.standard_error() + 1e-12 * norm);
    if (ref > 0.1 * norm) ++checked_peaks;
  }
  CHECK(checked_peaks > 10);  // the comparison covers the three clusters, not only the tails
}

TEST_CASE("spectral_density of a two-point spectrum: exact nodes, mass 1/4 at the lower one") {
  // A = Q diag(−1 ×50, 3 ×150) Qᵀ: each probe's Krylov space closes after 2 steps, the nodes are
  // exactly −1 and 3, and E[weight at −1] = 50/200 (E vvᵀ = I/p).
  const sc::index p = 200;
  sc::vector lambda(p);
  for (sc::index i = 0; i < p; ++i) lambda(i) = i < 50 ? -1.0 : 3.0;
  const auto r = sc::spectral_density(sc::matrix_operator(with_spectrum(lambda, 41)), {.probes = 40, .steps = 20, .seed = 4});
  REQUIRE(r.ok());
  std::vector<double> low;
  for (std::size_t l = 0; l < r.nodes.size(); ++l) {
    REQUIRE(r.nodes[l].size() == 2);
    CHECK(std::abs(r.nodes[l](0) + 1.0) < 1e-12);
    CHECK(std::abs(r.nodes[l](1) - 3.0) < 1e-12);
    low.push_back(r.weights[l](0));
  }
  CHECK(r.operator_applications == 40 * 2);
  sc::detail::running_moments w;  // Welford (core/detail/moments.hpp)
  for (double x : low) w.add(x);
  const double mean = w.mean, se = w.standard_error();
  CHECK(std::abs(mean - 0.25) < 4 * se);
  // moment(1) = (−1)(1/4) + 3(3/4) = 2 in expectation; the same probes give it exactly as
  // −w + 3(1 − w), so it sits within 4·4·SE(w).
  CHECK(std::abs(r.moment(1) - 2.0) < 16 * se);
}

TEST_CASE("spectral_density of the network's Hessian and D: moments against dense traces") {
  auto net = curv_test::make_net();
  const sc::vector th = curv_test::net_point(net);
  const auto rows = curv_test::all_rows(net);
  const sc::matrix H = sc::hessian(curv_test::tiny_net_mean{&net, rows}, th);
  const sc::matrix D = curv_test::dense_D(net, th, rows);
  const double p = static_cast<double>(net.dimension());
  const sc::spectral_density_options o{.probes = 40, .steps = 30, .seed = 9};  // steps clamped to p = 21

  const auto rH = sc::spectral_density(sc::hessian_operator(net, th), o);
  REQUIRE(rH.ok());
  sc::matrix Hj = sc::matrix::Identity(net.dimension(), net.dimension());
  for (int j = 1; j <= 3; ++j) {
    Hj = Hj * H;
    CAPTURE(j);
    CHECK(std::abs(rH.moment(j) - Hj.trace() / p) < 4 * rH.moment_standard_error(j));
  }
  const sc::vector ev = curv_test::descending_eigenvalues(H);
  const double sigma = 0.05 * (ev(0) - ev(ev.size() - 1));
  const sc::vector grid = sc::vector::LinSpaced(4001, ev(ev.size() - 1) - 8 * sigma, ev(0) + 8 * sigma);
  CHECK(std::abs(trapezoid(rH.density(grid, sigma), grid(1) - grid(0)) - 1.0) < 1e-8);

  const auto rD = sc::spectral_density(sc::diffusion_operator(sc::gradient_covariance{net}, th), o);
  REQUIRE(rD.ok());
  CHECK(std::abs(rD.moment(1) - D.trace() / p) < 4 * rD.moment_standard_error(1));
  CHECK(std::abs(rD.moment(2) - (D * D).trace() / p) < 4 * rD.moment_standard_error(2));
}

TEST_CASE("stochastic estimators: bad input throws naming the function, NaN is a status") {
  sc::matrix_operator op(sc::matrix::Identity(4, 4));
  throws_naming([&] { (void)sc::hutchinson_trace(op, {.probes = 1}); }, "hutchinson_trace");
  throws_naming([&] { (void)sc::spectral_density(op, {.probes = 0}); }, "spectral_density");
  throws_naming([&] { (void)sc::spectral_density(op, {.steps = 0}); }, "spectral_density");
  throws_naming([&] { (void)sc::random_probe(0, 1, 1); }, "random_probe");
  const auto r = sc::spectral_density(op, {.probes = 1});
  throws_naming([&] { (void)r.density(sc::vector::Zero(3), 0.0); }, "spectral_density_result::density");
  throws_naming([&] { (void)r.moment(-1); }, "spectral_density_result::moment");
  throws_naming([&] { (void)r.moment_standard_error(1); }, "spectral_density_result::moment_standard_error");

  const auto h = sc::hutchinson_trace(nan_after_three{}, {.probes = 10});
  CHECK(h.status == sc::status::numerical_issue);
  CHECK(h.probes == 3);
  CHECK(h.message.find("shiftcurv::hutchinson_trace:") == 0);
  // The identity's Krylov space closes after one step: one application per probe, so the
  // fourth probe meets the Inf.
  const auto s = sc::spectral_density(nan_after_three{}, {.probes = 5, .steps = 2});
  CHECK(s.status == sc::status::numerical_issue);
  CHECK(s.probes == 3);
  CHECK(s.message.find("shiftcurv::spectral_density:") == 0);
}

}  // TEST_SUITE
