// shiftcurv/core/types.hpp — Eigen aliases used throughout.
//
//   shiftcurv::vector theta(2); theta << 0.5, -1.0;
//   shiftcurv::matrix D = shiftcurv::matrix::Identity(2, 2);
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
