#!/usr/bin/env python3
"""Peer for bench_fokker_planck: the same 1-D Fokker-Planck systems solved with SciPy/NumPy.

For N cells on [-4, 4] (paper Figure 4 left loss, D = 1e-3, T = 0.05) it builds the
Scharfetter-Gummel birth-death rates exactly as shiftcurv::fokker_planck_1d does (potential
increments by 7-point Gauss-Legendre per cell here; only the timing matters), then times
  - one backward-Euler step: scipy.linalg.solve_banded((1, 1), I - dt*A, m)  (LAPACK gtsv,
    which factorizes on every call; check_finite=False),
  - the steady state in log space: cumsum of the increments + logsumexp normalization.
Times are CPU times of this process (time.process_time).
Usage: python3 benchmarks/fokker_planck_scipy.py [max_exponent=7]
"""
import math
import sys
import time

import numpy as np
import scipy
from scipy.linalg import solve_banded
from scipy.special import logsumexp

MINIMA, WEIGHTS, SIGMAS = (-1.0, 1.0), (0.021, 0.1), (0.1, 0.5)
D, T, LO, HI = 1e-3, 0.05, -4.0, 4.0


def dU(x):
    out = np.zeros_like(x)
    for m, w, s in zip(MINIMA, WEIGHTS, SIGMAS):
        r = (x - m) / s
        out += w * r / s * np.exp(-0.5 * r * r) / (s * math.sqrt(2 * math.pi))
    return out


def build(N):
    faces = np.linspace(LO, HI, N + 1)
    c = 0.5 * (faces[1:] + faces[:-1])
    w = np.diff(faces)
    t, wt = np.polynomial.legendre.leggauss(7)
    a, b = c[:-1], c[1:]
    mid, half = 0.5 * (a + b), 0.5 * (b - a)
    dphi = 2 / T * half * sum(wk * dU(mid + half * tk) for tk, wk in zip(t, wt)) / D
    h = b - a

    def bern(x):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = x / np.expm1(x)
        out[x == 0] = 1.0
        out[np.isinf(np.expm1(x))] = 0.0
        return out

    r = np.zeros(N)
    l = np.zeros(N)
    r[:-1] = 0.5 * T * bern(dphi) * D / (h * w[:-1])
    l[1:] = 0.5 * T * bern(-dphi) * D / (h * w[1:])
    return w, dphi, r, l


def timeit(fn, min_time=0.3):
    """CPU time per call (process_time), comparable to Google Benchmark's CPU column."""
    fn()
    reps, elapsed = 1, 0.0
    while True:
        t0 = time.process_time()
        for _ in range(reps):
            fn()
        elapsed = time.process_time() - t0
        if elapsed >= min_time:
            return elapsed / reps
        reps *= 2


def main():
    max_exp = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    print(f"numpy {np.__version__}, scipy {scipy.__version__}")
    print(f"{'N':>10} {'BE step solve_banded [us]':>26} {'ns/cell':>8} {'steady state [us]':>18} {'ns/cell':>8}")
    for e in range(3, max_exp + 1):
        N = 10**e
        w, dphi, r, l = build(N)
        dt = 1e-2
        ab = np.zeros((3, N))
        ab[0, 1:] = -dt * l[1:]          # super-diagonal: -dt*l_{i+1}
        ab[1, :] = 1 + dt * (r + l)      # diagonal
        ab[2, :-1] = -dt * r[:-1]        # sub-diagonal: -dt*r_{i-1}
        m = w / (HI - LO)

        def step():
            return solve_banded((1, 1), ab, m, check_finite=False)

        def steady():
            logm = np.log(w / D) - np.concatenate(([0.0], np.cumsum(dphi)))
            logm -= logsumexp(logm)
            return np.exp(logm)

        ts, tss = timeit(step), timeit(steady)
        x = step()
        assert abs(x.sum() - 1) < 1e-9 and x.min() >= 0
        print(f"{N:>10} {ts * 1e6:>26.1f} {ts / N * 1e9:>8.2f} {tss * 1e6:>18.1f} {tss / N * 1e9:>8.2f}")


if __name__ == "__main__":
    main()
