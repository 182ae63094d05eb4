/* err.c - see err.h. */
#include "vendor/err.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int err_set(struct sarc_err *e, int code, const char *file, int line, const char *fmt, ...)
{
    if (!e)
        return code;
    e->code = code;
    e->file = file;
    e->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return code;
}

void err_prefix(struct sarc_err *e, const char *fmt, ...)
{
    if (!e)
        return;
    char pre[256], old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    /* pre + ": " + old, truncated to the message size */
    size_t n = strlen(pre);
    if (n > sizeof e->msg - 3)
        n = sizeof e->msg - 3;
    memcpy(e->msg, pre, n);
    e->msg[n] = ':';
    e->msg[n + 1] = ' ';
    size_t m = strlen(old);
    if (m > sizeof e->msg - n - 3)
        m = sizeof e->msg - n - 3;
    memcpy(e->msg + n + 2, old, m);
    e->msg[n + 2 + m] = 0;
}

const char *err_name(int code)
{
    switch (code) {
    case SARC_OK: return "ok";
    case SARC_ERR_IO: return "I/O error";
    case SARC_ERR_FORMAT: return "format error";
    case SARC_ERR_NOMEM: return "out of memory";
    case SARC_ERR_ARG: return "bad argument";
    case SARC_ERR_UNSUPPORTED: return "unsupported";
    case SARC_ERR_RANGE: return "out of range";
    case SARC_ERR_DEVICE: return "device error";
    default: return "internal error";
    }
}

void err_clear(struct sarc_err *e)
{
    if (e)
        memset(e, 0, sizeof *e);
}

int size_mul(size_t a, size_t b, size_t *out)
{
    if (a && b > SIZE_MAX / a)
        return -1;
    *out = a * b;
    return 0;
}

int size_add(size_t a, size_t b, size_t *out)
{
    if (b > SIZE_MAX - a)
        return -1;
    *out = a + b;
    return 0;
}

int i64_mul(long long a, long long b, long long *out)
{
    if (a < 0 || b < 0)
        return -1; /* only used for non-negative sizes */
    if (a && b > INT64_MAX / a)
        return -1;
    *out = a * b;
    return 0;
}
