/* conv_transpose3d.c - 3-D transposed convolution, kernel 3, stride 1, 'valid' (see
 * conv_transpose3d.h): the reference in plain loops (double sums) and the fast path through
 * conv3d's. Covered by test/nn/test_conv3d.c and test/nn/test_ops_torch.c. */
#include "nn/conv_transpose3d.h"

#include <limits.h>
#include <string.h>

#include "vendor/pool.h"

int conv_transpose3d_dims_init(struct conv3d_dims *s, int N, int C, int D, int H, int W, int OC,
                               struct sarc_err *e)
{
    memset(s, 0, sizeof *s);
    if (N < 1 || C < 1 || D < 1 || H < 1 || W < 1 || OC < 1)
        return ERR(e, SARC_ERR_RANGE, "conv_transpose3d: N %d C %d D %d H %d W %d OC %d, "
                   "expected >= 1", N, C, D, H, W, OC);
    if (D > (1 << 29) || H > (1 << 29) || W > (1 << 29) || (int64_t)N * (D + 4) * (H + 4) > INT_MAX)
        return ERR(e, SARC_ERR_RANGE, "conv_transpose3d: extent too large");
    if ((int64_t)C * 27 > (1 << 24) || (int64_t)OC * C * 27 > ((int64_t)1 << 31))
        return ERR(e, SARC_ERR_RANGE, "conv_transpose3d: %d -> %d channels is too many", C, OC);
    s->N = N; s->C = C; s->D = D; s->H = H; s->W = W; s->OC = OC; s->P = 0;
    s->OD = D + 2; s->OH = H + 2; s->OW = W + 2;
    return 0;
}

void conv_transpose3d_forward_cpu(float *out, const float *inp, const float *weight,
                                  const float *bias, const struct conv3d_dims *s)
{
    /* out (N,OC,OD,OH,OW), inp (N,C,D,H,W), weight (C,OC,3,3,3) */
    const int C = s->C, D = s->D, H = s->H, W = s->W, OC = s->OC;
    for (int n = 0; n < s->N; n++)
        for (int o = 0; o < OC; o++)
            for (int z = 0; z < s->OD; z++)
                for (int y = 0; y < s->OH; y++)
                    for (int x = 0; x < s->OW; x++) {
                        double acc = bias ? bias[o] : 0.0;
                        for (int c = 0; c < C; c++)
                            for (int i = 0; i < 3; i++) {
                                const int iz = z - i;
                                if (iz < 0 || iz >= D)
                                    continue;
                                for (int j = 0; j < 3; j++) {
                                    const int iy = y - j;
                                    if (iy < 0 || iy >= H)
                                        continue;
                                    for (int k = 0; k < 3; k++) {
                                        const int ix = x - k;
                                        if (ix < 0 || ix >= W)
                                            continue;
                                        acc += (double)weight[(((size_t)c * OC + o) * 3 + i) * 9 + j * 3 + k] *
                                               inp[((((size_t)n * C + c) * D + iz) * H + iy) * W + ix];
                                    }
                                }
                            }
                        out[((((size_t)n * OC + o) * s->OD + z) * s->OH + y) * s->OW + x] = (float)acc;
                    }
}

void conv_transpose3d_backward_cpu(float *dinp, float *dweight, float *dbias, const float *dout,
                                   const float *inp, const float *weight,
                                   const struct conv3d_dims *s)
{
    const int C = s->C, D = s->D, H = s->H, W = s->W, OC = s->OC;
    const int OD = s->OD, OH = s->OH, OW = s->OW;
#define DOUT(n, o, z, y, x) dout[((((size_t)(n) * OC + (o)) * OD + (z)) * OH + (y)) * OW + (x)]
    if (dbias) /* the bias gradient reads dout alone: the same sums as conv3d's */
        conv3d_backward_cpu(NULL, NULL, dbias, dout, NULL, NULL, s);
    if (dweight)
        for (int c = 0; c < C; c++)
            for (int o = 0; o < OC; o++)
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++)
                        for (int k = 0; k < 3; k++) {
                            double acc = 0;
                            for (int n = 0; n < s->N; n++)
                                for (int z = 0; z < D; z++)
                                    for (int y = 0; y < H; y++)
                                        for (int x = 0; x < W; x++)
                                            acc += (double)inp[((((size_t)n * C + c) * D + z) * H + y) * W + x] *
                                                   DOUT(n, o, z + i, y + j, x + k);
                            dweight[(((size_t)c * OC + o) * 3 + i) * 9 + j * 3 + k] += (float)acc;
                        }
    if (dinp)
        for (int n = 0; n < s->N; n++)
            for (int c = 0; c < C; c++)
                for (int z = 0; z < D; z++)
                    for (int y = 0; y < H; y++)
                        for (int x = 0; x < W; x++) {
                            double acc = 0;
                            for (int o = 0; o < OC; o++)
                                for (int q = 0; q < 27; q++)
                                    acc += (double)weight[((size_t)c * OC + o) * 27 + q] *
                                           DOUT(n, o, z + q / 9, y + q / 3 % 3, x + q % 3);
                            dinp[((((size_t)n * C + c) * D + z) * H + y) * W + x] += (float)acc;
                        }
#undef DOUT
}

int conv_transpose3d_forward_fast(float *out, const float *inp, const float *weight,
                                  const float *bias, const struct conv3d_dims *s,
                                  struct pool *pool, struct nn_arena *scratch, struct sarc_err *e)
{
    /* the scatter form with padding 0 (output grows by 2) */
    return conv3d_scatter_fast(out, inp, weight, bias, s->N, s->C, s->D, s->H, s->W, s->OC, 0, 0,
                               pool, scratch, e);
}

int conv_transpose3d_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout,
                                   const float *inp, const float *weight,
                                   const struct conv3d_dims *s, struct pool *pool,
                                   struct nn_arena *scratch, struct sarc_err *e)
{
    /* the 'valid' conv3d that maps dout (OC channels, OD..) to inp's shape (C channels) with
     * weight w viewed as (C, OC, 3, 3, 3) */
    struct conv3d_dims sv;
    int rc = conv3d_dims_init(&sv, s->N, s->OC, s->OD, s->OH, s->OW, s->C, 0, e);
    if (rc)
        return rc;
    if (dinp) {
        rc = conv3d_forward_fast(dinp, dout, weight, NULL, &sv, 1, pool, scratch, e);
        if (rc)
            return rc;
    }
    if (dweight) {
        /* dw[c][o][q] = sum_p inp[c][p] dout[o][p + q]: conv3d weight gradient of sv with
         * inp's role played by dout and dout's role by inp */
        rc = conv3d_backward_weight_fast(dweight, NULL, inp, dout, &sv, pool, scratch, e);
        if (rc)
            return rc;
    }
    if (dbias) /* per output channel, summed over n then position in double, as conv3d's */
        rc = conv3d_backward_weight_fast(NULL, dbias, dout, NULL, s, pool, scratch, e);
    return rc;
}
