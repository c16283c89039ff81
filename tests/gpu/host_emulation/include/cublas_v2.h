// Host emulation of the cuBLAS subset used by the CUDA backend (mlp_cuda_engine.cu), column-major
// as cuBLAS.
#pragma once
#include "cuda_runtime.h"
typedef int cublasStatus_t;
enum { CUBLAS_STATUS_SUCCESS = 0 };
typedef void* cublasHandle_t;
enum cublasOperation_t { CUBLAS_OP_N, CUBLAS_OP_T };
enum cublasMath_t { CUBLAS_DEFAULT_MATH };
inline cublasStatus_t cublasCreate(cublasHandle_t* h) { *h = (void*)1; return 0; }
inline cublasStatus_t cublasDestroy(cublasHandle_t) { return 0; }
inline cublasStatus_t cublasSetStream(cublasHandle_t, cudaStream_t) { return 0; }
inline cublasStatus_t cublasSetWorkspace(cublasHandle_t, void*, size_t) { return 0; }
inline cublasStatus_t cublasSetMathMode(cublasHandle_t, cublasMath_t) { return 0; }
inline const char* cublasGetStatusName(cublasStatus_t) { return "EMU"; }
inline const char* cublasGetStatusString(cublasStatus_t) { return "emu"; }
namespace emu {
template <class T>
cublasStatus_t gemm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, T alpha,
                    const T* A, int lda, const T* B, int ldb, T beta, T* C, int ldc) {
  // cuBLAS argument rules
  if (m < 0 || n < 0 || k < 0) std::abort();
  if (lda < (ta == CUBLAS_OP_N ? m : k) || ldb < (tb == CUBLAS_OP_N ? k : n) || ldc < m) std::abort();
  submit([=] {
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < m; ++i) {
        T s = 0;
        for (int l = 0; l < k; ++l) {
          T a = ta == CUBLAS_OP_N ? A[i + (long long)l * lda] : A[l + (long long)i * lda];
          T b = tb == CUBLAS_OP_N ? B[l + (long long)j * ldb] : B[j + (long long)l * ldb];
          s += a * b;
        }
        T& c = C[i + (long long)j * ldc];
        c = beta == T(0) ? alpha * s : alpha * s + beta * c;
      }
  });
  return 0;
}
template <class T>
cublasStatus_t gemv(cublasOperation_t t, int m, int n, T alpha, const T* A, int lda, const T* x,
                    int incx, T beta, T* y, int incy) {
  if (t != CUBLAS_OP_N || lda < m || incx != 1 || incy != 1) std::abort();
  submit([=] {
    for (int i = 0; i < m; ++i) {
      T s = 0;
      for (int j = 0; j < n; ++j) s += A[i + (long long)j * lda] * x[j];
      y[i] = beta == T(0) ? alpha * s : alpha * s + beta * y[i];
    }
  });
  return 0;
}
}
inline cublasStatus_t cublasDgemm(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
  const double* al, const double* A, int lda, const double* B, int ldb, const double* be, double* C, int ldc) {
  return emu::gemm(ta, tb, m, n, k, *al, A, lda, B, ldb, *be, C, ldc); }
inline cublasStatus_t cublasSgemm(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
  const float* al, const float* A, int lda, const float* B, int ldb, const float* be, float* C, int ldc) {
  return emu::gemm(ta, tb, m, n, k, *al, A, lda, B, ldb, *be, C, ldc); }
inline cublasStatus_t cublasDgemv(cublasHandle_t, cublasOperation_t t, int m, int n, const double* al,
  const double* A, int lda, const double* x, int incx, const double* be, double* y, int incy) {
  return emu::gemv(t, m, n, *al, A, lda, x, incx, *be, y, incy); }
inline cublasStatus_t cublasSgemv(cublasHandle_t, cublasOperation_t t, int m, int n, const float* al,
  const float* A, int lda, const float* x, int incx, const float* be, float* y, int incy) {
  return emu::gemv(t, m, n, *al, A, lda, x, incx, *be, y, incy); }
