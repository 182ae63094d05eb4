/* nifti.h - NIfTI-1 and NIfTI-2 (https://nifti.nimh.nih.gov/nifti-1, nifti2.h).
 * Reading: .nii, .nii.gz, .hdr/.img pairs (also gzipped), both byte orders, integer and float
 * datatypes (uint8 .. float64), scl_slope/scl_inter applied (slope 0 or non-finite = none), qform
 * from quaternions and sform, dims and pixdim validated, sizes overflow-checked.
 * Writing: NIfTI-1 .nii/.nii.gz in uint8, int16, float32 (and the other types as kept), the
 * affine preserved (sform and qform) so that nibabel reads back the same affine and data.
 * Covered by test/io/test_nifti.c; fuzz target test/fuzz/fuzz_nifti.c. */
#ifndef SARC_NIFTI_H
#define SARC_NIFTI_H

#include <stddef.h>
#include <stdint.h>

#include "io/volio.h"
#include "io/volume.h"

/* Reads path (.nii, .nii.gz, .hdr/.img, gzipped pairs) into v (owned by the caller, volume_free);
 * opts may be NULL. Errors name the header field, its value and what was allowed. */
int nifti_read(const char *path, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e);
/* Parses a whole single-file NIfTI (.nii bytes, already decompressed) from memory. */
int nifti_parse(const uint8_t *buf, size_t len, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e);
int nifti_write(const char *path, const struct volume *v, const struct volume_write_opts *opts, struct sarc_err *e);

#endif
