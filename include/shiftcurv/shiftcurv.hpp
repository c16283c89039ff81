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
// IWYU pragma: end_exports
