/* tape_cuda.c - the tape on a CUDA device (see tape_cuda.h): the device arena, the parameter
 * mirror, host <-> device copies, and one wrapper per op that calls the launcher of cuda/ with
 * the contract of the op's CPU row in nn/tape.c (forward "=", backward "+=" into each input
 * gradient that is needed). Everything but tape_cuda_launchers() compiles in every build: the
 * wrappers launch through a struct tape_cuda_kernels, so that test/cuda/test_tape_cuda.c can run
 * them on host stand-ins of the launchers in CPU-only and SAN builds, and on the real launchers
 * when a GPU is present. */
#include "nn/tape_cuda.h"

#include <stdlib.h>
#include <string.h>

#include "nn/conv_transpose3d.h"
#include "nn/device.h"

#ifdef SARC_CUDA
#include "cuda/conv3d.h"
#include "cuda/conv_transpose3d.h"
#include "cuda/eltwise.h"
#include "cuda/loss.h"
#include "cuda/maxpool3d.h"
#include "cuda/optim.h"
#endif

/* device allocations are 256-byte aligned (what cudaMalloc gives, and what coalesced and
 * vectorised kernels expect) */
#define DEV_ALIGN 256
#define DEV_MIN_BLOCK ((size_t)1 << 20)

/* A bump arena over device blocks, as struct nn_arena over host blocks: reset keeps one block of
 * the high-water size, so from the second step on nothing is allocated inside a step. */
struct dev_block {
    struct dev_block *next; /* host memory */
    size_t size, off;
    char *mem;              /* device memory */
};
struct dev_arena {
    struct dev_block *head;
    size_t used, high;
};

struct tape_device {
    const struct tape_cuda_kernels *k;
    struct cuda_ctx ctx;       /* stream (legacy default) and tf32; ws is set per op */
    struct dev_arena arena;    /* values, gradients, saved state of this step */
    struct dev_arena scratch;  /* per-op workspace, reset after each op */
    struct nn_params *ps;      /* the mirrored parameter set (not owned), or NULL */
    float *block;              /* its device copy: w | g | m | v, nvalues floats each */
    int64_t nvalues;
};

#ifdef SARC_CUDA
static const struct tape_cuda_kernels launchers = {
    cuda_mem_alloc, cuda_mem_free, cuda_mem_to_device, cuda_mem_to_host, cuda_mem_zero_async,
    cuda_sync, conv3d_workspace_bytes_cuda, conv_transpose3d_workspace_bytes_cuda,
    reduce_workspace_bytes_cuda, conv3d_forward_cuda, conv3d_backward_cuda,
    conv_transpose3d_forward_cuda, conv_transpose3d_backward_cuda, maxpool3d_forward_cuda,
    maxpool3d_backward_cuda, upsample2x_forward_cuda, upsample2x_backward_cuda,
    concat_forward_cuda, concat_backward_cuda, relu_forward_cuda, relu_backward_cuda,
    sigmoid_forward_cuda, sigmoid_backward_cuda, add_forward_cuda, mul_forward_cuda,
    mul_backward_cuda, scale_forward_cuda, scale_backward_cuda, dropout_mask_cuda,
    dropout_forward_cuda, dropout_backward_cuda, sum_forward_cuda, sum_backward_cuda,
    bce_logits_forward_cuda, bce_logits_backward_cuda, soft_dice_forward_cuda,
    soft_dice_backward_cuda, adam_step_cuda, sgd_step_cuda};
const struct tape_cuda_kernels *tape_cuda_launchers(void) { return &launchers; }
#else
const struct tape_cuda_kernels *tape_cuda_launchers(void) { return NULL; }
#endif

/* ---- device arena ---- */

static void dev_arena_free(const struct tape_cuda_kernels *k, struct dev_arena *a)
{
    struct dev_block *b = a->head;
    while (b) {
        struct dev_block *next = b->next;
        k->mem_free(b->mem);
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used = a->high = 0;
}

/* A new block of at least `need` bytes in front of a's list; 0 or an error. */
static int dev_block_push(const struct tape_cuda_kernels *k, struct dev_arena *a, size_t need,
                          struct sarc_err *e)
{
    size_t size = need < DEV_MIN_BLOCK ? DEV_MIN_BLOCK : need;
    if (a->head && size < 2 * a->head->size && a->head->size < ((size_t)1 << 40))
        size = 2 * a->head->size;
    struct dev_block *b = calloc(1, sizeof *b);
    if (!b)
        return ERR(e, SARC_ERR_NOMEM, "out of host memory for a device arena block");
    void *mem = NULL;
    int rc = k->mem_alloc(&mem, size, e);
    if (rc) {
        free(b);
        err_prefix(e, "device tape: %zu bytes", size);
        return rc;
    }
    b->mem = mem;
    b->size = size;
    b->next = a->head;
    a->head = b;
    return 0;
}

/* nbytes of device memory from a (zeroed on ctx's stream when zero is 1), valid until the next
 * reset; NULL and an error on failure. */
static void *dev_alloc(struct tape_device *d, struct dev_arena *a, size_t nbytes, int zero,
                       struct sarc_err *e)
{
    size_t need;
    if (nbytes == 0)
        nbytes = 1;
    if (size_add(nbytes, DEV_ALIGN - 1, &need)) {
        ERR(e, SARC_ERR_NOMEM, "device request of %zu bytes overflows", nbytes);
        return NULL;
    }
    need &= ~(size_t)(DEV_ALIGN - 1);
    if (!a->head || a->head->size - a->head->off < need)
        if (dev_block_push(d->k, a, need, e))
            return NULL;
    struct dev_block *b = a->head;
    char *p = b->mem + b->off;
    b->off += need;
    a->used += need;
    if (a->used > a->high)
        a->high = a->used;
    if (zero && d->k->mem_zero_async(p, nbytes, &d->ctx, e))
        return NULL;
    return p;
}

/* Invalidates a's memory; keeps one block of the high-water size (allocated at once; on failure
 * the next dev_alloc retries). Freeing device memory waits for the device, so kernels still
 * reading the old blocks finish first. */
static void dev_arena_reset(const struct tape_cuda_kernels *k, struct dev_arena *a)
{
    struct dev_block *b = a->head;
    if (b && !b->next && b->size >= a->high) {
        b->off = 0;
        a->used = 0;
        return;
    }
    const size_t keep = a->high;
    dev_arena_free(k, a);
    a->high = keep;
    if (keep) {
        struct sarc_err e;
        (void)dev_block_push(k, a, keep, &e);
    }
}

/* ---- the device tape ---- */

int tape_device_init(struct tape *t, const struct tape_cuda_kernels *k, int tf32,
                     struct sarc_err *e)
{
    if (t->dev)
        return ERR(e, SARC_ERR_ARG, "tape_device_init: the tape is already on a device");
    if (t->count)
        return ERR(e, SARC_ERR_ARG, "tape_device_init: the tape has %d nodes (call it on an "
                   "empty tape)", t->count);
    if (!k) {
        k = tape_cuda_launchers();
        if (!k)
            return ERR(e, SARC_ERR_UNSUPPORTED, "device tape: built without CUDA (rebuild "
                       "with nvcc on PATH)");
        char name[256];
        if (!device_cuda_available(name, sizeof name))
            return ERR(e, SARC_ERR_DEVICE, "device tape: no usable CUDA GPU: %s", name);
    }
    struct tape_device *d = calloc(1, sizeof *d);
    if (!d)
        return ERR(e, SARC_ERR_NOMEM, "device tape: out of host memory");
    d->k = k;
    d->ctx.tf32 = tf32 ? 1 : 0;
    t->dev = d;
    return 0;
}

int tape_on_device(const struct tape *t) { return t->dev != NULL; }

void tape_cuda_free(struct tape *t)
{
    struct tape_device *d = t->dev;
    if (!d)
        return;
    dev_arena_free(d->k, &d->arena);
    dev_arena_free(d->k, &d->scratch);
    if (d->block)
        d->k->mem_free(d->block);
    free(d);
    t->dev = NULL;
}

void tape_cuda_reset(struct tape *t)
{
    dev_arena_reset(t->dev->k, &t->dev->arena);
    dev_arena_reset(t->dev->k, &t->dev->scratch);
}

void tape_cuda_scratch_reset(struct tape *t) { dev_arena_reset(t->dev->k, &t->dev->scratch); }

int tape_cuda_tensor(struct tape *t, struct tensor *x, int ndim, const int *shape, int zero,
                     struct sarc_err *e)
{
    x->data = NULL;
    int rc = tensor_set_shape(x, ndim, shape, e);
    if (rc)
        return rc;
    size_t nbytes;
    if (size_mul((size_t)x->n, sizeof(float), &nbytes))
        return ERR(e, SARC_ERR_NOMEM, "tensor of %lld elements overflows", (long long)x->n);
    x->data = dev_alloc(t->dev, &t->dev->arena, nbytes, zero, e);
    return x->data ? 0 : e && e->code ? e->code : SARC_ERR_NOMEM;
}

int tape_cuda_param(struct tape *t, const struct nn_param *p, float **w, float **g,
                    struct sarc_err *e)
{
    const struct tape_device *d = t->dev;
    const struct nn_params *ps = d->ps;
    if (!d->block || !ps || !ps->block || p->w.data < ps->block ||
        p->w.data + p->w.n > ps->block + d->nvalues)
        return ERR(e, SARC_ERR_ARG, "tape_param: parameter '%s' is not in the device mirror "
                   "(call tape_params_upload with its set first)", p->name);
    const int64_t off = p->w.data - ps->block;
    *w = d->block + off;
    *g = d->block + d->nvalues + off;
    return 0;
}

int tape_cuda_loss_seed(struct tape *t, struct nn_var *loss, struct sarc_err *e)
{
    const struct tape_cuda_kernels *k = t->dev->k;
    float one = 1.0f;
    if (loss->op == OP_PARAM) { /* a parameter's gradient accumulates: += 1 */
        float g = 0;
        int rc = k->sync(&t->dev->ctx, e);
        if (!rc)
            rc = k->mem_to_host(&g, loss->grad.data, sizeof g, e);
        if (rc)
            return rc;
        one = g + 1.0f;
    }
    return k->mem_to_device(loss->grad.data, &one, sizeof one, e);
}

/* ---- host <-> device ---- */

int tape_leaf_upload(struct tape *t, struct nn_var *v, const float *host, struct sarc_err *e)
{
    if (!v || v->op != OP_LEAF || v->id >= t->count || t->nodes[v->id] != v)
        return ERR(e, SARC_ERR_ARG, "tape_leaf_upload: not a leaf of this tape");
    if (!host)
        return ERR(e, SARC_ERR_ARG, "tape_leaf_upload: no data");
    const size_t nbytes = sizeof(float) * (size_t)v->val.n;
    if (!t->dev) {
        memmove(v->val.data, host, nbytes);
        return 0;
    }
    return t->dev->k->mem_to_device(v->val.data, host, nbytes, e);
}

/* host = n floats at src (a tensor of t): memcpy, or sync + device copy. */
static int download(struct tape *t, const float *src, int64_t n, float *host, struct sarc_err *e)
{
    const size_t nbytes = sizeof(float) * (size_t)n;
    if (!t->dev) {
        memmove(host, src, nbytes);
        return 0;
    }
    int rc = t->dev->k->sync(&t->dev->ctx, e);
    return rc ? rc : t->dev->k->mem_to_host(host, src, nbytes, e);
}

int tape_value_download(struct tape *t, const struct nn_var *v, float *host, struct sarc_err *e)
{
    if (!v || !v->val.data || !host)
        return ERR(e, SARC_ERR_ARG, "tape_value_download: no node or no destination");
    return download(t, v->val.data, v->val.n, host, e);
}

int tape_grad_download(struct tape *t, const struct nn_var *v, float *host, struct sarc_err *e)
{
    if (!v || !host)
        return ERR(e, SARC_ERR_ARG, "tape_grad_download: no node or no destination");
    if (!v->grad.data)
        return ERR(e, SARC_ERR_ARG, "tape_grad_download: the node has no gradient (no "
                   "tape_backward yet, or nothing it depends on needs one)");
    return download(t, v->grad.data, v->grad.n, host, e);
}

/* ---- parameter mirror ---- */

static int mirror_of(const struct tape *t, const struct nn_params *ps, const char *fn,
                     struct sarc_err *e)
{
    if (!ps || !ps->block)
        return ERR(e, SARC_ERR_ARG, "%s: the parameter set has no memory (nn_params_alloc)", fn);
    if (t->dev && (t->dev->ps != ps || !t->dev->block || t->dev->nvalues != ps->nvalues))
        return ERR(e, SARC_ERR_ARG, "%s: the parameter set is not the tape's device mirror "
                   "(tape_params_upload)", fn);
    return 0;
}

int tape_params_upload(struct tape *t, struct nn_params *ps, struct sarc_err *e)
{
    if (!ps || !ps->block)
        return ERR(e, SARC_ERR_ARG, "tape_params_upload: the parameter set has no memory "
                   "(nn_params_alloc)");
    struct tape_device *d = t->dev;
    if (!d)
        return 0;
    size_t nbytes;
    if (size_mul((size_t)ps->nvalues, 4 * sizeof(float), &nbytes))
        return ERR(e, SARC_ERR_NOMEM, "tape_params_upload: block size overflows");
    if (d->block && d->nvalues != ps->nvalues) {
        d->k->mem_free(d->block);
        d->block = NULL;
    }
    if (!d->block) {
        void *p = NULL;
        int rc = d->k->mem_alloc(&p, nbytes, e);
        if (rc) {
            err_prefix(e, "tape_params_upload");
            d->ps = NULL;
            return rc;
        }
        d->block = p;
        d->nvalues = ps->nvalues;
    }
    d->ps = ps;
    return d->k->mem_to_device(d->block, ps->block, nbytes, e);
}

int tape_params_download(struct tape *t, struct nn_params *ps, struct sarc_err *e)
{
    int rc = mirror_of(t, ps, "tape_params_download", e);
    if (rc || !t->dev)
        return rc;
    rc = t->dev->k->sync(&t->dev->ctx, e);
    return rc ? rc : t->dev->k->mem_to_host(ps->block, t->dev->block,
                                             sizeof(float) * 4 * (size_t)ps->nvalues, e);
}

int tape_params_zero_grad(struct tape *t, struct nn_params *ps, struct sarc_err *e)
{
    int rc = mirror_of(t, ps, "tape_params_zero_grad", e);
    if (rc)
        return rc;
    if (!t->dev) {
        nn_params_zero_grad(ps);
        return 0;
    }
    return t->dev->k->mem_zero_async(t->dev->block + ps->nvalues,
                                     sizeof(float) * (size_t)ps->nvalues, &t->dev->ctx, e);
}

int tape_adam_step(struct tape *t, struct nn_params *ps, struct nn_adam *a, struct sarc_err *e)
{
    int rc = mirror_of(t, ps, "tape_adam_step", e);
    if (rc)
        return rc;
    if (!t->dev)
        return nn_adam_step(a, ps, e);
    return t->dev->k->adam_step(a, t->dev->block, ps->nvalues, &t->dev->ctx, e);
}

int tape_sgd_step(struct tape *t, struct nn_params *ps, const struct nn_sgd *s,
                  struct sarc_err *e)
{
    int rc = mirror_of(t, ps, "tape_sgd_step", e);
    if (rc)
        return rc;
    if (!t->dev)
        return nn_sgd_step(s, ps, e);
    return t->dev->k->sgd_step(s, t->dev->block, ps->nvalues, &t->dev->ctx, e);
}

/* ---- op rows ---- */

/* The launch context of one op with ws bytes of scratch (0: none). */
static int op_ctx(struct tape *t, size_t ws, struct cuda_ctx *cx, struct sarc_err *e)
{
    *cx = t->dev->ctx;
    cx->ws = NULL;
    cx->ws_bytes = 0;
    if (ws) {
        cx->ws = dev_alloc(t->dev, &t->dev->scratch, ws, 0, e);
        if (!cx->ws)
            return e && e->code ? e->code : SARC_ERR_NOMEM;
        cx->ws_bytes = ws;
    }
    return 0;
}

static const struct tape_cuda_kernels *K(const struct tape *t) { return t->dev->k; }
static const struct cuda_ctx *CX(const struct tape *t) { return &t->dev->ctx; }

static const float *val_of(const struct nn_var *v) { return v ? v->val.data : NULL; }

int tape_cuda_conv3d_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    struct conv3d_dims s;
    int rc = tape_conv_dims(v, &s, e);
    if (rc)
        return rc;
    return K(t)->conv3d_forward(v->val.data, v->in[0]->val.data, v->in[1]->val.data,
                                val_of(v->in[2]), &s, CX(t), e);
}

int tape_cuda_conv3d_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    struct conv3d_dims s;
    struct cuda_ctx cx;
    int rc = tape_conv_dims(v, &s, e);
    float *dw = tape_grad_of(v->in[1]), *db = tape_grad_of(v->in[2]);
    if (!rc)
        rc = op_ctx(t, dw || db ? K(t)->conv3d_ws(&s) : 0, &cx, e);
    if (rc)
        return rc;
    return K(t)->conv3d_backward(tape_grad_of(v->in[0]), dw, db, v->grad.data, v->in[0]->val.data,
                                 v->in[1]->val.data, &s, &cx, e);
}

int tape_cuda_convt_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    struct conv3d_dims s;
    int rc = tape_conv_dims(v, &s, e);
    if (rc)
        return rc;
    return K(t)->conv_transpose3d_forward(v->val.data, v->in[0]->val.data, v->in[1]->val.data,
                                          val_of(v->in[2]), &s, CX(t), e);
}

int tape_cuda_convt_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    struct conv3d_dims s;
    struct cuda_ctx cx;
    int rc = tape_conv_dims(v, &s, e);
    float *dw = tape_grad_of(v->in[1]), *db = tape_grad_of(v->in[2]);
    if (!rc)
        rc = op_ctx(t, dw || db ? K(t)->conv_transpose3d_ws(&s) : 0, &cx, e);
    if (rc)
        return rc;
    return K(t)->conv_transpose3d_backward(tape_grad_of(v->in[0]), dw, db, v->grad.data,
                                           v->in[0]->val.data, v->in[1]->val.data, &s, &cx, e);
}

/* planes (N*C) and input extents of a pool / upsample node */
#define PLANES(x) ((int64_t)(x)->shape[0] * (x)->shape[1])

int tape_cuda_maxpool_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    const struct tensor *x = &v->in[0]->val;
    int32_t *am = dev_alloc(t->dev, &t->dev->arena, sizeof(int32_t) * (size_t)v->val.n, 0, e);
    if (!am)
        return e && e->code ? e->code : SARC_ERR_NOMEM;
    v->saved = am;
    return K(t)->maxpool3d_forward(v->val.data, am, x->data, PLANES(x), x->shape[2],
                                   x->shape[3], x->shape[4], CX(t), e);
}

int tape_cuda_maxpool_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    const struct tensor *x = &v->in[0]->val;
    return K(t)->maxpool3d_backward(v->in[0]->grad.data, v->grad.data, v->saved, PLANES(x),
                                    x->shape[2], x->shape[3], x->shape[4], CX(t), e);
}

int tape_cuda_upsample_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    const struct tensor *x = &v->in[0]->val;
    return K(t)->upsample2x_forward(v->val.data, x->data, PLANES(x), x->shape[2], x->shape[3],
                                    x->shape[4], CX(t), e);
}

int tape_cuda_upsample_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    const struct tensor *x = &v->in[0]->val;
    return K(t)->upsample2x_backward(v->in[0]->grad.data, v->grad.data, PLANES(x), x->shape[2],
                                     x->shape[3], x->shape[4], CX(t), e);
}

int tape_cuda_concat_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    const struct tensor *a = &v->in[0]->val, *b = &v->in[1]->val;
    return K(t)->concat_forward(v->val.data, a->data, b->data, a->shape[0], a->shape[1],
                                b->shape[1], tape_spatial(a), CX(t), e);
}

int tape_cuda_concat_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    const struct tensor *a = &v->in[0]->val, *b = &v->in[1]->val;
    return K(t)->concat_backward(tape_grad_of(v->in[0]), tape_grad_of(v->in[1]), v->grad.data,
                                 a->shape[0], a->shape[1], b->shape[1], tape_spatial(a), CX(t), e);
}

int tape_cuda_relu_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    return K(t)->relu_forward(v->val.data, v->in[0]->val.data, v->val.n, CX(t), e);
}

int tape_cuda_relu_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    return K(t)->relu_backward(v->in[0]->grad.data, v->grad.data, v->in[0]->val.data, v->val.n,
                               CX(t), e);
}

int tape_cuda_sigmoid_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    return K(t)->sigmoid_forward(v->val.data, v->in[0]->val.data, v->val.n, CX(t), e);
}

int tape_cuda_sigmoid_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    return K(t)->sigmoid_backward(v->in[0]->grad.data, v->grad.data, v->val.data, v->val.n,
                                  CX(t), e);
}

/* the mask (N*C floats) is the saved state, drawn on the device with dropout_mask_cpu's keys */
int tape_cuda_dropout_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    const struct tensor *x = &v->in[0]->val;
    const int N = x->shape[0], C = x->shape[1];
    float *mask = dev_alloc(t->dev, &t->dev->arena, sizeof(float) * (size_t)N * (size_t)C, 0, e);
    if (!mask)
        return e && e->code ? e->code : SARC_ERR_NOMEM;
    v->saved = mask;
    int rc = K(t)->dropout_mask(mask, N, C, v->fattr[0], t->seed, t->step, v->iattr[0], CX(t), e);
    return rc ? rc : K(t)->dropout_forward(v->val.data, x->data, mask, (int64_t)N * C,
                                           tape_spatial(x), CX(t), e);
}

int tape_cuda_dropout_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    const struct tensor *x = &v->in[0]->val;
    return K(t)->dropout_backward(v->in[0]->grad.data, v->grad.data, v->saved, PLANES(x),
                                  tape_spatial(x), CX(t), e);
}

int tape_cuda_add_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    return K(t)->add_forward(v->val.data, v->in[0]->val.data, v->in[1]->val.data, v->val.n,
                             CX(t), e);
}

/* both inputs get dout (scale_backward with s = 1: d += dout * 1, exact) */
int tape_cuda_add_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    for (int i = 0; i < 2; i++)
        if (tape_grad_of(v->in[i])) {
            int rc = K(t)->scale_backward(v->in[i]->grad.data, v->grad.data, 1.0, v->val.n,
                                          CX(t), e);
            if (rc)
                return rc;
        }
    return 0;
}

int tape_cuda_mul_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    return K(t)->mul_forward(v->val.data, v->in[0]->val.data, v->in[1]->val.data, v->val.n,
                             CX(t), e);
}

int tape_cuda_mul_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    return K(t)->mul_backward(tape_grad_of(v->in[0]), tape_grad_of(v->in[1]), v->grad.data,
                              v->in[0]->val.data, v->in[1]->val.data, v->val.n, CX(t), e);
}

int tape_cuda_scale_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    return K(t)->scale_forward(v->val.data, v->in[0]->val.data, v->fattr[0], v->val.n, CX(t), e);
}

int tape_cuda_scale_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    return K(t)->scale_backward(v->in[0]->grad.data, v->grad.data, v->fattr[0], v->val.n, CX(t),
                                e);
}

/* sum and mean share the row, as on the CPU (mean: op OP_MEAN) */
int tape_cuda_sum_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    const struct tensor *x = &v->in[0]->val;
    struct cuda_ctx cx;
    int rc = op_ctx(t, K(t)->reduce_ws(x->n), &cx, e);
    return rc ? rc : K(t)->sum_forward(v->val.data, x->data, x->n, v->op == OP_MEAN, &cx, e);
}

int tape_cuda_sum_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    const struct tensor *x = &v->in[0]->val;
    return K(t)->sum_backward(v->in[0]->grad.data, v->grad.data, x->n, v->op == OP_MEAN, CX(t),
                              e);
}

int tape_cuda_bce_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    const int64_t n = v->in[0]->val.n;
    struct cuda_ctx cx;
    int rc = op_ctx(t, K(t)->reduce_ws(n), &cx, e);
    return rc ? rc : K(t)->bce_logits_forward(v->val.data, v->in[0]->val.data,
                                              v->in[1]->val.data, n, &cx, e);
}

int tape_cuda_bce_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    return K(t)->bce_logits_backward(v->in[0]->grad.data, v->grad.data, v->in[0]->val.data,
                                     v->in[1]->val.data, v->in[0]->val.n, CX(t), e);
}

/* the saved state is the three sums in double, on the device */
int tape_cuda_dice_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    const int64_t n = v->in[0]->val.n;
    double *sums = dev_alloc(t->dev, &t->dev->arena, sizeof(double) * 3, 0, e);
    if (!sums)
        return e && e->code ? e->code : SARC_ERR_NOMEM;
    v->saved = sums;
    struct cuda_ctx cx;
    int rc = op_ctx(t, K(t)->reduce_ws(n), &cx, e);
    return rc ? rc : K(t)->soft_dice_forward(v->val.data, sums, v->in[0]->val.data,
                                             v->in[1]->val.data, n, v->fattr[0], &cx, e);
}

int tape_cuda_dice_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e)
{
    return K(t)->soft_dice_backward(v->in[0]->grad.data, v->grad.data, v->in[1]->val.data,
                                    v->in[0]->val.n, v->fattr[0], v->saved, CX(t), e);
}
