// Small helpers shared by several test files.  Test sources are compiled as unity builds (a few
// files per translation unit), so a helper defined in two files' anonymous namespaces would be
// defined twice: shared helpers live here instead.
#pragma once

#include <shiftcurv/core/types.hpp>

namespace test_support {

/// The 2-vector (a, b).
inline shiftcurv::vector v2(double a, double b) {
  shiftcurv::vector v(2);
  v << a, b;
  return v;
}

}  // namespace test_support
