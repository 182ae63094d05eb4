/* test_nifti.c - io/nifti: every reference NIfTI file of ../shared/data/nifti/ against
 * test/golden/nifti/expected.txt (derived from ../shared/data/EXPECTED.json, nibabel 5.0.0, by
 * test/oracles/nifti_expected_golden.py): dims, zooms, datatype, scaling, codes, best affine,
 * qform, scaled statistics and given voxel values (1e-6 relative); frame selection; write/read
 * round trips (oblique affines, uint8/int16/float32 and scaled integers, .nii and .nii.gz);
 * files written by sarc as nibabel reads them (test/golden/nifti/nibabel_roundtrip.txt from
 * test/oracles/nifti_nibabel_roundtrip.py); bad input (truncated, dims beyond the file, bad
 * dims, bad magic, bad gzip, unknown datatype) giving clean errors. */
#include <dirent.h>
#include <stdlib.h>

#include "io/file.h"
#include "io/nifti.h"
#include "test/harness.h"
#include "vendor/gzip.h"
#include "vendor/sha256.h"

static int parse_doubles(const char *s, double *out, int max)
{
    int n = 0;
    while (n < max) {
        char *end;
        double v = strtod(s, &end);
        if (end == s)
            break;
        out[n++] = v;
        s = end;
    }
    return n;
}

static double vox(const struct volume *v, int64_t i, int64_t j, int64_t k, int64_t t)
{
    return v->data[i + v->dim[0] * (j + v->dim[1] * (k + v->dim[2] * t))];
}

TEST(nifti_reference_files)
{
    if (!test_shared("data/nifti"))
        SKIP("../shared/data/nifti not present");
    FILE *f = fopen("test/golden/nifti/expected.txt", "r");
    REQUIRE(f);
    char line[4096], path[1024] = "", dtype[32] = "";
    struct volume v = {0};
    int have = 0, nfiles = 0, refuse = 0, version = 0;
    struct sarc_err e = {0};
    while (fgets(line, sizeof line, f)) {
        double d[16];
        if (line[0] == '#')
            continue;
        if (strncmp(line, "file ", 5) == 0) {
            char rel[900];
            REQUIRE(sscanf(line + 5, "%899s %d %31s", rel, &version, dtype) == 3);
            char full[1000];
            snprintf(full, sizeof full, "data/%s", rel);
            const char *p = test_shared(full);
            REQUIRE_MSG(p, "missing %s", full);
            snprintf(path, sizeof path, "%s", p);
            volume_free(&v);
            int rc = nifti_read(path, NULL, &v, &e);
            have = rc == 0;
            refuse = rc;
            nfiles++;
            continue;
        }
        if (strncmp(line, "refuse", 6) == 0) {
            CHECK_MSG(refuse == SARC_ERR_UNSUPPORTED, "%s: expected a clean refusal, rc %d", path, refuse);
            continue;
        }
        if (strncmp(line, "end", 3) == 0)
            continue;
        if (!have) {
            CHECK_MSG(0, "%s: %s", path, e.msg);
            have = -1; /* report once */
            continue;
        }
        if (have < 0)
            continue;
        if (strncmp(line, "shape ", 6) == 0) {
            int n = parse_doubles(line + 6, d, 9);
            REQUIRE(n >= 2);
            int nd = (int)d[0];
            for (int i = 0; i < 4; i++)
                CHECK_MSG(v.dim[i] == (i < nd ? (int64_t)d[1 + i] : 1), "%s: dim[%d] = %lld", path, i, (long long)v.dim[i]);
            CHECK_STR(vtype_name(v.type), dtype);
            char fmt[16];
            snprintf(fmt, sizeof fmt, "nifti%d", version);
            CHECK_STR(v.format, fmt);
        } else if (strncmp(line, "zooms ", 6) == 0) {
            REQUIRE(parse_doubles(line + 6, d, 3) == 3);
            for (int i = 0; i < 3; i++)
                CHECK_CLOSE(v.spacing[i], d[i], 1e-6, 0);
        } else if (strncmp(line, "scale ", 6) == 0) {
            REQUIRE(parse_doubles(line + 6, d, 3) == 3);
            if (d[2] != 0) {
                CHECK_CLOSE(v.scl_slope, d[0], 1e-12, 0);
                CHECK_CLOSE(v.scl_inter, d[1], 1e-12, 0);
            }
        } else if (strncmp(line, "codes ", 6) == 0) {
            REQUIRE(parse_doubles(line + 6, d, 2) == 2);
            CHECK_INT(v.qform_code, (int)d[0]);
            CHECK_INT(v.sform_code, (int)d[1]);
        } else if (strncmp(line, "affine ", 7) == 0 || strncmp(line, "qform ", 6) == 0) {
            const int q = line[0] == 'q';
            REQUIRE(parse_doubles(line + (q ? 6 : 7), d, 12) == 12);
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 4; c++) {
                    double got = q ? v.qform[r][c] : v.affine[r][c];
                    CHECK_MSG(fabs(got - d[4 * r + c]) <= 1e-6 * fmax(1, fabs(d[4 * r + c])), "%s: %s[%d][%d] = %.17g, expected %.17g",
                              path, q ? "qform" : "affine", r, c, got, d[4 * r + c]);
                }
        } else if (strncmp(line, "stats ", 6) == 0) {
            REQUIRE(parse_doubles(line + 6, d, 4) == 4);
            struct vstats s;
            volume_stats(&v, &s);
            CHECK_CLOSE(s.min, d[0], 1e-6, 0);
            CHECK_CLOSE(s.max, d[1], 1e-6, 0);
            CHECK_CLOSE(s.mean, d[2], 1e-6, 1e-12);
            CHECK_INT(s.count, (int64_t)d[3]);
        } else if (strncmp(line, "voxel ", 6) == 0) {
            REQUIRE(parse_doubles(line + 6, d, 5) == 5);
            double got = vox(&v, (int64_t)d[0], (int64_t)d[1], (int64_t)d[2], (int64_t)d[3]);
            CHECK_MSG(fabs(got - d[4]) <= 1e-6 * fmax(1, fabs(d[4])), "%s: voxel (%g,%g,%g,%g) = %.17g, expected %.17g", path, d[0], d[1], d[2], d[3], got, d[4]);
        }
    }
    fclose(f);
    volume_free(&v);
    CHECK_MSG(nfiles >= 10, "only %d reference files listed", nfiles);
    /* every NIfTI file of the folder is in the golden (and so was read above) */
    uint8_t *g = NULL;
    size_t gn = 0;
    REQUIRE_OK(file_read_all("test/golden/nifti/expected.txt", &g, &gn, 0, &e), e);
    DIR *d = opendir(test_shared("data/nifti"));
    REQUIRE(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!path_has_suffix(de->d_name, ".nii") && !path_has_suffix(de->d_name, ".nii.gz") && !path_has_suffix(de->d_name, ".hdr"))
            continue;
        char needle[600];
        snprintf(needle, sizeof needle, "file nifti/%s ", de->d_name);
        CHECK_MSG(strstr((char *)g, needle) != NULL, "%s is not in the golden", de->d_name);
    }
    closedir(d);
    free(g);
}

TEST(nifti_frame_selection)
{
    const char *p = test_shared("data/nifti/example4d.nii.gz");
    if (!p)
        SKIP("../shared/data/nifti not present");
    struct volume all = {0}, one = {0};
    struct sarc_err e = {0};
    REQUIRE_OK(nifti_read(p, NULL, &all, &e), e);
    struct volume_read_opts o = {1, NULL};
    REQUIRE_OK(nifti_read(p, &o, &one, &e), e);
    CHECK_INT(one.ndim, 3);
    CHECK_INT(one.dim[3], 1);
    const int64_t fc = volume_frame_count(&all);
    CHECK(memcmp(one.data, all.data + fc, sizeof(double) * (size_t)fc) == 0);
    CHECK_CLOSE(vox(&one, 64, 48, 12, 0), 266, 0, 0); /* EXPECTED.json voxel (64,48,12,1) */
    o.frame = 2;
    struct volume bad = {0};
    CHECK_INT(nifti_read(p, &o, &bad, &e), SARC_ERR_RANGE);
    CHECK(bad.data == NULL);
    volume_free(&all);
    volume_free(&one);
}

/* A small oblique test volume: rotation about z by 30 degrees, then x flipped. */
static int make_volume(struct volume *v, int nx, int ny, int nz, int nt, int kind, struct sarc_err *e)
{
    int64_t dim[4] = {nx, ny, nz, nt};
    int rc = volume_alloc(v, nt > 1 ? 4 : 3, dim, e);
    if (rc)
        return rc;
    const double sp[3] = {0.1, 0.125, 0.5}, c = sqrt(3.0) / 2, s = 0.5; /* 30 degrees */
    const double R[3][3] = {{-c, -s, 0}, {-s, c, 0}, {0, 0, 1}};
    for (int r = 0; r < 3; r++) {
        for (int k = 0; k < 3; k++)
            v->affine[r][k] = R[r][k] * sp[k];
        v->spacing[r] = sp[r];
    }
    v->affine[0][3] = 12.5, v->affine[1][3] = -3.25, v->affine[2][3] = 7;
    v->spacing[3] = 2.5;
    memcpy(v->sform, v->affine, sizeof v->affine);
    memcpy(v->qform, v->affine, sizeof v->affine);
    v->qform_code = v->sform_code = 1;
    const int64_t n = volume_count(v);
    for (int64_t i = 0; i < n; i++)
        v->data[i] = kind == 0 ? (double)(i % 256) : kind == 1 ? (double)((i * 37) % 5000) - 1200 : sin((double)i) * 1000.25;
    v->type = kind == 0 ? VT_U8 : kind == 1 ? VT_I16 : VT_F32;
    return 0;
}

TEST(nifti_write_read_round_trip)
{
    static const char *names[] = {"rt.nii", "rt.nii.gz"};
    for (int kind = 0; kind < 3; kind++)
        for (int gz = 0; gz < 2; gz++) {
            struct volume v = {0}, w = {0};
            struct sarc_err e = {0};
            REQUIRE_OK(make_volume(&v, 7, 5, 3, kind == 1 ? 2 : 1, kind, &e), e);
            const char *path = test_tmp(names[gz]);
            REQUIRE_OK(nifti_write(path, &v, NULL, &e), e);
            REQUIRE_OK(nifti_read(path, NULL, &w, &e), e);
            CHECK_INT(w.type, v.type);
            CHECK_INT(w.ndim, v.ndim);
            for (int i = 0; i < 4; i++)
                CHECK_INT(w.dim[i], v.dim[i]);
            const int64_t n = volume_count(&v);
            int bad = 0;
            for (int64_t i = 0; i < n; i++)
                if (w.data[i] != (kind == 2 ? (double)(float)v.data[i] : v.data[i]))
                    bad++;
            CHECK_MSG(bad == 0, "kind %d gz %d: %d values differ", kind, gz, bad);
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 4; c++) {
                    CHECK_CLOSE(w.affine[r][c], v.affine[r][c], 1e-6, 1e-6);
                    /* the qform from our quaternion reproduces the same rotation, to the
                     * precision of a float32 quaternion near a = 0 (this one is a 180-degree
                     * rotation: a is recomputed as sqrt(1 - b^2 - c^2 - d^2) ~ sqrt(1e-8)) */
                    CHECK_CLOSE(w.qform[r][c], v.affine[r][c], 1e-5, 1e-3);
                }
            CHECK_INT(w.qform_code, 1);
            CHECK_INT(w.sform_code, 1);
            for (int i = 0; i < 3; i++)
                CHECK_CLOSE(w.spacing[i], v.spacing[i], 1e-7, 0);
            volume_free(&v);
            volume_free(&w);
        }
}

TEST(nifti_write_degenerate_affine)
{
    /* an all-zero rotation part: written with qform_code 0, read back through the sform */
    struct volume v = {0}, w = {0};
    struct sarc_err e = {0};
    REQUIRE_OK(make_volume(&v, 3, 3, 3, 1, 0, &e), e);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            v.affine[r][c] = 0;
    const char *path = test_tmp("degenerate.nii");
    REQUIRE_OK(nifti_write(path, &v, NULL, &e), e);
    REQUIRE_OK(nifti_read(path, NULL, &w, &e), e);
    CHECK_INT(w.qform_code, 0);
    CHECK_INT(w.sform_code, 1);
    CHECK(w.affine[0][0] == 0 && w.affine[0][3] == 12.5);
    volume_free(&v);
    volume_free(&w);
}

TEST(nifti_write_types_and_scaling)
{
    struct volume v = {0}, w = {0};
    struct sarc_err e = {0};
    REQUIRE_OK(make_volume(&v, 9, 4, 2, 1, 2, &e), e); /* float values -1000..1000 */
    const char *path = test_tmp("scaled.nii");
    /* float data as int16: a linear scaling to the type's range, error <= slope / 2 */
    struct volume_write_opts o = {VT_I16, 0};
    REQUIRE_OK(nifti_write(path, &v, &o, &e), e);
    REQUIRE_OK(nifti_read(path, NULL, &w, &e), e);
    CHECK_INT(w.type, VT_I16);
    CHECK(w.scl_slope > 0);
    double maxerr = 0;
    for (int64_t i = 0; i < volume_count(&v); i++)
        maxerr = fmax(maxerr, fabs(w.data[i] - v.data[i]));
    CHECK_MSG(maxerr <= w.scl_slope * 0.5001 + 1e-9, "max error %g, slope %g", maxerr, w.scl_slope);
    /* writing the scaled int16 volume again keeps its scaling: values come back bit-identical */
    const char *path2 = test_tmp("scaled2.nii.gz");
    struct volume x = {0};
    REQUIRE_OK(nifti_write(path2, &w, NULL, &e), e);
    REQUIRE_OK(nifti_read(path2, NULL, &x, &e), e);
    CHECK(memcmp(x.data, w.data, sizeof(double) * (size_t)volume_count(&w)) == 0);
    CHECK_CLOSE(x.scl_slope, w.scl_slope, 0, 0);
    volume_free(&x);
    volume_free(&w);
    /* integers in range: uint8 without scaling, NaN written as 0 */
    for (int64_t i = 0; i < volume_count(&v); i++)
        v.data[i] = (double)(i % 3);
    v.data[5] = NAN;
    o.type = VT_U8;
    REQUIRE_OK(nifti_write(path, &v, &o, &e), e);
    REQUIRE_OK(nifti_read(path, NULL, &w, &e), e);
    CHECK_INT(w.type, VT_U8);
    CHECK(w.data[5] == 0 && w.data[4] == 1 && w.data[8] == 2);
    CHECK(w.scl_slope == 1 && w.scl_inter == 0);
    volume_free(&w);
    volume_free(&v);
}

/* A minimal valid single-file NIfTI-1 in memory: uint8 4x3x2, little-endian. */
static size_t make_nii(uint8_t *b, size_t cap)
{
    struct volume v = {0};
    int64_t dim[4] = {4, 3, 2, 1};
    if (volume_alloc(&v, 3, dim, NULL))
        return 0;
    for (int i = 0; i < 24; i++)
        v.data[i] = i;
    v.type = VT_U8;
    const char *p = test_tmp("mini.nii");
    struct sarc_err e = {0};
    uint8_t *buf = NULL;
    size_t n = 0;
    if (nifti_write(p, &v, NULL, &e) || file_read_all(p, &buf, &n, 0, &e) || n > cap)
        n = 0;
    if (n)
        memcpy(b, buf, n);
    free(buf);
    volume_free(&v);
    return n;
}

static void put16(uint8_t *p, int v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }

TEST(nifti_bad_input)
{
    uint8_t good[512], b[512];
    size_t n = make_nii(good, sizeof good);
    REQUIRE(n == 352 + 24);
    struct volume v = {0};
    struct sarc_err e = {0};
    CHECK_OK(nifti_parse(good, n, NULL, &v, &e), e);
    CHECK(v.data && v.data[23] == 23);
    volume_free(&v);
    /* every truncation fails cleanly, and leaves v empty */
    for (size_t k = 0; k < n; k++) {
        int rc = nifti_parse(good, k, NULL, &v, &e);
        CHECK_MSG(rc == SARC_ERR_FORMAT, "truncated to %zu bytes: rc %d", k, rc);
        CHECK(v.data == NULL);
    }
    /* dims whose product exceeds the file */
    memcpy(b, good, n);
    put16(b + 42, 400);
    CHECK_INT(nifti_parse(b, n, NULL, &v, &e), SARC_ERR_FORMAT);
    CHECK_MSG(strstr(e.msg, "truncated data") != NULL, "%s", e.msg);
    /* zero, negative and huge dims */
    static const int bad_dims[] = {0, -4, 32767};
    for (int i = 0; i < 3; i++) {
        memcpy(b, good, n);
        put16(b + 44, bad_dims[i]);
        int rc = nifti_parse(b, n, NULL, &v, &e);
        CHECK_MSG(rc == SARC_ERR_FORMAT, "dim[2] = %d: rc %d (%s)", bad_dims[i], rc, e.msg);
    }
    memcpy(b, good, n);
    put16(b + 40, 9); /* dim[0] */
    CHECK_INT(nifti_parse(b, n, NULL, &v, &e), SARC_ERR_FORMAT);
    CHECK(strstr(e.msg, "dim[0]") != NULL);
    /* NIfTI-2-sized huge dims overflow check: all seven dims 32767 */
    memcpy(b, good, n);
    put16(b + 40, 7);
    for (int i = 1; i <= 7; i++)
        put16(b + 40 + 2 * i, 32767);
    CHECK_INT(nifti_parse(b, n, NULL, &v, &e), SARC_ERR_RANGE);
    /* bad magic, bad sizeof_hdr */
    memcpy(b, good, n);
    memcpy(b + 344, "xyz", 4);
    CHECK_INT(nifti_parse(b, n, NULL, &v, &e), SARC_ERR_FORMAT);
    CHECK(strstr(e.msg, "magic") != NULL);
    memcpy(b, good, n);
    b[0] = 7;
    CHECK_INT(nifti_parse(b, n, NULL, &v, &e), SARC_ERR_FORMAT);
    /* unknown and unsupported datatypes */
    memcpy(b, good, n);
    put16(b + 70, 3);
    CHECK_INT(nifti_parse(b, n, NULL, &v, &e), SARC_ERR_FORMAT);
    CHECK(strstr(e.msg, "unknown datatype 3") != NULL);
    put16(b + 70, 32);
    CHECK_INT(nifti_parse(b, n, NULL, &v, &e), SARC_ERR_UNSUPPORTED);
    /* vox_offset inside the header / past the end */
    memcpy(b, good, n);
    b[108] = 0, b[109] = 0, b[110] = 0x80, b[111] = 0x42; /* 64.0f */
    CHECK_INT(nifti_parse(b, n, NULL, &v, &e), SARC_ERR_FORMAT);
    /* non-finite pixdim */
    memcpy(b, good, n);
    b[80] = 0, b[81] = 0, b[82] = 0xc0, b[83] = 0x7f; /* NaN */
    CHECK_INT(nifti_parse(b, n, NULL, &v, &e), SARC_ERR_FORMAT);
    /* a transform in use with a NaN in it */
    memcpy(b, good, n);
    b[280] = 0, b[281] = 0, b[282] = 0xc0, b[283] = 0x7f; /* srow_x[0] = NaN, sform_code 2 */
    CHECK_INT(nifti_parse(b, n, NULL, &v, &e), SARC_ERR_FORMAT);
    CHECK(strstr(e.msg, "srow_x") != NULL);
    /* scl_slope 0 and NaN: no scaling */
    memcpy(b, good, n);
    memset(b + 112, 0, 4);
    b[116] = 0, b[117] = 0, b[118] = 0x20, b[119] = 0x41; /* inter 10 is ignored */
    CHECK_OK(nifti_parse(b, n, NULL, &v, &e), e);
    CHECK(v.data && v.data[7] == 7 && v.scl_slope == 0);
    volume_free(&v);
    b[112] = 0, b[113] = 0, b[114] = 0xc0, b[115] = 0x7f;
    CHECK_OK(nifti_parse(b, n, NULL, &v, &e), e);
    CHECK(v.data && v.data[7] == 7);
    volume_free(&v);
    /* bad gzip through a file */
    const char *p = test_tmp("bad.nii.gz");
    const uint8_t junk[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff};
    REQUIRE_OK(file_write_atomic(p, junk, sizeof junk, &e), e);
    CHECK_INT(nifti_read(p, NULL, &v, &e), SARC_ERR_FORMAT);
    CHECK(v.data == NULL);
    /* a gzip file whose header claims far more data than it can hold */
    memcpy(b, good, n);
    put16(b + 42, 2000), put16(b + 44, 2000), put16(b + 46, 200);
    uint8_t *gz = NULL;
    size_t gzn = 0;
    REQUIRE_OK(gzip_compress(b, n, 6, &gz, &gzn, &e), e);
    REQUIRE_OK(file_write_atomic(p, gz, gzn, &e), e);
    free(gz);
    CHECK_INT(nifti_read(p, NULL, &v, &e), SARC_ERR_FORMAT);
    CHECK(strstr(e.msg, "truncated") != NULL);
    /* missing file; a pair without its image */
    CHECK_INT(nifti_read(test_tmp("absent.nii"), NULL, &v, &e), SARC_ERR_IO);
    CHECK_INT(nifti_read(test_tmp("absent.hdr"), NULL, &v, &e), SARC_ERR_IO);
}

TEST(nifti_big_endian_and_pair)
{
    /* the big-endian reference (anatomical.nii) read through a .hdr/.img pair made from it */
    const char *p = test_shared("data/nifti/anatomical.nii");
    if (!p)
        SKIP("../shared/data/nifti not present");
    uint8_t *buf = NULL;
    size_t n = 0;
    struct sarc_err e = {0};
    REQUIRE_OK(file_read_all(p, &buf, &n, 0, &e), e);
    REQUIRE(n > 352);
    memcpy(buf + 344, "ni1", 4);
    memset(buf + 108, 0, 4); /* vox_offset 0 in the .img */
    CHECK_OK(file_write_atomic(test_tmp("pair.hdr"), buf, 348, &e), e);
    CHECK_OK(file_write_atomic(test_tmp("pair.img"), buf + 352, n - 352, &e), e);
    struct volume a = {0}, b = {0}, c = {0};
    CHECK_OK(nifti_read(p, NULL, &a, &e), e);
    CHECK_OK(nifti_read(test_tmp("pair.hdr"), NULL, &b, &e), e);
    CHECK_OK(nifti_read(test_tmp("pair.img"), NULL, &c, &e), e);
    if (a.data && b.data && c.data) {
        CHECK(volume_count(&a) == volume_count(&b) && memcmp(a.data, b.data, sizeof(double) * (size_t)volume_count(&a)) == 0);
        CHECK(memcmp(a.data, c.data, sizeof(double) * (size_t)volume_count(&a)) == 0);
        CHECK(memcmp(a.affine, b.affine, sizeof a.affine) == 0);
        CHECK_CLOSE(vox(&a, 16, 20, 12, 0), 11881, 0, 0); /* EXPECTED.json */
    }
    volume_free(&a);
    volume_free(&b);
    volume_free(&c);
    free(buf);
}

TEST(nifti_written_as_nibabel_reads)
{
    /* test/oracles/nifti_nibabel_roundtrip.py converted these files with sarc and read the
     * outputs with nibabel; the golden holds the SHA-256 of each output's .nii bytes (so the same
     * bytes here mean nibabel reads what it read then) and nibabel's facts. */
    FILE *f = fopen("test/golden/nifti/nibabel_roundtrip.txt", "r");
    REQUIRE(f);
    if (!test_shared("data/nifti")) {
        fclose(f);
        SKIP("../shared/data/nifti not present");
    }
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char rel[512], type[32], hex[65], full[600];
        if (line[0] == '#' || sscanf(line, "out %511s %31s %64s", rel, type, hex) != 3)
            continue;
        snprintf(full, sizeof full, "data/%s", rel);
        const char *src = test_shared(full);
        REQUIRE(src);
        struct volume v = {0};
        struct sarc_err e = {0};
        REQUIRE_OK(nifti_read(src, NULL, &v, &e), e);
        struct volume_write_opts o = {VT_UNKNOWN, 0};
        if (strcmp(type, "keep") != 0)
            for (int t = VT_U8; t <= VT_F64; t++)
                if (strcmp(vtype_name((enum vtype)t), type) == 0)
                    o.type = (enum vtype)t;
        const char *out = test_tmp("nib.nii");
        CHECK_OK(nifti_write(out, &v, &o, &e), e);
        uint8_t *buf = NULL;
        size_t len = 0;
        CHECK_OK(file_read_all(out, &buf, &len, 0, &e), e);
        char got[65];
        sha256_hex(buf, len, got);
        CHECK_MSG(strcmp(got, hex) == 0, "%s as %s: output differs from the one nibabel checked", rel, type);
        free(buf);
        volume_free(&v);
        n++;
    }
    fclose(f);
    CHECK(n >= 5);
}

TEST(nifti_all_datatypes)
{
    /* test/golden/nifti/dtypes.txt and its files: written and read by nibabel
     * (test/oracles/nifti_dtypes_golden.py) */
    FILE *f = fopen("test/golden/nifti/dtypes.txt", "r");
    REQUIRE(f);
    char line[2048], name[256] = "", dtype[32];
    struct volume v = {0};
    int nfiles = 0, ok = 0;
    while (fgets(line, sizeof line, f)) {
        double d[12];
        if (!strncmp(line, "file ", 5)) {
            long long dim[4];
            REQUIRE(sscanf(line + 5, "%255s %31s %lld %lld %lld %lld %lf %lf %lf %lf %lf", name, dtype, &dim[0], &dim[1], &dim[2], &dim[3],
                           &d[0], &d[1], &d[2], &d[3], &d[4]) == 11);
            char path[512];
            snprintf(path, sizeof path, "test/golden/nifti/%s", name);
            struct sarc_err e = {0};
            volume_free(&v);
            ok = nifti_read(path, NULL, &v, &e) == 0;
            CHECK_MSG(ok, "%s: %s", name, e.msg);
            nfiles++;
            if (!ok)
                continue;
            CHECK_STR(vtype_name(v.type), dtype);
            for (int i = 0; i < 4; i++)
                CHECK_MSG(v.dim[i] == dim[i], "%s: dim[%d] = %lld, expected %lld", name, i, (long long)v.dim[i], dim[i]);
            struct vstats s;
            volume_stats(&v, &s);
            const double scale = fmax(fabs(d[0]), fabs(d[1]));
            CHECK_CLOSE(s.min, d[0], 0, 0);
            CHECK_CLOSE(s.max, d[1], 0, 0);
            CHECK_CLOSE(s.mean, d[2], 0, 1e-12 * scale); /* sum order differs from numpy's */
            CHECK_CLOSE(v.data[0], d[3], 0, 0);
            CHECK_CLOSE(v.data[volume_count(&v) - 1], d[4], 0, 0);
        } else if (!strncmp(line, "affine ", 7) && ok) {
            REQUIRE(parse_doubles(line + 7, d, 12) == 12);
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 4; c++)
                    CHECK_MSG(fabs(v.affine[r][c] - d[4 * r + c]) <= 1e-6, "%s: affine[%d][%d] = %.17g, expected %.17g", name, r, c, v.affine[r][c], d[4 * r + c]);
        }
    }
    fclose(f);
    volume_free(&v);
    CHECK(nfiles == 15);
}

TEST(nifti_write_keeps_type_only_when_exact)
{
    /* an int16 source whose values no longer fit int16 exactly (e.g. a per-frame scaled Bruker
     * 2dseq, or processing) is written as float32 when the type is kept, not requantised */
    struct volume v = {0}, w = {0};
    struct sarc_err e = {0};
    REQUIRE_OK(make_volume(&v, 4, 3, 2, 1, 1, &e), e);
    v.data[3] = 0.25;
    const char *path = test_tmp("keep.nii");
    REQUIRE_OK(nifti_write(path, &v, NULL, &e), e);
    REQUIRE_OK(nifti_read(path, NULL, &w, &e), e);
    CHECK_INT(w.type, VT_F32);
    CHECK(memcmp(w.data, v.data, sizeof(double) * (size_t)volume_count(&v)) == 0);
    volume_free(&w);
    /* asked for int16 explicitly: scaled int16 */
    struct volume_write_opts o = {VT_I16, 0};
    REQUIRE_OK(nifti_write(path, &v, &o, &e), e);
    REQUIRE_OK(nifti_read(path, NULL, &w, &e), e);
    CHECK_INT(w.type, VT_I16);
    CHECK(w.scl_slope != 1);
    volume_free(&w);
    volume_free(&v);
}
