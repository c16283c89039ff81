// A grammar fuzzer over the three programs (synthetic_basins, langevin_ensemble,
// fokker_planck): random, partly malformed flags (numbers at the edges of double — 0, −0,
// 5e-324, 1e-300, 1e308, inf, nan —, empty lists, lists of the wrong length, junk, unknown
// flags, bad output paths), run without a shell, asserting the exit contract:
//   * no signal, no abort, no hang (each run is killed after 20 s);
//   * exit 0  ⇒ the CSV is complete (every line ends, every row as long as the header), every
//               field parses as a number, every exact column is finite; synthetic_basins may
//               leave an approximation column nan only with a stderr line naming that T;
//   * exit ≠ 0 ⇒ 1 or 2, exactly one line on stderr (starting with the program's name),
//               nothing on stdout, and no file (final or temporary) left in the output folder.
// Sizes are kept small (≤ 3 temperatures, ≤ 200 particles × 2000 steps, ≤ 200 cells) so a run
// takes ~0.01–0.3 s; the default run does 100 runs (~2 s), the "slow fuzz" suite 3000 with
// another seed (~35 s on 2 cores).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/harness.hpp"
#include "random_matrices.hpp"

namespace {

namespace fs = std::filesystem;

// ---- the generator ---------------------------------------------------------------------------
struct generator {
  test_support::fixture_rng rng;
  double edge = 0.3;  ///< probability that a number is an edge case (set per run)

  explicit generator(std::uint64_t seed) : rng(seed) {}

  double uniform(double a, double b) { return rng.uniform(a, b); }
  bool chance(double p) { return uniform(0, 1) < p; }
  int integer(int a, int b) { return rng.integer(a, b); }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[static_cast<std::size_t>(integer(0, int(v.size()) - 1))]; }

  static std::string fmt(double x, int digits = 6) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*g", digits, x);
    return b;
  }
  std::string edge_number() {
    static const std::vector<std::string> e{"0",     "-0",   "-1",  "5e-324", "1e-300", "1e-320", "1e308",
                                            "-1e308", "inf", "-inf", "nan",   "",       "junk",   "1e",
                                            "0x10",  "1,2",  " 1",  "+1",     "4.3e9",  "1e-12",  "2.5"};
    return pick(e);
  }
  std::string number(double lo, double hi) { return chance(edge) ? edge_number() : fmt(uniform(lo, hi), integer(1, 7)); }
  std::string positive() { return chance(edge) ? edge_number() : fmt(std::pow(10.0, uniform(-4, 3))); }
  /// n entries from f, sometimes empty or one too many/few.
  template <class F>
  std::string list(int n, F f) {
    const double r = uniform(0, 1);
    if (r < edge / 3) return "";
    if (r < 2 * edge / 3) n = std::max(0, n + (chance(0.5) ? 1 : -1));
    std::string s;
    for (int i = 0; i < n; ++i) s += (i ? "," : "") + f();
    return s;
  }

  std::vector<std::string> model_flags() {
    std::vector<std::string> fl;
    const int K = integer(1, 3);
    if (chance(0.8)) {
      fl.push_back("--minima=" + list(K, [&] { return number(-3, 3); }));
      fl.push_back("--weights=" + list(K, [&] { return positive(); }));
      fl.push_back("--sigmas=" + list(K, [&] { return chance(edge) ? edge_number() : fmt(std::pow(10.0, uniform(-1.5, 0))); }));
    }
    if (chance(0.3)) fl.push_back("--shift=" + number(-1, 1));
    if (chance(0.4)) {
      std::string kind = pick(std::vector<std::string>{"const", "linear", "affine-loss", "bogus", ""});
      if (chance(1 - 2 * edge)) kind = pick(std::vector<std::string>{"const", "linear", "affine-loss"});
      fl.push_back("--diffusion=" + kind + ":" + list(kind == "const" ? 1 : 2, [&] { return positive(); }));
    }
    if (chance(0.3)) {
      if (chance(edge)) fl.push_back("--domain=" + list(2, [&] { return number(-5, 5); }));
      else fl.push_back("--domain=" + fmt(uniform(-5, 0), 3) + "," + fmt(uniform(0.5, 5), 3));
    }
    if (chance(0.2)) fl.push_back("--confine=" + number(0, 1));
    if (chance(0.03)) fl.push_back(pick(std::vector<std::string>{"--nonsense", "--minima", "-x", "--", "--weights"}));
    return fl;
  }
};

struct fuzz_case {
  std::string program;
  std::vector<std::string> args;
  int temperatures = -1;  ///< entries of --temperatures, -1 if not given (synthetic_basins)
  long cells = -1;        ///< --cells (fokker_planck)
};

fuzz_case generate(generator& g) {
  g.edge = g.chance(0.4) ? 0.3 : 0.02;  // partly malformed, or nearly always well formed
  fuzz_case c;
  c.program = g.pick(std::vector<std::string>{"synthetic_basins", "langevin_ensemble", "fokker_planck"});
  c.args = g.model_flags();
  auto& fl = c.args;
  if (c.program == "synthetic_basins") {
    const std::string T = g.list(g.integer(1, 3), [&] { return g.positive(); });
    c.temperatures = T.empty() ? 0 : static_cast<int>(std::count(T.begin(), T.end(), ',')) + 1;
    fl.push_back("--temperatures=" + T);
    if (g.chance(0.1)) fl.push_back("--preset=" + g.pick(std::vector<std::string>{"fig4-left", "fig6-right", "x"}));
  } else if (c.program == "langevin_ensemble") {
    fl.push_back("--temperature=" + g.positive());
    fl.push_back("--particles=" + (g.chance(1 - g.edge) ? g.pick(std::vector<std::string>{"1", "50", "200"})
                                                          : g.pick(std::vector<std::string>{"0", "-3", "1e3", "x", "99999999999999999999"})));
    fl.push_back("--dt=" + (g.chance(1 - g.edge) ? g.pick(std::vector<std::string>{"0.01", "0.001", "0.1", "1"})
                                                   : g.pick(std::vector<std::string>{"0", "5e-324", "1e-300", "inf", "-0.1", "nan"})));
    fl.push_back("--time=" + (g.chance(1 - g.edge) ? g.pick(std::vector<std::string>{"0", "0.5", "1", "2"})
                                                     : g.pick(std::vector<std::string>{"-1", "1e308", "nan", "inf", "5e-324"})));
    if (g.chance(0.3)) fl.push_back("--seed=" + g.pick(std::vector<std::string>{"0", "7", "-1", "18446744073709551615", "x"}));
    if (g.chance(0.3)) fl.push_back("--scheme=" + g.pick(std::vector<std::string>{"euler-maruyama", "milstein", "weak2", "rk4"}));
    if (g.chance(0.3)) fl.push_back("--init=" + g.pick(std::vector<std::string>{"uniform", "0", "-1", "100", "nan"}));
    if (g.chance(0.2)) fl.push_back("--threads=" + g.pick(std::vector<std::string>{"0", "1", "2", "-1", "4294967296"}));
  } else {
    fl.push_back("--temperature=" + g.positive());
    const std::string cells = g.chance(1 - g.edge) ? g.pick(std::vector<std::string>{"2", "50", "200"})
                                                   : g.pick(std::vector<std::string>{"1", "0", "-5", "x", "1e3"});
    c.cells = std::atol(cells.c_str());
    fl.push_back("--cells=" + cells);
    const double r = g.uniform(0, 1);
    if (r < 0.45)
      fl.push_back("--time=" + (g.chance(1 - g.edge) ? g.pick(std::vector<std::string>{"0", "0.1", "1"})
                                                       : g.pick(std::vector<std::string>{"-1", "1e308", "nan", "inf", "5e-324", "1e-310"})));
    else if (r < 0.97 || g.edge < 0.1)
      fl.push_back("--steady");
    else
      fl.insert(fl.end(), {"--steady", "--time=1"});
    if (g.chance(0.3)) fl.push_back("--init=" + g.pick(std::vector<std::string>{"uniform", "0", "-1", "100"}));
  }
  g.rng.shuffle(fl.begin(), fl.end());
  return c;
}

// ---- the checks --------------------------------------------------------------------------------
bool parse_number(const std::string& s, double& x) {
  if (s.empty()) return false;
  char* end = nullptr;
  x = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    out.push_back(text.substr(start, nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

/// Checks one CSV text; `exact(column)` says which columns must be finite.  Returns "" or what is wrong.
template <class Exact>
std::string check_csv(const std::string& text, Exact exact, std::vector<std::vector<double>>& rows,
                      std::vector<std::string>& header) {
  if (text.empty() || text.back() != '\n') return "the CSV does not end with a newline (incomplete)";
  const auto lines = lines_of(text);
  header = harness::split(lines[0], ',');
  if (lines.size() < 2) return "the CSV has no row";
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto f = harness::split(lines[i], ',');
    if (!lines[i].empty() && lines[i].back() == ',') f.push_back("");
    if (f.size() != header.size()) return "row " + std::to_string(i) + " has " + std::to_string(f.size()) + " fields, the header " + std::to_string(header.size());
    std::vector<double> r;
    for (std::size_t j = 0; j < f.size(); ++j) {
      double x;
      if (!parse_number(f[j], x)) return "field '" + f[j] + "' of column " + header[j] + " is not a number";
      if (exact(header[j]) && !std::isfinite(x)) return "exact column " + header[j] + " = " + f[j];
      r.push_back(x);
    }
    rows.push_back(r);
  }
  return "";
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

/// Runs one case and returns "" or the broken promise.
std::string run_case(generator& g, fuzz_case c, double& seconds, int& code) {
  const fs::path dir = harness::temp_path("fuzz");
  fs::create_directories(dir);
  // The output: a file (mostly), stdout, or a path that cannot be written.
  std::string csv = (dir / "out.csv").string();
  bool to_file = true;
  const double r = g.uniform(0, 1);
  if (r < 0.1) { csv = "-"; to_file = false; }
  else if (r < 0.13) { csv = (dir / "missing" / "out.csv").string(); to_file = false; }
  else if (r < 0.15) { csv = dir.string() + "/"; to_file = false; }
  c.args.push_back("--csv=" + csv);
  const bool basins = c.program == "fokker_planck" && g.chance(0.5);
  if (basins) c.args.push_back("--basins=" + (dir / "basins.csv").string());

  const auto res = harness::run_args(c.program, c.args, 90.0);  // a hang detector: generous on a loaded CI machine
  seconds = res.seconds;
  code = res.code;
  std::string problem;
  auto fail = [&](const std::string& s) { if (problem.empty()) problem = s; };
  const auto err_lines = lines_of(res.err);
  if (res.timed_out) fail("did not finish within 90 s");
  else if (res.signal) fail("killed by signal " + std::to_string(res.signal));
  else if (res.code != 0 && res.code != 1 && res.code != 2) fail("exit code " + std::to_string(res.code));
  else if (res.code != 0) {
    if (err_lines.size() != 1 || res.err.back() != '\n') fail(std::to_string(err_lines.size()) + " stderr lines");
    else if (res.err.rfind(c.program + ": ", 0) != 0) fail("the stderr line does not start with the program's name");
    if (!res.out.empty()) fail("stdout is not empty");
    if (!files_in(dir).empty()) fail("files left behind: " + files_in(dir).front());
  } else {
    std::string text = res.out;
    if (to_file) {
      if (!fs::exists(csv)) fail("exit 0 but no " + csv);
      text = harness::slurp(csv);
    }
    std::vector<std::vector<double>> rows;
    std::vector<std::string> header;
    if (c.program == "synthetic_basins") {
      auto exact = [](const std::string& h) {
        return h == "T" || h == "train_loss" || h == "test_loss" || h.rfind("w_exact_", 0) == 0;
      };
      fail(check_csv(text, exact, rows, header));
      if (problem.empty() && c.temperatures > 0 && rows.size() != std::size_t(c.temperatures))
        fail(std::to_string(rows.size()) + " rows for " + std::to_string(c.temperatures) + " temperatures");
      bool any_nan = false;
      for (const auto& row : rows)
        for (double x : row) any_nan = any_nan || !std::isfinite(x);
      if (any_nan && err_lines.empty()) fail("an approximation column is nan without a stderr line");
      if (err_lines.size() > rows.size()) fail("more stderr lines than temperatures");
      for (const auto& l : err_lines)
        if (l.rfind("synthetic_basins: T=", 0) != 0) fail("a stderr line that names no T: " + l);
    } else {
      fail(check_csv(text, [](const std::string&) { return true; }, rows, header));
      if (problem.empty() && c.program == "fokker_planck" && rows.size() != std::size_t(c.cells))
        fail(std::to_string(rows.size()) + " rows for " + std::to_string(c.cells) + " cells");
      if (problem.empty() && c.program == "langevin_ensemble" && rows.size() != 1) fail("not one row");
    }
    if (basins) {
      std::vector<std::vector<double>> brows;
      std::vector<std::string> bheader;
      fail(check_csv(harness::slurp((dir / "basins.csv").string()), [](const std::string&) { return true; }, brows, bheader));
    }
    for (const auto& f : files_in(dir))
      if (f != "out.csv" && f != "basins.csv") fail("a stray file: " + f);
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (problem.empty()) return "";
  std::string cmd = c.program;
  for (const auto& a : c.args) cmd += " '" + a + "'";
  return problem + "\n    " + cmd + "\n    exit " + std::to_string(res.code) + ", stderr: " + res.err.substr(0, 600);
}

void fuzz(std::uint64_t seed, int runs) {
  generator g(seed);
  int failures = 0, codes[3] = {0, 0, 0};
  double total = 0, worst = 0;
  std::string worst_case;
  for (int i = 0; i < runs; ++i) {
    const fuzz_case c = generate(g);
    double s = 0;
    int code = -1;
    const std::string problem = run_case(g, c, s, code);
    if (code >= 0 && code <= 2) ++codes[code];
    total += s;
    if (s > worst) {
      worst = s;
      worst_case = c.program;
      for (const auto& a : c.args) worst_case += " " + a;
    }
    if (!problem.empty() && ++failures <= 10) FAIL_CHECK("run " << i << ": " << problem);
  }
  MESSAGE(runs << " runs in " << total << " s, exit 0/1/2: " << codes[0] << "/" << codes[1] << "/" << codes[2]
               << " (slowest " << worst << " s: " << worst_case << ")");
  CHECK(failures == 0);
}

}  // namespace

TEST_CASE("fuzz: malformed and edge-case flags keep the exit contract (100 runs)") { fuzz(20261130, 100); }

TEST_SUITE("slow fuzz") {
TEST_CASE("fuzz: malformed and edge-case flags keep the exit contract (3000 runs)") { fuzz(7, 3000); }
}
