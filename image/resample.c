/* resample.c - placeholder until the image issue lands: refuses cleanly. */
#include "image/resample.h"

int resample_to_grid(const struct volume *in, struct volume *grid, enum interp mode, double fill, struct sarc_err *e)
{
    (void)in, (void)grid, (void)mode, (void)fill;
    return ERR(e, SARC_ERR_UNSUPPORTED, "resampling not available yet");
}
int resample_spacing(const struct volume *in, const double spacing[3], enum interp mode, struct volume *out, struct sarc_err *e)
{
    (void)in, (void)spacing, (void)mode, (void)out;
    return ERR(e, SARC_ERR_UNSUPPORTED, "resampling not available yet");
}
