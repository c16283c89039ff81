// shiftcurv/curvature/hutchinson.hpp — tr(A) of a symmetric operator from products A·z with
// random probes z, with the estimator's standard error.
//
//   shiftcurv::hessian_operator H(loss, theta);               // curvature/linear_operator.hpp
//   auto tr = shiftcurv::hutchinson_trace(H);                  // 100 Rademacher probes, seed 0
//   std::cout << tr.value << " ± " << tr.standard_error << '\n';
//   shiftcurv::diffusion_operator D(noise, theta);
//   shiftcurv::hutchinson_trace_options o; o.probes = 400; o.seed = 3;
//   auto trD = shiftcurv::hutchinson_trace(shiftcurv::block_operator(D, off, n), o);   // one layer
//
// Estimator (Hutchinson 1989, "A stochastic estimator of the trace of the influence matrix for
// Laplacian smoothing splines"; Avron & Toledo 2011, "Randomized algorithms for estimating the
// trace of an implicit symmetric positive semi-definite matrix", J. ACM 58:8):
//   value = (1/m) Σ_{l<m} z_lᵀ A z_l,   E[value] = tr(A)  (E z zᵀ = I),
//   Var(z ᵀA z) = 2(‖A‖_F² − Σ_i A_ii²) for Rademacher z (the least of all i.i.d. probes),
//                 2‖A‖_F²                for Gaussian z,
//   standard_error = (sample standard deviation of the m values z_lᵀ A z_l)/√m — an estimate of
//   √(Var/m) from the same probes, itself noisy when m is small.
// The probes are random_probe(p, seed, l, distribution) (random/probes.hpp): reproducible,
// and the same as spectral_density's for the same seed and distribution.  Cost: m applications.
//
// Result: value, standard_error, probes, samples (the m values z_lᵀ A z_l), operator_applications
// (== evaluations).  Status: success, or numerical_issue when the operator returned NaN/Inf
// (value and standard_error are then those of the probes before it, if ≥ 2, else 0).
// Throws shiftcurv::invalid_argument naming hutchinson_trace: probes < 2.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "shiftcurv/core/detail/moments.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/curvature/linear_operator.hpp"
#include "shiftcurv/random/probes.hpp"

namespace shiftcurv {

struct hutchinson_trace_options {
  index probes = 100;                                          ///< m ≥ 2
  probe_distribution distribution = probe_distribution::rademacher;  ///< or gaussian
  std::uint64_t seed = 0;                                      ///< probe l is random_probe(p, seed, l)
};

struct hutchinson_trace_result : result_base {
  double value = 0;            ///< (1/m) Σ z_lᵀ A z_l ≈ tr(A)
  double standard_error = 0;   ///< sample sd of the z_lᵀ A z_l over √m
  index probes = 0;            ///< m (probes that entered value)
  std::vector<double> samples; ///< z_lᵀ A z_l, l < m
  long operator_applications = 0;
};

/// Hutchinson's estimate of tr(op) (see the header comment).
template <class Op>
  requires symmetric_operator<Op>
hutchinson_trace_result hutchinson_trace(const Op& op, const hutchinson_trace_options& options = {}) {
  constexpr std::string_view fn = "hutchinson_trace";
  if (options.probes < 2)
    detail::throw_invalid(fn, "options.probes must be >= 2 (the standard error needs two), got ", options.probes);
  const index p = static_cast<index>(op.size());
  if (p < 1) detail::throw_invalid(fn, "the operator has size ", p);
  hutchinson_trace_result out;
  out.samples.reserve(static_cast<std::size_t>(options.probes));
  vector y;
  for (index l = 0; l < options.probes; ++l) {
    const vector z = random_probe(p, options.seed, static_cast<std::uint64_t>(l), options.distribution);
    op.apply(z, y);
    ++out.operator_applications;
    require_size(fn, "the operator's output", y.size(), p);
    const double s = z.dot(y);
    if (!std::isfinite(s)) {
      record_status(out, status::numerical_issue,
                    detail::message(fn, "the operator returned a non-finite value on probe ", l));
      break;
    }
    out.samples.push_back(s);
  }
  out.probes = static_cast<index>(out.samples.size());
  detail::running_moments moments;  // Welford (core/detail/moments.hpp)
  for (double x : out.samples) moments.add(x);
  out.value = moments.mean;
  out.standard_error = moments.standard_error();
  out.evaluations = out.operator_applications;
  out.iterations = out.probes;
  return out;
}

}  // namespace shiftcurv
