// shiftcurv/studies/flat_direction_variance.hpp — Appendix D.1: the stationary variance of over-parametrized
// SGD (eq 13) along the directions that no per-sample gradient touches, measured from the SGD
// iterates and compared with Tβ²/(2α) (THEORY.md "Networks and the over-parametrized case").
//
//   my_per_sample_loss data;                                  // p > N parameters
//   shiftcurv::sgd_options o;
//   o.learning_rate = 0.05; o.batch_size = 4; o.alpha = 0.1; o.beta = 0.5;   // eq 13
//   auto r = shiftcurv::flat_direction_variance(data, theta_star, o);
//   if (!r) std::cerr << r.message << '\n';
//   std::cout << r.variance << " ± " << r.standard_error << " vs " << r.prediction << '\n';
//   r.direction_variance;   // the same along `directions` random unit vectors of the complement
//   r.span_variance;        // per direction inside the span: not Tβ²/(2α) (curvature acts there)
//
// Contract.  θ* is (near) a minimum of U_tr + (α/2)|θ|², the loss eq-13 SGD descends; the loss
// must not hold an ℓ2 term of its own (put it in sgd.alpha: the prediction uses sgd.alpha
// only).  The span is that of the per-sample gradients at θ*; eq-13 SGD runs from θ* and its
// records give the variances, with batch-means standard errors (method and cost: on the
// function).  `prediction` (SDE) and `prediction_discrete` (the SGD recursion) are exact for a
// loss whose gradients stay in a fixed subspace (a linear model); for a network the measured
// value departs from them: report both, never one for the other.
// Status: success; tolerance_not_met when a batch is shorter than 2 relaxation times 1/(λα) of
// the complement or the batch means' lag-1 correlation exceeds max_batch_autocorrelation (the
// standard error is then too small), or fewer than 2 records per batch (b reduced);
// assumption_violated when all per-sample gradients vanish at θ* (rank 0: an interpolating
// minimum — evaluate near it, e.g. at the minimum of U_tr + (α/2)|θ|²); numerical_issue when an
// iterate becomes non-finite (the fields then hold what was measured before, steps says when).
// Throws shiftcurv::invalid_argument (θ* empty, NaN/Inf or of a size other than the loss's
// dimension(); batch_size < 1 or > N; p ≤ N — not over-parametrized; thinning, batches,
// directions, steps, sample_relaxations or burn_in_relaxations out of range, fewer than 4
// records; β or rank_tolerance not finite) or shiftcurv::domain_error (learning_rate ≤ 0, α ≤ 0,
// β = 0, λα ≥ 2 — the recursion diverges; rank_tolerance outside [0, 1)), naming
// flat_direction_variance.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include <Eigen/Core>
#include <Eigen/QR>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/detail/batch_means.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/derivatives/per_sample.hpp"
#include "shiftcurv/dynamics/sgd.hpp"
#include "shiftcurv/random/philox.hpp"

namespace shiftcurv {

/// Options of flat_direction_variance (see the header comment).
struct flat_direction_variance_options {
  index steps = 0;                  ///< recorded-phase SGD steps after burn-in; 0: sample_relaxations/(λα)
  index burn_in = -1;               ///< steps discarded first; < 0: burn_in_relaxations/(λα)
  double sample_relaxations = 400;  ///< default recorded phase, in relaxation times 1/(λα)
  double burn_in_relaxations = 10;  ///< default burn-in, in relaxation times 1/(λα)
  index thinning = 1;               ///< record every thinning-th step
  /// Random unit directions in the complement (0: none), mutually orthogonal up to p − r of them.
  index directions = 8;
  index batches = 20;               ///< b, batch means for the standard errors (≥ 2)
  double rank_tolerance = 1e-8;     ///< QR pivots ≤ rank_tolerance·|largest| count as outside the span
  /// Above it the status is tolerance_not_met (the lag-1 correlation of b independent batch
  /// means has sd ≈ 1/√b, 0.22 at b = 20).
  double max_batch_autocorrelation = 0.5;
  std::uint64_t seed = 0;           ///< Philox seed (SGD: trajectory 0; directions: trajectory 1)
};

/// The measured variance outside the span of the per-sample gradients and its predictions.
struct flat_direction_variance_result : result_base {
  double variance = 0;              ///< mean_t |P⊥(θ_t − θ̄)|²/(p − r) (+ mean correction)
  double standard_error = 0;        ///< batch means
  double batch_autocorrelation = 0; ///< lag-1 correlation of its batch means (≈ 0 is good)
  double prediction = 0;            ///< Tβ²/(2α) (the SDE, Appendix D.1)
  double prediction_discrete = 0;   ///< Tβ²/(α(2 − λα)) (the SGD recursion, exact when linear)
  double direction_variance = 0;    ///< mean over the random directions of (u_kᵀ(θ_t − θ̄))²
  double direction_standard_error = 0;
  vector direction_variances;       ///< per direction
  double span_variance = 0;         ///< mean_t |Qᵀ(θ_t − θ̄)|²/r: inside the span, per direction
  double span_standard_error = 0;
  double temperature = 0;           ///< T = λ/B
  double relaxation_steps = 0;      ///< 1/(λα): the complement's relaxation time in steps
  index parameters = 0;             ///< p
  index samples = 0;                ///< N
  index rank = 0;                   ///< r, the dimension of the span of the g_i(θ*)
  index steps = 0;                  ///< recorded-phase steps run
  index burn_in = 0;                ///< burn-in steps run
  index records = 0;                ///< iterates used (b·L)
  index batches = 0;                ///< b
  index batch_size = 0;             ///< L (records per batch)
};

namespace detail::flat_direction_variance_impl {

/// The argument checks of flat_direction_variance (see its header comment for what throws).
template <class F>
void validate(std::string_view fn, const F& loss, const vector& theta_star, const sgd_options& sgd,
              const flat_direction_variance_options& options) {
  detail::check_sample_point(fn, loss, theta_star);
  const index p = theta_star.size();
  const index N = detail::checked_num_samples(fn, loss);
  check_sgd_options(fn, sgd, N, "sgd", sgd_batch_bound::always);
  if (!(sgd.alpha > 0)) detail::throw_domain(fn, "sgd.alpha must be > 0 (eq 13's l2 drift), got ", sgd.alpha);
  if (sgd.beta == 0) detail::throw_domain(fn, "sgd.beta must be != 0 (eq 13's isotropic noise), got 0");
  const double la = sgd.learning_rate * sgd.alpha;
  if (!(la < 2)) detail::throw_domain(fn, "learning_rate*alpha must be < 2 (else SGD diverges), got ", la);
  if (p <= N)
    detail::throw_invalid(fn, "needs p > N (over-parametrized), got p = ", p, " parameters and N = ", N, " samples");
  if (options.thinning < 1) detail::throw_invalid(fn, "options.thinning must be >= 1, got ", options.thinning);
  if (options.batches < 2) detail::throw_invalid(fn, "options.batches must be >= 2, got ", options.batches);
  if (options.directions < 0) detail::throw_invalid(fn, "options.directions must be >= 0, got ", options.directions);
  if (options.steps < 0) detail::throw_invalid(fn, "options.steps must be >= 0, got ", options.steps);
  require_finite(fn, "options.rank_tolerance", options.rank_tolerance);
  if (!(options.rank_tolerance >= 0 && options.rank_tolerance < 1))
    detail::throw_domain(fn, "options.rank_tolerance must be in [0, 1), got ", options.rank_tolerance);
  if (!(options.sample_relaxations > 0))
    detail::throw_invalid(fn, "options.sample_relaxations must be > 0, got ", options.sample_relaxations);
  if (!(options.burn_in_relaxations >= 0))
    detail::throw_invalid(fn, "options.burn_in_relaxations must be >= 0, got ", options.burn_in_relaxations);
}

/// The span of the per-sample gradients at θ*: the thin Q (p×r) of a column-pivoted QR of Gᵀ;
/// sets out.rank, and assumption_violated when r = 0.
template <class F>
matrix gradient_span(std::string_view fn, const F& loss, const vector& theta_star, double rank_tolerance,
                     flat_direction_variance_result& out) {
  const index p = theta_star.size();
  const matrix Gt = detail::sample_gradients(fn, loss, theta_star).transpose();  // p×N
  require_finite(fn, "the per-sample gradients at theta_star", Gt);
  Eigen::ColPivHouseholderQR<matrix> qr(Gt);
  qr.setThreshold(rank_tolerance);
  const double top = qr.maxPivot();
  const index r = top > 0 ? static_cast<index>(qr.rank()) : 0;
  out.rank = r;
  if (r == 0)
    record_status(out, status::assumption_violated,
                  detail::message(fn, "every per-sample gradient vanishes at theta_star (rank 0): at an interpolating ",
                                  "minimum evaluate near it, e.g. at the minimum of U_tr + (alpha/2)|theta|^2; the "
                                  "whole space is treated as the complement"));
  return qr.householderQ() * matrix::Identity(p, r);
}

/// K random unit directions in the complement of span Q (Philox (seed, 1) normals), mutually
/// orthogonal while there is room (p×K).
template <class = void>
matrix complement_directions(std::uint64_t seed, const matrix& Q, index K) {
  const index p = Q.rows(), r = Q.cols();
  matrix U(p, K);
  const philox_stream dir_stream(seed, 1);
  vector z(p);
  for (index k = 0; k < K; ++k) {
    dir_stream.normals(static_cast<std::uint64_t>(k), z.data(), p, random_purpose::auxiliary);
    if (r > 0) z -= Q * (Q.transpose() * z);
    if (k < p - r) z -= U.leftCols(k) * (U.leftCols(k).transpose() * z);  // mutually orthogonal while room
    U.col(k) = z / z.norm();
  }
  return U;
}

/// The run lengths: burn-in steps, n = b·L records in b batches of L, one every thinning steps.
struct run_plan {
  index burn = 0, n = 0, b = 0, L = 0;
};

/// The run lengths from the options (relaxation time 1/(λα)); tolerance_not_met when the
/// records are too few for options.batches batches.
template <class = void>
run_plan plan_run(std::string_view fn, const flat_direction_variance_options& options, double la,
                         flat_direction_variance_result& out) {
  run_plan plan;
  plan.burn = options.burn_in >= 0 ? options.burn_in : static_cast<index>(std::ceil(options.burn_in_relaxations / la));
  const index steps = options.steps > 0 ? options.steps : static_cast<index>(std::ceil(options.sample_relaxations / la));
  index b = options.batches;
  index n = steps / options.thinning;
  if (n < 2 * b) {
    b = std::max<index>(2, n / 2);
    if (out.status == status::success)
      record_status(out, status::tolerance_not_met,
                    detail::message(fn, "only ", n, " records for ", options.batches, " batches: using ", b,
                                    " batches; lengthen options.steps"));
  }
  if (n < 4) detail::throw_invalid(fn, "options.steps / options.thinning gives ", n, " records, need at least 4");
  plan.b = b;
  plan.L = n / b;
  plan.n = b * plan.L;
  return plan;
}

/// Per batch j: the sum of the records θ_t, of |Qᵀθ_t|² and of |P⊥θ_t|²; Y = Uᵀθ_t per record.
struct batch_sums {
  matrix theta;          // p×b
  vector span_sq, perp_sq;
  matrix Y;              // K×n
};

/// Eq-13 SGD from θ* (Philox (seed, 0)) with the per-batch sums of its records; false (out's
/// status numerical_issue, burn_in/steps what ran) when an iterate became non-finite.
template <class F>
bool record_sgd(std::string_view fn, const F& loss, const vector& theta_star, const sgd_options& sgd,
                const flat_direction_variance_options& options, const run_plan& plan, const matrix& Q, const matrix& U,
                flat_direction_variance_result& out, batch_sums& sums) {
  const index p = theta_star.size(), r = Q.cols(), K = U.cols();
  sums.theta = matrix::Zero(p, plan.b);
  sums.span_sq = vector::Zero(plan.b);
  sums.perp_sq = vector::Zero(plan.b);
  sums.Y.resize(K, plan.n);
  // Per record: c = Qᵀθ, |θ⊥|² = |θ|² − |c|², y = Uᵀθ.
  auto on_record = [&](index t, const vector& theta) {
    const index j = t / plan.L;
    const double sq = theta.squaredNorm();
    const double csq = r > 0 ? (Q.transpose() * theta).squaredNorm() : 0.0;
    sums.theta.col(j) += theta;
    sums.span_sq(j) += csq;
    sums.perp_sq(j) += sq - csq;
    if (K > 0) sums.Y.col(t) = U.transpose() * theta;
  };
  const sgd_record_options ro{
      .burn_in = plan.burn, .records = plan.n, .thinning = options.thinning, .seed = options.seed, .trajectory = 0};
  const sgd_record_result rec = detail::run_sgd_record(fn, loss, theta_star, sgd, ro, on_record);
  detail::take_sgd_record(out, rec);
  if (is_failure(rec.status)) return false;
  out.records = plan.n;
  return true;
}

/// The variances from the batch sums: the complement (per direction), the span, and along U;
/// each plus the batch-means estimate of the variance of θ̄.
template <class = void>
void summarize(const batch_sums& sums, const run_plan& plan, const matrix& Q, flat_direction_variance_result& out) {
  const index p = sums.theta.rows(), r = Q.cols(), K = sums.Y.rows(), b = plan.b, L = plan.L;
  const double dn = static_cast<double>(plan.n), dL = static_cast<double>(L), db = static_cast<double>(b);
  const vector mean = sums.theta.rowwise().sum() / dn;
  const vector cmean = r > 0 ? vector(Q.transpose() * mean) : vector::Zero(0);
  const vector mperp = r > 0 ? vector(mean - Q * cmean) : mean;
  // complement: batch j's mean of |P⊥(θ_t − θ̄)|² = perp_sq_j/L − 2 (S_j/L)·m⊥ + |m⊥|²
  vector bm_perp(b), bm_span(b);
  double corr_perp = 0, corr_span = 0;
  for (index j = 0; j < b; ++j) {
    const vector mj = sums.theta.col(j) / dL;
    bm_perp(j) = sums.perp_sq(j) / dL - 2 * mj.dot(mperp) + mperp.squaredNorm();
    const vector cj = r > 0 ? vector(Q.transpose() * mj) : vector::Zero(0);
    bm_span(j) = r > 0 ? sums.span_sq(j) / dL - 2 * cj.dot(cmean) + cmean.squaredNorm() : 0.0;
    const vector dj = mj - mean;
    const vector dc = r > 0 ? vector(Q.transpose() * dj) : vector::Zero(0);
    corr_span += dc.squaredNorm();
    corr_perp += dj.squaredNorm() - dc.squaredNorm();
  }
  corr_perp /= db * (db - 1);
  corr_span /= db * (db - 1);
  const double dperp = static_cast<double>(p - r);
  const auto sp = detail::summarize_batch_means(bm_perp / dperp);
  out.variance = sp.mean + corr_perp / dperp;
  out.standard_error = sp.standard_error;
  out.batch_autocorrelation = sp.autocorrelation;
  if (r > 0) {
    const auto ss = detail::summarize_batch_means(bm_span / static_cast<double>(r));
    out.span_variance = ss.mean + corr_span / static_cast<double>(r);
    out.span_standard_error = ss.standard_error;
  }
  if (K > 0) {
    const matrix& Y = sums.Y;
    const vector ybar = Y.rowwise().mean();
    const matrix dev = Y.colwise() - ybar;
    out.direction_variances = dev.array().square().rowwise().mean();
    const vector z = dev.array().square().colwise().mean().transpose();  // per record, mean over k
    const auto sd = detail::summarize_batch_means(detail::batch_means_of(z, b));
    vector corr = vector::Zero(K);  // per direction: the batch-means estimate of Var ȳ_k
    for (index j = 0; j < b; ++j) corr.array() += (Y.middleCols(j * L, L).rowwise().mean() - ybar).array().square();
    corr /= db * (db - 1);
    out.direction_variances += corr;
    out.direction_variance = sd.mean + corr.mean();
    out.direction_standard_error = sd.standard_error;
  }
}

/// The quality flags (tolerance_not_met) of a successful measurement: batches shorter than 2
/// relaxation times, correlated batch means.
template <class = void>
void flag_quality(std::string_view fn, const flat_direction_variance_options& options,
                         flat_direction_variance_result& out) {
  if (out.status != status::success) return;
  const double batch_steps = static_cast<double>(out.batch_size) * static_cast<double>(options.thinning);
  if (batch_steps < 2 * out.relaxation_steps)
    record_status(out, status::tolerance_not_met,
                  detail::message(fn, "a batch spans ", batch_steps, " steps, under 2 relaxation times 1/(lambda*alpha) = ",
                                  2 * out.relaxation_steps, ": the standard error is too small; lengthen options.steps"));
  else if (out.batch_autocorrelation > options.max_batch_autocorrelation)
    record_status(out, status::tolerance_not_met,
                  detail::message(fn, "the batch means are correlated (lag-1 ", out.batch_autocorrelation, " > ",
                                  options.max_batch_autocorrelation, "): the standard error is too small"));
}

}  // namespace detail::flat_direction_variance_impl

/// Appendix D.1 (see the header comment).  θ* is (near) a minimum of U_tr + (α/2)|θ|² (its
/// stationary mean; then P⊥θ* = 0, since αθ* = −∇U_tr(θ*) lies in the span).  G (N×p, rows the
/// per-sample gradients g_i(θ*)) gives the span: a column-pivoted Householder QR of Gᵀ (p×N,
/// Eigen's ColPivHouseholderQR), rank r = the pivots above rank_tolerance·|largest pivot|, and
/// its thin Q (p×r: the reflectors applied to the first r columns of I — nothing p×p is formed).
/// Eq-13 SGD (dynamics/sgd.hpp, sgd_record, Philox (seed, trajectory 0)) runs from θ*: burn_in
/// steps, then steps more, recording every `thinning`-th iterate θ_t (n records, b·L of them in
/// b batches of L).  With P⊥ = I − QQᵀ and θ̄ the mean of the records,
///   variance      = mean_t |P⊥(θ_t − θ̄)|² / (p − r)        (the whole complement, per direction)
///   span_variance = mean_t |Qᵀ(θ_t − θ̄)|² / r               (inside the span, per direction)
///   direction_variances(k) = mean_t (u_kᵀ(θ_t − θ̄))²         (u_k: Philox (seed, 1) normals with
///                                                             the span projected out, normalized)
/// each plus the batch-means estimate of the variance of θ̄ (the mean-subtraction bias, as in
/// covariance_curvature_estimate).  Standard errors by non-overlapping batch means.  Costs per
/// record: p·(r + directions) flops; the SGD itself costs B per-sample gradients per step.
/// Predictions: the SDE dθ⊥ = −αθ⊥ dt + β√T dW gives Tβ²/(2α) (`prediction`); the SGD recursion
/// θ⊥ ← (1 − λα)θ⊥ + √(λT)β w has exactly Tβ²/(α(2 − λα)) (`prediction_discrete`), its relative
/// difference λα/2.  For a network the span turns as θ moves and the residual term of the
/// per-sample Hessians couples the complement, so the measured value departs from them by that
/// much.
template <class F>
  requires per_sample_loss<F>
flat_direction_variance_result flat_direction_variance(const F& loss, const vector& theta_star, const sgd_options& sgd,
                                                       const flat_direction_variance_options& options = {}) {
  constexpr std::string_view fn = "flat_direction_variance";
  using namespace detail::flat_direction_variance_impl;
  validate(fn, loss, theta_star, sgd, options);

  flat_direction_variance_result out;
  const double T = sgd.temperature(), la = sgd.learning_rate * sgd.alpha;
  out.temperature = T;
  out.relaxation_steps = 1.0 / la;
  out.prediction = T * sgd.beta * sgd.beta / (2 * sgd.alpha);
  out.prediction_discrete = T * sgd.beta * sgd.beta / (sgd.alpha * (2 - la));
  out.parameters = theta_star.size();
  out.samples = detail::checked_num_samples(fn, loss);

  const matrix Q = gradient_span(fn, loss, theta_star, options.rank_tolerance, out);
  const matrix U = complement_directions(options.seed, Q, options.directions);
  const run_plan plan = plan_run(fn, options, la, out);
  out.batches = plan.b;
  out.batch_size = plan.L;

  batch_sums sums;
  if (!record_sgd(fn, loss, theta_star, sgd, options, plan, Q, U, out, sums)) return out;
  summarize(sums, plan, Q, out);
  if (!std::isfinite(out.variance)) {
    record_status(out, status::numerical_issue, detail::message(fn, "the measured variance is not finite"));
    return out;
  }
  flag_quality(fn, options, out);
  return out;
}

}  // namespace shiftcurv
