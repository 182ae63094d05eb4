/* model.c - the .sarcnet model file, NumPy .npy export/import and model.json (see model.h).
 * Parsing goes through a bounds-checked cursor; every field is validated before use.
 * Covered by test/nn/test_model.c. */
#include "nn/model.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/file.h"
#include "vendor/json.h"
#include "vendor/sha256.h"

static const char *const contrast_names[3] = {"T1", "T1C", "T2"};

int contrasts_parse(const char *s, unsigned *bits, struct sarc_err *e)
{
    *bits = 0;
    if (!s || !*s)
        return ERR(e, SARC_ERR_ARG, "empty contrast list, expected a subset of T1,T1C,T2");
    const char *p = s;
    while (*p) {
        const char *q = strchr(p, ',');
        const size_t len = q ? (size_t)(q - p) : strlen(p);
        int found = -1;
        for (int k = 0; k < 3; k++)
            if (strlen(contrast_names[k]) == len && strncmp(p, contrast_names[k], len) == 0)
                found = k;
        if (found < 0)
            return *bits = 0, ERR(e, SARC_ERR_ARG, "contrast '%.*s' in '%s', expected T1, T1C or T2", (int)len, p, s);
        if (*bits & (1u << found))
            return *bits = 0, ERR(e, SARC_ERR_ARG, "contrast %s given twice in '%s'", contrast_names[found], s);
        *bits |= 1u << found;
        if (!q)
            break;
        p = q + 1;
        if (!*p)
            return *bits = 0, ERR(e, SARC_ERR_ARG, "trailing comma in contrast list '%s'", s);
    }
    return 0;
}

void contrasts_format(unsigned bits, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = 0;
    for (int k = 0; k < 3; k++)
        if (bits & (1u << k))
            n += (size_t)snprintf(buf + (n < size ? n : size), n < size ? size - n : 0, "%s%s", n ? "," : "", contrast_names[k]);
}

int contrasts_count(unsigned bits)
{
    return (int)((bits & 1) + ((bits >> 1) & 1) + ((bits >> 2) & 1));
}

const char *contrasts_name(unsigned bits, int k)
{
    for (int c = 0; c < 3; c++)
        if (bits & (1u << c)) {
            if (k == 0)
                return contrast_names[c];
            k--;
        }
    return NULL;
}

const char *loss_name(int loss)
{
    return loss == LOSS_DICE ? "dice" : loss == LOSS_SOFTDICE ? "softdice" : "bce";
}

int model_init(struct seg_model *m, const struct unet_arch *a, unsigned contrasts, uint64_t seed,
               struct sarc_err *e)
{
    memset(m, 0, sizeof *m);
    if (contrasts == 0 || contrasts > 7)
        return ERR(e, SARC_ERR_ARG, "contrast set %u, expected a non-empty subset of T1,T1C,T2", contrasts);
    if (contrasts_count(contrasts) != a->cin)
        return ERR(e, SARC_ERR_ARG, "%d input channels for %d contrasts", a->cin, contrasts_count(contrasts));
    int rc = unet_params_alloc(&m->params, a, e);
    if (rc)
        return rc;
    unet_params_init(&m->params, seed);
    m->contrasts = contrasts;
    m->normalisation = 1;
    m->threshold = 0.5;
    m->seed = seed;
    m->oversample = 1.0;
    m->loss = LOSS_BCE;
    m->best_val = NAN;
    return 0;
}

void model_free(struct seg_model *m)
{
    unet_params_free(&m->params);
    memset(m, 0, sizeof *m);
}

/* ---- little-endian writer and cursor ---- */

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put_f32(uint8_t *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(p, v);
}
static void put_f64(uint8_t *p, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    put_u64(p, v);
}
static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const uint8_t *p) { return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }
static float get_f32(const uint8_t *p)
{
    const uint32_t v = get_u32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}
static double get_f64(const uint8_t *p)
{
    const uint64_t v = get_u64(p);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

#define HDR_FIXED 124
#define INFO_MAX 4095

void model_weights_sha256(const struct seg_model *m, char hex[65])
{
    struct sha256 s;
    sha256_init(&s);
    uint8_t b[4];
    for (int64_t i = 0; i < m->params.n; i++) {
        put_f32(b, m->params.data[i]);
        sha256_update(&s, b, 4);
    }
    uint8_t d[32];
    sha256_final(&s, d);
    sha256_to_hex(d, hex);
}

int model_serialise(const struct seg_model *m, uint8_t **out, size_t *outlen, struct sarc_err *e)
{
    *out = NULL;
    *outlen = 0;
    const struct unet_arch *a = &m->params.arch;
    const size_t L = strnlen(m->info, INFO_MAX);
    const size_t n = (size_t)m->params.n;
    const size_t len = HDR_FIXED + L + 8 + 4 * n + 32;
    uint8_t *b = calloc(1, len);
    if (!b)
        return ERR(e, SARC_ERR_NOMEM, "model file: %zu bytes", len);
    memcpy(b, "SARCNET1", 8);
    put_u32(b + 8, 1);
    put_u32(b + 12, (uint32_t)a->cin);
    for (int i = 0; i < 3; i++)
        put_u32(b + 16 + 4 * i, (uint32_t)a->f[i]);
    put_u32(b + 28, (uint32_t)a->skip);
    for (int i = 0; i < 3; i++)
        put_u32(b + 32 + 4 * i, (uint32_t)a->patch[i]);
    put_f32(b + 44, a->dropout);
    put_u32(b + 48, m->contrasts);
    put_u32(b + 52, (uint32_t)m->normalisation);
    put_f64(b + 56, m->threshold);
    put_u64(b + 64, m->seed);
    put_f64(b + 72, m->oversample);
    put_u32(b + 80, (uint32_t)m->loss);
    put_u32(b + 84, (uint32_t)m->epochs);
    put_f64(b + 88, m->best_val);
    for (int i = 0; i < 3; i++)
        put_f64(b + 96 + 8 * i, m->spacing[i]);
    put_u32(b + 120, (uint32_t)L);
    memcpy(b + HDR_FIXED, m->info, L);
    uint8_t *p = b + HDR_FIXED + L;
    put_u64(p, (uint64_t)n);
    p += 8;
    for (size_t i = 0; i < n; i++)
        put_f32(p + 4 * i, m->params.data[i]);
    uint8_t d[32];
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, p, 4 * n);
    sha256_final(&s, d);
    memcpy(p + 4 * n, d, 32);
    *out = b;
    *outlen = len;
    return 0;
}

int model_parse(struct seg_model *m, const uint8_t *b, size_t len, struct sarc_err *e)
{
    memset(m, 0, sizeof *m);
    if (len < HDR_FIXED || memcmp(b, "SARCNET1", 8) != 0)
        return ERR(e, SARC_ERR_FORMAT, "not a sarc model file (magic \"SARCNET1\" missing or file shorter than %d bytes)", HDR_FIXED);
    const uint32_t ver = get_u32(b + 8);
    if (ver != 1)
        return ERR(e, SARC_ERR_UNSUPPORTED, "model format version %u, expected 1", ver);
    struct unet_arch a;
    const uint32_t cin = get_u32(b + 12), skip = get_u32(b + 28);
    uint32_t f[3], pt[3];
    for (int i = 0; i < 3; i++) {
        f[i] = get_u32(b + 16 + 4 * i);
        pt[i] = get_u32(b + 32 + 4 * i);
        if (f[i] > 512)
            return ERR(e, SARC_ERR_FORMAT, "filters[%d] = %u, expected 1..512", i, f[i]);
        if (pt[i] > 1026)
            return ERR(e, SARC_ERR_FORMAT, "patch[%d] = %u, expected 18..1026", i, pt[i]);
    }
    if (cin > 3)
        return ERR(e, SARC_ERR_FORMAT, "input channels = %u, expected 1..3", cin);
    a.cin = (int)cin;
    a.skip = (int)(skip > 1 ? 2 : skip);
    for (int i = 0; i < 3; i++) {
        a.f[i] = (int)f[i];
        a.patch[i] = (int)pt[i];
    }
    a.dropout = get_f32(b + 44);
    int rc = unet_arch_check(&a, e);
    if (rc)
        return err_prefix(e, "model header"), SARC_ERR_FORMAT;
    const uint32_t con = get_u32(b + 48), norm = get_u32(b + 52), loss = get_u32(b + 80), epochs = get_u32(b + 84);
    if (con == 0 || con > 7 || contrasts_count(con) != (int)cin)
        return ERR(e, SARC_ERR_FORMAT, "contrast set %u does not match %u input channels", con, cin);
    if (norm != 1)
        return ERR(e, SARC_ERR_FORMAT, "normalisation %u, expected 1 (z-score per volume)", norm);
    const double thr = get_f64(b + 56), os = get_f64(b + 72);
    if (!(thr >= 0 && thr <= 1))
        return ERR(e, SARC_ERR_FORMAT, "threshold = %g, expected 0..1", thr);
    if (!(os > 0 && os <= 16))
        return ERR(e, SARC_ERR_FORMAT, "oversample = %g, expected 0 < x <= 16", os);
    if (loss > 2)
        return ERR(e, SARC_ERR_FORMAT, "loss = %u, expected 0..2", loss);
    if (epochs > 10000000)
        return ERR(e, SARC_ERR_FORMAT, "epochs = %u, expected <= 10^7", epochs);
    double sp[3];
    for (int i = 0; i < 3; i++) {
        sp[i] = get_f64(b + 96 + 8 * i);
        if (!(sp[i] >= 0 && sp[i] <= 100))
            return ERR(e, SARC_ERR_FORMAT, "working spacing[%d] = %g, expected 0 (native) or 0..100 mm", i, sp[i]);
    }
    const uint32_t L = get_u32(b + 120);
    if (L > INFO_MAX || (size_t)L > len - HDR_FIXED)
        return ERR(e, SARC_ERR_FORMAT, "info length %u exceeds the file or %d", L, INFO_MAX);
    size_t off = HDR_FIXED + L;
    if (len - off < 8)
        return ERR(e, SARC_ERR_FORMAT, "truncated before the parameter count");
    const uint64_t n = get_u64(b + off);
    off += 8;
    rc = unet_params_alloc(&m->params, &a, e);
    if (rc)
        return rc;
    if (n != (uint64_t)m->params.n) {
        model_free(m);
        return ERR(e, SARC_ERR_FORMAT, "parameter count %llu, the architecture has %lld", (unsigned long long)n, (long long)m->params.n);
    }
    if ((len - off) / 4 < n || len - off - 4 * n != 32) {
        model_free(m);
        return ERR(e, SARC_ERR_FORMAT, "file length %zu, expected %zu for %llu parameters", len, off + 4 * (size_t)n + 32, (unsigned long long)n);
    }
    uint8_t d[32];
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, b + off, 4 * (size_t)n);
    sha256_final(&s, d);
    if (memcmp(d, b + off + 4 * n, 32) != 0) {
        model_free(m);
        return ERR(e, SARC_ERR_FORMAT, "SHA-256 of the weights does not match the stored one (corrupt file)");
    }
    for (uint64_t i = 0; i < n; i++) {
        m->params.data[i] = get_f32(b + off + 4 * i);
        if (!isfinite(m->params.data[i])) {
            model_free(m);
            return ERR(e, SARC_ERR_FORMAT, "parameter %llu is not finite", (unsigned long long)i);
        }
    }
    m->contrasts = con;
    m->normalisation = (int)norm;
    m->threshold = thr;
    m->seed = get_u64(b + 64);
    m->oversample = os;
    m->loss = (int)loss;
    m->epochs = (int)epochs;
    m->best_val = get_f64(b + 88);
    memcpy(m->spacing, sp, sizeof sp);
    memcpy(m->info, b + HDR_FIXED, L);
    m->info[L] = 0;
    return 0;
}

int model_write(const char *path, const struct seg_model *m, struct sarc_err *e)
{
    uint8_t *b;
    size_t len;
    int rc = model_serialise(m, &b, &len, e);
    if (rc)
        return rc;
    rc = file_write_atomic(path, b, len, e);
    free(b);
    return rc;
}

int model_read(const char *path, struct seg_model *m, struct sarc_err *e)
{
    uint8_t *b;
    size_t len;
    memset(m, 0, sizeof *m);
    int rc = file_read_all(path, &b, &len, (size_t)1 << 32, e);
    if (rc)
        return rc;
    rc = model_parse(m, b, len, e);
    free(b);
    return rc;
}

/* ---- .npy ---- */

int npy_write(const char *path, const float *x, int ndim, const int64_t *shape, struct sarc_err *e)
{
    char hdr[256];
    int n = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    int64_t count = 1;
    /* numpy writes "(24,)" for one dimension and "(24, 3, 3)" otherwise */
    for (int i = 0; i < ndim && n < 200; i++) {
        n += snprintf(hdr + n, sizeof hdr - (size_t)n, "%s%lld", i ? ", " : "", (long long)shape[i]);
        count *= shape[i];
    }
    n += snprintf(hdr + n, sizeof hdr - (size_t)n, "%s), }", ndim == 1 ? "," : "");
    /* pad with spaces so that 10 + header length (with its '\n') is a multiple of 64 */
    int total = 10 + n + 1;
    const int pad = (64 - total % 64) % 64;
    const size_t hlen = (size_t)n + (size_t)pad + 1;
    const size_t len = 10 + hlen + 4 * (size_t)count;
    uint8_t *b = malloc(len);
    if (!b)
        return ERR(e, SARC_ERR_NOMEM, "npy buffer");
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (uint8_t)(hlen & 0xff);
    b[9] = (uint8_t)(hlen >> 8);
    memcpy(b + 10, hdr, (size_t)n);
    memset(b + 10 + n, ' ', (size_t)pad);
    b[10 + hlen - 1] = '\n';
    for (int64_t i = 0; i < count; i++)
        put_f32(b + 10 + hlen + 4 * i, x[i]);
    int rc = file_write_atomic(path, b, len, e);
    free(b);
    return rc;
}

int npy_parse(const uint8_t *b, size_t len, float **x, int *ndim, int64_t shape[8], struct sarc_err *e)
{
    *x = NULL;
    *ndim = 0;
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return ERR(e, SARC_ERR_FORMAT, "not a .npy file (magic missing)");
    const int major = b[6];
    size_t hlen, off;
    if (major == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        off = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return ERR(e, SARC_ERR_FORMAT, "truncated .npy header");
        hlen = get_u32(b + 8);
        off = 12;
    } else
        return ERR(e, SARC_ERR_UNSUPPORTED, ".npy format version %d", major);
    if (hlen > len - off || hlen > 65536)
        return ERR(e, SARC_ERR_FORMAT, ".npy header length %zu exceeds the file", hlen);
    char h[65537];
    memcpy(h, b + off, hlen);
    h[hlen] = 0;
    int f8 = 0;
    if (strstr(h, "'descr': '<f4'"))
        f8 = 0;
    else if (strstr(h, "'descr': '<f8'"))
        f8 = 1;
    else
        return ERR(e, SARC_ERR_UNSUPPORTED, ".npy dtype is not little-endian float32 or float64 ('<f4', '<f8')");
    if (!strstr(h, "'fortran_order': False"))
        return ERR(e, SARC_ERR_UNSUPPORTED, ".npy array is not in C order");
    const char *s = strstr(h, "'shape': (");
    if (!s)
        return ERR(e, SARC_ERR_FORMAT, ".npy header has no shape");
    s += 10;
    int nd = 0;
    long long count = 1;
    while (*s && *s != ')') {
        while (*s == ' ' || *s == ',')
            s++;
        if (*s == ')')
            break;
        if (!isdigit((unsigned char)*s))
            return ERR(e, SARC_ERR_FORMAT, ".npy shape is not a tuple of integers");
        char *end;
        const long long v = strtoll(s, &end, 10);
        if (v < 0 || v > ((long long)1 << 31) || nd >= 8)
            return ERR(e, SARC_ERR_FORMAT, ".npy shape: extent %lld or more than 8 dimensions", v);
        shape[nd++] = v;
        if (i64_mul(count, v, &count) != 0 || count > ((long long)1 << 34))
            return ERR(e, SARC_ERR_FORMAT, ".npy shape too large");
        s = end;
    }
    const size_t esz = f8 ? 8 : 4;
    off += hlen;
    if ((len - off) / esz < (size_t)count || len - off != esz * (size_t)count)
        return ERR(e, SARC_ERR_FORMAT, ".npy data: %zu bytes, expected %zu", len - off, esz * (size_t)count);
    float *o = malloc(sizeof(float) * (size_t)(count ? count : 1));
    if (!o)
        return ERR(e, SARC_ERR_NOMEM, ".npy data");
    for (int64_t i = 0; i < count; i++)
        o[i] = f8 ? (float)get_f64(b + off + 8 * i) : get_f32(b + off + 4 * i);
    *x = o;
    *ndim = nd;
    return 0;
}

int npy_read(const char *path, float **x, int *ndim, int64_t shape[8], struct sarc_err *e)
{
    uint8_t *b;
    size_t len;
    int rc = file_read_all(path, &b, &len, (size_t)1 << 34, e);
    if (rc)
        return rc;
    rc = npy_parse(b, len, x, ndim, shape, e);
    free(b);
    return rc;
}

/* ---- export / import ---- */

static void layer_shapes(const struct unet_arch *a, int l, int64_t ws[5], int64_t *bs)
{
    int tr, ci, co;
    unet_layer_dims(a, l, &tr, &ci, &co);
    ws[0] = tr ? ci : co;
    ws[1] = tr ? co : ci;
    ws[2] = ws[3] = ws[4] = 3;
    *bs = co;
}

int model_export(const struct seg_model *m, const char *dir, struct sarc_err *e)
{
    const struct unet_arch *a = &m->params.arch;
    int rc = file_mkdirs(dir, e);
    if (rc)
        return rc;
    char path[4096], name[128], con[32];
    for (int l = 0; l < UNET_NLAYERS; l++) {
        int64_t ws[5], bs;
        layer_shapes(a, l, ws, &bs);
        snprintf(name, sizeof name, "%s.weight.npy", unet_layer_names[l]);
        if (path_join(path, sizeof path, dir, name))
            return ERR(e, SARC_ERR_ARG, "path too long: %s", dir);
        rc = npy_write(path, m->params.data + m->params.woff[l], 5, ws, e);
        if (rc)
            return rc;
        snprintf(name, sizeof name, "%s.bias.npy", unet_layer_names[l]);
        path_join(path, sizeof path, dir, name);
        rc = npy_write(path, m->params.data + m->params.boff[l], 1, &bs, e);
        if (rc)
            return rc;
    }
    struct json j;
    json_init(&j);
    j.pretty = 1;
    json_obj_begin(&j);
    json_kv_str(&j, "format", "sarcnet-export");
    json_kv_int(&j, "version", 1);
    json_kv_str(&j, "architecture", "unet3d (Holbrook et al. 2020 sarcoma U-Net)");
    json_kv_bool(&j, "skip", a->skip);
    json_kv_int(&j, "in_channels", a->cin);
    json_key(&j, "filters");
    json_arr_begin(&j);
    for (int i = 0; i < 3; i++)
        json_int(&j, a->f[i]);
    json_arr_end(&j);
    json_key(&j, "patch");
    json_arr_begin(&j);
    for (int i = 0; i < 3; i++)
        json_int(&j, a->patch[i]);
    json_arr_end(&j);
    json_kv_num(&j, "dropout", a->dropout);
    json_key(&j, "contrasts");
    json_arr_begin(&j);
    for (int k = 0; k < contrasts_count(m->contrasts); k++)
        json_str(&j, contrasts_name(m->contrasts, k));
    json_arr_end(&j);
    contrasts_format(m->contrasts, con, sizeof con);
    json_kv_str(&j, "normalisation", "zscore: each channel minus its mean, divided by its population std, over the whole volume");
    json_kv_str(&j, "layout", "tensors (N, C, D, H, W): D = NIfTI k (slices), H = j, W = i; channels in the order T1, T1C, T2; skip concatenation = [encoder, upsampled decoder]");
    json_kv_num(&j, "threshold", m->threshold);
    json_kv_int(&j, "seed", (int64_t)m->seed);
    json_kv_num(&j, "oversample", m->oversample);
    json_kv_str(&j, "loss", loss_name(m->loss));
    json_kv_int(&j, "epochs", m->epochs);
    json_key(&j, "working_spacing_mm");
    json_arr_begin(&j);
    for (int i = 0; i < 3; i++)
        json_num(&j, m->spacing[i]);
    json_arr_end(&j);
    json_kv_str(&j, "info", m->info);
    json_key(&j, "layers");
    json_arr_begin(&j);
    for (int l = 0; l < UNET_NLAYERS; l++) {
        int64_t ws[5], bs;
        int tr, ci, co;
        layer_shapes(a, l, ws, &bs);
        unet_layer_dims(a, l, &tr, &ci, &co);
        json_obj_begin(&j);
        json_kv_str(&j, "name", unet_layer_names[l]);
        json_kv_str(&j, "type", tr ? "ConvTranspose3d" : "Conv3d");
        json_kv_int(&j, "in_channels", ci);
        json_kv_int(&j, "out_channels", co);
        json_kv_str(&j, "activation", l == UNET_OUT ? "sigmoid" : "relu");
        json_key(&j, "weight_shape");
        json_arr_begin(&j);
        for (int i = 0; i < 5; i++)
            json_int(&j, ws[i]);
        json_arr_end(&j);
        json_key(&j, "bias_shape");
        json_arr_begin(&j);
        json_int(&j, bs);
        json_arr_end(&j);
        json_obj_end(&j);
    }
    json_arr_end(&j);
    json_obj_end(&j);
    if (j.oom) {
        json_free(&j);
        return ERR(e, SARC_ERR_NOMEM, "model.json");
    }
    path_join(path, sizeof path, dir, "model.json");
    rc = file_write_atomic(path, j.buf, j.len, e);
    json_free(&j);
    return rc;
}

/* model.json members (vendor/json.h reader): a number, an array of n integers, an array of n
 * numbers; each returns 0, or SARC_ERR_FORMAT naming the key. */
static int json_get_num(const struct json_value *root, const char *key, double *v, struct sarc_err *e)
{
    const struct json_value *x = json_get(root, key);
    char *end;
    if (!x)
        return ERR(e, SARC_ERR_FORMAT, "model.json: \"%s\" missing", key);
    if (x->type != 'n' || (*v = strtod(x->text, &end), *end))
        return ERR(e, SARC_ERR_FORMAT, "model.json: \"%s\" is not a number", key);
    return 0;
}

static int json_get_ints(const struct json_value *root, const char *key, int *v, int n, struct sarc_err *e)
{
    const struct json_value *x = json_get(root, key);
    if (!x || x->type != 'a')
        return ERR(e, SARC_ERR_FORMAT, "model.json: \"%s\" missing or not an array", key);
    for (int i = 0; i < n; i++) {
        char *end = NULL;
        const long y = i < x->n && x->items[i].type == 'n' ? strtol(x->items[i].text, &end, 10) : -1;
        if (!end || *end || y < 0 || y > 100000)
            return ERR(e, SARC_ERR_FORMAT, "model.json: \"%s\"[%d] is not an integer in 0..100000", key, i);
        v[i] = (int)y;
    }
    return 0;
}

int model_import(const char *dir, struct seg_model *m, struct sarc_err *e)
{
    memset(m, 0, sizeof *m);
    char path[4096], name[128];
    if (path_join(path, sizeof path, dir, "model.json"))
        return ERR(e, SARC_ERR_ARG, "path too long: %s", dir);
    uint8_t *jb = NULL;
    size_t jl;
    int rc = file_read_all(path, &jb, &jl, (size_t)1 << 20, e);
    if (rc)
        return rc;
    struct json_value root = {0};
    if (json_parse((const char *)jb, &root, NULL) || root.type != 'o') {
        rc = ERR(e, SARC_ERR_FORMAT, "model.json: not a JSON object");
        goto fail;
    }
    const struct json_value *t = &root;
    struct unet_arch a = unet_arch_paper(3);
    double v;
    unsigned con = 0;
    if ((rc = json_get_ints(t, "filters", a.f, 3, e)) || (rc = json_get_ints(t, "patch", a.patch, 3, e)))
        goto fail;
    const struct json_value *sk = json_get(t, "skip");
    if (!sk || (sk->type != 't' && sk->type != 'f')) {
        rc = ERR(e, SARC_ERR_FORMAT, "model.json: \"skip\" missing or not true/false");
        goto fail;
    }
    a.skip = sk->type == 't';
    if ((rc = json_get_num(t, "dropout", &v, e)))
        goto fail;
    a.dropout = (float)v;
    /* contrasts: ["T1", "T1C", "T2"] */
    const struct json_value *cp = json_get(t, "contrasts");
    if (!cp || cp->type != 'a') {
        rc = ERR(e, SARC_ERR_FORMAT, "model.json: \"contrasts\" missing");
        goto fail;
    }
    {
        char list[64] = "";
        for (int i = 0; i < cp->n; i++) {
            const struct json_value *c = &cp->items[i];
            if (c->type != 's' || strlen(c->text) > 8 || strlen(list) + strlen(c->text) + 2 > sizeof list) {
                rc = ERR(e, SARC_ERR_FORMAT, "model.json: bad \"contrasts\"");
                goto fail;
            }
            if (list[0])
                strcat(list, ",");
            strcat(list, c->text);
        }
        if ((rc = contrasts_parse(list, &con, e))) {
            err_prefix(e, "model.json");
            goto fail;
        }
    }
    a.cin = contrasts_count(con);
    if ((rc = unet_arch_check(&a, e))) {
        err_prefix(e, "model.json");
        goto fail;
    }
    if ((rc = model_init(m, &a, con, 0, e)))
        goto fail;
    if (json_get_num(t, "threshold", &v, NULL) == 0) {
        if (!(v >= 0 && v <= 1)) {
            rc = ERR(e, SARC_ERR_FORMAT, "model.json: threshold = %g, expected 0..1", v);
            goto fail;
        }
        m->threshold = v;
    }
    if (json_get_num(t, "seed", &v, NULL) == 0 && v >= 0)
        m->seed = (uint64_t)v;
    if (json_get_num(t, "oversample", &v, NULL) == 0 && v > 0 && v <= 16)
        m->oversample = v;
    if (json_get_num(t, "epochs", &v, NULL) == 0 && v >= 0 && v <= 1e7)
        m->epochs = (int)v;
    {
        const struct json_value *lp = json_get(t, "loss");
        if (lp && lp->type == 's' && !strcmp(lp->text, "dice"))
            m->loss = LOSS_DICE;
        else if (lp && lp->type == 's' && !strcmp(lp->text, "softdice"))
            m->loss = LOSS_SOFTDICE;
        const struct json_value *wp = json_get(t, "working_spacing_mm");
        if (wp && wp->type == 'a') {
            for (int i = 0; i < 3; i++) {
                char *end = NULL;
                const double sp = i < wp->n && wp->items[i].type == 'n' ? strtod(wp->items[i].text, &end) : -1;
                if (!end || *end || !(sp >= 0 && sp <= 100)) {
                    rc = ERR(e, SARC_ERR_FORMAT, "model.json: working_spacing_mm[%d] is not 0..100", i);
                    goto fail;
                }
                m->spacing[i] = sp;
            }
        }
    }
    snprintf(m->info, sizeof m->info, "imported from %s", dir);
    for (int l = 0; l < UNET_NLAYERS; l++) {
        int64_t ws[5], bs;
        layer_shapes(&a, l, ws, &bs);
        for (int part = 0; part < 2; part++) {
            snprintf(name, sizeof name, "%s.%s.npy", unet_layer_names[l], part ? "bias" : "weight");
            path_join(path, sizeof path, dir, name);
            float *x = NULL;
            int nd;
            int64_t sh[8];
            if ((rc = npy_read(path, &x, &nd, sh, e))) {
                err_prefix(e, "%s", name);
                goto fail;
            }
            const int want_nd = part ? 1 : 5;
            int same = nd == want_nd;
            for (int i = 0; same && i < nd; i++)
                same = sh[i] == (part ? bs : ws[i]);
            if (!same) {
                free(x);
                if (part)
                    rc = ERR(e, SARC_ERR_FORMAT, "%s: shape does not match the architecture (expected (%lld,))", name, (long long)bs);
                else
                    rc = ERR(e, SARC_ERR_FORMAT, "%s: shape does not match the architecture (expected (%lld, %lld, 3, 3, 3))",
                             name, (long long)ws[0], (long long)ws[1]);
                goto fail;
            }
            int64_t cnt = part ? bs : ws[0] * ws[1] * 27;
            for (int64_t i = 0; i < cnt; i++)
                if (!isfinite(x[i])) {
                    free(x);
                    rc = ERR(e, SARC_ERR_FORMAT, "%s: element %lld is not finite", name, (long long)i);
                    goto fail;
                }
            memcpy(m->params.data + (part ? m->params.boff[l] : m->params.woff[l]), x, sizeof(float) * (size_t)cnt);
            free(x);
        }
    }
    json_value_free(&root);
    free(jb);
    return 0;
fail:
    json_value_free(&root);
    free(jb);
    model_free(m);
    return rc;
}
