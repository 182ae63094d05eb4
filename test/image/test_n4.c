/* test_n4.c - N4 bias-field correction (image/n4.c) against SimpleITK 2.5's
 * N4BiasFieldCorrectionImageFilter (goldens in test/golden/image/n4.txt from
 * test/oracles/image_n4.py): a phantom-like volume with a known bias (recomputed here from the
 * integer hash), and the real T1 MRI ../shared/data/sts/STS_032 as is and times a known bias;
 * shrunk N4 (--preset paper, shrink 3) against SimpleITK on sitk.Shrink'd input
 * (test/golden/image/n4_shrink.txt from test/oracles/n4_shrink.py).
 * Criteria (issue 8): correlation of log-bias fields with SimpleITK's >= 0.99 inside the mask,
 * with the true bias >= 0.95 (or SimpleITK's own minus 0.01), muscle CV after correction no
 * higher than SimpleITK's; bit-identical results for 1 and 3 threads; bad parameters refused. */
#include <math.h>
#include <stdlib.h>

#include "image/components.h"
#include "image/n4.h"
#include "io/volio.h"
#include "test/harness.h"
#include "test/image/image_testutil.h"
#include "vendor/pool.h"

#define GOLDEN "test/golden/image/n4.txt"

/* Pearson correlation of a and b over n values (double, index order). */
static double corr(const double *a, const double *b, int64_t n)
{
    double ma = 0, mb = 0;
    for (int64_t i = 0; i < n; i++)
        ma += a[i], mb += b[i];
    ma /= (double)n, mb /= (double)n;
    double sab = 0, saa = 0, sbb = 0;
    for (int64_t i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / sqrt(saa * sbb);
}

static double cv(const double *x, const uint8_t *m, int64_t n)
{
    double s = 0, c = 0;
    for (int64_t i = 0; i < n; i++)
        if (m[i])
            s += x[i], c++;
    const double mu = s / c;
    double ss = 0;
    for (int64_t i = 0; i < n; i++)
        if (m[i])
            ss += (x[i] - mu) * (x[i] - mu);
    return sqrt(ss / (c - 1)) / mu;
}

/* The phantom of image_n4.py: obs (float32 values), body mask, true log-bias, muscle mask. */
static int phantom_make(struct volume *v, uint8_t **body, double **tlb, uint8_t **muscle)
{
    const int64_t dim[4] = {48, 44, 20, 1};
    const int nx = 48, ny = 44, nz = 20;
    struct sarc_err e = {0};
    if (volume_alloc(v, 3, dim, &e))
        return -1;
    const double sp[3] = {0.2, 0.2, 0.6};
    volume_set_spacing(v, sp, NULL);
    const int64_t n = volume_count(v);
    *body = malloc((size_t)n), *muscle = malloc((size_t)n), *tlb = malloc(sizeof(double) * (size_t)n);
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                const int64_t idx = i + nx * (j + (int64_t)ny * k);
                const double u = img_hash01((uint64_t)idx, 21);
                const double x = (i - 23.5) * 0.2, y = (j - 21.5) * 0.2, z = (k - 9.5) * 0.6;
                const double r2 = (x / 4.4) * (x / 4.4) + (y / 3.9) * (y / 3.9);
                const int in = r2 < 1.0, fat = in && r2 > 0.72;
                const int tum = (x - 1.0) * (x - 1.0) + (y + 0.5) * (y + 0.5) + (z / 1.5) * (z / 1.5) < 1.6 * 1.6;
                double t = in ? (fat ? 160.0 : tum ? 130.0 : 100.0) : 3.0;
                t = t + 8.0 * (u - 0.5);
                const double lb = 0.35 * ((double)i / nx - 0.5) - 0.25 * ((double)k / nz - 0.5) + 0.15 * sin(j / 9.0);
                v->data[idx] = (float)(t * exp(lb));
                (*body)[idx] = (uint8_t)in;
                (*muscle)[idx] = (uint8_t)(in && !fat && !tum);
                (*tlb)[idx] = lb;
            }
    return 0;
}

/* Log-bias of `bias` at the golden's subgrid (step sx, sy, sz) where mask is set, paired with
 * the golden values; returns the number of pairs. */
static int64_t subgrid_pairs(const struct volume *bias, const uint8_t *mask, const double *gold, int64_t ng, int sx,
                             int sy, int sz, double *a, double *b)
{
    int64_t g = 0, np = 0;
    for (int64_t k = 0; k < bias->dim[2]; k += sz)
        for (int64_t j = 0; j < bias->dim[1]; j += sy)
            for (int64_t i = 0; i < bias->dim[0]; i += sx, g++) {
                const int64_t idx = i + bias->dim[0] * (j + bias->dim[1] * k);
                if (g < ng && mask[idx]) {
                    a[np] = log(bias->data[idx]);
                    b[np] = gold[g];
                    np++;
                }
            }
    return g == ng ? np : -1;
}

TEST(image_n4_phantom_sitk)
{
    struct volume v, cor, bias;
    uint8_t *body, *muscle;
    double *tlb;
    REQUIRE(phantom_make(&v, &body, &tlb, &muscle) == 0);
    const int64_t n = volume_count(&v);
    struct n4_params p;
    n4_params_default(&p);
    struct sarc_err e = {0};
    REQUIRE_OK(n4_correct(&v, body, NULL, &p, &cor, &bias, &e), e);
    int64_t ng, nc, nr;
    double *gold = golden_section(GOLDEN, "phantom_logbias", &ng);
    double *gcv = golden_section(GOLDEN, "phantom_cv", &nc);
    double *grt = golden_section(GOLDEN, "phantom_r_true", &nr);
    if (gold && gcv && grt && nc == 2 && nr == 1) {
        double *a = malloc(sizeof(double) * (size_t)ng), *b = malloc(sizeof(double) * (size_t)ng);
        const int64_t np = subgrid_pairs(&bias, body, gold, ng, 4, 4, 2, a, b);
        CHECK(np > 100);
        const double r_sitk = corr(a, b, np);
        CHECK_MSG(r_sitk >= 0.99, "log-bias correlation with SimpleITK %.5f < 0.99", r_sitk);
        /* true bias, over the whole body */
        double *x = malloc(sizeof(double) * (size_t)n), *y = malloc(sizeof(double) * (size_t)n);
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++)
            if (body[i]) {
                x[m] = log(bias.data[i]);
                y[m++] = tlb[i];
            }
        const double r_true = corr(x, y, m);
        const double need = fmin(0.95, grt[0] - 0.01);
        CHECK_MSG(r_true >= need, "log-bias correlation with the true bias %.5f < %.5f (SimpleITK %.5f)", r_true, need, grt[0]);
        /* corrected = input / bias; the muscle's CV drops at least as much as SimpleITK's */
        CHECK_CLOSE(cor.data[1234] * bias.data[1234], v.data[1234], 1e-12, 1e-12);
        const double cv_before = cv(v.data, muscle, n), cv_after = cv(cor.data, muscle, n);
        CHECK_CLOSE(cv_before, gcv[0], 1e-6, 0);
        CHECK_MSG(cv_after <= gcv[1] * 1.02, "muscle CV after N4 %.5f, SimpleITK %.5f", cv_after, gcv[1]);
        printf("    phantom: r(log-bias, SimpleITK) %.6f, r(true) %.5f (SimpleITK %.5f), muscle CV %.4f -> %.4f (SimpleITK %.4f)\n",
               r_sitk, r_true, grt[0], cv_before, cv_after, gcv[1]);
        free(a), free(b), free(x), free(y);
    } else
        CHECK_MSG(0, "golden phantom sections missing in %s", GOLDEN);
    free(gold), free(gcv), free(grt);
    volume_free(&cor), volume_free(&bias);
    /* determinism: 1 and 3 threads give identical bits; shrink 2 still recovers the bias */
    struct volume c1, c3;
    pool_set_default_threads(1);
    p.shrink_factor = 2;
    int rc1 = n4_correct(&v, body, NULL, &p, &c1, NULL, &e);
    pool_set_default_threads(3);
    int rc3 = n4_correct(&v, body, NULL, &p, &c3, &bias, &e);
    pool_set_default_threads(0);
    REQUIRE_OK(rc1, e);
    REQUIRE_OK(rc3, e);
    CHECK(memcmp(c1.data, c3.data, sizeof(double) * (size_t)n) == 0);
    double *x = malloc(sizeof(double) * (size_t)n), *y = malloc(sizeof(double) * (size_t)n);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (body[i]) {
            x[m] = log(bias.data[i]);
            y[m++] = tlb[i];
        }
    const double r_shrink = corr(x, y, m);
    CHECK_MSG(r_shrink >= 0.95, "shrink 2: correlation with the true bias %.5f < 0.95", r_shrink);
    printf("    phantom, shrink 2: r(true) %.5f\n", r_shrink);
    free(x), free(y);
    volume_free(&c1), volume_free(&c3), volume_free(&bias);
    volume_free(&v);
    free(body), free(muscle), free(tlb);
}

/* The 50 x 46 x 21 volume of test/oracles/n4_shrink.py: obs, body mask, true log-bias. */
static int shrink_phantom_make(struct volume *v, uint8_t **body, double **tlb)
{
    const int nx = 50, ny = 46, nz = 21;
    const int64_t dim[4] = {nx, ny, nz, 1};
    struct sarc_err e = {0};
    if (volume_alloc(v, 3, dim, &e))
        return -1;
    const double sp[3] = {0.25, 0.25, 0.5}; /* binary-exact, see image_n4_shrink_sitk */
    volume_set_spacing(v, sp, NULL);
    const int64_t n = volume_count(v);
    *body = malloc((size_t)n), *tlb = malloc(sizeof(double) * (size_t)n);
    if (!*body || !*tlb)
        return -1;
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                const int64_t idx = i + nx * (j + (int64_t)ny * k);
                const double u = img_hash01((uint64_t)idx, 33);
                const double x = (i - 24.5) * 0.2, y = (j - 22.5) * 0.2, z = (k - 10.0) * 0.6;
                const double r2 = (x / 4.6) * (x / 4.6) + (y / 4.1) * (y / 4.1);
                const int in = r2 < 1.0, fat = in && r2 > 0.7;
                const int tum = (x - 1.2) * (x - 1.2) + (y + 0.4) * (y + 0.4) + (z / 1.8) * (z / 1.8) < 1.7 * 1.7;
                const double t = (in ? (fat ? 170.0 : tum ? 140.0 : 100.0) : 3.0) + 8.0 * (u - 0.5);
                const double lb = 0.4 * ((double)i / nx - 0.5) - 0.3 * ((double)k / nz - 0.5) + 0.2 * sin(j / 11.0);
                v->data[idx] = (float)(t * exp(lb));
                (*body)[idx] = (uint8_t)in;
                (*tlb)[idx] = lb;
            }
    return 0;
}

/* Shrunk N4 (the study's --preset paper, and shrink 3 with 4 levels) against SimpleITK given
 * sitk.Shrink'd image and mask, log-bias read back on the full grid (test/golden/image/n4_shrink.txt
 * from test/oracles/n4_shrink.py; shrink 4 with the paper's settings, shrink 3 with 3 x 50
 * iterations run to the end). Grid sizes leave remainders (50, 46, 21 for shrink 3 and 4), so
 * ITK's centred subsampling and the stretched evaluation domain are both exercised: before they were
 * matched (sampling at s * f + (f - 1) / 2, evaluation on the shrunk grid's physical domain) the
 * fields agreed only to r = 0.76-0.92 on phantom scans at 112 x 112 x 30. The spacing is binary-exact
 * (0.25, 0.5 mm): where the centred block's middle is a half voxel, ITK picks the sample by rounding
 * a physical point, so with spacings such as 0.2 mm floating-point error can tip it to the lower
 * voxel (sitk.Shrink by 2 of a 0.2 mm axis samples 0, 2, 4, ...; of a 1 mm axis 1, 3, 5, ...);
 * we always take the upper one (ITK's round-half-up in exact arithmetic). */
TEST(image_n4_shrink_sitk)
{
    struct volume v, cor, bias;
    uint8_t *body = NULL;
    double *tlb = NULL;
    REQUIRE(shrink_phantom_make(&v, &body, &tlb) == 0);
    const int64_t n = volume_count(&v);
    const char *names[2] = {"paper4", "s3"};
    for (int c = 0; c < 2; c++) {
        struct n4_params p;
        if (c == 0)
            n4_params_paper(&p);
        else {
            n4_params_default(&p);
            p.shrink_factor = 3;
            p.levels = 3;
            p.convergence_threshold = 0;
        }
        struct sarc_err e = {0};
        if (n4_correct(&v, body, NULL, &p, &cor, &bias, &e)) {
            CHECK_OK(-1, e);
            continue;
        }
        char sec[64], rsec[64];
        snprintf(sec, sizeof sec, "%s_logbias", names[c]);
        snprintf(rsec, sizeof rsec, "%s_r_true", names[c]);
        int64_t ng = 0, nr = 0;
        double *gold = golden_section("test/golden/image/n4_shrink.txt", sec, &ng);
        double *grt = golden_section("test/golden/image/n4_shrink.txt", rsec, &nr);
        uint8_t *all = malloc((size_t)n);
        double *a = malloc(sizeof(double) * (size_t)(ng + 1)), *b = malloc(sizeof(double) * (size_t)(ng + 1));
        if (gold && grt && nr == 1 && all && a && b) {
            memset(all, 1, (size_t)n);
            const int64_t np = subgrid_pairs(&bias, all, gold, ng, 4, 4, 3, a, b);
            CHECK_MSG(np == ng, "%s: golden holds %lld values, the grid %lld", names[c], (long long)ng, (long long)np);
            /* ITK holds the log image, histogram and lattice in float (24-bit mantissa) for up to 300
             * iterations; measured 2.2e-4 on fields spanning 0.7, so 5e-4 */
            double worst = 0;
            for (int64_t i = 0; i < np; i++)
                worst = fmax(worst, fabs(a[i] - b[i]));
            const double r = corr(a, b, np);
            CHECK_MSG(worst <= 5e-4, "%s: log-bias differs from SimpleITK by up to %.3g", names[c], worst);
            CHECK_MSG(r >= 0.9999, "%s: log-bias correlation with SimpleITK %.6f < 0.9999", names[c], r);
            int64_t m = 0;
            for (int64_t i = 0; i < n; i++)
                m += body[i] != 0;
            double *x = malloc(sizeof(double) * (size_t)m), *y = malloc(sizeof(double) * (size_t)m);
            REQUIRE(x && y);
            m = 0;
            for (int64_t i = 0; i < n; i++)
                if (body[i]) {
                    x[m] = log(bias.data[i]);
                    y[m++] = tlb[i];
                }
            const double rt = corr(x, y, m);
            CHECK_CLOSE(rt, grt[0], 1e-4, 0);
            printf("    shrink %d (%s): max |log-bias - SimpleITK| %.2g, r %.7f; r(true) %.5f (SimpleITK %.5f)\n",
                   p.shrink_factor, names[c], worst, r, rt, grt[0]);
            free(x), free(y);
        } else
            CHECK_MSG(0, "golden sections %s / %s missing in test/golden/image/n4_shrink.txt", sec, rsec);
        free(gold), free(grt), free(all), free(a), free(b);
        volume_free(&cor), volume_free(&bias);
    }
    volume_free(&v);
    free(body), free(tlb);
}

/* ITK's histogram range (image/n4.c): with the first body voxel in scan order the darkest, ITK
 * leaves it out of the minimum, so it falls below bin 0: not in the histogram, sharpened to the
 * top bin. sarc does as ITK by default (SimpleITK golden first1, test/oracles/n4_shrink.py);
 * with the true range (--true-range) the field differs (found on a phantom scan where the fit mask's
 * first voxel was its darkest: r(log-bias, SimpleITK) 0.955 before). */
TEST(image_n4_itk_histogram_range)
{
    struct volume v, cor, bias;
    uint8_t *body = NULL;
    double *tlb = NULL;
    REQUIRE(shrink_phantom_make(&v, &body, &tlb) == 0);
    const int64_t n = volume_count(&v);
    int64_t first = 0;
    while (first < n && !body[first])
        first++;
    REQUIRE(first < n);
    v.data[first] = (float)(30.0 * exp(tlb[first]));
    int64_t ng = 0;
    double *gold = golden_section("test/golden/image/n4_shrink.txt", "first1_logbias", &ng);
    REQUIRE_MSG(gold != NULL, "golden section first1_logbias missing");
    uint8_t *all = malloc((size_t)n);
    double *a = malloc(sizeof(double) * (size_t)(ng + 1)), *b = malloc(sizeof(double) * (size_t)(ng + 1));
    REQUIRE(all && a && b);
    memset(all, 1, (size_t)n);
    double worst[2] = {0, 0}, r[2] = {0, 0};
    for (int tr = 0; tr < 2; tr++) {
        struct n4_params p;
        n4_params_default(&p);
        p.levels = 3;
        for (int l = 0; l < 3; l++)
            p.maximum_number_of_iterations[l] = 20;
        p.convergence_threshold = 0;
        p.true_range = tr;
        struct sarc_err e = {0};
        if (n4_correct(&v, body, NULL, &p, &cor, &bias, &e)) {
            CHECK_OK(-1, e);
            continue;
        }
        const int64_t np = subgrid_pairs(&bias, all, gold, ng, 4, 4, 3, a, b);
        CHECK_INT(np, ng);
        for (int64_t i = 0; i < np; i++)
            worst[tr] = fmax(worst[tr], fabs(a[i] - b[i]));
        r[tr] = corr(a, b, np);
        volume_free(&cor), volume_free(&bias);
    }
    CHECK_MSG(worst[0] <= 5e-4 && r[0] >= 0.9999, "ITK range: max |log-bias - SimpleITK| %.3g, r %.6f", worst[0], r[0]);
    CHECK_MSG(worst[1] > 4 * worst[0] + 1e-3, "the true range should differ here (max diff %.3g vs %.3g)", worst[1], worst[0]);
    printf("    first voxel darkest: ITK range max |log-bias - SimpleITK| %.2g (r %.7f); true range %.2g (r %.5f)\n", worst[0], r[0],
           worst[1], r[1]);
    free(gold), free(all), free(a), free(b);
    volume_free(&v);
    free(body), free(tlb);
}

static void sts_case(const char *section, int with_bias, const char *rtrue_section)
{
    const char *path = test_shared("data/sts/STS_032/MR_T1_image.nii.gz");
    if (!path)
        SKIP("../shared/data/sts/STS_032 is absent");
    struct volume v;
    struct sarc_err e = {0};
    int rc = volume_read(path, NULL, &v, &e);
    if (rc == SARC_ERR_UNSUPPORTED)
        SKIP("NIfTI reading is not available in this build");
    REQUIRE_OK(rc, e);
    const int64_t n = volume_frame_count(&v);
    int64_t ng;
    double *thr = golden_section(GOLDEN, "sts032_otsu", &ng);
    REQUIRE_MSG(thr && ng == 1, "golden sts032_otsu missing");
    /* the default mask is Otsu's foreground: same threshold as scikit-image */
    const double t = otsu_threshold(v.data, n, 256);
    CHECK_CLOSE(t, thr[0], 1e-9, 1e-9);
    uint8_t *mask = malloc((size_t)n);
    double *tb = malloc(sizeof(double) * (size_t)n);
    const int64_t nx = v.dim[0], ny = v.dim[1], nz = v.dim[2];
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++) {
                const int64_t idx = i + nx * (j + ny * k);
                mask[idx] = v.data[idx] > thr[0];
                tb[idx] = 0.3 * ((double)i / nx - 0.5) + 0.2 * cos(3.0 * j / ny) - 0.25 * ((double)k / nz - 0.5);
                if (with_bias)
                    v.data[idx] = (float)(v.data[idx] * exp(tb[idx]));
            }
    struct n4_params p;
    n4_params_default(&p);
    p.levels = 3;
    p.maximum_number_of_iterations[0] = p.maximum_number_of_iterations[1] = p.maximum_number_of_iterations[2] = 20;
    struct volume cor, bias;
    rc = n4_correct(&v, with_bias ? mask : NULL, NULL, &p, &cor, &bias, &e);
    if (rc == 0) {
        double *gold = golden_section(GOLDEN, section, &ng);
        CHECK_MSG(gold != NULL, "golden %s missing", section);
        if (gold) {
            double *a = malloc(sizeof(double) * (size_t)ng), *b = malloc(sizeof(double) * (size_t)ng);
            const int64_t np = subgrid_pairs(&bias, mask, gold, ng, 8, 8, 6, a, b);
            CHECK(np > 100);
            const double r = corr(a, b, np);
            CHECK_MSG(r >= 0.99, "%s: log-bias correlation with SimpleITK %.5f < 0.99", section, r);
            printf("    %s: r(log-bias, SimpleITK) %.6f\n", section, r);
            free(a), free(b);
        }
        free(gold);
        if (rtrue_section) {
            double *x = malloc(sizeof(double) * (size_t)n), *y = malloc(sizeof(double) * (size_t)n);
            int64_t m = 0;
            for (int64_t i = 0; i < n; i++)
                if (mask[i]) {
                    x[m] = log(bias.data[i]);
                    y[m++] = tb[i];
                }
            const double r = corr(x, y, m);
            CHECK_MSG(r >= 0.95, "%s: correlation with the true bias %.5f < 0.95", section, r);
            printf("    %s: r(true) %.5f\n", section, r);
            free(x), free(y);
        }
        volume_free(&cor), volume_free(&bias);
    } else
        CHECK_OK(rc, e);
    free(thr), free(mask), free(tb);
    volume_free(&v);
}

TEST(image_n4_real_mri_sitk) { sts_case("sts032_logbias", 0, NULL); }
TEST(image_n4_real_mri_known_bias) { sts_case("sts032b_logbias", 1, "sts032b_r_true"); }

TEST(image_n4_bad_input)
{
    const int64_t dim[4] = {8, 8, 4, 1};
    struct volume v, c;
    struct sarc_err e = {0};
    REQUIRE_OK(volume_alloc(&v, 3, dim, &e), e);
    for (int64_t i = 0; i < 256; i++)
        v.data[i] = 100 + 10 * img_hash01((uint64_t)i, 5);
    uint8_t mask[256] = {0};
    struct n4_params p;
    n4_params_default(&p);
    CHECK(n4_correct(&v, mask, NULL, &p, &c, NULL, &e) == SARC_ERR_ARG); /* empty mask */
    CHECK(strstr(e.msg, "mask") != NULL);
    p.number_of_histogram_bins = 1;
    CHECK(n4_correct(&v, NULL, NULL, &p, &c, NULL, &e) == SARC_ERR_ARG);
    n4_params_default(&p);
    p.number_of_control_points[1] = 3; /* < order + 1 */
    CHECK(n4_correct(&v, NULL, NULL, &p, &c, NULL, &e) == SARC_ERR_ARG);
    n4_params_default(&p);
    p.levels = 0;
    CHECK(n4_correct(&v, NULL, NULL, &p, &c, NULL, &e) == SARC_ERR_ARG);
    /* a constant image: the bias stays 1 */
    n4_params_default(&p);
    for (int64_t i = 0; i < 256; i++)
        v.data[i] = 50;
    memset(mask, 1, sizeof mask);
    struct volume b;
    CHECK_OK(n4_correct(&v, mask, NULL, &p, &c, &b, &e), e);
    if (b.data)
        CHECK_CLOSE(b.data[77], 1.0, 0, 1e-12);
    volume_free(&c), volume_free(&b), volume_free(&v);
}
