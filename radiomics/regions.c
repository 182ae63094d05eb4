/* regions.c - tumour, peritumoral shell and combined regions of the paper (issue 7): the shell is
 * image/morph's dilation by margin_mm (exact anisotropic Euclidean distance, so an ellipsoidal
 * element in voxels) minus the tumour, restricted to tissue: voxels at or above an intensity
 * threshold (default the image median, as the paper's code), the tissue mask closed with a ball
 * of 3 voxels. With REGIONS_AIR_NONE the shell is exactly dilate(tumour) - tumour.
 * Covered by test/radiomics/test_regions.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image/components.h"
#include "image/morph.h"
#include "io/audit.h"
#include "radiomics/regions.h"

void regions_opts_default(struct regions_opts *o)
{
    memset(o, 0, sizeof *o);
    o->margin_mm = 3;
    o->air = REGIONS_AIR_MEDIAN;
    o->close_voxels = 3;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int regions_compute(const struct volume *image, const struct volume *mask, const struct regions_opts *o,
                    struct volume out[3], struct sarc_err *e)
{
    memset(out, 0, 3 * sizeof *out);
    double maxsp = 0;
    for (int a = 0; a < 3; a++)
        if (image->spacing[a] > maxsp)
            maxsp = image->spacing[a];
    if (!volume_same_grid(image, mask, 1e-4 * (maxsp > 0 ? maxsp : 1)))
        return ERR(e, SARC_ERR_ARG, "mask/image geometry mismatch (mask %lldx%lldx%lld, image %lldx%lldx%lld, or spacing/origin/direction differ)",
                   (long long)mask->dim[0], (long long)mask->dim[1], (long long)mask->dim[2],
                   (long long)image->dim[0], (long long)image->dim[1], (long long)image->dim[2]);
    const int64_t N = volume_frame_count(image);
    const int64_t dim[3] = {image->dim[0], image->dim[1], image->dim[2]};
    uint8_t *tum = malloc((size_t)N), *dil = malloc((size_t)N), *tis = NULL;
    double *sorted = NULL;
    int rc = 0;
    struct audit_step *st = audit_step_begin("regions");
    audit_input_volume(st, "image", image);
    audit_input_volume(st, "mask", mask);
    audit_param_num(st, "margin_mm", o->margin_mm);
    audit_param_str(st, "air_threshold", o->air == REGIONS_AIR_MEDIAN ? "median" : o->air == REGIONS_AIR_OTSU ? "otsu" : o->air == REGIONS_AIR_NONE ? "none" : "value");
    if (!tum || !dil) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    int64_t ntum = 0;
    for (int64_t t = 0; t < N; t++) {
        const double v = mask->data[t];
        tum[t] = o->label ? v == o->label : (v != 0 && !isnan(v));
        ntum += tum[t];
    }
    if (!ntum) {
        rc = ERR(e, SARC_ERR_ARG, "the tumour mask is empty%s", o->label ? " for this label" : "");
        goto done;
    }
    rc = morph_apply(MORPH_DILATE, tum, dim, image->spacing, o->margin_mm, dil, e);
    if (rc) {
        err_prefix(e, "dilation");
        goto done;
    }
    if (o->air != REGIONS_AIR_NONE) {
        double thr = o->air_value;
        for (int64_t t = 0; t < N; t++)
            if (!isfinite(image->data[t])) {
                rc = ERR(e, SARC_ERR_ARG, "image voxel %lld is not finite", (long long)t);
                goto done;
            }
        if (o->air == REGIONS_AIR_MEDIAN) {
            sorted = malloc((size_t)N * sizeof *sorted);
            if (!sorted) {
                rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
                goto done;
            }
            memcpy(sorted, image->data, (size_t)N * sizeof *sorted);
            qsort(sorted, (size_t)N, sizeof *sorted, cmp_double);
            thr = N % 2 ? sorted[N / 2] : (sorted[N / 2 - 1] + sorted[N / 2]) / 2;
        } else if (o->air == REGIONS_AIR_OTSU) {
            thr = otsu_threshold(image->data, N, 256);
            if (!isfinite(thr)) {
                rc = ERR(e, SARC_ERR_UNSUPPORTED, "Otsu's threshold is not available");
                goto done;
            }
        }
        audit_value(st, "air_threshold", thr);
        tis = malloc((size_t)N);
        if (!tis) {
            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (int64_t t = 0; t < N; t++)
            tis[t] = image->data[t] >= thr;
        const double unit[3] = {1, 1, 1};
        rc = morph_apply(MORPH_CLOSE, tis, dim, unit, o->close_voxels, tis, e);
        if (rc) {
            err_prefix(e, "closing of the tissue mask");
            goto done;
        }
    }
    for (int r = 0; r < 3; r++) {
        rc = volume_alloc_like(&out[r], image, e);
        if (rc)
            goto done;
        out[r].type = VT_U8;
        out[r].scl_slope = 0;
        out[r].scl_inter = 0;
    }
    int64_t cnt[3] = {0, 0, 0};
    for (int64_t t = 0; t < N; t++) {
        const int peri = dil[t] && !tum[t] && (!tis || tis[t]);
        out[0].data[t] = tum[t];
        out[1].data[t] = peri;
        out[2].data[t] = tum[t] || peri;
        cnt[0] += tum[t];
        cnt[1] += peri;
        cnt[2] += tum[t] || peri;
    }
    const double vv = image->spacing[0] * image->spacing[1] * image->spacing[2];
    audit_value(st, "tumor_voxels", (double)cnt[0]);
    audit_value(st, "peritumoral_voxels", (double)cnt[1]);
    audit_value(st, "combined_voxels", (double)cnt[2]);
    audit_value(st, "tumor_mm3", cnt[0] * vv);
    audit_value(st, "peritumoral_mm3", cnt[1] * vv);
    audit_value(st, "combined_mm3", cnt[2] * vv);
    for (int r = 0; r < 3; r++)
        audit_output_volume(st, r == 0 ? "tumor" : r == 1 ? "peritumoral" : "combined", &out[r]);
done:
    if (rc)
        for (int r = 0; r < 3; r++)
            volume_free(&out[r]);
    if (rc)
        audit_note(st, e ? e->msg : "failed");
    audit_step_end(st);
    free(tum);
    free(dil);
    free(tis);
    free(sorted);
    return rc;
}
