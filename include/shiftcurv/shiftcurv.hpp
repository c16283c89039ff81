// shiftcurv/shiftcurv.hpp — the umbrella header: everything public.
//
//   #include <shiftcurv/shiftcurv.hpp>
//   shiftcurv::gaussian_wells_1d U({-1, 1}, {0.021, 0.1}, {0.1, 0.5});
//   shiftcurv::constant_diffusion D(1e-3, 1);
#pragma once

// IWYU pragma: begin_exports
// Floor by floor, bottom up (../ARCHITECTURE: core; random, derivatives, io; noise, curvature;
// potential, dynamics, fokker_planck, optimize, synthetic; basins, parallel; generalization;
// studies).  Not included: testing/ (test helpers), io/checkpoint.hpp and
// parallel/ (checkpointed jobs, MPI): include those where a program runs jobs.
// core/
#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/core/dual.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"
#include "shiftcurv/core/types.hpp"
// random/
#include "shiftcurv/random/philox.hpp"
#include "shiftcurv/random/probes.hpp"
// derivatives/
#include "shiftcurv/derivatives/autodiff.hpp"
#include "shiftcurv/derivatives/derivatives.hpp"
#include "shiftcurv/derivatives/finite_difference.hpp"
#include "shiftcurv/derivatives/per_sample.hpp"
#include "shiftcurv/derivatives/scalar_1d.hpp"
// io/
#include "shiftcurv/io/csv.hpp"
#include "shiftcurv/io/csv_table.hpp"
// noise/
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/diffusion.hpp"
#include "shiftcurv/noise/diffusion_1d.hpp"
#include "shiftcurv/noise/gradient_covariance.hpp"
#include "shiftcurv/noise/matrix_field.hpp"
#include "shiftcurv/noise/overparametrized.hpp"
#include "shiftcurv/noise/scalar_field.hpp"
// curvature/
#include "shiftcurv/curvature/hutchinson.hpp"
#include "shiftcurv/curvature/lanczos.hpp"
#include "shiftcurv/curvature/linear_operator.hpp"
#include "shiftcurv/curvature/spectral_density.hpp"
// potential/
#include "shiftcurv/potential/curl.hpp"
#include "shiftcurv/potential/effective_potential.hpp"
#include "shiftcurv/potential/potential_gradient.hpp"
#include "shiftcurv/potential/quadrature.hpp"
// dynamics/
#include "shiftcurv/dynamics/diffusion_validity.hpp"
#include "shiftcurv/dynamics/ensemble.hpp"
#include "shiftcurv/dynamics/langevin_1d.hpp"
#include "shiftcurv/dynamics/langevin_system.hpp"
#include "shiftcurv/dynamics/observers.hpp"
#include "shiftcurv/dynamics/reflecting_box.hpp"
#include "shiftcurv/dynamics/sde_steppers.hpp"
#include "shiftcurv/dynamics/sgd.hpp"
// fokker_planck/
#include "shiftcurv/fokker_planck/fokker_planck_1d.hpp"
#include "shiftcurv/fokker_planck/fokker_planck_2d.hpp"
// optimize/
#include "shiftcurv/optimize/find_minimum.hpp"
#include "shiftcurv/optimize/lbfgs.hpp"
// synthetic/
#include "shiftcurv/synthetic/closed_forms.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"
// basins/
#include "shiftcurv/basins/basins_2d.hpp"
#include "shiftcurv/basins/gaussian_mixture.hpp"
#include "shiftcurv/basins/higher_order.hpp"
#include "shiftcurv/basins/minima.hpp"
#include "shiftcurv/basins/saddle.hpp"
#include "shiftcurv/basins/steady_state_1d.hpp"
// generalization/
#include "shiftcurv/generalization/decomposition.hpp"
#include "shiftcurv/generalization/line_curvature.hpp"
#include "shiftcurv/generalization/reparametrization.hpp"
#include "shiftcurv/generalization/shift.hpp"
#include "shiftcurv/generalization/stationary_covariance.hpp"
// studies/
#include "shiftcurv/studies/covariance_curvature.hpp"
#include "shiftcurv/studies/expected_test_loss.hpp"
#include "shiftcurv/studies/flat_direction_variance.hpp"
#include "shiftcurv/studies/line_protocol.hpp"
#include "shiftcurv/studies/loss_terms.hpp"
// IWYU pragma: end_exports
