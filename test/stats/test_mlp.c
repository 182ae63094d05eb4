/* test_mlp.c - stats/mlp.c: the analytic gradient against central finite differences in double
 * (ReLU kinks avoided by tiny steps on random inputs), learning a separable problem with Adam and
 * SGD, bit-identical retraining for a seed, errors; and `sarc svm` / `sarc mlp` end to end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "stats/mlp.h"
#include "stats/roc.h"
#include "test/harness.h"
#include "test/stats/stats_test_util.h"
#include "vendor/rng.h"

static void make_data(double *x, int *y, int n, int p, uint64_t seed)
{
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < p; j++) {
            x[i * p + j] = rng_normal(seed, 5, (uint64_t)(i * p + j));
            s += (j % 2 ? -1 : 1) * x[i * p + j];
        }
        y[i] = s > 0.3;
    }
}

TEST(mlp_gradient_finite_differences)
{
    enum { N = 7, P = 5 };
    double x[N * P];
    int y[N];
    make_data(x, y, N, P, 3);
    struct mlp_param prm;
    mlp_param_default(&prm);
    prm.hidden[0] = 6;
    prm.hidden[1] = 4;
    prm.epochs = 1;
    prm.alpha = 0.01;
    struct mlp_model m;
    struct sarc_err e = {0};
    REQUIRE_OK(mlp_train(x, y, N, P, &prm, &m, &e), e);
    double *g = malloc(sizeof(double) * m.nparams), *scratch = malloc(sizeof(double) * mlp_scratch_size(&m, N));
    REQUIRE(g && scratch);
    mlp_loss_grad(&m, x, y, NULL, N, prm.alpha, g, scratch);
    double worst = 0;
    /* the loss function writes the gradient; use a second buffer for the probes */
    double *g2 = malloc(sizeof(double) * m.nparams);
    REQUIRE(g2);
    for (long k = 0; k < m.nparams; k++) {
        const double w0 = m.w[k], h = 1e-6;
        m.w[k] = w0 + h;
        const double lp = mlp_loss_grad(&m, x, y, NULL, N, prm.alpha, g2, scratch);
        m.w[k] = w0 - h;
        const double lm = mlp_loss_grad(&m, x, y, NULL, N, prm.alpha, g2, scratch);
        m.w[k] = w0;
        const double fd = (lp - lm) / (2 * h);
        const double err = fabs(fd - g[k]) / fmax(1e-4, fabs(g[k]));
        if (err > worst)
            worst = err;
        /* 1e-5: central differences in double with h = 1e-6 (truncation ~h^2, rounding ~1e-10/h) */
        CHECK_MSG(err < 1e-5, "param %ld: analytic %.10g, finite difference %.10g", k, g[k], fd);
    }
    printf("    %ld parameters, worst relative error %.1e\n", m.nparams, worst);
    free(g);
    free(g2);
    free(scratch);
    mlp_free(&m);
}

TEST(mlp_learns_and_is_deterministic)
{
    enum { N = 200, T = 200, P = 6 };
    static double x[N * P], xt[T * P], pr[T];
    static int y[N], yt[T];
    make_data(x, y, N, P, 1);
    make_data(xt, yt, T, P, 2);
    for (int s = 0; s < 2; s++) {
        struct mlp_param prm;
        mlp_param_default(&prm);
        prm.solver = s ? MLP_SGD : MLP_ADAM;
        prm.lr = s ? 0.01 : 0.01;
        prm.epochs = 150;
        struct mlp_model m, m2;
        struct sarc_err e = {0};
        REQUIRE_OK(mlp_train(x, y, N, P, &prm, &m, &e), e);
        REQUIRE_OK(mlp_train(x, y, N, P, &prm, &m2, &e), e);
        CHECK(memcmp(m.w, m2.w, sizeof(double) * m.nparams) == 0);
        for (int i = 0; i < T; i++)
            pr[i] = mlp_predict(&m, xt + i * P);
        const double auc = roc_auc(pr, yt, T);
        CHECK_MSG(auc > 0.9, "%s: held-out AUC %.3f", s ? "sgd" : "adam", auc);
        prm.early_stopping = 1;
        struct mlp_model m3;
        REQUIRE_OK(mlp_train(x, y, N, P, &prm, &m3, &e), e);
        CHECK(m3.epochs_run >= 1);
        mlp_free(&m);
        mlp_free(&m2);
        mlp_free(&m3);
    }
    struct mlp_param prm;
    mlp_param_default(&prm);
    CHECK_INT(mlp_parse_hidden("50,25", &prm), 0);
    CHECK_INT(prm.nhidden, 2);
    CHECK(mlp_parse_hidden("50,,25", &prm) < 0);
    CHECK(mlp_parse_hidden("0", &prm) < 0);
    CHECK(mlp_parse_hidden("1,2,3,4,5", &prm) < 0);
    int y1[4] = {1, 1, 1, 1};
    struct mlp_model m;
    struct sarc_err e = {0};
    CHECK(mlp_train(x, y1, 4, P, &prm, &m, &e) == SARC_ERR_ARG);
}

static const char *write_split(const char *name, int n0, int n, uint64_t seed, int with_label)
{
    const char *path = test_tmp(name);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fprintf(f, "id,a,b,c%s\n", with_label ? ",y" : "");
    for (int i = n0; i < n0 + n; i++) {
        const double a = rng_normal(seed, 1, (uint64_t)i), b = rng_normal(seed, 2, (uint64_t)i);
        fprintf(f, "s%d,%.12g,%.12g,%.12g", i, a, b, rng_normal(seed, 3, (uint64_t)i));
        if (with_label)
            fprintf(f, ",%d", a + b > 0);
        fprintf(f, "\n");
    }
    fclose(f);
    return path;
}

TEST(svm_mlp_cli)
{
    char tr[512], te[512];
    snprintf(tr, sizeof tr, "%s", write_split("svm_tr.csv", 0, 60, 4, 1));
    snprintf(te, sizeof te, "%s", write_split("svm_te.csv", 60, 20, 4, 0));
    const char *out = test_tmp("pred.csv");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s svm --train %s --test %s --label y --kernel rbf --C 5 --gamma 0.5 --seed 3 -o %s --audit none",
             test_sarc(), tr, te, out);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    struct csv t;
    struct sarc_err e = {0};
    REQUIRE_OK(csv_read(&t, out, &e), e);
    CHECK_INT(t.ncols, 4);
    CHECK_STR(t.header[1], "decision");
    CHECK_INT(t.nrows, 20);
    for (int i = 0; i < t.nrows; i++) {
        double d, p, c;
        CHECK_OK(csv_num(&t, i, 1, &d, &e), e);
        CHECK_OK(csv_num(&t, i, 2, &p, &e), e);
        CHECK_OK(csv_num(&t, i, 3, &c, &e), e);
        CHECK(p > 0 && p < 1);
        CHECK((d > 0) == (c == 1));
    }
    csv_free(&t);
    snprintf(cmd, sizeof cmd, "%s mlp --train %s --test %s --label y --scale --epochs 50 -o %s --audit none", test_sarc(), tr, te,
             out);
    REQUIRE_MSG(test_system(cmd) == 0, "%s", test_last_output());
    REQUIRE_OK(csv_read(&t, out, &e), e);
    CHECK_STR(t.header[1], "probability");
    CHECK_INT(t.nrows, 20);
    csv_free(&t);
    /* bad input: test table lacking a feature, missing training value, bad option */
    const char *bad = test_tmp("svm_bad.csv");
    REQUIRE(text_file_write(bad, "id,a,b\nq1,1,2\n") == 0);
    snprintf(cmd, sizeof cmd, "%s svm --train %s --test %s --label y -o %s --audit none", test_sarc(), tr, bad, out);
    CHECK_INT(test_system(cmd), 2);
    CHECK(strstr(test_last_output(), "\"c\"") != NULL);
    REQUIRE(text_file_write(bad, "id,a,b,c,y\nq1,1,2,,1\nq2,1,3,4,0\n") == 0);
    snprintf(cmd, sizeof cmd, "%s svm --train %s --test %s --label y -o %s --audit none", test_sarc(), bad, te, out);
    CHECK_INT(test_system(cmd), 2);
    CHECK(strstr(test_last_output(), "q1") != NULL);
    snprintf(cmd, sizeof cmd, "%s svm --train %s --test %s --label y --C -1 -o %s --audit none", test_sarc(), tr, te, out);
    CHECK_INT(test_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s svm --train %s --test %s --label y --kernel poly -o %s --audit none", test_sarc(), tr, te, out);
    CHECK_INT(test_system(cmd), 2);
}
