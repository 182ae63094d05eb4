/* diagnostics.h - PyRadiomics 3.0.1's "additionalInfo" diagnostics (generalinfo.py) for the
 * Original image type: configuration, image/mask geometry and statistics, and the -interpolated
 * variants when resampledPixelSpacing is set; plus the SHA-1 (FIPS 180-4) the hashes need.
 * Covered by test/radiomics/test_diag.c (golden test/golden/radiomics/diagnostics.txt from
 * test/oracles/radiomics_diag.py). */
#ifndef SARC_RAD_DIAGNOSTICS_H
#define SARC_RAD_DIAGNOSTICS_H

#include <stddef.h>

#include "io/volume.h"
#include "radiomics/radiomics.h"
#include "vendor/err.h"

/* n (name, value) pairs, values as PyRadiomics' CSV writer prints them ("(0.5, 0.5, 1.0)"). */
struct rad_diag {
    int n, cap;
    char **names;
    char **values;
};
void rad_diag_free(struct rad_diag *d);

/* Computes the diagnostics_* entries of one case (image and mask as read, first frame) with the
 * settings s; version is written as diagnostics_Versions_sarc (PyRadiomics' other Versions_*
 * entries are omitted). Hash values are "n/a" when the stored bytes cannot be reconstructed (scaled
 * data, non-integer mask). Errors: allocation, and whatever rad_prepare reports for the
 * interpolated part. */
int rad_diagnostics(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                    const char *version, struct rad_diag *out, struct sarc_err *e);

/* SHA-1 of len bytes as 40 lowercase hex digits + NUL. */
void rad_sha1_hex(const void *data, size_t len, char hex[41]);

/* Python's repr of a float (shortest round-trip, "1.0" for integers, "nan"). buf >= 32. */
void rad_py_float(double v, char *buf, size_t size);

#endif
