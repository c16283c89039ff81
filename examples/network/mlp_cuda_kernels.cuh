// examples/network/mlp_cuda_kernels.cuh — the device code of the CUDA backend (mlp_cuda.hpp):
// error checks, the kernels, cuBLAS by precision.  Included by mlp_cuda_engine.cu alone (its
// helpers and kernels live in an unnamed namespace: one copy, in that translation unit).
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
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace shiftcurv_examples::network {

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

}  // namespace

}  // namespace shiftcurv_examples::network
