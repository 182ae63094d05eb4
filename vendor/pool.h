/* pool.h - a pthread thread pool with a deterministic parallel-for.
 *
 * pool_for(p, n, grain, fn, ctx) splits [0, n) into chunks [k*grain, min(n, (k+1)*grain)) whose
 * boundaries depend on n and grain only, never on the thread count, and calls fn(ctx, begin, end,
 * k) once per chunk. Threads take chunks in any order, so fn must write only to places owned by
 * its chunk (e.g. a partial sum in slot k); combining slots in index order afterwards makes the
 * result bit-identical for any thread count. With 1 thread (or p == NULL) chunks run in order on
 * the caller's thread. Nested pool_for calls from inside fn run serially on the calling thread.
 * Covered by test/vendor/test_pool.c. */
#ifndef SARC_POOL_H
#define SARC_POOL_H

#include <stdint.h>

struct pool;

typedef void (*pool_fn)(void *ctx, int64_t begin, int64_t end, int64_t chunk);

/* nthreads <= 0 means the number of online CPUs. Returns NULL on failure (then callers run
 * serially: every function here accepts NULL). Owned by the caller; free with pool_free. */
struct pool *pool_create(int nthreads);
void pool_free(struct pool *p);
int pool_threads(const struct pool *p);

/* Number of chunks pool_for will use: ceil(n / grain) (grain < 1 is taken as 1). */
int64_t pool_chunks(int64_t n, int64_t grain);

void pool_for(struct pool *p, int64_t n, int64_t grain, pool_fn fn, void *ctx);

/* The process-wide pool used by library code, set once by cmd/ from --threads (default: all
 * CPUs). pool_default() never returns NULL after pool_set_default_threads() succeeded; before, it
 * creates a pool with all CPUs on first use. Not thread-safe to change while work is running. */
struct pool *pool_default(void);
int pool_set_default_threads(int nthreads);
void pool_default_free(void);

#endif
