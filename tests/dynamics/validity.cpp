// Validity of the diffusion approximation (Appendix A.2): the per-step cumulants of SGD
// against brute-force enumeration of every minibatch, and the Kramers–Moyal ratios.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "shiftcurv/dynamics/diffusion_validity.hpp"

namespace sc = shiftcurv;

namespace {
// A 2-D per-sample loss with skewed gradients: g_i = (θ − x_i) ∘ (1, 2) + (x_i(0)², 0).
struct skewed {
  std::vector<Eigen::Vector2d> x;
  sc::index num_samples() const { return static_cast<sc::index>(x.size()); }
  double value(const sc::vector& th, sc::index i) const {
    const auto& xi = x[static_cast<std::size_t>(i)];
    return 0.5 * (th(0) - xi(0)) * (th(0) - xi(0)) + (th(1) - xi(1)) * (th(1) - xi(1)) + xi(0) * xi(0) * th(0);
  }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const {
    const auto& xi = x[static_cast<std::size_t>(i)];
    g.resize(2);
    g << th(0) - xi(0) + xi(0) * xi(0), 2 * (th(1) - xi(1));
  }
};
}  // namespace

TEST_CASE("SGD step cumulants = brute-force enumeration of all B = 2 batches (with replacement)") {
  skewed f{{{0.0, 1.0}, {1.5, -0.5}, {-0.3, 0.2}, {2.2, 0.9}, {0.4, -1.1}}};
  const sc::vector th = (sc::vector(2) << 0.3, -0.2).finished();
  const double lr = 0.2;
  const int N = 5, B = 2;
  // Enumerate the N² equally likely batches: Δ = −(λ/B)(g_i + g_j).
  std::vector<Eigen::Vector2d> steps;
  sc::vector gi(2), gj(2);
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) {
      f.gradient(th, i, gi);
      f.gradient(th, j, gj);
      steps.push_back(-lr / B * (gi + gj));
    }
  Eigen::Vector2d mean = Eigen::Vector2d::Zero();
  for (const auto& d : steps) mean += d / static_cast<double>(steps.size());
  double m2[2][2] = {}, m3[2][2][2] = {}, m4[2][2][2][2] = {};
  for (const auto& d0 : steps) {
    const Eigen::Vector2d d = d0 - mean;
    const double w = 1.0 / static_cast<double>(steps.size());
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b) {
        m2[a][b] += w * d(a) * d(b);
        for (int c = 0; c < 2; ++c) {
          m3[a][b][c] += w * d(a) * d(b) * d(c);
          for (int e = 0; e < 2; ++e) m4[a][b][c][e] += w * d(a) * d(b) * d(c) * d(e);
        }
      }
  }
  sc::sgd_step_cumulants_options o;
  o.learning_rate = lr;
  o.batch_size = B;
  const auto r = sc::sgd_step_cumulants(f, th, o);
  CHECK((r.mean - mean).norm() < 1e-14);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      CHECK(std::abs(r.covariance(a, b) - (m2[a][b])) <= 1e-12 * std::abs(m2[a][b]));
      for (int c = 0; c < 2; ++c) {
        CHECK(std::abs(r.third[static_cast<std::size_t>(a + 2 * (b + 2 * c))] - (m3[a][b][c])) <= 1e-11 * (1e-14 + std::abs(m3[a][b][c])));
        for (int e = 0; e < 2; ++e) {
          const double k4 = m4[a][b][c][e] - m2[a][b] * m2[c][e] - m2[a][c] * m2[b][e] - m2[a][e] * m2[b][c];
          CHECK(std::abs(r.fourth[static_cast<std::size_t>(a + 2 * (b + 2 * (c + 2 * e)))] - (k4)) <= 1e-10 * (1e-14 + std::abs(k4)));
        }
      }
    }
  // Along the principal directions, the skewness is κ₃(u,u,u)/κ₂(u,u)^{3/2} of the enumeration.
  for (int j = 0; j < 2; ++j) {
    const Eigen::Vector2d u = r.principal_directions.col(j);
    double k3 = 0, k2 = 0;
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b) {
        k2 += m2[a][b] * u(a) * u(b);
        for (int c = 0; c < 2; ++c) k3 += m3[a][b][c] * u(a) * u(b) * u(c);
      }
    CHECK(std::abs(r.skewness(j) - (k3 / std::pow(k2, 1.5))) <= 1e-9 * std::abs(k3 / std::pow(k2, 1.5)));
  }
  CHECK(r.temperature == doctest::Approx(0.1));
}

TEST_CASE("KM ratios shrink like 1/√B and 1/B; the status flags large T") {
  skewed f{{{0.0, 1.0}, {1.5, -0.5}, {-0.3, 0.2}, {2.2, 0.9}, {0.4, -1.1}, {3.0, 0.0}}};
  const sc::vector th = sc::vector::Zero(2);
  sc::sgd_step_cumulants_options o;
  o.learning_rate = 0.1;
  o.batch_size = 1;
  const auto r1 = sc::sgd_step_cumulants(f, th, o);
  o.batch_size = 16;
  const auto r16 = sc::sgd_step_cumulants(f, th, o);
  // With ℓ = one-step spread, r₃ = |skew|/3 ∝ B^{-1/2} and r₄ = |exkurt|/12 ∝ B^{-1} exactly.
  CHECK(std::abs(r16.third_order_ratio - (r1.third_order_ratio / 4)) <= 1e-10 * std::abs(r1.third_order_ratio / 4));
  CHECK(std::abs(r16.fourth_order_ratio - (r1.fourth_order_ratio / 16)) <= 1e-10 * std::abs(r1.fourth_order_ratio / 16));
  CHECK(r1.status == sc::status::assumption_violated);
  o.batch_size = 400;
  CHECK(sc::sgd_step_cumulants(f, th, o).ok());
  // Eq 13's Gaussian β noise adds λTβ² to κ₂ and nothing to κ₃, κ₄.
  o.batch_size = 4;
  o.beta = 0.5;
  const auto rb = sc::sgd_step_cumulants(f, th, o);
  o.beta = 0;
  const auto r0 = sc::sgd_step_cumulants(f, th, o);
  CHECK((rb.covariance - r0.covariance - 0.1 * 0.025 * 0.25 * Eigen::Matrix2d::Identity()).norm() < 1e-15);
  CHECK(rb.third == r0.third);
}

TEST_CASE("sgd_step_cumulants: bad input throws") {
  skewed f{{{0.0, 1.0}, {1.5, -0.5}}};
  sc::sgd_step_cumulants_options o;
  o.learning_rate = 0.1;
  const sc::vector th = sc::vector::Zero(2);
  auto bad = o;
  bad.learning_rate = -1;
  CHECK_THROWS_AS(sc::sgd_step_cumulants(f, th, bad), sc::domain_error);
  bad = o; bad.batch_size = 0;
  CHECK_THROWS_AS(sc::sgd_step_cumulants(f, th, bad), sc::invalid_argument);
  bad = o; bad.length_scale = -1;
  CHECK_THROWS_AS(sc::sgd_step_cumulants(f, th, bad), sc::domain_error);
  const sc::vector nan = sc::vector::Constant(2, std::nan(""));
  CHECK_THROWS_AS(sc::sgd_step_cumulants(f, nan, o), sc::invalid_argument);
}
