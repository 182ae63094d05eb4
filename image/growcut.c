/* growcut.c - the GrowCut cellular automaton (Vezhnevets & Konouchine 2005).
 *
 * Each voxel p has a label l_p and a strength s_p in [0, 1]; seeds start with s = 1, others with
 * l = 0, s = 0. In one step every voxel looks at its 6 face neighbours q and is conquered by the
 * strongest attack g(|I_p - I_q|) * s_q that exceeds its own strength, where
 * g(x) = 1 - x / (max I - min I) (the paper's monotone decreasing g on the image's range);
 * seeds keep their label. Steps are synchronous (the new state is computed from the previous
 * one only; ties between equal attacks go to the first neighbour in the fixed order -x, +x, -y,
 * +y, -z, +z) until no voxel changes, so the result depends neither on the thread count nor on
 * scheduling. Only voxels with a neighbour that changed in the previous step are re-evaluated.
 * Each step runs in parallel over z-slabs of the default pool.
 * Covered by test/image/test_growcut.c (phantom scribbles: Dice vs truth; hand-made cases). */
#include "image/growcut.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "vendor/pool.h"
#include "vendor/progress.h"

struct gc_state {
    int64_t dim[3];
    const double *img;
    const uint8_t *seeds;
    double inv_range;
    const uint8_t *lab0;
    const double *str0;
    const uint8_t *chg0; /* changed in the previous step */
    uint8_t *lab1;
    double *str1;
    uint8_t *chg1;
    int64_t *changed; /* per chunk */
};

static void gc_step_chunk(void *arg, int64_t b, int64_t e, int64_t chunk)
{
    struct gc_state *G = arg;
    const int64_t nx = G->dim[0], ny = G->dim[1], nz = G->dim[2], sl = nx * ny;
    int64_t nchg = 0;
    for (int64_t k = b; k < e; k++)
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++) {
                const int64_t p = i + nx * (j + ny * k);
                uint8_t l = G->lab0[p];
                double s = G->str0[p];
                int64_t nb[6];
                int nn = 0;
                if (i > 0) nb[nn++] = p - 1;
                if (i < nx - 1) nb[nn++] = p + 1;
                if (j > 0) nb[nn++] = p - nx;
                if (j < ny - 1) nb[nn++] = p + nx;
                if (k > 0) nb[nn++] = p - sl;
                if (k < nz - 1) nb[nn++] = p + sl;
                int active = 0;
                for (int t = 0; t < nn; t++)
                    active |= G->chg0[nb[t]];
                uint8_t changed = 0;
                if (active && !G->seeds[p]) {
                    const double ip = G->img[p];
                    for (int t = 0; t < nn; t++) {
                        const int64_t q = nb[t];
                        if (!G->lab0[q])
                            continue;
                        const double att = (1.0 - fabs(ip - G->img[q]) * G->inv_range) * G->str0[q];
                        if (att > s) {
                            s = att;
                            l = G->lab0[q];
                            changed = 1;
                        }
                    }
                }
                G->lab1[p] = l;
                G->str1[p] = s;
                G->chg1[p] = changed;
                nchg += changed;
            }
    G->changed[chunk] = nchg;
}

int growcut_segment(const struct volume *image, const uint8_t *seeds, int max_iterations, uint8_t *labels,
                    int *iterations, struct sarc_err *e)
{
    if (!image || !image->data || !seeds || !labels)
        return ERR(e, SARC_ERR_ARG, "growcut: missing image, seeds or output");
    const int64_t n = volume_frame_count(image);
    int has1 = 0, has2 = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t p = 0; p < n; p++) {
        if (seeds[p] > 2)
            return ERR(e, SARC_ERR_ARG, "seed value %d at voxel %lld, expected 0 (unknown), 1 (tumour) or 2 (background)",
                       seeds[p], (long long)p);
        has1 |= seeds[p] == 1;
        has2 |= seeds[p] == 2;
        const double v = image->data[p];
        if (!isfinite(v))
            return ERR(e, SARC_ERR_RANGE, "growcut: non-finite image value at voxel %lld", (long long)p);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    if (!has1 || !has2)
        return ERR(e, SARC_ERR_ARG, "the seeds need both tumour (1) and background (2) voxels; found %s%s", has1 ? "1" : "",
                   has2 ? "2" : has1 ? " only" : "none");
    const int cap = max_iterations > 0 && max_iterations < 100000 ? max_iterations : 100000;
    uint8_t *lab = malloc((size_t)n), *chg_a = malloc((size_t)n), *chg_b = malloc((size_t)n);
    double *str_a = malloc((size_t)n * sizeof(double)), *str_b = malloc((size_t)n * sizeof(double));
    struct gc_state G = {{image->dim[0], image->dim[1], image->dim[2]}, image->data, seeds,
                         hi > lo ? 1.0 / (hi - lo) : 0.0, labels, NULL, NULL, lab, NULL, NULL, NULL};
    const int64_t grain = (G.dim[2] + 31) / 32;
    const int64_t nchunks = pool_chunks(G.dim[2], grain);
    G.changed = malloc(sizeof(int64_t) * (size_t)nchunks);
    int rc = 0;
    if (!lab || !chg_a || !chg_b || !str_a || !str_b || !G.changed) {
        rc = ERR(e, SARC_ERR_NOMEM, "growcut: out of memory for %lld voxels", (long long)n);
        goto done;
    }
    for (int64_t p = 0; p < n; p++) {
        labels[p] = seeds[p];
        str_a[p] = seeds[p] ? 1.0 : 0.0;
        chg_a[p] = seeds[p] != 0; /* seeds start the propagation */
    }
    struct audit_step *st = audit_step_begin("growcut");
    audit_param_int(st, "max_iterations", max_iterations);
    audit_param_str(st, "neighbourhood", "6");
    audit_input_volume(st, "image", image);
    struct progress pr;
    progress_begin(&pr, "growcut", cap, "steps");
    int it = 0;
    uint8_t *lab_cur = labels, *lab_nxt = lab;
    double *str_cur = str_a, *str_nxt = str_b;
    uint8_t *chg_cur = chg_a, *chg_nxt = chg_b;
    int64_t total = 1;
    while (it < cap && total > 0) {
        G.lab0 = lab_cur, G.str0 = str_cur, G.chg0 = chg_cur;
        G.lab1 = lab_nxt, G.str1 = str_nxt, G.chg1 = chg_nxt;
        pool_for(pool_default(), G.dim[2], grain, gc_step_chunk, &G);
        total = 0;
        for (int64_t c = 0; c < nchunks; c++)
            total += G.changed[c];
        uint8_t *t8 = lab_cur;
        lab_cur = lab_nxt, lab_nxt = t8;
        double *td = str_cur;
        str_cur = str_nxt, str_nxt = td;
        t8 = chg_cur;
        chg_cur = chg_nxt, chg_nxt = t8;
        it++;
        progress_add(&pr, 1);
    }
    progress_end(&pr);
    if (lab_cur != labels)
        memcpy(labels, lab_cur, (size_t)n);
    int64_t ntum = 0;
    for (int64_t p = 0; p < n; p++)
        ntum += labels[p] == 1;
    audit_value(st, "iterations", it);
    audit_value(st, "converged", total == 0);
    audit_value(st, "tumour_voxels", (double)ntum);
    audit_step_end(st);
    if (iterations)
        *iterations = it;
done:
    free(lab), free(chg_a), free(chg_b), free(str_a), free(str_b), free(G.changed);
    return rc;
}
