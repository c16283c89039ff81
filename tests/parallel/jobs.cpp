// parallel/jobs.hpp without MPI (serial_communicator): results in job order for any thread
// count, the first failing job's error in job order (foreign exception types included),
// checkpoints that a resume continues without rerunning finished jobs (a per-job call counter
// proves it), and the refusals: an existing checkpoint without resume, another configuration,
// another job count, a corrupt job id, an unwritable checkpoint path.  The reference is a plain
// loop over the jobs.
#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "shiftcurv/io/checkpoint.hpp"
#include "shiftcurv/parallel/jobs.hpp"

namespace sc = shiftcurv;
namespace fs = std::filesystem;

namespace jobs_test {

// The job: a value that depends on its index only.
std::string job_result(sc::index i) { return sc::to_bytes(static_cast<double>(i) * 0.5 + 1.0 / (1.0 + i)); }

struct counted_jobs {
  std::vector<std::atomic<int>> calls;
  explicit counted_jobs(sc::index n) : calls(static_cast<std::size_t>(n)) {}
  std::string operator()(sc::index i) {
    ++calls[static_cast<std::size_t>(i)];
    return job_result(i);
  }
};

struct scratch {
  fs::path dir;
  scratch() {
    dir = fs::temp_directory_path() / ("shiftcurv_jobs_test_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

std::vector<std::string> reference(sc::index n) {
  std::vector<std::string> out;
  for (sc::index i = 0; i < n; ++i) out.push_back(job_result(i));
  return out;
}

TEST_CASE("run_jobs: the results in job order, whatever the thread count; 0 jobs") {
  const sc::serial_communicator comm;
  for (unsigned threads : {1u, 2u, 5u}) {
    CAPTURE(threads);
    counted_jobs jobs(37);
    sc::run_jobs_options options;
    options.threads = threads;
    CHECK(sc::run_jobs(comm, 37, [&](sc::index i) { return jobs(i); }, options) == reference(37));
    for (const auto& c : jobs.calls) CHECK(c == 1);
  }
  CHECK(sc::run_jobs(comm, 0, [](sc::index) { return std::string("x"); }).empty());
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, -1, [](sc::index) { return std::string(); }),
                       doctest::Contains("shiftcurv::run_jobs:"), sc::invalid_argument);
}

TEST_CASE("run_jobs: the error of the lowest-numbered failing job, its type kept or made runtime_error") {
  const sc::serial_communicator comm;
  sc::run_jobs_options options;
  options.threads = 3;
  auto failing = [](sc::index bad1, sc::index bad2, auto thrower) {
    return [=](sc::index i) -> std::string {
      if (i == bad1 || i == bad2) thrower(i);
      return job_result(i);
    };
  };
  // Rounds of 3 jobs, then 12 (fast jobs): jobs 9 and 5 fail in the same round; 5 is reported.
  CHECK_THROWS_WITH_AS(
      sc::run_jobs(comm, 40, failing(9, 5, [](sc::index i) { sc::detail::throw_invalid("f", "job ", i); }), options),
      "shiftcurv::f: job 5", sc::invalid_argument);
  CHECK_THROWS_WITH_AS(
      sc::run_jobs(comm, 40, failing(9, 5, [](sc::index i) { sc::detail::throw_domain("f", "job ", i); }), options),
      "shiftcurv::f: job 5", sc::domain_error);
  // Foreign types: a std::invalid_argument keeps its kind; a logic_error, an int: runtime_error.
  CHECK_THROWS_WITH_AS(
      sc::run_jobs(comm, 40, failing(9, 5, [](sc::index i) { throw std::invalid_argument("std " + std::to_string(i)); }),
                   options),
      "std 5", sc::invalid_argument);
  CHECK_THROWS_WITH_AS(
      sc::run_jobs(comm, 40, failing(9, 5, [](sc::index i) { throw std::logic_error("logic " + std::to_string(i)); }),
                   options),
      "logic 5", std::runtime_error);
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 40, failing(9, 5, [](sc::index) { throw 42; }), options),
                       "an unknown exception", std::runtime_error);
}

struct foreign_error {};  // a type not derived from std::exception
struct own_error : std::exception {
  const char* what() const noexcept override { return "own_error of a job"; }
};

TEST_CASE("run_jobs: non-library exceptions of a job become runtime_error with their message; no job is lost") {
  const sc::serial_communicator comm;
  sc::run_jobs_options options;
  options.threads = 2;
  auto failing_at = [](sc::index bad, auto thrower) {
    return [=](sc::index i) -> std::string {
      if (i == bad) thrower();
      return job_result(i);
    };
  };
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 10, failing_at(3, [] { throw std::runtime_error("runtime 3"); }), options),
                       "runtime 3", std::runtime_error);
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 10, failing_at(3, [] { throw own_error(); }), options), "own_error of a job",
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 10, failing_at(3, [] { throw foreign_error(); }), options),
                       "an unknown exception", std::runtime_error);
  CHECK_THROWS_AS(sc::run_jobs(comm, 10, failing_at(3, [] { throw std::bad_alloc(); }), options), std::runtime_error);
  // std::domain_error keeps its kind, as the library's own domain_error.
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 10, failing_at(3, [] { throw std::domain_error("domain 3"); }), options),
                       "domain 3", sc::domain_error);
  // A runtime_error does not pass for a stop: run_interrupted is thrown by a stop only.
  try {
    sc::run_jobs(comm, 10, failing_at(0, [] { throw sc::run_interrupted("from a job"); }), options);
    FAIL("no exception");
  } catch (const sc::run_interrupted&) {
    FAIL("a job's run_interrupted passed for a stop of the run");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "from a job");
  }
}

TEST_CASE("run_jobs: a stop writes the checkpoint; the resume runs only the missing jobs") {
  scratch tmp;
  const sc::serial_communicator comm;
  const sc::index n = 30;
  counted_jobs jobs(n);
  std::atomic<bool> stop{false};
  sc::run_jobs_options options;
  options.checkpoint = (tmp.dir / "run.ckpt").string();
  options.kind = "jobs_test/1";
  options.config = "alpha=1\n";
  options.stop = &stop;
  // One thread: rounds of 1, then up to 4x larger (fast jobs); the stop comes during job 2.
  auto job = [&](sc::index i) {
    if (i == 2) stop = true;
    return jobs(i);
  };
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, n, job, options), doctest::Contains("rerun with --resume"),
                       sc::run_interrupted);
  REQUIRE(fs::exists(options.checkpoint));
  int first = 0;
  for (const auto& c : jobs.calls) first += c;
  CHECK(first >= 3);
  CHECK(first < n);

  // Without resume, the existing checkpoint is refused and left as it is.
  stop = false;
  const auto before = fs::last_write_time(options.checkpoint);
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, n, job, options), doctest::Contains("already exists"), sc::invalid_argument);
  CHECK(fs::last_write_time(options.checkpoint) == before);

  options.resume = true;
  options.stop = nullptr;
  CHECK(sc::run_jobs(comm, n, [&](sc::index i) { return jobs(i); }, options) == reference(n));
  for (sc::index i = 0; i < n; ++i) {
    CAPTURE(i);
    CHECK(jobs.calls[static_cast<std::size_t>(i)] == 1);  // every job ran exactly once over both runs
  }
  // Resuming a finished run only reads the results.
  counted_jobs again(n);
  CHECK(sc::run_jobs(comm, n, [&](sc::index i) { return again(i); }, options) == reference(n));
  for (const auto& c : again.calls) CHECK(c == 0);
}

TEST_CASE("run_jobs: resuming another configuration, job count or a corrupt checkpoint is refused") {
  scratch tmp;
  const sc::serial_communicator comm;
  sc::run_jobs_options options;
  options.checkpoint = (tmp.dir / "run.ckpt").string();
  options.kind = "jobs_test/1";
  options.config = "alpha=1\n";
  options.resume = true;
  REQUIRE(sc::run_jobs(comm, 6, job_result, options) == reference(6));

  auto other = options;
  other.config = "alpha=2\n";
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 6, job_result, other), doctest::Contains("different configuration"),
                       sc::invalid_argument);
  other = options;
  other.kind = "jobs_test/2";
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 6, job_result, other), doctest::Contains("was written by 'jobs_test/1'"),
                       sc::invalid_argument);
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 7, job_result, options),
                       doctest::Contains("holds 6 jobs, this run has 7"), sc::invalid_argument);

  // A checkpoint whose payload names job 9 of 6 (valid file, corrupt contents).
  sc::byte_writer w;
  w(std::uint64_t{6}, std::vector<std::uint64_t>{0, 9}, std::vector<std::string>{job_result(0), job_result(9)});
  sc::write_checkpoint(options.checkpoint, {options.kind, options.config, w.take()});
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 6, job_result, options), doctest::Contains("is corrupt (job 9)"),
                       sc::invalid_argument);
  // Ids and results of different lengths.
  sc::byte_writer w2;
  w2(std::uint64_t{6}, std::vector<std::uint64_t>{0, 1}, std::vector<std::string>{job_result(0)});
  sc::write_checkpoint(options.checkpoint, {options.kind, options.config, w2.take()});
  CHECK_THROWS_AS(sc::run_jobs(comm, 6, job_result, options), sc::invalid_argument);
  // Trailing bytes after the payload's fields.
  sc::byte_writer w3;
  w3(std::uint64_t{6}, std::vector<std::uint64_t>{}, std::vector<std::string>{}, 1.0);
  sc::write_checkpoint(options.checkpoint, {options.kind, options.config, w3.take()});
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 6, job_result, options), doctest::Contains("trailing"), sc::invalid_argument);
}

TEST_CASE("run_jobs: an unwritable checkpoint path is an io_error after the round, not a silent loss") {
  scratch tmp;
  const sc::serial_communicator comm;
  sc::run_jobs_options options;
  options.checkpoint = (tmp.dir / "no" / "such" / "dir" / "run.ckpt").string();
  CHECK_THROWS_WITH_AS(sc::run_jobs(comm, 3, job_result, options), doctest::Contains("write_checkpoint"),
                       std::runtime_error);
}

}  // namespace jobs_test
