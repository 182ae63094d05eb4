/* sha1.c - SHA-1 (FIPS 180-4 section 6.1): 512-bit blocks, 80 rounds, big-endian words, padding
 * with 0x80, zeros and the 64-bit bit length. Streaming: sha1_update buffers partial blocks.
 * Covered by test/radiomics/test_diag.c. */
#include "vendor/sha1.h"

#include <stdio.h>
#include <string.h>

static uint32_t rol32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

/* One 64-byte block into the state h. */
static void sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[80];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 | (uint32_t)p[4 * t + 2] << 8 | p[4 * t + 3];
    for (int t = 16; t < 80; t++)
        w[t] = rol32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], x = h[4];
    for (int t = 0; t < 80; t++) {
        uint32_t f, k;
        if (t < 20) {
            f = (b & c) | (~b & d); /* Ch */
            k = 0x5A827999u;
        } else if (t < 40) {
            f = b ^ c ^ d; /* Parity */
            k = 0x6ED9EBA1u;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d); /* Maj */
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        const uint32_t tmp = rol32(a, 5) + f + x + k + w[t];
        x = d;
        d = c;
        c = rol32(b, 30);
        b = a;
        a = tmp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += x;
}

void sha1_init(struct sha1 *s)
{
    static const uint32_t h0[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    memcpy(s->h, h0, sizeof h0);
    s->nbytes = 0;
    s->fill = 0;
}

void sha1_update(struct sha1 *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    s->nbytes += len;
    if (s->fill) {
        const size_t take = len < 64 - s->fill ? len : 64 - s->fill;
        memcpy(s->block + s->fill, p, take);
        s->fill += take;
        p += take;
        len -= take;
        if (s->fill < 64)
            return;
        sha1_block(s->h, s->block);
        s->fill = 0;
    }
    while (len >= 64) {
        sha1_block(s->h, p);
        p += 64;
        len -= 64;
    }
    if (len) {
        memcpy(s->block, p, len);
        s->fill = len;
    }
}

void sha1_final(struct sha1 *s, uint8_t digest[20])
{
    const uint64_t bits = s->nbytes * 8u;
    uint8_t pad[72] = {0x80};
    /* 0x80, zeros up to 56 mod 64, then the length */
    const size_t npad = s->fill < 56 ? 56 - s->fill : 120 - s->fill;
    for (int i = 0; i < 8; i++)
        pad[npad + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    const uint64_t keep = s->nbytes;
    sha1_update(s, pad, npad + 8);
    s->nbytes = keep;
    for (int i = 0; i < 5; i++) {
        digest[4 * i] = (uint8_t)(s->h[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
        digest[4 * i + 3] = (uint8_t)s->h[i];
    }
}

void sha1_to_hex(const uint8_t digest[20], char hex[41])
{
    for (int i = 0; i < 20; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

void sha1_hex(const void *data, size_t len, char hex[41])
{
    struct sha1 s;
    uint8_t d[20];
    sha1_init(&s);
    sha1_update(&s, data, len);
    sha1_final(&s, d);
    sha1_to_hex(d, hex);
}
