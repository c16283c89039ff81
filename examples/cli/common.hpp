// examples/cli/common.hpp — the one parsing/validation layer shared by the command-line
// examples (synthetic_basins, langevin_ensemble, fokker_planck), so the contracts in the issues
// are implemented once; CSV goes through the library's writer (shiftcurv/io/csv.hpp).
//
// Contract shared by all: `--name=value` (negative values included); bad input exits with
// code 2 and ONE line on stderr naming the flag and the value, nothing on stdout; any other
// failure exits with code 1 and one line.  Output is computed in full before anything is
// written, each file atomically, and a failed run leaves no output file behind.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/math/tools/minima.hpp>

#include <shiftcurv/core/concepts.hpp>
#include <shiftcurv/io/csv.hpp>
#include <shiftcurv/synthetic/gaussian_wells.hpp>

#include "cli/args.hpp"

namespace shiftcurv_examples::cli {


// ---- the 1-D diffusion of the contracts -----------------------------------------------------
/// D(θ) = c | a + bθ | a + b·(U_tr(θ) − min_[lo,hi] U_tr), a 1-D diffusion model (p = 1) with
/// analytic divergence D'(θ).
struct diffusion_1d {
  enum class kind { constant, linear, affine_loss } type = kind::constant;
  double a = 1, b = 0;
  double loss_min = 0;                       // min over the domain of U_tr (affine-loss)
  shiftcurv::gaussian_wells_1d train{{}, {}, {}};

  double value(double th) const {
    switch (type) {
      case kind::constant: return a;
      case kind::linear: return a + b * th;
      case kind::affine_loss: return a + b * (train.value(th) - loss_min);
    }
    return a;
  }
  double derivative(double th) const {
    switch (type) {
      case kind::constant: return 0;
      case kind::linear: return b;
      case kind::affine_loss: return b * train.derivative(th, 1);
    }
    return 0;
  }
  double second_derivative(double th) const {
    return type == kind::affine_loss ? b * train.derivative(th, 2) : 0.0;
  }
  shiftcurv::matrix matrix(const shiftcurv::vector& th) const { return shiftcurv::matrix::Constant(1, 1, value(th(0))); }
  shiftcurv::vector divergence(const shiftcurv::vector& th) const { return shiftcurv::vector::Constant(1, derivative(th(0))); }
  shiftcurv::matrix noise_factor(const shiftcurv::vector& th) const {
    return shiftcurv::matrix::Constant(1, 1, std::sqrt(std::max(0.0, value(th(0)))));
  }
};
static_assert(shiftcurv::diffusion_model<diffusion_1d>);

/// Global minimum and maximum of a 1-D loss on [lo, hi]: a dense scan, then Brent refinement
/// of every interior extremum of the scan (value error O(ε)), endpoints included.
inline std::pair<double, double> loss_range(const shiftcurv::gaussian_wells_1d& U, double lo, double hi) {
  const int n = 20000;
  std::vector<double> x(n + 1), u(n + 1);
  for (int i = 0; i <= n; ++i) {
    x[i] = lo + (hi - lo) * i / n;
    u[i] = U.value(x[i]);
  }
  double umin = std::min(u[0], u[n]), umax = std::max(u[0], u[n]);
  for (int i = 1; i < n; ++i) {
    const bool is_min = u[i] <= u[i - 1] && u[i] <= u[i + 1];
    const bool is_max = u[i] >= u[i - 1] && u[i] >= u[i + 1];
    if (is_min) {
      const auto r = boost::math::tools::brent_find_minima([&](double t) { return U.value(t); }, x[i - 1], x[i + 1], 52);
      umin = std::min(umin, r.second);
    }
    if (is_max) {
      const auto r = boost::math::tools::brent_find_minima([&](double t) { return -U.value(t); }, x[i - 1], x[i + 1], 52);
      umax = std::max(umax, -r.second);
    }
  }
  return {umin, umax};
}

// ---- the loss, diffusion and domain flags ---------------------------------------------------
/// The flags every program shares:
///   --minima=m1,... --weights=w1,... --sigmas=s1,... --shift=s --diffusion=SPEC
///   --domain=lo,hi [--confine=c]
/// Defaults are the paper's Figure 4 (left) configuration (THEORY.md).
struct model_flags {
  std::string minima = "-1,1", weights = "0.021,0.1", sigmas = "0.1,0.5", shift = "0.1",
              diffusion = "const:0.001", domain = "-4,4", confine = "0";

  void add_to(CLI::App& app) {
    app.add_option("--minima", minima, "well centres m_i of U_tr = -sum w_i N(theta; m_i, s_i^2) + c theta^2")->capture_default_str();
    app.add_option("--weights", weights, "well weights w_i")->capture_default_str();
    app.add_option("--sigmas", sigmas, "well widths s_i > 0")->capture_default_str();
    app.add_option("--shift", shift, "shift s: U_test(theta) = U_tr(theta + s)")->capture_default_str();
    app.add_option("--diffusion", diffusion, "const:c | linear:a,b (D = a + b theta) | affine-loss:a,b (D = a + b (U_tr - min U_tr))")->capture_default_str();
    app.add_option("--domain", domain, "reflecting interval lo,hi")->capture_default_str();
    app.add_option("--confine", confine, "confinement c")->capture_default_str();
  }
};

/// The validated model: train/test losses, diffusion, domain.
struct model {
  shiftcurv::gaussian_wells_1d train{{}, {}, {}};
  shiftcurv::gaussian_wells_1d test{{}, {}, {}};
  diffusion_1d noise;
  double lo = 0, hi = 0, shift = 0;
};

inline model build_model(const model_flags& f) {
  model m;
  const auto mins = parse_list("--minima", f.minima);
  const auto ws = parse_list("--weights", f.weights);
  const auto ss = parse_list("--sigmas", f.sigmas);
  if (ws.size() != mins.size())
    fail("--weights", "has " + std::to_string(ws.size()) + " entries but --minima has " + std::to_string(mins.size()), f.weights);
  if (ss.size() != mins.size())
    fail("--sigmas", "has " + std::to_string(ss.size()) + " entries but --minima has " + std::to_string(mins.size()), f.sigmas);
  for (double s : ss)
    if (!(s > 0)) fail("--sigmas", "every sigma must be > 0", f.sigmas);
  m.shift = parse_number("--shift", f.shift, f.shift);
  const double c = parse_number("--confine", f.confine, f.confine);
  const auto dom = parse_list("--domain", f.domain);
  if (dom.size() != 2) fail("--domain", "expected lo,hi", f.domain);
  m.lo = dom[0];
  m.hi = dom[1];
  if (!(m.lo < m.hi)) fail("--domain", "needs lo < hi", f.domain);
  m.train = shiftcurv::gaussian_wells_1d(mins, ws, ss, c);
  m.test = m.train.shifted(m.shift);

  // --diffusion=SPEC
  const auto colon = f.diffusion.find(':');
  const std::string kind = trim(f.diffusion.substr(0, colon));
  if (colon == std::string::npos) fail("--diffusion", "expected const:c, linear:a,b or affine-loss:a,b", f.diffusion);
  const std::string args = f.diffusion.substr(colon + 1);
  auto params = [&](std::size_t n) {
    auto p = parse_list("--diffusion", args);
    if (p.size() != n) fail("--diffusion", kind + " takes " + std::to_string(n) + " number(s)", f.diffusion);
    return p;
  };
  auto& d = m.noise;
  d.train = m.train;
  if (kind == "const") {
    d.type = diffusion_1d::kind::constant;
    d.a = params(1)[0];
    if (!(d.a > 0)) fail("--diffusion", "D must be > 0 on the whole domain", f.diffusion);
  } else if (kind == "linear") {
    d.type = diffusion_1d::kind::linear;
    const auto p = params(2);
    d.a = p[0];
    d.b = p[1];
    if (!(d.value(m.lo) > 0 && d.value(m.hi) > 0))  // linear: positive at both ends ⇔ on [lo, hi]
      fail("--diffusion", "D = a + b*theta must be > 0 on the whole domain", f.diffusion);
  } else if (kind == "affine-loss") {
    d.type = diffusion_1d::kind::affine_loss;
    const auto p = params(2);
    d.a = p[0];
    d.b = p[1];
    const auto [umin, umax] = loss_range(m.train, m.lo, m.hi);
    d.loss_min = umin;
    // D ranges over [a, a + b(max − min)] (or the reverse for b < 0).
    if (!(d.a > 0 && d.a + d.b * (umax - umin) > 0))
      fail("--diffusion", "D = a + b*(U_tr - min U_tr) must be > 0 on the whole domain", f.diffusion);
  } else {
    fail("--diffusion", "unknown diffusion '" + kind + "' (const, linear, affine-loss)", f.diffusion);
  }
  return m;
}

// ---- output -----------------------------------------------------------------------------------
/// Numbers as text with 17 significant digits (round-trip exact; the contracts ask ≥ 12).
inline std::string num(double x) { return shiftcurv::csv_number(x); }

/// One output of a run: a table for PATH, or for stdout with "-".
struct output {
  std::string path;
  shiftcurv::csv_table table;
};

/// Writes the outputs of a run once everything is computed: each file atomically through the
/// library's writer (io/csv.hpp), "-" to stdout.  If one write fails, the files this run has
/// already written are removed again, so a failed run leaves no output behind.
inline void write_outputs(const std::vector<output>& outs) {
  std::vector<std::string> written;
  try {
    for (const auto& o : outs) {
      if (o.path == "-") {
        shiftcurv::write_csv(std::cout, o.table);
        continue;
      }
      shiftcurv::write_csv(o.path, o.table);
      written.push_back(o.path);
    }
  } catch (...) {
    for (const auto& p : written) std::remove(p.c_str());
    throw;
  }
}


}  // namespace shiftcurv_examples::cli
