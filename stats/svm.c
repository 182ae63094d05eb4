/* svm.c - C-SVC by SMO with WSS3, and Platt scaling (see svm.h).
 *
 * The dual: min 1/2 a'Qa - e'a subject to 0 <= a_i <= C, y'a = 0, with Q_ij = y_i y_j K(x_i, x_j).
 * Each iteration picks i maximising -y_i G_i over I_up and j minimising the second-order decrease
 * -(b_ij^2)/a_ij over I_low (WSS3), solves the two-variable problem analytically, clips to the box
 * and updates the gradient G = Qa - e. Stops when m(a) - M(a) < tol. rho is the mean of y_i G_i
 * over free vectors (or the middle of the feasible interval), as libsvm. Covered by
 * test/stats/test_svm.c. */
#include "stats/svm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/table.h"
#include "vendor/rng.h"

#define TAU 1e-12

void svm_param_default(struct svm_param *p)
{
    p->kernel = SVM_RBF;
    p->C = 5;
    p->gamma = 0.01;
    p->tol = 1e-3;
    p->probability = 0;
    p->seed = 42;
    p->key = 0;
}

void svm_free(struct svm_model *m)
{
    if (!m)
        return;
    free(m->sv);
    free(m->coef);
    memset(m, 0, sizeof *m);
}

static double kernel_eval(enum svm_kernel k, double gamma, const double *a, const double *b, int p)
{
    double s = 0;
    if (k == SVM_LINEAR) {
        for (int j = 0; j < p; j++)
            s += a[j] * b[j];
        return s;
    }
    for (int j = 0; j < p; j++) {
        const double d = a[j] - b[j];
        s += d * d;
    }
    return exp(-gamma * s);
}

/* The SMO solver on a dense Q (n, n), held in float as libsvm's kernel cache holds it (Qfloat):
 * with double Q the solution differs from scikit-learn's by up to ~5e-5 in decision values; with
 * float Q it agrees to ~1e-7. QD (n) is the diagonal in double. alpha (n) out; returns rho. */
static double smo_solve(const float *Q, const double *QD, const int *ys, int n, double C, double tol, double *alpha,
                        double *G, long *iters, int *hit_max)
{
    for (int t = 0; t < n; t++) {
        alpha[t] = 0;
        G[t] = -1;
    }
    const long max_iter = 100L * n > 10000000L ? 100L * n : 10000000L;
    long it = 0;
    *hit_max = 0;
    for (;; it++) {
        if (it >= max_iter) {
            *hit_max = 1;
            break;
        }
        /* WSS3, first index: i = argmax_{t in I_up} -y_t G_t */
        double gmax = -INFINITY, gmax2 = -INFINITY;
        int i = -1;
        for (int t = 0; t < n; t++) {
            if (ys[t] > 0) {
                if (alpha[t] < C && -G[t] >= gmax) {
                    gmax = -G[t];
                    i = t;
                }
            } else if (alpha[t] > 0 && G[t] >= gmax) {
                gmax = G[t];
                i = t;
            }
        }
        if (i < 0)
            break;
        const float *Qi = Q + (size_t)i * n;
        /* second index: largest decrease of the objective among violating pairs */
        int j = -1;
        double best = INFINITY;
        for (int t = 0; t < n; t++) {
            double gd, quad;
            if (ys[t] > 0) {
                if (!(alpha[t] > 0))
                    continue;
                gd = gmax + G[t];
                if (G[t] >= gmax2)
                    gmax2 = G[t];
                quad = QD[i] + QD[t] - 2.0 * ys[i] * Qi[t];
            } else {
                if (!(alpha[t] < C))
                    continue;
                gd = gmax - G[t];
                if (-G[t] >= gmax2)
                    gmax2 = -G[t];
                quad = QD[i] + QD[t] + 2.0 * ys[i] * Qi[t];
            }
            if (gd > 0) {
                const double obj = -(gd * gd) / (quad > 0 ? quad : TAU);
                if (obj <= best) {
                    best = obj;
                    j = t;
                }
            }
        }
        if (gmax + gmax2 < tol || j < 0)
            break;
        const float *Qj = Q + (size_t)j * n;
        const double oi = alpha[i], oj = alpha[j];
        if (ys[i] != ys[j]) {
            double quad = QD[i] + QD[j] + 2 * Qi[j];
            if (quad <= 0)
                quad = TAU;
            const double delta = (-G[i] - G[j]) / quad, diff = alpha[i] - alpha[j];
            alpha[i] += delta;
            alpha[j] += delta;
            if (diff > 0) {
                if (alpha[j] < 0) {
                    alpha[j] = 0;
                    alpha[i] = diff;
                }
            } else if (alpha[i] < 0) {
                alpha[i] = 0;
                alpha[j] = -diff;
            }
            if (diff > 0) {
                if (alpha[i] > C) {
                    alpha[i] = C;
                    alpha[j] = C - diff;
                }
            } else if (alpha[j] > C) {
                alpha[j] = C;
                alpha[i] = C + diff;
            }
        } else {
            double quad = QD[i] + QD[j] - 2 * Qi[j];
            if (quad <= 0)
                quad = TAU;
            const double delta = (G[i] - G[j]) / quad, sum = alpha[i] + alpha[j];
            alpha[i] -= delta;
            alpha[j] += delta;
            if (sum > C) {
                if (alpha[i] > C) {
                    alpha[i] = C;
                    alpha[j] = sum - C;
                }
            } else if (alpha[j] < 0) {
                alpha[j] = 0;
                alpha[i] = sum;
            }
            if (sum > C) {
                if (alpha[j] > C) {
                    alpha[j] = C;
                    alpha[i] = sum - C;
                }
            } else if (alpha[i] < 0) {
                alpha[i] = 0;
                alpha[j] = sum;
            }
        }
        const double di = alpha[i] - oi, dj = alpha[j] - oj;
        for (int t = 0; t < n; t++)
            G[t] += Qi[t] * di + Qj[t] * dj;
    }
    *iters = it;
    /* rho */
    double ub = INFINITY, lb = -INFINITY, sum = 0;
    int nfree = 0;
    for (int t = 0; t < n; t++) {
        const double yg = ys[t] * G[t];
        if (alpha[t] >= C) {
            if (ys[t] < 0)
                ub = fmin(ub, yg);
            else
                lb = fmax(lb, yg);
        } else if (alpha[t] <= 0) {
            if (ys[t] > 0)
                ub = fmin(ub, yg);
            else
                lb = fmax(lb, yg);
        } else {
            nfree++;
            sum += yg;
        }
    }
    return nfree > 0 ? sum / nfree : (ub + lb) / 2;
}

/* Trains without probabilities. */
static int svm_train_plain(const double *x, const int *y, int n, int p, const struct svm_param *prm,
                           struct svm_model *m, struct sarc_err *e)
{
    memset(m, 0, sizeof *m);
    size_t nq;
    if (size_mul((size_t)n, (size_t)n, &nq) || n > SVM_MAX_TRAIN)
        return ERR(e, SARC_ERR_RANGE, "%d training cases, at most %d supported (dense kernel matrix)", n,
                   SVM_MAX_TRAIN);
    float *Q = malloc(sizeof *Q * nq);
    double *QD = malloc(sizeof *QD * (size_t)n);
    double *alpha = malloc(sizeof *alpha * (size_t)n), *G = malloc(sizeof *G * (size_t)n);
    int *ys = malloc(sizeof *ys * (size_t)n);
    int rc = 0;
    if (!Q || !QD || !alpha || !G || !ys) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory for the %d x %d kernel matrix", n, n);
        goto done;
    }
    for (int i = 0; i < n; i++)
        ys[i] = y[i] ? 1 : -1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++) {
            const double k = kernel_eval(prm->kernel, prm->gamma, x + (size_t)i * p, x + (size_t)j * p, p);
            Q[(size_t)i * n + j] = Q[(size_t)j * n + i] = (float)(ys[i] * ys[j] * k);
            if (i == j)
                QD[i] = k;
        }
    m->rho = smo_solve(Q, QD, ys, n, prm->C, prm->tol, alpha, G, &m->iterations, &m->hit_max_iter);
    int nsv = 0;
    for (int i = 0; i < n; i++)
        nsv += alpha[i] > 0;
    m->p = p;
    m->kernel = prm->kernel;
    m->gamma = prm->gamma;
    m->nsv = nsv;
    m->sv = malloc(sizeof *m->sv * ((size_t)nsv * p + 1));
    m->coef = malloc(sizeof *m->coef * ((size_t)nsv + 1));
    if (!m->sv || !m->coef) {
        svm_free(m);
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory for %d support vectors", nsv);
        goto done;
    }
    for (int i = 0, k = 0; i < n; i++)
        if (alpha[i] > 0) {
            memcpy(m->sv + (size_t)k * p, x + (size_t)i * p, sizeof *m->sv * (size_t)p);
            m->coef[k++] = alpha[i] * ys[i];
        }
done:
    free(Q);
    free(QD);
    free(alpha);
    free(G);
    free(ys);
    return rc;
}

double svm_decision(const struct svm_model *m, const double *x)
{
    double s = 0;
    for (int k = 0; k < m->nsv; k++)
        s += m->coef[k] * kernel_eval(m->kernel, m->gamma, m->sv + (size_t)k * m->p, x, m->p);
    return s - m->rho;
}

static double sigmoid_prob(double dec, double a, double b)
{
    const double f = dec * a + b;
    return f >= 0 ? exp(-f) / (1.0 + exp(-f)) : 1.0 / (1.0 + exp(f));
}

double svm_probability(const struct svm_model *m, double decision)
{
    return m->has_prob ? sigmoid_prob(decision, m->prob_a, m->prob_b) : NAN;
}

/* Negative log-likelihood of the sigmoid with targets t (stable in both signs of f). */
static double platt_nll(const double *dec, const double *t, int n, double a, double b)
{
    double f = 0;
    for (int i = 0; i < n; i++) {
        const double z = dec[i] * a + b;
        f += z >= 0 ? t[i] * z + log1p(exp(-z)) : (t[i] - 1) * z + log1p(exp(z));
    }
    return f;
}

void platt_fit(const double *dec, const int *y, int n, double *pa, double *pb)
{
    double prior1 = 0, prior0 = 0;
    for (int i = 0; i < n; i++)
        prior1 += y[i] != 0;
    prior0 = n - prior1;
    const double hi = (prior1 + 1) / (prior1 + 2), lo = 1 / (prior0 + 2);
    double *t = malloc(sizeof *t * (size_t)(n > 0 ? n : 1));
    double a = 0, b = log((prior0 + 1) / (prior1 + 1));
    if (!t) {
        *pa = a;
        *pb = b;
        return;
    }
    for (int i = 0; i < n; i++)
        t[i] = y[i] ? hi : lo;
    double fval = platt_nll(dec, t, n, a, b);
    const double sigma = 1e-12, eps = 1e-5, min_step = 1e-10;
    for (int iter = 0; iter < 100; iter++) {
        /* gradient and Hessian (plus sigma on the diagonal) */
        double h11 = sigma, h22 = sigma, h21 = 0, g1 = 0, g2 = 0;
        for (int i = 0; i < n; i++) {
            const double z = dec[i] * a + b;
            double p, q;
            if (z >= 0) {
                p = exp(-z) / (1.0 + exp(-z));
                q = 1.0 / (1.0 + exp(-z));
            } else {
                p = 1.0 / (1.0 + exp(z));
                q = exp(z) / (1.0 + exp(z));
            }
            const double d2 = p * q, d1 = t[i] - p;
            h11 += dec[i] * dec[i] * d2;
            h22 += d2;
            h21 += dec[i] * d2;
            g1 += dec[i] * d1;
            g2 += d1;
        }
        if (fabs(g1) < eps && fabs(g2) < eps)
            break;
        const double det = h11 * h22 - h21 * h21;
        const double da = -(h22 * g1 - h21 * g2) / det, db = -(-h21 * g1 + h11 * g2) / det;
        const double gd = g1 * da + g2 * db;
        double step = 1;
        while (step >= min_step) {
            const double na = a + step * da, nb = b + step * db, nf = platt_nll(dec, t, n, na, nb);
            if (nf < fval + 0.0001 * step * gd) {
                a = na;
                b = nb;
                fval = nf;
                break;
            }
            step /= 2;
        }
        if (step < min_step)
            break; /* line search failed */
    }
    free(t);
    *pa = a;
    *pb = b;
}

int svm_train(const double *x, const int *y, int n, int p, const struct svm_param *prm, struct svm_model *m,
              struct sarc_err *e)
{
    memset(m, 0, sizeof *m);
    if (!(prm->C > 0) || isinf(prm->C))
        return ERR(e, SARC_ERR_ARG, "C = %g, expected > 0", prm->C);
    if (prm->kernel == SVM_RBF && (!(prm->gamma > 0) || isinf(prm->gamma)))
        return ERR(e, SARC_ERR_ARG, "gamma = %g, expected > 0", prm->gamma);
    if (!(prm->tol > 0))
        return ERR(e, SARC_ERR_ARG, "tol = %g, expected > 0", prm->tol);
    int rc = trainset_check(x, y, n, p, e);
    if (rc)
        return rc;
    rc = svm_train_plain(x, y, n, p, prm, m, e);
    if (rc || !prm->probability)
        return rc;
    /* Platt: decision values of an internal 5-fold CV (seeded permutation, libsvm's fold cut) */
    const int nf = 5;
    int *perm = malloc(sizeof *perm * (size_t)n), *sy = malloc(sizeof *sy * (size_t)n);
    double *dec = malloc(sizeof *dec * (size_t)n), *sx = malloc(sizeof *sx * (size_t)n * p);
    if (!perm || !sy || !dec || !sx) {
        rc = ERR(e, SARC_ERR_NOMEM, "out of memory for the probability CV");
        goto done;
    }
    for (int i = 0; i < n; i++)
        perm[i] = i;
    struct rng_cursor cur = rng_cursor_init(prm->seed, rng_stream(RNG_STATS, 0x706c617474ull /* "platt" */, prm->key, 0));
    for (int i = 0; i < n - 1; i++) {
        const int k = i + (int)rng_next_below(&cur, (uint32_t)(n - i));
        const int tmp = perm[i];
        perm[i] = perm[k];
        perm[k] = tmp;
    }
    for (int f = 0; f < nf; f++) {
        const int begin = f * n / nf, end = (f + 1) * n / nf;
        int k = 0, np = 0;
        for (int q = 0; q < n; q++)
            if (q < begin || q >= end) {
                memcpy(sx + (size_t)k * p, x + (size_t)perm[q] * p, sizeof *sx * (size_t)p);
                sy[k] = y[perm[q]];
                np += sy[k] != 0;
                k++;
            }
        if (np == 0 || np == k) {
            /* one class in the training part: libsvm's fixed values */
            for (int q = begin; q < end; q++)
                dec[perm[q]] = k == 0 ? 0 : np ? 1 : -1;
            continue;
        }
        struct svm_model sub;
        struct svm_param sp = *prm;
        sp.probability = 0;
        rc = svm_train_plain(sx, sy, k, p, &sp, &sub, e);
        if (rc)
            goto done;
        for (int q = begin; q < end; q++)
            dec[perm[q]] = svm_decision(&sub, x + (size_t)perm[q] * p);
        svm_free(&sub);
    }
    platt_fit(dec, y, n, &m->prob_a, &m->prob_b);
    m->has_prob = 1;
done:
    if (rc)
        svm_free(m);
    free(perm);
    free(sy);
    free(dec);
    free(sx);
    return rc;
}
