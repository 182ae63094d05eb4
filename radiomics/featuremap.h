/* featuremap.h - PyRadiomics' voxel-based extraction (sarc featuremap): every enabled first-order
 * and texture feature computed in a cube of radius kernelRadius around each ROI voxel, on levels
 * discretised once over the whole ROI; maskedKernel (only ROI voxels of the cube; false: every voxel
 * of the ROI box padded by kernelRadius, discretised over that box too). Maps are on
 * the image's grid, initValue outside the ROI. Multi-threaded over voxels (vendor/pool, one slot
 * per voxel: identical results for any thread count). Covered by test/radiomics/test_featuremap.c. */
#ifndef SARC_FEATUREMAP_H
#define SARC_FEATUREMAP_H

#include "io/volume.h"
#include "radiomics/radiomics.h"

struct featuremap {
    int n;
    char **names;         /* "original_<class>_<Feature>" */
    struct volume *maps;  /* n volumes like the image, type F32 */
};

int featuremap_compute(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                       struct featuremap *fm, struct sarc_err *e);
void featuremap_free(struct featuremap *fm);

#endif
