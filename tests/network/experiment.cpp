// The library's protocol (studies/line_protocol.hpp) on the MLP through network_experiment's
// timing adapter (examples/network/experiment_protocol.hpp), the example's run_sgd, and SGD's
// batched minibatch path (dynamics/sgd.hpp + mlp_loss::minibatch_gradient), against independent
// references: the dual-number MLP reference of tests/network_reference.hpp and the per-sample
// SGD path.  The protocol itself on closed forms: tests/studies/line_protocol.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "network/experiment_protocol.hpp"
#include "network/mlp.hpp"
#include "network_reference.hpp"
#include "quadratic_samples.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"

namespace sc = shiftcurv;
namespace net = shiftcurv_examples::network;

namespace experiment_test {

const net::digits_split& digits() {
  static const net::digits_split d = net::load_digits(net::default_digits_path());
  return d;
}
net::labeled_data rows_of(const net::labeled_data& d, int n, int stride) {
  std::vector<sc::index> rows;
  for (int k = 0; k < n; ++k) rows.push_back(static_cast<sc::index>(k) * stride);
  return d.subset(rows);
}

using test_support::quadratic_samples;

quadratic_samples make_quadratic(int n, double offset, unsigned seed) {
  sc::matrix A(3, 3);
  A << 2.0, 0.3, 0.1, 0.3, 1.0, -0.2, 0.1, -0.2, 0.6;  // eigenvalues in [0.5, 2.1]
  return test_support::make_quadratic(A, n, offset, seed);
}

/// A per-sample loss with only the per-sample members of L (SGD's per-sample path).
template <class L>
struct per_sample_only {
  const L* f;
  sc::index num_samples() const { return f->num_samples(); }
  double value(const sc::vector& th, sc::index i) const { return f->value(th, i); }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const { f->gradient(th, i, g); }
};

TEST_SUITE("network") {
TEST_CASE("SGD: the batched minibatch path gives the per-sample path's trajectory (same Philox indices)") {
  const net::mlp_shape shape{{64, 4, 10}};
  const net::mlp_loss<double> U(shape, rows_of(digits().train, 50, 19), 0.01);
  static_assert(sc::has_minibatch_gradient<net::mlp_loss<double>>);
  const per_sample_only<net::mlp_loss<double>> slow{&U};
  static_assert(!sc::has_minibatch_gradient<per_sample_only<net::mlp_loss<double>>>);
  for (auto sampling : {sc::minibatch_sampling::with_replacement, sc::minibatch_sampling::without_replacement}) {
    sc::sgd_options o;
    o.learning_rate = 0.2;
    o.batch_size = 7;
    o.sampling = sampling;
    o.alpha = 0.05;
    o.beta = 0.01;
    sc::sgd_stepper fast_sgd(U, o, sc::philox_noise(5, 2));
    sc::sgd_stepper slow_sgd(slow, o, sc::philox_noise(5, 2));
    sc::vector a = net::initial_parameters(shape, 3), b = a;
    for (int n = 0; n < 60; ++n) {
      fast_sgd.step(a);
      slow_sgd.step(b);
      REQUIRE(fast_sgd.last_batch() == slow_sgd.last_batch());
    }
    // The two paths differ only in the order of summing 7 gradients (rounding ≈ 1e-16 per
    // step, not amplified by 60 contracting steps of size λ = 0.2): 1e-12 relative.
    CHECK((a - b).norm() <= 1e-12 * b.norm());
    CHECK((a - net::initial_parameters(shape, 3)).norm() > 0.01);  // it moved
  }
  // the minibatch gradient is the mean of the per-sample gradients, repetitions counted
  const sc::vector th = net::initial_parameters(shape, 4);
  const std::vector<sc::index> rows{3, 3, 10, 49};
  sc::vector g, gi, mean = sc::vector::Zero(th.size());
  U.minibatch_gradient(th, rows, g);
  test_support::reference_mlp ref{{64, 4, 10}, U.data().features, U.data().labels, 0.0};
  for (sc::index i : rows) {
    auto li = [&ref, i](const auto& x) { return ref.sample_loss(x, i); };
    mean += sc::gradient(li, th) / 4.0;
  }
  mean += 0.01 * th;  // the ℓ2 term in each sample
  CHECK((g - mean).norm() <= 1e-12 * mean.norm());
  CHECK_THROWS_AS(U.minibatch_gradient(th, {}, g), sc::invalid_argument);
  CHECK_THROWS_AS(U.minibatch_gradient(th, {50}, g), sc::invalid_argument);
}

TEST_CASE("protocol on a tiny MLP: the line's endpoints are minima and sᵀC_test s matches the dual-number Hessian") {
  const net::mlp_shape shape{{64, 3, 10}};
  const net::labeled_data dtr = rows_of(digits().train, 40, 23), dte = rows_of(digits().test, 30, 25);
  const net::mlp_loss<double> tr(shape, dtr, 0.01), te(shape, dte, 0.01);
  sc::line_protocol_options o;
  o.temperature = 0.02;
  o.batch_size = 8;
  o.epochs = 10;
  o.descent.gradient_tolerance = 1e-7;
  o.descent.max_iterations = 20000;
  net::call_timing timing;
  const net::timed_loss<net::mlp_loss<double>> ttr{&tr, &timing}, tte{&te, &timing};
  static_assert(sc::per_sample_loss<net::timed_loss<net::mlp_loss<double>>>);  // as mlp_loss
  const auto r = sc::run_protocol(ttr, tte, net::initial_parameters(shape, 1), o, 1);
  CHECK(timing.minibatches == 50);  // ⌈10·40/8⌉ SGD steps, each one minibatch_gradient
  CHECK(timing.gradients >= 2);     // the descents' value_and_gradient calls
  CHECK(timing.hvps >= 1);
  REQUIRE(r.train_descent.ok());
  REQUIRE(r.test_descent.ok());
  // gradients by the independent per-sample reference (dual numbers), ℓ2 included
  test_support::reference_mlp rtr{{64, 3, 10}, dtr.features, dtr.labels, 0.01}, rte{{64, 3, 10}, dte.features, dte.labels, 0.01};
  CHECK(sc::gradient(rtr, r.theta_tr).norm() <= 1.01e-7);
  CHECK(sc::gradient(rte, r.theta_test).norm() <= 1.01e-7);
  // minima along the line, both sides: U(θ* ± h u) > U(θ*), h = 1e-3|s|
  const sc::vector s = r.theta_test - r.theta_tr, u = s / s.norm();
  const double h = 1e-3 * s.norm();
  CHECK(rtr(sc::vector(r.theta_tr + h * u)) > rtr(r.theta_tr));
  CHECK(rtr(sc::vector(r.theta_tr - h * u)) > rtr(r.theta_tr));
  CHECK(rte(sc::vector(r.theta_test + h * u)) > rte(r.theta_test));
  CHECK(rte(sc::vector(r.theta_test - h * u)) > rte(r.theta_test));
  // sᵀ C_test s with C_test by dual numbers (rounding of two summation orders: 1e-10)
  const double ref = s.dot(sc::vector(sc::hvp(rte, r.theta_test, s)));
  CHECK(std::abs(r.shift_curvature_hvp - ref) <= 1e-10 * std::abs(ref));
  CHECK(r.test_at_train_min == doctest::Approx(rte(r.theta_tr)).epsilon(1e-12));
  CHECK(r.train_accuracy_at_min >= 0.0);
  CHECK(r.train_accuracy_at_min <= 1.0);
}

TEST_CASE("run_sgd: bad input names the caller") {
  const quadratic_samples q = make_quadratic(10, 0.0, 3);
  auto message_of = [&](auto&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  sc::vector x = sc::vector::Zero(3);
  CHECK_THROWS_AS(net::run_sgd("f", q, x, 0.0, 2, 1.0, 1, 0, [](long, const sc::vector&) {}), sc::domain_error);
  CHECK_THROWS_AS(net::run_sgd("f", q, x, -0.1, 2, 1.0, 1, 0, [](long, const sc::vector&) {}), sc::domain_error);
  CHECK_THROWS_AS(net::run_sgd("f", q, x, 0.1, 2, 0.0, 1, 0, [](long, const sc::vector&) {}), sc::domain_error);
  CHECK_THROWS_AS(net::run_sgd("f", q, x, 0.1, 11, 1.0, 1, 0, [](long, const sc::vector&) {}), sc::invalid_argument);
  CHECK(message_of([&] { net::run_sgd("f", q, x, 0.0, 2, 1.0, 1, 0, [](long, const sc::vector&) {}); })
            .rfind("shiftcurv::f: the learning rate", 0) == 0);
}
}

}  // namespace experiment_test
