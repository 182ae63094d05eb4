/* conv_gemm.h - the two implicit-GEMM engines behind every 3x3x3 convolution pass on the GPU
 * (cuda/conv_gemm.cu): the data pass (forward, backward-data, transposed forward and
 * backward-data, described by a struct conv_geom of cuda/index.h) and the weight-gradient pass
 * (struct wgrad_geom). cuda/conv3d.cu and cuda/conv_transpose3d.cu only build geometries and
 * call these. Covered by test/cuda/test_cuda_index.c (geometry, on the CPU) and
 * test/cuda/test_cuda_ops.c + test/gpu/check.sh (kernels, on a GPU). */
#ifndef SARC_CUDA_CONV_GEMM_H
#define SARC_CUDA_CONV_GEMM_H

#include "cuda/cuda_common.h"
#include "cuda/index.h"

#ifdef __cplusplus
extern "C" {
#endif

/* out (N, OC, OD, OH, OW) = bias + pass (accumulate 0; bias may be NULL) or += pass
 * (accumulate 1; bias ignored). in (N, C, D, H, W), w as the geometry's strides say.
 * ctx->tf32 selects the tensor-core kernel (inputs rounded to TF32, FP32 accumulation). Float
 * sums in a fixed order (k ascending per thread): bit-identical run to run. */
int conv_gemm_run(const struct conv_geom *g, float *out_gpu, const float *in_gpu,
                  const float *w_gpu, const float *bias_gpu, int accumulate,
                  const struct cuda_ctx *ctx, struct sarc_err *e);

/* Scratch bytes conv_wgrad_run needs for g (chunk partials). */
size_t conv_wgrad_workspace_bytes(const struct wgrad_geom *g);

/* dw ((GC*XC*27)) += weight gradient; db (GC) += sum of G per channel (each may be NULL).
 * G (N, GC, GD, GH, GW), X (N, XC, XD, XH, XW). Partials per chunk of wgrad_chunk_len voxels go
 * to ctx->ws and are added in chunk order in double. SARC_ERR_ARG if the workspace is short. */
int conv_wgrad_run(const struct wgrad_geom *g, float *dw_gpu, float *db_gpu, const float *G_gpu,
                   const float *X_gpu, const struct cuda_ctx *ctx, struct sarc_err *e);

#ifdef __cplusplus
}
#endif

#endif
