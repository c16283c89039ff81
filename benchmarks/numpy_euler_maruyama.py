#!/usr/bin/env python3
"""NumPy peer of benchmarks/langevin.cpp two_well_1d: vectorized Euler-Maruyama over particles
for the Figure 4-left Gaussian wells, D = 1e-3, T = 1, reflecting walls [-4, 4].
Prints particle-steps per second (best of 3, wall and CPU time). Usage: python3 numpy_euler_maruyama.py [particles] [steps]"""
import sys
import time

import numpy as np

M = np.array([-1.0, 1.0])
W = np.array([0.021, 0.1])
S = np.array([0.1, 0.5])


def du(x):
    # U = -sum_i w_i N(x; m_i, s_i^2);  U' = sum_i w_i (x - m_i)/s_i^2 N(x; m_i, s_i^2)
    r = (x[:, None] - M) / S
    phi = np.exp(-0.5 * r * r) / (S * np.sqrt(2 * np.pi))
    return (W * r / S * phi).sum(axis=1)


def reflect(x, lo, hi):
    w = hi - lo
    y = np.mod(x - lo, 2 * w)
    return np.where(y <= w, lo + y, hi - (y - w))


def run(n, steps, rng):
    T, D, dt = 1.0, 1e-3, 1e-3
    b = np.sqrt(T * D * dt)
    x = rng.uniform(-4, 4, n)
    for _ in range(steps):
        x = reflect(x - du(x) * dt + b * rng.standard_normal(n), -4.0, 4.0)
    return x


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rng = np.random.default_rng(0)
    best, best_cpu = float("inf"), float("inf")
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        run(n, steps, rng)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    print(f"numpy {np.__version__}: {n} particles x {steps} steps: {n * steps / best:.4g} particle-steps/s (wall), "
          f"{n * steps / best_cpu:.4g} (CPU)")


if __name__ == "__main__":
    main()
