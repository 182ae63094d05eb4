/* conv_transpose3d.cu - the transposed-convolution launchers: forward = 'full' correlation with
 * the flipped, channel-swapped kernel; backward-data = 'valid' correlation with the kernel as
 * stored; weight gradient = the conv3d weight GEMM with input and output roles swapped (see
 * cuda/index.h). Contracts in cuda/conv_transpose3d.h. Covered by test/cuda/test_cuda_ops.c
 * and test/gpu/check.sh. */
#include "cuda/conv_gemm.h"
#include "cuda/conv_transpose3d.h"

static int dims_ok(const struct conv3d_dims *s, struct sarc_err *e)
{
    if (s->N < 1 || s->C < 1 || s->OC < 1 || s->D < 1 || s->H < 1 || s->W < 1 ||
        s->OD != s->D + 2 || s->OH != s->H + 2 || s->OW != s->W + 2)
        return ERR(e, SARC_ERR_RANGE,
                   "conv_transpose3d (CUDA): dims not made by conv_transpose3d_dims_init");
    return 0;
}

extern "C" int conv_transpose3d_forward_cuda(float *out_gpu, const float *inp_gpu,
                                             const float *weight_gpu, const float *bias_gpu,
                                             const struct conv3d_dims *s,
                                             const struct cuda_ctx *ctx, struct sarc_err *e)
{
    int rc = dims_ok(s, e);
    if (rc)
        return rc;
    const struct conv_geom g = conv_geom_convt_forward(s->N, s->C, s->D, s->H, s->W, s->OC);
    return conv_gemm_run(&g, out_gpu, inp_gpu, weight_gpu, bias_gpu, 0, ctx, e);
}

extern "C" size_t conv_transpose3d_workspace_bytes_cuda(const struct conv3d_dims *s)
{
    const struct wgrad_geom g = wgrad_geom_convt(s->N, s->C, s->D, s->H, s->W, s->OC);
    return conv_wgrad_workspace_bytes(&g);
}

extern "C" int conv_transpose3d_backward_cuda(float *dinp_gpu, float *dweight_gpu,
                                              float *dbias_gpu, const float *dout_gpu,
                                              const float *inp_gpu, const float *weight_gpu,
                                              const struct conv3d_dims *s,
                                              const struct cuda_ctx *ctx, struct sarc_err *e)
{
    int rc = dims_ok(s, e);
    if (rc)
        return rc;
    if (dinp_gpu) {
        const struct conv_geom g =
            conv_geom_convt_backward_data(s->N, s->C, s->D, s->H, s->W, s->OC);
        rc = conv_gemm_run(&g, dinp_gpu, dout_gpu, weight_gpu, NULL, 1, ctx, e);
        if (rc)
            return rc;
    }
    if (dweight_gpu) {
        const struct wgrad_geom g = wgrad_geom_convt(s->N, s->C, s->D, s->H, s->W, s->OC);
        rc = conv_wgrad_run(&g, dweight_gpu, NULL, inp_gpu, dout_gpu, ctx, e);
        if (rc)
            return rc;
    }
    if (dbias_gpu) {
        /* the bias gradient sums dout (N, OC, OD, OH, OW): the G side of the conv3d geometry */
        const struct wgrad_geom gb = {s->N, s->OC, s->OD, s->OH, s->OW, 1, 1, 1, 1, 0};
        rc = conv_wgrad_run(&gb, NULL, dbias_gpu, dout_gpu, NULL, ctx, e);
    }
    return rc;
}
