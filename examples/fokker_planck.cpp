// fokker_planck — the 1-D Fokker–Planck equation of SGD's diffusion approximation on a
// reflecting interval, by exponentially fitted finite volumes (dynamics/fokker_planck_1d.hpp).
//
//   fokker_planck <the loss, diffusion and domain flags of synthetic_basins> --temperature=T
//                 --cells=N (--time=t_end | --steady) [--init=uniform|x0] [--csv=PATH|-]
//                 [--basins=PATH]
//
// Starts from the uniform density on the domain (or a point mass at x0) and integrates to
// t_end, or solves for the steady state directly.  CSV: `theta,rho` per cell centre.  Basin
// masses (basins as synthetic_basins defines them) go to stderr, and to PATH as CSV
// (`basin,lower,upper,minimum,mass`) with --basins.  Without --csv a readable table goes to
// stdout; --csv=- writes only the CSV to stdout.  Bad input: exit code 2, one stderr line; any
// other failure (the solver did not succeed, a density not finite, a file not writable): exit
// code 1 and one stderr line.  Exit 0 means every column is finite; a failed run leaves no
// output file (the CSV and --basins files are written only once both are computed).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include <shiftcurv/fokker_planck/fokker_planck_1d.hpp>

#include "cli/common.hpp"
#include "cli/synthetic.hpp"

namespace cli = shiftcurv_examples::cli;

int main(int argc, char** argv) {
  CLI::App app{"1-D Fokker-Planck equation of SGD's diffusion approximation (reflecting walls)"};
  cli::model_flags flags;
  flags.add_to(app);
  std::string temperature = "1", cells = "2000", time, init = "uniform", csv_path, basins_path;
  bool steady = false;
  app.add_option("--temperature", temperature, "T > 0")->capture_default_str();
  app.add_option("--cells", cells, "number of cells N > 0")->capture_default_str();
  auto* t_opt = app.add_option("--time", time, "integrate from the initial density to t_end >= 0");
  auto* s_opt = app.add_flag("--steady", steady, "solve for the steady state directly");
  t_opt->excludes(s_opt);
  s_opt->excludes(t_opt);
  app.add_option("--init", init, "uniform | x0 (a point mass at x0)")->capture_default_str();
  app.add_option("--csv", csv_path, "write theta,rho to PATH, or to stdout with -");
  app.add_option("--basins", basins_path, "also write the basin masses as CSV to PATH");

  return cli::run("fokker_planck", app, argc, argv, [&] {
    const cli::model m = cli::build_model(flags);
    const double T = cli::parse_positive("--temperature", temperature);
    const long N = cli::parse_count("--cells", cells);
    if (N < 2) cli::fail("--cells", "need at least 2 cells", cells);
    if (time.empty() && !steady) cli::fail("--time", "give --time=t_end or --steady", "");
    double t_end = 0;
    if (!time.empty()) {
      t_end = cli::parse_number("--time", time, time);
      if (t_end < 0) cli::fail("--time", "t_end must be >= 0", time);
    }
    double x0 = 0;
    const bool point = init != "uniform";
    if (point) {
      x0 = cli::parse_number("--init", init, init);
      if (x0 < m.lo || x0 > m.hi) cli::fail("--init", "x0 must lie in the domain", init);
    }
    const auto basins = cli::partition_basins(m);

    return cli::with_noise(m, [&](const auto& noise) {
      shiftcurv::fokker_planck_1d fp(m.train, noise, T, m.lo, m.hi, N);
      std::string note;
      if (steady) {
        const auto r = fp.steady_state();
        if (!r) note = r.message;
      } else {
        if (point) fp.set_point_mass(x0); else fp.set_uniform();
        const auto r = fp.evolve(t_end);
        if (!r) note = r.message;
      }
      if (!note.empty()) throw std::runtime_error("the solver did not succeed: " + note);

      shiftcurv::csv_table out({"theta", "rho"});
      const auto rho = fp.density();
      for (shiftcurv::index i = 0; i < fp.cells(); ++i) out.add_row({fp.centres()(i), rho(i)});
      const std::vector<double> inner(basins.boundaries.begin() + 1, basins.boundaries.end() - 1);
      const auto masses = fp.basin_masses(inner);
      shiftcurv::csv_table bt({"basin", "lower", "upper", "minimum", "mass"});
      for (std::size_t k = 0; k < basins.minima.size(); ++k)
        bt.add_row({static_cast<long>(k), basins.boundaries[k], basins.boundaries[k + 1], basins.minima[k], masses(k)});
      for (shiftcurv::index i = 0; i < fp.cells(); ++i)
        if (!std::isfinite(rho(i))) throw std::runtime_error("the density is not finite at theta = " + cli::num(fp.centres()(i)));
      for (shiftcurv::index k = 0; k < masses.size(); ++k)
        if (!std::isfinite(masses(k))) throw std::runtime_error("the mass of basin " + std::to_string(k) + " is not finite");

      std::vector<cli::output> outs;
      if (!basins_path.empty()) outs.push_back({basins_path, bt});
      if (!csv_path.empty()) outs.push_back({csv_path, out});
      cli::write_outputs(outs);
      for (std::size_t k = 0; k < basins.minima.size(); ++k)
        std::fprintf(stderr, "basin %zu [%.6g, %.6g] minimum %.6g: mass %.12g\n", k, basins.boundaries[k],
                     basins.boundaries[k + 1], basins.minima[k], masses(k));
      if (csv_path.empty()) {
        std::printf("%16s %22s\n", "theta", "rho");
        for (shiftcurv::index i = 0; i < fp.cells(); ++i) std::printf("%16.10g %22.15g\n", fp.centres()(i), rho(i));
      }
      return 0;
    });
  });
}
