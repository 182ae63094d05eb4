/* corr.h - Pearson and Spearman correlation matrices of selected feature columns over a subset of
 * rows (the paper's correlation maps of the top-k mRMR features per outcome group).
 * Pearson as numpy.corrcoef, Spearman as scipy.stats.spearmanr (Pearson of average ranks).
 * A column that is constant over the rows gives NaN correlations (as numpy).
 * Covered by test/stats/test_corr.c (goldens test/golden/stats/corr.txt from
 * test/oracles/stats_corr.py). */
#ifndef SARC_STATS_CORR_H
#define SARC_STATS_CORR_H

#include "vendor/err.h"

/* out (k, k) = correlation of columns cols[0..k) of x (n, p) over rows[0..nr) (NULL = all n).
 * Errors: nr < 2, a column index out of range, out of memory. */
int corr_matrix(const double *x, int n, int p, const int *rows, int nr, const int *cols, int k, int spearman,
                double *out, struct sarc_err *e);

#endif
