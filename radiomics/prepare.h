/* prepare.h - the common front of PyRadiomics' pipeline (radiomics/extract.c): everything before
 * cropping and discretisation, shared by rad_extract and the voxel-based feature maps.
 * Internal to radiomics/. Covered by test/radiomics/test_features.c. */
#ifndef SARC_RAD_PREPARE_H
#define SARC_RAD_PREPARE_H

#include <stdint.h>

#include "io/audit.h"
#include "radiomics/radiomics.h"

struct rad_prepared {
    int64_t n[3];     /* grid (x, y, z): the image's, the ROI box of it, or the resampled one */
    int64_t off[3];   /* index of the grid's first voxel in the image (0 when resampled) */
    double sp[3];
    double *img;      /* (nz, ny, nx) normalised / resampled intensities */
    uint8_t *roi;     /* the ROI before resegmentation (shape uses it) */
    uint8_t *reseg;   /* the resegmented ROI, or NULL */
    int64_t lo[3], hi[3]; /* bounding box of the final ROI, inclusive */
    int64_t count;    /* voxels of the final ROI */
    int64_t roi_count; /* voxels of the ROI before resegmentation */
    int resampled;
};

/* Label -> ROI, geometry check / correctMask, normalisation, resampling, mask checks,
 * resegmentation. Without normalisation or resampling the grid is the ROI's box, unless
 * whole_grid (then the image's grid). Records figures into step. p owns its arrays. */
int rad_prepare(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                int whole_grid, struct audit_step *step, struct rad_prepared *p, struct sarc_err *e);
void rad_prepared_free(struct rad_prepared *p);

#endif
