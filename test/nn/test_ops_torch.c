/* test_ops_torch.c - every op's forward and backward against PyTorch CPU goldens
 * (test/golden/nn/ops.bin, made by test/oracles/torch_nn_golden.py): out = op(inputs), and the
 * gradients of sum(out * R) with respect to each input, through the tape on both the fast path
 * and the reference loops. Pass: every element within 1e-5 absolute or 1e-5 relative (float32;
 * the longest sum here is a conv over 81 terms, far from that bound).
 * Dropout has no PyTorch peer (our masks come from our counter-based RNG); it is covered by
 * finite differences and mask tests in test_tape.c. */
#include <math.h>
#include <string.h>

#include "nn/tape.h"
#include "test/harness.h"
#include "test/nn/test_nn_golden.h"

typedef struct nn_var *(*op_build)(struct tape *t, struct nn_var **in);

static struct nn_var *o_conv_valid(struct tape *t, struct nn_var **in) { return nn_conv3d(t, in[0], in[1], in[2], NN_PAD_VALID); }
static struct nn_var *o_conv_same(struct tape *t, struct nn_var **in) { return nn_conv3d(t, in[0], in[1], in[2], NN_PAD_SAME); }
static struct nn_var *o_convt(struct tape *t, struct nn_var **in) { return nn_conv_transpose3d(t, in[0], in[1], in[2]); }
static struct nn_var *o_maxpool(struct tape *t, struct nn_var **in) { return nn_maxpool3d(t, in[0]); }
static struct nn_var *o_upsample(struct tape *t, struct nn_var **in) { return nn_upsample2x(t, in[0]); }
static struct nn_var *o_concat(struct tape *t, struct nn_var **in) { return nn_concat(t, in[0], in[1]); }
static struct nn_var *o_relu(struct tape *t, struct nn_var **in) { return nn_relu(t, in[0]); }
static struct nn_var *o_sigmoid(struct tape *t, struct nn_var **in) { return nn_sigmoid(t, in[0]); }
static struct nn_var *o_add(struct tape *t, struct nn_var **in) { return nn_add(t, in[0], in[1]); }
static struct nn_var *o_mul(struct tape *t, struct nn_var **in) { return nn_mul(t, in[0], in[1]); }
static struct nn_var *o_scale(struct tape *t, struct nn_var **in) { return nn_scale(t, in[0], -1.75); }
static struct nn_var *o_sum(struct tape *t, struct nn_var **in) { return nn_sum(t, in[0]); }
static struct nn_var *o_mean(struct tape *t, struct nn_var **in) { return nn_mean(t, in[0]); }
static struct nn_var *o_bce(struct tape *t, struct nn_var **in) { return nn_bce_logits(t, in[0], in[1]); }
static struct nn_var *o_dice(struct tape *t, struct nn_var **in) { return nn_soft_dice(t, in[0], in[1], 1e-6); }

static const struct {
    const char *name;
    int nin, grads;
    op_build build;
} ops[] = {
    {"conv3d_valid", 3, 7, o_conv_valid}, {"conv3d_same", 3, 7, o_conv_same},
    {"conv_transpose3d", 3, 7, o_convt},  {"maxpool3d", 1, 1, o_maxpool},
    {"upsample2x", 1, 1, o_upsample},     {"concat", 2, 3, o_concat},
    {"relu", 1, 1, o_relu},               {"sigmoid", 1, 1, o_sigmoid},
    {"add", 2, 3, o_add},                 {"mul", 2, 3, o_mul},
    {"scale", 1, 1, o_scale},             {"sum", 1, 1, o_sum},
    {"mean", 1, 1, o_mean},               {"bce_logits", 2, 1, o_bce},
    {"soft_dice", 2, 1, o_dice},
};

static void run_ops(int reference)
{
    const char *path = "test/golden/nn/ops.bin";
    struct golden g;
    char msg[256];
    REQUIRE_MSG(golden_load(&g, path, msg) == 0, "%s", msg);
    double max_abs = 0, max_rel = 0;
    struct tape t;
    struct sarc_err e;
    tape_init(&t);
    t.reference = reference;
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        char key[96], what[160];
        struct nn_var *in[3] = {NULL, NULL, NULL};
        tape_reset(&t);
        for (int i = 0; i < ops[k].nin; i++) {
            snprintf(key, sizeof key, "%s.in%d", ops[k].name, i);
            const struct tensor *x = golden_get(&g, key);
            REQUIRE_MSG(x, "%s: missing %s", path, key);
            in[i] = tape_leaf_from(&t, x);
            if (in[i] && (ops[k].grads >> i & 1))
                in[i]->requires_grad = 1;
        }
        snprintf(key, sizeof key, "%s.R", ops[k].name);
        const struct tensor *R = golden_get(&g, key);
        snprintf(key, sizeof key, "%s.out", ops[k].name);
        const struct tensor *out = golden_get(&g, key);
        REQUIRE_MSG(R && out, "%s: missing R/out of %s", path, ops[k].name);
        struct nn_var *y = ops[k].build(&t, in);
        struct nn_var *loss = nn_sum(&t, nn_mul(&t, y, tape_leaf_from(&t, R)));
        if (tape_backward(&t, loss, &e) != 0) {
            test_fail_at(__FILE__, __LINE__, "%s: %s", ops[k].name, e.msg);
            continue;
        }
        CHECK_INT(y->val.n, out->n);
        if (y->val.n != out->n)
            continue;
        snprintf(what, sizeof what, "%s forward (%s)", ops[k].name, reference ? "reference" : "fast");
        golden_compare(what, y->val.data, out->data, out->n, 1e-5, &max_abs, &max_rel);
        for (int i = 0; i < ops[k].nin; i++) {
            if (!(ops[k].grads >> i & 1))
                continue;
            snprintf(key, sizeof key, "%s.d%d", ops[k].name, i);
            const struct tensor *d = golden_get(&g, key);
            REQUIRE_MSG(d && d->n == in[i]->val.n, "%s: missing or bad %s", path, key);
            snprintf(what, sizeof what, "%s backward input %d (%s)", ops[k].name, i,
                     reference ? "reference" : "fast");
            golden_compare(what, in[i]->grad.data, d->data, d->n, 1e-5, &max_abs, &max_rel);
        }
    }
    if (getenv("SARC_TEST_VERBOSE"))
        fprintf(stderr, "    ops vs torch (%s): max abs err %.3g, max rel err (where abs > 1e-5) %.3g\n",
                reference ? "reference" : "fast", max_abs, max_rel);
    tape_free(&t);
    golden_free(&g);
}

TEST(nn_ops_vs_torch_fast) { run_ops(0); }
TEST(nn_ops_vs_torch_reference) { run_ops(1); }
