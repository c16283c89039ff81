#!/usr/bin/env python3
"""PyTorch peer of network_bench: the same four computations on the same net and data.

    torch_bench.py --hidden=128,128 [--device=cpu|cuda] [--precision=double|float] [--reps=20]
                   [--threads=2] [--data=examples/data/digits.csv.gz]

Prints CSV rows op,backend,precision,p,median_ms (backend torch-cpu / torch-cuda), one per op:
  grad        ∇U_tr over the 1000 training digits
  hvp         ∇²U_tr·v
  per_sample  the N × p per-sample gradient matrix
  dv          D·v = (1/N) Jᵀ(J v) − ḡ(ḡᵀv), J the per-sample Jacobian (never formed)
For each op the best (smallest median) of the routes PyTorch offers: autograd (torch.autograd
functional API, double backward) and torch.func / functorch (grad, jvp of grad, vmap of grad,
jvp + vjp) when installed.  Same net as examples/network/mlp.hpp: 64-h…-10, tanh hidden layers,
softmax cross-entropy, parameters W_l row-major then b_l; θ ~ N(0, 1/n_in) weights, zero biases.
"""
import argparse
import gzip
import statistics
import sys
import time

import numpy as np
import torch

try:
    import torch.func as tf  # torch >= 2.0
except ImportError:  # torch 1.13: functorch
    try:
        import functorch as tf
    except ImportError:
        tf = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hidden", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", default="double", choices=["double", "float"])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default="examples/data/digits.csv.gz")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dtype = torch.float64 if a.precision == "double" else torch.float32
    dev = torch.device(a.device)
    d = np.loadtxt(gzip.open(a.data), delimiter=",")
    X = torch.tensor(d[:1000, :64] / 16.0, dtype=dtype, device=dev)
    y = torch.tensor(d[:1000, 64], dtype=torch.long, device=dev)
    widths = [64] + [int(h) for h in a.hidden.split(",")] + [10]
    shapes = [(widths[l + 1], widths[l]) for l in range(len(widths) - 1)]
    p = sum(o * i + o for o, i in shapes)
    g = torch.Generator().manual_seed(1)
    parts = []
    for o, i in shapes:
        parts += [torch.randn(o * i, generator=g, dtype=torch.float64) / i ** 0.5, torch.zeros(o, dtype=torch.float64)]
    theta = torch.cat(parts).to(dtype=dtype, device=dev)
    v = torch.randn(p, generator=g, dtype=torch.float64).to(dtype=dtype, device=dev)
    v /= v.norm()

    def logits(t, x):  # x: (n, 64)
        off, h = 0, x
        for l, (o, i) in enumerate(shapes):
            W = t[off:off + o * i].view(o, i)
            off += o * i
            b = t[off:off + o]
            off += o
            h = h @ W.T + b
            if l + 1 < len(shapes):
                h = torch.tanh(h)
        return h

    def U(t):
        return torch.nn.functional.cross_entropy(logits(t, X), y)

    def sample_loss(t, x, yi):
        return torch.nn.functional.cross_entropy(logits(t, x[None]), yi[None])

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def median_ms(f):
        f()
        sync()
        ts = []
        for _ in range(a.reps):
            t0 = time.perf_counter()
            f()
            sync()
            ts.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(ts)

    routes = {"grad": [], "hvp": [], "per_sample": [], "dv": []}

    # autograd routes
    def ag_grad():
        t = theta.detach().requires_grad_(True)
        return torch.autograd.grad(U(t), t)[0]

    def ag_hvp():
        t = theta.detach().requires_grad_(True)
        (gr,) = torch.autograd.grad(U(t), t, create_graph=True)
        return torch.autograd.grad(gr @ v, t)[0]

    def ag_dv():  # J v by double-backward trick, then Jᵀ u
        t = theta.detach().requires_grad_(True)
        losses = torch.nn.functional.cross_entropy(logits(t, X), y, reduction="none")
        w = torch.zeros(1000, dtype=dtype, device=dev, requires_grad=True)
        (jt_w,) = torch.autograd.grad(losses, t, grad_outputs=w, create_graph=True)  # Jᵀ w, linear in w
        (u,) = torch.autograd.grad(jt_w @ v, w)  # J v
        u = (u - u.mean()) / 1000
        return torch.autograd.grad(losses, t, grad_outputs=u)[0]

    routes["grad"].append(ag_grad)
    routes["hvp"].append(ag_hvp)
    routes["dv"].append(ag_dv)
    if p * 1000 * (8 if a.precision == "double" else 4) < 4e9:  # per-sample by a loop is hopeless; autograd jacobian
        routes["per_sample"].append(lambda: torch.autograd.functional.jacobian(
            lambda t: torch.nn.functional.cross_entropy(logits(t, X), y, reduction="none"), theta, vectorize=True))

    if tf is not None:
        gU = tf.grad(U)
        routes["grad"].append(lambda: gU(theta))
        routes["hvp"].append(lambda: tf.jvp(gU, (theta,), (v,))[1])
        ps = tf.vmap(tf.grad(sample_loss), in_dims=(None, 0, 0))
        routes["per_sample"].append(lambda: ps(theta, X, y))

        def losses_of(t):
            return torch.nn.functional.cross_entropy(logits(t, X), y, reduction="none")

        def fn_dv():
            u = tf.jvp(losses_of, (theta,), (v,))[1]
            _, vjp = tf.vjp(losses_of, theta)
            return vjp((u - u.mean()) / 1000)[0]

        routes["dv"].append(fn_dv)

    backend = "torch-" + dev.type
    print("op,backend,precision,p,median_ms")
    for op in ["grad", "hvp", "per_sample", "dv"]:
        best = float("inf")
        for f in routes[op]:
            try:
                best = min(best, median_ms(f))
            except RuntimeError as e:  # e.g. out of memory
                print(f"# {op}: a route failed: {e}", file=sys.stderr)
        print(f"{op},{backend},{a.precision},{p},{best:.6g}", flush=True)


if __name__ == "__main__":
    main()
