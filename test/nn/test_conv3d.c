/* test_conv3d.c - the fast CPU convolution path (im2col tiles + our packed SGEMM) against the
 * reference loops, as a CUDA kernel would be tested (STYLE section 3): shapes with odd extents,
 * size-1 dimensions, channel counts that are not multiples of the 6x16 micro-tile, several
 * tiles and groups, 'valid', 'same' and transposed; then bit-identity for 1, 2 and 8 threads.
 * Tolerance: |fast - ref| <= 1e-4 * (1 + |ref|): the fast path sums in float (up to ~9000 terms
 * in the weight gradient here), the reference in double. Also the SGEMM against a double
 * reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/conv3d.h"
#include "nn/conv_transpose3d.h"
#include "nn/sgemm.h"
#include "test/harness.h"
#include "vendor/pool.h"
#include "vendor/rng.h"

static float *rand_buf(int64_t n, uint64_t stream, double scale)
{
    float *x = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)((2 * rng_uniform53(3, stream, (uint64_t)i) - 1) * scale);
    return x;
}

/* Element-wise check plus normalised MSE; reports the worst element with its (n, c, d, h, w)
 * index when dims (5 extents) is given, and the first few mismatches with both values. */
static void compare(const char *what, const float *a, const float *ref, int64_t n, double tol,
                    const int *dims)
{
    int64_t worst = -1, bad = 0;
    double werr = 0, se = 0, sr = 0;
    for (int64_t i = 0; i < n; i++) {
        const double d = fabs((double)a[i] - ref[i]);
        se += d * d;
        sr += (double)ref[i] * ref[i];
        if (!(d <= tol * (1 + fabs((double)ref[i])))) {
            if (bad < 3)
                fprintf(stderr, "    %s: mismatch at %lld: %.9g vs reference %.9g\n", what,
                        (long long)i, (double)a[i], (double)ref[i]);
            bad++;
            if (!(d <= werr)) {
                werr = d;
                worst = i;
            }
        }
    }
    if (bad) {
        char idx[96] = "";
        if (dims) {
            int64_t q = worst, c5[5];
            for (int k = 4; k >= 0; k--) {
                c5[k] = q % dims[k];
                q /= dims[k];
            }
            snprintf(idx, sizeof idx, " (n %lld, c %lld, d %lld, h %lld, w %lld)", (long long)c5[0],
                     (long long)c5[1], (long long)c5[2], (long long)c5[3], (long long)c5[4]);
        }
        test_fail_at(__FILE__, __LINE__, "%s: %lld of %lld elements off; worst at %lld%s: %.9g vs "
                     "reference %.9g", what, (long long)bad, (long long)n, (long long)worst, idx,
                     (double)a[worst], (double)ref[worst]);
    }
    CHECK_MSG(sr == 0 || se / sr < 1e-10, "%s: normalised MSE %.3g", what, se / sr);
}

struct conv_case {
    int N, C, D, H, W, OC, P, transposed;
};

static const struct conv_case conv_cases[] = {
    {2, 13, 9, 20, 37, 7, 0, 0},  /* valid, 12 tiles over 12 groups */
    {1, 5, 4, 7, 9, 13, 1, 0},    /* same, OC not a multiple of 6 */
    {3, 1, 1, 1, 5, 2, 1, 0},     /* size-1 extents */
    {2, 3, 3, 3, 3, 1, 0, 0},     /* 1x1x1 output */
    {1, 40, 6, 33, 17, 4, 0, 0},  /* large C: one row per tile */
    {2, 7, 3, 5, 4, 11, 0, 1},    /* transposed */
    {1, 2, 1, 1, 1, 3, 0, 1},     /* transposed from a single voxel */
    {1, 3, 2, 4, 100, 100, 0, 1}, /* transposed, wide rows: scatter chunks of 1 row (3 colours) */
    {1, 100, 3, 5, 102, 2, 0, 0}, /* backward-data through 1-row scatter chunks */
    {2, 40, 4, 40, 17, 4, 1, 0},  /* same, backward-data in 14-row chunks (2 colours) */
};

static void conv_run(const struct conv_case *c, struct pool *pool, int fast, float **out,
                     float **dx, float **dw, float **db, int64_t sizes[4], struct sarc_err *e)
{
    struct conv3d_dims s;
    int rc = c->transposed ? conv_transpose3d_dims_init(&s, c->N, c->C, c->D, c->H, c->W, c->OC, e)
                           : conv3d_dims_init(&s, c->N, c->C, c->D, c->H, c->W, c->OC, c->P, e);
    if (rc) {
        test_fail_at(__FILE__, __LINE__, "dims: %s", e->msg);
        return;
    }
    const int64_t nx = (int64_t)c->N * c->C * c->D * c->H * c->W;
    const int64_t nw = (int64_t)c->OC * c->C * 27;
    const int64_t no = (int64_t)c->N * c->OC * s.OD * s.OH * s.OW;
    sizes[0] = no;
    sizes[1] = nx;
    sizes[2] = nw;
    sizes[3] = c->OC;
    float *x = rand_buf(nx, 1, 1), *w = rand_buf(nw, 2, 0.3), *b = rand_buf(c->OC, 3, 1);
    float *dout = rand_buf(no, 4, 1);
    *out = calloc((size_t)no, sizeof(float));
    *dx = rand_buf(nx, 5, 1); /* backward accumulates: start from non-zero */
    *dw = rand_buf(nw, 6, 1);
    *db = rand_buf(c->OC, 7, 1);
    struct nn_arena scratch;
    nn_arena_init(&scratch);
    /* scratch as the tape uses it: not zeroed, and here full of NaN from an earlier user */
    scratch.no_zero = 1;
    float *junk = nn_arena_alloc(&scratch, (size_t)8 << 20, e);
    if (junk)
        for (size_t i = 0; i < ((size_t)2 << 20); i++)
            junk[i] = NAN;
    nn_arena_reset(&scratch);
    if (!fast && !c->transposed) {
        conv3d_forward_cpu(*out, x, w, b, &s);
        conv3d_backward_cpu(*dx, *dw, *db, dout, x, w, &s);
    } else if (!fast) {
        conv_transpose3d_forward_cpu(*out, x, w, b, &s);
        conv_transpose3d_backward_cpu(*dx, *dw, *db, dout, x, w, &s);
    } else if (!c->transposed) {
        CHECK_OK(conv3d_forward_fast(*out, x, w, b, &s, 0, pool, &scratch, e), *e);
        CHECK_OK(conv3d_backward_fast(*dx, *dw, *db, dout, x, w, &s, pool, &scratch, e), *e);
    } else {
        CHECK_OK(conv_transpose3d_forward_fast(*out, x, w, b, &s, pool, &scratch, e), *e);
        CHECK_OK(conv_transpose3d_backward_fast(*dx, *dw, *db, dout, x, w, &s, pool, &scratch, e), *e);
    }
    nn_arena_free(&scratch);
    free(x);
    free(w);
    free(b);
    free(dout);
}

TEST(nn_conv_fast_vs_reference)
{
    struct sarc_err e;
    for (size_t k = 0; k < sizeof conv_cases / sizeof conv_cases[0]; k++) {
        const struct conv_case *c = &conv_cases[k];
        float *r[4] = {0}, *f[4] = {0};
        int64_t n[4];
        conv_run(c, NULL, 0, &r[0], &r[1], &r[2], &r[3], n, &e);
        conv_run(c, pool_default(), 1, &f[0], &f[1], &f[2], &f[3], n, &e);
        static const char *names[4] = {"forward", "d input", "d weight", "d bias"};
        const int grow = c->transposed ? 2 : 2 * c->P - 2;
        const int dims[2][5] = {{c->N, c->OC, c->D + grow, c->H + grow, c->W + grow},
                                {c->N, c->C, c->D, c->H, c->W}};
        for (int i = 0; i < 4; i++) {
            char what[128];
            snprintf(what, sizeof what, "case %zu (%s, C %d OC %d) %s", k,
                     c->transposed ? "transposed" : c->P ? "same" : "valid", c->C, c->OC, names[i]);
            if (r[i] && f[i])
                compare(what, f[i], r[i], n[i], 1e-4, i < 2 ? dims[i] : NULL);
            free(r[i]);
            free(f[i]);
        }
    }
}

TEST(nn_conv_fast_threads_bit_identical)
{
    struct sarc_err e;
    const int threads[3] = {1, 2, 8};
    for (size_t k = 0; k < sizeof conv_cases / sizeof conv_cases[0]; k++) {
        float *f[3][4] = {{0}};
        int64_t n[4];
        for (int q = 0; q < 3; q++) {
            struct pool *p = pool_create(threads[q]);
            conv_run(&conv_cases[k], p, 1, &f[q][0], &f[q][1], &f[q][2], &f[q][3], n, &e);
            pool_free(p);
        }
        for (int q = 1; q < 3; q++)
            for (int i = 0; i < 4; i++)
                CHECK_MSG(memcmp(f[0][i], f[q][i], sizeof(float) * (size_t)n[i]) == 0,
                          "case %zu output %d differs between 1 and %d threads", k, i, threads[q]);
        for (int q = 0; q < 3; q++)
            for (int i = 0; i < 4; i++)
                free(f[q][i]);
    }
}

TEST(nn_conv_dims_errors)
{
    struct conv3d_dims s;
    struct sarc_err e;
    CHECK_INT(conv3d_dims_init(&s, 1, 1, 2, 5, 5, 1, 0, &e), SARC_ERR_RANGE);
    CHECK(strstr(e.msg, "too small") != NULL);
    CHECK_INT(conv3d_dims_init(&s, 1, 0, 5, 5, 5, 1, 0, &e), SARC_ERR_RANGE);
    CHECK_INT(conv3d_dims_init(&s, 1, 1, 5, 5, 5, 1, 3, &e), SARC_ERR_RANGE);
    CHECK_INT(conv3d_dims_init(&s, 1, 1, 1, 1, 1, 1, 1, &e), 0);
    CHECK_INT(s.OD, 1);
    CHECK_INT(conv_transpose3d_dims_init(&s, 1, 2, 1, 1, 1, 3, &e), 0);
    CHECK_INT(s.OW, 3);
}

TEST(nn_sgemm_vs_reference)
{
    const int dims[][3] = {{1, 1, 1}, {6, 16, 5}, {7, 17, 33}, {13, 100, 81}, {48, 37, 648}};
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++) {
        const int M = dims[k][0], N = dims[k][1], K = dims[k][2];
        float *a = rand_buf((int64_t)M * K, 10, 1), *b = rand_buf((int64_t)K * N, 11, 1);
        float *bt = malloc(sizeof(float) * (size_t)K * N);
        for (int i = 0; i < K; i++)
            for (int j = 0; j < N; j++)
                bt[(int64_t)j * K + i] = b[(int64_t)i * N + j];
        float *ap = malloc(sizeof(float) * (size_t)sgemm_pack_a_size(M, K));
        float *bp = malloc(sizeof(float) * (size_t)sgemm_pack_b_size(K, N));
        float *bp2 = malloc(sizeof(float) * (size_t)sgemm_pack_b_size(K, N));
        float *c = malloc(sizeof(float) * (size_t)M * N), *c2 = malloc(sizeof(float) * (size_t)M * N);
        float *ref = malloc(sizeof(float) * (size_t)M * N);
        sgemm_pack_a(ap, a, K, M, K);
        sgemm_pack_b(bp, b, N, K, N);
        sgemm_pack_bt(bp2, bt, K, K, N);
        CHECK(memcmp(bp, bp2, sizeof(float) * (size_t)sgemm_pack_b_size(K, N)) == 0);
        sgemm_packed(c, N, ap, bp, M, N, K, NULL, 0);
        sgemm_ref(ref, a, b, M, N, K);
        char what[64];
        snprintf(what, sizeof what, "sgemm %dx%dx%d", M, N, K);
        compare(what, c, ref, (int64_t)M * N, 1e-5, NULL);
        /* accumulate mode adds the same product again (exactly 2c with a single K block) */
        memcpy(c2, c, sizeof(float) * (size_t)M * N);
        sgemm_packed(c2, N, ap, bp, M, N, K, NULL, 1);
        for (int64_t i = 0; i < (int64_t)M * N; i++) {
            if (K <= SGEMM_KC)
                CHECK(c2[i] == c[i] + c[i]);
            else
                CHECK_CLOSE(c2[i], 2.0 * c[i], 1e-5, 1e-5);
        }
        free(a); free(b); free(bt); free(ap); free(bp); free(bp2); free(c); free(c2); free(ref);
    }
}

TEST(nn_conv_dims_overflow_refused)
{
    /* shapes whose row count would overflow the fast path's int indices are refused up front */
    struct conv3d_dims s;
    struct sarc_err e;
    CHECK_INT(conv3d_dims_init(&s, 1 << 10, 1, 1 << 12, 1 << 12, 3, 1, 0, &e), SARC_ERR_RANGE);
    CHECK_INT(conv_transpose3d_dims_init(&s, 1 << 10, 1, 1 << 12, 1 << 12, 3, 1, &e), SARC_ERR_RANGE);
    CHECK_INT(conv3d_scatter_fast(NULL, NULL, NULL, NULL, 1 << 10, 1, 1 << 12, 1 << 12, 3, 1, 0, 0,
                                  NULL, NULL, &e), SARC_ERR_RANGE);
}
