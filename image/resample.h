/* resample.h - resampling a volume to a new spacing with nearest, linear or cubic B-spline
 * interpolation; the B-spline mode matches SimpleITK's sitkBSpline (order 3, with the B-spline
 * coefficient prefilter, mirror boundary as ITK's BSplineDecompositionImageFilter) as PyRadiomics'
 * resampledPixelSpacing uses it. The affine stays consistent: the new grid keeps the origin
 * convention of the caller's choice (see resample.c). Covered by test/image/test_resample.c. */
#ifndef SARC_RESAMPLE_H
#define SARC_RESAMPLE_H

#include "io/volume.h"

enum interp { INTERP_NEAREST, INTERP_LINEAR, INTERP_BSPLINE };

/* Resamples in (first frame) onto the grid `grid` (its dims, spacing and affine define the output
 * voxels; its data is overwritten). Points outside the input get `fill`. */
int resample_to_grid(const struct volume *in, struct volume *grid, enum interp mode, double fill, struct sarc_err *e);

/* Resamples to a new spacing covering the same physical extent (as SimpleITK's Resample with the
 * output size round(size * old / new) and the same origin and direction). out is allocated. */
int resample_spacing(const struct volume *in, const double spacing[3], enum interp mode, struct volume *out, struct sarc_err *e);

#endif
