// Internal: Philox4x32-10 on many counters at once, and the ziggurat's fast path on many words
// at once — plain loops over lanes, written so that the compiler vectorizes them (the only
// multiplications are 32×32→64-bit, which SSE2/AVX2/AVX-512 have).
//
// The round function is Random123's philox4x32 (Salmon, Moraes, Dror, Shaw, SC'11; constants
// from /usr/include/Random123/philox.h): tests/random/philox.cpp checks it word for word
// against r123::Philox4x32.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "shiftcurv/core/types.hpp"
#include "shiftcurv/random/detail/ziggurat.hpp"

namespace shiftcurv::detail {

/// out[q][j] = word q of Philox4x32-10(counter = (c0, c1, lo(first + j), hi(first + j)), key),
/// each 32-bit word in a 64-bit slot (what the ziggurat stage consumes without conversion).
template <index L>
inline void philox4x32_lanes(std::uint32_t c0, std::uint32_t c1, std::uint64_t first, std::uint32_t k0,
                             std::uint32_t k1, std::uint64_t (&out)[4][L]) {
  constexpr std::uint64_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;  // PHILOX_M4x32_0/1
  constexpr std::uint64_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;  // PHILOX_W32_0/1 (key schedule)
  constexpr std::uint64_t low = 0xFFFFFFFFu;
  // 32-bit words held in 64-bit lanes: the products are then plain 64-bit lane multiplies of
  // zero-extended values (pmuludq), with no shuffles between 32- and 64-bit layouts.
  std::uint64_t* __restrict x0 = out[0];
  std::uint64_t* __restrict x1 = out[1];
  std::uint64_t* __restrict x2 = out[2];
  std::uint64_t* __restrict x3 = out[3];
  for (index j = 0; j < L; ++j) {
    const std::uint64_t t = first + static_cast<std::uint64_t>(j);
    x0[j] = c0;
    x1[j] = c1;
    x2[j] = t & low;
    x3[j] = t >> 32;
  }
  std::uint64_t key0 = k0, key1 = k1;
  for (int r = 0; r < 10; ++r) {
    for (index j = 0; j < L; ++j) {
      const std::uint64_t p0 = m0 * x0[j], p1 = m1 * x2[j];
      const std::uint64_t y0 = (p1 >> 32) ^ x1[j] ^ key0, y2 = (p0 >> 32) ^ x3[j] ^ key1;
      x1[j] = p1 & low;
      x3[j] = p0 & low;
      x0[j] = y0;
      x2[j] = y2;
    }
    key0 = (key0 + w0) & low;
    key1 = (key1 + w1) & low;
  }
}

/// z[j] = ziggurat_quick(hi[j]·2³² + lo[j]) for j < n: NaN where the fast test failed.
inline void ziggurat_quick_lanes(const std::uint64_t* __restrict hi, const std::uint64_t* __restrict lo,
                                 const ziggurat_tables& t, double* __restrict z, index n) {
  const double* __restrict tx = t.x.data();
  const double* __restrict tr = t.ratio.data();
  for (index j = 0; j < n; ++j) {
    const std::uint64_t w = (hi[j] << 32) | lo[j];
    const auto i = static_cast<std::int64_t>(w & ziggurat_tables::mask);
    const double u = 2 * (static_cast<double>(static_cast<std::int64_t>(w >> 11)) * 0x1.0p-53) - 1;
    z[j] = std::fabs(u) < tr[i] ? u * tx[i] : std::numeric_limits<double>::quiet_NaN();
  }
}

/// Calls fix(j) for every j < n with z[j] NaN (the rejections of ziggurat_quick_lanes),
/// testing eight lanes at a time.
template <class Fix>
inline void for_each_rejected(const double* z, index n, Fix&& fix) {
  for (index j = 0; j < n; j += 8) {
    const index m = n - j < 8 ? n - j : 8;
    int nan = 0;
    for (index l = 0; l < m; ++l) nan |= z[j + l] != z[j + l] ? 1 : 0;
    if (nan != 0)
      for (index l = 0; l < m; ++l)
        if (z[j + l] != z[j + l]) fix(j + l);
  }
}

}  // namespace shiftcurv::detail
