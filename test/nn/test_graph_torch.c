/* test_graph_torch.c - a small U-Net-shaped graph against PyTorch CPU (test/golden/nn/graph.bin,
 * made by test/oracles/torch_nn_golden.py):
 *   x (2,2,8,8,8) -> c1 = relu(conv3d same 2->4) -> maxpool -> c2 = relu(conv3d valid 4->6)
 *   -> relu(conv_transpose3d 6->4) -> upsample2x -> concat(c1, .) -> logits = conv3d same 8->1
 *   loss = bce_logits(logits, y) + 0.5 * soft_dice(sigmoid(logits), y, 1e-6)
 * Checks the loss and every parameter gradient at step 0, the loss before each of 3
 * torch.optim.Adam steps (lr 1e-2, eps 1e-7) and after them, and every parameter after 3 steps.
 * Pass: within 1e-5 absolute or relative. Also: the same training is bit-identical with 1, 2 and
 * 8 threads. */
#include <math.h>
#include <string.h>

#include "nn/optim.h"
#include "nn/tape.h"
#include "test/harness.h"
#include "test/nn/test_nn_golden.h"
#include "vendor/pool.h"

static const char *pnames[8] = {"w1", "b1", "w2", "b2", "w3", "b3", "w4", "b4"};

/* Registers the 8 parameters with the golden's initial values; 0 or -1. */
static int graph_params(struct nn_params *ps, const struct golden *g)
{
    struct sarc_err e;
    nn_params_init(ps);
    for (int i = 0; i < 8; i++) {
        char key[64];
        snprintf(key, sizeof key, "init.%s", pnames[i]);
        const struct tensor *t = golden_get(g, key);
        if (!t || nn_params_add(ps, pnames[i], t->ndim, t->shape, NN_INIT_ZEROS, 1, 1, NULL, &e))
            return -1;
    }
    if (nn_params_alloc(ps, &e))
        return -1;
    for (int i = 0; i < 8; i++) {
        char key[64];
        snprintf(key, sizeof key, "init.%s", pnames[i]);
        const struct tensor *t = golden_get(g, key);
        memcpy(ps->p[i].w.data, t->data, sizeof(float) * (size_t)t->n);
    }
    return 0;
}

static struct nn_var *graph_loss(struct tape *t, struct nn_params *ps, const struct tensor *x,
                                 const struct tensor *y)
{
    struct nn_var *p[8];
    for (int i = 0; i < 8; i++)
        p[i] = tape_param(t, &ps->p[i]);
    struct nn_var *xv = tape_leaf_from(t, x), *yv = tape_leaf_from(t, y);
    struct nn_var *c1 = nn_relu(t, nn_conv3d(t, xv, p[0], p[1], NN_PAD_SAME));
    struct nn_var *c2 = nn_relu(t, nn_conv3d(t, nn_maxpool3d(t, c1), p[2], p[3], NN_PAD_VALID));
    struct nn_var *tc = nn_relu(t, nn_conv_transpose3d(t, c2, p[4], p[5]));
    struct nn_var *cat = nn_concat(t, c1, nn_upsample2x(t, tc));
    struct nn_var *logits = nn_conv3d(t, cat, p[6], p[7], NN_PAD_SAME);
    struct nn_var *dice = nn_soft_dice(t, nn_sigmoid(t, logits), yv, 1e-6);
    return nn_add(t, nn_bce_logits(t, logits, yv), nn_scale(t, dice, 0.5));
}

/* 3 Adam steps from the golden's initial values on the given pool; losses[4] and the final
 * parameters in ps. Returns 0 or -1 (failure reported). */
static int graph_train(struct nn_params *ps, const struct golden *g, struct pool *pool,
                       int reference, float losses[4], float grad0[][2000], int grad0_n[8])
{
    const struct tensor *x = golden_get(g, "x"), *y = golden_get(g, "y");
    if (!x || !y || graph_params(ps, g)) {
        test_fail_at(__FILE__, __LINE__, "graph golden incomplete");
        return -1;
    }
    struct tape t;
    struct sarc_err e;
    tape_init(&t);
    t.pool = pool;
    t.reference = reference;
    struct nn_adam adam = nn_adam_default(1e-2);
    adam.form = NN_ADAM_TORCH;
    int rc = 0;
    for (int step = 0; step <= 3 && !rc; step++) {
        tape_reset(&t);
        nn_params_zero_grad(ps);
        struct nn_var *loss = graph_loss(&t, ps, x, y);
        if (step == 3) {
            if (!loss) {
                tape_error(&t, &e);
                test_fail_at(__FILE__, __LINE__, "graph: %s", e.msg);
                rc = -1;
                break;
            }
            losses[3] = loss->val.data[0];
            break;
        }
        if (tape_backward(&t, loss, &e) != 0) {
            test_fail_at(__FILE__, __LINE__, "graph: %s", e.msg);
            rc = -1;
            break;
        }
        losses[step] = loss->val.data[0];
        if (step == 0 && grad0)
            for (int i = 0; i < 8; i++) {
                grad0_n[i] = (int)ps->p[i].g.n;
                if (ps->p[i].g.n <= 2000)
                    memcpy(grad0[i], ps->p[i].g.data, sizeof(float) * (size_t)ps->p[i].g.n);
            }
        if (nn_adam_step(&adam, ps, &e) != 0) {
            test_fail_at(__FILE__, __LINE__, "adam: %s", e.msg);
            rc = -1;
        }
    }
    tape_free(&t);
    return rc;
}

static void graph_vs_torch(int reference)
{
    struct golden g;
    char msg[256];
    REQUIRE_MSG(golden_load(&g, "test/golden/nn/graph.bin", msg) == 0, "%s", msg);
    struct nn_params ps;
    float losses[4] = {0}, grad0[8][2000];
    int grad0_n[8] = {0};
    double max_abs = 0, max_rel = 0;
    if (graph_train(&ps, &g, pool_default(), reference, losses, grad0, grad0_n) == 0) {
        const struct tensor *tl = golden_get(&g, "losses");
        CHECK(tl && tl->n == 4);
        if (tl && tl->n == 4)
            golden_compare("losses before steps 1..3 and after step 3", losses, tl->data, 4, 1e-5,
                           &max_abs, &max_rel);
        for (int i = 0; i < 8; i++) {
            char key[64], what[96];
            snprintf(key, sizeof key, "grad0.%s", pnames[i]);
            const struct tensor *gt = golden_get(&g, key);
            CHECK(gt && gt->n == grad0_n[i] && gt->n <= 2000);
            snprintf(what, sizeof what, "step-0 gradient of %s", pnames[i]);
            if (gt && gt->n == grad0_n[i] && gt->n <= 2000)
                golden_compare(what, grad0[i], gt->data, gt->n, 1e-5, &max_abs, &max_rel);
            snprintf(key, sizeof key, "step3.%s", pnames[i]);
            gt = golden_get(&g, key);
            CHECK(gt && gt->n == ps.p[i].w.n);
            snprintf(what, sizeof what, "%s after 3 Adam steps", pnames[i]);
            if (gt && gt->n == ps.p[i].w.n)
                golden_compare(what, ps.p[i].w.data, gt->data, gt->n, 1e-5, &max_abs, &max_rel);
        }
    }
    if (getenv("SARC_TEST_VERBOSE"))
        fprintf(stderr, "    graph vs torch (%s): losses %.7g %.7g %.7g %.7g; max abs err %.3g\n",
                reference ? "reference" : "fast", losses[0], losses[1], losses[2], losses[3],
                max_abs);
    nn_params_free(&ps);
    golden_free(&g);
}

TEST(nn_graph_vs_torch_fast) { graph_vs_torch(0); }
TEST(nn_graph_vs_torch_reference) { graph_vs_torch(1); }

TEST(nn_graph_threads_bit_identical)
{
    struct golden g;
    char msg[256];
    REQUIRE_MSG(golden_load(&g, "test/golden/nn/graph.bin", msg) == 0, "%s", msg);
    const int threads[3] = {1, 2, 8};
    struct nn_params ps[3];
    float losses[3][4];
    int ok = 1;
    for (int k = 0; k < 3; k++) {
        struct pool *p = pool_create(threads[k]);
        ok &= graph_train(&ps[k], &g, p, 0, losses[k], NULL, NULL) == 0;
        pool_free(p);
    }
    if (ok)
        for (int k = 1; k < 3; k++) {
            CHECK_MSG(memcmp(losses[0], losses[k], sizeof losses[0]) == 0,
                      "losses differ between 1 and %d threads", threads[k]);
            CHECK_MSG(memcmp(ps[0].block, ps[k].block, sizeof(float) * (size_t)ps[0].nvalues * 4) == 0,
                      "parameters/gradients/moments differ between 1 and %d threads", threads[k]);
        }
    for (int k = 0; k < 3; k++)
        nn_params_free(&ps[k]);
    golden_free(&g);
}
