// examples/network/mlp_cuda.hpp — the CUDA backend of the network loss (issue 10).
//
// The same loss as the CPU backend network::mlp_loss (examples/network/mlp.hpp): a tanh MLP
// with a softmax cross-entropy head on a labeled data set, plus (alpha/2)|theta|^2, and the
// quantities the library needs of it: mean value, mean gradient, per-sample gradients,
// Hessian-vector product, D·v (D = population covariance of the per-sample cross-entropy
// gradients, never formed) and trace(D).
//
//   std::vector<long> widths{64, 128, 128, 10};
//   shiftcurv_examples::network::mlp_cuda gpu(widths, X.data(), labels.data(), N, 1e-3);
//   std::vector<double> g(gpu.dimension());
//   gpu.mean_gradient(theta.data(), g.data());
//
// Parameter layout (as the CPU backend): for each layer l = 1..L in order, W_l row-major
// (out_l × in_l), then b_l (out_l).  Data: `features` is n_0 × N column-major (column j =
// sample j), labels in [0, n_L).
//
// This header includes no CUDA header (the implementation is behind a pointer), so it can be
// used from code compiled by the host compiler alone; link the static library
// shiftcurv_mlp_cuda (built from mlp_cuda.cu and mlp_cuda_engine.cu).  The data set is copied
// to the device once, in the constructor; every buffer is allocated there too (the N × p per-sample gradient matrix
// lazily, on first use).  Each operation's fixed sequence of kernels and cuBLAS calls is
// captured once into a CUDA Graph and replayed.
//
// Errors: a failing CUDA or cuBLAS call throws std::runtime_error naming the call and the
// error string; bad sizes or labels throw std::invalid_argument naming `mlp_cuda` and the
// value (checked before any CUDA call, so also on a machine without a GPU).
//
// Not thread-safe: one object uses one CUDA stream and one cuBLAS handle; the results of one
// call are overwritten by the next.
#pragma once

#include <memory>
#include <vector>

namespace shiftcurv_examples::network {

namespace detail {
class mlp_cuda_impl;  // defined in mlp_cuda_impl.hpp
}

/// The arithmetic of the device computation.  float32: parameters, activations and the
/// matrix products in float; the reductions (loss, u_i, |g_i|^2, trace) accumulate in
/// double; the interface stays double either way.
enum class cuda_precision { float64, float32 };

/// The operations of the device-resident interface (upload, run, synchronize).
enum class cuda_op {
  value,             ///< U(θ) = mean cross-entropy + (α/2)|θ|²
  gradient,          ///< ∇U(θ)
  hvp,               ///< ∇²U(θ) v                                   (needs v)
  sample_gradients,  ///< the N × p matrix of per-sample gradients (cross-entropy + αθ)
  covariance_apply,  ///< D v                                         (needs v)
  covariance_trace,  ///< trace(D)
  accuracy,          ///< fraction of samples whose arg-max logit is the label
};

/// A printable name of an op ("value", "gradient", ...).
const char* to_string(cuda_op op) noexcept;

class mlp_cuda {
 public:
  /// widths = {n_0, n_1, ..., n_L} (L >= 1, all > 0); features: n_0 × n column-major;
  /// labels: n values in [0, n_L); alpha >= 0 (the ℓ2 weight).
  mlp_cuda(std::vector<long> widths, const double* features, const int* labels, long n,
           double alpha, cuda_precision precision = cuda_precision::float64);
  ~mlp_cuda();
  mlp_cuda(mlp_cuda&&) noexcept;
  mlp_cuda& operator=(mlp_cuda&&) noexcept;
  mlp_cuda(const mlp_cuda&) = delete;
  mlp_cuda& operator=(const mlp_cuda&) = delete;

  /// Whether a CUDA device can be used (cudaGetDeviceCount > 0); never throws.
  static bool device_available() noexcept;

  long num_samples() const;
  long dimension() const;  ///< p = Σ_l n_l (n_{l-1} + 1)
  const std::vector<long>& widths() const;
  double alpha() const;
  cuda_precision precision() const;

  // ---- host interface: θ, v and the results are host arrays of doubles --------------------
  double mean_value(const double* theta);
  void mean_gradient(const double* theta, double* out);          ///< out: p values
  /// G: N × p column-major (Eigen's default), row i = g_iᵀ (cross-entropy part + αθ).
  void sample_gradients(const double* theta, double* G);
  /// Rows `rows[0..count)` of the per-sample gradient matrix into out (count × p,
  /// column-major); for nets whose full matrix is too large to copy to the host.
  void sample_gradient_rows(const double* theta, const long* rows, long count, double* out);
  void mean_hvp(const double* theta, const double* v, double* out);
  void covariance_apply(const double* theta, const double* v, double* out);  ///< D v
  double covariance_trace(const double* theta);
  double accuracy(const double* theta);

  // ---- device-resident interface, for benchmarks: results stay on the device (download) ----
  /// Copies θ (and v, unless null) into the device buffers the ops read.
  void upload(const double* theta, const double* v = nullptr);
  /// Enqueues op on the object's stream (a CUDA Graph replay, captured on the op's first
  /// run); returns without waiting.  hvp and covariance_apply need a v uploaded before.
  void run(cuda_op op);
  /// Waits for everything enqueued.
  void synchronize();
  /// Copies the result of the last `run` (of this interface or of a host-interface call) to
  /// out, after waiting for it: 1 value (value, covariance_trace, accuracy), p (gradient, hvp,
  /// covariance_apply) or N × p column-major (sample_gradients).  Throws std::logic_error
  /// naming `mlp_cuda::download` when nothing has run yet.
  void download(double* out);
  /// Graphs on (default) or off (every run enqueues the kernels one by one): for measuring
  /// what the graphs save, and for telling a capture problem from a kernel problem.
  void use_graphs(bool on);

 private:
  std::unique_ptr<detail::mlp_cuda_impl> impl_;
  detail::mlp_cuda_impl& self() const;
};

}  // namespace shiftcurv_examples::network
