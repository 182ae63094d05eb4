#!/usr/bin/env python3
"""Goldens for stats/ttest.c and `sarc ttest` / `sarc wilcoxon`.
Writes into test/golden/stats/:
  ttest_pre.csv, ttest_post.csv  small synthetic PRE/POST tables (seeded numpy): shuffled order,
                                 an unpaired case, a missing cell, a constant column, a
                                 constant-difference column, ties and zero differences
  ttest_expected.csv             per feature: scipy ttest_rel (t, p) and wilcoxon (stat, p) on the
                                 complete pairs, and statsmodels multipletests p_adj/reject for
                                 every method over the valid t-test p-values
  multitest.txt                  multipletests on random p-value families (ties, 0, 1, tiny)
  wilcoxon.txt                   scipy.stats.wilcoxon on exact / permutation / asymptotic cases
Usage: test/oracles/stats_ttest.py (from the repository root)."""
import numpy as np
import scipy
import statsmodels
from scipy import stats
from statsmodels.stats.multitest import multipletests

G = "test/golden/stats/"
HDR = (f"# oracle: SciPy {scipy.__version__} ttest_rel/wilcoxon, statsmodels {statsmodels.__version__} "
       "multipletests; command: test/oracles/stats_ttest.py")
METHODS = [("bonferroni", "bonferroni"), ("sidak", "sidak"), ("holm", "holm"), ("holm-sidak", "hs"),
           ("bh", "fdr_bh"), ("by", "fdr_by")]
rng = np.random.default_rng(20261204)

# --- small PRE/POST tables
names = ["original_shape_VoxelVolume", "T1_original_firstorder_Mean", "T1_original_glcm_Contrast",
         "T1C_original_firstorder_Mean", "T2_original_glrlm_RunEntropy", "T2_original_firstorder_Skewness",
         "T1_original_firstorder_Constant", "T2_original_firstorder_Shift", "T1C_original_glcm_Ties",
         "original_shape_Sphericity"]
n = 12
ids = [f"m{i:02d}" for i in range(n)]
pre = rng.normal(10, 2, size=(n, len(names)))
post = pre + rng.normal(0.8, 1.0, size=(n, len(names)))
post[:, 4] = pre[:, 4] + rng.normal(0, 1, n)          # no real change
pre[:, 6] = 3.0; post[:, 6] = 3.0                      # constant column
post[:, 7] = pre[:, 7] - 1.5                           # constant difference
pre[:, 8] = np.round(pre[:, 8]); post[:, 8] = np.round(pre[:, 8] + rng.normal(0.5, 1, n))  # ties, zeros
pre[3, 2] = np.nan                                     # missing cell
post[5, 9] = np.nan


def fmt(v):
    return "nan" if np.isnan(v) else repr(float(v))


def write_table(path, rows_ids, mat):
    with open(path, "w") as f:
        f.write("id," + ",".join(names) + "\n")
        for i, r in zip(rows_ids, mat):
            f.write(i + "," + ",".join("" if np.isnan(v) else repr(float(v)) for v in r) + "\n")


order = rng.permutation(n)
write_table(G + "ttest_pre.csv", ids + ["m99"], np.vstack([pre, rng.normal(10, 2, (1, len(names)))]))
write_table(G + "ttest_post.csv", [ids[i] for i in order], post[order])

rows = []
pv = []
for j, nm in enumerate(names):
    ok = ~np.isnan(pre[:, j]) & ~np.isnan(post[:, j])
    a, b = pre[ok, j], post[ok, j]
    d = a - b
    t = p = ws = wp = np.nan
    if np.std(d) != 0:
        t, p = stats.ttest_rel(a, b)
    if np.any(d != 0):
        w = stats.wilcoxon(a, b)
        ws, wp = w.statistic, w.pvalue
    rows.append([nm, int(ok.sum()), a.mean(), b.mean(), d.mean(), t, p, ws, wp])
    pv.append(p)
pv = np.array(pv)
valid = ~np.isnan(pv)
adj = {}
for name, sm in METHODS:
    r, pa, _, _ = multipletests(pv[valid], alpha=0.05, method=sm)
    full_a = np.full(len(pv), np.nan); full_r = np.zeros(len(pv), int)
    full_a[valid] = pa; full_r[valid] = r
    adj[name] = (full_a, full_r)
with open(G + "ttest_expected.csv", "w") as f:
    f.write(HDR + "\n")
    f.write("feature,n,mean_pre,mean_post,mean_diff,t,p,w_stat,w_p," +
            ",".join(f"padj_{m},reject_{m}" for m, _ in METHODS) + "\n")
    for j, r in enumerate(rows):
        f.write(f"{r[0]},{r[1]}," + ",".join(fmt(v) for v in r[2:]) + "," +
                ",".join(f"{fmt(adj[m][0][j])},{adj[m][1][j]}" for m, _ in METHODS) + "\n")

# --- multipletests on random families
with open(G + "multitest.txt", "w") as f:
    f.write(HDR + "\n# set lines: method alpha m ; then m lines: p padj reject\n")
    fams = [rng.uniform(0, 0.08, 1), rng.uniform(0, 0.2, 5), rng.uniform(0, 1, 37) ** 3,
            np.array([0.01, 0.01, 0.02, 0.02, 0.02, 0.5, 1.0, 0.0, 1e-300, 0.049]),
            rng.uniform(0, 0.01, 40)]
    for fam in fams:
        for alpha in (0.05, 0.1):
            for name, sm in METHODS:
                r, pa, _, _ = multipletests(fam, alpha=alpha, method=sm)
                f.write(f"set {name} {alpha!r} {len(fam)}\n")
                for a, b, c in zip(fam, pa, r):
                    f.write(f"{float(a)!r} {float(b)!r} {int(c)}\n")

# --- Wilcoxon paths
with open(G + "wilcoxon.txt", "w") as f:
    f.write(HDR + "\n# case lines: n statistic p ; then a line of a values and a line of b values\n")
    cases = []
    for m in (5, 9, 20, 50):          # exact (continuous data, no ties)
        a = rng.normal(0, 1, m); cases.append((a, a - rng.normal(0.3, 1, m)))
    for m in (6, 11, 13):             # ties and zeros, permutation test
        a = np.round(rng.normal(3, 2, m)); b = np.round(a + rng.normal(0.4, 1, m)); cases.append((a, b))
    for m in (14, 30, 51, 80):        # asymptotic (ties, or n > 50)
        a = np.round(rng.normal(3, 2, m), 1); b = np.round(a + rng.normal(0.2, 1, m), 1); cases.append((a, b))
    for a, b in cases:
        w = stats.wilcoxon(a, b)
        f.write(f"case {len(a)} {float(w.statistic)!r} {float(w.pvalue)!r}\n")
        f.write(" ".join(repr(float(v)) for v in a) + "\n")
        f.write(" ".join(repr(float(v)) for v in b) + "\n")
