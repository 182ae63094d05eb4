/* nrrd.h - NRRD (http://teem.sourceforge.net/nrrd/format.html): .nrrd and detached .nhdr + data,
 * encodings raw, gzip and ascii, all scalar types, endian, sizes, space, space directions, space
 * origin -> the RAS affine of struct volume; 3D Slicer .seg.nrrd segment fields. Writing: gzip.
 * Covered by test/io/test_nrrd.c; fuzz target test/fuzz/fuzz_nrrd.c. */
#ifndef SARC_NRRD_H
#define SARC_NRRD_H

#include "io/volio.h"

int nrrd_read(const char *path, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e);
int nrrd_write(const char *path, const struct volume *v, const struct volume_write_opts *opts, struct sarc_err *e);

#endif
