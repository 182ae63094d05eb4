/* nifti.c - NIfTI-1 and NIfTI-2 reading and NIfTI-1 writing.
 *
 * Implements the header layouts of nifti1.h (348 bytes + 4 extension bytes) and nifti2.h (540
 * bytes), byte order detected from sizeof_hdr, magic "n+1"/"ni1" and "n+2"/"ni2" (single file /
 * pair), datatypes uint8..float64 (DT_UINT8 2, DT_INT16 4, DT_INT32 8, DT_FLOAT32 16,
 * DT_FLOAT64 64, DT_INT8 256, DT_UINT16 512, DT_UINT32 768, DT_INT64 1024, DT_UINT64 1280),
 * scl_slope/scl_inter (no scaling when the slope is 0 or not finite, as the NIfTI-1 standard and
 * nibabel say), the qform from the quaternion with qfac = pixdim[0] (< 0 means -1, else 1, as
 * nifti1_io.c does) and the sform rows. The volume's affine is nibabel's "best affine": sform if
 * sform_code > 0, else qform if qform_code > 0, else nibabel's fallback for Analyze-style files
 * (x flipped, the centre of the grid at the origin: diag(-dx, dy, dz) with offset
 * (dx (nx-1)/2, -dy (ny-1)/2, -dz (nz-1)/2)). Dims 5..7 are folded into the frame axis.
 * Writing: NIfTI-1 single file, vox_offset 352 and the 4 extension bytes zero, sform = the
 * volume's affine, qform by the quaternion extraction of nifti1_io.c's nifti_mat44_to_quatern
 * (qform_code 0 when the affine has shear), xyzt_units mm (+ s for 4-D).
 * Left out (refused with SARC_ERR_UNSUPPORTED): complex, RGB, float128 and binary datatypes.
 * Extensions are skipped. Covered by test/io/test_nifti.c; fuzz target test/fuzz/fuzz_nifti.c. */
#include "io/nifti.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/file.h"
#include "vendor/gzip.h"

/* The header fields we use, in host form. */
struct nhdr {
    int version; /* 1 or 2 */
    int swap;    /* file byte order differs from little-endian reads */
    int single;  /* n+1 / n+2: data in the same file */
    int64_t dim[8];
    double pixdim[8];
    int datatype;
    int64_t vox_offset;
    double slope, inter;
    int qform_code, sform_code;
    double quat[3], qoff[3];
    double srow[3][4];
    int xyzt_units;
};

static uint16_t rd16(const uint8_t *p, int swap) { return swap ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p, int swap)
{
    return swap ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
static uint64_t rd64(const uint8_t *p, int swap)
{
    uint64_t a = rd32(p, swap), b = rd32(p + 4, swap);
    return swap ? a << 32 | b : b << 32 | a;
}
static double rdf32(const uint8_t *p, int swap)
{
    uint32_t u = rd32(p, swap);
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static double rdf64(const uint8_t *p, int swap)
{
    uint64_t u = rd64(p, swap);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* NIfTI datatype code -> our type; VT_UNKNOWN for codes we refuse. *known = 1 if the code is a
 * NIfTI datatype at all. */
static enum vtype dt_to_vtype(int dt, int *known, const char **name)
{
    static const struct { int code; enum vtype t; const char *name; } m[] = {
        {2, VT_U8, "uint8"}, {4, VT_I16, "int16"}, {8, VT_I32, "int32"}, {16, VT_F32, "float32"},
        {64, VT_F64, "float64"}, {256, VT_I8, "int8"}, {512, VT_U16, "uint16"}, {768, VT_U32, "uint32"},
        {1024, VT_I64, "int64"}, {1280, VT_U64, "uint64"}, {1, VT_UNKNOWN, "binary"},
        {32, VT_UNKNOWN, "complex64"}, {128, VT_UNKNOWN, "RGB24"}, {1536, VT_UNKNOWN, "float128"},
        {1792, VT_UNKNOWN, "complex128"}, {2048, VT_UNKNOWN, "complex256"}, {2304, VT_UNKNOWN, "RGBA32"}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (m[i].code == dt) {
            *known = 1;
            *name = m[i].name;
            return m[i].t;
        }
    *known = 0;
    *name = "unknown";
    return VT_UNKNOWN;
}

static int vtype_to_dt(enum vtype t)
{
    switch (t) {
    case VT_U8: return 2;
    case VT_I16: return 4;
    case VT_I32: return 8;
    case VT_F32: return 16;
    case VT_F64: return 64;
    case VT_I8: return 256;
    case VT_U16: return 512;
    case VT_U32: return 768;
    case VT_I64: return 1024;
    case VT_U64: return 1280;
    default: return 0;
    }
}

/* Parses and validates a header from b[0..len). Fails on a short buffer, an unknown sizeof_hdr
 * or magic, bad dims or an unsupported datatype. */
static int hdr_parse(const uint8_t *b, size_t len, struct nhdr *h, struct sarc_err *e)
{
    memset(h, 0, sizeof *h);
    if (len < 4)
        return ERR(e, SARC_ERR_FORMAT, "truncated header: %zu bytes, NIfTI-1 needs 348", len);
    uint32_t s = rd32(b, 0);
    if (s == 348 || s == 540)
        h->swap = 0;
    else if (rd32(b, 1) == 348 || rd32(b, 1) == 540) {
        h->swap = 1;
        s = rd32(b, 1);
    } else
        return ERR(e, SARC_ERR_FORMAT, "sizeof_hdr = %u, expected 348 (NIfTI-1) or 540 (NIfTI-2): not a NIfTI file", s);
    const int sw = h->swap;
    if (len < s)
        return ERR(e, SARC_ERR_FORMAT, "truncated header: %zu bytes, NIfTI-%d needs %u", len, s == 348 ? 1 : 2, s);
    if (s == 348) {
        h->version = 1;
        /* nifti1.h: magic at 344 is "n+1\0" (single file) or "ni1\0" (pair) */
        if (memcmp(b + 344, "n+1", 4) == 0)
            h->single = 1;
        else if (memcmp(b + 344, "ni1", 4) == 0)
            h->single = 0;
        else
            return ERR(e, SARC_ERR_FORMAT, "bad magic '%.3s' (expected n+1 or ni1; Analyze 7.5 is not supported)", (const char *)b + 344);
        for (int i = 0; i < 8; i++) {
            h->dim[i] = (int16_t)rd16(b + 40 + 2 * i, sw);
            h->pixdim[i] = rdf32(b + 76 + 4 * i, sw);
        }
        h->datatype = (int16_t)rd16(b + 70, sw);
        double vo = rdf32(b + 108, sw);
        if (!isfinite(vo) || vo < 0 || vo > 1e15)
            return ERR(e, SARC_ERR_FORMAT, "vox_offset = %g, expected a non-negative byte offset", vo);
        h->vox_offset = (int64_t)vo;
        h->slope = rdf32(b + 112, sw);
        h->inter = rdf32(b + 116, sw);
        h->xyzt_units = b[123];
        h->qform_code = (int16_t)rd16(b + 252, sw);
        h->sform_code = (int16_t)rd16(b + 254, sw);
        for (int i = 0; i < 3; i++) {
            h->quat[i] = rdf32(b + 256 + 4 * i, sw);
            h->qoff[i] = rdf32(b + 268 + 4 * i, sw);
            for (int c = 0; c < 4; c++)
                h->srow[i][c] = rdf32(b + 280 + 16 * i + 4 * c, sw);
        }
    } else {
        h->version = 2;
        /* nifti2.h: magic at 4 is "n+2\0\r\n\032\n" or "ni2\0\r\n\032\n" */
        if (memcmp(b + 4, "n+2\0\r\n\032\n", 8) == 0)
            h->single = 1;
        else if (memcmp(b + 4, "ni2\0\r\n\032\n", 8) == 0)
            h->single = 0;
        else
            return ERR(e, SARC_ERR_FORMAT, "bad NIfTI-2 magic '%.3s' (expected n+2 or ni2)", (const char *)b + 4);
        h->datatype = (int16_t)rd16(b + 12, sw);
        for (int i = 0; i < 8; i++) {
            h->dim[i] = (int64_t)rd64(b + 16 + 8 * i, sw);
            h->pixdim[i] = rdf64(b + 104 + 8 * i, sw);
        }
        h->vox_offset = (int64_t)rd64(b + 168, sw);
        if (h->vox_offset < 0)
            return ERR(e, SARC_ERR_FORMAT, "vox_offset = %lld, expected >= 0", (long long)h->vox_offset);
        h->slope = rdf64(b + 176, sw);
        h->inter = rdf64(b + 184, sw);
        h->qform_code = (int32_t)rd32(b + 344, sw);
        h->sform_code = (int32_t)rd32(b + 348, sw);
        for (int i = 0; i < 3; i++) {
            h->quat[i] = rdf64(b + 352 + 8 * i, sw);
            h->qoff[i] = rdf64(b + 376 + 8 * i, sw);
            for (int c = 0; c < 4; c++)
                h->srow[i][c] = rdf64(b + 400 + 32 * i + 8 * c, sw);
        }
        h->xyzt_units = (int32_t)rd32(b + 500, sw);
    }
    /* dim[0] = number of dimensions, 1..7; dim[1..dim[0]] >= 1 (the others are ignored) */
    if (h->dim[0] < 1 || h->dim[0] > 7)
        return ERR(e, SARC_ERR_FORMAT, "dim[0] = %lld, expected 1..7", (long long)h->dim[0]);
    const int64_t dmax = h->version == 1 ? 32767 : INT32_MAX;
    for (int i = 1; i <= 7; i++) {
        if (i > h->dim[0]) {
            h->dim[i] = 1;
            continue;
        }
        if (h->dim[i] < 1 || h->dim[i] > dmax)
            return ERR(e, SARC_ERR_FORMAT, "dim[%d] = %lld, expected 1..%lld", i, (long long)h->dim[i], (long long)dmax);
    }
    int known;
    const char *name;
    enum vtype t = dt_to_vtype(h->datatype, &known, &name);
    if (!known)
        return ERR(e, SARC_ERR_FORMAT, "unknown datatype %d", h->datatype);
    if (t == VT_UNKNOWN)
        return ERR(e, SARC_ERR_UNSUPPORTED, "datatype %d (%s) is not supported", h->datatype, name);
    for (int i = 1; i <= 4; i++)
        if (!isfinite(h->pixdim[i]))
            return ERR(e, SARC_ERR_FORMAT, "pixdim[%d] is not finite", i);
    if (!isfinite(h->pixdim[0]))
        h->pixdim[0] = 1;
    /* the transform a reader will use must be made of finite numbers */
    for (int i = 0; i < 3; i++) {
        if (h->qform_code > 0 && (!isfinite(h->quat[i]) || !isfinite(h->qoff[i])))
            return ERR(e, SARC_ERR_FORMAT, "qform_code %d but quatern/qoffset values are not finite", h->qform_code);
        for (int c = 0; c < 4; c++)
            if (h->sform_code > 0 && !isfinite(h->srow[i][c]))
                return ERR(e, SARC_ERR_FORMAT, "sform_code %d but srow_%c[%d] is not finite", h->sform_code, "xyz"[i], c);
    }
    return 0;
}

/* Number of voxels (dims 5..7 folded into frames) and data bytes, overflow-checked. */
static int hdr_sizes(const struct nhdr *h, int64_t *count, size_t *nbytes, struct sarc_err *e)
{
    long long n = 1;
    for (int i = 1; i <= 7; i++)
        if (i64_mul(n, h->dim[i], &n) != 0 || n > ((long long)1 << 40))
            return ERR(e, SARC_ERR_RANGE, "dims %lld x %lld x %lld x ... are too large", (long long)h->dim[1], (long long)h->dim[2], (long long)h->dim[3]);
    int known;
    const char *name;
    size_t es = (size_t)vtype_size(dt_to_vtype(h->datatype, &known, &name));
    if (size_mul((size_t)n, es, nbytes) != 0)
        return ERR(e, SARC_ERR_RANGE, "data size overflows");
    *count = n;
    return 0;
}

/* Converts n stored elements at src to physical doubles at dst (scaling applied when slope is
 * finite and non-zero). */
static void decode(const uint8_t *src, enum vtype t, int swap, int64_t n, double slope, double inter, double *dst)
{
    const int es = vtype_size(t);
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *p = src + (size_t)i * (size_t)es;
        double v;
        switch (t) {
        case VT_U8: v = p[0]; break;
        case VT_I8: v = (int8_t)p[0]; break;
        case VT_U16: v = rd16(p, swap); break;
        case VT_I16: v = (int16_t)rd16(p, swap); break;
        case VT_U32: v = rd32(p, swap); break;
        case VT_I32: v = (int32_t)rd32(p, swap); break;
        case VT_U64: v = (double)rd64(p, swap); break;
        case VT_I64: v = (double)(int64_t)rd64(p, swap); break;
        case VT_F32: v = rdf32(p, swap); break;
        default: v = rdf64(p, swap); break;
        }
        dst[i] = v;
    }
    if (slope != 0 && isfinite(slope) && isfinite(inter))
        for (int64_t i = 0; i < n; i++)
            dst[i] = dst[i] * slope + inter;
    else if (slope != 0 && isfinite(slope))
        for (int64_t i = 0; i < n; i++)
            dst[i] = dst[i] * slope;
}

static void mat_identity(double a[4][4])
{
    memset(a, 0, sizeof(double) * 16);
    for (int i = 0; i < 4; i++)
        a[i][i] = 1;
}

/* qform (NIfTI-1 "method 2"): R(quaternion) * diag(dx, dy, qfac dz) + qoffset. */
static void qform_affine(const struct nhdr *h, const double sp[3], double a[4][4])
{
    double b = h->quat[0], c = h->quat[1], d = h->quat[2];
    double w2 = 1.0 - (b * b + c * c + d * d), q;
    if (w2 > 0)
        q = sqrt(w2); /* as nibabel (quaternions.fillpositive): even a tiny a counts */
    else {
        q = 0;
        if (w2 < -1e-6) { /* not a unit quaternion: normalise (b, c, d) as nifti1_io does */
            double s = sqrt(b * b + c * c + d * d);
            b /= s, c /= s, d /= s;
        }
    }
    double R[3][3] = {
        {q * q + b * b - c * c - d * d, 2 * (b * c - q * d), 2 * (b * d + q * c)},
        {2 * (b * c + q * d), q * q + c * c - b * b - d * d, 2 * (c * d - q * b)},
        {2 * (b * d - q * c), 2 * (c * d + q * b), q * q + d * d - c * c - b * b}};
    const double qfac = h->pixdim[0] < 0 ? -1 : 1;
    const double z[3] = {sp[0], sp[1], sp[2] * qfac};
    mat_identity(a);
    for (int r = 0; r < 3; r++) {
        for (int col = 0; col < 3; col++)
            a[r][col] = R[r][col] * z[col];
        a[r][3] = h->qoff[r];
    }
}

/* Fills v's geometry from the header. */
static void hdr_geometry(const struct nhdr *h, struct volume *v)
{
    double sp[3];
    for (int i = 0; i < 3; i++) {
        double p = fabs(h->pixdim[i + 1]);
        /* a dimension beyond dim[0] may carry pixdim 0: treat it as 1 mm */
        sp[i] = p > 0 ? p : 1;
        v->spacing[i] = sp[i];
    }
    v->spacing[3] = h->pixdim[4] > 0 ? h->pixdim[4] : 1;
    v->qform_code = h->qform_code;
    v->sform_code = h->sform_code;
    qform_affine(h, sp, v->qform);
    mat_identity(v->sform);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++)
            v->sform[r][c] = h->srow[r][c];
    if (h->sform_code > 0)
        memcpy(v->affine, v->sform, sizeof v->affine);
    else if (h->qform_code > 0)
        memcpy(v->affine, v->qform, sizeof v->affine);
    else {
        /* nibabel's fallback (AnalyzeHeader.get_base_affine): x flipped, grid centred */
        mat_identity(v->affine);
        const int64_t n[3] = {h->dim[1], h->dim[2], h->dim[3]};
        v->affine[0][0] = -sp[0];
        v->affine[1][1] = sp[1];
        v->affine[2][2] = sp[2];
        v->affine[0][3] = sp[0] * (double)(n[0] - 1) / 2;
        v->affine[1][3] = -sp[1] * (double)(n[1] - 1) / 2;
        v->affine[2][3] = -sp[2] * (double)(n[2] - 1) / 2;
    }
}

/* Builds the volume from a parsed header and its data bytes data[0..len) (data[0] = voxel 0). */
static int volume_from(const struct nhdr *h, const uint8_t *data, size_t len, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e)
{
    int64_t count;
    size_t nbytes;
    int rc = hdr_sizes(h, &count, &nbytes, e);
    if (rc)
        return rc;
    if (len < nbytes)
        return ERR(e, SARC_ERR_FORMAT, "truncated data: dims %lld x %lld x %lld x %lld need %zu bytes, the file holds %zu",
                   (long long)h->dim[1], (long long)h->dim[2], (long long)h->dim[3], (long long)(count / (h->dim[1] * h->dim[2] * h->dim[3])), nbytes, len);
    int known;
    const char *name;
    const enum vtype t = dt_to_vtype(h->datatype, &known, &name);
    const int64_t nframes = count / (h->dim[1] * h->dim[2] * h->dim[3]);
    const int frame = opts ? opts->frame : -1;
    int64_t dims[4] = {h->dim[1], h->dim[2], h->dim[3], nframes};
    int ndim = nframes > 1 ? 4 : (h->dim[0] < 3 ? (int)h->dim[0] : 3);
    int64_t first = 0;
    if (frame >= 0) {
        if (frame >= nframes)
            return ERR(e, SARC_ERR_RANGE, "frame %d requested, the file has %lld (0..%lld)", frame, (long long)nframes, (long long)nframes - 1);
        dims[3] = 1;
        ndim = h->dim[0] < 3 ? (int)h->dim[0] : 3;
        first = frame;
    }
    if ((rc = volume_alloc(v, ndim, dims, e)) != 0)
        return rc;
    const int64_t fc = dims[0] * dims[1] * dims[2];
    const size_t es = (size_t)vtype_size(t);
    decode(data + (size_t)(first * fc) * es, t, h->swap, volume_count(v), h->slope, h->inter, v->data);
    v->type = t;
    const int scaled = h->slope != 0 && isfinite(h->slope);
    v->scl_slope = scaled ? h->slope : 0;
    v->scl_inter = scaled && isfinite(h->inter) ? h->inter : 0;
    hdr_geometry(h, v);
    if (frame >= 0)
        v->spacing[3] = 1;
    snprintf(v->format, sizeof v->format, "nifti%d", h->version);
    return 0;
}

int nifti_parse(const uint8_t *buf, size_t len, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e)
{
    struct nhdr h;
    memset(v, 0, sizeof *v);
    int rc = hdr_parse(buf, len, &h, e);
    if (rc)
        return rc;
    if (!h.single)
        return ERR(e, SARC_ERR_FORMAT, "header of a .hdr/.img pair (magic ni%d), expected a single-file .nii", h.version);
    const int64_t hsize = h.version == 1 ? 348 : 540;
    int64_t off = h.vox_offset;
    if (off == 0)
        off = h.version == 1 ? 352 : 544; /* an unset offset: right after header + extension flag */
    if (off < hsize)
        return ERR(e, SARC_ERR_FORMAT, "vox_offset = %lld lies inside the %lld-byte header", (long long)off, (long long)hsize);
    if ((uint64_t)off > len)
        return ERR(e, SARC_ERR_FORMAT, "truncated file: vox_offset = %lld but the file has %zu bytes", (long long)off, len);
    return volume_from(&h, buf + off, len - (size_t)off, opts, v, e);
}

/* Reads a file whole, inflating it when it starts with the gzip magic (whatever its name). For
 * gzip, the first 544 bytes are inflated first (gzip_peek); when they hold a valid header, the
 * bytes its dims need (+ 1 MiB) bound the full inflate, so a small bomb cannot take all memory,
 * and a header needing more than deflate's 1032:1 ratio allows is refused before inflating. */
static int read_maybe_gz(const char *path, uint8_t **out, size_t *out_len, struct sarc_err *e)
{
    uint8_t *raw = NULL;
    size_t n = 0;
    *out = NULL;
    *out_len = 0;
    int rc = file_read_all(path, &raw, &n, 0, e);
    if (rc)
        return rc;
    if (!gzip_is_gzip(raw, n)) {
        *out = raw;
        *out_len = n;
        return 0;
    }
    /* bound the inflated size by what the header declares (+ 1 MiB for extensions/slack) */
    uint8_t head[544];
    size_t got = 0;
    size_t limit = (size_t)8 << 30;
    if ((rc = gzip_peek(raw, n, head, sizeof head, &got, e)) != 0)
        goto done;
    struct nhdr h;
    struct sarc_err e2 = {0};
    if (hdr_parse(head, got, &h, &e2) == 0) {
        int64_t count;
        size_t nbytes;
        if (hdr_sizes(&h, &count, &nbytes, &e2) == 0) {
            size_t need = nbytes + (size_t)(h.single ? h.vox_offset : 0) + ((size_t)1 << 20);
            /* deflate cannot expand more than 1032:1 (a 258-byte match in 2 bits) */
            if (need - ((size_t)1 << 20) > n * 1032 + 1024) {
                rc = ERR(e, SARC_ERR_FORMAT, "truncated file: dims need %zu bytes of data, more than this %zu-byte gzip file can hold", nbytes, n);
                goto done;
            }
            limit = need;
        }
    }
    rc = gzip_decompress(raw, n, out, out_len, limit, e);
    if (rc == SARC_ERR_RANGE)
        rc = ERR(e, SARC_ERR_FORMAT, "the gzip stream holds more data than the header's dims need (more than %zu bytes)", limit);
done:
    free(raw);
    return rc;
}

/* For a pair, the name of the other file: .hdr <-> .img, trying first with the same .gz-ness
 * as path, then the other. Returns 0 if found, 1 if not (out holds the expected name), -1 if the
 * name does not fit. */
static int pair_other(const char *path, int want_img, char *out, size_t size)
{
    const char *to = want_img ? ".img" : ".hdr";
    const size_t n = strlen(path);
    const int gz = path_has_suffix(path, ".gz");
    const size_t stem = n - (gz ? 3 : 0) - 4; /* path without ".hdr[.gz]" / ".img[.gz]" */
    if (n + 4 >= size)
        return -1;
    memcpy(out, path, stem);
    for (int variant = 0; variant < 2; variant++) {
        const int use_gz = variant == 0 ? gz : !gz;
        snprintf(out + stem, size - stem, "%s%s", to, use_gz ? ".gz" : "");
        if (file_is_regular(out))
            return 0;
    }
    snprintf(out + stem, size - stem, "%s%s", to, gz ? ".gz" : "");
    return 1;
}

int nifti_read(const char *path, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e)
{
    uint8_t *buf = NULL, *img = NULL;
    size_t len = 0, ilen = 0;
    int rc;
    memset(v, 0, sizeof *v);
    const int is_hdr = path_has_suffix(path, ".hdr") || path_has_suffix(path, ".hdr.gz");
    const int is_img = path_has_suffix(path, ".img") || path_has_suffix(path, ".img.gz");
    if (!is_hdr && !is_img) {
        if ((rc = read_maybe_gz(path, &buf, &len, e)) != 0)
            goto done;
        rc = nifti_parse(buf, len, opts, v, e);
        goto done;
    }
    char hdr_path[4096], img_path[4096];
    if (strlen(path) >= sizeof hdr_path) {
        rc = ERR(e, SARC_ERR_ARG, "path too long");
        goto done;
    }
    if (is_hdr) {
        strcpy(hdr_path, path);
        if (pair_other(path, 1, img_path, sizeof img_path) != 0) {
            rc = ERR(e, SARC_ERR_IO, "the image file of this header pair is missing (%s)", img_path);
            goto done;
        }
    } else {
        strcpy(img_path, path);
        if (pair_other(path, 0, hdr_path, sizeof hdr_path) != 0) {
            rc = ERR(e, SARC_ERR_IO, "the header file of this image pair is missing (%s)", hdr_path);
            goto done;
        }
    }
    if ((rc = read_maybe_gz(hdr_path, &buf, &len, e)) != 0) {
        err_prefix(e, "%s", hdr_path);
        goto done;
    }
    struct nhdr h;
    if ((rc = hdr_parse(buf, len, &h, e)) != 0)
        goto done;
    if (h.single) {
        /* a single-file header named .hdr: the data follow it */
        rc = nifti_parse(buf, len, opts, v, e);
        goto done;
    }
    if ((rc = read_maybe_gz(img_path, &img, &ilen, e)) != 0) {
        err_prefix(e, "%s", img_path);
        goto done;
    }
    if ((uint64_t)h.vox_offset > ilen) {
        rc = ERR(e, SARC_ERR_FORMAT, "truncated image file: vox_offset = %lld but %s has %zu bytes", (long long)h.vox_offset, img_path, ilen);
        goto done;
    }
    rc = volume_from(&h, img + h.vox_offset, ilen - (size_t)h.vox_offset, opts, v, e);
done:
    free(buf);
    free(img);
    if (rc)
        volume_free(v);
    return rc;
}

/* ---------------------------------------------------------------- writing */

static void wr16(uint8_t *p, int v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void wrf32(uint8_t *p, double d)
{
    float f = (float)d;
    uint32_t u;
    memcpy(&u, &f, 4);
    wr32(p, u);
}
static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

/* Quaternion (b, c, d), qfac and shear flag of the rotation part of affine a, following
 * nifti_mat44_to_quatern: columns normalised, qfac = -1 when the determinant is negative
 * (the third column is negated), then the quaternion of the proper rotation. *shear = 1 if the
 * columns are not orthogonal (then no qform can represent a). */
static void affine_to_quatern(const double a[4][4], double quat[3], double *qfac, int *shear)
{
    double R[3][3], len[3];
    int degenerate = 0;
    for (int c = 0; c < 3; c++) {
        len[c] = sqrt(a[0][c] * a[0][c] + a[1][c] * a[1][c] + a[2][c] * a[2][c]);
        if (!(len[c] > 0)) { /* a zero (or NaN) column: no rotation can represent it */
            len[c] = 1;
            degenerate = 1;
        }
        for (int r = 0; r < 3; r++)
            R[r][c] = a[r][c] / len[c];
    }
    *shear = degenerate;
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++) {
            double dot = R[0][i] * R[0][j] + R[1][i] * R[1][j] + R[2][i] * R[2][j];
            if (fabs(dot) > 1e-5)
                *shear = 1;
        }
    double det = R[0][0] * (R[1][1] * R[2][2] - R[1][2] * R[2][1]) - R[0][1] * (R[1][0] * R[2][2] - R[1][2] * R[2][0]) +
                 R[0][2] * (R[1][0] * R[2][1] - R[1][1] * R[2][0]);
    *qfac = 1;
    if (det < 0) {
        *qfac = -1;
        for (int r = 0; r < 3; r++)
            R[r][2] = -R[r][2];
    }
    double qa, qb, qc, qd;
    double tr = R[0][0] + R[1][1] + R[2][2] + 1;
    if (tr > 0.5) {
        qa = 0.5 * sqrt(tr);
        qb = 0.25 * (R[2][1] - R[1][2]) / qa;
        qc = 0.25 * (R[0][2] - R[2][0]) / qa;
        qd = 0.25 * (R[1][0] - R[0][1]) / qa;
    } else {
        double xd = 1 + R[0][0] - (R[1][1] + R[2][2]);
        double yd = 1 + R[1][1] - (R[0][0] + R[2][2]);
        double zd = 1 + R[2][2] - (R[0][0] + R[1][1]);
        if (xd > 1) {
            qb = 0.5 * sqrt(xd);
            qc = 0.25 * (R[0][1] + R[1][0]) / qb;
            qd = 0.25 * (R[0][2] + R[2][0]) / qb;
            qa = 0.25 * (R[2][1] - R[1][2]) / qb;
        } else if (yd > 1) {
            qc = 0.5 * sqrt(yd);
            qb = 0.25 * (R[0][1] + R[1][0]) / qc;
            qd = 0.25 * (R[1][2] + R[2][1]) / qc;
            qa = 0.25 * (R[0][2] - R[2][0]) / qc;
        } else {
            qd = 0.5 * sqrt(zd);
            qb = 0.25 * (R[0][2] + R[2][0]) / qd;
            qc = 0.25 * (R[1][2] + R[2][1]) / qd;
            qa = 0.25 * (R[1][0] - R[0][1]) / qd;
        }
        if (qa < 0)
            qb = -qb, qc = -qc, qd = -qd;
    }
    quat[0] = qb;
    quat[1] = qc;
    quat[2] = qd;
    if (!isfinite(qb) || !isfinite(qc) || !isfinite(qd)) { /* degenerate affine: no qform */
        quat[0] = quat[1] = quat[2] = 0;
        *shear = 1;
    }
}

/* Chooses scl_slope/scl_inter for writing values x[0..n) as integer type t: none (1, 0) when all
 * values are integers in range; the volume's own scaling when it was read with this type and
 * every value maps to an in-range integer; else a linear map of [min, max] onto the type's
 * range. NaN is written as 0 (integer types have no NaN). Returns 1 if the values come back
 * exactly (stored * slope + inter == value for every non-NaN value), else 0. */
static int choose_scaling(const struct volume *v, enum vtype t, double *slope, double *inter)
{
    double lo, hi;
    vtype_range(t, &lo, &hi);
    const int64_t n = volume_count(v);
    double mn = INFINITY, mx = -INFINITY;
    int all_int = 1;
    for (int64_t i = 0; i < n; i++) {
        double x = v->data[i];
        if (isnan(x))
            continue;
        if (x < mn)
            mn = x;
        if (x > mx)
            mx = x;
        if (x != floor(x))
            all_int = 0;
    }
    *slope = 1;
    *inter = 0;
    if (mn > mx || (all_int && mn >= lo && mx <= hi))
        return 1;
    if (v->type == t && v->scl_slope != 0 && isfinite(v->scl_slope) && isfinite(v->scl_inter)) {
        /* the source's scaling (as the float32 header holds it) may still fit */
        const double s = (float)v->scl_slope, c = (float)v->scl_inter;
        int fits = 1, exact = 1;
        for (int64_t i = 0; i < n && fits; i++) {
            double x = v->data[i];
            if (isnan(x))
                continue;
            double q = round((x - c) / s);
            if (q < lo || q > hi)
                fits = 0;
            else if (q * s + c != x)
                exact = 0;
        }
        if (fits) {
            *slope = s;
            *inter = c;
            return exact;
        }
    }
    if (!isfinite(mn) || !isfinite(mx))
        return 0; /* infinities cannot be scaled: they saturate */
    if (mx == mn) {
        *inter = mn;
        return (float)mn == mn;
    }
    /* the header holds float32: use the rounded values for the conversion too */
    *slope = (float)((mx - mn) / (hi - lo));
    *inter = (float)(mn - lo * *slope);
    return 0;
}

/* Stores the n values x as type t little-endian into out (n * size of t bytes): stored =
 * (x - inter) / slope, rounded and clamped to the type's range for integer types (NaN -> 0). */
static void encode(const double *x, int64_t n, enum vtype t, double slope, double inter, uint8_t *out)
{
    double lo = 0, hi = 0;
    const int isint = vtype_range(t, &lo, &hi);
    const size_t es = (size_t)vtype_size(t);
    for (int64_t i = 0; i < n; i++) {
        uint8_t *p = out + (size_t)i * es;
        double v = x[i];
        if (!isint && (slope != 1 || inter != 0))
            v = (v - inter) / slope;
        if (isint) {
            v = isnan(v) ? 0 : round((v - inter) / slope);
            if (v < lo)
                v = lo;
            if (v > hi)
                v = hi;
        }
        switch (t) {
        case VT_U8: p[0] = (uint8_t)v; break;
        case VT_I8: p[0] = (uint8_t)(int8_t)v; break;
        case VT_U16: wr16(p, (uint16_t)v); break;
        case VT_I16: wr16(p, (uint16_t)(int16_t)v); break;
        case VT_U32: wr32(p, (uint32_t)v); break;
        case VT_I32: wr32(p, (uint32_t)(int32_t)v); break;
        /* 2^63 and 2^64 are not representable: clamp below them */
        case VT_U64: wr64(p, v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v); break;
        case VT_I64: wr64(p, v >= 9223372036854775807.0 ? (uint64_t)INT64_MAX : (uint64_t)(int64_t)v); break;
        case VT_F32: wrf32(p, v); break;
        default: {
            uint64_t u;
            memcpy(&u, &v, 8);
            wr64(p, u);
        } break;
        }
    }
}

int nifti_write(const char *path, const struct volume *v, const struct volume_write_opts *opts, struct sarc_err *e)
{
    if (!v->data || v->ndim < 1 || v->ndim > 4)
        return ERR(e, SARC_ERR_ARG, "empty volume");
    for (int i = 0; i < 4; i++)
        if (v->dim[i] < 1 || v->dim[i] > 32767)
            return ERR(e, SARC_ERR_RANGE, "dim %d = %lld does not fit NIfTI-1 (1..32767)", i, (long long)v->dim[i]);
    const int keep = !(opts && opts->type != VT_UNKNOWN);
    enum vtype t = keep ? v->type : opts->type;
    if (vtype_to_dt(t) == 0)
        t = VT_F32;
    double slope = 1, inter = 0;
    if (vtype_is_int(t) && !choose_scaling(v, t, &slope, &inter) && keep) {
        /* the source's integer type cannot hold these values exactly (e.g. per-frame scaling of
         * a Bruker 2dseq): keep them as float32 rather than requantise */
        t = VT_F32;
        slope = 1;
        inter = 0;
    }
    const int level = opts && opts->level ? opts->level : 6;
    const int64_t n = volume_count(v);
    const size_t es = (size_t)vtype_size(t);
    size_t nbytes, total;
    if (size_mul((size_t)n, es, &nbytes) || size_add(nbytes, 352, &total))
        return ERR(e, SARC_ERR_RANGE, "volume too large");
    uint8_t *buf = calloc(total, 1), *gz = NULL;
    if (!buf)
        return ERR(e, SARC_ERR_NOMEM, "cannot allocate %zu bytes", total);
    int rc = 0;
    uint8_t *h = buf;
    /* nifti1.h field offsets, little-endian */
    wr32(h + 0, 348);
    h[38] = 'r'; /* "regular", as nibabel writes */
    const int nd = v->dim[3] > 1 ? 4 : (v->ndim < 3 ? v->ndim : 3);
    wr16(h + 40, nd);
    for (int i = 0; i < 7; i++)
        wr16(h + 42 + 2 * i, i < 4 ? (int)v->dim[i] : 1);
    if (t == VT_F32 && v->type == VT_F32 && v->scl_slope != 0 && isfinite(v->scl_slope) && isfinite(v->scl_inter)) {
        /* scaled float32 source: keep its scaling, so the stored floats come back exactly */
        slope = (float)v->scl_slope;
        inter = (float)v->scl_inter;
    }
    wr16(h + 70, vtype_to_dt(t));
    wr16(h + 72, (int)(8 * es));
    double quat[3], qfac;
    int shear;
    affine_to_quatern(v->affine, quat, &qfac, &shear);
    wrf32(h + 76, qfac);
    for (int i = 0; i < 4; i++)
        wrf32(h + 80 + 4 * i, i < 3 ? v->spacing[i] : (nd == 4 ? v->spacing[3] : 1));
    for (int i = 4; i < 7; i++)
        wrf32(h + 80 + 4 * i, 1);
    wrf32(h + 108, 352);
    wrf32(h + 112, slope);
    wrf32(h + 116, inter);
    h[123] = nd == 4 ? 2 | 8 : 2; /* NIFTI_UNITS_MM (+ NIFTI_UNITS_SEC) */
    memcpy(h + 148, "sarc", 4);
    /* the affine is written as the sform, with the source's code (else NIFTI_XFORM_ALIGNED_ANAT,
     * so that readers use it rather than their own fallback) */
    int scode = v->sform_code > 0 ? v->sform_code : v->qform_code > 0 ? v->qform_code : 2;
    int qcode = v->qform_code > 0 ? v->qform_code : scode;
    if (shear)
        qcode = 0;
    wr16(h + 252, qcode);
    wr16(h + 254, scode);
    for (int i = 0; i < 3; i++) {
        wrf32(h + 256 + 4 * i, quat[i]);
        wrf32(h + 268 + 4 * i, v->affine[i][3]);
        for (int c = 0; c < 4; c++)
            wrf32(h + 280 + 16 * i + 4 * c, v->affine[i][c]);
    }
    memcpy(h + 344, "n+1", 4);
    /* bytes 348..351: the extension flag, zero */
    encode(v->data, n, t, slope, inter, buf + 352);
    if (path_has_suffix(path, ".gz")) {
        size_t gzn = 0;
        if ((rc = gzip_compress(buf, total, level, &gz, &gzn, e)) != 0)
            goto done;
        rc = file_write_atomic(path, gz, gzn, e);
    } else
        rc = file_write_atomic(path, buf, total, e);
done:
    free(buf);
    free(gz);
    return rc;
}
