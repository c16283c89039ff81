#include <doctest/doctest.h>

#include <cmath>

#include "shiftcurv/core/dual.hpp"

using shiftcurv::dual;

TEST_CASE("dual numbers: first derivatives of elementary functions match closed forms") {
  const double a = 0.7;
  const dual<double> x(a, 1.0);
  auto rel = [](double got, double want) { return std::abs(got - want) <= 1e-14 * std::max(1.0, std::abs(want)); };
  CHECK(rel(exp(x).tangent(), std::exp(a)));
  CHECK(rel(log(x).tangent(), 1 / a));
  CHECK(rel(sqrt(x).tangent(), 0.5 / std::sqrt(a)));
  CHECK(rel(sin(x).tangent(), std::cos(a)));
  CHECK(rel(cos(x).tangent(), -std::sin(a)));
  CHECK(rel(tanh(x).tangent(), 1 - std::tanh(a) * std::tanh(a)));
  CHECK(rel(atan(x).tangent(), 1 / (1 + a * a)));
  CHECK(rel(erf(x).tangent(), 2 / std::sqrt(M_PI) * std::exp(-a * a)));
  CHECK(rel(pow(x, 3.5).tangent(), 3.5 * std::pow(a, 2.5)));
  CHECK(rel((1.0 / x).tangent(), -1 / (a * a)));
  CHECK(rel((x * x / (x + 2)).tangent(), (2 * a * (a + 2) - a * a) / ((a + 2) * (a + 2))));
  CHECK(rel(log1p(x).tangent(), 1 / (1 + a)));
  CHECK(rel(pow(x, x).tangent(), std::pow(a, a) * (std::log(a) + 1)));
}

TEST_CASE("nested duals give second derivatives") {
  const double a = 1.3;
  const dual<dual<double>> x(dual<double>(a, 1.0), dual<double>(1.0, 0.0));
  const auto y = exp(x) * sin(x);  // (e^a sin a)'' = 2 e^a cos a
  CHECK(std::abs(y.tangent().tangent() - (2 * std::exp(a) * std::cos(a))) <= 1e-14 * std::abs(2 * std::exp(a) * std::cos(a)));
  CHECK(std::abs(y.value().tangent() - (std::exp(a) * (std::sin(a) + std::cos(a)))) <= 1e-14 * std::abs(std::exp(a) * (std::sin(a) + std::cos(a))));
  const auto z = x * x * x;
  CHECK(std::abs(z.tangent().tangent() - (6 * a)) <= 1e-15 * std::abs(6 * a));
  CHECK(x < 2.0);
  CHECK(shiftcurv::value_of(z) == doctest::Approx(a * a * a));
}
