/* csv.c - see csv.h. Two passes: the first counts rows and fields and the bytes needed, the
 * second copies unquoted cells into one block. */
#include "io/csv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/file.h"
#include "vendor/json.h"

/* Scans one field starting at *pos; writes it to out (if not NULL) and returns its length, or -1
 * on a quote error. Sets *end_row when the field ends a line (or the text). */
static long field(const char *s, size_t len, size_t *pos, char *out, int *end_row)
{
    size_t i = *pos;
    long n = 0;
    *end_row = 0;
    if (i < len && s[i] == '"') {
        i++;
        for (;;) {
            if (i >= len)
                return -1; /* unterminated quote */
            if (s[i] == '"') {
                if (i + 1 < len && s[i + 1] == '"') {
                    if (out)
                        out[n] = '"';
                    n++;
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            if (out)
                out[n] = s[i];
            n++;
            i++;
        }
        if (i < len && s[i] != ',' && s[i] != '\n' && s[i] != '\r')
            return -1; /* text after the closing quote */
    } else {
        while (i < len && s[i] != ',' && s[i] != '\n' && s[i] != '\r') {
            if (out)
                out[n] = s[i];
            n++;
            i++;
        }
    }
    if (i >= len)
        *end_row = 1;
    else if (s[i] == ',')
        i++;
    else {
        if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
            i++;
        i++;
        *end_row = 1;
    }
    *pos = i;
    return n;
}

static int blank_line(const char *s, size_t len, size_t pos)
{
    return pos < len && (s[pos] == '\n' || s[pos] == '\r');
}

int csv_parse(struct csv *t, const char *s, size_t len, struct sarc_err *e)
{
    memset(t, 0, sizeof *t);
    if (len >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF) {
        s += 3; /* UTF-8 byte order mark */
        len -= 3;
    }
    /* pass 1: sizes */
    size_t pos = 0, bytes = 0, cells = 0;
    int ncols = -1, rows = 0, line = 1;
    while (pos < len) {
        if (blank_line(s, len, pos)) { /* skip empty lines */
            pos += (s[pos] == '\r' && pos + 1 < len && s[pos + 1] == '\n') ? 2 : 1;
            line++;
            continue;
        }
        int nf = 0, end = 0;
        while (!end) {
            long n = field(s, len, &pos, NULL, &end);
            if (n < 0)
                return ERR(e, SARC_ERR_FORMAT, "line %d: bad quoting", line);
            bytes += (size_t)n + 1;
            nf++;
        }
        if (ncols < 0)
            ncols = nf;
        else if (nf != ncols)
            return ERR(e, SARC_ERR_FORMAT, "line %d: %d fields, the header has %d", line, nf, ncols);
        else
            rows++;
        cells += (size_t)nf;
        line++;
    }
    if (ncols < 0)
        return ERR(e, SARC_ERR_FORMAT, "empty table (no header row)");
    t->block = malloc(bytes ? bytes : 1);
    t->header = malloc(sizeof(char *) * (size_t)ncols);
    t->cells = malloc(sizeof(char *) * (cells - (size_t)ncols + 1));
    if (!t->block || !t->header || !t->cells) {
        csv_free(t);
        return ERR(e, SARC_ERR_NOMEM, "cannot allocate the table");
    }
    /* pass 2: copy */
    pos = 0;
    char *w = t->block;
    size_t c = 0;
    int first = 1;
    while (pos < len) {
        if (blank_line(s, len, pos)) {
            pos += (s[pos] == '\r' && pos + 1 < len && s[pos + 1] == '\n') ? 2 : 1;
            continue;
        }
        int end = 0, k = 0;
        while (!end) {
            long n = field(s, len, &pos, w, &end);
            w[n] = 0;
            if (first)
                t->header[k++] = w;
            else
                t->cells[c++] = w;
            w += n + 1;
        }
        first = 0;
    }
    t->ncols = ncols;
    t->nrows = rows;
    return 0;
}

int csv_read(struct csv *t, const char *path, struct sarc_err *e)
{
    uint8_t *buf;
    size_t len;
    memset(t, 0, sizeof *t);
    int rc = file_read_all(path, &buf, &len, (size_t)2 << 30, e);
    if (rc)
        return rc;
    rc = csv_parse(t, (const char *)buf, len, e);
    free(buf);
    return rc;
}

void csv_free(struct csv *t)
{
    free(t->block);
    free(t->header);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

int csv_col(const struct csv *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->header[i], name) == 0)
            return i;
    return -1;
}

int csv_num(const struct csv *t, int row, int col, double *out, struct sarc_err *e)
{
    const char *s = csv_cell(t, row, col);
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s || !strcasecmp(s, "nan") || !strcasecmp(s, "na") || !strcasecmp(s, "-nan")) {
        *out = NAN;
        return 0;
    }
    char *end;
    double v = strtod(s, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end)
        return ERR(e, SARC_ERR_FORMAT, "row %d, column '%s': '%s' is not a number", row + 1, t->header[col], csv_cell(t, row, col));
    *out = v;
    return 0;
}

void num_format(char *buf, size_t size, double v)
{
    if (isnan(v)) {
        snprintf(buf, size, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, size, v > 0 ? "inf" : "-inf");
        return;
    }
    num_shortest(buf, size, v);
}

void csv_put(struct csv_writer *w, const char *s)
{
    if (!w->first)
        fputc(',', w->f);
    w->first = 0;
    if (!s)
        return;
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', w->f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', w->f);
            fputc(*s, w->f);
        }
        fputc('"', w->f);
    } else
        fputs(s, w->f);
}

void csv_putnum(struct csv_writer *w, double v)
{
    char b[40];
    num_format(b, sizeof b, v);
    csv_put(w, b);
}

void csv_putint(struct csv_writer *w, long long v)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", v);
    csv_put(w, b);
}

void csv_endrow(struct csv_writer *w)
{
    fputc('\n', w->f);
    w->first = 1;
}
