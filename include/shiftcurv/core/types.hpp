// shiftcurv/core/types.hpp — Eigen aliases used throughout.
//
//   shiftcurv::vector theta(2); theta << 0.5, -1.0;
//   shiftcurv::matrix D = shiftcurv::matrix::Identity(2, 2);
//
// A convention of the whole library: some functions that need no template parameter are
// written `template <class = void>` (a template of nothing).  An inline function is compiled in
// every translation unit that includes its header; a template is instantiated only where it is
// called.  The heavy ones (Eigen factorizations, eigen-solvers) are written that way so that
// including the umbrella header (shiftcurv.hpp) stays cheap to compile for programs that do not
// call them.
#pragma once

#include <Eigen/Core>

namespace shiftcurv {

using index = Eigen::Index;
using vector = Eigen::VectorXd;
using matrix = Eigen::MatrixXd;

template <class Scalar, int N = Eigen::Dynamic>
using vector_of = Eigen::Matrix<Scalar, N, 1>;

template <class Scalar, int N = Eigen::Dynamic>
using matrix_of = Eigen::Matrix<Scalar, N, N>;

}  // namespace shiftcurv
