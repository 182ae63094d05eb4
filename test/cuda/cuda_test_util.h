/* cuda_test_util.h - helpers shared by the test/cuda tests: seeded random buffers and the
 * element-wise + normalised-MSE comparison of STYLE section 3 (worst element with its
 * (n, c, d, h, w) index, first mismatches with both values). Static functions, header only. */
#ifndef SARC_TEST_CUDA_UTIL_H
#define SARC_TEST_CUDA_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "test/harness.h"
#include "vendor/rng.h"

/* n floats uniform in [-scale, scale) from stream `stream` of seed 10 (malloc'ed). */
static inline float *ct_rand(int64_t n, uint64_t stream, double scale)
{
    float *x = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (!x)
        return NULL;
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)((2 * rng_uniform53(10, stream, (uint64_t)i) - 1) * scale);
    return x;
}

/* Passes when |a - ref| <= atol + rtol * |ref| everywhere and the normalised MSE
 * sum (a-ref)^2 / sum ref^2 is <= rtol^2. dims (5 extents) or NULL names the worst index.
 * Returns the largest |a - ref| / (atol + |ref|) seen (for the report), -1 on failure. */
static inline double ct_compare(const char *file, int line, const char *what, const float *a,
                                const float *ref, int64_t n, double rtol, double atol,
                                const int *dims)
{
    int64_t worst = -1, bad = 0;
    double werr = 0, se = 0, sr = 0, maxrel = 0;
    for (int64_t i = 0; i < n; i++) {
        const double d = fabs((double)a[i] - ref[i]);
        se += d * d;
        sr += (double)ref[i] * ref[i];
        const double rel = d / (atol + fabs((double)ref[i]));
        if (rel > maxrel)
            maxrel = rel;
        if (!(d <= atol + rtol * fabs((double)ref[i]))) {
            if (bad < 3)
                fprintf(stderr, "    %s: mismatch at %lld: %.9g vs reference %.9g\n", what,
                        (long long)i, (double)a[i], (double)ref[i]);
            bad++;
            if (!(d <= werr)) {
                werr = d;
                worst = i;
            }
        }
    }
    const double nmse = sr > 0 ? se / sr : se;
    if (bad || !(nmse <= rtol * rtol)) {
        char idx[128] = "";
        if (dims && worst >= 0) {
            int64_t q = worst, c5[5];
            for (int k = 4; k >= 0; k--) {
                c5[k] = q % dims[k];
                q /= dims[k];
            }
            snprintf(idx, sizeof idx, " (n %lld, c %lld, d %lld, h %lld, w %lld)",
                     (long long)c5[0], (long long)c5[1], (long long)c5[2], (long long)c5[3],
                     (long long)c5[4]);
        }
        test_fail_at(file, line, "%s: %lld of %lld elements off (rtol %g, atol %g), nmse %.3g; "
                     "worst at %lld%s: %.9g vs %.9g", what, (long long)bad, (long long)n, rtol,
                     atol, nmse, (long long)worst, idx, worst >= 0 ? (double)a[worst] : 0.0,
                     worst >= 0 ? (double)ref[worst] : 0.0);
        return -1;
    }
    return maxrel;
}
#define CT_COMPARE(what, a, ref, n, rtol, atol, dims)                                          \
    ct_compare(__FILE__, __LINE__, what, a, ref, n, rtol, atol, dims)

#endif
