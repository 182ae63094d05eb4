/* mrmr.c - mRMR ranking (see mrmr.h for the definition it reproduces). Covered by
 * test/stats/test_mrmr.c. */
#include "stats/mrmr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"

#define MRMR_POOL 5000

void mrmr_discretize(const double *x, int n, int p, double t, int *states)
{
    for (int j = 0; j < p; j++) {
        double s = 0;
        for (int i = 0; i < n; i++)
            s += x[(size_t)i * p + j];
        const double mean = s / n;
        double ss = 0;
        for (int i = 0; i < n; i++) {
            const double d = x[(size_t)i * p + j] - mean;
            ss += d * d;
        }
        const double sd = n > 1 ? sqrt(ss / (n - 1)) : 0;
        for (int i = 0; i < n; i++) {
            const double z = (x[(size_t)i * p + j] - mean) / sd;
            int st = 0;
            if (sd > 0 && !isnan(z))
                st = z < -t ? -1 : z > t ? 1 : 0;
            states[(size_t)i * p + j] = st;
        }
    }
}

/* MI (bits) of a (n) and b (n), both already shifted to 0..na-1 / 0..nb-1; pab scratch
 * (na*nb + na + nb). The summation order follows the reference program: the table is indexed
 * [b][a], marginals summed over it, MI summed b-major. */
static double mi_shifted(const int *a, int na, const int *b, int nbs, int n, double *pab)
{
    double *p1 = pab + (size_t)na * nbs, *p2 = p1 + na;
    memset(pab, 0, sizeof *pab * ((size_t)na * nbs + na + nbs));
    for (int i = 0; i < n; i++)
        pab[(size_t)b[i] * na + a[i]] += 1;
    for (size_t k = 0; k < (size_t)na * nbs; k++)
        pab[k] /= n;
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nbs; j++) {
            p1[i] += pab[(size_t)j * na + i];
            p2[j] += pab[(size_t)j * na + i];
        }
    double mi = 0;
    for (int j = 0; j < nbs; j++)
        for (int i = 0; i < na; i++) {
            const double q = pab[(size_t)j * na + i];
            if (q != 0 && p1[i] != 0 && p2[j] != 0)
                mi += q * log(q / p1[i] / p2[j]);
        }
    return mi / log(2.0);
}

double mutual_info(const int *a, const int *b, int n)
{
    if (n < 1)
        return NAN;
    int amin = a[0], amax = a[0], bmin = b[0], bmax = b[0];
    for (int i = 1; i < n; i++) {
        amin = a[i] < amin ? a[i] : amin;
        amax = a[i] > amax ? a[i] : amax;
        bmin = b[i] < bmin ? b[i] : bmin;
        bmax = b[i] > bmax ? b[i] : bmax;
    }
    const long na = (long)amax - amin + 1, nb = (long)bmax - bmin + 1;
    if (na > 4096 || nb > 4096)
        return NAN;
    int *sa = malloc(sizeof *sa * (size_t)n * 2);
    double *pab = malloc(sizeof *pab * (size_t)(na * nb + na + nb));
    double mi = NAN;
    if (sa && pab) {
        for (int i = 0; i < n; i++) {
            sa[i] = a[i] - amin;
            sa[n + i] = b[i] - bmin;
        }
        mi = mi_shifted(sa, (int)na, sa + n, (int)nb, n, pab);
    }
    free(sa);
    free(pab);
    return mi;
}

/* The reference program's ordering of the float keys arr[1..n] (payload brr) ascending:
 * Numerical Recipes' sort2 scheme (median-of-three quicksort, insertion sort below 7 elements,
 * explicit stack, larger part pushed). Reproduced so that ties come out in the same order. */
static int nr_sort2(unsigned long n, float *arr, int *brr)
{
    enum { M = 7, NSTACK = 64 };
    unsigned long i, ir = n, j, k, l = 1;
    unsigned long istack[NSTACK + 1];
    int jstack = 0;
    for (;;) {
        if (ir - l < M) {
            for (j = l + 1; j <= ir; j++) {
                const float a = arr[j];
                const int b = brr[j];
                for (i = j - 1; i >= 1; i--) {
                    if (arr[i] <= a)
                        break;
                    arr[i + 1] = arr[i];
                    brr[i + 1] = brr[i];
                }
                arr[i + 1] = a;
                brr[i + 1] = b;
            }
            if (!jstack)
                return 0;
            ir = istack[jstack];
            l = istack[jstack - 1];
            jstack -= 2;
        } else {
#define SWAPF(x, y) do { const float t_ = (x); (x) = (y); (y) = t_; } while (0)
#define SWAPI(x, y) do { const int t_ = (x); (x) = (y); (y) = t_; } while (0)
            k = (l + ir) >> 1;
            SWAPF(arr[k], arr[l + 1]);
            SWAPI(brr[k], brr[l + 1]);
            if (arr[l + 1] > arr[ir]) {
                SWAPF(arr[l + 1], arr[ir]);
                SWAPI(brr[l + 1], brr[ir]);
            }
            if (arr[l] > arr[ir]) {
                SWAPF(arr[l], arr[ir]);
                SWAPI(brr[l], brr[ir]);
            }
            if (arr[l + 1] > arr[l]) {
                SWAPF(arr[l + 1], arr[l]);
                SWAPI(brr[l + 1], brr[l]);
            }
            i = l + 1;
            j = ir;
            const float a = arr[l];
            const int b = brr[l];
            for (;;) {
                do
                    i++;
                while (arr[i] < a);
                do
                    j--;
                while (arr[j] > a);
                if (j < i)
                    break;
                SWAPF(arr[i], arr[j]);
                SWAPI(brr[i], brr[j]);
            }
            arr[l] = arr[j];
            arr[j] = a;
            brr[l] = brr[j];
            brr[j] = b;
            jstack += 2;
            if (jstack > NSTACK)
                return -1;
            if (ir - i + 1 >= j - l) {
                istack[jstack] = ir;
                istack[jstack - 1] = i;
                ir = j - 1;
            } else {
                istack[jstack] = j - 1;
                istack[jstack - 1] = l;
                l = i;
            }
#undef SWAPF
#undef SWAPI
        }
    }
}

int mrmr_rank(const int *states, const int *y, int n, int p, const int *cols, enum mrmr_method method, int top,
              int *order, double *score, int *nout, struct sarc_err *e)
{
    const int rc = mrmr_rank_noaudit(states, y, n, p, cols, method, top, order, score, nout, e);
    if (rc)
        return rc;
    struct audit_step *st = audit_step_begin("mrmr");
    audit_param_str(st, "method", method == MRMR_MID ? "MID" : "MIQ");
    audit_param_int(st, "cases", n);
    audit_param_int(st, "features", p);
    audit_param_int(st, "ranked", *nout);
    audit_output_array(st, "score", score, *nout);
    audit_step_end(st);
    return 0;
}

int mrmr_rank_noaudit(const int *states, const int *y, int n, int p, const int *cols, enum mrmr_method method,
                      int top, int *order, double *score, int *nout, struct sarc_err *e)
{
    *nout = 0;
    if (top < 1)
        return ERR(e, SARC_ERR_ARG, "top = %d, expected >= 1", top);
    if (n < 2)
        return ERR(e, SARC_ERR_ARG, "%d cases, need at least 2", n);
    int npos = 0;
    for (int i = 0; i < n; i++)
        npos += y[i] != 0;
    if (npos == 0 || npos == n)
        return ERR(e, SARC_ERR_ARG, "the label holds one class only (%d cases of class %d): nothing to rank against", n,
                   npos ? 1 : 0);
    int nuse = 0;
    for (int j = 0; j < p; j++)
        nuse += !cols || cols[j];
    if (nuse == 0)
        return ERR(e, SARC_ERR_ARG, "no usable feature column to rank");
    /* shifted columns: sh[j] (n) with its state count; the class is column p */
    int *sh = malloc(sizeof *sh * (size_t)n * ((size_t)p + 1));
    int *nst = malloc(sizeof *nst * ((size_t)p + 1));
    int *poolidx = malloc(sizeof *poolidx * ((size_t)nuse + 1));
    float *key = malloc(sizeof *key * ((size_t)nuse + 1));
    double *rel = malloc(sizeof *rel * (size_t)p), *red = calloc((size_t)p, sizeof *red);
    char *taken = calloc((size_t)p, 1);
    double *pab = NULL;
    int rc = 0, maxst = 2;
    if (!sh || !nst || !poolidx || !key || !rel || !red || !taken) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory for %d features", p);
        goto done;
    }
    for (int j = 0; j <= p; j++) {
        int lo = 0, hi = 0;
        for (int i = 0; i < n; i++) {
            const int v = j < p ? states[(size_t)i * p + j] : (y[i] != 0);
            if (i == 0 || v < lo)
                lo = v;
            if (i == 0 || v > hi)
                hi = v;
        }
        if ((long)hi - lo + 1 > 4096) {
            rc = ERR(e, SARC_ERR_RANGE, "feature %d spans %ld integer states; discretise it first", j + 1, (long)hi - lo + 1);
            goto done;
        }
        nst[j] = hi - lo + 1;
        maxst = nst[j] > maxst ? nst[j] : maxst;
        for (int i = 0; i < n; i++)
            sh[(size_t)j * n + i] = (j < p ? states[(size_t)i * p + j] : (y[i] != 0)) - lo;
    }
    pab = malloc(sizeof *pab * ((size_t)maxst * maxst + 2 * (size_t)maxst));
    if (!pab) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    const int *cls = sh + (size_t)p * n;
    /* relevance MI(class; f), sorted (as float, negated) by the reference's quicksort */
    int k = 0;
    for (int j = 0; j < p; j++) {
        rel[j] = mi_shifted(cls, nst[p], sh + (size_t)j * n, nst[j], n, pab);
        if (!cols || cols[j]) {
            k++;
            key[k] = (float)-rel[j];
            poolidx[k] = j;
        }
    }
    if (nr_sort2((unsigned long)nuse, key, poolidx)) {
        rc = ERR(e, SARC_ERR_INTERNAL, "sort stack overflow");
        goto done;
    }
    const int pool = nuse < MRMR_POOL ? nuse : MRMR_POOL;
    const int want = top < pool ? top : pool;
    order[0] = poolidx[1];
    score[0] = rel[order[0]];
    taken[order[0]] = 1;
    for (int s = 1; s < want; s++) {
        /* add the redundancy with the feature selected last, then score the pool */
        const int last = order[s - 1];
        int best = -1;
        double bests = 0;
        for (int q = 1; q <= pool; q++) {
            const int j = poolidx[q];
            if (taken[j])
                continue;
            red[j] += mi_shifted(sh + (size_t)last * n, nst[last], sh + (size_t)j * n, nst[j], n, pab);
            const double r = red[j] / s;
            const double sc = method == MRMR_MID ? rel[j] - r : rel[j] / (r + 0.0001);
            if (best < 0 || sc > bests) {
                best = j;
                bests = sc;
            }
        }
        order[s] = best;
        score[s] = bests;
        taken[best] = 1;
    }
    *nout = want;
done:
    free(sh);
    free(nst);
    free(poolidx);
    free(key);
    free(rel);
    free(red);
    free(taken);
    free(pab);
    return rc;
}
