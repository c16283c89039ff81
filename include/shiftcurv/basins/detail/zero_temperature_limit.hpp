// Internal: the T → 0 limit of the 1-D steady state ρ ∝ exp(−(2/T) v) on [lo, hi]
// (basins/steady_state_1d.hpp returns it where ρ is too sharp to integrate).
//
// The interval is cut at breakpoints into pieces on which ρ is monotone (the extrema of v, the
// basin bounds).  Each piece puts its mass at its peak end (the end where v is lower), weighted
// by exp(−(2/T)(v_peak − v_ref)) (v_ref the lowest peak) times its one-sided Laplace width:
//   log ∫_0^len exp(−(2/T)(a·s + b·s²/2)) ds,   a ≥ 0 the slope of v into the piece, b its curvature
// (½√(πT/b) at a minimum of v, T/(2a) where v slopes away, ½√(πT/b)·erfcx(a/√(bT)) between; the
// whole piece when v is flat there).  Everything is in log space, so every value is finite down
// to the smallest subnormal T.  Basin probabilities are sums over their pieces' peaks;
// expectations are Σ P_peak·g(θ_peak).  Error O(T) relative to the scale of v.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

#include "shiftcurv/core/detail/numerics.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/potential/quadrature.hpp"

namespace shiftcurv::detail {

/// Where ρ's pieces lie and how precisely v is known (the input of zero_temperature_limit_1d).
struct zero_temperature_pieces {
  double T, lo, hi;
  const std::vector<double>& breaks;       ///< increasing, lo … hi: ρ is monotone between neighbours
  const std::vector<double>& basin_upper;  ///< the upper end of each basin, increasing
  const std::vector<double>& v_min;        ///< the minima of v, increasing (slope exactly 0 there)
  double grid_step;                        ///< the scan grid's spacing (bounds the step of v'')
  double rounding_floor;                   ///< relative rounding error of the exponents −(2/T)v
};

template <class = void>  // a template: compiled only where steady_state_1d uses it (core/types.hpp)
class zero_temperature_limit_1d {
 public:
  /// One basin's share of the mass.
  struct basin_weight {
    double log_probability, probability, error_estimate;
  };

  /// The limit for the potential v (raw: any additive constant) with slope v' (callables on a
  /// double).
  template <class V, class Slope>
  zero_temperature_limit_1d(const zero_temperature_pieces& in, const V& v, const Slope& slope)
      : T_(in.T), lo_(in.lo), hi_(in.hi), rounding_floor_(in.rounding_floor) {
    find_peaks(in, v, slope);
    weigh_peaks();
    weigh_basins(in.basin_upper.size());
  }

  /// log ρ(θ) = −(2/T)(v(θ) − v_ref()) − log_z_ref().
  double v_ref() const { return v_ref_; }
  double log_z_ref() const { return log_z_ref_; }
  /// Per basin, in the order of basin_upper.
  const std::vector<basin_weight>& basins() const { return basins_; }

  /// E[g] = Σ P_peak g(θ_peak); the error estimate is the change of g over one width of each
  /// peak plus the rounding uncertainty of the peak weights.  tolerance_not_met when that
  /// exceeds 10 × tolerance × E|g|.
  template <class G>
  quadrature_result expectation(const G& g, double tolerance) const {
    constexpr std::string_view fn = "steady_state_1d::expectation";
    quadrature_result r;
    compensated_sum total;
    double err = 0, abs_sum = 0;
    std::vector<std::pair<double, double>> pg;  // (P, g) per peak that carries mass
    for (const auto& p : peaks_) {
      const double P = std::exp(p.log_mass - log_z_ref_);
      if (P == 0) continue;
      const double gv = static_cast<double>(g(p.x));
      const double w = std::exp(p.log_width);
      const double gl = static_cast<double>(g(std::max(lo_, p.x - w))), gr = static_cast<double>(g(std::min(hi_, p.x + w)));
      r.evaluations += 3;
      total.add(P * gv);
      err += P * 0.5 * (std::abs(gl - gv) + std::abs(gr - gv));
      abs_sum += P * std::abs(gv);
      pg.emplace_back(P, gv);
    }
    r.value = total.value();
    for (const auto& [P, gv] : pg) err += P * (1 - P) * std::min(rounding_floor_, 1.0) * std::abs(gv - r.value);
    r.error_estimate = err;
    if (!std::isfinite(r.value))
      record_status(r, status::numerical_issue, message(fn, "the integral is not finite (g not finite?)"));
    else if (r.error_estimate > tolerance * std::max(abs_sum, 1e-300) * 10)
      record_status(r, status::tolerance_not_met, message(fn, "T -> 0 limit: error estimate ", r.error_estimate,
                                                          " exceeds the tolerance ", tolerance, " x E|g| = ", abs_sum));
    return r;
  }

  /// log ∫_0^len exp(−(2/T)(a·s + b·s²/2)) ds for len ≫ the width: the peak's Laplace width,
  /// with slope a ≥ 0 and curvature b of v at the peak.  A flat peak (a = 0, b ≤ 0) counts
  /// with the whole piece.
  static double log_peak_width(double T, double a, double b, double len) {
    constexpr double log_pi = 1.1447298858494002;
    const double lt = std::log(T);
    double w;
    if (a > 0 && b > 0) {
      // ½√(πT/b)·erfcx(z), z = a/√(bT); erfcx(z) → 1/(z√π) for large z.
      const double lz = std::log(a) - 0.5 * (std::log(b) + lt);
      if (lz > 3) {
        w = lt - std::log(2 * a) + std::log1p(-0.5 * std::exp(-2 * lz));
      } else {
        const double z = std::exp(lz);
        w = 0.5 * (log_pi + lt - std::log(b)) - std::log(2.0) + z * z + std::log(std::erfc(z));
      }
    } else if (a > 0) {
      w = lt - std::log(2 * a);
    } else if (b > 0) {
      w = 0.5 * (log_pi + lt - std::log(b)) - std::log(2.0);
    } else {
      w = std::log(len);
    }
    return std::isnan(w) ? std::log(len) : std::min(w, std::log(len));
  }

 private:
  struct peak {
    double x;             ///< the peak of ρ on its piece
    std::size_t basin;
    double v, log_width;  ///< raw v there, log of its one-sided Laplace width
    double log_mass;      ///< −(2/T)(v − v_ref) + log_width
  };

  /// v''(θ) by a difference of v' (central inside, one-sided at the interval ends).
  template <class Slope>
  double curvature(const Slope& slope, double t, double grid_step) const {
    const double h = std::min(6e-6 * std::max(1.0, std::abs(t)), 0.1 * grid_step);
    if (t - h < lo_) return (slope(t + h) - slope(t)) / h;
    if (t + h > hi_) return (slope(t) - slope(t - h)) / h;
    return (slope(t + h) - slope(t - h)) / (2 * h);
  }

  /// Step 1: each monotone piece's peak end, its raw v and its one-sided Laplace width.
  template <class V, class Slope>
  void find_peaks(const zero_temperature_pieces& in, const V& v, const Slope& slope) {
    std::size_t basin = 0;
    for (std::size_t j = 0; j + 1 < in.breaks.size(); ++j) {
      const double a = in.breaks[j], b = in.breaks[j + 1];
      if (!(b > a)) continue;
      while (basin + 1 < in.basin_upper.size() && a >= in.basin_upper[basin]) ++basin;
      const double va = v(a), vb = v(b);
      const bool left = va <= vb;
      const double x = left ? a : b;
      // The slope of v into the piece (zero at a minimum of v, whatever rounding says).
      const bool stationary = std::binary_search(in.v_min.begin(), in.v_min.end(), x);
      const double into = stationary ? 0.0 : std::max(0.0, (left ? 1.0 : -1.0) * slope(x));
      peaks_.push_back({x, basin, std::min(va, vb), log_peak_width(T_, into, curvature(slope, x, in.grid_step), b - a), 0.0});
    }
  }

  /// Step 2: each peak's log mass relative to exp(−(2/T)·v_ref), v_ref the lowest peak of v
  /// (2Δv/T overflows to +inf, never NaN); log_z_ref by log-sum-exp.
  void weigh_peaks() {
    const double inf = std::numeric_limits<double>::infinity();
    v_ref_ = inf;
    for (const auto& p : peaks_) v_ref_ = std::min(v_ref_, p.v);
    double lmax = -inf;
    for (auto& p : peaks_) {
      p.log_mass = -(2 * (p.v - v_ref_)) / T_ + p.log_width;
      lmax = std::max(lmax, p.log_mass);
    }
    double z = 0;
    for (const auto& p : peaks_) z += std::exp(p.log_mass - lmax);
    log_z_ref_ = lmax + std::log(z);
  }

  /// Step 3: basin probabilities by log-sum-exp over their peaks.
  void weigh_basins(std::size_t n_basins) {
    const double inf = std::numeric_limits<double>::infinity();
    basins_.resize(n_basins);
    for (std::size_t k = 0; k < n_basins; ++k) {
      double bmax = -inf, s = 0;
      for (const auto& p : peaks_)
        if (p.basin == k) bmax = std::max(bmax, p.log_mass);
      if (bmax > -inf)
        for (const auto& p : peaks_)
          if (p.basin == k) s += std::exp(p.log_mass - bmax);
      basin_weight& w = basins_[k];
      w.log_probability = bmax > -inf ? bmax + std::log(s) - log_z_ref_ : -inf;
      w.probability = std::exp(w.log_probability);
      // A rounding error δ ≈ rounding_floor of the exponents moves P by P(1 − P)δ.
      w.error_estimate = w.probability * (1 - w.probability) * std::min(rounding_floor_, 1.0);
    }
  }

  double T_, lo_, hi_, rounding_floor_;
  std::vector<peak> peaks_;
  double v_ref_ = 0, log_z_ref_ = 0;
  std::vector<basin_weight> basins_;
};

}  // namespace shiftcurv::detail
