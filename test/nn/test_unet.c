/* test_unet.c - the U-Net (nn/unet.c, on the tensor engine whose kernels test_conv3d.c and
 * test_ops_torch.c cover): the pooling conventions it relies on, the paper's shapes
 * (18,142,142 -> 16,140,140), backward against central finite differences (skip and no-skip), bit identity across thread
 * counts, Adam against a hand computation. */
#include <stdlib.h>
#include <string.h>

#include "nn/maxpool3d.h"
#include "nn/unet.h"
#include "test/harness.h"
#include "vendor/pool.h"
#include "vendor/rng.h"

static void fill(float *x, int64_t n, uint64_t stream)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)(2.0 * rng_uniform(7, stream, (uint64_t)i) - 1.0);
}

TEST(unet_pool_up_exact)
{
    /* the engine's pooling and upsampling as the U-Net uses them (nn/maxpool3d.h): 1 channel
     * 2x2x3 (W odd: floor), hand-made with a tie; the first maximum in scan order gets the
     * gradient */
    const float in[12] = {1, 5, 9, 2, 5, 0, 3, 4, 0, 5, 1, 7};
    float out[1], din[12] = {0}, up[8], dup[1] = {0};
    int32_t arg[1];
    maxpool3d_forward_cpu(out, arg, in, 1, 2, 2, 3);
    CHECK(out[0] == 5.0f);
    const float g = 2.5f;
    maxpool3d_backward_cpu(din, &g, arg, 1, 2, 2, 3);
    for (int i = 0; i < 12; i++)
        CHECK(din[i] == (i == 1 ? 2.5f : 0.0f)); /* first maximum in scan order */
    const float one = 3.0f;
    upsample2x_forward_cpu(up, &one, 1, 1, 1, 1);
    for (int i = 0; i < 8; i++)
        CHECK(up[i] == 3.0f);
    for (int i = 0; i < 8; i++)
        up[i] = (float)i;
    upsample2x_backward_cpu(dup, up, 1, 1, 1, 1);
    CHECK(dup[0] == 28.0f);
}

TEST(unet_paper_shapes)
{
    struct sarc_err e = {0};
    struct unet_arch a = unet_arch_paper(3);
    int out[3];
    unet_out_patch(&a, out);
    CHECK_INT(out[0], 16);
    CHECK_INT(out[1], 140);
    CHECK_INT(out[2], 140);
    struct unet_params p;
    REQUIRE_OK(unet_params_alloc(&p, &a, &e), e);
    /* parameter count of the paper's network with 3 channels (hand sum: 27*(3*24 + 24*48 + 48*64 +
     * 64*64 + 112*48 + 72*24 + 24*1) + 24 + 48 + 64 + 64 + 48 + 24 + 1) */
    CHECK_INT(p.n, 27 * (3 * 24 + 24 * 48 + 48 * 64 + 64 * 64 + 112 * 48 + 72 * 24 + 24) + 273);
    unet_params_free(&p);
    /* run the full-size path with one filter per layer (the extents do not depend on filters) */
    a.cin = 1;
    a.f[0] = a.f[1] = a.f[2] = 1;
    REQUIRE_OK(unet_params_alloc(&p, &a, &e), e);
    unet_params_init(&p, 1);
    struct unet_work *w = NULL;
    REQUIRE_OK(unet_work_alloc(&w, &a, 0, &e), e);
    const int64_t n = 18 * 142 * 142;
    float *x = malloc(sizeof(float) * n);
    REQUIRE(x);
    fill(x, n, 9);
    const float *lg = unet_forward(&p, w, x, 0, 0, 0, 0);
    int finite = 1;
    for (int64_t i = 0; i < 16 * 140 * 140; i++)
        finite &= isfinite(lg[i]) != 0;
    CHECK(finite);
    free(x);
    unet_work_free(w);
    unet_params_free(&p);
    /* bad patch extents are refused */
    a.patch[2] = 20;
    CHECK(unet_params_alloc(&p, &a, &e) == SARC_ERR_RANGE);
    a.patch[2] = 14;
    CHECK(unet_arch_check(&a, &e) == SARC_ERR_RANGE);
}

/* L = sum r * logits for a tiny network; analytic gradient vs central differences. */
static void check_fd(int skip)
{
    struct sarc_err e = {0};
    struct unet_arch a = {2, {2, 3, 2}, skip, {18, 18, 22}, 0.25f};
    struct unet_params p;
    REQUIRE_OK(unet_params_alloc(&p, &a, &e), e);
    unet_params_init(&p, 5);
    for (int64_t i = 0; i < p.n; i++) /* non-zero biases too */
        p.data[i] += 0.05f * (float)(rng_uniform(3, 77, (uint64_t)i) - 0.5);
    struct unet_work *w = NULL;
    REQUIRE_OK(unet_work_alloc(&w, &a, 1, &e), e);
    const int64_t nx = 2 * 18 * 18 * 22, no = 16 * 16 * 20;
    float *x = malloc(sizeof(float) * nx), *r = malloc(sizeof(float) * no), *g = calloc((size_t)p.n, sizeof(float));
    REQUIRE(x && r && g);
    fill(x, nx, 11);
    fill(r, no, 12);
    unet_forward(&p, w, x, 1, 99, 3, 1);
    unet_backward(&p, w, r, g);
    double gmax = 0;
    for (int64_t i = 0; i < p.n; i++)
        gmax = fmax(gmax, fabs(g[i]));
    int checked = 0, bad = 0;
    for (int l = 0; l < UNET_NLAYERS; l++) {
        const int64_t cand[4] = {p.woff[l], p.woff[l] + 13, p.boff[l] - 1, p.boff[l]};
        for (int j = 0; j < 4; j++) {
            const int64_t i = cand[j];
            /* h small: with larger steps ReLU and max-pool kinks are crossed (seen at 1e-2, 1e-3) */
            const float orig = p.data[i], h = 1e-4f;
            double lp = 0, lm = 0;
            p.data[i] = orig + h;
            const float *lg = unet_forward(&p, w, x, 1, 99, 3, 1);
            for (int64_t k = 0; k < no; k++)
                lp += (double)r[k] * lg[k];
            p.data[i] = orig - h;
            lg = unet_forward(&p, w, x, 1, 99, 3, 1);
            for (int64_t k = 0; k < no; k++)
                lm += (double)r[k] * lg[k];
            p.data[i] = orig;
            const double fd = (lp - lm) / (2.0 * h);
            checked++;
            if (fabs(fd - g[i]) > 0.03 * fabs(fd) + 2e-3 * gmax) {
                bad++;
                test_fail_at(__FILE__, __LINE__, "skip=%d %s param %lld: analytic %g, finite difference %g",
                             skip, unet_layer_names[l], (long long)(i - p.woff[l]), (double)g[i], fd);
            }
        }
    }
    CHECK_INT(checked, 28);
    CHECK(gmax > 0);
    free(x), free(r), free(g);
    unet_work_free(w);
    unet_params_free(&p);
}

TEST(unet_backward_finite_differences) { check_fd(1); }
TEST(unet_backward_finite_differences_noskip) { check_fd(0); }

TEST(unet_threads_bit_identical)
{
    struct sarc_err e = {0};
    struct unet_arch a = {3, {4, 8, 8}, 1, {18, 22, 26}, 0.1f};
    struct unet_params p;
    REQUIRE_OK(unet_params_alloc(&p, &a, &e), e);
    unet_params_init(&p, 8);
    struct unet_work *w = NULL;
    REQUIRE_OK(unet_work_alloc(&w, &a, 1, &e), e);
    const int64_t nx = 3 * 18 * 22 * 26, no = 16 * 20 * 24;
    float *x = malloc(sizeof(float) * nx), *r = malloc(sizeof(float) * no);
    float *g1 = calloc((size_t)p.n, sizeof(float)), *g3 = calloc((size_t)p.n, sizeof(float)), *o1 = malloc(sizeof(float) * no);
    REQUIRE(x && r && g1 && g3 && o1);
    fill(x, nx, 21);
    fill(r, no, 22);
    REQUIRE(pool_set_default_threads(1) == 0);
    memcpy(o1, unet_forward(&p, w, x, 1, 5, 1, 0), sizeof(float) * no);
    unet_backward(&p, w, r, g1);
    REQUIRE(pool_set_default_threads(3) == 0);
    const float *o3 = unet_forward(&p, w, x, 1, 5, 1, 0);
    CHECK(memcmp(o1, o3, sizeof(float) * no) == 0);
    unet_backward(&p, w, r, g3);
    CHECK(memcmp(g1, g3, sizeof(float) * p.n) == 0);
    pool_set_default_threads(0);
    free(x), free(r), free(g1), free(g3), free(o1);
    unet_work_free(w);
    unet_params_free(&p);
}

TEST(unet_adam_hand)
{
    struct sarc_err e = {0};
    struct unet_adam o;
    REQUIRE_OK(unet_adam_init(&o, 1, 0.1, &e), e);
    float p = 1.0f;
    const float g = 0.5f;
    unet_adam_step(&o, &p, &g, 1);
    /* t=1: m = 0.05, v = 0.00025, lr_t = 0.1 sqrt(0.001)/0.1; step = lr_t m / (sqrt v + 1e-7) */
    const double lr_t = 0.1 * sqrt(1 - 0.999) / (1 - 0.9);
    CHECK_CLOSE(p, 1.0 - lr_t * 0.05 / (sqrt(0.00025) + 1e-7), 1e-6, 1e-7);
    unet_adam_free(&o);
}

/* The same integer formula as test/oracles/unet_forward.py. */
static float oracle_val(int64_t i, int salt)
{
    return (float)((double)(((i * 7919 + (int64_t)salt * 104729) % 2001) - 1000) / 4000.0);
}

TEST(unet_forward_pytorch_golden)
{
    FILE *f = fopen("test/golden/unet/forward.txt", "r");
    REQUIRE_MSG(f, "cannot open test/golden/unet/forward.txt");
    char line[16384];
    int variants = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        int skip;
        double sum;
        int off = 0;
        REQUIRE(sscanf(line, "skip %d sum %lf values%n", &skip, &sum, &off) == 2 && off > 0);
        struct sarc_err e = {0};
        struct unet_arch a = {2, {2, 3, 4}, skip, {18, 18, 22}, 0.1f};
        struct unet_params p;
        REQUIRE_OK(unet_params_alloc(&p, &a, &e), e);
        for (int l = 0; l < UNET_NLAYERS; l++) {
            int tr, ci, co;
            unet_layer_dims(&a, l, &tr, &ci, &co);
            for (int64_t i = 0; i < (int64_t)27 * ci * co; i++)
                p.data[p.woff[l] + i] = oracle_val(i, 2 * l + 1);
            for (int i = 0; i < co; i++)
                p.data[p.boff[l] + i] = oracle_val(i, 2 * l + 2) * 0.25f;
        }
        struct unet_work *w = NULL;
        REQUIRE_OK(unet_work_alloc(&w, &a, 0, &e), e);
        const int64_t nx = 2 * 18 * 18 * 22, no = 16 * 16 * 20;
        float *x = malloc(sizeof(float) * nx);
        REQUIRE(x);
        for (int64_t i = 0; i < nx; i++)
            x[i] = oracle_val(i, 99) * 4.0f;
        const float *lg = unet_forward(&p, w, x, 0, 0, 0, 0);
        double s = 0, worst = 0;
        for (int64_t i = 0; i < no; i++)
            s += lg[i];
        char *q = line + off;
        for (int k = 0; k < 64; k++) {
            const double want = strtod(q, &q);
            const double err = fabs(lg[(k * 37) % no] - want) / (1.0 + fabs(want));
            worst = fmax(worst, err);
        }
        /* float32 sums of up to 27 * 6 terms per layer, 7 layers, values of order 1 */
        CHECK_MSG(worst < 1e-5, "skip=%d worst relative error %g vs PyTorch", skip, worst);
        CHECK_CLOSE(s, sum, 1e-5, 1e-3);
        free(x);
        unet_work_free(w);
        unet_params_free(&p);
        variants++;
    }
    fclose(f);
    CHECK_INT(variants, 2);
}
