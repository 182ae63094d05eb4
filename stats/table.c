/* table.c - feature tables from CSV and the training-set check of the classifiers (see table.h).
 * Covered by test/stats/test_ttest.c (tables) and test/stats/test_svm.c (trainset_check). */
#include "stats/table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ftable_free(struct ftable *t)
{
    if (!t)
        return;
    free(t->ids);
    free(t->names);
    free(t->x);
    free(t->y);
    csv_free(&t->csv);
    memset(t, 0, sizeof *t);
}

/* Fills t's ids, names, x (n, p) and y (n, when label is given) from the CSV already in t->csv:
 * column 0 is the case id, the label column (0/1) is left out of the features. Errors name the
 * row, case and column; on failure the caller frees t with ftable_free. */
static int ftable_build(struct ftable *t, const char *label, struct sarc_err *e)
{
    struct csv *c = &t->csv;
    int lab = -1;
    if (label) {
        lab = csv_col(c, label);
        if (lab < 0)
            return ERR(e, SARC_ERR_FORMAT, "no label column \"%s\"", label);
        if (lab == 0)
            return ERR(e, SARC_ERR_ARG, "the label column \"%s\" is the id column", label);
    }
    if (c->nrows < 1)
        return ERR(e, SARC_ERR_FORMAT, "no data rows");
    const int p = c->ncols - 1 - (lab >= 0);
    if (p < 1)
        return ERR(e, SARC_ERR_FORMAT, "no feature columns (need an id column and at least one feature)");
    size_t nx;
    if (size_mul((size_t)c->nrows, (size_t)p, &nx))
        return ERR(e, SARC_ERR_RANGE, "%d rows x %d features: table too large", c->nrows, p);
    t->n = c->nrows;
    t->p = p;
    t->ids = malloc(sizeof *t->ids * (size_t)t->n);
    t->names = malloc(sizeof *t->names * (size_t)p);
    t->x = malloc(sizeof *t->x * nx);
    if (lab >= 0)
        t->y = malloc(sizeof *t->y * (size_t)t->n);
    if (!t->ids || !t->names || !t->x || (lab >= 0 && !t->y))
        return ERR(e, SARC_ERR_NOMEM, "out of memory for a %d x %d table", t->n, p);
    for (int j = 1, k = 0; j < c->ncols; j++)
        if (j != lab)
            t->names[k++] = c->header[j];
    for (int i = 0; i < t->n; i++) {
        t->ids[i] = csv_cell(c, i, 0);
        if (!t->ids[i][0])
            return ERR(e, SARC_ERR_FORMAT, "row %d: empty case id", i + 2);
        for (int j = 1, k = 0; j < c->ncols; j++) {
            double v;
            int rc = csv_num(c, i, j, &v, e);
            if (rc) {
                err_prefix(e, "row %d (%s), column \"%s\"", i + 2, t->ids[i], c->header[j]);
                return rc;
            }
            if (j == lab) {
                if (v != 0 && v != 1)
                    return ERR(e, SARC_ERR_FORMAT, "row %d (%s): label \"%s\" = %s, expected 0 or 1", i + 2,
                               t->ids[i], label, csv_cell(c, i, j));
                t->y[i] = (int)v;
            } else
                t->x[(size_t)i * p + k++] = v;
        }
    }
    /* duplicate ids would make pairing ambiguous: O(n^2) is fine for cohort sizes */
    for (int i = 0; i < t->n; i++)
        for (int k = 0; k < i; k++)
            if (strcmp(t->ids[i], t->ids[k]) == 0)
                return ERR(e, SARC_ERR_FORMAT, "case id \"%s\" appears twice (rows %d and %d)", t->ids[i], k + 2, i + 2);
    return 0;
}

int ftable_parse(struct ftable *t, const char *text, size_t len, const char *label, struct sarc_err *e)
{
    memset(t, 0, sizeof *t);
    int rc = csv_parse(&t->csv, text, len, e);
    if (!rc)
        rc = ftable_build(t, label, e);
    if (rc)
        ftable_free(t);
    return rc;
}

int ftable_read(struct ftable *t, const char *path, const char *label, struct sarc_err *e)
{
    memset(t, 0, sizeof *t);
    int rc = csv_read(&t->csv, path, e);
    if (!rc)
        rc = ftable_build(t, label, e);
    if (rc)
        ftable_free(t);
    return rc;
}

int trainset_check(const double *x, const int *y, int n, int p, struct sarc_err *e)
{
    if (n < 2 || p < 1)
        return ERR(e, SARC_ERR_ARG, "%d cases x %d features: too few to train", n, p);
    int npos = 0;
    for (int i = 0; i < n; i++) {
        npos += y[i] != 0;
        for (int j = 0; j < p; j++)
            if (!isfinite(x[(size_t)i * p + j]))
                return ERR(e, SARC_ERR_ARG, "case %d, feature %d is missing or not finite", i + 1, j + 1);
    }
    if (npos == 0 || npos == n)
        return ERR(e, SARC_ERR_ARG, "the training labels hold one class only (%d cases of class %d)", n, npos ? 1 : 0);
    return 0;
}

int ftable_find(const struct ftable *t, const char *id)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->ids[i], id) == 0)
            return i;
    return -1;
}
