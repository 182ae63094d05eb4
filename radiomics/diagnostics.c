/* diagnostics.c - PyRadiomics 3.0.1's additionalInfo diagnostics (generalinfo.py, and the order in
 * which featureextractor.execute/loadImage add them) for the Original image type, and SHA-1
 * (vendor/sha1.c) for the image / mask hashes.
 *
 * Facts (PyRadiomics 3.0.1 + SimpleITK 2.5, checked by test/oracles/radiomics_diag.py):
 * order: Versions, Configuration_Settings (str() of the settings dict), EnabledImageTypes,
 * Image-original, Mask-original, [Image-/Mask-interpolated when resampling], [Mask-corrected when
 * checkMask had to resample the mask onto the image grid: only without resampling and without
 * preCrop, where the correction is silent], [Mask-resegmented when resegmentRange is set].
 * Image-original Mean/Minimum/Maximum are over the whole image before normalisation; the
 * Mask-<x>_Mean/Minimum/Maximum of interpolated / corrected / resegmented are over the processed
 * (normalised, resampled) image. The image Hash is SHA-1 of the voxel array in its stored type
 * (z, y, x order, little-endian), the mask Hash SHA-1 of the mask cast to uint32; Spacing and Size
 * are x, y, z; BoundingBox is (x0, y0, z0, sizeX, sizeY, sizeZ) of the label; VolumeNum counts
 * 26-connected components; CenterOfMassIndex is the mean voxel index (x, y, z) and CenterOfMass
 * that point in SimpleITK's LPS coordinates. The corrected / resegmented masks live on the image
 * grid (the preCrop box with preCrop) or on the resampled grid.
 * sarc's own: Versions_sarc and Versions_FollowsPyRadiomics replace PyRadiomics' five Versions_*
 * entries; multi-contrast cases prefix the image part with the contrast name.
 * Covered by test/radiomics/test_diag.c. */
#include "radiomics/diagnostics.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "radiomics/extract.h"
#include "radiomics/prepare.h"
#include "radiomics/rresample.h"
#include "vendor/json.h"
#include "vendor/sha1.h"

/* ---- formatting ---- */

void rad_py_float(double v, char *buf, size_t size)
{
    if (isnan(v)) {
        snprintf(buf, size, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, size, v > 0 ? "inf" : "-inf");
        return;
    }
    num_shortest(buf, size, v);
    int p = 0, lead = 1; /* significant digits of the shortest form (%g drops trailing zeros) */
    for (const char *c = buf; *c && *c != 'e'; c++) {
        if (*c < '0' || *c > '9' || (lead && *c == '0'))
            continue;
        lead = 0;
        p++;
    }
    if (p == 0)
        p = 1; /* zero */
    /* Python: positional for 1e-4 <= |v| < 1e16, else exponent with at least 2 digits */
    const double av = fabs(v);
    if (av != 0 && (av < 1e-4 || av >= 1e16)) {
        char *ep = strchr(buf, 'e');
        if (!ep) {
            snprintf(buf, size, "%.*e", p - 1, v);
        }
        return;
    }
    if (strchr(buf, 'e')) { /* %g chose an exponent within Python's positional range */
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.*f", p, v);
        /* trim trailing zeros, keep one decimal */
        char *dot = strchr(tmp, '.');
        if (dot) {
            char *end = tmp + strlen(tmp) - 1;
            while (end > dot + 1 && *end == '0')
                *end-- = 0;
        }
        snprintf(buf, size, "%s", tmp);
        return;
    }
    if (!strchr(buf, '.') && strlen(buf) + 3 <= size)
        strcat(buf, ".0");
}

static int diag_add(struct rad_diag *d, const char *name, const char *value, struct sarc_err *e)
{
    if (d->n == d->cap) {
        const int nc = d->cap ? 2 * d->cap : 48;
        char **nn = realloc(d->names, (size_t)nc * sizeof *nn);
        if (!nn)
            return ERR(e, SARC_ERR_NOMEM, "out of memory");
        d->names = nn;
        char **nv = realloc(d->values, (size_t)nc * sizeof *nv);
        if (!nv)
            return ERR(e, SARC_ERR_NOMEM, "out of memory");
        d->values = nv;
        d->cap = nc;
    }
    char *a = malloc(strlen(name) + 1), *b = malloc(strlen(value) + 1);
    if (!a || !b) {
        free(a);
        free(b);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    strcpy(a, name);
    strcpy(b, value);
    d->names[d->n] = a;
    d->values[d->n] = b;
    d->n++;
    return 0;
}

void rad_diag_free(struct rad_diag *d)
{
    for (int i = 0; i < d->n; i++) {
        free(d->names[i]);
        free(d->values[i]);
    }
    free(d->names);
    free(d->values);
    memset(d, 0, sizeof *d);
}

static void fmt_f3(char *buf, size_t size, const double v[3])
{
    char a[40], b[40], c[40];
    rad_py_float(v[0], a, sizeof a);
    rad_py_float(v[1], b, sizeof b);
    rad_py_float(v[2], c, sizeof c);
    snprintf(buf, size, "(%s, %s, %s)", a, b, c);
}

static void fmt_i3(char *buf, size_t size, const int64_t v[3])
{
    snprintf(buf, size, "(%lld, %lld, %lld)", (long long)v[0], (long long)v[1], (long long)v[2]);
}

/* ---- mask statistics ---- */

struct mask_stats {
    int64_t lo[3], hi[3], count, ncomp;
    double com[3];               /* mean index x, y, z */
    double mean, min, max;       /* image values inside (when img given) */
};

/* Statistics of the voxels with m[t] != 0 on an n[0] x n[1] x n[2] grid; 26-connected components by
 * a breadth-first search. img (may be NULL): intensities for mean/min/max. */
static int mask_stats_compute(const uint8_t *m, const int64_t n[3], const double *img, struct mask_stats *ms,
                              struct sarc_err *e)
{
    memset(ms, 0, sizeof *ms);
    const int64_t N = n[0] * n[1] * n[2];
    double s[3] = {0, 0, 0}, sum = 0;
    ms->min = INFINITY;
    ms->max = -INFINITY;
    for (int a = 0; a < 3; a++) {
        ms->lo[a] = INT64_MAX;
        ms->hi[a] = -1;
    }
    for (int64_t k = 0, t = 0; k < n[2]; k++)
        for (int64_t j = 0; j < n[1]; j++)
            for (int64_t i = 0; i < n[0]; i++, t++) {
                if (!m[t])
                    continue;
                const int64_t ix[3] = {i, j, k};
                for (int a = 0; a < 3; a++) {
                    if (ix[a] < ms->lo[a])
                        ms->lo[a] = ix[a];
                    if (ix[a] > ms->hi[a])
                        ms->hi[a] = ix[a];
                    s[a] += (double)ix[a];
                }
                ms->count++;
                if (img) {
                    sum += img[t];
                    if (img[t] < ms->min)
                        ms->min = img[t];
                    if (img[t] > ms->max)
                        ms->max = img[t];
                }
            }
    if (ms->count == 0)
        return ERR(e, SARC_ERR_ARG, "diagnostics: empty mask");
    for (int a = 0; a < 3; a++)
        ms->com[a] = s[a] / (double)ms->count;
    ms->mean = sum / (double)ms->count;
    uint8_t *seen = calloc((size_t)N, 1);
    int64_t *queue = malloc((size_t)ms->count * sizeof *queue);
    if (!seen || !queue) {
        free(seen);
        free(queue);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    for (int64_t t0 = 0; t0 < N; t0++) {
        if (!m[t0] || seen[t0])
            continue;
        ms->ncomp++;
        int64_t qh = 0, qt = 0;
        queue[qt++] = t0;
        seen[t0] = 1;
        while (qh < qt) {
            const int64_t t = queue[qh++];
            const int64_t i = t % n[0], j = (t / n[0]) % n[1], k = t / (n[0] * n[1]);
            for (int dk = -1; dk <= 1; dk++)
                for (int dj = -1; dj <= 1; dj++)
                    for (int di = -1; di <= 1; di++) {
                        const int64_t a = i + di, b = j + dj, c = k + dk;
                        if (a < 0 || b < 0 || c < 0 || a >= n[0] || b >= n[1] || c >= n[2])
                            continue;
                        const int64_t u = a + n[0] * (b + n[1] * c);
                        if (m[u] && !seen[u]) {
                            seen[u] = 1;
                            queue[qt++] = u;
                        }
                    }
        }
    }
    free(seen);
    free(queue);
    return 0;
}

/* Physical point (SimpleITK's LPS) of continuous index c through the RAS affine. */
static void index_to_lps(const double affine[4][4], const double c[3], double out[3])
{
    for (int r = 0; r < 3; r++)
        out[r] = affine[r][0] * c[0] + affine[r][1] * c[1] + affine[r][2] * c[2] + affine[r][3];
    out[0] = -out[0];
    out[1] = -out[1];
}

/* Where a mask's statistics are reported: indices are shifted by shift (grid index -> reported
 * index) on a grid of size voxels with spacing sp; the physical point of reported continuous
 * index r is affine * (origin + step * r) (origin / step: the reported grid in the index space of
 * the volume that owns affine). */
struct diag_frame {
    int64_t shift[3], size[3];
    double sp[3], origin[3], step[3];
    const double (*affine)[4];
};

/* Adds the <name>_* entries (Spacing, Size, BoundingBox, VoxelNum, VolumeNum, CenterOfMassIndex,
 * CenterOfMass, and with_values: Mean, Minimum, Maximum) of ms in frame f. */
static int add_mask(struct rad_diag *d, const char *name, const struct mask_stats *ms, const struct diag_frame *f,
                    int with_values, struct sarc_err *e)
{
    char key[192], v[256];
    int rc = 0;
#define ADD(suffix)                                                                                         \
    do {                                                                                                    \
        snprintf(key, sizeof key, "%s_%s", name, suffix);                                                   \
        if ((rc = diag_add(d, key, v, e)))                                                                  \
            return rc;                                                                                      \
    } while (0)
    fmt_f3(v, sizeof v, f->sp);
    ADD("Spacing");
    fmt_i3(v, sizeof v, f->size);
    ADD("Size");
    snprintf(v, sizeof v, "(%lld, %lld, %lld, %lld, %lld, %lld)", (long long)(ms->lo[0] + f->shift[0]),
             (long long)(ms->lo[1] + f->shift[1]), (long long)(ms->lo[2] + f->shift[2]),
             (long long)(ms->hi[0] - ms->lo[0] + 1), (long long)(ms->hi[1] - ms->lo[1] + 1),
             (long long)(ms->hi[2] - ms->lo[2] + 1));
    ADD("BoundingBox");
    snprintf(v, sizeof v, "%lld", (long long)ms->count);
    ADD("VoxelNum");
    snprintf(v, sizeof v, "%lld", (long long)ms->ncomp);
    ADD("VolumeNum");
    double r[3], c[3], p[3];
    for (int a = 0; a < 3; a++) {
        r[a] = ms->com[a] + (double)f->shift[a];
        c[a] = f->origin[a] + f->step[a] * r[a];
    }
    fmt_f3(v, sizeof v, r);
    ADD("CenterOfMassIndex");
    index_to_lps(f->affine, c, p);
    fmt_f3(v, sizeof v, p);
    ADD("CenterOfMass");
    if (with_values) {
        rad_py_float(ms->mean, v, sizeof v);
        ADD("Mean");
        rad_py_float(ms->min, v, sizeof v);
        ADD("Minimum");
        rad_py_float(ms->max, v, sizeof v);
        ADD("Maximum");
    }
#undef ADD
    return 0;
}

/* The little-endian bytes of value x stored as type t (as_u32: the uint32 cast of a mask) into
 * out; 0, or -1 when x does not fit t exactly (the hash is then "n/a"). Returns the width. */
static int value_bytes(double x, enum vtype t, uint8_t out[8])
{
    static const int width[] = {0, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8};
    if ((int)t <= 0 || (int)t > 10)
        return -1;
    uint64_t u = 0;
    if (t == VT_F32) {
        const float f = (float)x;
        uint32_t q;
        memcpy(&q, &f, 4);
        u = q;
    } else if (t == VT_F64) {
        memcpy(&u, &x, 8);
    } else {
        double lo = 0, hi = 0;
        switch (t) {
        case VT_U8: hi = 255; break;
        case VT_I8: lo = -128; hi = 127; break;
        case VT_U16: hi = 65535; break;
        case VT_I16: lo = -32768; hi = 32767; break;
        case VT_U32: hi = 4294967295.0; break;
        case VT_I32: lo = -2147483648.0; hi = 2147483647.0; break;
        case VT_U64: hi = 1.8446744073709552e19; break;
        default: lo = -9.2233720368547758e18; hi = 9.2233720368547758e18; break;
        }
        if (!(x >= lo && x <= hi) || x != floor(x))
            return -1;
        if (x < 0)
            u = (uint64_t)(int64_t)x;
        else
            u = x >= 9.2233720368547758e18 ? (uint64_t)(x - 9.2233720368547758e18) + ((uint64_t)1 << 63) : (uint64_t)x;
    }
    const int w = width[t];
    for (int k = 0; k < w; k++)
        out[k] = (uint8_t)(u >> (8 * k));
    return w;
}

/* Adds name = SHA-1 of the N voxels of v in its stored type (as_u32: cast to uint32 as
 * PyRadiomics' getMask does), streamed; "n/a" when the values are scaled or do not fit the type. */
static int add_hash(struct rad_diag *d, const char *name, const struct volume *v, int64_t N, int as_u32,
                    struct sarc_err *e)
{
    char hex[41] = "n/a";
    const enum vtype t = as_u32 ? VT_U32 : v->type;
    const int scaled = !as_u32 && v->scl_slope != 0 && !(v->scl_slope == 1 && v->scl_inter == 0);
    if (!scaled) {
        struct sha1 h;
        uint8_t buf[4096];
        size_t fill = 0;
        int ok = 1;
        sha1_init(&h);
        for (int64_t i = 0; i < N && ok; i++) {
            double x = v->data[i];
            if (as_u32 && x >= 0 && x < 4294967296.0)
                x = floor(x); /* the uint32 cast truncates */
            const int w = value_bytes(x, t, buf + fill);
            if (w < 0) {
                ok = 0;
                break;
            }
            fill += (size_t)w;
            if (fill > sizeof buf - 8) {
                sha1_update(&h, buf, fill);
                fill = 0;
            }
        }
        if (ok) {
            uint8_t dg[20];
            sha1_update(&h, buf, fill);
            sha1_final(&h, dg);
            sha1_to_hex(dg, hex);
        }
    }
    return diag_add(d, name, hex, e);
}

/* A number as Python prints the value PyRadiomics holds: integral values as ints (YAML / keyword
 * integers), others as Python floats. */
static void py_num(double v, char *buf, size_t size)
{
    if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, size, "%lld", (long long)v);
    else
        rad_py_float(v, buf, size);
}

/* Appends ", 'name': value" (or without the comma at the start) to buf. */
static void dict_put(char *buf, size_t size, const char *name, const char *value)
{
    const size_t l = strlen(buf);
    if (l + 1 < size)
        snprintf(buf + l, size - l, "%s'%s': %s", l > 1 ? ", " : "", name, value);
}

/* The settings as PyRadiomics' str(dict) of RadiomicsFeatureExtractor.settings: its 15 defaults
 * in its order, then the class settings that differ from PyRadiomics' defaults in a fixed order
 * (PyRadiomics lists those in the order they were given; sarc does not keep that order, nor
 * whether an integer was written as 25 or 25.0), then 'ibsi': True with --ibsi. */
static void settings_dict(const struct rad_settings *s, char *buf, size_t size)
{
    static const char *const interp[] = {"None", "'sitkNearestNeighbor'", "'sitkLinear'", "'sitkBSpline'"};
    static const char *const weight[] = {"None", "'infinity'", "'euclidean'", "'manhattan'", "'no_weighting'", "'other'"};
    static const char *const rmode[] = {"'absolute'", "'relative'", "'sigma'"};
    char v[160], a[40], b[40], c[40];
    snprintf(buf, size, "{");
    snprintf(v, sizeof v, "%d", s->min_roi_dims);
    dict_put(buf, size, "minimumROIDimensions", v);
    if (s->min_roi_size > 0)
        snprintf(v, sizeof v, "%lld", (long long)s->min_roi_size);
    else
        snprintf(v, sizeof v, "None");
    dict_put(buf, size, "minimumROISize", v);
    dict_put(buf, size, "normalize", s->normalize ? "True" : "False");
    py_num(s->normalize_scale, v, sizeof v);
    dict_put(buf, size, "normalizeScale", v);
    if (isnan(s->remove_outliers))
        snprintf(v, sizeof v, "None");
    else
        py_num(s->remove_outliers, v, sizeof v);
    dict_put(buf, size, "removeOutliers", v);
    if (s->resample) {
        py_num(s->resampled_spacing[0], a, sizeof a);
        py_num(s->resampled_spacing[1], b, sizeof b);
        py_num(s->resampled_spacing[2], c, sizeof c);
        snprintf(v, sizeof v, "[%s, %s, %s]", a, b, c);
    } else {
        snprintf(v, sizeof v, "None");
    }
    dict_put(buf, size, "resampledPixelSpacing", v);
    dict_put(buf, size, "interpolator", interp[s->interpolator >= 0 && s->interpolator <= 3 ? s->interpolator : 0]);
    dict_put(buf, size, "preCrop", s->pre_crop ? "True" : "False");
    py_num(s->pad_distance, v, sizeof v);
    dict_put(buf, size, "padDistance", v);
    snprintf(v, sizeof v, "[");
    for (int i = 0; i < s->ndist && i < RAD_MAX_DIST; i++) {
        const size_t l = strlen(v);
        snprintf(v + l, sizeof v - l, "%s%d", i ? ", " : "", s->distances[i]);
    }
    strcat(v, "]");
    dict_put(buf, size, "distances", v);
    dict_put(buf, size, "force2D", s->force2d ? "True" : "False");
    snprintf(v, sizeof v, "%d", s->force2d_dim);
    dict_put(buf, size, "force2Ddimension", v);
    if (s->nreseg > 0) {
        py_num(s->reseg_range[0], a, sizeof a);
        if (s->nreseg > 1) {
            py_num(s->reseg_range[1], b, sizeof b);
            snprintf(v, sizeof v, "[%s, %s]", a, b);
        } else {
            snprintf(v, sizeof v, "[%s]", a);
        }
    } else {
        snprintf(v, sizeof v, "None");
    }
    dict_put(buf, size, "resegmentRange", v);
    snprintf(v, sizeof v, "%d", s->label);
    dict_put(buf, size, "label", v);
    dict_put(buf, size, "additionalInfo", "True");
    /* feature-class and other settings: present only when they differ from PyRadiomics' default */
    if (s->bin_count > 0) {
        snprintf(v, sizeof v, "%d", s->bin_count);
        dict_put(buf, size, "binCount", v);
    } else if (s->bin_width != 25) {
        py_num(s->bin_width, v, sizeof v);
        dict_put(buf, size, "binWidth", v);
    }
    if (s->voxel_array_shift != 0) {
        py_num(s->voxel_array_shift, v, sizeof v);
        dict_put(buf, size, "voxelArrayShift", v);
    }
    if (!s->symmetrical_glcm)
        dict_put(buf, size, "symmetricalGLCM", "False");
    if (s->weighting != RW_NONE)
        dict_put(buf, size, "weightingNorm", weight[s->weighting >= 0 && s->weighting <= 5 ? s->weighting : 0]);
    if (s->gldm_a != 0) {
        py_num(s->gldm_a, v, sizeof v);
        dict_put(buf, size, "gldm_a", v);
    }
    if (s->reseg_mode != RR_ABSOLUTE)
        dict_put(buf, size, "resegmentMode", rmode[s->reseg_mode >= 0 && s->reseg_mode <= 2 ? s->reseg_mode : 0]);
    if (s->reseg_shape)
        dict_put(buf, size, "resegmentShape", "True");
    if (s->correct_mask)
        dict_put(buf, size, "correctMask", "True");
    if (!isnan(s->geometry_tolerance)) {
        py_num(s->geometry_tolerance, v, sizeof v);
        dict_put(buf, size, "geometryTolerance", v);
    }
    if (s->ibsi)
        dict_put(buf, size, "ibsi", "True");
    const size_t l = strlen(buf);
    if (l + 1 < size)
        strcat(buf, "}");
}

/* "diagnostics_" [contrast "_"] rest into key. */
static void diag_key(char *key, size_t size, const char *contrast, const char *rest)
{
    if (contrast)
        snprintf(key, size, "diagnostics_%s_%s", contrast, rest);
    else
        snprintf(key, size, "diagnostics_%s", rest);
}

/* Image-<what>_Mean/Minimum/Maximum over n values. */
static int add_image_stats(struct rad_diag *d, const char *contrast, const char *what, const double *x, int64_t n,
                           struct sarc_err *e)
{
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    for (int64_t t = 0; t < n; t++) {
        sum += x[t];
        if (x[t] < lo)
            lo = x[t];
        if (x[t] > hi)
            hi = x[t];
    }
    static const char *const suffix[3] = {"Mean", "Minimum", "Maximum"};
    const double val[3] = {sum / (double)n, lo, hi};
    for (int q = 0; q < 3; q++) {
        char rest[96], key[192], v[48];
        snprintf(rest, sizeof rest, "Image-%s_%s", what, suffix[q]);
        diag_key(key, sizeof key, contrast, rest);
        rad_py_float(val[q], v, sizeof v);
        int rc = diag_add(d, key, v, e);
        if (rc)
            return rc;
    }
    return 0;
}

/* The label ROI of mask on the image's grid (the mask corrected onto it when the grids differ),
 * n = image dims; owned by the caller. */
static int roi_on_image_grid(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                             uint8_t **out, struct sarc_err *e)
{
    struct volume corr = {0};
    const struct volume *m = mask;
    int rc = 0;
    if (!rad_geometry_matches(image, mask, s)) {
        if ((rc = rresample_mask_to_grid(mask, image, s->label, &corr, e)))
            return rc;
        m = &corr;
    }
    const int64_t N = volume_frame_count(image);
    uint8_t *r = malloc((size_t)N);
    if (!r) {
        volume_free(&corr);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    const double lab = (double)s->label;
    for (int64_t t = 0; t < N; t++)
        r[t] = m->data[t] >= lab && m->data[t] < lab + 1;
    volume_free(&corr);
    *out = r;
    return 0;
}

int rad_diagnostics_add(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                        const char *version, const char *contrast, int parts, struct rad_diag *out, struct sarc_err *e)
{
    int rc = 0;
    uint8_t *lab = NULL, *roi0 = NULL;
    struct rad_prepared pp = {0};
    char v[4096], key[192];
    struct audit_step *step = audit_step_begin("radiomics_diagnostics");
    audit_param_str(step, "contrast", contrast ? contrast : "");
    audit_param_int(step, "parts", parts);
    audit_input_volume(step, "image", image);
    audit_input_volume(step, "mask", mask);
    const int64_t n[3] = {image->dim[0], image->dim[1], image->dim[2]};
    const int64_t mn[3] = {mask->dim[0], mask->dim[1], mask->dim[2]};
    int64_t N = 0, MN = 0;
    for (int a = 0; a < 3; a++)
        if (n[a] < 1 || n[a] > (1 << 24) || mn[a] < 1 || mn[a] > (1 << 24)) {
            rc = ERR(e, SARC_ERR_RANGE, "diagnostics: bad dimensions");
            goto done;
        }
    if (!image->data || !mask->data) {
        rc = ERR(e, SARC_ERR_ARG, "diagnostics: image or mask has no data");
        goto done;
    }
    N = volume_frame_count(image);
    MN = volume_frame_count(mask);
#define PUT(rest_)                                                   \
    do {                                                             \
        diag_key(key, sizeof key, contrast, rest_);                  \
        if ((rc = diag_add(out, key, v, e)))                         \
            goto done;                                               \
    } while (0)
    if (parts & RAD_DIAG_HEADER) {
        /* PyRadiomics writes Versions_PyRadiomics/Numpy/SimpleITK/PyWavelet/Python; sarc writes
         * its own version and the PyRadiomics release whose conventions it follows */
        snprintf(v, sizeof v, "%s", version ? version : "n/a");
        PUT("Versions_sarc");
        snprintf(v, sizeof v, "%s", RAD_DIAG_PYRADIOMICS_VERSION);
        PUT("Versions_FollowsPyRadiomics");
        settings_dict(s, v, sizeof v);
        PUT("Configuration_Settings");
        snprintf(v, sizeof v, "{'Original': {}}");
        PUT("Configuration_EnabledImageTypes");
    }
    if (parts & RAD_DIAG_IMAGE) {
        diag_key(key, sizeof key, contrast, "Image-original_Hash");
        if ((rc = add_hash(out, key, image, N, 0, e)))
            goto done;
        snprintf(v, sizeof v, "3D");
        PUT("Image-original_Dimensionality");
        fmt_f3(v, sizeof v, image->spacing);
        PUT("Image-original_Spacing");
        fmt_i3(v, sizeof v, n);
        PUT("Image-original_Size");
        if ((rc = add_image_stats(out, contrast, "original", image->data, N, e)))
            goto done;
    }
    if (parts & RAD_DIAG_MASK) {
        /* Mask-original: the mask alone (PyRadiomics adds no image values here) */
        diag_key(key, sizeof key, parts & RAD_DIAG_IMAGE ? contrast : NULL, "Mask-original_Hash");
        if ((rc = add_hash(out, key, mask, MN, 1, e)))
            goto done;
        lab = malloc((size_t)MN);
        if (!lab) {
            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
            goto done;
        }
        const double lv = (double)s->label;
        for (int64_t t = 0; t < MN; t++)
            lab[t] = mask->data[t] >= lv && mask->data[t] < lv + 1;
        struct mask_stats ms;
        if ((rc = mask_stats_compute(lab, mn, NULL, &ms, e)))
            goto done;
        struct diag_frame f = {{0, 0, 0}, {mn[0], mn[1], mn[2]}, {mask->spacing[0], mask->spacing[1], mask->spacing[2]},
                               {0, 0, 0}, {1, 1, 1}, mask->affine};
        diag_key(key, sizeof key, parts & RAD_DIAG_IMAGE ? contrast : NULL, "Mask-original");
        if ((rc = add_mask(out, key, &ms, &f, 0, e)))
            goto done;
        audit_value(step, "mask_voxels", (double)ms.count);
        audit_value(step, "mask_components", (double)ms.ncomp);
    }
    if (!(parts & RAD_DIAG_IMAGE))
        goto done;
    /* the processed image and masks, exactly as rad_extract sees them */
    if ((rc = rad_prepare(image, mask, s, 0, step, &pp, e)))
        goto done;
    struct diag_frame f;
    memset(&f, 0, sizeof f);
    f.affine = image->affine;
    if (pp.resampled) {
        /* Image-/Mask-interpolated: the resampled (cropped) grid; its voxel m lies at continuous
         * index g.origin + g.step * m of the image */
        struct rresample_grid g;
        int mgrid = 0;
        if (!rad_geometry_matches(image, mask, s) && !s->ibsi) {
            /* PyRadiomics resampled image and mask onto a grid built from the mask */
            if ((rc = rad_mask_grid_roi(image, mask, s, &roi0, &mgrid, e)))
                goto done;
            if (!mgrid) {
                free(roi0);
                roi0 = NULL;
            }
        }
        if (mgrid) {
            if ((rc = rresample_grid_compute_mask(roi0, mn, mask->spacing, s, &g, e)))
                goto done;
            f.affine = mask->affine;
        } else {
            if ((rc = roi_on_image_grid(image, mask, s, &roi0, e)))
                goto done;
            if ((rc = rresample_grid_compute(roi0, n, image->spacing, s, &g, e)))
                goto done;
        }
        for (int a = 0; a < 3; a++) {
            f.size[a] = pp.n[a];
            f.sp[a] = pp.sp[a];
            f.origin[a] = g.origin[a];
            f.step[a] = g.step[a];
        }
        fmt_f3(v, sizeof v, pp.sp);
        PUT("Image-interpolated_Spacing");
        fmt_i3(v, sizeof v, pp.n);
        PUT("Image-interpolated_Size");
        if ((rc = add_image_stats(out, contrast, "interpolated", pp.img, pp.n[0] * pp.n[1] * pp.n[2], e)))
            goto done;
        struct mask_stats mi;
        if ((rc = mask_stats_compute(pp.roi, pp.n, pp.img, &mi, e)))
            goto done;
        diag_key(key, sizeof key, contrast, "Mask-interpolated");
        if ((rc = add_mask(out, key, &mi, &f, 1, e)))
            goto done;
    } else {
        /* the image's grid, or with preCrop PyRadiomics' crop to the ROI box +- padDistance;
         * pp's arrays cover the box at pp.off */
        int64_t blo[3], bhi[3];
        struct mask_stats mb;
        if ((rc = mask_stats_compute(pp.roi, pp.n, NULL, &mb, e)))
            goto done;
        for (int a = 0; a < 3; a++) {
            blo[a] = 0;
            bhi[a] = n[a] - 1;
            if (s->pre_crop) {
                const int64_t pad = (int64_t)s->pad_distance;
                blo[a] = mb.lo[a] + pp.off[a] - pad;
                bhi[a] = mb.hi[a] + pp.off[a] + pad;
                if (blo[a] < 0)
                    blo[a] = 0;
                if (bhi[a] > n[a] - 1)
                    bhi[a] = n[a] - 1;
            }
            f.shift[a] = pp.off[a] - blo[a];
            f.size[a] = bhi[a] - blo[a] + 1;
            f.sp[a] = image->spacing[a];
            f.origin[a] = (double)blo[a];
            f.step[a] = 1;
        }
        /* Mask-corrected: correctMask resampled the mask onto the image grid (PyRadiomics adds
         * it in execute(); with preCrop the correction happens silently in loadImage) */
        if (!s->pre_crop && !rad_geometry_matches(image, mask, s)) {
            struct mask_stats mc;
            if ((rc = mask_stats_compute(pp.roi, pp.n, pp.img, &mc, e)))
                goto done;
            diag_key(key, sizeof key, contrast, "Mask-corrected");
            if ((rc = add_mask(out, key, &mc, &f, 1, e)))
                goto done;
        }
    }
    if (pp.reseg) {
        struct mask_stats mr;
        if ((rc = mask_stats_compute(pp.reseg, pp.n, pp.img, &mr, e)))
            goto done;
        diag_key(key, sizeof key, contrast, "Mask-resegmented");
        if ((rc = add_mask(out, key, &mr, &f, 1, e)))
            goto done;
    }
#undef PUT
done:
    if (rc)
        audit_note(step, e ? e->msg : "failed");
    audit_step_end(step);
    rad_prepared_free(&pp);
    free(lab);
    free(roi0);
    return rc;
}

int rad_diagnostics(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                    const char *version, struct rad_diag *out, struct sarc_err *e)
{
    memset(out, 0, sizeof *out);
    int rc = rad_diagnostics_add(image, mask, s, version, NULL, RAD_DIAG_ALL, out, e);
    if (rc)
        rad_diag_free(out);
    return rc;
}
