/* fft.h - a complex discrete Fourier transform of any length (radix-2 for powers of two,
 * Bluestein's chirp-z algorithm through a power-of-two convolution otherwise), in double.
 * Used by N4's histogram sharpening (image/n4.c). Covered by test/image/test_fft.c (naive DFT). */
#ifndef SARC_FFT_H
#define SARC_FFT_H

#include <stdint.h>

#include "vendor/err.h"

/* In-place transform of n complex values (re, im interleaved: x[2k], x[2k+1]).
 * sign -1: forward, X[k] = sum_j x[j] exp(-2 pi i jk / n); sign +1: backward, without the 1/n
 * (as vnl_fft_1d's bwd_transform). n >= 1. Fails only when out of memory or n is too large. */
int fft_complex(double *x, int64_t n, int sign, struct sarc_err *e);

#endif
