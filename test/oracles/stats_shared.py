#!/usr/bin/env python3
"""Goldens for the shared reference tables in ../shared/data/stats (read by the tests directly,
which SKIP when the folder is absent): SciPy ttest_rel + statsmodels Holm-Sidak on pre/post,
SVC(C=5, gamma=0.01, tol=1e-8) decision values on svm_train/svm_test, roc_auc_score on roc.csv.
Usage: test/oracles/stats_shared.py > test/golden/stats/shared.txt (from the repository root)"""
import csv

import numpy as np
import scipy
import sklearn
import statsmodels
from scipy import stats
from sklearn.metrics import roc_auc_score
from sklearn.svm import SVC
from statsmodels.stats.multitest import multipletests

D = "../shared/data/stats/"
print(f"# oracle: SciPy {scipy.__version__} ttest_rel, statsmodels {statsmodels.__version__} multipletests(hs), "
      f"scikit-learn {sklearn.__version__} SVC(tol=1e-8)/roc_auc_score on ../shared/data/stats; "
      "command: test/oracles/stats_shared.py > test/golden/stats/shared.txt")


def table(p):
    with open(p) as f:
        r = list(csv.reader(f))
    return r[0], r[1:]


h, pre = table(D + "pre.csv"); _, post = table(D + "post.csv")
P = {r[0]: np.array(r[1:], float) for r in pre}; Q = {r[0]: np.array(r[1:], float) for r in post}
ids = [i for i in P if i in Q]
A = np.array([P[i] for i in ids]); B = np.array([Q[i] for i in ids])
t, p = stats.ttest_rel(A, B)
rej, padj, _, _ = multipletests(p, alpha=0.05, method="hs")
print(f"ttest {len(h) - 1} {len(ids)}")
for name, a, b, c, d in zip(h[1:], t, p, padj, rej):
    print(name, repr(float(a)), repr(float(b)), repr(float(c)), int(d))
h, tr = table(D + "svm_train.csv"); _, te = table(D + "svm_test.csv")
Xtr = np.array([r[1:-1] for r in tr], float); ytr = np.array([r[-1] for r in tr], int)
Xte = np.array([r[1:-1] for r in te], float)
dec = SVC(kernel="rbf", C=5, gamma=0.01, tol=1e-8).fit(Xtr, ytr).decision_function(Xte)
print(f"svm {len(dec)}")
print(" ".join(repr(float(v)) for v in dec))
h, rr = table(D + "roc.csv")
s = np.array([r[1] for r in rr], float); y = np.array([r[2] for r in rr], int)
print(f"auc {float(roc_auc_score(y, s))!r}")
