// find_minimum (trust-region Newton) against closed-form minima.
#include <doctest/doctest.h>

#include <cmath>

#include "fixtures.hpp"
#include "shiftcurv/optimize/find_minimum.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"

namespace sc = shiftcurv;
using optimize_test::vec;

TEST_CASE("find_minimum: double well, Rosenbrock, and failure as a status") {
  // Newton converges quadratically: ‖∇U‖∞ ≤ 1e-10 means |θ − θ*| ≲ 1e-10/λ_min(H); the
  // checks allow 1e-9 (double well, H = 2I) and 1e-8 (Rosenbrock, λ_min ≈ 0.4).
  const auto dw = sc::find_minimum(sc::double_well{}, vec({0.7, -1.6}));
  CHECK(dw.ok());
  CHECK((dw.theta - vec({1.0, -1.0})).norm() < 1e-9);
  CHECK(std::abs(dw.value + 0.5) < 1e-15);
  const auto rb = sc::find_minimum(optimize_test::rosenbrock{}, vec({-1.2, 1.0}));
  CHECK(rb.ok());
  CHECK((rb.theta - vec({1.0, 1.0})).norm() < 1e-8);
  CHECK(rb.iterations > 5);  // the line search and Hessian modification were exercised
  // From a maximum-side seed of the double well the modified Newton step still descends.
  const auto from_max = sc::find_minimum(sc::double_well{}, vec({0.01, 0.02}));
  CHECK(from_max.ok());
  CHECK(std::abs(std::abs(from_max.theta(0)) - 1) < 1e-9);
  // No minimum: a status, never a throw.
  sc::find_minimum_options few;
  few.max_iterations = 20;
  const auto none = sc::find_minimum(optimize_test::linear{}, vec({0.0}), few);
  CHECK(!none.ok());
  CHECK(!none.message.empty());
}
