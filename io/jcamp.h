/* jcamp.h - JCAMP-DX parameter files in the Bruker ParaVision dialect (acqp, method, reco,
 * visu_pars, d3proc, subject).
 *
 * Grammar handled (JCAMP-DX 4.24 labelled data records as ParaVision writes them):
 *   ##NAME=text                 core header records (TITLE, JCAMPDX, ORIGIN, END, ...): kept as text
 *   ##$NAME=value               a parameter; value continues on the following lines up to the next
 *                               "##" record
 *   ##$NAME=( 3, 2 )            sized array: declared dimensions, values on the following lines
 *   <text>                      a string; may span lines (the line breaks are dropped)
 *   (a, <b>, 3)                 a struct: comma-separated members, nested to 16 levels
 *   @N*(value)                  run-length form: N copies of value
 *   $$ text                     comment to the end of the line (outside strings)
 * Values: numbers (anything strtod reads completely), words (enumerations such as littleEndian),
 * strings and structs. A parsed file owns all its memory (one arena), freed by jcamp_free.
 * Covered by test/io/test_jcamp.c; fuzz target test/fuzz/fuzz_jcamp.c. */
#ifndef SARC_JCAMP_H
#define SARC_JCAMP_H

#include <stddef.h>
#include <stdio.h>

#include "vendor/err.h"

enum jcamp_kind { JV_NUM = 1, JV_WORD, JV_STR, JV_STRUCT };

struct jcamp_value {
    enum jcamp_kind kind;
    double num;                  /* JV_NUM */
    const char *text;            /* JV_NUM (as written), JV_WORD, JV_STR: NUL-terminated */
    int nchild;                  /* JV_STRUCT members */
    struct jcamp_value *child;
};

#define JCAMP_MAX_DIMS 8

struct jcamp_param {
    const char *name;       /* without "##$" / "##" */
    int is_core;            /* a "##NAME" header record (not "##$NAME") */
    int ndims;              /* declared dimensions "( 3, 2 )"; 0 = scalar / undeclared */
    long long dims[JCAMP_MAX_DIMS];
    const char *raw;        /* the value text as written (continuation lines joined by '\n') */
    int nval;               /* top-level values after run-length expansion */
    struct jcamp_value *val;
};

struct jcamp {
    int nparam;
    struct jcamp_param *param;
    void *arena_; /* private */
};

/* Limits that keep a hostile file from exhausting memory. */
#define JCAMP_MAX_VALUES (1 << 21) /* expanded values in one file (about 80 MB of values) */
#define JCAMP_MAX_DEPTH 16

/* Parses len bytes (need not be NUL-terminated). The input must start with "##" (after blanks and
 * "$$" comment lines).
 * On failure j is zeroed and e says where (line number). j owns everything; jcamp_free(j). */
int jcamp_parse(const char *buf, size_t len, struct jcamp *j, struct sarc_err *e);
/* Reads and parses a file (at most 64 MiB). */
int jcamp_read(const char *path, struct jcamp *j, struct sarc_err *e);
void jcamp_free(struct jcamp *j);

/* The parameter named name ("VisuCoreSize"; core records by their name, e.g. "TITLE"), or NULL. */
const struct jcamp_param *jcamp_find(const struct jcamp *j, const char *name);

/* Numeric values of a parameter, flattened in order (numbers only; structs are descended into).
 * Returns how many were found (may exceed n; only n are stored), or -1 if the parameter is absent
 * or holds a non-numeric value. */
int jcamp_nums(const struct jcamp *j, const char *name, double *out, int n);
/* The first number; 0 on success, SARC_ERR_FORMAT if absent or not numeric (message names it). */
int jcamp_num(const struct jcamp *j, const char *name, double *out, struct sarc_err *e);
/* The first string or word of a parameter (a string of a struct's first member too), or NULL. */
const char *jcamp_str(const struct jcamp *j, const char *name);
/* Number of values after flattening structs (leaf count), or -1 if absent. */
int jcamp_count(const struct jcamp *j, const char *name);

/* Writes one value in a readable, re-parsable form: numbers as written, <strings>, (a, b). */
void jcamp_value_print(FILE *f, const struct jcamp_value *v);
/* Writes "NAME = value" (with "( dims )" when declared). */
void jcamp_param_print(FILE *f, const struct jcamp_param *p);

#endif
