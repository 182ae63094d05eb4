/* test_audit.c - io/audit: no-op when closed; a trail with a run record, a step (parameters,
 * an input file whose hash equals SHA-256 of its bytes, a volume whose hash equals SHA-256 of its
 * float64 values, summary figures, a note) and an end record, one JSON object per line; records
 * from 4 threads never interleave and get distinct sequence numbers. (`sarc convert` writing
 * hashes that match the files is checked in test/cmd/test_cli.c.) */
#include <pthread.h>
#include <stdlib.h>

#include "io/audit.h"
#include "io/file.h"
#include "test/harness.h"
#include "vendor/sha256.h"

static char *slurp(const char *path, size_t *n)
{
    uint8_t *b = NULL;
    struct sarc_err e = {0};
    if (file_read_all(path, &b, n, 0, &e))
        return NULL;
    return (char *)b;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

TEST(audit_closed_is_noop)
{
    CHECK(!audit_enabled());
    struct audit_step *st = audit_step_begin("x");
    CHECK(st == NULL);
    audit_param_num(st, "a", 1);
    audit_summary(st, "s", NULL, 0);
    audit_step_end(st);
    audit_close(0);
    struct sarc_err e = {0};
    CHECK_OK(audit_open(NULL, NULL, &e), e);
    CHECK(!audit_enabled());
}

TEST(audit_trail_records)
{
    const char *trail = test_tmp("trail.jsonl"), *in = test_tmp("audit_in.bin");
    remove(trail);
    struct sarc_err e = {0};
    const char data[] = "some input bytes";
    REQUIRE_OK(file_write_atomic(in, data, sizeof data - 1, &e), e);
    char *argv[] = {"sarc", "convert", "a \"quoted\" arg", NULL};
    struct audit_run_info info = {3, argv, 1234567890123ull, 3, "cpu"};
    audit_set_build("9.9.9", "abc123");
    REQUIRE_OK(audit_open(trail, &info, &e), e);
    CHECK(audit_enabled());
    CHECK_STR(audit_path(), trail);
    struct volume v = {0};
    int64_t dim[4] = {3, 2, 1, 1};
    REQUIRE_OK(volume_alloc(&v, 3, dim, &e), e);
    for (int i = 0; i < 6; i++)
        v.data[i] = i * 0.5;
    struct audit_step *st = audit_step_begin("demo");
    REQUIRE(st);
    audit_param_num(st, "fwhm", 0.15);
    audit_param_int(st, "iterations", 50);
    audit_param_str(st, "mode", "fast");
    audit_input_file(st, "image", in);
    audit_input_volume(st, "mask", &v);
    double x[4] = {1, 2, NAN, 5};
    audit_summary(st, "log_bias", x, 4);
    audit_value(st, "dice", 0.875);
    audit_note(st, "a note");
    audit_output_volume(st, "out", &v);
    audit_step_end(st);
    audit_close(0);
    CHECK(!audit_enabled());
    size_t n = 0;
    char *t = slurp(trail, &n);
    REQUIRE(t);
    CHECK_INT(count_lines(t), 3);
    char hex[65], needle[200];
    sha256_hex(data, sizeof data - 1, hex);
    snprintf(needle, sizeof needle, "\"sha256\":\"%s\",\"bytes\":16", hex);
    CHECK_MSG(strstr(t, needle) != NULL, "file hash missing: %s", t);
    sha256_hex(v.data, sizeof(double) * 6, hex); /* little-endian host */
    CHECK(strstr(t, hex) != NULL);
    CHECK(strstr(t, "\"type\":\"run\"") && strstr(t, "\"type\":\"step\"") && strstr(t, "\"type\":\"end\""));
    CHECK(strstr(t, "\"seed\":\"1234567890123\"") != NULL);
    CHECK(strstr(t, "\"version\":\"9.9.9\",\"commit\":\"abc123\"") != NULL);
    CHECK(strstr(t, "a \\\"quoted\\\" arg") != NULL);
    CHECK(strstr(t, "\"params\":{\"fwhm\":0.15,\"iterations\":50,\"mode\":\"fast\"}") != NULL);
    CHECK(strstr(t, "\"log_bias\":{\"count\":3,\"min\":1,\"max\":5,") != NULL);
    CHECK(strstr(t, "\"nan\":1}") != NULL);
    CHECK(strstr(t, "\"dice\":0.875") != NULL);
    CHECK(strstr(t, "\"shape\":[3,2,1]") != NULL);
    CHECK(strstr(t, "\"notes\":[\"a note\"]") != NULL);
    CHECK(strstr(t, "\"exit\":0,\"steps\":1") != NULL);
    /* every line is one object */
    for (char *line = t; *line;) {
        char *nl = strchr(line, '\n');
        REQUIRE(nl);
        CHECK(line[0] == '{' && nl[-1] == '}');
        line = nl + 1;
    }
    free(t);
    volume_free(&v);
    audit_set_build(NULL, NULL);
    /* a trail that cannot be opened */
    CHECK_INT(audit_open("/nonexistent-dir/trail.jsonl", &info, &e), SARC_ERR_IO);
    CHECK(!audit_enabled());
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    double x[16];
    for (int i = 0; i < 16; i++)
        x[i] = id * 100 + i;
    for (int k = 0; k < 50; k++) {
        struct audit_step *st = audit_step_begin("threaded");
        audit_param_int(st, "worker", id);
        audit_param_int(st, "k", k);
        audit_input_array(st, "x", x, 16);
        audit_summary(st, "x", x, 16);
        audit_step_end(st);
    }
    return NULL;
}

TEST(audit_threads)
{
    const char *trail = test_tmp("threads.jsonl");
    remove(trail);
    struct sarc_err e = {0};
    struct audit_run_info info = {0, NULL, 1, 4, "cpu"};
    REQUIRE_OK(audit_open(trail, &info, &e), e);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        REQUIRE(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    audit_close(0);
    size_t n = 0;
    char *t = slurp(trail, &n);
    REQUIRE(t);
    CHECK_INT(count_lines(t), 202);
    char seen[201] = {0};
    int steps = 0;
    for (char *line = t; *line;) {
        char *nl = strchr(line, '\n');
        REQUIRE(nl);
        *nl = 0;
        CHECK(line[0] == '{' && nl[-1] == '}');
        char *s = strstr(line, "\"seq\":");
        if (strstr(line, "\"type\":\"step\"") && s) {
            int q = atoi(s + 6);
            CHECK(q >= 1 && q <= 200 && !seen[q]);
            if (q >= 1 && q <= 200)
                seen[q] = 1;
            steps++;
        }
        line = nl + 1;
    }
    CHECK_INT(steps, 200);
    free(t);
}
