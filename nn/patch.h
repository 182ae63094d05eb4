/* patch.h - the paper's patch tiling of a volume and the recomposition of overlapping
 * predictions (issue 6).
 *
 * Grid (the paper's code): along an axis of `size` voxels with patch extent P (P > 2),
 *   n = floor(size * oversample / (P - 2)) + 1 starts at (int)linspace(0, size - P, n),
 * i.e. numpy's np.linspace(0, size - P, n, dtype=int): i * ((size - P) / (n - 1)) in double,
 * rounded down, the last one exactly size - P (n = 1 gives [0]). For 60x280x280 and the paper's
 * 18x142x142 patch that is 4 x 3 x 3 = 36 patches. A volume smaller than P along an axis is
 * zero-padded at its high end to P first (the padded size is then used, starts [0]).
 * Recomposition: the network's output covers the patch minus a one-voxel rim, so patch k adds
 * its (P-2)^3 output at start + 1; each voxel's probability is the mean of the outputs covering
 * it, summed in patch order in double; voxels no output covers (the outer rim) are 0.
 * Volumes here are multi-channel float arrays (C, D, H, W): D = NIfTI k, H = j, W = i, W fastest.
 * Covered by test/nn/test_patch.c (goldens from test/oracles/unet_patch.py, numpy). */
#ifndef SARC_PATCH_H
#define SARC_PATCH_H

#include <stdint.h>

#include "vendor/err.h"

/* The formula's n along one axis (size >= 1; size < patch counts as the padded size patch). */
int64_t patch_formula_n(int64_t size, int patch, double oversample);
/* Writes the distinct starts (in increasing order) into starts (may be NULL) and returns how
 * many: the formula's n, less repeats - when size - P < n - 1 the rounded linspace repeats a
 * start, and a repeated patch would only average an identical prediction. */
int64_t patch_starts(int64_t size, int patch, double oversample, int64_t *starts);

/* Grid over a (D, H, W) volume for patch (PD, PH, PW). */
struct patch_grid {
    int64_t dim[3];   /* padded volume extents D, H, W (>= patch) */
    int patch[3];
    int64_t n[3];     /* starts per axis */
    int64_t *start[3]; /* owned */
    int64_t count;    /* n[0] * n[1] * n[2] */
};
/* dim: the volume's (D, H, W) before padding. Fails with SARC_ERR_RANGE for bad extents. */
int patch_grid_init(struct patch_grid *g, const int64_t dim[3], const int patch[3], double oversample,
                    struct sarc_err *e);
void patch_grid_free(struct patch_grid *g);
/* Start (d, h, w) of patch k (0 <= k < count; w fastest). */
void patch_grid_start(const struct patch_grid *g, int64_t k, int64_t s[3]);

/* Copies the patch at s from vol (C, D, H, W) into out (C, PD, PH, PW); reads outside the volume
 * (padding) give 0. */
void patch_extract(const float *vol, int C, const int64_t dim[3], const int64_t s[3], const int patch[3],
                   float *out);

/* z-scores each of the C channels of x (C, n) over all its n voxels in place (population std,
 * double sums in index order). A constant channel becomes all zeros. means/stds may be NULL. */
void patch_zscore(float *x, int C, int64_t n, double *means, double *stds);

/* Running mean of overlapping output patches over a (D, H, W) volume. */
struct patch_accum {
    int64_t dim[3];
    double *sum;  /* owned */
    uint32_t *cnt; /* owned */
};
int patch_accum_init(struct patch_accum *a, const int64_t dim[3], struct sarc_err *e);
void patch_accum_free(struct patch_accum *a);
/* Adds out (PD-2, PH-2, PW-2) at s + 1 (voxels outside dim are ignored). */
void patch_accum_add(struct patch_accum *a, const float *out, const int64_t s[3], const int patch[3]);
/* prob (D, H, W) = sum / count, 0 where no output landed. */
void patch_accum_mean(const struct patch_accum *a, float *prob);

#endif
