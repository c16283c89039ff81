// shiftcurv/basins/gaussian_mixture.hpp — the Gaussian-mixture (Laplace) approximation of the
// steady state, eq 6 and 25 (THEORY.md, "Gaussian-mixture / Laplace approximation").
//
//   std::vector<shiftcurv::vector> seeds = {...};                 // near the minima of U_tr
//   auto gm = shiftcurv::gaussian_mixture(loss, noise, T, seeds);
//   for (const auto& c : gm.components)
//     use(c.theta_train, c.mu, c.Sigma, c.bias, c.weight, c.width_ratio);
//   auto r = shiftcurv::laplace_ratio_1d(gm, steady);             // w_k / exact P_k (1-D)
//
// For each seed: θ_k = the minimum of U_tr (find_minimum, unless refine_train_minima is off),
// µ_k = the nearby minimum of v (find_potential_minimum), ∇²v(µ_k) = D⁻¹(∇²U + (T/2)∇(∇·D))
// (symmetrized), Σ_k = (T/2)[∇²v(µ_k)]⁻¹, bias b_k = θ_k − µ_k and its first-order form
// (T/2)(C_k^tr)⁻¹(∇·D)(µ_k) with C_k^tr = ∇²U_tr(θ_k).  v(µ_k) is measured from ONE reference
// point, µ_reference, by the line integral along the segment µ_reference → µ_k (so it is only
// meaningful where V is curl-free: check with potential/curl.hpp).  The unnormalized
//   log mass_k = −(2/T)v(µ_k) − ½ log|∇²v(µ_k)| + (p/2) log(πT)
// (the log of the Gaussian integral, computed from a Cholesky factorization) is normalized by
// log-sum-exp: no overflow or NaN as T → 0 or when weights differ by 10^300 (the small ones
// are then exactly 0 and their log_weight finite).
//
// Higher order (Appendix E, basins/higher_order.hpp): with max_order > 2, every principal
// direction of ∇²v(µ_k) gets the even order J ≤ max_order whose term confines first (the
// smallest width (T·J!/(2λ_J))^{1/J}, λ_J from potential_taylor_coefficients), and the mass
// uses Π 2Γ(1+1/J)(T J!/(2λ_J))^{1/J}, keeping the T-dependent factors; Σ_k then carries the
// exact second moment of each direction.  Costs ≈ 13 V evaluations per direction; the default
// (max_order = 2) uses no extra evaluations.
//
// Validity diagnostics per component: `width` = √(largest eigenvalue of Σ_k) (exact up to
// p = 200, a 60-step Lanczos estimate beyond),
// `barrier_distance` = distance from µ_k along the segment to each other µ_j to where v stops
// increasing (the barrier), minimised over j (∞ with one component), `width_ratio` = their
// quotient: the Laplace weights are trustworthy when it is ≪ 1 (their relative error is then
// O(T)); above `max_width_ratio` (default 1) the component's status is assumption_violated.  In 1-D `laplace_ratio_1d` compares the weights with the exact basin probabilities.
//
// Error: the weights are an asymptotic approximation (relative error O(T)); the numerical
// parts (minima to ~1e-10 in ∇U, line integrals to `integral.tolerance`) are far more accurate.
// Per-component trouble (a minimum not found, ∇²v(µ) not positive definite) is that
// component's status and the result's status; such a component has weight 0, log_weight −∞.
// Throws invalid_argument (no seeds, NaN, sizes, reference out of range), domain_error (T ≤ 0,
// D not positive definite where evaluated).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
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
#include "shiftcurv/basins/steady_state_1d.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/potential/effective_potential.hpp"
#include "shiftcurv/potential/potential_gradient.hpp"

namespace shiftcurv {

struct mixture_options {
  minimize_options minimize{};
  line_integral_options integral{.tolerance = 1e-12};
  std::size_t reference = 0;        ///< v(µ_reference) = 0
  bool refine_train_minima = true;  ///< run find_minimum from each seed (else seeds are θ_k)
  int max_order = 2;                ///< > 2: detect higher-order directions up to this even J
  double order_radius = 0;          ///< fit radius for higher orders; 0: ¼·barrier distance
  int barrier_scan_points = 64;     ///< samples per segment when locating barriers
  double max_width_ratio = 1.0;     ///< above it a component's status is assumption_violated
};

struct mixture_component {
  vector theta_train;        ///< θ_k, minimum of U_tr
  vector mu;                 ///< µ_k, minimum of v
  matrix Sigma;              ///< (T/2)[∇²v(µ_k)]⁻¹ (exact moments along higher-order directions)
  vector bias;               ///< θ_k − µ_k
  vector bias_first_order;   ///< (T/2)(C_k^tr)⁻¹(∇·D)(µ_k); NaN (and said in message) if C singular
  double v_mu = 0;           ///< v(µ_k) − v(µ_reference)
  double log_mass = 0;       ///< unnormalized log weight (see the header comment)
  double log_weight = 0;     ///< normalized: log w_k
  double weight = 0;         ///< w_k
  shiftcurv::status status = shiftcurv::status::success;
  std::string message;
  matrix hessian_v;          ///< ∇²v(µ_k), symmetrized
  std::vector<int> orders;   ///< J_i per principal direction (all 2 unless max_order > 2)
  vector lambdas;            ///< λ_i (eigenvalues of ∇²v for J = 2, J-th derivatives otherwise)
  double width = 0;          ///< √(largest eigenvalue of Σ_k)
  double barrier_distance = std::numeric_limits<double>::infinity();
  double width_ratio = 0;    ///< width / barrier_distance
};

struct gaussian_mixture_result : result_base {
  std::vector<mixture_component> components;
};

namespace detail {

/// Distance from a along the segment a → b to the first point where v stops increasing.
template <class Loss, class Noise>
double barrier_along(const Loss& loss, const Noise& noise, double T, const vector& a,
                     const vector& b, int n, long& evals) {
  const vector d = b - a;
  auto phi = segment_integrand("gaussian_mixture", loss, noise, T, a, d, evals);
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
/// the largest Ritz value of 60 Lanczos steps with full reorthogonalization — a lower bound
/// within the spread of the top cluster of eigenvalues, ample for a width diagnostic.
/// (Spectra's Lanczos was tried: its residual-based stopping rule needs thousands of products
/// when the top of the spectrum is clustered, as it is for Σ = (T/2)[∇²v]⁻¹.)
inline double largest_eigenvalue(const matrix& S) {
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

inline void demote(mixture_component& c, status s, const std::string& msg) {
  if (c.status == status::success) c.status = s;
  c.message += (c.message.empty() ? "" : "; ") + msg;
}

}  // namespace detail

template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
gaussian_mixture_result gaussian_mixture(const Loss& loss, const Noise& noise, double T,
                                         const std::vector<vector>& train_minima,
                                         mixture_options opt = {}) {
  constexpr std::string_view fn = "gaussian_mixture";
  require_temperature(fn, T);
  if (train_minima.empty()) detail::throw_invalid(fn, "need at least one train minimum");
  const index p = train_minima.front().size();
  if (p < 1) detail::throw_invalid(fn, "train minima must not be empty vectors");
  for (const vector& s : train_minima) {
    require_size(fn, "train minimum", s.size(), p);
    require_finite(fn, "train minimum", s);
  }
  if (opt.reference >= train_minima.size())
    detail::throw_invalid(fn, "reference index ", opt.reference, " out of range (", train_minima.size(), " minima)");
  if (opt.max_order < 2 || opt.max_order % 2 != 0 || opt.max_order > 20)
    detail::throw_invalid(fn, "max_order must be even in 2..20, got ", opt.max_order);
  require_finite(fn, "order_radius", opt.order_radius);
  if (opt.barrier_scan_points < 2) detail::throw_invalid(fn, "barrier_scan_points must be >= 2");

  gaussian_mixture_result out;
  const std::size_t K = train_minima.size();
  out.components.resize(K);
  const bool eigen_route = opt.max_order > 2 || p <= 64;

  for (std::size_t k = 0; k < K; ++k) {
    mixture_component& c = out.components[k];
    // θ_k and µ_k.
    if (opt.refine_train_minima) {
      const minimum_result m = find_minimum(loss, train_minima[k], opt.minimize);
      out.evaluations += m.evaluations;
      c.theta_train = m.theta;
      if (!m.ok()) detail::demote(c, m.status, "train minimum: " + m.message);
    } else {
      c.theta_train = train_minima[k];
    }
    const minimum_result mu = find_potential_minimum(loss, noise, T, c.theta_train, opt.minimize);
    out.evaluations += mu.evaluations;
    c.mu = mu.theta;
    if (!mu.ok()) detail::demote(c, mu.status, "potential minimum: " + mu.message);
    c.bias = c.theta_train - c.mu;
    // First-order bias (T/2) C⁻¹ ∇·D(µ).
    {
      const matrix C = detail::hessian_unchecked(loss, c.theta_train);
      const matrix Cs = 0.5 * (C + C.transpose());
      const vector div = noise.divergence(c.mu);
      vector b1;
      bool singular = true;
      if (div.norm() == 0) {
        b1 = vector::Zero(p);  // no divergence: the bias vanishes at this order
        singular = false;
      } else {
        const double floor = 1e-14 * std::max(1.0, Cs.cwiseAbs().maxCoeff());
        Eigen::LLT<matrix> llt(Cs);  // a minimum: usually PD, and Cholesky is the fast route
        if (llt.info() == Eigen::Success && llt.matrixLLT().diagonal().minCoeff() > std::sqrt(floor)) {
          b1 = (0.5 * T) * llt.solve(div);
          singular = !b1.allFinite();
        } else {
          Eigen::LDLT<matrix> ldlt(Cs);
          b1 = (0.5 * T) * ldlt.solve(div);
          singular = ldlt.info() != Eigen::Success || !b1.allFinite() ||
                     ldlt.vectorD().cwiseAbs().minCoeff() <= floor;
        }
      }
      if (singular) {
        b1.setConstant(std::numeric_limits<double>::quiet_NaN());
        c.message += (c.message.empty() ? "" : "; ") +
                     std::string("C_k^tr is singular: the first-order bias is undefined (NaN)");
      }
      c.bias_first_order = b1;
    }
    // ∇²v(µ), Σ, orders, log-determinant part of the mass.
    const matrix Hv = potential_hessian_at(loss, noise, T, c.mu);
    c.hessian_v = 0.5 * (Hv + Hv.transpose());
    double log_factor = 0;  // Σ_i log[2Γ(1+1/J)(T J!/(2λ))^{1/J}]
    if (eigen_route) {
      Eigen::SelfAdjointEigenSolver<matrix> es(c.hessian_v);
      const vector lam = es.eigenvalues();
      const matrix Q = es.eigenvectors();
      c.orders.assign(p, 2);
      c.lambdas = lam;
      vector var(p);
      if (opt.max_order > 2) {
        // Radius of the directional fits: a quarter of the distance to the nearest other µ.
        double radius = opt.order_radius;
        if (!(radius > 0)) {
          double dmin = std::numeric_limits<double>::infinity();
          for (std::size_t j = 0; j < K; ++j)
            if (j != k) dmin = std::min(dmin, (train_minima[j] - c.mu).norm());
          radius = std::isfinite(dmin) ? 0.25 * dmin : 0.25 * std::max(1.0, c.mu.norm());
        }
        for (index i = 0; i < p; ++i) {
          const std::vector<double> t = potential_taylor_coefficients(loss, noise, T, c.mu, vector(Q.col(i)),
                                                                      opt.max_order, radius);
          out.evaluations += 13;
          int best_J = 0;
          double best_w = std::numeric_limits<double>::infinity(), best_l = 0, second_w = best_w;
          for (int J = 2; J <= opt.max_order; J += 2) {
            const double lJ = J == 2 ? lam(i) : t[J];
            if (!(lJ > 0)) continue;
            const double w = std::exp((std::log(T) + boost::math::lgamma(J + 1.0) - std::log(2 * lJ)) / J);
            if (w < best_w) { second_w = best_w; best_w = w; best_J = J; best_l = lJ; }
            else if (w < second_w) second_w = w;
          }
          if (best_J == 0) {
            detail::demote(c, status::numerical_issue, "no positive even derivative up to order " +
                                                           std::to_string(opt.max_order) + " along a principal direction");
            var(i) = std::numeric_limits<double>::infinity();
            log_factor = std::numeric_limits<double>::quiet_NaN();
            continue;
          }
          if (second_w < 10 * best_w && best_J != 2)
            c.message += (c.message.empty() ? "" : "; ") +
                         std::string("orders compete along a principal direction (widths within 10x): higher-order weight is rough");
          c.orders[i] = best_J;
          c.lambdas(i) = best_l;
          var(i) = basin_variance(T, best_J, best_l);
          log_factor += basin_log_mass(0.0, T, {best_J}, {best_l});
        }
      } else {
        for (index i = 0; i < p; ++i) {
          if (!(lam(i) > 0)) {
            var(i) = std::numeric_limits<double>::infinity();
            log_factor = std::numeric_limits<double>::quiet_NaN();
          } else {
            var(i) = 0.5 * T / lam(i);
            log_factor += 0.5 * std::log(std::numbers::pi * T / lam(i));
          }
        }
        if (std::isnan(log_factor))
          detail::demote(c, status::numerical_issue,
                         "the Hessian of v at mu is not positive definite (flat or saddle): try max_order > 2");
      }
      c.Sigma = Q * var.asDiagonal() * Q.transpose();
      c.width = std::sqrt(var.maxCoeff());
    } else {
      Eigen::LLT<matrix> llt(c.hessian_v);
      c.orders.assign(p, 2);
      if (llt.info() != Eigen::Success) {
        detail::demote(c, status::numerical_issue, "the Hessian of v at mu is not positive definite");
        log_factor = std::numeric_limits<double>::quiet_NaN();
        c.Sigma = matrix::Constant(p, p, std::numeric_limits<double>::quiet_NaN());
        c.width = std::numeric_limits<double>::infinity();
      } else {
        const double logdet = 2 * llt.matrixL().toDenseMatrix().diagonal().array().log().sum();
        log_factor = 0.5 * static_cast<double>(p) * std::log(std::numbers::pi * T) - 0.5 * logdet;
        c.Sigma = (0.5 * T) * llt.solve(matrix::Identity(p, p));
        // Largest eigenvalue of Σ (exact up to p = 200, else by Lanczos).
        c.width = std::sqrt(std::max(detail::largest_eigenvalue(c.Sigma), 0.0));
        c.lambdas = vector();  // eigenvalues not computed on this route (p > 64)
      }
    }
    c.log_mass = log_factor;  // v part added below
  }

  // v(µ_k) from the one reference point.
  const vector& ref = out.components[opt.reference].mu;
  for (std::size_t k = 0; k < K; ++k) {
    mixture_component& c = out.components[k];
    if (k == opt.reference) { c.v_mu = 0; continue; }
    const line_integral_result li = effective_potential(loss, noise, T, ref, c.mu, opt.integral);
    out.evaluations += li.evaluations;
    c.v_mu = li.value;
    if (!li.ok()) detail::demote(c, li.status, "line integral from the reference: " + li.message);
  }
  // Log-sum-exp normalization over the components with a finite mass.
  double lmax = -std::numeric_limits<double>::infinity();
  for (mixture_component& c : out.components) {
    c.log_mass = std::isfinite(c.log_mass) && std::isfinite(c.v_mu) ? c.log_mass - 2 / T * c.v_mu
                                                                     : -std::numeric_limits<double>::infinity();
    lmax = std::max(lmax, c.log_mass);
  }
  if (std::isfinite(lmax)) {
    double z = 0;
    for (const mixture_component& c : out.components) z += std::exp(c.log_mass - lmax);
    const double lz = lmax + std::log(z);
    for (mixture_component& c : out.components) {
      c.log_weight = c.log_mass - lz;
      c.weight = std::exp(c.log_weight);
    }
  } else {
    for (mixture_component& c : out.components) {
      c.log_weight = -std::numeric_limits<double>::infinity();
      c.weight = 0;
    }
  }
  // Validity: width against the distance to the nearest barrier.
  for (std::size_t k = 0; k < K; ++k) {
    mixture_component& c = out.components[k];
    for (std::size_t j = 0; j < K; ++j) {
      if (j == k || (out.components[j].mu - c.mu).norm() == 0) continue;
      long ev = 0;
      const double d = detail::barrier_along(loss, noise, T, c.mu, out.components[j].mu, opt.barrier_scan_points, ev);
      out.evaluations += ev;
      c.barrier_distance = std::min(c.barrier_distance, d);
    }
    c.width_ratio = std::isfinite(c.barrier_distance) ? c.width / c.barrier_distance : 0.0;
    if (c.width_ratio > opt.max_width_ratio)
      detail::demote(c, status::assumption_violated,
                     "the basin is wider than " + std::to_string(opt.max_width_ratio) +
                         " x the distance to its barrier (width_ratio " + std::to_string(c.width_ratio) +
                         "): the Laplace weight is unreliable");
  }
  for (const mixture_component& c : out.components)
    if (c.status != status::success && out.status == status::success) {
      out.status = c.status;
      out.message = detail::message(fn, c.message);
    }
  return out;
}

/// In 1-D: w_k / P_k, the Laplace weight over the exact probability of the basin of
/// `steady` that contains θ_k (computed from the logs, so it is finite where both underflow);
/// NaN for a component whose θ_k lies in no basin of `steady`.
inline std::vector<double> laplace_ratio_1d(const gaussian_mixture_result& gm, const steady_state_1d& steady) {
  std::vector<double> out;
  for (const mixture_component& c : gm.components) {
    if (c.theta_train.size() != 1)
      detail::throw_invalid("laplace_ratio_1d", "components must be 1-D, got size ", c.theta_train.size());
    double r = std::numeric_limits<double>::quiet_NaN();
    for (const basin_1d& b : steady.basins())
      if (c.theta_train(0) >= b.lower && c.theta_train(0) <= b.upper) {
        r = std::exp(c.log_weight - b.log_probability);
        break;
      }
    out.push_back(r);
  }
  return out;
}

}  // namespace shiftcurv
