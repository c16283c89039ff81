#!/usr/bin/env bash
# tests/gpu/host_emulation/run.sh — runs tests/gpu/gpu_mlp_test against the CUDA backend
# (examples/network/mlp_cuda*.cu and their headers) compiled as HOST code, on a machine without
# a GPU.  A check of the CUDA backend's logic, not of the GPU: every kernel launch becomes a
# serial loop over the grid (one thread per block, so the grid-stride loops and block reductions cover everything in order), cuBLAS's gemm/gemv are
# column-major reference loops that check cuBLAS's argument rules (leading dimensions), every
# device buffer starts as NaN (a read of unwritten data shows), and stream capture records the
# launches into a tape that graph launches replay.  What it cannot see: races, real cuBLAS,
# real graph capture, launch limits beyond the grid sizes, float rounding of the GPU.
#
#   bash tests/gpu/host_emulation/run.sh      (the two small nets, 5 timed runs: ~2 minutes)
#
# Variables: BUILD (default build-gpu-emu), EIGEN (default /usr/include/eigen3), DIGITS (the
# .csv.gz, default examples/data/digits.csv.gz), ARGS (extra
# arguments of gpu_mlp_test; default --small --quick).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build=${BUILD:-$repo/build-gpu-emu}
eigen=${EIGEN:-/usr/include/eigen3}
args=${ARGS:---small --quick}
mkdir -p "$build"
# The backend's files, launches rewritten, side by side in $build/emu: the two .cu files include
# the rewritten headers (mlp_cuda_engine.cuh, mlp_cuda_kernels.cuh) found beside them first.
mkdir -p "$build/emu"
for f in mlp_cuda.cu mlp_cuda_engine.cu mlp_cuda_engine.cuh mlp_cuda_kernels.cuh mlp_cuda_impl.hpp; do
  python3 "$here/launch_to_host.py" "$repo/examples/network/$f" > "$build/emu/$f"
done
for f in mlp_cuda mlp_cuda_engine; do
  g++ -std=c++17 -O2 -I "$here/include" -I "$repo/examples/network" -x c++ -c "$build/emu/$f.cu" \
      -o "$build/${f}_emu.o"
done
data=$build/digits.csv
gzip -dc "${DIGITS:-$repo/examples/data/digits.csv.gz}" > "$data"
g++ -std=c++20 -O2 -Wall -Wextra -Wpedantic -I "$repo/examples" -I "$repo/include" -isystem "$eigen" \
    -c "$repo/tests/gpu/gpu_mlp_test.cpp" -o "$build/gpu_mlp_test_emu.o"
g++ "$build/gpu_mlp_test_emu.o" "$build/mlp_cuda_emu.o" "$build/mlp_cuda_engine_emu.o" -pthread -o "$build/gpu_mlp_test_emu"
# shellcheck disable=SC2086
"$build/gpu_mlp_test_emu" "$data" $args
