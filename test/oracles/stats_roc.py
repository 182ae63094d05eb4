#!/usr/bin/env python3
"""Goldens for stats/roc.c: scikit-learn roc_curve(drop_intermediate=False), roc_auc_score and
numpy.interp on a 100-point FPR grid, on scores with many ties; and DeLong's variance of the AUC
(DeLong, DeLong & Clarke-Pearson 1988), re-derived here from its definition with the O(m n)
kernel psi(x, y) = 1, 1/2, 0 for x > y, x = y, x < y (no library implements it).
Usage: test/oracles/stats_roc.py > test/golden/stats/roc.txt"""
import numpy as np
import sklearn
from sklearn.metrics import roc_auc_score, roc_curve

print(f"# oracle: scikit-learn {sklearn.__version__} roc_curve(drop_intermediate=False)/roc_auc_score, "
      f"numpy {np.__version__} interp; command: test/oracles/stats_roc.py > test/golden/stats/roc.txt")
print("# case n auc npts ; scores ; labels ; fpr ; tpr ; thresholds ; interp at linspace(0,1,100) ; delong variance")
rng = np.random.default_rng(7)
grid = np.linspace(0, 1, 100)
cases = []
for n, dec in [(10, 1), (40, 0), (150, 1), (23, 2), (64, 0)]:
    y = (rng.uniform(size=n) < 0.4).astype(int)
    y[0], y[1] = 0, 1
    s = rng.normal(size=n) + 0.8 * y
    if dec:
        s = np.round(s, dec)
    cases.append((s, y))
cases.append((np.array([0.5] * 6), np.array([0, 1, 0, 1, 1, 0])))      # all tied: AUC 0.5
cases.append((np.array([1.0, 2, 3, 4]), np.array([0, 0, 1, 1])))     # perfect
cases.append((np.array([4.0, 3, 2, 1]), np.array([0, 0, 1, 1])))     # inverted
for s, y in cases:
    f, t, th = roc_curve(y, s, drop_intermediate=False)
    auc = roc_auc_score(y, s)
    it = np.interp(grid, f, t)
    print(f"case {len(s)} {float(auc)!r} {len(f)}")
    for arr in (s, y, f, t, th, it):
        print(" ".join(repr(float(v)) for v in arr))
    X = s[y == 1]; Y = s[y == 0]
    psi = (X[:, None] > Y[None, :]) + 0.5 * (X[:, None] == Y[None, :])
    v10 = psi.mean(axis=1); v01 = psi.mean(axis=0)
    var = (np.var(v10, ddof=1) / len(X) if len(X) > 1 else 0.0) + (np.var(v01, ddof=1) / len(Y) if len(Y) > 1 else 0.0)
    print(f"delong {float(var)!r}")
