/* featuremap.h - PyRadiomics' voxel-based extraction (sarc featuremap): every enabled first-order
 * and texture feature computed in a cube of radius kernelRadius around each ROI voxel, on levels
 * discretised once over the whole ROI; maskedKernel (only ROI voxels of the cube; false: every voxel
 * of the ROI box padded by kernelRadius, discretised over that box too); normalisation,
 * resampledPixelSpacing and resegmentation as the segment-based pipeline.
 *
 * Grid of the maps (PyRadiomics' voxel-based output, featureextractor.execute ->
 * imageoperations.cropToTumorMask(padDistance=kernelRadius)): the final ROI's bounding box padded
 * by kernelRadius on every axis and clipped to the (resampled) image, with that crop's origin,
 * spacing and direction; initValue outside the ROI. full_grid: the input image's grid instead
 * (not with resampling). Multi-threaded over voxels (vendor/pool; every voxel is written by one
 * chunk: identical results for any thread count). Covered by test/radiomics/test_featuremap.c. */
#ifndef SARC_FEATUREMAP_H
#define SARC_FEATUREMAP_H

#include "io/volume.h"
#include "radiomics/radiomics.h"

struct featuremap {
    int n;
    char **names;         /* "original_<class>_<Feature>" */
    struct volume *maps;  /* n volumes on the output grid (geometry in each), type F32 */
    int64_t roi_voxels, kept_voxels; /* the ROI before / after resegmentation */
};

struct featuremap_opts {
    int full_grid;  /* 1: maps on the input image's grid (padded with initValue) */
    int reference;  /* 1: the per-class functions for every voxel (the slow reference path the
                       fast kernels of fmap_fast.c are tested against) */
};
#define FEATUREMAP_OPTS_DEFAULT {0, 0}

/* PyRadiomics' grid (opts NULL = FEATUREMAP_OPTS_DEFAULT). On failure fm is empty and e says why.
 * fm owns its arrays: featuremap_free. */
int featuremap_compute_opts(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                            const struct featuremap_opts *opts, struct featuremap *fm, struct sarc_err *e);
int featuremap_compute(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                       struct featuremap *fm, struct sarc_err *e);
void featuremap_free(struct featuremap *fm);

#endif
