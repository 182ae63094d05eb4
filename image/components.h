/* components.h - connected-component labelling (6/18/26 connectivity), largest component,
 * component statistics, hole filling, Otsu's threshold. Masks are uint8, x fastest.
 * Covered by test/image/test_components.c (scipy.ndimage.label goldens). */
#ifndef SARC_COMPONENTS_H
#define SARC_COMPONENTS_H

#include <stdint.h>

#include "vendor/err.h"

/* Labels the non-zero voxels: labels[i] = 0 (background) or 1..*ncomp, numbered in scan order of
 * each component's first voxel (as scipy.ndimage.label). connectivity 6, 18 or 26. */
int components_label(const uint8_t *mask, const int64_t dim[3], int connectivity, int32_t *labels,
                     int32_t *ncomp, struct sarc_err *e);
/* Keeps only the largest component (ties: the lowest label) in place. */
int components_keep_largest(uint8_t *mask, const int64_t dim[3], int connectivity, struct sarc_err *e);
/* Fills background regions not connected to the border (6-connected background). */
int components_fill_holes(uint8_t *mask, const int64_t dim[3], struct sarc_err *e);

/* Otsu's threshold of values (n of them, NaN ignored) with nbins bins (ITK/skimage use 128/256;
 * stated in the implementation). */
double otsu_threshold(const double *x, int64_t n, int nbins);

#endif
