/* test_cli.c - the sarc binary end to end (through test_sarc()): version, help, unknown command,
 * bad options, missing and truncated files (exit 2 with "sarc: <file>: ..."), convert round trips
 * (.nii -> .nii.gz -> .nii, --type, --frame) with an audit trail whose SHA-256 values equal the
 * files' (and `sarc audit show` printing it), no output left behind by a failed convert. */
#include <stdlib.h>

#include "io/audit.h"
#include "io/file.h"
#include "io/nifti.h"
#include "test/harness.h"

/* Runs "sarc ARGS" and returns the exit status (output in test_last_output()). */
static int sarc(const char *args)
{
    char cmd[8192];
    if (snprintf(cmd, sizeof cmd, "%s %s", test_sarc(), args) >= (int)sizeof cmd)
        return -2;
    return test_system(cmd);
}

static int starts_with_sarc(void) { return strncmp(test_last_output(), "sarc: ", 6) == 0; }

TEST(cli_version_help_unknown)
{
    if (!file_is_regular(test_sarc()))
        SKIP("sarc binary not built");
    CHECK_INT(sarc("version"), 0);
    CHECK(strstr(test_last_output(), "sarc ") && strstr(test_last_output(), "commit:") && strstr(test_last_output(), "cuda:"));
    CHECK_INT(sarc("help"), 0);
    CHECK(strstr(test_last_output(), "convert") && strstr(test_last_output(), "--seed"));
    CHECK_INT(sarc(""), 2);
    CHECK_INT(sarc("frobnicate"), 2);
    CHECK(starts_with_sarc());
    CHECK_INT(sarc("info --help"), 0);
    CHECK(strstr(test_last_output(), "Usage: sarc info") != NULL);
    CHECK_INT(sarc("convert --help"), 0);
    CHECK_INT(sarc("audit --help"), 0);
}

TEST(cli_bad_arguments)
{
    if (!file_is_regular(test_sarc()))
        SKIP("sarc binary not built");
    CHECK_INT(sarc("info"), 2);
    CHECK_INT(sarc("info --bogus x.nii"), 2);
    CHECK(starts_with_sarc());
    CHECK_INT(sarc("convert onlyone.nii"), 2);
    CHECK_INT(sarc("convert a.nii b.nii c.nii"), 2);
    CHECK_INT(sarc("convert a.nii b.nii --type complex64"), 2);
    CHECK(strstr(test_last_output(), "sarc: --type: ") != NULL);
    CHECK_INT(sarc("convert a.nii b.nii --frame -1"), 2);
    CHECK_INT(sarc("convert a.nii b.nii --frame"), 2);
    CHECK_INT(sarc("convert a.nii b.nii --seed x"), 2);
    CHECK_INT(sarc("convert a.nii b.txt --audit none"), 2);
    CHECK(strstr(test_last_output(), "sarc: b.txt: ") != NULL);
    CHECK_INT(sarc("audit"), 2);
    CHECK_INT(sarc("audit list x"), 2);
    CHECK_INT(sarc("--threads abc info x"), 2);
}

TEST(cli_missing_and_truncated_files)
{
    if (!file_is_regular(test_sarc()))
        SKIP("sarc binary not built");
    char args[2048];
    const char *missing = test_tmp("does_not_exist.nii");
    snprintf(args, sizeof args, "info %s", missing);
    CHECK_INT(sarc(args), 2);
    char want[1100];
    snprintf(want, sizeof want, "sarc: %s: ", missing);
    CHECK_MSG(strncmp(test_last_output(), want, strlen(want)) == 0, "got: %s", test_last_output());
    /* a valid file, then every kind of cut */
    struct volume v = {0};
    struct sarc_err e = {0};
    int64_t dim[4] = {6, 5, 4, 1};
    REQUIRE_OK(volume_alloc(&v, 3, dim, &e), e);
    for (int i = 0; i < 120; i++)
        v.data[i] = i;
    v.type = VT_I16;
    const char *good = test_tmp("good.nii.gz");
    REQUIRE_OK(nifti_write(good, &v, NULL, &e), e);
    volume_free(&v);
    uint8_t *b = NULL;
    size_t n = 0;
    REQUIRE_OK(file_read_all(good, &b, &n, 0, &e), e);
    const char *cut = test_tmp("cut.nii.gz");
    for (size_t k = 0; k < n; k += n / 7 + 1) {
        REQUIRE_OK(file_write_atomic(cut, b, k, &e), e);
        snprintf(args, sizeof args, "info %s", cut);
        int rc = sarc(args);
        CHECK_MSG(rc == 2 && starts_with_sarc(), "cut at %zu of %zu: rc %d, %s", k, n, rc, test_last_output());
    }
    free(b);
    /* not NIfTI at all */
    const char *junk = test_tmp("junk.nii");
    REQUIRE_OK(file_write_atomic(junk, "hello world, not an image", 25, &e), e);
    snprintf(args, sizeof args, "info %s %s", good, junk);
    CHECK_INT(sarc(args), 2);
    CHECK(strstr(test_last_output(), "dims:") != NULL); /* the good one is still shown */
    snprintf(want, sizeof want, "sarc: %s: ", junk);
    CHECK(strstr(test_last_output(), want) != NULL);
}

TEST(cli_convert_round_trip_and_audit)
{
    if (!file_is_regular(test_sarc()))
        SKIP("sarc binary not built");
    struct volume v = {0}, w = {0};
    struct sarc_err e = {0};
    int64_t dim[4] = {7, 6, 5, 3};
    REQUIRE_OK(volume_alloc(&v, 4, dim, &e), e);
    for (int64_t i = 0; i < volume_count(&v); i++)
        v.data[i] = (double)((i * 7919) % 3001) - 1000;
    v.type = VT_I16;
    const double sp[3] = {0.2, 0.3, 0.5}, org[3] = {-5, 6, 7};
    volume_set_spacing(&v, sp, org);
    const char *a = test_tmp("a.nii"), *bgz = test_tmp("b.nii.gz"), *c = test_tmp("c.nii"), *trail = test_tmp("cli_trail.jsonl");
    REQUIRE_OK(nifti_write(a, &v, NULL, &e), e);
    char args[4096];
    snprintf(args, sizeof args, "convert %s %s --audit %s -q", a, bgz, trail);
    REQUIRE_MSG(sarc(args) == 0, "%s", test_last_output());
    snprintf(args, sizeof args, "convert %s %s --audit none", bgz, c);
    REQUIRE_MSG(sarc(args) == 0, "%s", test_last_output());
    REQUIRE_OK(nifti_read(c, NULL, &w, &e), e);
    CHECK(w.type == VT_I16 && volume_count(&w) == volume_count(&v));
    CHECK(memcmp(w.data, v.data, sizeof(double) * (size_t)volume_count(&v)) == 0);
    for (int r = 0; r < 3; r++) /* the header holds float32 */
        for (int k = 0; k < 4; k++)
            CHECK_CLOSE(w.affine[r][k], v.affine[r][k], 1e-7, 0);
    volume_free(&w);
    /* the trail: hashes of both files */
    char ha[65], hb[65];
    CHECK_OK(audit_hash_file(a, ha, NULL, &e), e);
    CHECK_OK(audit_hash_file(bgz, hb, NULL, &e), e);
    uint8_t *t = NULL;
    size_t tn = 0;
    REQUIRE_OK(file_read_all(trail, &t, &tn, 0, &e), e);
    CHECK_MSG(strstr((char *)t, ha) != NULL, "input hash %s not in the trail", ha);
    CHECK_MSG(strstr((char *)t, hb) != NULL, "output hash %s not in the trail", hb);
    CHECK(strstr((char *)t, "\"step\":\"convert\"") != NULL);
    free(t);
    snprintf(args, sizeof args, "audit show %s", trail);
    CHECK_INT(sarc(args), 0);
    CHECK(strstr(test_last_output(), "step 1 convert") && strstr(test_last_output(), hb));
    snprintf(args, sizeof args, "audit show %s", a); /* not a trail */
    CHECK_INT(sarc(args), 2);
    /* --frame and --type */
    snprintf(args, sizeof args, "convert %s %s --frame 2 --type float32 --audit none", a, c);
    REQUIRE_MSG(sarc(args) == 0, "%s", test_last_output());
    REQUIRE_OK(nifti_read(c, NULL, &w, &e), e);
    CHECK(w.type == VT_F32 && w.ndim == 3);
    CHECK(memcmp(w.data, v.data + 2 * volume_frame_count(&v), sizeof(double) * (size_t)volume_frame_count(&v)) == 0);
    volume_free(&w);
    snprintf(args, sizeof args, "convert %s %s --frame 3 --audit none", a, c);
    CHECK_INT(sarc(args), 2);
    snprintf(args, sizeof args, "convert %s %s --segment tumour --audit none", a, c);
    CHECK_INT(sarc(args), 2);
    CHECK(strstr(test_last_output(), "sarc: --segment: ") != NULL);
    /* a failed convert leaves no output */
    const char *none = test_tmp("never.nii");
    snprintf(args, sizeof args, "convert %s %s --audit none", test_tmp("missing.nii"), none);
    CHECK_INT(sarc(args), 2);
    CHECK(!file_is_regular(none));
    volume_free(&v);
}
