/* check.h - the CUDA status check of every launcher (C++ only: included by the .cu files of cuda/).
 *
 * CUDA_TRY(e, call) turns a failed CUDA runtime call into SARC_ERR_DEVICE with the call's text,
 * the CUDA error string, and the file and line; it returns from the enclosing function (which
 * returns int). CUDA_LAUNCHED(e) does the same for the last kernel launch. Never exits
 * (llm.c's cudaCheck exits; ours returns, see /work/shared/STYLE.md section 4). */
#ifndef SARC_CUDA_CHECK_H
#define SARC_CUDA_CHECK_H

#include <cuda_runtime.h>

#include "vendor/err.h"

#define CUDA_TRY(e, call)                                                                     \
    do {                                                                                      \
        cudaError_t st_ = (call);                                                             \
        if (st_ != cudaSuccess) {                                                             \
            cudaGetLastError(); /* clear a non-sticky error */                                \
            return err_set((e), SARC_ERR_DEVICE, __FILE__, __LINE__, "CUDA: %s: %s", #call,   \
                           cudaGetErrorString(st_));                                          \
        }                                                                                     \
    } while (0)

#define CUDA_LAUNCHED(e) CUDA_TRY(e, cudaGetLastError())

/* The stream of a context. */
#define CTX_STREAM(ctx) ((ctx) ? (cudaStream_t)(ctx)->stream : (cudaStream_t)0)

/* Grid size for n elements at `threads` per block, capped (kernels loop grid-stride). */
static inline unsigned cuda_grid_for(long long n, int threads)
{
    long long b = (n + threads - 1) / threads;
    if (b < 1)
        b = 1;
    if (b > 65535LL * 16)
        b = 65535LL * 16;
    return (unsigned)b;
}

#endif
