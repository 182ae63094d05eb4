/* glrlm.c - PyRadiomics' grey-level run-length matrix features (class glrlm, FACTS.md section
 * 11): per direction (13 in 3-D, always distance 1) the runs of equal level along every line of
 * the cropped box, broken by background voxels; a direction without any line holding two ROI
 * voxels is zeroed; optional weightingNorm (weight = the offset's length in mm); directions with
 * no runs dropped; features per direction and the NaN-skipping mean.
 * Covered by test/radiomics/test_features.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "radiomics/fmap_fast.h"
#include "radiomics/radiomics.h"
#include "radiomics/texture_common.h"

enum { NF = 16 };

/* Features of one run matrix P (G x L, run length of column c is c + 1); also used by the
 * voxel-based maps (radiomics/fmap_fast.c) with lt, a log2 table (tex_size_sums_lt). */
void glrlm_matrix_features(const double *P, int G, int L, const double *val, const double *lt, double *f)
{
    double nr = 0, np = 0;
    for (int g = 0; g < G; g++)
        for (int c = 0; c < L; c++) {
            nr += P[(size_t)g * L + c];
            np += P[(size_t)g * L + c] * (c + 1);
        }
    if (nr == 0) {
        for (int t = 0; t < NF; t++)
            f[t] = NAN;
        return;
    }
    struct tex_size_sums q;
    tex_size_sums_lt(P, G, L, val, nr, lt, &q);
    f[0] = q.se / nr;
    f[1] = q.le / nr;
    f[2] = q.gln / nr;
    f[3] = q.gln / (nr * nr);
    f[4] = q.sn / nr;
    f[5] = q.sn / (nr * nr);
    f[6] = nr / np;
    f[7] = q.glv;
    f[8] = q.sv;
    f[9] = q.ent;
    f[10] = q.lgl / nr;
    f[11] = q.hgl / nr;
    f[12] = q.sl / nr;
    f[13] = q.sh / nr;
    f[14] = q.ll / nr;
    f[15] = q.lh / nr;
}

int glrlm_features(const struct rad_roi *r, const struct rad_settings *s, double *out, struct sarc_err *e)
{
    static const int one[1] = {1};
    int off[13][3];
    const int na = rad_offsets(r, s, one, 1, 1, off, 13);
    const int ng = r->ng;
    const int64_t nx = r->nx, ny = r->ny, nz = r->nz;
    int64_t lmax = nx > ny ? nx : ny;
    if (nz > lmax)
        lmax = nz;
    int rc = 0;
    int *gi = malloc(((size_t)ng + 1) * sizeof *gi);
    double *val = malloc(((size_t)ng + 1) * sizeof *val);
    double *P = NULL, *fa = NULL;
    for (int t = 0; t < NF; t++)
        out[t] = NAN;
    if (!gi || !val) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    const int G = tex_grey_index(r, gi, val);
    if (na == 0)
        goto done;
    if (lmax > 65535) {
        rc = ERR(e, SARC_ERR_RANGE, "glrlm: the ROI box is %lld voxels long (at most 65535)", (long long)lmax);
        goto done;
    }
    const int L = (int)lmax;
    size_t gl, total;
    if (size_mul((size_t)G, (size_t)L, &gl) || size_mul(gl, (size_t)na, &total) || total > ((size_t)1 << 26)) {
        rc = ERR(e, SARC_ERR_RANGE, "glrlm: %d grey levels x %d run lengths is too large", G, L);
        goto done;
    }
    P = calloc(total, sizeof *P);
    fa = malloc((size_t)na * NF * sizeof *fa);
    if (!P || !fa) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* levels padded by one voxel of -1 (outside the box); 0 = background inside the box */
    int *pl = NULL;
    int64_t pn[3];
    rc = rad_pad_levels(r, 1, &pl, pn, e);
    if (rc)
        goto done;
    for (int64_t k = 0; k < pn[2]; k++)
        for (int64_t j = 0; j < pn[1]; j++)
            for (int64_t i = 0; i < pn[0]; i++)
                if (k == 0 || j == 0 || i == 0 || k == pn[2] - 1 || j == pn[1] - 1 || i == pn[0] - 1)
                    pl[i + pn[0] * (j + pn[1] * k)] = -1;
    /* integer counts: a load-add-store chain on one bin is shorter than in double. Most
     * voxels add 0 to the bin (g, 0), so consecutive voxels would chain through one memory
     * cell: NCOPY interleaved copies (voxel i adds to copy i % NCOPY), summed afterwards, break
     * that chain (mouse phantom case: 4.41 -> 4.31 ms; the branch-free run length and the run
     * count instead of a per-voxel flag took it from 5.65 ms) */
    const size_t ncopy = gl <= 65536 ? 4 : 1;
    uint32_t *cnt = calloc(gl * ncopy, sizeof *cnt);
    /* run lengths (at most max(nx, ny, nz) <= 65535, checked above) */
    uint16_t *run = calloc((size_t)pn[0] * (size_t)pn[1] * (size_t)pn[2], sizeof *run);
    if (!cnt || !run) {
        free(run);
        free(cnt);
        free(pl);
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    const size_t cmask = ncopy - 1;
    int64_t nroi = 0;
    for (int64_t t = 0; t < pn[0] * pn[1] * pn[2]; t++)
        nroi += pl[t] > 0;
    for (int a = 0; a < na; a++) {
        double *Pa = P + (size_t)a * gl;
        const int64_t d = off[a][2] + pn[0] * (off[a][1] + pn[1] * (int64_t)off[a][0]);
        int multi = 0;
        memset(cnt, 0, gl * ncopy * sizeof *cnt);
        /* Every kept offset has its first non-zero component positive, so v - d < v in the
         * padded array: one forward pass carries the length of the run ending at each voxel
         * (rl), and the run is counted at its last voxel (the successor along d differs).
         * Written without data-dependent branches: on noisy images "same level as the
         * neighbour" is a coin flip that a branch predictor keeps missing. Along x (d = 1)
         * the previous length stays in a register instead of a store-load round trip. */
        for (int64_t k = 1; k <= nz; k++)
            for (int64_t j = 1; j <= ny; j++) {
                const int64_t base = pn[0] * (j + pn[1] * k);
                const int *row = pl + base;
                uint16_t *rl = run + base;
                if (d == 1) {
                    int plen = 0;
                    for (int64_t i = 1; i <= nx; i++) {
                        const int lev = row[i];
                        if (lev <= 0) {
                            plen = 0;
                            continue;
                        }
                        const int same_prev = row[i - 1] == lev, next = row[i + 1];
                        const int len = same_prev * plen + 1;
                        plen = len;
                        const int end = next != lev;
                        cnt[((size_t)i & cmask) * gl + (size_t)gi[lev] * L + len - 1] += (uint32_t)end;
                    }
                    continue;
                }
                for (int64_t i = 1; i <= nx; i++) {
                    const int lev = row[i];
                    if (lev <= 0)
                        continue;
                    const int same_prev = row[i - d] == lev, next = row[i + d];
                    /* a multiply, not a select: the compiler turns the select into a branch */
                    const int len = same_prev * rl[i - d] + 1;
                    rl[i] = (uint16_t)len;
                    const int end = next != lev;
                    cnt[((size_t)i & cmask) * gl + (size_t)gi[lev] * L + len - 1] += (uint32_t)end;
                }
            }
        int64_t nruns = 0;
        for (size_t c = 1; c < ncopy; c++)
            for (size_t t = 0; t < gl; t++)
                cnt[t] += cnt[c * gl + t];
        for (size_t t = 0; t < gl; t++)
            nruns += cnt[t];
        /* fewer runs than ROI voxels: some run is longer than 1, two ROI voxels share a line */
        multi = nruns < nroi;
        for (size_t t = 0; t < gl; t++)
            Pa[t] = cnt[t];
        if (!multi) {
            /* every run has length 1: look for two ROI voxels on one line, adjacent or
             * separated by background (PyRadiomics keeps such a direction) */
            for (int64_t k = 1; k <= nz && !multi; k++)
                for (int64_t j = 1; j <= ny && !multi; j++)
                    for (int64_t i = 1; i <= nx && !multi; i++) {
                        const int64_t v = i + pn[0] * (j + pn[1] * k);
                        if (pl[v] <= 0)
                            continue;
                        for (int64_t u = v + d; pl[u] != -1; u += d)
                            if (pl[u] > 0) {
                                multi = 1;
                                break;
                            }
                    }
        }
        if (!multi)
            memset(Pa, 0, gl * sizeof *Pa);
    }
    free(pl);
    free(cnt);
    free(run);
    int nd = na;
    if (s->weighting != RW_NONE) {
        double *sum = calloc(gl, sizeof *sum);
        if (!sum) {
            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (int a = 0; a < na; a++) {
            double d[3];
            tex_offset_mm(off[a], r, d);
            double w = 1;
            if (s->weighting == RW_INFINITY)
                w = d[0] > d[1] ? (d[0] > d[2] ? d[0] : d[2]) : (d[1] > d[2] ? d[1] : d[2]);
            else if (s->weighting == RW_EUCLIDEAN)
                w = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            else if (s->weighting == RW_MANHATTAN)
                w = d[0] + d[1] + d[2];
            for (size_t t = 0; t < gl; t++)
                sum[t] += P[(size_t)a * gl + t] * w;
        }
        memcpy(P, sum, gl * sizeof *P);
        free(sum);
        nd = 1;
    }
    int kept = 0;
    for (int a = 0; a < nd; a++) {
        const double tot = tex_sum(P + (size_t)a * gl, gl);
        if (tot == 0 && nd > 1)
            continue;
        glrlm_matrix_features(P + (size_t)a * gl, G, L, val, NULL, fa + (size_t)kept * NF);
        kept++;
    }
    tex_direction_mean(fa, kept, NF, out);
done:
    free(gi);
    free(val);
    free(P);
    free(fa);
    return rc;
}
