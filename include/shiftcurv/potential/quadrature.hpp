// shiftcurv/potential/quadrature.hpp — the result type of a scalar quadrature.
//
//   shiftcurv::quadrature_result r = steady.expectation([](double th) { return th * th; });
//   if (r) use(r.value, r.error_estimate);     // r.status says whether the tolerance was met
//
// `error_estimate` is an estimate of |value − exact| (absolute) from the quadrature rule
// (Gauss–Kronrod: |Kronrod − Gauss| summed over the leaves, a conservative bound for smooth
// integrands); `evaluations` counts integrand evaluations.
#pragma once

#include "shiftcurv/core/status.hpp"

namespace shiftcurv {

struct quadrature_result : result_base {
  double value = 0;
  double error_estimate = 0;
};

}  // namespace shiftcurv
