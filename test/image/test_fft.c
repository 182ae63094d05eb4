/* test_fft.c - image/fft.c against a naive O(n^2) DFT in long double, for powers of two and
 * other lengths (Bluestein), forward and backward (unnormalised). */
#include <math.h>
#include <stdlib.h>

#include "image/fft.h"
#include "test/harness.h"
#include "test/image/image_testutil.h"

static void fft_check_len(int64_t n, int sign)
{
    double *x = malloc(sizeof(double) * 2 * (size_t)n), *y = malloc(sizeof(double) * 2 * (size_t)n);
    for (int64_t k = 0; k < 2 * n; k++)
        x[k] = y[k] = img_hash01((uint64_t)k, (uint32_t)n) - 0.5;
    struct sarc_err e = {0};
    REQUIRE_OK(fft_complex(y, n, sign, &e), e);
    double maxerr = 0, scale = 0;
    for (int64_t k = 0; k < n; k++) {
        long double re = 0, im = 0;
        for (int64_t j = 0; j < n; j++) {
            const long double ang = sign * 2.0L * 3.14159265358979323846264338327950288L * (long double)((j * k) % n) / (long double)n;
            re += x[2 * j] * cosl(ang) - x[2 * j + 1] * sinl(ang);
            im += x[2 * j] * sinl(ang) + x[2 * j + 1] * cosl(ang);
        }
        maxerr = fmax(maxerr, fabs((double)re - y[2 * k]) + fabs((double)im - y[2 * k + 1]));
        scale = fmax(scale, fabs((double)re) + fabs((double)im));
    }
    /* rounding grows like log2(n) eps * scale; 1e-12 relative leaves a wide margin */
    CHECK_MSG(maxerr <= 1e-12 * (1 + scale), "n = %lld sign %d: max error %g (scale %g)", (long long)n, sign, maxerr, scale);
    free(x), free(y);
}

TEST(image_fft_any_length)
{
    for (int64_t n = 1; n <= 40; n++)
        fft_check_len(n, -1);
    const int64_t more[4] = {200, 512, 96, 257};
    for (int i = 0; i < 4; i++) {
        fft_check_len(more[i], -1);
        fft_check_len(more[i], 1);
    }
    struct sarc_err e = {0};
    double z[2] = {0, 0};
    CHECK(fft_complex(z, 0, -1, &e) == SARC_ERR_RANGE);
}
