/* regions.h - the paper's analysis regions: tumour, peritumoral shell (dilation by a margin in mm
 * with the physical spacing, minus the tumour, air voxels excluded) and combined (tumour + shell).
 * Covered by test/radiomics/test_regions.c. */
#ifndef SARC_REGIONS_H
#define SARC_REGIONS_H

#include "io/volume.h"
#include "vendor/err.h"

enum regions_air { REGIONS_AIR_MEDIAN, REGIONS_AIR_OTSU, REGIONS_AIR_NONE, REGIONS_AIR_VALUE };

struct regions_opts {
    double margin_mm;   /* 3 */
    int air;            /* enum regions_air, default median */
    double air_value;   /* REGIONS_AIR_VALUE: voxels below it are air */
    int label;          /* 0: every non-zero mask voxel is tumour; else mask == label */
    double close_voxels; /* radius of the closing of the tissue mask, in voxels (3) */
};

void regions_opts_default(struct regions_opts *o);

/* out[0] tumour, out[1] peritumoral, out[2] combined: uint8-typed volumes (values 0/1) on the
 * image's grid, allocated here (free with volume_free). image and mask must share the grid.
 * Air: image < threshold (median of all voxels: numpy's median; Otsu: otsu_threshold with 256
 * bins), then the tissue mask (>= threshold) is closed with a ball of close_voxels voxels.
 * Records one audit step "regions" with the threshold, voxel counts and volumes. */
int regions_compute(const struct volume *image, const struct volume *mask, const struct regions_opts *o,
                    struct volume out[3], struct sarc_err *e);

#endif
