/* test_mrmr.c - stats/mrmr.c against pymrmr rankings (test/golden/stats/mrmr.txt from
 * test/oracles/stats_mrmr.py): breast cancer, iris and a block-correlated phantom table, MID and
 * MIQ, t = 1 and 0.5; the 3-state discretisation; MI by hand; `sarc mrmr` end to end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "stats/mrmr.h"
#include "test/harness.h"
#include "test/stats/stats_test_util.h"

TEST(mrmr_vs_pymrmr)
{
    FILE *f = fopen("test/golden/stats/mrmr.txt", "r");
    REQUIRE_MSG(f, "cannot open test/golden/stats/mrmr.txt");
    static char line[65536];
    static int st[600 * 130], y[600], order[64], want[64];
    static double x[64 * 16], got_d[64 * 16], score[64], wscore[64], tmp[64 * 16];
    char name[64];
    int n = 0, p = 0, nrank = 0, ndisc = 0;
    double t;
    while (fgets(line, sizeof line, f)) {
        char meth[8];
        int top;
        if (sscanf(line, "disc %63s %d %d %lf", name, &n, &p, &t) == 4) {
            REQUIRE(n * p <= 64 * 16);
            for (int i = 0; i < n; i++)
                REQUIRE(fgets(line, sizeof line, f) && parse_doubles(line, x + i * p, p) == p);
            for (int i = 0; i < n; i++)
                REQUIRE(fgets(line, sizeof line, f) && parse_doubles(line, got_d + i * p, p) == p);
            int s[64 * 16];
            mrmr_discretize(x, n, p, t, s);
            for (int k = 0; k < n * p; k++)
                CHECK_MSG(s[k] == (int)got_d[k], "disc t=%g cell %d: %d vs %d", t, k, s[k], (int)got_d[k]);
            ndisc++;
        } else if (sscanf(line, "rank %63s %d %d %lf", name, &n, &p, &t) == 4) {
            REQUIRE(n <= 600 && p <= 130);
            REQUIRE(fgets(line, sizeof line, f));
            for (int i = 0; i < n; i++)
                y[i] = line[i] - '0';
            for (int i = 0; i < n; i++) {
                REQUIRE(fgets(line, sizeof line, f));
                for (int j = 0; j < p; j++)
                    st[i * p + j] = line[j] - 'b';
            }
        } else if (sscanf(line, "order %7s %d", meth, &top) == 2) {
            REQUIRE(top <= 64);
            REQUIRE(fgets(line, sizeof line, f) && parse_doubles(line, tmp, 64) == top);
            for (int k = 0; k < top; k++)
                want[k] = (int)tmp[k];
            REQUIRE(fgets(line, sizeof line, f) && parse_doubles(line, wscore, 64) == top);
            int nout;
            struct sarc_err e = {0};
            REQUIRE_OK(mrmr_rank(st, y, n, p, NULL, strcmp(meth, "MID") ? MRMR_MIQ : MRMR_MID, top, order, score, &nout, &e), e);
            CHECK_INT(nout, top);
            for (int k = 0; k < top; k++) {
                CHECK_MSG(order[k] == want[k], "%s t=%g %s rank %d: column %d, pymrmr %d", name, t, meth, k + 1, order[k],
                          want[k]);
                CHECK_CLOSE(score[k], wscore[k], 1e-12, 1e-14);
            }
            nrank++;
        }
    }
    fclose(f);
    CHECK_INT(ndisc, 2);
    CHECK_INT(nrank, 12);
}

TEST(mrmr_mi_and_edges)
{
    /* MI of a variable with itself is its entropy: 2 equiprobable states -> 1 bit */
    const int a[4] = {0, 1, 0, 1}, b[4] = {5, 5, 7, 7}, c[4] = {3, 3, 3, 3};
    CHECK_CLOSE(mutual_info(a, a, 4), 1.0, 1e-15, 0);
    CHECK_CLOSE(mutual_info(a, b, 4), 0.0, 0, 1e-15); /* independent */
    CHECK_CLOSE(mutual_info(a, c, 4), 0.0, 0, 1e-15);
    /* a constant column (sd 0) is all state 0 */
    const double x[6] = {1, 2, 1, 3, 1, 4};
    int s[6];
    mrmr_discretize(x, 3, 2, 1.0, s);
    CHECK(s[0] == 0 && s[2] == 0 && s[4] == 0);
    int st[6] = {0, 1, 0, 1, 1, 0}, y[3] = {0, 1, 0}, order[2], nout, cols[2] = {0, 0};
    double score[2];
    struct sarc_err e = {0};
    CHECK(mrmr_rank(st, y, 3, 2, cols, MRMR_MID, 2, order, score, &nout, &e) == SARC_ERR_ARG);
    CHECK(mrmr_rank(st, y, 3, 2, NULL, MRMR_MID, 0, order, score, &nout, &e) == SARC_ERR_ARG);
    const int y1[3] = {1, 1, 1};
    CHECK(mrmr_rank(st, y1, 3, 2, NULL, MRMR_MID, 2, order, score, &nout, &e) == SARC_ERR_ARG);
    cols[1] = 1;
    REQUIRE_OK(mrmr_rank(st, y, 3, 2, cols, MRMR_MIQ, 2, order, score, &nout, &e), e);
    CHECK_INT(nout, 1);
    CHECK_INT(order[0], 1);
}

TEST(mrmr_cli)
{
    const char *in = test_tmp("mrmr_in.csv"), *out = test_tmp("rank.csv");
    FILE *f = fopen(in, "w");
    REQUIRE(f);
    fputs("id,const,good,noise,y,gap\n", f);
    for (int i = 0; i < 40; i++)
        fprintf(f, "c%d,5,%g,%g,%d,%s\n", i, (i % 2) * 3.0 + (i % 5) * 0.1, (double)((i * 7) % 11), i % 2,
                i == 3 ? "" : "1.5");
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s mrmr %s --label y --method MIQ --top 5 -o %s --audit none", test_sarc(), in, out);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    CHECK(strstr(test_last_output(), "const") != NULL); /* degenerate columns are reported */
    struct csv t;
    struct sarc_err e = {0};
    REQUIRE_OK(csv_read(&t, out, &e), e);
    CHECK_STR(t.header[0], "rank");
    CHECK_STR(t.header[1], "feature");
    CHECK_STR(t.header[2], "score");
    REQUIRE(t.nrows == 4); /* 2 ranked + 2 degenerate listed with a note */
    CHECK_STR(csv_cell(&t, 0, 1), "good");
    CHECK_STR(csv_cell(&t, 0, 0), "1");
    CHECK_STR(csv_cell(&t, 2, 0), "");
    CHECK(strstr(csv_cell(&t, 2, 3), "constant") != NULL || strstr(csv_cell(&t, 3, 3), "constant") != NULL);
    CHECK(strstr(csv_cell(&t, 2, 3), "missing") != NULL || strstr(csv_cell(&t, 3, 3), "missing") != NULL);
    csv_free(&t);
    snprintf(cmd, sizeof cmd, "%s mrmr %s --label y --method XYZ -o %s --audit none", test_sarc(), in, out);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s mrmr %s --label nope -o %s --audit none", test_sarc(), in, out);
    CHECK_INT(test_system(cmd), 2);
}

/* `sarc mrmr --discretize none` on pymrmr's own integer input (the phantom-block states) gives
 * pymrmr's ranking, end to end through the CSV reader and writer. */
TEST(mrmr_cli_vs_pymrmr)
{
    FILE *f = fopen("test/golden/stats/mrmr.txt", "r");
    REQUIRE_MSG(f, "cannot open test/golden/stats/mrmr.txt");
    static char line[65536];
    char name[64];
    int n = 0, p = 0, found = 0;
    double t;
    const char *in = test_tmp("mrmr_states.csv"), *out = test_tmp("mrmr_rank_states.csv");
    FILE *w = NULL;
    int want[20], top = 0;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "rank %63s %d %d %lf", name, &n, &p, &t) == 4 && !strcmp(name, "phantom_blocks") && t == 1.0) {
            static char ybuf[1024];
            REQUIRE(fgets(ybuf, sizeof ybuf, f));
            w = fopen(in, "w");
            REQUIRE(w);
            fprintf(w, "id");
            for (int j = 0; j < p; j++)
                fprintf(w, ",f%d", j);
            fprintf(w, ",y\n");
            for (int i = 0; i < n; i++) {
                REQUIRE(fgets(line, sizeof line, f));
                fprintf(w, "c%d", i);
                for (int j = 0; j < p; j++)
                    fprintf(w, ",%d", line[j] - 'b');
                fprintf(w, ",%c\n", ybuf[i]);
            }
            fclose(w);
            char meth[8];
            REQUIRE(fgets(line, sizeof line, f) && sscanf(line, "order %7s %d", meth, &top) == 2 && !strcmp(meth, "MID"));
            REQUIRE(top <= 20 && fgets(line, sizeof line, f));
            char *q = line;
            for (int k = 0; k < top; k++)
                want[k] = (int)strtol(q, &q, 10);
            found = 1;
            break;
        }
    }
    fclose(f);
    REQUIRE(found);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s mrmr %s --label y --method MID --top %d --discretize none -o %s --audit none", test_sarc(), in,
             top, out);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    struct csv r;
    struct sarc_err e = {0};
    REQUIRE_OK(csv_read(&r, out, &e), e);
    REQUIRE(r.nrows == top);
    for (int k = 0; k < top; k++) {
        char want_name[16];
        snprintf(want_name, sizeof want_name, "f%d", want[k]);
        CHECK_STR(csv_cell(&r, k, 1), want_name);
    }
    csv_free(&r);
}
