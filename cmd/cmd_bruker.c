/* cmd_bruker.c - `sarc params` (parsed JCAMP-DX parameters) and `sarc scan` (the experiments of a
 * Bruker ParaVision study folder). Library: io/jcamp.h, io/bruker.h.
 * Covered by test/io/test_jcamp.c (params) and test/io/test_bruker.c (scan). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "io/bruker.h"
#include "io/file.h"
#include "io/jcamp.h"

const char cmd_params_usage[] =
    "Usage: sarc params FILE [NAME...]\n"
    "  Prints the parsed JCAMP-DX parameters of a ParaVision parameter file (acqp, method, reco,\n"
    "  visu_pars, d3proc, subject): all of them, or only the named ones, one per line as\n"
    "  NAME = ( dims ) values   (strings in <>, structs in (), run-length forms expanded).\n"
    "  A NAME that the file does not hold is an error (exit 2).\n";

int cmd_params(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return cmd_usage("params");
    const char *path = argv[1];
    struct jcamp j;
    struct sarc_err e;
    err_clear(&e);
    if (jcamp_read(path, &j, &e))
        return cmd_fail(path, &e);
    int rc = 0;
    if (argc == 2) {
        for (int i = 0; i < j.nparam; i++)
            jcamp_param_print(stdout, &j.param[i]);
    } else {
        /* every name must exist before anything is printed */
        for (int a = 2; a < argc; a++)
            if (!jcamp_find(&j, argv[a])) {
                rc = cmd_failf(path, "no parameter named %s", argv[a]);
                goto done;
            }
        for (int a = 2; a < argc; a++)
            jcamp_param_print(stdout, jcamp_find(&j, argv[a]));
    }
done:
    jcamp_free(&j);
    return rc;
}

const char cmd_scan_usage[] =
    "Usage: sarc scan STUDY_DIR\n"
    "  Lists the experiments (numbered folders) of a Bruker study folder: number, protocol,\n"
    "  method, dims and voxel size of pdata/1 (else the lowest pdata/N) as `sarc convert` would\n"
    "  write them, frame count,\n"
    "  acquisition date and scan duration. An experiment that cannot be decoded is listed with\n"
    "  the reason.\n";

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* 1 if s is a folder number as ParaVision writes them (1 to 9 decimal digits), else 0. */
static int is_number_name(const char *s)
{
    const size_t len = strlen(s);
    return len > 0 && len <= 9 && strspn(s, "0123456789") == len;
}

/* The first string/word of name in file dir/fname, copied into out ("-" if absent). */
static void param_text(const char *dir, const char *fname, const char *name, char *out, size_t size)
{
    char p[4200];
    struct jcamp j;
    snprintf(out, size, "-");
    if (path_join(p, sizeof p, dir, fname) || !file_is_regular(p) || jcamp_read(p, &j, NULL))
        return;
    const char *s = jcamp_str(&j, name);
    if (s && *s) {
        snprintf(out, size, "%s", s);
        for (char *c = out; *c; c++)
            if (*c == ' ' || *c == '\t')
                *c = '_';
    }
    jcamp_free(&j);
}

/* The smallest N of exp/pdata/N folders, or 0 if none. */
static long long lowest_pdata(const char *exp)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/pdata", exp);
    DIR *d = opendir(p);
    if (!d)
        return 0;
    long long best = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_number_name(de->d_name))
            continue;
        long long n = atoll(de->d_name);
        if (n > 0 && (best == 0 || n < best))
            best = n;
    }
    closedir(d);
    return best;
}

int cmd_scan(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return cmd_usage("scan");
    const char *study = argv[1];
    if (!file_is_dir(study))
        return cmd_failf(study, "not a folder");
    DIR *dir = opendir(study);
    if (!dir)
        return cmd_failf(study, "cannot open the folder");
    long long *nums = NULL;
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        const char *s = de->d_name;
        if (!is_number_name(s))
            continue;
        char p[4200];
        if (path_join(p, sizeof p, study, s) || !file_is_dir(p))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            long long *nn = realloc(nums, sizeof *nums * (size_t)cap);
            if (!nn) {
                free(nums);
                closedir(dir);
                return cmd_failf(study, "out of memory");
            }
            nums = nn;
        }
        nums[n++] = atoll(s);
    }
    closedir(dir);
    if (n == 0) {
        free(nums);
        return cmd_failf(study, "no experiment folders (numbered sub-folders) here: not a Bruker study folder");
    }
    qsort(nums, (size_t)n, sizeof *nums, cmp_ll);
    printf("%-5s %-28s %-24s %-18s %-26s %-7s %-30s %s\n", "exp", "protocol", "method", "dims", "voxel_mm", "frames", "acquired",
           "duration");
    for (int i = 0; i < n; i++) {
        char ed[4200], protocol[128], method[128], when[128], dur[64];
        snprintf(ed, sizeof ed, "%s/%lld", study, nums[i]);
        param_text(ed, "acqp", "ACQ_protocol_name", protocol, sizeof protocol);
        param_text(ed, "acqp", "ACQ_method", method, sizeof method);
        if (strcmp(method, "-") == 0)
            param_text(ed, "method", "Method", method, sizeof method);
        param_text(ed, "acqp", "ACQ_time", when, sizeof when);
        if (strcmp(when, "-") == 0)
            param_text(ed, "pdata/1/visu_pars", "VisuAcqDate", when, sizeof when);
        param_text(ed, "method", "PVM_ScanTimeStr", dur, sizeof dur);
        struct bruker_probe pr;
        struct sarc_err e;
        err_clear(&e);
        char dims[64] = "-", vox[96] = "-", frames[32] = "-";
        int prc = bruker_probe(ed, &pr, &e);
        if (prc) {
            /* no pdata/1 (e.g. only re-reconstructions): the lowest-numbered pdata/N instead */
            char pd[4300];
            long long lo = lowest_pdata(ed);
            if (lo > 0 && snprintf(pd, sizeof pd, "%s/pdata/%lld", ed, lo) < (int)sizeof pd) {
                err_clear(&e);
                prc = bruker_probe(pd, &pr, &e);
            }
        }
        if (prc == 0) {
            if (pr.ndim == 4)
                snprintf(dims, sizeof dims, "%lldx%lldx%lldx%lld", (long long)pr.dim[0], (long long)pr.dim[1], (long long)pr.dim[2],
                         (long long)pr.dim[3]);
            else
                snprintf(dims, sizeof dims, "%lldx%lldx%lld", (long long)pr.dim[0], (long long)pr.dim[1], (long long)pr.dim[2]);
            snprintf(vox, sizeof vox, "%.4gx%.4gx%.4g", pr.spacing[0], pr.spacing[1], pr.spacing[2]);
            snprintf(frames, sizeof frames, "%lld", (long long)pr.frames);
        }
        printf("%-5lld %-28s %-24s %-18s %-26s %-7s %-30s %s", nums[i], protocol, method, dims, vox, frames, when, dur);
        if (e.msg[0])
            printf("  (cannot decode: %s)", e.msg);
        putchar('\n');
    }
    free(nums);
    return 0;
}
