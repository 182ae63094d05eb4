/* bruker.c - placeholder until the readers issue lands: refuses cleanly. */
#include "io/bruker.h"

int bruker_read(const char *path, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e)
{
    (void)path, (void)opts, (void)v;
    return ERR(e, SARC_ERR_UNSUPPORTED, "Bruker ParaVision reading is not available yet");
}
