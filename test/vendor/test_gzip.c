/* test_gzip.c - vendor/gzip: CRC-32/Adler-32 check values, decoding of streams made by GNU gzip
 * (-1, -6, -9, two members) and Python's zlib (levels 0/1/9, raw deflate, fixed Huffman) in
 * test/golden/gzip/ (made by test/oracles/gzip_make_goldens.py; the input is regenerated here by
 * the same formula), round trips of random and structured data of many sizes at every level,
 * `gzip -d` reading our output, corrupted streams (every truncation, every bit flip of a small
 * stream, handcrafted bad blocks) giving errors, and the max_out limit. */
#include <stdlib.h>

#include "io/file.h"
#include "test/harness.h"
#include "vendor/gzip.h"
#include "vendor/rng.h"
#include "vendor/sha256.h"

/* gen_data() of test/oracles/gzip_make_goldens.py: 21260 bytes. */
static uint8_t *gen_data(size_t *n)
{
    size_t cap = 40000, len = 0;
    uint8_t *d = malloc(cap);
    if (!d)
        return NULL;
    for (int i = 0; i < 600; i++)
        len += (size_t)snprintf((char *)d + len, cap - len, "row %d: %d %d sarcoma\n", i, i * i % 977, (i * 31) % 101);
    for (int i = 0; i < 4096; i++)
        d[len++] = (uint8_t)(((i * i * 7 + i / 3) ^ (i >> 5)) & 255);
    memset(d + len, 0, 3000);
    len += 3000;
    *n = len;
    return d;
}

TEST(gzip_checksums)
{
    CHECK_INT(crc32_update(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
    CHECK_INT(adler32_update(1, (const uint8_t *)"Wikipedia", 9), 0x11E60398u);
    /* incremental = one call */
    const uint8_t *s = (const uint8_t *)"123456789";
    CHECK_INT(crc32_update(crc32_update(0, s, 4), s + 4, 5), 0xCBF43926u);
    CHECK_INT(crc32_update(0, s, 0), 0);
    /* Adler-32 over more than 5552 bytes of 0xff (the modulo deferral) */
    static uint8_t ff[20000];
    memset(ff, 0xff, sizeof ff);
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < sizeof ff; i++) {
        a = (a + 0xff) % 65521;
        b = (b + a) % 65521;
    }
    CHECK_INT(adler32_update(1, ff, sizeof ff), (b << 16) | a);
}

TEST(gzip_decode_goldens)
{
    static const struct { const char *file; int kind; size_t len; } g[] = {
        {"data_gzip1.gz", 0, 0}, {"data_gzip6.gz", 0, 0}, {"data_gzip9.gz", 0, 0},
        {"data_two_members.gz", 0, 0}, {"data_zlib0.zz", 1, 3000}, {"data_zlib1.zz", 1, 0},
        {"data_zlib9.zz", 1, 0}, {"data_fixed.zz", 1, 0}, {"data_raw6.deflate", 2, 0},
    };
    size_t n;
    uint8_t *ref = gen_data(&n);
    REQUIRE(ref);
    char hex[65];
    sha256_hex(ref, n, hex);
    /* the formula must match the oracle's (PROVENANCE.txt) */
    CHECK_STR(hex, "cd9c01559885079972866db9b042bc21410747db0e0938d555b0b78b9b57ae5d");
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "test/golden/gzip/%s", g[i].file);
        uint8_t *in = NULL, *out = NULL;
        size_t in_len = 0, out_len = 0, used = 0;
        struct sarc_err e = {0};
        int rc = file_read_all(path, &in, &in_len, 0, &e);
        CHECK_OK(rc, e);
        if (rc)
            continue;
        if (g[i].kind == 0)
            rc = gzip_decompress(in, in_len, &out, &out_len, 0, &e);
        else if (g[i].kind == 1)
            rc = zlib_decompress(in, in_len, &out, &out_len, 0, &e);
        else
            rc = inflate_raw(in, in_len, &out, &out_len, 0, &used, &e);
        CHECK_MSG(rc == 0, "%s: %s", g[i].file, e.msg);
        size_t want = g[i].len ? g[i].len : n;
        CHECK_MSG(rc || (out_len == want && memcmp(out, ref, want) == 0), "%s: decoded data differ (%zu bytes)", g[i].file, out_len);
        if (g[i].kind == 2)
            CHECK_INT(used, in_len);
        free(in);
        free(out);
    }
    free(ref);
}

/* Fills buf with one of several kinds of test data. */
static void fill(uint8_t *buf, size_t n, int kind, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rng_u32(seed, 7, i);
        switch (kind) {
        case 0: buf[i] = (uint8_t)r; break;                                   /* incompressible */
        case 1: buf[i] = (uint8_t)("ACGT"[r & 3]); break;                     /* small alphabet */
        case 2: buf[i] = (uint8_t)((i / 97) & 1 ? 0 : (r % 5 == 0 ? r >> 8 : 7)); break; /* runs */
        default: buf[i] = (uint8_t)((i * i) >> 7); break;                    /* structured */
        }
    }
}

static int round_trip(const uint8_t *src, size_t n, int level, int framing, size_t *clen, struct sarc_err *e)
{
    uint8_t *c = NULL, *d = NULL;
    size_t cn = 0, dn = 0, used = 0;
    int rc;
    if (framing == 0)
        rc = gzip_compress(src, n, level, &c, &cn, e);
    else if (framing == 1)
        rc = zlib_compress(src, n, level, &c, &cn, e);
    else
        rc = deflate_raw(src, n, level, &c, &cn, e);
    if (rc)
        return rc;
    if (framing == 0)
        rc = gzip_decompress(c, cn, &d, &dn, 0, e);
    else if (framing == 1)
        rc = zlib_decompress(c, cn, &d, &dn, 0, e);
    else {
        rc = inflate_raw(c, cn, &d, &dn, 0, &used, e);
        if (!rc && used != cn)
            rc = ERR(e, SARC_ERR_INTERNAL, "consumed %zu of %zu bytes", used, cn);
    }
    if (!rc && (dn != n || (n && memcmp(d, src, n) != 0)))
        rc = ERR(e, SARC_ERR_INTERNAL, "round trip differs (%zu -> %zu bytes)", n, dn);
    if (clen)
        *clen = cn;
    free(c);
    free(d);
    return rc;
}

TEST(gzip_round_trip_sizes_levels)
{
    static const size_t sizes[] = {0, 1, 2, 3, 4, 17, 258, 259, 1000, 32768, 32769, 65535, 65536, 70001, 200003};
    size_t maxn = 200003;
    uint8_t *buf = malloc(maxn);
    REQUIRE(buf);
    for (int kind = 0; kind < 4; kind++)
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            size_t n = sizes[si];
            fill(buf, n, kind, 100 + si);
            for (int level = 1; level <= 9; level++) {
                if (n > 70001 && level != 1 && level != 6 && level != 9)
                    continue; /* keep the run short */
                struct sarc_err e = {0};
                size_t cn = 0;
                int rc = round_trip(buf, n, level, (int)((si + (size_t)level) % 3), &cn, &e);
                CHECK_MSG(rc == 0, "kind %d n %zu level %d: %s", kind, n, level, e.msg);
                if (kind == 0 && n > 1000)
                    CHECK_MSG(cn < n + n / 1000 + 64, "random data grew too much: %zu -> %zu", n, cn);
                if (kind == 1 && n >= 1000)
                    /* zlib 1.2.13 gives 365..385 bytes for 1000 and 9916..10948 for 32768 */
                    CHECK_MSG(cn < n / 3 + 64, "2-bit data should compress to < 1/3: %zu -> %zu", n, cn);
            }
        }
    free(buf);
}

TEST(gzip_compresses_like_gzip)
{
    /* our output of gen_data() must be a real compressed stream, near gzip's size */
    size_t n;
    uint8_t *ref = gen_data(&n);
    REQUIRE(ref);
    for (int level = 1; level <= 9; level += 4) {
        uint8_t *c = NULL;
        size_t cn = 0;
        struct sarc_err e = {0};
        int rc = gzip_compress(ref, n, level, &c, &cn, &e);
        CHECK_OK(rc, e);
        if (rc)
            continue;
        /* gzip -1 / -6 / -9 give 8986 / 8329 / 8330 bytes (PROVENANCE.txt) */
        CHECK_MSG(cn < 9800, "level %d: %zu bytes (gzip: ~8300..9000)", level, cn);
        /* the first block is Huffman-coded (BTYPE 1 or 2), not stored */
        int btype = (c[10] >> 1) & 3;
        CHECK_MSG(btype == 1 || btype == 2, "first block type %d", btype);
        /* deterministic */
        uint8_t *c2 = NULL;
        size_t cn2 = 0;
        CHECK_OK(gzip_compress(ref, n, level, &c2, &cn2, &e), e);
        CHECK(cn2 == cn && c2 && memcmp(c, c2, cn) == 0);
        free(c);
        free(c2);
    }
    free(ref);
}

TEST(gzip_tool_reads_our_output)
{
    if (test_system("gzip --version >/dev/null 2>&1") != 0)
        SKIP("gzip tool not on PATH");
    size_t n = 150000;
    uint8_t *buf = malloc(n);
    REQUIRE(buf);
    fill(buf, n / 2, 3, 5);
    fill(buf + n / 2, n - n / 2, 2, 6);
    uint8_t *c = NULL, *back = NULL;
    size_t cn = 0, bn = 0;
    struct sarc_err e = {0};
    REQUIRE_OK(gzip_compress(buf, n, 6, &c, &cn, &e), e);
    const char *gz = test_tmp("ours.gz"), *raw = test_tmp("ours.raw");
    CHECK_OK(file_write_atomic(gz, c, cn, &e), e);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "gzip -t %s && gzip -dc %s > %s", gz, gz, raw);
    CHECK_INT(test_system(cmd), 0);
    CHECK_OK(file_read_all(raw, &back, &bn, 0, &e), e);
    CHECK(bn == n && back && memcmp(back, buf, n) == 0);
    free(back);
    free(c);
    free(buf);
}

TEST(gzip_corrupt_streams)
{
    uint8_t src[1500];
    fill(src, sizeof src, 3, 9);
    memcpy(src + 700, "the quick brown fox jumps over the lazy dog", 43);
    uint8_t *c = NULL, *d = NULL;
    size_t cn = 0, dn = 0;
    struct sarc_err e = {0};
    REQUIRE_OK(gzip_compress(src, sizeof src, 9, &c, &cn, &e), e);
    /* every truncation is an error */
    for (size_t k = 0; k < cn; k++) {
        int rc = gzip_decompress(c, k, &d, &dn, 0, &e);
        CHECK_MSG(rc != 0, "truncated to %zu of %zu bytes: accepted", k, cn);
        CHECK(d == NULL && dn == 0);
        free(d);
        d = NULL;
    }
    /* every single-bit flip: an error, or (header bytes MTIME/XFL/OS) the same data */
    int accepted = 0;
    for (size_t k = 0; k < cn * 8; k++) {
        c[k / 8] ^= (uint8_t)(1u << (k % 8));
        int rc = gzip_decompress(c, cn, &d, &dn, 0, &e);
        if (rc == 0) {
            accepted++;
            CHECK_MSG(dn == sizeof src && memcmp(d, src, dn) == 0, "flip of bit %zu gave different data", k);
        }
        free(d);
        d = NULL;
        c[k / 8] ^= (uint8_t)(1u << (k % 8));
    }
    /* harmless bits: FTEXT (1), MTIME/XFL/OS (48) and the final byte's padding (< 8) */
    CHECK_MSG(accepted <= 56, "%d flips accepted (only header FTEXT/MTIME/XFL/OS and padding bits may be)", accepted);
    free(c);
}

TEST(gzip_bad_streams)
{
    uint8_t *d = NULL;
    size_t dn = 0, used = 0;
    struct sarc_err e = {0};
    /* BFINAL=1, BTYPE=3 */
    const uint8_t t3[] = {0x07, 0x00};
    CHECK_INT(inflate_raw(t3, sizeof t3, &d, &dn, 0, &used, &e), SARC_ERR_FORMAT);
    /* stored block with NLEN != ~LEN */
    const uint8_t st[] = {0x01, 0x05, 0x00, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'};
    CHECK_INT(inflate_raw(st, sizeof st, &d, &dn, 0, &used, &e), SARC_ERR_FORMAT);
    /* a valid stored block */
    const uint8_t ok[] = {0x01, 0x05, 0x00, 0xfa, 0xff, 'h', 'e', 'l', 'l', 'o'};
    CHECK_OK(inflate_raw(ok, sizeof ok, &d, &dn, 0, &used, &e), e);
    CHECK(dn == 5 && memcmp(d, "hello", 5) == 0 && used == sizeof ok);
    free(d);
    d = NULL;
    /* fixed block whose first symbol is a match (length 3, distance 1): nothing to copy from.
     * bits: BFINAL 1, BTYPE 01, code 257 = 0000001 (7 bits), dist code 0 = 00000 */
    const uint8_t far[] = {0x03, 0x02, 0x00, 0x00};
    CHECK_INT(inflate_raw(far, sizeof far, &d, &dn, 0, &used, &e), SARC_ERR_FORMAT);
    CHECK(strstr(e.msg, "distance") != NULL);
    /* not gzip; zlib with bad check bits; zlib with a preset dictionary */
    CHECK_INT(gzip_decompress((const uint8_t *)"hello world", 11, &d, &dn, 0, &e), SARC_ERR_FORMAT);
    CHECK_INT(gzip_decompress((const uint8_t *)"", 0, &d, &dn, 0, &e), SARC_ERR_FORMAT);
    const uint8_t zb[] = {0x78, 0x9d, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01};
    CHECK_INT(zlib_decompress(zb, sizeof zb, &d, &dn, 0, &e), SARC_ERR_FORMAT);
    const uint8_t zd[] = {0x78, 0xbb, 0, 0, 0, 1, 0x03, 0x00, 0, 0, 0, 1};
    CHECK_INT(zlib_decompress(zd, sizeof zd, &d, &dn, 0, &e), SARC_ERR_UNSUPPORTED);
    /* trailing garbage after a member; trailing zeros are tolerated */
    uint8_t *c = NULL;
    size_t cn = 0;
    REQUIRE_OK(gzip_compress((const uint8_t *)"abc", 3, 6, &c, &cn, &e), e);
    uint8_t *c2 = malloc(cn + 4);
    REQUIRE(c2);
    memcpy(c2, c, cn);
    memset(c2 + cn, 0, 4);
    CHECK_OK(gzip_decompress(c2, cn + 4, &d, &dn, 0, &e), e);
    CHECK(dn == 3);
    free(d);
    d = NULL;
    c2[cn + 2] = 'x';
    CHECK_INT(gzip_decompress(c2, cn + 4, &d, &dn, 0, &e), SARC_ERR_FORMAT);
    /* wrong CRC */
    memcpy(c2, c, cn);
    c2[cn - 8] ^= 1;
    CHECK_INT(gzip_decompress(c2, cn, &d, &dn, 0, &e), SARC_ERR_FORMAT);
    CHECK(strstr(e.msg, "CRC") != NULL);
    free(c2);
    free(c);
    /* levels outside 1..9 */
    CHECK_INT(gzip_compress((const uint8_t *)"a", 1, 10, &c, &cn, &e), SARC_ERR_ARG);
}

TEST(gzip_max_out_limit)
{
    size_t n = 1 << 20;
    uint8_t *z = calloc(n, 1), *c = NULL, *d = NULL;
    size_t cn = 0, dn = 0;
    struct sarc_err e = {0};
    REQUIRE(z);
    REQUIRE_OK(gzip_compress(z, n, 9, &c, &cn, &e), e);
    CHECK_MSG(cn < 2000, "1 MiB of zeros -> %zu bytes", cn);
    CHECK_INT(gzip_decompress(c, cn, &d, &dn, 100000, &e), SARC_ERR_RANGE);
    CHECK(d == NULL);
    CHECK_OK(gzip_decompress(c, cn, &d, &dn, n, &e), e);
    CHECK(dn == n);
    free(d);
    free(c);
    free(z);
}

TEST(gzip_peek_prefix)
{
    size_t n;
    uint8_t *ref = gen_data(&n);
    REQUIRE(ref);
    uint8_t *in = NULL;
    size_t in_len = 0, got = 0;
    struct sarc_err e = {0};
    REQUIRE_OK(file_read_all("test/golden/gzip/data_gzip9.gz", &in, &in_len, 0, &e), e);
    uint8_t head[600];
    CHECK_OK(gzip_peek(in, in_len, head, sizeof head, &got, &e), e);
    CHECK(got == sizeof head && memcmp(head, ref, sizeof head) == 0);
    /* asking for more than there is gives what there is */
    uint8_t *all = malloc(n + 100);
    REQUIRE(all);
    CHECK_OK(gzip_peek(in, in_len, all, n + 100, &got, &e), e);
    CHECK(got == n && memcmp(all, ref, n) == 0);
    CHECK_INT(gzip_peek(in, 5, head, sizeof head, &got, &e), SARC_ERR_FORMAT);
    free(all);
    free(in);
    free(ref);
}

TEST(gzip_decode_gzip_tool_all_levels)
{
    /* the committed goldens cover gzip -1/-6/-9; with the tool present, every level 1..9 live */
    if (test_system("gzip --version >/dev/null 2>&1") != 0)
        SKIP("gzip tool not on PATH");
    size_t n;
    uint8_t *ref = gen_data(&n);
    REQUIRE(ref);
    struct sarc_err e = {0};
    const char *raw = test_tmp("levels.raw"), *gz = test_tmp("levels.gz");
    REQUIRE_OK(file_write_atomic(raw, ref, n, &e), e);
    for (int level = 1; level <= 9; level++) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "gzip -%d -c %s > %s", level, raw, gz);
        REQUIRE(test_system(cmd) == 0);
        uint8_t *in = NULL, *out = NULL;
        size_t in_len = 0, out_len = 0;
        REQUIRE_OK(file_read_all(gz, &in, &in_len, 0, &e), e);
        CHECK_OK(gzip_decompress(in, in_len, &out, &out_len, 0, &e), e);
        CHECK_MSG(out_len == n && out && memcmp(out, ref, n) == 0, "gzip -%d: decoded data differ", level);
        free(in);
        free(out);
    }
    free(ref);
}
