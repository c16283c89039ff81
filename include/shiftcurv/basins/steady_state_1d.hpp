// shiftcurv/basins/steady_state_1d.hpp — the exact steady state of the 1-D diffusion
// dθ = −U'(θ)dt + √(T D(θ)) dW on a reflecting interval [lo, hi] (THEORY.md, "1-D").
//
//   shiftcurv::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5});    // Figure 4, left
//   shiftcurv::constant_diffusion D(1e-3, 1);
//   shiftcurv::steady_state_1d ss(U, D, /*T=*/0.1, -4.0, 4.0);
//   for (const auto& b : ss.basins()) use(b.lower, b.upper, b.minimum, b.probability);
//   auto e_tr   = ss.expected_loss(U);                  // E_ρ[U_tr]
//   auto e_test = ss.expected_loss(U.shifted(0.1));     // E_ρ[U_test]
//   auto e_g    = ss.expectation([](double th) { return th * th; });
//   ss.density(0.9); ss.log_density(0.9); ss.potential(0.9);
//
//   // the loss is U's VALUE in any 1-D form; D any 1-D diffusion model or a callable D(θ)
//   shiftcurv::steady_state_1d dw([](auto x) { return 0.25 * x * x * x * x - 0.5 * x * x; },
//                                 [](auto x) { return 1.0 + 0.4 * x; }, /*T=*/0.5, -2.0, 2.0);
// Contract.  The zero-flux stationary solution of the 1-D Fokker–Planck equation on [lo, hi]
// (Gardiner §5.2.2; the paper's eq 24 and Appendix B.1 in 1-D):
//   v(θ) = ∫_lo^θ U'/D dξ + (T/2) log(D(θ)/D(lo)),   ρ = exp(−(2/T) v) / Z on [lo, hi].
// The loss and the diffusion: any 1-D form of derivatives/scalar_1d.hpp (U' and D' by the
// library's routes).  For constant D, v is exact to rounding (no quadrature).  Basins are the intervals between consecutive local
// maxima of U_tr and the interval ends, in increasing θ; `minimum` is the local minimum θ_k of
// U_tr inside (the lower-U end if U is monotone there).  Probabilities and expectations are
// computed in log space, each basin relative to its own peak, so nothing underflows
// (log_probability is finite even when probability underflows to 0).  How v and the integrals
// are evaluated is noted at build() below.
// Error estimates: basin_1d::error_estimate and quadrature_result::error_estimate are the
// summed |Kronrod − Gauss| estimates propagated through the normalization (absolute); the
// status is tolerance_not_met when a panel could not meet attainable_tolerance().  At very low
// T the class returns the T → 0 limit instead (zero_temperature_limit()).
// Throws invalid_argument (non-finite or empty interval, scan_points < 3, NaN θ, U or D not
// finite at a grid point, a diffusion model that is not 1-D), domain_error (T ≤ 0, D(θ) ≤ 0 at
// a grid point of the interval, or wherever D is evaluated later; T so large that (T/2) log D
// overflows, T ≳ 1e307).  Messages start with "shiftcurv::steady_state_1d".
#pragma once

#include <algorithm>
#include <initializer_list>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/math/quadrature/gauss.hpp>

#include "shiftcurv/basins/detail/sign_changes.hpp"
#include "shiftcurv/basins/detail/zero_temperature_limit.hpp"
#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/detail/adaptive_quadrature.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/io/csv_table.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/diffusion_1d.hpp"
#include "shiftcurv/potential/quadrature.hpp"

namespace shiftcurv {

struct basin_1d {
  double lower = 0, upper = 0;    ///< the interval [lower, upper]
  double minimum = 0;             ///< the local minimum θ_k of U_tr in (lower, upper)
  double probability = 0;         ///< ∫_lower^upper ρ
  double log_probability = 0;     ///< its logarithm (finite even where probability underflows)
  double error_estimate = 0;      ///< estimate of |probability − exact|
};

struct steady_state_1d_options {
  double tolerance = 1e-12;  ///< relative tolerance of each quadrature panel
  /// Grid for the extrema of U and v and the tabulated integral (≥ 3); raise it for extrema
  /// closer together than (hi − lo)/(scan_points − 1).
  int scan_points = 4001;
  int max_depth = 20;        ///< bisection depth of the adaptive rule on each panel
};

class steady_state_1d {
 public:
  /// The steady state of dθ = −U'dt + √(T D) dW on [lo, hi] (see the header comment).
  template <class Loss, class Noise>
    requires loss_1d<Loss> && diffusion_1d_model<Noise>
  steady_state_1d(const Loss& train, const Noise& noise, double T, double lo, double hi,
                  const steady_state_1d_options& options = {})
      : T_(T), lo_(lo), hi_(hi), opt_(options) {
    constexpr std::string_view fn = "steady_state_1d";
    require_temperature(fn, T);
    require_finite(fn, "lo", lo);
    require_finite(fn, "hi", hi);
    if (!(lo < hi)) detail::throw_invalid(fn, "the interval is empty: lo = ", lo, ", hi = ", hi);
    if (options.scan_points < 3) detail::throw_invalid(fn, "scan_points must be >= 3, got ", options.scan_points);
    require_positive(fn, "tolerance", options.tolerance);
    if (options.max_depth < 0) detail::throw_invalid(fn, "max_depth must be >= 0, got ", options.max_depth);
    detail::require_loss_1d(fn, "the loss", train);
    auto L = std::make_shared<Loss>(train);
    auto N = std::make_shared<Noise>(noise);
    auto V = std::make_shared<detail::diffusion_1d_view<Noise>>(fn, *N, lo);  // points into *N
    U_ = [L](double t) { return detail::loss_value_1d(*L, t); };
    dU_ = [L](double t) { return detail::loss_derivative_1d(*L, t); };
    D_ = [N, V](double t) { return V->value(t); };
    dD_ = [N, V](double t) { return V->derivative(t); };
    constant_ = detail::diffusion_1d_view<Noise>::is_constant;
    build();
  }

  double temperature() const { return T_; }
  double lower() const { return lo_; }
  double upper() const { return hi_; }
  /// The reference point of potential(): v(lo) = 0.
  double reference() const { return lo_; }

  /// v(θ) − v(lo), θ in [lo, hi].
  double potential(double theta) const {
    check_point("steady_state_1d::potential", theta);
    return raw_potential(theta) - v_lo_;
  }
  /// log ρ(θ) (normalized on [lo, hi]); −∞ outside the interval.
  double log_density(double theta) const {
    require_finite("steady_state_1d::log_density", "theta", theta);
    if (theta < lo_ || theta > hi_) return -std::numeric_limits<double>::infinity();
    return -(2 * (raw_potential(theta) - v_ref_)) / T_ - log_z_ref_;
  }
  /// ρ(θ), normalized on [lo, hi]; 0 outside.
  double density(double theta) const { return std::exp(log_density(theta)); }

  const std::vector<basin_1d>& basins() const { return basins_; }
  /// log Z with Z = ∫_lo^hi exp(−(2/T)(v(θ) − v(lo))) dθ (+inf where Z overflows, T → 0).
  double log_normalization() const { return log_z_; }
  /// True when T is so small that the class returns the T → 0 limit: once the rounding floor
  /// exceeds 1e-4 (ρ cannot be evaluated to better than 0.01% anywhere; e.g. T ≲ 1e-9 for
  /// Figure 4, or any subnormal T), quadrature of ρ is pointless; the mass sits at the peaks of
  /// ρ (the minima of v, or an interval end where v slopes away), each peak weighted by
  /// exp(−(2/T)(v_peak − v_min)) times its Laplace width (half a Gaussian on each side,
  /// √(πT/v'')/2, or T/(2|v'|) at an end), all in log space, and expectations are
  /// Σ P_peak·g(θ_peak).  Error O(T) relative to the scale of v; every value is finite down to
  /// the smallest subnormal T.  log_normalization() may then overflow to +inf (Z itself is not
  /// representable); density() and log_density() stay finite at the peaks.
  bool zero_temperature_limit() const { return limit_.has_value(); }

  /// ∫ g(θ) ρ(θ) dθ over [lo, hi] for g: double → double.
  template <class G>
    requires std::invocable<const G&, double>
  quadrature_result expectation(const G& g) const {
    if (limit_) return limit_->expectation(g, attainable_tolerance());
    quadrature_result r;
    double abs_sum = 0;
    detail::compensated_sum total;
    bool converged = true;
    for (std::size_t k = 0; k < basins_.size(); ++k) {
      const basin_1d& b = basins_[k];
      if (b.probability == 0) continue;
      const double peak = log_peak_[k];
      double err = 0, l1 = 0;
      detail::compensated_sum part;
      for (const panel& p : panels_) {
        if (p.basin != k) continue;
        const auto s = detail::adaptive_gauss_kronrod<31>(
            [&](double t) { return static_cast<double>(g(t)) * std::exp(log_rho_unnormalized(t) - peak); },
            p.a, p.b, panel_tol_, 0.0, opt_.max_depth);
        part.add(s.value);
        err += s.error;
        l1 += s.l1;
        r.evaluations += s.evaluations;
        converged = converged && s.converged;
      }
      const double ek = part.value() / mass_[k];
      total.add(b.probability * ek);
      r.error_estimate += b.probability * (err / mass_[k] + std::abs(ek) * rel_err_[k]);
      abs_sum += b.probability * l1 / mass_[k];
    }
    r.value = total.value();
    r.error_estimate += std::abs(r.value) * norm_rel_err_;
    if (!std::isfinite(r.value))
      record_status(r, status::numerical_issue,
                    detail::message("steady_state_1d::expectation", "the integral is not finite (g not finite?)"));
    else if (!converged || r.error_estimate > attainable_tolerance() * std::max(abs_sum, 1e-300) * 10)
      record_status(r, status::tolerance_not_met,
                    detail::message("steady_state_1d::expectation", "error estimate ", r.error_estimate,
                                    " exceeds the tolerance ", opt_.tolerance, " x E|g| = ", abs_sum));
    return r;
  }

  /// E_ρ[U] for any 1-D loss (U_tr, U_test, ...; the forms of loss_1d).
  template <class Loss>
    requires loss_1d<Loss>
  quadrature_result expected_loss(const Loss& loss) const {
    return expectation([&loss](double t) { return detail::loss_value_1d(loss, t); });
  }

  /// max(tolerance, 10 × rounding floor): the relative accuracy the quadrature aims at.
  double attainable_tolerance() const { return std::max(opt_.tolerance, 10 * rounding_floor_); }
  /// ≈ (2/T)·ε·max|v|: the relative rounding error of ρ, a floor under any tolerance (≈ 2e-11
  /// for the Figure 4 setting at T = 1e-3).
  double rounding_floor() const { return rounding_floor_; }

  shiftcurv::status status() const { return state_.status; }
  const std::string& message() const { return state_.message; }
  long evaluations() const { return state_.evaluations; }

 private:
  struct panel {
    double a, b;
    std::size_t basin;
  };

  void check_point(std::string_view fn, double theta) const {
    require_finite(fn, "theta", theta);
    if (theta < lo_ || theta > hi_)
      detail::throw_invalid(fn, "theta = ", theta, " is outside [", lo_, ", ", hi_, "]");
  }

  double d_checked(double t) const {
    const double d = D_(t);
    if (!(d > 0)) detail::throw_domain("steady_state_1d", "D(theta) must be > 0 on the interval, got ", d, " at theta = ", t);
    return d;
  }

  /// ∫_{lo}^{θ} (U − U₀) D'/D² from the table and a 15-point Gauss–Legendre completion.
  double remainder(double t) const {
    if (constant_) return 0.0;
    const double pos = (t - lo_) / h_;
    std::size_t i = static_cast<std::size_t>(std::clamp(std::floor(pos), 0.0, static_cast<double>(grid_.size() - 2)));
    if (t == grid_[i]) return R_[i];
    return R_[i] + boost::math::quadrature::gauss<double, 15>::integrate(
                       [this](double x) { return remainder_integrand(x); }, grid_[i], t);
  }

  double remainder_integrand(double x) const {
    const double d = d_checked(x);
    return (U_(x) - u0_) * dD_(x) / (d * d);
  }

  /// v(θ) + const (the constant is the same everywhere).
  double raw_potential(double t) const {
    const double d = d_checked(t);
    return (U_(t) - u0_) / d + remainder(t) + 0.5 * T_ * std::log(d);
  }
  double log_rho_unnormalized(double t) const { return -2 / T_ * raw_potential(t); }

  /// U, U', D, D' on the scan grid (checked finite, D > 0).
  struct grid_values {
    std::vector<double> u, du, d, dd;
  };

  // How it is computed.  v is evaluated as v = (U − U₀)/D |_lo^θ + ∫_lo^θ (U − U₀) D'/D² dξ +
  // (T/2) log(D(θ)/D(lo)) (integration by parts; U₀ = min of U on the grid); the remaining
  // integral is tabulated at the grid nodes by adaptive Gauss–Kronrod (cells summed with
  // Neumaier compensation) and completed inside a cell by 15-point Gauss–Legendre.  Every
  // integral of ρ is split at the extrema of U and of v (zeros of U' + (T/2)D', where ρ
  // peaks), and on each piece (where ρ is monotone) into geometric panels (ratio 4) towards
  // the end where ρ is largest, down to the scale where ρ varies by 1%, so a ρ of width 1e-6
  // on an interval of length 8 is resolved; each panel by adaptive Gauss–Kronrod (31 points).
  // Each evaluation of v carries a rounding error ≈ ε·max|v|, which ρ amplifies by 2/T: the
  // rounding floor.
  void build() {
    const grid_values g = tabulate();
    tabulate_remainder(g);
    v_lo_ = raw_potential(lo_);
    // Extrema: of U (maxima bound the basins, minima are θ_k) and of v (zeros of U' + (T/2)D').
    std::vector<double> nv(g.du.size());
    for (std::size_t i = 0; i < nv.size(); ++i) nv[i] = g.du[i] + 0.5 * T_ * g.dd[i];
    const auto u_ext = detail::find_sign_changes(grid_, g.du, dU_, lo_, hi_);
    const auto v_ext = detail::find_sign_changes(
        grid_, nv, [this](double t) { return dU_(t) + 0.5 * T_ * dD_(t); }, lo_, hi_);
    set_rounding_floor(g, {&u_ext.up, &v_ext.up, &v_ext.down});
    const std::vector<double> bounds = make_basins(u_ext);
    std::vector<double> breaks = bounds;
    for (const auto* list : {&u_ext.up, &v_ext.up, &v_ext.down}) breaks.insert(breaks.end(), list->begin(), list->end());
    std::sort(breaks.begin(), breaks.end());
    breaks.erase(std::unique(breaks.begin(), breaks.end()), breaks.end());
    // T → 0: ρ cannot be resolved by evaluating v (or 2/T overflows): the Laplace limit.
    if (!(rounding_floor_ <= limit_floor) || !std::isfinite(2 / T_)) {
      use_limit(bounds, breaks, v_ext.up);
    } else {
      make_panels(breaks);
      std::vector<double> log_mass;
      if (const auto k = integrate_basins(log_mass)) {
        // A basin whose quadrature missed its own peak (a peak narrower than the panels
        // resolve, or a spike of v's rounding): the T → 0 limit is the best estimate there is.
        panels_.clear();
        use_limit(bounds, breaks, v_ext.up);
        record_status(state_, status::tolerance_not_met,
                      detail::message("steady_state_1d", "the peak of rho in basin ", *k,
                                      " is narrower than the quadrature resolves (rounding floor ", rounding_floor_,
                                      "): the T -> 0 limit is returned"));
      } else {
        normalize(log_mass);
      }
    }
    note_remainder();
  }

  /// Step 1: the grid and U, U', D, D' on it; U₀ = min U; detects a constant D.
  grid_values tabulate() {
    constexpr std::string_view fn = "steady_state_1d";
    const int n = opt_.scan_points;
    grid_.resize(n);
    h_ = (hi_ - lo_) / (n - 1);
    grid_values g{std::vector<double>(n), std::vector<double>(n), std::vector<double>(n), std::vector<double>(n)};
    for (int i = 0; i < n; ++i) {
      grid_[i] = i == n - 1 ? hi_ : lo_ + h_ * i;
      const double t = grid_[i];
      g.u[i] = U_(t);
      g.du[i] = dU_(t);
      g.d[i] = D_(t);
      g.dd[i] = dD_(t);
      if (!std::isfinite(g.u[i]) || !std::isfinite(g.du[i]))
        detail::throw_invalid(fn, "U or U' is not finite at theta = ", t);
      if (!std::isfinite(g.d[i]) || !std::isfinite(g.dd[i]))
        detail::throw_invalid(fn, "D or D' is not finite at theta = ", t);
      if (!(g.d[i] > 0)) detail::throw_domain(fn, "D(theta) must be > 0 on the interval, got ", g.d[i], " at theta = ", t);
      if (!std::isfinite(0.5 * T_ * std::log(g.d[i])))
        detail::throw_domain(fn, "T = ", T_, " is too large: (T/2) log D(theta) overflows a double at theta = ", t);
    }
    state_.evaluations += n;
    u0_ = *std::min_element(g.u.begin(), g.u.end());
    if (!constant_)
      constant_ = std::all_of(g.dd.begin(), g.dd.end(), [](double x) { return x == 0; }) &&
                  std::all_of(g.d.begin(), g.d.end(), [&](double x) { return x == g.d[0]; });
    return g;
  }

  /// Step 2: the integration-by-parts remainder R(θ_i) = ∫_lo^θ_i (U − U₀) D'/D² at the nodes.
  void tabulate_remainder(const grid_values& g) {
    const int n = opt_.scan_points;
    R_.assign(n, 0.0);
    if (constant_) return;
    // Each integrand value carries the rounding of U − U₀ (≈ ε(|U| + |U₀|)·|D'|/D²): the
    // absolute floor below which a cell's quadrature cannot be refined.
    double floor = 0;
    for (int i = 0; i < n; ++i)
      floor = std::max(floor, (std::abs(g.u[i]) + std::abs(u0_)) * std::abs(g.dd[i]) / (g.d[i] * g.d[i]));
    floor *= 4 * std::numeric_limits<double>::epsilon() * h_;
    detail::compensated_sum acc;
    for (int i = 0; i + 1 < n; ++i) {
      const auto s = detail::adaptive_gauss_kronrod<15>([this](double x) { return remainder_integrand(x); },
                                                        grid_[i], grid_[i + 1], 1e-15, floor, 8);
      state_.evaluations += s.evaluations;
      remainder_converged_ = remainder_converged_ && s.converged;
      acc.add(s.value);
      R_[i + 1] = acc.value();
    }
  }

  /// Step 3: the rounding floor of ℓ(θ) − ℓ(peak) = −(2/T)(v(θ) − v(peak)): each v carries
  /// ≈ ε·(|U|/D + |R| + (T/2)|log D|) of rounding, so no quadrature can resolve ρ better.  The
  /// scale is taken at the grid nodes and at the extrema (a narrow well can hold a D far below
  /// its value at any node); 2ε·scale/T is inf, not NaN, for a subnormal T.
  void set_rounding_floor(const grid_values& g, std::initializer_list<const std::vector<double>*> extrema) {
    double scale = 0;
    for (std::size_t i = 0; i < g.u.size(); ++i)
      scale = std::max(scale, (std::abs(g.u[i]) + std::abs(u0_)) / g.d[i] + std::abs(R_[i]) +
                                  0.5 * T_ * std::abs(std::log(g.d[i])));
    for (const auto* list : extrema)
      for (double t : *list) {
        const double dt = d_checked(t);
        scale = std::max(scale, (std::abs(U_(t)) + std::abs(u0_)) / dt + std::abs(remainder(t)) +
                                    0.5 * T_ * std::abs(std::log(dt)));
      }
    rounding_floor_ = 2 * std::numeric_limits<double>::epsilon() * scale / T_;
    panel_tol_ = std::max(0.1 * opt_.tolerance, 10 * rounding_floor_);
  }

  /// Step 4: basins between consecutive maxima of U (and the ends); returns their bounds.
  std::vector<double> make_basins(const detail::sign_change_roots& u_ext) {
    std::vector<double> bounds{lo_};
    bounds.insert(bounds.end(), u_ext.down.begin(), u_ext.down.end());
    bounds.push_back(hi_);
    for (std::size_t k = 0; k + 1 < bounds.size(); ++k) {
      basin_1d b;
      b.lower = bounds[k];
      b.upper = bounds[k + 1];
      double best = std::numeric_limits<double>::quiet_NaN();
      for (double m : u_ext.up)
        if (m > b.lower && m < b.upper && (std::isnan(best) || U_(m) < U_(best))) best = m;
      if (std::isnan(best)) best = U_(b.lower) <= U_(b.upper) ? b.lower : b.upper;
      b.minimum = best;
      basins_.push_back(b);
    }
    return bounds;
  }

  /// Step 5: geometric panels (ratio 4) towards the larger end of each monotone piece between
  /// consecutive breakpoints, until ρ varies by < 1% inside a panel; the peak of each basin.
  void make_panels(const std::vector<double>& br) {
    std::size_t basin = 0;
    log_peak_.assign(basins_.size(), -std::numeric_limits<double>::infinity());
    for (std::size_t j = 0; j + 1 < br.size(); ++j) {
      const double a = br[j], b = br[j + 1];
      if (!(b > a)) continue;
      while (basin + 1 < basins_.size() && a >= basins_[basin].upper) ++basin;
      const double la = log_rho_unnormalized(a), lb = log_rho_unnormalized(b);
      log_peak_[basin] = std::max({log_peak_[basin], la, lb});
      const bool left_peak = la >= lb;
      const double peak = left_peak ? a : b, lpeak = std::max(la, lb), len = b - a;
      std::vector<double> dist{len};
      while (dist.size() < 40) {
        const double next = dist.back() / 4;
        const double x = left_peak ? peak + next : peak - next;
        if (x == peak || lpeak - log_rho_unnormalized(x) < 0.01) break;
        dist.push_back(next);
      }
      dist.push_back(0.0);
      for (std::size_t m = 0; m + 1 < dist.size(); ++m) {
        const double far = left_peak ? peak + dist[m] : peak - dist[m];
        const double near = left_peak ? peak + dist[m + 1] : peak - dist[m + 1];
        panels_.push_back(left_peak ? panel{near, far, basin} : panel{far, near, basin});
      }
    }
  }

  /// Step 6: basin masses relative to their own peaks (mass_, rel_err_; log_mass = log of the
  /// unnormalized mass).  Returns the first basin whose mass came out 0 or non-finite.
  std::optional<std::size_t> integrate_basins(std::vector<double>& log_mass) {
    mass_.assign(basins_.size(), 0.0);
    rel_err_.assign(basins_.size(), 0.0);
    log_mass.assign(basins_.size(), 0.0);
    quadrature_converged_ = true;
    for (std::size_t k = 0; k < basins_.size(); ++k) {
      detail::compensated_sum part;
      double err = 0;
      for (const panel& p : panels_) {
        if (p.basin != k) continue;
        const double peak = log_peak_[k];
        const auto s = detail::adaptive_gauss_kronrod<31>(
            [&](double t) { return std::exp(log_rho_unnormalized(t) - peak); }, p.a, p.b,
            panel_tol_, 0.0, opt_.max_depth);
        part.add(s.value);
        err += s.error;
        state_.evaluations += s.evaluations;
        quadrature_converged_ = quadrature_converged_ && s.converged;
      }
      mass_[k] = part.value();
      rel_err_[k] = mass_[k] > 0 ? err / mass_[k] : 0.0;
      log_mass[k] = log_peak_[k] + std::log(mass_[k]);
    }
    for (std::size_t k = 0; k < basins_.size(); ++k)
      if (std::isfinite(log_peak_[k]) && !(mass_[k] > 0 && std::isfinite(mass_[k]))) return k;
    return std::nullopt;
  }

  /// Step 7: log-sum-exp normalization of the basin masses, error estimates, status.
  void normalize(const std::vector<double>& log_mass) {
    constexpr std::string_view fn = "steady_state_1d";
    const double lmax = *std::max_element(log_mass.begin(), log_mass.end());
    double z = 0;
    for (double lm : log_mass) z += std::exp(lm - lmax);
    const double log_z_raw = lmax + std::log(z);
    norm_rel_err_ = 0;
    for (std::size_t k = 0; k < basins_.size(); ++k) {
      basins_[k].log_probability = log_mass[k] - log_z_raw;
      basins_[k].probability = std::exp(basins_[k].log_probability);
      norm_rel_err_ += basins_[k].probability * rel_err_[k];
    }
    for (std::size_t k = 0; k < basins_.size(); ++k)
      basins_[k].error_estimate = basins_[k].probability * (rel_err_[k] + norm_rel_err_);
    // log ρ(θ) = −(2/T)(v_raw(θ) − v_raw(lo)) − log Z, with Z relative to v(lo).
    log_z_ = log_z_raw + 2 / T_ * v_lo_;
    v_ref_ = v_lo_;
    log_z_ref_ = log_z_;
    if (!std::isfinite(log_z_))
      record_status(state_, status::numerical_issue, detail::message(fn, "the normalization is not finite"));
    else if (!quadrature_converged_)
      record_status(state_, status::tolerance_not_met,
                    detail::message(fn, "a quadrature panel did not reach the tolerance ", panel_tol_));
  }

  /// The tabulated remainder integral missed its tolerance in some grid cell (a feature of D
  /// narrower than the grid): v, and all that follows, may be off.
  void note_remainder() {
    if (remainder_converged_) return;
    record_status(state_, status::tolerance_not_met,
                  detail::message("steady_state_1d",
                                  "the integral of (U - U0) D'/D^2 did not converge in a grid cell (a feature of U or "
                                  "D narrower than the grid spacing ", h_, "?): raise scan_points"));
  }

  // ---- the T → 0 limit (rounding_floor() > limit_floor): basins/detail/zero_temperature_limit.hpp
  static constexpr double limit_floor = 1e-4;

  /// v'(θ) = (U' + (T/2)D')/D.
  double v_slope(double t) const { return (dU_(t) + 0.5 * T_ * dD_(t)) / d_checked(t); }

  /// The T → 0 limit from the basin bounds, the breakpoints and the minima of v: basin
  /// probabilities, log ρ's reference, the normalization.
  void use_limit(const std::vector<double>& bounds, const std::vector<double>& br, const std::vector<double>& v_min) {
    const std::vector<double> upper(bounds.begin() + 1, bounds.end());
    limit_.emplace(detail::zero_temperature_pieces{T_, lo_, hi_, br, upper, v_min, h_, rounding_floor_},
                   [this](double t) { return raw_potential(t); }, [this](double t) { return v_slope(t); });
    for (std::size_t k = 0; k < basins_.size(); ++k) {
      basins_[k].log_probability = limit_->basins()[k].log_probability;
      basins_[k].probability = limit_->basins()[k].probability;
      basins_[k].error_estimate = limit_->basins()[k].error_estimate;
    }
    v_ref_ = limit_->v_ref();
    log_z_ref_ = limit_->log_z_ref();
    log_z_ = log_z_ref_ + (2 * (v_lo_ - v_ref_)) / T_;
    if (!std::isfinite(log_z_ref_))
      record_status(state_, status::numerical_issue,
                    detail::message("steady_state_1d", "the normalization is not finite in the T -> 0 limit"));
  }

  double T_, lo_, hi_;
  steady_state_1d_options opt_;
  std::function<double(double)> U_, dU_, D_, dD_;
  bool constant_ = false;
  std::vector<double> grid_, R_;
  double h_ = 0, u0_ = 0, v_lo_ = 0, log_z_ = 0, norm_rel_err_ = 0, rounding_floor_ = 0, panel_tol_ = 0;
  std::vector<basin_1d> basins_;
  std::vector<panel> panels_;
  std::vector<double> log_peak_, mass_, rel_err_;
  // log ρ = −(2/T)(v_raw − v_ref_) − log_z_ref_ (v_ref_ = v(lo) above the T → 0 limit).
  double v_ref_ = 0, log_z_ref_ = 0;
  bool remainder_converged_ = true, quadrature_converged_ = true;
  std::optional<detail::zero_temperature_limit_1d<>> limit_;  ///< set where the T → 0 limit is returned
  result_base state_;                                       ///< status, message, evaluations
};

/// The result as a CSV table (io/csv.hpp writes it): one row per basin: basin, lower, upper, minimum, probability, log_probability,
/// error_estimate.
inline csv_table to_table(const steady_state_1d& ss) {
  csv_table t({"basin", "lower", "upper", "minimum", "probability", "log_probability", "error_estimate"});
  long k = 0;
  for (const auto& b : ss.basins())
    t.add_row({k++, b.lower, b.upper, b.minimum, b.probability, b.log_probability, b.error_estimate});
  return t;
}

}  // namespace shiftcurv
