/* extract.h - helpers of radiomics/extract.c that radiomics/diagnostics.c shares, so both take
 * the same decisions. Internal to radiomics/. Covered by test/radiomics/test_diag.c. */
#ifndef SARC_RAD_EXTRACT_H
#define SARC_RAD_EXTRACT_H

#include <stdint.h>

#include "io/volume.h"
#include "radiomics/radiomics.h"

/* 1 when image and mask share a grid within geometryTolerance (SimpleITK's default 1e-6,
 * relative to the largest spacing), as PyRadiomics' checkMask decides; 0 when the mask must be
 * corrected (correctMask) or is refused. */
int rad_geometry_matches(const struct volume *image, const struct volume *mask, const struct rad_settings *s);

/* For an image and a mask on different grids with PyRadiomics' resampling: the label ROI on the
 * mask's own grid (*roi, mask dims, owned by the caller) and whether the output grid follows the
 * mask (*mgrid = 1: resampleImage interpolates) or the image already has the new spacing
 * (*mgrid = 0: the mask is resampled onto the image's grid, nearest neighbour). */
int rad_mask_grid_roi(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                      uint8_t **roi, int *mgrid, struct sarc_err *e);

#endif
