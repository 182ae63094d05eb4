/* patch.c - the paper's patch grid, patch extraction with zero padding, z-scoring and the
 * recomposition by averaging (see patch.h). Covered by test/nn/test_patch.c. */
#include "nn/patch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int64_t patch_formula_n(int64_t size, int patch, double oversample)
{
    if (size < patch)
        size = patch;
    return (int64_t)floor((double)size * oversample / (double)(patch - 2)) + 1;
}

int64_t patch_starts(int64_t size, int patch, double oversample, int64_t *starts)
{
    if (size < patch)
        size = patch;
    const int64_t n = patch_formula_n(size, patch, oversample);
    const int64_t stop = size - patch;
    if (n == 1) {
        if (starts)
            starts[0] = 0;
        return 1;
    }
    /* numpy: step = (stop - 0) / (n - 1); y = arange(n) * step; y[-1] = stop; floor to int.
     * The sequence never decreases, so duplicates are neighbours: keep the first of each. */
    const double step = (double)stop / (double)(n - 1);
    int64_t k = 0, prev = -1;
    for (int64_t i = 0; i < n; i++) {
        const int64_t s = i == n - 1 ? stop : (int64_t)floor((double)i * step);
        if (s != prev) {
            if (starts)
                starts[k] = s;
            k++;
        }
        prev = s;
    }
    return k;
}

int patch_grid_init(struct patch_grid *g, const int64_t dim[3], const int patch[3], double oversample,
                    struct sarc_err *e)
{
    memset(g, 0, sizeof *g);
    if (!(oversample > 0 && oversample <= 16))
        return ERR(e, SARC_ERR_RANGE, "oversample = %g, expected 0 < x <= 16", oversample);
    g->count = 1;
    for (int a = 0; a < 3; a++) {
        if (dim[a] < 1 || dim[a] > ((int64_t)1 << 31))
            return patch_grid_free(g), ERR(e, SARC_ERR_RANGE, "volume extent[%d] = %lld, expected 1..2^31", a, (long long)dim[a]);
        if (patch[a] < 3)
            return patch_grid_free(g), ERR(e, SARC_ERR_RANGE, "patch extent[%d] = %d, expected >= 3", a, patch[a]);
        g->dim[a] = dim[a] < patch[a] ? patch[a] : dim[a];
        g->patch[a] = patch[a];
        g->n[a] = patch_starts(g->dim[a], patch[a], oversample, NULL);
        g->start[a] = malloc(sizeof(int64_t) * (size_t)g->n[a]);
        if (!g->start[a])
            return patch_grid_free(g), ERR(e, SARC_ERR_NOMEM, "patch grid");
        patch_starts(g->dim[a], patch[a], oversample, g->start[a]);
        g->count *= g->n[a];
    }
    return 0;
}

void patch_grid_free(struct patch_grid *g)
{
    for (int a = 0; a < 3; a++)
        free(g->start[a]);
    memset(g, 0, sizeof *g);
}

void patch_grid_start(const struct patch_grid *g, int64_t k, int64_t s[3])
{
    const int64_t w = k % g->n[2], h = (k / g->n[2]) % g->n[1], d = k / (g->n[2] * g->n[1]);
    s[0] = g->start[0][d];
    s[1] = g->start[1][h];
    s[2] = g->start[2][w];
}

void patch_extract(const float *vol, int C, const int64_t dim[3], const int64_t s[3], const int patch[3],
                   float *out)
{
    const int64_t D = dim[0], H = dim[1], W = dim[2];
    const int PD = patch[0], PH = patch[1], PW = patch[2];
    for (int c = 0; c < C; c++)
        for (int d = 0; d < PD; d++)
            for (int h = 0; h < PH; h++) {
                float *o = out + (((int64_t)c * PD + d) * PH + h) * PW;
                const int64_t z = s[0] + d, y = s[1] + h;
                if (z >= D || y >= H || z < 0 || y < 0) {
                    memset(o, 0, sizeof(float) * (size_t)PW);
                    continue;
                }
                const float *r = vol + ((c * D + z) * H + y) * W;
                for (int w = 0; w < PW; w++) {
                    const int64_t x = s[2] + w;
                    o[w] = (x >= 0 && x < W) ? r[x] : 0.0f;
                }
            }
}

void patch_zscore(float *x, int C, int64_t n, double *means, double *stds)
{
    for (int c = 0; c < C; c++) {
        float *v = x + (int64_t)c * n;
        double s = 0;
        for (int64_t i = 0; i < n; i++)
            s += v[i];
        const double mean = n > 0 ? s / (double)n : 0.0;
        double ss = 0;
        for (int64_t i = 0; i < n; i++)
            ss += ((double)v[i] - mean) * ((double)v[i] - mean);
        const double sd = n > 0 ? sqrt(ss / (double)n) : 0.0;
        const double inv = sd > 0 ? 1.0 / sd : 0.0;
        for (int64_t i = 0; i < n; i++)
            v[i] = (float)(((double)v[i] - mean) * inv);
        if (means)
            means[c] = mean;
        if (stds)
            stds[c] = sd;
    }
}

int patch_accum_init(struct patch_accum *a, const int64_t dim[3], struct sarc_err *e)
{
    memset(a, 0, sizeof *a);
    const int64_t n = dim[0] * dim[1] * dim[2];
    a->sum = calloc((size_t)n, sizeof(double));
    a->cnt = calloc((size_t)n, sizeof(uint32_t));
    if (!a->sum || !a->cnt) {
        patch_accum_free(a);
        return ERR(e, SARC_ERR_NOMEM, "prediction accumulator: %lld voxels", (long long)n);
    }
    memcpy(a->dim, dim, sizeof a->dim);
    return 0;
}

void patch_accum_free(struct patch_accum *a)
{
    free(a->sum);
    free(a->cnt);
    memset(a, 0, sizeof *a);
}

void patch_accum_add(struct patch_accum *a, const float *out, const int64_t s[3], const int patch[3])
{
    const int OD = patch[0] - 2, OH = patch[1] - 2, OW = patch[2] - 2;
    const int64_t D = a->dim[0], H = a->dim[1], W = a->dim[2];
    for (int d = 0; d < OD; d++) {
        const int64_t z = s[0] + 1 + d;
        if (z >= D)
            break;
        for (int h = 0; h < OH; h++) {
            const int64_t y = s[1] + 1 + h;
            if (y >= H)
                break;
            const float *r = out + ((int64_t)d * OH + h) * OW;
            for (int w = 0; w < OW; w++) {
                const int64_t x = s[2] + 1 + w;
                if (x >= W)
                    break;
                const int64_t i = (z * H + y) * W + x;
                a->sum[i] += r[w];
                a->cnt[i]++;
            }
        }
    }
}

void patch_accum_mean(const struct patch_accum *a, float *prob)
{
    const int64_t n = a->dim[0] * a->dim[1] * a->dim[2];
    for (int64_t i = 0; i < n; i++)
        prob[i] = a->cnt[i] ? (float)(a->sum[i] / a->cnt[i]) : 0.0f;
}
