/* maxpool3d.h - 3-D max-pooling 2x2x2, stride 2, floor, and nearest 2x upsampling (its
 * partner in the U-Net). Layout (N,C,D,H,W); NC = N*C planes. Covered by test/nn/test_tape.c
 * (finite differences) and test/nn/test_ops_torch.c. */
#ifndef SARC_NN_MAXPOOL3D_H
#define SARC_NN_MAXPOOL3D_H

#include <stdint.h>

/* out (NC, D/2, H/2, W/2) = max over each 2x2x2 block of inp (NC, D, H, W); argmax (same shape
 * as out) receives the flat index within the input plane of the first maximum in scan order
 * (z, y, x; a later element wins only if strictly greater, or if the current best is NaN and it
 * is not) - the state the backward needs. */
void maxpool3d_forward_cpu(float *out, int32_t *argmax, const float *inp, int64_t NC, int D,
                           int H, int W);
/* dinp (NC, D, H, W) += dout routed through argmax. */
void maxpool3d_backward_cpu(float *dinp, const float *dout, const int32_t *argmax, int64_t NC,
                            int D, int H, int W);

/* out (NC, 2D, 2H, 2W) = inp (NC, D, H, W) repeated over 2x2x2 blocks. */
void upsample2x_forward_cpu(float *out, const float *inp, int64_t NC, int D, int H, int W);
/* dinp (NC, D, H, W) += sum of dout over each 2x2x2 block (in scan order, in double). */
void upsample2x_backward_cpu(float *dinp, const float *dout, int64_t NC, int D, int H, int W);

#endif
