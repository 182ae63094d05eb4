/* mlp.c - MLP classifier (see mlp.h). Layout: layer l maps size[l] -> size[l+1]; its weights are a
 * (size[l], size[l+1]) row-major block followed by size[l+1] biases. Forward keeps every layer's
 * activations for the batch (nb, size[l]); backward walks them in reverse. Sums in double in a
 * fixed order. Covered by test/stats/test_mlp.c. */
#include "stats/mlp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/table.h"
#include "vendor/rng.h"

void mlp_param_default(struct mlp_param *p)
{
    memset(p, 0, sizeof *p);
    p->nhidden = 2;
    p->hidden[0] = 50;
    p->hidden[1] = 25;
    p->solver = MLP_ADAM;
    p->alpha = 1e-4;
    p->lr = 1e-3;
    p->epochs = 200;
    p->tol = 1e-4;
    p->n_iter_no_change = 10;
    p->seed = 42;
}

int mlp_parse_hidden(const char *s, struct mlp_param *p)
{
    int k = 0;
    const char *q = s;
    while (q && *q) {
        char *end;
        const long v = strtol(q, &end, 10);
        if (end == q || v < 1 || v > 4096 || k >= MLP_MAX_LAYERS)
            return -1;
        p->hidden[k++] = (int)v;
        if (*end == ',')
            q = end + 1;
        else if (*end == 0)
            q = end;
        else
            return -1;
    }
    if (k == 0)
        return -1;
    p->nhidden = k;
    return 0;
}

void mlp_free(struct mlp_model *m)
{
    if (!m)
        return;
    free(m->w);
    memset(m, 0, sizeof *m);
}

/* offsets of layer l's weights and biases in w */
static long layer_off(const struct mlp_model *m, int l)
{
    long o = 0;
    for (int k = 0; k < l; k++)
        o += (long)m->size[k] * m->size[k + 1] + m->size[k + 1];
    return o;
}

long mlp_scratch_size(const struct mlp_model *m, int nb)
{
    long s = 0;
    for (int l = 0; l <= m->nlayers; l++)
        s += (long)nb * m->size[l];
    return 2 * s; /* activations + deltas */
}

/* Forward for the batch: act_l (nb, size[l]); act_0 is the input copy. Returns nothing; the last
 * layer holds the logits (before the sigmoid). */
static void forward(const struct mlp_model *m, const double *x, const int *rows, int nb, double **act)
{
    const int p = m->size[0];
    for (int i = 0; i < nb; i++)
        memcpy(act[0] + (size_t)i * p, x + (size_t)(rows ? rows[i] : i) * p, sizeof(double) * (size_t)p);
    for (int l = 0; l < m->nlayers; l++) {
        const int in = m->size[l], out = m->size[l + 1];
        const double *W = m->w + layer_off(m, l), *b = W + (size_t)in * out;
        for (int i = 0; i < nb; i++) {
            const double *a = act[l] + (size_t)i * in;
            double *z = act[l + 1] + (size_t)i * out;
            for (int o = 0; o < out; o++)
                z[o] = b[o];
            for (int k = 0; k < in; k++) {
                const double ak = a[k];
                const double *wk = W + (size_t)k * out;
                for (int o = 0; o < out; o++)
                    z[o] += ak * wk[o];
            }
            if (l + 1 < m->nlayers)
                for (int o = 0; o < out; o++)
                    z[o] = z[o] > 0 ? z[o] : 0; /* ReLU */
        }
    }
}

/* log(1 + exp(z)) without overflow */
static double softplus(double z) { return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)); }
static double sigmoid(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

double mlp_loss_grad(const struct mlp_model *m, const double *x, const int *y, const int *rows, int nb, double alpha,
                     double *grad, double *scratch)
{
    double *act[MLP_MAX_LAYERS + 2], *del[MLP_MAX_LAYERS + 2];
    double *q = scratch;
    for (int l = 0; l <= m->nlayers; l++) {
        act[l] = q;
        q += (size_t)nb * m->size[l];
    }
    for (int l = 0; l <= m->nlayers; l++) {
        del[l] = q;
        q += (size_t)nb * m->size[l];
    }
    forward(m, x, rows, nb, act);
    const int L = m->nlayers;
    /* log loss of the logits, and the output delta (p - y) / nb */
    double loss = 0;
    for (int i = 0; i < nb; i++) {
        const double z = act[L][i];
        const int yi = y[rows ? rows[i] : i];
        loss += yi ? softplus(-z) : softplus(z);
        del[L][i] = (sigmoid(z) - yi) / nb;
    }
    loss /= nb;
    double w2 = 0;
    for (int l = 0; l < L; l++) {
        const double *W = m->w + layer_off(m, l);
        const long nw = (long)m->size[l] * m->size[l + 1];
        for (long k = 0; k < nw; k++)
            w2 += W[k] * W[k];
    }
    loss += 0.5 * alpha * w2 / nb;
    /* backward */
    for (int l = L - 1; l >= 0; l--) {
        const int in = m->size[l], out = m->size[l + 1];
        const double *W = m->w + layer_off(m, l);
        double *gW = grad + layer_off(m, l), *gb = gW + (size_t)in * out;
        for (long k = 0; k < (long)in * out; k++)
            gW[k] = alpha * W[k] / nb;
        for (int o = 0; o < out; o++)
            gb[o] = 0;
        for (int i = 0; i < nb; i++) {
            const double *a = act[l] + (size_t)i * in, *d = del[l + 1] + (size_t)i * out;
            for (int k = 0; k < in; k++) {
                double *g = gW + (size_t)k * out;
                for (int o = 0; o < out; o++)
                    g[o] += a[k] * d[o];
            }
            for (int o = 0; o < out; o++)
                gb[o] += d[o];
        }
        if (l > 0) /* delta of the previous (ReLU) layer */
            for (int i = 0; i < nb; i++) {
                const double *a = act[l] + (size_t)i * in, *d = del[l + 1] + (size_t)i * out;
                double *dp = del[l] + (size_t)i * in;
                for (int k = 0; k < in; k++) {
                    double s = 0;
                    if (a[k] > 0) {
                        const double *wk = W + (size_t)k * out;
                        for (int o = 0; o < out; o++)
                            s += wk[o] * d[o];
                    }
                    dp[k] = s;
                }
            }
    }
    return loss;
}

double mlp_predict(const struct mlp_model *m, const double *x)
{
    /* one case: small stack buffers are enough for moderate widths, else heap */
    long need = 0;
    for (int l = 0; l <= m->nlayers; l++)
        need += m->size[l];
    double stackbuf[1024];
    double *buf = need <= 1024 ? stackbuf : malloc(sizeof(double) * (size_t)need);
    if (!buf)
        return NAN;
    double *act[MLP_MAX_LAYERS + 2];
    double *q = buf;
    for (int l = 0; l <= m->nlayers; l++) {
        act[l] = q;
        q += m->size[l];
    }
    forward(m, x, NULL, 1, act);
    const double pr = sigmoid(act[m->nlayers][0]);
    if (buf != stackbuf)
        free(buf);
    return pr;
}

/* accuracy of the rows at threshold 0.5 */
static double mlp_accuracy(const struct mlp_model *m, const double *x, const int *y, const int *rows, int nr)
{
    int ok = 0;
    for (int i = 0; i < nr; i++)
        ok += (mlp_predict(m, x + (size_t)rows[i] * m->size[0]) > 0.5) == (y[rows[i]] != 0);
    return nr ? (double)ok / nr : 0;
}

int mlp_train(const double *x, const int *y, int n, int p, const struct mlp_param *prm, struct mlp_model *m,
              struct sarc_err *e)
{
    memset(m, 0, sizeof *m);
    if (prm->nhidden < 1 || prm->nhidden > MLP_MAX_LAYERS)
        return ERR(e, SARC_ERR_ARG, "%d hidden layers, expected 1..%d", prm->nhidden, MLP_MAX_LAYERS);
    if (!(prm->lr > 0) || !(prm->alpha >= 0) || prm->epochs < 1)
        return ERR(e, SARC_ERR_ARG, "lr = %g, alpha = %g, epochs = %d: need lr > 0, alpha >= 0, epochs >= 1", prm->lr,
                   prm->alpha, prm->epochs);
    int rc = trainset_check(x, y, n, p, e);
    if (rc)
        return rc;
    m->nlayers = prm->nhidden + 1;
    m->size[0] = p;
    for (int l = 0; l < prm->nhidden; l++)
        m->size[l + 1] = prm->hidden[l];
    m->size[m->nlayers] = 1;
    m->nparams = layer_off(m, m->nlayers);
    /* validation split (early stopping): every 10th case of each class, in a seeded order */
    int *order = malloc(sizeof *order * (size_t)n), *train = malloc(sizeof *train * (size_t)n);
    int *val = malloc(sizeof *val * (size_t)n);
    const int nb_max = prm->batch > 0 ? prm->batch : (n < 200 ? n : 200);
    m->w = malloc(sizeof *m->w * (size_t)m->nparams);
    double *g = malloc(sizeof *g * (size_t)m->nparams), *m1 = calloc((size_t)m->nparams, sizeof *m1);
    double *m2 = calloc((size_t)m->nparams, sizeof *m2), *best = malloc(sizeof *best * (size_t)m->nparams);
    double *scratch = malloc(sizeof *scratch * (size_t)mlp_scratch_size(m, nb_max));
    if (!order || !train || !val || !m->w || !g || !m1 || !m2 || !best || !scratch) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory for an MLP with %ld parameters", m->nparams);
        goto done;
    }
    /* Glorot-uniform initialisation keyed by (layer, index) */
    for (int l = 0; l < m->nlayers; l++) {
        const int in = m->size[l], out = m->size[l + 1];
        const double factor = l + 1 == m->nlayers ? 2.0 : 6.0;
        const double bound = sqrt(factor / (in + out));
        double *W = m->w + layer_off(m, l);
        const uint64_t s = rng_stream(RNG_STATS, 0x6d6c70ull /* "mlp" */, prm->key, (uint64_t)l);
        for (long k = 0; k < (long)in * out + out; k++)
            W[k] = (2 * rng_uniform53(prm->seed, s, (uint64_t)k) - 1) * bound;
    }
    int ntrain = 0, nval = 0;
    {
        for (int i = 0; i < n; i++)
            order[i] = i;
        struct rng_cursor c = rng_cursor_init(prm->seed, rng_stream(RNG_STATS, 0x6d6c70ull, prm->key, 1000));
        for (int i = n - 1; i > 0; i--) {
            const int k = (int)rng_next_below(&c, (uint32_t)(i + 1));
            const int t = order[i];
            order[i] = order[k];
            order[k] = t;
        }
        int seen[2] = {0, 0};
        for (int q = 0; q < n; q++) {
            const int i = order[q], cl = y[i] != 0;
            if (prm->early_stopping && seen[cl]++ % 10 == 9)
                val[nval++] = i;
            else
                train[ntrain++] = i;
        }
        if (prm->early_stopping && nval == 0)
            val[nval++] = train[--ntrain];
    }
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8, mom = 0.9;
    double best_loss = INFINITY, best_score = -INFINITY, loss = 0;
    int no_improve = 0;
    long t = 0;
    memcpy(best, m->w, sizeof *best * (size_t)m->nparams);
    int epoch;
    for (epoch = 0; epoch < prm->epochs; epoch++) {
        /* epoch order: Fisher-Yates keyed by epoch */
        struct rng_cursor c = rng_cursor_init(prm->seed, rng_stream(RNG_STATS, 0x6d6c70ull, prm->key, 2000 + (uint64_t)epoch));
        for (int i = ntrain - 1; i > 0; i--) {
            const int k = (int)rng_next_below(&c, (uint32_t)(i + 1));
            const int tmp = train[i];
            train[i] = train[k];
            train[k] = tmp;
        }
        double epoch_loss = 0;
        for (int b0 = 0; b0 < ntrain; b0 += nb_max) {
            const int nb = ntrain - b0 < nb_max ? ntrain - b0 : nb_max;
            const double l = mlp_loss_grad(m, x, y, train + b0, nb, prm->alpha, g, scratch);
            epoch_loss += l * nb;
            t++;
            if (prm->solver == MLP_ADAM) {
                const double lr_t = prm->lr * sqrt(1 - pow(b2, (double)t)) / (1 - pow(b1, (double)t));
                for (long k = 0; k < m->nparams; k++) {
                    m1[k] = b1 * m1[k] + (1 - b1) * g[k];
                    m2[k] = b2 * m2[k] + (1 - b2) * g[k] * g[k];
                    m->w[k] -= lr_t * m1[k] / (sqrt(m2[k]) + eps);
                }
            } else {
                /* Nesterov momentum as scikit-learn's SGDOptimizer: v = mom v - lr g; w += mom v - lr g */
                for (long k = 0; k < m->nparams; k++) {
                    m1[k] = mom * m1[k] - prm->lr * g[k];
                    m->w[k] += mom * m1[k] - prm->lr * g[k];
                }
            }
        }
        loss = epoch_loss / ntrain;
        if (!isfinite(loss)) {
            rc = ERR(e, SARC_ERR_RANGE, "the MLP loss diverged at epoch %d (lower --lr)", epoch + 1);
            goto done;
        }
        if (prm->early_stopping) {
            const double score = mlp_accuracy(m, x, y, val, nval);
            if (score > best_score + prm->tol) {
                no_improve = 0;
            } else
                no_improve++;
            if (score > best_score) {
                best_score = score;
                memcpy(best, m->w, sizeof *best * (size_t)m->nparams);
            }
        } else {
            if (loss > best_loss - prm->tol)
                no_improve++;
            else
                no_improve = 0;
            if (loss < best_loss)
                best_loss = loss;
        }
        if (no_improve >= prm->n_iter_no_change) {
            epoch++;
            break;
        }
    }
    if (prm->early_stopping)
        memcpy(m->w, best, sizeof *best * (size_t)m->nparams);
    m->epochs_run = epoch;
    m->final_loss = loss;
done:
    if (rc)
        mlp_free(m);
    free(order);
    free(train);
    free(val);
    free(g);
    free(m1);
    free(m2);
    free(best);
    free(scratch);
    return rc;
}
