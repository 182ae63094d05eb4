/* png.c - placeholder: the foundation issue replaces this file. */
#include "vendor/png.h"

int png_encode(const uint8_t *pixels, int width, int height, int channels, uint8_t **out, size_t *out_len, struct sarc_err *e)
{
    (void)pixels, (void)width, (void)height, (void)channels;
    *out = 0;
    *out_len = 0;
    return ERR(e, SARC_ERR_UNSUPPORTED, "PNG is not available yet");
}
int png_write(const char *path, const uint8_t *pixels, int width, int height, int channels, struct sarc_err *e)
{
    (void)path;
    uint8_t *o;
    size_t n;
    return png_encode(pixels, width, height, channels, &o, &n, e);
}
