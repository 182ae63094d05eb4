/* stats_test_util.h - small helpers shared by the test/stats/test_*.c cases: reading the
 * whitespace-separated number lines of the goldens in test/golden/stats/, writing small input
 * files. Header-only: every function is static inline, so nothing is exported. */
#ifndef SARC_TEST_STATS_UTIL_H
#define SARC_TEST_STATS_UTIL_H

#include <stdio.h>
#include <stdlib.h>

/* Parses up to max doubles separated by white space from the start of line into out; stops at the
 * first token that is not a number. Returns the count parsed. */
static inline int parse_doubles(const char *line, double *out, int max)
{
    int k = 0;
    const char *p = line;
    char *end;
    while (k < max) {
        const double v = strtod(p, &end);
        if (end == p)
            break;
        out[k++] = v;
        p = end;
    }
    return k;
}

/* Writes text to path (replacing it); 0, or -1 if the file cannot be written. */
static inline int text_file_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    const int ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

#endif
