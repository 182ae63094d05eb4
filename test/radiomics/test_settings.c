/* test_settings.c - radiomics/settings.c: PyRadiomics' setting names, types and defaults, and the
 * YAML parameter subset (the form yaml.safe_dump writes, which the conformance check uses, flow
 * lists, comments, ~), with unknown names refused. */
#include <math.h>
#include <string.h>

#include "radiomics/radiomics.h"
#include "test/harness.h"

TEST(radiomics_settings_yaml_safe_dump_form)
{
    /* what yaml.safe_dump makes of a PyRadiomics parameter dict */
    const char *y =
        "featureClass:\n"
        "  firstorder:\n"
        "  - Energy\n"
        "  - Mean\n"
        "  glcm: null\n"
        "imageType:\n"
        "  Original: {}\n"
        "setting:\n"
        "  binWidth: 25\n"
        "  distances:\n"
        "  - 1\n"
        "  - 2\n"
        "  force2D: false\n"
        "  interpolator: sitkBSpline\n"
        "  label: 2\n"
        "  minimumROIDimensions: 1\n"
        "  resegmentRange:\n"
        "  - -3\n"
        "  - 3\n"
        "  resegmentMode: sigma\n"
        "  symmetricalGLCM: true\n"
        "  voxelArrayShift: 2000\n"
        "  weightingNorm: no_weighting\n";
    struct rad_settings s;
    rad_settings_default(&s);
    struct sarc_err e = {0};
    REQUIRE_OK(rad_params_parse(&s, y, strlen(y), &e), e);
    CHECK_INT(s.label, 2);
    CHECK_INT(s.ndist, 2);
    CHECK_INT(s.distances[1], 2);
    CHECK_INT(s.nreseg, 2);
    CHECK_CLOSE(s.reseg_range[0], -3, 0, 0);
    CHECK_INT(s.reseg_mode, RR_SIGMA);
    CHECK_CLOSE(s.voxel_array_shift, 2000, 0, 0);
    CHECK_INT(s.weighting, RW_NO_WEIGHTING);
    CHECK_INT(s.min_roi_dims, 1);
    CHECK(s.classes_given);
    CHECK_INT(s.enabled[RC_FIRSTORDER], (1 << 0) | (1 << 7)); /* Energy, Mean */
    CHECK_INT(s.enabled[RC_GLCM], (1 << 24) - 1);
    CHECK_INT(s.enabled[RC_SHAPE], 0);
}

TEST(radiomics_settings_flow_and_comments)
{
    const char *y = "# params\nimageType: {Original: {}}\nsetting: # the settings\n  binCount: 32   # FBN\n"
                    "  resampledPixelSpacing: [0.1, 0.1, 0.3]\n  'normalize': \"true\"\n  removeOutliers: ~\n"
                    "featureClass:\n  shape:\n  ngtdm: [Coarseness, Busyness]\n  glcm: [SumVariance]\n";
    struct rad_settings s;
    rad_settings_default(&s);
    struct sarc_err e = {0};
    REQUIRE_OK(rad_params_parse(&s, y, strlen(y), &e), e);
    CHECK_INT(s.bin_count, 32);
    CHECK(s.resample);
    CHECK_CLOSE(s.resampled_spacing[2], 0.3, 0, 0);
    CHECK(s.normalize);
    CHECK(isnan(s.remove_outliers));
    CHECK_INT(s.enabled[RC_SHAPE], (1 << 14) - 1);
    CHECK_INT(s.enabled[RC_NGTDM], (1 << 0) | (1 << 2));
    CHECK_INT(s.enabled[RC_GLCM], 0); /* deprecated name: accepted, computes nothing */
}

TEST(radiomics_settings_errors)
{
    struct rad_settings s;
    struct sarc_err e = {0};
    const char *bad[] = {
        "setting:\n  binWidht: 5\n",            /* unknown setting */
        "setting:\n  binWidth: -1\n",           /* out of range */
        "setting:\n  force2D: maybe\n",         /* not a boolean */
        "featureClass:\n  texture:\n",          /* unknown class */
        "featureClass:\n  glcm: [Contrastt]\n", /* unknown feature */
        "imageType:\n  LoG: {}\n",              /* other image types */
        "settings:\n  binWidth: 5\n",           /* unknown top-level key */
        "setting:\n\tbinWidth: 5\n",            /* tabs */
        "setting:\n  distances: [1, x]\n",
        "setting:\n  resampledPixelSpacing: [1, 2]\n",
        "setting:\n  interpolator: sitkGaussian\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rad_settings_default(&s);
        const int rc = rad_params_parse(&s, bad[i], strlen(bad[i]), &e);
        CHECK_MSG(rc != 0, "accepted: %s", bad[i]);
        CHECK_MSG(rc == 0 || e.msg[0], "no message for: %s", bad[i]);
    }
    rad_settings_default(&s);
    CHECK(rad_setting_set(&s, "resegmentRange", "[-3,3]", &e) == 0);
    CHECK_INT(s.nreseg, 2);
    CHECK(rad_setting_set(&s, "resegmentRange", "null", &e) == 0);
    CHECK_INT(s.nreseg, 0);
    CHECK(rad_setting_set(&s, "nonsense", "1", &e) == SARC_ERR_ARG);
    CHECK(strstr(e.msg, "nonsense") != NULL);
}
