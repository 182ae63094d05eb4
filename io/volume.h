/* volume.h - the one volume type of sarc.
 *
 * Up to 4-D: x (i), y (j), z (k), then frames/channels (t). Voxel (i, j, k, t) is at
 * data[i + dim[0] * (j + dim[1] * (k + dim[2] * t))] - x varies fastest, as NIfTI stores it.
 * Values are the physical ones (the source's scaling already applied) in double; `type` and
 * scl_slope/scl_inter remember how the source stored them, so writers can keep the type.
 *
 * Geometry: `affine` maps (i, j, k, 1) to world coordinates in mm in NIfTI's RAS+ convention
 * (+x = Left->Right, +y = Posterior->Anterior, +z = Inferior->Superior). It is the affine a reader
 * should use (nibabel's "best affine": sform if sform_code > 0, else qform if qform_code > 0, else
 * nibabel's fallback for NIfTI: x flipped and the grid centred; diag(spacing) for generated data). The NIfTI qform/sform are kept as read so writers can reproduce them. spacing[]
 * holds the voxel sizes (pixdim) for x, y, z and the frame interval.
 * Covered by test/io/test_volume.c. */
#ifndef SARC_VOLUME_H
#define SARC_VOLUME_H

#include <stdint.h>

#include "vendor/err.h"

enum vtype {
    VT_UNKNOWN = 0,
    VT_U8, VT_I8, VT_U16, VT_I16, VT_U32, VT_I32, VT_U64, VT_I64, VT_F32, VT_F64
};

struct volume {
    int ndim;          /* 1..4: number of meaningful dims (trailing 1s may be dropped) */
    int64_t dim[4];    /* extents; unused dims are 1 */
    double spacing[4]; /* voxel size in mm (x, y, z) and frame interval; unused are 1 */
    double affine[4][4];
    int qform_code, sform_code; /* NIfTI codes (0 = unknown) */
    double qform[4][4], sform[4][4];
    enum vtype type;            /* storage type at the source */
    double scl_slope, scl_inter; /* the source's scaling, already applied; slope 0 = none */
    double *data;               /* volume_count(v) physical values; owned */
    char format[16];            /* "nifti1", "nifti2", "nrrd", "bruker", "generated", ... */
};

/* Allocates a zeroed volume with the given dims (ndim 1..4, each 1..2^31-1, product overflow-
 * checked and at most 2^33 voxels), spacing 1, identity affine, type F32. v is overwritten. */
int volume_alloc(struct volume *v, int ndim, const int64_t dim[4], struct sarc_err *e);
void volume_free(struct volume *v);
int64_t volume_count(const struct volume *v);
/* Number of voxels in one 3-D frame (dim[0]*dim[1]*dim[2]). */
int64_t volume_frame_count(const struct volume *v);

/* Sets spacing and an axis-aligned affine diag(spacing) with the given origin (may be NULL). */
void volume_set_spacing(struct volume *v, const double sp[3], const double origin[3]);
/* Copies geometry (spacing, affines, codes) from src; dims must already match in x, y, z. */
void volume_copy_geometry(struct volume *dst, const struct volume *src);
/* Deep copy (new allocation). */
int volume_clone(struct volume *dst, const struct volume *src, struct sarc_err *e);
/* Allocates dst with src's first three dims and geometry and ndim <= 3 (one frame). */
int volume_alloc_like(struct volume *dst, const struct volume *src, struct sarc_err *e);

/* Spacing from the affine's column norms (what a reader should report as zooms). */
void volume_spacing_from_affine(const double a[4][4], double sp[3]);

/* Same grid: equal x, y, z dims and affines within tol (mm, on each entry). */
int volume_same_grid(const struct volume *a, const struct volume *b, double tol);

/* Summary statistics over all values in double, in index order (count excludes NaN). */
struct vstats {
    int64_t count, nan_count;
    double min, max, mean, std; /* std: population (ddof 0); NaN if count == 0 */
};
void volume_stats(const struct volume *v, struct vstats *s);
void array_stats(const double *x, int64_t n, struct vstats *s);

const char *vtype_name(enum vtype t); /* "uint8", "int16", "float32", ... */
int vtype_size(enum vtype t);         /* bytes per element */
int vtype_is_int(enum vtype t);
/* Representable range of an integer type, for writers (returns 0 for float types). */
int vtype_range(enum vtype t, double *lo, double *hi);

#endif
