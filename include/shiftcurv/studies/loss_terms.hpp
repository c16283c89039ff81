// shiftcurv/studies/loss_terms.hpp — the terms of eq 4 at network scale: SGD run
// near a train minimum, the mean test loss over its late iterates, and eq 4's terms from the
// MEASURED covariance and bias of the iterates beside those PREDICTED by the Lyapunov equation
// in a Lanczos span (THEORY.md "Test loss", "Networks and the over-parametrized case").
// Nothing p×p is formed (unless options.k = p: H is then formed by p HVPs and diagonalized).
//
//   my_per_sample_loss train = ..., test = ...;              // batched members used when present
//   shiftcurv::sgd_options o; o.learning_rate = 0.05; o.batch_size = 8;   // T = λ/B
//   shiftcurv::test_loss_terms_options opt; opt.k = 20; opt.samples = 400; opt.thinning = 10;
//   auto r = shiftcurv::test_loss_terms(train, test, theta_tr, theta_test, o, opt);
//   if (!r) std::cerr << r.message << '\n';
//   r.mean_test_loss;                    // ± r.mean_test_loss_standard_error (batch means)
//   r.measured.total_eq4;                // depth + shift + bias + covariance terms, measured Σ, b
//   r.predicted.total_eq4;               // the same with Σ from Lyapunov, b from ∇·D
//   r.measured_covariance_curvature.value;  // ½tr(C_test Σ) ± .standard_error
//   r.predicted_covariance.trace_with(C);   // the predicted Σ = Q S Qᵀ, kept factored
//   r.projected_shift_curvature;         // eq 12: ½ s_Pᵀ C s_P, s_P on the test gradients' span
//
// Contract.  train and test are per-sample losses (core/concepts.hpp) on R^p; θ_tr is a minimum
// of the loss SGD descends (U_tr, plus (α/2)|θ|² when sgd.alpha > 0), θ_test a minimum of U_test.
// The three stages (SGD records, the Lyapunov prediction, eq 4's terms) and their cost: on the
// function.  Status (the worst of the parts; the message names each): tolerance_not_met when the
// mean test loss has fewer than min_effective_samples effective samples or its batch means'
// lag-1 correlation exceeds max_batch_autocorrelation, or covariance_curvature_estimate flags
// its batches; assumption_violated when H is not positive definite on the span or the test
// gradients vanish (eq 12); max_iterations when Lanczos did not converge; numerical_issue when
// an SGD iterate, a loss value or an operator output is non-finite (the run stops).
// Throws shiftcurv::invalid_argument (θ_tr or θ_test empty, non-finite or of sizes that differ
// from each other or from a loss's dimension(); batch_size < 1 or > N_tr; samples < 4,
// thinning < 1, batches < 2, k < 1, burn_in < 0; β not finite) or shiftcurv::domain_error
// (learning_rate ≤ 0, hence T ≤ 0; α < 0), naming test_loss_terms.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <Eigen/Core>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/detail/batch_means.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/curvature/linear_operator.hpp"
#include "shiftcurv/derivatives/per_sample.hpp"
#include "shiftcurv/dynamics/sgd.hpp"
#include "shiftcurv/generalization/decomposition.hpp"
#include "shiftcurv/generalization/shift.hpp"
#include "shiftcurv/generalization/stationary_covariance.hpp"
#include "shiftcurv/noise/gradient_covariance.hpp"
#include "shiftcurv/random/philox.hpp"
#include "shiftcurv/studies/covariance_curvature.hpp"

namespace shiftcurv {

/// Options of test_loss_terms (see the header comment).
struct test_loss_terms_options {
  index burn_in = 2000;                    ///< SGD steps discarded before the first record (≥ 0)
  index samples = 400;                     ///< records n (≥ 4)
  index thinning = 10;                     ///< SGD steps per record (≥ 1)
  index batches = 20;                      ///< batch means for the standard errors (≥ 2)
  index k = 20;                            ///< eigenvectors of H for the predicted Σ and b (≥ 1; clamped to p)
  top_eigenpairs_options eigen{};              ///< Lanczos options (curvature/lanczos.hpp)
  bool predict_bias = true;                ///< compute the predicted b from ∇·D
  bool track_train_loss = true;            ///< also record U_tr(θ_t) (N_tr values per record)
  bool keep_iterates = false;              ///< return the records in `iterates` (p×n)
  project_shift_options shift{};           ///< options of the eq-12 projection
  /// Fewer effective samples of the mean test loss (variance over s.e.², from batch means):
  /// tolerance_not_met.
  double min_effective_samples = 50;
  /// Above it (lag-1 correlation of the mean test loss's batch means): tolerance_not_met (the
  /// lag-1 correlation of b independent batch means has sd ≈ 1/√b, 0.22 at b = 20).
  double max_batch_autocorrelation = 0.5;
  std::uint64_t seed = 0;                  ///< Philox seed of the SGD run
};

/// Measured and predicted terms of eq 4 near one train minimum (see the header comment).
struct test_loss_terms_result : result_base {
  // measured from the SGD records
  double mean_test_loss = 0;                   ///< mean_t U_test(θ_t)
  double mean_test_loss_standard_error = 0;    ///< batch means
  double mean_test_loss_autocorrelation = 0;   ///< lag-1 correlation of its batch means
  double effective_samples = 0;                ///< var_t U_test(θ_t) / s.e.²
  double mean_train_loss = 0;                  ///< mean_t U_tr(θ_t) (NaN unless track_train_loss)
  double mean_train_loss_standard_error = 0;
  vector iterate_mean;                         ///< θ̄
  vector measured_bias;                        ///< θ_tr − θ̄
  covariance_curvature_estimate_result measured_covariance_curvature;  ///< ½tr(C_test Σ) ± s.e.
  decomposition_terms measured;                ///< eq 4 with the measured Σ and b
  matrix iterates;                             ///< p×n records (only with keep_iterates)
  // predicted
  lyapunov_covariance_result predicted_covariance;  ///< Σ ≈ Q S Qᵀ (Lyapunov in the top-k span)
  vector divergence;                           ///< ∇·D(θ_tr) (empty unless predict_bias)
  vector predicted_bias;                       ///< (T/2) Q diag(1/λ) Qᵀ ∇·D (zero unless predict_bias)
  decomposition_terms predicted;               ///< eq 4 with the predicted Σ and b
  // shared
  double test_depth = 0;                       ///< U_test(θ_test)
  double train_depth = 0;                      ///< U_tr(θ_tr) (without SGD's (α/2)|θ|²)
  vector shift;                                ///< s = θ_test − θ_tr
  double shift_curvature = 0;                  ///< ½ sᵀ C_test s
  project_shift_result projected_shift;     ///< eq 12: s_P and the rank of the test gradients
  double projected_shift_curvature = 0;        ///< ½ s_Pᵀ C_test s_P
  double temperature = 0;                      ///< T = λ/B
  index parameters = 0;                        ///< p
  index train_samples = 0, test_samples = 0;   ///< N_tr, N_test
  index k = 0;                                 ///< eigenvectors used
  index burn_in = 0, steps = 0, records = 0;   ///< SGD steps before, after; records n
  long test_hvps = 0;                          ///< products of C_test
  long train_operator_applications = 0;        ///< products of H and D
};

namespace detail::test_loss_terms_impl {

/// x ↦ A x + shift·x.
template <class Op>
struct shifted_operator {
  const Op* op;
  double shift;
  index size() const { return static_cast<index>(op->size()); }
  void apply(const vector& x, vector& y) const {
    op->apply(x, y);
    if (shift != 0) y += shift * x;
  }
};

/// The argument checks of test_loss_terms (see its header comment for what throws).
template <class Ftr, class Fte>
void validate(std::string_view fn, const Ftr& train, const Fte& test, const vector& theta_tr, const vector& theta_test,
              const sgd_options& sgd, const test_loss_terms_options& options) {
  detail::check_sample_point(fn, train, theta_tr);
  require_size(fn, "theta_test", theta_test.size(), theta_tr.size());
  require_finite(fn, "theta_test", theta_test);
  require_dimension(fn, "theta_test", test, theta_test.size());
  const index Ntr = detail::checked_num_samples(fn, train);
  (void)detail::checked_num_samples(fn, test);
  check_sgd_options(fn, sgd, Ntr, "sgd", sgd_batch_bound::always);
  if (options.samples < 4) detail::throw_invalid(fn, "options.samples must be >= 4, got ", options.samples);
  if (options.thinning < 1) detail::throw_invalid(fn, "options.thinning must be >= 1, got ", options.thinning);
  if (options.batches < 2) detail::throw_invalid(fn, "options.batches must be >= 2, got ", options.batches);
  if (options.burn_in < 0) detail::throw_invalid(fn, "options.burn_in must be >= 0, got ", options.burn_in);
  if (options.k < 1) detail::throw_invalid(fn, "options.k must be >= 1, got ", options.k);
}

/// The SGD records of part (1): the iterates (p×n) and U_test, U_tr at each.
struct sgd_records {
  matrix iterates;
  vector test_series, train_series;
};

/// Part (1): SGD from θ_tr with the records; false (out's status numerical_issue, its step
/// counts what ran) when an iterate or a loss value is non-finite.
template <class Ftr, class Fte>
bool record_sgd(std::string_view fn, const Ftr& train, const Fte& test, const vector& theta_tr, const sgd_options& sgd,
                const test_loss_terms_options& options, test_loss_terms_result& out, sgd_records& rec) {
  const index n = options.samples;
  rec.iterates.resize(theta_tr.size(), n);
  rec.test_series.resize(n);
  rec.train_series.resize(n);
  auto on_record = [&](index t, const vector& theta) {
    rec.iterates.col(t) = theta;
    rec.test_series(t) = mean_loss(test, theta);
    rec.train_series(t) = options.track_train_loss ? mean_loss(train, theta) : 0.0;
    return std::isfinite(rec.test_series(t)) && std::isfinite(rec.train_series(t));
  };
  const sgd_record_options ro{.burn_in = options.burn_in, .records = n, .thinning = options.thinning, .seed = options.seed, .trajectory = 0};
  const sgd_record_result r = detail::run_sgd_record(fn, train, theta_tr, sgd, ro, on_record);
  detail::take_sgd_record(out, r);
  if (r.stopped)
    record_status(out, status::numerical_issue,
                  detail::message(fn, "the test or train loss became non-finite at SGD step ", r.burn_in + r.steps));
  if (is_failure(out.status)) return false;
  out.records = n;
  return true;
}

/// The measured means from the records: mean test loss (± s.e., autocorrelation, effective
/// samples by b batch means), mean train loss, θ̄ and b = θ_tr − θ̄.
template <class = void>
void summarize_records(const sgd_records& rec, index b, bool track_train_loss, const vector& theta_tr,
                              test_loss_terms_result& out) {
  const vector& test_series = rec.test_series;
  const index n = test_series.size();
  const auto st = detail::summarize_batch_means(detail::batch_means_of(test_series, b));
  out.mean_test_loss = test_series.mean();
  out.mean_test_loss_standard_error = st.standard_error;
  out.mean_test_loss_autocorrelation = st.autocorrelation;
  const double var = (test_series.array() - out.mean_test_loss).square().sum() / static_cast<double>(n - 1);
  out.effective_samples = st.standard_error > 0 ? var / (st.standard_error * st.standard_error) : static_cast<double>(n);
  if (track_train_loss) {
    out.mean_train_loss = rec.train_series.mean();
    out.mean_train_loss_standard_error =
        detail::summarize_batch_means(detail::batch_means_of(rec.train_series, b)).standard_error;
  } else {
    out.mean_train_loss = std::numeric_limits<double>::quiet_NaN();
    out.mean_train_loss_standard_error = std::numeric_limits<double>::quiet_NaN();
  }
  out.iterate_mean = rec.iterates.rowwise().mean();
  out.measured_bias = theta_tr - out.iterate_mean;
}

/// Eq 4's terms with bias `bias` and covariance-curvature `cov` (depth and shift from out).
template <class COp>
decomposition_terms eq4_terms(const COp& C, const test_loss_terms_result& out, const vector& bias, double cov) {
  decomposition_terms d;
  vector Cbias;
  C.apply(bias, Cbias);
  d.depth = out.test_depth;
  d.shift_curvature = out.shift_curvature;
  d.bias_curvature = 0.5 * bias.dot(Cbias) + out.shift.dot(Cbias);
  d.covariance_curvature = cov;
  d.total_eq7 = d.depth + d.shift_curvature;
  d.total_eq4 = d.total_eq7 + d.bias_curvature + d.covariance_curvature;
  return d;
}

/// Eq 12: s on the span of the per-test-sample gradients at θ_tr, and ½s_PᵀCs_P.
template <class Fte, class COp>
void project_shift_on_test_gradients(std::string_view fn, const Fte& test, const vector& theta_tr, const COp& C,
                                     const project_shift_options& options, test_loss_terms_result& out) {
  out.projected_shift = detail::project_shift(fn, out.shift, detail::sample_gradients(fn, test, theta_tr), options);
  record_status(out, out.projected_shift.status, out.projected_shift.message);
  vector CsP;
  C.apply(out.projected_shift.shift, CsP);
  out.projected_shift_curvature = 0.5 * out.projected_shift.shift.dot(CsP);
}

/// Part (2): Lyapunov in the top-k span of H = ∇²U_tr + αI with D + β²I, the predicted b, and
/// eq 4's predicted terms.
template <class Ftr, class COp>
void predict(std::string_view fn, const Ftr& train, const vector& theta_tr, const sgd_options& sgd,
             const test_loss_terms_options& options, const COp& C, test_loss_terms_result& out) {
  const index p = theta_tr.size();
  const double T = out.temperature;
  const hessian_operator<const Ftr&> H0(train, theta_tr);
  const gradient_covariance<const Ftr&> noise{train};
  const diffusion_operator<const gradient_covariance<const Ftr&>&> D0(noise, theta_tr);
  const shifted_operator<hessian_operator<const Ftr&>> H{&H0, sgd.alpha};
  const shifted_operator<diffusion_operator<const gradient_covariance<const Ftr&>&>> D{&D0, sgd.beta * sgd.beta};
  out.k = std::min(options.k, p);
  out.predicted_covariance = lyapunov_covariance(H, D, T, {.k = out.k, .eigen = options.eigen});
  out.train_operator_applications = out.predicted_covariance.operator_applications;
  record_status(out, out.predicted_covariance.status, out.predicted_covariance.message);
  const auto& sig = out.predicted_covariance;
  double cov_pred = std::numeric_limits<double>::quiet_NaN();
  out.predicted_bias = vector::Zero(p);
  if (!is_failure(sig.status) && sig.basis.cols() > 0) {
    cov_pred = sig.trace_with(C);
    if (options.predict_bias) {
      out.divergence = noise.divergence(theta_tr);
      if (!out.divergence.allFinite()) {
        record_status(out, status::numerical_issue, detail::message(fn, "the divergence of D is not finite"));
      } else {
        vector c = sig.basis.transpose() * out.divergence;
        for (index j = 0; j < c.size(); ++j) c(j) = sig.curvatures(j) > 0 ? c(j) / sig.curvatures(j) : 0.0;
        out.predicted_bias = 0.5 * T * (sig.basis * c);
      }
    }
  }
  out.predicted = eq4_terms(C, out, out.predicted_bias, cov_pred);
}

/// The quality flags of the measured mean test loss (tolerance_not_met).
template <class = void>
void flag_quality(std::string_view fn, const test_loss_terms_options& options, test_loss_terms_result& out) {
  if (out.effective_samples < options.min_effective_samples)
    record_status(out, status::tolerance_not_met,
                  detail::message(fn, "the mean test loss rests on ", out.effective_samples, " effective samples (< ",
                                  options.min_effective_samples, "): lengthen samples or thinning"));
  else if (out.mean_test_loss_autocorrelation > options.max_batch_autocorrelation)
    record_status(out, status::tolerance_not_met,
                  detail::message(fn, "the batch means of the test loss are correlated (lag-1 ",
                                  out.mean_test_loss_autocorrelation, " > ", options.max_batch_autocorrelation,
                                  "): its standard error is too small; lengthen thinning"));
}

}  // namespace detail::test_loss_terms_impl

/// Eq 4's terms, measured from SGD and predicted (see the header comment).
/// (1) SGD (dynamics/sgd.hpp, sgd_record on `train`, Philox (seed, trajectory 0), eq 13 when
///     α, β ≠ 0) runs from θ_tr: burn_in steps, then `samples` records, one every `thinning`
///     steps; at each record U_test(θ_t) (and U_tr(θ_t)).  Measured: mean_test_loss ± s.e. by
///     batch means, θ̄ = the mean of the records, b = θ_tr − θ̄, and ½tr(C_test Σ) by
///     covariance_curvature_estimate (one HVP of C_test = ∇²U_test(θ_test) per record, with its
///     own batch-means s.e. and mean correction).
/// (2) Predicted Σ: lyapunov_covariance (generalization/stationary_covariance.hpp) of
///     H = ∇²U_tr(θ_tr) + αI (HVPs) and D = D(θ_tr) + β²I (gradient_covariance: the loss's
///     covariance_apply when it has one), top-k Lanczos span Q of H; ½tr(C_test Σ) = k HVPs of
///     C_test.  Predicted b: THEORY.md's first-order bias (T/2) H⁻¹ ∇·D(θ_tr), solved in the SAME
///     span (b = (T/2) Q diag(1/λ) Qᵀ ∇·D; directions outside Q and λ ≤ 0 are dropped).  ∇·D is
///     gradient_covariance::divergence: the loss's covariance_divergence when it has one (the
///     network adapter's: exact, or Hutchinson above its size limit), otherwise per-sample
///     Hessians formed one at a time (p×p each: small p only; set predict_bias = false for a
///     large loss without covariance_divergence).  Note: this b is the shift of the MODE of ρ;
///     the iterate mean obeys E[∇U_tr(θ) + αθ] = 0 exactly in stationarity, so when U_tr is
///     quadratic the measured b is 0 whatever ∇·D — measured and predicted b agree only where the
///     mode and the mean of ρ do.
/// (3) Eq 4's terms (generalization/decomposition.hpp's decomposition_terms), measured and
///     predicted, share depth U_test(θ_test) and shift-curvature ½sᵀC_test s, s = θ_test − θ_tr;
///     bias-curvature ½bᵀCb + sᵀCb with the measured or predicted b; covariance-curvature ½tr(CΣ)
///     measured or predicted; total_eq4 the sum, total_eq7 depth + shift.  Eq 12: s projected
///     on the span of the per-test-sample gradients at θ_tr (project_shift, generalization/
///     shift.hpp: a thin SVD of the N_test×p gradients) and its ½s_PᵀCs_P, reported beside.
/// For a quadratic test loss mean_test_loss = measured.total_eq4 − mean_correction up to rounding;
/// otherwise the gap is the cubic and higher Taylor terms over the iterates' spread.
/// Cost: burn_in + samples·thinning SGD steps (B per-sample gradients each); samples·(N_test
/// values [+ N_tr values]) for the losses; samples + batches + k + 3 HVPs of C_test; Lanczos' HVPs
/// of H and k products of D; ∇·D once; the N_test per-sample gradients once.  Memory p·samples
/// for the records.  On failure the fields hold what was computed.
template <class Ftr, class Fte>
  requires per_sample_loss<Ftr> && per_sample_loss<Fte>
test_loss_terms_result test_loss_terms(const Ftr& train, const Fte& test, const vector& theta_tr,
                                       const vector& theta_test, const sgd_options& sgd,
                                       const test_loss_terms_options& options = {}) {
  constexpr std::string_view fn = "test_loss_terms";
  using namespace detail::test_loss_terms_impl;
  validate(fn, train, test, theta_tr, theta_test, sgd, options);

  test_loss_terms_result out;
  out.temperature = sgd.temperature();
  out.parameters = theta_tr.size();
  out.train_samples = detail::checked_num_samples(fn, train);
  out.test_samples = detail::checked_num_samples(fn, test);
  out.shift = theta_test - theta_tr;
  out.test_depth = mean_loss(test, theta_test);
  out.train_depth = mean_loss(train, theta_tr);

  // (1) SGD from θ_tr and the measured means.
  sgd_records rec;
  if (!record_sgd(fn, train, test, theta_tr, sgd, options, out, rec)) return out;
  const index n = options.samples;
  const index b = n < 2 * options.batches ? std::max<index>(2, n / 2) : options.batches;
  summarize_records(rec, b, options.track_train_loss, theta_tr, out);

  // C_test at θ_test (HVPs): the measured terms.
  const hessian_operator<const Fte&> C(test, theta_test);
  out.measured_covariance_curvature = covariance_curvature_estimate(C, rec.iterates, {.batches = b});
  record_status(out, out.measured_covariance_curvature.status, out.measured_covariance_curvature.message);
  vector Cs;
  C.apply(out.shift, Cs);
  out.shift_curvature = 0.5 * out.shift.dot(Cs);
  out.measured = eq4_terms(C, out, out.measured_bias, out.measured_covariance_curvature.value);

  project_shift_on_test_gradients(fn, test, theta_tr, C, options.shift, out);
  predict(fn, train, theta_tr, sgd, options, C, out);  // (2)
  out.test_hvps = C.applications();

  flag_quality(fn, options, out);
  if (options.keep_iterates) out.iterates = std::move(rec.iterates);
  const std::string head = detail::message(fn, "");
  if (!out.message.empty() && out.message.rfind(head, 0) != 0) out.message = head + out.message;
  return out;
}

}  // namespace shiftcurv
