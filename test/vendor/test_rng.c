/* test_rng.c - Philox4x32-10 against the Random123 known-answer vectors, direct access to the
 * n-th draw, uniformity of the derived distributions. */
#include "test/harness.h"
#include "vendor/rng.h"

static void kat(const uint32_t ctr[4], const uint32_t key[2], const uint32_t want[4])
{
    uint32_t out[4];
    philox4x32_10(ctr, key, out);
    for (int i = 0; i < 4; i++)
        CHECK_MSG(out[i] == want[i], "word %d: %08x, expected %08x", i, out[i], want[i]);
}

TEST(rng_philox_known_answers)
{
    /* Random123 kat_vectors, philox4x32_10 */
    const uint32_t c0[4] = {0, 0, 0, 0}, k0[2] = {0, 0}, w0[4] = {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8};
    const uint32_t c1[4] = {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, k1[2] = {0xffffffff, 0xffffffff},
                   w1[4] = {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd};
    const uint32_t c2[4] = {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, k2[2] = {0xa4093822, 0x299f31d0},
                   w2[4] = {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1};
    kat(c0, k0, w0);
    kat(c1, k1, w1);
    kat(c2, k2, w2);
}

TEST(rng_direct_access_and_streams)
{
    /* the n-th draw is the same whether or not the earlier ones were drawn */
    uint32_t seq[64];
    for (int n = 0; n < 64; n++)
        seq[n] = rng_u32(1234, 7, (uint64_t)n);
    CHECK(rng_u32(1234, 7, 63) == seq[63]);
    CHECK(rng_u32(1234, 7, 5) == seq[5]);
    CHECK(rng_u32(1234, 8, 5) != seq[5]);
    CHECK(rng_u32(1235, 7, 5) != seq[5]);
    CHECK(rng_stream(RNG_DROPOUT, 1, 2, 3) != rng_stream(RNG_DROPOUT, 1, 3, 2));
}

TEST(rng_uniform_and_normal_moments)
{
    const int n = 200000;
    double s = 0, s2 = 0, ns = 0, ns2 = 0, mn = 1, mx = 0;
    for (int i = 0; i < n; i++) {
        double u = rng_uniform53(99, 1, (uint64_t)i);
        float uf = rng_uniformf(99, 2, (uint64_t)i);
        CHECK(uf >= 0.0f && uf < 1.0f);
        s += u;
        s2 += u * u;
        mn = u < mn ? u : mn;
        mx = u > mx ? u : mx;
        double z = rng_normal(99, 3, (uint64_t)i);
        ns += z;
        ns2 += z * z;
    }
    CHECK(mn >= 0 && mx < 1);
    CHECK_CLOSE(s / n, 0.5, 0, 0.005);
    CHECK_CLOSE(s2 / n - (s / n) * (s / n), 1.0 / 12, 0, 0.002);
    CHECK_CLOSE(ns / n, 0, 0, 0.01);
    CHECK_CLOSE(ns2 / n, 1, 0, 0.02);
    uint64_t used;
    int counts[7] = {0};
    for (int i = 0; i < 70000; i++)
        counts[rng_below(5, 5, (uint64_t)i * 4, 7, &used)]++;
    for (int k = 0; k < 7; k++)
        CHECK_CLOSE(counts[k], 10000, 0, 400);
}
