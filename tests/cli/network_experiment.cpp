// network_experiment as an outside script runs it, on a tiny net and data subset (seconds):
// exit codes, the documented CSV columns and row counts, relations the rows must satisfy
// (λ = T·B, endpoints' gradient below the tolerance), resume after an interruption giving the
// same rows as an uninterrupted run, refusal to mix configurations, and bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "harness.hpp"

namespace {

namespace fs = std::filesystem;

// 60 training digits, 64-3-10, one seed, two T: every part in a few seconds.
const std::string tiny =
    "--hidden=3 --alpha=0.01 --train-size=60 --seeds=1 --temperatures=0.01,0.04 --batch=8 --epochs=2 --gtol=1e-4 "
    "--max-iterations=5000 --line-points=9 --stage1-batch=20 --stage1-lr=0.3 --stage1-epochs=4 "
    "--fig5-pairs=0.08:8,0.16:16 --fig5-epochs=2 --final-steps=3 --reshuffles=1 --sizes=900 --d1-train-size=40 "
    "--d1-relaxations=5 --terms-samples=20 --terms-thinning=2 --terms-burn-in=50 --terms-k=4";

struct table {
  std::string config;
  harness::csv data;
  std::string text;
};
table read_table(const std::string& path) {
  table t;
  t.text = harness::slurp(path);
  const auto nl = t.text.find('\n');
  REQUIRE(nl != std::string::npos);
  t.config = t.text.substr(0, nl);
  t.data = harness::parse_csv(t.text.substr(nl + 1));
  return t;
}

const char* const tables[] = {"fig1_line",       "fig2_temperature", "fig5_temperature", "shift_reshuffle",
                              "shift_sample_size", "d1",               "test_loss_terms"};

void one_thread() { ::setenv("OMP_NUM_THREADS", "1", 1); }

/// `tiny` with "--name=value" replacing its own --name (CLI11 refuses a flag given twice), or
/// appended when tiny has no --name.
std::string tiny_with(const std::string& flag) {
  const auto eq = flag.find('=');
  const std::string name = flag.substr(0, eq == std::string::npos ? flag.size() : eq + 1);
  std::string t = tiny;
  const auto at = eq == std::string::npos ? std::string::npos : t.find(name);
  if (at == std::string::npos) return t + " " + flag;
  const auto end = t.find(' ', at);
  return t.replace(at, end == std::string::npos ? std::string::npos : end - at, flag);
}

}  // namespace

TEST_SUITE("cli") {
TEST_CASE("network_experiment: every part's CSV, its columns, rows and relations") {
  one_thread();
  const std::string dir = harness::temp_path("nexp");
  const auto r = harness::run("network/network_experiment", tiny + " --out=" + dir);
  INFO(r.err);
  REQUIRE(r.code == 0);
  for (const char* name : tables) {
    CAPTURE(name);
    CHECK(fs::exists(dir + "/" + name + ".csv"));
    CHECK_FALSE(fs::exists(dir + "/" + name + ".csv.partial"));
  }
  const auto fig2 = read_table(dir + "/fig2_temperature.csv");
  CHECK(fig2.config.rfind("# network_experiment config: widths=64,3,10;", 0) == 0);
  CHECK(fig2.data.header == std::vector<std::string>{
            "T", "seed", "learning_rate", "batch", "sgd_steps", "sgd_train_loss", "sgd_test_loss", "train_min_loss",
            "test_min_loss", "test_at_train_min", "eq3_prediction", "shift_norm", "shift_curvature_hvp",
            "shift_curvature_fit", "curvature_hvp", "train_curvature_fit", "test_curvature_fit", "train_fit_minimum",
            "test_fit_minimum", "train_fit_residual", "test_fit_residual", "eq31_estimate", "order_J",
            "train_grad_norm", "test_grad_norm", "train_descent_iterations", "test_descent_iterations",
            "descents_converged", "train_accuracy_at_min", "test_accuracy_at_train_min", "l2_at_train_min",
            "seconds"});
  REQUIRE(fig2.data.rows.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    const double T = fig2.data.at(i, "T");
    CHECK(fig2.data.at(i, "learning_rate") == doctest::Approx(T * 8).epsilon(1e-15));
    CHECK(fig2.data.at(i, "sgd_steps") == 15);  // ⌈2·60/8⌉
    // the line's endpoints are minima: L-BFGS stopped below the tolerance
    CHECK(fig2.data.at(i, "descents_converged") == 1);
    CHECK(fig2.data.at(i, "train_grad_norm") <= 1e-4);
    CHECK(fig2.data.at(i, "test_grad_norm") <= 1e-4);
    CHECK(fig2.data.at(i, "train_min_loss") <= fig2.data.at(i, "sgd_train_loss"));
    CHECK(fig2.data.at(i, "test_min_loss") <= fig2.data.at(i, "test_at_train_min"));  // θ_test minimizes U_test
    CHECK(fig2.data.at(i, "eq3_prediction") ==
          doctest::Approx(fig2.data.at(i, "test_min_loss") + 0.5 * fig2.data.at(i, "shift_curvature_hvp")).epsilon(1e-12));
    const double n = fig2.data.at(i, "shift_norm");
    CHECK(fig2.data.at(i, "shift_curvature_hvp") == doctest::Approx(fig2.data.at(i, "curvature_hvp") * n * n).epsilon(1e-12));
  }
  const auto fig1 = read_table(dir + "/fig1_line.csv");
  CHECK(fig1.data.header == std::vector<std::string>{"T", "seed", "r", "r_over_shift", "train_loss", "test_loss",
                                                     "train_accuracy", "test_accuracy"});
  REQUIRE(fig1.data.rows.size() == 18);  // 2 T × 9 points
  // the line's r = 0 and r = |s| rows (points 2 and 6 of 9 on [−|s|/2, 3|s|/2]) are the minima
  CHECK(fig1.data.at(2, "r_over_shift") == doctest::Approx(0.0));
  CHECK(fig1.data.at(6, "r_over_shift") == doctest::Approx(1.0));
  CHECK(fig1.data.at(2, "train_loss") == doctest::Approx(fig2.data.at(0, "train_min_loss")).epsilon(1e-12));
  CHECK(fig1.data.at(6, "test_loss") == doctest::Approx(fig2.data.at(0, "test_min_loss")).epsilon(1e-12));
  CHECK(fig1.data.at(2, "test_loss") == doctest::Approx(fig2.data.at(0, "test_at_train_min")).epsilon(1e-12));

  const auto fig5 = read_table(dir + "/fig5_temperature.csv");
  CHECK(fig5.data.header == std::vector<std::string>{"seed", "learning_rate", "batch", "T", "steps", "final_train_loss",
                                                     "final_test_loss", "final_test_accuracy", "final_l2",
                                                     "stage1_train_loss", "stage1_test_loss", "seconds"});
  REQUIRE(fig5.data.rows.size() == 2);
  CHECK(fig5.data.at(0, "T") == doctest::Approx(0.01));
  CHECK(fig5.data.at(1, "T") == doctest::Approx(0.01));
  CHECK(fig5.data.at(0, "steps") == 15);
  CHECK(fig5.data.at(1, "steps") == 8);
  CHECK(fig5.data.at(0, "stage1_train_loss") == fig5.data.at(1, "stage1_train_loss"));  // one stage 1 per seed

  const auto rs = read_table(dir + "/shift_reshuffle.csv");
  CHECK(rs.data.header == std::vector<std::string>{"split", "seed", "n_train", "n_test", "train_loss", "test_loss",
                                                   "test_accuracy", "l2_term", "train_min_loss", "test_min_loss",
                                                   "test_at_train_min", "shift_norm", "shift_curvature_hvp",
                                                   "descents_converged", "seconds"});
  REQUIRE(rs.data.rows.size() == 2);  // default split + 1 reshuffle
  CHECK(rs.data.at(0, "n_train") == 60);
  CHECK(rs.data.at(1, "n_test") == 797);
  const auto ss = read_table(dir + "/shift_sample_size.csv");
  REQUIRE(ss.data.rows.size() == 1);
  CHECK(ss.data.at(0, "n_train") + ss.data.at(0, "n_test") == 900);
  CHECK(ss.data.at(0, "n_train") == 63);  // round(900·60/857)

  // part 4: Appendix D.1, prediction Tβ²/(2α) from the row's own T = λ/B, α, β
  const auto d1 = read_table(dir + "/d1.csv");
  REQUIRE(d1.data.rows.size() == 1);
  CHECK(d1.data.at(0, "n_train") == 40);
  CHECK(d1.data.at(0, "parameters") == 235);  // 64·3 + 3 + 3·10 + 10 > 40 samples
  CHECK(d1.data.at(0, "T") == doctest::Approx(0.05 / 16).epsilon(1e-15));
  CHECK(d1.data.at(0, "prediction") == doctest::Approx(0.05 / 16 * 0.1 * 0.1 / (2 * 0.1)).epsilon(1e-14));
  CHECK(d1.data.at(0, "variance") > 0);
  CHECK(d1.data.at(0, "rank") <= 40);
  // part 5: eq 4's terms add up; eq 7 = depth + shift-curvature
  const auto terms = read_table(dir + "/test_loss_terms.csv");
  REQUIRE(terms.data.rows.size() == 1);
  const auto& t = terms.data;
  CHECK(t.at(0, "measured_total_eq4") == doctest::Approx(t.at(0, "depth") + t.at(0, "shift_curvature") +
                                                         t.at(0, "measured_bias_curvature") +
                                                         t.at(0, "measured_covariance_curvature")).epsilon(1e-12));
  CHECK(t.at(0, "predicted_total_eq4") == doctest::Approx(t.at(0, "depth") + t.at(0, "shift_curvature") +
                                                          t.at(0, "predicted_bias_curvature") +
                                                          t.at(0, "predicted_covariance_curvature")).epsilon(1e-12));
  CHECK(t.at(0, "total_eq7") == doctest::Approx(t.at(0, "depth") + t.at(0, "shift_curvature")).epsilon(1e-12));
  CHECK(t.at(0, "records") == 20);
  CHECK(t.at(0, "k") == 4);
  CHECK(t.at(0, "measured_covariance_curvature") > 0);

  // the same flags again: nothing to do, the files unchanged
  const auto again = harness::run("network/network_experiment", tiny + " --out=" + dir);
  CHECK(again.code == 0);
  CHECK(harness::slurp(dir + "/fig2_temperature.csv") == fig2.text);
  // other flags: refused, nothing changed
  const auto other = harness::run("network/network_experiment", tiny_with("--alpha=0.02") + " --out=" + dir);
  CHECK(other.code == 2);
  CHECK(harness::count_lines(other.err) == 1);
  CHECK(other.err.find("other settings") != std::string::npos);
  CHECK(harness::slurp(dir + "/fig2_temperature.csv") == fig2.text);
  fs::remove_all(dir);
}

TEST_CASE("network_experiment: an interrupted run resumes to the rows of an uninterrupted one") {
  one_thread();
  const std::string whole = harness::temp_path("nexp_whole"), parts = harness::temp_path("nexp_parts");
  REQUIRE(harness::run("network/network_experiment", tiny + " --parts=1,3 --out=" + whole).code == 0);
  // stop after 1 unit, then after 2 more, then finish: every interruption inside a part
  const auto a = harness::run("network/network_experiment", tiny + " --parts=1,3 --stop-after=1 --out=" + parts);
  REQUIRE(a.code == 0);
  CHECK(a.err.find("--stop-after") != std::string::npos);
  CHECK(fs::exists(parts + "/fig2_temperature.csv.partial"));
  CHECK_FALSE(fs::exists(parts + "/fig2_temperature.csv"));  // an unfinished part never looks complete
  CHECK(read_table(parts + "/fig2_temperature.csv.partial").data.rows.size() == 1);
  // a kill in the middle of a row leaves a truncated line: it is dropped and recomputed
  { std::ofstream(parts + "/fig1_line.csv.partial", std::ios::app) << "0.04,1,-0.3"; }
  REQUIRE(harness::run("network/network_experiment", tiny + " --parts=1,3 --stop-after=2 --out=" + parts).code == 0);
  CHECK(fs::exists(parts + "/fig2_temperature.csv"));
  CHECK(fs::exists(parts + "/shift_reshuffle.csv.partial"));
  const auto done = harness::run("network/network_experiment", tiny + " --parts=1,3 --out=" + parts);
  INFO(done.err);
  REQUIRE(done.code == 0);
  CHECK(done.err.find("already done") != std::string::npos);
  for (const char* name : {"fig1_line", "fig2_temperature", "shift_reshuffle", "shift_sample_size"}) {
    CAPTURE(name);
    const auto x = read_table(whole + "/" + std::string(name) + ".csv"), y = read_table(parts + "/" + std::string(name) + ".csv");
    CHECK(x.config == y.config);
    REQUIRE(x.data.rows.size() == y.data.rows.size());
    // every column but the timing is the same number (deterministic, one thread)
    for (std::size_t i = 0; i < x.data.rows.size(); ++i)
      for (std::size_t j = 0; j < x.data.header.size(); ++j)
        if (x.data.header[j] != "seconds") CHECK(x.data.rows[i][j] == y.data.rows[i][j]);
  }
  CHECK_FALSE(fs::exists(parts + "/fig5_temperature.csv"));  // part 2 not selected
  fs::remove_all(whole);
  fs::remove_all(parts);
}

TEST_CASE("network_experiment: --config=FILE gives the flags' run") {
  one_thread();
  const std::string dir = harness::temp_path("nexp_cfg"), cfg = harness::temp_path("nexp.ini");
  {
    std::ofstream f(cfg);
    f << "hidden=3\ntrain-size=60\nseeds=1\nstage1-batch=20\nstage1-lr=0.3\nstage1-epochs=4\n"
         "fig5-pairs=\"0.08:8,0.16:16\"\nfig5-epochs=2\nfinal-steps=3\nsizes=900\nd1-train-size=40\nparts=2\n";
  }
  const auto r = harness::run("network/network_experiment", "--config=" + cfg + " --out=" + dir);
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto t = read_table(dir + "/fig5_temperature.csv");
  CHECK(t.config.find("widths=64,3,10;") != std::string::npos);
  CHECK(t.config.find("pairs=0.080000000000000002:8,0.16:16;") != std::string::npos);
  CHECK(t.data.rows.size() == 2);
  fs::remove_all(dir);
  fs::remove(cfg);
}

TEST_CASE("network_experiment: bad input exits 2 with one line on stderr and writes nothing") {
  const std::string dir = harness::temp_path("nexp_bad");
  for (const std::string& args : std::vector<std::string>{
           "--temperatures=", "--temperatures=0", "--temperatures=-0.01", "--temperatures=0.01,x", "--temperatures=inf",
           "--batch=0", "--batch=61", "--alpha=-1", "--fig5-pairs=0:8", "--fig5-pairs=-0.1:8", "--fig5-pairs=0.1:0",
           "--fig5-pairs=0.1:61", "--fig5-pairs=0.1", "--seeds=", "--seeds=1,1", "--seeds=-1", "--alpha=0",
           "--epochs=0", "--gtol=-1", "--parts=6", "--parts=", "--stop-after=0", "--hidden=0", "--backend=tpu",
           "--train-size=1001", "--sizes=10", "--sizes=1798", "--final-steps=100", "--bogus=1",
           "--data=/nonexistent.csv.gz", "--config=/nonexistent.ini"}) {
    CAPTURE(args);
    const auto r = harness::run("network/network_experiment", tiny_with(args) + " --out=" + dir);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(harness::count_lines(r.err) == 1);
    CHECK_FALSE(fs::exists(dir + "/fig2_temperature.csv.partial"));
  }
  const auto no_out = harness::run("network/network_experiment", tiny);
  CHECK(no_out.code == 2);
  CHECK(harness::count_lines(no_out.err) == 1);
  const auto unwritable = harness::run("network/network_experiment", tiny + " --out=/proc/shiftcurv_not_writable");
  CHECK(unwritable.code == 2);
  CHECK(harness::count_lines(unwritable.err) == 1);
  fs::remove_all(dir);
}

TEST_CASE("network_experiment: --backend=cuda with --parts naming 4 or 5 exits 2, one line, nothing written") {
  // Parts 4 and 5 need per-sample members the CUDA adapter lacks: refused before anything else
  // (the same line in a build with or without the CUDA backend, with or without a device).
  const std::string dir = harness::temp_path("nexp_cuda_parts"), cfg = harness::temp_path("nexp_cuda.ini");
  for (const char* parts : {"--parts=4", "--parts=5", "--parts=1,5", "--parts=1,2,3,4,5"}) {
    CAPTURE(parts);
    const auto r = harness::run("network/network_experiment", tiny_with(parts) + " --backend=cuda --out=" + dir);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(harness::count_lines(r.err) == 1);
    CHECK(r.err.find("--parts") != std::string::npos);
    CHECK(r.err.find("--backend=cuda") != std::string::npos);
    CHECK_FALSE(fs::exists(dir));
  }
  { std::ofstream(cfg) << "backend=cuda\nparts=\"2,4\"\n"; }  // the same through --config
  const auto r = harness::run("network/network_experiment", tiny + " --config=" + cfg + " --out=" + dir);
  CHECK(r.code == 2);
  CHECK(harness::count_lines(r.err) == 1);
  CHECK(r.err.find("--backend=cuda") != std::string::npos);
  CHECK_FALSE(fs::exists(dir));
  fs::remove(cfg);
}

TEST_CASE("network_experiment: --backend=cuda gives the CPU backend's rows on a device; without one it refuses") {
  one_thread();
  const std::string gpu = harness::temp_path("nexp_cuda"), cpu = harness::temp_path("nexp_cuda_cpu");
  // The descents to ‖∇U‖ ≤ 1e-6 instead of tiny's 1e-4 (see the tolerances below); no --parts:
  // with --backend=cuda the default is 1,2,3.
  const double gtol = 1e-6;
  const std::string flags = tiny_with("--gtol=1e-6");
  const auto r = harness::run("network/network_experiment", flags + " --backend=cuda --out=" + gpu);
  INFO(r.err);
  if (r.code != 0) {
    // The failure contract: exit 2 in a build without the CUDA backend, exit 1 in a build with
    // it on a machine without a device; one line, and no output directory.
    const bool no_backend = r.code == 2 && r.err.find("no CUDA backend") != std::string::npos;
    const bool no_device = r.code == 1 && r.err.find("no CUDA device") != std::string::npos;
    CHECK((no_backend || no_device));
    CHECK(harness::count_lines(r.err) == 1);
    CHECK_FALSE(fs::exists(gpu));
    return;
  }
  // A device: the tables of parts 1-3 and no others, whose rows are the CPU backend's on the
  // same flags.  Both backends compute in float64, each call within ~1e-15 relative of the
  // other's (tests/gpu checks 1e-10), and the minibatch indices come from the library's Philox
  // streams keyed by the seed, not from the backend.  So:
  //  - what SGD alone gives (fig5_temperature; the SGD columns of fig2_temperature and of the
  //    shift tables) agrees to rounding: 1e-8 relative (1e-15 seen: the host emulation of the
  //    CUDA backend against the CPU one);
  //  - an L-BFGS descent stops at the first iterate with ‖∇U‖ ≤ gtol, and which iterate that is
  //    depends on rounding (the line searches' decisions near the minimum): the endpoint is
  //    fixed only to ~gtol/curvature, so its iteration count and final ‖∇U‖ are not compared
  //    (both runs must meet the contract: converged, ‖∇U‖ ≤ gtol); the losses at the minima
  //    are second order in that: 1e-9 relative (1e-11 seen); the other columns computed from
  //    the endpoints (|s|, the line, curvatures, fits) 1e-3 relative (2e-5 seen, the fits'
  //    residuals and eq 31 with their cancellations; 2e-6 for the rest); an accuracy at those
  //    points may differ by one sample (a sample within ~1e-6 of a tie);
  //  - integer columns (steps, sizes, the fit order) must be equal.
  for (const char* name : {"d1", "test_loss_terms"}) {
    CAPTURE(name);
    CHECK_FALSE(fs::exists(gpu + "/" + name + ".csv"));
    CHECK_FALSE(fs::exists(gpu + "/" + name + ".csv.partial"));
  }
  const auto c = harness::run("network/network_experiment", flags + " --parts=1,2,3 --out=" + cpu);
  INFO(c.err);
  REQUIRE(c.code == 0);
  const std::set<std::string> path{"train_grad_norm", "test_grad_norm", "train_descent_iterations",
                                   "test_descent_iterations"};
  const std::set<std::string> minima{"train_min_loss", "test_min_loss"};
  const std::set<std::string> endpoints{"test_at_train_min", "eq3_prediction", "shift_norm", "shift_curvature_hvp",
                                        "shift_curvature_fit", "curvature_hvp", "train_curvature_fit",
                                        "test_curvature_fit", "train_fit_minimum", "test_fit_minimum",
                                        "train_fit_residual", "test_fit_residual", "eq31_estimate", "order_J",
                                        "l2_at_train_min", "train_accuracy_at_min", "test_accuracy_at_train_min"};
  for (const std::string name : {"fig1_line", "fig2_temperature", "fig5_temperature", "shift_reshuffle", "shift_sample_size"}) {
    CAPTURE(name);
    const auto g = read_table(gpu + "/" + name + ".csv"), x = read_table(cpu + "/" + name + ".csv");
    std::string config = x.config;
    const auto at = config.find(";backend=cpu;");
    REQUIRE(at != std::string::npos);
    CHECK(g.config == config.replace(at, 13, ";backend=cuda;"));
    REQUIRE(g.data.header == x.data.header);
    REQUIRE(g.data.rows.size() == x.data.rows.size());
    for (std::size_t j = 0; j < x.data.header.size(); ++j) {
      const std::string& col = x.data.header[j];
      if (col == "seconds") continue;
      // fig1_line: every point but the grid's r/|s| lies on the line through the endpoints
      const bool on_line = name == "fig1_line" && col != "T" && col != "seed" && col != "r_over_shift";
      const bool accuracy = col.find("accuracy") != std::string::npos && (on_line || endpoints.count(col));
      for (std::size_t i = 0; i < x.data.rows.size(); ++i) {
        const double a = g.data.rows[i][j], b = x.data.rows[i][j], scale = std::max(std::abs(a), std::abs(b));
        CAPTURE(i);
        CAPTURE(col);
        if (path.count(col)) {
          if (col.find("grad_norm") != std::string::npos) CHECK((a <= gtol && b <= gtol));
        } else if (accuracy) {
          CHECK(std::abs(a - b) <= 1.0 / (col.rfind("train", 0) == 0 ? 60 : 797) + 1e-12);
        } else if (on_line || endpoints.count(col)) {
          CHECK(std::abs(a - b) <= 1e-3 * scale);
        } else if (minima.count(col)) {
          CHECK(std::abs(a - b) <= 1e-9 * scale);
        } else {
          CHECK(std::abs(a - b) <= 1e-8 * scale);
        }
        if (col == "descents_converged") CHECK(b == 1);
      }
    }
  }
  fs::remove_all(gpu);
  fs::remove_all(cpu);
}
}
