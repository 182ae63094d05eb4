/* cuda_backend.h - the C-side bridge from nn/ to the CUDA launchers of cuda/ (issue 10).
 *
 * What it offers today: the paper's U-Net (nn/unet.h, skip variant) with every tensor on the
 * device for the whole training step: weights, gradients and Adam state in one device block
 * laid out as nn/optim.h's (w | g | m | v, the w part in struct unet_params' layout), the
 * activations of a batch of N patches, and one workspace sized for the largest reduction. Host
 * <-> device copies happen only for the batch in (x, y) and the loss out. The graph is
 * nn/unet.c's: same layers, same ReLU+dropout fusion and dropout draws (rng_uniformf keyed by
 * (step, site, sample*C + c)), same concat order; the loss is mean BCE-with-logits over the
 * batch and the optimizer the nn/optim.h Adam (Keras form by default).
 *
 * Both variants: with skip 0 (the no-skip U-Net) dconv2 and dconv3 read the upsampled decoder
 * channels alone, as in nn/unet.c.
 * nn/segtrain.c and nn/seg_predict.c reach it through struct unet_device (an operations table,
 * cuda_unet_ops), so that tests can put the graph on CPU stand-ins in its place.
 *
 * The general tensor engine has its own device path: nn_op_table()'s CUDA slots are filled by
 * nn/tape_cuda.c (a device tape: tape_device_init). This file is the fused, fixed-graph U-Net
 * that sarc train/kfold/segment use.
 *
 * Compiled only when SARC_CUDA is defined; in CPU-only builds every function returns
 * SARC_ERR_UNSUPPORTED ("built without CUDA"). Covered by test/cuda/test_cuda_graph.c (the
 * graph on CPU stand-ins of the launchers against nn/unet.c, in CPU-only and SAN builds) and
 * test/gpu/gpu_check.c (20 training steps on a GPU against nn/unet.c, run-to-run identity,
 * timings), run by test/gpu/check.sh. */
#ifndef SARC_NN_CUDA_BACKEND_H
#define SARC_NN_CUDA_BACKEND_H

#include <stdint.h>

#include "nn/optim.h"
#include "nn/unet.h"
#include "vendor/err.h"

struct cuda_unet;

/* A device U-Net for batches of up to max_batch patches of a's patch size (skip or no-skip).
 * tf32 1: the convolutions use TF32 tensor cores. Errors: SARC_ERR_DEVICE (no GPU, out of
 * memory), SARC_ERR_RANGE (architecture, batch), SARC_ERR_UNSUPPORTED (built without CUDA). */
int cuda_unet_init(struct cuda_unet **u, const struct unet_arch *a, int max_batch, int tf32,
                   struct sarc_err *e);
void cuda_unet_free(struct cuda_unet *u);

/* Number of parameters (= unet_params.n). */
int64_t cuda_unet_nparams(const struct cuda_unet *u);
/* Weights in (host -> device; Adam state and gradients are cleared) and out (device -> host),
 * in struct unet_params' data layout; grads_get copies the current gradient block. */
int cuda_unet_params_set(struct cuda_unet *u, const float *params, struct sarc_err *e);
int cuda_unet_params_get(struct cuda_unet *u, float *params, struct sarc_err *e);
int cuda_unet_grads_get(struct cuda_unet *u, float *grads, struct sarc_err *e);
/* The whole training state in (host -> device): weights w and the Adam moments m, v (NULL:
 * zeros), each cuda_unet_nparams floats; gradients are cleared. state_get copies them out
 * (m or v NULL: not copied). For checkpoints and resume. */
int cuda_unet_state_set(struct cuda_unet *u, const float *w, const float *m, const float *v,
                        struct sarc_err *e);
int cuda_unet_state_get(struct cuda_unet *u, float *w, float *m, float *v, struct sarc_err *e);

/* Forward of N patches x (N, cin, D, H, W) (host memory); train 1 applies dropout keyed by
 * (seed, step, sample0 + n). logits (N, 1, D-2, H-2, W-2) go to host memory when not NULL. */
int cuda_unet_forward(struct cuda_unet *u, const float *x, int N, int train, uint64_t seed,
                      uint64_t step, int sample0, float *logits, struct sarc_err *e);

/* Backward of the last cuda_unet_forward (which must have had train 1 to match a training
 * step) for the logit gradient dlogit (N, 1, D-2, H-2, W-2) (host): the gradient block is set
 * (=) to the gradient of this batch. For losses computed on the host (nn/segtrain.c's Dice). */
int cuda_unet_backward(struct cuda_unet *u, const float *dlogit, int N, struct sarc_err *e);
/* One Adam step (nn/optim.h formulas) from the current gradient block. */
int cuda_unet_adam_step(struct cuda_unet *u, struct nn_adam *a, struct sarc_err *e);

/* One training step on N patches: forward (train), mean BCE-with-logits against y
 * (N, 1, D-2, H-2, W-2) (host), backward (gradients = of this batch), then one Adam step (a->t
 * advances). *loss receives the batch loss. Nothing is allocated. */
int cuda_unet_train_step(struct cuda_unet *u, const float *x, const float *y, int N,
                         uint64_t seed, uint64_t step, struct nn_adam *a, double *loss,
                         struct sarc_err *e);

/* The operations the trainer and the predictor call, as a table (cuda_unet_ops in real use;
 * test/cuda/test_cuda_wiring.c passes the same graph built on CPU stand-ins). */
struct unet_dev_ops {
    int (*init)(struct cuda_unet **u, const struct unet_arch *a, int max_batch, int tf32,
                struct sarc_err *e);
    void (*free)(struct cuda_unet *u);
    int (*state_set)(struct cuda_unet *u, const float *w, const float *m, const float *v,
                     struct sarc_err *e);
    int (*state_get)(struct cuda_unet *u, float *w, float *m, float *v, struct sarc_err *e);
    int (*forward)(struct cuda_unet *u, const float *x, int N, int train, uint64_t seed,
                   uint64_t step, int sample0, float *logits, struct sarc_err *e);
    int (*backward)(struct cuda_unet *u, const float *dlogit, int N, struct sarc_err *e);
    int (*adam_step)(struct cuda_unet *u, struct nn_adam *a, struct sarc_err *e);
};
extern const struct unet_dev_ops cuda_unet_ops;

/* Where a U-Net runs: ops NULL = the CPU (nn/unet.c). name is recorded in the audit trail
 * ("cuda:0 NVIDIA H200 (sm_90, 140 GiB)"); tf32 1 = TF32 tensor cores in the convolutions. */
struct unet_device {
    const struct unet_dev_ops *ops;
    const char *name;
    int tf32;
};

#endif
