/* discretize.c - PyRadiomics' grey-level discretisation (binWidth aligned to multiples of the
 * width, or binCount equal-width bins between the ROI minimum and maximum) and the neighbour
 * offsets of the texture classes (FACTS.md sections 7 and 8).
 * Covered by test/radiomics/test_features.c (tiny exact cases and the reference cases). */
#include <math.h>
#include <stdlib.h>

#include "radiomics/radiomics.h"

/* Python's a % b for doubles (numpy.remainder): fmod, moved to the sign of b. */
static double pymod(double a, double b)
{
    double r = fmod(a, b);
    if (r != 0 && ((b < 0) != (r < 0)))
        r += b;
    return r;
}

/* Number of edges <= x among edges[i] = lo + i * d (i = 0..n-1), as numpy.digitize. */
static int level_of(double x, double lo, double d, int64_t n)
{
    int64_t k = (int64_t)floor((x - lo) / d) + 1;
    if (k < 0)
        k = 0;
    if (k > n)
        k = n;
    while (k < n && lo + (double)k * d <= x)
        k++;
    while (k > 0 && lo + (double)(k - 1) * d > x)
        k--;
    return (int)k;
}

int rad_discretize(const double *x, const uint8_t *m, int64_t n, const struct rad_settings *s,
                   int *lv, int *ng, struct sarc_err *e)
{
    double mn = INFINITY, mx = -INFINITY;
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++)
        if (m[i]) {
            if (x[i] < mn)
                mn = x[i];
            if (x[i] > mx)
                mx = x[i];
            count++;
        }
    if (!count)
        return ERR(e, SARC_ERR_ARG, "discretisation: the ROI is empty");
    int top = 0;
    if (s->bin_count > 0) {
        /* numpy.histogram edges: linspace(lo, hi, N + 1) (i * step + lo, last = hi), then the last
         * edge + 1 so that the maximum falls in bin N; level = edges <= x. */
        double lo = mn, hi = mx;
        if (lo == hi) {
            lo -= 0.5;
            hi += 0.5;
        }
        const int N = s->bin_count;
        const double step = (hi - lo) / N;
        double *edges = malloc(((size_t)N + 1) * sizeof *edges);
        if (!edges)
            return ERR(e, SARC_ERR_NOMEM, "out of memory");
        for (int i = 0; i < N; i++)
            edges[i] = (double)i * step + lo;
        edges[N] = hi + 1;
        for (int64_t i = 0; i < n; i++) {
            if (!m[i]) {
                lv[i] = 0;
                continue;
            }
            /* binary search: number of edges <= x */
            int a = 0, b = N + 1;
            while (a < b) {
                const int mid = (a + b) / 2;
                if (edges[mid] <= x[i])
                    a = mid + 1;
                else
                    b = mid;
            }
            lv[i] = a;
            if (a > top)
                top = a;
        }
        free(edges);
    } else {
        const double W = s->bin_width;
        if (!(W > 0))
            return ERR(e, SARC_ERR_ARG, "discretisation: binWidth must be > 0 (or set binCount)");
        if (s->ibsi) {
            /* IBSI fixed bin size: bins start at the lower absolute resegmentation bound, else at
             * the ROI minimum: level = floor((x - Xmin) / W) + 1 */
            double xmin = mn;
            if (s->nreseg > 0 && s->reseg_mode == RR_ABSOLUTE)
                xmin = s->nreseg > 1 && s->reseg_range[1] < s->reseg_range[0] ? s->reseg_range[1] : s->reseg_range[0];
            if ((mx - xmin) / W > 1e8)
                return ERR(e, SARC_ERR_RANGE, "discretisation: binWidth %g gives more than 1e8 bins", W);
            for (int64_t i = 0; i < n; i++) {
                lv[i] = m[i] ? (int)floor((x[i] - xmin) / W) + 1 : 0;
                if (m[i] && lv[i] < 1)
                    lv[i] = 1;
                if (lv[i] > top)
                    top = lv[i];
            }
            *ng = top;
            return 0;
        }
        const double lo = mn - pymod(mn, W);
        const double d = (lo + W) - lo; /* numpy.arange's step as evaluated */
        const double nf = ceil((mx + 2 * W - lo) / W);
        if (!(nf >= 1) || nf > 1e8 || !(d > 0))
            return ERR(e, SARC_ERR_RANGE, "discretisation: binWidth %g gives %g bins over [%g, %g] (at most 1e8)", W, nf, mn, mx);
        const int64_t nedges = (int64_t)nf;
        for (int64_t i = 0; i < n; i++) {
            if (!m[i]) {
                lv[i] = 0;
                continue;
            }
            lv[i] = level_of(x[i], lo, d, nedges);
            if (lv[i] > top)
                top = lv[i];
        }
    }
    *ng = top;
    return 0;
}

int rad_offsets(const struct rad_roi *r, const struct rad_settings *s, const int *dist, int ndist,
                int half, int (*off)[3], int max)
{
    int dmax = 0;
    for (int t = 0; t < ndist; t++)
        if (dist[t] > dmax)
            dmax = dist[t];
    const int64_t size[3] = {r->nz, r->ny, r->nx};
    /* all candidates from +dmax down to -dmax, k slowest; the list is antisymmetric, so its
     * first half holds one of each +/- pair */
    int count = 0;
    const int64_t side = 2 * (int64_t)dmax + 1;
    const int64_t total = side * side * side;
    for (int64_t c = 0; c < total; c++) {
        if (half && c >= total / 2)
            break;
        const int o[3] = {dmax - (int)(c / (side * side)), dmax - (int)(c / side % side), dmax - (int)(c % side)};
        const int cheb = abs(o[0]) > abs(o[1]) ? (abs(o[0]) > abs(o[2]) ? abs(o[0]) : abs(o[2]))
                                               : (abs(o[1]) > abs(o[2]) ? abs(o[1]) : abs(o[2]));
        int ok = 0;
        for (int t = 0; t < ndist; t++)
            if (cheb == dist[t])
                ok = 1;
        if (!ok || cheb == 0)
            continue;
        for (int a = 0; a < 3; a++)
            if (abs(o[a]) >= size[a])
                ok = 0;
        if (s->force2d && o[s->force2d_dim] != 0)
            ok = 0;
        if (!ok || count >= max)
            continue;
        off[count][0] = o[0];
        off[count][1] = o[1];
        off[count][2] = o[2];
        count++;
    }
    return count;
}

int rad_pad_levels(const struct rad_roi *r, int pad, int **out, int64_t pn[3], struct sarc_err *e)
{
    pn[0] = r->nx + 2 * pad;
    pn[1] = r->ny + 2 * pad;
    pn[2] = r->nz + 2 * pad;
    size_t total;
    if (size_mul((size_t)pn[0] * (size_t)pn[1], (size_t)pn[2], &total))
        return ERR(e, SARC_ERR_RANGE, "padded box too large");
    int *pl = calloc(total, sizeof *pl);
    if (!pl)
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    for (int64_t k = 0; k < r->nz; k++)
        for (int64_t j = 0; j < r->ny; j++) {
            const int64_t src = r->nx * (j + r->ny * k);
            int *dst = pl + pad + pn[0] * ((j + pad) + pn[1] * (k + pad));
            for (int64_t i = 0; i < r->nx; i++)
                dst[i] = r->m[src + i] ? r->lv[src + i] : 0;
        }
    *out = pl;
    return 0;
}

int rad_levels_padded(const struct rad_roi *r, int pad, const int **out, int **owned, int64_t pn[3], struct sarc_err *e)
{
    *owned = NULL;
    if (r->plv && r->ppad == pad) {
        pn[0] = r->nx + 2 * pad;
        pn[1] = r->ny + 2 * pad;
        pn[2] = r->nz + 2 * pad;
        *out = r->plv;
        return 0;
    }
    const int rc = rad_pad_levels(r, pad, owned, pn, e);
    *out = *owned;
    return rc;
}
