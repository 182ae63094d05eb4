/* gzip.h - DEFLATE (RFC 1951) with zlib (RFC 1950) and gzip (RFC 1952) framing, our own.
 *
 * Inflate reads stored, fixed- and dynamic-Huffman blocks; gzip streams may have several members
 * (concatenated, as `cat a.gz b.gz` makes); CRC-32 / Adler-32 and ISIZE are checked. Every read
 * is bounds-checked: corrupt input gives an error, never an out-of-bounds access. Deflate writes
 * LZ77 + dynamic (or fixed, when smaller) Huffman blocks at levels 1..9.
 * Covered by test/vendor/test_gzip.c (files from gzip -1..-9 and Python's zlib, random
 * round-trips, corrupted streams). */
#ifndef SARC_GZIP_H
#define SARC_GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "vendor/err.h"

/* 1 if buf starts with the gzip magic 1f 8b. */
int gzip_is_gzip(const uint8_t *buf, size_t len);

/* Decompresses a gzip stream (all members) into a malloc'ed buffer (*out, *out_len; owned by
 * the caller). max_out bounds the output (0 = 8 GiB) so a small bomb cannot exhaust memory. */
int gzip_decompress(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len, size_t max_out, struct sarc_err *e);
/* Decompresses only the first `want` bytes of the first gzip member into out[0..want) (for
 * reading a header before deciding how much memory the whole stream may take); *got = bytes
 * produced (less than want if the member is shorter). The CRC is not checked (the member is not
 * read to its end). */
int gzip_peek(const uint8_t *in, size_t in_len, uint8_t *out, size_t want, size_t *got, struct sarc_err *e);
/* Same for a zlib stream (RFC 1950) and a raw deflate stream (RFC 1951). */
int zlib_decompress(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len, size_t max_out, struct sarc_err *e);
int inflate_raw(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len, size_t max_out, size_t *consumed, struct sarc_err *e);

/* Compresses into a malloc'ed gzip (one member, no file name, mtime 0 so output is
 * deterministic) / zlib / raw deflate stream. level 1..9 (0 = 6). */
int gzip_compress(const uint8_t *in, size_t in_len, int level, uint8_t **out, size_t *out_len, struct sarc_err *e);
int zlib_compress(const uint8_t *in, size_t in_len, int level, uint8_t **out, size_t *out_len, struct sarc_err *e);
int deflate_raw(const uint8_t *in, size_t in_len, int level, uint8_t **out, size_t *out_len, struct sarc_err *e);

uint32_t crc32_update(uint32_t crc, const uint8_t *buf, size_t len); /* start with 0 */
uint32_t adler32_update(uint32_t adler, const uint8_t *buf, size_t len); /* start with 1 */

#endif
