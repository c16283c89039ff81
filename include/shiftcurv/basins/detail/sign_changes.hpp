// Internal: the zeros of a function of one variable where its tabulated values on a grid
// change sign, refined by TOMS 748.  One scanner for the library (steady_state_1d; the
// extrema of basins/minima.hpp have the same shape).
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include <boost/math/tools/toms748_solve.hpp>

namespace shiftcurv::detail {

/// The sign changes of the samples s[i] = f(grid[i]): zeros going − → + (`up`) and + → −
/// (`down`), in increasing order.  Exact zeros on the grid are skipped over to the nearest
/// non-zero neighbours; a run of exact zeros reports its middle; otherwise the bracket
/// [grid[i], grid[i+1]] is refined by TOMS 748 to full precision and the end with the smaller
/// |f| is kept.  Only roots strictly inside (lo, hi) are kept.
struct sign_change_roots {
  std::vector<double> up, down;
};

template <class F>
sign_change_roots find_sign_changes(const std::vector<double>& grid, const std::vector<double>& s, const F& f,
                                    double lo, double hi) {
  sign_change_roots out;
  const int n = static_cast<int>(s.size());
  auto sg = [&](int i) { return s[i] > 0 ? 1 : (s[i] < 0 ? -1 : 0); };
  int i = 0;
  while (i < n - 1) {
    const int si = sg(i);
    if (si == 0) {
      ++i;
      continue;
    }
    int j = i + 1;
    while (j < n && sg(j) == 0) ++j;
    if (j == n) break;
    if (si != sg(j)) {
      double root;
      if (j > i + 1) {
        root = 0.5 * (grid[i + 1] + grid[j - 1]);
      } else {
        std::uintmax_t it = 200;
        const auto br = boost::math::tools::toms748_solve(f, grid[i], grid[j], s[i], s[j],
                                                          boost::math::tools::eps_tolerance<double>(52), it);
        root = std::abs(f(br.first)) <= std::abs(f(br.second)) ? br.first : br.second;
      }
      if (root > lo && root < hi) (si < 0 ? out.up : out.down).push_back(root);
    }
    i = j;
  }
  return out;
}

}  // namespace shiftcurv::detail
