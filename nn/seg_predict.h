/* seg_predict.h - U-Net inference on whole scans (issue 6): load and normalise a scan's contrasts,
 * tile it with the paper's patch grid, predict every patch, recompose the probability map by
 * averaging, threshold and keep the largest 26-connected component.
 *
 * Scan layout: the contrasts of the model, in the order T1, T1C, T2, as one float array
 * (C, D, H, W) with D = NIfTI k, H = j, W = i (the volume's own memory order), each channel
 * z-scored over its whole volume (nn/patch.h patch_zscore). Volumes smaller than the patch are
 * zero-padded (after z-scoring) at their high end; the result is cropped back.
 * Working grid: a model may ask for a working spacing (struct seg_model.spacing, x y z in mm;
 * 0 = native). Each axis is then reduced by the integer block size
 * f = max(1, round(working / native spacing)): images by the mean of each block (before
 * z-scoring), labels by "at least half the block is tumour". The network sees the reduced grid;
 * its probability map is brought back to the scan's grid by linear interpolation (reduced voxel
 * centres at (i + 0.5) f - 0.5, clamped at the edges) before thresholding. With f = 1 everywhere
 * nothing changes (the paper preset).
 * Covered by test/nn/test_seg.c (constant-free synthetic scans, thread-count bit identity). */
#ifndef SARC_SEG_PREDICT_H
#define SARC_SEG_PREDICT_H

#include <stdint.h>

#include "io/volume.h"
#include "nn/cuda_backend.h"
#include "nn/model.h"
#include "vendor/err.h"

struct seg_scan {
    int C;
    int64_t dim[3];  /* working grid D, H, W (= NIfTI k, j, i) */
    float *x;        /* (C, D, H, W), z-scored, owned */
    uint8_t *label;  /* (D, H, W) or NULL, owned */
    int factor[3];   /* block sizes D, H, W of the working grid (1 = native) */
    int64_t fdim[3]; /* the scan's own grid D, H, W */
    uint8_t *flabel; /* label on the scan's own grid when some factor > 1 (else NULL), owned */
    struct volume geom; /* geometry of the first contrast (data NULL): affine, spacing */
};

/* Block sizes (D, H, W) for a working spacing (x, y, z mm; NULL or 0 = native) and a volume. */
void seg_factors(const double work_spacing[3], const struct volume *v, int factor[3]);
/* The label on the scan's own grid (flabel, or label when the grid is native). */
const uint8_t *seg_scan_full_label(const struct seg_scan *s);

/* Builds a scan from volumes (one per model contrast, in channel order; 3-D, same grid within
 * 1e-3 mm) and an optional label volume (> 0.5 = tumour), on the working grid of work_spacing
 * (NULL = native). */
int seg_scan_from_volumes(struct seg_scan *s, const struct volume *const *vols, int C,
                          const struct volume *label, const double work_spacing[3], struct sarc_err *e);
/* Reads the files (paths[k] for channel k) and label_path (may be NULL). */
int seg_scan_read(struct seg_scan *s, const char *const *paths, int C, const char *label_path,
                  const double work_spacing[3], struct sarc_err *e);
void seg_scan_free(struct seg_scan *s);

/* Probability map prob (fdim: the scan's own grid) of the scan with the model (tiling and
 * averaging as in nn/patch.h on the working grid, oversample from the model, then the linear
 * interpolation back). Writes *npatches. Shows a progress line. */
int seg_predict(const struct seg_model *m, const struct seg_scan *s, float *prob, int64_t *npatches,
                struct sarc_err *e);
/* The same on a device (dev NULL or dev->ops NULL: the CPU, = seg_predict): patches go through
 * the device U-Net in batches of up to SEG_DEVICE_BATCH (halved while the device runs out of
 * memory), the stitching stays on the host in patch order. The audit step records the device,
 * TF32 and the batch used. */
#define SEG_DEVICE_BATCH 8
int seg_predict_on(const struct seg_model *m, const struct seg_scan *s, const struct unet_device *dev, float *prob,
                   int64_t *npatches, struct sarc_err *e);

/* mask (D, H, W) = prob >= thr, then the largest 26-connected component (if largest). */
int seg_mask(const float *prob, const int64_t dim[3], double thr, int largest, uint8_t *mask, struct sarc_err *e);

/* Sigmoid of a logit in double, rounded to float. */
float seg_sigmoid(float z);

#endif
