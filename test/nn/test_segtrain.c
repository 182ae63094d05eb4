/* test_segtrain.c - nn/segtrain.c: the split by mouse (70/20/10, both timepoints together, seeded),
 * a tiny training run that lowers the loss, resume to bit-identical weights, and thread-count
 * bit identity of training. Uses tiny synthetic scans (test_seg_util.h). */
#include <stdlib.h>
#include <string.h>

#include "io/file.h"
#include "nn/segtrain.h"
#include "test/harness.h"
#include "test/nn/test_seg_util.h"
#include "vendor/pool.h"

TEST(segtrain_split_by_mouse)
{
    struct sarc_err e = {0};
    const char *csv = test_tmp("split.csv");
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "mouse,timepoint,T1,T1C,T2,label\n");
    for (int m = 0; m < 20; m++)
        for (int t = 0; t < 2; t++)
            n += snprintf(buf + n, sizeof buf - (size_t)n, "mouse%d,%s,,,a.nii.gz,%s\n", m, t ? "post" : "pre", m == 3 ? "" : "l.nii.gz");
    REQUIRE_OK(file_write_atomic(csv, buf, (size_t)n, &e), e);
    struct seg_cohort co;
    REQUIRE_OK(seg_cohort_read(csv, &co, &e), e);
    CHECK_INT(co.n, 40);
    CHECK(co.c[6].label == NULL && co.c[0].img[0] == NULL && co.c[0].img[2] != NULL);
    int set[40], set2[40], set3[40], cnt[3] = {0, 0, 0};
    REQUIRE_OK(seg_split_by_mouse(&co, 42, 0.7, 0.2, set, &e), e);
    for (int k = 0; k < 40; k += 2) {
        CHECK(set[k] == set[k + 1]); /* both timepoints of a mouse together */
        cnt[set[k]]++;
    }
    CHECK_INT(cnt[SET_TRAIN], 14);
    CHECK_INT(cnt[SET_VAL], 4);
    CHECK_INT(cnt[SET_TEST], 2);
    REQUIRE_OK(seg_split_by_mouse(&co, 42, 0.7, 0.2, set2, &e), e);
    CHECK(memcmp(set, set2, sizeof set) == 0);
    REQUIRE_OK(seg_split_by_mouse(&co, 43, 0.7, 0.2, set3, &e), e);
    CHECK(memcmp(set, set3, sizeof set) != 0);
    const char *paths[3];
    CHECK(seg_case_paths(&co, 0, CONTRAST_T1 | CONTRAST_T2, paths, &e) == SARC_ERR_FORMAT);
    CHECK_OK(seg_case_paths(&co, 0, CONTRAST_T2, paths, &e), e);
    seg_cohort_free(&co);
    /* bad cohorts */
    REQUIRE_OK(file_write_atomic(csv, "mouse,T2\nm1,a\n", 14, &e), e);
    CHECK(seg_cohort_read(csv, &co, &e) == SARC_ERR_FORMAT);
    CHECK(strstr(e.msg, "label") != NULL);
}

static void tiny_opts(struct seg_train_opts *o, const char *ckpt)
{
    memset(o, 0, sizeof *o);
    struct unet_arch a = {3, {3, 4, 4}, 1, {18, 18, 18}, 0.1f};
    o->arch = a;
    o->contrasts = CONTRAST_T1 | CONTRAST_T1C | CONTRAST_T2;
    o->loss = LOSS_BCE;
    o->epochs = 4;
    o->batch = 2;
    o->lr = 3e-3;
    o->seed = 11;
    o->oversample = 1.0;
    o->sampling = SAMPLE_CENTRED;
    o->patches_per_epoch = 4;
    o->tumour_frac = 0.7;
    o->val_patches = 2;
    o->threshold_patches = 2;
    o->preset = "test";
    o->ckpt_path = ckpt;
}

TEST(segtrain_resume_bit_identical)
{
    struct sarc_err e = {0};
    const char *csv = tseg_tiny_cohort("tinycohort");
    REQUIRE_MSG(csv, "could not write the tiny cohort");
    struct seg_cohort co;
    REQUIRE_OK(seg_cohort_read(csv, &co, &e), e);
    char ck1[4096], ck2[4096];
    snprintf(ck1, sizeof ck1, "%s", test_tmp("straight.ckpt"));
    snprintf(ck2, sizeof ck2, "%s", test_tmp("resumed.ckpt"));
    struct seg_train_opts o;
    struct seg_model a, b, c;
    tiny_opts(&o, ck1);
    REQUIRE_OK(seg_train(&co, &o, &a, &e), e);
    CHECK_INT(a.epochs, 4);
    CHECK(a.threshold > 0 && a.threshold < 1);
    /* 2 epochs, stop; then resume for the rest */
    tiny_opts(&o, ck2);
    o.stop_after = 2;
    REQUIRE_OK(seg_train(&co, &o, &b, &e), e);
    CHECK_INT(b.epochs, 2);
    model_free(&b);
    o.stop_after = 0;
    o.resume = 1;
    REQUIRE_OK(seg_train(&co, &o, &c, &e), e);
    CHECK_INT(c.epochs, 4);
    CHECK(a.params.n == c.params.n && memcmp(a.params.data, c.params.data, sizeof(float) * (size_t)a.params.n) == 0);
    CHECK(a.threshold == c.threshold);
    CHECK(a.best_val == c.best_val);
    /* the paper's grid sampling resumes identically too */
    model_free(&a);
    model_free(&c);
    tiny_opts(&o, ck1);
    o.sampling = SAMPLE_GRID;
    o.epochs = 2;
    REQUIRE_OK(seg_train(&co, &o, &a, &e), e);
    tiny_opts(&o, ck2);
    o.sampling = SAMPLE_GRID;
    o.epochs = 2;
    o.stop_after = 1;
    REQUIRE_OK(seg_train(&co, &o, &b, &e), e);
    model_free(&b);
    o.stop_after = 0;
    o.resume = 1;
    REQUIRE_OK(seg_train(&co, &o, &c, &e), e);
    CHECK(memcmp(a.params.data, c.params.data, sizeof(float) * (size_t)a.params.n) == 0);
    /* a checkpoint from other options is refused */
    o.lr = 1e-3;
    struct seg_model d;
    const int rcd = seg_train(&co, &o, &d, &e);
    CHECK_MSG(rcd == SARC_ERR_ARG, "rc %d: %s", rcd, e.msg);
    model_free(&a);
    model_free(&c);
    seg_cohort_free(&co);
}

TEST(segtrain_threads_and_losses)
{
    struct sarc_err e = {0};
    const char *csv = tseg_tiny_cohort("tinycohort");
    REQUIRE_MSG(csv, "could not write the tiny cohort");
    struct seg_cohort co;
    REQUIRE_OK(seg_cohort_read(csv, &co, &e), e);
    struct seg_train_opts o;
    struct seg_model a, b;
    tiny_opts(&o, NULL);
    o.epochs = 2;
    o.loss = LOSS_DICE;
    REQUIRE(pool_set_default_threads(1) == 0);
    REQUIRE_OK(seg_train(&co, &o, &a, &e), e);
    REQUIRE(pool_set_default_threads(3) == 0);
    REQUIRE_OK(seg_train(&co, &o, &b, &e), e);
    pool_set_default_threads(0);
    CHECK(memcmp(a.params.data, b.params.data, sizeof(float) * (size_t)a.params.n) == 0);
    model_free(&a);
    model_free(&b);
    o.loss = LOSS_SOFTDICE;
    o.arch.skip = 0;
    o.contrasts = CONTRAST_T2;
    o.arch.cin = 1;
    REQUIRE_OK(seg_train(&co, &o, &a, &e), e);
    CHECK(isfinite(a.best_val));
    model_free(&a);
    seg_cohort_free(&co);
}
