/* ngtdm.c - PyRadiomics' neighbouring grey-tone difference matrix features (class ngtdm,
 * FACTS.md section 14): for every ROI voxel, s(level) += |level - mean level of its ROI
 * neighbours| (0 when it has none; the voxel still counts in n). Coarseness (1e6 when the sum
 * is 0), Contrast, Busyness, Complexity, Strength over the present levels.
 * Covered by test/radiomics/test_features.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "radiomics/radiomics.h"
#include "radiomics/texture_common.h"

int ngtdm_features(const struct rad_roi *r, const struct rad_settings *s, double *out, struct sarc_err *e)
{
    int off[4096][3];
    struct rad_roi big = *r;
    big.nx = big.ny = big.nz = 1 << 20;
    const int no = rad_offsets(&big, s, s->distances, s->ndist, 0, off, 4096);
    const int ng = r->ng;
    const int64_t nx = r->nx, ny = r->ny, nz = r->nz;
    double *n = calloc((size_t)ng + 1, sizeof *n), *sv = calloc((size_t)ng + 1, sizeof *sv);
    if (!n || !sv) {
        free(n);
        free(sv);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    const int dmax = tex_max_distance(s);
    const int *pl = NULL;
    int *pl_own = NULL;
    int64_t pn[3];
    int rc = rad_levels_padded(r, dmax, &pl, &pl_own, pn, e);
    if (rc) {
        free(n);
        free(sv);
        return rc;
    }
    int64_t delta[4096];
    tex_pad_deltas(off, no, pn, delta);
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++) {
            const int *row = pl + dmax + pn[0] * ((j + dmax) + pn[1] * (k + dmax));
            for (int64_t i = 0; i < nx; i++) {
                const int g = row[i];
                if (!g)
                    continue;
                /* branch-free: background and padding hold 0 */
                int64_t sum = 0;
                int cnt = 0;
                for (int a = 0; a < no; a++) {
                    const int w = row[i + delta[a]];
                    sum += w;
                    cnt += w > 0;
                }
                n[g] += 1;
                if (cnt)
                    sv[g] += fabs(g - (double)sum / cnt);
            }
        }
    free(pl_own);
    double nvp = 0, sum_s = 0, sum_ps = 0;
    int ngp = 0;
    for (int g = 1; g <= ng; g++)
        if (n[g] > 0) {
            nvp += n[g];
            sum_s += sv[g];
            ngp++;
        }
    double contrast = 0, absdiff = 0, complexity = 0, strength = 0;
    for (int a = 1; a <= ng; a++) {
        if (n[a] == 0)
            continue;
        const double pa = n[a] / nvp;
        sum_ps += pa * sv[a];
        for (int b = 1; b <= ng; b++) {
            if (n[b] == 0)
                continue;
            const double pb = n[b] / nvp, d = (double)(a - b);
            contrast += pa * pb * d * d;
            absdiff += fabs(a * pa - b * pb);
            complexity += fabs(d) * (pa * sv[a] + pb * sv[b]) / (pa + pb);
            strength += (pa + pb) * d * d;
        }
    }
    out[0] = sum_ps == 0 ? 1e6 : 1 / sum_ps;
    out[1] = ngp > 1 ? contrast * sum_s / nvp / ((double)ngp * (ngp - 1)) : 0;
    out[2] = absdiff != 0 ? sum_ps / absdiff : 0;
    out[3] = complexity / nvp;
    out[4] = sum_s != 0 ? strength / sum_s : 0;
    free(n);
    free(sv);
    return 0;
}
