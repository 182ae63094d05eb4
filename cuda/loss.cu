/* loss.cu - BCE-with-logits and soft Dice kernels (contracts in cuda/loss.h). Forward sums go
 * through the fixed-chunk two-pass reduction of cuda/reduce.h (no atomics); the backwards are
 * element-wise, with the CPU's rounding steps kept by the _rn intrinsics (no FMA contraction).
 * log1p/exp are the device's double functions (within an ulp or so of glibc's).
 * Covered by test/cuda/test_cuda_ops.c (needs a GPU). */
#include "cuda/check.h"
#include "cuda/eltwise.h"
#include "cuda/loss.h"
#include "cuda/reduce.h"

#define LOSS_THREADS 256
#define GRID_LOOP(i, n)                                                                        \
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n);                  \
         i += (int64_t)gridDim.x * blockDim.x)

struct bce_term {
    const float *x, *y;
    __device__ void operator()(int64_t i, double *s) const
    {
        const double v = x[i], t = y[i];
        s[0] += __dsub_rn(v > 0 ? v : 0, __dmul_rn(v, t)) + log1p(exp(-fabs(v)));
    }
};
struct bce_fin {
    float *loss;
    int64_t n;
    __device__ void operator()(const double *t) const { loss[0] = (float)(t[0] / (double)n); }
};

static int ws_check(const char *what, int64_t n, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    if (n < 1)
        return ERR(e, SARC_ERR_RANGE, "%s (CUDA): n = %lld", what, (long long)n);
    if (!ctx || ctx->ws_bytes < reduce_workspace_bytes_cuda(n))
        return ERR(e, SARC_ERR_ARG, "%s (CUDA): workspace %zu bytes, need %zu", what,
                   ctx ? ctx->ws_bytes : (size_t)0, reduce_workspace_bytes_cuda(n));
    return 0;
}

extern "C" int bce_logits_forward_cuda(float *loss, const float *x, const float *y, int64_t n,
                                       const struct cuda_ctx *ctx, struct sarc_err *e)
{
    int rc = ws_check("bce_logits", n, ctx, e);
    if (rc)
        return rc;
    bce_term f = {x, y};
    bce_fin fin = {loss, n};
    CUDA_TRY(e, (reduce_launch<1>(f, fin, n, (double *)ctx->ws, CTX_STREAM(ctx))));
    return 0;
}

__global__ void bce_backward_kernel(float *__restrict__ dx, const float *__restrict__ dloss,
                                    const float *__restrict__ x, const float *__restrict__ y,
                                    int64_t n)
{
    const double k = (double)dloss[0] / (double)n;
    GRID_LOOP(i, n)
    {
        const double v = x[i];
        const double sg = v >= 0 ? 1.0 / (1.0 + exp(-v)) : exp(v) / (1.0 + exp(v));
        dx[i] = __fadd_rn(dx[i], (float)__dmul_rn(k, __dsub_rn(sg, (double)y[i])));
    }
}

extern "C" int bce_logits_backward_cuda(float *dx, const float *dloss, const float *x,
                                        const float *y, int64_t n, const struct cuda_ctx *ctx,
                                        struct sarc_err *e)
{
    if (n < 1)
        return ERR(e, SARC_ERR_RANGE, "bce_logits backward (CUDA): n = %lld", (long long)n);
    bce_backward_kernel<<<cuda_grid_for(n, LOSS_THREADS), LOSS_THREADS, 0, CTX_STREAM(ctx)>>>(
        dx, dloss, x, y, n);
    CUDA_LAUNCHED(e);
    return 0;
}

struct dice_term {
    const float *p, *y;
    __device__ void operator()(int64_t i, double *s) const
    {
        s[0] += __dmul_rn((double)p[i], (double)y[i]);
        s[1] += p[i];
        s[2] += y[i];
    }
};
struct dice_fin {
    float *loss;
    double *sums;
    double eps;
    __device__ void operator()(const double *t) const
    {
        sums[0] = t[0];
        sums[1] = t[1];
        sums[2] = t[2];
        const double num = __dadd_rn(__dmul_rn(2.0, t[0]), eps);
        loss[0] = (float)(1.0 - num / (t[1] + t[2] + eps));
    }
};

extern "C" int soft_dice_forward_cuda(float *loss, double *sums, const float *p, const float *y,
                                      int64_t n, double eps, const struct cuda_ctx *ctx,
                                      struct sarc_err *e)
{
    int rc = ws_check("soft_dice", n, ctx, e);
    if (rc)
        return rc;
    if (!(eps > 0))
        return ERR(e, SARC_ERR_ARG, "soft_dice (CUDA): eps %g, expected > 0", eps);
    dice_term f = {p, y};
    dice_fin fin = {loss, sums, eps};
    CUDA_TRY(e, (reduce_launch<3>(f, fin, n, (double *)ctx->ws, CTX_STREAM(ctx))));
    return 0;
}

__global__ void dice_backward_kernel(float *__restrict__ dp, const float *__restrict__ dloss,
                                     const float *__restrict__ y, int64_t n, double eps,
                                     const double *__restrict__ sums)
{
    const double S = sums[1] + sums[2] + eps;
    const double num = __dadd_rn(__dmul_rn(2.0, sums[0]), eps);
    const double g = dloss[0], S2 = __dmul_rn(S, S);
    GRID_LOOP(i, n)
    {
        const double t = __dsub_rn(__dmul_rn(__dmul_rn(2.0, (double)y[i]), S), num);
        dp[i] = __fadd_rn(dp[i], (float)__ddiv_rn(__dmul_rn(g, -t), S2));
    }
}

extern "C" int soft_dice_backward_cuda(float *dp, const float *dloss, const float *y, int64_t n,
                                       double eps, const double *sums, const struct cuda_ctx *ctx,
                                       struct sarc_err *e)
{
    if (n < 1)
        return ERR(e, SARC_ERR_RANGE, "soft_dice backward (CUDA): n = %lld", (long long)n);
    dice_backward_kernel<<<cuda_grid_for(n, LOSS_THREADS), LOSS_THREADS, 0, CTX_STREAM(ctx)>>>(
        dp, dloss, y, n, eps, sums);
    CUDA_LAUNCHED(e);
    return 0;
}
