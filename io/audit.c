/* audit.c - the audit trail of io/audit.h: JSON Lines, one record per run start, per numeric
 * step and per run end, each appended with a single write(2) under a mutex (file_append), so
 * records from worker threads never interleave. Hashes are SHA-256 (vendor/sha256) of file bytes
 * or of arrays as little-endian float64 (float32 for audit_output_arrayf). Statistics use
 * array_stats (double, index order). When no trail is open, every call returns at once.
 * Covered by test/io/test_audit.c and, through `sarc convert`, test/cmd/test_cli.c. */
#include "io/audit.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/file.h"
#include "vendor/json.h"
#include "vendor/progress.h"
#include "vendor/sha256.h"

static struct {
    pthread_mutex_t lock;
    char *path;
    char run[40];
    long long seq;
    double t0;
    int failed; /* a record could not be written */
    const char *version, *commit;
} g = {PTHREAD_MUTEX_INITIALIZER, NULL, "", 0, 0, 0, NULL, NULL};

void audit_set_build(const char *version, const char *commit)
{
    g.version = version;
    g.commit = commit;
}

struct audit_step {
    char name[64];
    long long seq;
    double t0;
    struct json params, inputs, outputs, summary, notes;
};

static void utc_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* j's text and a newline (j->len + 1 bytes), malloc'ed; NULL when j ran out of memory or the copy
 * cannot be made. */
static char *record_line(const struct json *j)
{
    char *line = j->oom ? NULL : malloc(j->len + 2);
    if (line) {
        memcpy(line, j->buf, j->len);
        line[j->len] = '\n';
    }
    return line;
}

/* Appends j's text and a newline as one record; the caller holds no lock. */
static void write_record(struct json *j)
{
    char *line = record_line(j);
    if (!line) {
        g.failed = 1;
        return;
    }
    pthread_mutex_lock(&g.lock);
    if (g.path && file_append(g.path, line, j->len + 1, NULL) != 0)
        g.failed = 1;
    pthread_mutex_unlock(&g.lock);
    free(line);
}

int audit_open(const char *path, const struct audit_run_info *info, struct sarc_err *e)
{
    if (!path)
        return 0;
    pthread_mutex_lock(&g.lock);
    free(g.path);
    g.path = strdup(path);
    g.seq = 0;
    g.failed = 0;
    g.t0 = time_now();
    /* a run id unique enough to tell runs appended to one trail apart */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(g.run, sizeof g.run, "%lld.%06ld-%ld", (long long)ts.tv_sec, ts.tv_nsec / 1000, (long)getpid());
    pthread_mutex_unlock(&g.lock);
    if (!g.path)
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    struct json j;
    json_init(&j);
    char when[32];
    utc_now(when, sizeof when);
    json_obj_begin(&j);
    json_kv_str(&j, "type", "run");
    json_kv_str(&j, "run", g.run);
    json_key(&j, "argv");
    json_arr_begin(&j);
    for (int i = 0; info && i < info->argc; i++)
        json_str(&j, info->argv[i] ? info->argv[i] : "");
    json_arr_end(&j);
    if (g.version)
        json_kv_str(&j, "version", g.version);
    if (g.commit)
        json_kv_str(&j, "commit", g.commit);
    if (info) {
        /* the seed as a string: JSON numbers lose integers above 2^53 */
        char seed[32];
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)info->seed);
        json_kv_str(&j, "seed", seed);
        json_kv_int(&j, "threads", info->threads);
        json_kv_str(&j, "device", info->device ? info->device : "cpu");
    }
    json_kv_str(&j, "start", when);
    json_obj_end(&j);
    int rc = 0;
    char *line = record_line(&j);
    if (!line)
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
    else {
        rc = file_append(path, line, j.len + 1, e);
        free(line);
    }
    json_free(&j);
    if (rc) {
        pthread_mutex_lock(&g.lock);
        free(g.path);
        g.path = NULL;
        pthread_mutex_unlock(&g.lock);
        err_prefix(e, "audit trail");
    }
    return rc;
}

void audit_close(int exit_status)
{
    if (!g.path)
        return;
    struct json j;
    json_init(&j);
    char when[32];
    utc_now(when, sizeof when);
    json_obj_begin(&j);
    json_kv_str(&j, "type", "end");
    json_kv_str(&j, "run", g.run);
    json_kv_int(&j, "exit", exit_status);
    json_kv_int(&j, "steps", g.seq);
    json_kv_str(&j, "end", when);
    json_kv_num(&j, "wall_s", time_now() - g.t0);
    json_obj_end(&j);
    write_record(&j);
    json_free(&j);
    pthread_mutex_lock(&g.lock);
    free(g.path);
    g.path = NULL;
    pthread_mutex_unlock(&g.lock);
}

int audit_enabled(void) { return g.path != NULL; }
const char *audit_path(void) { return g.path; }

struct audit_step *audit_step_begin(const char *name)
{
    if (!g.path)
        return NULL;
    struct audit_step *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    snprintf(st->name, sizeof st->name, "%s", name ? name : "step");
    pthread_mutex_lock(&g.lock);
    st->seq = ++g.seq;
    pthread_mutex_unlock(&g.lock);
    st->t0 = time_now();
    json_init(&st->params);
    json_init(&st->inputs);
    json_init(&st->outputs);
    json_init(&st->summary);
    json_init(&st->notes);
    json_obj_begin(&st->params);
    json_arr_begin(&st->inputs);
    json_arr_begin(&st->outputs);
    json_obj_begin(&st->summary);
    json_arr_begin(&st->notes);
    return st;
}

void audit_param_num(struct audit_step *st, const char *key, double v)
{
    if (st)
        json_kv_num(&st->params, key, v);
}

void audit_param_int(struct audit_step *st, const char *key, long long v)
{
    if (st)
        json_kv_int(&st->params, key, v);
}

void audit_param_str(struct audit_step *st, const char *key, const char *v)
{
    if (st)
        json_kv_str(&st->params, key, v ? v : "");
}

int audit_hash_file(const char *path, char hex[65], long long *nbytes, struct sarc_err *e)
{
    hex[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ERR(e, SARC_ERR_IO, "cannot open %s for hashing", path);
    struct sha256 s;
    sha256_init(&s);
    uint8_t *buf = malloc(1 << 20);
    if (!buf) {
        fclose(f);
        return ERR(e, SARC_ERR_NOMEM, "out of memory");
    }
    size_t n;
    long long total = 0;
    while ((n = fread(buf, 1, 1 << 20, f)) > 0) {
        sha256_update(&s, buf, n);
        total += (long long)n;
    }
    int bad = ferror(f);
    fclose(f);
    free(buf);
    if (bad)
        return ERR(e, SARC_ERR_IO, "read error while hashing %s", path);
    uint8_t dg[32];
    sha256_final(&s, dg);
    sha256_to_hex(dg, hex);
    if (nbytes)
        *nbytes = total;
    return 0;
}

static void file_entry(struct json *j, const char *name, const char *path)
{
    char hex[65];
    long long n = 0;
    json_obj_begin(j);
    json_kv_str(j, "name", name ? name : "");
    json_kv_str(j, "path", path ? path : "");
    if (path && audit_hash_file(path, hex, &n, NULL) == 0) {
        json_kv_str(j, "sha256", hex);
        json_kv_int(j, "bytes", n);
    } else
        json_kv_str(j, "error", "cannot hash");
    json_obj_end(j);
}

void audit_input_file(struct audit_step *st, const char *name, const char *path)
{
    if (st)
        file_entry(&st->inputs, name, path);
}

void audit_output_file(struct audit_step *st, const char *name, const char *path)
{
    if (st)
        file_entry(&st->outputs, name, path);
}

static int host_is_le(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* SHA-256 of n elements of size es (4 or 8) as little-endian bytes. */
static void hash_le(const void *x, int64_t n, int es, char hex[65])
{
    struct sha256 s;
    uint8_t dg[32];
    sha256_init(&s);
    if (host_is_le())
        sha256_update(&s, x, (size_t)n * (size_t)es);
    else {
        const uint8_t *p = x;
        uint8_t tmp[8 * 512];
        for (int64_t i = 0; i < n;) {
            int64_t m = n - i < 512 ? n - i : 512;
            for (int64_t k = 0; k < m; k++)
                for (int b = 0; b < es; b++)
                    tmp[k * es + b] = p[(i + k) * es + (es - 1 - b)];
            sha256_update(&s, tmp, (size_t)m * (size_t)es);
            i += m;
        }
    }
    sha256_final(&s, dg);
    sha256_to_hex(dg, hex);
}

static void stats_obj(struct json *j, const struct vstats *s)
{
    json_obj_begin(j);
    json_kv_int(j, "count", s->count);
    json_kv_num(j, "min", s->min);
    json_kv_num(j, "max", s->max);
    json_kv_num(j, "mean", s->mean);
    json_kv_num(j, "std", s->std);
    json_kv_int(j, "nan", s->nan_count);
    json_obj_end(j);
}

/* An array entry: name, sha256, dtype, shape (ndim entries of dim, or [n]), stats. */
static void array_entry(struct json *j, const char *name, const void *x, int64_t n, int es, const int64_t *dim, int ndim)
{
    char hex[65];
    struct vstats s;
    hash_le(x, n, es, hex);
    if (es == 8)
        array_stats((const double *)x, n, &s);
    else {
        /* float32: stats in double over the converted values, in index order */
        const float *f = x;
        double sum = 0, mn = INFINITY, mx = -INFINITY;
        memset(&s, 0, sizeof s);
        for (int64_t i = 0; i < n; i++) {
            double v = f[i];
            if (v != v) {
                s.nan_count++;
                continue;
            }
            s.count++;
            sum += v;
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        s.min = s.count ? mn : NAN;
        s.max = s.count ? mx : NAN;
        s.mean = s.count ? sum / (double)s.count : NAN;
        double ss = 0;
        for (int64_t i = 0; i < n; i++) {
            double v = f[i];
            if (v == v)
                ss += (v - s.mean) * (v - s.mean);
        }
        s.std = s.count ? sqrt(ss / (double)s.count) : NAN;
    }
    json_obj_begin(j);
    json_kv_str(j, "name", name ? name : "");
    json_kv_str(j, "sha256", hex);
    json_kv_str(j, "dtype", es == 8 ? "float64" : "float32");
    json_key(j, "shape");
    json_arr_begin(j);
    if (dim)
        for (int i = 0; i < ndim; i++)
            json_int(j, dim[i]);
    else
        json_int(j, n);
    json_arr_end(j);
    json_key(j, "stats");
    stats_obj(j, &s);
    json_obj_end(j);
}

static void volume_entry(struct json *j, const char *name, const struct volume *v)
{
    if (!v || !v->data) {
        json_obj_begin(j);
        json_kv_str(j, "name", name ? name : "");
        json_kv_str(j, "error", "empty volume");
        json_obj_end(j);
        return;
    }
    int nd = v->ndim < 1 ? 1 : v->ndim > 4 ? 4 : v->ndim;
    array_entry(j, name, v->data, volume_count(v), 8, v->dim, nd);
}

void audit_input_volume(struct audit_step *st, const char *name, const struct volume *v)
{
    if (st)
        volume_entry(&st->inputs, name, v);
}

void audit_output_volume(struct audit_step *st, const char *name, const struct volume *v)
{
    if (st)
        volume_entry(&st->outputs, name, v);
}

void audit_input_array(struct audit_step *st, const char *name, const double *x, int64_t n)
{
    if (st)
        array_entry(&st->inputs, name, x, n, 8, NULL, 0);
}

void audit_output_array(struct audit_step *st, const char *name, const double *x, int64_t n)
{
    if (st)
        array_entry(&st->outputs, name, x, n, 8, NULL, 0);
}

void audit_output_arrayf(struct audit_step *st, const char *name, const float *x, int64_t n)
{
    if (st)
        array_entry(&st->outputs, name, x, n, 4, NULL, 0);
}

void audit_summary(struct audit_step *st, const char *name, const double *x, int64_t n)
{
    if (!st)
        return;
    struct vstats s;
    array_stats(x, n, &s);
    json_key(&st->summary, name ? name : "");
    stats_obj(&st->summary, &s);
}

void audit_value(struct audit_step *st, const char *name, double v)
{
    if (st)
        json_kv_num(&st->summary, name ? name : "", v);
}

void audit_note(struct audit_step *st, const char *text)
{
    if (st)
        json_str(&st->notes, text ? text : "");
}

void audit_step_end(struct audit_step *st)
{
    if (!st)
        return;
    json_obj_end(&st->params);
    json_arr_end(&st->inputs);
    json_arr_end(&st->outputs);
    json_obj_end(&st->summary);
    json_arr_end(&st->notes);
    struct json j;
    json_init(&j);
    json_obj_begin(&j);
    json_kv_str(&j, "type", "step");
    json_kv_str(&j, "run", g.run);
    json_kv_str(&j, "step", st->name);
    json_kv_int(&j, "seq", st->seq);
    const int oom = st->params.oom || st->inputs.oom || st->outputs.oom || st->summary.oom || st->notes.oom;
    if (!oom) {
        json_key(&j, "params");
        json_raw(&j, st->params.buf);
        json_key(&j, "inputs");
        json_raw(&j, st->inputs.buf);
        json_key(&j, "outputs");
        json_raw(&j, st->outputs.buf);
        json_key(&j, "summary");
        json_raw(&j, st->summary.buf);
        if (st->notes.len > 2) {
            json_key(&j, "notes");
            json_raw(&j, st->notes.buf);
        }
    } else
        json_kv_str(&j, "error", "out of memory while recording");
    json_kv_num(&j, "wall_s", time_now() - st->t0);
    json_obj_end(&j);
    write_record(&j);
    json_free(&j);
    json_free(&st->params);
    json_free(&st->inputs);
    json_free(&st->outputs);
    json_free(&st->summary);
    json_free(&st->notes);
    free(st);
}
