/* cuda_common.h - what every CUDA launcher of sarc shares, seen from C: the launch context
 * (stream, scratch workspace, TF32 switch) and device memory helpers that return our error
 * codes. The CUDA runtime types stay out of C files: a stream is carried as void *.
 *
 * Conventions of every launcher declared in cuda/ (issue 10):
 *  - pointers ending in _gpu are device pointers; shapes are given exactly as to the CPU
 *    reference of the same op (nn/<op>.h), in the layout (N, C, D, H, W);
 *  - "=" or "+=" is stated per output, as in the CPU contract;
 *  - the launch is asynchronous on ctx->stream; a CUDA status other than success is turned into
 *    SARC_ERR_DEVICE with the file and line of the failed call (never exit);
 *  - nothing is allocated inside a launcher: scratch comes from ctx->ws (ws_bytes), sized by the
 *    op's *_workspace_bytes() function; too small a workspace is SARC_ERR_ARG;
 *  - no floating-point atomics: every reduction has fixed chunks (set by the problem size only)
 *    combined in index order, so a result is bit-identical run to run on the same GPU.
 * Implemented in cuda/mem.cu. Covered by test/cuda/test_cuda_ops.c (needs a GPU) and
 * test/gpu/check.sh. */
#ifndef SARC_CUDA_COMMON_H
#define SARC_CUDA_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "vendor/err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cuda_ctx {
    void *stream;     /* cudaStream_t; NULL = the legacy default stream */
    void *ws;         /* device scratch (may be NULL when ws_bytes is 0) */
    size_t ws_bytes;
    int tf32;         /* 1: convolutions use TF32 tensor cores (mma via WMMA); 0: exact FP32 */
};

/* Device memory: *p receives nbytes of device memory (uninitialised) or NULL on failure. */
int cuda_mem_alloc(void **p, size_t nbytes, struct sarc_err *e);
void cuda_mem_free(void *p);
/* Synchronous copies host->device, device->host, device->device (on the legacy stream). */
int cuda_mem_to_device(void *dst_gpu, const void *src, size_t nbytes, struct sarc_err *e);
int cuda_mem_to_host(void *dst, const void *src_gpu, size_t nbytes, struct sarc_err *e);
int cuda_mem_copy(void *dst_gpu, const void *src_gpu, size_t nbytes, struct sarc_err *e);
int cuda_mem_zero(void *p_gpu, size_t nbytes, struct sarc_err *e);
/* Zeroes nbytes at p_gpu on ctx's stream (asynchronous). */
int cuda_mem_zero_async(void *p_gpu, size_t nbytes, const struct cuda_ctx *ctx, struct sarc_err *e);
/* Waits for all work on ctx's stream; reports any asynchronous kernel error. */
int cuda_sync(const struct cuda_ctx *ctx, struct sarc_err *e);

/* Timing with CUDA events (benchmarks): cuda_timer_start records, cuda_timer_stop records,
 * waits and returns milliseconds in *ms. */
struct cuda_timer {
    void *start, *stop; /* cudaEvent_t */
};
int cuda_timer_init(struct cuda_timer *t, struct sarc_err *e);
void cuda_timer_free(struct cuda_timer *t);
int cuda_timer_start(struct cuda_timer *t, const struct cuda_ctx *ctx, struct sarc_err *e);
int cuda_timer_stop(struct cuda_timer *t, const struct cuda_ctx *ctx, double *ms,
                    struct sarc_err *e);

/* Device facts for the benchmark's bound: name, SM count, clock (kHz), compute capability.
 * Returns 0 and fills the fields, or SARC_ERR_DEVICE. */
struct cuda_props {
    char name[256];
    int sms, clock_khz, major, minor;
    double mem_gib;
};
int cuda_props_get(struct cuda_props *p, struct sarc_err *e);

#ifdef __cplusplus
}
#endif

#endif
