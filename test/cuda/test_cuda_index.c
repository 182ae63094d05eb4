/* test_cuda_index.c - the index, tiling and thread-mapping arithmetic of the CUDA convolution
 * kernels (cuda/index.h), proven on the CPU (no GPU needed). The FP32 data-pass and
 * weight-gradient kernels of cuda/conv_gemm.cu are written as per-thread functions
 * (conv_tile_load / conv_tile_fma / conv_tile_store / wgrad_tile_load / wgrad_tile_store) that
 * the kernels call between their __syncthreads; here every block of the grid runs its 256
 * "threads" phase by phase through the same functions, for each of the six convolution passes
 * (conv3d forward, backward-data, weight gradient; conv_transpose3d forward, backward-data,
 * weight gradient), and the result is compared with the reference loops of nn/conv3d.c and
 * nn/conv_transpose3d.c. Not covered here: the TF32 (WMMA) product, the CUDA launch itself.
 * Tolerance |got - ref| <= 1e-4 (|ref| + rms(ref)): float sums of up to C*27 terms or 2048-voxel
 * chunks against double; an index error shows as an O(1) difference (checked by mutating the
 * geometry by hand while writing this test: all such mutations fail it).
 * Every data pass runs with each tile shape the kernel may pick (16 x 256, 32 x 128, 64 x 64),
 * and the shared-memory stage is poisoned with NaN before each load phase, so that a read of an
 * element no thread staged shows. Shapes: odd extents, size-1 extents, 'valid', 'same',
 * 'full', batch 1 and 2, more than one channel tile, column counts no tile divides, K = 1890 (many stages). Also the max-pool
 * gather rule (bit-exact against maxpool3d_backward_cpu, with ties, NaN and odd extents) and the
 * chunk plans. */
#include <string.h>

#include "cuda/index.h"
#include "nn/conv3d.h"
#include "nn/conv_transpose3d.h"
#include "nn/maxpool3d.h"
#include "test/cuda/cuda_test_util.h"
#include "test/harness.h"

#define TOL_R 1e-4

/* The data-pass kernel of cuda/conv_gemm.cu (FP32), run on the CPU: every block of the grid,
 * its 256 threads phase by phase (load all, then multiply all: the __syncthreads of the kernel)
 * through the very functions the kernel calls (conv_tile_load / conv_tile_fma /
 * conv_tile_store). */
static float As[CONV_BK][CONV_LDS], Bs[CONV_BK][CONV_LDSB];
static float accs[CONV_THREADS][4][4];

static void emulate_data_pass(const struct conv_geom *g, float *out, const float *in,
                              const float *w, const float *bias, int accumulate, int bm)
{
    const int bn = CONV_TILE / bm;
    const int64_t cols = conv_geom_cols(g);
    const int K = conv_geom_k(g);
    for (int64_t bx = 0; bx < (cols + bn - 1) / bn; bx++)
        for (int by = 0; by < (g->OC + bm - 1) / bm; by++) {
            const int64_t col0 = bx * bn;
            const int row0 = by * bm;
            memset(accs, 0, sizeof accs);
            for (int k0 = 0; k0 < K; k0 += CONV_BK) {
                /* poison the stage: every element the multiply reads must be loaded */
                memset(As, 0xff, sizeof As);
                memset(Bs, 0xff, sizeof Bs);
                for (int tid = 0; tid < CONV_THREADS; tid++) {
                    const int64_t my = col0 + tid % bn;
                    const struct conv_col q = conv_col_decode(g, my < cols ? my : 0);
                    conv_tile_load(g, in, w, tid, bm, col0, row0, k0, &q, As, Bs);
                }
                for (int tid = 0; tid < CONV_THREADS; tid++)
                    conv_tile_fma(tid, bm, (const float(*)[CONV_LDS])As,
                                  (const float(*)[CONV_LDSB])Bs, accs[tid]);
            }
            for (int tid = 0; tid < CONV_THREADS; tid++)
                conv_tile_store(g, out, bias, accumulate, tid, bm, col0, row0, accs[tid]);
        }
}

/* The weight-gradient kernels (wgrad_gemm_kernel over every chunk, then wgrad_reduce_kernel:
 * chunk partials added in chunk order in double, dw +=), run on the CPU the same way. */
static void emulate_wgrad(const struct wgrad_geom *g, float *dw, const float *G, const float *X)
{
    const int M = g->GC, NC = wgrad_cols(g);
    const int64_t K = wgrad_k(g), len = wgrad_chunk_len(g), nch = wgrad_chunks(g);
    float *part = calloc((size_t)(nch * M * NC), sizeof(float));
    for (int64_t ch = 0; ch < nch; ch++)
        for (int bx = 0; bx < (NC + CONV_BN - 1) / CONV_BN; bx++)
            for (int by = 0; by < (M + CONV_BM - 1) / CONV_BM; by++) {
                const int64_t kb = ch * len, ke = kb + len < K ? kb + len : K;
                memset(accs, 0, sizeof accs);
                for (int64_t k0 = kb; k0 < ke; k0 += CONV_BK) {
                    memset(As, 0xff, sizeof As);
                    memset(Bs, 0xff, sizeof Bs);
                    for (int tid = 0; tid < CONV_THREADS; tid++)
                        wgrad_tile_load(g, G, X, tid, bx * CONV_BN, by * CONV_BM, k0, ke, As, Bs);
                    for (int tid = 0; tid < CONV_THREADS; tid++)
                        conv_tile_fma(tid, CONV_BM, (const float(*)[CONV_LDS])As,
                                      (const float(*)[CONV_LDSB])Bs, accs[tid]);
                }
                for (int tid = 0; tid < CONV_THREADS; tid++)
                    wgrad_tile_store(g, part + ch * M * NC, tid, bx * CONV_BN, by * CONV_BM,
                                     accs[tid]);
            }
    for (int64_t i = 0; i < (int64_t)M * NC; i++) {
        double s = 0;
        for (int64_t ch = 0; ch < nch; ch++)
            s += part[ch * M * NC + i];
        dw[i] += (float)s;
    }
    free(part);
}

/* |got - ref| <= TOL * (|ref| + rms(ref)): the emulated kernels sum in float (up to C*27 terms,
 * or 2048-voxel chunks), the reference in double; an index error shows as an O(1) difference. */
static double rms_of(const float *x, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return sqrt(s / (double)(n > 0 ? n : 1));
}
struct cshape {
    int N, C, D, H, W, OC, P;
};

static const struct cshape shapes[] = {
    {1, 1, 3, 3, 3, 1, 0},   /* the smallest valid conv: one output voxel */
    {2, 3, 5, 4, 7, 5, 0},   /* odd extents, batch 2 */
    {1, 2, 1, 6, 5, 3, 1},   /* a size-1 extent, 'same' */
    {2, 3, 4, 5, 3, 70, 1},  /* two 64-row tiles of output channels */
    {1, 70, 3, 4, 5, 2, 1},  /* K = 1890: many stages, two 64-row tiles on the backward side */
    {1, 2, 2, 3, 4, 3, 2},   /* 'full' */
};

TEST(cuda_index_conv3d_passes)
{
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        const struct cshape c = shapes[t];
        struct conv3d_dims s;
        struct sarc_err e;
        REQUIRE_OK(conv3d_dims_init(&s, c.N, c.C, c.D, c.H, c.W, c.OC, c.P, &e), e);
        const int64_t nin = (int64_t)c.N * c.C * c.D * c.H * c.W;
        const int64_t nout = (int64_t)c.N * c.OC * s.OD * s.OH * s.OW, nw = (int64_t)c.OC * c.C * 27;
        float *x = ct_rand(nin, 1 + t, 1), *w = ct_rand(nw, 20 + t, 0.5), *b = ct_rand(c.OC, 40 + t, 1);
        float *dout = ct_rand(nout, 60 + t, 1), *base = ct_rand(nin, 80 + t, 1);
        float *ref = malloc(sizeof(float) * (size_t)(nout > nin ? nout : nin));
        float *got = malloc(sizeof(float) * (size_t)(nout > nin ? nout : nin));
        float *dw_ref = ct_rand(nw, 90 + t, 1), *dw_got = malloc(sizeof(float) * (size_t)nw);
        memcpy(dw_got, dw_ref, sizeof(float) * (size_t)nw);
        const int od[5] = {c.N, c.OC, s.OD, s.OH, s.OW}, id[5] = {c.N, c.C, c.D, c.H, c.W};
        char what[128];

        /* forward */
        conv3d_forward_cpu(ref, x, w, b, &s);
        const struct conv_geom gf = conv_geom_conv3d_forward(c.N, c.C, c.D, c.H, c.W, c.OC, c.P);
        CHECK_INT(gf.OD, s.OD);
        for (int bm = 16; bm <= CONV_BM; bm *= 2) { /* every tile shape the kernel may pick */
            emulate_data_pass(&gf, got, x, w, b, 0, bm);
            snprintf(what, sizeof what, "conv3d forward shape %zu tile %d", t, bm);
            CT_COMPARE(what, got, ref, nout, TOL_R, TOL_R * rms_of(ref, nout), od);
        }

        /* backward-data: dinp += on top of a non-zero base */
        memcpy(ref, base, sizeof(float) * (size_t)nin);
        conv3d_backward_cpu(ref, NULL, NULL, dout, x, w, &s);
        const struct conv_geom gb =
            conv_geom_conv3d_backward_data(c.N, c.C, c.D, c.H, c.W, c.OC, c.P);
        for (int bm = 16; bm <= CONV_BM; bm *= 2) {
            memcpy(got, base, sizeof(float) * (size_t)nin);
            emulate_data_pass(&gb, got, dout, w, NULL, 1, bm);
            snprintf(what, sizeof what, "conv3d backward-data shape %zu tile %d", t, bm);
            CT_COMPARE(what, got, ref, nin, TOL_R, TOL_R * rms_of(ref, nin), id);
        }

        /* weight gradient (+=) */
        conv3d_backward_cpu(NULL, dw_ref, NULL, dout, x, w, &s);
        const struct wgrad_geom gw = wgrad_geom_conv3d(c.N, c.C, c.D, c.H, c.W, c.OC, c.P);
        emulate_wgrad(&gw, dw_got, dout, x);
        snprintf(what, sizeof what, "conv3d weight gradient shape %zu", t);
        CT_COMPARE(what, dw_got, dw_ref, nw, TOL_R, TOL_R * rms_of(dw_ref, nw), NULL);
        free(x), free(w), free(b), free(dout), free(base), free(ref), free(got), free(dw_ref),
            free(dw_got);
    }
}

TEST(cuda_index_conv_transpose3d_passes)
{
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        const struct cshape c = shapes[t];
        struct conv3d_dims s;
        struct sarc_err e;
        REQUIRE_OK(conv_transpose3d_dims_init(&s, c.N, c.C, c.D, c.H, c.W, c.OC, &e), e);
        const int64_t nin = (int64_t)c.N * c.C * c.D * c.H * c.W;
        const int64_t nout = (int64_t)c.N * c.OC * s.OD * s.OH * s.OW, nw = (int64_t)c.OC * c.C * 27;
        float *x = ct_rand(nin, 101 + t, 1), *w = ct_rand(nw, 120 + t, 0.5), *b = ct_rand(c.OC, 140 + t, 1);
        float *dout = ct_rand(nout, 160 + t, 1), *base = ct_rand(nin, 180 + t, 1);
        const size_t nbig = (size_t)(nout > nin ? nout : nin);
        float *ref = malloc(sizeof(float) * nbig), *got = malloc(sizeof(float) * nbig);
        float *dw_ref = ct_rand(nw, 190 + t, 1), *dw_got = malloc(sizeof(float) * (size_t)nw);
        memcpy(dw_got, dw_ref, sizeof(float) * (size_t)nw);
        const int od[5] = {c.N, c.OC, s.OD, s.OH, s.OW}, id[5] = {c.N, c.C, c.D, c.H, c.W};
        char what[128];

        conv_transpose3d_forward_cpu(ref, x, w, b, &s);
        const struct conv_geom gf = conv_geom_convt_forward(c.N, c.C, c.D, c.H, c.W, c.OC);
        for (int bm = 16; bm <= CONV_BM; bm *= 2) {
            emulate_data_pass(&gf, got, x, w, b, 0, bm);
            snprintf(what, sizeof what, "conv_transpose3d forward shape %zu tile %d", t, bm);
            CT_COMPARE(what, got, ref, nout, TOL_R, TOL_R * rms_of(ref, nout), od);
        }

        memcpy(ref, base, sizeof(float) * (size_t)nin);
        conv_transpose3d_backward_cpu(ref, NULL, NULL, dout, x, w, &s);
        const struct conv_geom gb = conv_geom_convt_backward_data(c.N, c.C, c.D, c.H, c.W, c.OC);
        for (int bm = 16; bm <= CONV_BM; bm *= 2) {
            memcpy(got, base, sizeof(float) * (size_t)nin);
            emulate_data_pass(&gb, got, dout, w, NULL, 1, bm);
            snprintf(what, sizeof what, "conv_transpose3d backward-data shape %zu tile %d", t, bm);
            CT_COMPARE(what, got, ref, nin, TOL_R, TOL_R * rms_of(ref, nin), id);
        }

        conv_transpose3d_backward_cpu(NULL, dw_ref, NULL, dout, x, w, &s);
        const struct wgrad_geom gw = wgrad_geom_convt(c.N, c.C, c.D, c.H, c.W, c.OC);
        emulate_wgrad(&gw, dw_got, x, dout);
        snprintf(what, sizeof what, "conv_transpose3d weight gradient shape %zu", t);
        CT_COMPARE(what, dw_got, dw_ref, nw, TOL_R, TOL_R * rms_of(dw_ref, nw), NULL);
        free(x), free(w), free(b), free(dout), free(base), free(ref), free(got), free(dw_ref),
            free(dw_got);
    }
}

TEST(cuda_index_chunk_plans)
{
    /* wgrad chunks tile [0, K) exactly, have a length set by K alone (a multiple of the stage),
     * and there are at most 256 of them */
    const int Ns[] = {1, 2, 20};
    for (int a = 0; a < 3; a++)
        for (int d = 1; d <= 40; d += 13) {
            const struct wgrad_geom g = wgrad_geom_conv3d(Ns[a], 3, d + 2, 71, 142, 24, 0);
            const int64_t K = wgrad_k(&g), len = wgrad_chunk_len(&g), n = wgrad_chunks(&g);
            CHECK(len % CONV_BK == 0);
            CHECK(n >= 1 && n <= 256);
            CHECK(n * len >= K);
            CHECK((n - 1) * len < K);
        }
    /* the plan depends on K alone: the same K from two different shapes, same chunks */
    const struct wgrad_geom g1 = wgrad_geom_conv3d(2, 3, 18, 142, 142, 24, 1);
    const struct wgrad_geom g2 = wgrad_geom_conv3d(1, 48, 36, 142, 142, 7, 1);
    CHECK_INT(wgrad_k(&g1), wgrad_k(&g2));
    CHECK_INT(wgrad_chunk_len(&g1), wgrad_chunk_len(&g2));
    CHECK_INT(wgrad_chunks(&g1), wgrad_chunks(&g2));
    CHECK_INT(reduce_chunks(1), 1);
    CHECK_INT(reduce_chunks(REDUCE_CHUNK), 1);
    CHECK_INT(reduce_chunks(REDUCE_CHUNK + 1), 2);
    CHECK_INT(reduce_chunks(0), 1);
}

TEST(cuda_index_maxpool_gather)
{
    /* odd extents (a floor-cut margin), quantised values so that windows hold ties, and NaNs */
    const int NC = 3, D = 5, H = 4, W = 7;
    const int64_t in = (int64_t)D * H * W, on = (int64_t)(D / 2) * (H / 2) * (W / 2);
    float *x = ct_rand(NC * in, 300, 1), *dout = ct_rand(NC * on, 301, 1);
    for (int64_t i = 0; i < NC * in; i++)
        x[i] = (float)floor(x[i] * 2); /* values in {-2, -1, 0, 1}: many ties */
    x[5] = NAN;
    x[in + 1] = NAN;
    float *out = malloc(sizeof(float) * (size_t)(NC * on));
    int32_t *am = malloc(sizeof(int32_t) * (size_t)(NC * on));
    maxpool3d_forward_cpu(out, am, x, NC, D, H, W);
    float *ref = ct_rand(NC * in, 302, 1), *got = malloc(sizeof(float) * (size_t)(NC * in));
    memcpy(got, ref, sizeof(float) * (size_t)(NC * in));
    maxpool3d_backward_cpu(ref, dout, am, NC, D, H, W);
    /* the gather of cuda/maxpool3d.cu: each input element looks up its one window */
    for (int64_t i = 0; i < NC * in; i++) {
        const int64_t p = i / in, q = i - p * in;
        const int64_t wdx = maxpool_window_of(q, D, H, W);
        if (wdx >= 0 && am[p * on + wdx] == (int32_t)q)
            got[i] += dout[p * on + wdx];
    }
    CHECK(memcmp(got, ref, sizeof(float) * (size_t)(NC * in)) == 0);
    /* margin voxels (z = 4, y any, x = 6) belong to no window */
    CHECK_INT(maxpool_window_of((int64_t)4 * H * W, D, H, W), -1);
    CHECK_INT(maxpool_window_of(6, D, H, W), -1);
    CHECK_INT(maxpool_window_of((int64_t)1 * H * W + 1 * W + 5, D, H, W), 2);
    free(x), free(dout), free(out), free(am), free(ref), free(got);
}
