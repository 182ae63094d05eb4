/* test_cuda_wiring.c - the wiring of `sarc train` / `sarc kfold` / `sarc segment` to the device
 * U-Net (nn/segtrain.c, nn/seg_predict.c, cmd/cmd_unet.c), proven without a GPU.
 *
 * In CPU-only builds (CUDA=0 and every SAN=1 build) test_cuda_graph.c compiles
 * nn/cuda_backend.c on host stand-ins of every launcher as fake_cuda_unet_ops; here that table is
 * handed to seg_train and seg_predict_on as the device. The device path (batched forward, host
 * loss and logit gradient, batched backward, device Adam, state copied back after each epoch,
 * batched validation/threshold/inference) must then give what the CPU path gives: per-epoch
 * training and validation losses to 1e-6 relative, final weights to 1e-5 relative L2 and the
 * threshold to 1e-4, probability maps to 1e-5 absolute. Tolerances: the stand-in convolutions
 * sum in double, nn/unet.c's in float, so logits differ in the last bits; measured on this
 * cohort: losses 3e-10..7e-9 relative, weights 4e-8..9e-8 relative L2 after 8 Adam steps,
 * probabilities 5e-7; the bounds leave two orders of margin, while any wiring error (a wrong
 * dropout key, batch slot, loss term or Adam state) moves them by 1e-3 or more. Run to run, and
 * straight versus stopped-and-resumed, the device path must be bit-identical.
 * In CUDA builds the real launchers are linked, so those cases SKIP (test/gpu/check.sh runs the
 * same comparison on a GPU through the sarc binary).
 * The command-line cases run in every build: --device cuda / --tf32 refused by CPU-only builds,
 * --device cuda without a GPU refused by CUDA builds, --device auto falling back to the CPU with
 * a note, --device cpu --tf32 refused, and the audit trail naming the device used. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/file.h"
#include "nn/device.h"
#include "nn/seg_predict.h"
#include "nn/segtrain.h"
#include "test/harness.h"
#include "test/nn/test_seg_util.h"

#ifndef SARC_CUDA

extern const struct unet_dev_ops fake_cuda_unet_ops;

static void wiring_opts(struct seg_train_opts *o, const char *ckpt, const char *log)
{
    memset(o, 0, sizeof *o);
    struct unet_arch a = {3, {3, 4, 4}, 1, {18, 18, 18}, 0.1f};
    o->arch = a;
    o->contrasts = CONTRAST_T1 | CONTRAST_T1C | CONTRAST_T2;
    o->loss = LOSS_BCE;
    o->epochs = 4;
    o->batch = 2;
    o->lr = 3e-3;
    o->lr_final = 1e-3; /* the cosine schedule reaches the device Adam too */
    o->seed = 11;
    o->oversample = 1.0;
    o->sampling = SAMPLE_CENTRED;
    o->patches_per_epoch = 4;
    o->tumour_frac = 0.7;
    o->val_patches = 3; /* a partial last validation batch */
    o->threshold_patches = 3;
    o->preset = "test";
    o->ckpt_path = ckpt;
    o->log_path = log;
}

/* Columns loss and val_loss of the training log (epoch,loss,val_loss,val_dice,seconds). */
static int log_losses(const char *path, double *loss, double *vloss, int max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < max) {
        int ep;
        if (sscanf(line, "%d,%lf,%lf", &ep, &loss[n], &vloss[n]) == 3)
            n++;
    }
    fclose(f);
    return n;
}

/* Trains on the CPU and on the fake device with the same options; compares logs and weights. */
static void compare_cpu_device(struct seg_train_opts *o, const struct seg_cohort *co, const char *tag)
{
    struct sarc_err e = {0};
    char lc[4096], ld[4096];
    snprintf(lc, sizeof lc, "%s", test_tmp("wiring_cpu.log.csv"));
    snprintf(ld, sizeof ld, "%s", test_tmp("wiring_dev.log.csv"));
    const struct unet_device fake = {&fake_cuda_unet_ops, "fake device (CPU stand-ins)", 0};
    struct seg_model a, b;
    o->log_path = lc;
    o->device = NULL;
    REQUIRE_OK(seg_train(co, o, &a, &e), e);
    o->log_path = ld;
    o->device = &fake;
    REQUIRE_OK(seg_train(co, o, &b, &e), e);
    double l1[16], v1[16], l2[16], v2[16];
    const int n1 = log_losses(lc, l1, v1, 16), n2 = log_losses(ld, l2, v2, 16);
    CHECK_MSG(n1 == o->epochs && n2 == o->epochs, "%s: %d / %d log lines", tag, n1, n2);
    for (int i = 0; i < n1 && i < n2; i++) {
        CHECK_MSG(fabs(l1[i] - l2[i]) <= 1e-6 * fabs(l1[i]), "%s epoch %d: loss cpu %.9g device %.9g", tag, i + 1, l1[i], l2[i]);
        CHECK_MSG(fabs(v1[i] - v2[i]) <= 1e-6 * fabs(v1[i]), "%s epoch %d: val loss cpu %.9g device %.9g", tag, i + 1, v1[i],
                  v2[i]);
        printf("measured: %s epoch %d loss cpu %.9g device %.9g (rel %.2g)\n", tag, i + 1, l1[i], l2[i],
               fabs(l1[i] - l2[i]) / fabs(l1[i]));
    }
    REQUIRE(a.params.n == b.params.n);
    const double rw = test_rel_l2(b.params.data, a.params.data, a.params.n);
    printf("measured: %s final weights relative L2 %.3g, threshold cpu %.6g device %.6g\n", tag, rw, a.threshold, b.threshold);
    CHECK_MSG(rw <= 1e-5, "%s: final weights relative L2 %.3g > 1e-5", tag, rw);
    CHECK_MSG(fabs(a.threshold - b.threshold) <= 1e-4, "%s: threshold cpu %.9g device %.9g", tag, a.threshold, b.threshold);
    CHECK_INT(a.epochs, b.epochs);
    model_free(&a);
    model_free(&b);
}

TEST(cuda_wiring_train_device_equals_cpu)
{
    struct sarc_err e = {0};
    const char *csv = tseg_tiny_cohort("wiringcohort");
    REQUIRE_MSG(csv, "could not write the tiny cohort");
    struct seg_cohort co;
    REQUIRE_OK(seg_cohort_read(csv, &co, &e), e);
    struct seg_train_opts o;
    wiring_opts(&o, NULL, NULL);
    compare_cpu_device(&o, &co, "bce skip");
    /* the host-side Dice term through cuda_unet_backward, and the no-skip graph */
    wiring_opts(&o, NULL, NULL);
    o.loss = LOSS_DICE;
    o.epochs = 2;
    compare_cpu_device(&o, &co, "dice skip");
    wiring_opts(&o, NULL, NULL);
    o.loss = LOSS_SOFTDICE;
    o.arch.skip = 0;
    o.epochs = 2;
    o.sampling = SAMPLE_GRID; /* the paper's sampling: every grid patch, batches of 2 */
    compare_cpu_device(&o, &co, "softdice no-skip grid");
    seg_cohort_free(&co);
}

TEST(cuda_wiring_train_device_resume_bit_identical)
{
    struct sarc_err e = {0};
    const char *csv = tseg_tiny_cohort("wiringcohort");
    REQUIRE_MSG(csv, "could not write the tiny cohort");
    struct seg_cohort co;
    REQUIRE_OK(seg_cohort_read(csv, &co, &e), e);
    const struct unet_device fake = {&fake_cuda_unet_ops, "fake", 0};
    char ck1[4096], ck2[4096];
    snprintf(ck1, sizeof ck1, "%s", test_tmp("wiring_straight.ckpt"));
    snprintf(ck2, sizeof ck2, "%s", test_tmp("wiring_resumed.ckpt"));
    struct seg_train_opts o;
    struct seg_model a, a2, b, c;
    wiring_opts(&o, ck1, NULL);
    o.device = &fake;
    REQUIRE_OK(seg_train(&co, &o, &a, &e), e);
    /* run to run */
    REQUIRE_OK(seg_train(&co, &o, &a2, &e), e);
    CHECK(memcmp(a.params.data, a2.params.data, sizeof(float) * (size_t)a.params.n) == 0);
    CHECK(a.threshold == a2.threshold && a.best_val == a2.best_val);
    /* 2 epochs, stop, resume: the Adam moments go back to the device with the weights */
    wiring_opts(&o, ck2, NULL);
    o.device = &fake;
    o.stop_after = 2;
    REQUIRE_OK(seg_train(&co, &o, &b, &e), e);
    CHECK_INT(b.epochs, 2);
    o.stop_after = 0;
    o.resume = 1;
    REQUIRE_OK(seg_train(&co, &o, &c, &e), e);
    CHECK_INT(c.epochs, 4);
    CHECK(memcmp(a.params.data, c.params.data, sizeof(float) * (size_t)a.params.n) == 0);
    CHECK(a.threshold == c.threshold && a.best_val == c.best_val);
    /* a checkpoint written by the device run has the CPU's format: the CPU resumes it */
    o.device = NULL;
    struct seg_model d;
    wiring_opts(&o, ck2, NULL);
    o.stop_after = 2;
    o.device = &fake;
    model_free(&c);
    REQUIRE_OK(seg_train(&co, &o, &c, &e), e);
    o.stop_after = 0;
    o.resume = 1;
    o.device = NULL;
    REQUIRE_OK(seg_train(&co, &o, &d, &e), e);
    CHECK_INT(d.epochs, 4);
    CHECK_MSG(test_rel_l2(d.params.data, a.params.data, a.params.n) <= 1e-5, "device-then-CPU resume drifted");
    model_free(&a), model_free(&a2), model_free(&b), model_free(&c), model_free(&d);
    seg_cohort_free(&co);
}

TEST(cuda_wiring_predict_device_equals_cpu)
{
    struct sarc_err e = {0};
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_tmp("wiringpred"));
    REQUIRE_OK(file_mkdirs(dir, &e), e);
    /* 40x30x20 voxels with 18^3 patches: 3 x 2 x 2 = 12 grid patches, so a full batch of 8
     * and a partial one of 4 */
    const int64_t dim[3] = {40, 30, 20};
    REQUIRE_OK(tseg_write_scan(dir, 3, 0, dim, &e), e);
    const char *names[3] = {"T1", "T1C", "T2"};
    char p[3][4200];
    const char *paths[3];
    for (int k = 0; k < 3; k++) {
        snprintf(p[k], sizeof p[k], "%s/m3_pre_%s.nii.gz", dir, names[k]);
        paths[k] = p[k];
    }
    for (int skip = 1; skip >= 0; skip--) {
        struct unet_arch ar = {3, {3, 4, 5}, skip, {18, 18, 18}, 0.1f};
        struct seg_model m;
        REQUIRE_OK(model_init(&m, &ar, CONTRAST_T1 | CONTRAST_T1C | CONTRAST_T2, 9, &e), e);
        struct seg_scan s;
        REQUIRE_OK(seg_scan_read(&s, paths, 3, NULL, NULL, &e), e);
        const int64_t n = s.fdim[0] * s.fdim[1] * s.fdim[2];
        float *pc = malloc(sizeof(float) * (size_t)n), *pd = malloc(sizeof(float) * (size_t)n);
        REQUIRE(pc && pd);
        const struct unet_device fake = {&fake_cuda_unet_ops, "fake", 0};
        int64_t nc = 0, nd = 0;
        REQUIRE_OK(seg_predict(&m, &s, pc, &nc, &e), e);
        REQUIRE_OK(seg_predict_on(&m, &s, &fake, pd, &nd, &e), e);
        CHECK_INT(nc, 12);
        CHECK_INT(nd, nc);
        double md = 0;
        for (int64_t i = 0; i < n; i++)
            md = fmax(md, fabs((double)pc[i] - pd[i]));
        printf("measured: predict %s max |p_cpu - p_device| %.3g over %lld voxels\n", skip ? "skip" : "no-skip", md, (long long)n);
        CHECK_MSG(md <= 1e-5, "%s: max probability difference %.3g > 1e-5", skip ? "skip" : "no-skip", md);
        /* a device that cannot start is an error, not a silent CPU run */
        const struct unet_device bad = {&cuda_unet_ops, "no device", 0};
        CHECK(seg_predict_on(&m, &s, &bad, pd, &nd, &e) == SARC_ERR_UNSUPPORTED);
        CHECK(strstr(e.msg, "built without CUDA") != NULL);
        free(pc), free(pd);
        seg_scan_free(&s);
        model_free(&m);
    }
}

#else

TEST(cuda_wiring_train_device_equals_cpu)
{
    SKIP("runs in CPU-only builds (CUDA=0 or SAN=1) on CPU stand-ins of the launchers; "
         "test/gpu/check.sh compares GPU and CPU training on a GPU");
}

#endif

/* The command-line contract of device selection, in whatever build this is. */
TEST(cuda_wiring_cli_device_choice)
{
    static char cmd[65536];
    char dir[1024];
    struct sarc_err e = {0};
    snprintf(dir, sizeof dir, "%s", test_tmp("wiringcli"));
    REQUIRE_OK(file_mkdirs(dir, &e), e);
    REQUIRE_OK(tseg_write_scan(dir, 1, 0, (const int64_t[3]){20, 20, 18}, &e), e);
    const char *S = test_sarc();
    const int compiled = device_cuda_compiled();
    char gpu[256];
    const int have_gpu = device_cuda_available(gpu, sizeof gpu);
    /* --device cuda: refused without CUDA or without a GPU, before any file is read */
    snprintf(cmd, sizeof cmd, "%s train %s/none.csv -o %s/t.sarcnet --device cuda --audit none", S, dir, dir);
    const int rc = test_system(cmd);
    if (!compiled)
        CHECK_MSG(rc == 2 && strstr(test_last_output(), "sarc: --device cuda: this sarc was built without CUDA"),
                  "rc %d: %s", rc, test_last_output());
    else if (!have_gpu)
        CHECK_MSG(rc == 2 && strstr(test_last_output(), "sarc: --device cuda: no CUDA GPU"), "rc %d: %s", rc,
                  test_last_output());
    else /* with a GPU it gets as far as the missing cohort */
        CHECK_MSG(rc == 2 && strstr(test_last_output(), "none.csv"), "rc %d: %s", rc, test_last_output());
    /* --tf32 */
    snprintf(cmd, sizeof cmd, "%s segment --model %s/none.sarcnet --image T2=%s/m1_pre_T2.nii.gz -o %s/x.nii.gz --tf32 --audit none",
             S, dir, dir, dir);
    CHECK(test_system(cmd) == 2);
    if (!compiled)
        CHECK_MSG(strstr(test_last_output(), "sarc: --tf32: this sarc was built without CUDA"), "%s", test_last_output());
    else if (!have_gpu)
        CHECK_MSG(strstr(test_last_output(), "--tf32 ignored: running on the CPU"), "%s", test_last_output());
    snprintf(cmd, sizeof cmd, "%s segment --model %s/none.sarcnet --image T2=%s/m1_pre_T2.nii.gz -o %s/x.nii.gz --device cpu --tf32 --audit none",
             S, dir, dir, dir);
    CHECK(test_system(cmd) == 2);
    CHECK_MSG(strstr(test_last_output(), compiled ? "sarc: --tf32: needs the GPU, but --device cpu was given"
                                                  : "sarc: --tf32: this sarc was built without CUDA"),
              "%s", test_last_output());
    /* --device auto: the GPU when there is one, else the CPU with a note; the audit trail
     * records the device that computed */
    snprintf(cmd, sizeof cmd, "%s model init -o %s/m.sarcnet --contrasts T2 --preset quick --seed 4 --audit none && "
             "%s segment --model %s/m.sarcnet --image T2=%s/m1_pre_T2.nii.gz -o %s/mask.nii.gz --threshold 0.5 --audit %s/a.jsonl",
             S, dir, S, dir, dir, dir, dir);
    REQUIRE_MSG(test_system(cmd) == 0, "segment failed: %s", test_last_output());
    if (have_gpu)
        CHECK_MSG(strstr(test_last_output(), "U-Net on cuda:0") != NULL, "%s", test_last_output());
    else
        CHECK_MSG(strstr(test_last_output(), "no GPU found, running on the CPU") != NULL, "%s", test_last_output());
    char *audit = NULL;
    size_t len = 0;
    char ap[4200];
    snprintf(ap, sizeof ap, "%s/a.jsonl", dir);
    REQUIRE_OK(file_read_all(ap, (uint8_t **)&audit, &len, 1 << 24, &e), e);
    char *a1 = realloc(audit, len + 1);
    REQUIRE(a1);
    audit = a1;
    audit[len] = 0;
    const char *step = strstr(audit, "\"step\":\"unet_predict\"");
    CHECK_MSG(step != NULL, "no unet_predict step in the audit trail");
    if (step) {
        CHECK_MSG(strstr(step, have_gpu ? "\"device\":\"cuda:0" : "\"device\":\"cpu\"") != NULL, "device not recorded: %.400s", step);
        CHECK_MSG(strstr(step, "\"tf32\":0") != NULL, "tf32 not recorded: %.400s", step);
    }
    free(audit);
    /* training records its device and TF32 setting too */
    REQUIRE_OK(tseg_write_cohort(dir, 4, (const int64_t[3]){22, 20, 18}, &e), e);
    snprintf(cmd, sizeof cmd, "%s train %s/cohort.csv -o %s/t.sarcnet --preset quick --filters 2,2,2 --patch 18,18,18 "
             "--epochs 1 --patches-per-epoch 2 --batch 2 --audit %s/t.jsonl -q", S, dir, dir, dir);
    REQUIRE_MSG(test_system(cmd) == 0, "train failed: %s", test_last_output());
    snprintf(ap, sizeof ap, "%s/t.jsonl", dir);
    REQUIRE_OK(file_read_all(ap, (uint8_t **)&audit, &len, 1 << 24, &e), e);
    char *a2 = realloc(audit, len + 1);
    REQUIRE(a2);
    audit = a2;
    audit[len] = 0;
    step = strstr(audit, "\"step\":\"unet_train\"");
    CHECK_MSG(step != NULL, "no unet_train step in the audit trail");
    if (step) {
        CHECK_MSG(strstr(step, have_gpu ? "\"device\":\"cuda:0" : "\"device\":\"cpu\"") != NULL, "device not recorded: %.400s", step);
        CHECK_MSG(strstr(step, "\"tf32\":0") != NULL, "tf32 not recorded: %.400s", step);
    }
    free(audit);
}
