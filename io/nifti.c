/* nifti.c - placeholder: the foundation issue replaces this file. */
#include "io/nifti.h"

int nifti_read(const char *path, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e)
{
    (void)path, (void)opts, (void)v;
    return ERR(e, SARC_ERR_UNSUPPORTED, "NIfTI reading is not available yet");
}

int nifti_parse(const uint8_t *buf, size_t len, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e)
{
    (void)buf, (void)len, (void)opts, (void)v;
    return ERR(e, SARC_ERR_UNSUPPORTED, "NIfTI reading is not available yet");
}

int nifti_write(const char *path, const struct volume *v, const struct volume_write_opts *opts, struct sarc_err *e)
{
    (void)path, (void)opts, (void)v;
    return ERR(e, SARC_ERR_UNSUPPORTED, "NIfTI writing is not available yet");
}
