/* sgemm.c - packed single-precision GEMM with a 6x16 register-blocked micro-kernel (see
 * sgemm.h). The kernel uses GCC/Clang vector extensions (8 floats); an AVX2 copy of the same
 * source is chosen at run time when the CPU has AVX2, and on AVX-512 CPUs 16-float kernels
 * (6x32 over two B panels, 6x16 for a last odd panel). Contraction into FMA is off (gcc's ISO
 * mode default; the pragma below for clang), so all copies compute identical bits (checked
 * generic = AVX2 = AVX-512 on edge shapes). The AVX-512 kernels took the transposed 112->48
 * layer of test/bench/conv3d.c from ~145 to ~210-260 GFLOP/s at 2 threads (AMD EPYC Zen 5):
 * that layer was bound by the 8-wide kernel (about 85% of its mul+add peak), not data movement.
 * Covered by test/nn/test_conv3d.c (nn_sgemm_vs_reference). */
#include "nn/sgemm.h"

#include <string.h>

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

typedef float v8sf __attribute__((vector_size(32)));

int64_t sgemm_pack_a_size(int M, int64_t K)
{
    return (int64_t)((M + SGEMM_MR - 1) / SGEMM_MR) * SGEMM_MR * K;
}

int64_t sgemm_pack_b_size(int64_t K, int64_t N)
{
    return (N + SGEMM_NR - 1) / SGEMM_NR * SGEMM_NR * K;
}

void sgemm_pack_a(float *dst, const float *a, int64_t lda, int M, int64_t K)
{
    for (int m0 = 0; m0 < M; m0 += SGEMM_MR) {
        const int mr = M - m0 < SGEMM_MR ? M - m0 : SGEMM_MR;
        for (int64_t k = 0; k < K; k++, dst += SGEMM_MR) {
            int q = 0;
            for (; q < mr; q++)
                dst[q] = a[(int64_t)(m0 + q) * lda + k];
            for (; q < SGEMM_MR; q++)
                dst[q] = 0;
        }
    }
}

void sgemm_pack_b(float *dst, const float *b, int64_t ldb, int64_t K, int64_t N)
{
    for (int64_t n0 = 0; n0 < N; n0 += SGEMM_NR) {
        const int64_t nr = N - n0 < SGEMM_NR ? N - n0 : SGEMM_NR;
        for (int64_t k = 0; k < K; k++, dst += SGEMM_NR) {
            const float *src = b + k * ldb + n0;
            if (nr == SGEMM_NR) {
                memcpy(dst, src, sizeof(float) * SGEMM_NR);
            } else {
                memcpy(dst, src, sizeof(float) * (size_t)nr);
                memset(dst + nr, 0, sizeof(float) * (size_t)(SGEMM_NR - nr));
            }
        }
    }
}

void sgemm_pack_bt(float *dst, const float *bt, int64_t ldbt, int64_t K, int64_t N)
{
    for (int64_t n0 = 0; n0 < N; n0 += SGEMM_NR) {
        const int64_t nr = N - n0 < SGEMM_NR ? N - n0 : SGEMM_NR;
        float *panel = dst + n0 * K; /* (n0 / NR) * K * NR */
        if (nr < SGEMM_NR)
            memset(panel, 0, sizeof(float) * (size_t)(K * SGEMM_NR));
        for (int64_t q = 0; q < nr; q++) {
            const float *src = bt + (n0 + q) * ldbt;
            for (int64_t k = 0; k < K; k++)
                panel[k * SGEMM_NR + q] = src[k];
        }
    }
}

/* acc[MR][NR] = sum_k a[k][0..MR) x b[k][0..NR), terms added in k order from 0. */
#define KERNEL_BODY                                                                          \
    v8sf c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0};                   \
    v8sf c30 = {0}, c31 = {0}, c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0};                   \
    for (int64_t k = 0; k < K; k++, a += SGEMM_MR, b += SGEMM_NR) {                          \
        v8sf b0, b1;                                                                         \
        memcpy(&b0, b, sizeof b0);                                                           \
        memcpy(&b1, b + 8, sizeof b1);                                                       \
        v8sf t;                                                                              \
        t = b0 * a[0]; c00 += t; t = b1 * a[0]; c01 += t;                                    \
        t = b0 * a[1]; c10 += t; t = b1 * a[1]; c11 += t;                                    \
        t = b0 * a[2]; c20 += t; t = b1 * a[2]; c21 += t;                                    \
        t = b0 * a[3]; c30 += t; t = b1 * a[3]; c31 += t;                                    \
        t = b0 * a[4]; c40 += t; t = b1 * a[4]; c41 += t;                                    \
        t = b0 * a[5]; c50 += t; t = b1 * a[5]; c51 += t;                                    \
    }                                                                                        \
    memcpy(acc + 0, &c00, 32); memcpy(acc + 8, &c01, 32);                                    \
    memcpy(acc + 16, &c10, 32); memcpy(acc + 24, &c11, 32);                                  \
    memcpy(acc + 32, &c20, 32); memcpy(acc + 40, &c21, 32);                                  \
    memcpy(acc + 48, &c30, 32); memcpy(acc + 56, &c31, 32);                                  \
    memcpy(acc + 64, &c40, 32); memcpy(acc + 72, &c41, 32);                                  \
    memcpy(acc + 80, &c50, 32); memcpy(acc + 88, &c51, 32);

static void kernel_generic(const float *a, const float *b, int64_t K, float *acc)
{
    KERNEL_BODY
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2"))) static void kernel_avx2(const float *a, const float *b,
                                                        int64_t K, float *acc)
{
    KERNEL_BODY
}
#define HAVE_AVX2_KERNEL 1
#endif

typedef void (*kernel_fn)(const float *, const float *, int64_t, float *);

/* The wide kernel: a 6 x 32 block from one A panel and two adjacent B panels (b, b + bstride),
 * acc[MR][32]. Each element is the same float sum as the 6x16 kernel's (one multiply then one
 * add per term, k in order), only more of them are computed at once. */
typedef void (*kernel2_fn)(const float *, const float *, int64_t, int64_t, float *);

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
typedef float v16sf __attribute__((vector_size(64)));

/* AVX-512 (16 floats a vector): 12 accumulators, 2 B loads and 6 broadcasts per k, enough
 * independent add chains to keep both multiply and both add pipes busy */
__attribute__((target("avx512f"))) static void kernel2_avx512(const float *a, const float *b,
                                                             int64_t bstride, int64_t K,
                                                             float *acc)
{
    const float *b2 = b + bstride;
    v16sf c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0};
    v16sf c30 = {0}, c31 = {0}, c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0};
    for (int64_t k = 0; k < K; k++, a += SGEMM_MR, b += SGEMM_NR, b2 += SGEMM_NR) {
        v16sf b0, b1, t;
        memcpy(&b0, b, sizeof b0);
        memcpy(&b1, b2, sizeof b1);
        t = b0 * a[0]; c00 += t; t = b1 * a[0]; c01 += t;
        t = b0 * a[1]; c10 += t; t = b1 * a[1]; c11 += t;
        t = b0 * a[2]; c20 += t; t = b1 * a[2]; c21 += t;
        t = b0 * a[3]; c30 += t; t = b1 * a[3]; c31 += t;
        t = b0 * a[4]; c40 += t; t = b1 * a[4]; c41 += t;
        t = b0 * a[5]; c50 += t; t = b1 * a[5]; c51 += t;
    }
    memcpy(acc + 0, &c00, 64); memcpy(acc + 16, &c01, 64);
    memcpy(acc + 32, &c10, 64); memcpy(acc + 48, &c11, 64);
    memcpy(acc + 64, &c20, 64); memcpy(acc + 80, &c21, 64);
    memcpy(acc + 96, &c30, 64); memcpy(acc + 112, &c31, 64);
    memcpy(acc + 128, &c40, 64); memcpy(acc + 144, &c41, 64);
    memcpy(acc + 160, &c50, 64); memcpy(acc + 176, &c51, 64);
}

/* AVX-512 6x16 (the last, odd B panel): one vector a row */
__attribute__((target("avx512f"))) static void kernel_avx512(const float *a, const float *b,
                                                            int64_t K, float *acc)
{
    v16sf c0 = {0}, c1 = {0}, c2 = {0}, c3 = {0}, c4 = {0}, c5 = {0};
    for (int64_t k = 0; k < K; k++, a += SGEMM_MR, b += SGEMM_NR) {
        v16sf b0, t;
        memcpy(&b0, b, sizeof b0);
        t = b0 * a[0]; c0 += t;
        t = b0 * a[1]; c1 += t;
        t = b0 * a[2]; c2 += t;
        t = b0 * a[3]; c3 += t;
        t = b0 * a[4]; c4 += t;
        t = b0 * a[5]; c5 += t;
    }
    memcpy(acc + 0, &c0, 64); memcpy(acc + 16, &c1, 64); memcpy(acc + 32, &c2, 64);
    memcpy(acc + 48, &c3, 64); memcpy(acc + 64, &c4, 64); memcpy(acc + 80, &c5, 64);
}
#define HAVE_AVX512_KERNEL 1
#endif

static kernel_fn kernel_pick(kernel2_fn *wide)
{
    *wide = NULL;
#if defined(HAVE_AVX2_KERNEL) || defined(HAVE_AVX512_KERNEL)
    __builtin_cpu_init();
#endif
#ifdef HAVE_AVX512_KERNEL
    if (__builtin_cpu_supports("avx512f")) {
        *wide = kernel2_avx512;
        return kernel_avx512;
    }
#endif
#ifdef HAVE_AVX2_KERNEL
    if (__builtin_cpu_supports("avx2"))
        return kernel_avx2;
#endif
    return kernel_generic;
}

/* dst[j] (+)= src[j] (+ b), j < n, 8 lanes at a time (the compiler's -O2 does not vectorise
 * a loop of unknown length); each element is the same float operations as the scalar loop. */
static void row_store(float *restrict dst, const float *restrict src, int64_t n, int add,
                      int has_b, float b)
{
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        v8sf v, d;
        memcpy(&v, src + j, sizeof v);
        if (add) {
            memcpy(&d, dst + j, sizeof d);
            v = d + v;
        }
        if (has_b)
            v = v + b;
        memcpy(dst + j, &v, sizeof v);
    }
    for (; j < n; j++) {
        float v = add ? dst[j] + src[j] : src[j];
        if (has_b)
            v = v + b;
        dst[j] = v;
    }
}

/* C rows m0 .. m0+mr, columns n0 .. n0+nr from acc (row stride as): = or += then bias. */
static void c_update(float *c, int64_t ldc, const float *acc, int as, int m0, int mr, int64_t n0,
                     int64_t nr, int add, const float *bias)
{
    for (int q = 0; q < mr; q++)
        row_store(c + (int64_t)(m0 + q) * ldc + n0, acc + q * as, nr, add, bias != NULL,
                  bias ? bias[m0 + q] : 0.0f);
}

void sgemm_packed(float *c, int64_t ldc, const float *apack, const float *bpack, int M, int64_t N,
                  int64_t K, const float *bias, int accumulate)
{
    kernel2_fn wide;
    const kernel_fn kern = kernel_pick(&wide);
    float acc[SGEMM_MR * 2 * SGEMM_NR];
    /* K in blocks of SGEMM_KC so that a B block (KC x 16 or 32) stays in L1 across the rows of
     * A and an A block (M x KC) in L2 across the columns of B; each C element is
     * ((block0 + block1) + ...) + bias, a fixed order whichever kernel computed it */
    for (int64_t k0 = 0; k0 < K; k0 += SGEMM_KC) {
        const int64_t kc = K - k0 < SGEMM_KC ? K - k0 : SGEMM_KC;
        const int add = accumulate || k0 > 0;
        const int last = k0 + kc >= K;
        const float *bq = last && !accumulate ? bias : NULL;
        for (int64_t n0 = 0; n0 < N;) {
            const int two = wide && N - n0 > SGEMM_NR;
            const int64_t w = two ? 2 * SGEMM_NR : SGEMM_NR;
            const int64_t nr = N - n0 < w ? N - n0 : w;
            const float *bp = bpack + n0 * K + k0 * SGEMM_NR;
            for (int m0 = 0; m0 < M; m0 += SGEMM_MR) {
                const int mr = M - m0 < SGEMM_MR ? M - m0 : SGEMM_MR;
                const float *ap = apack + (int64_t)m0 * K + k0 * SGEMM_MR;
                if (two)
                    wide(ap, bp, K * SGEMM_NR, kc, acc);
                else
                    kern(ap, bp, kc, acc);
                c_update(c, ldc, acc, (int)w, m0, mr, n0, nr, add, bq);
            }
            n0 += w;
        }
    }
}

void sgemm_ref(float *c, const float *a, const float *b, int M, int N, int K)
{
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)a[(int64_t)m * K + k] * b[(int64_t)k * N + n];
            c[(int64_t)m * N + n] = (float)s;
        }
}
