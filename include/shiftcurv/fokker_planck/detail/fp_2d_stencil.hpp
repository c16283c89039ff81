// Internal: the assembly of the 2-D Fokker–Planck generator (fokker_planck_2d.hpp) — the tensor
// grid, the exponentially fitted edge increments and rates of the 5-point (diagonal D) and
// 7-point (constant non-diagonal D) stencils, the sparse generator, and the two steady-state
// computations (detailed balance along the grid; inverse iteration with a sparse LU).
// Derivations: THEORY.md ("Fokker–Planck solvers") and the notes below.
//
// Notes on the construction (moved from fokker_planck_2d.hpp):
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
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <Eigen/OrderingMethods>
#include <Eigen/SparseCore>
#include <Eigen/SparseLU>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/fokker_planck/detail/fp_common.hpp"

namespace shiftcurv::detail {

inline constexpr std::string_view fp2d_fn = "fokker_planck_2d";

/// The discretization: grid, edge increments Δ log ρ, rates and the generator A (ṁ = A m,
/// m(i + N₀ j) the mass of cell (i, j)).
struct fp2d_stencil {
  double T = 1, dphi_error = 0, diag_scale = 1;
  long evaluations = 0;
  std::array<vector, 2> faces, centres, widths;
  Eigen::MatrixXd sx, sy;     // Δ log ρ along x-edges ((N₀−1) × N₁) and y-edges (N₀ × (N₁−1))
  vector rx, lx, ry, ly;      // rates (i,j)→(i+1,j), (i,j)→(i−1,j), (i,j)→(i,j+1), (i,j)→(i,j−1)
  // non-diagonal D: the diagonal edge of plaquette (i, j), from p (smaller x) to q (diagonal_ends)
  bool nondiag = false;
  double d12 = 0;
  std::array<double, 2> axis_eff{std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  Eigen::MatrixXd sd, rd, ld;  // Δ log ρ p→q, rate p→q, rate q→p ((N₀−1) × (N₁−1))
  Eigen::SparseMatrix<double> A;

  index cells(int axis) const { return centres[axis].size(); }
  index size() const { return cells(0) * cells(1); }
  index at(index i, index j) const { return i + cells(0) * j; }
  /// Cell indices (p, q) of the diagonal edge in plaquette (i, j), p the one with the smaller x.
  std::pair<index, index> diagonal_ends(index i, index j) const {
    return d12 > 0 ? std::pair<index, index>{at(i, j), at(i + 1, j + 1)}
                   : std::pair<index, index>{at(i, j + 1), at(i + 1, j)};
  }
};

/// Faces of the uniform tensor grid, checked.
inline std::array<vector, 2> fp2d_grid(std::array<double, 2> lo, std::array<double, 2> hi, std::array<index, 2> cells) {
  return {fp_uniform_faces(fp2d_fn, lo[0], hi[0], cells[0]), fp_uniform_faces(fp2d_fn, lo[1], hi[1], cells[1])};
}

/// max |D₁₂|, |D₂₁| when it exceeds 1e-14·√|D₁₁D₂₂| (rounding of a diagonal D), else 0;
/// NaN when not finite.
inline double fp2d_off_diagonal(const matrix& D) {
  const double off = std::max(std::abs(D(0, 1)), std::abs(D(1, 0)));
  if (!std::isfinite(off)) return std::numeric_limits<double>::quiet_NaN();
  return off > 1e-14 * std::sqrt(std::abs(D(0, 0) * D(1, 1))) ? off : 0.0;
}

/// A constant D must be finite, symmetric and positive definite.
inline void fp2d_check_constant(const Eigen::Matrix2d& D) {
  if (!D.allFinite())
    throw_invalid(fp2d_fn, "D must be finite, got [", D(0, 0), ", ", D(0, 1), "; ", D(1, 0), ", ", D(1, 1), "]");
  if (std::abs(D(0, 1) - D(1, 0)) > 1e-14 * D.cwiseAbs().maxCoeff())
    throw_invalid(fp2d_fn, "D must be symmetric, D_12 = ", D(0, 1), " but D_21 = ", D(1, 0));
  if (!(D(0, 0) > 0 && D(1, 1) > 0 && D(0, 0) * D(1, 1) - D(0, 1) * D(1, 0) > 0))
    throw_domain(fp2d_fn, "D must be positive definite, got [", D(0, 0), ", ", D(0, 1), "; ", D(1, 0), ", ",
                         D(1, 1), "] (determinant ", D(0, 0) * D(1, 1) - D(0, 1) * D(1, 0), ")");
}

inline void fp2d_set_grid(fp2d_stencil& s, double T, const std::array<vector, 2>& faces) {
  s.T = T;
  for (int k = 0; k < 2; ++k) {
    const index n = faces[k].size() - 1;
    s.faces[k] = faces[k];
    s.centres[k] = 0.5 * (faces[k].head(n) + faces[k].tail(n));
    s.widths[k] = faces[k].tail(n) - faces[k].head(n);
  }
}

inline void fp2d_finish(fp2d_stencil& s, std::vector<Eigen::Triplet<double>>& trip, const vector& diagA) {
  for (index k = 0; k < s.size(); ++k) trip.emplace_back(k, k, diagA(k));
  if (!diagA.allFinite()) throw_invalid(fp2d_fn, "a transition rate is not finite (cells too small?)");
  s.A.resize(s.size(), s.size());
  s.A.setFromTriplets(trip.begin(), trip.end());
  s.A.makeCompressed();
  s.diag_scale = std::max(diagA.cwiseAbs().maxCoeff(), 1e-300);
}

template <class G, class DD>
void fp2d_assemble_diagonal(fp2d_stencil& s, const G& grad, const DD& diag, double T,
                            const std::array<vector, 2>& faces) {
  fp2d_set_grid(s, T, faces);
  const index n0 = s.cells(0), n1 = s.cells(1);
  auto D_at = [&diag](double x, double y) {
    const Eigen::Vector2d d = diag(x, y);
    for (int k = 0; k < 2; ++k) {
      if (!std::isfinite(d(k)))
        throw_invalid(fp2d_fn, "D_kk(theta) must be finite, got ", d(k), " at (", x, ", ", y, ")");
      if (!(d(k) > 0))
        throw_domain(fp2d_fn, "D_kk(theta) must be > 0 on the box, got ", d(k), " at (", x, ", ", y, ")");
    }
    return d;
  };
  auto g_at = [&grad](double x, double y) {
    const Eigen::Vector2d g = grad(x, y);
    if (!g.allFinite()) throw_invalid(fp2d_fn, "grad U must be finite at (", x, ", ", y, ")");
    return g;
  };
  Eigen::MatrixXd D1(n0, n1), D2(n0, n1);
  double scale = 0;
  for (index j = 0; j < n1; ++j)
    for (index i = 0; i < n0; ++i) {
      const double x = s.centres[0](i), y = s.centres[1](j);
      const Eigen::Vector2d d = D_at(x, y), g = g_at(x, y);
      D1(i, j) = d(0);
      D2(i, j) = d(1);
      scale = std::max({scale, std::abs(g(0) / d(0)), std::abs(g(1) / d(1))});
    }
  s.evaluations = 2 * s.size();
  s.dphi_error = 0;
  s.sx.resize(n0 - 1, n1);
  s.sy.resize(n0, n1 - 1);
  s.rx = vector::Zero(s.size());
  s.lx = vector::Zero(s.size());
  s.ry = vector::Zero(s.size());
  s.ly = vector::Zero(s.size());
  std::vector<Eigen::Triplet<double>> trip;
  trip.reserve(static_cast<std::size_t>(5 * s.size()));
  vector diagA = vector::Zero(s.size());
  auto edge = [&](index p, index q, double rate_pq, double rate_qp) {
    trip.emplace_back(q, p, rate_pq);
    trip.emplace_back(p, q, rate_qp);
    diagA(p) -= rate_pq;
    diagA(q) -= rate_qp;
  };
  // x-edges: along the line y = y_j, between centres i and i+1
  for (index j = 0; j < n1; ++j) {
    const double y = s.centres[1](j);
    auto f = [&](double x) { return g_at(x, y)(0) / D_at(x, y)(0); };
    for (index i = 0; i + 1 < n0; ++i) {
      const auto q = fp_integrate_cell(f, s.centres[0](i), s.centres[0](i + 1), 1e-13 * scale);
      const double dphi = 2 / T * q.value, h = s.centres[0](i + 1) - s.centres[0](i);
      s.dphi_error += 2 / T * q.error;
      s.evaluations += q.evaluations;
      s.sx(i, j) = -dphi + std::log(D1(i, j)) - std::log(D1(i + 1, j));  // Δ log ρ
      s.rx(s.at(i, j)) = 0.5 * T * fp_bernoulli(dphi) * D1(i, j) / (h * s.widths[0](i));
      s.lx(s.at(i + 1, j)) = 0.5 * T * fp_bernoulli(-dphi) * D1(i + 1, j) / (h * s.widths[0](i + 1));
      edge(s.at(i, j), s.at(i + 1, j), s.rx(s.at(i, j)), s.lx(s.at(i + 1, j)));
    }
  }
  // y-edges: along the line x = x_i, between centres j and j+1
  for (index i = 0; i < n0; ++i) {
    const double x = s.centres[0](i);
    auto f = [&](double y) { return g_at(x, y)(1) / D_at(x, y)(1); };
    for (index j = 0; j + 1 < n1; ++j) {
      const auto q = fp_integrate_cell(f, s.centres[1](j), s.centres[1](j + 1), 1e-13 * scale);
      const double dphi = 2 / T * q.value, h = s.centres[1](j + 1) - s.centres[1](j);
      s.dphi_error += 2 / T * q.error;
      s.evaluations += q.evaluations;
      s.sy(i, j) = -dphi + std::log(D2(i, j)) - std::log(D2(i, j + 1));
      s.ry(s.at(i, j)) = 0.5 * T * fp_bernoulli(dphi) * D2(i, j) / (h * s.widths[1](j));
      s.ly(s.at(i, j + 1)) = 0.5 * T * fp_bernoulli(-dphi) * D2(i, j + 1) / (h * s.widths[1](j + 1));
      edge(s.at(i, j), s.at(i, j + 1), s.ry(s.at(i, j)), s.ly(s.at(i, j + 1)));
    }
  }
  fp2d_finish(s, trip, diagA);
}

/// The 7-point scheme of a constant non-diagonal D (see the top of the file).
template <class G>
void fp2d_assemble_constant(fp2d_stencil& s, const G& grad, const Eigen::Matrix2d& D, double T,
                            const std::array<vector, 2>& faces) {
  fp2d_check_constant(D);
  fp2d_set_grid(s, T, faces);
  const index n0 = s.cells(0), n1 = s.cells(1);
  const double d = 0.5 * (D(0, 1) + D(1, 0)), ad = std::abs(d);
  const double hx = s.centres[0](1) - s.centres[0](0), hy = s.centres[1](1) - s.centres[1](0);
  const double ratio = hx / hy;
  double D11e = D(0, 0) - ad * ratio, D22e = D(1, 1) - ad / ratio;
  // an end of the range up to rounding counts as the end (the edge weight is then 0)
  if (D11e < -1e-12 * D(0, 0) || D22e < -1e-12 * D(1, 1))
    throw_domain(fp2d_fn, "D12 = ", d, " needs the cell aspect ratio hx/hy in [|D12|/D22, D11/|D12|] = [",
                         ad / D(1, 1), ", ", D(0, 0) / ad, "] (D11 - |D12| hx/hy >= 0 and D22 - |D12| hy/hx >= 0, "
                         "the positive 7-point stencil), got hx/hy = ", ratio, " (hx = ", hx, ", hy = ", hy,
                         "); the centre of the range is sqrt(D11/D22) = ", std::sqrt(D(0, 0) / D(1, 1)));
  D11e = std::max(D11e, 0.0);
  D22e = std::max(D22e, 0.0);
  s.nondiag = true;
  s.d12 = d;
  s.axis_eff = {D11e, D22e};
  Eigen::Matrix2d Dinv;
  Dinv << D(1, 1), -d, -d, D(0, 0);
  Dinv /= D(0, 0) * D(1, 1) - d * d;
  auto V_at = [&grad, &Dinv](double x, double y) {
    const Eigen::Vector2d g = grad(x, y);
    if (!g.allFinite()) throw_invalid(fp2d_fn, "grad U must be finite at (", x, ", ", y, ")");
    return Eigen::Vector2d(Dinv * g);
  };
  double scale = 0;
  for (index j = 0; j < n1; ++j)
    for (index i = 0; i < n0; ++i) scale = std::max(scale, V_at(s.centres[0](i), s.centres[1](j)).cwiseAbs().maxCoeff());
  s.evaluations = s.size();
  s.dphi_error = 0;
  s.sx.resize(n0 - 1, n1);
  s.sy.resize(n0, n1 - 1);
  s.sd.resize(n0 - 1, n1 - 1);
  s.rd.resize(n0 - 1, n1 - 1);
  s.ld.resize(n0 - 1, n1 - 1);
  s.rx = vector::Zero(s.size());
  s.lx = vector::Zero(s.size());
  s.ry = vector::Zero(s.size());
  s.ly = vector::Zero(s.size());
  std::vector<Eigen::Triplet<double>> trip;
  trip.reserve(static_cast<std::size_t>(7 * s.size()));
  vector diagA = vector::Zero(s.size());
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
    const auto q = fp_integrate_cell(f, 0.0, 1.0, 1e-13 * scale * (std::abs(dx) + std::abs(dy)));
    s.dphi_error += 2 / T * q.error;
    s.evaluations += q.evaluations;
    return 2 / T * q.value;
  };
  const double wx = 0.5 * T * D11e / (hx * hx), wy = 0.5 * T * D22e / (hy * hy), wd = 0.5 * T * ad / (hx * hy);
  for (index j = 0; j < n1; ++j)
    for (index i = 0; i + 1 < n0; ++i) {
      const double dphi = increment(s.centres[0](i), s.centres[1](j), s.centres[0](i + 1) - s.centres[0](i), 0.0);
      s.sx(i, j) = -dphi;
      s.rx(s.at(i, j)) = wx * fp_bernoulli(dphi);
      s.lx(s.at(i + 1, j)) = wx * fp_bernoulli(-dphi);
      edge(s.at(i, j), s.at(i + 1, j), s.rx(s.at(i, j)), s.lx(s.at(i + 1, j)));
    }
  for (index i = 0; i < n0; ++i)
    for (index j = 0; j + 1 < n1; ++j) {
      const double dphi = increment(s.centres[0](i), s.centres[1](j), 0.0, s.centres[1](j + 1) - s.centres[1](j));
      s.sy(i, j) = -dphi;
      s.ry(s.at(i, j)) = wy * fp_bernoulli(dphi);
      s.ly(s.at(i, j + 1)) = wy * fp_bernoulli(-dphi);
      edge(s.at(i, j), s.at(i, j + 1), s.ry(s.at(i, j)), s.ly(s.at(i, j + 1)));
    }
  for (index j = 0; j + 1 < n1; ++j)
    for (index i = 0; i + 1 < n0; ++i) {
      const index jp = d > 0 ? j : j + 1, jq = d > 0 ? j + 1 : j;  // p = (i, jp) → q = (i+1, jq)
      const double dphi = increment(s.centres[0](i), s.centres[1](jp), s.centres[0](i + 1) - s.centres[0](i),
                                    s.centres[1](jq) - s.centres[1](jp));
      s.sd(i, j) = -dphi;
      s.rd(i, j) = wd * fp_bernoulli(dphi);
      s.ld(i, j) = wd * fp_bernoulli(-dphi);
      edge(s.at(i, jp), s.at(i + 1, jq), s.rd(i, j), s.ld(i, j));
    }
  fp2d_finish(s, trip, diagA);
}

/// Assembly from a library loss on 2-vectors and a 2-D diffusion model: a diagonal D
/// (position-dependent or not) takes the 5-point scheme, a non-diagonal one must be constant
/// (checked at every cell centre) and takes the 7-point scheme.
template <class Loss, class Noise>
void fp2d_assemble_model(fp2d_stencil& s, const Loss& loss, const Noise& noise, double T,
                         const std::array<vector, 2>& faces) {
  const index n0 = faces[0].size() - 1, n1 = faces[1].size() - 1;
  vector th(2);
  th << faces[0](0), faces[1](0);
  const matrix D0 = noise.matrix(th);
  if (D0.rows() != 2 || D0.cols() != 2)
    throw_invalid(fp2d_fn, "the diffusion model must be 2-D, D(theta) is ", D0.rows(), "x", D0.cols());
  require_size(fp2d_fn, "the loss gradient", gradient_unchecked(loss, th).size(), 2);
  auto grad = [&loss](double x, double y) {
    vector t(2);
    t << x, y;
    const vector g = gradient_unchecked(loss, t);
    return Eigen::Vector2d(g(0), g(1));
  };
  if (fp2d_off_diagonal(D0) > 0) {  // non-diagonal at the first corner: must be constant
    const Eigen::Matrix2d Dc = D0;
    for (index j = 0; j < n1; ++j)
      for (index i = 0; i < n0; ++i) {
        const double x = 0.5 * (faces[0](i) + faces[0](i + 1)), y = 0.5 * (faces[1](j) + faces[1](j + 1));
        th << x, y;
        const matrix D = noise.matrix(th);
        if (!((D - D0).cwiseAbs().maxCoeff() <= 1e-12 * D0.cwiseAbs().maxCoeff()))
          throw_invalid(fp2d_fn, "a non-diagonal D must be constant (position-dependent non-diagonal D is "
                                "not supported): D(", faces[0](0), ", ", faces[1](0), ") = [", D0(0, 0), ", ",
                                D0(0, 1), "; ", D0(1, 0), ", ", D0(1, 1), "] but D(", x, ", ", y, ") = [",
                                D(0, 0), ", ", D(0, 1), "; ", D(1, 0), ", ", D(1, 1), "]");
      }
    fp2d_assemble_constant(s, grad, Dc, T, faces);
    return;
  }
  auto diag = [&noise](double x, double y) {
    vector t(2);
    t << x, y;
    const matrix D = noise.matrix(t);
    const double off = fp2d_off_diagonal(D);
    if (!std::isfinite(off))
      throw_invalid(fp2d_fn, "D_12(", x, ", ", y, ") must be finite, got ", D(0, 1), " and ", D(1, 0));
    if (off > 0)
      throw_invalid(fp2d_fn, "D is diagonal at the first corner but D_12(", x, ", ", y, ") = ", D(0, 1),
                            ": a non-diagonal D must be constant (position-dependent non-diagonal D is not "
                            "supported)");
    return Eigen::Vector2d(D(0, 0), D(1, 1));
  };
  fp2d_assemble_diagonal(s, grad, diag, T, faces);
}

/// Log-density by summing the edge increments Δ log ρ along the first row, then up every
/// column (exact at the nodes when V is curl-free), and the circulation: the largest |sum of
/// the increments around a plaquette| (and, for a non-diagonal D, around the triangle below
/// the diagonal edge).
struct fp2d_potential {
  Eigen::MatrixXd log_rho;  // unnormalized
  double circulation = 0;
};

inline fp2d_potential fp2d_integrate_increments(const fp2d_stencil& s) {
  const index n0 = s.cells(0), n1 = s.cells(1);
  fp2d_potential out;
  Eigen::MatrixXd& lr = out.log_rho;
  lr.resize(n0, n1);
  lr(0, 0) = 0;
  for (index i = 0; i + 1 < n0; ++i) lr(i + 1, 0) = lr(i, 0) + s.sx(i, 0);
  for (index i = 0; i < n0; ++i)
    for (index j = 0; j + 1 < n1; ++j) lr(i, j + 1) = lr(i, j) + s.sy(i, j);
  double circ = 0;
  for (index j = 0; j + 1 < n1; ++j)
    for (index i = 0; i + 1 < n0; ++i) {
      circ = std::max(circ, std::abs(s.sx(i, j) + s.sy(i + 1, j) - s.sx(i, j + 1) - s.sy(i, j)));
      if (s.nondiag) {
        const double path = s.d12 > 0 ? s.sx(i, j) + s.sy(i + 1, j) : -s.sy(i, j) + s.sx(i, j);
        circ = std::max(circ, std::abs(path - s.sd(i, j)));
      }
    }
  out.circulation = circ;
  return out;
}

/// A current-carrying steady state: inverse iteration m ← (I − τA)⁻¹ m / Σ, which keeps m ≥ 0
/// and converges like (1 + τλ₁)⁻ᵏ, started from the given m.  Sets r's status, message and
/// iterations.  (A template of nothing: see core/types.hpp.)
template <class Result>
void fp2d_inverse_iteration(const fp2d_stencil& s, vector& m, Result& r) {
  using sparse = Eigen::SparseMatrix<double>;
  const double tau = 1e12 / s.diag_scale;
  sparse M = -tau * s.A;
  for (index k = 0; k < M.rows(); ++k) M.coeffRef(k, k) += 1.0;
  M.makeCompressed();
  Eigen::SparseLU<sparse, Eigen::COLAMDOrdering<int>> f;
  f.analyzePattern(M);
  f.factorize(M);
  if (f.info() != Eigen::Success) {
    record_status(r, status::numerical_issue,
                  message("fokker_planck_2d::steady_state", "sparse LU failed: ", f.lastErrorMessage()));
    return;
  }
  vector next(m.size());
  long it = 0;
  double change = 1;
  for (; it < 60 && change > 1e-14; ++it) {
    next = f.solve(m);
    next /= next.sum();
    change = (next - m).cwiseAbs().sum();
    m.swap(next);
  }
  r.iterations = it + 1;
  if (change > 1e-14) {
    record_status(r, status::max_iterations,
                  message("fokker_planck_2d::steady_state", "inverse iteration stalled, last L1 change ", change));
  }
  m /= accurate_sum(m);
}

}  // namespace shiftcurv::detail
