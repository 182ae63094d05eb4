/* test_segmetrics.c - nn/segmetrics.c: every metric against scikit-learn on fixed arrays
 * (test/golden/unet/metrics.txt from test/oracles/unet_metrics.py), the threshold rule on a
 * hand-computed example and on the goldens, largest 26-connected component on hand-made masks. */
#include <stdlib.h>
#include <string.h>

#include "nn/segmetrics.h"
#include "test/harness.h"

static int read_tokens(FILE *f, const char *tag, int n, double *out)
{
    char word[64];
    if (fscanf(f, "%63s", word) != 1 || strcmp(word, tag) != 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (fscanf(f, "%lf", &out[i]) != 1)
            return -1;
    return 0;
}

TEST(segmetrics_sklearn_golden)
{
    FILE *f = fopen("test/golden/unet/metrics.txt", "r");
    REQUIRE_MSG(f, "cannot open test/golden/unet/metrics.txt");
    char line[512];
    REQUIRE(fgets(line, sizeof line, f) && line[0] == '#');
    int cases = 0, n;
    char word[64];
    while (fscanf(f, "%63s %d", word, &n) == 2) {
        REQUIRE(!strcmp(word, "case") && n > 0 && n < 10000);
        double *p = malloc(sizeof(double) * n), *t = malloc(sizeof(double) * n), *q = malloc(sizeof(double) * n);
        float *pf = malloc(sizeof(float) * n);
        uint8_t *lab = malloc((size_t)n), *pred = malloc((size_t)n);
        REQUIRE(p && t && q && pf && lab && pred);
        REQUIRE(read_tokens(f, "prob", n, p) == 0 && read_tokens(f, "label", n, t) == 0 && read_tokens(f, "pred", n, q) == 0);
        for (int i = 0; i < n; i++) {
            pf[i] = (float)p[i];
            lab[i] = (uint8_t)t[i];
            pred[i] = (uint8_t)q[i];
        }
        double want[7];
        const char *names[7] = {"accuracy", "precision", "recall", "auc", "dice", "jaccard", "threshold"};
        for (int k = 0; k < 7; k++)
            REQUIRE(read_tokens(f, names[k], 1, &want[k]) == 0);
        struct seg_metrics m;
        struct sarc_err e = {0};
        REQUIRE_OK(seg_metrics_compute(pred, lab, pf, n, 0.5, &m, &e), e);
        CHECK_CLOSE(m.accuracy, want[0], 1e-12, 0);
        CHECK_CLOSE(m.precision, want[1], 1e-12, 0);
        CHECK_CLOSE(m.recall, want[2], 1e-12, 0);
        CHECK_CLOSE(m.auc, want[3], 1e-12, 0);
        CHECK_CLOSE(m.dice, want[4], 1e-12, 0);
        CHECK_CLOSE(m.jaccard, want[5], 1e-12, 0);
        CHECK_CLOSE(m.volume_pred_mm3, 0.5 * (double)(m.tp + m.fp), 1e-15, 0);
        double thr;
        REQUIRE_OK(seg_threshold_pr(pf, lab, n, &thr, &e), e);
        CHECK_CLOSE(thr, want[6], 1e-7, 0); /* both are the same float32 value */
        free(p), free(t), free(q), free(pf), free(lab), free(pred);
        cases++;
    }
    fclose(f);
    CHECK_INT(cases, 4);
}

TEST(segmetrics_threshold_hand_example)
{
    /* positives 0.35, 0.8; negatives 0.1, 0.4. t = 0.35: P 2/3, R 1; t = 0.4: P 1/2, R 1/2;
     * t = 0.8: P 1, R 1/2. |P - R| is smallest (0) at 0.4. */
    const float s[4] = {0.1f, 0.4f, 0.35f, 0.8f};
    const uint8_t l[4] = {0, 0, 1, 1};
    double thr;
    struct sarc_err e = {0};
    REQUIRE_OK(seg_threshold_pr(s, l, 4, &thr, &e), e);
    CHECK(thr == 0.4f);
    const uint8_t none[4] = {0, 0, 0, 0};
    CHECK(seg_threshold_pr(s, none, 4, &thr, &e) == SARC_ERR_RANGE);
    double auc;
    REQUIRE_OK(seg_auc(s, l, 4, &auc, &e), e);
    CHECK_CLOSE(auc, 0.75, 1e-15, 0);
    REQUIRE_OK(seg_auc(s, none, 4, &auc, &e), e);
    CHECK(isnan(auc));
}

TEST(segmetrics_empty_masks)
{
    const uint8_t z[5] = {0};
    struct seg_metrics m;
    struct sarc_err e = {0};
    REQUIRE_OK(seg_metrics_compute(z, z, NULL, 5, 1.0, &m, &e), e);
    CHECK(m.dice == 1.0 && m.jaccard == 1.0 && m.accuracy == 1.0 && m.precision == 0.0);
    CHECK(isnan(m.auc));
}

TEST(segmetrics_largest_component_26)
{
    /* 5 x 4 x 3 (x fastest): A = 3 voxels joined only through corners (26-connected), B = 4
     * voxels face-joined but smaller than A + the corner chain; ties go to the first in scan order */
    const int64_t dim[3] = {5, 4, 3};
    uint8_t m[60] = {0};
#define AT(x, y, z) m[((z) * 4 + (y)) * 5 + (x)]
    AT(0, 0, 0) = 1, AT(1, 1, 1) = 1, AT(2, 2, 2) = 1, AT(3, 3, 1) = 1, AT(4, 2, 0) = 1; /* corner chain of 5 */
    AT(4, 0, 2) = 1, AT(3, 0, 2) = 1, AT(4, 0, 1) = 1;                                   /* 3 face-joined */
    struct sarc_err e = {0};
    REQUIRE_OK(seg_keep_largest(m, dim, &e), e);
    int count = 0;
    for (int i = 0; i < 60; i++)
        count += m[i];
    CHECK_INT(count, 5);
    CHECK(AT(2, 2, 2) == 1 && AT(4, 0, 2) == 0);
    /* two equal components: the first in scan order stays */
    memset(m, 0, sizeof m);
    AT(0, 0, 0) = 1, AT(1, 0, 0) = 1;
    AT(3, 3, 2) = 1, AT(4, 3, 2) = 1;
    REQUIRE_OK(seg_keep_largest(m, dim, &e), e);
    CHECK(AT(0, 0, 0) == 1 && AT(1, 0, 0) == 1 && AT(3, 3, 2) == 0 && AT(4, 3, 2) == 0);
    /* empty mask stays empty */
    memset(m, 0, sizeof m);
    REQUIRE_OK(seg_keep_largest(m, dim, &e), e);
    count = 0;
    for (int i = 0; i < 60; i++)
        count += m[i];
    CHECK_INT(count, 0);
#undef AT
}
