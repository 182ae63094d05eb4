/* loss.h - the losses of nn/: mean binary cross-entropy from logits (PyTorch
 * BCEWithLogitsLoss, reduction 'mean') and the soft Dice loss. Sums in double. Covered by
 * test/nn/test_tape.c (finite differences) and test/nn/test_ops_torch.c. */
#ifndef SARC_NN_LOSS_H
#define SARC_NN_LOSS_H

#include <stdint.h>

/* mean over n of max(x,0) - x*y + log1p(exp(-|x|)). */
double bce_logits_forward_cpu(const float *x, const float *y, int64_t n);
/* dx += g * (sigmoid(x) - y) / n, g = d loss. */
void bce_logits_backward_cpu(float *dx, double g, const float *x, const float *y, int64_t n);

/* 1 - (2*sum(p*y) + eps) / (sum(p) + sum(y) + eps); sums[0..2] receive sum(p*y), sum(p),
 * sum(y) (the state the backward needs). */
double soft_dice_forward_cpu(const float *p, const float *y, int64_t n, double eps,
                             double sums[3]);
/* dp += g * d/dp: -(2*y*(S + eps) - (2I + eps)) / (S + eps)^2, S = sum(p) + sum(y). */
void soft_dice_backward_cpu(float *dp, double g, const float *y, int64_t n, double eps,
                            const double sums[3]);

#endif
