/* tape_cuda.h - the tape of nn/tape.h with its tensors on a CUDA device (issue 10): the CUDA
 * slots of nn_op_table(), a device arena per tape, host <-> device copies of leaves and results,
 * and a device mirror of the parameter block of nn/optim.h updated by the cuda/optim.h launchers.
 *
 * Use (the same graph code as on the CPU; only the lines marked * differ):
 *
 *     struct tape t;  tape_init(&t);
 *   * if (tape_device_init(&t, NULL, 0, &err) != 0) ...     // NULL: the cuda/ launchers
 *   * if (tape_params_upload(&t, &params, &err) != 0) ...   // w | g | m | v to the device, once
 *     ...per step:
 *     tape_reset(&t);  t.training = 1;  t.seed = seed;  t.step = step;
 *     struct nn_var *x = tape_leaf(&t, 5, (int[]){N, C, D, H, W});
 *   * tape_leaf_upload(&t, x, host_x, &err);                // instead of filling x->val.data
 *     (or x = tape_leaf_from(&t, &host_tensor): on a device tape it copies the data up)
 *     struct nn_var *w = tape_param(&t, &params.p[0]);       // aliases the DEVICE mirror
 *     ... the same nn_* ops ...
 *     tape_backward(&t, loss, &err);                          // unchanged
 *   * tape_value_download(&t, loss, &host_loss, &err);       // results back to the host
 *   * tape_adam_step(&t, &params, &adam, &err);  tape_params_zero_grad(&t, &params, &err);
 *   * tape_params_download(&t, &params, &err);               // before export / checkpoint
 *     tape_free(&t);
 *
 * The tape_leaf_upload, tape_value_download, tape_grad_download, tape_params_* and tape_*_step
 * functions also work on a CPU tape (plain copies, nn/optim.h's steps), so a caller can be
 * written once for both.
 *
 * On a device tape every val.data, grad.data and saved pointer of a node is a DEVICE pointer
 * (never dereference it on the host); the nodes themselves stay in host memory. Values,
 * gradients and saved state live in the tape's device arena (one block of the high-water size
 * from the second step on: nothing is allocated inside a later step);
 * per-op workspaces (convolution weight-gradient partials, reduction partials) come from a
 * device scratch arena reset after each op. Host <-> device copies happen only in the functions
 * above. Parameter values and gradients live in the mirror and survive tape_reset; the host
 * block is stale until tape_params_download.
 *
 * Kernels: a device tape launches through a struct tape_cuda_kernels. tape_cuda_launchers() is
 * the cuda/ launchers (CUDA builds; NULL in CPU-only builds); a test may pass host stand-ins
 * with the same contracts (test/cuda/test_tape_cuda.c runs every op and a U-Net-shaped graph
 * with 3 Adam steps that way in every build, and on the real launchers when a GPU is present).
 * Expected on a GPU (the launchers' contracts in cuda/; proven only when test/gpu/check.sh has
 * run on one): element-wise ops, pooling, concat, dropout masks and the optimizer steps equal
 * to the CPU bit for bit; convolutions within FP32 summation-order error (TF32 if asked); sums,
 * sigmoid and the losses within about a float ulp; bit-identical run to run on the same GPU (no
 * floating-point atomics in cuda/). Leaves and gradients are zeroed when handed out (a memset
 * each); op outputs are not, since every forward writes its whole output. t->reference is
 * ignored on a device tape. */
#ifndef SARC_NN_TAPE_CUDA_H
#define SARC_NN_TAPE_CUDA_H

#include <stddef.h>
#include <stdint.h>

#include "cuda/cuda_common.h"
#include "nn/conv3d.h"
#include "nn/optim.h"
#include "nn/tape.h"
#include "vendor/err.h"

/* The launchers a device tape calls, with the contracts of the cuda/ headers (device pointers, "=" or
 * "+=" as stated there, asynchronous on ctx's stream, never allocating). */
struct tape_cuda_kernels {
    /* memory (cuda/cuda_common.h) */
    int (*mem_alloc)(void **p, size_t nbytes, struct sarc_err *e);
    void (*mem_free)(void *p);
    int (*mem_to_device)(void *dst_gpu, const void *src, size_t nbytes, struct sarc_err *e);
    int (*mem_to_host)(void *dst, const void *src_gpu, size_t nbytes, struct sarc_err *e);
    int (*mem_zero_async)(void *p_gpu, size_t nbytes, const struct cuda_ctx *ctx,
                          struct sarc_err *e);
    int (*sync)(const struct cuda_ctx *ctx, struct sarc_err *e);
    /* workspace sizes */
    size_t (*conv3d_ws)(const struct conv3d_dims *s);
    size_t (*conv_transpose3d_ws)(const struct conv3d_dims *s);
    size_t (*reduce_ws)(int64_t n);
    /* convolutions (cuda/conv3d.h, cuda/conv_transpose3d.h) */
    int (*conv3d_forward)(float *out, const float *inp, const float *w, const float *b,
                          const struct conv3d_dims *s, const struct cuda_ctx *ctx,
                          struct sarc_err *e);
    int (*conv3d_backward)(float *dinp, float *dw, float *db, const float *dout,
                           const float *inp, const float *w, const struct conv3d_dims *s,
                           const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*conv_transpose3d_forward)(float *out, const float *inp, const float *w,
                                    const float *b, const struct conv3d_dims *s,
                                    const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*conv_transpose3d_backward)(float *dinp, float *dw, float *db, const float *dout,
                                     const float *inp, const float *w,
                                     const struct conv3d_dims *s, const struct cuda_ctx *ctx,
                                     struct sarc_err *e);
    /* pooling, upsampling (cuda/maxpool3d.h) */
    int (*maxpool3d_forward)(float *out, int32_t *argmax, const float *inp, int64_t NC, int D,
                             int H, int W, const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*maxpool3d_backward)(float *dinp, const float *dout, const int32_t *argmax, int64_t NC,
                              int D, int H, int W, const struct cuda_ctx *ctx,
                              struct sarc_err *e);
    int (*upsample2x_forward)(float *out, const float *inp, int64_t NC, int D, int H, int W,
                              const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*upsample2x_backward)(float *dinp, const float *dout, int64_t NC, int D, int H, int W,
                               const struct cuda_ctx *ctx, struct sarc_err *e);
    /* element-wise, concat, dropout, sums (cuda/eltwise.h) */
    int (*concat_forward)(float *out, const float *a, const float *b, int N, int Ca, int Cb,
                          int64_t S, const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*concat_backward)(float *da, float *db, const float *dout, int N, int Ca, int Cb,
                           int64_t S, const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*relu_forward)(float *out, const float *x, int64_t n, const struct cuda_ctx *ctx,
                        struct sarc_err *e);
    int (*relu_backward)(float *dinp, const float *dout, const float *x, int64_t n,
                         const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*sigmoid_forward)(float *out, const float *x, int64_t n, const struct cuda_ctx *ctx,
                           struct sarc_err *e);
    int (*sigmoid_backward)(float *dinp, const float *dout, const float *out, int64_t n,
                            const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*add_forward)(float *out, const float *a, const float *b, int64_t n,
                       const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*mul_forward)(float *out, const float *a, const float *b, int64_t n,
                       const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*mul_backward)(float *da, float *db, const float *dout, const float *a, const float *b,
                        int64_t n, const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*scale_forward)(float *out, const float *x, double s, int64_t n,
                         const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*scale_backward)(float *d, const float *dout, double s, int64_t n,
                          const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*dropout_mask)(float *mask, int N, int C, double p, uint64_t seed, uint64_t step,
                        int layer, const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*dropout_forward)(float *out, const float *x, const float *mask, int64_t NC, int64_t S,
                           const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*dropout_backward)(float *dinp, const float *dout, const float *mask, int64_t NC,
                            int64_t S, const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*sum_forward)(float *out, const float *x, int64_t n, int mean,
                       const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*sum_backward)(float *dx, const float *dout, int64_t n, int mean,
                        const struct cuda_ctx *ctx, struct sarc_err *e);
    /* losses (cuda/loss.h) */
    int (*bce_logits_forward)(float *loss, const float *x, const float *y, int64_t n,
                              const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*bce_logits_backward)(float *dx, const float *dloss, const float *x, const float *y,
                               int64_t n, const struct cuda_ctx *ctx, struct sarc_err *e);
    int (*soft_dice_forward)(float *loss, double *sums, const float *p, const float *y,
                             int64_t n, double eps, const struct cuda_ctx *ctx,
                             struct sarc_err *e);
    int (*soft_dice_backward)(float *dp, const float *dloss, const float *y, int64_t n,
                              double eps, const double *sums, const struct cuda_ctx *ctx,
                              struct sarc_err *e);
    /* optimizers (cuda/optim.h): block = w | g | m | v, n floats each */
    int (*adam_step)(struct nn_adam *a, float *block, int64_t n, const struct cuda_ctx *ctx,
                     struct sarc_err *e);
    int (*sgd_step)(const struct nn_sgd *s, float *block, int64_t n, const struct cuda_ctx *ctx,
                    struct sarc_err *e);
};

/* The cuda/ launchers, or NULL in a build without CUDA. */
const struct tape_cuda_kernels *tape_cuda_launchers(void);

/* Puts an empty tape (just made by tape_init, or reset with no node yet) on the device: every
 * later node keeps its tensors in device memory until tape_free. k NULL = tape_cuda_launchers()
 * (then the build must have CUDA and a GPU must be present); tf32 1 = TF32 tensor cores in the
 * convolutions. Errors: SARC_ERR_UNSUPPORTED (built without CUDA), SARC_ERR_DEVICE (no GPU),
 * SARC_ERR_ARG (the tape has nodes or is already on a device), SARC_ERR_NOMEM. */
int tape_device_init(struct tape *t, const struct tape_cuda_kernels *k, int tf32,
                     struct sarc_err *e);
/* 1 if t keeps its tensors on a device. */
int tape_on_device(const struct tape *t);

/* v->val (= v->val.n floats) from host memory: a device copy on a device tape, a memcpy on a
 * CPU tape. v must be a leaf of t (not an alias made by tape_leaf_from on a CPU tape). */
int tape_leaf_upload(struct tape *t, struct nn_var *v, const float *host, struct sarc_err *e);
/* host (v->val.n floats) = v->val, or = v->grad (SARC_ERR_ARG when v has no gradient); waits
 * for the device's pending work first. */
int tape_value_download(struct tape *t, const struct nn_var *v, float *host, struct sarc_err *e);
int tape_grad_download(struct tape *t, const struct nn_var *v, float *host, struct sarc_err *e);

/* The parameter mirror of a device tape (no-ops returning 0 on a CPU tape):
 * upload: a device copy of ps's whole block (w | g | m | v; replaces an earlier mirror, so call
 * it before the step's tape_param calls); ps must stay allocated while the tape uses it.
 * download: ps's block = the mirror (after the pending device work). */
int tape_params_upload(struct tape *t, struct nn_params *ps, struct sarc_err *e);
int tape_params_download(struct tape *t, struct nn_params *ps, struct sarc_err *e);
/* g = 0 for every parameter: nn_params_zero_grad on a CPU tape, the mirror's g on a device. */
int tape_params_zero_grad(struct tape *t, struct nn_params *ps, struct sarc_err *e);
/* One optimizer step on ps (nn_adam_step / nn_sgd_step on a CPU tape; adam_step_cuda /
 * sgd_step_cuda on the mirror of a device tape, same formulas and step counting). */
int tape_adam_step(struct tape *t, struct nn_params *ps, struct nn_adam *a, struct sarc_err *e);
int tape_sgd_step(struct tape *t, struct nn_params *ps, const struct nn_sgd *s,
                  struct sarc_err *e);

/* ---- for nn/tape.c only ---- */

/* Allocates x (shape) in the device arena, zeroed when zero is 1 (leaves, gradients); op
 * outputs are not zeroed: every CUDA forward writes all of its output ("="). */
int tape_cuda_tensor(struct tape *t, struct tensor *x, int ndim, const int *shape, int zero,
                     struct sarc_err *e);
/* Device value and gradient of parameter p (which must be in the mirror). */
int tape_cuda_param(struct tape *t, const struct nn_param *p, float **w, float **g,
                    struct sarc_err *e);
/* loss->grad (device) = 1, or += 1 when loss is a parameter. */
int tape_cuda_loss_seed(struct tape *t, struct nn_var *loss, struct sarc_err *e);
void tape_cuda_scratch_reset(struct tape *t);
void tape_cuda_reset(struct tape *t);
void tape_cuda_free(struct tape *t);

/* The CUDA slots of nn_op_table() (contracts of nn_op_fn). */
int tape_cuda_conv3d_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_conv3d_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_convt_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_convt_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_maxpool_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_maxpool_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_upsample_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_upsample_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_concat_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_concat_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_relu_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_relu_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_sigmoid_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_sigmoid_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_dropout_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_dropout_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_add_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_add_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_mul_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_mul_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_scale_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_scale_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_sum_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_sum_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_bce_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_bce_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_dice_fwd(struct tape *t, struct nn_var *v, struct sarc_err *e);
int tape_cuda_dice_bwd(struct tape *t, struct nn_var *v, struct sarc_err *e);

#endif
