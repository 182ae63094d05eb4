/* unet.h - the paper's 3-D U-Net (issue 6): architecture, parameters, forward and backward of one
 * patch, Adam.
 *
 * Network (defaults = the paper): input (Cin, 18, 142, 142), spatial dropout on the input;
 *   conv1 3x3x3 valid f1=24 + ReLU + dropout -> maxpool 2 -> conv2 f2=48 + ReLU + dropout ->
 *   maxpool 2 -> conv3 f3=64 + ReLU + dropout -> dconv1 (transposed 3x3x3, stride 1, valid) f3 +
 *   ReLU + dropout -> upsample 2 -> [concat(conv2 out, .)] -> dconv2 f2 + ReLU + dropout ->
 *   upsample 2 -> [concat(conv1 out, .)] -> dconv3 f1 + ReLU -> out conv 3x3x3 valid 1 + sigmoid.
 * Output (1, 16, 140, 140): the input patch cropped by one voxel on each side. A patch extent P
 * works when P = 2 (mod 4) and P >= 18 (two exact poolings and a non-empty bottleneck).
 * Layers are named conv1 conv2 conv3 dconv1 dconv2 dconv3 out; weights are kept in PyTorch's
 * layouts (Conv3d: Cout, Cin, 3, 3, 3; ConvTranspose3d: Cin, Cout, 3, 3, 3), biases (Cout).
 * Concatenation order: encoder channels first, then the upsampled decoder channels.
 * Dropout masks: channel c of sample s at training step t in dropout site L (0 input, 1 conv1,
 * 2 conv2, 3 conv3, 4 dconv1, 5 dconv2) is dropped when
 *   rng_uniform(seed, rng_stream(RNG_DROPOUT, t, L, s * C + c), 0) < p,
 * survivors are scaled by 1/(1-p); no dropout at inference.
 * Computed on the CPU with the tensor engine's kernels (nn/conv3d.h, nn/conv_transpose3d.h,
 * nn/maxpool3d.h, nn/eltwise.h), bit-identical for any thread count.
 * Covered by test/nn/test_unet.c (shapes, finite differences, thread-count bit identity). */
#ifndef SARC_UNET_H
#define SARC_UNET_H

#include <stdint.h>

#include "vendor/err.h"

#define UNET_NLAYERS 7
enum { UNET_CONV1, UNET_CONV2, UNET_CONV3, UNET_DCONV1, UNET_DCONV2, UNET_DCONV3, UNET_OUT };
extern const char *const unet_layer_names[UNET_NLAYERS];

struct unet_arch {
    int cin;       /* input channels 1..3 */
    int f[3];      /* filters of conv1..conv3 (paper: 24, 48, 64), each 1..512 */
    int skip;      /* 1: the two skip concatenations (paper), 0: the no-skip variant */
    int patch[3];  /* input patch D, H, W (paper: 18, 142, 142) */
    float dropout; /* spatial dropout probability (paper: 0.1), 0 <= p < 1 */
};

/* The paper's architecture with cin channels. */
struct unet_arch unet_arch_paper(int cin);
/* 0 or SARC_ERR_RANGE with a message naming the bad field. */
int unet_arch_check(const struct unet_arch *a, struct sarc_err *e);
/* Layer l's kind and channels: *transposed 0/1, *cin, *cout. */
void unet_layer_dims(const struct unet_arch *a, int l, int *transposed, int *cin, int *cout);
/* Output patch extents (patch - 2). */
void unet_out_patch(const struct unet_arch *a, int out[3]);

/* All weights and biases in one float block: layer l's weight at data + woff[l] (27 * cin *
 * cout floats in the layouts above), its bias at data + boff[l]. */
struct unet_params {
    struct unet_arch arch;
    int64_t n;
    int64_t woff[UNET_NLAYERS], boff[UNET_NLAYERS];
    float *data; /* owned */
};
int unet_params_alloc(struct unet_params *p, const struct unet_arch *a, struct sarc_err *e);
void unet_params_free(struct unet_params *p);
/* Keras' defaults: Glorot-uniform weights, limit sqrt(6 / (27 * (cin + cout))), drawn as
 * -lim + 2 lim u with u = rng_uniform53(seed, rng_stream(RNG_INIT, l, 0, 0), i); zero biases. */
void unet_params_init(struct unet_params *p, uint64_t seed);

/* Buffers for one patch (activations, gradients), sized from the architecture once, and the
 * engine's workspace (im2col tiles; about 25 MB for the paper's network), which grows during
 * the first forward/backward and is reused after that. */
struct unet_work;
int unet_work_alloc(struct unet_work **w, const struct unet_arch *a, int training, struct sarc_err *e);
void unet_work_free(struct unet_work *w);
/* Bytes the work buffers of an architecture need (for messages and limits), not counting the
 * engine's workspace. */
int64_t unet_work_bytes(const struct unet_arch *a, int training);

/* Forward pass of one patch x (cin, D, H, W), already z-scored. train=1 applies dropout with
 * (seed, step, sample) as above and keeps what backward needs. Returns a pointer to the logits
 * (1, D-2, H-2, W-2) inside w (valid until the next call). */
const float *unet_forward(const struct unet_params *p, struct unet_work *w, const float *x,
                          int train, uint64_t seed, uint64_t step, int sample);
/* Backward of the last training forward: g (same layout as p->data) += dL/dparams for the
 * logit gradient dlogit (1, D-2, H-2, W-2). */
void unet_backward(const struct unet_params *p, struct unet_work *w, const float *dlogit, float *g);

/* Adam as Keras: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t); m = b1 m + (1-b1) g;
 * v = b2 v + (1-b2) g^2; p -= lr_t m / (sqrt(v) + eps). t counts from 1. */
struct unet_adam {
    double lr, b1, b2, eps;
    int64_t t;
    float *m, *v; /* n each, owned */
};
int unet_adam_init(struct unet_adam *o, int64_t n, double lr, struct sarc_err *e);
void unet_adam_free(struct unet_adam *o);
void unet_adam_step(struct unet_adam *o, float *params, const float *g, int64_t n);

#endif
