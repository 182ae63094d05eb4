/* image_testutil.h - helpers shared by test/image/test_*.c: the integer hash that
 * test/oracles/image_*.py uses to make inputs (so inputs are recomputed, not stored), and a reader
 * for the golden text files ('# ...' header lines, then sections "name count" followed by count
 * whitespace-separated values; a bit mask is one token of '0'/'1' characters). */
#ifndef SARC_TEST_IMAGE_UTIL_H
#define SARC_TEST_IMAGE_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Uniform [0, 1) value for index i (hash01 in test/oracles/image_basic.py). */
static inline double img_hash01(uint64_t i, uint32_t seed)
{
    uint32_t x = (uint32_t)(i * 2654435761u) + seed;
    x ^= x >> 15;
    x *= 2246822519u;
    x ^= x >> 13;
    x *= 3266489917u;
    x ^= x >> 16;
    return (double)x / 4294967296.0;
}

/* Reads section `name` of a golden file: *n values (malloc'ed, caller frees), or NULL if absent.
 * Bit-mask sections (one token of 0/1 characters) are returned as 0.0/1.0 values. */
static inline double *golden_section(const char *path, const char *name, int64_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char word[256];
    double *vals = NULL;
    *n = 0;
    while (fscanf(f, "%255s", word) == 1) {
        if (word[0] == '#') { /* skip the rest of a comment line */
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
            continue;
        }
        long long cnt;
        if (fscanf(f, "%lld", &cnt) != 1 || cnt < 0 || cnt > (1 << 26))
            break;
        const int want = strcmp(word, name) == 0;
        if (want)
            vals = malloc((size_t)(cnt ? cnt : 1) * sizeof *vals);
        /* first token: a bit mask if it is cnt characters of 0/1, else the first number */
        size_t cap = 64, len = 0;
        char *tok = malloc(cap);
        int c;
        do
            c = fgetc(f);
        while (c == ' ' || c == '\n');
        while (tok && c != EOF && c != ' ' && c != '\n') {
            if (len + 1 >= cap) {
                char *t = realloc(tok, cap * 2);
                if (!t) {
                    free(tok);
                    tok = NULL;
                    break;
                }
                tok = t;
                cap *= 2;
            }
            tok[len++] = (char)c;
            c = fgetc(f);
        }
        if (!tok)
            break;
        tok[len] = 0;
        const int is_bits = cnt > 1 && (long long)len == cnt && strspn(tok, "01") == len;
        for (long long i = 0; i < cnt; i++) {
            double v;
            if (is_bits)
                v = tok[i] == '1';
            else if (i == 0)
                v = strtod(tok, NULL);
            else if (fscanf(f, "%lf", &v) != 1) {
                cnt = i;
                break;
            }
            if (want && vals)
                vals[i] = v;
        }
        free(tok);
        if (want) {
            *n = cnt;
            fclose(f);
            return vals;
        }
    }
    fclose(f);
    return NULL;
}

#endif
