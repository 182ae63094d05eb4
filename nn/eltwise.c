/* eltwise.c - element-wise ops, concatenation, spatial dropout and the fixed-order sum of nn/
 * (see eltwise.h). Covered by test/nn/test_tape.c and test/nn/test_ops_torch.c. */
#include "nn/eltwise.h"

#include <math.h>
#include <string.h>

#include "vendor/rng.h"

void relu_forward_cpu(float *out, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = x[i] > 0 ? x[i] : 0.0f;
}

void relu_backward_cpu(float *dinp, const float *dout, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (x[i] > 0)
            dinp[i] += dout[i];
}

void sigmoid_forward_cpu(float *out, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        /* exp of a non-positive number only: no overflow */
        const double v = x[i];
        if (v >= 0)
            out[i] = (float)(1.0 / (1.0 + exp(-v)));
        else {
            const double z = exp(v);
            out[i] = (float)(z / (1.0 + z));
        }
    }
}

void sigmoid_backward_cpu(float *dinp, const float *dout, const float *out, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dinp[i] += (float)((double)dout[i] * out[i] * (1.0 - (double)out[i]));
}

void add_forward_cpu(float *out, const float *a, const float *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = a[i] + b[i];
}

void mul_forward_cpu(float *out, const float *a, const float *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = a[i] * b[i];
}

void mul_backward_cpu(float *da, float *db, const float *dout, const float *a, const float *b,
                      int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (da)
            da[i] += dout[i] * b[i];
        if (db)
            db[i] += dout[i] * a[i];
    }
}

void scale_forward_cpu(float *out, const float *x, double s, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = (float)(x[i] * s);
}

void scale_backward_cpu(float *d, const float *dout, double s, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        d[i] += (float)(dout[i] * s);
}

void concat_forward_cpu(float *out, const float *a, const float *b, int N, int Ca, int Cb,
                        int64_t S)
{
    for (int n = 0; n < N; n++) {
        float *o = out + (int64_t)n * (Ca + Cb) * S;
        memcpy(o, a + (int64_t)n * Ca * S, sizeof(float) * (size_t)(Ca * S));
        memcpy(o + Ca * S, b + (int64_t)n * Cb * S, sizeof(float) * (size_t)(Cb * S));
    }
}

void concat_backward_cpu(float *da, float *db, const float *dout, int N, int Ca, int Cb,
                         int64_t S)
{
    for (int n = 0; n < N; n++) {
        const float *d = dout + (int64_t)n * (Ca + Cb) * S;
        if (da)
            for (int64_t i = 0; i < Ca * S; i++)
                da[(int64_t)n * Ca * S + i] += d[i];
        if (db)
            for (int64_t i = 0; i < Cb * S; i++)
                db[(int64_t)n * Cb * S + i] += d[Ca * S + i];
    }
}

void dropout_mask_cpu(float *mask, int N, int C, double p, uint64_t seed, uint64_t step,
                      int layer)
{
    const float keep = (float)(1.0 / (1.0 - p));
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            const uint64_t stream = rng_stream(RNG_DROPOUT, step, (uint64_t)layer,
                                               (uint64_t)n * (uint64_t)C + (uint64_t)c);
            mask[n * C + c] = rng_uniform(seed, stream, 0) < p ? 0.0f : keep;
        }
}

void dropout_forward_cpu(float *out, const float *x, const float *mask, int64_t NC, int64_t S)
{
    for (int64_t q = 0; q < NC; q++)
        for (int64_t i = 0; i < S; i++)
            out[q * S + i] = x[q * S + i] * mask[q];
}

void dropout_backward_cpu(float *dinp, const float *dout, const float *mask, int64_t NC,
                          int64_t S)
{
    for (int64_t q = 0; q < NC; q++)
        for (int64_t i = 0; i < S; i++)
            dinp[q * S + i] += dout[q * S + i] * mask[q];
}

double sum_cpu(const float *x, int64_t n)
{
    /* blocks of 4096 keep rounding low on large tensors; the order is fixed by n alone */
    double total = 0;
    for (int64_t b = 0; b < n; b += 4096) {
        const int64_t e = b + 4096 < n ? b + 4096 : n;
        double s = 0;
        for (int64_t i = b; i < e; i++)
            s += x[i];
        total += s;
    }
    return total;
}
