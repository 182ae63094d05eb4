/* unet_conv.c - the U-Net's CPU kernels (see unet_conv.h for the contracts).
 *
 * The convolutions are direct: one output row (W fastest) at a time for a block of output
 * channels, the three kw taps of one input row fused, in GCC/Clang vector extensions (8 floats;
 * the compiler lowers them to SSE or AVX). No FMA contraction (ISO C mode keeps a*b+c as two
 * roundings), so the bits do not depend on the instruction set. Parallel over (channel block,
 * output plane) for the forward and over (channel block, input channel) for the weight gradient:
 * pool chunks depend on the shapes only.
 * Covered by test/nn/test_unet.c. */
#include "nn/unet_conv.h"

#include <string.h>

#include "vendor/pool.h"

typedef float v8f __attribute__((vector_size(32)));

/* Macros, not functions: passing 32-byte vectors by value would depend on the AVX ABI. */
#define V8_LOAD(v, p) memcpy(&(v), (p), sizeof(v8f))
#define V8_STORE(p, v) memcpy((p), &(v), sizeof(v8f))

#define FWD_COB 8 /* output channels per forward chunk */
#define BWD_COB 4 /* output channels per weight-gradient chunk */

struct fwd_ctx {
    const float *in, *w, *b;
    float *out;
    int C, D, H, W, CO;
};

/* orow[cb][0..OW) += sum over kw of wk[cb][kw] * r[kw + x], for nco channels. Order per output:
 * ((o + w0 x0) + w1 x1) + w2 x2, in the vector body and the scalar tail alike. */
static void row_taps(float *const *orow, int nco, const float *r, const float (*wk)[3], int OW)
{
    int x = 0;
    for (; x + 8 <= OW; x += 8) {
        v8f x0, x1, x2;
        V8_LOAD(x0, r + x);
        V8_LOAD(x1, r + x + 1);
        V8_LOAD(x2, r + x + 2);
        for (int cb = 0; cb < nco; cb++) {
            v8f o;
            V8_LOAD(o, orow[cb] + x);
            o = o + wk[cb][0] * x0;
            o = o + wk[cb][1] * x1;
            o = o + wk[cb][2] * x2;
            V8_STORE(orow[cb] + x, o);
        }
    }
    for (; x < OW; x++)
        for (int cb = 0; cb < nco; cb++) {
            float o = orow[cb][x];
            o = o + wk[cb][0] * r[x];
            o = o + wk[cb][1] * r[x + 1];
            o = o + wk[cb][2] * r[x + 2];
            orow[cb][x] = o;
        }
}

static void fwd_chunk(void *vctx, int64_t begin, int64_t end, int64_t chunk)
{
    (void)chunk;
    const struct fwd_ctx *c = vctx;
    const int C = c->C, D = c->D, H = c->H, W = c->W, CO = c->CO;
    const int OD = D - 2, OH = H - 2, OW = W - 2;
    for (int64_t k = begin; k < end; k++) {
        const int co0 = (int)(k / OD) * FWD_COB, od = (int)(k % OD);
        const int nco = CO - co0 < FWD_COB ? CO - co0 : FWD_COB;
        for (int oh = 0; oh < OH; oh++) {
            float *orow[FWD_COB];
            for (int cb = 0; cb < nco; cb++) {
                orow[cb] = c->out + (((int64_t)(co0 + cb) * OD + od) * OH + oh) * OW;
                const float bias = c->b ? c->b[co0 + cb] : 0.0f;
                for (int x = 0; x < OW; x++)
                    orow[cb][x] = bias;
            }
            for (int ci = 0; ci < C; ci++)
                for (int kd = 0; kd < 3; kd++)
                    for (int kh = 0; kh < 3; kh++) {
                        const float *r = c->in + (((int64_t)ci * D + od + kd) * H + oh + kh) * W;
                        float wk[FWD_COB][3];
                        for (int cb = 0; cb < nco; cb++)
                            memcpy(wk[cb], c->w + (((int64_t)(co0 + cb) * C + ci) * 27 + kd * 9 + kh * 3), sizeof wk[cb]);
                        row_taps(orow, nco, r, (const float(*)[3])wk, OW);
                    }
        }
    }
}

void uconv_forward(const float *in, int C, int D, int H, int W, const float *w, const float *b,
                   int CO, float *out, struct pool *p)
{
    struct fwd_ctx c = {in, w, b, out, C, D, H, W, CO};
    const int64_t ncob = (CO + FWD_COB - 1) / FWD_COB;
    pool_for(p, ncob * (D - 2), 1, fwd_chunk, &c);
}

struct bwd_ctx {
    const float *in, *dout;
    float *dw;
    int C, D, H, W, CO;
};

/* Sum of 8 lanes in a fixed pairwise order. */
static float lanes_sum(const float v[8])
{
    return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}

static void bwd_chunk(void *vctx, int64_t begin, int64_t end, int64_t chunk)
{
    (void)chunk;
    const struct bwd_ctx *c = vctx;
    const int C = c->C, D = c->D, H = c->H, W = c->W, CO = c->CO;
    const int OD = D - 2, OH = H - 2, OW = W - 2;
    for (int64_t k = begin; k < end; k++) {
        const int co0 = (int)(k / C) * BWD_COB, ci = (int)(k % C);
        const int nco = CO - co0 < BWD_COB ? CO - co0 : BWD_COB;
        double acc[BWD_COB][27];
        memset(acc, 0, sizeof acc);
        for (int od = 0; od < OD; od++)
            for (int oh = 0; oh < OH; oh++) {
                const float *g[BWD_COB];
                for (int cb = 0; cb < nco; cb++)
                    g[cb] = c->dout + (((int64_t)(co0 + cb) * OD + od) * OH + oh) * OW;
                for (int kd = 0; kd < 3; kd++)
                    for (int kh = 0; kh < 3; kh++) {
                        const float *r = c->in + (((int64_t)ci * D + od + kd) * H + oh + kh) * W;
                        v8f s[BWD_COB][3];
                        memset(s, 0, sizeof s);
                        int x = 0;
                        for (; x + 8 <= OW; x += 8) {
                            v8f x0, x1, x2;
                            V8_LOAD(x0, r + x);
                            V8_LOAD(x1, r + x + 1);
                            V8_LOAD(x2, r + x + 2);
                            for (int cb = 0; cb < nco; cb++) {
                                v8f gv;
                                V8_LOAD(gv, g[cb] + x);
                                s[cb][0] += gv * x0;
                                s[cb][1] += gv * x1;
                                s[cb][2] += gv * x2;
                            }
                        }
                        for (int cb = 0; cb < nco; cb++)
                            for (int kw = 0; kw < 3; kw++) {
                                float lanes[8];
                                memcpy(lanes, &s[cb][kw], sizeof lanes);
                                float t = lanes_sum(lanes);
                                for (int xx = x; xx < OW; xx++)
                                    t += g[cb][xx] * r[xx + kw];
                                acc[cb][kd * 9 + kh * 3 + kw] += t;
                            }
                    }
            }
        for (int cb = 0; cb < nco; cb++)
            for (int t = 0; t < 27; t++)
                c->dw[((int64_t)(co0 + cb) * C + ci) * 27 + t] += (float)acc[cb][t];
    }
}

void uconv_backward_weight(const float *in, int C, int D, int H, int W, const float *dout, int CO,
                           float *dw, struct pool *p)
{
    struct bwd_ctx c = {in, dout, dw, C, D, H, W, CO};
    const int64_t ncob = (CO + BWD_COB - 1) / BWD_COB;
    pool_for(p, ncob * C, 1, bwd_chunk, &c);
}

void ubias_backward(const float *x, int CO, int64_t n, float *db)
{
    for (int co = 0; co < CO; co++) {
        double s = 0;
        const float *r = x + (int64_t)co * n;
        for (int64_t i = 0; i < n; i++)
            s += r[i];
        db[co] += (float)s;
    }
}

void upad(const float *in, int C, int D, int H, int W, int q, float *out)
{
    const int PD = D + 2 * q, PH = H + 2 * q, PW = W + 2 * q;
    memset(out, 0, sizeof(float) * (size_t)C * PD * PH * PW);
    for (int c = 0; c < C; c++)
        for (int d = 0; d < D; d++)
            for (int h = 0; h < H; h++)
                memcpy(out + (((int64_t)c * PD + d + q) * PH + h + q) * PW + q,
                       in + (((int64_t)c * D + d) * H + h) * W, sizeof(float) * (size_t)W);
}

void upool_forward(const float *in, int C, int D, int H, int W, float *out)
{
    const int OD = D / 2, OH = H / 2, OW = W / 2;
    for (int c = 0; c < C; c++)
        for (int d = 0; d < OD; d++)
            for (int h = 0; h < OH; h++)
                for (int w = 0; w < OW; w++) {
                    float m = in[(((int64_t)c * D + 2 * d) * H + 2 * h) * W + 2 * w];
                    for (int a = 0; a < 2; a++)
                        for (int b = 0; b < 2; b++)
                            for (int e = 0; e < 2; e++) {
                                const float v = in[(((int64_t)c * D + 2 * d + a) * H + 2 * h + b) * W + 2 * w + e];
                                if (v > m)
                                    m = v;
                            }
                    out[(((int64_t)c * OD + d) * OH + h) * OW + w] = m;
                }
}

void upool_backward(const float *in, int C, int D, int H, int W, const float *dout, float *din)
{
    const int OD = D / 2, OH = H / 2, OW = W / 2;
    memset(din, 0, sizeof(float) * (size_t)C * D * H * W);
    for (int c = 0; c < C; c++)
        for (int d = 0; d < OD; d++)
            for (int h = 0; h < OH; h++)
                for (int w = 0; w < OW; w++) {
                    int64_t best = (((int64_t)c * D + 2 * d) * H + 2 * h) * W + 2 * w;
                    for (int a = 0; a < 2; a++)
                        for (int b = 0; b < 2; b++)
                            for (int e = 0; e < 2; e++) {
                                const int64_t i = (((int64_t)c * D + 2 * d + a) * H + 2 * h + b) * W + 2 * w + e;
                                if (in[i] > in[best])
                                    best = i; /* strict: the first maximum wins */
                            }
                    din[best] = dout[(((int64_t)c * OD + d) * OH + h) * OW + w];
                }
}

void uup_forward(const float *in, int C, int D, int H, int W, float *out)
{
    const int UH = 2 * H, UW = 2 * W;
    for (int c = 0; c < C; c++)
        for (int d = 0; d < 2 * D; d++)
            for (int h = 0; h < UH; h++) {
                const float *r = in + (((int64_t)c * D + d / 2) * H + h / 2) * W;
                float *o = out + (((int64_t)c * 2 * D + d) * UH + h) * UW;
                for (int w = 0; w < UW; w++)
                    o[w] = r[w / 2];
            }
}

void uup_backward(const float *dout, int C, int D, int H, int W, float *din)
{
    const int UH = 2 * H, UW = 2 * W;
    for (int c = 0; c < C; c++)
        for (int d = 0; d < D; d++)
            for (int h = 0; h < H; h++)
                for (int w = 0; w < W; w++) {
                    float s = 0;
                    for (int a = 0; a < 2; a++)
                        for (int b = 0; b < 2; b++) {
                            const float *r = dout + (((int64_t)c * 2 * D + 2 * d + a) * UH + 2 * h + b) * UW + 2 * w;
                            s += r[0] + r[1];
                        }
                    din[(((int64_t)c * D + d) * H + h) * W + w] = s;
                }
}
