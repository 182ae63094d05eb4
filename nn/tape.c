/* tape.c - the tape, the op table and the op builders of nn/ (see tape.h). Each builder checks
 * shapes, allocates the output in the tape's arena, records the node and runs the op's forward
 * from the op table; tape_backward walks the nodes in reverse through the table's backward
 * functions. The numeric work lives in the per-op files (conv3d.c, conv_transpose3d.c,
 * maxpool3d.c, eltwise.c, loss.c). Covered by test/nn/test_tape.c, test/nn/test_ops_torch.c and
 * test/nn/test_graph_torch.c. */
#include "nn/tape.h"

#include <stdlib.h>
#include <string.h>

#include "nn/conv3d.h"
#include "nn/conv_transpose3d.h"
#include "nn/eltwise.h"
#include "nn/loss.h"
#include "nn/maxpool3d.h"
#include "nn/optim.h"
#include "nn/tape_cuda.h"
#include "vendor/pool.h"

/* elements per chunk of the memory-bound ops run on the pool */
#define EW_GRAIN ((int64_t)1 << 15)

void tape_init(struct tape *t)
{
    memset(t, 0, sizeof *t);
    nn_arena_init(&t->arena);
    nn_arena_init(&t->scratch);
    t->scratch.no_zero = 1; /* every scratch user writes before it reads */
    t->pool = pool_default();
    t->training = 1;
}

void tape_reset(struct tape *t)
{
    nn_arena_reset(&t->arena);
    if (t->dev)
        tape_cuda_reset(t);
    t->count = 0;
    t->failed = 0;
    t->backward_done = 0;
    err_clear(&t->err);
}

void tape_free(struct tape *t)
{
    tape_cuda_free(t);
    nn_arena_free(&t->arena);
    nn_arena_free(&t->scratch);
    free(t->nodes);
    t->nodes = NULL;
    t->count = t->cap = 0;
}

int tape_error(const struct tape *t, struct sarc_err *e)
{
    if (!t->failed)
        return 0;
    if (e)
        *e = t->err;
    return t->err.code ? t->err.code : SARC_ERR_INTERNAL;
}

/* Records the first error (formatted like ERR) and returns NULL. */
#define FAIL(t, code, ...) (tape_fail((t), err_set(&(t)->err, (code), __FILE__, __LINE__, __VA_ARGS__)))
static struct nn_var *tape_fail(struct tape *t, int code)
{
    (void)code;
    t->failed = 1;
    return NULL;
}

/* A new node with the given output shape (value zeroed in the arena unless alias != NULL),
 * appended to the tape. NULL (error recorded) on failure. */
static struct nn_var *node_new(struct tape *t, int op, struct nn_var *a, struct nn_var *b,
                               struct nn_var *c, int ndim, const int *shape, float *alias)
{
    if (t->failed)
        return NULL;
    struct sarc_err e;
    if (t->count == t->cap) {
        int cap = t->cap ? 2 * t->cap : 256;
        struct nn_var **nn = realloc(t->nodes, sizeof *nn * (size_t)cap);
        if (!nn)
            return FAIL(t, SARC_ERR_NOMEM, "out of memory growing the tape");
        t->nodes = nn;
        t->cap = cap;
    }
    struct nn_var *v = nn_arena_alloc(&t->arena, sizeof *v, &e);
    if (!v) {
        t->err = e;
        return tape_fail(t, e.code);
    }
    int rc;
    if (alias) {
        rc = tensor_set_shape(&v->val, ndim, shape, &e);
        v->val.data = alias;
    } else if (t->dev) {
        rc = tape_cuda_tensor(t, &v->val, ndim, shape, op == OP_LEAF, &e);
    } else {
        rc = nn_arena_tensor(&t->arena, &v->val, ndim, shape, &e);
    }
    if (rc) {
        t->err = e;
        return tape_fail(t, rc);
    }
    v->op = op;
    v->id = t->count;
    v->in[0] = a;
    v->in[1] = b;
    v->in[2] = c;
    v->nin = c ? 3 : b ? 2 : a ? 1 : 0;
    for (int i = 0; i < v->nin; i++)
        if (v->in[i] && v->in[i]->requires_grad)
            v->requires_grad = 1;
    t->nodes[t->count++] = v;
    return v;
}

/* Runs v's forward from the op table; records an error and returns NULL on failure. */
static struct nn_var *node_forward(struct tape *t, struct nn_var *v)
{
    if (!v)
        return NULL;
    struct sarc_err e;
    err_clear(&e);
    const struct nn_op_def *def = &nn_op_table()[v->op];
    int rc;
    if (t->dev) { /* a device tape runs the CUDA slots; every op with a forward has one */
        rc = def->forward_cuda ? def->forward_cuda(t, v, &e)
             : def->forward_cpu ? ERR(&e, SARC_ERR_UNSUPPORTED, "no CUDA kernel") : 0;
        tape_cuda_scratch_reset(t);
    } else {
        rc = def->forward_cpu ? def->forward_cpu(t, v, &e) : 0;
        nn_arena_reset(&t->scratch);
    }
    if (rc) {
        t->err = e;
        err_prefix(&t->err, "%s forward", def->name);
        return tape_fail(t, rc);
    }
    return v;
}

static const char *shape_of(const struct nn_var *v, char *buf, size_t size)
{
    tensor_shape_str(&v->val, buf, size);
    return buf;
}

struct nn_var *tape_leaf(struct tape *t, int ndim, const int *shape)
{
    return node_new(t, OP_LEAF, NULL, NULL, NULL, ndim, shape, NULL);
}

struct nn_var *tape_leaf_from(struct tape *t, const struct tensor *x)
{
    if (!x || !x->data) {
        if (t->failed)
            return NULL;
        return FAIL(t, SARC_ERR_ARG, "tape_leaf_from: no data");
    }
    if (t->dev) { /* host data: a device copy */
        struct nn_var *v = node_new(t, OP_LEAF, NULL, NULL, NULL, x->ndim, x->shape, NULL);
        struct sarc_err e;
        if (v && tape_leaf_upload(t, v, x->data, &e) != 0) {
            t->err = e;
            return tape_fail(t, e.code);
        }
        return v;
    }
    return node_new(t, OP_LEAF, NULL, NULL, NULL, x->ndim, x->shape, x->data);
}

struct nn_var *tape_param(struct tape *t, struct nn_param *p)
{
    if (!p || !p->w.data || !p->g.data) {
        if (t->failed)
            return NULL;
        return FAIL(t, SARC_ERR_ARG, "tape_param: parameter '%s' has no memory (call "
                    "nn_params_alloc)", p ? p->name : "(null)");
    }
    float *w = p->w.data, *g = p->g.data;
    if (t->dev) {
        struct sarc_err e;
        if (t->failed)
            return NULL;
        if (tape_cuda_param(t, p, &w, &g, &e) != 0) {
            t->err = e;
            return tape_fail(t, e.code);
        }
    }
    struct nn_var *v = node_new(t, OP_PARAM, NULL, NULL, NULL, p->w.ndim, p->w.shape, w);
    if (v) {
        v->param = p;
        v->requires_grad = 1;
        v->grad = p->g;
        v->grad.data = g;
    }
    return v;
}

/* ---- op rows: forward / backward adapters ---- */

int tape_conv_dims(const struct nn_var *v, struct conv3d_dims *s, struct sarc_err *e)
{
    const struct tensor *x = &v->in[0]->val, *w = &v->in[1]->val;
    if (v->op == OP_CONV3D)
        return conv3d_dims_init(s, x->shape[0], x->shape[1], x->shape[2], x->shape[3],
                                x->shape[4], w->shape[0], v->iattr[0], e);
    return conv_transpose3d_dims_init(s, x->shape[0], x->shape[1], x->shape[2], x->shape[3],
                                      x->shape[4], w->shape[1], e);
}


static int conv3d_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    struct conv3d_dims s;
    int rc = tape_conv_dims(v, &s, e);
    if (rc)
        return rc;
    const float *b = v->in[2] ? v->in[2]->val.data : NULL;
    if (t->reference) {
        conv3d_forward_cpu(v->val.data, v->in[0]->val.data, v->in[1]->val.data, b, &s);
        return 0;
    }
    return conv3d_forward_fast(v->val.data, v->in[0]->val.data, v->in[1]->val.data, b, &s, 0,
                               t->pool, &t->scratch, e);
}

static int conv3d_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    struct conv3d_dims s;
    int rc = tape_conv_dims(v, &s, e);
    if (rc)
        return rc;
    float *dx = tape_grad_of(v->in[0]), *dw = tape_grad_of(v->in[1]), *db = tape_grad_of(v->in[2]);
    if (t->reference) {
        conv3d_backward_cpu(dx, dw, db, v->grad.data, v->in[0]->val.data, v->in[1]->val.data, &s);
        return 0;
    }
    return conv3d_backward_fast(dx, dw, db, v->grad.data, v->in[0]->val.data,
                                v->in[1]->val.data, &s, t->pool, &t->scratch, e);
}

static int convt_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    struct conv3d_dims s;
    int rc = tape_conv_dims(v, &s, e);
    if (rc)
        return rc;
    const float *b = v->in[2] ? v->in[2]->val.data : NULL;
    if (t->reference) {
        conv_transpose3d_forward_cpu(v->val.data, v->in[0]->val.data, v->in[1]->val.data, b, &s);
        return 0;
    }
    return conv_transpose3d_forward_fast(v->val.data, v->in[0]->val.data, v->in[1]->val.data, b,
                                         &s, t->pool, &t->scratch, e);
}

static int convt_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    struct conv3d_dims s;
    int rc = tape_conv_dims(v, &s, e);
    if (rc)
        return rc;
    float *dx = tape_grad_of(v->in[0]), *dw = tape_grad_of(v->in[1]), *db = tape_grad_of(v->in[2]);
    if (t->reference) {
        conv_transpose3d_backward_cpu(dx, dw, db, v->grad.data, v->in[0]->val.data,
                                      v->in[1]->val.data, &s);
        return 0;
    }
    return conv_transpose3d_backward_fast(dx, dw, db, v->grad.data, v->in[0]->val.data,
                                          v->in[1]->val.data, &s, t->pool, &t->scratch, e);
}

/* Max-pool and upsampling run on the pool over (n, c) planes; planes are independent, so any
 * partition gives the same bits. */
enum { PL_MAXPOOL_F, PL_MAXPOOL_B, PL_UPSAMPLE_F, PL_UPSAMPLE_B };
struct plane_ctx {
    int kind;
    float *o;
    int32_t *am;
    const float *a;
    int D, H, W;         /* extents of the larger (pooled-from / upsampled-to = smaller) side */
    int64_t in_n, out_n; /* elements per plane of the op's input and output */
};

/* Pool body: runs c->kind over planes [b, e) (plane = one (n, c) pair). */
static void plane_chunk(void *arg, int64_t b, int64_t e, int64_t chunk)
{
    (void)chunk;
    const struct plane_ctx *c = arg;
    const int64_t n = e - b;
    switch (c->kind) {
    case PL_MAXPOOL_F:
        maxpool3d_forward_cpu(c->o + b * c->out_n, c->am + b * c->out_n, c->a + b * c->in_n, n,
                              c->D, c->H, c->W);
        break;
    case PL_MAXPOOL_B: /* o = dinp (in_n per plane), a = dout (out_n per plane) */
        maxpool3d_backward_cpu(c->o + b * c->in_n, c->a + b * c->out_n, c->am + b * c->out_n, n,
                               c->D, c->H, c->W);
        break;
    case PL_UPSAMPLE_F:
        upsample2x_forward_cpu(c->o + b * c->out_n, c->a + b * c->in_n, n, c->D, c->H, c->W);
        break;
    case PL_UPSAMPLE_B:
        upsample2x_backward_cpu(c->o + b * c->in_n, c->a + b * c->out_n, n, c->D, c->H, c->W);
        break;
    default:
        break;
    }
}

/* Runs plane op kind of node v over its input's (n, c) planes: o and a as plane_ctx (o is the
 * output for a forward, the input gradient for a backward), am the argmax indices or NULL. */
static void plane_run(struct tape *t, const struct nn_var *v, int kind, float *o, int32_t *am,
                      const float *a)
{
    const struct tensor *x = &v->in[0]->val;
    const int64_t planes = (int64_t)x->shape[0] * x->shape[1];
    struct plane_ctx c = {kind,        o,           am,           a,
                          x->shape[2], x->shape[3], x->shape[4],  x->n / planes,
                          v->val.n / planes};
    const int64_t grain = c.in_n >= EW_GRAIN ? 1 : EW_GRAIN / c.in_n;
    pool_for(t->pool, planes, grain, plane_chunk, &c);
}

static int maxpool_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    int32_t *am = nn_arena_alloc(&t->arena, sizeof(int32_t) * (size_t)v->val.n, e);
    if (!am)
        return SARC_ERR_NOMEM;
    v->saved = am;
    plane_run(t, v, PL_MAXPOOL_F, v->val.data, am, v->in[0]->val.data);
    return 0;
}

static int maxpool_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)e;
    plane_run(t, v, PL_MAXPOOL_B, v->in[0]->grad.data, v->saved, v->grad.data);
    return 0;
}

static int upsample_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)e;
    plane_run(t, v, PL_UPSAMPLE_F, v->val.data, NULL, v->in[0]->val.data);
    return 0;
}

static int upsample_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)e;
    plane_run(t, v, PL_UPSAMPLE_B, v->in[0]->grad.data, NULL, v->grad.data);
    return 0;
}


static int concat_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)t;
    (void)e;
    const struct tensor *a = &v->in[0]->val, *b = &v->in[1]->val;
    concat_forward_cpu(v->val.data, a->data, b->data, a->shape[0], a->shape[1], b->shape[1],
                       tape_spatial(a));
    return 0;
}

static int concat_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)t;
    (void)e;
    const struct tensor *a = &v->in[0]->val, *b = &v->in[1]->val;
    concat_backward_cpu(tape_grad_of(v->in[0]), tape_grad_of(v->in[1]), v->grad.data, a->shape[0],
                        a->shape[1], b->shape[1], tape_spatial(a));
    return 0;
}

/* Element-wise ops run on the pool in chunks of EW_GRAIN elements; each element is computed
 * alone, so any partition gives the same bits. */
enum { EW_RELU_F, EW_RELU_B, EW_SIG_F, EW_SIG_B, EW_ADD_F, EW_MUL_F, EW_MUL_B, EW_SCALE_F, EW_SCALE_B };
struct ew_ctx {
    int kind;
    float *o, *o2;          /* outputs (o2: second output of mul backward; may be NULL) */
    const float *a, *b, *c; /* inputs */
    double s;
};

static float *off(float *p, int64_t i) { return p ? p + i : NULL; }

static void ew_chunk(void *arg, int64_t b, int64_t e, int64_t chunk)
{
    (void)chunk;
    const struct ew_ctx *c = arg;
    const int64_t n = e - b;
    switch (c->kind) {
    case EW_RELU_F: relu_forward_cpu(c->o + b, c->a + b, n); break;
    case EW_RELU_B: relu_backward_cpu(c->o + b, c->a + b, c->b + b, n); break;
    case EW_SIG_F: sigmoid_forward_cpu(c->o + b, c->a + b, n); break;
    case EW_SIG_B: sigmoid_backward_cpu(c->o + b, c->a + b, c->b + b, n); break;
    case EW_ADD_F: add_forward_cpu(c->o + b, c->a + b, c->b + b, n); break;
    case EW_MUL_F: mul_forward_cpu(c->o + b, c->a + b, c->b + b, n); break;
    case EW_MUL_B: mul_backward_cpu(off(c->o, b), off(c->o2, b), c->a + b, c->b + b, c->c + b, n); break;
    case EW_SCALE_F: scale_forward_cpu(c->o + b, c->a + b, c->s, n); break;
    case EW_SCALE_B: scale_backward_cpu(c->o + b, c->a + b, c->s, n); break;
    default: break;
    }
}

static void ew_run(struct tape *t, int kind, float *o, float *o2, const float *a, const float *b,
                   const float *c, double s, int64_t n)
{
    struct ew_ctx ctx = {kind, o, o2, a, b, c, s};
    pool_for(t->pool, n, EW_GRAIN, ew_chunk, &ctx);
}

static int relu_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)e;
    ew_run(t, EW_RELU_F, v->val.data, NULL, v->in[0]->val.data, NULL, NULL, 0, v->val.n);
    return 0;
}

static int relu_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)e;
    ew_run(t, EW_RELU_B, v->in[0]->grad.data, NULL, v->grad.data, v->in[0]->val.data, NULL, 0,
           v->val.n);
    return 0;
}

static int sigmoid_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)e;
    ew_run(t, EW_SIG_F, v->val.data, NULL, v->in[0]->val.data, NULL, NULL, 0, v->val.n);
    return 0;
}

static int sigmoid_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)e;
    ew_run(t, EW_SIG_B, v->in[0]->grad.data, NULL, v->grad.data, v->val.data, NULL, 0, v->val.n);
    return 0;
}

static int dropout_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    const struct tensor *x = &v->in[0]->val;
    const int N = x->shape[0], C = x->shape[1];
    float *mask = nn_arena_alloc(&t->arena, sizeof(float) * (size_t)N * (size_t)C, e);
    if (!mask)
        return SARC_ERR_NOMEM;
    v->saved = mask;
    dropout_mask_cpu(mask, N, C, v->fattr[0], t->seed, t->step, v->iattr[0]);
    dropout_forward_cpu(v->val.data, x->data, mask, (int64_t)N * C, tape_spatial(x));
    return 0;
}

static int dropout_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)t;
    (void)e;
    const struct tensor *x = &v->in[0]->val;
    dropout_backward_cpu(v->in[0]->grad.data, v->grad.data, v->saved,
                         (int64_t)x->shape[0] * x->shape[1], tape_spatial(x));
    return 0;
}

static int add_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)e;
    ew_run(t, EW_ADD_F, v->val.data, NULL, v->in[0]->val.data, v->in[1]->val.data, NULL, 0,
           v->val.n);
    return 0;
}

static int add_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)e;
    for (int i = 0; i < 2; i++)
        if (tape_grad_of(v->in[i]))
            ew_run(t, EW_SCALE_B, v->in[i]->grad.data, NULL, v->grad.data, NULL, NULL, 1.0,
                   v->val.n);
    return 0;
}

static int mul_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)e;
    ew_run(t, EW_MUL_F, v->val.data, NULL, v->in[0]->val.data, v->in[1]->val.data, NULL, 0,
           v->val.n);
    return 0;
}

static int mul_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)e;
    ew_run(t, EW_MUL_B, tape_grad_of(v->in[0]), tape_grad_of(v->in[1]), v->grad.data, v->in[0]->val.data,
           v->in[1]->val.data, 0, v->val.n);
    return 0;
}

static int scale_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)e;
    ew_run(t, EW_SCALE_F, v->val.data, NULL, v->in[0]->val.data, NULL, NULL, v->fattr[0], v->val.n);
    return 0;
}

static int scale_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)e;
    ew_run(t, EW_SCALE_B, v->in[0]->grad.data, NULL, v->grad.data, NULL, NULL, v->fattr[0],
           v->val.n);
    return 0;
}

static int sum_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)t;
    (void)e;
    const struct tensor *x = &v->in[0]->val;
    const double s = sum_cpu(x->data, x->n);
    v->val.data[0] = (float)(v->op == OP_MEAN ? s / (double)x->n : s);
    return 0;
}

static int sum_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)t;
    (void)e;
    const struct tensor *x = &v->in[0]->val;
    const double g = v->op == OP_MEAN ? v->grad.data[0] / (double)x->n : v->grad.data[0];
    float *dx = v->in[0]->grad.data;
    for (int64_t i = 0; i < x->n; i++)
        dx[i] += (float)g;
    return 0;
}

static int bce_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)t;
    (void)e;
    v->val.data[0] = (float)bce_logits_forward_cpu(v->in[0]->val.data, v->in[1]->val.data,
                                                   v->in[0]->val.n);
    return 0;
}

static int bce_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)t;
    (void)e;
    bce_logits_backward_cpu(v->in[0]->grad.data, v->grad.data[0], v->in[0]->val.data,
                            v->in[1]->val.data, v->in[0]->val.n);
    return 0;
}

static int dice_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    double *sums = nn_arena_alloc(&t->arena, sizeof(double) * 3, e);
    if (!sums)
        return SARC_ERR_NOMEM;
    v->saved = sums;
    v->val.data[0] = (float)soft_dice_forward_cpu(v->in[0]->val.data, v->in[1]->val.data,
                                                  v->in[0]->val.n, v->fattr[0], sums);
    return 0;
}

static int dice_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    (void)t;
    (void)e;
    soft_dice_backward_cpu(v->in[0]->grad.data, v->grad.data[0], v->in[1]->val.data,
                           v->in[0]->val.n, v->fattr[0], v->saved);
    return 0;
}

/* The op table: one row per enum nn_op. The CUDA slots (nn/tape_cuda.c) run on a device tape
 * only; they launch through the tape's kernel table (the cuda/ launchers, or a test's host
 * stand-ins), so they are present in every build. */
static const struct nn_op_def op_table[OP_COUNT] = {
    [OP_LEAF] = {"leaf", NULL, NULL, NULL, NULL},
    [OP_PARAM] = {"param", NULL, NULL, NULL, NULL},
    [OP_CONV3D] = {"conv3d", conv3d_fwd, conv3d_bwd, tape_cuda_conv3d_fwd, tape_cuda_conv3d_bwd},
    [OP_CONV_TRANSPOSE3D] = {"conv_transpose3d", convt_fwd, convt_bwd, tape_cuda_convt_fwd,
                             tape_cuda_convt_bwd},
    [OP_MAXPOOL3D] = {"maxpool3d", maxpool_fwd, maxpool_bwd, tape_cuda_maxpool_fwd,
                      tape_cuda_maxpool_bwd},
    [OP_UPSAMPLE2X] = {"upsample2x", upsample_fwd, upsample_bwd, tape_cuda_upsample_fwd,
                       tape_cuda_upsample_bwd},
    [OP_CONCAT] = {"concat", concat_fwd, concat_bwd, tape_cuda_concat_fwd, tape_cuda_concat_bwd},
    [OP_RELU] = {"relu", relu_fwd, relu_bwd, tape_cuda_relu_fwd, tape_cuda_relu_bwd},
    [OP_SIGMOID] = {"sigmoid", sigmoid_fwd, sigmoid_bwd, tape_cuda_sigmoid_fwd,
                    tape_cuda_sigmoid_bwd},
    [OP_DROPOUT] = {"dropout", dropout_fwd, dropout_bwd, tape_cuda_dropout_fwd,
                    tape_cuda_dropout_bwd},
    [OP_ADD] = {"add", add_fwd, add_bwd, tape_cuda_add_fwd, tape_cuda_add_bwd},
    [OP_MUL] = {"mul", mul_fwd, mul_bwd, tape_cuda_mul_fwd, tape_cuda_mul_bwd},
    [OP_SCALE] = {"scale", scale_fwd, scale_bwd, tape_cuda_scale_fwd, tape_cuda_scale_bwd},
    [OP_SUM] = {"sum", sum_fwd, sum_bwd, tape_cuda_sum_fwd, tape_cuda_sum_bwd},
    [OP_MEAN] = {"mean", sum_fwd, sum_bwd, tape_cuda_sum_fwd, tape_cuda_sum_bwd},
    [OP_BCE_LOGITS] = {"bce_logits", bce_fwd, bce_bwd, tape_cuda_bce_fwd, tape_cuda_bce_bwd},
    [OP_SOFT_DICE] = {"soft_dice", dice_fwd, dice_bwd, tape_cuda_dice_fwd, tape_cuda_dice_bwd},
};

const struct nn_op_def *nn_op_table(void) { return op_table; }

/* ---- builders ---- */

static int is5d(const struct nn_var *v) { return v->val.ndim == 5; }

struct nn_var *nn_conv3d(struct tape *t, struct nn_var *x, struct nn_var *w, struct nn_var *b,
                         int pad)
{
    if (t->failed || !x || !w)
        return t->failed ? NULL : FAIL(t, SARC_ERR_ARG, "conv3d: missing input");
    char sx[64], sw[64];
    const int *ws = w->val.shape;
    if (!is5d(x) || w->val.ndim != 5 || ws[1] != x->val.shape[1] || ws[2] != 3 || ws[3] != 3 ||
        ws[4] != 3)
        return FAIL(t, SARC_ERR_ARG, "conv3d: input %s and weight %s: expected (N,C,D,H,W) and "
                    "(OC,C,3,3,3)", shape_of(x, sx, sizeof sx), shape_of(w, sw, sizeof sw));
    if (b && (b->val.ndim != 1 || b->val.shape[0] != ws[0]))
        return FAIL(t, SARC_ERR_ARG, "conv3d: bias %s, expected (%d)", shape_of(b, sx, sizeof sx),
                    ws[0]);
    if (pad != NN_PAD_VALID && pad != NN_PAD_SAME)
        return FAIL(t, SARC_ERR_ARG, "conv3d: padding %d, expected valid (0) or same (1)", pad);
    const int *xs = x->val.shape;
    if (pad == NN_PAD_VALID && (xs[2] < 3 || xs[3] < 3 || xs[4] < 3))
        return FAIL(t, SARC_ERR_RANGE, "conv3d valid: input %s smaller than the 3x3x3 kernel",
                    shape_of(x, sx, sizeof sx));
    const int P = pad == NN_PAD_SAME ? 1 : 0;
    int shape[5] = {xs[0], ws[0], xs[2] + 2 * P - 2, xs[3] + 2 * P - 2, xs[4] + 2 * P - 2};
    struct nn_var *v = node_new(t, OP_CONV3D, x, w, b, 5, shape, NULL);
    if (v)
        v->iattr[0] = P;
    return node_forward(t, v);
}

struct nn_var *nn_conv_transpose3d(struct tape *t, struct nn_var *x, struct nn_var *w,
                                   struct nn_var *b)
{
    if (t->failed || !x || !w)
        return t->failed ? NULL : FAIL(t, SARC_ERR_ARG, "conv_transpose3d: missing input");
    char sx[64], sw[64];
    const int *ws = w->val.shape;
    if (!is5d(x) || w->val.ndim != 5 || ws[0] != x->val.shape[1] || ws[2] != 3 || ws[3] != 3 ||
        ws[4] != 3)
        return FAIL(t, SARC_ERR_ARG, "conv_transpose3d: input %s and weight %s: expected "
                    "(N,C,D,H,W) and (C,OC,3,3,3)", shape_of(x, sx, sizeof sx),
                    shape_of(w, sw, sizeof sw));
    if (b && (b->val.ndim != 1 || b->val.shape[0] != ws[1]))
        return FAIL(t, SARC_ERR_ARG, "conv_transpose3d: bias %s, expected (%d)",
                    shape_of(b, sx, sizeof sx), ws[1]);
    const int *xs = x->val.shape;
    if (xs[2] > (1 << 29) || xs[3] > (1 << 29) || xs[4] > (1 << 29))
        return FAIL(t, SARC_ERR_RANGE, "conv_transpose3d: input %s too large",
                    shape_of(x, sx, sizeof sx));
    int shape[5] = {xs[0], ws[1], xs[2] + 2, xs[3] + 2, xs[4] + 2};
    return node_forward(t, node_new(t, OP_CONV_TRANSPOSE3D, x, w, b, 5, shape, NULL));
}

struct nn_var *nn_maxpool3d(struct tape *t, struct nn_var *x)
{
    if (t->failed || !x)
        return t->failed ? NULL : FAIL(t, SARC_ERR_ARG, "maxpool3d: missing input");
    char sx[64];
    const int *xs = x->val.shape;
    if (!is5d(x) || xs[2] < 2 || xs[3] < 2 || xs[4] < 2)
        return FAIL(t, SARC_ERR_ARG, "maxpool3d: input %s, expected (N,C,D,H,W) with D,H,W >= 2",
                    shape_of(x, sx, sizeof sx));
    if ((int64_t)xs[2] * xs[3] * xs[4] > INT32_MAX)
        return FAIL(t, SARC_ERR_RANGE, "maxpool3d: a plane of %s exceeds 2^31 elements",
                    shape_of(x, sx, sizeof sx));
    int shape[5] = {xs[0], xs[1], xs[2] / 2, xs[3] / 2, xs[4] / 2};
    return node_forward(t, node_new(t, OP_MAXPOOL3D, x, NULL, NULL, 5, shape, NULL));
}

struct nn_var *nn_upsample2x(struct tape *t, struct nn_var *x)
{
    if (t->failed || !x)
        return t->failed ? NULL : FAIL(t, SARC_ERR_ARG, "upsample2x: missing input");
    char sx[64];
    const int *xs = x->val.shape;
    if (!is5d(x) || xs[2] > (1 << 29) || xs[3] > (1 << 29) || xs[4] > (1 << 29))
        return FAIL(t, SARC_ERR_ARG, "upsample2x: input %s, expected (N,C,D,H,W)",
                    shape_of(x, sx, sizeof sx));
    int shape[5] = {xs[0], xs[1], 2 * xs[2], 2 * xs[3], 2 * xs[4]};
    return node_forward(t, node_new(t, OP_UPSAMPLE2X, x, NULL, NULL, 5, shape, NULL));
}

struct nn_var *nn_concat(struct tape *t, struct nn_var *a, struct nn_var *b)
{
    if (t->failed || !a || !b)
        return t->failed ? NULL : FAIL(t, SARC_ERR_ARG, "concat: missing input");
    char sa[64], sb[64];
    const int *as = a->val.shape, *bs = b->val.shape;
    if (!is5d(a) || !is5d(b) || as[0] != bs[0] || as[2] != bs[2] || as[3] != bs[3] ||
        as[4] != bs[4])
        return FAIL(t, SARC_ERR_ARG, "concat: %s and %s differ outside the channel dimension",
                    shape_of(a, sa, sizeof sa), shape_of(b, sb, sizeof sb));
    int shape[5] = {as[0], as[1] + bs[1], as[2], as[3], as[4]};
    return node_forward(t, node_new(t, OP_CONCAT, a, b, NULL, 5, shape, NULL));
}

static struct nn_var *unary(struct tape *t, int op, struct nn_var *x, const char *name)
{
    if (t->failed || !x)
        return t->failed ? NULL : FAIL(t, SARC_ERR_ARG, "%s: missing input", name);
    return node_forward(t, node_new(t, op, x, NULL, NULL, x->val.ndim, x->val.shape, NULL));
}

struct nn_var *nn_relu(struct tape *t, struct nn_var *x) { return unary(t, OP_RELU, x, "relu"); }
struct nn_var *nn_sigmoid(struct tape *t, struct nn_var *x)
{
    return unary(t, OP_SIGMOID, x, "sigmoid");
}

struct nn_var *nn_dropout(struct tape *t, struct nn_var *x, double p, int layer)
{
    if (t->failed || !x)
        return t->failed ? NULL : FAIL(t, SARC_ERR_ARG, "dropout: missing input");
    char sx[64];
    if (!(p >= 0 && p < 1))
        return FAIL(t, SARC_ERR_ARG, "dropout: p = %g, expected 0 <= p < 1", p);
    if (x->val.ndim < 2)
        return FAIL(t, SARC_ERR_ARG, "dropout: input %s has no channel dimension",
                    shape_of(x, sx, sizeof sx));
    if (!t->training || p == 0)
        return x;
    struct nn_var *v = node_new(t, OP_DROPOUT, x, NULL, NULL, x->val.ndim, x->val.shape, NULL);
    if (v) {
        v->fattr[0] = p;
        v->iattr[0] = layer;
    }
    return node_forward(t, v);
}

static struct nn_var *binary(struct tape *t, int op, struct nn_var *a, struct nn_var *b,
                             const char *name)
{
    if (t->failed || !a || !b)
        return t->failed ? NULL : FAIL(t, SARC_ERR_ARG, "%s: missing input", name);
    char sa[64], sb[64];
    if (!tensor_same_shape(&a->val, &b->val))
        return FAIL(t, SARC_ERR_ARG, "%s: shapes %s and %s differ", name,
                    shape_of(a, sa, sizeof sa), shape_of(b, sb, sizeof sb));
    return node_forward(t, node_new(t, op, a, b, NULL, a->val.ndim, a->val.shape, NULL));
}

struct nn_var *nn_add(struct tape *t, struct nn_var *a, struct nn_var *b)
{
    return binary(t, OP_ADD, a, b, "add");
}
struct nn_var *nn_mul(struct tape *t, struct nn_var *a, struct nn_var *b)
{
    return binary(t, OP_MUL, a, b, "mul");
}

struct nn_var *nn_scale(struct tape *t, struct nn_var *x, double s)
{
    if (t->failed || !x)
        return t->failed ? NULL : FAIL(t, SARC_ERR_ARG, "scale: missing input");
    struct nn_var *v = node_new(t, OP_SCALE, x, NULL, NULL, x->val.ndim, x->val.shape, NULL);
    if (v)
        v->fattr[0] = s;
    return node_forward(t, v);
}

static const int scalar_shape[1] = {1};

static struct nn_var *reduce(struct tape *t, int op, struct nn_var *x, const char *name)
{
    if (t->failed || !x)
        return t->failed ? NULL : FAIL(t, SARC_ERR_ARG, "%s: missing input", name);
    return node_forward(t, node_new(t, op, x, NULL, NULL, 1, scalar_shape, NULL));
}

struct nn_var *nn_sum(struct tape *t, struct nn_var *x) { return reduce(t, OP_SUM, x, "sum"); }
struct nn_var *nn_mean(struct tape *t, struct nn_var *x) { return reduce(t, OP_MEAN, x, "mean"); }

struct nn_var *nn_bce_logits(struct tape *t, struct nn_var *x, struct nn_var *y)
{
    if (t->failed || !x || !y)
        return t->failed ? NULL : FAIL(t, SARC_ERR_ARG, "bce_logits: missing input");
    char sa[64], sb[64];
    if (!tensor_same_shape(&x->val, &y->val))
        return FAIL(t, SARC_ERR_ARG, "bce_logits: logits %s and targets %s differ",
                    shape_of(x, sa, sizeof sa), shape_of(y, sb, sizeof sb));
    struct nn_var *v = node_new(t, OP_BCE_LOGITS, x, y, NULL, 1, scalar_shape, NULL);
    if (v)
        v->requires_grad = x->requires_grad; /* targets get no gradient */
    return node_forward(t, v);
}

struct nn_var *nn_soft_dice(struct tape *t, struct nn_var *p, struct nn_var *y, double eps)
{
    if (t->failed || !p || !y)
        return t->failed ? NULL : FAIL(t, SARC_ERR_ARG, "soft_dice: missing input");
    char sa[64], sb[64];
    if (!tensor_same_shape(&p->val, &y->val))
        return FAIL(t, SARC_ERR_ARG, "soft_dice: probabilities %s and targets %s differ",
                    shape_of(p, sa, sizeof sa), shape_of(y, sb, sizeof sb));
    if (!(eps > 0))
        return FAIL(t, SARC_ERR_ARG, "soft_dice: eps = %g, expected > 0", eps);
    struct nn_var *v = node_new(t, OP_SOFT_DICE, p, y, NULL, 1, scalar_shape, NULL);
    if (v) {
        v->requires_grad = p->requires_grad;
        v->fattr[0] = eps;
    }
    return node_forward(t, v);
}

/* ---- backward ---- */

int tape_backward(struct tape *t, struct nn_var *loss, struct sarc_err *e)
{
    if (t->failed)
        return tape_error(t, e);
    if (!loss || loss->val.n != 1)
        return ERR(e, SARC_ERR_ARG, "tape_backward: the loss must be a 1-element node");
    if (loss->id >= t->count || t->nodes[loss->id] != loss)
        return ERR(e, SARC_ERR_ARG, "tape_backward: the loss is not on this tape");
    if (t->backward_done)
        return ERR(e, SARC_ERR_ARG, "tape_backward: already run on this tape (tape_reset first)");
    t->backward_done = 1;
    if (!loss->requires_grad)
        return 0; /* nothing depends on a parameter */
    /* gradient buffers: zeroed in the arena (parameters already point at param->g) */
    for (int i = 0; i <= loss->id; i++) {
        struct nn_var *v = t->nodes[i];
        if (!v->requires_grad || v->grad.data)
            continue;
        int rc = t->dev ? tape_cuda_tensor(t, &v->grad, v->val.ndim, v->val.shape, 1, e)
                        : nn_arena_tensor(&t->arena, &v->grad, v->val.ndim, v->val.shape, e);
        if (rc)
            return rc;
    }
    if (t->dev) {
        int rc = tape_cuda_loss_seed(t, loss, e);
        if (rc)
            return rc;
    } else if (loss->op == OP_PARAM)
        loss->grad.data[0] += 1.0f;
    else
        loss->grad.data[0] = 1.0f;
    for (int i = loss->id; i >= 0; i--) {
        struct nn_var *v = t->nodes[i];
        const struct nn_op_def *def = &nn_op_table()[v->op];
        const nn_op_fn bwd = t->dev ? def->backward_cuda : def->backward_cpu;
        if (!v->requires_grad || !def->backward_cpu)
            continue;
        int rc = bwd ? bwd(t, v, e) : ERR(e, SARC_ERR_UNSUPPORTED, "no CUDA kernel");
        if (t->dev)
            tape_cuda_scratch_reset(t);
        else
            nn_arena_reset(&t->scratch);
        if (rc) {
            err_prefix(e, "%s backward", def->name);
            return rc;
        }
    }
    return 0;
}
