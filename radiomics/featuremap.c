/* featuremap.c - voxel-based feature maps as PyRadiomics' voxelBased mode (PyRadiomics 3.0.1
 * featureextractor.execute with voxelBased=True, base.RadiomicsFeaturesBase voxel loop): the
 * pipeline front of rad_prepare (normalisation, resampledPixelSpacing, resegmentation), one
 * discretisation over the ROI (global Ng), then per ROI voxel the classes of radiomics/ on the
 * kernel box (cube of kernelRadius, in-plane with force2D) with the ROI voxels of that box
 * (maskedKernel) or all voxels of the ROI box padded by kernelRadius (maskedKernel false). Shape
 * is not available voxel-wise (as in PyRadiomics).
 *
 * Speed: every class goes through the allocation-free kernels of fmap_fast.c (GLCM and GLRLM
 * with weightingNorm: the per-class functions on the clipped kernel box). The maps are
 * allocated in parallel (their first page touches were most of the serial set-up) and filled
 * with initValue only when it is not +0 (volume_alloc zero-fills); no per-map error buffers,
 * whose allocation between the maps made glibc trim the heap and fault the maps' pages in
 * again on every call.
 * Output grid: PyRadiomics crops the (resampled) image to the final ROI's box padded by
 * kernelRadius (cropToTumorMask, clipped to the image; with preCrop also to the box padded by
 * padDistance) and copies that crop's geometry to every map; we do the same (origin = the
 * image's affine at the crop's first index; after resampling the grid of
 * imageoperations.resampleImage, recomputed here as radiomics/rresample.c places it).
 * Covered by test/radiomics/test_featuremap.c (PyRadiomics goldens with geometry, fast path
 * against the reference path, thread counts) and test_features.c (PyRadiomics map values). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "radiomics/extract.h"
#include "radiomics/featuremap.h"
#include "radiomics/fmap_fast.h"
#include "radiomics/prepare.h"
#include "radiomics/rresample.h"
#include "vendor/pool.h"
#include "vendor/progress.h"

void featuremap_free(struct featuremap *fm)
{
    for (int f = 0; f < fm->n; f++) {
        if (fm->names)
            free(fm->names[f]);
        if (fm->maps)
            volume_free(&fm->maps[f]);
    }
    free(fm->names);
    free(fm->maps);
    memset(fm, 0, sizeof *fm);
}

struct fm_ctx {
    const struct rad_settings *s;
    const struct rad_prepared *p;
    const uint8_t *kmask; /* voxels a kernel may use: the ROI, or the padded box (unmasked) */
    const int *lv;
    int ng;
    const int64_t *vox;   /* ROI voxel indices on p's grid */
    int cls[RC_COUNT];    /* enabled classes in order */
    int ncls;
    int nfeat;
    int reference;
    const struct fmap_plan *plan;
    struct volume *maps;  /* nfeat output maps */
    int64_t shift[3];     /* output index = p index + shift */
    int64_t on[3];        /* output extents */
    int roi_levels;       /* distinct levels in the kernel mask (rad_roi.voxel_levels) */
    uint8_t *dne;         /* nv x plan->na, or NULL: GLCM offset a has a pair in voxel t's kernel */
    struct sarc_err *errs; /* per chunk */
    int *chunk_rc;
    struct progress *prog;
};

/* The output maps' allocation, shared by map_alloc_run's chunks. */
struct map_alloc {
    struct volume *maps;
    char **names;
    const int (*ft)[2];    /* per map: class, feature */
    int ndim;
    int64_t odim[4];
    const double (*base_aff)[4];
    const int64_t *olo;
    const double *spacing; /* the image's spacing, or NULL (resampled: from the affine) */
    int sform_code, qform_code;
    double init_value;
    int *rc;               /* per map: 0 or a negative SARC_ERR_* */
};

/* Allocates and initialises the maps [begin, end): in parallel, so that the first touch of
 * their pages (most of featuremap's set-up time) is spread over the threads. */
static void map_alloc_run(void *ctx, int64_t begin, int64_t end, int64_t chunk)
{
    (void)chunk;
    const struct map_alloc *a = ctx;
    for (int64_t f = begin; f < end; f++) {
        /* name and map in turn, as the serial loop did: the heap layout this leaves keeps glibc
         * from handing the maps' pages back between calls (page faults measured) */
        const int cl = a->ft[f][0], t = a->ft[f][1];
        char name[160];
        snprintf(name, sizeof name, "original_%s_%s", rad_class_table[cl].name, rad_class_table[cl].feat[t]);
        a->names[f] = malloc(strlen(name) + 1);
        if (!a->names[f]) {
            a->rc[f] = SARC_ERR_NOMEM;
            continue;
        }
        strcpy(a->names[f], name);
        struct volume *mv = &a->maps[f];
        struct sarc_err e1;
        a->rc[f] = volume_alloc(mv, a->ndim, a->odim, &e1);
        if (a->rc[f])
            continue;
        /* geometry: the base grid's affine at the crop's first index */
        for (int rr = 0; rr < 4; rr++)
            for (int cc = 0; cc < 4; cc++)
                mv->affine[rr][cc] = a->base_aff[rr][cc];
        for (int rr = 0; rr < 3; rr++)
            mv->affine[rr][3] = a->base_aff[rr][3] + a->base_aff[rr][0] * (double)a->olo[0] +
                                a->base_aff[rr][1] * (double)a->olo[1] + a->base_aff[rr][2] * (double)a->olo[2];
        volume_spacing_from_affine(mv->affine, mv->spacing);
        if (a->spacing)
            for (int k = 0; k < 3; k++)
                mv->spacing[k] = a->spacing[k];
        mv->spacing[3] = 1;
        memcpy(mv->sform, mv->affine, sizeof mv->sform);
        memcpy(mv->qform, mv->affine, sizeof mv->qform);
        mv->sform_code = a->sform_code;
        mv->qform_code = a->qform_code;
        mv->type = VT_F32;
        mv->scl_slope = 0;
        mv->scl_inter = 0;
        snprintf(mv->format, sizeof mv->format, "generated");
        /* volume_alloc zero-fills: initValue +0 (the default) needs no second pass */
        const int64_t cnt = volume_count(mv);
        if (!(a->init_value == 0 && !signbit(a->init_value)))
            for (int64_t t = 0; t < cnt; t++)
                mv->data[t] = a->init_value;
    }
}

/* dne[a] = 1 where the kernel (lev: the full box's levels, 0 = not in the kernel) holds a pair
 * of voxels along the plan's GLCM offset a (the per-class path's non-empty directions). */
static void kernel_offsets_used(const struct fmap_plan *pl, const int *lev, uint8_t *dne)
{
    for (int a = 0; a < pl->na; a++) {
        dne[a] = 0;
        for (int q = pl->pstart[a]; q < pl->pstart[a + 1]; q++)
            if (lev[pl->pair[2 * q]] > 0 && lev[pl->pair[2 * q + 1]] > 0) {
                dne[a] = 1;
                break;
            }
    }
}

/* PyRadiomics' voxel mode drops a GLCM direction only when it is empty in EVERY kernel of the
 * batch (glcm.py: the sum over the voxel axis); a direction empty in some kernels only is NaN
 * there, which the features skip (nanmean) except JointAverage, a plain mean: NaN at those
 * voxels. (Its MCC raises on the NaN matrix and PyRadiomics then leaves the whole MCC map at
 * initValue; sarc gives the nanmean over the kernel's non-empty directions.) voxelBatch is not
 * a sarc setting: the batch is the whole ROI, PyRadiomics' default. */
static int64_t joint_average_mark(const struct fm_ctx *c, int64_t nv, struct volume *ja)
{
    int64_t marked = 0;
    const int na = c->plan->na;
    uint8_t any[FMAP_MAX_OFF];
    memset(any, 0, sizeof any);
    for (int64_t t = 0; t < nv; t++)
        for (int a = 0; a < na; a++)
            any[a] |= c->dne[(size_t)t * (size_t)na + (size_t)a];
    const int64_t *n = c->p->n;
    for (int64_t t = 0; t < nv; t++) {
        const uint8_t *d = c->dne + (size_t)t * (size_t)na;
        int some = 0, missing = 0;
        for (int a = 0; a < na; a++) {
            some |= d[a];
            missing |= any[a] & !d[a];
        }
        if (!some || !missing)
            continue; /* no pair at all: every feature is NaN already */
        const int64_t v = c->vox[t];
        const int64_t oi = v % n[0] + c->shift[0], oj = v / n[0] % n[1] + c->shift[1], ok = v / (n[0] * n[1]) + c->shift[2];
        ja->data[oi + c->on[0] * (oj + c->on[1] * ok)] = NAN;
        marked++;
    }
    return marked;
}

/* Computes the voxels [begin, end) of c->vox and writes their values into c->maps. Each chunk
 * owns its voxels' map entries, so the maps do not depend on the thread count. */
static void fm_chunk(void *ctx, int64_t begin, int64_t end, int64_t chunk)
{
    struct fm_ctx *c = ctx;
    const struct fmap_plan *pl = c->plan;
    const int64_t *n = c->p->n;
    const int Rk[3] = {(pl->bn[0] - 1) / 2, (pl->bn[1] - 1) / 2, (pl->bn[2] - 1) / 2};
    const int64_t bn = pl->B;
    double *x = malloc((size_t)bn * sizeof *x), *fx = malloc((size_t)bn * sizeof *fx);
    uint8_t *m = malloc((size_t)bn);
    int *lv = malloc((size_t)bn * sizeof *lv), *flev = malloc((size_t)bn * sizeof *flev);
    struct fmap_scratch w;
    int have_w = fmap_scratch_init(&w, pl) == 0;
    struct sarc_err *e = &c->errs[chunk];
    if (!x || !fx || !m || !lv || !flev || !have_w) {
        c->chunk_rc[chunk] = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    const double sp[3] = {c->p->sp[0], c->p->sp[1], c->p->sp[2]};
    for (int64_t t = begin; t < end; t++) {
        const int64_t v = c->vox[t];
        const int64_t vi = v % n[0], vj = v / n[0] % n[1], vk = v / (n[0] * n[1]);
        const int64_t vc[3] = {vi, vj, vk};
        int64_t lo[3], hi[3];
        int ext[3];
        for (int a = 0; a < 3; a++) {
            lo[a] = vc[a] - Rk[a] < 0 ? 0 : vc[a] - Rk[a];
            hi[a] = vc[a] + Rk[a] > n[a] - 1 ? n[a] - 1 : vc[a] + Rk[a];
            ext[a] = (int)(hi[a] - lo[a] + 1);
        }
        /* the full kernel box (positions outside the grid are not in the kernel) for the fast
         * kernels, and the clipped box for the per-class functions */
        struct rad_roi r;
        r.nx = ext[0];
        r.ny = ext[1];
        r.nz = ext[2];
        r.sx = sp[0];
        r.sy = sp[1];
        r.sz = sp[2];
        r.np = 0;
        r.plv = NULL;
        r.ppad = 0;
        int64_t q = 0;
        int fq = 0;
        for (int dk = -Rk[2]; dk <= Rk[2]; dk++)
            for (int dj = -Rk[1]; dj <= Rk[1]; dj++)
                for (int di = -Rk[0]; di <= Rk[0]; di++, fq++) {
                    const int64_t i = vi + di, j = vj + dj, k = vk + dk;
                    if (i < 0 || j < 0 || k < 0 || i >= n[0] || j >= n[1] || k >= n[2]) {
                        flev[fq] = 0;
                        fx[fq] = 0;
                        continue;
                    }
                    const int64_t g = i + n[0] * (j + n[1] * k);
                    const int in = c->kmask[g] != 0;
                    x[q] = fx[fq] = c->p->img[g];
                    m[q] = (uint8_t)in;
                    lv[q] = flev[fq] = in ? c->lv[g] : 0;
                    r.np += in;
                    q++;
                }
        r.x = x;
        r.m = m;
        r.lv = lv;
        r.ng = c->ng;
        r.voxel_levels = c->roi_levels;
        const int64_t oi = vi + c->shift[0], oj = vj + c->shift[1], ok = vk + c->shift[2];
        const int64_t oidx = oi + c->on[0] * (oj + c->on[1] * ok);
        int o = 0;
        fmap_kernel_begin(pl, &w, flev);
        for (int ci = 0; ci < c->ncls; ci++) {
            const int cl = c->cls[ci];
            double vals[32];
            int rc;
            const int fast = !c->reference;
            switch (cl) {
            case RC_FIRSTORDER:
                rc = fast ? fmap_firstorder(pl, &w, flev, fx, c->s, sp, vals) : firstorder_features(&r, c->s, vals, e);
                break;
            case RC_GLCM:
                if (fast && pl->glcm_fast) {
                    rc = fmap_glcm(pl, &w, flev, ext, vals, e);
                    if (c->dne)
                        memcpy(c->dne + (size_t)t * (size_t)pl->na, w.dne, (size_t)pl->na);
                } else {
                    rc = glcm_features(&r, c->s, vals, e);
                    if (c->dne)
                        kernel_offsets_used(pl, flev, c->dne + (size_t)t * (size_t)pl->na);
                }
                break;
            case RC_GLRLM:
                rc = fast && c->s->weighting == RW_NONE ? fmap_glrlm(pl, &w, flev, ext, vals) : glrlm_features(&r, c->s, vals, e);
                break;
            case RC_GLSZM: rc = fast ? fmap_glszm(pl, &w, flev, vals) : glszm_features(&r, c->s, vals, e); break;
            case RC_GLDM: rc = fast ? fmap_gldm(pl, &w, flev, c->s, vals) : gldm_features(&r, c->s, vals, e); break;
            default: rc = fast ? fmap_ngtdm(pl, &w, flev, vals) : ngtdm_features(&r, c->s, vals, e); break;
            }
            if (rc) {
                c->chunk_rc[chunk] = rc;
                goto done;
            }
            for (int f = 0; f < rad_class_table[cl].nfeat; f++)
                if (c->s->enabled[cl] >> f & 1)
                    c->maps[o++].data[oidx] = vals[f];
        }
        fmap_kernel_end(&w);
    }
    progress_add(c->prog, end - begin);
done:
    if (have_w)
        fmap_scratch_free(&w);
    free(x);
    free(fx);
    free(m);
    free(lv);
    free(flev);
}

/* The ROI on the image grid (rad_prepare's label test; correctMask's resampled mask when the
 * grids differ) into roi (image voxels, allocated here) and its bounding box. Returns the voxel
 * count (0 with *rc = 0: label absent). */
static int64_t label_roi(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                         uint8_t **roi_out, int64_t lo[3], int64_t hi[3], struct sarc_err *e, int *rc)
{
    *rc = 0;
    *roi_out = NULL;
    struct volume rmask = {0};
    const struct volume *msk = mask;
    if (!rad_geometry_matches(image, mask, s)) {
        *rc = rresample_mask_to_grid(mask, image, s->label, &rmask, e);
        if (*rc)
            return 0;
        msk = &rmask;
    }
    const int64_t n[3] = {image->dim[0], image->dim[1], image->dim[2]};
    uint8_t *roi = malloc((size_t)(n[0] * n[1] * n[2]));
    if (!roi) {
        volume_free(&rmask);
        *rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        return 0;
    }
    int64_t count = 0;
    const double lab = (double)s->label;
    for (int a = 0; a < 3; a++) {
        lo[a] = n[a];
        hi[a] = -1;
    }
    for (int64_t k = 0; k < n[2]; k++)
        for (int64_t j = 0; j < n[1]; j++)
            for (int64_t i = 0; i < n[0]; i++) {
                const int64_t g = i + n[0] * (j + n[1] * k);
                const double mv = msk->data[g];
                roi[g] = mv >= lab && mv < lab + 1;
                if (!roi[g])
                    continue;
                count++;
                const int64_t cc[3] = {i, j, k};
                rad_bbox_add(lo, hi, cc);
            }
    volume_free(&rmask);
    *roi_out = roi;
    return count;
}

/* The affine and size of the resampled grid of rresample_case (rresample_grid_compute: output
 * voxel m at continuous index origin + step * m of the image grid), i.e. PyRadiomics'
 * resampleImage output: the image's direction, spacing t, origin at that continuous index. */
static int resampled_affine(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                            double aff[4][4], int64_t n_out[3], struct sarc_err *e)
{
    int64_t L[3], H[3];
    uint8_t *roi = NULL;
    int rc;
    if (label_roi(image, mask, s, &roi, L, H, e, &rc) == 0) {
        free(roi);
        return rc ? rc : ERR(e, SARC_ERR_ARG, "label %d is not present in the mask", s->label);
    }
    struct rresample_grid g;
    rc = rresample_grid_compute(roi, image->dim, image->spacing, s, &g, e);
    free(roi);
    if (rc)
        return rc;
    memset(aff, 0, 16 * sizeof(double));
    aff[3][3] = 1;
    for (int rr = 0; rr < 3; rr++) {
        aff[rr][3] = image->affine[rr][3];
        for (int cc = 0; cc < 3; cc++) {
            aff[rr][3] += image->affine[rr][cc] * g.origin[cc];
            aff[rr][cc] = image->affine[rr][cc] / image->spacing[cc] * g.t[cc];
        }
    }
    for (int a = 0; a < 3; a++)
        n_out[a] = g.size[a];
    return 0;
}

int featuremap_compute(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                       struct featuremap *fm, struct sarc_err *e)
{
    return featuremap_compute_opts(image, mask, s, NULL, fm, e);
}

int featuremap_compute_opts(const struct volume *image, const struct volume *mask, const struct rad_settings *s0,
                            const struct featuremap_opts *opts, struct featuremap *fm, struct sarc_err *e)
{
    memset(fm, 0, sizeof *fm);
    const struct featuremap_opts dflt = FEATUREMAP_OPTS_DEFAULT;
    if (!opts)
        opts = &dflt;
    struct rad_settings st = *s0;
    struct rad_settings *s = &st;
    if (!s->classes_given) {
        const int defaults[] = {RC_FIRSTORDER, RC_GLCM, RC_GLRLM, RC_GLSZM, RC_GLDM, RC_NGTDM};
        for (int t = 0; t < 6; t++)
            s->enabled[defaults[t]] = (uint32_t)((1ull << rad_class_table[defaults[t]].nfeat) - 1);
    }
    if (s->enabled[RC_SHAPE] || s->enabled[RC_SHAPE2D])
        return ERR(e, SARC_ERR_ARG, "shape features have no voxel-based form (remove shape/shape2D from featureClass)");
    const int resampling = s->resample && s->interpolator != RI_NONE;
    if (resampling && opts->full_grid)
        return ERR(e, SARC_ERR_ARG, "--full-grid: with resampledPixelSpacing the maps are on the resampled grid, not the input image's");
    struct audit_step *step = audit_step_begin("featuremap");
    audit_param_int(step, "kernelRadius", s->kernel_radius);
    audit_param_num(step, "initValue", s->init_value);
    audit_param_int(step, "maskedKernel", s->masked_kernel);
    audit_param_int(step, "full_grid", opts->full_grid);
    audit_param_str(step, "path", opts->reference ? "reference" : "fast");
    audit_input_volume(step, "image", image);
    audit_input_volume(step, "mask", mask);
    struct rad_prepared p = {0};
    struct fmap_plan plan;
    memset(&plan, 0, sizeof plan);
    struct fm_ctx c;
    memset(&c, 0, sizeof c);
    int *lv = NULL;
    int64_t *vox = NULL;
    uint8_t *kmask = NULL;
    int (*ft)[2] = NULL; /* per map: class, feature */
    int rc = rad_prepare(image, mask, s, !s->masked_kernel, step, &p, e);
    if (rc)
        goto done;
    const uint8_t *roi = p.reseg ? p.reseg : p.roi;
    const int64_t N = p.n[0] * p.n[1] * p.n[2];
    lv = malloc((size_t)N * sizeof *lv);
    vox = malloc((size_t)p.count * sizeof *vox);
    if (!lv || !vox) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* the base grid (the image's, or the resampled one) and the ROI box on it */
    double base_aff[4][4];
    int64_t base_n[3], blo[3], bhi[3];
    if (p.resampled) {
        rc = resampled_affine(image, mask, s, base_aff, base_n, e);
        if (rc)
            goto done;
        for (int a = 0; a < 3; a++)
            if (base_n[a] != p.n[a]) {
                rc = ERR(e, SARC_ERR_INTERNAL, "featuremap: resampled grid axis %d has %lld voxels, expected %lld", a,
                         (long long)p.n[a], (long long)base_n[a]);
                goto done;
            }
    } else {
        memcpy(base_aff, image->affine, sizeof base_aff);
        for (int a = 0; a < 3; a++)
            base_n[a] = image->dim[a];
    }
    for (int a = 0; a < 3; a++) {
        blo[a] = p.lo[a] + p.off[a];
        bhi[a] = p.hi[a] + p.off[a];
    }
    /* output grid: box +- kernelRadius clipped to the base grid (and to the preCrop box) */
    int64_t olo[3], on[3];
    int64_t pclo[3] = {0, 0, 0}, pchi[3] = {base_n[0] - 1, base_n[1] - 1, base_n[2] - 1};
    if (s->pre_crop && !p.resampled) {
        int64_t l0[3], h0[3];
        int rc2;
        uint8_t *r0 = NULL;
        const int64_t c0 = label_roi(image, mask, s, &r0, l0, h0, e, &rc2);
        free(r0);
        if (c0 == 0) {
            rc = rc2 ? rc2 : ERR(e, SARC_ERR_ARG, "label %d is not present in the mask", s->label);
            goto done;
        }
        const int64_t pad = (int64_t)s->pad_distance;
        for (int a = 0; a < 3; a++) {
            pclo[a] = l0[a] - pad < 0 ? 0 : l0[a] - pad;
            pchi[a] = h0[a] + pad > base_n[a] - 1 ? base_n[a] - 1 : h0[a] + pad;
        }
    }
    const int R = s->kernel_radius;
    int ng = 0;
    if (s->masked_kernel) {
        rc = rad_discretize(p.img, roi, N, s, lv, &ng, e);
    } else {
        /* unmasked kernels (PyRadiomics: the image cropped to the ROI box + kernelRadius, every
         * voxel of it in the kernel mask and in the discretisation) */
        kmask = calloc((size_t)N, 1);
        if (!kmask) {
            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
            goto done;
        }
        int64_t lo[3], hi[3];
        for (int a = 0; a < 3; a++) {
            /* (preCrop: also inside the pre-cropped image, p's grid being the image's here) */
            const int64_t l = pclo[a] - p.off[a], h = pchi[a] - p.off[a];
            lo[a] = p.lo[a] - R < l ? l : p.lo[a] - R;
            hi[a] = p.hi[a] + R > h ? h : p.hi[a] + R;
            lo[a] = lo[a] < 0 ? 0 : lo[a];
            hi[a] = hi[a] > p.n[a] - 1 ? p.n[a] - 1 : hi[a];
        }
        for (int64_t k = lo[2]; k <= hi[2]; k++)
            for (int64_t j = lo[1]; j <= hi[1]; j++)
                for (int64_t i = lo[0]; i <= hi[0]; i++)
                    kmask[i + p.n[0] * (j + p.n[1] * k)] = 1;
        rc = rad_discretize(p.img, kmask, N, s, lv, &ng, e);
    }
    if (rc)
        goto done;
    for (int a = 0; a < 3; a++) {
        if (opts->full_grid) {
            olo[a] = 0;
            on[a] = base_n[a];
            continue;
        }
        int64_t l = blo[a] - R, h = bhi[a] + R;
        l = l < pclo[a] ? pclo[a] : l;
        h = h > pchi[a] ? pchi[a] : h;
        olo[a] = l;
        on[a] = h - l + 1;
    }
    int64_t nv = 0;
    for (int64_t t = 0; t < N; t++)
        if (roi[t])
            vox[nv++] = t;
    rc = fmap_plan_init(&plan, s, ng, e);
    if (rc)
        goto done;
    {
        /* the levels present in the kernel mask (PyRadiomics' voxel-mode GLCM keeps all of them) */
        const uint8_t *km = kmask ? kmask : roi;
        uint8_t *seen = calloc((size_t)ng + 1, 1);
        if (!seen) {
            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (int64_t t = 0; t < N; t++)
            if (km[t] && lv[t] > 0 && !seen[lv[t]]) {
                seen[lv[t]] = 1;
                c.roi_levels++;
            }
        free(seen);
        plan.roi_levels = c.roi_levels;
    }
    /* JointAverage needs each voxel's non-empty GLCM directions (joint_average_mark) */
    int ja_map = -1;
    if (s->weighting == RW_NONE && (s->enabled[RC_GLCM] >> 1 & 1) && plan.na > 0) {
        c.dne = malloc((size_t)(nv ? nv : 1) * (size_t)plan.na);
        if (!c.dne) {
            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    c.s = s;
    c.p = &p;
    c.kmask = kmask ? kmask : roi;
    c.lv = lv;
    c.ng = ng;
    c.vox = vox;
    c.plan = &plan;
    c.reference = opts->reference;
    for (int a = 0; a < 3; a++) {
        c.shift[a] = p.off[a] - olo[a];
        c.on[a] = on[a];
    }
    for (int cl = RC_FIRSTORDER; cl < RC_COUNT; cl++)
        if (s->enabled[cl]) {
            c.cls[c.ncls++] = cl;
            for (int f = 0; f < rad_class_table[cl].nfeat; f++)
                c.nfeat += s->enabled[cl] >> f & 1;
        }
    /* the maps: allocated once, initValue everywhere, ROI voxels written by the workers */
    fm->names = calloc((size_t)(c.nfeat ? c.nfeat : 1), sizeof *fm->names);
    fm->maps = calloc((size_t)(c.nfeat ? c.nfeat : 1), sizeof *fm->maps);
    if (!fm->names || !fm->maps) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    const int ndim = image->ndim < 3 ? image->ndim : 3;
    int f = 0;
    ft = malloc(((size_t)c.nfeat + 1) * sizeof *ft);
    if (!ft) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int ci = 0; ci < c.ncls; ci++) {
        const int cl = c.cls[ci];
        for (int t = 0; t < rad_class_table[cl].nfeat; t++)
            if (s->enabled[cl] >> t & 1) {
                ft[f][0] = cl;
                ft[f][1] = t;
                if (cl == RC_GLCM && t == 1)
                    ja_map = f;
                f++;
            }
    }
    fm->n = f; /* featuremap_free: names and maps stay NULL / zero until allocated */
    {
        struct map_alloc ma = {
            .maps = fm->maps,
            .names = fm->names,
            .ft = (const int (*)[2])ft,
            .ndim = ndim < 1 ? 1 : ndim,
            .odim = {on[0], on[1], on[2], 1},
            .base_aff = (const double (*)[4])base_aff,
            .olo = olo,
            .spacing = p.resampled ? NULL : image->spacing,
            .sform_code = image->sform_code > 0 ? image->sform_code : image->qform_code > 0 ? image->qform_code : 0,
            .init_value = s->init_value,
            .rc = calloc((size_t)f + 1, sizeof *ma.rc),
        };
        ma.qform_code = image->qform_code > 0 ? image->qform_code : ma.sform_code;
        if (!ma.rc) {
            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
            goto done;
        }
        pool_for(pool_default(), f, 4, map_alloc_run, &ma);
        for (int q = 0; q < f && !rc; q++)
            if (ma.rc[q])
                rc = ERR(e, ma.rc[q], "cannot allocate %d feature maps of %lld x %lld x %lld voxels", f,
                         (long long)on[0], (long long)on[1], (long long)on[2]);
        free(ma.rc);
        if (rc)
            goto done;
    }
    c.maps = fm->maps;
    const int64_t grain = 16, nchunks = pool_chunks(nv, grain);
    c.errs = calloc((size_t)nchunks + 1, sizeof *c.errs);
    c.chunk_rc = calloc((size_t)nchunks + 1, sizeof *c.chunk_rc);
    if (!c.errs || !c.chunk_rc) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    struct progress prog;
    progress_begin(&prog, "featuremap", nv, "voxels");
    c.prog = &prog;
    pool_for(pool_default(), nv, grain, fm_chunk, &c);
    progress_end(&prog);
    for (int64_t k = 0; k < nchunks; k++)
        if (c.chunk_rc[k]) {
            rc = c.chunk_rc[k];
            if (e)
                *e = c.errs[k];
            goto done;
        }
    if (c.dne && ja_map >= 0)
        audit_value(step, "jointaverage_nan_voxels", (double)joint_average_mark(&c, nv, &fm->maps[ja_map]));
    audit_value(step, "roi_levels", (double)c.roi_levels);
    fm->roi_voxels = p.roi_count;
    fm->kept_voxels = nv;
    audit_value(step, "voxels", (double)nv);
    audit_value(step, "maps", (double)fm->n);
    for (int a = 0; a < 3; a++)
        audit_value(step, a == 0 ? "grid_x" : a == 1 ? "grid_y" : "grid_z", (double)on[a]);
done:
    if (rc) {
        featuremap_free(fm);
        audit_note(step, e ? e->msg : "failed");
    }
    audit_step_end(step);
    free(c.errs);
    free(c.chunk_rc);
    free(c.dne);
    free(lv);
    free(vox);
    free(kmask);
    free(ft);
    fmap_plan_free(&plan);
    rad_prepared_free(&p);
    return rc;
}
