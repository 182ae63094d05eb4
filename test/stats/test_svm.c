/* test_svm.c - stats/svm.c: decision values against scikit-learn SVC(tol=1e-8) on breast-cancer,
 * iris and random data (test/golden/stats/svm.txt from test/oracles/stats_svm.py) to 1e-6; Platt
 * probabilities (monotone, calibrated on held-out data, bit-reproducible for a seed); errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/roc.h"
#include "stats/svm.h"
#include "stats/table.h"
#include "test/harness.h"
#include "test/stats/stats_test_util.h"
#include "vendor/rng.h"

TEST(svm_decision_vs_sklearn)
{
    FILE *f = fopen("test/golden/stats/svm.txt", "r");
    REQUIRE_MSG(f, "cannot open test/golden/stats/svm.txt");
    static char line[16384];
    static double xtr[200 * 32], xte[100 * 32], want[100], row[64];
    static int ytr[200];
    int ntr = 0, nte = 0, p = 0, nfits = 0;
    char name[64] = "";
    double worst = 0;
    while (fgets(line, sizeof line, f)) {
        char kern[16];
        double C, gamma;
        if (sscanf(line, "data %63s %d %d %d", name, &ntr, &nte, &p) == 4) {
            REQUIRE(ntr <= 200 && nte <= 100 && p <= 32);
            for (int i = 0; i < ntr; i++) {
                REQUIRE(fgets(line, sizeof line, f) && parse_doubles(line, row, 64) == p + 1);
                ytr[i] = (int)row[0];
                memcpy(xtr + i * p, row + 1, sizeof(double) * p);
            }
            for (int i = 0; i < nte; i++)
                REQUIRE(fgets(line, sizeof line, f) && parse_doubles(line, xte + i * p, 64) == p);
        } else if (sscanf(line, "fit %15s %lf %lf", kern, &C, &gamma) == 3) {
            REQUIRE(fgets(line, sizeof line, f) && parse_doubles(line, want, 100) == nte);
            struct svm_param prm;
            svm_param_default(&prm);
            prm.kernel = strcmp(kern, "linear") == 0 ? SVM_LINEAR : SVM_RBF;
            prm.C = C;
            prm.gamma = gamma > 0 ? gamma : 1;
            prm.tol = 1e-8;
            struct svm_model m;
            struct sarc_err e = {0};
            REQUIRE_OK(svm_train(xtr, ytr, ntr, p, &prm, &m, &e), e);
            CHECK(!m.hit_max_iter);
            for (int i = 0; i < nte; i++) {
                const double d = svm_decision(&m, xte + i * p);
                const double err = fabs(d - want[i]);
                if (err > worst)
                    worst = err;
                CHECK_MSG(err <= 1e-6, "%s %s C=%g gamma=%g case %d: %.12g vs sklearn %.12g", name, kern, C, gamma, i, d,
                          want[i]);
            }
            svm_free(&m);
            nfits++;
        }
    }
    fclose(f);
    CHECK_INT(nfits, 7);
    printf("    %d fits, worst |decision - sklearn| %.1e\n", nfits, worst);
}

/* two Gaussian classes in 5-D from the counter-based RNG */
static void make_blobs(double *x, int *y, int n, int p, uint64_t seed, double shift)
{
    for (int i = 0; i < n; i++) {
        y[i] = i % 3 == 0;
        for (int j = 0; j < p; j++)
            x[i * p + j] = rng_normal(seed, 77, (uint64_t)(i * p + j)) + (y[i] ? shift : 0);
    }
}

TEST(svm_platt_probabilities)
{
    enum { N = 150, T = 300, P = 5 };
    static double x[N * P], xt[T * P], prob[T], dec[T];
    static int y[N], yt[T];
    make_blobs(x, y, N, P, 1, 1.0);
    make_blobs(xt, yt, T, P, 2, 1.0);
    struct svm_param prm;
    svm_param_default(&prm);
    prm.probability = 1;
    prm.gamma = 0.1;
    struct svm_model m, m2;
    struct sarc_err e = {0};
    REQUIRE_OK(svm_train(x, y, N, P, &prm, &m, &e), e);
    REQUIRE_OK(svm_train(x, y, N, P, &prm, &m2, &e), e);
    CHECK(m.has_prob);
    CHECK(m.prob_a < 0); /* larger decision value, larger P(class 1) */
    CHECK(memcmp(&m.prob_a, &m2.prob_a, sizeof(double)) == 0 && memcmp(&m.prob_b, &m2.prob_b, sizeof(double)) == 0);
    /* calibration on held-out data: mean predicted probability close to the observed rate, and
     * the Brier score better than the constant predictor's */
    double sp = 0, sy = 0, brier = 0, brier0 = 0;
    for (int i = 0; i < T; i++) {
        dec[i] = svm_decision(&m, xt + i * P);
        prob[i] = svm_probability(&m, dec[i]);
        CHECK(prob[i] > 0 && prob[i] < 1);
        sp += prob[i];
        sy += yt[i];
    }
    for (int i = 0; i < T; i++) {
        brier += (prob[i] - yt[i]) * (prob[i] - yt[i]);
        brier0 += (sy / T - yt[i]) * (sy / T - yt[i]);
    }
    CHECK_MSG(fabs(sp / T - sy / T) < 0.08, "mean prob %.3f vs rate %.3f", sp / T, sy / T);
    CHECK_MSG(brier < 0.8 * brier0, "Brier %.4f vs constant %.4f", brier / T, brier0 / T);
    CHECK(roc_auc(dec, yt, T) > 0.75);
    /* another seed gives another internal CV, hence (slightly) other A, B */
    prm.seed = 7;
    struct svm_model m3;
    REQUIRE_OK(svm_train(x, y, N, P, &prm, &m3, &e), e);
    CHECK(m3.prob_a != m.prob_a || m3.prob_b != m.prob_b);
    svm_free(&m);
    svm_free(&m2);
    svm_free(&m3);
}

TEST(svm_platt_fit_known)
{
    /* separable-ish toy: the fitted sigmoid puts P > 0.5 on the positive side */
    const double dec[8] = {-2, -1.5, -1, -0.2, 0.3, 1, 1.4, 2.2};
    const int y[8] = {0, 0, 0, 1, 0, 1, 1, 1};
    double a, b;
    platt_fit(dec, y, 8, &a, &b);
    CHECK(a < 0);
    CHECK(1 / (1 + exp(a * 2 + b)) > 0.8);
    CHECK(1 / (1 + exp(a * -2 + b)) < 0.2);
}

TEST(svm_errors)
{
    double x[6] = {0, 1, 2, 3, 4, 5};
    int y1[3] = {1, 1, 1}, y2[3] = {0, 1, 0};
    struct svm_param prm;
    svm_param_default(&prm);
    struct svm_model m;
    struct sarc_err e = {0};
    CHECK(svm_train(x, y1, 3, 2, &prm, &m, &e) == SARC_ERR_ARG);
    prm.C = -1;
    CHECK(svm_train(x, y2, 3, 2, &prm, &m, &e) == SARC_ERR_ARG);
    prm.C = 1;
    x[3] = NAN;
    CHECK(svm_train(x, y2, 3, 2, &prm, &m, &e) == SARC_ERR_ARG);
    x[3] = 3;
    REQUIRE_OK(svm_train(x, y2, 3, 2, &prm, &m, &e), e);
    CHECK(isnan(svm_probability(&m, 0.3)));
    svm_free(&m);
}

/* The training-set checks shared by svm_train and mlp_train (stats/table.c trainset_check). */
TEST(trainset_check_messages)
{
    double x[4] = {0, 1, NAN, 3}; /* (2 cases, 2 features) */
    int y[2] = {0, 1}, y1[2] = {1, 1};
    struct sarc_err e = {0};
    CHECK(trainset_check(x, y, 2, 2, &e) == SARC_ERR_ARG);
    CHECK_MSG(strstr(e.msg, "case 2, feature 1") != NULL, "message: %s", e.msg);
    x[2] = 2;
    CHECK_INT(trainset_check(x, y, 2, 2, &e), 0);
    CHECK(trainset_check(x, y1, 2, 2, &e) == SARC_ERR_ARG);
    CHECK_MSG(strstr(e.msg, "2 cases of class 1") != NULL, "message: %s", e.msg);
    CHECK(trainset_check(x, y, 1, 2, &e) == SARC_ERR_ARG);
    CHECK(trainset_check(x, y, 2, 0, &e) == SARC_ERR_ARG);
}
