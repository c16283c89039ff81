// examples/cli/parallel.hpp — the processes of a program's run: the MPI ranks when the program
// was built with MPI (SHIFTCURV_HAVE_MPI) and started by mpirun/srun, else one process; jobs
// are distributed by shiftcurv::run_jobs (parallel/jobs.hpp) with results on rank 0.
//
//   int main(int argc, char** argv) {
//     cli::processes procs(argc, argv);        // before parsing; MPI_Init when launched by mpirun
//     return cli::run("prog", app, argc, argv, [&] {
//       procs.require_same_command_line();     // first: ranks started with other flags → exit 2
//       auto out = procs.run_jobs(n, job, opts);
//       if (!procs.root()) return 0;           // only rank 0 writes (files, stdout, stderr)
//       ...
//
// Ranks other than 0 write nothing: their stdout and stderr streams are silenced, so a run
// under mpirun prints exactly what the serial run prints (errors included: every rank fails
// the same way, rank 0 says so).  The command lines are compared across ranks as the very
// first collective step (an MPMD launch with different flags per rank is an error, exit 2).
#pragma once

#include <signal.h>

#include <atomic>
#include <iostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include <shiftcurv/parallel/jobs.hpp>
#ifdef SHIFTCURV_HAVE_MPI
#include <shiftcurv/parallel/mpi/communicator.hpp>
#endif

#include "cli/args.hpp"

namespace shiftcurv_examples::cli {

namespace detail {
struct null_buffer : std::streambuf {
  int overflow(int c) override { return c == traits_type::eof() ? 0 : c; }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};
inline std::atomic<bool> stop_requested{false};
inline void on_stop_signal(int) { stop_requested.store(true); }
}  // namespace detail

class processes {
 public:
  processes(int& argc, char**& argv)
#ifdef SHIFTCURV_HAVE_MPI
      : session_(argc, argv)
#endif
  {
    for (int k = 1; k < argc; ++k) command_line_ += std::string(argv[k]) + '\n';
    if (!root()) {
      out_ = std::cout.rdbuf(&sink_);
      err_ = std::cerr.rdbuf(&sink_);
    }
    // The command lines, compared before anything can fail on one rank only.
    std::string mine = command_line_;
    comm_.broadcast(mine);
    if (mine != command_line_) mismatch_ = difference(mine, command_line_);
    std::string any;
    for (const auto& m : comm_.gather(mismatch_))
      if (any.empty()) any = m;
    comm_.broadcast(any);
    mismatch_ = any;
  }

  processes(const processes&) = delete;
  processes& operator=(const processes&) = delete;
  ~processes() {
    if (out_) std::cout.rdbuf(out_);
    if (err_) std::cerr.rdbuf(err_);
  }

  int rank() const { return comm_.rank(); }
  int size() const { return comm_.size(); }
  bool root() const { return comm_.rank() == 0; }

  /// "rank r has 'x' where rank 0 has 'y'" for the first argument that differs.
  std::string difference(const std::string& root_line, const std::string& mine) const {
    std::istringstream a(root_line), b(mine);
    std::string x, y;
    while (true) {
      const bool ga = static_cast<bool>(std::getline(a, x)), gb = static_cast<bool>(std::getline(b, y));
      if (!ga && !gb) return "rank " + std::to_string(rank()) + " differs from rank 0";
      if (!ga) x = "(nothing)";
      if (!gb) y = "(nothing)";
      if (x != y) return "rank " + std::to_string(rank()) + " has '" + y + "' where rank 0 has '" + x + "'";
    }
  }

  /// Throws usage_error (exit code 2) when the ranks were started with different flags.
  void require_same_command_line() const {
    if (!mismatch_.empty())
      throw usage_error("mismatched options across MPI ranks: " + mismatch_ + " (start every rank with the same command line)");
  }

  /// SIGTERM and SIGINT set the flag that run_jobs polls (for runs with a checkpoint).
  static const std::atomic<bool>* catch_stop_signals() {
    struct sigaction sa {};
    sa.sa_handler = detail::on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    return &detail::stop_requested;
  }

  /// Rank 0's `bytes` to every rank (no-op in a run of one process).
  void broadcast(std::string& bytes) const { comm_.broadcast(bytes); }

  /// shiftcurv::run_jobs over these processes: results on rank 0 in job order.
  template <class Job>
  std::vector<std::string> run_jobs(shiftcurv::index n, Job&& job, const shiftcurv::run_jobs_options& o) const {
    return shiftcurv::run_jobs(comm_, n, std::forward<Job>(job), o);
  }

 private:
#ifdef SHIFTCURV_HAVE_MPI
  shiftcurv::mpi::session session_;
  shiftcurv::mpi::communicator comm_;
#else
  shiftcurv::serial_communicator comm_;
#endif
  detail::null_buffer sink_;
  std::streambuf *out_ = nullptr, *err_ = nullptr;
  std::string command_line_, mismatch_;
};

}  // namespace shiftcurv_examples::cli
