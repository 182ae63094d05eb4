/* unet_conv.h - the fast CPU kernels of the U-Net (issue 6): 3x3x3 'valid' convolution forward
 * and weight gradient, 2x2x2 max-pooling, nearest 2x upsampling, zero padding.
 *
 * Every other convolution the network needs is one of these two after a weight re-layout:
 *   transposed conv (stride 1, padding 0)  = valid conv of the input zero-padded by 2 with the
 *                                            kernel flipped and Cin/Cout swapped;
 *   gradient w.r.t. a valid conv's input    = the same thing applied to the output gradient;
 *   gradient w.r.t. a transposed conv input = valid conv of the output gradient with the
 *                                            transposed conv's own (Cin, Cout, k) weight array.
 * (nn/unet.c does the re-layouts.) Layout everywhere: one sample, (C, D, H, W), W fastest.
 * Determinism: every output element is computed by exactly one pool chunk, in a fixed order of
 * (ci, kd, kh, kw) terms, so results do not depend on the thread count. Sums run in float inside
 * one output row (at most 27*C terms per output, or one row of W products for the weight
 * gradient) and in double across rows.
 * Covered by test/nn/test_unet.c (against plain double loops, and across thread counts). */
#ifndef SARC_UNET_CONV_H
#define SARC_UNET_CONV_H

#include <stdint.h>

struct pool;

/* out (CO, D-2, H-2, W-2) = conv(in (C, D, H, W), w (CO, C, 3, 3, 3)) + b (CO) (b may be NULL).
 * Overwrites out. D, H, W >= 3. */
void uconv_forward(const float *in, int C, int D, int H, int W, const float *w, const float *b,
                   int CO, float *out, struct pool *p);

/* dw (CO, C, 3, 3, 3) += sum over positions of dout (CO, D-2, H-2, W-2) x in (C, D, H, W). */
void uconv_backward_weight(const float *in, int C, int D, int H, int W, const float *dout, int CO,
                           float *dw, struct pool *p);

/* db (CO) += sum over each channel of x (CO, n). Double sums in index order. */
void ubias_backward(const float *x, int CO, int64_t n, float *db);

/* out (C, D+2q, H+2q, W+2q) = in (C, D, H, W) zero-padded by q on every side. */
void upad(const float *in, int C, int D, int H, int W, int q, float *out);

/* 2x2x2 max-pooling, floor: out (C, D/2, H/2, W/2). */
void upool_forward(const float *in, int C, int D, int H, int W, float *out);
/* din (C, D, H, W) = 0 except at the first maximum (scan order d, h, w) of each window, where
 * it receives dout. in is the forward input. */
void upool_backward(const float *in, int C, int D, int H, int W, const float *dout, float *din);

/* Nearest 2x upsampling: out (C, 2D, 2H, 2W). */
void uup_forward(const float *in, int C, int D, int H, int W, float *out);
/* din (C, D, H, W) = sum of the 8 values of dout (C, 2D, 2H, 2W) each input fed. */
void uup_backward(const float *dout, int C, int D, int H, int W, float *din);

#endif
