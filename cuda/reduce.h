/* reduce.h - the deterministic two-pass reduction of cuda/ (C++/CUDA only; included by
 * cuda/eltwise.cu and cuda/loss.cu).
 *
 * Pass 1: block b sums the terms of elements [b*REDUCE_CHUNK, (b+1)*REDUCE_CHUNK) (cuda/index.h):
 * thread t takes elements t, t+256, ... of the chunk in double, then a fixed shared-memory tree
 * combines the 256 thread sums; the block writes its NV partials to its own slot.
 * Pass 2: one block combines the partials the same way (thread t: slots t, t+256, ...; tree).
 * Chunk boundaries depend on n alone, there are no atomics: same bits on every run and every GPU
 * of the same architecture. Workspace: reduce_chunks(n) * NV doubles.
 * Covered by test/cuda/test_cuda_ops.c (needs a GPU). */
#ifndef SARC_CUDA_REDUCE_H
#define SARC_CUDA_REDUCE_H

#if defined(__CUDACC__)

#include "cuda/index.h"

/* sum of NV values over the block: s[v] of every thread -> red[v][0]; all threads see it */
template <int NV>
__device__ inline void block_tree(double (*red)[REDUCE_THREADS], const double *s)
{
    for (int v = 0; v < NV; v++)
        red[v][threadIdx.x] = s[v];
    __syncthreads();
    for (int h = REDUCE_THREADS / 2; h > 0; h /= 2) {
        if ((int)threadIdx.x < h)
            for (int v = 0; v < NV; v++)
                red[v][threadIdx.x] += red[v][threadIdx.x + h];
        __syncthreads();
    }
}

/* F: __device__ void operator()(int64_t i, double *terms) adds element i's NV terms. */
template <int NV, class F>
__global__ void __launch_bounds__(REDUCE_THREADS)
reduce_pass1_kernel(F f, int64_t n, double *__restrict__ partial)
{
    __shared__ double red[NV][REDUCE_THREADS];
    double s[NV];
    for (int v = 0; v < NV; v++)
        s[v] = 0;
    const int64_t beg = (int64_t)blockIdx.x * REDUCE_CHUNK;
    const int64_t end = beg + REDUCE_CHUNK < n ? beg + REDUCE_CHUNK : n;
    for (int64_t i = beg + threadIdx.x; i < end; i += REDUCE_THREADS)
        f(i, s);
    block_tree<NV>(red, s);
    if (threadIdx.x == 0)
        for (int v = 0; v < NV; v++)
            partial[(int64_t)blockIdx.x * NV + v] = red[v][0];
}

/* G: __device__ void operator()(const double *total) finishes (writes the op's outputs). */
template <int NV, class G>
__global__ void __launch_bounds__(REDUCE_THREADS)
reduce_pass2_kernel(G fin, const double *__restrict__ partial, int64_t nchunks)
{
    __shared__ double red[NV][REDUCE_THREADS];
    double s[NV];
    for (int v = 0; v < NV; v++)
        s[v] = 0;
    for (int64_t c = threadIdx.x; c < nchunks; c += REDUCE_THREADS)
        for (int v = 0; v < NV; v++)
            s[v] += partial[c * NV + v];
    block_tree<NV>(red, s);
    if (threadIdx.x == 0) {
        double t[NV];
        for (int v = 0; v < NV; v++)
            t[v] = red[v][0];
        fin(t);
    }
}

/* Runs both passes on stream st; partial must hold reduce_chunks(n) * NV doubles. */
template <int NV, class F, class G>
static inline cudaError_t reduce_launch(F f, G fin, int64_t n, double *partial, cudaStream_t st)
{
    const int64_t nch = reduce_chunks(n);
    reduce_pass1_kernel<NV, F><<<(unsigned)nch, REDUCE_THREADS, 0, st>>>(f, n, partial);
    cudaError_t r = cudaGetLastError();
    if (r != cudaSuccess)
        return r;
    reduce_pass2_kernel<NV, G><<<1, REDUCE_THREADS, 0, st>>>(fin, partial, nch);
    return cudaGetLastError();
}

#endif
#endif
