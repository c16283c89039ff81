// shiftcurv/parallel/jobs.hpp — a small distributor of independent jobs (temperatures, seeds,
// chunks of an ensemble) over the processes of a run and the threads of each, with the results
// gathered on process 0 in job order, and optional checkpoints.  It needs no MPI: it is written
// against a "communicator" (serial_communicator here: one process; shiftcurv::mpi::communicator
// in parallel/mpi/communicator.hpp: the ranks of an MPI run).
//
//   shiftcurv::serial_communicator comm;                 // or shiftcurv::mpi::communicator
//   shiftcurv::run_jobs_options o;  o.threads = 2;
//   o.checkpoint = "sweep.ckpt"; o.checkpoint_every = 60; o.resume = true;   // optional
//   o.kind = "my_sweep/1"; o.config = "T=0.1,0.2\nseed=3\n";
//   auto out = shiftcurv::run_jobs(comm, n, [&](shiftcurv::index i) { return shiftcurv::to_bytes(f(i)); }, o);
//   if (comm.rank() == 0) for (auto& bytes : out) ...;   // n results in job order; empty elsewhere
//
// A job is a callable index → std::string (its result as bytes, e.g. io/checkpoint.hpp's
// to_bytes); it runs once, on one thread of one process, and must depend on its index only:
// then the results do not depend on the number of processes or threads.  Jobs go out in
// rounds: job k of a round to process k mod P; after a round, process 0 gathers the results
// (and writes the checkpoint when `checkpoint_every` seconds have passed since the last one).
// Rounds take ~1 s (0.1 s to 10 s with checkpoints: a quarter of the interval), so the
// communication is one gather and one small broadcast per round.
// Errors: a job that throws does not stop the others of its round; after the round every
// process throws the error of the lowest-numbered failing job (invalid_argument and
// domain_error keep their type, anything else becomes std::runtime_error with the same
// message), so the first error in job order is reported, as a serial loop would.  Options that
// differ between processes (kind, config, job count) throw invalid_argument on every process.
// Checkpoints (o.checkpoint non-empty; io/checkpoint.hpp): the completed jobs' results,
// written atomically by process 0; without o.resume an existing file is an error (nothing is
// overwritten); with o.resume the file is read (kind, config, format checked: a mismatch or a
// corrupt file is invalid_argument, the file is left as it is) and only the missing jobs run;
// a missing file starts from the beginning.  When *o.stop becomes true (a SIGTERM handler),
// the run writes a checkpoint after the current round and throws run_interrupted.  The final
// checkpoint holds every job, so resuming a finished run only gathers the results.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/io/checkpoint.hpp"

namespace shiftcurv {

/// One process: the communicator of a run without MPI.
struct serial_communicator {
  int rank() const { return 0; }
  int size() const { return 1; }
  /// Process 0 gets every process's bytes in rank order; the others get nothing.
  std::vector<std::string> gather(const std::string& mine) const { return {mine}; }
  /// Process 0's `bytes` to every process.
  void broadcast(std::string& /*bytes*/) const {}
};

/// Thrown by run_jobs when o.stop was set: the checkpoint is written.
class run_interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct run_jobs_options {
  unsigned threads = 1;                       ///< jobs run at once in each process (0: all cores)
  std::string checkpoint;                     ///< checkpoint path; empty: none
  double checkpoint_every = 60;               ///< seconds between checkpoints (0: after every round)
  bool resume = false;                        ///< continue from the checkpoint when it exists
  std::string kind = "jobs", config;          ///< what a checkpoint must match (program/version; key=value lines)
  const std::atomic<bool>* stop = nullptr;    ///< polled after every round: write a checkpoint and throw run_interrupted
  std::ostream* log = nullptr;                ///< process 0's notes (resume, progress of runs longer than 3 s); null: none
  std::string label = "shiftcurv::run_jobs";  ///< prefix of those notes
};

namespace detail {

/// An exception as (kind, message): 0 none, 1 runtime, 2 invalid_argument, 3 domain_error.
struct error_report {
  std::uint8_t code = 0;
  std::string what;
  template <class Archive>
  void serialize(Archive& ar) { ar(code, what); }
};

inline error_report capture(const std::exception_ptr& e) {
  if (!e) return {};
  try {
    std::rethrow_exception(e);
  } catch (const std::invalid_argument& x) {
    return {2, x.what()};
  } catch (const std::domain_error& x) {
    return {3, x.what()};
  } catch (const std::exception& x) {
    return {1, x.what()};
  } catch (...) {
    return {1, "an unknown exception"};
  }
}

[[noreturn]] inline void rethrow(const error_report& r) {
  if (r.code == 2) throw invalid_argument(r.what);
  if (r.code == 3) throw domain_error(r.what);
  throw std::runtime_error(r.what);
}

/// Collective: if any process has an error, every process throws — its own exception where
/// it has one, else that of the lowest rank that has one.
template <class Comm>
void agree_on_errors(const Comm& comm, const std::exception_ptr& mine) {
  const auto all = comm.gather(to_bytes(capture(mine)));
  std::string verdict;
  for (const auto& bytes : all) {  // process 0 only
    error_report r;
    from_bytes(bytes, r, "agree_on_errors");
    if (r.code) {
      verdict = to_bytes(r);
      break;
    }
  }
  if (comm.rank() == 0 && verdict.empty()) verdict = to_bytes(error_report{});
  comm.broadcast(verdict);
  error_report r;
  from_bytes(verdict, r, "agree_on_errors");
  if (!r.code) return;
  if (mine) std::rethrow_exception(mine);
  rethrow(r);
}

}  // namespace detail

/// Collective: throws invalid_argument (naming `fn`, on every process) unless `text` is the
/// same on every process, e.g. the options of a run.
template <class Comm>
void require_same_on_all_processes(const Comm& comm, std::string_view fn, const std::string& what, std::string text) {
  std::string root = text;
  comm.broadcast(root);
  std::exception_ptr e;
  if (root != text) {
    try {
      detail::throw_invalid(fn, "the processes of this run have different ", what, ": rank 0 has '", root, "', rank ",
                            comm.rank(), " has '", text, "' (start every rank with the same options)");
    } catch (...) {
      e = std::current_exception();
    }
  }
  detail::agree_on_errors(comm, e);
}

/// Runs jobs 0..n−1 over the processes of `comm` (see the header comment).  Process 0 returns
/// the n results in job order, the others an empty vector.
template <class Comm, class Job>
std::vector<std::string> run_jobs(const Comm& comm, index n, Job&& job, const run_jobs_options& o = {}) {
  constexpr const char* fn = "run_jobs";
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  if (n < 0) detail::throw_invalid(fn, "the number of jobs must be >= 0, got ", n);
  const std::string config = o.kind + "\n" + o.config + "\njobs=" + std::to_string(n) + "\n";
  require_same_on_all_processes(comm, fn, "options", config);
  const bool root = comm.rank() == 0;
  const int P = comm.size();
  const unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());

  // Process 0 reads the checkpoint; every process learns which jobs are done.
  std::vector<std::optional<std::string>> results(root ? static_cast<std::size_t>(n) : 0);
  std::string done_flags;
  {
    std::exception_ptr e;
    if (root) {
      try {
        done_flags.assign(static_cast<std::size_t>(n), '0');
        if (!o.checkpoint.empty()) {
          const bool exists = std::filesystem::exists(o.checkpoint);
          if (exists && !o.resume)
            detail::throw_invalid(fn, "the checkpoint '", o.checkpoint,
                                  "' already exists: resume from it, or remove it (nothing was overwritten)");
          if (exists) {
            const auto c = read_checkpoint(o.checkpoint, o.kind, o.config);
            byte_reader r(c.payload, std::string(fn) + ": checkpoint '" + o.checkpoint + "'");
            std::uint64_t total = 0;
            std::vector<std::uint64_t> ids;
            std::vector<std::string> bytes;
            r(total, ids, bytes);
            r.expect_end();
            if (total != static_cast<std::uint64_t>(n) || ids.size() != bytes.size())
              detail::throw_invalid(fn, "the checkpoint '", o.checkpoint, "' holds ", total, " jobs, this run has ", n);
            for (std::size_t k = 0; k < ids.size(); ++k) {
              if (ids[k] >= total) detail::throw_invalid(fn, "the checkpoint '", o.checkpoint, "' is corrupt (job ", ids[k], ")");
              results[ids[k]] = std::move(bytes[k]);
              done_flags[ids[k]] = '1';
            }
            if (o.log)
              *o.log << o.label << ": resuming from '" << o.checkpoint << "': " << ids.size() << " of " << n
                     << " jobs done\n" << std::flush;
          } else if (o.resume && o.log) {
            *o.log << o.label << ": no checkpoint at '" << o.checkpoint << "' yet: starting from the beginning\n"
                   << std::flush;
          }
        }
      } catch (...) {
        e = std::current_exception();
      }
    }
    detail::agree_on_errors(comm, e);
  }
  comm.broadcast(done_flags);
  std::vector<index> todo;
  for (index i = 0; i < n; ++i)
    if (done_flags[static_cast<std::size_t>(i)] == '0') todo.push_back(i);

  auto write = [&] {
    std::vector<std::uint64_t> ids;
    std::vector<std::string> bytes;
    for (std::size_t i = 0; i < results.size(); ++i)
      if (results[i]) {
        ids.push_back(i);
        bytes.push_back(*results[i]);
      }
    byte_writer w;
    w(static_cast<std::uint64_t>(n), ids, bytes);
    write_checkpoint(o.checkpoint, {o.kind, o.config, w.take()});
  };

  const double target = o.checkpoint.empty() ? 1.0 : std::clamp(o.checkpoint_every / 4, 0.1, 10.0);
  const index min_round = static_cast<index>(P) * static_cast<index>(threads);
  index round = min_round;
  auto last_checkpoint = clock::now();
  bool printed = false;
  for (std::size_t pos = 0; pos < todo.size();) {
    const auto round_start = clock::now();
    const std::size_t end = std::min(todo.size(), pos + static_cast<std::size_t>(round));
    // This process's jobs of the round, run on `threads` threads.
    std::vector<index> mine;
    for (std::size_t k = pos; k < end; ++k)
      if (static_cast<int>((k - pos) % static_cast<std::size_t>(P)) == comm.rank()) mine.push_back(todo[k]);
    std::vector<std::string> out(mine.size());
    std::vector<detail::error_report> errs(mine.size());
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t k; (k = next.fetch_add(1)) < mine.size();) {
        try {
          out[k] = job(mine[k]);
        } catch (...) {
          errs[k] = detail::capture(std::current_exception());
        }
      }
    };
    {
      std::vector<std::thread> pool;
      const std::size_t extra = std::min<std::size_t>(threads, mine.size()) > 0 ? std::min<std::size_t>(threads, mine.size()) - 1 : 0;
      for (std::size_t t = 0; t < extra; ++t) pool.emplace_back(worker);
      worker();
      for (auto& t : pool) t.join();
    }
    byte_writer w;
    w(static_cast<std::uint64_t>(mine.size()));
    for (std::size_t k = 0; k < mine.size(); ++k) w(static_cast<std::int64_t>(mine[k]), errs[k], out[k]);
    const auto gathered = comm.gather(w.take());

    // Process 0: store, find the first failing job, decide; then tell everyone.
    std::string control;
    if (root) {
      std::optional<std::pair<index, detail::error_report>> first_error;
      for (const auto& bytes : gathered) {
        byte_reader r(bytes, fn);
        std::uint64_t count = 0;
        r(count);
        for (std::uint64_t k = 0; k < count; ++k) {
          std::int64_t id = 0;
          detail::error_report err;
          std::string res;
          r(id, err, res);
          if (err.code) {
            if (!first_error || id < first_error->first) first_error = {{id, err}};
          } else {
            results[static_cast<std::size_t>(id)] = std::move(res);
          }
        }
      }
      const auto now = clock::now();
      const double took = std::chrono::duration<double>(now - round_start).count();
      const bool finished = end == todo.size();
      const bool stop = o.stop && o.stop->load();
      detail::error_report verdict;
      if (first_error) {
        verdict = first_error->second;
      } else if (!o.checkpoint.empty() &&
                 (stop || finished || std::chrono::duration<double>(now - last_checkpoint).count() >= o.checkpoint_every)) {
        try {
          write();
          last_checkpoint = clock::now();
        } catch (...) {
          verdict = detail::capture(std::current_exception());
        }
      }
      std::uint8_t interrupted = !verdict.code && stop && !finished;
      if (interrupted) {
        std::size_t done = 0;
        for (const auto& x : results) done += x.has_value();
        verdict = {1, detail::message(fn, "interrupted by a signal; ",
                                      o.checkpoint.empty() ? std::string("no checkpoint was asked for")
                                                           : "the checkpoint '" + o.checkpoint + "' holds " +
                                                                 std::to_string(done) + " of " + std::to_string(n) +
                                                                 " jobs: rerun with --resume to continue")};
      }
      // The next round: about `target` seconds of work.
      const double scale = std::clamp(target / std::max(took, 1e-3), 0.5, 4.0);
      const index next_round = std::max(min_round, static_cast<index>(static_cast<double>(round) * scale));
      const double elapsed = std::chrono::duration<double>(now - start).count();
      if (o.log && elapsed > 3 && !finished && !verdict.code) {
        *o.log << '\r' << o.label << ": " << end << " of " << todo.size() << " jobs, " << static_cast<long>(elapsed)
               << " s elapsed   " << std::flush;
        printed = true;
      }
      byte_writer c;
      c(verdict, interrupted, static_cast<std::int64_t>(next_round));
      control = c.take();
    }
    comm.broadcast(control);
    detail::error_report verdict;
    std::uint8_t interrupted = 0;
    std::int64_t next_round = 0;
    byte_reader(control, fn)(verdict, interrupted, next_round);
    if (verdict.code) {
      if (printed && o.log) *o.log << '\n' << std::flush;
      if (interrupted) throw run_interrupted(verdict.what);
      detail::rethrow(verdict);
    }
    round = next_round;
    pos = end;
  }
  if (printed && o.log) *o.log << '\r' << o.label << ": done" << std::string(40, ' ') << '\n' << std::flush;
  std::vector<std::string> all;
  if (root) {
    all.reserve(results.size());
    for (auto& r : results) all.push_back(std::move(*r));
  }
  return all;
}

}  // namespace shiftcurv
