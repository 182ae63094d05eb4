/* test_cuda_index.c - the index and tiling arithmetic of the CUDA kernels (cuda/index.h),
 * proven on the CPU (no GPU needed): each of the six convolution passes (conv3d forward,
 * backward-data, weight gradient; conv_transpose3d forward, backward-data, weight gradient) is
 * computed here by walking the kernels' tiles (CONV_BM x CONV_BN output tiles, CONV_BK
 * reduction stages, wgrad chunks) through exactly the index functions the kernels call, and
 * compared with the reference loops of nn/conv3d.c and nn/conv_transpose3d.c. Sums are in double
 * here, so the tolerance (1e-10 relative + 1e-12) only absorbs the reference's different double
 * summation order: an index error shows as an O(1) difference. Shapes: odd extents, size-1
 * extents, 'valid', 'same', 'full', batch 1 and 2, more than one 64-row tile of channels,
 * column counts no tile divides. Also the max-pool gather rule (bit-exact against
 * maxpool3d_backward_cpu, with ties and odd extents) and the chunk plans. */
#include <string.h>

#include "cuda/index.h"
#include "nn/conv3d.h"
#include "nn/conv_transpose3d.h"
#include "nn/maxpool3d.h"
#include "test/cuda/cuda_test_util.h"
#include "test/harness.h"

#define TOL_R 1e-10
#define TOL_A 1e-12

/* out (=|+=) pass(in, w) + bias, walking the data kernel's tiles and stages. */
static void emulate_data_pass(const struct conv_geom *g, float *out, const float *in,
                              const float *w, const float *bias, int accumulate)
{
    const int64_t cols = conv_geom_cols(g);
    const int K = conv_geom_k(g);
    for (int64_t col0 = 0; col0 < cols; col0 += CONV_BN)
        for (int row0 = 0; row0 < g->OC; row0 += CONV_BM)
            for (int tn = 0; tn < CONV_BN; tn++) {
                const int64_t col = col0 + tn;
                if (col >= cols)
                    continue;
                const struct conv_col q = conv_col_decode(g, col);
                for (int tm = 0; tm < CONV_BM; tm++) {
                    const int o = row0 + tm;
                    if (o >= g->OC)
                        continue;
                    double acc = 0;
                    for (int k0 = 0; k0 < K; k0 += CONV_BK)
                        for (int kr = 0; kr < CONV_BK; kr++) {
                            const int kk = k0 + kr;
                            if (kk >= K)
                                continue;
                            const int64_t ii = conv_col_in(g, &q, kk);
                            if (ii >= 0)
                                acc += (double)w[conv_geom_w(g, o, kk)] * in[ii];
                        }
                    const int64_t oi = conv_col_out(g, &q, o);
                    if (accumulate)
                        out[oi] += (float)acc;
                    else
                        out[oi] = (float)(acc + (bias ? bias[o] : 0.0));
                }
            }
}

/* dw += weight gradient, walking the wgrad kernel's chunks, tiles and stages; partials per
 * chunk summed in chunk order. */
static void emulate_wgrad(const struct wgrad_geom *g, float *dw, const float *G, const float *X)
{
    const int M = g->GC, NC = wgrad_cols(g);
    const int64_t K = wgrad_k(g), len = wgrad_chunk_len(g), nch = wgrad_chunks(g);
    double *part = calloc((size_t)(nch * M * NC), sizeof(double));
    for (int64_t ch = 0; ch < nch; ch++) {
        const int64_t kb = ch * len, ke = kb + len < K ? kb + len : K;
        for (int64_t k0 = kb; k0 < ke; k0 += CONV_BK)
            for (int kl = 0; kl < CONV_BK; kl++) {
                const int64_t kv = k0 + kl;
                if (kv >= ke)
                    continue;
                const struct wgrad_row q = wgrad_row_decode(g, kv);
                for (int m = 0; m < M; m++) {
                    const double a = G[wgrad_row_g(g, &q, m)];
                    for (int n = 0; n < NC; n++) {
                        const int64_t xi = wgrad_row_x(g, &q, n);
                        if (xi >= 0)
                            part[(ch * M + m) * NC + n] += a * X[xi];
                    }
                }
            }
    }
    for (int64_t i = 0; i < (int64_t)M * NC; i++) {
        double s = 0;
        for (int64_t ch = 0; ch < nch; ch++)
            s += part[ch * M * NC + i];
        dw[i] += (float)s;
    }
    free(part);
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
        char what[96];

        /* forward */
        conv3d_forward_cpu(ref, x, w, b, &s);
        const struct conv_geom gf = conv_geom_conv3d_forward(c.N, c.C, c.D, c.H, c.W, c.OC, c.P);
        CHECK_INT(gf.OD, s.OD);
        emulate_data_pass(&gf, got, x, w, b, 0);
        snprintf(what, sizeof what, "conv3d forward shape %zu", t);
        CT_COMPARE(what, got, ref, nout, TOL_R, TOL_A, od);

        /* backward-data: dinp += on top of a non-zero base */
        memcpy(ref, base, sizeof(float) * (size_t)nin);
        memcpy(got, base, sizeof(float) * (size_t)nin);
        conv3d_backward_cpu(ref, NULL, NULL, dout, x, w, &s);
        const struct conv_geom gb =
            conv_geom_conv3d_backward_data(c.N, c.C, c.D, c.H, c.W, c.OC, c.P);
        emulate_data_pass(&gb, got, dout, w, NULL, 1);
        snprintf(what, sizeof what, "conv3d backward-data shape %zu", t);
        CT_COMPARE(what, got, ref, nin, TOL_R, TOL_A, id);

        /* weight gradient (+=) */
        conv3d_backward_cpu(NULL, dw_ref, NULL, dout, x, w, &s);
        const struct wgrad_geom gw = wgrad_geom_conv3d(c.N, c.C, c.D, c.H, c.W, c.OC, c.P);
        emulate_wgrad(&gw, dw_got, dout, x);
        snprintf(what, sizeof what, "conv3d weight gradient shape %zu", t);
        CT_COMPARE(what, dw_got, dw_ref, nw, TOL_R, TOL_A, NULL);
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
        char what[96];

        conv_transpose3d_forward_cpu(ref, x, w, b, &s);
        const struct conv_geom gf = conv_geom_convt_forward(c.N, c.C, c.D, c.H, c.W, c.OC);
        emulate_data_pass(&gf, got, x, w, b, 0);
        snprintf(what, sizeof what, "conv_transpose3d forward shape %zu", t);
        CT_COMPARE(what, got, ref, nout, TOL_R, TOL_A, od);

        memcpy(ref, base, sizeof(float) * (size_t)nin);
        memcpy(got, base, sizeof(float) * (size_t)nin);
        conv_transpose3d_backward_cpu(ref, NULL, NULL, dout, x, w, &s);
        const struct conv_geom gb = conv_geom_convt_backward_data(c.N, c.C, c.D, c.H, c.W, c.OC);
        emulate_data_pass(&gb, got, dout, w, NULL, 1);
        snprintf(what, sizeof what, "conv_transpose3d backward-data shape %zu", t);
        CT_COMPARE(what, got, ref, nin, TOL_R, TOL_A, id);

        conv_transpose3d_backward_cpu(NULL, dw_ref, NULL, dout, x, w, &s);
        const struct wgrad_geom gw = wgrad_geom_convt(c.N, c.C, c.D, c.H, c.W, c.OC);
        emulate_wgrad(&gw, dw_got, x, dout);
        snprintf(what, sizeof what, "conv_transpose3d weight gradient shape %zu", t);
        CT_COMPARE(what, dw_got, dw_ref, nw, TOL_R, TOL_A, NULL);
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
