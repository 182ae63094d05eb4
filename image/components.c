/* components.c - connected components (scipy.ndimage.label), largest component, hole filling
 * (scipy.ndimage.binary_fill_holes) and Otsu's threshold (skimage.filters.threshold_otsu).
 *
 * Labelling: one raster scan with union-find over the already-visited half of the 6/18/26
 * neighbourhood, then a second scan that numbers the roots in the order their component is first
 * met, which is scipy.ndimage.label's numbering. Single-threaded: it is a few ns per voxel.
 * Hole filling: a 6-connected flood of the background from the image border (scipy's default
 * structure for binary_fill_holes); background not reached becomes foreground.
 * Otsu: skimage.filters.threshold_otsu on the values as floats, nbins bins over [min, max]
 * (numpy.histogram's bin assignment), threshold = the centre of the bin that maximises the
 * between-class variance (first maximum). skimage's default is 256 bins; ITK's Otsu filter uses 128.
 * Covered by test/image/test_components.c (SciPy / scikit-image goldens). */
#include "image/components.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int comp_dims(const int64_t dim[3], int64_t *count, struct sarc_err *e)
{
    int64_t c = 1;
    for (int d = 0; d < 3; d++) {
        if (dim[d] < 1 || dim[d] > INT32_MAX)
            return ERR(e, SARC_ERR_RANGE, "dim[%d] = %lld, expected 1..%d", d, (long long)dim[d], INT32_MAX);
        long long t;
        if (i64_mul(c, dim[d], &t) || t > INT32_MAX)
            return ERR(e, SARC_ERR_RANGE, "%lld x %lld x %lld voxels: labelling handles at most %d", (long long)dim[0],
                       (long long)dim[1], (long long)dim[2], INT32_MAX);
        c = t;
    }
    *count = c;
    return 0;
}

static int32_t uf_find(int32_t *parent, int32_t a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]]; /* path halving */
        a = parent[a];
    }
    return a;
}

static void uf_union(int32_t *parent, int32_t a, int32_t b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

int components_label(const uint8_t *mask, const int64_t dim[3], int connectivity, int32_t *labels,
                     int32_t *ncomp, struct sarc_err *e)
{
    int64_t n;
    int rc = comp_dims(dim, &n, e);
    if (rc)
        return rc;
    if (connectivity != 6 && connectivity != 18 && connectivity != 26)
        return ERR(e, SARC_ERR_ARG, "connectivity = %d, expected 6, 18 or 26", connectivity);
    const int64_t nx = dim[0], ny = dim[1], nz = dim[2];
    /* the 13 neighbours that precede a voxel in scan order, filtered by connectivity
     * (|dx|+|dy|+|dz| = 1 for 6, <= 2 for 18, any for 26) */
    int off[13][3], noff = 0;
    for (int dz = -1; dz <= 0; dz++)
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                if (dz == 0 && (dy > 0 || (dy == 0 && dx >= 0)))
                    continue;
                const int l1 = abs(dx) + abs(dy) + abs(dz);
                if ((connectivity == 6 && l1 > 1) || (connectivity == 18 && l1 > 2))
                    continue;
                off[noff][0] = dx, off[noff][1] = dy, off[noff][2] = dz;
                noff++;
            }
    /* labels holds the union-find parents (voxel indices) during the first scan; -1 = background */
    int32_t *parent = labels;
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++) {
                const int64_t idx = i + nx * (j + ny * k);
                if (!mask[idx]) {
                    parent[idx] = -1;
                    continue;
                }
                parent[idx] = (int32_t)idx;
                for (int o = 0; o < noff; o++) {
                    const int64_t ii = i + off[o][0], jj = j + off[o][1], kk = k + off[o][2];
                    if (ii < 0 || ii >= nx || jj < 0 || jj >= ny || kk < 0)
                        continue;
                    const int64_t nb = ii + nx * (jj + ny * kk);
                    if (mask[nb])
                        uf_union(parent, (int32_t)idx, (int32_t)nb);
                }
            }
    /* every parent index is <= its child (unions keep the smaller root, path halving only moves
     * pointers down), so one ascending pass points every voxel straight at its root, the
     * smallest index of its component; numbering roots in scan order is then scipy's order */
    int32_t next = 0;
    for (int64_t idx = 0; idx < n; idx++) {
        if (parent[idx] < 0)
            continue;
        parent[idx] = parent[parent[idx]];
    }
    for (int64_t idx = 0; idx < n; idx++) {
        if (parent[idx] < 0)
            labels[idx] = 0;
        else if (parent[idx] == idx)
            labels[idx] = ++next;
        else
            labels[idx] = labels[parent[idx]]; /* the root, already numbered */
    }
    *ncomp = next;
    return 0;
}

int components_keep_largest(uint8_t *mask, const int64_t dim[3], int connectivity, struct sarc_err *e)
{
    int64_t n;
    int rc = comp_dims(dim, &n, e);
    if (rc)
        return rc;
    int32_t *labels = malloc((size_t)n * sizeof *labels);
    int64_t *sizes = NULL;
    if (!labels)
        return ERR(e, SARC_ERR_NOMEM, "components: out of memory for %lld voxels", (long long)n);
    int32_t nc = 0;
    rc = components_label(mask, dim, connectivity, labels, &nc, e);
    if (rc)
        goto done;
    if (nc == 0)
        goto done;
    sizes = calloc((size_t)nc + 1, sizeof *sizes);
    if (!sizes) {
        rc = ERR(e, SARC_ERR_NOMEM, "components: out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        sizes[labels[i]]++;
    int32_t best = 1;
    for (int32_t c = 2; c <= nc; c++)
        if (sizes[c] > sizes[best])
            best = c;
    for (int64_t i = 0; i < n; i++)
        mask[i] = labels[i] == best;
done:
    free(labels);
    free(sizes);
    return rc;
}

int components_fill_holes(uint8_t *mask, const int64_t dim[3], struct sarc_err *e)
{
    int64_t n;
    int rc = comp_dims(dim, &n, e);
    if (rc)
        return rc;
    const int64_t nx = dim[0], ny = dim[1], nz = dim[2];
    /* reach: 1 = background connected to the border; stack of voxel indices for the flood */
    uint8_t *reach = calloc((size_t)n, 1);
    int32_t *stack = malloc((size_t)n * sizeof *stack);
    if (!reach || !stack) {
        free(reach);
        free(stack);
        return ERR(e, SARC_ERR_NOMEM, "fill holes: out of memory for %lld voxels", (long long)n);
    }
    int64_t top = 0;
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++) {
                const int border = i == 0 || j == 0 || k == 0 || i == nx - 1 || j == ny - 1 || k == nz - 1;
                const int64_t idx = i + nx * (j + ny * k);
                if (border && !mask[idx] && !reach[idx]) {
                    reach[idx] = 1;
                    stack[top++] = (int32_t)idx;
                }
            }
    while (top > 0) {
        const int64_t idx = stack[--top];
        const int64_t i = idx % nx, j = (idx / nx) % ny, k = idx / (nx * ny);
        const int64_t nb[6] = {i > 0 ? idx - 1 : -1, i < nx - 1 ? idx + 1 : -1,
                               j > 0 ? idx - nx : -1, j < ny - 1 ? idx + nx : -1,
                               k > 0 ? idx - nx * ny : -1, k < nz - 1 ? idx + nx * ny : -1};
        for (int t = 0; t < 6; t++)
            if (nb[t] >= 0 && !mask[nb[t]] && !reach[nb[t]]) {
                reach[nb[t]] = 1;
                stack[top++] = (int32_t)nb[t];
            }
    }
    for (int64_t i = 0; i < n; i++)
        mask[i] = mask[i] || !reach[i];
    free(reach);
    free(stack);
    return 0;
}

double otsu_threshold(const double *x, int64_t n, int nbins)
{
    if (nbins < 2 || n <= 0)
        return NAN;
    double lo = INFINITY, hi = -INFINITY;
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            lo = x[i] < lo ? x[i] : lo;
            hi = x[i] > hi ? x[i] : hi;
            count++;
        }
    if (count == 0 || !isfinite(lo) || !isfinite(hi))
        return NAN;
    if (lo == hi) /* skimage: a constant image's threshold is its value */
        return lo;
    double *hist = calloc((size_t)nbins, sizeof *hist);
    double *edges = malloc(((size_t)nbins + 1) * sizeof *edges);
    if (!hist || !edges) {
        free(hist);
        free(edges);
        return NAN;
    }
    /* numpy.linspace edges and numpy.histogram's index with its edge corrections */
    const double step = (hi - lo) / nbins;
    for (int b = 0; b <= nbins; b++)
        edges[b] = lo + b * step;
    edges[nbins] = hi;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(x[i]))
            continue;
        int64_t b = (int64_t)((x[i] - lo) / (hi - lo) * nbins);
        if (b >= nbins)
            b = nbins - 1;
        if (x[i] < edges[b])
            b--;
        else if (b != nbins - 1 && x[i] >= edges[b + 1])
            b++;
        hist[b] += 1.0;
    }
    /* between-class variance for a split after bin t: w1(t) w2(t+1) (m1(t) - m2(t+1))^2 */
    double *w2 = malloc((size_t)nbins * sizeof *w2), *m2 = malloc((size_t)nbins * sizeof *m2);
    double thr = NAN;
    if (w2 && m2) {
        double cw = 0, cm = 0;
        for (int b = nbins - 1; b >= 0; b--) {
            const double c = 0.5 * (edges[b] + edges[b + 1]);
            cw += hist[b];
            cm += hist[b] * c;
            w2[b] = cw;
            m2[b] = cm / cw;
        }
        double w1 = 0, s1 = 0, best = -1;
        int bestb = 0;
        for (int b = 0; b < nbins - 1; b++) {
            const double c = 0.5 * (edges[b] + edges[b + 1]);
            w1 += hist[b];
            s1 += hist[b] * c;
            const double d = s1 / w1 - m2[b + 1];
            const double v = w1 * w2[b + 1] * d * d;
            if (v > best) { /* first maximum; no NaN: bin 0 holds the minimum, the last bin the maximum */
                best = v;
                bestb = b;
            }
        }
        thr = 0.5 * (edges[bestb] + edges[bestb + 1]);
    }
    free(w2);
    free(m2);
    free(hist);
    free(edges);
    return thr;
}
