// examples/network/mlp_cuda_engine.cuh — the CUDA backend's engine for one precision Real
// (double or float): the device buffers, the CUDA Graphs of the ops, and each op's launch
// sequence.  Declared here, defined in mlp_cuda_engine.cu (the only user, through
// make_mlp_cuda_engine); the kernels it launches: mlp_cuda_kernels.cuh.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <array>
#include <vector>

#include "mlp_cuda_impl.hpp"

namespace shiftcurv_examples::network::detail {

template <class Real>
class mlp_cuda_engine final : public mlp_cuda_impl {
 public:
  mlp_cuda_engine(const std::vector<long>& w, const double* features, const int* labels, long n, double a,
                  cuda_precision prec);
  ~mlp_cuda_engine() override;

  void upload(const double* theta, const double* v) override;
  void run(cuda_op op) override;
  void synchronize() override;
  double scalar_result() override;
  void vector_result(double* out) override;
  void matrix_result(double* host) override;
  void rows_result(const long* rows, long count, double* out) override;

 private:
  // ---- the shape: layer widths and the offsets of W_l, b_l inside θ --------------------------
  int L = 0;
  std::vector<int> nw;
  std::vector<long> offW, offB;

  // ---- the device buffers (conventions: mlp_cuda_kernels.cuh) --------------------------------
  cudaStream_t stream = nullptr;
  cublasHandle_t handle = nullptr;
  void* workspace = nullptr;
  std::array<cudaGraphExec_t, kOps> exec{};
  std::vector<void*> allocations;

  int* labels_d = nullptr;
  std::vector<Real*> A, E, Q, RA, RE;  // indexed by layer (unused slots null)
  Real* P = nullptr;
  Real* RZL = nullptr;
  Real* S = nullptr;  // scratch, max_l n_l × N
  double* theta_d = nullptr;
  double* v_d = nullptr;
  Real* theta_r = nullptr;  // == theta_d for double
  Real* v_r = nullptr;      // == v_d for double
  Real* out_r = nullptr;
  double* out_d = nullptr;  // == out_r for double
  double* loss = nullptr;
  double* hit = nullptr;
  double* u = nullptr;
  double* g2 = nullptr;
  Real* w = nullptr;
  Real* ones = nullptr;
  double* partA = nullptr;
  double* partB = nullptr;
  double* scalar_d = nullptr;
  Real* G = nullptr;          // N × p, lazily
  double* stage_d = nullptr;  // float32 copy-out staging, lazily
  bool have_theta = false;
  bool have_v = false;

  // ---- buffers: allocation, the data's upload, release ----------------------------------------
  template <class T>
  T* alloc(long long count);
  void setup(const double* features, const int* labels);  // stream, cuBLAS, buffers, data
  void create_stream_and_cublas();
  void allocate_buffers();
  void upload_data(const double* features, const int* labels);
  void ensure_G();
  void release() noexcept;

  // ---- graphs: an op's sequence captured once, replayed after --------------------------------
  void capture(cuda_op op);

  // ---- the launch sequences --------------------------------------------------------------------
  Real* W(int l) const { return theta_r + offW[l]; }
  Real* B(int l) const { return theta_r + offB[l]; }
  Real* VW(int l) const { return v_r + offW[l]; }
  Real* VB(int l) const { return v_r + offB[l]; }
  int n() const { return static_cast<int>(N); }
  long long cells(int l) const { return static_cast<long long>(nw[l]) * N; }

  void convert_inputs(bool with_v);
  void forward();
  void backward(bool grads);
  void r_pass();
  void r_forward();
  void r_backward();
  void finish(const double* add, double coef);
  template <class T>
  void partial_sum(const T* x, long long count, bool square, double* partial);
  void combine(const double* pa, int ma, double a, const double* pb, int mb, double b);

  void record(cuda_op op);  // enqueues op's whole sequence
  void record_value();
  void record_accuracy();
  void record_gradient();
  void record_hvp();
  void record_sample_gradients();
  void record_covariance_apply();
  void record_covariance_trace();
};

}  // namespace shiftcurv_examples::network::detail
