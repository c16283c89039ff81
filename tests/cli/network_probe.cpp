// network_probe as an outside script runs it: its files against an independent reference (the
// per-sample loop of tests/network_reference.hpp, differentiated exactly by dual numbers, on
// the digits read by a separate parser), its bad-input contract, and nothing half-written.
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>
#include <random>
#include <zlib.h>

#include "harness.hpp"
#include "network_reference.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"

namespace sc = shiftcurv;

namespace {

std::vector<double> read_numbers(const std::string& path) {
  std::vector<double> x;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    REQUIRE(line.find_first_not_of("0123456789.eE+-") == std::string::npos);
    x.push_back(std::stod(line));
  }
  return x;
}
sc::vector as_vector(const std::vector<double>& x) { return Eigen::Map<const sc::vector>(x.data(), static_cast<long>(x.size())); }

/// The digits, parsed here with zlib and sscanf: rows [first, last) as (features / 16, labels).
void read_digits(long first, long last, sc::matrix& X, std::vector<int>& y) {
  gzFile f = gzopen(SHIFTCURV_DIGITS_PATH, "rb");
  REQUIRE(f != nullptr);
  char line[1024];
  long row = 0;
  std::vector<std::vector<double>> rows;
  while (gzgets(f, line, sizeof line)) {
    if (row >= first && row < last) {
      std::vector<double> r;
      char* p = line;
      for (int k = 0; k < 65; ++k) {
        r.push_back(std::strtod(p, &p));
        if (*p == ',') ++p;
      }
      rows.push_back(r);
    }
    ++row;
  }
  gzclose(f);
  X.resize(64, static_cast<long>(rows.size()));
  y.clear();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (int j = 0; j < 64; ++j) X(j, static_cast<long>(i)) = rows[i][static_cast<std::size_t>(j)] / 16.0;
    y.push_back(static_cast<int>(rows[i][64]));
  }
}

/// The documented initialisation, reimplemented: W entries N(0, 1/n_in) by Box–Muller on 53-bit
/// uniforms of std::mt19937_64(seed), in layout order; biases 0.
sc::vector documented_theta(const std::vector<long>& w, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  auto u = [&] { return (static_cast<double>(gen() >> 11) + 0.5) / 9007199254740992.0; };
  std::vector<double> th;
  for (std::size_t l = 0; l + 1 < w.size(); ++l) {
    const long n = w[l] * w[l + 1];
    const double sd = 1 / std::sqrt(double(w[l]));
    for (long k = 0; k < n; k += 2) {
      const double r = std::sqrt(-2 * std::log(u())), a = 2 * std::numbers::pi * u();
      th.push_back(sd * r * std::cos(a));
      if (k + 1 < n) th.push_back(sd * r * std::sin(a));
    }
    for (long k = 0; k < w[l + 1]; ++k) th.push_back(0.0);
  }
  return as_vector(th);
}

}  // namespace

TEST_SUITE("cli") {
TEST_CASE("network_probe: files against an independent dual-number reference on the 1000 training digits") {
  const std::string dir = harness::temp_path("probe");
  const auto r = harness::run("network/network_probe", "--hidden=3 --seed=17 --alpha=0.02 --sample-rows=7 --out=" + dir);
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());
  test_support::reference_mlp ref;
  ref.widths = {64, 3, 10};
  ref.alpha = 0.02;
  read_digits(0, 1000, ref.X, ref.y);
  const long p = ref.num_parameters();
  const sc::vector theta = as_vector(read_numbers(dir + "/theta.txt"));
  const sc::vector v = as_vector(read_numbers(dir + "/v.txt"));
  REQUIRE(theta.size() == p);
  REQUIRE(v.size() == p);
  CHECK((theta - documented_theta(ref.widths, 17)).norm() <= 1e-15 * theta.norm());
  CHECK(v.norm() == doctest::Approx(1.0).epsilon(1e-14));
  const double tol = 1e-11;  // rounding of two different summation orders over 1000 samples
  CHECK(std::abs(read_numbers(dir + "/train_loss.txt").at(0) - ref(theta)) < tol);
  const sc::vector g = sc::gradient(ref, theta);
  CHECK((as_vector(read_numbers(dir + "/grad.txt")) - g).norm() < tol * g.norm());
  const sc::vector hv = sc::hvp(ref, theta, v);
  CHECK((as_vector(read_numbers(dir + "/hvp.txt")) - hv).norm() < tol * hv.norm());
  // D from the per-sample cross-entropy gradients (population 1/N)
  sc::matrix G(1000, p);
  for (long i = 0; i < 1000; ++i) {
    auto li = [&ref, i](const auto& th) { return ref.sample_loss(th, i); };
    G.row(i) = sc::gradient(li, theta).transpose();
  }
  const sc::matrix C = G.rowwise() - G.colwise().mean();
  const sc::matrix D = C.transpose() * C / 1000.0;
  CHECK((as_vector(read_numbers(dir + "/dv.txt")) - D * v).norm() < tol * (D * v).norm());
  CHECK(std::abs(read_numbers(dir + "/trace_d.txt").at(0) - D.trace()) < tol * D.trace());
  {  // --sample-rows=7: rows 0..6 of G, each with the ℓ2 term αθ
    std::ifstream in(dir + "/sample_gradients.txt");
    std::string line;
    long rows = 0;
    while (std::getline(in, line)) {
      std::vector<double> x;
      std::stringstream ss(line);
      for (std::string cell; std::getline(ss, cell, ',');) x.push_back(std::stod(cell));
      REQUIRE(static_cast<long>(x.size()) == p);
      const sc::vector want = G.row(rows).transpose() + 0.02 * theta;
      CHECK((as_vector(x) - want).norm() < tol * want.norm());
      ++rows;
    }
    CHECK(rows == 7);
  }
  test_support::reference_mlp test_ref{{64, 3, 10}, {}, {}, 0.0};
  read_digits(1000, 1797, test_ref.X, test_ref.y);
  REQUIRE(test_ref.X.cols() == 797);
  CHECK(std::abs(read_numbers(dir + "/test_loss.txt").at(0) - test_ref(theta)) < tol);
  std::filesystem::remove_all(dir);
}

TEST_CASE("network_probe: bad input exits 2 with one line on stderr and writes nothing") {
  const std::string dir = harness::temp_path("probe_bad");
  for (const std::string& args : std::vector<std::string>{
       "--hidden= --seed=1 --out=" + dir, "--hidden=4,x --seed=1 --out=" + dir, "--hidden=4,,2 --seed=1 --out=" + dir,
        "--hidden=4 --seed=-1 --out=" + dir, "--hidden=4 --seed=1 --out=" + dir + " --alpha=nan",
        "--hidden=4 --seed=1 --out=" + dir + " --alpha=-1", "--hidden=4 --seed=1 --out=" + dir + " --bogus=3",
        "--hidden=4 --seed=1 --out=" + dir + " --backend=tpu", "--hidden=0 --seed=1 --out=" + dir,
        "--hidden=4 --seed=1 --out=" + dir + " --data=/nonexistent.csv.gz", "--hidden=4 --seed=1",
        "--hidden=4 --seed=1 --out=/proc/shiftcurv_not_writable", "--hidden=4 --seed=1 --out=" + dir + " --sample-rows=-1",
        "--hidden=4 --seed=1 --out=" + dir + " --sample-rows=1001", "--hidden=4 --seed=1 --out=" + dir + " --sample-rows=2.5"}) {
    CAPTURE(args);
    const auto r = harness::run("network/network_probe", args);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_FALSE(std::filesystem::exists(dir + "/theta.txt"));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("network_bench: CSV rows op,backend,precision,p,median_ms for the four ops") {
  const auto r = harness::run("network/network_bench", "--hidden=4 --reps=3 --precision=float");
  REQUIRE(r.code == 0);
  std::istringstream in(r.out);
  std::string line;
  std::getline(in, line);
  CHECK(line == "op,backend,precision,p,median_ms");
  std::vector<std::string> ops;
  while (std::getline(in, line)) {
    ops.push_back(line.substr(0, line.find(',')));
    CHECK(line.find(",cpu,float,310,") != std::string::npos);  // p = 64·4 + 4 + 4·10 + 10
    CHECK(std::stod(line.substr(line.rfind(',') + 1)) > 0);
  }
  CHECK(ops == std::vector<std::string>{"grad", "hvp", "per_sample", "dv"});
  CHECK(harness::run("network/network_bench", "--hidden=4 --reps=0").code == 2);
  CHECK(harness::run("network/network_bench", "--hidden=4 --precision=half").code == 2);
}
}
