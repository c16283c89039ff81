#!/usr/bin/env python3
"""Speed of the Python package against its peers, measured in the same run (benchmarks/README.md,
"Python package").  Not a test: it prints numbers.

    PYTHONPATH=build/python build/venv/bin/python benchmarks/python/bridge_overhead.py [--build=build] [--reps=3]

1. Bridge overhead on the 64-128-128-10 tanh MLP (digits, float64, torch threads as set by
   OMP_NUM_THREADS): shiftcurv.top_eigenpairs(k=10) — the C++ Lanczos (Spectra) calling the
   bridge's mean_hvp through Python — against the same number of HVPs computed by torch alone
   (double backward on tensors, no NumPy, no C++); and 100 D·v products through the C++ library
   (hutchinson_trace on D with 100 probes) against 100 of the same torch computations alone.
   overhead = time(shiftcurv) / time(torch alone) − 1 (it includes Lanczos' own O(p·k) work).
2. Langevin ensembles: SyntheticModel.langevin_ensemble against the langevin_ensemble program,
   same flags and threads: particles·steps per second of each (the program's wall time from
   its own process, started once; the Python call from inside the interpreter).
"""
import argparse
import gzip
import os
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

import shiftcurv as sc
from shiftcurv.torch import TorchLoss

ROOT = pathlib.Path(__file__).resolve().parents[2]


def digits():
    with gzip.open(ROOT / "examples/data/digits.csv.gz", "rt") as f:
        a = np.loadtxt(f, delimiter=",")
    return torch.tensor(a[:1000, :64] / 16.0), torch.tensor(a[:1000, 64], dtype=torch.long)


def best(f, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return min(ts), statistics.median(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    torch.set_default_dtype(torch.float64)
    X, y = digits()
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.Tanh(), torch.nn.Linear(128, 128), torch.nn.Tanh(),
                              torch.nn.Linear(128, 10))
    L = TorchLoss(net, torch.nn.functional.cross_entropy, X, y, alpha=1e-3, chunk_size=1000)
    th = L.initial_parameters()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, p = {L.dimension()}, N = {L.num_samples()}")

    # -- torch alone: the same HVP and D·v computations on tensors
    t = torch.tensor(th)
    params = L._unflatten

    def losses(tt):
        return L._losses(tt, L.inputs, L.targets)

    def hvp_alone(v):
        tt = t.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(losses(tt).mean() + 0.5e-3 * tt.dot(tt), tt, create_graph=True)
        (h,) = torch.autograd.grad(g.dot(v), tt)
        return h

    def dv_alone(v):
        a_ = L._directional(t, v, L.inputs, L.targets).detach()
        tt = t.detach().requires_grad_(True)
        ls = losses(tt)
        (ga,) = torch.autograd.grad((a_ * ls).sum(), tt, retain_graph=True)
        (gs,) = torch.autograd.grad(ls.sum(), tt)
        gbar = gs / len(a_)
        return ga / len(a_) - gbar * gbar.dot(v)

    r = sc.top_eigenpairs(L, th, 10)
    n_hvp = r.operator_applications
    vs = [torch.randn(t.numel()) for _ in range(n_hvp)]
    lz_bridge = best(lambda: sc.top_eigenpairs(L, th, 10), a.reps)
    lz_alone = best(lambda: [hvp_alone(v) for v in vs], a.reps)
    print(f"Lanczos top-10: {n_hvp} HVPs; shiftcurv {lz_bridge[0]:.3f} s (median {lz_bridge[1]:.3f}), "
          f"torch alone {lz_alone[0]:.3f} s (median {lz_alone[1]:.3f}); overhead {lz_bridge[0] / lz_alone[0] - 1:+.1%}")
    ws = [torch.randn(t.numel()) for _ in range(100)]
    dv_bridge = best(lambda: sc.hutchinson_trace(L, th, operator="diffusion", probes=100), a.reps)
    dv_alone_t = best(lambda: [dv_alone(w) for w in ws], a.reps)
    print(f"100 D·v: shiftcurv (hutchinson_trace on D) {dv_bridge[0]:.3f} s (median {dv_bridge[1]:.3f}), "
          f"torch alone {dv_alone_t[0]:.3f} s (median {dv_alone_t[1]:.3f}); overhead {dv_bridge[0] / dv_alone_t[0] - 1:+.1%}")

    # -- Langevin ensembles: Python vs the program, same flags
    prog = pathlib.Path(a.build) / "examples" / "langevin_ensemble"
    flags = dict(T=0.5, particles=200000, dt=0.01, time=10.0, seed=1)
    steps = int(round(flags["time"] / flags["dt"]))
    m = sc.SyntheticModel("fig4-left")
    for threads in (1, 2):
        cmd = [str(prog), f"--temperature={flags['T']}", f"--particles={flags['particles']}", f"--dt={flags['dt']}",
               f"--time={flags['time']}", f"--seed={flags['seed']}", f"--threads={threads}", "--csv=-"]
        prog_t = best(lambda: subprocess.run(cmd, check=True, capture_output=True), a.reps)
        py_t = best(lambda: m.langevin_ensemble(flags["T"], particles=flags["particles"], dt=flags["dt"],
                                                time=flags["time"], seed=flags["seed"], threads=threads), a.reps)
        rate = lambda s: flags["particles"] * steps / s / 1e6
        print(f"Langevin 1-D, {flags['particles']} particles × {steps} steps, {threads} thread(s): program "
              f"{prog_t[0]:.3f} s ({rate(prog_t[0]):.1f} M particle-steps/s), Python {py_t[0]:.3f} s "
              f"({rate(py_t[0]):.1f} M/s): Python/program throughput {prog_t[0] / py_t[0]:.3f}")


if __name__ == "__main__":
    main()
