/* morph.h - binary morphology with structuring elements in millimetres on anisotropic grids,
 * via an exact anisotropic Euclidean distance transform (Felzenszwalb-Huttenlocher / Maurer
 * lower envelope per axis with the physical spacing).
 *
 * Masks are uint8 (0 = outside, non-zero = inside), x fastest: index i + nx*(j + ny*k).
 * Contract (sarc morph): a voxel is in the dilation iff some mask voxel lies within radius_mm of
 * it (Euclidean, physical spacing, inclusive) - exactly scipy's
 * distance_transform_edt(~mask, sampling=spacing) <= radius; erosion is the exact dual (a voxel
 * stays iff every image voxel within radius_mm is in the mask; voxels outside the image do not
 * count, so the image border does not erode); opening = erode then dilate, closing = dilate then
 * erode. Covered by test/image/test_morph.c (SciPy goldens). */
#ifndef SARC_MORPH_H
#define SARC_MORPH_H

#include <stdint.h>

#include "vendor/err.h"

/* Squared Euclidean distance (mm^2) from every voxel to the nearest voxel where `feature` is
 * non-zero; +inf if there is none. dist2 has nx*ny*nz doubles. Multi-threaded, deterministic. */
int edt_sq(const uint8_t *feature, const int64_t dim[3], const double spacing[3], double *dist2, struct sarc_err *e);

enum morph_op { MORPH_DILATE, MORPH_ERODE, MORPH_OPEN, MORPH_CLOSE };

/* out may equal in. */
int morph_apply(enum morph_op op, const uint8_t *in, const int64_t dim[3], const double spacing[3],
                double radius_mm, uint8_t *out, struct sarc_err *e);

#endif
