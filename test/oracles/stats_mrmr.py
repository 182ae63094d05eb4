#!/usr/bin/env python3
"""Goldens for stats/mrmr.c: pymrmr (Peng's mRMR program) rankings, with scores re-derived in
NumPy (pymrmr only prints them, to 3 decimals), and Peng's 3-state discretisation (mean +- t*sd,
sample sd) re-derived here (pymrmr takes integer data; the discretisation is the mrmr program's
-t option, which the wrapper leaves to the caller).
Data: breast cancer (scikit-learn), iris versicolor vs virginica, and a phantom-like block-
correlated 60 x 120 radiomics table (seeded numpy).
Usage: test/oracles/stats_mrmr.py (from the repository root) -> test/golden/stats/mrmr.txt"""
import os
import sys

import numpy as np
import pandas as pd
import pymrmr
from sklearn.datasets import load_breast_cancer, load_iris

OUT = "test/golden/stats/mrmr.txt"
PYMRMR_VERSION = "0.1.11"


def discretize(X, t):
    m = X.mean(axis=0); sd = X.std(axis=0, ddof=1)
    z = (X - m) / sd
    return np.where(z < -t, -1, np.where(z > t, 1, 0)).astype(int)


def mi_bits(a, b):
    a = a - a.min(); b = b - b.min()
    pab = np.zeros((b.max() + 1, a.max() + 1))
    for x, y in zip(a, b):
        pab[y, x] += 1
    pab /= len(a)
    p1 = pab.sum(axis=0); p2 = pab.sum(axis=1)
    s = 0.0
    for j in range(pab.shape[0]):
        for i in range(pab.shape[1]):
            if pab[j, i] > 0:
                s += pab[j, i] * np.log(pab[j, i] / p1[i] / p2[j])
    return s / np.log(2)


def scores(S, y, order, method):
    out = [mi_bits(y, S[:, order[0]])]
    for k in range(1, len(order)):
        f = order[k]
        rel = mi_bits(y, S[:, f])
        red = sum(mi_bits(S[:, order[j]], S[:, f]) for j in range(k)) / k
        out.append(rel - red if method == "MID" else rel / (red + 0.0001))
    return out


def run_pymrmr(S, y, method, nfeat):
    cols = ["class"] + [f"f{j}" for j in range(S.shape[1])]
    df = pd.DataFrame(np.column_stack([y, S]), columns=cols)
    fd = os.dup(1); nul = os.open(os.devnull, os.O_WRONLY); sys.stdout.flush(); os.dup2(nul, 1)
    try:
        names = pymrmr.mRMR(df, method, nfeat)
    finally:
        sys.stdout.flush(); os.dup2(fd, 1); os.close(nul); os.close(fd)
    return [int(n[1:]) for n in names]


rng = np.random.default_rng(31)
data = []
bc = load_breast_cancer()
data.append(("breast_cancer", bc.data, bc.target))
ir = load_iris(); m = ir.target > 0
data.append(("iris_vc_vs_vg", ir.data[m], (ir.target[m] == 2).astype(int)))
n, p = 60, 120
y = (rng.uniform(size=n) < 0.45).astype(int)
base = rng.normal(size=(n, 12)) + 0.9 * y[:, None] * (rng.uniform(size=12) > 0.5)
X = np.repeat(base, 10, axis=1) + 0.6 * rng.normal(size=(n, p))
data.append(("phantom_blocks", X, y))

with open(OUT, "w") as f:
    f.write(f"# oracle: pymrmr {PYMRMR_VERSION} (Peng's mRMR program) rankings; scores and the 3-state "
            "discretisation re-derived in NumPy; command: test/oracles/stats_mrmr.py\n")
    f.write("# disc name n p t ; n lines raw values ; n lines of states (-1/0/1)\n"
            "# rank name n p t ; class line ; n lines states as chars a/b/c = -1/0/1 ; then per method: "
            "'order method top' ; ranking (0-based columns) ; scores\n")
    # discretisation check on a small raw table
    Xs = rng.normal(size=(25, 6)) * [1, 10, 0.1, 3, 1, 5] + [0, 100, -3, 0, 7, 1]
    for t in (1.0, 0.5):
        S = discretize(Xs, t)
        f.write(f"disc small {Xs.shape[0]} {Xs.shape[1]} {t!r}\n")
        for r in Xs:
            f.write(" ".join(repr(float(v)) for v in r) + "\n")
        for r in S:
            f.write(" ".join(str(v) for v in r) + "\n")
    for name, X, y in data:
        for t in (1.0, 0.5):
            S = discretize(X, t)
            f.write(f"rank {name} {S.shape[0]} {S.shape[1]} {t!r}\n")
            f.write("".join(str(v) for v in y) + "\n")
            for r in S:
                f.write("".join("abc"[v + 1] for v in r) + "\n")
            for method in ("MID", "MIQ"):
                top = min(20, S.shape[1])
                order = run_pymrmr(S, y, method, top)
                sc = scores(S, y, order, method)
                f.write(f"order {method} {top}\n")
                f.write(" ".join(str(v) for v in order) + "\n")
                f.write(" ".join(repr(float(v)) for v in sc) + "\n")
