/* test_nn_golden.h - reader of the binary goldens of test/golden/nn (format version 1, written by
 * test/oracles/torch_nn_golden.py): a line "SARC-GOLDEN nn 1", a comment line naming the oracle,
 * then records "T <name> <ndim> <dims...>\n" + float32 little-endian values, then "END\n".
 * Header-only helper of test/nn/test_ops_torch.c and test/nn/test_graph_torch.c. */
#ifndef SARC_TEST_NN_GOLDEN_H
#define SARC_TEST_NN_GOLDEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/file.h"
#include "nn/tensor.h"

struct golden_rec {
    char name[64];
    struct tensor t; /* data points into the file buffer (aligned copy) */
};

struct golden {
    struct golden_rec *rec;
    int count;
    float *values; /* all values, copied out of the file */
    char oracle[256];
};

static inline void golden_free(struct golden *g)
{
    free(g->rec);
    free(g->values);
    memset(g, 0, sizeof *g);
}

/* 0, or -1 with a message in err (size 256). */
static inline int golden_load(struct golden *g, const char *path, char *err)
{
    memset(g, 0, sizeof *g);
    uint8_t *buf = NULL;
    size_t len = 0;
    struct sarc_err e;
    if (file_read_all(path, &buf, &len, 16u << 20, &e) != 0) {
        snprintf(err, 256, "%.200s", e.msg);
        return -1;
    }
    size_t pos = 0, nvals = 0;
    int cap = 0, rc = -1;
    const char *magic = "SARC-GOLDEN nn 1\n";
    if (len < strlen(magic) || memcmp(buf, magic, strlen(magic)) != 0) {
        snprintf(err, 256, "%s: not a version-1 nn golden", path);
        goto out;
    }
    pos = strlen(magic);
    /* comment line */
    {
        const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl) {
            snprintf(err, 256, "%s: truncated header", path);
            goto out;
        }
        size_t l = (size_t)(nl - (buf + pos));
        snprintf(g->oracle, sizeof g->oracle, "%.*s", (int)(l < 255 ? l : 255), (const char *)buf + pos);
        pos += l + 1;
    }
    /* pass 1 counts values; values are copied in pass 2 */
    for (int pass = 0; pass < 2; pass++) {
        size_t p = pos, off = 0;
        int count = 0;
        for (;;) {
            const uint8_t *nl = memchr(buf + p, '\n', len - p);
            if (!nl) {
                snprintf(err, 256, "%s: truncated record header", path);
                goto out;
            }
            char line[256];
            size_t l = (size_t)(nl - (buf + p));
            if (l >= sizeof line) {
                snprintf(err, 256, "%s: record header too long", path);
                goto out;
            }
            memcpy(line, buf + p, l);
            line[l] = 0;
            p += l + 1;
            if (strcmp(line, "END") == 0)
                break;
            struct golden_rec r;
            memset(&r, 0, sizeof r);
            int shape[5] = {1, 1, 1, 1, 1}, ndim = 0, used = 0;
            if (sscanf(line, "T %63s %d%n", r.name, &ndim, &used) != 2 || ndim < 1 || ndim > 5) {
                snprintf(err, 256, "%.80s: bad record header '%.100s'", path, line);
                goto out;
            }
            const char *q = line + used;
            for (int i = 0; i < ndim; i++) {
                int u = 0;
                if (sscanf(q, "%d%n", &shape[i], &u) != 1) {
                    snprintf(err, 256, "%.80s: bad dims in '%.100s'", path, line);
                    goto out;
                }
                q += u;
            }
            if (tensor_set_shape(&r.t, ndim, shape, NULL) != 0 ||
                (size_t)r.t.n * 4 > len - p) {
                snprintf(err, 256, "%s: record '%s' shape invalid or truncated", path, r.name);
                goto out;
            }
            if (pass == 1) {
                r.t.data = g->values + off;
                for (int64_t i = 0; i < r.t.n; i++) {
                    const uint8_t *b = buf + p + 4 * i;
                    uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                                 (uint32_t)b[3] << 24;
                    memcpy(&r.t.data[i], &u, 4);
                }
                g->rec[count] = r;
            }
            off += (size_t)r.t.n;
            p += (size_t)r.t.n * 4;
            count++;
        }
        if (pass == 0) {
            nvals = off;
            cap = count;
            g->rec = calloc((size_t)cap + 1, sizeof *g->rec);
            g->values = malloc(sizeof(float) * (nvals + 1));
            if (!g->rec || !g->values) {
                snprintf(err, 256, "out of memory");
                goto out;
            }
        } else {
            g->count = count;
        }
    }
    rc = 0;
out:
    free(buf);
    if (rc)
        golden_free(g);
    return rc;
}

static inline const struct tensor *golden_get(const struct golden *g, const char *name)
{
    for (int i = 0; i < g->count; i++)
        if (strcmp(g->rec[i].name, name) == 0)
            return &g->rec[i].t;
    return NULL;
}

/* Compares n values: an element passes if |a - b| <= tol or |a - b| <= tol * |b|. Reports the
 * worst element through the harness; returns the number of failing elements. */
static inline int64_t golden_compare(const char *what, const float *a, const float *b, int64_t n,
                                     double tol, double *max_abs, double *max_rel)
{
    int64_t bad = 0, worst = -1;
    double wa = 0, wr = 0;
    for (int64_t i = 0; i < n; i++) {
        const double d = fabs((double)a[i] - b[i]);
        const double r = d / (fabs((double)b[i]) > 1e-30 ? fabs((double)b[i]) : 1e-30);
        if (d > wa)
            wa = d;
        if (d > tol && r > wr)
            wr = r;
        if (!(d <= tol || r <= tol)) {
            if (worst < 0 || d > fabs((double)a[worst] - b[worst]))
                worst = i;
            bad++;
        }
    }
    if (max_abs && wa > *max_abs)
        *max_abs = wa;
    if (max_rel && wr > *max_rel)
        *max_rel = wr;
    if (bad)
        test_fail_at(__FILE__, __LINE__, "%s: %lld of %lld values off by more than %g (abs and "
                     "rel); worst at %lld: %.9g vs torch %.9g", what, (long long)bad,
                     (long long)n, tol, (long long)worst, (double)a[worst], (double)b[worst]);
    return bad;
}

#endif
