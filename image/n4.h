/* n4.h - N4 bias-field correction (Tustison et al. 2010, IEEE TMI 29:1310) as ITK's
 * N4BiasFieldCorrectionImageFilter computes it, with SimpleITK's defaults and ITK's parameter
 * names. Covered by test/image/test_n4.c (SimpleITK goldens, known-bias volumes). */
#ifndef SARC_N4_H
#define SARC_N4_H

#include <stdint.h>

#include "io/volume.h"
#include "vendor/err.h"

#define N4_MAX_LEVELS 8

struct n4_params {
    int shrink_factor;                      /* 1 = none; else ITK ShrinkImageFilter sampling (sitk.Shrink) */
    int levels;                             /* number of fitting levels = entries of iterations */
    int maximum_number_of_iterations[N4_MAX_LEVELS];
    double convergence_threshold;           /* coefficient of variation of exp(field change) */
    double bias_field_fwhm;                 /* BiasFieldFullWidthAtHalfMaximum */
    double wiener_filter_noise;             /* WienerFilterNoise */
    int number_of_histogram_bins;
    int number_of_control_points[3];        /* initial mesh + spline order, per axis */
    int spline_order;
    /* 0 (default): the histogram range as ITK's SharpenImage scans it (a voxel that is a new
     * running maximum when visited is never tested for the minimum, so the first included voxel
     * is left out of the minimum; voxels below the range are dropped from the histogram and
     * mapped to the top of E(u|v)); 1: the true minimum and maximum */
    int true_range;
};

/* SimpleITK 2.5 defaults: no shrink, 4 levels x 50 iterations, threshold 0.001, FWHM 0.15,
 * Wiener noise 0.01, 200 bins, 4 control points (mesh 1), order 3. */
void n4_params_default(struct n4_params *p);
/* The study's ANTs call: shrink 4, 3 levels x 100, threshold 0.005, mesh 1 (4 control points),
 * order 3, FWHM 0.3, Wiener 0.01, 200 bins. */
void n4_params_paper(struct n4_params *p);

/* Corrects the first frame of `in`. mask: nx*ny*nz bytes, non-zero = used, or NULL for Otsu's
 * foreground (input > otsu_threshold(input, 256 bins)). weight: nx*ny*nz confidence values
 * (ANTs --weight-image: voxels with weight <= 0 are excluded, others weight the B-spline fit) or
 * NULL. On success `corrected` (input / bias, every voxel, as ITK) and, if not NULL, `bias` (the
 * multiplicative bias field exp(log-bias) on the input grid) are allocated with in's geometry;
 * the caller frees them. Errors: bad parameters (SARC_ERR_ARG), an empty mask, out of memory. */
/* n4_correct's default mask: Otsu's foreground of in's first frame (in > otsu_threshold(in, 256
 * bins)), nx*ny*nz bytes (the caller frees them; NULL: out of memory); *threshold gets the
 * threshold when not NULL. */
uint8_t *n4_default_mask(const struct volume *in, double *threshold);
int n4_correct(const struct volume *in, const uint8_t *mask, const double *weight, const struct n4_params *p,
               struct volume *corrected, struct volume *bias, struct sarc_err *e);

#endif
