/* test_replay_readers.c - replays the fuzz corpora of the readers (test/fuzz/corpus/jcamp/,
 * test/fuzz/corpus/nrrd/) through the parsers from memory, as the fuzz targets fuzz_jcamp.c and
 * fuzz_nrrd.c do: every file must give a clean error or a success, never a crash, leak or hang
 * (`make test SAN=1` turns any of those into a failure). It then applies deterministic mutations
 * (truncations, byte flips, keyed by vendor/rng.h) to the corpus and to the parameter and NRRD
 * files of ../shared/data, as a small always-on fuzz run. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "io/file.h"
#include "io/jcamp.h"
#include "io/nrrd.h"
#include "test/harness.h"
#include "vendor/rng.h"

/* Runs one input through the parser; returns 1 if it parsed, 0 on a clean error, -1 on an error
 * without a message (a defect). */
static int run_jcamp(const uint8_t *b, size_t n)
{
    struct jcamp j;
    struct sarc_err e;
    err_clear(&e);
    if (jcamp_parse((const char *)b, n, &j, &e) == 0) {
        for (int i = 0; i < j.nparam; i++) {
            double v[8];
            (void)jcamp_nums(&j, j.param[i].name, v, 8);
            (void)jcamp_str(&j, j.param[i].name);
        }
        jcamp_free(&j);
        return 1;
    }
    return e.msg[0] ? 0 : -1;
}

static int run_nrrd(const uint8_t *b, size_t n)
{
    struct volume v;
    struct sarc_err e;
    err_clear(&e);
    int ok = 0;
    if (nrrd_parse(b, n, NULL, &v, &e) == 0) {
        CHECK(volume_count(&v) > 0 && v.data != NULL);
        volume_free(&v);
        ok = 1;
    } else if (!e.msg[0])
        return -1;
    else
        CHECK(v.data == NULL);
    struct volume_read_opts o = {-1, "1"};
    if (nrrd_parse(b, n, &o, &v, &e) == 0)
        volume_free(&v);
    return ok;
}

/* Every file of a folder, read into memory, passed to fn (with mutations when mutate > 0). */
static int replay_dir(const char *dir, int (*fn)(const uint8_t *, size_t), int mutate, uint64_t key, int *parsed)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char p[2048];
        if (path_join(p, sizeof p, dir, de->d_name) || !file_is_regular(p))
            continue;
        uint8_t *buf;
        size_t len;
        struct sarc_err e;
        if (file_read_all(p, &buf, &len, (size_t)4 << 20, &e))
            continue;
        files++;
        int r = fn(buf, len);
        CHECK_MSG(r >= 0, "%s: error without a message", p);
        if (r > 0)
            (*parsed)++;
        /* mutations: a truncation and a few byte changes, each from a fresh copy */
        uint8_t *m = malloc(len ? len : 1);
        for (int k = 0; m && k < mutate && len > 0; k++) {
            memcpy(m, buf, len);
            uint64_t s = rng_stream(RNG_GENERIC, key, (uint64_t)files, (uint64_t)k);
            size_t n = len;
            if (k % 3 == 0)
                n = rng_u32(42, s, 0) % len;
            else
                for (int f = 0; f < 1 + k % 5; f++) {
                    size_t at = rng_u32(42, s, (uint64_t)(2 * f)) % (len < 800 ? len : 800);
                    m[at] = (uint8_t)rng_u32(42, s, (uint64_t)(2 * f + 1));
                }
            CHECK_MSG(fn(m, n) >= 0, "%s mutation %d: error without a message", p, k);
        }
        free(m);
        free(buf);
    }
    closedir(d);
    return files;
}

TEST(replay_corpus_jcamp)
{
    int parsed = 0;
    int n = replay_dir("test/fuzz/corpus/jcamp", run_jcamp, 30, 1, &parsed);
    REQUIRE_MSG(n >= 5, "corpus test/fuzz/corpus/jcamp: %d files", n);
    CHECK_MSG(parsed >= 3, "only %d of %d corpus files parse (the valid seeds should)", parsed, n);
}

TEST(replay_corpus_nrrd)
{
    int parsed = 0;
    int n = replay_dir("test/fuzz/corpus/nrrd", run_nrrd, 30, 2, &parsed);
    REQUIRE_MSG(n >= 5, "corpus test/fuzz/corpus/nrrd: %d files", n);
    CHECK_MSG(parsed >= 3, "only %d of %d corpus files decode (the valid seeds should)", parsed, n);
}

/* The real parameter files and NRRD files, mutated. */
TEST(replay_shared_mutants)
{
    static const char *dirs[] = {"data/bruker/pv601_msme_echo_slice", "data/bruker/pv601_msme_echo_slice/pdata/1",
                                 "data/bruker/pv360_epi_rle/pdata/1", "data/bruker/pv51_epi_banana/pdata/1",
                                 "data/bruker_params_only/pv211_epi_bigendian_params_only/pdata/1"};
    if (!test_shared("data/bruker"))
        SKIP("../shared/data is absent");
    int parsed = 0, files = 0;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        const char *d = test_shared(dirs[i]);
        if (d) {
            int n = replay_dir(d, run_jcamp, 12, 10 + i, &parsed);
            files += n > 0 ? n : 0;
        }
    }
    CHECK_MSG(files >= 10 && parsed >= 8, "%d files, %d parsed", files, parsed);
    /* NRRD headers (mutations land in the first 800 bytes) */
    const char *nd = test_shared("data/nrrd");
    if (nd) {
        int p2 = 0;
        replay_dir(nd, run_nrrd, 12, 20, &p2);
    }
}
