/* test_resample.c - resampling (image/resample.c) against SimpleITK 2.5 Resample goldens
 * (nearest, linear, sitkBSpline; test/golden/image/basic.txt from test/oracles/image_basic.py),
 * the affine of the output grid, and bad arguments. */
#include <math.h>
#include <stdlib.h>

#include "image/resample.h"
#include "test/harness.h"
#include "test/image/image_testutil.h"

#define GOLDEN "test/golden/image/basic.txt"

TEST(image_resample_sitk_golden)
{
    const int64_t dim[4] = {9, 8, 6, 1};
    int64_t ng;
    double *in = golden_section(GOLDEN, "resample_in", &ng);
    REQUIRE_MSG(in && ng == 9 * 8 * 6, "golden resample_in missing");
    struct volume v;
    struct sarc_err e = {0};
    REQUIRE_OK(volume_alloc(&v, 3, dim, &e), e);
    for (int i = 0; i < 9 * 8 * 6; i++)
        v.data[i] = (float)in[i]; /* the oracle's input is float32 */
    const double sp[3] = {0.8, 0.9, 2.0}, org[3] = {1.5, -2.0, 3.0}, nsp[3] = {0.5, 0.6, 1.3};
    volume_set_spacing(&v, sp, org);
    const char *names[3] = {"resample_nearest", "resample_linear", "resample_bspline"};
    const enum interp modes[3] = {INTERP_NEAREST, INTERP_LINEAR, INTERP_BSPLINE};
    /* float32 input, float64 output in SimpleITK: 1e-9 relative covers the %.12g golden text */
    for (int m = 0; m < 3; m++) {
        double *ref = golden_section(GOLDEN, names[m], &ng);
        CHECK_MSG(ref != NULL, "golden %s missing", names[m]);
        struct volume out;
        if (ref && resample_spacing(&v, nsp, modes[m], &out, &e) == 0) {
            CHECK_INT(out.dim[0], 14);
            CHECK_INT(out.dim[1], 12);
            CHECK_INT(out.dim[2], 9);
            CHECK_INT(volume_count(&out), ng);
            int bad = 0;
            for (int64_t i = 0; i < ng && i < volume_count(&out) && bad < 5; i++)
                if (!(fabs(out.data[i] - ref[i]) <= 1e-9 * fabs(ref[i]) + 1e-9)) {
                    test_fail_at(__FILE__, __LINE__, "%s voxel %lld: %.12g, SimpleITK %.12g", names[m], (long long)i,
                                 out.data[i], ref[i]);
                    bad++;
                }
            /* origin kept, columns scaled to the new spacing */
            CHECK_CLOSE(out.affine[0][3], 1.5, 0, 1e-12);
            CHECK_CLOSE(out.affine[0][0], 0.5, 0, 1e-12);
            CHECK_CLOSE(out.affine[2][2], 1.3, 0, 1e-12);
            CHECK_CLOSE(out.spacing[1], 0.6, 0, 1e-12);
            volume_free(&out);
        } else if (ref)
            CHECK_OK(-1, e);
        free(ref);
    }
    /* bad spacing */
    struct volume out;
    const double bad[3] = {0.5, 0, 1};
    CHECK(resample_spacing(&v, bad, INTERP_LINEAR, &out, &e) == SARC_ERR_ARG);
    volume_free(&v);
    free(in);
}

/* Identity grid: every mode returns the input exactly (B-spline up to the prefilter's rounding). */
TEST(image_resample_identity)
{
    const int64_t dim[4] = {7, 5, 4, 1};
    struct volume v, g;
    struct sarc_err e = {0};
    REQUIRE_OK(volume_alloc(&v, 3, dim, &e), e);
    for (int64_t i = 0; i < 140; i++)
        v.data[i] = 100 * img_hash01((uint64_t)i, 3);
    const double sp[3] = {0.7, 0.7, 2}, org[3] = {-3, 4, 5};
    volume_set_spacing(&v, sp, org);
    for (int m = 0; m < 3; m++) {
        REQUIRE_OK(volume_alloc_like(&g, &v, &e), e);
        CHECK_OK(resample_to_grid(&v, &g, (enum interp)m, -1.0, &e), e);
        for (int64_t i = 0; i < 140; i++)
            CHECK_CLOSE(g.data[i], v.data[i], 1e-9, 1e-9);
        volume_free(&g);
    }
    volume_free(&v);
}
