/* n4.c - N4 bias-field correction (Tustison et al. 2010) following ITK 5.4's
 * N4BiasFieldCorrectionImageFilter, which SimpleITK 2.5 wraps:
 *   - log domain: included voxels (mask non-zero and weight > 0) with a positive value are
 *     replaced by their log; others keep their value (as ITK);
 *   - per level, up to maximum_number_of_iterations[level] iterations while the convergence
 *     measure (coefficient of variation, sample std / mean, of exp(old - new log-bias) over the
 *     included voxels) exceeds convergence_threshold:
 *       1. sharpen: histogram of the uncorrected log image over [min, max] with
 *          number_of_histogram_bins bins and triangular Parzen windowing, zero-padded to
 *          2^(ceil(log2 bins) + 1); Wiener deconvolution of a Gaussian of FWHM bias_field_fwhm
 *          (in log units) with noise wiener_filter_noise; the expected value E(u|v) maps each
 *          voxel (linear interpolation between bins); all through our FFT (image/fft.c);
 *       2. residual = uncorrected - sharpened, fitted by one level of B-spline scattered-data
 *          approximation (Lee, Wolberg & Shin 1997 as ITK's BSplineScatteredDataPointSetTo-
 *          ImageFilter: delta += w v B^3 / sum B^2, omega += w B^2, phi = delta / omega) on a
 *          lattice of number_of_control_points (initially; mesh = points - order spans) over the
 *          image's index domain, parameter p = spans * index / (size - 1) (with ITK's 1e-3 span
 *          clamp at the upper end);
 *       3. phi is added to the total lattice; the log-bias field is the lattice evaluated on the
 *          grid; uncorrected = log input - log-bias;
 *     after each level but the last the lattice is refined exactly (mesh doubled per axis);
 *   - output = input / exp(log-bias) at every voxel.
 * ITK's histogram range, reproduced (true_range = 0): its scan (x fastest, then y, z) tests a
 *   voxel for the minimum only when it is not a new running maximum, so the first included voxel,
 *   and any running maximum below the others, are left out of the minimum; such voxels fall
 *   below bin 0, add nothing to the histogram and are sharpened to the top bin's E(u|v) (ITK's
 *   unsigned bin index wraps). When the first included voxel is the darkest this changes the
 *   field (a phantom scan: r(log-bias) 0.955 with the true range against SimpleITK, 1.000000 as
 *   ITK). true_range = 1 takes the true minimum and maximum.
 * Deliberate differences from ITK: sums are in double (ITK uses float for float images);
 *   optional shrinking (ANTs' -s) subsamples as ITK's ShrinkImageFilter (sitk.Shrink): floor(n / f)
 *   voxels per axis, voxel j taken from input index j * f + round((n - floor(n / f) * f + f - 1) / 2)
 *   (the centred block's middle, halves rounded up), fits there and evaluates the lattice on the
 *   full-resolution grid with the parametric domain stretched over that grid, p = spans * i / (n - 1),
 *   as SimpleITK's GetLogBiasFieldAsImage(full image) and ANTs' BSplineControlPointImageFilter do;
 *   the default mask is Otsu's foreground.
 * Parallel and deterministic: every pass is a pool_for over z-slab chunks whose count depends on
 * the grid only; reductions (histogram, fit, statistics) combine per-chunk partials in order.
 * Covered by test/image/test_n4.c. */
#include "image/n4.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/components.h"
#include "image/fft.h"
#include "io/audit.h"
#include "vendor/pool.h"
#include "vendor/progress.h"

#define N4_MAX_ORDER 5
#define N4_CHUNKS 16 /* upper bound of z-slab chunks per pass */

void n4_params_default(struct n4_params *p)
{
    memset(p, 0, sizeof *p);
    p->shrink_factor = 1;
    p->levels = 4;
    for (int l = 0; l < 4; l++)
        p->maximum_number_of_iterations[l] = 50;
    p->convergence_threshold = 0.001;
    p->bias_field_fwhm = 0.15;
    p->wiener_filter_noise = 0.01;
    p->number_of_histogram_bins = 200;
    for (int d = 0; d < 3; d++)
        p->number_of_control_points[d] = 4;
    p->spline_order = 3;
}

void n4_params_paper(struct n4_params *p)
{
    n4_params_default(p);
    p->shrink_factor = 4;
    p->levels = 3;
    for (int l = 0; l < 3; l++)
        p->maximum_number_of_iterations[l] = 100;
    p->maximum_number_of_iterations[3] = 0;
    p->convergence_threshold = 0.005;
    p->bias_field_fwhm = 0.3;
}

/* B-spline basis values of degree `order` for the order + 1 control points of a span, at local
 * coordinate f (uniform integer knots; the Cox-de Boor triangle, so f outside [0, 1) continues
 * the span's polynomials). */
static void bspline_basis(int order, double f, double *w)
{
    double left[N4_MAX_ORDER + 1], right[N4_MAX_ORDER + 1];
    w[0] = 1.0;
    for (int j = 1; j <= order; j++) {
        left[j] = f + j - 1;
        right[j] = j - f;
        double saved = 0.0;
        for (int r = 0; r < j; r++) {
            const double t = w[r] / (double)j; /* right[r+1] + left[j-r] = j for uniform knots */
            w[r] = saved + right[r + 1] * t;
            saved = left[j - r] * t;
        }
        w[j] = saved;
    }
}

/* Per-axis evaluation table: span index and order + 1 weights for each grid position. */
struct axis_tab {
    int64_t n;
    int *span;
    double *w;  /* (n, order + 1) */
    double *s2; /* sum of squared weights per position */
};

/* Fills t for n positions on a lattice with `spans` spans. Position i has parameter
 * spans * i / (n - 1) (ITK's BSplineControlPointImageFilter over an image's index domain). */
static void axis_tab_fill(struct axis_tab *t, int64_t n, int spans, int order)
{
    t->n = n;
    const double r = n > 1 ? (double)spans / (double)(n - 1) : 0.0;
    const double eps = r * 1e-3;
    for (int64_t i = 0; i < n; i++) {
        double p = (double)i * r;
        if (fabs(p - spans) <= eps)
            p = spans - eps;
        if (p < 0 && fabs(p) <= eps)
            p = 0;
        int s = (int)floor(p);
        s = s < 0 ? 0 : (s > spans - 1 ? spans - 1 : s);
        double *w = t->w + i * (order + 1);
        bspline_basis(order, p - s, w);
        t->span[i] = s;
        double s2 = 0;
        for (int q = 0; q <= order; q++)
            s2 += w[q] * w[q];
        t->s2[i] = s2;
    }
}

/* The working state on the (possibly shrunk) grid. */
struct n4_state {
    int64_t dim[3], n;
    int order;
    const struct n4_params *par;
    double *logi;   /* log input (included voxels), (nz, ny, nx) */
    double *logu;   /* uncorrected log image */
    double *resid;  /* residual to fit */
    double *field;  /* current log-bias */
    double *fold;   /* previous log-bias */
    double *wgt;    /* fit weight, 0 = excluded */
    int ncp[3];     /* current lattice size */
    double *lat;    /* total lattice (ncx, ncy, ncz), x fastest */
    double *phi;    /* this iteration's lattice */
    struct axis_tab tab[3];
    /* per-chunk scratch */
    int64_t grain, nchunks;
    double *part_d, *part_o; /* (nchunks, lattice) */
    double *plane;           /* (nchunks, 2 * ncx * ncy + 2 * ncx) */
    double *hist;            /* (nchunks, bins) */
    double *stat;            /* (nchunks, 3) */
    double lo, hi, slope;
    double *emap;            /* E(u|v) per bin */
    double *chunk_hi;        /* (nchunks) ITK's range: the running maximum before each chunk */
    int64_t lat_cap, plane_cap;
};

/* ---- histogram sharpening ---- */

static void minmax_chunk(void *arg, int64_t b, int64_t e, int64_t chunk)
{
    struct n4_state *S = arg;
    const int64_t sl = S->dim[0] * S->dim[1];
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t v = b * sl; v < e * sl; v++)
        if (S->wgt[v] > 0) {
            lo = S->logu[v] < lo ? S->logu[v] : lo;
            hi = S->logu[v] > hi ? S->logu[v] : hi;
        }
    S->stat[3 * chunk] = lo;
    S->stat[3 * chunk + 1] = hi;
}

/* ITK's minimum (SharpenImage): in scan order, a voxel above the running maximum raises it and is
 * not tested for the minimum; the running maximum enters the chunk as chunk_hi[chunk]. */
static void itk_min_chunk(void *arg, int64_t b, int64_t e, int64_t chunk)
{
    struct n4_state *S = arg;
    const int64_t sl = S->dim[0] * S->dim[1];
    double lo = INFINITY, hi = S->chunk_hi[chunk];
    for (int64_t v = b * sl; v < e * sl; v++)
        if (S->wgt[v] > 0) {
            const double x = S->logu[v];
            if (x > hi)
                hi = x;
            else if (x < lo)
                lo = x;
        }
    S->stat[3 * chunk] = lo;
}

static void hist_chunk(void *arg, int64_t b, int64_t e, int64_t chunk)
{
    struct n4_state *S = arg;
    const int nb = S->par->number_of_histogram_bins;
    double *h = S->hist + chunk * nb;
    memset(h, 0, sizeof(double) * (size_t)nb);
    const int64_t sl = S->dim[0] * S->dim[1];
    for (int64_t v = b * sl; v < e * sl; v++) {
        if (!(S->wgt[v] > 0))
            continue;
        const double c = (S->logu[v] - S->lo) / S->slope;
        if (c < 0)
            continue; /* below ITK's minimum: its unsigned bin index wraps, nothing is added */
        const int64_t idx = (int64_t)floor(c);
        const double off = c - (double)idx;
        if (off == 0.0 && idx < nb)
            h[idx] += 1.0;
        else if (idx < nb - 1) {
            h[idx] += 1.0 - off;
            h[idx + 1] += off;
        }
    }
}

static void sharpen_map_chunk(void *arg, int64_t b, int64_t e, int64_t chunk)
{
    (void)chunk;
    struct n4_state *S = arg;
    const int nb = S->par->number_of_histogram_bins;
    const int64_t sl = S->dim[0] * S->dim[1];
    for (int64_t v = b * sl; v < e * sl; v++) {
        if (!(S->wgt[v] > 0)) {
            S->resid[v] = 0;
            continue;
        }
        const double c = (S->logu[v] - S->lo) / S->slope;
        const double fl = floor(c);
        double sharp;
        if (fl >= 0 && fl < nb - 1) {
            const int64_t idx = (int64_t)fl;
            sharp = S->emap[idx] + (S->emap[idx + 1] - S->emap[idx]) * (c - fl);
        } else
            sharp = S->emap[nb - 1]; /* above the range, or below it (ITK's wrapped index) */
        S->resid[v] = S->logu[v] - sharp;
    }
}

/* residual = logu - E(logu), the sharpening step of ITK's SharpenImage. */
static int n4_sharpen(struct n4_state *S, double *fftbuf, struct sarc_err *e)
{
    const int nb = S->par->number_of_histogram_bins;
    struct pool *pool = pool_default();
    pool_for(pool, S->dim[2], S->grain, minmax_chunk, S);
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t c = 0; c < S->nchunks; c++) {
        S->chunk_hi[c] = hi; /* the running maximum entering chunk c */
        lo = S->stat[3 * c] < lo ? S->stat[3 * c] : lo;
        hi = S->stat[3 * c + 1] > hi ? S->stat[3 * c + 1] : hi;
    }
    if (!S->par->true_range) {
        pool_for(pool, S->dim[2], S->grain, itk_min_chunk, S);
        lo = INFINITY;
        for (int64_t c = 0; c < S->nchunks; c++)
            lo = S->stat[3 * c] < lo ? S->stat[3 * c] : lo;
        if (!(lo < INFINITY))
            lo = hi; /* every voxel raised the maximum (strictly increasing scan): no range */
    }
    S->lo = lo;
    S->hi = hi;
    S->slope = (hi - lo) / (double)(nb - 1);
    if (!(S->slope > 0) || !isfinite(S->slope)) {
        /* a constant image: nothing to sharpen, the residual is zero */
        memset(S->resid, 0, sizeof(double) * (size_t)S->n);
        return 0;
    }
    pool_for(pool, S->dim[2], S->grain, hist_chunk, S);
    /* padded size 2^(ceil(log2(bins)) + 1), histogram centred */
    int64_t padded = 1;
    while (padded < nb)
        padded <<= 1;
    padded <<= 1;
    const int64_t offset = (padded - nb) / 2;
    double *V = fftbuf, *F = fftbuf + 2 * padded, *U = fftbuf + 4 * padded, *num = fftbuf + 6 * padded;
    memset(fftbuf, 0, sizeof(double) * 8 * (size_t)padded);
    for (int b = 0; b < nb; b++) {
        double h = 0;
        for (int64_t c = 0; c < S->nchunks; c++)
            h += S->hist[c * nb + b];
        V[2 * (b + offset)] = h;
    }
    int rc = fft_complex(V, padded, -1, e);
    /* Gaussian of FWHM in bins, unit area, wrapped around 0 */
    const double sfwhm = S->par->bias_field_fwhm / S->slope;
    const double expf_ = 4.0 * log(2.0) / (sfwhm * sfwhm);
    const double scalef = 2.0 * sqrt(log(2.0) / 3.14159265358979323846) / sfwhm;
    F[0] = scalef;
    for (int64_t k = 1; k <= padded / 2; k++)
        F[2 * k] = F[2 * (padded - k)] = scalef * exp(-(double)(k * k) * expf_);
    if (!rc)
        rc = fft_complex(F, padded, -1, e);
    if (rc)
        return rc;
    /* Wiener filter G = conj(F) / (|F|^2 + noise); ITK uses its real part */
    for (int64_t k = 0; k < padded; k++) {
        const double fr = F[2 * k], fi = F[2 * k + 1];
        const double den_r = fr * fr + fi * fi + S->par->wiener_filter_noise;
        const double g = fr / den_r; /* real part of (fr - i fi) / den_r */
        U[2 * k] = V[2 * k] * g;
        U[2 * k + 1] = V[2 * k + 1] * g;
    }
    if ((rc = fft_complex(U, padded, 1, e)))
        return rc;
    for (int64_t k = 0; k < padded; k++) {
        U[2 * k] = U[2 * k] > 0 ? U[2 * k] : 0.0; /* unnormalised: the ratio below cancels 1/n */
        U[2 * k + 1] = 0;
        num[2 * k] = (lo + (double)(k - offset) * S->slope) * U[2 * k];
        num[2 * k + 1] = 0;
    }
    /* E = (num * F) / (U * F), both smoothed by the Gaussian through the FFT */
    if ((rc = fft_complex(num, padded, -1, e)) || (rc = fft_complex(U, padded, -1, e)))
        return rc;
    for (int64_t k = 0; k < padded; k++) {
        const double fr = F[2 * k], fi = F[2 * k + 1];
        double r = num[2 * k] * fr - num[2 * k + 1] * fi, i = num[2 * k] * fi + num[2 * k + 1] * fr;
        num[2 * k] = r, num[2 * k + 1] = i;
        r = U[2 * k] * fr - U[2 * k + 1] * fi, i = U[2 * k] * fi + U[2 * k + 1] * fr;
        U[2 * k] = r, U[2 * k + 1] = i;
    }
    if ((rc = fft_complex(num, padded, 1, e)) || (rc = fft_complex(U, padded, 1, e)))
        return rc;
    for (int b = 0; b < nb; b++) {
        const double d = U[2 * (b + offset)];
        S->emap[b] = d != 0.0 ? num[2 * (b + offset)] / d : 0.0;
    }
    pool_for(pool, S->dim[2], S->grain, sharpen_map_chunk, S);
    return 0;
}

/* ---- B-spline fit and evaluation ---- */

static void fit_chunk(void *arg, int64_t b, int64_t e, int64_t chunk)
{
    struct n4_state *S = arg;
    const int p = S->order, ncx = S->ncp[0], ncy = S->ncp[1];
    const int64_t L = (int64_t)ncx * ncy * S->ncp[2];
    const int64_t nx = S->dim[0], ny = S->dim[1];
    double *D = S->part_d + chunk * S->lat_cap, *O = S->part_o + chunk * S->lat_cap;
    double *pd = S->plane + chunk * S->plane_cap, *po = pd + ncx * ncy, *rd = po + ncx * ncy, *ro = rd + ncx;
    memset(D, 0, sizeof(double) * (size_t)L);
    memset(O, 0, sizeof(double) * (size_t)L);
    for (int64_t k = b; k < e; k++) {
        memset(pd, 0, sizeof(double) * 2 * (size_t)(ncx * ncy));
        for (int64_t j = 0; j < ny; j++) {
            memset(rd, 0, sizeof(double) * 2 * (size_t)ncx);
            const double syz = S->tab[1].s2[j] * S->tab[2].s2[k];
            const int64_t row = nx * (j + ny * k);
            int any = 0;
            for (int64_t i = 0; i < nx; i++) {
                const double wc = S->wgt[row + i];
                if (!(wc > 0))
                    continue;
                any = 1;
                const double t = wc * S->resid[row + i] / (S->tab[0].s2[i] * syz);
                const double *w = S->tab[0].w + i * (p + 1);
                const int s = S->tab[0].span[i];
                for (int q = 0; q <= p; q++) {
                    const double b2 = w[q] * w[q];
                    rd[s + q] += t * b2 * w[q];
                    ro[s + q] += wc * b2;
                }
            }
            if (!any)
                continue;
            const double *wy = S->tab[1].w + j * (p + 1);
            const int sy = S->tab[1].span[j];
            for (int q = 0; q <= p; q++) {
                const double b2 = wy[q] * wy[q], b3 = b2 * wy[q];
                double *pdr = pd + (int64_t)ncx * (sy + q), *por = po + (int64_t)ncx * (sy + q);
                for (int a = 0; a < ncx; a++) {
                    pdr[a] += rd[a] * b3;
                    por[a] += ro[a] * b2;
                }
            }
        }
        const double *wz = S->tab[2].w + k * (p + 1);
        const int sz = S->tab[2].span[k];
        for (int q = 0; q <= p; q++) {
            const double b2 = wz[q] * wz[q], b3 = b2 * wz[q];
            double *Dz = D + (int64_t)ncx * ncy * (sz + q), *Oz = O + (int64_t)ncx * ncy * (sz + q);
            for (int64_t a = 0; a < (int64_t)ncx * ncy; a++) {
                Dz[a] += pd[a] * b3;
                Oz[a] += po[a] * b2;
            }
        }
    }
}

/* Evaluation of lattice `lat` (ncp) at the grid described by tabs into out (nz, ny, nx). */
struct eval_ctx {
    const double *lat;
    int ncp[3], order;
    const struct axis_tab *tab; /* 3 */
    double *out;
    double *scratch; /* (nchunks, ncx * ncy + ncx) */
    int64_t scratch_stride, grain;
};

static void eval_chunk(void *arg, int64_t b, int64_t e, int64_t chunk)
{
    struct eval_ctx *E = arg;
    const int p = E->order, ncx = E->ncp[0], ncy = E->ncp[1];
    const int64_t nx = E->tab[0].n, ny = E->tab[1].n;
    double *p1 = E->scratch + chunk * E->scratch_stride, *p2 = p1 + ncx * ncy;
    for (int64_t k = b; k < e; k++) {
        const double *wz = E->tab[2].w + k * (p + 1);
        const int sz = E->tab[2].span[k];
        for (int64_t a = 0; a < (int64_t)ncx * ncy; a++) {
            double s = 0;
            for (int q = 0; q <= p; q++)
                s += wz[q] * E->lat[a + (int64_t)ncx * ncy * (sz + q)];
            p1[a] = s;
        }
        for (int64_t j = 0; j < ny; j++) {
            const double *wy = E->tab[1].w + j * (p + 1);
            const int sy = E->tab[1].span[j];
            for (int a = 0; a < ncx; a++) {
                double s = 0;
                for (int q = 0; q <= p; q++)
                    s += wy[q] * p1[a + (int64_t)ncx * (sy + q)];
                p2[a] = s;
            }
            double *o = E->out + nx * (j + ny * k);
            for (int64_t i = 0; i < nx; i++) {
                const double *wx = E->tab[0].w + i * (p + 1);
                const int sx = E->tab[0].span[i];
                double s = 0;
                for (int q = 0; q <= p; q++)
                    s += wx[q] * p2[sx + q];
                o[i] = s;
            }
        }
    }
}

/* Exact refinement of a uniform B-spline lattice along every axis: the mesh doubles and
 * n control points become 2n - order, c'[2k - p + j] += 2^-p C(p+1, j) c[k]. */
static int lattice_refine(const double *c, const int ncp[3], int order, double *out, int nnew[3])
{
    double coef[N4_MAX_ORDER + 2];
    double binom = 1;
    for (int j = 0; j <= order + 1; j++) {
        coef[j] = binom / (double)(1 << order);
        binom = binom * (order + 1 - j) / (j + 1);
    }
    for (int d = 0; d < 3; d++)
        nnew[d] = 2 * ncp[d] - order;
    /* one axis at a time (x, then y, then z) through two buffers of the final size */
    const int64_t big = (int64_t)nnew[0] * nnew[1] * nnew[2];
    double *t1 = calloc((size_t)big, sizeof *t1), *t2 = calloc((size_t)big, sizeof *t2);
    if (!t1 || !t2) {
        free(t1), free(t2);
        return -1;
    }
    int cur[3] = {ncp[0], ncp[1], ncp[2]};
    const double *src = c;
    double *dst = t1;
    for (int axis = 0; axis < 3; axis++) {
        int nxt[3] = {cur[0], cur[1], cur[2]};
        nxt[axis] = nnew[axis];
        memset(dst, 0, sizeof(double) * (size_t)nxt[0] * nxt[1] * nxt[2]);
        for (int z = 0; z < cur[2]; z++)
            for (int y = 0; y < cur[1]; y++)
                for (int x = 0; x < cur[0]; x++) {
                    const double v = src[x + (int64_t)cur[0] * (y + (int64_t)cur[1] * z)];
                    const int pos[3] = {x, y, z};
                    for (int j = 0; j <= order + 1; j++) {
                        int q[3] = {x, y, z};
                        q[axis] = 2 * pos[axis] - order + j;
                        if (q[axis] < 0 || q[axis] >= nnew[axis])
                            continue;
                        dst[q[0] + (int64_t)nxt[0] * (q[1] + (int64_t)nxt[1] * q[2])] += coef[j] * v;
                    }
                }
        cur[axis] = nnew[axis];
        src = dst;
        dst = dst == t1 ? t2 : t1;
    }
    memcpy(out, src, sizeof(double) * (size_t)big);
    free(t1), free(t2);
    return 0;
}

/* ---- elementwise passes ---- */

/* logu = logi - field; convergence statistics of exp(fold - field) over included voxels
 * (Welford per chunk, like ITK's running formula). */
static void update_chunk(void *arg, int64_t b, int64_t e, int64_t chunk)
{
    struct n4_state *S = arg;
    const int64_t sl = S->dim[0] * S->dim[1];
    double n = 0, mu = 0, m2 = 0;
    for (int64_t v = b * sl; v < e * sl; v++) {
        S->logu[v] = S->logi[v] - S->field[v];
        if (!(S->wgt[v] > 0))
            continue;
        const double x = exp(S->fold[v] - S->field[v]);
        n += 1;
        const double d = x - mu;
        mu += d / n;
        m2 += d * (x - mu);
    }
    S->stat[3 * chunk] = n;
    S->stat[3 * chunk + 1] = mu;
    S->stat[3 * chunk + 2] = m2;
}

static double n4_update(struct n4_state *S)
{
    pool_for(pool_default(), S->dim[2], S->grain, update_chunk, S);
    double n = 0, mu = 0, m2 = 0;
    for (int64_t c = 0; c < S->nchunks; c++) {
        const double nb = S->stat[3 * c], mb = S->stat[3 * c + 1], m2b = S->stat[3 * c + 2];
        if (nb == 0)
            continue;
        const double d = mb - mu, nn = n + nb;
        mu += d * nb / nn;
        m2 += m2b + d * d * n * nb / nn;
        n = nn;
    }
    return n > 1 ? sqrt(m2 / (n - 1)) / mu : 0.0;
}

static int n4_check_params(const struct n4_params *p, struct sarc_err *e)
{
    if (p->shrink_factor < 1 || p->shrink_factor > 64)
        return ERR(e, SARC_ERR_ARG, "shrink factor %d, expected 1..64", p->shrink_factor);
    if (p->levels < 1 || p->levels > N4_MAX_LEVELS)
        return ERR(e, SARC_ERR_ARG, "%d fitting levels, expected 1..%d", p->levels, N4_MAX_LEVELS);
    for (int l = 0; l < p->levels; l++)
        if (p->maximum_number_of_iterations[l] < 0 || p->maximum_number_of_iterations[l] > 100000)
            return ERR(e, SARC_ERR_ARG, "iterations[%d] = %d, expected 0..100000", l, p->maximum_number_of_iterations[l]);
    if (!(p->convergence_threshold >= 0) || !isfinite(p->convergence_threshold))
        return ERR(e, SARC_ERR_ARG, "convergence threshold %g, expected >= 0", p->convergence_threshold);
    if (!(p->bias_field_fwhm > 0) || !isfinite(p->bias_field_fwhm))
        return ERR(e, SARC_ERR_ARG, "FWHM %g, expected > 0", p->bias_field_fwhm);
    if (!(p->wiener_filter_noise > 0) || !isfinite(p->wiener_filter_noise))
        return ERR(e, SARC_ERR_ARG, "Wiener filter noise %g, expected > 0", p->wiener_filter_noise);
    if (p->number_of_histogram_bins < 2 || p->number_of_histogram_bins > (1 << 20))
        return ERR(e, SARC_ERR_ARG, "%d histogram bins, expected 2..%d", p->number_of_histogram_bins, 1 << 20);
    if (p->spline_order < 1 || p->spline_order > N4_MAX_ORDER)
        return ERR(e, SARC_ERR_ARG, "spline order %d, expected 1..%d", p->spline_order, N4_MAX_ORDER);
    long long total = 1;
    for (int d = 0; d < 3; d++) {
        const int ncp = p->number_of_control_points[d];
        if (ncp < p->spline_order + 1 || ncp > 1000)
            return ERR(e, SARC_ERR_ARG, "control points[%d] = %d, expected %d..1000 (mesh >= 1)", d, ncp, p->spline_order + 1);
        /* the mesh doubles per level: keep the final lattice bounded */
        long long spans = (long long)(ncp - p->spline_order) << (p->levels - 1);
        if (spans > 4096)
            return ERR(e, SARC_ERR_ARG, "mesh %d with %d levels gives %lld spans, at most 4096", ncp - p->spline_order,
                       p->levels, spans);
        total *= spans + p->spline_order;
    }
    if (total > (1LL << 24))
        return ERR(e, SARC_ERR_ARG, "the final B-spline lattice would hold %lld control points, at most 2^24", total);
    return 0;
}

static void axis_tab_free(struct axis_tab *t)
{
    free(t->span), free(t->w), free(t->s2);
    memset(t, 0, sizeof *t);
}

static int axis_tab_alloc(struct axis_tab *t, int64_t n, int order)
{
    t->span = malloc(sizeof(int) * (size_t)n);
    t->w = malloc(sizeof(double) * (size_t)n * (size_t)(order + 1));
    t->s2 = malloc(sizeof(double) * (size_t)n);
    return t->span && t->w && t->s2 ? 0 : -1;
}

uint8_t *n4_default_mask(const struct volume *in, double *threshold)
{
    const int64_t n = volume_frame_count(in);
    const double t = otsu_threshold(in->data, n, 256);
    uint8_t *m = malloc((size_t)n);
    if (!m)
        return NULL;
    for (int64_t i = 0; i < n; i++)
        m[i] = in->data[i] > t;
    if (threshold)
        *threshold = t;
    return m;
}

int n4_correct(const struct volume *in, const uint8_t *mask, const double *weight, const struct n4_params *p,
               struct volume *corrected, struct volume *bias, struct sarc_err *e)
{
    memset(corrected, 0, sizeof *corrected);
    if (bias)
        memset(bias, 0, sizeof *bias);
    int rc = n4_check_params(p, e);
    if (rc)
        return rc;
    if (!in || !in->data)
        return ERR(e, SARC_ERR_ARG, "n4: no input volume");
    const int order = p->spline_order, f = p->shrink_factor;
    const int64_t nfull = volume_frame_count(in);
    struct n4_state S;
    memset(&S, 0, sizeof S);
    S.order = order;
    S.par = p;
    for (int d = 0; d < 3; d++) {
        S.dim[d] = in->dim[d] / f;
        if (S.dim[d] < 1)
            S.dim[d] = 1;
    }
    S.n = S.dim[0] * S.dim[1] * S.dim[2];
    /* ITK ShrinkImageFilter's sampling offset per axis: the middle c = (rest + f - 1) / 2 of the
     * centred blocks (rest = n - shrunk * f voxels left over), rounded half up = (rest + f) / 2 */
    int64_t off[3];
    for (int d = 0; d < 3; d++)
        off[d] = (in->dim[d] - S.dim[d] * f + f) / 2;
    /* lattice capacity: the final level's size */
    int64_t cap = 1;
    int ncp_final[3];
    for (int d = 0; d < 3; d++) {
        ncp_final[d] = ((p->number_of_control_points[d] - order) << (p->levels - 1)) + order;
        cap *= ncp_final[d];
    }
    S.grain = (S.dim[2] + N4_CHUNKS - 1) / N4_CHUNKS;
    S.nchunks = pool_chunks(S.dim[2], S.grain);
    S.lat_cap = cap;
    S.plane_cap = 2 * (int64_t)ncp_final[0] * ncp_final[1] + 2 * ncp_final[0];
    int64_t padded = 1;
    while (padded < p->number_of_histogram_bins)
        padded <<= 1;
    padded <<= 1;
    double *fftbuf = NULL, *eval_scratch = NULL, *ffull = NULL;
    uint8_t *otsu_mask = NULL;
    struct axis_tab ftab[3];
    memset(ftab, 0, sizeof ftab);
    const size_t nn = (size_t)S.n;
    S.logi = malloc(nn * sizeof(double));
    S.logu = malloc(nn * sizeof(double));
    S.resid = malloc(nn * sizeof(double));
    S.field = calloc(nn, sizeof(double));
    S.fold = calloc(nn, sizeof(double));
    S.wgt = malloc(nn * sizeof(double));
    S.lat = calloc((size_t)cap, sizeof(double));
    S.phi = calloc((size_t)cap, sizeof(double));
    S.part_d = malloc(sizeof(double) * (size_t)(S.nchunks * cap));
    S.part_o = malloc(sizeof(double) * (size_t)(S.nchunks * cap));
    S.plane = malloc(sizeof(double) * (size_t)(S.nchunks * S.plane_cap));
    S.hist = malloc(sizeof(double) * (size_t)(S.nchunks * p->number_of_histogram_bins));
    S.stat = malloc(sizeof(double) * 3 * (size_t)S.nchunks);
    S.emap = malloc(sizeof(double) * (size_t)p->number_of_histogram_bins);
    S.chunk_hi = malloc(sizeof(double) * (size_t)S.nchunks);
    fftbuf = malloc(sizeof(double) * 8 * (size_t)padded);
    eval_scratch = malloc(sizeof(double) * (size_t)(S.nchunks * ((int64_t)ncp_final[0] * ncp_final[1] + ncp_final[0])));
    int tabs_ok = 1;
    for (int d = 0; d < 3; d++)
        tabs_ok &= axis_tab_alloc(&S.tab[d], S.dim[d], order) == 0;
    if (!S.logi || !S.logu || !S.resid || !S.field || !S.fold || !S.wgt || !S.lat || !S.phi || !S.part_d ||
        !S.part_o || !S.plane || !S.hist || !S.stat || !S.emap || !S.chunk_hi || !fftbuf || !eval_scratch || !tabs_ok) {
        rc = ERR(e, SARC_ERR_NOMEM, "n4: out of memory for a %lld x %lld x %lld grid", (long long)S.dim[0],
                 (long long)S.dim[1], (long long)S.dim[2]);
        goto done;
    }
    /* default mask: Otsu's foreground of the input */
    double otsu = NAN;
    if (!mask) {
        if (!(otsu_mask = n4_default_mask(in, &otsu))) {
            rc = ERR(e, SARC_ERR_NOMEM, "n4: out of memory for the Otsu mask");
            goto done;
        }
        mask = otsu_mask;
    }
    /* subsample input, mask and weights; log of included positive voxels */
    int64_t included = 0;
    for (int64_t k = 0; k < S.dim[2]; k++)
        for (int64_t j = 0; j < S.dim[1]; j++)
            for (int64_t i = 0; i < S.dim[0]; i++) {
                const int64_t fi = i * f + off[0], fj = j * f + off[1], fk = k * f + off[2];
                const int64_t src = fi + in->dim[0] * (fj + in->dim[1] * fk);
                const int64_t dst = i + S.dim[0] * (j + S.dim[1] * k);
                double w = mask[src] ? (weight ? weight[src] : 1.0) : 0.0;
                if (!(w > 0) || !isfinite(w))
                    w = 0;
                const double v = in->data[src];
                if (w > 0 && !isfinite(v)) {
                    rc = ERR(e, SARC_ERR_RANGE, "n4: non-finite input value %g at voxel (%lld, %lld, %lld) in the mask", v,
                             (long long)fi, (long long)fj, (long long)fk);
                    goto done;
                }
                S.wgt[dst] = w;
                S.logi[dst] = (w > 0 && v > 0) ? log(v) : v;
                included += w > 0;
            }
    if (included < 2) {
        rc = ERR(e, SARC_ERR_ARG, "n4: the mask holds %lld voxel%s on the %s grid; at least 2 are needed",
                 (long long)included, included == 1 ? "" : "s", f > 1 ? "shrunk" : "input");
        goto done;
    }
    memcpy(S.logu, S.logi, nn * sizeof(double));

    struct audit_step *st = audit_step_begin("n4");
    audit_param_int(st, "shrink_factor", p->shrink_factor);
    audit_param_int(st, "levels", p->levels);
    for (int l = 0; l < p->levels; l++) {
        char key[48];
        snprintf(key, sizeof key, "maximum_number_of_iterations_%d", l);
        audit_param_int(st, key, p->maximum_number_of_iterations[l]);
    }
    audit_param_num(st, "convergence_threshold", p->convergence_threshold);
    audit_param_num(st, "bias_field_fwhm", p->bias_field_fwhm);
    audit_param_num(st, "wiener_filter_noise", p->wiener_filter_noise);
    audit_param_int(st, "number_of_histogram_bins", p->number_of_histogram_bins);
    audit_param_int(st, "number_of_control_points_x", p->number_of_control_points[0]);
    audit_param_int(st, "number_of_control_points_y", p->number_of_control_points[1]);
    audit_param_int(st, "number_of_control_points_z", p->number_of_control_points[2]);
    audit_param_int(st, "spline_order", order);
    audit_param_str(st, "histogram_range", p->true_range ? "true min/max" : "ITK scan");
    audit_param_str(st, "mask", otsu_mask ? "otsu" : "given");
    if (otsu_mask)
        audit_value(st, "otsu_threshold", otsu);
    audit_input_volume(st, "image", in);
    audit_value(st, "included_voxels", (double)included);

    struct progress pr;
    int64_t total_it = 0;
    for (int l = 0; l < p->levels; l++)
        total_it += p->maximum_number_of_iterations[l];
    progress_begin(&pr, "n4", total_it, "iterations");
    for (int d = 0; d < 3; d++)
        S.ncp[d] = p->number_of_control_points[d];
    struct eval_ctx E = {S.lat, {0, 0, 0}, order, S.tab, S.field, eval_scratch, 0, S.grain};
    for (int level = 0; level < p->levels; level++) {
        for (int d = 0; d < 3; d++)
            axis_tab_fill(&S.tab[d], S.dim[d], S.ncp[d] - order, order);
        const int64_t L = (int64_t)S.ncp[0] * S.ncp[1] * S.ncp[2];
        double cv = INFINITY;
        int it = 0;
        while (it < p->maximum_number_of_iterations[level] && cv > p->convergence_threshold) {
            it++;
            if ((rc = n4_sharpen(&S, fftbuf, e)))
                break;
            pool_for(pool_default(), S.dim[2], S.grain, fit_chunk, &S);
            /* combine the chunks' partial sums in order; phi = delta / omega */
            for (int64_t a = 0; a < L; a++) {
                double dsum = 0, osum = 0;
                for (int64_t c = 0; c < S.nchunks; c++) {
                    dsum += S.part_d[c * S.lat_cap + a];
                    osum += S.part_o[c * S.lat_cap + a];
                }
                double ph = osum != 0.0 ? dsum / osum : 0.0;
                S.lat[a] += isfinite(ph) ? ph : 0.0;
            }
            double *t = S.fold;
            S.fold = S.field;
            S.field = t;
            memcpy(E.ncp, S.ncp, sizeof E.ncp);
            E.lat = S.lat;
            E.out = S.field;
            E.scratch_stride = (int64_t)S.ncp[0] * S.ncp[1] + S.ncp[0];
            pool_for(pool_default(), S.dim[2], S.grain, eval_chunk, &E);
            cv = n4_update(&S);
            progress_add(&pr, 1);
        }
        if (rc)
            break;
        progress_add(&pr, p->maximum_number_of_iterations[level] - it);
        char key[48];
        snprintf(key, sizeof key, "iterations_level_%d", level);
        audit_value(st, key, it);
        snprintf(key, sizeof key, "convergence_level_%d", level);
        audit_value(st, key, isfinite(cv) ? cv : -1);
        if (level < p->levels - 1) {
            int nnew[3];
            if (lattice_refine(S.lat, S.ncp, order, S.phi, nnew)) {
                rc = ERR(e, SARC_ERR_NOMEM, "n4: out of memory refining the lattice");
                break;
            }
            memcpy(S.lat, S.phi, sizeof(double) * (size_t)nnew[0] * nnew[1] * nnew[2]);
            memcpy(S.ncp, nnew, sizeof S.ncp);
        }
    }
    progress_end(&pr);
    if (rc) {
        audit_step_end(st);
        goto done;
    }
    /* the log-bias on the full grid */
    if ((rc = volume_alloc_like(corrected, in, e)))
        goto done_audit;
    if (f == 1)
        ffull = S.field;
    else {
        ffull = malloc(sizeof(double) * (size_t)nfull);
        int ok = ffull != NULL;
        for (int d = 0; d < 3 && ok; d++) {
            ok = axis_tab_alloc(&ftab[d], in->dim[d], order) == 0;
            if (ok)
                axis_tab_fill(&ftab[d], in->dim[d], S.ncp[d] - order, order);
        }
        double *scr = NULL;
        const int64_t fgrain = (in->dim[2] + N4_CHUNKS - 1) / N4_CHUNKS;
        const int64_t fchunks = pool_chunks(in->dim[2], fgrain);
        if (ok)
            scr = malloc(sizeof(double) * (size_t)(fchunks * ((int64_t)S.ncp[0] * S.ncp[1] + S.ncp[0])));
        if (!ok || !scr) {
            free(scr);
            rc = ERR(e, SARC_ERR_NOMEM, "n4: out of memory for the full-resolution field");
            goto done_audit;
        }
        struct eval_ctx F = {S.lat, {S.ncp[0], S.ncp[1], S.ncp[2]}, order, ftab, ffull, scr,
                             (int64_t)S.ncp[0] * S.ncp[1] + S.ncp[0], fgrain};
        pool_for(pool_default(), in->dim[2], fgrain, eval_chunk, &F);
        free(scr);
    }
    if (bias && (rc = volume_alloc_like(bias, in, e)))
        goto done_audit;
    for (int64_t i = 0; i < nfull; i++) {
        const double b = exp(ffull[i]);
        corrected->data[i] = in->data[i] / b;
        if (bias)
            bias->data[i] = b;
    }
    corrected->type = VT_F32;
    if (bias)
        bias->type = VT_F32;
    audit_summary(st, "log_bias", ffull, nfull);
    audit_output_volume(st, "corrected", corrected);
done_audit:
    audit_step_end(st);
done:
    if (rc) {
        volume_free(corrected);
        if (bias)
            volume_free(bias);
    }
    if (ffull && ffull != S.field)
        free(ffull);
    for (int d = 0; d < 3; d++) {
        axis_tab_free(&S.tab[d]);
        axis_tab_free(&ftab[d]);
    }
    free(S.logi), free(S.logu), free(S.resid), free(S.field), free(S.fold), free(S.wgt), free(S.lat), free(S.phi);
    free(S.part_d), free(S.part_o), free(S.plane), free(S.hist), free(S.stat), free(S.emap), free(S.chunk_hi);
    free(fftbuf), free(eval_scratch), free(otsu_mask);
    return rc;
}
