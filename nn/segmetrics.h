/* segmetrics.h - segmentation metrics, the precision = recall threshold rule and the
 * largest-component post-processing (issue 6).
 *
 * Metrics of a binary prediction against a binary label (non-zero = foreground), as scikit-learn
 * defines them on the flattened voxels: accuracy_score, precision_score and recall_score (0 when
 * the denominator is 0, sklearn's zero_division default), f1_score = Dice, jaccard_score (= the
 * paper's VOE complement; both 1 when prediction and label are empty, zero_division=1), and
 * roc_auc_score of the probabilities (ties count one half, i.e. the trapezoidal ROC of sklearn;
 * NaN when the label has only one class). Volumes are voxel counts times the voxel volume.
 * Threshold rule (the paper's): over the distinct probabilities t, with "positive" = p >= t,
 * precision(t) and recall(t) as sklearn's precision_recall_curve (thresholds below the lowest
 * positive's score, where recall is already 1, are not candidates); the threshold is the t with
 * the smallest |precision - recall|, the lowest such t on ties.
 * Covered by test/nn/test_segmetrics.c (scikit-learn goldens from test/oracles/unet_metrics.py,
 * a hand-computed threshold example, hand-made component masks). */
#ifndef SARC_SEGMETRICS_H
#define SARC_SEGMETRICS_H

#include <stdint.h>

#include "vendor/err.h"

struct seg_metrics {
    int64_t tp, fp, fn, tn;
    double accuracy, precision, recall, auc, dice, jaccard;
    double volume_pred_mm3, volume_label_mm3;
};

/* pred, label: n bytes (non-zero = foreground); prob: n probabilities or NULL (auc = NaN);
 * voxel_mm3: volume of one voxel. Fails only on allocation (the AUC sorts). */
int seg_metrics_compute(const uint8_t *pred, const uint8_t *label, const float *prob, int64_t n,
                        double voxel_mm3, struct seg_metrics *m, struct sarc_err *e);

/* ROC AUC of scores against binary labels (sklearn's roc_auc_score); NaN if one class only. */
int seg_auc(const float *score, const uint8_t *label, int64_t n, double *auc, struct sarc_err *e);

/* The precision = recall threshold of scores against labels (rule above). *thr = 0.5 and
 * SARC_ERR_RANGE when there is no positive label. */
int seg_threshold_pr(const float *score, const uint8_t *label, int64_t n, double *thr, struct sarc_err *e);

/* Keeps the largest 26-connected component of mask (x fastest, dim = x, y, z) in place; ties go
 * to the component met first in scan order. Uses image/components.h when it is available, else
 * an own flood fill. */
int seg_keep_largest(uint8_t *mask, const int64_t dim[3], struct sarc_err *e);

#endif
