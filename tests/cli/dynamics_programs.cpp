// langevin_ensemble and fokker_planck, run as outside scripts run them: CSV contracts, answers
// against the independent brute-force steady state of harness.hpp, determinism across thread
// counts, and the bad-input contract.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <fstream>

#include "cli/harness.hpp"

namespace {
const std::string model = "--minima=-0.5,0.5 --weights=0.1,0.14 --sigmas=0.4,0.4 --shift=0.05 "
                          "--diffusion=linear:0.05,0.01 --domain=-1.5,1.5";
harness::wells train() { return {{-0.5, 0.5}, {0.1, 0.14}, {0.4, 0.4}, 0.0, 0.0}; }
// The local maximum of U_tr between the minima, by bisection on U' (it changes sign once).
double split() {
  const auto U = train();
  double a = -0.45, b = 0.45;
  for (int i = 0; i < 200; ++i) {
    const double c = 0.5 * (a + b);
    (U.slope(c) > 0 ? a : b) = c;  // U' > 0 left of the maximum
  }
  return 0.5 * (a + b);
}
}  // namespace

TEST_CASE("fokker_planck --steady: the density is exp(-2v/T) at the centres, basin masses exact") {
  const std::string basins_csv = harness::temp_path("fp_basins.csv");
  const auto r = harness::run("fokker_planck", model + " --temperature=0.8 --cells=3000 --steady --csv=- --basins=" + basins_csv);
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const auto c = harness::parse_csv(r.out);
  REQUIRE(c.header == std::vector<std::string>{"theta", "rho"});
  REQUIRE(c.rows.size() == 3000);
  const auto U = train();
  harness::reference_1d ref([&](double x) { return U.slope(x); }, [](double x) { return 0.05 + 0.01 * x; }, 0.8, -1.5, 1.5);
  // log ρ_i − log ρ_exact(θ_i) must be one constant (the discrete normalization): node-exact.
  const double offset = std::log(c.rows[0][1]) - ref.log_rho(c.rows[0][0], ref.panel_of(c.rows[0][0]));
  double worst = 0, mass = 0;
  for (const auto& row : c.rows) {
    worst = std::max(worst, std::abs(std::log(row[1]) - ref.log_rho(row[0], ref.panel_of(row[0])) - offset));
    mass += row[1] * 3.0 / 3000;
  }
  CHECK(worst < 1e-9);
  CHECK(mass == doctest::Approx(1.0).epsilon(1e-12));
  // The constant is log(Z_exact / Z_discrete) = O(h²) with h = 1e-3.
  CHECK(std::abs(offset + ref.log_max + std::log(ref.Z)) < 1e-5);
  const auto b = harness::parse_csv(harness::slurp(basins_csv));
  std::remove(basins_csv.c_str());
  REQUIRE(b.rows.size() == 2);
  CHECK(b.at(0, "upper") == doctest::Approx(split()).epsilon(1e-9));
  CHECK(b.at(0, "mass") == doctest::Approx(ref.mass(-1.5, split())).epsilon(1e-5));  // O(h²) cell-splitting error
}

TEST_CASE("fokker_planck --time: mass is conserved and the density relaxes to the steady state") {
  const auto early = harness::run("fokker_planck", model + " --temperature=0.8 --cells=500 --time=0.5 --csv=-");
  REQUIRE_MESSAGE(early.code == 0, early.err);
  const auto late = harness::run("fokker_planck", model + " --temperature=0.8 --cells=500 --time=2000 --csv=-");
  const auto steady = harness::run("fokker_planck", model + " --temperature=0.8 --cells=500 --steady --csv=-");
  const auto ce = harness::parse_csv(early.out), cl = harness::parse_csv(late.out), cs = harness::parse_csv(steady.out);
  double me = 0, dl = 0, de = 0;
  for (std::size_t i = 0; i < ce.rows.size(); ++i) {
    me += ce.rows[i][1] * 3.0 / 500;
    dl += std::abs(cl.rows[i][1] - cs.rows[i][1]) * 3.0 / 500;
    de += std::abs(ce.rows[i][1] - cs.rows[i][1]) * 3.0 / 500;
    CHECK(ce.rows[i][1] >= 0);
  }
  CHECK(me == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(de > 1e-2);  // at t = 0.5 still far from equilibrium
  CHECK(dl < 1e-6);  // at t = 2000 ≫ the relaxation time (≈ L²/(T·D) ≈ 200)
}

TEST_SUITE("slow") {
TEST_CASE("langevin_ensemble matches the exact steady state within Monte Carlo error, any thread count") {
  const double T = 1.0;
  const std::string args = model + " --temperature=1 --particles=4000 --dt=0.02 --time=300 --seed=7 --scheme=weak2 --csv=-";
  const auto r1 = harness::run("langevin_ensemble", args + " --threads=1");
  const auto r2 = harness::run("langevin_ensemble", args + " --threads=2");
  REQUIRE_MESSAGE(r1.code == 0, r1.err);
  CHECK(r1.out == r2.out);  // bit-identical: Philox keyed by (seed, particle, step)
  const auto c = harness::parse_csv(r1.out);
  REQUIRE(c.header == std::vector<std::string>{"T", "particles", "steps", "mean_train_loss", "mean_test_loss",
                                               "occupancy_0", "occupancy_1"});
  CHECK(c.at(0, "particles") == 4000);
  CHECK(c.at(0, "steps") == 15000);
  const auto U = train();
  harness::wells Ut = U;
  Ut.s = 0.05;
  harness::reference_1d ref([&](double x) { return U.slope(x); }, [](double x) { return 0.05 + 0.01 * x; }, T, -1.5, 1.5);
  const double p0 = ref.mass(-1.5, split());
  // 4.5 standard errors of the particle average (independent particles at t = 300, well past the
  // relaxation time ≈ L²/(π² T D/2) ≈ 36); the weak-order-2 bias at dt = 0.02 is far below that.
  CHECK(std::abs(c.at(0, "occupancy_0") - p0) < 4.5 * std::sqrt(p0 * (1 - p0) / 4000));
  const double m = ref.expectation([&](double x) { return U.value(x); });
  const double sd = std::sqrt(ref.expectation([&](double x) { return U.value(x) * U.value(x); }) - m * m);
  CHECK(std::abs(c.at(0, "mean_train_loss") - m) < 4.5 * sd / std::sqrt(4000.0));
  const double mt = ref.expectation([&](double x) { return Ut.value(x); });
  CHECK(std::abs(c.at(0, "mean_test_loss") - mt) < 4.5 * sd * 1.2 / std::sqrt(4000.0));
}
}  // TEST_SUITE("slow")

TEST_CASE("langevin_ensemble and fokker_planck: bad input exits 2, one stderr line naming the flag") {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases{
      {"langevin_ensemble", "--particles=0", "--particles"},
      {"langevin_ensemble", "--particles=-5", "--particles"},
      {"langevin_ensemble", "--particles=2.5", "--particles"},
      {"langevin_ensemble", "--dt=0", "--dt"},
      {"langevin_ensemble", "--dt=-0.1", "--dt"},
      {"langevin_ensemble", "--time=-1", "--time"},
      {"langevin_ensemble", "--temperature=0", "--temperature"},
      {"langevin_ensemble", "--temperature=nan", "--temperature"},
      {"langevin_ensemble", "--scheme=rk4", "--scheme"},
      {"langevin_ensemble", "--seed=abc", "--seed"},
      {"langevin_ensemble", "--init=9", "--init"},
      {"langevin_ensemble", "--threads=-1", "--threads"},
      {"langevin_ensemble", "--diffusion=const:-1", "--diffusion"},
      {"langevin_ensemble", "--weights=1,2,3", "--weights"},
      {"fokker_planck", "--cells=0 --steady", "--cells"},
      {"fokker_planck", "--cells=-3 --steady", "--cells"},
      {"fokker_planck", "--time=-1", "--time"},
      {"fokker_planck", "--temperature=-2 --steady", "--temperature"},
      {"fokker_planck", "--steady --time=1", "--time"},
      {"fokker_planck", "--cells=100", "--time"},
      {"fokker_planck", "--steady --domain=2,1", "--domain"},
      {"fokker_planck", "--steady --sigmas=0,1", "--sigmas"},
  };
  for (const auto& [program, args, flag] : cases) {
    CAPTURE(program);
    CAPTURE(args);
    const auto r = harness::run(program, args + " --csv=-");
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(harness::count_lines(r.err) == 1);
    CHECK(r.err.find(flag) != std::string::npos);
  }
}

// ---- checkpoints (issue 12) ---------------------------------------------------------------------
namespace {
const std::vector<std::string> ckpt_run{"--minima=-0.5,0.5", "--weights=0.1,0.14", "--sigmas=0.4,0.4", "--shift=0.05",
                                        "--diffusion=linear:0.05,0.01", "--domain=-1.5,1.5", "--temperature=1",
                                        "--particles=8000", "--dt=0.01", "--time=40", "--seed=7", "--threads=1"};
std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& more) {
  a.insert(a.end(), more.begin(), more.end());
  return a;
}
bool exists(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }
}  // namespace

TEST_CASE("langevin_ensemble: killed by SIGTERM part-way, --resume gives the uninterrupted CSV; no partial CSV") {
  const std::string full = harness::temp_path("full.csv"), part = harness::temp_path("part.csv"),
                    ckpt = harness::temp_path("run.ckpt");
  const auto ref = harness::run_args("langevin_ensemble", with(ckpt_run, {"--csv=" + full}), 120);
  REQUIRE_MESSAGE(ref.code == 0, ref.err);
  // Start a checkpointed run (a checkpoint after every round), wait for its first checkpoint,
  // then SIGTERM it: the run has done a few of its 63 chunks.
  const std::string exe = std::string(SHIFTCURV_EXAMPLES_DIR) + "/langevin_ensemble";
  const auto args = with(ckpt_run, {"--csv=" + part, "--checkpoint=" + ckpt, "--checkpoint-every=0"});
  std::vector<char*> argv{const_cast<char*>(exe.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  REQUIRE(pid > 0);
  for (int i = 0; i < 30000 && !exists(ckpt); ++i) ::usleep(1000);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(exists(ckpt));
  CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));  // interrupted, not finished
  CHECK(!exists(part));                                      // no CSV from an interrupted run
  const auto resumed = harness::run_args("langevin_ensemble", with(args, {"--resume"}), 120);
  REQUIRE_MESSAGE(resumed.code == 0, resumed.err);
  // "resuming from '…': k of 63 jobs done" with 0 < k < 63: it did stop part-way.
  const auto at = resumed.err.find("resuming from");
  REQUIRE(at != std::string::npos);
  const auto k = std::stol(resumed.err.substr(resumed.err.find("': ", at) + 3));
  CHECK(k > 0);
  CHECK(k < 63);
  CHECK(harness::slurp(part) == harness::slurp(full));
  std::remove(full.c_str());
  std::remove(part.c_str());
  std::remove(ckpt.c_str());
}

TEST_CASE("langevin_ensemble: a checkpoint of another run, a corrupt one, or one not resumed: exit 2, untouched") {
  const std::string ckpt = harness::temp_path("bad.ckpt"), csv = harness::temp_path("bad.csv");
  auto small = ckpt_run;
  small[7] = "--particles=500";
  small[9] = "--time=1";
  const auto first = harness::run_args("langevin_ensemble", with(small, {"--checkpoint=" + ckpt, "--csv=" + csv}), 60);
  REQUIRE_MESSAGE(first.code == 0, first.err);
  std::remove(csv.c_str());
  const std::string good = harness::slurp(ckpt);
  REQUIRE(!good.empty());
  auto expect_error = [&](const std::vector<std::string>& args, const std::string& says) {
    CAPTURE(says);
    const auto r = harness::run_args("langevin_ensemble", args, 60);
    CHECK(r.code == 2);
    CHECK(harness::count_lines(r.err) == 1);
    CHECK(r.err.find(says) != std::string::npos);
    CHECK(r.out.empty());
    CHECK(!exists(csv));
    CHECK(harness::slurp(ckpt) == good);  // nothing overwritten
  };
  auto other_seed = small;
  other_seed[10] = "--seed=8";
  expect_error(with(other_seed, {"--checkpoint=" + ckpt, "--resume", "--csv=" + csv}),
               "different configuration: the checkpoint has 'seed=7', this run has 'seed=8'");
  expect_error(with(small, {"--checkpoint=" + ckpt, "--csv=" + csv}), "already exists");
  expect_error(with(small, {"--resume", "--csv=" + csv}), "--resume");
  // Another format version, another payload version (kind): the file's FNV-1a checksum (its
  // last 8 bytes, over everything before them) recomputed here so that only the version differs.
  auto resealed = [&](std::string body) {
    std::uint64_t h = 14695981039346656037ULL;  // FNV-1a 64 offset basis
    for (unsigned char ch : body) h = (h ^ ch) * 1099511628211ULL;
    body.append(reinterpret_cast<const char*>(&h), 8);
    return body;
  };
  const std::string magic = "shiftcurv-checkpoint\n";
  REQUIRE(good.compare(0, magic.size(), magic) == 0);
  std::string body = good.substr(0, good.size() - 8);
  std::string v2 = body;
  REQUIRE(v2[magic.size()] == 2);  // the u32 format version (2), little-endian
  v2[magic.size()] = 3;
  { std::ofstream(ckpt, std::ios::binary) << resealed(v2); }
  auto after = harness::run_args("langevin_ensemble", with(small, {"--checkpoint=" + ckpt, "--resume", "--csv=" + csv}), 60);
  CHECK(after.code == 2);
  CHECK(after.err.find("format version 3") != std::string::npos);
  CHECK(!exists(csv));
  std::string k0 = body;
  const auto kind_at = k0.find("langevin_ensemble/1");
  REQUIRE(kind_at != std::string::npos);
  k0[kind_at + 18] = '0';
  { std::ofstream(ckpt, std::ios::binary) << resealed(k0); }
  after = harness::run_args("langevin_ensemble", with(small, {"--checkpoint=" + ckpt, "--resume", "--csv=" + csv}), 60);
  CHECK(after.code == 2);
  CHECK(harness::count_lines(after.err) == 1);
  CHECK(after.err.find("was written by 'langevin_ensemble/0'") != std::string::npos);
  CHECK(harness::slurp(ckpt) == resealed(k0));
  CHECK(!exists(csv));
  // One flipped byte in the payload: the checksum says so.
  std::string bad = good;
  bad[bad.size() / 2] ^= 0x5a;
  { std::ofstream(ckpt, std::ios::binary) << bad; }
  const std::string corrupt = bad;
  const auto r = harness::run_args("langevin_ensemble", with(small, {"--checkpoint=" + ckpt, "--resume", "--csv=" + csv}), 60);
  CHECK(r.code == 2);
  CHECK(harness::count_lines(r.err) == 1);
  CHECK(r.err.find("corrupt") != std::string::npos);
  CHECK(harness::slurp(ckpt) == corrupt);
  CHECK(!exists(csv));
  std::remove(ckpt.c_str());
}
