/* optim.cu - Adam (torch and Keras forms) and SGD-momentum kernels (contracts in cuda/optim.h).
 * Every product and sum is an _rn intrinsic in the order nn/optim.c evaluates it, so nvcc
 * cannot contract them into FMAs; the bias corrections are computed on the host with the same
 * pow() as the CPU. Covered by test/cuda/test_cuda_ops.c (needs a GPU). */
#include <math.h>

#include "cuda/check.h"
#include "cuda/optim.h"

#define OPT_THREADS 256
#define GRID_LOOP(i, n)                                                                        \
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n);                  \
         i += (int64_t)gridDim.x * blockDim.x)

/* torch 1: w -= (lr/bc1) m / (sqrt(v)/sqrt(bc2) + eps); torch 0 (Keras): w -= alpha m /
 * (sqrt(v) + eps). step = lr/bc1 (torch) or alpha (Keras). */
__global__ void adam_kernel(float *__restrict__ w, const float *__restrict__ g,
                            float *__restrict__ m, float *__restrict__ v, int64_t n, double b1,
                            double b2, double eps, double step, double sbc2, int torch)
{
    const double c1 = 1 - b1, c2 = 1 - b2;
    GRID_LOOP(i, n)
    {
        const double gi = g[i];
        const double mi = __dadd_rn(__dmul_rn(b1, (double)m[i]), __dmul_rn(c1, gi));
        const double vi = __dadd_rn(__dmul_rn(b2, (double)v[i]), __dmul_rn(__dmul_rn(c2, gi), gi));
        const float mf = (float)mi, vf = (float)vi;
        m[i] = mf;
        v[i] = vf;
        const double root = __dsqrt_rn((double)vf);
        const double den = torch ? __dadd_rn(__ddiv_rn(root, sbc2), eps) : __dadd_rn(root, eps);
        w[i] = (float)__dsub_rn((double)w[i], __ddiv_rn(__dmul_rn(step, (double)mf), den));
    }
}

__global__ void sgd_kernel(float *__restrict__ w, const float *__restrict__ g,
                           float *__restrict__ m, int64_t n, double lr, double mu)
{
    GRID_LOOP(i, n)
    {
        const float mf = (float)__dadd_rn(__dmul_rn(mu, (double)m[i]), (double)g[i]);
        m[i] = mf;
        w[i] = (float)__dsub_rn((double)w[i], __dmul_rn(lr, (double)mf));
    }
}

extern "C" int adam_step_cuda(struct nn_adam *a, float *block_gpu, int64_t n,
                              const struct cuda_ctx *ctx, struct sarc_err *e)
{
    if (!(a->lr > 0) || !(a->beta1 >= 0 && a->beta1 < 1) || !(a->beta2 >= 0 && a->beta2 < 1) ||
        !(a->eps > 0))
        return ERR(e, SARC_ERR_ARG, "Adam: lr %g, beta1 %g, beta2 %g, eps %g: expected lr > 0, "
                   "betas in [0,1), eps > 0", a->lr, a->beta1, a->beta2, a->eps);
    if (a->form != NN_ADAM_TORCH && a->form != NN_ADAM_KERAS)
        return ERR(e, SARC_ERR_ARG, "Adam form %d unknown", a->form);
    if (n < 0)
        return ERR(e, SARC_ERR_RANGE, "Adam (CUDA): n = %lld", (long long)n);
    if (!block_gpu || n == 0)
        return 0;
    a->t++;
    const double b1 = a->beta1, b2 = a->beta2;
    const double bc1 = 1 - pow(b1, (double)a->t), bc2 = 1 - pow(b2, (double)a->t);
    const int torch = a->form == NN_ADAM_TORCH;
    const double step = torch ? a->lr / bc1 : a->lr * sqrt(bc2) / bc1;
    float *w = block_gpu, *g = w + n, *m = g + n, *v = m + n;
    adam_kernel<<<cuda_grid_for(n, OPT_THREADS), OPT_THREADS, 0, CTX_STREAM(ctx)>>>(
        w, g, m, v, n, b1, b2, a->eps, step, sqrt(bc2), torch);
    CUDA_LAUNCHED(e);
    return 0;
}

extern "C" int sgd_step_cuda(const struct nn_sgd *s, float *block_gpu, int64_t n,
                             const struct cuda_ctx *ctx, struct sarc_err *e)
{
    if (!(s->lr > 0) || !(s->momentum >= 0 && s->momentum < 1))
        return ERR(e, SARC_ERR_ARG, "SGD: lr %g, momentum %g: expected lr > 0, momentum in [0,1)",
                   s->lr, s->momentum);
    if (n < 0)
        return ERR(e, SARC_ERR_RANGE, "SGD (CUDA): n = %lld", (long long)n);
    if (!block_gpu || n == 0)
        return 0;
    float *w = block_gpu, *g = w + n, *m = w + 2 * n;
    sgd_kernel<<<cuda_grid_for(n, OPT_THREADS), OPT_THREADS, 0, CTX_STREAM(ctx)>>>(
        w, g, m, n, s->lr, s->momentum);
    CUDA_LAUNCHED(e);
    return 0;
}
