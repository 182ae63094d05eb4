/* test_ttest.c - paired tests and corrections against SciPy/statsmodels goldens
 * (test/golden/stats/{multitest.txt,wilcoxon.txt,ttest_*.csv} from test/oracles/stats_ttest.py),
 * feature families, and `sarc ttest` / `sarc wilcoxon` end to end (pairing by id, degenerate
 * columns, bad input). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "stats/table.h"
#include "stats/ttest.h"
#include "test/harness.h"
#include "test/stats/stats_test_util.h"

static double relerr(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b) ? 0 : INFINITY;
    return a == b ? 0 : fabs(a - b) / fmax(fabs(b), 1e-300);
}

TEST(multitest_vs_statsmodels)
{
    FILE *f = fopen("test/golden/stats/multitest.txt", "r");
    REQUIRE_MSG(f, "cannot open test/golden/stats/multitest.txt");
    static char line[4096];
    int nsets = 0;
    double worst = 0;
    while (fgets(line, sizeof line, f)) {
        char name[32];
        double alpha;
        int m;
        if (sscanf(line, "set %31s %lf %d", name, &alpha, &m) != 3)
            continue;
        double *p = malloc(sizeof *p * m * 3);
        int *rej = malloc(sizeof *rej * m * 2);
        REQUIRE(p && rej);
        for (int i = 0; i < m; i++) {
            REQUIRE(fgets(line, sizeof line, f));
            double v[3];
            REQUIRE(parse_doubles(line, v, 3) == 3);
            p[i] = v[0];
            p[m + i] = v[1];
            rej[i] = (int)v[2];
        }
        enum mt_method meth;
        struct sarc_err e = {0};
        REQUIRE_OK(mt_parse(name, &meth, &e), e);
        REQUIRE_OK(multipletests(p, m, alpha, meth, p + 2 * m, rej + m, &e), e);
        for (int i = 0; i < m; i++) {
            const double r = relerr(p[2 * m + i], p[m + i]);
            if (r > worst)
                worst = r;
            CHECK_MSG(r <= 1e-12, "%s alpha %g m %d: p_adj[%d] = %.17g, statsmodels %.17g", name, alpha, m, i,
                      p[2 * m + i], p[m + i]);
            CHECK_MSG(rej[m + i] == rej[i], "%s alpha %g m %d: reject[%d] = %d, statsmodels %d", name, alpha, m, i,
                      rej[m + i], rej[i]);
        }
        free(p);
        free(rej);
        nsets++;
    }
    fclose(f);
    CHECK(nsets == 60);
    printf("    %d families, worst p_adj rel err %.1e\n", nsets, worst);
}

TEST(multitest_nan_and_args)
{
    const double p[5] = {0.01, NAN, 0.04, 0.03, NAN};
    double adj[5];
    int rej[5];
    struct sarc_err e = {0};
    REQUIRE_OK(multipletests(p, 5, 0.05, MT_BONFERRONI, adj, rej, &e), e);
    /* family of 3: NaN entries are out */
    CHECK_CLOSE(adj[0], 0.03, 1e-15, 0);
    CHECK(isnan(adj[1]) && rej[1] == 0);
    CHECK_CLOSE(adj[2], 0.12, 1e-15, 0);
    CHECK_INT(rej[0], 1);
    CHECK_INT(rej[3], 0);
    CHECK(multipletests(p, 5, 0, MT_HOLM, adj, rej, &e) == SARC_ERR_ARG);
    CHECK(multipletests(p, 5, 1.5, MT_HOLM, adj, rej, &e) == SARC_ERR_ARG);
    enum mt_method m;
    CHECK(mt_parse("fdr", &m, &e) == SARC_ERR_ARG);
    CHECK_OK(mt_parse("hs", &m, &e), e);
    CHECK_INT(m, MT_HOLM_SIDAK);
}

TEST(wilcoxon_vs_scipy)
{
    FILE *f = fopen("test/golden/stats/wilcoxon.txt", "r");
    REQUIRE_MSG(f, "cannot open test/golden/stats/wilcoxon.txt");
    static char line[8192];
    static double a[256], b[256];
    int ncases = 0;
    while (fgets(line, sizeof line, f)) {
        int n;
        double stat, p;
        if (sscanf(line, "case %d %lf %lf", &n, &stat, &p) != 3)
            continue;
        REQUIRE(n <= 256);
        REQUIRE(fgets(line, sizeof line, f) && parse_doubles(line, a, 256) == n);
        REQUIRE(fgets(line, sizeof line, f) && parse_doubles(line, b, 256) == n);
        struct paired_result r;
        struct sarc_err e = {0};
        REQUIRE_OK(paired_wilcoxon(a, b, n, &r, &e), e);
        CHECK_MSG(r.stat == stat, "n=%d: statistic %.17g, SciPy %.17g", n, r.stat, stat);
        CHECK_MSG(relerr(r.p, p) <= 1e-12, "n=%d: p %.17g, SciPy %.17g", n, r.p, p);
        ncases++;
    }
    fclose(f);
    CHECK_INT(ncases, 11);
}

/* `sarc ttest` / `sarc wilcoxon` on the golden tables (shuffled POST order, an unpaired case,
 * missing cells, constant and constant-difference columns) against SciPy/statsmodels. */
static void check_cli_against_golden(int wilcoxon)
{
    const char *out = test_tmp(wilcoxon ? "wx.csv" : "tt.csv");
    char cmd[2048];
    const char *methods[6] = {"bonferroni", "sidak", "holm", "holm-sidak", "bh", "by"};
    struct sarc_err e = {0};
    /* the first line of the golden is its provenance comment, parsed as the header: skip it */
    struct csv gg;
    {
        FILE *f = fopen("test/golden/stats/ttest_expected.csv", "r");
        REQUIRE(f);
        static char text[65536];
        size_t len = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[len] = 0;
        char *nl = strchr(text, '\n');
        REQUIRE(nl);
        REQUIRE_OK(csv_parse(&gg, nl + 1, strlen(nl + 1), &e), e);
    }
    for (int mi = 0; mi < 6; mi++) {
        if (wilcoxon && mi > 0)
            break;
        snprintf(cmd, sizeof cmd, "%s %s test/golden/stats/ttest_pre.csv test/golden/stats/ttest_post.csv --correction %s -o %s --audit none",
                 test_sarc(), wilcoxon ? "wilcoxon" : "ttest", methods[mi], out);
        const int rc = test_system(cmd);
        CHECK_MSG(rc == 0, "%s -> %d: %s", cmd, rc, test_last_output());
        if (rc)
            break;
        CHECK(strstr(test_last_output(), "without a partner") != NULL);
        CHECK(strstr(test_last_output(), "T1_original_firstorder_Constant (constant column before and after)") != NULL);
        struct csv t;
        REQUIRE_OK(csv_read(&t, out, &e), e);
        CHECK_INT(t.nrows, gg.nrows);
        char col[64];
        snprintf(col, sizeof col, "padj_%s", methods[mi]);
        const int gpadj = csv_col(&gg, col);
        snprintf(col, sizeof col, "reject_%s", methods[mi]);
        const int grej = csv_col(&gg, col);
        for (int i = 0; i < t.nrows && i < gg.nrows; i++) {
            double v, w;
            CHECK_STR(csv_cell(&t, i, 0), csv_cell(&gg, i, 0));
            CHECK_STR(csv_cell(&t, i, csv_col(&t, "n")), csv_cell(&gg, i, csv_col(&gg, "n")));
            const char *pairs[][2] = {{"mean_pre", "mean_pre"}, {"mean_post", "mean_post"}, {"mean_diff", "mean_diff"},
                                      {wilcoxon ? "statistic" : "t", wilcoxon ? "w_stat" : "t"},
                                      {"p", wilcoxon ? "w_p" : "p"}};
            for (int k = 0; k < 5; k++) {
                csv_num(&t, i, csv_col(&t, pairs[k][0]), &v, &e);
                csv_num(&gg, i, csv_col(&gg, pairs[k][1]), &w, &e);
                CHECK_MSG(relerr(v, w) <= 1e-10 || fabs(v - w) < 1e-13, "%s row %d %s: %.17g vs %.17g", methods[mi], i,
                          pairs[k][0], v, w);
            }
            if (!wilcoxon) {
                csv_num(&t, i, csv_col(&t, "p_adj"), &v, &e);
                csv_num(&gg, i, gpadj, &w, &e);
                CHECK_MSG(relerr(v, w) <= 1e-10, "%s row %d p_adj %.17g vs %.17g", methods[mi], i, v, w);
                CHECK_STR(csv_cell(&t, i, csv_col(&t, "reject")), csv_cell(&gg, i, grej));
            }
            /* degenerate rows carry a reason; so do rows that lost pairs to missing values */
            csv_num(&t, i, csv_col(&t, "p"), &v, &e);
            const char *note = csv_cell(&t, i, csv_col(&t, "note"));
            if (isnan(v))
                CHECK(note[0] != 0);
            if (!strcmp(csv_cell(&t, i, 0), "T1_original_glcm_Contrast"))
                CHECK_STR(note, "1 pair(s) with a missing value left out");
            if (!strcmp(csv_cell(&t, i, 0), "T1_original_firstorder_Mean"))
                CHECK_STR(note, "");
        }
        csv_free(&t);
    }
    csv_free(&gg);
}

TEST(ttest_cli_vs_scipy) { check_cli_against_golden(0); }
TEST(wilcoxon_cli_vs_scipy) { check_cli_against_golden(1); }

TEST(ttest_cli_sort_and_bad_input)
{
    const char *out = test_tmp("tt_sorted.csv");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s ttest test/golden/stats/ttest_pre.csv test/golden/stats/ttest_post.csv --sort p -o %s --audit none",
             test_sarc(), out);
    REQUIRE(test_system(cmd) == 0);
    struct csv t;
    struct sarc_err e = {0};
    REQUIRE_OK(csv_read(&t, out, &e), e);
    double prev = -1;
    for (int i = 0; i < t.nrows; i++) {
        double v;
        csv_num(&t, i, csv_col(&t, "p"), &v, &e);
        if (!isnan(v)) {
            CHECK(v >= prev);
            prev = v;
        } else
            CHECK(i >= t.nrows - 2); /* NaN rows last */
    }
    csv_free(&t);
    /* bad inputs: exit 2, a message naming the file, no output written */
    const char *bad = test_tmp("bad.csv");
    REQUIRE(text_file_write(bad, "id,a,b\nx1,1,zz\nx2,2,3\n") == 0);
    const char *out2 = test_tmp("never.csv");
    remove(out2);
    snprintf(cmd, sizeof cmd, "%s ttest %s test/golden/stats/ttest_post.csv -o %s --audit none", test_sarc(), bad, out2);
    CHECK_INT(test_system(cmd), 2);
    CHECK(strstr(test_last_output(), "sarc: ") != NULL);
    CHECK(strstr(test_last_output(), "bad.csv") != NULL);
    FILE *g = fopen(out2, "r");
    CHECK(g == NULL);
    if (g)
        fclose(g);
    snprintf(cmd, sizeof cmd, "%s ttest test/golden/stats/ttest_pre.csv /nonexistent.csv -o %s --audit none", test_sarc(), out2);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s ttest test/golden/stats/ttest_pre.csv test/golden/stats/ttest_post.csv --correction nope -o %s --audit none",
             test_sarc(), out2);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s ttest test/golden/stats/ttest_pre.csv test/golden/stats/ttest_post.csv --alpha 2 -o %s --audit none",
             test_sarc(), out2);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s ttest test/golden/stats/ttest_pre.csv %s -o %s --audit none", test_sarc(), bad, out2);
    CHECK_INT(test_system(cmd), 2); /* features of PRE missing in POST */
}

TEST(feature_family_names)
{
    char b[48];
    feature_family("original_shape_VoxelVolume", b, sizeof b);
    CHECK_STR(b, "shape");
    feature_family("T1C_original_glcm_Contrast", b, sizeof b);
    CHECK_STR(b, "T1C");
    feature_family("T2_wavelet-LLH_firstorder_Mean", b, sizeof b);
    CHECK_STR(b, "T2");
    feature_family("original_glrlm_RunEntropy", b, sizeof b);
    CHECK_STR(b, "glrlm");
    feature_family("plain", b, sizeof b);
    CHECK_STR(b, "plain");
}

TEST(ftable_errors)
{
    struct ftable t;
    struct sarc_err e = {0};
    const char *dup = "id,a,y\nc1,1,0\nc1,2,1\n";
    CHECK(ftable_parse(&t, dup, strlen(dup), "y", &e) == SARC_ERR_FORMAT);
    CHECK(strstr(e.msg, "twice") != NULL);
    const char *lab = "id,a,y\nc1,1,0\nc2,2,2\n";
    CHECK(ftable_parse(&t, lab, strlen(lab), "y", &e) == SARC_ERR_FORMAT);
    CHECK(ftable_parse(&t, lab, strlen(lab), "nope", &e) == SARC_ERR_FORMAT);
    const char *nofeat = "id,y\nc1,0\n";
    CHECK(ftable_parse(&t, nofeat, strlen(nofeat), "y", &e) == SARC_ERR_FORMAT);
    const char *ok = "id,a,y,b\nc1,1,0,\nc2,2,1,nan\n";
    REQUIRE_OK(ftable_parse(&t, ok, strlen(ok), "y", &e), e);
    CHECK_INT(t.p, 2);
    CHECK_STR(t.names[1], "b");
    CHECK(isnan(t.x[1]));
    CHECK_INT(t.y[1], 1);
    CHECK_INT(ftable_find(&t, "c2"), 1);
    ftable_free(&t);
}

TEST(ttest_cli_audit_trail)
{
    const char *trail = test_tmp("stats_audit.jsonl"), *out = test_tmp("tt_audit.csv");
    remove(trail);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s ttest test/golden/stats/ttest_pre.csv test/golden/stats/ttest_post.csv -o %s --audit %s",
             test_sarc(), out, trail);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    FILE *f = fopen(trail, "r");
    REQUIRE_MSG(f, "no audit trail at %s", trail);
    static char text[65536];
    text[fread(text, 1, sizeof text - 1, f)] = 0;
    fclose(f);
    CHECK(strstr(text, "\"step\":\"ttest\"") != NULL);
    CHECK(strstr(text, "\"correction\":\"holm-sidak\"") != NULL);
    CHECK(strstr(text, "\"p_adj\"") != NULL);
}
