/* test_bruker.c - Bruker ParaVision 2dseq reader and writer (io/bruker.c), `sarc scan`.
 *
 * Oracle: ../shared/data/EXPECTED.json (independent Python readers), distilled by
 * test/oracles/readers_expected.py into test/golden/readers/expected.txt (dims in our layout,
 * spacing, word type, frames, scaled statistics, RAS affine, reference voxels). Tolerances: 1e-6
 * relative as the issue asks (values are stored * slope in double: exact up to rounding; means
 * are sums of up to 2e6 values in double). Interpretations we chose where EXPECTED notes an
 * ambiguity: PV 5.1 VisuCorePosition is taken as the first-voxel centre (the documented meaning,
 * as EXPECTED does); the spectroscopic CSI dataset is read as a regular volume whose first axis
 * is in ppm (spacing = extent/size in the axis' own unit), since its core is still a regular
 * grid. The golden reader below is shared with test_nrrd.c (readers_golden_load). */
#include <stdlib.h>
#include <string.h>

#include "io/bruker.h"
#include "io/file.h"
#include "io/jcamp.h"
#include "io/volio.h"
#include "test/harness.h"
#include "test/io/readers_golden.h"

/* See readers_golden.h. */
int readers_golden_load(const char *kind, struct rgold **out)
{
    *out = NULL;
    FILE *f = fopen("test/golden/readers/expected.txt", "r");
    if (!f)
        return -1;
    struct rgold *g = calloc(64, sizeof *g);
    int n = 0;
    char line[2048];
    struct rgold cur;
    memset(&cur, 0, sizeof cur);
    while (g && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *sp = strchr(line, ' ');
        const char *arg = sp ? sp + 1 : "";
        if (strncmp(line, "dataset ", 8) == 0) {
            memset(&cur, 0, sizeof cur);
            snprintf(cur.path, sizeof cur.path, "%s", arg);
        } else if (strncmp(line, "kind ", 5) == 0)
            snprintf(cur.kind, sizeof cur.kind, "%s", arg);
        else if (strncmp(line, "word ", 5) == 0)
            snprintf(cur.word, sizeof cur.word, "%s", arg);
        else if (strncmp(line, "frames ", 7) == 0)
            cur.frames = atoll(arg);
        else if (strncmp(line, "dims ", 5) == 0)
            cur.ndims = sscanf(arg, "%lld %lld %lld %lld", &cur.dims[0], &cur.dims[1], &cur.dims[2], &cur.dims[3]);
        else if (strncmp(line, "spacing ", 8) == 0)
            cur.has_spacing = sscanf(arg, "%lf %lf %lf", &cur.spacing[0], &cur.spacing[1], &cur.spacing[2]) == 3;
        else if (strncmp(line, "spacing_xy ", 11) == 0)
            cur.has_spacing_xy = sscanf(arg, "%lf %lf", &cur.spacing[0], &cur.spacing[1]) == 2;
        else if (strncmp(line, "affine ", 7) == 0) {
            char *p = (char *)arg;
            for (int i = 0; i < 16; i++)
                cur.affine[i] = strtod(p, &p);
            cur.has_affine = 1;
        } else if (strncmp(line, "voxel ", 6) == 0 && cur.nvox < 16) {
            long long *v = cur.vox[cur.nvox];
            if (sscanf(arg, "%lld %lld %lld %lld %lf", &v[0], &v[1], &v[2], &v[3], &cur.voxval[cur.nvox]) == 5)
                cur.nvox++;
        } else if (strncmp(line, "segment ", 8) == 0 && cur.nseg < 16) {
            char *p;
            cur.seglabel[cur.nseg] = strtoll(arg, &p, 10);
            snprintf(cur.segname[cur.nseg], sizeof cur.segname[0], "%s", *p ? p + 1 : "");
            cur.nseg++;
        } else if (strncmp(line, "stats ", 6) == 0)
            sscanf(arg, "%lld %lf %lf %lf", &cur.count, &cur.min, &cur.max, &cur.mean);
        else if (strcmp(line, "end") == 0 && strcmp(cur.kind, kind) == 0 && n < 64)
            g[n++] = cur;
    }
    fclose(f);
    *out = g;
    return g ? n : -1;
}

/* Checks one read volume against its golden entry. */
void readers_golden_check(const struct rgold *g, const struct volume *v)
{
    for (int i = 0; i < 4; i++)
        CHECK_MSG(v->dim[i] == (i < g->ndims ? g->dims[i] : 1), "%s: dim[%d] = %lld, expected %lld", g->path, i, (long long)v->dim[i],
                  i < g->ndims ? g->dims[i] : 1);
    struct vstats s;
    volume_stats(v, &s);
    CHECK_MSG(s.count == g->count, "%s: %lld values, expected %lld", g->path, (long long)s.count, g->count);
    CHECK_CLOSE(s.min, g->min, 1e-6, 1e-12);
    CHECK_CLOSE(s.max, g->max, 1e-6, 1e-12);
    CHECK_CLOSE(s.mean, g->mean, 1e-6, 1e-12);
    if (g->has_spacing)
        for (int i = 0; i < 3; i++)
            CHECK_CLOSE(v->spacing[i], g->spacing[i], 1e-6, 0);
    if (g->has_spacing_xy)
        for (int i = 0; i < 2; i++)
            CHECK_CLOSE(v->spacing[i], g->spacing[i], 1e-6, 0);
    if (g->has_affine)
        for (int i = 0; i < 16; i++)
            CHECK_MSG(fabs(v->affine[i / 4][i % 4] - g->affine[i]) <= 1e-6 * (1 + fabs(g->affine[i])), "%s: affine[%d][%d] = %.12g, expected %.12g",
                      g->path, i / 4, i % 4, v->affine[i / 4][i % 4], g->affine[i]);
    for (int k = 0; k < g->nvox; k++) {
        const long long *x = g->vox[k];
        int inside = 1;
        for (int i = 0; i < 4; i++)
            inside &= x[i] >= 0 && x[i] < v->dim[i];
        CHECK_MSG(inside, "%s: reference voxel (%lld %lld %lld %lld) outside the volume", g->path, x[0], x[1], x[2], x[3]);
        if (!inside)
            continue;
        double got = v->data[x[0] + v->dim[0] * (x[1] + v->dim[1] * (x[2] + v->dim[2] * x[3]))];
        CHECK_MSG(fabs(got - g->voxval[k]) <= 1e-6 * fabs(g->voxval[k]) + 1e-12, "%s: voxel (%lld %lld %lld %lld) = %.12g, expected %.12g",
                  g->path, x[0], x[1], x[2], x[3], got, g->voxval[k]);
    }
}

static enum vtype word_vtype(const char *w)
{
    if (strcmp(w, "_8BIT_UNSGN_INT") == 0)
        return VT_U8;
    if (strcmp(w, "_16BIT_SGN_INT") == 0)
        return VT_I16;
    if (strcmp(w, "_32BIT_SGN_INT") == 0)
        return VT_I32;
    if (strcmp(w, "_32BIT_FLOAT") == 0)
        return VT_F32;
    return VT_UNKNOWN;
}

TEST(bruker_reference_datasets)
{
    if (!test_shared("data/bruker"))
        SKIP("../shared/data/bruker is absent");
    struct rgold *g;
    int n = readers_golden_load("bruker", &g);
    REQUIRE_MSG(n >= 10, "golden test/golden/readers/expected.txt: %d Bruker datasets, expected >= 10", n);
    for (int i = 0; i < n; i++) {
        char rel[300];
        snprintf(rel, sizeof rel, "data/%s", g[i].path);
        const char *p = test_shared(rel);
        CHECK_MSG(p != NULL, "%s is missing", rel);
        if (!p)
            continue;
        struct volume v;
        struct sarc_err e;
        int rc = volume_read(p, NULL, &v, &e);
        CHECK_MSG(rc == 0, "%s: %s", g[i].path, e.msg);
        if (rc)
            continue;
        CHECK_STR(v.format, "bruker");
        CHECK_MSG(v.type == word_vtype(g[i].word), "%s: type %s, word %s", g[i].path, vtype_name(v.type), g[i].word);
        CHECK(v.qform_code == 1 && v.sform_code == 1);
        readers_golden_check(&g[i], &v);
        volume_free(&v);
    }
    free(g);
}

/* The experiment folder resolves to pdata/1, and --frame K keeps one of the 4th-axis frames. */
TEST(bruker_paths_and_frame)
{
    const char *exp = test_shared("data/bruker/pv601_msme_echo_slice");
    if (!exp)
        SKIP("../shared/data/bruker is absent");
    char p2[1200];
    snprintf(p2, sizeof p2, "%s/pdata/1/2dseq", exp);
    struct volume a, b, c;
    struct sarc_err e;
    REQUIRE_OK(volume_read(exp, NULL, &a, &e), e);
    CHECK_INT(a.ndim, 4);
    CHECK_INT(a.dim[3], 7); /* FG_ECHO; FG_SLICE became z */
    REQUIRE_OK(volume_read(p2, NULL, &b, &e), e);
    CHECK(memcmp(a.data, b.data, sizeof(double) * (size_t)volume_count(&a)) == 0);
    struct volume_read_opts o = {3, NULL};
    REQUIRE_OK(volume_read(exp, &o, &c, &e), e);
    CHECK_INT(c.ndim, 3);
    CHECK_INT(c.dim[2], 9);
    CHECK_INT(c.dim[3], 1);
    int64_t fc = volume_frame_count(&a);
    CHECK(memcmp(c.data, a.data + 3 * fc, sizeof(double) * (size_t)fc) == 0);
    o.frame = 7;
    struct volume d;
    CHECK(volume_read(exp, &o, &d, &e) == SARC_ERR_ARG);
    CHECK(d.data == NULL);
    volume_free(&a);
    volume_free(&b);
    volume_free(&c);
}

/* Copies a dataset folder to a scratch path. */
static int copy_dataset(const char *rel, const char *name, char *out, size_t size)
{
    const char *src = test_shared(rel);
    if (!src)
        return -1;
    snprintf(out, size, "%s", test_tmp(name));
    char cmd[3000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s' && chmod -R u+w '%s'", out, src, out, out);
    return test_system(cmd) == 0 ? 0 : -1;
}

/* ParaVision 5 fallback: without visu_pars the reco + d3proc give the same values. */
TEST(bruker_reco_fallback)
{
    char dir[1024], p[1200];
    if (copy_dataset("data/bruker/pv51_epi_banana", "pv51_noviso", dir, sizeof dir))
        SKIP("../shared/data/bruker/pv51_epi_banana is absent");
    struct volume a, b;
    struct sarc_err e;
    REQUIRE_OK(volume_read(dir, NULL, &a, &e), e);
    snprintf(p, sizeof p, "%s/pdata/1/visu_pars", dir);
    REQUIRE(remove(p) == 0);
    REQUIRE_OK(volume_read(dir, NULL, &b, &e), e);
    CHECK_INT(b.dim[0], 80);
    CHECK_INT(b.dim[1], 64);
    CHECK_INT(b.dim[2], 5);
    CHECK_INT(b.dim[3], 1);
    /* RECO_map_slope = 1 / VisuCoreDataSlope up to the 15 digits ParaVision prints */
    for (int64_t i = 0; i < volume_count(&a); i++)
        if (fabs(a.data[i] - b.data[i]) > 1e-9 * fabs(a.data[i])) {
            CHECK_MSG(0, "voxel %lld: reco %.15g, visu %.15g", (long long)i, b.data[i], a.data[i]);
            break;
        }
    /* spacing from RECO_fov (cm) and ACQ_slice_sepn */
    CHECK_CLOSE(b.spacing[0], 0.55, 1e-9, 0);
    CHECK_CLOSE(b.spacing[1], 0.6875, 1e-9, 0);
    volume_free(&a);
    volume_free(&b);
    /* RECO_transposition = 1: RECO_size is 192 x 160, the disk layout (and visu_pars) 160 x 192;
     * without d3proc every frame is a slice */
    if (copy_dataset("data/bruker/pv601_msme_echo_slice", "msme_noviso", dir, sizeof dir))
        return;
    snprintf(p, sizeof p, "%s/pdata/1/visu_pars", dir);
    REQUIRE(remove(p) == 0);
    REQUIRE_OK(volume_read(dir, NULL, &b, &e), e);
    CHECK_INT(b.dim[0], 160);
    CHECK_INT(b.dim[1], 192);
    CHECK_INT(b.dim[2], 63);
    CHECK_CLOSE(b.spacing[0], 0.21875, 1e-9, 0);
    struct vstats s;
    volume_stats(&b, &s);
    /* EXPECTED scaled stats of this dataset (the same values in another frame order) */
    CHECK_CLOSE(s.min, 0.000870309834424112, 1e-9, 0);
    CHECK_CLOSE(s.max, 28.516572034740456, 1e-9, 0);
    CHECK_CLOSE(s.mean, 11.158472760057002, 1e-9, 0);
    volume_free(&b);
}

/* Bad input: clear errors naming the problem, never a crash, outputs zeroed. */
TEST(bruker_bad_input)
{
    char dir[1024], p[4096], cmd[8192];
    struct volume v;
    struct sarc_err e;
    if (copy_dataset("data/bruker/pv601_rare_multireco", "bad_multireco", dir, sizeof dir))
        SKIP("../shared/data/bruker/pv601_rare_multireco is absent");
    char pd[2048];
    snprintf(pd, sizeof pd, "%s/pdata/2", dir);
    /* truncated 2dseq: both sizes in the message */
    snprintf(cmd, sizeof cmd, "truncate -s 1000 '%s/2dseq'", pd);
    REQUIRE(test_system(cmd) == 0);
    CHECK(volume_read(pd, NULL, &v, &e) == SARC_ERR_FORMAT);
    CHECK_MSG(strstr(e.msg, "1000") && strstr(e.msg, "589824"), "message: %s", e.msg);
    CHECK(v.data == NULL);
    /* experiment folder without pdata/1 */
    CHECK(volume_read(dir, NULL, &v, &e) != 0);
    CHECK_MSG(strstr(e.msg, "pdata/1") != NULL, "message: %s", e.msg);
    /* unknown word type */
    snprintf(pd, sizeof pd, "%s/pdata/3", dir);
    snprintf(cmd, sizeof cmd, "sed -i 's/_32BIT_FLOAT/_64BIT_FLOAT/' '%s/visu_pars'", pd);
    REQUIRE(test_system(cmd) == 0);
    CHECK(volume_read(pd, NULL, &v, &e) == SARC_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(e.msg, "_64BIT_FLOAT") != NULL, "message: %s", e.msg);
    /* inconsistent sizes: VisuCoreSize with 3 values for a 2D core */
    snprintf(cmd, sizeof cmd, "sed -i 's/_64BIT_FLOAT/_32BIT_FLOAT/; /^##\\$VisuCoreSize=/{n;s/^256 256$/256 256 2/}' '%s/visu_pars'", pd);
    REQUIRE(test_system(cmd) == 0);
    CHECK(volume_read(pd, NULL, &v, &e) == SARC_ERR_FORMAT);
    CHECK_MSG(strstr(e.msg, "VisuCoreSize") != NULL, "message: %s", e.msg);
    /* neither visu_pars nor reco */
    snprintf(p, sizeof p, "%s/visu_pars", pd);
    remove(p);
    snprintf(p, sizeof p, "%s/reco", pd);
    remove(p);
    CHECK(volume_read(pd, NULL, &v, &e) == SARC_ERR_FORMAT);
    CHECK_MSG(strstr(e.msg, "visu_pars") && strstr(e.msg, "reco"), "message: %s", e.msg);
    /* garbage parameter file */
    snprintf(cmd, sizeof cmd, "cp -r '%s/pdata/2' '%s/pdata/4' && printf 'garbage \\001\\377 ##$X=(<' > '%s/pdata/4/visu_pars'", dir, dir, dir);
    REQUIRE(test_system(cmd) == 0);
    snprintf(pd, sizeof pd, "%s/pdata/4", dir);
    CHECK(volume_read(pd, NULL, &v, &e) != 0);
    CHECK(v.data == NULL);
    /* the PV 2 dataset whose 2dseq is an empty placeholder */
    const char *pv2 = test_shared("data/bruker_params_only/pv211_epi_bigendian_params_only");
    if (pv2) {
        CHECK(volume_read(pv2, NULL, &v, &e) == SARC_ERR_FORMAT);
        CHECK_MSG(strstr(e.msg, "has 0 bytes") && strstr(e.msg, "172032"), "message: %s", e.msg);
    }
    /* no such path */
    CHECK(bruker_read(test_tmp("no_such_study/5"), NULL, &v, &e) == SARC_ERR_IO);
}

/* Writer: write -> read gives the values within half a quantisation step, dims, spacing, affine. */
TEST(bruker_write_roundtrip)
{
    struct volume v, r;
    struct sarc_err e;
    int64_t dim[4] = {7, 5, 4, 3};
    REQUIRE_OK(volume_alloc(&v, 4, dim, &e), e);
    for (int64_t i = 0; i < volume_count(&v); i++)
        v.data[i] = (double)((i * 7919) % 1000) * 0.37 - 50.0 * (double)(i % 3);
    memset(v.data + 2 * volume_frame_count(&v), 0, sizeof(double) * (size_t)volume_frame_count(&v)); /* an all-zero frame */
    /* an oblique, translated affine (rotation about z by 30 degrees, spacing 0.1 0.2 0.5) */
    const double c30 = sqrt(3.0) / 2, s30 = 0.5;
    double A[4][4] = {{0.1 * c30, -0.2 * s30, 0, 12.5}, {0.1 * s30, 0.2 * c30, 0, -3.25}, {0, 0, 0.5, 7}, {0, 0, 0, 1}};
    memcpy(v.affine, A, sizeof A);
    const char *study = test_tmp("bruker_written");
    test_system("true");
    struct bruker_write_info info = {"T2_TurboRARE", "T2_TurboRARE_3D", "mouse_07", "sarcoma_cohort", 5};
    REQUIRE_OK(bruker_write(study, &v, &info, &e), e);
    char p[1200];
    snprintf(p, sizeof p, "%s/5", study);
    REQUIRE_OK(volume_read(p, NULL, &r, &e), e);
    CHECK_INT(r.ndim, 4);
    for (int i = 0; i < 4; i++)
        CHECK_INT(r.dim[i], v.dim[i]);
    CHECK_CLOSE(r.spacing[0], 0.1, 1e-12, 0);
    CHECK_CLOSE(r.spacing[1], 0.2, 1e-12, 0);
    CHECK_CLOSE(r.spacing[2], 0.5, 1e-12, 0);
    for (int i = 0; i < 16; i++)
        CHECK_CLOSE(r.affine[i / 4][i % 4], A[i / 4][i % 4], 1e-12, 1e-12);
    int64_t fc = volume_frame_count(&v);
    for (int64_t t = 0; t < v.dim[3]; t++) {
        double m = 0;
        for (int64_t i = 0; i < fc; i++)
            m = fmax(m, fabs(v.data[t * fc + i]));
        double step = m > 0 ? m / 32767 : 1;
        for (int64_t i = 0; i < fc; i++)
            CHECK_MSG(fabs(r.data[t * fc + i] - v.data[t * fc + i]) <= 0.5 * step * (1 + 1e-9), "frame %lld voxel %lld: %g vs %g", (long long)t,
                      (long long)i, r.data[t * fc + i], v.data[t * fc + i]);
    }
    /* the reco written beside it decodes to the same values */
    snprintf(p, sizeof p, "%s/5/pdata/1/visu_pars", study);
    REQUIRE(remove(p) == 0);
    struct volume q;
    snprintf(p, sizeof p, "%s/5", study);
    REQUIRE_OK(volume_read(p, NULL, &q, &e), e);
    for (int64_t i = 0; i < volume_count(&q); i++)
        if (fabs(q.data[i] - r.data[i]) > 1e-9 * (1 + fabs(r.data[i]))) {
            CHECK_MSG(0, "reco decode voxel %lld: %g vs %g", (long long)i, q.data[i], r.data[i]);
            break;
        }
    /* the study-level subject file and acqp carry the info */
    struct jcamp j;
    snprintf(p, sizeof p, "%s/subject", study);
    REQUIRE_OK(jcamp_read(p, &j, &e), e);
    CHECK_STR(jcamp_str(&j, "SUBJECT_id"), "mouse_07");
    CHECK_STR(jcamp_str(&j, "SUBJECT_study_name"), "sarcoma_cohort");
    jcamp_free(&j);
    snprintf(p, sizeof p, "%s/5/acqp", study);
    REQUIRE_OK(jcamp_read(p, &j, &e), e);
    CHECK_STR(jcamp_str(&j, "ACQ_method"), "T2_TurboRARE");
    jcamp_free(&j);
    /* a NaN cannot be stored: clean refusal */
    v.data[3] = NAN;
    CHECK(bruker_write(test_tmp("bruker_nan"), &v, &info, &e) == SARC_ERR_ARG);
    volume_free(&v);
    volume_free(&r);
    volume_free(&q);
}

/* Replaces the record ##$name=... (up to the next record) of a parameter file with text. */
static int replace_param(const char *path, const char *name, const char *text)
{
    uint8_t *b;
    size_t n;
    struct sarc_err e;
    if (file_read_all(path, &b, &n, 0, &e))
        return -1;
    char key[128];
    snprintf(key, sizeof key, "##$%s=", name);
    char *s = strstr((char *)b, key), *t = s ? strstr(s + 2, "\n##") : NULL;
    int rc = -1;
    if (s && t) {
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(b, 1, (size_t)(s - (char *)b), f);
            fprintf(f, "%s%s", key, text);
            fwrite(t, 1, n - (size_t)(t - (char *)b), f);
            rc = fclose(f);
        }
    }
    free(b);
    return rc;
}

/* One VisuCorePosition row for a whole 2D stack: the slice package distance along the normal. */
TEST(bruker_single_position_row)
{
    char dir[1024], p[1200];
    if (copy_dataset("data/bruker/pv601_rare_multireco", "one_position", dir, sizeof dir))
        SKIP("../shared/data/bruker/pv601_rare_multireco is absent");
    snprintf(p, sizeof p, "%s/pdata/3/visu_pars", dir);
    REQUIRE(replace_param(p, "VisuCorePosition", "( 1, 3 )\n-16.854839 -13.95161 -4.46083") == 0);
    REQUIRE(replace_param(p, "VisuCoreOrientation", "( 1, 9 )\n1 0 0 0 1 0 0 0 1") == 0);
    struct volume v;
    struct sarc_err e;
    snprintf(p, sizeof p, "%s/pdata/3", dir);
    REQUIRE_OK(volume_read(p, NULL, &v, &e), e);
    CHECK_INT(v.dim[2], 9);
    CHECK_CLOSE(v.spacing[2], 1.0, 1e-12, 0);
    /* EXPECTED affine_ras of this dataset */
    CHECK_CLOSE(v.affine[0][0], -0.13671875, 1e-12, 0);
    CHECK_CLOSE(v.affine[2][2], 1.0, 1e-12, 0);
    CHECK_CLOSE(v.affine[0][3], 16.854839, 1e-12, 0);
    CHECK_CLOSE(v.affine[2][3], -4.46083, 1e-12, 0);
    volume_free(&v);
    /* unequal slice gaps cannot form one affine: refused */
    snprintf(p, sizeof p, "%s/pdata/3/visu_pars", dir);
    REQUIRE(replace_param(p, "VisuCorePosition", "( 3, 3 )\n0 0 0 0 0 1 0 0 3") == 0);
    REQUIRE(replace_param(p, "VisuFGOrderDesc", "( 1 )\n(3, <FG_SLICE>, <>, 0, 2)") == 0);
    REQUIRE(replace_param(p, "VisuCoreFrameCount", "3") == 0);
    REQUIRE(replace_param(p, "VisuCoreDataSlope", "( 3 )\n1 1 1") == 0);
    REQUIRE(replace_param(p, "VisuCoreDataOffs", "( 3 )\n0 0 0") == 0);
    snprintf(p, sizeof p, "truncate -s %d '%s/pdata/3/2dseq'", 256 * 256 * 4 * 3, dir);
    REQUIRE(test_system(p) == 0);
    snprintf(p, sizeof p, "%s/pdata/3", dir);
    CHECK(volume_read(p, NULL, &v, &e) == SARC_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(e.msg, "equally spaced") != NULL, "message: %s", e.msg);
}

/* VisuCoreByteOrder bigEndian: the same values from byte-swapped words. */
TEST(bruker_big_endian)
{
    char dir[1024], p[1200];
    if (copy_dataset("data/bruker/pv601_fieldmap3d_int32", "big_endian", dir, sizeof dir))
        SKIP("../shared/data/bruker/pv601_fieldmap3d_int32 is absent");
    struct volume a, b;
    struct sarc_err e;
    REQUIRE_OK(volume_read(dir, NULL, &a, &e), e);
    snprintf(p, sizeof p, "%s/pdata/1/2dseq", dir);
    uint8_t *buf;
    size_t n;
    REQUIRE_OK(file_read_all(p, &buf, &n, 0, &e), e);
    for (size_t i = 0; i + 3 < n; i += 4) {
        uint8_t t0 = buf[i], t1 = buf[i + 1];
        buf[i] = buf[i + 3];
        buf[i + 1] = buf[i + 2];
        buf[i + 2] = t1;
        buf[i + 3] = t0;
    }
    int wrc = file_write_atomic(p, buf, n, &e);
    free(buf);
    REQUIRE_OK(wrc, e);
    snprintf(p, sizeof p, "%s/pdata/1/visu_pars", dir);
    REQUIRE(replace_param(p, "VisuCoreByteOrder", "bigEndian") == 0);
    REQUIRE_OK(volume_read(dir, NULL, &b, &e), e);
    CHECK(memcmp(a.data, b.data, sizeof(double) * (size_t)volume_count(&a)) == 0);
    volume_free(&a);
    volume_free(&b);
    REQUIRE(replace_param(p, "VisuCoreByteOrder", "middleEndian") == 0);
    CHECK(volume_read(dir, NULL, &b, &e) == SARC_ERR_FORMAT);
    CHECK_MSG(strstr(e.msg, "middleEndian") != NULL, "message: %s", e.msg);
}

/* `sarc convert BRUKER OUT.nrrd --frame K` writes what bruker_read gives for frame K. */
TEST(bruker_cli_convert_frame)
{
    const char *exp = test_shared("data/bruker/pv601_dtiepi_slice_diffusion");
    if (!exp)
        SKIP("../shared/data/bruker is absent");
    const char *out = test_tmp("dti_frame1.nrrd");
    char cmd[3000];
    snprintf(cmd, sizeof cmd, "'%s' convert '%s' '%s' --frame 1", test_sarc(), exp, out);
    CHECK_INT(test_system(cmd), 0);
    struct volume a, b;
    struct sarc_err e;
    struct volume_read_opts o = {1, NULL};
    REQUIRE_OK(volume_read(exp, &o, &a, &e), e);
    REQUIRE_OK(volume_read(out, NULL, &b, &e), e);
    REQUIRE(volume_count(&a) == volume_count(&b));
    CHECK_INT(b.dim[2], 9);
    /* written as float32 (scaled values are not integers) */
    for (int64_t i = 0; i < volume_count(&a); i++)
        if (fabs(a.data[i] - b.data[i]) > 1e-7 * fabs(a.data[i])) {
            CHECK_MSG(0, "voxel %lld: %.9g vs %.9g", (long long)i, b.data[i], a.data[i]);
            break;
        }
    for (int i = 0; i < 16; i++)
        CHECK_CLOSE(b.affine[i / 4][i % 4], a.affine[i / 4][i % 4], 1e-12, 1e-12);
    volume_free(&a);
    volume_free(&b);
    snprintf(cmd, sizeof cmd, "'%s' convert '%s' '%s' --frame 2", test_sarc(), exp, test_tmp("dti_frame2.nrrd"));
    CHECK_INT(test_system(cmd), 2);
    CHECK_MSG(strstr(test_last_output(), "sarc: ") && strstr(test_last_output(), "frame"), "output: %s", test_last_output());
}

/* `sarc scan` lists experiments with their method; `sarc info` on a broken dataset exits 2. */
TEST(bruker_cli_scan)
{
    const char *a = test_shared("data/bruker/pv601_msme_echo_slice"), *b = test_shared("data/bruker/pv51_epi_banana");
    if (!a || !b)
        SKIP("../shared/data/bruker is absent");
    const char *study = test_tmp("scan_study");
    char cmd[4000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp -r '%s' '%s/3' && cp -r '%s' '%s/12' && mkdir '%s/notes'", study, study,
             test_shared("data/bruker/pv601_msme_echo_slice"), study, test_shared("data/bruker/pv51_epi_banana"), study, study);
    REQUIRE(test_system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "'%s' scan '%s'", test_sarc(), study);
    CHECK_INT(test_system(cmd), 0);
    const char *out = test_last_output();
    CHECK_MSG(strstr(out, "Bruker:MSME") && strstr(out, "T2map_MSME") && strstr(out, "160x192x9x7"), "output: %s", out);
    CHECK_MSG(strstr(out, "EPI-SE-FOVsat") && strstr(out, "80x64x5"), "output: %s", out);
    CHECK_MSG(strstr(out, "\n3 ") && strstr(out, "\n12 ") && strstr(out, "\n3 ") < strstr(out, "\n12 "), "numeric order: %s", out);
    snprintf(cmd, sizeof cmd, "'%s' scan '%s'", test_sarc(), test_tmp("no_such_dir"));
    CHECK_INT(test_system(cmd), 2);
    CHECK(strncmp(test_last_output(), "sarc: ", 6) == 0);
}
