/* ttest.c - paired t and Wilcoxon signed-rank tests, multiple-comparison corrections.
 *
 * Implements scipy.stats.ttest_rel, scipy.stats.wilcoxon (method "auto" of SciPy 1.17: exact
 * null distribution for n <= 50 without ties/zeros, exact sign-flip permutation test for n <= 13
 * with ties or zeros, else the normal approximation) and statsmodels' multipletests
 * (bonferroni, sidak, holm, holm-sidak, fdr_bh, fdr_by) including its rejection rules.
 * Sums run in double in index order. Covered by test/stats/test_ttest.c. */
#include "stats/ttest.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "io/audit.h"
#include "stats/dist.h"
#include "stats/table.h"

static const struct {
    const char *name, *alias;
    enum mt_method m;
} mt_names[] = {
    {"bonferroni", "b", MT_BONFERRONI}, {"sidak", "s", MT_SIDAK},   {"holm", "h", MT_HOLM},
    {"holm-sidak", "hs", MT_HOLM_SIDAK}, {"bh", "fdr_bh", MT_BH}, {"by", "fdr_by", MT_BY},
};

int mt_parse(const char *s, enum mt_method *m, struct sarc_err *e)
{
    for (size_t i = 0; i < sizeof mt_names / sizeof mt_names[0]; i++)
        if (s && (strcmp(s, mt_names[i].name) == 0 || strcmp(s, mt_names[i].alias) == 0)) {
            *m = mt_names[i].m;
            return 0;
        }
    return ERR(e, SARC_ERR_ARG, "correction \"%s\", expected holm-sidak, bonferroni, sidak, holm, bh or by", s ? s : "");
}

const char *mt_name(enum mt_method m)
{
    for (size_t i = 0; i < sizeof mt_names / sizeof mt_names[0]; i++)
        if (mt_names[i].m == m)
            return mt_names[i].name;
    return "?";
}

struct vi {
    double v;
    int i;
};

/* ascending value, then index: a stable order (ties get equal corrected values anyway) */
static int vi_cmp(const void *pa, const void *pb)
{
    const struct vi *a = pa, *b = pb;
    if (a->v < b->v)
        return -1;
    if (a->v > b->v)
        return 1;
    return (a->i > b->i) - (a->i < b->i);
}

int multipletests(const double *p, int m, double alpha, enum mt_method meth, double *padj, int *reject,
                  struct sarc_err *e)
{
    if (!(alpha > 0 && alpha < 1))
        return ERR(e, SARC_ERR_ARG, "alpha = %g, expected 0 < alpha < 1", alpha);
    int k = 0; /* family size: the finite p-values */
    for (int i = 0; i < m; i++) {
        padj[i] = NAN;
        reject[i] = 0;
        k += !isnan(p[i]);
    }
    if (k == 0)
        return 0;
    struct vi *s = malloc(sizeof *s * (size_t)k);
    double *adj = malloc(sizeof *adj * (size_t)k);
    int *rej = malloc(sizeof *rej * (size_t)k);
    if (!s || !adj || !rej) {
        free(s);
        free(adj);
        free(rej);
        return ERR(e, SARC_ERR_NOMEM, "out of memory for %d p-values", m);
    }
    for (int i = 0, j = 0; i < m; i++)
        if (!isnan(p[i]))
            s[j].v = p[i], s[j].i = i, j++;
    qsort(s, (size_t)k, sizeof *s, vi_cmp);
    const double K = (double)k;
    switch (meth) {
    case MT_BONFERRONI:
        for (int j = 0; j < k; j++) {
            adj[j] = s[j].v * K;
            rej[j] = s[j].v <= alpha / K;
        }
        break;
    case MT_SIDAK: {
        const double ac = 1.0 - pow(1.0 - alpha, 1.0 / K);
        for (int j = 0; j < k; j++) {
            adj[j] = -expm1(K * log1p(-s[j].v));
            rej[j] = s[j].v <= ac;
        }
        break;
    }
    case MT_HOLM:
    case MT_HOLM_SIDAK: {
        /* step-down: reject the sorted p-values before the first one above its level */
        int stop = 0;
        for (int j = 0; j < k; j++) {
            const double r = (double)(k - j);
            const double level = meth == MT_HOLM ? alpha / r : 1.0 - pow(1.0 - alpha, 1.0 / r);
            if (!stop && s[j].v > level)
                stop = 1;
            rej[j] = !stop;
            const double raw = meth == MT_HOLM ? s[j].v * r : -expm1(r * log1p(-s[j].v));
            adj[j] = j > 0 && adj[j - 1] > raw ? adj[j - 1] : raw; /* running maximum */
        }
        break;
    }
    case MT_BH:
    case MT_BY: {
        double cm = 1.0;
        if (meth == MT_BY) {
            cm = 0;
            for (int j = 1; j <= k; j++)
                cm += 1.0 / j;
        }
        int last = -1; /* step-up: reject everything up to the last p below its level */
        for (int j = 0; j < k; j++) {
            const double f = ((double)(j + 1) / K) / cm;
            if (s[j].v <= f * alpha)
                last = j;
            adj[j] = s[j].v / f;
        }
        for (int j = k - 2; j >= 0; j--) /* running minimum from the end */
            if (adj[j + 1] < adj[j])
                adj[j] = adj[j + 1];
        for (int j = 0; j < k; j++)
            rej[j] = j <= last;
        break;
    }
    }
    for (int j = 0; j < k; j++) {
        padj[s[j].i] = adj[j] > 1 ? 1.0 : adj[j];
        reject[s[j].i] = rej[j];
    }
    free(s);
    free(adj);
    free(rej);
    return 0;
}

/* Means of the complete pairs and the differences d = a - b (count returned). */
static int pairs_collect(const double *a, const double *b, int n, double *d, struct paired_result *r)
{
    memset(r, 0, sizeof *r);
    double sa = 0, sb = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(a[i]) && isfinite(b[i])) {
            sa += a[i];
            sb += b[i];
            if (d)
                d[k] = a[i] - b[i];
            k++;
        }
    r->n = k;
    r->n_missing = n - k;
    r->mean_a = k ? sa / k : NAN;
    r->mean_b = k ? sb / k : NAN;
    r->stat = r->df = r->p = r->effect = r->mean_diff = r->sd_diff = NAN;
    return k;
}

/* Is the column constant over the complete pairs? */
static int pairs_constant(const double *x, const double *other, int n)
{
    double first = NAN;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(other[i])) {
            if (isnan(first))
                first = x[i];
            else if (x[i] != first)
                return 0;
        }
    return 1;
}

void paired_ttest(const double *a, const double *b, int n, struct paired_result *r)
{
    const int k = pairs_collect(a, b, n, NULL, r);
    if (k < 2) {
        r->note = k ? "only 1 complete pair" : "no complete pair";
        return;
    }
    double s = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(a[i]) && isfinite(b[i]))
            s += a[i] - b[i];
    const double mean = s / k;
    double ss = 0; /* two-pass variance */
    for (int i = 0; i < n; i++)
        if (isfinite(a[i]) && isfinite(b[i])) {
            const double dv = (a[i] - b[i]) - mean;
            ss += dv * dv;
        }
    r->mean_diff = mean;
    r->sd_diff = sqrt(ss / (k - 1));
    r->df = k - 1;
    if (!(r->sd_diff > 0)) {
        if (pairs_constant(a, b, n) && pairs_constant(b, a, n))
            r->note = "constant column before and after";
        else
            r->note = mean == 0 ? "all differences are 0" : "constant difference (zero variance)";
        return;
    }
    r->stat = mean / (r->sd_diff / sqrt((double)k));
    r->p = t_p_two_sided(r->stat, r->df);
    r->effect = mean / r->sd_diff;
}

/* Stable ascending argsort of x[0..n) by bottom-up merge sort; idx gets the order, tmp is
 * scratch for n ints. (qsort has no context argument, and this must be thread-safe.) */
void argsort_double(const double *x, int n, int *idx, int *tmp)
{
    for (int i = 0; i < n; i++)
        idx[i] = i;
    for (int w = 1; w < n; w *= 2) {
        for (int lo = 0; lo < n; lo += 2 * w) {
            const int mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = x[idx[j]] < x[idx[i]] ? idx[j++] : idx[i++];
            while (i < mid)
                tmp[k++] = idx[i++];
            while (j < hi)
                tmp[k++] = idx[j++];
        }
        memcpy(idx, tmp, sizeof *idx * (size_t)n);
    }
}

double rank_average(const double *x, int n, double *rank, int *idx)
{
    argsort_double(x, n, idx, idx + n);
    double tie = 0;
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && x[idx[j]] == x[idx[i]])
            j++;
        const double avg = 0.5 * (double)(i + 1 + j); /* mean of ranks i+1 .. j */
        for (int k = i; k < j; k++)
            rank[idx[k]] = avg;
        const double t = (double)(j - i);
        tie += t * t * t - t;
        i = j;
    }
    return tie;
}

int paired_wilcoxon(const double *a, const double *b, int n, struct paired_result *r, struct sarc_err *e)
{
    double *d = malloc(sizeof *d * (size_t)(n > 0 ? 3 * n : 1));
    int *idx = malloc(sizeof *idx * (size_t)(n > 0 ? 2 * n : 1));
    double *cnt = NULL;
    if (!d || !idx) {
        free(d);
        free(idx);
        return ERR(e, SARC_ERR_NOMEM, "out of memory for %d pairs", n);
    }
    const int k = pairs_collect(a, b, n, d, r);
    double *absd = d + n, *rank = d + 2 * n;
    int nz = 0, zeros = 0;
    double sd = 0;
    for (int i = 0; i < k; i++) {
        sd += d[i];
        if (d[i] != 0)
            absd[nz++] = fabs(d[i]);
        else
            zeros++;
    }
    if (k)
        r->mean_diff = sd / k;
    if (nz == 0) {
        r->note = !k ? "no complete pair"
                  : pairs_constant(a, b, n) && pairs_constant(b, a, n) ? "constant column before and after"
                                                                        : "all differences are 0";
        goto done;
    }
    const double tie = rank_average(absd, nz, rank, idx);
    double rp = 0, rm = 0;
    for (int i = 0, j = 0; i < k; i++)
        if (d[i] != 0) {
            if (d[i] > 0)
                rp += rank[j];
            else
                rm += rank[j];
            j++;
        }
    r->stat = rp < rm ? rp : rm;
    const double cn = nz;
    const double mn = cn * (cn + 1) * 0.25;
    const double se = sqrt((cn * (cn + 1) * (2 * cn + 1) - tie / 2) / 24);
    const double z = (rp - mn) / se;
    r->effect = z / sqrt(cn);
    if (k <= 50 && tie == 0 && zeros == 0) {
        /* exact: counts of subset sums of {1..n} (the null distribution of R+) */
        const int top = nz * (nz + 1) / 2;
        cnt = calloc((size_t)top + 1, sizeof *cnt);
        if (!cnt) {
            free(d);
            free(idx);
            return ERR(e, SARC_ERR_NOMEM, "out of memory");
        }
        cnt[0] = 1;
        for (int v = 1; v <= nz; v++)
            for (int s = top; s >= v; s--)
                cnt[s] += cnt[s - v];
        const double scale = ldexp(1.0, -nz), mean = top / 2.0;
        /* P(T <= c) and P(T >= c) summed from the near tail as SciPy does */
        const int c_lo = (int)ceil(rp), c_hi = (int)floor(rp);
        double cdf = 0, sf = 0;
        if (c_lo <= mean)
            for (int s = 0; s <= c_lo; s++)
                cdf += cnt[s] * scale;
        else {
            for (int s = c_lo + 1; s <= top; s++)
                cdf += cnt[s] * scale;
            cdf = 1 - cdf;
        }
        if (c_hi <= mean) {
            for (int s = c_hi; s <= top; s++)
                sf += cnt[s] * scale;
        } else {
            double c2 = 0;
            for (int s = 0; s <= c_hi - 1; s++)
                c2 += cnt[s] * scale;
            sf = 1 - c2;
        }
        r->p = 2 * (sf < cdf ? sf : cdf);
        if (r->p > 1)
            r->p = 1;
    } else if (k <= 13 && k <= 50) {
        /* exact permutation test over all 2^k sign flips (zeros stay 0) */
        const double gamma = fabs(100 * DBL_EPSILON * rp);
        long less = 0, greater = 0;
        const long total = 1L << k;
        for (long mask = 0; mask < total; mask++) {
            double s = 0;
            for (int i = 0, j = 0; i < k; i++)
                if (d[i] != 0) {
                    const int flip = (int)((mask >> i) & 1);
                    if ((d[i] > 0) != flip)
                        s += rank[j];
                    j++;
                }
            less += s <= rp + gamma;
            greater += s >= rp - gamma;
        }
        const double pl = (double)less / (double)total, pg = (double)greater / (double)total;
        r->p = 2 * (pl < pg ? pl : pg);
        if (r->p > 1)
            r->p = 1;
    } else {
        r->p = 2 * norm_sf(fabs(z));
        if (r->p > 1)
            r->p = 1;
    }
done:
    free(cnt);
    free(d);
    free(idx);
    return 0;
}

int paired_tables(const struct ftable *pre, const struct ftable *post, int wilcoxon, enum mt_method meth,
                  double alpha, struct paired_row *rows, int *unpaired, struct sarc_err *e)
{
    return paired_tables_files(pre, post, NULL, NULL, wilcoxon, meth, alpha, rows, unpaired, e);
}

int paired_tables_files(const struct ftable *pre, const struct ftable *post, const char *pre_path,
                        const char *post_path, int wilcoxon, enum mt_method meth, double alpha,
                        struct paired_row *rows, int *unpaired, struct sarc_err *e)
{
    int rc = 0;
    const int n = pre->n, p = pre->p;
    int *col = malloc(sizeof *col * (size_t)p), *match = malloc(sizeof *match * (size_t)n);
    double *a = malloc(sizeof *a * (size_t)n), *b = malloc(sizeof *b * (size_t)n);
    double *pv = malloc(sizeof *pv * (size_t)p), *padj = malloc(sizeof *padj * (size_t)p);
    int *rej = malloc(sizeof *rej * (size_t)p);
    struct audit_step *st = NULL;
    if (!col || !match || !a || !b || !pv || !padj || !rej) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory for %d features", p);
        goto done;
    }
    for (int j = 0; j < p; j++) {
        col[j] = -1;
        for (int k = 0; k < post->p; k++)
            if (strcmp(pre->names[j], post->names[k]) == 0) {
                col[j] = k;
                break;
            }
        if (col[j] < 0) {
            rc = ERR(e, SARC_ERR_FORMAT, "feature \"%s\" of the first table is missing in the second", pre->names[j]);
            goto done;
        }
    }
    int npairs = 0;
    for (int i = 0; i < n; i++) {
        match[i] = ftable_find(post, pre->ids[i]);
        npairs += match[i] >= 0;
    }
    if (npairs == 0) {
        rc = ERR(e, SARC_ERR_FORMAT, "the two tables have no case id in common");
        goto done;
    }
    if (unpaired)
        *unpaired = (n - npairs) + (post->n - npairs);
    st = audit_step_begin(wilcoxon ? "wilcoxon" : "ttest");
    if (pre_path)
        audit_input_file(st, "pre", pre_path);
    if (post_path)
        audit_input_file(st, "post", post_path);
    audit_param_str(st, "correction", mt_name(meth));
    audit_param_num(st, "alpha", alpha);
    audit_param_int(st, "pairs", npairs);
    audit_param_int(st, "features", p);
    for (int j = 0; j < p; j++) {
        int k = 0;
        for (int i = 0; i < n; i++)
            if (match[i] >= 0) {
                a[k] = pre->x[(size_t)i * pre->p + j];
                b[k] = post->x[(size_t)match[i] * post->p + col[j]];
                k++;
            }
        if (wilcoxon) {
            rc = paired_wilcoxon(a, b, k, &rows[j].r, e);
            if (rc)
                goto done;
        } else
            paired_ttest(a, b, k, &rows[j].r);
        pv[j] = rows[j].r.p;
    }
    rc = multipletests(pv, p, alpha, meth, padj, rej, e);
    if (rc)
        goto done;
    int nrej = 0, ndeg = 0;
    for (int j = 0; j < p; j++) {
        rows[j].padj = padj[j];
        rows[j].reject = rej[j];
        nrej += rej[j];
        ndeg += rows[j].r.note != NULL;
    }
    audit_summary(st, "p", pv, p);
    audit_output_array(st, "p_adj", padj, p);
    audit_value(st, "significant", nrej);
    audit_value(st, "degenerate", ndeg);
done:
    if (st)
        audit_step_end(st);
    free(col);
    free(match);
    free(a);
    free(b);
    free(pv);
    free(padj);
    free(rej);
    return rc;
}

void feature_family(const char *name, char *buf, int size)
{
    static const char *const image_types[] = {"original", "wavelet", "log", "square", "squareroot",
                                              "logarithm", "exponential", "gradient", "lbp"};
    if (strstr(name, "shape")) {
        snprintf(buf, (size_t)size, "shape");
        return;
    }
    /* first token */
    const char *u = strchr(name, '_');
    const size_t len = u ? (size_t)(u - name) : strlen(name);
    int is_type = 0;
    for (size_t i = 0; i < sizeof image_types / sizeof image_types[0]; i++)
        if (strncmp(name, image_types[i], strlen(image_types[i])) == 0)
            is_type = 1;
    if (!is_type || !u) {
        snprintf(buf, (size_t)size, "%.*s", (int)len, name);
        return;
    }
    /* image type first: the class is the second token */
    const char *c = u + 1, *u2 = strchr(c, '_');
    snprintf(buf, (size_t)size, "%.*s", (int)(u2 ? (size_t)(u2 - c) : strlen(c)), c);
}
