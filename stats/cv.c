/* cv.c - cross-validated classification (see cv.h). One work item per (repeat, fold): standardise
 * with the training rows, rank features by mRMR on the training rows, fit the model for every
 * candidate n, keep the test scores; then choose n, build the mean ROC and the AUC summary in
 * index order. Covered by test/stats/test_classify.c. */
#include "stats/cv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "stats/roc.h"
#include "stats/scale.h"
#include "vendor/pool.h"
#include "vendor/progress.h"
#include "vendor/rng.h"

void cv_param_default(struct cv_param *p)
{
    memset(p, 0, sizeof *p);
    p->model = CV_SVM;
    svm_param_default(&p->svm);
    mlp_param_default(&p->mlp);
    p->folds = 5;
    p->repeats = 5;
    p->shuffle = 1;
    p->mrmr = MRMR_MID;
    p->disc_t = 1.0;
    p->bootstrap = 2000;
    p->seed = 42;
}

void cv_result_free(struct cv_result *r)
{
    if (!r)
        return;
    free(r->auc);
    free(r->n_used);
    free(r->search_auc);
    memset(r, 0, sizeof *r);
}

/* keyed Fisher-Yates permutation of a[0..m) */
static void permute(int *a, int m, uint64_t seed, uint64_t stream)
{
    struct rng_cursor c = rng_cursor_init(seed, stream);
    for (int i = m - 1; i > 0; i--) {
        const int k = (int)rng_next_below(&c, (uint32_t)(i + 1));
        const int t = a[i];
        a[i] = a[k];
        a[k] = t;
    }
}

int stratified_kfold(const int *y, int n, int k, int shuffle, uint64_t seed, uint64_t key, int *fold,
                     struct sarc_err *e)
{
    if (k < 2)
        return ERR(e, SARC_ERR_ARG, "folds = %d, expected >= 2", k);
    if (n < 1)
        return ERR(e, SARC_ERR_ARG, "no cases");
    /* classes coded by order of first appearance, as scikit-learn */
    const int first = y[0] != 0;
    int cnt[2] = {0, 0};
    for (int i = 0; i < n; i++)
        cnt[(y[i] != 0) != first]++;
    const int ncls = cnt[1] ? 2 : 1;
    if (k > cnt[0] && (ncls == 1 || k > cnt[1]))
        return ERR(e, SARC_ERR_ARG, "folds = %d is greater than the number of cases of every class (%d, %d)", k, cnt[0], cnt[1]);
    int *list = malloc(sizeof *list * (size_t)n);
    if (!list)
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    for (int c = 0; c < ncls; c++) {
        /* allocation: positions [lo, lo + cnt[c]) of the sorted codes dealt round-robin to folds */
        const int lo = c ? cnt[0] : 0;
        int m = 0;
        for (int f = 0; f < k; f++) {
            int a = 0;
            for (int pos = lo; pos < lo + cnt[c]; pos++)
                a += pos % k == f;
            for (int q = 0; q < a; q++)
                list[m++] = f;
        }
        if (shuffle)
            permute(list, m, seed, rng_stream(RNG_STATS, 0x6b666f6c64ull /* "kfold" */, key, (uint64_t)c));
        for (int i = 0, q = 0; i < n; i++)
            if (((y[i] != 0) != first) == c)
                fold[i] = list[q++];
    }
    free(list);
    return 0;
}

int stratified_split(const int *y, int n, double test_frac, uint64_t seed, uint64_t key, int *fold,
                     struct sarc_err *e)
{
    if (!(test_frac > 0 && test_frac < 1))
        return ERR(e, SARC_ERR_ARG, "test fraction %g, expected 0 < f < 1", test_frac);
    int *list = malloc(sizeof *list * (size_t)(n > 0 ? n : 1));
    if (!list)
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    for (int c = 0; c < 2; c++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if ((y[i] != 0) == c)
                list[m++] = i;
        if (m < 2) {
            free(list);
            return ERR(e, SARC_ERR_ARG, "class %d has %d case(s); a stratified split needs at least 2", c, m);
        }
        permute(list, m, seed, rng_stream(RNG_STATS, 0x73706c6974ull /* "split" */, key, (uint64_t)c));
        int nt = (int)floor(test_frac * m + 0.5);
        nt = nt < 1 ? 1 : nt > m - 1 ? m - 1 : nt;
        for (int q = 0; q < m; q++)
            fold[list[q]] = q < nt ? 0 : 1;
    }
    free(list);
    return 0;
}

/* One evaluation: train on rows tr (ntr), score rows te (nte), for every n in ns[0..nn); scores
 * out (nn, nte). Uses the usable columns cols[0..pu). */
struct eval_ctx {
    const double *x;
    const int *y;
    int p, pu;
    const int *cols;
    const struct cv_param *prm;
};

static int eval_split(const struct eval_ctx *c, const int *tr, int ntr, const int *te, int nte, const int *ns, int nn,
                      uint64_t key, double *scores, struct sarc_err *e)
{
    const int pu = c->pu;
    int rc = 0;
    const size_t nx = (size_t)(ntr + nte) * pu;
    double *raw = malloc(sizeof *raw * nx), *z = malloc(sizeof *z * nx);
    double *mean = malloc(sizeof *mean * (size_t)pu), *sd = malloc(sizeof *sd * (size_t)pu);
    int *st = malloc(sizeof *st * (size_t)ntr * pu), *ytr = malloc(sizeof *ytr * (size_t)ntr);
    int *order = malloc(sizeof *order * (size_t)pu);
    double *msc = malloc(sizeof *msc * (size_t)pu);
    double *xa = malloc(sizeof *xa * (size_t)ntr * pu), *xb = malloc(sizeof *xb * (size_t)nte * pu);
    if (!raw || !z || !mean || !sd || !st || !ytr || !order || !msc || !xa || !xb) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* rows: training first, then test; usable columns only */
    for (int i = 0; i < ntr + nte; i++) {
        const int row = i < ntr ? tr[i] : te[i - ntr];
        for (int j = 0; j < pu; j++)
            raw[(size_t)i * pu + j] = c->x[(size_t)row * c->p + c->cols[j]];
    }
    for (int i = 0; i < ntr; i++)
        ytr[i] = c->y[tr[i]];
    /* standardise with the training rows only */
    zscore_fit(raw, pu, NULL, ntr, mean, sd);
    zscore_apply(raw, pu, NULL, ntr + nte, mean, sd, z);
    int nmax = 0;
    for (int k = 0; k < nn; k++)
        nmax = ns[k] > nmax ? ns[k] : nmax;
    int nrank = pu;
    if (nmax > 0 && nmax <= pu) {
        /* mRMR on the training rows (discretised with training statistics) */
        mrmr_discretize(z, ntr, pu, c->prm->disc_t, st);
        rc = mrmr_rank_noaudit(st, ytr, ntr, pu, NULL, c->prm->mrmr, nmax, order, msc, &nrank, e);
        if (rc)
            goto done;
    } else
        for (int j = 0; j < pu; j++)
            order[j] = j;
    for (int k = 0; k < nn; k++) {
        int nf = ns[k] <= 0 || ns[k] > pu ? pu : ns[k];
        nf = nf > nrank ? nrank : nf;
        for (int i = 0; i < ntr + nte; i++) {
            double *dst = i < ntr ? xa + (size_t)i * nf : xb + (size_t)(i - ntr) * nf;
            for (int j = 0; j < nf; j++)
                dst[j] = z[(size_t)i * pu + order[j]];
        }
        if (c->prm->model == CV_SVM) {
            struct svm_model m;
            struct svm_param sp = c->prm->svm;
            sp.probability = 0;
            sp.key = key;
            rc = svm_train(xa, ytr, ntr, nf, &sp, &m, e);
            if (rc)
                goto done;
            for (int i = 0; i < nte; i++)
                scores[(size_t)k * nte + i] = svm_decision(&m, xb + (size_t)i * nf);
            svm_free(&m);
        } else {
            struct mlp_model m;
            struct mlp_param mp = c->prm->mlp;
            mp.key = key;
            rc = mlp_train(xa, ytr, ntr, nf, &mp, &m, e);
            if (rc)
                goto done;
            for (int i = 0; i < nte; i++)
                scores[(size_t)k * nte + i] = mlp_predict(&m, xb + (size_t)i * nf);
            mlp_free(&m);
        }
    }
done:
    free(raw);
    free(z);
    free(mean);
    free(sd);
    free(st);
    free(ytr);
    free(order);
    free(msc);
    free(xa);
    free(xb);
    return rc;
}

/* Work item state */
struct task {
    int *tr, *te;
    int ntr, nte;
    double *scores; /* (nn, nte) or (1, nte) nested */
    int n_chosen;   /* nested: the n chosen inside */
    int rc;
    struct sarc_err err;
};

struct run_ctx {
    struct eval_ctx ev;
    const struct cv_param *prm;
    int *fold;    /* (nrep, n) */
    int n, nfold, nn;
    int *ns;
    struct task *tasks;
    struct progress *prog;
};

static double mean_auc_of(const double *sc, const int *y, const int *rows, int nte, int *ybuf)
{
    for (int i = 0; i < nte; i++)
        ybuf[i] = y[rows[i]];
    return roc_auc(sc, ybuf, nte);
}

/* Pool body over tasks [begin, end): task t is repeat t / nfold, fold t % nfold. Splits the rows
 * by the repeat's fold assignment and scores the test rows (nested: first chooses n by an inner
 * seeded K-fold on the training rows). Each task writes only its own slot (scores, n_chosen, rc,
 * err), so the thread count cannot change a result. */
static void task_run(void *vctx, int64_t begin, int64_t end, int64_t chunk)
{
    (void)chunk;
    struct run_ctx *c = vctx;
    for (int64_t t = begin; t < end; t++) {
        struct task *tk = &c->tasks[t];
        const int r = (int)(t / c->nfold), f = (int)(t % c->nfold);
        const int *fold = c->fold + (size_t)r * c->n;
        const int testf = c->prm->split > 0 ? 0 : f;
        tk->ntr = tk->nte = 0;
        for (int i = 0; i < c->n; i++) {
            if (fold[i] == testf)
                tk->te[tk->nte++] = i;
            else
                tk->tr[tk->ntr++] = i;
        }
        const uint64_t key = (uint64_t)r * 1000 + (uint64_t)f;
        if (!c->prm->nested) {
            tk->rc = eval_split(&c->ev, tk->tr, tk->ntr, tk->te, tk->nte, c->ns, c->nn, key, tk->scores, &tk->err);
            tk->n_chosen = -1;
        } else {
            /* inner stratified K-fold on the training part to choose n */
            int *ytr = malloc(sizeof *ytr * (size_t)tk->ntr), *ifold = malloc(sizeof *ifold * (size_t)tk->ntr);
            int *itr = malloc(sizeof *itr * (size_t)tk->ntr), *ite = malloc(sizeof *ite * (size_t)tk->ntr);
            int *yb = malloc(sizeof *yb * (size_t)tk->ntr);
            double *isc = malloc(sizeof *isc * (size_t)c->nn * tk->ntr), *sum = calloc((size_t)c->nn, sizeof *sum);
            int *cnt = calloc((size_t)c->nn, sizeof *cnt);
            if (!ytr || !ifold || !itr || !ite || !yb || !isc || !sum || !cnt)
                tk->rc = ERR(&tk->err, SARC_ERR_NOMEM, "out of memory");
            for (int i = 0; !tk->rc && i < tk->ntr; i++)
                ytr[i] = c->ev.y[tk->tr[i]];
            if (!tk->rc)
                tk->rc = stratified_kfold(ytr, tk->ntr, c->prm->folds, 1, c->prm->seed, key + 500000, ifold, &tk->err);
            for (int g = 0; !tk->rc && g < c->prm->folds; g++) {
                int a = 0, b = 0;
                for (int i = 0; i < tk->ntr; i++) {
                    if (ifold[i] == g)
                        ite[b++] = tk->tr[i];
                    else
                        itr[a++] = tk->tr[i];
                }
                tk->rc = eval_split(&c->ev, itr, a, ite, b, c->ns, c->nn, key * 100 + 10 + (uint64_t)g, isc, &tk->err);
                for (int k = 0; !tk->rc && k < c->nn; k++) {
                    const double auc = mean_auc_of(isc + (size_t)k * b, c->ev.y, ite, b, yb);
                    if (!isnan(auc)) {
                        sum[k] += auc;
                        cnt[k]++;
                    }
                }
            }
            int best = 0;
            double bv = -1;
            for (int k = 0; !tk->rc && k < c->nn; k++) {
                const double v = cnt[k] ? sum[k] / cnt[k] : -1;
                if (v > bv) {
                    bv = v;
                    best = k;
                }
            }
            tk->n_chosen = c->ns[best];
            if (!tk->rc)
                tk->rc = eval_split(&c->ev, tk->tr, tk->ntr, tk->te, tk->nte, &c->ns[best], 1, key, tk->scores, &tk->err);
            free(ytr);
            free(ifold);
            free(itr);
            free(ite);
            free(yb);
            free(isc);
            free(sum);
            free(cnt);
        }
        progress_add(c->prog, 1);
    }
}

static int cmp_dbl(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy.percentile(v, q) with linear interpolation on sorted v (m values) */
static double percentile_sorted(const double *v, int m, double q)
{
    const double pos = q / 100.0 * (m - 1);
    const int lo = (int)floor(pos);
    const int hi = lo + 1 < m ? lo + 1 : lo;
    return v[lo] + (pos - lo) * (v[hi] - v[lo]);
}

int cv_classify(const double *x, const int *y, int n, int p, const int *usable, const struct cv_param *prm,
                struct cv_result *r, struct sarc_err *e)
{
    memset(r, 0, sizeof *r);
    if (prm->repeats < 1 || prm->repeats > 1000)
        return ERR(e, SARC_ERR_ARG, "repeats = %d, expected 1..1000", prm->repeats);
    if (prm->split <= 0 && (prm->folds < 2 || prm->folds > n))
        return ERR(e, SARC_ERR_ARG, "folds = %d, expected 2..%d (the number of cases)", prm->folds, n);
    if (!(prm->disc_t > 0))
        return ERR(e, SARC_ERR_ARG, "discretisation t = %g, expected > 0", prm->disc_t);
    if (prm->n_lo < 0 || prm->n_hi < prm->n_lo)
        return ERR(e, SARC_ERR_ARG, "feature counts %d..%d invalid", prm->n_lo, prm->n_hi);
    int pu = 0;
    for (int j = 0; j < p; j++)
        pu += !usable || usable[j];
    if (pu == 0)
        return ERR(e, SARC_ERR_ARG, "no usable feature column");
    const int nfold = prm->split > 0 ? 1 : prm->folds;
    const int nrep = prm->repeats, ntask = nrep * nfold;
    /* candidate n values, clipped to the usable features */
    int lo = prm->n_lo, hi = prm->n_hi;
    if (hi > pu)
        hi = pu;
    if (lo > hi)
        lo = hi;
    const int nn = hi - lo + 1;
    int rc = 0;
    struct run_ctx c;
    memset(&c, 0, sizeof c);
    int *cols = malloc(sizeof *cols * (size_t)pu);
    c.ns = malloc(sizeof *c.ns * (size_t)nn);
    c.fold = malloc(sizeof *c.fold * (size_t)nrep * n);
    c.tasks = calloc((size_t)ntask, sizeof *c.tasks);
    int *yb = malloc(sizeof *yb * (size_t)n);
    double *aucs = malloc(sizeof *aucs * (size_t)ntask), *tprs = malloc(sizeof *tprs * (size_t)ntask * CV_GRID);
    r->auc = malloc(sizeof *r->auc * (size_t)ntask);
    r->n_used = malloc(sizeof *r->n_used * (size_t)ntask);
    r->search_auc = malloc(sizeof *r->search_auc * (size_t)nn);
    if (!cols || !c.ns || !c.fold || !c.tasks || !yb || !aucs || !tprs || !r->auc || !r->n_used || !r->search_auc) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int j = 0, k = 0; j < p; j++)
        if (!usable || usable[j])
            cols[k++] = j;
    for (int k = 0; k < nn; k++)
        c.ns[k] = lo + k;
    for (int rep = 0; rep < nrep && !rc; rep++) {
        if (prm->split > 0)
            rc = stratified_split(y, n, prm->split, prm->seed, (uint64_t)rep, c.fold + (size_t)rep * n, e);
        else
            rc = stratified_kfold(y, n, prm->folds, prm->shuffle, prm->seed, (uint64_t)rep, c.fold + (size_t)rep * n, e);
    }
    if (rc)
        goto done;
    const int per = prm->nested ? 1 : nn;
    for (int t = 0; t < ntask; t++) {
        c.tasks[t].tr = malloc(sizeof(int) * (size_t)n);
        c.tasks[t].te = malloc(sizeof(int) * (size_t)n);
        c.tasks[t].scores = malloc(sizeof(double) * (size_t)per * n);
        if (!c.tasks[t].tr || !c.tasks[t].te || !c.tasks[t].scores) {
            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    c.ev.x = x;
    c.ev.y = y;
    c.ev.p = p;
    c.ev.pu = pu;
    c.ev.cols = cols;
    c.ev.prm = prm;
    c.prm = prm;
    c.n = n;
    c.nfold = nfold;
    c.nn = nn;
    struct progress prog;
    progress_begin(&prog, "classify", ntask, "folds");
    c.prog = &prog;
    pool_for(pool_default(), ntask, 1, task_run, &c);
    progress_end(&prog);
    for (int t = 0; t < ntask; t++)
        if (c.tasks[t].rc) {
            *e = c.tasks[t].err;
            err_prefix(e, "repeat %d, fold %d", t / nfold + 1, t % nfold + 1);
            rc = c.tasks[t].rc;
            goto done;
        }
    /* choose n: fixed, best mean AUC of the search (first maximum), or per fold (nested) */
    int bestk = 0;
    if (!prm->nested) {
        double bv = -1;
        for (int k = 0; k < nn; k++) {
            double s = 0;
            int m = 0;
            for (int t = 0; t < ntask; t++) {
                const struct task *tk = &c.tasks[t];
                const double a = mean_auc_of(tk->scores + (size_t)k * tk->nte, y, tk->te, tk->nte, yb);
                if (!isnan(a)) {
                    s += a;
                    m++;
                }
            }
            r->search_auc[k] = m ? s / m : NAN;
            if (m && r->search_auc[k] > bv) {
                bv = r->search_auc[k];
                bestk = k;
            }
        }
        r->best_n = c.ns[bestk];
    } else {
        for (int k = 0; k < nn; k++)
            r->search_auc[k] = NAN;
        /* the most frequent n chosen (smallest on ties) */
        int bestc = -1;
        for (int k = 0; k < nn; k++) {
            int m = 0;
            for (int t = 0; t < ntask; t++)
                m += c.tasks[t].n_chosen == c.ns[k];
            if (m > bestc) {
                bestc = m;
                r->best_n = c.ns[k];
            }
        }
    }
    /* per-fold AUC and ROC at the chosen n */
    for (int g = 0; g < CV_GRID; g++)
        r->grid[g] = (double)g / (CV_GRID - 1);
    int nv = 0;
    for (int t = 0; t < ntask; t++) {
        const struct task *tk = &c.tasks[t];
        const double *sc = tk->scores + (prm->nested ? 0 : (size_t)bestk * tk->nte);
        for (int i = 0; i < tk->nte; i++)
            yb[i] = y[tk->te[i]];
        r->n_used[t] = prm->nested ? tk->n_chosen : c.ns[bestk];
        struct roc roc;
        struct sarc_err e2;
        if (roc_curve(sc, yb, tk->nte, &roc, &e2) == 0) {
            r->auc[t] = roc_area(&roc);
            roc_interp(&roc, r->grid, CV_GRID, tprs + (size_t)nv * CV_GRID);
            tprs[(size_t)nv * CV_GRID] = 0.0; /* the curve starts at (0, 0) */
            aucs[nv++] = r->auc[t];
            roc_free(&roc);
        } else
            r->auc[t] = NAN;
    }
    r->nvalid = nv;
    r->nrep = nrep;
    r->nfold = nfold;
    r->nn = nn;
    r->p_used = pu;
    if (nv == 0) {
        rc = ERR(e, SARC_ERR_ARG, "no test fold holds both classes; use fewer folds");
        goto done;
    }
    double s = 0;
    for (int k = 0; k < nv; k++)
        s += aucs[k];
    r->auc_mean = s / nv;
    double ss = 0;
    for (int k = 0; k < nv; k++)
        ss += (aucs[k] - r->auc_mean) * (aucs[k] - r->auc_mean);
    r->auc_sd = sqrt(ss / nv); /* population sd (numpy's np.std), as the scikit-learn ROC example */
    for (int g = 0; g < CV_GRID; g++) {
        double m = 0, v = 0;
        for (int k = 0; k < nv; k++)
            m += tprs[(size_t)k * CV_GRID + g];
        m /= nv;
        for (int k = 0; k < nv; k++)
            v += (tprs[(size_t)k * CV_GRID + g] - m) * (tprs[(size_t)k * CV_GRID + g] - m);
        r->mean_tpr[g] = m;
        r->sd_tpr[g] = sqrt(v / nv);
    }
    r->mean_tpr[CV_GRID - 1] = 1.0;
    /* bootstrap 95 % CI of the mean fold AUC (percentile method, keyed resamples) */
    {
        const int B = prm->bootstrap > 0 ? prm->bootstrap : 2000;
        double *bm = malloc(sizeof *bm * (size_t)B);
        if (!bm) {
            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (int b = 0; b < B; b++) {
            struct rng_cursor cur = rng_cursor_init(prm->seed, rng_stream(RNG_STATS, 0x626f6f74ull /* "boot" */, (uint64_t)b, 0));
            double sb = 0;
            for (int k = 0; k < nv; k++)
                sb += aucs[rng_next_below(&cur, (uint32_t)nv)];
            bm[b] = sb / nv;
        }
        qsort(bm, (size_t)B, sizeof *bm, cmp_dbl);
        r->ci_lo = percentile_sorted(bm, B, 2.5);
        r->ci_hi = percentile_sorted(bm, B, 97.5);
        free(bm);
    }
    struct audit_step *st = audit_step_begin("classify");
    audit_param_str(st, "model", prm->model == CV_SVM ? "svm" : "mlp");
    audit_param_int(st, "folds", nfold);
    audit_param_int(st, "repeats", nrep);
    audit_param_num(st, "split", prm->split);
    audit_param_int(st, "shuffle", prm->shuffle);
    audit_param_int(st, "n_lo", lo);
    audit_param_int(st, "n_hi", hi);
    audit_param_int(st, "nested", prm->nested);
    audit_param_int(st, "seed", (long long)prm->seed);
    audit_input_array(st, "features", x, (int64_t)n * p);
    audit_output_array(st, "fold_auc", r->auc, ntask);
    audit_value(st, "auc_mean", r->auc_mean);
    audit_value(st, "auc_sd", r->auc_sd);
    audit_value(st, "best_n", r->best_n);
    audit_step_end(st);
done:
    if (rc)
        cv_result_free(r);
    if (c.tasks)
        for (int t = 0; t < ntask; t++) {
            free(c.tasks[t].tr);
            free(c.tasks[t].te);
            free(c.tasks[t].scores);
        }
    free(c.tasks);
    free(c.fold);
    free(c.ns);
    free(cols);
    free(yb);
    free(aucs);
    free(tprs);
    return rc;
}
