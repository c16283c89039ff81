// Host emulation of the CUDA runtime subset used by the CUDA backend (examples/network/
// mlp_cuda*.cu), for tests/gpu/host_emulation/run.sh (a check of the logic on a machine without a GPU).
#pragma once
#include <cmath>
#include <math.h>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>
struct uint3 { unsigned x = 0, y = 0, z = 0; };
struct dim3 { unsigned x, y, z; dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {} };
inline uint3 blockIdx, threadIdx;
inline dim3 blockDim(1, 1, 1), gridDim(1, 1, 1);
#define __global__
#define __device__
#define __shared__ static
inline void __syncthreads() {}
typedef int cudaError_t;
enum { cudaSuccess = 0 };
typedef void* cudaStream_t;
struct emu_graph { std::vector<std::function<void()>> ops; };
typedef emu_graph* cudaGraph_t;
typedef emu_graph* cudaGraphExec_t;
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
enum cudaStreamCaptureMode { cudaStreamCaptureModeThreadLocal };
#define cudaStreamNonBlocking 1
namespace emu {
inline bool capturing = false;
inline std::vector<std::function<void()>> tape;
inline long launches = 0, replays = 0;
inline void submit(std::function<void()> f) { if (capturing) tape.push_back(std::move(f)); else f(); }
template <class F, class... A> void launch(dim3 g, F f, A... a) {
  if (g.x == 0 || g.y == 0 || g.x > 2147483647u || g.y > 65535) std::abort();
  submit([=] {
    ++launches;
    gridDim = g; blockDim = dim3(1, 1, 1); threadIdx = uint3{};
    for (unsigned by = 0; by < g.y; ++by)
      for (unsigned bx = 0; bx < g.x; ++bx) { blockIdx.x = bx; blockIdx.y = by; f(a...); }
  });
}
}
inline const char* cudaGetErrorName(cudaError_t) { return "cudaErrorEmu"; }
inline const char* cudaGetErrorString(cudaError_t) { return "emulated error"; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaGetDeviceCount(int* n) { *n = 1; return cudaSuccess; }
inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, int) { *s = (void*)1; return 0; }
inline cudaError_t cudaStreamDestroy(cudaStream_t) { return 0; }
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return 0; }
inline cudaError_t cudaDeviceSynchronize() { return 0; }
template <class T> cudaError_t cudaMalloc(T** p, size_t n) {
  void* q = std::malloc(n); std::memset(q, 0xFF, n);  // NaN everywhere: catches reads of unwritten data
  *p = static_cast<T*>(q); return 0;
}
inline cudaError_t cudaFree(void* p) { std::free(p); return 0; }
inline cudaError_t cudaMemcpyAsync(void* d, const void* s, size_t n, cudaMemcpyKind, cudaStream_t) {
  if (emu::capturing) std::abort();
  std::memcpy(d, s, n);
  return 0;
}
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, cudaMemcpyKind) { std::memcpy(d, s, n); return 0; }
inline cudaError_t cudaStreamBeginCapture(cudaStream_t, cudaStreamCaptureMode) {
  emu::capturing = true; emu::tape.clear(); return 0; }
inline cudaError_t cudaStreamEndCapture(cudaStream_t, cudaGraph_t* g) {
  emu::capturing = false; *g = new emu_graph{std::move(emu::tape)}; emu::tape.clear(); return 0; }
inline cudaError_t cudaGraphInstantiate(cudaGraphExec_t* e, cudaGraph_t g, unsigned long long) {
  *e = new emu_graph(*g); return 0; }
inline cudaError_t cudaGraphDestroy(cudaGraph_t g) { delete g; return 0; }
inline cudaError_t cudaGraphExecDestroy(cudaGraphExec_t g) { delete g; return 0; }
inline cudaError_t cudaGraphLaunch(cudaGraphExec_t e, cudaStream_t) {
  ++emu::replays; for (auto& f : e->ops) f(); return 0; }
