/* sha256.h - SHA-256 (FIPS 180-4), streaming. Covered by test/vendor/test_sha256.c (NIST vectors). */
#ifndef SARC_SHA256_H
#define SARC_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t nbytes;
    uint8_t block[64];
    size_t fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[32]);
/* One call: digest of data; hex is 65 bytes (64 lowercase hex digits + NUL). */
void sha256_hex(const void *data, size_t len, char hex[65]);
void sha256_to_hex(const uint8_t digest[32], char hex[65]);

#endif
