/* roc.h - ROC curves and the area under them, as scikit-learn computes them, and the mean ROC of
 * cross-validation folds on a fixed FPR grid.
 *
 * roc_curve matches sklearn.metrics.roc_curve(y, score, drop_intermediate=False) point by point
 * (first point (0, 0) with threshold +inf); roc_auc the trapezoidal area of that curve, which is
 * sklearn.metrics.roc_auc_score (ties between classes count one half). Covered by
 * test/stats/test_roc.c (goldens test/golden/stats/roc_*.txt from test/oracles/stats_roc.py). */
#ifndef SARC_STATS_ROC_H
#define SARC_STATS_ROC_H

#include "vendor/err.h"

struct roc {
    int n;                  /* points */
    double *fpr, *tpr, *thr; /* n each, one allocation owned by the struct */
};

/* Curve of scores s[0..n) for labels y (0/1). Fails (SARC_ERR_ARG) if a score is NaN or a class is
 * absent. Free with roc_free. */
int roc_curve(const double *s, const int *y, int n, struct roc *r, struct sarc_err *e);
void roc_free(struct roc *r);

/* Trapezoidal area under the curve (in curve order). */
double roc_area(const struct roc *r);

/* AUC of scores directly; NaN when a class is absent or a score is NaN (or out of memory). */
double roc_auc(const double *s, const int *y, int n);

/* Linear interpolation of the curve at grid[0..ng) as numpy.interp(grid, fpr, tpr) (fpr is
 * non-decreasing; for repeated fpr values numpy takes the last point of the run). */
void roc_interp(const struct roc *r, const double *grid, int ng, double *out);

/* DeLong's variance of the AUC (DeLong, DeLong & Clarke-Pearson, Biometrics 1988) via midranks:
 * V10_i = (rank of positive i among all - its rank among positives) / n_neg, V01_j likewise, var =
 * var(V10)/n_pos + var(V01)/n_neg (sample variances; a class of one case contributes 0). Also
 * returns the AUC. Errors as roc_curve. The 95 % CI is auc -+ 1.959964 sqrt(var), clipped to [0, 1]. */
int roc_delong(const double *s, const int *y, int n, double *auc, double *var, struct sarc_err *e);

#endif
