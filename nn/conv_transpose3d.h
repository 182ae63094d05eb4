/* conv_transpose3d.h - 3-D transposed convolution, kernel 3x3x3, stride 1, no padding ('valid':
 * each spatial extent grows by 2). Layouts: inp (N,C,D,H,W), weight (C,OC,3,3,3) (PyTorch
 * ConvTranspose3d), bias (OC), out (N,OC,D+2,H+2,W+2). The fast path is the conv3d fast path
 * (forward = 'full' conv3d by the flipped, channel-swapped kernel; backward-data = 'valid'
 * conv3d; backward-weights = conv3d weight gradient with the roles of input and output
 * swapped). Covered by test/nn/test_conv3d.c and test/nn/test_ops_torch.c. */
#ifndef SARC_NN_CONV_TRANSPOSE3D_H
#define SARC_NN_CONV_TRANSPOSE3D_H

#include "nn/conv3d.h"

/* s describes the INPUT side: N, C, D, H, W, OC; P is ignored and OD.. = D+2 .. */
int conv_transpose3d_dims_init(struct conv3d_dims *s, int N, int C, int D, int H, int W, int OC,
                               struct sarc_err *e);

/* Reference: out = bias + sum_{c,i,j,k} w[c,o,i,j,k] * inp[n,c,z-i,y-j,x-k] (in range). Sums in
 * double. Saved state for the backward: inp, weight. */
void conv_transpose3d_forward_cpu(float *out, const float *inp, const float *weight,
                                  const float *bias, const struct conv3d_dims *s);
/* Reference backward: dinp +=, dweight +=, dbias += (each may be NULL). Sums in double. */
void conv_transpose3d_backward_cpu(float *dinp, float *dweight, float *dbias, const float *dout,
                                   const float *inp, const float *weight,
                                   const struct conv3d_dims *s);

/* Fast path, same contracts (forward: out =). */
int conv_transpose3d_forward_fast(float *out, const float *inp, const float *weight,
                                  const float *bias, const struct conv3d_dims *s,
                                  struct pool *pool, struct nn_arena *scratch, struct sarc_err *e);
int conv_transpose3d_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout,
                                   const float *inp, const float *weight,
                                   const struct conv3d_dims *s, struct pool *pool,
                                   struct nn_arena *scratch, struct sarc_err *e);

#endif
