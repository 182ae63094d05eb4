/* cmd.h - shared by the subcommands in cmd/: the common options, error printing, and the
 * subcommand entry points. cmd/ is the only code that prints results or exits.
 *
 * Exit codes: 0 success; 1 the command ran but reports a negative outcome (e.g. a failed case in
 * a batch, a check that did not pass); 2 bad input or usage, with "sarc: <file>: <what>" on
 * stderr. */
#ifndef SARC_CMD_H
#define SARC_CMD_H

#include <stdint.h>

#include "vendor/err.h"

struct common_opts {
    uint64_t seed;      /* --seed N (default 42) */
    int seed_given;
    int threads;        /* --threads N (0 = all CPUs) */
    const char *device; /* --device cpu|cuda|auto (default auto) */
    const char *audit;  /* --audit FILE ("none" disables; default $SARC_AUDIT or sarc-audit.jsonl) */
    int quiet;          /* -q/--quiet */
};
extern struct common_opts g_opts;

/* Prints "sarc: <what>: <e->msg>" (what may be NULL) and returns 2. */
int cmd_fail(const char *what, const struct sarc_err *e);
/* Prints "sarc: <what>: <printf message>" and returns 2. */
int cmd_failf(const char *what, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))

#endif
    ;
/* Prints the usage of subcommand name to stderr and returns 2. */
int cmd_usage(const char *name);
/* Informational line on stderr unless --quiet. */
void cmd_note(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))

#endif
    ;

/* Resolves --device for commands that compute on a device: 0 = CPU, 1 = CUDA. Prints the CPU
 * fallback note once for "auto" without a GPU; fails (returns -1 after printing) for "cuda"
 * without CUDA support or without a GPU. */
int cmd_resolve_device(void);

/* Small option helpers for subcommands: parse a number / a comma list "a,b,c". Return 0 or -1. */
int opt_double(const char *s, double *out);
int opt_int(const char *s, long long lo, long long hi, long long *out);
int opt_list(const char *s, double *out, int n); /* exactly n comma-separated numbers */

/* One option of a subcommand: `name` ("-o", "--mask") either stores its value in *value, or,
 * when flag is not NULL, sets *flag = 1 and takes no value. Tables end with {NULL}. */
struct cmd_opt {
    const char *name;
    const char **value;
    int *flag;
};
/* Parses argv[1..argc): options from opts, positional arguments into pos[0..maxpos). Returns the
 * number of positionals, or -1 after printing "sarc: <cmd>: ..." (and the usage for an unknown
 * option or a surplus argument): the caller then returns 2. A value may start with '-'. */
int cmd_parse(int argc, char **argv, const struct cmd_opt *opts, const char **pos, int maxpos);

/* Build facts (set by the Makefile). */
const char *sarc_version(void);
const char *sarc_commit(void);
const char *sarc_build_flags(void);

/* Subcommands: argv[0] is the subcommand name; common options have been removed. */
int cmd_info(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_params(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_phantom(int argc, char **argv);
int cmd_n4(int argc, char **argv);
int cmd_morph(int argc, char **argv);
int cmd_components(int argc, char **argv);
int cmd_resample(int argc, char **argv);
int cmd_growcut(int argc, char **argv);
int cmd_regions(int argc, char **argv);
int cmd_radiomics(int argc, char **argv);
int cmd_featuremap(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_segment(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_kfold(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_ttest(int argc, char **argv);
int cmd_wilcoxon(int argc, char **argv);
int cmd_mrmr(int argc, char **argv);
int cmd_svm(int argc, char **argv);
int cmd_mlp(int argc, char **argv);
int cmd_roc(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_study(int argc, char **argv);


/* Each subcommand file also defines its usage text, printed by `sarc <cmd> --help`. */
extern const char cmd_info_usage[];
extern const char cmd_convert_usage[];
extern const char cmd_audit_usage[];
extern const char cmd_params_usage[];
extern const char cmd_scan_usage[];
extern const char cmd_phantom_usage[];
extern const char cmd_n4_usage[];
extern const char cmd_morph_usage[];
extern const char cmd_components_usage[];
extern const char cmd_resample_usage[];
extern const char cmd_growcut_usage[];
extern const char cmd_regions_usage[];
extern const char cmd_radiomics_usage[];
extern const char cmd_featuremap_usage[];
extern const char cmd_train_usage[];
extern const char cmd_segment_usage[];
extern const char cmd_evaluate_usage[];
extern const char cmd_kfold_usage[];
extern const char cmd_model_usage[];
extern const char cmd_ttest_usage[];
extern const char cmd_wilcoxon_usage[];
extern const char cmd_mrmr_usage[];
extern const char cmd_svm_usage[];
extern const char cmd_mlp_usage[];
extern const char cmd_roc_usage[];
extern const char cmd_classify_usage[];
extern const char cmd_study_usage[];

#endif
