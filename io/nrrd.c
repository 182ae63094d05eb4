/* nrrd.c - placeholder until the readers issue lands: refuses cleanly. */
#include "io/nrrd.h"

int nrrd_read(const char *path, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e)
{
    (void)path, (void)opts, (void)v;
    return ERR(e, SARC_ERR_UNSUPPORTED, "NRRD reading is not available yet");
}

int nrrd_write(const char *path, const struct volume *v, const struct volume_write_opts *opts, struct sarc_err *e)
{
    (void)path, (void)opts, (void)v;
    return ERR(e, SARC_ERR_UNSUPPORTED, "NRRD writing is not available yet");
}
