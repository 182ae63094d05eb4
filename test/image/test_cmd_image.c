/* test_cmd_image.c - the command-line contracts of issue 8 end to end through the sarc binary:
 * morph (equals morph_apply), components (--largest, label numbering), resample (dims/affine),
 * n4 (OUT * B = IN, bias written), growcut (a mask), and bad input: exit status 2, the message
 * "sarc: <file>: ...", no output file left behind. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/components.h"
#include "image/morph.h"
#include "io/file.h"
#include "io/volio.h"
#include "test/harness.h"
#include "test/image/image_testutil.h"

/* Writes a 24 x 22 x 10 mask (two blobs) and a matching image into the scratch folder. */
static int cli_inputs(const char *mask_path, const char *img_path, const char *seed_path)
{
    const int64_t dim[4] = {24, 22, 10, 1};
    struct volume m, im, sd;
    struct sarc_err e = {0};
    if (volume_alloc(&m, 3, dim, &e) || volume_alloc(&im, 3, dim, &e) || volume_alloc(&sd, 3, dim, &e))
        return -1;
    const double sp[3] = {0.3, 0.3, 0.9};
    volume_set_spacing(&m, sp, NULL);
    volume_set_spacing(&im, sp, NULL);
    volume_set_spacing(&sd, sp, NULL);
    for (int k = 0; k < 10; k++)
        for (int j = 0; j < 22; j++)
            for (int i = 0; i < 24; i++) {
                const int64_t idx = i + 24 * (j + 22 * k);
                const double x = (i - 10) * 0.3, y = (j - 11) * 0.3, z = (k - 5) * 0.9;
                const int big = x * x + y * y + z * z < 2.0 * 2.0;
                const int small = i >= 19 && i <= 21 && j >= 2 && j <= 4 && k >= 1 && k <= 2;
                m.data[idx] = big || small;
                im.data[idx] = (big ? 150 : 100) * (1 + 0.02 * i) + 10 * img_hash01((uint64_t)idx, 9);
                sd.data[idx] = (i == 10 && j == 11 && k == 5) ? 1 : (i == 0 || i == 23) ? 2 : 0;
            }
    m.type = VT_U8;
    sd.type = VT_U8;
    int rc = volume_write(mask_path, &m, NULL, &e) || volume_write(img_path, &im, NULL, &e) ||
             volume_write(seed_path, &sd, NULL, &e);
    volume_free(&m), volume_free(&im), volume_free(&sd);
    return rc ? -1 : 0;
}

static int nifti_available(void)
{
    const int64_t dim[4] = {2, 2, 2, 1};
    struct volume v;
    struct sarc_err e = {0};
    if (volume_alloc(&v, 3, dim, &e))
        return 0;
    const int ok = volume_write(test_tmp("probe.nii.gz"), &v, NULL, &e) == 0;
    volume_free(&v);
    return ok;
}

TEST(image_cli_contracts)
{
    if (!nifti_available())
        SKIP("NIfTI writing is not available in this build");
    char mask[512], img[512], seeds[512], out[512], out2[512], cmd[4096];
    snprintf(mask, sizeof mask, "%s", test_tmp("cli_mask.nii.gz"));
    snprintf(img, sizeof img, "%s", test_tmp("cli_img.nii.gz"));
    snprintf(seeds, sizeof seeds, "%s", test_tmp("cli_seeds.nii.gz"));
    REQUIRE(cli_inputs(mask, img, seeds) == 0);
    struct volume m, o;
    struct sarc_err e = {0};
    REQUIRE_OK(volume_read(mask, NULL, &m, &e), e);
    const int64_t n = volume_count(&m);
    uint8_t *mb = malloc((size_t)n), *ref = malloc((size_t)n);
    for (int64_t i = 0; i < n; i++)
        mb[i] = m.data[i] != 0;

    /* morph dilate 1 mm = morph_apply */
    snprintf(out, sizeof out, "%s", test_tmp("cli_dil.nii.gz"));
    snprintf(cmd, sizeof cmd, "%s morph dilate %s -o %s --radius-mm 1 --audit none", test_sarc(), mask, out);
    CHECK_INT(test_system(cmd), 0);
    CHECK_OK(morph_apply(MORPH_DILATE, mb, m.dim, m.spacing, 1.0, ref, &e), e);
    if (volume_read(out, NULL, &o, &e) == 0) {
        int64_t nd = 0;
        for (int64_t i = 0; i < n; i++)
            nd += (o.data[i] != 0) != ref[i];
        CHECK_INT(nd, 0);
        CHECK(volume_same_grid(&o, &m, 1e-6));
        volume_free(&o);
    } else
        CHECK_OK(-1, e);

    /* components --largest: the big blob only */
    snprintf(out, sizeof out, "%s", test_tmp("cli_cc.nii.gz"));
    snprintf(cmd, sizeof cmd, "%s components %s -o %s --largest --connectivity 6 --audit none", test_sarc(), mask, out);
    CHECK_INT(test_system(cmd), 0);
    memcpy(ref, mb, (size_t)n);
    CHECK_OK(components_keep_largest(ref, m.dim, 6, &e), e);
    if (volume_read(out, NULL, &o, &e) == 0) {
        int64_t nd = 0, cnt = 0;
        for (int64_t i = 0; i < n; i++) {
            nd += (o.data[i] != 0) != ref[i];
            cnt += o.data[i] != 0;
        }
        CHECK_INT(nd, 0);
        CHECK(cnt > 100);
        volume_free(&o);
    } else
        CHECK_OK(-1, e);
    /* plain labelling: 2 components, table on stdout */
    snprintf(cmd, sizeof cmd, "%s components %s -o %s --audit none", test_sarc(), mask, out);
    CHECK_INT(test_system(cmd), 0);
    CHECK(strstr(test_last_output(), "label\tvoxels") != NULL);
    if (volume_read(out, NULL, &o, &e) == 0) {
        struct vstats s;
        volume_stats(&o, &s);
        CHECK_CLOSE(s.max, 2.0, 0, 0);
        volume_free(&o);
    }

    /* resample to 0.6 mm isotropic: dims round(24*0.3/0.6)=12, 11, 15 */
    snprintf(out, sizeof out, "%s", test_tmp("cli_rs.nii.gz"));
    snprintf(cmd, sizeof cmd, "%s resample %s -o %s --spacing 0.6,0.6,0.6 --interp bspline --audit none", test_sarc(), img, out);
    CHECK_INT(test_system(cmd), 0);
    if (volume_read(out, NULL, &o, &e) == 0) {
        CHECK_INT(o.dim[0], 12);
        CHECK_INT(o.dim[1], 11);
        CHECK_INT(o.dim[2], 15);
        CHECK_CLOSE(o.spacing[2], 0.6, 1e-6, 0);
        volume_free(&o);
    } else
        CHECK_OK(-1, e);

    /* n4 with a bias output: OUT * B = IN */
    snprintf(out, sizeof out, "%s", test_tmp("cli_n4.nii.gz"));
    snprintf(out2, sizeof out2, "%s", test_tmp("cli_bias.nii.gz"));
    snprintf(cmd, sizeof cmd, "%s n4 %s -o %s --mask %s --bias-out %s --iterations 10,10 --audit none", test_sarc(), img,
             out, mask, out2);
    CHECK_INT(test_system(cmd), 0);
    struct volume in, b;
    if (volume_read(out, NULL, &o, &e) == 0 && volume_read(out2, NULL, &b, &e) == 0 && volume_read(img, NULL, &in, &e) == 0) {
        double worst = 0;
        for (int64_t i = 0; i < n; i++)
            worst = fmax(worst, fabs(o.data[i] * b.data[i] - in.data[i]) / fabs(in.data[i]));
        CHECK_MSG(worst < 1e-5, "OUT * B differs from IN by %g (relative; float32 files)", worst);
        volume_free(&o), volume_free(&b), volume_free(&in);
    } else
        CHECK_OK(-1, e);

    /* growcut: the seed at the blob centre grows over the blob */
    snprintf(out, sizeof out, "%s", test_tmp("cli_gc.nii.gz"));
    snprintf(cmd, sizeof cmd, "%s growcut %s --seeds %s -o %s --audit none", test_sarc(), img, seeds, out);
    CHECK_INT(test_system(cmd), 0);
    if (volume_read(out, NULL, &o, &e) == 0) {
        int64_t inter = 0, a = 0, t = 0;
        for (int64_t i = 0; i < n; i++) {
            const int big = mb[i] && (i % 24) < 17;
            inter += (o.data[i] != 0) && big;
            a += o.data[i] != 0;
            t += big;
        }
        CHECK_MSG(2.0 * inter / (double)(a + t) > 0.85, "growcut CLI Dice %.3f", 2.0 * inter / (double)(a + t));
        volume_free(&o);
    } else
        CHECK_OK(-1, e);

    /* bad input: exit 2, "sarc: <file>: ...", no output left */
    snprintf(out, sizeof out, "%s", test_tmp("cli_bad.nii.gz"));
    unlink(out);
    snprintf(cmd, sizeof cmd, "%s morph dilate %s -o %s --radius-mm 1 --audit none", test_sarc(), test_tmp("nope.nii.gz"), out);
    CHECK_INT(test_system(cmd), 2);
    CHECK(strstr(test_last_output(), "sarc: ") != NULL && strstr(test_last_output(), "nope.nii.gz") != NULL);
    CHECK(access(out, F_OK) != 0);
    snprintf(cmd, sizeof cmd, "%s morph dilate %s -o %s --radius-mm -3 --audit none", test_sarc(), mask, out);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s components %s -o %s --connectivity 7 --audit none", test_sarc(), mask, out);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s resample %s -o %s --spacing 1,0,1 --audit none", test_sarc(), img, out);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s n4 %s -o %s --iterations 5,x --audit none", test_sarc(), img, out);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s growcut %s --seeds %s -o %s --audit none", test_sarc(), img, img, out);
    CHECK_INT(test_system(cmd), 2);
    CHECK(strstr(test_last_output(), "seed value") != NULL);
    CHECK(access(out, F_OK) != 0);
    volume_free(&m);
    free(mb), free(ref);
}

/* Writes a uint8 volume of cli_inputs' grid from a byte array. */
static int write_u8(const char *path, const uint8_t *b)
{
    const int64_t dim[4] = {24, 22, 10, 1};
    const double sp[3] = {0.3, 0.3, 0.9};
    struct volume v;
    struct sarc_err e = {0};
    if (volume_alloc(&v, 3, dim, &e))
        return -1;
    volume_set_spacing(&v, sp, NULL);
    for (int64_t i = 0; i < volume_count(&v); i++)
        v.data[i] = b[i];
    v.type = VT_U8;
    const int rc = volume_write(path, &v, NULL, &e);
    volume_free(&v);
    return rc ? -1 : 0;
}

/* Number of voxels where two volumes' data differ (-1: unreadable or other size). */
static int64_t files_differ(const char *a, const char *b)
{
    struct volume va, vb;
    struct sarc_err e = {0};
    if (volume_read(a, NULL, &va, &e))
        return -1;
    if (volume_read(b, NULL, &vb, &e)) {
        volume_free(&va);
        return -1;
    }
    int64_t nd = volume_count(&va) == volume_count(&vb) ? 0 : -1;
    for (int64_t i = 0; nd >= 0 && i < volume_count(&va); i++)
        nd += va.data[i] != vb.data[i];
    volume_free(&va), volume_free(&vb);
    return nd;
}

/* sarc n4 --exclude LABEL --exclude-margin-mm R is exactly n4 with --mask = (the mask, or Otsu's
 * foreground) minus LABEL dilated by R mm (morph_apply); recorded in the audit trail; an exclusion
 * that leaves nothing, or a margin without a label, is exit 2 with no output. */
TEST(image_cli_n4_exclude)
{
    if (!nifti_available())
        SKIP("NIfTI writing is not available in this build");
    char mask[512], img[512], seeds[512], label[512], tissue[512], fit[512], out[512], out2[512], cmd[4096];
    snprintf(mask, sizeof mask, "%s", test_tmp("x_mask.nii.gz"));
    snprintf(img, sizeof img, "%s", test_tmp("x_img.nii.gz"));
    snprintf(seeds, sizeof seeds, "%s", test_tmp("x_seeds.nii.gz"));
    snprintf(label, sizeof label, "%s", test_tmp("x_label.nii.gz"));
    snprintf(tissue, sizeof tissue, "%s", test_tmp("x_tissue.nii.gz"));
    snprintf(fit, sizeof fit, "%s", test_tmp("x_fit.nii.gz"));
    REQUIRE(cli_inputs(mask, img, seeds) == 0);
    const int64_t dim[3] = {24, 22, 10}, n = 24 * 22 * 10;
    const double sp[3] = {0.3, 0.3, 0.9};
    uint8_t *lab = calloc((size_t)n, 1), *tis = malloc((size_t)n), *dil = malloc((size_t)n), *fm = malloc((size_t)n);
    REQUIRE(lab && tis && dil && fm);
    for (int64_t i = 0; i < n; i++) {
        const int64_t x = i % 24, y = (i / 24) % 22, z = i / (24 * 22);
        lab[i] = x >= 8 && x <= 12 && y >= 9 && y <= 13 && z >= 4 && z <= 6;
        tis[i] = x < 22;
    }
    REQUIRE(write_u8(label, lab) == 0 && write_u8(tissue, tis) == 0);
    struct sarc_err e = {0};
    REQUIRE_OK(morph_apply(MORPH_DILATE, lab, dim, sp, 0.5, dil, &e), e);
    int64_t nfit = 0, nlab = 0;
    for (int64_t i = 0; i < n; i++) {
        fm[i] = tis[i] && !dil[i];
        nfit += fm[i];
        nlab += dil[i] && tis[i];
    }
    CHECK(nlab > 27 && nfit > 3000); /* the margin grew the label; most tissue stays */
    REQUIRE(write_u8(fit, fm) == 0);

    /* with --mask */
    snprintf(out, sizeof out, "%s", test_tmp("x_a.nii.gz"));
    snprintf(out2, sizeof out2, "%s", test_tmp("x_b.nii.gz"));
    const char *audit = test_tmp("x_audit.jsonl");
    unlink(audit);
    snprintf(cmd, sizeof cmd, "%s n4 %s -o %s --mask %s --exclude %s --exclude-margin-mm 0.5 --iterations 10,10 --audit %s",
             test_sarc(), img, out, tissue, label, audit);
    CHECK_INT(test_system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s n4 %s -o %s --mask %s --iterations 10,10 --audit none", test_sarc(), img, out2, fit);
    CHECK_INT(test_system(cmd), 0);
    CHECK_INT(files_differ(out, out2), 0);
    size_t len = 0;
    uint8_t *trail = NULL;
    if (file_read_all(audit, &trail, &len, 0, &e) == 0) {
        CHECK(strstr((const char *)trail, "\"n4_fit_mask\"") != NULL);
        CHECK(strstr((const char *)trail, "exclude_margin_mm") != NULL);
        free(trail);
    } else
        CHECK_OK(-1, e);

    /* default (Otsu) mask */
    struct volume im;
    REQUIRE_OK(volume_read(img, NULL, &im, &e), e);
    const double t = otsu_threshold(im.data, n, 256);
    for (int64_t i = 0; i < n; i++)
        fm[i] = im.data[i] > t && !lab[i];
    volume_free(&im);
    REQUIRE(write_u8(fit, fm) == 0);
    snprintf(cmd, sizeof cmd, "%s n4 %s -o %s --exclude %s --iterations 10,10 --audit none", test_sarc(), img, out, label);
    CHECK_INT(test_system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s n4 %s -o %s --mask %s --iterations 10,10 --audit none", test_sarc(), img, out2, fit);
    CHECK_INT(test_system(cmd), 0);
    CHECK_INT(files_differ(out, out2), 0);

    /* bad: margin without a label; an exclusion that covers the whole fit mask */
    snprintf(out, sizeof out, "%s", test_tmp("x_bad.nii.gz"));
    unlink(out);
    snprintf(cmd, sizeof cmd, "%s n4 %s -o %s --exclude-margin-mm 1 --audit none", test_sarc(), img, out);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s n4 %s -o %s --mask %s --exclude %s --audit none", test_sarc(), img, out, label, tissue);
    CHECK_INT(test_system(cmd), 2);
    CHECK(strstr(test_last_output(), "leaves no voxel") != NULL);
    CHECK(access(out, F_OK) != 0);
    /* a garbage or truncated label file: exit 2, "sarc: <file>: ...", no output */
    const char *junk = test_tmp("x_junk.nii.gz");
    FILE *f = fopen(junk, "wb");
    REQUIRE(f);
    fputs("\x1f\x8b not really gzip", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s n4 %s -o %s --exclude %s --audit none", test_sarc(), img, out, junk);
    CHECK_INT(test_system(cmd), 2);
    CHECK(strstr(test_last_output(), "sarc: ") != NULL && strstr(test_last_output(), "x_junk.nii.gz") != NULL);
    CHECK(access(out, F_OK) != 0);
    free(lab), free(tis), free(dil), free(fm);
}
