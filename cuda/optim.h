/* optim.h - Adam and SGD-with-momentum updates on the GPU over the parameter block of
 * nn/optim.h (w, g, m, v of nvalues floats each, contiguous, on the device). Same formulas,
 * validation and step counting as nn_adam_step / nn_sgd_step; element-wise in double with the
 * CPU's rounding steps (no FMA contraction), so the updated weights equal the CPU's bit for bit.
 * Covered by test/cuda/test_cuda_ops.c (needs a GPU). */
#ifndef SARC_CUDA_OPTIM_H
#define SARC_CUDA_OPTIM_H

#include "cuda/cuda_common.h"
#include "nn/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One Adam step on block_gpu (4 * n floats: w, g, m, v); increments a->t. */
int adam_step_cuda(struct nn_adam *a, float *block_gpu, int64_t n, const struct cuda_ctx *ctx,
                   struct sarc_err *e);
/* One SGD step on block_gpu (w, g, m). */
int sgd_step_cuda(const struct nn_sgd *s, float *block_gpu, int64_t n,
                  const struct cuda_ctx *ctx, struct sarc_err *e);

#ifdef __cplusplus
}
#endif

#endif
