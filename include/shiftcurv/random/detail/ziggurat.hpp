// Internal: the ziggurat method for standard normals from 64-bit random words.
//
// Marsaglia & Tsang, "The Ziggurat Method for Generating Random Variables", J. Stat. Softw. 5
// (2000), 256 layers (R = 3.6541528853610088, V = 4.92867323399e-3 from that paper; the table
// is built here and closes to 2e-16 in area), Doornik's symmetric fast test ("An Improved
// Ziggurat Method to Generate Normal Random Samples", 2005) and Marsaglia's tail algorithm.
// One 64-bit word gives the layer (low 8 bits) and a 53-bit uniform (top bits, disjoint);
// 98.5% of words are accepted at once (the mean of x[i+1]/x[i]; 97.2% with 128 layers).  The
// rare rejections draw further words from a caller-supplied source, so the result is a
// deterministic function of the counter.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

namespace shiftcurv::detail {

struct ziggurat_tables {
  static constexpr int layers = 256;
  static constexpr std::uint64_t mask = layers - 1;  // the layer is the word's low 8 bits
  static constexpr double R = 3.6541528853610088;    // the base strip's right edge
  static constexpr double V = 4.92867323399e-3;      // the area of every layer
  std::array<double, layers + 1> x{};
  std::array<double, layers> ratio{};  // x[i+1] / x[i]
  std::array<double, layers + 1> height{};  // exp(-x[i]^2 / 2): the density's height at the layer edges
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
    for (int i = 0; i <= layers; ++i) height[i] = std::exp(-0.5 * x[i] * x[i]);
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

/// The ziggurat's fast path on the word w: u·x_i when accepted (≈ 98.5%), NaN otherwise.
inline double ziggurat_quick(const ziggurat_tables& t, std::uint64_t w) {
  const auto i = static_cast<std::size_t>(w & ziggurat_tables::mask);
  const double u = 2 * (static_cast<double>(static_cast<std::int64_t>(w >> 11)) * 0x1.0p-53) - 1;
  return std::fabs(u) < t.ratio[i] ? u * t.x[i] : std::numeric_limits<double>::quiet_NaN();
}

/// A standard normal from the word w; `more()` returns further 64-bit words when needed.
template <class More>
double ziggurat_normal(const ziggurat_tables& t, std::uint64_t w, More&& more) {
  for (;;) {
    const int i = static_cast<int>(w & ziggurat_tables::mask);
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
    // The wedge: accept xx with probability (f(xx) − f(x_i)) / (f(x_{i+1}) − f(x_i)), i.e. when a
    // uniform point of the strip's height lies under the density (one exp; the heights f(x_i) tabulated).
    const double xx = u * t.x[i];
    if (t.height[i] + open_uniform(more()) * (t.height[i + 1] - t.height[i]) < std::exp(-0.5 * xx * xx)) return xx;
    w = more();
  }
}

}  // namespace shiftcurv::detail
