/* mrmr.h - minimum-redundancy maximum-relevance feature ranking (Peng, Long & Ding, IEEE TPAMI
 * 27(8) 2005) exactly as Peng's reference program (and pymrmr, its Python wrapper) ranks:
 *
 *  - discretisation (optional): each feature z-scored with its mean and sample sd (n - 1), then
 *    3 states: z < -t, -t <= z <= t, z > t (t = 1 by default); without it, values are rounded to
 *    integers (the program's copyvecdata);
 *  - mutual information in bits from the joint histogram of the states;
 *  - first feature: largest MI(f; class), ties ordered as the program's Numerical-Recipes
 *    quicksort (sort2) orders the float-rounded MIs; the candidate pool is the 5000 most relevant;
 *  - then greedily MID = MI(f; c) - mean_s MI(f; s) or MIQ = MI(f; c) / (mean_s MI(f; s) + 1e-4),
 *    scanning the pool in that sorted order and keeping the first strict maximum.
 *
 * Columns that are constant or hold missing values are not ranked; mrmr_rank reports them.
 * Covered by test/stats/test_mrmr.c (goldens test/golden/stats/mrmr.txt from
 * test/oracles/stats_mrmr.py: pymrmr 0.1.11 rankings). */
#ifndef SARC_STATS_MRMR_H
#define SARC_STATS_MRMR_H

#include "vendor/err.h"

enum mrmr_method { MRMR_MID, MRMR_MIQ };

/* Peng's 3-state discretisation of x (n, p) into states (n, p) in {-1, 0, 1}; t > 0. Columns with
 * zero sd get state 0 throughout; NaN entries get state 0 (callers drop such columns). */
void mrmr_discretize(const double *x, int n, int p, double t, int *states);

/* Mutual information (bits) between two integer vectors of length n (states shifted to start at
 * 0 by their minimum). NaN when either spans more than 4096 states or memory runs out. */
double mutual_info(const int *a, const int *b, int n);

/* Ranks the p features of the integer states (n, p) against the class labels y (n, 0/1).
 * cols[0..p) says which columns take part (1) or not (0; NULL = all). Writes the first `top`
 * ranked column indices to order[] and their scores (MI for the first, MID/MIQ for the others)
 * to score[]; *nout receives how many were ranked (min(top, usable, 5000)). Records an audit step.
 * Returns 0, SARC_ERR_ARG (no usable column, top < 1) or SARC_ERR_NOMEM. */
int mrmr_rank(const int *states, const int *y, int n, int p, const int *cols, enum mrmr_method method, int top,
              int *order, double *score, int *nout, struct sarc_err *e);

/* The same without the audit record (for the many per-fold rankings inside cross-validation,
 * which record one step for the whole run). */
int mrmr_rank_noaudit(const int *states, const int *y, int n, int p, const int *cols, enum mrmr_method method,
                      int top, int *order, double *score, int *nout, struct sarc_err *e);

#endif
