/* texture_common.h - small pieces shared by the texture classes (glcm.c, glrlm.c, glszm.c,
 * gldm.c, ngtdm.c): the distinct-grey-level index, neighbour offsets in a padded box, direction
 * weights' mm lengths, the NaN-skipping mean over directions, and the run-length / dependence
 * coefficient sums that GLRLM and GLDM compute alike (PyRadiomics, FACTS.md sections 10-14).
 * Internal to radiomics/. Each helper keeps the arithmetic and its order of the code it replaced.
 * Covered by test/radiomics/test_features.c. */
#ifndef SARC_RAD_TEXTURE_COMMON_H
#define SARC_RAD_TEXTURE_COMMON_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "radiomics/radiomics.h"

#define TEX_EPS 2.220446049250313e-16

/* Distinct grey levels of r's ROI: val[0..G) = the levels present, ascending; gi[level] = its
 * index (-1 when absent). gi and val hold r->ng + 1 entries. Returns G. */
static inline int tex_grey_index(const struct rad_roi *r, int *gi, double *val)
{
    const int64_t N = r->nx * r->ny * r->nz;
    for (int g = 0; g <= r->ng; g++)
        gi[g] = -1;
    for (int64_t i = 0; i < N; i++)
        if (r->m[i])
            gi[r->lv[i]] = 1;
    int G = 0;
    for (int g = 1; g <= r->ng; g++)
        if (gi[g] > 0) {
            val[G] = g;
            gi[g] = G++;
        }
    return G;
}

/* Largest of the settings' distances (0 when none). */
static inline int tex_max_distance(const struct rad_settings *s)
{
    int dmax = 0;
    for (int t = 0; t < s->ndist; t++)
        if (s->distances[t] > dmax)
            dmax = s->distances[t];
    return dmax;
}

/* Linear index steps of the no offsets (z, y, x) in a padded box of extents pn (x, y, z). */
static inline void tex_pad_deltas(int (*off)[3], int no, const int64_t pn[3], int64_t *delta)
{
    for (int a = 0; a < no; a++)
        delta[a] = off[a][2] + pn[0] * (off[a][1] + pn[1] * (int64_t)off[a][0]);
}

/* The offset's per-axis lengths in mm, (z, y, x) order. */
static inline void tex_offset_mm(const int off[3], const struct rad_roi *r, double d[3])
{
    d[0] = abs(off[0]) * r->sz;
    d[1] = abs(off[1]) * r->sy;
    d[2] = abs(off[2]) * r->sx;
}

/* Sum of p[0..n) in index order. */
static inline double tex_sum(const double *p, size_t n)
{
    double tot = 0;
    for (size_t t = 0; t < n; t++)
        tot += p[t];
    return tot;
}

/* out[t] = mean over the kept directions of fa[a * nf + t], skipping NaN (NaN when all are). */
static inline void tex_direction_mean(const double *fa, int kept, int nf, double *out)
{
    for (int t = 0; t < nf; t++) {
        double acc = 0;
        int cnt = 0;
        for (int a = 0; a < kept; a++)
            if (!isnan(fa[(size_t)a * nf + t])) {
                acc += fa[(size_t)a * nf + t];
                cnt++;
            }
        out[t] = cnt ? acc / cnt : NAN;
    }
}

/* Sums over a G x L matrix P whose column c stands for size j = c + 1 (run length in GLRLM,
 * dependence size in GLDM), normalised by nz (the matrix total): grey-level moments (gln, mug,
 * lgl, hgl, glv), size moments (se = sum p/j^2, le = sum p j^2, sn, mus, sv), entropy and the
 * four joint emphases. */
struct tex_size_sums {
    double se, le, gln, sn, mug, mus, ent, lgl, hgl;
    double sl, sh, ll, lh; /* small/large size with low/high grey-level emphasis */
    double glv, sv;
};

/* lt: NULL, or a table of log2 of the integers up to the largest count and nz (the voxel maps,
 * whose P holds integer counts): the entropy then takes log2(v) - log2(nz) for log2(v / nz + eps)
 * (a difference of about eps / p). */
static inline void tex_size_sums_lt(const double *P, int G, int L, const double *val, double nz,
                                    const double *lt, struct tex_size_sums *o)
{
    const double lnz = lt ? lt[(int)nz] : 0;
    double se = 0, le = 0, gln = 0, sn = 0, mug = 0, mus = 0, ent = 0, lgl = 0, hgl = 0;
    double sl = 0, sh = 0, ll = 0, lh = 0;
    for (int g = 0; g < G; g++) {
        double pg = 0;
        const double i = val[g], i2 = i * i;
        for (int c = 0; c < L; c++) {
            const double v = P[(size_t)g * L + c];
            if (v == 0)
                continue;
            const double j = c + 1, j2 = j * j;
            pg += v;
            const double p = v / nz;
            ent -= p * (lt ? lt[(int)v] - lnz : log2(p + TEX_EPS));
            sl += v / (i2 * j2);
            sh += v * i2 / j2;
            ll += v * j2 / i2;
            lh += v * i2 * j2;
        }
        gln += pg * pg;
        mug += i * pg / nz;
        lgl += pg / i2;
        hgl += pg * i2;
    }
    double glv = 0;
    for (int g = 0; g < G; g++) {
        double pg = 0;
        for (int c = 0; c < L; c++)
            pg += P[(size_t)g * L + c];
        glv += pg / nz * (val[g] - mug) * (val[g] - mug);
    }
    for (int c = 0; c < L; c++) {
        double ps = 0;
        for (int g = 0; g < G; g++)
            ps += P[(size_t)g * L + c];
        const double j = c + 1;
        se += ps / (j * j);
        le += ps * j * j;
        sn += ps * ps;
        mus += j * ps / nz;
    }
    double sv = 0;
    for (int c = 0; c < L; c++) {
        double ps = 0;
        for (int g = 0; g < G; g++)
            ps += P[(size_t)g * L + c];
        sv += ps / nz * (c + 1 - mus) * (c + 1 - mus);
    }
    *o = (struct tex_size_sums){se, le, gln, sn, mug, mus, ent, lgl, hgl, sl, sh, ll, lh, glv, sv};
}

static inline void tex_size_sums(const double *P, int G, int L, const double *val, double nz,
                                 struct tex_size_sums *o)
{
    tex_size_sums_lt(P, G, L, val, nz, NULL, o);
}

/* GLDM's 14 features (rad_class_table order) from the sums of its (G, J) matrix of nz entries
 * (gldm.c and the voxel maps of fmap_fast.c). */
static inline void tex_gldm_features(const struct tex_size_sums *q, double nz, double *out)
{
    out[0] = q->se / nz;
    out[1] = q->le / nz;
    out[2] = q->gln / nz;
    out[3] = q->sn / nz;
    out[4] = q->sn / (nz * nz);
    out[5] = q->glv;
    out[6] = q->sv;
    out[7] = q->ent;
    out[8] = q->lgl / nz;
    out[9] = q->hgl / nz;
    out[10] = q->sl / nz;
    out[11] = q->sh / nz;
    out[12] = q->ll / nz;
    out[13] = q->lh / nz;
}

/* NGTDM's 5 features (Coarseness 1e6 when the sum is 0, Contrast, Busyness, Complexity,
 * Strength) from the voxel counts n[a] and difference sums s[a] of the G present levels, whose
 * values val[a] ascend (ngtdm.c and the voxel maps of fmap_fast.c). */
static inline void tex_ngtdm_features(const double *n, const double *s, const double *val, int G, double *out)
{
    double nvp = 0, sum_s = 0, sum_ps = 0;
    for (int g = 0; g < G; g++) {
        nvp += n[g];
        sum_s += s[g];
    }
    double contrast = 0, absdiff = 0, complexity = 0, strength = 0;
    for (int a = 0; a < G; a++) {
        const double pa = n[a] / nvp;
        sum_ps += pa * s[a];
        for (int b = 0; b < G; b++) {
            const double pb = n[b] / nvp, d = val[a] - val[b];
            contrast += pa * pb * d * d;
            absdiff += fabs(val[a] * pa - val[b] * pb);
            complexity += fabs(d) * (pa * s[a] + pb * s[b]) / (pa + pb);
            strength += (pa + pb) * d * d;
        }
    }
    out[0] = sum_ps == 0 ? 1e6 : 1 / sum_ps;
    out[1] = G > 1 ? contrast * sum_s / nvp / ((double)G * (G - 1)) : 0;
    out[2] = absdiff != 0 ? sum_ps / absdiff : 0;
    out[3] = complexity / nvp;
    out[4] = sum_s != 0 ? strength / sum_s : 0;
}

#endif
