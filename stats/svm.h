/* svm.h - a binary C-SVC (libsvm's formulation, as scikit-learn's SVC uses it) solved by SMO with
 * libsvm's second-order working-set selection (WSS3: Fan, Chen & Lin, JMLR 6, 2005), RBF or
 * linear kernel, and Platt probabilities fitted as libsvm does (Lin, Lin & Weng 2007 Newton
 * method on decision values from an internal 5-fold CV of the training data, here seeded).
 *
 * Labels are 0/1; the decision value is positive for class 1, like scikit-learn's
 * decision_function. With tol = 1e-8 the decision values match sklearn.svm.SVC(tol=1e-8) to 1e-6.
 * The kernel matrix is held densely (n <= SVM_MAX_TRAIN). No shrinking (it changes only the
 * path, not the solution). Covered by test/stats/test_svm.c (goldens test/golden/stats/svm_*.txt
 * from test/oracles/stats_svm.py). */
#ifndef SARC_STATS_SVM_H
#define SARC_STATS_SVM_H

#include <stdint.h>

#include "vendor/err.h"

#define SVM_MAX_TRAIN 12000

enum svm_kernel { SVM_RBF, SVM_LINEAR };

struct svm_param {
    enum svm_kernel kernel;
    double C;        /* > 0 (default 5, the paper's) */
    double gamma;    /* RBF width, > 0 (default 0.01) */
    double tol;      /* stopping tolerance of the KKT gap (libsvm eps; default 1e-3) */
    int probability; /* fit Platt's sigmoid by internal 5-fold CV */
    uint64_t seed;   /* for the internal CV permutation */
    uint64_t key;    /* distinguishes calls (e.g. repeat * 1000 + fold) */
};
void svm_param_default(struct svm_param *p);

struct svm_model {
    int p, nsv;
    double *sv;   /* (nsv, p) support vectors */
    double *coef; /* nsv: alpha_i * y_i (y in {-1, +1}, +1 = class 1) */
    double rho;   /* decision = sum coef_i K(sv_i, x) - rho */
    enum svm_kernel kernel;
    double gamma;
    int has_prob;
    double prob_a, prob_b; /* P(class 1) = 1 / (1 + exp(A f + B)) */
    long iterations;
    int hit_max_iter;
};

/* Trains on x (n, p) row-major with labels y (0/1, both classes present). Errors: bad parameters,
 * one class only, NaN in x, n > SVM_MAX_TRAIN, out of memory. Free with svm_free. */
int svm_train(const double *x, const int *y, int n, int p, const struct svm_param *prm, struct svm_model *m,
              struct sarc_err *e);
void svm_free(struct svm_model *m);

/* Decision value of one case x (p). */
double svm_decision(const struct svm_model *m, const double *x);
/* Platt probability of class 1 for a decision value (NaN without a fitted sigmoid). */
double svm_probability(const struct svm_model *m, double decision);

/* Platt's sigmoid fitted to decision values dec[0..n) and labels (0/1): A and B of
 * P(class 1) = 1 / (1 + exp(A dec + B)). */
void platt_fit(const double *dec, const int *y, int n, double *a, double *b);

#endif
