// examples/network/mlp_cuda.cu — the CUDA backend of mlp_cuda.hpp.
//
// Conventions (all device matrices column-major, as cuBLAS):
//   A[l]  n_l × N   activations, A[0] = X; A[l] = tanh(W_l A[l-1] + b_l) for 1 <= l < L
//   P     n_L × N   softmax probabilities (the logits are computed in place)
//   E[l]  n_l × N   e_l = ∂ℓ_i/∂z_l (unscaled, per sample); E[L] = P - onehot
//   Q[l]  n_l × N   W_{l+1}ᵀ E[l+1] (before the tanh derivative), kept for the R-op
//   RA[l] n_l × N   R(a_l);  RZL n_L × N  R(z_L);  RE[l] n_l × N  R(e_l)
// W_l stored row-major out × in inside θ is, read column-major with leading dimension in, the
// in × out matrix W_lᵀ.  Hence:
//   Z = W A         gemm(T, N, out, N, in, W, ld in, A, ld in, Z, ld out)
//   Q = Wᵀ E        gemm(N, N, in, N, out, W, ld in, E, ld out, Q, ld in)
//   grad W (stored in × out) = A Eᵀ / N
//                   gemm(N, T, in, out, N, A, ld in, E, ld out, g, ld in)
//   grad b = E 1 / N   gemv(N, out, N, E, ld out, ones)
#include "mlp_cuda.hpp"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace shiftcurv::network {

namespace {

// ---- error checks --------------------------------------------------------------------------

void check_cuda(cudaError_t e, const char* call) {
  if (e != cudaSuccess) {
    throw std::runtime_error(std::string("mlp_cuda: ") + call + " failed: " +
                             cudaGetErrorName(e) + ": " + cudaGetErrorString(e));
  }
}

void check_cublas(cublasStatus_t s, const char* call) {
  if (s != CUBLAS_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("mlp_cuda: ") + call + " failed: " +
                             cublasGetStatusName(s) + ": " + cublasGetStatusString(s));
  }
}

#define SC_CUDA(call) check_cuda((call), #call)
#define SC_CUBLAS(call) check_cublas((call), #call)
#define SC_LAUNCHED(name) check_cuda(cudaGetLastError(), "launch of " name)

template <class... Parts>
[[noreturn]] void invalid(const Parts&... parts) {
  std::ostringstream s;
  s << "mlp_cuda: ";
  (s << ... << parts);
  throw std::invalid_argument(s.str());
}

// ---- device math -----------------------------------------------------------------------------

__device__ inline float dev_exp(float x) { return expf(x); }
__device__ inline double dev_exp(double x) { return exp(x); }
__device__ inline float dev_log(float x) { return logf(x); }
__device__ inline double dev_log(double x) { return log(x); }
__device__ inline float dev_tanh(float x) { return tanhf(x); }
__device__ inline double dev_tanh(double x) { return tanh(x); }

constexpr int kThreads = 256;        // elementwise kernels
constexpr int kReduce = 256;         // reduction kernels: blockDim.x must be exactly this
constexpr int kPartials = 264;       // blocks of the first reduction stage (2 per SM on H200)
constexpr int kMaxBlocks = 65535;

int blocks_for(long long n, int threads = kThreads) {
  long long b = (n + threads - 1) / threads;
  return static_cast<int>(std::max<long long>(1, std::min<long long>(b, kMaxBlocks)));
}

// Sum over the block (blockDim.x == kReduce); every thread gets the result.
__device__ double block_sum(double x) {
  __shared__ double s[kReduce];
  s[threadIdx.x] = x;
  __syncthreads();
  for (int off = kReduce / 2; off > 0; off >>= 1) {
    if (static_cast<int>(threadIdx.x) < off) s[threadIdx.x] += s[threadIdx.x + off];
    __syncthreads();
  }
  double r = s[0];
  __syncthreads();  // s may be reused by the next call
  return r;
}

// ---- kernels ---------------------------------------------------------------------------------

template <class Real>
__global__ void convert_kernel(const double* __restrict__ in, Real* __restrict__ out, long long n) {
  for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < n;
       t += (long long)gridDim.x * blockDim.x)
    out[t] = static_cast<Real>(in[t]);
}

template <class Real>
__global__ void to_double_kernel(const Real* __restrict__ in, double* __restrict__ out, long long n) {
  for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < n;
       t += (long long)gridDim.x * blockDim.x)
    out[t] = static_cast<double>(in[t]);
}

// Z (rows × N) <- tanh(Z + b 1ᵀ)
template <class Real>
__global__ void bias_tanh_kernel(Real* __restrict__ Z, const Real* __restrict__ b, int rows,
                                 long long total) {
  for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
       t += (long long)gridDim.x * blockDim.x) {
    int j = static_cast<int>(t % rows);
    Z[t] = dev_tanh(Z[t] + b[j]);
  }
}

// One thread per sample i: logits z = ZP[:, i] + b; ZP[:, i] <- softmax(z);
// E[:, i] <- softmax(z) - onehot(y_i); loss[i] = logsumexp(z) - z_y; hit[i] = [argmax z == y].
template <class Real>
__global__ void softmax_xent_kernel(Real* __restrict__ ZP, Real* __restrict__ E,
                                    const Real* __restrict__ b, const int* __restrict__ y,
                                    int C, long long N, double* __restrict__ loss,
                                    double* __restrict__ hit) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < N;
       i += (long long)gridDim.x * blockDim.x) {
  Real* z = ZP + C * i;
  Real* e = E + C * i;
  Real m = z[0] + b[0];
  int arg = 0;
  z[0] = m;
  for (int j = 1; j < C; ++j) {
    Real zj = z[j] + b[j];
    z[j] = zj;
    if (zj > m) {
      m = zj;
      arg = j;
    }
  }
  Real s = 0;
  for (int j = 0; j < C; ++j) s += dev_exp(z[j] - m);
  const int yi = y[i];
  Real lse = m + dev_log(s);
  loss[i] = static_cast<double>(lse - z[yi]);
  hit[i] = (arg == yi) ? 1.0 : 0.0;
  for (int j = 0; j < C; ++j) {
    Real p = dev_exp(z[j] - m) / s;
    z[j] = p;
    e[j] = (j == yi) ? p - Real(1) : p;
  }
  }
}

// E = Q ⊙ (1 - A²)
template <class Real>
__global__ void tanh_backprop_kernel(const Real* __restrict__ Q, const Real* __restrict__ A,
                                     Real* __restrict__ E, long long total) {
  for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
       t += (long long)gridDim.x * blockDim.x) {
    Real a = A[t];
    E[t] = Q[t] * (Real(1) - a * a);
  }
}

// R(a_l) = (1 - a_l²) ⊙ (RZ + vb 1ᵀ), in place in RZ
template <class Real>
__global__ void rop_tanh_kernel(Real* __restrict__ RZ, const Real* __restrict__ vb,
                                const Real* __restrict__ A, int rows, long long total) {
  for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
       t += (long long)gridDim.x * blockDim.x) {
    int j = static_cast<int>(t % rows);
    Real a = A[t];
    RZ[t] = (Real(1) - a * a) * (RZ[t] + vb[j]);
  }
}

// One thread per sample: r = RZ[:, i] + vb; RE[:, i] = p ⊙ r - p (pᵀ r)
template <class Real>
__global__ void softmax_rop_kernel(const Real* __restrict__ P, const Real* __restrict__ RZ,
                                   const Real* __restrict__ vb, Real* __restrict__ RE, int C,
                                   long long N) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < N;
       i += (long long)gridDim.x * blockDim.x) {
  const Real* p = P + C * i;
  const Real* rz = RZ + C * i;
  Real* re = RE + C * i;
  Real s = 0;
  for (int j = 0; j < C; ++j) s += p[j] * (rz[j] + vb[j]);
  for (int j = 0; j < C; ++j) re[j] = p[j] * ((rz[j] + vb[j]) - s);
  }
}

// RE (in: V_lᵀ e_l + W_lᵀ R(e_l)) <- RE ⊙ (1 - a²) - 2 q ⊙ a ⊙ R(a), q = W_lᵀ e_l
template <class Real>
__global__ void rop_backward_kernel(Real* __restrict__ RE, const Real* __restrict__ Q,
                                    const Real* __restrict__ A, const Real* __restrict__ RA,
                                    long long total) {
  for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
       t += (long long)gridDim.x * blockDim.x) {
    Real a = A[t];
    RE[t] = RE[t] * (Real(1) - a * a) - Real(2) * Q[t] * a * RA[t];
  }
}

// out = double(r) + coef * add   (add may be null when coef == 0)
template <class Real>
__global__ void finish_kernel(const Real* r, const double* __restrict__ add, double coef,
                              double* out, long long n) {
  for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < n;
       t += (long long)gridDim.x * blockDim.x) {
    double x = static_cast<double>(r[t]);
    if (add) x += coef * add[t];
    out[t] = x;
  }
}

// Per-sample gradient block of one layer, written into its columns of G (N × p column-major):
// Gb = G + N * offset, Gb[i + N k] = e[j, i] a[m, i] + alpha θb[k] with k = j in + m (W, row
// major); for the bias block A is null, in = 1 and a = 1.  Threads along x run over samples
// i (coalesced writes), the y grid over k: block y takes a contiguous run of k, so that a
// thread's consecutive reads of A[m, i] (and E[j, i]) hit the same cache lines.
template <class Real>
__global__ void sample_grad_kernel(const Real* __restrict__ E, const Real* __restrict__ A,
                                   const Real* __restrict__ theta_b, Real alpha, int out, int in,
                                   long long N, Real* __restrict__ Gb) {
  const long long K = static_cast<long long>(out) * in;
  const long long chunk = (K + gridDim.y - 1) / gridDim.y;
  const long long k0 = blockIdx.y * chunk;
  const long long k1 = (K < k0 + chunk) ? K : k0 + chunk;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < N;
       i += (long long)gridDim.x * blockDim.x) {
    for (long long k = k0; k < k1; ++k) {
      const int j = static_cast<int>(k / in);
      const int m = static_cast<int>(k - static_cast<long long>(j) * in);
      const Real a = A ? A[m + static_cast<long long>(in) * i] : Real(1);
      Gb[i + N * k] = E[j + static_cast<long long>(out) * i] * a + alpha * theta_b[k];
    }
  }
}

// One block per sample i: u[i] (+)= Σ_j E[j, i] (S[j, i] + vb[j])
template <class Real>
__global__ void dot_columns_kernel(const Real* __restrict__ E, const Real* __restrict__ S,
                                   const Real* __restrict__ vb, int rows, double* __restrict__ u,
                                   int accumulate) {
  const long long i = blockIdx.x;
  const Real* e = E + rows * i;
  const Real* s = S + rows * i;
  double acc = 0;
  for (int j = threadIdx.x; j < rows; j += blockDim.x)
    acc += static_cast<double>(e[j]) * static_cast<double>(s[j] + vb[j]);
  double total = block_sum(acc);
  if (threadIdx.x == 0) u[i] = accumulate ? u[i] + total : total;
}

// One block per sample i: g2[i] (+)= |E[:, i]|² (|A[:, i]|² + 1)
template <class Real>
__global__ void sq_norms_kernel(const Real* __restrict__ E, const Real* __restrict__ A,
                                int rows_e, int rows_a, double* __restrict__ g2, int accumulate) {
  const long long i = blockIdx.x;
  const Real* e = E + rows_e * i;
  const Real* a = A + rows_a * i;
  double se = 0, sa = 0;
  for (int j = threadIdx.x; j < rows_e; j += blockDim.x) {
    double x = e[j];
    se += x * x;
  }
  for (int j = threadIdx.x; j < rows_a; j += blockDim.x) {
    double x = a[j];
    sa += x * x;
  }
  se = block_sum(se);
  sa = block_sum(sa);
  if (threadIdx.x == 0) {
    double v = se * (sa + 1.0);
    g2[i] = accumulate ? g2[i] + v : v;
  }
}

// One block: w = u - mean(u)
template <class Real>
__global__ void center_kernel(const double* __restrict__ u, long long N, Real* __restrict__ w) {
  double acc = 0;
  for (long long i = threadIdx.x; i < N; i += blockDim.x) acc += u[i];
  const double mean = block_sum(acc) / static_cast<double>(N);
  for (long long i = threadIdx.x; i < N; i += blockDim.x) w[i] = static_cast<Real>(u[i] - mean);
}

// F = E diag(w)
template <class Real>
__global__ void scale_columns_kernel(const Real* __restrict__ E, const Real* __restrict__ w,
                                     Real* __restrict__ F, int rows, long long total) {
  for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
       t += (long long)gridDim.x * blockDim.x)
    F[t] = E[t] * w[t / rows];
}

// First stage of Σ x (square = 0) or Σ x² (square = 1): partial[blockIdx.x]; gridDim.x must be
// kPartials.
template <class T>
__global__ void partial_sum_kernel(const T* __restrict__ x, long long n, int square,
                                   double* __restrict__ partial) {
  double acc = 0;
  for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < n;
       t += (long long)gridDim.x * blockDim.x) {
    double v = static_cast<double>(x[t]);
    acc += square ? v * v : v;
  }
  double s = block_sum(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// One block: *out = a Σ pa[0..ma) + b Σ pb[0..mb)
__global__ void combine_kernel(const double* __restrict__ pa, int ma, double a,
                               const double* __restrict__ pb, int mb, double b,
                               double* __restrict__ out) {
  double sa = 0, sb = 0;
  for (int t = threadIdx.x; t < ma; t += blockDim.x) sa += pa[t];
  for (int t = threadIdx.x; t < mb; t += blockDim.x) sb += pb[t];
  sa = block_sum(sa);
  sb = block_sum(sb);
  if (threadIdx.x == 0) *out = a * sa + b * sb;
}

// out[r + count k] = G[rows[r] + N k]  (count × p column-major)
template <class Real>
__global__ void gather_rows_kernel(const Real* __restrict__ G, long long N, long long p,
                                   const long long* __restrict__ rows, long long count,
                                   double* __restrict__ out) {
  const long long total = count * p;
  for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
       t += (long long)gridDim.x * blockDim.x) {
    long long r = t % count, k = t / count;
    out[t] = static_cast<double>(G[rows[r] + N * k]);
  }
}

// ---- cuBLAS by precision -----------------------------------------------------------------

cublasStatus_t gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                    int k, double alpha, const double* A, int lda, const double* B, int ldb,
                    double beta, double* C, int ldc) {
  return cublasDgemm(h, ta, tb, m, n, k, &alpha, A, lda, B, ldb, &beta, C, ldc);
}
cublasStatus_t gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                    int k, double alpha, const float* A, int lda, const float* B, int ldb,
                    double beta, float* C, int ldc) {
  const float a = static_cast<float>(alpha), b = static_cast<float>(beta);
  return cublasSgemm(h, ta, tb, m, n, k, &a, A, lda, B, ldb, &b, C, ldc);
}
cublasStatus_t gemv(cublasHandle_t h, int m, int n, double alpha, const double* A, int lda,
                    const double* x, double* y) {
  const double beta = 0;
  return cublasDgemv(h, CUBLAS_OP_N, m, n, &alpha, A, lda, x, 1, &beta, y, 1);
}
cublasStatus_t gemv(cublasHandle_t h, int m, int n, double alpha, const float* A, int lda,
                    const float* x, float* y) {
  const float a = static_cast<float>(alpha), beta = 0;
  return cublasSgemv(h, CUBLAS_OP_N, m, n, &a, A, lda, x, 1, &beta, y, 1);
}

constexpr cublasOperation_t OP_N = CUBLAS_OP_N;
constexpr cublasOperation_t OP_T = CUBLAS_OP_T;

constexpr int kOps = 7;

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

// ---- the implementation: a precision-independent base, one engine per precision -----------

namespace detail {

class mlp_cuda_impl {
 public:
  std::vector<long> widths;
  long N = 0;
  long p = 0;
  double alpha = 0;
  cuda_precision precision = cuda_precision::float64;
  bool graphs = true;

  virtual ~mlp_cuda_impl() = default;
  virtual void upload(const double* theta, const double* v) = 0;
  virtual void run(cuda_op op) = 0;
  virtual void synchronize() = 0;
  virtual double scalar_result() = 0;                 // after value / trace / accuracy
  virtual void vector_result(double* out) = 0;        // after gradient / hvp / covariance_apply
  virtual void matrix_result(double* G) = 0;          // after sample_gradients
  virtual void rows_result(const long* rows, long count, double* out) = 0;
};

}  // namespace detail

namespace {

template <class Real>
class engine final : public detail::mlp_cuda_impl {
 public:
  engine(const std::vector<long>& w, const double* features, const int* labels, long n,
         double a, cuda_precision prec) {
    widths = w;
    N = n;
    alpha = a;
    precision = prec;
    L = static_cast<int>(w.size()) - 1;
    for (long x : w) nw.push_back(static_cast<int>(x));
    offW.assign(L + 1, 0);
    offB.assign(L + 1, 0);
    long off = 0;
    for (int l = 1; l <= L; ++l) {
      offW[l] = off;
      off += static_cast<long>(nw[l]) * nw[l - 1];
      offB[l] = off;
      off += nw[l];
    }
    p = off;
    try {
      setup(features, labels);
    } catch (...) {
      release();
      throw;
    }
  }

  ~engine() override { release(); }

  void upload(const double* theta, const double* v) override {
    SC_CUDA(cudaMemcpyAsync(theta_d, theta, sizeof(double) * p, cudaMemcpyHostToDevice, stream));
    if (v) {
      SC_CUDA(cudaMemcpyAsync(v_d, v, sizeof(double) * p, cudaMemcpyHostToDevice, stream));
      have_v = true;
    }
    have_theta = true;
  }

  void run(cuda_op op) override {
    if (!have_theta) throw std::logic_error("mlp_cuda::run: no θ uploaded");
    if ((op == cuda_op::hvp || op == cuda_op::covariance_apply) && !have_v)
      throw std::logic_error(std::string("mlp_cuda::run: ") + to_string(op) + " needs a v uploaded");
    if (op == cuda_op::sample_gradients) ensure_G();
    const int k = static_cast<int>(op);
    if (!graphs) {
      record(op);
      return;
    }
    if (!exec[k]) capture(op);
    SC_CUDA(cudaGraphLaunch(exec[k], stream));
  }

  void synchronize() override { SC_CUDA(cudaStreamSynchronize(stream)); }

  double scalar_result() override {
    double r = 0;
    SC_CUDA(cudaMemcpyAsync(&r, scalar_d, sizeof(double), cudaMemcpyDeviceToHost, stream));
    synchronize();
    return r;
  }

  void vector_result(double* out) override {
    SC_CUDA(cudaMemcpyAsync(out, out_d, sizeof(double) * p, cudaMemcpyDeviceToHost, stream));
    synchronize();
  }

  void matrix_result(double* host) override {
    const long long total = static_cast<long long>(N) * p;
    if constexpr (std::is_same_v<Real, double>) {
      SC_CUDA(cudaMemcpyAsync(host, G, sizeof(double) * total, cudaMemcpyDeviceToHost, stream));
    } else {
      const long long chunk = std::min<long long>(total, 1LL << 24);
      if (!stage_d) SC_CUDA(cudaMalloc(&stage_d, sizeof(double) * chunk));
      for (long long off = 0; off < total; off += chunk) {
        const long long m = std::min(chunk, total - off);
        to_double_kernel<Real><<<blocks_for(m), kThreads, 0, stream>>>(G + off, stage_d, m);
        SC_LAUNCHED("to_double_kernel");
        SC_CUDA(cudaMemcpyAsync(host + off, stage_d, sizeof(double) * m, cudaMemcpyDeviceToHost,
                                stream));
      }
    }
    synchronize();
  }

  void rows_result(const long* rows, long count, double* out) override {
    std::vector<long long> r(rows, rows + count);
    long long* rows_d = nullptr;
    double* out_dev = nullptr;
    // Freed on every path: these are small and rare (not part of the benchmarked ops).
    auto cleanup = [&] {
      if (rows_d) cudaFree(rows_d);
      if (out_dev) cudaFree(out_dev);
    };
    try {
      SC_CUDA(cudaMalloc(&rows_d, sizeof(long long) * count));
      SC_CUDA(cudaMalloc(&out_dev, sizeof(double) * count * p));
      SC_CUDA(cudaMemcpyAsync(rows_d, r.data(), sizeof(long long) * count, cudaMemcpyHostToDevice,
                              stream));
      const long long total = static_cast<long long>(count) * p;
      gather_rows_kernel<Real><<<blocks_for(total), kThreads, 0, stream>>>(G, N, p, rows_d,
                                                                          count, out_dev);
      SC_LAUNCHED("gather_rows_kernel");
      SC_CUDA(cudaMemcpyAsync(out, out_dev, sizeof(double) * total, cudaMemcpyDeviceToHost,
                              stream));
      synchronize();
    } catch (...) {
      cleanup();
      throw;
    }
    cleanup();
  }

 private:
  int L = 0;
  std::vector<int> nw;
  std::vector<long> offW, offB;

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
  Real* G = nullptr;         // N × p, lazily
  double* stage_d = nullptr;  // float32 copy-out staging, lazily
  bool have_theta = false;
  bool have_v = false;

  template <class T>
  T* alloc(long long count) {
    void* ptr = nullptr;
    SC_CUDA(cudaMalloc(&ptr, sizeof(T) * static_cast<size_t>(std::max<long long>(count, 1))));
    allocations.push_back(ptr);
    return static_cast<T*>(ptr);
  }

  void setup(const double* features, const int* labels) {
    SC_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    SC_CUBLAS(cublasCreate(&handle));
    SC_CUBLAS(cublasSetStream(handle, stream));
    // A workspace of our own, so that no cuBLAS call allocates while a graph is captured
    // (cublasSetStream resets the workspace, so this comes after it).
    const size_t ws_bytes = size_t(32) << 20;
    SC_CUDA(cudaMalloc(&workspace, ws_bytes));
    SC_CUBLAS(cublasSetWorkspace(handle, workspace, ws_bytes));
    SC_CUBLAS(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH));  // no TF32 in float32 mode

    const long long n = N;
    A.assign(L + 1, nullptr);
    E.assign(L + 1, nullptr);
    Q.assign(L + 1, nullptr);
    RA.assign(L + 1, nullptr);
    RE.assign(L + 1, nullptr);
    int maxw = 0;
    for (int l = 0; l <= L; ++l) maxw = std::max(maxw, nw[l]);
    A[0] = alloc<Real>(nw[0] * n);
    for (int l = 1; l < L; ++l) {
      A[l] = alloc<Real>(nw[l] * n);
      Q[l] = alloc<Real>(nw[l] * n);
      RA[l] = alloc<Real>(nw[l] * n);
    }
    for (int l = 1; l <= L; ++l) {
      E[l] = alloc<Real>(nw[l] * n);
      RE[l] = alloc<Real>(nw[l] * n);
    }
    P = alloc<Real>(nw[L] * n);
    RZL = alloc<Real>(nw[L] * n);
    S = alloc<Real>(maxw * n);
    theta_d = alloc<double>(p);
    v_d = alloc<double>(p);
    out_r = alloc<Real>(p);
    if constexpr (std::is_same_v<Real, double>) {
      theta_r = theta_d;
      v_r = v_d;
      out_d = out_r;
    } else {
      theta_r = alloc<Real>(p);
      v_r = alloc<Real>(p);
      out_d = alloc<double>(p);
    }
    loss = alloc<double>(n);
    hit = alloc<double>(n);
    u = alloc<double>(n);
    g2 = alloc<double>(n);
    w = alloc<Real>(n);
    ones = alloc<Real>(n);
    partA = alloc<double>(kPartials);
    partB = alloc<double>(kPartials);
    scalar_d = alloc<double>(1);
    labels_d = alloc<int>(n);

    // Upload the data once (X through a double staging buffer for float32).
    // All copies on the object's stream (a non-blocking one: cudaMemcpy on the legacy stream
    // would not be ordered before its kernels).
    const long long xcount = nw[0] * n;
    if constexpr (std::is_same_v<Real, double>) {
      SC_CUDA(cudaMemcpyAsync(A[0], features, sizeof(double) * xcount, cudaMemcpyHostToDevice,
                              stream));
    } else {
      double* tmp = nullptr;
      SC_CUDA(cudaMalloc(&tmp, sizeof(double) * xcount));
      cudaError_t e = cudaMemcpyAsync(tmp, features, sizeof(double) * xcount,
                                      cudaMemcpyHostToDevice, stream);
      if (e == cudaSuccess) {
        convert_kernel<Real><<<blocks_for(xcount), kThreads, 0, stream>>>(tmp, A[0], xcount);
        e = cudaGetLastError();
      }
      if (e == cudaSuccess) e = cudaStreamSynchronize(stream);
      cudaFree(tmp);
      check_cuda(e, "upload of the features (float32)");
    }
    SC_CUDA(cudaMemcpyAsync(labels_d, labels, sizeof(int) * n, cudaMemcpyHostToDevice, stream));
    std::vector<Real> one(static_cast<size_t>(n), Real(1));
    SC_CUDA(cudaMemcpyAsync(ones, one.data(), sizeof(Real) * n, cudaMemcpyHostToDevice, stream));
    SC_CUDA(cudaStreamSynchronize(stream));
  }

  void ensure_G() {
    if (G) return;
    const long long total = static_cast<long long>(N) * p;
    void* ptr = nullptr;
    cudaError_t e = cudaMalloc(&ptr, sizeof(Real) * static_cast<size_t>(total));
    if (e != cudaSuccess) {
      cudaGetLastError();
      std::ostringstream s;
      s << "mlp_cuda: cudaMalloc of the per-sample gradient matrix (" << N << " × " << p << ", "
        << (sizeof(Real) * static_cast<double>(total) / 1e9) << " GB) failed: "
        << cudaGetErrorString(e);
      throw std::runtime_error(s.str());
    }
    allocations.push_back(ptr);
    G = static_cast<Real*>(ptr);
  }

  void release() noexcept {
    for (auto& x : exec)
      if (x) {
        cudaGraphExecDestroy(x);
        x = nullptr;
      }
    if (handle) cublasDestroy(handle);
    handle = nullptr;
    for (void* ptr : allocations) cudaFree(ptr);
    allocations.clear();
    if (stage_d) cudaFree(stage_d);
    stage_d = nullptr;
    if (workspace) cudaFree(workspace);
    workspace = nullptr;
    if (stream) cudaStreamDestroy(stream);
    stream = nullptr;
  }

  // Captures op's sequence once.  A warm-up run outside the capture comes first, so that
  // lazily loaded kernels (cuBLAS's and ours) are loaded before the capture.
  void capture(cuda_op op) {
    record(op);
    synchronize();
    cudaGraph_t graph = nullptr;
    SC_CUDA(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    try {
      record(op);
    } catch (...) {
      cudaStreamEndCapture(stream, &graph);
      if (graph) cudaGraphDestroy(graph);
      cudaGetLastError();
      throw;
    }
    SC_CUDA(cudaStreamEndCapture(stream, &graph));
    cudaError_t e = cudaGraphInstantiate(&exec[static_cast<int>(op)], graph, 0);
    cudaGraphDestroy(graph);
    check_cuda(e, "cudaGraphInstantiate");
  }

  // ---- the launch sequences --------------------------------------------------------------

  Real* W(int l) const { return theta_r + offW[l]; }
  Real* B(int l) const { return theta_r + offB[l]; }
  Real* VW(int l) const { return v_r + offW[l]; }
  Real* VB(int l) const { return v_r + offB[l]; }
  int n() const { return static_cast<int>(N); }
  long long cells(int l) const { return static_cast<long long>(nw[l]) * N; }

  void convert_inputs(bool with_v) {
    if constexpr (!std::is_same_v<Real, double>) {
      convert_kernel<Real><<<blocks_for(p), kThreads, 0, stream>>>(theta_d, theta_r, p);
      SC_LAUNCHED("convert_kernel");
      if (with_v) {
        convert_kernel<Real><<<blocks_for(p), kThreads, 0, stream>>>(v_d, v_r, p);
        SC_LAUNCHED("convert_kernel");
      }
    } else {
      (void)with_v;
    }
  }

  void forward() {
    for (int l = 1; l <= L; ++l) {
      Real* Z = (l < L) ? A[l] : P;
      SC_CUBLAS(gemm(handle, OP_T, OP_N, nw[l], n(), nw[l - 1], 1.0, W(l), nw[l - 1], A[l - 1],
                     nw[l - 1], 0.0, Z, nw[l]));
      if (l < L) {
        bias_tanh_kernel<Real><<<blocks_for(cells(l)), kThreads, 0, stream>>>(Z, B(l), nw[l],
                                                                               cells(l));
        SC_LAUNCHED("bias_tanh_kernel");
      } else {
        softmax_xent_kernel<Real><<<blocks_for(N, 128), 128, 0, stream>>>(
            P, E[L], B(L), labels_d, nw[L], N, loss, hit);
        SC_LAUNCHED("softmax_xent_kernel");
      }
    }
  }

  // E[l] for all layers (and Q); with grads, out_r = (1/N) Σ_i ∂ℓ_i/∂θ (no α term).
  void backward(bool grads) {
    const double invN = 1.0 / static_cast<double>(N);
    for (int l = L; l >= 1; --l) {
      if (grads) {
        SC_CUBLAS(gemm(handle, OP_N, OP_T, nw[l - 1], nw[l], n(), invN, A[l - 1], nw[l - 1],
                       E[l], nw[l], 0.0, out_r + offW[l], nw[l - 1]));
        SC_CUBLAS(gemv(handle, nw[l], n(), invN, E[l], nw[l], ones, out_r + offB[l]));
      }
      if (l > 1) {
        SC_CUBLAS(gemm(handle, OP_N, OP_N, nw[l - 1], n(), nw[l], 1.0, W(l), nw[l - 1], E[l],
                       nw[l], 0.0, Q[l - 1], nw[l - 1]));
        tanh_backprop_kernel<Real><<<blocks_for(cells(l - 1)), kThreads, 0, stream>>>(
            Q[l - 1], A[l - 1], E[l - 1], cells(l - 1));
        SC_LAUNCHED("tanh_backprop_kernel");
      }
    }
  }

  // R-forward (RA, RZL, RE[L]) then R-backward into out_r = (1/N) Σ_i R(∂ℓ_i).
  void r_pass() {
    for (int l = 1; l <= L; ++l) {
      Real* RZ = (l < L) ? RA[l] : RZL;
      SC_CUBLAS(gemm(handle, OP_T, OP_N, nw[l], n(), nw[l - 1], 1.0, VW(l), nw[l - 1], A[l - 1],
                     nw[l - 1], 0.0, RZ, nw[l]));
      if (l > 1)
        SC_CUBLAS(gemm(handle, OP_T, OP_N, nw[l], n(), nw[l - 1], 1.0, W(l), nw[l - 1],
                       RA[l - 1], nw[l - 1], 1.0, RZ, nw[l]));
      if (l < L) {
        rop_tanh_kernel<Real><<<blocks_for(cells(l)), kThreads, 0, stream>>>(RZ, VB(l), A[l],
                                                                             nw[l], cells(l));
        SC_LAUNCHED("rop_tanh_kernel");
      } else {
        softmax_rop_kernel<Real><<<blocks_for(N, 128), 128, 0, stream>>>(P, RZL, VB(L), RE[L],
                                                                        nw[L], N);
        SC_LAUNCHED("softmax_rop_kernel");
      }
    }
    const double invN = 1.0 / static_cast<double>(N);
    for (int l = L; l >= 1; --l) {
      // R(∂W_l) stored in × out: A_{l-1} R(E_l)ᵀ + R(A_{l-1}) E_lᵀ, over N
      SC_CUBLAS(gemm(handle, OP_N, OP_T, nw[l - 1], nw[l], n(), invN, A[l - 1], nw[l - 1],
                     RE[l], nw[l], 0.0, out_r + offW[l], nw[l - 1]));
      if (l > 1)
        SC_CUBLAS(gemm(handle, OP_N, OP_T, nw[l - 1], nw[l], n(), invN, RA[l - 1], nw[l - 1],
                       E[l], nw[l], 1.0, out_r + offW[l], nw[l - 1]));
      SC_CUBLAS(gemv(handle, nw[l], n(), invN, RE[l], nw[l], ones, out_r + offB[l]));
      if (l > 1) {
        // R(E_{l-1}) = (V_lᵀ E_l + W_lᵀ R(E_l)) ⊙ (1 - a²) - 2 (W_lᵀ E_l) ⊙ a ⊙ R(a)
        SC_CUBLAS(gemm(handle, OP_N, OP_N, nw[l - 1], n(), nw[l], 1.0, VW(l), nw[l - 1], E[l],
                       nw[l], 0.0, RE[l - 1], nw[l - 1]));
        SC_CUBLAS(gemm(handle, OP_N, OP_N, nw[l - 1], n(), nw[l], 1.0, W(l), nw[l - 1], RE[l],
                       nw[l], 1.0, RE[l - 1], nw[l - 1]));
        rop_backward_kernel<Real><<<blocks_for(cells(l - 1)), kThreads, 0, stream>>>(
            RE[l - 1], Q[l - 1], A[l - 1], RA[l - 1], cells(l - 1));
        SC_LAUNCHED("rop_backward_kernel");
      }
    }
  }

  void finish(const double* add, double coef) {
    finish_kernel<Real><<<blocks_for(p), kThreads, 0, stream>>>(out_r, add, coef, out_d, p);
    SC_LAUNCHED("finish_kernel");
  }

  template <class T>
  void partial_sum(const T* x, long long count, bool square, double* partial) {
    partial_sum_kernel<T><<<kPartials, kReduce, 0, stream>>>(x, count, square ? 1 : 0, partial);
    SC_LAUNCHED("partial_sum_kernel");
  }

  void combine(const double* pa, int ma, double a, const double* pb, int mb, double b) {
    combine_kernel<<<1, kReduce, 0, stream>>>(pa, ma, a, pb, mb, b, scalar_d);
    SC_LAUNCHED("combine_kernel");
  }

  void record(cuda_op op) {
    const double invN = 1.0 / static_cast<double>(N);
    switch (op) {
      case cuda_op::value:
        convert_inputs(false);
        forward();
        partial_sum(theta_d, p, true, partA);
        partial_sum(loss, N, false, partB);
        combine(partA, kPartials, 0.5 * alpha, partB, kPartials, invN);
        break;
      case cuda_op::accuracy:
        convert_inputs(false);
        forward();
        partial_sum(hit, N, false, partB);
        combine(partA, 0, 0.0, partB, kPartials, invN);
        break;
      case cuda_op::gradient:
        convert_inputs(false);
        forward();
        backward(true);
        finish(theta_d, alpha);
        break;
      case cuda_op::hvp:
        convert_inputs(true);
        forward();
        backward(false);
        r_pass();
        finish(v_d, alpha);
        break;
      case cuda_op::sample_gradients: {
        convert_inputs(false);
        forward();
        backward(false);
        const Real a = static_cast<Real>(alpha);
        for (int l = 1; l <= L; ++l) {
          const long long kw = static_cast<long long>(nw[l]) * nw[l - 1];
          dim3 gw(static_cast<unsigned>(blocks_for(N)),
                  static_cast<unsigned>(std::min<long long>(kw, kMaxBlocks)));
          sample_grad_kernel<Real><<<gw, kThreads, 0, stream>>>(
              E[l], A[l - 1], theta_r + offW[l], a, nw[l], nw[l - 1], N,
              G + static_cast<long long>(N) * offW[l]);
          SC_LAUNCHED("sample_grad_kernel (W)");
          dim3 gb(static_cast<unsigned>(blocks_for(N)),
                  static_cast<unsigned>(std::min<long long>(nw[l], kMaxBlocks)));
          sample_grad_kernel<Real><<<gb, kThreads, 0, stream>>>(
              E[l], nullptr, theta_r + offB[l], a, nw[l], 1, N,
              G + static_cast<long long>(N) * offB[l]);
          SC_LAUNCHED("sample_grad_kernel (b)");
        }
        break;
      }
      case cuda_op::covariance_apply: {
        convert_inputs(true);
        forward();
        backward(false);
        // u_i = Σ_l e_{l,i}ᵀ (V_l a_{l-1,i} + vb_l)
        for (int l = 1; l <= L; ++l) {
          SC_CUBLAS(gemm(handle, OP_T, OP_N, nw[l], n(), nw[l - 1], 1.0, VW(l), nw[l - 1],
                         A[l - 1], nw[l - 1], 0.0, S, nw[l]));
          dot_columns_kernel<Real><<<n(), kReduce, 0, stream>>>(E[l], S, VB(l), nw[l], u,
                                                                 l > 1 ? 1 : 0);
          SC_LAUNCHED("dot_columns_kernel");
        }
        center_kernel<Real><<<1, kReduce, 0, stream>>>(u, N, w);
        SC_LAUNCHED("center_kernel");
        // D v = (1/N) Σ_l blocks of E_l diag(w) A_{l-1}ᵀ and E_l w
        for (int l = 1; l <= L; ++l) {
          scale_columns_kernel<Real><<<blocks_for(cells(l)), kThreads, 0, stream>>>(
              E[l], w, S, nw[l], cells(l));
          SC_LAUNCHED("scale_columns_kernel");
          SC_CUBLAS(gemm(handle, OP_N, OP_T, nw[l - 1], nw[l], n(), invN, A[l - 1], nw[l - 1], S,
                         nw[l], 0.0, out_r + offW[l], nw[l - 1]));
          SC_CUBLAS(gemv(handle, nw[l], n(), invN, E[l], nw[l], w, out_r + offB[l]));
        }
        finish(nullptr, 0.0);
        break;
      }
      case cuda_op::covariance_trace:
        convert_inputs(false);
        forward();
        backward(true);  // out_r = ḡ (cross-entropy part)
        for (int l = 1; l <= L; ++l) {
          sq_norms_kernel<Real><<<n(), kReduce, 0, stream>>>(E[l], A[l - 1], nw[l], nw[l - 1],
                                                              g2, l > 1 ? 1 : 0);
          SC_LAUNCHED("sq_norms_kernel");
        }
        partial_sum(out_r, p, true, partA);
        partial_sum(g2, N, false, partB);
        combine(partA, kPartials, -1.0, partB, kPartials, invN);
        break;
    }
  }
};

}  // namespace

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

  if (precision == cuda_precision::float64)
    impl_ = std::make_unique<engine<double>>(widths, features, labels, n, alpha, precision);
  else
    impl_ = std::make_unique<engine<float>>(widths, features, labels, n, alpha, precision);
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
  if (static_cast<int>(op) < 0 || static_cast<int>(op) >= kOps)
    invalid("unknown op ", static_cast<int>(op));
  self().run(op);
}

void mlp_cuda::synchronize() { self().synchronize(); }

void mlp_cuda::use_graphs(bool on) { self().graphs = on; }

}  // namespace shiftcurv::network
