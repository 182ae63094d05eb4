/* scale.h - z-score standardisation with statistics from training rows only (as scikit-learn's
 * StandardScaler: population sd, ddof 0; a zero sd is replaced by 1). Covered by
 * test/stats/test_classify.c. */
#ifndef SARC_STATS_SCALE_H
#define SARC_STATS_SCALE_H

/* mean[p], sd[p] from the rows rows[0..nr) of x (n, p) (rows NULL = rows 0..nr). Sums in double in
 * row order. */
void zscore_fit(const double *x, int p, const int *rows, int nr, double *mean, double *sd);
/* x_out (nr, p) = (x[rows[i]] - mean) / sd; rows NULL = rows 0..nr. */
void zscore_apply(const double *x, int p, const int *rows, int nr, const double *mean, const double *sd,
                  double *out);

#endif
