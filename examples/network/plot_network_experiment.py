#!/usr/bin/env python3
"""Figures for `network_experiment --out=DIR` (the paper's Figures 1, 2/3 and 5 on the digits MLP).

Reads the complete CSVs in DIR (lines starting with '#' are the run's configuration) and writes
  DIR/fig1_line.png         Figure 1: accuracy and loss along the line Theta(r) for the lowest
                            and highest T (seed = the first), and the reflected losses with fits
  DIR/fig2_temperature.png  Figures 2/3: against T (mean +- sd over seeds): U_test(theta_tr) and
                            the eq-3 prediction; U_tr(theta_tr), U_test(theta_test); s^T C s (HVP
                            and fit) and |s|; train and test curvature along the line
  DIR/fig5_shift.png        Figure 5: final train/test loss against T by batch size; the
                            reshuffle and sample-size shift experiments
  DIR/d1_terms.png          Appendix D.1: measured flat-direction variance vs T beta^2/(2 alpha);
                            eq 4's terms, measured and predicted, vs the mean test loss
A figure whose CSV is missing is skipped.

    python3 plot_network_experiment.py DIR
"""
import csv
import math
import os
import sys
from collections import defaultdict


def read(path):
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(line for line in f if not line.startswith("#"))]
    header, body = rows[0], rows[1:]
    return [{h: float(r[j]) for j, h in enumerate(header)} for r in body]


def mean_sd(values):
    v = [x for x in values if math.isfinite(x)]
    if not v:
        return float("nan"), float("nan")
    m = sum(v) / len(v)
    sd = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else 0.0
    return m, sd


def by(rows, key):
    groups = defaultdict(list)
    for r in rows:
        groups[r[key]].append(r)
    return dict(sorted(groups.items()))


def band(ax, x, rows_by_x, col, label, style="-o"):
    ms = [mean_sd([r[col] for r in rows_by_x[k]]) for k in x]
    m = [a for a, _ in ms]
    sd = [b for _, b in ms]
    line, = ax.plot(x, m, style, label=label, ms=4)
    ax.fill_between(x, [a - b for a, b in zip(m, sd)], [a + b for a, b in zip(m, sd)], color=line.get_color(), alpha=0.2)


def figure1(outdir, plt):
    line = read(f"{outdir}/fig1_line.csv")
    summary = read(f"{outdir}/fig2_temperature.csv")
    Ts = sorted({r["T"] for r in line})
    seed = min(r["seed"] for r in line)
    picks = [Ts[0], Ts[-1]] if len(Ts) > 1 else Ts
    colors = {Ts[0]: "tab:blue", Ts[-1]: "tab:red"}
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.2))
    for T in picks:
        rows = [r for r in line if r["T"] == T and r["seed"] == seed]
        s = next(r for r in summary if r["T"] == T and r["seed"] == seed)
        x = [r["r_over_shift"] for r in rows]
        c = colors.get(T, None)
        ax[0].plot(x, [r["train_accuracy"] for r in rows], "-", color=c, label=f"train, T={T:g}")
        ax[0].plot(x, [r["test_accuracy"] for r in rows], "--", color=c, label=f"test, T={T:g}")
        ax[1].plot(x, [r["train_loss"] for r in rows], "-", color=c, label=f"train, T={T:g}")
        ax[1].plot(x, [r["test_loss"] for r in rows], "--", color=c, label=f"test, T={T:g}")
        # reflected losses: distance d from each minimum (test: towards the train minimum;
        # train: away from the test minimum), with the fitted f_min + c d^2 / 2
        n = s["shift_norm"]
        d_te = [(1 - r["r_over_shift"]) * n for r in rows if 0 <= r["r_over_shift"] <= 1]
        u_te = [r["test_loss"] for r in rows if 0 <= r["r_over_shift"] <= 1]
        d_tr = [-r["r_over_shift"] * n for r in rows if r["r_over_shift"] <= 0]
        u_tr = [r["train_loss"] for r in rows if r["r_over_shift"] <= 0]
        ax[2].plot(d_te + [-d for d in d_te], u_te + u_te, ".", color=c, ms=3)
        ax[2].plot(d_tr + [-d for d in d_tr], u_tr + u_tr, "x", color=c, ms=3)
        grid = [n * (k / 50 - 1) for k in range(101)]
        ax[2].plot(grid, [s["test_fit_minimum"] + 0.5 * s["test_curvature_fit"] * g * g for g in grid], "--", color=c,
                   label=f"test fit c={s['test_curvature_fit']:.3g}, T={T:g}")
        ax[2].plot(grid, [s["train_fit_minimum"] + 0.5 * s["train_curvature_fit"] * g * g for g in grid], "-", color=c,
                   label=f"train fit c={s['train_curvature_fit']:.3g}, T={T:g}")
    for a in ax[:2]:
        a.axvline(0, color="gray", lw=0.5)
        a.axvline(1, color="gray", lw=0.5)
        a.set_xlabel(r"$r/|s|$  (0: $\theta^{tr}$, 1: $\theta^{test}$)")
        a.legend(fontsize=7)
    ax[0].set_ylabel("accuracy")
    ax[0].set_title("accuracy along the line")
    ax[1].set_ylabel("loss (with l2 term)")
    ax[1].set_title("loss along the line")
    ax[2].set_xlabel("distance d from the minimum (mirrored)")
    ax[2].set_ylabel("loss")
    ax[2].set_title("reflected losses and quadratic fits")
    ax[2].legend(fontsize=7)
    fig.suptitle(f"Figure 1 (digits MLP), seed {seed:g}: low T (blue) vs high T (red)")
    fig.tight_layout()
    fig.savefig(f"{outdir}/fig1_line.png", dpi=110)
    plt.close(fig)


def figure2(outdir, plt):
    rows = read(f"{outdir}/fig2_temperature.csv")
    g = by(rows, "T")
    T = list(g)
    fig, ax = plt.subplots(2, 2, figsize=(11, 8))
    a = ax[0][0]
    band(a, T, g, "test_at_train_min", r"$U^{test}(\theta^{tr})$")
    band(a, T, g, "eq3_prediction", r"$U^{test}(\theta^{test}) + \frac{1}{2} s^T C^{test} s$ (eq 3)", "--s")
    a.set_title("test loss at the train minimum and eq 3")
    a = ax[1][0]
    band(a, T, g, "train_min_loss", r"$U^{tr}(\theta^{tr})$")
    band(a, T, g, "test_min_loss", r"$U^{test}(\theta^{test})$", "--s")
    a.set_title("losses at their own minima")
    a = ax[0][1]
    band(a, T, g, "shift_curvature_hvp", r"$s^T C^{test} s$ (HVP)")
    band(a, T, g, "shift_curvature_fit", r"$c^{test}|s|^2$ (fit)", "--s")
    a.set_title("shift-curvature")
    b = a.twinx()
    ms = [mean_sd([r["shift_norm"] for r in g[t]])[0] for t in T]
    b.plot(T, ms, ":k^", ms=4, label="|s| (right axis)")
    b.set_ylabel("|s|")
    b.legend(loc="upper right", fontsize=7)
    a = ax[1][1]
    band(a, T, g, "train_curvature_fit", "train curvature (fit)")
    band(a, T, g, "test_curvature_fit", "test curvature (fit)", "--s")
    band(a, T, g, "curvature_hvp", r"$s^T C^{test} s/|s|^2$ (HVP)", ":^")
    a.set_title("curvature along the line")
    for a in ax.flat:
        a.set_xscale("log")
        a.set_xlabel(r"temperature $T = \lambda/B$")
        a.legend(fontsize=7, loc="upper left")
    fig.suptitle("Figures 2/3 (digits MLP): mean +- sd over seeds")
    fig.tight_layout()
    fig.savefig(f"{outdir}/fig2_temperature.png", dpi=110)
    plt.close(fig)


def figure5(outdir, plt):
    have5 = os.path.exists(f"{outdir}/fig5_temperature.csv")
    have_r = os.path.exists(f"{outdir}/shift_reshuffle.csv")
    have_n = os.path.exists(f"{outdir}/shift_sample_size.csv")
    if not (have5 or have_r or have_n):
        return
    fig, ax = plt.subplots(1, 4, figsize=(18, 4.2))
    if have5:
        rows = read(f"{outdir}/fig5_temperature.csv")
        for B, rs in by(rows, "batch").items():
            g = by(rs, "T")
            band(ax[0], list(g), g, "final_train_loss", f"B = {B:g}")
            band(ax[1], list(g), g, "final_test_loss", f"B = {B:g}")
        for a, what in ((ax[0], "train"), (ax[1], "test")):
            a.set_xscale("log")
            a.set_xlabel(r"temperature $T = \lambda/B$")
            a.set_ylabel(f"final {what} loss (median of the last steps)")
            a.set_title(f"temperature experiment: {what}")
            a.legend(fontsize=7)
    if have_r:
        rows = read(f"{outdir}/shift_reshuffle.csv")
        g = by(rows, "split")
        x = list(g)
        for col, lab in (("train_loss", "train"), ("test_loss", "test")):
            ms = [mean_sd([r[col] for r in g[k]]) for k in x]
            ax[2].errorbar(x, [m for m, _ in ms], [s for _, s in ms], fmt="o", capsize=3, label=lab)
        ax[2].set_xticks(x)
        ax[2].set_xticklabels(["default" if k == 0 else f"shuffle {k:g}" for k in x], rotation=30, fontsize=7)
        ax[2].set_ylabel("loss after stage-1 training")
        ax[2].set_title("shift: reshuffled train/test splits")
        ax[2].legend(fontsize=7)
    if have_n:
        rows = read(f"{outdir}/shift_sample_size.csv")
        g = by(rows, "size")
        band(ax[3], list(g), g, "train_loss", "train")
        band(ax[3], list(g), g, "test_loss", "test")
        ax[3].set_xscale("log")
        ax[3].set_xlabel("sample size (train + test)")
        ax[3].set_ylabel("loss after stage-1 training")
        ax[3].set_title("shift: sample size")
        ax[3].legend(fontsize=7)
    fig.suptitle("Figure 5 (digits MLP): mean +- sd over seeds")
    fig.tight_layout()
    fig.savefig(f"{outdir}/fig5_shift.png", dpi=110)
    plt.close(fig)


def figure_d1_terms(outdir, plt):
    have_d1 = os.path.exists(f"{outdir}/d1.csv")
    have_t = os.path.exists(f"{outdir}/test_loss_terms.csv")
    if not (have_d1 or have_t):
        return
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.2))
    if have_d1:
        rows = read(f"{outdir}/d1.csv")
        x = list(range(len(rows)))
        ax[0].errorbar(x, [r["variance"] for r in rows], [r["standard_error"] for r in rows], fmt="o", capsize=3,
                       label="measured, complement of the gradient span")
        ax[0].errorbar([v + 0.1 for v in x], [r["direction_variance"] for r in rows],
                       [r["direction_standard_error"] for r in rows], fmt="s", capsize=3, label="random flat directions")
        ax[0].plot(x, [r["prediction"] for r in rows], "k_", ms=30, mew=2, label=r"$T\beta^2/(2\alpha)$")
        ax[0].set_xticks(x)
        ax[0].set_xticklabels([f"seed {r['seed']:g}" for r in rows])
        ax[0].set_ylabel("stationary variance per direction")
        ax[0].set_title("Appendix D.1 (p > N)")
        ax[0].legend(fontsize=7)
    if have_t:
        rows = read(f"{outdir}/test_loss_terms.csv")
        names = ["depth", "shift_curvature", "bias", "covariance", "total eq 4", "mean test loss"]
        meas = [mean_sd([r[c] for r in rows])[0] for c in
                ("depth", "shift_curvature", "measured_bias_curvature", "measured_covariance_curvature",
                 "measured_total_eq4", "mean_test_loss")]
        pred = [mean_sd([r[c] for r in rows])[0] for c in
                ("depth", "shift_curvature", "predicted_bias_curvature", "predicted_covariance_curvature",
                 "predicted_total_eq4", "mean_test_loss")]
        x = list(range(len(names)))
        ax[1].bar([v - 0.2 for v in x], meas, 0.4, label="measured Sigma, b")
        ax[1].bar([v + 0.2 for v in x], pred, 0.4, label="predicted (Lyapunov, top-k)")
        ax[1].set_xticks(x)
        ax[1].set_xticklabels(names, rotation=20, fontsize=8)
        ax[1].set_yscale("symlog", linthresh=1e-4)
        ax[1].set_title(f"eq 4's terms at T = {rows[0]['T']:g} (mean over seeds)")
        ax[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(f"{outdir}/d1_terms.png", dpi=110)
    plt.close(fig)


def main():
    outdir = sys.argv[1]
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if os.path.exists(f"{outdir}/fig1_line.csv") and os.path.exists(f"{outdir}/fig2_temperature.csv"):
        figure1(outdir, plt)
        figure2(outdir, plt)
        print(f"wrote {outdir}/fig1_line.png, {outdir}/fig2_temperature.png")
    figure5(outdir, plt)
    if os.path.exists(f"{outdir}/fig5_shift.png"):
        print(f"wrote {outdir}/fig5_shift.png")
    figure_d1_terms(outdir, plt)
    if os.path.exists(f"{outdir}/d1_terms.png"):
        print(f"wrote {outdir}/d1_terms.png")


if __name__ == "__main__":
    main()
