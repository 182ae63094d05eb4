/* test_ibsi_grid.c - the IBSI interpolation grid of --ibsi (radiomics/rresample.c):
 * rresample_grid_compute against hand-computed grids from the IBSI reference manual's formulas
 * (026Q n_b = ceil(n_a s_a / s_b); QCY4 x_b,g = (n_a - 1 - (s_b / s_a)(n_b - 1)) / 2), including the
 * manual's own 4 x 4, 3 mm -> 2 mm example; rresample_case sampling (boundary padding, linear /
 * nearest image, linear ROI thresholded at 0.5, integer rounding) on a ramp; PyRadiomics' grid
 * left unchanged without --ibsi; and the CLI end to end (Image-interpolated_Size). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "io/volio.h"
#include "radiomics/rresample.h"
#include "test/harness.h"

static void ibsi_settings(struct rad_settings *s, double t0, double t1, double t2, int interp)
{
    rad_settings_default(s);
    s->ibsi = 1;
    s->resample = 1;
    s->resampled_spacing[0] = t0;
    s->resampled_spacing[1] = t1;
    s->resampled_spacing[2] = t2;
    s->interpolator = interp;
}

TEST(ibsi_grid_manual_example)
{
    /* the manual's example: 4 x 4 grid, 3 mm -> 2 mm: 6 x 6 points, centred: the first point at
     * grid coordinate (3 - 2/3 * 5) / 2 = -1/6, the last at 3 + 1/6 */
    const int64_t n[3] = {4, 4, 1};
    const double sp[3] = {3, 3, 3};
    uint8_t roi[16] = {0};
    roi[5] = roi[10] = 1; /* (1, 1) and (2, 2): PyRadiomics keeps axes the ROI spans with 1 voxel */
    struct rad_settings s;
    ibsi_settings(&s, 2, 2, 0, RI_LINEAR);
    struct rresample_grid g;
    struct sarc_err e;
    REQUIRE_OK(rresample_grid_compute(roi, n, sp, &s, &g, &e), e);
    CHECK_INT(g.same, 0);
    CHECK_INT(g.size[0], 6);
    CHECK_INT(g.size[1], 6);
    CHECK_INT(g.size[2], 1); /* spacing 0 keeps the axis */
    CHECK_CLOSE(g.origin[0], -1.0 / 6.0, 1e-12, 1e-12);
    CHECK_CLOSE(g.step[0], 2.0 / 3.0, 1e-12, 0);
    CHECK_CLOSE(g.origin[0] + 5 * g.step[0], 3 + 1.0 / 6.0, 1e-12, 0);
    CHECK_CLOSE(g.origin[2], 0, 0, 1e-12);
    /* the grid centre coincides with the original's: (n_a - 1) / 2 = 1.5 */
    CHECK_CLOSE(g.origin[1] + 0.5 * (double)(g.size[1] - 1) * g.step[1], 1.5, 1e-12, 0);
    /* PyRadiomics' grid of the same case: ROI box 1..2 +- 5 new voxels clipped to 0..ceil(4 * 1.5)
     * - 1, corner-aligned origin 0.5 (2 - 3) / 3 = -1/6 at lo = 0 */
    s.ibsi = 0;
    REQUIRE_OK(rresample_grid_compute(roi, n, sp, &s, &g, &e), e);
    CHECK_INT(g.size[0], 6);
    CHECK_CLOSE(g.origin[0], -1.0 / 6.0, 1e-12, 1e-12);
}

TEST(ibsi_grid_dims_and_centre)
{
    struct rad_settings s;
    struct rresample_grid g;
    struct sarc_err e;
    /* 5 x 3 x 7 at 2 x 2 x 0.5 -> 1 mm: 10, 6, ceil(3.5) = 4; origins (4 - 9) / 2 = -2.5 / 1,
     * (2 - 5 * 0.5) / 2 = -0.25, (6 - 3 * 2) / 2 = 0 */
    const int64_t n[3] = {5, 3, 7};
    const double sp[3] = {2, 2, 0.5};
    uint8_t *roi = calloc(5 * 3 * 7, 1);
    REQUIRE(roi);
    roi[2 + 5 * (1 + 3 * 3)] = 1;
    ibsi_settings(&s, 1, 1, 1, RI_BSPLINE);
    REQUIRE_OK(rresample_grid_compute(roi, n, sp, &s, &g, &e), e);
    CHECK_INT(g.size[0], 10);
    CHECK_INT(g.size[1], 6);
    CHECK_INT(g.size[2], 4);
    CHECK_CLOSE(g.origin[0], -0.25, 1e-12, 0);
    CHECK_CLOSE(g.origin[1], -0.25, 1e-12, 0);
    CHECK_CLOSE(g.origin[2], 0, 0, 1e-12);
    CHECK_CLOSE(g.step[2], 2, 1e-12, 0);
    for (int a = 0; a < 3; a++) /* centres aligned on every axis */
        CHECK_CLOSE(g.origin[a] + 0.5 * (double)(g.size[a] - 1) * g.step[a], 0.5 * (double)(n[a] - 1), 1e-12, 1e-12);
    /* a float32-stored spacing (0.6000000238) over 7 voxels at 0.6 mm stays 7 voxels, not 8 */
    const int64_t n2[3] = {7, 7, 7};
    const double sp2[3] = {0.6000000238418579, 0.6000000238418579, 0.6000000238418579};
    uint8_t *roi2 = calloc(343, 1);
    REQUIRE(roi2);
    roi2[100] = 1;
    ibsi_settings(&s, 0.6, 0.6, 0.3, RI_LINEAR);
    REQUIRE_OK(rresample_grid_compute(roi2, n2, sp2, &s, &g, &e), e);
    CHECK_INT(g.size[0], 7);
    CHECK_INT(g.size[2], 14);
    CHECK_INT(g.same, 0);
    /* spacing unchanged: same grid, whole image (PyRadiomics would crop to the ROI box + pad) */
    ibsi_settings(&s, 0.6, 0.6, 0.6, RI_LINEAR);
    REQUIRE_OK(rresample_grid_compute(roi2, n2, sp2, &s, &g, &e), e);
    CHECK_INT(g.same, 1);
    CHECK_INT(g.size[0], 7);
    CHECK_INT(g.lo[0], 0);
    /* empty ROI */
    memset(roi2, 0, 343);
    CHECK_INT(rresample_grid_compute(roi2, n2, sp2, &s, &g, &e), SARC_ERR_ARG);
    free(roi);
    free(roi2);
}

TEST(ibsi_resample_ramp)
{
    /* image = x index on 4 x 3 x 3 at 3 mm -> 2 mm: 6 x 5 x 5 points; along x output m sits at
     * c = -1/6 + 2/3 m, clamped to [0, 3] (boundary padding) */
    const int64_t n[3] = {4, 3, 3};
    const double sp[3] = {3, 3, 3};
    double img[36];
    uint8_t roi[36];
    for (int t = 0; t < 36; t++) {
        img[t] = (double)(t % 4);
        roi[t] = t % 4 >= 2; /* ROI: x >= 2 */
    }
    const double aff[4][4] = {{3, 0, 0, 0}, {0, 3, 0, 0}, {0, 0, 3, 0}, {0, 0, 0, 1}};
    struct rad_settings s;
    ibsi_settings(&s, 2, 2, 2, RI_LINEAR);
    struct rresample_out o;
    struct sarc_err e;
    REQUIRE_OK(rresample_case(img, roi, n, sp, aff, VT_F32, 0, &s, &o, &e), e);
    CHECK_INT(o.n[0], 6);
    CHECK_INT(o.n[1], 5);
    CHECK_INT(o.n[2], 5);
    CHECK_CLOSE(o.sp[0], 2, 0, 0);
    const double want[6] = {0, 0.5, 7.0 / 6.0, 11.0 / 6.0, 2.5, 3};
    /* ROI fraction along x: 0, 0, 1/6, 5/6, 1, 1 -> >= 0.5 from m = 3 */
    const int want_roi[6] = {0, 0, 0, 1, 1, 1};
    for (int j = 0; j < 5; j++)
        for (int m = 0; m < 6; m++) {
            const int64_t t = m + 6 * (j + 5 * 2);
            CHECK_CLOSE(o.img[t], want[m], 1e-12, 1e-12);
            CHECK_INT(o.roi[t], want_roi[m]);
        }
    free(o.img);
    free(o.roi);
    /* nearest: round(c); integer storage with linear: rounded to the nearest integer */
    ibsi_settings(&s, 2, 2, 2, RI_NEAREST);
    REQUIRE_OK(rresample_case(img, roi, n, sp, aff, VT_F32, 0, &s, &o, &e), e);
    const double want_nn[6] = {0, 1, 1, 2, 3, 3};
    for (int m = 0; m < 6; m++)
        CHECK_CLOSE(o.img[m], want_nn[m], 0, 0);
    free(o.img);
    free(o.roi);
    ibsi_settings(&s, 2, 2, 2, RI_LINEAR);
    REQUIRE_OK(rresample_case(img, roi, n, sp, aff, VT_I16, 1, &s, &o, &e), e);
    const double want_int[6] = {0, 1, 1, 2, 3, 3}; /* 0.5 rounds away from zero */
    for (int m = 0; m < 6; m++)
        CHECK_CLOSE(o.img[m], want_int[m], 0, 0);
    free(o.img);
    free(o.roi);
    /* B-spline: a constant image stays constant everywhere (the weights sum to 1), also at the
     * clamped border points */
    ibsi_settings(&s, 2, 2, 2, RI_BSPLINE);
    double flat[36];
    for (int t = 0; t < 36; t++)
        flat[t] = 5;
    REQUIRE_OK(rresample_case(flat, roi, n, sp, aff, VT_F32, 0, &s, &o, &e), e);
    for (int64_t t = 0; t < o.n[0] * o.n[1] * o.n[2]; t++)
        CHECK_CLOSE(o.img[t], 5, 1e-12, 0);
    free(o.img);
    free(o.roi);
}

/* End to end: --ibsi with resampledPixelSpacing writes the IBSI grid (the whole image) into the
 * diagnostics; without --ibsi PyRadiomics' cropped grid. */
TEST(ibsi_grid_cli)
{
    const int64_t dim[4] = {8, 7, 6, 1};
    struct volume img = {0}, msk = {0};
    struct sarc_err e;
    REQUIRE_OK(volume_alloc(&img, 3, dim, &e), e);
    REQUIRE_OK(volume_alloc(&msk, 3, dim, &e), e);
    for (int64_t t = 0; t < 8 * 7 * 6; t++)
        img.data[t] = (double)((t * 37) % 101);
    for (int k = 1; k < 5; k++)
        for (int j = 1; j < 5; j++)
            for (int i = 2; i < 6; i++)
                msk.data[i + 8 * (j + 7 * k)] = 1;
    const double sp[3] = {0.5, 0.75, 2.0};
    volume_set_spacing(&img, sp, NULL);
    volume_copy_geometry(&msk, &img);
    img.type = VT_I16;
    msk.type = VT_U8;
    char ip[1024], mp[1024], o1[1024], o2[1024];
    snprintf(ip, sizeof ip, "%s", test_tmp("ibsig_img.nii.gz"));
    snprintf(mp, sizeof mp, "%s", test_tmp("ibsig_msk.nii.gz"));
    snprintf(o1, sizeof o1, "%s", test_tmp("ibsig1.csv"));
    snprintf(o2, sizeof o2, "%s", test_tmp("ibsig2.csv"));
    int rc = volume_write(ip, &img, NULL, &e);
    if (rc == SARC_ERR_UNSUPPORTED) {
        volume_free(&img);
        volume_free(&msk);
        SKIP("NIfTI writer unavailable");
    }
    REQUIRE_OK(rc, e);
    REQUIRE_OK(volume_write(mp, &msk, NULL, &e), e);
    volume_free(&img);
    volume_free(&msk);
    static char cmd[4096];
    const char *set = "--setting additionalInfo=true --setting 'resampledPixelSpacing=[1,1,1]' --setting interpolator=sitkLinear";
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s --ibsi %s -o %s", test_sarc(), ip, mp, set, o1);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s %s --setting padDistance=0 -o %s", test_sarc(), ip, mp, set, o2);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    struct csv t1, t2;
    REQUIRE_OK(csv_read(&t1, o1, &e), e);
    REQUIRE_OK(csv_read(&t2, o2, &e), e);
    const int c1 = csv_col(&t1, "diagnostics_Image-interpolated_Size"), c2 = csv_col(&t2, "diagnostics_Image-interpolated_Size");
    REQUIRE(c1 >= 0 && c2 >= 0);
    /* IBSI: ceil(8 * 0.5) = 4, ceil(7 * 0.75) = 6, ceil(6 * 2) = 12 */
    CHECK_STR(csv_cell(&t1, 0, c1), "(4, 6, 12)");
    /* PyRadiomics: the ROI box x 2..5, y 1..4, z 1..4 on the new grid: x 0..ceil(5.5 / 2) = 3,
     * y 0..ceil(4.5 * 0.75) = 4, z floor(0.5 * 2) = 1..ceil(4.5 * 2) = 9 */
    CHECK_STR(csv_cell(&t2, 0, c2), "(4, 5, 9)");
    /* the ROI's centre of mass stays where it was (within half a new voxel) */
    const int m0 = csv_col(&t1, "diagnostics_Mask-original_CenterOfMass"), m1 = csv_col(&t1, "diagnostics_Mask-interpolated_CenterOfMass");
    REQUIRE(m0 >= 0 && m1 >= 0);
    double a[3], b[3];
    REQUIRE(sscanf(csv_cell(&t1, 0, m0), "(%lf, %lf, %lf)", &a[0], &a[1], &a[2]) == 3);
    REQUIRE(sscanf(csv_cell(&t1, 0, m1), "(%lf, %lf, %lf)", &b[0], &b[1], &b[2]) == 3);
    for (int q = 0; q < 3; q++)
        CHECK_MSG(fabs(a[q] - b[q]) <= 0.5, "centre of mass axis %d: %g vs %g", q, a[q], b[q]);
    const int s1 = csv_col(&t1, "diagnostics_Configuration_Settings");
    REQUIRE(s1 >= 0);
    CHECK(strstr(csv_cell(&t1, 0, s1), "'ibsi': True") != NULL);
    csv_free(&t1);
    csv_free(&t2);
}
