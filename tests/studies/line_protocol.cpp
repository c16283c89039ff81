// run_protocol / line_protocol (studies/line_protocol.hpp) on quadratic per-sample losses whose
// train and test Hessians differ (A_tr ≠ A_te), so that every number along the line has a closed
// form and a swap of the train and test losses anywhere in the fits would be seen: the minima
// are the sample means, the curvatures along u = s/|s| are uᵀA_tr u and uᵀA_te u, and
// U_test(θ_tr) = U_test(θ_test) + ½ sᵀA_te s exactly (eq 3).  Also: the batched-only route gives
// the per-sample route's numbers bit for bit, bad input names the function, a diverging SGD
// throws, and a descent that cannot converge is the result's status.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Eigenvalues>

#include "shiftcurv/studies/line_protocol.hpp"

#include "quadratic_samples.hpp"

namespace sc = shiftcurv;

namespace line_protocol_test {

using test_support::quadratic_samples;

/// The batched members of L only (a GPU network loss's shape: no per-sample members).
template <class L>
struct batched_only {
  const L* f;
  sc::index num_samples() const { return f->num_samples(); }
  sc::index dimension() const { return f->dimension(); }
  double mean_value(const sc::vector& th) const { return f->mean_value(th); }
  sc::vector mean_gradient(const sc::vector& th) const { return f->mean_gradient(th); }
  sc::vector mean_hvp(const sc::vector& th, const sc::vector& v) const { return f->mean_hvp(th, v); }
  void minibatch_gradient(const sc::vector& th, const std::vector<sc::index>& rows, sc::vector& g) const {
    f->minibatch_gradient(th, rows, g);
  }
};

using test_support::make_quadratic;
sc::matrix train_hessian() {
  sc::matrix A(3, 3);
  A << 2.0, 0.3, 0.1, 0.3, 1.0, -0.2, 0.1, -0.2, 0.6;  // eigenvalues in [0.5, 2.1]
  return A;
}
sc::matrix test_hessian() {
  sc::matrix A(3, 3);
  A << 0.7, -0.1, 0.0, -0.1, 2.5, 0.4, 0.0, 0.4, 3.0;  // eigenvalues in [0.69, 3.3]
  return A;
}
double lambda_min(const sc::matrix& A) { return Eigen::SelfAdjointEigenSolver<sc::matrix>(A).eigenvalues()(0); }

std::string message_of(auto&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  return std::string();
}

TEST_SUITE("studies") {
TEST_CASE("run_protocol: minima, curvatures along the line and eq 3 against closed forms (A_tr != A_te)") {
  const quadratic_samples tr = make_quadratic(train_hessian(), 40, 0.0, 1), te = make_quadratic(test_hessian(), 30, 0.05, 2);
  const sc::vector xbar = tr.X.rowwise().mean(), ybar = te.X.rowwise().mean();
  const sc::vector s = ybar - xbar, u = s / s.norm();
  const double c_train = u.dot(tr.A * u), c_test = u.dot(te.A * u);  // curvatures along the line
  const double sCs = s.dot(te.A * s);
  // the fixture tells the two Hessians apart along the line: a swap moves each curvature by > 40%
  REQUIRE(std::abs(c_train - c_test) > 0.4 * std::min(c_train, c_test));
  const double U_te_min = te.closed_form(ybar);
  sc::line_protocol_options o;
  o.temperature = 0.01;
  o.batch_size = 5;
  o.epochs = 20;
  // 1e-8: below it a Wolfe line search cannot see the loss decrease (≈ |∇U|²/λ_min ≈ 1e-16
  // against U ≈ 0.1 and its rounding of 1e-17)
  o.descent.gradient_tolerance = 1e-8;
  const auto r = sc::run_protocol(tr, te, sc::vector::Constant(3, 2.0), o, 7);
  INFO(r.message);
  REQUIRE(r.ok());
  REQUIRE(r.train_descent.ok());
  REQUIRE(r.test_descent.ok());
  CHECK(r.sgd_steps == 160);  // ⌈20·40/5⌉
  CHECK(r.learning_rate == doctest::Approx(0.05));
  // endpoints are minima: |∇U| ≤ gtol, so |θ − θ*| ≤ gtol/λ_min(A)
  const double d_tr = 1e-8 / lambda_min(tr.A), d_te = 1e-8 / lambda_min(te.A);
  CHECK(tr.mean_gradient(r.theta_tr).norm() <= 1e-8);
  CHECK(te.mean_gradient(r.theta_test).norm() <= 1e-8);
  CHECK((r.theta_tr - xbar).norm() <= d_tr);
  CHECK((r.theta_test - ybar).norm() <= d_te);
  CHECK(std::abs(r.shift_norm - s.norm()) <= d_tr + d_te);
  // along the line the losses are exactly quadratic: the symmetrized fits and the HVP are exact
  // up to the endpoints' errors, δ/|s| ≈ 2e-8/0.2 = 1e-7 relative in the direction: 1e-5
  // relative.  A swap of the train and test losses would move them by > 40% (above).
  CHECK(std::abs(r.line.train_curvature - c_train) <= 1e-5 * c_train);
  CHECK(std::abs(r.line.test_curvature - c_test) <= 1e-5 * c_test);
  CHECK(std::abs(r.line.directional_curvature - c_test) <= 1e-5 * c_test);
  CHECK(std::abs(r.shift_curvature_hvp - sCs) <= 1e-5 * sCs);
  CHECK(std::abs(r.shift_curvature_fit - sCs) <= 1e-5 * sCs);
  CHECK(r.line.test_residual <= 1e-9);
  CHECK(r.line.train_residual <= 1e-9);
  // eq 3 holds exactly for a quadratic: U_test(θ_tr) = U_test(θ_test) + ½ sᵀA_te s.  The values
  // at the computed points agree with the closed forms to rounding (1e-14), and the points are
  // within d of the minima: U_test(θ_tr) moves by ≤ |∇U_te(x̄)|·d_tr + O(d²) ≤ 2|A_te s|·d_tr.
  CHECK(std::abs(r.test_at_train_min - te.closed_form(r.theta_tr)) <= 1e-14);
  CHECK(std::abs(r.test_at_test_min - te.closed_form(r.theta_test)) <= 1e-14);
  CHECK(std::abs(r.train_at_train_min - tr.closed_form(r.theta_tr)) <= 1e-14);
  CHECK(std::abs(r.test_at_test_min - U_te_min) <= 1e-14);
  const double eq3_tol = 2 * (te.A * s).norm() * d_tr;
  CHECK(std::abs(r.test_at_train_min - (U_te_min + 0.5 * sCs)) <= eq3_tol);
  CHECK(std::abs(r.eq3_prediction - r.test_at_train_min) <= eq3_tol);
  // the line: r = 0 is θ_tr, r = |s| is θ_test; each value is the closed form at Θ(r)
  REQUIRE(r.r.size() == 49);
  CHECK(r.r.front() == doctest::Approx(-0.5 * r.shift_norm));
  CHECK(r.r.back() == doctest::Approx(1.5 * r.shift_norm));
  const sc::vector ur = (r.theta_test - r.theta_tr) / r.shift_norm;
  for (std::size_t k = 0; k < r.r.size(); ++k) {
    const sc::vector th = r.theta_tr + r.r[k] * ur;
    CHECK(r.train_loss[k] == doctest::Approx(tr.closed_form(th)).epsilon(1e-12));
    CHECK(r.test_loss[k] == doctest::Approx(te.closed_form(th)).epsilon(1e-12));
  }
  CHECK(std::isnan(r.train_accuracy[0]));  // the quadratic has no accuracy()
  CHECK(std::isnan(r.train_accuracy_at_min));
}

TEST_CASE("run_protocol: a loss with only batched members gives the per-sample route's numbers") {
  const quadratic_samples tr = make_quadratic(train_hessian(), 40, 0.0, 1), te = make_quadratic(test_hessian(), 30, 0.05, 2);
  const batched_only<quadratic_samples> btr{&tr}, bte{&te};
  static_assert(!sc::per_sample_loss<batched_only<quadratic_samples>>);
  static_assert(sc::line_protocol_loss<batched_only<quadratic_samples>>);
  sc::line_protocol_options o;
  o.batch_size = 5;
  o.epochs = 4;
  o.line_points = 5;
  o.descent.gradient_tolerance = 1e-8;
  const auto a = sc::run_protocol(tr, te, sc::vector::Constant(3, 2.0), o, 3);
  const auto b = sc::run_protocol(btr, bte, sc::vector::Constant(3, 2.0), o, 3);
  // the same calls in the same order (SGD by minibatch_gradient, L-BFGS by mean_value then
  // mean_gradient, values by mean_value, the HVP by mean_hvp): identical numbers
  CHECK(a.theta_sgd == b.theta_sgd);
  CHECK(a.theta_tr == b.theta_tr);
  CHECK(a.theta_test == b.theta_test);
  CHECK(a.shift_curvature_hvp == b.shift_curvature_hvp);
  CHECK(a.line.test_curvature == b.line.test_curvature);
  CHECK(a.test_loss == b.test_loss);
  CHECK(a.status == b.status);
}

TEST_CASE("line_protocol: descents that meet or do not converge are the result's status") {
  const quadratic_samples q = make_quadratic(train_hessian(), 10, 0.0, 3);
  sc::line_protocol_options o;
  o.descent.gradient_tolerance = 1e-8;
  // the same loss twice: the two descents are the same computation, θ_tr = θ_test, no line
  const auto met = sc::line_protocol(q, q, sc::vector::Constant(3, 3.0), o);
  CHECK(met.shift_norm == 0);
  CHECK(met.status == sc::status::assumption_violated);
  CHECK(met.line.status == sc::status::assumption_violated);
  CHECK(met.r.empty());
  CHECK(std::isnan(met.shift_curvature_fit));
  CHECK(met.message.rfind("shiftcurv::line_protocol: ", 0) == 0);
  // a tolerance L-BFGS cannot reach in 5 iterations: the status (not success), the final |∇U|
  const quadratic_samples te = make_quadratic(test_hessian(), 10, 0.05, 4);
  o.descent.gradient_tolerance = 1e-30;
  o.descent.max_iterations = 5;
  const auto r = sc::line_protocol(q, te, sc::vector::Constant(3, 3.0), o);
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.train_descent.ok());
  CHECK(sc::severity(r.status) >= sc::severity(r.train_descent.status));
  CHECK(r.train_descent.gradient_norm == doctest::Approx(q.mean_gradient(r.train_descent.theta).norm()));
  CHECK(r.message.find("shiftcurv::line_protocol (train descent): L-BFGS stopped") != std::string::npos);
}

TEST_CASE("run_protocol: a diverging SGD throws std::runtime_error naming the function") {
  const quadratic_samples tr = make_quadratic(train_hessian(), 40, 0.0, 1), te = make_quadratic(test_hessian(), 30, 0.05, 2);
  sc::line_protocol_options o;
  o.temperature = 10;  // λ = T·B = 50: |1 − λ·λ_max(A)| ≈ 100 per step, 160 steps overflow
  o.batch_size = 5;
  o.epochs = 20;
  CHECK_THROWS_AS(sc::run_protocol(tr, te, sc::vector::Constant(3, 2.0), o, 7), std::runtime_error);
  CHECK(message_of([&] { sc::run_protocol(tr, te, sc::vector::Constant(3, 2.0), o, 7); })
            .rfind("shiftcurv::run_protocol: SGD diverged", 0) == 0);
}

TEST_CASE("run_protocol, line_protocol: bad input names the function") {
  const quadratic_samples q = make_quadratic(train_hessian(), 10, 0.0, 3);
  const sc::vector th = sc::vector::Zero(3);
  sc::line_protocol_options o;
  o.temperature = 0;
  CHECK_THROWS_AS(sc::run_protocol(q, q, th, o, 1), sc::domain_error);
  CHECK(message_of([&] { sc::run_protocol(q, q, th, o, 1); }).rfind("shiftcurv::run_protocol: ", 0) == 0);
  o.temperature = -1;
  CHECK_THROWS_AS(sc::run_protocol(q, q, th, o, 1), sc::domain_error);
  o.temperature = std::nan("");
  CHECK_THROWS_AS(sc::run_protocol(q, q, th, o, 1), sc::invalid_argument);
  o.temperature = 0.1;
  o.batch_size = 0;
  CHECK_THROWS_AS(sc::run_protocol(q, q, th, o, 1), sc::invalid_argument);
  o.batch_size = 11;  // > N = 10
  CHECK_THROWS_AS(sc::run_protocol(q, q, th, o, 1), sc::invalid_argument);
  o.batch_size = 2;
  CHECK_THROWS_AS(sc::run_protocol(q, q, sc::vector::Zero(4), o, 1), sc::invalid_argument);
  o.epochs = 0;
  CHECK_THROWS_AS(sc::run_protocol(q, q, th, o, 1), sc::domain_error);
  o.epochs = 1;
  // the line's and the descents' options: both functions check them before any work
  for (int which = 0; which < 2; ++which) {
    const std::string name = which == 0 ? "shiftcurv::line_protocol: " : "shiftcurv::run_protocol: ";
    auto call = [&](const sc::line_protocol_options& oo) {
      if (which == 0) sc::line_protocol(q, q, th, oo);
      else sc::run_protocol(q, q, th, oo, 1);
    };
    sc::line_protocol_options bad = o;
    bad.line_points = 2;
    CHECK_THROWS_AS(call(bad), sc::invalid_argument);
    CHECK(message_of([&] { call(bad); }).rfind(name + "line_points", 0) == 0);
    bad = o;
    bad.line_extent = -0.1;
    CHECK_THROWS_AS(call(bad), sc::domain_error);
    CHECK(message_of([&] { call(bad); }).rfind(name + "line_extent", 0) == 0);
    bad = o;
    bad.descent.max_iterations = 0;
    CHECK_THROWS_AS(call(bad), sc::invalid_argument);
    CHECK(message_of([&] { call(bad); }).rfind(name + "descent.max_iterations", 0) == 0);
    bad = o;
    bad.descent.gradient_tolerance = 0;
    CHECK_THROWS_AS(call(bad), sc::domain_error);
    CHECK(message_of([&] { call(bad); }).rfind(name, 0) == 0);
  }
  CHECK_THROWS_AS(sc::line_protocol(q, q, sc::vector::Constant(3, std::nan("")), o), sc::invalid_argument);
  CHECK(message_of([&] { sc::line_protocol(q, q, sc::vector::Zero(4), o); }).rfind("shiftcurv::line_protocol: ", 0) == 0);
}
}

}  // namespace line_protocol_test
