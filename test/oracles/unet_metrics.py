#!/usr/bin/env python3
"""Oracle for nn/segmetrics.c (issue 6): scikit-learn's accuracy, precision, recall, ROC AUC, F1 (Dice) and
Jaccard on fixed arrays, and the paper's threshold rule (argmin |precision - recall| over
precision_recall_curve's thresholds; numpy's argmin takes the first, i.e. on ties the lowest threshold).
Writes test/golden/unet/metrics.txt. Run:
  /work/oracle-venv/bin/python test/oracles/unet_metrics.py > test/golden/unet/metrics.txt"""
import numpy as np, sklearn
from sklearn.metrics import (accuracy_score, precision_score, recall_score, roc_auc_score, f1_score,
                             jaccard_score, precision_recall_curve)

rng = np.random.default_rng(2024)
cases = []
p = np.round(rng.uniform(0, 1, 200), 1); t = (rng.uniform(0, 1, 200) < 0.25 + 0.5 * p).astype(int); cases.append((p, t))
p = rng.uniform(0, 1, 57).astype(np.float32).astype(float); t = (rng.uniform(0, 1, 57) < p).astype(int); cases.append((p, t))
p = rng.uniform(0, 0.4, 40).round(2); t = (rng.uniform(0, 1, 40) < 0.3).astype(int); cases.append((p, t))
p = np.r_[rng.beta(2, 5, 300), rng.beta(5, 2, 100)].round(3); t = np.r_[np.zeros(300, int), np.ones(100, int)]; t[::37] ^= 1; cases.append((p, t))
print(f"# oracle: test/oracles/unet_metrics.py, scikit-learn {sklearn.__version__}, numpy {np.__version__}; "
      "command: /work/oracle-venv/bin/python test/oracles/unet_metrics.py")
for p, t in cases:
    p32 = p.astype(np.float32).astype(np.float64)   # C reads the values as float32
    pred = (p32 >= 0.5).astype(int)
    prec, rec, thr = precision_recall_curve(t, p32)
    k = int(np.argmin(np.abs(prec[:-1] - rec[:-1])))
    d = np.abs(prec[:-1] - rec[:-1]); ties = thr[d == d[k]]
    print("case", len(p))
    print("prob", *[f"{v:.9g}" for v in p32])
    print("label", *t.tolist())
    print("pred", *pred.tolist())
    print("accuracy", repr(accuracy_score(t, pred)), "precision", repr(precision_score(t, pred, zero_division=0)),
          "recall", repr(recall_score(t, pred, zero_division=0)), "auc", repr(roc_auc_score(t, p32)),
          "dice", repr(f1_score(t, pred, zero_division=1.0)), "jaccard", repr(jaccard_score(t, pred, zero_division=1.0)),
          "threshold", repr(float(ties.min())))
