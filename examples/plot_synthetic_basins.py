#!/usr/bin/env python3
"""Figures for `synthetic_basins --outdir=DIR` (the paper's Figures 4 and 6).

Reads DIR/synthetic_basins.csv (one row per temperature), DIR/losses.csv (theta, U_tr, U_test)
and DIR/density.csv (theta, then one rho column per selected temperature) and writes
DIR/synthetic_basins.png: (a) the train and test losses, (b) the steady-state density at
several T, (c) basin probabilities vs T (exact and Laplace), (d) train and test loss vs T with
the eq-4 and eq-7 predictions.

    python3 plot_synthetic_basins.py DIR [TITLE]
"""
import csv
import sys


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    cols = {h: [float(r[j]) for r in body] for j, h in enumerate(header)}
    return header, cols


def main():
    outdir = sys.argv[1]
    title = sys.argv[2] if len(sys.argv) > 2 else ""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, main_cols = read(f"{outdir}/synthetic_basins.csv")
    _, loss = read(f"{outdir}/losses.csv")
    dens_header, dens = read(f"{outdir}/density.csv")
    T = main_cols["T"]
    K = sum(1 for h in main_cols if h.startswith("w_exact_"))

    fig, ax = plt.subplots(2, 2, figsize=(11, 8))
    a = ax[0][0]
    a.plot(loss["theta"], loss["U_tr"], label="train $U^{tr}$")
    a.plot(loss["theta"], loss["U_test"], "--", label="test $U^{test}$")
    a.set_xlabel(r"$\theta$"); a.set_ylabel("loss"); a.legend(); a.set_title("(a) losses")

    a = ax[0][1]
    for h in dens_header[1:]:
        a.plot(dens["theta"], dens[h], label=h.replace("rho_T=", "T = "))
    top = max(max(dens[h]) for h in dens_header[1:])
    a.set_yscale("log"); a.set_ylim(1e-6, 3 * top)
    a.set_xlabel(r"$\theta$"); a.set_ylabel(r"$\rho(\theta)$"); a.legend(fontsize=8)
    a.set_title("(b) steady-state density")

    a = ax[1][0]
    for k in range(K):
        line, = a.plot(T, main_cols[f"w_exact_{k}"], label=f"basin {k} exact")
        a.plot(T, main_cols[f"w_laplace_{k}"], "--", color=line.get_color(), label=f"basin {k} Laplace")
    a.set_xscale("log"); a.set_xlabel("T"); a.set_ylabel("basin probability"); a.legend(fontsize=8)
    a.set_title("(c) basin weights")

    a = ax[1][1]
    a.plot(T, main_cols["train_loss"], label="train (exact)")
    a.plot(T, main_cols["test_loss"], label="test (exact)")
    a.plot(T, main_cols["test_loss_eq4"], "--", label="test, eq 4")
    a.plot(T, main_cols["test_loss_eq7"], ":", label="test, eq 7")
    a.set_xscale("log"); a.set_xlabel("T"); a.set_ylabel("expected loss"); a.legend(fontsize=8)
    a.set_title("(d) expected losses")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(f"{outdir}/synthetic_basins.png", dpi=110)
    print(f"wrote {outdir}/synthetic_basins.png")


if __name__ == "__main__":
    main()
