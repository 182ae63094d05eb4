/* readers_golden.h - the golden datasets of test/golden/readers/expected.txt (distilled from
 * ../shared/data/EXPECTED.json by test/oracles/readers_expected.py), shared by test_bruker.c
 * (which defines the loader and the checker) and test_nrrd.c. */
#ifndef SARC_TEST_READERS_GOLDEN_H
#define SARC_TEST_READERS_GOLDEN_H

#include "io/volume.h"

/* One dataset of test/golden/readers/expected.txt. */
struct rgold {
    char path[256], kind[16], word[32];
    int ndims;
    long long dims[4], frames, count;
    int has_spacing, has_spacing_xy, has_affine;
    double spacing[3], affine[16], min, max, mean;
    int nvox;
    long long vox[16][4];
    double voxval[16];
    int nseg;
    long long seglabel[16];
    char segname[16][64];
};

/* Loads every dataset of kind ("bruker" or "nrrd"); returns the count, or -1 if the golden file is
 * missing. *out is malloc'ed (the caller frees it). */
int readers_golden_load(const char *kind, struct rgold **out);

/* Checks volume v against dataset g (dims, spacing, affine, statistics, voxels, segments) with the
 * harness's CHECK macros. */
void readers_golden_check(const struct rgold *g, const struct volume *v);

#endif
