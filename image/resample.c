/* resample.c - resampling onto a new grid with nearest, linear or cubic B-spline interpolation,
 * with SimpleITK's Resample semantics (ITK ResampleImageFilter + interpolators):
 *   - an output voxel maps through its affine to world, then through the input's inverse affine
 *     to a continuous input index x; it gets `fill` unless every x[d] is in [-0.5, size - 0.5)
 *     (ITK ImageFunction::IsInsideBuffer);
 *   - nearest: index floor(x + 0.5) (ITK's RoundHalfIntegerUp);
 *   - linear: trilinear, an axis whose neighbour lies outside is not interpolated (the value at
 *     the border index is used), as ITK's LinearInterpolateImageFunction;
 *   - bspline: ITK's BSplineInterpolateImageFunction of order 3 (sitkBSpline): coefficients from
 *     BSplineDecompositionImageFilter (pole sqrt(3) - 2, gain 6, mirror boundaries, causal
 *     initialisation over a horizon of ceil(ln(1e-10) / ln|z|) samples), evaluated with the
 *     mirror boundary at indices floor(x) - 1 .. floor(x) + 2.
 * resample_spacing keeps origin and direction and uses size round(size * old / new) per axis (the
 * contract in resample.h). Output voxels are computed in parallel, one row per task.
 * Covered by test/image/test_resample.c (SimpleITK 2.5 goldens). */
#include "image/resample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "vendor/pool.h"

/* The world -> continuous-index map of an affine as ITK builds it: x = diag(1/spacing) D^-1 (w - o),
 * with D the direction (the affine's columns divided by their norms; D^-1 = D^T when D is
 * orthonormal, which keeps axis-aligned grids exact), else the general 3x3 inverse.
 * Fills lin (3x3) and org; returns -1 if the affine is singular. */
static int affine_index_map(const double a[4][4], double lin[3][3], double org[3])
{
    double sp[3], d[3][3];
    for (int c = 0; c < 3; c++) {
        sp[c] = sqrt(a[0][c] * a[0][c] + a[1][c] * a[1][c] + a[2][c] * a[2][c]);
        if (!(sp[c] > 0) || !isfinite(sp[c]))
            return -1;
        for (int r = 0; r < 3; r++)
            d[r][c] = a[r][c] / sp[c];
        org[c] = a[c][3];
    }
    double orth = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double t = 0;
            for (int k = 0; k < 3; k++)
                t += d[k][i] * d[k][j];
            orth = fmax(orth, fabs(t - (i == j)));
        }
    if (orth < 1e-9) {
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < 3; r++)
                lin[c][r] = d[r][c] * (1.0 / sp[c]);
        return 0;
    }
    const double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
                       a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                       a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    if (!(fabs(det) > 1e-300) || !isfinite(det))
        return -1;
    lin[0][0] = (a[1][1] * a[2][2] - a[1][2] * a[2][1]) / det;
    lin[0][1] = (a[0][2] * a[2][1] - a[0][1] * a[2][2]) / det;
    lin[0][2] = (a[0][1] * a[1][2] - a[0][2] * a[1][1]) / det;
    lin[1][0] = (a[1][2] * a[2][0] - a[1][0] * a[2][2]) / det;
    lin[1][1] = (a[0][0] * a[2][2] - a[0][2] * a[2][0]) / det;
    lin[1][2] = (a[0][2] * a[1][0] - a[0][0] * a[1][2]) / det;
    lin[2][0] = (a[1][0] * a[2][1] - a[1][1] * a[2][0]) / det;
    lin[2][1] = (a[0][1] * a[2][0] - a[0][0] * a[2][1]) / det;
    lin[2][2] = (a[0][0] * a[1][1] - a[0][1] * a[1][0]) / det;
    return 0;
}

/* In-place cubic B-spline prefilter of one line of n samples (stride apart). */
static void bspline_prefilter_line(double *c, int64_t n, int64_t stride)
{
    if (n < 2)
        return;
    const double z = sqrt(3.0) - 2.0;
    const double lambda = (1.0 - z) * (1.0 - 1.0 / z);
    for (int64_t i = 0; i < n; i++)
        c[i * stride] *= lambda;
    /* causal initialisation (mirror boundary) */
    const int64_t horizon = (int64_t)ceil(log(1e-10) / log(fabs(z)));
    double sum;
    if (horizon < n) {
        double zn = z;
        sum = c[0];
        for (int64_t i = 1; i < horizon; i++) {
            sum += zn * c[i * stride];
            zn *= z;
        }
    } else {
        double zn = z;
        const double iz = 1.0 / z;
        double z2n = pow(z, (double)(n - 1));
        sum = c[0] + z2n * c[(n - 1) * stride];
        z2n *= z2n * iz;
        for (int64_t i = 1; i <= n - 2; i++) {
            sum += (zn + z2n) * c[i * stride];
            zn *= z;
            z2n *= iz;
        }
        sum /= 1.0 - zn * zn;
    }
    c[0] = sum;
    for (int64_t i = 1; i < n; i++)
        c[i * stride] += z * c[(i - 1) * stride];
    /* anti-causal initialisation and recursion */
    c[(n - 1) * stride] = (z / (z * z - 1.0)) * (z * c[(n - 2) * stride] + c[(n - 1) * stride]);
    for (int64_t i = n - 2; i >= 0; i--)
        c[i * stride] = z * (c[(i + 1) * stride] - c[i * stride]);
}

struct prefilter_ctx {
    double *c;
    int64_t dim[3];
    int axis;
};

static void prefilter_chunk(void *arg, int64_t b, int64_t e, int64_t chunk)
{
    (void)chunk;
    struct prefilter_ctx *P = arg;
    const int64_t nx = P->dim[0], ny = P->dim[1];
    for (int64_t line = b; line < e; line++) {
        if (P->axis == 0)
            bspline_prefilter_line(P->c + line * nx, nx, 1);
        else if (P->axis == 1)
            bspline_prefilter_line(P->c + (line % nx) + (line / nx) * nx * ny, ny, nx);
        else
            bspline_prefilter_line(P->c + line, P->dim[2], nx * ny);
    }
}

/* Mirror an index into [0, n): period 2n - 2 (ITK's mirror boundary). */
static int64_t mirror_index(int64_t i, int64_t n)
{
    if (n == 1)
        return 0;
    const int64_t p = 2 * n - 2;
    if (i < 0)
        i = -i;
    i %= p;
    return i >= n ? p - i : i;
}

struct resample_ctx {
    const double *src; /* input values, or B-spline coefficients */
    int64_t in_dim[3];
    double *dst;
    int64_t out_dim[3];
    double out_aff[4][4]; /* output index -> world */
    double lin[3][3], org[3]; /* world -> input continuous index: lin (w - org) */
    enum interp mode;
    double fill;
};

static double sample_linear(const struct resample_ctx *R, const double x[3])
{
    int64_t b[3];
    double d[3];
    for (int a = 0; a < 3; a++) {
        double f = floor(x[a]);
        b[a] = (int64_t)f;
        d[a] = x[a] - f;
        if (b[a] < 0) {
            b[a] = 0;
            d[a] = 0;
        }
        if (b[a] >= R->in_dim[a] - 1) {
            b[a] = R->in_dim[a] - 1;
            d[a] = 0;
        }
    }
    const int64_t nx = R->in_dim[0], ny = R->in_dim[1];
    double v = 0;
    for (int c = 0; c < 8; c++) {
        const int ox = c & 1, oy = (c >> 1) & 1, oz = (c >> 2) & 1;
        const double w = (ox ? d[0] : 1 - d[0]) * (oy ? d[1] : 1 - d[1]) * (oz ? d[2] : 1 - d[2]);
        if (w == 0)
            continue;
        v += w * R->src[(b[0] + ox) + nx * ((b[1] + oy) + ny * (b[2] + oz))];
    }
    return v;
}

static double sample_bspline(const struct resample_ctx *R, const double x[3])
{
    int64_t idx[3][4];
    double w[3][4];
    for (int a = 0; a < 3; a++) {
        const int64_t s = (int64_t)floor(x[a]) - 1;
        const double t = x[a] - (double)(s + 1);
        w[a][3] = t * t * t / 6.0;
        w[a][0] = 1.0 / 6.0 + 0.5 * t * (t - 1.0) - w[a][3];
        w[a][2] = t + w[a][0] - 2.0 * w[a][3];
        w[a][1] = 1.0 - w[a][0] - w[a][2] - w[a][3];
        for (int k = 0; k < 4; k++)
            idx[a][k] = mirror_index(s + k, R->in_dim[a]);
    }
    const int64_t nx = R->in_dim[0], ny = R->in_dim[1];
    double v = 0;
    for (int kz = 0; kz < 4; kz++) {
        double vy = 0;
        for (int ky = 0; ky < 4; ky++) {
            const double *row = R->src + nx * (idx[1][ky] + ny * idx[2][kz]);
            double vx = 0;
            for (int kx = 0; kx < 4; kx++)
                vx += w[0][kx] * row[idx[0][kx]];
            vy += w[1][ky] * vx;
        }
        v += w[2][kz] * vy;
    }
    return v;
}

static void resample_rows(void *arg, int64_t b, int64_t e, int64_t chunk)
{
    (void)chunk;
    struct resample_ctx *R = arg;
    const int64_t nx = R->out_dim[0], ny = R->out_dim[1];
    for (int64_t row = b; row < e; row++) {
        const int64_t j = row % ny, k = row / ny;
        for (int64_t i = 0; i < nx; i++) {
            double x[3];
            int inside = 1;
            double w[3];
            for (int a = 0; a < 3; a++)
                w[a] = R->out_aff[a][3] + (R->out_aff[a][0] * (double)i + R->out_aff[a][1] * (double)j +
                                           R->out_aff[a][2] * (double)k) - R->org[a];
            for (int a = 0; a < 3; a++) {
                x[a] = R->lin[a][0] * w[0] + R->lin[a][1] * w[1] + R->lin[a][2] * w[2];
                /* written as !(in range) so that NaN counts as outside */
                if (!(x[a] >= -0.5 && x[a] < (double)R->in_dim[a] - 0.5))
                    inside = 0;
            }
            double v = R->fill;
            if (inside) {
                if (R->mode == INTERP_NEAREST) {
                    int64_t q[3];
                    for (int a = 0; a < 3; a++) {
                        q[a] = (int64_t)floor(x[a] + 0.5);
                        q[a] = q[a] < 0 ? 0 : (q[a] >= R->in_dim[a] ? R->in_dim[a] - 1 : q[a]);
                    }
                    v = R->src[q[0] + R->in_dim[0] * (q[1] + R->in_dim[1] * q[2])];
                } else if (R->mode == INTERP_LINEAR)
                    v = sample_linear(R, x);
                else
                    v = sample_bspline(R, x);
            }
            R->dst[i + nx * (j + ny * k)] = v;
        }
    }
}

int resample_to_grid(const struct volume *in, struct volume *grid, enum interp mode, double fill, struct sarc_err *e)
{
    if (!in || !in->data || !grid || !grid->data)
        return ERR(e, SARC_ERR_ARG, "resample: missing input or grid volume");
    if (mode != INTERP_NEAREST && mode != INTERP_LINEAR && mode != INTERP_BSPLINE)
        return ERR(e, SARC_ERR_ARG, "resample: unknown interpolation %d", (int)mode);
    struct resample_ctx R;
    memset(&R, 0, sizeof R);
    if (affine_index_map(in->affine, R.lin, R.org))
        return ERR(e, SARC_ERR_ARG, "resample: the input affine is singular");
    for (int a = 0; a < 3; a++) {
        R.in_dim[a] = in->dim[a];
        R.out_dim[a] = grid->dim[a];
    }
    memcpy(R.out_aff, grid->affine, sizeof R.out_aff);
    R.mode = mode;
    R.fill = fill;
    R.dst = grid->data;
    const int64_t nin = volume_frame_count(in);
    double *coef = NULL;
    if (mode == INTERP_BSPLINE) {
        coef = malloc((size_t)nin * sizeof *coef);
        if (!coef)
            return ERR(e, SARC_ERR_NOMEM, "resample: out of memory for %lld B-spline coefficients", (long long)nin);
        memcpy(coef, in->data, (size_t)nin * sizeof *coef);
        for (int axis = 0; axis < 3; axis++) {
            struct prefilter_ctx P = {coef, {in->dim[0], in->dim[1], in->dim[2]}, axis};
            const int64_t nlines = nin / in->dim[axis];
            pool_for(pool_default(), nlines, (nlines + 63) / 64, prefilter_chunk, &P);
        }
        R.src = coef;
    } else
        R.src = in->data;
    static const char *names[] = {"nearest", "linear", "bspline"};
    struct audit_step *st = audit_step_begin("resample");
    audit_param_str(st, "interp", names[mode]);
    audit_param_num(st, "fill", fill);
    audit_input_volume(st, "image", in);
    const int64_t rows = grid->dim[1] * grid->dim[2];
    pool_for(pool_default(), rows, 16, resample_rows, &R);
    audit_output_volume(st, "resampled", grid);
    audit_step_end(st);
    free(coef);
    return 0;
}

int resample_spacing(const struct volume *in, const double spacing[3], enum interp mode, struct volume *out, struct sarc_err *e)
{
    memset(out, 0, sizeof *out);
    if (!in || !in->data)
        return ERR(e, SARC_ERR_ARG, "resample: missing input volume");
    int64_t dim[4] = {1, 1, 1, 1};
    for (int a = 0; a < 3; a++) {
        if (!(spacing[a] > 0) || !isfinite(spacing[a]))
            return ERR(e, SARC_ERR_ARG, "spacing[%d] = %g, expected a positive finite value (mm)", a, spacing[a]);
        if (!(in->spacing[a] > 0) || !isfinite(in->spacing[a]))
            return ERR(e, SARC_ERR_FORMAT, "input spacing[%d] = %g, expected a positive finite value", a, in->spacing[a]);
        const double n = floor((double)in->dim[a] * in->spacing[a] / spacing[a] + 0.5);
        if (!(n <= 65535.0 * 16))
            return ERR(e, SARC_ERR_RANGE, "resampled extent along axis %d would be %.0f voxels", a, n);
        dim[a] = n < 1 ? 1 : (int64_t)n;
    }
    int rc = volume_alloc(out, 3, dim, e);
    if (rc)
        return rc;
    /* same origin and direction: scale the affine's columns to the new spacing */
    double col[3];
    volume_spacing_from_affine(in->affine, col);
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            out->affine[r][c] = in->affine[r][c];
    for (int c = 0; c < 3; c++) {
        const double s = col[c] > 0 ? spacing[c] / col[c] : spacing[c] / in->spacing[c];
        for (int r = 0; r < 3; r++)
            out->affine[r][c] = in->affine[r][c] * s;
    }
    for (int a = 0; a < 3; a++)
        out->spacing[a] = spacing[a];
    out->spacing[3] = 1;
    /* the NIfTI forms follow the affine; codes are kept */
    out->qform_code = in->qform_code;
    out->sform_code = in->sform_code > 0 ? in->sform_code : 0;
    memcpy(out->qform, out->affine, sizeof out->qform);
    memcpy(out->sform, out->affine, sizeof out->sform);
    out->type = (mode != INTERP_NEAREST && vtype_is_int(in->type)) ? VT_F32 : in->type;
    out->scl_slope = 0;
    out->scl_inter = 0;
    memcpy(out->format, in->format, sizeof out->format);
    rc = resample_to_grid(in, out, mode, 0.0, e);
    if (rc)
        volume_free(out);
    return rc;
}
