/* volio.c - see volio.h. */
#include "io/volio.h"

#include <string.h>

#include "io/bruker.h"
#include "io/file.h"
#include "io/nifti.h"
#include "io/nrrd.h"

enum vformat volume_format_of(const char *path)
{
    if (path_has_suffix(path, ".nii") || path_has_suffix(path, ".nii.gz") || path_has_suffix(path, ".hdr") ||
        path_has_suffix(path, ".img") || path_has_suffix(path, ".hdr.gz") || path_has_suffix(path, ".img.gz"))
        return VF_NIFTI;
    if (path_has_suffix(path, ".nrrd") || path_has_suffix(path, ".nhdr"))
        return VF_NRRD;
    if (file_is_dir(path) || path_has_suffix(path, "/2dseq") || strcmp(path, "2dseq") == 0)
        return VF_BRUKER;
    return VF_UNKNOWN;
}

const char *vformat_name(enum vformat f)
{
    switch (f) {
    case VF_NIFTI: return "NIfTI";
    case VF_NRRD: return "NRRD";
    case VF_BRUKER: return "Bruker ParaVision";
    default: return "unknown";
    }
}

int volume_read(const char *path, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e)
{
    struct volume_read_opts def = VOLUME_READ_OPTS_DEFAULT;
    if (!opts)
        opts = &def;
    memset(v, 0, sizeof *v);
    switch (volume_format_of(path)) {
    case VF_NIFTI: return nifti_read(path, opts, v, e);
    case VF_NRRD: return nrrd_read(path, opts, v, e);
    case VF_BRUKER: return bruker_read(path, opts, v, e);
    default:
        if (!file_is_regular(path) && !file_is_dir(path))
            return ERR(e, SARC_ERR_IO, "no such file or directory");
        return ERR(e, SARC_ERR_UNSUPPORTED, "unknown format (expected .nii, .nii.gz, .hdr/.img, .nrrd, .nhdr or a Bruker 2dseq/experiment folder)");
    }
}

int volume_write(const char *path, const struct volume *v, const struct volume_write_opts *opts, struct sarc_err *e)
{
    struct volume_write_opts def = VOLUME_WRITE_OPTS_DEFAULT;
    if (!opts)
        opts = &def;
    if (path_has_suffix(path, ".nii") || path_has_suffix(path, ".nii.gz"))
        return nifti_write(path, v, opts, e);
    if (path_has_suffix(path, ".nrrd"))
        return nrrd_write(path, v, opts, e);
    return ERR(e, SARC_ERR_UNSUPPORTED, "cannot write this format (use .nii, .nii.gz or .nrrd)");
}
