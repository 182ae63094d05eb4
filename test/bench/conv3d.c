/* conv3d.c - benchmark of the fast CPU convolution (nn/conv3d.c, nn/conv_transpose3d.c: im2col
 * tiles + our packed SGEMM) at the U-Net's real layer shapes: forward, backward-data and
 * backward-weights, in GFLOP/s, with a fixed thread count ($SARC_BENCH_THREADS, default 2).
 * Before timing, each case is checked against the reference loops (conv3d_forward_cpu /
 * conv3d_backward_cpu and the transposed ones) on a spatial crop of the same shape (same channel
 * counts; the reference is too slow for the full volume) and on the full shape the fast result
 * must be bit-identical between 1 thread and the benchmark's thread count; a wrong answer is
 * never timed. Then, if $SARC_PEER_PYTHON or /work/oracle-venv/bin/python exists, runs
 * test/bench/torch_conv3d.py (PyTorch CPU, same shapes, same threads) and prints the ratio.
 * FLOPs: 2 * N * C * OC * 27 * (voxels of the input side of the MACs that are not zero padding):
 * conv valid: output voxels; transposed: input voxels. Times: minimum and median of
 * $SARC_BENCH_REPEATS (default 3) runs after one warm-up, monotonic clock.
 * $SARC_BENCH_CASE=k times only case k; SARC_PEER_PYTHON set to "" skips the peer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/conv3d.h"
#include "nn/conv_transpose3d.h"
#include "vendor/pool.h"
#include "vendor/progress.h"
#include "vendor/rng.h"

struct bench_case {
    const char *what;
    int transposed;
    int N, C, D, H, W, OC;
};

/* conv1 on the paper's 142x142x18 patch, conv2 after the first pooling, dconv2 of the decoder
 * (48 + 64 concatenated channels -> 48, transposed) */
static const struct bench_case cases[] = {
    {"conv 3->24 on 142x142x18", 0, 1, 3, 18, 142, 142, 24},
    {"conv 24->48 on 70x70x8", 0, 1, 24, 8, 70, 70, 48},
    {"transposed 112->48 on 68x68x6", 1, 1, 112, 6, 68, 68, 48},
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))
static const char *dirs[3] = {"forward", "backward-data", "backward-weights"};

static float *rand_buf(int64_t n, uint64_t stream, double scale)
{
    float *x = malloc(sizeof(float) * (size_t)n);
    if (!x) {
        fprintf(stderr, "conv3d bench: out of memory\n");
        exit(1);
    }
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)((2 * rng_uniform53(1, stream, (uint64_t)i) - 1) * scale);
    return x;
}

static int dims_of(const struct bench_case *c, int D, int H, int W, struct conv3d_dims *s)
{
    struct sarc_err e;
    int rc = c->transposed ? conv_transpose3d_dims_init(s, c->N, c->C, D, H, W, c->OC, &e)
                           : conv3d_dims_init(s, c->N, c->C, D, H, W, c->OC, 0, &e);
    if (rc)
        fprintf(stderr, "conv3d bench: %s\n", e.msg);
    return rc;
}

/* Runs one direction with the fast path; outputs are (re)zeroed first. */
static int run_dir(const struct bench_case *c, const struct conv3d_dims *s, int dir,
                   const float *x, const float *w, const float *dout, float *out, float *dx,
                   float *dw, struct pool *pool, struct nn_arena *scratch)
{
    struct sarc_err e;
    int rc = 0;
    const int64_t nx = (int64_t)s->N * s->C * s->D * s->H * s->W;
    const int64_t nw = (int64_t)s->OC * s->C * 27;
    if (dir == 1)
        memset(dx, 0, sizeof(float) * (size_t)nx);
    if (dir == 2)
        memset(dw, 0, sizeof(float) * (size_t)nw);
    if (!c->transposed) {
        if (dir == 0)
            rc = conv3d_forward_fast(out, x, w, NULL, s, 0, pool, scratch, &e);
        else if (dir == 1)
            rc = conv3d_backward_data_fast(dx, dout, w, s, pool, scratch, &e);
        else
            rc = conv3d_backward_weight_fast(dw, NULL, dout, x, s, pool, scratch, &e);
    } else {
        if (dir == 0)
            rc = conv_transpose3d_forward_fast(out, x, w, NULL, s, pool, scratch, &e);
        else
            rc = conv_transpose3d_backward_fast(dir == 1 ? dx : NULL, dir == 2 ? dw : NULL, NULL,
                                                dout, x, w, s, pool, scratch, &e);
    }
    nn_arena_reset(scratch);
    if (rc)
        fprintf(stderr, "conv3d bench: %s\n", e.msg);
    return rc;
}

/* Max of |a - b| / (1 + |b|). */
static double max_err(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        const double d = fabs((double)a[i] - b[i]) / (1 + fabs((double)b[i]));
        if (!(d <= m))
            m = d;
    }
    return m;
}

/* Fast vs reference on a crop of the case (same channels); 0 if all directions agree. */
static int check_crop(const struct bench_case *c, struct pool *pool)
{
    struct conv3d_dims s;
    const int D = c->D < 5 ? c->D : 5, H = c->H < 19 ? c->H : 19, W = c->W < 23 ? c->W : 23;
    if (dims_of(c, D, H, W, &s))
        return -1;
    const int64_t nx = (int64_t)s.N * s.C * D * H * W, nw = (int64_t)s.OC * s.C * 27;
    const int64_t no = (int64_t)s.N * s.OC * s.OD * s.OH * s.OW;
    float *x = rand_buf(nx, 1, 1), *w = rand_buf(nw, 2, 0.1), *dout = rand_buf(no, 3, 1);
    float *out = calloc((size_t)no, 4), *dx = calloc((size_t)nx, 4), *dw = calloc((size_t)nw, 4);
    float *rout = calloc((size_t)no, 4), *rdx = calloc((size_t)nx, 4), *rdw = calloc((size_t)nw, 4);
    struct nn_arena scratch;
    nn_arena_init(&scratch);
    int rc = 0;
    for (int dir = 0; dir < 3 && !rc; dir++)
        rc = run_dir(c, &s, dir, x, w, dout, out, dx, dw, pool, &scratch);
    if (!c->transposed) {
        conv3d_forward_cpu(rout, x, w, NULL, &s);
        conv3d_backward_cpu(rdx, rdw, NULL, dout, x, w, &s);
    } else {
        conv_transpose3d_forward_cpu(rout, x, w, NULL, &s);
        conv_transpose3d_backward_cpu(rdx, rdw, NULL, dout, x, w, &s);
    }
    /* float sums of up to C*27 = 3024 (forward) / crop voxels (weights) terms vs double */
    const double e0 = max_err(out, rout, no), e1 = max_err(dx, rdx, nx), e2 = max_err(dw, rdw, nw);
    if (rc || !(e0 < 1e-4 && e1 < 1e-4 && e2 < 1e-4)) {
        printf("  %s: fast path DISAGREES with the reference on a %dx%dx%d crop (errors %.3g "
               "%.3g %.3g): not timed\n", c->what, W, H, D, e0, e1, e2);
        rc = -1;
    } else {
        printf("  %s: results match the reference on a %dx%dx%d crop (max err %.2g %.2g %.2g)\n",
               c->what, W, H, D, e0, e1, e2);
    }
    nn_arena_free(&scratch);
    free(x); free(w); free(dout); free(out); free(dx); free(dw); free(rout); free(rdx); free(rdw);
    return rc;
}

/* The 1-minute load average (timings on a shared machine are only comparable when it is low). */
static double load_average(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const char *peer_python(void)
{
    const char *env = getenv("SARC_PEER_PYTHON");
    if (env && !*env)
        return NULL; /* set but empty: no peer */
    if (env && access(env, X_OK) == 0)
        return env;
    if (access("/work/oracle-venv/bin/python", X_OK) == 0)
        return "/work/oracle-venv/bin/python";
    return NULL;
}

int main(void)
{
    const char *te = getenv("SARC_BENCH_THREADS"), *re = getenv("SARC_BENCH_REPEATS");
    const int threads = te && atoi(te) > 0 ? atoi(te) : 2;
    const int repeats = re && atoi(re) > 0 ? atoi(re) : 3;
    struct pool *pool = pool_create(threads), *pool1 = pool_create(1);
    double tmin[NCASES][3], tmed[NCASES][3], gflop[NCASES];
    int ok[NCASES];
    printf("conv3d benchmark: fast CPU path (im2col + packed SGEMM), %d threads, %d repeats, "
           "float32, kernel 3, stride 1, no padding; load average %.1f\n", pool_threads(pool), repeats,
           load_average());
    const char *ce = getenv("SARC_BENCH_CASE");
    const int only = ce && *ce ? atoi(ce) : -1;
    for (int k = 0; k < NCASES; k++) {
        const struct bench_case *c = &cases[k];
        ok[k] = 0;
        if (only >= 0 && k != only)
            continue;
        ok[k] = check_crop(c, pool) == 0;
        struct conv3d_dims s;
        if (!ok[k] || dims_of(c, c->D, c->H, c->W, &s)) {
            ok[k] = 0;
            continue;
        }
        const int64_t nx = (int64_t)s.N * s.C * s.D * s.H * s.W, nw = (int64_t)s.OC * s.C * 27;
        const int64_t no = (int64_t)s.N * s.OC * s.OD * s.OH * s.OW;
        gflop[k] = 2.0 * s.N * s.C * s.OC * 27.0 *
                   (c->transposed ? (double)s.D * s.H * s.W : (double)s.OD * s.OH * s.OW) * 1e-9;
        float *x = rand_buf(nx, 1, 1), *w = rand_buf(nw, 2, 0.1), *dout = rand_buf(no, 3, 1);
        float *out = calloc((size_t)no, 4), *dx = calloc((size_t)nx, 4), *dw = calloc((size_t)nw, 4);
        float *out1 = calloc((size_t)no, 4), *dx1 = calloc((size_t)nx, 4), *dw1 = calloc((size_t)nw, 4);
        struct nn_arena scratch;
        nn_arena_init(&scratch);
        for (int dir = 0; dir < 3 && ok[k]; dir++) {
            /* the full-shape result: 1 thread and `threads` threads must agree bit for bit */
            if (run_dir(c, &s, dir, x, w, dout, out1, dx1, dw1, pool1, &scratch) ||
                run_dir(c, &s, dir, x, w, dout, out, dx, dw, pool, &scratch)) {
                ok[k] = 0;
                break;
            }
            const float *a = dir == 0 ? out : dir == 1 ? dx : dw, *b = dir == 0 ? out1 : dir == 1 ? dx1 : dw1;
            const int64_t n = dir == 0 ? no : dir == 1 ? nx : nw;
            if (memcmp(a, b, sizeof(float) * (size_t)n) != 0) {
                printf("  %s %s: 1 and %d threads differ: not timed\n", c->what, dirs[dir], threads);
                ok[k] = 0;
                break;
            }
            double t[64];
            const int r = repeats < 64 ? repeats : 64;
            for (int i = 0; i < r; i++) {
                const double t0 = time_now();
                run_dir(c, &s, dir, x, w, dout, out, dx, dw, pool, &scratch);
                t[i] = time_now() - t0;
            }
            qsort(t, (size_t)r, sizeof t[0], cmp_double);
            tmin[k][dir] = t[0];
            tmed[k][dir] = t[r / 2];
        }
        nn_arena_free(&scratch);
        free(x); free(w); free(dout); free(out); free(dx); free(dw); free(out1); free(dx1); free(dw1);
    }
    /* the peer */
    double peer[NCASES][3];
    int have_peer = 0;
    memset(peer, 0, sizeof peer);
    const char *py = peer_python();
    if (py && access("test/bench/torch_conv3d.py", R_OK) == 0) {
        char cmd[2048];
        int off = snprintf(cmd, sizeof cmd, "%s test/bench/torch_conv3d.py %d %d", py, threads, repeats);
        for (int k = 0; k < NCASES && off < (int)sizeof cmd; k++)
            off += snprintf(cmd + off, sizeof cmd - (size_t)off, " %s:%d:%d:%d:%d:%d:%d",
                            cases[k].transposed ? "convt" : "conv", cases[k].N, cases[k].C,
                            cases[k].D, cases[k].H, cases[k].W, cases[k].OC);
        FILE *f = popen(cmd, "r");
        if (f) {
            char line[256], dir[64];
            int k;
            double mn, md;
            while (fgets(line, sizeof line, f)) {
                if (line[0] == '#') {
                    printf("peer: %s", line + 2);
                    continue;
                }
                if (sscanf(line, "%d %63s %lf %lf", &k, dir, &mn, &md) == 4 && k >= 0 && k < NCASES)
                    for (int d = 0; d < 3; d++)
                        if (strcmp(dir, dirs[d]) == 0) {
                            peer[k][d] = mn;
                            have_peer = 1;
                        }
            }
            if (pclose(f) != 0)
                have_peer = 0;
        }
        if (!have_peer)
            printf("peer: PyTorch run failed (%s); no ratio\n", py);
    } else {
        printf("peer: PyTorch unavailable (no /work/oracle-venv/bin/python or $SARC_PEER_PYTHON, "
               "or SARC_PEER_PYTHON set empty); no ratio\n");
    }
    printf("load average after the runs: %.1f (on a busy machine both sides slow down unevenly)\n",
           load_average());
    int failed = 0;
    for (int k = 0; k < NCASES; k++) {
        if (!ok[k]) {
            failed |= only < 0 || k == only;
            continue;
        }
        for (int d = 0; d < 3; d++) {
            printf("%-32s %-17s %8.2f GFLOP/s (min %.4f s, median %.4f s, %.3f GFLOP)",
                   cases[k].what, dirs[d], gflop[k] / tmin[k][d], tmin[k][d], tmed[k][d], gflop[k]);
            if (have_peer && peer[k][d] > 0)
                printf("  torch %8.2f GFLOP/s  ratio sarc/torch %.2fx", gflop[k] / peer[k][d],
                       peer[k][d] / tmin[k][d]);
            printf("\n");
        }
    }
    pool_free(pool);
    pool_free(pool1);
    return failed;
}
