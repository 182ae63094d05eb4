/* segmetrics.c - segmentation metrics, ROC AUC, the precision = recall threshold and the largest
 * 26-connected component (see segmetrics.h). Counts are integers; ratios are formed once in
 * double. Covered by test/nn/test_segmetrics.c. */
#include "nn/segmetrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image/components.h"

static int cmp_float(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Splits scores by label into two ascending arrays (owned by the caller). NaN scores are
 * refused by the callers' contract (probabilities); they would sort arbitrarily. */
static int split_sorted(const float *score, const uint8_t *label, int64_t n, float **pos, int64_t *np,
                        float **neg, int64_t *nn, struct sarc_err *e)
{
    int64_t P = 0;
    for (int64_t i = 0; i < n; i++)
        P += label[i] != 0;
    float *ps = malloc(sizeof(float) * (size_t)(P ? P : 1)), *ns = malloc(sizeof(float) * (size_t)(n - P ? n - P : 1));
    if (!ps || !ns) {
        free(ps), free(ns);
        return ERR(e, SARC_ERR_NOMEM, "sorting %lld scores", (long long)n);
    }
    int64_t a = 0, b = 0;
    for (int64_t i = 0; i < n; i++) {
        const float s = isnan(score[i]) ? 0.0f : score[i];
        if (label[i])
            ps[a++] = s;
        else
            ns[b++] = s;
    }
    qsort(ps, (size_t)a, sizeof(float), cmp_float);
    qsort(ns, (size_t)b, sizeof(float), cmp_float);
    *pos = ps, *np = a, *neg = ns, *nn = b;
    return 0;
}

int seg_auc(const float *score, const uint8_t *label, int64_t n, double *auc, struct sarc_err *e)
{
    *auc = NAN;
    float *ps, *ns;
    int64_t P, N;
    int rc = split_sorted(score, label, n, &ps, &P, &ns, &N, e);
    if (rc)
        return rc;
    if (P > 0 && N > 0) {
        /* Mann-Whitney: sum over positives of #(neg < s) + #(neg == s) / 2, kept doubled as an
         * integer-valued double (exact below 2^53) */
        double u2 = 0;
        int64_t lo = 0, hi = 0;
        for (int64_t i = 0; i < P; i++) {
            while (lo < N && ns[lo] < ps[i])
                lo++;
            if (hi < lo)
                hi = lo;
            while (hi < N && ns[hi] <= ps[i])
                hi++;
            u2 += (double)(2 * lo + (hi - lo));
        }
        *auc = u2 / (2.0 * (double)P * (double)N);
    }
    free(ps), free(ns);
    return 0;
}

int seg_threshold_pr(const float *score, const uint8_t *label, int64_t n, double *thr, struct sarc_err *e)
{
    *thr = 0.5;
    float *ps, *ns;
    int64_t P, N;
    int rc = split_sorted(score, label, n, &ps, &P, &ns, &N, e);
    if (rc)
        return rc;
    if (P == 0) {
        free(ps), free(ns);
        return ERR(e, SARC_ERR_RANGE, "no positive voxels: the precision = recall threshold is undefined");
    }
    int64_t i = 0, j = 0;
    while (j < N && ns[j] < ps[0]) /* below the lowest positive recall is 1: not candidates */
        j++;
    double best = INFINITY;
    float best_t = ps[0];
    while (i < P) {
        const float t = j < N && ns[j] < ps[i] ? ns[j] : ps[i];
        const double tp = (double)(P - i), fp = (double)(N - j);
        const double prec = tp / (tp + fp), rec = tp / (double)P;
        const double d = fabs(prec - rec);
        if (d < best) {
            best = d;
            best_t = t;
        }
        while (i < P && ps[i] == t)
            i++;
        while (j < N && ns[j] == t)
            j++;
    }
    *thr = best_t;
    free(ps), free(ns);
    return 0;
}

int seg_metrics_compute(const uint8_t *pred, const uint8_t *label, const float *prob, int64_t n,
                        double voxel_mm3, struct seg_metrics *m, struct sarc_err *e)
{
    memset(m, 0, sizeof *m);
    for (int64_t i = 0; i < n; i++) {
        const int p = pred[i] != 0, t = label[i] != 0;
        m->tp += p & t;
        m->fp += p & (!t);
        m->fn += (!p) & t;
        m->tn += (!p) & (!t);
    }
    const double tp = (double)m->tp, fp = (double)m->fp, fn = (double)m->fn, tn = (double)m->tn;
    m->accuracy = n ? (tp + tn) / (double)n : NAN;
    m->precision = tp + fp > 0 ? tp / (tp + fp) : 0.0;
    m->recall = tp + fn > 0 ? tp / (tp + fn) : 0.0;
    m->dice = tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 1.0;
    m->jaccard = tp + fp + fn > 0 ? tp / (tp + fp + fn) : 1.0;
    m->volume_pred_mm3 = (tp + fp) * voxel_mm3;
    m->volume_label_mm3 = (tp + fn) * voxel_mm3;
    m->auc = NAN;
    if (prob)
        return seg_auc(prob, label, n, &m->auc, e);
    return 0;
}

/* Own 26-connected flood fill (used while image/components.c is a placeholder). */
static int keep_largest_own(uint8_t *mask, const int64_t dim[3], struct sarc_err *e)
{
    const int64_t X = dim[0], Y = dim[1], Z = dim[2], n = X * Y * Z;
    int32_t *lab = calloc((size_t)n, sizeof(int32_t));
    int64_t *queue = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    if (!lab || !queue) {
        free(lab), free(queue);
        return ERR(e, SARC_ERR_NOMEM, "component labelling of %lld voxels", (long long)n);
    }
    int32_t next = 0, best = 0;
    int64_t best_size = 0;
    for (int64_t s = 0; s < n; s++) {
        if (!mask[s] || lab[s])
            continue;
        if (next == INT32_MAX)
            break;
        const int32_t id = ++next;
        int64_t head = 0, tail = 0;
        queue[tail++] = s;
        lab[s] = id;
        while (head < tail) {
            const int64_t v = queue[head++];
            const int64_t x = v % X, y = (v / X) % Y, z = v / (X * Y);
            for (int dz = -1; dz <= 1; dz++)
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        const int64_t xx = x + dx, yy = y + dy, zz = z + dz;
                        if (xx < 0 || yy < 0 || zz < 0 || xx >= X || yy >= Y || zz >= Z)
                            continue;
                        const int64_t u = (zz * Y + yy) * X + xx;
                        if (mask[u] && !lab[u]) {
                            lab[u] = id;
                            queue[tail++] = u;
                        }
                    }
        }
        if (tail > best_size) { /* strict: the first of equal sizes wins */
            best_size = tail;
            best = id;
        }
    }
    for (int64_t i = 0; i < n; i++)
        mask[i] = (uint8_t)(mask[i] && lab[i] == best);
    free(lab), free(queue);
    return 0;
}

int seg_keep_largest(uint8_t *mask, const int64_t dim[3], struct sarc_err *e)
{
    struct sarc_err e2 = {0};
    const int rc = components_keep_largest(mask, dim, 26, &e2);
    if (rc == 0)
        return 0;
    if (rc != SARC_ERR_UNSUPPORTED) {
        if (e)
            *e = e2;
        return rc;
    }
    return keep_largest_own(mask, dim, e);
}
