/* glcm.c - PyRadiomics' grey-level co-occurrence matrix features (class glcm, FACTS.md section
 * 10): one matrix per direction (13 in 3-D for distance 1, first of each +/- pair), rows and
 * columns of absent levels deleted, symmetrised (symmetricalGLCM), optionally merged with
 * weightingNorm (exp(-d^2) weights), empty directions dropped, each normalised; features per
 * direction, then the NaN-skipping mean over directions. Level VALUES enter the formulas; Ng in
 * Idmn/Idn is the largest level. MCC uses the symmetric form of Q (similar to PyRadiomics' Q,
 * FACTS.md) with our Householder + QL eigenvalue solver (rad_eig_sym, below).
 * Covered by test/radiomics/test_features.c (brain1 cases) and test_eig in the same file. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "radiomics/radiomics.h"
#include "radiomics/texture_common.h"

#define EPS 2.220446049250313e-16
enum { NF = 24 };

/* Householder reduction of the symmetric matrix a (n x n, row-major, lower triangle used and
 * destroyed) to tridiagonal form: diagonal d[n], off-diagonal e[n] (e[i] couples i-1 and i). */
static void tridiagonalize(double *a, int n, double *d, double *e)
{
#define A(i, j) a[(size_t)(i) * n + (j)]
    for (int i = n - 1; i > 0; i--) {
        const int l = i - 1;
        double h = 0;
        if (l > 0) {
            double scale = 0;
            for (int k = 0; k <= l; k++)
                scale += fabs(A(i, k));
            if (scale == 0) {
                e[i] = A(i, l);
            } else {
                for (int k = 0; k <= l; k++) {
                    A(i, k) /= scale;
                    h += A(i, k) * A(i, k);
                }
                double f = A(i, l);
                double g = f >= 0 ? -sqrt(h) : sqrt(h);
                e[i] = scale * g;
                h -= f * g;
                A(i, l) = f - g;
                f = 0;
                for (int j = 0; j <= l; j++) {
                    g = 0;
                    for (int k = 0; k <= j; k++)
                        g += A(j, k) * A(i, k);
                    for (int k = j + 1; k <= l; k++)
                        g += A(k, j) * A(i, k);
                    e[j] = g / h;
                    f += e[j] * A(i, j);
                }
                const double hh = f / (h + h);
                for (int j = 0; j <= l; j++) {
                    f = A(i, j);
                    e[j] = g = e[j] - hh * f;
                    for (int k = 0; k <= j; k++)
                        A(j, k) -= f * e[k] + g * A(i, k);
                }
            }
        } else {
            e[i] = A(i, l);
        }
        (void)h;
    }
    for (int i = 0; i < n; i++)
        d[i] = A(i, i);
    e[0] = 0;
#undef A
}

int rad_eig_sym(double *a, int n, double *w, struct sarc_err *e)
{
    if (n <= 0)
        return 0;
    /* small problems (GLCM kernels of the voxel maps, shape's 3 x 3) use a stack buffer: no
     * allocation per call */
    double small[64];
    double *off = n <= 64 ? small : malloc((size_t)n * sizeof *off);
    if (!off)
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    tridiagonalize(a, n, w, off);
    /* implicit QL with Wilkinson-style shifts on the tridiagonal matrix */
    for (int i = 1; i < n; i++)
        off[i - 1] = off[i];
    off[n - 1] = 0;
    for (int l = 0; l < n; l++) {
        int iter = 0, m;
        do {
            for (m = l; m < n - 1; m++) {
                const double dd = fabs(w[m]) + fabs(w[m + 1]);
                if (fabs(off[m]) <= DBL_EPSILON * dd)
                    break;
            }
            if (m != l) {
                if (iter++ == 200) {
                    if (off != small)
                        free(off);
                    return ERR(e, SARC_ERR_INTERNAL, "eigenvalues did not converge");
                }
                double g = (w[l + 1] - w[l]) / (2.0 * off[l]);
                double r = sqrt(g * g + 1.0);
                g = w[m] - w[l] + off[l] / (g + (g >= 0 ? fabs(r) : -fabs(r)));
                double s = 1, c = 1, p = 0;
                int i;
                for (i = m - 1; i >= l; i--) {
                    double f = s * off[i];
                    const double b = c * off[i];
                    off[i + 1] = (r = sqrt(f * f + g * g));
                    if (r == 0) {
                        w[i + 1] -= p;
                        off[m] = 0;
                        break;
                    }
                    s = f / r;
                    c = g / r;
                    g = w[i + 1] - p;
                    r = (w[i] - g) * s + 2.0 * c * b;
                    w[i + 1] = g + (p = s * r);
                    g = c * r - b;
                }
                if (r == 0 && i >= l)
                    continue;
                w[l] -= p;
                off[l] = g;
                off[m] = 0;
            }
        } while (m != l);
    }
    if (off != small)
        free(off);
    /* ascending (insertion sort: n is small) */
    for (int i = 1; i < n; i++) {
        const double v = w[i];
        int j = i - 1;
        while (j >= 0 && w[j] > v) {
            w[j + 1] = w[j];
            j--;
        }
        w[j + 1] = v;
    }
    return 0;
}

/* Features of one normalised matrix p (G x G over level values val[]); ng = largest level.
 * work: scratch of at least 2 * (2 * ng + 1) + 3 * G + G * G doubles. */
static int glcm_one(const double *p, int G, const double *val, int ng, int want_mcc, double *f, double *work, struct sarc_err *e)
{
    double *px = work, *py = px + G, *pxy_sum = py + G, *pxy_diff = pxy_sum + 2 * ng + 1;
    double *eigw = pxy_diff + ng + 1, *S = eigw + G;
    memset(px, 0, (size_t)G * sizeof *px);
    memset(py, 0, (size_t)G * sizeof *py);
    memset(pxy_sum, 0, (size_t)(2 * ng + 1) * sizeof *pxy_sum);
    memset(pxy_diff, 0, (size_t)(ng + 1) * sizeof *pxy_diff);
    double ux = 0, uy = 0, autoc = 0, energy = 0, hxy = 0, maxp = 0, contrast = 0;
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++) {
            const double v = p[(size_t)i * G + j];
            px[i] += v;
            py[j] += v;
            ux += v * val[i];
            uy += v * val[j];
            autoc += v * val[i] * val[j];
            energy += v * v;
            hxy -= v * log2(v + EPS);
            if (v > maxp)
                maxp = v;
            const double d = val[i] - val[j];
            contrast += v * d * d;
            pxy_sum[(int)(val[i] + val[j])] += v;
            pxy_diff[(int)fabs(d)] += v;
        }
    double cp = 0, cs = 0, ct = 0, sxx = 0, syy = 0, corm = 0, hxy1 = 0, hxy2 = 0;
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++) {
            const double v = p[(size_t)i * G + j];
            const double t = val[i] + val[j] - ux - uy;
            cp += v * t * t * t * t;
            cs += v * t * t * t;
            ct += v * t * t;
            sxx += v * (val[i] - ux) * (val[i] - ux);
            syy += v * (val[j] - uy) * (val[j] - uy);
            corm += v * (val[i] - ux) * (val[j] - uy);
            const double q = px[i] * py[j];
            hxy1 -= v * log2(q + EPS);
            hxy2 -= q * log2(q + EPS);
        }
    double hx = 0, hy = 0;
    for (int i = 0; i < G; i++) {
        hx -= px[i] * log2(px[i] + EPS);
        hy -= py[i] * log2(py[i] + EPS);
    }
    double da = 0, de = 0, idm = 0, idmn = 0, id = 0, idn = 0, iv = 0;
    const double Ng = ng;
    for (int k = 0; k < ng; k++) {
        const double v = pxy_diff[k];
        da += k * v;
        de -= v * log2(v + EPS);
        idm += v / (1.0 + (double)k * k);
        idmn += v / (1.0 + ((double)k * k) / (Ng * Ng));
        id += v / (1.0 + k);
        idn += v / (1.0 + k / Ng);
        if (k >= 1)
            iv += v / ((double)k * k);
    }
    double dv = 0;
    for (int k = 0; k < ng; k++)
        dv += (k - da) * (k - da) * pxy_diff[k];
    double sa = 0, se = 0;
    for (int k = 2; k <= 2 * ng; k++) {
        sa += k * pxy_sum[k];
        se -= pxy_sum[k] * log2(pxy_sum[k] + EPS);
    }
    const double sig = sqrt(sxx) * sqrt(syy);
    const double div = hx > hy ? hx : hy;
    /* MCC: second largest eigenvalue of Q(i,j) = sum_k p(i,k)p(j,k)/(px(i)py(k)); via the
     * similar symmetric S on the levels with px > 0 (zero rows of Q add eigenvalues 0) */
    double mcc = 1;
    if (G >= 2 && !want_mcc) {
        mcc = NAN; /* not requested: the eigenvalue problem is skipped */
    } else if (G >= 2) {
        int idx[4096];
        int n = 0;
        int *id2 = G <= 4096 ? idx : malloc((size_t)G * sizeof *id2);
        if (!id2)
            return ERR(e, SARC_ERR_NOMEM, "out of memory");
        for (int i = 0; i < G; i++)
            if (px[i] > 0)
                id2[n++] = i;
        double l2 = 0;
        if (n >= 2) {
            for (int a = 0; a < n; a++)
                for (int b = 0; b <= a; b++) {
                    const int i = id2[a], j = id2[b];
                    double acc = 0;
                    for (int k = 0; k < G; k++)
                        if (py[k] > 0)
                            acc += p[(size_t)i * G + k] * p[(size_t)j * G + k] / py[k];
                    acc /= sqrt(px[i] * px[j]);
                    S[(size_t)a * n + b] = acc;
                    S[(size_t)b * n + a] = acc;
                }
            int rc = rad_eig_sym(S, n, eigw, e);
            if (rc) {
                if (id2 != idx)
                    free(id2);
                return rc;
            }
            l2 = eigw[n - 2];
        }
        if (id2 != idx)
            free(id2);
        mcc = l2 < 0 ? (l2 > -1e-12 ? 0 : NAN) : sqrt(l2);
    }
    f[0] = autoc;
    f[1] = ux;
    f[2] = cp;
    f[3] = cs;
    f[4] = ct;
    f[5] = contrast;
    f[6] = sig == 0 ? 1 : corm / (sig + EPS);
    f[7] = da;
    f[8] = de;
    f[9] = dv;
    f[10] = energy;
    f[11] = hxy;
    f[12] = div != 0 ? (hxy - hxy1) / div : 0;
    f[13] = hxy2 == hxy ? 0 : sqrt(1 - exp(-2 * (hxy2 - hxy)));
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

int glcm_features(const struct rad_roi *r, const struct rad_settings *s, double *out, struct sarc_err *e)
{
    int off[1000][3];
    const int na = rad_offsets(r, s, s->distances, s->ndist, 1, off, 1000);
    const int ng = r->ng;
    int rc = 0;
    int *gi = malloc(((size_t)ng + 1) * sizeof *gi);
    double *val = malloc(((size_t)ng + 1) * sizeof *val);
    double *P = NULL, *work = NULL, *fa = NULL;
    if (!gi || !val) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    const int G = tex_grey_index(r, gi, val);
    for (int t = 0; t < NF; t++)
        out[t] = NAN;
    if (na == 0)
        goto done; /* no direction fits the box: every feature NaN */
    size_t gg, total;
    if (size_mul((size_t)G, (size_t)G, &gg) || size_mul(gg, (size_t)na, &total) || total > ((size_t)1 << 26)) {
        rc = ERR(e, SARC_ERR_RANGE, "glcm: %d grey levels x %d directions is too large (use a larger binWidth)", G, na);
        goto done;
    }
    P = calloc(total, sizeof *P);
    work = malloc((4 * (size_t)ng + 8 + 3 * (size_t)G + gg) * sizeof *work);
    fa = malloc((size_t)na * NF * sizeof *fa);
    if (!P || !work || !fa) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    const int64_t nx = r->nx, ny = r->ny, nz = r->nz;
    /* counts on (G + 1)^2 integers, index G = background, filled without data-dependent
     * branches from the padded levels; then copied without the background row and column */
    const size_t G1 = (size_t)G + 1;
    const int *pl = NULL;
    int *pl_own = NULL;
    int64_t pn[3];
    int dmax = 0;
    for (int t = 0; t < s->ndist; t++)
        if (s->distances[t] > dmax)
            dmax = s->distances[t];
    rc = rad_levels_padded(r, dmax, &pl, &pl_own, pn, e);
    if (rc)
        goto done;
    uint32_t *cnt = malloc(G1 * G1 * sizeof *cnt);
    int *gx = malloc(((size_t)ng + 1) * sizeof *gx);
    if (!cnt || !gx) {
        free(cnt);
        free(gx);
        free(pl_own);
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int g = 0; g <= ng; g++)
        gx[g] = g == 0 || gi[g] < 0 ? G : gi[g];
    for (int a = 0; a < na; a++) {
        double *Pa = P + (size_t)a * gg;
        const int64_t d = off[a][2] + pn[0] * (off[a][1] + pn[1] * (int64_t)off[a][0]);
        memset(cnt, 0, G1 * G1 * sizeof *cnt);
        for (int64_t k = 0; k < nz; k++)
            for (int64_t j = 0; j < ny; j++) {
                const int *row = pl + dmax + pn[0] * ((j + dmax) + pn[1] * (k + dmax));
                for (int64_t i = 0; i < nx; i++) {
                    const int lev = row[i];
                    if (!lev)
                        continue;
                    cnt[(size_t)gx[lev] * G1 + gx[row[i + d]]]++;
                }
            }
        for (int i = 0; i < G; i++)
            for (int j = 0; j < G; j++)
                Pa[(size_t)i * G + j] = cnt[(size_t)i * G1 + j];
        if (s->symmetrical_glcm)
            for (int i = 0; i < G; i++)
                for (int j = 0; j < i; j++) {
                    const double t = Pa[(size_t)i * G + j] + Pa[(size_t)j * G + i];
                    Pa[(size_t)i * G + j] = Pa[(size_t)j * G + i] = t;
                }
        if (s->symmetrical_glcm)
            for (int i = 0; i < G; i++)
                Pa[(size_t)i * G + i] *= 2;
    }
    free(cnt);
    free(gx);
    free(pl_own);
    int nd = na;
    if (s->weighting != RW_NONE) {
        /* one matrix: sum_a w_a P_a, w from the offset in mm */
        double *sum = calloc(gg, sizeof *sum);
        if (!sum) {
            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (int a = 0; a < na; a++) {
            double d[3];
            tex_offset_mm(off[a], r, d);
            double w = 1;
            if (s->weighting == RW_INFINITY) {
                const double m = d[0] > d[1] ? (d[0] > d[2] ? d[0] : d[2]) : (d[1] > d[2] ? d[1] : d[2]);
                w = exp(-m * m);
            } else if (s->weighting == RW_EUCLIDEAN)
                w = exp(-(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]));
            else if (s->weighting == RW_MANHATTAN)
                w = exp(-(d[0] + d[1] + d[2]) * (d[0] + d[1] + d[2]));
            for (size_t t = 0; t < gg; t++)
                sum[t] += P[(size_t)a * gg + t] * w;
        }
        memcpy(P, sum, gg * sizeof *P);
        free(sum);
        nd = 1;
    }
    /* drop empty directions when there is more than one, then normalise */
    int kept = 0, nonempty = 0;
    for (int a = 0; a < nd; a++) {
        const double tot = tex_sum(P + (size_t)a * gg, gg);
        nonempty += tot != 0;
        if (tot == 0 && nd > 1)
            continue;
        double *dst = P + (size_t)kept * gg;
        if (dst != P + (size_t)a * gg)
            memmove(dst, P + (size_t)a * gg, gg * sizeof *P);
        for (size_t t = 0; t < gg; t++)
            dst[t] = tot == 0 ? NAN : dst[t] / tot;
        kept++;
    }
    for (int a = 0; a < kept; a++) {
        double *fv = fa + (size_t)a * NF;
        if (isnan(P[(size_t)a * gg])) {
            for (int t = 0; t < NF; t++)
                fv[t] = NAN;
            continue;
        }
        /* MCC (feature 15) needs an eigenvalue problem per direction: only when enabled (or
         * when no class selection is given) */
        const int want_mcc = !s->classes_given || (s->enabled[RC_GLCM] >> 15 & 1);
        rc = glcm_one(P + (size_t)a * gg, G, val, ng, want_mcc, fv, work, e);
        if (rc)
            goto done;
    }
    tex_direction_mean(fa, kept, NF, out);
    /* MCC of a flat region: 1 for a one-level case; a voxel map's one-level kernel in an ROI of
     * several levels has MCC 0 (PyRadiomics' voxel mode keeps the ROI's levels: Q's second
     * eigenvalue is 0); a kernel without any pair stays NaN like every other feature */
    if (G < 2 && (r->voxel_levels == 0 || nonempty > 0))
        out[15] = r->voxel_levels >= 2 ? 0 : 1;
done:
    free(gi);
    free(val);
    free(P);
    free(work);
    free(fa);
    return rc;
}
