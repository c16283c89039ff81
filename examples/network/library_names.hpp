// examples/network/library_names.hpp — the network example code lives in its own namespace,
// shiftcurv_examples::network (example code, not the library's API), and is written with the
// library's names unqualified, as the library's own code is.
#pragma once

#include <shiftcurv/core/types.hpp>

namespace shiftcurv_examples::network {
using namespace shiftcurv;
// Declared here so that they win over ::index (<strings.h>) and the like, which the directive
// alone would leave ambiguous.
using shiftcurv::index;
using shiftcurv::matrix;
using shiftcurv::vector;
}  // namespace shiftcurv_examples::network
