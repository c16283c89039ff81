// examples/network/mlp_cuda.cu — the CUDA backend of mlp_cuda.hpp: the interface.  It checks
// the arguments and hands the work to the engine of the precision (mlp_cuda_impl.hpp; the
// engine: mlp_cuda_engine.cuh/.cu, its kernels: mlp_cuda_kernels.cuh).
#include "mlp_cuda.hpp"

#include <cuda_runtime.h>

#include <cmath>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlp_cuda_impl.hpp"

namespace shiftcurv_examples::network {

namespace {

template <class... Parts>
[[noreturn]] void invalid(const Parts&... parts) {
  std::ostringstream s;
  s << "mlp_cuda: ";
  (s << ... << parts);
  throw std::invalid_argument(s.str());
}

}  // namespace

const char* to_string(cuda_op op) noexcept {
  switch (op) {
    case cuda_op::value: return "value";
    case cuda_op::gradient: return "gradient";
    case cuda_op::hvp: return "hvp";
    case cuda_op::sample_gradients: return "sample_gradients";
    case cuda_op::covariance_apply: return "covariance_apply";
    case cuda_op::covariance_trace: return "covariance_trace";
    case cuda_op::accuracy: return "accuracy";
  }
  return "unknown";
}

// ---- mlp_cuda -------------------------------------------------------------------------------

mlp_cuda::mlp_cuda(std::vector<long> widths, const double* features, const int* labels, long n,
                   double alpha, cuda_precision precision) {
  if (widths.size() < 2) invalid("widths needs at least 2 entries (input and output), got ", widths.size());
  long long p = 0;
  for (size_t l = 0; l < widths.size(); ++l) {
    if (widths[l] <= 0 || widths[l] > (1L << 20))
      invalid("widths[", l, "] must be in [1, 2^20], got ", widths[l]);
    if (l > 0) p += static_cast<long long>(widths[l]) * (widths[l - 1] + 1);
  }
  if (n <= 0 || n > std::numeric_limits<int>::max())
    invalid("the number of samples must be in [1, 2^31), got ", n);
  if (p > std::numeric_limits<int>::max()) invalid("the dimension p must be < 2^31, got ", p);
  if (!features) invalid("features is null");
  if (!labels) invalid("labels is null");
  if (!(alpha >= 0) || !std::isfinite(alpha)) invalid("alpha must be finite and >= 0, got ", alpha);
  if (precision != cuda_precision::float64 && precision != cuda_precision::float32)
    invalid("unknown precision ", static_cast<int>(precision));
  const long classes = widths.back();
  for (long i = 0; i < n; ++i)
    if (labels[i] < 0 || labels[i] >= classes)
      invalid("label of sample ", i, " must be in [0, ", classes, "), got ", labels[i]);
  for (long long t = 0; t < static_cast<long long>(n) * widths[0]; ++t)
    if (!std::isfinite(features[t]))
      invalid("feature ", t % widths[0], " of sample ", t / widths[0], " is not finite: ", features[t]);

  impl_ = detail::make_mlp_cuda_engine(widths, features, labels, n, alpha, precision);
}

mlp_cuda::~mlp_cuda() = default;
mlp_cuda::mlp_cuda(mlp_cuda&&) noexcept = default;
mlp_cuda& mlp_cuda::operator=(mlp_cuda&&) noexcept = default;

detail::mlp_cuda_impl& mlp_cuda::self() const {
  if (!impl_) throw std::logic_error("mlp_cuda: used after being moved from");
  return *impl_;
}

bool mlp_cuda::device_available() noexcept {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return count > 0;
}

long mlp_cuda::num_samples() const { return self().N; }
long mlp_cuda::dimension() const { return self().p; }
const std::vector<long>& mlp_cuda::widths() const { return self().widths; }
double mlp_cuda::alpha() const { return self().alpha; }
cuda_precision mlp_cuda::precision() const { return self().precision; }

double mlp_cuda::mean_value(const double* theta) {
  upload(theta);
  run(cuda_op::value);
  return self().scalar_result();
}

void mlp_cuda::mean_gradient(const double* theta, double* out) {
  upload(theta);
  run(cuda_op::gradient);
  self().vector_result(out);
}

void mlp_cuda::sample_gradients(const double* theta, double* G) {
  upload(theta);
  run(cuda_op::sample_gradients);
  self().matrix_result(G);
}

void mlp_cuda::sample_gradient_rows(const double* theta, const long* rows, long count,
                                    double* out) {
  if (count <= 0) invalid("sample_gradient_rows: count must be >= 1, got ", count);
  for (long r = 0; r < count; ++r)
    if (rows[r] < 0 || rows[r] >= num_samples())
      invalid("sample_gradient_rows: rows[", r, "] must be in [0, ", num_samples(), "), got ",
              rows[r]);
  upload(theta);
  run(cuda_op::sample_gradients);
  self().rows_result(rows, count, out);
}

void mlp_cuda::mean_hvp(const double* theta, const double* v, double* out) {
  if (!v) invalid("mean_hvp: v is null");
  upload(theta, v);
  run(cuda_op::hvp);
  self().vector_result(out);
}

void mlp_cuda::covariance_apply(const double* theta, const double* v, double* out) {
  if (!v) invalid("covariance_apply: v is null");
  upload(theta, v);
  run(cuda_op::covariance_apply);
  self().vector_result(out);
}

double mlp_cuda::covariance_trace(const double* theta) {
  upload(theta);
  run(cuda_op::covariance_trace);
  return self().scalar_result();
}

double mlp_cuda::accuracy(const double* theta) {
  upload(theta);
  run(cuda_op::accuracy);
  return self().scalar_result();
}

void mlp_cuda::upload(const double* theta, const double* v) {
  if (!theta) invalid("theta is null");
  self().upload(theta, v);
}

void mlp_cuda::run(cuda_op op) {
  if (static_cast<int>(op) < 0 || static_cast<int>(op) >= detail::kOps)
    invalid("unknown op ", static_cast<int>(op));
  self().run(op);
  self().last_op = static_cast<int>(op);
}

void mlp_cuda::download(double* out) {
  if (!out) invalid("download: out is null");
  auto& e = self();
  switch (e.last_op) {
    case static_cast<int>(cuda_op::value):
    case static_cast<int>(cuda_op::covariance_trace):
    case static_cast<int>(cuda_op::accuracy):
      *out = e.scalar_result();
      return;
    case static_cast<int>(cuda_op::gradient):
    case static_cast<int>(cuda_op::hvp):
    case static_cast<int>(cuda_op::covariance_apply):
      e.vector_result(out);
      return;
    case static_cast<int>(cuda_op::sample_gradients):
      e.matrix_result(out);
      return;
    default:
      throw std::logic_error("mlp_cuda::download: no op has run yet");
  }
}

void mlp_cuda::synchronize() { self().synchronize(); }

void mlp_cuda::use_graphs(bool on) { self().graphs = on; }

}  // namespace shiftcurv_examples::network
