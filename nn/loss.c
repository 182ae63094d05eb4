/* loss.c - BCE from logits and soft Dice (see loss.h). Covered by test/nn/test_tape.c and
 * test/nn/test_ops_torch.c. */
#include "nn/loss.h"

#include <math.h>

double bce_logits_forward_cpu(const float *x, const float *y, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) {
        const double v = x[i], t = y[i];
        s += (v > 0 ? v : 0) - v * t + log1p(exp(-fabs(v)));
    }
    return s / (double)n;
}

void bce_logits_backward_cpu(float *dx, double g, const float *x, const float *y, int64_t n)
{
    const double k = g / (double)n;
    for (int64_t i = 0; i < n; i++) {
        const double v = x[i];
        const double sg = v >= 0 ? 1.0 / (1.0 + exp(-v)) : exp(v) / (1.0 + exp(v));
        dx[i] += (float)(k * (sg - y[i]));
    }
}

double soft_dice_forward_cpu(const float *p, const float *y, int64_t n, double eps,
                             double sums[3])
{
    double inter = 0, sp = 0, sy = 0;
    for (int64_t i = 0; i < n; i++) {
        inter += (double)p[i] * y[i];
        sp += p[i];
        sy += y[i];
    }
    sums[0] = inter;
    sums[1] = sp;
    sums[2] = sy;
    return 1.0 - (2 * inter + eps) / (sp + sy + eps);
}

void soft_dice_backward_cpu(float *dp, double g, const float *y, int64_t n, double eps,
                            const double sums[3])
{
    const double S = sums[1] + sums[2] + eps, num = 2 * sums[0] + eps;
    for (int64_t i = 0; i < n; i++)
        dp[i] += (float)(g * -(2.0 * y[i] * S - num) / (S * S));
}
