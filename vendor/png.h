/* png.h - PNG writer (greyscale 8-bit and RGB 8-bit, zlib-compressed with vendor/gzip, filter
 * chosen per row), for previews and figures. Covered by test/vendor/test_png.c (read back by our
 * own inflate and checked CRCs; optionally by Python in test/oracles). */
#ifndef SARC_PNG_H
#define SARC_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "vendor/err.h"

/* channels: 1 (grey) or 3 (RGB); pixels row-major, top row first, width*channels bytes a row.
 * Written atomically to path. */
int png_write(const char *path, const uint8_t *pixels, int width, int height, int channels, struct sarc_err *e);
/* Encodes into a malloc'ed buffer instead. */
int png_encode(const uint8_t *pixels, int width, int height, int channels, uint8_t **out, size_t *out_len, struct sarc_err *e);

#endif
