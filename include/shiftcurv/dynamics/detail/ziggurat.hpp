// Internal: the ziggurat method for standard normals from 64-bit random words.
//
// Marsaglia & Tsang, "The Ziggurat Method for Generating Random Variables", J. Stat. Softw. 5
// (2000), with Doornik's 128-layer layout ("An Improved Ziggurat Method to Generate Normal
// Random Samples", 2005: R = 3.442619855899, V = 9.91256303526217e-3) and Marsaglia's tail
// algorithm.  One 64-bit word gives the layer (low 7 bits) and a 53-bit uniform (top bits);
// ≈ 98.8% of words are accepted at once.  The rare rejections draw further words from a
// caller-supplied source, so the result is a deterministic function of the counter.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace shiftcurv::detail {

struct ziggurat_tables {
  static constexpr int layers = 128;
  static constexpr double R = 3.442619855899;
  static constexpr double V = 9.91256303526217e-3;
  std::array<double, layers + 1> x{};
  std::array<double, layers> ratio{};  // x[i+1] / x[i]
  ziggurat_tables() {
    double f = std::exp(-0.5 * R * R);
    x[0] = V / f;  // the base strip, tail included, as a rectangle of the same area
    x[1] = R;
    x[layers] = 0;
    for (int i = 2; i < layers; ++i) {
      x[i] = std::sqrt(-2 * std::log(V / x[i - 1] + f));
      f = std::exp(-0.5 * x[i] * x[i]);
    }
    for (int i = 0; i < layers; ++i) ratio[i] = x[i + 1] / x[i];
  }
};

inline const ziggurat_tables& ziggurat() {
  static const ziggurat_tables t;
  return t;
}

/// A uniform in (0, 1) from the top 53 bits of a word (never 0 or 1).
inline double open_uniform(std::uint64_t w) {
  return (static_cast<double>(w >> 11) + 0.5) * 0x1.0p-53;
}

/// A standard normal from the word w; `more()` returns further 64-bit words when needed.
template <class More>
double ziggurat_normal(const ziggurat_tables& t, std::uint64_t w, More&& more) {
  for (;;) {
    const int i = static_cast<int>(w & 0x7F);
    const double u = 2 * (static_cast<double>(w >> 11) * 0x1.0p-53) - 1;  // [-1, 1)
    if (std::fabs(u) < t.ratio[i]) return u * t.x[i];
    if (i == 0) {  // the tail beyond R (Marsaglia 1964)
      double xt, y;
      do {
        xt = std::log(open_uniform(more())) / ziggurat_tables::R;
        y = std::log(open_uniform(more()));
      } while (-2 * y < xt * xt);
      return u < 0 ? xt - ziggurat_tables::R : ziggurat_tables::R - xt;
    }
    const double xx = u * t.x[i];
    const double f0 = std::exp(-0.5 * (t.x[i] * t.x[i] - xx * xx));
    const double f1 = std::exp(-0.5 * (t.x[i + 1] * t.x[i + 1] - xx * xx));
    if (f1 + open_uniform(more()) * (f0 - f1) < 1.0) return xx;
    w = more();
  }
}

}  // namespace shiftcurv::detail
