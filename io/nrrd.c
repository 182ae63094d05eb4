/* nrrd.c - NRRD reader and writer (format: http://teem.sourceforge.net/nrrd/format.html, NRRD0001
 * to NRRD0005 magic).
 *
 * Header: "field: value" lines (type, dimension, sizes, endian, encoding, space, space dimension,
 * space directions, space origin, spacings, kinds, data file, byte skip, line skip; other fields
 * are accepted and ignored), "key:=value" pairs (kept in order: 3D Slicer's Segment<N>_Name,
 * Segment<N>_LabelValue, Segment<N>_Layer), '#' comments; a blank line ends an attached header.
 * Everything is parsed from memory through bounds checks; every size is validated and
 * overflow-checked before use, and the data length is compared with sizes * type size.
 *
 * Geometry convention: struct volume's affine is RAS as in NIfTI. NRRD's space directions (the
 * columns) and space origin (the centre of the first sample) are given in the named space; we
 * negate the components of axes that point the other way: x for left-*, y for *-posterior-*, z
 * for *-inferior. "scanner-xyz" is taken as LPS (the DICOM patient frame it denotes); a bare
 * "space dimension" or no space at all is taken as RAS (no flip). Without space directions the
 * affine is diag(spacings), origin 0.
 * Deliberately left out: bzip2 and hex encodings, "LIST" / multi-file data, block types.
 * Covered by test/io/test_nrrd.c; fuzz target test/fuzz/fuzz_nrrd.c (corpus replayed by
 * test/fuzz/test_replay_readers.c). */
#include "io/nrrd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "io/file.h"
#include "vendor/gzip.h"

#define NRRD_MAX_LINE 65536

void nrrd_header_free(struct nrrd_header *h)
{
    if (!h)
        return;
    free(h->data_file);
    for (int i = 0; i < h->nkv; i++) {
        free(h->kv_key[i]);
        free(h->kv_val[i]);
    }
    free(h->kv_key);
    free(h->kv_val);
    memset(h, 0, sizeof *h);
}

const char *nrrd_header_kv(const struct nrrd_header *h, const char *key)
{
    for (int i = 0; i < h->nkv; i++)
        if (strcmp(h->kv_key[i], key) == 0)
            return h->kv_val[i];
    return NULL;
}

/* NRRD "type:" field s (any spelling the format page lists; "block" is not read) into
 * *t; -1 if unknown. */
static int parse_type(const char *s, enum vtype *t)
{
    static const struct {
        const char *name;
        enum vtype t;
    } names[] = {
        {"signed char", VT_I8}, {"int8", VT_I8}, {"int8_t", VT_I8},
        {"uchar", VT_U8}, {"unsigned char", VT_U8}, {"uint8", VT_U8}, {"uint8_t", VT_U8},
        {"short", VT_I16}, {"short int", VT_I16}, {"signed short", VT_I16}, {"signed short int", VT_I16}, {"int16", VT_I16}, {"int16_t", VT_I16},
        {"ushort", VT_U16}, {"unsigned short", VT_U16}, {"unsigned short int", VT_U16}, {"uint16", VT_U16}, {"uint16_t", VT_U16},
        {"int", VT_I32}, {"signed int", VT_I32}, {"int32", VT_I32}, {"int32_t", VT_I32},
        {"uint", VT_U32}, {"unsigned int", VT_U32}, {"uint32", VT_U32}, {"uint32_t", VT_U32},
        {"longlong", VT_I64}, {"long long", VT_I64}, {"long long int", VT_I64}, {"signed long long", VT_I64},
        {"signed long long int", VT_I64}, {"int64", VT_I64}, {"int64_t", VT_I64},
        {"ulonglong", VT_U64}, {"unsigned long long", VT_U64}, {"unsigned long long int", VT_U64}, {"uint64", VT_U64}, {"uint64_t", VT_U64},
        {"float", VT_F32}, {"double", VT_F64},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *t = names[i].t;
            return 0;
        }
    return -1;
}

static const char *type_name(enum vtype t)
{
    switch (t) {
    case VT_I8: return "int8";
    case VT_U8: return "uint8";
    case VT_I16: return "int16";
    case VT_U16: return "uint16";
    case VT_I32: return "int32";
    case VT_U32: return "uint32";
    case VT_I64: return "int64";
    case VT_U64: return "uint64";
    case VT_F64: return "double";
    default: return "float";
    }
}

/* Space names -> per-axis sign relative to RAS and the number of spatial components. */
static int parse_space(const char *s, struct nrrd_header *h)
{
    static const struct {
        const char *name, *abbr;
        int fx, fy, fz, dim;
    } spaces[] = {
        {"right-anterior-superior", "RAS", 1, 1, 1, 3}, {"left-anterior-superior", "LAS", -1, 1, 1, 3},
        {"left-posterior-superior", "LPS", -1, -1, 1, 3}, {"right-anterior-superior-time", "RAST", 1, 1, 1, 4},
        {"left-anterior-superior-time", "LAST", -1, 1, 1, 4}, {"left-posterior-superior-time", "LPST", -1, -1, 1, 4},
        {"scanner-xyz", NULL, -1, -1, 1, 3}, {"scanner-xyz-time", NULL, -1, -1, 1, 4},
        {"3D-right-handed", NULL, 1, 1, 1, 3}, {"3D-left-handed", NULL, 1, 1, 1, 3},
        {"3D-right-handed-time", NULL, 1, 1, 1, 4}, {"3D-left-handed-time", NULL, 1, 1, 1, 4},
    };
    for (size_t i = 0; i < sizeof spaces / sizeof spaces[0]; i++)
        if (strcmp(s, spaces[i].name) == 0 || (spaces[i].abbr && strcmp(s, spaces[i].abbr) == 0)) {
            h->space_flip[0] = spaces[i].fx;
            h->space_flip[1] = spaces[i].fy;
            h->space_flip[2] = spaces[i].fz;
            h->space_dim = spaces[i].dim;
            snprintf(h->space, sizeof h->space, "%s", spaces[i].name);
            return 0;
        }
    return -1;
}

/* "(a,b,c)" with n components at *p; advances *p. */
static int parse_vec(const char **p, int n, double *out)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s != '(')
        return -1;
    s++;
    for (int i = 0; i < n; i++) {
        char *end;
        double v = strtod(s, &end);
        if (end == s)
            return -1;
        /* only the first 3 components are kept (the 4th of a *-time space is ignored) */
        if (i < 3)
            out[i] = v;
        s = end;
        while (*s == ' ' || *s == '\t')
            s++;
        if (i < n - 1) {
            if (*s != ',')
                return -1;
            s++;
        }
    }
    if (*s != ')')
        return -1;
    *p = s + 1;
    return 0;
}

/* Appends the pair (k[0..kn), v) to h's key:=value list (copies both; h owns them). Fails past
 * NRRD_MAX_KV pairs or out of memory, leaving h as it was. */
static int kv_add(struct nrrd_header *h, const char *k, size_t kn, const char *v, struct sarc_err *e)
{
    if (h->nkv >= NRRD_MAX_KV)
        return ERR(e, SARC_ERR_RANGE, "more than %d key:=value pairs", NRRD_MAX_KV);
    if (h->nkv % 64 == 0) {
        char **nk = realloc(h->kv_key, sizeof(char *) * (size_t)(h->nkv + 64));
        if (!nk)
            return ERR(e, SARC_ERR_NOMEM, "out of memory");
        h->kv_key = nk;
        char **nv = realloc(h->kv_val, sizeof(char *) * (size_t)(h->nkv + 64));
        if (!nv)
            return ERR(e, SARC_ERR_NOMEM, "out of memory");
        h->kv_val = nv;
    }
    char *ks = malloc(kn + 1), *vs = strdup(v);
    if (!ks || !vs) {
        free(ks);
        free(vs);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    memcpy(ks, k, kn);
    ks[kn] = 0;
    h->kv_key[h->nkv] = ks;
    h->kv_val[h->nkv] = vs;
    h->nkv++;
    return 0;
}

/* One "field: value" line (value without leading blanks). */
static int parse_field(struct nrrd_header *h, const char *f, const char *v, int lineno, int *seen_dim, int *seen_sizes, struct sarc_err *e)
{
    if (strcmp(f, "dimension") == 0) {
        char *end;
        long d = strtol(v, &end, 10);
        if (end == v || *end || d < 1 || d > NRRD_MAX_DIM)
            return ERR(e, SARC_ERR_FORMAT, "line %d: dimension = '%.20s', expected 1..%d", lineno, v, NRRD_MAX_DIM);
        h->dimension = (int)d;
        *seen_dim = 1;
        return 0;
    }
    /* per-axis fields need the dimension first (the format requires it to come before them) */
    int per_axis = strcmp(f, "sizes") == 0 || strcmp(f, "space directions") == 0 || strcmp(f, "spacings") == 0 || strcmp(f, "kinds") == 0;
    if (per_axis && !*seen_dim)
        return ERR(e, SARC_ERR_FORMAT, "line %d: '%s' before 'dimension'", lineno, f);
    if (strcmp(f, "type") == 0) {
        if (parse_type(v, &h->type))
            return ERR(e, h->type == VT_UNKNOWN && strcmp(v, "block") == 0 ? SARC_ERR_UNSUPPORTED : SARC_ERR_FORMAT,
                       "line %d: type '%.40s' is not a NRRD scalar type", lineno, v);
    } else if (strcmp(f, "sizes") == 0) {
        const char *p = v;
        for (int i = 0; i < h->dimension; i++) {
            char *end;
            long long s = strtoll(p, &end, 10);
            if (end == p || s < 1 || s > INT32_MAX)
                return ERR(e, SARC_ERR_FORMAT, "line %d: sizes[%d] missing or outside 1..%d", lineno, i, INT32_MAX);
            h->sizes[i] = s;
            p = end;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p)
            return ERR(e, SARC_ERR_FORMAT, "line %d: more sizes than dimension = %d", lineno, h->dimension);
        *seen_sizes = 1;
    } else if (strcmp(f, "endian") == 0) {
        if (strcmp(v, "little") == 0)
            h->big_endian = 0;
        else if (strcmp(v, "big") == 0)
            h->big_endian = 1;
        else
            return ERR(e, SARC_ERR_FORMAT, "line %d: endian '%.20s', expected little or big", lineno, v);
    } else if (strcmp(f, "encoding") == 0) {
        if (strcmp(v, "raw") == 0)
            h->encoding = NRRD_ENC_RAW;
        else if (strcmp(v, "gzip") == 0 || strcmp(v, "gz") == 0)
            h->encoding = NRRD_ENC_GZIP;
        else if (strcmp(v, "ascii") == 0 || strcmp(v, "text") == 0 || strcmp(v, "txt") == 0)
            h->encoding = NRRD_ENC_ASCII;
        else
            return ERR(e, SARC_ERR_UNSUPPORTED, "line %d: encoding '%.20s' is not handled (raw, gzip, ascii)", lineno, v);
    } else if (strcmp(f, "space") == 0) {
        if (parse_space(v, h))
            return ERR(e, SARC_ERR_UNSUPPORTED, "line %d: space '%.40s' is not handled", lineno, v);
    } else if (strcmp(f, "space dimension") == 0) {
        char *end;
        long d = strtol(v, &end, 10);
        if (end == v || *end || d < 1 || d > 3)
            return ERR(e, SARC_ERR_UNSUPPORTED, "line %d: space dimension = '%.20s', handled 1..3", lineno, v);
        h->space_dim = (int)d;
        h->space_flip[0] = h->space_flip[1] = h->space_flip[2] = 1;
    } else if (strcmp(f, "space directions") == 0) {
        if (h->space_dim == 0)
            return ERR(e, SARC_ERR_FORMAT, "line %d: space directions without space or space dimension", lineno);
        const char *p = v;
        for (int i = 0; i < h->dimension; i++) {
            while (*p == ' ' || *p == '\t')
                p++;
            if (strncmp(p, "none", 4) == 0) {
                h->dir_none[i] = 1;
                p += 4;
            } else if (parse_vec(&p, h->space_dim, h->dirs[i]))
                return ERR(e, SARC_ERR_FORMAT, "line %d: space directions entry %d is not none or a (%d-vector)", lineno, i, h->space_dim);
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p)
            return ERR(e, SARC_ERR_FORMAT, "line %d: more space directions than dimension = %d", lineno, h->dimension);
        h->has_dirs = 1;
    } else if (strcmp(f, "space origin") == 0) {
        if (h->space_dim == 0)
            return ERR(e, SARC_ERR_FORMAT, "line %d: space origin without space or space dimension", lineno);
        const char *p = v;
        if (parse_vec(&p, h->space_dim, h->origin))
            return ERR(e, SARC_ERR_FORMAT, "line %d: space origin is not a (%d-vector)", lineno, h->space_dim);
        h->has_origin = 1;
    } else if (strcmp(f, "spacings") == 0) {
        const char *p = v;
        for (int i = 0; i < h->dimension; i++) {
            while (*p == ' ' || *p == '\t')
                p++;
            char *end;
            double s = strtod(p, &end);
            if (end == p)
                return ERR(e, SARC_ERR_FORMAT, "line %d: spacings[%d] missing", lineno, i);
            h->spacings[i] = s;
            p = end;
        }
        h->has_spacings = 1;
    } else if (strcmp(f, "kinds") == 0) {
        const char *p = v;
        for (int i = 0; i < h->dimension; i++) {
            while (*p == ' ' || *p == '\t')
                p++;
            size_t n = strcspn(p, " \t");
            if (n == 0)
                return ERR(e, SARC_ERR_FORMAT, "line %d: kinds[%d] missing", lineno, i);
            snprintf(h->kinds[i], sizeof h->kinds[i], "%.*s", (int)(n < 23 ? n : 23), p);
            p += n;
        }
    } else if (strcmp(f, "data file") == 0 || strcmp(f, "datafile") == 0) {
        if (strncmp(v, "LIST", 4) == 0 || strchr(v, '%') || strchr(v, ' '))
            return ERR(e, SARC_ERR_UNSUPPORTED, "line %d: multi-file data ('%.40s') is not handled", lineno, v);
        free(h->data_file);
        if (!(h->data_file = strdup(v)))
            return ERR(e, SARC_ERR_NOMEM, "out of memory");
    } else if (strcmp(f, "byte skip") == 0 || strcmp(f, "byteskip") == 0) {
        char *end;
        long long s = strtoll(v, &end, 10);
        if (end == v || *end || s < -1 || s > ((long long)1 << 40))
            return ERR(e, SARC_ERR_FORMAT, "line %d: byte skip = '%.20s', expected -1..2^40", lineno, v);
        h->byte_skip = s;
    } else if (strcmp(f, "line skip") == 0 || strcmp(f, "lineskip") == 0) {
        char *end;
        long long s = strtoll(v, &end, 10);
        if (end == v || *end || s < 0 || s > ((long long)1 << 30))
            return ERR(e, SARC_ERR_FORMAT, "line %d: line skip = '%.20s', expected 0..2^30", lineno, v);
        h->line_skip = s;
    }
    /* any other field (content, units, centers, measurement frame, ...) does not change decoding */
    return 0;
}

int nrrd_parse_header(const uint8_t *buf, size_t len, struct nrrd_header *h, struct sarc_err *e)
{
    memset(h, 0, sizeof *h);
    const char *p = (const char *)buf, *end = (const char *)buf + len;
    char *line = NULL;
    int rc = 0, lineno = 0, seen_dim = 0, seen_sizes = 0;
    if (len < 8 || memcmp(p, "NRRD000", 7) != 0 || p[7] < '1' || p[7] > '5')
        return ERR(e, SARC_ERR_FORMAT, "not a NRRD file (no NRRD0001..NRRD0005 magic)");
    h->version = p[7] - '0';
    h->encoding = NRRD_ENC_RAW;
    if (!(line = malloc(NRRD_MAX_LINE + 1)))
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t n = (size_t)(le - p);
        if (n > NRRD_MAX_LINE) {
            rc = ERR(e, SARC_ERR_FORMAT, "line %d longer than %d bytes", lineno + 1, NRRD_MAX_LINE);
            goto fail;
        }
        memcpy(line, p, n);
        if (n && line[n - 1] == '\r')
            n--;
        line[n] = 0;
        lineno++;
        p = nl ? nl + 1 : end;
        if (lineno == 1)
            continue; /* the magic */
        if (n == 0) {
            break; /* blank line: data follow */
        }
        if (memchr(line, 0, n)) {
            rc = ERR(e, SARC_ERR_FORMAT, "line %d: NUL byte in the header", lineno);
            goto fail;
        }
        if (line[0] == '#')
            continue;
        char *kv = strstr(line, ":=");
        char *fs = strstr(line, ": ");
        if (kv && (!fs || kv < fs)) {
            if ((rc = kv_add(h, line, (size_t)(kv - line), kv + 2, e)))
                goto fail;
            continue;
        }
        if (!fs) {
            rc = ERR(e, SARC_ERR_FORMAT, "line %d: '%.40s' is neither 'field: value' nor 'key:=value'", lineno, line);
            goto fail;
        }
        *fs = 0;
        char *v = fs + 2;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vl = strlen(v);
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            v[--vl] = 0;
        if ((rc = parse_field(h, line, v, lineno, &seen_dim, &seen_sizes, e)))
            goto fail;
    }
    h->header_len = (size_t)(p - (const char *)buf);
    if (!seen_dim || !seen_sizes) {
        rc = ERR(e, SARC_ERR_FORMAT, "header without %s", !seen_dim ? "dimension" : "sizes");
        goto fail;
    }
    if (h->type == VT_UNKNOWN) {
        rc = ERR(e, SARC_ERR_FORMAT, "header without type");
        goto fail;
    }
    if (h->byte_skip == -1 && h->encoding != NRRD_ENC_RAW) {
        rc = ERR(e, SARC_ERR_FORMAT, "byte skip -1 is only allowed with raw encoding");
        goto fail;
    }
    free(line);
    return 0;
fail:
    free(line);
    nrrd_header_free(h);
    return rc;
}

/* Element i of a raw buffer of type t. */
static double load_elem(const uint8_t *b, enum vtype t, int big)
{
    int n = vtype_size(t);
    uint64_t u = 0;
    for (int k = 0; k < n; k++)
        u |= (uint64_t)b[big ? n - 1 - k : k] << (8 * k);
    switch (t) {
    case VT_U8: return (double)(uint8_t)u;
    case VT_I8: return (double)(int8_t)u;
    case VT_U16: return (double)(uint16_t)u;
    case VT_I16: return (double)(int16_t)u;
    case VT_U32: return (double)(uint32_t)u;
    case VT_I32: return (double)(int32_t)u;
    case VT_U64: return (double)u;
    case VT_I64: return (double)(int64_t)u;
    case VT_F32: {
        uint32_t w = (uint32_t)u;
        float f;
        memcpy(&f, &w, sizeof f);
        return f;
    }
    case VT_F64: {
        double d;
        memcpy(&d, &u, sizeof d);
        return d;
    }
    default: return 0;
    }
}

/* Decodes count values in file order from the data bytes [d, d + n) into out. */
static int decode_values(const struct nrrd_header *h, const uint8_t *d, size_t n, double *out, size_t count, struct sarc_err *e)
{
    const int ws = vtype_size(h->type);
    if (h->encoding == NRRD_ENC_ASCII) {
        /* numbers separated by blanks, commas or line breaks; copied so strtod stops at the end */
        char *t = malloc(n + 1);
        if (!t)
            return ERR(e, SARC_ERR_NOMEM, "out of memory");
        memcpy(t, d, n);
        t[n] = 0;
        char *p = t;
        for (size_t i = 0; i < count; i++) {
            while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ',')
                p++;
            char *q;
            out[i] = strtod(p, &q);
            if (q == p) {
                free(t);
                return ERR(e, SARC_ERR_FORMAT, "ascii data: %zu values, expected %zu", i, count);
            }
            p = q;
        }
        free(t);
        return 0;
    }
    size_t need;
    if (size_mul(count, (size_t)ws, &need))
        return ERR(e, SARC_ERR_RANGE, "data size overflows");
    if (n < need)
        return ERR(e, SARC_ERR_FORMAT, "data has %zu bytes, expected %zu (%zu values of %d bytes)", n, need, count, ws);
    for (size_t i = 0; i < count; i++)
        out[i] = load_elem(d + i * (size_t)ws, h->type, h->big_endian);
    return 0;
}

/* Locates the payload: attached after the header or in the detached file (dir = the header's
 * folder); applies line skip / byte skip and gzip. *data points into *owned or into buf. */
static int payload(const struct nrrd_header *h, const uint8_t *buf, size_t len, const char *dir, size_t need, uint8_t **owned,
                   const uint8_t **data, size_t *n, struct sarc_err *e)
{
    uint8_t *file = NULL;
    const uint8_t *d = NULL;
    size_t dn = 0;
    int rc = 0;
    *owned = NULL;
    if (h->data_file) {
        if (!dir)
            return ERR(e, SARC_ERR_UNSUPPORTED, "detached data file '%s' cannot be read from memory", h->data_file);
        char p[4096];
        if (h->data_file[0] == '/')
            snprintf(p, sizeof p, "%s", h->data_file);
        else if (path_join(p, sizeof p, dir, h->data_file))
            return ERR(e, SARC_ERR_ARG, "data file path too long");
        size_t flen;
        if ((rc = file_read_all(p, &file, &flen, 0, e))) {
            err_prefix(e, "data file %s", h->data_file);
            return rc;
        }
        d = file;
        dn = flen;
    } else {
        d = buf + h->header_len;
        dn = len - h->header_len;
    }
    for (long long k = 0; k < h->line_skip; k++) {
        const uint8_t *nl = dn ? memchr(d, '\n', dn) : NULL;
        if (!nl) {
            rc = ERR(e, SARC_ERR_FORMAT, "line skip %lld: the data have fewer lines", h->line_skip);
            goto fail;
        }
        dn -= (size_t)(nl + 1 - d);
        d = nl + 1;
    }
    if (h->encoding == NRRD_ENC_RAW && h->byte_skip == -1) {
        if (dn < need) {
            rc = ERR(e, SARC_ERR_FORMAT, "data has %zu bytes, expected %zu", dn, need);
            goto fail;
        }
        d += dn - need;
        dn = need;
    } else if (h->encoding != NRRD_ENC_GZIP && h->byte_skip > 0) {
        if ((unsigned long long)h->byte_skip > dn) {
            rc = ERR(e, SARC_ERR_FORMAT, "byte skip %lld beyond the %zu data bytes", h->byte_skip, dn);
            goto fail;
        }
        d += h->byte_skip;
        dn -= (size_t)h->byte_skip;
    }
    if (h->encoding == NRRD_ENC_GZIP) {
        uint8_t *z = NULL;
        size_t zn = 0, maxo;
        /* at most what the header promises (plus the byte skip): a small bomb cannot exhaust memory */
        if (size_add(need, (size_t)(h->byte_skip > 0 ? h->byte_skip : 0), &maxo) || size_add(maxo, 1, &maxo)) {
            rc = ERR(e, SARC_ERR_RANGE, "data size overflows");
            goto fail;
        }
        if ((rc = gzip_decompress(d, dn, &z, &zn, maxo, e))) {
            err_prefix(e, "gzip data");
            goto fail;
        }
        free(file);
        file = z;
        d = z;
        dn = zn;
        if (h->byte_skip > 0) {
            if ((unsigned long long)h->byte_skip > dn) {
                rc = ERR(e, SARC_ERR_FORMAT, "byte skip %lld beyond the %zu decompressed bytes", h->byte_skip, dn);
                goto fail;
            }
            d += h->byte_skip;
            dn -= (size_t)h->byte_skip;
        }
    }
    *owned = file;
    *data = d;
    *n = dn;
    return 0;
fail:
    free(file);
    return rc;
}

/* The segment named (or numbered) sel: its label value and layer. */
static int find_segment(const struct nrrd_header *h, const char *sel, long long *label, long long *layer, struct sarc_err *e)
{
    char key[64];
    int found = -1;
    for (int pass = 0; pass < 2 && found < 0; pass++)
        for (int i = 0; i < 1000; i++) {
            snprintf(key, sizeof key, "Segment%d_%s", i, pass == 0 ? "Name" : "LabelValue");
            const char *v = nrrd_header_kv(h, key);
            if (!v) {
                snprintf(key, sizeof key, "Segment%d_ID", i);
                if (!nrrd_header_kv(h, key))
                    break;
                continue;
            }
            if (strcmp(v, sel) == 0) {
                found = i;
                break;
            }
        }
    if (found < 0) {
        char names[400] = "";
        size_t k = 0;
        for (int i = 0; i < 1000 && k < sizeof names - 80; i++) {
            snprintf(key, sizeof key, "Segment%d_Name", i);
            const char *v = nrrd_header_kv(h, key);
            if (!v)
                break;
            k += (size_t)snprintf(names + k, sizeof names - k, "%s'%.60s'", i ? ", " : "", v);
        }
        return ERR(e, SARC_ERR_ARG, "no segment named '%.60s' (segments: %s)", sel, k ? names : "none: not a segmentation file");
    }
    snprintf(key, sizeof key, "Segment%d_LabelValue", found);
    const char *lv = nrrd_header_kv(h, key);
    *label = 1;
    *layer = 0;
    if (lv) {
        char *end;
        *label = strtoll(lv, &end, 10);
        if (end == lv || *end)
            return ERR(e, SARC_ERR_FORMAT, "%s = '%.20s' is not an integer", key, lv);
    }
    snprintf(key, sizeof key, "Segment%d_Layer", found);
    const char *ly = nrrd_header_kv(h, key);
    if (ly) {
        char *end;
        *layer = strtoll(ly, &end, 10);
        if (end == ly || *end || *layer < 0)
            return ERR(e, SARC_ERR_FORMAT, "%s = '%.20s' is not a layer index", key, ly);
    }
    return 0;
}

static void cross3(const double a[3], const double b[3], double c[3])
{
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}

/* Header + payload -> volume. */
static int decode(const struct nrrd_header *h, const uint8_t *buf, size_t len, const char *dir, const struct volume_read_opts *opts,
                  struct volume *v, struct sarc_err *e)
{
    int rc = 0;
    uint8_t *owned = NULL;
    double *vals = NULL;
    memset(v, 0, sizeof *v);
    /* spatial axes: those with a space direction; without directions, non-"list"-like kinds */
    int sa[NRRD_MAX_DIM], nsa = 0, na[NRRD_MAX_DIM], nna = 0;
    for (int i = 0; i < h->dimension; i++) {
        int spatial;
        if (h->has_dirs)
            spatial = !h->dir_none[i];
        else if (h->kinds[i][0])
            spatial = strcmp(h->kinds[i], "domain") == 0 || strcmp(h->kinds[i], "space") == 0;
        else
            spatial = nsa < 3;
        if (spatial && nsa < 3)
            sa[nsa++] = i;
        else
            na[nna++] = i;
    }
    if (nsa == 0)
        return ERR(e, SARC_ERR_UNSUPPORTED, "no spatial axis (every space direction is none)");
    int64_t ext = 1; /* product of the non-spatial axes */
    int nbig = 0, big_axis = -1;
    for (int k = 0; k < nna; k++) {
        ext *= h->sizes[na[k]];
        if (h->sizes[na[k]] > 1) {
            nbig++;
            big_axis = na[k];
        }
    }
    if (nbig > 1)
        return ERR(e, SARC_ERR_UNSUPPORTED, "%d non-spatial axes with more than one sample; at most one is handled", nbig);
    size_t count = 1, need;
    for (int i = 0; i < h->dimension; i++)
        if (size_mul(count, (size_t)h->sizes[i], &count) || count > ((size_t)1 << 33))
            return ERR(e, SARC_ERR_RANGE, "more than 2^33 values");
    if (size_mul(count, (size_t)vtype_size(h->type), &need))
        return ERR(e, SARC_ERR_RANGE, "data size overflows");
    /* selection along the non-spatial axis */
    long long label = 0, layer = 0;
    int want_seg = opts && opts->segment;
    int64_t pick = -1;
    if (want_seg) {
        if ((rc = find_segment(h, opts->segment, &label, &layer, e)))
            return rc;
        if (layer >= ext)
            return ERR(e, SARC_ERR_FORMAT, "segment '%s' is in layer %lld, but the file has %lld layer(s)", opts->segment, layer, (long long)ext);
        pick = layer;
    } else if (opts && opts->frame >= 0) {
        if (opts->frame >= ext)
            return ERR(e, SARC_ERR_ARG, "--frame %d: the file has %lld frame(s)", opts->frame, (long long)ext);
        pick = opts->frame;
    }
    int64_t dim[4] = {1, 1, 1, 1};
    for (int k = 0; k < nsa; k++)
        dim[k] = h->sizes[sa[k]];
    dim[3] = pick >= 0 ? 1 : ext;
    /* the data must be there before anything is allocated for them (a small file cannot make
     * us allocate what its sizes claim): raw/gzip need every byte, ascii one character per value */
    const uint8_t *d = NULL;
    size_t dn = 0;
    if ((rc = payload(h, buf, len, dir, need, &owned, &d, &dn, e)))
        return rc;
    if (h->encoding == NRRD_ENC_ASCII ? dn < count : dn < need) {
        rc = ERR(e, SARC_ERR_FORMAT, "data has %zu bytes, expected %s%zu (%zu values of %d bytes)", dn,
                 h->encoding == NRRD_ENC_ASCII ? "at least " : "", h->encoding == NRRD_ENC_ASCII ? count : need, count,
                 h->encoding == NRRD_ENC_ASCII ? 1 : vtype_size(h->type));
        free(owned);
        return rc;
    }
    if ((rc = volume_alloc(v, dim[3] > 1 ? 4 : 3, dim, e))) {
        free(owned);
        return rc;
    }
    if (!(vals = malloc(sizeof(double) * count))) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((rc = decode_values(h, d, dn, vals, count, e)))
        goto fail;
    /* file strides, then gather into (spatial..., non-spatial) order */
    size_t stride[NRRD_MAX_DIM];
    stride[0] = 1;
    for (int i = 1; i < h->dimension; i++)
        stride[i] = stride[i - 1] * (size_t)h->sizes[i - 1];
    size_t s0 = stride[sa[0]], s1 = nsa > 1 ? stride[sa[1]] : 0, s2 = nsa > 2 ? stride[sa[2]] : 0;
    size_t st = big_axis >= 0 ? stride[big_axis] : 0;
    size_t o = 0;
    for (int64_t t = 0; t < dim[3]; t++) {
        size_t bt = (size_t)(pick >= 0 ? pick : t) * st;
        for (int64_t z = 0; z < dim[2]; z++)
            for (int64_t y = 0; y < dim[1]; y++) {
                const double *src = vals + bt + (size_t)z * s2 + (size_t)y * s1;
                for (int64_t x = 0; x < dim[0]; x++)
                    v->data[o++] = src[(size_t)x * s0];
            }
    }
    v->type = h->type;
    if (want_seg) {
        for (size_t i = 0; i < o; i++)
            v->data[i] = v->data[i] == (double)label;
        v->type = VT_U8;
    }
    /* geometry: columns = space directions of the spatial axes, in RAS */
    double A[4][4] = {{0}};
    A[3][3] = 1;
    for (int k = 0; k < 3; k++) {
        if (k < nsa && h->has_dirs)
            for (int r = 0; r < 3; r++)
                A[r][k] = (r < h->space_dim ? h->dirs[sa[k]][r] : 0) * h->space_flip[r] + 0.0;
        else if (k < nsa) {
            double s = h->has_spacings && isfinite(h->spacings[sa[k]]) && h->spacings[sa[k]] != 0 ? h->spacings[sa[k]] : 1;
            A[k][k] = s;
        }
    }
    if (h->has_origin)
        for (int r = 0; r < 3 && r < h->space_dim; r++)
            A[r][3] = h->origin[r] * h->space_flip[r] + 0.0;
    /* missing columns (1-D/2-D images, 2-D spaces): unit vectors completing a right-handed frame */
    if (nsa < 3 || h->space_dim < 3) {
        for (int k = 0; k < 3; k++) {
            double n = sqrt(A[0][k] * A[0][k] + A[1][k] * A[1][k] + A[2][k] * A[2][k]);
            if (n > 0)
                continue;
            double a[3] = {A[0][(k + 1) % 3], A[1][(k + 1) % 3], A[2][(k + 1) % 3]};
            double b[3] = {A[0][(k + 2) % 3], A[1][(k + 2) % 3], A[2][(k + 2) % 3]}, c[3];
            cross3(a, b, c);
            double cn = sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
            for (int r = 0; r < 3; r++)
                A[r][k] = cn > 0 ? c[r] / cn : (r == k);
        }
    }
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            if (!isfinite(A[r][c])) {
                rc = ERR(e, SARC_ERR_FORMAT, "space directions or origin hold a non-finite value");
                goto fail;
            }
    memcpy(v->affine, A, sizeof A);
    memcpy(v->qform, A, sizeof A);
    memcpy(v->sform, A, sizeof A);
    v->qform_code = v->sform_code = 1;
    volume_spacing_from_affine(v->affine, v->spacing);
    v->spacing[3] = 1;
    v->scl_slope = 0;
    v->scl_inter = 0;
    snprintf(v->format, sizeof v->format, "nrrd");
    free(owned);
    free(vals);
    return 0;
fail:
    free(owned);
    free(vals);
    volume_free(v);
    return rc;
}

int nrrd_parse(const uint8_t *buf, size_t len, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e)
{
    struct nrrd_header h;
    memset(v, 0, sizeof *v);
    int rc = nrrd_parse_header(buf, len, &h, e);
    if (rc)
        return rc;
    rc = decode(&h, buf, len, NULL, opts, v, e);
    nrrd_header_free(&h);
    return rc;
}

int nrrd_read(const char *path, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct nrrd_header h;
    memset(v, 0, sizeof *v);
    int rc = file_read_all(path, &buf, &len, 0, e);
    if (rc)
        return rc;
    if ((rc = nrrd_parse_header(buf, len, &h, e)) == 0) {
        char dir[4096];
        path_dirname(dir, sizeof dir, path);
        if (!h.data_file && path_has_suffix(path, ".nhdr"))
            rc = ERR(e, SARC_ERR_FORMAT, "detached header (.nhdr) without a 'data file' field");
        else
            rc = decode(&h, buf, len, dir, opts, v, e);
        nrrd_header_free(&h);
    }
    free(buf);
    if (rc == 0) {
        struct audit_step *st = audit_step_begin("nrrd_read");
        audit_input_file(st, "nrrd", path);
        if (opts && opts->segment)
            audit_param_str(st, "segment", opts->segment);
        audit_output_volume(st, "volume", v);
        audit_step_end(st);
    }
    return rc;
}

/* ---- writer ---- */

/* 1 if every value is finite, integral and inside t's range. */
static int fits_type(const struct volume *v, enum vtype t)
{
    double lo, hi;
    if (!vtype_is_int(t))
        return 1;
    if (!vtype_range(t, &lo, &hi))
        return 0;
    int64_t n = volume_count(v);
    for (int64_t i = 0; i < n; i++) {
        double x = v->data[i];
        if (!(x >= lo && x <= hi) || x != floor(x))
            return 0;
    }
    return 1;
}

static void store_elem(uint8_t *b, enum vtype t, double x)
{
    uint64_t u;
    int n = vtype_size(t);
    switch (t) {
    case VT_F32: {
        float f = (float)x;
        uint32_t w;
        memcpy(&w, &f, sizeof w);
        u = w;
        break;
    }
    case VT_F64: memcpy(&u, &x, sizeof u); break;
    case VT_U64: u = (uint64_t)x; break;
    default: u = (uint64_t)(int64_t)x; break;
    }
    for (int k = 0; k < n; k++)
        b[k] = (uint8_t)(u >> (8 * k));
}

int nrrd_write(const char *path, const struct volume *v, const struct volume_write_opts *opts, struct sarc_err *e)
{
    if (!v || !v->data)
        return ERR(e, SARC_ERR_ARG, "nrrd_write: no volume");
    enum vtype t = opts && opts->type != VT_UNKNOWN ? opts->type : v->type;
    if (t == VT_UNKNOWN || (!(opts && opts->type != VT_UNKNOWN) && !fits_type(v, t)))
        t = VT_F32;
    if (opts && opts->type != VT_UNKNOWN && !fits_type(v, t))
        return ERR(e, SARC_ERR_RANGE, "values do not fit the requested type %s", vtype_name(t));
    const int ws = vtype_size(t);
    const int64_t n = volume_count(v);
    size_t nbytes;
    if (size_mul((size_t)n, (size_t)ws, &nbytes))
        return ERR(e, SARC_ERR_RANGE, "volume too large");
    uint8_t *raw = malloc(nbytes ? nbytes : 1), *z = NULL, *out = NULL;
    char *hdr = NULL;
    size_t hn = 0, zn = 0;
    int rc = 0;
    if (!raw)
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++)
        store_elem(raw + (size_t)i * (size_t)ws, t, v->data[i]);
    int gz = 1;
    rc = gzip_compress(raw, nbytes, opts && opts->level ? opts->level : 6, &z, &zn, e);
    if (rc == SARC_ERR_UNSUPPORTED) {
        gz = 0;
        rc = 0;
    } else if (rc)
        goto done;
    FILE *f = open_memstream(&hdr, &hn);
    if (!f) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    const int nd = v->dim[3] > 1 ? 4 : 3;
    fprintf(f, "NRRD0004\n# Complete NRRD file format specification at:\n# http://teem.sourceforge.net/nrrd/format.html\n");
    fprintf(f, "type: %s\ndimension: %d\nspace: left-posterior-superior\nsizes:", type_name(t), nd);
    for (int i = 0; i < nd; i++)
        fprintf(f, " %lld", (long long)v->dim[i]);
    /* RAS -> LPS: negate x and y rows */
    fprintf(f, "\nspace directions:");
    for (int c = 0; c < 3; c++)
        fprintf(f, " (%.17g,%.17g,%.17g)", -v->affine[0][c] + 0.0, -v->affine[1][c] + 0.0, v->affine[2][c]);
    fprintf(f, "%s\nkinds: domain domain domain%s\nendian: little\nencoding: %s\n", nd == 4 ? " none" : "", nd == 4 ? " list" : "",
            gz ? "gzip" : "raw");
    fprintf(f, "space origin: (%.17g,%.17g,%.17g)\n\n", -v->affine[0][3] + 0.0, -v->affine[1][3] + 0.0, v->affine[2][3]);
    if (fclose(f) != 0) {
        rc = ERR(e, SARC_ERR_NOMEM, "cannot build the header");
        goto done;
    }
    const uint8_t *body = gz ? z : raw;
    size_t bn = gz ? zn : nbytes, total;
    if (size_add(hn, bn, &total) || !(out = malloc(total))) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    memcpy(out, hdr, hn);
    memcpy(out + hn, body, bn);
    if ((rc = file_write_atomic(path, out, total, e)) == 0) {
        struct audit_step *st = audit_step_begin("nrrd_write");
        audit_param_str(st, "type", type_name(t));
        audit_param_str(st, "encoding", gz ? "gzip" : "raw");
        audit_input_volume(st, "volume", v);
        audit_output_file(st, "nrrd", path);
        audit_step_end(st);
    }
done:
    free(raw);
    free(z);
    free(hdr);
    free(out);
    return rc;
}
