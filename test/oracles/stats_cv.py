#!/usr/bin/env python3
"""Goldens for stats/cv.c: scikit-learn StratifiedKFold(n_splits=k) (unshuffled) test-fold index
of every case, for label vectors with different class orders and imbalances, and a 5-fold SVM
cross-validation AUC (unshuffled folds, all features, in-fold StandardScaler, SVC(C=5,
gamma=0.01, tol=1e-8) decision values) on breast-cancer data.
Usage: test/oracles/stats_cv.py > test/golden/stats/cv.txt"""
import numpy as np
import sklearn
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

print(f"# oracle: scikit-learn {sklearn.__version__} StratifiedKFold, SVC, roc_auc_score; "
      "command: test/oracles/stats_cv.py > test/golden/stats/cv.txt")
print("# folds k n ; labels ; test fold per case.  cvauc name n p k ; n lines 'y x...' ; fold AUCs")
rng = np.random.default_rng(5)
for k, y in [(5, (rng.uniform(size=37) < 0.3).astype(int)), (5, np.array([1] * 7 + [0] * 13)),
             (3, (rng.uniform(size=50) < 0.5).astype(int)), (5, (rng.uniform(size=23) < 0.6).astype(int)),
             (4, np.array([0, 1] * 9 + [1, 1, 1]))]:
    fold = np.empty(len(y), int)
    for f, (_, te) in enumerate(StratifiedKFold(n_splits=k).split(np.zeros(len(y)), y)):
        fold[te] = f
    print(f"folds {k} {len(y)}")
    print(" ".join(str(v) for v in y))
    print(" ".join(str(v) for v in fold))
bc = load_breast_cancer()
idx = rng.permutation(len(bc.target))[:90]
X = bc.data[idx][:, :6]; y = bc.target[idx]
aucs = []
for tr, te in StratifiedKFold(n_splits=5).split(X, y):
    sc = StandardScaler().fit(X[tr])
    clf = SVC(C=5, gamma=0.01, tol=1e-8).fit(sc.transform(X[tr]), y[tr])
    aucs.append(roc_auc_score(y[te], clf.decision_function(sc.transform(X[te]))))
print(f"cvauc breast_cancer {len(y)} {X.shape[1]} 5")
for yy, r in zip(y, X):
    print(int(yy), " ".join(repr(float(v)) for v in r))
print(" ".join(repr(float(a)) for a in aucs))
# MLPClassifier((50, 25), adam, alpha 1e-4, lr 1e-3) on the same folds: its weights depend on
# numpy's RNG, so only the mean AUC over 10 seeds is a reference (the test allows 0.03)
from sklearn.neural_network import MLPClassifier
import warnings
warnings.simplefilter("ignore")
m = []
for seed in range(10):
    for tr, te in StratifiedKFold(n_splits=5).split(X, y):
        sc = StandardScaler().fit(X[tr])
        clf = MLPClassifier(hidden_layer_sizes=(50, 25), alpha=1e-4, learning_rate_init=1e-3, max_iter=200,
                            random_state=seed).fit(sc.transform(X[tr]), y[tr])
        m.append(roc_auc_score(y[te], clf.predict_proba(sc.transform(X[te]))[:, 1]))
print(f"mlpauc {float(np.mean(m))!r}")
# the whole fold pipeline with feature selection: StandardScaler on the training rows, Peng's
# 3-state discretisation (t = 1, sample sd) of the training rows, pymrmr MID top 3, SVC on those 3
import os, sys
import pandas as pd
import pymrmr


def top_mrmr(Z, yy, k):
    z = (Z - Z.mean(axis=0)) / Z.std(axis=0, ddof=1)
    S = np.where(z < -1, -1, np.where(z > 1, 1, 0)).astype(int)
    df = pd.DataFrame(np.column_stack([yy, S]), columns=["class"] + [f"f{j}" for j in range(S.shape[1])])
    fd = os.dup(1); nul = os.open(os.devnull, os.O_WRONLY); sys.stdout.flush(); os.dup2(nul, 1)
    try:
        names = pymrmr.mRMR(df, "MID", k)
    finally:
        sys.stdout.flush(); os.dup2(fd, 1); os.close(nul); os.close(fd)
    return [int(n[1:]) for n in names]


aucs = []
for tr, te in StratifiedKFold(n_splits=5).split(X, y):
    sc = StandardScaler().fit(X[tr]); Ztr = sc.transform(X[tr]); Zte = sc.transform(X[te])
    cols = top_mrmr(Ztr, y[tr], 3)
    clf = SVC(C=5, gamma=0.01, tol=1e-8).fit(Ztr[:, cols], y[tr])
    aucs.append(roc_auc_score(y[te], clf.decision_function(Zte[:, cols])))
print("mrmr3auc " + " ".join(repr(float(a)) for a in aucs))
