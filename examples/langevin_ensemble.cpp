// langevin_ensemble — an ensemble of the Itô SDE dθ = −U_tr'(θ)dt + √(T·D(θ)) dW with
// reflecting walls (dynamics/langevin_1d.hpp): mean train/test loss and basin occupancy at t_end.
//
//   langevin_ensemble <the loss, diffusion and domain flags of synthetic_basins> --temperature=T
//                     --particles=N --dt=h --time=t_end --seed=S
//                     [--scheme=euler-maruyama|milstein|weak2] [--init=uniform|x0]
//                     [--threads=n] [--csv=PATH|-]
//                     [--checkpoint=PATH [--checkpoint-every=SECONDS] [--resume]]
//
//   mpirun -np 4 langevin_ensemble <the same flags>      # the same CSV, byte for byte
//
// All particles start uniformly on the domain (or at x0).  CSV: a header, then one row:
// T,particles,steps,mean_train_loss,mean_test_loss,occupancy_0,…,occupancy_{K−1}
// (basins as synthetic_basins defines them).  Results are bit-identical for any --threads
// (Philox keyed by seed, particle and step).  Without --csv a readable summary (with Monte
// Carlo standard errors) goes to stdout; --csv=- writes only the CSV.  Bad input: exit code 2,
// one line on stderr naming the flag and the value, nothing on stdout; any other failure (the
// ensemble did not succeed, a column not finite, a file not writable): exit code 1 and one
// line.  Exit 0 means every CSV column is finite; a failed run leaves no output file.
// Very large --particles or --time/--dt are not capped: the run takes what they ask for.
//
// Scale-out (issue 12): the particles are cut into fixed chunks (a function of --particles
// only), run as independent jobs by shiftcurv::run_jobs over the MPI ranks (when built with MPI
// and started by mpirun/srun) and --threads threads per rank; rank 0 merges the chunks' partial
// sums in chunk order, so the CSV is byte-identical for any number of ranks and threads.
// Checkpoints: --checkpoint=PATH writes the finished chunks' partial sums to PATH every
// --checkpoint-every seconds (default 60; write-then-rename) and when SIGTERM/SIGINT arrives
// (then exit 1 with one line); --resume continues from PATH (a missing PATH starts afresh) to
// the same CSV as an uninterrupted run.  A PATH that exists without --resume, a checkpoint of
// another configuration (the differing option is named) or version, or a corrupt one: exit 2,
// one line, nothing overwritten.  --threads is not part of the configuration.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include <shiftcurv/dynamics/langevin_1d.hpp>
#include <shiftcurv/io/checkpoint.hpp>

#include "cli/common.hpp"
#include "cli/langevin.hpp"
#include "cli/parallel.hpp"
#include "cli/synthetic.hpp"

namespace cli = shiftcurv_examples::cli;

int main(int argc, char** argv) {
  cli::processes procs(argc, argv);
  CLI::App app{"Ensemble of SGD's Langevin SDE on a reflecting interval"};
  cli::model_flags flags;
  flags.add_to(app);
  std::string temperature = "1", particles = "10000", dt = "0.01", time = "10", seed = "0", scheme = "euler-maruyama",
              init = "uniform", threads = "0", csv_path;
  app.add_option("--temperature", temperature, "T > 0")->capture_default_str();
  app.add_option("--particles", particles, "number of particles N > 0")->capture_default_str();
  app.add_option("--dt", dt, "time step h > 0")->capture_default_str();
  app.add_option("--time", time, "end time t_end >= 0")->capture_default_str();
  app.add_option("--seed", seed, "random seed (non-negative integer)")->capture_default_str();
  app.add_option("--scheme", scheme, "euler-maruyama | milstein | weak2")->capture_default_str();
  app.add_option("--init", init, "uniform | x0 (all particles start at x0)")->capture_default_str();
  app.add_option("--threads", threads, "worker threads (0: all cores)")->capture_default_str();
  app.add_option("--csv", csv_path, "write the CSV to PATH, or to stdout with -");
  std::string checkpoint, checkpoint_every = "60";
  bool resume = false;
  app.add_option("--checkpoint", checkpoint, "write a checkpoint to PATH (atomically) while running");
  app.add_option("--checkpoint-every", checkpoint_every, "seconds between checkpoints")->capture_default_str();
  app.add_flag("--resume", resume, "continue from the checkpoint at --checkpoint=PATH");

  return cli::run("langevin_ensemble", app, argc, argv, [&] {
    procs.require_same_command_line();
    const cli::model m = cli::build_model(flags);
    shiftcurv::langevin_1d_options o;
    const double T = cli::parse_positive("--temperature", temperature);
    o.particles = cli::parse_count("--particles", particles);
    o.dt = cli::parse_positive("--dt", dt);
    o.t_end = cli::parse_number("--time", time, time);
    if (o.t_end < 0) cli::fail("--time", "t_end must be >= 0", time);
    {
      const std::string t = cli::trim(seed);
      unsigned long long s = 0;
      const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), s);
      if (t.empty() || ec != std::errc() || ptr != t.data() + t.size())
        cli::fail("--seed", "expected a non-negative integer", seed);
      o.seed = s;
    }
    o.scheme = cli::parse_scheme(scheme);
    const std::optional<double> x0 = cli::parse_init(init, m);
    {
      const std::string t = cli::trim(threads);
      unsigned n = 0;
      const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
      if (t.empty() || ec != std::errc() || ptr != t.data() + t.size())
        cli::fail("--threads", "expected a non-negative integer", threads);
      o.threads = n;
    }
    if (checkpoint.empty() && app.count("--checkpoint-every"))
      cli::fail("--checkpoint-every", "needs --checkpoint=PATH", checkpoint_every);
    if (checkpoint.empty() && resume) cli::fail("--resume", "needs --checkpoint=PATH", "");
    const double every = cli::parse_number("--checkpoint-every", checkpoint_every, checkpoint_every);
    if (every < 0) cli::fail("--checkpoint-every", "must be >= 0", checkpoint_every);
    const auto basins = cli::partition_basins(m);
    cli::set_domain(o, m, basins, x0);
    o.progress = false;  // one chunk per job: run_jobs reports progress

    const auto t0 = std::chrono::steady_clock::now();
    const cli::diffusion_1d noise = m.noise;
    const auto D = [&noise](double x) { return noise.value(x); };
    const shiftcurv::langevin_1d_chunks ensemble(m.train, m.test, D, T, o);
    shiftcurv::run_jobs_options jobs;
    jobs.threads = o.threads;
    jobs.checkpoint = checkpoint;
    jobs.checkpoint_every = every;
    jobs.resume = resume;
    jobs.kind = "langevin_ensemble/1";
    jobs.log = &std::cerr;
    jobs.label = "langevin_ensemble";
    if (!checkpoint.empty()) {
      // Every option that changes the result, canonically (--threads does not).
      auto list = [](const std::string& flag, const std::string& v) {
        std::string out;
        for (double x : cli::parse_list(flag, v)) out += (out.empty() ? "" : ",") + cli::num(x);
        return out;
      };
      jobs.config = "minima=" + list("--minima", flags.minima) + "\nweights=" + list("--weights", flags.weights) +
                    "\nsigmas=" + list("--sigmas", flags.sigmas) + "\nshift=" + cli::num(m.shift) +
                    "\nconfine=" + list("--confine", flags.confine) + "\ndomain=" + cli::num(m.lo) + "," + cli::num(m.hi) +
                    "\ndiffusion=" + std::to_string(static_cast<int>(m.noise.type)) + ":" + cli::num(m.noise.a) + "," +
                    cli::num(m.noise.b) + "\ntemperature=" + cli::num(T) + "\nparticles=" + std::to_string(o.particles) +
                    "\ndt=" + cli::num(o.dt) + "\ntime=" + cli::num(o.t_end) + "\nseed=" + std::to_string(o.seed) +
                    "\nscheme=" + scheme + "\ninit=" + (o.x0 ? cli::num(*o.x0) : std::string("uniform")) + "\n";
      jobs.stop = cli::processes::catch_stop_signals();
    }
    const auto done = procs.run_jobs(
        ensemble.chunks(), [&](shiftcurv::index c) { return shiftcurv::to_bytes(ensemble.run(c, c + 1).front()); }, jobs);
    if (!procs.root()) return 0;  // rank 0 writes the output
    std::vector<shiftcurv::langevin_1d_partial> parts(done.size(), ensemble.empty_partial());
    for (std::size_t c = 0; c < done.size(); ++c) shiftcurv::from_bytes(done[c], parts[c], "langevin_ensemble: checkpoint");
    auto r = ensemble.finish(parts);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r) throw std::runtime_error("the ensemble did not succeed: " + r.message);
    const auto& s = r.final();

    shiftcurv::csv_table out({"T", "particles", "steps", "mean_train_loss", "mean_test_loss"});
    std::vector<shiftcurv::csv_cell> row{T, r.particles, r.steps, s.mean_train_loss, s.mean_test_loss};
    for (std::size_t k = 0; k < s.occupancy.size(); ++k) {
      out.header.push_back("occupancy_" + std::to_string(k));
      row.emplace_back(s.occupancy[k]);
    }
    for (std::size_t j = 0; j < row.size(); ++j)
      if (!std::isfinite(row[j].number()))
        throw std::runtime_error("the ensemble's " + out.header[j] + " is not finite (" + r.message + ")");
    out.add_row(std::move(row));
    if (!csv_path.empty()) cli::write_outputs({{csv_path, out}});
    if (csv_path == "-") return 0;
    std::printf("T = %g, %ld particles, %ld steps of dt = %g to t = %g (%.2f s)\n", T, long(r.particles),
                long(r.steps), o.dt, s.time, r.seconds);
    std::printf("mean train loss %.10g +- %.2g\nmean test loss  %.10g +- %.2g\n", s.mean_train_loss, s.train_loss_error,
                s.mean_test_loss, s.test_loss_error);
    for (std::size_t k = 0; k < s.occupancy.size(); ++k)
      std::printf("basin %zu [%.6g, %.6g] (minimum %.6g): occupancy %.6f\n", k, basins.boundaries[k],
                  basins.boundaries[k + 1], basins.minima[k], s.occupancy[k]);
    return 0;
  });
}
