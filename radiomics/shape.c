/* shape.c - PyRadiomics' 3-D shape features (class shape, FACTS.md section 15) on a
 * marching-cubes mesh of the mask: midpoint vertices (no interpolation) on the mask zero-padded
 * by one voxel, cell indices >= 128 replaced by their complement with the volume contribution
 * negated, the triangle lists of rows 0..127 of the classic Lorensen-Cline marching-cubes table
 * (a published fact, re-encoded below as edge digits). MeshVolume = |sum a.(b x c)| / 6,
 * SurfaceArea = sum |(a-c) x (b-c)| / 2; diameters over the edge-midpoint vertices (2-D
 * diameters: pairs with exactly equal k, j or i coordinate); PCA of the voxel centres with
 * divisor N (axis lengths 4 sqrt(lambda)).
 * Coordinates are (k, j, i) * (sz, sy, sx). Covered by test/radiomics/test_features.c (brain1,
 * brain1_resampling and PyRadiomics goldens of small phantoms). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "radiomics/radiomics.h"

/* Triangles of cell index 0..127: each triangle is three edge digits (a = 10, b = 11). */
static const char *const mc_tri[128] = {
    "", "083", "019", "183981", "12a", "08312a", "92a029", "2832a8a98",
    "3b2", "0b28b0", "19023b", "1b219b98b", "3a1ba3", "0a108a8ba", "3903b9ba9", "98aa8b",
    "478", "430734", "019847", "419471731", "12a847", "34730412a", "92a902847", "2a9297273794",
    "8473b2", "b47b24204", "90184723b", "47b94b9b2921", "3a13ba784", "1ba14b1047b4", "47890b9bab03", "47b4b99ba",
    "954", "954083", "054150", "854835315", "12a954", "30812a495", "52a542402", "2a5325354348",
    "95423b", "0b208b495", "05401523b", "21525828b485", "a3ba13954", "4950818a18ba", "54050b5bab03", "54858aa8b",
    "978579", "930953573", "078017157", "153357", "978957a12", "a12950530573", "802825857a52", "2a5253357",
    "7957893b2", "95797292027b", "23b018178157", "b21b17715", "958857a13a3b", "5705097b010aba0", "ba0b03a50807570", "ba57b5",
    "a65", "0835a6", "9015a6", "1831985a6", "165261", "165126308", "965906026", "598582526328",
    "23ba65", "b08b20a65", "01923b5a6", "5a61929b298b", "63b653513", "08b0b50515b6", "3b6036065059", "65969bb98",
    "5a6478", "43047365a", "1905a6847", "a65197173794", "612651478", "125526304347", "847905065026", "739794329596269",
    "3b2784a65", "5a647242027b", "01947823b5a6", "9219b294b7b45a6", "8473b53515b6", "51b5b610b7b404b", "059065036b63847", "65969b4797b9",
    "a4964a", "4a649a083", "a01a60640", "83181686461a", "149124264", "308129249264", "024426", "832824426",
    "a49a64b23", "08228b49a4a6", "3b201606461a", "64161a48121b8b1", "964936913b63", "8b1810b61914641", "3b6360064", "648b68",
    "7a678a89a", "0730a709a67a", "a671a7178180", "a67a71173", "126168189867", "269291679093739", "780706602", "732672",
    "23ba68a89867", "20727b09767a9a7", "1801781a767a23b", "b21b17a61671", "896867916b63136", "091b67", "7807063b0b60", "7b6",
};

/* corner n as (dk, dj, di) */
static const int corner[8][3] = {{0, 0, 0}, {0, 0, 1}, {0, 1, 1}, {0, 1, 0}, {1, 0, 0}, {1, 0, 1}, {1, 1, 1}, {1, 1, 0}};
static const int edge[12][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 0}, {4, 5}, {5, 6}, {6, 7}, {7, 4}, {0, 4}, {1, 5}, {2, 6}, {3, 7}};

static int hexdig(char c) { return c >= 'a' ? c - 'a' + 10 : c - '0'; }

/* A mesh vertex in doubled index units (2 * padded index of an edge midpoint). */
struct vtx {
    int32_t k2, j2, i2;
};

static int cmp_k(const void *a, const void *b) { const struct vtx *x = a, *y = b; return (x->k2 > y->k2) - (x->k2 < y->k2); }
static int cmp_j(const void *a, const void *b) { const struct vtx *x = a, *y = b; return (x->j2 > y->j2) - (x->j2 < y->j2); }
static int cmp_i(const void *a, const void *b) { const struct vtx *x = a, *y = b; return (x->i2 > y->i2) - (x->i2 < y->i2); }

/* Largest squared distance among v[0..n) in mm (sp = half-spacing per axis k, j, i). */
static double max_d2(const struct vtx *v, int64_t n, const double sp[3])
{
    double best = 0;
    for (int64_t a = 0; a < n; a++) {
        const double ka = v[a].k2 * sp[0], ja = v[a].j2 * sp[1], ia = v[a].i2 * sp[2];
        for (int64_t b = a + 1; b < n; b++) {
            const double dk = ka - v[b].k2 * sp[0], dj = ja - v[b].j2 * sp[1], di = ia - v[b].i2 * sp[2];
            const double d = dk * dk + dj * dj + di * di;
            if (d > best)
                best = d;
        }
    }
    return best;
}

/* Max over groups of equal key (sorted by cmp) of the largest in-group distance. */
static double max_d2_grouped(struct vtx *v, int64_t n, const double sp[3], int (*cmp)(const void *, const void *))
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    double best = 0;
    for (int64_t a = 0; a < n;) {
        int64_t b = a + 1;
        while (b < n && cmp(&v[a], &v[b]) == 0)
            b++;
        const double d = max_d2(v + a, b - a, sp);
        if (d > best)
            best = d;
        a = b;
    }
    return best;
}

int shape_features(const struct rad_roi *r, double *out, struct sarc_err *e)
{
    const int64_t nx = r->nx, ny = r->ny, nz = r->nz;
    const int64_t px = nx + 2, py = ny + 2, pz = nz + 2;
    const double sk = r->sz, sj = r->sy, si = r->sx;
    int rc = 0;
    uint8_t *pm = NULL;
    struct vtx *vs = NULL;
    size_t npad;
    if (size_mul((size_t)px * (size_t)py, (size_t)pz, &npad))
        return ERR(e, SARC_ERR_RANGE, "shape: mask too large");
    pm = calloc(npad, 1);
    if (!pm)
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
#define PM(k, j, i) pm[(i) + px * ((j) + py * (k))]
    int64_t nv = 0;
    double sum[3] = {0, 0, 0};
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++)
                if (r->m[i + nx * (j + ny * k)]) {
                    PM(k + 1, j + 1, i + 1) = 1;
                    nv++;
                    sum[0] += k * sk;
                    sum[1] += j * sj;
                    sum[2] += i * si;
                }
    if (nv == 0) {
        free(pm);
        return ERR(e, SARC_ERR_ARG, "shape: empty mask");
    }
    /* surface and volume */
    double area = 0, vol = 0;
    for (int64_t k = 0; k + 1 < pz; k++)
        for (int64_t j = 0; j + 1 < py; j++)
            for (int64_t i = 0; i + 1 < px; i++) {
                int idx = 0;
                for (int c = 0; c < 8; c++)
                    if (PM(k + corner[c][0], j + corner[c][1], i + corner[c][2]))
                        idx |= 1 << c;
                if (idx == 0 || idx == 255)
                    continue;
                double sign = 1;
                if (idx & 0x80) {
                    idx ^= 0xff;
                    sign = -1;
                }
                const char *t = mc_tri[idx];
                for (; t[0]; t += 3) {
                    double P[3][3];
                    for (int q = 0; q < 3; q++) {
                        const int ed = hexdig(t[q]);
                        const int *c0 = corner[edge[ed][0]], *c1 = corner[edge[ed][1]];
                        P[q][0] = (k + 0.5 * (c0[0] + c1[0])) * sk;
                        P[q][1] = (j + 0.5 * (c0[1] + c1[1])) * sj;
                        P[q][2] = (i + 0.5 * (c0[2] + c1[2])) * si;
                    }
                    const double *a = P[0], *b = P[1], *c = P[2];
                    /* a . (b x c) */
                    const double bxc[3] = {b[1] * c[2] - b[2] * c[1], b[2] * c[0] - b[0] * c[2], b[0] * c[1] - b[1] * c[0]};
                    vol += sign * (a[0] * bxc[0] + a[1] * bxc[1] + a[2] * bxc[2]);
                    const double u[3] = {a[0] - c[0], a[1] - c[1], a[2] - c[2]};
                    const double w[3] = {b[0] - c[0], b[1] - c[1], b[2] - c[2]};
                    const double x[3] = {u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]};
                    area += sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]) / 2;
                }
            }
    vol = fabs(vol) / 6;
    /* vertices: midpoints of voxel edges whose two end voxels differ, each once */
    int64_t nvert = 0, cap = 1024;
    vs = malloc((size_t)cap * sizeof *vs);
    if (!vs) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t k = 0; k < pz; k++)
        for (int64_t j = 0; j < py; j++)
            for (int64_t i = 0; i < px; i++) {
                const int v0 = PM(k, j, i);
                for (int ax = 0; ax < 3; ax++) {
                    const int64_t k2 = k + (ax == 0), j2 = j + (ax == 1), i2 = i + (ax == 2);
                    if (k2 >= pz || j2 >= py || i2 >= px || PM(k2, j2, i2) == v0)
                        continue;
                    if (nvert == cap) {
                        cap *= 2;
                        struct vtx *nvs = realloc(vs, (size_t)cap * sizeof *vs);
                        if (!nvs) {
                            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
                            goto done;
                        }
                        vs = nvs;
                    }
                    vs[nvert].k2 = (int32_t)(k + k2);
                    vs[nvert].j2 = (int32_t)(j + j2);
                    vs[nvert].i2 = (int32_t)(i + i2);
                    nvert++;
                }
            }
    const double hs[3] = {sk / 2, sj / 2, si / 2};
    const double d3 = sqrt(max_d2(vs, nvert, hs));
    const double dslice = sqrt(max_d2_grouped(vs, nvert, hs, cmp_k));
    const double dcol = sqrt(max_d2_grouped(vs, nvert, hs, cmp_j));
    const double drow = sqrt(max_d2_grouped(vs, nvert, hs, cmp_i));
    /* PCA of the voxel centres, covariance divisor N */
    const double mean[3] = {sum[0] / nv, sum[1] / nv, sum[2] / nv};
    double cov[9] = {0};
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++)
                if (r->m[i + nx * (j + ny * k)]) {
                    const double d[3] = {k * sk - mean[0], j * sj - mean[1], i * si - mean[2]};
                    for (int a = 0; a < 3; a++)
                        for (int b = 0; b < 3; b++)
                            cov[a * 3 + b] += d[a] * d[b];
                }
    for (int a = 0; a < 9; a++)
        cov[a] /= (double)nv;
    double l[3];
    rc = rad_eig_sym(cov, 3, l, e);
    if (rc)
        goto done;
    for (int a = 0; a < 3; a++)
        if (l[a] < 0 && l[a] > -1e-10)
            l[a] = 0;
    const double voxvol = (double)nv * r->sx * r->sy * r->sz;
    out[0] = vol;
    out[1] = voxvol;
    out[2] = area;
    out[3] = area / vol;
    out[4] = pow(36 * 3.14159265358979323846 * vol * vol, 1.0 / 3.0) / area;
    out[5] = d3;
    out[6] = dslice;
    out[7] = dcol;
    out[8] = drow;
    out[9] = l[2] < 0 ? NAN : 4 * sqrt(l[2]);
    out[10] = l[1] < 0 ? NAN : 4 * sqrt(l[1]);
    out[11] = l[0] < 0 ? NAN : 4 * sqrt(l[0]);
    out[12] = (l[1] < 0 || l[2] <= 0) ? NAN : sqrt(l[1] / l[2]);
    out[13] = (l[0] < 0 || l[2] <= 0) ? NAN : sqrt(l[0] / l[2]);
#undef PM
done:
    free(pm);
    free(vs);
    return rc;
}
