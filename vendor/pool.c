/* pool.c - see pool.h. Workers sleep on a condition variable; a job is published with a
 * generation counter, chunks are handed out by an atomic counter, and the caller also works. */
#include "vendor/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

struct pool {
    int nthreads; /* including the calling thread */
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t work_cv, done_cv;
    uint64_t generation; /* bumped for each job */
    int quit;
    /* the current job */
    pool_fn fn;
    void *ctx;
    int64_t n, grain, nchunks;
    atomic_llong next;  /* next chunk to take */
    int active;         /* workers still inside the current job */
};

static _Thread_local int in_pool_job; /* nested pool_for runs serially */

static void run_chunks(struct pool *p)
{
    for (;;) {
        const int64_t k = atomic_fetch_add(&p->next, 1);
        if (k >= p->nchunks)
            break;
        const int64_t b = k * p->grain;
        const int64_t e = b + p->grain < p->n ? b + p->grain : p->n;
        p->fn(p->ctx, b, e, k);
    }
}

static void *worker(void *arg)
{
    struct pool *p = arg;
    uint64_t seen = 0;
    in_pool_job = 1;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->generation == seen)
            pthread_cond_wait(&p->work_cv, &p->mu);
        if (p->quit)
            break;
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        run_chunks(p);
        pthread_mutex_lock(&p->mu);
        if (--p->active == 0)
            pthread_cond_signal(&p->done_cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct pool *pool_create(int nthreads)
{
    if (nthreads <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = c > 0 ? (int)c : 1;
    }
    if (nthreads > 1024)
        nthreads = 1024;
    struct pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->nthreads = nthreads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    if (nthreads > 1) {
        p->threads = calloc((size_t)nthreads - 1, sizeof *p->threads);
        if (!p->threads) {
            pool_free(p);
            return NULL;
        }
        for (int i = 0; i < nthreads - 1; i++) {
            if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
                p->nthreads = i + 1; /* run with the threads we got */
                break;
            }
        }
    }
    return p;
}

void pool_free(struct pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; p->threads && i < p->nthreads - 1; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work_cv);
    pthread_cond_destroy(&p->done_cv);
    free(p);
}

int pool_threads(const struct pool *p) { return p ? p->nthreads : 1; }

int64_t pool_chunks(int64_t n, int64_t grain)
{
    if (grain < 1)
        grain = 1;
    return n <= 0 ? 0 : (n + grain - 1) / grain;
}

void pool_for(struct pool *p, int64_t n, int64_t grain, pool_fn fn, void *ctx)
{
    if (grain < 1)
        grain = 1;
    const int64_t nchunks = pool_chunks(n, grain);
    if (nchunks == 0)
        return;
    if (!p || p->nthreads == 1 || nchunks == 1 || in_pool_job) {
        for (int64_t k = 0; k < nchunks; k++) {
            const int64_t b = k * grain;
            fn(ctx, b, b + grain < n ? b + grain : n, k);
        }
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->grain = grain;
    p->nchunks = nchunks;
    atomic_store(&p->next, 0);
    p->active = p->nthreads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);

    in_pool_job = 1;
    run_chunks(p);
    in_pool_job = 0;

    pthread_mutex_lock(&p->mu);
    while (p->active > 0)
        pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static struct pool *default_pool;

struct pool *pool_default(void)
{
    if (!default_pool)
        default_pool = pool_create(0);
    return default_pool;
}

int pool_set_default_threads(int nthreads)
{
    pool_free(default_pool);
    default_pool = pool_create(nthreads);
    return default_pool ? 0 : -1;
}

void pool_default_free(void)
{
    pool_free(default_pool);
    default_pool = NULL;
}
