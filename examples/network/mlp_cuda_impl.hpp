// examples/network/mlp_cuda_impl.hpp — what the interface (mlp_cuda.cu) sees of the engine: the
// precision-independent base of the implementation and the factory of engines (one per
// precision, mlp_cuda_engine.cuh).  No CUDA header: host code.
#pragma once

#include <memory>
#include <vector>

#include "mlp_cuda.hpp"

namespace shiftcurv_examples::network::detail {

constexpr int kOps = 7;  // the values of cuda_op

class mlp_cuda_impl {
 public:
  std::vector<long> widths;
  long N = 0;
  long p = 0;
  double alpha = 0;
  cuda_precision precision = cuda_precision::float64;
  bool graphs = true;
  int last_op = -1;  // the cuda_op of the last run (mlp_cuda::download), -1 before any

  virtual ~mlp_cuda_impl() = default;
  virtual void upload(const double* theta, const double* v) = 0;
  virtual void run(cuda_op op) = 0;
  virtual void synchronize() = 0;
  virtual double scalar_result() = 0;                 // after value / trace / accuracy
  virtual void vector_result(double* out) = 0;        // after gradient / hvp / covariance_apply
  virtual void matrix_result(double* G) = 0;          // after sample_gradients
  virtual void rows_result(const long* rows, long count, double* out) = 0;
};

/// The engine of `precision` on validated arguments (mlp_cuda's constructor checks them): the
/// device buffers allocated, the data uploaded.
std::unique_ptr<mlp_cuda_impl> make_mlp_cuda_engine(const std::vector<long>& widths, const double* features,
                                                    const int* labels, long n, double alpha,
                                                    cuda_precision precision);

}  // namespace shiftcurv_examples::network::detail
