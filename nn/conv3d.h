/* conv3d.h - 3-D convolution, kernel 3x3x3, stride 1, zero padding P (0 'valid', 1 'same',
 * 2 'full'): the CPU reference (plain loops, double accumulation) and the fast CPU path (im2col
 * tiles + our blocked SGEMM, threads). Layouts: inp (N,C,D,H,W), weight (OC,C,3,3,3) (PyTorch
 * Conv3d), bias (OC), out (N,OC,OD,OH,OW) with OD = D + 2P - 2 (same for H, W).
 * Covered by test/nn/test_conv3d.c (reference vs finite differences and vs the fast path) and
 * test/nn/test_ops_torch.c (PyTorch goldens). */
#ifndef SARC_NN_CONV3D_H
#define SARC_NN_CONV3D_H

#include "nn/tensor.h"
#include "vendor/err.h"

struct pool;

struct conv3d_dims {
    int N, C, D, H, W; /* input */
    int OC, P;         /* output channels, zero padding (0..2) */
    int OD, OH, OW;    /* output extents */
};

/* Fills s; SARC_ERR_RANGE if an extent is < 1, P outside 0..2, or an output extent < 1. */
int conv3d_dims_init(struct conv3d_dims *s, int N, int C, int D, int H, int W, int OC, int P,
                     struct sarc_err *e);

/* Reference forward: out = (=) bias + correlation. bias may be NULL. Sums in double.
 * Saved state for the backward: inp and weight themselves. */
void conv3d_forward_cpu(float *out, const float *inp, const float *weight, const float *bias,
                        const struct conv3d_dims *s);
/* Reference backward: dinp += d/dinp, dweight += d/dweight, dbias += d/dbias (each may be
 * NULL to skip). dout (N,OC,OD,OH,OW). Sums in double. */
void conv3d_backward_cpu(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, const struct conv3d_dims *s);

/* Fast forward: out = bias + correlation (accumulate 0), or out += correlation (accumulate 1,
 * bias ignored). Float accumulation in a fixed order: bit-identical for any pool. Scratch
 * comes from the arena (per call; freed with the arena). Errors: SARC_ERR_NOMEM. */
int conv3d_forward_fast(float *out, const float *inp, const float *weight, const float *bias,
                        const struct conv3d_dims *s, int accumulate, struct pool *pool,
                        struct nn_arena *scratch, struct sarc_err *e);
/* Fast backward, same contract as conv3d_backward_cpu (+= into each non-NULL output). */
int conv3d_backward_fast(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, const struct conv3d_dims *s,
                         struct pool *pool, struct nn_arena *scratch, struct sarc_err *e);

/* The scatter form (GEMM then col2im) of a transposed correlation, used by the backward-data
 * and by the transposed convolution: x (N,Cin,D,H,W), wt (Cin,Cout,3,3,3), out (N,Cout,OD,OH,OW)
 * with OD = D + 2 - 2P: out[n,o,z+i-P,y+j-P,x+k-P] += sum_c wt[c,o,i,j,k] x[n,c,z,y,x] (terms
 * landing outside out are dropped). accumulate 0: out is first zeroed and bias (Cout, may be
 * NULL) added at the end; 1: out +=, bias ignored. Float sums in a fixed order (bit-identical
 * for any pool). */
int conv3d_scatter_fast(float *out, const float *x, const float *wt, const float *bias, int N,
                        int Cin, int D, int H, int W, int Cout, int P, int accumulate,
                        struct pool *pool, struct nn_arena *scratch, struct sarc_err *e);

/* The two halves of conv3d_backward_fast, for the benchmark: backward-data (dinp +=) and
 * backward-weights (dweight +=, dbias += if not NULL). */
int conv3d_backward_data_fast(float *dinp, const float *dout, const float *weight,
                              const struct conv3d_dims *s, struct pool *pool,
                              struct nn_arena *scratch, struct sarc_err *e);
int conv3d_backward_weight_fast(float *dweight, float *dbias, const float *dout,
                                const float *inp, const struct conv3d_dims *s,
                                struct pool *pool, struct nn_arena *scratch, struct sarc_err *e);

#endif
