/* cmd_stats.c - the statistics subcommands (issue 9): ttest, wilcoxon, mrmr, svm, mlp, roc,
 * classify. Argument parsing, reading the tables, formatting outputs (built in memory, written
 * atomically); the numerics live in stats/. Covered by test/stats/test_cmd_stats.c and the
 * conformance check tools/conformance/check_stats.py. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "io/audit.h"
#include "io/csv.h"
#include "io/file.h"
#include "stats/mlp.h"
#include "stats/roc.h"
#include "stats/scale.h"
#include "stats/svm.h"
#include "stats/table.h"
#include "stats/ttest.h"

/* A text output built in memory and written atomically. */
struct memout {
    FILE *f;
    char *buf;
    size_t len;
};

static int memout_open(struct memout *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    return m->f ? 0 : -1;
}

/* Closes the stream and writes it to path (atomically); frees the buffer. Returns 0 or 2 after
 * printing the error. */
static int memout_commit(struct memout *m, const char *path)
{
    int rc = 0;
    if (fclose(m->f) != 0) {
        rc = cmd_failf(path, "cannot build the output in memory");
    } else {
        struct sarc_err e = {0};
        if (file_write_atomic(path, m->buf, m->len, &e))
            rc = cmd_fail(path, &e);
    }
    free(m->buf);
    m->buf = NULL;
    m->f = NULL;
    return rc;
}

static void memout_discard(struct memout *m)
{
    if (m->f)
        fclose(m->f);
    free(m->buf);
    m->f = NULL;
    m->buf = NULL;
}

/* "--opt value" helper: returns the value or NULL (after printing) when it is missing. */
static const char *opt_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        cmd_failf(argv[0], "option %s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

/* ------------------------------------------------------------------ ttest / wilcoxon */

struct sort_row {
    double p;
    int j;
};
static int sort_row_cmp(const void *pa, const void *pb)
{
    const struct sort_row *a = pa, *b = pb;
    /* NaN last, then p ascending, then input order */
    const int na = isnan(a->p), nb = isnan(b->p);
    if (na != nb)
        return na - nb;
    if (!na && a->p != b->p)
        return (a->p > b->p) - (a->p < b->p);
    return (a->j > b->j) - (a->j < b->j);
}

static int cmd_paired(int argc, char **argv, int wilcoxon)
{
    const char *files[2] = {NULL, NULL}, *out = NULL, *corr = "holm-sidak";
    double alpha = 0.05;
    int sort_p = 0, nfiles = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-o") || !strcmp(a, "--out")) {
            if (!(out = opt_value(argc, argv, &i)))
                return 2;
        } else if (!strcmp(a, "--correction")) {
            if (!(corr = opt_value(argc, argv, &i)))
                return 2;
        } else if (!strcmp(a, "--alpha")) {
            const char *v = opt_value(argc, argv, &i);
            if (!v)
                return 2;
            if (opt_double(v, &alpha) || !(alpha > 0 && alpha < 1))
                return cmd_failf(argv[0], "--alpha %s: expected a number in (0, 1)", v);
        } else if (!strcmp(a, "--sort")) {
            const char *v = opt_value(argc, argv, &i);
            if (!v)
                return 2;
            if (strcmp(v, "p") && strcmp(v, "input"))
                return cmd_failf(argv[0], "--sort %s: expected p or input", v);
            sort_p = !strcmp(v, "p");
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            return cmd_usage(argv[0]);
        } else if (a[0] == '-' && a[1]) {
            return cmd_failf(argv[0], "unknown option %s", a);
        } else if (nfiles < 2) {
            files[nfiles++] = a;
        } else
            return cmd_failf(argv[0], "unexpected argument %s", a);
    }
    if (nfiles != 2 || !out) {
        cmd_usage(argv[0]);
        return cmd_failf(argv[0], "need PRE.csv POST.csv and -o OUT.csv");
    }
    struct sarc_err e = {0};
    enum mt_method meth;
    if (mt_parse(corr, &meth, &e))
        return cmd_fail("--correction", &e);
    struct ftable pre, post;
    if (ftable_read(&pre, files[0], NULL, &e))
        return cmd_fail(files[0], &e);
    if (ftable_read(&post, files[1], NULL, &e)) {
        ftable_free(&pre);
        return cmd_fail(files[1], &e);
    }
    int rc = 0, unpaired = 0;
    struct paired_row *rows = calloc((size_t)pre.p, sizeof *rows);
    struct sort_row *order = calloc((size_t)pre.p, sizeof *order);
    struct memout m = {0};
    if (!rows || !order) {
        rc = cmd_failf(argv[0], "out of memory");
        goto done;
    }
    if (paired_tables(&pre, &post, wilcoxon, meth, alpha, rows, &unpaired, &e)) {
        rc = cmd_fail(files[1], &e);
        goto done;
    }
    if (unpaired)
        cmd_note("%s: %d case(s) without a partner in the other table were left out", argv[0], unpaired);
    for (int j = 0; j < pre.p; j++) {
        order[j].p = rows[j].r.p;
        order[j].j = j;
    }
    if (sort_p)
        qsort(order, (size_t)pre.p, sizeof *order, sort_row_cmp);
    if (memout_open(&m)) {
        rc = cmd_failf(out, "cannot build the output in memory");
        goto done;
    }
    struct csv_writer w = {m.f, 1};
    if (wilcoxon)
        fputs("feature,n,mean_pre,mean_post,mean_diff,statistic,p,p_adj,reject,effect_r,note\n", m.f);
    else
        fputs("feature,n,mean_pre,mean_post,mean_diff,t,df,p,p_adj,reject,effect_dz,note\n", m.f);
    for (int q = 0; q < pre.p; q++) {
        const int j = order[q].j;
        const struct paired_result *r = &rows[j].r;
        csv_put(&w, pre.names[j]);
        csv_putint(&w, r->n);
        csv_putnum(&w, r->mean_a);
        csv_putnum(&w, r->mean_b);
        csv_putnum(&w, r->mean_diff);
        csv_putnum(&w, r->stat);
        if (!wilcoxon)
            csv_putnum(&w, r->df);
        csv_putnum(&w, r->p);
        csv_putnum(&w, rows[j].padj);
        csv_putint(&w, rows[j].reject);
        csv_putnum(&w, r->effect);
        csv_put(&w, r->note ? r->note : "");
        csv_endrow(&w);
    }
    rc = memout_commit(&m, out);
    if (rc)
        goto done;
    /* significance counts per feature family (the paper: "76 features significant: 11 shape, ...") */
    char fam[64][48];
    int count[64], nfam = 0, total = 0, ndeg = 0;
    for (int j = 0; j < pre.p; j++) {
        ndeg += rows[j].r.note != NULL;
        if (!rows[j].reject)
            continue;
        total++;
        char f[48];
        feature_family(pre.names[j], f, sizeof f);
        int k = 0;
        while (k < nfam && strcmp(fam[k], f))
            k++;
        if (k == nfam && nfam < 64) {
            snprintf(fam[nfam], sizeof fam[nfam], "%s", f);
            count[nfam++] = 0;
        }
        if (k < nfam)
            count[k]++;
    }
    printf("significant (%s, alpha %g): %d of %d features", mt_name(meth), alpha, total, pre.p);
    for (int k = 0; k < nfam; k++)
        printf("%s %d %s", k ? "," : ":", count[k], fam[k]);
    printf("\n");
    if (ndeg) {
        printf("degenerate (not tested, see the note column): %d feature(s):", ndeg);
        for (int j = 0, shown = 0; j < pre.p; j++)
            if (rows[j].r.note && shown++ < 10)
                printf(" %s (%s)", pre.names[j], rows[j].r.note);
        printf("%s\n", ndeg > 10 ? " ..." : "");
    }
done:
    memout_discard(&m);
    free(rows);
    free(order);
    ftable_free(&pre);
    ftable_free(&post);
    return rc;
}

const char cmd_ttest_usage[] =
    "Usage: sarc ttest PRE.csv POST.csv [--correction holm-sidak|bonferroni|sidak|holm|bh|by] [--alpha 0.05]\n"
    "                  [--sort p|input] -o OUT.csv\n"
    "  Paired t-test per feature column (cases paired by the id in the first column; unpaired cases\n"
    "  are reported and left out), two-sided p, corrected over the features (default holm-sidak as\n"
    "  statsmodels' multipletests). OUT.csv: feature,n,mean_pre,mean_post,mean_diff,t,df,p,p_adj,\n"
    "  reject,effect_dz,note (rows in input order unless --sort p; note says why a feature could not\n"
    "  be tested). Prints the significant counts per feature family.\n";

int cmd_ttest(int argc, char **argv) { return cmd_paired(argc, argv, 0); }

const char cmd_wilcoxon_usage[] =
    "Usage: sarc wilcoxon PRE.csv POST.csv [--correction holm-sidak|bonferroni|sidak|holm|bh|by] [--alpha 0.05]\n"
    "                     [--sort p|input] -o OUT.csv\n"
    "  Paired Wilcoxon signed-rank test per feature (as scipy.stats.wilcoxon: zero differences\n"
    "  dropped, exact p for n <= 50 without ties, else normal approximation). OUT.csv: feature,n,\n"
    "  mean_pre,mean_post,mean_diff,statistic,p,p_adj,reject,effect_r,note.\n";

int cmd_wilcoxon(int argc, char **argv) { return cmd_paired(argc, argv, 1); }

/* ------------------------------------------------------------------ roc */

const char cmd_roc_usage[] =
    "Usage: sarc roc SCORES.csv --label COL --score COL [-o CURVE.csv]\n"
    "  Prints auc=<value> (scikit-learn's roc_auc_score, ties count one half). CURVE.csv: fpr,tpr,\n"
    "  threshold as roc_curve(drop_intermediate=False), first threshold inf.\n";

int cmd_roc(int argc, char **argv)
{
    const char *in = NULL, *label = NULL, *score = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-o") || !strcmp(a, "--out")) {
            if (!(out = opt_value(argc, argv, &i)))
                return 2;
        } else if (!strcmp(a, "--label")) {
            if (!(label = opt_value(argc, argv, &i)))
                return 2;
        } else if (!strcmp(a, "--score")) {
            if (!(score = opt_value(argc, argv, &i)))
                return 2;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            return cmd_usage(argv[0]);
        } else if (a[0] == '-' && a[1]) {
            return cmd_failf(argv[0], "unknown option %s", a);
        } else if (!in)
            in = a;
        else
            return cmd_failf(argv[0], "unexpected argument %s", a);
    }
    if (!in || !label || !score) {
        cmd_usage(argv[0]);
        return cmd_failf(argv[0], "need SCORES.csv, --label COL and --score COL");
    }
    struct sarc_err e = {0};
    struct csv t;
    if (csv_read(&t, in, &e))
        return cmd_fail(in, &e);
    int rc = 0;
    const int cl = csv_col(&t, label), cs = csv_col(&t, score);
    double *s = malloc(sizeof *s * (size_t)(t.nrows ? t.nrows : 1));
    int *y = malloc(sizeof *y * (size_t)(t.nrows ? t.nrows : 1));
    struct roc r = {0};
    struct memout m = {0};
    if (!s || !y) {
        rc = cmd_failf(in, "out of memory");
        goto done;
    }
    if (cl < 0 || cs < 0) {
        rc = cmd_failf(in, "no column \"%s\"", cl < 0 ? label : score);
        goto done;
    }
    for (int i = 0; i < t.nrows; i++) {
        double v;
        if (csv_num(&t, i, cl, &v, &e) || csv_num(&t, i, cs, &s[i], &e)) {
            err_prefix(&e, "row %d", i + 2);
            rc = cmd_fail(in, &e);
            goto done;
        }
        if (v != 0 && v != 1) {
            rc = cmd_failf(in, "row %d: label \"%s\" = %s, expected 0 or 1", i + 2, label, csv_cell(&t, i, cl));
            goto done;
        }
        if (isnan(s[i])) {
            rc = cmd_failf(in, "row %d: score \"%s\" is missing", i + 2, score);
            goto done;
        }
        y[i] = (int)v;
    }
    struct audit_step *st = audit_step_begin("roc");
    audit_input_file(st, "scores", in);
    if (roc_curve(s, y, t.nrows, &r, &e)) {
        audit_step_end(st);
        rc = cmd_fail(in, &e);
        goto done;
    }
    const double auc = roc_area(&r);
    audit_value(st, "auc", auc);
    audit_param_int(st, "n", t.nrows);
    audit_step_end(st);
    char b[64];
    num_format(b, sizeof b, auc);
    printf("auc=%s\n", b);
    if (out) {
        if (memout_open(&m)) {
            rc = cmd_failf(out, "cannot build the output in memory");
            goto done;
        }
        struct csv_writer w = {m.f, 1};
        fputs("fpr,tpr,threshold\n", m.f);
        for (int k = 0; k < r.n; k++) {
            csv_putnum(&w, r.fpr[k]);
            csv_putnum(&w, r.tpr[k]);
            csv_putnum(&w, r.thr[k]);
            csv_endrow(&w);
        }
        rc = memout_commit(&m, out);
    }
done:
    memout_discard(&m);
    roc_free(&r);
    free(s);
    free(y);
    csv_free(&t);
    return rc;
}

/* ------------------------------------------------------------------ not yet */

const char cmd_mrmr_usage[] = "Usage: sarc mrmr FEATURES.csv --label COL [--method MID|MIQ] [--top N] [--discretize T|none] -o RANK.csv\n";

int cmd_mrmr(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (statistics (issue 9))");
}

/* ------------------------------------------------------------------ svm / mlp */

/* Test features aligned to the training feature order by name (the test table may lack the label
 * column). Fails naming the missing feature. out (n_test, p_train) owned by the caller. */
static int align_test(const struct ftable *tr, const struct ftable *te, double **out, struct sarc_err *e)
{
    size_t nx;
    if (size_mul((size_t)te->n, (size_t)tr->p, &nx))
        return ERR(e, SARC_ERR_RANGE, "test table too large");
    double *x = malloc(sizeof *x * (nx ? nx : 1));
    if (!x)
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    for (int j = 0; j < tr->p; j++) {
        int c = -1;
        for (int k = 0; k < te->p && c < 0; k++)
            if (!strcmp(tr->names[j], te->names[k]))
                c = k;
        if (c < 0) {
            free(x);
            return ERR(e, SARC_ERR_FORMAT, "feature \"%s\" of the training table is missing", tr->names[j]);
        }
        for (int i = 0; i < te->n; i++)
            x[(size_t)i * tr->p + j] = te->x[(size_t)i * te->p + c];
    }
    *out = x;
    return 0;
}

/* The first missing value of x (n, p) as an error naming case and feature, or 0. */
static int check_complete(const struct ftable *t, const double *x, int n, int p, struct sarc_err *e)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < p; j++)
            if (!isfinite(x[(size_t)i * p + j]))
                return ERR(e, SARC_ERR_FORMAT, "case \"%s\", feature \"%s\" is missing or not finite (impute or drop it first)",
                           t->ids[i], t->names[j]);
    return 0;
}

static int cmd_train_predict(int argc, char **argv, int is_mlp)
{
    const char *trf = NULL, *tef = NULL, *label = NULL, *out = NULL;
    int scale = 0, prob = 1;
    struct svm_param sp;
    svm_param_default(&sp);
    struct mlp_param mp;
    mlp_param_default(&mp);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return cmd_usage(argv[0]);
        if (!strcmp(a, "--scale")) {
            scale = 1;
            continue;
        }
        if (!strcmp(a, "--no-probability") && !is_mlp) {
            prob = 0;
            continue;
        }
        if (!strcmp(a, "--early-stopping") && is_mlp) {
            mp.early_stopping = 1;
            continue;
        }
        if (a[0] != '-')
            return cmd_failf(argv[0], "unexpected argument %s", a);
        if (!(v = opt_value(argc, argv, &i)))
            return 2;
        double d;
        long long ll;
        if (!strcmp(a, "--train"))
            trf = v;
        else if (!strcmp(a, "--test"))
            tef = v;
        else if (!strcmp(a, "--label"))
            label = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--out"))
            out = v;
        else if (!is_mlp && !strcmp(a, "--kernel")) {
            if (!strcmp(v, "rbf"))
                sp.kernel = SVM_RBF;
            else if (!strcmp(v, "linear"))
                sp.kernel = SVM_LINEAR;
            else
                return cmd_failf(argv[0], "--kernel %s: expected rbf or linear", v);
        } else if (!is_mlp && (!strcmp(a, "--C") || !strcmp(a, "--gamma") || !strcmp(a, "--tol"))) {
            if (opt_double(v, &d) || !(d > 0) || isinf(d))
                return cmd_failf(argv[0], "%s %s: expected a positive number", a, v);
            if (!strcmp(a, "--C"))
                sp.C = d;
            else if (!strcmp(a, "--gamma"))
                sp.gamma = d;
            else
                sp.tol = d;
        } else if (is_mlp && (!strcmp(a, "--alpha") || !strcmp(a, "--lr"))) {
            if (opt_double(v, &d) || !(d >= 0) || isinf(d))
                return cmd_failf(argv[0], "%s %s: expected a non-negative number", a, v);
            if (!strcmp(a, "--alpha"))
                mp.alpha = d;
            else
                mp.lr = d;
        } else if (is_mlp && !strcmp(a, "--epochs")) {
            if (opt_int(v, 1, 100000, &ll))
                return cmd_failf(argv[0], "--epochs %s: expected 1..100000", v);
            mp.epochs = (int)ll;
        } else if (is_mlp && !strcmp(a, "--solver")) {
            if (!strcmp(v, "adam"))
                mp.solver = MLP_ADAM;
            else if (!strcmp(v, "sgd"))
                mp.solver = MLP_SGD;
            else
                return cmd_failf(argv[0], "--solver %s: expected adam or sgd", v);
        } else if (is_mlp && !strcmp(a, "--hidden")) {
            if (mlp_parse_hidden(v, &mp))
                return cmd_failf(argv[0], "--hidden %s: expected 1 to %d comma-separated sizes 1..4096", v, MLP_MAX_LAYERS);
        } else
            return cmd_failf(argv[0], "unknown option %s", a);
    }
    if (!trf || !tef || !label || !out) {
        cmd_usage(argv[0]);
        return cmd_failf(argv[0], "need --train, --test, --label and -o");
    }
    sp.seed = mp.seed = g_opts.seed;
    sp.probability = prob;
    struct sarc_err e = {0};
    struct ftable tr, te;
    if (ftable_read(&tr, trf, label, &e))
        return cmd_fail(trf, &e);
    /* the test table may carry the label column: align_test picks the training features by name */
    if (ftable_read(&te, tef, NULL, &e)) {
        ftable_free(&tr);
        return cmd_fail(tef, &e);
    }
    int rc = 0;
    double *xte = NULL, *xtr = NULL, *mean = NULL, *sd = NULL;
    struct svm_model sm = {0};
    struct mlp_model mm = {0};
    struct memout m = {0};
    if (align_test(&tr, &te, &xte, &e)) {
        rc = cmd_fail(tef, &e);
        goto done;
    }
    if (check_complete(&tr, tr.x, tr.n, tr.p, &e)) {
        rc = cmd_fail(trf, &e);
        goto done;
    }
    {
        struct ftable view = te;
        view.names = tr.names;
        if (check_complete(&view, xte, te.n, tr.p, &e)) {
            rc = cmd_fail(tef, &e);
            goto done;
        }
    }
    xtr = tr.x;
    if (scale) {
        mean = malloc(sizeof *mean * (size_t)tr.p);
        sd = malloc(sizeof *sd * (size_t)tr.p);
        xtr = malloc(sizeof *xtr * (size_t)tr.n * (size_t)tr.p);
        if (!mean || !sd || !xtr) {
            if (xtr == tr.x)
                xtr = NULL;
            rc = cmd_failf(argv[0], "out of memory");
            goto done;
        }
        zscore_fit(tr.x, tr.p, NULL, tr.n, mean, sd);
        zscore_apply(tr.x, tr.p, NULL, tr.n, mean, sd, xtr);
        zscore_apply(xte, tr.p, NULL, te.n, mean, sd, xte);
    }
    struct audit_step *st = audit_step_begin(is_mlp ? "mlp" : "svm");
    audit_input_file(st, "train", trf);
    audit_input_file(st, "test", tef);
    audit_param_int(st, "scale", scale);
    audit_param_int(st, "seed", (long long)g_opts.seed);
    if (is_mlp) {
        audit_param_str(st, "solver", mp.solver == MLP_ADAM ? "adam" : "sgd");
        audit_param_num(st, "alpha", mp.alpha);
        audit_param_num(st, "lr", mp.lr);
        audit_param_int(st, "epochs", mp.epochs);
        rc = mlp_train(xtr, tr.y, tr.n, tr.p, &mp, &mm, &e);
    } else {
        audit_param_str(st, "kernel", sp.kernel == SVM_RBF ? "rbf" : "linear");
        audit_param_num(st, "C", sp.C);
        audit_param_num(st, "gamma", sp.gamma);
        audit_param_num(st, "tol", sp.tol);
        rc = svm_train(xtr, tr.y, tr.n, tr.p, &sp, &sm, &e);
        if (!rc) {
            audit_value(st, "support_vectors", sm.nsv);
            audit_value(st, "iterations", (double)sm.iterations);
            if (sm.hit_max_iter)
                cmd_note("svm: the solver stopped at its iteration limit; the solution may be inaccurate");
        }
    }
    if (rc) {
        audit_step_end(st);
        rc = cmd_fail(trf, &e);
        goto done;
    }
    if (memout_open(&m)) {
        audit_step_end(st);
        rc = cmd_failf(out, "cannot build the output in memory");
        goto done;
    }
    struct csv_writer w = {m.f, 1};
    fputs(is_mlp ? "id,probability,predicted\n" : "id,decision,probability,predicted\n", m.f);
    double *scores = malloc(sizeof *scores * (size_t)(te.n ? te.n : 1));
    for (int i = 0; i < te.n; i++) {
        const double *xi = xte + (size_t)i * tr.p;
        csv_put(&w, te.ids[i]);
        if (is_mlp) {
            const double pr = mlp_predict(&mm, xi);
            if (scores)
                scores[i] = pr;
            csv_putnum(&w, pr);
            csv_putint(&w, pr > 0.5);
        } else {
            const double d = svm_decision(&sm, xi);
            if (scores)
                scores[i] = d;
            csv_putnum(&w, d);
            csv_putnum(&w, svm_probability(&sm, d));
            csv_putint(&w, d > 0);
        }
        csv_endrow(&w);
    }
    if (scores)
        audit_output_array(st, is_mlp ? "probability" : "decision", scores, te.n);
    free(scores);
    audit_step_end(st);
    rc = memout_commit(&m, out);
done:
    memout_discard(&m);
    svm_free(&sm);
    mlp_free(&mm);
    if (xtr != tr.x)
        free(xtr);
    free(xte);
    free(mean);
    free(sd);
    ftable_free(&tr);
    ftable_free(&te);
    return rc;
}

const char cmd_svm_usage[] =
    "Usage: sarc svm --train TRAIN.csv --test TEST.csv --label COL [--kernel rbf|linear] [--C 5] [--gamma 0.01]\n"
    "                [--tol 1e-3] [--scale] [--no-probability] [--seed S] -o PRED.csv\n"
    "  C-SVC (SMO with libsvm's WSS3). Labels 0/1 in COL (excluded from the features; the test table\n"
    "  may omit it). Features used as given unless --scale (z-score with training statistics).\n"
    "  PRED.csv: id,decision,probability,predicted; decision as scikit-learn's decision_function\n"
    "  (positive = class 1), probability Platt's, fitted on an internal seeded 5-fold CV.\n";

int cmd_svm(int argc, char **argv) { return cmd_train_predict(argc, argv, 0); }

const char cmd_mlp_usage[] =
    "Usage: sarc mlp --train TRAIN.csv --test TEST.csv --label COL [--hidden 50,25] [--solver adam|sgd]\n"
    "                [--alpha 1e-4] [--lr 1e-3] [--epochs 200] [--early-stopping] [--scale] [--seed S] -o PRED.csv\n"
    "  Multi-layer perceptron: ReLU hidden layers, logistic output, L2 penalty alpha, minibatches of\n"
    "  min(200, n), seeded initialisation and order. PRED.csv: id,probability,predicted.\n";

int cmd_mlp(int argc, char **argv) { return cmd_train_predict(argc, argv, 1); }

const char cmd_classify_usage[] = "Usage: sarc classify FEATURES.csv --label COL --model svm|mlp [--folds 5] [--repeats 5] [--top N|--search 2:200] -o DIR\n";

int cmd_classify(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (statistics (issue 9))");
}
