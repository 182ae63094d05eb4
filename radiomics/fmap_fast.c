/* fmap_fast.c - fast per-voxel kernels of the voxel-based maps (PyRadiomics' voxelBased mode,
 * FACTS.md sections 9-14), used by radiomics/featuremap.c: first order, GLCM, GLRLM, GLSZM,
 * GLDM and NGTDM of one kernel box, with everything that depends only on the box (GLCM pairs,
 * run steps, neighbour lists, log2 / sqrt tables) built once per map and no allocation per voxel.
 *
 * The per-class functions (firstorder.c, glcm.c, ...) stay the reference:
 *  - first order, NGTDM: their arithmetic in their order (the kernel box with positions outside
 *    the grid as background is the clipped box they see), bit-identical;
 *  - GLRLM, GLSZM, GLDM: their sums within a few ulp: the entropies take log2(c) - log2(N) from
 *    the table for log2(c / N + eps) of integer counts (about 1e-16 relative), divisions by N,
 *    i^2 and j^2 are products with reciprocals (plan tables), and the four emphasis sums of
 *    size_sums_int factor per grey level (sum_j n / j^2 and sum_j n j^2 per row, then / i^2 or
 *    * i^2: no division per cell). GLRLM walks the box's lines along each offset (built once
 *    per map) with the run length in a register; GLRLM and GLDM keep integer counts that
 *    size_sums_int reads in one pass (zero cells skipped);
 *  - GLCM: one pass over the direction's box pairs (built once per map) fills the counts (the
 *    upper triangle only when symmetric; glcm_mirror completes it for the rare paths that read
 *    the whole matrix) and the list of non-zero cells (at most one per pair, never G x G
 *    work); symmetric: the means, HX and sxx from the row sums, the cluster sums from the
 *    sum distribution, contrast per cell, all in one pass over the cells; sums over those
 *    cells in the order the pairs reached them (glcm.c: every cell, row-major; zero cells add
 *    nothing, the order changes rounding only), p = c * (1 / T) (within 1 ulp of c / T);
 *    entropies from a table of log2 of the integer
 *    counts, log2(c / T) = log2(c) - log2(T) (glcm.c: log2(c / T + eps), a difference of about
 *    eps / p); HXY1 = HXY2 = HX + HY exactly, so IMC1 = -I / max(HX, HY) and
 *    IMC2 = sqrt(1 - exp(-2 I)) with the mutual information I = sum p log2(p / (px py)) summed
 *    directly (no cancellation of two entropies); an exactly independent matrix (c T = r_i r_j
 *    for every cell) takes glcm.c's formulas (IMC2 = 0 as PyRadiomics) and MCC 0.
 *    MCC of a symmetric GLCM: S = M M with M_ab = c_ab / sqrt(r_a r_b), whose largest eigenvalue
 *    1 (eigenvector sqrt(r / T)) is deflated by a Householder reflection; MCC = the spectral
 *    radius of the remaining (n - 1) block: closed forms up to 3 x 3, beyond that Householder
 *    tridiagonalisation + Laguerre's method with a Sturm-count safeguard. Asymmetric GLCMs use
 *    glcm.c's S and rad_eig_sym.
 * Against the per-class path: every map value within 1e-13 relative except MCC (about 3e-9
 * where two eigenvalues nearly coincide) and cluster shade (about 1e-11, a sum with
 * cancellation). Speed (test/bench/radiomics.c, kernelRadius 1, 1797 voxels, one thread, same
 * machine state): first order + GLCM 27 ms -> 10 ms (previous session) -> 8.6 ms; all six
 * classes 17.4 ms -> 15.3 ms (sparse GLCM cells with branch-free appends, GLRLM lines, integer
 * GLRLM / GLDM counts) -> 13.4 ms (size_sums_int factored per row, reciprocals for the
 * divisions of GLRLM / GLSZM features; featuremap.c skips the second fill of maps whose
 * initValue is +0: with 2 threads 7.6 -> 7.0 ms). Where the 13.4 ms go (perf, one thread):
 * GLCM 47 % (its sums 25 %, MCC 22 %: n = 3, 4, 5 levels in 23 %, 46 %, 25 % of the 23 k
 * direction matrices), GLRLM 22 %, GLSZM 9 %, first order 5 %, GLDM 5 %, NGTDM 3 %, per-voxel
 * set-up 5 %. Then (fmap4, A/B alternating runs, medians, one thread): no second pass over the
 * symmetric GLCM's cells (cluster sums from the sum distribution, sxx and the means from the row
 * sums, one loop over the levels for HX / present rows / means) and its upper triangle only:
 * first order + GLCM 8.1 -> 7.7 ms, all six classes 14.6 -> 14.0 ms (2 threads 7.2 -> 6.7 ms).
 * Tried and slower or no better: mcc_sym specialised (unrolled) for n = 2..5, a Frobenius-norm
 * start for Laguerre and bound for the smallest eigenvalue, contrast and the mean from the
 * difference / row distributions instead of per cell, 1 / i^2 from a table in size_sums_int,
 * -O3 (slower), one cos in eig3_radius via sin = sqrt(1 - cos^2) (no faster and it loses
 * accuracy near phi = 0: not kept); only 1 % of the direction matrices of a voxel repeat an
 * earlier direction's (no cache). Earlier: a union-find GLSZM, a dense branch-free
 * size_sums_int, no rescaling in tri_top's recurrence for small m, products with 1 / pp in
 * eig3_radius, chunks of 8 or 32 voxels instead of 16 (2 threads: the worker and the caller
 * get within 2 % of equal work; the rest of the 2-thread time is the serial set-up and the
 * wake-up). What is left is spread thin: per direction about 300 ns of GLCM sums and MCC.
 * fmap_glcm records which offsets had pairs (w->dne) for featuremap.c's JointAverage rule of
 * PyRadiomics' voxel mode; a one-level kernel's MCC is 0 when the ROI has several levels
 * (pl->roi_levels), as glcm.c with rad_roi.voxel_levels.
 * Covered by test/radiomics/test_featuremap.c (against the per-class path on every voxel of
 * random phantoms under several settings, and PyRadiomics goldens). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "radiomics/fmap_fast.h"
#include "radiomics/texture_common.h"

enum { NF = 24 };

int fmap_plan_init(struct fmap_plan *pl, const struct rad_settings *s, int ng, struct sarc_err *e)
{
    memset(pl, 0, sizeof *pl);
    const int R = s->kernel_radius;
    for (int a = 0; a < 3; a++)
        pl->bn[a] = 2 * R + 1;
    if (s->force2d)
        pl->bn[2 - s->force2d_dim] = 1; /* array axis 0 = z */
    pl->B = pl->bn[0] * pl->bn[1] * pl->bn[2];
    pl->ng = ng;
    pl->gmax = pl->B < ng ? pl->B : ng;
    pl->sym = s->symmetrical_glcm;
    pl->want_mcc = !s->classes_given || (s->enabled[RC_GLCM] >> 15 & 1);
    /* the fast GLCM needs integer counts (no direction weighting) and a matrix of moderate size */
    pl->glcm_fast = s->weighting == RW_NONE && (int64_t)pl->gmax * pl->gmax <= (1 << 22);
    struct rad_roi box;
    memset(&box, 0, sizeof box);
    box.nx = pl->bn[0];
    box.ny = pl->bn[1];
    box.nz = pl->bn[2];
    pl->na = rad_offsets(&box, s, s->distances, s->ndist, 1, pl->off, FMAP_MAX_OFF);
    pl->pstart = malloc(((size_t)pl->na + 1) * sizeof *pl->pstart);
    size_t np2 = (size_t)pl->na * (size_t)pl->B * 2;
    pl->pair = malloc((np2 ? np2 : 1) * sizeof *pl->pair);
    /* a symmetrised cell or total holds at most 2 * B pairs per direction */
    pl->maxcount = 2 * pl->B + 2;
    pl->ltab = malloc(((size_t)pl->maxcount + 1) * sizeof *pl->ltab);
    pl->kw = malloc(((size_t)ng + 1) * 5 * sizeof *pl->kw);
    pl->sqtab = malloc(((size_t)pl->maxcount + 1) * sizeof *pl->sqtab);
    pl->isqtab = malloc(((size_t)pl->maxcount + 1) * sizeof *pl->isqtab);
    pl->j2tab = malloc(((size_t)pl->maxcount + 1) * sizeof *pl->j2tab);
    pl->ij2tab = malloc(((size_t)pl->maxcount + 1) * sizeof *pl->ij2tab);
    pl->il2tab = malloc(((size_t)ng + 1) * sizeof *pl->il2tab);
    if (!pl->il2tab || !pl->pstart || !pl->pair || !pl->ltab || !pl->kw || !pl->sqtab || !pl->isqtab || !pl->j2tab || !pl->ij2tab) {
        fmap_plan_free(pl);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    pl->ltab[0] = 0;
    pl->sqtab[0] = pl->isqtab[0] = 0;
    for (int c = 1; c <= pl->maxcount; c++) {
        pl->ltab[c] = log2((double)c);
        pl->sqtab[c] = sqrt((double)c);
        pl->isqtab[c] = 1 / pl->sqtab[c];
    }
    for (int c = 0; c <= pl->maxcount; c++) {
        const double j = c + 1;
        pl->j2tab[c] = j * j;
        pl->ij2tab[c] = 1 / (j * j);
    }
    pl->il2tab[0] = 0;
    for (int l = 1; l <= ng; l++)
        pl->il2tab[l] = 1 / ((double)l * l);
    /* weights of the difference features by k = |i - j| (0 .. ng - 1), as glcm.c divides */
    const double Ng = ng;
    for (int k = 0; k <= ng; k++) {
        double *kw = pl->kw + 5 * k;
        kw[0] = 1 / (1.0 + (double)k * k);
        kw[1] = 1 / (1.0 + ((double)k * k) / (Ng * Ng));
        kw[2] = 1 / (1.0 + k);
        kw[3] = 1 / (1.0 + k / Ng);
        kw[4] = k >= 1 ? 1 / ((double)k * k) : 0;
    }
    int np = 0;
    const int bx = pl->bn[0], by = pl->bn[1], bz = pl->bn[2];
    for (int a = 0; a < pl->na; a++) {
        pl->pstart[a] = np;
        const int dk = pl->off[a][0], dj = pl->off[a][1], di = pl->off[a][2];
        for (int k = 0; k < bz; k++)
            for (int j = 0; j < by; j++)
                for (int i = 0; i < bx; i++) {
                    const int i2 = i + di, j2 = j + dj, k2 = k + dk;
                    if (i2 < 0 || i2 >= bx || j2 < 0 || j2 >= by || k2 < 0 || k2 >= bz)
                        continue;
                    pl->pair[2 * np] = i + bx * (j + by * k);
                    pl->pair[2 * np + 1] = i2 + bx * (j2 + by * k2);
                    np++;
                }
    }
    pl->pstart[pl->na] = np;
    /* full neighbour lists (GLDM, NGTDM: every offset of the distances, as gldm.c / ngtdm.c
     * take them on an unbounded box) restricted to the kernel box: outside it there is only
     * background, which adds nothing */
    struct rad_roi big = box;
    big.nx = big.ny = big.nz = 1 << 20;
    int (*noff)[3] = malloc(4096 * sizeof *noff);
    pl->nb_start = malloc(((size_t)pl->B + 1) * sizeof *pl->nb_start);
    if (!noff || !pl->nb_start) {
        free(noff);
        fmap_plan_free(pl);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    pl->no = rad_offsets(&big, s, s->distances, s->ndist, 0, noff, 4096);
    pl->nb = malloc(((size_t)pl->B * (size_t)pl->no + 1) * sizeof *pl->nb);
    if (!pl->nb) {
        free(noff);
        fmap_plan_free(pl);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    int nn = 0;
    for (int k = 0; k < bz; k++)
        for (int j = 0; j < by; j++)
            for (int i = 0; i < bx; i++) {
                pl->nb_start[i + bx * (j + by * k)] = nn;
                for (int a = 0; a < pl->no; a++) {
                    const int i2 = i + noff[a][2], j2 = j + noff[a][1], k2 = k + noff[a][0];
                    if (i2 < 0 || i2 >= bx || j2 < 0 || j2 >= by || k2 < 0 || k2 >= bz)
                        continue;
                    pl->nb[nn++] = i2 + bx * (j2 + by * k2);
                }
            }
    pl->nb_start[pl->B] = nn;
    /* GLSZM: 26- (8- with force2D) connectivity, whatever the distances */
    static const int one[1] = {1};
    struct rad_roi b3 = box;
    b3.nx = b3.ny = b3.nz = 3;
    pl->nz1 = rad_offsets(&b3, s, one, 1, 0, noff, 26);
    /* GLRLM: distance 1, one of each +/- pair, on the full box */
    pl->nr = rad_offsets(&box, s, one, 1, 1, pl->roff, 13);
    pl->L = bx > by ? bx : by;
    if (bz > pl->L)
        pl->L = bz;
    pl->zb_start = malloc(((size_t)pl->B + 1) * sizeof *pl->zb_start);
    pl->zb = malloc(((size_t)pl->B * (size_t)pl->nz1 + 1) * sizeof *pl->zb);
    pl->rprev = malloc(((size_t)pl->nr * (size_t)pl->B + 1) * sizeof *pl->rprev);
    pl->rnext = malloc(((size_t)pl->nr * (size_t)pl->B + 1) * sizeof *pl->rnext);
    if (!pl->zb_start || !pl->zb || !pl->rprev || !pl->rnext) {
        free(noff);
        fmap_plan_free(pl);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    nn = 0;
    for (int k = 0; k < bz; k++)
        for (int j = 0; j < by; j++)
            for (int i = 0; i < bx; i++) {
                const int p = i + bx * (j + by * k);
                pl->zb_start[p] = nn;
                for (int a = 0; a < pl->nz1; a++) {
                    const int i2 = i + noff[a][2], j2 = j + noff[a][1], k2 = k + noff[a][0];
                    if (i2 >= 0 && i2 < bx && j2 >= 0 && j2 < by && k2 >= 0 && k2 < bz)
                        pl->zb[nn++] = i2 + bx * (j2 + by * k2);
                }
                for (int a = 0; a < pl->nr; a++) {
                    const int *o = pl->roff[a];
                    const int ip = i - o[2], jp = j - o[1], kp = k - o[0];
                    const int in2 = i + o[2], jn = j + o[1], kn = k + o[0];
                    pl->rprev[(size_t)a * pl->B + p] =
                        ip >= 0 && ip < bx && jp >= 0 && jp < by && kp >= 0 && kp < bz ? ip + bx * (jp + by * kp) : -1;
                    pl->rnext[(size_t)a * pl->B + p] =
                        in2 >= 0 && in2 < bx && jn >= 0 && jn < by && kn >= 0 && kn < bz ? in2 + bx * (jn + by * kn) : -1;
                }
            }
    pl->zb_start[pl->B] = nn;
    free(noff);
    /* GLRLM lines: from every position without a predecessor, the chain of successors */
    const size_t lstride = (size_t)pl->B + 1;
    pl->lpos = malloc((size_t)pl->nr * lstride * sizeof *pl->lpos);
    pl->lflag = malloc((size_t)pl->nr * lstride + 1);
    if (!pl->lpos || !pl->lflag) {
        fmap_plan_free(pl);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    for (int a = 0; a < pl->nr; a++) {
        int *lp = pl->lpos + (size_t)a * lstride;
        uint8_t *lf = pl->lflag + (size_t)a * lstride;
        const int *prv = pl->rprev + (size_t)a * pl->B, *nxt = pl->rnext + (size_t)a * pl->B;
        int t = 0;
        for (int p = 0; p < pl->B; p++) {
            if (prv[p] >= 0)
                continue;
            for (int u = p; u >= 0; u = nxt[u]) {
                lp[t] = u;
                lf[t] = (uint8_t)((u == p) | (nxt[u] < 0) << 1);
                t++;
            }
        }
        lp[pl->B] = lp[pl->B - 1]; /* spare: read as "the next position" after the last one */
        lf[pl->B] = 3;
    }
    return 0;
}

void fmap_plan_free(struct fmap_plan *pl)
{
    free(pl->pstart);
    free(pl->pair);
    free(pl->ltab);
    free(pl->kw);
    free(pl->sqtab);
    free(pl->isqtab);
    free(pl->j2tab);
    free(pl->ij2tab);
    free(pl->il2tab);
    free(pl->nb_start);
    free(pl->nb);
    free(pl->zb_start);
    free(pl->zb);
    free(pl->rprev);
    free(pl->rnext);
    free(pl->lpos);
    free(pl->lflag);
    memset(pl, 0, sizeof *pl);
}

int fmap_scratch_init(struct fmap_scratch *w, const struct fmap_plan *pl)
{
    memset(w, 0, sizeof *w);
    const size_t G = pl->gmax > 0 ? (size_t)pl->gmax : 1, ng = (size_t)pl->ng;
    const size_t GG = pl->glcm_fast ? G * G : 1;
    w->gi = malloc((ng + 1) * sizeof *w->gi);
    w->loc = malloc((size_t)pl->B * sizeof *w->loc);
    w->val = malloc(G * sizeof *w->val);
    w->C = calloc(GG, sizeof *w->C);
    w->ckey = malloc(((size_t)pl->B + 1) * sizeof *w->ckey);
    w->rr = malloc(G * sizeof *w->rr);
    w->rc = malloc(G * sizeof *w->rc);
    w->sumc = calloc(2 * ng + 2, sizeof *w->sumc);
    w->difc = calloc(ng + 2, sizeof *w->difc);
    w->sumk = malloc((2 * ng + 2) * sizeof *w->sumk);
    w->difk = malloc((ng + 2) * sizeof *w->difk);
    w->S = malloc(GG * sizeof *w->S);
    w->eigw = malloc(G * sizeof *w->eigw);
    w->id2 = malloc(G * sizeof *w->id2);
    w->fa = malloc(((size_t)(pl->na > pl->nr ? pl->na : pl->nr) + 1) * NF * sizeof *w->fa);
    w->v = malloc((size_t)pl->B * sizeof *w->v);
    /* the pair loop writes a cell's (i, j) before knowing whether it is new: B + 1 spare */
    w->cell_i = malloc((GG + (size_t)pl->B + 1) * sizeof *w->cell_i);
    w->cell_j = malloc((GG + (size_t)pl->B + 1) * sizeof *w->cell_j);
    w->cell_v = malloc(GG * sizeof *w->cell_v);
    w->S2 = malloc(GG * sizeof *w->S2);
    w->dcnt = calloc(G * ((size_t)pl->no + 1), sizeof *w->dcnt);
    w->dsum = malloc((G + (size_t)pl->no + 1) * sizeof *w->dsum);
    w->nn = malloc(G * sizeof *w->nn);
    w->sv = malloc(G * sizeof *w->sv);
    w->rsum = malloc((G + 1 + (size_t)(pl->L > 0 ? pl->L : 1)) * sizeof *w->rsum);
    w->rcnt = calloc((G + 1) * (size_t)(pl->L > 0 ? pl->L : 1), sizeof *w->rcnt);
    w->rl = malloc((size_t)pl->B * sizeof *w->rl);
    w->stack = malloc((size_t)pl->B * sizeof *w->stack);
    w->zg = malloc((size_t)pl->B * sizeof *w->zg);
    w->zs = malloc((size_t)pl->B * sizeof *w->zs);
    w->vis = malloc((size_t)pl->B * sizeof *w->vis);
    w->pg = malloc((G + 1) * sizeof *w->pg);
    w->ps = malloc(((size_t)pl->B + 1) * sizeof *w->ps);
    w->dne = calloc((size_t)pl->na + 1, 1);
    if (!w->dne || !w->ckey || !w->cell_i || !w->cell_j || !w->cell_v || !w->S2 || !w->dcnt || !w->dsum || !w->nn || !w->sv || !w->rsum || !w->rcnt ||
        !w->rl || !w->stack || !w->zg || !w->zs || !w->vis || !w->pg || !w->ps ||
        !w->gi || !w->loc || !w->val || !w->C || !w->rr || !w->rc || !w->sumc || !w->difc || !w->sumk ||
        !w->difk || !w->S || !w->eigw || !w->id2 || !w->fa || !w->v) {
        fmap_scratch_free(w);
        return -1;
    }
    for (size_t g = 0; g <= ng; g++)
        w->gi[g] = -1;
    return 0;
}

void fmap_scratch_free(struct fmap_scratch *w)
{
    free(w->dne);
    free(w->gi);
    free(w->loc);
    free(w->val);
    free(w->C);
    free(w->ckey);
    free(w->rr);
    free(w->rc);
    free(w->sumc);
    free(w->difc);
    free(w->sumk);
    free(w->difk);
    free(w->S);
    free(w->eigw);
    free(w->id2);
    free(w->fa);
    free(w->v);
    free(w->cell_i);
    free(w->cell_j);
    free(w->cell_v);
    free(w->S2);
    free(w->dcnt);
    free(w->dsum);
    free(w->nn);
    free(w->sv);
    free(w->rsum);
    free(w->rcnt);
    free(w->rl);
    free(w->stack);
    free(w->zg);
    free(w->zs);
    free(w->vis);
    free(w->pg);
    free(w->ps);
    memset(w, 0, sizeof *w);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Distinct levels of the kernel, ascending, into w->val / w->gi (local index); w->loc per box
 * position. Returns G. fmap_kernel_end resets w->gi. */
static int fmap_levels(const struct fmap_plan *pl, struct fmap_scratch *w, const int *lev)
{
    int G = 0;
    for (int p = 0; p < pl->B; p++) {
        const int l = lev[p];
        if (l > 0 && w->gi[l] < 0) {
            w->gi[l] = 0;
            /* insertion into the ascending list */
            int q = G++;
            while (q > 0 && w->val[q - 1] > l) {
                w->val[q] = w->val[q - 1];
                q--;
            }
            w->val[q] = l;
        }
    }
    for (int g = 0; g < G; g++)
        w->gi[(int)w->val[g]] = g;
    for (int p = 0; p < pl->B; p++)
        w->loc[p] = lev[p] > 0 ? w->gi[lev[p]] : -1;
    return G;
}

void fmap_kernel_begin(const struct fmap_plan *pl, struct fmap_scratch *w, const int *lev)
{
    w->G = fmap_levels(pl, w, lev);
}

void fmap_kernel_end(struct fmap_scratch *w)
{
    for (int g = 0; g < w->G; g++)
        w->gi[(int)w->val[g]] = -1;
    w->G = 0;
}

int fmap_firstorder(const struct fmap_plan *pl, struct fmap_scratch *w, const int *lev, const double *x,
                    const struct rad_settings *s, const double sp[3], double *out)
{
    const int G = w->G; /* fmap_kernel_begin */
    int *hist = w->rr; /* per local level */
    for (int g = 0; g < G; g++)
        hist[g] = 0;
    double *v = w->v;
    const double c = s->voxel_array_shift;
    double energy = 0, sum = 0;
    int64_t np = 0;
    for (int p = 0; p < pl->B; p++)
        if (lev[p] > 0) {
            v[np++] = x[p];
            energy += (x[p] + c) * (x[p] + c);
            sum += x[p];
            hist[w->loc[p]]++;
        }
    if (np < 1) {
        for (int t = 0; t < 18; t++)
            out[t] = NAN;
        return 0;
    }
    const double mean = sum / (double)np;
    double mom[4];
    firstorder_moments(v, np, mean, mom);
    if (np < 64) {
        for (int64_t i = 1; i < np; i++) {
            const double t = v[i];
            int64_t j = i - 1;
            while (j >= 0 && v[j] > t) {
                v[j + 1] = v[j];
                j--;
            }
            v[j + 1] = t;
        }
    } else {
        qsort(v, (size_t)np, sizeof *v, cmp_double);
    }
    double entropy = 0, uniformity = 0;
    for (int g = 0; g < G; g++) {
        const double p = (double)hist[g] / (double)np;
        entropy -= p * log2(p + TEX_EPS);
        uniformity += p * p;
    }
    out[0] = energy;
    out[1] = energy * sp[0] * sp[1] * sp[2];
    out[2] = entropy;
    firstorder_sorted(v, np, mean, mom, energy, s->ibsi, out);
    out[17] = uniformity;
    return 0;
}

/* glcm.c's entropies for an exactly independent matrix (rare): HXY, HXY1, HXY2, HX, HY with
 * log2(p + eps) over every cell, as glcm_one evaluates them. */
static void glcm_entropies_ref(const int *C, int G, double Td, double *hxy, double *hxy1, double *hxy2,
                               double *hx, double *hy, double *px, double *py)
{
    for (int i = 0; i < G; i++)
        px[i] = py[i] = 0;
    double h = 0;
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++) {
            const double v = C[i * G + j] / Td;
            px[i] += v;
            py[j] += v;
            h -= v * log2(v + TEX_EPS);
        }
    double h1 = 0, h2 = 0;
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++) {
            const double v = C[i * G + j] / Td, q = px[i] * py[j];
            h1 -= v * log2(q + TEX_EPS);
            h2 -= q * log2(q + TEX_EPS);
        }
    double a = 0, b = 0;
    for (int i = 0; i < G; i++) {
        a -= px[i] * log2(px[i] + TEX_EPS);
        b -= py[i] * log2(py[i] + TEX_EPS);
    }
    *hxy = h;
    *hxy1 = h1;
    *hxy2 = h2;
    *hx = a;
    *hy = b;
}

/* Spectral radius (largest |eigenvalue|) of the symmetric 3 x 3 matrix b (row-major): the
 * trigonometric solution of the characteristic cubic (Smith 1961) gives all three. */
static double eig3_radius(const double *b)
{
    const double p1 = b[1] * b[1] + b[2] * b[2] + b[5] * b[5];
    const double q = (b[0] + b[4] + b[8]) / 3;
    const double p2 = (b[0] - q) * (b[0] - q) + (b[4] - q) * (b[4] - q) + (b[8] - q) * (b[8] - q) + 2 * p1;
    if (p2 == 0)
        return fabs(q);
    const double pp = sqrt(p2 / 6);
    const double m0 = (b[0] - q) / pp, m4 = (b[4] - q) / pp, m8 = (b[8] - q) / pp;
    const double m1 = b[1] / pp, m2 = b[2] / pp, m5 = b[5] / pp;
    double r = (m0 * (m4 * m8 - m5 * m5) - m1 * (m1 * m8 - m5 * m2) + m2 * (m1 * m5 - m4 * m2)) / 2;
    r = r < -1 ? -1 : r > 1 ? 1 : r;
    const double phi = acos(r) / 3;
    const double top = q + 2 * pp * cos(phi), bottom = q + 2 * pp * cos(phi + 2.0943951023931957);
    return fabs(top) > fabs(bottom) ? fabs(top) : fabs(bottom);
}

/* 1 when x is above every eigenvalue of the symmetric tridiagonal (diagonal d, squared
 * off-diagonal e2): every pivot of the LDL^T factorisation of T - x I is negative (Sturm). */
static int tri_above(const double *d, const double *e2, int m, double x)
{
    double q = d[0] - x;
    if (!(q < 0))
        return 0;
    for (int k = 1; k < m; k++) {
        q = (d[k] - x) - e2[k - 1] / q;
        if (!(q < 0))
            return 0;
    }
    return 1;
}

/* Largest eigenvalue of the symmetric tridiagonal (d, e2 = squared off-diagonal, ea = its
 * absolute values), m >= 2, at most `bound` when tri_above(bound) (the MCC blocks have their
 * eigenvalues in [-1, 1]), else at most the Gershgorin bound: Laguerre's method on the
 * characteristic polynomial (three-term recurrences for p, p', p''), which for a polynomial with
 * real roots converges monotonically from above to the largest root (cubically when simple).
 * Where rounding near a (nearly) double root sends a step below it (one Sturm count at the end),
 * bisection finishes. */
static double tri_top(const double *d, const double *e2, const double *ea, int m, double bound)
{
    double x = -INFINITY;
    for (int i = 0; i < m; i++) {
        const double r = d[i] + (i + 1 < m ? ea[i] : 0) + (i > 0 ? ea[i - 1] : 0);
        if (r > x)
            x = r;
    }
    if (bound < x && tri_above(d, e2, m, bound))
        x = bound;
    const double x0 = x, mm = m;
    double prev = INFINITY;
    for (int it = 0; it < 100; it++) {
        /* p_k(x), p_k'(x), p_k''(x), rescaled together (only ratios matter) */
        double p0 = 1, p1 = d[0] - x, dp0 = 0, dp1 = -1, qq0 = 0, qq1 = 0;
        for (int k = 1; k < m; k++) {
            const double t = d[k] - x, ee = e2[k - 1];
            const double p2 = t * p1 - ee * p0;
            const double dp2 = -p1 + t * dp1 - ee * dp0;
            const double qq2 = -2 * dp1 + t * qq1 - ee * qq0;
            p0 = p1;
            p1 = p2;
            dp0 = dp1;
            dp1 = dp2;
            qq0 = qq1;
            qq1 = qq2;
            const double mag = fabs(p1) + fabs(dp1) + fabs(qq1);
            if (mag > 1e150 || (mag < 1e-150 && mag > 0)) {
                const double sc = 1 / mag;
                p0 *= sc;
                p1 *= sc;
                dp0 *= sc;
                dp1 *= sc;
                qq0 *= sc;
                qq1 *= sc;
            }
        }
        if (p1 == 0)
            break;
        const double g = dp1 / p1, h = g * g - qq1 / p1;
        double rad = (mm - 1) * (mm * h - g * g);
        rad = rad > 0 ? sqrt(rad) : 0;
        const double den = g + rad; /* g > 0 above the largest root */
        if (!(den > 0))
            break;
        const double xn = x - mm / den;
        if (!(xn < x))
            break; /* converged: no further decrease in floating point */
        const double step = x - xn;
        x = xn;
        /* cubic convergence: once a step is small and far smaller than the one before, the
         * error left after it is about its cube */
        if (step <= 1e-13 * fabs(x) || (step <= 1e-5 * fabs(x) && step <= 1e-2 * prev))
            break;
        prev = step;
    }
    /* Sturm check once: x is above the largest eigenvalue or within 1e-12 of it; otherwise
     * rounding near a (nearly) double root sent a step below it, and bisection between x and
     * the start (above) finishes */
    const double tol = 1e-12 * (fabs(x) > 1e-3 ? fabs(x) : 1e-3);
    if (tri_above(d, e2, m, x + tol))
        return x;
    double lo = x, hi = x0;
    for (int b = 0; b < 200 && hi - lo > 1e-15 * fabs(hi); b++) {
        const double mid = 0.5 * (lo + hi);
        if (tri_above(d, e2, m, mid))
            hi = mid;
        else
            lo = mid;
    }
    return 0.5 * (lo + hi);
}

/* Spectral radius of the symmetric m x m matrix b (row-major, destroyed; 4 <= m <= 63) whose
 * eigenvalues lie in [-1, 1] (up to rounding): Householder reduction to tridiagonal form, then
 * the largest eigenvalue of T and of -T. */
static double eig_radius_newton(double *b, int m)
{
#define BB(i, j) b[(i) * m + (j)]
    double v[64], pv[64], q[64];
    for (int k = 0; k < m - 2; k++) {
        double nx = 0;
        for (int i = k + 1; i < m; i++)
            nx += BB(i, k) * BB(i, k);
        nx = sqrt(nx);
        if (nx == 0)
            continue;
        const double alpha = BB(k + 1, k) > 0 ? -nx : nx;
        double vn = 0;
        for (int i = k + 1; i < m; i++) {
            v[i] = BB(i, k);
            if (i == k + 1)
                v[i] -= alpha;
            vn += v[i] * v[i];
        }
        if (vn == 0)
            continue;
        /* A <- H A H on rows/columns k+1.., H = I - 2 v v^T / vn */
        double K = 0;
        for (int i = k + 1; i < m; i++) {
            double acc = 0;
            for (int j = k + 1; j < m; j++)
                acc += BB(i, j) * v[j];
            pv[i] = 2 * acc / vn;
            K += v[i] * pv[i];
        }
        K /= vn;
        for (int i = k + 1; i < m; i++)
            q[i] = pv[i] - K * v[i];
        for (int i = k + 1; i < m; i++)
            for (int j = k + 1; j < m; j++)
                BB(i, j) -= v[i] * q[j] + q[i] * v[j];
        BB(k + 1, k) = BB(k, k + 1) = alpha;
        for (int i = k + 2; i < m; i++)
            BB(i, k) = BB(k, i) = 0;
    }
    double d[64], nd[64], e2[64], ea[64];
    for (int i = 0; i < m; i++) {
        d[i] = BB(i, i);
        nd[i] = -d[i];
        ea[i] = i + 1 < m ? fabs(BB(i + 1, i)) : 0;
        e2[i] = ea[i] * ea[i];
    }
#undef BB
    const double top = tri_top(d, e2, ea, m, 1 + 1e-9);
    /* the smallest eigenvalue matters only below -top: every pivot of T + top I positive (all
     * eigenvalues above -top, Sturm on -T) settles it without a second solve */
    if (top > 0 && tri_above(nd, e2, m, top))
        return top;
    const double bottom = -tri_top(nd, e2, ea, m, 1 + 1e-9);
    return fabs(top) > fabs(bottom) ? fabs(top) : fabs(bottom);
}

/* MCC of a symmetric GLCM (counts C, G x G, its upper triangle read; row sums rr, rows
 * id2[0..n) with rr > 0, total Td,
 * 2 <= n <= 64; Mx, bb: n^2 scratch): S = M M with the symmetric M_ab = c_ab / sqrt(r_a r_b), so the eigenvalues of S are
 * the squares of M's and sqrt(second largest of S) = the spectral radius of M once its largest
 * eigenvalue 1 (unit eigenvector u = sqrt(r / T)) is removed. A Householder reflection H with
 * H u = -e1 leaves the other eigenvalues in the trailing (n - 1) block of H M H; closed forms for
 * blocks of 1 to 3, Newton on the tridiagonal form beyond. */
static double mcc_sym(const struct fmap_plan *pl, const int *C, int G, const int *rr, const int *id2, int n, double Td,
                      double *Mx, double *bb)
{
    double isq[64], wv[64], y[64];
    for (int a = 0; a < n; a++)
        isq[a] = pl->isqtab[rr[id2[a]]];
    for (int a = 0; a < n; a++)
        for (int b = 0; b <= a; b++)
            Mx[a * n + b] = Mx[b * n + a] = (double)C[id2[b] * G + id2[a]] * isq[a] * isq[b]; /* upper */
    /* w = u + e1 (u0 > 0), tau = 2 / |w|^2 = 1 / (1 + u0) */
    const double isT = pl->isqtab[(int)Td];
    const double u0 = pl->sqtab[rr[id2[0]]] * isT;
    wv[0] = u0 + 1;
    for (int a = 1; a < n; a++)
        wv[a] = pl->sqtab[rr[id2[a]]] * isT;
    const double tau = 1 / (1 + u0);
    double gam = 0;
    for (int a = 0; a < n; a++) {
        double acc = 0;
        for (int b = 0; b < n; b++)
            acc += Mx[a * n + b] * wv[b];
        y[a] = acc;
        gam += wv[a] * acc;
    }
    const int m = n - 1;
    /* bb: the trailing block of H M H */
    for (int a = 1; a < n; a++)
        for (int b = 1; b < n; b++)
            bb[(a - 1) * m + (b - 1)] = Mx[a * n + b] - tau * (wv[a] * y[b] + y[a] * wv[b]) + tau * tau * gam * wv[a] * wv[b];
    if (m == 1)
        return fabs(bb[0]);
    if (m == 2) {
        const double h = (bb[0] - bb[3]) / 2;
        return fabs((bb[0] + bb[3]) / 2) + sqrt(h * h + bb[1] * bb[1]);
    }
    if (m == 3)
        return eig3_radius(bb);
    return eig_radius_newton(bb, m);
}

/* Fills the lower triangle of the symmetric counts w->C from its ncell upper-triangle cells. */
static void glcm_mirror(struct fmap_scratch *w, int G, int ncell)
{
    for (int t = 0; t < ncell; t++)
        w->C[w->cell_j[t] * G + w->cell_i[t]] = w->C[w->cell_i[t] * G + w->cell_j[t]];
}

/* The 24 features of one direction's counts w->C (G x G, total T > 0; row / column sums w->rr /
 * w->rc, w->rr only when symmetric; its ncell non-zero cells, row-major, in w->cell_*: when the
 * matrix is symmetric the cells and the filled part of C are its upper triangle), glcm_one's
 * definitions. */
static int glcm_dir(const struct fmap_plan *pl, struct fmap_scratch *w, int G, int T, int ncell, double *f, struct sarc_err *e)
{
    const int *C = w->C;
    int mirrored = !pl->sym; /* symmetric: only the upper triangle of C is filled */
    const double *val = w->val, *lt = pl->ltab;
    const double Td = T, lT = lt[T], iT = 1 / Td;
    const int *rr = w->rr, *rc = pl->sym ? w->rr : w->rc; /* symmetric: column sums = row sums */
    const int *ci = w->cell_i, *cj = w->cell_j;
    const double *cv = w->cell_v;
    int nsum = 0, ndif = 0;
    double ux = 0, uy = 0, autoc = 0, energy = 0, hxy = 0, maxp = 0, contrast = 0, mi = 0;
    double cp = 0, cs = 0, ct = 0, sxx = 0, syy = 0, corm = 0;
    int nr = 0, nc = 0, nfull = 0;
    double hx = 0, hy = 0;
    int *id2 = w->id2, nrow = 0; /* symmetric: the rows with rr > 0, ascending */
    if (pl->sym) {
        /* one pass over the levels: the present rows, HX (= HY) and the mean ux (= uy) */
        for (int i = 0; i < G; i++) {
            const int r = rr[i];
            id2[nrow] = i;
            nrow += r > 0;
            if (r) {
                hx -= (r * iT) * (lt[r] - lT);
                ux += (r * iT) * val[i];
            }
        }
        nr = nc = nrow;
        hy = hx;
    } else {
        for (int i = 0; i < G; i++) {
            nr += rr[i] > 0;
            nc += rc[i] > 0;
        }
    }
    if (pl->sym) {
        /* symmetric matrix: the cells are its upper triangle (j >= i); an off-diagonal cell
         * stands for (i, j) and (j, i), so every sum takes it twice (or its mirrored term) */
        for (int t = 0; t < ncell; t++) {
            const int i = ci[t], j = cj[t], c = C[i * G + j], off = i != j;
            const double v = cv[t], wgt = off ? 2 : 1;
            nfull += 1 + off;
            autoc += wgt * (v * val[i] * val[j]);
            corm += wgt * (v * (val[i] - ux) * (val[j] - ux)); /* ux from the rows, above */
            energy += wgt * (v * v);
            hxy -= wgt * (v * (lt[c] - lT));
            if (v > maxp)
                maxp = v;
            const double d = val[j] - val[i];
            contrast += wgt * (v * d * d);
            mi += wgt * (v * ((lt[c] + lT) - (lt[rr[i]] + lt[rr[j]])));
            const int ks = (int)(val[i] + val[j]), kd = (int)d, cw = off ? 2 * c : c;
            w->sumk[nsum] = ks; /* appended only if new: no branch to mispredict */
            nsum += w->sumc[ks] == 0;
            w->sumc[ks] += cw;
            w->difk[ndif] = kd;
            ndif += w->difc[kd] == 0;
            w->difc[kd] += cw;
        }
        uy = ux; /* from the row sums px above */
        /* no second pass over the cells: the cluster sums depend on i + j only (summed over
         * the sum distribution below: the same terms grouped, rounding only), sxx on the row
         * only (px), and the covariance was summed in the pass above */
        for (int a = 0; a < nrow; a++) {
            const int i = id2[a];
            const double di = val[i] - ux;
            sxx += (rr[i] * iT) * (di * di);
        }
        syy = sxx;
    } else {
        for (int t = 0; t < ncell; t++) {
            const int i = ci[t], j = cj[t], c = C[i * G + j];
            const double v = cv[t];
            ux += v * val[i];
            uy += v * val[j];
            autoc += v * val[i] * val[j];
            energy += v * v;
            hxy -= v * (lt[c] - lT);
            if (v > maxp)
                maxp = v;
            const double d = val[i] - val[j];
            contrast += v * d * d;
            mi += v * ((lt[c] + lT) - (lt[rr[i]] + lt[rc[j]]));
            const int ks = (int)(val[i] + val[j]), kd = (int)fabs(d);
            w->sumk[nsum] = ks; /* appended only if new: no branch to mispredict */
            nsum += w->sumc[ks] == 0;
            w->sumc[ks] += c;
            w->difk[ndif] = kd;
            ndif += w->difc[kd] == 0;
            w->difc[kd] += c;
        }
        nfull = ncell;
        for (int t = 0; t < ncell; t++) {
            const int i = ci[t], j = cj[t];
            const double v = cv[t];
            const double tt = val[i] + val[j] - ux - uy;
            cp += v * tt * tt * tt * tt;
            cs += v * tt * tt * tt;
            ct += v * tt * tt;
            sxx += v * (val[i] - ux) * (val[i] - ux);
            syy += v * (val[j] - uy) * (val[j] - uy);
            corm += v * (val[i] - ux) * (val[j] - uy);
        }
    }
    /* exactly independent (c T = r_i r_j for every cell): every cell of the non-zero rows and
     * columns is present, and each product matches */
    int indep = nfull == nr * nc;
    for (int t = 0; indep && t < ncell; t++)
        if ((int64_t)C[ci[t] * G + cj[t]] * T != (int64_t)rr[ci[t]] * rc[cj[t]])
            indep = 0;
    for (int i = 0; i < G && !pl->sym; i++) {
        if (rr[i])
            hx -= (rr[i] * iT) * (lt[rr[i]] - lT);
        if (rc[i])
            hy -= (rc[i] * iT) * (lt[rc[i]] - lT);
    }
    /* difference and sum distributions over their present keys (in the order the cells
     * reached them; glcm.c: ascending, sums of positive terms, rounding only) */
    double da = 0, de = 0, idm = 0, idmn = 0, id = 0, idn = 0, iv = 0;
    for (int t = 0; t < ndif; t++) {
        const int k = w->difk[t], c = w->difc[k];
        const double v = c * iT;
        const double *kw = pl->kw + 5 * k; /* 1/(1+k^2), 1/(1+k^2/Ng^2), 1/(1+k), 1/(1+k/Ng), 1/k^2 */
        da += k * v;
        de -= v * (lt[c] - lT);
        idm += v * kw[0];
        idmn += v * kw[1];
        id += v * kw[2];
        idn += v * kw[3];
        iv += v * kw[4];
    }
    double dv = 0;
    for (int t = 0; t < ndif; t++) {
        const int k = w->difk[t];
        dv += (k - da) * (k - da) * (w->difc[k] * iT);
        w->difc[k] = 0;
    }
    double sa = 0, se = 0;
    const int clus = pl->sym; /* symmetric: the cluster sums over the sum distribution */
    const double u2 = ux + uy;
    for (int t = 0; t < nsum; t++) {
        const int k = w->sumk[t], c = w->sumc[k];
        const double v = c * iT;
        sa += k * v;
        se -= v * (lt[c] - lT);
        w->sumc[k] = 0;
        if (clus) {
            const double tt = k - u2, vt2 = v * (tt * tt);
            ct += vt2;
            cs += vt2 * tt;
            cp += vt2 * (tt * tt);
        }
    }
    double imc1, imc2;
    if (indep && !mirrored) {
        glcm_mirror(w, G, ncell);
        mirrored = 1;
    }
    if (indep) {
        /* p = px py exactly: glcm.c's evaluation, whose HXY2 == HXY test gives IMC2 = 0 */
        double h, h1, h2, a, b;
        glcm_entropies_ref(C, G, Td, &h, &h1, &h2, &a, &b, w->eigw, w->S);
        const double dv2 = a > b ? a : b;
        imc1 = dv2 != 0 ? (h - h1) / dv2 : 0;
        imc2 = h2 == h ? 0 : sqrt(1 - exp(-2 * (h2 - h)));
        hxy = h;
    } else {
        const double div = hx > hy ? hx : hy;
        if (mi < 0)
            mi = 0;
        imc1 = div != 0 ? -mi / div : 0;
        imc2 = sqrt(1 - exp(-2 * mi));
    }
    /* MCC: second largest eigenvalue of the symmetric S over the levels with px > 0 */
    double mcc = 1, mcc_direct = -1;
    int rc2 = 0;
    if (G >= 2 && !pl->want_mcc) {
        mcc = NAN;
    } else if (G >= 2) {
        int n = nrow;
        for (int i = 0; i < G && !pl->sym; i++)
            if (rr[i] > 0)
                id2[n++] = i;
        double l2 = 0;
        if (n >= 2 && pl->sym && n <= 64) {
            /* MCC directly as a spectral radius (l2 = mcc^2 keeps the test below) */
            const double r = indep ? 0 : mcc_sym(pl, C, G, rr, id2, n, Td, w->S, w->S2);
            l2 = r * r;
            mcc_direct = r;
        } else if (n >= 2) {
            if (!mirrored)
                glcm_mirror(w, G, ncell);
            double *S = w->S;
            for (int a = 0; a < n; a++)
                for (int b = 0; b <= a; b++) {
                    const int i = id2[a], j = id2[b];
                    double acc = 0;
                    for (int k = 0; k < G; k++)
                        if (rc[k] > 0)
                            acc += (C[i * G + k] / Td) * (C[j * G + k] / Td) / (rc[k] / Td);
                    acc /= sqrt((rr[i] / Td) * (rr[j] / Td));
                    S[a * n + b] = acc;
                    S[b * n + a] = acc;
                }
            rc2 = rad_eig_sym(S, n, w->eigw, e);
            if (rc2)
                return rc2;
            l2 = w->eigw[n - 2];
        }
        mcc = mcc_direct >= 0 ? mcc_direct : l2 < 0 ? (l2 > -1e-12 ? 0 : NAN) : sqrt(l2);
    }
    const double sig = sqrt(sxx) * sqrt(syy);
    f[0] = autoc;
    f[1] = ux;
    f[2] = cp;
    f[3] = cs;
    f[4] = ct;
    f[5] = contrast;
    f[6] = sig == 0 ? 1 : corm / (sig + TEX_EPS);
    f[7] = da;
    f[8] = de;
    f[9] = dv;
    f[10] = energy;
    f[11] = hxy;
    f[12] = imc1;
    f[13] = imc2;
    f[14] = idm;
    f[15] = mcc;
    f[16] = idmn;
    f[17] = id;
    f[18] = idn;
    f[19] = iv;
    f[20] = maxp;
    f[21] = sa;
    f[22] = se;
    f[23] = sxx;
    return 0;
}

int fmap_glcm(const struct fmap_plan *pl, struct fmap_scratch *w, const int *lev, const int ext[3],
              double *out, struct sarc_err *e)
{
    (void)lev; /* the kernel is indexed by fmap_kernel_begin (w->loc) */
    for (int t = 0; t < NF; t++)
        out[t] = NAN;
    memset(w->dne, 0, (size_t)pl->na);
    /* offsets of the per-class path: those shorter than the clipped box on every axis */
    int nd = 0;
    for (int a = 0; a < pl->na; a++)
        if (abs(pl->off[a][0]) < ext[2] && abs(pl->off[a][1]) < ext[1] && abs(pl->off[a][2]) < ext[0])
            nd++;
    if (nd == 0)
        return 0;
    const int G = w->G; /* fmap_kernel_begin */
    int kept = 0, rc = 0, nonempty = 0;
    for (int a = 0; a < pl->na && !rc; a++) {
        if (!(abs(pl->off[a][0]) < ext[2] && abs(pl->off[a][1]) < ext[1] && abs(pl->off[a][2]) < ext[0]))
            continue;
        /* one pass over the direction's pairs: the (symmetrised) counts into C (zero outside
         * the touched cells) and the list of touched cells (at most one per pair: the GLCM of
         * a small kernel is sparse, so nothing here visits G x G). Branch-free appends; the
         * row and column sums come from the cells afterwards (fewer read-modify-write chains
         * on one counter than per pair). */
        int *C = w->C, *rr = w->rr, *rcs = w->rc, *key = w->ckey;
        const int *pr = pl->pair + 2 * pl->pstart[a], *pe = pl->pair + 2 * pl->pstart[a + 1];
        int T = 0, nk = 0;
        if (pl->sym) {
            for (; pr < pe; pr += 2) {
                const int la = w->loc[pr[0]], lb = w->loc[pr[1]];
                if ((la | lb) < 0)
                    continue;
                const int i = la < lb ? la : lb, j = la < lb ? lb : la, k = i * G + j;
                const int c0 = C[k];
                key[nk] = k;
                w->cell_i[nk] = i;
                w->cell_j[nk] = j;
                nk += c0 == 0;
                /* C = counts + counts^T, its upper triangle only (glcm_mirror fills the rest
                 * where needed): a diagonal pair counts twice */
                C[k] = c0 + 1 + (i == j);
                T++;
            }
        } else {
            for (; pr < pe; pr += 2) {
                const int la = w->loc[pr[0]], lb = w->loc[pr[1]];
                if ((la | lb) < 0)
                    continue;
                const int k = la * G + lb, c0 = C[k];
                key[nk] = k;
                w->cell_i[nk] = la;
                w->cell_j[nk] = lb;
                nk += c0 == 0;
                C[k] = c0 + 1;
                T++;
            }
        }
        if (T == 0) {
            if (nd > 1)
                continue; /* empty directions are dropped (featuremap.c marks JointAverage) */
            double *fv = w->fa + (size_t)kept * NF;
            for (int t = 0; t < NF; t++)
                fv[t] = NAN;
            kept++;
            continue;
        }
        w->dne[a] = 1;
        nonempty++;
        if (pl->sym)
            T *= 2;
        const double iT = 1 / (double)T; /* p = c * iT (glcm.c: c / T, within 1 ulp) */
        /* the non-zero cells in the order the pairs first reached them (glcm.c sums over every
         * cell in row-major order; the zero ones add nothing, and the order changes a sum of at
         * most B terms by rounding only: about 1e-16 relative, 1e-11 for cluster shade's
         * cancelling terms), and the row / column sums from them (symmetric: an upper-triangle
         * cell (i, j) stands for (j, i) too) */
        for (int i = 0; i < G; i++)
            rr[i] = 0;
        const int ncell = nk;
        if (pl->sym) {
            for (int t = 0; t < nk; t++) {
                const int i = w->cell_i[t], j = w->cell_j[t], c = C[key[t]];
                w->cell_v[t] = c * iT;
                rr[i] += c;
                rr[j] += i != j ? c : 0;
            }
        } else {
            for (int i = 0; i < G; i++)
                rcs[i] = 0;
            for (int t = 0; t < nk; t++) {
                const int i = w->cell_i[t], j = w->cell_j[t], c = C[key[t]];
                w->cell_v[t] = c * iT;
                rr[i] += c;
                rcs[j] += c;
            }
        }
        rc = glcm_dir(pl, w, G, T, ncell, w->fa + (size_t)kept * NF, e);
        kept++;
        /* back to all zero for the next direction */
        for (int t = 0; t < nk; t++) {
            C[key[t]] = 0;
            C[w->cell_j[t] * G + w->cell_i[t]] = 0;
        }
    }
    if (rc)
        return rc;
    tex_direction_mean(w->fa, kept, NF, out);
    /* MCC of a one-level kernel: glcm.c's rule for voxel maps (rad_roi.voxel_levels) */
    if (G < 2 && nonempty > 0)
        out[15] = pl->roi_levels >= 2 ? 0 : 1;
    return 0;
}

/* tex_size_sums_lt (with the log2 table) of integer counts cnt (G x L, column c = size c + 1:
 * run length in GLRLM, dependence count + 1 in GLDM; total nz > 0, at most pl->maxcount), the
 * same arithmetic in the same order: the zero cells it skips or adds change no sum, and its row
 * and column sums of integers are exact in any order. One pass over cnt, which it leaves all
 * zero. sums: L + G ints of scratch. *np: sum of count * size. */
static void size_sums_int(const struct fmap_plan *pl, uint32_t *cnt, int G, int L, const double *val, int nz_count,
                          int *sums, struct tex_size_sums *o, int64_t *np_out)
{
    const double *lt = pl->ltab, *j2t = pl->j2tab, *ij2t = pl->ij2tab;
    const double nz = nz_count, lnz = lt[nz_count], inz = 1 / nz;
    int *colsum = sums, *rowsum = sums + L;
    double se = 0, le = 0, gln = 0, sn = 0, mug = 0, mus = 0, ent = 0, lgl = 0, hgl = 0;
    double sl = 0, sh = 0, ll = 0, lh = 0;
    int64_t np = 0;
    for (int c = 0; c < L; c++)
        colsum[c] = 0;
    for (int g = 0; g < G; g++) {
        int rsum = 0;
        uint32_t *row = cnt + (size_t)g * L;
        /* the row's sums of n / j^2 and n j^2: the emphasis sums factor into them, and the
         * grey value enters once per row (no division per cell) */
        double a1 = 0, a2 = 0;
        for (int c = 0; c < L; c++) {
            const int n = (int)row[c];
            if (n == 0)
                continue;
            row[c] = 0;
            const double v = n;
            rsum += n;
            colsum[c] += n;
            np += (int64_t)n * (c + 1);
            ent -= (v * inz) * (lt[n] - lnz);
            a1 += v * ij2t[c];
            a2 += v * j2t[c];
        }
        rowsum[g] = rsum;
        if (rsum == 0)
            continue; /* every sum of this row adds 0 */
        const double i = val[g], i2 = i * i, ii2 = 1 / i2;
        sl += a1 * ii2;
        sh += a1 * i2;
        ll += a2 * ii2;
        lh += a2 * i2;
        const double pg = rsum;
        gln += pg * pg;
        mug += i * pg * inz;
        lgl += pg * ii2;
        hgl += pg * i2;
    }
    /* glv needs mug: a second pass over the row sums */
    double glv = 0;
    for (int g = 0; g < G; g++) {
        const double pg = rowsum[g];
        glv += pg * inz * (val[g] - mug) * (val[g] - mug);
    }
    for (int c = 0; c < L; c++) {
        const double ps = colsum[c], j = c + 1;
        se += ps / (j * j);
        le += ps * j * j;
        sn += ps * ps;
        mus += j * ps * inz;
    }
    double sv = 0;
    for (int c = 0; c < L; c++) {
        const double ps = colsum[c];
        sv += ps * inz * (c + 1 - mus) * (c + 1 - mus);
    }
    *o = (struct tex_size_sums){se, le, gln, sn, mug, mus, ent, lgl, hgl, sl, sh, ll, lh, glv, sv};
    *np_out = np;
}

/* glrlm_matrix_features of the integer run-length counts cnt (G x L, nr > 0 runs), cleared. */
static void rl_features(const struct fmap_plan *pl, uint32_t *cnt, int G, int L, const double *val, int nr,
                        int *sums, double *f)
{
    struct tex_size_sums q;
    int64_t np;
    size_sums_int(pl, cnt, G, L, val, nr, sums, &q, &np);
    /* x * (1 / nz) for x / nz: within 1 ulp, one division instead of twelve */
    const double nz = nr, inz = 1 / nz;
    f[0] = q.se * inz;
    f[1] = q.le * inz;
    f[2] = q.gln * inz;
    f[3] = q.gln * (inz * inz);
    f[4] = q.sn * inz;
    f[5] = q.sn * (inz * inz);
    f[6] = nz / (double)np;
    f[7] = q.glv;
    f[8] = q.sv;
    f[9] = q.ent;
    f[10] = q.lgl * inz;
    f[11] = q.hgl * inz;
    f[12] = q.sl * inz;
    f[13] = q.sh * inz;
    f[14] = q.ll * inz;
    f[15] = q.lh * inz;
}

int fmap_gldm(const struct fmap_plan *pl, struct fmap_scratch *w, const int *lev, const struct rad_settings *s, double *out)
{
    const int G = w->G; /* fmap_kernel_begin */
    const int J = pl->no + 1;
    uint32_t *P = w->dcnt; /* (G, J) integer counts, all zero between calls */
    const int exact = s->gldm_a == 0;
    int nzv = 0;
    for (int p = 0; p < pl->B; p++) {
        const int l = lev[p];
        if (!l)
            continue;
        int cnt = 0;
        const int *nb = pl->nb + pl->nb_start[p], *ne = pl->nb + pl->nb_start[p + 1];
        if (exact)
            for (; nb < ne; nb++)
                cnt += lev[*nb] == l;
        else
            for (; nb < ne; nb++) {
                const int v = lev[*nb];
                cnt += v > 0 && fabs((double)(v - l)) <= s->gldm_a;
            }
        P[(size_t)w->loc[p] * J + cnt]++;
        nzv++;
    }
    for (int t = 0; t < 14; t++)
        out[t] = NAN;
    if (nzv == 0) /* no kernel voxel (cannot happen for an ROI voxel's own kernel) */
        return 0;
    /* gldm.c: tex_size_sums over the (G, J) matrix, from the integer counts */
    struct tex_size_sums q;
    int64_t np;
    size_sums_int(pl, P, G, J, w->val, nzv, w->dsum, &q, &np);
    tex_gldm_features(&q, nzv, out);
    return 0;
}

int fmap_ngtdm(const struct fmap_plan *pl, struct fmap_scratch *w, const int *lev, double *out)
{
    const int G = w->G; /* fmap_kernel_begin */
    double *n = w->nn, *sv = w->sv;
    for (int g = 0; g < G; g++)
        n[g] = sv[g] = 0;
    for (int p = 0; p < pl->B; p++) {
        const int l = lev[p];
        if (!l)
            continue;
        int64_t sum = 0;
        int cnt = 0;
        for (const int *nb = pl->nb + pl->nb_start[p], *ne = pl->nb + pl->nb_start[p + 1]; nb < ne; nb++) {
            const int v = lev[*nb];
            sum += v;
            cnt += v > 0;
        }
        const int g = w->loc[p];
        n[g] += 1;
        if (cnt)
            sv[g] += fabs(l - (double)sum / cnt);
    }
    /* the kernel's levels (w->val) ascend: ngtdm.c's sums over the present levels */
    tex_ngtdm_features(n, sv, w->val, G, out);
    return 0;
}

int fmap_glrlm(const struct fmap_plan *pl, struct fmap_scratch *w, const int *lev, const int ext[3], double *out)
{
    enum { RF = 16 };
    for (int t = 0; t < RF; t++)
        out[t] = NAN;
    /* the offsets of the per-class path: shorter than the clipped box on every axis */
    int nd = 0;
    for (int a = 0; a < pl->nr; a++)
        if (abs(pl->roff[a][0]) < ext[2] && abs(pl->roff[a][1]) < ext[1] && abs(pl->roff[a][2]) < ext[0])
            nd++;
    if (nd == 0)
        return 0;
    const int G = w->G; /* fmap_kernel_begin */
    const int L = pl->L, B = pl->B;
    uint32_t *cnt = w->rcnt; /* all zero between directions */
    int *lrow = w->stack, *keys = w->rl;
    for (int p = 0; p < B; p++)
        lrow[p] = lev[p] > 0 ? w->loc[p] : G;
    int kept = 0;
    for (int a = 0; a < pl->nr; a++) {
        if (!(abs(pl->roff[a][0]) < ext[2] && abs(pl->roff[a][1]) < ext[1] && abs(pl->roff[a][2]) < ext[0]))
            continue;
        const int *nxt = pl->rnext + (size_t)a * B;
        const int *lp = pl->lpos + (size_t)a * (B + 1);
        const uint8_t *lf = pl->lflag + (size_t)a * (B + 1);
        /* glrlm.c's single forward pass, line by line with the run length in a register and
         * no data-dependent branch or read-modify-write chain: each position appends its run's
         * cell (row * L + length - 1) to keys, which keeps it only where a run of the ROI ends
         * (background is row G) */
        int anyrun = 0, nruns = 0, len = 0, prev = 0;
        for (int k = 0; k < B; k++) {
            const int r = lrow[lp[k]], rn = lrow[lp[k + 1]], fl = lf[k];
            const int same = !(fl & 1) & (r == prev);
            len = same * len + 1; /* a multiply: a select compiles to a mispredicted branch */
            const int last = fl >> 1;
            const int end = last | (rn != r), in = r < G;
            keys[nruns] = r * L + len - 1;
            nruns += end & in;
            anyrun |= in & (same | (!last & (rn < G)));
            prev = r;
        }
        for (int t = 0; t < nruns; t++)
            cnt[keys[t]]++;
        int multi = anyrun;
        /* two ROI voxels on one line separated by background keep the direction */
        for (int p = 0; p < B && !multi; p++) {
            if (lev[p] <= 0)
                continue;
            for (int u = nxt[p]; u >= 0; u = nxt[u])
                if (lev[u] > 0) {
                    multi = 1;
                    break;
                }
        }
        if (!multi || nruns == 0) {
            /* glrlm.c zeroes the matrix: dropped, or all NaN when it is the only direction */
            memset(cnt, 0, (size_t)G * L * sizeof *cnt);
            if (nd > 1)
                continue;
            for (int t = 0; t < RF; t++)
                w->fa[(size_t)kept * RF + t] = NAN;
            kept++;
            continue;
        }
        rl_features(pl, cnt, G, L, w->val, nruns, w->rsum, w->fa + (size_t)kept * RF);
        kept++;
    }
    tex_direction_mean(w->fa, kept, RF, out);
    return 0;
}

int fmap_glszm(const struct fmap_plan *pl, struct fmap_scratch *w, const int *lev, double *out)
{
    const int G = w->G; /* fmap_kernel_begin */
    const int B = pl->B;
    int *vis = w->vis, *stack = w->stack, *zg = w->zg, *zs = w->zs;
    int npx = 0;
    for (int p = 0; p < B; p++) {
        vis[p] = lev[p];
        npx += lev[p] > 0;
    }
    /* zones in glszm.c's visiting order; a visited voxel gets its level negated */
    int nzones = 0;
    for (int p = 0; p < B; p++) {
        const int l = vis[p];
        if (l <= 0)
            continue;
        int top = 0, size = 0;
        stack[top++] = p;
        vis[p] = -l;
        while (top) {
            const int u = stack[--top];
            size++;
            for (const int *nb = pl->zb + pl->zb_start[u], *ne = pl->zb + pl->zb_start[u + 1]; nb < ne; nb++)
                if (vis[*nb] == l) {
                    vis[*nb] = -l;
                    stack[top++] = *nb;
                }
        }
        zg[nzones] = w->loc[p];
        zs[nzones] = size;
        nzones++;
    }
    /* sorted by (level, size) as glszm.c's qsort (equal keys are equal entries) */
    for (int i = 1; i < nzones; i++) {
        const int g = zg[i], z = zs[i];
        int j = i - 1;
        while (j >= 0 && (zg[j] > g || (zg[j] == g && zs[j] > z))) {
            zg[j + 1] = zg[j];
            zs[j + 1] = zs[j];
            j--;
        }
        zg[j + 1] = g;
        zs[j + 1] = z;
    }
    double *pg = w->pg, *ps = w->ps;
    const double *val = w->val;
    for (int g = 0; g <= G; g++)
        pg[g] = 0;
    for (int j = 0; j <= npx; j++)
        ps[j] = 0;
    /* glszm.c's sums with x * (1 / y) for its divisions by Nz, i^2 and j^2 (tables of the
     * plan): within a few ulp */
    const double *ij2t = pl->ij2tab, *il2t = pl->il2tab;
    const double Nz = nzones ? (double)nzones : 1, iNz = 1 / Nz;
    double npv = 0, ze = 0, sal = 0, sah = 0, lal = 0, lah = 0;
    for (int t = 0; t < nzones;) {
        int u = t;
        while (u < nzones && zg[u] == zg[t] && zs[u] == zs[t])
            u++;
        const double cnt = (double)(u - t);
        const double i = val[zg[t]], j = (double)zs[t], il2 = il2t[(int)i], ij2 = ij2t[zs[t] - 1];
        const double p = cnt * iNz;
        ze -= p * (pl->ltab[u - t] - pl->ltab[(int)Nz]);
        sal += cnt * (il2 * ij2);
        sah += cnt * i * i * ij2;
        lal += cnt * j * j * il2;
        lah += cnt * i * i * j * j;
        pg[zg[t]] += cnt;
        ps[zs[t]] += cnt;
        npv += cnt * j;
        t = u;
    }
    double sae = 0, lae = 0, gln = 0, szn = 0, mug = 0, muz = 0, lgl = 0, hgl = 0;
    for (int g = 0; g < G; g++) {
        const double i = val[g];
        gln += pg[g] * pg[g];
        mug += i * pg[g] * iNz;
        lgl += pg[g] * il2t[(int)i];
        hgl += pg[g] * i * i;
    }
    for (int j = 1; j <= npx; j++) {
        if (ps[j] == 0)
            continue;
        const double jj = (double)j;
        sae += ps[j] * ij2t[j - 1];
        lae += ps[j] * jj * jj;
        szn += ps[j] * ps[j];
        muz += jj * ps[j] * iNz;
    }
    double glv = 0, zv = 0;
    for (int g = 0; g < G; g++)
        glv += pg[g] * iNz * (val[g] - mug) * (val[g] - mug);
    for (int j = 1; j <= npx; j++)
        if (ps[j] != 0)
            zv += ps[j] * iNz * ((double)j - muz) * ((double)j - muz);
    out[0] = sae * iNz;
    out[1] = lae * iNz;
    out[2] = gln * iNz;
    out[3] = gln * (iNz * iNz);
    out[4] = szn * iNz;
    out[5] = szn * (iNz * iNz);
    out[6] = npv > 0 ? Nz / npv : NAN;
    out[7] = glv;
    out[8] = zv;
    out[9] = ze;
    out[10] = lgl * iNz;
    out[11] = hgl * iNz;
    out[12] = sal * iNz;
    out[13] = sah * iNz;
    out[14] = lal * iNz;
    out[15] = lah * iNz;
    return 0;
}
