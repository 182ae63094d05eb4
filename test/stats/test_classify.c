/* test_classify.c - stats/cv.c and `sarc classify`: StratifiedKFold assignment and a 5-fold SVM
 * CV AUC against scikit-learn (test/golden/stats/cv.txt from test/oracles/stats_cv.py), the
 * whole fold pipeline with mRMR against StandardScaler + pymrmr + SVC, the MLP's mean AUC against
 * MLPClassifier's; stratification and determinism of the shuffled folds and the split; bit-identical outputs for
 * 1 and 3 threads; search, nested and split runs; z-scoring; bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "stats/cv.h"
#include "stats/scale.h"
#include "test/harness.h"
#include "test/stats/stats_test_util.h"
#include "vendor/rng.h"

TEST(cv_kfold_and_auc_vs_sklearn)
{
    FILE *f = fopen("test/golden/stats/cv.txt", "r");
    REQUIRE_MSG(f, "cannot open test/golden/stats/cv.txt");
    static char line[16384];
    static double v[1024], x[100 * 8], want[8];
    static int y[1024], fold[1024];
    int nfolds = 0, nauc = 0;
    while (fgets(line, sizeof line, f)) {
        int k, n, p;
        char name[64];
        if (sscanf(line, "folds %d %d", &k, &n) == 2) {
            REQUIRE(n <= 1024);
            REQUIRE(fgets(line, sizeof line, f) && parse_doubles(line, v, n) == n);
            for (int i = 0; i < n; i++)
                y[i] = (int)v[i];
            REQUIRE(fgets(line, sizeof line, f) && parse_doubles(line, v, n) == n);
            struct sarc_err e = {0};
            REQUIRE_OK(stratified_kfold(y, n, k, 0, 1, 0, fold, &e), e);
            for (int i = 0; i < n; i++)
                CHECK_MSG(fold[i] == (int)v[i], "k=%d n=%d case %d: fold %d, sklearn %d", k, n, i, fold[i], (int)v[i]);
            nfolds++;
        } else if (sscanf(line, "cvauc %63s %d %d %d", name, &n, &p, &k) == 4) {
            REQUIRE(n <= 100 && p <= 8);
            for (int i = 0; i < n; i++) {
                REQUIRE(fgets(line, sizeof line, f) && parse_doubles(line, v, p + 1) == p + 1);
                y[i] = (int)v[0];
                memcpy(x + i * p, v + 1, sizeof(double) * p);
            }
            REQUIRE(fgets(line, sizeof line, f) && parse_doubles(line, want, 8) == k);
            struct cv_param prm;
            cv_param_default(&prm);
            prm.folds = k;
            prm.repeats = 1;
            prm.shuffle = 0;
            prm.svm.tol = 1e-8;
            struct cv_result r;
            struct sarc_err e = {0};
            REQUIRE_OK(cv_classify(x, y, n, p, NULL, &prm, &r, &e), e);
            for (int t = 0; t < k; t++)
                CHECK_CLOSE(r.auc[t], want[t], 1e-12, 0);
            cv_result_free(&r);
            /* the MLP on the same folds: scikit-learn's mean AUC over 10 seeds is the reference
             * (weights depend on each library's RNG); 0.03 is about 2 sd of that mean's spread */
            double mlp_ref;
            REQUIRE(fgets(line, sizeof line, f) && sscanf(line, "mlpauc %lf", &mlp_ref) == 1);
            prm.model = CV_MLP;
            prm.repeats = 2;
            prm.shuffle = 0;
            REQUIRE_OK(cv_classify(x, y, n, p, NULL, &prm, &r, &e), e);
            CHECK_MSG(fabs(r.auc_mean - mlp_ref) < 0.03, "MLP CV AUC %.4f, scikit-learn %.4f", r.auc_mean, mlp_ref);
            printf("    SVM fold AUCs equal scikit-learn's; MLP CV AUC %.4f vs scikit-learn %.4f\n", r.auc_mean, mlp_ref);
            cv_result_free(&r);
            /* the fold pipeline with mRMR (top 3, MID, t = 1) against scaler + pymrmr + SVC */
            REQUIRE(fgets(line, sizeof line, f) && strncmp(line, "mrmr3auc ", 9) == 0);
            REQUIRE(parse_doubles(line + 9, want, 8) == k);
            prm.model = CV_SVM;
            prm.repeats = 1;
            prm.n_lo = prm.n_hi = 3;
            REQUIRE_OK(cv_classify(x, y, n, p, NULL, &prm, &r, &e), e);
            for (int t = 0; t < k; t++)
                CHECK_CLOSE(r.auc[t], want[t], 1e-12, 0);
            cv_result_free(&r);
            nauc++;
        }
    }
    fclose(f);
    CHECK_INT(nfolds, 5);
    CHECK_INT(nauc, 1);
}

TEST(cv_shuffled_folds_and_split)
{
    int y[53], fold[53], fold2[53];
    for (int i = 0; i < 53; i++)
        y[i] = (i * 7) % 5 < 2;
    struct sarc_err e = {0};
    REQUIRE_OK(stratified_kfold(y, 53, 5, 1, 42, 3, fold, &e), e);
    REQUIRE_OK(stratified_kfold(y, 53, 5, 1, 42, 3, fold2, &e), e);
    CHECK(memcmp(fold, fold2, sizeof fold) == 0);
    /* stratified: per fold, class counts differ by at most one from fold to fold */
    int cnt[5][2] = {{0}};
    for (int i = 0; i < 53; i++)
        cnt[fold[i]][y[i]]++;
    for (int c = 0; c < 2; c++) {
        int lo = 1000, hi = 0;
        for (int f = 0; f < 5; f++) {
            lo = cnt[f][c] < lo ? cnt[f][c] : lo;
            hi = cnt[f][c] > hi ? cnt[f][c] : hi;
        }
        CHECK(hi - lo <= 1);
    }
    REQUIRE_OK(stratified_kfold(y, 53, 5, 1, 42, 4, fold2, &e), e);
    CHECK(memcmp(fold, fold2, sizeof fold) != 0); /* another repeat, another assignment */
    REQUIRE_OK(stratified_split(y, 53, 0.25, 42, 0, fold, &e), e);
    int nt[2] = {0, 0}, nc[2] = {0, 0};
    for (int i = 0; i < 53; i++) {
        nc[y[i]]++;
        nt[y[i]] += fold[i] == 0;
    }
    CHECK_INT(nt[0], (int)floor(0.25 * nc[0] + 0.5));
    CHECK_INT(nt[1], (int)floor(0.25 * nc[1] + 0.5));
    CHECK(stratified_kfold(y, 53, 1, 0, 0, 0, fold, &e) == SARC_ERR_ARG);
    int y2[4] = {0, 0, 1, 1};
    CHECK(stratified_kfold(y2, 4, 5, 0, 0, 0, fold, &e) == SARC_ERR_ARG);
}

TEST(zscore_training_stats_only)
{
    const double x[8] = {1, 10, 3, 30, 5, 50, 100, -7};
    const int rows[3] = {0, 1, 2};
    double mean[2], sd[2], out[8];
    zscore_fit(x, 2, rows, 3, mean, sd);
    CHECK_CLOSE(mean[0], 3, 1e-15, 0);
    CHECK_CLOSE(sd[0], sqrt(8.0 / 3), 1e-15, 0);
    zscore_apply(x, 2, NULL, 4, mean, sd, out);
    CHECK_CLOSE(out[6], (100 - 3) / sqrt(8.0 / 3), 1e-14, 0); /* the test row does not move the stats */
}

/* a radiomics-like table from the RNG: 60 cases, 30 features, 4 informative, 1 constant, 1 with a gap */
static const char *write_table(void)
{
    const char *path = test_tmp("cls.csv");
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fprintf(f, "id");
    for (int j = 0; j < 30; j++)
        fprintf(f, ",f%d", j);
    fprintf(f, ",recurrence\n");
    for (int i = 0; i < 60; i++) {
        const int y = rng_uniform(9, 1, (uint64_t)i) < 0.4;
        fprintf(f, "case%02d", i);
        for (int j = 0; j < 30; j++) {
            double v = rng_normal(9, 2, (uint64_t)(i * 30 + j)) + (j < 4 ? 1.2 * y : 0);
            if (j == 10)
                v = 2.5;
            if (j == 11 && i == 7)
                fprintf(f, ",");
            else
                fprintf(f, ",%.10g", v);
        }
        fprintf(f, ",%d\n", y);
    }
    fclose(f);
    return path;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[3][65536];
    static int which;
    char *b = buf[which++ % 3];
    size_t n = fread(b, 1, 65535, f);
    b[n] = 0;
    fclose(f);
    return b;
}

TEST(classify_cli_deterministic)
{
    const char *in = write_table();
    REQUIRE(in);
    char cmd[2048], d1[512], d2[512];
    snprintf(d1, sizeof d1, "%s", test_tmp("cls1"));
    snprintf(d2, sizeof d2, "%s", test_tmp("cls2"));
    snprintf(cmd, sizeof cmd, "%s classify %s --label recurrence --model svm --folds 5 --repeats 3 --search 2:6 --seed 11 --threads 1 -o %s --audit none",
             test_sarc(), in, d1);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    CHECK(strstr(test_last_output(), "f10 (constant column)") != NULL);
    CHECK(strstr(test_last_output(), "f11 (missing values)") != NULL);
    CHECK(strstr(test_last_output(), "optimistic") != NULL);
    snprintf(cmd, sizeof cmd, "%s classify %s --label recurrence --model svm --folds 5 --repeats 3 --search 2:6 --seed 11 --threads 3 -o %s --audit none",
             test_sarc(), in, d2);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    const char *names[4] = {"auc.csv", "roc.csv", "search.csv", "summary.json"};
    for (int k = 0; k < 4; k++) {
        char p1[600], p2[600];
        snprintf(p1, sizeof p1, "%s/%s", d1, names[k]);
        snprintf(p2, sizeof p2, "%s/%s", d2, names[k]);
        const char *a = slurp(p1), *b = slurp(p2);
        CHECK_MSG(a && b && strcmp(a, b) == 0, "%s differs between 1 and 3 threads", names[k]);
    }
    char p[600];
    snprintf(p, sizeof p, "%s/auc.csv", d1);
    struct csv t;
    struct sarc_err e = {0};
    REQUIRE_OK(csv_read(&t, p, &e), e);
    CHECK_INT(t.nrows, 15);
    double mean = 0;
    for (int i = 0; i < t.nrows; i++) {
        double v;
        CHECK_OK(csv_num(&t, i, 2, &v, &e), e);
        mean += v / t.nrows;
    }
    CHECK_MSG(mean > 0.7, "mean AUC %.3f on a table with 4 informative features", mean);
    csv_free(&t);
    snprintf(p, sizeof p, "%s/summary.json", d1);
    const char *js = slurp(p);
    CHECK(js && strstr(js, "\"auc_ci95\"") && strstr(js, "\"warning\"") && strstr(js, "\"excluded_features\""));
    snprintf(p, sizeof p, "%s/roc.csv", d1);
    REQUIRE_OK(csv_read(&t, p, &e), e);
    CHECK_INT(t.nrows, 100);
    CHECK_STR(csv_cell(&t, 99, 1), "1");
    csv_free(&t);
}

TEST(classify_cli_nested_split_mlp_and_errors)
{
    const char *in = write_table();
    REQUIRE(in);
    char cmd[2048];
    const char *d = test_tmp("cls3");
    snprintf(cmd, sizeof cmd, "%s classify %s --label recurrence --model svm --folds 3 --repeats 1 --search 2:4 --nested -o %s --audit none",
             test_sarc(), in, d);
    CHECK_MSG(test_system(cmd) == 0, "%s", test_last_output());
    CHECK(strstr(test_last_output(), "optimistic") == NULL);
    snprintf(cmd, sizeof cmd, "%s classify %s --label recurrence --model svm --split 0.25 --repeats 4 --top 3 --corr 5 -o %s --audit none",
             test_sarc(), in, d);
    CHECK_MSG(test_system(cmd) == 0, "%s", test_last_output());
    char p[600];
    snprintf(p, sizeof p, "%s/auc.csv", d);
    struct csv t;
    struct sarc_err e = {0};
    REQUIRE_OK(csv_read(&t, p, &e), e);
    CHECK_INT(t.nrows, 4); /* one test part per repeat */
    csv_free(&t);
    snprintf(p, sizeof p, "%s/corr_spearman_recurrence1.csv", d);
    REQUIRE_OK(csv_read(&t, p, &e), e);
    CHECK_INT(t.nrows, 5);
    CHECK_INT(t.ncols, 6);
    CHECK_STR(csv_cell(&t, 2, 3), "1"); /* diagonal */
    CHECK_STR(t.header[1], csv_cell(&t, 0, 0));
    csv_free(&t);
    snprintf(p, sizeof p, "%s/summary.json", d);
    FILE *jf = fopen(p, "r");
    REQUIRE(jf);
    static char js[16384];
    js[fread(js, 1, sizeof js - 1, jf)] = 0;
    fclose(jf);
    CHECK(strstr(js, "\"features\": [") != NULL);
    CHECK(strstr(js, "\"f0\"") || strstr(js, "\"f1\"") || strstr(js, "\"f2\"") || strstr(js, "\"f3\""));
    snprintf(cmd, sizeof cmd, "%s classify %s --label recurrence --model mlp --folds 3 --repeats 1 --top 4 --hidden 8,4 --solver sgd --epochs 30 -o %s --audit none",
             test_sarc(), in, d);
    CHECK_MSG(test_system(cmd) == 0, "%s", test_last_output());
    snprintf(cmd, sizeof cmd, "%s classify %s --label nope --model svm -o %s --audit none", test_sarc(), in, d);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s classify %s --label recurrence --model tree -o %s --audit none", test_sarc(), in, d);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s classify %s --label recurrence --model svm --folds 500 -o %s --audit none", test_sarc(), in, d);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s classify %s --label recurrence --model svm --search 5:2 -o %s --audit none", test_sarc(), in, d);
    CHECK_INT(test_system(cmd), 2);
}
