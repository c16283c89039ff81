// Internal: a globally adaptive Gauss–Kronrod driver around Boost.Math's fixed G–K rules.
//
// Boost's own adaptive `gauss_kronrod::integrate` stops on |error| ≤ tol·|estimate|, which
// never holds when the integral cancels to ~0 (a line integral between two points of equal
// potential), and then bisects to max_depth (2^15 leaves).  Here the criterion is QUADPACK's
// with the L1 norm: stop when Σ error ≤ max(abs_tol, rel_tol·∫|f|); the interval with the
// largest error is bisected first.  Each leaf uses Boost's non-adaptive (2n+1)-point
// Kronrod rule on [−1, 1] (so its error and L1 come back on the same scale) whose error
// estimate is |Kronrod − Gauss| (≥ 2ε|Kronrod|): a conservative bound for smooth f.
#pragma once

#include <algorithm>
#include <cmath>
#include <queue>
#include <vector>

#include <boost/math/quadrature/gauss_kronrod.hpp>

#include "shiftcurv/core/detail/numerics.hpp"

namespace shiftcurv::detail {

struct adaptive_sum {
  double value = 0;
  double error = 0;
  double l1 = 0;
  long evaluations = 0;
  bool converged = true;
};

/// ∫_a^b f with a global error target max(abs_tol, rel_tol·∫|f|); bisection depth ≤ max_depth.
template <unsigned Points = 31, class F>
adaptive_sum adaptive_gauss_kronrod(const F& f, double a, double b, double rel_tol, double abs_tol,
                                    int max_depth) {
  using rule = boost::math::quadrature::gauss_kronrod<double, Points>;
  struct leaf {
    double a, b, value, error, l1;
    int depth;
    bool operator<(const leaf& o) const { return error < o.error; }
  };
  adaptive_sum out;
  if (a == b) return out;
  auto eval = [&](double lo, double hi, int depth) {
    const double mid = 0.5 * (lo + hi), half = 0.5 * (hi - lo);
    double err = 0, l1 = 0;
    const double q = rule::integrate([&](double x) { return static_cast<double>(f(mid + half * x)); },
                                     -1.0, 1.0, 0, 0.0, &err, &l1);
    out.evaluations += Points;
    return leaf{lo, hi, half * q, std::abs(half) * err, std::abs(half) * l1, depth};
  };
  std::priority_queue<leaf> heap;
  heap.push(eval(a, b, 0));
  double error = heap.top().error, l1 = heap.top().l1;  // running totals drive the loop
  const std::size_t max_leaves = std::size_t(1) << std::min(max_depth, 12);  // ≤ 4096 leaves
  while (error > std::max(abs_tol, rel_tol * l1) && heap.size() < max_leaves) {
    const leaf worst = heap.top();
    if (worst.depth >= max_depth) break;  // the dominant error cannot be refined further
    heap.pop();
    const double mid = 0.5 * (worst.a + worst.b);
    const leaf left = eval(worst.a, mid, worst.depth + 1);
    const leaf right = eval(mid, worst.b, worst.depth + 1);
    error += left.error + right.error - worst.error;
    l1 += left.l1 + right.l1 - worst.l1;
    heap.push(left);
    heap.push(right);
  }
  // Re-sum from the leaves (the running sums above accumulate rounding over many updates).
  compensated_sum v;
  double e = 0, n = 0;
  while (!heap.empty()) {
    v.add(heap.top().value);
    e += heap.top().error;
    n += heap.top().l1;
    heap.pop();
  }
  out.value = v.value();
  out.error = e;
  out.l1 = n;
  out.converged = e <= std::max(abs_tol, rel_tol * n);
  return out;
}

}  // namespace shiftcurv::detail
