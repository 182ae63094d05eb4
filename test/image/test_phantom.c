/* test_phantom.c - the synthetic cohort generator (image/phantom.c, phantom_write.c) and
 * `sarc phantom` (cmd/cmd_phantom.c): parameter checks, determinism (same seed = same bits, any
 * order, any thread count), tissue contrasts, tumour volume distribution and growth, bias-field
 * smoothness, the recurrence rule and that its latents really shape the images, the files and
 * manifest of the command, bad input, and Bruker output read back equal to the NIfTI output.
 * Small grids keep every case to a few seconds (the default field of view at coarser spacing). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/phantom.h"
#include "io/csv.h"
#include "io/file.h"
#include "io/volio.h"
#include "test/harness.h"
#include "vendor/sha256.h"

/* the default 28 x 28 x 18 mm field of view at coarse spacing */
static void params_small(struct phantom_params *p, int64_t nxy, int64_t nz)
{
    phantom_params_default(p);
    p->dim[0] = p->dim[1] = nxy;
    p->dim[2] = nz;
    p->spacing[0] = p->spacing[1] = 28.0 / (double)nxy;
    p->spacing[2] = 18.0 / (double)nz;
    p->mice = 8;
    p->seed = 1234;
}

static int same_data(const struct volume *a, const struct volume *b)
{
    const int64_t n = volume_count(a);
    return n == volume_count(b) && memcmp(a->data, b->data, sizeof(double) * (size_t)n) == 0;
}

TEST(phantom_params_checked)
{
    struct phantom_params p;
    struct sarc_err e = {0};
    phantom_params_default(&p);
    CHECK_OK(phantom_params_check(&p, &e), e);
    CHECK_INT(p.dim[0], 280);
    CHECK_CLOSE(phantom_anatomy_scale(&p), 1.0, 0, 1e-12);
    p.mice = 0;
    CHECK_INT(phantom_params_check(&p, &e), SARC_ERR_ARG);
    CHECK(strstr(e.msg, "mice = 0") != NULL);
    phantom_params_default(&p);
    p.dim[2] = 4;
    CHECK_INT(phantom_params_check(&p, &e), SARC_ERR_RANGE);
    CHECK(strstr(e.msg, "size[2] = 4") != NULL);
    phantom_params_default(&p);
    p.spacing[1] = NAN;
    CHECK_INT(phantom_params_check(&p, &e), SARC_ERR_RANGE);
    phantom_params_default(&p);
    p.snr = -1;
    CHECK_INT(phantom_params_check(&p, &e), SARC_ERR_RANGE);
    phantom_params_default(&p);
    p.effect = INFINITY;
    CHECK_INT(phantom_params_check(&p, &e), SARC_ERR_RANGE);
    phantom_params_default(&p);
    p.dim[0] = p.dim[1] = 4096, p.dim[2] = 4096;
    CHECK_INT(phantom_params_check(&p, &e), SARC_ERR_RANGE);
    /* a half-size field of view shrinks the anatomy by 2 */
    phantom_params_default(&p);
    p.dim[0] = 140;
    CHECK_CLOSE(phantom_anatomy_scale(&p), 0.5, 0, 1e-12);
    struct phantom_scan s;
    params_small(&p, 32, 8);
    CHECK_INT(phantom_scan_generate(&p, 8, 0, &s, &e), SARC_ERR_ARG);
    CHECK_INT(phantom_scan_generate(&p, 0, 2, &s, &e), SARC_ERR_ARG);
    CHECK(s.img[0].data == NULL);
}

TEST(phantom_scan_deterministic_pure_function)
{
    struct phantom_params p;
    params_small(&p, 56, 15);
    struct phantom_scan a, b, c;
    struct sarc_err e = {0};
    REQUIRE_OK(phantom_scan_generate(&p, 1, 1, &a, &e), e);
    /* another scan in between must not change it (no hidden state) */
    REQUIRE_OK(phantom_scan_generate(&p, 0, 0, &c, &e), e);
    phantom_scan_free(&c);
    REQUIRE_OK(phantom_scan_generate(&p, 1, 1, &b, &e), e);
    for (int k = 0; k < PHANTOM_NCONTRAST; k++) {
        CHECK(same_data(&a.img[k], &b.img[k]));
        CHECK(same_data(&a.bias[k], &b.bias[k]));
        CHECK(a.gain[k] == b.gain[k]);
    }
    CHECK(same_data(&a.label, &b.label));
    CHECK(a.tumour_mm3 > 0);
    /* images: integers in 0..32767, maximum exactly 32767; bias in steps of 2^-12 */
    for (int k = 0; k < PHANTOM_NCONTRAST; k++) {
        struct vstats st;
        volume_stats(&a.img[k], &st);
        CHECK(st.min >= 0);
        CHECK(st.max == 32767);
        CHECK_INT(a.img[k].type, VT_I16);
        int64_t bad = 0;
        for (int64_t v = 0; v < volume_count(&a.img[k]); v++)
            bad += a.img[k].data[v] != floor(a.img[k].data[v]) || a.bias[k].data[v] * 4096 != floor(a.bias[k].data[v] * 4096);
        CHECK_INT(bad, 0);
    }
    /* a different seed, mouse or timepoint gives a different scan */
    p.seed = 1235;
    REQUIRE_OK(phantom_scan_generate(&p, 1, 1, &c, &e), e);
    CHECK(!same_data(&a.img[2], &c.img[2]));
    phantom_scan_free(&c);
    p.seed = 1234;
    REQUIRE_OK(phantom_scan_generate(&p, 1, 0, &c, &e), e);
    CHECK(!same_data(&a.label, &c.label));
    phantom_scan_free(&c);
    /* geometry: centred, axis-aligned, the requested spacing */
    CHECK_CLOSE(a.img[0].spacing[0], 0.5, 0, 1e-12);
    CHECK_CLOSE(a.img[0].affine[0][3], -0.5 * 55 * 0.5, 0, 1e-9);
    CHECK_CLOSE(a.img[0].affine[2][2], 1.2, 0, 1e-12);
    phantom_scan_free(&a);
    phantom_scan_free(&b);
}

/* 1 if voxel v and its 4 in-plane neighbours have the same tissue class (no partial volume). */
static int tissue_pure(const struct volume *t, int64_t v)
{
    const int64_t nx = t->dim[0], ny = t->dim[1], i = v % nx, j = (v / nx) % ny;
    if (i == 0 || j == 0 || i == nx - 1 || j == ny - 1)
        return 0;
    const double c = t->data[v];
    return t->data[v - 1] == c && t->data[v + 1] == c && t->data[v - nx] == c && t->data[v + nx] == c;
}

/* Mean of img / (gain * bias) over the pure voxels of a tissue (noise-free scans: the tissue
 * intensity). */
static double tissue_mean_of(const struct phantom_scan *s, int c, int tissue, int64_t *count)
{
    double sum = 0;
    int64_t n = 0;
    for (int64_t v = 0; v < volume_count(&s->tissue); v++)
        if ((int)s->tissue.data[v] == tissue && tissue_pure(&s->tissue, v)) {
            sum += s->img[c].data[v] / (s->gain[c] * s->bias[c].data[v]);
            n++;
        }
    if (count)
        *count = n;
    return n ? sum / (double)n : NAN;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

TEST(phantom_tissue_contrasts)
{
    /* noise-free, the paper's 0.1 mm in-plane (12 thick slices): contrasts as 7 T T1 FLASH and
     * T2 RARE show them */
    struct phantom_params p;
    params_small(&p, 280, 12);
    p.snr = 0;
    struct phantom_scan s;
    struct sarc_err e = {0};
    /* the mouse with the least peritumoral oedema (z_peri), so that muscle is mostly plain muscle */
    int mouse = 0;
    double zmin = 1e9;
    for (int m = 0; m < p.mice; m++) {
        struct phantom_mouse pm;
        phantom_mouse_draw(&p, m, &pm);
        if (pm.z_peri < zmin)
            zmin = pm.z_peri, mouse = m;
    }
    REQUIRE_OK(phantom_scan_generate(&p, mouse, 0, &s, &e), e);
    int64_t n[PHANTOM_NTISSUE];
    double m[PHANTOM_NCONTRAST][PHANTOM_NTISSUE];
    for (int c = 0; c < PHANTOM_NCONTRAST; c++)
        for (int t = 0; t < PHANTOM_NTISSUE; t++)
            m[c][t] = tissue_mean_of(&s, c, t, &n[t]);
    for (int t = PHANTOM_SKIN; t <= PHANTOM_VIABLE; t++)
        CHECK_MSG(n[t] > 20, "tissue %d has %lld voxels", t, (long long)n[t]);
    CHECK(n[PHANTOM_AIR] > n[PHANTOM_MUSCLE]);
    const double mu1 = m[PHANTOM_T1][PHANTOM_MUSCLE], mu1c = m[PHANTOM_T1C][PHANTOM_MUSCLE], mu2 = m[PHANTOM_T2][PHANTOM_MUSCLE];
    /* T1: fat bright, tumour slightly hypo/iso, cortex dark; documented means 3300/1500, 1400/1500 */
    CHECK_CLOSE(m[PHANTOM_T1][PHANTOM_FAT] / mu1, 2.2, 0.15, 0);
    CHECK(m[PHANTOM_T1][PHANTOM_VIABLE] / mu1 > 0.8 && m[PHANTOM_T1][PHANTOM_VIABLE] / mu1 < 1.02);
    CHECK(m[PHANTOM_T1][PHANTOM_CORTEX] / mu1 < 0.5);
    /* T1C: the viable tumour enhances (interior 2300, rim 3400 vs muscle 1650) */
    CHECK(m[PHANTOM_T1C][PHANTOM_VIABLE] / mu1c > 1.35);
    CHECK(m[PHANTOM_T1C][PHANTOM_NECROSIS] / mu1c < 0.9 || n[PHANTOM_NECROSIS] == 0);
    /* T2: tumour bright, muscle dark, fat bright, necrosis brighter than viable tumour */
    CHECK_CLOSE(m[PHANTOM_T2][PHANTOM_VIABLE] / mu2, 2050.0 / 900, 0.15, 0);
    CHECK_CLOSE(m[PHANTOM_T2][PHANTOM_FAT] / mu2, 3.0, 0.15, 0);
    if (n[PHANTOM_NECROSIS] > 20)
        CHECK(m[PHANTOM_T2][PHANTOM_NECROSIS] > m[PHANTOM_T2][PHANTOM_VIABLE]);
    /* vessels (too thin for pure voxels): bright on T1C, flow voids on T2 */
    double ves[PHANTOM_NCONTRAST] = {0};
    int64_t nv = 0;
    for (int64_t v = 0; v < volume_count(&s.tissue); v++)
        if ((int)s.tissue.data[v] == PHANTOM_VESSEL) {
            for (int c = 0; c < PHANTOM_NCONTRAST; c++)
                ves[c] += s.img[c].data[v] / (s.gain[c] * s.bias[c].data[v]);
            nv++;
        }
    REQUIRE_MSG(nv > 10, "%lld vessel voxels", (long long)nv);
    CHECK(ves[PHANTOM_T1C] / (double)nv > 1.3 * mu1c);
    CHECK(ves[PHANTOM_T2] / (double)nv < 0.8 * mu2);
    /* air is exactly zero without noise */
    CHECK(m[PHANTOM_T1][PHANTOM_AIR] < 1e-3 * mu1);
    /* textured: muscle varies by a few percent, not zero, not wild (robust spread: IQR / 1.349 /
     * median, so the oedema tail near the tumour does not count) */
    double *x = malloc(sizeof(double) * (size_t)volume_count(&s.tissue));
    REQUIRE(x != NULL);
    int64_t k = 0;
    for (int64_t v = 0; v < volume_count(&s.tissue); v++)
        if ((int)s.tissue.data[v] == PHANTOM_MUSCLE && tissue_pure(&s.tissue, v))
            x[k++] = s.img[PHANTOM_T2].data[v] / (s.gain[2] * s.bias[2].data[v]);
    qsort(x, (size_t)k, sizeof *x, cmp_double);
    const double cv = (x[3 * k / 4] - x[k / 4]) / 1.349 / x[k / 2];
    free(x);
    CHECK_MSG(cv > 0.03 && cv < 0.15, "muscle T2 robust coefficient of variation %g", cv);
    phantom_scan_free(&s);

    /* with noise: the Rician background has mean sigma sqrt(pi/2), sigma = muscle / snr */
    p.snr = 20;
    REQUIRE_OK(phantom_scan_generate(&p, mouse, 0, &s, &e), e);
    double bg = 0;
    int64_t nb = 0;
    for (int64_t v = 0; v < volume_count(&s.tissue); v++)
        if ((int)s.tissue.data[v] == PHANTOM_AIR) {
            bg += s.img[PHANTOM_T2].data[v] / s.gain[2] / s.bias[2].data[v];
            nb++;
        }
    /* divide by the bias: sigma is constant, so this only approximates; check the scale loosely */
    bg /= (double)nb;
    const double sigma = 900.0 / 20;
    CHECK_MSG(bg > 0.5 * sigma && bg < 4 * sigma, "background %g, sigma %g", bg, sigma);
    phantom_scan_free(&s);
}

TEST(phantom_volumes_and_growth)
{
    /* 0.25 x 0.25 x 0.75 mm, 8 mice: volumes 100..1500 mm^3, the label close to the generating
     * shape, every tumour larger after a week */
    struct phantom_params p;
    params_small(&p, 112, 24);
    p.snr = 0;
    struct sarc_err e = {0};
    int grew = 0;
    double vmin = 1e9, vmax = 0;
    for (int m = 0; m < p.mice; m++) {
        struct phantom_mouse pm;
        phantom_mouse_draw(&p, m, &pm);
        CHECK(pm.growth >= 1.3 && pm.growth <= 2.1);
        double vol[2];
        for (int tp = 0; tp < 2; tp++) {
            struct phantom_scan s;
            REQUIRE_OK(phantom_scan_generate(&p, m, tp, &s, &e), e);
            vol[tp] = s.tumour_mm3;
            CHECK(pm.volume_mm3[tp] >= 100 && pm.volume_mm3[tp] <= 1500);
            CHECK_MSG(fabs(vol[tp] / pm.volume_mm3[tp] - 1) < 0.25, "mouse %d tp %d: label %g mm3, target %g", m, tp, vol[tp],
                      pm.volume_mm3[tp]);
            vmin = fmin(vmin, vol[tp]);
            vmax = fmax(vmax, vol[tp]);
            phantom_scan_free(&s);
        }
        grew += vol[1] > 1.1 * vol[0];
    }
    CHECK_INT(grew, p.mice);
    CHECK_MSG(vmin >= 75 && vmax <= 1800, "volumes %g..%g mm3", vmin, vmax);
    CHECK_MSG(vmax / vmin > 2.5, "volumes should spread: %g..%g mm3", vmin, vmax);
}

TEST(phantom_bias_smooth)
{
    struct phantom_params p;
    params_small(&p, 140, 30);
    struct phantom_scan s;
    struct sarc_err e = {0};
    REQUIRE_OK(phantom_scan_generate(&p, 0, 1, &s, &e), e);
    const int64_t nx = p.dim[0], ny = p.dim[1], nz = p.dim[2];
    for (int c = 0; c < PHANTOM_NCONTRAST; c++) {
        const double *b = s.bias[c].data;
        double lo = 1e9, hi = 0, gmax = 0, bmin_body = 1e9, bmax_body = 0;
        for (int64_t k = 0; k + 1 < nz; k++)
            for (int64_t j = 0; j + 1 < ny; j++)
                for (int64_t i = 0; i + 1 < nx; i++) {
                    const int64_t v = i + nx * (j + ny * k);
                    lo = fmin(lo, b[v]), hi = fmax(hi, b[v]);
                    /* relative gradient per mm, forward differences */
                    const double gx = (b[v + 1] - b[v]) / p.spacing[0], gy = (b[v + nx] - b[v]) / p.spacing[1];
                    const double gz = (b[v + nx * ny] - b[v]) / p.spacing[2];
                    if (s.tissue.data[v] != PHANTOM_AIR) {
                        gmax = fmax(gmax, sqrt(gx * gx + gy * gy + gz * gz) / b[v]);
                        bmin_body = fmin(bmin_body, b[v]), bmax_body = fmax(bmax_body, b[v]);
                    }
                }
        CHECK_MSG(lo > 0.15 && hi < 3, "contrast %d: bias %g..%g", c, lo, hi);
        CHECK_MSG(gmax < 0.5, "contrast %d: relative bias gradient %g / mm in the body", c, gmax);
        /* a real field: the body sees at least a 1.5-fold variation */
        CHECK_MSG(bmax_body / bmin_body > 1.5, "contrast %d: body bias %g..%g", c, bmin_body, bmax_body);
    }
    /* different per contrast */
    CHECK(!same_data(&s.bias[0], &s.bias[2]));
    phantom_scan_free(&s);
}

TEST(phantom_recurrence_rule)
{
    struct phantom_params p;
    phantom_params_default(&p);
    p.mice = 400;
    p.effect = 0;
    int pos0 = 0, agree = 0;
    double mean_risk = 0;
    for (int m = 0; m < p.mice; m++) {
        struct phantom_mouse a, b;
        phantom_mouse_draw(&p, m, &a);
        phantom_mouse_draw(&p, m, &b);
        CHECK(memcmp(&a, &b, sizeof a) == 0);
        CHECK_INT(a.recurrence, a.noise > 0);
        CHECK_CLOSE(a.risk, (a.z_shape + a.z_peri) / sqrt(2.0), 0, 1e-15);
        pos0 += a.recurrence;
        mean_risk += a.risk / p.mice;
        /* a large effect: the label follows the risk */
        struct phantom_params q = p;
        q.effect = 50;
        struct phantom_mouse c;
        phantom_mouse_draw(&q, m, &c);
        CHECK_INT(c.recurrence, 50 * c.risk + c.noise > 0);
        CHECK(c.z_shape == a.z_shape && c.growth == a.growth); /* the effect changes the label only */
        agree += c.recurrence == (c.risk > 0);
    }
    /* effect 0 is a fair coin: 400 draws, 5-sigma band 200 +- 50 */
    CHECK_MSG(pos0 > 150 && pos0 < 250, "%d recurrences of 400 with effect 0", pos0);
    CHECK_MSG(fabs(mean_risk) < 0.25, "mean risk %g", mean_risk);
    CHECK_MSG(agree > 390, "effect 50: %d of 400 follow the sign of the risk", agree);
}

/* Surface voxels (6-neighbour) of the label per voxel^(2/3): rises as the shape gets irregular. */
static double label_surface_ratio(const struct volume *l)
{
    const int64_t nx = l->dim[0], ny = l->dim[1], nz = l->dim[2];
    int64_t vol = 0, surf = 0;
    for (int64_t k = 1; k + 1 < nz; k++)
        for (int64_t j = 1; j + 1 < ny; j++)
            for (int64_t i = 1; i + 1 < nx; i++) {
                const int64_t v = i + nx * (j + ny * k);
                if (l->data[v] <= 0)
                    continue;
                vol++;
                surf += l->data[v - 1] <= 0 || l->data[v + 1] <= 0 || l->data[v - nx] <= 0 || l->data[v + nx] <= 0 ||
                        l->data[v - nx * ny] <= 0 || l->data[v + nx * ny] <= 0;
            }
    return vol ? (double)surf / pow((double)vol, 2.0 / 3.0) : 0;
}

/* Mean T2 / (gain * bias) of the muscle/oedema voxels within 2 voxels (in-plane) of the tumour,
 * relative to the muscle mean (900): the peritumoral oedema that z_peri drives. */
static double peritumoral_t2(const struct phantom_scan *s)
{
    const struct volume *l = &s->label;
    const int64_t nx = l->dim[0], ny = l->dim[1], nz = l->dim[2];
    double sum = 0;
    int64_t n = 0;
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 2; j + 2 < ny; j++)
            for (int64_t i = 2; i + 2 < nx; i++) {
                const int64_t v = i + nx * (j + ny * k);
                const int t = (int)s->tissue.data[v];
                if (l->data[v] > 0 || (t != PHANTOM_MUSCLE && t != PHANTOM_OEDEMA))
                    continue;
                int near = 0;
                for (int dj = -2; dj <= 2 && !near; dj++)
                    for (int di = -2; di <= 2 && !near; di++)
                        near = l->data[v + di + nx * dj] > 0;
                if (near)
                    sum += s->img[PHANTOM_T2].data[v] / (s->gain[2] * s->bias[2].data[v]), n++;
            }
    return n ? sum / (double)n / 900.0 : 0;
}

static double corr(const double *x, const double *y, int n)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++)
        mx += x[i] / n, my += y[i] / n;
    for (int i = 0; i < n; i++)
        sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx), syy += (y[i] - my) * (y[i] - my);
    return sxy / sqrt(sxx * syy);
}

TEST(phantom_latents_shape_the_images)
{
    /* the recurrence rule is only a known answer if its latents are visible: across 12 mice,
     * z_shape must raise the label's surface/volume ratio and z_peri the peritumoral T2 signal */
    struct phantom_params p;
    params_small(&p, 112, 24);
    p.mice = 12;
    p.snr = 0;
    double zs[12], zp[12], sr[12], pt[12];
    struct sarc_err e = {0};
    for (int m = 0; m < p.mice; m++) {
        struct phantom_mouse pm;
        phantom_mouse_draw(&p, m, &pm);
        struct phantom_scan s;
        REQUIRE_OK(phantom_scan_generate(&p, m, 0, &s, &e), e);
        zs[m] = pm.z_shape, zp[m] = pm.z_peri;
        sr[m] = label_surface_ratio(&s.label);
        pt[m] = peritumoral_t2(&s);
        phantom_scan_free(&s);
    }
    const double r_shape = corr(zs, sr, p.mice), r_peri = corr(zp, pt, p.mice);
    CHECK_MSG(r_shape > 0.3, "corr(z_shape, surface ratio) = %g", r_shape);
    CHECK_MSG(r_peri > 0.5, "corr(z_peri, peritumoral T2) = %g", r_peri);
}

TEST(phantom_motion_moves_t1_only)
{
    struct phantom_params p;
    params_small(&p, 56, 15);
    struct phantom_scan a, b;
    struct sarc_err e = {0};
    REQUIRE_OK(phantom_scan_generate(&p, 3, 0, &a, &e), e);
    p.motion = 1.0;
    REQUIRE_OK(phantom_scan_generate(&p, 3, 0, &b, &e), e);
    CHECK(same_data(&a.img[PHANTOM_T2], &b.img[PHANTOM_T2]));
    CHECK(same_data(&a.label, &b.label));
    CHECK(same_data(&a.bias[PHANTOM_T1], &b.bias[PHANTOM_T1]));
    CHECK(!same_data(&a.img[PHANTOM_T1], &b.img[PHANTOM_T1]));
    CHECK(!same_data(&a.img[PHANTOM_T1C], &b.img[PHANTOM_T1C]));
    phantom_scan_free(&a);
    phantom_scan_free(&b);
}

/* ---- the command ---------------------------------------------------------------------------- */

static int file_sha(const char *path, uint8_t out[32])
{
    uint8_t *buf;
    size_t len;
    struct sarc_err e;
    if (file_read_all(path, &buf, &len, 0, &e))
        return -1;
    struct sha256 h;
    sha256_init(&h);
    sha256_update(&h, buf, len);
    sha256_final(&h, out);
    free(buf);
    return 0;
}

TEST(phantom_cli_cohort_and_threads)
{
    const char *d1 = test_tmp("phantom_t1"), *d3 = test_tmp("phantom_t3");
    char cmd[2048];
    const char *args = "phantom --mice 3 --size 48,48,12 --spacing 0.58,0.58,1.5 --seed 7 -q --audit none";
    snprintf(cmd, sizeof cmd, "%s %s -o %s --threads 1", test_sarc(), args, d1);
    REQUIRE_MSG(test_system(cmd) == 0, "%s\n%s", cmd, test_last_output());
    snprintf(cmd, sizeof cmd, "%s %s -o %s --threads 3", test_sarc(), args, d3);
    REQUIRE_MSG(test_system(cmd) == 0, "%s\n%s", cmd, test_last_output());
    /* the manifest */
    char path[1024];
    snprintf(path, sizeof path, "%s/cohort.csv", d1);
    struct csv t;
    struct sarc_err e = {0};
    REQUIRE_OK(csv_read(&t, path, &e), e);
    CHECK_INT(t.nrows, 6);
    const char *need[] = {"mouse", "timepoint", "T1", "T1C", "T2", "label", "recurrence", "growth"};
    for (int i = 0; i < 8; i++)
        CHECK_MSG(csv_col(&t, need[i]) >= 0, "cohort.csv has no column %s", need[i]);
    if (t.nrows == 6 && csv_col(&t, "T2") >= 0) {
        CHECK_STR(csv_cell(&t, 0, csv_col(&t, "mouse")), "m01");
        CHECK_STR(csv_cell(&t, 1, csv_col(&t, "timepoint")), "post");
        CHECK_STR(csv_cell(&t, 5, csv_col(&t, "T2")), "m03/post_T2.nii.gz");
    }
    /* every file identical with 1 and 3 threads */
    const char *kinds[] = {"T1", "T1C", "T2", "label", "bias_T1", "bias_T1C", "bias_T2"};
    for (int r = 0; r < t.nrows; r++)
        for (int k = 0; k < 7; k++) {
            char p1[1024], p3[1024];
            snprintf(p1, sizeof p1, "%s/m%02d/%s_%s.nii.gz", d1, r / 2 + 1, r % 2 ? "post" : "pre", kinds[k]);
            snprintf(p3, sizeof p3, "%s/m%02d/%s_%s.nii.gz", d3, r / 2 + 1, r % 2 ? "post" : "pre", kinds[k]);
            uint8_t h1[32], h3[32];
            REQUIRE_MSG(file_sha(p1, h1) == 0 && file_sha(p3, h3) == 0, "missing %s or %s", p1, p3);
            CHECK_MSG(memcmp(h1, h3, 32) == 0, "%s differs between 1 and 3 threads", p1);
        }
    const char *man[] = {"cohort.csv", "truth.json"};
    for (int k = 0; k < 2; k++) {
        char p1[1024], p3[1024];
        uint8_t h1[32], h3[32];
        snprintf(p1, sizeof p1, "%s/%s", d1, man[k]);
        snprintf(p3, sizeof p3, "%s/%s", d3, man[k]);
        REQUIRE(file_sha(p1, h1) == 0 && file_sha(p3, h3) == 0);
        CHECK_MSG(memcmp(h1, h3, 32) == 0, "%s differs between 1 and 3 threads", man[k]);
    }
    /* the files hold exactly the in-memory scan */
    struct phantom_params p;
    params_small(&p, 48, 12);
    p.spacing[0] = p.spacing[1] = 0.58, p.spacing[2] = 1.5;
    p.mice = 3, p.seed = 7;
    struct phantom_scan s;
    REQUIRE_OK(phantom_scan_generate(&p, 2, 1, &s, &e), e);
    struct volume v;
    snprintf(path, sizeof path, "%s/m03/post_T2.nii.gz", d1);
    REQUIRE_OK(volume_read(path, NULL, &v, &e), e);
    CHECK(same_data(&v, &s.img[PHANTOM_T2]));
    CHECK(volume_same_grid(&v, &s.img[PHANTOM_T2], 1e-5));
    volume_free(&v);
    snprintf(path, sizeof path, "%s/m03/post_label.nii.gz", d1);
    REQUIRE_OK(volume_read(path, NULL, &v, &e), e);
    CHECK(same_data(&v, &s.label));
    volume_free(&v);
    snprintf(path, sizeof path, "%s/m03/post_bias_T1C.nii.gz", d1);
    REQUIRE_OK(volume_read(path, NULL, &v, &e), e);
    CHECK(same_data(&v, &s.bias[PHANTOM_T1C]));
    volume_free(&v);
    /* recurrence column = the rule */
    struct phantom_mouse pm;
    phantom_mouse_draw(&p, 2, &pm);
    if (t.nrows == 6 && csv_col(&t, "recurrence") >= 0)
        CHECK_INT(atoi(csv_cell(&t, 5, csv_col(&t, "recurrence"))), pm.recurrence);
    phantom_scan_free(&s);
    csv_free(&t);
    /* truth.json names the rule */
    snprintf(path, sizeof path, "%s/truth.json", d1);
    uint8_t *buf;
    size_t len;
    REQUIRE_OK(file_read_all(path, &buf, &len, 0, &e), e);
    CHECK(strstr((char *)buf, "\"recurrence_rule\"") != NULL);
    CHECK(strstr((char *)buf, "\"informative_features\"") != NULL);
    CHECK(strstr((char *)buf, "\"z_shape\"") != NULL);
    free(buf);
}

TEST(phantom_cli_bad_input)
{
    const char *d = test_tmp("phantom_bad");
    char cmd[2048];
    struct {
        const char *args, *want;
    } cases[] = {
        {"--mice 0", "--mice"},
        {"--mice 3x", "--mice"},
        {"--size 4,4,4", "--size"},
        {"--size 40,40", "--size"},
        {"--spacing 0.1,-1,0.3", "spacing[1]"},
        {"--snr nan", "snr"},
        {"--effect -1", "effect"},
        {"--frobnicate 3", "--frobnicate"},
        {"--mice", "--mice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(cmd, sizeof cmd, "%s phantom -o %s %s --audit none", test_sarc(), d, cases[i].args);
        const int rc = test_system(cmd);
        CHECK_MSG(rc == 2, "%s: exit %d, expected 2", cases[i].args, rc);
        const char *out = test_last_output();
        CHECK_MSG(strstr(out, "sarc: ") && strstr(out, cases[i].want), "%s: message '%s'", cases[i].args, out);
    }
    snprintf(cmd, sizeof cmd, "%s phantom --mice 2 --audit none", test_sarc());
    CHECK_INT(test_system(cmd), 2);
    /* nothing was written for the refused runs */
    char path[1024];
    snprintf(path, sizeof path, "%s/cohort.csv", d);
    CHECK(!file_is_regular(path));
    /* an output folder that cannot be created */
    snprintf(cmd, sizeof cmd, "%s phantom --mice 1 --size 16,16,8 -o /proc/sarc-no/x --audit none", test_sarc());
    CHECK_INT(test_system(cmd), 2);
}

TEST(phantom_bruker_equals_nifti)
{
    const char *d = test_tmp("phantom_bruker");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s phantom --mice 1 --size 40,40,10 --spacing 0.7,0.7,1.8 --bruker -q --audit none -o %s",
             test_sarc(), d);
    const int rc = test_system(cmd);
    if (rc != 0 && strstr(test_last_output(), "not available"))
        SKIP("Bruker writing or reading not available in this build");
    REQUIRE_MSG(rc == 0, "%s\n%s", cmd, test_last_output());
    const char *tp[2] = {"pre", "post"};
    for (int t = 0; t < 2; t++)
        for (int c = 0; c < PHANTOM_NCONTRAST; c++) {
            char pb[1024], pn[1024];
            snprintf(pb, sizeof pb, "%s/bruker/m01_%s/%d", d, tp[t], c + 1);
            snprintf(pn, sizeof pn, "%s/m01/%s_%s.nii.gz", d, tp[t], phantom_contrast_names[c]);
            struct volume vb, vn;
            struct sarc_err e = {0};
            REQUIRE_OK(volume_read(pn, NULL, &vn, &e), e);
            int rb = volume_read(pb, NULL, &vb, &e);
            if (rb) {
                volume_free(&vn);
                REQUIRE_MSG(0, "%s: %s", pb, e.msg);
            }
            CHECK_MSG(same_data(&vb, &vn), "%s differs from %s", pb, pn);
            CHECK_MSG(volume_same_grid(&vb, &vn, 1e-4), "%s: affine differs from the NIfTI", pb);
            volume_free(&vb);
            volume_free(&vn);
        }
}

TEST(phantom_preview_pngs)
{
    const char *d = test_tmp("phantom_preview");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s phantom --size 64,64,16 --spacing 0.44,0.44,1.2 --preview %s -q --audit none", test_sarc(), d);
    const int rc = test_system(cmd);
    if (rc != 0 && strstr(test_last_output(), "not available"))
        SKIP("PNG writing not available in this build");
    REQUIRE_MSG(rc == 0, "%s\n%s", cmd, test_last_output());
    const char *names[] = {"montage.png", "m01_pre_T1.png", "m01_pre_T1C.png", "m01_post_T2.png"};
    uint32_t wh[4][2] = {{0}};
    for (int i = 0; i < 4; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", d, names[i]);
        uint8_t *buf;
        size_t len;
        struct sarc_err e = {0};
        REQUIRE_OK(file_read_all(path, &buf, &len, 0, &e), e);
        CHECK(len > 33 && memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0);
        if (len > 24)
            for (int k = 0; k < 2; k++)
                wh[i][k] = (uint32_t)buf[16 + 4 * k] << 24 | (uint32_t)buf[17 + 4 * k] << 16 | (uint32_t)buf[18 + 4 * k] << 8 | buf[19 + 4 * k];
        free(buf);
    }
    /* tiles cropped to the limb and enlarged; the montage is 3 x 2 tiles */
    CHECK(wh[1][0] >= 64 && wh[1][0] <= 4 * 64);
    CHECK(wh[1][0] == wh[3][0] && wh[1][1] == wh[3][1]);
    CHECK_INT(wh[0][0], 3 * wh[1][0]);
    CHECK_INT(wh[0][1], 2 * wh[1][1]);
}
