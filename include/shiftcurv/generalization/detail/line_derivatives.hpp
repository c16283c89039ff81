// Internal: derivatives of f(t) = U(θ + t·u) at t = 0 up to order 8, for the eq-31 series.
//  - loss templated on its scalar (accepting nested duals of depth 4 or 8): exact, one
//    evaluation with every nesting level seeded with u (the coefficient of ε_1…ε_k is ∂_t^k f);
//  - otherwise central finite differences with O(h²) stencils (Fornberg weights), step
//    h_j = ε^{1/(j+2)}·length, and a Richardson error estimate |d(h) − d(2h)|/3 plus rounding.
#pragma once

#include <cmath>
#include <concepts>
#include <limits>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "shiftcurv/core/dual.hpp"
#include "shiftcurv/core/types.hpp"

namespace shiftcurv::detail::line_curvature_impl {

template <int Depth>
struct nested_dual {
  using type = dual<typename nested_dual<Depth - 1>::type>;
};
template <>
struct nested_dual<0> {
  using type = double;
};
template <int Depth>
using nested_dual_t = typename nested_dual<Depth>::type;

/// f accepts a vector of depth-`Depth` nested duals and returns that type.
template <class F, int Depth>
concept nested_dual_loss = requires(const F& f, const vector_of<nested_dual_t<Depth>>& x) {
  { f(x) } -> std::same_as<nested_dual_t<Depth>>;
};

// a + u·(ε_1 + … + ε_Depth)
template <class T>
T seed_line(double a, double u) {
  if constexpr (std::is_same_v<T, double>) {
    (void)u;
    return a;
  } else {
    using inner = typename T::value_type;
    return T(seed_line<inner>(a, u), inner(u));
  }
}

// The coefficient of the k outermost ε's: ∂_t^k f.
template <class T>
double line_component(const T& y, int k) {
  if constexpr (std::is_same_v<T, double>) {
    return y;
  } else {
    return k > 0 ? line_component(y.tangent(), k - 1) : value_of(y);
  }
}

struct line_derivative_values {
  std::vector<double> derivative;  ///< ∂_t^j f(0), j = 0..order
  std::vector<double> error;       ///< error estimate of each (0 for the exact route)
  bool exact = false;
  long evaluations = 0;
};

template <int Depth, class F>
line_derivative_values line_derivatives_ad(const F& f, const vector& theta, const vector& u, int order) {
  using D = nested_dual_t<Depth>;
  vector_of<D> x(theta.size());
  for (index i = 0; i < theta.size(); ++i) x(i) = seed_line<D>(theta(i), u(i));
  const D y = f(x);
  line_derivative_values out;
  out.exact = true;
  out.evaluations = 1;
  for (int j = 0; j <= order; ++j) {
    out.derivative.push_back(line_component(y, j));
    out.error.push_back(0.0);
  }
  return out;
}

/// Fornberg (1988) weights for the m-th derivative at 0 on the nodes `x`, m = 0..M.
/// Returns w[m][i].
inline std::vector<std::vector<double>> fornberg_weights(const std::vector<double>& x, int M) {
  const int n = static_cast<int>(x.size()) - 1;
  std::vector<std::vector<double>> c(x.size(), std::vector<double>(static_cast<std::size_t>(M) + 1, 0.0));
  double c1 = 1, c4 = x[0];
  c[0][0] = 1;
  for (int i = 1; i <= n; ++i) {
    const int mn = std::min(i, M);
    double c2 = 1;
    const double c5 = c4;
    c4 = x[static_cast<std::size_t>(i)];
    for (int j = 0; j < i; ++j) {
      const double c3 = x[static_cast<std::size_t>(i)] - x[static_cast<std::size_t>(j)];
      c2 *= c3;
      auto& ci = c[static_cast<std::size_t>(i)];
      auto& cj = c[static_cast<std::size_t>(j)];
      if (j == i - 1) {
        const auto& cp = c[static_cast<std::size_t>(i - 1)];
        for (int k = mn; k >= 1; --k)
          ci[static_cast<std::size_t>(k)] = c1 * (k * cp[static_cast<std::size_t>(k - 1)] - c5 * cp[static_cast<std::size_t>(k)]) / c2;
        ci[0] = -c1 * c5 * cp[0] / c2;
      }
      for (int k = mn; k >= 1; --k)
        cj[static_cast<std::size_t>(k)] = (c4 * cj[static_cast<std::size_t>(k)] - k * cj[static_cast<std::size_t>(k - 1)]) / c3;
      cj[0] = c4 * cj[0] / c3;
    }
    c1 = c2;
  }
  std::vector<std::vector<double>> w(static_cast<std::size_t>(M) + 1, std::vector<double>(x.size()));
  for (std::size_t i = 0; i < x.size(); ++i)
    for (int m = 0; m <= M; ++m) w[static_cast<std::size_t>(m)][i] = c[i][static_cast<std::size_t>(m)];
  return w;
}

template <class F>
line_derivative_values line_derivatives_fd(const F& f, const vector& theta, const vector& u, int order,
                                           double length) {
  constexpr double eps = std::numeric_limits<double>::epsilon();
  line_derivative_values out;
  long evals = 0;
  auto at = [&](double t) {
    ++evals;
    return static_cast<double>(f(vector(theta + t * u)));
  };
  const double f0 = at(0.0);
  out.derivative.push_back(f0);
  out.error.push_back(0.0);
  for (int j = 1; j <= order; ++j) {
    const int m = (j + 1) / 2;  // 2m+1 nodes: the smallest O(h²) central stencil
    std::vector<double> nodes;
    for (int k = -m; k <= m; ++k) nodes.push_back(static_cast<double>(k));
    const auto w = fornberg_weights(nodes, j)[static_cast<std::size_t>(j)];
    const double h = std::pow(eps, 1.0 / (j + 2)) * length;
    auto stencil = [&](double step, double& magnitude) {
      double s = 0, a = 0;
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (w[i] == 0) continue;
        const double fi = nodes[i] == 0 ? f0 : at(nodes[i] * step);
        s += w[i] * fi;
        a += std::abs(w[i] * fi);
      }
      magnitude = a / std::pow(step, j);
      return s / std::pow(step, j);
    };
    double mag1 = 0, mag2 = 0;
    const double d1 = stencil(h, mag1);
    const double d2 = stencil(2 * h, mag2);
    out.derivative.push_back(d1);
    out.error.push_back(std::abs(d1 - d2) / 3 + 4 * eps * mag1);
  }
  out.evaluations = evals;
  return out;
}

/// ∂_t^j f(0), j = 0..order (order ≤ 8), by the best route for F.
template <class F>
line_derivative_values line_derivatives(const F& f, const vector& theta, const vector& u, int order,
                                        double length) {
  if constexpr (nested_dual_loss<F, 8>) {
    if (order <= 4) {
      if constexpr (nested_dual_loss<F, 4>) return line_derivatives_ad<4>(f, theta, u, order);
    }
    return line_derivatives_ad<8>(f, theta, u, order);
  } else {
    return line_derivatives_fd(f, theta, u, order, length);
  }
}

}  // namespace shiftcurv::detail::line_curvature_impl
