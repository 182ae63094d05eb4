/* gldm.c - PyRadiomics' grey-level dependence matrix features (class gldm, FACTS.md section 13):
 * for every ROI voxel the number of ROI neighbours (full neighbour list for `distances`, in-plane
 * with force2D) whose level differs by at most gldm_a; dependence size j = that count + 1;
 * P(level, j) counts voxels. Covered by test/radiomics/test_features.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "radiomics/radiomics.h"
#include "radiomics/texture_common.h"

enum { NF = 14 };

int gldm_features(const struct rad_roi *r, const struct rad_settings *s, double *out, struct sarc_err *e)
{
    int off[4096][3];
    struct rad_roi big = *r; /* neighbours outside the box are background anyway */
    big.nx = big.ny = big.nz = 1 << 20;
    const int no = rad_offsets(&big, s, s->distances, s->ndist, 0, off, 4096);
    const int ng = r->ng;
    const int64_t nx = r->nx, ny = r->ny, nz = r->nz;
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
    const int G = tex_grey_index(r, gi, val);
    P = calloc((size_t)G * (size_t)J, sizeof *P);
    if (!P) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    {
        const int dmax = tex_max_distance(s);
        const int *pl = NULL;
        int *pl_own = NULL;
        int64_t pn[3];
        rc = rad_levels_padded(r, dmax, &pl, &pl_own, pn, e);
        if (rc)
            goto done;
        int64_t delta[4096];
        tex_pad_deltas(off, no, pn, delta);
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
        free(pl_own);
    }
    double nzv = tex_sum(P, (size_t)G * J);
    if (nzv == 0)
        nzv = 1;
    struct tex_size_sums q;
    tex_size_sums(P, G, J, val, nzv, &q);
    tex_gldm_features(&q, nzv, out);
done:
    free(gi);
    free(val);
    free(P);
    return rc;
}
