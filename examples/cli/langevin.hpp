// examples/cli/langevin.hpp — the Langevin ensemble's flags as langevin_ensemble reads them,
// shared with the Python package's SyntheticModel.langevin_ensemble (python/src/synthetic.cpp),
// so both run the same ensemble on the same model.
#pragma once

#include <optional>
#include <string>

#include <shiftcurv/dynamics/langevin_1d.hpp>

#include "cli/common.hpp"
#include "cli/synthetic.hpp"

namespace shiftcurv_examples::cli {

/// --scheme=euler-maruyama|milstein|weak2 (exit 2 naming the flag otherwise).
inline shiftcurv::sde_scheme parse_scheme(const std::string& scheme) {
  if (scheme == "euler-maruyama") return shiftcurv::sde_scheme::euler_maruyama;
  if (scheme == "milstein") return shiftcurv::sde_scheme::milstein;
  if (scheme == "weak2") return shiftcurv::sde_scheme::weak_order2;
  fail("--scheme", "expected euler-maruyama, milstein or weak2", scheme);
}

/// --init=uniform|x0: no start point, or x0 (a number inside the model's domain; exit 2 naming
/// the flag otherwise).
inline std::optional<double> parse_init(const std::string& init, const model& m) {
  if (init == "uniform") return std::nullopt;
  const double x0 = parse_number("--init", init, init);
  if (x0 < m.lo || x0 > m.hi) fail("--init", "x0 must lie in the domain", init);
  return x0;
}

/// The model's domain in the options: reflecting walls at its ends, the basins of the partition
/// (interior boundaries), and the start point x0 when given (else uniform on the domain).
inline void set_domain(shiftcurv::langevin_1d_options& o, const model& m, const basin_partition& basins,
                       std::optional<double> x0) {
  if (x0) o.x0 = *x0;
  o.walls = shiftcurv::reflecting_box(m.lo, m.hi);
  o.basin_boundaries.assign(basins.boundaries.begin() + 1, basins.boundaries.end() - 1);
}

}  // namespace shiftcurv_examples::cli
