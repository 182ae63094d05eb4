/* shape2d.c - PyRadiomics' 2-D shape features (class shape2D, FACTS.md section 16) for a mask
 * of extent 1 along force2Ddimension: marching squares with edge-midpoint vertices on the mask
 * padded by one pixel; each maximal run of inside corners around a cell gives one segment (so
 * diagonal pairs are cut separately), oriented consistently; MeshSurface = |shoelace sum| / 2,
 * Perimeter = sum of segment lengths, MaximumDiameter over the vertices, PCA with divisor N.
 * Covered by test/radiomics/test_features.c (brain1_shape2D). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "radiomics/radiomics.h"

/* corners (da, db) around a cell, cyclic: p0 (0,0), p1 (0,1), p2 (1,1), p3 (1,0); vertex v_n
 * is the midpoint of p_n and p_(n+1) */
static const int sq[4][2] = {{0, 0}, {0, 1}, {1, 1}, {1, 0}};

int shape2d_features(const struct rad_roi *r, const struct rad_settings *s, double *out, struct sarc_err *e)
{
    const int64_t n3[3] = {r->nz, r->ny, r->nx};
    const double s3[3] = {r->sz, r->sy, r->sx};
    const int d = s->force2d_dim;
    if (n3[d] != 1)
        return ERR(e, SARC_ERR_ARG, "shape2D: the ROI spans %lld voxels along force2Ddimension %d (a 2-D ROI has 1)", (long long)n3[d], d);
    /* the two remaining axes in array order: a (slower), b (faster) */
    const int ax = d == 0 ? 1 : 0, bx = d == 2 ? 1 : 2;
    const int64_t na = n3[ax], nb = n3[bx];
    const double sa = s3[ax], sb = s3[bx];
    const int64_t pa = na + 2, pb = nb + 2;
    uint8_t *pm = calloc((size_t)pa * (size_t)pb, 1);
    double *vx = NULL;
    if (!pm)
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    /* in every layout the mask is contiguous with b fastest */
    int64_t np = 0;
    double sum[2] = {0, 0};
    for (int64_t a = 0; a < na; a++)
        for (int64_t b = 0; b < nb; b++)
            if (r->m[b + nb * a]) {
                pm[(b + 1) + pb * (a + 1)] = 1;
                np++;
                sum[0] += a * sa;
                sum[1] += b * sb;
            }
    if (np == 0) {
        free(pm);
        return ERR(e, SARC_ERR_ARG, "shape2D: empty mask");
    }
    double area2 = 0, perim = 0;
    for (int64_t a = 0; a + 1 < pa; a++)
        for (int64_t b = 0; b + 1 < pb; b++) {
            int in[4], cnt = 0;
            for (int c = 0; c < 4; c++) {
                in[c] = pm[(b + sq[c][1]) + pb * (a + sq[c][0])];
                cnt += in[c];
            }
            if (cnt == 0 || cnt == 4)
                continue;
            /* a run of inside corners starts at c when c is in and c-1 is out */
            for (int c = 0; c < 4; c++) {
                if (!in[c] || in[(c + 3) % 4])
                    continue;
                int end = c;
                while (in[(end + 1) % 4])
                    end = (end + 1) % 4;
                const int v0 = (c + 3) % 4, v1 = end; /* entering and leaving edges */
                const double a0 = (a + 0.5 * (sq[v0][0] + sq[(v0 + 1) % 4][0])) * sa;
                const double b0 = (b + 0.5 * (sq[v0][1] + sq[(v0 + 1) % 4][1])) * sb;
                const double a1 = (a + 0.5 * (sq[v1][0] + sq[(v1 + 1) % 4][0])) * sa;
                const double b1 = (b + 0.5 * (sq[v1][1] + sq[(v1 + 1) % 4][1])) * sb;
                area2 += a0 * b1 - a1 * b0;
                perim += sqrt((a1 - a0) * (a1 - a0) + (b1 - b0) * (b1 - b0));
            }
        }
    const double A = fabs(area2) / 2;
    /* vertices: midpoints of pixel edges with differing ends; max pairwise distance */
    int64_t nvx = 0, cap = 256;
    vx = malloc((size_t)cap * 2 * sizeof *vx);
    if (!vx) {
        free(pm);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    for (int64_t a = 0; a < pa; a++)
        for (int64_t b = 0; b < pb; b++)
            for (int q = 0; q < 2; q++) {
                const int64_t a2 = a + (q == 0), b2 = b + (q == 1);
                if (a2 >= pa || b2 >= pb || pm[b + pb * a] == pm[b2 + pb * a2])
                    continue;
                if (nvx == cap) {
                    cap *= 2;
                    double *n2 = realloc(vx, (size_t)cap * 2 * sizeof *vx);
                    if (!n2) {
                        free(pm);
                        free(vx);
                        return ERR(e, SARC_ERR_NOMEM, "out of memory");
                    }
                    vx = n2;
                }
                vx[2 * nvx] = 0.5 * (double)(a + a2) * sa;
                vx[2 * nvx + 1] = 0.5 * (double)(b + b2) * sb;
                nvx++;
            }
    double dmax = 0;
    for (int64_t u = 0; u < nvx; u++)
        for (int64_t v = u + 1; v < nvx; v++) {
            const double da = vx[2 * u] - vx[2 * v], db = vx[2 * u + 1] - vx[2 * v + 1];
            if (da * da + db * db > dmax)
                dmax = da * da + db * db;
        }
    const double mean[2] = {sum[0] / np, sum[1] / np};
    double cov[4] = {0};
    for (int64_t a = 0; a < na; a++)
        for (int64_t b = 0; b < nb; b++)
            if (r->m[b + nb * a]) {
                const double dd[2] = {a * sa - mean[0], b * sb - mean[1]};
                cov[0] += dd[0] * dd[0];
                cov[1] += dd[0] * dd[1];
                cov[3] += dd[1] * dd[1];
            }
    const double div = s->ibsi && np > 1 ? (double)(np - 1) : (double)np; /* IBSI: N - 1 */
    cov[0] /= div;
    cov[1] /= div;
    cov[3] /= div;
    cov[2] = cov[1];
    double l[2];
    int rc = rad_eig_sym(cov, 2, l, e);
    free(pm);
    free(vx);
    if (rc)
        return rc;
    for (int q = 0; q < 2; q++)
        if (l[q] < 0 && l[q] > -1e-10)
            l[q] = 0;
    out[0] = A;
    out[1] = (double)np * sa * sb;
    out[2] = perim;
    out[3] = perim / A;
    out[4] = 2 * sqrt(3.14159265358979323846 * A) / perim;
    out[5] = sqrt(dmax);
    out[6] = l[1] < 0 ? NAN : 4 * sqrt(l[1]);
    out[7] = l[0] < 0 ? NAN : 4 * sqrt(l[0]);
    out[8] = (l[0] < 0 || l[1] <= 0) ? NAN : sqrt(l[0] / l[1]);
    return 0;
}
