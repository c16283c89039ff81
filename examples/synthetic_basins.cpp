// synthetic_basins — the paper's synthetic experiments (Figures 4 and 6): exact steady-state
// train/test losses and basin probabilities by quadrature, beside the Laplace weights and the
// eq-4 / eq-7 test-loss predictions, over a list of temperatures.
//
//   synthetic_basins --minima=m1,m2,... --weights=w1,... --sigmas=s1,... --shift=s --diffusion=SPEC
//                    --domain=lo,hi --temperatures=T1,T2,... [--confine=c] [--csv=PATH|-]
//                    [--preset=fig4-left|fig4-right|fig6-left|fig6-right] [--outdir=DIR]
//
// U_tr(θ) = −Σ w_i N(θ; m_i, σ_i²) + cθ², U_test(θ) = U_tr(θ + s), reflecting walls at lo, hi;
// SPEC = const:c | linear:a,b (D = a + bθ) | affine-loss:a,b (D = a + b(U_tr − min U_tr)).
// Every flag has a default: the Figure 4 (left) configuration over a log-spaced T grid.
// --preset picks another of the paper's configurations (explicit flags still win).
// Without --csv a readable table goes to stdout; --csv=- writes only the CSV to stdout.
// --outdir=DIR also writes DIR/synthetic_basins.csv, DIR/losses.csv, DIR/density.csv and,
// when python3 with matplotlib is available, the figure DIR/synthetic_basins.png.
// Columns: T, train_loss, test_loss and w_exact_k are exact (the steady state by quadrature;
// below T ≈ 1e-9·scale its T → 0 limit, see basins/steady_state_1d.hpp) and always finite when
// the exit code is 0.  The approximation columns (test_loss_eq4, test_loss_eq7, depth,
// shift_curvature, bias_curvature, covariance_curvature, mu_k, w_laplace_k) are nan where the
// Laplace approximation is undefined at a T (e.g. a basin whose minimum of v is not found, or a
// subnormal T), and then one stderr line names that T and the reason.
// Bad input: exit code 2, one line on stderr naming the flag and the value, nothing on stdout;
// any other failure: exit code 1 and one stderr line; either way no output file is left behind.
// Every output file appears at its path only complete (written to a temporary, then renamed).
//
//   mpirun -np 4 synthetic_basins --temperatures=... --csv=out.csv   # the same CSV, byte for byte
//
// Built with MPI and started by mpirun/srun, the temperatures are independent jobs spread over
// the ranks (shiftcurv::run_jobs); rank 0 gathers the rows in temperature order and writes
// everything, so the output is byte-identical to the serial run's.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <shiftcurv/io/checkpoint.hpp>

#include "cli/common.hpp"
#include "cli/parallel.hpp"
#include "cli/synthetic.hpp"

namespace cli = shiftcurv_examples::cli;

namespace {

struct preset {
  const char *name, *minima, *weights, *sigmas, *shift;
};
// THEORY.md, "The paper's synthetic 1-D experiments" (D ≡ 0.001, domain [−4, 4]).
constexpr preset presets[] = {
    {"fig4-left", "-1,1", "0.021,0.1", "0.1,0.5", "0.1"},
    {"fig4-right", "-1,1", "0.019,0.1", "0.1,0.5", "0.1"},
    {"fig6-left", "0", "0.1", "0.1", "0.03"},
    {"fig6-right", "-1,0,1", "0.1,0.051,0.3", "0.1,0.05,0.3", "0.1"},
};

std::string default_temperatures() {
  std::string s;
  for (int i = 0; i <= 32; ++i) {
    if (i) s += ',';
    s += cli::num(std::pow(10.0, -1.0 + 4.0 * i / 32));
  }
  return s;
}

std::string table(const std::vector<cli::synthetic_row>& rows, std::size_t K) {
  std::string s;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%11s %13s %13s %13s %13s", "T", "train_loss", "test_loss", "test_eq4", "test_eq7");
  s += buf;
  for (std::size_t k = 0; k < K; ++k) {
    std::snprintf(buf, sizeof buf, "  %9s %9s %9s", ("mu_" + std::to_string(k)).c_str(),
                  ("w_exact_" + std::to_string(k)).c_str(), ("w_lapl_" + std::to_string(k)).c_str());
    s += buf;
  }
  s += '\n';
  for (const auto& r : rows) {
    std::snprintf(buf, sizeof buf, "%11.4g %13.6g %13.6g %13.6g %13.6g", r.T, r.train_loss, r.test_loss, r.eq4, r.eq7);
    s += buf;
    for (std::size_t k = 0; k < K; ++k) {
      std::snprintf(buf, sizeof buf, "  %9.5f %9.5f %9.5f", r.mu[k], r.w_exact[k], r.w_laplace[k]);
      s += buf;
    }
    s += '\n';
  }
  return s;
}

// Writes the curves behind the figure and runs the plotting script when matplotlib is there.
void write_figures(const std::filesystem::path& dir, const cli::model& m, const std::vector<cli::synthetic_row>& rows,
                   const shiftcurv::csv_table& csv, const std::string& title, const char* argv0) {
  std::filesystem::create_directories(dir);
  shiftcurv::csv_table losses({"theta", "U_tr", "U_test"});
  const int n = 1601;
  for (int i = 0; i < n; ++i) {
    const double x = m.lo + (m.hi - m.lo) * i / (n - 1);
    losses.add_row({x, m.train.value(x), m.test.value(x)});
  }
  // Densities at up to five temperatures spread over the grid.
  shiftcurv::csv_table dens({"theta"});
  std::vector<double> Ts;
  for (int j = 0; j < 5 && !rows.empty(); ++j) {
    const double T = rows[(rows.size() - 1) * j / 4].T;
    if (Ts.empty() || Ts.back() != T) Ts.push_back(T);
  }
  std::vector<std::vector<double>> cols;
  for (double T : Ts) {
    char label[64];
    std::snprintf(label, sizeof label, "rho_T=%.4g", T);
    dens.header.push_back(label);
    cols.push_back(cli::with_noise(m, [&](const auto& noise) {
      const shiftcurv::steady_state_1d ss(m.train, noise, T, m.lo, m.hi);
      std::vector<double> c;
      for (int i = 0; i < n; ++i) c.push_back(ss.density(m.lo + (m.hi - m.lo) * i / (n - 1)));
      return c;
    }));
  }
  for (int i = 0; i < n; ++i) {
    std::vector<shiftcurv::csv_cell> r{m.lo + (m.hi - m.lo) * i / (n - 1)};
    for (const auto& c : cols) r.emplace_back(c[i]);
    dens.add_row(std::move(r));
  }
  cli::write_outputs({{(dir / "synthetic_basins.csv").string(), csv},
                      {(dir / "losses.csv").string(), std::move(losses)},
                      {(dir / "density.csv").string(), std::move(dens)}});

  const auto script = std::filesystem::absolute(argv0).parent_path() / "plot_synthetic_basins.py";
  const std::string quoted_dir = "'" + dir.string() + "'";
  for (const char* py : {"/usr/bin/python3", "python3"}) {
    const std::string probe = std::string(py) + " -c 'import matplotlib' >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0 && std::filesystem::exists(script)) {
      const std::string cmd = std::string(py) + " '" + script.string() + "' " + quoted_dir + " '" + title + "' 1>&2";
      if (std::system(cmd.c_str()) == 0) return;
    }
  }
  std::cerr << "figures: python3 with matplotlib not found; the CSVs are in " << dir.string()
            << ". Install it (apt-get install python3-matplotlib) and run: python3 " << script.string() << " "
            << dir.string() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  cli::processes procs(argc, argv);
  CLI::App app{"The paper's synthetic basin experiments: exact steady state vs Laplace / eq 4 / eq 7"};
  cli::model_flags flags;
  flags.add_to(app);
  std::string temperatures = default_temperatures(), csv_path, outdir, preset_name;
  app.add_option("--temperatures", temperatures, "comma-separated T > 0 (default: 33 log-spaced in [0.1, 1000])");
  app.add_option("--csv", csv_path, "write the CSV to PATH, or to stdout with -");
  app.add_option("--outdir", outdir, "also write the CSVs behind the figure and the figure into DIR");
  app.add_option("--preset", preset_name, "fig4-left (default) | fig4-right | fig6-left | fig6-right");

  return cli::run("synthetic_basins", app, argc, argv, [&] {
    procs.require_same_command_line();
    if (!preset_name.empty()) {
      const preset* p = nullptr;
      for (const auto& q : presets)
        if (preset_name == q.name) p = &q;
      if (!p) cli::fail("--preset", "unknown preset (fig4-left, fig4-right, fig6-left, fig6-right)", preset_name);
      if (!app.count("--minima")) flags.minima = p->minima;
      if (!app.count("--weights")) flags.weights = p->weights;
      if (!app.count("--sigmas")) flags.sigmas = p->sigmas;
      if (!app.count("--shift")) flags.shift = p->shift;
    }
    const cli::model m = cli::build_model(flags);
    std::vector<double> Ts = cli::parse_list("--temperatures", temperatures);
    for (double T : Ts)
      if (!(T > 0)) cli::fail("--temperatures", "every T must be > 0", temperatures);
    const auto basins = cli::partition_basins(m);

    // Every row first (one job per T, over the MPI ranks when there are several); warnings
    // (one line per T) only once the whole run has succeeded.
    auto one = [&](shiftcurv::index i) {
      return shiftcurv::to_bytes(cli::synthetic_row_at(m, basins, Ts[static_cast<std::size_t>(i)]));
    };
    shiftcurv::run_jobs_options jobs;
    jobs.kind = "synthetic_basins/1";
    const auto done = procs.run_jobs(static_cast<shiftcurv::index>(Ts.size()), one, jobs);
    if (!procs.root()) return 0;  // rank 0 writes the output
    std::vector<cli::synthetic_row> rows;
    for (const auto& bytes : done) {
      cli::synthetic_row row;
      shiftcurv::from_bytes(bytes, row, "synthetic_basins");
      rows.push_back(std::move(row));
    }
    const std::size_t K = basins.minima.size();
    const auto csv = cli::synthetic_csv(rows, K);
    if (!outdir.empty()) write_figures(outdir, m, rows, csv, preset_name.empty() ? "fig4-left" : preset_name, argv[0]);
    if (!csv_path.empty()) cli::write_outputs({{csv_path, csv}});
    for (const auto& r : rows)
      if (!r.warning.empty()) std::cerr << "synthetic_basins: T=" << r.T << ": " << r.warning << "\n";
    if (csv_path != "-") std::cout << table(rows, K);
    return 0;
  });
}
