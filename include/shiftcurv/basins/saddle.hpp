// shiftcurv/basins/saddle.hpp — the saddle point (transition state) between two minima, of the
// loss U or of the effective potential v, by the string method.
//
//   auto s = shiftcurv::find_saddle(loss, a, b);                       // a, b: minima of U
//   if (s) use(s.saddle, s.barrier_from_a, s.barrier_from_b, s.path);  // U(saddle) − U(a), …
//   auto sv = shiftcurv::find_potential_saddle(loss, noise, T, mu_a, mu_b);  // the same for v
//
// Contract.  The minimum-energy path from a to b is approximated by a string of `images`
// points (ends fixed at a and b) moved down the gradient (∇U, or V for v) and re-spaced
// uniformly in arc length after every step (the simplified string method of E, Ren &
// Vanden-Eijnden, J. Chem. Phys. 126, 164103, 2007), until a step moves the string by less than
// `string_tolerance` × the step a free image would take (dt × the largest gradient on it).  The highest image (energy by the
// trapezoidal line integral of the gradient along the string) is then refined by Newton's method
// on the gradient to ‖∇‖∞ ≤ gradient_tolerance.  Status success only when the point found has
// exactly one negative Hessian eigenvalue (an index-1 saddle); not_converged / max_iterations
// otherwise, with the reason in `message`.  Barriers: U(saddle) − U(end) for the loss; for v the
// line integral of V along the straight segment end → saddle (effective_potential), which is
// path independent only where V is curl-free (check with potential/curl.hpp).
//
// Throws invalid_argument (ends of different sizes, NaN, equal ends, images < 3, bad options)
// and domain_error (T ≤ 0, D not positive definite where evaluated), naming the function called.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/potential/effective_potential.hpp"
#include "shiftcurv/potential/potential_gradient.hpp"

namespace shiftcurv {

struct find_saddle_options {
  int images = 33;                    ///< points on the string, ends included (≥ 3)
  int max_iterations = 20000;         ///< string steps
  double string_tolerance = 1e-3;     ///< stop when a step moves the string ≤ this × dt·max|gradient|
  double gradient_tolerance = 1e-10;  ///< Newton refinement target on ‖∇‖∞
  int newton_iterations = 50;         ///< Newton steps at most
};

struct saddle_result : result_base {
  vector saddle;                 ///< the index-1 saddle point
  vector gradient;               ///< ∇U (or V) there
  double barrier_from_a = 0;     ///< E(saddle) − E(a)
  double barrier_from_b = 0;     ///< E(saddle) − E(b)
  int negative_eigenvalues = 0;  ///< of the (symmetrized) Hessian at `saddle`: 1 for a saddle
  std::vector<vector> path;      ///< the converged string, a → b
};

namespace detail::saddle_impl {

// The two energies the string method works on.  Each gives the gradient, its Jacobian and the
// rise E(to) − E(from); the calls into potential/ are gathered in potential_energy.
template <class Loss>
struct loss_energy {
  const Loss& loss;
  vector grad(const vector& x) const { return gradient_unchecked(loss, x); }
  matrix jac(const vector& x) const { return hessian_unchecked(loss, x); }
  double rise(std::string_view, const vector& from, const vector& to) const {
    return value_unchecked(loss, to) - value_unchecked(loss, from);
  }
};

template <class Loss, class Noise>
struct potential_energy {
  const Loss& loss;
  const Noise& noise;
  double T;
  vector grad(const vector& x) const { return shiftcurv::potential_gradient(loss, noise, T, x); }
  matrix jac(const vector& x) const { return shiftcurv::potential_jacobian(loss, noise, T, x); }
  double rise(std::string_view, const vector& from, const vector& to) const {
    return effective_potential(loss, noise, T, from, to, line_integral_options{.tolerance = 1e-12}).value;
  }
};

template <class = void>
void check(std::string_view fn, const vector& a, const vector& b, const find_saddle_options& options) {
  if (a.size() < 1) throw_invalid(fn, "the minima must not be empty vectors");
  require_size(fn, "b", b.size(), a.size());
  require_finite(fn, "a", a);
  require_finite(fn, "b", b);
  if ((a - b).norm() == 0) throw_invalid(fn, "the two minima are the same point");
  if (options.images < 3) throw_invalid(fn, "images must be >= 3, got ", options.images);
  if (options.max_iterations < 1) throw_invalid(fn, "max_iterations must be >= 1, got ", options.max_iterations);
  if (options.newton_iterations < 0) throw_invalid(fn, "newton_iterations must be >= 0, got ", options.newton_iterations);
  require_positive(fn, "string_tolerance", options.string_tolerance);
  require_finite(fn, "gradient_tolerance", options.gradient_tolerance);
  if (options.gradient_tolerance < 0) throw_invalid(fn, "gradient_tolerance must be >= 0");
}

/// Re-space the string uniformly in arc length (linear interpolation), ends fixed.
template <class = void>
void respace(std::vector<vector>& s) {
  const std::size_t n = s.size();
  std::vector<double> L(n, 0.0);
  for (std::size_t i = 1; i < n; ++i) L[i] = L[i - 1] + (s[i] - s[i - 1]).norm();
  if (!(L.back() > 0)) return;
  std::vector<vector> out(n);
  out.front() = s.front();
  out.back() = s.back();
  std::size_t j = 1;
  for (std::size_t i = 1; i + 1 < n; ++i) {
    const double target = L.back() * static_cast<double>(i) / static_cast<double>(n - 1);
    while (j + 1 < n && L[j] < target) ++j;
    const double seg = L[j] - L[j - 1];
    const double t = seg > 0 ? (target - L[j - 1]) / seg : 0.0;
    out[i] = (1 - t) * s[j - 1] + t * s[j];
  }
  s.swap(out);
}

/// The straight string a → b of n images.
template <class = void>
std::vector<vector> straight_string(const vector& a, const vector& b, std::size_t n) {
  std::vector<vector> s(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(n - 1);
    s[i] = (1 - t) * a + t * b;
  }
  return s;
}

/// The first step of the string: explicit Euler is stable for dt < 2/λmax; the Frobenius norm
/// bounds λmax at the ends a, b.
template <class Energy>
double initial_step(const Energy& E, const vector& a, const vector& b) {
  const double lmax = std::max({E.jac(a).norm(), E.jac(b).norm(), 1e-300});
  return 0.5 / lmax;
}

/// Moves the string `s` (ends fixed) down the gradient from the step dt, re-spacing it after
/// every step, until it no longer moves or max_iterations steps are spent; `g` receives the
/// gradient at each image of the last step, r the step and evaluation counts.  dt is halved
/// whenever the string produces a non-finite gradient or the force grows.  True when the
/// string converged.
template <class Energy>
bool relax_string(const Energy& E, double dt, std::vector<vector>& s, std::vector<vector>& g,
                  const find_saddle_options& options, saddle_result& r) {
  const std::size_t n = s.size();
  g.assign(n, vector());
  double prev_force = std::numeric_limits<double>::infinity();
  for (int it = 0; it < options.max_iterations; ++it) {
    r.iterations = it + 1;
    double fmax = 0, gmax = 0;
    bool finite = true;
    for (std::size_t i = 0; i < n; ++i) {
      g[i] = E.grad(s[i]);
      ++r.evaluations;
      if (!g[i].allFinite()) finite = false;
    }
    if (!finite) {
      dt *= 0.5;
      respace(s);
      continue;
    }
    for (std::size_t i = 1; i + 1 < n; ++i) {
      vector tau = s[i + 1] - s[i - 1];
      const double tn = tau.norm();
      if (tn > 0) tau /= tn;
      fmax = std::max(fmax, (g[i] - g[i].dot(tau) * tau).norm());
      gmax = std::max(gmax, g[i].norm());
    }
    if (fmax > 2 * prev_force) dt *= 0.5;  // oscillation: too large a step
    prev_force = fmax;
    const std::vector<vector> old = s;
    for (std::size_t i = 1; i + 1 < n; ++i) s[i] -= dt * g[i];
    respace(s);
    // Converged when the string no longer moves: the displacement of a step, over that of a
    // free gradient step, is the normal force relative to the gradient at the discrete level.
    double moved = 0;
    for (std::size_t i = 1; i + 1 < n; ++i) moved = std::max(moved, (s[i] - old[i]).norm());
    if (moved <= options.string_tolerance * dt * std::max(gmax, 1e-300)) return true;
  }
  return false;
}

/// The highest interior image, by the trapezoidal line integral of the gradient g along s.
template <class = void>
std::size_t highest_image(const std::vector<vector>& s, const std::vector<vector>& g) {
  const std::size_t n = s.size();
  std::size_t top = 0;
  double e = 0, emax = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) e += 0.5 * (g[i] + g[i - 1]).dot(s[i] - s[i - 1]);
    if (i > 0 && i + 1 < n && e > emax) {
      emax = e;
      top = i;
    }
  }
  return top;
}

/// Newton on ∇E = 0 from x, backtracking on ‖∇E‖, steps ≤ `spacing`: r.saddle, r.gradient;
/// returns the Jacobian at the point reached.
template <class Energy>
matrix refine_saddle(const Energy& E, vector x, double spacing, const find_saddle_options& options, saddle_result& r) {
  vector gx = E.grad(x);
  matrix H = E.jac(x);
  for (int k = 0; k < options.newton_iterations && gx.lpNorm<Eigen::Infinity>() > options.gradient_tolerance; ++k) {
    const matrix S = 0.5 * (H + H.transpose());
    vector d = -Eigen::PartialPivLU<matrix>(S).solve(gx);
    if (!d.allFinite()) break;
    if (d.norm() > spacing) d *= spacing / d.norm();
    double t = 1;
    bool ok = false;
    for (int m = 0; m < 40; ++m, t *= 0.5) {
      const vector y = x + t * d;
      const vector gy = E.grad(y);
      ++r.evaluations;
      if (gy.allFinite() && gy.norm() < gx.norm()) {
        x = y;
        gx = gy;
        ok = true;
        break;
      }
    }
    if (!ok) break;
    H = E.jac(x);
  }
  r.saddle = x;
  r.gradient = gx;
  return H;
}

/// The number of negative eigenvalues of the symmetrized H (relative threshold 1e-10).
template <class = void>
int count_negative_eigenvalues(const matrix& H) {
  const matrix S = 0.5 * (H + H.transpose());
  const vector ev = Eigen::SelfAdjointEigenSolver<matrix>(S, Eigen::EigenvaluesOnly).eigenvalues();
  const double scale = std::max(ev.cwiseAbs().maxCoeff(), 1e-300);
  return static_cast<int>((ev.array() < -1e-10 * scale).count());
}

/// The string method, then Newton from its highest image; barriers and status.
template <class Energy>
saddle_result run(std::string_view fn, const Energy& E, const vector& a, const vector& b, const find_saddle_options& options) {
  saddle_result r;
  const std::size_t n = static_cast<std::size_t>(options.images);
  std::vector<vector> s = straight_string(a, b, n), g;
  const bool converged = relax_string(E, initial_step(E, a, b), s, g, options, r);
  r.path = s;
  const double spacing = (b - a).norm() / static_cast<double>(n - 1);
  const matrix H = refine_saddle(E, s[highest_image(s, g)], spacing, options, r);
  r.negative_eigenvalues = count_negative_eigenvalues(H);
  r.barrier_from_a = E.rise(fn, a, r.saddle);
  r.barrier_from_b = E.rise(fn, b, r.saddle);
  if (!converged)
    record_status(r, status::max_iterations,
                  message(fn, "the string did not converge in ", options.max_iterations, " steps (refined anyway)"));
  if (r.gradient.lpNorm<Eigen::Infinity>() > options.gradient_tolerance)
    record_status(r, status::not_converged,
                  message(fn, "Newton refinement stopped at |grad|_inf = ", r.gradient.lpNorm<Eigen::Infinity>()));
  if (r.negative_eigenvalues != 1)
    record_status(r, status::not_converged,
                  message(fn, "the stationary point found has ", r.negative_eigenvalues,
                          " negative Hessian eigenvalues, not 1: not an index-1 saddle"));
  return r;
}

}  // namespace detail::saddle_impl

/// The index-1 saddle of U between the minima a and b (see the header comment).
template <class Loss>
  requires loss_function<Loss>
saddle_result find_saddle(const Loss& loss, const vector& a, const vector& b, const find_saddle_options& options = {}) {
  constexpr std::string_view fn = "find_saddle";
  detail::saddle_impl::check(fn, a, b, options);
  require_dimension(fn, "a", loss, a.size());
  return detail::as_called_by(fn, [&] {
    return detail::saddle_impl::run(fn, detail::saddle_impl::loss_energy<Loss>{loss}, a, b, options);
  });
}

/// The index-1 saddle of the effective potential v at T between its minima a and b.
template <class Loss, class Noise>
  requires loss_function<Loss> && diffusion_model<Noise>
saddle_result find_potential_saddle(const Loss& loss, const Noise& noise, double T, const vector& a, const vector& b,
                                    const find_saddle_options& options = {}) {
  constexpr std::string_view fn = "find_potential_saddle";
  require_temperature(fn, T);
  detail::saddle_impl::check(fn, a, b, options);
  require_dimension(fn, "a", loss, a.size());
  require_dimension(fn, "a", noise, a.size());
  return detail::as_called_by(fn, [&] {
    return detail::saddle_impl::run(fn, detail::saddle_impl::potential_energy<Loss, Noise>{loss, noise, T}, a, b, options);
  });
}

}  // namespace shiftcurv
