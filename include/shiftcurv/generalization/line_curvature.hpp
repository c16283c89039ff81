// shiftcurv/generalization/line_curvature.hpp — curvature of the train and test losses along
// the line between a train minimum and its test minimum (the paper's Appendix F, eq 31).
//
//   auto r = shiftcurv::line_curvature(train_loss, test_loss, theta_train, theta_test);
//   r.test_curvature;          // symmetrized quadratic fit: estimates sᵀ C_test s / |s|²
//   r.directional_curvature;   // the exact sᵀ C_test s / |s|² (one Hessian-vector product)
//   r.train_curvature;         // the same fit of the train loss, mirrored about θ_train
//   r.higher_order_estimate;   // eq 31: U_test(θ_train) from derivatives at θ_test
//   r.order_J;                 // lowest nonzero derivative order along the line (2 if curved)
//   r.distances, r.test_samples;   // the one-sided curve that was fitted (for plots)
//
// The line is Θ(r) = θ_tr + r·s/|s|, s = θ_test − θ_tr, so Θ(0) = θ_tr and Θ(|s|) = θ_test.
// Symmetrized fit (Appendix F): the test loss is sampled on the side of θ_test that faces
// θ_tr, f_test(|s| − d) for d ∈ [0, L], mirrored about θ_test (each d > 0 also at −d) and
// fitted by least squares with f_min + ½ c d²; the train loss is sampled on the side of θ_tr
// facing away from θ_test, f_train(−d), and mirrored likewise.  L = window·|s| (default |s|:
// the test fit then spans exactly the segment between the two minima).  `*_residual` is the
// root-mean-square residual of the fit over the mirrored points, in loss units.
//
// Eq 31: U_test(θ_tr) = f_test(0) ≈ f_test(|s|) + Σ_{j=2}^{max_order} (−|s|)^j/j! ∂_r^j f_test(|s|).
// The derivatives ∂_r^j f_test(|s|) (also reported, j = 0..max_order, in `line_derivatives`)
// are exact (nested dual numbers, one evaluation) for a loss templated on its scalar that
// accepts nested duals; otherwise they come from O(h²) central differences along the line
// with step ε^{1/(j+2)}·|s|.  order_J is the lowest j ≥ 2 whose term |s|^j/j!·|∂^j f| exceeds
// zero_tolerance times the largest term, its own error estimate, and the rounding level of
// the loss values (16ε·max|f| along the sampled curve).
//
// Error estimates: the fitted curvatures are exact for a loss that is quadratic along the
// line over the window; otherwise they are a different quantity by design (an average
// curvature of the basin), and the residual says how far from a parabola the curve is.
// `higher_order_error` bounds the truncation of eq 31 by the size of its last included term
// (plus, on the finite-difference route, the Richardson estimates |d(h)−d(2h)|/3 and the
// rounding of each term: about ε^{2/(j+2)}·max|f| per term, so ≈1e-8·|f| at j = 2 and
// ≈1e-3·|f| at j = 8).  `test_at_train_minimum` is U_test(θ_tr) evaluated directly, the
// quantity the series approximates.  The directional curvature uses shiftcurv::hvp (exact
// for analytic/AD routes, ≈1e-10 relative by finite differences).
//
// Status: assumption_violated when θ_test is not a minimum along the line (the lowest
// nonzero derivative has odd order or is negative) or the test loss is flat along the line to
// max_order (order_J = 0); every number is still filled in.  numerical_issue when a loss value
// or derivative on the line is NaN/Inf.
//
// Bad input throws: θ's of different sizes, NaN/Inf, θ_train == θ_test, samples < 3,
// max_order outside 2..8 → shiftcurv::invalid_argument; window ≤ 0 or zero_tolerance outside
// [0, 1) → shiftcurv::domain_error.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <Eigen/QR>
#include <boost/math/special_functions/factorials.hpp>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/generalization/detail/line_derivatives.hpp"

namespace shiftcurv {

struct line_curvature_options {
  int samples = 33;              ///< points on each one-sided window [0, L], d = 0 included
  double window = 1.0;           ///< L = window·|s|
  int max_order = 6;             ///< highest derivative order in the eq-31 series (2..8)
  double zero_tolerance = 1e-6;  ///< a series term below this × the largest term counts as zero
};

struct line_curvature_result : result_base {
  double shift_norm = 0;             ///< |s|
  double train_curvature = 0;        ///< c of the symmetrized fit of U_train about θ_tr
  double test_curvature = 0;         ///< c of the symmetrized fit of U_test about θ_test
  double train_fit_minimum = 0;      ///< f_min of the train fit
  double test_fit_minimum = 0;       ///< f_min of the test fit
  double train_residual = 0;         ///< RMS residual of the train fit
  double test_residual = 0;          ///< RMS residual of the test fit
  double directional_curvature = 0;  ///< sᵀ C_test s / |s|², C_test = ∇²U_test(θ_test), by HVP
  double test_slope = 0;             ///< ∂_r f_test(|s|) (≈ 0 at a test minimum)
  double test_at_test_minimum = 0;   ///< U_test(θ_test)
  double test_at_train_minimum = 0;  ///< U_test(θ_tr), evaluated directly
  double higher_order_estimate = 0;  ///< eq 31 through max_order
  double higher_order_error = 0;     ///< error estimate of higher_order_estimate
  int order_J = 0;                   ///< lowest nonzero derivative order ≥ 2 (0: flat)
  bool exact_derivatives = false;    ///< line derivatives by dual numbers (else differences)
  std::vector<double> line_derivatives;  ///< ∂_r^j f_test(|s|), j = 0..max_order
  std::vector<double> distances;         ///< d_i ∈ [0, L], the one-sided sample distances
  std::vector<double> train_samples;     ///< U_train(θ_tr − d_i·ŝ)
  std::vector<double> test_samples;      ///< U_test(θ_test − d_i·ŝ)
};

namespace detail::line_curvature_impl {

struct symmetric_fit {
  double minimum = 0, curvature = 0, residual = 0;
};

// Least squares of y ≈ a + ½ c d² over the mirrored points {(±d_i, y_i)} (d = 0 once).
inline symmetric_fit fit_mirrored_parabola(const std::vector<double>& d, const std::vector<double>& y) {
  std::vector<double> dm, ym;
  for (std::size_t i = 0; i < d.size(); ++i) {
    dm.push_back(d[i]);
    ym.push_back(y[i]);
    if (d[i] != 0) {
      dm.push_back(-d[i]);
      ym.push_back(y[i]);
    }
  }
  const index n = static_cast<index>(dm.size());
  matrix A(n, 2);
  vector b(n);
  for (index i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    A(i, 0) = 1;
    A(i, 1) = 0.5 * dm[k] * dm[k];
    b(i) = ym[k];
  }
  const vector x = A.colPivHouseholderQr().solve(b);
  symmetric_fit out;
  out.minimum = x(0);
  out.curvature = x(1);
  out.residual = std::sqrt((A * x - b).squaredNorm() / static_cast<double>(n));
  return out;
}

}  // namespace detail::line_curvature_impl

/// Appendix F and eq 31 along the line from θ_train to θ_test (see the header comment).
template <class TrainLoss, class TestLoss>
  requires loss_function<TrainLoss> && loss_function<TestLoss>
line_curvature_result line_curvature(const TrainLoss& train_loss, const TestLoss& test_loss,
                                     const vector& theta_train, const vector& theta_test,
                                     line_curvature_options options = {}) {
  constexpr const char* fn = "line_curvature";
  if (theta_train.size() < 1) detail::throw_invalid(fn, "theta_train is empty");
  require_size(fn, "theta_test", theta_test.size(), theta_train.size());
  require_finite(fn, "theta_train", theta_train);
  require_finite(fn, "theta_test", theta_test);
  if (options.samples < 3) detail::throw_invalid(fn, "options.samples must be >= 3, got ", options.samples);
  if (options.max_order < 2 || options.max_order > 8)
    detail::throw_invalid(fn, "options.max_order must be in 2..8, got ", options.max_order);
  require_positive(fn, "options.window", options.window);
  require_finite(fn, "options.zero_tolerance", options.zero_tolerance);
  if (!(options.zero_tolerance >= 0 && options.zero_tolerance < 1))
    detail::throw_domain(fn, "options.zero_tolerance must be in [0, 1), got ", options.zero_tolerance);
  const vector s = theta_test - theta_train;
  const double norm = s.norm();
  if (!(norm > 0)) detail::throw_invalid(fn, "theta_train and theta_test coincide: the line is undefined");
  const vector u = s / norm;

  line_curvature_result out;
  out.shift_norm = norm;
  long evals = 0;

  // ---- symmetrized quadratic fits -------------------------------------------------------
  const int n = options.samples;
  const double L = options.window * norm;
  for (int i = 0; i < n; ++i) {
    const double d = L * static_cast<double>(i) / static_cast<double>(n - 1);
    out.distances.push_back(d);
    out.train_samples.push_back(detail::value_unchecked(train_loss, vector(theta_train - d * u)));
    out.test_samples.push_back(detail::value_unchecked(test_loss, vector(theta_test - d * u)));
    evals += 2;
  }
  const auto train_fit = detail::line_curvature_impl::fit_mirrored_parabola(out.distances, out.train_samples);
  const auto test_fit = detail::line_curvature_impl::fit_mirrored_parabola(out.distances, out.test_samples);
  out.train_curvature = train_fit.curvature;
  out.train_fit_minimum = train_fit.minimum;
  out.train_residual = train_fit.residual;
  out.test_curvature = test_fit.curvature;
  out.test_fit_minimum = test_fit.minimum;
  out.test_residual = test_fit.residual;

  // ---- exact directional curvature ------------------------------------------------------
  out.directional_curvature = u.dot(vector(hvp(test_loss, theta_test, u)));
  ++evals;

  // ---- eq 31 ------------------------------------------------------------------------------
  const int J = options.max_order;
  const auto der = detail::line_curvature_impl::line_derivatives(test_loss, theta_test, u, J, norm);
  evals += der.evaluations;
  out.exact_derivatives = der.exact;
  out.line_derivatives = der.derivative;
  out.test_at_test_minimum = der.derivative[0];
  out.test_slope = der.derivative[1];
  out.test_at_train_minimum = detail::value_unchecked(test_loss, theta_train);
  ++evals;

  std::vector<double> term(static_cast<std::size_t>(J) + 1, 0.0), term_error(term.size(), 0.0);
  double largest = 0, series = der.derivative[0], fd_error = 0;
  for (int j = 2; j <= J; ++j) {
    const auto k = static_cast<std::size_t>(j);
    const double scale = std::pow(norm, j) / boost::math::factorial<double>(static_cast<unsigned>(j));
    term[k] = ((j % 2 == 0) ? scale : -scale) * der.derivative[k];
    term_error[k] = scale * der.error[k];
    series += term[k];
    fd_error += term_error[k];
    largest = std::max(largest, std::abs(term[k]));
  }
  out.higher_order_estimate = series;
  out.higher_order_error = std::abs(term[static_cast<std::size_t>(J)]) + fd_error;

  // A term is zero below zero_tolerance × the largest term, below its own error estimate, and
  // below the rounding of the loss values themselves (16ε·max|f| over the sampled curve).
  double f_scale = std::abs(out.test_at_train_minimum);
  for (double v : out.test_samples) f_scale = std::max(f_scale, std::abs(v));
  const double rounding_floor = 16 * std::numeric_limits<double>::epsilon() * f_scale;
  out.order_J = 0;
  for (int j = 2; j <= J; ++j) {
    const auto k = static_cast<std::size_t>(j);
    if (std::abs(term[k]) > std::max({options.zero_tolerance * largest, term_error[k], rounding_floor})) {
      out.order_J = j;
      break;
    }
  }
  if (out.order_J == 0) {
    out.status = status::assumption_violated;
    out.message = "the test loss is flat along the line up to order " + std::to_string(J);
  } else if (out.order_J % 2 != 0) {
    out.status = status::assumption_violated;
    out.message = "theta_test is not a minimum along the line: the lowest nonzero derivative has odd order " +
                  std::to_string(out.order_J);
  } else if (der.derivative[static_cast<std::size_t>(out.order_J)] < 0) {
    out.status = status::assumption_violated;
    out.message = "theta_test is not a minimum along the line: the derivative of order " +
                  std::to_string(out.order_J) + " is negative";
  }
  // A loss that returned NaN/Inf somewhere on the line: say so rather than hand back NaNs quietly.
  bool finite = std::isfinite(out.directional_curvature) && std::isfinite(out.test_at_train_minimum);
  for (double v : out.line_derivatives) finite = finite && std::isfinite(v);
  for (std::size_t i = 0; i < out.distances.size(); ++i)
    finite = finite && std::isfinite(out.train_samples[i]) && std::isfinite(out.test_samples[i]);
  if (!finite) {
    out.status = status::numerical_issue;
    out.message = "a loss value or derivative along the line is not finite";
  }
  out.evaluations = evals;
  return out;
}

}  // namespace shiftcurv
