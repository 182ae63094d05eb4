/* eltwise.h - element-wise ops, concatenation, spatial dropout and sums on the GPU: launchers
 * of cuda/eltwise.cu with the contracts of nn/eltwise.h plus a launch context. Device pointers.
 * Results equal the CPU reference bit for bit except sigmoid (device exp(), within 1 float ulp)
 * and the sums (tree order, not the CPU's serial order; relative difference ~1e-15 in double
 * before the final rounding to float). The dropout mask is drawn with the same Philox draws as
 * dropout_mask_cpu (vendor/rng.h compiles for the device), so masks are identical.
 * Covered by test/cuda/test_cuda_ops.c (needs a GPU). */
#ifndef SARC_CUDA_ELTWISE_H
#define SARC_CUDA_ELTWISE_H

#include "cuda/cuda_common.h"

#ifdef __cplusplus
extern "C" {
#endif

int relu_forward_cuda(float *out, const float *x, int64_t n, const struct cuda_ctx *ctx,
                      struct sarc_err *e);
/* dinp += dout * (x > 0) */
int relu_backward_cuda(float *dinp, const float *dout, const float *x, int64_t n,
                       const struct cuda_ctx *ctx, struct sarc_err *e);
int sigmoid_forward_cuda(float *out, const float *x, int64_t n, const struct cuda_ctx *ctx,
                         struct sarc_err *e);
/* dinp += dout * out * (1 - out) */
int sigmoid_backward_cuda(float *dinp, const float *dout, const float *out, int64_t n,
                          const struct cuda_ctx *ctx, struct sarc_err *e);
int add_forward_cuda(float *out, const float *a, const float *b, int64_t n,
                     const struct cuda_ctx *ctx, struct sarc_err *e);
int mul_forward_cuda(float *out, const float *a, const float *b, int64_t n,
                     const struct cuda_ctx *ctx, struct sarc_err *e);
/* da += dout * b, db += dout * a (either may be NULL) */
int mul_backward_cuda(float *da, float *db, const float *dout, const float *a, const float *b,
                      int64_t n, const struct cuda_ctx *ctx, struct sarc_err *e);
int scale_forward_cuda(float *out, const float *x, double s, int64_t n,
                       const struct cuda_ctx *ctx, struct sarc_err *e);
/* d += dout * s */
int scale_backward_cuda(float *d, const float *dout, double s, int64_t n,
                        const struct cuda_ctx *ctx, struct sarc_err *e);
/* out (N, Ca+Cb, S) = [a; b]; backward da +=, db += (either may be NULL) */
int concat_forward_cuda(float *out, const float *a, const float *b, int N, int Ca, int Cb,
                        int64_t S, const struct cuda_ctx *ctx, struct sarc_err *e);
int concat_backward_cuda(float *da, float *db, const float *dout, int N, int Ca, int Cb,
                         int64_t S, const struct cuda_ctx *ctx, struct sarc_err *e);
/* mask (N*C) as dropout_mask_cpu; out = x * mask per channel; dinp += dout * mask */
int dropout_mask_cuda(float *mask, int N, int C, double p, uint64_t seed, uint64_t step,
                      int layer, const struct cuda_ctx *ctx, struct sarc_err *e);
int dropout_forward_cuda(float *out, const float *x, const float *mask, int64_t NC, int64_t S,
                         const struct cuda_ctx *ctx, struct sarc_err *e);
int dropout_backward_cuda(float *dinp, const float *dout, const float *mask, int64_t NC,
                          int64_t S, const struct cuda_ctx *ctx, struct sarc_err *e);

/* The U-Net's fused ReLU + spatial dropout (nn/unet.c relu_drop): in place over (NC, S),
 * y = y > 0 ? y * mask[q] : 0; backward dy = y > 0 ? dy * mask[q] : 0 with y the forward output.
 * mask NULL = 1. Bit-identical to nn/unet.c. */
int relu_drop_forward_cuda(float *y, const float *mask, int64_t NC, int64_t S,
                           const struct cuda_ctx *ctx, struct sarc_err *e);
int relu_drop_backward_cuda(float *dy, const float *y, const float *mask, int64_t NC, int64_t S,
                            const struct cuda_ctx *ctx, struct sarc_err *e);
/* The U-Net's dropout scales (nn/unet.c dropout_masks): mask[n*C + c] = 0 when
 * rng_uniformf(seed, rng_stream(RNG_DROPOUT, step, layer, (sample0 + n)*C + c), 0) < p (p as a
 * float), else 1/(1-p) in float; all 1 when train is 0 or p <= 0. */
int dropout_mask_unet_cuda(float *mask, int N, int C, float p, int train, uint64_t seed,
                           uint64_t step, int layer, int sample0, const struct cuda_ctx *ctx,
                           struct sarc_err *e);

/* Scratch bytes of the reductions below and of cuda/loss.h for n elements. */
size_t reduce_workspace_bytes_cuda(int64_t n);
/* out[0] (device) = sum of x (mean 0) or sum / n (mean 1), accumulated in double. */
int sum_forward_cuda(float *out, const float *x, int64_t n, int mean, const struct cuda_ctx *ctx,
                     struct sarc_err *e);
/* dx += g, g = dout[0] (device) or dout[0] / n (mean 1). */
int sum_backward_cuda(float *dx, const float *dout, int64_t n, int mean,
                      const struct cuda_ctx *ctx, struct sarc_err *e);

#ifdef __cplusplus
}
#endif

#endif
