/* cmd_stats.c - the statistics subcommands (issue 9): ttest, wilcoxon, mrmr, svm, mlp, roc,
 * classify. Argument parsing, reading the tables, formatting outputs (built in memory, written
 * atomically); the numerics live in stats/. Covered by the CLI cases in test/stats/ (test_ttest.c,
 * test_roc.c, test_mrmr.c, test_mlp.c (svm and mlp), test_classify.c, test_shared_stats.c) and the
 * conformance check tools/conformance/check_stats.py. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "io/audit.h"
#include "io/csv.h"
#include "io/file.h"
#include "stats/corr.h"
#include "stats/cv.h"
#include "stats/mlp.h"
#include "stats/mrmr.h"
#include "stats/roc.h"
#include "stats/scale.h"
#include "stats/svm.h"
#include "stats/table.h"
#include "stats/ttest.h"
#include "vendor/json.h"

/* A text output built in memory and written atomically. */
struct memout {
    FILE *f;
    char *buf;
    size_t len;
};

/* Opens m as an empty in-memory stream; 0 or -1 (out of memory). */
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
        else {
            struct audit_step *st = audit_step_begin("write");
            audit_output_file(st, "table", path);
            audit_step_end(st);
        }
    }
    free(m->buf);
    m->buf = NULL;
    m->f = NULL;
    return rc;
}

/* memout_open for the file name in folder dir (path, of size bytes, receives dir/name). Returns 0,
 * or 2 after printing; the caller discards m either way on failure. */
static int memout_open_in(struct memout *m, char *path, size_t size, const char *dir, const char *name)
{
    if (memout_open(m) || path_join(path, size, dir, name))
        return cmd_failf(dir, "cannot build the outputs");
    return 0;
}

/* Drops whatever m holds (safe on a zeroed or committed memout). */
static void memout_discard(struct memout *m)
{
    if (m->f)
        fclose(m->f);
    free(m->buf);
    m->f = NULL;
    m->buf = NULL;
}

/* "--method MID|MIQ" (either case) into *m; returns 0, or 2 after printing. */
static int opt_mrmr_method(const char *cmd, const char *v, enum mrmr_method *m)
{
    if (!strcmp(v, "MID") || !strcmp(v, "mid"))
        *m = MRMR_MID;
    else if (!strcmp(v, "MIQ") || !strcmp(v, "miq"))
        *m = MRMR_MIQ;
    else
        return cmd_failf(cmd, "--method %s: expected MID or MIQ", v);
    return 0;
}

/* The model options shared by svm, mlp and classify: --kernel, --C, --gamma, --tol into *sp and
 * --solver, --epochs, --hidden into *mp (a NULL target leaves its options unrecognised). Returns 0
 * when option a (with value v) was taken, 1 when it is not one of these, 2 after printing a bad
 * value. */
static int opt_model(const char *cmd, const char *a, const char *v, struct svm_param *sp, struct mlp_param *mp)
{
    double d;
    long long ll;
    if (sp && !strcmp(a, "--kernel")) {
        if (!strcmp(v, "rbf"))
            sp->kernel = SVM_RBF;
        else if (!strcmp(v, "linear"))
            sp->kernel = SVM_LINEAR;
        else
            return cmd_failf(cmd, "--kernel %s: expected rbf or linear", v);
    } else if (sp && (!strcmp(a, "--C") || !strcmp(a, "--gamma") || !strcmp(a, "--tol"))) {
        if (opt_double(v, &d) || !(d > 0) || isinf(d))
            return cmd_failf(cmd, "%s %s: expected a positive number", a, v);
        if (!strcmp(a, "--C"))
            sp->C = d;
        else if (!strcmp(a, "--gamma"))
            sp->gamma = d;
        else
            sp->tol = d;
    } else if (mp && !strcmp(a, "--epochs")) {
        if (opt_int(v, 1, 100000, &ll))
            return cmd_failf(cmd, "--epochs %s: expected 1..100000", v);
        mp->epochs = (int)ll;
    } else if (mp && !strcmp(a, "--solver")) {
        if (!strcmp(v, "adam"))
            mp->solver = MLP_ADAM;
        else if (!strcmp(v, "sgd"))
            mp->solver = MLP_SGD;
        else
            return cmd_failf(cmd, "--solver %s: expected adam or sgd", v);
    } else if (mp && !strcmp(a, "--hidden")) {
        if (mlp_parse_hidden(v, mp))
            return cmd_failf(cmd, "--hidden %s: expected 1 to %d comma-separated sizes 1..4096", v, MLP_MAX_LAYERS);
    } else
        return 1;
    return 0;
}

/* The option names opt_model takes: the first MODEL_NSVM are the SVM ones, the rest the MLP ones. */
#define MODEL_NOPT 7
#define MODEL_NSVM 4
static const char *const model_opt_names[MODEL_NOPT] = {"--kernel", "--C",      "--gamma", "--tol",
                                                        "--epochs", "--solver", "--hidden"};

/* Appends to table t (at *n) the model options for the non-zero targets, each storing its value in
 * vals[k] (vals[MODEL_NOPT], all NULL on entry). */
static void model_opts_add(struct cmd_opt *t, int *n, const char **vals, int svm, int mlp)
{
    for (int k = 0; k < MODEL_NOPT; k++)
        if (k < MODEL_NSVM ? svm : mlp)
            t[(*n)++] = (struct cmd_opt){model_opt_names[k], &vals[k], NULL};
}

/* Applies the model option values collected by model_opts_add through opt_model. Returns 0, or 2
 * after printing a bad value. */
static int model_opts_apply(const char *cmd, const char **vals, struct svm_param *sp, struct mlp_param *mp)
{
    for (int k = 0; k < MODEL_NOPT; k++) {
        if (vals[k] && opt_model(cmd, model_opt_names[k], vals[k], sp, mp))
            return 2;
    }
    return 0;
}

/* ------------------------------------------------------------------ ttest / wilcoxon */

struct sort_row {
    double p;
    int j;
};
/* qsort order for --sort p: NaN last, then p ascending, ties in input order. */
static int sort_row_cmp(const void *pa, const void *pb)
{
    const struct sort_row *a = pa, *b = pb;
    const int na = isnan(a->p), nb = isnan(b->p);
    if (na != nb)
        return na - nb;
    if (!na && a->p != b->p)
        return (a->p > b->p) - (a->p < b->p);
    return (a->j > b->j) - (a->j < b->j);
}

/* `sarc ttest` (wilcoxon = 0) and `sarc wilcoxon` (1): parses the options, pairs PRE and POST by
 * id, tests and corrects every feature (stats/ttest.h), writes OUT.csv atomically and prints the
 * significant counts per feature family. Returns 0, or 2 after printing the error. */
static int cmd_paired(int argc, char **argv, int wilcoxon)
{
    const char *files[2] = {NULL, NULL}, *out = NULL, *corr = "holm-sidak", *alpha_s = NULL, *sort_s = NULL;
    double alpha = 0.05;
    int sort_p = 0;
    const struct cmd_opt opts[] = {{"-o", &out, NULL},          {"--out", &out, NULL},      {"--correction", &corr, NULL},
                                   {"--alpha", &alpha_s, NULL}, {"--sort", &sort_s, NULL}, {NULL, NULL, NULL}};
    const int nfiles = cmd_parse(argc, argv, opts, files, 2);
    if (nfiles < 0)
        return 2;
    if (alpha_s && (opt_double(alpha_s, &alpha) || !(alpha > 0 && alpha < 1)))
        return cmd_failf(argv[0], "--alpha %s: expected a number in (0, 1)", alpha_s);
    if (sort_s && strcmp(sort_s, "p") && strcmp(sort_s, "input"))
        return cmd_failf(argv[0], "--sort %s: expected p or input", sort_s);
    sort_p = sort_s && !strcmp(sort_s, "p");
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
    if (paired_tables_files(&pre, &post, files[0], files[1], wilcoxon, meth, alpha, rows, &unpaired, &e)) {
        rc = cmd_fail(files[1], &e);
        goto done;
    }
    if (unpaired)
        cmd_note("%s: %d case(s) without a partner in the other table were left out", argv[0], unpaired);
    {
        int extra = 0;
        for (int k = 0; k < post.p; k++) {
            int found = 0;
            for (int j = 0; j < pre.p && !found; j++)
                found = !strcmp(post.names[k], pre.names[j]);
            extra += !found;
        }
        if (extra)
            cmd_note("%s: %d feature column(s) of %s are not in %s and were ignored", argv[0], extra, files[1], files[0]);
    }
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
        char note[96];
        if (r->note)
            snprintf(note, sizeof note, "%s", r->note);
        else if (r->n_missing)
            snprintf(note, sizeof note, "%d pair(s) with a missing value left out", r->n_missing);
        else
            note[0] = 0;
        csv_put(&w, note);
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
    "  dropped; exact p for n <= 50 without ties or zeros, exact sign-flip permutation p for n <= 13\n"
    "  with them, else the normal approximation). OUT.csv: feature,n,\n"
    "  mean_pre,mean_post,mean_diff,statistic,p,p_adj,reject,effect_r,note.\n";

int cmd_wilcoxon(int argc, char **argv) { return cmd_paired(argc, argv, 1); }

/* ------------------------------------------------------------------ roc */

const char cmd_roc_usage[] =
    "Usage: sarc roc SCORES.csv --label COL --score COL [-o CURVE.csv]\n"
    "  Prints auc=<value> (scikit-learn's roc_auc_score, ties count one half) and\n"
    "  auc_ci95_delong=<lo>,<hi> (DeLong's variance, normal approximation). CURVE.csv: fpr,tpr,\n"
    "  threshold as roc_curve(drop_intermediate=False), first threshold inf.\n";

int cmd_roc(int argc, char **argv)
{
    const char *in = NULL, *label = NULL, *score = NULL, *out = NULL;
    const struct cmd_opt opts[] = {{"-o", &out, NULL},          {"--out", &out, NULL},
                                   {"--label", &label, NULL},   {"--score", &score, NULL},
                                   {NULL, NULL, NULL}};
    if (cmd_parse(argc, argv, opts, &in, 1) < 0)
        return 2;
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
    char b[64], lo[64], hi[64];
    num_format(b, sizeof b, auc);
    printf("auc=%s\n", b);
    double dauc, dvar;
    if (roc_delong(s, y, t.nrows, &dauc, &dvar, &e) == 0) {
        const double h = 1.959963984540054 * sqrt(dvar);
        num_format(lo, sizeof lo, fmax(0, auc - h));
        num_format(hi, sizeof hi, fmin(1, auc + h));
        printf("auc_ci95_delong=%s,%s\n", lo, hi);
    }
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

/* `sarc svm` (is_mlp = 0) and `sarc mlp` (1): trains on --train, predicts the --test rows
 * (features aligned by name, optionally z-scored with the training statistics) and writes
 * PRED.csv atomically. Returns 0, or 2 after printing the error. */
static int cmd_train_predict(int argc, char **argv, int is_mlp)
{
    const char *trf = NULL, *tef = NULL, *label = NULL, *out = NULL;
    int scale = 0, prob = 1;
    struct svm_param sp;
    svm_param_default(&sp);
    struct mlp_param mp;
    mlp_param_default(&mp);
    const char *mvals[MODEL_NOPT] = {NULL}, *alpha_s = NULL, *lr_s = NULL;
    int noprob = 0, n = 0;
    struct cmd_opt opts[24];
    opts[n++] = (struct cmd_opt){"--train", &trf, NULL};
    opts[n++] = (struct cmd_opt){"--test", &tef, NULL};
    opts[n++] = (struct cmd_opt){"--label", &label, NULL};
    opts[n++] = (struct cmd_opt){"-o", &out, NULL};
    opts[n++] = (struct cmd_opt){"--out", &out, NULL};
    opts[n++] = (struct cmd_opt){"--scale", NULL, &scale};
    if (is_mlp) {
        opts[n++] = (struct cmd_opt){"--early-stopping", NULL, &mp.early_stopping};
        opts[n++] = (struct cmd_opt){"--alpha", &alpha_s, NULL};
        opts[n++] = (struct cmd_opt){"--lr", &lr_s, NULL};
    } else
        opts[n++] = (struct cmd_opt){"--no-probability", NULL, &noprob};
    model_opts_add(opts, &n, mvals, !is_mlp, is_mlp);
    opts[n] = (struct cmd_opt){NULL, NULL, NULL};
    if (cmd_parse(argc, argv, opts, NULL, 0) < 0)
        return 2;
    prob = !noprob;
    const char *nn_names[2] = {"--alpha", "--lr"}, *nn_vals[2] = {alpha_s, lr_s};
    double *nn_dst[2] = {&mp.alpha, &mp.lr};
    for (int k = 0; k < 2; k++)
        if (nn_vals[k] && (opt_double(nn_vals[k], nn_dst[k]) || !(*nn_dst[k] >= 0) || isinf(*nn_dst[k])))
            return cmd_failf(argv[0], "%s %s: expected a non-negative number", nn_names[k], nn_vals[k]);
    if (model_opts_apply(argv[0], mvals, is_mlp ? NULL : &sp, is_mlp ? &mp : NULL))
        return 2;
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

/* ------------------------------------------------------------------ mrmr / classify */

/* Marks usable columns (1) and gives a reason for the others: missing values or constant. */
static int degenerate_columns(const struct ftable *t, int *usable, const char **why)
{
    int nbad = 0;
    for (int j = 0; j < t->p; j++) {
        usable[j] = 1;
        why[j] = NULL;
        int nan = 0, constant = 1;
        for (int i = 0; i < t->n; i++) {
            const double v = t->x[(size_t)i * t->p + j];
            if (!isfinite(v))
                nan = 1;
            else if (v != t->x[j])
                constant = 0;
        }
        if (nan)
            why[j] = "missing values";
        else if (constant)
            why[j] = "constant column";
        if (why[j]) {
            usable[j] = 0;
            nbad++;
        }
    }
    return nbad;
}

static void note_degenerate(const char *cmd, const struct ftable *t, const int *usable, const char **why, int nbad)
{
    if (!nbad)
        return;
    char buf[1024];
    int len = 0;
    for (int j = 0, shown = 0; j < t->p && len < (int)sizeof buf - 1; j++)
        if (!usable[j] && shown++ < 8)
            len += snprintf(buf + len, sizeof buf - (size_t)len, "%s%s (%s)", shown > 1 ? ", " : "", t->names[j], why[j]);
    cmd_note("%s: %d feature column(s) left out: %s%s", cmd, nbad, buf, nbad > 8 ? ", ..." : "");
}

const char cmd_mrmr_usage[] =
    "Usage: sarc mrmr FEATURES.csv --label COL [--method MID|MIQ] [--top N] [--discretize T|none] -o RANK.csv\n"
    "  mRMR ranking as Peng's program / pymrmr: features discretised to 3 states at mean +- T*sd\n"
    "  (T = 1 by default; 'none' rounds the values to integers), mutual information in bits.\n"
    "  RANK.csv: rank,feature,score,note (score: MI with the label for rank 1, then MID or MIQ);\n"
    "  constant columns and columns with missing values are listed last with no rank and a note.\n";

int cmd_mrmr(int argc, char **argv)
{
    const char *in = NULL, *label = NULL, *out = NULL;
    enum mrmr_method meth = MRMR_MID;
    long long top = 0;
    double t = 1.0;
    int none = 0;
    const char *meth_s = NULL, *top_s = NULL, *disc_s = NULL;
    const struct cmd_opt opts[] = {{"--label", &label, NULL},    {"-o", &out, NULL},          {"--out", &out, NULL},
                                   {"--method", &meth_s, NULL},  {"--top", &top_s, NULL},     {"--discretize", &disc_s, NULL},
                                   {NULL, NULL, NULL}};
    if (cmd_parse(argc, argv, opts, &in, 1) < 0)
        return 2;
    if (meth_s && opt_mrmr_method(argv[0], meth_s, &meth))
        return 2;
    if (top_s && opt_int(top_s, 1, 1000000, &top))
        return cmd_failf(argv[0], "--top %s: expected a positive integer", top_s);
    if (disc_s && !strcmp(disc_s, "none"))
        none = 1;
    else if (disc_s && (opt_double(disc_s, &t) || !(t > 0) || isinf(t)))
        return cmd_failf(argv[0], "--discretize %s: expected a positive number or none", disc_s);
    if (!in || !label || !out) {
        cmd_usage(argv[0]);
        return cmd_failf(argv[0], "need FEATURES.csv, --label COL and -o RANK.csv");
    }
    struct sarc_err e = {0};
    struct ftable tb;
    if (ftable_read(&tb, in, label, &e))
        return cmd_fail(in, &e);
    int rc = 0;
    int *usable = malloc(sizeof *usable * (size_t)tb.p), *st = malloc(sizeof *st * (size_t)tb.n * tb.p);
    const char **why = malloc(sizeof *why * (size_t)tb.p);
    int *order = malloc(sizeof *order * (size_t)tb.p);
    double *score = malloc(sizeof *score * (size_t)tb.p);
    struct memout m = {0};
    if (!usable || !st || !why || !order || !score) {
        rc = cmd_failf(in, "out of memory");
        goto done;
    }
    const int nbad = degenerate_columns(&tb, usable, why);
    note_degenerate(argv[0], &tb, usable, why, nbad);
    {
        struct audit_step *st0 = audit_step_begin("mrmr_input");
        audit_input_file(st0, "features", in);
        audit_param_str(st0, "label", label);
        audit_param_num(st0, "discretize_t", none ? NAN : t);
        audit_value(st0, "excluded_columns", nbad);
        audit_step_end(st0);
    }
    if (none) {
        for (size_t k = 0; k < (size_t)tb.n * tb.p; k++) {
            const double v = tb.x[k];
            /* the program's integer conversion: truncate (the Python wrapper's int()) */
            st[k] = isfinite(v) && fabs(v) < 1e6 ? (int)v : 0;
            if (isfinite(v) && fabs(v) >= 1e6) {
                rc = cmd_failf(in, "--discretize none needs integer states; found %g", v);
                goto done;
            }
        }
    } else
        mrmr_discretize(tb.x, tb.n, tb.p, t, st);
    int nout = 0;
    if (mrmr_rank(st, tb.y, tb.n, tb.p, usable, meth, top > 0 ? (int)(top < tb.p ? top : tb.p) : tb.p, order, score,
                  &nout, &e)) {
        rc = cmd_fail(in, &e);
        goto done;
    }
    if (memout_open(&m)) {
        rc = cmd_failf(out, "cannot build the output in memory");
        goto done;
    }
    struct csv_writer w = {m.f, 1};
    fputs("rank,feature,score,note\n", m.f);
    for (int k = 0; k < nout; k++) {
        csv_putint(&w, k + 1);
        csv_put(&w, tb.names[order[k]]);
        csv_putnum(&w, score[k]);
        csv_put(&w, "");
        csv_endrow(&w);
    }
    for (int j = 0; j < tb.p; j++)
        if (!usable[j]) {
            csv_put(&w, "");
            csv_put(&w, tb.names[j]);
            csv_putnum(&w, NAN);
            csv_put(&w, why[j]);
            csv_endrow(&w);
        }
    rc = memout_commit(&m, out);
done:
    memout_discard(&m);
    free(usable);
    free(st);
    free(why);
    free(order);
    free(score);
    ftable_free(&tb);
    return rc;
}

/* The paper's correlation maps: Pearson and Spearman matrices of the top-k mRMR features (ranked
 * on the whole table) within each outcome group: DIR/corr_{pearson,spearman}_<label><0|1>.csv. */
static int write_corr_maps(const struct ftable *tb, const int *order, int nk, const char *label, const char *outdir)
{
    int rc = 0;
    struct sarc_err e = {0};
    double *mat = NULL;
    int *rows = malloc(sizeof *rows * (size_t)tb->n);
    struct memout m = {0};
    if (!rows) {
        rc = cmd_failf(outdir, "out of memory");
        goto done;
    }
    mat = malloc(sizeof *mat * (size_t)nk * nk);
    if (!mat) {
        rc = cmd_failf(outdir, "out of memory");
        goto done;
    }
    for (int grp = 0; grp < 2; grp++) {
        int nr = 0;
        for (int i = 0; i < tb->n; i++)
            if (tb->y[i] == grp)
                rows[nr++] = i;
        for (int sp = 0; sp < 2; sp++) {
            char name[256], path[4096];
            snprintf(name, sizeof name, "corr_%s_%s%d.csv", sp ? "spearman" : "pearson", label, grp);
            if (path_join(path, sizeof path, outdir, name)) {
                rc = cmd_failf(outdir, "path too long");
                goto done;
            }
            if (nr < 2) {
                cmd_note("classify: group %s = %d has %d case(s); no correlation map", label, grp, nr);
                continue;
            }
            if (corr_matrix(tb->x, tb->n, tb->p, rows, nr, order, nk, sp, mat, &e)) {
                rc = cmd_fail(path, &e);
                goto done;
            }
            if (memout_open(&m)) {
                rc = cmd_failf(path, "cannot build the output in memory");
                goto done;
            }
            struct csv_writer w = {m.f, 1};
            csv_put(&w, "feature");
            for (int a = 0; a < nk; a++)
                csv_put(&w, tb->names[order[a]]);
            csv_endrow(&w);
            for (int a = 0; a < nk; a++) {
                csv_put(&w, tb->names[order[a]]);
                for (int b = 0; b < nk; b++)
                    csv_putnum(&w, mat[(size_t)a * nk + b]);
                csv_endrow(&w);
            }
            if ((rc = memout_commit(&m, path)))
                goto done;
        }
    }
done:
    memout_discard(&m);
    free(mat);
    free(rows);
    return rc;
}

/* mRMR ranking of the whole table (for reporting: summary.json's feature list, the correlation
 * maps); order/score (p) filled, *nk ranked. */
static int rank_full_table(const struct ftable *tb, const int *usable, const struct cv_param *prm, int k, int *order,
                           double *score, int *nk, struct sarc_err *e)
{
    int *st = malloc(sizeof *st * (size_t)tb->n * tb->p);
    if (!st)
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    mrmr_discretize(tb->x, tb->n, tb->p, prm->disc_t, st);
    const int rc = mrmr_rank(st, tb->y, tb->n, tb->p, usable, prm->mrmr, k, order, score, nk, e);
    free(st);
    return rc;
}

const char cmd_classify_usage[] =
    "Usage: sarc classify FEATURES.csv --label COL --model svm|mlp [--folds 5] [--repeats 5] [--split 0.25]\n"
    "                     [--top N | --search 2:200] [--nested] [--no-shuffle] [--method MID|MIQ] [--discretize 1]\n"
    "                     [--C 5] [--gamma 0.01] [--kernel rbf|linear] [--tol 1e-3] [--hidden 50,25]\n"
    "                     [--solver adam|sgd] [--epochs 200] [--corr K] [--seed S] -o DIR\n"
    "  Repeated stratified K-fold CV (or --split: repeated stratified train/test split). In each\n"
    "  training part: z-score, mRMR on the training rows, then the model on the top N features\n"
    "  (default: all usable features); AUC of every test fold. --search A:B tries N = A..B and\n"
    "  reports the best (optimistic: chosen on the same folds); --nested chooses N by an inner CV.\n"
    "  Shuffled folds are seeded; --no-shuffle gives scikit-learn's StratifiedKFold folds (repeats\n"
    "  are then identical). Writes DIR/auc.csv (repeat,fold,auc,n_features), DIR/roc.csv (fpr,\n"
    "  tpr_mean,tpr_sd on 100 points), DIR/search.csv (n,auc_mean) with --search, and\n"
    "  DIR/summary.json. --corr K adds the Pearson and Spearman correlation matrices of the top K\n"
    "  mRMR features within each outcome group: DIR/corr_{pearson,spearman}_<COL><0|1>.csv.\n";

int cmd_classify(int argc, char **argv)
{
    const char *in = NULL, *label = NULL, *outdir = NULL, *model = NULL;
    struct cv_param prm;
    cv_param_default(&prm);
    int no_shuffle = 0, corr_k = 0;
    const char *folds_s = NULL, *repeats_s = NULL, *split_s = NULL, *top_s = NULL, *search_s = NULL;
    const char *meth_s = NULL, *disc_s = NULL, *corr_s = NULL, *mvals[MODEL_NOPT] = {NULL};
    struct cmd_opt opts[32] = {
        {"--nested", NULL, &prm.nested}, {"--no-shuffle", NULL, &no_shuffle}, {"--label", &label, NULL},
        {"-o", &outdir, NULL},           {"--out", &outdir, NULL},            {"--model", &model, NULL},
        {"--folds", &folds_s, NULL},     {"--repeats", &repeats_s, NULL},     {"--split", &split_s, NULL},
        {"--top", &top_s, NULL},         {"--search", &search_s, NULL},       {"--method", &meth_s, NULL},
        {"--discretize", &disc_s, NULL}, {"--corr", &corr_s, NULL}};
    int n = 14;
    model_opts_add(opts, &n, mvals, 1, 1);
    opts[n] = (struct cmd_opt){NULL, NULL, NULL};
    if (cmd_parse(argc, argv, opts, &in, 1) < 0)
        return 2;
    long long ll;
    double d;
    if (model && !strcmp(model, "svm"))
        prm.model = CV_SVM;
    else if (model && !strcmp(model, "mlp"))
        prm.model = CV_MLP;
    else if (model)
        return cmd_failf(argv[0], "--model %s: expected svm or mlp", model);
    if (folds_s) {
        if (opt_int(folds_s, 2, 1000, &ll))
            return cmd_failf(argv[0], "--folds %s: expected 2..1000", folds_s);
        prm.folds = (int)ll;
    }
    if (repeats_s) {
        if (opt_int(repeats_s, 1, 1000, &ll))
            return cmd_failf(argv[0], "--repeats %s: expected 1..1000", repeats_s);
        prm.repeats = (int)ll;
    }
    if (split_s) {
        if (opt_double(split_s, &d) || !(d > 0 && d < 1))
            return cmd_failf(argv[0], "--split %s: expected a test fraction in (0, 1)", split_s);
        prm.split = d;
    }
    if (top_s) {
        if (opt_int(top_s, 1, 1000000, &ll))
            return cmd_failf(argv[0], "--top %s: expected a positive integer", top_s);
        prm.n_lo = prm.n_hi = (int)ll;
    }
    if (search_s) {
        int lo, hi;
        char tail;
        if (sscanf(search_s, "%d:%d%c", &lo, &hi, &tail) != 2 || lo < 1 || hi < lo || hi > 100000)
            return cmd_failf(argv[0], "--search %s: expected A:B with 1 <= A <= B", search_s);
        prm.n_lo = lo;
        prm.n_hi = hi;
    }
    if (meth_s && opt_mrmr_method(argv[0], meth_s, &prm.mrmr))
        return 2;
    if (disc_s) {
        if (opt_double(disc_s, &d) || !(d > 0) || isinf(d))
            return cmd_failf(argv[0], "--discretize %s: expected a positive number", disc_s);
        prm.disc_t = d;
    }
    if (corr_s) {
        if (opt_int(corr_s, 2, 100000, &ll))
            return cmd_failf(argv[0], "--corr %s: expected a number of features >= 2", corr_s);
        corr_k = (int)ll;
    }
    if (model_opts_apply(argv[0], mvals, &prm.svm, &prm.mlp))
        return 2;
    if (!in || !label || !outdir || !model) {
        cmd_usage(argv[0]);
        return cmd_failf(argv[0], "need FEATURES.csv, --label COL, --model svm|mlp and -o DIR");
    }
    prm.shuffle = !no_shuffle;
    prm.seed = prm.svm.seed = prm.mlp.seed = g_opts.seed;
    if (no_shuffle && prm.repeats > 1 && prm.split <= 0)
        cmd_note("classify: --no-shuffle makes every repeat use the same folds");
    if (prm.model == CV_MLP && prm.n_hi - prm.n_lo > 20)
        cmd_note("classify: an MLP for each of %d feature counts in every fold will take a while", prm.n_hi - prm.n_lo + 1);
    struct sarc_err e = {0};
    struct ftable tb;
    if (ftable_read(&tb, in, label, &e))
        return cmd_fail(in, &e);
    int rc = 0;
    int *usable = malloc(sizeof *usable * (size_t)tb.p);
    const char **why = malloc(sizeof *why * (size_t)tb.p);
    int *full_order = malloc(sizeof *full_order * (size_t)tb.p), nfull = 0;
    double *full_score = malloc(sizeof *full_score * (size_t)tb.p);
    struct cv_result r = {0};
    struct memout m = {0};
    struct json j;
    json_init(&j);
    char path[4096];
    if (!usable || !why || !full_order || !full_score) {
        rc = cmd_failf(in, "out of memory");
        goto done;
    }
    const int nbad = degenerate_columns(&tb, usable, why);
    note_degenerate(argv[0], &tb, usable, why, nbad);
    if (file_mkdirs(outdir, &e)) {
        rc = cmd_fail(outdir, &e);
        goto done;
    }
    {
        struct audit_step *st0 = audit_step_begin("classify_input");
        audit_input_file(st0, "features", in);
        audit_param_str(st0, "label", label);
        audit_value(st0, "excluded_columns", nbad);
        audit_step_end(st0);
    }
    if (cv_classify(tb.x, tb.y, tb.n, tb.p, usable, &prm, &r, &e)) {
        rc = cmd_fail(in, &e);
        goto done;
    }
    /* whole-table mRMR ranking for the report (the folds rank their own training rows) */
    const int nused = r.best_n > 0 ? r.best_n : r.p_used;
    const int kfull = nused > corr_k ? nused : corr_k;
    if (rank_full_table(&tb, usable, &prm, kfull, full_order, full_score, &nfull, &e)) {
        rc = cmd_fail(in, &e);
        goto done;
    }
    /* auc.csv */
    if ((rc = memout_open_in(&m, path, sizeof path, outdir, "auc.csv")))
        goto done;
    struct csv_writer w = {m.f, 1};
    fputs("repeat,fold,auc,n_features\n", m.f);
    for (int t = 0; t < r.nrep * r.nfold; t++) {
        csv_putint(&w, t / r.nfold + 1);
        csv_putint(&w, t % r.nfold + 1);
        csv_putnum(&w, r.auc[t]);
        csv_putint(&w, r.n_used[t] > 0 ? r.n_used[t] : r.p_used);
        csv_endrow(&w);
    }
    if ((rc = memout_commit(&m, path)))
        goto done;
    /* roc.csv */
    if ((rc = memout_open_in(&m, path, sizeof path, outdir, "roc.csv")))
        goto done;
    w.f = m.f;
    fputs("fpr,tpr_mean,tpr_sd\n", m.f);
    for (int g = 0; g < CV_GRID; g++) {
        csv_putnum(&w, r.grid[g]);
        csv_putnum(&w, r.mean_tpr[g]);
        csv_putnum(&w, r.sd_tpr[g]);
        csv_endrow(&w);
    }
    if ((rc = memout_commit(&m, path)))
        goto done;
    const int searched = prm.n_hi > prm.n_lo;
    if (searched && !prm.nested) {
        if ((rc = memout_open_in(&m, path, sizeof path, outdir, "search.csv")))
            goto done;
        w.f = m.f;
        fputs("n,auc_mean\n", m.f);
        for (int k = 0; k < r.nn; k++) {
            csv_putint(&w, prm.n_lo + k);
            csv_putnum(&w, r.search_auc[k]);
            csv_endrow(&w);
        }
        if ((rc = memout_commit(&m, path)))
            goto done;
    }
    /* summary.json */
    j.pretty = 1;
    json_obj_begin(&j);
    json_kv_str(&j, "model", prm.model == CV_SVM ? "svm" : "mlp");
    json_kv_int(&j, "cases", tb.n);
    json_kv_int(&j, "features_usable", r.p_used);
    json_kv_int(&j, "features_used", r.best_n > 0 ? r.best_n : r.p_used);
    json_kv_str(&j, "selection", prm.n_lo == 0 ? "all features" : prm.nested ? "nested CV over n" : searched ? "search over n on the same folds" : "top n by mRMR in each training part");
    json_kv_str(&j, "mrmr", prm.mrmr == MRMR_MID ? "MID" : "MIQ");
    json_kv_num(&j, "discretize_t", prm.disc_t);
    json_kv_str(&j, "scheme", prm.split > 0 ? "repeated stratified split" : prm.shuffle ? "repeated stratified K-fold (seeded shuffle)" : "stratified K-fold (scikit-learn order, unshuffled)");
    json_kv_int(&j, "folds", r.nfold);
    json_kv_int(&j, "repeats", r.nrep);
    if (prm.split > 0)
        json_kv_num(&j, "test_fraction", prm.split);
    json_kv_int(&j, "seed", (int64_t)prm.seed);
    json_kv_num(&j, "auc_mean", r.auc_mean);
    json_kv_num(&j, "auc_sd", r.auc_sd);
    json_key(&j, "auc_ci95");
    json_arr_begin(&j);
    json_num(&j, r.ci_lo);
    json_num(&j, r.ci_hi);
    json_arr_end(&j);
    json_kv_str(&j, "ci_method", "percentile bootstrap (2000 keyed resamples) of the mean fold AUC");
    json_kv_int(&j, "folds_valid", r.nvalid);
    if (prm.model == CV_SVM) {
        json_kv_str(&j, "kernel", prm.svm.kernel == SVM_RBF ? "rbf" : "linear");
        json_kv_num(&j, "C", prm.svm.C);
        json_kv_num(&j, "gamma", prm.svm.gamma);
    }
    if (searched && !prm.nested)
        json_kv_str(&j, "warning", "n was chosen on the same folds it is evaluated on: the AUC is optimistic; use --nested for an unbiased estimate");
    json_key(&j, "features");
    json_arr_begin(&j);
    for (int k = 0; k < nused && k < nfull; k++)
        json_str(&j, tb.names[full_order[k]]);
    json_arr_end(&j);
    json_kv_str(&j, "features_note", "the top features_used by mRMR on the whole table; each fold ranks its own training rows");
    json_key(&j, "excluded_features");
    json_arr_begin(&j);
    for (int k = 0; k < tb.p; k++)
        if (!usable[k]) {
            json_obj_begin(&j);
            json_kv_str(&j, "feature", tb.names[k]);
            json_kv_str(&j, "reason", why[k]);
            json_obj_end(&j);
        }
    json_arr_end(&j);
    json_obj_end(&j);
    if (j.oom || path_join(path, sizeof path, outdir, "summary.json")) {
        rc = cmd_failf(outdir, "cannot build summary.json");
        goto done;
    }
    if (file_write_atomic(path, j.buf, j.len, &e)) {
        rc = cmd_fail(path, &e);
        goto done;
    }
    {
        struct audit_step *st = audit_step_begin("write");
        audit_output_file(st, "summary", path);
        audit_step_end(st);
    }
    if (corr_k && (rc = write_corr_maps(&tb, full_order, corr_k < nfull ? corr_k : nfull, label, outdir)))
        goto done;
    printf("auc=%.6f sd=%.6f ci95=[%.6f, %.6f] n_features=%d folds=%d\n", r.auc_mean, r.auc_sd, r.ci_lo, r.ci_hi,
           r.best_n > 0 ? r.best_n : r.p_used, r.nvalid);
    if (searched && !prm.nested)
        printf("warning: n chosen on the same folds (optimistic); use --nested\n");
done:
    json_free(&j);
    memout_discard(&m);
    cv_result_free(&r);
    free(usable);
    free(why);
    free(full_order);
    free(full_score);
    ftable_free(&tb);
    return rc;
}
