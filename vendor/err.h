/* err.h - the one error type of sarc.
 *
 * Fallible functions return an int: 0 on success, a negative SARC_ERR_* code on failure, and fill
 * a struct sarc_err (which may be NULL) with the code, a message naming the field, the value found
 * and what was allowed, and the source file and line where the check failed. Library code never
 * prints or exits; cmd/ prints "sarc: <file>: <msg>" and exits with code 2.
 * Covered by test/vendor/test_err.c. */
#ifndef SARC_ERR_H
#define SARC_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" { /* callable from CUDA (.cu) translation units */
#endif

enum {
    SARC_OK = 0,
    SARC_ERR_IO = -1,          /* open/read/write/rename failed */
    SARC_ERR_FORMAT = -2,      /* the bytes are not a valid file of the claimed format */
    SARC_ERR_NOMEM = -3,       /* allocation failed or would exceed a limit */
    SARC_ERR_ARG = -4,         /* bad argument or option value */
    SARC_ERR_UNSUPPORTED = -5, /* valid but not handled (e.g. complex data) */
    SARC_ERR_RANGE = -6,       /* a size or value outside what is allowed */
    SARC_ERR_DEVICE = -7,      /* CUDA runtime or device failure */
    SARC_ERR_INTERNAL = -8     /* should not happen; a bug */
};

struct sarc_err {
    int code;
    char msg[512];
    const char *file; /* source file of the failed check */
    int line;
};

/* Fills e (if not NULL) and returns code, so that `return ERR(e, SARC_ERR_FORMAT, "...", ...);`
 * works. Never allocates. */
int err_set(struct sarc_err *e, int code, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
#define ERR(e, code, ...) err_set((e), (code), __FILE__, __LINE__, __VA_ARGS__)

/* Prepends "prefix: " to e->msg (e.g. a file or field name); keeps code, file and line. */
void err_prefix(struct sarc_err *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A short name for a code ("format error", ...). */
const char *err_name(int code);

/* Clears e to "no error". */
void err_clear(struct sarc_err *e);

/* Overflow-checked size arithmetic: return 0 on success, -1 on overflow (result untouched). */
int size_mul(size_t a, size_t b, size_t *out);
int size_add(size_t a, size_t b, size_t *out);
int i64_mul(long long a, long long b, long long *out);

#ifdef __cplusplus
}
#endif

#endif
