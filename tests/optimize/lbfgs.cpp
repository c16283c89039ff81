// minimize_lbfgs (L-BFGS, optimize/lbfgs.hpp) against closed-form minima; its evaluation routes
// (batched per-sample members, value_and_gradient, derivative routes), statuses and input checks.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "fixtures.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/optimize/lbfgs.hpp"
#include "support.hpp"

namespace sc = shiftcurv;
using optimize_test::vec;

namespace {

/// A per-sample loss U(x_i, θ) = ½|θ − z_i|² (columns z_i of Z); the mean is minimal at z̄ with
/// Hessian I.  Counts its calls; `batched` adds mean_value / mean_gradient.
struct sample_counts {
  long values = 0, gradients = 0, mean_values = 0, mean_gradients = 0;
};
struct squared_distances {
  sc::matrix Z;  // p × N
  sample_counts* calls;
  sc::index num_samples() const { return Z.cols(); }
  sc::index dimension() const { return Z.rows(); }
  double value(const sc::vector& th, sc::index i) const {
    ++calls->values;
    return 0.5 * (th - Z.col(i)).squaredNorm();
  }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const {
    ++calls->gradients;
    g = th - Z.col(i);
  }
};
struct batched_squared_distances : squared_distances {
  double mean_value(const sc::vector& th) const {
    ++calls->mean_values;
    return 0.5 * (Z.colwise() - th).colwise().squaredNorm().mean();
  }
  sc::vector mean_gradient(const sc::vector& th) const {
    ++calls->mean_gradients;
    return th - Z.rowwise().mean();
  }
};

/// A loss with value_and_gradient: that member is used, operator() never.
struct one_pass_quadratic {
  mutable long values = 0, passes = 0;
  double operator()(const sc::vector& x) const {
    ++values;
    return 0.5 * x.squaredNorm();
  }
  double value_and_gradient(const sc::vector& x, sc::vector& g) const {
    ++passes;
    g = 2 * (x - sc::vector::Ones(x.size()));
    return (x - sc::vector::Ones(x.size())).squaredNorm();
  }
};

/// U = (θ_0 − 3)² for θ_0 < 0.5 and NaN (or a throw) beyond: LBFGSpp's first trial step from 0
/// has length 1 (step 1/|∇U| along −∇U) and lands on θ_0 ≈ 1.
struct nan_beyond_half {
  bool throws = false;
  double operator()(const sc::vector& x) const {
    if (x(0) < 0.5) return (x(0) - 3) * (x(0) - 3);
    if (throws) sc::detail::throw_domain("nan_beyond_half", "theta_0 = ", x(0), " >= 0.5");
    return std::numeric_limits<double>::quiet_NaN();
  }
  sc::vector gradient(const sc::vector& x) const { return sc::vector::Constant(1, 2 * (x(0) - 3)); }
};
/// U = 0.05|θ|² + cos 3θ_0 · cos 2θ_1: a minimum near (2.07, 1.53) with U = O(1) and curvature
/// O(1), so U's rounding (1e-16) hides decreases below |∇U| ~ 1e-8.
struct wavy {
  template <class S>
  S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& x) const {
    using std::cos;
    return S(0.05) * x.squaredNorm() + cos(S(3) * x(0)) * cos(S(2) * x(1));
  }
};
struct nan_gradient {
  double operator()(const sc::vector& x) const { return x.squaredNorm(); }
  sc::vector gradient(const sc::vector& x) const {
    return sc::vector::Constant(x.size(), std::numeric_limits<double>::quiet_NaN());
  }
};

}  // namespace

TEST_CASE("minimize_lbfgs: a separable quadratic with p = 1e4 against its closed-form minimum") {
  optimize_test::check_separable_quadratic(10000);  // p = 1e6: lbfgs_slow.cpp
}

TEST_CASE("minimize_lbfgs: Rosenbrock from (-1.2, 1) to (1, 1)") {
  sc::minimize_lbfgs_options o;
  o.gradient_tolerance = 1e-9;
  const auto r = sc::minimize_lbfgs(optimize_test::rosenbrock{}, vec({-1.2, 1.0}), o);  // AD gradient
  INFO(r.message);
  REQUIRE(r.ok());
  CHECK(r.gradient_norm <= 1e-9);
  // Near the minimum ∇U = H δ + O(|δ|²), H = [[802, −400], [−400, 200]] at (1, 1), so
  // |δ| ≤ ‖∇U‖/λ_min(H) (λ_min = 501 − √(501² − 400) ≈ 0.3994); the O(|δ|²) term is ~1e-15
  // relative at |δ| ~ 1e-9: 1 % allowance.
  const double lambda_min = 501 - std::sqrt(501.0 * 501.0 - 400.0);
  CHECK((r.theta - vec({1.0, 1.0})).norm() <= 1.01 * r.gradient_norm / lambda_min);
  CHECK(r.value >= 0);
  CHECK(r.value <= r.gradient_norm * r.gradient_norm / lambda_min);  // U ≤ ½ gᵀH⁻¹g (+ rounding)
  CHECK(r.iterations > 10);  // the curved valley takes the line search through many steps
}

TEST_CASE("minimize_lbfgs: a per-sample loss through its batched mean_value / mean_gradient") {
  const sc::index p = 7, N = 25;
  sc::matrix Z(p, N);
  for (sc::index j = 0; j < N; ++j)
    for (sc::index i = 0; i < p; ++i) Z(i, j) = std::cos(static_cast<double>(3 * i + 7 * j));
  const sc::vector zbar = Z.rowwise().mean();
  sc::minimize_lbfgs_options o;
  o.gradient_tolerance = 1e-10;
  sample_counts batched_calls, plain_calls;
  const batched_squared_distances batched{{Z, &batched_calls}};
  const auto r = sc::minimize_lbfgs(batched, sc::vector::Zero(p), o);
  REQUIRE(r.ok());
  // Hessian I: |θ − z̄| = ‖∇U‖ ≤ tolerance (1e-15 for the rounding of z̄ and of the gradient).
  CHECK((r.theta - zbar).norm() <= o.gradient_tolerance + 1e-15);
  // One (mean_value, mean_gradient) pair per evaluation; no per-sample call.
  CHECK(r.evaluations >= 1);
  CHECK(batched_calls.mean_values == r.evaluations);
  CHECK(batched_calls.mean_gradients == r.evaluations);
  CHECK(batched_calls.values == 0);
  CHECK(batched_calls.gradients == 0);
  // Without batched members: the means of the per-sample calls, N of each per evaluation.
  const squared_distances plain{Z, &plain_calls};
  const auto q = sc::minimize_lbfgs(plain, sc::vector::Zero(p), o);
  REQUIRE(q.ok());
  CHECK((q.theta - zbar).norm() <= o.gradient_tolerance + 1e-15);
  CHECK(plain_calls.values == N * q.evaluations);
  CHECK(plain_calls.gradients == N * q.evaluations);
  // A loss with value_and_gradient: one pass per evaluation, operator() unused.
  const one_pass_quadratic vg;
  const auto s = sc::minimize_lbfgs(vg, vec({4.0, -2.0, 0.5}), o);
  REQUIRE(s.ok());
  CHECK((s.theta - sc::vector::Ones(3)).norm() <= 0.5 * o.gradient_tolerance + 1e-15);  // H = 2I
  CHECK(vg.passes == s.evaluations);
  CHECK(vg.values == 0);
}

TEST_CASE("minimize_lbfgs: the iteration budget and non-finite values are statuses") {
  // max_iterations: 3 line searches cannot reach 1e-12 on 100 distinct curvatures.
  const optimize_test::separable_quadratic U(100);
  sc::minimize_lbfgs_options o;
  o.gradient_tolerance = 1e-12;
  o.max_iterations = 3;
  const auto r = sc::minimize_lbfgs(U, sc::vector::Zero(100), o);
  CHECK(r.status == sc::status::max_iterations);
  CHECK(r.iterations == 3);
  CHECK(r.gradient_norm == doctest::Approx(U.gradient(r.theta).norm()).epsilon(1e-14));
  CHECK(r.gradient_norm > o.gradient_tolerance);
  CHECK(r.message.rfind("shiftcurv::minimize_lbfgs: L-BFGS stopped at |grad U| = ", 0) == 0);
  CHECK(r.message.find("(iteration limit)") != std::string::npos);

  // A tolerance below U's rounding: the line searches cannot see a decrease and fail (LBFGSpp
  // throws, or its step degenerates) or run out of evaluations: a failure status, not success.
  sc::minimize_lbfgs_options fine;
  fine.gradient_tolerance = 1e-13;
  fine.max_iterations = 200;
  const auto w = sc::minimize_lbfgs(wavy{}, vec({2.0, 1.5}), fine);
  CHECK(sc::is_failure(w.status));
  CHECK(w.status != sc::status::numerical_issue);
  CHECK(w.gradient_norm > fine.gradient_tolerance);
  CHECK(w.gradient_norm < 1e-6);  // at the minimum, to U's rounding
  CHECK(w.message.rfind("shiftcurv::minimize_lbfgs: L-BFGS stopped at |grad U| = ", 0) == 0);

  // NaN at the first trial point: the run stops, the best finite point (θ0) is returned.
  const auto n = sc::minimize_lbfgs(nan_beyond_half{}, vec({0.0}));
  CHECK(n.status == sc::status::numerical_issue);
  CHECK(n.theta(0) == 0.0);
  CHECK(n.value == 9.0);
  CHECK(n.gradient_norm == 6.0);
  CHECK(n.evaluations == 2);
  CHECK(n.message.rfind("shiftcurv::minimize_lbfgs: ", 0) == 0);
  CHECK(n.message.find("not finite") != std::string::npos);
  // Not finite at θ0 (a NaN gradient of a finite U): θ0 back, value and norm NaN, flagged.
  const auto z = sc::minimize_lbfgs(nan_gradient{}, vec({1.0, 2.0}));
  CHECK(z.status == sc::status::numerical_issue);
  CHECK(z.theta == vec({1.0, 2.0}));
  CHECK(std::isnan(z.value));
  CHECK(std::isnan(z.gradient_norm));
  CHECK(z.message == "shiftcurv::minimize_lbfgs: the loss is not finite at the start");
  // An exception of the loss itself propagates (not taken for a failed line search).
  CHECK_THROWS_AS(sc::minimize_lbfgs(nan_beyond_half{true}, vec({0.0})), sc::domain_error);
}

TEST_CASE("minimize_lbfgs: bad input throws invalid_argument naming the function") {
  const optimize_test::separable_quadratic U(3);
  const sc::vector x0 = sc::vector::Zero(3);
  auto call = [&](const sc::vector& x, const sc::minimize_lbfgs_options& o) { return sc::minimize_lbfgs(U, x, o); };
  const sc::minimize_lbfgs_options ok;
  using test_support::throws_naming;
  throws_naming([&] { call(sc::vector(), ok); }, "minimize_lbfgs");
  throws_naming([&] { call(vec({0.0, std::numeric_limits<double>::quiet_NaN(), 0.0}), ok); }, "minimize_lbfgs");
  throws_naming([&] { call(sc::vector::Zero(4), ok); }, "minimize_lbfgs");  // dimension() = 3
  CHECK_THROWS_WITH_AS(call(sc::vector::Zero(4), ok),
                       "shiftcurv::minimize_lbfgs: theta0 has size 4, but the loss (or diffusion model) declares dimension() = 3",
                       sc::invalid_argument);
  for (double tol : {0.0, -1e-6, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    sc::minimize_lbfgs_options o;
    o.gradient_tolerance = tol;
    CAPTURE(tol);
    CHECK_THROWS_AS(call(x0, o), sc::invalid_argument);
    throws_naming([&] { call(x0, o); }, "minimize_lbfgs");
  }
  sc::minimize_lbfgs_options o;
  o.memory = 0;
  CHECK_THROWS_WITH_AS(call(x0, o), "shiftcurv::minimize_lbfgs: memory must be >= 1, got 0", sc::invalid_argument);
  o = ok;
  o.max_iterations = 0;
  CHECK_THROWS_WITH_AS(call(x0, o), "shiftcurv::minimize_lbfgs: max_iterations must be >= 1, got 0", sc::invalid_argument);
  o = ok;
  o.max_line_search = 0;
  CHECK_THROWS_AS(call(x0, o), sc::invalid_argument);
  o = ok;
  o.restarts = -1;
  CHECK_THROWS_AS(call(x0, o), sc::invalid_argument);
  // A wrapper passes its own name.
  o = ok;
  o.memory = 0;
  throws_naming([&] { sc::detail::minimize_lbfgs("network::descend", U, x0, o); }, "network::descend");
}
