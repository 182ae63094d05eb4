/* cv.h - cross-validated classification for analysis 2 of the paper: stratified K-fold
 * (scikit-learn's StratifiedKFold assignment when unshuffled; our seeded assignment when shuffled)
 * repeated R times, or a stratified 75/25 split repeated R times; inside each training part:
 * z-score with training statistics only, Peng's discretisation and mRMR ranking on the training
 * rows only, then an SVM or MLP on the top-n features; test-fold ROC AUC, the mean ROC on a
 * 100-point FPR grid, AUC mean, sd and a bootstrap 95 % CI. Optionally a search over n (the best
 * n on the same folds is optimistic, and the result says so) or nested CV (n chosen by an inner
 * stratified K-fold on each training part). Work items (repeat, fold) run in parallel through
 * vendor/pool.h; each is keyed by (seed, repeat, fold), so results are bit-identical for any
 * thread count. Covered by test/stats/test_classify.c. */
#ifndef SARC_STATS_CV_H
#define SARC_STATS_CV_H

#include <stdint.h>

#include "stats/mlp.h"
#include "stats/mrmr.h"
#include "stats/svm.h"
#include "vendor/err.h"

#define CV_GRID 100

/* Test-fold index per case. Unshuffled: exactly StratifiedKFold(n_splits=k).split order (classes
 * by order of first appearance, round-robin allocation, each class's cases in input order cut into
 * blocks). Shuffled: the same allocation, each class's cases permuted first (keyed Philox by
 * (seed, key)). Errors: k < 2, or k greater than every class count (as scikit-learn). */
int stratified_kfold(const int *y, int n, int k, int shuffle, uint64_t seed, uint64_t key, int *fold,
                     struct sarc_err *e);

/* Stratified split: per class round(test_frac * count) cases (at least 1, at most count-1) go to
 * the test part (fold[i] = 0) after a keyed permutation, the rest fold[i] = 1. */
int stratified_split(const int *y, int n, double test_frac, uint64_t seed, uint64_t key, int *fold,
                     struct sarc_err *e);

enum cv_model { CV_SVM, CV_MLP };

struct cv_param {
    enum cv_model model;
    struct svm_param svm;
    struct mlp_param mlp;
    int folds, repeats;
    int shuffle;         /* 0: scikit-learn's unshuffled folds (repeats are then identical) */
    double split;        /* > 0: stratified test fraction instead of K folds */
    int n_lo, n_hi;      /* features: top n for n in n_lo..n_hi (n_lo == n_hi: fixed); 0 = all */
    int nested;          /* choose n by an inner K-fold on each training part */
    enum mrmr_method mrmr;
    double disc_t;       /* Peng's t (> 0) */
    int bootstrap;       /* resamples for the CI (default 2000) */
    uint64_t seed;
};
void cv_param_default(struct cv_param *p);

struct cv_result {
    int nrep, nfold;     /* nfold = 1 for the split variant */
    double *auc;         /* (nrep, nfold) AUC at the chosen n (NaN: a test fold with one class) */
    int *n_used;         /* (nrep, nfold) the n used in that fold (nested: chosen inside) */
    int nn;              /* candidate n values: n_lo..n_hi */
    double *search_auc;  /* nn: mean AUC over all folds per n (not nested) */
    int best_n;          /* the n reported (fixed, best of the search, or the most frequent nested) */
    double mean_tpr[CV_GRID], sd_tpr[CV_GRID], grid[CV_GRID];
    double auc_mean, auc_sd, ci_lo, ci_hi;
    int nvalid;          /* folds with a valid AUC */
    int p_used;          /* usable features (not degenerate) */
};
void cv_result_free(struct cv_result *r);

/* Runs the whole cross-validation on x (n, p) with labels y. usable[p] (NULL = all) excludes
 * degenerate columns (constant / missing). Records audit steps. Errors: bad parameters, a class
 * too small for the folds, model failures (naming repeat and fold), out of memory. */
int cv_classify(const double *x, const int *y, int n, int p, const int *usable, const struct cv_param *prm,
                struct cv_result *r, struct sarc_err *e);

#endif
