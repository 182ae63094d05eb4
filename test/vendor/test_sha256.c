/* test_sha256.c - vendor/sha256 against the FIPS 180-4 example vectors (NIST CSRC "SHA256.pdf"
 * and the one-million-'a' message), lengths around the padding boundary (digests from Python's
 * hashlib 3.x, the oracle) and streaming splits: every split point of a 300-byte message and
 * byte-by-byte feeding must give the one-call digest. */
#include <stdlib.h>

#include "test/harness.h"
#include "vendor/sha256.h"

static void hex_of(const void *p, size_t n, char hex[65]) { sha256_hex(p, n, hex); }

TEST(sha256_nist_vectors)
{
    char hex[65];
    hex_of("", 0, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hex_of("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(m448, strlen(m448), hex);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    hex_of(m896, strlen(m896), hex);
    CHECK_STR(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(sha256_million_a)
{
    /* fed in uneven pieces to exercise the partial-block path as well */
    struct sha256 s;
    uint8_t dg[32];
    char hex[65];
    char buf[997];
    memset(buf, 'a', sizeof buf);
    sha256_init(&s);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof buf ? left : sizeof buf;
        sha256_update(&s, buf, n);
        left -= n;
    }
    sha256_final(&s, dg);
    sha256_to_hex(dg, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(sha256_padding_boundaries)
{
    /* hashlib.sha256(b'x' * n).hexdigest() */
    static const struct { int n; const char *hex; } v[] = {
        {55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"},
        {56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"},
        {63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"},
        {64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"},
        {65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"},
    };
    char buf[65], hex[65];
    memset(buf, 'x', sizeof buf);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        hex_of(buf, (size_t)v[i].n, hex);
        CHECK_MSG(strcmp(hex, v[i].hex) == 0, "n=%d: %s", v[i].n, hex);
    }
}

TEST(sha256_streaming_splits)
{
    /* m[i] = (7i + 3) mod 256, i < 300; hashlib digest below */
    const char *want = "04773f8726c81cafcfa1a09a82664b98b00d2021031a1715bca1154f2dad3472";
    uint8_t m[300];
    for (int i = 0; i < 300; i++)
        m[i] = (uint8_t)((i * 7 + 3) & 255);
    char hex[65];
    uint8_t dg[32];
    hex_of(m, sizeof m, hex);
    CHECK_STR(hex, want);
    for (size_t a = 0; a <= sizeof m; a++) {
        for (size_t b = a; b <= sizeof m; b += 37) {
            struct sha256 s;
            sha256_init(&s);
            sha256_update(&s, m, a);
            sha256_update(&s, m + a, b - a);
            sha256_update(&s, m + b, sizeof m - b);
            sha256_final(&s, dg);
            sha256_to_hex(dg, hex);
            if (strcmp(hex, want) != 0) {
                CHECK_MSG(0, "split at %zu, %zu: %s", a, b, hex);
                return;
            }
        }
    }
    struct sha256 s;
    sha256_init(&s);
    for (size_t i = 0; i < sizeof m; i++)
        sha256_update(&s, m + i, 1);
    sha256_final(&s, dg);
    sha256_to_hex(dg, hex);
    CHECK_STR(hex, want);
}
