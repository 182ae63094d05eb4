/* radiomics.h - PyRadiomics-compatible feature extraction: settings, feature classes, the ROI
 * type the classes share, and the extraction pipeline.
 *
 * Feature definitions, names and the order of operations follow PyRadiomics 3.x as described in
 * ../shared/data/pyradiomics/FACTS.md (normalise -> resample -> check mask -> resegment -> crop ->
 * discretise -> matrices -> features). One file per class: shape.c, shape2d.c, firstorder.c,
 * glcm.c, glrlm.c, glszm.c, gldm.c, ngtdm.c; settings and the YAML parameter subset in settings.c,
 * discretisation and neighbour offsets in discretize.c, the pipeline in extract.c (front shared
 * through prepare.h), PyRadiomics' resampling in rresample.c, voxel-based maps in featuremap.c,
 * the paper's regions in regions.c. `ibsi` switches the three IBSI conventions on.
 *
 * Array order inside radiomics/: a cropped box of nx * ny * nz voxels, x fastest:
 * index i + nx * (j + ny * k); offsets are written (dk, dj, di) as PyRadiomics does.
 * Covered by test/radiomics/test_features.c (reference cases), test_settings.c and test_cli.c. */
#ifndef SARC_RADIOMICS_H
#define SARC_RADIOMICS_H

#include <stdint.h>

#include "io/volume.h"
#include "vendor/err.h"

enum rad_class {
    RC_SHAPE, RC_SHAPE2D, RC_FIRSTORDER, RC_GLCM, RC_GLRLM, RC_GLSZM, RC_GLDM, RC_NGTDM, RC_COUNT
};

/* Class name (PyRadiomics' featureClass key) and its non-deprecated features, in output order. */
struct rad_class_info {
    const char *name;
    int nfeat;
    const char *const *feat;
};
extern const struct rad_class_info rad_class_table[RC_COUNT];
int rad_class_find(const char *name); /* -1 if unknown */
int rad_feature_find(int cls, const char *name); /* -1 if unknown */

enum rad_weighting { RW_NONE, RW_INFINITY, RW_EUCLIDEAN, RW_MANHATTAN, RW_NO_WEIGHTING, RW_OTHER };
enum rad_reseg_mode { RR_ABSOLUTE, RR_RELATIVE, RR_SIGMA };
enum rad_interp { RI_NONE, RI_NEAREST, RI_LINEAR, RI_BSPLINE };

#define RAD_MAX_DIST 8

/* The settings of PyRadiomics (names in comments), with PyRadiomics' defaults from
 * rad_settings_default(). NaN marks "None" for optional numbers. */
struct rad_settings {
    int label;                 /* label (1) */
    double bin_width;          /* binWidth (25) */
    int bin_count;             /* binCount (0 = None) */
    double voxel_array_shift;  /* voxelArrayShift (0) */
    int symmetrical_glcm;      /* symmetricalGLCM (true) */
    int weighting;             /* weightingNorm (None), enum rad_weighting */
    int ndist;                 /* distances ([1]) */
    int distances[RAD_MAX_DIST];
    double gldm_a;             /* gldm_a (0) */
    int force2d;               /* force2D (false) */
    int force2d_dim;           /* force2Ddimension (0): array axis 0 = k (z), 1 = j, 2 = i */
    int normalize;             /* normalize (false) */
    double normalize_scale;    /* normalizeScale (1) */
    double remove_outliers;    /* removeOutliers (None) */
    int resample;              /* resampledPixelSpacing given */
    double resampled_spacing[3]; /* resampledPixelSpacing, x y z */
    int interpolator;          /* interpolator (sitkBSpline), enum rad_interp; RI_NONE = None */
    double pad_distance;       /* padDistance (5) */
    int nreseg;                /* resegmentRange (None): 0, 1 or 2 values */
    double reseg_range[2];
    int reseg_mode;            /* resegmentMode (absolute) */
    int reseg_shape;           /* resegmentShape (false) */
    int pre_crop;              /* preCrop (false) */
    int correct_mask;          /* correctMask (false) */
    int min_roi_dims;          /* minimumROIDimensions (2) */
    int64_t min_roi_size;      /* minimumROISize (0 = None) */
    int additional_info;       /* additionalInfo (true) */
    int additional_info_given; /* additionalInfo set explicitly: diagnostics_* are written only
                                  when it is given and true (radiomics/diagnostics.h) */
    double geometry_tolerance; /* geometryTolerance (NaN = 1e-6 relative as SimpleITK) */
    int kernel_radius;         /* kernelRadius (1), voxel-based only */
    int masked_kernel;         /* maskedKernel (true) */
    double init_value;         /* initValue (0) */
    int ibsi;                  /* sarc's --ibsi (not a PyRadiomics setting): IBSI conventions where
                                  PyRadiomics differs: excess kurtosis, PCA covariance divisor
                                  N - 1, fixed bin size from the lower resegmentation bound or the
                                  ROI minimum (../shared/data/ibsi/PYRADIOMICS_VS_IBSI.md 1, 4, 6) */
    /* enabled features: bit f of enabled[c] = feature f of class c; 0 = class disabled */
    uint32_t enabled[RC_COUNT];
    int classes_given;         /* featureClass given: only those; else the 7 default classes
                                  (+ shape2D when force2D) */
};

void rad_settings_default(struct rad_settings *s);
/* Sets one setting by its PyRadiomics name from a YAML scalar or flow list ("25", "true",
 * "[2, 2, 2]", "null", "sitkBSpline"). Unknown names and wrong types are SARC_ERR_ARG. */
int rad_setting_set(struct rad_settings *s, const char *name, const char *value, struct sarc_err *e);
/* Parses a PyRadiomics YAML parameter file (subset: imageType with Original only, featureClass,
 * setting; block or flow lists; comments). Unknown keys are errors. text need not be
 * NUL-terminated. */
int rad_params_parse(struct rad_settings *s, const char *text, size_t len, struct sarc_err *e);
int rad_params_read(struct rad_settings *s, const char *path, struct sarc_err *e);
/* Enables class `cls` with all features (names == NULL) or the listed ones. */
int rad_enable(struct rad_settings *s, const char *cls, const char *const *names, int n, struct sarc_err *e);

/* --- what the feature classes receive --------------------------------------------------- */

struct rad_roi {
    int64_t nx, ny, nz;  /* cropped box extents */
    double sx, sy, sz;   /* spacing in mm */
    const double *x;     /* (nz, ny, nx) intensities */
    const uint8_t *m;    /* (nz, ny, nx) 1 inside the ROI */
    const int *lv;       /* (nz, ny, nx) discretised level 1..ng inside the ROI, 0 outside */
    int ng;              /* largest level present */
    int64_t np;          /* ROI voxels */
    /* optional (NULL when absent): lv padded by ppad voxels of 0 on every side in
     * rad_pad_levels' layout, built once per case and read (never written) by the texture
     * classes whose padding equals ppad (rad_levels_padded) */
    const int *plv;
    int ppad;
    /* voxel-based maps (PyRadiomics' voxel mode): the number of distinct levels in the whole ROI,
     * whose GLCM keeps them all, so that a kernel of one level has MCC 0 unless the ROI itself
     * has one level (then 1); 0 = one case (a one-level ROI has MCC 1) */
    int voxel_levels;
};

/* Discretises the ROI voxels of x (n voxels, m selects) into lv (1..; 0 outside) with PyRadiomics'
 * binWidth / binCount rules (FACTS.md section 7). *ng = largest level. */
int rad_discretize(const double *x, const uint8_t *m, int64_t n, const struct rad_settings *s,
                   int *lv, int *ng, struct sarc_err *e);

/* Neighbour offsets (dk, dj, di) of PyRadiomics: Chebyshev distance in `dist` (ndist values),
 * dropped when a component is >= the box size on its axis or (force2D) moves along
 * force2Ddimension; half = 1 keeps the first of each +/- pair (GLCM, GLRLM). Returns the count
 * (at most max). */
int rad_offsets(const struct rad_roi *r, const struct rad_settings *s, const int *dist, int ndist,
                int half, int (*off)[3], int max);

/* The levels of r (0 outside the ROI) in a box padded by `pad` voxels of 0 on every side, so that
 * neighbour offsets up to pad need no bounds checks: (pn[2], pn[1], pn[0]), owned by the caller. */
int rad_pad_levels(const struct rad_roi *r, int pad, int **out, int64_t pn[3], struct sarc_err *e);
/* The same, read-only: r->plv when it was built with this pad (*owned = NULL), else a new array
 * that the caller frees through *owned. */
int rad_levels_padded(const struct rad_roi *r, int pad, const int **out, int **owned, int64_t pn[3], struct sarc_err *e);

/* Per-class feature functions: write rad_class_table[cls].nfeat values in table order into out
 * (NaN where PyRadiomics gives NaN). 0 or a negative SARC_ERR_* (allocation, size limits). */
/* Grows the inclusive bounding box [lo, hi] to contain voxel index c (start: lo = n, hi = -1). */
static inline void rad_bbox_add(int64_t lo[3], int64_t hi[3], const int64_t c[3])
{
    for (int a = 0; a < 3; a++) {
        if (c[a] < lo[a])
            lo[a] = c[a];
        if (c[a] > hi[a])
            hi[a] = c[a];
    }
}

int firstorder_features(const struct rad_roi *r, const struct rad_settings *s, double *out, struct sarc_err *e);
/* The parts of firstorder_features shared with the voxel-map kernels (radiomics/fmap_fast.c):
 * mom = {m2, m3, m4, mean absolute deviation} of v[0..np) about mean (summed in index order,
 * divided by np); firstorder_sorted fills out[3..16] (Minimum .. Variance) from the SORTED values,
 * their mean, moments and energy (ibsi: excess kurtosis). np >= 1. */
void firstorder_moments(const double *v, int64_t np, double mean, double mom[4]);
void firstorder_sorted(const double *v, int64_t np, double mean, const double mom[4], double energy, int ibsi,
                       double *out);
int glcm_features(const struct rad_roi *r, const struct rad_settings *s, double *out, struct sarc_err *e);
int glrlm_features(const struct rad_roi *r, const struct rad_settings *s, double *out, struct sarc_err *e);
int glszm_features(const struct rad_roi *r, const struct rad_settings *s, double *out, struct sarc_err *e);
int gldm_features(const struct rad_roi *r, const struct rad_settings *s, double *out, struct sarc_err *e);
int ngtdm_features(const struct rad_roi *r, const struct rad_settings *s, double *out, struct sarc_err *e);
/* Shape classes use only r->m, the extents and the spacing (and s->ibsi). */
int shape_features(const struct rad_roi *r, const struct rad_settings *s, double *out, struct sarc_err *e);
/* 2-D: the mask must have extent 1 along s->force2d_dim. */
int shape2d_features(const struct rad_roi *r, const struct rad_settings *s, double *out, struct sarc_err *e);

/* Symmetric eigenvalues (ascending) of the n x n matrix a (row-major, destroyed). */
int rad_eig_sym(double *a, int n, double *w, struct sarc_err *e);

/* --- the pipeline -------------------------------------------------------------------------- */

struct rad_result {
    int n;          /* features */
    char **names;   /* "original_<class>_<Feature>" */
    double *values;
    int64_t roi_voxels, kept_voxels; /* the ROI before / after resegmentation (equal without it) */
};
void rad_result_free(struct rad_result *r);

/* Runs PyRadiomics' pipeline on one case. image and mask are read volumes (first frame);
 * prefix is "original" (or e.g. "T2_original" for multi-contrast). On bad input returns
 * SARC_ERR_ARG/RANGE with a message (label absent, geometry mismatch, NaN voxels, one-voxel ROI,
 * too few dimensions, empty after resegmentation). Records one audit step "radiomics". */
int rad_extract(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                const char *prefix, struct rad_result *out, struct sarc_err *e);

#endif
