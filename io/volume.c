/* volume.c - see volume.h. */
#include "io/volume.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VOLUME_MAX_VOXELS ((int64_t)1 << 33)

static void identity(double a[4][4])
{
    memset(a, 0, sizeof(double) * 16);
    for (int i = 0; i < 4; i++)
        a[i][i] = 1;
}

int volume_alloc(struct volume *v, int ndim, const int64_t dim[4], struct sarc_err *e)
{
    memset(v, 0, sizeof *v);
    if (ndim < 1 || ndim > 4)
        return ERR(e, SARC_ERR_RANGE, "ndim = %d, expected 1..4", ndim);
    int64_t n = 1;
    for (int i = 0; i < 4; i++) {
        int64_t d = i < ndim ? dim[i] : 1;
        if (d < 1 || d > INT32_MAX)
            return ERR(e, SARC_ERR_RANGE, "dim[%d] = %lld, expected 1..%d", i, (long long)d, INT32_MAX);
        if (n > VOLUME_MAX_VOXELS / d)
            return ERR(e, SARC_ERR_RANGE, "volume of more than %lld voxels", (long long)VOLUME_MAX_VOXELS);
        n *= d;
        v->dim[i] = d;
        v->spacing[i] = 1;
    }
    v->data = calloc((size_t)n, sizeof(double));
    if (!v->data)
        return ERR(e, SARC_ERR_NOMEM, "cannot allocate %lld voxels", (long long)n);
    v->ndim = ndim;
    identity(v->affine);
    identity(v->qform);
    identity(v->sform);
    v->type = VT_F32;
    strcpy(v->format, "memory");
    return 0;
}

void volume_free(struct volume *v)
{
    if (!v)
        return;
    free(v->data);
    memset(v, 0, sizeof *v);
}

int64_t volume_count(const struct volume *v)
{
    return v->dim[0] * v->dim[1] * v->dim[2] * v->dim[3];
}

int64_t volume_frame_count(const struct volume *v)
{
    return v->dim[0] * v->dim[1] * v->dim[2];
}

void volume_set_spacing(struct volume *v, const double sp[3], const double origin[3])
{
    identity(v->affine);
    for (int i = 0; i < 3; i++) {
        v->spacing[i] = sp[i];
        v->affine[i][i] = sp[i];
        v->affine[i][3] = origin ? origin[i] : 0;
    }
    memcpy(v->qform, v->affine, sizeof v->qform);
    memcpy(v->sform, v->affine, sizeof v->sform);
    v->qform_code = v->sform_code = 1; /* scanner-anatomical */
}

void volume_copy_geometry(struct volume *dst, const struct volume *src)
{
    memcpy(dst->spacing, src->spacing, sizeof dst->spacing);
    memcpy(dst->affine, src->affine, sizeof dst->affine);
    memcpy(dst->qform, src->qform, sizeof dst->qform);
    memcpy(dst->sform, src->sform, sizeof dst->sform);
    dst->qform_code = src->qform_code;
    dst->sform_code = src->sform_code;
}

int volume_clone(struct volume *dst, const struct volume *src, struct sarc_err *e)
{
    int rc = volume_alloc(dst, src->ndim, src->dim, e);
    if (rc)
        return rc;
    double *d = dst->data;
    *dst = *src;
    dst->data = d;
    memcpy(d, src->data, sizeof(double) * (size_t)volume_count(src));
    return 0;
}

int volume_alloc_like(struct volume *dst, const struct volume *src, struct sarc_err *e)
{
    int64_t dim[4] = {src->dim[0], src->dim[1], src->dim[2], 1};
    int rc = volume_alloc(dst, src->ndim < 3 ? src->ndim : 3, dim, e);
    if (rc)
        return rc;
    volume_copy_geometry(dst, src);
    dst->spacing[3] = 1;
    return 0;
}

void volume_spacing_from_affine(const double a[4][4], double sp[3])
{
    for (int c = 0; c < 3; c++)
        sp[c] = sqrt(a[0][c] * a[0][c] + a[1][c] * a[1][c] + a[2][c] * a[2][c]);
}

int volume_same_grid(const struct volume *a, const struct volume *b, double tol)
{
    for (int i = 0; i < 3; i++)
        if (a->dim[i] != b->dim[i])
            return 0;
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++)
            if (fabs(a->affine[r][c] - b->affine[r][c]) > tol)
                return 0;
    return 1;
}

void array_stats(const double *x, int64_t n, struct vstats *s)
{
    memset(s, 0, sizeof *s);
    double sum = 0, mn = INFINITY, mx = -INFINITY;
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = x[i];
        if (isnan(v)) {
            s->nan_count++;
            continue;
        }
        c++;
        sum += v;
        if (v < mn)
            mn = v;
        if (v > mx)
            mx = v;
    }
    s->count = c;
    if (!c) {
        s->min = s->max = s->mean = s->std = NAN;
        return;
    }
    double mean = sum / (double)c, ss = 0;
    for (int64_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            ss += (x[i] - mean) * (x[i] - mean);
    s->min = mn;
    s->max = mx;
    s->mean = mean;
    s->std = sqrt(ss / (double)c);
}

void volume_stats(const struct volume *v, struct vstats *s)
{
    array_stats(v->data, volume_count(v), s);
}

const char *vtype_name(enum vtype t)
{
    static const char *names[] = {"unknown", "uint8", "int8", "uint16", "int16", "uint32",
                                  "int32", "uint64", "int64", "float32", "float64"};
    return (unsigned)t <= VT_F64 ? names[t] : "unknown";
}

int vtype_size(enum vtype t)
{
    static const int sizes[] = {0, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8};
    return (unsigned)t <= VT_F64 ? sizes[t] : 0;
}

int vtype_is_int(enum vtype t) { return t >= VT_U8 && t <= VT_I64; }

int vtype_range(enum vtype t, double *lo, double *hi)
{
    switch (t) {
    case VT_U8: *lo = 0; *hi = 255; return 1;
    case VT_I8: *lo = -128; *hi = 127; return 1;
    case VT_U16: *lo = 0; *hi = 65535; return 1;
    case VT_I16: *lo = -32768; *hi = 32767; return 1;
    case VT_U32: *lo = 0; *hi = 4294967295.0; return 1;
    case VT_I32: *lo = -2147483648.0; *hi = 2147483647.0; return 1;
    case VT_U64: *lo = 0; *hi = 18446744073709551615.0; return 1;
    case VT_I64: *lo = -9223372036854775808.0; *hi = 9223372036854775807.0; return 1;
    default: return 0;
    }
}
