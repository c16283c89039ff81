// examples/cli/synthetic.hpp — one row of the synthetic experiments (the paper's Figures 4
// and 6): exact steady-state quantities by quadrature beside the Laplace / eq-4 / eq-7
// approximations, for the 1-D model of cli/common.hpp at one temperature.
#pragma once

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <shiftcurv/basins/minima.hpp>
#include <shiftcurv/basins/steady_state_1d.hpp>
#include <shiftcurv/noise/constant.hpp>
#include <shiftcurv/studies/expected_test_loss.hpp>

#include "cli/common.hpp"

namespace shiftcurv_examples::cli {

/// The basins of the contract: one per interior local minimum θ_k of U_tr, bounded by the local
/// maximum between consecutive minima (the domain ends outside the first and last).
struct basin_partition {
  std::vector<double> minima;      ///< θ_k, increasing
  std::vector<double> boundaries;  ///< lo, max_1, …, max_{K−1}, hi
};

inline basin_partition partition_basins(const model& m) {
  basin_partition b;
  b.minima = shiftcurv::local_minima_1d(m.train, m.lo, m.hi, 20001);
  if (b.minima.empty())
    fail("--domain", "U_tr has no local minimum inside the domain", num(m.lo) + "," + num(m.hi));
  const auto maxima = shiftcurv::local_maxima_1d(m.train, m.lo, m.hi, 20001);
  b.boundaries.push_back(m.lo);
  for (std::size_t k = 0; k + 1 < b.minima.size(); ++k) {
    // The highest local maximum between consecutive minima (there is exactly one for a
    // generic smooth U; taking the highest is robust to flat plateaus).
    double best = std::numeric_limits<double>::quiet_NaN(), best_u = -std::numeric_limits<double>::infinity();
    for (double x : maxima)
      if (x > b.minima[k] && x < b.minima[k + 1] && m.train.value(x) > best_u) {
        best = x;
        best_u = m.train.value(x);
      }
    if (std::isnan(best)) best = 0.5 * (b.minima[k] + b.minima[k + 1]);  // cannot happen for smooth U
    b.boundaries.push_back(best);
  }
  b.boundaries.push_back(m.hi);
  return b;
}

/// One temperature.  Exact columns (steady state by quadrature): T, train_loss, test_loss,
/// w_exact_k.  Approximation columns (Laplace, eq 4/7): test_loss_eq4/eq7, the four terms,
/// mu_k, w_laplace_k — NaN where the approximation is undefined at this T, said in `warning`.
struct synthetic_row {
  double T = 0, train_loss = 0, test_loss = 0, eq4 = 0, eq7 = 0;
  shiftcurv::decomposition_terms terms;
  std::vector<double> mu, w_exact, w_laplace;
  std::string warning;  ///< non-empty when a numerical status was not success

  void add_warning(const std::string& s) {
    if (!warning.empty()) warning += "; ";
    warning += s;
  }
  /// Every field, for shiftcurv::to_bytes / from_bytes (io/checkpoint.hpp): a row travels from
  /// the rank that computed it to rank 0 exactly (doubles by their bits).
  template <class Archive>
  void serialize(Archive& ar) {
    ar(T, train_loss, test_loss, eq4, eq7, terms.depth, terms.shift_curvature, terms.bias_curvature,
       terms.covariance_curvature, terms.total_eq4, terms.total_eq7, mu, w_exact, w_laplace, warning);
  }
  /// The approximation columns that are not finite, by name ("" if none).
  std::string nonfinite_approximations() const {
    std::string s;
    auto check = [&](const std::string& name, double x) {
      if (!std::isfinite(x)) s += (s.empty() ? "" : ", ") + name;
    };
    check("test_loss_eq4", eq4);
    check("test_loss_eq7", eq7);
    check("depth", terms.depth);
    check("shift_curvature", terms.shift_curvature);
    check("bias_curvature", terms.bias_curvature);
    check("covariance_curvature", terms.covariance_curvature);
    for (std::size_t k = 0; k < mu.size(); ++k) check("mu_" + std::to_string(k), mu[k]);
    for (std::size_t k = 0; k < w_laplace.size(); ++k) check("w_laplace_" + std::to_string(k), w_laplace[k]);
    return s;
  }
  bool exact_finite() const {
    bool ok = std::isfinite(T) && std::isfinite(train_loss) && std::isfinite(test_loss);
    for (double w : w_exact) ok = ok && std::isfinite(w);
    return ok;
  }
};

/// The exact columns: E_ρ[U_tr], E_ρ[U_test] and the basin probabilities of the steady state
/// (the steady state's basins regrouped into the partition: an end interval without an
/// interior minimum joins its neighbouring basin).
template <class Noise>
void exact_columns(const model& m, const basin_partition& basins, const Noise& noise, synthetic_row& row) {
  const shiftcurv::steady_state_1d ss(m.train, noise, row.T, m.lo, m.hi);
  if (ss.status() != shiftcurv::status::success) row.add_warning("steady state: " + ss.message());
  const auto etr = ss.expected_loss(m.train);
  const auto ete = ss.expected_loss(m.test);
  if (!etr) row.add_warning("E[U_tr]: " + etr.message);
  if (!ete) row.add_warning("E[U_test]: " + ete.message);
  row.train_loss = etr.value;
  row.test_loss = ete.value;
  const std::size_t K = basins.minima.size();
  row.w_exact.assign(K, 0.0);
  for (const auto& b : ss.basins()) {
    const double mid = 0.5 * (b.lower + b.upper);
    std::size_t k = 0;
    while (k + 1 < K && mid > basins.boundaries[k + 1]) ++k;
    row.w_exact[k] += b.probability;
  }
}

/// Runs `body(noise)` with the diffusion as a shiftcurv model: constant_diffusion for const
/// (so the steady state uses its exact constant-D path), the analytic diffusion_1d otherwise.
template <class Body>
auto with_noise(const model& m, Body&& body) {
  if (m.noise.type == diffusion_1d::kind::constant) return body(shiftcurv::constant_diffusion(m.noise.a, 1));
  return body(m.noise);
}

inline synthetic_row synthetic_experiment(const model& m, const basin_partition& basins, double T) {
  return with_noise(m, [&](const auto& noise) {
    synthetic_row row;
    row.T = T;
    auto warn = [&](const std::string& s) { row.add_warning(s); };
    exact_columns(m, basins, noise, row);
    const std::size_t K = basins.minima.size();

    // Laplace (eq 6) and eq 4/7 from the minima θ_k by predict_test_loss (library rule: a
    // flagged component keeps its weight, a failed one gets weight 0, the rest renormalized).
    std::vector<shiftcurv::vector> seeds;
    for (double x : basins.minima) seeds.push_back(shiftcurv::vector::Constant(1, x));
    const auto pred = shiftcurv::predict_test_loss(m.train, m.test, noise, T, seeds);
    if (!pred) warn("Laplace weights: " + pred.message);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    row.mu.assign(K, nan);
    row.w_laplace.assign(K, 0.0);
    for (const auto& b : pred.basins) {  // each predicted basin to the partition minimum it came from
      std::size_t k = 0;
      for (std::size_t j = 1; j < K; ++j)
        if (std::abs(basins.minima[j] - b.theta_train(0)) < std::abs(basins.minima[k] - b.theta_train(0))) k = j;
      row.w_laplace[k] = b.weight;
      if (!shiftcurv::is_failure(b.status)) row.mu[k] = b.mu(0);
    }
    row.terms = pred.decomposition.overall;
    row.eq4 = row.terms.total_eq4;
    row.eq7 = row.terms.total_eq7;
    if (!std::isfinite(row.eq4)) {  // every component failed: no Laplace weights at all
      row.w_laplace.assign(K, nan);
      warn("no Laplace component: eq 4 and eq 7 are undefined");
    }
    return row;
  });
}

/// The exact columns alone, the approximation columns NaN (where the Laplace part failed).
inline synthetic_row exact_row(const model& m, const basin_partition& basins, double T) {
  return with_noise(m, [&](const auto& noise) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    synthetic_row row;
    row.T = T;
    exact_columns(m, basins, noise, row);
    const std::size_t K = basins.minima.size();
    row.eq4 = row.eq7 = nan;
    row.terms = {nan, nan, nan, nan, nan, nan};
    row.mu.assign(K, nan);
    row.w_laplace.assign(K, nan);
    return row;
  });
}

/// One temperature as synthetic_basins reports it: the whole row, or, when the Laplace part
/// threw, the exact columns with the approximation columns nan and a warning saying why; a
/// warning for approximation columns that are not finite.  Throws std::runtime_error when the
/// exact columns are not finite (nothing to report at that T).
inline synthetic_row synthetic_row_at(const model& m, const basin_partition& basins, double T) {
  synthetic_row row;
  try {
    row = synthetic_experiment(m, basins, T);
  } catch (const std::exception& e) {
    // The Laplace part threw: keep the exact columns (this throws again if they failed).
    row = exact_row(m, basins, T);
    row.add_warning(std::string("the Laplace approximation failed (") + e.what() + "): its columns are nan");
  }
  if (row.warning.empty() && !row.nonfinite_approximations().empty())
    row.add_warning(row.nonfinite_approximations() + " not finite (a term of eq 4/7 overflows a double)");
  if (!row.exact_finite())
    throw std::runtime_error("T=" + num(T) + ": the exact steady state is not finite (" + row.warning + ")");
  return row;
}

inline shiftcurv::csv_table synthetic_csv(const std::vector<synthetic_row>& rows, std::size_t K) {
  shiftcurv::csv_table t;
  t.header = {"T", "train_loss", "test_loss", "test_loss_eq4", "test_loss_eq7", "depth", "shift_curvature",
              "bias_curvature", "covariance_curvature"};
  for (std::size_t k = 0; k < K; ++k) {
    t.header.push_back("mu_" + std::to_string(k));
    t.header.push_back("w_exact_" + std::to_string(k));
    t.header.push_back("w_laplace_" + std::to_string(k));
  }
  for (const auto& r : rows) {
    std::vector<shiftcurv::csv_cell> v{r.T, r.train_loss, r.test_loss, r.eq4, r.eq7, r.terms.depth, r.terms.shift_curvature,
                          r.terms.bias_curvature, r.terms.covariance_curvature};
    for (std::size_t k = 0; k < K; ++k) {
      v.push_back(r.mu[k]);
      v.push_back(r.w_exact[k]);
      v.push_back(r.w_laplace[k]);
    }
    t.add_row(std::move(v));
  }
  return t;
}

}  // namespace shiftcurv_examples::cli
