// shiftcurv/basins/basins_2d.hpp — exact basin masses in 2-D from the steady state of
// fokker_planck_2d, and the Laplace weights against them.
//
//   shiftcurv::fokker_planck_2d fp(loss, noise, T, {-3, -3}, {3, 3}, {200, 200});
//   auto ss = fp.steady_state();
//   auto bm = shiftcurv::basin_masses_2d(fp, ss.log_density, minima);   // P_k per minimum
//   auto bm2 = shiftcurv::basin_masses_2d(loss, noise, T, minima, {-3, -3}, {3, 3}, {200, 200});
//   auto gm = shiftcurv::gaussian_mixture(loss, noise, T, minima);
//   auto r = shiftcurv::laplace_ratio_2d(gm, bm);                      // w_k / P_k, → 1 as T → 0
//
// Contract.  Every grid cell is assigned to a basin by steepest ascent of the discrete steady
// density (8 neighbours, slope Δlog ρ / distance): the chain of cells ends at a local maximum of
// ρ (a minimum of v), which belongs to the given minimum nearest to it.  P_k is the sum of the
// cell masses of basin k (in log space: finite where ρ underflows), so Σ_k P_k = 1.  Accuracy:
// that of the steady state (exact at the nodes where V is curl-free, fokker_planck_2d.hpp) and
// of the cell sum (a midpoint rule, O(h²) or better for smooth ρ), plus the staircase of cells
// along each ridge: O(h · ρ on the ridge).  A minimum that no density maximum belongs to has
// P_k = 0 and makes the status numerical_issue (the grid is too coarse or the point is not a
// minimum).  `labels(i, j)` is the basin of cell (i, j).
//
// laplace_ratio_2d(gm, masses): exp(log w_k − log P_k) for masses computed for the
// components' own points (same count and order).
//
// Throws invalid_argument (no minima, minima not 2-D or not finite, a log density of the wrong
// shape, counts that disagree) and what fokker_planck_2d throws, naming the function called.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "shiftcurv/basins/gaussian_mixture.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/fokker_planck/fokker_planck_2d.hpp"

namespace shiftcurv {

struct basin_masses_2d_result : result_base {
  std::vector<double> log_masses;  ///< log P_k per given minimum (−∞ where empty)
  std::vector<double> masses;      ///< P_k
  Eigen::MatrixXi labels;          ///< labels(i, j): the basin of cell (i, j)
  double circulation = 0;          ///< of the steady state (0 when V is curl-free)
};

namespace detail::basins_2d_impl {

inline void check_minima(std::string_view fn, const std::vector<vector>& minima) {
  if (minima.empty()) throw_invalid(fn, "need at least one minimum");
  for (const vector& m : minima) {
    require_size(fn, "a minimum", m.size(), 2);
    require_finite(fn, "a minimum", m);
  }
}

/// The discrete partition and masses on a grid of centres (xs, ys) and widths (hx, hy).
inline basin_masses_2d_result partition(std::string_view fn, const vector& xs, const vector& ys, const vector& hx,
                                        const vector& hy, const Eigen::MatrixXd& logrho,
                                        const std::vector<vector>& minima) {
  const index n0 = xs.size(), n1 = ys.size();
  if (logrho.rows() != n0 || logrho.cols() != n1)
    throw_invalid(fn, "the log density is ", logrho.rows(), "x", logrho.cols(), ", expected ", n0, "x", n1);
  basin_masses_2d_result r;
  const std::size_t K = minima.size();
  // Steepest-ascent pointer of every cell (itself at a local maximum).
  Eigen::MatrixXi next(n0, n1);
  for (index j = 0; j < n1; ++j)
    for (index i = 0; i < n0; ++i) {
      double best = 0;
      index bi = i, bj = j;
      for (index dj = -1; dj <= 1; ++dj)
        for (index di = -1; di <= 1; ++di) {
          const index a = i + di, b = j + dj;
          if ((di == 0 && dj == 0) || a < 0 || b < 0 || a >= n0 || b >= n1) continue;
          const double dist = std::hypot(xs(a) - xs(i), ys(b) - ys(j));
          const double slope = (logrho(a, b) - logrho(i, j)) / dist;
          if (slope > best) {
            best = slope;
            bi = a;
            bj = b;
          }
        }
      next(i, j) = static_cast<int>(bi + n0 * bj);
    }
  r.labels = Eigen::MatrixXi::Constant(n0, n1, -1);
  std::vector<int> chain;
  for (index j = 0; j < n1; ++j)
    for (index i = 0; i < n0; ++i) {
      int c = static_cast<int>(i + n0 * j);
      chain.clear();
      while (r.labels(c % n0, c / n0) < 0 && next(c % n0, c / n0) != c) {
        chain.push_back(c);
        c = next(c % n0, c / n0);
      }
      int label = r.labels(c % n0, c / n0);
      if (label < 0) {  // c is a local maximum: the nearest given minimum
        const Eigen::Vector2d pt(xs(c % n0), ys(c / n0));
        std::size_t best = 0;
        for (std::size_t k = 1; k < K; ++k)
          if ((minima[k] - pt).norm() < (minima[best] - pt).norm()) best = k;
        label = static_cast<int>(best);
        r.labels(c % n0, c / n0) = label;
      }
      for (int q : chain) r.labels(q % n0, q / n0) = label;
    }
  // Masses in log space: log m_ij = log ρ_ij + log(hx_i hy_j).
  const double ninf = -std::numeric_limits<double>::infinity();
  std::vector<double> lmax(K, ninf);
  double gmax = ninf;
  for (index j = 0; j < n1; ++j)
    for (index i = 0; i < n0; ++i) {
      const double lm = logrho(i, j) + std::log(hx(i) * hy(j));
      lmax[r.labels(i, j)] = std::max(lmax[r.labels(i, j)], lm);
      gmax = std::max(gmax, lm);
    }
  std::vector<double> sum(K, 0.0);
  double total = 0;
  for (index j = 0; j < n1; ++j)
    for (index i = 0; i < n0; ++i) {
      const double lm = logrho(i, j) + std::log(hx(i) * hy(j));
      sum[r.labels(i, j)] += std::exp(lm - lmax[r.labels(i, j)]);
      total += std::exp(lm - gmax);
    }
  const double ltotal = gmax + std::log(total);
  for (std::size_t k = 0; k < K; ++k) {
    r.log_masses.push_back(sum[k] > 0 ? lmax[k] + std::log(sum[k]) - ltotal : ninf);
    r.masses.push_back(std::exp(r.log_masses.back()));
    if (!(sum[k] > 0))
      record_status(r, status::numerical_issue,
                    message(fn, "no density maximum belongs to minimum ", k, ": the grid is too coarse or it is not a minimum"));
  }
  return r;
}

}  // namespace detail::basins_2d_impl

/// Basin masses from a solved fokker_planck_2d and its steady log density (see the header).
inline basin_masses_2d_result basin_masses_2d(const fokker_planck_2d& fp, const Eigen::MatrixXd& log_density,
                                              const std::vector<vector>& minima) {
  constexpr std::string_view fn = "basin_masses_2d";
  detail::basins_2d_impl::check_minima(fn, minima);
  return detail::basins_2d_impl::partition(fn, fp.centres(0), fp.centres(1), fp.widths(0), fp.widths(1), log_density,
                                           minima);
}

/// Builds fokker_planck_2d(loss, noise, T, lo, hi, cells), solves its steady state and
/// partitions it; the steady state's status and circulation are passed on.
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
basin_masses_2d_result basin_masses_2d(const Loss& loss, const Noise& noise, double T, const std::vector<vector>& minima,
                                       std::array<double, 2> lo, std::array<double, 2> hi,
                                       std::array<index, 2> cells) {
  constexpr std::string_view fn = "basin_masses_2d";
  detail::basins_2d_impl::check_minima(fn, minima);
  return detail::as_called_by(fn, [&] {
    fokker_planck_2d fp(loss, noise, T, lo, hi, cells);
    const fp_steady_2d_result ss = fp.steady_state();
    basin_masses_2d_result r = basin_masses_2d(fp, ss.log_density, minima);
    r.circulation = ss.circulation;
    r.evaluations = fp.setup_evaluations() + ss.evaluations;
    if (!ss.ok()) record_status(r, ss.status, "steady state: " + ss.message);
    return r;
  });
}

/// w_k / P_k from the logs (finite where both underflow); `exact` must hold one mass per
/// component, in the same order.
inline std::vector<double> laplace_ratio_2d(const gaussian_mixture_result& gm, const basin_masses_2d_result& exact) {
  constexpr std::string_view fn = "laplace_ratio_2d";
  if (gm.components.empty()) detail::throw_invalid(fn, "the mixture has no components");
  if (exact.log_masses.size() != gm.components.size())
    detail::throw_invalid(fn, "the mixture has ", gm.components.size(), " components but there are ",
                          exact.log_masses.size(), " basin masses");
  std::vector<double> out;
  for (std::size_t k = 0; k < gm.components.size(); ++k) {
    if (gm.components[k].mu.size() != 2)
      detail::throw_invalid(fn, "components must be 2-D, component ", k, " has size ", gm.components[k].mu.size());
    out.push_back(std::exp(gm.components[k].log_weight - exact.log_masses[k]));
  }
  return out;
}

}  // namespace shiftcurv
