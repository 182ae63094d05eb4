/* test_shared_stats.c - `sarc ttest`, `sarc svm` and `sarc roc` on the shared reference tables
 * (../shared/data/stats; SKIP when absent) against SciPy/statsmodels/scikit-learn values in
 * test/golden/stats/shared.txt (test/oracles/stats_shared.py). The same contract the conformance
 * check tools/conformance/check_stats.py calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "test/harness.h"

static FILE *open_golden(void) { return fopen("test/golden/stats/shared.txt", "r"); }

TEST(shared_ttest_holm_sidak)
{
    char pre[512], post[512];
    const char *s = test_shared("data/stats/pre.csv");
    if (!s)
        SKIP("../shared/data/stats not present");
    snprintf(pre, sizeof pre, "%s", s);
    snprintf(post, sizeof post, "%s", test_shared("data/stats/post.csv"));
    const char *out = test_tmp("shared_tt.csv");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s ttest %s %s -o %s --audit none", test_sarc(), pre, post, out);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    FILE *f = open_golden();
    REQUIRE(f);
    static char line[4096];
    int nf = 0, np = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "ttest %d %d", &nf, &np) == 2)
            break;
    struct csv t;
    struct sarc_err e = {0};
    REQUIRE_OK(csv_read(&t, out, &e), e);
    REQUIRE(t.nrows == nf);
    for (int i = 0; i < nf; i++) {
        char name[256];
        double tv, p, padj, v;
        int rej;
        REQUIRE(fgets(line, sizeof line, f) && sscanf(line, "%255s %lf %lf %lf %d", name, &tv, &p, &padj, &rej) == 5);
        CHECK_STR(csv_cell(&t, i, 0), name);
        CHECK_INT(atoi(csv_cell(&t, i, 1)), np);
        csv_num(&t, i, csv_col(&t, "t"), &v, &e);
        CHECK_CLOSE(v, tv, 1e-10, 0);
        csv_num(&t, i, csv_col(&t, "p"), &v, &e);
        CHECK_CLOSE(v, p, 1e-10, 0);
        csv_num(&t, i, csv_col(&t, "p_adj"), &v, &e);
        CHECK_CLOSE(v, padj, 1e-10, 0);
        CHECK_INT(atoi(csv_cell(&t, i, csv_col(&t, "reject"))), rej);
    }
    csv_free(&t);
    fclose(f);
}

TEST(shared_svm_and_roc)
{
    const char *s = test_shared("data/stats/svm_train.csv");
    if (!s)
        SKIP("../shared/data/stats not present");
    char tr[512], te[512], roc[512];
    snprintf(tr, sizeof tr, "%s", s);
    snprintf(te, sizeof te, "%s", test_shared("data/stats/svm_test.csv"));
    snprintf(roc, sizeof roc, "%s", test_shared("data/stats/roc.csv"));
    const char *out = test_tmp("shared_pred.csv");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s svm --train %s --test %s --label y --kernel rbf --C 5 --gamma 0.01 --tol 1e-8 -o %s --audit none",
             test_sarc(), tr, te, out);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    FILE *f = open_golden();
    REQUIRE(f);
    static char line[16384];
    int n = 0;
    double auc = NAN;
    struct csv t;
    struct sarc_err e = {0};
    REQUIRE_OK(csv_read(&t, out, &e), e);
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "svm %d", &n) == 1) {
            REQUIRE(fgets(line, sizeof line, f));
            REQUIRE(t.nrows == n);
            char *p = line;
            for (int i = 0; i < n; i++) {
                char *end;
                const double want = strtod(p, &end);
                REQUIRE(end != p);
                p = end;
                double v;
                csv_num(&t, i, 1, &v, &e);
                CHECK_MSG(fabs(v - want) <= 1e-6, "case %d: decision %.12g, sklearn %.12g", i, v, want);
            }
        }
        sscanf(line, "auc %lf", &auc);
    }
    fclose(f);
    csv_free(&t);
    snprintf(cmd, sizeof cmd, "%s roc %s --label y --score score --audit none", test_sarc(), roc);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    const char *o = strstr(test_last_output(), "auc=");
    REQUIRE(o);
    CHECK_CLOSE(strtod(o + 4, NULL), auc, 1e-12, 0);
}
