// Small helpers shared by several test files.  Test sources are compiled as unity builds (a few
// files per translation unit), so a helper defined in two files' anonymous namespaces would be
// defined twice: shared helpers live here instead.
#pragma once

#include <exception>
#include <string>

#include <doctest/doctest.h>
#include <shiftcurv/core/types.hpp>

namespace test_support {

/// The 2-vector (a, b).
inline shiftcurv::vector v2(double a, double b) {
  shiftcurv::vector v(2);
  v << a, b;
  return v;
}

/// Checks that call() throws and that the message starts with "shiftcurv::<fn>:" — the
/// function the user called.
inline constexpr auto throws_naming = [](const auto& call, const std::string& fn) {
  try {
    call();
  } catch (const std::exception& e) {
    const std::string w = e.what();
    CAPTURE(w);
    CHECK(w.rfind("shiftcurv::" + fn + ":", 0) == 0);
    return;
  }
  FAIL("no exception");
};

}  // namespace test_support
