/* seg_predict.c - whole-scan U-Net inference (see seg_predict.h). Patches are predicted one after
 * the other (each forward is multi-threaded inside) and added to the running mean in patch
 * order, so the map does not depend on the thread count. Covered by test/nn/test_seg.c. */
#include "nn/seg_predict.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "io/volio.h"
#include "nn/patch.h"
#include "nn/segmetrics.h"
#include "vendor/progress.h"

float seg_sigmoid(float z) { return (float)(1.0 / (1.0 + exp(-(double)z))); }

void seg_scan_free(struct seg_scan *s)
{
    free(s->x);
    free(s->label);
    memset(s, 0, sizeof *s);
}

int seg_scan_from_volumes(struct seg_scan *s, const struct volume *const *vols, int C,
                          const struct volume *label, struct sarc_err *e)
{
    memset(s, 0, sizeof *s);
    if (C < 1 || C > 3)
        return ERR(e, SARC_ERR_ARG, "%d contrasts, expected 1..3", C);
    for (int c = 0; c < C; c++) {
        if (vols[c]->dim[3] != 1)
            return ERR(e, SARC_ERR_UNSUPPORTED, "contrast %d has %lld frames, expected a 3-D volume", c, (long long)vols[c]->dim[3]);
        if (c && !volume_same_grid(vols[0], vols[c], 1e-3))
            return ERR(e, SARC_ERR_ARG, "contrast %d is not on the grid of contrast 0 (%lldx%lldx%lld vs %lldx%lldx%lld, or a different affine)",
                       c, (long long)vols[c]->dim[0], (long long)vols[c]->dim[1], (long long)vols[c]->dim[2],
                       (long long)vols[0]->dim[0], (long long)vols[0]->dim[1], (long long)vols[0]->dim[2]);
    }
    if (label && (label->dim[3] != 1 || !volume_same_grid(vols[0], label, 1e-3)))
        return ERR(e, SARC_ERR_ARG, "the label is not on the image grid (%lldx%lldx%lld vs %lldx%lldx%lld, or a different affine)",
                   (long long)label->dim[0], (long long)label->dim[1], (long long)label->dim[2],
                   (long long)vols[0]->dim[0], (long long)vols[0]->dim[1], (long long)vols[0]->dim[2]);
    const int64_t n = volume_frame_count(vols[0]);
    size_t nbytes;
    if (size_mul((size_t)n, sizeof(float) * (size_t)C, &nbytes))
        return ERR(e, SARC_ERR_RANGE, "scan too large");
    s->x = malloc(nbytes);
    s->label = label ? malloc((size_t)n) : NULL;
    if (!s->x || (label && !s->label)) {
        seg_scan_free(s);
        return ERR(e, SARC_ERR_NOMEM, "scan of %lld voxels x %d contrasts", (long long)n, C);
    }
    for (int c = 0; c < C; c++) {
        const double *v = vols[c]->data;
        float *o = s->x + (int64_t)c * n;
        for (int64_t i = 0; i < n; i++) {
            if (!isfinite(v[i])) {
                seg_scan_free(s);
                return ERR(e, SARC_ERR_FORMAT, "contrast %d: voxel %lld is not finite", c, (long long)i);
            }
            o[i] = (float)v[i];
        }
    }
    patch_zscore(s->x, C, n, NULL, NULL);
    if (label)
        for (int64_t i = 0; i < n; i++)
            s->label[i] = label->data[i] > 0.5;
    s->C = C;
    s->dim[0] = vols[0]->dim[2];
    s->dim[1] = vols[0]->dim[1];
    s->dim[2] = vols[0]->dim[0];
    s->geom = *vols[0];
    s->geom.data = NULL;
    return 0;
}

int seg_scan_read(struct seg_scan *s, const char *const *paths, int C, const char *label_path, struct sarc_err *e)
{
    memset(s, 0, sizeof *s);
    struct volume v[3], lab;
    memset(v, 0, sizeof v);
    memset(&lab, 0, sizeof lab);
    const struct volume *vp[3];
    int rc = 0;
    for (int c = 0; c < C && !rc; c++) {
        rc = volume_read(paths[c], NULL, &v[c], e);
        if (rc)
            err_prefix(e, "%s", paths[c]);
        vp[c] = &v[c];
    }
    if (!rc && label_path) {
        rc = volume_read(label_path, NULL, &lab, e);
        if (rc)
            err_prefix(e, "%s", label_path);
    }
    if (!rc)
        rc = seg_scan_from_volumes(s, vp, C, label_path ? &lab : NULL, e);
    for (int c = 0; c < C; c++)
        volume_free(&v[c]);
    volume_free(&lab);
    return rc;
}

int seg_predict(const struct seg_model *m, const struct seg_scan *s, float *prob, int64_t *npatches,
                struct sarc_err *e)
{
    const struct unet_arch *a = &m->params.arch;
    if (s->C != a->cin)
        return ERR(e, SARC_ERR_ARG, "scan has %d contrasts, the model needs %d", s->C, a->cin);
    struct patch_grid g;
    struct patch_accum acc;
    struct unet_work *w = NULL;
    float *x = NULL;
    memset(&acc, 0, sizeof acc);
    int rc = patch_grid_init(&g, s->dim, a->patch, m->oversample, e);
    if (rc)
        return rc;
    if ((rc = patch_accum_init(&acc, g.dim, e)) || (rc = unet_work_alloc(&w, a, 0, e)))
        goto done;
    x = malloc(sizeof(float) * (size_t)a->cin * a->patch[0] * a->patch[1] * a->patch[2]);
    const int64_t no = (int64_t)(a->patch[0] - 2) * (a->patch[1] - 2) * (a->patch[2] - 2);
    float *pp = malloc(sizeof(float) * (size_t)no);
    if (!x || !pp) {
        free(pp);
        rc = ERR(e, SARC_ERR_NOMEM, "patch buffers");
        goto done;
    }
    struct audit_step *st = audit_step_begin("unet_predict");
    audit_param_int(st, "patches", g.count);
    audit_param_num(st, "oversample", m->oversample);
    struct progress pr;
    progress_begin(&pr, "segment", g.count, "patches");
    for (int64_t k = 0; k < g.count; k++) {
        int64_t st3[3];
        patch_grid_start(&g, k, st3);
        patch_extract(s->x, s->C, s->dim, st3, a->patch, x);
        const float *lg = unet_forward(&m->params, w, x, 0, 0, 0, 0);
        for (int64_t i = 0; i < no; i++)
            pp[i] = seg_sigmoid(lg[i]);
        patch_accum_add(&acc, pp, st3, a->patch);
        progress_add(&pr, 1);
    }
    progress_end(&pr);
    free(pp);
    /* crop the (possibly padded) map back to the scan */
    const int64_t D = s->dim[0], H = s->dim[1], W = s->dim[2];
    if (g.dim[0] == D && g.dim[1] == H && g.dim[2] == W)
        patch_accum_mean(&acc, prob);
    else {
        float *full = malloc(sizeof(float) * (size_t)(g.dim[0] * g.dim[1] * g.dim[2]));
        if (!full) {
            audit_step_end(st);
            rc = ERR(e, SARC_ERR_NOMEM, "probability map");
            goto done;
        }
        patch_accum_mean(&acc, full);
        for (int64_t d = 0; d < D; d++)
            for (int64_t h = 0; h < H; h++)
                memcpy(prob + (d * H + h) * W, full + (d * g.dim[1] + h) * g.dim[2], sizeof(float) * (size_t)W);
        free(full);
    }
    audit_output_arrayf(st, "probability", prob, D * H * W);
    audit_step_end(st);
    if (npatches)
        *npatches = g.count;
done:
    free(x);
    unet_work_free(w);
    patch_accum_free(&acc);
    patch_grid_free(&g);
    return rc;
}

int seg_mask(const float *prob, const int64_t dim[3], double thr, int largest, uint8_t *mask, struct sarc_err *e)
{
    const int64_t n = dim[0] * dim[1] * dim[2];
    for (int64_t i = 0; i < n; i++)
        mask[i] = prob[i] >= thr;
    if (!largest)
        return 0;
    const int64_t xyz[3] = {dim[2], dim[1], dim[0]};
    return seg_keep_largest(mask, xyz, e);
}
