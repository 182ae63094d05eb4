/* rresample.c - PyRadiomics' resampling step (imageoperations.resampleImage as described in
 * FACTS.md section 4) and correctMask. B-spline: ITK's cubic BSplineDecompositionImageFilter
 * prefilter (gain 6, pole sqrt(3) - 2, causal initialisation truncated at 18 terms, mirror
 * boundaries) over the whole image, then BSplineInterpolateImageFunction weights at
 * floor(c) - 1 .. floor(c) + 2 with mirrored indices. Samples outside [-0.5, N - 0.5) get 0.
 * Integer images are clamped and truncated back to their type. Covered by
 * test/radiomics/test_features.c (brain1_resampling: size, ROI count and all 107 features). */
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

static void bspline_weights(double t, double w[4])
{
    const double u = 1 - t;
    w[0] = u * u * u / 6.0;
    w[1] = (4.0 - 6.0 * t * t + 3.0 * t * t * t) / 6.0;
    w[2] = (1.0 + 3.0 * t + 3.0 * t * t - 3.0 * t * t * t) / 6.0;
    w[3] = t * t * t / 6.0;
}

static int vtype_bounds(enum vtype t, double *lo, double *hi)
{
    return vtype_range(t, lo, hi);
}

int rresample_case(const double *img, const uint8_t *roi, const int64_t n[3], const double sp[3],
                   const double affine[4][4], enum vtype type, int is_int, const struct rad_settings *s,
                   struct rresample_out *o, struct sarc_err *e)
{
    memset(o, 0, sizeof *o);
    /* ROI box */
    int64_t L[3], S[3], hi[3];
    for (int a = 0; a < 3; a++) {
        L[a] = n[a];
        hi[a] = -1;
    }
    for (int64_t k = 0; k < n[2]; k++)
        for (int64_t j = 0; j < n[1]; j++)
            for (int64_t i = 0; i < n[0]; i++)
                if (roi[i + n[0] * (j + n[1] * k)]) {
                    const int64_t c[3] = {i, j, k};
                    for (int a = 0; a < 3; a++) {
                        if (c[a] < L[a])
                            L[a] = c[a];
                        if (c[a] > hi[a])
                            hi[a] = c[a];
                    }
                }
    if (hi[0] < 0)
        return ERR(e, SARC_ERR_ARG, "resampling: empty ROI");
    double t[3];
    int same = 1;
    for (int a = 0; a < 3; a++) {
        S[a] = hi[a] - L[a] + 1;
        t[a] = s->resampled_spacing[a] == 0 || S[a] == 1 ? sp[a] : s->resampled_spacing[a];
        if (fabs(sp[a] - t[a]) > 1e-8 + 1e-5 * fabs(t[a]))
            same = 0;
    }
    const double pad = s->pad_distance;
    int64_t lo[3], size[3];
    double r[3];
    for (int a = 0; a < 3; a++) {
        r[a] = same ? 1.0 : sp[a] / t[a];
        if (same) {
            /* no interpolation: crop to the box +- padDistance */
            lo[a] = L[a] - (int64_t)pad;
            int64_t h = L[a] + S[a] - 1 + (int64_t)pad;
            if (lo[a] < 0)
                lo[a] = 0;
            if (h > n[a] - 1)
                h = n[a] - 1;
            size[a] = h - lo[a] + 1;
            continue;
        }
        lo[a] = (int64_t)floor(((double)L[a] - 0.5) * r[a] - pad);
        int64_t h = (int64_t)ceil(((double)(L[a] + S[a]) - 0.5) * r[a] + pad);
        if (lo[a] < 0)
            lo[a] = 0;
        const int64_t top = (int64_t)ceil((double)n[a] * r[a]) - 1;
        if (h > top)
            h = top;
        size[a] = h - lo[a] + 1;
        if (size[a] < 1 || size[a] > (1 << 24))
            return ERR(e, SARC_ERR_RANGE, "resampling: output size %lld on axis %d", (long long)size[a], a);
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
    double tlo = 0, thi = 0;
    const int clamp = is_int && vtype_bounds(type, &tlo, &thi);
    /* Sample positions as SimpleITK computes them, so that truncation to the integer type flips
     * the same way: new origin = O + D diag(s) (0.5 (t - s) / s + lo / r); output voxel m at
     * p = origin' + D diag(t) m; input continuous index c = (D diag(s))^-1 (p - O). D is the
     * direction (the affine's columns over the spacing); we use its transpose as the inverse. */
    double D[3][3], O[3], O2[3];
    for (int rr = 0; rr < 3; rr++) {
        O[rr] = affine[rr][3];
        for (int cc = 0; cc < 3; cc++)
            D[rr][cc] = affine[rr][cc] / sp[cc];
    }
    double oidx[3];
    for (int a = 0; a < 3; a++)
        oidx[a] = 0.5 * (t[a] - sp[a]) / sp[a] + (double)lo[a] / r[a];
    for (int rr = 0; rr < 3; rr++) {
        O2[rr] = O[rr];
        for (int cc = 0; cc < 3; cc++)
            O2[rr] += (D[rr][cc] * sp[cc]) * oidx[cc];
    }
    for (int64_t k = 0; k < size[2]; k++)
        for (int64_t j = 0; j < size[1]; j++)
            for (int64_t i = 0; i < size[0]; i++) {
                const int64_t m[3] = {i, j, k};
                double c[3];
                int inside = 1;
                /* the continuous index of the scanline start and one step along x, then
                 * start + i * delta (SimpleITK's scanline evaluation) */
                double c0[3], c1[3];
                for (int q = 0; q < 2; q++) {
                    double pnt[3];
                    const double mm[3] = {(double)q, (double)j, (double)k};
                    for (int rr = 0; rr < 3; rr++) {
                        pnt[rr] = O2[rr];
                        for (int cc = 0; cc < 3; cc++)
                            pnt[rr] += (D[rr][cc] * t[cc]) * mm[cc];
                    }
                    double *cq = q ? c1 : c0;
                    for (int a = 0; a < 3; a++) {
                        cq[a] = 0;
                        for (int rr = 0; rr < 3; rr++)
                            cq[a] += (D[rr][a] / sp[a]) * (pnt[rr] - O[rr]);
                    }
                }
                for (int a = 0; a < 3; a++) {
                    c[a] = c0[a] + (c1[a] - c0[a]) * (double)m[0];
                    if (!(c[a] >= -0.5 && c[a] < (double)n[a] - 0.5))
                        inside = 0;
                }
                const int64_t dst = i + size[0] * (j + size[1] * k);
                if (!inside) {
                    o->img[dst] = 0;
                    o->roi[dst] = 0;
                    continue;
                }
                int64_t nn[3];
                for (int a = 0; a < 3; a++) {
                    nn[a] = (int64_t)floor(c[a] + 0.5);
                    if (nn[a] > n[a] - 1)
                        nn[a] = n[a] - 1;
                    if (nn[a] < 0)
                        nn[a] = 0;
                }
                o->roi[dst] = roi[nn[0] + n[0] * (nn[1] + n[1] * nn[2])];
                double v;
                if (s->interpolator == RI_BSPLINE) {
                    double w[3][4];
                    int64_t ix[3][4];
                    for (int a = 0; a < 3; a++) {
                        const double f = floor(c[a]);
                        bspline_weights(c[a] - f, w[a]);
                        for (int q = 0; q < 4; q++)
                            ix[a][q] = mirror((int64_t)f - 1 + q, n[a]);
                        if (n[a] == 1) {
                            /* a single sample: constant along this axis */
                            w[a][0] = 0; w[a][1] = 1; w[a][2] = 0; w[a][3] = 0;
                        }
                    }
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

int rresample_mask_to_grid(const struct volume *mask, const struct volume *image, int label,
                           struct volume *out, struct sarc_err *e)
{
    (void)label;
    double inv[3][3];
    if (affine_inverse(mask->affine, inv))
        return ERR(e, SARC_ERR_ARG, "correctMask: the mask's affine is singular");
    int rc = volume_alloc_like(out, image, e);
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
