/* optim.h - parameters (value, gradient, optimizer state as separate buffers), seeded weight
 * initialisation (Glorot-uniform, He) and the optimizers Adam and SGD with momentum.
 *
 * Sizes first, then one allocation: register every parameter with nn_params_add (name, shape,
 * fan-in/fan-out, init kind), then nn_params_alloc carves w, g, m, v for all of them out of one
 * block. Parameter i (its index = order of registration) is initialised from the counter-based
 * RNG stream rng_stream(RNG_INIT, i, 0, 0) under the seed, draw j for element j, so that the
 * values of one parameter do not depend on the others or on thread count.
 *
 * Adam (Kingma & Ba 2015) with beta1 0.9, beta2 0.999 and eps default 1e-7 (the Keras default):
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  t = t + 1
 *   NN_ADAM_TORCH  : w -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)   (torch.optim.Adam)
 *   NN_ADAM_KERAS  : w -= lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)   (Keras "epsilon hat")
 * SGD with momentum mu (torch.optim.SGD, dampening 0): m = mu m + g;  w -= lr m.
 * Updates are element-wise, computed in double and stored in float: bit-identical for any
 * thread count. Covered by test/nn/test_nn_misc.c and test/nn/test_graph_torch.c (3 Adam steps vs
 * torch.optim.Adam). */
#ifndef SARC_NN_OPTIM_H
#define SARC_NN_OPTIM_H

#include <stdint.h>

#include "nn/tensor.h"
#include "vendor/err.h"

enum nn_init {
    NN_INIT_ZEROS = 0,
    NN_INIT_GLOROT_UNIFORM, /* U(-l, l), l = sqrt(6 / (fan_in + fan_out)) (Keras default) */
    NN_INIT_HE_NORMAL,      /* N(0, 2 / fan_in), not truncated (PyTorch kaiming_normal_) */
    NN_INIT_HE_UNIFORM      /* U(-l, l), l = sqrt(6 / fan_in) (Keras he_uniform) */
};

struct nn_param {
    char name[64];
    int index;              /* registration order; keys the init RNG stream */
    int init;               /* enum nn_init */
    int fan_in, fan_out;    /* for the init; e.g. conv3d: fan_in = C*27, fan_out = OC*27 */
    struct tensor w;        /* value */
    struct tensor g;        /* gradient: += by tape_backward, cleared by nn_params_zero_grad */
    struct tensor m;        /* Adam first moment / SGD momentum buffer */
    struct tensor v;        /* Adam second moment (unused by SGD) */
};

struct nn_params {
    struct nn_param *p;     /* count entries (malloc'ed) */
    int count, cap;
    float *block;           /* one allocation holding w, g, m, v of all parameters */
    int64_t nvalues;        /* total number of weights (sum of w.n) */
};

/* An empty set. */
void nn_params_init(struct nn_params *ps);
/* Registers a parameter (before nn_params_alloc); *index receives its index (may be NULL).
 * Fails on a bad shape, a name longer than 63 bytes, or after alloc. */
int nn_params_add(struct nn_params *ps, const char *name, int ndim, const int *shape, int init,
                  int fan_in, int fan_out, int *index, struct sarc_err *e);
/* Allocates the one block (w, g, m, v zeroed). */
int nn_params_alloc(struct nn_params *ps, struct sarc_err *e);
/* Fills every w from its init kind and the seed; g, m, v = 0. */
void nn_params_init_values(struct nn_params *ps, uint64_t seed);
/* The parameter with that name, or NULL. */
struct nn_param *nn_params_find(struct nn_params *ps, const char *name);
/* g = 0 for every parameter. */
void nn_params_zero_grad(struct nn_params *ps);
void nn_params_free(struct nn_params *ps);

/* Fills one tensor from an init kind, under (seed, param index). */
void nn_init_fill(struct tensor *w, int init, int fan_in, int fan_out, uint64_t seed, int index);

enum nn_adam_form { NN_ADAM_TORCH = 0, NN_ADAM_KERAS = 1 };

struct nn_adam {
    double lr;              /* learning rate */
    double beta1, beta2;    /* 0.9, 0.999 */
    double eps;             /* 1e-7 */
    int form;               /* enum nn_adam_form */
    int64_t t;              /* steps taken so far (checkpoint it with m and v) */
};
/* lr, beta1 0.9, beta2 0.999, eps 1e-7, form NN_ADAM_KERAS, t 0. */
struct nn_adam nn_adam_default(double lr);
/* One step on every parameter from its g; increments a->t. Fails (SARC_ERR_ARG) on lr <= 0,
 * betas outside [0,1), eps <= 0. */
int nn_adam_step(struct nn_adam *a, struct nn_params *ps, struct sarc_err *e);
/* The same step on bare arrays of n values each: w, m, v updated in place from g (nn_adam_step
 * calls it on its block). nn/segtrain.c uses it for its separately allocated buffers, and
 * cuda/optim.cu evaluates the same formula on the device, so CPU and GPU training share one
 * update rule. Fails like nn_adam_step (a->t unchanged then). */
int nn_adam_update(struct nn_adam *a, float *w, const float *g, float *m, float *v, int64_t n,
                   struct sarc_err *e);

struct nn_sgd {
    double lr, momentum;
};
/* One SGD step with momentum (torch.optim.SGD's form: m = momentum * m + g; w -= lr * m) on every
 * parameter, the momentum buffer in the Adam m slot. Fails (SARC_ERR_ARG) unless lr > 0 and
 * 0 <= momentum < 1. */
int nn_sgd_step(const struct nn_sgd *s, struct nn_params *ps, struct sarc_err *e);

/* Audit helpers for the caller's step (io/audit.h; no-ops when st is NULL): every parameter's
 * values as an output array named after it (SHA-256 of the float32 bytes + summary figures),
 * and the optimizer settings as step parameters. */
struct audit_step;
void nn_params_audit(struct audit_step *st, const struct nn_params *ps);
void nn_adam_audit(struct audit_step *st, const struct nn_adam *a);

#endif
