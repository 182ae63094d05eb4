#!/usr/bin/env python3
"""Goldens for stats/corr.c: numpy.corrcoef and scipy.stats.spearmanr (with ties) on a small
seeded table, over all rows and over one outcome group.
Usage: test/oracles/stats_corr.py > test/golden/stats/corr.txt"""
import numpy as np
import scipy
from scipy import stats

print(f"# oracle: numpy {np.__version__} corrcoef, SciPy {scipy.__version__} spearmanr; "
      "command: test/oracles/stats_corr.py > test/golden/stats/corr.txt")
print("# data n p ; n lines 'group x...' ; then 'mat kind group k cols...' and k lines")
rng = np.random.default_rng(12)
n, p = 30, 7
X = rng.normal(size=(n, p))
X[:, 1] = X[:, 0] * 0.8 + 0.2 * X[:, 1]
X[:, 3] = np.round(X[:, 3])           # ties
X[:, 5] = -X[:, 2] ** 3               # monotone: Spearman -1
g = (rng.uniform(size=n) < 0.5).astype(int)
print(f"data {n} {p}")
for gi, r in zip(g, X):
    print(gi, " ".join(repr(float(v)) for v in r))
cols = [4, 0, 1, 3, 2, 5]
for group in (-1, 1):
    rows = np.arange(n) if group < 0 else np.where(g == group)[0]
    S = X[np.ix_(rows, cols)]
    for kind in ("pearson", "spearman"):
        M = np.corrcoef(S, rowvar=False) if kind == "pearson" else stats.spearmanr(S).statistic
        print(f"mat {kind} {group} {len(cols)} " + " ".join(str(c) for c in cols))
        for r in M:
            print(" ".join(repr(float(v)) for v in r))
