// shiftcurv/fokker_planck/fokker_planck_1d.hpp — the 1-D Fokker–Planck equation of SGD's diffusion
// approximation on [lo, hi] with reflecting walls, by finite volumes with an exponentially
// fitted (Scharfetter–Gummel / Chang–Cooper) flux.
//
//   shiftcurv::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5});
//   shiftcurv::constant_diffusion D(1e-3, 1);
//   shiftcurv::fokker_planck_1d fp(U, D, /*T=*/0.05, -4.0, 4.0, /*cells=*/4000);
//   auto ss = fp.steady_state();          // exact discrete steady state, O(N), log space
//   fp.density(); fp.centres();           // ρ_i at the cell centres θ_i, Σ ρ_i Δθ_i = 1
//   fp.basin_masses({0.0});               // mass of [−4, 0] and [0, 4]
//   fp.set_uniform();                     // or set_density(ρ0), set_point_mass(θ0)
//   auto r = fp.evolve(10.0);             // adaptive TR-BDF2 to t = 10 (fp_evolve_options)
//   // plain callables: U(θ) (its VALUE, as everywhere in the library) and D(θ)
//   shiftcurv::fokker_planck_1d ou([](auto x) { return 0.5 * x * x; }, [](double) { return 1.0; }, 0.5, -5, 5, 200);
//
// Equation (THEORY.md): ∂t ρ = ∂θ J, J = U'ρ + (T/2) ∂θ(Dρ), no flux through the walls.
//
// Contract.  The loss is any 1-D loss form (derivatives/scalar_1d.hpp), the diffusion any 1-D
// diffusion model or a callable D(θ) > 0 (D' is never needed).  For ANY grid the discrete
// steady state is exp(−(2/T) v(θ_i)) exactly at the nodes (up to the quadrature of ∫U'/D),
// v = ∫U'/D + (T/2) log D; mass is conserved to rounding and backward Euler is positive for
// every dt; time-dependent solutions are second order in the cell size (construction, mass
// rescaling and step rejection: fokker_planck/detail/fp_common.hpp).  Error estimates: on
// fp_steady_result (log_density_error; rounding adds ~1e-16 × Σ|Δφ|) and fp_evolve_result
// (error_estimate, time stepping only: the O(h²) spatial error is seen by halving the cells).
//
// Bad input: invalid_argument for non-finite numbers, lo ≥ hi, fewer than 2 cells, faces not
// increasing, densities of the wrong size, a diffusion model that is not 1-D; domain_error for
// T ≤ 0, D(θ) ≤ 0 at a centre or quadrature node, a negative density, durations/dt < 0.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <limits>
#include <string_view>
#include <type_traits>
#include <vector>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/fokker_planck/detail/fp_common.hpp"
#include "shiftcurv/noise/diffusion_1d.hpp"

namespace shiftcurv {

/// A plain real function of one real variable (θ ↦ ρ₀(θ)).
template <class F>
concept real_function = std::invocable<const F&, double> &&
                        std::convertible_to<std::invoke_result_t<const F&, double>, double>;

/// The exact discrete steady state.
struct fp_steady_result : result_base {
  /// log ρ_i at the cell centres, normalized so that Σ exp(log ρ_i) Δθ_i = 1; finite even where
  /// ρ_i itself underflows to 0.
  vector log_density;
  /// Bound on |log ρ_i − log ρ_exact(θ_i)| from the quadrature of the potential increments
  /// (pessimistic Gauss–Kronrod estimates, summed over all cells).
  double log_density_error = 0;
};

class fokker_planck_1d {
 public:
  // ---- construction ------------------------------------------------------------------------
  /// From a 1-D loss (U's value: see loss_1d) and a 1-D diffusion (a diffusion model on
  /// 1-vectors, or a callable D(θ)), on `cells` equal cells of [lo, hi].
  template <class Loss, class Noise>
    requires loss_1d<Loss> && diffusion_1d_model<Noise>
  fokker_planck_1d(const Loss& loss, const Noise& noise, double T, double lo, double hi, index cells)
      : fokker_planck_1d(loss, noise, T, detail::fp_uniform_faces(fn_, lo, hi, cells)) {}

  /// The same on a non-uniform grid (cell faces, strictly increasing; the first and last are
  /// the walls).
  template <class Loss, class Noise>
    requires loss_1d<Loss> && diffusion_1d_model<Noise>
  fokker_planck_1d(const Loss& loss, const Noise& noise, double T, const vector& faces) {
    require_temperature(fn_, T);
    detail::fp_check_faces(fn_, faces);
    detail::require_loss_1d(fn_, "the loss", loss);
    const detail::diffusion_1d_view<Noise> D(fn_, noise, faces(0));
    setup([&loss](double x) { return detail::loss_derivative_1d(loss, x); }, D, T, faces);
  }

  // ---- the grid and the discretization -------------------------------------------------------
  index cells() const { return centres_.size(); }
  double temperature() const { return T_; }
  double lower() const { return faces_(0); }
  double upper() const { return faces_(faces_.size() - 1); }
  const vector& faces() const { return faces_; }      ///< N + 1 cell faces (walls at both ends)
  const vector& centres() const { return centres_; }  ///< N cell centres θ_i
  const vector& widths() const { return widths_; }    ///< N cell widths Δθ_i
  const vector& diffusion() const { return D_; }      ///< D(θ_i)
  /// Δφ_i = (2/T)∫_{θ_i}^{θ_{i+1}} U'/D, i = 0..N−2.
  const vector& potential_increments() const { return dphi_; }
  /// Σ of the quadrature error estimates of the Δφ_i (bounds the error of log ρ anywhere).
  double quadrature_error() const { return dphi_error_; }
  long setup_evaluations() const { return evaluations_; }  ///< U'/D evaluations at construction

  // ---- the state ---------------------------------------------------------------------------
  double time() const { return time_; }
  const vector& cell_masses() const { return m_; }       ///< m_i = ρ_i Δθ_i
  vector density() const { return m_.cwiseQuotient(widths_); }  ///< ρ_i at the centres
  double mass() const { return detail::accurate_sum(m_); }       ///< Σ m_i (1 unless rounding)

  /// The probability current at the N + 1 faces: the probability crossing each face per unit
  /// time in the +θ direction, j = −J = −U'ρ − (T/2)∂θ(Dρ) (THEORY's J has ∂tρ = ∂θJ, so
  /// ∂t m_i = j_i − j_{i+1}).  Zero at the walls, and zero everywhere at the steady state.
  vector current() const {
    const index N = cells();
    vector j = vector::Zero(N + 1);
    for (index i = 0; i + 1 < N; ++i) j(i + 1) = r_(i) * m_(i) - l_(i + 1) * m_(i + 1);
    return j;
  }

  /// Masses of the K + 1 intervals [lo, b₁], [b₁, b₂], …, [b_K, hi] cut at the K boundary points
  /// (non-decreasing, inside [lo, hi]).  A cell cut by a boundary is split in proportion to
  /// length (ρ constant on a cell).
  vector basin_masses(const std::vector<double>& boundaries) const {
    constexpr std::string_view fn = "fokker_planck_1d::basin_masses";
    const double lo = lower(), hi = upper();
    std::vector<double> e;
    e.reserve(boundaries.size() + 2);
    e.push_back(lo);
    for (std::size_t k = 0; k < boundaries.size(); ++k) {
      const double b = boundaries[k];
      require_finite(fn, "boundaries[k]", b);
      if (b < lo || b > hi) detail::throw_domain(fn, "boundary ", b, " lies outside [", lo, ", ", hi, "]");
      if (b < e.back()) detail::throw_invalid(fn, "boundaries must be non-decreasing, got ", b, " after ", e.back());
      e.push_back(b);
    }
    e.push_back(hi);
    const std::size_t K = e.size() - 1;
    std::vector<detail::compensated_sum> acc(K);
    std::size_t k = 0;
    for (index i = 0; i < cells(); ++i) {
      const double a = faces_(i), b = faces_(i + 1);
      while (k + 1 < K && e[k + 1] <= a) ++k;
      for (std::size_t q = k; q < K && e[q] < b; ++q) {
        const double overlap = std::min(b, e[q + 1]) - std::max(a, e[q]);
        if (overlap > 0) acc[q].add(overlap >= b - a ? m_(i) : m_(i) * (overlap / (b - a)));
      }
    }
    vector out(static_cast<index>(K));
    for (std::size_t q = 0; q < K; ++q) out(static_cast<index>(q)) = acc[q].value();
    return out;
  }

  /// ρ uniform on [lo, hi]; the clock restarts at 0.
  void set_uniform() {
    m_ = widths_ / (upper() - lower());
    time_ = 0;
  }

  /// ρ_i given at the centres (≥ 0, not all 0), normalized to mass 1; the clock restarts at 0.
  void set_density(const vector& rho) {
    constexpr std::string_view fn = "fokker_planck_1d::set_density";
    require_size(fn, "rho", rho.size(), cells());
    require_finite(fn, "rho", rho);
    if ((rho.array() < 0).any()) detail::throw_domain(fn, "rho must be >= 0, min is ", rho.minCoeff());
    vector m = rho.cwiseProduct(widths_);
    const double total = detail::accurate_sum(m);
    if (!(total > 0)) detail::throw_domain(fn, "rho has zero mass");
    m_ = m / total;
    time_ = 0;
  }

  /// ρ₀(θ) evaluated at the centres, then as set_density(vector).
  template <real_function F>
  void set_density(const F& rho0) {
    vector rho(cells());
    for (index i = 0; i < cells(); ++i) rho(i) = static_cast<double>(rho0(centres_(i)));
    set_density(rho);
  }

  /// All mass in the cell that contains θ₀; the clock restarts at 0.
  void set_point_mass(double theta0) {
    constexpr std::string_view fn = "fokker_planck_1d::set_point_mass";
    require_finite(fn, "theta0", theta0);
    if (theta0 < lower() || theta0 > upper())
      detail::throw_domain(fn, "theta0 = ", theta0, " lies outside [", lower(), ", ", upper(), "]");
    const auto it = std::upper_bound(faces_.data(), faces_.data() + faces_.size(), theta0);
    const index i = std::clamp<index>(static_cast<index>(it - faces_.data()) - 1, 0, cells() - 1);
    m_.setZero();
    m_(i) = 1;
    time_ = 0;
  }

  // ---- solvers -----------------------------------------------------------------------------
  /// The exact discrete steady state, by the zero-current recursion in log space
  /// (ρ_{i+1}/ρ_i = e^{−Δφ_i} D_i/D_{i+1}), O(N); the state becomes it (the clock is kept).
  fp_steady_result steady_state() {
    const index N = cells();
    fp_steady_result r;
    vector logm(N);
    detail::compensated_sum phi;
    for (index i = 0; i < N; ++i) {
      if (i > 0) phi.add(dphi_(i - 1));
      logm(i) = log_weight_(i) - phi.value();  // log(Δθ_i / D_i) − φ_i
    }
    const double top = logm.maxCoeff();
    logm.array() -= top;  // ≤ 0; the largest masses are O(1) before normalization
    m_ = logm.array().exp();
    const double Z = detail::accurate_sum(m_), logZ = std::log(Z);
    m_ /= Z;
    r.log_density = logm.array() - logZ - widths_.array().log();
    r.log_density_error = dphi_error_;
    r.evaluations = evaluations_;
    r.iterations = 1;
    if (!r.log_density.allFinite()) {
      record_status(r, status::numerical_issue,
                    detail::message("fokker_planck_1d::steady_state", "non-finite log density"));
    }
    return r;
  }

  /// Advances the state by `duration` (≥ 0): from a fresh state (t = 0), to t = duration.
  fp_evolve_result evolve(double duration, const fp_evolve_options& options = {}) {
    tridiagonal_generator sys{r_, l_, cache_};
    auto r = detail::fp_evolve(sys, m_, time_, duration, options, "fokker_planck_1d::evolve");
    time_ = r.time;
    r.min_density = m_.cwiseQuotient(widths_).minCoeff();
    return r;
  }

  /// The generator applied to cell masses: (A m)_i = ṁ_i (for tests and diagnostics).
  vector generator_times(const vector& m) const {
    require_size("fokker_planck_1d::generator_times", "m", m.size(), cells());
    vector out(cells());
    tridiagonal_generator{r_, l_, cache_}.apply(m, out);
    return out;
  }

 private:
  static constexpr std::string_view fn_ = "fokker_planck_1d";

  // LU factors of I − aA for the last two values of a (fixed steps reuse them): inv_i = 1/pivot_i
  // and cp_i = a·l_{i+1}·inv_i.  Every pivot is ≥ 1 + a r_i (column dominance), and the sweeps
  // add non-negative terms only, so x ≥ 0 whenever rhs ≥ 0, also in floating point.
  struct factor_cache {
    struct entry {
      double a = -1;
      long used = 0;
      vector inv, cp;
    };
    entry slot[2];
    long clock = 0;
  };

  struct tridiagonal_generator {
    static constexpr bool quantized_dt = false;
    const vector& r;  // rate i → i+1
    const vector& l;  // rate i → i−1
    factor_cache& cache;

    void apply(const vector& m, vector& out) const {
      const index N = m.size();
      out.resize(N);
      const double* rp = r.data();
      const double* lp = l.data();
      const double* mp = m.data();
      double* op = out.data();
      op[0] = -(rp[0] + lp[0]) * mp[0] + (N > 1 ? lp[1] * mp[1] : 0.0);
      for (index i = 1; i + 1 < N; ++i)
        op[i] = -(rp[i] + lp[i]) * mp[i] + rp[i - 1] * mp[i - 1] + lp[i + 1] * mp[i + 1];
      if (N > 1) op[N - 1] = -(rp[N - 1] + lp[N - 1]) * mp[N - 1] + rp[N - 2] * mp[N - 2];
    }

    const factor_cache::entry& factor(double a) const {
      ++cache.clock;
      for (auto& e : cache.slot)
        if (e.a == a) {
          e.used = cache.clock;
          return e;
        }
      auto& e = cache.slot[0].used <= cache.slot[1].used ? cache.slot[0] : cache.slot[1];
      const index N = r.size();
      e.inv.resize(N);
      e.cp.resize(N);
      const double* rp = r.data();
      const double* lp = l.data();
      double* inv = e.inv.data();
      double* cp = e.cp.data();
      double den = 1 + a * (rp[0] + lp[0]);
      inv[0] = 1 / den;
      cp[0] = (N > 1 ? a * lp[1] : 0.0) * inv[0];
      for (index i = 1; i < N; ++i) {
        den = 1 + a * (rp[i] + lp[i]) - a * rp[i - 1] * cp[i - 1];
        inv[i] = 1 / den;
        cp[i] = (i + 1 < N ? a * lp[i + 1] : 0.0) * inv[i];
      }
      e.a = a;
      e.used = cache.clock;
      return e;
    }

    // (I − aA) x = rhs: diagonal 1 + a(r_i + l_i), sub-diagonal −a r_{i−1}, super −a l_{i+1}.
    void solve(double a, const vector& rhs, vector& x) const {
      const auto& f = factor(a);
      const index N = rhs.size();
      x.resize(N);
      const double* rp = r.data();
      const double* inv = f.inv.data();
      const double* cp = f.cp.data();
      const double* b = rhs.data();
      double* xp = x.data();
      xp[0] = b[0] * inv[0];
      for (index i = 1; i < N; ++i) xp[i] = (b[i] + a * rp[i - 1] * xp[i - 1]) * inv[i];
      for (index i = N - 2; i >= 0; --i) xp[i] += cp[i] * xp[i + 1];
    }
  };

  template <class DU, class DD>
  void setup(const DU& dU, const DD& Dfn, double T, const vector& faces) {
    require_temperature(fn_, T);
    T_ = T;
    faces_ = faces;
    const index N = faces.size() - 1;
    centres_ = 0.5 * (faces.head(N) + faces.tail(N));
    widths_ = faces.tail(N) - faces.head(N);
    auto D_at = [&Dfn](double x) {
      const double d = static_cast<double>(Dfn(x));
      if (!std::isfinite(d)) detail::throw_invalid(fn_, "D(theta) must be finite, got ", d, " at theta = ", x);
      if (!(d > 0)) detail::throw_domain(fn_, "D(theta) must be > 0 on the domain, got ", d, " at theta = ", x);
      return d;
    };
    auto drift = [&](double x) {
      const double g = static_cast<double>(dU(x));
      if (!std::isfinite(g)) detail::throw_invalid(fn_, "U'(theta) must be finite, got ", g, " at theta = ", x);
      return g / D_at(x);
    };
    D_.resize(N);
    double scale = 0;  // max |U'/D| at the centres: sets the absolute quadrature floor
    for (index i = 0; i < N; ++i) {
      D_(i) = D_at(centres_(i));
      scale = std::max(scale, std::abs(drift(centres_(i))));
    }
    dphi_.resize(N - 1);
    dphi_error_ = 0;
    evaluations_ = 2 * N;
    for (index i = 0; i + 1 < N; ++i) {
      const auto q = detail::fp_integrate_cell(drift, centres_(i), centres_(i + 1), 1e-13 * scale);
      dphi_(i) = 2 / T * q.value;
      dphi_error_ += 2 / T * q.error;
      evaluations_ += q.evaluations;
    }
    r_ = vector::Zero(N);
    l_ = vector::Zero(N);
    for (index i = 0; i + 1 < N; ++i) {
      const double h = centres_(i + 1) - centres_(i);
      r_(i) = 0.5 * T * detail::fp_bernoulli(dphi_(i)) * D_(i) / (h * widths_(i));
      l_(i + 1) = 0.5 * T * detail::fp_bernoulli(-dphi_(i)) * D_(i + 1) / (h * widths_(i + 1));
    }
    if (!r_.allFinite() || !l_.allFinite())
      detail::throw_invalid(fn_, "a transition rate is not finite (cells too small for D/h²?)");
    log_weight_ = widths_.array().log() - D_.array().log();
    set_uniform();
  }

  double T_ = 1, time_ = 0, dphi_error_ = 0;
  long evaluations_ = 0;
  vector faces_, centres_, widths_, D_, dphi_, r_, l_, m_, log_weight_;
  mutable factor_cache cache_;
};

}  // namespace shiftcurv
