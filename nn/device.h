/* device.h - which compute devices this build and this machine have. The CUDA side lives in
 * cuda/device.cu; CPU-only builds answer "not compiled in". Covered by test/nn/test_device.c. */
#ifndef SARC_DEVICE_H
#define SARC_DEVICE_H

#include <stddef.h>

/* 1 if the CUDA sources were compiled in. */
int device_cuda_compiled(void);
/* 1 if a usable CUDA GPU is present; name receives its name (or why there is none). */
int device_cuda_available(char *name, size_t size);

#endif
