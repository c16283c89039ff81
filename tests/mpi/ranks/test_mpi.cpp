// The MPI layer (issue 12) under mpirun -np 1, 2, 3 (tests/mpi/CMakeLists.txt): ensembles split
// over ranks are bit-identical to the single-process run for any rank and thread count, and
// right against closed forms; run_jobs gathers in job order, reports the first failing job,
// checkpoints and resumes; options that differ across ranks are an error on every rank.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "ensemble_case.hpp"
#include "shiftcurv/dynamics/langevin_system.hpp"
#include "shiftcurv/dynamics/observers.hpp"
#include "shiftcurv/dynamics/sde_steppers.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/parallel/mpi/ensemble.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"

namespace sc = shiftcurv;

namespace {
sc::mpi::communicator world() { return sc::mpi::communicator(); }

// Exact equality of every number of two results (== on doubles: bit-identical up to ±0, and
// none of these is NaN).
void require_identical(const sc::langevin_1d_result& a, const sc::langevin_1d_result& b) {
  REQUIRE(a.snapshots.size() == b.snapshots.size());
  CHECK(a.non_finite == b.non_finite);
  for (std::size_t s = 0; s < a.snapshots.size(); ++s) {
    const auto &x = a.snapshots[s], &y = b.snapshots[s];
    CHECK(x.particles == y.particles);
    CHECK(x.mean_train_loss == y.mean_train_loss);
    CHECK(x.train_loss_error == y.train_loss_error);
    CHECK(x.mean_test_loss == y.mean_test_loss);
    CHECK(x.test_loss_error == y.test_loss_error);
    CHECK(x.mean_theta == y.mean_theta);
    CHECK(x.variance_theta == y.variance_theta);
    CHECK(x.occupancy == y.occupancy);
    CHECK(x.histogram == y.histogram);
  }
}
}  // namespace

TEST_CASE("1-D ensemble over ranks: bit-identical to the serial run for 1 and 2 threads per rank") {
  sc::gaussian_wells_1d U({-1, 1}, {0.3, 0.5}, {0.4, 0.5});
  const auto U_test = U.shifted(0.1);
  auto D = [](double x) { return 0.5 + 0.1 * x; };
  sc::langevin_1d_options o;
  o.particles = 1000;  // 16 chunks of 64: uneven blocks over 3 ranks
  o.dt = 0.01;
  o.t_end = 1;
  o.observe_at = {0.2, 0.5, 1.0};
  o.scheme = sc::sde_scheme::weak_order2;
  o.walls = sc::reflecting_box(-2, 2);
  o.basin_boundaries = {0.0};
  o.histogram_bins = 16;
  o.seed = 11;
  o.threads = 1;
  o.progress = false;
  const auto serial = sc::langevin_ensemble_1d(U, U_test, D, 0.4, o);
  REQUIRE(serial.ok());
  for (unsigned threads : {1u, 2u}) {
    CAPTURE(threads);
    o.threads = threads;
    require_identical(sc::mpi::langevin_ensemble_1d(world(), U, U_test, D, 0.4, o), serial);
  }
  // The chunked form, chunks computed in two pieces (as two processes or two runs would).
  const sc::langevin_1d_chunks chunks(U, U_test, D, 0.4, o);
  REQUIRE(chunks.chunks() == 16);
  auto parts = chunks.run(0, 5);
  for (auto& p : chunks.run(5, 16)) parts.push_back(p);
  require_identical(chunks.finish(parts), serial);
  // Through bytes (what ranks and checkpoints exchange).
  for (auto& p : parts) {
    sc::langevin_1d_partial back = chunks.empty_partial();
    sc::from_bytes(sc::to_bytes(p), back);
    p = back;
  }
  require_identical(chunks.finish(parts), serial);
  parts.pop_back();
  CHECK_THROWS_AS(chunks.finish(parts), sc::invalid_argument);
}

TEST_CASE("1-D ensemble over ranks: Ornstein-Uhlenbeck mean and variance against the closed form") {
  // dθ = −aθ dt + √(T·D) dW from θ0: mean θ0 e^{−at}, variance T·D/(2a)·(1 − e^{−2at}).
  const double a = 1.5, T = 0.8, Dc = 0.5, x0 = 1.0, t = 1.0;
  auto U = [a](auto x) { return 0.5 * a * x * x; };
  sc::langevin_1d_options o;
  o.particles = 6000;
  o.dt = 0.01;
  o.t_end = t;
  o.x0 = x0;
  o.scheme = sc::sde_scheme::weak_order2;
  o.seed = 5;
  o.threads = 2;
  o.progress = false;
  const auto r = sc::mpi::langevin_ensemble_1d(world(), U, sc::constant_diffusion(Dc, 1), T, o);
  REQUIRE(r.ok());
  const double mean = x0 * std::exp(-a * t), var = T * Dc / (2 * a) * (1 - std::exp(-2 * a * t));
  const double n = static_cast<double>(o.particles);
  // 4.5 Monte Carlo standard errors (mean: √(var/n); Gaussian sample variance: var·√(2/(n−1)));
  // the weak-order-2 bias at dt = 0.01 is O(dt²) ≈ 1e-4 relative, far below.
  CHECK(std::abs(r.final().mean_theta - mean) < 4.5 * std::sqrt(var / n));
  CHECK(std::abs(r.final().variance_theta - var) < 4.5 * var * std::sqrt(2 / (n - 1)));
}

TEST_CASE("generic ensemble over ranks: every observer bit-identical to the serial run") {
  const test_support::ensemble_case c;
  const auto obs = c.observers();
  const auto serial = sc::run_ensemble(sc::milstein<>(), c.sys, c.init, obs, c.options(1));
  const auto split = sc::mpi::run_ensemble(world(), sc::milstein<>(), c.sys, c.init, obs, c.options(2));
  REQUIRE(serial.ok());
  REQUIRE(split.ok());
  const auto &so = serial.observer.parts, &po = split.observer.parts;
  for (sc::index s = 0; s < 2; ++s) {
    CHECK(std::get<0>(po).total(s) == 300);  // every particle once
    CHECK(std::get<0>(po).count(s, 0) == std::get<0>(so).count(s, 0));
    CHECK(std::get<1>(po).mean(s, 0) == std::get<1>(so).mean(s, 0));
    CHECK(std::get<1>(po).variance(s, 0) == std::get<1>(so).variance(s, 0));
    for (sc::index b = 0; b < 10; ++b) CHECK(std::get<2>(po).count(s, b) == std::get<2>(so).count(s, b));
  }
}

TEST_CASE("run_jobs over ranks: results in job order on rank 0, first failing job reported everywhere") {
  const auto comm = world();
  sc::run_jobs_options o;
  o.threads = 2;
  auto square = [](sc::index i) { return sc::to_bytes(static_cast<double>(i) * static_cast<double>(i)); };
  const auto out = sc::run_jobs(comm, 17, square, o);
  if (comm.rank() == 0) {
    REQUIRE(out.size() == 17);
    for (sc::index i = 0; i < 17; ++i) {
      double v = -1;
      sc::from_bytes(out[static_cast<std::size_t>(i)], v);
      CHECK(v == static_cast<double>(i * i));
    }
  } else {
    CHECK(out.empty());
  }
  auto failing = [](sc::index i) -> std::string {
    if (i == 11 || i == 5) throw sc::invalid_argument("job " + std::to_string(i) + " failed");
    return "ok";
  };
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 17, failing, o), "job 5 failed", sc::invalid_argument);
}

TEST_CASE("run_jobs over ranks: interrupted, checkpointed, resumed to the same results") {
  const auto comm = world();
  std::string path = "/tmp/shiftcurv_mpi_" + std::to_string(::getpid()) + ".ckpt";  // rank 0's name
  comm.broadcast(path);
  std::remove(path.c_str());
  auto job = [](sc::index i) { return sc::to_bytes(std::sqrt(static_cast<double>(i))); };
  const auto plain = sc::run_jobs(comm, 40, job, {});
  std::atomic<bool> stop{true};  // as if SIGTERM had arrived: stop after the first round
  sc::run_jobs_options o;
  o.checkpoint = path;
  o.checkpoint_every = 0;
  o.kind = "test/1";
  o.config = "n=40\n";
  o.stop = &stop;
  CHECK_THROWS_AS(sc::run_jobs(comm, 40, job, o), sc::run_interrupted);
  o.stop = nullptr;
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 40, job, o), doctest::Contains("already exists"), sc::invalid_argument);
  o.resume = true;
  auto other = o;
  other.config = "n=41\n";
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 40, job, other), doctest::Contains("different configuration"), sc::invalid_argument);
  const auto resumed = sc::run_jobs(comm, 40, job, o);
  CHECK(resumed == plain);
  if (comm.rank() == 0) std::remove(path.c_str());
}

TEST_CASE("options that differ across ranks: invalid_argument on every rank") {
  const auto comm = world();
  if (comm.size() < 2) return;  // one process cannot disagree with itself
  sc::run_jobs_options o;
  o.config = "seed=" + std::to_string(comm.rank()) + "\n";
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 4, [](sc::index) { return std::string(); }, o),
                       doctest::Contains("different options"), sc::invalid_argument);
  sc::langevin_1d_options lo;
  lo.particles = 100;
  lo.x0 = 0.0;
  lo.seed = static_cast<std::uint64_t>(comm.rank());
  lo.progress = false;
  auto U = [](auto x) { return x * x; };
  CHECK_THROWS_WITH_AS(sc::mpi::langevin_ensemble_1d(comm, U, sc::constant_diffusion(1.0, 1), 1.0, lo),
                       doctest::Contains("different ensemble options"), sc::invalid_argument);
}

TEST_CASE("job counts that differ across ranks: invalid_argument on every rank, no rank left waiting") {
  const auto comm = world();
  auto job = [](sc::index i) { return sc::to_bytes(static_cast<double>(i)); };
  if (comm.size() >= 2) {
    CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 4 + comm.rank(), job, {}),
                         doctest::Contains("rank 0 has 'jobs\n\njobs=4\n'"), sc::invalid_argument);
    // A count that is invalid on one rank only is a difference too (not a throw on that rank
    // alone, which would leave the others inside the comparison).
    CHECK_THROWS_WITH_AS(sc::run_jobs(comm, comm.rank() == 1 ? -1 : 4, job, {}), doctest::Contains("different options"),
                         sc::invalid_argument);
  }
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, -1, job, {}), doctest::Contains("must be >= 0, got -1"), sc::invalid_argument);
  // The ranks are still in step: the next call works.
  const auto out = sc::run_jobs(comm, 5, job, {});
  CHECK(out.size() == (comm.rank() == 0 ? 5u : 0u));
}

TEST_CASE("threads that differ across ranks: rank 0 sizes the rounds, results in job order") {
  const auto comm = world();
  sc::run_jobs_options o;
  o.threads = 1 + 2 * static_cast<unsigned>(comm.rank());  // rounds of P·threads would differ per rank
  auto job = [](sc::index i) { return sc::to_bytes(std::sqrt(static_cast<double>(i) + 0.5)); };
  const auto out = sc::run_jobs(comm, 23, job, o);
  if (comm.rank() == 0) {
    REQUIRE(out.size() == 23);
    for (sc::index i = 0; i < 23; ++i) CHECK(out[static_cast<std::size_t>(i)] == job(i));
  }
}

namespace {
struct foreign_error {};  // not derived from std::exception
struct own_error : std::exception {
  const char* what() const noexcept override { return "own_error on a job"; }
};
}  // namespace

TEST_CASE("non-library exceptions of a job on a rank other than 0: every rank throws, in step") {
  const auto comm = world();
  sc::run_jobs_options o;  // one thread: job k of the first round runs on rank k mod P
  const sc::index bad = comm.size() > 1 ? 1 : 0;  // rank 1's first job (rank 0's with one rank)
  auto failing = [&](auto thrower) {
    return [=](sc::index i) -> std::string {
      if (i == bad || i == 7) thrower(i);
      return sc::to_bytes(static_cast<double>(i));
    };
  };
  const std::string runtime_bad = "runtime " + std::to_string(bad), range_bad = "range " + std::to_string(bad);
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 9, failing([](sc::index i) { throw std::runtime_error("runtime " + std::to_string(i)); }), o),
                       runtime_bad.c_str(), std::runtime_error);
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 9, failing([](sc::index i) { throw std::out_of_range("range " + std::to_string(i)); }), o),
                       range_bad.c_str(), std::runtime_error);
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 9, failing([](sc::index) { throw own_error(); }), o), "own_error on a job",
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 9, failing([](sc::index) { throw foreign_error(); }), o),
                       "an unknown exception", std::runtime_error);
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 9, failing([](sc::index) { throw 42; }), o), "an unknown exception",
                       std::runtime_error);
  // std::invalid_argument and std::domain_error keep their kind (as the library's types).
  CHECK_THROWS_AS(sc::run_jobs(comm, 9, failing([](sc::index) { throw std::invalid_argument("bad"); }), o),
                  sc::invalid_argument);
  CHECK_THROWS_AS(sc::run_jobs(comm, 9, failing([](sc::index) { throw std::domain_error("bad"); }), o),
                  sc::domain_error);
  // Every rank left each call at the same point: a run after the failures gathers normally.
  const auto out = sc::run_jobs(comm, 9, [](sc::index i) { return sc::to_bytes(static_cast<double>(i)); }, o);
  CHECK(out.size() == (comm.rank() == 0 ? 9u : 0u));
}

namespace {
/// U = x² whose dimension() is `dim`: a model that may differ across ranks (models are not compared).
struct dimension_loss {
  int dim = 1;
  template <class X>
  X operator()(X x) const { return x * x; }
  sc::index dimension() const { return dim; }
};
}  // namespace

TEST_CASE("an ensemble check failing on one rank only: invalid_argument on every rank, no rank left waiting") {
  const auto comm = world();
  sc::langevin_1d_options lo;
  lo.particles = 100;
  lo.x0 = 0.0;
  lo.seed = 3;
  lo.progress = false;
  if (comm.size() >= 2)
    CHECK_THROWS_WITH_AS(sc::mpi::langevin_ensemble_1d(comm, dimension_loss{comm.rank() == 1 ? 2 : 1},
                                                       sc::constant_diffusion(1.0, 1), 1.0, lo),
                         doctest::Contains("its dimension() is 2"), sc::invalid_argument);
  // The ranks are still in step: the same call with the same model on every rank runs.
  CHECK(sc::mpi::langevin_ensemble_1d(comm, dimension_loss{1}, sc::constant_diffusion(1.0, 1), 1.0, lo).ok());
}

// A checkpoint written over some rank count and resumed over another (tests/mpi/CMakeLists.txt,
// mpi_checkpoint_ranks: "write" under 2 ranks, "resume" under 1 and 3 ranks; skipped otherwise).
// The checkpoint path comes from SHIFTCURV_MPI_CHECKPOINT.
namespace {
const sc::index ckpt_jobs = 25;
std::string ckpt_job(sc::index i) { return sc::to_bytes(std::exp(-0.1 * static_cast<double>(i)) + static_cast<double>(i * i)); }
sc::run_jobs_options ckpt_options() {
  sc::run_jobs_options o;
  const char* path = std::getenv("SHIFTCURV_MPI_CHECKPOINT");
  REQUIRE(path != nullptr);
  o.checkpoint = path;
  o.checkpoint_every = 0;
  o.kind = "test_mpi/ranks";
  o.config = "n=25\n";
  return o;
}
/// The job ids a checkpoint holds (read here, not through run_jobs).
std::vector<std::uint64_t> ckpt_ids(const std::string& path) {
  const auto c = sc::read_checkpoint(path, "test_mpi/ranks", "n=25\n");
  std::uint64_t total = 0;
  std::vector<std::uint64_t> ids;
  std::vector<std::string> bytes;
  sc::byte_reader(c.payload, "test")(total, ids, bytes);
  CHECK(total == static_cast<std::uint64_t>(ckpt_jobs));
  for (std::size_t k = 0; k < ids.size(); ++k) CHECK(bytes[k] == ckpt_job(static_cast<sc::index>(ids[k])));
  return ids;
}
}  // namespace

TEST_CASE("checkpoint across rank counts: write (stopped after the first round)" * doctest::skip()) {
  const auto comm = world();
  auto o = ckpt_options();
  std::atomic<bool> stop{true};
  o.stop = &stop;
  CHECK_THROWS_AS(sc::run_jobs(comm, ckpt_jobs, ckpt_job, o), sc::run_interrupted);
  if (comm.rank() == 0) {
    const auto ids = ckpt_ids(o.checkpoint);  // the first round: one job per rank
    REQUIRE(ids.size() == static_cast<std::size_t>(comm.size()));
    for (std::size_t k = 0; k < ids.size(); ++k) CHECK(ids[k] == k);
  }
}

TEST_CASE("checkpoint across rank counts: resume (the missing jobs only, the plain run's results)" * doctest::skip()) {
  const auto comm = world();
  const auto o = [] {
    auto x = ckpt_options();
    x.resume = true;
    return x;
  }();
  // The jobs the checkpoint holds, read by rank 0 and told to all, so that every rank stops at
  // the same REQUIRE (a rank leaving alone would leave the others waiting in run_jobs).
  std::string held = "0";
  if (comm.rank() == 0) {
    try {
      held = std::to_string(ckpt_ids(o.checkpoint).size());
    } catch (const std::exception& e) {
      FAIL_CHECK(e.what());
    }
  }
  comm.broadcast(held);
  const std::size_t before = std::stoul(held);
  REQUIRE(before > 0);  // a partial checkpoint, else the resume would prove nothing
  REQUIRE(before < static_cast<std::size_t>(ckpt_jobs));
  std::atomic<int> calls{0};
  const auto out = sc::run_jobs(comm, ckpt_jobs, [&](sc::index i) { ++calls; return ckpt_job(i); }, o);
  // The calls of every rank, summed on rank 0: exactly the jobs the checkpoint lacked.
  const auto counts = comm.gather(std::to_string(calls.load()));
  if (comm.rank() == 0) {
    std::size_t total = 0;
    for (const auto& c : counts) total += std::stoul(c);
    CHECK(total == static_cast<std::size_t>(ckpt_jobs) - before);
    REQUIRE(out.size() == static_cast<std::size_t>(ckpt_jobs));
    for (sc::index i = 0; i < ckpt_jobs; ++i) CHECK(out[static_cast<std::size_t>(i)] == ckpt_job(i));
    CHECK(ckpt_ids(o.checkpoint).size() == static_cast<std::size_t>(ckpt_jobs));  // the final checkpoint: every job
  }
}

int main(int argc, char** argv) {
  sc::mpi::session mpi(argc, argv, /*force=*/true);
  doctest::Context context(argc, argv);
  return context.run();
}
