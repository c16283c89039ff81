// shiftcurv/fokker_planck/fokker_planck_2d.hpp — the 2-D Fokker–Planck equation on a box with
// reflecting walls, by finite volumes on a uniform tensor grid with exponentially fitted
// (Scharfetter–Gummel) fluxes, for a DIAGONAL D(θ) = diag(D₁(θ), D₂(θ)), position-dependent or
// constant (5-point stencil), or a CONSTANT symmetric positive definite NON-DIAGONAL D (7-point
// stencil: the axis neighbours plus one diagonal pair, NE/SW if D₁₂ > 0, NW/SE if D₁₂ < 0).
//
//   shiftcurv::b1_case3 c3((Eigen::VectorXd(2) << 1.0, 2.0).finished(), /*kappa=*/0.7);
//   shiftcurv::fokker_planck_2d fp(c3.loss, c3.noise, /*T=*/0.5, {-3, -3}, {3, 3}, {120, 120});
//   auto ss = fp.steady_state();        // ss.circulation ≈ 0: V is curl-free, ρ exact at nodes
//   Eigen::MatrixXd rho = fp.density(); // ρ(i, j) at (x_i, y_j), Σ ρ ΔxΔy = 1
//   fp.set_uniform();
//   auto r = fp.evolve(2.0);            // adaptive TR-BDF2 (fp_evolve_options, fp_common.hpp)
//   auto [jx, jy] = fp.current();       // probability per unit time through each face
//   Eigen::Matrix2d D; D << 2.0, 0.6, 0.6, 1.0;   // constant non-diagonal: hx/hy = 1 in [0.6, 2/0.6]
//   shiftcurv::fokker_planck_2d fd([](double x, double y) { return Eigen::Vector2d(x, 2 * y); }, D,
//                                  0.5, {-4, -4}, {4, 4}, {80, 80});   // ∇U(x, y) and D
//   auto jd = fd.diagonal_current();    // the diagonal-edge part of current(), on its own
//
// Equation (THEORY.md): ∂t ρ = ∇·J, J = ρ∇U + (T/2)∇·(Dρ), no flux through the walls.
// Contract.  Mass is conserved and backward Euler is positive for every dt.  Where V =
// D⁻¹(∇U + (T/2)∇·D) is curl-free (THEORY's Assumption 1) the discrete steady state is
// exp(−2v/T) exactly at the nodes, with zero current; where V has curl (e.g. U = ½θᵀHθ with
// HD ≠ DH) it carries a current, is found by inverse iteration with a sparse LU, and is second
// order in h, as are time-dependent solutions.  A non-diagonal D must be constant and needs
// hx/hy in [|D₁₂|/D₂₂, D₁₁/|D₁₂|] (admissible_aspect_ratio(D); its log-centre is √(D₁₁/D₂₂)).
// Construction: fokker_planck/detail/fp_2d_stencil.hpp; error estimates: fp_steady_2d_result.
// Bad input: invalid_argument for non-finite numbers, an empty box, fewer than 2 cells per axis,
// a diffusion model that is not 2-D, not symmetric, or non-diagonal and position-dependent
// (not implemented), densities of the wrong shape; domain_error for T ≤ 0, D_kk ≤ 0 at a
// centre or quadrature node, a constant D that is not positive definite, hx/hy outside that
// range (non-diagonal D), negative densities, durations/dt < 0.
#pragma once

#include <array>
#include <cmath>
#include <concepts>
#include <deque>
#include <limits>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <Eigen/OrderingMethods>
#include <Eigen/SparseCore>
#include <Eigen/SparseLU>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/fokker_planck/detail/fp_2d_stencil.hpp"
#include "shiftcurv/fokker_planck/detail/fp_common.hpp"
#include "shiftcurv/fokker_planck/fokker_planck_1d.hpp"

namespace shiftcurv {

/// A plain function (x, y) ↦ 2-vector (∇U, or the diagonal of D).
template <class F>
concept planar_field = std::invocable<const F&, double, double> &&
                       std::convertible_to<std::invoke_result_t<const F&, double, double>, Eigen::Vector2d>;

/// The discrete steady state in 2-D.
struct fp_steady_2d_result : result_base {
  Eigen::MatrixXd log_density;  ///< log ρ(i, j), normalized; finite where ρ underflows
  /// The largest |sum of the log-density increments −(2/T)∫V·dl around a grid plaquette| (for a
  /// non-diagonal D also around the two triangles the diagonal cuts it into) — 0 up to
  /// quadrature/rounding error when V is curl-free, ≈ (2/T)|curl V|·hx·hy otherwise; it
  /// measures the continuous V, for either kind of D.
  double circulation = 0;
  bool detailed_balance = true; ///< circulation within the tolerance: the state is the exact one, zero current
  double log_density_error = 0; ///< bound of the quadrature error of log ρ along the integration path (curl-free case)
  double residual = 0;          ///< ‖A m‖₁ / max|A_ii| of the returned state
};

class fokker_planck_2d {
 public:
  using box = std::array<double, 2>;
  using counts = std::array<index, 2>;

  /// From a library loss on 2-vectors and a 2-D diffusion model, on a uniform grid of
  /// cells[0] × cells[1] cells covering [lo[0], hi[0]] × [lo[1], hi[1]].  D may be diagonal
  /// (position-dependent or not) or non-diagonal and constant (checked at every cell centre).
  template <class Loss, class Noise>
    requires loss_function<Loss> && diffusion_model<Noise>
  fokker_planck_2d(const Loss& loss, const Noise& noise, double T, box lo, box hi, counts cells) {
    require_temperature(fn_, T);
    detail::fp2d_assemble_model(s_, loss, noise, T, detail::fp2d_grid(lo, hi, cells));
    start();
  }

  /// From plain callables ∇U(x, y) and the diagonal (D₁, D₂)(x, y).
  template <planar_field G, planar_field DD>
  fokker_planck_2d(const G& grad, const DD& diag, double T, box lo, box hi, counts cells) {
    require_temperature(fn_, T);
    detail::fp2d_assemble_diagonal(s_, grad, diag, T, detail::fp2d_grid(lo, hi, cells));
    start();
  }

  /// From a plain callable ∇U(x, y) and a constant symmetric positive definite D (diagonal or
  /// not; a diagonal D takes the 5-point path above).
  template <planar_field G>
  fokker_planck_2d(const G& grad, const Eigen::Matrix2d& D, double T, box lo, box hi, counts cells) {
    require_temperature(fn_, T);
    if (D.allFinite() && D(0, 1) == 0 && D(1, 0) == 0) {
      const Eigen::Vector2d d(D(0, 0), D(1, 1));
      detail::fp2d_assemble_diagonal(s_, grad, [d](double, double) { return d; }, T, detail::fp2d_grid(lo, hi, cells));
    } else {
      detail::fp2d_assemble_constant(s_, grad, D, T, detail::fp2d_grid(lo, hi, cells));
    }
    start();
  }

  /// The admissible cell aspect ratios hx/hy for a constant D: [|D₁₂|/D₂₂, D₁₁/|D₁₂|]
  /// ([0, ∞] for a diagonal D).  Throws as the constructor does for a D that is not finite,
  /// symmetric and positive definite.
  static std::array<double, 2> admissible_aspect_ratio(const Eigen::Matrix2d& D) {
    detail::fp2d_check_constant(D);
    const double d = std::abs(D(0, 1));
    if (d == 0) return {0.0, std::numeric_limits<double>::infinity()};
    return {d / D(1, 1), D(0, 0) / d};
  }

  // ---- the grid ---------------------------------------------------------------------------
  index cells(int axis) const { return s_.cells(axis); }
  index size() const { return cells(0) * cells(1); }
  double temperature() const { return s_.T; }
  const vector& faces(int axis) const { return s_.faces[axis]; }
  const vector& centres(int axis) const { return s_.centres[axis]; }
  const vector& widths(int axis) const { return s_.widths[axis]; }
  double quadrature_error() const { return s_.dphi_error; }
  long setup_evaluations() const { return s_.evaluations; }
  /// The generator A of the cell masses (ṁ = A m, m(i + N₀ j) the mass of cell (i, j)).
  const Eigen::SparseMatrix<double>& generator() const { return s_.A; }
  /// True for the 5-point scheme of a diagonal D, false for the 7-point scheme.
  bool diagonal_diffusion() const { return !s_.nondiag; }
  /// D₁₂ of a constant non-diagonal D (0 for a diagonal D).  Its sign says which diagonal
  /// pair carries jumps: > 0 between (i, j) and (i+1, j+1), < 0 between (i, j+1) and (i+1, j).
  double mixed_diffusion() const { return s_.d12; }
  /// The axis diffusions left after the diagonal jumps, D₁₁ − |D₁₂| hx/hy and D₂₂ − |D₁₂| hy/hx
  /// (non-diagonal D; both ≥ 0); (NaN, NaN) for a diagonal D, whose axis edges use D_kk(θ).
  std::array<double, 2> effective_axis_diffusion() const { return s_.axis_eff; }

  // ---- the state --------------------------------------------------------------------------
  double time() const { return time_; }
  /// Cell masses, m(i + N₀·j) for cell (i, j).
  const vector& cell_masses() const { return m_; }
  /// ρ(i, j) at (x_i, y_j).
  Eigen::MatrixXd density() const {
    Eigen::MatrixXd rho(cells(0), cells(1));
    for (index j = 0; j < cells(1); ++j)
      for (index i = 0; i < cells(0); ++i) rho(i, j) = m_(at(i, j)) / (s_.widths[0](i) * s_.widths[1](j));
    return rho;
  }
  double mass() const { return detail::accurate_sum(m_); }
  /// Marginal masses along one axis (sums over the other).
  vector marginal(int axis) const {
    check_axis("fokker_planck_2d::marginal", axis);
    vector out = vector::Zero(cells(axis));
    for (index j = 0; j < cells(1); ++j)
      for (index i = 0; i < cells(0); ++i) out(axis == 0 ? i : j) += m_(at(i, j));
    return out;
  }

  /// The probability per unit time crossing each face in the +x (first) and +y (second)
  /// direction, integrated over the face: jx is (N₀+1) × N₁, jy is N₀ × (N₁+1), zero on the
  /// walls; ṁ(i,j) = jx(i,j) − jx(i+1,j) + jy(i,j) − jy(i,j+1) exactly.  Divide by the face
  /// length for the current density −J of THEORY.md (second order at the face centres).
  /// Non-diagonal D: the net flux F along each diagonal edge (diagonal_current()) is attributed
  /// to the faces it crosses, half along each of the two two-face routes around the corner it
  /// passes through (e.g. (i,j)→(i+1,j+1): F/2 through the x-face (i+1, j) then the y-face
  /// (i+1, j+1), F/2 through the y-face (i, j+1) then the x-face (i+1, j+1)); this keeps the
  /// balance identity above exact and makes jx/hy, jy/hx approximate −J_x, −J_y.
  std::pair<Eigen::MatrixXd, Eigen::MatrixXd> current() const {
    const index n0 = cells(0), n1 = cells(1);
    Eigen::MatrixXd jx = Eigen::MatrixXd::Zero(n0 + 1, n1), jy = Eigen::MatrixXd::Zero(n0, n1 + 1);
    for (index j = 0; j < n1; ++j)
      for (index i = 0; i + 1 < n0; ++i)
        jx(i + 1, j) = s_.rx(at(i, j)) * m_(at(i, j)) - s_.lx(at(i + 1, j)) * m_(at(i + 1, j));
    for (index j = 0; j + 1 < n1; ++j)
      for (index i = 0; i < n0; ++i)
        jy(i, j + 1) = s_.ry(at(i, j)) * m_(at(i, j)) - s_.ly(at(i, j + 1)) * m_(at(i, j + 1));
    if (s_.nondiag) {
      const Eigen::MatrixXd jd = diagonal_current();
      const double sy = s_.d12 > 0 ? 0.5 : -0.5;  // the y-direction of the diagonal jump, halved
      for (index j = 0; j + 1 < n1; ++j)
        for (index i = 0; i + 1 < n0; ++i) {
          const double F = jd(i, j);
          jx(i + 1, j) += 0.5 * F;
          jx(i + 1, j + 1) += 0.5 * F;
          jy(i, j + 1) += sy * F;
          jy(i + 1, j + 1) += sy * F;
        }
    }
    return {jx, jy};
  }

  /// Non-diagonal D: the net probability per unit time along each diagonal edge, (N₀−1) × (N₁−1),
  /// entry (i, j) for the edge inside the plaquette of centres i, i+1 and j, j+1, counted in the
  /// +x direction: from (i, j) to (i+1, j+1) when D₁₂ > 0, from (i, j+1) to (i+1, j) when
  /// D₁₂ < 0.  It is already included in current(); all zero for a diagonal D.
  Eigen::MatrixXd diagonal_current() const {
    const index n0 = cells(0), n1 = cells(1);
    Eigen::MatrixXd jd = Eigen::MatrixXd::Zero(n0 - 1, n1 - 1);
    if (!s_.nondiag) return jd;
    for (index j = 0; j + 1 < n1; ++j)
      for (index i = 0; i + 1 < n0; ++i) {
        const auto [p, q] = s_.diagonal_ends(i, j);
        jd(i, j) = s_.rd(i, j) * m_(p) - s_.ld(i, j) * m_(q);
      }
    return jd;
  }

  void set_uniform() {
    for (index j = 0; j < cells(1); ++j)
      for (index i = 0; i < cells(0); ++i) m_(at(i, j)) = s_.widths[0](i) * s_.widths[1](j);
    m_ /= detail::accurate_sum(m_);
    time_ = 0;
  }
  /// ρ(i, j) at the centres (≥ 0, not all 0), normalized to mass 1; the clock restarts at 0.
  void set_density(const Eigen::MatrixXd& rho) {
    constexpr std::string_view fn = "fokker_planck_2d::set_density";
    if (rho.rows() != cells(0) || rho.cols() != cells(1))
      detail::throw_invalid(fn, "rho is ", rho.rows(), "x", rho.cols(), ", expected ", cells(0), "x", cells(1));
    require_finite(fn, "rho", rho);
    if ((rho.array() < 0).any()) detail::throw_domain(fn, "rho must be >= 0, min is ", rho.minCoeff());
    vector m(size());
    for (index j = 0; j < cells(1); ++j)
      for (index i = 0; i < cells(0); ++i) m(at(i, j)) = rho(i, j) * s_.widths[0](i) * s_.widths[1](j);
    const double total = detail::accurate_sum(m);
    if (!(total > 0)) detail::throw_domain(fn, "rho has zero mass");
    m_ = m / total;
    time_ = 0;
  }

  // ---- solvers ----------------------------------------------------------------------------
  /// The discrete steady state; the state becomes it (the clock is kept).  Detailed balance
  /// (circulation ≤ circulation_tolerance + 4·quadrature error): the exact exp(−2v/T) at the
  /// nodes; otherwise inverse iteration with a sparse LU.
  // (Templates of nothing: see core/types.hpp.)
  template <class = void>
  fp_steady_2d_result steady_state(double circulation_tolerance = 1e-9) {
    const index n0 = cells(0), n1 = cells(1);
    fp_steady_2d_result r;
    const auto pot = detail::fp2d_integrate_increments(s_);
    r.circulation = pot.circulation;
    r.detailed_balance = pot.circulation <= circulation_tolerance + 4 * s_.dphi_error;
    // masses from log ρ, normalized in log space
    vector logm(size());
    for (index j = 0; j < n1; ++j)
      for (index i = 0; i < n0; ++i) logm(at(i, j)) = pot.log_rho(i, j) + std::log(s_.widths[0](i) * s_.widths[1](j));
    logm.array() -= logm.maxCoeff();
    m_ = logm.array().exp();
    m_ /= detail::accurate_sum(m_);
    r.iterations = 1;
    if (!r.detailed_balance) {
      detail::fp2d_inverse_iteration(s_, m_, r);  // started from the detailed-balance guess
      if (r.status == status::numerical_issue) return r;
    } else {
      r.log_density_error = s_.dphi_error;
    }
    const double logZ = std::log(detail::accurate_sum(logm.array().exp()));
    r.log_density.resize(n0, n1);
    for (index j = 0; j < n1; ++j)
      for (index i = 0; i < n0; ++i)
        r.log_density(i, j) = (r.detailed_balance ? logm(at(i, j)) - logZ : std::log(m_(at(i, j)))) -
                              std::log(s_.widths[0](i) * s_.widths[1](j));
    r.residual = (s_.A * m_).cwiseAbs().sum() / s_.diag_scale;
    r.evaluations = s_.evaluations;
    return r;
  }

  /// Advances the state by `duration` (≥ 0).  Adaptive steps are quantized to powers of two of
  /// the first step so the sparse factorizations are reused.
  template <class = void>
  fp_evolve_result evolve(double duration, const fp_evolve_options& options = {}) {
    generator_system<fokker_planck_2d> sys{*this};
    auto r = detail::fp_evolve(sys, m_, time_, duration, options, "fokker_planck_2d::evolve");
    time_ = r.time;
    r.min_density = density().minCoeff();
    return r;
  }

 private:
  static constexpr std::string_view fn_ = detail::fp2d_fn;
  using sparse = Eigen::SparseMatrix<double>;
  using lu = Eigen::SparseLU<sparse, Eigen::COLAMDOrdering<int>>;

  index at(index i, index j) const { return s_.at(i, j); }
  static void check_axis(std::string_view fn, int axis) {
    if (axis != 0 && axis != 1) detail::throw_invalid(fn, "axis must be 0 or 1, got ", axis);
  }
  void start() {
    m_.resize(size());
    set_uniform();
  }

  /// ṁ = A m for the time stepping, with the last few LU factors of I − aA cached.
  template <class Self>
  struct generator_system {
    static constexpr bool quantized_dt = true;
    Self& fp;
    void apply(const vector& m, vector& out) const { out = fp.s_.A * m; }
    void solve(double a, const vector& rhs, vector& x) const {
      auto& cache = fp.factors_;
      for (auto& [key, f] : cache)
        if (key == a) {
          x = f->solve(rhs);
          return;
        }
      sparse M = -a * fp.s_.A;
      for (index k = 0; k < M.rows(); ++k) M.coeffRef(k, k) += 1.0;
      M.makeCompressed();
      auto f = std::make_unique<lu>();
      f->analyzePattern(M);
      f->factorize(M);
      if (f->info() != Eigen::Success)
        detail::throw_invalid(fn_, "sparse LU of I - a*A failed (a = ", a, "): ", f->lastErrorMessage());
      x = f->solve(rhs);
      cache.emplace_front(a, std::move(f));
      if (cache.size() > 4) cache.pop_back();
    }
  };

  detail::fp2d_stencil s_;
  double time_ = 0;
  vector m_;
  std::deque<std::pair<double, std::unique_ptr<lu>>> factors_;
};

}  // namespace shiftcurv
