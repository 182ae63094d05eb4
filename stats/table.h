/* table.h - a feature table for the statistics: case ids, feature names, a numeric matrix and
 * (optionally) a 0/1 label column, read from a CSV file with io/csv.h.
 *
 * Layout: first column = case id; every other column numeric (empty, "nan", "NA" = missing),
 * except the label column (by name) which is excluded from the features and must hold 0 or 1.
 * Covered by test/stats/test_ttest.c and test/stats/test_classify.c. */
#ifndef SARC_STATS_TABLE_H
#define SARC_STATS_TABLE_H

#include "io/csv.h"
#include "vendor/err.h"

struct ftable {
    int n, p;           /* cases, features */
    const char **ids;   /* n; point into csv */
    const char **names; /* p; point into csv */
    double *x;          /* (n, p) row-major; NaN = missing */
    int *y;             /* n labels 0/1, or NULL without a label column */
    struct csv csv;
};

/* Reads path; label may be NULL (no label column). Fails on a missing label column, a label that
 * is not 0/1, a non-numeric cell (naming row and column), duplicate ids, no feature column or no
 * row. The table owns everything; free with ftable_free (safe on a zeroed or failed table). */
int ftable_read(struct ftable *t, const char *path, const char *label, struct sarc_err *e);
int ftable_parse(struct ftable *t, const char *text, size_t len, const char *label, struct sarc_err *e);
void ftable_free(struct ftable *t);

/* Row of an id, or -1 (linear scan). */
int ftable_find(const struct ftable *t, const char *id);

/* Checks a training set for svm_train / mlp_train: x (n, p) row-major, y (n) 0/1. Fails (naming
 * the case and feature, 1-based) unless n >= 2, p >= 1, every value is finite and both classes
 * occur. */
int trainset_check(const double *x, const int *y, int n, int p, struct sarc_err *e);

#endif
