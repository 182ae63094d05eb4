/* sha1.h - SHA-1 (FIPS 180-4), streaming. Used for PyRadiomics-compatible image/mask hashes
 * (radiomics/diagnostics.c: PyRadiomics writes sitk.Hash, SHA-1 of the voxel bytes); not for
 * security. Covered by test/radiomics/test_diag.c (FIPS 180 / hashlib vectors, split updates). */
#ifndef SARC_SHA1_H
#define SARC_SHA1_H

#include <stddef.h>
#include <stdint.h>

struct sha1 {
    uint32_t h[5];
    uint64_t nbytes;
    uint8_t block[64];
    size_t fill;
};

void sha1_init(struct sha1 *s);
void sha1_update(struct sha1 *s, const void *data, size_t len);
void sha1_final(struct sha1 *s, uint8_t digest[20]);
/* One call: digest of data as 40 lowercase hex digits + NUL. */
void sha1_hex(const void *data, size_t len, char hex[41]);
void sha1_to_hex(const uint8_t digest[20], char hex[41]);

#endif
