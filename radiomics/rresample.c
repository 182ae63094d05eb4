/* rresample.c - PyRadiomics' resampling step (imageoperations.resampleImage as described in
 * FACTS.md section 4) and correctMask. B-spline: ITK's cubic BSplineDecompositionImageFilter
 * prefilter (gain 6, pole sqrt(3) - 2, causal initialisation truncated at 18 terms, mirror
 * boundaries) over the whole image, then BSplineInterpolateImageFunction weights at
 * floor(c) - 1 .. floor(c) + 2 with mirrored indices. Samples outside [-0.5, N - 0.5) get 0.
 * Integer images are clamped and truncated back to their type.
 * With --ibsi (s->ibsi) the grid follows the IBSI reference manual instead ("align grid centres",
 * n_b = ceil(n_a s_a / s_b), whole image, boundary padding; ROI interpolated linearly and
 * thresholded at 0.5; integer images rounded). correctMask checks, as PyRadiomics' _checkROI,
 * that the ROI lies inside the image. Covered by test/radiomics/test_features.c
 * (brain1_resampling: size, ROI count and all 107 features) and test/radiomics/test_ibsi_grid.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "radiomics/rresample.h"

static const double POLE = -0.26794919243112270; /* sqrt(3) - 2 */

/* In-place cubic B-spline prefilter of one line of n samples with stride. */
static void prefilter_line(double *c, int64_t n, int64_t stride)
{
    if (n < 2)
        return;
    const double z = POLE;
#define C(t) c[(t) * stride]
    for (int64_t t = 0; t < n; t++)
        C(t) *= 6.0;
    /* causal initialisation (ITK SetInitialCausalCoefficient, tolerance 1e-10) */
    const int64_t horizon = (int64_t)ceil(log(1e-10) / log(fabs(z)));
    if (horizon < n) {
        double zn = z, sum = C(0);
        for (int64_t t = 1; t < horizon; t++) {
            sum += zn * C(t);
            zn *= z;
        }
        C(0) = sum;
    } else {
        double zn = z;
        const double iz = 1.0 / z;
        double z2n = pow(z, (double)(n - 1));
        double sum = C(0) + z2n * C(n - 1);
        z2n *= z2n * iz;
        for (int64_t t = 1; t <= n - 2; t++) {
            sum += (zn + z2n) * C(t);
            zn *= z;
            z2n *= iz;
        }
        C(0) = sum / (1.0 - zn * zn);
    }
    for (int64_t t = 1; t < n; t++)
        C(t) += z * C(t - 1);
    C(n - 1) = (z / (z * z - 1.0)) * (C(n - 1) + z * C(n - 2));
    for (int64_t t = n - 2; t >= 0; t--)
        C(t) = z * (C(t + 1) - C(t));
#undef C
}

static int64_t mirror(int64_t k, int64_t n)
{
    if (n == 1)
        return 0;
    const int64_t p = 2 * n - 2;
    k = k < 0 ? -k : k;
    k %= p;
    return k >= n ? p - k : k;
}

/* The nearest voxel of continuous index c on an n-voxel grid (halves round up), clamped. */
static void nearest_index(const double c[3], const int64_t n[3], int64_t out[3])
{
    for (int a = 0; a < 3; a++) {
        out[a] = (int64_t)floor(c[a] + 0.5);
        if (out[a] > n[a] - 1)
            out[a] = n[a] - 1;
        if (out[a] < 0)
            out[a] = 0;
    }
}

static void bspline_weights(double t, double w[4])
{
    const double u = 1 - t;
    w[0] = u * u * u / 6.0;
    w[1] = (4.0 - 6.0 * t * t + 3.0 * t * t * t) / 6.0;
    w[2] = (1.0 + 3.0 * t + 3.0 * t * t - 3.0 * t * t * t) / 6.0;
    w[3] = t * t * t / 6.0;
}

/* The 4 x 4 x 4 cubic B-spline taps at continuous index c on an n grid: weights w and mirrored
 * indices ix per axis; an axis of one sample is constant along it (weights 0, 1, 0, 0). */
static void bspline_taps(const double c[3], const int64_t n[3], double w[3][4], int64_t ix[3][4])
{
    for (int a = 0; a < 3; a++) {
        const double f = floor(c[a]);
        bspline_weights(c[a] - f, w[a]);
        for (int q = 0; q < 4; q++)
            ix[a][q] = mirror((int64_t)f - 1 + q, n[a]);
        if (n[a] == 1) {
            w[a][0] = 0;
            w[a][1] = 1;
            w[a][2] = 0;
            w[a][3] = 0;
        }
    }
}

static int vtype_bounds(enum vtype t, double *lo, double *hi)
{
    return vtype_range(t, lo, hi);
}

/* The ROI's bounding box (inclusive) on an n grid; 0 when the ROI is empty. */
static int roi_box(const uint8_t *roi, const int64_t n[3], int64_t lo[3], int64_t hi[3])
{
    for (int a = 0; a < 3; a++) {
        lo[a] = n[a];
        hi[a] = -1;
    }
    for (int64_t k = 0; k < n[2]; k++)
        for (int64_t j = 0; j < n[1]; j++)
            for (int64_t i = 0; i < n[0]; i++)
                if (roi[i + n[0] * (j + n[1] * k)]) {
                    const int64_t c[3] = {i, j, k};
                    rad_bbox_add(lo, hi, c);
                }
    return hi[0] >= 0;
}

/* rresample_grid_compute; force_interp: interpolate even when sp equals the target spacing (the
 * mask's grid of a mismatched case, where PyRadiomics compares the image's spacing). */
static int grid_compute(const uint8_t *roi, const int64_t n[3], const double sp[3], const struct rad_settings *s,
                        int force_interp, struct rresample_grid *g, struct sarc_err *e)
{
    memset(g, 0, sizeof *g);
    int64_t L[3], hi[3];
    if (!roi_box(roi, n, L, hi))
        return ERR(e, SARC_ERR_ARG, "resampling: empty ROI");
    g->same = 1;
    for (int a = 0; a < 3; a++) {
        const int64_t S = hi[a] - L[a] + 1;
        /* spacing 0 keeps the axis; PyRadiomics also keeps an axis the ROI spans with one voxel
         * (IBSI resamples the whole grid, so that rule is PyRadiomics-only) */
        g->t[a] = s->resampled_spacing[a] == 0 || (!s->ibsi && S == 1) ? sp[a] : s->resampled_spacing[a];
        if (fabs(sp[a] - g->t[a]) > 1e-8 + 1e-5 * fabs(g->t[a]))
            g->same = 0; /* numpy.allclose(imageSpacing, resampledPixelSpacing) */
    }
    if (force_interp)
        g->same = 0;
    const double pad = s->pad_distance;
    for (int a = 0; a < 3; a++) {
        if (g->same) {
            g->t[a] = sp[a];
            g->step[a] = 1;
            if (s->ibsi) {
                /* IBSI: the grid is kept as it is */
                g->lo[a] = 0;
                g->size[a] = n[a];
            } else {
                /* PyRadiomics: no interpolation, crop to the box +- padDistance */
                g->lo[a] = L[a] - (int64_t)pad;
                int64_t h = hi[a] + (int64_t)pad;
                if (g->lo[a] < 0)
                    g->lo[a] = 0;
                if (h > n[a] - 1)
                    h = n[a] - 1;
                g->size[a] = h - g->lo[a] + 1;
            }
            g->origin[a] = (double)g->lo[a];
            continue;
        }
        const double r = sp[a] / g->t[a];
        g->step[a] = g->t[a] / sp[a];
        if (s->ibsi) {
            /* IBSI reference manual, "Interpolation grid" (026Q, QCY4): n_b = ceil(n_a s_a / s_b),
             * grid centres aligned: x_b,g = (n_a - 1 - (s_b / s_a)(n_b - 1)) / 2. A relative 1e-6
             * keeps float32-stored spacings (0.6000000238) from adding a voxel. */
            const double ext = (double)n[a] * r;
            g->size[a] = (int64_t)ceil(ext - 1e-6 * ext);
            if (g->size[a] < 1)
                g->size[a] = 1;
            g->lo[a] = 0;
            g->origin[a] = 0.5 * ((double)(n[a] - 1) - g->step[a] * (double)(g->size[a] - 1));
        } else {
            /* PyRadiomics' resampleImage: box +- padDistance in the new index space, origin at
             * the corner of the first voxel */
            g->lo[a] = (int64_t)floor(((double)L[a] - 0.5) * r - pad);
            int64_t h = (int64_t)ceil(((double)(hi[a] + 1) - 0.5) * r + pad);
            if (g->lo[a] < 0)
                g->lo[a] = 0;
            const int64_t top = (int64_t)ceil((double)n[a] * r) - 1;
            if (h > top)
                h = top;
            g->size[a] = h - g->lo[a] + 1;
            g->origin[a] = 0.5 * (g->t[a] - sp[a]) / sp[a] + (double)g->lo[a] / r;
        }
        if (g->size[a] < 1 || g->size[a] > (1 << 24))
            return ERR(e, SARC_ERR_RANGE, "resampling: output size %lld on axis %d", (long long)g->size[a], a);
    }
    return 0;
}

int rresample_grid_compute(const uint8_t *roi, const int64_t n[3], const double sp[3], const struct rad_settings *s,
                           struct rresample_grid *g, struct sarc_err *e)
{
    return grid_compute(roi, n, sp, s, 0, g, e);
}

int rresample_grid_compute_mask(const uint8_t *roi, const int64_t n[3], const double sp[3], const struct rad_settings *s,
                                struct rresample_grid *g, struct sarc_err *e)
{
    return grid_compute(roi, n, sp, s, 1, g, e);
}

/* IBSI sampling (s->ibsi): output voxel m at continuous index g->origin + g->step * m, clamped to
 * the grid (IBSI: "padding the original grid with the intensities at the boundary"); the image
 * with s->interpolator (B-spline coefficients coef when RI_BSPLINE), the ROI linearly and kept
 * where the interpolated fraction >= 0.5 (IBSI E8H9, partial volume threshold 0.5); integer
 * images rounded to the nearest integer within the type's range (IBSI 68QD). */
static void ibsi_sample(const double *img, const double *coef, const uint8_t *roi, const int64_t n[3],
                        const struct rresample_grid *g, const struct rad_settings *s, int is_int, enum vtype type,
                        double *oimg, uint8_t *oroi)
{
    double tlo = 0, thi = 0;
    const int clamp = is_int && vtype_range(type, &tlo, &thi);
    for (int64_t k = 0; k < g->size[2]; k++)
        for (int64_t j = 0; j < g->size[1]; j++)
            for (int64_t i = 0; i < g->size[0]; i++) {
                const int64_t m[3] = {i, j, k};
                double c[3], f[3];
                int64_t i0[3], i1[3], nn[3];
                for (int a = 0; a < 3; a++) {
                    c[a] = g->origin[a] + g->step[a] * (double)m[a];
                    if (c[a] < 0)
                        c[a] = 0;
                    if (c[a] > (double)(n[a] - 1))
                        c[a] = (double)(n[a] - 1);
                    i0[a] = (int64_t)floor(c[a]);
                    i1[a] = i0[a] + 1 < n[a] ? i0[a] + 1 : i0[a];
                    f[a] = c[a] - (double)i0[a];
                    nn[a] = (int64_t)floor(c[a] + 0.5);
                    if (nn[a] > n[a] - 1)
                        nn[a] = n[a] - 1;
                }
                /* trilinear weights of the 8 neighbours, x fastest */
                double lin_img = 0, lin_roi = 0;
                for (int q = 0; q < 8; q++) {
                    const int64_t x = q & 1 ? i1[0] : i0[0], y = q & 2 ? i1[1] : i0[1], z = q & 4 ? i1[2] : i0[2];
                    const double w = (q & 1 ? f[0] : 1 - f[0]) * (q & 2 ? f[1] : 1 - f[1]) * (q & 4 ? f[2] : 1 - f[2]);
                    const int64_t t = x + n[0] * (y + n[1] * z);
                    lin_img += w * img[t];
                    lin_roi += w * (double)roi[t];
                }
                double v;
                if (s->interpolator == RI_BSPLINE) {
                    double w[3][4];
                    int64_t ix[3][4];
                    bspline_taps(c, n, w, ix);
                    v = 0;
                    for (int qk = 0; qk < 4; qk++)
                        for (int qj = 0; qj < 4; qj++) {
                            const double *row = coef + n[0] * (ix[1][qj] + n[1] * ix[2][qk]);
                            double vi = 0;
                            for (int qi = 0; qi < 4; qi++)
                                vi += w[0][qi] * row[ix[0][qi]];
                            v += w[2][qk] * w[1][qj] * vi;
                        }
                } else if (s->interpolator == RI_LINEAR) {
                    v = lin_img;
                } else {
                    v = img[nn[0] + n[0] * (nn[1] + n[1] * nn[2])];
                }
                if (clamp) {
                    v = round(v);
                    if (v < tlo)
                        v = tlo;
                    if (v > thi)
                        v = thi;
                }
                const int64_t dst = i + g->size[0] * (j + g->size[1] * k);
                oimg[dst] = v;
                oroi[dst] = lin_roi >= 0.5;
            }
}

/* The resampling of rresample_case / rresample_case_mask_grid: the image on (n, sp, affine), the
 * ROI on (mn, msp, maffine); sep: the two grids differ (the output grid then follows the mask,
 * as PyRadiomics' resampleImage, and each is sampled through its own affine). */
static int resample_impl(const double *img, const int64_t n[3], const double sp[3], const double affine[4][4],
                         enum vtype type, int is_int, const uint8_t *roi, const int64_t mn[3], const double msp[3],
                         const double maffine[4][4], int sep, const struct rad_settings *s, struct rresample_out *o,
                         struct sarc_err *e)
{
    memset(o, 0, sizeof *o);
    if (sep && s->ibsi)
        return ERR(e, SARC_ERR_ARG, "resampling: IBSI mode needs the mask on the image's grid (correctMask)");
    struct rresample_grid g;
    int rc = grid_compute(roi, mn, msp, s, sep, &g, e);
    if (rc)
        return rc;
    const int same = g.same;
    int64_t lo[3], size[3];
    double t[3], r[3];
    for (int a = 0; a < 3; a++) {
        lo[a] = g.lo[a];
        size[a] = g.size[a];
        t[a] = g.t[a];
        r[a] = msp[a] / t[a];
    }
    size_t N;
    if (size_mul((size_t)size[0] * (size_t)size[1], (size_t)size[2], &N) || N > ((size_t)1 << 31))
        return ERR(e, SARC_ERR_RANGE, "resampling: output too large");
    o->img = malloc(N * sizeof *o->img);
    o->roi = malloc(N);
    double *coef = NULL;
    if (!o->img || !o->roi) {
        free(o->img);
        free(o->roi);
        memset(o, 0, sizeof *o);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    for (int a = 0; a < 3; a++) {
        o->n[a] = size[a];
        o->sp[a] = same ? sp[a] : t[a];
    }
    if (same) {
        for (int64_t k = 0; k < size[2]; k++)
            for (int64_t j = 0; j < size[1]; j++)
                for (int64_t i = 0; i < size[0]; i++) {
                    const int64_t src = (i + lo[0]) + n[0] * ((j + lo[1]) + n[1] * (k + lo[2]));
                    const int64_t dst = i + size[0] * (j + size[1] * k);
                    o->img[dst] = img[src];
                    o->roi[dst] = roi[src];
                }
        return 0;
    }
    const int64_t NI = n[0] * n[1] * n[2];
    if (s->interpolator == RI_BSPLINE) {
        coef = malloc((size_t)NI * sizeof *coef);
        if (!coef) {
            free(o->img);
            free(o->roi);
            memset(o, 0, sizeof *o);
            return ERR(e, SARC_ERR_NOMEM, "out of memory");
        }
        memcpy(coef, img, (size_t)NI * sizeof *coef);
        for (int64_t k = 0; k < n[2]; k++)
            for (int64_t j = 0; j < n[1]; j++)
                prefilter_line(coef + n[0] * (j + n[1] * k), n[0], 1);
        for (int64_t k = 0; k < n[2]; k++)
            for (int64_t i = 0; i < n[0]; i++)
                prefilter_line(coef + i + n[0] * n[1] * k, n[1], n[0]);
        for (int64_t j = 0; j < n[1]; j++)
            for (int64_t i = 0; i < n[0]; i++)
                prefilter_line(coef + i + n[0] * j, n[2], n[0] * n[1]);
    }
    if (s->ibsi) {
        ibsi_sample(img, coef, roi, n, &g, s, is_int, type, o->img, o->roi);
        free(coef);
        return 0;
    }
    double tlo = 0, thi = 0;
    const int clamp = is_int && vtype_bounds(type, &tlo, &thi);
    /* Sample positions as SimpleITK computes them, so that truncation to the integer type flips
     * the same way: new origin = O + D diag(s) (0.5 (t - s) / s + lo / r); output voxel m at
     * p = origin' + D diag(t) m; input continuous index c = (D diag(s))^-1 (p - O). D is the
     * direction (the affine's columns over the spacing); we use its transpose as the inverse. */
    double D[3][3], O[3], O2[3], Dm[3][3], Om[3];
    for (int rr = 0; rr < 3; rr++) {
        O[rr] = affine[rr][3];
        Om[rr] = maffine[rr][3];
        for (int cc = 0; cc < 3; cc++) {
            D[rr][cc] = affine[rr][cc] / sp[cc];
            Dm[rr][cc] = maffine[rr][cc] / msp[cc];
        }
    }
    /* the output grid: from the mask's geometry (the image's when they are one grid) */
    double oidx[3];
    for (int a = 0; a < 3; a++)
        oidx[a] = 0.5 * (t[a] - msp[a]) / msp[a] + (double)lo[a] / r[a];
    for (int rr = 0; rr < 3; rr++) {
        O2[rr] = Om[rr];
        for (int cc = 0; cc < 3; cc++)
            O2[rr] += (Dm[rr][cc] * msp[cc]) * oidx[cc];
    }
    for (int64_t k = 0; k < size[2]; k++)
        for (int64_t j = 0; j < size[1]; j++)
            for (int64_t i = 0; i < size[0]; i++) {
                const int64_t m[3] = {i, j, k};
                double c[3], cm[3];
                int inside = 1, inside_m = 1;
                /* the continuous index of the scanline start and one step along x, then
                 * start + i * delta (SimpleITK's scanline evaluation); cm: in the mask's grid */
                double c0[3], c1[3], cm0[3], cm1[3];
                for (int q = 0; q < 2; q++) {
                    double pnt[3];
                    const double mm[3] = {(double)q, (double)j, (double)k};
                    for (int rr = 0; rr < 3; rr++) {
                        pnt[rr] = O2[rr];
                        for (int cc = 0; cc < 3; cc++)
                            pnt[rr] += (Dm[rr][cc] * t[cc]) * mm[cc];
                    }
                    double *cq = q ? c1 : c0, *cmq = q ? cm1 : cm0;
                    for (int a = 0; a < 3; a++) {
                        cq[a] = 0;
                        cmq[a] = 0;
                        for (int rr = 0; rr < 3; rr++) {
                            cq[a] += (D[rr][a] / sp[a]) * (pnt[rr] - O[rr]);
                            cmq[a] += (Dm[rr][a] / msp[a]) * (pnt[rr] - Om[rr]);
                        }
                    }
                }
                for (int a = 0; a < 3; a++) {
                    c[a] = c0[a] + (c1[a] - c0[a]) * (double)m[0];
                    cm[a] = sep ? cm0[a] + (cm1[a] - cm0[a]) * (double)m[0] : c[a];
                    if (!(c[a] >= -0.5 && c[a] < (double)n[a] - 0.5))
                        inside = 0;
                    if (!(cm[a] >= -0.5 && cm[a] < (double)mn[a] - 0.5))
                        inside_m = 0;
                }
                const int64_t dst = i + size[0] * (j + size[1] * k);
                if (!inside_m) {
                    o->roi[dst] = 0;
                } else {
                    int64_t mi[3];
                    nearest_index(cm, mn, mi);
                    o->roi[dst] = roi[mi[0] + mn[0] * (mi[1] + mn[1] * mi[2])];
                }
                if (!inside) {
                    o->img[dst] = 0;
                    continue;
                }
                int64_t nn[3];
                nearest_index(c, n, nn);
                double v;
                if (s->interpolator == RI_BSPLINE) {
                    double w[3][4];
                    int64_t ix[3][4];
                    bspline_taps(c, n, w, ix);
                    v = 0;
                    for (int qk = 0; qk < 4; qk++) {
                        if (w[2][qk] == 0)
                            continue;
                        double vj = 0;
                        for (int qj = 0; qj < 4; qj++) {
                            const double *row = coef + n[0] * (ix[1][qj] + n[1] * ix[2][qk]);
                            double vi = 0;
                            for (int qi = 0; qi < 4; qi++)
                                vi += w[0][qi] * row[ix[0][qi]];
                            vj += w[1][qj] * vi;
                        }
                        v += w[2][qk] * vj;
                    }
                } else if (s->interpolator == RI_LINEAR) {
                    int64_t i0[3], i1[3];
                    double f[3];
                    for (int a = 0; a < 3; a++) {
                        double cc = c[a] < 0 ? 0 : c[a];
                        if (cc > (double)(n[a] - 1))
                            cc = (double)(n[a] - 1);
                        i0[a] = (int64_t)floor(cc);
                        i1[a] = i0[a] + 1 < n[a] ? i0[a] + 1 : i0[a];
                        f[a] = cc - (double)i0[a];
                    }
                    /* ITK's LinearInterpolateImageFunction order: lerp along x, then y, then z */
                    double vz[2];
                    for (int qz = 0; qz < 2; qz++) {
                        double vy[2];
                        const int64_t zi = qz ? i1[2] : i0[2];
                        for (int qy = 0; qy < 2; qy++) {
                            const int64_t yi = qy ? i1[1] : i0[1];
                            const double a0 = img[i0[0] + n[0] * (yi + n[1] * zi)], a1 = img[i1[0] + n[0] * (yi + n[1] * zi)];
                            vy[qy] = a0 + (a1 - a0) * f[0];
                        }
                        vz[qz] = vy[0] + (vy[1] - vy[0]) * f[1];
                    }
                    v = vz[0] + (vz[1] - vz[0]) * f[2];
                } else {
                    v = img[nn[0] + n[0] * (nn[1] + n[1] * nn[2])];
                }
                if (clamp) {
                    if (v < tlo)
                        v = tlo;
                    if (v > thi)
                        v = thi;
                    v = trunc(v);
                }
                o->img[dst] = v;
            }
    free(coef);
    return 0;
}

int rresample_case(const double *img, const uint8_t *roi, const int64_t n[3], const double sp[3],
                   const double affine[4][4], enum vtype type, int is_int, const struct rad_settings *s,
                   struct rresample_out *o, struct sarc_err *e)
{
    return resample_impl(img, n, sp, affine, type, is_int, roi, n, sp, affine, 0, s, o, e);
}

int rresample_case_mask_grid(const double *img, const int64_t n[3], const double sp[3], const double affine[4][4],
                             enum vtype type, int is_int, const uint8_t *mroi, const int64_t mn[3], const double msp[3],
                             const double maffine[4][4], const struct rad_settings *s, struct rresample_out *o,
                             struct sarc_err *e)
{
    return resample_impl(img, n, sp, affine, type, is_int, mroi, mn, msp, maffine, 1, s, o, e);
}

/* Inverse of the 3x3 part of a and its translation: x = Ainv (w - t). */
static int affine_inverse(const double a[4][4], double inv[3][3])
{
    const double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                       a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    if (!(fabs(det) > 0) || !isfinite(det))
        return -1;
    inv[0][0] = (a[1][1] * a[2][2] - a[1][2] * a[2][1]) / det;
    inv[0][1] = (a[0][2] * a[2][1] - a[0][1] * a[2][2]) / det;
    inv[0][2] = (a[0][1] * a[1][2] - a[0][2] * a[1][1]) / det;
    inv[1][0] = (a[1][2] * a[2][0] - a[1][0] * a[2][2]) / det;
    inv[1][1] = (a[0][0] * a[2][2] - a[0][2] * a[2][0]) / det;
    inv[1][2] = (a[0][2] * a[1][0] - a[0][0] * a[1][2]) / det;
    inv[2][0] = (a[1][0] * a[2][1] - a[1][1] * a[2][0]) / det;
    inv[2][1] = (a[0][1] * a[2][0] - a[0][0] * a[2][1]) / det;
    inv[2][2] = (a[0][0] * a[1][1] - a[0][1] * a[1][0]) / det;
    return 0;
}

int rresample_check_roi(const struct volume *mask, const struct volume *image, int label, struct sarc_err *e)
{
    double iinv[3][3];
    if (affine_inverse(image->affine, iinv))
        return ERR(e, SARC_ERR_ARG, "correctMask: the image's affine is singular");
    /* PyRadiomics' _checkROI: the label's bounding box (voxel corners) mapped into the image's
     * index space must lie within [-0.5, size - 0.5] (tolerance 1e-3) */
    {
        int64_t lo[3] = {mask->dim[0], mask->dim[1], mask->dim[2]}, hi[3] = {-1, -1, -1};
        const double lab = (double)label;
        for (int64_t k = 0, t = 0; k < mask->dim[2]; k++)
            for (int64_t j = 0; j < mask->dim[1]; j++)
                for (int64_t i = 0; i < mask->dim[0]; i++, t++) {
                    const double v = mask->data[t];
                    if (!(v >= lab && v < lab + 1))
                        continue;
                    const int64_t c[3] = {i, j, k};
                    rad_bbox_add(lo, hi, c);
                }
        if (hi[0] < 0)
            return ERR(e, SARC_ERR_ARG, "label %d is not present in the mask", label);
        for (int corner = 0; corner < 2; corner++) {
            double ci[3], w[3], x[3];
            for (int a = 0; a < 3; a++)
                ci[a] = corner ? (double)hi[a] + 0.5 : (double)lo[a] - 0.5;
            for (int a = 0; a < 3; a++)
                w[a] = mask->affine[a][0] * ci[0] + mask->affine[a][1] * ci[1] + mask->affine[a][2] * ci[2] +
                       mask->affine[a][3] - image->affine[a][3];
            for (int a = 0; a < 3; a++) {
                x[a] = iinv[a][0] * w[0] + iinv[a][1] * w[1] + iinv[a][2] * w[2];
                if (x[a] < -0.5 - 1e-3 || x[a] > (double)image->dim[a] - 0.5 + 1e-3)
                    return ERR(e, SARC_ERR_ARG, "correctMask: the ROI's bounding box reaches outside the image (axis %d: continuous index %.4g, image extent -0.5..%.4g)",
                               a, x[a], (double)image->dim[a] - 0.5);
            }
        }
    }
    return 0;
}

int rresample_mask_to_grid(const struct volume *mask, const struct volume *image, int label,
                           struct volume *out, struct sarc_err *e)
{
    double inv[3][3];
    if (affine_inverse(mask->affine, inv))
        return ERR(e, SARC_ERR_ARG, "correctMask: the mask's affine is singular");
    int rc = rresample_check_roi(mask, image, label, e);
    if (rc)
        return rc;
    rc = volume_alloc_like(out, image, e);
    if (rc)
        return rc;
    const int64_t nx = image->dim[0], ny = image->dim[1], nz = image->dim[2];
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++) {
                double w[3];
                for (int a = 0; a < 3; a++)
                    w[a] = image->affine[a][0] * i + image->affine[a][1] * j + image->affine[a][2] * k + image->affine[a][3] - mask->affine[a][3];
                int64_t idx[3];
                int inside = 1;
                for (int a = 0; a < 3; a++) {
                    const double c = inv[a][0] * w[0] + inv[a][1] * w[1] + inv[a][2] * w[2];
                    if (!(c >= -0.5 && c < (double)mask->dim[a] - 0.5))
                        inside = 0;
                    idx[a] = (int64_t)floor(c + 0.5);
                    if (idx[a] > mask->dim[a] - 1)
                        idx[a] = mask->dim[a] - 1;
                }
                out->data[i + nx * (j + ny * k)] =
                    inside ? mask->data[idx[0] + mask->dim[0] * (idx[1] + mask->dim[1] * idx[2])] : 0;
            }
    return 0;
}
