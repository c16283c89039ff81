// shiftcurv/dynamics/reflecting_box.hpp — reflecting (no-flux) walls on a box [lo, hi].
//
//   shiftcurv::reflecting_box walls(-4.0, 4.0);                 // 1-D, or every coordinate
//   shiftcurv::reflecting_box box(lo_vec, hi_vec);              // per coordinate
//   box.apply(theta);                                          // fold θ back into the box
//   double y = shiftcurv::reflect_into(5.0, -4.0, 4.0);         // 3.0
//   shiftcurv::reflecting_box none;                            // no walls: if (none) is false
//
// A step that leaves the box is folded back by mirror reflection at the walls (repeatedly,
// so any overshoot lands inside).  For the Itô SDE this is the reflected process of Skorokhod
// whose steady state is the no-flux one (THEORY.md: ρ restricted to the box and renormalized).
// Error: the reflected Euler scheme converges weakly with order ½ near the walls in general
// (Gobet, "Euler schemes and half-space approximation for the simulation of diffusion in a
// domain", ESAIM P&S 5, 2001), order 1 when the drift and diffusion are even about the wall;
// steady-state occupancies away from the walls are affected only through the O(√dt) layer.
#pragma once

#include <cmath>
#include <utility>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"

namespace shiftcurv {

/// x folded into [lo, hi] by mirror reflections at the ends.
inline double reflect_into(double x, double lo, double hi) {
  if (x >= lo && x <= hi) return x;
  const double w = hi - lo;
  double y = std::fmod(x - lo, 2 * w);
  if (y < 0) y += 2 * w;
  return y <= w ? lo + y : hi - (y - w);
}

class reflecting_box {
 public:
  /// No walls: `apply` does nothing and the box is inactive (`if (box)` is false).
  reflecting_box() = default;
  /// The same interval [lo, hi] for every coordinate; throws unless lo < hi, both finite.
  reflecting_box(double lo, double hi) : lo_(vector::Constant(1, lo)), hi_(vector::Constant(1, hi)), uniform_(true) {
    check();
  }
  /// Per-coordinate bounds; throws on size mismatch, non-finite entries or lo_i >= hi_i.
  reflecting_box(vector lo, vector hi) : lo_(std::move(lo)), hi_(std::move(hi)) {
    require_size("reflecting_box", "hi", hi_.size(), lo_.size());
    check();
  }

  /// Whether walls are set.
  bool active() const { return lo_.size() > 0; }
  explicit operator bool() const { return active(); }
  double lower(index i) const { return uniform_ ? lo_(0) : lo_(i); }
  double upper(index i) const { return uniform_ ? hi_(0) : hi_(i); }
  /// The number of coordinates the box constrains (0: any, the same interval for all).
  index dimension() const { return uniform_ ? 0 : lo_.size(); }

  /// Fold every coordinate of x into the box.
  template <class Derived>
  void apply(Eigen::MatrixBase<Derived>& x) const {
    if (!active()) return;
    if (!uniform_) require_size("reflecting_box::apply", "x", x.size(), lo_.size());
    for (index i = 0; i < x.size(); ++i) x(i) = reflect_into(x(i), lower(i), upper(i));
  }
  bool contains(const vector& x) const {
    if (!active()) return true;
    for (index i = 0; i < x.size(); ++i)
      if (!(x(i) >= lower(i) && x(i) <= upper(i))) return false;
    return true;
  }

 private:
  void check() const {
    require_finite("reflecting_box", "lo", lo_);
    require_finite("reflecting_box", "hi", hi_);
    if (lo_.size() < 1) detail::throw_invalid("reflecting_box", "the box needs at least one coordinate");
    for (index i = 0; i < lo_.size(); ++i)
      if (!(lo_(i) < hi_(i)))
        detail::throw_invalid("reflecting_box", "need lo < hi, coordinate ", i, " has lo = ", lo_(i),
                              ", hi = ", hi_(i));
  }
  vector lo_, hi_;
  bool uniform_ = false;
};

}  // namespace shiftcurv
