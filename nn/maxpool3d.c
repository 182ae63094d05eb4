/* maxpool3d.c - 2x2x2 max-pooling (stride 2, floor; gradient to the first maximum in scan
 * order) and nearest 2x upsampling, as PyTorch MaxPool3d(2) and Upsample(scale_factor=2,
 * mode='nearest'). Covered by test/nn/test_tape.c and test/nn/test_ops_torch.c. */
#include "nn/maxpool3d.h"

void maxpool3d_forward_cpu(float *out, int32_t *argmax, const float *inp, int64_t NC, int D,
                           int H, int W)
{
    const int OD = D / 2, OH = H / 2, OW = W / 2;
    for (int64_t p = 0; p < NC; p++) {
        const float *in = inp + p * D * H * W;
        for (int z = 0; z < OD; z++)
            for (int y = 0; y < OH; y++)
                for (int x = 0; x < OW; x++) {
                    int32_t best = -1;
                    float bv = 0;
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++)
                            for (int k = 0; k < 2; k++) {
                                const int32_t q = ((2 * z + i) * H + 2 * y + j) * W + 2 * x + k;
                                const float v = in[q];
                                /* strict > keeps the first maximum; a NaN best is replaced */
                                if (best < 0 || v > bv || (bv != bv && v == v)) {
                                    best = q;
                                    bv = v;
                                }
                            }
                    const int64_t o = ((p * OD + z) * OH + y) * OW + x;
                    out[o] = bv;
                    argmax[o] = best;
                }
    }
}

void maxpool3d_backward_cpu(float *dinp, const float *dout, const int32_t *argmax, int64_t NC,
                            int D, int H, int W)
{
    const int64_t on = (int64_t)(D / 2) * (H / 2) * (W / 2), in = (int64_t)D * H * W;
    for (int64_t p = 0; p < NC; p++)
        for (int64_t o = 0; o < on; o++)
            dinp[p * in + argmax[p * on + o]] += dout[p * on + o];
}

void upsample2x_forward_cpu(float *out, const float *inp, int64_t NC, int D, int H, int W)
{
    const int OD = 2 * D, OH = 2 * H, OW = 2 * W;
    for (int64_t p = 0; p < NC; p++)
        for (int z = 0; z < OD; z++)
            for (int y = 0; y < OH; y++) {
                const float *src = inp + ((p * D + z / 2) * H + y / 2) * W;
                float *dst = out + ((p * OD + z) * OH + y) * OW;
                for (int x = 0; x < OW; x++)
                    dst[x] = src[x / 2];
            }
}

void upsample2x_backward_cpu(float *dinp, const float *dout, int64_t NC, int D, int H, int W)
{
    const int OD = 2 * D, OH = 2 * H, OW = 2 * W;
    for (int64_t p = 0; p < NC; p++)
        for (int z = 0; z < D; z++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    double acc = 0;
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++)
                            for (int k = 0; k < 2; k++)
                                acc += dout[((p * OD + 2 * z + i) * OH + 2 * y + j) * OW + 2 * x + k];
                    dinp[((p * D + z) * H + y) * W + x] += (float)acc;
                }
}
