/* eltwise.h - element-wise ops and reductions of nn/: ReLU, sigmoid, add, mul, scale, channel
 * concatenation, spatial dropout, sum and mean. Gradients are += into d-buffers. Covered by
 * test/nn/test_tape.c (finite differences) and test/nn/test_ops_torch.c. */
#ifndef SARC_NN_ELTWISE_H
#define SARC_NN_ELTWISE_H

#include <stdint.h>

/* out = max(x, 0); backward dinp += dout * (x > 0) (saved state: x). */
void relu_forward_cpu(float *out, const float *x, int64_t n);
void relu_backward_cpu(float *dinp, const float *dout, const float *x, int64_t n);
/* out = 1/(1+exp(-x)) without overflow; backward dinp += dout * out * (1 - out) (saved: out). */
void sigmoid_forward_cpu(float *out, const float *x, int64_t n);
void sigmoid_backward_cpu(float *dinp, const float *dout, const float *out, int64_t n);

/* out = a + b, a * b, x * s. mul backward: da += dout * b, db += dout * a (either may be NULL). */
void add_forward_cpu(float *out, const float *a, const float *b, int64_t n);
void mul_forward_cpu(float *out, const float *a, const float *b, int64_t n);
void mul_backward_cpu(float *da, float *db, const float *dout, const float *a, const float *b,
                      int64_t n);
void scale_forward_cpu(float *out, const float *x, double s, int64_t n);
/* d += dout * s (s = 1 is the add backward). */
void scale_backward_cpu(float *d, const float *dout, double s, int64_t n);

/* out (N, Ca+Cb, S) = [a (N, Ca, S); b (N, Cb, S)], S = D*H*W; backward splits dout (+=). */
void concat_forward_cpu(float *out, const float *a, const float *b, int N, int Ca, int Cb,
                        int64_t S);
void concat_backward_cpu(float *da, float *db, const float *dout, int N, int Ca, int Cb,
                         int64_t S);

/* Spatial dropout mask (N*C floats): 0 for dropped channels, 1/(1-p) for kept ones; channel c
 * of sample n is dropped when rng_uniform(seed, rng_stream(RNG_DROPOUT, step, layer,
 * n*C + c), 0) < p. out = x * mask[n*C + c] over each channel's S elements. */
void dropout_mask_cpu(float *mask, int N, int C, double p, uint64_t seed, uint64_t step,
                      int layer);
void dropout_forward_cpu(float *out, const float *x, const float *mask, int64_t NC, int64_t S);
/* dinp += dout * mask. */
void dropout_backward_cpu(float *dinp, const float *dout, const float *mask, int64_t NC,
                          int64_t S);

/* Sum of x in double, in index order (blocks of 4096 summed in order). */
double sum_cpu(const float *x, int64_t n);

#endif
