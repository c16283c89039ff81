// The digits MLP loss (examples/network/mlp.hpp) against an independent reference: the
// per-sample loop of tests/network_reference.hpp differentiated by the library's dual numbers
// (exact), central differences, and explicitly formed D.  Tolerances: the batched GEMM route and
// the loop differ only by rounding (≈ 1e-15 relative per operation, a few hundred operations per
// entry): 1e-12 relative; central differences with h = 1e-5 have truncation error ≈ h²|f'''| ≈
// 1e-10 plus rounding ≈ ε|f|/h ≈ 1e-11: 1e-7 relative.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include "network/mlp.hpp"
#include "network_reference.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/derivatives/per_sample.hpp"
#include "shiftcurv/noise/gradient_covariance.hpp"
#include "support.hpp"

namespace sc = shiftcurv;
namespace net = shiftcurv_examples::network;

namespace {

double rel(const sc::vector& a, const sc::vector& b) { return (a - b).norm() / b.norm(); }

const net::digits_split& digits() {
  static const net::digits_split d = net::load_digits(net::default_digits_path());
  return d;
}

/// 24 training digits spread over the set, a 64-5-4-10 net (p = 379), α = 0.01, and a θ away
/// from the initialisation so that no layer is near-linear.
struct tiny {
  net::mlp_shape shape{{64, 5, 4, 10}};
  net::labeled_data data;
  net::mlp_loss<double> U;
  test_support::reference_mlp ref;
  sc::vector theta, v;
  static net::labeled_data pick() {
    std::vector<sc::index> rows;
    for (int k = 0; k < 24; ++k) rows.push_back(41 * k);
    return digits().train.subset(rows);
  }
  tiny()
      : data(pick()), U(shape, data, 0.01), ref{{64, 5, 4, 10}, data.features, data.labels, 0.01} {
    theta = net::initial_parameters(shape, 7) + 0.3 * net::unit_vector(shape.num_parameters(), 8);
    v = net::unit_vector(shape.num_parameters(), 9);
  }
  /// The reference's per-sample gradient g_i (cross-entropy part), exact by dual numbers.
  sc::vector ref_sample_gradient(sc::index i) const {
    const auto& r = ref;
    auto li = [&r, i](const auto& th) { return r.sample_loss(th, i); };
    return sc::gradient(li, theta);
  }
  sc::matrix ref_sample_gradients() const {
    sc::matrix G(data.size(), theta.size());
    for (sc::index i = 0; i < data.size(); ++i) G.row(i) = ref_sample_gradient(i).transpose();
    return G;
  }
};

sc::matrix covariance_of(const sc::matrix& G) {
  const sc::matrix C = G.rowwise() - G.colwise().mean();
  return C.transpose() * C / static_cast<double>(G.rows());
}

/// Only the per-sample members of the MLP: forces the library's generic per-sample loops.
struct per_sample_only {
  const net::mlp_loss<double>* U;
  sc::index num_samples() const { return U->num_samples(); }
  double value(const sc::vector& th, sc::index i) const { return U->value(th, i); }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const { U->gradient(th, i, g); }
  void hvp(const sc::vector& th, sc::index i, const sc::vector& v, sc::vector& out) const { U->hvp(th, i, v, out); }
};

/// The MLP with its per-sample gradient counted: the batched dispatch must not call it.
struct counting_mlp : net::mlp_loss<double> {
  using net::mlp_loss<double>::mlp_loss;
  mutable long per_sample_gradient_calls = 0;
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const {
    ++per_sample_gradient_calls;
    net::mlp_loss<double>::gradient(th, i, g);
  }
};

}  // namespace

static_assert(sc::per_sample_loss<net::mlp_loss<double>>);
static_assert(sc::batched_per_sample_loss<net::mlp_loss<double>>);
static_assert(sc::batched_per_sample_loss<net::mlp_loss<float>>);
static_assert(sc::has_batched_covariance<net::mlp_loss<double>> && sc::has_batched_covariance_divergence<net::mlp_loss<double>>);
static_assert(sc::has_sample_hvp<net::mlp_loss<double>>);
static_assert(!sc::batched_per_sample_loss<per_sample_only>);
static_assert(sc::has_hvp<sc::mean_loss_of<net::mlp_loss<double>>>);

TEST_SUITE("network") {
TEST_CASE("digits: 1000 training and 797 test samples, features / 16, labels 0–9") {
  const auto& d = digits();
  CHECK(d.train.size() == 1000);
  CHECK(d.test.size() == 797);
  CHECK(d.train.features.rows() == 64);
  CHECK(d.train.features.minCoeff() == 0.0);
  CHECK(d.train.features.maxCoeff() == 1.0);
  // the file's first line: 0,0,5,13,9,1,0,0,… label 0; its 1001st line is the first test row
  CHECK(d.train.features(2, 0) == 5.0 / 16);
  CHECK(d.train.features(3, 0) == 13.0 / 16);
  CHECK(d.train.labels[0] == 0);
  std::vector<int> counts(10, 0);
  for (int y : d.train.labels) ++counts[static_cast<std::size_t>(y)];
  for (int c : counts) CHECK(c > 80);  // roughly balanced: ≈ 100 per class
}

TEST_CASE("digits: a missing or malformed file is reported with the file, line and field") {
  using test_support::throws_naming;
  throws_naming([] { net::load_digits("/nonexistent/digits.csv.gz"); }, "network::load_digits");
  const std::string path = "/tmp/shiftcurv_digits_" + std::to_string(::getpid()) + ".csv";
  auto write = [&](const std::string& text) { std::ofstream(path) << text; };
  std::string row;
  for (int j = 0; j < 64; ++j) row += "1,";
  write(row + "3\n" + row + "x\n");
  try {
    net::load_labeled_csv(path, 64, 10, 16, 1.0 / 16);
    FAIL("no exception");
  } catch (const sc::invalid_argument& e) {
    const std::string w = e.what();
    CHECK(w.find("line 2") != std::string::npos);
    CHECK(w.find("field 65") != std::string::npos);
  }
  write(row + "3,4\n");
  CHECK_THROWS_AS(net::load_labeled_csv(path, 64, 10, 16, 1.0 / 16), sc::invalid_argument);
  write(row + "12\n");  // label outside 0–9
  CHECK_THROWS_AS(net::load_labeled_csv(path, 64, 10, 16, 1.0 / 16), sc::invalid_argument);
  write(row + "3\n");  // a plain CSV with one row reads; too few rows for the split
  CHECK(net::load_labeled_csv(path, 64, 10, 16, 1.0 / 16).size() == 1);
  throws_naming([&] { net::load_digits(path); }, "network::load_digits");
  std::remove(path.c_str());
}

TEST_CASE("initial_parameters: LeCun normal weights, zero biases, reproducible") {
  const net::mlp_shape shape{{64, 200, 10}};
  const sc::vector th = net::initial_parameters(shape, 5);
  CHECK(th.size() == 64 * 200 + 200 + 200 * 10 + 10);
  CHECK(th == net::initial_parameters(shape, 5));
  CHECK(th != net::initial_parameters(shape, 6));
  CHECK(th.segment(shape.bias_offset(0), 200).norm() == 0.0);
  // sample variance of the 12800 first-layer weights: 1/64 within 5 standard errors (√(2/n)·σ²)
  const auto W = th.head(64 * 200);
  const double var = W.squaredNorm() / W.size(), se = std::sqrt(2.0 / W.size()) / 64;
  CHECK(std::abs(var - 1.0 / 64) < 5 * se);
  CHECK(std::abs(W.mean()) < 5 * std::sqrt(1.0 / 64 / W.size()));
  CHECK(net::unit_vector(50, 3).norm() == doctest::Approx(1.0).epsilon(1e-15));
}

TEST_CASE("value, gradient and HVP against the dual-number reference and central differences") {
  const tiny t;
  CHECK(std::abs(t.U.mean_value(t.theta) - t.ref(t.theta)) < 1e-13 * std::abs(t.ref(t.theta)));
  const sc::vector g_ref = sc::gradient(t.ref, t.theta);  // exact (dual numbers)
  CHECK(rel(t.U.mean_gradient(t.theta), g_ref) < 1e-12);
  const sc::vector hv_ref = sc::hvp(t.ref, t.theta, t.v);  // exact (dual of dual)
  CHECK(rel(t.U.mean_hvp(t.theta, t.v), hv_ref) < 1e-12);
  // central differences of the value and of the gradient
  const double h = 1e-5;
  sc::vector g_fd(t.theta.size());
  for (sc::index j = 0; j < t.theta.size(); ++j) {
    sc::vector a = t.theta, b = t.theta;
    a(j) += h;
    b(j) -= h;
    g_fd(j) = (t.U.mean_value(a) - t.U.mean_value(b)) / (2 * h);
  }
  CHECK(rel(g_fd, g_ref) < 1e-7);
  const sc::vector hv_fd = (t.U.mean_gradient(t.theta + h * t.v) - t.U.mean_gradient(t.theta - h * t.v)) / (2 * h);
  CHECK(rel(hv_fd, hv_ref) < 1e-7);
}

TEST_CASE("per-sample members and the per-sample gradient matrix") {
  const tiny t;
  const sc::matrix G = t.U.sample_gradients(t.theta);
  REQUIRE(G.rows() == 24);
  REQUIRE(G.cols() == t.theta.size());
  for (sc::index i : {0, 7, 23}) {
    const sc::vector gi_ref = t.ref_sample_gradient(i) + 0.01 * t.theta;
    sc::vector gi;
    t.U.gradient(t.theta, i, gi);
    CHECK(rel(gi, gi_ref) < 1e-12);
    CHECK(rel(G.row(i).transpose(), gi_ref) < 1e-12);
    const auto& r = t.ref;
    auto li = [&r, i](const auto& th) { return r.sample_loss(th, i); };
    sc::vector hv;
    t.U.hvp(t.theta, i, t.v, hv);
    CHECK(rel(hv, sc::hvp(li, t.theta, t.v) + 0.01 * t.v) < 1e-12);
    CHECK(std::abs(t.U.value(t.theta, i) - (r.sample_loss(t.theta, i) + 0.005 * t.theta.squaredNorm())) < 1e-13);
  }
  // the rows average to the full gradient (ℓ2 term included in every row)
  CHECK(rel(G.colwise().mean().transpose(), sc::gradient(t.ref, t.theta)) < 1e-12);
}

TEST_CASE("D·v and tr D against the explicitly formed D (population 1/N)") {
  const tiny t;
  const sc::matrix D = covariance_of(t.ref_sample_gradients());
  CHECK(rel(t.U.covariance_apply(t.theta, t.v), D * t.v) < 1e-12);
  CHECK(std::abs(t.U.covariance_trace(t.theta) - D.trace()) < 1e-12 * D.trace());
  // on a subsample, D is the population covariance of those rows (1/|rows|)
  const std::vector<sc::index> rows{1, 4, 9, 16, 23};
  const auto sub = t.U.subsample(rows);
  sc::matrix Gs(5, t.theta.size());
  const sc::matrix G = t.ref_sample_gradients();
  for (int k = 0; k < 5; ++k) Gs.row(k) = G.row(rows[static_cast<std::size_t>(k)]);
  CHECK(rel(sub.covariance_apply(t.theta, t.v), covariance_of(Gs) * t.v) < 1e-12);
  CHECK(sub.num_samples() == 5);
}

TEST_CASE("∇·D: exact route against central differences of the formed D and the generic path") {
  // a smaller net and sample (64-3-10, p = 235, 10 digits): the generic path forms N·p HVPs
  tiny t;
  std::vector<sc::index> rows{0, 2, 5, 7, 11, 13, 17, 19, 22, 23};
  t.shape = net::mlp_shape{{64, 3, 10}};
  t.data = t.data.subset(rows);
  t.U = net::mlp_loss<double>(t.shape, t.data, 0.01);
  t.theta = net::initial_parameters(t.shape, 7) + 0.3 * net::unit_vector(t.shape.num_parameters(), 8);
  // (∇·D)_a = Σ_b ∂_b D_ab, by central differences of D formed explicitly from the per-sample
  // gradient matrix (itself checked against the reference above; the α term cancels in D)
  const double h = 1e-5;
  const sc::index p = t.theta.size();
  auto D_at = [&](const sc::vector& th) { return covariance_of(t.U.sample_gradients(th)); };
  sc::vector div_fd = sc::vector::Zero(p);
  for (sc::index b = 0; b < p; b += 1) {
    sc::vector a1 = t.theta, a2 = t.theta;
    a1(b) += h;
    a2(b) -= h;
    div_fd += (D_at(a1).col(b) - D_at(a2).col(b)) / (2 * h);
  }
  const net::divergence_estimate exact = t.U.covariance_divergence(t.theta, 0, 1);
  CHECK(exact.exact);
  CHECK(rel(exact.value, div_fd) < 1e-6);
  // the library's generic per-sample path (per-sample HVPs → Hessians) agrees to rounding
  const per_sample_only generic{&t.U};
  const sc::vector div_generic = sc::gradient_covariance{generic}.divergence(t.theta);
  CHECK(rel(exact.value, div_generic) < 1e-11);
  // Hutchinson: unbiased, and its standard error is the right size: Σ(err²)/Σ(se²) ≈ 1
  const net::divergence_estimate est = t.U.covariance_divergence(t.theta, 200, 11);
  CHECK_FALSE(est.exact);
  const double ratio = (est.value - exact.value).squaredNorm() / est.standard_error.squaredNorm();
  CAPTURE(ratio);
  CHECK(ratio > 0.2);
  CHECK(ratio < 3.0);
}

TEST_CASE("the library uses the batched members (no per-sample loop) and gets the same numbers") {
  const tiny t;
  const counting_mlp U(t.shape, t.data, 0.01);
  const sc::gradient_covariance noise{std::cref(U).get()};
  const sc::mean_loss_of train{std::cref(U).get()};
  const sc::matrix D = covariance_of(t.ref_sample_gradients());
  const long before = noise.samples.per_sample_gradient_calls + train.samples.per_sample_gradient_calls;
  CHECK(rel(noise.apply(t.theta, t.v), D * t.v) < 1e-12);
  CHECK(std::abs(noise.trace(t.theta) - D.trace()) < 1e-12 * D.trace());
  CHECK(rel(sc::gradient(train, t.theta), sc::gradient(t.ref, t.theta)) < 1e-12);
  CHECK(rel(sc::hvp(train, t.theta, t.v), sc::hvp(t.ref, t.theta, t.v)) < 1e-12);
  CHECK(std::abs(sc::mean_loss(U, t.theta) - t.ref(t.theta)) < 1e-13 * t.ref(t.theta));
  CHECK(rel(sc::mean_gradient(U, t.theta), sc::gradient(t.ref, t.theta)) < 1e-12);
  CHECK((sc::sample_gradients(U, t.theta) - t.U.sample_gradients(t.theta)).norm() == 0.0);
  CHECK(noise.samples.per_sample_gradient_calls + train.samples.per_sample_gradient_calls == before);
  CHECK(U.per_sample_gradient_calls == 0);
}

TEST_CASE("float precision agrees with double to single-precision rounding") {
  const tiny t;
  const net::mlp_loss<float> Uf(t.shape, t.data, 0.01);
  CHECK(std::abs(Uf.mean_value(t.theta) - t.U.mean_value(t.theta)) < 1e-5);
  CHECK(rel(Uf.mean_gradient(t.theta), t.U.mean_gradient(t.theta)) < 1e-4);
  CHECK(rel(Uf.mean_hvp(t.theta, t.v), t.U.mean_hvp(t.theta, t.v)) < 1e-4);
  CHECK(rel(Uf.covariance_apply(t.theta, t.v), t.U.covariance_apply(t.theta, t.v)) < 1e-4);
}

TEST_CASE("bad input names the member and the value") {
  using test_support::throws_naming;
  const tiny t;
  const sc::vector short_theta = t.theta.head(10);
  sc::vector nan_theta = t.theta;
  nan_theta(3) = std::nan("");
  throws_naming([&] { t.U.mean_gradient(short_theta); }, "network::mlp_loss::mean_gradient");
  throws_naming([&] { t.U.mean_value(nan_theta); }, "network::mlp_loss::mean_value");
  throws_naming([&] { t.U.mean_hvp(t.theta, short_theta); }, "network::mlp_loss::mean_hvp");
  throws_naming([&] { t.U.covariance_apply(t.theta, nan_theta); }, "network::mlp_loss::covariance_apply");
  throws_naming([&] { t.U.value(t.theta, 24); }, "network::mlp_loss::value");
  throws_naming([&] { sc::gradient_covariance{t.U}.apply(short_theta, short_theta); }, "gradient_covariance::apply");
  throws_naming([&] { net::mlp_loss<double>(net::mlp_shape{{64}}, t.data); }, "network::mlp_loss");
  throws_naming([&] { net::mlp_loss<double>(net::mlp_shape{{63, 10}}, t.data); }, "network::mlp_loss");
  throws_naming([&] { net::mlp_loss<double>(net::mlp_shape{{64, 0, 10}}, t.data); }, "network::mlp_loss");
  throws_naming([&] { net::mlp_loss<double>(net::mlp_shape{{64, 4}}, t.data); }, "network::mlp_loss");  // labels ≥ 4
  throws_naming([&] { net::mlp_loss<double>(t.shape, t.data, -1.0); }, "network::mlp_loss");
}
}
