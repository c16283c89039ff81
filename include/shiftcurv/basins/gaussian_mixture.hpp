// shiftcurv/basins/gaussian_mixture.hpp — the Gaussian-mixture (Laplace) approximation of the
// steady state ρ ∝ exp(−2v/T), eq 6 and 25 (THEORY.md, "Gaussian-mixture / Laplace
// approximation"; higher orders: "Higher-order minima").
//
//   std::vector<shiftcurv::vector> seeds = {...};                 // near the minima of U_tr
//   auto gm = shiftcurv::gaussian_mixture(loss, noise, T, seeds);
//   if (!gm) std::cerr << gm.message << '\n';                     // flagged or failed components
//   for (const auto& c : gm.components)
//     use(c.theta_train, c.mu, c.covariance, c.bias, c.weight, c.status, c.width_ratio, c.curl);
//   auto r = shiftcurv::laplace_ratio_1d(gm, steady);             // w_k / exact P_k (1-D)
//
// Contract.  One component per seed, in the seeds' order: θ_k (the minimum of U_tr found from
// the seed, or the seed itself), µ_k (the minimum of v near θ_k), ∇²v(µ_k), Σ_k =
// (T/2)[∇²v(µ_k)]⁻¹ (`covariance`), b_k = θ_k − µ_k (`bias`) and its first-order form, and the
// weight w_k ∝ exp(−(2/T)v(µ_k))·|∇²v(µ_k)|^{−1/2}, normalized in log space (no overflow or NaN
// for weights 10^300 apart or as T → 0).  v(µ_k) is measured from µ_reference by line
// integrals, which needs V curl-free: the curl is measured at every µ_k (a few V evaluations).
// The weights are an asymptotic approximation (relative error O(T) for width_ratio ≪ 1); the
// numerical parts (minima to ~1e-10 in ∇U, line integrals to 1e-12) are far more accurate.
// Status, per component and for the result (one rule: record_status, core/status.hpp):
//  * FLAGGED — assumption_violated: the basin is wider than max_width_ratio × its distance to the
//    barrier (basins overlap: the Laplace weight is rough), or V has a relative curl above
//    curl_threshold at µ_k (Assumption 1 fails; the measured value is in `curl` and `message`);
//    tolerance_not_met: a line integral missed its tolerance.  The component keeps its weight.
//  * FAILED — a minimum not found, ∇²v(µ_k) not positive definite, a non-finite mass: weight 0,
//    log_weight −∞, and the remaining weights are renormalized (said in `message`).
// The result's status is the worst component status (a failure outranks a flag); its message
// collects the components' messages.  The weights of the non-failed components sum to 1.
// Throws invalid_argument (no seeds, NaN, sizes that disagree or differ from the loss's or
// noise's dimension(), reference out of range, bad options) and domain_error (T ≤ 0, D not
// positive definite at a seed or where evaluated), naming gaussian_mixture.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/tools/toms748_solve.hpp>

#include "shiftcurv/basins/higher_order.hpp"
#include "shiftcurv/basins/minima.hpp"
#include "shiftcurv/core/detail/spd.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/io/csv_table.hpp"
#include "shiftcurv/potential/curl.hpp"
#include "shiftcurv/potential/effective_potential.hpp"
#include "shiftcurv/potential/potential_gradient.hpp"

namespace shiftcurv {

struct gaussian_mixture_options {
  find_minimum_options minimize{};  ///< Newton options for θ_k and µ_k (optimize/find_minimum.hpp)
  line_integral_options integral{.tolerance = 1e-12};  ///< line-integral options for v(µ_k)
  std::size_t reference = 0;        ///< the component whose µ has v = 0
  bool refine_train_minima = true;  ///< run find_minimum from each seed (else seeds are θ_k)
  int max_order = 2;                ///< > 2: detect flat (higher-order, Appendix E) directions up to this even J
  double order_radius = 0;          ///< fit radius for higher orders; 0: ¼·distance to nearest µ
  int barrier_scan_points = 64;     ///< samples per segment when locating the barrier towards each other µ
  double max_width_ratio = 1.0;     ///< above it a component's status is assumption_violated
  bool check_curl = true;           ///< measure the curl of V at each µ_k (Assumption 1; 2p V evaluations per component)
  double curl_threshold = 1e-6;     ///< relative antisymmetry of ∂V/∂θ above which Assumption 1 is flagged
};

struct mixture_component {
  vector theta_train;        ///< θ_k, minimum of U_tr
  vector mu;                 ///< µ_k, minimum of v
  matrix covariance;         ///< Σ_k = (T/2)[∇²v(µ_k)]⁻¹ (exact moments along higher-order directions)
  vector bias;               ///< b_k = θ_k − µ_k
  vector bias_first_order;   ///< (T/2)(C_k^tr)⁻¹(∇·D)(µ_k); NaN (and said in message) if C singular
  double v_mu = 0;           ///< v(µ_k) − v(µ_reference)
  double log_mass = 0;       ///< unnormalized log weight; −∞ for a failed component
  double log_weight = 0;     ///< normalized: log w_k
  double weight = 0;         ///< w_k (0 for a failed component)
  shiftcurv::status status = shiftcurv::status::success;  ///< flagged or failed: see the header
  std::string message;       ///< why, when status is not success (also notes)
  matrix hessian_v;          ///< ∇²v(µ_k), symmetrized
  std::vector<int> orders;   ///< J_i per principal direction (all 2 unless max_order > 2)
  vector lambdas;            ///< λ_i (eigenvalues of ∇²v for J = 2, J-th derivatives otherwise)
  double width = 0;          ///< √(largest eigenvalue of Σ_k)
  double barrier_distance = std::numeric_limits<double>::infinity();  ///< to the nearest barrier
  double width_ratio = 0;    ///< width / barrier_distance (≪ 1: the Laplace weight is reliable)
  double curl = std::numeric_limits<double>::quiet_NaN();  ///< relative curl of V at µ_k (NaN: not measured)
};

struct gaussian_mixture_result : result_base {
  std::vector<mixture_component> components;
};

namespace detail {

/// Distance from a along the segment a → b to the first point where v stops increasing
/// (|b − a| when it increases all the way).  `fn` names the public function for errors.
template <class Loss, class Noise>
double barrier_along(std::string_view fn, const Loss& loss, const Noise& noise, double T, const vector& a,
                     const vector& b, int n, long& evals) {
  require_temperature(fn, T);
  require_size(fn, "the end of a barrier segment", b.size(), a.size());
  require_finite(fn, "the start of a barrier segment", a);
  require_finite(fn, "the end of a barrier segment", b);
  if (n < 2) throw_invalid(fn, "barrier_scan_points must be >= 2, got ", n);
  const vector d = b - a;
  if (d.norm() == 0) return 0;
  auto phi = segment_integrand(fn, loss, noise, T, a, d, evals);
  double t_prev = 0, f_prev = 0;
  bool have_prev = false;
  for (int i = 1; i < n; ++i) {
    const double t = static_cast<double>(i) / n;
    const double f = phi(t);
    if (f <= 0) {
      if (!have_prev || f == 0) return t * d.norm();
      std::uintmax_t it = 100;
      const auto br = boost::math::tools::toms748_solve(phi, t_prev, t, f_prev, f,
                                                        boost::math::tools::eps_tolerance<double>(40), it);
      return 0.5 * (br.first + br.second) * d.norm();
    }
    t_prev = t;
    f_prev = f;
    have_prev = true;
  }
  return d.norm();  // monotone all the way: the other minimum is not separated by a barrier
}

/// Largest eigenvalue of a symmetric matrix: exact (eigenvalues only) up to p = 200, else
/// the largest Ritz value of 60 Lanczos steps with full reorthogonalization (a lower bound
/// within the spread of the top cluster, ample for a width diagnostic).  A template of
/// nothing (see core/types.hpp).
template <class Matrix = matrix>
double largest_eigenvalue(const Matrix& S) {
  const index p = S.rows();
  if (p <= 200) return Eigen::SelfAdjointEigenSolver<matrix>(S, Eigen::EigenvaluesOnly).eigenvalues().maxCoeff();
  const index m = 60;
  matrix Q(p, m);
  vector alpha(m), beta(m);
  vector q = vector::Ones(p) / std::sqrt(static_cast<double>(p));
  index k = 0;
  for (; k < m; ++k) {
    Q.col(k) = q;
    vector w = S * q;
    alpha(k) = q.dot(w);
    w -= Q.leftCols(k + 1) * (Q.leftCols(k + 1).transpose() * w);  // full reorthogonalization
    w -= Q.leftCols(k + 1) * (Q.leftCols(k + 1).transpose() * w);  // twice is enough
    beta(k) = w.norm();
    if (!(beta(k) > 1e-14 * std::abs(alpha(k)))) { ++k; break; }
    q = w / beta(k);
  }
  Eigen::SelfAdjointEigenSolver<matrix> tri;
  tri.computeFromTridiagonal(alpha.head(k), beta.head(std::max<index>(k - 1, 0)), Eigen::EigenvaluesOnly);
  return tri.eigenvalues().maxCoeff();
}

namespace mixture_impl {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

template <class... Parts>
std::string text(const Parts&... parts) {
  std::ostringstream os;
  os.precision(6);
  (os << ... << parts);
  return os.str();
}

/// Throws (naming `fn`) unless D(θ) is p×p, finite, symmetric and positive definite at seed `k`.
template <class Noise>
void check_diffusion_at(std::string_view fn, const Noise& noise, const vector& theta, std::size_t k) {
  const matrix D = noise.matrix(theta);
  const index p = theta.size();
  if (D.rows() != p || D.cols() != p)
    throw_invalid(fn, "the diffusion model gives a ", D.rows(), "x", D.cols(), " matrix D(theta) at train minimum ", k,
                  ", expected ", p, "x", p, " (the size of theta)");
  require_symmetric(fn, D);
  checked_cholesky(fn, "D(theta) at train minimum " + std::to_string(k), D);
}

// The calls into potential/ (argument order settled there) are gathered here.
template <class Loss, class Noise>
matrix hessian_of_v(const Loss& loss, const Noise& noise, double T, const vector& mu) {
  return detail::potential_hessian_at("gaussian_mixture", loss, noise, T, mu);
}
template <class Loss, class Noise>
curl_diagnostic_result curl_at(const Loss& loss, const Noise& noise, double T, const vector& mu, double threshold) {
  return curl_diagnostic(loss, noise, T, mu, curl_diagnostic_options{.threshold = threshold});
}

/// Step 0: validate the input (throws naming `fn`); returns p.
template <class Loss, class Noise>
index check_input(std::string_view fn, const Loss& loss, const Noise& noise, double T,
                  const std::vector<vector>& seeds, const gaussian_mixture_options& options) {
  require_temperature(fn, T);
  if (seeds.empty()) throw_invalid(fn, "need at least one train minimum (seed)");
  const index p = seeds.front().size();
  if (p < 1) throw_invalid(fn, "train minima must not be empty vectors");
  for (const vector& s : seeds) {
    require_size(fn, "a train minimum", s.size(), p);
    require_finite(fn, "a train minimum", s);
  }
  require_dimension(fn, "a train minimum", loss, p);
  require_dimension(fn, "a train minimum", noise, p);
  for (std::size_t k = 0; k < seeds.size(); ++k) check_diffusion_at(fn, noise, seeds[k], k);
  if (options.reference >= seeds.size())
    throw_invalid(fn, "reference index ", options.reference, " out of range (", seeds.size(), " minima)");
  if (options.max_order < 2 || options.max_order % 2 != 0 || options.max_order > 20)
    throw_invalid(fn, "max_order must be even in 2..20, got ", options.max_order);
  require_finite(fn, "order_radius", options.order_radius);
  if (options.barrier_scan_points < 2)
    throw_invalid(fn, "barrier_scan_points must be >= 2, got ", options.barrier_scan_points);
  if (!(options.max_width_ratio > 0)) throw_invalid(fn, "max_width_ratio must be > 0, got ", options.max_width_ratio);
  if (options.check_curl) require_positive(fn, "curl_threshold", options.curl_threshold);
  return p;
}

/// Step 1: θ_k (find_minimum unless refine is off), µ_k (find_potential_minimum), b_k.
template <class Loss, class Noise>
void locate(const Loss& loss, const Noise& noise, double T, const vector& seed, const gaussian_mixture_options& options,
            mixture_component& c, long& evals) {
  if (options.refine_train_minima) {
    const minimum_result m = detail::find_minimum("gaussian_mixture", loss, seed, options.minimize);
    evals += m.evaluations;
    c.theta_train = m.theta;
    if (!m.ok()) record_status(c, m.status, "train minimum: " + m.message);
  } else {
    c.theta_train = seed;
  }
  const minimum_result mu = detail::find_potential_minimum("gaussian_mixture", loss, noise, T, c.theta_train, options.minimize);
  evals += mu.evaluations;
  c.mu = mu.theta;
  if (!mu.ok()) record_status(c, mu.status, "potential minimum: " + mu.message);
  c.bias = c.theta_train - c.mu;
}

/// Step 2: the first-order bias (T/2)(C_k^tr)⁻¹(∇·D)(µ_k); NaN with a note where C is singular.
template <class Loss, class Noise>
void first_order_bias(const Loss& loss, const Noise& noise, double T, mixture_component& c) {
  const index p = c.mu.size();
  const vector div = noise.divergence(c.mu);
  if (div.norm() == 0) {  // no divergence: the bias vanishes at this order
    c.bias_first_order = vector::Zero(p);
    return;
  }
  const matrix C = hessian_unchecked(loss, c.theta_train);
  const matrix Cs = 0.5 * (C + C.transpose());
  const double floor = 1e-14 * std::max(1.0, Cs.cwiseAbs().maxCoeff());
  vector b1;
  bool singular = true;
  Eigen::LLT<matrix> llt(Cs);  // a minimum: usually PD, and Cholesky is the fast route
  if (llt.info() == Eigen::Success && llt.matrixLLT().diagonal().minCoeff() > std::sqrt(floor)) {
    b1 = (0.5 * T) * llt.solve(div);
    singular = !b1.allFinite();
  } else {
    Eigen::LDLT<matrix> ldlt(Cs);
    b1 = (0.5 * T) * ldlt.solve(div);
    singular = ldlt.info() != Eigen::Success || !b1.allFinite() || ldlt.vectorD().cwiseAbs().minCoeff() <= floor;
  }
  if (singular) {
    b1.setConstant(nan);
    append_note(c, "C_k^tr is singular: the first-order bias is undefined (NaN)");
  }
  c.bias_first_order = b1;
}

/// Step 3a (higher orders): the order J and coefficient λ of one principal direction u of
/// ∇²v (eigenvalue lam2); returns false (and records a failure) if no even derivative confines.
template <class Loss, class Noise>
bool direction_order(const Loss& loss, const Noise& noise, double T, mixture_component& c, const vector& u,
                     double lam2, double radius, int max_order, int& J_out, double& lambda_out) {
  const std::vector<double> t = potential_taylor_coefficients(loss, noise, T, c.mu, u, max_order, radius);
  int best_J = 0;
  double best_w = inf, best_l = 0, second_w = inf;
  for (int J = 2; J <= max_order; J += 2) {
    const double lJ = J == 2 ? lam2 : t[J];
    if (!(lJ > 0)) continue;
    const double w = std::exp((std::log(T) + boost::math::lgamma(J + 1.0) - std::log(2 * lJ)) / J);  // width
    if (w < best_w) {
      second_w = best_w;
      best_w = w;
      best_J = J;
      best_l = lJ;
    } else if (w < second_w) {
      second_w = w;
    }
  }
  if (best_J == 0) {
    record_status(c, status::numerical_issue,
                  "no positive even derivative up to order " + std::to_string(max_order) + " along a principal direction");
    return false;
  }
  if (second_w < 10 * best_w && best_J != 2)
    append_note(c, "orders compete along a principal direction (widths within 10x): higher-order weight is rough");
  J_out = best_J;
  lambda_out = best_l;
  return true;
}

/// Step 3: ∇²v(µ_k), Σ_k, orders, width; returns the log of the Gaussian (or Appendix E)
/// integral without the exp(−(2/T)v) factor, NaN where ∇²v does not confine (a failure).
template <class Loss, class Noise>
double laplace_shape(const Loss& loss, const Noise& noise, double T, mixture_component& c,
                     const gaussian_mixture_options& options, double radius, long& evals) {
  const index p = c.mu.size();
  const matrix Hv = hessian_of_v(loss, noise, T, c.mu);
  c.hessian_v = 0.5 * (Hv + Hv.transpose());
  c.orders.assign(p, 2);
  if (options.max_order == 2 && p > 64) {  // Cholesky route: no eigen-decomposition
    Eigen::LLT<matrix> llt(c.hessian_v);
    c.lambdas = vector();              // eigenvalues not computed on this route
    if (llt.info() != Eigen::Success) {
      record_status(c, status::numerical_issue, "the Hessian of v at mu is not positive definite");
      c.covariance = matrix::Constant(p, p, nan);
      c.width = inf;
      return nan;
    }
    const double logdet = 2 * llt.matrixLLT().diagonal().array().log().sum();
    c.covariance = (0.5 * T) * llt.solve(matrix::Identity(p, p));
    c.width = std::sqrt(std::max(largest_eigenvalue(c.covariance), 0.0));
    return 0.5 * static_cast<double>(p) * std::log(std::numbers::pi * T) - 0.5 * logdet;
  }
  Eigen::SelfAdjointEigenSolver<matrix> es(c.hessian_v);
  const vector lam = es.eigenvalues();
  const matrix Q = es.eigenvectors();
  c.lambdas = lam;
  vector var(p);
  double log_factor = 0;  // Σ_i log[2Γ(1+1/J)(T J!/(2λ))^{1/J}]
  bool confined = true;
  for (index i = 0; i < p; ++i) {
    int J = 2;
    double l = lam(i);
    if (options.max_order > 2) {
      evals += 13;
      if (!direction_order(loss, noise, T, c, vector(Q.col(i)), lam(i), radius, options.max_order, J, l)) {
        confined = false;
        var(i) = inf;
        continue;
      }
    } else if (!(l > 0)) {
      confined = false;
      var(i) = inf;
      continue;
    }
    c.orders[i] = J;
    c.lambdas(i) = l;
    var(i) = J == 2 ? 0.5 * T / l : basin_variance(T, J, l);
    log_factor += J == 2 ? 0.5 * std::log(std::numbers::pi * T / l) : basin_log_mass(0.0, T, {J}, {l});
  }
  if (!confined && options.max_order == 2)
    record_status(c, status::numerical_issue,
                  "the Hessian of v at mu is not positive definite (flat or saddle): try max_order > 2");
  c.covariance = Q * var.asDiagonal() * Q.transpose();
  c.width = std::sqrt(var.maxCoeff());
  return confined ? log_factor : nan;
}

/// Step 4: v(µ_k) − v(µ_reference) by line integrals.
template <class Loss, class Noise>
void potentials(const Loss& loss, const Noise& noise, double T, std::vector<mixture_component>& cs,
                const gaussian_mixture_options& options, long& evals) {
  const vector ref = cs[options.reference].mu;
  for (std::size_t k = 0; k < cs.size(); ++k) {
    mixture_component& c = cs[k];
    if (k == options.reference) {
      c.v_mu = 0;
      continue;
    }
    const line_integral_result li = effective_potential(loss, noise, T, ref, c.mu, options.integral);
    evals += li.evaluations;
    c.v_mu = li.value;
    if (!li.ok()) record_status(c, li.status, "line integral from the reference: " + li.message);
  }
}

/// Step 5: validity flags — the width against the distance to the nearest barrier, and the
/// curl of V at µ_k (Assumption 1).
template <class Loss, class Noise>
void diagnose(std::string_view fn, const Loss& loss, const Noise& noise, double T, std::vector<mixture_component>& cs,
              const gaussian_mixture_options& options, long& evals) {
  for (std::size_t k = 0; k < cs.size(); ++k) {
    mixture_component& c = cs[k];
    for (std::size_t j = 0; j < cs.size(); ++j) {
      if (j == k || (cs[j].mu - c.mu).norm() == 0) continue;
      const double d = barrier_along(fn, loss, noise, T, c.mu, cs[j].mu, options.barrier_scan_points, evals);
      c.barrier_distance = std::min(c.barrier_distance, d);
    }
    c.width_ratio = std::isfinite(c.barrier_distance) ? c.width / c.barrier_distance : 0.0;
    if (c.width_ratio > options.max_width_ratio)
      record_status(c, status::assumption_violated,
                    text("the basin is wider than ", options.max_width_ratio, " x the distance to its barrier (width_ratio ",
                         c.width_ratio, "): the Laplace weight is rough"));
    if (options.check_curl) {
      const curl_diagnostic_result cd = curl_at(loss, noise, T, c.mu, options.curl_threshold);
      evals += cd.evaluations;
      c.curl = cd.relative_antisymmetry;
      if (cd.status == status::assumption_violated)
        record_status(c, status::assumption_violated,
                      text("V has curl at mu (Assumption 1 fails): relative antisymmetry of dV/dtheta ", c.curl,
                           " > curl_threshold ", options.curl_threshold, "; v(mu_k) and the weights depend on the path"));
      else if (!cd.ok())
        append_note(c, "the curl of V at mu could not be measured: " + cd.message);
    }
  }
}

/// Step 6: log-sum-exp normalization; failed components get weight 0 and the others are
/// renormalized (the rule of the header comment), said in the result's message.
inline void normalize(std::vector<mixture_component>& cs, double T, result_base& out) {
  double lmax = -inf;
  for (std::size_t k = 0; k < cs.size(); ++k) {
    mixture_component& c = cs[k];
    const bool usable = !is_failure(c.status) && std::isfinite(c.log_mass) && std::isfinite(c.v_mu);
    if (!usable && !is_failure(c.status))
      record_status(c, status::numerical_issue, "the Laplace mass is not finite");
    c.log_mass = usable ? c.log_mass - 2 / T * c.v_mu : -inf;
    if (!usable)
      append_note(out, "component " + std::to_string(k) + " failed (" + std::string(to_string(c.status)) +
                           "): weight 0, the other weights renormalized");
    lmax = std::max(lmax, c.log_mass);
  }
  if (!(lmax > -inf)) {
    for (mixture_component& c : cs) {
      c.log_weight = -inf;
      c.weight = 0;
    }
    return;
  }
  double z = 0;
  for (const mixture_component& c : cs) z += std::exp(c.log_mass - lmax);
  const double lz = lmax + std::log(z);
  for (mixture_component& c : cs) {
    c.log_weight = c.log_mass - lz;
    c.weight = std::exp(c.log_weight);
  }
}

/// Steps 1–6 on validated input.
template <class Loss, class Noise>
gaussian_mixture_result run(std::string_view fn, const Loss& loss, const Noise& noise, double T,
                            const std::vector<vector>& seeds, const gaussian_mixture_options& options) {
  gaussian_mixture_result out;
  const std::size_t K = seeds.size();
  out.components.resize(K);
  for (std::size_t k = 0; k < K; ++k) {
    mixture_component& c = out.components[k];
    locate(loss, noise, T, seeds[k], options, c, out.evaluations);
    first_order_bias(loss, noise, T, c);
    double radius = options.order_radius;  // higher orders: a quarter of the distance to the nearest other seed
    if (options.max_order > 2 && !(radius > 0)) {
      double dmin = inf;
      for (std::size_t j = 0; j < K; ++j)
        if (j != k) dmin = std::min(dmin, (seeds[j] - c.mu).norm());
      radius = std::isfinite(dmin) ? 0.25 * dmin : 0.25 * std::max(1.0, c.mu.norm());
    }
    c.log_mass = laplace_shape(loss, noise, T, c, options, radius, out.evaluations);
  }
  potentials(loss, noise, T, out.components, options, out.evaluations);
  diagnose(fn, loss, noise, T, out.components, options, out.evaluations);
  normalize(out.components, T, out);
  const std::string weights_note = out.message;
  out.message.clear();
  for (std::size_t k = 0; k < K; ++k) {
    const mixture_component& c = out.components[k];
    if (c.status != status::success) record_status(out, c.status, "component " + std::to_string(k) + ": " + c.message);
  }
  append_note(out, weights_note);
  if (!out.message.empty()) out.message = message(fn, out.message);
  return out;
}

}  // namespace mixture_impl
}  // namespace detail

/// The Gaussian mixture of the steady state at T from seeds near the minima of U_tr (see the
/// header comment for the contract and the status rule).
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
gaussian_mixture_result gaussian_mixture(const Loss& loss, const Noise& noise, double T,
                                         const std::vector<vector>& train_minima, const gaussian_mixture_options& options = {}) {
  constexpr std::string_view fn = "gaussian_mixture";
  detail::mixture_impl::check_input(fn, loss, noise, T, train_minima, options);
  return detail::as_called_by(fn, [&] { return detail::mixture_impl::run(fn, loss, noise, T, train_minima, options); });
}

/// In 1-D: w_k / P_k, the Laplace weight over the exact probability of the basin of `steady`
/// (a steady_state_1d, basins/steady_state_1d.hpp) that contains θ_k, computed from the logs
/// (finite where both underflow); NaN for a component whose θ_k lies in no basin of `steady`.
/// Throws invalid_argument for components that are not 1-D or a non-finite θ_k.
template <class Steady>
  requires requires(const Steady& s) { s.basins().front().log_probability; }
std::vector<double> laplace_ratio_1d(const gaussian_mixture_result& gm, const Steady& steady) {
  constexpr std::string_view fn = "laplace_ratio_1d";
  if (gm.components.empty()) detail::throw_invalid(fn, "the mixture has no components");
  std::vector<double> out;
  for (std::size_t k = 0; k < gm.components.size(); ++k) {
    const mixture_component& c = gm.components[k];
    if (c.theta_train.size() != 1)
      detail::throw_invalid(fn, "components must be 1-D, component ", k, " has size ", c.theta_train.size());
    require_finite(fn, "theta_train of a component", c.theta_train);
    double r = std::numeric_limits<double>::quiet_NaN();
    for (const auto& b : steady.basins())
      if (c.theta_train(0) >= b.lower && c.theta_train(0) <= b.upper) {
        r = std::exp(c.log_weight - b.log_probability);
        break;
      }
    out.push_back(r);
  }
  return out;
}

/// The result as a CSV table (io/csv.hpp writes it): one row per component: component, status, weight, log_weight, v_mu, width,
/// width_ratio, theta_train_i, mu_i, bias_i, covariance_i_j (p² entries, row-major), message.
inline csv_table to_table(const gaussian_mixture_result& r) {
  const long p = r.components.empty() ? 0 : static_cast<long>(r.components.front().mu.size());
  std::vector<std::string> h{"component", "status", "weight", "log_weight", "v_mu", "width", "width_ratio"};
  detail::append_indexed(h, "theta_train", p);
  detail::append_indexed(h, "mu", p);
  detail::append_indexed(h, "bias", p);
  for (long i = 0; i < p; ++i) detail::append_indexed(h, "covariance_" + std::to_string(i), p);
  h.push_back("message");
  csv_table t(std::move(h));
  long k = 0;
  for (const auto& c : r.components) {
    std::vector<csv_cell> row{k++, std::string(to_string(c.status)), c.weight, c.log_weight, c.v_mu, c.width,
                              c.width_ratio};
    // A failed component may carry empty vectors: its fields are written as nan.
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    auto entry = [](const auto& v, long i) { return i < static_cast<long>(v.size()) ? double(v(i)) : nan; };
    for (const auto* v : {&c.theta_train, &c.mu, &c.bias})
      for (long i = 0; i < p; ++i) row.emplace_back(entry(*v, i));
    for (long i = 0; i < p; ++i)
      for (long j = 0; j < p; ++j)
        row.emplace_back(i < c.covariance.rows() && j < c.covariance.cols() ? double(c.covariance(i, j)) : nan);
    row.emplace_back(c.message);
    t.add_row(std::move(row));
  }
  return t;
}

}  // namespace shiftcurv
