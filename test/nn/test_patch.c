/* test_patch.c - nn/patch.c: patch starts against numpy (test/golden/unet/patch_starts.txt from
 * test/oracles/unet_patch.py), the 36-patch paper grid, recomposition of overlaps, padding,
 * z-scoring. */
#include <stdlib.h>
#include <string.h>

#include "nn/patch.h"
#include "test/harness.h"

TEST(patch_starts_numpy_golden)
{
    FILE *f = fopen("test/golden/unet/patch_starts.txt", "r");
    REQUIRE_MSG(f, "cannot open test/golden/unet/patch_starts.txt");
    char line[4096];
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        char *p = line, *end;
        const long long size = strtoll(p, &end, 10);
        const int patch = (int)strtol(end, &end, 10);
        const double os = strtod(end, &end);
        const long long n = strtoll(end, &end, 10), k = strtoll(end, &end, 10);
        CHECK_INT(patch_formula_n(size, patch, os), n);
        int64_t starts[256];
        REQUIRE(k <= 256);
        CHECK_INT(patch_starts(size, patch, os, starts), k);
        for (long long i = 0; i < k; i++) {
            const long long want = strtoll(end, &end, 10);
            CHECK_MSG(starts[i] == want, "size %lld patch %d: start %lld = %lld, numpy %lld", size, patch, i,
                      (long long)starts[i], want);
        }
        cases++;
    }
    fclose(f);
    CHECK(cases >= 15);
}

TEST(patch_grid_paper_36)
{
    struct sarc_err e = {0};
    struct patch_grid g;
    const int64_t dim[3] = {60, 280, 280};
    const int patch[3] = {18, 142, 142};
    REQUIRE_OK(patch_grid_init(&g, dim, patch, 1.0, &e), e);
    CHECK_INT(g.count, 36);
    int64_t s[3];
    patch_grid_start(&g, 35, s);
    CHECK_INT(s[0], 42);
    CHECK_INT(s[1], 138);
    CHECK_INT(s[2], 138);
    patch_grid_start(&g, 1, s);
    CHECK_INT(s[0], 0);
    CHECK_INT(s[1], 0);
    CHECK_INT(s[2], 69);
    patch_grid_free(&g);
    CHECK(patch_grid_init(&g, dim, patch, 0.0, &e) == SARC_ERR_RANGE);
}

TEST(patch_recompose_constant_and_average)
{
    struct sarc_err e = {0};
    const int64_t dim[3] = {21, 30, 47};
    const int patch[3] = {18, 18, 22};
    struct patch_grid g;
    REQUIRE_OK(patch_grid_init(&g, dim, patch, 1.0, &e), e);
    struct patch_accum acc;
    REQUIRE_OK(patch_accum_init(&acc, g.dim, &e), e);
    const int64_t no = 16 * 16 * 20, nv = dim[0] * dim[1] * dim[2];
    float *out = malloc(sizeof(float) * no), *prob = malloc(sizeof(float) * nv);
    REQUIRE(out && prob);
    for (int64_t i = 0; i < no; i++)
        out[i] = 0.375f;
    for (int64_t k = 0; k < g.count; k++) {
        int64_t s[3];
        patch_grid_start(&g, k, s);
        patch_accum_add(&acc, out, s, patch);
    }
    patch_accum_mean(&acc, prob);
    int inside_ok = 1, rim_ok = 1;
    for (int64_t z = 0; z < dim[0]; z++)
        for (int64_t y = 0; y < dim[1]; y++)
            for (int64_t x = 0; x < dim[2]; x++) {
                const int rim = z == 0 || y == 0 || x == 0 || z == dim[0] - 1 || y == dim[1] - 1 || x == dim[2] - 1;
                const float v = prob[(z * dim[1] + y) * dim[2] + x];
                if (rim)
                    rim_ok &= v == 0.0f;
                else
                    inside_ok &= v == 0.375f;
            }
    CHECK(inside_ok);
    CHECK(rim_ok);
    /* two overlapping patches with different values average where they overlap */
    patch_accum_free(&acc);
    REQUIRE_OK(patch_accum_init(&acc, g.dim, &e), e);
    int64_t s0[3] = {0, 0, 0}, s1[3] = {3, 12, 10};
    patch_accum_add(&acc, out, s0, patch);
    for (int64_t i = 0; i < no; i++)
        out[i] = 1.0f;
    patch_accum_add(&acc, out, s1, patch);
    patch_accum_mean(&acc, prob);
    CHECK(prob[(5 * dim[1] + 14) * dim[2] + 20] == 0.6875f); /* covered by both */
    CHECK(prob[(2 * dim[1] + 2) * dim[2] + 2] == 0.375f);    /* first only */
    CHECK(prob[(19 * dim[1] + 28) * dim[2] + 30] == 1.0f);   /* second only */
    patch_accum_free(&acc);
    patch_grid_free(&g);
    free(out), free(prob);
}

TEST(patch_extract_pads_small_volume)
{
    struct sarc_err e = {0};
    const int64_t dim[3] = {4, 5, 6};
    const int patch[3] = {18, 18, 18};
    struct patch_grid g;
    REQUIRE_OK(patch_grid_init(&g, dim, patch, 1.0, &e), e);
    CHECK_INT(g.count, 1);
    CHECK_INT(g.dim[0], 18);
    float vol[2 * 120], *out = malloc(sizeof(float) * 2 * 18 * 18 * 18);
    REQUIRE(out);
    for (int i = 0; i < 240; i++)
        vol[i] = (float)(i + 1);
    const int64_t s[3] = {0, 0, 0};
    patch_extract(vol, 2, dim, s, patch, out);
    CHECK(out[0] == 1.0f);
    CHECK(out[(int64_t)18 * 18 * 18 + (3 * 18 + 4) * 18 + 5] == 240.0f); /* channel 1, (3,4,5) */
    CHECK(out[(3 * 18 + 4) * 18 + 6] == 0.0f);                           /* padding */
    CHECK(out[(4 * 18) * 18] == 0.0f);
    free(out);
    patch_grid_free(&g);
}

TEST(patch_zscore_mean0_std1)
{
    float x[6] = {1, 2, 3, 4, 5, 6};
    double m, s;
    patch_zscore(x, 1, 6, &m, &s);
    CHECK_CLOSE(m, 3.5, 1e-15, 0);
    CHECK_CLOSE(s, sqrt(17.5 / 6.0), 1e-15, 0);
    CHECK_CLOSE(x[0], -2.5 / sqrt(17.5 / 6.0), 1e-6, 0);
    float c[3] = {2, 2, 2};
    patch_zscore(c, 1, 3, NULL, NULL);
    CHECK(c[0] == 0.0f && c[2] == 0.0f);
}
