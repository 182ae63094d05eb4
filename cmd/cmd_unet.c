/* cmd_unet.c - the U-Net subcommands (issue 6): `sarc train`, `sarc segment`, `sarc evaluate`,
 * `sarc kfold`, `sarc model init|export|import|info`. Parses options, reads and writes files,
 * prints results; the work is in nn/segtrain.c, nn/seg_predict.c, nn/segmetrics.c, nn/model.c.
 * Device: --device (cmd/main.c) and --tf32 pick where the U-Net runs (unet_device_pick); every
 * forward/backward of the run then goes to that device (g_unet_dev).
 * Covered by test/nn/test_seg.c (end-to-end runs of the sarc binary on tiny synthetic scans) and
 * test/cuda/test_cuda_wiring.c (device choice, fallback notes, error paths). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "io/audit.h"
#include "io/csv.h"
#include "io/file.h"
#include "io/volio.h"
#include "nn/device.h"
#include "nn/model.h"
#include "nn/seg_predict.h"
#include "nn/segmetrics.h"
#include "nn/segtrain.h"
#include "vendor/json.h"
#include "vendor/rng.h"

/* ---- device ---- */

/* Where this run's U-Net computes (ops NULL: the CPU); set once by unet_device_pick. */
static struct unet_device g_unet_dev;
static char g_unet_dev_name[256];

/* Resolves --device (cmd_resolve_device: auto falls back to the CPU with a note, cuda without
 * CUDA or a GPU fails) and --tf32 (a GPU mode: refused by CPU-only builds and with --device cpu,
 * ignored with a note when auto finds no GPU). Returns 0, or 2 after printing. */
static int unet_device_pick(int tf32)
{
    memset(&g_unet_dev, 0, sizeof g_unet_dev);
    if (tf32 && !device_cuda_compiled())
        return cmd_failf("--tf32", "this sarc was built without CUDA (TF32 is a tensor-core mode of the GPU)");
    const int d = cmd_resolve_device();
    if (d < 0)
        return 2;
    if (d == 0) {
        if (tf32 && !strcmp(g_opts.device, "cpu"))
            return cmd_failf("--tf32", "needs the GPU, but --device cpu was given");
        if (tf32)
            cmd_note("--tf32 ignored: running on the CPU");
        return 0;
    }
    if (!device_cuda_available(g_unet_dev_name, sizeof g_unet_dev_name))
        return cmd_failf("--device", "%s", g_unet_dev_name);
    g_unet_dev.ops = &cuda_unet_ops;
    g_unet_dev.name = g_unet_dev_name;
    g_unet_dev.tf32 = tf32;
    cmd_note("U-Net on %s, %s", g_unet_dev_name, tf32 ? "TF32 tensor cores" : "FP32");
    return 0;
}

/* ---- presets ---- */

/* The quick preset (documented in the README): fewer filters, smaller in-plane patches,
 * tumour-centred sampling, a fixed small number of patches per epoch, larger learning rate,
 * capped numbers of scans. Everything else is the paper's. */
#define QUICK_F1 8
#define QUICK_F2 16
#define QUICK_F3 32
#define QUICK_PATCH_D 18
#define QUICK_PATCH_HW 62
#define QUICK_EPOCHS 30
#define QUICK_BATCH 8
#define QUICK_LR 1e-3
#define QUICK_LR_FINAL 1e-4 /* cosine decay to this in the last epoch */
#define QUICK_PPE 64
#define QUICK_TUMOUR_FRAC 0.67
#define QUICK_VAL_PATCHES 16
#define QUICK_THR_PATCHES 48
#define QUICK_MAX_TRAIN 16
#define QUICK_MAX_VAL 4
#define QUICK_MAX_TEST 2

struct train_cli {
    struct seg_train_opts o;
    int quick;
    int max_test; /* 0 = all */
    int variants_all;
    const char *out;
    const char *cohort;
    int folds;
    int tf32;
    /* explicit overrides (-1 / 0 / NULL = preset value) */
    const char *contrasts, *loss;
    int noskip, epochs, batch, ppe;
    double lr;
    int filters[3], patch[3]; /* 0 = preset */
    double wspacing[3];
    int wspacing_given;
};

static void preset_apply(struct train_cli *c)
{
    struct seg_train_opts *o = &c->o;
    unsigned con = o->contrasts;
    const int cin = contrasts_count(con);
    o->arch = unet_arch_paper(cin);
    o->epochs = 600;
    o->batch = 20;
    o->lr = 1e-4;
    o->lr_final = 0;
    o->oversample = 1.0;
    o->sampling = SAMPLE_GRID;
    o->patches_per_epoch = 0;
    o->tumour_frac = 0.0;
    o->val_patches = 0;
    o->threshold_patches = 200;
    o->max_train_scans = 0;
    o->max_val_scans = 0;
    o->spacing[0] = o->spacing[1] = o->spacing[2] = 0;
    o->preset = "paper";
    c->max_test = 0;
    if (c->quick) {
        o->arch.f[0] = QUICK_F1;
        o->arch.f[1] = QUICK_F2;
        o->arch.f[2] = QUICK_F3;
        o->arch.patch[0] = QUICK_PATCH_D;
        o->arch.patch[1] = o->arch.patch[2] = QUICK_PATCH_HW;
        o->epochs = QUICK_EPOCHS;
        o->batch = QUICK_BATCH;
        o->lr = QUICK_LR;
        o->lr_final = QUICK_LR_FINAL;
        o->sampling = SAMPLE_CENTRED;
        o->patches_per_epoch = QUICK_PPE;
        o->tumour_frac = QUICK_TUMOUR_FRAC;
        o->val_patches = QUICK_VAL_PATCHES;
        o->threshold_patches = QUICK_THR_PATCHES;
        o->max_train_scans = QUICK_MAX_TRAIN;
        o->max_val_scans = QUICK_MAX_VAL;
        o->preset = "quick";
        c->max_test = QUICK_MAX_TEST;
    }
    if (c->noskip)
        o->arch.skip = 0;
    if (c->epochs > 0)
        o->epochs = c->epochs;
    if (c->batch > 0)
        o->batch = c->batch;
    if (c->lr > 0) {
        o->lr = c->lr;
        if (o->lr_final > 0)
            o->lr_final = c->lr / 10; /* keep the quick preset's decay ratio */
    }
    if (c->wspacing_given)
        memcpy(o->spacing, c->wspacing, sizeof c->wspacing);
    if (c->filters[0] > 0)
        memcpy(o->arch.f, c->filters, sizeof c->filters);
    if (c->patch[0] > 0)
        memcpy(o->arch.patch, c->patch, sizeof c->patch);
    if (c->ppe > 0) {
        o->patches_per_epoch = c->ppe;
        o->sampling = SAMPLE_CENTRED;
        if (o->val_patches == 0)
            o->val_patches = 16;
        if (o->tumour_frac == 0)
            o->tumour_frac = QUICK_TUMOUR_FRAC;
    }
}

/* Parses the options shared by train and kfold. Returns 0, or 2 after printing. */
static int train_cli_parse(int argc, char **argv, struct train_cli *c, const char *cmdname)
{
    memset(c, 0, sizeof *c);
    c->o.contrasts = CONTRAST_T1 | CONTRAST_T1C | CONTRAST_T2;
    c->o.loss = LOSS_BCE;
    c->o.seed = g_opts.seed;
    c->folds = 5;
    c->epochs = c->batch = -1;
    c->lr = -1;
    const char *preset = NULL, *epochs = NULL, *batch = NULL, *lr = NULL, *ppe = NULL, *filters = NULL,
               *patch = NULL, *wspacing = NULL, *stop = NULL, *maxtest = NULL, *variants = NULL, *folds = NULL;
    const struct cmd_opt opts[] = {{"-o", &c->out, NULL},
                                   {"--preset", &preset, NULL},
                                   {"--contrasts", &c->contrasts, NULL},
                                   {"--loss", &c->loss, NULL},
                                   {"--no-skip", NULL, &c->noskip},
                                   {"--epochs", &epochs, NULL},
                                   {"--batch", &batch, NULL},
                                   {"--lr", &lr, NULL},
                                   {"--patches-per-epoch", &ppe, NULL},
                                   {"--filters", &filters, NULL},
                                   {"--patch", &patch, NULL},
                                   {"--work-spacing", &wspacing, NULL},
                                   {"--resume", NULL, &c->o.resume},
                                   {"--stop-after", &stop, NULL},
                                   {"--max-test", &maxtest, NULL},
                                   {"--variants", &variants, NULL},
                                   {"--folds", &folds, NULL},
                                   {"--tf32", NULL, &c->tf32},
                                   {NULL, NULL, NULL}};
    if (cmd_parse(argc, argv, opts, &c->cohort, 1) < 0)
        return 2;
    long long v;
    if (preset) {
        if (!strcmp(preset, "quick"))
            c->quick = 1;
        else if (!strcmp(preset, "paper"))
            c->quick = 0;
        else
            return cmd_failf("--preset", "'%s': expected quick or paper", preset);
    }
    if (epochs) {
        if (opt_int(epochs, 1, 1000000, &v))
            return cmd_failf("--epochs", "'%s' is not an integer in 1..1000000", epochs);
        c->epochs = (int)v;
    }
    if (batch) {
        if (opt_int(batch, 1, 4096, &v))
            return cmd_failf("--batch", "'%s' is not an integer in 1..4096", batch);
        c->batch = (int)v;
    }
    if (lr && (opt_double(lr, &c->lr) || !(c->lr > 0 && c->lr < 10)))
        return cmd_failf("--lr", "'%s' is not a number in (0, 10)", lr);
    if (ppe) {
        if (opt_int(ppe, 1, 100000000, &v))
            return cmd_failf("--patches-per-epoch", "'%s' is not a positive integer", ppe);
        c->ppe = (int)v;
    }
    for (int isf = 0; isf < 2; isf++) {
        const char *name = isf ? "--filters" : "--patch", *val = isf ? filters : patch;
        double t[3];
        if (!val)
            continue;
        if (opt_list(val, t, 3))
            return cmd_failf(name, "'%s' is not three comma-separated integers", val);
        for (int k = 0; k < 3; k++) {
            if (t[k] != floor(t[k]) || t[k] < 1 || t[k] > 1026)
                return cmd_failf(name, "'%s': each value must be an integer in 1..1026", val);
            (isf ? c->filters : c->patch)[k] = (int)t[k];
        }
    }
    if (wspacing) {
        if (opt_list(wspacing, c->wspacing, 3) || !(c->wspacing[0] >= 0 && c->wspacing[1] >= 0 && c->wspacing[2] >= 0 &&
                                                    c->wspacing[0] <= 100 && c->wspacing[1] <= 100 && c->wspacing[2] <= 100))
            return cmd_failf("--work-spacing", "'%s' is not SX,SY,SZ in mm (0..100; 0 = native)", wspacing);
        c->wspacing_given = 1;
    }
    if (stop) {
        if (opt_int(stop, 1, 1000000, &v))
            return cmd_failf("--stop-after", "'%s' is not a positive integer", stop);
        c->o.stop_after = (int)v;
    }
    if (maxtest) {
        if (opt_int(maxtest, 0, 1000000, &v))
            return cmd_failf("--max-test", "'%s' is not a non-negative integer", maxtest);
        c->max_test = (int)v + 1; /* stored +1 so that 0 can mean "preset value" */
    }
    if (variants) {
        if (strcmp(variants, "all"))
            return cmd_failf("--variants", "'%s': only 'all' is supported", variants);
        c->variants_all = 1;
    }
    if (folds) {
        if (opt_int(folds, 2, 100, &v))
            return cmd_failf("--folds", "'%s' is not an integer in 2..100", folds);
        c->folds = (int)v;
    }
    if (!c->cohort || !c->out)
        return cmd_usage(cmdname);
    struct sarc_err e = {0};
    if (c->contrasts && contrasts_parse(c->contrasts, &c->o.contrasts, &e))
        return cmd_fail("--contrasts", &e);
    if (c->loss) {
        if (!strcmp(c->loss, "bce"))
            c->o.loss = LOSS_BCE;
        else if (!strcmp(c->loss, "dice"))
            c->o.loss = LOSS_DICE;
        else if (!strcmp(c->loss, "softdice"))
            c->o.loss = LOSS_SOFTDICE;
        else
            return cmd_failf("--loss", "'%s': expected bce, dice or softdice", c->loss);
    }
    const int mt = c->max_test;
    preset_apply(c);
    if (mt)
        c->max_test = mt - 1;
    return 0;
}

/* ---- writing volumes ---- */

static int write_like(const char *path, const struct volume *geom, const int64_t dim[3], const float *f,
                      const uint8_t *u, struct sarc_err *e)
{
    struct volume v;
    const int64_t d4[4] = {dim[2], dim[1], dim[0], 1};
    int rc = volume_alloc(&v, 3, d4, e);
    if (rc)
        return rc;
    volume_copy_geometry(&v, geom);
    const int64_t n = dim[0] * dim[1] * dim[2];
    for (int64_t i = 0; i < n; i++)
        v.data[i] = f ? (double)f[i] : (double)u[i];
    v.type = f ? VT_F32 : VT_U8;
    v.scl_slope = 0;
    v.scl_inter = 0;
    snprintf(v.format, sizeof v.format, "generated");
    rc = volume_write(path, &v, NULL, e);
    volume_free(&v);
    return rc;
}

/* ---- segmentation of one scan ---- */

struct seg_result {
    int64_t dim[3];
    float *prob;
    uint8_t *mask;       /* thresholded + largest component */
    uint8_t *mask_raw;   /* thresholded only */
    int64_t patches;
};

static void seg_result_free(struct seg_result *r)
{
    free(r->prob), free(r->mask), free(r->mask_raw);
    memset(r, 0, sizeof *r);
}

static int segment_scan(const struct seg_model *m, const struct seg_scan *s, double thr, struct seg_result *r,
                        struct sarc_err *e)
{
    memset(r, 0, sizeof *r);
    memcpy(r->dim, s->fdim, sizeof r->dim);
    const int64_t n = s->fdim[0] * s->fdim[1] * s->fdim[2];
    r->prob = malloc(sizeof(float) * (size_t)n);
    r->mask = malloc((size_t)n);
    r->mask_raw = malloc((size_t)n);
    if (!r->prob || !r->mask || !r->mask_raw) {
        seg_result_free(r);
        return ERR(e, SARC_ERR_NOMEM, "segmentation of %lld voxels", (long long)n);
    }
    int rc = seg_predict_on(m, s, &g_unet_dev, r->prob, &r->patches, e);
    if (!rc)
        rc = seg_mask(r->prob, s->fdim, thr, 0, r->mask_raw, e);
    if (!rc) {
        memcpy(r->mask, r->mask_raw, (size_t)n);
        const int64_t xyz[3] = {s->fdim[2], s->fdim[1], s->fdim[0]};
        rc = seg_keep_largest(r->mask, xyz, e);
    }
    if (rc)
        seg_result_free(r);
    return rc;
}

static double voxel_mm3(const struct volume *g)
{
    double sp[3];
    volume_spacing_from_affine(g->affine, sp);
    return sp[0] * sp[1] * sp[2];
}

/* ---- sarc evaluate ---- */

const char cmd_evaluate_usage[] =
    "Usage: sarc evaluate PRED.nii.gz LABEL.nii.gz [--prob P.nii.gz] [--json]\n"
    "  Segmentation metrics of a binary prediction against a binary label (non-zero = tumour), as\n"
    "  scikit-learn defines them: accuracy precision recall auc (voxel ROC AUC of --prob; nan\n"
    "  without it) dice jaccard volume_pred_mm3 volume_label_mm3, one name=value line each; then the\n"
    "  same for the prediction's largest 26-connected component, with the suffix _largest.\n";

static void metrics_print(FILE *f, const struct seg_metrics *m, const char *suffix, struct json *j)
{
    const char *names[8] = {"accuracy", "precision", "recall", "auc", "dice", "jaccard", "volume_pred_mm3", "volume_label_mm3"};
    const double v[8] = {m->accuracy, m->precision, m->recall, m->auc, m->dice, m->jaccard, m->volume_pred_mm3, m->volume_label_mm3};
    for (int i = 0; i < 8; i++) {
        char key[64], buf[40];
        snprintf(key, sizeof key, "%s%s", names[i], suffix);
        num_format(buf, sizeof buf, v[i]);
        if (j) {
            json_key(j, key);
            if (isfinite(v[i]))
                json_num(j, v[i]);
            else
                json_null(j);
        } else
            fprintf(f, "%s=%s\n", key, buf);
    }
}

int cmd_evaluate(int argc, char **argv)
{
    const char *pred = NULL, *label = NULL, *probp = NULL;
    int as_json = 0;
    const char *pos[2] = {NULL, NULL};
    const struct cmd_opt opts[] = {{"--prob", &probp, NULL}, {"--json", NULL, &as_json}, {NULL, NULL, NULL}};
    if (cmd_parse(argc, argv, opts, pos, 2) < 0)
        return 2;
    pred = pos[0], label = pos[1];
    if (!pred || !label)
        return cmd_usage("evaluate");
    struct sarc_err e = {0};
    struct volume vp, vl, vq;
    memset(&vp, 0, sizeof vp), memset(&vl, 0, sizeof vl), memset(&vq, 0, sizeof vq);
    uint8_t *p = NULL, *l = NULL;
    float *q = NULL;
    int rc = 2;
    if (volume_read(pred, NULL, &vp, &e)) {
        cmd_fail(pred, &e);
        goto done;
    }
    if (volume_read(label, NULL, &vl, &e)) {
        cmd_fail(label, &e);
        goto done;
    }
    if (vp.dim[3] != 1) {
        cmd_failf(pred, "%lld frames, expected a 3-D mask", (long long)vp.dim[3]);
        goto done;
    }
    if (!volume_same_grid(&vp, &vl, 1e-3) || vp.dim[3] != vl.dim[3]) {
        cmd_failf(label, "not on the grid of %s (%lldx%lldx%lld vs %lldx%lldx%lld, or another affine)", pred,
                  (long long)vl.dim[0], (long long)vl.dim[1], (long long)vl.dim[2], (long long)vp.dim[0],
                  (long long)vp.dim[1], (long long)vp.dim[2]);
        goto done;
    }
    if (probp) {
        if (volume_read(probp, NULL, &vq, &e)) {
            cmd_fail(probp, &e);
            goto done;
        }
        if (!volume_same_grid(&vp, &vq, 1e-3) || vq.dim[3] != vp.dim[3]) {
            cmd_failf(probp, "not on the grid of %s", pred);
            goto done;
        }
    }
    const int64_t n = volume_count(&vp);
    p = malloc((size_t)n), l = malloc((size_t)n);
    if (probp)
        q = malloc(sizeof(float) * (size_t)n);
    if (!p || !l || (probp && !q)) {
        cmd_failf(pred, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        p[i] = vp.data[i] != 0 && !isnan(vp.data[i]);
        l[i] = vl.data[i] != 0 && !isnan(vl.data[i]);
        if (q) {
            if (!isfinite(vq.data[i])) {
                cmd_failf(probp, "voxel %lld is not finite", (long long)i);
                goto done;
            }
            q[i] = (float)vq.data[i];
        }
    }
    struct audit_step *st = audit_step_begin("evaluate");
    audit_input_file(st, "pred", pred);
    audit_input_file(st, "label", label);
    if (probp)
        audit_input_file(st, "prob", probp);
    struct seg_metrics m1, m2;
    const double vv = voxel_mm3(&vp);
    if (seg_metrics_compute(p, l, q, n, vv, &m1, &e) || seg_keep_largest(p, vp.dim, &e) ||
        seg_metrics_compute(p, l, q, n, vv, &m2, &e)) {
        audit_step_end(st);
        cmd_fail(pred, &e);
        goto done;
    }
    audit_value(st, "dice", m1.dice);
    audit_value(st, "dice_largest", m2.dice);
    audit_step_end(st);
    if (as_json) {
        struct json j;
        json_init(&j);
        json_obj_begin(&j);
        metrics_print(stdout, &m1, "", &j);
        metrics_print(stdout, &m2, "_largest", &j);
        json_obj_end(&j);
        printf("%s\n", j.buf ? j.buf : "{}");
        json_free(&j);
    } else {
        metrics_print(stdout, &m1, "", NULL);
        metrics_print(stdout, &m2, "_largest", NULL);
    }
    rc = 0;
done:
    volume_free(&vp), volume_free(&vl), volume_free(&vq);
    free(p), free(l), free(q);
    return rc;
}

/* ---- sarc model ---- */

const char cmd_model_usage[] =
    "Usage: sarc model init -o M.sarcnet [--contrasts LIST] [--no-skip] [--preset paper|quick] [--seed S]\n"
    "       sarc model export M.sarcnet DIR\n"
    "       sarc model import DIR -o M.sarcnet\n"
    "       sarc model info M.sarcnet\n"
    "  init: an untrained model (Glorot-uniform weights from --seed). export: DIR/model.json and one\n"
    "  NumPy .npy (float32, C order) per parameter, <layer>.weight.npy / <layer>.bias.npy, layers\n"
    "  conv1 conv2 conv3 dconv1 dconv2 dconv3 out, in PyTorch's layouts (Conv3d: Cout, Cin, 3, 3, 3;\n"
    "  ConvTranspose3d: Cin, Cout, 3, 3, 3). import: the reverse (architecture from model.json).\n";

static void model_print_info(const char *path, const struct seg_model *m)
{
    const struct unet_arch *a = &m->params.arch;
    char con[32], hex[65];
    contrasts_format(m->contrasts, con, sizeof con);
    model_weights_sha256(m, hex);
    printf("model: %s\n", path);
    printf("architecture: unet3d %s, filters %d,%d,%d, patch %dx%dx%d (DxHxW), dropout %g\n", a->skip ? "skip" : "no-skip",
           a->f[0], a->f[1], a->f[2], a->patch[0], a->patch[1], a->patch[2], (double)a->dropout);
    printf("contrasts: %s\nnormalisation: z-score per volume and channel\nthreshold: %.9g\nseed: %llu\n", con, m->threshold,
           (unsigned long long)m->seed);
    printf("loss: %s\nepochs: %d\nparameters: %lld\nweights_sha256: %s\ninfo: %s\n", loss_name(m->loss), m->epochs,
           (long long)m->params.n, hex, m->info);
}

/* cmd_parse on the arguments after `sarc model SUB` (argc >= 2), with "model" as the command name in
 * its messages: argv[1] (the sub-verb) stands in for argv[0] during the call. */
static int model_args_parse(int argc, char **argv, const struct cmd_opt *opts, const char **pos, int maxpos)
{
    char *sub = argv[1];
    argv[1] = argv[0];
    const int n = cmd_parse(argc - 1, argv + 1, opts, pos, maxpos);
    argv[1] = sub;
    return n;
}

int cmd_model(int argc, char **argv)
{
    if (argc < 2)
        return cmd_usage("model");
    struct sarc_err e = {0};
    struct seg_model m;
    const char *sub = argv[1];
    if (!strcmp(sub, "init")) {
        const char *out = NULL, *con = "T1,T1C,T2", *preset = NULL;
        int noskip = 0, quick = 0;
        const struct cmd_opt opts[] = {{"-o", &out, NULL},
                                       {"--contrasts", &con, NULL},
                                       {"--no-skip", NULL, &noskip},
                                       {"--preset", &preset, NULL},
                                       {NULL, NULL, NULL}};
        if (model_args_parse(argc, argv, opts, NULL, 0) < 0)
            return 2;
        if (preset) {
            quick = !strcmp(preset, "quick");
            if (!quick && strcmp(preset, "paper"))
                return cmd_failf("--preset", "'%s': expected quick or paper", preset);
        }
        if (!out)
            return cmd_usage("model");
        unsigned bits;
        if (contrasts_parse(con, &bits, &e))
            return cmd_fail("--contrasts", &e);
        struct unet_arch a = unet_arch_paper(contrasts_count(bits));
        if (quick) {
            a.f[0] = QUICK_F1, a.f[1] = QUICK_F2, a.f[2] = QUICK_F3;
            a.patch[0] = QUICK_PATCH_D, a.patch[1] = a.patch[2] = QUICK_PATCH_HW;
        }
        a.skip = !noskip;
        if (model_init(&m, &a, bits, g_opts.seed, &e))
            return cmd_fail(out, &e);
        snprintf(m.info, sizeof m.info, "untrained (sarc model init, seed %llu)", (unsigned long long)g_opts.seed);
        struct audit_step *st = audit_step_begin("model_init");
        audit_param_int(st, "seed", (long long)g_opts.seed);
        int rc = model_write(out, &m, &e);
        if (!rc)
            audit_output_file(st, "model", out);
        audit_step_end(st);
        model_free(&m);
        return rc ? cmd_fail(out, &e) : 0;
    }
    if (!strcmp(sub, "export")) {
        if (argc != 4)
            return cmd_usage("model");
        if (model_read(argv[2], &m, &e))
            return cmd_fail(argv[2], &e);
        int rc = model_export(&m, argv[3], &e);
        model_free(&m);
        return rc ? cmd_fail(argv[3], &e) : 0;
    }
    if (!strcmp(sub, "import")) {
        const char *dir = NULL, *out = NULL;
        const struct cmd_opt opts[] = {{"-o", &out, NULL}, {NULL, NULL, NULL}};
        if (model_args_parse(argc, argv, opts, &dir, 1) < 0)
            return 2;
        if (!dir || !out)
            return cmd_usage("model");
        if (model_import(dir, &m, &e))
            return cmd_fail(dir, &e);
        struct audit_step *st = audit_step_begin("model_import");
        audit_param_str(st, "dir", dir);
        int rc = model_write(out, &m, &e);
        if (!rc)
            audit_output_file(st, "model", out);
        audit_step_end(st);
        model_free(&m);
        return rc ? cmd_fail(out, &e) : 0;
    }
    if (!strcmp(sub, "info")) {
        if (argc != 3)
            return cmd_usage("model");
        if (model_read(argv[2], &m, &e))
            return cmd_fail(argv[2], &e);
        model_print_info(argv[2], &m);
        model_free(&m);
        return 0;
    }
    return cmd_failf(sub, "unknown model subcommand (init, export, import, info)");
}

/* ---- sarc segment ---- */

const char cmd_segment_usage[] =
    "Usage: sarc segment --model MODEL.sarcnet --image T1=a.nii.gz --image T1C=b.nii.gz --image T2=c.nii.gz\n"
    "                    -o MASK.nii.gz [--prob P.nii.gz] [--threshold X] [--no-largest] [--tf32]\n"
    "       sarc segment --model M --cohort COHORT.csv -o DIR [--prob-too]\n"
    "  Tiles each scan with the paper's patch grid, predicts, averages overlapping predictions into\n"
    "  a probability map, thresholds it (the model's precision = recall threshold unless\n"
    "  --threshold) and keeps the largest 26-connected component. The mask (uint8) and the\n"
    "  probability map (float32) have the input's grid and affine. A model needs exactly its\n"
    "  contrasts; others are ignored with a note. Scans smaller than the patch are zero-padded.\n"
    "  --cohort: every row, written as DIR/<mouse>_<timepoint>_mask.nii.gz (and _prob with --prob-too).\n"
    "  --device auto|cpu|cuda picks where the patches are predicted (batches of 8 on the GPU); --tf32 uses\n"
    "  TF32 tensor cores on the GPU.\n";

static int segment_one(const struct seg_model *m, const char *const *paths, double thr, int largest,
                       const char *out, const char *probout, struct seg_result *keep)
{
    struct sarc_err e = {0};
    struct seg_scan s;
    const int C = m->params.arch.cin;
    if (seg_scan_read(&s, paths, C, NULL, m->spacing, &e))
        return cmd_fail(NULL, &e);
    const struct unet_arch *a = &m->params.arch;
    if (s.dim[0] < a->patch[0] || s.dim[1] < a->patch[1] || s.dim[2] < a->patch[2])
        cmd_note("%s: %lldx%lldx%lld voxels is smaller than the %dx%dx%d patch: zero-padded", paths[0],
                 (long long)s.dim[2], (long long)s.dim[1], (long long)s.dim[0], a->patch[2], a->patch[1], a->patch[0]);
    struct seg_result r;
    struct audit_step *st = audit_step_begin("segment");
    for (int c = 0; c < C; c++)
        audit_input_file(st, contrasts_name(m->contrasts, c), paths[c]);
    audit_param_num(st, "threshold", thr);
    audit_param_int(st, "largest_component", largest);
    int rc = segment_scan(m, &s, thr, &r, &e);
    if (rc) {
        audit_step_end(st);
        seg_scan_free(&s);
        return cmd_fail(paths[0], &e);
    }
    const uint8_t *mask = largest ? r.mask : r.mask_raw;
    if (out && write_like(out, &s.geom, s.fdim, NULL, mask, &e)) {
        audit_step_end(st);
        seg_result_free(&r);
        seg_scan_free(&s);
        return cmd_fail(out, &e);
    }
    if (probout && write_like(probout, &s.geom, s.fdim, r.prob, NULL, &e)) {
        audit_step_end(st);
        seg_result_free(&r);
        seg_scan_free(&s);
        return cmd_fail(probout, &e);
    }
    if (out)
        audit_output_file(st, "mask", out);
    if (probout)
        audit_output_file(st, "prob", probout);
    int64_t cnt = 0;
    const int64_t n = s.fdim[0] * s.fdim[1] * s.fdim[2];
    for (int64_t i = 0; i < n; i++)
        cnt += mask[i];
    audit_value(st, "tumour_mm3", (double)cnt * voxel_mm3(&s.geom));
    audit_step_end(st);
    if (keep)
        *keep = r;
    else
        seg_result_free(&r);
    seg_scan_free(&s);
    return 0;
}

int cmd_segment(int argc, char **argv)
{
    const char *model = NULL, *out = NULL, *probout = NULL, *cohort = NULL;
    const char *img[3] = {NULL, NULL, NULL};
    double thr = -1;
    int largest = 1, prob_too = 0, tf32 = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const int has = i + 1 < argc;
        if (!strcmp(a, "--model") && has)
            model = argv[++i];
        else if (!strcmp(a, "-o") && has)
            out = argv[++i];
        else if (!strcmp(a, "--prob") && has)
            probout = argv[++i];
        else if (!strcmp(a, "--cohort") && has)
            cohort = argv[++i];
        else if (!strcmp(a, "--prob-too"))
            prob_too = 1;
        else if (!strcmp(a, "--no-largest"))
            largest = 0;
        else if (!strcmp(a, "--tf32"))
            tf32 = 1;
        else if (!strcmp(a, "--threshold") && has) {
            if (opt_double(argv[++i], &thr) || !(thr >= 0 && thr <= 1))
                return cmd_failf("--threshold", "'%s' is not a number in 0..1", argv[i]);
        } else if (!strcmp(a, "--image") && has) {
            const char *v = argv[++i], *eq = strchr(v, '=');
            if (!eq)
                return cmd_failf("--image", "'%s': expected NAME=PATH with NAME T1, T1C or T2", v);
            const size_t len = (size_t)(eq - v);
            int k = len == 2 && !strncmp(v, "T1", 2) ? 0 : len == 3 && !strncmp(v, "T1C", 3) ? 1 : len == 2 && !strncmp(v, "T2", 2) ? 2 : -1;
            if (k < 0)
                return cmd_failf("--image", "'%.*s': expected T1, T1C or T2", (int)len, v);
            if (img[k])
                return cmd_failf("--image", "%.*s given twice", (int)len, v);
            img[k] = eq + 1;
        } else
            return cmd_failf(a, "unknown option or missing value (sarc segment --help)");
    }
    if (!model || !out)
        return cmd_usage("segment");
    if (unet_device_pick(tf32))
        return 2;
    struct sarc_err e = {0};
    struct seg_model m;
    if (model_read(model, &m, &e))
        return cmd_fail(model, &e);
    if (thr < 0)
        thr = m.threshold;
    int rc = 0;
    if (!cohort) {
        const char *paths[3];
        int C = 0;
        for (int k = 0; k < 3; k++) {
            if (m.contrasts & (1u << k)) {
                if (!img[k]) {
                    char con[32];
                    contrasts_format(m.contrasts, con, sizeof con);
                    model_free(&m);
                    return cmd_failf(model, "the model needs the contrasts %s; --image %s=... is missing", con,
                                     k == 0 ? "T1" : k == 1 ? "T1C" : "T2");
                }
                paths[C++] = img[k];
            } else if (img[k])
                cmd_note("the model does not use %s: %s ignored", k == 0 ? "T1" : k == 1 ? "T1C" : "T2", img[k]);
        }
        rc = segment_one(&m, paths, thr, largest, out, probout, NULL);
    } else {
        struct seg_cohort co;
        if (seg_cohort_read(cohort, &co, &e)) {
            model_free(&m);
            return cmd_fail(cohort, &e);
        }
        if (file_mkdirs(out, &e)) {
            seg_cohort_free(&co);
            model_free(&m);
            return cmd_fail(out, &e);
        }
        for (int k = 0; k < co.n && !rc; k++) {
            const char *paths[3];
            if (seg_case_paths(&co, k, m.contrasts, paths, &e)) {
                rc = cmd_fail(cohort, &e);
                break;
            }
            char name[256], p1[4096], p2[4096];
            snprintf(name, sizeof name, "%s_%s_mask.nii.gz", co.c[k].mouse, co.c[k].timepoint);
            path_join(p1, sizeof p1, out, name);
            snprintf(name, sizeof name, "%s_%s_prob.nii.gz", co.c[k].mouse, co.c[k].timepoint);
            path_join(p2, sizeof p2, out, name);
            rc = segment_one(&m, paths, thr, largest, p1, prob_too ? p2 : NULL, NULL);
            if (!rc)
                printf("%s,%s,%s\n", co.c[k].mouse, co.c[k].timepoint, p1);
        }
        seg_cohort_free(&co);
    }
    model_free(&m);
    return rc;
}

/* ---- evaluation of labelled scans (train, kfold) ---- */

#define NMET 8
static const char *const met_names[NMET] = {"accuracy", "precision", "recall", "auc", "dice", "jaccard", "volume_pred_mm3", "volume_label_mm3"};

static void met_values(const struct seg_metrics *m, double v[NMET])
{
    v[0] = m->accuracy, v[1] = m->precision, v[2] = m->recall, v[3] = m->auc;
    v[4] = m->dice, v[5] = m->jaccard, v[6] = m->volume_pred_mm3, v[7] = m->volume_label_mm3;
}

/* Segments case k and computes the metrics with (lc) and without (raw) the largest component.
 * Keeps the mask in *mask_out (owned by the caller) when not NULL. */
static int evaluate_case(const struct seg_model *m, const struct seg_cohort *co, int k, struct seg_metrics *raw,
                         struct seg_metrics *lc, uint8_t **mask_out, struct seg_scan *scan_out, struct sarc_err *e)
{
    const char *paths[3];
    struct seg_scan s;
    int rc = seg_case_paths(co, k, m->contrasts, paths, e);
    if (rc)
        return rc;
    if ((rc = seg_scan_read(&s, paths, m->params.arch.cin, co->c[k].label, m->spacing, e)))
        return rc;
    struct seg_result r;
    if ((rc = segment_scan(m, &s, m->threshold, &r, e))) {
        seg_scan_free(&s);
        return rc;
    }
    const int64_t n = s.fdim[0] * s.fdim[1] * s.fdim[2];
    const double vv = voxel_mm3(&s.geom);
    if (s.label) {
        rc = seg_metrics_compute(r.mask_raw, seg_scan_full_label(&s), r.prob, n, vv, raw, e);
        if (!rc)
            rc = seg_metrics_compute(r.mask, seg_scan_full_label(&s), r.prob, n, vv, lc, e);
    }
    if (mask_out) {
        *mask_out = r.mask;
        r.mask = NULL;
    }
    seg_result_free(&r);
    if (scan_out && !rc)
        *scan_out = s;
    else
        seg_scan_free(&s);
    return rc;
}

/* Appends one CSV row per case and prints the mean of each metric. */
static void table_row(struct csv_writer *w, const char *tag, const char *mouse, const char *tp, const struct seg_metrics *raw,
                      const struct seg_metrics *lc)
{
    double a[NMET], b[NMET];
    met_values(raw, a);
    met_values(lc, b);
    csv_put(w, tag);
    csv_put(w, mouse);
    csv_put(w, tp);
    for (int i = 0; i < NMET; i++)
        csv_putnum(w, a[i]);
    for (int i = 0; i < NMET; i++)
        csv_putnum(w, b[i]);
    csv_endrow(w);
}

static void table_header(struct csv_writer *w, const char *first)
{
    csv_put(w, first);
    csv_put(w, "mouse");
    csv_put(w, "timepoint");
    for (int i = 0; i < NMET; i++)
        csv_put(w, met_names[i]);
    for (int i = 0; i < NMET; i++) {
        char k[64];
        snprintf(k, sizeof k, "%s_largest", met_names[i]);
        csv_put(w, k);
    }
    csv_endrow(w);
}

static void mean_sd(const double *x, int n, double *mean, double *sd)
{
    double s = 0, ss = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i]))
            s += x[i], k++;
    *mean = k ? s / k : NAN;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i]))
            ss += (x[i] - *mean) * (x[i] - *mean);
    *sd = k > 1 ? sqrt(ss / (k - 1)) : NAN;
}

/* ---- sarc train ---- */

const char cmd_train_usage[] =
    "Usage: sarc train COHORT.csv -o MODEL.sarcnet [--preset quick|paper] [--contrasts LIST]\n"
    "                  [--loss bce|dice|softdice] [--no-skip] [--epochs N] [--batch N] [--lr X] [--seed S]\n"
    "                  [--resume] [--variants all] [--max-test N] [--patches-per-epoch N]\n"
    "                  [--filters F1,F2,F3] [--patch D,H,W] [--work-spacing SX,SY,SZ] [--tf32]\n"
    "  Trains the paper's 3D U-Net on the labelled rows of COHORT.csv (mouse,timepoint,T1,T1C,T2,label),\n"
    "  split by mouse 70/20/10 (train/validation/test) with the seed; keeps the weights of the epoch\n"
    "  with the lowest validation loss; sets the precision = recall threshold; then segments the test\n"
    "  scans and prints their metrics. Writes MODEL, MODEL.ckpt (checkpoint after every epoch; --resume\n"
    "  continues it to identical weights), MODEL.log.csv (epoch,loss,val_loss,val_dice,seconds) and\n"
    "  MODEL.test.csv.\n"
    "  --preset paper (default): the exact network and protocol: filters 24,48,64, 18x142x142 patches,\n"
    "  every grid patch of every training scan each epoch, 600 epochs, batch 20, Adam 1e-4, the scan's\n"
    "  own grid, validation on all grid patches of the validation scans, threshold from 200 random\n"
    "  training grid patches (the paper: whole training volumes), all test scans evaluated.\n"
    "  --preset quick: filters 8,16,32; 18x62x62 patches; 64 patches per epoch, 2/3 centred on a\n"
    "  random tumour voxel (jitter up to a quarter patch), 1/3 placed at random; 30 epochs; batch 8;\n"
    "  Adam 1e-3 with a cosine decay to 1e-4 at the last epoch; at most 16 training and 4 validation\n"
    "  scans (16 validation patches, 2/3 tumour-centred, drawn once); threshold from\n"
    "  48 training grid patches; 2 test scans evaluated. Everything else is the paper's.\n"
    "  --variants all trains the 8 variants (skip/no-skip x bce/dice x T1,T1C,T2/T2) as\n"
    "  MODEL-<variant>.sarcnet and tabulates their test Dice (MODEL.variants.csv).\n"
    "  --patches-per-epoch N: draw N tumour-centred/random patches per epoch instead of the grid.\n"
    "  --max-test N: evaluate at most N test scans (0 = all). --stop-after N: stop after N epochs\n"
    "  (the checkpoint is kept; --resume continues).\n"
    "  --filters, --patch (extents = 2 mod 4, >= 18), --work-spacing (mm, 0 = native) override the preset.\n"
    "  --device auto (default) trains on the GPU when there is one, cuda requires it, cpu forces the CPU;\n"
    "  the same batches, dropout draws, loss and Adam either way. --tf32: TF32 tensor cores in the GPU's\n"
    "  convolutions (off by default; not available on the CPU).\n";

/* Trains one model and evaluates its test scans; fills mean test Dice. */
static int train_one(struct train_cli *c, const struct seg_cohort *co, const char *out, double *mean_dice)
{
    struct sarc_err e = {0};
    char ckpt[4200], logp[4200], testp[4200];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", out);
    snprintf(logp, sizeof logp, "%s.log.csv", out);
    snprintf(testp, sizeof testp, "%s.test.csv", out);
    c->o.ckpt_path = ckpt;
    c->o.log_path = logp;
    struct seg_model m;
    char con[32];
    contrasts_format(c->o.contrasts, con, sizeof con);
    cmd_note("train: preset %s, contrasts %s, loss %s, %s, %d epochs, batch %d, lr %g, seed %llu", c->o.preset, con,
             loss_name(c->o.loss), c->o.arch.skip ? "skip" : "no-skip", c->o.epochs, c->o.batch, c->o.lr,
             (unsigned long long)c->o.seed);
    if (seg_train(co, &c->o, &m, &e))
        return cmd_fail(c->cohort, &e);
    if (m.epochs < c->o.epochs) {
        cmd_note("stopped after epoch %d of %d as asked; resume with --resume", m.epochs, c->o.epochs);
        model_free(&m);
        return 0;
    }
    if (model_write(out, &m, &e)) {
        model_free(&m);
        return cmd_fail(out, &e);
    }
    printf("model=%s\nthreshold=%.9g\nbest_val_loss=%.9g\n", out, m.threshold, m.best_val);
    /* test scans */
    int *set = malloc(sizeof(int) * (size_t)co->n);
    if (!set || seg_split_by_mouse(co, c->o.seed, 0.7, 0.2, set, &e)) {
        free(set);
        model_free(&m);
        return cmd_failf(out, "out of memory");
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    if (!mf) {
        free(set);
        model_free(&m);
        return cmd_failf(out, "out of memory");
    }
    struct csv_writer w = {mf, 1};
    table_header(&w, "set");
    int ntest = 0, rc = 0;
    double dsum = 0;
    for (int k = 0; k < co->n && !rc; k++) {
        if (set[k] != SET_TEST || !co->c[k].label)
            continue;
        if (c->max_test && ntest >= c->max_test)
            break;
        struct seg_metrics raw, lc;
        if (evaluate_case(&m, co, k, &raw, &lc, NULL, NULL, &e)) {
            rc = cmd_fail(co->c[k].label, &e);
            break;
        }
        table_row(&w, "test", co->c[k].mouse, co->c[k].timepoint, &raw, &lc);
        printf("test %s %s: dice=%.4f dice_largest=%.4f jaccard_largest=%.4f auc=%.4f\n", co->c[k].mouse, co->c[k].timepoint,
               raw.dice, lc.dice, lc.jaccard, lc.auc);
        dsum += lc.dice;
        ntest++;
    }
    fclose(mf);
    if (!rc && ntest > 0) {
        printf("test_scans=%d\ntest_dice_mean=%.4f\n", ntest, dsum / ntest);
        if (file_write_atomic(testp, buf, len, &e))
            rc = cmd_fail(testp, &e);
    } else if (!rc)
        cmd_note("no labelled test scans to evaluate");
    if (mean_dice)
        *mean_dice = ntest ? dsum / ntest : NAN;
    free(buf);
    free(set);
    model_free(&m);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    struct train_cli c;
    int rc = train_cli_parse(argc, argv, &c, "train");
    if (rc)
        return rc;
    if (unet_device_pick(c.tf32))
        return 2;
    c.o.device = &g_unet_dev;
    struct sarc_err e = {0};
    struct seg_cohort co;
    if (seg_cohort_read(c.cohort, &co, &e))
        return cmd_fail(c.cohort, &e);
    if (!c.variants_all) {
        rc = train_one(&c, &co, c.out, NULL);
        seg_cohort_free(&co);
        return rc;
    }
    /* the paper's 8 networks (Table 2) */
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    if (!mf) {
        seg_cohort_free(&co);
        return cmd_failf(c.out, "out of memory");
    }
    fprintf(mf, "variant,skip,loss,contrasts,test_dice_mean\n");
    const int quick = c.quick;
    for (int v = 0; v < 8 && !rc; v++) {
        const int skip = !(v & 4), dice = (v & 2) != 0, t2only = (v & 1) != 0;
        struct train_cli cv = c;
        cv.quick = quick;
        cv.noskip = !skip;
        cv.o.loss = dice ? LOSS_DICE : LOSS_BCE;
        cv.o.contrasts = t2only ? CONTRAST_T2 : (CONTRAST_T1 | CONTRAST_T1C | CONTRAST_T2);
        const int mt = c.max_test;
        preset_apply(&cv);
        cv.max_test = mt;
        char name[64], out[4200];
        snprintf(name, sizeof name, "%s-%s-%s", skip ? "skip" : "noskip", dice ? "dice" : "bce", t2only ? "T2" : "multi");
        snprintf(out, sizeof out, "%.*s-%s.sarcnet", (int)(path_has_suffix(c.out, ".sarcnet") ? strlen(c.out) - 8 : strlen(c.out)),
                 c.out, name);
        double d = NAN;
        rc = train_one(&cv, &co, out, &d);
        fprintf(mf, "%s,%d,%s,%s,%.6f\n", name, skip, dice ? "dice" : "bce", t2only ? "T2" : "T1;T1C;T2", d);
        printf("variant %s: test dice %.4f\n", name, d);
    }
    fclose(mf);
    if (!rc) {
        char tp[4200];
        snprintf(tp, sizeof tp, "%s.variants.csv", c.out);
        if (file_write_atomic(tp, buf, len, &e))
            rc = cmd_fail(tp, &e);
        else
            fputs(buf, stdout);
    }
    free(buf);
    seg_cohort_free(&co);
    return rc;
}

/* ---- sarc kfold ---- */

const char cmd_kfold_usage[] =
    "Usage: sarc kfold COHORT.csv -o DIR [--folds 5] [train options]\n"
    "  K-fold cross-validation by mouse: the mice are shuffled with the seed and cut into K folds;\n"
    "  fold f tests on its own mice (20 % for K = 5), validates on 10 % of the mice (the next ones in\n"
    "  the shuffled order) and trains on the rest. Each fold's network segments only its own test\n"
    "  scans; scans without a label are segmented by the majority vote of the K networks. Writes\n"
    "  DIR/fold<f>.sarcnet, DIR/kfold.csv (per scan, per-fold means, mean and sd of every metric,\n"
    "  like the paper's Table 3) and DIR/<mouse>_<timepoint>_mask.nii.gz for every scan.\n";

int cmd_kfold(int argc, char **argv)
{
    struct train_cli c;
    int rc = train_cli_parse(argc, argv, &c, "kfold");
    if (rc)
        return rc;
    if (unet_device_pick(c.tf32))
        return 2;
    c.o.device = &g_unet_dev;
    struct sarc_err e = {0};
    struct seg_cohort co;
    if (seg_cohort_read(c.cohort, &co, &e))
        return cmd_fail(c.cohort, &e);
    if (file_mkdirs(c.out, &e)) {
        seg_cohort_free(&co);
        return cmd_fail(c.out, &e);
    }
    const int K = c.folds;
    int *mouse = malloc(sizeof(int) * (size_t)co.n), *perm = malloc(sizeof(int) * (size_t)co.n);
    int *set = malloc(sizeof(int) * (size_t)co.n), *rank = malloc(sizeof(int) * (size_t)co.n);
    uint8_t **votes = calloc((size_t)co.n, sizeof(uint8_t *));
    struct seg_scan *vscan = calloc((size_t)co.n, sizeof *vscan);
    double *fold_vals = calloc((size_t)K * NMET * 2, sizeof(double));
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = NULL;
    if (!mouse || !perm || !set || !rank || !votes || !vscan || !fold_vals) {
        rc = cmd_failf(c.out, "out of memory");
        goto done;
    }
    const int M = seg_mouse_index(&co, mouse);
    if (M < K) {
        rc = cmd_failf(c.cohort, "%d mice, fewer than the %d folds", M, K);
        goto done;
    }
    for (int i = 0; i < M; i++)
        perm[i] = i;
    struct rng_cursor rcur = rng_cursor_init(c.o.seed, rng_stream(RNG_SPLIT, 1, 0, 0));
    for (int i = M - 1; i > 0; i--) {
        const int j = (int)rng_next_below(&rcur, (uint32_t)(i + 1));
        const int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int i = 0; i < M; i++)
        rank[perm[i]] = i; /* position of mouse in the shuffled order */
    int nval = (int)floor(0.1 * M + 0.5);
    if (nval < 1)
        nval = 1;
    mf = open_memstream(&buf, &len);
    if (!mf) {
        rc = cmd_failf(c.out, "out of memory");
        goto done;
    }
    struct csv_writer w = {mf, 1};
    table_header(&w, "fold");
    for (int f = 0; f < K && !rc; f++) {
        /* mice at shuffled positions [f M / K, (f + 1) M / K) are the test fold; the next nval
         * positions (cyclically) validate */
        const int lo = f * M / K, hi = (f + 1) * M / K;
        for (int k = 0; k < co.n; k++) {
            const int r = rank[mouse[k]];
            const int vpos = (r - hi + M) % M;
            set[k] = r >= lo && r < hi ? SET_TEST : vpos < nval ? SET_VAL : SET_TRAIN;
        }
        struct train_cli cf = c;
        cf.o.set = set;
        char out[4200], name[256], ckpt[4300], logp[4300];
        snprintf(name, sizeof name, "fold%d.sarcnet", f + 1);
        path_join(out, sizeof out, c.out, name);
        snprintf(ckpt, sizeof ckpt, "%s.ckpt", out);
        snprintf(logp, sizeof logp, "%s.log.csv", out);
        cf.o.ckpt_path = ckpt;
        cf.o.log_path = logp;
        cmd_note("kfold: fold %d of %d (%d test mice)", f + 1, K, hi - lo);
        struct seg_model m;
        if (seg_train(&co, &cf.o, &m, &e)) {
            rc = cmd_fail(c.cohort, &e);
            break;
        }
        if (m.epochs < cf.o.epochs) {
            cmd_note("stopped after epoch %d of fold %d as asked; resume with --resume", m.epochs, f + 1);
            model_free(&m);
            break;
        }
        if (model_write(out, &m, &e)) {
            model_free(&m);
            rc = cmd_fail(out, &e);
            break;
        }
        double sums[NMET * 2] = {0};
        int ntest = 0;
        for (int k = 0; k < co.n && !rc; k++) {
            const int unlabelled = !co.c[k].label;
            if (!(set[k] == SET_TEST && !unlabelled) && !unlabelled)
                continue;
            struct seg_metrics raw, lc;
            uint8_t *mask = NULL;
            struct seg_scan s;
            memset(&s, 0, sizeof s);
            if (evaluate_case(&m, &co, k, &raw, &lc, &mask, &s, &e)) {
                rc = cmd_fail(co.c[k].label ? co.c[k].label : co.c[k].mouse, &e);
                break;
            }
            char mp[4300];
            snprintf(name, sizeof name, "%s_%s_mask.nii.gz", co.c[k].mouse, co.c[k].timepoint);
            path_join(mp, sizeof mp, c.out, name);
            const int64_t n = s.fdim[0] * s.fdim[1] * s.fdim[2];
            if (!unlabelled) {
                /* a labelled scan is segmented by its own fold's network only */
                if (write_like(mp, &s.geom, s.fdim, NULL, mask, &e))
                    rc = cmd_fail(mp, &e);
                char fs[16];
                snprintf(fs, sizeof fs, "%d", f + 1);
                table_row(&w, fs, co.c[k].mouse, co.c[k].timepoint, &raw, &lc);
                double a[NMET], b[NMET];
                met_values(&raw, a);
                met_values(&lc, b);
                for (int i = 0; i < NMET; i++)
                    sums[i] += a[i], sums[NMET + i] += b[i];
                ntest++;
                free(mask);
                seg_scan_free(&s);
            } else {
                /* majority vote across the folds: count votes, write after the last fold */
                if (!votes[k]) {
                    votes[k] = calloc((size_t)n, 1);
                    free(s.x);
                    free(s.label);
                    free(s.flabel);
                    vscan[k] = s; /* keep the geometry only */
                    vscan[k].x = NULL;
                    vscan[k].label = vscan[k].flabel = NULL;
                } else
                    seg_scan_free(&s);
                if (!votes[k]) {
                    free(mask);
                    rc = cmd_failf(c.out, "out of memory");
                    break;
                }
                for (int64_t i = 0; i < n; i++)
                    votes[k][i] += mask[i] != 0;
                free(mask);
            }
        }
        for (int i = 0; i < 2 * NMET; i++)
            fold_vals[(size_t)f * 2 * NMET + i] = ntest ? sums[i] / ntest : NAN;
        printf("fold %d: test scans %d, dice %.4f, dice_largest %.4f\n", f + 1, ntest, ntest ? sums[4] / ntest : NAN,
               ntest ? sums[NMET + 4] / ntest : NAN);
        model_free(&m);
    }
    if (!rc) {
        for (int k = 0; k < co.n && !rc; k++) {
            if (!votes[k])
                continue;
            const int64_t n = vscan[k].fdim[0] * vscan[k].fdim[1] * vscan[k].fdim[2];
            for (int64_t i = 0; i < n; i++)
                votes[k][i] = 2 * votes[k][i] > K;
            char name[256], mp[4300];
            snprintf(name, sizeof name, "%s_%s_mask.nii.gz", co.c[k].mouse, co.c[k].timepoint);
            path_join(mp, sizeof mp, c.out, name);
            if (write_like(mp, &vscan[k].geom, vscan[k].fdim, NULL, votes[k], &e))
                rc = cmd_fail(mp, &e);
        }
        /* per-fold means, then mean and sd over folds (Table 3) */
        for (int f = 0; f < K; f++) {
            char fs[32];
            snprintf(fs, sizeof fs, "fold%d_mean", f + 1);
            csv_put(&w, fs), csv_put(&w, ""), csv_put(&w, "");
            for (int i = 0; i < 2 * NMET; i++)
                csv_putnum(&w, fold_vals[(size_t)f * 2 * NMET + i]);
            csv_endrow(&w);
        }
        double col[100];
        const char *tags[2] = {"mean", "sd"};
        for (int t = 0; t < 2; t++) {
            csv_put(&w, tags[t]), csv_put(&w, ""), csv_put(&w, "");
            for (int i = 0; i < 2 * NMET; i++) {
                for (int f = 0; f < K; f++)
                    col[f] = fold_vals[(size_t)f * 2 * NMET + i];
                double mu, sd;
                mean_sd(col, K, &mu, &sd);
                csv_putnum(&w, t ? sd : mu);
                if (!t && i >= NMET)
                    printf("%s_largest=%.6g", met_names[i - NMET], mu);
                if (t && i >= NMET)
                    printf("%s_largest_sd=%.6g", met_names[i - NMET], sd);
                if (i >= NMET)
                    printf("\n");
            }
            csv_endrow(&w);
        }
    }
    fclose(mf);
    mf = NULL;
    if (!rc) {
        char tp[4300];
        path_join(tp, sizeof tp, c.out, "kfold.csv");
        if (file_write_atomic(tp, buf, len, &e))
            rc = cmd_fail(tp, &e);
    }
done:
    if (mf)
        fclose(mf);
    free(buf);
    if (votes)
        for (int k = 0; k < co.n; k++)
            free(votes[k]);
    free(votes), free(vscan), free(mouse), free(perm), free(set), free(rank), free(fold_vals);
    seg_cohort_free(&co);
    return rc;
}
