// shiftcurv/parallel/mpi/communicator.hpp — the optional MPI layer (Open MPI, MPICH): starting MPI and
// the few collectives the library needs, on byte strings.  Not part of the umbrella header;
// link the CMake target shiftcurv::mpi (defined when MPI is found, option SHIFTCURV_MPI).
//
//   int main(int argc, char** argv) {
//     shiftcurv::mpi::session mpi(argc, argv);      // MPI_Init when started by mpirun/srun
//     shiftcurv::mpi::communicator world;           // MPI_COMM_WORLD, or one process
//     auto out = shiftcurv::run_jobs(world, n, job, opts);      // parallel/jobs.hpp
//     auto r = shiftcurv::mpi::langevin_ensemble_1d(world, U, D, T, o);   // parallel/mpi/ensemble.hpp
//   }                                               // MPI_Finalize
//
// session: calls MPI_Init only when the process was started by an MPI launcher (the
// environment has OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK or PMI_SIZE: mpirun, mpiexec,
// srun) or when `force` is true, so a program linked with MPI and started plainly runs as one
// process without MPI at all (no singleton start-up).  MPI_Finalize at destruction.
// communicator: MPI_COMM_WORLD (or another communicator) when MPI is initialized, else one
// process; rank(), size(), gather() (process 0 receives every rank's bytes in rank order),
// broadcast() (process 0's bytes to all).  It models the communicator of parallel/jobs.hpp.
// MPI errors abort the run (MPI's default error handler), as does a collective of more than
// 2 GiB (MPI's int counts).
#pragma once

#include <mpi.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/parallel/jobs.hpp"

namespace shiftcurv::mpi {

/// True when an MPI launcher started this process (see the header comment).
inline bool started_by_launcher() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

/// MPI_Init / MPI_Finalize for main() (see the header comment).
class session {
 public:
  session(int& argc, char**& argv, bool force = false) {
    int done = 0;
    MPI_Initialized(&done);
    if (!done && (force || started_by_launcher())) {
      MPI_Init(&argc, &argv);
      owner_ = true;
    }
  }
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  ~session() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owner_ && !finalized) MPI_Finalize();
  }
  /// True when MPI is running in this process (started here or elsewhere).
  static bool active() {
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    return init && !fin;
  }

 private:
  bool owner_ = false;
};

/// The processes of a run (see the header comment).
class communicator {
 public:
  /// MPI_COMM_WORLD when MPI is active, else one process.
  communicator() : communicator(MPI_COMM_WORLD) {}
  explicit communicator(MPI_Comm comm) : comm_(comm), active_(session::active()) {
    if (active_) {
      MPI_Comm_rank(comm_, &rank_);
      MPI_Comm_size(comm_, &size_);
    }
  }
  int rank() const { return rank_; }
  int size() const { return size_; }
  MPI_Comm native() const { return comm_; }

  /// Process 0 receives every process's bytes in rank order; the others get an empty vector.
  std::vector<std::string> gather(const std::string& mine) const {
    if (!active_ || size_ == 1) return {mine};
    const long long n = static_cast<long long>(mine.size());
    std::vector<long long> sizes(rank_ == 0 ? static_cast<std::size_t>(size_) : 0);
    MPI_Gather(&n, 1, MPI_LONG_LONG, sizes.data(), 1, MPI_LONG_LONG, 0, comm_);
    if (n > INT_MAX) too_large("gather");
    std::vector<int> counts, offsets;
    std::string all;
    if (rank_ == 0) {
      long long total = 0;
      for (long long s : sizes) {
        offsets.push_back(static_cast<int>(total));
        counts.push_back(static_cast<int>(s));
        total += s;
        if (total > INT_MAX) too_large("gather");
      }
      all.resize(static_cast<std::size_t>(total));
    }
    MPI_Gatherv(mine.data(), static_cast<int>(n), MPI_BYTE, all.data(), counts.data(), offsets.data(), MPI_BYTE, 0,
                comm_);
    std::vector<std::string> out;
    if (rank_ == 0)
      for (int r = 0; r < size_; ++r) out.emplace_back(all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(counts[r])));
    return out;
  }

  /// Process 0's bytes to every process.
  void broadcast(std::string& bytes) const {
    if (!active_ || size_ == 1) return;
    long long n = static_cast<long long>(bytes.size());
    MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, comm_);
    if (n > INT_MAX) too_large("broadcast");
    bytes.resize(static_cast<std::size_t>(n));
    MPI_Bcast(bytes.data(), static_cast<int>(n), MPI_BYTE, 0, comm_);
  }

 private:
  // The other ranks are inside the collective already: aborting the run is the only way out.
  [[noreturn]] void too_large(const char* what) const {
    std::fprintf(stderr, "shiftcurv::mpi::communicator::%s: more than 2 GiB in one collective; aborting\n", what);
    MPI_Abort(comm_, 1);
    std::abort();
  }
  MPI_Comm comm_;
  bool active_ = false;
  int rank_ = 0, size_ = 1;
};

}  // namespace shiftcurv::mpi
