/* loss.h - the losses on the GPU: mean BCE from logits and soft Dice, forward and backward,
 * launchers of cuda/loss.cu with the contracts of nn/loss.h plus a launch context. The loss
 * value and its gradient stay on the device (1 float each), so a training step needs no host
 * copy until the metrics are read. Sums: the deterministic two-pass reduction of cuda/reduce.h
 * (workspace reduce_workspace_bytes_cuda(n), cuda/eltwise.h). Device pointers.
 * Covered by test/cuda/test_cuda_ops.c (needs a GPU). */
#ifndef SARC_CUDA_LOSS_H
#define SARC_CUDA_LOSS_H

#include "cuda/cuda_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* loss[0] = mean over n of max(x,0) - x*y + log1p(exp(-|x|)) */
int bce_logits_forward_cuda(float *loss, const float *x, const float *y, int64_t n,
                            const struct cuda_ctx *ctx, struct sarc_err *e);
/* dx += g * (sigmoid(x) - y) / n with g = dloss[0] */
int bce_logits_backward_cuda(float *dx, const float *dloss, const float *x, const float *y,
                             int64_t n, const struct cuda_ctx *ctx, struct sarc_err *e);
/* loss[0] = 1 - (2*sum(p*y) + eps) / (sum(p) + sum(y) + eps); sums[0..2] (double, device) =
 * sum(p*y), sum(p), sum(y): the backward's saved state */
int soft_dice_forward_cuda(float *loss, double *sums, const float *p, const float *y, int64_t n,
                           double eps, const struct cuda_ctx *ctx, struct sarc_err *e);
/* dp += g * -(2*y*S - (2I + eps)) / S^2, S = sum(p) + sum(y) + eps, g = dloss[0] */
int soft_dice_backward_cuda(float *dp, const float *dloss, const float *y, int64_t n, double eps,
                            const double *sums, const struct cuda_ctx *ctx, struct sarc_err *e);

#ifdef __cplusplus
}
#endif

#endif
