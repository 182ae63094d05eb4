/* mlp.h - a small multi-layer perceptron classifier for the radiomics analysis (the paper's
 * scikit-learn MLPClassifier settings): hidden layers (50, 25) with ReLU, a logistic output,
 * binary log loss plus L2 penalty alpha/2 ||W||^2 / batch, minibatches of min(200, n), Adam
 * (lr 1e-3, beta 0.9/0.999, eps 1e-8) or SGD with Nesterov momentum 0.9, Glorot-uniform
 * initialisation as scikit-learn's (bound sqrt(6/(in+out)), sqrt(2/(in+out)) for the logistic
 * layer), stopping after 10 epochs without a loss improvement of 1e-4 or at `epochs`; optional
 * early stopping on a stratified 10 % validation split (best validation accuracy restored).
 * Every random choice (initialisation, epoch order, validation split) is keyed Philox
 * (RNG_STATS), so a seed gives bit-identical models. Not expected to equal scikit-learn's weights
 * (their RNG differs). Runs on the CPU in double (stats/ itself, not the tensor engine).
 * Covered by test/stats/test_mlp.c (finite-difference gradient check, learning, determinism). */
#ifndef SARC_STATS_MLP_H
#define SARC_STATS_MLP_H

#include <stdint.h>

#include "vendor/err.h"

#define MLP_MAX_LAYERS 4

enum mlp_solver { MLP_ADAM, MLP_SGD };

struct mlp_param {
    int nhidden;                /* number of hidden layers (default 2) */
    int hidden[MLP_MAX_LAYERS]; /* their sizes (default 50, 25) */
    enum mlp_solver solver;
    double alpha, lr;           /* L2 1e-4, learning rate 1e-3 */
    int epochs;                 /* max_iter, default 200 */
    int batch;                  /* 0 = min(200, n) */
    int early_stopping;
    double tol;                 /* 1e-4 */
    int n_iter_no_change;       /* 10 */
    uint64_t seed, key;
};
void mlp_param_default(struct mlp_param *p);
/* "50,25" -> hidden sizes; 0 or -1. */
int mlp_parse_hidden(const char *s, struct mlp_param *p);

struct mlp_model {
    int nlayers;                    /* weight layers = nhidden + 1 */
    int size[MLP_MAX_LAYERS + 2];   /* p, hidden..., 1 */
    double *w;                      /* all weights then biases, layer by layer: W_l (in, out), b_l (out) */
    long nparams;
    int epochs_run;
    double final_loss;
};

/* Trains on x (n, p) with labels 0/1 (both present). Errors: bad parameters, one class, NaN,
 * out of memory. Free with mlp_free. */
int mlp_train(const double *x, const int *y, int n, int p, const struct mlp_param *prm, struct mlp_model *m,
              struct sarc_err *e);
void mlp_free(struct mlp_model *m);
/* P(class 1) of one case x (p). */
double mlp_predict(const struct mlp_model *m, const double *x);

/* Loss (mean log loss + alpha/2 ||W||^2 / nb) of the batch rows[0..nb) and its gradient
 * (grad = d loss / d w, same layout as m->w; overwritten). scratch: mlp_scratch_size(m, nb)
 * doubles. Exposed for the finite-difference test. */
long mlp_scratch_size(const struct mlp_model *m, int nb);
double mlp_loss_grad(const struct mlp_model *m, const double *x, const int *y, const int *rows, int nb, double alpha,
                     double *grad, double *scratch);

#endif
