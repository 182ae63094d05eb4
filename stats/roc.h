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

#endif
