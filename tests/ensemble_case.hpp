// The 2-D case of the generic ensemble's bit-identity tests: the same particles run on 1, 2, 3
// threads (tests/dynamics/ensemble.cpp) and split over MPI ranks (tests/mpi/ranks/test_mpi.cpp)
// must give the serial run's observers bit for bit.  A coupled quadratic with a non-diagonal
// constant D at T = 0.3, uniform start on [-1, 1]², Milstein steps of 0.05 to t = 1, observed at
// t = 0.5 and 1: occupancy of θ₀ < 0, the mean of U, a histogram of θ₀ on [-2, 2].
// Construct it in place and do not copy it (its mean observer refers to its own U).
#pragma once

#include <Eigen/Dense>

#include "shiftcurv/dynamics/ensemble.hpp"
#include "shiftcurv/dynamics/langevin_system.hpp"
#include "shiftcurv/dynamics/observers.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"

namespace test_support {

struct ensemble_case {
  static Eigen::MatrixXd hessian() {
    Eigen::MatrixXd H(2, 2);
    H << 2, 0.5, 0.5, 1;
    return H;
  }
  static Eigen::MatrixXd diffusion() {
    Eigen::MatrixXd D(2, 2);
    D << 1, 0.3, 0.3, 0.5;
    return D;
  }

  shiftcurv::quadratic U{hessian()};
  shiftcurv::constant_diffusion D{diffusion()};
  decltype(shiftcurv::langevin_system(U, D, 0.3)) sys = shiftcurv::langevin_system(U, D, 0.3);
  shiftcurv::initial_uniform init{shiftcurv::vector::Constant(2, -1), shiftcurv::vector::Constant(2, 1)};

  ensemble_case() = default;
  ensemble_case(const ensemble_case&) = delete;
  ensemble_case& operator=(const ensemble_case&) = delete;

  shiftcurv::ensemble_options options(unsigned threads) const {
    shiftcurv::ensemble_options o;
    o.particles = 300;
    o.dt = 0.05;
    o.t_end = 1.0;
    o.observe_at = {0.5, 1.0};
    o.seed = 4;
    o.threads = threads;
    o.progress = false;
    return o;
  }

  auto observers() const {
    return shiftcurv::observe_all(shiftcurv::basin_occupancy_observer({0.0}, 1),
                                  shiftcurv::mean_observer({[this](const shiftcurv::vector& x) { return U(x); }}),
                                  shiftcurv::histogram_observer(-2, 2, 10));
  }
};

}  // namespace test_support
