/* test_nn_misc.c - tensors and the arena (nn/tensor.c), parameters, initialisers and optimizers
 * (nn/optim.c): shape validation, arena reuse after reset, Glorot/He ranges and moments, the
 * per-parameter seeding, Keras-form Adam and SGD momentum against hand-computed updates, and
 * optimizer argument errors. torch-form Adam is checked against torch.optim.Adam in
 * test_graph_torch.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "io/file.h"
#include "nn/optim.h"
#include "nn/tensor.h"
#include "test/harness.h"

TEST(nn_tensor_shapes)
{
    struct tensor t;
    struct sarc_err e;
    int64_t n;
    CHECK_INT(tensor_count(5, (int[]){2, 3, 18, 142, 142}, &n, &e), 0);
    CHECK_INT(n, 2LL * 3 * 18 * 142 * 142);
    CHECK_INT(tensor_count(0, (int[]){1}, &n, &e), SARC_ERR_RANGE);
    CHECK_INT(tensor_count(2, (int[]){3, -4}, &n, &e), SARC_ERR_RANGE);
    CHECK(strstr(e.msg, "shape[1] = -4") != NULL);
    CHECK_INT(tensor_count(4, (int[]){1 << 20, 1 << 20, 1 << 10, 2}, &n, &e), SARC_ERR_RANGE);
    CHECK_INT(tensor_set_shape(&t, 3, (int[]){4, 5, 6}, &e), 0);
    char buf[64];
    tensor_shape_str(&t, buf, sizeof buf);
    CHECK_STR(buf, "(4, 5, 6)");
    CHECK_INT(t.shape[4], 1);
}

TEST(nn_arena_reuse)
{
    struct nn_arena a;
    struct sarc_err e;
    nn_arena_init(&a);
    float *p = nn_arena_alloc(&a, 3u << 20, &e);
    float *q = nn_arena_alloc(&a, 100, &e);
    REQUIRE(p && q);
    CHECK(((uintptr_t)p & 63) == 0 && ((uintptr_t)q & 63) == 0);
    p[0] = 1;
    q[0] = 2;
    nn_arena_reset(&a);
    /* one block of the high-water size: the same requests fit without a new block, zeroed */
    float *p2 = nn_arena_alloc(&a, 3u << 20, &e);
    float *q2 = nn_arena_alloc(&a, 100, &e);
    REQUIRE(p2 && q2);
    CHECK(p2[0] == 0 && q2[0] == 0);
    p2[5] = 3;
    nn_arena_reset(&a);
    float *p3 = nn_arena_alloc(&a, 3u << 20, &e);
    CHECK(p3 == p2 && p3[5] == 0); /* same block again, cleared */
    a.limit = 1000;
    nn_arena_reset(&a);
    CHECK(nn_arena_alloc(&a, 2000, &e) == NULL);
    CHECK_INT(e.code, SARC_ERR_NOMEM);
    nn_arena_free(&a);
}

TEST(nn_init_glorot_he)
{
    struct nn_params ps;
    struct sarc_err e;
    nn_params_init(&ps);
    const int shape[5] = {24, 3, 3, 3, 3};
    REQUIRE_OK(nn_params_add(&ps, "w", 5, shape, NN_INIT_GLOROT_UNIFORM, 81, 648, NULL, &e), e);
    REQUIRE_OK(nn_params_add(&ps, "h", 5, shape, NN_INIT_HE_NORMAL, 81, 648, NULL, &e), e);
    REQUIRE_OK(nn_params_add(&ps, "u", 5, shape, NN_INIT_HE_UNIFORM, 81, 648, NULL, &e), e);
    REQUIRE_OK(nn_params_add(&ps, "b", 1, (int[]){24}, NN_INIT_ZEROS, 0, 0, NULL, &e), e);
    CHECK_INT(nn_params_add(&ps, "", 1, (int[]){0}, NN_INIT_ZEROS, 0, 0, NULL, &e), SARC_ERR_RANGE);
    CHECK_INT(nn_params_add(&ps, "x", 1, (int[]){2}, NN_INIT_HE_NORMAL, 0, 1, NULL, &e), SARC_ERR_ARG);
    REQUIRE_OK(nn_params_alloc(&ps, &e), e);
    CHECK_INT(nn_params_add(&ps, "late", 1, (int[]){2}, NN_INIT_ZEROS, 0, 0, NULL, &e), SARC_ERR_ARG);
    nn_params_init_values(&ps, 1234);
    const double lg = sqrt(6.0 / (81 + 648)), lu = sqrt(6.0 / 81), sh = sqrt(2.0 / 81);
    double m[3] = {0}, v[3] = {0}, mx[3] = {0};
    const int64_t n = ps.p[0].w.n;
    for (int k = 0; k < 3; k++)
        for (int64_t i = 0; i < n; i++) {
            const double x = ps.p[k].w.data[i];
            m[k] += x / n;
            v[k] += x * x / n;
            if (fabs(x) > mx[k])
                mx[k] = fabs(x);
        }
    CHECK(mx[0] <= lg && mx[0] > 0.95 * lg);
    CHECK_CLOSE(v[0], lg * lg / 3, 0.1, 0);   /* U(-l,l) variance l^2/3; n = 1944 */
    CHECK_CLOSE(v[1], sh * sh, 0.1, 0);       /* N(0, 2/fan_in) */
    CHECK(mx[2] <= lu && mx[2] > 0.95 * lu);
    for (int k = 0; k < 3; k++)
        CHECK(fabs(m[k]) < 0.1 * sqrt(v[k]));
    for (int i = 0; i < 24; i++)
        CHECK(ps.p[3].w.data[i] == 0.0f);
    /* seeded per parameter: another parameter set with one extra parameter in front of nothing
     * changes nothing; another seed changes everything */
    struct tensor t = ps.p[0].w;
    float *copy = malloc(sizeof(float) * (size_t)n);
    t.data = copy;
    nn_init_fill(&t, NN_INIT_GLOROT_UNIFORM, 81, 648, 1234, 0);
    CHECK(memcmp(copy, ps.p[0].w.data, sizeof(float) * (size_t)n) == 0);
    nn_init_fill(&t, NN_INIT_GLOROT_UNIFORM, 81, 648, 1234, 1);
    CHECK(memcmp(copy, ps.p[0].w.data, sizeof(float) * (size_t)n) != 0);
    free(copy);
    CHECK(nn_params_find(&ps, "h") == &ps.p[1]);
    CHECK(nn_params_find(&ps, "nope") == NULL);
    nn_params_free(&ps);
}

TEST(nn_adam_keras_and_sgd)
{
    struct nn_params ps;
    struct sarc_err e;
    nn_params_init(&ps);
    REQUIRE_OK(nn_params_add(&ps, "w", 1, (int[]){3}, NN_INIT_ZEROS, 0, 0, NULL, &e), e);
    REQUIRE_OK(nn_params_alloc(&ps, &e), e);
    const float w0[3] = {0.5f, -1.0f, 2.0f}, g[3] = {0.1f, -0.02f, 3.0f};
    memcpy(ps.p[0].w.data, w0, sizeof w0);
    /* Keras: two steps with the same gradient, by hand in double */
    struct nn_adam a = nn_adam_default(0.01);
    CHECK(a.eps == 1e-7 && a.beta1 == 0.9 && a.beta2 == 0.999 && a.form == NN_ADAM_KERAS);
    double w[3], m[3] = {0}, v[3] = {0};
    for (int i = 0; i < 3; i++)
        w[i] = w0[i];
    for (int step = 1; step <= 2; step++) {
        memcpy(ps.p[0].g.data, g, sizeof g);
        REQUIRE_OK(nn_adam_step(&a, &ps, &e), e);
        const double alpha = 0.01 * sqrt(1 - pow(0.999, step)) / (1 - pow(0.9, step));
        for (int i = 0; i < 3; i++) {
            m[i] = 0.9 * m[i] + 0.1 * g[i];
            v[i] = 0.999 * v[i] + 0.001 * (double)g[i] * g[i];
            w[i] -= alpha * m[i] / (sqrt(v[i]) + 1e-7);
        }
    }
    CHECK_INT(a.t, 2);
    for (int i = 0; i < 3; i++)
        CHECK_CLOSE(ps.p[0].w.data[i], w[i], 1e-6, 1e-7);
    /* SGD momentum 0.9 (torch form): buf = mu buf + g; w -= lr buf */
    memcpy(ps.p[0].w.data, w0, sizeof w0);
    memset(ps.p[0].m.data, 0, sizeof(float) * 3);
    struct nn_sgd s = {0.1, 0.9};
    for (int step = 0; step < 2; step++) {
        memcpy(ps.p[0].g.data, g, sizeof g);
        REQUIRE_OK(nn_sgd_step(&s, &ps, &e), e);
    }
    for (int i = 0; i < 3; i++)
        CHECK_CLOSE(ps.p[0].w.data[i], w0[i] - 0.1 * g[i] - 0.1 * (0.9 * g[i] + g[i]), 1e-6, 1e-7);
    /* bad settings are errors, not crashes */
    a.eps = 0;
    CHECK_INT(nn_adam_step(&a, &ps, &e), SARC_ERR_ARG);
    a = nn_adam_default(-1);
    CHECK_INT(nn_adam_step(&a, &ps, &e), SARC_ERR_ARG);
    s.momentum = 1.5;
    CHECK_INT(nn_sgd_step(&s, &ps, &e), SARC_ERR_ARG);
    nn_params_free(&ps);
}

TEST(nn_params_audit_record)
{
    /* the parameter arrays and Adam settings land in the caller's audit step */
    const char *trail = test_tmp("nn_audit.jsonl");
    remove(trail);
    struct sarc_err e = {0};
    char *argv[] = {"sarc", "test", NULL};
    struct audit_run_info info = {2, argv, 1, 1, "cpu"};
    struct nn_params ps;
    nn_params_init(&ps);
    REQUIRE_OK(nn_params_add(&ps, "conv1.w", 1, (int[]){5}, NN_INIT_HE_UNIFORM, 3, 3, NULL, &e), e);
    REQUIRE_OK(nn_params_alloc(&ps, &e), e);
    nn_params_init_values(&ps, 3);
    REQUIRE_OK(audit_open(trail, &info, &e), e);
    struct audit_step *st = audit_step_begin("train_step");
    struct nn_adam a = nn_adam_default(1e-3);
    nn_adam_audit(st, &a);
    nn_params_audit(st, &ps);
    audit_step_end(st);
    audit_close(0);
    uint8_t *buf = NULL;
    size_t len = 0;
    REQUIRE_OK(file_read_all(trail, &buf, &len, 0, &e), e);
    CHECK(strstr((char *)buf, "\"conv1.w\"") != NULL);
    CHECK(strstr((char *)buf, "\"beta2\"") != NULL);
    CHECK(strstr((char *)buf, "\"sha256\"") != NULL);
    free(buf);
    nn_params_free(&ps);
}
