/* volio.h - read and write a volume in whichever format its path names.
 *
 * Reading: ".nii", ".nii.gz", ".hdr"/".img" -> NIfTI-1/2; ".nrrd", ".nhdr" (".seg.nrrd" too) ->
 * NRRD; a directory (experiment folder or pdata/N) or a file named "2dseq" -> Bruker ParaVision.
 * Writing: ".nii"/".nii.gz" -> NIfTI-1; ".nrrd" -> NRRD (gzip). Every write is atomic.
 * Covered by test/io/test_volio.c. */
#ifndef SARC_VOLIO_H
#define SARC_VOLIO_H

#include "io/volume.h"

enum vformat { VF_UNKNOWN = 0, VF_NIFTI, VF_NRRD, VF_BRUKER };

struct volume_read_opts {
    int frame;           /* -1: all frames (4-D); K >= 0: only frame K (Bruker --frame, NIfTI t) */
    const char *segment; /* NRRD .seg.nrrd: a segment name or label value; NULL = the labelmap */
};
#define VOLUME_READ_OPTS_DEFAULT {-1, NULL}

struct volume_write_opts {
    enum vtype type; /* VT_UNKNOWN: keep v->type where the format allows (float32 otherwise) */
    int level;       /* gzip level 1..9 for compressed outputs (0 = default 6) */
};
#define VOLUME_WRITE_OPTS_DEFAULT {VT_UNKNOWN, 0}

enum vformat volume_format_of(const char *path);
const char *vformat_name(enum vformat f);

/* opts may be NULL (defaults). On failure v is zeroed and e says why. */
int volume_read(const char *path, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e);
int volume_write(const char *path, const struct volume *v, const struct volume_write_opts *opts, struct sarc_err *e);

#endif
