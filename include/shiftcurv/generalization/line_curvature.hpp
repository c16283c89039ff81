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
// The line is Θ(r) = θ_tr + r·s/|s|, s = θ_test − θ_tr (THEORY.md, Appendix F).  Contract:
// * symmetrized fits: the test loss on the side of θ_test facing θ_tr, f_test(|s| − d) for
//   d ∈ [0, L], mirrored about θ_test and fitted by least squares with f_min + ½c d²; the train
//   loss on the side of θ_tr facing away from θ_test, f_train(−d), mirrored likewise.  Exact
//   for a loss quadratic along the line; otherwise an average curvature of the basin, with
//   `*_residual` (RMS, loss units) saying how far from a parabola the curve is.
// * eq 31: U_test(θ_tr) ≈ f_test(|s|) + Σ_{j=2}^{max_order} (−|s|)^j/j! ∂_r^j f_test(|s|), the
//   derivatives exact by nested duals for a loss templated on its scalar, else O(h²) central
//   differences (step ε^{1/(j+2)}·|s|); `higher_order_error` = |last term| + the differences'
//   error estimates.  order_J = the lowest j ≥ 2 whose term exceeds zero_tolerance × the
//   largest, its error estimate and the rounding of the loss values.
// * `directional_curvature` = uᵀ∇²U_test(θ_test)u by one HVP (shiftcurv::hvp).
// Status: assumption_violated when θ_test is not a minimum along the line (lowest nonzero
// derivative of odd order or negative) or the line is flat to max_order (order_J = 0); every
// number is still filled in.  numerical_issue when a value on the line is NaN/Inf.
// Throws shiftcurv::invalid_argument (θ's of different sizes or of a size other than a loss's
// dimension(), NaN/Inf, θ_train == θ_test, samples < 3, max_order outside 2..8) and
// shiftcurv::domain_error (window ≤ 0, zero_tolerance outside [0, 1)).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
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
  int samples = 33;              ///< points on each one-sided window [0, L], d = 0 included (≥ 3)
  double window = 1.0;           ///< L = window·|s| (> 0)
  int max_order = 6;             ///< highest derivative order in the eq-31 series (2..8)
  double zero_tolerance = 1e-6;  ///< a series term below this × the largest term counts as zero, in [0, 1)
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
template <class = void>
symmetric_fit fit_mirrored_parabola(const std::vector<double>& d, const std::vector<double>& y) {
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

namespace detail::line_curvature_impl {

template <class TrainLoss, class TestLoss>
void check_input(std::string_view fn, const TrainLoss& train_loss, const TestLoss& test_loss,
                 const vector& theta_train, const vector& theta_test, const line_curvature_options& options) {
  if (theta_train.size() < 1) throw_invalid(fn, "theta_train is empty");
  require_size(fn, "theta_test", theta_test.size(), theta_train.size());
  require_finite(fn, "theta_train", theta_train);
  require_finite(fn, "theta_test", theta_test);
  require_dimension(fn, "theta_train", train_loss, theta_train.size());
  require_dimension(fn, "theta_test", test_loss, theta_test.size());
  if (options.samples < 3) throw_invalid(fn, "options.samples must be >= 3, got ", options.samples);
  if (options.max_order < 2 || options.max_order > 8)
    throw_invalid(fn, "options.max_order must be in 2..8, got ", options.max_order);
  require_positive(fn, "options.window", options.window);
  require_finite(fn, "options.zero_tolerance", options.zero_tolerance);
  if (!(options.zero_tolerance >= 0 && options.zero_tolerance < 1))
    throw_domain(fn, "options.zero_tolerance must be in [0, 1), got ", options.zero_tolerance);
  if (!((theta_test - theta_train).norm() > 0))
    throw_invalid(fn, "theta_train and theta_test coincide: the line is undefined");
}

/// Step 1 (Appendix F): sample both losses on their one-sided windows and fit the mirrored
/// parabolas — the test loss on the side of θ_test facing θ_tr (θ_test − d·u), the train
/// loss on the side of θ_tr facing away from θ_test (θ_tr − d·u).
template <class TrainLoss, class TestLoss>
void symmetrized_fits(const TrainLoss& train_loss, const TestLoss& test_loss, const vector& theta_train,
                      const vector& theta_test, const vector& u, const line_curvature_options& options,
                      line_curvature_result& out) {
  const int n = options.samples;
  const double L = options.window * out.shift_norm;
  for (int i = 0; i < n; ++i) {
    const double d = L * static_cast<double>(i) / static_cast<double>(n - 1);
    out.distances.push_back(d);
    out.train_samples.push_back(value_unchecked(train_loss, vector(theta_train - d * u)));
    out.test_samples.push_back(value_unchecked(test_loss, vector(theta_test - d * u)));
  }
  out.evaluations += 2L * n;
  const symmetric_fit train = fit_mirrored_parabola(out.distances, out.train_samples);
  const symmetric_fit test = fit_mirrored_parabola(out.distances, out.test_samples);
  out.train_curvature = train.curvature;
  out.train_fit_minimum = train.minimum;
  out.train_residual = train.residual;
  out.test_curvature = test.curvature;
  out.test_fit_minimum = test.minimum;
  out.test_residual = test.residual;
}

/// The terms (−|s|)^j/j!·∂^j f(|s|) of eq 31, j = 2..J, and their error estimates.
struct series_terms {
  std::vector<double> term, error;
  double sum = 0, error_sum = 0, largest = 0;
};

inline series_terms eq31_terms(const line_derivative_values& der, double norm, int J) {
  series_terms t;
  t.term.assign(static_cast<std::size_t>(J) + 1, 0.0);
  t.error.assign(t.term.size(), 0.0);
  t.sum = der.derivative[0];
  for (int j = 2; j <= J; ++j) {
    const auto k = static_cast<std::size_t>(j);
    const double scale = std::pow(norm, j) / boost::math::factorial<double>(static_cast<unsigned>(j));
    t.term[k] = ((j % 2 == 0) ? scale : -scale) * der.derivative[k];
    t.error[k] = scale * der.error[k];
    t.sum += t.term[k];
    t.error_sum += t.error[k];
    t.largest = std::max(t.largest, std::abs(t.term[k]));
  }
  return t;
}

/// The lowest j ≥ 2 whose term exceeds zero_tolerance × the largest term, its own error
/// estimate and the rounding of the loss values (16ε·max|f| over the sampled curve); 0: flat.
inline int lowest_nonzero_order(const series_terms& t, double zero_tolerance, double f_scale) {
  const double rounding_floor = 16 * std::numeric_limits<double>::epsilon() * f_scale;
  for (std::size_t k = 2; k < t.term.size(); ++k)
    if (std::abs(t.term[k]) > std::max({zero_tolerance * t.largest, t.error[k], rounding_floor}))
      return static_cast<int>(k);
  return 0;
}

/// Step 3: the status — θ_test not a minimum along the line, a flat line, or non-finite values.
inline void classify(std::string_view fn, line_curvature_result& out, int max_order) {
  if (out.order_J == 0) {
    record_status(out, status::assumption_violated,
                  message(fn, "the test loss is flat along the line up to order ", max_order));
  } else if (out.order_J % 2 != 0) {
    record_status(out, status::assumption_violated,
                  message(fn, "theta_test is not a minimum along the line: the lowest nonzero derivative has odd order ",
                          out.order_J));
  } else if (out.line_derivatives[static_cast<std::size_t>(out.order_J)] < 0) {
    record_status(out, status::assumption_violated,
                  message(fn, "theta_test is not a minimum along the line: the derivative of order ",
                          out.order_J, " is negative"));
  }
  bool finite = std::isfinite(out.directional_curvature) && std::isfinite(out.test_at_train_minimum);
  for (double v : out.line_derivatives) finite = finite && std::isfinite(v);
  for (std::size_t i = 0; i < out.distances.size(); ++i)
    finite = finite && std::isfinite(out.train_samples[i]) && std::isfinite(out.test_samples[i]);
  if (!finite) {
    record_status(out, status::numerical_issue, message(fn, "a loss value or derivative along the line is not finite"));
  }
}

}  // namespace detail::line_curvature_impl

/// Appendix F and eq 31 along the line from θ_train to θ_test (see the header comment).
template <class TrainLoss, class TestLoss>
  requires loss_function<TrainLoss> && loss_function<TestLoss>
line_curvature_result line_curvature(const TrainLoss& train_loss, const TestLoss& test_loss,
                                     const vector& theta_train, const vector& theta_test,
                                     const line_curvature_options& options = {}) {
  namespace impl = detail::line_curvature_impl;
  constexpr std::string_view fn = "line_curvature";
  impl::check_input(fn, train_loss, test_loss, theta_train, theta_test, options);
  line_curvature_result out;
  out.shift_norm = (theta_test - theta_train).norm();
  const vector u = (theta_test - theta_train) / out.shift_norm;

  // 1. symmetrized quadratic fits (Appendix F)
  impl::symmetrized_fits(train_loss, test_loss, theta_train, theta_test, u, options, out);
  // 2. exact directional curvature uᵀ C_test u (one HVP)
  out.directional_curvature = u.dot(vector(hvp(test_loss, theta_test, u)));
  // 3. eq 31 from the line derivatives at θ_test
  const int J = options.max_order;
  const auto der = impl::line_derivatives(test_loss, theta_test, u, J, out.shift_norm);
  out.exact_derivatives = der.exact;
  out.line_derivatives = der.derivative;
  out.test_at_test_minimum = der.derivative[0];
  out.test_slope = der.derivative[1];
  out.test_at_train_minimum = detail::value_unchecked(test_loss, theta_train);
  out.evaluations += der.evaluations + 2;
  const impl::series_terms t = impl::eq31_terms(der, out.shift_norm, J);
  out.higher_order_estimate = t.sum;
  out.higher_order_error = std::abs(t.term[static_cast<std::size_t>(J)]) + t.error_sum;
  double f_scale = std::abs(out.test_at_train_minimum);
  for (double v : out.test_samples) f_scale = std::max(f_scale, std::abs(v));
  out.order_J = impl::lowest_nonzero_order(t, options.zero_tolerance, f_scale);
  // 4. status
  impl::classify(fn, out, J);
  return out;
}

}  // namespace shiftcurv
