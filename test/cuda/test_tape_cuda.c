/* test_tape_cuda.c - the tape on a device (nn/tape_cuda.h) against the plain CPU tape.
 *
 * Stand-in cases (every build, CPU-only and SAN included): the device tape runs on host
 * stand-ins of the cuda/ launchers, each implemented with the CPU reference of its op (the
 * mechanism of test_cuda_graph.c, passed as a struct tape_cuda_kernels). Their "device" memory
 * is a registry of separate allocations filled with NaN bytes when handed out; every stand-in
 * checks that each device pointer it gets lies in that memory with room for its extent, copies
 * check that the host side does not, and under AddressSanitizer the "device" memory is poisoned
 * outside the stand-ins, so a host read of a device pointer anywhere in nn/tape.c or
 * nn/tape_cuda.c fails the SAN build. With the plain reference loops on both sides
 * (t.reference = 1 on the CPU tape) the results must be bit-identical: every op forward and
 * backward (input gradients, "+=" into a NULL-able gradient, a grad-less input), and a small
 * U-Net-shaped graph (conv same/valid, max-pool, transposed conv, upsample, concat skip,
 * dropout, sigmoid, BCE + Dice) with 3 Adam steps on the parameter mirror; against the default
 * (fast) CPU tape within 1e-5 relative L2 (its convolutions sum in float, the reference in
 * double) and the weights after 3 Adam steps within 1e-3 (Adam turns tiny gradient differences
 * into steps of about lr). Also: nothing is allocated on the device after the first step, the
 * API's error paths, and an allocation failure inside a step.
 *
 * GPU cases (CUDA builds with a GPU; SKIP with the reason otherwise; run by test/gpu/check.sh):
 * the same ops and graph on the real launchers. Bounds (each tensor, STYLE section 3):
 * |gpu - ref| <= 1e-4 |ref| + 1e-4 rms(ref): the GPU convolutions sum up to C*27 terms (data
 * passes) or 2048-voxel chunks (weights) in float, the reference in double, and a result that
 * cancels to near zero carries the absolute error of its terms (~rms); sums, sigmoid and the
 * losses differ by about an ulp. Losses of the graph within 1e-4 relative, step-0 gradients
 * within 1e-4 relative L2, weights after 3 Adam steps within 1e-3 relative L2 (as above). Then
 * the whole graph run twice on the GPU must give identical bits. */
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
#include "nn/tape_cuda.h"
#include "test/cuda/cuda_test_util.h"
#include "test/harness.h"
#include "vendor/rng.h"

#if defined(__SANITIZE_ADDRESS__)
#define TC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TC_ASAN 1
#endif
#endif
#ifdef TC_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* ---- the fake device: a registry of host allocations standing for device memory ---- */

#define FD_MAX 512
static struct {
    char *p;
    size_t n;
} fd_mem[FD_MAX];
static int fd_count;        /* live allocations */
static long fd_allocs;      /* allocations made so far */
static long fd_fail_at = -1; /* >= 0: the allocation with this number fails */

static void fd_poison(int on)
{
#ifdef TC_ASAN
    for (int i = 0; i < fd_count; i++) {
        if (on)
            ASAN_POISON_MEMORY_REGION(fd_mem[i].p, fd_mem[i].n);
        else
            ASAN_UNPOISON_MEMORY_REGION(fd_mem[i].p, fd_mem[i].n);
    }
#else
    (void)on;
#endif
}

/* 1 if [p, p + nbytes) lies in one fake device allocation */
static int fd_in(const void *p, size_t nbytes)
{
    const char *c = p;
    for (int i = 0; i < fd_count; i++)
        if (c >= fd_mem[i].p && c <= fd_mem[i].p + fd_mem[i].n &&
            nbytes <= (size_t)(fd_mem[i].p + fd_mem[i].n - c))
            return 1;
    return 0;
}

/* A device argument of `count` elements of `elem` bytes: must be in fake device memory (NULL is
 * allowed: the optional outputs). */
static void fd_arg(const char *fn, const char *name, const void *p, size_t nbytes, int line)
{
    if (p && !fd_in(p, nbytes))
        test_fail_at(__FILE__, line, "%s: argument %s (%zu bytes) is not device memory", fn,
                     name, nbytes);
}
#define FD_ARG(fn, p, count, elem) fd_arg(fn, #p, (p), (size_t)(count) * (elem), __LINE__)
#define FD_F(p, count) FD_ARG(__func__, p, count, 4)

static int sk_alloc(void **p, size_t nbytes, struct sarc_err *e)
{
    *p = NULL;
    if (fd_fail_at >= 0 && fd_allocs == fd_fail_at) {
        fd_allocs++;
        return ERR(e, SARC_ERR_DEVICE, "fake device: allocation %ld refused", fd_allocs - 1);
    }
    if (fd_count == FD_MAX)
        return ERR(e, SARC_ERR_DEVICE, "fake device: too many allocations");
    char *m = malloc(nbytes ? nbytes : 1);
    if (!m)
        return ERR(e, SARC_ERR_NOMEM, "fake device: %zu bytes", nbytes);
    memset(m, 0xFF, nbytes); /* NaN floats: cudaMalloc memory is not zeroed */
    fd_mem[fd_count].p = m;
    fd_mem[fd_count].n = nbytes ? nbytes : 1;
    fd_count++;
    fd_allocs++;
#ifdef TC_ASAN
    ASAN_POISON_MEMORY_REGION(m, nbytes ? nbytes : 1);
#endif
    *p = m;
    return 0;
}

static void sk_free(void *p)
{
    if (!p)
        return;
    for (int i = 0; i < fd_count; i++)
        if (fd_mem[i].p == p) {
#ifdef TC_ASAN
            ASAN_UNPOISON_MEMORY_REGION(fd_mem[i].p, fd_mem[i].n);
#endif
            fd_mem[i] = fd_mem[--fd_count];
            free(p);
            return;
        }
    test_fail_at(__FILE__, __LINE__, "fake device: freeing %p, not device memory", p);
}

static int sk_to_device(void *d, const void *s, size_t n, struct sarc_err *e)
{
    (void)e;
    FD_ARG("to_device", d, n, 1);
    CHECK_MSG(!fd_in(s, 1), "to_device: the source is device memory");
    fd_poison(0);
    memcpy(d, s, n);
    fd_poison(1);
    return 0;
}

static int sk_to_host(void *d, const void *s, size_t n, struct sarc_err *e)
{
    (void)e;
    FD_ARG("to_host", s, n, 1);
    CHECK_MSG(!fd_in(d, 1), "to_host: the destination is device memory");
    fd_poison(0);
    memcpy(d, s, n);
    fd_poison(1);
    return 0;
}

static int sk_zero(void *p, size_t n, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_ARG("zero", p, n, 1);
    fd_poison(0);
    memset(p, 0, n);
    fd_poison(1);
    return 0;
}

static int sk_sync(const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    return 0;
}

/* workspace sizes: something to check the plumbing with (the references need none) */
static size_t sk_conv_ws(const struct conv3d_dims *s) { return 64 + (size_t)s->OC * 8; }
static size_t sk_reduce_ws(int64_t n) { return 8 * (size_t)((n + 4095) / 4096) + 64; }

/* ctx->ws must be device memory of at least `need` bytes; the stand-in scribbles on it */
static void ws_check(const char *fn, const struct cuda_ctx *ctx, size_t need)
{
    if (!ctx || !ctx->ws || ctx->ws_bytes < need || !fd_in(ctx->ws, need)) {
        test_fail_at(__FILE__, __LINE__, "%s: workspace of %zu bytes missing", fn, need);
        return;
    }
    memset(ctx->ws, 0x5A, need);
}

#define ENTER() fd_poison(0)
#define LEAVE() (fd_poison(1), 0)

static int64_t in_n(const struct conv3d_dims *s) { return (int64_t)s->N * s->C * s->D * s->H * s->W; }
static int64_t out_n(const struct conv3d_dims *s)
{
    return (int64_t)s->N * s->OC * s->OD * s->OH * s->OW;
}

static int sk_conv3d_fwd(float *out, const float *inp, const float *w, const float *b,
                         const struct conv3d_dims *s, const struct cuda_ctx *ctx,
                         struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(out, out_n(s)), FD_F(inp, in_n(s)), FD_F(w, (int64_t)s->OC * s->C * 27), FD_F(b, s->OC);
    ENTER();
    conv3d_forward_cpu(out, inp, w, b, s);
    return LEAVE();
}

static int sk_conv3d_bwd(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                         const float *w, const struct conv3d_dims *s, const struct cuda_ctx *ctx,
                         struct sarc_err *e)
{
    (void)e;
    FD_F(dinp, in_n(s)), FD_F(dw, (int64_t)s->OC * s->C * 27), FD_F(db, s->OC);
    FD_F(dout, out_n(s)), FD_F(inp, in_n(s)), FD_F(w, (int64_t)s->OC * s->C * 27);
    ENTER();
    if (dw || db)
        ws_check(__func__, ctx, sk_conv_ws(s));
    conv3d_backward_cpu(dinp, dw, db, dout, inp, w, s);
    return LEAVE();
}

static int sk_convt_fwd(float *out, const float *inp, const float *w, const float *b,
                        const struct conv3d_dims *s, const struct cuda_ctx *ctx,
                        struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(out, out_n(s)), FD_F(inp, in_n(s)), FD_F(w, (int64_t)s->OC * s->C * 27), FD_F(b, s->OC);
    ENTER();
    conv_transpose3d_forward_cpu(out, inp, w, b, s);
    return LEAVE();
}

static int sk_convt_bwd(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, const struct conv3d_dims *s, const struct cuda_ctx *ctx,
                        struct sarc_err *e)
{
    (void)e;
    FD_F(dinp, in_n(s)), FD_F(dw, (int64_t)s->OC * s->C * 27), FD_F(db, s->OC);
    FD_F(dout, out_n(s)), FD_F(inp, in_n(s)), FD_F(w, (int64_t)s->OC * s->C * 27);
    ENTER();
    if (dw || db)
        ws_check(__func__, ctx, sk_conv_ws(s));
    conv_transpose3d_backward_cpu(dinp, dw, db, dout, inp, w, s);
    return LEAVE();
}

static int sk_pool_fwd(float *out, int32_t *am, const float *inp, int64_t NC, int D, int H, int W,
                       const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    const int64_t no = NC * (D / 2) * (H / 2) * (W / 2);
    FD_F(out, no), FD_F(am, no), FD_F(inp, NC * D * H * W);
    ENTER();
    maxpool3d_forward_cpu(out, am, inp, NC, D, H, W);
    return LEAVE();
}

static int sk_pool_bwd(float *dinp, const float *dout, const int32_t *am, int64_t NC, int D, int H,
                       int W, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    const int64_t no = NC * (D / 2) * (H / 2) * (W / 2);
    FD_F(dout, no), FD_F(am, no), FD_F(dinp, NC * D * H * W);
    ENTER();
    maxpool3d_backward_cpu(dinp, dout, am, NC, D, H, W);
    return LEAVE();
}

static int sk_up_fwd(float *out, const float *inp, int64_t NC, int D, int H, int W,
                     const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(out, NC * D * H * W * 8), FD_F(inp, NC * D * H * W);
    ENTER();
    upsample2x_forward_cpu(out, inp, NC, D, H, W);
    return LEAVE();
}

static int sk_up_bwd(float *dinp, const float *dout, int64_t NC, int D, int H, int W,
                     const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(dout, NC * D * H * W * 8), FD_F(dinp, NC * D * H * W);
    ENTER();
    upsample2x_backward_cpu(dinp, dout, NC, D, H, W);
    return LEAVE();
}

static int sk_cat_fwd(float *out, const float *a, const float *b, int N, int Ca, int Cb,
                      int64_t S, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(out, (int64_t)N * (Ca + Cb) * S), FD_F(a, (int64_t)N * Ca * S), FD_F(b, (int64_t)N * Cb * S);
    ENTER();
    concat_forward_cpu(out, a, b, N, Ca, Cb, S);
    return LEAVE();
}

static int sk_cat_bwd(float *da, float *db, const float *dout, int N, int Ca, int Cb, int64_t S,
                      const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(dout, (int64_t)N * (Ca + Cb) * S), FD_F(da, (int64_t)N * Ca * S), FD_F(db, (int64_t)N * Cb * S);
    ENTER();
    concat_backward_cpu(da, db, dout, N, Ca, Cb, S);
    return LEAVE();
}

static int sk_relu_fwd(float *out, const float *x, int64_t n, const struct cuda_ctx *ctx,
                       struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(out, n), FD_F(x, n);
    ENTER();
    relu_forward_cpu(out, x, n);
    return LEAVE();
}
static int sk_relu_bwd(float *d, const float *dout, const float *x, int64_t n,
                       const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(d, n), FD_F(dout, n), FD_F(x, n);
    ENTER();
    relu_backward_cpu(d, dout, x, n);
    return LEAVE();
}
static int sk_sig_fwd(float *out, const float *x, int64_t n, const struct cuda_ctx *ctx,
                      struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(out, n), FD_F(x, n);
    ENTER();
    sigmoid_forward_cpu(out, x, n);
    return LEAVE();
}
static int sk_sig_bwd(float *d, const float *dout, const float *out, int64_t n,
                      const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(d, n), FD_F(dout, n), FD_F(out, n);
    ENTER();
    sigmoid_backward_cpu(d, dout, out, n);
    return LEAVE();
}
static int sk_add_fwd(float *out, const float *a, const float *b, int64_t n,
                      const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(out, n), FD_F(a, n), FD_F(b, n);
    ENTER();
    add_forward_cpu(out, a, b, n);
    return LEAVE();
}
static int sk_mul_fwd(float *out, const float *a, const float *b, int64_t n,
                      const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(out, n), FD_F(a, n), FD_F(b, n);
    ENTER();
    mul_forward_cpu(out, a, b, n);
    return LEAVE();
}
static int sk_mul_bwd(float *da, float *db, const float *dout, const float *a, const float *b,
                      int64_t n, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(da, n), FD_F(db, n), FD_F(dout, n), FD_F(a, n), FD_F(b, n);
    ENTER();
    mul_backward_cpu(da, db, dout, a, b, n);
    return LEAVE();
}
static int sk_scale_fwd(float *out, const float *x, double s, int64_t n,
                        const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(out, n), FD_F(x, n);
    ENTER();
    scale_forward_cpu(out, x, s, n);
    return LEAVE();
}
static int sk_scale_bwd(float *d, const float *dout, double s, int64_t n,
                        const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(d, n), FD_F(dout, n);
    ENTER();
    scale_backward_cpu(d, dout, s, n);
    return LEAVE();
}
static int sk_drop_mask(float *mask, int N, int C, double p, uint64_t seed, uint64_t step,
                        int layer, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(mask, (int64_t)N * C);
    ENTER();
    dropout_mask_cpu(mask, N, C, p, seed, step, layer);
    return LEAVE();
}
static int sk_drop_fwd(float *out, const float *x, const float *mask, int64_t NC, int64_t S,
                       const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(out, NC * S), FD_F(x, NC * S), FD_F(mask, NC);
    ENTER();
    dropout_forward_cpu(out, x, mask, NC, S);
    return LEAVE();
}
static int sk_drop_bwd(float *d, const float *dout, const float *mask, int64_t NC, int64_t S,
                       const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(d, NC * S), FD_F(dout, NC * S), FD_F(mask, NC);
    ENTER();
    dropout_backward_cpu(d, dout, mask, NC, S);
    return LEAVE();
}
static int sk_sum_fwd(float *out, const float *x, int64_t n, int mean, const struct cuda_ctx *ctx,
                      struct sarc_err *e)
{
    (void)e;
    FD_F(out, 1), FD_F(x, n);
    ENTER();
    ws_check(__func__, ctx, sk_reduce_ws(n));
    const double s = sum_cpu(x, n);
    out[0] = (float)(mean ? s / (double)n : s);
    return LEAVE();
}
static int sk_sum_bwd(float *dx, const float *dout, int64_t n, int mean,
                      const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(dx, n), FD_F(dout, 1);
    ENTER();
    const double g = mean ? dout[0] / (double)n : dout[0];
    for (int64_t i = 0; i < n; i++)
        dx[i] += (float)g;
    return LEAVE();
}
static int sk_bce_fwd(float *loss, const float *x, const float *y, int64_t n,
                      const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)e;
    FD_F(loss, 1), FD_F(x, n), FD_F(y, n);
    ENTER();
    ws_check(__func__, ctx, sk_reduce_ws(n));
    loss[0] = (float)bce_logits_forward_cpu(x, y, n);
    return LEAVE();
}
static int sk_bce_bwd(float *dx, const float *dloss, const float *x, const float *y, int64_t n,
                      const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(dx, n), FD_F(dloss, 1), FD_F(x, n), FD_F(y, n);
    ENTER();
    bce_logits_backward_cpu(dx, dloss[0], x, y, n);
    return LEAVE();
}
static int sk_dice_fwd(float *loss, double *sums, const float *p, const float *y, int64_t n,
                       double eps, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)e;
    FD_F(loss, 1), FD_ARG(__func__, sums, 3, 8), FD_F(p, n), FD_F(y, n);
    ENTER();
    ws_check(__func__, ctx, sk_reduce_ws(n));
    loss[0] = (float)soft_dice_forward_cpu(p, y, n, eps, sums);
    return LEAVE();
}
static int sk_dice_bwd(float *dp, const float *dloss, const float *y, int64_t n, double eps,
                       const double *sums, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    (void)ctx, (void)e;
    FD_F(dp, n), FD_F(dloss, 1), FD_F(y, n), FD_ARG(__func__, sums, 3, 8);
    ENTER();
    soft_dice_backward_cpu(dp, dloss[0], y, n, eps, sums);
    return LEAVE();
}
/* the optimizers on a bare block, through nn/optim.h (which reads only block and nvalues) */
static int sk_adam(struct nn_adam *a, float *block, int64_t n, const struct cuda_ctx *ctx,
                   struct sarc_err *e)
{
    (void)ctx;
    FD_F(block, 4 * n);
    struct nn_params ps;
    memset(&ps, 0, sizeof ps);
    ps.block = block;
    ps.nvalues = n;
    ENTER();
    int rc = nn_adam_step(a, &ps, e);
    fd_poison(1);
    return rc;
}
static int sk_sgd(const struct nn_sgd *s, float *block, int64_t n, const struct cuda_ctx *ctx,
                  struct sarc_err *e)
{
    (void)ctx;
    FD_F(block, 4 * n);
    struct nn_params ps;
    memset(&ps, 0, sizeof ps);
    ps.block = block;
    ps.nvalues = n;
    ENTER();
    int rc = nn_sgd_step(s, &ps, e);
    fd_poison(1);
    return rc;
}

static const struct tape_cuda_kernels standins = {
    sk_alloc,     sk_free,      sk_to_device, sk_to_host,   sk_zero,      sk_sync,
    sk_conv_ws,   sk_conv_ws,   sk_reduce_ws, sk_conv3d_fwd, sk_conv3d_bwd, sk_convt_fwd,
    sk_convt_bwd, sk_pool_fwd,  sk_pool_bwd,  sk_up_fwd,    sk_up_bwd,    sk_cat_fwd,
    sk_cat_bwd,   sk_relu_fwd,  sk_relu_bwd,  sk_sig_fwd,   sk_sig_bwd,   sk_add_fwd,
    sk_mul_fwd,   sk_mul_bwd,   sk_scale_fwd, sk_scale_bwd, sk_drop_mask, sk_drop_fwd,
    sk_drop_bwd,  sk_sum_fwd,   sk_sum_bwd,   sk_bce_fwd,   sk_bce_bwd,   sk_dice_fwd,
    sk_dice_bwd,  sk_adam,      sk_sgd};

/* ---- comparisons ---- */

enum { CMP_EXACT, CMP_FAST, CMP_GPU };

static double worst_seen; /* largest GPU error ratio of the run, for the "measured:" line */

/* a (device tape) against ref (CPU tape) under mode; failures name what */
static void compare(const char *what, const float *a, const float *ref, int64_t n, int mode)
{
    if (mode == CMP_EXACT) {
        if (memcmp(a, ref, sizeof(float) * (size_t)n) != 0) {
            int64_t i = 0;
            while (i < n && memcmp(a + i, ref + i, sizeof(float)) == 0)
                i++;
            test_fail_at(__FILE__, __LINE__, "%s: not bit-identical to the CPU tape: element "
                         "%lld is %.9g, CPU %.9g", what, (long long)i, (double)a[i],
                         (double)ref[i]);
        }
    } else if (mode == CMP_FAST) {
        const double r = test_rel_l2(a, ref, n);
        CHECK_MSG(r <= 1e-5, "%s: relative L2 %.3g from the fast CPU tape (bound 1e-5)", what, r);
    } else {
        double s2 = 0;
        for (int64_t i = 0; i < n; i++)
            s2 += (double)ref[i] * ref[i];
        const double rms = sqrt(s2 / (double)(n > 0 ? n : 1));
        const double m = CT_COMPARE(what, a, ref, n, 1e-4, 1e-4 * rms + 1e-30, NULL);
        if (m > worst_seen)
            worst_seen = m;
    }
}

/* ---- every op, forward and backward ---- */

typedef struct nn_var *(*build_fn)(struct tape *t, struct nn_var **in);
struct op_case {
    const char *name;
    int nin;
    int shape[3][5];
    int ndim[3];
    int kind[3];  /* 0 signed, 1 distinct (max-pool), 2 unit interval, 3 binary */
    int grad;     /* bit i: input i requires a gradient */
    build_fn build;
};

static struct nn_var *b_conv_valid(struct tape *t, struct nn_var **in)
{
    return nn_conv3d(t, in[0], in[1], in[2], NN_PAD_VALID);
}
static struct nn_var *b_conv_same(struct tape *t, struct nn_var **in)
{
    return nn_conv3d(t, in[0], in[1], NULL, NN_PAD_SAME);
}
static struct nn_var *b_convt(struct tape *t, struct nn_var **in)
{
    return nn_conv_transpose3d(t, in[0], in[1], in[2]);
}
static struct nn_var *b_pool(struct tape *t, struct nn_var **in) { return nn_maxpool3d(t, in[0]); }
static struct nn_var *b_up(struct tape *t, struct nn_var **in) { return nn_upsample2x(t, in[0]); }
static struct nn_var *b_cat(struct tape *t, struct nn_var **in) { return nn_concat(t, in[0], in[1]); }
static struct nn_var *b_relu(struct tape *t, struct nn_var **in) { return nn_relu(t, in[0]); }
static struct nn_var *b_sig(struct tape *t, struct nn_var **in) { return nn_sigmoid(t, in[0]); }
static struct nn_var *b_drop(struct tape *t, struct nn_var **in) { return nn_dropout(t, in[0], 0.4, 3); }
static struct nn_var *b_add(struct tape *t, struct nn_var **in) { return nn_add(t, in[0], in[1]); }
static struct nn_var *b_mul(struct tape *t, struct nn_var **in) { return nn_mul(t, in[0], in[1]); }
static struct nn_var *b_scale(struct tape *t, struct nn_var **in) { return nn_scale(t, in[0], -0.37); }
static struct nn_var *b_sum(struct tape *t, struct nn_var **in) { return nn_sum(t, in[0]); }
static struct nn_var *b_mean(struct tape *t, struct nn_var **in) { return nn_mean(t, in[0]); }
static struct nn_var *b_bce(struct tape *t, struct nn_var **in) { return nn_bce_logits(t, in[0], in[1]); }
static struct nn_var *b_dice(struct tape *t, struct nn_var **in) { return nn_soft_dice(t, in[0], in[1], 1e-6); }
/* fan-out: x feeds two consumers, so its gradient is the sum of two "+=" contributions */
static struct nn_var *b_fanout(struct tape *t, struct nn_var **in)
{
    return nn_add(t, nn_relu(t, in[0]), nn_mul(t, in[0], in[1]));
}

/* odd extents, size-1 dimensions, channel counts that divide nothing */
static const struct op_case op_cases[] = {
    {"conv3d_valid", 3, {{2, 3, 5, 6, 7}, {4, 3, 3, 3, 3}, {4}}, {5, 5, 1}, {0, 0, 0}, 7, b_conv_valid},
    {"conv3d_same_no_dx", 2, {{1, 2, 4, 1, 5}, {3, 2, 3, 3, 3}}, {5, 5}, {0, 0}, 2, b_conv_same},
    {"conv_transpose3d", 3, {{2, 3, 3, 4, 2}, {3, 5, 3, 3, 3}, {5}}, {5, 5, 1}, {0, 0, 0}, 7, b_convt},
    {"maxpool3d", 1, {{2, 3, 5, 4, 7}}, {5}, {1}, 1, b_pool},
    {"upsample2x", 1, {{2, 3, 3, 1, 2}}, {5}, {0}, 1, b_up},
    {"concat", 2, {{2, 2, 3, 3, 4}, {2, 3, 3, 3, 4}}, {5, 5}, {0, 0}, 3, b_cat},
    {"concat_b_only", 2, {{1, 1, 2, 3, 1}, {1, 4, 2, 3, 1}}, {5, 5}, {0, 0}, 2, b_cat},
    {"relu", 1, {{2, 3, 4, 5, 3}}, {5}, {0}, 1, b_relu},
    {"sigmoid", 1, {{2, 3, 4, 5, 3}}, {5}, {0}, 1, b_sig},
    {"dropout", 1, {{3, 7, 2, 3, 4}}, {5}, {0}, 1, b_drop},
    {"add", 2, {{2, 3, 2, 5, 3}, {2, 3, 2, 5, 3}}, {5, 5}, {0, 0}, 3, b_add},
    {"mul_a_only", 2, {{2, 3, 2, 5, 3}, {2, 3, 2, 5, 3}}, {5, 5}, {0, 0}, 1, b_mul},
    {"scale", 1, {{3, 5, 7}}, {3}, {0}, 1, b_scale},
    {"sum", 1, {{2, 3, 4, 5, 6}}, {5}, {0}, 1, b_sum},
    {"mean", 1, {{2, 3, 4, 5, 6}}, {5}, {0}, 1, b_mean},
    {"bce_logits", 2, {{2, 1, 3, 5, 4}, {2, 1, 3, 5, 4}}, {5, 5}, {0, 3}, 1, b_bce},
    {"soft_dice", 2, {{2, 1, 3, 5, 4}, {2, 1, 3, 5, 4}}, {5, 5}, {2, 3}, 1, b_dice},
    {"fan_out", 2, {{2, 3, 2, 3, 3}, {2, 3, 2, 3, 3}}, {5, 5}, {0, 0}, 3, b_fanout},
};

static void fill(float *x, int64_t n, int kind, uint64_t stream)
{
    for (int64_t i = 0; i < n; i++) {
        const double u = rng_uniform53(31, stream, (uint64_t)i);
        x[i] = kind == 2 ? (float)(0.05 + 0.9 * u) : kind == 3 ? (u < 0.4 ? 1.0f : 0.0f)
                                                              : (float)(2 * u - 1);
    }
    if (kind == 1) /* distinct values, shuffled: no max-pool ties */
        for (int64_t i = 0; i < n; i++)
            x[i] = (float)(0.01 * (double)((i * 7919) % n) - 0.005 * (double)n);
}

/* Results of one op case on one tape: output value, loss, input gradients (malloc'ed). */
struct op_result {
    float *out, loss, *grad[3];
    int64_t nout, nin[3];
};
static void op_result_free(struct op_result *r)
{
    free(r->out);
    for (int i = 0; i < 3; i++)
        free(r->grad[i]);
    memset(r, 0, sizeof *r);
}

/* Runs case c on t (reset here): inputs from the RNG, loss = sum(out * R); leaves of a device
 * tape alternate between tape_leaf_from (host copy) and tape_leaf + tape_leaf_upload. */
static int op_run(struct tape *t, const struct op_case *c, struct op_result *r)
{
    struct sarc_err e;
    struct nn_var *in[3] = {NULL, NULL, NULL};
    float *data[3] = {NULL, NULL, NULL}, *rr = NULL;
    int rc = -1;
    err_clear(&e);
    memset(r, 0, sizeof *r);
    tape_reset(t);
    t->seed = 17;
    t->step = 4;
    for (int i = 0; i < c->nin; i++) {
        struct tensor x;
        memset(&x, 0, sizeof x);
        if (tensor_set_shape(&x, c->ndim[i], c->shape[i], &e))
            goto out;
        data[i] = malloc(sizeof(float) * (size_t)x.n);
        fill(data[i], x.n, c->kind[i], (uint64_t)(10 * i + 1));
        x.data = data[i];
        if (i % 2 == 0) {
            in[i] = tape_leaf_from(t, &x);
        } else {
            in[i] = tape_leaf(t, x.ndim, x.shape);
            if (in[i] && tape_leaf_upload(t, in[i], data[i], &e)) {
                test_fail_at(__FILE__, __LINE__, "%s: upload: %s", c->name, e.msg);
                goto out;
            }
        }
        if (in[i] && (c->grad >> i & 1))
            in[i]->requires_grad = 1;
        r->nin[i] = x.n;
    }
    struct nn_var *o = c->build(t, in);
    if (!o)
        goto fail;
    r->nout = o->val.n;
    rr = malloc(sizeof(float) * (size_t)o->val.n);
    fill(rr, o->val.n, 0, 99);
    struct nn_var *rv = tape_leaf(t, o->val.ndim, o->val.shape);
    if (rv && tape_leaf_upload(t, rv, rr, &e))
        goto fail;
    struct nn_var *loss = nn_sum(t, nn_mul(t, o, rv));
    if (!loss || tape_backward(t, loss, &e))
        goto fail;
    r->out = malloc(sizeof(float) * (size_t)o->val.n);
    if (tape_value_download(t, o, r->out, &e) || tape_value_download(t, loss, &r->loss, &e))
        goto fail;
    for (int i = 0; i < c->nin; i++)
        if (c->grad >> i & 1) {
            r->grad[i] = malloc(sizeof(float) * (size_t)r->nin[i]);
            if (tape_grad_download(t, in[i], r->grad[i], &e))
                goto fail;
        } else if (in[i] && in[i]->grad.data) {
            test_fail_at(__FILE__, __LINE__, "%s: input %d got a gradient it does not need",
                         c->name, i);
        }
    rc = 0;
    goto out;
fail:
    if (t->failed)
        tape_error(t, &e);
    test_fail_at(__FILE__, __LINE__, "%s: %s", c->name, e.msg);
out:
    for (int i = 0; i < 3; i++)
        free(data[i]);
    free(rr);
    return rc;
}

static void op_compare(const char *cname, const struct op_case *c, const struct op_result *d,
                       const struct op_result *h, int mode)
{
    char what[96];
    snprintf(what, sizeof what, "%s forward", cname);
    compare(what, d->out, h->out, h->nout, mode);
    snprintf(what, sizeof what, "%s loss", cname);
    compare(what, &d->loss, &h->loss, 1, mode);
    for (int i = 0; i < c->nin; i++)
        if (c->grad >> i & 1) {
            snprintf(what, sizeof what, "%s gradient of input %d", cname, i);
            compare(what, d->grad[i], h->grad[i], h->nin[i], mode);
        }
}

/* Every op on a device tape over kernels k against the CPU tape (reference loops, and for the
 * stand-ins also the fast path). */
static void ops_case(const struct tape_cuda_kernels *k, int gpu)
{
    struct sarc_err e;
    struct tape th, tf, td;
    tape_init(&th);
    tape_init(&tf);
    tape_init(&td);
    th.reference = 1;
    REQUIRE_OK(tape_device_init(&td, k, 0, &e), e);
    worst_seen = 0;
    for (size_t i = 0; i < sizeof op_cases / sizeof op_cases[0]; i++) {
        const struct op_case *c = &op_cases[i];
        struct op_result rh, rf, rd;
        if (op_run(&th, c, &rh) == 0 && op_run(&tf, c, &rf) == 0 && op_run(&td, c, &rd) == 0) {
            op_compare(c->name, c, &rd, &rh, gpu ? CMP_GPU : CMP_EXACT);
            if (!gpu)
                op_compare(c->name, c, &rd, &rf, CMP_FAST);
        }
        op_result_free(&rh), op_result_free(&rf), op_result_free(&rd);
    }
    if (gpu)
        printf("    measured: tape ops on GPU: worst |gpu - cpu| / (1e-4 rms + |cpu|) = %.3g "
               "(pass <= 1)\n", worst_seen);
    tape_free(&th), tape_free(&tf), tape_free(&td);
}

/* ---- a U-Net-shaped graph and 3 Adam steps on the parameter mirror ---- */

static const char *gnames[8] = {"w1", "b1", "w2", "b2", "w3", "b3", "w4", "b4"};

static int graph_params(struct nn_params *ps, struct sarc_err *e)
{
    static const int shp[8][5] = {{4, 2, 3, 3, 3}, {4}, {6, 4, 3, 3, 3}, {6}, {6, 4, 3, 3, 3},
                                  {4}, {1, 8, 3, 3, 3}, {1}};
    static const int fan[8][2] = {{54, 108}, {1, 1}, {108, 162}, {1, 1}, {162, 108}, {1, 1},
                                  {216, 27}, {1, 1}};
    nn_params_init(ps);
    for (int i = 0; i < 8; i++) {
        const int ndim = i % 2 ? 1 : 5;
        int rc = nn_params_add(ps, gnames[i], ndim, shp[i], i % 2 ? NN_INIT_HE_UNIFORM
                               : NN_INIT_GLOROT_UNIFORM, fan[i][0], fan[i][1], NULL, e);
        if (rc)
            return rc;
    }
    int rc = nn_params_alloc(ps, e);
    if (!rc)
        nn_params_init_values(ps, 23);
    return rc;
}

/* x (2,2,8,8,8) -> c1 = relu(conv same 2->4) -> dropout -> maxpool -> c2 = relu(conv valid
 * 4->6) -> relu(convT 6->4) -> upsample -> concat(c1, .) -> logits = conv same 8->1;
 * loss = bce(logits, y) + 0.5 * dice(sigmoid(logits), y) */
static struct nn_var *graph_loss(struct tape *t, struct nn_params *ps, const struct tensor *x,
                                 const struct tensor *y)
{
    struct nn_var *p[8];
    for (int i = 0; i < 8; i++)
        p[i] = tape_param(t, &ps->p[i]);
    struct nn_var *xv = tape_leaf_from(t, x), *yv = tape_leaf_from(t, y);
    struct nn_var *c1 = nn_relu(t, nn_conv3d(t, xv, p[0], p[1], NN_PAD_SAME));
    struct nn_var *d1 = nn_dropout(t, c1, 0.25, 1);
    struct nn_var *c2 = nn_relu(t, nn_conv3d(t, nn_maxpool3d(t, d1), p[2], p[3], NN_PAD_VALID));
    struct nn_var *tc = nn_relu(t, nn_conv_transpose3d(t, c2, p[4], p[5]));
    struct nn_var *cat = nn_concat(t, c1, nn_upsample2x(t, tc));
    struct nn_var *logits = nn_conv3d(t, cat, p[6], p[7], NN_PAD_SAME);
    struct nn_var *dice = nn_soft_dice(t, nn_sigmoid(t, logits), yv, 1e-6);
    return nn_add(t, nn_bce_logits(t, logits, yv), nn_scale(t, dice, 0.5));
}

struct graph_result {
    float losses[5]; /* before steps 1..3, after step 3, and at inference (no dropout) */
    float *grad0; /* all gradients after step 0 (nvalues) */
    float *w3;    /* all weights after 3 steps */
    long allocs_after_step1, allocs_after_step3;
};

/* 3 Adam steps (torch form, lr 1e-2) and a final forward on tape t (device when k != NULL). */
static int graph_train(const struct tape_cuda_kernels *k, int reference, struct graph_result *g)
{
    struct sarc_err e;
    struct nn_params ps;
    struct tape t;
    int rc = -1;
    err_clear(&e);
    memset(g, 0, sizeof *g);
    tape_init(&t);
    t.reference = reference;
    float xd[2 * 2 * 512], yd[2 * 512];
    fill(xd, 2 * 2 * 512, 0, 71);
    fill(yd, 2 * 512, 3, 72);
    struct tensor x, y;
    memset(&x, 0, sizeof x), memset(&y, 0, sizeof y);
    tensor_set_shape(&x, 5, (int[]){2, 2, 8, 8, 8}, NULL);
    tensor_set_shape(&y, 5, (int[]){2, 1, 8, 8, 8}, NULL);
    x.data = xd, y.data = yd;
    if (graph_params(&ps, &e)) {
        test_fail_at(__FILE__, __LINE__, "graph params: %s", e.msg);
        tape_free(&t);
        return -1;
    }
    g->grad0 = malloc(sizeof(float) * (size_t)ps.nvalues);
    g->w3 = malloc(sizeof(float) * (size_t)ps.nvalues);
    if (k && (tape_device_init(&t, k, 0, &e) || tape_params_upload(&t, &ps, &e)))
        goto fail;
    struct nn_adam adam = nn_adam_default(1e-2);
    adam.form = NN_ADAM_TORCH;
    for (int step = 0; step <= 3; step++) {
        tape_reset(&t);
        t.training = 1;
        t.seed = 5;
        t.step = (uint64_t)step;
        if (tape_params_zero_grad(&t, &ps, &e))
            goto fail;
        struct nn_var *loss = graph_loss(&t, &ps, &x, &y);
        if (!loss) {
            tape_error(&t, &e);
            goto fail;
        }
        if (tape_value_download(&t, loss, &g->losses[step], &e))
            goto fail;
        if (step == 3)
            break;
        if (tape_backward(&t, loss, &e))
            goto fail;
        if (step == 0) {
            if (tape_params_download(&t, &ps, &e))
                goto fail;
            memcpy(g->grad0, ps.block + ps.nvalues, sizeof(float) * (size_t)ps.nvalues);
        }
        if (tape_adam_step(&t, &ps, &adam, &e))
            goto fail;
        if (step == 1)
            g->allocs_after_step1 = fd_allocs;
    }
    g->allocs_after_step3 = fd_allocs;
    CHECK_INT(adam.t, 3);
    tape_reset(&t);
    t.training = 0;
    struct nn_var *ev = graph_loss(&t, &ps, &x, &y);
    if (!ev) {
        tape_error(&t, &e);
        goto fail;
    }
    if (tape_value_download(&t, ev, &g->losses[4], &e))
        goto fail;
    if (tape_params_download(&t, &ps, &e))
        goto fail;
    memcpy(g->w3, ps.block, sizeof(float) * (size_t)ps.nvalues);
    rc = (int)ps.nvalues;
    goto out;
fail:
    test_fail_at(__FILE__, __LINE__, "graph on the %s tape: %s", k ? "device" : "CPU", e.msg);
out:
    tape_free(&t);
    nn_params_free(&ps);
    return rc;
}

static void graph_result_free(struct graph_result *g)
{
    free(g->grad0);
    free(g->w3);
}

static void graph_case(const struct tape_cuda_kernels *k, int gpu)
{
    struct graph_result h, f, d;
    const int n = graph_train(NULL, 1, &h);
    const int nf = graph_train(NULL, 0, &f);
    const int nd = graph_train(k, 0, &d);
    if (n > 0 && nf == n && nd == n) {
        if (!gpu) {
            compare("graph losses (3 steps, final, inference)", d.losses, h.losses, 5, CMP_EXACT);
            compare("graph step-0 gradients", d.grad0, h.grad0, n, CMP_EXACT);
            compare("graph weights after 3 Adam steps", d.w3, h.w3, n, CMP_EXACT);
            compare("graph step-0 gradients vs fast tape", d.grad0, f.grad0, n, CMP_FAST);
            for (int i = 0; i < 5; i++)
                CHECK_CLOSE(d.losses[i], f.losses[i], 1e-5, 0);
            const double rw = test_rel_l2(d.w3, f.w3, n);
            CHECK_MSG(rw <= 1e-3, "weights after 3 steps: relative L2 %.3g from the fast tape", rw);
            CHECK(h.losses[4] != h.losses[3]); /* dropout was active while training */
            /* from the second step on, nothing new is allocated on the device */
            CHECK_INT(d.allocs_after_step3, d.allocs_after_step1);
            CHECK(d.allocs_after_step1 > 0);
        } else {
            for (int i = 0; i < 5; i++)
                CHECK_CLOSE(d.losses[i], h.losses[i], 1e-4, 0);
            const double rg = test_rel_l2(d.grad0, h.grad0, n), rw = test_rel_l2(d.w3, h.w3, n);
            CHECK_MSG(rg <= 1e-4, "step-0 gradients: relative L2 %.3g > 1e-4", rg);
            CHECK_MSG(rw <= 1e-3, "weights after 3 Adam steps: relative L2 %.3g > 1e-3", rw);
            printf("    measured: tape graph on GPU: losses %.7g %.7g %.7g %.7g (cpu %.7g %.7g "
                   "%.7g %.7g); step-0 gradient rel L2 %.3g; weights after 3 Adam steps rel L2 "
                   "%.3g\n", d.losses[0], d.losses[1], d.losses[2], d.losses[3], h.losses[0],
                   h.losses[1], h.losses[2], h.losses[3], rg, rw);
            /* run to run: the same bits */
            struct graph_result d2;
            if (graph_train(k, 0, &d2) == n) {
                CHECK_MSG(memcmp(d.losses, d2.losses, sizeof d.losses) == 0 &&
                              memcmp(d.grad0, d2.grad0, sizeof(float) * (size_t)n) == 0 &&
                              memcmp(d.w3, d2.w3, sizeof(float) * (size_t)n) == 0,
                          "Nondeterminism: two GPU runs of the tape graph differ");
            }
            graph_result_free(&d2);
        }
    }
    graph_result_free(&h), graph_result_free(&f), graph_result_free(&d);
}

/* every fake allocation must have been returned */
static void leak_check(long live_before)
{
    CHECK_MSG(fd_count == live_before, "fake device: %ld allocations not freed",
              (long)fd_count - live_before);
}

TEST(cuda_tape_ops_standin)
{
    const int live = fd_count;
    ops_case(&standins, 0);
    leak_check(live);
}

TEST(cuda_tape_graph_standin)
{
    const int live = fd_count;
    graph_case(&standins, 0);
    leak_check(live);
}

TEST(cuda_tape_api_errors)
{
    struct sarc_err e;
    struct tape t;
    const int live = fd_count;
    tape_init(&t);
    CHECK(!tape_on_device(&t));
    /* the real launchers: unsupported in a CPU build, no GPU is a device error */
    {
        int rc = tape_device_init(&t, NULL, 0, &e);
        char nm[200];
        if (!device_cuda_compiled())
            CHECK_INT(rc, SARC_ERR_UNSUPPORTED);
        else if (!device_cuda_available(nm, sizeof nm))
            CHECK_INT(rc, SARC_ERR_DEVICE);
        else
            CHECK_INT(rc, 0);
        tape_free(&t);
        tape_init(&t);
    }
    /* only an empty tape moves to the device, and only once */
    struct nn_var *x = tape_leaf(&t, 2, (int[]){2, 3});
    CHECK(x != NULL);
    CHECK_INT(tape_device_init(&t, &standins, 0, &e), SARC_ERR_ARG);
    tape_reset(&t);
    REQUIRE_OK(tape_device_init(&t, &standins, 0, &e), e);
    CHECK(tape_on_device(&t));
    CHECK_INT(tape_device_init(&t, &standins, 0, &e), SARC_ERR_ARG);
    /* a parameter that is not in the mirror: a sticky error, no crash */
    struct nn_params ps, other;
    REQUIRE_OK(graph_params(&ps, &e), e);
    REQUIRE_OK(graph_params(&other, &e), e);
    CHECK(tape_param(&t, &ps.p[0]) == NULL);
    CHECK(nn_relu(&t, tape_leaf(&t, 1, (int[]){3})) == NULL);
    CHECK_INT(tape_error(&t, &e), SARC_ERR_ARG);
    CHECK(strstr(e.msg, "device mirror") != NULL);
    tape_reset(&t);
    REQUIRE_OK(tape_params_upload(&t, &ps, &e), e);
    CHECK(tape_param(&t, &other.p[0]) == NULL);
    tape_reset(&t);
    struct nn_adam a = nn_adam_default(1e-3);
    CHECK_INT(tape_adam_step(&t, &other, &a, &e), SARC_ERR_ARG);
    CHECK_INT(tape_params_download(&t, &other, &e), SARC_ERR_ARG);
    /* SGD on the mirror with zero gradients leaves the weights as they were */
    float *w0 = malloc(sizeof(float) * (size_t)ps.nvalues);
    memcpy(w0, ps.block, sizeof(float) * (size_t)ps.nvalues);
    struct nn_sgd sgd = {0.1, 0.9};
    CHECK_OK(tape_params_zero_grad(&t, &ps, &e), e);
    CHECK_OK(tape_sgd_step(&t, &ps, &sgd, &e), e);
    memset(ps.block, 0, sizeof(float) * (size_t)ps.nvalues);
    CHECK_OK(tape_params_download(&t, &ps, &e), e);
    CHECK(memcmp(w0, ps.block, sizeof(float) * (size_t)ps.nvalues) == 0);
    free(w0);
    /* a parameter as the loss: its gradient accumulates (+= 1 per backward) on the device */
    CHECK_OK(tape_params_zero_grad(&t, &ps, &e), e);
    for (int pass = 0; pass < 2; pass++) {
        tape_reset(&t);
        CHECK_OK(tape_backward(&t, tape_param(&t, &ps.p[7]), &e), e);
    }
    CHECK_OK(tape_params_download(&t, &ps, &e), e);
    CHECK(ps.p[7].g.n == 1 && ps.p[7].g.data[0] == 2.0f);
    /* leaves, downloads */
    x = tape_leaf(&t, 1, (int[]){3});
    CHECK_OK(tape_leaf_upload(&t, x, (float[]){-1, 2, -3}, &e), e); /* before its consumers */
    struct nn_var *r = nn_relu(&t, x);
    CHECK_INT(tape_leaf_upload(&t, r, (float[]){1, 2, 3}, &e), SARC_ERR_ARG);
    float back[3] = {0};
    CHECK_OK(tape_value_download(&t, r, back, &e), e);
    CHECK(back[0] == 0.0f && back[1] == 2.0f && back[2] == 0.0f);
    CHECK_INT(tape_grad_download(&t, r, back, &e), SARC_ERR_ARG); /* no backward yet */
    /* a device allocation failing inside a step: an error, no crash, nothing leaked */
    tape_reset(&t);
    fd_fail_at = fd_allocs;
    struct nn_var *big = tape_leaf(&t, 1, (int[]){1 << 20}); /* needs a new 4 MiB block */
    CHECK(big == NULL);
    CHECK_INT(tape_error(&t, &e), SARC_ERR_DEVICE);
    fd_fail_at = -1;
    tape_reset(&t);
    CHECK(tape_leaf(&t, 1, (int[]){1 << 20}) != NULL);
    tape_free(&t);
    /* the same helpers on a CPU tape: plain copies and the nn/optim.h steps */
    tape_init(&t);
    x = tape_leaf(&t, 1, (int[]){3});
    CHECK_OK(tape_leaf_upload(&t, x, (float[]){4, 5, 6}, &e), e);
    CHECK(x->val.data[1] == 5.0f);
    struct nn_var *loss = nn_sum(&t, nn_mul(&t, tape_param(&t, &ps.p[1]), x));
    (void)loss;
    CHECK_OK(tape_params_upload(&t, &ps, &e), e);
    CHECK_OK(tape_params_zero_grad(&t, &ps, &e), e);
    CHECK_OK(tape_adam_step(&t, &ps, &a, &e), e);
    CHECK_INT(a.t, 1);
    tape_free(&t);
    nn_params_free(&ps);
    nn_params_free(&other);
    leak_check(live);
}

#define GPU_TAPE_CASE(fn)                                                                      \
    do {                                                                                       \
        char nm_[200], why_[256];                                                              \
        if (!device_cuda_compiled())                                                           \
            SKIP("built without CUDA (nvcc not on PATH or CUDA=0); the stand-in cases cover "  \
                 "the wiring");                                                               \
        if (!device_cuda_available(nm_, sizeof nm_)) {                                         \
            snprintf(why_, sizeof why_, "needs a CUDA GPU: %s", nm_);                         \
            SKIP(why_);                                                                        \
        }                                                                                      \
        fn(tape_cuda_launchers(), 1);                                                          \
    } while (0)

TEST(cuda_tape_ops_gpu) { GPU_TAPE_CASE(ops_case); }
TEST(cuda_tape_graph_gpu) { GPU_TAPE_CASE(graph_case); }
