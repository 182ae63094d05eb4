/* model.h - the U-Net model file (.sarcnet) and its NumPy export/import (issue 6).
 *
 * .sarcnet, format version 1, all little-endian:
 *   off  size  field
 *     0     8  magic "SARCNET1"
 *     8     4  u32 format version (1)
 *    12     4  u32 input channels (1..3)
 *    16    12  u32 filters f1, f2, f3 (1..512)
 *    28     4  u32 skip (0/1)
 *    32    12  u32 patch D, H, W (18..1026, = 2 mod 4)
 *    44     4  f32 dropout
 *    48     4  u32 contrasts bit set (1 T1, 2 T1C, 4 T2; channels in that order; popcount = channels)
 *    52     4  u32 normalisation (1: z-score of each channel over its whole volume)
 *    56     8  f64 decision threshold (0..1)
 *    64     8  u64 training seed
 *    72     8  f64 patch oversample (paper 1.0)
 *    80     4  u32 loss (0 bce, 1 dice, 2 softdice)
 *    84     4  u32 epochs trained
 *    88     8  f64 best validation loss (NaN if none)
 *    96    24  f64 working spacing x, y, z in mm (0 = the scan's own grid; the quick preset
 *              resamples to it before the network and back after)
 *   120     4  u32 info length L (<= 65536)
 *   124     L  info text (UTF-8: preset, SHA-256 of the training data list, ...)
 *   124+L   8  u64 parameter count n (must equal the architecture's)
 *   ...   4n  f32 parameters, layer by layer (conv1 .. out), weight then bias, PyTorch layouts
 *   ...    32  SHA-256 of the 4n parameter bytes
 * The reader checks every field, the exact file length and the hash.
 * Export: DIR/model.json (architecture, layer names and shapes, contrasts, normalisation,
 * threshold, ...) and DIR/<layer>.weight.npy / <layer>.bias.npy (NumPy format 1.0, '<f4', C order).
 * Import reads them back (shapes checked against the architecture in model.json; '<f8' is
 * accepted and rounded to float32).
 * Covered by test/nn/test_model.c. */
#ifndef SARC_MODEL_H
#define SARC_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "nn/unet.h"
#include "vendor/err.h"

enum { CONTRAST_T1 = 1, CONTRAST_T1C = 2, CONTRAST_T2 = 4 };
enum { LOSS_BCE = 0, LOSS_DICE = 1, LOSS_SOFTDICE = 2 };

struct seg_model {
    struct unet_params params; /* params.arch is the architecture */
    unsigned contrasts;
    int normalisation;
    double threshold;
    uint64_t seed;
    double oversample;
    int loss;
    int epochs;
    double best_val;
    double spacing[3];
    char info[4096];
};

/* "T1,T1C,T2" -> bit set (any non-empty subset, any order; duplicates refused). */
int contrasts_parse(const char *s, unsigned *bits, struct sarc_err *e);
/* Bit set -> "T1,T1C,T2" (canonical order) into buf. */
void contrasts_format(unsigned bits, char *buf, size_t size);
int contrasts_count(unsigned bits);
/* Name of the k-th channel of a bit set ("T1", "T1C", "T2"), NULL if out of range. */
const char *contrasts_name(unsigned bits, int k);
const char *loss_name(int loss);

/* Allocates an untrained model (weights initialised with seed), threshold 0.5. */
int model_init(struct seg_model *m, const struct unet_arch *a, unsigned contrasts, uint64_t seed,
               struct sarc_err *e);
void model_free(struct seg_model *m);

/* Serialises into a malloc'ed buffer (owned by the caller). */
int model_serialise(const struct seg_model *m, uint8_t **buf, size_t *len, struct sarc_err *e);
/* Parses a .sarcnet from memory. On failure m is zeroed. */
int model_parse(struct seg_model *m, const uint8_t *buf, size_t len, struct sarc_err *e);
int model_write(const char *path, const struct seg_model *m, struct sarc_err *e);
int model_read(const char *path, struct seg_model *m, struct sarc_err *e);
/* SHA-256 hex of the parameter bytes (as stored). */
void model_weights_sha256(const struct seg_model *m, char hex[65]);

/* NumPy .npy (format 1.0, '<f4', C order) of a float array with the given shape. */
int npy_write(const char *path, const float *x, int ndim, const int64_t *shape, struct sarc_err *e);
/* Reads a .npy of '<f4' or '<f8' (C order) into a malloc'ed float array; shape up to 8 dims. */
int npy_read(const char *path, float **x, int *ndim, int64_t shape[8], struct sarc_err *e);
int npy_parse(const uint8_t *buf, size_t len, float **x, int *ndim, int64_t shape[8], struct sarc_err *e);

int model_export(const struct seg_model *m, const char *dir, struct sarc_err *e);
int model_import(const char *dir, struct seg_model *m, struct sarc_err *e);

#endif
