/* nrrd.h - NRRD (http://teem.sourceforge.net/nrrd/format.html): .nrrd and detached .nhdr + data,
 * encodings raw, gzip and ascii, all scalar types, endian, sizes, space, space directions, space
 * origin -> the RAS affine of struct volume; 3D Slicer .seg.nrrd segment fields. Writing: gzip.
 * Covered by test/io/test_nrrd.c; fuzz target test/fuzz/fuzz_nrrd.c. */
#ifndef SARC_NRRD_H
#define SARC_NRRD_H

#include <stddef.h>
#include <stdint.h>

#include "io/volio.h"

#define NRRD_MAX_DIM 16
#define NRRD_MAX_KV 4096

enum nrrd_encoding { NRRD_ENC_RAW = 1, NRRD_ENC_GZIP, NRRD_ENC_ASCII };

/* The parsed header. Strings are owned (nrrd_header_free). */
struct nrrd_header {
    int version;                   /* N of "NRRD000N" */
    int dimension;
    int64_t sizes[NRRD_MAX_DIM];
    enum vtype type;
    int big_endian;
    enum nrrd_encoding encoding;
    int space_dim;                 /* 0 = no space / space dimension field */
    int space_flip[3];             /* -1 where the space axis points opposite to RAS (L, P, I) */
    char space[48];
    int has_dirs, has_origin, has_spacings;
    int dir_none[NRRD_MAX_DIM];    /* "none" entries of space directions */
    double dirs[NRRD_MAX_DIM][3];
    double origin[3];
    double spacings[NRRD_MAX_DIM];
    char kinds[NRRD_MAX_DIM][24];
    char *data_file;               /* detached data file (as written), or NULL */
    long long byte_skip;           /* -1 = data are the last bytes of the file (raw only) */
    long long line_skip;
    size_t header_len;             /* bytes up to and including the blank line ending the header */
    int nkv;
    char **kv_key, **kv_val;       /* key:=value pairs, in file order */
};

/* Parses the header at the start of buf (len bytes; the data may follow). Nothing outside buf is
 * read. On failure h is freed and zeroed. */
int nrrd_parse_header(const uint8_t *buf, size_t len, struct nrrd_header *h, struct sarc_err *e);
void nrrd_header_free(struct nrrd_header *h);
/* The value of key:=value pair key, or NULL. */
const char *nrrd_header_kv(const struct nrrd_header *h, const char *key);

/* Decodes an attached .nrrd held in memory (fuzz-friendly; a detached header gives
 * SARC_ERR_UNSUPPORTED). Same result as nrrd_read. */
int nrrd_parse(const uint8_t *buf, size_t len, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e);

/* Reads .nrrd / .nhdr (+ detached data). Layout: the spatial axes (those with a space direction,
 * in file order) become x, y, z; one non-spatial axis (e.g. Slicer segmentation layers, a time or
 * list axis) becomes the 4th dimension. opts->frame = K keeps element K of that axis;
 * opts->segment = NAME or label value (a .seg.nrrd Segment<N>_Name / _LabelValue) gives a 0/1
 * mask of that segment (uint8). Affine: RAS, as NIfTI (LPS space directions and origin have
 * their x and y negated). On failure v is zeroed. */
int nrrd_read(const char *path, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e);

/* Writes an attached, gzip-encoded NRRD (space left-posterior-superior; a 4th dimension as a
 * "list" axis). Type: opts->type, else v->type when every value fits it exactly, else float32.
 * If gzip is unavailable the raw encoding is written instead. Atomic. */
int nrrd_write(const char *path, const struct volume *v, const struct volume_write_opts *opts, struct sarc_err *e);

#endif
