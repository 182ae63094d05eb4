/* file.h - whole-file reads with a size limit, and atomic writes (temporary name in the same
 * folder, fsync, rename), so that sarc never leaves a half-written output.
 * Covered by test/io/test_file.c. */
#ifndef SARC_FILE_H
#define SARC_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "vendor/err.h"

/* Default limit for file_read_all: 8 GiB. */
#define FILE_MAX_BYTES ((size_t)8 << 30)

/* Reads the whole file into a malloc'ed buffer (owned by the caller, NUL-terminated one past
 * *len for convenience). Fails with SARC_ERR_IO if it cannot be opened or read, SARC_ERR_RANGE if
 * larger than max_bytes (0 = FILE_MAX_BYTES). On failure *buf is NULL and *len 0. */
int file_read_all(const char *path, uint8_t **buf, size_t *len, size_t max_bytes, struct sarc_err *e);

/* Writes len bytes to path atomically: path.tmp.<pid>.<n> in the same folder, fsync, rename. */
int file_write_atomic(const char *path, const void *buf, size_t len, struct sarc_err *e);

/* Appends one record (e.g. a JSON line) with a single write(2) to a file opened O_APPEND. */
int file_append(const char *path, const void *buf, size_t len, struct sarc_err *e);

/* 1 if path is an existing directory / regular file, else 0. */
int file_is_dir(const char *path);
int file_is_regular(const char *path);
/* File size in bytes, or -1. */
long long file_size(const char *path);

/* Creates a directory and its parents (mode 0755); an existing directory is not an error. */
int file_mkdirs(const char *path, struct sarc_err *e);

/* Lower-case comparison of the end of path with suffix (".nii.gz"). */
int path_has_suffix(const char *path, const char *suffix);

/* Joins dir and name with '/' into out (size bytes); returns 0, or -1 if it does not fit. */
int path_join(char *out, size_t size, const char *dir, const char *name);

/* The directory part of path ("." if none) into out. */
void path_dirname(char *out, size_t size, const char *path);

#endif
