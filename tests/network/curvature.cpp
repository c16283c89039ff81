// The curvature tools (include/shiftcurv/curvature) on the digits MLP: Lanczos top-k of ∇²U_tr
// and of D, per layer and on a subsample, Hutchinson and SLQ, against Eigen's dense
// eigensolver on explicitly formed matrices (the Hessian by central differences of the
// gradient — independent of the R-operator — and D from the per-sample gradient matrix).
#include <doctest/doctest.h>

#include <Eigen/Eigenvalues>

#include "network/mlp.hpp"
#include "network_reference.hpp"
#include "shiftcurv/curvature/hutchinson.hpp"
#include "shiftcurv/curvature/lanczos.hpp"
#include "shiftcurv/curvature/linear_operator.hpp"
#include "shiftcurv/curvature/spectral_density.hpp"
#include "shiftcurv/generalization/stationary_covariance.hpp"
#include "shiftcurv/noise/gradient_covariance.hpp"

namespace sc = shiftcurv;
namespace net = shiftcurv_examples::network;

namespace {
struct small_net {
  net::mlp_shape shape{{64, 4, 3, 10}};  // p = 260 + 15 + 40 = 315
  net::labeled_data data;
  net::mlp_loss<double> U;
  sc::vector theta;
  static net::labeled_data pick() {
    const auto d = net::load_digits(net::default_digits_path());
    std::vector<sc::index> rows;
    for (int k = 0; k < 60; ++k) rows.push_back(16 * k);
    return d.train.subset(rows);
  }
  small_net() : data(pick()), U(shape, data, 1e-3) {
    theta = net::initial_parameters(shape, 21) + 0.5 * net::unit_vector(shape.num_parameters(), 22);
  }
};
}  // namespace

TEST_SUITE("network") {
TEST_CASE("top eigenpairs of the MLP's Hessian and of D, whole and per layer, against dense references") {
  const small_net n;
  const sc::matrix H = test_support::mean_hessian_fd(n.U, n.theta);
  Eigen::SelfAdjointEigenSolver<sc::matrix> es(H);
  const sc::hessian_operator Hop(n.U, n.theta);  // the loss's batched mean_hvp, matrix-free
  const auto top = sc::top_eigenpairs(Hop, 4);
  REQUIRE(top.status == sc::status::success);
  const double scale = es.eigenvalues().cwiseAbs().maxCoeff();
  // FD Hessian error ≈ 1e-9 relative (above) dominates Lanczos' 1e-10 residual tolerance
  for (int k = 0; k < 4; ++k)
    CHECK(std::abs(top.values(k) - es.eigenvalues()(H.rows() - 1 - k)) < 1e-7 * scale);
  CHECK(Hop.applications() == top.operator_applications);

  // the second layer's block (W_2, b_2: 15 parameters)
  const sc::index off = n.shape.layer_offset(1), size = n.shape.layer_size(1);
  CHECK(size == 15);
  const sc::block_operator H2(Hop, off, size);
  const auto top2 = sc::top_eigenpairs(H2, 3);
  Eigen::SelfAdjointEigenSolver<sc::matrix> es2(H.block(off, off, size, size));
  for (int k = 0; k < 3; ++k) CHECK(std::abs(top2.values(k) - es2.eigenvalues()(size - 1 - k)) < 1e-7 * scale);

  // D (population 1/N) through gradient_covariance → the MLP's covariance_apply
  const sc::gradient_covariance noise{std::cref(n.U).get()};
  const sc::diffusion_operator Dop(noise, n.theta);
  const sc::matrix D = test_support::population_covariance(n.U.sample_gradients(n.theta));
  Eigen::SelfAdjointEigenSolver<sc::matrix> esD(D);
  const auto topD = sc::top_eigenpairs(Dop, 3);
  REQUIRE(topD.status == sc::status::success);
  const double dscale = esD.eigenvalues().maxCoeff();
  for (int k = 0; k < 3; ++k) CHECK(std::abs(topD.values(k) - esD.eigenvalues()(D.rows() - 1 - k)) < 1e-9 * dscale);

  // D on a subsample of 12 samples: 1/12 (population), not 1/11
  std::vector<sc::index> rows;
  for (int k = 0; k < 12; ++k) rows.push_back(5 * k);
  const auto sub = sc::subsample(n.U, rows);
  const sc::matrix Gs = n.U.subsample(rows).sample_gradients(n.theta);
  const sc::matrix Ds = test_support::population_covariance(Gs);
  const auto topS = sc::top_eigenpairs(sc::diffusion_operator(sc::gradient_covariance{sub}, n.theta), 2);
  Eigen::SelfAdjointEigenSolver<sc::matrix> esS(Ds);
  CHECK(std::abs(topS.values(0) - esS.eigenvalues()(Ds.rows() - 1)) < 1e-9 * esS.eigenvalues().maxCoeff());
  CHECK(std::abs(topS.values(0) - esS.eigenvalues()(Ds.rows() - 1) * 12.0 / 11.0) > 1e-3 * topS.values(0));
}

TEST_CASE("Hutchinson trace and SLQ moments of the MLP's Hessian and D within their standard errors") {
  const small_net n;
  const sc::hessian_operator Hop(n.U, n.theta);
  const sc::matrix H = test_support::mean_hessian_fd(n.U, n.theta);
  const auto trH = sc::hutchinson_trace(Hop, {.probes = 300, .seed = 4});
  CAPTURE(trH.value);
  CAPTURE(trH.standard_error);
  CHECK(std::abs(trH.value - H.trace()) < 4 * trH.standard_error);
  const sc::gradient_covariance noise{std::cref(n.U).get()};
  const auto trD = sc::hutchinson_trace(sc::diffusion_operator(noise, n.theta), {.probes = 300, .seed = 5});
  const double exact = n.U.covariance_trace(n.theta);  // exact (layer norms), checked in mlp.cpp
  CHECK(std::abs(trD.value - exact) < 4 * trD.standard_error);
  const auto slq = sc::spectral_density(Hop, {.probes = 12, .steps = 40, .seed = 6});
  const double p = static_cast<double>(n.theta.size());
  CHECK(std::abs(slq.moment(1) - H.trace() / p) < 4 * slq.moment_standard_error(1));
  CHECK(std::abs(slq.moment(2) - (H * H).trace() / p) < 4 * slq.moment_standard_error(2));
}

TEST_CASE("the stationary covariance HΣ + ΣH = T·D in the top-k eigenspace of the MLP's Hessian against a dense solve") {
  small_net n;
  n.U = net::mlp_loss<double>(n.shape, n.data, 2.5);  // α = 2.5 makes ∇²U positive definite here (min −1.8 at α = 0)
  const sc::matrix H = test_support::mean_hessian_fd(n.U, n.theta);
  Eigen::SelfAdjointEigenSolver<sc::matrix> es(H);
  REQUIRE(es.eigenvalues().minCoeff() > 0);
  const sc::index p = H.rows();
  // k in 10…40 with the widest relative gap below it (so the dense top-k space is well defined)
  sc::index k = 10;
  double best = 0;
  for (sc::index j = 10; j <= 40; ++j) {
    const double gap = (es.eigenvalues()(p - j) - es.eigenvalues()(p - j - 1)) / es.eigenvalues()(p - 1);
    if (gap > best) best = gap, k = j;
  }
  CAPTURE(k);
  CAPTURE(best);
  const double T = 0.05;
  const sc::gradient_covariance noise{std::cref(n.U).get()};
  const sc::matrix D = test_support::population_covariance(n.U.sample_gradients(n.theta));
  const auto sig = sc::lyapunov_covariance(sc::hessian_operator(n.U, n.theta), sc::diffusion_operator(noise, n.theta), T,
                                           {.k = k});
  REQUIRE(sig.status == sc::status::success);
  // dense: Σ from the full Lyapunov solve, projected onto the dense top-k eigenvectors
  const sc::matrix Sigma = sc::dense_lyapunov(H, D, T).dense();
  const sc::matrix Q = es.eigenvectors().rightCols(k);
  const sc::matrix P = Q * Q.transpose();
  const sc::matrix expected = P * Sigma * P;
  // H by central differences is good to ≈ 1e-9; eigenvector errors are that over the gap
  CHECK((sig.dense() - expected).norm() < 1e-6 / best * expected.norm());
}
}
