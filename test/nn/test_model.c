/* test_model.c - nn/model.c: .sarcnet round trip, every corruption refused (magic, fields,
 * truncation, hash), .npy round trip and bad .npy headers, export/import round trip, contrast
 * lists. */
#include <stdlib.h>
#include <string.h>

#include "io/file.h"
#include "nn/model.h"
#include "test/harness.h"

static int tiny_model(struct seg_model *m, struct sarc_err *e)
{
    struct unet_arch a = {2, {2, 3, 4}, 1, {18, 22, 18}, 0.1f};
    return model_init(m, &a, CONTRAST_T1C | CONTRAST_T2, 7, e);
}

TEST(model_contrasts_parse)
{
    struct sarc_err e = {0};
    unsigned b;
    REQUIRE_OK(contrasts_parse("T2,T1", &b, &e), e);
    CHECK_INT(b, CONTRAST_T1 | CONTRAST_T2);
    char buf[32];
    contrasts_format(b, buf, sizeof buf);
    CHECK_STR(buf, "T1,T2");
    CHECK_STR(contrasts_name(b, 1), "T2");
    CHECK(contrasts_parse("T1,T1", &b, &e) == SARC_ERR_ARG);
    CHECK(contrasts_parse("", &b, &e) == SARC_ERR_ARG);
    CHECK(contrasts_parse("T3", &b, &e) == SARC_ERR_ARG);
    CHECK(contrasts_parse("T1,", &b, &e) == SARC_ERR_ARG);
}

TEST(model_roundtrip_and_corruption)
{
    struct sarc_err e = {0};
    struct seg_model m, r;
    REQUIRE_OK(tiny_model(&m, &e), e);
    m.threshold = 0.4375;
    snprintf(m.info, sizeof m.info, "test info");
    uint8_t *b;
    size_t len;
    REQUIRE_OK(model_serialise(&m, &b, &len, &e), e);
    REQUIRE_OK(model_parse(&r, b, len, &e), e);
    CHECK(r.params.n == m.params.n && memcmp(r.params.data, m.params.data, sizeof(float) * (size_t)m.params.n) == 0);
    CHECK(r.threshold == 0.4375 && r.contrasts == m.contrasts && r.params.arch.patch[1] == 22);
    CHECK_STR(r.info, "test info");
    model_free(&r);
    /* every single-byte change in the header and the weights, and every truncation, is refused
     * or (for fields without a constraint: seed, best loss, epochs) still parses cleanly */
    int refused = 0;
    for (size_t i = 0; i < len; i += (i < 200 ? 1 : 97)) {
        b[i] ^= 0x5a;
        if (model_parse(&r, b, len, &e) != 0)
            refused++;
        else
            model_free(&r);
        b[i] ^= 0x5a;
    }
    CHECK(refused > 100);
    for (size_t cut = 0; cut < len; cut += 61)
        CHECK(model_parse(&r, b, cut, &e) != 0);
    /* weights byte changed -> hash mismatch */
    b[len - 40] ^= 1;
    CHECK(model_parse(&r, b, len, &e) == SARC_ERR_FORMAT);
    CHECK(strstr(e.msg, "SHA-256") != NULL);
    free(b);
    model_free(&m);
}

TEST(model_npy_roundtrip_and_bad_headers)
{
    struct sarc_err e = {0};
    const float x[6] = {1.5f, -2, 3, 4, 5, 6e-8f};
    const int64_t sh[2] = {2, 3};
    const char *p = test_tmp("a.npy");
    REQUIRE_OK(npy_write(p, x, 2, sh, &e), e);
    float *y;
    int nd;
    int64_t s2[8];
    REQUIRE_OK(npy_read(p, &y, &nd, s2, &e), e);
    CHECK(nd == 2 && s2[0] == 2 && s2[1] == 3 && memcmp(x, y, sizeof x) == 0);
    free(y);
    uint8_t *b;
    size_t len;
    REQUIRE_OK(file_read_all(p, &b, &len, 0, &e), e);
    CHECK((len - 24) % 64 == 0); /* header padded to 64 bytes */
    CHECK(memcmp(b + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 58) == 0);
    CHECK(npy_parse(b, len - 1, &y, &nd, s2, &e) == SARC_ERR_FORMAT);
    b[0] = 'X';
    CHECK(npy_parse(b, len, &y, &nd, s2, &e) == SARC_ERR_FORMAT);
    b[0] = 0x93;
    memcpy(b + 22, "i4", 2);
    CHECK(npy_parse(b, len, &y, &nd, s2, &e) == SARC_ERR_UNSUPPORTED);
    free(b);
    const int64_t s1 = 6;
    REQUIRE_OK(npy_write(p, x, 1, &s1, &e), e);
    REQUIRE_OK(file_read_all(p, &b, &len, 0, &e), e);
    CHECK(memcmp(b + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", 57) == 0);
    free(b);
}

TEST(model_export_import_roundtrip)
{
    struct sarc_err e = {0};
    struct seg_model m, r;
    REQUIRE_OK(tiny_model(&m, &e), e);
    m.threshold = 0.25;
    const char *dir = test_tmp("export");
    REQUIRE_OK(model_export(&m, dir, &e), e);
    REQUIRE_OK(model_import(dir, &r, &e), e);
    char h1[65], h2[65];
    model_weights_sha256(&m, h1);
    model_weights_sha256(&r, h2);
    CHECK_STR(h1, h2);
    CHECK(r.threshold == 0.25 && r.contrasts == m.contrasts && r.params.arch.skip == 1 && r.params.arch.f[2] == 4);
    model_free(&r);
    /* a wrongly shaped weight is refused with its name */
    char path[4096];
    path_join(path, sizeof path, dir, "dconv2.weight.npy");
    const float z[27] = {0};
    const int64_t sh[5] = {1, 1, 3, 3, 3};
    REQUIRE_OK(npy_write(path, z, 5, sh, &e), e);
    CHECK(model_import(dir, &r, &e) == SARC_ERR_FORMAT);
    CHECK(strstr(e.msg, "dconv2.weight.npy") != NULL);
    model_free(&m);
}
