// shiftcurv/dynamics/fokker_planck_2d.hpp — the 2-D Fokker–Planck equation on a box with
// reflecting walls, by finite volumes on a uniform tensor grid with exponentially fitted
// (Scharfetter–Gummel) fluxes, for
//  - a DIAGONAL diffusion D(θ) = diag(D₁(θ), D₂(θ)), position-dependent or constant: a 5-point
//    stencil, every grid cell exchanging mass with its 4 axis neighbours;
//  - a CONSTANT, symmetric positive definite, NON-DIAGONAL D = [[D₁₁, D₁₂], [D₁₂, D₂₂]]: a
//    7-point stencil, the 4 axis neighbours plus one diagonal pair (NE/SW if D₁₂ > 0, NW/SE if
//    D₁₂ < 0).  It needs the cell aspect ratio hx/hy in [|D₁₂|/D₂₂, D₁₁/|D₁₂|] (see below);
//    `admissible_aspect_ratio(D)` returns that range, whose log-centre is √(D₁₁/D₂₂).
// A position-dependent non-diagonal D is rejected (invalid_argument): not implemented.
//
//   shiftcurv::b1_case3 c3((Eigen::VectorXd(2) << 1.0, 2.0).finished(), /*kappa=*/0.7);
//   shiftcurv::fokker_planck_2d fp(c3.loss, c3.noise, /*T=*/0.5, {-3, -3}, {3, 3}, {120, 120});
//   auto ss = fp.steady_state();        // ss.circulation ≈ 0: V is curl-free, ρ exact at nodes
//   Eigen::MatrixXd rho = fp.density(); // ρ(i, j) at (x_i, y_j), Σ ρ ΔxΔy = 1
//   fp.set_uniform();
//   auto r = fp.evolve(2.0);            // adaptive TR-BDF2 (sparse LU per distinct step)
//   auto [jx, jy] = fp.current();       // probability per unit time through each face
//   // plain callables: ∇U(x, y) and the diagonal (D₁, D₂)(x, y), both returning Eigen::Vector2d
//   shiftcurv::fokker_planck_2d ou([](double x, double y) { return Eigen::Vector2d(x, 2 * y); },
//                                  [](double, double) { return Eigen::Vector2d(1, 1); },
//                                  0.5, {-4, -4}, {4, 4}, {80, 80});
//   // a constant non-diagonal D: ∇U(x, y) and the matrix (or a library loss with
//   // shiftcurv::constant_diffusion(D)); here hx/hy = 1 lies in [0.6/1, 2/0.6]
//   Eigen::Matrix2d D;
//   D << 2.0, 0.6, 0.6, 1.0;
//   shiftcurv::fokker_planck_2d fd([](double x, double y) { return Eigen::Vector2d(x, 2 * y); }, D,
//                                  0.5, {-4, -4}, {4, 4}, {80, 80});
//   auto sd = fd.steady_state();        // current-carrying: V = D⁻¹∇U has curl, sparse LU
//   auto jd = fd.diagonal_current();    // the diagonal-edge part of current(), on its own
//
// Equation (THEORY.md): ∂t ρ = ∇·J, J = ρ∇U + (T/2)∇·(Dρ).
//
// Diagonal D.  On every grid edge the 1-D construction of fokker_planck_1d.hpp is used along
// the grid line: the increment Δφ = (2/T)∫ ∂_kU / D_kk along the segment between neighbouring
// centres (Gauss–Kronrod), and the Scharfetter–Gummel flux of g = D_kk ρ.
//
// Constant non-diagonal D (d = D₁₂, cell sizes hx, hy).  The cell masses follow a Markov jump
// process on the 7-point stencil whose jump covariance is T·D exactly: diagonal jumps ±(hx, hy)
// (d > 0) or ±(hx, −hy) (d < 0) with diffusive weight (T/2)|d|/(hx hy), and axis jumps with the
// reduced weights (T/2)D₁₁'/hx², (T/2)D₂₂'/hy², where D₁₁' = D₁₁ − |d| hx/hy and
// D₂₂' = D₂₂ − |d| hy/hx.  Positivity needs D₁₁' ≥ 0 and D₂₂' ≥ 0, i.e.
// hx/hy ∈ [|d|/D₂₂, D₁₁/|d|], a range that is non-empty because D is positive definite;
// outside it the constructor throws domain_error naming D₁₂, hx/hy and the range.  The drift
// is exponentially fitted on EVERY edge of the stencil (diagonal ones included): with
// V = D⁻¹∇U (THEORY's V; ∇·D = 0) and the edge increment Δψ = (2/T)∫ V·dl along the segment
// from centre p to centre q (Gauss–Kronrod), the rates are p→q: w·B(Δψ), q→p: w·B(−Δψ),
// B(x) = x/(eˣ − 1), w the edge's diffusive weight.  This is the edge-averaged / exponentially
// fitted scheme of Xu & Zikatanov (Math. Comp. 68:1429, 1999) on the tensor grid cut into right
// triangles along the chosen diagonal (whose P1 stiffness matrix is this stencil).  Why:
//  - first moment: B(x) − B(−x) = −x, so the mean jump is −(2/T)Σ_edges w δδᵀ V = −D V = −∇U
//    (the weights w δδᵀ sum to (T/2)·D); second moment T·D·(1 + O(h²)) since B(x) + B(−x) =
//    x coth(x/2) = 2 + O(x²): the scheme is consistent and second order in h;
//  - the Bernoulli argument Δψ does not involve the weight w, so an edge whose weight vanishes
//    (hx/hy at an end of the range) simply drops out — there is no division by D₁₁' or D₂₂',
//    no upwind switch and no NaN; the chain stays irreducible because D is positive definite;
//  - where V is curl-free (HD = DH for a quadratic loss, or U = Σ_k λ_k f_k(q_kᵀθ) in the
//    eigenbasis D = Σ λ_k q_k q_kᵀ), the chain is reversible with the exact exp(−2v/T) at the
//    nodes, just as in the diagonal case.
//
// Consequences, in both cases:
//  - mass is conserved (the cell masses follow a Markov generator, off-diagonal rates ≥ 0,
//    columns summing to 0) and backward Euler is positive for every dt (I − dt·A is an M-matrix);
//  - where V = D⁻¹(∇U + (T/2)∇·D) is curl-free (THEORY's Assumption 1), the log-density
//    increments along the edges are exact line integrals of −(2/T)V, consistent around every
//    grid plaquette (and triangle), and the discrete steady state is exp(−2v/T) exactly at the
//    nodes with zero current on every face and diagonal edge;
//  - where V has curl (e.g. U = ½θᵀHθ with HD ≠ DH, always possible with a non-diagonal D),
//    the steady state carries a current; it is found by inverse iteration with a sparse LU
//    factorization (Eigen::SparseLU, COLAMD ordering) and is second order in h.
//
// Error estimates: `steady_state().circulation` is the largest |sum of the log-density
// increments −(2/T)∫V·dl around a grid plaquette| (for a non-diagonal D also around the two
// triangles the diagonal cuts it into) — 0 up to quadrature/rounding error when V is
// curl-free, ≈ (2/T)|curl V|·hx·hy otherwise; it measures the continuous V, for either kind of
// D.  `detailed_balance` is true only when it is within the tolerance, and then the returned
// state is the exact one above.  `log_density_error` bounds the quadrature error of log ρ along
// the integration path (curl-free case), `residual` is ‖A m‖₁ / max|A_ii| of the returned state.
// `evolve` reports the L1 time-stepping error as in fokker_planck_1d.
//
// Bad input: invalid_argument for non-finite numbers, an empty box, fewer than 2 cells per axis,
// a diffusion model that is not 2-D, not symmetric, or non-diagonal and position-dependent,
// densities of the wrong shape; domain_error for T ≤ 0, D_kk ≤ 0 at a centre or quadrature node
// (diagonal D), a constant D that is not positive definite, a cell aspect ratio hx/hy outside
// [|D₁₂|/D₂₂, D₁₁/|D₁₂|] (non-diagonal D), negative densities, durations/dt < 0.
#pragma once

#include <algorithm>
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
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/dynamics/detail/fp_common.hpp"
#include "shiftcurv/dynamics/fokker_planck_1d.hpp"

namespace shiftcurv {

/// A plain function (x, y) ↦ 2-vector (∇U, or the diagonal of D).
template <class F>
concept planar_field = std::invocable<const F&, double, double> &&
                       std::convertible_to<std::invoke_result_t<const F&, double, double>, Eigen::Vector2d>;

/// The discrete steady state in 2-D.
struct fp_steady_2d_result : result_base {
  Eigen::MatrixXd log_density;  ///< log ρ(i, j), normalized; finite where ρ underflows
  double circulation = 0;       ///< max |Σ −(2/T)∫V·dl around a grid plaquette (and triangle)|
  bool detailed_balance = true; ///< circulation within the quadrature error: exact, zero current
  double log_density_error = 0; ///< quadrature error bound of log ρ (detailed-balance case)
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
    auto faces = grid(lo, hi, cells);
    vector th(2);
    th << faces[0](0), faces[1](0);
    const matrix D0 = noise.matrix(th);
    if (D0.rows() != 2 || D0.cols() != 2)
      detail::throw_invalid(fn_, "the diffusion model must be 2-D, D(theta) is ", D0.rows(), "x", D0.cols());
    require_size(fn_, "the loss gradient", detail::gradient_unchecked(loss, th).size(), 2);
    auto grad = [&loss](double x, double y) {
      vector t(2);
      t << x, y;
      const vector g = detail::gradient_unchecked(loss, t);
      return Eigen::Vector2d(g(0), g(1));
    };
    if (off_diagonal(D0) > 0) {  // non-diagonal at the first corner: must be constant
      const Eigen::Matrix2d Dc = D0;
      for (index j = 0; j < cells[1]; ++j)
        for (index i = 0; i < cells[0]; ++i) {
          const double x = 0.5 * (faces[0](i) + faces[0](i + 1)), y = 0.5 * (faces[1](j) + faces[1](j + 1));
          th << x, y;
          const matrix D = noise.matrix(th);
          if (!((D - D0).cwiseAbs().maxCoeff() <= 1e-12 * D0.cwiseAbs().maxCoeff()))
            detail::throw_invalid(fn_, "a non-diagonal D must be constant (position-dependent non-diagonal D is "
                                  "not supported): D(", faces[0](0), ", ", faces[1](0), ") = [", D0(0, 0), ", ",
                                  D0(0, 1), "; ", D0(1, 0), ", ", D0(1, 1), "] but D(", x, ", ", y, ") = [",
                                  D(0, 0), ", ", D(0, 1), "; ", D(1, 0), ", ", D(1, 1), "]");
        }
      setup_constant(grad, Dc, T, std::move(faces));
      return;
    }
    auto diag = [&noise](double x, double y) {
      vector t(2);
      t << x, y;
      const matrix D = noise.matrix(t);
      const double off = off_diagonal(D);
      if (!std::isfinite(off))
        detail::throw_invalid(fn_, "D_12(", x, ", ", y, ") must be finite, got ", D(0, 1), " and ", D(1, 0));
      if (off > 0)
        detail::throw_invalid(fn_, "D is diagonal at the first corner but D_12(", x, ", ", y, ") = ", D(0, 1),
                              ": a non-diagonal D must be constant (position-dependent non-diagonal D is not "
                              "supported)");
      return Eigen::Vector2d(D(0, 0), D(1, 1));
    };
    setup(grad, diag, T, std::move(faces));
  }

  /// From plain callables ∇U(x, y) and the diagonal (D₁, D₂)(x, y).
  template <planar_field G, planar_field DD>
  fokker_planck_2d(const G& grad, const DD& diag, double T, box lo, box hi, counts cells) {
    require_temperature(fn_, T);
    setup(grad, diag, T, grid(lo, hi, cells));
  }

  /// From a plain callable ∇U(x, y) and a constant symmetric positive definite D (diagonal or
  /// not; a diagonal D takes the 5-point path above).
  template <planar_field G>
  fokker_planck_2d(const G& grad, const Eigen::Matrix2d& D, double T, box lo, box hi, counts cells) {
    require_temperature(fn_, T);
    if (D.allFinite() && D(0, 1) == 0 && D(1, 0) == 0) {
      const Eigen::Vector2d d(D(0, 0), D(1, 1));
      setup(grad, [d](double, double) { return d; }, T, grid(lo, hi, cells));
    } else {
      setup_constant(grad, D, T, grid(lo, hi, cells));
    }
  }

  /// The admissible cell aspect ratios hx/hy for a constant D: [|D₁₂|/D₂₂, D₁₁/|D₁₂|]
  /// ([0, ∞] for a diagonal D).  Throws as the constructor does for a D that is not finite,
  /// symmetric and positive definite.
  static std::array<double, 2> admissible_aspect_ratio(const Eigen::Matrix2d& D) {
    check_constant(D);
    const double d = std::abs(D(0, 1));
    if (d == 0) return {0.0, std::numeric_limits<double>::infinity()};
    return {d / D(1, 1), D(0, 0) / d};
  }

  // ---- the grid ---------------------------------------------------------------------------
  index cells(int axis) const { return centres_[axis].size(); }
  index size() const { return cells(0) * cells(1); }
  double temperature() const { return T_; }
  const vector& faces(int axis) const { return faces_[axis]; }
  const vector& centres(int axis) const { return centres_[axis]; }
  const vector& widths(int axis) const { return widths_[axis]; }
  double quadrature_error() const { return dphi_error_; }
  long setup_evaluations() const { return evaluations_; }
  /// The generator A of the cell masses (ṁ = A m, m(i + N₀ j) the mass of cell (i, j)).
  const Eigen::SparseMatrix<double>& generator() const { return A_; }
  /// True for the 5-point scheme of a diagonal D, false for the 7-point scheme.
  bool diagonal_diffusion() const { return !nondiag_; }
  /// D₁₂ of a constant non-diagonal D (0 for a diagonal D).  Its sign says which diagonal
  /// pair carries jumps: > 0 between (i, j) and (i+1, j+1), < 0 between (i, j+1) and (i+1, j).
  double mixed_diffusion() const { return d12_; }
  /// The axis diffusions left after the diagonal jumps, D₁₁ − |D₁₂| hx/hy and D₂₂ − |D₁₂| hy/hx
  /// (non-diagonal D; both ≥ 0); (NaN, NaN) for a diagonal D, whose axis edges use D_kk(θ).
  std::array<double, 2> effective_axis_diffusion() const { return axis_eff_; }

  // ---- the state --------------------------------------------------------------------------
  double time() const { return time_; }
  /// Cell masses, m(i + N₀·j) for cell (i, j).
  const vector& cell_masses() const { return m_; }
  /// ρ(i, j) at (x_i, y_j).
  Eigen::MatrixXd density() const {
    Eigen::MatrixXd rho(cells(0), cells(1));
    for (index j = 0; j < cells(1); ++j)
      for (index i = 0; i < cells(0); ++i) rho(i, j) = m_(at(i, j)) / (widths_[0](i) * widths_[1](j));
    return rho;
  }
  double mass() const { return detail::fp_accurate_sum(m_); }
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
        jx(i + 1, j) = rx_(at(i, j)) * m_(at(i, j)) - lx_(at(i + 1, j)) * m_(at(i + 1, j));
    for (index j = 0; j + 1 < n1; ++j)
      for (index i = 0; i < n0; ++i)
        jy(i, j + 1) = ry_(at(i, j)) * m_(at(i, j)) - ly_(at(i, j + 1)) * m_(at(i, j + 1));
    if (nondiag_) {
      const Eigen::MatrixXd jd = diagonal_current();
      const double sy = d12_ > 0 ? 0.5 : -0.5;  // the y-direction of the diagonal jump, halved
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
    if (!nondiag_) return jd;
    for (index j = 0; j + 1 < n1; ++j)
      for (index i = 0; i + 1 < n0; ++i) {
        const auto [p, q] = diagonal_ends(i, j);
        jd(i, j) = rd_(i, j) * m_(p) - ld_(i, j) * m_(q);
      }
    return jd;
  }

  void set_uniform() {
    for (index j = 0; j < cells(1); ++j)
      for (index i = 0; i < cells(0); ++i) m_(at(i, j)) = widths_[0](i) * widths_[1](j);
    m_ /= detail::fp_accurate_sum(m_);
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
      for (index i = 0; i < cells(0); ++i) m(at(i, j)) = rho(i, j) * widths_[0](i) * widths_[1](j);
    const double total = detail::fp_accurate_sum(m);
    if (!(total > 0)) detail::throw_domain(fn, "rho has zero mass");
    m_ = m / total;
    time_ = 0;
  }

  // ---- solvers ----------------------------------------------------------------------------
  /// The discrete steady state; the state becomes it (the clock is kept).
  fp_steady_2d_result steady_state(double circulation_tolerance = 1e-9) {
    const index n0 = cells(0), n1 = cells(1);
    fp_steady_2d_result r;
    // log ρ by integrating the edge increments along the first row, then up every column
    Eigen::MatrixXd lr(n0, n1);
    lr(0, 0) = 0;
    for (index i = 0; i + 1 < n0; ++i) lr(i + 1, 0) = lr(i, 0) + sx_(i, 0);
    for (index i = 0; i < n0; ++i)
      for (index j = 0; j + 1 < n1; ++j) lr(i, j + 1) = lr(i, j) + sy_(i, j);
    double circ = 0;
    for (index j = 0; j + 1 < n1; ++j)
      for (index i = 0; i + 1 < n0; ++i) {
        circ = std::max(circ, std::abs(sx_(i, j) + sy_(i + 1, j) - sx_(i, j + 1) - sy_(i, j)));
        if (nondiag_) {  // the triangle: diagonal edge against the two-edge path below it
          const double path = d12_ > 0 ? sx_(i, j) + sy_(i + 1, j) : -sy_(i, j) + sx_(i, j);
          circ = std::max(circ, std::abs(path - sd_(i, j)));
        }
      }
    r.circulation = circ;
    r.detailed_balance = circ <= circulation_tolerance + 4 * dphi_error_;
    // masses from log ρ, normalized in log space
    vector logm(size());
    for (index j = 0; j < n1; ++j)
      for (index i = 0; i < n0; ++i) logm(at(i, j)) = lr(i, j) + std::log(widths_[0](i) * widths_[1](j));
    logm.array() -= logm.maxCoeff();
    m_ = logm.array().exp();
    m_ /= detail::fp_accurate_sum(m_);
    r.iterations = 1;
    if (!r.detailed_balance) {
      // A current-carrying steady state: inverse iteration x ← (I − τA)⁻¹ x, which keeps x ≥ 0
      // and converges like (1 + τλ₁)⁻ᵏ; the detailed-balance guess above starts it.
      const double tau = 1e12 / diag_scale_;
      sparse M = -tau * A_;
      for (index k = 0; k < M.rows(); ++k) M.coeffRef(k, k) += 1.0;
      M.makeCompressed();
      lu f;
      f.analyzePattern(M);
      f.factorize(M);
      if (f.info() != Eigen::Success) {
        r.status = status::numerical_issue;
        r.message = detail::message("fokker_planck_2d::steady_state", "sparse LU failed: ", f.lastErrorMessage());
        return r;
      }
      vector next(size());
      long it = 0;
      double change = 1;
      for (; it < 60 && change > 1e-14; ++it) {
        next = f.solve(m_);
        next /= next.sum();
        change = (next - m_).cwiseAbs().sum();
        m_.swap(next);
      }
      r.iterations = it + 1;
      if (change > 1e-14) {
        r.status = status::max_iterations;
        r.message = detail::message("fokker_planck_2d::steady_state", "inverse iteration stalled, last L1 change ",
                                    change);
      }
      m_ /= detail::fp_accurate_sum(m_);
    } else {
      r.log_density_error = dphi_error_;
    }
    const double logZ = std::log(detail::fp_accurate_sum(logm.array().exp()));
    r.log_density.resize(n0, n1);
    for (index j = 0; j < n1; ++j)
      for (index i = 0; i < n0; ++i)
        r.log_density(i, j) = (r.detailed_balance ? logm(at(i, j)) - logZ : std::log(m_(at(i, j)))) -
                              std::log(widths_[0](i) * widths_[1](j));
    r.residual = (A_ * m_).cwiseAbs().sum() / diag_scale_;
    r.evaluations = evaluations_;
    return r;
  }

  /// Advances the state by `duration` (≥ 0).  Adaptive steps are quantized to powers of two of
  /// the first step so the sparse factorizations are reused.
  fp_evolve_result evolve(double duration, const fp_evolve_options& options = {}) {
    generator_system sys{*this};
    auto r = detail::fp_evolve(sys, m_, time_, duration, options, "fokker_planck_2d::evolve");
    time_ = r.time;
    r.min_density = density().minCoeff();
    return r;
  }

 private:
  static constexpr std::string_view fn_ = "fokker_planck_2d";
  using sparse = Eigen::SparseMatrix<double>;
  using lu = Eigen::SparseLU<sparse, Eigen::COLAMDOrdering<int>>;

  index at(index i, index j) const { return i + cells(0) * j; }
  static void check_axis(std::string_view fn, int axis) {
    if (axis != 0 && axis != 1) detail::throw_invalid(fn, "axis must be 0 or 1, got ", axis);
  }

  static std::array<vector, 2> grid(box lo, box hi, counts cells) {
    return {detail::fp_uniform_faces(fn_, lo[0], hi[0], cells[0]), detail::fp_uniform_faces(fn_, lo[1], hi[1], cells[1])};
  }

  struct generator_system {
    static constexpr bool quantized_dt = true;
    fokker_planck_2d& fp;
    void apply(const vector& m, vector& out) const { out = fp.A_ * m; }
    void solve(double a, const vector& rhs, vector& x) const {
      auto& cache = fp.factors_;
      for (auto& [key, f] : cache)
        if (key == a) {
          x = f->solve(rhs);
          return;
        }
      sparse M = -a * fp.A_;
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

  /// max |D₁₂|, |D₂₁| when it exceeds 1e-14·√|D₁₁D₂₂| (rounding of a diagonal D), else 0;
  /// NaN when not finite.
  static double off_diagonal(const matrix& D) {
    const double off = std::max(std::abs(D(0, 1)), std::abs(D(1, 0)));
    if (!std::isfinite(off)) return std::numeric_limits<double>::quiet_NaN();
    return off > 1e-14 * std::sqrt(std::abs(D(0, 0) * D(1, 1))) ? off : 0.0;
  }

  /// A constant D must be finite, symmetric and positive definite.
  static void check_constant(const Eigen::Matrix2d& D) {
    if (!D.allFinite())
      detail::throw_invalid(fn_, "D must be finite, got [", D(0, 0), ", ", D(0, 1), "; ", D(1, 0), ", ", D(1, 1), "]");
    if (std::abs(D(0, 1) - D(1, 0)) > 1e-14 * D.cwiseAbs().maxCoeff())
      detail::throw_invalid(fn_, "D must be symmetric, D_12 = ", D(0, 1), " but D_21 = ", D(1, 0));
    if (!(D(0, 0) > 0 && D(1, 1) > 0 && D(0, 0) * D(1, 1) - D(0, 1) * D(1, 0) > 0))
      detail::throw_domain(fn_, "D must be positive definite, got [", D(0, 0), ", ", D(0, 1), "; ", D(1, 0), ", ",
                           D(1, 1), "] (determinant ", D(0, 0) * D(1, 1) - D(0, 1) * D(1, 0), ")");
  }

  void set_grid(double T, std::array<vector, 2>& faces) {
    require_temperature(fn_, T);
    T_ = T;
    for (int k = 0; k < 2; ++k) {
      const index n = faces[k].size() - 1;
      faces_[k] = faces[k];
      centres_[k] = 0.5 * (faces[k].head(n) + faces[k].tail(n));
      widths_[k] = faces[k].tail(n) - faces[k].head(n);
    }
  }

  /// Cell indices (p, q) of the diagonal edge in plaquette (i, j), p the one with the smaller x.
  std::pair<index, index> diagonal_ends(index i, index j) const {
    return d12_ > 0 ? std::pair<index, index>{at(i, j), at(i + 1, j + 1)}
                    : std::pair<index, index>{at(i, j + 1), at(i + 1, j)};
  }

  void finish_generator(std::vector<Eigen::Triplet<double>>& trip, const vector& diagA) {
    for (index k = 0; k < size(); ++k) trip.emplace_back(k, k, diagA(k));
    if (!diagA.allFinite()) detail::throw_invalid(fn_, "a transition rate is not finite (cells too small?)");
    A_.resize(size(), size());
    A_.setFromTriplets(trip.begin(), trip.end());
    A_.makeCompressed();
    diag_scale_ = std::max(diagA.cwiseAbs().maxCoeff(), 1e-300);
    m_.resize(size());
    set_uniform();
  }

  template <class G, class DD>
  void setup(const G& grad, const DD& diag, double T, std::array<vector, 2> faces) {
    set_grid(T, faces);
    const index n0 = cells(0), n1 = cells(1);
    auto D_at = [&diag](double x, double y) {
      const Eigen::Vector2d d = diag(x, y);
      for (int k = 0; k < 2; ++k) {
        if (!std::isfinite(d(k)))
          detail::throw_invalid(fn_, "D_kk(theta) must be finite, got ", d(k), " at (", x, ", ", y, ")");
        if (!(d(k) > 0))
          detail::throw_domain(fn_, "D_kk(theta) must be > 0 on the box, got ", d(k), " at (", x, ", ", y, ")");
      }
      return d;
    };
    auto g_at = [&grad](double x, double y) {
      const Eigen::Vector2d g = grad(x, y);
      if (!g.allFinite()) detail::throw_invalid(fn_, "grad U must be finite at (", x, ", ", y, ")");
      return g;
    };
    Eigen::MatrixXd D1(n0, n1), D2(n0, n1);
    double scale = 0;
    for (index j = 0; j < n1; ++j)
      for (index i = 0; i < n0; ++i) {
        const double x = centres_[0](i), y = centres_[1](j);
        const Eigen::Vector2d d = D_at(x, y), g = g_at(x, y);
        D1(i, j) = d(0);
        D2(i, j) = d(1);
        scale = std::max({scale, std::abs(g(0) / d(0)), std::abs(g(1) / d(1))});
      }
    evaluations_ = 2 * size();
    dphi_error_ = 0;
    sx_.resize(n0 - 1, n1);
    sy_.resize(n0, n1 - 1);
    rx_ = vector::Zero(size());
    lx_ = vector::Zero(size());
    ry_ = vector::Zero(size());
    ly_ = vector::Zero(size());
    std::vector<Eigen::Triplet<double>> trip;
    trip.reserve(static_cast<std::size_t>(5 * size()));
    vector diagA = vector::Zero(size());
    auto edge = [&](index p, index q, double rate_pq, double rate_qp) {
      trip.emplace_back(q, p, rate_pq);
      trip.emplace_back(p, q, rate_qp);
      diagA(p) -= rate_pq;
      diagA(q) -= rate_qp;
    };
    // x-edges: along the line y = y_j, between centres i and i+1
    for (index j = 0; j < n1; ++j) {
      const double y = centres_[1](j);
      auto f = [&](double x) { return g_at(x, y)(0) / D_at(x, y)(0); };
      for (index i = 0; i + 1 < n0; ++i) {
        const auto q = detail::fp_integrate_cell(f, centres_[0](i), centres_[0](i + 1), 1e-13 * scale);
        const double dphi = 2 / T * q.value, h = centres_[0](i + 1) - centres_[0](i);
        dphi_error_ += 2 / T * q.error;
        evaluations_ += q.evaluations;
        sx_(i, j) = -dphi + std::log(D1(i, j)) - std::log(D1(i + 1, j));  // Δ log ρ
        rx_(at(i, j)) = 0.5 * T * detail::fp_bernoulli(dphi) * D1(i, j) / (h * widths_[0](i));
        lx_(at(i + 1, j)) = 0.5 * T * detail::fp_bernoulli(-dphi) * D1(i + 1, j) / (h * widths_[0](i + 1));
        edge(at(i, j), at(i + 1, j), rx_(at(i, j)), lx_(at(i + 1, j)));
      }
    }
    // y-edges: along the line x = x_i, between centres j and j+1
    for (index i = 0; i < n0; ++i) {
      const double x = centres_[0](i);
      auto f = [&](double y) { return g_at(x, y)(1) / D_at(x, y)(1); };
      for (index j = 0; j + 1 < n1; ++j) {
        const auto q = detail::fp_integrate_cell(f, centres_[1](j), centres_[1](j + 1), 1e-13 * scale);
        const double dphi = 2 / T * q.value, h = centres_[1](j + 1) - centres_[1](j);
        dphi_error_ += 2 / T * q.error;
        evaluations_ += q.evaluations;
        sy_(i, j) = -dphi + std::log(D2(i, j)) - std::log(D2(i, j + 1));
        ry_(at(i, j)) = 0.5 * T * detail::fp_bernoulli(dphi) * D2(i, j) / (h * widths_[1](j));
        ly_(at(i, j + 1)) = 0.5 * T * detail::fp_bernoulli(-dphi) * D2(i, j + 1) / (h * widths_[1](j + 1));
        edge(at(i, j), at(i, j + 1), ry_(at(i, j)), ly_(at(i, j + 1)));
      }
    }
    finish_generator(trip, diagA);
  }

  /// The 7-point scheme of a constant non-diagonal D (see the top of the file).
  template <class G>
  void setup_constant(const G& grad, const Eigen::Matrix2d& D, double T, std::array<vector, 2> faces) {
    check_constant(D);
    set_grid(T, faces);
    const index n0 = cells(0), n1 = cells(1);
    const double d = 0.5 * (D(0, 1) + D(1, 0)), ad = std::abs(d);
    const double hx = centres_[0](1) - centres_[0](0), hy = centres_[1](1) - centres_[1](0);
    const double ratio = hx / hy;
    double D11e = D(0, 0) - ad * ratio, D22e = D(1, 1) - ad / ratio;
    // an end of the range up to rounding counts as the end (the edge weight is then 0)
    if (D11e < -1e-12 * D(0, 0) || D22e < -1e-12 * D(1, 1))
      detail::throw_domain(fn_, "D12 = ", d, " needs the cell aspect ratio hx/hy in [|D12|/D22, D11/|D12|] = [",
                           ad / D(1, 1), ", ", D(0, 0) / ad, "] (D11 - |D12| hx/hy >= 0 and D22 - |D12| hy/hx >= 0, "
                           "the positive 7-point stencil), got hx/hy = ", ratio, " (hx = ", hx, ", hy = ", hy,
                           "); the centre of the range is sqrt(D11/D22) = ", std::sqrt(D(0, 0) / D(1, 1)));
    D11e = std::max(D11e, 0.0);
    D22e = std::max(D22e, 0.0);
    nondiag_ = true;
    d12_ = d;
    axis_eff_ = {D11e, D22e};
    Eigen::Matrix2d Dinv;
    Dinv << D(1, 1), -d, -d, D(0, 0);
    Dinv /= D(0, 0) * D(1, 1) - d * d;
    auto V_at = [&grad, &Dinv](double x, double y) {
      const Eigen::Vector2d g = grad(x, y);
      if (!g.allFinite()) detail::throw_invalid(fn_, "grad U must be finite at (", x, ", ", y, ")");
      return Eigen::Vector2d(Dinv * g);
    };
    double scale = 0;
    for (index j = 0; j < n1; ++j)
      for (index i = 0; i < n0; ++i) scale = std::max(scale, V_at(centres_[0](i), centres_[1](j)).cwiseAbs().maxCoeff());
    evaluations_ = size();
    dphi_error_ = 0;
    sx_.resize(n0 - 1, n1);
    sy_.resize(n0, n1 - 1);
    sd_.resize(n0 - 1, n1 - 1);
    rd_.resize(n0 - 1, n1 - 1);
    ld_.resize(n0 - 1, n1 - 1);
    rx_ = vector::Zero(size());
    lx_ = vector::Zero(size());
    ry_ = vector::Zero(size());
    ly_ = vector::Zero(size());
    std::vector<Eigen::Triplet<double>> trip;
    trip.reserve(static_cast<std::size_t>(7 * size()));
    vector diagA = vector::Zero(size());
    auto edge = [&](index p, index q, double rate_pq, double rate_qp) {
      if (rate_pq == 0 && rate_qp == 0) return;  // a zero-weight edge (hx/hy at an end of the range)
      trip.emplace_back(q, p, rate_pq);
      trip.emplace_back(p, q, rate_qp);
      diagA(p) -= rate_pq;
      diagA(q) -= rate_qp;
    };
    // Δψ = (2/T)∫ V·dl from centre a to centre a + δ, by Gauss–Kronrod in t ∈ [0, 1]
    auto increment = [&](double ax, double ay, double dx, double dy) {
      auto f = [&](double t) { return V_at(ax + t * dx, ay + t * dy).dot(Eigen::Vector2d(dx, dy)); };
      const auto q = detail::fp_integrate_cell(f, 0.0, 1.0, 1e-13 * scale * (std::abs(dx) + std::abs(dy)));
      dphi_error_ += 2 / T * q.error;
      evaluations_ += q.evaluations;
      return 2 / T * q.value;
    };
    const double wx = 0.5 * T * D11e / (hx * hx), wy = 0.5 * T * D22e / (hy * hy), wd = 0.5 * T * ad / (hx * hy);
    for (index j = 0; j < n1; ++j)
      for (index i = 0; i + 1 < n0; ++i) {
        const double dphi = increment(centres_[0](i), centres_[1](j), centres_[0](i + 1) - centres_[0](i), 0.0);
        sx_(i, j) = -dphi;
        rx_(at(i, j)) = wx * detail::fp_bernoulli(dphi);
        lx_(at(i + 1, j)) = wx * detail::fp_bernoulli(-dphi);
        edge(at(i, j), at(i + 1, j), rx_(at(i, j)), lx_(at(i + 1, j)));
      }
    for (index i = 0; i < n0; ++i)
      for (index j = 0; j + 1 < n1; ++j) {
        const double dphi = increment(centres_[0](i), centres_[1](j), 0.0, centres_[1](j + 1) - centres_[1](j));
        sy_(i, j) = -dphi;
        ry_(at(i, j)) = wy * detail::fp_bernoulli(dphi);
        ly_(at(i, j + 1)) = wy * detail::fp_bernoulli(-dphi);
        edge(at(i, j), at(i, j + 1), ry_(at(i, j)), ly_(at(i, j + 1)));
      }
    for (index j = 0; j + 1 < n1; ++j)
      for (index i = 0; i + 1 < n0; ++i) {
        const index jp = d > 0 ? j : j + 1, jq = d > 0 ? j + 1 : j;  // p = (i, jp) → q = (i+1, jq)
        const double dphi = increment(centres_[0](i), centres_[1](jp), centres_[0](i + 1) - centres_[0](i),
                                      centres_[1](jq) - centres_[1](jp));
        sd_(i, j) = -dphi;
        rd_(i, j) = wd * detail::fp_bernoulli(dphi);
        ld_(i, j) = wd * detail::fp_bernoulli(-dphi);
        edge(at(i, jp), at(i + 1, jq), rd_(i, j), ld_(i, j));
      }
    finish_generator(trip, diagA);
  }

  double T_ = 1, time_ = 0, dphi_error_ = 0, diag_scale_ = 1;
  long evaluations_ = 0;
  std::array<vector, 2> faces_, centres_, widths_;
  Eigen::MatrixXd sx_, sy_;  // Δ log ρ along x-edges ((N₀−1) × N₁) and y-edges (N₀ × (N₁−1))
  vector rx_, lx_, ry_, ly_; // rates (i,j)→(i+1,j), (i,j)→(i−1,j), (i,j)→(i,j+1), (i,j)→(i,j−1)
  // non-diagonal D: the diagonal edge of plaquette (i, j), from p (smaller x) to q (diagonal_ends)
  bool nondiag_ = false;
  double d12_ = 0;
  std::array<double, 2> axis_eff_{std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  Eigen::MatrixXd sd_, rd_, ld_;  // Δ log ρ p→q, rate p→q, rate q→p ((N₀−1) × (N₁−1))
  vector m_;
  sparse A_;
  std::deque<std::pair<double, std::unique_ptr<lu>>> factors_;
};

}  // namespace shiftcurv
