/* conv3d.h - 3-D convolution 3x3x3, stride 1, padding P (0 'valid', 1 'same', 2 'full') on the
 * GPU: the launchers of cuda/conv3d.cu, same arguments and contracts as nn/conv3d.h's CPU
 * reference plus a launch context (cuda/cuda_common.h). Layouts: inp (N,C,D,H,W), weight
 * (OC,C,3,3,3), bias (OC), out (N,OC,OD,OH,OW). All pointers are device pointers.
 * Covered by test/cuda/test_cuda_ops.c (vs conv3d_forward_cpu / conv3d_backward_cpu, needs a
 * GPU) and test/cuda/test_cuda_index.c (the index math, on the CPU). */
#ifndef SARC_CUDA_CONV3D_H
#define SARC_CUDA_CONV3D_H

#include "cuda/cuda_common.h"
#include "nn/conv3d.h"

#ifdef __cplusplus
extern "C" {
#endif

/* out = bias + correlation (bias may be NULL). */
int conv3d_forward_cuda(float *out_gpu, const float *inp_gpu, const float *weight_gpu,
                        const float *bias_gpu, const struct conv3d_dims *s,
                        const struct cuda_ctx *ctx, struct sarc_err *e);
/* dinp += d/dinp (a gather: one thread per input element). */
int conv3d_backward_data_cuda(float *dinp_gpu, const float *dout_gpu, const float *weight_gpu,
                              const struct conv3d_dims *s, const struct cuda_ctx *ctx,
                              struct sarc_err *e);
/* dweight += d/dweight, dbias += d/dbias (either may be NULL); needs
 * conv3d_workspace_bytes_cuda(s) bytes in ctx->ws. */
int conv3d_backward_weights_cuda(float *dweight_gpu, float *dbias_gpu, const float *dout_gpu,
                                 const float *inp_gpu, const struct conv3d_dims *s,
                                 const struct cuda_ctx *ctx, struct sarc_err *e);
/* Both backward passes, as conv3d_backward_cpu (each output may be NULL). */
int conv3d_backward_cuda(float *dinp_gpu, float *dweight_gpu, float *dbias_gpu,
                         const float *dout_gpu, const float *inp_gpu, const float *weight_gpu,
                         const struct conv3d_dims *s, const struct cuda_ctx *ctx,
                         struct sarc_err *e);
size_t conv3d_workspace_bytes_cuda(const struct conv3d_dims *s);

#ifdef __cplusplus
}
#endif

#endif
