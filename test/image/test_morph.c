/* test_morph.c - the exact anisotropic EDT and mm morphology (image/morph.c) against SciPy goldens
 * (test/golden/image/basic.txt from test/oracles/image_basic.py: distance_transform_edt with
 * sampling), a brute-force check on random masks, and the bad-argument paths. */
#include <math.h>
#include <stdlib.h>

#include "image/morph.h"
#include "test/harness.h"
#include "test/image/image_testutil.h"
#include "vendor/pool.h"

#define GOLDEN "test/golden/image/basic.txt"

TEST(image_edt_scipy_golden)
{
    const int64_t dim[3] = {13, 11, 7};
    const double sp[3] = {0.7, 1.1, 2.3};
    int64_t n = dim[0] * dim[1] * dim[2], ng = 0;
    double *ref = golden_section(GOLDEN, "edt_sq", &ng);
    REQUIRE_MSG(ref && ng == n, "golden edt_sq missing or wrong size (%lld)", (long long)ng);
    uint8_t *feat = malloc((size_t)n);
    double *d2 = malloc((size_t)n * sizeof *d2);
    for (int64_t i = 0; i < n; i++)
        feat[i] = img_hash01((uint64_t)i, 11) < 0.04;
    struct sarc_err e = {0};
    CHECK_OK(edt_sq(feat, dim, sp, d2, &e), e);
    int bad = 0;
    for (int64_t i = 0; i < n && bad < 5; i++)
        if (!(fabs(d2[i] - ref[i]) <= 1e-9 * (1 + ref[i]))) {
            CHECK_CLOSE(d2[i], ref[i], 1e-9, 1e-9);
            bad++;
        }
    free(ref), free(feat), free(d2);
}

static void check_bits(const char *what, const uint8_t *got, const double *ref, int64_t n)
{
    int64_t nd = 0, first = -1;
    for (int64_t i = 0; i < n; i++)
        if ((got[i] != 0) != (ref[i] != 0)) {
            nd++;
            if (first < 0)
                first = i;
        }
    CHECK_MSG(nd == 0, "%s differs from SciPy in %lld voxels (first at index %lld)", what, (long long)nd, (long long)first);
}

TEST(image_morph_scipy_golden)
{
    const int64_t dim[3] = {30, 28, 12};
    const double sp[3] = {0.3, 0.3, 0.9};
    const int64_t n = dim[0] * dim[1] * dim[2];
    int64_t ng;
    double *in = golden_section(GOLDEN, "morph_in", &ng);
    REQUIRE_MSG(in && ng == n, "golden morph_in missing");
    uint8_t *m = malloc((size_t)n), *out = malloc((size_t)n);
    for (int64_t i = 0; i < n; i++)
        m[i] = in[i] != 0;
    const char *names[4] = {"morph_dilate", "morph_erode", "morph_open", "morph_close"};
    const enum morph_op ops[4] = {MORPH_DILATE, MORPH_ERODE, MORPH_OPEN, MORPH_CLOSE};
    struct sarc_err e = {0};
    for (int k = 0; k < 4; k++) {
        double *ref = golden_section(GOLDEN, names[k], &ng);
        CHECK_MSG(ref && ng == n, "golden %s missing", names[k]);
        if (ref && ng == n) {
            CHECK_OK(morph_apply(ops[k], m, dim, sp, 1.0, out, &e), e);
            check_bits(names[k], out, ref, n);
        }
        free(ref);
    }
    /* in place gives the same as out of place */
    double *ref = golden_section(GOLDEN, "morph_close", &ng);
    if (ref) {
        CHECK_OK(morph_apply(MORPH_CLOSE, m, dim, sp, 1.0, m, &e), e);
        check_bits("in-place close", m, ref, n);
    }
    free(ref), free(in), free(m), free(out);
}

/* Brute force: dilation by R is "some mask voxel within R mm", on random anisotropic cases,
 * including R exactly on a lattice distance (inclusive). */
TEST(image_morph_bruteforce)
{
    const int64_t dim[3] = {9, 7, 5};
    const int64_t n = 9 * 7 * 5;
    const double sp[3] = {0.5, 0.75, 1.5};
    uint8_t m[315], out[315];
    struct sarc_err e = {0};
    const double radii[4] = {0.0, 0.75, 1.5, 2.1};
    for (int r = 0; r < 4; r++) {
        for (int64_t i = 0; i < n; i++)
            m[i] = img_hash01((uint64_t)i, 100 + (uint32_t)r) < 0.05;
        REQUIRE_OK(morph_apply(MORPH_DILATE, m, dim, sp, radii[r], out, &e), e);
        int64_t nd = 0;
        for (int64_t v = 0; v < n; v++) {
            const int64_t vi = v % 9, vj = (v / 9) % 7, vk = v / 63;
            int want = 0;
            for (int64_t u = 0; u < n && !want; u++) {
                if (!m[u])
                    continue;
                const double dx = (double)(u % 9 - vi) * sp[0], dy = (double)((u / 9) % 7 - vj) * sp[1],
                             dz = (double)(u / 63 - vk) * sp[2];
                want = sqrt(dx * dx + dy * dy + dz * dz) <= radii[r] + 1e-9;
            }
            nd += want != out[v];
        }
        CHECK_MSG(nd == 0, "radius %g: %lld voxels differ from brute force", radii[r], (long long)nd);
    }
}

TEST(image_edt_empty_and_threads)
{
    const int64_t dim[3] = {40, 33, 21};
    const int64_t n = 40 * 33 * 21;
    const double sp[3] = {0.2, 0.3, 0.7};
    uint8_t *f = calloc((size_t)n, 1);
    double *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
    struct sarc_err e = {0};
    CHECK_OK(edt_sq(f, dim, sp, a, &e), e);
    CHECK(isinf(a[0]) && isinf(a[n - 1]));
    for (int64_t i = 0; i < n; i++)
        f[i] = img_hash01((uint64_t)i, 7) < 0.001;
    /* 3 threads against a serial run: identical bits */
    pool_set_default_threads(3);
    CHECK_OK(edt_sq(f, dim, sp, a, &e), e);
    pool_set_default_threads(1);
    CHECK_OK(edt_sq(f, dim, sp, b, &e), e);
    pool_set_default_threads(0);
    CHECK(memcmp(a, b, (size_t)n * sizeof *a) == 0);
    free(f), free(a), free(b);
}

TEST(image_morph_bad_args)
{
    const int64_t dim[3] = {4, 4, 4}, bad_dim[3] = {4, 0, 4};
    const double sp[3] = {1, 1, 1}, bad_sp[3] = {1, -1, 1};
    uint8_t m[64] = {0}, out[64];
    struct sarc_err e = {0};
    CHECK(morph_apply(MORPH_DILATE, m, dim, sp, -1.0, out, &e) == SARC_ERR_ARG);
    CHECK(morph_apply(MORPH_DILATE, m, dim, sp, NAN, out, &e) == SARC_ERR_ARG);
    CHECK(morph_apply(MORPH_DILATE, m, bad_dim, sp, 1.0, out, &e) == SARC_ERR_RANGE);
    CHECK(morph_apply(MORPH_DILATE, m, dim, bad_sp, 1.0, out, &e) == SARC_ERR_ARG);
    CHECK(strstr(e.msg, "spacing[1]") != NULL);
}
