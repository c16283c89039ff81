// The precompiled header of the test executables (tests/CMakeLists.txt): the headers of the
// dependencies (standard library, doctest, Eigen, Boost.Math/Odeint, Random123) that the test
// files and the library headers they test include.  Parsing them costs ~7 s of CPU per
// translation unit; precompiled once per build, loading costs well under a second.
// Only dependencies belong here, never a shiftcurv header: every library header must keep
// including what it uses (tests/install_consumer and the examples, built without this file,
// check that).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <numbers>
#include <numeric>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <Eigen/OrderingMethods>
#include <Eigen/SparseCore>
#include <Eigen/SparseLU>
#include <Random123/philox.h>
#include <Random123/uniform.hpp>
#include <boost/math/quadrature/gauss.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/quadrature/tanh_sinh.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/tools/roots.hpp>
#include <boost/math/tools/toms748_solve.hpp>
#include <boost/numeric/odeint/integrate/integrate_const.hpp>
#include <boost/numeric/odeint/stepper/stepper_categories.hpp>

// Declared here, instantiated once in eigen_instantiations.cpp (not a shiftcurv header: Eigen's).
#include "eigen_instantiations.hpp"
