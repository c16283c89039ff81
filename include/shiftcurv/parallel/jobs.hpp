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
// differ between processes (kind, config, job count) throw invalid_argument on every process;
// `threads` may differ (process 0 sizes the rounds).
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

template <class = void>
error_report capture(const std::exception_ptr& e) {
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

namespace detail {

/// One process's part of a run_jobs call, step by step: restore the checkpoint, run this
/// process's jobs of each round, (process 0) store the round's results and decide how the run
/// goes on, obey that decision, hand back the results.  Process 0 alone holds results.
template <class Comm>
class job_run {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr const char* fn = "run_jobs";

  job_run(const Comm& comm, index n, const run_jobs_options& options, clock::time_point start)
      : comm_(comm),
        o_(options),
        n_(n),
        start_(start),
        root_(comm.rank() == 0),
        threads_(options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency())),
        results_(root_ ? static_cast<std::size_t>(n) : 0),
        target_(options.checkpoint.empty() ? 1.0 : std::clamp(options.checkpoint_every / 4, 0.1, 10.0)),
        min_round_(static_cast<index>(comm.size()) * static_cast<index>(threads_)),
        round_(min_round_) {}

  bool root() const { return root_; }
  /// Jobs in the next round (all processes together): about `target` seconds of work.
  index round_size() const { return round_; }

  /// Collective: process 0 reads the checkpoint (if any); every process learns which jobs are
  /// left to run, in job order.  A checkpoint error is thrown on every process.
  std::vector<index> restore_checkpoint() {
    std::string done_flags;
    std::exception_ptr e;
    if (root_) {
      try {
        done_flags.assign(static_cast<std::size_t>(n_), '0');
        if (!o_.checkpoint.empty()) read_checkpoint_on_root(done_flags);
      } catch (...) {
        e = std::current_exception();
      }
    }
    agree_on_errors(comm_, e);
    comm_.broadcast(done_flags);
    // Process 0's first round size for all: `threads` (0: this machine's cores) may differ
    // between processes, and rounds of different sizes would leave a process waiting.
    std::string first_round = root_ ? to_bytes(static_cast<std::int64_t>(round_)) : std::string();
    comm_.broadcast(first_round);
    std::int64_t r = 0;
    from_bytes(first_round, r, fn);
    round_ = static_cast<index>(r);
    std::vector<index> todo;
    for (index i = 0; i < n_; ++i)
      if (done_flags[static_cast<std::size_t>(i)] == '0') todo.push_back(i);
    last_checkpoint_ = clock::now();
    return todo;
  }

  /// Runs this process's jobs of the round todo[pos, end) (job k of the round goes to process
  /// k mod P) on `threads` threads; returns their (job, error, result) triples as bytes.
  template <class Job>
  std::string run_my_jobs(const std::vector<index>& todo, std::size_t pos, std::size_t end, Job& job) const {
    std::vector<index> mine;
    for (std::size_t k = pos; k < end; ++k)
      if (static_cast<int>((k - pos) % static_cast<std::size_t>(comm_.size())) == comm_.rank()) mine.push_back(todo[k]);
    std::vector<std::string> out(mine.size());
    std::vector<error_report> errs(mine.size());
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t k; (k = next.fetch_add(1)) < mine.size();) {
        try {
          out[k] = job(mine[k]);
        } catch (...) {
          errs[k] = capture(std::current_exception());
        }
      }
    };
    {
      std::vector<std::thread> pool;
      const std::size_t busy = std::min<std::size_t>(threads_, mine.size());
      const std::size_t extra = busy > 0 ? busy - 1 : 0;
      for (std::size_t t = 0; t < extra; ++t) pool.emplace_back(worker);
      worker();
      for (auto& t : pool) t.join();
    }
    byte_writer w;
    w(static_cast<std::uint64_t>(mine.size()));
    for (std::size_t k = 0; k < mine.size(); ++k) w(static_cast<std::int64_t>(mine[k]), errs[k], out[k]);
    return w.take();
  }

  /// Process 0: stores the gathered results of a round; returns the lowest-numbered failing
  /// job and its error, if any.
  std::optional<std::pair<index, error_report>> store(const std::vector<std::string>& gathered) {
    std::optional<std::pair<index, error_report>> first_error;
    for (const auto& bytes : gathered) {
      byte_reader r(bytes, fn);
      std::uint64_t count = 0;
      r(count);
      for (std::uint64_t k = 0; k < count; ++k) {
        std::int64_t id = 0;
        error_report err;
        std::string res;
        r(id, err, res);
        if (err.code) {
          if (!first_error || id < first_error->first) first_error = {{id, err}};
        } else {
          results_[static_cast<std::size_t>(id)] = std::move(res);
        }
      }
    }
    return first_error;
  }

  /// Process 0, after a round that ended at job `end` of `todo_size`: writes the checkpoint when
  /// due, decides whether the run stops (the round's first error, a failed checkpoint, o.stop)
  /// and how large the next round is; returns that decision as bytes for every process.
  std::string decide(const std::optional<std::pair<index, error_report>>& first_error, clock::time_point round_start,
                     std::size_t end, std::size_t todo_size) {
    const auto now = clock::now();
    const bool finished = end == todo_size;
    const bool stop = o_.stop && o_.stop->load();
    error_report verdict;
    if (first_error) {
      verdict = first_error->second;
    } else if (!o_.checkpoint.empty() &&
               (stop || finished || std::chrono::duration<double>(now - last_checkpoint_).count() >= o_.checkpoint_every)) {
      try {
        write_checkpoint_now();
        last_checkpoint_ = clock::now();
      } catch (...) {
        verdict = capture(std::current_exception());
      }
    }
    const std::uint8_t interrupted = !verdict.code && stop && !finished;
    if (interrupted) verdict = {1, interrupted_message()};
    const double took = std::chrono::duration<double>(now - round_start).count();
    const double scale = std::clamp(target_ / std::max(took, 1e-3), 0.5, 4.0);
    const index next_round = std::max(min_round_, static_cast<index>(static_cast<double>(round_) * scale));
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    if (o_.log && elapsed > 3 && !finished && !verdict.code) {
      *o_.log << '\r' << o_.label << ": " << end << " of " << todo_size << " jobs, " << static_cast<long>(elapsed)
              << " s elapsed   " << std::flush;
      printed_ = true;
    }
    byte_writer c;
    c(verdict, interrupted, static_cast<std::int64_t>(next_round));
    return c.take();
  }

  /// Every process: follows process 0's decision: throws its error (run_interrupted after a
  /// stop), or takes the next round's size.
  void obey(const std::string& control) {
    error_report verdict;
    std::uint8_t interrupted = 0;
    std::int64_t next_round = 0;
    byte_reader(control, fn)(verdict, interrupted, next_round);
    if (verdict.code) {
      if (printed_ && o_.log) *o_.log << '\n' << std::flush;
      if (interrupted) throw run_interrupted(verdict.what);
      rethrow(verdict);
    }
    round_ = next_round;
  }

  /// After the last round: the n results in job order on process 0, an empty vector elsewhere.
  std::vector<std::string> take_results() {
    if (printed_ && o_.log) *o_.log << '\r' << o_.label << ": done" << std::string(40, ' ') << '\n' << std::flush;
    std::vector<std::string> all;
    if (root_) {
      all.reserve(results_.size());
      for (auto& r : results_) all.push_back(std::move(*r));
    }
    return all;
  }

 private:
  /// Process 0: fills results_ and done_flags from an existing checkpoint (with o.resume).
  void read_checkpoint_on_root(std::string& done_flags) {
    const bool exists = std::filesystem::exists(o_.checkpoint);
    if (exists && !o_.resume)
      throw_invalid(fn, "the checkpoint '", o_.checkpoint,
                    "' already exists: resume from it, or remove it (nothing was overwritten)");
    if (!exists) {
      if (o_.resume && o_.log)
        *o_.log << o_.label << ": no checkpoint at '" << o_.checkpoint << "' yet: starting from the beginning\n"
                << std::flush;
      return;
    }
    const auto c = read_checkpoint(o_.checkpoint, o_.kind, o_.config);
    byte_reader r(c.payload, std::string(fn) + ": checkpoint '" + o_.checkpoint + "'");
    std::uint64_t total = 0;
    std::vector<std::uint64_t> ids;
    std::vector<std::string> bytes;
    r(total, ids, bytes);
    r.expect_end();
    if (total != static_cast<std::uint64_t>(n_) || ids.size() != bytes.size())
      throw_invalid(fn, "the checkpoint '", o_.checkpoint, "' holds ", total, " jobs, this run has ", n_);
    for (std::size_t k = 0; k < ids.size(); ++k) {
      if (ids[k] >= total) throw_invalid(fn, "the checkpoint '", o_.checkpoint, "' is corrupt (job ", ids[k], ")");
      results_[ids[k]] = std::move(bytes[k]);
      done_flags[ids[k]] = '1';
    }
    if (o_.log)
      *o_.log << o_.label << ": resuming from '" << o_.checkpoint << "': " << ids.size() << " of " << n_
              << " jobs done\n" << std::flush;
  }

  /// Process 0: the completed jobs' results, written atomically to o.checkpoint.
  void write_checkpoint_now() const {
    std::vector<std::uint64_t> ids;
    std::vector<std::string> bytes;
    for (std::size_t i = 0; i < results_.size(); ++i)
      if (results_[i]) {
        ids.push_back(i);
        bytes.push_back(*results_[i]);
      }
    byte_writer w;
    w(static_cast<std::uint64_t>(n_), ids, bytes);
    write_checkpoint(o_.checkpoint, {o_.kind, o_.config, w.take()});
  }

  std::string interrupted_message() const {
    std::size_t done = 0;
    for (const auto& x : results_) done += x.has_value();
    return message(fn, "interrupted by a signal; ",
                   o_.checkpoint.empty() ? std::string("no checkpoint was asked for")
                                         : "the checkpoint '" + o_.checkpoint + "' holds " + std::to_string(done) +
                                               " of " + std::to_string(n_) + " jobs: rerun with --resume to continue");
  }

  const Comm& comm_;
  const run_jobs_options& o_;
  index n_;
  clock::time_point start_;
  bool root_;
  unsigned threads_;
  std::vector<std::optional<std::string>> results_;  ///< process 0: job i's result once it is done
  double target_;                                    ///< seconds of work a round aims at
  index min_round_, round_;                          ///< one job per thread of each process, at least
  clock::time_point last_checkpoint_;
  bool printed_ = false;                             ///< a progress line is on the log
};

}  // namespace detail

/// Runs jobs 0..n−1 over the processes of `comm` (see the header comment).  Process 0 returns
/// the n results in job order, the others an empty vector.
template <class Comm, class Job>
std::vector<std::string> run_jobs(const Comm& comm, index n, Job&& job, const run_jobs_options& options = {}) {
  constexpr const char* fn = "run_jobs";
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  // Compared first: a check that failed on one process only would leave the others waiting in
  // the collective; with the same n everywhere, n < 0 throws on every process.
  require_same_on_all_processes(comm, fn, "options", options.kind + "\n" + options.config + "\njobs=" + std::to_string(n) + "\n");
  if (n < 0) detail::throw_invalid(fn, "the number of jobs must be >= 0, got ", n);
  detail::job_run<Comm> run(comm, n, options, start);
  const std::vector<index> todo = run.restore_checkpoint();
  for (std::size_t pos = 0; pos < todo.size();) {
    const auto round_start = clock::now();
    const std::size_t end = std::min(todo.size(), pos + static_cast<std::size_t>(run.round_size()));
    const auto gathered = comm.gather(run.run_my_jobs(todo, pos, end, job));
    std::string control;
    if (run.root()) control = run.decide(run.store(gathered), round_start, end, todo.size());
    comm.broadcast(control);
    run.obey(control);
    pos = end;
  }
  return run.take_results();
}

}  // namespace shiftcurv
