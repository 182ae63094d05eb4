/* maxpool3d.cu - max-pooling 2x2x2 and nearest 2x upsampling kernels (contracts in
 * cuda/maxpool3d.h). One thread per output element in the forwards and per INPUT element in the
 * backwards (gathers: darknet's GPU max-pool backward works the same way), so no two threads
 * write one element and there are no atomics. Covered by test/cuda/test_cuda_ops.c. */
#include "cuda/check.h"
#include "cuda/index.h"
#include "cuda/maxpool3d.h"

#define MP_THREADS 256
#define GRID_LOOP(i, n)                                                                        \
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n);                  \
         i += (int64_t)gridDim.x * blockDim.x)

__global__ void maxpool_forward_kernel(float *__restrict__ out, int32_t *__restrict__ argmax,
                                       const float *__restrict__ inp, int D, int H, int W,
                                       int64_t n)
{
    const int OD = D / 2, OH = H / 2, OW = W / 2;
    const int64_t on = (int64_t)OD * OH * OW, in = (int64_t)D * H * W;
    GRID_LOOP(o, n)
    {
        const int64_t p = o / on, r = o - p * on;
        const int z = (int)(r / ((int64_t)OH * OW)), y = (int)(r / OW % OH), x = (int)(r % OW);
        const float *pl = inp + p * in;
        int32_t best = -1;
        float bv = 0;
        /* scan order z, y, x; strict > keeps the first maximum; a NaN best is replaced */
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 2; k++) {
                    const int32_t q = ((2 * z + i) * H + 2 * y + j) * W + 2 * x + k;
                    const float v = pl[q];
                    if (best < 0 || v > bv || (bv != bv && v == v)) {
                        best = q;
                        bv = v;
                    }
                }
        out[o] = bv;
        argmax[o] = best;
    }
}

__global__ void maxpool_backward_kernel(float *__restrict__ dinp, const float *__restrict__ dout,
                                        const int32_t *__restrict__ argmax, int D, int H, int W,
                                        int64_t n)
{
    const int64_t on = (int64_t)(D / 2) * (H / 2) * (W / 2), in = (int64_t)D * H * W;
    GRID_LOOP(i, n)
    {
        const int64_t p = i / in, q = i - p * in;
        const int64_t w = maxpool_window_of(q, D, H, W);
        if (w >= 0 && argmax[p * on + w] == (int32_t)q)
            dinp[i] = __fadd_rn(dinp[i], dout[p * on + w]);
    }
}

__global__ void upsample_forward_kernel(float *__restrict__ out, const float *__restrict__ inp,
                                        int D, int H, int W, int64_t n)
{
    const int OH = 2 * H, OW = 2 * W;
    const int64_t on = (int64_t)(2 * D) * OH * OW;
    GRID_LOOP(o, n)
    {
        const int64_t p = o / on, r = o - p * on;
        const int z = (int)(r / ((int64_t)OH * OW)), y = (int)(r / OW % OH), x = (int)(r % OW);
        out[o] = inp[((p * D + z / 2) * H + y / 2) * W + x / 2];
    }
}

__global__ void upsample_backward_kernel(float *__restrict__ dinp, const float *__restrict__ dout,
                                         int D, int H, int W, int64_t n)
{
    const int OH = 2 * H, OW = 2 * W;
    const int64_t in = (int64_t)D * H * W;
    GRID_LOOP(i, n)
    {
        const int64_t p = i / in, r = i - p * in;
        const int z = (int)(r / ((int64_t)H * W)), y = (int)(r / W % H), x = (int)(r % W);
        double acc = 0; /* the CPU's order: i, j, k */
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++)
                for (int c = 0; c < 2; c++)
                    acc += dout[((p * 2 * D + 2 * z + a) * OH + 2 * y + b) * OW + 2 * x + c];
        dinp[i] = __fadd_rn(dinp[i], (float)acc);
    }
}

static int check_extents(const char *what, int64_t NC, int D, int H, int W, int need2,
                         struct sarc_err *e)
{
    const int lo = need2 ? 2 : 1;
    if (NC < 1 || D < lo || H < lo || W < lo || (int64_t)D * H * W > INT32_MAX)
        return ERR(e, SARC_ERR_RANGE, "%s (CUDA): NC %lld extents (%d, %d, %d), expected >= %d "
                   "and a plane under 2^31 voxels", what, (long long)NC, D, H, W, lo);
    return 0;
}

extern "C" int maxpool3d_forward_cuda(float *out, int32_t *argmax, const float *inp, int64_t NC,
                                      int D, int H, int W, const struct cuda_ctx *ctx,
                                      struct sarc_err *e)
{
    int rc = check_extents("maxpool3d", NC, D, H, W, 1, e);
    if (rc)
        return rc;
    const int64_t n = NC * (D / 2) * (H / 2) * (W / 2);
    maxpool_forward_kernel<<<cuda_grid_for(n, MP_THREADS), MP_THREADS, 0, CTX_STREAM(ctx)>>>(
        out, argmax, inp, D, H, W, n);
    CUDA_LAUNCHED(e);
    return 0;
}

extern "C" int maxpool3d_backward_cuda(float *dinp, const float *dout, const int32_t *argmax,
                                       int64_t NC, int D, int H, int W,
                                       const struct cuda_ctx *ctx, struct sarc_err *e)
{
    int rc = check_extents("maxpool3d backward", NC, D, H, W, 1, e);
    if (rc)
        return rc;
    const int64_t n = NC * D * H * W;
    maxpool_backward_kernel<<<cuda_grid_for(n, MP_THREADS), MP_THREADS, 0, CTX_STREAM(ctx)>>>(
        dinp, dout, argmax, D, H, W, n);
    CUDA_LAUNCHED(e);
    return 0;
}

extern "C" int upsample2x_forward_cuda(float *out, const float *inp, int64_t NC, int D, int H,
                                       int W, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    int rc = check_extents("upsample2x", NC, 2 * D, 2 * H, 2 * W, 0, e);
    if (rc)
        return rc;
    const int64_t n = NC * 8 * D * H * W;
    upsample_forward_kernel<<<cuda_grid_for(n, MP_THREADS), MP_THREADS, 0, CTX_STREAM(ctx)>>>(
        out, inp, D, H, W, n);
    CUDA_LAUNCHED(e);
    return 0;
}

extern "C" int upsample2x_backward_cuda(float *dinp, const float *dout, int64_t NC, int D, int H,
                                        int W, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    int rc = check_extents("upsample2x backward", NC, 2 * D, 2 * H, 2 * W, 0, e);
    if (rc)
        return rc;
    const int64_t n = NC * D * H * W;
    upsample_backward_kernel<<<cuda_grid_for(n, MP_THREADS), MP_THREADS, 0, CTX_STREAM(ctx)>>>(
        dinp, dout, D, H, W, n);
    CUDA_LAUNCHED(e);
    return 0;
}
