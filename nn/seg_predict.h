/* seg_predict.h - U-Net inference on whole scans (issue 6): load and normalise a scan's contrasts,
 * tile it with the paper's patch grid, predict every patch, recompose the probability map by
 * averaging, threshold and keep the largest 26-connected component.
 *
 * Scan layout: the contrasts of the model, in the order T1, T1C, T2, as one float array
 * (C, D, H, W) with D = NIfTI k, H = j, W = i (the volume's own memory order), each channel
 * z-scored over its whole volume (nn/patch.h patch_zscore). Volumes smaller than the patch are
 * zero-padded (after z-scoring) at their high end; the result is cropped back.
 * Covered by test/nn/test_seg.c (constant-free synthetic scans, thread-count bit identity). */
#ifndef SARC_SEG_PREDICT_H
#define SARC_SEG_PREDICT_H

#include <stdint.h>

#include "io/volume.h"
#include "nn/model.h"
#include "vendor/err.h"

struct seg_scan {
    int C;
    int64_t dim[3];  /* D, H, W (= NIfTI k, j, i) */
    float *x;        /* (C, D, H, W), z-scored, owned */
    uint8_t *label;  /* (D, H, W) or NULL, owned */
    struct volume geom; /* geometry of the first contrast (data NULL): affine, spacing */
    int padded;      /* 1 if some extent is smaller than the model's patch */
};

/* Builds a scan from volumes (one per model contrast, in channel order; 3-D, same grid within
 * 1e-3 mm) and an optional label volume (non-zero = tumour). */
int seg_scan_from_volumes(struct seg_scan *s, const struct volume *const *vols, int C,
                          const struct volume *label, struct sarc_err *e);
/* Reads the files (paths[k] for channel k) and label_path (may be NULL). */
int seg_scan_read(struct seg_scan *s, const char *const *paths, int C, const char *label_path, struct sarc_err *e);
void seg_scan_free(struct seg_scan *s);

/* Probability map prob (D, H, W) of the scan with the model (tiling and averaging as in
 * nn/patch.h; oversample from the model). Writes *npatches. Shows a progress line. */
int seg_predict(const struct seg_model *m, const struct seg_scan *s, float *prob, int64_t *npatches,
                struct sarc_err *e);

/* mask (D, H, W) = prob >= thr, then the largest 26-connected component (if largest). */
int seg_mask(const float *prob, const int64_t dim[3], double thr, int largest, uint8_t *mask, struct sarc_err *e);

/* Sigmoid of a logit in double, rounded to float. */
float seg_sigmoid(float z);

#endif
