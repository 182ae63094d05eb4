/* test_featuremap.c - the voxel-based feature maps (radiomics/featuremap.c, fmap_fast.c, `sarc
 * featuremap`):
 *  - PyRadiomics 3.0.1 goldens WITH the maps' geometry (test/oracles/radiomics_featuremap.py):
 *    the cropped grid (ROI box +- kernelRadius, clipped), its origin with a flipped direction,
 *    resampledPixelSpacing, kernelRadius 2 at the image border with initValue -1, preCrop with
 *    padDistance < kernelRadius and unmasked kernels; values within
 *    |v - ref| <= 1e-6 |ref| + 1e-12 as issue 7 states; --full-grid places the same values on the
 *    image grid;
 *  - the fast kernels against the per-class reference path on every voxel and every map of
 *    random phantoms under several settings, and 1 vs 3 threads bit-identical;
 *  - `sarc featuremap` writes the cropped grid with its affine, --full-grid the image grid, and
 *    refuses --full-grid with resampling (exit 2, "sarc: "). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/volio.h"
#include "radiomics/featuremap.h"
#include "radiomics/radiomics.h"
#include "test/harness.h"
#include "vendor/pool.h"
#include "vendor/rng.h"

struct fgold {
    int64_t dim[3], mdim[3];
    double sp[3], origin[3], dir[9], msp[3], morigin[3], mdir[9];
    double *img, *msk;
    struct rad_settings s;
    int64_t roi;
    int n, cap;
    char (*name)[96];
    int64_t *idx;
    double *val;
    char msg[1200];
};

static void fgold_free(struct fgold *g)
{
    free(g->img);
    free(g->msk);
    free(g->name);
    free(g->idx);
    free(g->val);
    memset(g, 0, sizeof *g);
}

static double *read_values(const char *p, int64_t n)
{
    double *v = malloc((size_t)n * sizeof *v);
    char *q = (char *)p;
    for (int64_t t = 0; v && t < n; t++)
        v[t] = strtod(q, &q);
    return v;
}

/* Reads test/golden/radiomics/featuremap_<case>.txt (format in the oracle's docstring). */
static int fgold_read(const char *path, struct fgold *g)
{
    memset(g, 0, sizeof *g);
    rad_settings_default(&g->s);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(g->msg, sizeof g->msg, "cannot open %s", path);
        return -1;
    }
    static char line[1 << 17];
    struct sarc_err e = {0};
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0] == '#' || !line[0])
            continue;
        char *sp = strchr(line, ' ');
        if (!sp)
            continue;
        *sp = 0;
        const char *rest = sp + 1;
        const int64_t N = g->dim[0] * g->dim[1] * g->dim[2];
        if (!strcmp(line, "dims"))
            sscanf(rest, "%lld %lld %lld", (long long *)&g->dim[0], (long long *)&g->dim[1], (long long *)&g->dim[2]);
        else if (!strcmp(line, "map_dims"))
            sscanf(rest, "%lld %lld %lld", (long long *)&g->mdim[0], (long long *)&g->mdim[1], (long long *)&g->mdim[2]);
        else if (!strcmp(line, "spacing"))
            sscanf(rest, "%lf %lf %lf", &g->sp[0], &g->sp[1], &g->sp[2]);
        else if (!strcmp(line, "map_spacing"))
            sscanf(rest, "%lf %lf %lf", &g->msp[0], &g->msp[1], &g->msp[2]);
        else if (!strcmp(line, "origin"))
            sscanf(rest, "%lf %lf %lf", &g->origin[0], &g->origin[1], &g->origin[2]);
        else if (!strcmp(line, "map_origin"))
            sscanf(rest, "%lf %lf %lf", &g->morigin[0], &g->morigin[1], &g->morigin[2]);
        else if (!strcmp(line, "direction") || !strcmp(line, "map_direction")) {
            double *d = line[0] == 'd' ? g->dir : g->mdir;
            char *q = (char *)rest;
            for (int t = 0; t < 9; t++)
                d[t] = strtod(q, &q);
        } else if (!strcmp(line, "image") && N > 0)
            g->img = read_values(rest, N);
        else if (!strcmp(line, "mask") && N > 0)
            g->msk = read_values(rest, N);
        else if (!strcmp(line, "roi"))
            g->roi = atoll(rest);
        else if (!strcmp(line, "setting")) {
            char nm[64], v[128];
            if (sscanf(rest, "%63s %127[^\n]", nm, v) == 2 && rad_setting_set(&g->s, nm, v, &e)) {
                snprintf(g->msg, sizeof g->msg, "setting %s: %s", nm, e.msg);
                rc = -1;
            }
        } else if (!strcmp(line, "class")) {
            if (rad_enable(&g->s, rest, NULL, 0, &e)) {
                snprintf(g->msg, sizeof g->msg, "class %s: %s", rest, e.msg);
                rc = -1;
            }
        } else if (!strcmp(line, "voxel")) {
            if (g->n == g->cap) {
                g->cap = g->cap ? 2 * g->cap : 512;
                g->name = realloc(g->name, (size_t)g->cap * sizeof *g->name);
                g->idx = realloc(g->idx, (size_t)g->cap * sizeof *g->idx);
                g->val = realloc(g->val, (size_t)g->cap * sizeof *g->val);
                if (!g->name || !g->idx || !g->val) {
                    rc = -1;
                    break;
                }
            }
            char nm[96], v[64];
            long long ix;
            if (sscanf(rest, "%95s %lld %63s", nm, &ix, v) == 3) {
                strcpy(g->name[g->n], nm);
                g->idx[g->n] = ix;
                g->val[g->n] = (!strcmp(v, "nan") || !strcmp(v, "NaN")) ? NAN : strtod(v, NULL);
                g->n++;
            }
        }
    }
    fclose(f);
    if (!rc && (!g->img || !g->msk || g->mdim[0] < 1 || g->n == 0)) {
        snprintf(g->msg, sizeof g->msg, "%s: incomplete golden", path);
        rc = -1;
    }
    return rc;
}

/* Volumes of a golden: affine = direction * diag(spacing) + origin (SimpleITK's index-to-point
 * map; every step of the pipeline is linear in it, so the convention of the frame does not
 * matter). */
static int fgold_volumes(const struct fgold *g, struct volume *img, struct volume *msk)
{
    struct sarc_err e;
    const int64_t dim[4] = {g->dim[0], g->dim[1], g->dim[2], 1};
    if (volume_alloc(img, 3, dim, &e) || volume_alloc(msk, 3, dim, &e))
        return -1;
    const int64_t n = dim[0] * dim[1] * dim[2];
    memcpy(img->data, g->img, (size_t)n * sizeof(double));
    memcpy(msk->data, g->msk, (size_t)n * sizeof(double));
    for (int v = 0; v < 2; v++) {
        struct volume *x = v ? msk : img;
        volume_set_spacing(x, g->sp, NULL);
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++)
                x->affine[r][c] = g->dir[3 * r + c] * g->sp[c];
            x->affine[r][3] = g->origin[r];
        }
        memcpy(x->sform, x->affine, sizeof x->sform);
        x->sform_code = 1;
    }
    img->type = VT_I16;
    msk->type = VT_U8;
    return 0;
}

static int find_map(const struct featuremap *fm, const char *name)
{
    for (int q = 0; q < fm->n; q++)
        if (!strcmp(fm->names[q], name))
            return q;
    return -1;
}

static int close_enough(double v, double ref)
{
    return (isnan(v) && isnan(ref)) || fabs(v - ref) <= 1e-6 * fabs(ref) + 1e-12;
}

static void run_golden(const char *casename)
{
    char path[256];
    snprintf(path, sizeof path, "test/golden/radiomics/featuremap_%s.txt", casename);
    struct fgold g;
    if (fgold_read(path, &g)) {
        test_fail_at(__FILE__, __LINE__, "%s", g.msg);
        fgold_free(&g);
        return;
    }
    struct volume img = {0}, msk = {0};
    REQUIRE(fgold_volumes(&g, &img, &msk) == 0);
    struct featuremap fm;
    struct sarc_err e = {0};
    int rc = featuremap_compute(&img, &msk, &g.s, &fm, &e);
    CHECK_MSG(rc == 0, "%s: featuremap_compute: %s", casename, e.msg);
    if (rc == 0) {
        /* geometry of every map: PyRadiomics' crop */
        for (int q = 0; q < fm.n; q++) {
            const struct volume *m = &fm.maps[q];
            int bad = 0;
            for (int a = 0; a < 3; a++) {
                bad += m->dim[a] != g.mdim[a];
                bad += fabs(m->spacing[a] - g.msp[a]) > 1e-9;
                bad += fabs(m->affine[a][3] - g.morigin[a]) > 1e-9;
                for (int c = 0; c < 3; c++)
                    bad += fabs(m->affine[a][c] - g.mdir[3 * a + c] * g.msp[c]) > 1e-9;
            }
            if (bad) {
                test_fail_at(__FILE__, __LINE__, "%s: map %s is %lldx%lldx%lld at origin (%g, %g, %g) spacing (%g, %g, %g); PyRadiomics: %lldx%lldx%lld at (%g, %g, %g) spacing (%g, %g, %g)",
                             casename, fm.names[q], (long long)m->dim[0], (long long)m->dim[1], (long long)m->dim[2],
                             m->affine[0][3], m->affine[1][3], m->affine[2][3], m->spacing[0], m->spacing[1], m->spacing[2],
                             (long long)g.mdim[0], (long long)g.mdim[1], (long long)g.mdim[2], g.morigin[0], g.morigin[1],
                             g.morigin[2], g.msp[0], g.msp[1], g.msp[2]);
                break;
            }
        }
        /* values */
        int bad = 0;
        for (int t = 0; t < g.n; t++) {
            const int q = find_map(&fm, g.name[t]);
            const int64_t cnt = q >= 0 ? volume_count(&fm.maps[q]) : 0;
            const double v = q >= 0 && g.idx[t] < cnt ? fm.maps[q].data[g.idx[t]] : NAN;
            if (q < 0 || !close_enough(v, g.val[t])) {
                if (bad < 6)
                    test_fail_at(__FILE__, __LINE__, "%s: %s at map voxel %lld = %.17g, expected %.17g%s", casename, g.name[t],
                                 (long long)g.idx[t], v, g.val[t], q < 0 ? " (map missing)" : "");
                bad++;
            }
        }
        CHECK_MSG(bad == 0, "%s: %d of %d map values differ", casename, bad, g.n);
        /* the ROI on the map grid: voxels whose Mean is not initValue */
        const int qm = find_map(&fm, "original_firstorder_Mean");
        if (qm >= 0) {
            int64_t roi = 0;
            for (int64_t t = 0; t < volume_count(&fm.maps[qm]); t++)
                roi += fm.maps[qm].data[t] != g.s.init_value;
            CHECK_INT(roi, g.roi);
        }
        /* --full-grid: the same values on the image grid (not with resampling) */
        struct featuremap_opts fo = FEATUREMAP_OPTS_DEFAULT;
        fo.full_grid = 1;
        struct featuremap ff;
        rc = featuremap_compute_opts(&img, &msk, &g.s, &fo, &ff, &e);
        if (g.s.resample) {
            CHECK_MSG(rc != 0 && strstr(e.msg, "full-grid") != NULL, "%s: --full-grid with resampling must be refused", casename);
            if (rc == 0)
                featuremap_free(&ff);
        } else {
            CHECK_MSG(rc == 0, "%s: full grid: %s", casename, e.msg);
            if (rc == 0) {
                /* the crop's first index on the image grid, from the origins (direction orthonormal) */
                int64_t lo[3];
                for (int a = 0; a < 3; a++) {
                    double d = 0;
                    for (int r = 0; r < 3; r++)
                        d += g.dir[3 * r + a] * (g.morigin[r] - g.origin[r]);
                    lo[a] = (int64_t)llround(d / g.sp[a]);
                }
                int64_t diff = 0, outside = 0;
                for (int q = 0; q < fm.n && q < ff.n; q++) {
                    const struct volume *c = &fm.maps[q], *w = &ff.maps[q];
                    CHECK(w->dim[0] == g.dim[0] && w->dim[1] == g.dim[1] && w->dim[2] == g.dim[2]);
                    CHECK(memcmp(w->affine, img.affine, sizeof img.affine) == 0);
                    if (w->dim[0] != g.dim[0] || w->dim[1] != g.dim[1] || w->dim[2] != g.dim[2])
                        break;
                    for (int64_t k = 0; k < w->dim[2]; k++)
                        for (int64_t j = 0; j < w->dim[1]; j++)
                            for (int64_t i = 0; i < w->dim[0]; i++) {
                                const int64_t ci = i - lo[0], cj = j - lo[1], ck = k - lo[2];
                                const double wv = w->data[i + w->dim[0] * (j + w->dim[1] * k)];
                                if (ci < 0 || cj < 0 || ck < 0 || ci >= c->dim[0] || cj >= c->dim[1] || ck >= c->dim[2]) {
                                    outside += wv != g.s.init_value;
                                    continue;
                                }
                                const double cv = c->data[ci + c->dim[0] * (cj + c->dim[1] * ck)];
                                diff += memcmp(&cv, &wv, sizeof cv) != 0;
                            }
                }
                CHECK_INT(ff.n, fm.n);
                CHECK_INT(diff, 0);
                CHECK_INT(outside, 0);
                featuremap_free(&ff);
            }
        }
        featuremap_free(&fm);
    }
    volume_free(&img);
    volume_free(&msk);
    fgold_free(&g);
}

TEST(featuremap_pyradiomics_cropped_grid) { run_golden("crop"); }
TEST(featuremap_pyradiomics_resampled) { run_golden("resampled"); }
TEST(featuremap_pyradiomics_border_r2) { run_golden("border_r2"); }
TEST(featuremap_pyradiomics_precrop_unmasked) { run_golden("precrop"); }
TEST(featuremap_pyradiomics_ragged_roi) { run_golden("ragged"); }
TEST(featuremap_pyradiomics_flat_kernels) { run_golden("flat_kernels"); }
TEST(featuremap_pyradiomics_ragged_weighted) { run_golden("ragged_weighted"); }
TEST(featuremap_pyradiomics_ragged_r2) { run_golden("ragged_r2"); }

/* A textured ellipsoid phantom (Philox draws keyed by voxel index). */
/* ragged: about half of the ellipsoid's voxels, at random (isolated voxels, two-voxel kernels,
 * directions empty in some kernels only). */
static int make_phantom(struct volume *img, struct volume *msk, int nx, int ny, int nz, uint32_t seed, int ragged)
{
    const int64_t dim[4] = {nx, ny, nz, 1};
    struct sarc_err e;
    if (volume_alloc(img, 3, dim, &e) || volume_alloc(msk, 3, dim, &e))
        return -1;
    const double sp[3] = {0.1, 0.1, 0.3};
    volume_set_spacing(img, sp, NULL);
    volume_set_spacing(msk, sp, NULL);
    img->type = VT_I16;
    msk->type = VT_U8;
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                const int64_t t = i + (int64_t)nx * (j + (int64_t)ny * k);
                const double x = (i - nx / 2.0) / (nx * 0.3), y = (j - ny / 2.0) / (ny * 0.25), z = (k - nz / 2.0) / (nz * 0.4);
                const double r2 = x * x + y * y + z * z;
                uint32_t ctr[4] = {(uint32_t)t, 3, 0, 0}, key[2] = {seed, 9}, out[4];
                philox4x32_10(ctr, key, out);
                const double u = (out[0] + 0.5) / 4294967296.0;
                img->data[t] = floor(300 + 150 * exp(-r2) + 90 * u + 20 * sin(i * 0.7) * cos(j * 0.5));
                msk->data[t] = r2 <= 1.0 && (!ragged || out[1] < 2147483648u);
            }
    return 0;
}

/* Fast path against the per-class reference on every voxel of every map: the arithmetic is the
 * reference's (first order, NGTDM: the same bits) except the entropies of GLCM, GLRLM, GLSZM and
 * GLDM from log2 tables (about 1e-15 relative), the symmetric GLCM's sums over its upper
 * triangle (cluster shade: about 1e-11 relative, a sum with cancellation), IMC from the mutual
 * information and MCC from deflation + closed forms (about 1e-9 relative where two eigenvalues
 * nearly coincide), hence 1e-9 relative (MCC 1e-7) + 1e-12. */
static void fast_vs_reference(const char *what, const char *const *settings, int nset, const char *const *classes, int ncls,
                              uint32_t seed)
{
    struct volume img = {0}, msk = {0};
    REQUIRE(make_phantom(&img, &msk, 15, 13, 8, seed & 0xffff, seed >> 16) == 0);
    struct rad_settings s;
    rad_settings_default(&s);
    struct sarc_err e = {0};
    for (int t = 0; t < nset; t++) {
        char nm[64];
        const char *eq = strchr(settings[t], '=');
        snprintf(nm, sizeof nm, "%.*s", (int)(eq - settings[t]), settings[t]);
        REQUIRE_OK(rad_setting_set(&s, nm, eq + 1, &e), e);
    }
    for (int t = 0; t < ncls; t++)
        REQUIRE_OK(rad_enable(&s, classes[t], NULL, 0, &e), e);
    struct featuremap a, b, c;
    struct featuremap_opts ref = FEATUREMAP_OPTS_DEFAULT;
    ref.reference = 1;
    REQUIRE_OK(featuremap_compute(&img, &msk, &s, &a, &e), e);
    int rc = featuremap_compute_opts(&img, &msk, &s, &ref, &b, &e);
    CHECK_OK(rc, e);
    if (rc == 0) {
        CHECK_INT(a.n, b.n);
        int64_t bad = 0, checked = 0;
        double worst = 0;
        for (int q = 0; q < a.n && q < b.n; q++) {
            const double rt = strstr(a.names[q], "MCC") ? 1e-7 : 1e-9;
            for (int64_t t = 0; t < volume_count(&a.maps[q]); t++) {
                const double x = a.maps[q].data[t], y = b.maps[q].data[t];
                checked++;
                if (!isnan(y) && fabs(y) > 0 && fabs(x - y) / fabs(y) > worst)
                    worst = fabs(x - y) / fabs(y);
                if (!((isnan(x) && isnan(y)) || fabs(x - y) <= rt * fabs(y) + 1e-12)) {
                    if (bad < 5)
                        test_fail_at(__FILE__, __LINE__, "%s: %s voxel %lld: fast %.17g, reference %.17g", what, a.names[q], (long long)t, x, y);
                    bad++;
                }
            }
        }
        CHECK_MSG(bad == 0, "%s: %lld of %lld values differ (worst relative %.3g)", what, (long long)bad, (long long)checked, worst);
        CHECK(checked > 1000);
        featuremap_free(&b);
    }
    /* 1 vs 3 threads: identical bits */
    REQUIRE(pool_set_default_threads(1) == 0);
    rc = featuremap_compute(&img, &msk, &s, &c, &e);
    pool_set_default_threads(3);
    CHECK_OK(rc, e);
    if (rc == 0) {
        for (int q = 0; q < a.n && q < c.n; q++)
            CHECK_MSG(memcmp(a.maps[q].data, c.maps[q].data, (size_t)volume_count(&a.maps[q]) * sizeof(double)) == 0,
                      "%s: map %s differs between 1 and 3 threads", what, a.names[q]);
        featuremap_free(&c);
    }
    pool_set_default_threads(0);
    featuremap_free(&a);
    volume_free(&img);
    volume_free(&msk);
}

TEST(featuremap_fast_vs_reference_r1)
{
    const char *cls[] = {"firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"};
    const char *set[] = {"kernelRadius=1", "binWidth=25"};
    fast_vs_reference("r1", set, 2, cls, 6, 1);
}

TEST(featuremap_fast_vs_reference_settings)
{
    const char *cls[] = {"firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"};
    const char *a[] = {"kernelRadius=2", "binCount=16", "distances=[1, 2]", "gldm_a=1"};
    fast_vs_reference("r2 binCount 16 distances 1,2 gldm_a 1", a, 4, cls, 6, 2);
    const char *b[] = {"kernelRadius=1", "binWidth=10", "symmetricalGLCM=false"};
    fast_vs_reference("asymmetric GLCM", b, 3, cls, 2, 3);
    const char *c[] = {"kernelRadius=2", "binWidth=15", "force2D=true", "maskedKernel=false", "voxelArrayShift=7"};
    fast_vs_reference("force2D unmasked", c, 5, cls, 6, 4);
    const char *d[] = {"kernelRadius=1", "binWidth=30", "weightingNorm=euclidean"};
    fast_vs_reference("weighted (reference GLCM, GLRLM)", d, 3, cls, 6, 5);
    const char *f[] = {"kernelRadius=1", "binWidth=25", "distances=[3]"};
    fast_vs_reference("distance 3 > kernel", f, 3, cls, 6, 6);
    /* a ragged ROI with coarse bins: kernels without pairs, one-level kernels (MCC 0),
     * JointAverage NaN where a direction is empty in this kernel but not in all */
    const char *g[] = {"kernelRadius=1", "binWidth=60"};
    fast_vs_reference("ragged ROI, coarse bins", g, 2, cls, 6, 7 | 1u << 16);
    const char *h[] = {"kernelRadius=2", "binWidth=80", "distances=[1, 2]"};
    fast_vs_reference("ragged ROI, r2, distances 1,2", h, 3, cls, 6, 8 | 1u << 16);
}

TEST(featuremap_cli_grid)
{
    struct volume img = {0}, msk = {0};
    REQUIRE(make_phantom(&img, &msk, 16, 14, 9, 6, 0) == 0);
    const double origin[3] = {5, -7, 2.5};
    volume_set_spacing(&img, img.spacing, origin);
    volume_set_spacing(&msk, msk.spacing, origin);
    char ip[512], mp[512], dir[512], p[1024];
    snprintf(ip, sizeof ip, "%s", test_tmp("fm_img.nii.gz"));
    snprintf(mp, sizeof mp, "%s", test_tmp("fm_mask.nii.gz"));
    snprintf(dir, sizeof dir, "%s", test_tmp("fm_maps"));
    struct sarc_err e;
    REQUIRE_OK(volume_write(ip, &img, NULL, &e), e);
    REQUIRE_OK(volume_write(mp, &msk, NULL, &e), e);
    int64_t lo[3] = {img.dim[0], img.dim[1], img.dim[2]}, hi[3] = {-1, -1, -1};
    for (int64_t k = 0; k < img.dim[2]; k++)
        for (int64_t j = 0; j < img.dim[1]; j++)
            for (int64_t i = 0; i < img.dim[0]; i++)
                if (msk.data[i + img.dim[0] * (j + img.dim[1] * k)] != 0) {
                    const int64_t c[3] = {i, j, k};
                    for (int a = 0; a < 3; a++) {
                        lo[a] = c[a] < lo[a] ? c[a] : lo[a];
                        hi[a] = c[a] > hi[a] ? c[a] : hi[a];
                    }
                }
    REQUIRE(hi[0] >= 0);
    /* default: PyRadiomics' crop, box +- 1 clipped */
    REQUIRE_MSG(test_systemf("%s featuremap %s %s -o %s --kernel-radius 1 --setting featureClass=x --audit none", test_sarc(), ip, mp, dir) == 2,
                "an unknown setting must fail");
    FILE *y = fopen(test_tmp("fm.yaml"), "w");
    REQUIRE(y);
    fputs("featureClass:\n  firstorder: [Mean]\n  glcm: [Contrast, MCC]\n", y);
    fclose(y);
    REQUIRE_MSG(test_systemf("%s featuremap %s %s -o %s --kernel-radius 1 --params %s --audit none", test_sarc(), ip, mp, dir, test_tmp("fm.yaml")) == 0,
                "%s", test_last_output());
    struct volume m = {0}, full = {0};
    snprintf(p, sizeof p, "%s/original_glcm_MCC.nii.gz", dir);
    REQUIRE_OK(volume_read(p, NULL, &m, &e), e);
    for (int a = 0; a < 3; a++) {
        const int64_t l = lo[a] - 1 < 0 ? 0 : lo[a] - 1, h = hi[a] + 1 > img.dim[a] - 1 ? img.dim[a] - 1 : hi[a] + 1;
        CHECK_INT(m.dim[a], h - l + 1);
        CHECK_CLOSE(m.affine[a][3], origin[a] + img.spacing[a] * (double)l, 1e-6, 1e-5); /* float32 sform */
        CHECK_CLOSE(m.spacing[a], img.spacing[a], 1e-6, 0);
    }
    /* --full-grid: the image grid, initValue outside, the same values inside */
    REQUIRE_MSG(test_systemf("%s featuremap %s %s -o %s --kernel-radius 1 --params %s --full-grid --audit none", test_sarc(), ip, mp, dir, test_tmp("fm.yaml")) == 0,
                "%s", test_last_output());
    REQUIRE_OK(volume_read(p, NULL, &full, &e), e);
    for (int a = 0; a < 3; a++)
        CHECK_INT(full.dim[a], img.dim[a]);
    CHECK_CLOSE(full.affine[0][3], origin[0], 0, 1e-5);
    int64_t diff = 0;
    const int64_t l0 = lo[0] - 1 < 0 ? 0 : lo[0] - 1, l1 = lo[1] - 1 < 0 ? 0 : lo[1] - 1, l2 = lo[2] - 1 < 0 ? 0 : lo[2] - 1;
    for (int64_t k = 0; k < m.dim[2]; k++)
        for (int64_t j = 0; j < m.dim[1]; j++)
            for (int64_t i = 0; i < m.dim[0]; i++) {
                const double a = m.data[i + m.dim[0] * (j + m.dim[1] * k)];
                const double b = full.data[(i + l0) + full.dim[0] * ((j + l1) + full.dim[1] * (k + l2))];
                diff += !(a == b || (isnan(a) && isnan(b)));
            }
    CHECK_INT(diff, 0);
    CHECK(full.data[0] == 0);
    /* refused: --full-grid with resampling; shape classes */
    CHECK_INT(test_systemf("%s featuremap %s %s -o %s --setting resampledPixelSpacing=[0.2,0.2,0.3] --full-grid --audit none", test_sarc(), ip, mp, dir), 2);
    CHECK(strstr(test_last_output(), "sarc: ") != NULL && strstr(test_last_output(), "full-grid") != NULL);
    y = fopen(test_tmp("fm_shape.yaml"), "w");
    REQUIRE(y);
    fputs("featureClass:\n  shape:\n", y);
    fclose(y);
    CHECK_INT(test_systemf("%s featuremap %s %s -o %s --params %s --audit none", test_sarc(), ip, mp, dir, test_tmp("fm_shape.yaml")), 2);
    volume_free(&m);
    volume_free(&full);
    volume_free(&img);
    volume_free(&msk);
}
