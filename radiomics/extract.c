/* extract.c - PyRadiomics' extraction pipeline for one case (FACTS.md section 2): mask to ROI
 * (value == label after a cast to uint32), geometry check (correctMask; with resampling a mask
 * on another grid is accepted as PyRadiomics does and defines the output grid), normalisation of the
 * whole image (sample SD, removeOutliers clipping before the scale), resampling
 * (resampledPixelSpacing, rresample.c), mask checks (one voxel, minimumROIDimensions,
 * minimumROISize), resegmentation (absolute / relative / sigma with population SD, closed
 * interval), shape on the non-resegmented mask (cropped to the final bounding box, as PyRadiomics),
 * crop (no copy when rad_prepare's grid already is the final box), discretise, one padded
 * level array shared by GLCM, GLDM and NGTDM (rad_roi.plv), feature classes. One audit step
 * "radiomics" per call.
 * Covered by test/radiomics/test_features.c, test/radiomics/test_cli.c and
 * test/radiomics/test_diag.c (mismatched grids). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "radiomics/extract.h"
#include "radiomics/radiomics.h"
#include "radiomics/rresample.h"
#include "radiomics/prepare.h"
#include "vendor/pool.h"

void rad_result_free(struct rad_result *r)
{
    if (r->names)
        for (int i = 0; i < r->n; i++)
            free(r->names[i]);
    free(r->names);
    free(r->values);
    memset(r, 0, sizeof *r);
}

/* Bounding box of m (nx, ny, nz): lo/hi inclusive per axis x, y, z; returns the count. */
static int64_t bbox(const uint8_t *m, const int64_t n[3], int64_t lo[3], int64_t hi[3])
{
    int64_t count = 0;
    for (int a = 0; a < 3; a++) {
        lo[a] = n[a];
        hi[a] = -1;
    }
    for (int64_t k = 0; k < n[2]; k++)
        for (int64_t j = 0; j < n[1]; j++)
            for (int64_t i = 0; i < n[0]; i++)
                if (m[i + n[0] * (j + n[1] * k)]) {
                    const int64_t c[3] = {i, j, k};
                    rad_bbox_add(lo, hi, c);
                    count++;
                }
    return count;
}

/* PyRadiomics' checkMask on a box: one voxel, dimensions, minimum size. */
static int check_mask(int64_t count, const int64_t lo[3], const int64_t hi[3], const struct rad_settings *s,
                      const char *what, struct sarc_err *e)
{
    if (count == 0)
        return ERR(e, SARC_ERR_ARG, "%s: the ROI is empty (label %d)", what, s->label);
    int ndims = 0;
    for (int a = 0; a < 3; a++)
        ndims += hi[a] - lo[a] + 1 > 1;
    if (ndims == 0)
        return ERR(e, SARC_ERR_ARG, "%s: the mask holds 1 voxel of label %d; features cannot be computed for a single voxel", what, s->label);
    if (ndims < s->min_roi_dims)
        return ERR(e, SARC_ERR_ARG, "%s: the ROI spans %d dimension(s), minimumROIDimensions is %d", what, ndims, s->min_roi_dims);
    if (s->min_roi_size > 0 && count <= s->min_roi_size)
        return ERR(e, SARC_ERR_ARG, "%s: the ROI has %lld voxels, minimumROISize is %lld", what, (long long)count, (long long)s->min_roi_size);
    return 0;
}

/* Copies the box [lo, hi] of src (n) into dst. */
static void crop_d(const double *src, const int64_t n[3], const int64_t lo[3], const int64_t hi[3], double *dst)
{
    const int64_t bx = hi[0] - lo[0] + 1;
    int64_t t = 0;
    for (int64_t k = lo[2]; k <= hi[2]; k++)
        for (int64_t j = lo[1]; j <= hi[1]; j++, t += bx)
            memcpy(dst + t, src + lo[0] + n[0] * (j + n[1] * k), (size_t)bx * sizeof *dst);
}

static void crop_u8(const uint8_t *src, const int64_t n[3], const int64_t lo[3], const int64_t hi[3], uint8_t *dst)
{
    const int64_t bx = hi[0] - lo[0] + 1;
    int64_t t = 0;
    for (int64_t k = lo[2]; k <= hi[2]; k++)
        for (int64_t j = lo[1]; j <= hi[1]; j++, t += bx)
            memcpy(dst + t, src + lo[0] + n[0] * (j + n[1] * k), (size_t)bx);
}

static int push(struct rad_result *out, int *cap, const char *prefix, int cls, int f, double v, struct sarc_err *e)
{
    if (out->n == *cap) {
        const int nc = *cap ? 2 * *cap : 128;
        char **nn = realloc(out->names, (size_t)nc * sizeof *nn);
        if (!nn)
            return ERR(e, SARC_ERR_NOMEM, "out of memory");
        out->names = nn;
        double *nv = realloc(out->values, (size_t)nc * sizeof *nv);
        if (!nv)
            return ERR(e, SARC_ERR_NOMEM, "out of memory");
        out->values = nv;
        *cap = nc;
    }
    const char *cn = rad_class_table[cls].name, *fn = rad_class_table[cls].feat[f];
    const size_t len = strlen(prefix) + strlen(cn) + strlen(fn) + 3;
    char *name = malloc(len);
    if (!name)
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    snprintf(name, len, "%s_%s_%s", prefix, cn, fn);
    out->names[out->n] = name;
    out->values[out->n] = v;
    out->n++;
    return 0;
}

/* One texture class of one case: a slot of the parallel loop in rad_extract. */
struct class_task {
    int cls;
    const struct rad_roi *r;
    const struct rad_settings *s;
    double vals[32];
    int rc;
    struct sarc_err err;
};

static void class_run(void *ctx, int64_t begin, int64_t end, int64_t chunk)
{
    (void)chunk;
    struct class_task *tasks = ctx;
    for (int64_t t = begin; t < end; t++) {
        struct class_task *k = &tasks[t];
        switch (k->cls) {
        case RC_FIRSTORDER: k->rc = firstorder_features(k->r, k->s, k->vals, &k->err); break;
        case RC_GLCM: k->rc = glcm_features(k->r, k->s, k->vals, &k->err); break;
        case RC_GLRLM: k->rc = glrlm_features(k->r, k->s, k->vals, &k->err); break;
        case RC_GLSZM: k->rc = glszm_features(k->r, k->s, k->vals, &k->err); break;
        case RC_GLDM: k->rc = gldm_features(k->r, k->s, k->vals, &k->err); break;
        default: k->rc = ngtdm_features(k->r, k->s, k->vals, &k->err); break;
        }
    }
}

int rad_geometry_matches(const struct volume *image, const struct volume *mask, const struct rad_settings *s)
{
    double maxsp = 0;
    for (int a = 0; a < 3; a++)
        if (image->spacing[a] > maxsp)
            maxsp = image->spacing[a];
    const double gt = isnan(s->geometry_tolerance) ? 1e-6 : s->geometry_tolerance;
    return volume_same_grid(image, mask, gt * (maxsp > 0 ? maxsp : 1));
}

int rad_mask_grid_roi(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                      uint8_t **roi, int *mgrid, struct sarc_err *e)
{
    const int64_t mn[3] = {mask->dim[0], mask->dim[1], mask->dim[2]};
    uint8_t *r = malloc((size_t)(mn[0] * mn[1] * mn[2]));
    if (!r)
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    const double lv = (double)s->label;
    int64_t lo[3] = {mn[0], mn[1], mn[2]}, hi[3] = {-1, -1, -1};
    for (int64_t k = 0, t = 0; k < mn[2]; k++)
        for (int64_t j = 0; j < mn[1]; j++)
            for (int64_t i = 0; i < mn[0]; i++, t++) {
                r[t] = mask->data[t] >= lv && mask->data[t] < lv + 1;
                if (!r[t])
                    continue;
                const int64_t c[3] = {i, j, k};
                rad_bbox_add(lo, hi, c);
            }
    /* resampleImage's "no interpolation" test compares the image's spacing with the new one,
     * where 0 and axes the ROI spans with one voxel take the mask's spacing; rad_prepare has
     * checked that the label is present */
    *mgrid = 0;
    for (int a = 0; a < 3; a++) {
        const double t = s->resampled_spacing[a] == 0 || hi[a] <= lo[a] ? mask->spacing[a] : s->resampled_spacing[a];
        if (fabs(image->spacing[a] - t) > 1e-8 + 1e-5 * fabs(t))
            *mgrid = 1;
    }
    *roi = r;
    return 0;
}

int rad_prepare(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                int whole_grid, struct audit_step *step, struct rad_prepared *p, struct sarc_err *e)
{
    memset(p, 0, sizeof *p);
    int rc = 0;
    double *img = NULL;
    uint8_t *roi = NULL, *reseg = NULL, *mroi = NULL; /* mroi: the ROI on the mask's grid (mgrid) */
    int mgrid = 0;
    struct volume rmask = {0};
    for (int a = 0; a < 3; a++)
        if (image->dim[a] < 1 || mask->dim[a] < 1 || image->dim[a] > (1 << 24)) {
            rc = ERR(e, SARC_ERR_RANGE, "image dim[%d] = %lld, expected 1..16777216", a, (long long)image->dim[a]);
            goto done;
        }
    if (!image->data || !mask->data) {
        rc = ERR(e, SARC_ERR_ARG, "image or mask has no data");
        goto done;
    }
    /* geometry: same grid within geometryTolerance (SimpleITK's default 1e-6, relative to the
     * spacing), else correctMask resamples the mask onto the image grid. With PyRadiomics'
     * resampling no check is made (loadImage resamples before checkMask): the output grid follows
     * the mask (mgrid), or, when the image already has the new spacing, the mask is resampled
     * onto the image's grid. */
    const struct volume *msk = mask;
    const double gt = isnan(s->geometry_tolerance) ? 1e-6 : s->geometry_tolerance;
    const int resampling = s->resample && s->interpolator != RI_NONE;
    const int64_t mn[3] = {mask->dim[0], mask->dim[1], mask->dim[2]};
    if (!rad_geometry_matches(image, mask, s) && resampling && !s->ibsi) {
        if ((rc = rresample_check_roi(mask, image, s->label, e)))
            goto done;
        if ((rc = rad_mask_grid_roi(image, mask, s, &mroi, &mgrid, e)))
            goto done;
        if (!mgrid) {
            /* the image already has the new spacing: the mask onto the image's grid */
            free(mroi);
            mroi = NULL;
            if ((rc = rresample_mask_to_grid(mask, image, s->label, &rmask, e)))
                goto done;
            msk = &rmask;
        }
    } else if (!rad_geometry_matches(image, mask, s)) {
        if (!s->correct_mask) {
            rc = ERR(e, SARC_ERR_ARG, "image/mask geometry mismatch (image %lldx%lldx%lld, mask %lldx%lldx%lld, or spacing/origin/direction differ beyond geometryTolerance %g); set correctMask: true to resample the mask",
                     (long long)image->dim[0], (long long)image->dim[1], (long long)image->dim[2],
                     (long long)mask->dim[0], (long long)mask->dim[1], (long long)mask->dim[2], gt);
            goto done;
        }
        rc = rresample_mask_to_grid(mask, image, s->label, &rmask, e);
        if (rc)
            goto done;
        msk = &rmask;
    }
    int64_t n[3] = {image->dim[0], image->dim[1], image->dim[2]};
    int64_t N = n[0] * n[1] * n[2];
    double sp[3] = {image->spacing[0], image->spacing[1], image->spacing[2]};
    for (int a = 0; a < 3; a++)
        if (!(sp[a] > 0) || !isfinite(sp[a])) {
            rc = ERR(e, SARC_ERR_RANGE, "image spacing[%d] = %g, expected a finite value > 0", a, sp[a]);
            goto done;
        }
    /* the ROI's box from the mask first; without normalisation or resampling nothing outside
     * the box can change a feature, so the work (and the NaN check) stays inside it */
    int64_t blo[3] = {n[0], n[1], n[2]}, bhi[3] = {-1, -1, -1}, nroi = mgrid;
    const double lab = (double)s->label;
    for (int64_t k = 0; !mgrid && k < n[2]; k++)
        for (int64_t j = 0; j < n[1]; j++) {
            const double *row = msk->data + n[0] * (j + n[1] * k);
            for (int64_t i = 0; i < n[0]; i++) {
                /* the uint32 cast truncates: value == label iff label <= v < label + 1 */
                const double mv = row[i];
                if (!(mv >= lab && mv < lab + 1))
                    continue;
                nroi++;
                if (i < blo[0]) blo[0] = i;
                if (i > bhi[0]) bhi[0] = i;
                if (j < blo[1]) blo[1] = j;
                if (j > bhi[1]) bhi[1] = j;
                if (k < blo[2]) blo[2] = k;
                if (k > bhi[2]) bhi[2] = k;
            }
        }
    if (nroi == 0) {
        rc = ERR(e, SARC_ERR_ARG, "label %d is not present in the mask", s->label);
        goto done;
    }
    const int whole = whole_grid || s->normalize || (s->resample && s->interpolator != RI_NONE);
    const int64_t full[3] = {n[0], n[1], n[2]};
    int64_t off[3] = {0, 0, 0};
    if (!whole)
        for (int a = 0; a < 3; a++) {
            off[a] = blo[a];
            n[a] = bhi[a] - blo[a] + 1;
        }
    N = n[0] * n[1] * n[2];
    img = malloc((size_t)N * sizeof *img);
    roi = malloc((size_t)N);
    if (!img || !roi) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory for %lld voxels", (long long)N);
        goto done;
    }
    for (int64_t k = 0; k < n[2]; k++)
        for (int64_t j = 0; j < n[1]; j++) {
            const int64_t src = off[0] + full[0] * ((j + off[1]) + full[1] * (k + off[2]));
            const int64_t dst = n[0] * (j + n[1] * k);
            for (int64_t i = 0; i < n[0]; i++) {
                const double v = image->data[src + i];
                if (!isfinite(v)) {
                    rc = ERR(e, SARC_ERR_ARG, "image voxel %lld is %s (NaN/Inf voxels are not allowed)", (long long)(src + i), isnan(v) ? "NaN" : "Inf");
                    goto done;
                }
                img[dst + i] = v;
                const double mv = mgrid ? 0 : msk->data[src + i];
                roi[dst + i] = mv >= lab && mv < lab + 1;
            }
        }
    for (int a = 0; a < 3; a++)
        p->off[a] = off[a];
    int img_is_int = vtype_is_int(image->type);
    if (s->normalize) {
        /* whole image: (x - mean) / sd (N - 1), clip to +-removeOutliers, times normalizeScale */
        double sum = 0;
        for (int64_t t = 0; t < N; t++)
            sum += img[t];
        const double mean = sum / (double)N;
        double ss = 0;
        for (int64_t t = 0; t < N; t++)
            ss += (img[t] - mean) * (img[t] - mean);
        const double sd = N > 1 ? sqrt(ss / (double)(N - 1)) : 0;
        if (!(sd > 0)) {
            rc = ERR(e, SARC_ERR_ARG, "normalize: the image is constant (standard deviation 0)");
            goto done;
        }
        for (int64_t t = 0; t < N; t++) {
            double y = (img[t] - mean) / sd;
            if (!isnan(s->remove_outliers)) {
                if (y > s->remove_outliers)
                    y = s->remove_outliers;
                if (y < -s->remove_outliers)
                    y = -s->remove_outliers;
            }
            img[t] = y * s->normalize_scale;
        }
        img_is_int = 0;
        audit_value(step, "normalize_mean", mean);
        audit_value(step, "normalize_sd", sd);
    }
    if (s->resample && s->interpolator != RI_NONE) {
        struct rresample_out ro;
        if (mgrid)
            rc = rresample_case_mask_grid(img, n, sp, image->affine, image->type, img_is_int, mroi, mn, mask->spacing,
                                          mask->affine, s, &ro, e);
        else
            rc = rresample_case(img, roi, n, sp, image->affine, image->type, img_is_int, s, &ro, e);
        if (rc)
            goto done;
        free(img);
        free(roi);
        img = ro.img;
        roi = ro.roi;
        for (int a = 0; a < 3; a++) {
            n[a] = ro.n[a];
            sp[a] = ro.sp[a];
        }
        N = n[0] * n[1] * n[2];
        audit_value(step, "resampled_voxels", (double)N);
        audit_note(step, s->ibsi ? "resampling grid: IBSI (whole image, grid centres aligned, ROI linear >= 0.5)"
                                 : "resampling grid: PyRadiomics (ROI box + padDistance, corner-aligned)");
        p->resampled = 1;
        for (int a = 0; a < 3; a++)
            p->off[a] = 0;
    }
    int64_t lo[3], hi[3];
    int64_t cnt = bbox(roi, n, lo, hi);
    rc = check_mask(cnt, lo, hi, s, "mask", e);
    if (rc)
        goto done;
    p->roi_count = cnt;
    if (s->nreseg > 0) {
        double t0 = s->reseg_range[0], t1 = s->nreseg > 1 ? s->reseg_range[1] : 0;
        if (s->reseg_mode != RR_ABSOLUTE) {
            double sum = 0, mx = -INFINITY;
            for (int64_t t = 0; t < N; t++)
                if (roi[t]) {
                    sum += img[t];
                    if (img[t] > mx)
                        mx = img[t];
                }
            const double mean = sum / (double)cnt;
            double ss = 0;
            for (int64_t t = 0; t < N; t++)
                if (roi[t])
                    ss += (img[t] - mean) * (img[t] - mean);
            const double sd = sqrt(ss / (double)cnt);
            if (s->reseg_mode == RR_RELATIVE) {
                t0 *= mx;
                t1 *= mx;
            } else {
                t0 = mean + t0 * sd;
                t1 = mean + t1 * sd;
            }
        }
        if (s->nreseg > 1 && t1 < t0) {
            const double tmp = t0;
            t0 = t1;
            t1 = tmp;
        }
        reseg = malloc((size_t)N);
        if (!reseg) {
            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
            goto done;
        }
        int64_t kept = 0;
        for (int64_t t = 0; t < N; t++) {
            reseg[t] = roi[t] && img[t] >= t0 && (s->nreseg == 1 || img[t] <= t1);
            kept += reseg[t];
        }
        audit_value(step, "resegment_low", t0);
        if (s->nreseg > 1)
            audit_value(step, "resegment_high", t1);
        audit_value(step, "resegment_kept", (double)kept);
        if (kept <= 1) {
            rc = ERR(e, SARC_ERR_ARG, "resegmentation [%g, %g] leaves %lld voxel(s) of %lld; at least 2 are needed", t0, s->nreseg > 1 ? t1 : INFINITY, (long long)kept, (long long)cnt);
            goto done;
        }
        cnt = bbox(reseg, n, lo, hi);
        rc = check_mask(cnt, lo, hi, s, "resegmented mask", e);
        if (rc)
            goto done;
    }
    audit_value(step, "roi_voxels", (double)cnt);
    for (int t = 0; t < 3; t++) {
        p->n[t] = n[t];
        p->sp[t] = sp[t];
        p->lo[t] = lo[t];
        p->hi[t] = hi[t];
    }
    p->count = cnt;
    p->img = img;
    p->roi = roi;
    p->reseg = reseg;
    img = NULL;
    roi = NULL;
    reseg = NULL;
done:
    free(img);
    free(roi);
    free(reseg);
    free(mroi);
    volume_free(&rmask);
    return rc;
}

void rad_prepared_free(struct rad_prepared *p)
{
    free(p->img);
    free(p->roi);
    free(p->reseg);
    memset(p, 0, sizeof *p);
}

int rad_extract(const struct volume *image, const struct volume *mask, const struct rad_settings *s0,
                const char *prefix, struct rad_result *out, struct sarc_err *e)
{
    memset(out, 0, sizeof *out);
    struct rad_settings st = *s0;
    struct rad_settings *s = &st;
    if (!s->classes_given) {
        const int defaults[] = {RC_SHAPE, RC_FIRSTORDER, RC_GLCM, RC_GLRLM, RC_GLSZM, RC_GLDM, RC_NGTDM};
        for (int t = 0; t < 7; t++)
            s->enabled[defaults[t]] = (uint32_t)((1ull << rad_class_table[defaults[t]].nfeat) - 1);
        if (s->force2d)
            s->enabled[RC_SHAPE2D] = (uint32_t)((1ull << rad_class_table[RC_SHAPE2D].nfeat) - 1);
    }
    int rc = 0;
    double *cx = NULL;
    uint8_t *cm = NULL, *cshape = NULL;
    int *lv = NULL, *plv = NULL;
    struct rad_prepared pp = {0};
    int cap = 0;
    struct audit_step *step = audit_step_begin("radiomics");
    audit_param_str(step, "prefix", prefix);
    audit_param_int(step, "label", s->label);
    if (s->bin_count > 0)
        audit_param_int(step, "binCount", s->bin_count);
    else
        audit_param_num(step, "binWidth", s->bin_width);
    audit_param_int(step, "normalize", s->normalize);
    audit_param_num(step, "normalizeScale", s->normalize_scale);
    audit_param_int(step, "resegment", s->nreseg);
    audit_param_int(step, "force2D", s->force2d);
    audit_param_int(step, "ibsi", s->ibsi);
    audit_input_volume(step, "image", image);
    audit_input_volume(step, "mask", mask);

    rc = rad_prepare(image, mask, s, 0, step, &pp, e);
    if (rc)
        goto done;
    const int64_t *n = pp.n, *lo = pp.lo, *hi = pp.hi;
    const double *sp = pp.sp;
    const int64_t cnt = pp.count;
    out->roi_voxels = pp.roi_count;
    out->kept_voxels = cnt;
    const double *img = pp.img;
    const uint8_t *roi = pp.roi;
    const uint8_t *feat_roi = pp.reseg ? pp.reseg : pp.roi;
    /* crop to the (final) bounding box */
    struct rad_roi R;
    memset(&R, 0, sizeof R); /* voxel_levels 0: one case */
    R.nx = hi[0] - lo[0] + 1;
    R.ny = hi[1] - lo[1] + 1;
    R.nz = hi[2] - lo[2] + 1;
    R.sx = sp[0];
    R.sy = sp[1];
    R.sz = sp[2];
    const int64_t CN = R.nx * R.ny * R.nz;
    /* rad_prepare's grid is usually the box already (no normalisation, resampling or
     * resegmentation): then its arrays are used in place, without copies */
    const int in_place = lo[0] == 0 && lo[1] == 0 && lo[2] == 0 && hi[0] == n[0] - 1 && hi[1] == n[1] - 1 && hi[2] == n[2] - 1;
    const double *bx = img;
    const uint8_t *bm = feat_roi, *bshape = s->reseg_shape ? feat_roi : roi;
    lv = malloc((size_t)CN * sizeof *lv);
    if (!in_place) {
        cx = malloc((size_t)CN * sizeof *cx);
        cm = malloc((size_t)CN);
        cshape = malloc((size_t)CN);
    }
    if (!lv || (!in_place && (!cx || !cm || !cshape))) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (!in_place) {
        crop_d(img, n, lo, hi, cx);
        crop_u8(bm, n, lo, hi, cm);
        crop_u8(bshape, n, lo, hi, cshape);
        bx = cx;
        bm = cm;
        bshape = cshape;
    }
    R.x = bx;
    R.m = bshape;
    R.lv = lv;
    R.plv = NULL;
    R.ppad = 0;
    R.np = 0;
    for (int64_t t = 0; t < CN; t++)
        R.np += bshape[t];
    R.ng = 0;
    double vals[32];
    if (s->enabled[RC_SHAPE]) {
        rc = shape_features(&R, s, vals, e);
        if (rc)
            goto done;
        for (int f = 0; f < rad_class_table[RC_SHAPE].nfeat; f++)
            if (s->enabled[RC_SHAPE] >> f & 1)
                if ((rc = push(out, &cap, prefix, RC_SHAPE, f, vals[f], e)))
                    goto done;
    }
    /* shape2D as PyRadiomics: only with force2D and a ROI of extent 1 along force2Ddimension;
     * otherwise skipped (PyRadiomics warns), noted in the audit trail */
    const int64_t ext2d = s->force2d_dim == 0 ? R.nz : s->force2d_dim == 1 ? R.ny : R.nx;
    if (s->enabled[RC_SHAPE2D] && (!s->force2d || ext2d != 1))
        audit_note(step, !s->force2d ? "shape2D skipped: force2D is false" : "shape2D skipped: the ROI spans more than one voxel along force2Ddimension");
    else if (s->enabled[RC_SHAPE2D]) {
        rc = shape2d_features(&R, s, vals, e);
        if (rc)
            goto done;
        for (int f = 0; f < rad_class_table[RC_SHAPE2D].nfeat; f++)
            if (s->enabled[RC_SHAPE2D] >> f & 1)
                if ((rc = push(out, &cap, prefix, RC_SHAPE2D, f, vals[f], e)))
                    goto done;
    }
    R.m = bm;
    R.np = cnt;
    int any = 0;
    for (int c = RC_FIRSTORDER; c < RC_COUNT; c++)
        any |= s->enabled[c] != 0;
    if (any) {
        rc = rad_discretize(bx, bm, CN, s, lv, &R.ng, e);
        if (rc)
            goto done;
        audit_value(step, "grey_levels", R.ng);
        /* one padded level array for GLCM, GLDM and NGTDM (they only read it; GLRLM and
         * GLSZM write into their own) */
        if (s->enabled[RC_GLCM] || s->enabled[RC_GLDM] || s->enabled[RC_NGTDM]) {
            int dmax = 0;
            for (int t = 0; t < s->ndist; t++)
                if (s->distances[t] > dmax)
                    dmax = s->distances[t];
            int64_t ppn[3];
            if ((rc = rad_pad_levels(&R, dmax, &plv, ppn, e)))
                goto done;
            R.plv = plv;
            R.ppad = dmax;
        }
    }
    /* the texture classes are independent: with more than one thread they run in parallel,
     * each into its own slot, and are collected in class order (same result for any thread
     * count; inside a batch worker the nested pool_for runs serially) */
    struct class_task tasks[RC_COUNT];
    int ntask = 0;
    for (int c = RC_FIRSTORDER; c < RC_COUNT; c++)
        if (s->enabled[c]) {
            memset(&tasks[ntask], 0, sizeof tasks[ntask]);
            tasks[ntask].cls = c;
            tasks[ntask].r = &R;
            tasks[ntask].s = s;
            ntask++;
        }
    pool_for(pool_default(), ntask, 1, class_run, tasks);
    for (int t = 0; t < ntask; t++) {
        const int c = tasks[t].cls;
        if (tasks[t].rc) {
            rc = tasks[t].rc;
            if (e)
                *e = tasks[t].err;
            goto done;
        }
        for (int f = 0; f < rad_class_table[c].nfeat; f++)
            if (s->enabled[c] >> f & 1)
                if ((rc = push(out, &cap, prefix, c, f, tasks[t].vals[f], e)))
                    goto done;
    }
    audit_output_array(step, "features", out->values, out->n);
done:
    if (rc) {
        rad_result_free(out);
        audit_note(step, e ? e->msg : "failed");
    }
    audit_step_end(step);
    rad_prepared_free(&pp);
    free(cx);
    free(cm);
    free(cshape);
    free(lv);
    free(plv);
    return rc;
}
