/* diagnostics.h - PyRadiomics 3.0.1's "additionalInfo" diagnostics (generalinfo.py and
 * featureextractor.execute) for the Original image type: versions, configuration, image/mask
 * geometry and statistics, and the -interpolated, -corrected and -resegmented variants; per
 * contrast for multi-contrast cases (hashes: SHA-1 from vendor/sha1.h).
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

/* The PyRadiomics release whose conventions the diagnostics follow. */
#define RAD_DIAG_PYRADIOMICS_VERSION "3.0.1"

/* Parts of rad_diagnostics_add. HEADER: Versions_sarc, Versions_FollowsPyRadiomics (PyRadiomics'
 * own Versions_* entries are not written), Configuration_Settings (PyRadiomics' str(dict)
 * form), Configuration_EnabledImageTypes. MASK: Mask-original_* (the mask alone). IMAGE:
 * Image-original_*, and after the processing of rad_extract: Image-/Mask-interpolated_*
 * (resampledPixelSpacing), Mask-corrected_* (correctMask changed the mask's grid, no resampling,
 * no preCrop), Mask-resegmented_* (resegmentRange). */
enum { RAD_DIAG_HEADER = 1, RAD_DIAG_MASK = 2, RAD_DIAG_IMAGE = 4, RAD_DIAG_ALL = 7 };

/* Appends the diagnostics_* entries of one case in PyRadiomics' order (header, Image-original,
 * Mask-original, interpolated, corrected, resegmented). image and mask as read (first frame),
 * settings s. contrast (may be NULL) is inserted after "diagnostics_" in the names of the IMAGE
 * part (and of the MASK part when IMAGE is asked for too): multi-contrast cases call HEADER|MASK
 * once and IMAGE per contrast. Hashes are "n/a" when the stored bytes cannot be reconstructed
 * (scaled data, non-integer mask). Errors: allocation, and whatever rad_prepare reports; out keeps
 * what was added (the caller frees it). Records one audit step "radiomics_diagnostics". */
int rad_diagnostics_add(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                        const char *version, const char *contrast, int parts, struct rad_diag *out, struct sarc_err *e);

/* All parts, no contrast, into a zeroed out (freed on failure). */
int rad_diagnostics(const struct volume *image, const struct volume *mask, const struct rad_settings *s,
                    const char *version, struct rad_diag *out, struct sarc_err *e);

/* Python's repr of a float (shortest round-trip, "1.0" for integers, "nan"). buf >= 32. */
void rad_py_float(double v, char *buf, size_t size);

#endif
