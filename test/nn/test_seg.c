/* test_seg.c - whole-scan inference (nn/seg_predict.c) and the sarc subcommands of the U-Net
 * (cmd/cmd_unet.c) end to end on tiny synthetic scans: padding of small scans, the rim, thread
 * counts, model init/export/import, segment, evaluate, train --preset with a tiny budget, and
 * bad input (exit 2 with "sarc: <file>: ..."). */
#include <stdlib.h>
#include <string.h>

#include "io/volio.h"
#include "nn/seg_predict.h"
#include "test/harness.h"
#include "test/nn/test_seg_util.h"
#include "vendor/pool.h"

TEST(seg_predict_padding_rim_threads)
{
    struct sarc_err e = {0};
    struct unet_arch a = {1, {2, 3, 3}, 1, {18, 18, 22}, 0.1f};
    struct seg_model m;
    REQUIRE_OK(model_init(&m, &a, CONTRAST_T2, 3, &e), e);
    /* 12 slices (< 18: padded), 30 rows, 40 columns */
    struct volume v;
    const int64_t d4[4] = {40, 30, 12, 1};
    REQUIRE_OK(volume_alloc(&v, 3, d4, &e), e);
    for (int64_t i = 0; i < volume_count(&v); i++)
        v.data[i] = (double)((i * 7919) % 101);
    const struct volume *vp = &v;
    struct seg_scan s;
    REQUIRE_OK(seg_scan_from_volumes(&s, &vp, 1, NULL, NULL, &e), e);
    CHECK(s.dim[0] == 12 && s.dim[1] == 30 && s.dim[2] == 40);
    const int64_t n = 12 * 30 * 40;
    float *p1 = malloc(sizeof(float) * n), *p3 = malloc(sizeof(float) * n);
    REQUIRE(p1 && p3);
    int64_t np;
    REQUIRE(pool_set_default_threads(1) == 0);
    REQUIRE_OK(seg_predict(&m, &s, p1, &np, &e), e);
    REQUIRE(pool_set_default_threads(3) == 0);
    REQUIRE_OK(seg_predict(&m, &s, p3, &np, &e), e);
    pool_set_default_threads(0);
    CHECK(memcmp(p1, p3, sizeof(float) * n) == 0);
    CHECK_INT(np, 1 * 2 * 3); /* D padded: 1; H 30: floor(30/16)+1 = 2; W 40: floor(40/20)+1 = 3 */
    /* rim (first/last row, column, first slice) is background; inside is a probability */
    int rim0 = 1, inside = 1;
    for (int64_t z = 0; z < 12; z++)
        for (int64_t y = 0; y < 30; y++)
            for (int64_t x = 0; x < 40; x++) {
                const float q = p1[(z * 30 + y) * 40 + x];
                if (z == 0 || y == 0 || x == 0 || y == 29 || x == 39)
                    rim0 &= q == 0.0f;
                else
                    inside &= q > 0.0f && q < 1.0f;
            }
    CHECK(rim0);
    CHECK(inside); /* slice 11 is covered: the padded patch's output reaches slice 16 */
    uint8_t *mask = malloc((size_t)n);
    REQUIRE(mask);
    REQUIRE_OK(seg_mask(p1, s.dim, 0.5, 1, mask, &e), e);
    free(mask);
    free(p1), free(p3);
    seg_scan_free(&s);
    volume_free(&v);
    model_free(&m);
}

TEST(seg_cli_model_segment_evaluate)
{
    char dir[600];
    static char cmd[65536];
    snprintf(dir, sizeof dir, "%s", test_tmp("segcli"));
    struct sarc_err e = {0};
    const int64_t dim[3] = {26, 24, 20};
    REQUIRE_OK(file_mkdirs(dir, &e), e);
    REQUIRE_OK(tseg_write_scan(dir, 1, 0, dim, &e), e);
    const char *S = test_sarc();
    /* model init / export / import round trip */
    snprintf(cmd, sizeof cmd, "%s model init -o %s/m.sarcnet --contrasts T2,T1 --preset quick --seed 4 --audit none && "
             "%s model export %s/m.sarcnet %s/w && %s model import %s/w -o %s/m2.sarcnet --audit none && "
             "%s model info %s/m.sarcnet && %s model info %s/m2.sarcnet", S, dir, S, dir, dir, S, dir, dir, S, dir, S, dir);
    REQUIRE_MSG(test_system(cmd) == 0, "model commands failed: %s", test_last_output());
    const char *out = test_last_output();
    const char *h1 = strstr(out, "weights_sha256: "), *h2 = h1 ? strstr(h1 + 1, "weights_sha256: ") : NULL;
    REQUIRE(h1 && h2);
    CHECK(strncmp(h1, h2, 80) == 0);
    CHECK(strstr(out, "contrasts: T1,T2") != NULL);
    /* segment with an extra contrast (ignored with a note), then evaluate against the label */
    snprintf(cmd, sizeof cmd, "%s segment --model %s/m.sarcnet --image T1=%s/m1_pre_T1.nii.gz --image T2=%s/m1_pre_T2.nii.gz "
             "--image T1C=%s/m1_pre_T1C.nii.gz -o %s/mask.nii.gz --prob %s/prob.nii.gz --threshold 0.5 --audit none",
             S, dir, dir, dir, dir, dir, dir);
    REQUIRE_MSG(test_system(cmd) == 0, "segment failed: %s", test_last_output());
    CHECK(strstr(test_last_output(), "does not use T1C") != NULL);
    struct volume pm;
    REQUIRE_OK(volume_read(test_tmp("segcli/prob.nii.gz"), NULL, &pm, &e), e);
    CHECK(pm.dim[0] == 26 && pm.dim[1] == 24 && pm.dim[2] == 20 && pm.type == VT_F32);
    CHECK(pm.data[0] == 0.0 && pm.data[(5 * 24 + 5) * 26 + 5] > 0.0);
    volume_free(&pm);
    snprintf(cmd, sizeof cmd, "%s evaluate %s/mask.nii.gz %s/m1_pre_label.nii.gz --prob %s/prob.nii.gz --audit none", S, dir, dir, dir);
    REQUIRE_MSG(test_system(cmd) == 0, "evaluate failed: %s", test_last_output());
    out = test_last_output();
    const char *names[8] = {"accuracy=", "precision=", "recall=", "auc=", "dice=", "jaccard=", "volume_pred_mm3=", "volume_label_mm3="};
    for (int i = 0; i < 8; i++)
        CHECK_MSG(strstr(out, names[i]) != NULL, "no %s in %s", names[i], out);
    /* the label against itself: dice 1, volume = voxels * 0.02 mm3 */
    snprintf(cmd, sizeof cmd, "%s evaluate %s/m1_pre_label.nii.gz %s/m1_pre_label.nii.gz --json --audit none", S, dir, dir);
    REQUIRE_MSG(test_system(cmd) == 0, "evaluate failed: %s", test_last_output());
    CHECK(strstr(test_last_output(), "\"dice\":1") != NULL);
    /* bad input: missing contrast, other grid, corrupt model, bad option */
    snprintf(cmd, sizeof cmd, "%s segment --model %s/m.sarcnet --image T2=%s/m1_pre_T2.nii.gz -o %s/x.nii.gz --audit none", S, dir, dir, dir);
    CHECK(test_system(cmd) == 2 && strstr(test_last_output(), "--image T1=") != NULL);
    REQUIRE_OK(tseg_write_scan(dir, 2, 1, (const int64_t[3]){20, 24, 20}, &e), e);
    snprintf(cmd, sizeof cmd, "%s evaluate %s/mask.nii.gz %s/m2_post_label.nii.gz --audit none", S, dir, dir);
    CHECK(test_system(cmd) == 2 && strstr(test_last_output(), "sarc: ") != NULL);
    snprintf(cmd, sizeof cmd, "head -c 300 %s/m.sarcnet > %s/bad.sarcnet && %s segment --model %s/bad.sarcnet --image T2=%s/m1_pre_T2.nii.gz -o %s/x.nii.gz --audit none",
             dir, dir, S, dir, dir, dir);
    CHECK(test_system(cmd) == 2 && strstr(test_last_output(), "bad.sarcnet") != NULL);
    snprintf(cmd, sizeof cmd, "%s train %s/none.csv -o %s/t.sarcnet --loss hinge --audit none", S, dir, dir);
    CHECK(test_system(cmd) == 2 && strstr(test_last_output(), "--loss") != NULL);
    snprintf(cmd, sizeof cmd, "ls %s/x.nii.gz", dir);
    CHECK(test_system(cmd) != 0); /* no half output */
}

TEST(seg_cli_train_tiny)
{
    char dir[600];
    static char cmd[65536];
    snprintf(dir, sizeof dir, "%s", test_tmp("segtrain_cli"));
    struct sarc_err e = {0};
    const int64_t dim[3] = {26, 24, 20};
    REQUIRE_OK(tseg_write_cohort(dir, 6, dim, &e), e);
    const char *S = test_sarc();
    snprintf(cmd, sizeof cmd, "%s train %s/cohort.csv -o %s/q.sarcnet --preset quick --epochs 1 --batch 2 --patches-per-epoch 4 --filters 2,3,3 --patch 18,18,18 --contrasts T2 --max-test 1 --seed 3 --audit none",
             S, dir, dir);
    REQUIRE_MSG(test_system(cmd) == 0, "train failed: %s", test_last_output());
    CHECK(strstr(test_last_output(), "test_dice_mean=") != NULL);
    snprintf(cmd, sizeof cmd, "cat %s/q.sarcnet.log.csv && %s model info %s/q.sarcnet", dir, S, dir);
    REQUIRE(test_system(cmd) == 0);
    CHECK(strstr(test_last_output(), "epoch,loss,val_loss,val_dice,seconds") != NULL);
    CHECK(strstr(test_last_output(), "preset=quick") != NULL);
    /* resume from the command line: 2 epochs straight = 1 epoch, stop, --resume */
    const char *opts = "--preset quick --epochs 2 --batch 2 --patches-per-epoch 4 --filters 2,3,3 --patch 18,18,18 --contrasts T2 "
                       "--max-test 0 --seed 3 --audit none";
    snprintf(cmd, sizeof cmd, "%s train %s/cohort.csv -o %s/a.sarcnet %s && %s train %s/cohort.csv -o %s/b.sarcnet %s --stop-after 1 && "
             "test ! -e %s/b.sarcnet && %s train %s/cohort.csv -o %s/b.sarcnet %s --resume && %s model info %s/a.sarcnet && %s model info %s/b.sarcnet",
             S, dir, dir, opts, S, dir, dir, opts, dir, S, dir, dir, opts, S, dir, S, dir);
    REQUIRE_MSG(test_system(cmd) == 0, "train/resume failed: %s", test_last_output());
    const char *out = test_last_output();
    const char *h1 = strstr(out, "weights_sha256: "), *h2 = h1 ? strstr(h1 + 1, "weights_sha256: ") : NULL;
    REQUIRE(h1 && h2);
    CHECK(strncmp(h1, h2, 80) == 0);
}

TEST(seg_working_grid_blocks_and_back)
{
    struct sarc_err e = {0};
    /* 41 x 30 x 12 at 0.1 x 0.1 x 0.3 mm, working spacing 0.2 x 0.2 x native: blocks 2 x 2 x 1 */
    struct volume v, l;
    const int64_t d4[4] = {41, 30, 12, 1};
    REQUIRE_OK(volume_alloc(&v, 3, d4, &e), e);
    REQUIRE_OK(volume_alloc(&l, 3, d4, &e), e);
    const double sp[3] = {0.1, 0.1, 0.3};
    volume_set_spacing(&v, sp, NULL);
    volume_set_spacing(&l, sp, NULL);
    for (int64_t i = 0; i < volume_count(&v); i++) {
        v.data[i] = (double)(i % 41); /* x */
        l.data[i] = (i % 41) < 3 && (i / 41) % 30 < 1 ? 1.0 : 0.0; /* x 0..2 of row y 0 */
    }
    const struct volume *vp = &v;
    const double ws[3] = {0.2, 0.2, 0};
    struct seg_scan s;
    REQUIRE_OK(seg_scan_from_volumes(&s, &vp, 1, &l, ws, &e), e);
    CHECK(s.factor[0] == 1 && s.factor[1] == 2 && s.factor[2] == 2);
    CHECK(s.dim[0] == 12 && s.dim[1] == 15 && s.dim[2] == 21 && s.fdim[2] == 41);
    /* block means of x: 0.5, 2.5, ..., 38.5, and 40 for the last (partial) block, then z-scored:
     * the order is kept and neighbours differ by a constant step */
    CHECK(s.x[1] > s.x[0] && fabs((s.x[2] - s.x[1]) - (s.x[1] - s.x[0])) < 1e-5);
    CHECK(s.label[0] == 1 && s.label[1] == 0 && s.label[21] == 0); /* blocks with 2 of 4 and 1 of 4 tumour voxels */
    CHECK(seg_scan_full_label(&s)[2] == 1 && seg_scan_full_label(&s)[3] == 0);
    struct unet_arch a = {1, {2, 2, 2}, 1, {18, 18, 18}, 0.1f};
    struct seg_model m;
    REQUIRE_OK(model_init(&m, &a, CONTRAST_T2, 3, &e), e);
    memcpy(m.spacing, ws, sizeof ws);
    float *prob = malloc(sizeof(float) * (size_t)volume_count(&v));
    REQUIRE(prob);
    int64_t np;
    REQUIRE_OK(seg_predict(&m, &s, prob, &np, &e), e);
    int ok = 1;
    for (int64_t i = 0; i < volume_count(&v); i++)
        ok &= prob[i] >= 0.0f && prob[i] <= 1.0f;
    CHECK(ok);
    free(prob);
    model_free(&m);
    seg_scan_free(&s);
    volume_free(&v);
    volume_free(&l);
}
