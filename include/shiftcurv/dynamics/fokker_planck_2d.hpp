// shiftcurv/dynamics/fokker_planck_2d.hpp — the 2-D Fokker–Planck equation on a box with
// reflecting walls, for DIAGONAL diffusion D(θ) = diag(D₁(θ), D₂(θ)) (position-dependent or
// constant), by finite volumes on a tensor grid with dimension-split exponentially fitted
// (Scharfetter–Gummel) fluxes.
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
//
// Equation (THEORY.md): ∂t ρ = ∇·J, J_k = ∂_kU ρ + (T/2) ∂_k(D_kk ρ) for diagonal D.  On every
// grid edge the 1-D construction of fokker_planck_1d.hpp is used along the grid line: the
// increment Δφ = (2/T)∫ ∂_kU / D_kk along the segment between neighbouring centres (Gauss–Kronrod),
// and the Scharfetter–Gummel flux of g = D_kk ρ.  Consequences:
//  - mass is conserved (the cell masses follow a Markov generator, columns summing to 0) and
//    backward Euler is positive for every dt;
//  - where V = D⁻¹(∇U + (T/2)∇·D) is curl-free (THEORY's Assumption 1), the log-density
//    increments along the edges are exact line integrals of −(2/T)V, consistent around every
//    grid plaquette, and the discrete steady state is exp(−2v/T) exactly at the nodes with zero
//    current on every face;
//  - where V has curl, the steady state carries a current; it is found by inverse iteration
//    with a sparse LU factorization (Eigen::SparseLU, COLAMD ordering) and is second order in h.
// A NON-diagonal D (constant or not) is rejected (invalid_argument): its mixed derivative term
// breaks the M-matrix structure that positivity and exactness rest on; it is not implemented.
//
// Error estimates: `steady_state().circulation` is the largest |sum of the log-density
// increments around a grid plaquette| (0 up to quadrature/rounding error when V is curl-free;
// its size measures the curl otherwise), `log_density_error` bounds the quadrature error of
// log ρ along the integration path (curl-free case), `residual` is ‖A m‖₁ / max|A_ii| of the
// returned state.  `evolve` reports the L1 time-stepping error as in fokker_planck_1d.
//
// Bad input: invalid_argument for non-finite numbers, an empty box, fewer than 2 cells per axis,
// a diffusion model that is not 2-D or not diagonal, densities of the wrong shape; domain_error
// for T ≤ 0, D_kk ≤ 0 at a centre or quadrature node, negative densities, durations/dt < 0.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <deque>
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
struct fp_steady_result_2d : result_base {
  Eigen::MatrixXd log_density;  ///< log ρ(i, j), normalized; finite where ρ underflows
  double circulation = 0;       ///< max |Σ log-density increments around a grid plaquette|
  bool detailed_balance = true; ///< circulation within the quadrature error: exact, zero current
  double log_density_error = 0; ///< quadrature error bound of log ρ (detailed-balance case)
  double residual = 0;          ///< ‖A m‖₁ / max|A_ii| of the returned state
};

class fokker_planck_2d {
 public:
  using box = std::array<double, 2>;
  using counts = std::array<index, 2>;

  /// From a library loss on 2-vectors and a diagonal 2-D diffusion model, on a uniform grid of
  /// cells[0] × cells[1] cells covering [lo[0], hi[0]] × [lo[1], hi[1]].
  template <class Loss, class Noise>
    requires loss_function<Loss> && diffusion_model<Noise>
  fokker_planck_2d(const Loss& loss, const Noise& noise, double T, box lo, box hi, counts cells) {
    auto faces = grid(lo, hi, cells);
    vector th(2);
    th << faces[0](0), faces[1](0);
    const auto D0 = noise.matrix(th);
    if (D0.rows() != 2 || D0.cols() != 2)
      detail::throw_invalid(fn_, "the diffusion model must be 2-D, D(theta) is ", D0.rows(), "x", D0.cols());
    require_size(fn_, "the loss gradient", detail::gradient_unchecked(loss, th).size(), 2);
    auto grad = [&loss](double x, double y) {
      vector t(2);
      t << x, y;
      const vector g = detail::gradient_unchecked(loss, t);
      return Eigen::Vector2d(g(0), g(1));
    };
    auto diag = [&noise](double x, double y) {
      vector t(2);
      t << x, y;
      const matrix D = noise.matrix(t);
      const double off = std::max(std::abs(D(0, 1)), std::abs(D(1, 0)));
      if (off > 1e-14 * std::sqrt(std::abs(D(0, 0) * D(1, 1))) || !std::isfinite(off))
        detail::throw_invalid(fn_, "only diagonal D is supported, D_12(", x, ", ", y, ") = ", D(0, 1));
      return Eigen::Vector2d(D(0, 0), D(1, 1));
    };
    setup(grad, diag, T, std::move(faces));
  }

  /// From plain callables ∇U(x, y) and the diagonal (D₁, D₂)(x, y).
  template <planar_field G, planar_field DD>
  fokker_planck_2d(const G& grad, const DD& diag, double T, box lo, box hi, counts cells) {
    setup(grad, diag, T, grid(lo, hi, cells));
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
  /// walls; ṁ(i,j) = jx(i,j) − jx(i+1,j) + jy(i,j) − jy(i,j+1).  Divide by the face length for
  /// the current density −J of THEORY.md.
  std::pair<Eigen::MatrixXd, Eigen::MatrixXd> current() const {
    const index n0 = cells(0), n1 = cells(1);
    Eigen::MatrixXd jx = Eigen::MatrixXd::Zero(n0 + 1, n1), jy = Eigen::MatrixXd::Zero(n0, n1 + 1);
    for (index j = 0; j < n1; ++j)
      for (index i = 0; i + 1 < n0; ++i)
        jx(i + 1, j) = rx_(at(i, j)) * m_(at(i, j)) - lx_(at(i + 1, j)) * m_(at(i + 1, j));
    for (index j = 0; j + 1 < n1; ++j)
      for (index i = 0; i < n0; ++i)
        jy(i, j + 1) = ry_(at(i, j)) * m_(at(i, j)) - ly_(at(i, j + 1)) * m_(at(i, j + 1));
    return {jx, jy};
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
  fp_steady_result_2d steady_state(double circulation_tolerance = 1e-9) {
    const index n0 = cells(0), n1 = cells(1);
    fp_steady_result_2d r;
    // log ρ by integrating the edge increments along the first row, then up every column
    Eigen::MatrixXd lr(n0, n1);
    lr(0, 0) = 0;
    for (index i = 0; i + 1 < n0; ++i) lr(i + 1, 0) = lr(i, 0) + sx_(i, 0);
    for (index i = 0; i < n0; ++i)
      for (index j = 0; j + 1 < n1; ++j) lr(i, j + 1) = lr(i, j) + sy_(i, j);
    double circ = 0;
    for (index j = 0; j + 1 < n1; ++j)
      for (index i = 0; i + 1 < n0; ++i)
        circ = std::max(circ, std::abs(sx_(i, j) + sy_(i + 1, j) - sx_(i, j + 1) - sy_(i, j)));
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

  template <class G, class DD>
  void setup(const G& grad, const DD& diag, double T, std::array<vector, 2> faces) {
    require_temperature(fn_, T);
    T_ = T;
    for (int k = 0; k < 2; ++k) {
      const index n = faces[k].size() - 1;
      faces_[k] = faces[k];
      centres_[k] = 0.5 * (faces[k].head(n) + faces[k].tail(n));
      widths_[k] = faces[k].tail(n) - faces[k].head(n);
    }
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
    for (index k = 0; k < size(); ++k) trip.emplace_back(k, k, diagA(k));
    if (!diagA.allFinite()) detail::throw_invalid(fn_, "a transition rate is not finite (cells too small?)");
    A_.resize(size(), size());
    A_.setFromTriplets(trip.begin(), trip.end());
    A_.makeCompressed();
    diag_scale_ = std::max(diagA.cwiseAbs().maxCoeff(), 1e-300);
    m_.resize(size());
    set_uniform();
  }

  double T_ = 1, time_ = 0, dphi_error_ = 0, diag_scale_ = 1;
  long evaluations_ = 0;
  std::array<vector, 2> faces_, centres_, widths_;
  Eigen::MatrixXd sx_, sy_;  // Δ log ρ along x-edges ((N₀−1) × N₁) and y-edges (N₀ × (N₁−1))
  vector rx_, lx_, ry_, ly_; // rates (i,j)→(i+1,j), (i,j)→(i−1,j), (i,j)→(i,j+1), (i,j)→(i,j−1)
  vector m_;
  sparse A_;
  std::deque<std::pair<double, std::unique_ptr<lu>>> factors_;
};

}  // namespace shiftcurv
