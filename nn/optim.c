/* optim.c - parameter block, Glorot/He initialisation and the Adam / SGD-momentum optimizers
 * (see optim.h for the formulas: torch.optim.Adam, Keras Adam, torch.optim.SGD).
 * Covered by test/nn/test_nn_misc.c and test/nn/test_graph_torch.c. */
#include "nn/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "vendor/rng.h"

void nn_params_init(struct nn_params *ps) { memset(ps, 0, sizeof *ps); }

int nn_params_add(struct nn_params *ps, const char *name, int ndim, const int *shape, int init,
                  int fan_in, int fan_out, int *index, struct sarc_err *e)
{
    if (ps->block)
        return ERR(e, SARC_ERR_ARG, "parameter '%s' added after the block was allocated", name);
    if (!name || strlen(name) > 63)
        return ERR(e, SARC_ERR_ARG, "parameter name missing or longer than 63 bytes");
    if (init < NN_INIT_ZEROS || init > NN_INIT_HE_UNIFORM)
        return ERR(e, SARC_ERR_ARG, "parameter '%s': init kind %d unknown", name, init);
    if (init != NN_INIT_ZEROS && (fan_in < 1 || fan_out < 1))
        return ERR(e, SARC_ERR_ARG, "parameter '%s': fan_in %d / fan_out %d, expected >= 1",
                   name, fan_in, fan_out);
    struct nn_param p;
    memset(&p, 0, sizeof p);
    int rc = tensor_set_shape(&p.w, ndim, shape, e);
    if (rc) {
        err_prefix(e, "parameter '%s'", name);
        return rc;
    }
    p.g = p.m = p.v = p.w;
    if (ps->nvalues + p.w.n > ((int64_t)1 << 36))
        return ERR(e, SARC_ERR_RANGE, "parameters exceed 2^36 values");
    if (ps->count == ps->cap) {
        int cap = ps->cap ? 2 * ps->cap : 32;
        struct nn_param *np = realloc(ps->p, sizeof *np * (size_t)cap);
        if (!np)
            return ERR(e, SARC_ERR_NOMEM, "out of memory registering parameters");
        ps->p = np;
        ps->cap = cap;
    }
    strcpy(p.name, name);
    p.index = ps->count;
    p.init = init;
    p.fan_in = fan_in;
    p.fan_out = fan_out;
    ps->p[ps->count++] = p;
    ps->nvalues += p.w.n;
    if (index)
        *index = p.index;
    return 0;
}

int nn_params_alloc(struct nn_params *ps, struct sarc_err *e)
{
    if (ps->block)
        return ERR(e, SARC_ERR_ARG, "parameter block already allocated");
    size_t n = (size_t)ps->nvalues * 4 + 1, nbytes;
    if (size_mul(n, sizeof(float), &nbytes))
        return ERR(e, SARC_ERR_NOMEM, "parameter block size overflows");
    ps->block = calloc(1, nbytes);
    if (!ps->block)
        return ERR(e, SARC_ERR_NOMEM, "out of memory allocating %zu bytes of parameters", nbytes);
    /* layout: all w, then all g, then all m, then all v (w contiguous for checkpoints) */
    int64_t off = 0;
    for (int i = 0; i < ps->count; i++) {
        struct nn_param *p = &ps->p[i];
        p->w.data = ps->block + off;
        p->g.data = ps->block + ps->nvalues + off;
        p->m.data = ps->block + 2 * ps->nvalues + off;
        p->v.data = ps->block + 3 * ps->nvalues + off;
        off += p->w.n;
    }
    return 0;
}

void nn_init_fill(struct tensor *w, int init, int fan_in, int fan_out, uint64_t seed, int index)
{
    const uint64_t stream = rng_stream(RNG_INIT, (uint64_t)index, 0, 0);
    for (int64_t j = 0; j < w->n; j++) {
        double x = 0;
        switch (init) {
        case NN_INIT_GLOROT_UNIFORM: {
            const double l = sqrt(6.0 / ((double)fan_in + fan_out));
            x = (2 * rng_uniform53(seed, stream, (uint64_t)j) - 1) * l;
            break;
        }
        case NN_INIT_HE_UNIFORM: {
            const double l = sqrt(6.0 / fan_in);
            x = (2 * rng_uniform53(seed, stream, (uint64_t)j) - 1) * l;
            break;
        }
        case NN_INIT_HE_NORMAL:
            x = rng_normal(seed, stream, (uint64_t)j) * sqrt(2.0 / fan_in);
            break;
        default:
            x = 0;
        }
        w->data[j] = (float)x;
    }
}

void nn_params_init_values(struct nn_params *ps, uint64_t seed)
{
    if (!ps->block)
        return;
    memset(ps->block, 0, sizeof(float) * (size_t)ps->nvalues * 4);
    for (int i = 0; i < ps->count; i++) {
        struct nn_param *p = &ps->p[i];
        nn_init_fill(&p->w, p->init, p->fan_in, p->fan_out, seed, p->index);
    }
}

struct nn_param *nn_params_find(struct nn_params *ps, const char *name)
{
    for (int i = 0; i < ps->count; i++)
        if (strcmp(ps->p[i].name, name) == 0)
            return &ps->p[i];
    return NULL;
}

void nn_params_zero_grad(struct nn_params *ps)
{
    if (ps->block)
        memset(ps->block + ps->nvalues, 0, sizeof(float) * (size_t)ps->nvalues);
}

void nn_params_free(struct nn_params *ps)
{
    free(ps->p);
    free(ps->block);
    memset(ps, 0, sizeof *ps);
}

struct nn_adam nn_adam_default(double lr)
{
    struct nn_adam a = {lr, 0.9, 0.999, 1e-7, NN_ADAM_KERAS, 0};
    return a;
}

int nn_adam_step(struct nn_adam *a, struct nn_params *ps, struct sarc_err *e)
{
    const int64_t n = ps->nvalues;
    float *w = ps->block;
    return nn_adam_update(a, w, w ? w + n : NULL, w ? w + 2 * n : NULL, w ? w + 3 * n : NULL,
                          w ? n : 0, e);
}

int nn_adam_update(struct nn_adam *a, float *w, const float *g, float *m, float *v, int64_t n,
                   struct sarc_err *e)
{
    if (!(a->lr > 0) || !(a->beta1 >= 0 && a->beta1 < 1) || !(a->beta2 >= 0 && a->beta2 < 1) ||
        !(a->eps > 0))
        return ERR(e, SARC_ERR_ARG, "Adam: lr %g, beta1 %g, beta2 %g, eps %g: expected lr > 0, "
                   "betas in [0,1), eps > 0", a->lr, a->beta1, a->beta2, a->eps);
    if (a->form != NN_ADAM_TORCH && a->form != NN_ADAM_KERAS)
        return ERR(e, SARC_ERR_ARG, "Adam form %d unknown", a->form);
    if (!w || n <= 0)
        return 0;
    a->t++;
    const double b1 = a->beta1, b2 = a->beta2;
    const double bc1 = 1 - pow(b1, (double)a->t), bc2 = 1 - pow(b2, (double)a->t);
    /* element-wise in double, so thread count cannot matter; serial is fast enough for the
     * ~2M weights of the U-Net */
    if (a->form == NN_ADAM_TORCH) {
        const double sbc2 = sqrt(bc2);
        for (int64_t i = 0; i < n; i++) {
            const double gi = g[i];
            const double mi = b1 * m[i] + (1 - b1) * gi;
            const double vi = b2 * v[i] + (1 - b2) * gi * gi;
            m[i] = (float)mi;
            v[i] = (float)vi;
            /* torch: denom = sqrt(v)/sqrt(bc2) + eps; step = lr / bc1 */
            w[i] = (float)(w[i] - (a->lr / bc1) * (double)m[i] / (sqrt((double)v[i]) / sbc2 + a->eps));
        }
    } else {
        const double alpha = a->lr * sqrt(bc2) / bc1;
        for (int64_t i = 0; i < n; i++) {
            const double gi = g[i];
            const double mi = b1 * m[i] + (1 - b1) * gi;
            const double vi = b2 * v[i] + (1 - b2) * gi * gi;
            m[i] = (float)mi;
            v[i] = (float)vi;
            w[i] = (float)(w[i] - alpha * (double)m[i] / (sqrt((double)v[i]) + a->eps));
        }
    }
    return 0;
}

int nn_sgd_step(const struct nn_sgd *s, struct nn_params *ps, struct sarc_err *e)
{
    if (!(s->lr > 0) || !(s->momentum >= 0 && s->momentum < 1))
        return ERR(e, SARC_ERR_ARG, "SGD: lr %g, momentum %g: expected lr > 0, momentum in [0,1)",
                   s->lr, s->momentum);
    if (!ps->block)
        return 0;
    const int64_t n = ps->nvalues;
    float *w = ps->block, *g = w + n, *m = w + 2 * n;
    for (int64_t i = 0; i < n; i++) {
        const double mi = s->momentum * m[i] + g[i];
        m[i] = (float)mi;
        w[i] = (float)(w[i] - s->lr * (double)m[i]);
    }
    return 0;
}

void nn_params_audit(struct audit_step *st, const struct nn_params *ps)
{
    if (!st || !ps->block)
        return;
    for (int i = 0; i < ps->count; i++)
        audit_output_arrayf(st, ps->p[i].name, ps->p[i].w.data, ps->p[i].w.n);
}

void nn_adam_audit(struct audit_step *st, const struct nn_adam *a)
{
    if (!st)
        return;
    audit_param_str(st, "optimizer", a->form == NN_ADAM_KERAS ? "adam (keras epsilon-hat)"
                                                              : "adam (torch)");
    audit_param_num(st, "lr", a->lr);
    audit_param_num(st, "beta1", a->beta1);
    audit_param_num(st, "beta2", a->beta2);
    audit_param_num(st, "eps", a->eps);
    audit_param_int(st, "adam_steps", (long long)a->t);
}
