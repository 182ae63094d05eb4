/* sha256.c - placeholder: the foundation issue replaces this file. */
#include "vendor/sha256.h"

#include <string.h>

void sha256_init(struct sha256 *s) { memset(s, 0, sizeof *s); }
void sha256_update(struct sha256 *s, const void *data, size_t len) { (void)data; s->nbytes += len; }
void sha256_final(struct sha256 *s, uint8_t digest[32]) { (void)s; memset(digest, 0, 32); }
void sha256_to_hex(const uint8_t digest[32], char hex[65])
{
    static const char *d = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = d[digest[i] >> 4];
        hex[2 * i + 1] = d[digest[i] & 15];
    }
    hex[64] = 0;
}
void sha256_hex(const void *data, size_t len, char hex[65])
{
    struct sha256 s;
    uint8_t dg[32];
    sha256_init(&s);
    sha256_update(&s, data, len);
    sha256_final(&s, dg);
    sha256_to_hex(dg, hex);
}
