/* conv3d.c - 3-D convolution, kernel 3x3x3, stride 1, zero padding P: the CPU reference
 * (conv3d_forward_cpu / conv3d_backward_cpu: plain loops, sums in double) and the fast CPU path
 * (conv3d_*_fast: im2col tiles + the blocked SGEMM micro-kernel of nn/sgemm.h, run on the pool).
 *
 * Shape letters: N batch, C input channels, D H W input extents, OC output channels, P padding,
 * OD OH OW output extents, KD = C*27 the reduction length (r = c*27 + i*9 + j*3 + k).
 *
 * Fast path:
 *  - forward: for a tile of whole output rows of one sample, col[r][p] = inp at (p + offset r)
 *    (zero outside) is written straight into SGEMM panels, then out[o][p] = sum_r w[o][r]
 *    col[r][p] with the 6x16 micro-kernel (K blocked by 256, fixed order): tiling and threads
 *    cannot change a result.
 *  - backward-data (and the transposed convolution's forward): the scatter form
 *    (conv3d_scatter_fast): cols[(c,q)][p] = sum_o w[o][c][q] dout[o][p] by the SGEMM, then
 *    col2im adds each column into dinp at its kernel offset. Chunks of input rows are processed
 *    in phases (z mod 3, chunk parity) so that no two concurrent chunks write the same output. Measured on the
 *    build machine (1 core, CPU time): conv 24->48 backward-data 18 -> 62 GFLOP/s and
 *    transposed 112->48 forward 25 -> 80 GFLOP/s against the earlier 'full' conv3d formulation,
 *    which multiplied 41% zero padding.
 *  - backward-weights: dw[o][r] = sum_p dout[o][p] col[r][p]; tiles are dealt to G groups
 *    (G and the tile size depend on the shapes only); each group sums its tiles in order into its
 *    own partial (its first tile stores, later ones add), and partials are added in group order
 *    (element chunks on the pool, 8 lanes at a time): bit-identical for any thread count.
 *  - the col2im adds, the C updates and the im2col copies run 8 lanes (or memcpy) at a time:
 *    gcc's -O2 does not vectorise loops of unknown length; the per-element float operations are
 *    those of the scalar loops, so results are unchanged bit for bit.
 * Covered by test/nn/test_conv3d.c and test/nn/test_ops_torch.c. */
#include "nn/conv3d.h"

#include <limits.h>
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
    /* row and tile indices of the fast path are int */
    if ((int64_t)N * (D + 4) * (H + 4) > INT_MAX)
        return ERR(e, SARC_ERR_RANGE, "conv3d: N %d x D %d x H %d rows is too many", N, D, H);
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

/* The im2col matrix col[r][p] (r = c*27 + i*9 + j*3 + k, p = pixel of output rows [r0, r1) of
 * sample n: inp at the kernel offset of r, zero outside the input), written straight into the
 * packed panels the SGEMM reads (no intermediate copy):
 *   transposed_b 0: B = col (K = KD, N = npx): dst[(p/16)*KD*16 + r*16 + p%16]
 *   transposed_b 1: B = col^T (K = npx, N = KD): dst[(r/16)*npx*16 + p*16 + r%16]
 * Padding rows/columns of the last panel are zero. */
static void im2col_packed(float *dst, int transposed_b, const float *inp,
                          const struct conv3d_dims *s, int n, int r0, int r1)
{
    const int C = s->C, D = s->D, H = s->H, W = s->W, P = s->P, OH = s->OH, OW = s->OW;
    const int64_t KD = (int64_t)C * 27, npx = (int64_t)(r1 - r0) * OW, KD16 = KD * SGEMM_NR;
    if (!transposed_b && npx % SGEMM_NR)
        memset(dst + npx / SGEMM_NR * KD16, 0, sizeof(float) * (size_t)KD16);
    if (transposed_b && KD % SGEMM_NR)
        memset(dst + KD / SGEMM_NR * npx * SGEMM_NR, 0, sizeof(float) * (size_t)(npx * SGEMM_NR));
    for (int c = 0; c < C; c++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 3; k++) {
                    const int64_t r = (int64_t)c * 27 + i * 9 + j * 3 + k;
                    float *base = transposed_b ? dst + r / SGEMM_NR * npx * SGEMM_NR + r % SGEMM_NR
                                               : dst + r * SGEMM_NR;
                    for (int row = r0; row < r1; row++) {
                        const int z = row / OH, y = row % OH;
                        const int iz = z + i - P, iy = y + j - P;
                        const int64_t p0 = (int64_t)(row - r0) * OW;
                        const float *src = NULL;
                        if (iz >= 0 && iz < D && iy >= 0 && iy < H)
                            src = inp + ((((int64_t)n * C + c) * D + iz) * H + iy) * W;
                        /* output x reads input x + k - P: inside the input for [xa, xb) */
                        const int xa = src ? (P - k > 0 ? P - k : 0) : OW;
                        const int xb = src ? (W + P - k < OW ? W + P - k : OW) : OW;
                        if (transposed_b) {
                            float *d = base + p0 * SGEMM_NR;
                            int x = 0;
                            for (; x < xa; x++)
                                d[(int64_t)x * SGEMM_NR] = 0.0f;
                            for (; x < xb; x++)
                                d[(int64_t)x * SGEMM_NR] = src[x + k - P];
                            for (; x < OW; x++)
                                d[(int64_t)x * SGEMM_NR] = 0.0f;
                        } else {
                            /* the pixels in runs up to a panel end: lanes 0..15 of a panel
                             * are contiguous, the next panel is KD16 further */
                            int64_t p = p0;
                            for (int x = 0; x < OW;) {
                                const int lane = (int)(p % SGEMM_NR);
                                const int run = SGEMM_NR - lane < OW - x ? SGEMM_NR - lane : OW - x;
                                float *d = base + p / SGEMM_NR * KD16 + lane;
                                /* [x, x+run): zeros below xa, the input on [xa, xb), zeros
                                 * from xb */
                                const int end = x + run;
                                const int ca = xa < x ? x : xa < end ? xa : end;
                                const int cb = xb > end ? end : xb > ca ? xb : ca;
                                for (int q = x; q < ca; q++)
                                    d[q - x] = 0.0f;
                                if (cb > ca)
                                    memcpy(d + (ca - x), src + ca + k - P,
                                           sizeof(float) * (size_t)(cb - ca));
                                for (int q = cb; q < end; q++)
                                    d[q - x] = 0.0f;
                                x = end;
                                p += run;
                            }
                        }
                    }
                }
}

struct fwd_ctx {
    float *out;
    const float *inp, *bias, *apack;
    const struct conv3d_dims *s;
    const struct conv_tiling *t;
    float *slots; /* per group: packed col (KD*npx16) */
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
    float *bp = c->slots + g * KD * t->npx16; /* packed col (KD x npx16) */
    const int64_t tb = g * t->ntiles / t->G, te = (g + 1) * t->ntiles / t->G;
    for (int64_t tile = tb; tile < te; tile++) {
        const int n = (int)(tile / t->tps), r0 = (int)(tile % t->tps) * t->RT;
        const int r1 = r0 + t->RT < t->rows ? r0 + t->RT : t->rows;
        const int64_t npx = (int64_t)(r1 - r0) * s->OW;
        im2col_packed(bp, 0, c->inp, s, n, r0, r1);
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
    float *slots = nn_arena_alloc(scratch, sizeof(float) * (size_t)t.G * (size_t)(t.KD * t.npx16), e);
    if (!apack || !slots)
        return SARC_ERR_NOMEM;
    sgemm_pack_a(apack, weight, t.KD, s->OC, t.KD);
    struct fwd_ctx c = {out, inp, bias, apack, s, &t, slots, accumulate};
    pool_for(pool, t.G, 1, fwd_group, &c);
    return 0;
}

typedef float v8sf __attribute__((vector_size(32)));

/* dst[j] += src[j], j < n, 8 lanes at a time (the same float adds as the scalar loop; -O2
 * does not vectorise a loop of unknown length). */
static void row_add(float *restrict dst, const float *restrict src, int64_t n)
{
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        v8sf a, b;
        memcpy(&a, dst + j, sizeof a);
        memcpy(&b, src + j, sizeof b);
        a = a + b;
        memcpy(dst + j, &a, sizeof a);
    }
    for (; j < n; j++)
        dst[j] += src[j];
}

/* Scatter form (GEMM + col2im) of a transposed correlation; see conv3d.h. A work item is one
 * chunk of RY input rows of one input z-slice (n, z, chunk); it writes output slices z-P ..
 * z+2-P and output rows y0-P .. y1+1-P. Items are run in phases (z mod 3, chunk mod YC) inside
 * which no two items touch the same output element (YC = 2 when RY >= 2, else 3); the items of
 * a phase are dealt to at most MAX_GROUPS groups and each item is done by one thread, so every
 * output element receives its terms in the same order for any thread count. */
struct scat_ctx {
    float *out;
    const float *x, *apack;
    int N, Cin, D, H, W, Cout, P, OD, OH, OW;
    int RY, YC, nch;   /* input rows per chunk, chunk colours, chunks per slice */
    int pz, py;        /* the current phase */
    int zc, cc;        /* slices and chunks of a sample in this phase */
    int nitems, G;
    float *slots;      /* per group: cols (Cout*27 x RY*W) + packed B (Cin x RY*W rounded) */
    int64_t slot_n;
};

static void scat_item(struct scat_ctx *c, float *cols, float *bp, int n, int z, int y0)
{
    const int H = c->H, W = c->W, OH = c->OH, OW = c->OW, P = c->P;
    const int64_t M = (int64_t)c->Cout * 27, HW = (int64_t)H * W;
    const int y1 = y0 + c->RY < H ? y0 + c->RY : H;
    const int64_t npx = (int64_t)(y1 - y0) * W;
    /* cols ((o,q) x p) = wt^T ((o,q) x c) . x (c x p) */
    sgemm_pack_b(bp, c->x + ((int64_t)n * c->Cin * c->D + z) * HW + (int64_t)y0 * W,
                 (int64_t)c->D * HW, c->Cin, npx);
    sgemm_packed(cols, npx, c->apack, bp, (int)M, npx, c->Cin, NULL, 0);
    /* col2im: out[o][z+i-P][y+j-P][x+k-P] += cols[o*27+q][p] */
    for (int o = 0; o < c->Cout; o++)
        for (int i = 0; i < 3; i++) {
            const int oz = z + i - P;
            if (oz < 0 || oz >= c->OD)
                continue;
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 3; k++) {
                    const float *src = cols + ((int64_t)o * 27 + i * 9 + j * 3 + k) * npx;
                    /* input x with 0 <= x + k - P < OW */
                    const int xa = P - k > 0 ? P - k : 0;
                    const int xb = OW + P - k < W ? OW + P - k : W;
                    for (int y = y0; y < y1; y++) {
                        const int oy = y + j - P;
                        if (oy < 0 || oy >= OH)
                            continue;
                        float *dst = c->out + ((((int64_t)n * c->Cout + o) * c->OD + oz) * OH + oy) * OW;
                        const float *sr = src + (int64_t)(y - y0) * W;
                        row_add(dst + xa + k - P, sr + xa, xb - xa);
                    }
                }
        }
}

static void scat_group(void *arg, int64_t g, int64_t g_end, int64_t chunk)
{
    (void)g_end;
    (void)chunk;
    struct scat_ctx *c = arg;
    const int64_t M = (int64_t)c->Cout * 27;
    float *cols = c->slots + g * c->slot_n;
    float *bp = cols + M * (int64_t)c->RY * c->W;
    const int64_t ib = g * c->nitems / c->G, ie = (g + 1) * c->nitems / c->G;
    for (int64_t item = ib; item < ie; item++) {
        const int per = c->zc * c->cc;
        const int n = (int)(item / per), rem = (int)(item % per);
        const int z = c->pz + 3 * (rem / c->cc), ch = c->py + c->YC * (rem % c->cc);
        scat_item(c, cols, bp, n, z, ch * c->RY);
    }
}

int conv3d_scatter_fast(float *out, const float *x, const float *wt, const float *bias, int N,
                        int Cin, int D, int H, int W, int Cout, int P, int accumulate,
                        struct pool *pool, struct nn_arena *scratch, struct sarc_err *e)
{
    if (N < 1 || Cin < 1 || D < 1 || H < 1 || W < 1 || Cout < 1 || P < 0 || P > 2 ||
        (int64_t)N * (D + 4) * (H + 4) > INT_MAX || (int64_t)Cout * 27 * Cin > INT_MAX)
        return ERR(e, SARC_ERR_RANGE, "conv3d scatter: bad dimensions");
    struct scat_ctx c;
    memset(&c, 0, sizeof c);
    c.out = out; c.x = x; c.N = N; c.Cin = Cin; c.D = D; c.H = H; c.W = W; c.Cout = Cout; c.P = P;
    c.OD = D + 2 - 2 * P; c.OH = H + 2 - 2 * P; c.OW = W + 2 - 2 * P;
    if (c.OD < 1 || c.OH < 1 || c.OW < 1)
        return ERR(e, SARC_ERR_RANGE, "conv3d scatter: empty output");
    const int64_t M = (int64_t)Cout * 27;
    int64_t ry = (COL_BUDGET / M) / W;
    c.RY = (int)(ry < 1 ? 1 : ry > H ? H : ry);
    c.YC = c.RY >= 2 ? 2 : 3;
    c.nch = (H + c.RY - 1) / c.RY;
    const int64_t npx = (int64_t)c.RY * W;
    c.slot_n = M * npx + sgemm_pack_b_size(Cin, npx);
    /* A = wt viewed as ((o,q) x c): A[m][c] = wt[c*M + m] */
    float *apack = nn_arena_alloc(scratch, sizeof(float) * (size_t)sgemm_pack_a_size((int)M, Cin), e);
    float *at = nn_arena_alloc(scratch, sizeof(float) * (size_t)(M * Cin), e);
    const int64_t maxitems = (int64_t)N * ((D + 2) / 3) * ((c.nch + c.YC - 1) / c.YC);
    const int G = maxitems < MAX_GROUPS ? (int)maxitems : MAX_GROUPS;
    c.slots = nn_arena_alloc(scratch, sizeof(float) * (size_t)(G * c.slot_n), e);
    if (!apack || !at || !c.slots)
        return SARC_ERR_NOMEM;
    for (int64_t m = 0; m < M; m++)
        for (int q = 0; q < Cin; q++)
            at[m * Cin + q] = wt[(int64_t)q * M + m];
    sgemm_pack_a(apack, at, Cin, (int)M, Cin);
    c.apack = apack;
    const int64_t OS = (int64_t)c.OD * c.OH * c.OW;
    if (!accumulate)
        memset(out, 0, sizeof(float) * (size_t)(N * Cout * OS));
    for (int pz = 0; pz < 3 && pz < D; pz++)
        for (int py = 0; py < c.YC && py < c.nch; py++) {
            c.pz = pz;
            c.py = py;
            c.zc = (D - pz + 2) / 3;
            c.cc = (c.nch - py + c.YC - 1) / c.YC;
            c.nitems = N * c.zc * c.cc;
            c.G = c.nitems < MAX_GROUPS ? c.nitems : MAX_GROUPS;
            pool_for(pool, c.G, 1, scat_group, &c);
        }
    if (!accumulate && bias)
        for (int64_t q = 0; q < (int64_t)N * Cout; q++) {
            float *o = out + q * OS;
            const float b = bias[q % Cout];
            for (int64_t i = 0; i < OS; i++)
                o[i] += b;
        }
    return 0;
}

int conv3d_backward_data_fast(float *dinp, const float *dout, const float *weight,
                              const struct conv3d_dims *s, struct pool *pool,
                              struct nn_arena *scratch, struct sarc_err *e)
{
    /* dinp[c][z] += sum_{o,q} w[o][c][q] dout[o][z - i + P]: the scatter form with dout as
     * input (OC channels) and w read as (OC, C, 27) */
    return conv3d_scatter_fast(dinp, dout, weight, NULL, s->N, s->OC, s->OD, s->OH, s->OW, s->C,
                               s->P, 1, pool, scratch, e);
}

struct wgt_ctx {
    const float *dout, *inp;
    const struct conv3d_dims *s;
    const struct conv_tiling *t;
    float *slots;    /* per group: packed col^T + packed dout */
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
    float *bp = c->slots + g * c->slot_n;                    /* packed col^T (npx x KD) */
    float *ap = bp + sgemm_pack_b_size(t->npx, KD);          /* packed dout (OC x npx) */
    float *part = c->partial + g * OC * KD;
    const int64_t tb = g * t->ntiles / t->G, te = (g + 1) * t->ntiles / t->G;
    for (int64_t tile = tb; tile < te; tile++) {
        const int n = (int)(tile / t->tps), r0 = (int)(tile % t->tps) * t->RT;
        const int r1 = r0 + t->RT < t->rows ? r0 + t->RT : t->rows;
        const int64_t npx = (int64_t)(r1 - r0) * s->OW;
        /* dw (OC x KD) += dout_tile (OC x npx) . col^T (npx x KD) */
        im2col_packed(bp, 1, c->inp, s, n, r0, r1);
        sgemm_pack_a(ap, c->dout + (int64_t)n * OC * NP + (int64_t)r0 * s->OW, NP, (int)OC, npx);
        /* the group's first tile stores (no zeroing pass), later ones add */
        sgemm_packed(part, KD, ap, bp, (int)OC, KD, npx, NULL, tile > tb);
    }
}

struct comb_ctx {
    float *dweight;
    const float *partial;
    int64_t len; /* OC*KD */
    int G;
};

/* dweight[q] += (((0 + partial_0[q]) + partial_1[q]) + ...), groups in order, 8 lanes at a
 * time (the same float adds per element as a scalar loop). */
static void comb_chunk(void *arg, int64_t b, int64_t e, int64_t chunk)
{
    (void)chunk;
    const struct comb_ctx *c = arg;
    int64_t q = b;
    for (; q + 8 <= e; q += 8) {
        v8sf acc = {0}, v, d;
        for (int g = 0; g < c->G; g++) {
            memcpy(&v, c->partial + g * c->len + q, sizeof v);
            acc = acc + v;
        }
        memcpy(&d, c->dweight + q, sizeof d);
        d = d + acc;
        memcpy(c->dweight + q, &d, sizeof d);
    }
    for (; q < e; q++) {
        float acc = 0;
        for (int g = 0; g < c->G; g++)
            acc += c->partial[g * c->len + q];
        c->dweight[q] += acc;
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
    const int64_t slot_n = sgemm_pack_b_size(t.npx, KD) + sgemm_pack_a_size((int)OC, t.npx);
    float *slots = nn_arena_alloc(scratch, sizeof(float) * (size_t)(t.G * slot_n), e);
    float *partial = nn_arena_alloc(scratch, sizeof(float) * (size_t)(t.G * OC * KD), e);
    if (!slots || !partial)
        return SARC_ERR_NOMEM;
    struct wgt_ctx c = {dout, inp, s, &t, slots, partial, slot_n};
    pool_for(pool, t.G, 1, wgt_group, &c);
    /* combine the group partials in group order (chunks of whole elements: any split gives
     * the same sums) */
    struct comb_ctx cc = {dweight, partial, OC * KD, t.G};
    pool_for(pool, OC * KD, 4096, comb_chunk, &cc);
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
