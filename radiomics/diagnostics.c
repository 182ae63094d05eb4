/* diagnostics.c - PyRadiomics 3.0.1's additionalInfo diagnostics (generalinfo.py) for the
 * Original image type, and SHA-1 (FIPS 180-4) for the image / mask hashes.
 *
 * Facts (PyRadiomics 3.0.1 + SimpleITK, checked by test/oracles/radiomics_diag.py):
 * Image-original Mean/Minimum/Maximum are over the whole image before normalisation; the image
 * Hash is SHA-1 of the voxel array in its stored type (z, y, x order, little-endian), the mask
 * Hash SHA-1 of the mask cast to uint32; Spacing and Size are x, y, z; BoundingBox is (x0, y0, z0,
 * sizeX, sizeY, sizeZ) of the label; VolumeNum counts 26-connected components; CenterOfMassIndex
 * is the mean voxel index (x, y, z) and CenterOfMass that point in SimpleITK's LPS coordinates.
 * The -interpolated entries describe the resampled, cropped grid of rad_prepare.
 * Covered by test/radiomics/test_diag.c. */
#include "radiomics/diagnostics.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "radiomics/prepare.h"
#include "vendor/json.h"

/* ---- SHA-1 ---- */

static uint32_t rol32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[80];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 | (uint32_t)p[4 * t + 2] << 8 | p[4 * t + 3];
    for (int t = 16; t < 80; t++)
        w[t] = rol32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], x = h[4];
    for (int t = 0; t < 80; t++) {
        uint32_t f, k;
        if (t < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999u;
        } else if (t < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        const uint32_t tmp = rol32(a, 5) + f + x + k + w[t];
        x = d;
        d = c;
        c = rol32(b, 30);
        b = a;
        a = tmp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += x;
}

void rad_sha1_hex(const void *data, size_t len, char hex[41])
{
    uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    const uint8_t *p = data;
    size_t left = len;
    while (left >= 64) {
        sha1_block(h, p);
        p += 64;
        left -= 64;
    }
    uint8_t last[128] = {0};
    if (left)
        memcpy(last, p, left);
    last[left] = 0x80;
    const size_t nb = left + 9 <= 64 ? 64 : 128;
    const uint64_t bits = (uint64_t)len * 8u;
    for (int i = 0; i < 8; i++)
        last[nb - 1 - (size_t)i] = (uint8_t)(bits >> (8 * i));
    sha1_block(h, last);
    if (nb == 128)
        sha1_block(h, last + 64);
    for (int i = 0; i < 5; i++)
        snprintf(hex + 8 * i, 9, "%08x", (unsigned)h[i]);
}

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

/* Adds the Mask-<prefix>_* entries of ms. */
static int add_mask(struct rad_diag *d, const char *prefix, const struct mask_stats *ms, const double sp[3],
                    const int64_t n[3], const double affine[4][4], const double idx_off[3], const double idx_scale[3],
                    int with_values, struct sarc_err *e)
{
    char name[96], v[256];
    int rc = 0;
#define ADD(suffix)                                                                                         \
    do {                                                                                                    \
        snprintf(name, sizeof name, "diagnostics_Mask-%s_%s", prefix, suffix);                              \
        if ((rc = diag_add(d, name, v, e)))                                                                 \
            return rc;                                                                                      \
    } while (0)
    fmt_f3(v, sizeof v, sp);
    ADD("Spacing");
    fmt_i3(v, sizeof v, n);
    ADD("Size");
    snprintf(v, sizeof v, "(%lld, %lld, %lld, %lld, %lld, %lld)", (long long)ms->lo[0], (long long)ms->lo[1],
             (long long)ms->lo[2], (long long)(ms->hi[0] - ms->lo[0] + 1), (long long)(ms->hi[1] - ms->lo[1] + 1),
             (long long)(ms->hi[2] - ms->lo[2] + 1));
    ADD("BoundingBox");
    snprintf(v, sizeof v, "%lld", (long long)ms->count);
    ADD("VoxelNum");
    snprintf(v, sizeof v, "%lld", (long long)ms->ncomp);
    ADD("VolumeNum");
    fmt_f3(v, sizeof v, ms->com);
    ADD("CenterOfMassIndex");
    double c[3], p[3];
    for (int a = 0; a < 3; a++)
        c[a] = idx_off[a] + ms->com[a] * idx_scale[a];
    index_to_lps(affine, c, p);
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

/* Bytes of the image in its stored type (little-endian), or 0 when the values are scaled or do not
 * fit that type (the hash is then "n/a"). */
static int image_bytes(const struct volume *v, int64_t N, int as_u32, uint8_t **out, size_t *len)
{
    enum vtype t = as_u32 ? VT_U32 : v->type;
    if (!as_u32 && v->scl_slope != 0 && !(v->scl_slope == 1 && v->scl_inter == 0))
        return 0;
    static const int width[] = {0, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8};
    if ((int)t <= 0 || (int)t > 10)
        return 0;
    const int w = width[t];
    uint8_t *b = malloc((size_t)N * (size_t)w);
    if (!b)
        return -1;
    for (int64_t i = 0; i < N; i++) {
        const double x = v->data[i];
        uint64_t u = 0;
        if (t == VT_F32) {
            float f = (float)x;
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
            if (!(x >= lo && x <= hi) || x != floor(x) || (as_u32 && x != floor(x))) {
                free(b);
                return 0;
            }
            if (x < 0)
                u = (uint64_t)(int64_t)x;
            else
                u = x >= 9.2233720368547758e18 ? (uint64_t)(x - 9.2233720368547758e18) + ((uint64_t)1 << 63) : (uint64_t)x;
        }
        for (int k = 0; k < w; k++)
            b[(size_t)i * (size_t)w + (size_t)k] = (uint8_t)(u >> (8 * k));
    }
    *out = b;
    *len = (size_t)N * (size_t)w;
    return 1;
}

static int add_hash(struct rad_diag *d, const char *name, const struct volume *v, int64_t N, int as_u32,
                    struct sarc_err *e)
{
    uint8_t *b = NULL;
    size_t len = 0;
    const int r = image_bytes(v, N, as_u32, &b, &len);
    if (r < 0)
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    char hex[41] = "n/a";
    if (r > 0)
        rad_sha1_hex(b, len, hex);
    free(b);
    return diag_add(d, name, hex, e);
}

/* The settings as a JSON object with PyRadiomics' names. */
static void settings_json(const struct rad_settings *s, char *buf, size_t size)
{
    static const char *const interp[] = {"null", "\"sitkNearestNeighbor\"", "\"sitkLinear\"", "\"sitkBSpline\""};
    static const char *const weight[] = {"null", "\"infinity\"", "\"euclidean\"", "\"manhattan\"", "\"no_weighting\"", "\"other\""};
    static const char *const rmode[] = {"\"absolute\"", "\"relative\"", "\"sigma\""};
    char f1[40], f2[40], f3[40], f4[40], dist[160] = "[", rs[128] = "null", rr[96] = "null", ro[40] = "null";
    for (int i = 0; i < s->ndist; i++) {
        char t[16];
        snprintf(t, sizeof t, "%s%d", i ? ", " : "", s->distances[i]);
        strcat(dist, t);
    }
    strcat(dist, "]");
    if (s->resample) {
        rad_py_float(s->resampled_spacing[0], f1, sizeof f1);
        rad_py_float(s->resampled_spacing[1], f2, sizeof f2);
        rad_py_float(s->resampled_spacing[2], f3, sizeof f3);
        snprintf(rs, sizeof rs, "[%s, %s, %s]", f1, f2, f3);
    }
    if (s->nreseg > 0) {
        rad_py_float(s->reseg_range[0], f1, sizeof f1);
        if (s->nreseg > 1) {
            rad_py_float(s->reseg_range[1], f2, sizeof f2);
            snprintf(rr, sizeof rr, "[%s, %s]", f1, f2);
        } else {
            snprintf(rr, sizeof rr, "[%s]", f1);
        }
    }
    if (!isnan(s->remove_outliers))
        rad_py_float(s->remove_outliers, ro, sizeof ro);
    rad_py_float(s->normalize_scale, f1, sizeof f1);
    rad_py_float(s->pad_distance, f2, sizeof f2);
    rad_py_float(s->voxel_array_shift, f3, sizeof f3);
    rad_py_float(s->gldm_a, f4, sizeof f4);
    char bin[64];
    if (s->bin_count > 0)
        snprintf(bin, sizeof bin, "\"binCount\": %d", s->bin_count);
    else {
        char bw[40];
        rad_py_float(s->bin_width, bw, sizeof bw);
        snprintf(bin, sizeof bin, "\"binWidth\": %s", bw);
    }
    char mrs[32] = "null";
    if (s->min_roi_size > 0)
        snprintf(mrs, sizeof mrs, "%lld", (long long)s->min_roi_size);
    const int ii = s->interpolator >= 0 && s->interpolator <= 3 ? s->interpolator : 0;
    const int wi = s->weighting >= 0 && s->weighting <= 5 ? s->weighting : 0;
    const int mi = s->reseg_mode >= 0 && s->reseg_mode <= 2 ? s->reseg_mode : 0;
    snprintf(buf, size,
             "{\"minimumROIDimensions\": %d, \"minimumROISize\": %s, \"normalize\": %s, \"normalizeScale\": %s, "
             "\"removeOutliers\": %s, \"resampledPixelSpacing\": %s, \"interpolator\": %s, \"preCrop\": %s, "
             "\"padDistance\": %s, \"distances\": %s, \"force2D\": %s, \"force2Ddimension\": %d, "
             "\"resegmentRange\": %s, \"resegmentMode\": %s, \"resegmentShape\": %s, \"label\": %d, "
             "\"additionalInfo\": true, %s, \"voxelArrayShift\": %s, \"symmetricalGLCM\": %s, \"weightingNorm\": %s, "
             "\"gldm_a\": %s, \"correctMask\": %s}",
             s->min_roi_dims, mrs, s->normalize ? "true" : "false", f1, ro, rs, interp[ii],
             s->pre_crop ? "true" : "false", f2, dist, s->force2d ? "true" : "false", s->force2d_dim, rr, rmode[mi],
             s->reseg_shape ? "true" : "false", s->label, bin, f3, s->symmetrical_glcm ? "true" : "false", weight[wi],
             f4, s->correct_mask ? "true" : "false");
}

int rad_diagnostics(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                    const char *version, struct rad_diag *out, struct sarc_err *e)
{
    memset(out, 0, sizeof *out);
    int rc = 0;
    uint8_t *lab = NULL;
    struct rad_prepared pp = {0};
    char v[2048];
    struct audit_step *step = audit_step_begin("radiomics_diagnostics");
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
#define PUT(name_)                                                   \
    do {                                                             \
        if ((rc = diag_add(out, name_, v, e)))                       \
            goto done;                                               \
    } while (0)
    snprintf(v, sizeof v, "%s", version ? version : "n/a");
    PUT("diagnostics_Versions_sarc");
    settings_json(s, v, sizeof v);
    PUT("diagnostics_Configuration_Settings");
    snprintf(v, sizeof v, "{\"Original\": {}}");
    PUT("diagnostics_Configuration_EnabledImageTypes");
    if ((rc = add_hash(out, "diagnostics_Image-original_Hash", image, N, 0, e)))
        goto done;
    snprintf(v, sizeof v, "3D");
    PUT("diagnostics_Image-original_Dimensionality");
    fmt_f3(v, sizeof v, image->spacing);
    PUT("diagnostics_Image-original_Spacing");
    fmt_i3(v, sizeof v, n);
    PUT("diagnostics_Image-original_Size");
    {
        double sum = 0, lo = INFINITY, hi = -INFINITY;
        for (int64_t t = 0; t < N; t++) {
            sum += image->data[t];
            if (image->data[t] < lo)
                lo = image->data[t];
            if (image->data[t] > hi)
                hi = image->data[t];
        }
        rad_py_float(sum / (double)N, v, sizeof v);
        PUT("diagnostics_Image-original_Mean");
        rad_py_float(lo, v, sizeof v);
        PUT("diagnostics_Image-original_Minimum");
        rad_py_float(hi, v, sizeof v);
        PUT("diagnostics_Image-original_Maximum");
    }
    if ((rc = add_hash(out, "diagnostics_Mask-original_Hash", mask, MN, 1, e)))
        goto done;
    lab = malloc((size_t)MN);
    if (!lab) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t t = 0; t < MN; t++)
        lab[t] = mask->data[t] == (double)s->label;
    struct mask_stats ms;
    if ((rc = mask_stats_compute(lab, mn, NULL, &ms, e)))
        goto done;
    const double zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
    if ((rc = add_mask(out, "original", &ms, mask->spacing, mn, mask->affine, zero, one, 0, e)))
        goto done;
    audit_value(step, "mask_voxels", (double)ms.count);
    audit_value(step, "mask_components", (double)ms.ncomp);
    if (s->resample) {
        rc = rad_prepare(image, mask, s, 0, step, &pp, e);
        if (rc)
            goto done;
        if (pp.resampled) {
            /* grid origin as rresample.c places it: continuous index of voxel 0 in the image grid */
            double off[3], scale[3];
            for (int a = 0; a < 3; a++) {
                const int64_t L = ms.lo[a];
                const double t = pp.sp[a], sp = image->spacing[a];
                const double r = sp / t;
                int64_t lo;
                if (fabs(sp - t) <= 1e-8 + 1e-5 * fabs(t))
                    lo = L - (int64_t)s->pad_distance;
                else
                    lo = (int64_t)floor(((double)L - 0.5) * r - s->pad_distance);
                if (lo < 0)
                    lo = 0;
                off[a] = 0.5 * (t - sp) / sp + (double)lo / r;
                scale[a] = t / sp;
            }
            fmt_f3(v, sizeof v, pp.sp);
            PUT("diagnostics_Image-interpolated_Spacing");
            fmt_i3(v, sizeof v, pp.n);
            PUT("diagnostics_Image-interpolated_Size");
            const int64_t PN = pp.n[0] * pp.n[1] * pp.n[2];
            double sum = 0, lo = INFINITY, hi = -INFINITY;
            for (int64_t t = 0; t < PN; t++) {
                sum += pp.img[t];
                if (pp.img[t] < lo)
                    lo = pp.img[t];
                if (pp.img[t] > hi)
                    hi = pp.img[t];
            }
            rad_py_float(sum / (double)PN, v, sizeof v);
            PUT("diagnostics_Image-interpolated_Mean");
            rad_py_float(lo, v, sizeof v);
            PUT("diagnostics_Image-interpolated_Minimum");
            rad_py_float(hi, v, sizeof v);
            PUT("diagnostics_Image-interpolated_Maximum");
            struct mask_stats mi;
            if ((rc = mask_stats_compute(pp.roi, pp.n, pp.img, &mi, e)))
                goto done;
            if ((rc = add_mask(out, "interpolated", &mi, pp.sp, pp.n, image->affine, off, scale, 1, e)))
                goto done;
        }
    }
#undef PUT
done:
    if (rc) {
        rad_diag_free(out);
        audit_note(step, e ? e->msg : "failed");
    }
    audit_step_end(step);
    rad_prepared_free(&pp);
    free(lab);
    return rc;
}
