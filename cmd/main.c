/* main.c - the `sarc` binary: common options, subcommand dispatch, help and version.
 * Common options are accepted anywhere on the command line by every subcommand and removed before
 * the subcommand sees its arguments: --seed N, --threads N, --device cpu|cuda|auto, --audit FILE,
 * -q/--quiet. Covered by test/cmd/test_cli.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "io/audit.h"
#include "nn/device.h"
#include "vendor/pool.h"
#include "vendor/progress.h"

#ifndef SARC_VERSION
#define SARC_VERSION "0.1.0"
#endif
#ifndef SARC_COMMIT
#define SARC_COMMIT "unknown"
#endif
#ifndef SARC_FLAGS
#define SARC_FLAGS "unknown"
#endif

struct common_opts g_opts = {42, 0, 0, "auto", NULL, 0};

const char *sarc_version(void) { return SARC_VERSION; }
const char *sarc_commit(void) { return SARC_COMMIT; }
const char *sarc_build_flags(void) { return SARC_FLAGS; }

struct subcommand {
    const char *name;
    int (*fn)(int, char **);
    const char *usage;
    const char *summary;
    int audited; /* writes an audit trail by default */
};

static const struct subcommand commands[] = {
    {"info", cmd_info, cmd_info_usage, "format, dims, spacing, type, affine and statistics of images", 0},
    {"convert", cmd_convert, cmd_convert_usage, "convert between NIfTI, NRRD and Bruker (format from the extension)", 1},
    {"audit", cmd_audit, cmd_audit_usage, "show an audit trail readably (audit show FILE)", 0},
    {"params", cmd_params, cmd_params_usage, "print parsed Bruker JCAMP-DX parameters", 0},
    {"scan", cmd_scan, cmd_scan_usage, "list the experiments of a Bruker study folder", 0},
    {"phantom", cmd_phantom, cmd_phantom_usage, "generate a synthetic mouse-sarcoma cohort with known truth", 1},
    {"n4", cmd_n4, cmd_n4_usage, "N4 bias-field correction", 1},
    {"morph", cmd_morph, cmd_morph_usage, "binary dilate/erode/open/close with a radius in mm", 1},
    {"components", cmd_components, cmd_components_usage, "connected components, largest component, hole filling", 1},
    {"resample", cmd_resample, cmd_resample_usage, "resample to a new spacing", 1},
    {"growcut", cmd_growcut, cmd_growcut_usage, "semi-automatic GrowCut segmentation from seeds", 1},
    {"regions", cmd_regions, cmd_regions_usage, "tumour, 3 mm peritumoral shell and combined regions", 1},
    {"radiomics", cmd_radiomics, cmd_radiomics_usage, "PyRadiomics-compatible features", 1},
    {"featuremap", cmd_featuremap, cmd_featuremap_usage, "voxel-based radiomics feature maps", 1},
    {"train", cmd_train, cmd_train_usage, "train the 3D U-Net on a cohort", 1},
    {"segment", cmd_segment, cmd_segment_usage, "segment tumours with a trained U-Net", 1},
    {"evaluate", cmd_evaluate, cmd_evaluate_usage, "segmentation metrics of a prediction against a label", 1},
    {"kfold", cmd_kfold, cmd_kfold_usage, "K-fold cross-validation of the U-Net", 1},
    {"model", cmd_model, cmd_model_usage, "init, export and import U-Net model files", 1},
    {"ttest", cmd_ttest, cmd_ttest_usage, "paired t-tests with multiple-comparison correction", 1},
    {"wilcoxon", cmd_wilcoxon, cmd_wilcoxon_usage, "paired Wilcoxon signed-rank tests", 1},
    {"mrmr", cmd_mrmr, cmd_mrmr_usage, "mRMR feature ranking (MID/MIQ)", 1},
    {"svm", cmd_svm, cmd_svm_usage, "train a C-SVC and predict a test table", 1},
    {"mlp", cmd_mlp, cmd_mlp_usage, "train an MLP classifier and predict a test table", 1},
    {"roc", cmd_roc, cmd_roc_usage, "ROC curve and AUC of scores", 1},
    {"classify", cmd_classify, cmd_classify_usage, "cross-validated classification with ROC AUC", 1},
    {"study", cmd_study, cmd_study_usage, "the whole study on a cohort", 1},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static const char common_help[] =
    "Common options (every subcommand):\n"
    "  --seed N         random seed (default 42); same inputs + seed = identical outputs\n"
    "  --threads N      worker threads (default: all CPUs); results do not depend on it\n"
    "  --device D       cpu, cuda or auto (default auto: the GPU when present)\n"
    "  --audit FILE     append the audit trail to FILE (default $SARC_AUDIT, else\n"
    "                   ./sarc-audit.jsonl for commands that compute; 'none' disables)\n"
    "  -q, --quiet      no progress lines or notes\n";

static void print_help(FILE *f)
{
    fprintf(f, "sarc %s - preclinical tumour MRI: read, correct, segment, measure, analyse, audit\n\n", SARC_VERSION);
    fprintf(f, "Usage: sarc <command> [options]    (sarc <command> --help for details)\n\n");
    for (int i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-11s %s\n  %-11s %s\n\n", "version", "version, commit, build flags, CUDA and GPU", "help", "this list");
    fputs(common_help, f);
}

int cmd_fail(const char *what, const struct sarc_err *e)
{
    if (what && *what)
        fprintf(stderr, "sarc: %s: %s\n", what, e && e->msg[0] ? e->msg : "failed");
    else
        fprintf(stderr, "sarc: %s\n", e && e->msg[0] ? e->msg : "failed");
    return 2;
}

int cmd_failf(const char *what, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (what && *what)
        fprintf(stderr, "sarc: %s: %s\n", what, msg);
    else
        fprintf(stderr, "sarc: %s\n", msg);
    return 2;
}

void cmd_note(const char *fmt, ...)
{
    if (g_opts.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("sarc: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cmd_usage(const char *name)
{
    for (int i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) {
            fprintf(stderr, "%s", commands[i].usage);
            return 2;
        }
    return 2;
}

int cmd_resolve_device(void)
{
    static int resolved = -2;
    if (resolved != -2)
        return resolved;
    char name[256];
    const int have_gpu = device_cuda_available(name, sizeof name);
    if (strcmp(g_opts.device, "cpu") == 0)
        resolved = 0;
    else if (strcmp(g_opts.device, "cuda") == 0) {
        if (!device_cuda_compiled()) {
            cmd_failf("--device cuda", "this sarc was built without CUDA (rebuild with nvcc on PATH, without CUDA=0)");
            resolved = -1;
        } else if (!have_gpu) {
            cmd_failf("--device cuda", "%s", name);
            resolved = -1;
        } else
            resolved = 1;
    } else {
        resolved = have_gpu ? 1 : 0;
        if (!have_gpu)
            cmd_note("no GPU found, running on the CPU%s", device_cuda_compiled() ? "" : " (built without CUDA)");
    }
    return resolved;
}

int opt_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    double v = strtod(s, &end);
    if (*end)
        return -1;
    *out = v;
    return 0;
}

int opt_int(const char *s, long long lo, long long hi, long long *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int opt_list(const char *s, double *out, int n)
{
    if (!s)
        return -1;
    const char *p = s;
    for (int i = 0; i < n; i++) {
        char *end;
        out[i] = strtod(p, &end);
        if (end == p)
            return -1;
        if (i < n - 1) {
            if (*end != ',' && *end != 'x')
                return -1;
            p = end + 1;
        } else if (*end)
            return -1;
    }
    return 0;
}

static int cmd_version(void)
{
    char name[256];
    int gpu = device_cuda_available(name, sizeof name);
    printf("sarc %s\n", SARC_VERSION);
    printf("commit: %s\n", SARC_COMMIT);
    printf("build: %s\n", SARC_FLAGS);
    printf("cuda: %s\n", device_cuda_compiled() ? "compiled in" : "not compiled in");
    printf("gpu: %s\n", gpu ? name : (device_cuda_compiled() ? name : "none (CPU only)"));
    return 0;
}

/* Removes the common options from argv (in place); returns the new argc or -1 on a bad value. */
static int parse_common(int argc, char **argv)
{
    int out = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        int takes = !strcmp(a, "--seed") || !strcmp(a, "--threads") || !strcmp(a, "--device") || !strcmp(a, "--audit");
        if (takes) {
            if (i + 1 >= argc)
                return cmd_failf(a, "needs a value"), -1;
            val = argv[++i];
        }
        if (!strcmp(a, "--seed")) {
            char *end;
            unsigned long long v = strtoull(val, &end, 10);
            if (*end || !*val || val[0] == '-')
                return cmd_failf("--seed", "'%s' is not a non-negative integer", val), -1;
            g_opts.seed = v;
            g_opts.seed_given = 1;
        } else if (!strcmp(a, "--threads")) {
            long long v;
            if (opt_int(val, 0, 1024, &v))
                return cmd_failf("--threads", "'%s' is not an integer in 0..1024", val), -1;
            g_opts.threads = (int)v;
        } else if (!strcmp(a, "--device")) {
            if (strcmp(val, "cpu") && strcmp(val, "cuda") && strcmp(val, "auto"))
                return cmd_failf("--device", "'%s': expected cpu, cuda or auto", val), -1;
            g_opts.device = val;
        } else if (!strcmp(a, "--audit")) {
            g_opts.audit = val;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            g_opts.quiet = 1;
        } else
            argv[out++] = argv[i];
    }
    argv[out] = NULL;
    return out;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        if (argc >= 3 && strcmp(argv[1], "help") == 0) {
            for (int i = 0; i < NCOMMANDS; i++)
                if (!strcmp(commands[i].name, argv[2])) {
                    fputs(commands[i].usage, stdout);
                    fputs("\n", stdout);
                    fputs(common_help, stdout);
                    return 0;
                }
        }
        print_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version"))
        return cmd_version();
    const struct subcommand *sc = NULL;
    for (int i = 0; i < NCOMMANDS; i++)
        if (!strcmp(commands[i].name, argv[1]))
            sc = &commands[i];
    if (!sc) {
        fprintf(stderr, "sarc: unknown command '%s' (sarc help lists them)\n", argv[1]);
        return 2;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(sc->usage, stdout);
            fputs("\n", stdout);
            fputs(common_help, stdout);
            return 0;
        }
    /* keep the original command line for the audit record before removing common options */
    char **orig = malloc(sizeof(char *) * (size_t)(argc + 1));
    if (!orig)
        return cmd_failf(NULL, "out of memory");
    memcpy(orig, argv, sizeof(char *) * (size_t)(argc + 1));
    int sub_argc = parse_common(argc - 1, argv + 1);
    if (sub_argc < 0) {
        free(orig);
        return 2;
    }
    progress_set_quiet(g_opts.quiet);
    if (pool_set_default_threads(g_opts.threads) != 0)
        cmd_note("could not start %d threads; running serially", g_opts.threads);

    const char *audit = g_opts.audit;
    if (!audit)
        audit = getenv("SARC_AUDIT");
    if (!audit && sc->audited)
        audit = "sarc-audit.jsonl";
    if (audit && (!strcmp(audit, "none") || !*audit))
        audit = NULL;
    int rc;
    struct sarc_err e = {0};
    char devname[256] = "cpu";
    if (strcmp(g_opts.device, "cpu") && device_cuda_available(devname, sizeof devname))
        ; /* devname holds the GPU's name */
    else
        strcpy(devname, "cpu");
    struct audit_run_info info = {argc, orig, g_opts.seed, pool_threads(pool_default()), devname};
    audit_set_build(SARC_VERSION, SARC_COMMIT);
    if (audit && audit_open(audit, &info, &e) != 0) {
        rc = cmd_fail(audit, &e);
    } else {
        rc = sc->fn(sub_argc, argv + 1);
        audit_close(rc);
    }
    pool_default_free();
    free(orig);
    return rc;
}
