/* mem.cu - device memory, synchronisation, event timing and device facts for the launchers
 * (see cuda_common.h). Every CUDA status is returned as SARC_ERR_DEVICE via CUDA_TRY.
 * Covered by test/cuda/test_cuda_ops.c (needs a GPU). */
#include <stdio.h>

#include "cuda/check.h"
#include "cuda/cuda_common.h"

extern "C" int cuda_mem_alloc(void **p, size_t nbytes, struct sarc_err *e)
{
    *p = NULL;
    if (nbytes == 0)
        return 0;
    CUDA_TRY(e, cudaMalloc(p, nbytes));
    return 0;
}

extern "C" void cuda_mem_free(void *p)
{
    if (p)
        cudaFree(p);
}

extern "C" int cuda_mem_to_device(void *dst_gpu, const void *src, size_t nbytes, struct sarc_err *e)
{
    if (nbytes)
        CUDA_TRY(e, cudaMemcpy(dst_gpu, src, nbytes, cudaMemcpyHostToDevice));
    return 0;
}

extern "C" int cuda_mem_to_host(void *dst, const void *src_gpu, size_t nbytes, struct sarc_err *e)
{
    if (nbytes)
        CUDA_TRY(e, cudaMemcpy(dst, src_gpu, nbytes, cudaMemcpyDeviceToHost));
    return 0;
}

extern "C" int cuda_mem_copy(void *dst_gpu, const void *src_gpu, size_t nbytes, struct sarc_err *e)
{
    if (nbytes)
        CUDA_TRY(e, cudaMemcpy(dst_gpu, src_gpu, nbytes, cudaMemcpyDeviceToDevice));
    return 0;
}

extern "C" int cuda_mem_zero(void *p_gpu, size_t nbytes, struct sarc_err *e)
{
    if (nbytes)
        CUDA_TRY(e, cudaMemset(p_gpu, 0, nbytes));
    return 0;
}

extern "C" int cuda_mem_zero_async(void *p_gpu, size_t nbytes, const struct cuda_ctx *ctx,
                                   struct sarc_err *e)
{
    if (nbytes)
        CUDA_TRY(e, cudaMemsetAsync(p_gpu, 0, nbytes, CTX_STREAM(ctx)));
    return 0;
}

extern "C" int cuda_sync(const struct cuda_ctx *ctx, struct sarc_err *e)
{
    CUDA_TRY(e, cudaStreamSynchronize(CTX_STREAM(ctx)));
    CUDA_TRY(e, cudaGetLastError());
    return 0;
}

extern "C" int cuda_timer_init(struct cuda_timer *t, struct sarc_err *e)
{
    cudaEvent_t a = NULL, b = NULL;
    t->start = t->stop = NULL;
    CUDA_TRY(e, cudaEventCreate(&a));
    if (cudaEventCreate(&b) != cudaSuccess) {
        cudaEventDestroy(a);
        return ERR(e, SARC_ERR_DEVICE, "CUDA: cannot create a timing event");
    }
    t->start = a;
    t->stop = b;
    return 0;
}

extern "C" void cuda_timer_free(struct cuda_timer *t)
{
    if (t->start)
        cudaEventDestroy((cudaEvent_t)t->start);
    if (t->stop)
        cudaEventDestroy((cudaEvent_t)t->stop);
    t->start = t->stop = NULL;
}

extern "C" int cuda_timer_start(struct cuda_timer *t, const struct cuda_ctx *ctx, struct sarc_err *e)
{
    CUDA_TRY(e, cudaEventRecord((cudaEvent_t)t->start, CTX_STREAM(ctx)));
    return 0;
}

extern "C" int cuda_timer_stop(struct cuda_timer *t, const struct cuda_ctx *ctx, double *ms,
                               struct sarc_err *e)
{
    float f = 0;
    CUDA_TRY(e, cudaEventRecord((cudaEvent_t)t->stop, CTX_STREAM(ctx)));
    CUDA_TRY(e, cudaEventSynchronize((cudaEvent_t)t->stop));
    CUDA_TRY(e, cudaEventElapsedTime(&f, (cudaEvent_t)t->start, (cudaEvent_t)t->stop));
    *ms = f;
    return 0;
}

extern "C" int cuda_props_get(struct cuda_props *p, struct sarc_err *e)
{
    cudaDeviceProp d;
    int dev = 0;
    CUDA_TRY(e, cudaGetDevice(&dev));
    CUDA_TRY(e, cudaGetDeviceProperties(&d, dev));
    snprintf(p->name, sizeof p->name, "%s", d.name);
    p->sms = d.multiProcessorCount;
    /* cudaDeviceProp.clockRate is gone in CUDA 13: ask the attribute */
    int clk = 0;
    CUDA_TRY(e, cudaDeviceGetAttribute(&clk, cudaDevAttrClockRate, dev));
    p->clock_khz = clk;
    p->major = d.major;
    p->minor = d.minor;
    p->mem_gib = d.totalGlobalMem / 1073741824.0;
    return 0;
}
