/* test_rdiag_frame.c - 4-D inputs of `sarc radiomics` and `sarc regions` (cmd/cmd_radiomics.c):
 * a 4-D image without --frame is an error naming the file and the frame count; --frame K uses
 * frame K (the same features as the 3-D frame on its own; 3-D images are used as they are), also
 * with --image and --batch; a frame beyond the file and a 4-D mask are errors; regions takes
 * --frame too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "io/volio.h"
#include "test/harness.h"

static char g_p[6][1024];

/* 8 x 7 x 6 x 3 image (frame f: distinct values), its frame 1 as a 3-D file, a 3-D mask, a 4-D
 * mask. 0 ok, 1 writer unavailable. */
static int frame_inputs(void)
{
    static const char *const names[6] = {"fr_img4.nii.gz", "fr_img_f1.nii.gz", "fr_msk.nii.gz", "fr_msk4.nii.gz",
                                         "fr_out.csv", "fr_cases.csv"};
    for (int q = 0; q < 6; q++)
        snprintf(g_p[q], sizeof g_p[q], "%s", test_tmp(names[q]));
    const int64_t d4[4] = {8, 7, 6, 3}, d3[4] = {8, 7, 6, 1};
    struct volume v4 = {0}, v1 = {0}, m = {0}, m4 = {0};
    struct sarc_err e;
    int rc = -1;
    if (volume_alloc(&v4, 4, d4, &e) || volume_alloc(&v1, 3, d3, &e) || volume_alloc(&m, 3, d3, &e) ||
        volume_alloc(&m4, 4, d4, &e))
        goto done;
    const int64_t N = 8 * 7 * 6;
    for (int f = 0; f < 3; f++)
        for (int64_t t = 0; t < N; t++)
            v4.data[f * N + t] = (double)(((t * 13 + 7 * f) % 50) * (f + 1));
    memcpy(v1.data, v4.data + N, (size_t)N * sizeof *v1.data);
    for (int k = 1; k < 5; k++)
        for (int j = 1; j < 5; j++)
            for (int i = 2; i < 6; i++)
                m.data[i + 8 * (j + 7 * k)] = m4.data[i + 8 * (j + 7 * k)] = 1;
    v4.type = v1.type = VT_I16;
    m.type = m4.type = VT_U8;
    rc = volume_write(g_p[0], &v4, NULL, &e);
    if (rc == SARC_ERR_UNSUPPORTED) {
        rc = 1;
        goto done;
    }
    if (rc || volume_write(g_p[1], &v1, NULL, &e) || volume_write(g_p[2], &m, NULL, &e) || volume_write(g_p[3], &m4, NULL, &e))
        rc = -1;
done:
    volume_free(&v4);
    volume_free(&v1);
    volume_free(&m);
    volume_free(&m4);
    return rc;
}

/* The value of column name in row r of a CSV file, copied into out; 0 or -1. */
static int csv_value(const char *path, int r, const char *name, char *out, size_t size)
{
    struct csv t;
    struct sarc_err e;
    if (csv_read(&t, path, &e))
        return -1;
    const int c = csv_col(&t, name);
    int rc = -1;
    if (c >= 0 && r < t.nrows) {
        snprintf(out, size, "%s", csv_cell(&t, r, c));
        rc = 0;
    }
    csv_free(&t);
    return rc;
}

TEST(rdiag_frame_radiomics)
{
    const int w = frame_inputs();
    REQUIRE(w >= 0);
    if (w == 1)
        SKIP("NIfTI writer unavailable");
    static char cmd[8192];
    char want[64], got[64];
    const char *feat = "original_firstorder_Mean";
    /* 4-D without --frame: exit 2, "sarc: <file>: 4-D image (3 frames): choose one with --frame K" */
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s -o %s", test_sarc(), g_p[0], g_p[2], g_p[4]);
    CHECK_INT(test_system(cmd), 2);
    char msg[2048];
    snprintf(msg, sizeof msg, "sarc: %s: 4-D image (3 frames): choose one with --frame K", g_p[0]);
    CHECK_MSG(strstr(test_last_output(), msg) != NULL, "got: %s", test_last_output());
    /* --frame 1 equals the 3-D frame 1 */
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s -o %s", test_sarc(), g_p[1], g_p[2], g_p[4]);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    REQUIRE(csv_value(g_p[4], 0, feat, want, sizeof want) == 0);
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s --frame 1 -o %s", test_sarc(), g_p[0], g_p[2], g_p[4]);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    REQUIRE(csv_value(g_p[4], 0, feat, got, sizeof got) == 0);
    CHECK_STR(got, want);
    /* frame 0 differs from frame 1 */
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s --frame 0 -o %s", test_sarc(), g_p[0], g_p[2], g_p[4]);
    REQUIRE(test_system(cmd) == 0);
    REQUIRE(csv_value(g_p[4], 0, feat, got, sizeof got) == 0);
    CHECK(strcmp(got, want) != 0);
    /* a 3-D image is used as it is */
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s --frame 2 -o %s", test_sarc(), g_p[1], g_p[2], g_p[4]);
    CHECK_INT(test_system(cmd), 0);
    REQUIRE(csv_value(g_p[4], 0, feat, got, sizeof got) == 0);
    CHECK_STR(got, want);
    /* out of range, not a number, a 4-D mask */
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s --frame 3 -o %s", test_sarc(), g_p[0], g_p[2], g_p[4]);
    CHECK_INT(test_system(cmd), 2);
    CHECK(strstr(test_last_output(), g_p[0]) != NULL);
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s --frame -1 -o %s", test_sarc(), g_p[0], g_p[2], g_p[4]);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s --frame 1 -o %s", test_sarc(), g_p[0], g_p[3], g_p[4]);
    CHECK_INT(test_system(cmd), 2);
    snprintf(msg, sizeof msg, "sarc: %s: 4-D mask (3 frames)", g_p[3]);
    CHECK_MSG(strstr(test_last_output(), msg) != NULL, "got: %s", test_last_output());
    /* multi-contrast: --frame applies to the 4-D images */
    snprintf(cmd, sizeof cmd, "%s radiomics --image A=%s --image B=%s %s --frame 1 -o %s", test_sarc(), g_p[0], g_p[1], g_p[2], g_p[4]);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    REQUIRE(csv_value(g_p[4], 0, "A_original_firstorder_Mean", got, sizeof got) == 0);
    CHECK_STR(got, want);
    snprintf(cmd, sizeof cmd, "%s radiomics --image A=%s --image B=%s %s -o %s", test_sarc(), g_p[0], g_p[1], g_p[2], g_p[4]);
    CHECK_INT(test_system(cmd), 2);
    /* batch: --frame for every case; without it the 4-D case is an error row */
    FILE *f = fopen(g_p[5], "w");
    REQUIRE(f);
    fprintf(f, "Image,Mask\n%s,%s\n%s,%s\n", g_p[1], g_p[2], g_p[0], g_p[2]);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s radiomics --batch %s --frame 1 -o %s", test_sarc(), g_p[5], g_p[4]);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    REQUIRE(csv_value(g_p[4], 1, feat, got, sizeof got) == 0);
    CHECK_STR(got, want);
    snprintf(cmd, sizeof cmd, "%s radiomics --batch %s -o %s", test_sarc(), g_p[5], g_p[4]);
    CHECK_INT(test_system(cmd), 1);
    char err[512];
    REQUIRE(csv_value(g_p[4], 1, "error", err, sizeof err) == 0);
    CHECK_MSG(strstr(err, "4-D image (3 frames): choose one with --frame K") != NULL, "error cell: %s", err);
}

TEST(rdiag_frame_regions)
{
    const int w = frame_inputs();
    REQUIRE(w >= 0);
    if (w == 1)
        SKIP("NIfTI writer unavailable");
    static char cmd[8192];
    char dir[1024], p[1200];
    snprintf(dir, sizeof dir, "%s", test_tmp("fr_regions"));
    snprintf(cmd, sizeof cmd, "%s regions --mask %s --image %s -o %s --audit none", test_sarc(), g_p[2], g_p[0], dir);
    CHECK_INT(test_system(cmd), 2);
    char msg[2048];
    snprintf(msg, sizeof msg, "sarc: %s: 4-D image (3 frames): choose one with --frame K", g_p[0]);
    CHECK_MSG(strstr(test_last_output(), msg) != NULL, "got: %s", test_last_output());
    snprintf(p, sizeof p, "%s/tumor.nii.gz", dir);
    FILE *ex = fopen(p, "r");
    CHECK(ex == NULL);
    if (ex)
        fclose(ex);
    snprintf(cmd, sizeof cmd, "%s regions --mask %s --image %s -o %s --frame 2 --audit none", test_sarc(), g_p[2], g_p[0], dir);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    struct volume t = {0};
    struct sarc_err e;
    REQUIRE_OK(volume_read(p, NULL, &t, &e), e);
    CHECK_INT(t.dim[3], 1);
    CHECK_INT(t.dim[0], 8);
    volume_free(&t);
    snprintf(cmd, sizeof cmd, "%s regions --mask %s --image %s -o %s --frame x --audit none", test_sarc(), g_p[2], g_p[0], dir);
    CHECK_INT(test_system(cmd), 2);
}

/* featuremap: a 4-D image needs --frame; --frame 1 gives the same maps as the 3-D frame 1 file. */
TEST(rdiag_frame_featuremap)
{
    const int w = frame_inputs();
    REQUIRE(w >= 0);
    if (w == 1)
        SKIP("NIfTI writer unavailable");
    static char cmd[8192];
    char d4[1024], d3[1024], p4[1200], p3[1200];
    snprintf(d4, sizeof d4, "%s", test_tmp("fr_fm4"));
    snprintf(d3, sizeof d3, "%s", test_tmp("fr_fm3"));
    snprintf(cmd, sizeof cmd, "%s featuremap %s %s -o %s --kernel-radius 1 --setting binWidth=10 --audit none", test_sarc(),
             g_p[0], g_p[2], d4);
    CHECK_INT(test_system(cmd), 2);
    char msg[2048];
    snprintf(msg, sizeof msg, "sarc: %s: 4-D image (3 frames): choose one with --frame K", g_p[0]);
    CHECK_MSG(strstr(test_last_output(), msg) != NULL, "got: %s", test_last_output());
    snprintf(cmd, sizeof cmd, "%s featuremap %s %s -o %s --kernel-radius 1 --setting binWidth=10 --frame 1 --audit none",
             test_sarc(), g_p[0], g_p[2], d4);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    snprintf(cmd, sizeof cmd, "%s featuremap %s %s -o %s --kernel-radius 1 --setting binWidth=10 --audit none", test_sarc(),
             g_p[1], g_p[2], d3);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    static const char *const maps[2] = {"original_firstorder_Mean", "original_glcm_Contrast"};
    for (int q = 0; q < 2; q++) {
        snprintf(p4, sizeof p4, "%s/%s.nii.gz", d4, maps[q]);
        snprintf(p3, sizeof p3, "%s/%s.nii.gz", d3, maps[q]);
        struct volume a = {0}, b = {0};
        struct sarc_err e;
        REQUIRE_OK(volume_read(p4, NULL, &a, &e), e);
        REQUIRE_OK(volume_read(p3, NULL, &b, &e), e);
        int64_t nd = volume_count(&a) == volume_count(&b) ? 0 : -1, nz = 0;
        for (int64_t i = 0; nd >= 0 && i < volume_count(&a); i++) {
            nd += a.data[i] != b.data[i];
            nz += a.data[i] != 0;
        }
        CHECK_INT(nd, 0);
        CHECK(nz > 0);
        volume_free(&a);
        volume_free(&b);
    }
    snprintf(cmd, sizeof cmd, "%s featuremap %s %s -o %s --frame 3 --audit none", test_sarc(), g_p[0], g_p[2], d4);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s featuremap %s %s -o %s --frame x --audit none", test_sarc(), g_p[0], g_p[2], d4);
    CHECK_INT(test_system(cmd), 2);
    CHECK(strstr(test_last_output(), "sarc: --frame:") != NULL);
}
