/* test_diag.c - sarc radiomics' additionalInfo diagnostics (radiomics/diagnostics.c) and the SHA-1
 * behind its hashes (vendor/sha1.c): SHA-1 against FIPS 180 / hashlib vectors (one shot and
 * streamed), Python float formatting, and the diagnostics_* columns of the CLI against PyRadiomics
 * 3.0.1 (golden test/golden/radiomics/diagnostics.txt from test/oracles/radiomics_diag.py: 16
 * configurations - plain, normalize, resampled, resegmented (absolute, sigma, after normalising,
 * resampling, preCrop), correctMask on a shifted / finer mask grid, mismatched grids with
 * resampling - every entry in PyRadiomics' order and value, plus the 18 firstorder features
 * within 1e-6); the contract (no diagnostics unless additionalInfo is set true explicitly,
 * diagnostics columns after the features, no PyRadiomics Versions_* names), correctMask refusing
 * a ROI outside the image, multi-contrast naming, and the batch column union. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "io/volio.h"
#include "radiomics/diagnostics.h"
#include "test/harness.h"
#include "vendor/sha1.h"

TEST(diag_sha1_vectors)
{
    char hex[41];
    sha1_hex("", 0, hex);
    CHECK_STR(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    sha1_hex("abc", 3, hex);
    CHECK_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    const char *s56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha1_hex(s56, strlen(s56), hex);
    CHECK_STR(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    char *a = malloc(1000000);
    REQUIRE(a);
    memset(a, 'a', 1000000);
    sha1_hex(a, 1000000, hex);
    CHECK_STR(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    /* hashlib.sha1(b'a' * 64).hexdigest(), b'a' * 55 (padding boundaries) */
    sha1_hex(a, 64, hex);
    CHECK_STR(hex, "0098ba824b5c16427bd7a1122a5a442a25ec644d");
    sha1_hex(a, 55, hex);
    CHECK_STR(hex, "c1c8bbdc22796e28c0e15163d20899b65621d65a");
    /* streaming: the million 'a' in pieces of every size 1..130 give the one-shot digest */
    for (size_t piece = 1; piece <= 130; piece += 3) {
        struct sha1 h;
        uint8_t dg[20];
        sha1_init(&h);
        for (size_t off = 0; off < 1000000; off += piece)
            sha1_update(&h, a + off, off + piece <= 1000000 ? piece : 1000000 - off);
        sha1_final(&h, dg);
        sha1_to_hex(dg, hex);
        CHECK_MSG(!strcmp(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"), "piece %zu: %s", piece, hex);
    }
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

/* A volume of the oracle's geometry: dims x y z, spacing sp, SimpleITK origin org (LPS), i.e. the
 * RAS affine diag(-sx, -sy, sz) with translation (-ox, -oy, oz). */
static int synth_alloc(struct volume *v, const int64_t d[3], const double sp[3], const double org[3], struct sarc_err *e)
{
    const int64_t dim[4] = {d[0], d[1], d[2], 1};
    if (volume_alloc(v, 3, dim, e))
        return -1;
    const double ras[3] = {-org[0], -org[1], org[2]};
    volume_set_spacing(v, sp, ras);
    v->affine[0][0] = -sp[0];
    v->affine[1][1] = -sp[1];
    return 0;
}

/* The synthetic cases of the oracle (test/oracles/radiomics_diag.py): image int16 arange*3+7 on
 * 8x7x6, spacing 0.5 0.6 2, origin (1, 2, 3) LPS; masks "synthetic_mask" (same grid, two
 * 26-components), "synthetic_shift" (origin (1.2, 1.88, 3.6)), "synthetic_fine" (16x14x12,
 * spacing 0.25 0.3 1, origin (0.9, 1.88, 2.6), a label-2 voxel). paths[0] image, [1..3] masks.
 * 0 ok, 1 writer unavailable, -1 error. */
static int write_synthetic(const char *paths[4])
{
    const int64_t d[3] = {8, 7, 6}, df[3] = {16, 14, 12};
    const double sp[3] = {0.5, 0.6, 2.0}, org[3] = {1, 2, 3};
    const double org_shift[3] = {1.2, 1.88, 3.6}, spf[3] = {0.25, 0.3, 1.0}, orgf[3] = {0.9, 1.88, 2.6};
    struct volume img = {0}, msk = {0}, shf = {0}, fine = {0};
    struct sarc_err e;
    int rc = -1;
    if (synth_alloc(&img, d, sp, org, &e) || synth_alloc(&msk, d, sp, org, &e) ||
        synth_alloc(&shf, d, sp, org_shift, &e) || synth_alloc(&fine, df, spf, orgf, &e))
        goto done;
    for (int64_t t = 0; t < 8 * 7 * 6; t++)
        img.data[t] = (double)(t * 3 + 7);
    for (int k = 1; k < 3; k++)
        for (int j = 1; j < 4; j++)
            for (int i = 2; i < 5; i++)
                msk.data[i + 8 * (j + 7 * k)] = shf.data[i + 8 * (j + 7 * k)] = 1;
    msk.data[5 + 8 * (4 + 7 * 3)] = shf.data[5 + 8 * (4 + 7 * 3)] = 1;
    msk.data[7 + 8 * (6 + 7 * 5)] = 1;
    for (int k = 2; k < 7; k++)
        for (int j = 2; j < 9; j++)
            for (int i = 4; i < 11; i++)
                fine.data[i + 16 * (j + 14 * k)] = 1;
    fine.data[14 + 16 * (12 + 14 * 8)] = 1;
    fine.data[0] = 2;
    img.type = VT_I16;
    msk.type = shf.type = fine.type = VT_U8;
    rc = volume_write(paths[0], &img, NULL, &e);
    if (rc == SARC_ERR_UNSUPPORTED)
        rc = 1;
    else if (rc == 0)
        rc = volume_write(paths[1], &msk, NULL, &e) || volume_write(paths[2], &shf, NULL, &e) ||
                     volume_write(paths[3], &fine, NULL, &e)
                 ? -1
                 : 0;
done:
    volume_free(&img);
    volume_free(&msk);
    volume_free(&shf);
    volume_free(&fine);
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

/* Scratch copies of the synthetic inputs: paths[0] image, [1..3] masks named as in the golden. */
static char g_synth[4][1024];
static const char *const g_synth_names[4] = {"synthetic", "synthetic_mask", "synthetic_shift", "synthetic_fine"};

static int synth_paths(const char *tag, const char *p[4])
{
    for (int q = 0; q < 4; q++) {
        char name[96];
        snprintf(name, sizeof name, "%s_%s.nii.gz", tag, g_synth_names[q]);
        snprintf(g_synth[q], sizeof g_synth[q], "%s", test_tmp(name));
        p[q] = g_synth[q];
    }
    return write_synthetic(p);
}

TEST(diag_vs_pyradiomics)
{
    FILE *f = fopen("test/golden/radiomics/diagnostics.txt", "r");
    REQUIRE(f);
    const char *sp[4];
    const int synth = synth_paths("diag", sp);
    REQUIRE(synth >= 0);
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "%s", test_tmp("diag_params.yaml"));
    FILE *y = fopen(yaml, "w");
    REQUIRE(y);
    fputs("imageType:\n  Original: {}\nfeatureClass:\n  firstorder:\nsetting:\n  additionalInfo: true\n", y);
    fclose(y);
    static char line[8192], cmd[8192], img[1024], msk[1024], sets[2048];
    int ncase = 0, nchecked = 0, nsynth = 0, last_col = -1, nfeat = 0;
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
            last_col = -1;
            continue;
        }
        if (!strncmp(line, "image ", 6) || !strncmp(line, "mask ", 5)) {
            char *dst = line[0] == 'i' ? img : msk;
            const char *rel = strchr(line, ' ') + 1, *p = NULL;
            if (!strncmp(rel, "synthetic", 9)) {
                for (int q = 0; q < 4; q++)
                    if (!strcmp(rel, g_synth_names[q]) && synth == 0)
                        p = sp[q];
            } else {
                p = test_shared(rel);
            }
            snprintf(dst, 1024, "%s", p ? p : "");
        } else if (!strncmp(line, "setting ", 8)) {
            char name[64], val[256];
            REQUIRE(sscanf(line + 8, "%63s %255s", name, val) == 2);
            size_t l = strlen(sets);
            snprintf(sets + l, sizeof sets - l, " --setting '%s=%s'", name, val);
        } else if (!strncmp(line, "diag ", 5) || !strncmp(line, "feat ", 5)) {
            if (!img[0] || !msk[0])
                continue;
            if (!have) {
                char out[1024];
                snprintf(out, sizeof out, "%s", test_tmp("diag_out.csv"));
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
            if (line[0] == 'f') {
                /* a firstorder feature: |v - ref| <= 1e-6 |ref| + 1e-12 (issue 7) */
                const double ref = strtod(want, NULL), v = strtod(csv_cell(&t, 0, c), NULL);
                CHECK_MSG(fabs(v - ref) <= 1e-6 * fabs(ref) + 1e-12, "case %d: %s = %.17g, PyRadiomics %.17g", ncase, key, v, ref);
                nfeat++;
                continue;
            }
            /* PyRadiomics' order */
            CHECK_MSG(c > last_col, "case %d: %s out of PyRadiomics' order", ncase, key);
            last_col = c;
            CHECK_MSG(diag_value_match(csv_cell(&t, 0, c), want), "case %d: %s = %s, PyRadiomics %s", ncase, key,
                      csv_cell(&t, 0, c), want);
            nchecked++;
            nsynth += strstr(img, "synthetic") != NULL;
        }
    }
    if (have)
        csv_free(&t);
    fclose(f);
    if (nchecked == 0)
        SKIP("neither ../shared/data/pyradiomics nor a NIfTI writer available");
    CHECK_INT(ncase, 16);
    /* the synthetic cases must always run: 9 cases, 273 entries */
    CHECK_MSG(synth != 0 || nsynth == 273, "only %d synthetic entries checked", nsynth);
    if (test_shared("data/pyradiomics/brain1_image.nrrd") && synth == 0) {
        CHECK_INT(nchecked, 462);
        CHECK_INT(nfeat, 16 * 18);
    }
}

/* Every diagnostics entry of a CSV row: the number of columns named diagnostics_* (after the
 * features), and the index of the first. */
static int diag_cols(const struct csv *t, int *first)
{
    int n = 0;
    *first = -1;
    for (int c = 0; c < t->ncols; c++)
        if (!strncmp(t->header[c], "diagnostics_", 12)) {
            if (*first < 0)
                *first = c;
            n++;
        }
    return n;
}

TEST(diag_contract)
{
    const char *sp[4];
    const int w = synth_paths("diagc", sp);
    REQUIRE(w >= 0);
    if (w == 1)
        SKIP("NIfTI writer unavailable");
    const char *ip = sp[0], *mp = sp[1];
    static char cmd[4096];
    char o0[1024], o1[1024], o2[1024], oj[1024];
    snprintf(o0, sizeof o0, "%s", test_tmp("diagc0.csv"));
    snprintf(o1, sizeof o1, "%s", test_tmp("diagc1.csv"));
    snprintf(o2, sizeof o2, "%s", test_tmp("diagc2.csv"));
    snprintf(oj, sizeof oj, "%s", test_tmp("diagc.json"));
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
    CHECK_INT(t1.ncols, t0.ncols + 19); /* 2 versions, 2 configuration, 7 image, 8 mask */
    for (int c = 0; c < t0.ncols && c < t1.ncols; c++) {
        CHECK_STR(t1.header[c], t0.header[c]);
        CHECK_STR(csv_cell(&t1, 0, c), csv_cell(&t0, 0, c));
    }
    for (int c = t0.ncols; c < t1.ncols; c++)
        CHECK(strncmp(t1.header[c], "diagnostics_", 12) == 0);
    CHECK(csv_col(&t1, "diagnostics_Versions_sarc") == t0.ncols);
    const int cv0 = csv_col(&t1, "diagnostics_Versions_FollowsPyRadiomics");
    REQUIRE(cv0 >= 0);
    CHECK_STR(csv_cell(&t1, 0, cv0), "3.0.1");
    CHECK(csv_col(&t1, "diagnostics_Versions_PyRadiomics") < 0); /* never pretend to be PyRadiomics */
    CHECK(csv_col(&t1, "diagnostics_Image-interpolated_Mean") < 0);
    CHECK(csv_col(&t1, "diagnostics_Mask-corrected_VoxelNum") < 0);
    CHECK(csv_col(&t1, "diagnostics_Mask-resegmented_VoxelNum") < 0);
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

/* correctMask with a ROI that reaches outside the image: refused (PyRadiomics' _checkROI), exit 2
 * with the mask named; without correctMask a mismatched grid is refused too. */
TEST(diag_correct_mask_outside)
{
    const char *sp[4];
    const int w = synth_paths("diago", sp);
    REQUIRE(w >= 0);
    if (w == 1)
        SKIP("NIfTI writer unavailable");
    /* the shifted grid with the corner voxel (7, 6, 5): its far corner maps to x index 7.9 > 7.5 */
    struct volume m = {0};
    struct sarc_err e;
    REQUIRE_OK(volume_read(sp[2], NULL, &m, &e), e);
    m.data[7 + 8 * (6 + 7 * 5)] = 1;
    char bad[1024], out[1024];
    snprintf(bad, sizeof bad, "%s", test_tmp("diago_bad.nii.gz"));
    snprintf(out, sizeof out, "%s", test_tmp("diago.csv"));
    REQUIRE_OK(volume_write(bad, &m, NULL, &e), e);
    volume_free(&m);
    static char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s --setting correctMask=true -o %s", test_sarc(), sp[0], bad, out);
    CHECK_INT(test_system(cmd), 2);
    CHECK(strstr(test_last_output(), "outside the image") != NULL);
    CHECK(strstr(test_last_output(), bad) != NULL);
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s -o %s", test_sarc(), sp[0], sp[2], out);
    CHECK_INT(test_system(cmd), 2);
    CHECK(strstr(test_last_output(), "geometry mismatch") != NULL);
    /* inside: accepted */
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s --setting correctMask=true -o %s", test_sarc(), sp[0], sp[2], out);
    CHECK_INT(test_system(cmd), 0);
}

/* Multi-contrast: header and Mask-original once (unprefixed), then per contrast the IMAGE part
 * with the contrast name after "diagnostics_", equal to a single-image run on that contrast. */
TEST(diag_multi_contrast)
{
    const char *sp[4];
    const int w = synth_paths("diagm", sp);
    REQUIRE(w >= 0);
    if (w == 1)
        SKIP("NIfTI writer unavailable");
    /* a second contrast: the image times 2 minus 5 */
    struct volume v = {0};
    struct sarc_err e;
    REQUIRE_OK(volume_read(sp[0], NULL, &v, &e), e);
    for (int64_t t = 0; t < volume_frame_count(&v); t++)
        v.data[t] = v.data[t] * 2 - 5;
    char i2[1024], om[1024], o1[1024], o2[1024];
    snprintf(i2, sizeof i2, "%s", test_tmp("diagm_t2.nii.gz"));
    snprintf(om, sizeof om, "%s", test_tmp("diagm.csv"));
    snprintf(o1, sizeof o1, "%s", test_tmp("diagm1.csv"));
    snprintf(o2, sizeof o2, "%s", test_tmp("diagm2.csv"));
    REQUIRE_OK(volume_write(i2, &v, NULL, &e), e);
    volume_free(&v);
    static char cmd[8192];
    const char *set = "--setting additionalInfo=true --setting resampledPixelSpacing=[1,1,1] --setting 'resegmentRange=[100,2000]'";
    snprintf(cmd, sizeof cmd, "%s radiomics --image T1=%s --image T2=%s %s %s -o %s", test_sarc(), sp[0], i2, sp[1], set, om);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s %s -o %s", test_sarc(), sp[0], sp[1], set, o1);
    REQUIRE(test_system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s %s -o %s", test_sarc(), i2, sp[1], set, o2);
    REQUIRE(test_system(cmd) == 0);
    struct csv tm, t1, t2;
    REQUIRE_OK(csv_read(&tm, om, &e), e);
    REQUIRE_OK(csv_read(&t1, o1, &e), e);
    REQUIRE_OK(csv_read(&t2, o2, &e), e);
    int f1, fm;
    const int n1 = diag_cols(&t1, &f1), nm = diag_cols(&tm, &fm);
    /* single: 4 header + 7 image + 8 mask-original + 5 image-interpolated + 10 mask-interpolated
     * + 10 mask-resegmented; multi: 4 + 8 + 2 x (7 + 5 + 10 + 10) */
    CHECK_INT(n1, 44);
    CHECK_INT(nm, 76);
    int checked = 0, last = -1;
    for (int c = f1; c >= 0 && c < t1.ncols; c++) {
        const char *name = t1.header[c] + 12; /* after "diagnostics_" */
        if (!strncmp(name, "Versions_", 9) || !strncmp(name, "Configuration_", 14) || !strncmp(name, "Mask-original_", 14)) {
            const int cm = csv_col(&tm, t1.header[c]);
            CHECK_MSG(cm >= 0, "multi-contrast lacks %s", t1.header[c]);
            if (cm >= 0 && strncmp(name, "Versions_sarc", 13))
                CHECK_STR(csv_cell(&tm, 0, cm), csv_cell(&t1, 0, c));
            continue;
        }
        for (int q = 0; q < 2; q++) {
            const struct csv *ts = q ? &t2 : &t1;
            char key[256];
            snprintf(key, sizeof key, "diagnostics_%s_%s", q ? "T2" : "T1", name);
            const int cm = csv_col(&tm, key), cs = csv_col(ts, t1.header[c]);
            CHECK_MSG(cm >= 0 && cs >= 0, "multi-contrast lacks %s", key);
            if (cm < 0 || cs < 0)
                continue;
            CHECK_STR(csv_cell(&tm, 0, cm), csv_cell(ts, 0, cs));
            if (q == 0) {
                CHECK_MSG(cm > last, "%s out of order", key);
                last = cm;
            }
            checked++;
        }
    }
    CHECK_INT(checked, 2 * 32);
    /* the image hashes differ between the contrasts, the interpolated mask geometry does not */
    CHECK(strcmp(csv_cell(&tm, 0, csv_col(&tm, "diagnostics_T1_Image-original_Hash")),
                 csv_cell(&tm, 0, csv_col(&tm, "diagnostics_T2_Image-original_Hash"))) != 0);
    csv_free(&tm);
    csv_free(&t1);
    csv_free(&t2);
}

/* Batch: the diagnostics columns are the union over the cases in PyRadiomics' order; a case whose
 * mask needed correcting adds Mask-corrected_* (empty for the other rows), with the values of a
 * single run. */
TEST(diag_batch_union)
{
    const char *sp[4];
    const int w = synth_paths("diagb", sp);
    REQUIRE(w >= 0);
    if (w == 1)
        SKIP("NIfTI writer unavailable");
    char cases[1024], ob[1024], o1[1024];
    snprintf(cases, sizeof cases, "%s", test_tmp("diagb_cases.csv"));
    snprintf(ob, sizeof ob, "%s", test_tmp("diagb.csv"));
    snprintf(o1, sizeof o1, "%s", test_tmp("diagb1.csv"));
    FILE *f = fopen(cases, "w");
    REQUIRE(f);
    fprintf(f, "Image,Mask\n%s,%s\n%s,%s\n", sp[0], sp[1], sp[0], sp[2]);
    fclose(f);
    static char cmd[8192];
    const char *set = "--setting additionalInfo=true --setting correctMask=true --setting 'resegmentRange=[100,800]'";
    snprintf(cmd, sizeof cmd, "%s radiomics --batch %s %s -o %s", test_sarc(), cases, set, ob);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    snprintf(cmd, sizeof cmd, "%s radiomics %s %s %s -o %s", test_sarc(), sp[0], sp[2], set, o1);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    struct csv tb, t1;
    struct sarc_err e;
    REQUIRE_OK(csv_read(&tb, ob, &e), e);
    REQUIRE_OK(csv_read(&t1, o1, &e), e);
    REQUIRE(tb.nrows == 2);
    const int cc = csv_col(&tb, "diagnostics_Mask-corrected_VoxelNum"), co = csv_col(&tb, "diagnostics_Mask-original_CenterOfMass"),
              cr = csv_col(&tb, "diagnostics_Mask-resegmented_Spacing");
    REQUIRE(cc >= 0 && co >= 0 && cr >= 0);
    CHECK(co < cc && cc < cr);
    CHECK_STR(csv_cell(&tb, 0, cc), "");
    CHECK_STR(csv_cell(&tb, 1, cc), "19");
    /* row 2 equals the single run, column by column */
    int fb, f1;
    CHECK_INT(diag_cols(&tb, &fb), diag_cols(&t1, &f1));
    for (int c = f1; c >= 0 && c < t1.ncols; c++) {
        if (!strcmp(t1.header[c], "diagnostics_Versions_sarc"))
            continue;
        const int cb = csv_col(&tb, t1.header[c]);
        CHECK_MSG(cb >= 0, "batch lacks %s", t1.header[c]);
        if (cb >= 0)
            CHECK_STR(csv_cell(&tb, 1, cb), csv_cell(&t1, 0, c));
    }
    csv_free(&tb);
    csv_free(&t1);
}
