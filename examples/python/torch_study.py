#!/usr/bin/env python3
"""The paper's network study on a PyTorch model, through shiftcurv's C++ algorithms.

    python examples/python/torch_study.py --out=study [--temperatures=0.002,0.005,0.01]
                                          [--seeds=1,2] [--epochs=30] [--batch=32] [--alpha=1e-3]
                                          [--k=10] [--records=200] [--quick]

Model: a small CNN on the 8×8 digits images (examples/data/digits.csv.gz: first 1000 train,
797 test): Conv2d(1→4, 3×3) · tanh · 2×2 average pooling · Linear(64→10), softmax cross-entropy
(+ α/2 |θ|² on the train loss), p = 690 parameters, float64.  For each unit (T, seed), as
network_experiment does for its MLP (examples/network/README.md):
  1. shiftcurv.run_protocol: the library's SGD at T (λ = T·B, its reproducible Philox minibatches),
     L-BFGS to the train minimum θ_tr and the test minimum θ_test, the line between them with
     Appendix F's symmetrized fits, the exact shift-curvature sᵀC_test s (one HVP) and eq 3;
  2. shiftcurv.test_loss_terms: SGD at T again from θ_tr, the mean test loss over its iterates,
     eq 4's terms measured (iterate covariance and bias) and predicted (the Lyapunov covariance in
     the top-k Hessian span, the bias from ∇·D).
Run it with the package installed (`pip install .`) or from the build tree after `make test`:
    PYTHONPATH=build/python build/venv/bin/python examples/python/torch_study.py --out=study
A progress line per unit goes to stderr.  Written to OUT: fig1_line.csv (the losses along the
line), fig2_temperature.csv (one row per unit: the protocol's numbers), test_loss_terms.csv (one
row per unit: eq 4 measured and predicted), and fig1_line.png, fig2_temperature.png,
test_loss_terms.png (matplotlib, when installed).  Each CSV is written whole at the end, to a
temporary name then renamed.  Bad flags: exit 2 with one line on stderr.
"""
import argparse
import csv
import gzip
import math
import os
import pathlib
import sys
import time

import numpy as np
import torch

import shiftcurv as sc
from shiftcurv.torch import TorchLoss

HERE = pathlib.Path(__file__).resolve().parent


def fail(msg):
    print(f"torch_study: {msg}", file=sys.stderr)
    sys.exit(2)


def number_list(flag, text, kind=float, positive=True):
    try:
        xs = [kind(x) for x in text.split(",")]
    except ValueError:
        fail(f"--{flag}: expected a comma-separated list of numbers (got '{text}')")
    if not xs or any((not math.isfinite(x)) or (positive and x <= 0) for x in xs):
        fail(f"--{flag}: every value must be finite{' and > 0' if positive else ''} (got '{text}')")
    return xs


def load_digits(path):
    with gzip.open(path, "rt") as f:
        a = np.loadtxt(f, delimiter=",")
    X = torch.tensor(a[:, :64] / 16.0).reshape(-1, 1, 8, 8)
    y = torch.tensor(a[:, 64], dtype=torch.long)
    return (X[:1000], y[:1000]), (X[1000:], y[1000:])


def cnn(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.Tanh(), torch.nn.AvgPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 10)).double()


def write_csv(path, header, rows):
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([repr(float(x)) if isinstance(x, (float, np.floating)) else x for x in r])
    os.replace(tmp, path)


def figures(out, line_rows, fig2_rows, terms_rows):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("torch_study: matplotlib not installed: no figures", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for key in sorted({(r[0], r[1]) for r in line_rows}):
        pts = [r for r in line_rows if (r[0], r[1]) == key]
        x = [r[3] for r in pts]
        ax.plot(x, [r[4] for r in pts], "-", label=f"train T={key[0]:g} s={key[1]}")
        ax.plot(x, [r[5] for r in pts], "--", label=f"test T={key[0]:g} s={key[1]}")
    ax.set_xlabel("r / |s|  (0: θ_tr, 1: θ_test)")
    ax.set_ylabel("loss along the line")
    ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out / "fig1_line.png", dpi=130)
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
    T = [r[0] for r in fig2_rows]
    ax[0].semilogx(T, [r[8] for r in fig2_rows], "o", label="U_test(θ_tr)")
    ax[0].semilogx(T, [r[9] for r in fig2_rows], "x", label="eq 3: U_test(θ_test) + ½ sᵀCs")
    ax[0].set_xlabel("T")
    ax[0].legend(fontsize=7)
    ax[1].semilogx(T, [r[11] for r in fig2_rows], "o", label="sᵀC_test s (HVP)")
    ax[1].semilogx(T, [r[12] for r in fig2_rows], "x", label="c_test |s|² (fit)")
    ax[1].set_xlabel("T")
    ax[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "fig2_temperature.png", dpi=130)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    T = [r[0] for r in terms_rows]
    ax.errorbar(T, [r[2] for r in terms_rows], yerr=[2 * r[3] for r in terms_rows], fmt="o", label="mean test loss (SGD)")
    ax.semilogx(T, [r[9] for r in terms_rows], "x", label="eq 4, measured Σ, b")
    ax.semilogx(T, [r[12] for r in terms_rows], "+", label="eq 4, predicted (Lyapunov)")
    ax.set_xlabel("T")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "test_loss_terms.png", dpi=130)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--temperatures", default="0.002,0.005,0.01")
    p.add_argument("--seeds", default="1")
    p.add_argument("--epochs", default="30")
    p.add_argument("--batch", default="32")
    p.add_argument("--alpha", default="1e-3")
    p.add_argument("--k", default="10")
    p.add_argument("--records", default="200")
    p.add_argument("--line-points", default="25")
    p.add_argument("--data", default=str(HERE.parent / "data" / "digits.csv.gz"))
    p.add_argument("--quick", action="store_true", help="a smoke run: 2 epochs, 40 records, k = 4")
    try:
        a = p.parse_args()
    except SystemExit as e:
        sys.exit(2 if e.code else 0)
    Ts = number_list("temperatures", a.temperatures)
    seeds = number_list("seeds", a.seeds, int, positive=False)
    if any(s < 0 for s in seeds):
        fail(f"--seeds: seeds must be >= 0 (got '{a.seeds}')")
    epochs = number_list("epochs", a.epochs)[0]
    batch, k, records, points = (int(number_list(n, v, int)[0]) for n, v in
                                 (("batch", a.batch), ("k", a.k), ("records", a.records), ("line-points", a.line_points)))
    alpha = number_list("alpha", a.alpha, positive=False)[0]
    if alpha < 0:
        fail(f"--alpha: must be >= 0 (got '{a.alpha}')")
    if a.quick:
        epochs, records, k = 2, 40, 4
    if not pathlib.Path(a.data).exists():
        fail(f"--data: no such file (got '{a.data}')")
    out = pathlib.Path(a.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        fail(f"--out: cannot create the directory ({e.strerror}) (got '{a.out}')")

    (Xtr, ytr), (Xte, yte) = load_digits(a.data)
    if batch > Xtr.shape[0]:
        fail(f"--batch: must be <= {Xtr.shape[0]} (got '{a.batch}')")
    ce = torch.nn.functional.cross_entropy
    line_rows, fig2_rows, terms_rows = [], [], []
    units = [(T, s) for T in Ts for s in seeds]
    for u, (T, seed) in enumerate(units, 1):
        t0 = time.time()
        net = cnn(seed)
        train = TorchLoss(net, ce, Xtr, ytr, alpha=alpha)
        test = TorchLoss(net, ce, Xte, yte)
        theta0 = train.initial_parameters()
        r = sc.run_protocol(train, test, theta0, seed=seed, temperature=T, batch_size=batch, epochs=epochs,
                            line_points=points)
        t1 = time.time()
        for x, ltr, lte in zip(r.r, r.train_loss, r.test_loss):
            line_rows.append([T, seed, x, x / r.shift_norm if r.shift_norm > 0 else math.nan, ltr, lte])
        fig2_rows.append([T, seed, r.learning_rate, batch, r.sgd_steps, r.sgd_train_loss, r.train_at_train_min,
                          r.test_at_test_min, r.test_at_train_min, r.eq3_prediction, r.shift_norm,
                          r.shift_curvature_hvp, r.shift_curvature_fit, r.line.train_curvature, r.line.test_curvature,
                          r.train_accuracy_at_min, r.test_accuracy_at_train_min, r.status.name, t1 - t0])
        sgd = sc.sgd_options(learning_rate=T * batch, batch_size=batch)
        terms = sc.test_loss_terms(train, test, r.theta_tr, r.theta_test, sgd, k=k, samples=records, thinning=10,
                                   seed=seed)
        t2 = time.time()
        terms_rows.append([T, seed, terms.mean_test_loss, terms.mean_test_loss_standard_error, terms.test_depth,
                           terms.measured.shift_curvature, terms.measured.bias_curvature,
                           terms.measured.covariance_curvature, terms.predicted.covariance_curvature,
                           terms.measured.total_eq4, terms.predicted.bias_curvature, terms.projected_shift_curvature,
                           terms.predicted.total_eq4, terms.measured.total_eq7, k, records, terms.status.name, t2 - t1])
        print(f"[{u}/{len(units)}] T={T:g} seed={seed}: U_test(θ_tr)={r.test_at_train_min:.5f} "
              f"eq3={r.eq3_prediction:.5f} sCs={r.shift_curvature_hvp:.4g} ({r.status.name}, {t1 - t0:.1f} s); "
              f"mean test loss {terms.mean_test_loss:.5f} ± {terms.mean_test_loss_standard_error:.1g}, eq4 measured "
              f"{terms.measured.total_eq4:.5f}, predicted {terms.predicted.total_eq4:.5f} ({terms.status.name}, {t2 - t1:.1f} s)",
              file=sys.stderr, flush=True)

    write_csv(out / "fig1_line.csv", ["T", "seed", "r", "r_over_shift", "train_loss", "test_loss"], line_rows)
    write_csv(out / "fig2_temperature.csv",
              ["T", "seed", "learning_rate", "batch", "sgd_steps", "sgd_train_loss", "train_min_loss", "test_min_loss",
               "test_at_train_min", "eq3_prediction", "shift_norm", "shift_curvature_hvp", "shift_curvature_fit",
               "train_curvature_fit", "test_curvature_fit", "train_accuracy_at_min", "test_accuracy_at_train_min",
               "status", "seconds"], fig2_rows)
    write_csv(out / "test_loss_terms.csv",
              ["T", "seed", "mean_test_loss", "mean_test_loss_se", "depth", "shift_curvature",
               "measured_bias_curvature", "measured_covariance_curvature", "predicted_covariance_curvature",
               "measured_total_eq4", "predicted_bias_curvature", "projected_shift_curvature", "predicted_total_eq4",
               "total_eq7", "k", "records", "status", "seconds"], terms_rows)
    figures(out, line_rows, fig2_rows, terms_rows)
    print(f"torch_study: CSVs and figures in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
