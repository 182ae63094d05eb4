/* file.c - see file.h. */
#include "io/file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_all(const char *path, uint8_t **buf, size_t *len, size_t max_bytes, struct sarc_err *e)
{
    *buf = NULL;
    *len = 0;
    if (!max_bytes)
        max_bytes = FILE_MAX_BYTES;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return ERR(e, SARC_ERR_IO, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ERR(e, SARC_ERR_IO, "not a regular file");
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        close(fd);
        return ERR(e, SARC_ERR_RANGE, "file is %lld bytes, the limit is %zu", (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *b = malloc(n + 1);
    if (!b) {
        close(fd);
        return ERR(e, SARC_ERR_NOMEM, "cannot allocate %zu bytes", n + 1);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(b);
            close(fd);
            return ERR(e, SARC_ERR_IO, "read failed after %zu of %zu bytes", got, n);
        }
        got += (size_t)r;
    }
    close(fd);
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}

static atomic_int tmp_counter;

int file_write_atomic(const char *path, const void *buf, size_t len, struct sarc_err *e)
{
    char tmp[4096];
    int c = atomic_fetch_add(&tmp_counter, 1);
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%d", path, (long)getpid(), c) >= (int)sizeof tmp)
        return ERR(e, SARC_ERR_ARG, "path too long");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return ERR(e, SARC_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
    const uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int err = errno;
            close(fd);
            unlink(tmp);
            return ERR(e, SARC_ERR_IO, "write failed: %s", strerror(err));
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int err = errno;
        unlink(tmp);
        return ERR(e, SARC_ERR_IO, "cannot flush: %s", strerror(err));
    }
    if (rename(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        return ERR(e, SARC_ERR_IO, "cannot rename to %s: %s", path, strerror(err));
    }
    return 0;
}

int file_append(const char *path, const void *buf, size_t len, struct sarc_err *e)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        return ERR(e, SARC_ERR_IO, "cannot open for appending: %s", strerror(errno));
    ssize_t w = write(fd, buf, len);
    int err = errno;
    close(fd);
    if (w < 0 || (size_t)w != len)
        return ERR(e, SARC_ERR_IO, "append failed: %s", strerror(err));
    return 0;
}

int file_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int file_is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int file_mkdirs(const char *path, struct sarc_err *e)
{
    char b[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof b)
        return ERR(e, SARC_ERR_ARG, "bad directory path");
    memcpy(b, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (b[i] == '/' || b[i] == 0) {
            char save = b[i];
            b[i] = 0;
            if (mkdir(b, 0755) != 0 && errno != EEXIST)
                return ERR(e, SARC_ERR_IO, "cannot create directory %s: %s", b, strerror(errno));
            b[i] = save;
        }
    }
    if (!file_is_dir(path))
        return ERR(e, SARC_ERR_IO, "%s exists and is not a directory", path);
    return 0;
}

int path_has_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), m = strlen(suffix);
    if (m > n)
        return 0;
    for (size_t i = 0; i < m; i++)
        if (tolower((unsigned char)path[n - m + i]) != tolower((unsigned char)suffix[i]))
            return 0;
    return 1;
}

int path_join(char *out, size_t size, const char *dir, const char *name)
{
    size_t d = strlen(dir);
    int r = (d && dir[d - 1] == '/') ? snprintf(out, size, "%s%s", dir, name)
                                     : snprintf(out, size, "%s/%s", dir, name);
    return (r < 0 || (size_t)r >= size) ? -1 : 0;
}

void path_dirname(char *out, size_t size, const char *path)
{
    const char *s = strrchr(path, '/');
    if (!s) {
        snprintf(out, size, ".");
        return;
    }
    size_t n = (size_t)(s - path);
    if (n == 0)
        n = 1; /* "/x" -> "/" */
    if (n >= size)
        n = size - 1;
    memcpy(out, path, n);
    out[n] = 0;
}
