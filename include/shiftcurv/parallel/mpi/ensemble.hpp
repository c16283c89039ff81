// shiftcurv/parallel/mpi/ensemble.hpp — run_ensemble and the 1-D fast path with the trajectories split
// over MPI ranks (and threads within each rank); every rank returns the same result,
// bit-identical to the single-process shiftcurv::run_ensemble / langevin_ensemble_1d for any
// number of ranks and threads.
//
//   shiftcurv::mpi::session mpi(argc, argv);
//   shiftcurv::mpi::communicator world;
//   auto r = shiftcurv::mpi::langevin_ensemble_1d(world, U, U_test, D, T, o);   // as the serial one
//   auto e = shiftcurv::mpi::run_ensemble(world, stepper, system, init, observer, opts);
//
// Why bit-identical: trajectory k's noise is keyed by (seed, k, step), so its path does not
// depend on where it runs.  The particles are cut into chunks whose size depends on the
// particle count only (as in the serial run); rank r integrates the contiguous chunks
// [r·C/P, (r+1)·C/P) on its threads and keeps each chunk's partial sums apart (counts, and
// the running moments (n, mean, M2) of each mean); rank 0 gathers every chunk's partial sums
// (MPI_Gatherv of their bytes) and merges them in chunk order, starting from the empty
// accumulator — exactly the left fold the serial run performs — and broadcasts the merged
// bytes.  Floating-point merges thus happen in one fixed order whatever the split.
// Communication per run: one gather of C·S bytes into rank 0 (C chunks: ≤ 64 for up to 16 384
// particles, then particles/256; S: one chunk's partial sums, e.g. 3 moments × 24 bytes + 8 per
// basin and bin per snapshot), one broadcast of S bytes, and the two small messages that check
// the options and errors (benchmarks/README.md, "MPI").  No more ranks than chunks do work.
//
// Contract: the same arguments on every rank (the options are compared across ranks:
// invalid_argument on every rank if they differ; the models themselves cannot be compared);
// the observer must have `serialize` (observers.hpp).  An error on one rank (e.g. a non-finite
// initial state, or langevin_ensemble_1d's checks of a model that differs) is thrown on every
// rank.  Progress lines come from rank 0 only.
#pragma once

#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shiftcurv/dynamics/ensemble.hpp"
#include "shiftcurv/dynamics/langevin_1d.hpp"
#include "shiftcurv/io/checkpoint.hpp"
#include "shiftcurv/parallel/jobs.hpp"
#include "shiftcurv/parallel/mpi/communicator.hpp"

namespace shiftcurv::mpi {

/// Chunks [first, last) of rank r of P: contiguous blocks of nearly equal size.
inline std::pair<index, index> block_of(index chunks, int r, int P) {
  return {chunks * r / P, chunks * (r + 1) / P};
}

namespace detail {

inline std::string exact(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%a", x);
  return buf;
}

/// The chunk executor of the ensembles (dynamics/detail/parallel.hpp) over MPI ranks.
struct rank_executor {
  const communicator& comm;
  template <class Acc, class Work>
  Acc operator()(index chunks, unsigned threads, const Acc& prototype, Work&& work, std::uint64_t total_units,
                 shiftcurv::detail::progress_settings progress) const {
    const int P = comm.size();
    const auto [first, last] = block_of(chunks, comm.rank(), P);
    progress.enabled = progress.enabled && comm.rank() == 0;
    std::string mine;
    std::exception_ptr error;
    try {
      const auto parts = shiftcurv::detail::chunk_range_executor{first, last}(
          chunks, threads, prototype, std::forward<Work>(work),
          chunks ? total_units / static_cast<std::uint64_t>(chunks) * static_cast<std::uint64_t>(last - first) : 0,
          progress);
      byte_writer w;
      for (const auto& p : parts) w(p);
      mine = w.take();
    } catch (...) {
      error = std::current_exception();
    }
    shiftcurv::detail::agree_on_errors(comm, error);
    const auto all = comm.gather(mine);
    std::string merged;
    if (comm.rank() == 0) {
      Acc total = prototype;
      for (int r = 0; r < P; ++r) {
        const auto [b, e] = block_of(chunks, r, P);
        byte_reader in(all[static_cast<std::size_t>(r)], "mpi::rank_executor");
        for (index c = b; c < e; ++c) {
          Acc part = prototype;
          in(part);
          total.merge(part);
        }
        in.expect_end();
      }
      merged = to_bytes(total);
    }
    comm.broadcast(merged);
    Acc total = prototype;
    from_bytes(merged, total, "mpi::rank_executor");
    return total;
  }
};

}  // namespace detail

/// shiftcurv::run_ensemble over the ranks of `comm` (see the header comment).
template <class Stepper, class System, class Init, class Observer>
auto run_ensemble(const communicator& comm, const Stepper& stepper, const System& system, const Init& init,
                  Observer observer, const ensemble_options& options = {}) -> ensemble_result<Observer> {
  std::string text = "particles=" + std::to_string(options.particles) + " dt=" + detail::exact(options.dt) +
                     " t_end=" + detail::exact(options.t_end) + " seed=" + std::to_string(options.seed) + " observe_at=";
  for (double t : options.observe_at) text += detail::exact(t) + ",";
  require_same_on_all_processes(comm, "mpi::run_ensemble", "ensemble options", text);
  return shiftcurv::detail::run_ensemble_with(detail::rank_executor{comm}, stepper, system, init, std::move(observer),
                                              options);
}

/// shiftcurv::langevin_ensemble_1d over the ranks of `comm` (see the header comment).
template <class Train, class Test, class Diffusion>
  requires loss_1d<Train> && loss_1d<Test> && diffusion_1d_model<Diffusion>
langevin_1d_result langevin_ensemble_1d(const communicator& comm, const Train& U, const Test& U_test, const Diffusion& D,
                                        double T, const langevin_1d_options& options = {}) {
  constexpr const char* fn = "langevin_ensemble_1d";
  std::string text = "T=" + detail::exact(T) + " particles=" + std::to_string(options.particles) + " dt=" + detail::exact(options.dt) +
                     " t_end=" + detail::exact(options.t_end) + " seed=" + std::to_string(options.seed) +
                     " scheme=" + std::to_string(static_cast<int>(options.scheme)) +
                     " bins=" + std::to_string(options.histogram_bins) + " x0=" + (options.x0 ? detail::exact(*options.x0) : "uniform") +
                     " walls=" + (options.walls ? detail::exact(options.walls.lower(0)) + "," + detail::exact(options.walls.upper(0)) : "none") +
                     " observe_at=";
  for (double t : options.observe_at) text += detail::exact(t) + ",";
  text += " boundaries=";
  for (double b : options.basin_boundaries) text += detail::exact(b) + ",";
  require_same_on_all_processes(comm, fn, "ensemble options", text);
  // The checks after the comparison, and agreed on: a check that failed on one rank only (a
  // diffusion that differs across ranks) must not leave the others waiting in a collective.
  std::optional<decltype(shiftcurv::detail::check_langevin_1d(fn, U, U_test, D, T, options))> setup;
  std::exception_ptr error;
  try {
    setup.emplace(shiftcurv::detail::check_langevin_1d(fn, U, U_test, D, T, options));
  } catch (...) {
    error = std::current_exception();
  }
  shiftcurv::detail::agree_on_errors(comm, error);
  const auto t0 = std::chrono::steady_clock::now();
  const auto acc = shiftcurv::detail::dispatch_langevin_1d(detail::rank_executor{comm}, U, U_test, *setup, T, options);
  langevin_1d_result r = shiftcurv::detail::make_langevin_1d_result(fn, acc, setup->plan, options);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

/// The same with the train loss also as the test loss.
template <class Train, class Diffusion>
  requires loss_1d<Train> && diffusion_1d_model<Diffusion>
langevin_1d_result langevin_ensemble_1d(const communicator& comm, const Train& U, const Diffusion& D, double T,
                                        const langevin_1d_options& options = {}) {
  return langevin_ensemble_1d(comm, U, U, D, T, options);
}

}  // namespace shiftcurv::mpi
