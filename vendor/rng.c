/* rng.c - host-only parts of rng.h. */
#include "vendor/rng.h"

#include <math.h>

double rng_normal(uint64_t seed, uint64_t stream, uint64_t n)
{
    /* draws 4n..4n+3 form two 53-bit uniforms (rng_uniform53 uses 2m, 2m+1 for m = 2n, 2n+1) */
    double u1 = rng_uniform53(seed, stream, 2 * n);
    const double u2 = rng_uniform53(seed, stream, 2 * n + 1);
    if (u1 <= 0.0)
        u1 = 1.0 / 9007199254740992.0; /* log(0) guard: the smallest positive 53-bit uniform */
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925286766559 * u2);
}
