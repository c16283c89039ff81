// examples/network/experiment_parts.hpp — the parts of network_experiment as units of work with
// their CSV tables, for either backend (mlp_loss or mlp_cuda_loss); one header per part in parts/.
//
// A part is a list of units (one (T, seed), one (seed, λ, B), ...), each computing the rows of
// the part's tables for that unit; the unit's key is the first key_columns fields of its rows.
// The driver (network_experiment.cpp) skips units whose key is in the part's last table, so a
// rerun continues an interrupted one (experiment_resume.hpp).
//
// One header per part, parts/<name>.hpp:
//   part 1  temperature   fig1_line.csv, fig2_temperature.csv   (Figures 1–3)
//   part 2  fig5          fig5_temperature.csv                  (Figure 5, two stages)
//   part 3  shift         shift_reshuffle.csv, shift_sample_size.csv
//   part 4  d1            d1.csv                 (Appendix D.1; CPU backend: needs per-sample members)
//   part 5  terms         test_loss_terms.csv    (eq 4's terms, measured and predicted; CPU backend)
// Columns: examples/network/README.md, "network_experiment".
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "network/parts/common.hpp"
#include "network/parts/d1.hpp"
#include "network/parts/fig5.hpp"
#include "network/parts/shift.hpp"
#include "network/parts/temperature.hpp"
#include "network/parts/terms.hpp"

namespace shiftcurv_examples::cli {

/// The experiment on one backend: its data and losses (experiment_base) and its parts, one
/// header each under parts/.
template <class Loss>
class experiment : public experiment_base<Loss> {
 public:
  using experiment_base<Loss>::experiment_base;

  std::vector<part> parts() {
    std::vector<part> p{temperature_part(*this), fig5_part(*this), shift_part(*this)};
    if constexpr (shiftcurv::per_sample_loss<Loss>) {  // the CPU backend (the CUDA one has no per-sample members)
      p.push_back(d1_part(*this));
      p.push_back(terms_part(*this));
    }
    return p;
  }
};

}  // namespace shiftcurv_examples::cli
