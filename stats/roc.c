/* roc.c - ROC curve, AUC and interpolation (see roc.h). The curve follows scikit-learn's
 * _binary_clf_curve: scores sorted in decreasing order, one point per distinct score, counting
 * true and false positives at or above it; then the point (0, 0) with threshold +inf.
 * Covered by test/stats/test_roc.c. */
#include "stats/roc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/ttest.h"

void roc_free(struct roc *r)
{
    if (r)
        free(r->fpr);
    if (r)
        memset(r, 0, sizeof *r);
}

/* Counts the positive labels of y (n) into *npos; fails naming the first NaN score of s (n). */
static int positives_count(const double *s, const int *y, int n, int *npos, struct sarc_err *e)
{
    *npos = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(s[i]))
            return ERR(e, SARC_ERR_ARG, "score %d is NaN", i + 1);
        *npos += y[i] != 0;
    }
    return 0;
}

int roc_curve(const double *s, const int *y, int n, struct roc *r, struct sarc_err *e)
{
    memset(r, 0, sizeof *r);
    int npos;
    int rc = positives_count(s, y, n, &npos, e);
    if (rc)
        return rc;
    if (npos == 0 || npos == n)
        return ERR(e, SARC_ERR_ARG, "ROC needs both classes; found only %s", npos ? "positives" : "negatives");
    int *idx = malloc(sizeof *idx * 2 * (size_t)n);
    double *buf = malloc(sizeof *buf * 3 * ((size_t)n + 1));
    if (!idx || !buf) {
        free(idx);
        free(buf);
        return ERR(e, SARC_ERR_NOMEM, "out of memory for %d scores", n);
    }
    argsort_double(s, n, idx, idx + n); /* ascending; walk it from the end */
    r->fpr = buf;
    r->tpr = buf + n + 1;
    r->thr = buf + 2 * (n + 1);
    r->fpr[0] = r->tpr[0] = 0;
    r->thr[0] = INFINITY;
    int k = 1;
    double tp = 0, fp = 0;
    for (int q = n - 1; q >= 0; q--) {
        const int i = idx[q];
        if (y[i])
            tp += 1;
        else
            fp += 1;
        /* a point after the last of each run of equal scores */
        if (q == 0 || s[idx[q - 1]] != s[i]) {
            r->tpr[k] = tp;
            r->fpr[k] = fp;
            r->thr[k] = s[i];
            k++;
        }
    }
    r->n = k;
    for (int j = 0; j < k; j++) {
        r->fpr[j] /= fp;
        r->tpr[j] /= tp;
    }
    free(idx);
    return 0;
}

double roc_area(const struct roc *r)
{
    double a = 0;
    for (int j = 0; j + 1 < r->n; j++)
        a += (r->fpr[j + 1] - r->fpr[j]) * (r->tpr[j + 1] + r->tpr[j]) / 2.0;
    return a;
}

double roc_auc(const double *s, const int *y, int n)
{
    struct roc r;
    if (roc_curve(s, y, n, &r, NULL))
        return NAN;
    const double a = roc_area(&r);
    roc_free(&r);
    return a;
}

void roc_interp(const struct roc *r, const double *grid, int ng, double *out)
{
    int j = 0;
    for (int g = 0; g < ng; g++) {
        const double x = grid[g];
        if (x <= r->fpr[0]) {
            /* numpy: left value; with a run of equal fpr at the start, x == fpr[0] takes the last */
            int k = 0;
            while (k + 1 < r->n && r->fpr[k + 1] <= x)
                k++;
            out[g] = x < r->fpr[0] ? r->tpr[0] : r->tpr[k];
            continue;
        }
        if (x >= r->fpr[r->n - 1]) {
            out[g] = r->tpr[r->n - 1];
            continue;
        }
        while (j + 1 < r->n && r->fpr[j + 1] <= x)
            j++;
        /* fpr[j] <= x < fpr[j + 1] */
        const double x0 = r->fpr[j], x1 = r->fpr[j + 1];
        const double slope = (r->tpr[j + 1] - r->tpr[j]) / (x1 - x0);
        out[g] = slope * (x - x0) + r->tpr[j];
    }
}

int roc_delong(const double *s, const int *y, int n, double *auc, double *var, struct sarc_err *e)
{
    int npos;
    int rc = positives_count(s, y, n, &npos, e);
    if (rc)
        return rc;
    const int nneg = n - npos;
    if (npos == 0 || nneg == 0)
        return ERR(e, SARC_ERR_ARG, "DeLong needs both classes");
    double *buf = malloc(sizeof *buf * 4 * (size_t)n);
    int *idx = malloc(sizeof *idx * 2 * (size_t)n);
    if (!buf || !idx) {
        free(buf);
        free(idx);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    double *r_all = buf, *sub = buf + n, *r_sub = buf + 2 * n, *v = buf + 3 * n;
    rank_average(s, n, r_all, idx);
    /* ranks within each class; v[i] = placement value of case i */
    for (int c = 0; c < 2; c++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if ((y[i] != 0) == c)
                sub[m++] = s[i];
        rank_average(sub, m, r_sub, idx);
        const int other = c ? nneg : npos;
        for (int i = 0, k = 0; i < n; i++)
            if ((y[i] != 0) == c) {
                const double below = r_all[i] - r_sub[k++]; /* other-class cases below (ties 1/2) */
                v[i] = c ? below / other : 1.0 - below / other;
            }
    }
    /* AUC = mean V10 over positives; variances of V10 and V01 (two-pass) */
    double s10 = 0, s01 = 0;
    for (int i = 0; i < n; i++) {
        if (y[i])
            s10 += v[i];
        else
            s01 += v[i];
    }
    const double m10 = s10 / npos, m01 = s01 / nneg;
    double q10 = 0, q01 = 0;
    for (int i = 0; i < n; i++) {
        if (y[i])
            q10 += (v[i] - m10) * (v[i] - m10);
        else
            q01 += (v[i] - m01) * (v[i] - m01);
    }
    *auc = m10;
    *var = (npos > 1 ? q10 / (npos - 1) / npos : 0) + (nneg > 1 ? q01 / (nneg - 1) / nneg : 0);
    free(buf);
    free(idx);
    return 0;
}
