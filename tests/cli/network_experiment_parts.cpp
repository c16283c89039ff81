// network_experiment's parts 4 (Appendix D.1) and 5 (eq 4's terms) at the command line, on the
// tiny net of tests/cli/network_experiment.cpp: the rows against the library's functions called
// directly with the same seeds and options (network_experiment_rows, tests/cli/rows/, compiled
// with the program's flags: equal bit for bit), the `status` column against core/status.hpp, and
// a run interrupted by --stop-after inside each part resumed to the uninterrupted run's rows.
// Over MPI ranks (and resumed with another rank count): tests/mpi (cli_ranks.cmake).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <shiftcurv/core/status.hpp>

#include "harness.hpp"

namespace network_experiment_parts {

namespace fs = std::filesystem;

// The tiny configuration of tests/cli/network_experiment.cpp (and of the golden run), two seeds.
const std::string tiny =
    "--hidden=3 --alpha=0.01 --train-size=60 --seeds=1,2 --temperatures=0.01,0.04 --batch=8 --epochs=2 --gtol=1e-4 "
    "--max-iterations=5000 --line-points=9 --stage1-batch=20 --stage1-lr=0.3 --stage1-epochs=4 "
    "--fig5-pairs=0.08:8,0.16:16 --fig5-epochs=2 --final-steps=3 --reshuffles=1 --sizes=900 --d1-train-size=40 "
    "--d1-relaxations=5 --terms-samples=20 --terms-thinning=2 --terms-burn-in=50 --terms-k=4";
// The same settings as network_experiment_rows flags (the defaults network_experiment documents
// for the flags tiny leaves out: --d1-alpha, --d1-beta, --d1-lr, --d1-batch, --terms-temperature).
const std::string reference_flags =
    "--hidden=3 --alpha=0.01 --train-size=60 --gtol=1e-4 --max-iterations=5000 --d1-train-size=40 --d1-alpha=0.1 "
    "--d1-beta=0.1 --d1-lr=0.05 --d1-batch=16 --d1-relaxations=5 --batch=8 --epochs=2 --terms-temperature=0.01 "
    "--terms-samples=20 --terms-thinning=2 --terms-burn-in=50 --terms-k=4";

struct table {
  std::string config;
  std::vector<std::string> lines;  // the data lines as written
  harness::csv data;
};

table read_table(const std::string& path) {
  table t;
  const std::string text = harness::slurp(path);
  const auto nl = text.find('\n');
  REQUIRE(nl != std::string::npos);
  t.config = text.substr(0, nl);
  t.data = harness::parse_csv(text.substr(nl + 1));
  const auto all = harness::split(text.substr(nl + 1), '\n');
  for (std::size_t i = 1; i < all.size(); ++i)
    if (!all[i].empty()) t.lines.push_back(all[i]);
  return t;
}

/// A data line without its last field (`seconds`, the wall clock).
std::string without_seconds(const std::string& line) { return line.substr(0, line.rfind(',')); }

void one_thread() { ::setenv("OMP_NUM_THREADS", "1", 1); }

/// The status code of a row, checked to be one of core/status.hpp's (the README's order).
shiftcurv::status status_of(const harness::csv& t, std::size_t row) {
  const double code = t.at(row, "status");
  REQUIRE(code == std::floor(code));
  REQUIRE(code >= 0);
  REQUIRE(code <= 5);
  const auto s = static_cast<shiftcurv::status>(static_cast<int>(code));
  CHECK(shiftcurv::to_string(s) != "unknown");
  return s;
}

TEST_SUITE("cli") {
TEST_CASE("network_experiment parts 4, 5: rows equal the library's functions called directly, bit for bit") {
  one_thread();
  const std::string dir = harness::temp_path("nexp45");
  const auto r = harness::run("network/network_experiment", tiny + " --parts=4,5 --out=" + dir);
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_FALSE(fs::exists(dir + "/fig2_temperature.csv"));  // parts 1-3 not selected
  const auto d1 = read_table(dir + "/d1.csv"), terms = read_table(dir + "/test_loss_terms.csv");
  REQUIRE(d1.lines.size() == 2);  // one row per seed, in seed order
  REQUIRE(terms.lines.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(d1.data.at(i, "seed") == static_cast<double>(i + 1));
    CHECK(terms.data.at(i, "seed") == static_cast<double>(i + 1));
    CHECK(terms.data.at(i, "T") == 0.01);
  }
  // Part 4 of seed 1 and part 5 of seed 2 (and the other pair: 4 reference runs of ~1 s).
  for (int seed : {1, 2}) {
    CAPTURE(seed);
    const auto row = static_cast<std::size_t>(seed - 1);
    for (int part : {4, 5}) {
      CAPTURE(part);
      const auto ref = harness::run("../tests/network_experiment_rows",
                                    reference_flags + " --part=" + std::to_string(part) + " --seed=" + std::to_string(seed));
      INFO(ref.err);
      REQUIRE(ref.code == 0);
      const auto& written = part == 4 ? d1.lines[row] : terms.lines[row];
      CHECK(without_seconds(written) + "\n" == ref.out);
    }
  }

  // The status column: a code of core/status.hpp (the README's order).  On the tiny config both
  // parts give usable numbers, flagged as their contracts say: part 4 (flat_direction_variance)
  // is tolerance_not_met when a batch is shorter than 2 relaxation times — 5 relaxations over
  // the 20 default batches here, always; part 5 (test_loss_terms) when the mean test loss has
  // fewer than the default 50 effective samples — 20 records here, always.
  const auto tolerance_not_met = shiftcurv::status::tolerance_not_met;
  for (std::size_t i = 0; i < 2; ++i) {
    CAPTURE(i);
    CHECK(status_of(d1.data, i) == tolerance_not_met);
    REQUIRE(terms.data.at(i, "effective_samples") < 50);
    CHECK(status_of(terms.data, i) == tolerance_not_met);
    CHECK_FALSE(shiftcurv::is_failure(tolerance_not_met));
  }
  fs::remove_all(dir);
}

TEST_CASE("network_experiment parts 4, 5: stopped inside each part, resumed to the uninterrupted rows") {
  one_thread();
  const std::string whole = harness::temp_path("nexp45_whole"), parts = harness::temp_path("nexp45_parts");
  REQUIRE(harness::run("network/network_experiment", tiny + " --parts=4,5 --out=" + whole).code == 0);
  // 4 units (part 4: seeds 1, 2; part 5: seeds 1, 2): stop after 1 (inside part 4), after 2
  // more (part 4 complete, inside part 5), then finish.
  const auto a = harness::run("network/network_experiment", tiny + " --parts=4,5 --stop-after=1 --out=" + parts);
  INFO(a.err);
  REQUIRE(a.code == 0);
  CHECK(a.err.find("stopped after 1 units (--stop-after)") != std::string::npos);
  CHECK_FALSE(fs::exists(parts + "/d1.csv"));  // an unfinished part never looks complete
  CHECK(read_table(parts + "/d1.csv.partial").lines.size() == 1);
  CHECK(read_table(parts + "/test_loss_terms.csv.partial").lines.empty());  // part 5 not reached
  const auto b = harness::run("network/network_experiment", tiny + " --parts=4,5 --stop-after=2 --out=" + parts);
  INFO(b.err);
  REQUIRE(b.code == 0);
  CHECK(b.err.find("part 4 (d1): 1 of 2 units already done") != std::string::npos);
  CHECK(fs::exists(parts + "/d1.csv"));
  CHECK_FALSE(fs::exists(parts + "/test_loss_terms.csv"));
  CHECK(read_table(parts + "/test_loss_terms.csv.partial").lines.size() == 1);
  const auto c = harness::run("network/network_experiment", tiny + " --parts=4,5 --out=" + parts);
  INFO(c.err);
  REQUIRE(c.code == 0);
  CHECK(c.err.find("part 5 (test_loss_terms): 1 of 2 units already done") != std::string::npos);
  for (const char* name : {"d1", "test_loss_terms"}) {
    CAPTURE(name);
    CHECK_FALSE(fs::exists(parts + "/" + name + ".csv.partial"));
    const auto x = read_table(whole + "/" + name + ".csv"), y = read_table(parts + "/" + name + ".csv");
    CHECK(x.config == y.config);
    REQUIRE(x.lines.size() == y.lines.size());
    for (std::size_t i = 0; i < x.lines.size(); ++i) CHECK(without_seconds(x.lines[i]) == without_seconds(y.lines[i]));
  }
  fs::remove_all(whole);
  fs::remove_all(parts);
}
}

}  // namespace network_experiment_parts
