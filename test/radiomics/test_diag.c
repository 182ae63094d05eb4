/* test_diag.c - sarc radiomics' additionalInfo diagnostics (radiomics/diagnostics.c): SHA-1 against
 * FIPS 180 / hashlib vectors, Python float formatting, and the diagnostics_* columns of the CLI
 * against PyRadiomics 3.0.1 (golden test/golden/radiomics/diagnostics.txt from
 * test/oracles/radiomics_diag.py: brain1 default / normalize / resampled, and a synthetic int16
 * case rebuilt here); plus the contract: no diagnostics unless additionalInfo is set true
 * explicitly, and diagnostics columns after the feature columns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "io/volio.h"
#include "radiomics/diagnostics.h"
#include "test/harness.h"

TEST(diag_sha1_vectors)
{
    char hex[41];
    rad_sha1_hex("", 0, hex);
    CHECK_STR(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    rad_sha1_hex("abc", 3, hex);
    CHECK_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    const char *s56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    rad_sha1_hex(s56, strlen(s56), hex);
    CHECK_STR(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    char *a = malloc(1000000);
    REQUIRE(a);
    memset(a, 'a', 1000000);
    rad_sha1_hex(a, 1000000, hex);
    CHECK_STR(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    /* hashlib.sha1(b'a' * 64).hexdigest(), b'a' * 55 (padding boundaries) */
    rad_sha1_hex(a, 64, hex);
    CHECK_STR(hex, "0098ba824b5c16427bd7a1122a5a442a25ec644d");
    rad_sha1_hex(a, 55, hex);
    CHECK_STR(hex, "c1c8bbdc22796e28c0e15163d20899b65621d65a");
    free(a);
}

TEST(diag_py_float)
{
    char b[40];
    rad_py_float(1.0, b, sizeof b);
    CHECK_STR(b, "1.0");
    rad_py_float(0.1, b, sizeof b);
    CHECK_STR(b, "0.1");
    rad_py_float(-128.0, b, sizeof b);
    CHECK_STR(b, "-128.0");
    rad_py_float(1e-05, b, sizeof b);
    CHECK_STR(b, "1e-05");
    rad_py_float(0.7812499999999999, b, sizeof b);
    CHECK_STR(b, "0.7812499999999999");
    rad_py_float(123456789012.5, b, sizeof b);
    CHECK_STR(b, "123456789012.5");
    rad_py_float(1e16, b, sizeof b);
    CHECK_STR(b, "1e+16");
    rad_py_float(NAN, b, sizeof b);
    CHECK_STR(b, "nan");
}

/* The synthetic case of the oracle: int16 arange*3+7 on 8x7x6, spacing 0.5 0.6 2, SimpleITK origin
 * (1, 2, 3) (LPS) = RAS (-1, -2, 3); mask of two 26-components. 0 ok, 1 writer unavailable. */
static int write_synthetic(const char *ip, const char *mp)
{
    const int64_t dim[4] = {8, 7, 6, 1};
    struct volume img = {0}, msk = {0};
    struct sarc_err e;
    int rc = -1;
    if (volume_alloc(&img, 3, dim, &e) || volume_alloc(&msk, 3, dim, &e))
        goto done;
    for (int64_t t = 0; t < 8 * 7 * 6; t++)
        img.data[t] = (double)(t * 3 + 7);
    for (int k = 1; k < 3; k++)
        for (int j = 1; j < 4; j++)
            for (int i = 2; i < 5; i++)
                msk.data[i + 8 * (j + 7 * k)] = 1;
    msk.data[5 + 8 * (4 + 7 * 3)] = 1;
    msk.data[7 + 8 * (6 + 7 * 5)] = 1;
    const double sp[3] = {0.5, 0.6, 2.0}, org[3] = {-1, -2, 3};
    volume_set_spacing(&img, sp, org);
    img.affine[0][0] = -0.5;
    img.affine[1][1] = -0.6;
    volume_copy_geometry(&msk, &img);
    img.type = VT_I16;
    msk.type = VT_U8;
    rc = volume_write(ip, &img, NULL, &e);
    if (rc == SARC_ERR_UNSUPPORTED)
        rc = 1;
    else if (rc == 0)
        rc = volume_write(mp, &msk, NULL, &e) ? -1 : 0;
done:
    volume_free(&img);
    volume_free(&msk);
    return rc;
}

/* Compares a value printed by sarc with PyRadiomics': tuples and numbers element-wise with
 * |a - b| <= 1e-9 (1 + |b|), anything else (hashes, "3D") exactly. */
static int diag_value_match(const char *got, const char *want)
{
    const char *g = got, *w = want;
    int tuple = *w == '(';
    if (tuple) {
        if (*g != '(')
            return 0;
        g++;
        w++;
    }
    for (;;) {
        char *ge, *we;
        const double a = strtod(g, &ge), b = strtod(w, &we);
        if (we == w || (!tuple && *we))
            return strcmp(got, want) == 0;
        if (ge == g || !(fabs(a - b) <= 1e-9 * (1 + fabs(b))))
            return 0;
        g = ge;
        w = we;
        if (!tuple)
            return *g == 0;
        if (*w == ')')
            return strcmp(g, ")") == 0 && strcmp(w, ")") == 0;
        if (strncmp(g, ", ", 2) || strncmp(w, ", ", 2))
            return 0;
        g += 2;
        w += 2;
    }
}

TEST(diag_vs_pyradiomics)
{
    FILE *f = fopen("test/golden/radiomics/diagnostics.txt", "r");
    REQUIRE(f);
    const char *sip = test_tmp("diag_img.nii.gz"), *smp = test_tmp("diag_msk.nii.gz");
    int synth = write_synthetic(sip, smp);
    REQUIRE(synth >= 0);
    const char *yaml = test_tmp("diag_params.yaml");
    FILE *y = fopen(yaml, "w");
    REQUIRE(y);
    fputs("imageType:\n  Original: {}\nfeatureClass:\n  firstorder:\nsetting:\n  additionalInfo: true\n", y);
    fclose(y);
    static char line[4096], cmd[8192], img[1024], msk[1024], sets[2048];
    int ncase = 0, nchecked = 0, skipped = 0;
    struct csv t = {0};
    int have = 0;
    for (int more = 1; more;) {
        more = fgets(line, sizeof line, f) != NULL;
        line[strcspn(line, "\n")] = 0;
        if (!more || !strncmp(line, "case ", 5)) {
            ncase += more;
            img[0] = msk[0] = sets[0] = 0;
            if (have)
                csv_free(&t);
            have = 0;
            continue;
        }
        if (!strncmp(line, "image ", 6) || !strncmp(line, "mask ", 5)) {
            char *dst = line[0] == 'i' ? img : msk;
            const char *rel = strchr(line, ' ') + 1;
            const char *p = !strcmp(rel, "synthetic") ? (synth == 0 ? (dst == img ? sip : smp) : NULL) : test_shared(rel);
            snprintf(dst, 1024, "%s", p ? p : "");
        } else if (!strncmp(line, "setting ", 8)) {
            char name[64], val[256];
            REQUIRE(sscanf(line + 8, "%63s %255s", name, val) == 2);
            size_t l = strlen(sets);
            snprintf(sets + l, sizeof sets - l, " --setting '%s=%s'", name, val);
        } else if (!strncmp(line, "diag ", 5)) {
            if (!img[0] || !msk[0]) {
                skipped++;
                continue;
            }
            if (!have) {
                const char *out = test_tmp("diag_out.csv");
                snprintf(cmd, sizeof cmd, "%s radiomics '%s' '%s' --params %s%s -o %s", test_sarc(), img, msk, yaml, sets, out);
                int rc = test_system(cmd);
                CHECK_MSG(rc == 0, "%s: %s", cmd, test_last_output());
                if (rc)
                    break;
                struct sarc_err e;
                REQUIRE_OK(csv_read(&t, out, &e), e);
                have = 1;
                REQUIRE(t.nrows == 1);
            }
            char key[128];
            REQUIRE(sscanf(line + 5, "%127s", key) == 1);
            const char *want = line + 5 + strlen(key) + 1;
            const int c = csv_col(&t, key);
            CHECK_MSG(c >= 0, "case %d: column %s missing", ncase, key);
            if (c < 0)
                continue;
            CHECK_MSG(diag_value_match(csv_cell(&t, 0, c), want), "case %d: %s = %s, PyRadiomics %s", ncase, key,
                      csv_cell(&t, 0, c), want);
            nchecked++;
        }
    }
    if (have)
        csv_free(&t);
    fclose(f);
    if (nchecked == 0)
        SKIP("neither ../shared/data/pyradiomics nor a NIfTI writer available");
    CHECK(ncase == 5);
    /* the synthetic cases must always run (15 + 30 entries) */
    CHECK_MSG(synth != 0 || nchecked >= 45, "only %d entries checked", nchecked);
}

TEST(diag_contract)
{
    const char *ip = test_tmp("diagc_img.nii.gz"), *mp = test_tmp("diagc_msk.nii.gz");
    const int w = write_synthetic(ip, mp);
    REQUIRE(w >= 0);
    if (w == 1)
        SKIP("NIfTI writer unavailable");
    static char cmd[4096];
    const char *o0 = test_tmp("diagc0.csv"), *o1 = test_tmp("diagc1.csv"), *o2 = test_tmp("diagc2.csv");
    const char *oj = test_tmp("diagc.json");
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s -o %s", test_sarc(), ip, mp, o0);
    REQUIRE(test_system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s --setting additionalInfo=false -o %s", test_sarc(), ip, mp, o2);
    REQUIRE(test_system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s --setting additionalInfo=true -o %s", test_sarc(), ip, mp, o1);
    REQUIRE(test_system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s --setting additionalInfo=true -o %s", test_sarc(), ip, mp, oj);
    REQUIRE(test_system(cmd) == 0);
    struct csv t0, t1, t2;
    struct sarc_err e;
    REQUIRE_OK(csv_read(&t0, o0, &e), e);
    REQUIRE_OK(csv_read(&t1, o1, &e), e);
    REQUIRE_OK(csv_read(&t2, o2, &e), e);
    /* default and explicit false: no diagnostics; true: the same columns first, then diagnostics */
    CHECK_INT(t2.ncols, t0.ncols);
    for (int c = 0; c < t0.ncols; c++)
        CHECK(strncmp(t0.header[c], "diagnostics_", 12) != 0);
    CHECK_INT(t1.ncols, t0.ncols + 18); /* 1 version, 2 configuration, 7 image, 8 mask */
    for (int c = 0; c < t0.ncols && c < t1.ncols; c++) {
        CHECK_STR(t1.header[c], t0.header[c]);
        CHECK_STR(csv_cell(&t1, 0, c), csv_cell(&t0, 0, c));
    }
    for (int c = t0.ncols; c < t1.ncols; c++)
        CHECK(strncmp(t1.header[c], "diagnostics_", 12) == 0);
    CHECK(csv_col(&t1, "diagnostics_Versions_sarc") == t0.ncols);
    CHECK(csv_col(&t1, "diagnostics_Image-interpolated_Mean") < 0);
    const int cv = csv_col(&t1, "diagnostics_Mask-original_VolumeNum");
    REQUIRE(cv >= 0);
    CHECK_STR(csv_cell(&t1, 0, cv), "2");
    /* JSON: the same keys */
    FILE *f = fopen(oj, "r");
    REQUIRE(f);
    static char buf[1 << 16];
    const size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    for (int c = t0.ncols; c < t1.ncols; c++) {
        char key[160];
        snprintf(key, sizeof key, "\"%s\":", t1.header[c]);
        CHECK_MSG(strstr(buf, key) != NULL, "JSON lacks %s", key);
    }
    csv_free(&t0);
    csv_free(&t1);
    csv_free(&t2);
}
