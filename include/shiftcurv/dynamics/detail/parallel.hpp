// Internal: run independent chunks of work on a thread pool and merge their accumulators in
// chunk order, so the merged result is bit-identical whatever the thread count; a progress
// line on stderr for long runs.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "shiftcurv/core/types.hpp"

namespace shiftcurv::detail {

struct progress_settings {
  bool enabled = true;
  double after_seconds = 3.0;  ///< print only once the run has taken this long
  std::string label = "shiftcurv";
  std::ostream* out = &std::cerr;
};

/// The number of particles per chunk: a function of the particle count only (never of the
/// thread count), so the chunking — hence the summation order — is reproducible.
inline index chunk_size_for(index particles) {
  return std::clamp<index>((particles + 63) / 64, 1, 256);
}

inline unsigned resolve_threads(unsigned requested, index chunks) {
  unsigned t = requested ? requested : std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::max<index>(1, std::min<index>(static_cast<index>(t), chunks)));
}

/// work(chunk, acc, done) fills `acc` (a copy of `prototype`) for one chunk and adds the units
/// it finished to `done`; the accumulators are merged as `total.merge(acc)` in chunk order.
template <class Acc, class Work>
Acc run_chunks_ordered(index chunks, unsigned threads, const Acc& prototype, Work&& work,
                       std::uint64_t total_units, const progress_settings& progress) {
  Acc total = prototype;
  std::vector<std::optional<Acc>> slots(static_cast<std::size_t>(chunks));
  std::mutex merge_mutex;
  index cursor = 0;
  std::atomic<index> next{0};
  std::atomic<std::uint64_t> done{0};
  std::atomic<bool> abort{false};
  std::exception_ptr error;
  const auto start = std::chrono::steady_clock::now();
  double last_print = -1e300;  // the first eligible chunk prints
  bool printed = false;

  // The calling thread is worker 0 (so a 1-thread run uses no extra thread); progress is
  // printed by whichever worker has just merged a chunk, at most every 0.5 s, after
  // `after_seconds`.
  auto worker = [&]() {
    try {
      for (;;) {
        const index c = next.fetch_add(1);
        if (c >= chunks || abort.load()) break;
        Acc acc = prototype;
        work(c, acc, done);
        std::lock_guard<std::mutex> lock(merge_mutex);
        slots[static_cast<std::size_t>(c)].emplace(std::move(acc));
        while (cursor < chunks && slots[static_cast<std::size_t>(cursor)]) {
          total.merge(*slots[static_cast<std::size_t>(cursor)]);
          slots[static_cast<std::size_t>(cursor)].reset();
          ++cursor;
        }
        if (progress.enabled) {
          const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          if (elapsed >= progress.after_seconds && elapsed - last_print >= 0.5) {
            const double frac = total_units ? static_cast<double>(done.load()) / static_cast<double>(total_units) : 0.0;
            const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0.0;
            *progress.out << '\r' << progress.label << ": " << static_cast<int>(100 * frac) << "%, "
                          << static_cast<long>(elapsed) << " s elapsed, ~" << static_cast<long>(eta) << " s left   "
                          << std::flush;
            last_print = elapsed;
            printed = true;
          }
        }
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(merge_mutex);
      if (!error) error = std::current_exception();
      abort = true;
    }
  };

  std::vector<std::thread> pool;
  pool.reserve(threads > 0 ? threads - 1 : 0);
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (printed) *progress.out << '\r' << progress.label << ": done" << std::string(40, ' ') << '\n' << std::flush;
  if (error) std::rethrow_exception(error);
  return total;
}

/// Runs an ensemble's chunks in this process (threads) and merges them in chunk order; the
/// ensembles take the executor as a parameter so that parallel/mpi/ensemble.hpp can split the chunks
/// over MPI ranks instead, with the same merge order.
struct local_chunk_executor {
  template <class Acc, class Work>
  Acc operator()(index chunks, unsigned threads, const Acc& prototype, Work&& work, std::uint64_t total_units,
                 const progress_settings& progress) const {
    return run_chunks_ordered(chunks, threads, prototype, std::forward<Work>(work), total_units, progress);
  }
};

/// Runs chunks [first, last) of an ensemble in this process (threads) and returns each chunk's
/// accumulator, in chunk order, unmerged: for callers that ship or store the partial sums
/// (parallel/mpi/ensemble.hpp, checkpoints) and merge them later in the same order.
struct chunk_range_executor {
  index first = 0, last = 0;
  template <class Acc, class Work>
  std::vector<Acc> operator()(index /*chunks*/, unsigned threads, const Acc& prototype, Work&& work,
                              std::uint64_t total_units, const progress_settings& progress) const {
    struct list {
      std::vector<Acc> items;
      void merge(const list& o) { items.insert(items.end(), o.items.begin(), o.items.end()); }
    };
    const index n = std::max<index>(0, last - first);
    auto one = [&](index c, list& l, std::atomic<std::uint64_t>& done) {
      Acc acc = prototype;
      work(first + c, acc, done);
      l.items.push_back(std::move(acc));
    };
    return run_chunks_ordered(n, resolve_threads(threads, std::max<index>(1, n)), list{}, one, total_units, progress).items;
  }
};

}  // namespace shiftcurv::detail
