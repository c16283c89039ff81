#!/bin/sh
# network_bench (this library) and torch_bench.py (PyTorch) in the same run, for the three nets
# of issue 10, float64 and float32, at THREADS threads (default 2): CSV on stdout.
#   sh benchmarks/network/run.sh [BUILD_DIR] > results.csv
set -eu
build=${1:-build}
threads=${THREADS:-2}
py=${PYTHON:-/usr/bin/python3}
echo "op,backend,precision,p,median_ms"
for h in 24,16 128,128 1024,1024; do
  for prec in double float; do
    reps=20
    [ "$h" = 1024,1024 ] && reps=5
    OMP_NUM_THREADS=$threads "$build/examples/network/network_bench" --hidden=$h --precision=$prec --reps=$reps | tail -n +2
    "$py" benchmarks/network/torch_bench.py --hidden=$h --precision=$prec --reps=$reps --threads=$threads | tail -n +2
  done
done
