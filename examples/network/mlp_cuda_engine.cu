// examples/network/mlp_cuda_engine.cu — the definitions of mlp_cuda_engine<Real>
// (mlp_cuda_engine.cuh) and the factory make_mlp_cuda_engine; the device code it launches is in
// mlp_cuda_kernels.cuh.
#include "mlp_cuda_engine.cuh"

#include <algorithm>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "mlp_cuda_kernels.cuh"

namespace shiftcurv_examples::network::detail {

// ---- construction, upload, run ----------------------------------------------------------------

template <class Real>
mlp_cuda_engine<Real>::mlp_cuda_engine(const std::vector<long>& w, const double* features, const int* labels, long n,
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

template <class Real>
mlp_cuda_engine<Real>::~mlp_cuda_engine() { release(); }

template <class Real>
void mlp_cuda_engine<Real>::upload(const double* theta, const double* v) {
  SC_CUDA(cudaMemcpyAsync(theta_d, theta, sizeof(double) * p, cudaMemcpyHostToDevice, stream));
  if (v) {
    SC_CUDA(cudaMemcpyAsync(v_d, v, sizeof(double) * p, cudaMemcpyHostToDevice, stream));
    have_v = true;
  }
  have_theta = true;
}

template <class Real>
void mlp_cuda_engine<Real>::run(cuda_op op) {
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

template <class Real>
void mlp_cuda_engine<Real>::synchronize() {
  SC_CUDA(cudaStreamSynchronize(stream));
}

// ---- results: copies to the host ---------------------------------------------------------------

template <class Real>
double mlp_cuda_engine<Real>::scalar_result() {
  double r = 0;
  SC_CUDA(cudaMemcpyAsync(&r, scalar_d, sizeof(double), cudaMemcpyDeviceToHost, stream));
  synchronize();
  return r;
}

template <class Real>
void mlp_cuda_engine<Real>::vector_result(double* out) {
  SC_CUDA(cudaMemcpyAsync(out, out_d, sizeof(double) * p, cudaMemcpyDeviceToHost, stream));
  synchronize();
}

template <class Real>
void mlp_cuda_engine<Real>::matrix_result(double* host) {
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

template <class Real>
void mlp_cuda_engine<Real>::rows_result(const long* rows, long count, double* out) {
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

// ---- buffers ---------------------------------------------------------------------------------

template <class Real>
template <class T>
T* mlp_cuda_engine<Real>::alloc(long long count) {
  void* ptr = nullptr;
  SC_CUDA(cudaMalloc(&ptr, sizeof(T) * static_cast<size_t>(std::max<long long>(count, 1))));
  allocations.push_back(ptr);
  return static_cast<T*>(ptr);
}

template <class Real>
void mlp_cuda_engine<Real>::setup(const double* features, const int* labels) {
  create_stream_and_cublas();
  allocate_buffers();
  upload_data(features, labels);
}

template <class Real>
void mlp_cuda_engine<Real>::create_stream_and_cublas() {
  SC_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  SC_CUBLAS(cublasCreate(&handle));
  SC_CUBLAS(cublasSetStream(handle, stream));
  // A workspace of our own, so that no cuBLAS call allocates while a graph is captured
  // (cublasSetStream resets the workspace, so this comes after it).
  const size_t ws_bytes = size_t(32) << 20;
  SC_CUDA(cudaMalloc(&workspace, ws_bytes));
  SC_CUBLAS(cublasSetWorkspace(handle, workspace, ws_bytes));
  SC_CUBLAS(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH));  // no TF32 in float32 mode
}

template <class Real>
void mlp_cuda_engine<Real>::allocate_buffers() {
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
}

template <class Real>
void mlp_cuda_engine<Real>::upload_data(const double* features, const int* labels) {
  const long long n = N;
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

template <class Real>
void mlp_cuda_engine<Real>::ensure_G() {
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

template <class Real>
void mlp_cuda_engine<Real>::release() noexcept {
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

// ---- graphs ----------------------------------------------------------------------------------

// Captures op's sequence once.  A warm-up run outside the capture comes first, so that
// lazily loaded kernels (cuBLAS's and ours) are loaded before the capture.

template <class Real>
void mlp_cuda_engine<Real>::capture(cuda_op op) {
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

// ---- the launch sequences, by pass ------------------------------------------------------------

template <class Real>
void mlp_cuda_engine<Real>::convert_inputs(bool with_v) {
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

template <class Real>
void mlp_cuda_engine<Real>::forward() {
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

template <class Real>
void mlp_cuda_engine<Real>::backward(bool grads) {
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
template <class Real>
void mlp_cuda_engine<Real>::r_pass() {
  r_forward();
  r_backward();
}

// R(z_l) for every layer: RA[l] = R(a_l) below the top, RZL and RE[L] = R(e_L) at the top.
template <class Real>
void mlp_cuda_engine<Real>::r_forward() {
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
}

// out_r = (1/N) Σ_i R(∂ℓ_i/∂θ), and R(e_l) down the layers.
template <class Real>
void mlp_cuda_engine<Real>::r_backward() {
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

template <class Real>
void mlp_cuda_engine<Real>::finish(const double* add, double coef) {
  finish_kernel<Real><<<blocks_for(p), kThreads, 0, stream>>>(out_r, add, coef, out_d, p);
  SC_LAUNCHED("finish_kernel");
}

template <class Real>
template <class T>
void mlp_cuda_engine<Real>::partial_sum(const T* x, long long count, bool square, double* partial) {
  partial_sum_kernel<T><<<kPartials, kReduce, 0, stream>>>(x, count, square ? 1 : 0, partial);
  SC_LAUNCHED("partial_sum_kernel");
}

template <class Real>
void mlp_cuda_engine<Real>::combine(const double* pa, int ma, double a, const double* pb, int mb, double b) {
  combine_kernel<<<1, kReduce, 0, stream>>>(pa, ma, a, pb, mb, b, scalar_d);
  SC_LAUNCHED("combine_kernel");
}

// ---- the ops: each one's sequence of passes -------------------------------------------------------

template <class Real>
void mlp_cuda_engine<Real>::record(cuda_op op) {
  switch (op) {
    case cuda_op::value: record_value(); break;
    case cuda_op::accuracy: record_accuracy(); break;
    case cuda_op::gradient: record_gradient(); break;
    case cuda_op::hvp: record_hvp(); break;
    case cuda_op::sample_gradients: record_sample_gradients(); break;
    case cuda_op::covariance_apply: record_covariance_apply(); break;
    case cuda_op::covariance_trace: record_covariance_trace(); break;
  }
}

template <class Real>
void mlp_cuda_engine<Real>::record_value() {
  const double invN = 1.0 / static_cast<double>(N);
  convert_inputs(false);
  forward();
  partial_sum(theta_d, p, true, partA);
  partial_sum(loss, N, false, partB);
  combine(partA, kPartials, 0.5 * alpha, partB, kPartials, invN);
}

template <class Real>
void mlp_cuda_engine<Real>::record_accuracy() {
  const double invN = 1.0 / static_cast<double>(N);
  convert_inputs(false);
  forward();
  partial_sum(hit, N, false, partB);
  combine(partA, 0, 0.0, partB, kPartials, invN);
}

template <class Real>
void mlp_cuda_engine<Real>::record_gradient() {
  convert_inputs(false);
  forward();
  backward(true);
  finish(theta_d, alpha);
}

template <class Real>
void mlp_cuda_engine<Real>::record_hvp() {
  convert_inputs(true);
  forward();
  backward(false);
  r_pass();
  finish(v_d, alpha);
}

template <class Real>
void mlp_cuda_engine<Real>::record_sample_gradients() {
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
}

template <class Real>
void mlp_cuda_engine<Real>::record_covariance_apply() {
  const double invN = 1.0 / static_cast<double>(N);
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
}

template <class Real>
void mlp_cuda_engine<Real>::record_covariance_trace() {
  const double invN = 1.0 / static_cast<double>(N);
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
}

// ---- the factory ---------------------------------------------------------------------------------

std::unique_ptr<mlp_cuda_impl> make_mlp_cuda_engine(const std::vector<long>& widths, const double* features,
                                                    const int* labels, long n, double alpha,
                                                    cuda_precision precision) {
  if (precision == cuda_precision::float64)
    return std::make_unique<mlp_cuda_engine<double>>(widths, features, labels, n, alpha, precision);
  return std::make_unique<mlp_cuda_engine<float>>(widths, features, labels, n, alpha, precision);
}

}  // namespace shiftcurv_examples::network::detail
