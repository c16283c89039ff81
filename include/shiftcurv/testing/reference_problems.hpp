// shiftcurv/testing/reference_problems.hpp — SDEs with known answers, for testing schemes
// and theory formulas (the problems of SciML's DiffEqProblemLibrary and the OU/Kramers
// references of the SGD theory).
//
//   namespace st = shiftcurv::testing;
//   st::geometric_brownian_motion gbm;                // du = 1.01u dt + 0.87u dW, u₀ = ½
//   auto sys = gbm.system();                          // pair (drift, diagonal diffusion)
//   st::scalar_state u = gbm.initial();
//   double exact = gbm.exact(W, 1.0)(0);              // u₀ exp(0.63155 t + 0.87 W)
//   Eigen::MatrixXd S = st::ou_stationary_covariance(H, D, T);   // HΣ + ΣHᵀ = T·D
//   double tau = st::eyring_kramers_transition_time(T);          // quartic double well
//
// Exact solutions are functions of the Brownian value W(t) only, so a scheme driven by a
// refined path (convergence.hpp) can be compared path by path.
#pragma once

#include <cmath>
#include <numbers>
#include <utility>

#include <Eigen/Core>
#include <Eigen/LU>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"

namespace shiftcurv::testing {

using scalar_state = Eigen::Matrix<double, 1, 1>;

/// du = a u dt + b u dW (Itô), u(0) = u₀; u(t) = u₀ exp((a − b²/2) t + b W(t)).
/// SciML's linear test problem: a = 1.01, b = 0.87, u₀ = ½ (so a − b²/2 = 0.63155).
struct geometric_brownian_motion {
  double a = 1.01, b = 0.87, u0 = 0.5;
  auto system() const {
    return std::make_pair([a = a](const scalar_state& x, scalar_state& f) { f(0) = a * x(0); },
                          [b = b](const scalar_state& x, scalar_state& g) { g(0) = b * x(0); });
  }
  scalar_state initial() const { return scalar_state::Constant(u0); }
  scalar_state exact(const Eigen::VectorXd& W, double t) const {
    return scalar_state::Constant(u0 * std::exp((a - 0.5 * b * b) * t + b * W(0)));
  }
  double mean(double t) const { return u0 * std::exp(a * t); }
  double second_moment(double t) const { return u0 * u0 * std::exp((2 * a + b * b) * t); }
};

/// du = −¼u(1−u²) dt + ½(1−u²) dW, u(0) = u₀; u(t) = tanh(W(t)/2 + atanh u₀).
struct cubic_problem {
  double u0 = 0.5;
  auto system() const {
    return std::make_pair([](const scalar_state& x, scalar_state& f) { f(0) = -0.25 * x(0) * (1 - x(0) * x(0)); },
                          [](const scalar_state& x, scalar_state& g) { g(0) = 0.5 * (1 - x(0) * x(0)); });
  }
  scalar_state initial() const { return scalar_state::Constant(u0); }
  scalar_state exact(const Eigen::VectorXd& W, double /*t*/) const {
    return scalar_state::Constant(std::tanh(0.5 * W(0) + std::atanh(u0)));
  }
};

/// Additive, time-dependent noise (SciML's additive test problem):
/// dX = (β/√(1+t) − X/(2(1+t))) dt + αβ/√(1+t) dW, X(t) = X₀/√(1+t) + β(t + αW(t))/√(1+t).
struct additive_noise_problem {
  double alpha = 0.1, beta = 0.05, x0 = 0.5;
  auto system() const {
    return std::make_pair(
        [beta = beta](const scalar_state& x, scalar_state& f, double t) {
          f(0) = beta / std::sqrt(1 + t) - x(0) / (2 * (1 + t));
        },
        [alpha = alpha, beta = beta](const scalar_state&, scalar_state& g, double t) { g(0) = alpha * beta / std::sqrt(1 + t); });
  }
  scalar_state initial() const { return scalar_state::Constant(x0); }
  scalar_state exact(const Eigen::VectorXd& W, double t) const {
    return scalar_state::Constant((x0 + beta * (t + alpha * W(0))) / std::sqrt(1 + t));
  }
  double mean(double t) const { return (x0 + beta * t) / std::sqrt(1 + t); }
};

/// Σ solving H Σ + Σ Hᵀ = T·D: the stationary covariance of dθ = −Hθ dt + √(T D) dW
/// (Ornstein–Uhlenbeck), for any H whose eigenvalues have positive real parts.  When HD ≠ DH
/// the steady state carries a probability current and Σ ≠ (T/2) D H⁻¹.  Solved as the p²×p²
/// Kronecker system (I⊗H + H⊗I) vec Σ = T vec D by LU (small p).  Throws invalid_argument on
/// size mismatch, domain_error unless T > 0.
/// (A template of nothing: see core/types.hpp.)
template <class = void>
Eigen::MatrixXd ou_stationary_covariance(const Eigen::MatrixXd& H, const Eigen::MatrixXd& D, double T) {
  constexpr const char* fn = "testing::ou_stationary_covariance";
  require_temperature(fn, T);
  const index p = H.rows();
  if (H.cols() != p || D.rows() != p || D.cols() != p)
    detail::throw_invalid(fn, "H and D must be square of the same size, got ", H.rows(), "x", H.cols(), " and ",
                          D.rows(), "x", D.cols());
  Eigen::MatrixXd K = Eigen::MatrixXd::Zero(p * p, p * p);
  const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(p, p);
  for (index i = 0; i < p; ++i)
    for (index j = 0; j < p; ++j) {
      K.block(i * p, j * p, p, p) += I(i, j) * H;  // I ⊗ H (column-major vec)
      K.block(i * p, j * p, p, p) += H(i, j) * I;  // H ⊗ I
    }
  const Eigen::VectorXd rhs = T * Eigen::Map<const Eigen::VectorXd>(D.data(), p * p);
  const Eigen::VectorXd s = K.partialPivLu().solve(rhs);
  Eigen::MatrixXd S = Eigen::Map<const Eigen::MatrixXd>(s.data(), p, p);
  return 0.5 * (S + S.transpose());
}

/// The quartic double well U(θ) = θ⁴/4 − θ²/2 (minima ±1, saddle 0, barrier ¼) under
/// dθ = −U' dt + √(T·d) dW: the Eyring–Kramers mean transition time from one minimum to the
/// other, 2π/√(U''(±1)|U''(0)|) · exp(ΔU/ε) with ε = T·d/2, i.e. √2·π·exp(1/(2Td)).  It is
/// the leading term as ε → 0; the relative correction is O(ε) (Bovier, Gayrard & Klein 2004).
inline double eyring_kramers_transition_time(double T, double d = 1.0) {
  require_temperature("testing::eyring_kramers_transition_time", T);
  require_positive("testing::eyring_kramers_transition_time", "d", d);
  const double eps = T * d / 2;
  return 2 * std::numbers::pi / std::sqrt(2.0 * 1.0) * std::exp(0.25 / eps);
}

}  // namespace shiftcurv::testing
