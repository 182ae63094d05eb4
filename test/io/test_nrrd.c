/* test_nrrd.c - NRRD reader and writer (io/nrrd.c).
 *
 * Oracles: ../shared/data/EXPECTED.json via test/golden/readers/expected.txt (dims with spatial
 * axes first, RAS affine, statistics and voxels, 1e-6 relative), SimpleITK's NRRD writer for an
 * oblique LPS image (test/golden/readers/sitk_oblique.*, made by
 * test/oracles/readers_nrrd_sitk.py), and small hand-written files with hand-computed answers for
 * every encoding, type, endianness, byte/line skip, detached data, space and segment case.
 * Tests of gzip-encoded data SKIP while vendor/gzip reports SARC_ERR_UNSUPPORTED. */
#include <stdlib.h>
#include <string.h>

#include "io/file.h"
#include "io/nrrd.h"
#include "io/volio.h"
#include "test/harness.h"
#include "test/io/readers_golden.h"
#include "vendor/gzip.h"

static int gzip_available(void)
{
    uint8_t in[4] = {1, 2, 3, 4}, *out = NULL;
    size_t n = 0;
    struct sarc_err e;
    int rc = gzip_compress(in, 4, 6, &out, &n, &e);
    free(out);
    return rc != SARC_ERR_UNSUPPORTED;
}

static void write_file(const char *path, const void *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(buf, 1, n, f);
        fclose(f);
    }
}

/* Parses an in-memory attached NRRD: header text + n data bytes. */
static int parse_mem(const char *hdr, const void *data, size_t n, const struct volume_read_opts *o, struct volume *v, struct sarc_err *e)
{
    size_t hn = strlen(hdr);
    uint8_t *b = malloc(hn + n + 1);
    memcpy(b, hdr, hn);
    if (n)
        memcpy(b + hn, data, n);
    int rc = nrrd_parse(b, hn + n, o, v, e);
    free(b);
    return rc;
}

TEST(nrrd_reference_datasets)
{
    if (!test_shared("data/nrrd"))
        SKIP("../shared/data/nrrd is absent");
    struct rgold *g;
    int n = readers_golden_load("nrrd", &g);
    REQUIRE_MSG(n >= 4, "golden: %d NRRD datasets, expected >= 4", n);
    int gz = gzip_available(), skipped = 0;
    for (int i = 0; i < n; i++) {
        char rel[300];
        snprintf(rel, sizeof rel, "data/%s", g[i].path);
        const char *p = test_shared(rel);
        CHECK_MSG(p != NULL, "%s is missing", rel);
        if (!p)
            continue;
        struct volume v;
        struct sarc_err e;
        int rc = volume_read(p, NULL, &v, &e);
        if (rc == SARC_ERR_UNSUPPORTED && !gz && strstr(e.msg, "gzip")) {
            skipped++;
            continue;
        }
        CHECK_MSG(rc == 0, "%s: %s", g[i].path, e.msg);
        if (rc)
            continue;
        CHECK_STR(v.format, "nrrd");
        readers_golden_check(&g[i], &v);
        volume_free(&v);
    }
    free(g);
    if (skipped)
        SKIP("gzip-encoded reference files not checked: vendor/gzip is not available yet");
}

/* Slicer segmentation: a segment by name or label value gives its mask. */
TEST(nrrd_segments)
{
    const char *p = test_shared("data/nrrd/Segmentation.seg.nrrd");
    if (!p)
        SKIP("../shared/data/nrrd is absent");
    if (!gzip_available())
        SKIP("Segmentation.seg.nrrd is gzip-encoded: vendor/gzip is not available yet");
    struct volume v, w;
    struct sarc_err e;
    struct volume_read_opts o = {-1, "right lung"};
    REQUIRE_OK(volume_read(p, &o, &v, &e), e);
    struct vstats s;
    volume_stats(&v, &s);
    CHECK_CLOSE(s.mean * (double)s.count, 34450, 0, 0); /* EXPECTED value_histogram["5"] */
    CHECK(v.type == VT_U8);
    o.segment = "5";
    REQUIRE_OK(volume_read(p, &o, &w, &e), e);
    CHECK(memcmp(v.data, w.data, sizeof(double) * (size_t)volume_count(&v)) == 0);
    volume_free(&w);
    o.segment = "spleen";
    CHECK(volume_read(p, &o, &w, &e) == SARC_ERR_ARG);
    CHECK_MSG(strstr(e.msg, "spleen") && strstr(e.msg, "right lung"), "message: %s", e.msg);
    volume_free(&v);
}

/* Hand-made files: types, endianness, encodings, skips, spaces, layers. */
TEST(nrrd_hand_made)
{
    struct volume v;
    struct sarc_err e;
    /* big-endian int16 with LAS space: x flips only */
    const uint8_t be[8] = {0x01, 0x02, 0xff, 0xfe, 0x00, 0x07, 0x80, 0x00};
    REQUIRE_OK(parse_mem("NRRD0004\ntype: int16\ndimension: 3\nspace: left-anterior-superior\nsizes: 2 2 1\n"
                         "space directions: (2,0,0) (0,3,0) (0,0,4)\nendian: big\nencoding: raw\nspace origin: (1,2,3)\n\n",
                         be, 8, NULL, &v, &e), e);
    CHECK(v.data[0] == 258 && v.data[1] == -2 && v.data[2] == 7 && v.data[3] == -32768);
    CHECK(v.affine[0][0] == -2 && v.affine[1][1] == 3 && v.affine[2][2] == 4);
    CHECK(v.affine[0][3] == -1 && v.affine[1][3] == 2 && v.affine[2][3] == 3);
    CHECK(v.type == VT_I16);
    volume_free(&v);
    /* every scalar type, little endian, value 1 then the type's extreme */
    static const struct {
        const char *name;
        int size;
        double last;
    } types[] = {{"uchar", 1, 255}, {"signed char", 1, -128}, {"ushort", 2, 65535}, {"short", 2, -32768}, {"uint", 4, 4294967295.0},
                 {"int", 4, -2147483648.0}, {"ulonglong", 8, 18446744073709551615.0}, {"longlong", 8, -9223372036854775808.0}};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        uint8_t d[16] = {0};
        d[0] = 1;
        int s = types[t].size;
        int is_signed = types[t].last < 0;
        for (int k = 0; k < s; k++)
            d[s + k] = is_signed ? (k == s - 1 ? 0x80 : 0) : 0xff;
        char hdr[256];
        snprintf(hdr, sizeof hdr, "NRRD0004\ntype: %s\ndimension: 1\nsizes: 2\nendian: little\nencoding: raw\n\n", types[t].name);
        REQUIRE_OK(parse_mem(hdr, d, (size_t)(2 * s), NULL, &v, &e), e);
        CHECK_MSG(v.data[0] == 1 && v.data[1] == types[t].last, "%s: %g %g", types[t].name, v.data[0], v.data[1]);
        volume_free(&v);
    }
    float f2[2] = {1.5f, -2.25f};
    double d2[2] = {1e-300, -7.125};
    REQUIRE_OK(parse_mem("NRRD0001\ntype: float\ndimension: 1\nsizes: 2\nendian: little\nencoding: raw\n\n", f2, 8, NULL, &v, &e), e);
    CHECK(v.data[0] == 1.5 && v.data[1] == -2.25);
    volume_free(&v);
    REQUIRE_OK(parse_mem("NRRD0004\ntype: double\ndimension: 1\nsizes: 2\nendian: little\nencoding: raw\n\n", d2, 16, NULL, &v, &e), e);
    CHECK(v.data[0] == 1e-300 && v.data[1] == -7.125);
    volume_free(&v);
    /* ascii with spacings (no space: diagonal affine) */
    const char *asc = "NRRD0004\ntype: float\ndimension: 2\nsizes: 3 2\nencoding: ascii\nspacings: 0.5 2\n\n1 2 3\n4 5 6.5\n";
    REQUIRE_OK(parse_mem(asc, NULL, 0, NULL, &v, &e), e);
    CHECK_INT(v.dim[0], 3);
    CHECK_INT(v.dim[1], 2);
    CHECK_INT(v.dim[2], 1);
    CHECK(v.data[5] == 6.5 && v.spacing[0] == 0.5 && v.spacing[1] == 2);
    volume_free(&v);
    /* byte skip -1: the data are the last bytes */
    const uint8_t tail[6] = {9, 9, 9, 9, 5, 6};
    REQUIRE_OK(parse_mem("NRRD0004\ntype: uchar\ndimension: 1\nsizes: 2\nbyte skip: -1\nencoding: raw\n\n", tail, 6, NULL, &v, &e), e);
    CHECK(v.data[0] == 5 && v.data[1] == 6);
    volume_free(&v);
    REQUIRE_OK(parse_mem("NRRD0004\ntype: uchar\ndimension: 1\nsizes: 2\nbyte skip: 3\nencoding: raw\n\n", tail, 6, NULL, &v, &e), e);
    CHECK(v.data[0] == 9 && v.data[1] == 5);
    volume_free(&v);
    /* a list axis first (Slicer layers): spatial axes first in the result, layers as the 4th;
     * a segment picks its layer */
    const uint8_t lay[16] = {0, 1, 2, 3, 4, 5, 6, 7, 1, 1, 0, 0, 1, 0, 1, 0};
    const char *lh = "NRRD0005\ntype: uchar\ndimension: 4\nspace: RAS\nsizes: 2 2 2 2\n"
                     "space directions: none (1,0,0) (0,1,0) (0,0,1)\nkinds: list domain domain domain\nencoding: raw\n"
                     "Segment0_Name:=tumour\nSegment0_LabelValue:=1\nSegment0_Layer:=1\n\n";
    REQUIRE_OK(parse_mem(lh, lay, 16, NULL, &v, &e), e);
    CHECK_INT(v.ndim, 4);
    CHECK_INT(v.dim[3], 2);
    /* file index (l, x, y, z) = l + 2 * (x + 2 * (y + 2 * z)); ours (x, y, z, l) */
    CHECK(v.data[1] == lay[2] && v.data[8 + 1] == lay[3] && v.data[8 + 7] == lay[15]);
    volume_free(&v);
    struct volume_read_opts o = {-1, "tumour"};
    REQUIRE_OK(parse_mem(lh, lay, 16, &o, &v, &e), e);
    CHECK_INT(v.ndim, 3);
    for (int i = 0; i < 8; i++)
        CHECK_MSG(v.data[i] == (lay[2 * i + 1] == 1), "voxel %d", i);
    volume_free(&v);
    struct volume_read_opts of = {1, NULL};
    REQUIRE_OK(parse_mem(lh, lay, 16, &of, &v, &e), e);
    CHECK(v.dim[3] == 1 && v.data[7] == lay[15]);
    volume_free(&v);
    of.frame = 2;
    CHECK(parse_mem(lh, lay, 16, &of, &v, &e) == SARC_ERR_ARG);
}

/* Detached header (.nhdr) with a relative data file and line skip. */
TEST(nrrd_detached)
{
    const char *h = test_tmp("det.nhdr"), *d = test_tmp("det.raw");
    const char *hdr = "NRRD0004\ntype: short\ndimension: 3\nspace: left-posterior-superior\nsizes: 2 1 1\n"
                      "space directions: (1,0,0) (0,1,0) (0,0,1)\nendian: little\nencoding: raw\nline skip: 1\ndata file: det.raw\n";
    write_file(h, hdr, strlen(hdr));
    const char raw[] = "a comment line\n\x05\x00\xfb\xff";
    write_file(d, raw, sizeof raw - 1);
    struct volume v;
    struct sarc_err e;
    REQUIRE_OK(volume_read(h, NULL, &v, &e), e);
    CHECK(v.data[0] == 5 && v.data[1] == -5);
    CHECK(v.affine[0][0] == -1 && v.affine[1][1] == -1);
    volume_free(&v);
    remove(d);
    CHECK(volume_read(h, NULL, &v, &e) == SARC_ERR_IO);
    CHECK_MSG(strstr(e.msg, "det.raw") != NULL, "message: %s", e.msg);
}

/* SimpleITK wrote an oblique LPS image: we must mean the same world positions. */
TEST(nrrd_sitk_oracle)
{
    struct volume v;
    struct sarc_err e;
    REQUIRE_OK(volume_read("test/golden/readers/sitk_oblique.nrrd", NULL, &v, &e), e);
    FILE *f = fopen("test/golden/readers/sitk_oblique.txt", "r");
    REQUIRE(f != NULL);
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        char *p = strchr(line, ' ');
        if (!p)
            continue;
        if (strncmp(line, "affine ", 7) == 0)
            for (int i = 0; i < 16; i++)
                CHECK_CLOSE(v.affine[i / 4][i % 4], strtod(p, &p), 1e-12, 1e-12);
        else if (strncmp(line, "values ", 7) == 0)
            for (int64_t i = 0; i < volume_count(&v); i++)
                CHECK_MSG(v.data[i] == strtod(p, &p), "value %lld", (long long)i);
        else if (strncmp(line, "dims ", 5) == 0)
            CHECK(v.dim[0] == strtol(p, &p, 10) && v.dim[1] == strtol(p, &p, 10) && v.dim[2] == strtol(p, &p, 10));
    }
    fclose(f);
    CHECK_CLOSE(v.spacing[1], 0.75, 1e-12, 0);
    volume_free(&v);
}

/* Writer: write -> read keeps values, type, dims and affine (gzip, or raw while gzip is absent). */
TEST(nrrd_write_roundtrip)
{
    struct volume v, r;
    struct sarc_err e;
    REQUIRE_OK(volume_read("test/golden/readers/sitk_oblique.nrrd", NULL, &v, &e), e);
    const char *out = test_tmp("rt.nrrd");
    REQUIRE_OK(nrrd_write(out, &v, NULL, &e), e);
    REQUIRE_OK(volume_read(out, NULL, &r, &e), e);
    CHECK(r.type == VT_I16);
    CHECK(memcmp(r.dim, v.dim, sizeof r.dim) == 0);
    CHECK(memcmp(r.data, v.data, sizeof(double) * (size_t)volume_count(&v)) == 0);
    for (int i = 0; i < 16; i++)
        CHECK_CLOSE(r.affine[i / 4][i % 4], v.affine[i / 4][i % 4], 0, 1e-15);
    volume_free(&r);
    /* non-integer values in an int16 volume: written as float32 */
    v.data[0] = 0.25;
    REQUIRE_OK(nrrd_write(out, &v, NULL, &e), e);
    REQUIRE_OK(volume_read(out, NULL, &r, &e), e);
    CHECK(r.type == VT_F32 && r.data[0] == 0.25);
    volume_free(&r);
    /* an explicit type that cannot hold the values is refused */
    struct volume_write_opts wo = {VT_U8, 0};
    CHECK(nrrd_write(out, &v, &wo, &e) == SARC_ERR_RANGE);
    volume_free(&v);
    /* 4-D: the 4th dimension as a list axis */
    int64_t dim[4] = {2, 3, 2, 3};
    REQUIRE_OK(volume_alloc(&v, 4, dim, &e), e);
    for (int64_t i = 0; i < volume_count(&v); i++)
        v.data[i] = (double)i * 0.5;
    v.type = VT_F64;
    REQUIRE_OK(nrrd_write(out, &v, NULL, &e), e);
    REQUIRE_OK(volume_read(out, NULL, &r, &e), e);
    CHECK_INT(r.ndim, 4);
    CHECK_INT(r.dim[3], 3);
    CHECK(r.type == VT_F64);
    CHECK(memcmp(r.data, v.data, sizeof(double) * (size_t)volume_count(&v)) == 0);
    volume_free(&r);
    volume_free(&v);
    if (gzip_available()) {
        uint8_t *b;
        size_t n;
        REQUIRE_OK(file_read_all(out, &b, &n, 0, &e), e);
        CHECK(strstr((const char *)b, "encoding: gzip") != NULL);
        free(b);
    }
}

TEST(nrrd_bad_input)
{
    static const char *bad[] = {
        "NRRX0004\ntype: short\ndimension: 1\nsizes: 1\n\n",
        "NRRD0004\ndimension: 1\nsizes: 1\nencoding: raw\n\n",
        "NRRD0004\ntype: short\nsizes: 2\ndimension: 1\n\n",
        "NRRD0004\ntype: short\ndimension: 0\nsizes: 2\n\n",
        "NRRD0004\ntype: short\ndimension: 2\nsizes: 2 0\n\n",
        "NRRD0004\ntype: short\ndimension: 2\nsizes: 2 2 2\n\n",
        "NRRD0004\ntype: complex\ndimension: 1\nsizes: 2\n\n",
        "NRRD0004\ntype: short\ndimension: 1\nsizes: 2\nencoding: bzip2\n\n",
        "NRRD0004\ntype: short\ndimension: 3\nsizes: 2 2 2\nspace: left-posterior-superior\nspace directions: (1,0,0) (0,1,0)\n\n",
        "NRRD0004\ntype: short\ndimension: 1\nsizes: 2\nthis line has no separator\n\n",
        "NRRD0004\ntype: int\ndimension: 3\nsizes: 2147483647 2147483647 2147483647\nencoding: raw\n\n",
        "NRRD0004\ntype: short\ndimension: 1\nsizes: 2\nencoding: ascii\n\n1\n",
        "NRRD0004\ntype: short\ndimension: 1\nsizes: 2\ndata file: LIST\n\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct volume v;
        struct sarc_err e;
        err_clear(&e);
        int rc = parse_mem(bad[i], NULL, 0, NULL, &v, &e);
        CHECK_MSG(rc != 0 && e.msg[0], "case %zu accepted: %s", i, bad[i]);
        CHECK(v.data == NULL);
    }
    /* short data: both numbers named */
    struct volume v;
    struct sarc_err e;
    CHECK(parse_mem("NRRD0004\ntype: short\ndimension: 2\nsizes: 4 4\nendian: little\nencoding: raw\n\n", "abc", 3, NULL, &v, &e) ==
          SARC_ERR_FORMAT);
    CHECK_MSG(strstr(e.msg, "3 bytes") && strstr(e.msg, "32"), "message: %s", e.msg);
    /* a segment asked of a file without segments */
    struct volume_read_opts o = {-1, "tumour"};
    CHECK(parse_mem("NRRD0004\ntype: uchar\ndimension: 1\nsizes: 1\nencoding: raw\n\n", "a", 1, &o, &v, &e) == SARC_ERR_ARG);
    /* .nhdr without data file; the CLI exits 2 with "sarc: <file>: ..." */
    const char *h = test_tmp("nodata.nhdr");
    const char *txt = "NRRD0004\ntype: short\ndimension: 1\nsizes: 2\nencoding: raw\n";
    write_file(h, txt, strlen(txt));
    CHECK(volume_read(h, NULL, &v, &e) == SARC_ERR_FORMAT);
    const char *t = test_tmp("trunc.nrrd");
    const char *tt = "NRRD0004\ntype: float\ndimension: 3\nsizes: 8 8 8\nendian: little\nencoding: raw\n\n1234";
    write_file(t, tt, strlen(tt));
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "'%s' convert '%s' '%s'", test_sarc(), t, test_tmp("trunc_out.nii"));
    CHECK_INT(test_system(cmd), 2);
    CHECK_MSG(strncmp(test_last_output(), "sarc: ", 6) == 0, "output: %s", test_last_output());
    CHECK(!file_is_regular(test_tmp("trunc_out.nii")));
}
