/* test_roc.c - stats/roc.c against scikit-learn goldens (test/golden/stats/roc.txt from
 * test/oracles/stats_roc.py): every curve point, the AUC to 1e-12, numpy.interp on the 100-point
 * grid, DeLong's variance against its O(m n) definition; and `sarc roc` end to end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "stats/roc.h"
#include "test/harness.h"
#include "test/stats/stats_test_util.h"

/* Reads the next line of f and parses up to max doubles from it; returns the count, or -1 at the
 * end of the file. */
static int read_line_doubles(FILE *f, double *out, int max)
{
    static char line[65536];
    if (!fgets(line, sizeof line, f))
        return -1;
    return parse_doubles(line, out, max);
}

TEST(roc_vs_sklearn)
{
    FILE *f = fopen("test/golden/stats/roc.txt", "r");
    REQUIRE_MSG(f, "cannot open test/golden/stats/roc.txt");
    static char line[512];
    static double s[512], yd[512], fpr[512], tpr[512], thr[512], it[100], got[100], grid[100];
    static int y[512];
    for (int g = 0; g < 100; g++)
        grid[g] = g / 99.0;
    int ncases = 0;
    long pos = ftell(f);
    while (fgets(line, sizeof line, f)) {
        int n, np;
        double auc;
        if (sscanf(line, "case %d %lf %d", &n, &auc, &np) != 3) {
            pos = ftell(f);
            continue;
        }
        (void)pos;
        REQUIRE(read_line_doubles(f, s, 512) == n);
        REQUIRE(read_line_doubles(f, yd, 512) == n);
        REQUIRE(read_line_doubles(f, fpr, 512) == np);
        REQUIRE(read_line_doubles(f, tpr, 512) == np);
        REQUIRE(read_line_doubles(f, thr, 512) == np);
        REQUIRE(read_line_doubles(f, it, 100) == 100);
        double dvar;
        REQUIRE(fgets(line, sizeof line, f) && sscanf(line, "delong %lf", &dvar) == 1);
        for (int i = 0; i < n; i++)
            y[i] = (int)yd[i];
        struct roc r;
        struct sarc_err e = {0};
        REQUIRE_OK(roc_curve(s, y, n, &r, &e), e);
        CHECK_INT(r.n, np);
        for (int k = 0; k < r.n && k < np; k++) {
            CHECK_CLOSE(r.fpr[k], fpr[k], 1e-15, 0);
            CHECK_CLOSE(r.tpr[k], tpr[k], 1e-15, 0);
            CHECK(r.thr[k] == thr[k]);
        }
        CHECK_CLOSE(roc_area(&r), auc, 1e-12, 0);
        CHECK_CLOSE(roc_auc(s, y, n), auc, 1e-12, 0);
        roc_interp(&r, grid, 100, got);
        for (int g = 0; g < 100; g++)
            CHECK_CLOSE(got[g], it[g], 1e-12, 1e-15);
        roc_free(&r);
        double dauc, gvar;
        REQUIRE_OK(roc_delong(s, y, n, &dauc, &gvar, &e), e);
        CHECK_CLOSE(dauc, auc, 1e-12, 0);
        CHECK_CLOSE(gvar, dvar, 1e-10, 1e-16);
        ncases++;
    }
    fclose(f);
    CHECK_INT(ncases, 8);
}

TEST(roc_errors)
{
    const double s[3] = {1, 2, NAN};
    const int y1[3] = {1, 1, 1}, y2[3] = {0, 1, 0};
    struct roc r;
    struct sarc_err e = {0};
    CHECK(roc_curve(s, y1, 2, &r, &e) == SARC_ERR_ARG);
    CHECK(roc_curve(s, y2, 3, &r, &e) == SARC_ERR_ARG);
    CHECK(isnan(roc_auc(s, y1, 2)));
    CHECK_CLOSE(roc_auc(s, y2, 2), 1.0, 0, 0);
}

TEST(roc_cli)
{
    const char *in = test_tmp("scores.csv"), *out = test_tmp("curve.csv");
    /* hand-computed: positives 0.9, 0.5; negatives 0.5, 0.1 -> AUC = (1 + 1 + 0.5 + 1) / 4 = 0.875 */
    REQUIRE(text_file_write(in, "id,score,y\na,0.9,1\nb,0.5,1\nc,0.5,0\nd,0.1,0\n") == 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s roc %s --label y --score score -o %s --audit none", test_sarc(), in, out);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    CHECK(strstr(test_last_output(), "auc=0.875\n") != NULL);
    CHECK(strstr(test_last_output(), "auc_ci95_delong=") != NULL);
    struct csv t;
    struct sarc_err e = {0};
    REQUIRE_OK(csv_read(&t, out, &e), e);
    CHECK_INT(t.nrows, 4);
    CHECK_STR(csv_cell(&t, 0, 2), "inf");
    CHECK_STR(csv_cell(&t, 2, 0), "0.5");
    CHECK_STR(csv_cell(&t, 2, 1), "1");
    csv_free(&t);
    REQUIRE(text_file_write(in, "id,score,y\na,0.9,1\nb,,0\n") == 0);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s roc %s --label nolabel --score score --audit none", test_sarc(), in);
    CHECK_INT(test_system(cmd), 2);
}
