/* test_seg_util.h - tiny synthetic scans for the U-Net tests (test_seg*.c): a noisy box with a
 * bright ellipsoidal "tumour" (T2 bright, T1 slightly dark, T1C bright rim), written as NIfTI
 * with a cohort.csv. Header-only, static functions. */
#ifndef SARC_TEST_SEG_UTIL_H
#define SARC_TEST_SEG_UTIL_H

#include <stdio.h>
#include <string.h>

#include "io/file.h"
#include "io/volio.h"
#include "vendor/rng.h"

/* Writes dir/m<mouse>_<tp>_{T1,T1C,T2,label}.nii.gz for a dim[0]xdim[1]xdim[2] (x, y, z) scan. */
static int tseg_write_scan(const char *dir, int mouse, int tp, const int64_t dim[3], struct sarc_err *e)
{
    struct volume v[4];
    const int64_t d4[4] = {dim[0], dim[1], dim[2], 1};
    const double sp[3] = {0.2, 0.2, 0.5};
    const double cx = dim[0] * (0.45 + 0.02 * (mouse % 5)), cy = dim[1] * (0.5 - 0.02 * (mouse % 3)), cz = dim[2] * 0.5;
    const double rx = dim[0] * (0.2 + 0.02 * tp), ry = dim[1] * 0.22, rz = dim[2] * 0.25;
    for (int k = 0; k < 4; k++) {
        int rc = volume_alloc(&v[k], 3, d4, e);
        if (rc)
            return rc;
        volume_set_spacing(&v[k], sp, NULL);
    }
    const uint64_t st = rng_stream(RNG_GENERIC, 1000 + (uint64_t)mouse, (uint64_t)tp, 0);
    int64_t i = 0;
    for (int64_t z = 0; z < dim[2]; z++)
        for (int64_t y = 0; y < dim[1]; y++)
            for (int64_t x = 0; x < dim[0]; x++, i++) {
                const double q = ((x - cx) / rx) * ((x - cx) / rx) + ((y - cy) / ry) * ((y - cy) / ry) + ((z - cz) / rz) * ((z - cz) / rz);
                const int tum = q <= 1.0, rim = q > 0.6 && q <= 1.0;
                const double n0 = rng_uniform(7, st, 3 * (uint64_t)i) - 0.5, n1 = rng_uniform(7, st, 3 * (uint64_t)i + 1) - 0.5,
                             n2 = rng_uniform(7, st, 3 * (uint64_t)i + 2) - 0.5;
                v[0].data[i] = 80 - 10 * tum + 8 * n0;
                v[1].data[i] = 90 + 30 * rim + 8 * n1;
                v[2].data[i] = 100 + 80 * tum + 8 * n2;
                v[3].data[i] = tum;
            }
    v[3].type = VT_U8;
    const char *names[4] = {"T1", "T1C", "T2", "label"};
    int rc = 0;
    for (int k = 0; k < 4; k++) {
        char name[64], path[4096];
        snprintf(name, sizeof name, "m%d_%s_%s.nii.gz", mouse, tp ? "post" : "pre", names[k]);
        path_join(path, sizeof path, dir, name);
        if (!rc)
            rc = volume_write(path, &v[k], NULL, e);
        volume_free(&v[k]);
    }
    return rc;
}

/* A cohort of `mice` mice x 2 timepoints under dir with dir/cohort.csv. */
static int tseg_write_cohort(const char *dir, int mice, const int64_t dim[3], struct sarc_err *e)
{
    int rc = file_mkdirs(dir, e);
    if (rc)
        return rc;
    char path[4096];
    path_join(path, sizeof path, dir, "cohort.csv");
    char buf[8192];
    int n = snprintf(buf, sizeof buf, "mouse,timepoint,T1,T1C,T2,label\n");
    for (int m = 0; m < mice && !rc; m++)
        for (int tp = 0; tp < 2 && !rc; tp++) {
            rc = tseg_write_scan(dir, m, tp, dim, e);
            const char *t = tp ? "post" : "pre";
            n += snprintf(buf + n, sizeof buf - (size_t)n, "m%d,%s,m%d_%s_T1.nii.gz,m%d_%s_T1C.nii.gz,m%d_%s_T2.nii.gz,m%d_%s_label.nii.gz\n",
                          m, t, m, t, m, t, m, t, m, t);
        }
    if (!rc)
        rc = file_write_atomic(path, buf, (size_t)n, e);
    return rc;
}

/* dir/cohort.csv of a 4-mouse cohort of 24 x 22 x 20 scans, written once per test file under
 * test_tmp(name); NULL when it cannot be written. */
static inline const char *tseg_tiny_cohort(const char *name)
{
    static char dir[4096], csv[4200];
    if (!dir[0]) {
        struct sarc_err e = {0};
        snprintf(dir, sizeof dir, "%s", test_tmp(name));
        const int64_t dim[3] = {24, 22, 20};
        if (tseg_write_cohort(dir, 4, dim, &e)) {
            dir[0] = 0;
            return NULL;
        }
    }
    snprintf(csv, sizeof csv, "%s/cohort.csv", dir);
    return csv;
}

#endif
