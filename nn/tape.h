/* tape.h - reverse-mode automatic differentiation: a tape of ops over float32 tensors.
 *
 * Define-by-run: each op function below computes its forward value at once (eagerly) and records
 * a node on the tape; tape_backward(t, loss) then walks the tape in reverse and calls each op's
 * backward. Typical training step:
 *
 *     struct tape t;  tape_init(&t);                         // once
 *     ...per step:
 *     tape_reset(&t);  t.training = 1;  t.seed = seed;  t.step = step;
 *     struct nn_var *x = tape_leaf(&t, 5, (int[]){N, C, D, H, W});   // fill x->val.data
 *     struct nn_var *w = tape_param(&t, &params.p[0]);       // value aliases the parameter
 *     struct nn_var *h = nn_conv3d(&t, x, w, b, NN_PAD_VALID);
 *     ... more ops ...
 *     struct nn_var *loss = nn_bce_logits(&t, logits, target);
 *     if (tape_backward(&t, loss, &err) != 0) ...            // also reports any op's error
 *     optimizer step (nn/optim.h), then nn_params_zero_grad (unless accumulating)
 *     ...
 *     tape_free(&t);                                          // once
 *
 * Errors are sticky: an op that fails (shape mismatch, out of memory) records the first error in
 * the tape and returns NULL; every op given a NULL input returns NULL at once. Check once with
 * tape_error() or through tape_backward's return value. Nothing here aborts on bad shapes.
 *
 * Memory: every node, value, gradient and saved state lives in the tape's arena (nn/tensor.h)
 * and is invalidated by tape_reset / tape_free. Parameter values and gradients live in the
 * parameter block (nn/optim.h) and survive resets.
 *
 * Gradients: tape_backward sets the loss gradient to 1 and fills var->grad for every node that
 * depends on a parameter or on a leaf made with requires_grad. Gradients into a node accumulate
 * over its consumers (fan-out) and are zero before backward. Parameter gradients ACCUMULATE (+=)
 * into param->g across backward calls (gradient accumulation); clear them with
 * nn_params_zero_grad.
 *
 * Threads: heavy ops run on t->pool (pool_default() after tape_init; a test may set another).
 * Every op's result is bit-identical for any thread count: chunk boundaries depend on the
 * problem size only and partial sums are combined in chunk order.
 *
 * Op table: each op is one row of nn_op_table() (name, CPU forward/backward, CUDA
 * forward/backward). A tape runs the CPU slots unless tape_device_init (nn/tape_cuda.h) put it
 * on a CUDA device: then it runs the CUDA slots (every op has one) and its tensors stay in
 * device memory for the whole step; tape_backward works unchanged over either. Shapes: N
 * batch, C channels, D H W spatial; weights in PyTorch layouts. Covered by test/nn/test_tape.c
 * (finite differences), test/nn/test_ops_torch.c and test/nn/test_graph_torch.c (PyTorch
 * goldens); the device tape by test/cuda/test_tape_cuda.c. */
#ifndef SARC_NN_TAPE_H
#define SARC_NN_TAPE_H

#include <stdint.h>

#include "nn/tensor.h"
#include "vendor/err.h"

struct pool;
struct nn_param;
struct tape;
struct tape_device;

enum nn_op {
    OP_LEAF = 0,          /* an input; no backward */
    OP_PARAM,             /* a parameter: value aliases param->w, gradient += into param->g */
    OP_CONV3D,            /* in: x (N,C,D,H,W), w (OC,C,3,3,3), b (OC) or NULL */
    OP_CONV_TRANSPOSE3D,  /* in: x (N,C,D,H,W), w (C,OC,3,3,3), b (OC) or NULL */
    OP_MAXPOOL3D,         /* 2x2x2 stride 2, floor */
    OP_UPSAMPLE2X,        /* nearest, x2 in D, H, W */
    OP_CONCAT,            /* channel concatenation of two tensors */
    OP_RELU,
    OP_SIGMOID,
    OP_DROPOUT,           /* spatial (whole channels) */
    OP_ADD,
    OP_MUL,
    OP_SCALE,             /* x * constant */
    OP_SUM,               /* scalar: sum of all elements */
    OP_MEAN,              /* scalar: mean of all elements */
    OP_BCE_LOGITS,        /* scalar: mean binary cross-entropy from logits */
    OP_SOFT_DICE,         /* scalar: soft Dice loss from probabilities */
    OP_COUNT
};

enum nn_pad {
    NN_PAD_VALID = 0, /* output = input - 2 per spatial dim (kernel 3) */
    NN_PAD_SAME = 1   /* zero padding 1: output = input */
};

/* A node: a value, its gradient, and how it was made. Fields are read-only for callers except
 * val.data of a leaf (fill it after tape_leaf). */
struct nn_var {
    struct tensor val;       /* forward value */
    struct tensor grad;      /* d loss / d val after tape_backward; data NULL if not needed */
    int op;                  /* enum nn_op */
    int requires_grad;       /* 1 if a gradient flows into this node */
    int id;                  /* position on the tape */
    int nin;
    struct nn_var *in[3];    /* inputs, in the order of the op function's arguments */
    struct nn_param *param;  /* OP_PARAM only */
    int iattr[4];            /* op attributes: conv pad, dropout layer, ... */
    double fattr[2];         /* op attributes: dropout p, scale factor, Dice eps, ... */
    void *saved;             /* op state the backward needs (max-pool argmax, dropout mask) */
};

/* One row of the op table. forward computes v->val from v->in[*]->val (v->val already
 * allocated with the output shape); backward adds (+=) v->grad's contribution into
 * v->in[i]->grad for each input with requires_grad. Both return 0 or a SARC_ERR_* code. */
typedef int (*nn_op_fn)(struct tape *t, struct nn_var *v, struct sarc_err *e);
struct nn_op_def {
    const char *name;
    nn_op_fn forward_cpu, backward_cpu;
    nn_op_fn forward_cuda, backward_cuda; /* NULL = runs on the CPU */
};
/* The table, indexed by enum nn_op (OP_COUNT rows). */
const struct nn_op_def *nn_op_table(void);

/* Helpers shared by the op rows of nn/tape.c (CPU) and nn/tape_cuda.c (CUDA): the gradient a
 * backward writes into (NULL when the input needs none); elements per (n, c) plane of a 5-D
 * tensor; the convolution geometry of an OP_CONV3D / OP_CONV_TRANSPOSE3D node. */
static inline float *tape_grad_of(struct nn_var *v) { return v && v->requires_grad ? v->grad.data : NULL; }
static inline int64_t tape_spatial(const struct tensor *x)
{
    return x->n / ((int64_t)x->shape[0] * x->shape[1]);
}
struct conv3d_dims;
int tape_conv_dims(const struct nn_var *v, struct conv3d_dims *s, struct sarc_err *e);

struct tape {
    struct nn_arena arena;   /* nodes, values, gradients and saved state of this step */
    struct nn_var **nodes;   /* in creation order (malloc'ed; capacity kept across resets) */
    int count, cap;
    struct pool *pool;       /* threads for heavy ops; NULL = serial */
    int training;            /* 1: dropout active. 0: inference (dropout is the identity) */
    uint64_t seed;           /* dropout key: run seed */
    uint64_t step;           /* dropout key: training step */
    int failed;              /* an op failed: err holds the first error */
    struct sarc_err err;
    struct nn_arena scratch; /* per-op workspace (im2col tiles), reset after each op */
    int reference;           /* 1: run the plain reference loops instead of the fast path
                                (tests); 0 after tape_init */
    int backward_done;       /* tape_backward ran since the last reset */
    struct tape_device *dev; /* NULL: tensors in host memory (the CPU rows of the op table);
                                else on a CUDA device (nn/tape_cuda.h, tape_device_init) */
};

/* An empty tape using pool_default(), training = 1, seed = step = 0. */
void tape_init(struct tape *t);
/* Forgets all nodes and invalidates their memory; keeps capacity; clears the error. */
void tape_reset(struct tape *t);
void tape_free(struct tape *t);

/* Copies the tape's first error into e and returns its code (0 if none). */
int tape_error(const struct tape *t, struct sarc_err *e);

/* A leaf of the given shape in the arena, zero-filled: the caller fills v->val.data (on a
 * device tape: tape_leaf_upload). No gradient is computed for it (set v->requires_grad = 1
 * right after creation to get one). */
struct nn_var *tape_leaf(struct tape *t, int ndim, const int *shape);
/* A leaf whose value aliases caller memory (not copied, not owned; must outlive the step). On a
 * device tape the host data is copied into a new device tensor instead. */
struct nn_var *tape_leaf_from(struct tape *t, const struct tensor *x);
/* A parameter node: value = p->w (aliased), gradient accumulates into p->g. On a device tape:
 * the device mirror of p (tape_params_upload) instead. */
struct nn_var *tape_param(struct tape *t, struct nn_param *p);

/* Runs backward from loss (a 1-element node): d loss/d loss = 1. Fills grad of every node
 * that needs one and accumulates (+=) into parameter gradients. Returns the tape's sticky error
 * if an op failed earlier, else 0 or an error of the backward itself. Once per tape_reset: a
 * second call fails with SARC_ERR_ARG (it would add the gradients twice). */
int tape_backward(struct tape *t, struct nn_var *loss, struct sarc_err *e);

/* ---- ops: each returns the new node, or NULL (error recorded in the tape) ---- */

/* 3-D convolution, kernel 3x3x3, stride 1. x (N,C,D,H,W), w (OC,C,3,3,3), b (OC) or NULL.
 * pad NN_PAD_VALID: out (N,OC,D-2,H-2,W-2) (each extent must be >= 3); NN_PAD_SAME: zero
 * padding 1, out (N,OC,D,H,W). out[n,o,z,y,x] = b[o] + sum_{c,i,j,k} w[o,c,i,j,k] *
 * x[n,c,z+i-P,y+j-P,x+k-P] (cross-correlation, as PyTorch's Conv3d). */
struct nn_var *nn_conv3d(struct tape *t, struct nn_var *x, struct nn_var *w, struct nn_var *b,
                         int pad);

/* 3-D transposed convolution, kernel 3x3x3, stride 1, 'valid' (no padding): x (N,C,D,H,W),
 * w (C,OC,3,3,3) (PyTorch ConvTranspose3d layout), b (OC) or NULL -> (N,OC,D+2,H+2,W+2).
 * out[n,o,z+i,y+j,x+k] += w[c,o,i,j,k] * x[n,c,z,y,x], plus b[o]. */
struct nn_var *nn_conv_transpose3d(struct tape *t, struct nn_var *x, struct nn_var *w,
                                   struct nn_var *b);

/* Max-pooling 2x2x2, stride 2, floor: (N,C,D,H,W) -> (N,C,D/2,H/2,W/2) (each extent >= 2).
 * The gradient goes to the first maximum in scan order (z, then y, then x; strict >); NaN
 * inputs: a NaN never wins against a number that came before it. Saves the argmax (int32). */
struct nn_var *nn_maxpool3d(struct tape *t, struct nn_var *x);

/* Nearest-neighbour 2x upsampling: (N,C,D,H,W) -> (N,C,2D,2H,2W); backward sums each 2x2x2
 * block. */
struct nn_var *nn_upsample2x(struct tape *t, struct nn_var *x);

/* Channel concatenation: a (N,Ca,D,H,W), b (N,Cb,D,H,W) -> (N,Ca+Cb,D,H,W); a first. */
struct nn_var *nn_concat(struct tape *t, struct nn_var *a, struct nn_var *b);

/* Element-wise max(x, 0); gradient 0 at x <= 0. */
struct nn_var *nn_relu(struct tape *t, struct nn_var *x);
/* Element-wise 1 / (1 + exp(-x)), computed without overflow. */
struct nn_var *nn_sigmoid(struct tape *t, struct nn_var *x);

/* Spatial dropout on (N,C,D,H,W): with t->training, channel c of sample n is zeroed when
 * rng_uniform(t->seed, rng_stream(RNG_DROPOUT, t->step, layer, n*C + c), 0) < p, and kept
 * channels are scaled by 1/(1-p). When !t->training or p == 0 it returns x itself (identity).
 * p must be in [0, 1). layer: the caller's fixed number for this dropout layer. */
struct nn_var *nn_dropout(struct tape *t, struct nn_var *x, double p, int layer);

/* Element-wise a + b, a * b (same shapes; no broadcasting), and x * s. */
struct nn_var *nn_add(struct tape *t, struct nn_var *a, struct nn_var *b);
struct nn_var *nn_mul(struct tape *t, struct nn_var *a, struct nn_var *b);
struct nn_var *nn_scale(struct tape *t, struct nn_var *x, double s);

/* Sum / mean of all elements -> shape (1). Accumulated in double in a fixed order. */
struct nn_var *nn_sum(struct tape *t, struct nn_var *x);
struct nn_var *nn_mean(struct tape *t, struct nn_var *x);

/* Mean binary cross-entropy from logits x and targets y (same shape, y in [0,1], y gets no
 * gradient): mean over all elements of max(x,0) - x*y + log1p(exp(-|x|)) (PyTorch
 * BCEWithLogitsLoss, reduction 'mean'). -> shape (1). */
struct nn_var *nn_bce_logits(struct tape *t, struct nn_var *x, struct nn_var *y);

/* Soft Dice loss from probabilities p and targets y (same shape; y gets no gradient), over all
 * elements of the batch together: 1 - (2*sum(p*y) + eps) / (sum(p) + sum(y) + eps). eps > 0
 * keeps an empty prediction of an empty target at loss 0 (NN_DICE_EPS is our default).
 * -> shape (1). Sums in double. */
#define NN_DICE_EPS 1e-6
struct nn_var *nn_soft_dice(struct tape *t, struct nn_var *p, struct nn_var *y, double eps);

#endif
