/* csv.h - CSV tables (RFC 4180: comma separated, optional double quotes with "" escapes, CRLF or
 * LF line ends, a header row) read from memory or a file, and a writer that quotes when needed.
 * All cells are kept as strings; csv_num() parses a cell as a number (empty, "nan", "NaN", "NA"
 * give NaN; anything else unparsable is an error). Rows shorter than the header are an error.
 * Covered by test/io/test_csv.c. */
#ifndef SARC_CSV_H
#define SARC_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "vendor/err.h"

struct csv {
    int ncols;
    int nrows;     /* data rows, header excluded */
    char **header; /* ncols names */
    char **cells;  /* nrows * ncols, row-major; all strings live in one block */
    char *block;
};

/* Parses text (len bytes). On error the table is empty and e names the line. */
int csv_parse(struct csv *t, const char *text, size_t len, struct sarc_err *e);
int csv_read(struct csv *t, const char *path, struct sarc_err *e);
void csv_free(struct csv *t);

/* Column index by name (exact match), or -1. */
int csv_col(const struct csv *t, const char *name);
static inline const char *csv_cell(const struct csv *t, int row, int col) { return t->cells[(size_t)row * t->ncols + col]; }

/* Parses cell (row, col) as a double; NaN for empty/nan/NA. Returns 0 or SARC_ERR_FORMAT. */
int csv_num(const struct csv *t, int row, int col, double *out, struct sarc_err *e);

/* Writer into a FILE* or a memory stream: csv_put writes one field (quoted if it contains a comma,
 * quote, CR or LF), csv_putnum a number with 17 significant digits (shortest round-trip; NaN as
 * "nan"), csv_endrow ends the row. `first` tracks whether a comma is needed. */
struct csv_writer {
    FILE *f;
    int first;
};
void csv_put(struct csv_writer *w, const char *s);
void csv_putnum(struct csv_writer *w, double v);
void csv_putint(struct csv_writer *w, long long v);
void csv_endrow(struct csv_writer *w);

/* Formats v as the shortest %.Ng (N = 15..17) that reads back exactly; "nan", "inf", "-inf" for
 * non-finite values. */
void num_format(char *buf, size_t size, double v);

#endif
