/* device.cu - CUDA device discovery: the CUDA runtime's answer, turned into a yes/no and a
 * readable name. Without a driver or a GPU, cudaGetDeviceCount fails and we say why. */
#include <stdio.h>

#include <cuda_runtime.h>

#include "cuda/device.h"

extern "C" int cuda_device_query(char *name, size_t size)
{
    int n = 0;
    cudaError_t st = cudaGetDeviceCount(&n);
    if (st != cudaSuccess || n == 0) {
        snprintf(name, size, "no CUDA GPU (%s)", st != cudaSuccess ? cudaGetErrorString(st) : "0 devices");
        cudaGetLastError(); /* clear the sticky error */
        return 0;
    }
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) {
        snprintf(name, size, "no CUDA GPU (cannot query device 0)");
        return 0;
    }
    snprintf(name, size, "cuda:0 %s (sm_%d%d, %.0f GiB)", p.name, p.major, p.minor, p.totalGlobalMem / 1073741824.0);
    return 1;
}
