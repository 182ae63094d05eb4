/* gzip.c - placeholder: the foundation issue replaces this file. */
#include "vendor/gzip.h"

int gzip_is_gzip(const uint8_t *buf, size_t len) { return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b; }
int gzip_decompress(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len, size_t max_out, struct sarc_err *e)
{
    (void)in, (void)in_len, (void)max_out;
    *out = 0;
    *out_len = 0;
    return ERR(e, SARC_ERR_UNSUPPORTED, "gzip is not available yet");
}
int zlib_decompress(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len, size_t max_out, struct sarc_err *e)
{
    return gzip_decompress(in, in_len, out, out_len, max_out, e);
}
int inflate_raw(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len, size_t max_out, size_t *consumed, struct sarc_err *e)
{
    (void)consumed;
    return gzip_decompress(in, in_len, out, out_len, max_out, e);
}
int gzip_compress(const uint8_t *in, size_t in_len, int level, uint8_t **out, size_t *out_len, struct sarc_err *e)
{
    (void)in, (void)in_len, (void)level;
    *out = 0;
    *out_len = 0;
    return ERR(e, SARC_ERR_UNSUPPORTED, "gzip is not available yet");
}
int zlib_compress(const uint8_t *in, size_t in_len, int level, uint8_t **out, size_t *out_len, struct sarc_err *e)
{
    return gzip_compress(in, in_len, level, out, out_len, e);
}
int deflate_raw(const uint8_t *in, size_t in_len, int level, uint8_t **out, size_t *out_len, struct sarc_err *e)
{
    return gzip_compress(in, in_len, level, out, out_len, e);
}
uint32_t crc32_update(uint32_t crc, const uint8_t *buf, size_t len) { (void)buf, (void)len; return crc; }
uint32_t adler32_update(uint32_t adler, const uint8_t *buf, size_t len) { (void)buf, (void)len; return adler; }
