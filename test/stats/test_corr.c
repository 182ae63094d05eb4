/* test_corr.c - stats/corr.c against numpy.corrcoef / scipy.stats.spearmanr
 * (test/golden/stats/corr.txt from test/oracles/stats_corr.py), all rows and one group; a
 * constant column gives NaN. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/corr.h"
#include "test/harness.h"
#include "test/stats/stats_test_util.h"

TEST(corr_vs_numpy_scipy)
{
    FILE *f = fopen("test/golden/stats/corr.txt", "r");
    REQUIRE_MSG(f, "cannot open test/golden/stats/corr.txt");
    static char line[8192];
    static double x[64 * 16], v[64], want[16 * 16], got[16 * 16];
    static int g[64], rows[64];
    int n = 0, p = 0, nmat = 0;
    while (fgets(line, sizeof line, f)) {
        char kind[16];
        int group, k;
        if (sscanf(line, "data %d %d", &n, &p) == 2) {
            REQUIRE(n <= 64 && p <= 16);
            for (int i = 0; i < n; i++) {
                REQUIRE(fgets(line, sizeof line, f) && parse_doubles(line, v, 64) == p + 1);
                g[i] = (int)v[0];
                for (int j = 0; j < p; j++)
                    x[i * p + j] = v[j + 1];
            }
        } else if (sscanf(line, "mat %15s %d %d", kind, &group, &k) == 3) {
            /* the column list follows the three fields */
            char *q = line;
            for (int skip = 0; skip < 4; skip++)
                q = strchr(q, ' ') + 1;
            int cols[16];
            REQUIRE(parse_doubles(q, v, 16) == k);
            for (int j = 0; j < k; j++)
                cols[j] = (int)v[j];
            for (int a = 0; a < k; a++)
                REQUIRE(fgets(line, sizeof line, f) && parse_doubles(line, want + a * k, 16) == k);
            int nr = 0;
            for (int i = 0; i < n; i++)
                if (group < 0 || g[i] == group)
                    rows[nr++] = i;
            struct sarc_err e = {0};
            REQUIRE_OK(corr_matrix(x, n, p, rows, nr, cols, k, kind[0] == 's', got, &e), e);
            for (int a = 0; a < k * k; a++)
                CHECK_MSG(fabs(got[a] - want[a]) <= 1e-13, "%s group %d cell %d: %.17g vs %.17g", kind, group, a, got[a], want[a]);
            nmat++;
        }
    }
    fclose(f);
    CHECK_INT(nmat, 4);
}

TEST(corr_edges)
{
    const double x[6] = {1, 5, 2, 5, 3, 5};
    const int cols[2] = {0, 1}, bad[1] = {7};
    double out[4];
    struct sarc_err e = {0};
    REQUIRE_OK(corr_matrix(x, 3, 2, NULL, 0, cols, 2, 0, out, &e), e);
    CHECK_CLOSE(out[0], 1, 1e-15, 0);
    CHECK(isnan(out[1]) && isnan(out[3]));
    CHECK(corr_matrix(x, 3, 2, NULL, 0, bad, 1, 0, out, &e) == SARC_ERR_ARG);
    const int one[1] = {0};
    CHECK(corr_matrix(x, 3, 2, one, 1, cols, 2, 0, out, &e) == SARC_ERR_ARG);
}
