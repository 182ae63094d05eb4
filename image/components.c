/* components.c - placeholder until the image issue lands: refuses cleanly. */
#include "image/components.h"

#include <math.h>

int components_label(const uint8_t *mask, const int64_t dim[3], int connectivity, int32_t *labels,
                     int32_t *ncomp, struct sarc_err *e)
{
    (void)mask, (void)dim, (void)connectivity, (void)labels, (void)ncomp;
    return ERR(e, SARC_ERR_UNSUPPORTED, "components not available yet");
}
int components_keep_largest(uint8_t *mask, const int64_t dim[3], int connectivity, struct sarc_err *e)
{
    (void)mask, (void)dim, (void)connectivity;
    return ERR(e, SARC_ERR_UNSUPPORTED, "components not available yet");
}
int components_fill_holes(uint8_t *mask, const int64_t dim[3], struct sarc_err *e)
{
    (void)mask, (void)dim;
    return ERR(e, SARC_ERR_UNSUPPORTED, "hole filling not available yet");
}
double otsu_threshold(const double *x, int64_t n, int nbins)
{
    (void)x, (void)n, (void)nbins;
    return NAN;
}
