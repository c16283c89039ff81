// shiftcurv/random/philox.hpp — counter-based random numbers keyed by (seed, trajectory,
// step): the same trajectory gets the same noise whatever the thread count or the order in
// which trajectories are run.
//
//   shiftcurv::philox_stream rng(/*seed=*/42, /*trajectory=*/7);
//   double z[3];
//   rng.normals(/*step=*/10, z, 3);          // standard normals of step 10 of trajectory 7
//   double u = rng.uniform(/*step=*/10, 0);   // a uniform in (0, 1] of the same step
//   std::uint64_t bits = rng.bits(10, 5);     // raw 64-bit word
//
// The generator is Philox4x64-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as
// easy as 1, 2, 3", SC'11; Random123, /usr/include/Random123/philox.h): a keyed bijection of
// a 256-bit counter.  Counter = (step, trajectory, block, purpose), key = (seed, constant), so
// every (seed, trajectory, step, purpose) owns an independent, random-access block sequence.
// Normals come from the ziggurat method (Marsaglia & Tsang 2000, 256 layers,
// detail/ziggurat.hpp), one 64-bit word each; the rare rejections (≈1.5%) draw further words
// from a separate counter range, so a normal is still a pure function of its counter.  It is
// exact in distribution up to the 2^-53 granularity of the uniforms, and faster than Box–Muller
// (log + sincos; benchmarks/README.md).  tests/random/philox.cpp checks it against Φ.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include <Random123/philox.h>
#include <Random123/uniform.hpp>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/random/detail/philox_lanes.hpp"
#include "shiftcurv/random/detail/ziggurat.hpp"

namespace shiftcurv {

/// What the random numbers of one step are for: separate purposes never share a counter.
enum class random_purpose : std::uint64_t {
  increments = 0,   ///< Brownian increments of an SDE step
  auxiliary = 1,    ///< extra variables of a scheme (e.g. the two-point V of weak order 2)
  initial = 2,      ///< initial conditions
  minibatch = 3,    ///< SGD minibatch indices
  packed = 4,       ///< four consecutive steps share one Philox4x64 block (philox_stream::normal_block)
  probes = 5,       ///< random probe and start vectors of curvature/ (Hutchinson, SLQ, Lanczos)
  user = 16         ///< first value free for user code
};

class philox_stream {
 public:
  using generator = r123::Philox4x64;
  using counter_type = generator::ctr_type;
  using key_type = generator::key_type;

  philox_stream() = default;
  philox_stream(std::uint64_t seed, std::uint64_t trajectory) : trajectory_(trajectory) {
    key_[0] = seed;
    key_[1] = 0x5348494654435552ULL;  // "SHIFTCUR"
  }

  std::uint64_t seed() const { return key_[0]; }
  std::uint64_t trajectory() const { return trajectory_; }

  /// The four 64-bit words of block `block` of (step, purpose).
  std::array<std::uint64_t, 4> block(std::uint64_t step, std::uint64_t block,
                                     random_purpose purpose = random_purpose::increments) const {
    counter_type c;
    c[0] = step;
    c[1] = trajectory_;
    c[2] = block;
    c[3] = static_cast<std::uint64_t>(purpose);
    const counter_type r = generator{}(c, key_);
    return {r[0], r[1], r[2], r[3]};
  }

  /// The i-th 64-bit word of (step, purpose).
  std::uint64_t bits(std::uint64_t step, std::uint64_t i,
                     random_purpose purpose = random_purpose::increments) const {
    return block(step, i / 4, purpose)[i % 4];
  }

  /// The i-th uniform in (0, 1] of (step, purpose).
  double uniform(std::uint64_t step, std::uint64_t i,
                 random_purpose purpose = random_purpose::increments) const {
    return r123::u01<double>(bits(step, i, purpose));
  }

  /// n standard normals of (step, purpose) into out[0..n): one Philox block per four.
  void normals(std::uint64_t step, double* out, index n,
               random_purpose purpose = random_purpose::increments) const {
    const auto& t = detail::ziggurat();
    for (index i = 0; i < n; i += 4) {
      const std::uint64_t b = static_cast<std::uint64_t>(i / 4);
      const auto w = block(step, b, purpose);
      for (index l = 0; l < 4 && i + l < n; ++l)
        out[i + l] = normal_from(t, w[static_cast<std::size_t>(l)], step, b, static_cast<std::uint64_t>(l), purpose);
    }
  }

  /// The four normals of block `b` of (step, purpose) — the packed 1-D fast path.
  std::array<double, 4> normal_block(std::uint64_t step, std::uint64_t b, random_purpose purpose) const {
    const auto& t = detail::ziggurat();
    const auto w = block(step, b, purpose);
    return {normal_from(t, w[0], step, b, 0, purpose), normal_from(t, w[1], step, b, 1, purpose),
            normal_from(t, w[2], step, b, 2, purpose), normal_from(t, w[3], step, b, 3, purpose)};
  }

 private:
  // The ziggurat's extra words for lane l of block b come from purpose + 64, blocks
  // ((4b + l) << 16) + k, k = 0, 1, ...: disjoint from every other counter in use.
  double normal_from(const detail::ziggurat_tables& t, std::uint64_t w, std::uint64_t step,
                     std::uint64_t b, std::uint64_t lane, random_purpose purpose) const {
    const double quick = detail::ziggurat_quick(t, w);
    if (!std::isnan(quick)) return quick;  // not the NaN marker: accepted at once
    std::uint64_t k = 0;
    std::array<std::uint64_t, 4> buf{};
    const auto more = [&]() {
      if (k % 4 == 0)
        buf = block(step, ((4 * b + lane) << 16) + k / 4,
                    static_cast<random_purpose>(static_cast<std::uint64_t>(purpose) + 64));
      return buf[k++ % 4];
    };
    return detail::ziggurat_normal(t, w, more);
  }
  key_type key_{{0, 0x5348494654435552ULL}};
  std::uint64_t trajectory_ = 0;
};

/// Standard normals for many consecutive trajectories at once, computed SIMD-wide across
/// trajectories — the noise of the 1-D fast path (langevin_1d.hpp).
///
///   shiftcurv::philox_batch g(/*seed=*/42);
///   double z0[64], z1[64];
///   g.normal_pairs(/*pair=*/5, /*first=*/128, /*count=*/64, z0, z1);  // steps 10 and 11 of
///                                                                     // trajectories 128..191
///   double z = g.normal(/*trajectory=*/130, /*step=*/11);             // == z1[2], bit for bit
///
/// Generator: Philox4x32-10 (Salmon et al. SC'11; the same bijection as Random123's
/// r123::Philox4x32, which the tests compare against word for word), key = the two 32-bit
/// halves of the seed, counter = (m mod 2³², ⌊m/2³²⌋ mod 2¹⁶ | extra << 16 | purpose << 24,
/// trajectory mod 2³², ⌊trajectory/2³²⌋) for the step pair m = ⌊step/2⌋: words (0, 1) give the
/// normal of step 2m, words (2, 3) that of step 2m+1, one 64-bit word each through the ziggurat
/// (detail/ziggurat.hpp).  The ≈1.5% of words the ziggurat's fast test rejects continue, one
/// trajectory at a time, from the same counter with `extra` = 1 + 2⌊k/2⌋ + (step mod 2), k
/// the extra word's index, and purpose + 64 — so every normal stays a pure function of (seed,
/// trajectory, step, purpose).  Valid for step < 2⁴⁹ and purposes < 64.  The loop over
/// trajectories is written so that GCC/Clang vectorize it (Philox4x32 needs only 32×32→64-bit
/// products), and with AVX-512 it is faster than philox_stream's Philox4x64 one trajectory at
/// a time (benchmarks/README.md).
class philox_batch {
 public:
  static constexpr index lanes = 64;  ///< trajectories per call of normal_pairs

  philox_batch() = default;
  explicit philox_batch(std::uint64_t seed)
      : k0_(static_cast<std::uint32_t>(seed)), k1_(static_cast<std::uint32_t>(seed >> 32)) {}

  std::uint64_t seed() const { return (static_cast<std::uint64_t>(k1_) << 32) | k0_; }

  /// z0[j], z1[j]: the normals of steps 2·pair and 2·pair + 1 of trajectory first + j, for
  /// j < count (1 ≤ count ≤ lanes).
  /// Throws invalid_argument for count outside [1, lanes].
  void normal_pairs(std::uint64_t pair, std::uint64_t first, index count, double* z0, double* z1,
                    random_purpose purpose = random_purpose::increments) const {
    if (count < 1 || count > lanes)
      detail::throw_invalid("philox_batch::normal_pairs", "count must be in [1, ", lanes, "], got ", count);
    alignas(64) std::uint64_t w[4][lanes];
    const std::uint32_t c0 = static_cast<std::uint32_t>(pair);
    const std::uint32_t c1 = counter_word1(pair, 0, purpose);
    detail::philox4x32_lanes<lanes>(c0, c1, first, k0_, k1_, w);
    const auto& t = detail::ziggurat();
    detail::ziggurat_quick_lanes(w[0], w[1], t, z0, count);
    detail::ziggurat_quick_lanes(w[2], w[3], t, z1, count);
    detail::for_each_rejected(z0, count, [&](index j) {
      z0[j] = slow(pair, 0, first + static_cast<std::uint64_t>(j), static_cast<std::uint32_t>(w[0][j]), static_cast<std::uint32_t>(w[1][j]), purpose);
    });
    detail::for_each_rejected(z1, count, [&](index j) {
      z1[j] = slow(pair, 1, first + static_cast<std::uint64_t>(j), static_cast<std::uint32_t>(w[2][j]), static_cast<std::uint32_t>(w[3][j]), purpose);
    });
  }

  /// The normal of (trajectory, step), one at a time: the scalar reference of normal_pairs.
  double normal(std::uint64_t trajectory, std::uint64_t step,
                random_purpose purpose = random_purpose::increments) const {
    const std::uint64_t pair = step / 2;
    const unsigned half = static_cast<unsigned>(step % 2);
    const auto w = block(static_cast<std::uint32_t>(pair), counter_word1(pair, 0, purpose), trajectory);
    const std::uint64_t word = (static_cast<std::uint64_t>(w[2 * half]) << 32) | w[2 * half + 1];
    const auto& t = detail::ziggurat();
    const double quick = detail::ziggurat_quick(t, word);
    return std::isnan(quick) ? slow(pair, half, trajectory, w[2 * half], w[2 * half + 1], purpose) : quick;
  }

 private:
  static std::uint32_t counter_word1(std::uint64_t pair, std::uint32_t extra, random_purpose purpose) {
    return static_cast<std::uint32_t>((pair >> 32) & 0xFFFF) | ((extra & 0xFF) << 16) |
           (static_cast<std::uint32_t>(purpose) << 24);
  }
  std::array<std::uint32_t, 4> block(std::uint32_t c0, std::uint32_t c1, std::uint64_t trajectory) const {
    const r123::Philox4x32::ctr_type c = {{c0, c1, static_cast<std::uint32_t>(trajectory),
                                           static_cast<std::uint32_t>(trajectory >> 32)}};
    const r123::Philox4x32::key_type k = {{k0_, k1_}};
    const auto r = r123::Philox4x32{}(c, k);
    return {r[0], r[1], r[2], r[3]};
  }
  [[gnu::noinline]] double slow(std::uint64_t pair, unsigned half, std::uint64_t trajectory, std::uint32_t hi, std::uint32_t lo,
              random_purpose purpose) const {
    std::uint32_t k = 0;
    std::array<std::uint32_t, 4> buf{};
    const auto extra_purpose = static_cast<random_purpose>(static_cast<std::uint32_t>(purpose) + 64);
    const auto more = [&]() {
      if (k % 2 == 0)
        buf = block(static_cast<std::uint32_t>(pair), counter_word1(pair, 1 + 2 * (k / 2) + half, extra_purpose), trajectory);
      const std::uint32_t i = 2 * (k++ % 2);
      return (static_cast<std::uint64_t>(buf[i]) << 32) | buf[i + 1];
    };
    return detail::ziggurat_normal(detail::ziggurat(), (static_cast<std::uint64_t>(hi) << 32) | lo, more);
  }

  std::uint32_t k0_ = 0, k1_ = 0;
};

/// The noise source of the SDE steppers: Brownian increments and auxiliary variables of a
/// step as standard normals, from the Philox stream of one (seed, trajectory).
struct philox_noise {
  philox_stream stream;
  philox_noise() = default;
  philox_noise(std::uint64_t seed, std::uint64_t trajectory) : stream(seed, trajectory) {}
  void increments(std::uint64_t step, double* z, index m) const {
    stream.normals(step, z, m, random_purpose::increments);
  }
  void auxiliary(std::uint64_t step, double* z, index m) const {
    stream.normals(step, z, m, random_purpose::auxiliary);
  }
};

}  // namespace shiftcurv
