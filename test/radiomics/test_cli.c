/* test_cli.c - the command-line contracts of issue 7, through the sarc binary under test:
 * `sarc radiomics` (CSV and JSON, --params, --setting, unknown names, one-voxel mask, --preset
 * paper, multi-contrast), `--batch` (error rows, exit 1, identical output for 1 and 3 threads),
 * `sarc regions` (with --air-threshold none the shell is exactly the 3 mm dilation minus the
 * tumour), `sarc featuremap`. Inputs: the pr_phantom golden's phantom written as NIfTI. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/morph.h"
#include "io/csv.h"
#include "io/file.h"
#include "io/volio.h"
#include "radiomics/radiomics.h"
#include "test/harness.h"

/* Writes the phantom of test/golden/radiomics/pr_phantom.txt as image/mask NIfTI files (and a
 * second contrast = image * 2 + 7, and a one-voxel mask). Returns 0, 1 = writer unavailable, -1. */
static int write_phantom(const char *img_path, const char *mask_path, const char *img2_path, const char *one_path)
{
    FILE *f = fopen("test/golden/radiomics/pr_phantom.txt", "r");
    if (!f)
        return -1;
    static char line[1 << 16];
    int64_t dim[4] = {1, 1, 1, 1};
    double sp[3] = {1, 1, 1};
    struct volume img = {0}, msk = {0};
    struct sarc_err e;
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "dims ", 5))
            sscanf(line + 5, "%lld %lld %lld", (long long *)&dim[0], (long long *)&dim[1], (long long *)&dim[2]);
        else if (!strncmp(line, "spacing ", 8))
            sscanf(line + 8, "%lf %lf %lf", &sp[0], &sp[1], &sp[2]);
        else if (!strncmp(line, "image ", 6) || !strncmp(line, "mask ", 5)) {
            struct volume *v = line[0] == 'i' ? &img : &msk;
            if (volume_alloc(v, 3, dim, &e)) {
                rc = -1;
                break;
            }
            char *p = strchr(line, ' ') + 1;
            for (int64_t t = 0; t < volume_count(v); t++)
                v->data[t] = strtod(p, &p);
            volume_set_spacing(v, sp, NULL);
            v->type = v == &img ? VT_I16 : VT_U8;
        }
    }
    fclose(f);
    if (rc == 0 && (!img.data || !msk.data))
        rc = -1;
    if (rc == 0) {
        rc = volume_write(img_path, &img, NULL, &e);
        if (rc == SARC_ERR_UNSUPPORTED)
            rc = 1;
    }
    if (rc == 0)
        rc = volume_write(mask_path, &msk, NULL, &e) ? -1 : 0;
    if (rc == 0) {
        for (int64_t t = 0; t < volume_count(&img); t++)
            img.data[t] = img.data[t] * 2 + 7;
        rc = volume_write(img2_path, &img, NULL, &e) ? -1 : 0;
    }
    if (rc == 0) {
        for (int64_t t = 0; t < volume_count(&msk); t++)
            msk.data[t] = t == 500;
        rc = volume_write(one_path, &msk, NULL, &e) ? -1 : 0;
    }
    volume_free(&img);
    volume_free(&msk);
    return rc;
}

/* The four file names of write_phantom under the test folder: TAG_img, _mask, _img2, _one.nii.gz. */
static void phantom_paths(const char *tag, char img[512], char msk[512], char img2[512], char one[512])
{
    char *const dst[4] = {img, msk, img2, one};
    static const char *const suffix[4] = {"img", "mask", "img2", "one"};
    for (int k = 0; k < 4; k++) {
        char name[128];
        snprintf(name, sizeof name, "%s_%s.nii.gz", tag, suffix[k]);
        snprintf(dst[k], 512, "%s", test_tmp(name));
    }
}

static char *slurp(const char *path)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct sarc_err e;
    if (file_read_all(path, &buf, &len, 0, &e))
        return NULL;
    return (char *)buf;
}

TEST(radiomics_cli_single_csv_json)
{
    char img[512], msk[512], img2[512], one[512];
    phantom_paths("rad", img, msk, img2, one);
    const int w = write_phantom(img, msk, img2, one);
    if (w == 1)
        SKIP("the NIfTI writer is not available yet");
    REQUIRE(w == 0);
    const char *out = test_tmp("rad_out.csv");
    /* minimumROIDimensions 1 as the golden; every default feature */
    REQUIRE_MSG(test_systemf("%s radiomics %s %s --setting minimumROIDimensions=1 -o %s --audit none", test_sarc(), img, msk, out) == 0,
                "sarc radiomics failed: %s", test_last_output());
    struct csv t;
    struct sarc_err e;
    REQUIRE_OK(csv_read(&t, out, &e), e);
    CHECK_INT(t.nrows, 1);
    CHECK_INT(t.ncols, 3 + 107);
    CHECK_STR(t.header[0], "Image");
    CHECK_STR(t.header[1], "Mask");
    CHECK_STR(t.header[2], "Label");
    CHECK_STR(csv_cell(&t, 0, 2), "1");
    /* the values equal PyRadiomics' (golden) */
    FILE *g = fopen("test/golden/radiomics/pr_phantom.txt", "r");
    REQUIRE(g);
    static char line[1 << 16];
    int checked = 0;
    while (fgets(line, sizeof line, g)) {
        char name[128];
        double ref;
        if (sscanf(line, "feature %127s %lf", name, &ref) != 2)
            continue;
        const int c = csv_col(&t, name);
        CHECK_MSG(c >= 0, "column %s missing", name);
        if (c < 0)
            continue;
        double v;
        CHECK_OK(csv_num(&t, 0, c, &v, &e), e);
        CHECK_MSG(fabs(v - ref) <= 1e-6 * fabs(ref) + 1e-12, "%s = %.17g, PyRadiomics %.17g", name, v, ref);
        checked++;
    }
    fclose(g);
    CHECK_INT(checked, 107);
    csv_free(&t);
    /* JSON: same names, an object */
    const char *oj = test_tmp("rad_out.json");
    REQUIRE(test_systemf("%s radiomics %s %s --setting minimumROIDimensions=1 -o %s --audit none", test_sarc(), img, msk, oj) == 0);
    char *js = slurp(oj);
    REQUIRE(js);
    CHECK(js[0] == '{');
    CHECK(strstr(js, "\"original_glcm_MCC\"") != NULL);
    CHECK(strstr(js, "\"original_shape_Maximum3DDiameter\"") != NULL);
    free(js);
    /* multi-contrast: shape once unprefixed, 2 x 93 prefixed */
    const char *om = test_tmp("rad_multi.csv");
    REQUIRE_MSG(test_systemf("%s radiomics --image T1=%s --image T2=%s %s --setting minimumROIDimensions=1 -o %s --audit none", test_sarc(), img, img2, msk, om) == 0,
                "%s", test_last_output());
    REQUIRE_OK(csv_read(&t, om, &e), e);
    CHECK_INT(t.ncols, 3 + 14 + 2 * 93);
    CHECK(csv_col(&t, "original_shape_MeshVolume") >= 0);
    CHECK(csv_col(&t, "T1_original_glcm_Contrast") >= 0);
    CHECK(csv_col(&t, "T2_original_firstorder_Mean") >= 0);
    const int m1 = csv_col(&t, "T1_original_firstorder_Mean"), m2 = csv_col(&t, "T2_original_firstorder_Mean");
    if (m1 >= 0 && m2 >= 0) {
        double a, b;
        CHECK_OK(csv_num(&t, 0, m1, &a, &e), e);
        CHECK_OK(csv_num(&t, 0, m2, &b, &e), e);
        CHECK_CLOSE(b, 2 * a + 7, 1e-12, 0);
    }
    csv_free(&t);
    /* bad input: a one-voxel mask, an unknown setting, a bad value: exit 2 and "sarc: " */
    CHECK_INT(test_systemf("%s radiomics %s %s -o %s --audit none", test_sarc(), img, one, test_tmp("rad_bad.csv")), 2);
    CHECK(strstr(test_last_output(), "sarc: ") != NULL && strstr(test_last_output(), "single voxel") != NULL);
    CHECK(!file_is_regular(test_tmp("rad_bad.csv")));
    CHECK_INT(test_systemf("%s radiomics %s %s --setting binWidht=5 -o %s --audit none", test_sarc(), img, msk, test_tmp("rad_bad.csv")), 2);
    CHECK(strstr(test_last_output(), "unknown setting \"binWidht\"") != NULL);
    CHECK_INT(test_systemf("%s radiomics %s %s --setting binWidth=-5 -o %s --audit none", test_sarc(), img, msk, test_tmp("rad_bad.csv")), 2);
    CHECK_INT(test_systemf("%s radiomics %s %s --label 7 -o %s --audit none", test_sarc(), img, msk, test_tmp("rad_bad.csv")), 2);
    CHECK(strstr(test_last_output(), "label 7 is not present") != NULL);
    /* --params: a PyRadiomics YAML with a feature list and settings */
    const char *yaml = test_tmp("rad_params.yaml");
    FILE *y = fopen(yaml, "w");
    REQUIRE(y);
    fputs("# PyRadiomics parameter file\nimageType:\n  Original: {}\nfeatureClass:\n  glcm:\n  - Contrast\n  - JointEntropy\n"
          "  firstorder: ~\nsetting:\n  binWidth: 10\n  minimumROIDimensions: 1\n  resegmentRange: [200, 600]\n",
          y);
    fclose(y);
    const char *op = test_tmp("rad_params.csv");
    REQUIRE_MSG(test_systemf("%s radiomics %s %s --params %s -o %s --audit none", test_sarc(), img, msk, yaml, op) == 0, "%s", test_last_output());
    REQUIRE_OK(csv_read(&t, op, &e), e);
    CHECK_INT(t.ncols, 3 + 18 + 2);
    CHECK(csv_col(&t, "original_glcm_Contrast") >= 0);
    CHECK(csv_col(&t, "original_glcm_Idm") < 0);
    csv_free(&t);
    y = fopen(yaml, "w");
    REQUIRE(y);
    fputs("imageType:\n  Wavelet: {}\n", y);
    fclose(y);
    CHECK_INT(test_systemf("%s radiomics %s %s --params %s -o %s --audit none", test_sarc(), img, msk, yaml, op), 2);
    /* --ibsi: excess kurtosis (PyRadiomics' minus 3) */
    const char *oi = test_tmp("rad_ibsi.csv");
    REQUIRE(test_systemf("%s radiomics %s %s --ibsi --setting minimumROIDimensions=1 -o %s --audit none", test_sarc(), img, msk, oi) == 0);
    struct csv ti, tp;
    REQUIRE_OK(csv_read(&ti, oi, &e), e);
    REQUIRE_OK(csv_read(&tp, out, &e), e);
    const int ki = csv_col(&ti, "original_firstorder_Kurtosis"), kp = csv_col(&tp, "original_firstorder_Kurtosis");
    if (ki >= 0 && kp >= 0) {
        double a, b;
        CHECK_OK(csv_num(&ti, 0, ki, &a, &e), e);
        CHECK_OK(csv_num(&tp, 0, kp, &b, &e), e);
        CHECK_CLOSE(a, b - 3, 1e-12, 1e-12);
    } else
        CHECK(ki >= 0 && kp >= 0);
    csv_free(&ti);
    csv_free(&tp);
    /* the paper preset runs (normalise x 100, binWidth 25, +-3 sigma excluded) and writes an audit step */
    const char *audit = test_tmp("rad_audit.jsonl");
    CHECK_INT(test_systemf("%s radiomics %s %s --preset paper --setting minimumROIDimensions=1 -o %s --audit %s", test_sarc(), img, msk, test_tmp("rad_paper.csv"), audit), 0);
    char *au = slurp(audit);
    CHECK(au && strstr(au, "\"step\":\"radiomics\"") != NULL);
    free(au);
}

TEST(radiomics_cli_batch)
{
    char img[512], msk[512], img2[512], one[512];
    phantom_paths("rb", img, msk, img2, one);
    const int w = write_phantom(img, msk, img2, one);
    if (w == 1)
        SKIP("the NIfTI writer is not available yet");
    REQUIRE(w == 0);
    const char *cases = test_tmp("rb_cases.csv");
    FILE *f = fopen(cases, "w");
    REQUIRE(f);
    fprintf(f, "Image,Mask,Label\n%s,%s,1\n%s,%s,\n%s,%s,1\n%s,%s,1\n", img, msk, img2, msk, img, one, img, test_tmp("rb_missing.nii.gz"));
    fclose(f);
    const char *o1 = test_tmp("rb_out1.csv"), *o3 = test_tmp("rb_out3.csv");
    CHECK_INT(test_systemf("%s radiomics --batch %s --setting minimumROIDimensions=1 --threads 1 -o %s --audit none", test_sarc(), cases, o1), 1);
    CHECK_INT(test_systemf("%s radiomics --batch %s --setting minimumROIDimensions=1 --threads 3 -o %s --audit none", test_sarc(), cases, o3), 1);
    char *a = slurp(o1), *b = slurp(o3);
    REQUIRE(a && b);
    CHECK_MSG(strcmp(a, b) == 0, "batch output differs between 1 and 3 threads");
    free(a);
    free(b);
    struct csv t;
    struct sarc_err e;
    REQUIRE_OK(csv_read(&t, o1, &e), e);
    CHECK_INT(t.nrows, 4);
    const int ce = csv_col(&t, "error");
    REQUIRE(ce >= 0);
    CHECK_INT(t.ncols, 3 + 107 + 1);
    CHECK_STR(csv_cell(&t, 0, ce), "");
    CHECK_STR(csv_cell(&t, 1, ce), "");
    CHECK(strstr(csv_cell(&t, 2, ce), "single voxel") != NULL);
    CHECK(csv_cell(&t, 3, ce)[0] != 0);
    CHECK_STR(csv_cell(&t, 2, 3), ""); /* empty features on an error row */
    csv_free(&t);
    /* a table without the Mask column is bad input */
    f = fopen(cases, "w");
    REQUIRE(f);
    fprintf(f, "Image,Label\n%s,1\n", img);
    fclose(f);
    CHECK_INT(test_systemf("%s radiomics --batch %s -o %s --audit none", test_sarc(), cases, o1), 2);
}

TEST(radiomics_cli_regions_featuremap)
{
    char img[512], msk[512], img2[512], one[512];
    phantom_paths("rr", img, msk, img2, one);
    const int w = write_phantom(img, msk, img2, one);
    if (w == 1)
        SKIP("the NIfTI writer is not available yet");
    REQUIRE(w == 0);
    struct volume m = {0}, tum = {0}, peri = {0}, comb = {0};
    struct sarc_err e;
    REQUIRE_OK(volume_read(msk, NULL, &m, &e), e);
    const int64_t N = volume_count(&m), dim[3] = {m.dim[0], m.dim[1], m.dim[2]};
    uint8_t *in = malloc((size_t)N), *dil = malloc((size_t)N);
    REQUIRE(in && dil);
    for (int64_t t = 0; t < N; t++)
        in[t] = m.data[t] != 0;
    const int mr = morph_apply(MORPH_DILATE, in, dim, m.spacing, 0.3, dil, &e);
    if (mr == SARC_ERR_UNSUPPORTED) {
        free(in);
        free(dil);
        volume_free(&m);
        SKIP("image/morph is not available yet");
    }
    REQUIRE_OK(mr, e);
    const char *dir = test_tmp("rr_regions");
    REQUIRE_MSG(test_systemf("%s regions --mask %s --image %s -o %s --margin-mm 0.3 --air-threshold none --audit none", test_sarc(), msk, img, dir) == 0,
                "%s", test_last_output());
    char p[1024];
    snprintf(p, sizeof p, "%s/tumor.nii.gz", dir);
    REQUIRE_OK(volume_read(p, NULL, &tum, &e), e);
    snprintf(p, sizeof p, "%s/peritumoral.nii.gz", dir);
    REQUIRE_OK(volume_read(p, NULL, &peri, &e), e);
    snprintf(p, sizeof p, "%s/combined.nii.gz", dir);
    REQUIRE_OK(volume_read(p, NULL, &comb, &e), e);
    int64_t bad = 0, shell = 0;
    for (int64_t t = 0; t < N; t++) {
        bad += tum.data[t] != in[t];
        bad += peri.data[t] != (dil[t] && !in[t]);
        bad += comb.data[t] != dil[t];
        shell += peri.data[t] != 0;
    }
    CHECK_INT(bad, 0);
    CHECK(shell > 0);
    CHECK_INT(peri.type, VT_U8);
    /* with the median threshold the shell can only shrink */
    REQUIRE(test_systemf("%s regions --mask %s --image %s -o %s --margin-mm 0.3 --audit none", test_sarc(), msk, img, dir) == 0);
    volume_free(&peri);
    snprintf(p, sizeof p, "%s/peritumoral.nii.gz", dir);
    REQUIRE_OK(volume_read(p, NULL, &peri, &e), e);
    int64_t shell2 = 0, outside = 0;
    for (int64_t t = 0; t < N; t++) {
        shell2 += peri.data[t] != 0;
        outside += peri.data[t] != 0 && !(dil[t] && !in[t]);
    }
    CHECK(shell2 <= shell);
    CHECK_INT(outside, 0);
    CHECK_INT(test_systemf("%s regions --mask %s --image %s -o %s --air-threshold bogus --audit none", test_sarc(), msk, img, dir), 2);
    /* featuremap: one NIfTI per feature; a map voxel equals the in-process value */
    const char *fdir = test_tmp("rr_maps");
    REQUIRE_MSG(test_systemf("%s featuremap %s %s -o %s --kernel-radius 1 --setting featureClass=x --audit none", test_sarc(), img, msk, fdir) == 2,
                "an unknown setting must fail");
    FILE *y = fopen(test_tmp("rr_fm.yaml"), "w");
    REQUIRE(y);
    fputs("featureClass:\n  firstorder: [Mean, Maximum]\n  glcm: [Contrast]\n", y);
    fclose(y);
    REQUIRE_MSG(test_systemf("%s featuremap %s %s -o %s --kernel-radius 1 --params %s --full-grid --audit none", test_sarc(), img, msk, fdir, test_tmp("rr_fm.yaml")) == 0,
                "%s", test_last_output());
    struct volume mean = {0}, image = {0};
    snprintf(p, sizeof p, "%s/original_firstorder_Mean.nii.gz", fdir);
    REQUIRE_OK(volume_read(p, NULL, &mean, &e), e);
    REQUIRE_OK(volume_read(img, NULL, &image, &e), e);
    /* at an interior ROI voxel the map equals the mean of its 3x3x3 ROI neighbourhood */
    int64_t v = -1;
    for (int64_t t = 0; t < N && v < 0; t++) {
        const int64_t i = t % dim[0], j = t / dim[0] % dim[1], k = t / (dim[0] * dim[1]);
        if (i > 0 && j > 0 && k > 0 && i < dim[0] - 1 && j < dim[1] - 1 && k < dim[2] - 1 && in[t])
            v = t;
    }
    REQUIRE(v >= 0);
    double sum = 0;
    int cnt = 0;
    for (int dk = -1; dk <= 1; dk++)
        for (int dj = -1; dj <= 1; dj++)
            for (int di = -1; di <= 1; di++) {
                const int64_t u = v + di + dim[0] * (dj + dim[1] * dk);
                if (in[u]) {
                    sum += image.data[u];
                    cnt++;
                }
            }
    CHECK_CLOSE(mean.data[v], sum / cnt, 1e-6, 0); /* float32 map */
    CHECK_INT(mean.data[0], 0); /* initValue outside */
    snprintf(p, sizeof p, "%s/original_glcm_Contrast.nii.gz", fdir);
    CHECK(file_is_regular(p));
    snprintf(p, sizeof p, "%s/original_glcm_Idm.nii.gz", fdir);
    CHECK(!file_is_regular(p));
    volume_free(&mean);
    volume_free(&image);
    free(in);
    free(dil);
    volume_free(&m);
    volume_free(&tum);
    volume_free(&peri);
    volume_free(&comb);
}

/* A resegmentation that keeps less than half of the ROI is said on stderr (not with -q); a
 * mild one is not. */
TEST(radiomics_cli_resegmentation_note)
{
    char img[512], msk[512], img2[512], one[512];
    phantom_paths("rn", img, msk, img2, one);
    REQUIRE(write_phantom(img, msk, img2, one) == 0);
    const char *out = test_tmp("rn.csv");
    REQUIRE_MSG(test_systemf("%s radiomics %s %s --setting resegmentMode=sigma --setting resegmentRange=[-0.3,0.3] -o %s --audit none",
                    test_sarc(), img, msk, out) == 0, "%s", test_last_output());
    CHECK_MSG(strstr(test_last_output(), "resegmentation kept") != NULL, "no note: %s", test_last_output());
    REQUIRE(test_systemf("%s radiomics %s %s --setting resegmentMode=sigma --setting resegmentRange=[-0.3,0.3] -o %s -q --audit none",
                test_sarc(), img, msk, out) == 0);
    CHECK(strstr(test_last_output(), "resegmentation kept") == NULL);
    REQUIRE(test_systemf("%s radiomics %s %s --setting resegmentMode=sigma --setting resegmentRange=[-3,3] -o %s --audit none",
                test_sarc(), img, msk, out) == 0);
    CHECK_MSG(strstr(test_last_output(), "resegmentation kept") == NULL, "unexpected note: %s", test_last_output());
    const char *dir = test_tmp("rn_maps");
    REQUIRE_MSG(test_systemf("%s featuremap %s %s -o %s --setting resegmentMode=sigma --setting resegmentRange=[-0.3,0.3] "
                    "--kernel-radius 1 --audit none",
                    test_sarc(), img, msk, dir) == 0, "%s", test_last_output());
    CHECK_MSG(strstr(test_last_output(), "resegmentation kept") != NULL, "no featuremap note: %s", test_last_output());
}
