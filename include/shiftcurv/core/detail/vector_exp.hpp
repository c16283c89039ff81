// Internal: exp(x) written so that a loop over many x vectorizes (no calls, no branches, no
// errno), for the hot SIMD loops (gaussian_wells_1d::derivative_batch, the 1-D fast path).
//
// Why not std::exp: GCC/Clang vectorize std::exp only under -ffast-math (glibc's libmvec),
// which a header library cannot impose.  Why not Eigen's ArrayXd::exp: its Padé form needs a
// division per call, which dominates on AVX-512 (the 1-D fast path's Euler–Maruyama step is
// faster with this one: benchmarks/README.md, "Langevin ensembles").
//
// Method (Cody & Waite, "Software Manual for the Elementary Functions", 1980; the reduction of
// Tang, ACM TOMS 15, 1989): k = round(x/ln2), r = x − k·ln2 with ln2 split in two (r exact to
// ~2⁻⁶⁰), |r| ≤ ln2/2; exp(r) by its degree-13 Taylor polynomial (truncation ≤ r¹⁴/14! ≈
// 4e-18 relative) in Horner form; scaling by 2^k as two exact powers of two so that
// k = 1024 (overflow to +inf) and the subnormal range (down to 2⁻¹⁰⁷⁴) come out right.
// Accuracy against std::exp over [−745, 709.8] (tests/core/vector_exp.cpp sweeps 4 million
// points): relative error < 2⁻⁵² (0.999·2⁻⁵² measured, with and without FMA); subnormal
// results within one 2⁻¹⁰⁷⁴; exactly 0 below −745.2, +inf above 709.8, NaN for NaN.
// See SHIFTCURV_VECTOR_EXP for the targets where a loop over it vectorizes.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

// Whether loops over vector_exp vectorize on this target (checked with GCC 12: AVX-512F+DQ,
// which has masked selects and 64-bit integer conversions; with AVX2 or SSE4.1 the selects stay
// branches).  Elsewhere callers use Eigen's packet exp.
#if defined(__AVX512F__) && defined(__AVX512DQ__)
#define SHIFTCURV_VECTOR_EXP 1
#else
#define SHIFTCURV_VECTOR_EXP 0
#endif

namespace shiftcurv::detail {

inline double vector_exp(double x) {
  constexpr double log2e = 1.4426950408889634;
  constexpr double ln2_hi = 6.93147180369123816490e-01;  // the high bits of ln 2 (k·ln2_hi exact)
  constexpr double ln2_lo = 1.90821492927058770002e-10;  // ln 2 − ln2_hi
  // Clamped so that k fits the two-step scaling (beyond, the result is 0 or +inf anyway);
  // NaN goes to −746 here, so the conversion below is defined, and is restored at the end.
  const double lo = x > -746.0 ? x : -746.0;
  const double xc = lo < 710.0 ? lo : 710.0;
  const double kd = std::nearbyint(xc * log2e);
  const double r = (xc - kd * ln2_hi) - kd * ln2_lo;
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const auto k = static_cast<std::int64_t>(kd);
  const std::int64_t k1 = k / 2, k2 = k - k1;  // each in [−538, 512]: 2^k1, 2^k2 are normal
  const double s1 = std::bit_cast<double>(static_cast<std::uint64_t>(k1 + 1023) << 52);
  const double s2 = std::bit_cast<double>(static_cast<std::uint64_t>(k2 + 1023) << 52);
  const double y = p * s1 * s2;
  return x != x ? x : y;
}

}  // namespace shiftcurv::detail
