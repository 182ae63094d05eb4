/* rresample.h - PyRadiomics' resampling (resampledPixelSpacing, interpolator, padDistance) and
 * correctMask, on the arrays of radiomics/extract.c. Internal to radiomics/.
 * Covered by test/radiomics/test_features.c (brain1_resampling). */
#ifndef SARC_RRESAMPLE_H
#define SARC_RRESAMPLE_H

#include <stdint.h>

#include "io/volume.h"
#include "radiomics/radiomics.h"

struct rresample_out {
    double *img;    /* (nz, ny, nx), owned by the caller after success */
    uint8_t *roi;
    int64_t n[3];
    double sp[3];
};

/* Resamples image (values img, n voxels x y z, spacing sp, source storage `type`; is_int: cast
 * back to that integer type by truncation) and the ROI as PyRadiomics: grid aligned to the corner
 * of the first voxel, cropped to the ROI box +- padDistance, B-spline (mirror, prefilter over the
 * whole image) / linear / nearest for the image, round-half-up nearest for the ROI. */
int rresample_case(const double *img, const uint8_t *roi, const int64_t n[3], const double sp[3],
                   const double affine[4][4], enum vtype type, int is_int, const struct rad_settings *s,
                   struct rresample_out *o, struct sarc_err *e);

/* correctMask: nearest-neighbour resampling of the mask onto the image's grid (through the
 * affines); voxels outside the mask's extent get 0. out is allocated like image. */
int rresample_mask_to_grid(const struct volume *mask, const struct volume *image, int label,
                           struct volume *out, struct sarc_err *e);

#endif
