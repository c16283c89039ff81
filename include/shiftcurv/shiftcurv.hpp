// shiftcurv/shiftcurv.hpp — the umbrella header: everything public.
//
//   #include <shiftcurv/shiftcurv.hpp>
//   shiftcurv::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5});
//   shiftcurv::constant_diffusion D(1e-3, 1);
#pragma once

// IWYU pragma: begin_exports
#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/dual.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/derivatives/per_sample.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/diffusion.hpp"
#include "shiftcurv/noise/gradient_covariance.hpp"
#include "shiftcurv/noise/matrix_field.hpp"
#include "shiftcurv/noise/overparametrized.hpp"
#include "shiftcurv/noise/scalar_field.hpp"
#include "shiftcurv/synthetic/closed_forms.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"
// steady state
#include "shiftcurv/potential/quadrature.hpp"
#include "shiftcurv/potential/potential_gradient.hpp"
#include "shiftcurv/potential/effective_potential.hpp"
#include "shiftcurv/potential/curl.hpp"
#include "shiftcurv/basins/minima.hpp"
#include "shiftcurv/basins/steady_state_1d.hpp"
#include "shiftcurv/basins/higher_order.hpp"
#include "shiftcurv/basins/gaussian_mixture.hpp"
#include "shiftcurv/basins/saddle.hpp"
#include "shiftcurv/basins/basins_2d.hpp"
// end steady state
// generalization
#include "shiftcurv/generalization/decomposition.hpp"
#include "shiftcurv/generalization/shift.hpp"
#include "shiftcurv/generalization/line_curvature.hpp"
#include "shiftcurv/generalization/reparametrization.hpp"
#include "shiftcurv/generalization/test_loss_prediction.hpp"
// end generalization
// fokker-planck
#include "shiftcurv/dynamics/fokker_planck_1d.hpp"
#include "shiftcurv/dynamics/fokker_planck_2d.hpp"
// end fokker-planck
// dynamics
#include "shiftcurv/dynamics/diffusion_validity.hpp"
#include "shiftcurv/dynamics/ensemble.hpp"
#include "shiftcurv/dynamics/langevin_1d.hpp"
#include "shiftcurv/dynamics/langevin_system.hpp"
#include "shiftcurv/dynamics/observers.hpp"
#include "shiftcurv/dynamics/random.hpp"
#include "shiftcurv/dynamics/reflecting_box.hpp"
#include "shiftcurv/dynamics/sde_steppers.hpp"
#include "shiftcurv/dynamics/sgd.hpp"
// end dynamics
// curvature (measured: + ≈0.5 s CPU for `-fsyntax-only` of a file including this header,
// the curvature headers on top of a precompiled rest; Spectra's headers are most of it)
#include "shiftcurv/curvature/linear_operator.hpp"
#include "shiftcurv/curvature/probes.hpp"
#include "shiftcurv/curvature/lanczos.hpp"
#include "shiftcurv/curvature/hutchinson.hpp"
#include "shiftcurv/curvature/spectral_density.hpp"
// the stationary covariance near a minimum (generalization/, built on Lanczos)
#include "shiftcurv/generalization/stationary_covariance.hpp"
#include "shiftcurv/generalization/test_loss_terms.hpp"
// Appendix D.1: the variance of eq-13 SGD outside the span of the per-sample gradients
#include "shiftcurv/noise/flat_directions.hpp"
// end curvature
#include "shiftcurv/io/csv.hpp"
// IWYU pragma: end_exports
