/* ttest.h - paired tests (Student's paired t, Wilcoxon signed-rank) and multiple-comparison
 * corrections.
 *
 * Oracles: scipy.stats.ttest_rel and scipy.stats.wilcoxon (defaults: zero_method "wilcox", no
 * continuity correction, method "auto"), statsmodels.stats.multitest.multipletests.
 * Covered by test/stats/test_ttest.c (goldens test/golden/stats/ttest_*.csv,
 * test/golden/stats/multitest.txt from test/oracles/stats_ttest.py). */
#ifndef SARC_STATS_TTEST_H
#define SARC_STATS_TTEST_H

#include "vendor/err.h"

/* statsmodels' method names: bonferroni, sidak, holm, holm-sidak ("hs"), fdr_bh, fdr_by */
enum mt_method { MT_BONFERRONI, MT_SIDAK, MT_HOLM, MT_HOLM_SIDAK, MT_BH, MT_BY };

/* Parses "bonferroni", "sidak", "holm", "holm-sidak" (or "hs"), "bh" (or "fdr_bh"), "by" (or
 * "fdr_by"). Returns 0 or SARC_ERR_ARG. */
int mt_parse(const char *s, enum mt_method *m, struct sarc_err *e);
const char *mt_name(enum mt_method m);

/* Corrects the m p-values p[] as statsmodels' multipletests(p, alpha, method) does: padj[] the
 * corrected p-values (clipped to 1), reject[] 0/1. NaN entries are left out of the family (m counts
 * the finite ones only), get padj = NaN and reject = 0. Returns 0, SARC_ERR_ARG for alpha outside
 * (0, 1), SARC_ERR_NOMEM. */
int multipletests(const double *p, int m, double alpha, enum mt_method meth, double *padj, int *reject,
                  struct sarc_err *e);

/* One paired comparison of a (before) and b (after); diff = a - b as scipy's ttest_rel(a, b). */
struct paired_result {
    int n;                          /* complete pairs used */
    int n_missing;                  /* pairs left out for a missing (non-finite) value */
    double mean_a, mean_b, mean_diff;
    double sd_diff;                 /* sample sd (n - 1) of the differences */
    double stat;                    /* t, or Wilcoxon's min(R+, R-) */
    double df;                      /* n - 1 (t-test); NaN for Wilcoxon */
    double p;                       /* two-sided */
    double effect;                  /* Cohen's d_z = mean_diff / sd_diff (t); r = z / sqrt(n) (Wilcoxon) */
    const char *note;               /* NULL, or why the test is degenerate (then p = NaN) */
};

/* Paired t-test over the pairs where both a[i] and b[i] are finite. Degenerate cases (fewer than 2
 * pairs, zero variance of the differences) get p = NaN and a note; never fails. */
void paired_ttest(const double *a, const double *b, int n, struct paired_result *r);

/* Wilcoxon signed-rank test as scipy.stats.wilcoxon(a, b) with method "auto": exact null
 * distribution for n <= 50 without ties or zero differences; an exact sign-flip permutation test
 * for n <= 13 with ties or zeros; the normal approximation (tie-corrected, no continuity
 * correction) otherwise. Needs scratch for 3n doubles; returns SARC_ERR_NOMEM or 0. */
int paired_wilcoxon(const double *a, const double *b, int n, struct paired_result *r, struct sarc_err *e);

/* Average ranks (1-based) of x[0..n) as scipy.stats.rankdata(method="average"); idx is scratch
 * for 2n ints. Returns the tie term sum(t^3 - t) over tie groups. Thread-safe. */
double rank_average(const double *x, int n, double *rank, int *idx);

/* Stable ascending argsort (merge sort): idx gets the order of x, tmp is scratch for n ints. */
void argsort_double(const double *x, int n, int *idx, int *tmp);

/* The whole analysis 1 on two tables: pairs the cases of pre and post by id, tests every feature
 * column of pre (found by name in post), corrects over the non-degenerate features.
 * rows[p] (p = pre->p) receive the results in pre's feature order; padj/reject as
 * multipletests. unpaired (optional) receives the number of cases of either table without a
 * partner. Records an audit step "ttest" or "wilcoxon". Errors: a feature of pre missing in post,
 * no common case, bad alpha, out of memory. */
struct ftable;
struct paired_row {
    struct paired_result r;
    double padj;
    int reject;
};
int paired_tables(const struct ftable *pre, const struct ftable *post, int wilcoxon, enum mt_method meth,
                  double alpha, struct paired_row *rows, int *unpaired, struct sarc_err *e);
/* The same, recording the two input files (paths, hashed) in the audit step; paths may be NULL. */
int paired_tables_files(const struct ftable *pre, const struct ftable *post, const char *pre_path,
                        const char *post_path, int wilcoxon, enum mt_method meth, double alpha,
                        struct paired_row *rows, int *unpaired, struct sarc_err *e);

/* The family of a feature name for the significance counts: "shape" for shape features, else the
 * leading sequence tag (T1, T1C, T2, ...) when the name does not start with an image type
 * (original, wavelet, log, ...), else the feature class (firstorder, glcm, ...). Writes into buf. */
void feature_family(const char *name, char *buf, int size);

#endif
