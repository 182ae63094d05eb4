/* png.c - a PNG writer (PNG specification, 2nd edition / ISO 15948): 8-bit greyscale (colour
 * type 0) and 8-bit RGB (colour type 2), no interlace, one IHDR, one IDAT (zlib stream from
 * vendor/gzip at level 6) and IEND, each chunk with its CRC-32. The filter of each row is the one
 * of the five (None, Sub, Up, Average, Paeth) with the smallest sum of absolute signed bytes, the
 * heuristic the specification suggests (section 12.8). Output depends on the pixels only.
 * Covered by test/vendor/test_png.c (decoded back with our inflate, filters undone, CRCs). */
#include "vendor/png.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vendor/gzip.h"

static void put32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Filters one row with filter type f into out (row bytes n, bpp bytes per pixel). */
static void filter_row(int f, const uint8_t *row, const uint8_t *prev, size_t n, int bpp, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        int a = i >= (size_t)bpp ? row[i - (size_t)bpp] : 0;
        int b = prev ? prev[i] : 0;
        int c = prev && i >= (size_t)bpp ? prev[i - (size_t)bpp] : 0;
        int pred = f == 0 ? 0 : f == 1 ? a : f == 2 ? b : f == 3 ? (a + b) / 2 : paeth(a, b, c);
        out[i] = (uint8_t)(row[i] - pred);
    }
}

int png_encode(const uint8_t *pixels, int width, int height, int channels, uint8_t **out, size_t *out_len, struct sarc_err *e)
{
    *out = NULL;
    *out_len = 0;
    if (width < 1 || height < 1 || width > (1 << 24) || height > (1 << 24))
        return ERR(e, SARC_ERR_ARG, "png: size %d x %d, expected 1..2^24 each", width, height);
    if (channels != 1 && channels != 3)
        return ERR(e, SARC_ERR_ARG, "png: %d channels, expected 1 (grey) or 3 (RGB)", channels);
    size_t rowlen, raw_len;
    if (size_mul((size_t)width, (size_t)channels, &rowlen) || size_mul(rowlen + 1, (size_t)height, &raw_len))
        return ERR(e, SARC_ERR_RANGE, "png: image too large");
    uint8_t *raw = malloc(raw_len), *trial = malloc(rowlen * 5), *z = NULL, *png = NULL;
    size_t zn = 0;
    int rc = 0;
    if (!raw || !trial) {
        rc = ERR(e, SARC_ERR_NOMEM, "png: out of memory");
        goto done;
    }
    for (int y = 0; y < height; y++) {
        const uint8_t *row = pixels + (size_t)y * rowlen, *prev = y ? row - rowlen : NULL;
        int best = 0;
        unsigned long best_cost = (unsigned long)-1;
        for (int f = 0; f < 5; f++) {
            filter_row(f, row, prev, rowlen, channels, trial + (size_t)f * rowlen);
            unsigned long cost = 0;
            for (size_t i = 0; i < rowlen; i++)
                cost += (unsigned long)abs((int)(int8_t)trial[(size_t)f * rowlen + i]);
            if (cost < best_cost) {
                best_cost = cost;
                best = f;
            }
        }
        uint8_t *dst = raw + (size_t)y * (rowlen + 1);
        dst[0] = (uint8_t)best;
        memcpy(dst + 1, trial + (size_t)best * rowlen, rowlen);
    }
    if ((rc = zlib_compress(raw, raw_len, 6, &z, &zn, e)) != 0)
        goto done;
    /* signature 8 + IHDR 25 + IDAT 12 + zn + IEND 12 */
    size_t total = 8 + 25 + 12 + zn + 12;
    png = malloc(total);
    if (!png) {
        rc = ERR(e, SARC_ERR_NOMEM, "png: out of memory");
        goto done;
    }
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memcpy(png, sig, 8);
    uint8_t *p = png + 8;
    /* IHDR: width, height, bit depth 8, colour type, compression 0, filter 0, interlace 0 */
    put32be(p, 13);
    memcpy(p + 4, "IHDR", 4);
    put32be(p + 8, (uint32_t)width);
    put32be(p + 12, (uint32_t)height);
    p[16] = 8;
    p[17] = channels == 1 ? 0 : 2;
    p[18] = p[19] = p[20] = 0;
    put32be(p + 21, crc32_update(0, p + 4, 17));
    p += 25;
    put32be(p, (uint32_t)zn);
    memcpy(p + 4, "IDAT", 4);
    memcpy(p + 8, z, zn);
    put32be(p + 8 + zn, crc32_update(0, p + 4, zn + 4));
    p += 12 + zn;
    put32be(p, 0);
    memcpy(p + 4, "IEND", 4);
    put32be(p + 8, crc32_update(0, p + 4, 4));
    *out = png;
    *out_len = total;
    png = NULL;
done:
    free(raw);
    free(trial);
    free(z);
    free(png);
    return rc;
}

int png_write(const char *path, const uint8_t *pixels, int width, int height, int channels, struct sarc_err *e)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    int rc = png_encode(pixels, width, height, channels, &buf, &n, e);
    if (rc)
        return rc;
    /* atomic: a temporary name in the same folder, fsync, rename (vendor/ cannot use io/file.h,
     * so this repeats file_write_atomic's few lines) */
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld.png", path, (long)getpid()) >= (int)sizeof tmp) {
        free(buf);
        return ERR(e, SARC_ERR_ARG, "png: path too long");
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        free(buf);
        return ERR(e, SARC_ERR_IO, "png: cannot create %s", tmp);
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, buf + done, n - done);
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    int ok = done == n && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    free(buf);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return ERR(e, SARC_ERR_IO, "png: cannot write %s", path);
    }
    return 0;
}
