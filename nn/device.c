/* device.c - see device.h. */
#include "nn/device.h"

#include <stdio.h>

#ifdef SARC_CUDA
#include "cuda/device.h"
#endif

int device_cuda_compiled(void)
{
#ifdef SARC_CUDA
    return 1;
#else
    return 0;
#endif
}

int device_cuda_available(char *name, size_t size)
{
#ifdef SARC_CUDA
    return cuda_device_query(name, size);
#else
    snprintf(name, size, "built without CUDA");
    return 0;
#endif
}
