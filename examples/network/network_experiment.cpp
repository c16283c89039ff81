// network_experiment — the paper's network experiments in miniature (issue 11) on the digits MLP:
// the temperature sweep of Figures 1–3, Figure 5's two-stage temperature experiment, the shift
// experiments (reshuffled splits, sample sizes), Appendix D.1 (flat-direction variance of eq-13
// SGD) and eq 4's test-loss terms measured and predicted at network scale.
//
//   network_experiment --out=DIR [--parts=1,2,3,4,5] [--backend=cpu|cuda] [--config=FILE] [flags]
//
// --backend=cuda runs parts 1-3 only (its default --parts is 1,2,3; --parts naming 4 or 5 exits 2).
//
// With --out alone every part runs with the defaults (a few minutes on 2 cores) and writes
// DIR/<table>.csv and DIR/*.png (matplotlib, /usr/bin/python3).  The flags, their defaults and
// the CSV columns: examples/network/README.md, "network_experiment"; `--help` lists the flags.
// Resume: rows are appended to DIR/<table>.csv.partial as units finish (first line: the run's
// configuration), renamed to DIR/<table>.csv when the part is complete; a rerun with the same
// flags skips the finished units, a rerun with other flags exits 2.  --stop-after=K stops after
// K computed units (for testing the resume).  Bad input: exit 2 and one line on stderr; other
// failures exit 1.  A progress line per unit goes to stderr.
// Under `mpirun -np N network_experiment <flags>` (a build with MPI) the units of each part run
// on the N ranks, one round of N units at a time; rank 0 writes the same rows as the serial run
// (the `seconds` columns and the timing summary aside) and keeps each finished round.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/parallel.hpp"
#include "network/experiment_parts.hpp"
#include "network/network_args.hpp"
#include "network/workspace.hpp"

namespace cli = shiftcurv_examples::cli;

namespace {

namespace fs = std::filesystem;
namespace net = shiftcurv_examples::network;

std::vector<std::uint64_t> parse_seeds(const std::string& v) {
  const auto out = cli::parse_items("--seeds", v, "expected a comma-separated list of seeds",
                                    [&](std::string_view t) { return cli::parse_seed("--seeds", t); });
  for (std::size_t i = 0; i < out.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (out[i] == out[j]) cli::fail("--seeds", "seeds must be distinct", v);
  return out;
}

/// An integer in [lo, hi] where a bound depends on another flag (static ranges: cli::integer_in).
long parse_int_in(const std::string& flag, std::string_view v, long lo, long hi) {
  const auto n = cli::to_integer(v);
  if (!n) cli::fail(flag, "expected an integer", v);
  if (*n < lo || *n > hi) cli::fail(flag, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", v);
  return *n;
}

std::vector<long> parse_int_list(const std::string& flag, const std::string& v, long lo, long hi) {
  return cli::parse_items(flag, v, "expected a comma-separated list of integers", [&](std::string_view t) {
    const auto n = cli::to_integer(t);
    if (!n) cli::fail(flag, "'" + cli::trim(t) + "' is not an integer", v);
    if (*n < lo || *n > hi) cli::fail(flag, "every entry must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", v);
    return *n;
  });
}

/// "lambda:B,lambda:B,..."
std::vector<std::pair<double, shiftcurv::index>> parse_pairs(const std::string& v, long n_train) {
  return cli::parse_items("--fig5-pairs", v, "expected lambda:B,lambda:B,...", [&](std::string_view t) {
    const auto colon = t.find(':');
    if (colon == std::string_view::npos) cli::fail("--fig5-pairs", "'" + cli::trim(t) + "' is not lambda:B", v);
    const double lr = cli::parse_number("--fig5-pairs", t.substr(0, colon), v);
    if (!(lr > 0)) cli::fail("--fig5-pairs", "every learning rate lambda must be > 0", v);
    const shiftcurv::index B = parse_int_in("--fig5-pairs", t.substr(colon + 1), 1, n_train);
    return std::pair{lr, B};
  });
}

/// The flags: numbers with a fixed range are checked (and converted) by CLI11 through the
/// validators of cli/args.hpp; lists, and numbers whose range depends on another flag, are
/// parsed in build_settings.
struct raw_flags {
  std::string out, parts = "1,2,3,4,5", backend = "cpu", data = net::default_digits_path(), hidden = "32",
              seeds = "1,2", temperatures = "0.001,0.003,0.01,0.03", batch = "16", stage1_batch = "100",
              fig5_pairs = "0.016:16,0.064:64,0.064:16,0.256:64", sizes = "300,900,1797", d1_train_size = "200",
              d1_batch = "16", terms_k = "20";
  double alpha = 0.001, epochs = 30, gtol = 1e-5, stage1_lr = 0.5, stage1_epochs = 60, fig5_epochs = 50, d1_alpha = 0.1,
         d1_beta = 0.1, d1_lr = 0.05, d1_relaxations = 40, terms_temperature = 0.01;
  long train_size = 1000, max_iterations = 2000, line_points = 49, final_steps = 50, reshuffles = 2,
       terms_samples = 200, terms_thinning = 10, terms_burn_in = 1000, stop_after = 0;
};

cli::experiment_settings build_settings(const raw_flags& f) {
  cli::experiment_settings s;
  s.widths = cli::parse_hidden(f.hidden).widths;
  s.alpha = f.alpha;
  s.train_size = f.train_size;
  s.seeds = parse_seeds(f.seeds);
  s.backend = cli::parse_backend(f.backend);
  s.data = f.data;
  s.temperatures = cli::parse_list("--temperatures", f.temperatures);
  for (double T : s.temperatures)
    if (!(T > 0)) cli::fail("--temperatures", "every temperature T must be > 0", f.temperatures);
  s.batch = parse_int_in("--batch", f.batch, 1, s.train_size);
  s.epochs = f.epochs;
  s.descent.gradient_tolerance = f.gtol;
  s.descent.max_iterations = static_cast<int>(f.max_iterations);
  s.line_points = static_cast<int>(f.line_points);
  s.stage1_batch = parse_int_in("--stage1-batch", f.stage1_batch, 1, s.train_size);
  s.stage1_lr = f.stage1_lr;
  s.stage1_epochs = f.stage1_epochs;
  s.pairs = parse_pairs(f.fig5_pairs, s.train_size);
  s.fig5_epochs = f.fig5_epochs;
  s.final_steps = f.final_steps;
  for (const auto& [lr, B] : s.pairs) {
    const double steps = std::ceil(s.fig5_epochs * static_cast<double>(s.train_size) / static_cast<double>(B));
    if (static_cast<double>(s.final_steps) > steps)
      cli::fail("--final-steps", "exceeds the " + std::to_string(static_cast<long>(steps)) + " steps of the pair " +
                                     shiftcurv::csv_number(lr) + ":" + std::to_string(B) + " (raise --fig5-epochs)",
                std::to_string(f.final_steps));
  }
  s.reshuffles = f.reshuffles;
  const long pool = 1000 + 797;
  for (long n : parse_int_list("--sizes", f.sizes, 2, pool)) {
    const long ntr = std::lround(static_cast<double>(s.train_size) / static_cast<double>(s.train_size + 797) * static_cast<double>(n));
    if (ntr < s.stage1_batch || n - ntr < 1)
      cli::fail("--sizes", "size " + std::to_string(n) + " gives " + std::to_string(ntr) +
                               " training samples, fewer than --stage1-batch (or no test sample)", f.sizes);
    s.sizes.push_back(n);
  }
  // parts 4 and 5
  const long p = shiftcurv_examples::network::mlp_shape{s.widths}.num_parameters();
  s.d1_train_size = parse_int_in("--d1-train-size", f.d1_train_size, 2, s.train_size);
  if (p <= s.d1_train_size)
    cli::fail("--d1-train-size", "Appendix D.1 needs more parameters (p = " + std::to_string(p) + ") than samples",
              f.d1_train_size);
  s.d1_alpha = f.d1_alpha;
  s.d1_beta = f.d1_beta;
  s.d1_lr = f.d1_lr;
  if (!(s.d1_lr * s.d1_alpha < 2))
    cli::fail("--d1-lr", "lambda*alpha must be < 2 (eq 13's recursion diverges)", shiftcurv::csv_number(f.d1_lr));
  s.d1_batch = parse_int_in("--d1-batch", f.d1_batch, 1, s.d1_train_size);
  s.d1_relaxations = f.d1_relaxations;
  s.terms_temperature = f.terms_temperature;
  s.terms_samples = f.terms_samples;
  s.terms_thinning = f.terms_thinning;
  s.terms_burn_in = f.terms_burn_in;
  s.terms_k = parse_int_in("--terms-k", f.terms_k, 1, p);
  return s;
}

std::string seconds(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f s", x);
  return b;
}

/// Runs the selected parts; returns false when --stop-after stopped it.
///
/// Under mpirun/srun (issue 12) the units of a part are independent jobs: rank 0 owns the tables
/// (it alone reads and writes DIR), decides which units are still to do and broadcasts their
/// indices; the pending units then go out one round of `procs.size()` units at a time through
/// shiftcurv::run_jobs (parallel/jobs.hpp), whose results reach rank 0 in unit order and are
/// appended there after each round.  A unit depends on its index only, so the rows are those of
/// the serial run, and a stopped run keeps every finished round.  Errors on rank 0 before the
/// work (a directory written with other flags) are broadcast, so every rank stops with it.
template <class Loss>
bool run_parts(const cli::processes& procs, std::vector<cli::part> parts, const std::set<int>& selected,
               const fs::path& dir, const std::string& config, long stop_after,
               const std::chrono::steady_clock::time_point start) {
  // Open every table first: a directory written with other settings is refused before any work.
  std::vector<std::vector<std::unique_ptr<cli::resumable_table>>> tables(parts.size());
  std::string error;
  if (procs.root()) {
    try {
      for (std::size_t p = 0; p < parts.size(); ++p)
        if (selected.count(parts[p].number))
          for (const auto& spec : parts[p].tables)
            tables[p].push_back(std::make_unique<cli::resumable_table>(dir, spec, config));
    } catch (const cli::usage_error& e) {
      if (procs.size() == 1) throw;
      error = e.what();
    }
  }
  procs.broadcast(error);
  if (!error.empty()) throw cli::usage_error(error);

  long computed = 0;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    if (!selected.count(parts[p].number)) continue;
    auto& part = parts[p];
    auto& tabs = tables[p];
    const std::size_t total = part.units.size();
    // Rank 0: the units still to do, as their indices; every rank gets the list.
    std::vector<shiftcurv::index> pending;
    std::string pending_bytes;
    if (procs.root()) {
      auto key_of = [&](const cli::unit& u) { return cli::row_key(u.key, tabs[u.done_table]->spec().key_columns); };
      std::set<std::string> done;
      for (const auto& u : part.units)
        if (tabs[u.done_table]->has_key(key_of(u))) done.insert(key_of(u));
      for (auto& t : tabs) t->keep_only(done);  // rows of units that did not finish
      for (std::size_t i = 0; i < total; ++i)
        if (!done.count(key_of(part.units[i]))) pending.push_back(static_cast<shiftcurv::index>(i));
      if (!done.empty())
        std::cerr << "network_experiment: part " << part.number << " (" << part.name << "): " << done.size()
                  << " of " << total << " units already done\n";
      pending_bytes = shiftcurv::to_bytes(pending);
    }
    procs.broadcast(pending_bytes);
    shiftcurv::from_bytes(pending_bytes, pending, "network_experiment");

    std::size_t k = total - pending.size();
    const std::size_t round = static_cast<std::size_t>(procs.size());
    // A round of n units (fewer than `round` at the end, or where --stop-after ends the run: the
    // next round then starts after those n, so no pending unit is skipped).
    for (std::size_t first = 0, n = 0; first < pending.size(); first += n) {
      if (stop_after > 0 && computed >= stop_after) {
        std::cerr << "network_experiment: stopped after " << computed
                  << " units (--stop-after); rerun with the same flags to continue\n";
        return false;
      }
      n = std::min(round, pending.size() - first);
      if (stop_after > 0) n = std::min(n, static_cast<std::size_t>(stop_after - computed));
      const auto t0 = std::chrono::steady_clock::now();
      std::vector<std::vector<cli::rows_t>> results(n);
      if (procs.size() == 1) {
        results[0] = part.units[static_cast<std::size_t>(pending[first])].compute();
      } else {
        shiftcurv::run_jobs_options o;
        o.threads = 1;
        o.kind = "network_experiment/1";
        o.config = config;
        const auto bytes = procs.run_jobs(
            static_cast<shiftcurv::index>(n),
            [&](shiftcurv::index j) {
              return shiftcurv::to_bytes(part.units[static_cast<std::size_t>(pending[first + static_cast<std::size_t>(j)])].compute());
            },
            o);
        if (procs.root())
          for (std::size_t j = 0; j < n; ++j) shiftcurv::from_bytes(bytes[j], results[j], "network_experiment");
      }
      for (std::size_t j = 0; j < n; ++j) {
        ++computed;
        ++k;
        if (!procs.root()) continue;
        const auto& u = part.units[static_cast<std::size_t>(pending[first + j])];
        const auto& rows = results[j];
        for (std::size_t t = 0; t < tabs.size(); ++t)
          if (t != u.done_table && !rows[t].empty()) tabs[t]->append(rows[t]);
        tabs[u.done_table]->append(rows[u.done_table]);  // last: marks the unit done
        const auto now = std::chrono::steady_clock::now();
        std::cerr << "network_experiment: part " << part.number << " (" << part.name << ") [" << k << "/" << total
                  << "] " << u.label << ": " << seconds(std::chrono::duration<double>(now - t0).count())
                  << " (elapsed " << seconds(std::chrono::duration<double>(now - start).count()) << ")\n";
      }
    }
    if (procs.root())
      for (auto& t : tabs) t->finish();
  }
  return true;
}

void draw_figures(const fs::path& dir, const char* argv0) {
  const auto script = fs::absolute(argv0).parent_path() / "plot_network_experiment.py";
  if (!fs::exists(script)) {
    std::cerr << "network_experiment: figures: " << script.string() << " not found; the CSVs are in " << dir.string() << "\n";
    return;
  }
  for (const char* py : {"/usr/bin/python3", "python3"}) {
    const std::string probe = std::string(py) + " -c 'import matplotlib' >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) {
      const std::string cmd = std::string(py) + " '" + script.string() + "' '" + dir.string() + "' 1>&2";
      if (std::system(cmd.c_str()) == 0) return;
    }
  }
  std::cerr << "network_experiment: figures: python3 with matplotlib not found (apt-get install python3-matplotlib); "
            << "run: python3 " << script.string() << " " << dir.string() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  cli::processes procs(argc, argv);  // before parsing: MPI_Init when started by mpirun/srun
  net::keep_freed_work_space();
  // One thread for Eigen's GEMMs unless OMP_NUM_THREADS says otherwise: the matrices are small
  // and OpenMP's spinning threads slow a shared machine down badly (measured 30x at load 6).
  if (!std::getenv("OMP_NUM_THREADS")) Eigen::setNbThreads(1);
  CLI::App app{"The paper's network experiments (Figures 1-3, 5, shift experiments) on the digits MLP"};
  app.set_config("--config", "", "read flags from an INI/TOML file (key = value, keys as the long flags)");
  raw_flags f;
  app.add_option("--out", f.out, "output directory (CSVs, figures, .partial files while running)")->required();
  app.add_option("--parts", f.parts, "parts: 1 temperature sweep, 2 Figure 5, 3 shift experiments, 4 Appendix D.1, 5 eq-4 terms "
                 "(--backend=cuda: parts 1-3 only, default 1,2,3)")->capture_default_str();
  app.add_option("--backend", f.backend, "cpu | cuda")->capture_default_str();
  app.add_option("--data", f.data, "digits CSV (.csv or .csv.gz)")->capture_default_str();
  app.add_option("--hidden", f.hidden, "hidden widths h1,h2,... (net 64-h1-...-10, tanh)")->capture_default_str();
  app.add_option("--alpha", f.alpha, "l2 weight alpha > 0 of train and test losses")
      ->transform(cli::positive_number("the l2 term gives train and test losses strict minima"))->capture_default_str();
  app.add_option("--train-size", f.train_size, "first N of the 1000 training digits")
      ->transform(cli::integer_in(2, 1000))->capture_default_str();
  app.add_option("--seeds", f.seeds, "seeds (initialisation and SGD noise)")->capture_default_str();
  app.add_option("--temperatures", f.temperatures, "part 1: T grid (T = lambda/B)")->capture_default_str();
  app.add_option("--batch", f.batch, "part 1: minibatch size B (lambda = T*B)")->capture_default_str();
  app.add_option("--epochs", f.epochs, "part 1: SGD epochs from the initialisation")
      ->transform(cli::positive_number())->capture_default_str();
  app.add_option("--gtol", f.gtol, "L-BFGS: stop when |grad U| <= gtol")
      ->transform(cli::positive_number())->capture_default_str();
  app.add_option("--max-iterations", f.max_iterations, "L-BFGS iteration limit")
      ->transform(cli::integer_in(1, 1000000))->capture_default_str();
  app.add_option("--line-points", f.line_points, "part 1: points on the line r in [-|s|/2, 3|s|/2]")
      ->transform(cli::integer_in(3, 100000))->capture_default_str();
  app.add_option("--stage1-batch", f.stage1_batch, "parts 2, 3: stage-1 batch size")->capture_default_str();
  app.add_option("--stage1-lr", f.stage1_lr, "parts 2, 3: stage-1 initial learning rate (x0.1 at 50%, 75%)")
      ->transform(cli::positive_number())->capture_default_str();
  app.add_option("--stage1-epochs", f.stage1_epochs, "parts 2, 3: stage-1 epochs")
      ->transform(cli::positive_number())->capture_default_str();
  app.add_option("--fig5-pairs", f.fig5_pairs, "part 2: lambda:B pairs of the constant-rate stage")->capture_default_str();
  app.add_option("--fig5-epochs", f.fig5_epochs, "part 2: epochs of each constant-rate run")
      ->transform(cli::positive_number())->capture_default_str();
  app.add_option("--final-steps", f.final_steps, "part 2: final loss = median over the last K steps")
      ->transform(cli::integer_in(1, 1000000))->capture_default_str();
  app.add_option("--reshuffles", f.reshuffles, "part 3: random re-splits of train+test")
      ->transform(cli::integer_in(0, 100000))->capture_default_str();
  app.add_option("--sizes", f.sizes, "part 3: subsample sizes (split 1000:797)")->capture_default_str();
  app.add_option("--d1-train-size", f.d1_train_size, "part 4: first N training digits (p > N)")->capture_default_str();
  app.add_option("--d1-alpha", f.d1_alpha, "part 4: eq-13 l2 drift alpha > 0")
      ->transform(cli::positive_number())->capture_default_str();
  app.add_option("--d1-beta", f.d1_beta, "part 4: eq-13 isotropic noise beta > 0")
      ->transform(cli::positive_number())->capture_default_str();
  app.add_option("--d1-lr", f.d1_lr, "part 4: learning rate lambda")
      ->transform(cli::positive_number())->capture_default_str();
  app.add_option("--d1-batch", f.d1_batch, "part 4: batch size B")->capture_default_str();
  app.add_option("--d1-relaxations", f.d1_relaxations, "part 4: recorded steps, in relaxation times 1/(lambda alpha)")
      ->transform(cli::positive_number())->capture_default_str();
  app.add_option("--terms-temperature", f.terms_temperature, "part 5: T of the SGD run near theta_tr (B = --batch)")
      ->transform(cli::positive_number())->capture_default_str();
  app.add_option("--terms-samples", f.terms_samples, "part 5: SGD records")
      ->transform(cli::integer_in(4, 100000000))->capture_default_str();
  app.add_option("--terms-thinning", f.terms_thinning, "part 5: SGD steps per record")
      ->transform(cli::integer_in(1, 100000000))->capture_default_str();
  app.add_option("--terms-burn-in", f.terms_burn_in, "part 5: SGD steps before the first record")
      ->transform(cli::integer_in(0, 100000000))->capture_default_str();
  app.add_option("--terms-k", f.terms_k, "part 5: Hessian eigenvectors (Lanczos) of the predicted covariance")->capture_default_str();
  app.add_option("--stop-after", f.stop_after, "stop after K computed units (the rest on a rerun)")
      ->transform(cli::positive_integer());

  return cli::run("network_experiment", app, argc, argv, [&] {
    procs.require_same_command_line();  // ranks started with other flags: exit 2
    const auto start = std::chrono::steady_clock::now();
    if (cli::trim(f.out).empty()) cli::fail("--out", "expected a directory", f.out);
    // --backend=cuda runs parts 1-3 only: parts 4 and 5 need the per-sample members value(θ, i)
    // and gradient(θ, i, g), which the CUDA adapter lacks.  Without --parts it runs 1,2,3; a
    // --parts naming 4 or 5 is refused (exit 2) rather than run with tables missing.
    const bool cuda = cli::trim(f.backend) == "cuda";
    const std::string parts = cuda && app.count("--parts") == 0 ? std::string("1,2,3") : f.parts;
    std::set<int> selected;
    for (long p : parse_int_list("--parts", parts, 1, 5)) selected.insert(static_cast<int>(p));
    if (cuda && (selected.count(4) || selected.count(5)))
      cli::fail("--parts", "parts 4 and 5 need the CPU backend; with --backend=cuda pass --parts=1,2,3 or a subset",
                f.parts);
    const long stop_after = f.stop_after;  // 0: no --stop-after
    const cli::experiment_settings s = build_settings(f);
#if defined(SHIFTCURV_HAVE_CUDA_BACKEND)
    // before reading the data or creating --out: a run that cannot start writes nothing
    if (cuda && !net::mlp_cuda::device_available()) throw std::runtime_error("--backend=cuda: no CUDA device found");
#endif
    const net::digits_split data = net::load_digits(s.data);  // invalid_argument → exit 2

    std::error_code ec;
    fs::create_directories(f.out, ec);
    if (ec || !fs::is_directory(f.out)) cli::fail("--out", "cannot create the directory", f.out);
    try {
      shiftcurv::detail::write_file_atomically("network_experiment", fs::path(f.out) / ".write-test", "");
      fs::remove(fs::path(f.out) / ".write-test", ec);
    } catch (const std::exception&) {
      cli::fail("--out", "the directory is not writable", f.out);
    }

    net::call_timing timing;
    bool finished = false;
    if (s.backend == "cpu") {
      cli::experiment<net::mlp_loss<double>> e(
          s, data,
          [&](const net::labeled_data& d) { return std::make_unique<net::mlp_loss<double>>(net::mlp_shape{s.widths}, d, s.alpha); },
          &timing);
      finished = run_parts<net::mlp_loss<double>>(procs, e.parts(), selected, f.out, s.config(), stop_after, start);
    } else {
#if defined(SHIFTCURV_HAVE_CUDA_BACKEND)
      cli::experiment<net::mlp_cuda_loss> e(
          s, data,
          [&](const net::labeled_data& d) { return std::make_unique<net::mlp_cuda_loss>(net::mlp_shape{s.widths}, d, s.alpha); },
          &timing);
      finished = run_parts<net::mlp_cuda_loss>(procs, e.parts(), selected, f.out, s.config(), stop_after, start);
#endif
    }
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr,
                 "network_experiment: %.1f s; in loss calls: SGD minibatch gradients %.1f s (%ld), full gradients "
                 "%.1f s (%ld), HVPs %.1f s (%ld), values %.1f s (%ld)\n",
                 total, timing.minibatch, timing.minibatches, timing.gradient, timing.gradients, timing.hvp, timing.hvps,
                 timing.value, timing.values);
    if (finished && procs.root()) draw_figures(f.out, argv[0]);
    return 0;
  });
}
