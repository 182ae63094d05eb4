/* sgemm.h - our single-precision matrix multiply on packed panels (the GEMM of the fast
 * convolution path). C (M x N) = A (M x K) . B (K x N), A packed in MR-row panels, B in NR-column
 * panels, a 6x16 register-blocked micro-kernel (AVX2 when the CPU has it) and, on AVX-512 CPUs, a
 * 6x32 one over two adjacent B panels (chosen at run time; the same arithmetic every way: one
 * float multiply then one float add per term, no FMA, terms in a fixed order: k in order within
 * blocks of SGEMM_KC, blocks in order), so every C element is the same float sum on every
 * machine and thread count.
 * Serial: callers parallelise over independent tiles. Covered by test/nn/test_conv3d.c. */
#ifndef SARC_NN_SGEMM_H
#define SARC_NN_SGEMM_H

#include <stdint.h>

#define SGEMM_MR 6
#define SGEMM_NR 16
#define SGEMM_KC 256 /* K block */

/* Floats needed to pack an M x K A, and a K x N B. */
int64_t sgemm_pack_a_size(int M, int64_t K);
int64_t sgemm_pack_b_size(int64_t K, int64_t N);

/* Packs A (M x K, row-major, leading dimension lda) into panels [M/MR][K][MR] (rows past M are
 * zero). */
void sgemm_pack_a(float *dst, const float *a, int64_t lda, int M, int64_t K);
/* Packs B (K x N, row-major, ldb) into panels [N/NR][K][NR] (columns past N are zero). */
void sgemm_pack_b(float *dst, const float *b, int64_t ldb, int64_t K, int64_t N);
/* Packs B given as its transpose bt (N x K, row-major, ldbt): B[k][n] = bt[n][k]. */
void sgemm_pack_bt(float *dst, const float *bt, int64_t ldbt, int64_t K, int64_t N);

/* C (M x N, ldc) = A.B (+ bias[row] if bias) when accumulate is 0; C += A.B when 1. Each
 * element's A.B is summed in float in a fixed order: k in order within blocks of SGEMM_KC,
 * blocks added to C in order, then the bias. */
void sgemm_packed(float *c, int64_t ldc, const float *apack, const float *bpack, int M, int64_t N,
                  int64_t K, const float *bias, int accumulate);

/* Plain reference: C = A.B (row-major, double accumulation), for tests. */
void sgemm_ref(float *c, const float *a, const float *b, int M, int N, int K);

#endif
