/* conv3d.cu - the conv3d launchers: geometry of each pass (cuda/index.h) handed to the
 * implicit-GEMM engines of cuda/conv_gemm.cu. Contracts in cuda/conv3d.h. Covered by
 * test/cuda/test_cuda_ops.c and test/gpu/check.sh. */
#include "cuda/conv3d.h"
#include "cuda/conv_gemm.h"

static int dims_ok(const struct conv3d_dims *s, struct sarc_err *e)
{
    if (s->N < 1 || s->C < 1 || s->OC < 1 || s->P < 0 || s->P > 2 || s->OD < 1 || s->OH < 1 ||
        s->OW < 1 || s->OD != s->D + 2 * s->P - 2 || s->OH != s->H + 2 * s->P - 2 ||
        s->OW != s->W + 2 * s->P - 2)
        return ERR(e, SARC_ERR_RANGE, "conv3d (CUDA): dims not made by conv3d_dims_init");
    return 0;
}

extern "C" int conv3d_forward_cuda(float *out_gpu, const float *inp_gpu, const float *weight_gpu,
                                   const float *bias_gpu, const struct conv3d_dims *s,
                                   const struct cuda_ctx *ctx, struct sarc_err *e)
{
    int rc = dims_ok(s, e);
    if (rc)
        return rc;
    const struct conv_geom g = conv_geom_conv3d_forward(s->N, s->C, s->D, s->H, s->W, s->OC, s->P);
    return conv_gemm_run(&g, out_gpu, inp_gpu, weight_gpu, bias_gpu, 0, ctx, e);
}

extern "C" int conv3d_backward_data_cuda(float *dinp_gpu, const float *dout_gpu,
                                         const float *weight_gpu, const struct conv3d_dims *s,
                                         const struct cuda_ctx *ctx, struct sarc_err *e)
{
    int rc = dims_ok(s, e);
    if (rc)
        return rc;
    const struct conv_geom g =
        conv_geom_conv3d_backward_data(s->N, s->C, s->D, s->H, s->W, s->OC, s->P);
    return conv_gemm_run(&g, dinp_gpu, dout_gpu, weight_gpu, NULL, 1, ctx, e);
}

extern "C" size_t conv3d_workspace_bytes_cuda(const struct conv3d_dims *s)
{
    const struct wgrad_geom g = wgrad_geom_conv3d(s->N, s->C, s->D, s->H, s->W, s->OC, s->P);
    return conv_wgrad_workspace_bytes(&g);
}

extern "C" int conv3d_backward_weights_cuda(float *dweight_gpu, float *dbias_gpu,
                                            const float *dout_gpu, const float *inp_gpu,
                                            const struct conv3d_dims *s,
                                            const struct cuda_ctx *ctx, struct sarc_err *e)
{
    int rc = dims_ok(s, e);
    if (rc)
        return rc;
    const struct wgrad_geom g = wgrad_geom_conv3d(s->N, s->C, s->D, s->H, s->W, s->OC, s->P);
    return conv_wgrad_run(&g, dweight_gpu, dbias_gpu, dout_gpu, inp_gpu, ctx, e);
}

extern "C" int conv3d_backward_cuda(float *dinp_gpu, float *dweight_gpu, float *dbias_gpu,
                                    const float *dout_gpu, const float *inp_gpu,
                                    const float *weight_gpu, const struct conv3d_dims *s,
                                    const struct cuda_ctx *ctx, struct sarc_err *e)
{
    int rc = 0;
    if (dinp_gpu)
        rc = conv3d_backward_data_cuda(dinp_gpu, dout_gpu, weight_gpu, s, ctx, e);
    if (!rc && (dweight_gpu || dbias_gpu))
        rc = conv3d_backward_weights_cuda(dweight_gpu, dbias_gpu, dout_gpu, inp_gpu, s, ctx, e);
    return rc;
}
