// shiftcurv/testing/monte_carlo.hpp — Monte Carlo estimates with standard errors, and the
// tolerances that stochastic tests should use.
//
//   shiftcurv::testing::mc_accumulator acc;
//   for (...) acc.add(sample);
//   auto e = acc.estimate();                                   // mean, standard_error, n
//   CHECK(shiftcurv::testing::within_mc(e, exact));            // |mean − exact| ≤ 4.5σ
//   CHECK(shiftcurv::testing::within_mc(e, exact, 5.0, /*bias=*/1e-3));
//   double se = shiftcurv::testing::binomial_standard_error(0.3, 10000);
//
// A test with a k-σ tolerance fails by chance with probability P(|Z| > k): 6.8e-6 for 4.5σ,
// 5.7e-7 for 5σ (Gaussian, i.e. once the CLT holds).  Fixed seeds make a passing test pass
// forever; the k-σ choice is what keeps a correct implementation passing under a new seed.
// `bias` adds a deterministic allowance (e.g. a time-step bias measured by dt halving).
#pragma once

#include <algorithm>
#include <cmath>
#include <span>

#include "shiftcurv/core/detail/moments.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"

namespace shiftcurv::testing {

struct mc_estimate_result {
  double mean = 0;
  double standard_error = 0;
  long samples = 0;
};

/// Running mean/variance (the library's Welford accumulator, core/detail/moments.hpp);
/// `estimate()` gives the mean and its standard error.
class mc_accumulator {
 public:
  void add(double x) { m_.add(x); }
  void merge(const mc_accumulator& o) { m_.merge(o.m_); }
  long count() const { return m_.n; }
  double mean() const { return m_.mean; }
  double variance() const { return m_.variance(); }
  mc_estimate_result estimate() const { return {m_.mean, m_.standard_error(), m_.n}; }

 private:
  shiftcurv::detail::running_moments m_;
};

/// Mean and standard error of samples; throws invalid_argument when empty.
inline mc_estimate_result mc_mean(std::span<const double> samples) {
  if (samples.empty()) detail::throw_invalid("testing::mc_mean", "need at least one sample");
  mc_accumulator a;
  for (double x : samples) a.add(x);
  return a.estimate();
}

/// √(p(1−p)/n): the standard error of a fraction p estimated from n independent trials.
inline double binomial_standard_error(double p, long n) {
  if (n <= 0) detail::throw_invalid("testing::binomial_standard_error", "n must be >= 1, got ", n);
  return std::sqrt(std::max(0.0, p * (1 - p)) / static_cast<double>(n));
}

/// The tolerance k·σ + bias.
inline double mc_tolerance(double standard_error, double sigmas = 4.5, double bias = 0.0) {
  return sigmas * standard_error + bias;
}

/// |estimate − reference| ≤ k·σ + bias, σ the estimate's standard error.
inline bool within_mc(const mc_estimate_result& e, double reference, double sigmas = 4.5, double bias = 0.0) {
  return std::fabs(e.mean - reference) <= mc_tolerance(e.standard_error, sigmas, bias);
}

/// The difference of two independent estimates: |a − b| ≤ k·√(σa² + σb²) + bias.
inline bool consistent_mc(const mc_estimate_result& a, const mc_estimate_result& b, double sigmas = 4.5, double bias = 0.0) {
  const double se = std::sqrt(a.standard_error * a.standard_error + b.standard_error * b.standard_error);
  return std::fabs(a.mean - b.mean) <= mc_tolerance(se, sigmas, bias);
}

}  // namespace shiftcurv::testing
