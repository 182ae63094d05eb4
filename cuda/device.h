/* device.h - CUDA device discovery (C linkage; compiled only when nvcc is present). */
#ifndef SARC_CUDA_DEVICE_H
#define SARC_CUDA_DEVICE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 if a CUDA device is usable; writes its name and compute capability, or the reason there is
 * none (no driver, no device), into name. Never exits. */
int cuda_device_query(char *name, size_t size);

#ifdef __cplusplus
}
#endif

#endif
