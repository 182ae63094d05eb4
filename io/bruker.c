/* bruker.c - Bruker ParaVision 2dseq reader (visu_pars for PV 6/360; reco + d3proc for PV 5 and
 * older) and a minimal ParaVision-style writer for the phantom generator.
 *
 * Fields used (ParaVision "Visu" parameters): VisuCoreDim, VisuCoreSize, VisuCoreWordType,
 * VisuCoreByteOrder, VisuCoreFrameCount, VisuFGOrderDesc (len, <id>, <comment>, valsStart,
 * valsCnt), VisuCoreDataSlope/VisuCoreDataOffs (per frame: physical = stored * slope + offs),
 * VisuCoreExtent, VisuCoreFrameThickness, VisuCorePosition, VisuCoreOrientation. Fallback:
 * RECO_size, RECO_wordtype, RECO_byte_order, RECO_map_slope/RECO_map_offset (physical =
 * stored / map_slope + map_offset), RECO_fov (cm), RECO_transposition (axes swapped on disk),
 * d3proc IM_SIZ/IM_SIT.
 *
 * Layout of the result: x (first VisuCoreSize entry) fastest, then y, then z (3D core) or the
 * FG_SLICE index (2D core), then every other frame group flattened in frame order (the first
 * listed group varies fastest) as the 4th dimension.
 *
 * Geometry (ParaVision patient coordinates are DICOM LPS): VisuCoreOrientation is a 3x3 matrix M
 * whose rows are the image axes in patient space; the LPS affine has column i = M row 0 * dx,
 * column j = M row 1 * dy, column k = M row 2 * dz (3D) or, for 2D multi-slice data, the vector
 * between the positions of slices 0 and 1 (so the slice spacing is the distance between slice
 * positions, not the slice thickness; a single slice uses the thickness along M row 2).
 * Translation = VisuCorePosition of the first slice = centre of the first voxel. We return
 * RAS (NIfTI) = diag(-1, -1, 1, 1) * LPS. VisuSubjectPosition is not applied again: the Visu
 * geometry is already in patient coordinates. Slices of different orientation and unevenly spaced
 * slices are refused (no regular volume). The reco fallback has no orientation: axis-aligned LPS
 * with origin 0.
 * Deliberately left out: complex data (VisuCoreFrameType COMPLEX pairs are read as frames),
 * 1-D cores, 64-bit words.
 * Covered by test/io/test_bruker.c (every dataset of ../shared/data/bruker against EXPECTED.json,
 * the reco fallback, bad input, write -> read round trip). */
#include "io/bruker.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "io/file.h"
#include "io/jcamp.h"

#define MAX_GROUPS 16
#define MAX_FRAMES ((int64_t)1 << 24)

/* Everything needed to decode a 2dseq (sizes, type, scaling, layout, geometry). */
struct bdesc {
    int core_dim;        /* 2 or 3 */
    int64_t size[3];     /* core extents; size[2] = 1 for 2D */
    enum vtype type;
    int big_endian;
    char word[32];
    int64_t nframes;
    double *slope, *offs; /* [nframes], malloc'ed */
    int ngroups;
    int64_t glen[MAX_GROUPS];
    char gid[MAX_GROUPS][32];
    int slice_group;     /* index of FG_SLICE in a 2D core, or -1 */
    int64_t nslices;     /* 1 for 3D cores and single slices */
    int64_t nothers;     /* nframes / nslices */
    double spacing[3];
    double lps[4][4];
    char source[16];
};

static void bdesc_free(struct bdesc *d)
{
    free(d->slope);
    free(d->offs);
    d->slope = d->offs = NULL;
}

/* The ParaVision word types we read (VisuCoreWordType / RECO_wordtype), as named in messages. */
#define WORD_TYPES "_8BIT_UNSGN_INT, _8BIT_SGN_INT, _16BIT_SGN_INT, _16BIT_UNSGN_INT, _32BIT_SGN_INT, _32BIT_UNSGN_INT or _32BIT_FLOAT"

/* ParaVision word type w (one of WORD_TYPES) into *t; -1 if w is NULL or not one of them. */
static int word_type(const char *w, enum vtype *t)
{
    if (!w)
        return -1;
    if (strcmp(w, "_8BIT_UNSGN_INT") == 0)
        *t = VT_U8;
    else if (strcmp(w, "_8BIT_SGN_INT") == 0)
        *t = VT_I8;
    else if (strcmp(w, "_16BIT_SGN_INT") == 0)
        *t = VT_I16;
    else if (strcmp(w, "_16BIT_UNSGN_INT") == 0)
        *t = VT_U16;
    else if (strcmp(w, "_32BIT_SGN_INT") == 0)
        *t = VT_I32;
    else if (strcmp(w, "_32BIT_UNSGN_INT") == 0)
        *t = VT_U32;
    else if (strcmp(w, "_32BIT_FLOAT") == 0)
        *t = VT_F32;
    else
        return -1;
    return 0;
}

/* A whole number in [lo, hi] (the parameter's n-th numeric value). */
static int get_int(const struct jcamp *j, const char *name, int n, long long lo, long long hi, long long *out, struct sarc_err *e)
{
    double v[64];
    int k = jcamp_nums(j, name, v, 64);
    if (k < 0)
        return ERR(e, SARC_ERR_FORMAT, "%s is missing or not numeric", name);
    if (n >= k || n >= 64)
        return ERR(e, SARC_ERR_FORMAT, "%s has %d values, expected at least %d", name, k, n + 1);
    if (!(v[n] >= (double)lo && v[n] <= (double)hi) || v[n] != floor(v[n]))
        return ERR(e, SARC_ERR_RANGE, "%s[%d] = %g, expected a whole number in %lld..%lld", name, n, v[n], lo, hi);
    *out = (long long)v[n];
    return 0;
}

/* Per-frame values of name into out[nframes]: absent -> def, one value -> broadcast, else exactly
 * nframes values. */
static int per_frame(const struct jcamp *j, const char *name, int64_t nframes, double def, double *out, struct sarc_err *e)
{
    int k = jcamp_count(j, name);
    if (k < 0) {
        for (int64_t f = 0; f < nframes; f++)
            out[f] = def;
        return 0;
    }
    if (k != 1 && k != nframes)
        return ERR(e, SARC_ERR_FORMAT, "%s has %d values, expected 1 or %lld (one per frame)", name, k, (long long)nframes);
    int got = jcamp_nums(j, name, out, (int)nframes);
    if (got != k)
        return ERR(e, SARC_ERR_FORMAT, "%s is not numeric", name);
    for (int64_t f = 0; f < nframes; f++) {
        if (k == 1)
            out[f] = out[0];
        if (!isfinite(out[f]))
            return ERR(e, SARC_ERR_FORMAT, "%s[%lld] is not finite", name, (long long)f);
    }
    return 0;
}

static int alloc_scaling(struct bdesc *d, struct sarc_err *e)
{
    d->slope = malloc(sizeof(double) * (size_t)d->nframes);
    d->offs = malloc(sizeof(double) * (size_t)d->nframes);
    if (!d->slope || !d->offs)
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    return 0;
}

/* Frame groups from VisuFGOrderDesc: a list of structs (len, <id>, <comment>, start, count). */
static int read_groups(const struct jcamp *j, struct bdesc *d, struct sarc_err *e)
{
    const struct jcamp_param *p = jcamp_find(j, "VisuFGOrderDesc");
    d->ngroups = 0;
    if (!p)
        return 0;
    if (p->nval > MAX_GROUPS)
        return ERR(e, SARC_ERR_UNSUPPORTED, "VisuFGOrderDesc has %d frame groups, at most %d handled", p->nval, MAX_GROUPS);
    int64_t prod = 1;
    for (int g = 0; g < p->nval; g++) {
        const struct jcamp_value *s = &p->val[g];
        if (s->kind != JV_STRUCT || s->nchild < 2 || s->child[0].kind != JV_NUM ||
            (s->child[1].kind != JV_STR && s->child[1].kind != JV_WORD))
            return ERR(e, SARC_ERR_FORMAT, "VisuFGOrderDesc[%d] is not (len, <id>, ...)", g);
        double len = s->child[0].num;
        if (!(len >= 1 && len <= (double)MAX_FRAMES) || len != floor(len))
            return ERR(e, SARC_ERR_RANGE, "VisuFGOrderDesc[%d] length = %g, expected 1..%lld", g, len, (long long)MAX_FRAMES);
        d->glen[g] = (int64_t)len;
        snprintf(d->gid[g], sizeof d->gid[g], "%s", s->child[1].text);
        if (prod > MAX_FRAMES / d->glen[g])
            return ERR(e, SARC_ERR_RANGE, "VisuFGOrderDesc: more than %lld frames", (long long)MAX_FRAMES);
        prod *= d->glen[g];
    }
    d->ngroups = p->nval;
    if (prod != d->nframes)
        return ERR(e, SARC_ERR_FORMAT, "VisuFGOrderDesc lengths multiply to %lld, but VisuCoreFrameCount = %lld", (long long)prod,
                   (long long)d->nframes);
    return 0;
}

/* Frame f -> index within group g (first group fastest). */
static int64_t group_index(const struct bdesc *d, int64_t f, int g)
{
    int64_t stride = 1;
    for (int k = 0; k < g; k++)
        stride *= d->glen[k];
    return (f / stride) % d->glen[g];
}

static double dist3(const double *a, const double *b)
{
    return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}

/* Geometry from VisuCoreExtent / Orientation / Position / FrameThickness. */
static int visu_geometry(const struct jcamp *j, struct bdesc *d, struct sarc_err *e)
{
    double ext[3] = {1, 1, 1};
    int k = jcamp_nums(j, "VisuCoreExtent", ext, 3);
    if (k != d->core_dim)
        return ERR(e, SARC_ERR_FORMAT, "VisuCoreExtent has %d values, expected %d (VisuCoreDim)", k, d->core_dim);
    for (int i = 0; i < d->core_dim; i++) {
        if (!(ext[i] > 0 && isfinite(ext[i])))
            return ERR(e, SARC_ERR_RANGE, "VisuCoreExtent[%d] = %g, expected > 0", i, ext[i]);
        d->spacing[i] = ext[i] / (double)d->size[i];
    }
    double thick = 1;
    if (jcamp_nums(j, "VisuCoreFrameThickness", &thick, 1) < 1 || !(thick > 0 && isfinite(thick)))
        thick = 1;

    /* orientation rows (9 per row) and positions (3 per row) */
    int no = jcamp_count(j, "VisuCoreOrientation"), np = jcamp_count(j, "VisuCorePosition");
    double *orient = NULL, *pos = NULL;
    int rc = 0;
    if (no < 0 || np < 0) {
        /* no geometry: axis-aligned at the origin */
        static const double id9[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        orient = malloc(sizeof id9);
        pos = calloc(3, sizeof(double));
        if (!orient || !pos) {
            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
            goto done;
        }
        memcpy(orient, id9, sizeof id9);
        no = 9;
        np = 3;
    } else {
        if (no < 9 || no % 9 || np < 3 || np % 3) {
            rc = ERR(e, SARC_ERR_FORMAT, "VisuCoreOrientation has %d values and VisuCorePosition %d; expected rows of 9 and 3", no, np);
            goto done;
        }
        orient = malloc(sizeof(double) * (size_t)no);
        pos = malloc(sizeof(double) * (size_t)np);
        if (!orient || !pos) {
            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
            goto done;
        }
        if (jcamp_nums(j, "VisuCoreOrientation", orient, no) != no || jcamp_nums(j, "VisuCorePosition", pos, np) != np) {
            rc = ERR(e, SARC_ERR_FORMAT, "VisuCoreOrientation or VisuCorePosition is not numeric");
            goto done;
        }
        for (int i = 0; i < no; i++)
            if (!isfinite(orient[i]) || (i < np && !isfinite(pos[i]))) {
                rc = ERR(e, SARC_ERR_FORMAT, "VisuCoreOrientation or VisuCorePosition holds a non-finite value");
                goto done;
            }
    }
    /* every slice must share the orientation of the first */
    for (int r = 1; r < no / 9; r++)
        for (int c = 0; c < 9; c++)
            if (fabs(orient[9 * r + c] - orient[c]) > 1e-6) {
                rc = ERR(e, SARC_ERR_UNSUPPORTED, "slices of different orientation (VisuCoreOrientation row %d differs from row 0): "
                         "not a regular volume", r);
                goto done;
            }
    /* the rows of M must be unit vectors */
    for (int r = 0; r < 3; r++) {
        double n = sqrt(orient[3 * r] * orient[3 * r] + orient[3 * r + 1] * orient[3 * r + 1] + orient[3 * r + 2] * orient[3 * r + 2]);
        if (fabs(n - 1) > 1e-3) {
            rc = ERR(e, SARC_ERR_FORMAT, "VisuCoreOrientation row %d has length %g, expected 1", r, n);
            goto done;
        }
    }
    memset(d->lps, 0, sizeof d->lps);
    d->lps[3][3] = 1;
    for (int r = 0; r < 3; r++) {
        d->lps[r][0] = orient[r] * d->spacing[0];
        d->lps[r][1] = orient[3 + r] * d->spacing[1];
        d->lps[r][3] = pos[r];
    }
    if (d->core_dim == 3) {
        for (int r = 0; r < 3; r++)
            d->lps[r][2] = orient[6 + r] * d->spacing[2];
    } else if (d->nslices >= 2) {
        /* positions of the slices: one row per slice, or one per frame */
        int64_t rows = np / 3, stride = 1;
        for (int g = 0; g < d->slice_group; g++)
            stride *= d->glen[g];
        if (rows == 1) {
            /* one position for the whole stack: slice distance from the slice package (else the
             * thickness) along the slice normal */
            double dist = 0;
            if (jcamp_nums(j, "VisuCoreSlicePacksSliceDist", &dist, 1) < 1 || !(dist > 0 && isfinite(dist)))
                dist = thick;
            for (int r = 0; r < 3; r++)
                d->lps[r][2] = orient[6 + r] * dist;
            d->spacing[2] = dist;
            goto done;
        }
        if (rows != d->nslices && rows != d->nframes) {
            rc = ERR(e, SARC_ERR_FORMAT, "VisuCorePosition has %lld rows, expected one per slice (%lld) or per frame (%lld)",
                     (long long)rows, (long long)d->nslices, (long long)d->nframes);
            goto done;
        }
        int64_t step = rows == d->nslices ? 1 : stride;
        const double *p0 = pos, *p1 = pos + 3 * step;
        double dz = dist3(p0, p1);
        if (!(dz > 1e-9)) {
            rc = ERR(e, SARC_ERR_UNSUPPORTED, "slices 0 and 1 have the same position: not a regular volume");
            goto done;
        }
        /* equally spaced along one line, else no affine describes the stack */
        for (int64_t s = 2; s < d->nslices; s++) {
            const double *ps = pos + 3 * s * step;
            for (int c = 0; c < 3; c++)
                if (fabs(ps[c] - (p0[c] + (double)s * (p1[c] - p0[c]))) > 1e-3 * (1 + dz)) {
                    rc = ERR(e, SARC_ERR_UNSUPPORTED, "slice %lld is not equally spaced from slices 0 and 1: not a regular volume",
                             (long long)s);
                    goto done;
                }
        }
        for (int r = 0; r < 3; r++)
            d->lps[r][2] = p1[r] - p0[r];
        d->spacing[2] = dz;
    } else {
        for (int r = 0; r < 3; r++)
            d->lps[r][2] = orient[6 + r] * thick;
        d->spacing[2] = thick;
    }
done:
    free(orient);
    free(pos);
    return rc;
}

/* ParaVision 6 and later (and 5.1 with visu_pars): fills d from the VisuCore* parameters (dims,
 * word type, byte order, frame count and groups, per-frame slope/offset, geometry). Errors name
 * the parameter, its value and what was expected. */
static int describe_visu(const struct jcamp *j, struct bdesc *d, struct sarc_err *e)
{
    long long v;
    int rc;
    if ((rc = get_int(j, "VisuCoreDim", 0, 1, 4, &v, e)))
        return rc;
    if (v < 2 || v > 3)
        return ERR(e, SARC_ERR_UNSUPPORTED, "VisuCoreDim = %lld: only 2D and 3D cores are handled", v);
    d->core_dim = (int)v;
    if (jcamp_count(j, "VisuCoreSize") != d->core_dim)
        return ERR(e, SARC_ERR_FORMAT, "VisuCoreSize has %d values, expected %d (VisuCoreDim)", jcamp_count(j, "VisuCoreSize"), d->core_dim);
    d->size[2] = 1;
    for (int i = 0; i < d->core_dim; i++) {
        if ((rc = get_int(j, "VisuCoreSize", i, 1, INT32_MAX, &v, e)))
            return rc;
        d->size[i] = v;
    }
    const char *w = jcamp_str(j, "VisuCoreWordType");
    if (!w)
        return ERR(e, SARC_ERR_FORMAT, "VisuCoreWordType is missing");
    if (word_type(w, &d->type))
        return ERR(e, SARC_ERR_UNSUPPORTED, "VisuCoreWordType = %.40s, expected " WORD_TYPES, w);
    snprintf(d->word, sizeof d->word, "%s", w);
    const char *bo = jcamp_str(j, "VisuCoreByteOrder");
    if (bo && strcmp(bo, "bigEndian") == 0)
        d->big_endian = 1;
    else if (bo && strcmp(bo, "littleEndian") != 0)
        return ERR(e, SARC_ERR_FORMAT, "VisuCoreByteOrder = %.40s, expected littleEndian or bigEndian", bo);
    d->nframes = 1;
    if (jcamp_find(j, "VisuCoreFrameCount")) {
        if ((rc = get_int(j, "VisuCoreFrameCount", 0, 1, MAX_FRAMES, &v, e)))
            return rc;
        d->nframes = v;
    }
    if ((rc = read_groups(j, d, e)))
        return rc;
    if ((rc = alloc_scaling(d, e)) || (rc = per_frame(j, "VisuCoreDataSlope", d->nframes, 1, d->slope, e)) ||
        (rc = per_frame(j, "VisuCoreDataOffs", d->nframes, 0, d->offs, e)))
        return rc;
    /* layout: FG_SLICE of a 2D core becomes z; the other groups the 4th dimension */
    d->slice_group = -1;
    d->nslices = 1;
    if (d->core_dim == 2)
        for (int g = 0; g < d->ngroups; g++)
            if (strcmp(d->gid[g], "FG_SLICE") == 0) {
                d->slice_group = g;
                d->nslices = d->glen[g];
                break;
            }
    d->nothers = d->nframes / d->nslices;
    snprintf(d->source, sizeof d->source, "visu_pars");
    return visu_geometry(j, d, e);
}

/* PV 5 and older without visu_pars: reco (+ d3proc for the frame count, acqp for slice spacing). */
static int describe_reco(const struct jcamp *reco, const struct jcamp *d3, const struct jcamp *acqp, struct bdesc *d, struct sarc_err *e)
{
    int rc;
    long long v;
    int n = jcamp_count(reco, "RECO_size");
    if (n != 2 && n != 3)
        return ERR(e, SARC_ERR_FORMAT, "RECO_size has %d values, expected 2 or 3", n);
    d->core_dim = n;
    d->size[2] = 1;
    for (int i = 0; i < n; i++) {
        if ((rc = get_int(reco, "RECO_size", i, 1, INT32_MAX, &v, e)))
            return rc;
        d->size[i] = v;
    }
    /* RECO_transposition k > 0: axes k-1 and k are swapped on disk (RECO_size is the
     * acquisition order); every frame must use the same one */
    double tr[1] = {0};
    if (jcamp_nums(reco, "RECO_transposition", tr, 1) >= 1 && tr[0] != 0) {
        int k = jcamp_count(reco, "RECO_transposition");
        double *all = malloc(sizeof(double) * (size_t)k);
        if (!all)
            return ERR(e, SARC_ERR_NOMEM, "out of memory");
        int same = jcamp_nums(reco, "RECO_transposition", all, k) == k;
        for (int i = 1; same && i < k; i++)
            same = all[i] == all[0];
        free(all);
        if (!same)
            return ERR(e, SARC_ERR_UNSUPPORTED, "RECO_transposition differs between frames");
        if (!(tr[0] == 1 || (tr[0] == 2 && n == 3) || (tr[0] == 3 && n == 3)))
            return ERR(e, SARC_ERR_FORMAT, "RECO_transposition = %g, expected 0..%d", tr[0], n);
    }
    const int transpose = (int)tr[0];
    const char *w = jcamp_str(reco, "RECO_wordtype");
    if (!w)
        return ERR(e, SARC_ERR_FORMAT, "RECO_wordtype is missing");
    if (word_type(w, &d->type))
        return ERR(e, SARC_ERR_UNSUPPORTED, "RECO_wordtype = %.40s, expected " WORD_TYPES, w);
    snprintf(d->word, sizeof d->word, "%s", w);
    const char *bo = jcamp_str(reco, "RECO_byte_order");
    d->big_endian = bo && strcmp(bo, "bigEndian") == 0;
    /* frames: d3proc IM_SIZ * IM_SIT (2D) or IM_SIT (3D), else one per RECO_map_slope value */
    d->nframes = 0;
    if (d3 && jcamp_find(d3, "IM_SIT")) {
        long long siz = 1, sit = 1;
        if ((rc = get_int(d3, "IM_SIT", 0, 1, MAX_FRAMES, &sit, e)))
            return rc;
        if (n == 2 && (rc = get_int(d3, "IM_SIZ", 0, 1, MAX_FRAMES, &siz, e)))
            return rc;
        d->nframes = siz * sit;
        d->nslices = n == 2 ? siz : 1;
    } else {
        int k = jcamp_count(reco, "RECO_map_slope");
        d->nframes = k > 0 ? k : 1;
        d->nslices = n == 2 ? d->nframes : 1;
    }
    if (d->nframes > MAX_FRAMES)
        return ERR(e, SARC_ERR_RANGE, "%lld frames, at most %lld", (long long)d->nframes, (long long)MAX_FRAMES);
    d->nothers = d->nframes / d->nslices;
    d->slice_group = -1;
    if ((rc = alloc_scaling(d, e)))
        return rc;
    double *ms = d->slope;
    if ((rc = per_frame(reco, "RECO_map_slope", d->nframes, 1, ms, e)) ||
        (rc = per_frame(reco, "RECO_map_offset", d->nframes, 0, d->offs, e)))
        return rc;
    for (int64_t f = 0; f < d->nframes; f++) {
        if (ms[f] == 0)
            return ERR(e, SARC_ERR_FORMAT, "RECO_map_slope[%lld] = 0", (long long)f);
        d->slope[f] = 1.0 / ms[f];
    }
    /* spacing: RECO_fov is in cm */
    double fov[3] = {0, 0, 0};
    int nf = jcamp_nums(reco, "RECO_fov", fov, 3);
    for (int i = 0; i < 3; i++) {
        d->spacing[i] = 1;
        if (i < n && nf >= i + 1 && fov[i] > 0 && isfinite(fov[i]))
            d->spacing[i] = fov[i] * 10.0 / (double)d->size[i];
    }
    if (transpose) {
        /* the disk layout swaps axes a and b (3 = first and last of a 3D core) */
        int a = transpose == 3 ? 0 : transpose - 1, b = transpose == 3 ? 2 : transpose;
        int64_t ts = d->size[a];
        d->size[a] = d->size[b];
        d->size[b] = ts;
        double tsp = d->spacing[a];
        d->spacing[a] = d->spacing[b];
        d->spacing[b] = tsp;
    }
    if (n == 2) {
        double sep = 0;
        if (acqp && jcamp_nums(acqp, "ACQ_slice_sepn", &sep, 1) >= 1 && sep > 0 && isfinite(sep))
            d->spacing[2] = sep;
        else if (acqp && jcamp_nums(acqp, "ACQ_slice_thick", &sep, 1) >= 1 && sep > 0 && isfinite(sep))
            d->spacing[2] = sep;
    }
    memset(d->lps, 0, sizeof d->lps);
    for (int i = 0; i < 3; i++)
        d->lps[i][i] = d->spacing[i];
    d->lps[3][3] = 1;
    snprintf(d->source, sizeof d->source, "reco");
    return 0;
}

int bruker_pdata_dir(const char *path, char *out, size_t size, struct sarc_err *e)
{
    char t[4096];
    if (file_is_regular(path)) {
        path_dirname(out, size, path);
        return 0;
    }
    if (!file_is_dir(path))
        return ERR(e, SARC_ERR_IO, "no such file or directory");
    if (path_join(t, sizeof t, path, "2dseq") == 0 && file_is_regular(t)) {
        if (strlen(path) >= size)
            return ERR(e, SARC_ERR_ARG, "path too long");
        snprintf(out, size, "%s", path);
        return 0;
    }
    if (path_join(t, sizeof t, path, "pdata/1") == 0 && file_is_dir(t)) {
        if (strlen(t) >= size)
            return ERR(e, SARC_ERR_ARG, "path too long");
        snprintf(out, size, "%s", t);
        return 0;
    }
    return ERR(e, SARC_ERR_FORMAT, "not a Bruker dataset: no 2dseq and no pdata/1 folder here");
}

/* Reads the parameters of a pdata folder into d. */
static int describe(const char *pdata, struct bdesc *d, struct sarc_err *e)
{
    char p[4096];
    struct jcamp visu = {0}, reco = {0}, d3 = {0}, acqp = {0};
    int rc = 0;
    memset(d, 0, sizeof *d);
    if (path_join(p, sizeof p, pdata, "visu_pars"))
        return ERR(e, SARC_ERR_ARG, "path too long");
    if (file_is_regular(p)) {
        if ((rc = jcamp_read(p, &visu, e))) {
            err_prefix(e, "visu_pars");
            goto done;
        }
        if ((rc = describe_visu(&visu, d, e)))
            err_prefix(e, "visu_pars");
        goto done;
    }
    path_join(p, sizeof p, pdata, "reco");
    if (!file_is_regular(p)) {
        rc = ERR(e, SARC_ERR_FORMAT, "neither visu_pars nor reco found beside the 2dseq: cannot decode it");
        goto done;
    }
    if ((rc = jcamp_read(p, &reco, e))) {
        err_prefix(e, "reco");
        goto done;
    }
    path_join(p, sizeof p, pdata, "d3proc");
    if (file_is_regular(p) && (rc = jcamp_read(p, &d3, e))) {
        err_prefix(e, "d3proc");
        goto done;
    }
    /* acqp is optional (slice spacing only): ignore it if unreadable */
    if (snprintf(p, sizeof p, "%s/../../acqp", pdata) < (int)sizeof p && file_is_regular(p) && jcamp_read(p, &acqp, NULL))
        memset(&acqp, 0, sizeof acqp);
    if ((rc = describe_reco(&reco, d3.nparam ? &d3 : NULL, acqp.nparam ? &acqp : NULL, d, e)))
        err_prefix(e, "reco");
done:
    if (rc)
        bdesc_free(d);
    jcamp_free(&visu);
    jcamp_free(&reco);
    jcamp_free(&d3);
    jcamp_free(&acqp);
    return rc;
}

/* Output dims for d; frame >= 0 keeps one of the "other" frames. */
static void out_dims(const struct bdesc *d, int frame, int64_t dim[4], int *ndim)
{
    dim[0] = d->size[0];
    dim[1] = d->size[1];
    dim[2] = d->core_dim == 3 ? d->size[2] : d->nslices;
    dim[3] = frame >= 0 ? 1 : d->nothers;
    *ndim = dim[3] > 1 ? 4 : 3;
}

int bruker_probe(const char *path, struct bruker_probe *pr, struct sarc_err *e)
{
    char pdata[4096];
    struct bdesc d;
    memset(pr, 0, sizeof *pr);
    int rc = bruker_pdata_dir(path, pdata, sizeof pdata, e);
    if (rc)
        return rc;
    if ((rc = describe(pdata, &d, e)))
        return rc;
    out_dims(&d, -1, pr->dim, &pr->ndim);
    memcpy(pr->spacing, d.spacing, sizeof pr->spacing);
    pr->frames = d.nframes;
    snprintf(pr->word_type, sizeof pr->word_type, "%s", d.word);
    snprintf(pr->source, sizeof pr->source, "%s", d.source);
    bdesc_free(&d);
    return 0;
}

/* One stored element at byte offset off, explicit byte order. */
static double load_elem(const uint8_t *b, enum vtype t, int big)
{
    uint32_t u = 0;
    switch (t) {
    case VT_U8: return b[0];
    case VT_I8: return (int8_t)b[0];
    case VT_I16:
    case VT_U16: {
        uint16_t h = big ? (uint16_t)(b[0] << 8 | b[1]) : (uint16_t)(b[1] << 8 | b[0]);
        return t == VT_I16 ? (double)(int16_t)h : (double)h;
    }
    default:
        u = big ? ((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3])
                : ((uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0]);
        if (t == VT_I32)
            return (double)(int32_t)u;
        if (t == VT_U32)
            return (double)u;
        float f;
        memcpy(&f, &u, sizeof f);
        return f;
    }
}

int bruker_read(const char *path, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e)
{
    char pdata[4096], seq[4200];
    struct bdesc d;
    uint8_t *buf = NULL;
    size_t len = 0;
    int frame = opts ? opts->frame : -1;
    memset(v, 0, sizeof *v);
    int rc = bruker_pdata_dir(path, pdata, sizeof pdata, e);
    if (rc)
        return rc;
    if ((rc = describe(pdata, &d, e)))
        return rc;
    struct audit_step *st = NULL;
    if (frame >= 0 && frame >= d.nothers) {
        rc = ERR(e, SARC_ERR_ARG, "--frame %d: this dataset has %lld frame(s) besides slices (0..%lld)", frame, (long long)d.nothers,
                 (long long)d.nothers - 1);
        goto done;
    }
    /* the 2dseq must hold exactly size * frames * word size bytes */
    int ws = vtype_size(d.type);
    size_t nbytes = (size_t)ws, core = 1;
    for (int i = 0; i < 3; i++)
        if (size_mul(core, (size_t)d.size[i], &core)) {
            rc = ERR(e, SARC_ERR_RANGE, "core size overflows");
            goto done;
        }
    if (size_mul(nbytes, core, &nbytes) || size_mul(nbytes, (size_t)d.nframes, &nbytes)) {
        rc = ERR(e, SARC_ERR_RANGE, "2dseq size overflows");
        goto done;
    }
    path_join(seq, sizeof seq, pdata, "2dseq");
    long long fs = file_size(seq);
    if (fs < 0) {
        rc = ERR(e, SARC_ERR_IO, "cannot open %s", seq);
        goto done;
    }
    if ((unsigned long long)fs != (unsigned long long)nbytes) {
        rc = ERR(e, SARC_ERR_FORMAT, "2dseq has %lld bytes, expected %zu (%lld x %lld x %lld voxels x %lld frames x %d bytes, %s)", fs, nbytes,
                 (long long)d.size[0], (long long)d.size[1], (long long)d.size[2], (long long)d.nframes, ws, d.word);
        goto done;
    }
    int64_t dim[4];
    int ndim;
    out_dims(&d, frame, dim, &ndim);
    if ((rc = volume_alloc(v, ndim, dim, e)))
        goto done;
    if ((rc = file_read_all(seq, &buf, &len, nbytes + 1, e)))
        goto done;
    if (len != nbytes) {
        rc = ERR(e, SARC_ERR_FORMAT, "2dseq changed while reading: %zu bytes, expected %zu", len, nbytes);
        goto done;
    }
    st = audit_step_begin("bruker_read");
    audit_input_file(st, "2dseq", seq);
    audit_param_str(st, "source", d.source);
    audit_param_str(st, "word_type", d.word);
    audit_param_int(st, "frame", frame);
    /* frame f -> (slice s, other t); block (t, s) of the output holds `core` voxels */
    for (int64_t f = 0; f < d.nframes; f++) {
        int64_t s = 0, t = 0, mul = 1;
        if (d.slice_group >= 0)
            s = group_index(&d, f, d.slice_group);
        else if (d.core_dim == 2 && d.ngroups == 0)
            s = d.nslices > 1 ? f % d.nslices : 0;
        if (d.ngroups > 0) {
            for (int g = 0; g < d.ngroups; g++)
                if (g != d.slice_group) {
                    t += group_index(&d, f, g) * mul;
                    mul *= d.glen[g];
                }
        } else
            t = f / d.nslices;
        if (frame >= 0) {
            if (t != frame)
                continue;
            t = 0;
        }
        const uint8_t *src = buf + (size_t)f * core * (size_t)ws;
        double *dst = v->data + (size_t)(t * d.nslices + s) * core;
        const double a = d.slope[f], b = d.offs[f];
        for (size_t i = 0; i < core; i++)
            dst[i] = load_elem(src + i * (size_t)ws, d.type, d.big_endian) * a + b;
    }
    /* geometry: RAS = diag(-1, -1, 1, 1) * LPS */
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            v->affine[r][c] = (r < 2 ? -1.0 : 1.0) * d.lps[r][c] + 0.0; /* + 0.0: no -0 */
    memcpy(v->qform, v->affine, sizeof v->affine);
    memcpy(v->sform, v->affine, sizeof v->affine);
    v->qform_code = v->sform_code = 1;
    for (int i = 0; i < 3; i++)
        v->spacing[i] = d.spacing[i];
    v->spacing[3] = 1;
    v->type = d.type;
    /* scl fields: the common slope/offset when every frame shares them, else none */
    v->scl_slope = d.slope[0];
    v->scl_inter = d.offs[0];
    for (int64_t f = 1; f < d.nframes; f++)
        if (d.slope[f] != d.slope[0] || d.offs[f] != d.offs[0])
            v->scl_slope = v->scl_inter = 0;
    snprintf(v->format, sizeof v->format, "bruker");
    audit_output_volume(st, "volume", v);
    audit_step_end(st);
    st = NULL;
done:
    free(buf);
    bdesc_free(&d);
    if (rc)
        volume_free(v);
    return rc;
}

/* ---- writer ---- */

/* A string safe inside <...>: no '<', '>' or line breaks. */
static void put_str(FILE *f, const char *name, const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    fprintf(f, "##$%s=( %zu )\n<", name, n + 1 > 64 ? n + 1 : 64);
    for (const char *c = s; *c; c++)
        fputc(*c == '<' || *c == '>' || *c == '\n' || *c == '\r' ? '_' : *c, f);
    fputs(">\n", f);
}

static void put_header(FILE *f, const char *what)
{
    fprintf(f, "##TITLE=Parameter List, ParaVision 6.0.1\n##JCAMPDX=4.24\n##DATATYPE=Parameter Values\n"
               "##ORIGIN=sarc (ParaVision 6 layout)\n##OWNER=sarc\n$$ written by sarc (%s)\n", what);
}

/* Numbers, wrapped at about 72 characters as ParaVision does. */
static void put_nums(FILE *f, const double *x, int64_t n)
{
    int col = 0;
    for (int64_t i = 0; i < n; i++) {
        char t[40];
        int k = snprintf(t, sizeof t, "%.17g", x[i]);
        if (col && col + k + 1 > 72) {
            fputc('\n', f);
            col = 0;
        } else if (col) {
            fputc(' ', f);
            col++;
        }
        fputs(t, f);
        col += k;
    }
    fputc('\n', f);
}

/* Opens an in-memory parameter file (*text, *n owned by the stream until write_text) that starts
 * with the JCAMP-DX header for what; NULL (error set) when out of memory. */
static FILE *param_file_open(char **text, size_t *n, const char *what, struct sarc_err *e)
{
    FILE *f = open_memstream(text, n);
    if (!f) {
        ERR(e, SARC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    put_header(f, what);
    return f;
}

/* Closes the memory stream f (which owns *text, *n) and writes its bytes atomically to path. */
static int write_text(const char *path, char **text, size_t *n, FILE *f, struct sarc_err *e)
{
    int rc = fclose(f) != 0 ? ERR(e, SARC_ERR_IO, "cannot build %s", path) : file_write_atomic(path, *text, *n, e);
    free(*text);
    *text = NULL;
    return rc;
}

int bruker_write(const char *study_dir, const struct volume *v, const struct bruker_write_info *info, struct sarc_err *e)
{
    char dir[4096], pdata[4096], p[4200];
    double *slope = NULL, *offs = NULL, *mn = NULL, *mx = NULL;
    uint8_t *raw = NULL;
    int rc = 0;
    if (!v || !v->data || !info || !study_dir)
        return ERR(e, SARC_ERR_ARG, "bruker_write: missing volume, info or folder");
    if (info->exp_number < 1 || info->exp_number > 99999)
        return ERR(e, SARC_ERR_ARG, "experiment number %d, expected 1..99999", info->exp_number);
    const int64_t nx = v->dim[0], ny = v->dim[1], nz = v->dim[2], nf = v->dim[3];
    if (nx < 1 || ny < 1 || nz < 1 || nf < 1 || nf > MAX_FRAMES)
        return ERR(e, SARC_ERR_ARG, "volume dims %lld x %lld x %lld x %lld cannot be written", (long long)nx, (long long)ny, (long long)nz,
                   (long long)nf);
    /* geometry: LPS = diag(-1, -1, 1, 1) * RAS; orientation rows = unit columns */
    double lps[4][4], sp[3], orient[9], pos[3], ext[3];
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            lps[r][c] = (r < 2 ? -1.0 : 1.0) * v->affine[r][c];
    for (int c = 0; c < 3; c++) {
        sp[c] = sqrt(lps[0][c] * lps[0][c] + lps[1][c] * lps[1][c] + lps[2][c] * lps[2][c]);
        if (!(sp[c] > 0 && isfinite(sp[c])))
            return ERR(e, SARC_ERR_ARG, "affine column %d has length %g: no voxel size", c, sp[c]);
        for (int r = 0; r < 3; r++)
            orient[3 * c + r] = lps[r][c] / sp[c] + 0.0; /* + 0.0: no -0 in the text */
        ext[c] = sp[c] * (double)v->dim[c];
    }
    for (int r = 0; r < 3; r++)
        pos[r] = lps[r][3] + 0.0;
    size_t core = (size_t)nx * (size_t)ny * (size_t)nz, nbytes;
    if (size_mul(core * (size_t)nf, 2, &nbytes))
        return ERR(e, SARC_ERR_RANGE, "volume too large");
    slope = malloc(sizeof(double) * (size_t)nf);
    offs = calloc((size_t)nf, sizeof(double));
    mn = malloc(sizeof(double) * (size_t)nf);
    mx = malloc(sizeof(double) * (size_t)nf);
    raw = malloc(nbytes);
    if (!slope || !offs || !mn || !mx || !raw) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* per-frame slope: the largest magnitude maps to 32767 */
    for (int64_t f = 0; f < nf; f++) {
        const double *x = v->data + (size_t)f * core;
        double m = 0;
        for (size_t i = 0; i < core; i++) {
            if (!isfinite(x[i])) {
                rc = ERR(e, SARC_ERR_ARG, "non-finite value at voxel %zu of frame %lld cannot be stored as 16-bit integers", i, (long long)f);
                goto done;
            }
            if (fabs(x[i]) > m)
                m = fabs(x[i]);
        }
        slope[f] = m > 0 ? m / 32767.0 : 1.0;
        mn[f] = 32767;
        mx[f] = -32768;
        for (size_t i = 0; i < core; i++) {
            double q = nearbyint(x[i] / slope[f]);
            if (q > 32767)
                q = 32767;
            if (q < -32768)
                q = -32768;
            if (q < mn[f])
                mn[f] = q;
            if (q > mx[f])
                mx[f] = q;
            uint16_t u = (uint16_t)(int16_t)q;
            raw[2 * ((size_t)f * core + i)] = (uint8_t)(u & 0xff);
            raw[2 * ((size_t)f * core + i) + 1] = (uint8_t)(u >> 8);
        }
    }
    if (snprintf(dir, sizeof dir, "%s/%d", study_dir, info->exp_number) >= (int)sizeof dir ||
        snprintf(pdata, sizeof pdata, "%s/pdata/1", dir) >= (int)sizeof pdata) {
        rc = ERR(e, SARC_ERR_ARG, "path too long");
        goto done;
    }
    if ((rc = file_mkdirs(pdata, e)))
        goto done;
    const char *method = info->method ? info->method : "";
    const char *protocol = info->protocol ? info->protocol : method;
    char *text = NULL;
    size_t n = 0;
    FILE *f;

    /* pdata/1/2dseq */
    snprintf(p, sizeof p, "%s/2dseq", pdata);
    if ((rc = file_write_atomic(p, raw, nbytes, e)))
        goto done;

    /* pdata/1/visu_pars */
    if (!(f = param_file_open(&text, &n, "visu_pars", e))) {
        rc = SARC_ERR_NOMEM;
        goto done;
    }
    fprintf(f, "##$VisuVersion=3\n");
    put_str(f, "VisuCreator", "ParaVision");
    put_str(f, "VisuCreatorVersion", "6.0.1");
    put_str(f, "VisuInstanceModality", "MR");
    fprintf(f, "##$VisuCoreFrameCount=%lld\n##$VisuCoreDim=3\n##$VisuCoreSize=( 3 )\n%lld %lld %lld\n", (long long)nf, (long long)nx,
            (long long)ny, (long long)nz);
    fprintf(f, "##$VisuCoreDimDesc=( 3 )\nspatial spatial spatial\n##$VisuCoreExtent=( 3 )\n");
    put_nums(f, ext, 3);
    fprintf(f, "##$VisuCoreFrameThickness=( 1 )\n");
    put_nums(f, &ext[2], 1);
    fprintf(f, "##$VisuCoreUnits=( 3, 65 )\n<mm> <mm> <mm>\n##$VisuCoreOrientation=( 1, 9 )\n");
    put_nums(f, orient, 9);
    fprintf(f, "##$VisuCorePosition=( 1, 3 )\n");
    put_nums(f, pos, 3);
    fprintf(f, "##$VisuCoreDataMin=( %lld )\n", (long long)nf);
    put_nums(f, mn, nf);
    fprintf(f, "##$VisuCoreDataMax=( %lld )\n", (long long)nf);
    put_nums(f, mx, nf);
    fprintf(f, "##$VisuCoreDataOffs=( %lld )\n", (long long)nf);
    put_nums(f, offs, nf);
    fprintf(f, "##$VisuCoreDataSlope=( %lld )\n", (long long)nf);
    put_nums(f, slope, nf);
    fprintf(f, "##$VisuCoreFrameType=MAGNITUDE_IMAGE\n##$VisuCoreWordType=_16BIT_SGN_INT\n##$VisuCoreByteOrder=littleEndian\n");
    /* always one frame group, also for a single frame: some readers (brkraw 0.3) require it */
    fprintf(f, "##$VisuFGOrderDescDim=1\n##$VisuFGOrderDesc=( 1 )\n(%lld, <FG_CYCLE>, <>, 0, 0)\n", (long long)nf);
    put_str(f, "VisuSubjectId", info->subject_id);
    put_str(f, "VisuSubjectName", info->subject_id);
    put_str(f, "VisuStudyId", info->study_name);
    put_str(f, "VisuAcqSequenceName", method);
    put_str(f, "VisuAcquisitionProtocol", protocol);
    fprintf(f, "##$VisuExperimentNumber=%d\n##$VisuProcessingNumber=1\n##$VisuSubjectType=Quadruped\n"
               "##$VisuSubjectPosition=Head_Prone\n##$VisuCoreDiskSliceOrder=disk_normal_slice_order\n##END=\n", info->exp_number);
    snprintf(p, sizeof p, "%s/visu_pars", pdata);
    if ((rc = write_text(p, &text, &n, f, e)))
        goto done;

    /* pdata/1/reco */
    if (!(f = param_file_open(&text, &n, "reco", e))) {
        rc = SARC_ERR_NOMEM;
        goto done;
    }
    fprintf(f, "##$RECO_size=( 3 )\n%lld %lld %lld\n##$RECO_fov=( 3 )\n", (long long)nx, (long long)ny, (long long)nz);
    double fov_cm[3] = {ext[0] / 10, ext[1] / 10, ext[2] / 10};
    put_nums(f, fov_cm, 3);
    fprintf(f, "##$RECO_wordtype=_16BIT_SGN_INT\n##$RECO_byte_order=littleEndian\n##$RECO_map_offset=( %lld )\n", (long long)nf);
    put_nums(f, offs, nf);
    fprintf(f, "##$RECO_map_slope=( %lld )\n", (long long)nf);
    for (int64_t k = 0; k < nf; k++)
        mn[k] = 1.0 / slope[k];
    put_nums(f, mn, nf);
    fprintf(f, "##END=\n");
    snprintf(p, sizeof p, "%s/reco", pdata);
    if ((rc = write_text(p, &text, &n, f, e)))
        goto done;

    /* acqp */
    if (!(f = param_file_open(&text, &n, "acqp", e))) {
        rc = SARC_ERR_NOMEM;
        goto done;
    }
    put_str(f, "ACQ_method", method);
    put_str(f, "ACQ_protocol_name", protocol);
    put_str(f, "ACQ_scan_name", protocol);
    fprintf(f, "##$ACQ_dim=3\n##$ACQ_size=( 3 )\n%lld %lld %lld\n##$ACQ_fov=( 3 )\n", (long long)nx, (long long)ny, (long long)nz);
    put_nums(f, fov_cm, 3);
    fprintf(f, "##$NI=1\n##$NR=%lld\n##$NA=1\n##$BYTORDA=little\n##$ACQ_word_size=_32_BIT\n", (long long)nf);
    put_str(f, "ACQ_operator", "sarc");
    fprintf(f, "##END=\n");
    snprintf(p, sizeof p, "%s/acqp", dir);
    if ((rc = write_text(p, &text, &n, f, e)))
        goto done;

    /* method */
    if (!(f = param_file_open(&text, &n, "method", e))) {
        rc = SARC_ERR_NOMEM;
        goto done;
    }
    fprintf(f, "##$Method=<%s>\n##$PVM_SpatDimEnum=_3D\n##$PVM_Matrix=( 3 )\n%lld %lld %lld\n##$PVM_Fov=( 3 )\n", method, (long long)nx,
            (long long)ny, (long long)nz);
    put_nums(f, ext, 3);
    fprintf(f, "##$PVM_SpatResol=( 3 )\n");
    put_nums(f, sp, 3);
    /* one slice package (brkraw derives the geometry from these), axial, contiguous */
    fprintf(f, "##$PVM_NSPacks=1\n##$PVM_SPackArrNSlices=( 1 )\n%lld\n", (long long)nz);
    fprintf(f, "##$PVM_SPackArrSliceOrient=( 1 )\naxial\n##$PVM_SPackArrReadOrient=( 1 )\nL_R\n");
    fprintf(f, "##$PVM_SPackArrSliceDistance=( 1 )\n");
    put_nums(f, sp + 2, 1);
    fprintf(f, "##$PVM_SPackArrSliceGap=( 1 )\n0\n##$PVM_SliceThick=");
    put_nums(f, sp + 2, 1);
    fprintf(f, "##$PVM_NRepetitions=%lld\n##END=\n", (long long)nf);
    snprintf(p, sizeof p, "%s/method", dir);
    if ((rc = write_text(p, &text, &n, f, e)))
        goto done;

    /* subject (study level) */
    if (!(f = param_file_open(&text, &n, "subject", e))) {
        rc = SARC_ERR_NOMEM;
        goto done;
    }
    put_str(f, "SUBJECT_id", info->subject_id);
    put_str(f, "SUBJECT_name_string", info->subject_id);
    put_str(f, "SUBJECT_study_name", info->study_name);
    fprintf(f, "##$SUBJECT_study_nr=1\n##$SUBJECT_type=Quadruped\n##$SUBJECT_sex=Unknown\n##$SUBJECT_entry=SUBJ_ENTRY_HeadFirst\n"
               "##$SUBJECT_position=SUBJ_POS_Prone\n##END=\n");
    snprintf(p, sizeof p, "%s/subject", study_dir);
    if ((rc = write_text(p, &text, &n, f, e)))
        goto done;
    struct audit_step *st = audit_step_begin("bruker_write");
    audit_param_int(st, "exp_number", info->exp_number);
    audit_param_str(st, "word_type", "_16BIT_SGN_INT");
    audit_input_volume(st, "volume", v);
    snprintf(p, sizeof p, "%s/2dseq", pdata);
    audit_output_file(st, "2dseq", p);
    audit_summary(st, "frame_slope", slope, nf);
    audit_step_end(st);
done:
    free(slope);
    free(offs);
    free(mn);
    free(mx);
    free(raw);
    return rc;
}
