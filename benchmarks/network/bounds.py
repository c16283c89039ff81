#!/usr/bin/env python3
"""Reads the CSV of benchmarks/network/run.sh on stdin; prints a markdown table: each op's time
for shiftcurv and PyTorch, the speed-up, and the fraction of its arithmetic or memory bound.

    sh benchmarks/network/run.sh | python3 benchmarks/network/bounds.py --gflops=78 --gbs=20

Arithmetic model (multiply-add = 2 flops; N = 1000 samples; P = Σ_l n_l n_{l-1} weights; c =
n_1 n_0, the first layer, which needs no back-propagated error):
  grad        forward 2NP + back-propagation 2N(P−c) + weight gradients 2NP     = 2N(3P − c)
  hvp         forward and backward as above + R-forward (V a, W R(a)) + R-backward (Vᵀe, Wᵀ R(e))
              + the two output products                                       = 2N(8P − 5c)
  dv          forward + backward + V a + the weighted weight gradients       = 2N(4P − c)
  per_sample  forward + backward 2N(2P − c) flops, and 8Np (float64; 4Np float32) bytes written
The bound of a row is max(flops / peak flop rate, bytes / memory bandwidth); fraction = bound /
measured time.  --gflops: the peak of the machine for the precision of the row (float32 twice
float64); --gbs: the memory write bandwidth in GB/s.
"""
import argparse
import csv
import sys

NETS = {"24,16": [64, 24, 16, 10], "128,128": [64, 128, 128, 10], "1024,1024": [64, 1024, 1024, 10]}


def model(widths, op, prec):
    n = 1000
    P = sum(widths[l] * widths[l + 1] for l in range(len(widths) - 1))
    c = widths[0] * widths[1]
    p = sum(widths[l + 1] * (widths[l] + 1) for l in range(len(widths) - 1))
    flops = {"grad": 2 * n * (3 * P - c), "hvp": 2 * n * (8 * P - 5 * c), "dv": 2 * n * (4 * P - c),
             "per_sample": 2 * n * (2 * P - c)}[op]
    bytes_ = n * p * (8 if prec == "double" else 4) if op == "per_sample" else 0
    return flops, bytes_


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gflops", type=float, required=True, help="peak float64 GFLOP/s of the cores used")
    ap.add_argument("--gbs", type=float, required=True, help="memory write bandwidth, GB/s")
    a = ap.parse_args()
    rows = [r for r in csv.DictReader(line for line in sys.stdin if not line.startswith("#"))]
    by = {}
    for r in rows:
        if r["op"] == "op":
            continue
        backend = "torch" if r["backend"].startswith("torch") else "shiftcurv"
        by[(r["p"], r["precision"], r["op"], backend)] = float(r["median_ms"])
    p_to_net = {}
    for name, w in NETS.items():
        p_to_net[str(sum(w[l + 1] * (w[l] + 1) for l in range(len(w) - 1)))] = (name, w)
    print("| net | precision | op | shiftcurv ms | PyTorch ms | speed-up | bound ms | fraction of bound |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for (p, prec, op, backend), ms in sorted(by.items(), key=lambda kv: (int(kv[0][0]), kv[0][1], kv[0][2])):
        if backend != "shiftcurv" or p not in p_to_net:
            continue
        name, w = p_to_net[p]
        flops, bytes_ = model(w, op, prec)
        peak = a.gflops * (2 if prec == "float" else 1) * 1e9
        bound = max(flops / peak, bytes_ / (a.gbs * 1e9)) * 1e3
        torch = by.get((p, prec, op, "torch"))
        ts = f"{torch:.3g}" if torch else "–"
        sp = f"{torch / ms:.1f}×" if torch else "–"
        print(f"| 64-{name.replace(',', '-')}-10 | {prec} | {op} | {ms:.3g} | {ts} | {sp} | {bound:.3g} | {bound / ms:.0%} |")


if __name__ == "__main__":
    main()
