/* test_pool.c - the parallel-for covers every index once, and a chunked reduction is
 * bit-identical for 1, 2 and 8 threads. */
#include <stdlib.h>

#include "test/harness.h"
#include "vendor/pool.h"

struct sum_ctx {
    const double *x;
    double *partial; /* one slot per chunk */
    int *hits;
};

static void sum_chunk(void *arg, int64_t b, int64_t e, int64_t k)
{
    struct sum_ctx *c = arg;
    double s = 0;
    for (int64_t i = b; i < e; i++) {
        s += c->x[i];
        c->hits[i]++;
    }
    c->partial[k] = s;
}

static double chunked_sum(struct pool *p, const double *x, int64_t n, int *hits)
{
    const int64_t grain = 1000;
    int64_t nc = pool_chunks(n, grain);
    double *partial = calloc((size_t)nc, sizeof *partial);
    struct sum_ctx c = {x, partial, hits};
    pool_for(p, n, grain, sum_chunk, &c);
    double s = 0;
    for (int64_t k = 0; k < nc; k++)
        s += partial[k];
    free(partial);
    return s;
}

TEST(pool_deterministic_reduction)
{
    const int64_t n = 123457;
    double *x = malloc(sizeof *x * (size_t)n);
    int *hits = calloc((size_t)n, sizeof *hits);
    for (int64_t i = 0; i < n; i++)
        x[i] = 1.0 / (double)(i + 1) * ((i % 3) ? 1 : -1e3);
    double ref = 0;
    int threads[] = {1, 2, 8};
    for (int t = 0; t < 3; t++) {
        struct pool *p = pool_create(threads[t]);
        REQUIRE(p != NULL);
        CHECK_INT(pool_threads(p), threads[t]);
        for (int rep = 0; rep < 3; rep++) {
            double s = chunked_sum(p, x, n, hits);
            if (t == 0 && rep == 0)
                ref = s;
            CHECK_MSG(s == ref, "threads %d: %.17g != %.17g", threads[t], s, ref);
        }
        pool_free(p);
    }
    for (int64_t i = 0; i < n; i++)
        if (hits[i] != 9) {
            CHECK_MSG(0, "index %lld visited %d times", (long long)i, hits[i]);
            break;
        }
    CHECK(chunked_sum(NULL, x, n, hits) == ref);
    CHECK_INT(pool_chunks(0, 10), 0);
    CHECK_INT(pool_chunks(10, 0), 10);
    free(x);
    free(hits);
}
