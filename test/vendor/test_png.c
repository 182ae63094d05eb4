/* test_png.c - vendor/png: encoded images are decoded back here (chunk layout and CRC-32 of every
 * chunk checked, IDAT inflated with our zlib reader, the five row filters undone) and must give
 * the pixels; grey and RGB, sizes 1x1 to 300x7, patterns that select every filter type; bad
 * arguments refused; png_write leaves the same bytes in a file. */
#include <stdlib.h>

#include "io/file.h"
#include "test/harness.h"
#include "vendor/gzip.h"
#include "vendor/png.h"
#include "vendor/rng.h"

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Decodes our PNG; returns 0 and fills pix (w*h*ch bytes) or -1 with a reason in why. used
 * marks which filter types occurred. */
static int png_decode_check(const uint8_t *png, size_t n, int w, int h, int ch, uint8_t *pix, int used[5], const char **why)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n < 8 || memcmp(png, sig, 8))
        return *why = "signature", -1;
    size_t pos = 8;
    uint8_t *idat = NULL;
    size_t idat_n = 0;
    int seen_end = 0, rc = -1;
    while (pos + 12 <= n) {
        uint32_t len = be32(png + pos);
        if (pos + 12 + len > n)
            return *why = "chunk past the end", -1;
        const uint8_t *type = png + pos + 4;
        if (crc32_update(0, type, len + 4) != be32(png + pos + 8 + len)) {
            free(idat);
            return *why = "chunk CRC", -1;
        }
        if (!memcmp(type, "IHDR", 4)) {
            const uint8_t *d = type + 4;
            if (len != 13 || be32(d) != (uint32_t)w || be32(d + 4) != (uint32_t)h || d[8] != 8 || d[9] != (ch == 1 ? 0 : 2) || d[12] != 0)
                return *why = "IHDR", -1;
        } else if (!memcmp(type, "IDAT", 4)) {
            uint8_t *ni = realloc(idat, idat_n + len + 1);
            if (!ni)
                break;
            idat = ni;
            memcpy(idat + idat_n, type + 4, len);
            idat_n += len;
        } else if (!memcmp(type, "IEND", 4))
            seen_end = 1;
        pos += 12 + len;
    }
    if (!seen_end || pos != n) {
        free(idat);
        return *why = "IEND / trailing bytes", -1;
    }
    uint8_t *raw = NULL;
    size_t raw_n = 0;
    struct sarc_err e = {0};
    if (zlib_decompress(idat, idat_n, &raw, &raw_n, 0, &e) != 0) {
        free(idat);
        return *why = "IDAT zlib", -1;
    }
    const size_t rowlen = (size_t)w * (size_t)ch;
    if (raw_n != (rowlen + 1) * (size_t)h) {
        *why = "raw size";
        goto out;
    }
    for (int y = 0; y < h; y++) {
        const uint8_t *src = raw + (size_t)y * (rowlen + 1);
        uint8_t *row = pix + (size_t)y * rowlen, *prev = y ? row - rowlen : NULL;
        int f = src[0];
        if (f > 4) {
            *why = "filter type";
            goto out;
        }
        used[f] = 1;
        for (size_t i = 0; i < rowlen; i++) {
            int a = i >= (size_t)ch ? row[i - (size_t)ch] : 0, b = prev ? prev[i] : 0, c = prev && i >= (size_t)ch ? prev[i - (size_t)ch] : 0;
            int pred = f == 0 ? 0 : f == 1 ? a : f == 2 ? b : f == 3 ? (a + b) / 2 : paeth(a, b, c);
            row[i] = (uint8_t)(src[1 + i] + pred);
        }
    }
    rc = 0;
out:
    free(idat);
    free(raw);
    return rc;
}

TEST(png_encode_decode)
{
    static const int sizes[][2] = {{1, 1}, {2, 3}, {17, 5}, {64, 64}, {300, 7}};
    int used[5] = {0};
    for (int ch = 1; ch <= 3; ch += 2)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            const int w = sizes[s][0], h = sizes[s][1];
            for (int pattern = 0; pattern < 4; pattern++) {
                size_t n = (size_t)w * (size_t)h * (size_t)ch;
                uint8_t *pix = malloc(n), *back = calloc(n, 1), *png = NULL;
                REQUIRE(pix && back);
                for (size_t i = 0; i < n; i++) {
                    size_t x = (i / (size_t)ch) % (size_t)w, y = i / ((size_t)ch * (size_t)w);
                    pix[i] = pattern == 0 ? (uint8_t)rng_u32(3, s, i)                  /* noise */
                           : pattern == 1 ? (uint8_t)(x * 3 + y)                       /* ramps */
                           : pattern == 2 ? (uint8_t)(y * 7 + (i % (size_t)ch) * 50)   /* rows */
                                          : (uint8_t)((x * x + y * y) / 3);             /* curves */
                }
                size_t pn = 0;
                struct sarc_err e = {0};
                CHECK_OK(png_encode(pix, w, h, ch, &png, &pn, &e), e);
                const char *why = "";
                int rc = png ? png_decode_check(png, pn, w, h, ch, back, used, &why) : -1;
                CHECK_MSG(rc == 0, "%dx%dx%d pattern %d: %s", w, h, ch, pattern, why);
                CHECK_MSG(rc || memcmp(pix, back, n) == 0, "%dx%dx%d pattern %d: pixels differ", w, h, ch, pattern);
                free(pix);
                free(back);
                free(png);
            }
        }
    for (int f = 0; f < 5; f++)
        CHECK_MSG(used[f], "filter type %d never chosen", f);
}

TEST(png_bad_args_and_write)
{
    uint8_t px[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, *png = NULL, *file = NULL;
    size_t pn = 0, fn = 0;
    struct sarc_err e = {0};
    CHECK_INT(png_encode(px, 0, 1, 1, &png, &pn, &e), SARC_ERR_ARG);
    CHECK_INT(png_encode(px, 2, 2, 2, &png, &pn, &e), SARC_ERR_ARG);
    CHECK(png == NULL);
    REQUIRE_OK(png_encode(px, 2, 2, 3, &png, &pn, &e), e);
    const char *path = test_tmp("t.png");
    CHECK_OK(png_write(path, px, 2, 2, 3, &e), e);
    CHECK_OK(file_read_all(path, &file, &fn, 0, &e), e);
    CHECK(fn == pn && file && memcmp(file, png, pn) == 0);
    CHECK_INT(png_write("/nonexistent-dir/x.png", px, 2, 2, 3, &e), SARC_ERR_IO);
    free(png);
    free(file);
}
