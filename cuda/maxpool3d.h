/* maxpool3d.h - 2x2x2 max-pooling (stride 2, floor) and nearest 2x upsampling on the GPU:
 * launchers of cuda/maxpool3d.cu with the contracts of nn/maxpool3d.h plus a launch context.
 * Layout (NC, D, H, W) with NC = N*C planes; D, H, W are the INPUT extents of the pool and of
 * the upsample's input. Device pointers. Results equal the CPU reference bit for bit (same scan
 * order and tie rule; the backward is a gather, each input gradient written by one thread).
 * Covered by test/cuda/test_cuda_index.c (the gather rule, on the CPU) and
 * test/cuda/test_cuda_ops.c (needs a GPU). */
#ifndef SARC_CUDA_MAXPOOL3D_H
#define SARC_CUDA_MAXPOOL3D_H

#include "cuda/cuda_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* out (NC, D/2, H/2, W/2) =, argmax (same shape) = flat in-plane index of the first maximum */
int maxpool3d_forward_cuda(float *out, int32_t *argmax, const float *inp, int64_t NC, int D,
                           int H, int W, const struct cuda_ctx *ctx, struct sarc_err *e);
/* dinp (NC, D, H, W) += dout routed through argmax */
int maxpool3d_backward_cuda(float *dinp, const float *dout, const int32_t *argmax, int64_t NC,
                            int D, int H, int W, const struct cuda_ctx *ctx, struct sarc_err *e);
/* out (NC, 2D, 2H, 2W) = inp repeated; backward dinp (NC, D, H, W) += block sums (double) */
int upsample2x_forward_cuda(float *out, const float *inp, int64_t NC, int D, int H, int W,
                            const struct cuda_ctx *ctx, struct sarc_err *e);
int upsample2x_backward_cuda(float *dinp, const float *dout, int64_t NC, int D, int H, int W,
                             const struct cuda_ctx *ctx, struct sarc_err *e);

#ifdef __cplusplus
}
#endif

#endif
