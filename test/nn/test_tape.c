/* test_tape.c - every op's backward (through the tape, fast CPU path and reference loops)
 * against central finite differences in double, on small odd shapes with channel counts that do
 * not divide the thread count; kinks (ReLU at 0, max-pool ties) are avoided or skipped. Also: the
 * sticky error of the tape, parameter gradient accumulation, dropout masks.
 * The loss is L = sum(out * R) for a fixed random R, computed in double from the op's output;
 * its analytic gradient comes from tape_backward of nn_sum(nn_mul(out, R)). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/eltwise.h"
#include "nn/optim.h"
#include "nn/tape.h"
#include "test/harness.h"
#include "vendor/pool.h"
#include "vendor/rng.h"

enum { FILL_SIGNED, FILL_DISTINCT, FILL_UNIT, FILL_BINARY };

typedef struct nn_var *(*build_fn)(struct tape *t, struct nn_var **in);

struct fd_case {
    const char *name;
    int nin;
    int ndim[3];
    int shape[3][5];
    int fill[3];
    int check;        /* bit i: finite-difference input i */
    double h;
    double tol;       /* |ana - fd| <= tol * (1 + |fd|) */
    int kink_relu;    /* skip points with |x| < 2h */
    build_fn build;
};

static void fill(float *x, int64_t n, int kind, uint64_t stream)
{
    for (int64_t i = 0; i < n; i++) {
        const double u = rng_uniform53(42, stream, (uint64_t)i);
        switch (kind) {
        case FILL_SIGNED: x[i] = (float)(2 * u - 1); break;
        case FILL_UNIT: x[i] = (float)(0.05 + 0.9 * u); break;
        case FILL_BINARY: x[i] = u < 0.4 ? 1.0f : 0.0f; break;
        default: x[i] = 0; break;
        }
    }
    if (kind == FILL_DISTINCT) {
        /* a shuffled ladder of values 0.02 apart: no ties within h of each other */
        for (int64_t i = 0; i < n; i++)
            x[i] = (float)(0.02 * (double)i - 0.01 * (double)n);
        for (int64_t i = n - 1; i > 0; i--) {
            const int64_t j = (int64_t)(rng_uniform53(42, stream, (uint64_t)(n + i)) * (double)(i + 1));
            const float tmp = x[i];
            x[i] = x[j];
            x[j] = tmp;
        }
    }
}

/* Builds the case on a fresh tape; returns out (NULL on failure). */
static struct nn_var *run_case(struct tape *t, const struct fd_case *c, float **data,
                               struct nn_var **in)
{
    tape_reset(t);
    for (int i = 0; i < c->nin; i++) {
        struct tensor x;
        memset(&x, 0, sizeof x);
        if (tensor_set_shape(&x, c->ndim[i], c->shape[i], NULL))
            return NULL;
        x.data = data[i];
        in[i] = tape_leaf_from(t, &x);
        if (in[i] && (c->check >> i & 1))
            in[i]->requires_grad = 1;
    }
    return c->build(t, in);
}

static double loss_of(const struct nn_var *out, const float *r)
{
    double s = 0;
    for (int64_t i = 0; i < out->val.n; i++)
        s += (double)out->val.data[i] * r[i];
    return s;
}

static void fd_check(const struct fd_case *c, int reference)
{
    float *data[3] = {NULL, NULL, NULL}, *ana[3] = {NULL, NULL, NULL}, *r = NULL;
    struct nn_var *in[3];
    struct tape t;
    struct sarc_err e;
    tape_init(&t);
    t.reference = reference;
    t.seed = 7;
    t.step = 3;
    for (int i = 0; i < c->nin; i++) {
        int64_t n;
        REQUIRE(tensor_count(c->ndim[i], c->shape[i], &n, NULL) == 0);
        data[i] = malloc(sizeof(float) * (size_t)n);
        ana[i] = calloc((size_t)n, sizeof(float));
        fill(data[i], n, c->fill[i], (uint64_t)(i + 1));
    }
    struct nn_var *out = run_case(&t, c, data, in);
    if (!out) {
        tape_error(&t, &e);
        test_fail_at(__FILE__, __LINE__, "%s: build failed: %s", c->name, e.msg);
        goto done;
    }
    r = malloc(sizeof(float) * (size_t)out->val.n);
    fill(r, out->val.n, FILL_SIGNED, 99);
    struct nn_var *rl = tape_leaf(&t, out->val.ndim, out->val.shape);
    if (rl)
        memcpy(rl->val.data, r, sizeof(float) * (size_t)out->val.n);
    struct nn_var *loss = nn_sum(&t, nn_mul(&t, out, rl));
    if (tape_backward(&t, loss, &e) != 0) {
        test_fail_at(__FILE__, __LINE__, "%s: backward failed: %s", c->name, e.msg);
        goto done;
    }
    for (int i = 0; i < c->nin; i++)
        if (c->check >> i & 1)
            memcpy(ana[i], in[i]->grad.data, sizeof(float) * (size_t)in[i]->val.n);
    int checked = 0, bad = 0;
    for (int i = 0; i < c->nin; i++) {
        if (!(c->check >> i & 1))
            continue;
        int64_t n = 0;
        tensor_count(c->ndim[i], c->shape[i], &n, NULL);
        for (int64_t j = 0; j < n; j++) {
            const float x0 = data[i][j];
            if (c->kink_relu && fabs(x0) < 2 * c->h)
                continue;
            data[i][j] = (float)(x0 + c->h);
            const double hp = (double)data[i][j] - x0;
            struct nn_var *o = run_case(&t, c, data, in);
            const double lp = o ? loss_of(o, r) : NAN;
            data[i][j] = (float)(x0 - c->h);
            const double hm = x0 - (double)data[i][j];
            o = run_case(&t, c, data, in);
            const double lm = o ? loss_of(o, r) : NAN;
            data[i][j] = x0;
            const double fd = (lp - lm) / (hp + hm);
            checked++;
            if (!(fabs(ana[i][j] - fd) <= c->tol * (1 + fabs(fd)))) {
                if (bad++ < 5)
                    test_fail_at(__FILE__, __LINE__, "%s (%s): input %d element %lld: backward "
                                 "%.8g, finite difference %.8g", c->name,
                                 reference ? "reference" : "fast", i, (long long)j,
                                 (double)ana[i][j], fd);
            }
        }
    }
    CHECK_MSG(checked > 0, "%s: no point checked", c->name);
done:
    for (int i = 0; i < c->nin; i++) {
        free(data[i]);
        free(ana[i]);
    }
    free(r);
    tape_free(&t);
}

static struct nn_var *b_conv_valid(struct tape *t, struct nn_var **in)
{
    return nn_conv3d(t, in[0], in[1], in[2], NN_PAD_VALID);
}
static struct nn_var *b_conv_same(struct tape *t, struct nn_var **in)
{
    return nn_conv3d(t, in[0], in[1], in[2], NN_PAD_SAME);
}
static struct nn_var *b_convt(struct tape *t, struct nn_var **in)
{
    return nn_conv_transpose3d(t, in[0], in[1], in[2]);
}
static struct nn_var *b_maxpool(struct tape *t, struct nn_var **in) { return nn_maxpool3d(t, in[0]); }
static struct nn_var *b_upsample(struct tape *t, struct nn_var **in) { return nn_upsample2x(t, in[0]); }
static struct nn_var *b_concat(struct tape *t, struct nn_var **in) { return nn_concat(t, in[0], in[1]); }
static struct nn_var *b_relu(struct tape *t, struct nn_var **in) { return nn_relu(t, in[0]); }
static struct nn_var *b_sigmoid(struct tape *t, struct nn_var **in) { return nn_sigmoid(t, in[0]); }
static struct nn_var *b_dropout(struct tape *t, struct nn_var **in) { return nn_dropout(t, in[0], 0.4, 5); }
static struct nn_var *b_add(struct tape *t, struct nn_var **in) { return nn_add(t, in[0], in[1]); }
static struct nn_var *b_mul(struct tape *t, struct nn_var **in) { return nn_mul(t, in[0], in[1]); }
static struct nn_var *b_scale(struct tape *t, struct nn_var **in) { return nn_scale(t, in[0], -1.75); }
static struct nn_var *b_sum(struct tape *t, struct nn_var **in) { return nn_sum(t, in[0]); }
static struct nn_var *b_mean(struct tape *t, struct nn_var **in) { return nn_mean(t, in[0]); }
static struct nn_var *b_bce(struct tape *t, struct nn_var **in) { return nn_bce_logits(t, in[0], in[1]); }
static struct nn_var *b_dice(struct tape *t, struct nn_var **in) { return nn_soft_dice(t, in[0], in[1], 1e-3); }

/* linear ops: h large (exact up to rounding); nonlinear: h small */
static const struct fd_case cases[] = {
    {"conv3d_valid", 3, {5, 5, 1}, {{2, 3, 5, 4, 6}, {5, 3, 3, 3, 3}, {5}}, {0, 0, 0}, 7, 0.05, 2e-3, 0, b_conv_valid},
    {"conv3d_same", 3, {5, 5, 1}, {{2, 3, 3, 5, 4}, {5, 3, 3, 3, 3}, {5}}, {0, 0, 0}, 7, 0.05, 2e-3, 0, b_conv_same},
    {"conv3d_same_size1", 3, {5, 5, 1}, {{1, 2, 1, 3, 1}, {3, 2, 3, 3, 3}, {3}}, {0, 0, 0}, 7, 0.05, 2e-3, 0, b_conv_same},
    {"conv_transpose3d", 3, {5, 5, 1}, {{2, 3, 2, 3, 4}, {3, 5, 3, 3, 3}, {5}}, {0, 0, 0}, 7, 0.05, 2e-3, 0, b_convt},
    {"maxpool3d_odd", 1, {5}, {{2, 3, 5, 4, 7}}, {FILL_DISTINCT}, 1, 1e-3, 2e-3, 0, b_maxpool},
    {"upsample2x", 1, {5}, {{2, 3, 2, 3, 1}}, {0}, 1, 0.05, 1e-3, 0, b_upsample},
    {"concat", 2, {5, 5}, {{2, 3, 2, 1, 3}, {2, 1, 2, 1, 3}}, {0, 0}, 3, 0.05, 1e-3, 0, b_concat},
    {"relu", 1, {5}, {{2, 3, 3, 2, 3}}, {0}, 1, 1e-2, 1e-3, 1, b_relu},
    {"sigmoid", 1, {5}, {{2, 3, 3, 2, 3}}, {0}, 1, 1e-2, 1e-3, 0, b_sigmoid},
    {"dropout", 1, {5}, {{3, 5, 2, 2, 3}}, {0}, 1, 0.05, 1e-3, 0, b_dropout},
    {"add", 2, {5, 5}, {{2, 3, 2, 2, 3}, {2, 3, 2, 2, 3}}, {0, 0}, 3, 0.05, 1e-3, 0, b_add},
    {"mul", 2, {5, 5}, {{2, 3, 2, 2, 3}, {2, 3, 2, 2, 3}}, {0, 0}, 3, 0.05, 1e-3, 0, b_mul},
    {"scale", 1, {3}, {{3, 5, 7}}, {0}, 1, 0.05, 1e-3, 0, b_scale},
    {"sum", 1, {5}, {{2, 3, 2, 2, 3}}, {0}, 1, 0.05, 1e-3, 0, b_sum},
    {"mean", 1, {5}, {{2, 3, 2, 2, 3}}, {0}, 1, 0.05, 1e-3, 0, b_mean},
    {"bce_logits", 2, {5, 5}, {{2, 1, 3, 2, 3}, {2, 1, 3, 2, 3}}, {FILL_SIGNED, FILL_BINARY}, 1, 1e-2, 1e-3, 0, b_bce},
    {"soft_dice", 2, {5, 5}, {{2, 1, 3, 2, 3}, {2, 1, 3, 2, 3}}, {FILL_UNIT, FILL_BINARY}, 1, 1e-3, 2e-3, 0, b_dice},
};

TEST(nn_fd_all_ops_fast)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        fd_check(&cases[i], 0);
}

TEST(nn_fd_all_ops_reference)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        fd_check(&cases[i], 1);
}

TEST(nn_tape_sticky_error)
{
    struct tape t;
    struct sarc_err e;
    tape_init(&t);
    struct nn_var *x = tape_leaf(&t, 5, (int[]){1, 2, 4, 4, 4});
    struct nn_var *w = tape_leaf(&t, 5, (int[]){3, 5, 3, 3, 3}); /* wrong C */
    struct nn_var *y = nn_conv3d(&t, x, w, NULL, NN_PAD_VALID);
    CHECK(y == NULL);
    CHECK(nn_relu(&t, y) == NULL);
    CHECK(nn_sum(&t, nn_relu(&t, x)) == NULL); /* later ops fail too */
    CHECK_INT(tape_error(&t, &e), SARC_ERR_ARG);
    CHECK(strstr(e.msg, "(3, 5, 3, 3, 3)") != NULL);
    CHECK(tape_backward(&t, NULL, &e) == SARC_ERR_ARG);
    /* after a reset the tape works again */
    tape_reset(&t);
    CHECK_INT(tape_error(&t, &e), 0);
    x = tape_leaf(&t, 5, (int[]){1, 2, 2, 2, 2});
    CHECK(nn_maxpool3d(&t, x) != NULL);
    CHECK(nn_conv3d(&t, x, tape_leaf(&t, 5, (int[]){1, 2, 3, 3, 3}), NULL, NN_PAD_VALID) == NULL);
    CHECK_INT(tape_error(&t, &e), SARC_ERR_RANGE);
    tape_reset(&t);
    CHECK(nn_dropout(&t, tape_leaf(&t, 2, (int[]){2, 2}), 1.0, 0) == NULL);
    CHECK(nn_soft_dice(&t, tape_leaf(&t, 1, (int[]){2}), tape_leaf(&t, 1, (int[]){3}), 1e-6) == NULL);
    CHECK(tape_leaf(&t, 6, (int[]){1, 1, 1, 1, 1, 1}) == NULL);
    tape_free(&t);
}

TEST(nn_param_grad_accumulates)
{
    /* loss = sum(w * w) twice over two backward passes: g = 2 * (2 w) */
    struct nn_params ps;
    struct sarc_err e;
    nn_params_init(&ps);
    REQUIRE_OK(nn_params_add(&ps, "w", 1, (int[]){4}, NN_INIT_GLOROT_UNIFORM, 4, 4, NULL, &e), e);
    REQUIRE_OK(nn_params_alloc(&ps, &e), e);
    nn_params_init_values(&ps, 11);
    struct tape t;
    tape_init(&t);
    for (int pass = 0; pass < 2; pass++) {
        tape_reset(&t);
        struct nn_var *w1 = tape_param(&t, &ps.p[0]), *w2 = tape_param(&t, &ps.p[0]);
        struct nn_var *loss = nn_sum(&t, nn_mul(&t, w1, w2));
        CHECK_OK(tape_backward(&t, loss, &e), e);
        CHECK_INT(tape_backward(&t, loss, &e), SARC_ERR_ARG); /* not twice on one tape */
    }
    for (int i = 0; i < 4; i++)
        CHECK_CLOSE(ps.p[0].g.data[i], 4.0 * ps.p[0].w.data[i], 1e-6, 0);
    nn_params_zero_grad(&ps);
    for (int i = 0; i < 4; i++)
        CHECK(ps.p[0].g.data[i] == 0.0f);
    tape_free(&t);
    nn_params_free(&ps);
}

TEST(nn_dropout_masks)
{
    /* keyed by (seed, step, layer, sample, channel): whole channels, scaled by 1/(1-p), identity
     * at inference, another step gives another mask, and the drop rate is about p */
    enum { N = 4, C = 50 };
    float m1[N * C], m2[N * C];
    dropout_mask_cpu(m1, N, C, 0.3, 5, 1, 2);
    dropout_mask_cpu(m2, N, C, 0.3, 5, 2, 2);
    int dropped = 0, differ = 0;
    for (int i = 0; i < N * C; i++) {
        CHECK(m1[i] == 0.0f || m1[i] == (float)(1.0 / 0.7));
        dropped += m1[i] == 0.0f;
        differ += m1[i] != m2[i];
        const uint64_t s = rng_stream(RNG_DROPOUT, 1, 2, (uint64_t)i);
        CHECK((m1[i] == 0.0f) == (rng_uniform(5, s, 0) < 0.3));
    }
    CHECK(dropped > 35 && dropped < 85);
    CHECK(differ > 0);
    struct tape t;
    tape_init(&t);
    struct nn_var *x = tape_leaf(&t, 5, (int[]){2, 3, 1, 2, 2});
    t.training = 0;
    CHECK(nn_dropout(&t, x, 0.5, 0) == x);
    t.training = 1;
    CHECK(nn_dropout(&t, x, 0.0, 0) == x);
    struct nn_var *y = nn_dropout(&t, x, 0.5, 0);
    CHECK(y != NULL && y != x);
    tape_free(&t);
}

TEST(nn_maxpool_ties_and_floor)
{
    /* (1,1,3,2,2): floor keeps one 2x2x2 block (z = 0, 1); all eight values tie at 1, so the
     * whole gradient goes to the first element in scan order; z = 2 gets nothing */
    struct tape t;
    struct sarc_err e;
    tape_init(&t);
    struct nn_var *x = tape_leaf(&t, 5, (int[]){1, 1, 3, 2, 2});
    REQUIRE(x);
    x->requires_grad = 1;
    for (int i = 0; i < 12; i++)
        x->val.data[i] = i < 8 ? 1.0f : 5.0f;
    struct nn_var *y = nn_maxpool3d(&t, x);
    REQUIRE(y && y->val.n == 1);
    CHECK(y->val.data[0] == 1.0f);
    REQUIRE_OK(tape_backward(&t, nn_sum(&t, y), &e), e);
    for (int i = 0; i < 12; i++)
        CHECK(x->grad.data[i] == (i == 0 ? 1.0f : 0.0f));
    /* a NaN first in scan order does not hide a later number */
    tape_reset(&t);
    x = tape_leaf(&t, 5, (int[]){1, 1, 2, 2, 2});
    REQUIRE(x);
    for (int i = 0; i < 8; i++)
        x->val.data[i] = i == 0 ? NAN : (float)i;
    y = nn_maxpool3d(&t, x);
    REQUIRE(y);
    CHECK(y->val.data[0] == 7.0f);
    tape_free(&t);
}

TEST(nn_losses_stable_and_exact)
{
    /* BCE from logits stays finite for |x| = 100 (log(1 + e^100) would overflow float); soft
     * Dice of a perfect binary prediction is 0, of a disjoint one is 1 - eps/(S + eps) */
    struct tape t;
    struct sarc_err e;
    tape_init(&t);
    struct nn_var *x = tape_leaf(&t, 1, (int[]){4}), *y = tape_leaf(&t, 1, (int[]){4});
    REQUIRE(x && y);
    x->requires_grad = 1;
    const float xv[4] = {100, -100, 100, -100}, yv[4] = {1, 0, 0, 1};
    memcpy(x->val.data, xv, sizeof xv);
    memcpy(y->val.data, yv, sizeof yv);
    struct nn_var *l = nn_bce_logits(&t, x, y);
    REQUIRE(l);
    CHECK_CLOSE(l->val.data[0], 50.0, 1e-6, 0); /* (0 + 0 + 100 + 100) / 4 */
    REQUIRE_OK(tape_backward(&t, l, &e), e);
    const float gx[4] = {0, 0, 0.25f, -0.25f};
    for (int i = 0; i < 4; i++)
        CHECK_CLOSE(x->grad.data[i], gx[i], 1e-6, 1e-12);
    tape_reset(&t);
    struct nn_var *p = tape_leaf(&t, 1, (int[]){4}), *q = tape_leaf(&t, 1, (int[]){4});
    REQUIRE(p && q);
    memcpy(p->val.data, yv, sizeof yv);
    memcpy(q->val.data, yv, sizeof yv);
    struct nn_var *d = nn_soft_dice(&t, p, q, NN_DICE_EPS);
    REQUIRE(d);
    CHECK(fabs(d->val.data[0]) < 1e-7);
    const float pv[4] = {0, 1, 1, 0};
    memcpy(p->val.data, pv, sizeof pv);
    d = nn_soft_dice(&t, p, q, NN_DICE_EPS);
    REQUIRE(d);
    CHECK_CLOSE(d->val.data[0], 1.0 - NN_DICE_EPS / (4 + NN_DICE_EPS), 1e-7, 0);
    /* empty prediction of an empty target: loss 0, not 0/0 */
    memset(p->val.data, 0, sizeof pv);
    memset(q->val.data, 0, sizeof pv);
    d = nn_soft_dice(&t, p, q, NN_DICE_EPS);
    REQUIRE(d);
    CHECK(d->val.data[0] == 0.0f);
    tape_free(&t);
}

/* One forward + backward of a chain of every memory-bound op on a tensor big enough to be split
 * into several chunks; returns malloc'ed copies of the output and the input gradient. */
static int chain_run(struct pool *p, float **out, float **grad, int64_t *nout, int64_t *nin)
{
    struct tape t;
    struct sarc_err e;
    tape_init(&t);
    t.pool = p;
    t.seed = 9;
    int rc = -1;
    struct nn_var *x = tape_leaf(&t, 5, (int[]){2, 5, 9, 33, 35});
    if (!x)
        goto done;
    x->requires_grad = 1;
    fill(x->val.data, x->val.n, FILL_SIGNED, 77);
    struct nn_var *a = nn_relu(&t, x);
    struct nn_var *b = nn_sigmoid(&t, nn_scale(&t, x, 0.5));
    struct nn_var *m = nn_mul(&t, a, b);
    struct nn_var *pl = nn_maxpool3d(&t, nn_add(&t, m, x));
    struct nn_var *up = nn_upsample2x(&t, nn_dropout(&t, pl, 0.3, 1));
    struct nn_var *y = nn_concat(&t, up, up);
    struct nn_var *loss = nn_mean(&t, nn_mul(&t, y, y));
    if (tape_backward(&t, loss, &e) != 0)
        goto done;
    *nout = y->val.n;
    *nin = x->val.n;
    *out = malloc(sizeof(float) * (size_t)y->val.n);
    *grad = malloc(sizeof(float) * (size_t)x->val.n);
    memcpy(*out, y->val.data, sizeof(float) * (size_t)y->val.n);
    memcpy(*grad, x->grad.data, sizeof(float) * (size_t)x->val.n);
    rc = 0;
done:
    tape_free(&t);
    return rc;
}

TEST(nn_tape_threads_bit_identical)
{
    const int threads[3] = {1, 2, 8};
    float *out[3] = {NULL, NULL, NULL}, *grad[3] = {NULL, NULL, NULL};
    int64_t no = 0, ni = 0;
    for (int k = 0; k < 3; k++) {
        struct pool *p = pool_create(threads[k]);
        CHECK(chain_run(p, &out[k], &grad[k], &no, &ni) == 0);
        pool_free(p);
    }
    for (int k = 1; k < 3; k++)
        if (out[0] && out[k]) {
            CHECK_MSG(memcmp(out[0], out[k], sizeof(float) * (size_t)no) == 0,
                      "outputs differ between 1 and %d threads", threads[k]);
            CHECK_MSG(memcmp(grad[0], grad[k], sizeof(float) * (size_t)ni) == 0,
                      "gradients differ between 1 and %d threads", threads[k]);
        }
    for (int k = 0; k < 3; k++) {
        free(out[k]);
        free(grad[k]);
    }
}
