// shiftcurv/random/probes.hpp — the reproducible random vectors of the curvature tools.
//
//   shiftcurv::vector z = shiftcurv::random_probe(p, /*seed=*/7, /*probe=*/3);   // Rademacher
//   auto g = shiftcurv::random_probe(p, 7, 3, shiftcurv::probe_distribution::gaussian);
//
// Probe `probe` of seed `seed` comes from the Philox stream (random/philox.hpp) of
// (seed, trajectory = probe), step 0, purpose `random_purpose::probes`: a pure function of
// (p, seed, probe, distribution), whatever the order or the thread in which probes are drawn.
// Rademacher: entry i is ±1 by bit i mod 64 of the stream's word ⌊i/64⌋ (E zzᵀ = I, |z|² = p).
// Gaussian: entry i is the stream's i-th standard normal (ziggurat).  hutchinson_trace and
// spectral_density with the same seed and distribution use the same probes.
#pragma once

#include <cstdint>
#include <string_view>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/random/philox.hpp"

namespace shiftcurv {

/// The distribution of the entries of a random probe vector.
enum class probe_distribution {
  rademacher,  ///< ±1 with probability ½ each (Hutchinson 1989: least variance among i.i.d. probes)
  gaussian     ///< standard normal
};

constexpr std::string_view to_string(probe_distribution d) noexcept {
  return d == probe_distribution::rademacher ? "rademacher" : "gaussian";
}

/// Probe number `probe` of `seed`: a p-vector with i.i.d. entries of `distribution`.
template <class = void>  // see core/types.hpp
vector random_probe(index p, std::uint64_t seed, std::uint64_t probe,
                           probe_distribution distribution = probe_distribution::rademacher) {
  if (p < 1) detail::throw_invalid("random_probe", "p must be >= 1, got ", p);
  const philox_stream rng(seed, probe);
  vector z(p);
  if (distribution == probe_distribution::gaussian) {
    rng.normals(0, z.data(), p, random_purpose::probes);
  } else {
    for (index w = 0; w * 64 < p; ++w) {
      const std::uint64_t bits = rng.bits(0, static_cast<std::uint64_t>(w), random_purpose::probes);
      for (index b = 0; b < 64 && 64 * w + b < p; ++b) z(64 * w + b) = ((bits >> b) & 1U) ? 1.0 : -1.0;
    }
  }
  return z;
}

}  // namespace shiftcurv
