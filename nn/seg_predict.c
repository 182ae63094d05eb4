/* seg_predict.c - whole-scan U-Net inference (see seg_predict.h). Patches are predicted one after
 * the other on the CPU (each forward is multi-threaded inside), or in batches on the device
 * U-Net, and added to the running mean in patch order, so the map does not depend on the thread
 * count or the batch size. Covered by test/nn/test_seg.c and test/cuda/test_cuda_wiring.c. */
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
    free(s->flabel);
    memset(s, 0, sizeof *s);
}

void seg_factors(const double work_spacing[3], const struct volume *v, int factor[3])
{
    double sp[3];
    volume_spacing_from_affine(v->affine, sp);
    for (int a = 0; a < 3; a++) {
        int f = 1;
        if (work_spacing && work_spacing[a] > 0 && sp[a] > 0) {
            const double r = floor(work_spacing[a] / sp[a] + 0.5);
            f = r < 1 ? 1 : r > 64 ? 64 : (int)r;
        }
        factor[2 - a] = f; /* x -> W, y -> H, z -> D */
    }
}

const uint8_t *seg_scan_full_label(const struct seg_scan *s) { return s->flabel ? s->flabel : s->label; }

int seg_scan_from_volumes(struct seg_scan *s, const struct volume *const *vols, int C,
                          const struct volume *label, const double work_spacing[3], struct sarc_err *e)
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
    const int64_t FD = vols[0]->dim[2], FH = vols[0]->dim[1], FW = vols[0]->dim[0], fn = FD * FH * FW;
    seg_factors(work_spacing, vols[0], s->factor);
    const int native = s->factor[0] == 1 && s->factor[1] == 1 && s->factor[2] == 1;
    s->fdim[0] = FD, s->fdim[1] = FH, s->fdim[2] = FW;
    for (int a = 0; a < 3; a++)
        s->dim[a] = (s->fdim[a] + s->factor[a] - 1) / s->factor[a];
    const int64_t n = s->dim[0] * s->dim[1] * s->dim[2];
    size_t nbytes;
    if (size_mul((size_t)n, sizeof(float) * (size_t)C, &nbytes))
        return ERR(e, SARC_ERR_RANGE, "scan too large");
    s->x = calloc(nbytes, 1);
    s->label = label ? calloc((size_t)n, 1) : NULL;
    s->flabel = label && !native ? malloc((size_t)fn) : NULL;
    double *acc = native ? NULL : calloc((size_t)n, sizeof(double));
    uint32_t *cnt = native ? NULL : calloc((size_t)n, sizeof(uint32_t));
    if (!s->x || (label && !s->label) || (label && !native && !s->flabel) || (!native && (!acc || !cnt))) {
        free(acc), free(cnt);
        seg_scan_free(s);
        return ERR(e, SARC_ERR_NOMEM, "scan of %lld voxels x %d contrasts", (long long)fn, C);
    }
    /* fine voxel (z, y, x) -> working voxel (z / fD, y / fH, x / fW) */
    const int fD = s->factor[0], fH = s->factor[1], fW = s->factor[2];
    const int64_t H = s->dim[1], W = s->dim[2];
    for (int c = 0; c < C + (label ? 1 : 0); c++) {
        const double *v = c < C ? vols[c]->data : label->data;
        if (native) {
            for (int64_t i = 0; i < fn; i++) {
                if (!isfinite(v[i])) {
                    seg_scan_free(s);
                    return ERR(e, SARC_ERR_FORMAT, "%s %d: voxel %lld is not finite", c < C ? "contrast" : "label", c, (long long)i);
                }
                if (c < C)
                    s->x[(int64_t)c * n + i] = (float)v[i];
                else
                    s->label[i] = v[i] > 0.5;
            }
            continue;
        }
        memset(acc, 0, sizeof(double) * (size_t)n);
        memset(cnt, 0, sizeof(uint32_t) * (size_t)n);
        int64_t i = 0;
        for (int64_t z = 0; z < FD; z++)
            for (int64_t y = 0; y < FH; y++)
                for (int64_t x = 0; x < FW; x++, i++) {
                    if (!isfinite(v[i])) {
                        free(acc), free(cnt);
                        seg_scan_free(s);
                        return ERR(e, SARC_ERR_FORMAT, "%s %d: voxel %lld is not finite", c < C ? "contrast" : "label", c, (long long)i);
                    }
                    const int64_t j = ((z / fD) * H + y / fH) * W + x / fW;
                    if (c < C)
                        acc[j] += v[i];
                    else {
                        acc[j] += v[i] > 0.5;
                        s->flabel[i] = v[i] > 0.5;
                    }
                    cnt[j]++;
                }
        for (int64_t j = 0; j < n; j++) {
            if (c < C)
                s->x[(int64_t)c * n + j] = (float)(acc[j] / cnt[j]);
            else
                s->label[j] = 2 * acc[j] >= cnt[j];
        }
    }
    free(acc), free(cnt);
    patch_zscore(s->x, C, n, NULL, NULL);
    s->C = C;
    s->geom = *vols[0];
    s->geom.data = NULL;
    return 0;
}

int seg_scan_read(struct seg_scan *s, const char *const *paths, int C, const char *label_path,
                  const double work_spacing[3], struct sarc_err *e)
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
        rc = seg_scan_from_volumes(s, vp, C, label_path ? &lab : NULL, work_spacing, e);
    for (int c = 0; c < C; c++)
        volume_free(&v[c]);
    volume_free(&lab);
    return rc;
}

/* Linear interpolation weights along one axis: fine index i of a block-f grid of n cells. */
static void interp_axis(int64_t i, int f, int64_t n, int64_t *i0, int64_t *i1, double *t)
{
    double c = ((double)i + 0.5) / f - 0.5;
    if (c < 0)
        c = 0;
    if (c > (double)(n - 1))
        c = (double)(n - 1);
    *i0 = (int64_t)floor(c);
    *i1 = *i0 + 1 < n ? *i0 + 1 : *i0;
    *t = c - (double)*i0;
}

/* prob (fdim) = trilinear interpolation of p (dim). */
static void upsample_linear(const float *p, const int64_t dim[3], const int f[3], const int64_t fdim[3], float *prob)
{
    for (int64_t z = 0; z < fdim[0]; z++) {
        int64_t z0, z1;
        double tz;
        interp_axis(z, f[0], dim[0], &z0, &z1, &tz);
        for (int64_t y = 0; y < fdim[1]; y++) {
            int64_t y0, y1;
            double ty;
            interp_axis(y, f[1], dim[1], &y0, &y1, &ty);
            for (int64_t x = 0; x < fdim[2]; x++) {
                int64_t x0, x1;
                double tx;
                interp_axis(x, f[2], dim[2], &x0, &x1, &tx);
#define P(a, b, c) ((double)p[((a) * dim[1] + (b)) * dim[2] + (c)])
                const double v0 = (1 - ty) * ((1 - tx) * P(z0, y0, x0) + tx * P(z0, y0, x1)) + ty * ((1 - tx) * P(z0, y1, x0) + tx * P(z0, y1, x1));
                const double v1 = (1 - ty) * ((1 - tx) * P(z1, y0, x0) + tx * P(z1, y0, x1)) + ty * ((1 - tx) * P(z1, y1, x0) + tx * P(z1, y1, x1));
#undef P
                prob[(z * fdim[1] + y) * fdim[2] + x] = (float)((1 - tz) * v0 + tz * v1);
            }
        }
    }
}

int seg_predict(const struct seg_model *m, const struct seg_scan *s, float *prob, int64_t *npatches,
                struct sarc_err *e)
{
    return seg_predict_on(m, s, NULL, prob, npatches, e);
}

/* The device U-Net for inference batches of up to want patches: halves the batch while the
 * device runs out of memory. *B receives the batch size used. */
static int dev_open(const struct unet_device *dev, const struct seg_model *m, int want, struct cuda_unet **u,
                    int *B, struct sarc_err *e)
{
    int rc;
    for (int b = want;; b /= 2) {
        rc = dev->ops->init(u, &m->params.arch, b, dev->tf32, e);
        if (rc != SARC_ERR_DEVICE || b == 1) {
            *B = b;
            break;
        }
    }
    if (!rc && (rc = dev->ops->state_set(*u, m->params.data, NULL, NULL, e))) {
        dev->ops->free(*u);
        *u = NULL;
    }
    return rc;
}

int seg_predict_on(const struct seg_model *m, const struct seg_scan *s, const struct unet_device *dev, float *prob,
                   int64_t *npatches, struct sarc_err *e)
{
    const struct unet_dev_ops *ops = dev && dev->ops ? dev->ops : NULL;
    struct cuda_unet *du = NULL;
    float *lgb = NULL;
    int B = 1;
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
    if ((rc = patch_accum_init(&acc, g.dim, e)))
        goto done;
    if (ops)
        rc = dev_open(dev, m, g.count < SEG_DEVICE_BATCH ? (int)g.count : SEG_DEVICE_BATCH, &du, &B, e);
    else
        rc = unet_work_alloc(&w, a, 0, e);
    if (rc)
        goto done;
    const int64_t nx = (int64_t)a->cin * a->patch[0] * a->patch[1] * a->patch[2];
    x = malloc(sizeof(float) * (size_t)(nx * B));
    const int64_t no = (int64_t)(a->patch[0] - 2) * (a->patch[1] - 2) * (a->patch[2] - 2);
    float *pp = malloc(sizeof(float) * (size_t)no);
    lgb = ops ? malloc(sizeof(float) * (size_t)(no * B)) : NULL;
    if (!x || !pp || (ops && !lgb)) {
        free(pp);
        rc = ERR(e, SARC_ERR_NOMEM, "patch buffers");
        goto done;
    }
    struct audit_step *st = audit_step_begin("unet_predict");
    audit_param_int(st, "patches", g.count);
    audit_param_num(st, "oversample", m->oversample);
    audit_param_str(st, "device", ops ? (dev->name ? dev->name : "cuda") : "cpu");
    audit_param_int(st, "tf32", ops && dev->tf32);
    audit_param_int(st, "device_batch", B);
    struct progress pr;
    progress_begin(&pr, "segment", g.count, "patches");
    /* batches of B patches (1 on the CPU), added to the running mean in patch order either way */
    for (int64_t k0 = 0; k0 < g.count && !rc; k0 += B) {
        const int nk = (int)(g.count - k0 < B ? g.count - k0 : B);
        int64_t st3[3];
        for (int j = 0; j < nk; j++) {
            patch_grid_start(&g, k0 + j, st3);
            patch_extract(s->x, s->C, s->dim, st3, a->patch, x + (int64_t)j * nx);
        }
        if (ops && (rc = ops->forward(du, x, nk, 0, 0, 0, 0, lgb, e)))
            break;
        for (int j = 0; j < nk; j++) {
            const float *lg = ops ? lgb + (int64_t)j * no : unet_forward(&m->params, w, x, 0, 0, 0, 0);
            for (int64_t i = 0; i < no; i++)
                pp[i] = seg_sigmoid(lg[i]);
            patch_grid_start(&g, k0 + j, st3);
            patch_accum_add(&acc, pp, st3, a->patch);
            progress_add(&pr, 1);
        }
    }
    progress_end(&pr);
    free(pp);
    if (rc) {
        audit_step_end(st);
        goto done;
    }
    /* crop the (possibly padded) map back to the scan, then back to the scan's own grid */
    const int64_t D = s->dim[0], H = s->dim[1], W = s->dim[2];
    const int native = s->factor[0] <= 1 && s->factor[1] <= 1 && s->factor[2] <= 1;
    float *work = native ? prob : malloc(sizeof(float) * (size_t)(D * H * W));
    if (!work) {
        audit_step_end(st);
        rc = ERR(e, SARC_ERR_NOMEM, "probability map");
        goto done;
    }
    if (g.dim[0] == D && g.dim[1] == H && g.dim[2] == W)
        patch_accum_mean(&acc, work);
    else {
        float *full = malloc(sizeof(float) * (size_t)(g.dim[0] * g.dim[1] * g.dim[2]));
        if (!full) {
            if (!native)
                free(work);
            audit_step_end(st);
            rc = ERR(e, SARC_ERR_NOMEM, "probability map");
            goto done;
        }
        patch_accum_mean(&acc, full);
        for (int64_t d = 0; d < D; d++)
            for (int64_t h = 0; h < H; h++)
                memcpy(work + (d * H + h) * W, full + (d * g.dim[1] + h) * g.dim[2], sizeof(float) * (size_t)W);
        free(full);
    }
    if (!native) {
        upsample_linear(work, s->dim, s->factor, s->fdim, prob);
        free(work);
    }
    audit_output_arrayf(st, "probability", prob, s->fdim[0] * s->fdim[1] * s->fdim[2]);
    audit_step_end(st);
    if (npatches)
        *npatches = g.count;
done:
    free(x);
    free(lgb);
    if (du)
        ops->free(du);
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
