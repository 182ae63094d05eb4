/* phantom.h - the synthetic mouse hind-limb sarcoma cohort of `sarc phantom` (issue 5).
 *
 * A cohort of M mice, each scanned 1 day before (timepoint 0, "pre") and 1 week after (timepoint
 * 1, "post") radiotherapy, each scan in three contrasts (T1-weighted FLASH, T1 post-contrast, T2
 * TurboRARE at 7 T) on the paper's grid (280x280x60, 0.1x0.1x0.3 mm, axial slices along the
 * tibia), with the exact tumour mask and the true multiplicative bias fields. Anatomy, tissue
 * intensities, the coil model, the growth model and the hidden recurrence rule are documented in
 * image/phantom.c. Everything is a pure function of (params, mouse, timepoint): every random
 * draw is keyed by rng_stream(RNG_PHANTOM, mouse, timepoint, contrast/purpose), so scans can be
 * generated in any order on any number of threads with identical bytes.
 * Covered by test/image/test_phantom.c and the conformance check check_phantom.py. */
#ifndef SARC_PHANTOM_H
#define SARC_PHANTOM_H

#include <stdint.h>

#include "io/volume.h"
#include "vendor/err.h"

enum { PHANTOM_T1 = 0, PHANTOM_T1C = 1, PHANTOM_T2 = 2, PHANTOM_NCONTRAST = 3 };
enum { PHANTOM_PRE = 0, PHANTOM_POST = 1 };

/* Tissue classes of the truth map (dominant tissue of each voxel). */
enum {
    PHANTOM_AIR = 0, PHANTOM_SKIN, PHANTOM_FAT, PHANTOM_MUSCLE, PHANTOM_CORTEX, PHANTOM_MARROW,
    PHANTOM_VIABLE, PHANTOM_NECROSIS, PHANTOM_OEDEMA, PHANTOM_VESSEL, PHANTOM_NTISSUE
};

struct phantom_params {
    int mice;           /* cohort size, 1..9999 (default 42) */
    int64_t dim[3];     /* grid, each 8..4096 (default 280, 280, 60) */
    double spacing[3];  /* mm, each in [0.001, 10] (default 0.1, 0.1, 0.3) */
    double snr;         /* muscle signal / noise sigma of each contrast; 0 = no noise (default 25) */
    double effect;      /* recurrence effect size >= 0 (default 1.5); see phantom.c */
    double motion;      /* max translation (mm) of T1 and T1C relative to T2, 0..2 (default 0) */
    uint64_t seed;
};

/* Per-mouse truth, the same at both timepoints. */
struct phantom_mouse {
    int index;              /* 0-based mouse number */
    double growth;          /* drawn post/pre volume ratio of the generating shape */
    double volume_mm3[2];   /* target volume of the generating shape at pre and post (mm^3) */
    double z_shape, z_peri; /* standardised latents: lobulation/irregularity, peritumoral infiltration */
    double risk;            /* (z_shape + z_peri) / sqrt(2) */
    double noise;           /* the N(0,1) draw of the recurrence rule */
    int recurrence;         /* 1 if effect * risk + noise > 0 */
};

/* One scan: owned volumes (free with phantom_scan_free). All share the grid and affine. */
struct phantom_scan {
    struct volume img[PHANTOM_NCONTRAST];  /* T1, T1C, T2: integers 0..32767, type int16 */
    struct volume label;                   /* exact tumour mask 0/1, type uint8 */
    struct volume bias[PHANTOM_NCONTRAST]; /* true multiplicative bias per contrast, multiples of 2^-12 */
    struct volume tissue;                  /* dominant tissue class (PHANTOM_AIR..), type uint8 */
    double gain[PHANTOM_NCONTRAST];        /* receiver gain: img = round(gain * |bias * I + noise|) */
    double tumour_mm3;                     /* label voxels * voxel volume */
};

void phantom_params_default(struct phantom_params *p);
/* Checks every field; SARC_ERR_ARG / SARC_ERR_RANGE naming the field, value and allowed range. */
int phantom_params_check(const struct phantom_params *p, struct sarc_err *e);

/* Scale of the anatomy: 1 on grids whose field of view holds the default 28x28x18 mm, smaller
 * (the whole mouse shrunk to fit) on smaller fields of view. Tumour volumes scale with its cube. */
double phantom_anatomy_scale(const struct phantom_params *p);

/* Draws mouse `mouse` (0-based) of the cohort: pure function of (p->seed, p->effect, mouse). */
void phantom_mouse_draw(const struct phantom_params *p, int mouse, struct phantom_mouse *m);

/* Generates one scan of mouse `mouse` (0-based, < p->mice) at timepoint PHANTOM_PRE/POST into s
 * (overwritten; on failure s is zeroed). Single-threaded; safe to call concurrently for different
 * scans. Output is a pure function of (params, mouse, timepoint). Errors: bad params
 * (SARC_ERR_ARG/RANGE), SARC_ERR_NOMEM. Memory: about 8 volumes of dim[0]*dim[1]*dim[2] doubles
 * plus scratch. Records an audit step "phantom_scan". */
int phantom_scan_generate(const struct phantom_params *p, int mouse, int timepoint, struct phantom_scan *s, struct sarc_err *e);
void phantom_scan_free(struct phantom_scan *s);

extern const char *const phantom_contrast_names[PHANTOM_NCONTRAST]; /* "T1", "T1C", "T2" */
extern const char *const phantom_timepoint_names[2];                /* "pre", "post" */

/* Writes the cohort under dir (created): dir/mNN/{pre,post}_{T1,T1C,T2,label,bias_T1,bias_T1C,
 * bias_T2}.nii.gz, then dir/cohort.csv (mouse,timepoint,T1,T1C,T2,label,recurrence,growth,
 * bias_T1,bias_T1C,bias_T2; paths relative to the CSV) and dir/truth.json, all atomically; with
 * bruker != 0 also dir/bruker/<mNN>_<tp>/ ParaVision study folders (when io/bruker.h can write).
 * Scans run in parallel on the default pool (identical bytes for any thread count); progress via
 * vendor/progress.h. On failure e names the file. */
int phantom_cohort_write(const struct phantom_params *p, const char *dir, int bruker, struct sarc_err *e);

/* Writes PNG previews of mouse `mouse` into dir (created): <mNN>_<tp>_<contrast>.png (the axial
 * slice with the largest tumour area, window 0..99.5th percentile, tumour outline in red, anterior
 * up, cropped to the limb and enlarged by an integer zoom up to 4) and montage.png (rows pre/post,
 * columns T1, T1C, T2). */
int phantom_preview_write(const struct phantom_params *p, int mouse, const char *dir, struct sarc_err *e);

#endif
