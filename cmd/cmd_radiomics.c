/* cmd_radiomics.c - `sarc radiomics` (PyRadiomics-compatible features, one case, multi-contrast
 * or --batch), `sarc regions` (tumour / peritumoral shell / combined masks) and `sarc featuremap`
 * (voxel-based maps). Contracts in issue 7; library code in radiomics/.
 * Covered by test/radiomics/test_cli.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "io/audit.h"
#include "io/csv.h"
#include "io/file.h"
#include "io/volio.h"
#include "radiomics/diagnostics.h"
#include "radiomics/radiomics.h"
#include "radiomics/regions.h"
#include "radiomics/featuremap.h"
#include "vendor/json.h"
#include "vendor/pool.h"
#include "vendor/progress.h"

const char cmd_radiomics_usage[] =
    "Usage: sarc radiomics IMAGE MASK [--params FILE.yaml] [--label N] [--setting NAME=VALUE]... -o OUT.csv|OUT.json\n"
    "       sarc radiomics --image NAME=IMAGE [--image NAME=IMAGE]... MASK [options] -o OUT.csv|OUT.json\n"
    "       sarc radiomics --batch CASES.csv [--params FILE.yaml] [--threads N] -o OUT.csv|OUT.json\n"
    "PyRadiomics' features (Original image type), named original_<class>_<Feature>.\n"
    "  --params FILE      PyRadiomics YAML parameter file (imageType: Original, featureClass, setting)\n"
    "  --setting N=V      one PyRadiomics setting (e.g. binWidth=5, resegmentRange=[-3,3]); unknown names fail\n"
    "  --label N          the ROI label (PyRadiomics' label setting, default 1)\n"
    "  --preset paper     normalize, normalizeScale 100, binWidth 25, outliers excluded beyond 3 sigma\n"
    "  --outliers MODE    after normalising: exclude (resegment the ROI to +-S sigma of the image), clip\n"
    "                     (PyRadiomics' removeOutliers: clip the values to +-S sigma) or none\n"
    "  --outlier-sigma S  S for --outliers (default 3)\n"
    "  --ibsi             IBSI conventions where PyRadiomics differs: excess kurtosis, PCA axes with\n"
    "                     divisor N-1, fixed bin size counted from the lower absolute resegmentation\n"
    "                     bound or the ROI minimum (names stay PyRadiomics'); with resampledPixelSpacing\n"
    "                     IBSI's grid: whole image, grid centres aligned, n = ceil(n0 s0 / s), mask\n"
    "                     interpolated linearly and kept where >= 0.5, integer images rounded\n"
    "  --image NAME=PATH  multi-contrast: features of every image with prefix NAME_, shape once\n"
    "  --frame K          use frame K (0-based) of 4-D images (3-D images as they are); without it a\n"
    "                     4-D image is an error\n"
    "  --setting additionalInfo=true  adds PyRadiomics' diagnostics_* columns after the features\n"
    "  --batch CASES.csv  columns Image, Mask and optional Label; one output row per case, an error\n"
    "                     column names failures (exit 1)\n";

/* ---- settings assembly ---- */

struct rad_opts {
    const char *params;
    const char *label;
    const char *settings[64];
    int nsettings;
    int preset_paper;
    int outliers; /* -1 unset, 0 none, 1 exclude, 2 clip */
    int ibsi;
    int frame; /* --frame K, -1 none */
    double outlier_sigma;
};

static int build_settings(const struct rad_opts *o, struct rad_settings *s, const char **what, struct sarc_err *e)
{
    rad_settings_default(s);
    *what = "--setting";
    if (o->preset_paper) {
        s->normalize = 1;
        s->normalize_scale = 100;
        s->bin_width = 25;
    }
    if (o->params) {
        *what = o->params;
        int rc = rad_params_read(s, o->params, e);
        if (rc)
            return rc;
    }
    *what = "--label";
    if (o->label && rad_setting_set(s, "label", o->label, e))
        return SARC_ERR_ARG;
    *what = "--setting";
    for (int i = 0; i < o->nsettings; i++) {
        const char *eq = strchr(o->settings[i], '=');
        if (!eq || eq == o->settings[i])
            return ERR(e, SARC_ERR_ARG, "\"%s\": expected NAME=VALUE", o->settings[i]);
        char name[128];
        const size_t nl = (size_t)(eq - o->settings[i]);
        if (nl >= sizeof name)
            return ERR(e, SARC_ERR_ARG, "setting name too long");
        memcpy(name, o->settings[i], nl);
        name[nl] = 0;
        int rc = rad_setting_set(s, name, eq + 1, e);
        if (rc)
            return rc;
    }
    s->ibsi = o->ibsi;
    int mode = o->outliers;
    if (mode < 0)
        mode = o->preset_paper ? 1 : 0;
    if (mode && !s->normalize)
        return ERR(e, SARC_ERR_ARG, "--outliers %s needs normalisation (--setting normalize=true or --preset paper)", mode == 1 ? "exclude" : "clip");
    if (mode == 1) {
        /* the paper's rule: after z-scoring the whole image, exclude ROI voxels beyond +-S sigma,
         * i.e. resegment to [-S, S] * normalizeScale on the normalised values */
        s->nreseg = 2;
        s->reseg_range[0] = -o->outlier_sigma * s->normalize_scale;
        s->reseg_range[1] = o->outlier_sigma * s->normalize_scale;
        s->reseg_mode = RR_ABSOLUTE;
    } else if (mode == 2) {
        s->remove_outliers = o->outlier_sigma;
    }
    return 0;
}

/* ---- one case ---- */

struct contrast {
    const char *name; /* NULL: single image */
    const char *path;
};

struct case_result {
    struct rad_result res;
    struct rad_diag diag; /* additionalInfo: diagnostics_* (single-image cases) */
    struct sarc_err err;
    const char *err_what;
    int rc;
    int label;
    /* the contrast whose resegmentation kept the smallest part of the ROI */
    const char *reseg_image;
    int64_t reseg_roi, reseg_kept;
};

/* A resegmentation (resegmentRange, --preset paper's 3-sigma exclusion) that drops most of the
 * ROI changes what the features describe: said on stderr (the audit trail has the counts). */
static void reseg_note_counts(const char *image, int64_t kept, int64_t roi, const char *what)
{
    if (2 * kept < roi)
        cmd_note("%s: resegmentation kept %lld of %lld ROI voxels (%.1f%%); %s", image, (long long)kept, (long long)roi,
                 100.0 * (double)kept / (double)roi, what);
}

static void reseg_note(const struct case_result *cr)
{
    if (cr->rc == 0 && cr->reseg_image)
        reseg_note_counts(cr->reseg_image, cr->reseg_kept, cr->reseg_roi, "the features describe only those");
}

/* Reads a 3-D volume, or frame `frame` (>= 0) of a 4-D one (3-D inputs are used as they are, so
 * that --frame can serve a 4-D contrast next to 3-D ones). Without a frame, a 4-D input with more
 * than one frame is refused (radiomics is defined on one 3-D volume): "4-D image (N frames):
 * choose one with --frame K"; a mask (is_mask) must be 3-D. */
static int read_3d_frame(const char *path, int frame, int is_mask, struct volume *v, struct sarc_err *e)
{
    struct volume_read_opts ro = VOLUME_READ_OPTS_DEFAULT;
    int rc = volume_read(path, &ro, v, e);
    if (rc)
        return rc;
    if (v->dim[3] <= 1)
        return 0;
    const long long nf = (long long)v->dim[3];
    if (is_mask || frame < 0 || frame >= nf) {
        volume_free(v);
        if (is_mask)
            return ERR(e, SARC_ERR_UNSUPPORTED, "4-D mask (%lld frames): the mask must be one 3-D volume", nf);
        if (frame < 0)
            return ERR(e, SARC_ERR_UNSUPPORTED, "4-D image (%lld frames): choose one with --frame K", nf);
        return ERR(e, SARC_ERR_RANGE, "--frame %d: the image has %lld frames (0..%lld)", frame, nf, nf - 1);
    }
    struct volume one = {0};
    if ((rc = volume_alloc_like(&one, v, e))) {
        volume_free(v);
        return rc;
    }
    const int64_t n = volume_frame_count(v);
    memcpy(one.data, v->data + (size_t)frame * (size_t)n, (size_t)n * sizeof *one.data);
    one.type = v->type;
    one.scl_slope = v->scl_slope;
    one.scl_inter = v->scl_inter;
    memcpy(one.format, v->format, sizeof one.format);
    volume_free(v);
    *v = one;
    return 0;
}

/* Computes every contrast of one case (frame: --frame K of 4-D images, -1 none); shape features
 * once, unprefixed, for multi-contrast. Diagnostics (additionalInfo given true): the header and
 * Mask-original once, then per contrast the image part, prefixed with the contrast name. */
static void case_run(const struct contrast *im, int nim, const char *mask_path, const struct rad_settings *s,
                     int frame, struct case_result *cr)
{
    memset(cr, 0, sizeof *cr);
    cr->label = s->label;
    struct volume mask = {0}, img = {0};
    cr->rc = read_3d_frame(mask_path, -1, 1, &mask, &cr->err);
    if (cr->rc) {
        cr->err_what = mask_path;
        return;
    }
    for (int c = 0; c < nim; c++) {
        cr->rc = read_3d_frame(im[c].path, frame, 0, &img, &cr->err);
        if (cr->rc) {
            cr->err_what = im[c].path;
            break;
        }
        struct rad_settings sc = *s;
        char prefix[160];
        struct rad_result part;
        if (nim > 1) {
            if (c == 0 && (!s->classes_given || s->enabled[RC_SHAPE])) {
                /* shape once, named original_shape_* */
                struct rad_settings sh = *s;
                memset(sh.enabled, 0, sizeof sh.enabled);
                sh.enabled[RC_SHAPE] = s->classes_given ? s->enabled[RC_SHAPE] : (uint32_t)((1ull << rad_class_table[RC_SHAPE].nfeat) - 1);
                sh.classes_given = 1;
                cr->rc = rad_extract(&img, &mask, &sh, "original", &part, &cr->err);
                if (cr->rc) {
                    cr->err_what = strncmp(cr->err.msg, "image", 5) == 0 ? im[c].path : mask_path;
                    break;
                }
                cr->res = part;
            }
            if (!sc.classes_given) {
                const int defaults[] = {RC_FIRSTORDER, RC_GLCM, RC_GLRLM, RC_GLSZM, RC_GLDM, RC_NGTDM};
                for (int t = 0; t < 6; t++)
                    sc.enabled[defaults[t]] = (uint32_t)((1ull << rad_class_table[defaults[t]].nfeat) - 1);
                sc.classes_given = 1;
            }
            sc.enabled[RC_SHAPE] = 0;
            snprintf(prefix, sizeof prefix, "%s_original", im[c].name);
        } else {
            snprintf(prefix, sizeof prefix, "original");
        }
        cr->rc = rad_extract(&img, &mask, &sc, prefix, &part, &cr->err);
        if (cr->rc == 0 && part.roi_voxels > 0 &&
            (!cr->reseg_image || (double)part.kept_voxels / (double)part.roi_voxels < (double)cr->reseg_kept / (double)cr->reseg_roi)) {
            cr->reseg_image = im[c].path;
            cr->reseg_roi = part.roi_voxels;
            cr->reseg_kept = part.kept_voxels;
        }
        if (cr->rc == 0 && s->additional_info && s->additional_info_given) {
            if (nim == 1) {
                cr->rc = rad_diagnostics_add(&img, &mask, s, sarc_version(), NULL, RAD_DIAG_ALL, &cr->diag, &cr->err);
            } else {
                if (c == 0)
                    cr->rc = rad_diagnostics_add(&img, &mask, s, sarc_version(), NULL, RAD_DIAG_HEADER | RAD_DIAG_MASK,
                                                 &cr->diag, &cr->err);
                if (cr->rc == 0)
                    cr->rc = rad_diagnostics_add(&img, &mask, s, sarc_version(), im[c].name, RAD_DIAG_IMAGE, &cr->diag,
                                                 &cr->err);
            }
            if (cr->rc)
                rad_result_free(&part);
        }
        volume_free(&img);
        if (cr->rc) {
            cr->err_what = strncmp(cr->err.msg, "image", 5) == 0 ? im[c].path : mask_path;
            break;
        }
        /* append part to cr->res */
        const int n0 = cr->res.n, n1 = n0 + part.n;
        char **nn = realloc(cr->res.names, (size_t)(n1 ? n1 : 1) * sizeof *nn);
        double *nv = nn ? realloc(cr->res.values, (size_t)(n1 ? n1 : 1) * sizeof *nv) : NULL;
        if (nn)
            cr->res.names = nn;
        if (!nn || !nv) {
            rad_result_free(&part);
            cr->rc = ERR(&cr->err, SARC_ERR_NOMEM, "out of memory");
            cr->err_what = mask_path;
            break;
        }
        cr->res.values = nv;
        for (int t = 0; t < part.n; t++) {
            cr->res.names[n0 + t] = part.names[t];
            cr->res.values[n0 + t] = part.values[t];
        }
        cr->res.n = n1;
        free(part.names);
        free(part.values);
    }
    volume_free(&img);
    volume_free(&mask);
    if (cr->rc) {
        rad_result_free(&cr->res);
        rad_diag_free(&cr->diag);
    }
}

/* ---- output ---- */

struct out_row {
    const char *image, *mask;
    const struct case_result *cr;
};

/* The union of the diagnostics names of the successful rows, each row's order kept (a name new
 * in a row goes after that row's previous name: e.g. Mask-corrected_* of the one case whose mask
 * needed correcting). *out (owned by the caller, may be NULL when n = 0) points into the rows. */
static int diag_union(const struct out_row *rows, int nrows, const char ***out, int *n)
{
    int cap = 0;
    *out = NULL;
    *n = 0;
    for (int r = 0; r < nrows; r++)
        if (rows[r].cr->rc == 0)
            cap += rows[r].cr->diag.n;
    if (cap == 0)
        return 0;
    const char **u = malloc((size_t)cap * sizeof *u);
    if (!u)
        return -1;
    int nu = 0;
    for (int r = 0; r < nrows; r++) {
        const struct rad_diag *d = &rows[r].cr->diag;
        int after = -1; /* union index of this row's previous name */
        for (int t = 0; rows[r].cr->rc == 0 && t < d->n; t++) {
            int at = -1;
            for (int q = 0; q < nu; q++)
                if (!strcmp(u[q], d->names[t])) {
                    at = q;
                    break;
                }
            if (at < 0) {
                at = after + 1;
                memmove(u + at + 1, u + at, (size_t)(nu - at) * sizeof *u);
                u[at] = d->names[t];
                nu++;
            }
            after = at;
        }
    }
    *out = u;
    *n = nu;
    return 0;
}

/* Writes rows as CSV (columns Image, Mask, Label, features of the first successful row, the
 * diagnostics of all rows (diag_union), [error]) or JSON (an object, or an array for batch),
 * atomically. */
static int write_rows(const char *path, const struct out_row *rows, int nrows, int batch, struct sarc_err *e)
{
    const struct rad_result *cols = NULL;
    for (int r = 0; r < nrows; r++)
        if (rows[r].cr->rc == 0) {
            cols = &rows[r].cr->res;
            break;
        }
    const int json = path_has_suffix(path, ".json");
    char *text = NULL;
    size_t len = 0;
    int rc = 0;
    if (json) {
        struct json j;
        json_init(&j);
        j.pretty = 1;
        if (batch)
            json_arr_begin(&j);
        for (int r = 0; r < nrows; r++) {
            const struct case_result *cr = rows[r].cr;
            json_obj_begin(&j);
            json_kv_str(&j, "Image", rows[r].image);
            json_kv_str(&j, "Mask", rows[r].mask);
            json_kv_int(&j, "Label", cr->label);
            for (int f = 0; cr->rc == 0 && f < cr->res.n; f++)
                json_kv_num(&j, cr->res.names[f], cr->res.values[f]); /* NaN -> null */
            for (int f = 0; cr->rc == 0 && f < cr->diag.n; f++)
                json_kv_str(&j, cr->diag.names[f], cr->diag.values[f]);
            if (batch)
                json_kv_str(&j, "error", cr->rc ? cr->err.msg : "");
            json_obj_end(&j);
        }
        if (batch)
            json_arr_end(&j);
        if (j.oom) {
            json_free(&j);
            return ERR(e, SARC_ERR_NOMEM, "out of memory");
        }
        rc = file_write_atomic(path, j.buf, j.len, e);
        json_free(&j);
        return rc;
    }
    const char **dnames = NULL; /* diagnostics columns, after the features */
    int ndn = 0;
    if (diag_union(rows, nrows, &dnames, &ndn))
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        free(dnames);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    struct csv_writer w = {f, 1};
    csv_put(&w, "Image");
    csv_put(&w, "Mask");
    csv_put(&w, "Label");
    for (int c = 0; cols && c < cols->n; c++)
        csv_put(&w, cols->names[c]);
    for (int c = 0; c < ndn; c++)
        csv_put(&w, dnames[c]);
    if (batch)
        csv_put(&w, "error");
    csv_endrow(&w);
    for (int r = 0; r < nrows; r++) {
        const struct case_result *cr = rows[r].cr;
        csv_put(&w, rows[r].image);
        csv_put(&w, rows[r].mask);
        csv_putint(&w, cr->label);
        for (int c = 0; cols && c < cols->n; c++) {
            int found = -1;
            if (cr->rc == 0) {
                if (c < cr->res.n && strcmp(cr->res.names[c], cols->names[c]) == 0)
                    found = c;
                else
                    for (int t = 0; t < cr->res.n; t++)
                        if (strcmp(cr->res.names[t], cols->names[c]) == 0)
                            found = t;
            }
            if (found >= 0)
                csv_putnum(&w, cr->res.values[found]);
            else
                csv_put(&w, "");
        }
        for (int c = 0; c < ndn; c++) {
            const char *val = "";
            for (int t = 0; cr->rc == 0 && t < cr->diag.n; t++)
                if (strcmp(cr->diag.names[t], dnames[c]) == 0) {
                    val = cr->diag.values[t];
                    break;
                }
            csv_put(&w, val);
        }
        if (batch) {
            char msg[700];
            if (cr->rc)
                snprintf(msg, sizeof msg, "%s: %s", cr->err_what ? cr->err_what : "", cr->err.msg);
            csv_put(&w, cr->rc ? msg : "");
        }
        csv_endrow(&w);
    }
    free(dnames);
    if (fclose(f) != 0) {
        free(text);
        return ERR(e, SARC_ERR_IO, "cannot build the CSV text");
    }
    rc = file_write_atomic(path, text, len, e);
    free(text);
    return rc;
}

/* ---- batch ---- */

struct batch_ctx {
    const struct csv *t;
    int ci, cm, cl;
    const struct rad_settings *s;
    char (*paths)[2][4096];
    struct case_result *res;
    struct progress *prog;
    int frame;
};

static void batch_chunk(void *ctx, int64_t begin, int64_t end, int64_t chunk)
{
    (void)chunk;
    struct batch_ctx *b = ctx;
    for (int64_t r = begin; r < end; r++) {
        struct rad_settings s = *b->s;
        struct case_result *cr = &b->res[r];
        if (b->cl >= 0 && csv_cell(b->t, (int)r, b->cl)[0]) {
            if (rad_setting_set(&s, "label", csv_cell(b->t, (int)r, b->cl), &cr->err)) {
                cr->rc = SARC_ERR_ARG;
                cr->err_what = "Label";
                cr->label = s.label;
                progress_add(b->prog, 1);
                continue;
            }
        }
        struct contrast im = {NULL, b->paths[r][0]};
        case_run(&im, 1, b->paths[r][1], &s, b->frame, cr);
        progress_add(b->prog, 1);
    }
}

/* A path from the cases table: as written, or relative to the table's folder if that exists. */
static void resolve_path(const char *table, const char *p, char *out, size_t size)
{
    snprintf(out, size, "%s", p);
    if (p[0] == '/' || file_is_regular(p) || file_is_dir(p))
        return;
    char dir[4096];
    path_dirname(dir, sizeof dir, table);
    char alt[4096];
    if (path_join(alt, sizeof alt, dir, p) == 0 && (file_is_regular(alt) || file_is_dir(alt)))
        snprintf(out, size, "%s", alt);
}

static int run_batch(const char *table, const struct rad_settings *s, int frame, const char *out)
{
    struct csv t;
    struct sarc_err e = {0};
    if (csv_read(&t, table, &e))
        return cmd_fail(table, &e);
    const int ci = csv_col(&t, "Image"), cm = csv_col(&t, "Mask"), cl = csv_col(&t, "Label");
    if (ci < 0 || cm < 0) {
        csv_free(&t);
        return cmd_failf(table, "expected columns Image and Mask (and optionally Label)");
    }
    const int n = t.nrows;
    struct case_result *res = calloc((size_t)(n ? n : 1), sizeof *res);
    char (*paths)[2][4096] = calloc((size_t)(n ? n : 1), sizeof *paths);
    struct out_row *rows = calloc((size_t)(n ? n : 1), sizeof *rows);
    if (!res || !paths || !rows) {
        free(res);
        free(paths);
        free(rows);
        csv_free(&t);
        return cmd_failf(table, "out of memory");
    }
    for (int r = 0; r < n; r++) {
        resolve_path(table, csv_cell(&t, r, ci), paths[r][0], sizeof paths[r][0]);
        resolve_path(table, csv_cell(&t, r, cm), paths[r][1], sizeof paths[r][1]);
    }
    struct progress prog;
    progress_begin(&prog, "radiomics", n, "cases");
    struct batch_ctx b = {&t, ci, cm, cl, s, paths, res, &prog, frame};
    pool_for(pool_default(), n, 1, batch_chunk, &b);
    progress_end(&prog);
    int failed = 0;
    for (int r = 0; r < n; r++) {
        rows[r].image = csv_cell(&t, r, ci);
        rows[r].mask = csv_cell(&t, r, cm);
        rows[r].cr = &res[r];
        if (res[r].rc) {
            failed++;
            fprintf(stderr, "sarc: %s: case %d: %s\n", res[r].err_what ? res[r].err_what : table, r + 1, res[r].err.msg);
        }
        reseg_note(&res[r]);
    }
    int rc = write_rows(out, rows, n, 1, &e);
    for (int r = 0; r < n; r++) {
        rad_result_free(&res[r].res);
        rad_diag_free(&res[r].diag);
    }
    free(res);
    free(paths);
    free(rows);
    csv_free(&t);
    if (rc)
        return cmd_fail(out, &e);
    if (failed) {
        cmd_note("%d of %d cases failed (rows with an error in %s)", failed, n, out);
        return 1;
    }
    return 0;
}

/* The defaults of struct rad_opts (no outlier handling chosen, sigma 3). */
static void rad_opts_init(struct rad_opts *o)
{
    memset(o, 0, sizeof *o);
    o->outliers = -1;
    o->frame = -1;
    o->outlier_sigma = 3;
}

/* --frame K: a frame index >= 0 into *frame; 0, or 2 after printing. */
static int frame_parse(const char *v, int *frame)
{
    long long k;
    if (opt_int(v, 0, 1000000, &k))
        return cmd_failf("--frame", "\"%s\": expected a frame index >= 0", v);
    *frame = (int)k;
    return 0;
}

/* An argument of radiomics/featuremap that is none of their options: the next of the two
 * positionals pos[*npos], else an error. Returns 0, or 2 after printing the error and the usage. */
static int rad_arg_other(const char *cmd, const char *a, const char **pos, int *npos)
{
    if (a[0] == '-' && a[1]) {
        cmd_failf(cmd, "unknown or incomplete option %s", a);
        return cmd_usage(cmd);
    }
    if (*npos >= 2) {
        cmd_failf(cmd, "unexpected argument %s", a);
        return cmd_usage(cmd);
    }
    pos[(*npos)++] = a;
    return 0;
}

/* The options radiomics and featuremap share: --params FILE, --label N, --frame K and the
 * repeatable --setting NAME=VALUE (at most max of them) into *o. Returns 1 when argv[*i] was one of them (its
 * value taken, *i advanced), 0 when not (or its value is missing), 2 after printing. */
static int rad_opt_common(int argc, char **argv, int *i, struct rad_opts *o, int max)
{
    const char *a = argv[*i];
    if (*i + 1 >= argc)
        return 0;
    if (!strcmp(a, "--params"))
        o->params = argv[++*i];
    else if (!strcmp(a, "--label"))
        o->label = argv[++*i];
    else if (!strcmp(a, "--frame"))
        return frame_parse(argv[++*i], &o->frame) ? 2 : 1;
    else if (!strcmp(a, "--setting")) {
        if (o->nsettings == max)
            return cmd_failf("--setting", "at most %d settings", max);
        o->settings[o->nsettings++] = argv[++*i];
    } else
        return 0;
    return 1;
}

int cmd_radiomics(int argc, char **argv)
{
    struct rad_opts o;
    rad_opts_init(&o);
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    const char *out = NULL, *batch = NULL;
    struct contrast im[16];
    int nim = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const int has = i + 1 < argc;
        int r = rad_opt_common(argc, argv, &i, &o, 64);
        if (r == 2)
            return 2;
        if (r)
            continue;
        if (!strcmp(a, "-o") && has)
            out = argv[++i];
        else if (!strcmp(a, "--batch") && has)
            batch = argv[++i];
        else if (!strcmp(a, "--ibsi"))
            o.ibsi = 1;
        else if (!strcmp(a, "--preset") && has) {
            if (strcmp(argv[++i], "paper") != 0)
                return cmd_failf("--preset", "\"%s\": the only preset is paper", argv[i]);
            o.preset_paper = 1;
        } else if (!strcmp(a, "--outliers") && has) {
            const char *m = argv[++i];
            if (!strcmp(m, "none"))
                o.outliers = 0;
            else if (!strcmp(m, "exclude"))
                o.outliers = 1;
            else if (!strcmp(m, "clip"))
                o.outliers = 2;
            else
                return cmd_failf("--outliers", "\"%s\": expected exclude, clip or none", m);
        } else if (!strcmp(a, "--outlier-sigma") && has) {
            if (opt_double(argv[++i], &o.outlier_sigma) || !(o.outlier_sigma > 0))
                return cmd_failf("--outlier-sigma", "\"%s\": expected a number > 0", argv[i]);
        } else if (!strcmp(a, "--image") && has) {
            char *spec = argv[++i];
            char *eq = strchr(spec, '=');
            if (!eq || eq == spec || !eq[1])
                return cmd_failf("--image", "\"%s\": expected NAME=PATH", spec);
            if (nim == 16)
                return cmd_failf("--image", "at most 16 contrasts");
            *eq = 0;
            for (int c = 0; c < nim; c++)
                if (!strcmp(im[c].name, spec))
                    return cmd_failf("--image", "contrast name %s given twice", spec);
            im[nim].name = spec;
            im[nim].path = eq + 1;
            nim++;
        } else if (rad_arg_other(argv[0], a, pos, &npos))
            return 2;
    }
    if (!out) {
        cmd_failf(argv[0], "-o OUT.csv|OUT.json is required");
        return cmd_usage(argv[0]);
    }
    if (!path_has_suffix(out, ".csv") && !path_has_suffix(out, ".json"))
        return cmd_failf(out, "the output must end in .csv or .json");
    struct rad_settings s;
    struct sarc_err e = {0};
    const char *what = NULL;
    if (build_settings(&o, &s, &what, &e))
        return cmd_fail(what, &e);
    if (batch) {
        if (npos || nim)
            return cmd_failf(argv[0], "--batch takes no IMAGE/MASK arguments");
        return run_batch(batch, &s, o.frame, out);
    }
    const char *mask = NULL;
    if (nim) {
        if (npos != 1) {
            cmd_failf(argv[0], "with --image give exactly one MASK");
            return cmd_usage(argv[0]);
        }
        mask = pos[0];
    } else {
        if (npos != 2) {
            cmd_failf(argv[0], "expected IMAGE and MASK");
            return cmd_usage(argv[0]);
        }
        im[0].name = NULL;
        im[0].path = pos[0];
        nim = 1;
        mask = pos[1];
    }
    struct case_result cr;
    case_run(im, nim, mask, &s, o.frame, &cr);
    if (cr.rc)
        return cmd_fail(cr.err_what, &cr.err);
    reseg_note(&cr);
    char image_col[4096];
    if (im[0].name) {
        size_t used = 0;
        image_col[0] = 0;
        for (int c = 0; c < nim; c++)
            used += (size_t)snprintf(image_col + used, used < sizeof image_col ? sizeof image_col - used : 0, "%s%s=%s", c ? ";" : "", im[c].name, im[c].path);
    } else
        snprintf(image_col, sizeof image_col, "%s", im[0].path);
    struct out_row row = {image_col, mask, &cr};
    int rc = write_rows(out, &row, 1, 0, &e);
    rad_result_free(&cr.res);
    rad_diag_free(&cr.diag);
    if (rc)
        return cmd_fail(out, &e);
    return 0;
}

/* ---- regions ---- */

const char cmd_regions_usage[] =
    "Usage: sarc regions --mask TUMOUR --image IMAGE -o DIR [--margin-mm 3] [--air-threshold median|otsu|none|VALUE] [--label N] [--frame K]\n"
    "Writes DIR/tumor.nii.gz, DIR/peritumoral.nii.gz (dilation by the margin in mm minus the tumour, air\n"
    "voxels excluded) and DIR/combined.nii.gz (uint8, the image's grid). Air: voxels below the threshold\n"
    "(default: the image's median), closed with a ball of radius 3 voxels; none keeps the whole shell.\n"
    "--label N takes the tumour as mask == N (default: every non-zero voxel). --frame K uses frame K\n"
    "of a 4-D image (a 4-D image without it is an error; a 3-D image is used as it is).\n";

/* Reads the 3-D mask, then the image (frame K of a 4-D one when frame >= 0), for regions.
 * Returns 0, or 2 after printing "sarc: <file>: ..." with nothing left allocated. */
static int read_mask_image_frame(const char *mask_path, const char *image_path, int frame, struct volume *mask,
                                 struct volume *image)
{
    struct sarc_err e = {0};
    if (read_3d_frame(mask_path, -1, 1, mask, &e))
        return cmd_fail(mask_path, &e);
    if (read_3d_frame(image_path, frame, 0, image, &e)) {
        volume_free(mask);
        return cmd_fail(image_path, &e);
    }
    return 0;
}

int cmd_regions(int argc, char **argv)
{
    const char *mask_path = NULL, *image_path = NULL, *outdir = NULL;
    struct regions_opts ro;
    regions_opts_default(&ro);
    const char *margin = NULL, *label = NULL, *air = NULL, *frame_s = NULL;
    const struct cmd_opt opts[] = {{"--mask", &mask_path, NULL},   {"--image", &image_path, NULL},
                                   {"-o", &outdir, NULL},          {"--margin-mm", &margin, NULL},
                                   {"--label", &label, NULL},      {"--air-threshold", &air, NULL},
                                   {"--frame", &frame_s, NULL},    {NULL, NULL, NULL}};
    if (cmd_parse(argc, argv, opts, NULL, 0) < 0)
        return 2;
    int frame = -1;
    if (frame_s) {
        if (frame_parse(frame_s, &frame))
            return 2;
    }
    if (margin && (opt_double(margin, &ro.margin_mm) || !(ro.margin_mm >= 0) || ro.margin_mm > 1000))
        return cmd_failf("--margin-mm", "\"%s\": expected a number 0..1000", margin);
    if (label) {
        long long v;
        if (opt_int(label, 1, 2147483647, &v))
            return cmd_failf("--label", "\"%s\": expected an integer >= 1", label);
        ro.label = (int)v;
    }
    if (air) {
        if (!strcmp(air, "median"))
            ro.air = REGIONS_AIR_MEDIAN;
        else if (!strcmp(air, "otsu"))
            ro.air = REGIONS_AIR_OTSU;
        else if (!strcmp(air, "none"))
            ro.air = REGIONS_AIR_NONE;
        else {
            ro.air = REGIONS_AIR_VALUE;
            if (opt_double(air, &ro.air_value))
                return cmd_failf("--air-threshold", "\"%s\": expected median, otsu, none or a number", air);
        }
    }
    if (!mask_path || !image_path || !outdir) {
        cmd_failf(argv[0], "--mask, --image and -o are required");
        return cmd_usage(argv[0]);
    }
    struct sarc_err e = {0};
    struct volume mask = {0}, image = {0};
    if (read_mask_image_frame(mask_path, image_path, frame, &mask, &image))
        return 2;
    struct volume out[3];
    memset(out, 0, sizeof out);
    int rc = regions_compute(&image, &mask, &ro, out, &e);
    const char *fail_what = mask_path;
    if (!rc && file_mkdirs(outdir, &e)) {
        rc = -1;
        fail_what = outdir;
    }
    static const char *const names[3] = {"tumor.nii.gz", "peritumoral.nii.gz", "combined.nii.gz"};
    struct audit_step *st = rc ? NULL : audit_step_begin("regions_write");
    for (int r = 0; !rc && r < 3; r++) {
        char path[4096];
        if (path_join(path, sizeof path, outdir, names[r])) {
            rc = ERR(&e, SARC_ERR_ARG, "output path too long");
            fail_what = outdir;
            break;
        }
        struct volume_write_opts wo = VOLUME_WRITE_OPTS_DEFAULT;
        wo.type = VT_U8;
        if (volume_write(path, &out[r], &wo, &e)) {
            rc = -1;
            fail_what = path;
            break;
        }
        audit_output_file(st, names[r], path);
    }
    if (st)
        audit_step_end(st);
    for (int r = 0; r < 3; r++)
        volume_free(&out[r]);
    volume_free(&mask);
    volume_free(&image);
    if (rc)
        return cmd_fail(fail_what, &e);
    return 0;
}

/* ---- featuremap ---- */

const char cmd_featuremap_usage[] =
    "Usage: sarc featuremap IMAGE MASK -o DIR [--kernel-radius R] [--params FILE.yaml] [--setting NAME=VALUE]... [--label N] [--full-grid]\n"
    "                       [--frame K]\n"
    "PyRadiomics' voxel-based extraction: every feature of the enabled classes computed in a cube of\n"
    "radius R (kernelRadius) around each ROI voxel (maskedKernel: only ROI voxels of the cube;\n"
    "--setting maskedKernel=false: every voxel of the ROI box padded by R); voxels outside the ROI\n"
    "get initValue. Writes DIR/original_<class>_<Feature>.nii.gz (float32). Grid: as PyRadiomics, the\n"
    "ROI's bounding box padded by R and clipped to the image (after resampledPixelSpacing, on the\n"
    "resampled grid), with that crop's origin; --full-grid: the input image's grid instead (padded\n"
    "with initValue; not with resampledPixelSpacing). Multi-threaded (--threads); results do not\n"
    "depend on the thread count.\n";

int cmd_featuremap(int argc, char **argv)
{
    struct rad_opts o;
    rad_opts_init(&o);
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    const char *outdir = NULL, *radius = NULL;
    int full_grid = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const int has = i + 1 < argc;
        int r = rad_opt_common(argc, argv, &i, &o, 63);
        if (r == 2)
            return 2;
        if (r)
            continue;
        if (!strcmp(a, "--kernel-radius") && has)
            radius = argv[++i];
        else if (!strcmp(a, "-o") && has)
            outdir = argv[++i];
        else if (!strcmp(a, "--full-grid"))
            full_grid = 1;
        else if (rad_arg_other(argv[0], a, pos, &npos))
            return 2;
    }
    if (npos != 2 || !outdir) {
        cmd_failf(argv[0], "expected IMAGE MASK -o DIR");
        return cmd_usage(argv[0]);
    }
    char kr[64];
    if (radius) {
        snprintf(kr, sizeof kr, "kernelRadius=%s", radius);
        o.settings[o.nsettings++] = kr;
    }
    struct rad_settings s;
    struct sarc_err e = {0};
    const char *what = NULL;
    if (build_settings(&o, &s, &what, &e))
        return cmd_fail(what, &e);
    struct volume mask = {0}, image = {0};
    if (read_mask_image_frame(pos[1], pos[0], o.frame, &mask, &image))
        return 2;
    struct featuremap fm;
    struct featuremap_opts fo = FEATUREMAP_OPTS_DEFAULT;
    fo.full_grid = full_grid;
    int rc = featuremap_compute_opts(&image, &mask, &s, &fo, &fm, &e);
    const int have_maps = rc == 0;
    if (have_maps)
        reseg_note_counts(pos[0], fm.kept_voxels, fm.roi_voxels, "maps only there");
    const char *fail_what = pos[1];
    if (!rc && file_mkdirs(outdir, &e)) {
        rc = -1;
        fail_what = outdir;
    }
    struct audit_step *st = rc ? NULL : audit_step_begin("featuremap_write");
    for (int f = 0; !rc && f < fm.n; f++) {
        char name[256], path[4096];
        snprintf(name, sizeof name, "%s.nii.gz", fm.names[f]);
        if (path_join(path, sizeof path, outdir, name)) {
            rc = ERR(&e, SARC_ERR_ARG, "output path too long");
            fail_what = outdir;
            break;
        }
        struct volume_write_opts wo = VOLUME_WRITE_OPTS_DEFAULT;
        wo.type = VT_F32;
        if (volume_write(path, &fm.maps[f], &wo, &e)) {
            rc = -1;
            fail_what = path;
            break;
        }
        audit_output_file(st, fm.names[f], path);
    }
    if (st)
        audit_step_end(st);
    if (have_maps)
        featuremap_free(&fm);
    volume_free(&mask);
    volume_free(&image);
    if (rc)
        return cmd_fail(fail_what, &e);
    return 0;
}
