// test_loss_terms' predicted bias b = (T/2) Q diag(1/λ) Qᵀ ∇·D (studies/loss_terms.hpp) on a
// tiny MLP (examples/network/mlp.hpp), against dense references formed here: H = ∇²U_tr + αI by
// central differences of the mean gradient, its top-k eigenvectors by Eigen's dense solver, and
// ∇·D by central differences of the dense D(θ) = (1/N) Σ (g_i − ḡ)(g_i − ḡ)ᵀ (the adapter's
// exact covariance_divergence is what the library uses; it must agree).
#include <doctest/doctest.h>

#include <cmath>

#include <Eigen/Dense>

#include "network/mlp.hpp"
#include "network_reference.hpp"
#include "random_matrices.hpp"
#include "shiftcurv/studies/loss_terms.hpp"

namespace sc = shiftcurv;
namespace net = shiftcurv_examples::network;

namespace {
/// n samples of `in` standard-normal features, labels of a noisy linear rule over `classes`.
net::labeled_data bias_synthetic_data(sc::index in, sc::index n, int classes, unsigned seed) {
  test_support::fixture_rng rng(seed);
  net::labeled_data d;
  d.features.resize(in, n);
  d.labels.resize(static_cast<std::size_t>(n));
  for (sc::index i = 0; i < n; ++i) {
    for (sc::index j = 0; j < in; ++j) d.features(j, i) = rng.normal();
    const double score = d.features(0, i) - 0.5 * d.features(1, i) + 0.7 * rng.normal();
    d.labels[static_cast<std::size_t>(i)] = score < -0.4 ? 0 : (score < 0.4 ? 1 : classes - 1);
  }
  return d;
}

}  // namespace

TEST_SUITE("network") {
TEST_CASE("test_loss_terms on a tiny MLP: the predicted bias against the dense top-k solve with a finite-difference divergence") {
  const net::mlp_shape shape{{4, 3, 3}};  // p = 15 + 12 = 27
  const auto train = bias_synthetic_data(4, 30, 3, 1), test = bias_synthetic_data(4, 20, 3, 2);
  sc::sgd_options o;
  o.learning_rate = 0.05;
  o.batch_size = 4;
  o.alpha = 0.05;  // eq 13's ℓ2 drift: SGD descends U_tr + (α/2)|θ|²
  const double T = o.temperature();
  const net::mlp_loss<double> Utr(shape, train, 0.0), Ute(shape, test, 0.0);
  const net::mlp_loss<double> Utr_a(shape, train, o.alpha), Ute_a(shape, test, o.alpha);
  sc::vector th_tr = net::initial_parameters(shape, 3);
  REQUIRE(test_support::minimize_bb(Utr_a, th_tr, 1e-10, 200000) < 1e-9);
  sc::vector th_te = th_tr;
  REQUIRE(test_support::minimize_bb(Ute_a, th_te, 1e-10, 200000) < 1e-9);
  const sc::index p = th_tr.size();
  REQUIRE(p == 27);

  // dense H = ∇²U_tr + αI (central differences, ≈ 1e-10 relative) and its spectrum
  const sc::matrix H = test_support::mean_hessian_fd(Utr_a, th_tr);
  Eigen::SelfAdjointEigenSolver<sc::matrix> es(H);
  const sc::vector& ev = es.eigenvalues();
  REQUIRE(ev.minCoeff() > 0);
  // k in 3…p−3 with the widest relative gap below it
  sc::index k = 3;
  double gap = 0;
  for (sc::index j = 3; j <= p - 3; ++j) {
    const double g = (ev(p - j) - ev(p - j - 1)) / ev(p - 1);
    if (g > gap) gap = g, k = j;
  }
  CAPTURE(k);
  CAPTURE(gap);
  REQUIRE(gap > 1e-3);

  // ∇·D by central differences of the dense D (h = 1e-5: h²|∂³D| + ε|D|/h ≈ 1e-10 relative)
  auto D_at = [&](const sc::vector& th) { return test_support::population_covariance(Utr.sample_gradients(th)); };
  sc::vector div = sc::vector::Zero(p);
  const double h = 1e-5;
  for (sc::index j = 0; j < p; ++j) {
    sc::vector a = th_tr, b = th_tr;
    a(j) += h;
    b(j) -= h;
    div += (D_at(a).col(j) - D_at(b).col(j)) / (2 * h);
  }
  const sc::matrix V = es.eigenvectors().rightCols(k);
  const sc::vector lam = ev.tail(k);
  const sc::vector b_ref = 0.5 * T * V * (V.transpose() * div).cwiseQuotient(lam);
  const sc::vector b_full = 0.5 * T * es.eigenvectors() * (es.eigenvectors().transpose() * div).cwiseQuotient(ev);

  sc::test_loss_terms_options opt;
  opt.k = k;
  opt.samples = 8;
  opt.thinning = 1;
  opt.burn_in = 0;
  opt.seed = 5;
  const auto r = sc::test_loss_terms(Utr, Ute, th_tr, th_te, o, opt);
  CAPTURE(r.message);
  REQUIRE(!sc::is_failure(r.status));
  REQUIRE(r.k == k);
  REQUIRE(r.divergence.size() == p);
  CAPTURE(div.norm());
  CAPTURE((r.divergence - div).norm());
  CHECK((r.divergence - div).norm() < 1e-6 * div.norm());
  // tolerance: the FD Hessian's and Lanczos' eigenvector errors (≈ 1e-10 relative) over the gap,
  // and the FD divergence's 1e-6 (as above)
  CAPTURE(b_ref.norm());
  CAPTURE((r.predicted_bias - b_ref).norm());
  CHECK((r.predicted_bias - b_ref).norm() < (1e-6 + 1e-8 / gap) * b_ref.norm());
  // the predicted bias-curvature with the dense C_test
  const sc::matrix C = test_support::mean_hessian_fd(Ute, th_te);
  const sc::vector s = th_te - th_tr;
  const double bc = 0.5 * b_ref.dot(C * b_ref) + s.dot(C * b_ref);
  CHECK(std::abs(r.predicted.bias_curvature - bc) < 1e-5 * (0.5 * std::abs(b_ref.dot(C * b_ref)) + std::abs(s.dot(C * b_ref))));
  // the span matters: the top-k b is not the full (T/2)H⁻¹∇·D
  CAPTURE(b_full.norm());
  CHECK((b_ref - b_full).norm() > 0.01 * b_full.norm());
}
}
