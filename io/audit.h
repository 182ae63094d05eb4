/* audit.h - the audit trail: every run and every numeric step, as JSON Lines.
 *
 * One trail per process. cmd/ opens it (audit_open) with the --audit path and records the run
 * (command line, version, commit, seed, threads, device, start time); audit_close() writes the
 * run's end record (end time, exit status). Each numeric step in library code is recorded with:
 *
 *     struct audit_step *st = audit_step_begin("n4");
 *     audit_param_num(st, "fwhm", 0.15);
 *     audit_input_file(st, "image", path);          // path + SHA-256 of the file's bytes
 *     audit_input_volume(st, "mask", &mask);        // SHA-256 of the array + summary figures
 *     ... work ...
 *     audit_output_volume(st, "corrected", &out);
 *     audit_summary(st, "log_bias", values, n);     // count, min, max, mean, std, NaN count
 *     audit_step_end(st);                           // wall time; writes one JSON line
 *
 * Record fields: {"type":"run"|"step"|"end", "run": run id, "step": name, "seq": n, "params": {},
 * "inputs": [{"name","path","sha256","bytes"} | {"name","sha256","dtype","shape","stats"}],
 * "outputs": [...], "summary": {name: {count,min,max,mean,std,nan}}, "wall_s": t}.
 * Array hashes are SHA-256 of the little-endian bytes of the array as passed (for volumes: the
 * float64 values, x fastest). Output files are hashed after they are written (audit_output_file).
 * When no trail is open every call is a cheap no-op, so library code calls them unconditionally.
 * Thread-safe: steps may be recorded from worker threads; each is written as one line.
 * Covered by test/io/test_audit.c. */
#ifndef SARC_AUDIT_H
#define SARC_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "io/volume.h"
#include "vendor/err.h"

struct audit_run_info {
    int argc;
    char **argv;
    uint64_t seed;
    int threads;
    const char *device; /* "cpu" or "cuda:0 <name>" */
};

/* Version and commit for the run record (io/ cannot ask cmd/): cmd/main.c calls this before
 * audit_open. The strings must outlive the trail (string literals). */
void audit_set_build(const char *version, const char *commit);

/* Opens (appends to) the trail at path and writes the run record. path NULL = no trail. */
int audit_open(const char *path, const struct audit_run_info *info, struct sarc_err *e);
/* Writes the end record with the exit status and closes. */
void audit_close(int exit_status);
int audit_enabled(void);
const char *audit_path(void);

struct audit_step;
struct audit_step *audit_step_begin(const char *name);
void audit_param_num(struct audit_step *st, const char *key, double v);
void audit_param_int(struct audit_step *st, const char *key, long long v);
void audit_param_str(struct audit_step *st, const char *key, const char *v);
void audit_input_file(struct audit_step *st, const char *name, const char *path);
void audit_output_file(struct audit_step *st, const char *name, const char *path);
void audit_input_volume(struct audit_step *st, const char *name, const struct volume *v);
void audit_output_volume(struct audit_step *st, const char *name, const struct volume *v);
/* A float64 / float32 array (hash of the bytes as given, plus stats). */
void audit_input_array(struct audit_step *st, const char *name, const double *x, int64_t n);
void audit_output_array(struct audit_step *st, const char *name, const double *x, int64_t n);
void audit_output_arrayf(struct audit_step *st, const char *name, const float *x, int64_t n);
void audit_summary(struct audit_step *st, const char *name, const double *x, int64_t n);
void audit_value(struct audit_step *st, const char *name, double v); /* one summary figure */
void audit_note(struct audit_step *st, const char *text);
void audit_step_end(struct audit_step *st);

/* Hex SHA-256 of a file's bytes (streamed); 0 or an error. */
int audit_hash_file(const char *path, char hex[65], long long *nbytes, struct sarc_err *e);

#endif
