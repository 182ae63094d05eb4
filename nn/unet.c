/* unet.c - the paper's 3-D U-Net on the CPU: parameters, forward, backward, Adam (see unet.h).
 *
 * Buffers of one patch live in one allocation (struct unet_work), sized once from the
 * architecture: nothing is allocated inside a training step. Transposed convolutions run as
 * valid convolutions of the zero-padded input with re-laid-out weights (unet_conv.h); the
 * re-laid-out weights are rebuilt at each forward from the current parameters.
 * Shape letters: s0 input patch, s1 = s0 - 2 (conv1 and output), h1 = s1 / 2 (pool1, dconv2
 * output), s2 = h1 - 2 (conv2), h2 = s2 / 2, s3 = h2 - 2 (conv3), t1 = s3 + 2 (dconv1).
 * Covered by test/nn/test_unet.c. */
#include "nn/unet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/unet_conv.h"
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
static int64_t vol3p(const int d[3], int q) { return (int64_t)(d[0] + 2 * q) * (d[1] + 2 * q) * (d[2] + 2 * q); }

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
    B_PAD,    /* scratch: the largest zero-padded input */
    B_WT,     /* scratch: re-laid-out weights of the largest layer */
    /* training only */
    B_DCAT2, B_DCAT1, B_DP1, B_DP2, B_DC3, B_DT1, B_DT2, B_DT3, B_DTMP1, B_DTMP2,
    B_COUNT
};

struct unet_work {
    struct unet_arch arch;
    struct dims d;
    int training;
    float *buf[B_COUNT];
    float scale[6][512]; /* dropout factor per site and channel (0 or 1/(1-p)) */
    float *block;
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
    /* padded inputs of the transposed convs (forward), padded output gradients (backward) */
    int64_t pad = f3 * vol3p(d.s3, 2);
    const int64_t cands[] = {(f2 + f3) * vol3p(d.s2, 2), (f1 + f2) * vol3p(d.s1, 2), vol3p(d.s1, 2),
                             f3 * vol3p(d.s3, 2), f2 * vol3p(d.s2, 2), f1 * vol3p(d.s1, 2)};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++)
        if (cands[i] > pad)
            pad = cands[i];
    n[B_PAD] = pad;
    int64_t wt = 0;
    for (int l = 0; l < UNET_NLAYERS; l++) {
        int tr, ci, co;
        unet_layer_dims(a, l, &tr, &ci, &co);
        if ((int64_t)27 * ci * co > wt)
            wt = (int64_t)27 * ci * co;
    }
    n[B_WT] = wt;
    if (training) {
        n[B_DCAT2] = n[B_CAT2];
        n[B_DCAT1] = n[B_CAT1];
        n[B_DP1] = n[B_P1];
        n[B_DP2] = n[B_P2];
        n[B_DC3] = n[B_C3];
        n[B_DT1] = n[B_T1];
        n[B_DT2] = n[B_T2];
        n[B_DT3] = n[B_T3];
        n[B_DTMP1] = f1 * vol3(d.s1) > f2 * vol3(d.s2) ? f1 * vol3(d.s1) : f2 * vol3(d.s2); /* pool grads */
        n[B_DTMP2] = n[B_DTMP1];
    }
}

int64_t unet_work_bytes(const struct unet_arch *a, int training)
{
    int64_t n[B_COUNT], t = 0;
    work_sizes(a, training, n);
    for (int i = 0; i < B_COUNT; i++)
        t += (n[i] + 15) & ~(int64_t)15;
    return t * (int64_t)sizeof(float);
}

int unet_work_alloc(struct unet_work **out, const struct unet_arch *a, int training, struct sarc_err *e)
{
    *out = NULL;
    int rc = unet_arch_check(a, e);
    if (rc)
        return rc;
    int64_t n[B_COUNT], total = 0;
    work_sizes(a, training, n);
    for (int i = 0; i < B_COUNT; i++)
        total += (n[i] + 15) & ~(int64_t)15;
    if ((uint64_t)total > ((uint64_t)1 << 36) / sizeof(float))
        return ERR(e, SARC_ERR_NOMEM, "U-Net work buffers: %lld floats is more than allowed", (long long)total);
    struct unet_work *w = calloc(1, sizeof *w);
    if (!w)
        return ERR(e, SARC_ERR_NOMEM, "U-Net work buffers");
    w->block = calloc((size_t)total, sizeof(float));
    if (!w->block) {
        free(w);
        return ERR(e, SARC_ERR_NOMEM, "U-Net work buffers: %.1f MB", (double)total * 4 / 1e6);
    }
    int64_t off = 0;
    for (int i = 0; i < B_COUNT; i++) {
        w->buf[i] = n[i] ? w->block + off : NULL;
        off += (n[i] + 15) & ~(int64_t)15;
    }
    w->arch = *a;
    w->training = training;
    dims_of(a, &w->d);
    *out = w;
    return 0;
}

void unet_work_free(struct unet_work *w)
{
    if (!w)
        return;
    free(w->block);
    free(w);
}

/* ---- weight re-layouts ---- */

/* For a transposed conv (Cin, Cout, k): wt (Cout, Cin, k) flipped, so that
 * convT(x) = uconv_forward(pad2(x), wt). Also the input gradient of a valid conv: for a conv
 * weight (CO, C, k), flipping with the roles swapped gives (C, CO, k) for pad2(dout). */
static void weight_flip_swap(const float *w, int A, int B, float *wt)
{
    for (int a = 0; a < A; a++)
        for (int b = 0; b < B; b++)
            for (int k = 0; k < 27; k++)
                wt[((int64_t)b * A + a) * 27 + k] = w[((int64_t)a * B + b) * 27 + (26 - k)];
}

/* y = relu(y) * scale[c] in place over (C, n); scale NULL = 1. */
static void relu_drop(float *y, int C, int64_t n, const float *scale)
{
    for (int c = 0; c < C; c++) {
        float *r = y + (int64_t)c * n;
        const float s = scale ? scale[c] : 1.0f;
        for (int64_t i = 0; i < n; i++)
            r[i] = r[i] > 0.0f ? r[i] * s : 0.0f;
    }
}

/* dy (C, n) *= (y > 0) * scale[c], where y is the forward output after ReLU and dropout. */
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

#define W_OF(p, l) ((p)->data + (p)->woff[l])
#define B_OF(p, l) ((p)->data + (p)->boff[l])

const float *unet_forward(const struct unet_params *p, struct unet_work *w, const float *x,
                          int train, uint64_t seed, uint64_t step, int sample)
{
    const struct unet_arch *a = &w->arch;
    const struct dims *d = &w->d;
    struct pool *pl = pool_default();
    const int cin = a->cin, f1 = a->f[0], f2 = a->f[1], f3 = a->f[2];
    float **b = w->buf;
    dropout_masks(w, train, seed, step, sample);

    /* input dropout */
    const int64_t n0 = vol3(d->s0);
    for (int c = 0; c < cin; c++)
        for (int64_t i = 0; i < n0; i++)
            b[B_X][c * n0 + i] = x[c * n0 + i] * w->scale[0][c];

    /* encoder */
    float *c1 = b[B_CAT2], *c2 = b[B_CAT1];
    uconv_forward(b[B_X], cin, d->s0[0], d->s0[1], d->s0[2], W_OF(p, UNET_CONV1), B_OF(p, UNET_CONV1), f1, c1, pl);
    relu_drop(c1, f1, vol3(d->s1), w->scale[1]);
    upool_forward(c1, f1, d->s1[0], d->s1[1], d->s1[2], b[B_P1]);
    uconv_forward(b[B_P1], f1, d->h1[0], d->h1[1], d->h1[2], W_OF(p, UNET_CONV2), B_OF(p, UNET_CONV2), f2, c2, pl);
    relu_drop(c2, f2, vol3(d->s2), w->scale[2]);
    upool_forward(c2, f2, d->s2[0], d->s2[1], d->s2[2], b[B_P2]);
    uconv_forward(b[B_P2], f2, d->h2[0], d->h2[1], d->h2[2], W_OF(p, UNET_CONV3), B_OF(p, UNET_CONV3), f3, b[B_C3], pl);
    relu_drop(b[B_C3], f3, vol3(d->s3), w->scale[3]);

    /* decoder: dconv1 on conv3's output */
    upad(b[B_C3], f3, d->s3[0], d->s3[1], d->s3[2], 2, b[B_PAD]);
    weight_flip_swap(W_OF(p, UNET_DCONV1), f3, f3, b[B_WT]);
    uconv_forward(b[B_PAD], f3, d->s3[0] + 4, d->s3[1] + 4, d->s3[2] + 4, b[B_WT], B_OF(p, UNET_DCONV1), f3, b[B_T1], pl);
    relu_drop(b[B_T1], f3, vol3(d->t1), w->scale[4]);
    float *u1 = b[B_CAT1] + (int64_t)f2 * vol3(d->s2);
    uup_forward(b[B_T1], f3, d->t1[0], d->t1[1], d->t1[2], u1);
    /* dconv2 on [conv2 out, up(dconv1)] or on up(dconv1) alone */
    const int ci2 = a->skip ? f2 + f3 : f3;
    const float *in2 = a->skip ? b[B_CAT1] : u1;
    upad(in2, ci2, d->s2[0], d->s2[1], d->s2[2], 2, b[B_PAD]);
    weight_flip_swap(W_OF(p, UNET_DCONV2), ci2, f2, b[B_WT]);
    uconv_forward(b[B_PAD], ci2, d->s2[0] + 4, d->s2[1] + 4, d->s2[2] + 4, b[B_WT], B_OF(p, UNET_DCONV2), f2, b[B_T2], pl);
    relu_drop(b[B_T2], f2, vol3(d->h1), w->scale[5]);
    float *u2 = b[B_CAT2] + (int64_t)f1 * vol3(d->s1);
    uup_forward(b[B_T2], f2, d->h1[0], d->h1[1], d->h1[2], u2);
    /* dconv3 on [conv1 out, up(dconv2)] or on up(dconv2) alone; ReLU, no dropout */
    const int ci3 = a->skip ? f1 + f2 : f2;
    const float *in3 = a->skip ? b[B_CAT2] : u2;
    upad(in3, ci3, d->s1[0], d->s1[1], d->s1[2], 2, b[B_PAD]);
    weight_flip_swap(W_OF(p, UNET_DCONV3), ci3, f1, b[B_WT]);
    uconv_forward(b[B_PAD], ci3, d->s1[0] + 4, d->s1[1] + 4, d->s1[2] + 4, b[B_WT], B_OF(p, UNET_DCONV3), f1, b[B_T3], pl);
    relu_drop(b[B_T3], f1, n0, NULL);
    /* output conv: logits */
    uconv_forward(b[B_T3], f1, d->s0[0], d->s0[1], d->s0[2], W_OF(p, UNET_OUT), B_OF(p, UNET_OUT), 1, b[B_LOGIT], pl);
    return b[B_LOGIT];
}

/* g_in (C, s - 2 + ... ) = input gradient of a valid conv with weight w (CO, C, k) from
 * dout (CO, od): pad dout by 2 and convolve with the flipped, swapped kernel. */
static void conv_input_grad(struct unet_work *w, const float *wt, int C, int CO, const float *dout,
                            const int od[3], float *gin, struct pool *pl)
{
    float **b = w->buf;
    upad(dout, CO, od[0], od[1], od[2], 2, b[B_PAD]);
    weight_flip_swap(wt, CO, C, b[B_WT]);
    uconv_forward(b[B_PAD], CO, od[0] + 4, od[1] + 4, od[2] + 4, b[B_WT], NULL, C, gin, pl);
}

void unet_backward(const struct unet_params *p, struct unet_work *w, const float *dlogit, float *g)
{
    const struct unet_arch *a = &w->arch;
    const struct dims *d = &w->d;
    struct pool *pl = pool_default();
    const int cin = a->cin, f1 = a->f[0], f2 = a->f[1], f3 = a->f[2];
    float **b = w->buf;
    const int64_t n0 = vol3(d->s0), n1 = vol3(d->s1), nh1 = vol3(d->h1), n2 = vol3(d->s2), n3 = vol3(d->s3), nt1 = vol3(d->t1);
#define GW(l) (g + p->woff[l])
#define GB(l) (g + p->boff[l])

    /* out conv on t3 (f1, s0) */
    uconv_backward_weight(b[B_T3], f1, d->s0[0], d->s0[1], d->s0[2], dlogit, 1, GW(UNET_OUT), pl);
    ubias_backward(dlogit, 1, n1, GB(UNET_OUT));
    conv_input_grad(w, W_OF(p, UNET_OUT), f1, 1, dlogit, d->s1, b[B_DT3], pl);
    relu_drop_backward(b[B_DT3], b[B_T3], f1, n0, NULL);

    /* dconv3: input in3 (ci3, s1) -> t3 (f1, s0) */
    const int ci3 = a->skip ? f1 + f2 : f2;
    float *in3 = a->skip ? b[B_CAT2] : b[B_CAT2] + (int64_t)f1 * n1;
    float *din3 = a->skip ? b[B_DCAT2] : b[B_DCAT2] + (int64_t)f1 * n1;
    uconv_backward_weight(b[B_DT3], f1, d->s0[0], d->s0[1], d->s0[2], in3, ci3, GW(UNET_DCONV3), pl);
    ubias_backward(b[B_DT3], f1, n0, GB(UNET_DCONV3));
    uconv_forward(b[B_DT3], f1, d->s0[0], d->s0[1], d->s0[2], W_OF(p, UNET_DCONV3), NULL, ci3, din3, pl);
    /* up(dconv2) channels -> t2 */
    uup_backward(b[B_DCAT2] + (int64_t)f1 * n1, f2, d->h1[0], d->h1[1], d->h1[2], b[B_DT2]);
    relu_drop_backward(b[B_DT2], b[B_T2], f2, nh1, w->scale[5]);

    /* dconv2: input in2 (ci2, s2) -> t2 (f2, h1) */
    const int ci2 = a->skip ? f2 + f3 : f3;
    float *in2 = a->skip ? b[B_CAT1] : b[B_CAT1] + (int64_t)f2 * n2;
    float *din2 = a->skip ? b[B_DCAT1] : b[B_DCAT1] + (int64_t)f2 * n2;
    uconv_backward_weight(b[B_DT2], f2, d->h1[0], d->h1[1], d->h1[2], in2, ci2, GW(UNET_DCONV2), pl);
    ubias_backward(b[B_DT2], f2, nh1, GB(UNET_DCONV2));
    uconv_forward(b[B_DT2], f2, d->h1[0], d->h1[1], d->h1[2], W_OF(p, UNET_DCONV2), NULL, ci2, din2, pl);
    uup_backward(b[B_DCAT1] + (int64_t)f2 * n2, f3, d->t1[0], d->t1[1], d->t1[2], b[B_DT1]);
    relu_drop_backward(b[B_DT1], b[B_T1], f3, nt1, w->scale[4]);

    /* dconv1: c3 (f3, s3) -> t1 (f3, t1) */
    uconv_backward_weight(b[B_DT1], f3, d->t1[0], d->t1[1], d->t1[2], b[B_C3], f3, GW(UNET_DCONV1), pl);
    ubias_backward(b[B_DT1], f3, nt1, GB(UNET_DCONV1));
    uconv_forward(b[B_DT1], f3, d->t1[0], d->t1[1], d->t1[2], W_OF(p, UNET_DCONV1), NULL, f3, b[B_DC3], pl);
    relu_drop_backward(b[B_DC3], b[B_C3], f3, n3, w->scale[3]);

    /* conv3: p2 (f2, h2) -> c3 */
    uconv_backward_weight(b[B_P2], f2, d->h2[0], d->h2[1], d->h2[2], b[B_DC3], f3, GW(UNET_CONV3), pl);
    ubias_backward(b[B_DC3], f3, n3, GB(UNET_CONV3));
    conv_input_grad(w, W_OF(p, UNET_CONV3), f2, f3, b[B_DC3], d->s3, b[B_DP2], pl);
    /* pool2 -> c2 gradient, plus the skip path's share */
    float *dc2 = b[B_DTMP1];
    upool_backward(b[B_CAT1], f2, d->s2[0], d->s2[1], d->s2[2], b[B_DP2], dc2);
    if (a->skip)
        for (int64_t i = 0; i < (int64_t)f2 * n2; i++)
            dc2[i] += b[B_DCAT1][i];
    relu_drop_backward(dc2, b[B_CAT1], f2, n2, w->scale[2]);

    /* conv2: p1 (f1, h1) -> c2 */
    uconv_backward_weight(b[B_P1], f1, d->h1[0], d->h1[1], d->h1[2], dc2, f2, GW(UNET_CONV2), pl);
    ubias_backward(dc2, f2, n2, GB(UNET_CONV2));
    conv_input_grad(w, W_OF(p, UNET_CONV2), f1, f2, dc2, d->s2, b[B_DP1], pl);
    float *dc1 = b[B_DTMP2];
    upool_backward(b[B_CAT2], f1, d->s1[0], d->s1[1], d->s1[2], b[B_DP1], dc1);
    if (a->skip)
        for (int64_t i = 0; i < (int64_t)f1 * n1; i++)
            dc1[i] += b[B_DCAT2][i];
    relu_drop_backward(dc1, b[B_CAT2], f1, n1, w->scale[1]);

    /* conv1: x (cin, s0) -> c1 */
    uconv_backward_weight(b[B_X], cin, d->s0[0], d->s0[1], d->s0[2], dc1, f1, GW(UNET_CONV1), pl);
    ubias_backward(dc1, f1, n1, GB(UNET_CONV1));
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
