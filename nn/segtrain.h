/* segtrain.h - training the U-Net on a cohort (issue 6): cohort.csv, the split by mouse, patch
 * sampling, the losses, the epoch loop with validation, early stopping, checkpoints and resume,
 * and the precision = recall threshold.
 *
 * Cohort: cohort.csv with the columns mouse,timepoint,T1,T1C,T2,label (paths relative to the
 * CSV's folder unless absolute; rows without a label are not used for training; columns of
 * contrasts a model does not use may be empty).
 * Split: the distinct mice (in order of first appearance) are shuffled with
 * rng_stream(RNG_SPLIT, 0, 0, 0) under the seed (Fisher-Yates, draws in order) and cut
 * 70/20/10: n_train = round(0.7 M), n_val = round(0.2 M) (at least 1 when M >= 2), the rest test;
 * every scan of a mouse goes with its mouse.
 * Sampling: `paper` mode: each epoch visits every grid patch (nn/patch.h) of every training scan
 * once, in an order shuffled with rng_stream(RNG_SHUFFLE, epoch, 0, 0); `centred` mode (quick
 * preset): each epoch draws patches_per_epoch patches, patch k from rng_stream(RNG_PATCH, epoch,
 * k, 0): a training scan, then with probability tumour_frac a patch centred (with jitter of up
 * to a quarter patch) on a random tumour voxel, else a uniformly placed patch.
 * Losses over a minibatch (mean over all its output voxels): bce = binary cross-entropy from the
 * logits; dice = the paper's hard-masked Dice, pm = p [p > 0.5], tm = t [t > 0.5],
 * 1 - (2 sum pm tm + 1e-5) / (sum pm + sum tm + 1e-5), gradient only where p > 0.5;
 * softdice = the same without masks. Adam: nn/optim.h's nn_adam_update (Keras form, eps 1e-7,
 * element-wise in double), the rule the device U-Net's kernel evaluates too; step counter =
 * minibatch index over the whole run (dropout key); the learning rate is constant (paper) or, with lr_final > 0,
 * lr_final + (lr - lr_final) (1 + cos(pi (epoch - 1) / (epochs - 1))) / 2 in each epoch.
 * Early stopping: the weights of the epoch with the lowest validation loss are kept.
 * Checkpoint (<model>.ckpt, atomic, after every epoch): magic "SARCCKP1", u32 version 1, the
 * option fingerprint, epoch, best epoch, best validation loss, Adam t, parameters, Adam m and v,
 * best parameters, the log so far, SHA-256 of all of it. Resuming checks the fingerprint and
 * continues to bit-identical final weights (every random draw is keyed by epoch/step/position).
 * Threshold: from the best model's predictions on up to threshold_patches training patches
 * (sampled like validation patches), by seg_threshold_pr (nn/segmetrics.h).
 * Device: with opts.device (struct unet_device, nn/cuda_backend.h) each minibatch runs as one
 * batched forward/backward on the device U-Net, dropout keyed by (step, patch j) as on the CPU;
 * the losses and logit gradients are computed on the host with the CPU's code, and the weights
 * and Adam moments stay on the device, copied back after every epoch (best weights, checkpoint,
 * identical format whichever device trained). Validation and threshold patches go forward in
 * batches of opts.batch. The audit step records the device's name and whether TF32 was on.
 * Covered by test/nn/test_segtrain.c (split, tiny training run, resume bit identity) and
 * test/cuda/test_cuda_wiring.c (the device path on CPU stand-ins against the CPU path). */
#ifndef SARC_SEGTRAIN_H
#define SARC_SEGTRAIN_H

#include <stdint.h>

#include "nn/cuda_backend.h"
#include "nn/model.h"
#include "nn/seg_predict.h"
#include "vendor/err.h"

struct seg_case {
    char mouse[64];
    char timepoint[32];
    char *img[3]; /* T1, T1C, T2 paths (NULL when the cell is empty), owned */
    char *label;  /* NULL when empty, owned */
};

struct seg_cohort {
    int n;
    struct seg_case *c; /* owned */
};

int seg_cohort_read(const char *csv_path, struct seg_cohort *co, struct sarc_err *e);
void seg_cohort_free(struct seg_cohort *co);
/* Paths of the contrasts of bit set `contrasts` for case k, in channel order; fails with a
 * message naming the row when one is missing. */
int seg_case_paths(const struct seg_cohort *co, int k, unsigned contrasts, const char *paths[3], struct sarc_err *e);

enum { SET_UNUSED = -1, SET_TRAIN = 0, SET_VAL = 1, SET_TEST = 2 };
/* set[k] for each case: SET_TRAIN/VAL/TEST by mouse as above (unlabelled rows: SET_UNUSED for
 * train/val; they are assigned their mouse's set but callers skip them for training). */
int seg_split_by_mouse(const struct seg_cohort *co, uint64_t seed, double ftrain, double fval, int *set,
                       struct sarc_err *e);
/* Mouse index (order of first appearance) of each case; returns the number of mice. */
int seg_mouse_index(const struct seg_cohort *co, int *mouse);

enum { SAMPLE_GRID = 0, SAMPLE_CENTRED = 1 };

struct seg_train_opts {
    struct unet_arch arch;
    unsigned contrasts;
    int loss;            /* LOSS_BCE, LOSS_DICE, LOSS_SOFTDICE */
    int epochs;          /* >= 1 */
    int batch;           /* >= 1 */
    double lr;
    double lr_final;     /* > 0: cosine decay from lr (epoch 1) to lr_final (last epoch); 0 = constant */
    uint64_t seed;
    double oversample;   /* grid oversample (paper 1.0) */
    double spacing[3];   /* working spacing x, y, z in mm (0 = native; nn/seg_predict.h) */
    int sampling;        /* SAMPLE_GRID (paper) or SAMPLE_CENTRED (quick) */
    int patches_per_epoch; /* centred sampling */
    double tumour_frac;  /* centred sampling */
    int val_patches;     /* centred: validation patches drawn once; grid: 0 = all grid patches */
    int threshold_patches;
    int max_train_scans; /* 0 = all */
    int max_val_scans;   /* 0 = all */
    const char *preset;  /* recorded in the model info */
    const char *ckpt_path; /* NULL: no checkpoints */
    const char *log_path;  /* NULL: no CSV log */
    int resume;
    int stop_after;      /* > 0: stop after this many epochs (checkpoint kept; for tests) */
    const int *set;      /* split per case (NULL: seg_split_by_mouse 70/20/10 with seed) */
    const struct unet_device *device; /* NULL or ops NULL: the CPU; else the device U-Net */
};

/* Trains; on success *m is the model with the best validation weights and the threshold set.
 * With stop_after the run ends early with SARC_OK and m->epochs < epochs. */
int seg_train(const struct seg_cohort *co, const struct seg_train_opts *o, struct seg_model *m,
              struct sarc_err *e);

#endif
