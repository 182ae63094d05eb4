/* morph.c - placeholder until the image issue lands: refuses cleanly. */
#include "image/morph.h"

int edt_sq(const uint8_t *feature, const int64_t dim[3], const double spacing[3], double *dist2, struct sarc_err *e)
{
    (void)feature, (void)dim, (void)spacing, (void)dist2;
    return ERR(e, SARC_ERR_UNSUPPORTED, "distance transform not available yet");
}

int morph_apply(enum morph_op op, const uint8_t *in, const int64_t dim[3], const double spacing[3],
                double radius_mm, uint8_t *out, struct sarc_err *e)
{
    (void)op, (void)in, (void)dim, (void)spacing, (void)radius_mm, (void)out;
    return ERR(e, SARC_ERR_UNSUPPORTED, "morphology not available yet");
}
