/* main.c - the test runner: runs the registered tests and prints "N passed, N failed, N skipped".
 * Usage: sarc_test [SUBSTRING...]   (only tests whose name or file contains one of them) */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test/harness.h"

struct test_entry {
    const char *name, *file;
    void (*fn)(void);
};

static struct test_entry *tests;
static int ntests, cap;
static int cur_failed, cur_skipped, cur_fail_count;
static char skip_reason[256];
static char tmp_root[512];

void test_register(const char *name, void (*fn)(void), const char *file)
{
    if (ntests == cap) {
        cap = cap ? 2 * cap : 256;
        tests = realloc(tests, sizeof *tests * (size_t)cap);
        if (!tests)
            abort();
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    tests[ntests].file = file;
    ntests++;
}

void test_fail_at(const char *file, int line, const char *fmt, ...)
{
    cur_failed = 1;
    if (++cur_fail_count > 20)
        return; /* keep the log readable */
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "    %s:%d: ", file, line);
    vfprintf(stdout, fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
}

void test_skip(const char *reason)
{
    cur_skipped = 1;
    snprintf(skip_reason, sizeof skip_reason, "%s", reason);
}

int test_failed(void) { return cur_failed; }

const char *test_shared(const char *rel)
{
    static char buf[4][1024];
    static int k;
    char *b = buf[k++ & 3];
    const char *root = getenv("SARC_SHARED");
    snprintf(b, 1024, "%s/%s", root && *root ? root : "../shared", rel);
    struct stat st;
    return stat(b, &st) == 0 ? b : NULL;
}

const char *test_tmp(const char *name)
{
    static char buf[16][1024];
    static int k;
    char *b = buf[k++ & 15];
    snprintf(b, 1024, "%s/%s", tmp_root, name);
    return b;
}

const char *test_sarc(void)
{
    const char *s = getenv("SARC_BIN");
    return s && *s ? s : "./sarc";
}

static char last_out[65536];

int test_system(const char *cmdline)
{
    char cmd[8192];
    const char *out = test_tmp("last_cmd.out");
    snprintf(cmd, sizeof cmd, "(%s) >'%s' 2>&1", cmdline, out);
    int st = system(cmd);
    last_out[0] = 0;
    FILE *f = fopen(out, "rb");
    if (f) {
        size_t n = fread(last_out, 1, sizeof last_out - 1, f);
        last_out[n] = 0;
        fclose(f);
    }
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

const char *test_last_output(void) { return last_out; }

int test_systemf(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return test_system(cmd);
}

double test_rel_l2(const float *a, const float *b, int64_t n)
{
    double d = 0, r = 0;
    for (int64_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        r += (double)b[i] * b[i];
    }
    return sqrt(d / (r > 0 ? r : 1));
}

static int cmp_tests(const void *a, const void *b)
{
    const struct test_entry *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    return c ? c : strcmp(x->name, y->name);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(tmp_root, sizeof tmp_root, "%s/sarc-test-%ld", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
    mkdir(tmp_root, 0755);
    qsort(tests, (size_t)ntests, sizeof *tests, cmp_tests);
    int passed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < ntests; i++) {
        int selected = argc < 2;
        for (int a = 1; a < argc && !selected; a++)
            selected = strstr(tests[i].name, argv[a]) || strstr(tests[i].file, argv[a]);
        if (!selected)
            continue;
        cur_failed = cur_skipped = cur_fail_count = 0;
        double t0 = now();
        tests[i].fn();
        double dt = now() - t0;
        if (cur_failed) {
            failed++;
            printf("FAIL %s (%s, %.2f s)\n", tests[i].name, tests[i].file, dt);
        } else if (cur_skipped) {
            skipped++;
            printf("SKIP %s: %s\n", tests[i].name, skip_reason);
        } else {
            passed++;
            printf("PASS %s (%.2f s)\n", tests[i].name, dt);
        }
    }
    char rm[600];
    if (!getenv("SARC_KEEP_TMP")) {
        snprintf(rm, sizeof rm, "rm -rf '%s'", tmp_root);
        if (system(rm) != 0)
            fprintf(stderr, "could not remove %s\n", tmp_root);
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
