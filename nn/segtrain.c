/* segtrain.c - cohort reading, the split by mouse, patch sampling, losses, the training loop with
 * validation, early stopping, checkpoints/resume and the threshold rule (see segtrain.h).
 * Covered by test/nn/test_segtrain.c. */
#include "nn/segtrain.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/audit.h"
#include "io/csv.h"
#include "io/file.h"
#include "nn/patch.h"
#include "nn/segmetrics.h"
#include "vendor/progress.h"
#include "vendor/rng.h"
#include "vendor/sha256.h"

/* ---- cohort ---- */

void seg_cohort_free(struct seg_cohort *co)
{
    for (int k = 0; k < co->n; k++) {
        for (int c = 0; c < 3; c++)
            free(co->c[k].img[c]);
        free(co->c[k].label);
    }
    free(co->c);
    memset(co, 0, sizeof *co);
}

static char *resolve(const char *dir, const char *cell)
{
    if (!cell || !*cell)
        return NULL;
    const size_t n = strlen(dir) + strlen(cell) + 2;
    char *p = malloc(n);
    if (!p)
        return NULL;
    if (cell[0] == '/' || !strcmp(dir, "."))
        snprintf(p, n, "%s", cell);
    else
        snprintf(p, n, "%s/%s", dir, cell);
    return p;
}

int seg_cohort_read(const char *csv_path, struct seg_cohort *co, struct sarc_err *e)
{
    memset(co, 0, sizeof *co);
    struct csv t;
    int rc = csv_read(&t, csv_path, e);
    if (rc)
        return rc;
    const char *names[6] = {"mouse", "timepoint", "T1", "T1C", "T2", "label"};
    int col[6];
    for (int i = 0; i < 6; i++) {
        col[i] = csv_col(&t, names[i]);
        if (col[i] < 0 && (i == 0 || i == 5)) {
            csv_free(&t);
            return ERR(e, SARC_ERR_FORMAT, "no column '%s' (expected mouse,timepoint,T1,T1C,T2,label)", names[i]);
        }
    }
    if (t.nrows < 1) {
        csv_free(&t);
        return ERR(e, SARC_ERR_FORMAT, "no rows");
    }
    char dir[4096];
    path_dirname(dir, sizeof dir, csv_path);
    co->c = calloc((size_t)t.nrows, sizeof *co->c);
    if (!co->c) {
        csv_free(&t);
        return ERR(e, SARC_ERR_NOMEM, "cohort of %d rows", t.nrows);
    }
    co->n = t.nrows;
    for (int r = 0; r < t.nrows; r++) {
        struct seg_case *c = &co->c[r];
        const char *m = csv_cell(&t, r, col[0]);
        if (!*m) {
            rc = ERR(e, SARC_ERR_FORMAT, "row %d: empty mouse", r + 2);
            goto fail;
        }
        snprintf(c->mouse, sizeof c->mouse, "%s", m);
        if (col[1] >= 0)
            snprintf(c->timepoint, sizeof c->timepoint, "%s", csv_cell(&t, r, col[1]));
        for (int k = 0; k < 3; k++)
            if (col[2 + k] >= 0 && *csv_cell(&t, r, col[2 + k]) && !(c->img[k] = resolve(dir, csv_cell(&t, r, col[2 + k])))) {
                rc = ERR(e, SARC_ERR_NOMEM, "cohort paths");
                goto fail;
            }
        if (*csv_cell(&t, r, col[5]) && !(c->label = resolve(dir, csv_cell(&t, r, col[5])))) {
            rc = ERR(e, SARC_ERR_NOMEM, "cohort paths");
            goto fail;
        }
    }
    csv_free(&t);
    return 0;
fail:
    csv_free(&t);
    seg_cohort_free(co);
    return rc;
}

int seg_case_paths(const struct seg_cohort *co, int k, unsigned contrasts, const char *paths[3], struct sarc_err *e)
{
    static const char *const nm[3] = {"T1", "T1C", "T2"};
    int j = 0;
    for (int c = 0; c < 3; c++)
        if (contrasts & (1u << c)) {
            if (!co->c[k].img[c])
                return ERR(e, SARC_ERR_FORMAT, "row %d (mouse %s %s): no %s image, which the model needs", k + 2,
                           co->c[k].mouse, co->c[k].timepoint, nm[c]);
            paths[j++] = co->c[k].img[c];
        }
    return 0;
}

int seg_mouse_index(const struct seg_cohort *co, int *mouse)
{
    int nm = 0;
    for (int k = 0; k < co->n; k++) {
        mouse[k] = -1;
        for (int j = 0; j < k; j++)
            if (!strcmp(co->c[j].mouse, co->c[k].mouse)) {
                mouse[k] = mouse[j];
                break;
            }
        if (mouse[k] < 0)
            mouse[k] = nm++;
    }
    return nm;
}

int seg_split_by_mouse(const struct seg_cohort *co, uint64_t seed, double ftrain, double fval, int *set,
                       struct sarc_err *e)
{
    int *mouse = malloc(sizeof(int) * (size_t)co->n), *perm = malloc(sizeof(int) * (size_t)co->n), *mset = malloc(sizeof(int) * (size_t)co->n);
    if (!mouse || !perm || !mset) {
        free(mouse), free(perm), free(mset);
        return ERR(e, SARC_ERR_NOMEM, "split");
    }
    const int M = seg_mouse_index(co, mouse);
    for (int i = 0; i < M; i++)
        perm[i] = i;
    struct rng_cursor rc = rng_cursor_init(seed, rng_stream(RNG_SPLIT, 0, 0, 0));
    for (int i = M - 1; i > 0; i--) {
        const int j = (int)rng_next_below(&rc, (uint32_t)(i + 1));
        const int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    int ntr = (int)floor(ftrain * M + 0.5), nva = (int)floor(fval * M + 0.5);
    if (M >= 2 && nva < 1 && fval > 0)
        nva = 1;
    if (ntr + nva > M)
        ntr = M - nva;
    if (ntr < 1)
        ntr = 1, nva = M - 1 < nva ? M - 1 : nva;
    for (int i = 0; i < M; i++)
        mset[perm[i]] = i < ntr ? SET_TRAIN : i < ntr + nva ? SET_VAL : SET_TEST;
    for (int k = 0; k < co->n; k++)
        set[k] = mset[mouse[k]];
    free(mouse), free(perm), free(mset);
    return 0;
}

/* ---- training ---- */

struct tscan {
    struct seg_scan s;
    int64_t *fg; /* indices of tumour voxels */
    int64_t nfg;
};

struct pitem {
    int scan;
    int64_t s[3];
};

static void tscans_free(struct tscan *t, int n)
{
    if (!t)
        return;
    for (int i = 0; i < n; i++) {
        seg_scan_free(&t[i].s);
        free(t[i].fg);
    }
    free(t);
}

static int tscans_load(const struct seg_cohort *co, const int *idx, int n, unsigned contrasts, const double *spacing,
                       struct tscan **out, struct progress *pr, struct sarc_err *e)
{
    struct tscan *t = calloc((size_t)(n ? n : 1), sizeof *t);
    if (!t)
        return ERR(e, SARC_ERR_NOMEM, "scans");
    for (int i = 0; i < n; i++) {
        const char *paths[3];
        int rc = seg_case_paths(co, idx[i], contrasts, paths, e);
        if (!rc) {
            rc = seg_scan_read(&t[i].s, paths, contrasts_count(contrasts), co->c[idx[i]].label, spacing, e);
            if (rc)
                err_prefix(e, "mouse %s %s", co->c[idx[i]].mouse, co->c[idx[i]].timepoint);
        }
        if (rc) {
            tscans_free(t, n);
            return rc;
        }
        const int64_t nv = t[i].s.dim[0] * t[i].s.dim[1] * t[i].s.dim[2];
        for (int64_t v = 0; v < nv; v++)
            t[i].nfg += t[i].s.label[v] != 0;
        t[i].fg = malloc(sizeof(int64_t) * (size_t)(t[i].nfg ? t[i].nfg : 1));
        if (!t[i].fg) {
            tscans_free(t, n);
            return ERR(e, SARC_ERR_NOMEM, "tumour index");
        }
        int64_t k = 0;
        for (int64_t v = 0; v < nv; v++)
            if (t[i].s.label[v])
                t[i].fg[k++] = v;
        progress_add(pr, 1);
    }
    *out = t;
    return 0;
}

/* Patch k of a centred-sampling draw keyed (key, k). */
static struct pitem sample_centred(const struct tscan *t, int n, const int patch[3], double tumour_frac,
                                   uint64_t seed, uint64_t key, uint64_t k)
{
    struct rng_cursor c = rng_cursor_init(seed, rng_stream(RNG_PATCH, key, k, 0));
    struct pitem it;
    it.scan = (int)rng_next_below(&c, (uint32_t)n);
    const struct tscan *s = &t[it.scan];
    const int centred = rng_next_uniform(&c) < tumour_frac && s->nfg > 0;
    int64_t v[3] = {0, 0, 0};
    if (centred) {
        const int64_t f = s->fg[(int64_t)(rng_next_uniform(&c) * (double)s->nfg)];
        v[2] = f % s->s.dim[2];
        v[1] = (f / s->s.dim[2]) % s->s.dim[1];
        v[0] = f / (s->s.dim[2] * s->s.dim[1]);
    }
    for (int a = 0; a < 3; a++) {
        const int64_t maxs = s->s.dim[a] - patch[a];
        if (maxs <= 0) {
            it.s[a] = 0;
            continue;
        }
        int64_t st;
        if (centred) {
            const int64_t jit = patch[a] / 4;
            st = v[a] - patch[a] / 2 + (int64_t)rng_next_below(&c, (uint32_t)(2 * jit + 1)) - jit;
        } else
            st = (int64_t)rng_next_below(&c, (uint32_t)(maxs + 1));
        it.s[a] = st < 0 ? 0 : st > maxs ? maxs : st;
    }
    return it;
}

/* All grid patches of the scans (owned array). */
static int grid_items(const struct tscan *t, int n, const int patch[3], double os, struct pitem **out, int64_t *count,
                      struct sarc_err *e)
{
    int64_t total = 0, cap = 0;
    struct pitem *items = NULL;
    for (int i = 0; i < n; i++) {
        struct patch_grid g;
        int rc = patch_grid_init(&g, t[i].s.dim, patch, os, e);
        if (rc) {
            free(items);
            return rc;
        }
        if (total + g.count > cap) {
            cap = (total + g.count) * 2;
            struct pitem *ni = realloc(items, sizeof *items * (size_t)cap);
            if (!ni) {
                patch_grid_free(&g);
                free(items);
                return ERR(e, SARC_ERR_NOMEM, "patch list");
            }
            items = ni;
        }
        for (int64_t k = 0; k < g.count; k++) {
            items[total].scan = i;
            patch_grid_start(&g, k, items[total].s);
            total++;
        }
        patch_grid_free(&g);
    }
    *out = items;
    *count = total;
    return 0;
}

static void shuffle_items(struct pitem *it, int64_t n, uint64_t seed, uint64_t key)
{
    struct rng_cursor c = rng_cursor_init(seed, rng_stream(RNG_SHUFFLE, key, 0, 0));
    for (int64_t i = n - 1; i > 0; i--) {
        const int64_t j = (int64_t)rng_next_below(&c, (uint32_t)(i + 1));
        const struct pitem x = it[i];
        it[i] = it[j];
        it[j] = x;
    }
}

/* target (PD-2, PH-2, PW-2) = the label under the output of a patch at s (0 outside). */
static void label_extract(const struct seg_scan *s, const int64_t st[3], const int patch[3], float *t)
{
    const int OD = patch[0] - 2, OH = patch[1] - 2, OW = patch[2] - 2;
    for (int d = 0; d < OD; d++)
        for (int h = 0; h < OH; h++)
            for (int w = 0; w < OW; w++) {
                const int64_t z = st[0] + 1 + d, y = st[1] + 1 + h, x = st[2] + 1 + w;
                const int in = z < s->dim[0] && y < s->dim[1] && x < s->dim[2];
                t[((int64_t)d * OH + h) * OW + w] = in && s->label[(z * s->dim[1] + y) * s->dim[2] + x] ? 1.0f : 0.0f;
            }
}

static double bce_logit(float z, float t)
{
    const double zd = z;
    return (zd > 0 ? zd : 0) - zd * t + log1p(exp(-fabs(zd)));
}

/* Dice sums of one output patch: I += sum pm tm, S += sum pm + sum tm (masked or soft). */
static void dice_sums(const float *p, const float *t, int64_t n, int masked, double *I, double *S)
{
    double i2 = 0, s2 = 0;
    for (int64_t k = 0; k < n; k++) {
        const double pm = masked ? (p[k] > 0.5f ? p[k] : 0.0) : p[k];
        const double tm = masked ? (t[k] > 0.5f ? t[k] : 0.0) : t[k];
        i2 += pm * tm;
        s2 += pm + tm;
    }
    *I += i2;
    *S += s2;
}

#define DICE_SMOOTH 1e-5

struct trainer {
    const struct seg_train_opts *o;
    struct seg_model *m;
    struct unet_work *w;
    float *g, *best;
    struct nn_adam adam; /* nn/optim.h's Adam (Keras form): the one update rule of both devices */
    float *am, *av;      /* its moments, n each */
    float *x, *t, *p; /* patch input, target, probabilities of a batch (batch * no) */
    int64_t nx, no;
    struct tscan *tr, *va;
    int ntr, nva;
    /* the device U-Net (dev NULL: everything on the CPU) */
    const struct unet_dev_ops *dev;
    struct cuda_unet *du;
    float *xb, *tb, *lgb, *dlb; /* a batch's inputs (batch, nx), targets, logits, logit grads (batch, no) */
};

/* Loss and logit gradient of patch j of a minibatch of nb patches, from its logits lg and target
 * t (no each): the same arithmetic whichever device computed the logits. BCE: *loss += the
 * patch's share of the batch mean, dl = (p - t) / (nb no). Dice / soft Dice: dl from the batch
 * sums (num, den) of pass 1, active only where p > 0.5 for the hard-masked Dice. */
static void patch_loss_grad(const struct seg_train_opts *o, const float *lg, const float *t, int64_t no,
                            double scale, double num, double den, double *loss, float *dl)
{
    for (int64_t i = 0; i < no; i++) {
        const float p = seg_sigmoid(lg[i]);
        if (o->loss == LOSS_BCE) {
            *loss += bce_logit(lg[i], t[i]) * scale;
            dl[i] = (float)((p - t[i]) * scale);
        } else {
            const int active = o->loss == LOSS_SOFTDICE || p > 0.5f;
            const double tm = o->loss == LOSS_DICE ? (t[i] > 0.5f ? t[i] : 0.0f) : t[i];
            /* d(1 - num/den)/dp = -(2 tm den - num) / den^2; dp/dz = p (1 - p) */
            const double dp = active ? -(2 * tm * den - num) / (den * den) : 0.0;
            dl[i] = (float)(dp * (double)p * (1.0 - (double)p));
        }
    }
}

/* Logits (nk, no) into lg of nk <= batch items (no dropout): on the device in one batch, or
 * patch by patch on the CPU. The targets go to T->tb when tb is not NULL. */
static int items_logits(struct trainer *T, const struct tscan *scans, const struct pitem *it, int nk, float *lg,
                        float *tb, struct sarc_err *e)
{
    const struct unet_arch *a = &T->m->params.arch;
    for (int k = 0; k < nk; k++) {
        const struct seg_scan *s = &scans[it[k].scan].s;
        float *xk = T->dev ? T->xb + (int64_t)k * T->nx : T->x;
        patch_extract(s->x, a->cin, s->dim, it[k].s, a->patch, xk);
        if (tb)
            label_extract(s, it[k].s, a->patch, tb + (int64_t)k * T->no);
        if (!T->dev)
            memcpy(lg + (int64_t)k * T->no, unet_forward(&T->m->params, T->w, xk, 0, 0, 0, 0), sizeof(float) * (size_t)T->no);
    }
    return T->dev ? T->dev->forward(T->du, T->xb, nk, 0, 0, 0, 0, lg, e) : 0;
}

/* Loss of a set of items with the current weights (no dropout); val_dice = hard Dice at 0.5. */
static int evaluate_items(struct trainer *T, const struct tscan *scans, const struct pitem *it, int64_t n,
                          double *loss, double *dice, struct sarc_err *e)
{
    double bce = 0, I = 0, S = 0, hi = 0, hs = 0;
    const int B = T->o->batch;
    for (int64_t k0 = 0; k0 < n; k0 += B) {
        const int nk = (int)(n - k0 < B ? n - k0 : B);
        int rc = items_logits(T, scans, it + k0, nk, T->lgb, T->tb, e);
        if (rc)
            return rc;
        for (int k = 0; k < nk; k++) {
            const float *lg = T->lgb + (int64_t)k * T->no, *t = T->tb + (int64_t)k * T->no;
            for (int64_t i = 0; i < T->no; i++) {
                T->p[i] = seg_sigmoid(lg[i]);
                bce += bce_logit(lg[i], t[i]);
                const double hp = T->p[i] >= 0.5f;
                hi += hp * t[i];
                hs += hp + t[i];
            }
            dice_sums(T->p, t, T->no, T->o->loss == LOSS_DICE, &I, &S);
        }
    }
    if (T->o->loss == LOSS_BCE)
        *loss = n ? bce / ((double)n * (double)T->no) : NAN;
    else
        *loss = n ? 1.0 - (2 * I + DICE_SMOOTH) / (S + DICE_SMOOTH) : NAN;
    *dice = hs > 0 ? 2 * hi / hs : 1.0;
    return 0;
}

/* One minibatch on the CPU: gradients into T->g, Adam step; *loss = the batch loss. The Dice
 * losses need the batch sums before any gradient, so their patches go forward twice. */
static int train_batch(struct trainer *T, const struct pitem *it, int nb, uint64_t step, double *loss,
                       struct sarc_err *e)
{
    const struct unet_arch *a = &T->m->params.arch;
    const struct seg_train_opts *o = T->o;
    const int64_t no = T->no;
    const double scale = 1.0 / ((double)nb * (double)no);
    double l = 0;
    memset(T->g, 0, sizeof(float) * (size_t)T->m->params.n);
    float *dl = T->p + (int64_t)o->batch * no; /* scratch after the batch's probabilities */
    double I = 0, S = 0;
    if (o->loss != LOSS_BCE) {
        /* pass 1: the batch's Dice sums */
        for (int j = 0; j < nb; j++) {
            patch_extract(T->tr[it[j].scan].s.x, a->cin, T->tr[it[j].scan].s.dim, it[j].s, a->patch, T->x);
            label_extract(&T->tr[it[j].scan].s, it[j].s, a->patch, T->t);
            const float *lg = unet_forward(&T->m->params, T->w, T->x, 1, o->seed, step, j);
            float *pj = T->p + (int64_t)j * no;
            for (int64_t i = 0; i < no; i++)
                pj[i] = seg_sigmoid(lg[i]);
            dice_sums(pj, T->t, no, o->loss == LOSS_DICE, &I, &S);
        }
        l = 1.0 - (2 * I + DICE_SMOOTH) / (S + DICE_SMOOTH);
    }
    const double den = S + DICE_SMOOTH, num = 2 * I + DICE_SMOOTH;
    for (int j = 0; j < nb; j++) {
        patch_extract(T->tr[it[j].scan].s.x, a->cin, T->tr[it[j].scan].s.dim, it[j].s, a->patch, T->x);
        label_extract(&T->tr[it[j].scan].s, it[j].s, a->patch, T->t);
        const float *lg = unet_forward(&T->m->params, T->w, T->x, 1, o->seed, step, j);
        patch_loss_grad(o, lg, T->t, no, scale, num, den, &l, dl);
        unet_backward(&T->m->params, T->w, dl, T->g);
    }
    *loss = l;
    return nn_adam_update(&T->adam, T->m->params.data, T->g, T->am, T->av, T->m->params.n, e);
}

/* The same minibatch on the device: one batched forward (dropout keyed by (step, patch j) as on
 * the CPU), the loss and logit gradient on the host with the CPU's code, the batched backward
 * and the device Adam (nn/optim.h's formula). Weights and moments stay on the device. */
static int train_batch_dev(struct trainer *T, const struct pitem *it, int nb, uint64_t step, double *loss,
                           struct sarc_err *e)
{
    const struct unet_arch *a = &T->m->params.arch;
    const struct seg_train_opts *o = T->o;
    const int64_t no = T->no;
    const double scale = 1.0 / ((double)nb * (double)no);
    for (int j = 0; j < nb; j++) {
        const struct seg_scan *s = &T->tr[it[j].scan].s;
        patch_extract(s->x, a->cin, s->dim, it[j].s, a->patch, T->xb + (int64_t)j * T->nx);
        label_extract(s, it[j].s, a->patch, T->tb + (int64_t)j * no);
    }
    int rc = T->dev->forward(T->du, T->xb, nb, 1, o->seed, step, 0, T->lgb, e);
    if (rc)
        return rc;
    double l = 0, I = 0, S = 0;
    if (o->loss != LOSS_BCE) {
        for (int j = 0; j < nb; j++) {
            float *pj = T->p + (int64_t)j * no;
            for (int64_t i = 0; i < no; i++)
                pj[i] = seg_sigmoid(T->lgb[(int64_t)j * no + i]);
            dice_sums(pj, T->tb + (int64_t)j * no, no, o->loss == LOSS_DICE, &I, &S);
        }
        l = 1.0 - (2 * I + DICE_SMOOTH) / (S + DICE_SMOOTH);
    }
    const double den = S + DICE_SMOOTH, num = 2 * I + DICE_SMOOTH;
    for (int j = 0; j < nb; j++)
        patch_loss_grad(o, T->lgb + (int64_t)j * no, T->tb + (int64_t)j * no, no, scale, num, den, &l,
                        T->dlb + (int64_t)j * no);
    *loss = l;
    if ((rc = T->dev->backward(T->du, T->dlb, nb, e)))
        return rc;
    return T->dev->adam_step(T->du, &T->adam, e);
}

/* ---- checkpoint ---- */

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const uint8_t *p) { return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }

struct ckpt {
    int epoch, best_epoch;
    double best_val;
    int64_t adam_t;
    char *log;
    size_t loglen;
};

static void floats_put(uint8_t *p, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, &x[i], 4);
        put_u32(p + 4 * i, v);
    }
}
static void floats_get(const uint8_t *p, float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        const uint32_t v = get_u32(p + 4 * i);
        memcpy(&x[i], &v, 4);
    }
}

static int ckpt_write(const char *path, const char *fp, const struct trainer *T, const struct ckpt *c, struct sarc_err *e)
{
    const int64_t n = T->m->params.n;
    const size_t lf = strlen(fp);
    const size_t len = 8 + 4 + 4 + lf + 4 + 4 + 8 + 8 + 8 + 16 * (size_t)n + 8 + c->loglen + 32;
    uint8_t *b = malloc(len), *p = b;
    if (!b)
        return ERR(e, SARC_ERR_NOMEM, "checkpoint buffer");
    memcpy(p, "SARCCKP1", 8), p += 8;
    put_u32(p, 1), p += 4;
    put_u32(p, (uint32_t)lf), p += 4;
    memcpy(p, fp, lf), p += lf;
    put_u32(p, (uint32_t)c->epoch), p += 4;
    put_u32(p, (uint32_t)c->best_epoch), p += 4;
    uint64_t bv;
    memcpy(&bv, &c->best_val, 8);
    put_u64(p, bv), p += 8;
    put_u64(p, (uint64_t)c->adam_t), p += 8;
    put_u64(p, (uint64_t)n), p += 8;
    floats_put(p, T->m->params.data, n), p += 4 * n;
    floats_put(p, T->am, n), p += 4 * n;
    floats_put(p, T->av, n), p += 4 * n;
    floats_put(p, T->best, n), p += 4 * n;
    put_u64(p, (uint64_t)c->loglen), p += 8;
    memcpy(p, c->log, c->loglen), p += c->loglen;
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, b, (size_t)(p - b));
    sha256_final(&s, p);
    int rc = file_write_atomic(path, b, len, e);
    free(b);
    return rc;
}

static int ckpt_read(const char *path, const char *fp, struct trainer *T, struct ckpt *c, struct sarc_err *e)
{
    uint8_t *b;
    size_t len;
    int rc = file_read_all(path, &b, &len, (size_t)1 << 34, e);
    if (rc)
        return rc;
    const int64_t n = T->m->params.n;
    const size_t lf = strlen(fp);
    rc = SARC_ERR_FORMAT;
    if (len < 8 + 4 + 4 + 32 || memcmp(b, "SARCCKP1", 8) || get_u32(b + 8) != 1) {
        ERR(e, rc, "not a sarc checkpoint (magic or version)");
        goto done;
    }
    uint8_t d[32];
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, b, len - 32);
    sha256_final(&s, d);
    if (memcmp(d, b + len - 32, 32)) {
        ERR(e, rc, "checkpoint SHA-256 mismatch (corrupt file)");
        goto done;
    }
    const size_t lf2 = get_u32(b + 12);
    if (lf2 != lf || len < 16 + lf + 32 || memcmp(b + 16, fp, lf)) {
        rc = ERR(e, SARC_ERR_ARG, "the checkpoint was made with other training options or data; run without --resume to start over");
        goto done;
    }
    const uint8_t *p = b + 16 + lf;
    const size_t need = 16 + lf + 4 + 4 + 8 + 8 + 8 + 16 * (size_t)n + 8;
    if (len < need + 32 || get_u64(p + 24) != (uint64_t)n) {
        ERR(e, rc, "checkpoint truncated or for another architecture");
        goto done;
    }
    c->epoch = (int)get_u32(p), p += 4;
    c->best_epoch = (int)get_u32(p), p += 4;
    const uint64_t bv = get_u64(p);
    memcpy(&c->best_val, &bv, 8), p += 8;
    c->adam_t = (int64_t)get_u64(p), p += 8;
    p += 8;
    floats_get(p, T->m->params.data, n), p += 4 * n;
    floats_get(p, T->am, n), p += 4 * n;
    floats_get(p, T->av, n), p += 4 * n;
    floats_get(p, T->best, n), p += 4 * n;
    const uint64_t ll = get_u64(p);
    p += 8;
    if (ll != len - need - 32 || c->epoch < 1 || c->epoch > T->o->epochs) {
        ERR(e, rc, "checkpoint log length or epoch out of range");
        goto done;
    }
    free(c->log);
    c->log = malloc(ll + 1);
    if (!c->log) {
        rc = ERR(e, SARC_ERR_NOMEM, "checkpoint log");
        goto done;
    }
    memcpy(c->log, p, ll);
    c->log[ll] = 0;
    c->loglen = ll;
    T->adam.t = c->adam_t;
    rc = 0;
done:
    free(b);
    return rc;
}

static int log_append(struct ckpt *c, const char *line, struct sarc_err *e)
{
    const size_t l = strlen(line);
    char *n = realloc(c->log, c->loglen + l + 1);
    if (!n)
        return ERR(e, SARC_ERR_NOMEM, "training log");
    memcpy(n + c->loglen, line, l + 1);
    c->log = n;
    c->loglen += l;
    return 0;
}

static void fingerprint(const struct seg_train_opts *o, const int *set, int n, char *buf, size_t size)
{
    char sh[65];
    sha256_hex(set, sizeof(int) * (size_t)n, sh);
    const struct unet_arch *a = &o->arch;
    snprintf(buf, size,
             "cin=%d f=%d,%d,%d skip=%d patch=%d,%d,%d dropout=%.9g contrasts=%u loss=%d epochs=%d batch=%d lr=%.17g,%.17g "
             "seed=%llu os=%.17g ws=%.17g,%.17g,%.17g sampling=%d ppe=%d tf=%.17g vp=%d tp=%d mts=%d mvs=%d split=%s",
             a->cin, a->f[0], a->f[1], a->f[2], a->skip, a->patch[0], a->patch[1], a->patch[2], (double)a->dropout,
             o->contrasts, o->loss, o->epochs, o->batch, o->lr, o->lr_final, (unsigned long long)o->seed, o->oversample, o->spacing[0],
             o->spacing[1], o->spacing[2], o->sampling,
             o->patches_per_epoch, o->tumour_frac, o->val_patches, o->threshold_patches, o->max_train_scans,
             o->max_val_scans, sh);
}

int seg_train(const struct seg_cohort *co, const struct seg_train_opts *o, struct seg_model *m, struct sarc_err *e)
{
    struct trainer T;
    memset(&T, 0, sizeof T);
    memset(m, 0, sizeof *m);
    T.o = o;
    T.m = m;
    T.dev = o->device && o->device->ops ? o->device->ops : NULL;
    struct ckpt ck = {0, 0, INFINITY, 0, NULL, 0};
    int *set = NULL, *itr = NULL, *iva = NULL;
    struct pitem *vitems = NULL, *eitems = NULL, *titems = NULL, *eorder = NULL;
    int64_t nvitems = 0, neitems = 0, ntitems = 0;
    float *thr_p = NULL;
    uint8_t *thr_t = NULL;
    int rc;
    if (o->epochs < 1 || o->epochs > 1000000 || o->batch < 1 || o->batch > 4096 || !(o->lr > 0 && o->lr < 10))
        return ERR(e, SARC_ERR_ARG, "epochs %d (1..10^6), batch %d (1..4096), lr %g (0..10) out of range", o->epochs, o->batch, o->lr);
    if ((rc = model_init(m, &o->arch, o->contrasts, o->seed, e)))
        return rc;
    m->loss = o->loss;
    m->oversample = o->oversample;
    for (int i = 0; i < 3; i++) {
        if (!(o->spacing[i] >= 0 && o->spacing[i] <= 100)) {
            model_free(m);
            return ERR(e, SARC_ERR_ARG, "working spacing[%d] = %g, expected 0 (native) or up to 100 mm", i, o->spacing[i]);
        }
        m->spacing[i] = o->spacing[i];
    }
    set = malloc(sizeof(int) * (size_t)co->n);
    itr = malloc(sizeof(int) * (size_t)co->n);
    iva = malloc(sizeof(int) * (size_t)co->n);
    if (!set || !itr || !iva) {
        rc = ERR(e, SARC_ERR_NOMEM, "split");
        goto done;
    }
    if (o->set)
        memcpy(set, o->set, sizeof(int) * (size_t)co->n);
    else if ((rc = seg_split_by_mouse(co, o->seed, 0.7, 0.2, set, e)))
        goto done;
    for (int k = 0; k < co->n; k++) {
        if (!co->c[k].label)
            continue;
        if (set[k] == SET_TRAIN && (!o->max_train_scans || T.ntr < o->max_train_scans))
            itr[T.ntr++] = k;
        else if (set[k] == SET_VAL && (!o->max_val_scans || T.nva < o->max_val_scans))
            iva[T.nva++] = k;
    }
    if (T.ntr == 0) {
        rc = ERR(e, SARC_ERR_ARG, "no labelled training scans (cohort rows with a label in the training split)");
        goto done;
    }
    /* load */
    struct progress pr;
    progress_begin(&pr, "load scans", T.ntr + T.nva, "scans");
    rc = tscans_load(co, itr, T.ntr, o->contrasts, o->spacing, &T.tr, &pr, e);
    if (!rc)
        rc = tscans_load(co, iva, T.nva, o->contrasts, o->spacing, &T.va, &pr, e);
    progress_end(&pr);
    if (rc)
        goto done;
    struct audit_step *st = audit_step_begin("unet_train");
    audit_param_str(st, "preset", o->preset ? o->preset : "custom");
    audit_param_int(st, "epochs", o->epochs);
    audit_param_int(st, "batch", o->batch);
    audit_param_num(st, "lr", o->lr);
    audit_param_str(st, "loss", loss_name(o->loss));
    audit_param_int(st, "skip", o->arch.skip);
    audit_param_int(st, "train_scans", T.ntr);
    audit_param_int(st, "val_scans", T.nva);
    /* the device that computed this training (the CPU when no device U-Net was given) */
    audit_param_str(st, "device", T.dev ? (o->device->name ? o->device->name : "cuda") : "cpu");
    audit_param_int(st, "tf32", T.dev && o->device->tf32);
    audit_param_str(st, "optimizer", "adam (keras epsilon-hat, nn/optim.h)");
    {
        /* data hash: SHA-256 over the training and validation images and labels (z-scored floats) */
        struct sha256 hs;
        sha256_init(&hs);
        for (int i = 0; i < T.ntr + T.nva; i++) {
            const struct seg_scan *s = i < T.ntr ? &T.tr[i].s : &T.va[i - T.ntr].s;
            const int64_t nv = s->dim[0] * s->dim[1] * s->dim[2];
            sha256_update(&hs, s->x, sizeof(float) * (size_t)(nv * s->C));
            sha256_update(&hs, s->label, (size_t)nv);
        }
        uint8_t d[32];
        char hex[65], con[32];
        sha256_final(&hs, d);
        sha256_to_hex(d, hex);
        contrasts_format(o->contrasts, con, sizeof con);
        snprintf(m->info, sizeof m->info, "preset=%s; contrasts=%s; loss=%s; epochs=%d; batch=%d; lr=%g; seed=%llu; train_scans=%d; val_scans=%d; data_sha256=%s",
                 o->preset ? o->preset : "custom", con, loss_name(o->loss), o->epochs, o->batch, o->lr,
                 (unsigned long long)o->seed, T.ntr, T.nva, hex);
        audit_param_str(st, "data_sha256", hex);
        for (int i = 0; i < T.ntr; i++)
            audit_input_file(st, "train_label", co->c[itr[i]].label);
    }
    /* buffers */
    const struct unet_arch *a = &o->arch;
    T.nx = (int64_t)a->cin * a->patch[0] * a->patch[1] * a->patch[2];
    T.no = (int64_t)(a->patch[0] - 2) * (a->patch[1] - 2) * (a->patch[2] - 2);
    T.x = malloc(sizeof(float) * (size_t)T.nx);
    T.t = malloc(sizeof(float) * (size_t)T.no);
    T.p = malloc(sizeof(float) * (size_t)(T.no * (o->batch + 1)));
    T.g = calloc((size_t)m->params.n, sizeof(float));
    T.best = malloc(sizeof(float) * (size_t)m->params.n);
    T.am = calloc((size_t)m->params.n, sizeof(float));
    T.av = calloc((size_t)m->params.n, sizeof(float));
    T.lgb = malloc(sizeof(float) * (size_t)(T.no * o->batch));
    T.tb = malloc(sizeof(float) * (size_t)(T.no * o->batch));
    if (T.dev) {
        T.xb = malloc(sizeof(float) * (size_t)(T.nx * o->batch));
        T.dlb = malloc(sizeof(float) * (size_t)(T.no * o->batch));
    }
    if (!T.x || !T.t || !T.p || !T.g || !T.best || !T.am || !T.av || !T.lgb || !T.tb || (T.dev && (!T.xb || !T.dlb))) {
        audit_step_end(st);
        rc = ERR(e, SARC_ERR_NOMEM, "training buffers");
        goto done;
    }
    memcpy(T.best, m->params.data, sizeof(float) * (size_t)m->params.n);
    T.adam = nn_adam_default(o->lr);
    if (!T.dev && (rc = unet_work_alloc(&T.w, a, 1, e))) {
        audit_step_end(st);
        goto done;
    }
    /* validation items, threshold items */
    if (T.nva > 0) {
        if (o->sampling == SAMPLE_CENTRED && o->val_patches > 0) {
            nvitems = o->val_patches;
            vitems = malloc(sizeof *vitems * (size_t)nvitems);
            if (!vitems) {
                audit_step_end(st);
                rc = ERR(e, SARC_ERR_NOMEM, "validation patches");
                goto done;
            }
            for (int64_t k = 0; k < nvitems; k++)
                vitems[k] = sample_centred(T.va, T.nva, a->patch, o->tumour_frac, o->seed, 0xFFFFFFFFu, (uint64_t)k);
        } else if ((rc = grid_items(T.va, T.nva, a->patch, o->oversample, &vitems, &nvitems, e))) {
            audit_step_end(st);
            goto done;
        }
    }
    if (o->sampling == SAMPLE_GRID && (rc = grid_items(T.tr, T.ntr, a->patch, o->oversample, &eitems, &neitems, e))) {
        audit_step_end(st);
        goto done;
    }
    char fp[1024];
    fingerprint(o, set, co->n, fp, sizeof fp);
    int first_epoch = 1;
    if (o->resume && o->ckpt_path) {
        if ((rc = ckpt_read(o->ckpt_path, fp, &T, &ck, e))) {
            err_prefix(e, "%s", o->ckpt_path);
            audit_step_end(st);
            goto done;
        }
        first_epoch = ck.epoch + 1;
    } else if ((rc = log_append(&ck, "epoch,loss,val_loss,val_dice,seconds\n", e))) {
        audit_step_end(st);
        goto done;
    }
    /* the device gets the whole state (initial or resumed weights, Adam moments) once */
    if (T.dev && ((rc = T.dev->init(&T.du, a, o->batch, o->device->tf32, e)) ||
                  (rc = T.dev->state_set(T.du, m->params.data, T.am, T.av, e)))) {
        audit_step_end(st);
        goto done;
    }
    const int64_t per_epoch = o->sampling == SAMPLE_CENTRED ? o->patches_per_epoch : neitems;
    const int64_t nbatches = (per_epoch + o->batch - 1) / o->batch;
    struct pitem *bitems = malloc(sizeof *bitems * (size_t)(o->batch));
    eorder = malloc(sizeof *eorder * (size_t)(neitems ? neitems : 1));
    if (!bitems || !eorder) {
        free(bitems);
        audit_step_end(st);
        rc = ERR(e, SARC_ERR_NOMEM, "batch");
        goto done;
    }
    struct progress pe;
    progress_begin(&pe, "train", (int64_t)(o->epochs - first_epoch + 1) * nbatches, "batches");
    int last = o->epochs;
    if (o->stop_after > 0 && first_epoch - 1 + o->stop_after < last)
        last = first_epoch - 1 + o->stop_after;
    for (int ep = first_epoch; ep <= last; ep++) {
        const double t0 = time_now();
        if (o->lr_final > 0 && o->epochs > 1)
            T.adam.lr = o->lr_final + (o->lr - o->lr_final) * 0.5 * (1.0 + cos(3.14159265358979323846 * (ep - 1) / (o->epochs - 1)));
        if (o->sampling == SAMPLE_GRID) {
            /* each epoch shuffles the canonical order, so a resumed run sees the same orders */
            memcpy(eorder, eitems, sizeof *eitems * (size_t)neitems);
            shuffle_items(eorder, neitems, o->seed, (uint64_t)ep);
        }
        double lsum = 0;
        for (int64_t bi = 0; bi < nbatches; bi++) {
            int nb = 0;
            for (int j = 0; j < o->batch; j++) {
                const int64_t k = bi * o->batch + j;
                if (k >= per_epoch)
                    break;
                bitems[nb++] = o->sampling == SAMPLE_CENTRED
                                   ? sample_centred(T.tr, T.ntr, a->patch, o->tumour_frac, o->seed, (uint64_t)ep, (uint64_t)k)
                                   : eorder[k];
            }
            const uint64_t step = (uint64_t)(ep - 1) * (uint64_t)nbatches + (uint64_t)bi;
            double bl = 0;
            if ((rc = T.dev ? train_batch_dev(&T, bitems, nb, step, &bl, e) : train_batch(&T, bitems, nb, step, &bl, e)))
                break;
            lsum += bl;
            progress_add(&pe, 1);
        }
        /* the epoch's state back to the host: best weights, checkpoint */
        if (!rc && T.dev)
            rc = T.dev->state_get(T.du, m->params.data, T.am, T.av, e);
        if (rc)
            break;
        const double tl = lsum / (double)nbatches;
        double vl = NAN, vd = NAN;
        if (nvitems > 0 && (rc = evaluate_items(&T, T.va, vitems, nvitems, &vl, &vd, e)))
            break;
        const double crit = nvitems > 0 ? vl : tl;
        if (crit < ck.best_val || ck.best_epoch == 0) {
            ck.best_val = crit;
            ck.best_epoch = ep;
            memcpy(T.best, m->params.data, sizeof(float) * (size_t)m->params.n);
        }
        char line[256], a1[32], a2[32], a3[32], a4[32];
        num_format(a1, sizeof a1, tl);
        num_format(a2, sizeof a2, vl);
        num_format(a3, sizeof a3, vd);
        snprintf(a4, sizeof a4, "%.2f", time_now() - t0);
        snprintf(line, sizeof line, "%d,%s,%s,%s,%s\n", ep, a1, a2, a3, a4);
        if ((rc = log_append(&ck, line, e)))
            break;
        ck.epoch = ep;
        ck.adam_t = T.adam.t;
        if (o->ckpt_path && (rc = ckpt_write(o->ckpt_path, fp, &T, &ck, e))) {
            err_prefix(e, "%s", o->ckpt_path);
            break;
        }
        if (o->log_path && (rc = file_write_atomic(o->log_path, ck.log, ck.loglen, e))) {
            err_prefix(e, "%s", o->log_path);
            break;
        }
    }
    progress_end(&pe);
    free(bitems);
    if (rc) {
        audit_step_end(st);
        goto done;
    }
    m->epochs = ck.epoch;
    m->best_val = ck.best_val;
    audit_value(st, "best_epoch", ck.best_epoch);
    audit_value(st, "best_val_loss", ck.best_val);
    if (ck.epoch < o->epochs) { /* stopped early on request: keep the current weights */
        audit_note(st, "stopped early (stop_after); the checkpoint holds the state");
        audit_step_end(st);
        goto done;
    }
    memcpy(m->params.data, T.best, sizeof(float) * (size_t)m->params.n);
    /* threshold from training patches of the best model: grid patches of the training scans
     * (the paper uses whole training volumes), a seeded random subset of threshold_patches */
    if (!eitems && (rc = grid_items(T.tr, T.ntr, a->patch, o->oversample, &eitems, &neitems, e))) {
        audit_step_end(st);
        goto done;
    }
    ntitems = o->threshold_patches > 0 ? o->threshold_patches : 1;
    if (ntitems > neitems)
        ntitems = neitems;
    titems = malloc(sizeof *titems * (size_t)ntitems);
    thr_p = malloc(sizeof(float) * (size_t)(ntitems * T.no));
    thr_t = malloc((size_t)(ntitems * T.no));
    if (!titems || !thr_p || !thr_t) {
        audit_step_end(st);
        rc = ERR(e, SARC_ERR_NOMEM, "threshold patches");
        goto done;
    }
    shuffle_items(eitems, neitems, o->seed, 0xFFFFFFFEu);
    memcpy(titems, eitems, sizeof *titems * (size_t)ntitems);
    if (T.dev && (rc = T.dev->state_set(T.du, m->params.data, NULL, NULL, e))) {
        audit_step_end(st);
        goto done;
    }
    for (int64_t k0 = 0; k0 < ntitems; k0 += o->batch) {
        const int nk = (int)(ntitems - k0 < o->batch ? ntitems - k0 : o->batch);
        if ((rc = items_logits(&T, T.tr, titems + k0, nk, T.lgb, T.tb, e))) {
            audit_step_end(st);
            goto done;
        }
        for (int64_t i = 0; i < (int64_t)nk * T.no; i++) {
            thr_p[k0 * T.no + i] = seg_sigmoid(T.lgb[i]);
            thr_t[k0 * T.no + i] = T.tb[i] > 0.5f;
        }
    }
    double thr = 0.5;
    struct sarc_err e2 = {0};
    if (seg_threshold_pr(thr_p, thr_t, ntitems * T.no, &thr, &e2) != 0)
        audit_note(st, "no tumour voxels in the threshold patches: threshold 0.5");
    m->threshold = thr;
    audit_value(st, "threshold", thr);
    audit_output_arrayf(st, "weights", m->params.data, m->params.n);
    audit_step_end(st);
done:
    if (rc)
        model_free(m);
    tscans_free(T.tr, T.ntr);
    tscans_free(T.va, T.nva);
    unet_work_free(T.w);
    if (T.du)
        T.dev->free(T.du);
    free(T.x), free(T.t), free(T.p), free(T.g), free(T.best), free(T.am), free(T.av);
    free(T.xb), free(T.tb), free(T.lgb), free(T.dlb);
    free(set), free(itr), free(iva), free(vitems), free(eitems), free(eorder), free(titems), free(thr_p), free(thr_t);
    free(ck.log);
    return rc;
}
