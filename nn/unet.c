/* unet.c - the paper's 3-D U-Net on the CPU: parameters, forward, backward, Adam (see unet.h).
 *
 * The layers run on the tensor engine of issue 4: convolutions nn/conv3d.h (fast path),
 * transposed convolutions nn/conv_transpose3d.h, max-pooling and nearest upsampling
 * nn/maxpool3d.h, ReLU and spatial dropout nn/eltwise.h; all deterministic for any thread count.
 * Buffers of one patch live in one allocation (struct unet_work), sized once from the
 * architecture; the engine's workspace is an arena reset after every op, so nothing is
 * allocated inside a training step after the first. Concatenations cost no copy: the encoder
 * writes its conv outputs into the first channels of the concatenation buffers and the decoder
 * upsamples into the remaining ones.
 * Shape letters: s0 input patch, s1 = s0 - 2 (conv1 and output), h1 = s1 / 2 (pool1, dconv2
 * output), s2 = h1 - 2 (conv2), h2 = s2 / 2, s3 = h2 - 2 (conv3), t1 = s3 + 2 (dconv1).
 * Covered by test/nn/test_unet.c. */
#include "nn/unet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/conv3d.h"
#include "nn/conv_transpose3d.h"
#include "nn/eltwise.h"
#include "nn/maxpool3d.h"
#include "nn/tensor.h"
#include "vendor/pool.h"
#include "vendor/rng.h"

const char *const unet_layer_names[UNET_NLAYERS] = {"conv1", "conv2", "conv3", "dconv1", "dconv2", "dconv3", "out"};

struct unet_arch unet_arch_paper(int cin)
{
    struct unet_arch a = {cin, {24, 48, 64}, 1, {18, 142, 142}, 0.1f};
    return a;
}

int unet_arch_check(const struct unet_arch *a, struct sarc_err *e)
{
    if (a->cin < 1 || a->cin > 3)
        return ERR(e, SARC_ERR_RANGE, "input channels = %d, expected 1..3", a->cin);
    for (int i = 0; i < 3; i++)
        if (a->f[i] < 1 || a->f[i] > 512)
            return ERR(e, SARC_ERR_RANGE, "filters[%d] = %d, expected 1..512", i, a->f[i]);
    for (int i = 0; i < 3; i++)
        if (a->patch[i] < 18 || a->patch[i] > 1026 || a->patch[i] % 4 != 2)
            return ERR(e, SARC_ERR_RANGE, "patch[%d] = %d, expected 18..1026 with patch = 2 (mod 4)", i, a->patch[i]);
    if (a->skip != 0 && a->skip != 1)
        return ERR(e, SARC_ERR_RANGE, "skip = %d, expected 0 or 1", a->skip);
    if (!(a->dropout >= 0.0f && a->dropout < 1.0f))
        return ERR(e, SARC_ERR_RANGE, "dropout = %g, expected 0 <= p < 1", (double)a->dropout);
    return 0;
}

void unet_layer_dims(const struct unet_arch *a, int l, int *transposed, int *cin, int *cout)
{
    const int f1 = a->f[0], f2 = a->f[1], f3 = a->f[2];
    static const int tr[UNET_NLAYERS] = {0, 0, 0, 1, 1, 1, 0};
    int ci = 0, co = 0;
    switch (l) {
    case UNET_CONV1: ci = a->cin, co = f1; break;
    case UNET_CONV2: ci = f1, co = f2; break;
    case UNET_CONV3: ci = f2, co = f3; break;
    case UNET_DCONV1: ci = f3, co = f3; break;
    case UNET_DCONV2: ci = a->skip ? f2 + f3 : f3, co = f2; break;
    case UNET_DCONV3: ci = a->skip ? f1 + f2 : f2, co = f1; break;
    default: ci = f1, co = 1; break;
    }
    *transposed = tr[l];
    *cin = ci;
    *cout = co;
}

void unet_out_patch(const struct unet_arch *a, int out[3])
{
    for (int i = 0; i < 3; i++)
        out[i] = a->patch[i] - 2;
}

int unet_params_alloc(struct unet_params *p, const struct unet_arch *a, struct sarc_err *e)
{
    memset(p, 0, sizeof *p);
    int rc = unet_arch_check(a, e);
    if (rc)
        return rc;
    int64_t n = 0;
    for (int l = 0; l < UNET_NLAYERS; l++) {
        int tr, ci, co;
        unet_layer_dims(a, l, &tr, &ci, &co);
        p->woff[l] = n;
        n += (int64_t)27 * ci * co;
        p->boff[l] = n;
        n += co;
    }
    p->data = calloc((size_t)n, sizeof(float));
    if (!p->data)
        return ERR(e, SARC_ERR_NOMEM, "U-Net parameters: %lld floats", (long long)n);
    p->arch = *a;
    p->n = n;
    return 0;
}

void unet_params_free(struct unet_params *p)
{
    free(p->data);
    memset(p, 0, sizeof *p);
}

void unet_params_init(struct unet_params *p, uint64_t seed)
{
    for (int l = 0; l < UNET_NLAYERS; l++) {
        int tr, ci, co;
        unet_layer_dims(&p->arch, l, &tr, &ci, &co);
        const double lim = sqrt(6.0 / (27.0 * (ci + co)));
        const uint64_t stream = rng_stream(RNG_INIT, (uint64_t)l, 0, 0);
        const int64_t nw = (int64_t)27 * ci * co;
        float *w = p->data + p->woff[l];
        for (int64_t i = 0; i < nw; i++)
            w[i] = (float)(-lim + 2.0 * lim * rng_uniform53(seed, stream, (uint64_t)i));
        memset(p->data + p->boff[l], 0, sizeof(float) * (size_t)co);
    }
}

/* ---- work buffers ---- */

struct dims {
    int s0[3], s1[3], h1[3], s2[3], h2[3], s3[3], t1[3];
};

static int64_t vol3(const int d[3]) { return (int64_t)d[0] * d[1] * d[2]; }

static void dims_of(const struct unet_arch *a, struct dims *d)
{
    for (int i = 0; i < 3; i++) {
        d->s0[i] = a->patch[i];
        d->s1[i] = d->s0[i] - 2;
        d->h1[i] = d->s1[i] / 2;
        d->s2[i] = d->h1[i] - 2;
        d->h2[i] = d->s2[i] / 2;
        d->s3[i] = d->h2[i] - 2;
        d->t1[i] = d->s3[i] + 2;
    }
}

enum {
    B_X,      /* (cin, s0) input after dropout */
    B_CAT2,   /* (f1 + f2, s1): conv1 out, then upsampled dconv2 out */
    B_P1,     /* (f1, h1) */
    B_CAT1,   /* (f2 + f3, s2): conv2 out, then upsampled dconv1 out */
    B_P2,     /* (f2, h2) */
    B_C3,     /* (f3, s3) */
    B_T1,     /* (f3, t1) */
    B_T2,     /* (f2, h1) */
    B_T3,     /* (f1, s0) */
    B_LOGIT,  /* (1, s1) */
    /* training only */
    B_DCAT2, B_DCAT1, B_DP1, B_DP2, B_DC3, B_DT1, B_DT2, B_DT3, B_DC2, B_DC1,
    B_COUNT
};

struct unet_work {
    struct unet_arch arch;
    struct dims d;
    int training;
    float *buf[B_COUNT];
    float scale[6][512]; /* dropout factor per site and channel (0 or 1/(1-p)) */
    float *block;
    int32_t *arg1, *arg2;                /* max-pool argmax of pool1 (f1, h1), pool2 (f2, h2) */
    struct conv3d_dims cd[UNET_NLAYERS]; /* each layer's engine dimensions (input side) */
    struct nn_arena scratch;             /* the engine's per-call workspace, reset after each op */
};

static void work_sizes(const struct unet_arch *a, int training, int64_t n[B_COUNT])
{
    struct dims d;
    dims_of(a, &d);
    const int64_t f1 = a->f[0], f2 = a->f[1], f3 = a->f[2], cin = a->cin;
    memset(n, 0, sizeof(int64_t) * B_COUNT);
    n[B_X] = cin * vol3(d.s0);
    n[B_CAT2] = (f1 + f2) * vol3(d.s1);
    n[B_P1] = f1 * vol3(d.h1);
    n[B_CAT1] = (f2 + f3) * vol3(d.s2);
    n[B_P2] = f2 * vol3(d.h2);
    n[B_C3] = f3 * vol3(d.s3);
    n[B_T1] = f3 * vol3(d.t1);
    n[B_T2] = f2 * vol3(d.h1);
    n[B_T3] = f1 * vol3(d.s0);
    n[B_LOGIT] = vol3(d.s1);
    if (training) {
        n[B_DCAT2] = n[B_CAT2];
        n[B_DCAT1] = n[B_CAT1];
        n[B_DP1] = n[B_P1];
        n[B_DP2] = n[B_P2];
        n[B_DC3] = n[B_C3];
        n[B_DT1] = n[B_T1];
        n[B_DT2] = n[B_T2];
        n[B_DT3] = n[B_T3];
        n[B_DC2] = f2 * vol3(d.s2);
        n[B_DC1] = f1 * vol3(d.s1);
    }
}

/* Floats of the work block (each buffer rounded up to 16 floats). */
static int64_t work_floats(const int64_t n[B_COUNT])
{
    int64_t t = 0;
    for (int i = 0; i < B_COUNT; i++)
        t += (n[i] + 15) & ~(int64_t)15;
    return t;
}

int64_t unet_work_bytes(const struct unet_arch *a, int training)
{
    int64_t n[B_COUNT];
    work_sizes(a, training, n);
    struct dims d;
    dims_of(a, &d);
    const int64_t nargs = a->f[0] * vol3(d.h1) + a->f[1] * vol3(d.h2);
    return work_floats(n) * (int64_t)sizeof(float) + nargs * (int64_t)sizeof(int32_t);
}

int unet_work_alloc(struct unet_work **out, const struct unet_arch *a, int training, struct sarc_err *e)
{
    *out = NULL;
    int rc = unet_arch_check(a, e);
    if (rc)
        return rc;
    int64_t n[B_COUNT];
    work_sizes(a, training, n);
    const int64_t total = work_floats(n);
    if ((uint64_t)total > ((uint64_t)1 << 36) / sizeof(float))
        return ERR(e, SARC_ERR_NOMEM, "U-Net work buffers: %lld floats is more than allowed", (long long)total);
    struct unet_work *w = calloc(1, sizeof *w);
    if (!w)
        return ERR(e, SARC_ERR_NOMEM, "U-Net work buffers");
    w->arch = *a;
    w->training = training;
    dims_of(a, &w->d);
    const struct dims *d = &w->d;
    /* engine dimensions: conv3d (input side, 'valid'), conv_transpose3d (input side) */
    const int *in_ext[UNET_NLAYERS] = {d->s0, d->h1, d->h2, d->s3, d->s2, d->s1, d->s0};
    for (int l = 0; l < UNET_NLAYERS && !rc; l++) {
        int tr, ci, co;
        unet_layer_dims(a, l, &tr, &ci, &co);
        const int *x = in_ext[l];
        rc = tr ? conv_transpose3d_dims_init(&w->cd[l], 1, ci, x[0], x[1], x[2], co, e)
                : conv3d_dims_init(&w->cd[l], 1, ci, x[0], x[1], x[2], co, 0, e);
    }
    if (rc) {
        free(w);
        return rc;
    }
    nn_arena_init(&w->scratch);
    w->scratch.no_zero = 1; /* the engine writes its scratch before reading it */
    w->block = calloc((size_t)total, sizeof(float));
    w->arg1 = calloc((size_t)(a->f[0] * vol3(d->h1)), sizeof(int32_t));
    w->arg2 = calloc((size_t)(a->f[1] * vol3(d->h2)), sizeof(int32_t));
    if (!w->block || !w->arg1 || !w->arg2) {
        unet_work_free(w);
        return ERR(e, SARC_ERR_NOMEM, "U-Net work buffers: %.1f MB", (double)unet_work_bytes(a, training) / 1e6);
    }
    int64_t off = 0;
    for (int i = 0; i < B_COUNT; i++) {
        w->buf[i] = n[i] ? w->block + off : NULL;
        off += (n[i] + 15) & ~(int64_t)15;
    }
    *out = w;
    return 0;
}

void unet_work_free(struct unet_work *w)
{
    if (!w)
        return;
    nn_arena_free(&w->scratch);
    free(w->block);
    free(w->arg1);
    free(w->arg2);
    free(w);
}

/* ---- the engine's convolutions ----
 * The fast paths take their workspace from w->scratch; it is reset after every call and keeps
 * its largest size, so after the first forward/backward nothing is allocated. Should that
 * workspace ever be unavailable (out of memory), the same operation runs on the engine's
 * reference path (plain loops, no workspace): the results stay correct, only slower. Each call
 * below is one whole unit (data, weight or bias gradient alone), so a failed fast call has
 * written nothing before the fallback. */

/* out = layer l applied to in (bias b), overwriting out. */
static void layer_forward(struct unet_work *w, int l, float *out, const float *in,
                          const float *wt, const float *b)
{
    struct sarc_err e = {0};
    const struct conv3d_dims *s = &w->cd[l];
    int tr, ci, co;
    unet_layer_dims(&w->arch, l, &tr, &ci, &co);
    const int rc = tr ? conv_transpose3d_forward_fast(out, in, wt, b, s, pool_default(), &w->scratch, &e)
                      : conv3d_forward_fast(out, in, wt, b, s, 0, pool_default(), &w->scratch, &e);
    nn_arena_reset(&w->scratch);
    if (!rc)
        return;
    if (tr)
        conv_transpose3d_forward_cpu(out, in, wt, b, s);
    else
        conv3d_forward_cpu(out, in, wt, b, s);
}

/* Layer l's backward from dout: din += d/din (NULL: skip), gw += d/dweight, gb += d/dbias.
 * in is the layer's forward input, wt its weight. */
static void layer_backward(struct unet_work *w, int l, float *din, float *gw, float *gb,
                           const float *dout, const float *in, const float *wt)
{
    const struct conv3d_dims *s = &w->cd[l];
    int tr, ci, co;
    unet_layer_dims(&w->arch, l, &tr, &ci, &co);
    float *part[3][3] = {{din, NULL, NULL}, {NULL, gw, NULL}, {NULL, NULL, gb}};
    for (int k = 0; k < 3; k++) {
        if (!part[k][k])
            continue;
        struct sarc_err e = {0};
        const int rc = tr ? conv_transpose3d_backward_fast(part[k][0], part[k][1], part[k][2], dout, in, wt, s,
                                                           pool_default(), &w->scratch, &e)
                          : conv3d_backward_fast(part[k][0], part[k][1], part[k][2], dout, in, wt, s,
                                                 pool_default(), &w->scratch, &e);
        nn_arena_reset(&w->scratch);
        if (!rc)
            continue;
        if (tr)
            conv_transpose3d_backward_cpu(part[k][0], part[k][1], part[k][2], dout, in, wt, s);
        else
            conv3d_backward_cpu(part[k][0], part[k][1], part[k][2], dout, in, wt, s);
    }
}

/* y = dropout(relu(y)) in place over (C, n) with the factors scale (NULL: ReLU only). */
static void relu_drop(float *y, int C, int64_t n, const float *scale)
{
    relu_forward_cpu(y, y, (int64_t)C * n);
    if (scale)
        dropout_forward_cpu(y, y, scale, C, n);
}

/* dy (C, n) *= (y > 0) * scale[c] in place, where y is the forward output after ReLU and
 * dropout: the gradient of relu_drop (y > 0 exactly where the ReLU passed and the channel was
 * kept). */
static void relu_drop_backward(float *dy, const float *y, int C, int64_t n, const float *scale)
{
    for (int c = 0; c < C; c++) {
        float *g = dy + (int64_t)c * n;
        const float *r = y + (int64_t)c * n;
        const float s = scale ? scale[c] : 1.0f;
        for (int64_t i = 0; i < n; i++)
            g[i] = r[i] > 0.0f ? g[i] * s : 0.0f;
    }
}

static void dropout_masks(struct unet_work *w, int train, uint64_t seed, uint64_t step, int sample)
{
    const struct unet_arch *a = &w->arch;
    const int ch[6] = {a->cin, a->f[0], a->f[1], a->f[2], a->f[2], a->f[1]};
    const float p = a->dropout, keep = 1.0f / (1.0f - p);
    for (int L = 0; L < 6; L++)
        for (int c = 0; c < ch[L]; c++) {
            if (!train || p <= 0.0f) {
                w->scale[L][c] = 1.0f;
                continue;
            }
            const uint64_t st = rng_stream(RNG_DROPOUT, step, (uint64_t)L, (uint64_t)sample * (uint64_t)ch[L] + (uint64_t)c);
            w->scale[L][c] = rng_uniformf(seed, st, 0) < p ? 0.0f : keep;
        }
}

static void zero(float *x, int64_t n) { memset(x, 0, sizeof(float) * (size_t)n); }

#define W_OF(p, l) ((p)->data + (p)->woff[l])
#define B_OF(p, l) ((p)->data + (p)->boff[l])

const float *unet_forward(const struct unet_params *p, struct unet_work *w, const float *x,
                          int train, uint64_t seed, uint64_t step, int sample)
{
    const struct unet_arch *a = &w->arch;
    const struct dims *d = &w->d;
    const int cin = a->cin, f1 = a->f[0], f2 = a->f[1], f3 = a->f[2];
    float **b = w->buf;
    dropout_masks(w, train, seed, step, sample);

    /* input dropout */
    const int64_t n0 = vol3(d->s0);
    dropout_forward_cpu(b[B_X], x, w->scale[0], cin, n0);

    /* encoder: conv outputs go straight into the first channels of the concatenations */
    float *c1 = b[B_CAT2], *c2 = b[B_CAT1];
    layer_forward(w, UNET_CONV1, c1, b[B_X], W_OF(p, UNET_CONV1), B_OF(p, UNET_CONV1));
    relu_drop(c1, f1, vol3(d->s1), w->scale[1]);
    maxpool3d_forward_cpu(b[B_P1], w->arg1, c1, f1, d->s1[0], d->s1[1], d->s1[2]);
    layer_forward(w, UNET_CONV2, c2, b[B_P1], W_OF(p, UNET_CONV2), B_OF(p, UNET_CONV2));
    relu_drop(c2, f2, vol3(d->s2), w->scale[2]);
    maxpool3d_forward_cpu(b[B_P2], w->arg2, c2, f2, d->s2[0], d->s2[1], d->s2[2]);
    layer_forward(w, UNET_CONV3, b[B_C3], b[B_P2], W_OF(p, UNET_CONV3), B_OF(p, UNET_CONV3));
    relu_drop(b[B_C3], f3, vol3(d->s3), w->scale[3]);

    /* decoder: dconv1 on conv3's output */
    layer_forward(w, UNET_DCONV1, b[B_T1], b[B_C3], W_OF(p, UNET_DCONV1), B_OF(p, UNET_DCONV1));
    relu_drop(b[B_T1], f3, vol3(d->t1), w->scale[4]);
    float *u1 = b[B_CAT1] + (int64_t)f2 * vol3(d->s2);
    upsample2x_forward_cpu(u1, b[B_T1], f3, d->t1[0], d->t1[1], d->t1[2]);
    /* dconv2 on [conv2 out, up(dconv1)] or on up(dconv1) alone */
    const float *in2 = a->skip ? b[B_CAT1] : u1;
    layer_forward(w, UNET_DCONV2, b[B_T2], in2, W_OF(p, UNET_DCONV2), B_OF(p, UNET_DCONV2));
    relu_drop(b[B_T2], f2, vol3(d->h1), w->scale[5]);
    float *u2 = b[B_CAT2] + (int64_t)f1 * vol3(d->s1);
    upsample2x_forward_cpu(u2, b[B_T2], f2, d->h1[0], d->h1[1], d->h1[2]);
    /* dconv3 on [conv1 out, up(dconv2)] or on up(dconv2) alone; ReLU, no dropout */
    const float *in3 = a->skip ? b[B_CAT2] : u2;
    layer_forward(w, UNET_DCONV3, b[B_T3], in3, W_OF(p, UNET_DCONV3), B_OF(p, UNET_DCONV3));
    relu_drop(b[B_T3], f1, n0, NULL);
    /* output conv: logits */
    layer_forward(w, UNET_OUT, b[B_LOGIT], b[B_T3], W_OF(p, UNET_OUT), B_OF(p, UNET_OUT));
    return b[B_LOGIT];
}

void unet_backward(const struct unet_params *p, struct unet_work *w, const float *dlogit, float *g)
{
    const struct unet_arch *a = &w->arch;
    const struct dims *d = &w->d;
    const int f1 = a->f[0], f2 = a->f[1], f3 = a->f[2];
    float **b = w->buf;
    const int64_t n0 = vol3(d->s0), n1 = vol3(d->s1), nh1 = vol3(d->h1), n2 = vol3(d->s2), n3 = vol3(d->s3), nt1 = vol3(d->t1);
#define GW(l) (g + p->woff[l])
#define GB(l) (g + p->boff[l])

    /* out conv on t3 (f1, s0) */
    zero(b[B_DT3], (int64_t)f1 * n0);
    layer_backward(w, UNET_OUT, b[B_DT3], GW(UNET_OUT), GB(UNET_OUT), dlogit, b[B_T3], W_OF(p, UNET_OUT));
    relu_drop_backward(b[B_DT3], b[B_T3], f1, n0, NULL);

    /* dconv3: input in3 (ci3, s1) -> t3 (f1, s0) */
    const int ci3 = a->skip ? f1 + f2 : f2;
    const float *in3 = a->skip ? b[B_CAT2] : b[B_CAT2] + (int64_t)f1 * n1;
    float *din3 = a->skip ? b[B_DCAT2] : b[B_DCAT2] + (int64_t)f1 * n1;
    zero(din3, (int64_t)ci3 * n1);
    layer_backward(w, UNET_DCONV3, din3, GW(UNET_DCONV3), GB(UNET_DCONV3), b[B_DT3], in3, W_OF(p, UNET_DCONV3));
    /* up(dconv2) channels -> t2 */
    zero(b[B_DT2], (int64_t)f2 * nh1);
    upsample2x_backward_cpu(b[B_DT2], b[B_DCAT2] + (int64_t)f1 * n1, f2, d->h1[0], d->h1[1], d->h1[2]);
    relu_drop_backward(b[B_DT2], b[B_T2], f2, nh1, w->scale[5]);

    /* dconv2: input in2 (ci2, s2) -> t2 (f2, h1) */
    const int ci2 = a->skip ? f2 + f3 : f3;
    const float *in2 = a->skip ? b[B_CAT1] : b[B_CAT1] + (int64_t)f2 * n2;
    float *din2 = a->skip ? b[B_DCAT1] : b[B_DCAT1] + (int64_t)f2 * n2;
    zero(din2, (int64_t)ci2 * n2);
    layer_backward(w, UNET_DCONV2, din2, GW(UNET_DCONV2), GB(UNET_DCONV2), b[B_DT2], in2, W_OF(p, UNET_DCONV2));
    zero(b[B_DT1], (int64_t)f3 * nt1);
    upsample2x_backward_cpu(b[B_DT1], b[B_DCAT1] + (int64_t)f2 * n2, f3, d->t1[0], d->t1[1], d->t1[2]);
    relu_drop_backward(b[B_DT1], b[B_T1], f3, nt1, w->scale[4]);

    /* dconv1: c3 (f3, s3) -> t1 (f3, t1) */
    zero(b[B_DC3], (int64_t)f3 * n3);
    layer_backward(w, UNET_DCONV1, b[B_DC3], GW(UNET_DCONV1), GB(UNET_DCONV1), b[B_DT1], b[B_C3], W_OF(p, UNET_DCONV1));
    relu_drop_backward(b[B_DC3], b[B_C3], f3, n3, w->scale[3]);

    /* conv3: p2 (f2, h2) -> c3 */
    zero(b[B_DP2], (int64_t)f2 * vol3(d->h2));
    layer_backward(w, UNET_CONV3, b[B_DP2], GW(UNET_CONV3), GB(UNET_CONV3), b[B_DC3], b[B_P2], W_OF(p, UNET_CONV3));
    /* c2 gradient: the skip path's share (or 0), plus pool2's routed through its argmax */
    float *dc2 = b[B_DC2];
    if (a->skip)
        memcpy(dc2, b[B_DCAT1], sizeof(float) * (size_t)(f2 * n2));
    else
        zero(dc2, (int64_t)f2 * n2);
    maxpool3d_backward_cpu(dc2, b[B_DP2], w->arg2, f2, d->s2[0], d->s2[1], d->s2[2]);
    relu_drop_backward(dc2, b[B_CAT1], f2, n2, w->scale[2]);

    /* conv2: p1 (f1, h1) -> c2 */
    zero(b[B_DP1], (int64_t)f1 * nh1);
    layer_backward(w, UNET_CONV2, b[B_DP1], GW(UNET_CONV2), GB(UNET_CONV2), dc2, b[B_P1], W_OF(p, UNET_CONV2));
    float *dc1 = b[B_DC1];
    if (a->skip)
        memcpy(dc1, b[B_DCAT2], sizeof(float) * (size_t)(f1 * n1));
    else
        zero(dc1, (int64_t)f1 * n1);
    maxpool3d_backward_cpu(dc1, b[B_DP1], w->arg1, f1, d->s1[0], d->s1[1], d->s1[2]);
    relu_drop_backward(dc1, b[B_CAT2], f1, n1, w->scale[1]);

    /* conv1: x (cin, s0) -> c1; no input gradient */
    layer_backward(w, UNET_CONV1, NULL, GW(UNET_CONV1), GB(UNET_CONV1), dc1, b[B_X], W_OF(p, UNET_CONV1));
#undef GW
#undef GB
}

int unet_adam_init(struct unet_adam *o, int64_t n, double lr, struct sarc_err *e)
{
    memset(o, 0, sizeof *o);
    o->m = calloc((size_t)n, sizeof(float));
    o->v = calloc((size_t)n, sizeof(float));
    if (!o->m || !o->v) {
        unet_adam_free(o);
        return ERR(e, SARC_ERR_NOMEM, "Adam state: %lld floats", (long long)n);
    }
    o->lr = lr;
    o->b1 = 0.9;
    o->b2 = 0.999;
    o->eps = 1e-7;
    return 0;
}

void unet_adam_free(struct unet_adam *o)
{
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

void unet_adam_step(struct unet_adam *o, float *params, const float *g, int64_t n)
{
    o->t++;
    const double lr_t = o->lr * sqrt(1.0 - pow(o->b2, (double)o->t)) / (1.0 - pow(o->b1, (double)o->t));
    const float b1 = (float)o->b1, b2 = (float)o->b2, eps = (float)o->eps, lrf = (float)lr_t;
    for (int64_t i = 0; i < n; i++) {
        const float gi = g[i];
        o->m[i] = b1 * o->m[i] + (1.0f - b1) * gi;
        o->v[i] = b2 * o->v[i] + (1.0f - b2) * gi * gi;
        params[i] -= lrf * o->m[i] / (sqrtf(o->v[i]) + eps);
    }
}
