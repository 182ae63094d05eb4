/* test_growcut.c - GrowCut (image/growcut.c): a phantom tumour segmented from seed scribbles
 * (Dice against the truth >= 0.85, issue 8), hand-made cases with a known answer, thread-count
 * independence, and bad seeds. */
#include <math.h>
#include <stdlib.h>

#include "image/growcut.h"
#include "test/harness.h"
#include "test/image/image_testutil.h"
#include "vendor/pool.h"

/* A 56 x 52 x 24 leg-like phantom (0.2 x 0.2 x 0.6 mm): muscle 100, an ellipsoidal tumour 135
 * with a darker necrotic core 115, fat rim 160, air 5, uniform noise +-18 and a mild bias. */
static void gc_phantom(struct volume *v, uint8_t *truth, uint8_t *seeds)
{
    const int64_t dim[4] = {56, 52, 24, 1};
    struct sarc_err e = {0};
    volume_alloc(v, 3, dim, &e);
    const double sp[3] = {0.2, 0.2, 0.6};
    volume_set_spacing(v, sp, NULL);
    for (int k = 0; k < 24; k++)
        for (int j = 0; j < 52; j++)
            for (int i = 0; i < 56; i++) {
                const int64_t idx = i + 56 * (j + 52 * (int64_t)k);
                const double x = (i - 27.5) * 0.2, y = (j - 25.5) * 0.2, z = (k - 11.5) * 0.6;
                const double rb = (x / 5.2) * (x / 5.2) + (y / 4.8) * (y / 4.8);
                const double rt = ((x - 0.8) / 2.2) * ((x - 0.8) / 2.2) + ((y + 0.3) / 1.8) * ((y + 0.3) / 1.8) +
                                  (z / 3.6) * (z / 3.6);
                double val = rb < 1 ? (rb > 0.8 ? 160 : 100) : 5;
                truth[idx] = rb < 1 && rt < 1;
                if (truth[idx])
                    val = rt < 0.25 ? 115 : 135;
                val += 36 * (img_hash01((uint64_t)idx, 31) - 0.5);
                v->data[idx] = val * (1 + 0.1 * x / 5.2);
                /* scribbles: a tumour stroke along x through the centre on the middle slices,
                 * background strokes: a ring in muscle around the tumour and the image border */
                seeds[idx] = 0;
                if (k >= 9 && k <= 14 && j == 24 && fabs(x - 0.8) < 1.2)
                    seeds[idx] = 1;
                const double rr = ((x - 0.8) / 3.4) * ((x - 0.8) / 3.4) + ((y + 0.3) / 3.0) * ((y + 0.3) / 3.0);
                if ((k == 11 || k == 3 || k == 20) && fabs(rr - 1.0) < 0.08 && rb < 0.8)
                    seeds[idx] = 2;
                if (i == 0 || j == 0 || k == 0 || k == 23)
                    seeds[idx] = 2;
            }
}

TEST(image_growcut_phantom_dice)
{
    const int64_t n = 56 * 52 * 24;
    struct volume v;
    uint8_t *truth = malloc((size_t)n), *seeds = malloc((size_t)n), *lab = malloc((size_t)n), *lab1 = malloc((size_t)n);
    gc_phantom(&v, truth, seeds);
    struct sarc_err e = {0};
    int its = 0;
    pool_set_default_threads(3);
    REQUIRE_OK(growcut_segment(&v, seeds, 0, lab, &its, &e), e);
    int64_t inter = 0, a = 0, b = 0;
    for (int64_t i = 0; i < n; i++) {
        inter += (lab[i] == 1) && truth[i];
        a += lab[i] == 1;
        b += truth[i];
    }
    const double dice = 2.0 * (double)inter / (double)(a + b);
    CHECK_MSG(dice >= 0.85, "GrowCut Dice %.4f < 0.85 (%lld vs %lld voxels)", dice, (long long)a, (long long)b);
    printf("    growcut phantom: Dice %.4f in %d steps\n", dice, its);
    /* same labels with one thread */
    pool_set_default_threads(1);
    CHECK_OK(growcut_segment(&v, seeds, 0, lab1, NULL, &e), e);
    pool_set_default_threads(0);
    CHECK(memcmp(lab, lab1, (size_t)n) == 0);
    volume_free(&v);
    free(truth), free(seeds), free(lab), free(lab1);
}

TEST(image_growcut_hand_cases)
{
    /* a 1-D step edge: 10 voxels of 10 then 10 of 50; seeds at both ends: the edge splits them */
    const int64_t dim[4] = {20, 1, 1, 1};
    struct volume v;
    struct sarc_err e = {0};
    REQUIRE_OK(volume_alloc(&v, 3, dim, &e), e);
    uint8_t seeds[20] = {0}, lab[20];
    for (int i = 0; i < 20; i++)
        v.data[i] = i < 10 ? 10 : 50;
    seeds[0] = 1;
    seeds[19] = 2;
    int its;
    REQUIRE_OK(growcut_segment(&v, seeds, 0, lab, &its, &e), e);
    for (int i = 0; i < 20; i++)
        CHECK_INT(lab[i], i < 10 ? 1 : 2);
    /* uniform image, seeds at 2 and 15: the middle splits at equal strength (first come) */
    for (int i = 0; i < 20; i++)
        v.data[i] = 7;
    memset(seeds, 0, sizeof seeds);
    seeds[2] = 1;
    seeds[15] = 2;
    REQUIRE_OK(growcut_segment(&v, seeds, 0, lab, &its, &e), e);
    CHECK_INT(lab[0], 1);
    CHECK_INT(lab[8], 1);
    CHECK_INT(lab[9], 2);
    CHECK_INT(lab[19], 2);
    /* a capped run stops early */
    REQUIRE_OK(growcut_segment(&v, seeds, 2, lab, &its, &e), e);
    CHECK_INT(its, 2);
    CHECK_INT(lab[19], 0);
    /* bad seeds */
    seeds[5] = 3;
    CHECK(growcut_segment(&v, seeds, 0, lab, &its, &e) == SARC_ERR_ARG);
    CHECK(strstr(e.msg, "seed value 3") != NULL);
    memset(seeds, 0, sizeof seeds);
    seeds[4] = 1;
    CHECK(growcut_segment(&v, seeds, 0, lab, &its, &e) == SARC_ERR_ARG);
    volume_free(&v);
}
