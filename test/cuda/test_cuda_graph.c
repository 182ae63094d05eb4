/* test_cuda_graph.c - the wiring of the device U-Net (nn/cuda_backend.c) proven on the CPU.
 *
 * In a CPU-only build (CUDA=0, and every SAN=1 build) this file compiles nn/cuda_backend.c a
 * second time with SARC_CUDA defined and its public functions renamed (fake_cuda_unet_*), and
 * links it against host-memory stand-ins of every launcher it calls, each implemented with the
 * CPU reference of its op (nn/conv3d.c, nn/conv_transpose3d.c, nn/maxpool3d.c, nn/eltwise.c,
 * nn/loss.c, nn/optim.c). Two training steps of a small U-Net through that graph must then
 * match nn/unet.c's own forward/backward and nn/optim.h's Adam: this checks every buffer size,
 * the concat order, the dropout sites and keys, the skip shares and the order of the backward,
 * without a GPU, for the U-Net with skips and for the no-skip variant. What it cannot check are
 * the kernels themselves (test_cuda_ops.c on a GPU).
 * In CUDA builds the real launchers are linked instead, so the case SKIPs there.
 * Tolerances: the reference convolutions sum in double, nn/unet.c's in float: losses and
 * step-1 gradients agree to 1e-5 relative (L2), weights after two Adam steps to 1e-3 (Adam turns
 * near-zero gradients into steps of about lr whatever their size). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test/harness.h"

#ifndef SARC_CUDA

#include "nn/conv3d.h"
#include "nn/conv_transpose3d.h"
#include "nn/eltwise.h"
#include "nn/loss.h"
#include "nn/maxpool3d.h"
#include "nn/optim.h"
#include "nn/unet.h"
#include "vendor/rng.h"

#define cuda_unet_init fake_cuda_unet_init
#define cuda_unet_free fake_cuda_unet_free
#define cuda_unet_nparams fake_cuda_unet_nparams
#define cuda_unet_params_set fake_cuda_unet_params_set
#define cuda_unet_params_get fake_cuda_unet_params_get
#define cuda_unet_grads_get fake_cuda_unet_grads_get
#define cuda_unet_forward fake_cuda_unet_forward
#define cuda_unet_train_step fake_cuda_unet_train_step
#define cuda_unet_backward fake_cuda_unet_backward
#define cuda_unet_adam_step fake_cuda_unet_adam_step
#define cuda_unet_state_set fake_cuda_unet_state_set
#define cuda_unet_state_get fake_cuda_unet_state_get
#define cuda_unet_ops fake_cuda_unet_ops
#define SARC_CUDA 1
#include "nn/cuda_backend.c"
#undef SARC_CUDA

/* ---- host stand-ins of the launchers (same contracts, CPU references) ---- */

int cuda_mem_alloc(void **p, size_t nbytes, struct sarc_err *e)
{
    *p = calloc(1, nbytes ? nbytes : 1);
    return *p ? 0 : ERR(e, SARC_ERR_NOMEM, "fake device: %zu bytes", nbytes);
}
void cuda_mem_free(void *p) { free(p); }
int cuda_mem_to_device(void *d, const void *s, size_t n, struct sarc_err *e)
{
    (void)e;
    memcpy(d, s, n);
    return 0;
}
int cuda_mem_to_host(void *d, const void *s, size_t n, struct sarc_err *e)
{
    (void)e;
    memcpy(d, s, n);
    return 0;
}
int cuda_mem_zero(void *p, size_t n, struct sarc_err *e)
{
    (void)e;
    memset(p, 0, n);
    return 0;
}
int cuda_mem_zero_async(void *p, size_t n, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx;
    return cuda_mem_zero(p, n, e);
}
int cuda_sync(const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    return 0;
}
size_t reduce_workspace_bytes_cuda(int64_t n) { return (size_t)n * 0 + 64; }
size_t conv3d_workspace_bytes_cuda(const struct conv3d_dims *s) { return (size_t)s->OC * 0 + 64; }
size_t conv_transpose3d_workspace_bytes_cuda(const struct conv3d_dims *s)
{
    return (size_t)s->OC * 0 + 64;
}
int conv3d_forward_cuda(float *out, const float *inp, const float *w, const float *b,
                        const struct conv3d_dims *s, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    conv3d_forward_cpu(out, inp, w, b, s);
    return 0;
}
int conv3d_backward_cuda(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                         const float *w, const struct conv3d_dims *s, const struct cuda_ctx *ctx,
                         struct sarc_err *e)
{
    (void)ctx, (void)e;
    conv3d_backward_cpu(dinp, dw, db, dout, inp, w, s);
    return 0;
}
int conv_transpose3d_forward_cuda(float *out, const float *inp, const float *w, const float *b,
                                  const struct conv3d_dims *s, const struct cuda_ctx *ctx,
                                  struct sarc_err *e)
{
    (void)ctx, (void)e;
    conv_transpose3d_forward_cpu(out, inp, w, b, s);
    return 0;
}
int conv_transpose3d_backward_cuda(float *dinp, float *dw, float *db, const float *dout,
                                   const float *inp, const float *w, const struct conv3d_dims *s,
                                   const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    conv_transpose3d_backward_cpu(dinp, dw, db, dout, inp, w, s);
    return 0;
}
int dropout_mask_unet_cuda(float *mask, int N, int C, float p, int train, uint64_t seed,
                           uint64_t step, int layer, int sample0, const struct cuda_ctx *ctx,
                           struct sarc_err *e)
{
    (void)ctx, (void)e;
    const float keep = 1.0f / (1.0f - p);
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            const uint64_t st = rng_stream(RNG_DROPOUT, step, (uint64_t)layer,
                                           (uint64_t)(sample0 + n) * (uint64_t)C + (uint64_t)c);
            mask[n * C + c] = !train || p <= 0.0f ? 1.0f : rng_uniformf(seed, st, 0) < p ? 0.0f : keep;
        }
    return 0;
}
int dropout_forward_cuda(float *out, const float *x, const float *mask, int64_t NC, int64_t S,
                         const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    dropout_forward_cpu(out, x, mask, NC, S);
    return 0;
}
int relu_drop_forward_cuda(float *y, const float *mask, int64_t NC, int64_t S,
                           const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    for (int64_t q = 0; q < NC; q++)
        for (int64_t i = 0; i < S; i++) {
            float *v = y + q * S + i;
            *v = *v > 0.0f ? *v * (mask ? mask[q] : 1.0f) : 0.0f;
        }
    return 0;
}
int relu_drop_backward_cuda(float *dy, const float *y, const float *mask, int64_t NC, int64_t S,
                            const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    for (int64_t q = 0; q < NC; q++)
        for (int64_t i = 0; i < S; i++)
            dy[q * S + i] = y[q * S + i] > 0.0f ? dy[q * S + i] * (mask ? mask[q] : 1.0f) : 0.0f;
    return 0;
}
int maxpool3d_forward_cuda(float *out, int32_t *am, const float *inp, int64_t NC, int D, int H,
                           int W, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    maxpool3d_forward_cpu(out, am, inp, NC, D, H, W);
    return 0;
}
int maxpool3d_backward_cuda(float *dinp, const float *dout, const int32_t *am, int64_t NC, int D,
                            int H, int W, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    maxpool3d_backward_cpu(dinp, dout, am, NC, D, H, W);
    return 0;
}
int upsample2x_forward_cuda(float *out, const float *inp, int64_t NC, int D, int H, int W,
                            const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    upsample2x_forward_cpu(out, inp, NC, D, H, W);
    return 0;
}
int upsample2x_backward_cuda(float *dinp, const float *dout, int64_t NC, int D, int H, int W,
                             const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    upsample2x_backward_cpu(dinp, dout, NC, D, H, W);
    return 0;
}
int concat_forward_cuda(float *out, const float *a, const float *b, int N, int Ca, int Cb,
                        int64_t S, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    concat_forward_cpu(out, a, b, N, Ca, Cb, S);
    return 0;
}
int concat_backward_cuda(float *da, float *db, const float *dout, int N, int Ca, int Cb,
                         int64_t S, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    concat_backward_cpu(da, db, dout, N, Ca, Cb, S);
    return 0;
}
int bce_logits_forward_cuda(float *loss, const float *x, const float *y, int64_t n,
                            const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    loss[0] = (float)bce_logits_forward_cpu(x, y, n);
    return 0;
}
int bce_logits_backward_cuda(float *dx, const float *dloss, const float *x, const float *y,
                             int64_t n, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    bce_logits_backward_cpu(dx, dloss[0], x, y, n);
    return 0;
}
int adam_step_cuda(struct nn_adam *a, float *block, int64_t n, const struct cuda_ctx *ctx,
                   struct sarc_err *e)
{
    (void)ctx;
    struct nn_params ps;
    memset(&ps, 0, sizeof ps);
    ps.block = block;
    ps.nvalues = n;
    return nn_adam_step(a, &ps, e);
}

/* Two training steps, inference and the split path of the graph with skips (skip 1, the paper)
 * or without (skip 0: dconv2/dconv3 on the upsampled decoder channels alone). */
static void graph_case(int skip)
{
    struct sarc_err e;
    struct unet_arch ar = unet_arch_paper(2);
    ar.skip = skip;
    ar.f[0] = 4, ar.f[1] = 6, ar.f[2] = 8;
    ar.patch[0] = 18, ar.patch[1] = 22, ar.patch[2] = 26;
    ar.dropout = 0.3f; /* several channels dropped at every site */
    const int N = 2;
    const uint64_t seed = 5;
    struct unet_params p;
    REQUIRE_OK(unet_params_alloc(&p, &ar, &e), e);
    unet_params_init(&p, seed);
    struct unet_work *w = NULL;
    REQUIRE_OK(unet_work_alloc(&w, &ar, 1, &e), e);
    struct cuda_unet *u = NULL;
    REQUIRE_OK(fake_cuda_unet_init(&u, &ar, N, 0, &e), e);
    CHECK_INT(fake_cuda_unet_nparams(u), p.n);
    REQUIRE_OK(fake_cuda_unet_params_set(u, p.data, &e), e);
    struct nn_params ps;
    nn_params_init(&ps);
    REQUIRE_OK(nn_params_add(&ps, "all", 1, (int[]){(int)p.n}, NN_INIT_ZEROS, 1, 1, NULL, &e), e);
    REQUIRE_OK(nn_params_alloc(&ps, &e), e);
    int so[3];
    unet_out_patch(&ar, so);
    const int64_t n0 = 18 * 22 * 26, n1 = (int64_t)so[0] * so[1] * so[2];
    float *x = malloc(sizeof(float) * (size_t)(N * 2 * n0)), *y = malloc(sizeof(float) * (size_t)(N * n1));
    float *dl = malloc(sizeof(float) * (size_t)n1), *gg = malloc(sizeof(float) * (size_t)p.n);
    float *wg = malloc(sizeof(float) * (size_t)p.n);
    struct nn_adam ac = nn_adam_default(1e-3), ag = ac;
    for (int s = 0; s < 2; s++) {
        for (int64_t i = 0; i < N * 2 * n0; i++)
            x[i] = (float)(4 * rng_uniform53(1, (uint64_t)s, (uint64_t)i) - 2);
        for (int64_t i = 0; i < N * n1; i++)
            y[i] = rng_uniform53(2, (uint64_t)s, (uint64_t)i) < 0.3 ? 1.0f : 0.0f;
        /* CPU: nn/unet.c per sample, mean BCE over the batch, nn/optim.h Adam */
        float *g = ps.block + p.n;
        memset(g, 0, sizeof(float) * (size_t)p.n);
        double lc = 0;
        for (int n = 0; n < N; n++) {
            const float *lg = unet_forward(&p, w, x + n * 2 * n0, 1, seed, (uint64_t)s, n);
            lc += bce_logits_forward_cpu(lg, y + n * n1, n1) / N;
            memset(dl, 0, sizeof(float) * (size_t)n1);
            bce_logits_backward_cpu(dl, 1.0 / N, lg, y + n * n1, n1);
            unet_backward(&p, w, dl, g);
        }
        memcpy(ps.block, p.data, sizeof(float) * (size_t)p.n);
        REQUIRE_OK(nn_adam_step(&ac, &ps, &e), e);
        memcpy(p.data, ps.block, sizeof(float) * (size_t)p.n);
        /* the device graph on the stand-ins */
        double lg = 0;
        REQUIRE_OK(fake_cuda_unet_train_step(u, x, y, N, seed, (uint64_t)s, &ag, &lg, &e), e);
        CHECK_CLOSE(lg, lc, 1e-5, 0);
        if (s == 0) {
            REQUIRE_OK(fake_cuda_unet_grads_get(u, gg, &e), e);
            const double r = test_rel_l2(gg, g, p.n);
            CHECK_MSG(r <= 1e-5, "step-1 gradients: relative L2 %.3g > 1e-5", r);
            for (int l = 0; l < UNET_NLAYERS; l++) {
                int tr, ci, co;
                unet_layer_dims(&ar, l, &tr, &ci, &co);
                const double rl = test_rel_l2(gg + p.woff[l], g + p.woff[l], (int64_t)ci * co * 27);
                const double rb = test_rel_l2(gg + p.boff[l], g + p.boff[l], co);
                CHECK_MSG(rl <= 1e-5 && rb <= 1e-5, "layer %s: weight gradient %.3g, bias %.3g",
                          unet_layer_names[l], rl, rb);
            }
        }
    }
    REQUIRE_OK(fake_cuda_unet_params_get(u, wg, &e), e);
    const double rw = test_rel_l2(wg, p.data, p.n);
    CHECK_MSG(rw <= 1e-3, "weights after 2 steps: relative L2 %.3g > 1e-3", rw);
    /* inference forward of the graph equals nn/unet.c's with dropout off */
    float *lgu = malloc(sizeof(float) * (size_t)(N * n1));
    REQUIRE_OK(fake_cuda_unet_params_set(u, p.data, &e), e);
    REQUIRE_OK(fake_cuda_unet_forward(u, x, N, 0, 0, 0, 0, lgu, &e), e);
    for (int n = 0; n < N; n++) {
        const float *lc = unet_forward(&p, w, x + n * 2 * n0, 0, 0, 0, n);
        CHECK_MSG(test_rel_l2(lgu + n * n1, lc, n1) <= 1e-5, "inference logits of sample %d", n);
    }
    /* the split path (forward, host loss gradient, backward, Adam) gives the fused step's
     * gradients: dlogit of the mean BCE computed on the host */
    {
        struct nn_adam a1 = nn_adam_default(1e-3), a2 = a1;
        float *g1 = malloc(sizeof(float) * (size_t)p.n), *g2 = malloc(sizeof(float) * (size_t)p.n);
        float *dlb = calloc((size_t)(N * n1), sizeof(float));
        double l1 = 0;
        REQUIRE_OK(fake_cuda_unet_params_set(u, p.data, &e), e);
        REQUIRE_OK(fake_cuda_unet_train_step(u, x, y, N, seed, 9, &a1, &l1, &e), e);
        REQUIRE_OK(fake_cuda_unet_grads_get(u, g1, &e), e);
        REQUIRE_OK(fake_cuda_unet_params_set(u, p.data, &e), e);
        REQUIRE_OK(fake_cuda_unet_forward(u, x, N, 1, seed, 9, 0, lgu, &e), e);
        bce_logits_backward_cpu(dlb, 1.0, lgu, y, N * n1);
        REQUIRE_OK(fake_cuda_unet_backward(u, dlb, N, &e), e);
        REQUIRE_OK(fake_cuda_unet_grads_get(u, g2, &e), e);
        CHECK(memcmp(g1, g2, sizeof(float) * (size_t)p.n) == 0);
        REQUIRE_OK(fake_cuda_unet_adam_step(u, &a2, &e), e);
        CHECK_INT(a2.t, 1);
        free(g1), free(g2), free(dlb);
    }
    CHECK_INT(fake_cuda_unet_train_step(u, x, y, N + 1, seed, 0, &ag, NULL, &e), SARC_ERR_RANGE);
    CHECK_INT(fake_cuda_unet_backward(u, lgu, 0, &e), SARC_ERR_RANGE);
    free(lgu), free(x), free(y), free(dl), free(gg), free(wg);
    fake_cuda_unet_free(u);
    nn_params_free(&ps);
    unet_work_free(w);
    unet_params_free(&p);
}

TEST(cuda_unet_graph_on_cpu)
{
    graph_case(1);
    if (!test_failed())
        graph_case(0);
}

#else

TEST(cuda_unet_graph_on_cpu)
{
    SKIP("runs in CPU-only builds (CUDA=0 or SAN=1): in CUDA builds the real launchers are "
         "linked; test/gpu/check.sh checks the graph on a GPU");
}

#endif
