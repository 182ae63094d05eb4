/* gldm.c - PyRadiomics' grey-level dependence matrix features (class gldm, FACTS.md section 13):
 * for every ROI voxel the number of ROI neighbours (full neighbour list for `distances`, in-plane
 * with force2D) whose level differs by at most gldm_a; dependence size j = that count + 1;
 * P(level, j) counts voxels. Covered by test/radiomics/test_features.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "radiomics/radiomics.h"

#define EPS 2.220446049250313e-16
enum { NF = 14 };

int gldm_features(const struct rad_roi *r, const struct rad_settings *s, double *out, struct sarc_err *e)
{
    int off[4096][3];
    struct rad_roi big = *r; /* neighbours outside the box are background anyway */
    big.nx = big.ny = big.nz = 1 << 20;
    const int no = rad_offsets(&big, s, s->distances, s->ndist, 0, off, 4096);
    const int ng = r->ng;
    const int64_t nx = r->nx, ny = r->ny, nz = r->nz, N = nx * ny * nz;
    const int J = no + 1;
    int rc = 0;
    for (int t = 0; t < NF; t++)
        out[t] = NAN;
    int *gi = malloc(((size_t)ng + 1) * sizeof *gi);
    double *val = malloc(((size_t)ng + 1) * sizeof *val);
    double *P = NULL;
    if (!gi || !val) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int g = 0; g <= ng; g++)
        gi[g] = -1;
    for (int64_t i = 0; i < N; i++)
        if (r->m[i])
            gi[r->lv[i]] = 1;
    int G = 0;
    for (int g = 1; g <= ng; g++)
        if (gi[g] > 0) {
            val[G] = g;
            gi[g] = G++;
        }
    P = calloc((size_t)G * (size_t)J, sizeof *P);
    if (!P) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    {
        int dmax = 0;
        for (int t = 0; t < s->ndist; t++)
            if (s->distances[t] > dmax)
                dmax = s->distances[t];
        int *pl = NULL;
        int64_t pn[3];
        rc = rad_pad_levels(r, dmax, &pl, pn, e);
        if (rc)
            goto done;
        int64_t delta[4096];
        for (int a = 0; a < no; a++)
            delta[a] = off[a][2] + pn[0] * (off[a][1] + pn[1] * (int64_t)off[a][0]);
        const int exact = s->gldm_a == 0;
        for (int64_t k = 0; k < nz; k++)
            for (int64_t j = 0; j < ny; j++) {
                const int *row = pl + dmax + pn[0] * ((j + dmax) + pn[1] * (k + dmax));
                for (int64_t i = 0; i < nx; i++) {
                    const int lev = row[i];
                    if (!lev)
                        continue;
                    int cnt = 0;
                    if (exact) /* branch-free: lev > 0, so w == lev implies an ROI neighbour */
                        for (int a = 0; a < no; a++)
                            cnt += row[i + delta[a]] == lev;
                    else
                        for (int a = 0; a < no; a++) {
                            const int w = row[i + delta[a]];
                            cnt += w > 0 && fabs((double)(w - lev)) <= s->gldm_a;
                        }
                    P[(size_t)gi[lev] * J + cnt] += 1;
                }
            }
        free(pl);
    }
    double nzv = 0;
    for (size_t t = 0; t < (size_t)G * J; t++)
        nzv += P[t];
    if (nzv == 0)
        nzv = 1;
    double sde = 0, lde = 0, gln = 0, dn = 0, mug = 0, mud = 0, de = 0, lgl = 0, hgl = 0;
    double sdl = 0, sdh = 0, ldl = 0, ldh = 0;
    for (int g = 0; g < G; g++) {
        const double i = val[g], i2 = i * i;
        double pg = 0;
        for (int c = 0; c < J; c++) {
            const double v = P[(size_t)g * J + c];
            if (v == 0)
                continue;
            const double jj = c + 1, j2 = jj * jj;
            pg += v;
            const double p = v / nzv;
            de -= p * log2(p + EPS);
            sdl += v / (i2 * j2);
            sdh += v * i2 / j2;
            ldl += v * j2 / i2;
            ldh += v * i2 * j2;
        }
        gln += pg * pg;
        mug += i * pg / nzv;
        lgl += pg / i2;
        hgl += pg * i2;
    }
    for (int c = 0; c < J; c++) {
        double pd = 0;
        for (int g = 0; g < G; g++)
            pd += P[(size_t)g * J + c];
        const double jj = c + 1;
        sde += pd / (jj * jj);
        lde += pd * jj * jj;
        dn += pd * pd;
        mud += jj * pd / nzv;
    }
    double glv = 0, dv = 0;
    for (int g = 0; g < G; g++) {
        double pg = 0;
        for (int c = 0; c < J; c++)
            pg += P[(size_t)g * J + c];
        glv += pg / nzv * (val[g] - mug) * (val[g] - mug);
    }
    for (int c = 0; c < J; c++) {
        double pd = 0;
        for (int g = 0; g < G; g++)
            pd += P[(size_t)g * J + c];
        dv += pd / nzv * (c + 1 - mud) * (c + 1 - mud);
    }
    out[0] = sde / nzv;
    out[1] = lde / nzv;
    out[2] = gln / nzv;
    out[3] = dn / nzv;
    out[4] = dn / (nzv * nzv);
    out[5] = glv;
    out[6] = dv;
    out[7] = de;
    out[8] = lgl / nzv;
    out[9] = hgl / nzv;
    out[10] = sdl / nzv;
    out[11] = sdh / nzv;
    out[12] = ldl / nzv;
    out[13] = ldh / nzv;
done:
    free(gi);
    free(val);
    free(P);
    return rc;
}
