/* featuremap.c - voxel-based feature maps as PyRadiomics' voxelBased mode: the pipeline front of
 * rad_prepare (no resampling: maps stay on the image grid), one discretisation over the ROI
 * (global Ng), then per ROI voxel the classes of radiomics/ on the kernel box (cube of
 * kernelRadius, in-plane with force2D) with the ROI voxels of that box (maskedKernel) or all voxels
 * of the ROI box padded by kernelRadius (maskedKernel false). Shape is not available
 * voxel-wise (as in PyRadiomics). Covered by test/radiomics/test_featuremap.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "radiomics/featuremap.h"
#include "radiomics/prepare.h"
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
    const uint8_t *roi;   /* voxels that get a value */
    const uint8_t *kmask; /* voxels a kernel may use: the ROI, or the padded box (unmasked) */
    const int *lv;
    int ng;
    const int64_t *vox;  /* ROI voxel indices */
    int cls[RC_COUNT];   /* enabled classes in order */
    int ncls;
    int nfeat;
    double *values;      /* (nvox, nfeat) */
    int rc;              /* first error (by chunk order) */
    struct sarc_err *errs; /* per chunk */
    int *chunk_rc;
    struct progress *prog;
};

static void fm_chunk(void *ctx, int64_t begin, int64_t end, int64_t chunk)
{
    struct fm_ctx *c = ctx;
    const int R = c->s->kernel_radius;
    const int64_t *n = c->p->n;
    int Rk[3] = {R, R, R}; /* x, y, z */
    if (c->s->force2d)
        Rk[2 - c->s->force2d_dim] = 0; /* array axis 0 = z */
    const int64_t bx = 2 * Rk[0] + 1, by = 2 * Rk[1] + 1, bz = 2 * Rk[2] + 1;
    const int64_t bn = bx * by * bz;
    double *x = malloc((size_t)bn * sizeof *x);
    uint8_t *m = malloc((size_t)bn);
    int *lv = malloc((size_t)bn * sizeof *lv);
    if (!x || !m || !lv) {
        c->chunk_rc[chunk] = ERR(&c->errs[chunk], SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t t = begin; t < end; t++) {
        const int64_t v = c->vox[t];
        const int64_t vi = v % n[0], vj = v / n[0] % n[1], vk = v / (n[0] * n[1]);
        int64_t lo[3] = {vi - Rk[0], vj - Rk[1], vk - Rk[2]}, hi[3] = {vi + Rk[0], vj + Rk[1], vk + Rk[2]};
        for (int a = 0; a < 3; a++) {
            if (lo[a] < 0)
                lo[a] = 0;
            if (hi[a] > n[a] - 1)
                hi[a] = n[a] - 1;
        }
        struct rad_roi r;
        r.nx = hi[0] - lo[0] + 1;
        r.ny = hi[1] - lo[1] + 1;
        r.nz = hi[2] - lo[2] + 1;
        r.sx = c->p->sp[0];
        r.sy = c->p->sp[1];
        r.sz = c->p->sp[2];
        r.np = 0;
        int64_t q = 0;
        for (int64_t k = lo[2]; k <= hi[2]; k++)
            for (int64_t j = lo[1]; j <= hi[1]; j++)
                for (int64_t i = lo[0]; i <= hi[0]; i++, q++) {
                    const int64_t g = i + n[0] * (j + n[1] * k);
                    x[q] = c->p->img[g];
                    m[q] = c->kmask[g];
                    lv[q] = c->kmask[g] ? c->lv[g] : 0;
                    r.np += m[q];
                }
        r.x = x;
        r.m = m;
        r.lv = lv;
        r.ng = c->ng;
        double *out = c->values + (size_t)t * c->nfeat;
        int o = 0;
        for (int ci = 0; ci < c->ncls; ci++) {
            const int cl = c->cls[ci];
            double vals[32];
            int rc;
            switch (cl) {
            case RC_FIRSTORDER: rc = firstorder_features(&r, c->s, vals, &c->errs[chunk]); break;
            case RC_GLCM: rc = glcm_features(&r, c->s, vals, &c->errs[chunk]); break;
            case RC_GLRLM: rc = glrlm_features(&r, c->s, vals, &c->errs[chunk]); break;
            case RC_GLSZM: rc = glszm_features(&r, c->s, vals, &c->errs[chunk]); break;
            case RC_GLDM: rc = gldm_features(&r, c->s, vals, &c->errs[chunk]); break;
            default: rc = ngtdm_features(&r, c->s, vals, &c->errs[chunk]); break;
            }
            if (rc) {
                c->chunk_rc[chunk] = rc;
                goto done;
            }
            for (int f = 0; f < rad_class_table[cl].nfeat; f++)
                if (c->s->enabled[cl] >> f & 1)
                    out[o++] = vals[f];
        }
    }
    progress_add(c->prog, end - begin);
done:
    free(x);
    free(m);
    free(lv);
}

int featuremap_compute(const struct volume *image, const struct volume *mask, const struct rad_settings *s0,
                       struct featuremap *fm, struct sarc_err *e)
{
    memset(fm, 0, sizeof *fm);
    struct rad_settings st = *s0;
    struct rad_settings *s = &st;
    if (!s->classes_given) {
        const int defaults[] = {RC_FIRSTORDER, RC_GLCM, RC_GLRLM, RC_GLSZM, RC_GLDM, RC_NGTDM};
        for (int t = 0; t < 6; t++)
            s->enabled[defaults[t]] = (uint32_t)((1ull << rad_class_table[defaults[t]].nfeat) - 1);
    }
    if (s->enabled[RC_SHAPE] || s->enabled[RC_SHAPE2D])
        return ERR(e, SARC_ERR_ARG, "shape features have no voxel-based form (remove shape/shape2D from featureClass)");
    if (s->resample)
        return ERR(e, SARC_ERR_UNSUPPORTED, "featuremap: resampledPixelSpacing is not supported (maps stay on the image grid)");
    struct audit_step *step = audit_step_begin("featuremap");
    audit_param_int(step, "kernelRadius", s->kernel_radius);
    audit_param_num(step, "initValue", s->init_value);
    audit_input_volume(step, "image", image);
    audit_input_volume(step, "mask", mask);
    struct rad_prepared p = {0};
    struct fm_ctx c;
    memset(&c, 0, sizeof c);
    int *lv = NULL;
    int64_t *vox = NULL;
    uint8_t *kmask = NULL;
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
        const int R = s->kernel_radius;
        int64_t lo[3], hi[3];
        for (int a = 0; a < 3; a++) {
            lo[a] = p.lo[a] - R < 0 ? 0 : p.lo[a] - R;
            hi[a] = p.hi[a] + R > p.n[a] - 1 ? p.n[a] - 1 : p.hi[a] + R;
        }
        for (int64_t k = lo[2]; k <= hi[2]; k++)
            for (int64_t j = lo[1]; j <= hi[1]; j++)
                for (int64_t i = lo[0]; i <= hi[0]; i++)
                    kmask[i + p.n[0] * (j + p.n[1] * k)] = 1;
        rc = rad_discretize(p.img, kmask, N, s, lv, &ng, e);
    }
    if (rc)
        goto done;
    int64_t nv = 0;
    for (int64_t t = 0; t < N; t++)
        if (roi[t])
            vox[nv++] = t;
    c.s = s;
    c.p = &p;
    c.roi = roi;
    c.kmask = kmask ? kmask : roi;
    c.lv = lv;
    c.ng = ng;
    c.vox = vox;
    for (int cl = RC_FIRSTORDER; cl < RC_COUNT; cl++)
        if (s->enabled[cl]) {
            c.cls[c.ncls++] = cl;
            for (int f = 0; f < rad_class_table[cl].nfeat; f++)
                c.nfeat += s->enabled[cl] >> f & 1;
        }
    const int64_t grain = 16, nchunks = pool_chunks(nv, grain);
    c.values = malloc((size_t)nv * (size_t)(c.nfeat ? c.nfeat : 1) * sizeof *c.values);
    c.errs = calloc((size_t)nchunks + 1, sizeof *c.errs);
    c.chunk_rc = calloc((size_t)nchunks + 1, sizeof *c.chunk_rc);
    if (!c.values || !c.errs || !c.chunk_rc) {
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
    fm->names = calloc((size_t)(c.nfeat ? c.nfeat : 1), sizeof *fm->names);
    fm->maps = calloc((size_t)(c.nfeat ? c.nfeat : 1), sizeof *fm->maps);
    if (!fm->names || !fm->maps) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    int f = 0;
    for (int ci = 0; ci < c.ncls; ci++) {
        const int cl = c.cls[ci];
        for (int t = 0; t < rad_class_table[cl].nfeat; t++) {
            if (!(s->enabled[cl] >> t & 1))
                continue;
            char name[160];
            snprintf(name, sizeof name, "original_%s_%s", rad_class_table[cl].name, rad_class_table[cl].feat[t]);
            fm->names[f] = malloc(strlen(name) + 1);
            if (!fm->names[f]) {
                fm->n = f;
                rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
                goto done;
            }
            strcpy(fm->names[f], name);
            rc = volume_alloc_like(&fm->maps[f], image, e);
            fm->n = f + 1;
            if (rc)
                goto done;
            fm->maps[f].type = VT_F32;
            fm->maps[f].scl_slope = 0;
            fm->maps[f].scl_inter = 0;
            double *d = fm->maps[f].data;
            for (int64_t t2 = 0; t2 < N; t2++)
                d[t2] = s->init_value;
            for (int64_t t2 = 0; t2 < nv; t2++) {
                /* p's grid is the ROI box of the image: back to image indices */
                const int64_t v = vox[t2], i = v % p.n[0], j = v / p.n[0] % p.n[1], k = v / (p.n[0] * p.n[1]);
                d[(i + p.off[0]) + image->dim[0] * ((j + p.off[1]) + image->dim[1] * (k + p.off[2]))] = c.values[(size_t)t2 * c.nfeat + f];
            }
            f++;
        }
    }
    audit_value(step, "voxels", (double)nv);
    audit_value(step, "maps", (double)fm->n);
done:
    if (rc) {
        featuremap_free(fm);
        audit_note(step, e ? e->msg : "failed");
    }
    audit_step_end(step);
    free(c.values);
    free(c.errs);
    free(c.chunk_rc);
    free(lv);
    free(vox);
    free(kmask);
    rad_prepared_free(&p);
    return rc;
}
