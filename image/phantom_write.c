/* phantom_write.c - the files of `sarc phantom` (issue 5): the cohort on disk (NIfTI .nii.gz per
 * scan and contrast, the true label and bias fields, optional Bruker ParaVision studies), the
 * manifest cohort.csv, truth.json (generating parameters, per-mouse growth and latents, the
 * recurrence rule and its informative features) and the PNG previews.
 *
 * Layout under DIR: mNN/{pre,post}_{T1,T1C,T2,label,bias_T1,bias_T1C,bias_T2}.nii.gz;
 * with --bruker also bruker/mNN_{pre,post}/{1,2,3} (T1, T1C, T2 experiments of one study).
 * Scans are generated and written in parallel on a pool (one scan per chunk); every byte is a
 * function of the parameters, so files are identical for any thread count. The manifest files
 * are written last, so a failed run leaves no cohort.csv. Covered by test/image/test_phantom.c. */
#include "image/phantom.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "io/bruker.h"
#include "io/csv.h"
#include "io/file.h"
#include "io/volio.h"
#include "vendor/json.h"
#include "vendor/png.h"
#include "vendor/pool.h"
#include "vendor/progress.h"

#define PHANTOM_GZIP_LEVEL 1 /* level 6 is 3x slower for <1% smaller files on these noisy images */

static void mouse_name(char *out, size_t size, int mouse, int mice)
{
    const int width = mice <= 99 ? 2 : mice <= 999 ? 3 : 4;
    snprintf(out, size, "m%0*d", width, mouse + 1);
}

/* Relative file names of one scan (relative to the cohort folder). */
static void scan_file(char *out, size_t size, const struct phantom_params *p, int mouse, int tp, const char *what)
{
    char mn[16];
    mouse_name(mn, sizeof mn, mouse, p->mice);
    snprintf(out, size, "%s/%s_%s.nii.gz", mn, phantom_timepoint_names[tp], what);
}

struct cohort_job {
    const struct phantom_params *p;
    const char *dir;
    int bruker;
    int *rc;              /* per scan */
    struct sarc_err *err; /* per scan */
    double *mm3;          /* per scan: measured tumour volume */
    double *gain;         /* per scan x contrast */
    struct progress *prog;
};

/* Writes the 7 NIfTI files of one scan (and its Bruker study with job->bruker), each atomically,
 * recording them in an audit step "phantom_write". Returns 0 or the first error, naming the file. */
static int scan_write(const struct cohort_job *job, int mouse, int tp, const struct phantom_scan *s, struct sarc_err *e)
{
    const struct phantom_params *p = job->p;
    struct volume_write_opts wo = VOLUME_WRITE_OPTS_DEFAULT;
    wo.level = PHANTOM_GZIP_LEVEL;
    char rel[128], path[4096];
    const struct volume *vols[7] = {&s->img[0], &s->img[1], &s->img[2], &s->label, &s->bias[0], &s->bias[1], &s->bias[2]};
    const char *what[7] = {"T1", "T1C", "T2", "label", "bias_T1", "bias_T1C", "bias_T2"};
    struct audit_step *st = audit_step_begin("phantom_write");
    audit_param_int(st, "mouse", mouse + 1);
    audit_param_str(st, "timepoint", phantom_timepoint_names[tp]);
    int rc = 0;
    for (int f = 0; f < 7 && !rc; f++) {
        scan_file(rel, sizeof rel, p, mouse, tp, what[f]);
        if (path_join(path, sizeof path, job->dir, rel)) {
            rc = ERR(e, SARC_ERR_ARG, "%s: path too long", job->dir);
            break;
        }
        rc = volume_write(path, vols[f], &wo, e);
        if (rc)
            err_prefix(e, "%s", path);
        else
            audit_output_file(st, what[f], path);
    }
    if (!rc && job->bruker) {
        static const char *const methods[PHANTOM_NCONTRAST] = {"FLASH", "FLASH", "RARE"};
        static const char *const protocols[PHANTOM_NCONTRAST] = {"T1_FLASH", "T1_FLASH_post_contrast", "T2_TurboRARE"};
        char mn[16], study[64];
        mouse_name(mn, sizeof mn, mouse, p->mice);
        snprintf(study, sizeof study, "bruker/%s_%s", mn, phantom_timepoint_names[tp]);
        if (path_join(path, sizeof path, job->dir, study))
            rc = ERR(e, SARC_ERR_ARG, "%s: path too long", job->dir);
        for (int c = 0; c < PHANTOM_NCONTRAST && !rc; c++) {
            struct bruker_write_info info = {methods[c], protocols[c], mn, study + 7, c + 1};
            rc = bruker_write(path, &s->img[c], &info, e);
            if (rc)
                err_prefix(e, "%s/%d", path, c + 1);
        }
        if (!rc)
            audit_note(st, "Bruker ParaVision study written");
    }
    audit_step_end(st);
    return rc;
}

/* pool_for body: scans [begin, end) (scan i = mouse i / 2, timepoint i % 2) are generated,
 * written and freed; results go to slot i only, so the order of chunks does not matter. */
static void cohort_chunk(void *ctx, int64_t begin, int64_t end, int64_t chunk)
{
    (void)chunk;
    const struct cohort_job *job = ctx;
    for (int64_t i = begin; i < end; i++) {
        const int mouse = (int)(i / 2), tp = (int)(i % 2);
        struct phantom_scan s;
        int rc = phantom_scan_generate(job->p, mouse, tp, &s, &job->err[i]);
        if (!rc) {
            job->mm3[i] = s.tumour_mm3;
            for (int c = 0; c < PHANTOM_NCONTRAST; c++)
                job->gain[i * PHANTOM_NCONTRAST + c] = s.gain[c];
            rc = scan_write(job, mouse, tp, &s, &job->err[i]);
            phantom_scan_free(&s);
        }
        job->rc[i] = rc;
        progress_add(job->prog, 1);
    }
}

/* cohort.csv: one row per scan, mouse-major, pre before post. Built in memory, written atomically. */
static int cohort_csv_write(const struct phantom_params *p, const char *dir, struct sarc_err *e)
{
    char *text = NULL, path[4096], rel[128], mn[16];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return ERR(e, SARC_ERR_NOMEM, "cohort.csv: out of memory");
    struct csv_writer w = {f, 1};
    const char *cols[] = {"mouse", "timepoint", "T1", "T1C", "T2", "label", "recurrence", "growth", "bias_T1", "bias_T1C", "bias_T2"};
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
        csv_put(&w, cols[c]);
    csv_endrow(&w);
    const char *files[] = {"T1", "T1C", "T2", "label"};
    const char *bias[] = {"bias_T1", "bias_T1C", "bias_T2"};
    for (int m = 0; m < p->mice; m++) {
        struct phantom_mouse pm;
        phantom_mouse_draw(p, m, &pm);
        mouse_name(mn, sizeof mn, m, p->mice);
        for (int tp = 0; tp < 2; tp++) {
            csv_put(&w, mn);
            csv_put(&w, phantom_timepoint_names[tp]);
            for (int q = 0; q < 4; q++) {
                scan_file(rel, sizeof rel, p, m, tp, files[q]);
                csv_put(&w, rel);
            }
            csv_putint(&w, pm.recurrence);
            csv_putnum(&w, pm.growth);
            for (int q = 0; q < 3; q++) {
                scan_file(rel, sizeof rel, p, m, tp, bias[q]);
                csv_put(&w, rel);
            }
            csv_endrow(&w);
        }
    }
    int bad = ferror(f);
    fclose(f);
    int rc = 0;
    if (bad || !text)
        rc = ERR(e, SARC_ERR_NOMEM, "cohort.csv: out of memory");
    else if (path_join(path, sizeof path, dir, "cohort.csv"))
        rc = ERR(e, SARC_ERR_ARG, "%s: path too long", dir);
    else
        rc = file_write_atomic(path, text, len, e);
    free(text);
    return rc;
}

static void json_vec3(struct json *j, const char *key, const double *v)
{
    json_key(j, key);
    json_arr_begin(j);
    for (int a = 0; a < 3; a++)
        json_num(j, v[a]);
    json_arr_end(j);
}

/* truth.json: the generating parameters, the rule and every mouse's truth. */
static int truth_write(const struct phantom_params *p, const char *dir, int bruker, const double *mm3,
                       const double *gain, struct sarc_err *e)
{
    struct json j;
    json_init(&j);
    j.pretty = 1;
    const double scale = phantom_anatomy_scale(p);
    json_obj_begin(&j);
    json_kv_str(&j, "generator", "sarc phantom (image/phantom.c)");
    json_kv_int(&j, "format_version", 1);
    json_key(&j, "params");
    json_obj_begin(&j);
    json_kv_int(&j, "mice", p->mice);
    json_key(&j, "size");
    json_arr_begin(&j);
    for (int a = 0; a < 3; a++)
        json_int(&j, p->dim[a]);
    json_arr_end(&j);
    json_vec3(&j, "spacing_mm", p->spacing);
    json_kv_num(&j, "snr", p->snr);
    json_kv_num(&j, "effect", p->effect);
    json_kv_num(&j, "motion_mm", p->motion);
    json_kv_int(&j, "seed", (int64_t)p->seed);
    json_kv_num(&j, "anatomy_scale", scale);
    json_kv_bool(&j, "bruker", bruker);
    json_obj_end(&j);
    json_key(&j, "contrasts");
    json_arr_begin(&j);
    for (int c = 0; c < PHANTOM_NCONTRAST; c++)
        json_str(&j, phantom_contrast_names[c]);
    json_arr_end(&j);
    json_kv_str(&j, "image_model",
                "img = round(gain * |bias * I + sigma * (n1 + i n2)|), n1, n2 ~ N(0,1), sigma = muscle mean / snr; "
                "gain maps the image maximum to 32767; bias files hold the exact multiplicative bias");
    json_kv_str(&j, "growth_model",
                "volume_pre ~ log-uniform(100, 700) mm^3 x anatomy_scale^3, growth ~ uniform(1.3, 2.1), "
                "volume_post = growth x volume_pre (targets of the generating shape; measured label volumes are in scans)");
    json_key(&j, "recurrence_rule");
    json_obj_begin(&j);
    json_kv_str(&j, "formula", "recurrence = 1 if effect * risk + noise > 0, risk = (z_shape + z_peri) / sqrt(2), noise ~ N(0,1)");
    json_kv_num(&j, "effect", p->effect);
    json_kv_str(&j, "z_shape", "N(0,1) per mouse: tumour lobulation amplitude 0.16 exp(0.4 z) and margin roughness 0.035 exp(0.4 z)");
    json_kv_str(&j, "z_peri", "N(0,1) per mouse: peritumoral oedema strength 0.45 + 0.3 z (x1.5 after RT), extent 0.7 + 0.35 z mm (x1.3 after RT), heterogeneity 0.5 exp(0.4 z)");
    json_key(&j, "informative_features");
    json_arr_begin(&j);
    /* directions and correlations measured by test/oracles/phantom_check.py on 42 mice (seed 42,
     * 112x112x24 at 0.25x0.25x0.75 mm) */
    const char *feat[] = {
        "z_shape -> tumour shape: more lobulated, rougher margin: lower original_shape_Sphericity, higher "
        "original_shape_SurfaceVolumeRatio (surface voxels / volume^(2/3): corr 0.56 pre, 0.61 post)",
        "z_peri -> peritumoral 3 mm shell: oedema (T2 1.8x, T1C 1.2x, T1 0.83x muscle; viable tumour T2 2.3x) replaces muscle around the tumour: "
        "shell T2 / tumour T2 mean rises (corr 0.58 pre, 0.78 post), shell T2 coefficient of variation falls "
        "(corr -0.64 pre, -0.73 post); expected in original_firstorder_Mean/Median/10Percentile/Variance and glcm "
        "features of the peritumoral region on T2 and T1C",
        "not informative: tumour volume, growth, elongation and orientation (drawn independently of the outcome)"};
    for (size_t f = 0; f < sizeof feat / sizeof feat[0]; f++)
        json_str(&j, feat[f]);
    json_arr_end(&j);
    json_obj_end(&j);
    json_key(&j, "mice");
    json_arr_begin(&j);
    char mn[16];
    for (int m = 0; m < p->mice; m++) {
        struct phantom_mouse pm;
        phantom_mouse_draw(p, m, &pm);
        mouse_name(mn, sizeof mn, m, p->mice);
        json_obj_begin(&j);
        json_kv_str(&j, "mouse", mn);
        json_kv_num(&j, "growth", pm.growth);
        json_kv_num(&j, "target_volume_pre_mm3", pm.volume_mm3[0] * scale * scale * scale);
        json_kv_num(&j, "target_volume_post_mm3", pm.volume_mm3[1] * scale * scale * scale);
        json_kv_num(&j, "volume_pre_mm3", mm3[2 * m]);
        json_kv_num(&j, "volume_post_mm3", mm3[2 * m + 1]);
        json_kv_num(&j, "z_shape", pm.z_shape);
        json_kv_num(&j, "z_peri", pm.z_peri);
        json_kv_num(&j, "risk", pm.risk);
        json_kv_num(&j, "noise", pm.noise);
        json_kv_int(&j, "recurrence", pm.recurrence);
        json_key(&j, "gain");
        json_obj_begin(&j);
        for (int tp = 0; tp < 2; tp++) {
            json_key(&j, phantom_timepoint_names[tp]);
            json_arr_begin(&j);
            for (int c = 0; c < PHANTOM_NCONTRAST; c++)
                json_num(&j, gain[(2 * m + tp) * PHANTOM_NCONTRAST + c]);
            json_arr_end(&j);
        }
        json_obj_end(&j);
        json_obj_end(&j);
    }
    json_arr_end(&j);
    json_obj_end(&j);
    int rc = 0;
    char path[4096];
    if (j.oom)
        rc = ERR(e, SARC_ERR_NOMEM, "truth.json: out of memory");
    else if (path_join(path, sizeof path, dir, "truth.json"))
        rc = ERR(e, SARC_ERR_ARG, "%s: path too long", dir);
    else
        rc = file_write_atomic(path, j.buf, j.len, e);
    json_free(&j);
    return rc;
}

int phantom_cohort_write(const struct phantom_params *p, const char *dir, int bruker, struct sarc_err *e)
{
    int rc = phantom_params_check(p, e);
    if (rc)
        return rc;
    const int64_t nscans = 2 * (int64_t)p->mice;
    char path[4096], mn[16];
    rc = file_mkdirs(dir, e);
    if (rc)
        return rc;
    for (int m = 0; m < p->mice; m++) {
        mouse_name(mn, sizeof mn, m, p->mice);
        if (path_join(path, sizeof path, dir, mn))
            return ERR(e, SARC_ERR_ARG, "%s: path too long", dir);
        if ((rc = file_mkdirs(path, e)))
            return rc;
    }
    int *rcs = calloc((size_t)nscans, sizeof *rcs);
    struct sarc_err *errs = calloc((size_t)nscans, sizeof *errs);
    double *mm3 = calloc((size_t)nscans, sizeof *mm3);
    double *gain = calloc((size_t)nscans * PHANTOM_NCONTRAST, sizeof *gain);
    struct pool *own = NULL;
    if (!rcs || !errs || !mm3 || !gain) {
        rc = ERR(e, SARC_ERR_NOMEM, "phantom: out of memory");
        goto done;
    }
    /* memory: about 10 volumes of doubles per scan in flight; keep the total under ~8 GiB */
    const double per_scan = 10.0 * 8.0 * (double)p->dim[0] * (double)p->dim[1] * (double)p->dim[2];
    struct pool *pool = pool_default();
    int threads = pool_threads(pool);
    const int cap = (int)fmax(1.0, floor(8.0 * 1073741824.0 / per_scan));
    if (threads > cap) {
        own = pool_create(cap);
        pool = own; /* NULL: serial, same bytes */
    }
    struct progress prog;
    progress_begin(&prog, "phantom", nscans, "scans");
    struct cohort_job job = {p, dir, bruker, rcs, errs, mm3, gain, &prog};
    pool_for(pool, nscans, 1, cohort_chunk, &job);
    progress_end(&prog);
    for (int64_t i = 0; i < nscans; i++)
        if (rcs[i]) {
            rc = rcs[i];
            if (e)
                *e = errs[i];
            goto done;
        }
    rc = truth_write(p, dir, bruker, mm3, gain, e);
    if (!rc)
        rc = cohort_csv_write(p, dir, e);
    if (!rc) {
        struct audit_step *st = audit_step_begin("phantom_cohort");
        audit_param_int(st, "mice", p->mice);
        audit_param_int(st, "seed", (long long)p->seed);
        audit_param_num(st, "snr", p->snr);
        audit_param_num(st, "effect", p->effect);
        audit_param_num(st, "motion_mm", p->motion);
        audit_param_int(st, "bruker", bruker);
        audit_summary(st, "tumour_mm3", mm3, nscans);
        for (int k = 0; k < 2; k++) {
            if (path_join(path, sizeof path, dir, k ? "truth.json" : "cohort.csv") == 0)
                audit_output_file(st, k ? "truth" : "cohort", path);
        }
        audit_step_end(st);
    }
done:
    pool_free(own);
    free(rcs);
    free(errs);
    free(mm3);
    free(gain);
    return rc;
}

/* ---- previews --------------------------------------------------------------------------------- */

/* Renders axial slice k of img (window 0 .. 99.5th percentile of the slice) as RGB with the label
 * outline in red, anterior (+y) at the top. rgb: ny rows of nx * 3 bytes (=). */
static int slice_render(const struct volume *img, const struct volume *label, int64_t k, uint8_t *rgb)
{
    const int64_t nx = img->dim[0], ny = img->dim[1], plane = nx * ny;
    const double *im = img->data + plane * k, *lb = label->data + plane * k;
    /* 99.5th percentile by a histogram over the int16 range */
    int64_t *hist = calloc(32768, sizeof *hist);
    if (!hist)
        return -1;
    for (int64_t v = 0; v < plane; v++) {
        const double x = im[v] < 0 ? 0 : im[v] > 32767 ? 32767 : im[v];
        hist[(int)x]++;
    }
    int64_t acc = 0, want = (int64_t)ceil(0.995 * (double)plane);
    int hi = 32767;
    for (int b = 0; b < 32768; b++) {
        acc += hist[b];
        if (acc >= want) {
            hi = b;
            break;
        }
    }
    free(hist);
    if (hi < 1)
        hi = 1;
    for (int64_t j = 0; j < ny; j++)
        for (int64_t i = 0; i < nx; i++) {
            const int64_t v = i + nx * j;
            uint8_t *px = rgb + 3 * (i + nx * (ny - 1 - j));
            const double g = fmin(255.0, fmax(0.0, im[v] * 255.0 / hi));
            px[0] = px[1] = px[2] = (uint8_t)lrint(g);
            if (lb[v] > 0) {
                const int edge = i == 0 || j == 0 || i == nx - 1 || j == ny - 1 || lb[v - 1] <= 0 || lb[v + 1] <= 0 ||
                                 lb[v - nx] <= 0 || lb[v + nx] <= 0;
                if (edge)
                    px[0] = 255, px[1] = 40, px[2] = 40;
            }
        }
    return 0;
}

int phantom_preview_write(const struct phantom_params *p, int mouse, const char *dir, struct sarc_err *e)
{
    int rc = phantom_params_check(p, e);
    if (rc)
        return rc;
    if (mouse < 0 || mouse >= p->mice)
        return ERR(e, SARC_ERR_ARG, "preview mouse = %d, expected 0..%d", mouse, p->mice - 1);
    if ((rc = file_mkdirs(dir, e)))
        return rc;
    const int64_t nx = p->dim[0], ny = p->dim[1], nz = p->dim[2];
    const size_t tile = (size_t)(nx * ny * 3);
    uint8_t *full = malloc(6 * tile), *mont = NULL, *one = NULL;
    struct phantom_scan s;
    memset(&s, 0, sizeof s);
    char mn[16], name[64], path[4096];
    mouse_name(mn, sizeof mn, mouse, p->mice);
    if (!full) {
        rc = ERR(e, SARC_ERR_NOMEM, "preview: out of memory");
        goto done;
    }
    /* full-size tiles (tp, c), and the bounding box of the body on the shown slices */
    int64_t x0 = nx, x1 = -1, y0 = ny, y1 = -1;
    for (int tp = 0; tp < 2; tp++) {
        if ((rc = phantom_scan_generate(p, mouse, tp, &s, e)))
            goto done;
        /* the axial slice with the largest tumour area */
        int64_t best = nz / 2, best_n = -1;
        for (int64_t k = 0; k < nz; k++) {
            int64_t n = 0;
            for (int64_t v = 0; v < nx * ny; v++)
                n += s.label.data[nx * ny * k + v] > 0;
            if (n > best_n)
                best_n = n, best = k;
        }
        for (int c = 0; c < PHANTOM_NCONTRAST; c++)
            if (slice_render(&s.img[c], &s.label, best, full + (size_t)(tp * PHANTOM_NCONTRAST + c) * tile)) {
                rc = ERR(e, SARC_ERR_NOMEM, "preview: out of memory");
                goto done;
            }
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++)
                if (s.tissue.data[nx * ny * best + nx * j + i] != PHANTOM_AIR) {
                    const int64_t r = ny - 1 - j; /* row in the rendered tile */
                    x0 = i < x0 ? i : x0, x1 = i > x1 ? i : x1;
                    y0 = r < y0 ? r : y0, y1 = r > y1 ? r : y1;
                }
        phantom_scan_free(&s);
    }
    /* crop to the body with a margin, square-ish, then enlarge by an integer zoom */
    if (x1 < 0)
        x0 = 0, x1 = nx - 1, y0 = 0, y1 = ny - 1;
    const int64_t margin = (nx > ny ? nx : ny) / 20 + 2;
    x0 = x0 - margin < 0 ? 0 : x0 - margin, x1 = x1 + margin >= nx ? nx - 1 : x1 + margin;
    y0 = y0 - margin < 0 ? 0 : y0 - margin, y1 = y1 + margin >= ny ? ny - 1 : y1 + margin;
    const int64_t cw = x1 - x0 + 1, ch = y1 - y0 + 1, big = cw > ch ? cw : ch;
    const int64_t zoom = big >= 320 ? 1 : (320 + big - 1) / big > 4 ? 4 : (320 + big - 1) / big;
    const int64_t tw = cw * zoom, th = ch * zoom;
    one = malloc((size_t)(tw * th * 3));
    mont = malloc((size_t)(6 * tw * th * 3));
    if (!one || !mont) {
        rc = ERR(e, SARC_ERR_NOMEM, "preview: out of memory");
        goto done;
    }
    for (int tp = 0; tp < 2; tp++)
        for (int c = 0; c < PHANTOM_NCONTRAST; c++) {
            const uint8_t *src = full + (size_t)(tp * PHANTOM_NCONTRAST + c) * tile;
            for (int64_t r = 0; r < th; r++)
                for (int64_t q = 0; q < tw; q++) {
                    const uint8_t *px = src + 3 * ((y0 + r / zoom) * nx + x0 + q / zoom);
                    uint8_t *o = one + 3 * (r * tw + q), *m = mont + 3 * ((tp * th + r) * 3 * tw + c * tw + q);
                    o[0] = m[0] = px[0], o[1] = m[1] = px[1], o[2] = m[2] = px[2];
                }
            snprintf(name, sizeof name, "%s_%s_%s.png", mn, phantom_timepoint_names[tp], phantom_contrast_names[c]);
            if (path_join(path, sizeof path, dir, name)) {
                rc = ERR(e, SARC_ERR_ARG, "%s: path too long", dir);
                goto done;
            }
            if ((rc = png_write(path, one, (int)tw, (int)th, 3, e))) {
                err_prefix(e, "%s", path);
                goto done;
            }
        }
    if (path_join(path, sizeof path, dir, "montage.png")) {
        rc = ERR(e, SARC_ERR_ARG, "%s: path too long", dir);
        goto done;
    }
    if ((rc = png_write(path, mont, (int)(3 * tw), (int)(2 * th), 3, e)))
        err_prefix(e, "%s", path);
done:
    phantom_scan_free(&s);
    free(full);
    free(mont);
    free(one);
    return rc;
}
