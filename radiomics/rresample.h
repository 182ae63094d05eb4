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

/* The output grid of rresample_case: size voxels along x, y, z with spacing t; output voxel m
 * lies at continuous index origin[a] + step[a] * m[a] of the input grid (step = t / sp). same: no
 * interpolation needed (spacing unchanged), the output is a crop [lo, lo + size) of the input. */
struct rresample_grid {
    int64_t size[3], lo[3];
    double t[3], origin[3], step[3];
    int same;
};

/* The grid for roi (n voxels x y z, spacing sp) under s: PyRadiomics' (ROI box +- padDistance,
 * corner-aligned) or, with s->ibsi, IBSI's (whole image, centres aligned, n_b = ceil(n_a s_a /
 * s_b)). Errors: empty ROI, output sizes beyond 2^24. */
int rresample_grid_compute(const uint8_t *roi, const int64_t n[3], const double sp[3], const struct rad_settings *s,
                           struct rresample_grid *g, struct sarc_err *e);

/* Resamples image (values img, n voxels x y z, spacing sp, source storage `type`; is_int: cast
 * back to that integer type by truncation) and the ROI as PyRadiomics: grid aligned to the corner
 * of the first voxel, cropped to the ROI box +- padDistance, B-spline (mirror, prefilter over the
 * whole image) / linear / nearest for the image, round-half-up nearest for the ROI. With s->ibsi: IBSI's grid (rresample_grid_compute), the ROI
 * interpolated linearly and thresholded at 0.5, integer images rounded. */
int rresample_case(const double *img, const uint8_t *roi, const int64_t n[3], const double sp[3],
                   const double affine[4][4], enum vtype type, int is_int, const struct rad_settings *s,
                   struct rresample_out *o, struct sarc_err *e);

/* The grid for a ROI on the mask's own grid when image and mask differ: as rresample_grid_compute
 * but always interpolating (PyRadiomics compares the image's spacing for "no interpolation"). */
int rresample_grid_compute_mask(const uint8_t *roi, const int64_t n[3], const double sp[3], const struct rad_settings *s,
                                struct rresample_grid *g, struct sarc_err *e);

/* PyRadiomics' resampleImage for an image and a mask on different grids: the output grid follows
 * the mask (its spacing, direction, the ROI box of mroi +- padDistance), the image (n, sp, affine)
 * is interpolated and the ROI (mn, msp, maffine) sampled nearest-neighbour, each through its own
 * affine; points outside a volume get 0. Not for --ibsi. */
int rresample_case_mask_grid(const double *img, const int64_t n[3], const double sp[3], const double affine[4][4],
                             enum vtype type, int is_int, const uint8_t *mroi, const int64_t mn[3], const double msp[3],
                             const double maffine[4][4], const struct rad_settings *s, struct rresample_out *o,
                             struct sarc_err *e);

/* PyRadiomics' _checkROI: label present in mask and its bounding box (voxel corners) inside the
 * image's index space [-0.5, size - 0.5] (tolerance 1e-3). */
int rresample_check_roi(const struct volume *mask, const struct volume *image, int label, struct sarc_err *e);

/* correctMask: nearest-neighbour resampling of the mask onto the image's grid (through the
 * affines); voxels outside the mask's extent get 0. out is allocated like image. Fails, as
 * PyRadiomics' _checkROI, when label is absent or its bounding box reaches outside the image. */
int rresample_mask_to_grid(const struct volume *mask, const struct volume *image, int label,
                           struct volume *out, struct sarc_err *e);

#endif
