/* test_cuda_ops.c - every CUDA op against its CPU reference (STYLE section 3), on a GPU:
 * conv3d and conv_transpose3d forward / backward-data / weight+bias gradients (FP32 and TF32),
 * max-pool + gather backward, nearest upsampling, concat, ReLU, sigmoid, add/mul/scale, spatial
 * dropout (masks drawn on the device must equal the CPU's), sum/mean, BCE-with-logits and soft
 * Dice with gradients, Adam (both forms) and SGD; then run-to-run bit identity.
 * Inputs come from the counter-based RNG; shapes have odd extents, size-1 extents, 'valid',
 * 'same', 'full', channel counts that are not multiples of 64 and more than one channel tile.
 * Without a GPU (or in a CPU-only build) every case SKIPs with the reason; the argument checks
 * of the launchers and the "no device" error path still run in a CUDA build without a GPU
 * (cuda_errors). test/gpu/check.sh runs these cases (`sarc_test cuda_`) and collects the
 * "measured:" lines they print.
 * Tolerances (each with its reason):
 *  - conv FP32: |gpu - ref| <= 1e-4 * |ref| + 1e-4 * rms(ref): the kernel sums up to C*27 (data
 *    passes) or 2048-voxel chunks (weights) in float, the reference in double; a result that
 *    cancels to near zero carries the absolute error of its terms, whose size is ~rms(ref).
 *  - conv TF32: 1e-2 * |ref| + 1e-2 * rms(ref): operands rounded to 10 mantissa bits (unit
 *    roundoff 2^-11 ~ 4.9e-4) before FP32 accumulation; the measured value is printed.
 *  - sigmoid, BCE, sums: 1e-6 relative: device exp/log1p differ from glibc's by about an ulp in
 *    double and the tree order differs from the CPU's serial order; both vanish when rounded to
 *    float in all but rare cases.
 *  - everything else: bit-identical (same operations in the same order; _rn intrinsics stop
 *    FMA contraction). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/conv3d.h"
#include "nn/conv_transpose3d.h"
#include "nn/device.h"
#include "nn/eltwise.h"
#include "nn/loss.h"
#include "nn/maxpool3d.h"
#include "nn/optim.h"
#include "nn/tape.h"
#include "test/cuda/cuda_test_util.h"
#include "test/harness.h"

#ifdef SARC_CUDA
#include "cuda/conv3d.h"
#include "cuda/conv_transpose3d.h"
#include "cuda/cuda_common.h"
#include "cuda/eltwise.h"
#include "cuda/loss.h"
#include "cuda/maxpool3d.h"
#include "cuda/optim.h"

/* ---- device buffers of one test case, freed together ---- */
static void *dev_list[128];
static int dev_count;

static void dev_free_all(void)
{
    for (int i = 0; i < dev_count; i++)
        cuda_mem_free(dev_list[i]);
    dev_count = 0;
}

/* A device copy of n floats of h (h NULL: zeroed); NULL on failure (recorded as a failure). */
static void *dev_bytes(const void *h, size_t nbytes)
{
    struct sarc_err e;
    void *d = NULL;
    if (dev_count == 128 || cuda_mem_alloc(&d, nbytes ? nbytes : 4, &e) != 0) {
        test_fail_at(__FILE__, __LINE__, "device allocation of %zu bytes failed", nbytes);
        return NULL;
    }
    dev_list[dev_count++] = d;
    int rc = h ? cuda_mem_to_device(d, h, nbytes, &e) : cuda_mem_zero(d, nbytes ? nbytes : 4, &e);
    if (rc) {
        test_fail_at(__FILE__, __LINE__, "copy to device failed: %s", e.msg);
        return NULL;
    }
    return d;
}
static float *dev_f(const float *h, int64_t n) { return dev_bytes(h, sizeof(float) * (size_t)n); }

/* Host copy of n floats of device d into a new malloc'ed buffer. */
static float *host_f(const float *d, int64_t n)
{
    struct sarc_err e;
    float *h = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (cuda_mem_to_host(h, d, sizeof(float) * (size_t)n, &e) != 0)
        test_fail_at(__FILE__, __LINE__, "copy to host failed: %s", e.msg);
    return h;
}

static double rms(const float *x, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return sqrt(s / (double)(n > 0 ? n : 1));
}

static float *copy_f(const float *x, int64_t n)
{
    float *y = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    memcpy(y, x, sizeof(float) * (size_t)n);
    return y;
}

/* A context with a workspace of nbytes. */
static struct cuda_ctx ctx_with(size_t nbytes)
{
    struct cuda_ctx c = {NULL, NULL, 0, 0};
    c.ws = dev_bytes(NULL, nbytes);
    c.ws_bytes = c.ws ? nbytes : 0;
    return c;
}

struct cshape {
    int N, C, D, H, W, OC, P;
};
static const struct cshape conv_shapes[] = {
    {1, 1, 3, 3, 3, 1, 0},     {2, 3, 5, 4, 7, 5, 0},    {1, 2, 1, 6, 5, 3, 1},
    {2, 3, 4, 5, 3, 70, 1},    {1, 70, 3, 4, 5, 2, 1},   {1, 2, 2, 3, 4, 3, 2},
    {2, 24, 6, 20, 21, 48, 0}, /* a U-Net-like layer: several column tiles, K = 648 */
};
#define NSHAPES (int)(sizeof conv_shapes / sizeof conv_shapes[0])

/* One convolution (transposed 0/1) on one shape: forward, backward-data (+= on a base),
 * weight and bias gradients (+= on a base), GPU vs CPU reference. Returns the largest error
 * relative to (|ref| + rms) seen in *worst. */
static void conv_case(int transposed, const struct cshape *c, int tf32, double rt, double *worst,
                      const char *tag)
{
    struct conv3d_dims s;
    struct sarc_err e;
    int rc = transposed ? conv_transpose3d_dims_init(&s, c->N, c->C, c->D, c->H, c->W, c->OC, &e)
                        : conv3d_dims_init(&s, c->N, c->C, c->D, c->H, c->W, c->OC, c->P, &e);
    if (rc) {
        test_fail_at(__FILE__, __LINE__, "dims: %s", e.msg);
        return;
    }
    const int64_t nin = (int64_t)c->N * c->C * c->D * c->H * c->W;
    const int64_t nout = (int64_t)c->N * c->OC * s.OD * s.OH * s.OW, nw = (int64_t)c->OC * c->C * 27;
    float *x = ct_rand(nin, 1, 1), *w = ct_rand(nw, 2, 0.5), *b = ct_rand(c->OC, 3, 1);
    float *dout = ct_rand(nout, 4, 1), *dx0 = ct_rand(nin, 5, 1), *dw0 = ct_rand(nw, 6, 1);
    float *db0 = ct_rand(c->OC, 7, 1);
    float *ref = malloc(sizeof(float) * (size_t)nout), *dx = copy_f(dx0, nin);
    float *dw = copy_f(dw0, nw), *db = copy_f(db0, c->OC);
    if (transposed) {
        conv_transpose3d_forward_cpu(ref, x, w, b, &s);
        conv_transpose3d_backward_cpu(dx, dw, db, dout, x, w, &s);
    } else {
        conv3d_forward_cpu(ref, x, w, b, &s);
        conv3d_backward_cpu(dx, dw, db, dout, x, w, &s);
    }
    const size_t wsb = transposed ? conv_transpose3d_workspace_bytes_cuda(&s)
                                  : conv3d_workspace_bytes_cuda(&s);
    struct cuda_ctx ctx = ctx_with(wsb);
    ctx.tf32 = tf32;
    float *x_gpu = dev_f(x, nin), *w_gpu = dev_f(w, nw), *b_gpu = dev_f(b, c->OC);
    float *dout_gpu = dev_f(dout, nout), *out_gpu = dev_f(NULL, nout), *dx_gpu = dev_f(dx0, nin);
    float *dw_gpu = dev_f(dw0, nw), *db_gpu = dev_f(db0, c->OC);
    if (!x_gpu || !w_gpu || !b_gpu || !dout_gpu || !out_gpu || !dx_gpu || !dw_gpu || !db_gpu)
        goto done;
    if (transposed) {
        rc = conv_transpose3d_forward_cuda(out_gpu, x_gpu, w_gpu, b_gpu, &s, &ctx, &e);
        if (!rc && !tf32)
            rc = conv_transpose3d_backward_cuda(dx_gpu, dw_gpu, db_gpu, dout_gpu, x_gpu, w_gpu,
                                                &s, &ctx, &e);
    } else {
        rc = conv3d_forward_cuda(out_gpu, x_gpu, w_gpu, b_gpu, &s, &ctx, &e);
        if (!rc && !tf32)
            rc = conv3d_backward_cuda(dx_gpu, dw_gpu, db_gpu, dout_gpu, x_gpu, w_gpu, &s, &ctx, &e);
    }
    if (!rc)
        rc = cuda_sync(&ctx, &e);
    if (rc) {
        test_fail_at(__FILE__, __LINE__, "%s: %s", tag, e.msg);
        goto done;
    }
    {
        const int od[5] = {c->N, c->OC, s.OD, s.OH, s.OW}, id[5] = {c->N, c->C, c->D, c->H, c->W};
        char what[128];
        float *got = host_f(out_gpu, nout);
        snprintf(what, sizeof what, "%s forward", tag);
        double m = CT_COMPARE(what, got, ref, nout, rt, rt * rms(ref, nout), od);
        if (m > *worst)
            *worst = m;
        free(got);
        if (!tf32) {
            float *gx = host_f(dx_gpu, nin), *gw = host_f(dw_gpu, nw), *gb = host_f(db_gpu, c->OC);
            snprintf(what, sizeof what, "%s backward-data", tag);
            m = CT_COMPARE(what, gx, dx, nin, rt, rt * rms(dx, nin), id);
            *worst = m > *worst ? m : *worst;
            snprintf(what, sizeof what, "%s weight gradient", tag);
            m = CT_COMPARE(what, gw, dw, nw, rt, rt * rms(dw, nw), NULL);
            *worst = m > *worst ? m : *worst;
            snprintf(what, sizeof what, "%s bias gradient", tag);
            m = CT_COMPARE(what, gb, db, c->OC, rt, rt * rms(db, c->OC), NULL);
            *worst = m > *worst ? m : *worst;
            free(gx), free(gw), free(gb);
        }
    }
done:
    dev_free_all();
    free(x), free(w), free(b), free(dout), free(dx0), free(dw0), free(db0), free(ref), free(dx),
        free(dw), free(db);
}

static void run_conv(int transposed)
{
    double worst = 0;
    for (int t = 0; t < NSHAPES; t++) {
        char tag[64];
        snprintf(tag, sizeof tag, "%s shape %d", transposed ? "conv_transpose3d" : "conv3d", t);
        conv_case(transposed, &conv_shapes[t], 0, 1e-4, &worst, tag);
    }
    printf("    measured: %s FP32 max |gpu-ref|/(|ref|+rms) = %.3g (bound 1e-4)\n",
           transposed ? "conv_transpose3d" : "conv3d", worst);
}

static void run_conv3d(void) { run_conv(0); }
static void run_convt(void) { run_conv(1); }

static void run_tf32(void)
{
    double worst = 0;
    for (int t = 0; t < NSHAPES; t++) {
        char tag[64];
        snprintf(tag, sizeof tag, "conv3d TF32 shape %d", t);
        conv_case(0, &conv_shapes[t], 1, 1e-2, &worst, tag);
        snprintf(tag, sizeof tag, "conv_transpose3d TF32 shape %d", t);
        conv_case(1, &conv_shapes[t], 1, 1e-2, &worst, tag);
    }
    printf("    measured: conv TF32 forward max |gpu-ref|/(|ref|+rms) = %.3g (bound 1e-2)\n", worst);
}

/* exact comparison of n floats */
#define SAME(what, a, b, n)                                                                    \
    CHECK_MSG(memcmp((a), (b), sizeof(float) * (size_t)(n)) == 0, "%s: not bit-identical", what)

static void run_pool(void)
{
    struct sarc_err e;
    struct cuda_ctx ctx = {NULL, NULL, 0, 0};
    const int NC = 6, D = 5, H = 7, W = 9;
    const int64_t in = (int64_t)NC * D * H * W, on = (int64_t)NC * (D / 2) * (H / 2) * (W / 2);
    float *x = ct_rand(in, 11, 1), *dout = ct_rand(on, 12, 1), *dx0 = ct_rand(in, 13, 1);
    for (int64_t i = 0; i < in; i++)
        x[i] = (float)floor(x[i] * 2); /* ties */
    x[3] = NAN;
    float *out = malloc(sizeof(float) * (size_t)on), *dx = copy_f(dx0, in);
    int32_t *am = malloc(sizeof(int32_t) * (size_t)on);
    maxpool3d_forward_cpu(out, am, x, NC, D, H, W);
    maxpool3d_backward_cpu(dx, dout, am, NC, D, H, W);
    float *x_gpu = dev_f(x, in), *o_gpu = dev_f(NULL, on), *dout_gpu = dev_f(dout, on);
    float *dx_gpu = dev_f(dx0, in);
    int32_t *am_gpu = dev_bytes(NULL, sizeof(int32_t) * (size_t)on);
    /* upsample of the same x as (NC, D, H, W) -> (NC, 2D, 2H, 2W) */
    const int64_t un = in * 8;
    float *uout = malloc(sizeof(float) * (size_t)un), *ud = ct_rand(un, 14, 1), *udx = copy_f(dx0, in);
    upsample2x_forward_cpu(uout, x, NC, D, H, W);
    upsample2x_backward_cpu(udx, ud, NC, D, H, W);
    float *uo_gpu = dev_f(NULL, un), *ud_gpu = dev_f(ud, un), *udx_gpu = dev_f(dx0, in);
    if (x_gpu && o_gpu && dout_gpu && dx_gpu && am_gpu && uo_gpu && ud_gpu && udx_gpu) {
        int rc = maxpool3d_forward_cuda(o_gpu, am_gpu, x_gpu, NC, D, H, W, &ctx, &e);
        if (!rc)
            rc = maxpool3d_backward_cuda(dx_gpu, dout_gpu, am_gpu, NC, D, H, W, &ctx, &e);
        if (!rc)
            rc = upsample2x_forward_cuda(uo_gpu, x_gpu, NC, D, H, W, &ctx, &e);
        if (!rc)
            rc = upsample2x_backward_cuda(udx_gpu, ud_gpu, NC, D, H, W, &ctx, &e);
        if (!rc)
            rc = cuda_sync(&ctx, &e);
        CHECK_OK(rc, e);
        if (!rc) {
            float *g1 = host_f(o_gpu, on), *g2 = host_f(dx_gpu, in), *g3 = host_f(uo_gpu, un);
            float *g4 = host_f(udx_gpu, in);
            int32_t *gam = malloc(sizeof(int32_t) * (size_t)on);
            CHECK_OK(cuda_mem_to_host(gam, am_gpu, sizeof(int32_t) * (size_t)on, &e), e);
            CHECK(memcmp(gam, am, sizeof(int32_t) * (size_t)on) == 0);
            /* NaN != NaN under memcmp? bit patterns are copied, so memcmp holds */
            SAME("maxpool forward", g1, out, on);
            SAME("maxpool backward", g2, dx, in);
            SAME("upsample forward", g3, uout, un);
            SAME("upsample backward", g4, udx, in);
            free(g1), free(g2), free(g3), free(g4), free(gam);
        }
    }
    dev_free_all();
    free(x), free(dout), free(dx0), free(out), free(dx), free(am), free(uout), free(ud), free(udx);
}

static void run_eltwise(void)
{
    struct sarc_err e;
    struct cuda_ctx ctx = {NULL, NULL, 0, 0};
    const int64_t n = 100003; /* not a multiple of any block size */
    float *a = ct_rand(n, 21, 4), *b = ct_rand(n, 22, 4), *d = ct_rand(n, 23, 1);
    float *base = ct_rand(n, 24, 1);
    a[0] = 0.0f; /* ReLU's kink */
    a[1] = -0.0f;
    a[2] = 90.0f; /* sigmoid saturation */
    a[3] = -90.0f;
    float *ref = malloc(sizeof(float) * (size_t)n), *r2 = malloc(sizeof(float) * (size_t)n);
    float *a_gpu = dev_f(a, n), *b_gpu = dev_f(b, n), *d_gpu = dev_f(d, n);
    float *o_gpu = dev_f(NULL, n), *o2_gpu = dev_f(NULL, n);
    if (!a_gpu || !b_gpu || !d_gpu || !o_gpu || !o2_gpu)
        goto done;
#define GOT(dst) float *got = host_f(dst, n)
    /* relu */
    relu_forward_cpu(ref, a, n);
    CHECK_OK(relu_forward_cuda(o_gpu, a_gpu, n, &ctx, &e), e);
    { GOT(o_gpu); SAME("relu forward", got, ref, n); free(got); }
    memcpy(ref, base, sizeof(float) * (size_t)n);
    relu_backward_cpu(ref, d, a, n);
    CHECK_OK(cuda_mem_to_device(o_gpu, base, sizeof(float) * (size_t)n, &e), e);
    CHECK_OK(relu_backward_cuda(o_gpu, d_gpu, a_gpu, n, &ctx, &e), e);
    { GOT(o_gpu); SAME("relu backward", got, ref, n); free(got); }
    /* sigmoid (device exp: 1e-6 relative) */
    sigmoid_forward_cpu(ref, a, n);
    CHECK_OK(sigmoid_forward_cuda(o_gpu, a_gpu, n, &ctx, &e), e);
    { GOT(o_gpu); CT_COMPARE("sigmoid forward", got, ref, n, 1e-6, 0, NULL); free(got); }
    memcpy(r2, base, sizeof(float) * (size_t)n);
    sigmoid_backward_cpu(r2, d, ref, n);
    CHECK_OK(cuda_mem_to_device(o_gpu, ref, sizeof(float) * (size_t)n, &e), e); /* same out */
    CHECK_OK(cuda_mem_to_device(o2_gpu, base, sizeof(float) * (size_t)n, &e), e);
    CHECK_OK(sigmoid_backward_cuda(o2_gpu, d_gpu, o_gpu, n, &ctx, &e), e);
    { GOT(o2_gpu); SAME("sigmoid backward", got, r2, n); free(got); }
    /* add, mul, scale */
    add_forward_cpu(ref, a, b, n);
    CHECK_OK(add_forward_cuda(o_gpu, a_gpu, b_gpu, n, &ctx, &e), e);
    { GOT(o_gpu); SAME("add forward", got, ref, n); free(got); }
    mul_forward_cpu(ref, a, b, n);
    CHECK_OK(mul_forward_cuda(o_gpu, a_gpu, b_gpu, n, &ctx, &e), e);
    { GOT(o_gpu); SAME("mul forward", got, ref, n); free(got); }
    memcpy(ref, base, sizeof(float) * (size_t)n);
    memcpy(r2, d, sizeof(float) * (size_t)n);
    mul_backward_cpu(ref, r2, d, a, b, n); /* da (base) and db (= d initially) */
    CHECK_OK(cuda_mem_to_device(o_gpu, base, sizeof(float) * (size_t)n, &e), e);
    CHECK_OK(cuda_mem_to_device(o2_gpu, d, sizeof(float) * (size_t)n, &e), e);
    CHECK_OK(mul_backward_cuda(o_gpu, o2_gpu, d_gpu, a_gpu, b_gpu, n, &ctx, &e), e);
    { GOT(o_gpu); SAME("mul backward da", got, ref, n); free(got); }
    { GOT(o2_gpu); SAME("mul backward db", got, r2, n); free(got); }
    scale_forward_cpu(ref, a, 0.3, n);
    CHECK_OK(scale_forward_cuda(o_gpu, a_gpu, 0.3, n, &ctx, &e), e);
    { GOT(o_gpu); SAME("scale forward", got, ref, n); free(got); }
    memcpy(ref, base, sizeof(float) * (size_t)n);
    scale_backward_cpu(ref, d, -1.7, n);
    CHECK_OK(cuda_mem_to_device(o_gpu, base, sizeof(float) * (size_t)n, &e), e);
    CHECK_OK(scale_backward_cuda(o_gpu, d_gpu, -1.7, n, &ctx, &e), e);
    { GOT(o_gpu); SAME("scale backward", got, ref, n); free(got); }
#undef GOT
done:
    dev_free_all();
    free(a), free(b), free(d), free(base), free(ref), free(r2);
}

static void run_concat_dropout(void)
{
    struct sarc_err e;
    struct cuda_ctx ctx = {NULL, NULL, 0, 0};
    const int N = 3, Ca = 5, Cb = 2;
    const int64_t S = 37;
    const int64_t na = N * Ca * S, nb = N * Cb * S, no = na + nb;
    float *a = ct_rand(na, 31, 1), *b = ct_rand(nb, 32, 1), *d = ct_rand(no, 33, 1);
    float *ba = ct_rand(na, 34, 1), *bb = ct_rand(nb, 35, 1);
    float *ref = malloc(sizeof(float) * (size_t)no), *ra = copy_f(ba, na), *rb = copy_f(bb, nb);
    concat_forward_cpu(ref, a, b, N, Ca, Cb, S);
    concat_backward_cpu(ra, rb, d, N, Ca, Cb, S);
    float *a_gpu = dev_f(a, na), *b_gpu = dev_f(b, nb), *d_gpu = dev_f(d, no), *o_gpu = dev_f(NULL, no);
    float *da_gpu = dev_f(ba, na), *db_gpu = dev_f(bb, nb);
    /* dropout on (N, Ca+Cb, S) = the concat output; p 0.3 so that some channels drop */
    const int C = Ca + Cb;
    float *mask = malloc(sizeof(float) * (size_t)(N * C)), *dref = malloc(sizeof(float) * (size_t)no);
    float *dbase = ct_rand(no, 36, 1), *dbk = copy_f(dbase, no);
    dropout_mask_cpu(mask, N, C, 0.3, 1234, 17, 3);
    dropout_forward_cpu(dref, ref, mask, (int64_t)N * C, S);
    dropout_backward_cpu(dbk, d, mask, (int64_t)N * C, S);
    float *m_gpu = dev_f(NULL, N * C), *do_gpu = dev_f(NULL, no), *dd_gpu = dev_f(dbase, no);
    if (a_gpu && b_gpu && d_gpu && o_gpu && da_gpu && db_gpu && m_gpu && do_gpu && dd_gpu) {
        int rc = concat_forward_cuda(o_gpu, a_gpu, b_gpu, N, Ca, Cb, S, &ctx, &e);
        if (!rc)
            rc = concat_backward_cuda(da_gpu, db_gpu, d_gpu, N, Ca, Cb, S, &ctx, &e);
        if (!rc)
            rc = dropout_mask_cuda(m_gpu, N, C, 0.3, 1234, 17, 3, &ctx, &e);
        if (!rc)
            rc = dropout_forward_cuda(do_gpu, o_gpu, m_gpu, (int64_t)N * C, S, &ctx, &e);
        if (!rc)
            rc = dropout_backward_cuda(dd_gpu, d_gpu, m_gpu, (int64_t)N * C, S, &ctx, &e);
        if (!rc)
            rc = cuda_sync(&ctx, &e);
        CHECK_OK(rc, e);
        if (!rc) {
            float *g1 = host_f(o_gpu, no), *g2 = host_f(da_gpu, na), *g3 = host_f(db_gpu, nb);
            float *g4 = host_f(m_gpu, N * C), *g5 = host_f(do_gpu, no), *g6 = host_f(dd_gpu, no);
            SAME("concat forward", g1, ref, no);
            SAME("concat backward a", g2, ra, na);
            SAME("concat backward b", g3, rb, nb);
            SAME("dropout mask (device Philox = host Philox)", g4, mask, N * C);
            SAME("dropout forward", g5, dref, no);
            SAME("dropout backward", g6, dbk, no);
            int dropped = 0;
            for (int i = 0; i < N * C; i++)
                dropped += mask[i] == 0.0f;
            CHECK(dropped > 0 && dropped < N * C); /* the case exercises both branches */
            free(g1), free(g2), free(g3), free(g4), free(g5), free(g6);
        }
    }
    dev_free_all();
    free(a), free(b), free(d), free(ba), free(bb), free(ref), free(ra), free(rb), free(mask),
        free(dref), free(dbase), free(dbk);
}

static void run_losses(void)
{
    struct sarc_err e;
    const int64_t n = 3 * 4096 + 77; /* several reduction chunks and a partial one */
    float *x = ct_rand(n, 41, 6), *y = ct_rand(n, 42, 1), *p = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        y[i] = y[i] > 0 ? 1.0f : 0.0f;
        p[i] = 0.5f + 0.49f * sinf((float)i);
    }
    const float g = 0.75f;
    float *base = ct_rand(n, 43, 1e-4);
    double sums[3];
    const double bce = bce_logits_forward_cpu(x, y, n);
    const double dice = soft_dice_forward_cpu(p, y, n, NN_DICE_EPS, sums);
    const double sm = sum_cpu(x, n);
    float *rb = copy_f(base, n), *rd = copy_f(base, n), *rs = copy_f(base, n);
    bce_logits_backward_cpu(rb, g, x, y, n);
    soft_dice_backward_cpu(rd, g, y, n, NN_DICE_EPS, sums);
    for (int64_t i = 0; i < n; i++)
        rs[i] += (float)(g / (double)n); /* mean backward, as nn/tape.c */
    struct cuda_ctx ctx = ctx_with(reduce_workspace_bytes_cuda(n));
    float *x_gpu = dev_f(x, n), *y_gpu = dev_f(y, n), *p_gpu = dev_f(p, n), *g_gpu = dev_f(&g, 1);
    float *l_gpu = dev_f(NULL, 4), *db_gpu = dev_f(base, n), *dd_gpu = dev_f(base, n);
    float *ds_gpu = dev_f(base, n);
    double *s_gpu = dev_bytes(NULL, 3 * sizeof(double));
    if (!ctx.ws || !x_gpu || !y_gpu || !p_gpu || !g_gpu || !l_gpu || !db_gpu || !dd_gpu || !ds_gpu ||
        !s_gpu)
        goto done;
    int rc = bce_logits_forward_cuda(l_gpu, x_gpu, y_gpu, n, &ctx, &e);
    if (!rc)
        rc = soft_dice_forward_cuda(l_gpu + 1, s_gpu, p_gpu, y_gpu, n, NN_DICE_EPS, &ctx, &e);
    if (!rc)
        rc = sum_forward_cuda(l_gpu + 2, x_gpu, n, 0, &ctx, &e);
    if (!rc)
        rc = sum_forward_cuda(l_gpu + 3, x_gpu, n, 1, &ctx, &e);
    if (!rc)
        rc = bce_logits_backward_cuda(db_gpu, g_gpu, x_gpu, y_gpu, n, &ctx, &e);
    if (!rc)
        rc = soft_dice_backward_cuda(dd_gpu, g_gpu, y_gpu, n, NN_DICE_EPS, s_gpu, &ctx, &e);
    if (!rc)
        rc = sum_backward_cuda(ds_gpu, g_gpu, n, 1, &ctx, &e);
    if (!rc)
        rc = cuda_sync(&ctx, &e);
    CHECK_OK(rc, e);
    if (!rc) {
        float *l = host_f(l_gpu, 4);
        double gs[3];
        CHECK_OK(cuda_mem_to_host(gs, s_gpu, sizeof gs, &e), e);
        CHECK_CLOSE(l[0], (float)bce, 1e-6, 0);
        CHECK_CLOSE(l[1], (float)dice, 1e-6, 0);
        CHECK_CLOSE(l[2], (float)sm, 1e-6, 1e-6);
        CHECK_CLOSE(l[3], (float)(sm / (double)n), 1e-6, 1e-9);
        for (int k = 0; k < 3; k++)
            CHECK_CLOSE(gs[k], sums[k], 1e-12, 0);
        float *g1 = host_f(db_gpu, n), *g2 = host_f(dd_gpu, n), *g3 = host_f(ds_gpu, n);
        const double m1 = CT_COMPARE("bce backward", g1, rb, n, 1e-6, 1e-12, NULL);
        const double m2 = CT_COMPARE("dice backward", g2, rd, n, 1e-6, 1e-12, NULL);
        SAME("mean backward", g3, rs, n);
        printf("    measured: bce %.9g vs %.9g, dice %.9g vs %.9g; backward max rel %.3g, %.3g\n",
               (double)l[0], bce, (double)l[1], dice, m1, m2);
        free(l), free(g1), free(g2), free(g3);
    }
done:
    dev_free_all();
    free(x), free(y), free(p), free(base), free(rb), free(rd), free(rs);
}

static void run_optim(void)
{
    struct sarc_err e;
    for (int form = 0; form < 3; form++) { /* Adam torch, Adam Keras, SGD */
        struct nn_params ps;
        nn_params_init(&ps);
        REQUIRE_OK(nn_params_add(&ps, "w", 1, (int[]){5001}, NN_INIT_GLOROT_UNIFORM, 27, 27, NULL,
                                 &e), e);
        REQUIRE_OK(nn_params_alloc(&ps, &e), e);
        nn_params_init_values(&ps, 99);
        const int64_t n = ps.nvalues;
        float *block_gpu = dev_f(ps.block, 4 * n);
        struct nn_adam a = nn_adam_default(1e-3), ag = a;
        a.form = ag.form = form == 0 ? NN_ADAM_TORCH : NN_ADAM_KERAS;
        const struct nn_sgd sgd = {0.01, 0.9};
        for (int step = 0; step < 3 && block_gpu; step++) {
            float *gr = ct_rand(n, 50 + (uint64_t)step, 1);
            memcpy(ps.block + n, gr, sizeof(float) * (size_t)n);
            CHECK_OK(cuda_mem_to_device(block_gpu + n, gr, sizeof(float) * (size_t)n, &e), e);
            if (form < 2) {
                CHECK_OK(nn_adam_step(&a, &ps, &e), e);
                CHECK_OK(adam_step_cuda(&ag, block_gpu, n, NULL, &e), e);
            } else {
                CHECK_OK(nn_sgd_step(&sgd, &ps, &e), e);
                CHECK_OK(sgd_step_cuda(&sgd, block_gpu, n, NULL, &e), e);
            }
            free(gr);
        }
        if (block_gpu) {
            CHECK_OK(cuda_sync(NULL, &e), e);
            float *got = host_f(block_gpu, 4 * n);
            SAME(form == 0 ? "Adam (torch) w, g, m, v" : form == 1 ? "Adam (Keras) w, g, m, v"
                                                                    : "SGD w, g, m", got, ps.block,
                 (form < 2 ? 4 : 3) * n);
            CHECK_INT(ag.t, a.t);
            free(got);
        }
        dev_free_all();
        nn_params_free(&ps);
    }
}

/* Run-to-run bit identity: the same conv forward + full backward + losses twice. */
static void run_determinism(void)
{
    struct sarc_err e;
    struct conv3d_dims s;
    REQUIRE_OK(conv3d_dims_init(&s, 2, 24, 10, 36, 36, 48, 0, &e), e);
    const int64_t nin = (int64_t)2 * 24 * 10 * 36 * 36, nout = (int64_t)2 * 48 * 8 * 34 * 34;
    const int64_t nw = 48 * 24 * 27;
    float *x = ct_rand(nin, 61, 1), *w = ct_rand(nw, 62, 0.1), *d = ct_rand(nout, 63, 1);
    const size_t wsb = conv3d_workspace_bytes_cuda(&s) > reduce_workspace_bytes_cuda(nout)
                           ? conv3d_workspace_bytes_cuda(&s) : reduce_workspace_bytes_cuda(nout);
    struct cuda_ctx ctx = ctx_with(wsb);
    float *x_gpu = dev_f(x, nin), *w_gpu = dev_f(w, nw), *d_gpu = dev_f(d, nout);
    float *runs[2][4] = {{0}};
    for (int r = 0; r < 2 && ctx.ws && x_gpu && w_gpu && d_gpu; r++) {
        float *o = dev_f(NULL, nout), *dx = dev_f(NULL, nin), *dw = dev_f(NULL, nw);
        float *db = dev_f(NULL, 48), *l = dev_f(NULL, 1);
        if (!o || !dx || !dw || !db || !l)
            break;
        int rc = conv3d_forward_cuda(o, x_gpu, w_gpu, NULL, &s, &ctx, &e);
        if (!rc)
            rc = conv3d_backward_cuda(dx, dw, db, d_gpu, x_gpu, w_gpu, &s, &ctx, &e);
        if (!rc)
            rc = bce_logits_forward_cuda(l, o, d_gpu, nout, &ctx, &e);
        if (!rc)
            rc = cuda_sync(&ctx, &e);
        CHECK_OK(rc, e);
        runs[r][0] = host_f(o, nout);
        runs[r][1] = host_f(dx, nin);
        runs[r][2] = host_f(dw, nw);
        runs[r][3] = host_f(l, 1);
    }
    if (runs[1][0]) {
        SAME("conv3d forward, run 2 vs run 1", runs[1][0], runs[0][0], nout);
        SAME("conv3d backward-data, run 2 vs run 1", runs[1][1], runs[0][1], nin);
        SAME("conv3d weight gradient, run 2 vs run 1", runs[1][2], runs[0][2], nw);
        SAME("bce, run 2 vs run 1", runs[1][3], runs[0][3], 1);
        printf("    measured: run-to-run bit identity %s\n", test_failed() ? "FAILED" : "holds");
    } else
        CHECK_MSG(0, "determinism runs did not complete");
    for (int r = 0; r < 2; r++)
        for (int k = 0; k < 4; k++)
            free(runs[r][k]);
    dev_free_all();
    free(x), free(w), free(d);
}

static void run_errors(void)
{
    /* (with a GPU) a short workspace is a clean SARC_ERR_ARG, nothing launched */
    struct sarc_err e;
    struct conv3d_dims s;
    REQUIRE_OK(conv3d_dims_init(&s, 1, 4, 5, 5, 5, 4, 1, &e), e);
    struct cuda_ctx ctx = {NULL, NULL, 8, 0};
    float *p = dev_f(NULL, 4 * 125 * 2);
    if (p)
        CHECK_INT(conv3d_backward_weights_cuda(p, NULL, p, p, &s, &ctx, &e), SARC_ERR_ARG);
    dev_free_all();
}

#define GPU_CASE(fn)                                                                           \
    do {                                                                                       \
        char nm_[200], why_[256];                                                              \
        if (!device_cuda_available(nm_, sizeof nm_)) {                                         \
            snprintf(why_, sizeof why_, "needs a CUDA GPU: %s", nm_);                         \
            SKIP(why_);                                                                        \
        }                                                                                      \
        fn();                                                                                  \
    } while (0)
#else
#define GPU_CASE(fn) SKIP("built without CUDA (nvcc not on PATH or CUDA=0)")
#endif

TEST(cuda_conv3d) { GPU_CASE(run_conv3d); }
TEST(cuda_conv_transpose3d) { GPU_CASE(run_convt); }
TEST(cuda_conv_tf32) { GPU_CASE(run_tf32); }
TEST(cuda_pool_upsample) { GPU_CASE(run_pool); }
TEST(cuda_eltwise) { GPU_CASE(run_eltwise); }
TEST(cuda_concat_dropout) { GPU_CASE(run_concat_dropout); }
TEST(cuda_losses) { GPU_CASE(run_losses); }
TEST(cuda_optim) { GPU_CASE(run_optim); }
TEST(cuda_determinism) { GPU_CASE(run_determinism); }
TEST(cuda_workspace_error) { GPU_CASE(run_errors); }

/* Runs on every CUDA build, GPU or not: launchers reject bad shapes before touching the device,
 * and without a GPU the memory helpers return SARC_ERR_DEVICE with a message (no crash). */
TEST(cuda_errors)
{
#ifdef SARC_CUDA
    struct sarc_err e;
    struct conv3d_dims bad;
    memset(&bad, 0, sizeof bad);
    err_clear(&e);
    CHECK_INT(conv3d_forward_cuda(NULL, NULL, NULL, NULL, &bad, NULL, &e), SARC_ERR_RANGE);
    CHECK(strstr(e.msg, "conv3d") != NULL);
    CHECK_INT(conv_transpose3d_forward_cuda(NULL, NULL, NULL, NULL, &bad, NULL, &e),
              SARC_ERR_RANGE);
    CHECK_INT(maxpool3d_forward_cuda(NULL, NULL, NULL, 1, 1, 4, 4, NULL, &e), SARC_ERR_RANGE);
    CHECK_INT(dropout_mask_cuda(NULL, 1, 1, 1.0, 0, 0, 0, NULL, &e), SARC_ERR_RANGE);
    CHECK_INT(sum_forward_cuda(NULL, NULL, 10, 0, NULL, &e), SARC_ERR_ARG); /* no workspace */
    struct nn_adam a = nn_adam_default(-1);
    CHECK_INT(adam_step_cuda(&a, NULL, 1, NULL, &e), SARC_ERR_ARG);
    char nm[200];
    if (!device_cuda_available(nm, sizeof nm)) {
        void *p = (void *)1;
        CHECK_INT(cuda_mem_alloc(&p, 64, &e), SARC_ERR_DEVICE);
        CHECK(p == NULL);
        CHECK(strstr(e.msg, "CUDA") != NULL);
    }
#else
    SKIP("built without CUDA (nvcc not on PATH or CUDA=0)");
#endif
}
