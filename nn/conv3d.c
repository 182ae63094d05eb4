/* conv3d.c - 3-D convolution, kernel 3x3x3, stride 1, zero padding P: the CPU reference
 * (conv3d_forward_cpu / conv3d_backward_cpu: plain loops, sums in double) and the fast CPU path
 * (conv3d_*_fast: im2col tiles + the blocked SGEMM micro-kernel of nn/sgemm.h, run on the pool).
 *
 * Shape letters: N batch, C input channels, D H W input extents, OC output channels, P padding,
 * OD OH OW output extents, KD = C*27 the reduction length (r = c*27 + i*9 + j*3 + k).
 *
 * Fast path:
 *  - forward: for a tile of whole output rows of one sample, col[r][p] = inp at (p + offset r)
 *    (zero outside), then out[o][p] = sum_r w[o][r] col[r][p] with the 6x16 micro-kernel; each
 *    output element is one float sum in r order, so tiling and threads cannot change it.
 *  - backward-data: a forward with padding 2-P of dout by the flipped, channel-swapped kernel.
 *  - backward-weights: dw[o][r] = sum_p dout[o][p] col[r][p]; tiles are dealt to G groups
 *    (G and the tile size depend on the shapes only); each group sums its tiles in order into its
 *    own partial, and partials are added in group order: bit-identical for any thread count.
 * Covered by test/nn/test_conv3d.c and test/nn/test_ops_torch.c. */
#include "nn/conv3d.h"

#include <stdlib.h>
#include <string.h>

#include "nn/sgemm.h"
#include "vendor/pool.h"

int conv3d_dims_init(struct conv3d_dims *s, int N, int C, int D, int H, int W, int OC, int P,
                     struct sarc_err *e)
{
    memset(s, 0, sizeof *s);
    if (N < 1 || C < 1 || D < 1 || H < 1 || W < 1 || OC < 1)
        return ERR(e, SARC_ERR_RANGE, "conv3d: N %d C %d D %d H %d W %d OC %d, expected >= 1", N,
                   C, D, H, W, OC);
    if (P < 0 || P > 2)
        return ERR(e, SARC_ERR_RANGE, "conv3d: padding %d, expected 0..2", P);
    const int OD = D + 2 * P - 2, OH = H + 2 * P - 2, OW = W + 2 * P - 2;
    if (OD < 1 || OH < 1 || OW < 1)
        return ERR(e, SARC_ERR_RANGE, "conv3d: input (%d, %d, %d) too small for a 3x3x3 kernel "
                   "with padding %d", D, H, W, P);
    if ((int64_t)C * 27 > (1 << 24) || (int64_t)OC * C * 27 > ((int64_t)1 << 31))
        return ERR(e, SARC_ERR_RANGE, "conv3d: %d -> %d channels is too many", C, OC);
    s->N = N; s->C = C; s->D = D; s->H = H; s->W = W;
    s->OC = OC; s->P = P; s->OD = OD; s->OH = OH; s->OW = OW;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* reference                                                                                 */

void conv3d_forward_cpu(float *out, const float *inp, const float *weight, const float *bias,
                        const struct conv3d_dims *s)
{
    /* out (N,OC,OD,OH,OW), inp (N,C,D,H,W), weight (OC,C,3,3,3), bias (OC) */
    const int C = s->C, D = s->D, H = s->H, W = s->W, P = s->P;
    for (int n = 0; n < s->N; n++)
        for (int o = 0; o < s->OC; o++)
            for (int z = 0; z < s->OD; z++)
                for (int y = 0; y < s->OH; y++)
                    for (int x = 0; x < s->OW; x++) {
                        double acc = bias ? bias[o] : 0.0;
                        for (int c = 0; c < C; c++)
                            for (int i = 0; i < 3; i++) {
                                const int iz = z + i - P;
                                if (iz < 0 || iz >= D)
                                    continue;
                                for (int j = 0; j < 3; j++) {
                                    const int iy = y + j - P;
                                    if (iy < 0 || iy >= H)
                                        continue;
                                    for (int k = 0; k < 3; k++) {
                                        const int ix = x + k - P;
                                        if (ix < 0 || ix >= W)
                                            continue;
                                        acc += (double)weight[(((size_t)o * C + c) * 3 + i) * 9 + j * 3 + k] *
                                               inp[((((size_t)n * C + c) * D + iz) * H + iy) * W + ix];
                                    }
                                }
                            }
                        out[((((size_t)n * s->OC + o) * s->OD + z) * s->OH + y) * s->OW + x] = (float)acc;
                    }
}

void conv3d_backward_cpu(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, const struct conv3d_dims *s)
{
    /* dout (N,OC,OD,OH,OW); dinp like inp; dweight like weight; dbias (OC) */
    const int C = s->C, D = s->D, H = s->H, W = s->W, P = s->P;
    const int OC = s->OC, OD = s->OD, OH = s->OH, OW = s->OW;
#define DOUT(n, o, z, y, x) dout[((((size_t)(n) * OC + (o)) * OD + (z)) * OH + (y)) * OW + (x)]
    if (dbias)
        for (int o = 0; o < OC; o++) {
            double acc = 0;
            for (int n = 0; n < s->N; n++)
                for (size_t q = 0; q < (size_t)OD * OH * OW; q++)
                    acc += dout[((size_t)n * OC + o) * OD * OH * OW + q];
            dbias[o] += (float)acc;
        }
    if (dweight)
        for (int o = 0; o < OC; o++)
            for (int c = 0; c < C; c++)
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++)
                        for (int k = 0; k < 3; k++) {
                            double acc = 0;
                            for (int n = 0; n < s->N; n++)
                                for (int z = 0; z < OD; z++) {
                                    const int iz = z + i - P;
                                    if (iz < 0 || iz >= D)
                                        continue;
                                    for (int y = 0; y < OH; y++) {
                                        const int iy = y + j - P;
                                        if (iy < 0 || iy >= H)
                                            continue;
                                        for (int x = 0; x < OW; x++) {
                                            const int ix = x + k - P;
                                            if (ix < 0 || ix >= W)
                                                continue;
                                            acc += (double)DOUT(n, o, z, y, x) *
                                                   inp[((((size_t)n * C + c) * D + iz) * H + iy) * W + ix];
                                        }
                                    }
                                }
                            dweight[(((size_t)o * C + c) * 3 + i) * 9 + j * 3 + k] += (float)acc;
                        }
    if (dinp)
        /* gather: each input element sums the outputs it reached (z = iz - i + P) */
        for (int n = 0; n < s->N; n++)
            for (int c = 0; c < C; c++)
                for (int iz = 0; iz < D; iz++)
                    for (int iy = 0; iy < H; iy++)
                        for (int ix = 0; ix < W; ix++) {
                            double acc = 0;
                            for (int o = 0; o < OC; o++)
                                for (int i = 0; i < 3; i++) {
                                    const int z = iz - i + P;
                                    if (z < 0 || z >= OD)
                                        continue;
                                    for (int j = 0; j < 3; j++) {
                                        const int y = iy - j + P;
                                        if (y < 0 || y >= OH)
                                            continue;
                                        for (int k = 0; k < 3; k++) {
                                            const int x = ix - k + P;
                                            if (x < 0 || x >= OW)
                                                continue;
                                            acc += (double)DOUT(n, o, z, y, x) *
                                                   weight[(((size_t)o * C + c) * 3 + i) * 9 + j * 3 + k];
                                        }
                                    }
                                }
                            dinp[((((size_t)n * C + c) * D + iz) * H + iy) * W + ix] += (float)acc;
                        }
#undef DOUT
}

/* ---------------------------------------------------------------------------------------- */
/* fast path                                                                                 */

#define COL_BUDGET (1 << 18) /* floats of im2col per tile (1 MiB): sets the tile size */
#define MAX_GROUPS 16        /* tiles are dealt to at most this many groups (fixed by shapes) */

/* Tiling of one problem: tiles of RT whole output rows (z, y) of one sample. */
struct conv_tiling {
    int64_t KD;    /* C*27 */
    int RT;        /* output rows per tile */
    int rows;      /* OD*OH rows per sample */
    int tps;       /* tiles per sample */
    int64_t ntiles;
    int G;         /* groups */
    int64_t npx;   /* max pixels per tile = RT*OW */
    int64_t npx16; /* npx rounded up to the panel width */
};

static void tiling_init(struct conv_tiling *t, const struct conv3d_dims *s)
{
    t->KD = (int64_t)s->C * 27;
    int64_t px = COL_BUDGET / t->KD;
    if (px < s->OW)
        px = s->OW;
    t->rows = s->OD * s->OH;
    t->RT = (int)(px / s->OW);
    if (t->RT > t->rows)
        t->RT = t->rows;
    t->tps = (t->rows + t->RT - 1) / t->RT;
    t->ntiles = (int64_t)s->N * t->tps;
    t->G = t->ntiles < MAX_GROUPS ? (int)t->ntiles : MAX_GROUPS;
    t->npx = (int64_t)t->RT * s->OW;
    t->npx16 = (t->npx + SGEMM_NR - 1) / SGEMM_NR * SGEMM_NR;
}

/* col[r][p] (ld = ld) for output rows [r0, r1) of sample n: inp at the kernel offset of r,
 * zero outside the input. */
static void im2col_rows(float *col, int64_t ld, const float *inp, const struct conv3d_dims *s,
                        int n, int r0, int r1)
{
    const int C = s->C, D = s->D, H = s->H, W = s->W, P = s->P, OH = s->OH, OW = s->OW;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 3; k++) {
                    float *dst = col + ((int64_t)c * 27 + i * 9 + j * 3 + k) * ld;
                    /* output x maps to input ix = x + k - P: valid for x in [x0, x1) */
                    int x0 = P - k, x1 = W + P - k;
                    if (x0 < 0)
                        x0 = 0;
                    if (x1 > OW)
                        x1 = OW;
                    for (int r = r0; r < r1; r++, dst += OW) {
                        const int z = r / OH, y = r % OH;
                        const int iz = z + i - P, iy = y + j - P;
                        if (iz < 0 || iz >= D || iy < 0 || iy >= H || x1 <= x0) {
                            memset(dst, 0, sizeof(float) * (size_t)OW);
                            continue;
                        }
                        const float *src = inp + ((((int64_t)n * C + c) * D + iz) * H + iy) * W;
                        if (x0 > 0)
                            memset(dst, 0, sizeof(float) * (size_t)x0);
                        memcpy(dst + x0, src + x0 + k - P, sizeof(float) * (size_t)(x1 - x0));
                        if (x1 < OW)
                            memset(dst + x1, 0, sizeof(float) * (size_t)(OW - x1));
                    }
                }
}

struct fwd_ctx {
    float *out;
    const float *inp, *bias, *apack;
    const struct conv3d_dims *s;
    const struct conv_tiling *t;
    float *slots; /* per group: col (KD*npx) + packed col (KD*npx16) */
    int accumulate;
};

static void fwd_group(void *arg, int64_t g, int64_t g_end, int64_t chunk)
{
    (void)g_end;
    (void)chunk;
    struct fwd_ctx *c = arg;
    const struct conv3d_dims *s = c->s;
    const struct conv_tiling *t = c->t;
    const int64_t KD = t->KD, NP = (int64_t)s->OD * s->OH * s->OW;
    float *col = c->slots + g * (KD * t->npx + KD * t->npx16);
    float *bp = col + KD * t->npx;
    const int64_t tb = g * t->ntiles / t->G, te = (g + 1) * t->ntiles / t->G;
    for (int64_t tile = tb; tile < te; tile++) {
        const int n = (int)(tile / t->tps), r0 = (int)(tile % t->tps) * t->RT;
        const int r1 = r0 + t->RT < t->rows ? r0 + t->RT : t->rows;
        const int64_t npx = (int64_t)(r1 - r0) * s->OW;
        im2col_rows(col, npx, c->inp, s, n, r0, r1);
        sgemm_pack_b(bp, col, npx, KD, npx);
        float *cout = c->out + (int64_t)n * s->OC * NP + (int64_t)r0 * s->OW;
        sgemm_packed(cout, NP, c->apack, bp, s->OC, npx, KD, c->accumulate ? NULL : c->bias,
                     c->accumulate);
    }
}

int conv3d_forward_fast(float *out, const float *inp, const float *weight, const float *bias,
                        const struct conv3d_dims *s, int accumulate, struct pool *pool,
                        struct nn_arena *scratch, struct sarc_err *e)
{
    struct conv_tiling t;
    tiling_init(&t, s);
    /* weights as the packed A of the GEMM: out (OC x NP) = w (OC x KD) . col (KD x NP) */
    float *apack = nn_arena_alloc(scratch, sizeof(float) * (size_t)sgemm_pack_a_size(s->OC, t.KD), e);
    float *slots = nn_arena_alloc(scratch, sizeof(float) * (size_t)t.G * (size_t)(t.KD * (t.npx + t.npx16)), e);
    if (!apack || !slots)
        return SARC_ERR_NOMEM;
    sgemm_pack_a(apack, weight, t.KD, s->OC, t.KD);
    struct fwd_ctx c = {out, inp, bias, apack, s, &t, slots, accumulate};
    pool_for(pool, t.G, 1, fwd_group, &c);
    return 0;
}

int conv3d_backward_data_fast(float *dinp, const float *dout, const float *weight,
                              const struct conv3d_dims *s, struct pool *pool,
                              struct nn_arena *scratch, struct sarc_err *e)
{
    /* dinp[c] += sum_o full-correlation(dout[o], flip(w[o][c])): a conv3d of dout with OC
     * input channels, C output channels, padding 2 - P, weight wt[c][o][2-i][2-j][2-k]. */
    struct conv3d_dims sd;
    int rc = conv3d_dims_init(&sd, s->N, s->OC, s->OD, s->OH, s->OW, s->C, 2 - s->P, e);
    if (rc)
        return rc;
    const int C = s->C, OC = s->OC;
    float *wt = nn_arena_alloc(scratch, sizeof(float) * (size_t)C * OC * 27, e);
    if (!wt)
        return SARC_ERR_NOMEM;
    for (int o = 0; o < OC; o++)
        for (int c = 0; c < C; c++)
            for (int q = 0; q < 27; q++)
                wt[((size_t)c * OC + o) * 27 + q] = weight[((size_t)o * C + c) * 27 + (26 - q)];
    return conv3d_forward_fast(dinp, dout, wt, NULL, &sd, 1, pool, scratch, e);
}

struct wgt_ctx {
    const float *dout, *inp;
    const struct conv3d_dims *s;
    const struct conv_tiling *t;
    float *slots;    /* per group: col + packed col + packed dout + tile result */
    float *partial;  /* per group: OC*KD */
    int64_t slot_n;
};

static void wgt_group(void *arg, int64_t g, int64_t g_end, int64_t chunk)
{
    (void)g_end;
    (void)chunk;
    struct wgt_ctx *c = arg;
    const struct conv3d_dims *s = c->s;
    const struct conv_tiling *t = c->t;
    const int64_t KD = t->KD, NP = (int64_t)s->OD * s->OH * s->OW, OC = s->OC;
    float *col = c->slots + g * c->slot_n;
    float *bp = col + KD * t->npx;                           /* packed (npx x KD) panels */
    float *ap = bp + sgemm_pack_b_size(t->npx, KD);          /* packed dout (OC x npx) */
    float *part = c->partial + g * OC * KD;
    const int64_t tb = g * t->ntiles / t->G, te = (g + 1) * t->ntiles / t->G;
    for (int64_t tile = tb; tile < te; tile++) {
        const int n = (int)(tile / t->tps), r0 = (int)(tile % t->tps) * t->RT;
        const int r1 = r0 + t->RT < t->rows ? r0 + t->RT : t->rows;
        const int64_t npx = (int64_t)(r1 - r0) * s->OW;
        im2col_rows(col, npx, c->inp, s, n, r0, r1);
        /* dw (OC x KD) += dout_tile (OC x npx) . col^T (npx x KD) */
        sgemm_pack_bt(bp, col, npx, npx, KD);
        sgemm_pack_a(ap, c->dout + (int64_t)n * OC * NP + (int64_t)r0 * s->OW, NP, (int)OC, npx);
        sgemm_packed(part, KD, ap, bp, (int)OC, KD, npx, NULL, 1);
    }
}

struct bias_ctx {
    float *dbias;
    const float *dout;
    const struct conv3d_dims *s;
};

static void bias_chunk(void *arg, int64_t b, int64_t e, int64_t chunk)
{
    (void)chunk;
    struct bias_ctx *c = arg;
    const int64_t NP = (int64_t)c->s->OD * c->s->OH * c->s->OW;
    for (int64_t o = b; o < e; o++) {
        double acc = 0;
        for (int n = 0; n < c->s->N; n++) {
            const float *d = c->dout + ((int64_t)n * c->s->OC + o) * NP;
            for (int64_t q = 0; q < NP; q++)
                acc += d[q];
        }
        c->dbias[o] += (float)acc;
    }
}

int conv3d_backward_weight_fast(float *dweight, float *dbias, const float *dout,
                                const float *inp, const struct conv3d_dims *s,
                                struct pool *pool, struct nn_arena *scratch, struct sarc_err *e)
{
    if (dbias) {
        struct bias_ctx bc = {dbias, dout, s};
        pool_for(pool, s->OC, 1, bias_chunk, &bc);
    }
    if (!dweight)
        return 0;
    struct conv_tiling t;
    tiling_init(&t, s);
    const int64_t KD = t.KD, OC = s->OC;
    const int64_t slot_n = KD * t.npx + sgemm_pack_b_size(t.npx, KD) + sgemm_pack_a_size((int)OC, t.npx);
    float *slots = nn_arena_alloc(scratch, sizeof(float) * (size_t)(t.G * slot_n), e);
    float *partial = nn_arena_alloc(scratch, sizeof(float) * (size_t)(t.G * OC * KD), e);
    if (!slots || !partial)
        return SARC_ERR_NOMEM;
    struct wgt_ctx c = {dout, inp, s, &t, slots, partial, slot_n};
    pool_for(pool, t.G, 1, wgt_group, &c);
    /* combine the group partials in group order */
    for (int64_t q = 0; q < OC * KD; q++) {
        float acc = 0;
        for (int g = 0; g < t.G; g++)
            acc += partial[g * OC * KD + q];
        dweight[q] += acc;
    }
    return 0;
}

int conv3d_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, const struct conv3d_dims *s,
                         struct pool *pool, struct nn_arena *scratch, struct sarc_err *e)
{
    int rc = 0;
    if (dinp)
        rc = conv3d_backward_data_fast(dinp, dout, weight, s, pool, scratch, e);
    if (!rc && (dweight || dbias))
        rc = conv3d_backward_weight_fast(dweight, dbias, dout, inp, s, pool, scratch, e);
    return rc;
}
