/* conv_transpose3d.h - 3-D transposed convolution 3x3x3, stride 1, 'valid' (each extent + 2) on
 * the GPU: launchers of cuda/conv_transpose3d.cu with the contracts of nn/conv_transpose3d.h
 * plus a launch context. Layouts: inp (N,C,D,H,W), weight (C,OC,3,3,3) (PyTorch
 * ConvTranspose3d), bias (OC), out (N,OC,D+2,H+2,W+2); s from conv_transpose3d_dims_init.
 * Device pointers. Covered by test/cuda/test_cuda_ops.c and test/cuda/test_cuda_index.c. */
#ifndef SARC_CUDA_CONV_TRANSPOSE3D_H
#define SARC_CUDA_CONV_TRANSPOSE3D_H

#include "cuda/cuda_common.h"
#include "nn/conv_transpose3d.h"

#ifdef __cplusplus
extern "C" {
#endif

/* out = bias + transposed convolution (bias may be NULL). */
int conv_transpose3d_forward_cuda(float *out_gpu, const float *inp_gpu, const float *weight_gpu,
                                  const float *bias_gpu, const struct conv3d_dims *s,
                                  const struct cuda_ctx *ctx, struct sarc_err *e);
/* dinp +=, dweight +=, dbias += (each may be NULL); the weight pass needs
 * conv_transpose3d_workspace_bytes_cuda(s) bytes in ctx->ws. */
int conv_transpose3d_backward_cuda(float *dinp_gpu, float *dweight_gpu, float *dbias_gpu,
                                   const float *dout_gpu, const float *inp_gpu,
                                   const float *weight_gpu, const struct conv3d_dims *s,
                                   const struct cuda_ctx *ctx, struct sarc_err *e);
size_t conv_transpose3d_workspace_bytes_cuda(const struct conv3d_dims *s);

#ifdef __cplusplus
}
#endif

#endif
