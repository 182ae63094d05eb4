#!/usr/bin/env python3
"""Goldens for stats/svm.c: scikit-learn SVC(tol=1e-8) decision_function on the breast-cancer and
iris data shipped with scikit-learn and on a high-dimensional random set.
Usage: test/oracles/stats_svm.py > test/golden/stats/svm.txt"""
import numpy as np
import sklearn
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

print(f"# oracle: scikit-learn {sklearn.__version__} SVC(tol=1e-8).decision_function; "
      "command: test/oracles/stats_svm.py > test/golden/stats/svm.txt")
print("# data name ntrain ntest p ; ntrain lines 'y x...' ; ntest lines 'x...' ; then per fit: "
      "'fit kernel C gamma' and one line of ntest decision values")
rng = np.random.default_rng(99)
sets = []
bc = load_breast_cancer()
idx = rng.permutation(len(bc.target))[:140]
X = bc.data[idx][:, :8]; y = bc.target[idx]
sc = StandardScaler().fit(X[:100]); X = sc.transform(X)
sets.append(("breast_cancer", X[:100], y[:100], X[100:], [("rbf", 5, 0.01), ("rbf", 1, 0.1), ("linear", 0.5, 0)]))
ir = load_iris()
m = ir.target > 0
X = ir.data[m]; y = (ir.target[m] == 2).astype(int)
idx = rng.permutation(len(y)); X = X[idx]; y = y[idx]
sets.append(("iris_vc_vs_vg", X[:70], y[:70], X[70:], [("linear", 1, 0), ("rbf", 5, 0.5)]))
X = rng.normal(size=(80, 20)); w = rng.normal(size=20)
y = (X @ w + rng.normal(scale=2, size=80) > 0).astype(int)
sets.append(("random_p20", X[:60], y[:60], X[60:], [("rbf", 5, 0.01), ("rbf", 5, 0.05)]))
for name, Xtr, ytr, Xte, params in sets:
    print(f"data {name} {len(ytr)} {len(Xte)} {Xtr.shape[1]}")
    for yy, row in zip(ytr, Xtr):
        print(int(yy), " ".join(repr(float(v)) for v in row))
    for row in Xte:
        print(" ".join(repr(float(v)) for v in row))
    for kern, C, gamma in params:
        kw = dict(kernel=kern, C=C, tol=1e-8)
        if kern == "rbf":
            kw["gamma"] = gamma
        dec = SVC(**kw).fit(Xtr, ytr).decision_function(Xte)
        print(f"fit {kern} {C!r} {float(gamma)!r}")
        print(" ".join(repr(float(d)) for d in dec))
