"""Shared fixtures: where the C++ programs are (the independent references of several tests).

SHIFTCURV_BUILD (set by ctest) is the CMake build holding examples/synthetic_basins etc.; a
test that needs a program the build does not have fails (never skips silently)."""
import gzip
import os
import pathlib
import subprocess

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def build_dir():
    return pathlib.Path(os.environ.get("SHIFTCURV_BUILD", ROOT / "build"))


def program(name):
    for sub in ("examples", "examples/network"):
        p = build_dir() / sub / name
        if p.exists():
            return p
    pytest.fail(f"the program {name} is not built under {build_dir()} (set SHIFTCURV_BUILD)")


def run(name, *args, cwd=None):
    r = subprocess.run([str(program(name)), *args], capture_output=True, text=True, cwd=cwd)
    assert r.returncode == 0, f"{name} {' '.join(args)}: exit {r.returncode}: {r.stderr}"
    return r.stdout


def read_csv_text(text):
    lines = [l for l in text.strip().splitlines() if l]
    header = lines[0].split(",")
    rows = [[float(x) for x in l.split(",")] for l in lines[1:]]
    return header, np.array(rows)


def digits():
    """The vendored digits: (features N×64 scaled by 1/16, labels), first 1000 train, rest test."""
    with gzip.open(ROOT / "examples" / "data" / "digits.csv.gz", "rt") as f:
        a = np.loadtxt(f, delimiter=",")
    return a[:, :64] / 16.0, a[:, 64].astype(np.int64)
