/* rng.h - counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers:
 * as easy as 1, 2, 3", SC 2011).
 *
 * A draw is a pure function of (seed, stream, n): the n-th 32-bit number of stream `stream` under
 * `seed` is computable directly, without generating the ones before it. The same inline functions
 * compile for the host and for CUDA devices (RNG_FN), so CPU and GPU draw identical numbers.
 *
 * Layout: key = (seed low 32, seed high 32); counter = (n/4 low, n/4 high, stream low, stream high);
 * draw n is word n%4 of the Philox output block. Streams name the purpose and position of the
 * draws (e.g. rng_stream(RNG_DROPOUT, step, layer, sample*C + channel)); see rng_stream().
 * Covered by test/vendor/test_rng.c (Random123 known-answer vectors). */
#ifndef SARC_RNG_H
#define SARC_RNG_H

#include <stdint.h>

#if defined(__CUDACC__)
#define RNG_FN static inline __host__ __device__
#else
#define RNG_FN static inline
#endif

/* Purposes, the first component of a stream id. Add new ones at the end; never renumber. */
enum {
    RNG_GENERIC = 0,
    RNG_INIT = 1,      /* weight initialisation: (RNG_INIT, param index) */
    RNG_DROPOUT = 2,   /* (RNG_DROPOUT, step, layer, sample*C + channel) */
    RNG_PATCH = 3,     /* patch sampling: (RNG_PATCH, epoch, case) */
    RNG_SPLIT = 4,     /* data splits and folds */
    RNG_PHANTOM = 5,   /* synthetic cohort generator */
    RNG_SHUFFLE = 6,   /* minibatch order */
    RNG_STATS = 7      /* bootstrap, CV shuffles, Platt folds */
};

RNG_FN void philox_round(uint32_t ctr[4], const uint32_t key[2])
{
    const uint64_t p0 = (uint64_t)0xD2511F53u * ctr[0];
    const uint64_t p1 = (uint64_t)0xCD9E8D57u * ctr[2];
    const uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    const uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    const uint32_t c0 = hi1 ^ ctr[1] ^ key[0];
    const uint32_t c2 = hi0 ^ ctr[3] ^ key[1];
    ctr[0] = c0;
    ctr[1] = lo1;
    ctr[2] = c2;
    ctr[3] = lo0;
}

/* Philox4x32 with 10 rounds: out = block(ctr, key). */
RNG_FN void philox4x32_10(const uint32_t ctr_in[4], const uint32_t key_in[2], uint32_t out[4])
{
    uint32_t c[4] = {ctr_in[0], ctr_in[1], ctr_in[2], ctr_in[3]};
    uint32_t k[2] = {key_in[0], key_in[1]};
    for (int r = 0; r < 10; r++) {
        if (r) {
            k[0] += 0x9E3779B9u; /* golden ratio */
            k[1] += 0xBB67AE85u; /* sqrt(3) - 1 */
        }
        philox_round(c, k);
    }
    out[0] = c[0];
    out[1] = c[1];
    out[2] = c[2];
    out[3] = c[3];
}

/* The n-th 32-bit draw of (seed, stream). */
RNG_FN uint32_t rng_u32(uint64_t seed, uint64_t stream, uint64_t n)
{
    const uint64_t block = n >> 2;
    const uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32), (uint32_t)stream,
                             (uint32_t)(stream >> 32)};
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    uint32_t out[4];
    philox4x32_10(ctr, key, out);
    return out[n & 3];
}

/* Uniform in [0, 1) with 32 random bits (float: 24 bits, never 1.0f). */
RNG_FN double rng_uniform(uint64_t seed, uint64_t stream, uint64_t n)
{
    return rng_u32(seed, stream, n) * (1.0 / 4294967296.0);
}
RNG_FN float rng_uniformf(uint64_t seed, uint64_t stream, uint64_t n)
{
    return (float)(rng_u32(seed, stream, n) >> 8) * (1.0f / 16777216.0f);
}

/* Uniform in [0, 1) with 53 random bits, from draws 2n and 2n+1. */
RNG_FN double rng_uniform53(uint64_t seed, uint64_t stream, uint64_t n)
{
    const uint64_t a = rng_u32(seed, stream, 2 * n) >> 5;     /* 27 bits */
    const uint64_t b = rng_u32(seed, stream, 2 * n + 1) >> 6; /* 26 bits */
    return (double)(a * 67108864u + b) * (1.0 / 9007199254740992.0);
}

/* Mixes up to four integers into one 64-bit stream id (splitmix64 finaliser chain).
 * rng_stream(RNG_DROPOUT, step, layer, sample * C + c) etc. Deterministic and portable. */
RNG_FN uint64_t rng_mix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
RNG_FN uint64_t rng_stream(uint64_t purpose, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t h = rng_mix64(purpose);
    h = rng_mix64(h ^ a);
    h = rng_mix64(h ^ b);
    h = rng_mix64(h ^ c);
    return h;
}

/* Integer in [0, bound) without modulo bias (Lemire's multiply-shift with rejection); uses draws
 * n, n+1, ... of the stream and stores in *used how many it consumed (usually 1). */
RNG_FN uint32_t rng_below(uint64_t seed, uint64_t stream, uint64_t n, uint32_t bound, uint64_t *used)
{
    uint64_t k = 0;
    for (;;) {
        const uint32_t x = rng_u32(seed, stream, n + k++);
        const uint64_t m = (uint64_t)x * bound;
        const uint32_t l = (uint32_t)m;
        if (l >= bound || l >= (uint32_t)(-bound) % bound) {
            if (used)
                *used = k;
            return (uint32_t)(m >> 32);
        }
    }
}

#if !defined(__CUDACC__)
/* Standard normal N(0,1) from draws 4n..4n+3 (Box-Muller on two 53-bit uniforms; the second
 * value of the pair is discarded so that draw n depends on n alone). Host only: uses libm. */
double rng_normal(uint64_t seed, uint64_t stream, uint64_t n);

/* A sequential cursor over one stream, for code that needs many draws in order. Fully determined
 * by (seed, stream, position); copyable. */
struct rng_cursor {
    uint64_t seed, stream, n;
};
static inline struct rng_cursor rng_cursor_init(uint64_t seed, uint64_t stream)
{
    struct rng_cursor c = {seed, stream, 0};
    return c;
}
static inline double rng_next_uniform(struct rng_cursor *c) { return rng_uniform53(c->seed, c->stream, c->n++); }
static inline double rng_next_normal(struct rng_cursor *c) { return rng_normal(c->seed, c->stream, c->n++); }
static inline uint32_t rng_next_below(struct rng_cursor *c, uint32_t bound)
{
    uint64_t used = 0;
    uint32_t r = rng_below(c->seed, c->stream, c->n * 4, bound, &used);
    c->n++; /* one logical draw; rejection is vanishingly rare and stays within the block range */
    return r;
}
#endif

#endif
