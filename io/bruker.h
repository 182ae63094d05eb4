/* bruker.h - Bruker ParaVision 2dseq images with their JCAMP-DX parameters (visu_pars for PV 6
 * and 360; reco + d3proc for PV 5 and older). Accepts the 2dseq path, its pdata/N folder, or the
 * experiment folder (pdata/1). Also writes a minimal ParaVision-style study (for the phantom
 * generator). Covered by test/io/test_bruker.c. */
#ifndef SARC_BRUKER_H
#define SARC_BRUKER_H

#include "io/volio.h"

/* Reads a 2dseq with its parameters into v (physical values = stored * slope[frame] + offs[frame]).
 * Layout: x, y, then z (3D core) or the FG_SLICE index (2D core; 1 for a single slice), then all
 * other frame groups flattened in frame order (first listed group fastest) as the 4th dimension;
 * opts->frame = K keeps only the K-th of those. Affine: RAS = diag(-1,-1,1,1) * ParaVision LPS
 * (see bruker.c). On failure v is zeroed. */
int bruker_read(const char *path, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e);

/* A summary of one processed dataset without decoding the 2dseq (for `sarc scan`). */
struct bruker_probe {
    int64_t dim[4];     /* as bruker_read would return them */
    int ndim;
    double spacing[3];
    int64_t frames;     /* VisuCoreFrameCount (or reco/d3proc equivalent) */
    char word_type[32]; /* e.g. "_16BIT_SGN_INT" */
    char source[16];    /* "visu_pars" or "reco" */
};
/* Fills p for path (a 2dseq, a pdata/N folder or an experiment folder, as bruker_read takes) from
 * the parameter files only. Errors as bruker_read; on failure p is zeroed. */
int bruker_probe(const char *path, struct bruker_probe *p, struct sarc_err *e);

/* Resolves a Bruker path (2dseq file, pdata/N folder or experiment folder) to its pdata folder
 * (out, size bytes). Returns 0 or an error naming what is missing. */
int bruker_pdata_dir(const char *path, char *out, size_t size, struct sarc_err *e);

/* Writing (used by the phantom generator). */
struct bruker_write_info {
    const char *method;     /* e.g. "T2_TurboRARE" */
    const char *protocol;
    const char *subject_id;
    const char *study_name;
    int exp_number;
};

/* Writes STUDY/<exp_number>/{acqp, method, pdata/1/{2dseq, visu_pars, reco}} and STUDY/subject
 * (created if absent; folders are created as needed). 2dseq: _16BIT_SGN_INT little endian with a
 * per-frame VisuCoreDataSlope = max|value| / 32767 (1 for an all-zero frame), offset 0; 3D core
 * (VisuCoreDim 3) of v's x, y, z; v's 4th dimension becomes VisuCoreFrameCount frames
 * (FG_CYCLE). VisuCoreExtent/Position/Orientation reproduce v's affine (its columns must be
 * non-zero; they are normalised to the orientation rows). Every file is written atomically. */
int bruker_write(const char *study_dir, const struct volume *v, const struct bruker_write_info *info, struct sarc_err *e);

#endif
