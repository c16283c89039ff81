// The CSV results writer (io/csv.hpp): round trip of doubles bit for bit, quoting, atomic
// writes (the path never holds a partial file; concurrent writers never share a temporary),
// typed errors, and the result-struct tables.  The reference parser below is the test's own
// (RFC 4180 fields, strtod numbers), independent of the writer.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "shiftcurv/basins/gaussian_mixture.hpp"
#include "shiftcurv/basins/steady_state_1d.hpp"
#include "shiftcurv/dynamics/langevin_1d.hpp"
#include "shiftcurv/io/csv.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/optimize/find_minimum.hpp"
#include "shiftcurv/potential/effective_potential.hpp"
#include "shiftcurv/studies/expected_test_loss.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"
#include "random_matrices.hpp"

namespace sc = shiftcurv;
namespace fs = std::filesystem;

namespace {

// ---- the test's own reader ---------------------------------------------------------------------
using record = std::vector<std::string>;

/// Splits CSV text into records of raw field texts (quotes removed, "" → "), RFC 4180.
std::vector<record> parse(const std::string& text) {
  std::vector<record> out;
  record cur;
  std::string field;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') { field += '"'; ++i; }
      else if (c == '"') quoted = false;
      else field += c;
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      cur.push_back(field);
      field.clear();
      any = true;
    } else if (c == '\n') {
      cur.push_back(field);
      out.push_back(cur);
      cur.clear();
      field.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  REQUIRE_FALSE(quoted);
  if (any) out.push_back(cur);  // a last line without '\n' (the writer always ends one)
  return out;
}

double number(const std::string& s) {
  char* end = nullptr;
  const double x = std::strtod(s.c_str(), &end);
  REQUIRE(end == s.c_str() + s.size());
  return x;
}

std::uint64_t bits(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A fresh directory for one test, unique per process and call.
struct scratch {
  fs::path dir;
  scratch() {
    static int n = 0;
    dir = fs::temp_directory_path() / ("shiftcurv_io_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> e;
    for (const auto& x : fs::directory_iterator(dir)) e.push_back(x.path().filename().string());
    return e;
  }
};

}  // namespace

TEST_CASE("csv: doubles round-trip bit for bit, non-finite as nan/inf") {
  // Edge values plus 2000 random bit patterns (every exponent, subnormals included).
  std::vector<double> xs{0.0, -0.0, 1.0, -1.0, 0.1, 1.0 / 3, 5e-324, -5e-324, 2.2250738585072014e-308,
                         1.7976931348623157e308, -1.7976931348623157e308, 1e-300, 4.3e9, 123456789012345678.0};
  test_support::fixture_rng rng(12345);
  while (xs.size() < 2014) {
    double x;
    const std::uint64_t u = rng.bits();
    std::memcpy(&x, &u, sizeof x);
    if (std::isfinite(x)) xs.push_back(x);
  }
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  scratch s;
  sc::csv_table t({"x", "y"});
  for (std::size_t i = 0; i + 1 < xs.size(); i += 2) t.add_row({xs[i], xs[i + 1]});
  t.add_row({nan, inf});
  t.add_row({-nan, -inf});
  const fs::path path = s.dir / "numbers.csv";
  sc::write_csv(path, t);
  const auto recs = parse(slurp(path));
  REQUIRE(recs.size() == t.rows.size() + 1);
  CHECK(recs[0] == record{"x", "y"});
  for (std::size_t i = 0; i + 2 < t.rows.size(); ++i)
    for (int j = 0; j < 2; ++j) CHECK(bits(number(recs[i + 1][j])) == bits(xs[2 * i + j]));
  const std::size_t n = recs.size();
  CHECK(recs[n - 2] == record{"nan", "inf"});
  CHECK(recs[n - 1] == record{"nan", "-inf"});  // the sign of a NaN is not written
}

TEST_CASE("csv: texts are quoted where needed and read back unchanged") {
  const std::vector<std::string> texts{"plain", "a,b", "say \"hi\"", "two\nlines", "cr\rhere", " lead",
                                       "trail ", "", "\"", ",", "x\"\"y", "tab\t"};
  sc::csv_table t({"name", "value", "with,comma", "note"});
  for (std::size_t i = 0; i < texts.size(); ++i) t.add_row({texts[i], double(i), texts[(i + 1) % texts.size()], "ok"});
  std::ostringstream os;
  sc::write_csv(os, t);
  const auto recs = parse(os.str());
  REQUIRE(recs.size() == texts.size() + 1);
  CHECK(recs[0] == record{"name", "value", "with,comma", "note"});
  for (std::size_t i = 0; i < texts.size(); ++i) {
    CHECK(recs[i + 1][0] == texts[i]);
    CHECK(number(recs[i + 1][1]) == double(i));
    CHECK(recs[i + 1][2] == texts[(i + 1) % texts.size()]);
  }
  // The exact text for a small table (the format the header comment specifies).
  sc::csv_table small({"a", "b,c", "d"});
  small.add_row({"x\"y", 0.5, ""});
  small.add_row({3L, "plain", " pad"});
  CHECK(small.str() == "a,\"b,c\",d\n\"x\"\"y\",0.5,\"\"\n3,plain,\" pad\"\n");
}

TEST_CASE("csv: a row of the wrong length and I/O failures throw typed errors naming the function") {
  sc::csv_table t({"a", "b"});
  CHECK_THROWS_WITH_AS(t.add_row({1.0}), doctest::Contains("shiftcurv::csv_table::add_row"), sc::invalid_argument);
  t.add_row({1.0, 2.0});
  t.rows.push_back({1.0, 2.0, 3.0});  // bypassing add_row: str() still refuses it
  CHECK_THROWS_AS(t.str(), sc::invalid_argument);
  t.rows.pop_back();

  scratch s;
  // A directory that does not exist.
  const fs::path missing = s.dir / "no_such_dir" / "x.csv";
  CHECK_THROWS_WITH_AS(sc::write_csv(missing, t), doctest::Contains("shiftcurv::write_csv: cannot create a file in"),
                       sc::io_error);
  // A regular file where a directory should be.
  std::ofstream(s.dir / "plainfile") << "x";
  CHECK_THROWS_AS(sc::write_csv(s.dir / "plainfile" / "x.csv", t), sc::io_error);
  // The path is an existing directory: the rename fails, the temporary is removed.
  fs::create_directory(s.dir / "adir");
  CHECK_THROWS_WITH_AS(sc::write_csv(s.dir / "adir", t), doctest::Contains("cannot rename"), sc::io_error);
  auto e = s.entries();
  std::sort(e.begin(), e.end());
  CHECK(e == std::vector<std::string>{"adir", "plainfile"});
  CHECK(fs::is_empty(s.dir / "adir"));
  // A directory without write permission (meaningless for root, who may write anywhere).
  if (::geteuid() != 0) {
    fs::create_directory(s.dir / "ro");
    fs::permissions(s.dir / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    CHECK_THROWS_AS(sc::write_csv(s.dir / "ro" / "x.csv", t), sc::io_error);
    fs::permissions(s.dir / "ro", fs::perms::owner_all);
  }
  // A path naming no file.
  CHECK_THROWS_AS(sc::write_csv(fs::path(""), t), sc::invalid_argument);
  // A failed stream.
  std::ostringstream bad;
  bad.setstate(std::ios::badbit);
  CHECK_THROWS_WITH_AS(sc::write_csv(bad, t), doctest::Contains("shiftcurv::write_csv"), sc::io_error);
}

TEST_CASE("csv: the path only ever holds a complete file, and concurrent writers do not collide") {
  scratch s;
  const fs::path path = s.dir / "out.csv";
  // Two tables of ~150 kB that differ everywhere.
  auto make = [](double base) {
    sc::csv_table t({"i", "x"});
    for (int i = 0; i < 4000; ++i) t.add_row({i, base + i * 1e-3});
    return t;
  };
  const sc::csv_table A = make(1.0 / 3), B = make(2.0 / 3);
  const std::string a = A.str(), b = B.str();
  sc::write_csv(path, A);

  // Writers: 3 threads here and a child process, all on the same path, while this thread reads.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int rc = 0;
    try {
      for (int k = 0; k < 60; ++k) sc::write_csv(path, k % 2 ? A : B);
    } catch (...) {
      rc = 1;
    }
    ::_exit(rc);
  }
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w)
    writers.emplace_back([&, w] {
      try {
        for (int k = 0; k < 60; ++k) sc::write_csv(path, (k + w) % 2 ? A : B);
      } catch (...) {
        ++failures;
      }
    });
  int reads = 0, partial = 0;
  std::thread reader([&] {
    while (!done) {
      const std::string got = slurp(path);
      ++reads;
      if (got != a && got != b) ++partial;
    }
  });
  for (auto& t : writers) t.join();
  int status = 0;
  ::waitpid(child, &status, 0);
  done = true;
  reader.join();
  CHECK(failures == 0);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK(reads > 0);
  CHECK(partial == 0);
  const std::string final_text = slurp(path);
  CHECK((final_text == a || final_text == b));
  CHECK(s.entries() == std::vector<std::string>{"out.csv"});  // no temporary left behind
}

TEST_CASE("csv: result structs become tables with their fields") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  SUBCASE("line_integral_result") {
    sc::line_integral_result r;
    r.value = 0.125;
    r.error_estimate = 1e-13;
    r.l1_norm = 2.5;
    r.status = sc::status::tolerance_not_met;
    r.message = "error 1e-9, above tolerance";
    r.evaluations = 651;
    CHECK(sc::to_table(r).str() ==
          "value,error_estimate,l1_norm,status,message,evaluations\n"
          "0.125,1e-13,2.5,tolerance_not_met,\"error 1e-9, above tolerance\",651\n");
  }
  SUBCASE("minimum_result") {
    sc::minimum_result r;
    r.theta = sc::vector::Constant(2, 0.5);
    r.theta(1) = -1;
    r.value = -3;
    r.gradient = sc::vector::Zero(2);
    r.iterations = 7;
    CHECK(sc::to_table(r).str() == "theta_0,theta_1,value,gradient_0,gradient_1,status,message,iterations\n"
                                   "0.5,-1,-3,0,0,success,\"\",7\n");
  }
  SUBCASE("langevin_1d_result") {
    sc::langevin_1d_result r;
    for (int s = 0; s < 2; ++s) {
      sc::langevin_1d_snapshot snap;
      snap.time = s;
      snap.particles = 100;
      snap.mean_train_loss = -0.5 * s;
      snap.occupancy = {0.25, 0.75};
      snap.occupancy_error = {0.043, 0.043};
      r.snapshots.push_back(snap);
    }
    const auto recs = parse(sc::to_table(r).str());
    REQUIRE(recs.size() == 3);
    CHECK(recs[0] == record{"time", "particles", "mean_train_loss", "train_loss_error", "mean_test_loss",
                            "test_loss_error", "mean_theta", "variance_theta", "occupancy_0", "occupancy_1",
                            "occupancy_error_0", "occupancy_error_1"});
    CHECK(recs[2] == record{"1", "100", "-0.5", "0", "0", "0", "0", "0", "0.25", "0.75", "0.042999999999999997",
                            "0.042999999999999997"});
  }
  SUBCASE("steady_state_1d basins") {
    const sc::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5});
    const sc::steady_state_1d ss(U, sc::constant_diffusion(1e-3, 1), 0.1, -4, 4);
    const auto recs = parse(sc::to_table(ss).str());
    REQUIRE(recs.size() == ss.basins().size() + 1);
    CHECK(recs[0] == record{"basin", "lower", "upper", "minimum", "probability", "log_probability", "error_estimate"});
    for (std::size_t k = 0; k < ss.basins().size(); ++k) {
      const auto& b = ss.basins()[k];
      CHECK(number(recs[k + 1][0]) == double(k));
      CHECK(bits(number(recs[k + 1][1])) == bits(b.lower));
      CHECK(bits(number(recs[k + 1][3])) == bits(b.minimum));
      CHECK(bits(number(recs[k + 1][4])) == bits(b.probability));
      CHECK(bits(number(recs[k + 1][5])) == bits(b.log_probability));
    }
  }
  SUBCASE("gaussian_mixture_result") {
    sc::gaussian_mixture_result r;
    sc::mixture_component c;
    c.theta_train = sc::vector::Constant(2, 1.0);
    c.mu = sc::vector::Constant(2, 0.75);
    c.bias = sc::vector::Constant(2, 0.25);
    c.covariance = sc::matrix::Identity(2, 2) * 0.5;
    c.covariance(0, 1) = 0.125;
    c.weight = 0.75;
    c.log_weight = std::log(0.75);
    c.width_ratio = 0.5;
    r.components.push_back(c);
    sc::mixture_component failed;  // empty vectors: written as nan
    failed.status = sc::status::not_converged;
    failed.message = "no minimum, gave up";
    r.components.push_back(failed);
    const auto recs = parse(sc::to_table(r).str());
    REQUIRE(recs.size() == 3);
    CHECK(recs[0] == record{"component", "status", "weight", "log_weight", "v_mu", "width", "width_ratio",
                            "theta_train_0", "theta_train_1", "mu_0", "mu_1", "bias_0", "bias_1", "covariance_0_0",
                            "covariance_0_1", "covariance_1_0", "covariance_1_1", "message"});
    CHECK(recs[1][1] == "success");
    CHECK(bits(number(recs[1][3])) == bits(std::log(0.75)));
    CHECK(recs[1][14] == "0.125");
    CHECK(recs[1][15] == "0");
    CHECK(recs[2][1] == "not_converged");
    CHECK(std::isnan(number(recs[2][9])));
    CHECK(recs[2][17] == "no minimum, gave up");
  }
  SUBCASE("test_loss_prediction") {
    sc::predict_test_loss_result r;
    r.basins.resize(2);
    r.basins[0].weight = 0.25;
    r.basins[1].weight = 0.75;
    sc::decomposition_terms d0{1, 2, 3, 4, 5, 6}, d1{-1, -2, -3, -4, -5, -6};
    r.decomposition.per_basin = {d0, d1};
    r.decomposition.overall = {-0.5, -1, -1.5, -2, -2.5, -3};
    CHECK(sc::to_table(r).str() ==
          "basin,weight,depth,shift_curvature,bias_curvature,covariance_curvature,total_eq4,total_eq7\n"
          "0,0.25,1,2,3,4,5,6\n1,0.75,-1,-2,-3,-4,-5,-6\noverall,1,-0.5,-1,-1.5,-2,-2.5,-3\n");
    r.decomposition.per_basin = {d1};  // one basin left out: the weight is unknown
    CHECK(std::isnan(number(parse(sc::to_table(r).str())[1][1])));
    (void)nan;
  }
}
