/* eltwise.cu - element-wise kernels, concatenation, spatial dropout and sums (contracts in
 * cuda/eltwise.h). Products and sums that the CPU rounds separately are written with the _rn
 * intrinsics so that nvcc cannot fuse them into an FMA (the Makefile does not pass
 * --fmad=false): the results then equal nn/eltwise.c bit for bit. Grid-stride loops; one
 * thread per output element, so there are no atomics. Covered by test/cuda/test_cuda_ops.c
 * (needs a GPU). */
#include "cuda/check.h"
#include "cuda/eltwise.h"
#include "cuda/reduce.h"
#include "vendor/rng.h"

#define EW_THREADS 256
#define GRID_LOOP(i, n)                                                                        \
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n);                  \
         i += (int64_t)gridDim.x * blockDim.x)

enum ew_kind { K_RELU_F, K_RELU_B, K_SIG_F, K_SIG_B, K_ADD_F, K_MUL_F, K_SCALE_F, K_SCALE_B };

/* One kernel for the unary/binary element-wise ops: o from a, b, s as the kind says. */
__global__ void ew_kernel(int kind, float *__restrict__ o, const float *__restrict__ a, const float *__restrict__ b,
                          double s, int64_t n)
{
    GRID_LOOP(i, n)
    {
        switch (kind) {
        case K_RELU_F:
            o[i] = a[i] > 0 ? a[i] : 0.0f;
            break;
        case K_RELU_B: /* o = dinp, a = dout, b = x */
            if (b[i] > 0)
                o[i] = __fadd_rn(o[i], a[i]);
            break;
        case K_SIG_F: {
            const double v = a[i];
            if (v >= 0)
                o[i] = (float)(1.0 / (1.0 + exp(-v)));
            else {
                const double z = exp(v);
                o[i] = (float)(z / (1.0 + z));
            }
            break;
        }
        case K_SIG_B: { /* o = dinp, a = dout, b = out */
            const double t = __dmul_rn(__dmul_rn((double)a[i], (double)b[i]), 1.0 - (double)b[i]);
            o[i] = __fadd_rn(o[i], (float)t);
            break;
        }
        case K_ADD_F:
            o[i] = __fadd_rn(a[i], b[i]);
            break;
        case K_MUL_F:
            o[i] = __fmul_rn(a[i], b[i]);
            break;
        case K_SCALE_F:
            o[i] = (float)__dmul_rn((double)a[i], s);
            break;
        case K_SCALE_B:
            o[i] = __fadd_rn(o[i], (float)__dmul_rn((double)a[i], s));
            break;
        }
    }
}

/* da += dout * b, db += dout * a */
__global__ void mul_backward_kernel(float *__restrict__ da, float *__restrict__ db,
                                    const float *__restrict__ dout, const float *__restrict__ a,
                                    const float *__restrict__ b, int64_t n)
{
    GRID_LOOP(i, n)
    {
        if (da)
            da[i] = __fadd_rn(da[i], __fmul_rn(dout[i], b[i]));
        if (db)
            db[i] = __fadd_rn(db[i], __fmul_rn(dout[i], a[i]));
    }
}

static int ew_launch(int kind, float *o, const float *a, const float *b, double s, int64_t n,
                     const struct cuda_ctx *ctx, struct sarc_err *e)
{
    if (n < 0)
        return ERR(e, SARC_ERR_RANGE, "element-wise op (CUDA): n = %lld", (long long)n);
    if (n == 0)
        return 0;
    ew_kernel<<<cuda_grid_for(n, EW_THREADS), EW_THREADS, 0, CTX_STREAM(ctx)>>>(kind, o, a, b, s, n);
    CUDA_LAUNCHED(e);
    return 0;
}

extern "C" int relu_forward_cuda(float *out, const float *x, int64_t n, const struct cuda_ctx *ctx,
                                 struct sarc_err *e)
{
    return ew_launch(K_RELU_F, out, x, NULL, 0, n, ctx, e);
}
extern "C" int relu_backward_cuda(float *dinp, const float *dout, const float *x, int64_t n,
                                  const struct cuda_ctx *ctx, struct sarc_err *e)
{
    return ew_launch(K_RELU_B, dinp, dout, x, 0, n, ctx, e);
}
extern "C" int sigmoid_forward_cuda(float *out, const float *x, int64_t n,
                                    const struct cuda_ctx *ctx, struct sarc_err *e)
{
    return ew_launch(K_SIG_F, out, x, NULL, 0, n, ctx, e);
}
extern "C" int sigmoid_backward_cuda(float *dinp, const float *dout, const float *out, int64_t n,
                                     const struct cuda_ctx *ctx, struct sarc_err *e)
{
    return ew_launch(K_SIG_B, dinp, dout, out, 0, n, ctx, e);
}
extern "C" int add_forward_cuda(float *out, const float *a, const float *b, int64_t n,
                                const struct cuda_ctx *ctx, struct sarc_err *e)
{
    return ew_launch(K_ADD_F, out, a, b, 0, n, ctx, e);
}
extern "C" int mul_forward_cuda(float *out, const float *a, const float *b, int64_t n,
                                const struct cuda_ctx *ctx, struct sarc_err *e)
{
    return ew_launch(K_MUL_F, out, a, b, 0, n, ctx, e);
}
extern "C" int scale_forward_cuda(float *out, const float *x, double s, int64_t n,
                                  const struct cuda_ctx *ctx, struct sarc_err *e)
{
    return ew_launch(K_SCALE_F, out, x, NULL, s, n, ctx, e);
}
extern "C" int scale_backward_cuda(float *d, const float *dout, double s, int64_t n,
                                   const struct cuda_ctx *ctx, struct sarc_err *e)
{
    return ew_launch(K_SCALE_B, d, dout, NULL, s, n, ctx, e);
}
extern "C" int mul_backward_cuda(float *da, float *db, const float *dout, const float *a,
                                 const float *b, int64_t n, const struct cuda_ctx *ctx,
                                 struct sarc_err *e)
{
    if (n <= 0)
        return n < 0 ? ERR(e, SARC_ERR_RANGE, "mul backward (CUDA): n = %lld", (long long)n) : 0;
    mul_backward_kernel<<<cuda_grid_for(n, EW_THREADS), EW_THREADS, 0, CTX_STREAM(ctx)>>>(
        da, db, dout, a, b, n);
    CUDA_LAUNCHED(e);
    return 0;
}

/* ---- concatenation: one thread per output (forward) / per input (backward) element ---- */

__global__ void concat_forward_kernel(float *__restrict__ out, const float *__restrict__ a,
                                      const float *__restrict__ b, int Ca, int Cb, int64_t S,
                                      int64_t n)
{
    const int64_t per = (int64_t)(Ca + Cb) * S;
    GRID_LOOP(i, n)
    {
        const int64_t s = i / per, r = i - s * per;
        out[i] = r < Ca * S ? a[s * Ca * S + r] : b[s * Cb * S + (r - Ca * S)];
    }
}

__global__ void concat_backward_kernel(float *__restrict__ d, const float *__restrict__ dout,
                                       int Cpart, int Coff, int Ctot, int64_t S, int64_t n)
{
    /* d (N, Cpart, S) += dout[:, Coff:Coff+Cpart] */
    const int64_t per = (int64_t)Cpart * S;
    GRID_LOOP(i, n)
    {
        const int64_t s = i / per, r = i - s * per;
        d[i] = __fadd_rn(d[i], dout[s * Ctot * S + Coff * S + r]);
    }
}

extern "C" int concat_forward_cuda(float *out, const float *a, const float *b, int N, int Ca,
                                   int Cb, int64_t S, const struct cuda_ctx *ctx,
                                   struct sarc_err *e)
{
    if (N < 1 || Ca < 1 || Cb < 1 || S < 1)
        return ERR(e, SARC_ERR_RANGE, "concat (CUDA): N %d Ca %d Cb %d S %lld", N, Ca, Cb,
                   (long long)S);
    const int64_t n = (int64_t)N * (Ca + Cb) * S;
    concat_forward_kernel<<<cuda_grid_for(n, EW_THREADS), EW_THREADS, 0, CTX_STREAM(ctx)>>>(
        out, a, b, Ca, Cb, S, n);
    CUDA_LAUNCHED(e);
    return 0;
}

extern "C" int concat_backward_cuda(float *da, float *db, const float *dout, int N, int Ca,
                                    int Cb, int64_t S, const struct cuda_ctx *ctx,
                                    struct sarc_err *e)
{
    if (N < 1 || Ca < 1 || Cb < 1 || S < 1)
        return ERR(e, SARC_ERR_RANGE, "concat backward (CUDA): N %d Ca %d Cb %d S %lld", N, Ca,
                   Cb, (long long)S);
    cudaStream_t st = CTX_STREAM(ctx);
    if (da) {
        const int64_t n = (int64_t)N * Ca * S;
        concat_backward_kernel<<<cuda_grid_for(n, EW_THREADS), EW_THREADS, 0, st>>>(
            da, dout, Ca, 0, Ca + Cb, S, n);
        CUDA_LAUNCHED(e);
    }
    if (db) {
        const int64_t n = (int64_t)N * Cb * S;
        concat_backward_kernel<<<cuda_grid_for(n, EW_THREADS), EW_THREADS, 0, st>>>(
            db, dout, Cb, Ca, Ca + Cb, S, n);
        CUDA_LAUNCHED(e);
    }
    return 0;
}

/* ---- spatial dropout ---- */

__global__ void dropout_mask_kernel(float *__restrict__ mask, int N, int C, double p,
                                    uint64_t seed, uint64_t step, int layer)
{
    const float keep = (float)(1.0 / (1.0 - p));
    GRID_LOOP(q, (int64_t)N * C)
    {
        /* the draw of dropout_mask_cpu: stream (RNG_DROPOUT, step, layer, n*C + c), draw 0 */
        const uint64_t stream = rng_stream(RNG_DROPOUT, step, (uint64_t)layer, (uint64_t)q);
        mask[q] = rng_uniform(seed, stream, 0) < p ? 0.0f : keep;
    }
}

/* out = x * mask[channel] (backward 1: out += x * mask) */
__global__ void dropout_apply_kernel(float *__restrict__ out, const float *__restrict__ x,
                                     const float *__restrict__ mask, int64_t S, int64_t n,
                                     int backward)
{
    GRID_LOOP(i, n)
    {
        const float v = __fmul_rn(x[i], mask[i / S]);
        out[i] = backward ? __fadd_rn(out[i], v) : v;
    }
}

extern "C" int dropout_mask_cuda(float *mask, int N, int C, double p, uint64_t seed,
                                 uint64_t step, int layer, const struct cuda_ctx *ctx,
                                 struct sarc_err *e)
{
    if (N < 1 || C < 1 || !(p >= 0 && p < 1))
        return ERR(e, SARC_ERR_RANGE, "dropout (CUDA): N %d C %d p %g, expected p in [0, 1)", N,
                   C, p);
    const int64_t n = (int64_t)N * C;
    dropout_mask_kernel<<<cuda_grid_for(n, EW_THREADS), EW_THREADS, 0, CTX_STREAM(ctx)>>>(
        mask, N, C, p, seed, step, layer);
    CUDA_LAUNCHED(e);
    return 0;
}

static int dropout_run(float *out, const float *x, const float *mask, int64_t NC, int64_t S,
                       int backward, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    if (NC < 1 || S < 1)
        return ERR(e, SARC_ERR_RANGE, "dropout (CUDA): NC %lld S %lld", (long long)NC,
                   (long long)S);
    const int64_t n = NC * S;
    dropout_apply_kernel<<<cuda_grid_for(n, EW_THREADS), EW_THREADS, 0, CTX_STREAM(ctx)>>>(
        out, x, mask, S, n, backward);
    CUDA_LAUNCHED(e);
    return 0;
}

extern "C" int dropout_forward_cuda(float *out, const float *x, const float *mask, int64_t NC,
                                    int64_t S, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    return dropout_run(out, x, mask, NC, S, 0, ctx, e);
}
extern "C" int dropout_backward_cuda(float *dinp, const float *dout, const float *mask,
                                     int64_t NC, int64_t S, const struct cuda_ctx *ctx,
                                     struct sarc_err *e)
{
    return dropout_run(dinp, dout, mask, NC, S, 1, ctx, e);
}

/* ---- the U-Net's fused ReLU + dropout ---- */

__global__ void relu_drop_kernel(float *__restrict__ y, float *__restrict__ dy,
                                 const float *__restrict__ mask, int64_t S, int64_t n)
{
    GRID_LOOP(i, n)
    {
        const float s = mask ? mask[i / S] : 1.0f;
        if (dy)
            dy[i] = y[i] > 0.0f ? __fmul_rn(dy[i], s) : 0.0f;
        else
            y[i] = y[i] > 0.0f ? __fmul_rn(y[i], s) : 0.0f;
    }
}

extern "C" int relu_drop_forward_cuda(float *y, const float *mask, int64_t NC, int64_t S,
                                      const struct cuda_ctx *ctx, struct sarc_err *e)
{
    if (NC < 1 || S < 1)
        return ERR(e, SARC_ERR_RANGE, "relu_drop (CUDA): NC %lld S %lld", (long long)NC,
                   (long long)S);
    relu_drop_kernel<<<cuda_grid_for(NC * S, EW_THREADS), EW_THREADS, 0, CTX_STREAM(ctx)>>>(
        y, NULL, mask, S, NC * S);
    CUDA_LAUNCHED(e);
    return 0;
}

extern "C" int relu_drop_backward_cuda(float *dy, const float *y, const float *mask, int64_t NC,
                                       int64_t S, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    if (NC < 1 || S < 1)
        return ERR(e, SARC_ERR_RANGE, "relu_drop backward (CUDA): NC %lld S %lld",
                   (long long)NC, (long long)S);
    relu_drop_kernel<<<cuda_grid_for(NC * S, EW_THREADS), EW_THREADS, 0, CTX_STREAM(ctx)>>>(
        (float *)y, dy, mask, S, NC * S);
    CUDA_LAUNCHED(e);
    return 0;
}

__global__ void dropout_mask_unet_kernel(float *__restrict__ mask, int N, int C, float p,
                                         int train, uint64_t seed, uint64_t step, int layer,
                                         int sample0)
{
    const float keep = 1.0f / (1.0f - p);
    GRID_LOOP(q, (int64_t)N * C)
    {
        if (!train || p <= 0.0f) {
            mask[q] = 1.0f;
            continue;
        }
        const int64_t n = q / C, c = q - n * C;
        const uint64_t st = rng_stream(RNG_DROPOUT, step, (uint64_t)layer,
                                       (uint64_t)(sample0 + n) * (uint64_t)C + (uint64_t)c);
        mask[q] = rng_uniformf(seed, st, 0) < p ? 0.0f : keep;
    }
}

extern "C" int dropout_mask_unet_cuda(float *mask, int N, int C, float p, int train,
                                      uint64_t seed, uint64_t step, int layer, int sample0,
                                      const struct cuda_ctx *ctx, struct sarc_err *e)
{
    if (N < 1 || C < 1 || sample0 < 0 || !(p >= 0.0f && p < 1.0f))
        return ERR(e, SARC_ERR_RANGE, "dropout mask (CUDA): N %d C %d sample0 %d p %g", N, C,
                   sample0, (double)p);
    dropout_mask_unet_kernel<<<cuda_grid_for((int64_t)N * C, EW_THREADS), EW_THREADS, 0,
                               CTX_STREAM(ctx)>>>(mask, N, C, p, train, seed, step, layer,
                                                  sample0);
    CUDA_LAUNCHED(e);
    return 0;
}

/* ---- sums ---- */

struct sum_term {
    const float *x;
    __device__ void operator()(int64_t i, double *s) const { s[0] += x[i]; }
};
struct sum_fin {
    float *out;
    int64_t n;
    int mean;
    __device__ void operator()(const double *t) const
    {
        out[0] = (float)(mean ? t[0] / (double)n : t[0]);
    }
};

extern "C" size_t reduce_workspace_bytes_cuda(int64_t n)
{
    return (size_t)reduce_chunks(n) * 3 * sizeof(double);
}

extern "C" int sum_forward_cuda(float *out, const float *x, int64_t n, int mean,
                                const struct cuda_ctx *ctx, struct sarc_err *e)
{
    if (n < 1)
        return ERR(e, SARC_ERR_RANGE, "sum (CUDA): n = %lld", (long long)n);
    if (!ctx || ctx->ws_bytes < reduce_workspace_bytes_cuda(n))
        return ERR(e, SARC_ERR_ARG, "sum (CUDA): workspace too small");
    sum_term f = {x};
    sum_fin fin = {out, n, mean};
    CUDA_TRY(e, (reduce_launch<1>(f, fin, n, (double *)ctx->ws, CTX_STREAM(ctx))));
    return 0;
}

__global__ void sum_backward_kernel(float *__restrict__ dx, const float *__restrict__ dout,
                                    int64_t n, int mean)
{
    const float g = (float)(mean ? dout[0] / (double)n : (double)dout[0]);
    GRID_LOOP(i, n)
    dx[i] = __fadd_rn(dx[i], g);
}

extern "C" int sum_backward_cuda(float *dx, const float *dout, int64_t n, int mean,
                                 const struct cuda_ctx *ctx, struct sarc_err *e)
{
    if (n < 1)
        return ERR(e, SARC_ERR_RANGE, "sum backward (CUDA): n = %lld", (long long)n);
    sum_backward_kernel<<<cuda_grid_for(n, EW_THREADS), EW_THREADS, 0, CTX_STREAM(ctx)>>>(
        dx, dout, n, mean);
    CUDA_LAUNCHED(e);
    return 0;
}
