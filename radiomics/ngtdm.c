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
    double *val = malloc(((size_t)ng + 1) * sizeof *val);
    if (!n || !sv || !val) {
        free(n);
        free(sv);
        free(val);
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
        free(val);
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
    /* the present levels, ascending, packed to the front (G < g: in place) */
    int G = 0;
    for (int g = 1; g <= ng; g++)
        if (n[g] > 0) {
            n[G] = n[g];
            sv[G] = sv[g];
            val[G] = g;
            G++;
        }
    tex_ngtdm_features(n, sv, val, G, out);
    free(n);
    free(sv);
    free(val);
    return 0;
}
