/* fft.c - complex DFT of any length: iterative radix-2 Cooley-Tukey for powers of two, and
 * Bluestein's algorithm (the DFT as a convolution with the chirp exp(-i pi k^2 / n), done with
 * power-of-two FFTs of length >= 2n - 1) for other lengths. Twiddles are computed in double
 * from sin/cos of the exact angle (k^2 taken mod 2n to keep the angle small).
 * Covered by test/image/test_fft.c (against a naive O(n^2) DFT, lengths 1..40, 96, 200, 257, 512). */
#include "image/fft.h"

#include <math.h>
#include <stdlib.h>

static const double FFT_PI = 3.14159265358979323846;

/* Radix-2 in place; n a power of two. */
static void fft_pow2(double *x, int64_t n, int sign)
{
    /* bit reversal permutation */
    for (int64_t i = 1, j = 0; i < n; i++) {
        int64_t bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = x[2 * i];
            x[2 * i] = x[2 * j];
            x[2 * j] = t;
            t = x[2 * i + 1];
            x[2 * i + 1] = x[2 * j + 1];
            x[2 * j + 1] = t;
        }
    }
    for (int64_t len = 2; len <= n; len <<= 1) {
        const int64_t half = len >> 1;
        for (int64_t k = 0; k < half; k++) {
            const double ang = sign * 2.0 * FFT_PI * (double)k / (double)len;
            const double wr = cos(ang), wi = sin(ang);
            for (int64_t s = 0; s < n; s += len) {
                double *a = x + 2 * (s + k), *b = x + 2 * (s + k + half);
                const double tr = b[0] * wr - b[1] * wi, ti = b[0] * wi + b[1] * wr;
                b[0] = a[0] - tr;
                b[1] = a[1] - ti;
                a[0] += tr;
                a[1] += ti;
            }
        }
    }
}

int fft_complex(double *x, int64_t n, int sign, struct sarc_err *e)
{
    if (n < 1 || n > ((int64_t)1 << 28))
        return ERR(e, SARC_ERR_RANGE, "FFT length %lld, expected 1..2^28", (long long)n);
    sign = sign < 0 ? -1 : 1;
    if ((n & (n - 1)) == 0) {
        fft_pow2(x, n, sign);
        return 0;
    }
    int64_t m = 1;
    while (m < 2 * n - 1)
        m <<= 1;
    /* chirp w[k] = exp(sign i pi k^2 / n); a = x * w, b = conj(w) (symmetric), X = w * (a conv b) */
    double *w = malloc(sizeof(double) * 2 * (size_t)n);
    double *a = calloc(2 * (size_t)m, sizeof(double));
    double *b = calloc(2 * (size_t)m, sizeof(double));
    if (!w || !a || !b) {
        free(w), free(a), free(b);
        return ERR(e, SARC_ERR_NOMEM, "FFT of length %lld: out of memory", (long long)n);
    }
    for (int64_t k = 0; k < n; k++) {
        const int64_t k2 = (int64_t)(((unsigned long long)k * (unsigned long long)k) % (unsigned long long)(2 * n));
        const double ang = sign * FFT_PI * (double)k2 / (double)n;
        w[2 * k] = cos(ang);
        w[2 * k + 1] = sin(ang);
    }
    for (int64_t k = 0; k < n; k++) {
        a[2 * k] = x[2 * k] * w[2 * k] - x[2 * k + 1] * w[2 * k + 1];
        a[2 * k + 1] = x[2 * k] * w[2 * k + 1] + x[2 * k + 1] * w[2 * k];
    }
    b[0] = w[0];
    b[1] = -w[1];
    for (int64_t k = 1; k < n; k++) {
        b[2 * k] = b[2 * (m - k)] = w[2 * k];
        b[2 * k + 1] = b[2 * (m - k) + 1] = -w[2 * k + 1];
    }
    fft_pow2(a, m, -1);
    fft_pow2(b, m, -1);
    for (int64_t k = 0; k < m; k++) {
        const double re = a[2 * k] * b[2 * k] - a[2 * k + 1] * b[2 * k + 1];
        const double im = a[2 * k] * b[2 * k + 1] + a[2 * k + 1] * b[2 * k];
        a[2 * k] = re;
        a[2 * k + 1] = im;
    }
    fft_pow2(a, m, 1);
    const double inv = 1.0 / (double)m;
    for (int64_t k = 0; k < n; k++) {
        const double re = a[2 * k] * inv, im = a[2 * k + 1] * inv;
        x[2 * k] = re * w[2 * k] - im * w[2 * k + 1];
        x[2 * k + 1] = re * w[2 * k + 1] + im * w[2 * k];
    }
    free(w), free(a), free(b);
    return 0;
}
