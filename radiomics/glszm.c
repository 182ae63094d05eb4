/* glszm.c - PyRadiomics' grey-level size-zone matrix features (class glszm, FACTS.md section
 * 12): zones are connected sets of ROI voxels with equal level (26-connectivity in 3-D, 8 in the
 * plane with force2D; `distances` is ignored); P(level, size) counts zones. No directions.
 * Covered by test/radiomics/test_features.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "radiomics/radiomics.h"
#include "radiomics/texture_common.h"

#define EPS 2.220446049250313e-16
enum { NF = 16 };

struct zone {
    int g;       /* level index */
    int64_t sz;  /* voxels */
};

static int cmp_zone(const void *a, const void *b)
{
    const struct zone *x = a, *y = b;
    if (x->g != y->g)
        return x->g < y->g ? -1 : 1;
    return (x->sz > y->sz) - (x->sz < y->sz);
}

int glszm_features(const struct rad_roi *r, const struct rad_settings *s, double *out, struct sarc_err *e)
{
    static const int one[1] = {1};
    int off[26][3];
    /* connectivity ignores the box-size filter in effect (out-of-box voxels are not ROI) */
    struct rad_roi big = *r;
    big.nx = big.ny = big.nz = 3;
    const int no = rad_offsets(&big, s, one, 1, 0, off, 26);
    const int ng = r->ng;
    const int64_t nx = r->nx, ny = r->ny, nz = r->nz, N = nx * ny * nz;
    int rc = 0;
    for (int t = 0; t < NF; t++)
        out[t] = NAN;
    int *gi = malloc(((size_t)ng + 1) * sizeof *gi);
    double *val = malloc(((size_t)ng + 1) * sizeof *val);
    int64_t npx = 0; /* ROI voxels, counted here rather than trusted */
    for (int64_t t = 0; t < N; t++)
        npx += r->m[t] != 0;
    int64_t *stack = malloc(((size_t)npx + 1) * sizeof *stack);
    struct zone *z = malloc(((size_t)npx + 1) * sizeof *z);
    double *pg = NULL, *ps = NULL;
    if (!gi || !val || !stack || !z) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    const int G = tex_grey_index(r, gi, val);
    int64_t nzones = 0;
    {
        int *pl = NULL;
        int64_t pn[3];
        rc = rad_pad_levels(r, 1, &pl, pn, e);
        if (rc)
            goto done;
        int64_t delta[26];
        tex_pad_deltas(off, no, pn, delta);
        /* a visited zone voxel gets its level negated in pl */
        for (int64_t k = 0; k < nz; k++)
            for (int64_t j = 0; j < ny; j++)
                for (int64_t i = 0; i < nx; i++) {
                    const int64_t v = (i + 1) + pn[0] * ((j + 1) + pn[1] * (k + 1));
                    const int lev = pl[v];
                    if (lev <= 0)
                        continue;
                    int64_t top = 0, size = 0;
                    stack[top++] = v;
                    pl[v] = -lev;
                    while (top) {
                        const int64_t u = stack[--top];
                        size++;
                        for (int a = 0; a < no; a++) {
                            const int64_t w = u + delta[a];
                            if (pl[w] == lev) {
                                pl[w] = -lev;
                                stack[top++] = w;
                            }
                        }
                    }
                    z[nzones].g = gi[lev];
                    z[nzones].sz = size;
                    nzones++;
                }
        free(pl);
    }
    qsort(z, (size_t)nzones, sizeof *z, cmp_zone);
    pg = calloc((size_t)G + 1, sizeof *pg);
    ps = calloc((size_t)npx + 1, sizeof *ps);
    if (!pg || !ps) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    const double Nz = nzones ? (double)nzones : 1;
    double npv = 0, ze = 0, sal = 0, sah = 0, lal = 0, lah = 0;
    for (int64_t t = 0; t < nzones;) {
        int64_t u = t;
        while (u < nzones && z[u].g == z[t].g && z[u].sz == z[t].sz)
            u++;
        const double cnt = (double)(u - t);
        const double i = val[z[t].g], j = (double)z[t].sz;
        const double p = cnt / Nz;
        ze -= p * log2(p + EPS);
        sal += cnt / (i * i * j * j);
        sah += cnt * i * i / (j * j);
        lal += cnt * j * j / (i * i);
        lah += cnt * i * i * j * j;
        pg[z[t].g] += cnt;
        ps[z[t].sz] += cnt;
        npv += cnt * j;
        t = u;
    }
    double sae = 0, lae = 0, gln = 0, szn = 0, mug = 0, muz = 0, lgl = 0, hgl = 0;
    for (int g = 0; g < G; g++) {
        const double i = val[g];
        gln += pg[g] * pg[g];
        mug += i * pg[g] / Nz;
        lgl += pg[g] / (i * i);
        hgl += pg[g] * i * i;
    }
    for (int64_t j = 1; j <= npx; j++) {
        if (ps[j] == 0)
            continue;
        const double jj = (double)j;
        sae += ps[j] / (jj * jj);
        lae += ps[j] * jj * jj;
        szn += ps[j] * ps[j];
        muz += jj * ps[j] / Nz;
    }
    double glv = 0, zv = 0;
    for (int g = 0; g < G; g++)
        glv += pg[g] / Nz * (val[g] - mug) * (val[g] - mug);
    for (int64_t j = 1; j <= npx; j++)
        if (ps[j] != 0)
            zv += ps[j] / Nz * ((double)j - muz) * ((double)j - muz);
    out[0] = sae / Nz;
    out[1] = lae / Nz;
    out[2] = gln / Nz;
    out[3] = gln / (Nz * Nz);
    out[4] = szn / Nz;
    out[5] = szn / (Nz * Nz);
    out[6] = npv > 0 ? Nz / npv : NAN;
    out[7] = glv;
    out[8] = zv;
    out[9] = ze;
    out[10] = lgl / Nz;
    out[11] = hgl / Nz;
    out[12] = sal / Nz;
    out[13] = sah / Nz;
    out[14] = lal / Nz;
    out[15] = lah / Nz;
done:
    free(gi);
    free(val);
    free(stack);
    free(z);
    free(pg);
    free(ps);
    return rc;
}
