// minimize_lbfgs at network scale: p = 1e6 (about 120 iterations, each streaming the 2·10·p
// doubles of the L-BFGS memory: seconds, hence the slow suite).
#include <doctest/doctest.h>

#include "fixtures.hpp"

TEST_SUITE("slow") {
TEST_CASE("minimize_lbfgs: a separable quadratic with p = 1e6 against its closed-form minimum") {
  optimize_test::check_separable_quadratic(1000000);
}
}
