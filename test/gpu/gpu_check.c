/* gpu_check.c - the model-level and timing half of test/gpu/check.sh (issue 10), run on a GPU:
 *   1. U-Net, CPU (nn/unet.c) vs GPU (nn/cuda_backend.c), same initial weights, same batches:
 *      the gradients of step 1, the loss of every one of 20 Adam steps and the weights after
 *      them (paper architecture 3 -> 24/48/64 with skips, a 18x46x46 patch and batch 2 so that
 *      the CPU side stays within a minute).
 *   2. Run-to-run bit identity of GPU training (two fresh runs of 5 steps, batch 4).
 *   3. Per-layer conv benchmark at the paper's batch (20 x 3 x 18 x 142 x 142): forward,
 *      backward-data, backward-weights of every U-Net layer, CUDA-event timing, median and
 *      minimum of 5 after 2 warm-ups; TFLOP/s and fraction of the FP32 peak (SMs x FP32 lanes x
 *      2 x clock); TF32 forward too. Then the whole training step at batch 20 and the projected
 *      time of 600 epochs over 800 patches.
 *   4. One full 280x280x60 three-channel inference (the network run on a 62x282x282 patch, whose
 *      output is 60x280x280), wall time including the copies in and out.
 * Prints "name: value" lines and ends with "gpu_check: PASS" or "gpu_check: FAIL (...)"; exit 1 on
 * failure, 2 when no GPU is there. Usage: gpu_check [SECTIONS], e.g. `gpu_check 34` runs only
 * the benchmark and the inference (default 1234). Built by check.sh against the CUDA build's
 * lib.a.
 * Comparison helpers for check.sh's command-line stage (no GPU needed; exit 1 when a bound is
 * exceeded, 2 on unreadable input):
 *   gpu_check cmp-logs A.log.csv B.log.csv RTOL   per-epoch loss and val_loss of two trainings
 *   gpu_check cmp-models A.sarcnet B.sarcnet RTOL relative L2 and max |diff| of the weights,
 *                                                 format identity (architecture, parameter count)
 *   gpu_check cmp-seg MASK_A MASK_B PROB_A PROB_B DICE_MIN PROB_MAX
 *                                                 Dice of two masks, max |p_a - p_b| */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cuda/conv3d.h"
#include "cuda/conv_transpose3d.h"
#include "cuda/cuda_common.h"
#include "nn/cuda_backend.h"
#include "nn/device.h"
#include "io/volio.h"
#include "nn/loss.h"
#include "nn/model.h"
#include "nn/optim.h"
#include "nn/unet.h"
#include "vendor/rng.h"

static int failures;
#define EXPECT(cond, ...)                                                                      \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            failures++;                                                                        \
            printf("CHECK FAILED: ");                                                          \
            printf(__VA_ARGS__);                                                               \
            printf("\n");                                                                      \
        }                                                                                      \
    } while (0)
#define DIE(rc, e)                                                                             \
    do {                                                                                       \
        if (rc) {                                                                              \
            printf("gpu_check: FAIL (%s:%d: %s)\n", __FILE__, __LINE__, (e).msg);              \
            exit(1);                                                                           \
        }                                                                                      \
    } while (0)

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* a batch: x (N, cin, s0) ~ U(-2, 2); y (N, 1, s1) a ball per sample */
static void make_batch(float *x, float *y, int N, int cin, const int s0[3], uint64_t step)
{
    const int64_t n0 = (int64_t)s0[0] * s0[1] * s0[2];
    for (int64_t i = 0; i < (int64_t)N * cin * n0; i++)
        x[i] = (float)(4 * rng_uniform53(5, rng_stream(RNG_GENERIC, step, 1, 0), (uint64_t)i) - 2);
    const int D = s0[0] - 2, H = s0[1] - 2, W = s0[2] - 2;
    for (int n = 0; n < N; n++) {
        const double r = 0.25 + 0.1 * n;
        for (int z = 0; z < D; z++)
            for (int yy = 0; yy < H; yy++)
                for (int xx = 0; xx < W; xx++) {
                    const double dz = (z - D / 2.0) / D, dy = (yy - H / 2.0) / H, dx = (xx - W / 2.0) / W;
                    y[(((int64_t)n * D + z) * H + yy) * W + xx] = dz * dz + dy * dy + dx * dx < r * r ? 1.0f : 0.0f;
                }
    }
}

static double rel_l2(const float *a, const float *b, int64_t n)
{
    double d = 0, r = 0;
    for (int64_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        r += (double)b[i] * b[i];
    }
    return sqrt(d / (r > 0 ? r : 1));
}

/* CPU training step on nn/unet.c: g = batch gradient, loss; then Adam through nn/optim.h on a
 * one-parameter block (the same Adam code the GPU mirrors) */
static double cpu_step(struct unet_params *p, struct unet_work *w, struct nn_params *ps,
                       struct nn_adam *a, const float *x, const float *y, int N, uint64_t seed,
                       uint64_t step, float *gout)
{
    const struct unet_arch *ar = &p->arch;
    int so[3];
    unet_out_patch(ar, so);
    const int64_t n0 = (int64_t)ar->patch[0] * ar->patch[1] * ar->patch[2];
    const int64_t n1 = (int64_t)so[0] * so[1] * so[2];
    float *g = ps->block + p->n, *dl = malloc(sizeof(float) * (size_t)n1);
    memset(g, 0, sizeof(float) * (size_t)p->n);
    double loss = 0;
    for (int n = 0; n < N; n++) {
        const float *lg = unet_forward(p, w, x + n * ar->cin * n0, 1, seed, step, n);
        loss += bce_logits_forward_cpu(lg, y + n * n1, n1) / N;
        memset(dl, 0, sizeof(float) * (size_t)n1);
        bce_logits_backward_cpu(dl, 1.0 / N, lg, y + n * n1, n1);
        unet_backward(p, w, dl, g);
    }
    if (gout)
        memcpy(gout, g, sizeof(float) * (size_t)p->n);
    memcpy(ps->block, p->data, sizeof(float) * (size_t)p->n);
    struct sarc_err e;
    DIE(nn_adam_step(a, ps, &e), e);
    memcpy(p->data, ps->block, sizeof(float) * (size_t)p->n);
    free(dl);
    return (float)loss;
}

static void section_unet_vs_cpu(void)
{
    struct sarc_err e;
    struct unet_arch ar = unet_arch_paper(3);
    ar.patch[0] = 18, ar.patch[1] = 46, ar.patch[2] = 46;
    const int N = 2, STEPS = 20;
    const uint64_t seed = 42;
    struct unet_params p;
    DIE(unet_params_alloc(&p, &ar, &e), e);
    unet_params_init(&p, seed);
    struct unet_work *w = NULL;
    DIE(unet_work_alloc(&w, &ar, 1, &e), e);
    struct nn_params ps;
    nn_params_init(&ps);
    DIE(nn_params_add(&ps, "all", 1, (int[]){(int)p.n}, NN_INIT_ZEROS, 1, 1, NULL, &e), e);
    DIE(nn_params_alloc(&ps, &e), e);
    struct cuda_unet *u = NULL;
    DIE(cuda_unet_init(&u, &ar, N, 0, &e), e);
    DIE(cuda_unet_params_set(u, p.data, &e), e);
    int so[3];
    unet_out_patch(&ar, so);
    const int64_t nx = (int64_t)N * 3 * 18 * 46 * 46, ny = (int64_t)N * so[0] * so[1] * so[2];
    float *x = malloc(sizeof(float) * (size_t)nx), *y = malloc(sizeof(float) * (size_t)ny);
    float *gc = malloc(sizeof(float) * (size_t)p.n), *gg = malloc(sizeof(float) * (size_t)p.n);
    float *wg = malloc(sizeof(float) * (size_t)p.n);
    struct nn_adam ac = nn_adam_default(1e-3), ag = ac;
    double worst_loss = 0, t_cpu = 0, t_gpu = 0;
    for (int s = 0; s < STEPS; s++) {
        make_batch(x, y, N, 3, ar.patch, (uint64_t)s);
        double t0 = now_s();
        const double lc = cpu_step(&p, w, &ps, &ac, x, y, N, seed, (uint64_t)s, s == 0 ? gc : NULL);
        t_cpu += now_s() - t0;
        double lg = 0;
        t0 = now_s();
        DIE(cuda_unet_train_step(u, x, y, N, seed, (uint64_t)s, &ag, &lg, &e), e);
        t_gpu += now_s() - t0;
        if (s == 0) {
            DIE(cuda_unet_grads_get(u, gg, &e), e);
            const double r = rel_l2(gg, gc, p.n);
            printf("unet_step1_grad_rel_l2: %.3g\n", r);
            EXPECT(r <= 1e-4, "step-1 gradient relative L2 %.3g > 1e-4", r);
            for (int l = 0; l < UNET_NLAYERS; l++) {
                int ci, co, t2;
                unet_layer_dims(&ar, l, &t2, &ci, &co);
                const int64_t nw = (int64_t)ci * co * 27;
                printf("unet_step1_grad_rel_l2_%s: %.3g\n", unet_layer_names[l],
                       rel_l2(gg + p.woff[l], gc + p.woff[l], nw));
            }
        }
        const double rl = fabs(lg - lc) / fabs(lc);
        if (rl > worst_loss)
            worst_loss = rl;
        printf("unet_step%d_loss: cpu %.8f gpu %.8f rel %.3g\n", s + 1, lc, lg, rl);
        if (s == 0)
            EXPECT(rl <= 1e-5, "step-1 loss relative difference %.3g > 1e-5", rl);
    }
    DIE(cuda_unet_params_get(u, wg, &e), e);
    const double rw = rel_l2(wg, p.data, p.n);
    printf("unet_20steps_loss_max_rel: %.3g\n", worst_loss);
    printf("unet_20steps_weights_rel_l2: %.3g\n", rw);
    printf("unet_20steps_time: cpu %.2f s, gpu %.3f s (batch %d of 3x18x46x46)\n", t_cpu, t_gpu, N);
    EXPECT(worst_loss <= 1e-3, "loss over 20 steps differs by %.3g > 1e-3", worst_loss);
    EXPECT(rw <= 1e-2, "weights after 20 steps differ by relative L2 %.3g > 1e-2", rw);
    free(x), free(y), free(gc), free(gg), free(wg);
    cuda_unet_free(u);
    nn_params_free(&ps);
    unet_work_free(w);
    unet_params_free(&p);
}

/* two fresh GPU runs of 5 steps at batch 4 (full patch): identical weights and losses */
static void section_identity(void)
{
    struct sarc_err e;
    struct unet_arch ar = unet_arch_paper(3);
    const int N = 4;
    struct unet_params p;
    DIE(unet_params_alloc(&p, &ar, &e), e);
    int so[3];
    unet_out_patch(&ar, so);
    const int64_t nx = (int64_t)N * 3 * ar.patch[0] * ar.patch[1] * ar.patch[2];
    const int64_t ny = (int64_t)N * so[0] * so[1] * so[2];
    float *x = malloc(sizeof(float) * (size_t)nx), *y = malloc(sizeof(float) * (size_t)ny);
    float *w[2] = {malloc(sizeof(float) * (size_t)p.n), malloc(sizeof(float) * (size_t)p.n)};
    double loss[2][5];
    for (int r = 0; r < 2; r++) {
        unet_params_init(&p, 7);
        struct cuda_unet *u = NULL;
        DIE(cuda_unet_init(&u, &ar, N, 0, &e), e);
        DIE(cuda_unet_params_set(u, p.data, &e), e);
        struct nn_adam a = nn_adam_default(1e-3);
        for (int s = 0; s < 5; s++) {
            make_batch(x, y, N, 3, ar.patch, (uint64_t)s);
            DIE(cuda_unet_train_step(u, x, y, N, 7, (uint64_t)s, &a, &loss[r][s], &e), e);
        }
        DIE(cuda_unet_params_get(u, w[r], &e), e);
        cuda_unet_free(u);
    }
    const int same = memcmp(w[0], w[1], sizeof(float) * (size_t)p.n) == 0 &&
                     memcmp(loss[0], loss[1], sizeof loss[0]) == 0;
    printf("gpu_run_to_run_bit_identity: %s\n", same ? "yes" : "NO");
    EXPECT(same, "two GPU runs differ");
    free(x), free(y), free(w[0]), free(w[1]);
    unet_params_free(&p);
}

static int cmp_d(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* fill n floats of device memory with U(-1,1) from a 1M-float host pattern */
static void dev_fill(float *d, int64_t n)
{
    static float *pat;
    const int64_t P = 1 << 20;
    struct sarc_err e;
    if (!pat) {
        pat = malloc(sizeof(float) * (size_t)P);
        for (int64_t i = 0; i < P; i++)
            pat[i] = (float)(2 * rng_uniform53(9, 0, (uint64_t)i) - 1) * 0.1f;
    }
    for (int64_t o = 0; o < n; o += P)
        DIE(cuda_mem_to_device(d + o, pat, sizeof(float) * (size_t)(n - o < P ? n - o : P), &e), e);
}

static void section_bench(double peak)
{
    struct sarc_err e;
    const struct unet_arch ar = unet_arch_paper(3);
    const int N = 20;
    struct cuda_timer tm;
    DIE(cuda_timer_init(&tm, &e), e);
    /* layer l: input channels, input extents, transposed */
    int s0[3], s1[3], h1[3], s2[3], h2[3], s3[3];
    for (int i = 0; i < 3; i++) {
        s0[i] = ar.patch[i], s1[i] = s0[i] - 2, h1[i] = s1[i] / 2, s2[i] = h1[i] - 2;
        h2[i] = s2[i] / 2, s3[i] = h2[i] - 2;
    }
    const int *ins[UNET_NLAYERS] = {s0, h1, h2, s3, s2, s1, s0};
    double total_ms = 0;
    for (int l = 0; l < UNET_NLAYERS; l++) {
        int tr, ci, co;
        unet_layer_dims(&ar, l, &tr, &ci, &co);
        const int *d = ins[l];
        struct conv3d_dims s;
        int rc = tr ? conv_transpose3d_dims_init(&s, N, ci, d[0], d[1], d[2], co, &e)
                    : conv3d_dims_init(&s, N, ci, d[0], d[1], d[2], co, 0, &e);
        DIE(rc, e);
        const int64_t nin = (int64_t)N * ci * d[0] * d[1] * d[2];
        const int64_t nout = (int64_t)N * co * s.OD * s.OH * s.OW, nw = (int64_t)ci * co * 27;
        const size_t wsb = tr ? conv_transpose3d_workspace_bytes_cuda(&s) : conv3d_workspace_bytes_cuda(&s);
        float *xin, *out, *w, *b, *dx, *dw, *db;
        void *ws;
        DIE(cuda_mem_alloc((void **)&xin, sizeof(float) * (size_t)nin, &e), e);
        DIE(cuda_mem_alloc((void **)&dx, sizeof(float) * (size_t)nin, &e), e);
        DIE(cuda_mem_alloc((void **)&out, sizeof(float) * (size_t)nout, &e), e);
        DIE(cuda_mem_alloc((void **)&w, sizeof(float) * (size_t)nw, &e), e);
        DIE(cuda_mem_alloc((void **)&dw, sizeof(float) * (size_t)nw, &e), e);
        DIE(cuda_mem_alloc((void **)&b, sizeof(float) * (size_t)co, &e), e);
        DIE(cuda_mem_alloc((void **)&db, sizeof(float) * (size_t)co, &e), e);
        DIE(cuda_mem_alloc(&ws, wsb ? wsb : 4, &e), e);
        dev_fill(xin, nin), dev_fill(out, nout), dev_fill(w, nw), dev_fill(b, co);
        struct cuda_ctx ctx = {NULL, ws, wsb, 0};
        /* voxel-MACs of the layer: every output voxel x OC x C x 27 (valid taps only would be
         * fewer for the transposed conv; we count the dense product, as PyTorch's FLOP counters) */
        const double flops = 2.0 * (double)N * co * ci * 27 * (double)s.OD * s.OH * s.OW;
        const char *pass[4] = {"fwd", "bwd_data", "bwd_weight", "fwd_tf32"};
        for (int k = 0; k < 4; k++) {
            double ms[7];
            ctx.tf32 = k == 3;
            for (int r = 0; r < 7; r++) {
                DIE(cuda_timer_start(&tm, &ctx, &e), e);
                if (k == 0 || k == 3)
                    rc = tr ? conv_transpose3d_forward_cuda(out, xin, w, b, &s, &ctx, &e)
                            : conv3d_forward_cuda(out, xin, w, b, &s, &ctx, &e);
                else if (k == 1)
                    rc = tr ? conv_transpose3d_backward_cuda(dx, NULL, NULL, out, xin, w, &s, &ctx, &e)
                            : conv3d_backward_cuda(dx, NULL, NULL, out, xin, w, &s, &ctx, &e);
                else
                    rc = tr ? conv_transpose3d_backward_cuda(NULL, dw, db, out, xin, w, &s, &ctx, &e)
                            : conv3d_backward_cuda(NULL, dw, db, out, xin, w, &s, &ctx, &e);
                DIE(rc, e);
                DIE(cuda_timer_stop(&tm, &ctx, &ms[r], &e), e);
            }
            qsort(ms + 2, 5, sizeof(double), cmp_d);
            const double med = ms[4], tf = flops / (med * 1e-3) / 1e12;
            if (k < 3)
                total_ms += med;
            printf("conv_%s_%s: %dx%d in (%d,%d,%d) batch %d: median %.3f ms, min %.3f ms, "
                   "%.2f TFLOP/s, %.1f%% of FP32 peak\n", unet_layer_names[l], pass[k], ci, co,
                   d[0], d[1], d[2], N, med, ms[2], tf, 100 * tf * 1e12 / peak);
        }
        cuda_mem_free(xin), cuda_mem_free(dx), cuda_mem_free(out), cuda_mem_free(w);
        cuda_mem_free(dw), cuda_mem_free(b), cuda_mem_free(db), cuda_mem_free(ws);
    }
    printf("conv_all_layers_fwd_bwd_ms: %.2f (batch 20)\n", total_ms);
    cuda_timer_free(&tm);

    /* the whole training step at batch 20 (host copies of the batch included) */
    struct unet_params p;
    DIE(unet_params_alloc(&p, &ar, &e), e);
    unet_params_init(&p, 3);
    struct cuda_unet *u = NULL;
    DIE(cuda_unet_init(&u, &ar, N, 0, &e), e);
    DIE(cuda_unet_params_set(u, p.data, &e), e);
    int so[3];
    unet_out_patch(&ar, so);
    const int64_t nx = (int64_t)N * 3 * s0[0] * s0[1] * s0[2], ny = (int64_t)N * so[0] * so[1] * so[2];
    float *x = malloc(sizeof(float) * (size_t)nx), *y = malloc(sizeof(float) * (size_t)ny);
    make_batch(x, y, N, 3, s0, 0);
    struct nn_adam a = nn_adam_default(1e-3);
    double loss, st[5];
    for (int r = 0; r < 7; r++) {
        const double t0 = now_s();
        DIE(cuda_unet_train_step(u, x, y, N, 3, (uint64_t)r, &a, &loss, &e), e);
        if (r >= 2)
            st[r - 2] = now_s() - t0;
    }
    qsort(st, 5, sizeof(double), cmp_d);
    printf("unet_train_step_batch20_s: median %.4f, min %.4f\n", st[2], st[0]);
    printf("unet_600_epochs_800_patches_projected_min: %.1f (target < 30)\n", st[2] * 600 * 40 / 60);
    free(x), free(y);
    cuda_unet_free(u);
    unet_params_free(&p);
}

static void section_inference(void)
{
    struct sarc_err e;
    struct unet_arch ar = unet_arch_paper(3);
    ar.patch[0] = 62, ar.patch[1] = 282, ar.patch[2] = 282; /* output 60 x 280 x 280 */
    struct unet_params p;
    DIE(unet_params_alloc(&p, &ar, &e), e);
    unet_params_init(&p, 11);
    for (int tf = 0; tf < 2; tf++) {
        struct cuda_unet *u = NULL;
        DIE(cuda_unet_init(&u, &ar, 1, tf, &e), e);
        DIE(cuda_unet_params_set(u, p.data, &e), e);
        const int64_t nx = (int64_t)3 * 62 * 282 * 282, ny = (int64_t)60 * 280 * 280;
        float *x = malloc(sizeof(float) * (size_t)nx), *lg = malloc(sizeof(float) * (size_t)ny);
        for (int64_t i = 0; i < nx; i++)
            x[i] = (float)sin(0.001 * (double)i);
        double t[5];
        for (int r = 0; r < 5; r++) {
            const double t0 = now_s();
            DIE(cuda_unet_forward(u, x, 1, 0, 0, 0, 0, lg, &e), e);
            t[r] = now_s() - t0;
        }
        qsort(t + 1, 4, sizeof(double), cmp_d);
        printf("inference_280x280x60x3%s_s: median %.4f, min %.4f (target < 0.1; paper 0.53)\n",
               tf ? "_tf32" : "", t[2], t[1]);
        free(x), free(lg);
        cuda_unet_free(u);
    }
    unet_params_free(&p);
}

/* epoch,loss,val_loss,... lines of a training log */
static int read_log(const char *path, double *loss, double *vl, int max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[512];
    int n = 0, ep;
    while (fgets(line, sizeof line, f) && n < max)
        if (sscanf(line, "%d,%lf,%lf", &ep, &loss[n], &vl[n]) == 3)
            n++;
    fclose(f);
    return n;
}

static int cmp_logs(const char *a, const char *b, double rtol)
{
    double la[1000], va[1000], lb[1000], vb[1000];
    const int na = read_log(a, la, va, 1000), nb = read_log(b, lb, vb, 1000);
    if (na < 1 || na != nb) {
        printf("cmp_logs: %d vs %d epochs (%s, %s)\n", na, nb, a, b);
        return 2;
    }
    double worst = 0;
    for (int i = 0; i < na; i++) {
        const double r = fabs(la[i] - lb[i]) / fmax(fabs(lb[i]), 1e-12);
        const double rv = isnan(va[i]) && isnan(vb[i]) ? 0 : fabs(va[i] - vb[i]) / fmax(fabs(vb[i]), 1e-12);
        worst = fmax(worst, fmax(r, rv));
        printf("train_epoch%d_loss: gpu %.8f cpu %.8f rel %.3g; val_loss gpu %.8f cpu %.8f rel %.3g\n", i + 1, la[i],
               lb[i], r, va[i], vb[i], rv);
    }
    printf("train_epoch_loss_max_rel: %.3g (bound %.3g)\n", worst, rtol);
    return worst <= rtol ? 0 : 1;
}

static int cmp_models(const char *a, const char *b, double rtol)
{
    struct seg_model ma, mb;
    struct sarc_err e;
    if (model_read(a, &ma, &e)) {
        printf("cmp_models: %s: %s\n", a, e.msg);
        return 2;
    }
    if (model_read(b, &mb, &e)) {
        printf("cmp_models: %s: %s\n", b, e.msg);
        model_free(&ma);
        return 2;
    }
    const int same_arch = ma.params.n == mb.params.n && !memcmp(&ma.params.arch, &mb.params.arch, sizeof ma.params.arch) &&
                          ma.contrasts == mb.contrasts;
    double md = 0;
    const double r = same_arch ? rel_l2(ma.params.data, mb.params.data, ma.params.n) : INFINITY;
    for (int64_t i = 0; same_arch && i < ma.params.n; i++)
        md = fmax(md, fabs((double)ma.params.data[i] - mb.params.data[i]));
    printf("train_model_format: %s (%lld parameters)\n", same_arch ? "same architecture and layout" : "DIFFERENT",
           (long long)ma.params.n);
    printf("train_weights_rel_l2: %.3g, max_abs %.3g (bound %.3g); threshold gpu %.6f cpu %.6f\n", r, md, rtol,
           ma.threshold, mb.threshold);
    model_free(&ma);
    model_free(&mb);
    return same_arch && r <= rtol ? 0 : 1;
}

static int cmp_seg(char **f, double dice_min, double prob_max)
{
    struct volume v[4];
    struct sarc_err e;
    memset(v, 0, sizeof v);
    int rc = 0;
    for (int k = 0; k < 4 && !rc; k++)
        if (volume_read(f[k], NULL, &v[k], &e)) {
            printf("cmp_seg: %s: %s\n", f[k], e.msg);
            rc = 2;
        }
    const int64_t n = v[0].dim[0] * v[0].dim[1] * v[0].dim[2];
    for (int k = 1; k < 4 && !rc; k++)
        if (v[k].dim[0] * v[k].dim[1] * v[k].dim[2] != n) {
            printf("cmp_seg: %s has another grid\n", f[k]);
            rc = 2;
        }
    if (!rc) {
        double inter = 0, sa = 0, sb = 0, md = 0;
        for (int64_t i = 0; i < n; i++) {
            const int a = v[0].data[i] > 0.5, b = v[1].data[i] > 0.5;
            inter += a && b, sa += a, sb += b;
            md = fmax(md, fabs(v[2].data[i] - v[3].data[i]));
        }
        const double dice = sa + sb > 0 ? 2 * inter / (sa + sb) : 1.0;
        printf("predict_mask_dice_gpu_vs_cpu: %.6f (%.0f vs %.0f voxels; bound >= %.4g)\n", dice, sa, sb, dice_min);
        printf("predict_prob_max_abs_diff: %.3g (bound %.3g)\n", md, prob_max);
        rc = dice >= dice_min && md <= prob_max ? 0 : 1;
    }
    for (int k = 0; k < 4; k++)
        volume_free(&v[k]);
    return rc;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* line by line: check.sh may have to cut us off */
    if (argc == 5 && !strcmp(argv[1], "cmp-logs"))
        return cmp_logs(argv[2], argv[3], atof(argv[4]));
    if (argc == 5 && !strcmp(argv[1], "cmp-models"))
        return cmp_models(argv[2], argv[3], atof(argv[4]));
    if (argc == 8 && !strcmp(argv[1], "cmp-seg"))
        return cmp_seg(argv + 2, atof(argv[6]), atof(argv[7]));
    char name[256];
    if (!device_cuda_available(name, sizeof name)) {
        printf("gpu_check: SKIP (%s)\n", name);
        return 2;
    }
    struct cuda_props pr;
    struct sarc_err e;
    DIE(cuda_props_get(&pr, &e), e);
    const int lanes = pr.major == 8 && pr.minor == 0 ? 64 : 128; /* FP32 lanes per SM */
    const double peak = (double)pr.sms * lanes * 2 * pr.clock_khz * 1e3;
    printf("device: %s, sm_%d%d, %d SMs, %.0f MHz, %.0f GiB, FP32 peak %.1f TFLOP/s\n", pr.name,
           pr.major, pr.minor, pr.sms, pr.clock_khz / 1e3, pr.mem_gib, peak / 1e12);
    /* argv[1] (optional): the sections to run, e.g. "34"; default all */
    const char *want = argc > 1 ? argv[1] : "1234";
    double t0 = now_s();
    if (strchr(want, '1')) {
        section_unet_vs_cpu();
        printf("section_unet_vs_cpu_s: %.1f\n", now_s() - t0);
    }
    t0 = now_s();
    if (strchr(want, '2')) {
        section_identity();
        printf("section_identity_s: %.1f\n", now_s() - t0);
    }
    t0 = now_s();
    if (strchr(want, '3')) {
        section_bench(peak);
        printf("section_bench_s: %.1f\n", now_s() - t0);
    }
    t0 = now_s();
    if (strchr(want, '4')) {
        section_inference();
        printf("section_inference_s: %.1f\n", now_s() - t0);
    }
    if (failures) {
        printf("gpu_check: FAIL (%d checks)\n", failures);
        return 1;
    }
    printf("gpu_check: PASS\n");
    return 0;
}
