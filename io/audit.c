/* audit.c - placeholder: the foundation issue replaces this file (all calls are no-ops). */
#include "io/audit.h"

#include <stddef.h>

int audit_open(const char *path, const struct audit_run_info *info, struct sarc_err *e) { (void)path, (void)info, (void)e; return 0; }
void audit_close(int exit_status) { (void)exit_status; }
int audit_enabled(void) { return 0; }
const char *audit_path(void) { return NULL; }
struct audit_step *audit_step_begin(const char *name) { (void)name; return NULL; }
void audit_param_num(struct audit_step *st, const char *key, double v) { (void)st, (void)key, (void)v; }
void audit_param_int(struct audit_step *st, const char *key, long long v) { (void)st, (void)key, (void)v; }
void audit_param_str(struct audit_step *st, const char *key, const char *v) { (void)st, (void)key, (void)v; }
void audit_input_file(struct audit_step *st, const char *name, const char *path) { (void)st, (void)name, (void)path; }
void audit_output_file(struct audit_step *st, const char *name, const char *path) { (void)st, (void)name, (void)path; }
void audit_input_volume(struct audit_step *st, const char *name, const struct volume *v) { (void)st, (void)name, (void)v; }
void audit_output_volume(struct audit_step *st, const char *name, const struct volume *v) { (void)st, (void)name, (void)v; }
void audit_input_array(struct audit_step *st, const char *name, const double *x, int64_t n) { (void)st, (void)name, (void)x, (void)n; }
void audit_output_array(struct audit_step *st, const char *name, const double *x, int64_t n) { (void)st, (void)name, (void)x, (void)n; }
void audit_output_arrayf(struct audit_step *st, const char *name, const float *x, int64_t n) { (void)st, (void)name, (void)x, (void)n; }
void audit_summary(struct audit_step *st, const char *name, const double *x, int64_t n) { (void)st, (void)name, (void)x, (void)n; }
void audit_value(struct audit_step *st, const char *name, double v) { (void)st, (void)name, (void)v; }
void audit_note(struct audit_step *st, const char *text) { (void)st, (void)text; }
void audit_step_end(struct audit_step *st) { (void)st; }
int audit_hash_file(const char *path, char hex[65], long long *nbytes, struct sarc_err *e)
{
    (void)path, (void)nbytes;
    hex[0] = 0;
    return ERR(e, SARC_ERR_UNSUPPORTED, "hashing not available yet");
}
