/* index.h - the index and tiling arithmetic of the CUDA convolution, reduction and pooling
 * kernels, as plain C inline functions that compile for the host and the device (IDX_FN), so
 * that test/cuda/test_cuda_index.c proves them on the CPU against the reference loops of
 * nn/conv3d.c, nn/conv_transpose3d.c and nn/maxpool3d.c, without a GPU.
 *
 * One implicit GEMM serves all four "data" passes of the two convolutions. A pass is
 *     out[n, o, z, y, x]  (= or +=)  bias[o] + sum_{c < C, r < 27} Wp(o, c, r) *
 *                         in[n, c, z + r/9 - P, y + (r/3)%3 - P, x + r%3 - P]   (0 outside)
 *     Wp(o, c, r) = w[o*so + c*sc + (flip ? 26 - r : r)]
 * with in (N, C, D, H, W) and out (N, OC, OD, OH, OW), OD = D + 2P - 2. As a GEMM: rows M = OC
 * (output channel o), columns = N*OD*OH*OW (output voxel), reduction K = C*27 (kk = c*27 + r).
 *   conv3d forward          : in = inp,  out = out,  P,       so = C*27,  sc = 27,    flip 0
 *   conv3d backward-data    : in = dout, out = dinp, P' = 2-P, so = 27,    sc = C*27,  flip 1
 *   conv_transpose3d forward: in = inp,  out = out,  P' = 2,   so = 27,    sc = OC*27, flip 1
 *   conv_transpose3d bwd-data: in = dout, out = dinp, P' = 0,  so = OC*27, sc = 27,    flip 0
 * (the backward-data passes are gathers: each input gradient is written by one thread, no
 * atomics; flipping the kernel turns "z = iz - i + P" into a correlation with padding 2-P.)
 *
 * The weight gradients are one more GEMM:
 *     dw[(o*XC + c)*27 + r] += sum_{n, p} G[n, o, p] * X[n, c, p + offset(r) - P]
 * with G (N, GC, GD, GH, GW), X (N, XC, XD, XH, XW). conv3d: G = dout, X = inp, P.
 * conv_transpose3d: G = inp, X = dout, P = 0 (dw[c, o, r] = sum inp[c, p] dout[o, p + r]).
 * Rows M = GC, columns XC*27, reduction over K = N*GD*GH*GW voxels, cut into wgrad_chunks()
 * chunks of fixed length (set by K alone); each chunk writes its own partial and the partials
 * are added in chunk order: bit-identical for any GPU and launch. */
#ifndef SARC_CUDA_INDEX_H
#define SARC_CUDA_INDEX_H

#include <stdint.h>

#if defined(__CUDACC__)
#define IDX_FN static inline __host__ __device__
#else
#define IDX_FN static inline
#endif

/* Tiles of the implicit-GEMM kernels (cuda/conv_gemm.cu): a block of CONV_THREADS threads
 * computes a bm x bn tile of the output (bm * bn = CONV_TILE; bm = 16, 32 or 64 output
 * channels, chosen by conv_tile_bm so that the few channels of the U-Net's layers - 24, 48, 1 -
 * waste few rows), CONV_BK reduction steps per shared-memory stage, each thread a 4 x 4 register
 * tile. The weight-gradient kernel always uses 64 x 64 (CONV_BM x CONV_BN). */
#define CONV_BM 64
#define CONV_BN 64
#define CONV_TILE 4096
#define CONV_BK 16
#define CONV_THREADS 256

/* Reduction chunking: REDUCE_CHUNK elements per block of REDUCE_THREADS threads. */
#define REDUCE_CHUNK 4096
#define REDUCE_THREADS 256

struct conv_geom {
    int N, C, D, H, W;  /* the pass's input */
    int OC, OD, OH, OW; /* the pass's output */
    int P;              /* zero padding of the pass */
    int64_t so, sc;     /* weight strides of (output channel, input channel) */
    int flip;           /* 1: kernel offset r read as 26 - r */
};

struct wgrad_geom {
    int N;
    int GC, GD, GH, GW; /* the "output-gradient" side G */
    int XC, XD, XH, XW; /* the "input" side X */
    int P;
};

/* The four data passes from the input-side description of the op (N, C, D, H, W, OC, P as in
 * struct conv3d_dims; for the transposed convolution P is ignored). */
IDX_FN struct conv_geom conv_geom_conv3d_forward(int N, int C, int D, int H, int W, int OC, int P)
{
    struct conv_geom g = {N, C, D, H, W, OC, D + 2 * P - 2, H + 2 * P - 2, W + 2 * P - 2, P,
                          (int64_t)C * 27, 27, 0};
    return g;
}
IDX_FN struct conv_geom conv_geom_conv3d_backward_data(int N, int C, int D, int H, int W, int OC,
                                                       int P)
{
    struct conv_geom g = {N, OC, D + 2 * P - 2, H + 2 * P - 2, W + 2 * P - 2, C, D, H, W, 2 - P,
                          27, (int64_t)C * 27, 1};
    return g;
}
IDX_FN struct conv_geom conv_geom_convt_forward(int N, int C, int D, int H, int W, int OC)
{
    struct conv_geom g = {N, C, D, H, W, OC, D + 2, H + 2, W + 2, 2, 27, (int64_t)OC * 27, 1};
    return g;
}
IDX_FN struct conv_geom conv_geom_convt_backward_data(int N, int C, int D, int H, int W, int OC)
{
    struct conv_geom g = {N, OC, D + 2, H + 2, W + 2, C, D, H, W, 0, (int64_t)OC * 27, 27, 0};
    return g;
}
IDX_FN struct wgrad_geom wgrad_geom_conv3d(int N, int C, int D, int H, int W, int OC, int P)
{
    struct wgrad_geom g = {N, OC, D + 2 * P - 2, H + 2 * P - 2, W + 2 * P - 2, C, D, H, W, P};
    return g;
}
IDX_FN struct wgrad_geom wgrad_geom_convt(int N, int C, int D, int H, int W, int OC)
{
    struct wgrad_geom g = {N, C, D, H, W, OC, D + 2, H + 2, W + 2, 0};
    return g;
}

/* GEMM extents of a data pass. */
IDX_FN int64_t conv_geom_cols(const struct conv_geom *g)
{
    return (int64_t)g->N * g->OD * g->OH * g->OW;
}
IDX_FN int conv_geom_k(const struct conv_geom *g) { return g->C * 27; }

/* Weight element of row o, reduction index kk = c*27 + r. */
IDX_FN int64_t conv_geom_w(const struct conv_geom *g, int o, int kk)
{
    const int c = kk / 27, r = kk - c * 27;
    return (int64_t)o * g->so + (int64_t)c * g->sc + (g->flip ? 26 - r : r);
}

/* An output voxel (column) decoded once: the sample and the corner of its 3x3x3 window in the
 * input (may be negative: padding). */
struct conv_col {
    int64_t in_base;  /* offset of (n, channel 0) in the input */
    int64_t out_off;  /* offset of (n, channel 0, z, y, x) in the output */
    int z0, y0, x0;   /* z - P, y - P, x - P */
};

IDX_FN struct conv_col conv_col_decode(const struct conv_geom *g, int64_t col)
{
    struct conv_col q;
    const int64_t sp = (int64_t)g->OD * g->OH * g->OW;
    const int64_t n = col / sp;
    int64_t rem = col - n * sp;
    const int z = (int)(rem / ((int64_t)g->OH * g->OW));
    rem -= (int64_t)z * g->OH * g->OW;
    const int y = (int)(rem / g->OW), x = (int)(rem - (int64_t)y * g->OW);
    q.in_base = n * g->C * ((int64_t)g->D * g->H * g->W);
    q.out_off = n * g->OC * sp + rem + (int64_t)z * g->OH * g->OW;
    q.z0 = z - g->P;
    q.y0 = y - g->P;
    q.x0 = x - g->P;
    return q;
}

/* Input element for reduction index kk at a decoded column, or -1 for a padding zero. */
IDX_FN int64_t conv_col_in(const struct conv_geom *g, const struct conv_col *q, int kk)
{
    const int c = kk / 27, r = kk - c * 27;
    const int iz = q->z0 + r / 9, iy = q->y0 + (r / 3) % 3, ix = q->x0 + r % 3;
    if (iz < 0 || iz >= g->D || iy < 0 || iy >= g->H || ix < 0 || ix >= g->W)
        return -1;
    return q->in_base + (((int64_t)c * g->D + iz) * g->H + iy) * g->W + ix;
}

/* Output element of row o at a decoded column. */
IDX_FN int64_t conv_col_out(const struct conv_geom *g, const struct conv_col *q, int o)
{
    return q->out_off + (int64_t)o * g->OD * g->OH * g->OW;
}

/* ---- weight gradient ---- */

IDX_FN int64_t wgrad_k(const struct wgrad_geom *g)
{
    return (int64_t)g->N * g->GD * g->GH * g->GW;
}
IDX_FN int wgrad_cols(const struct wgrad_geom *g) { return g->XC * 27; }

/* Reduction chunk length: at least 2048 voxels and at most 256 chunks, a multiple of CONV_BK;
 * a function of K alone. */
IDX_FN int64_t wgrad_chunk_len(const struct wgrad_geom *g)
{
    const int64_t K = wgrad_k(g);
    int64_t len = (K + 255) / 256;
    if (len < 2048)
        len = 2048;
    return (len + CONV_BK - 1) / CONV_BK * CONV_BK;
}
IDX_FN int64_t wgrad_chunks(const struct wgrad_geom *g)
{
    const int64_t len = wgrad_chunk_len(g);
    return (wgrad_k(g) + len - 1) / len;
}

/* A reduction voxel kv (n, gz, gy, gx) decoded once. */
struct wgrad_row {
    int64_t g_base; /* offset of (n, 0, gz, gy, gx) in G */
    int64_t x_base; /* offset of (n, 0, 0, 0, 0) in X */
    int z0, y0, x0; /* gz - P, ... */
};

IDX_FN struct wgrad_row wgrad_row_decode(const struct wgrad_geom *g, int64_t kv)
{
    struct wgrad_row q;
    const int64_t sp = (int64_t)g->GD * g->GH * g->GW;
    const int64_t n = kv / sp;
    const int64_t rem = kv - n * sp;
    const int z = (int)(rem / ((int64_t)g->GH * g->GW));
    const int64_t r2 = rem - (int64_t)z * g->GH * g->GW;
    const int y = (int)(r2 / g->GW), x = (int)(r2 - (int64_t)y * g->GW);
    q.g_base = n * g->GC * sp + rem;
    q.x_base = n * g->XC * ((int64_t)g->XD * g->XH * g->XW);
    q.z0 = z - g->P;
    q.y0 = y - g->P;
    q.x0 = x - g->P;
    return q;
}

/* G element of channel o at a decoded voxel. */
IDX_FN int64_t wgrad_row_g(const struct wgrad_geom *g, const struct wgrad_row *q, int o)
{
    return q->g_base + (int64_t)o * g->GD * g->GH * g->GW;
}

/* X element of column cr = c*27 + r at a decoded voxel, or -1 (outside). */
IDX_FN int64_t wgrad_row_x(const struct wgrad_geom *g, const struct wgrad_row *q, int cr)
{
    const int c = cr / 27, r = cr - c * 27;
    const int iz = q->z0 + r / 9, iy = q->y0 + (r / 3) % 3, ix = q->x0 + r % 3;
    if (iz < 0 || iz >= g->XD || iy < 0 || iy >= g->XH || ix < 0 || ix >= g->XW)
        return -1;
    return q->x_base + (((int64_t)c * g->XD + iz) * g->XH + iy) * g->XW + ix;
}

/* ---- the FP32 kernels' per-thread work, shared by the CUDA kernels and the CPU emulation of
 * test/cuda/test_cuda_index.c (which runs the 256 "threads" of a block phase by phase, as
 * __syncthreads separates them on the GPU) ---- */

#define CONV_LDS (CONV_BM + 4)   /* As row stride: a multiple of 4 floats, 32-byte aligned rows */
#define CONV_LDSB (256 + 4)      /* Bs row stride: room for the widest tile (bn = 256) */
/* device pass only: the host compiler of an nvcc build does not know the pragma */
#if defined(__CUDA_ARCH__)
#define IDX_UNROLL _Pragma("unroll")
#else
#define IDX_UNROLL
#endif

/* Rows (output channels) of the data-pass tile for OC output channels: 16, 32 or 64. Chosen by
 * arithmetic (fraction of idle rows), not yet by a timing sweep. */
IDX_FN int conv_tile_bm(int OC) { return OC <= 16 ? 16 : OC <= 32 ? 32 : 64; }

/* Data pass, stage k0, tile bm x bn (bn = CONV_TILE / bm): thread tid stages elements
 * e = tid, tid + 256, ... of the weight tile As[k][m] (m = e % bm) and of the input tile
 * Bs[k][n] (n = e % bn: always tid % bn, since bn divides 256, so the thread's column is fixed
 * and q is its decoded column col0 + tid % bn, or column 0 past the end). Zero outside. */
IDX_FN void conv_tile_load(const struct conv_geom *g, const float *in, const float *w, int tid,
                           int bm, int64_t col0, int row0, int k0, const struct conv_col *q,
                           float (*As)[CONV_LDS], float (*Bs)[CONV_LDSB])
{
    const int bn = CONV_TILE / bm, K = conv_geom_k(g);
    for (int e = tid; e < CONV_BK * bm; e += CONV_THREADS) {
        const int m = e % bm, kr = e / bm, kk = k0 + kr, row = row0 + m;
        As[kr][m] = kk < K && row < g->OC ? w[conv_geom_w(g, row, kk)] : 0.0f;
    }
    const int64_t col = col0 + tid % bn;
    const int col_ok = col < conv_geom_cols(g);
    for (int e = tid; e < CONV_BK * bn; e += CONV_THREADS) {
        const int n = e % bn, kr = e / bn, kk = k0 + kr;
        float b = 0.0f;
        if (kk < K && col_ok) {
            const int64_t ii = conv_col_in(g, q, kk);
            if (ii >= 0)
                b = in[ii];
        }
        Bs[kr][n] = b;
    }
}

/* Both GEMMs, one stage of a bm x bn tile: thread tid (ty = tid / (bn/4), tx = tid % (bn/4))
 * adds the products of rows ty + (bm/4) i and columns tx + (bn/4) j over the CONV_BK staged
 * reduction rows, in k order. */
IDX_FN void conv_tile_fma(int tid, int bm, const float (*As)[CONV_LDS],
                          const float (*Bs)[CONV_LDSB], float acc[4][4])
{
    const int bn = CONV_TILE / bm, sm = bm / 4, sn = bn / 4;
    const int ty = tid / sn, tx = tid % sn;
    IDX_UNROLL
    for (int kr = 0; kr < CONV_BK; kr++) {
        float a[4], b[4];
        IDX_UNROLL
        for (int i = 0; i < 4; i++) {
            a[i] = As[kr][ty + sm * i];
            b[i] = Bs[kr][tx + sn * i];
        }
        IDX_UNROLL
        for (int i = 0; i < 4; i++)
            IDX_UNROLL
            for (int j = 0; j < 4; j++)
                acc[i][j] += a[i] * b[j];
    }
}

/* Data pass epilogue of thread tid: out = acc + bias (accumulate 0) or out += acc. */
IDX_FN void conv_tile_store(const struct conv_geom *g, float *out, const float *bias,
                            int accumulate, int tid, int bm, int64_t col0, int row0,
                            float acc[4][4])
{
    const int bn = CONV_TILE / bm, sm = bm / 4, sn = bn / 4;
    const int ty = tid / sn, tx = tid % sn;
    for (int j = 0; j < 4; j++) {
        const int64_t col = col0 + tx + sn * j;
        if (col >= conv_geom_cols(g))
            continue;
        const struct conv_col oq = conv_col_decode(g, col);
        for (int i = 0; i < 4; i++) {
            const int o = row0 + ty + sm * i;
            if (o >= g->OC)
                continue;
            const int64_t oi = conv_col_out(g, &oq, o);
            if (accumulate)
                out[oi] += acc[i][j];
            else
                out[oi] = acc[i][j] + (bias ? bias[o] : 0.0f);
        }
    }
}

/* Weight-gradient pass, stage k0 of a chunk ending at kend: thread tid stages voxel
 * k0 + (tid % 16) for G rows row0 + ml + 16j and X columns col0 + ml + 16j (ml = tid / 16). */
IDX_FN void wgrad_tile_load(const struct wgrad_geom *g, const float *G, const float *X, int tid,
                            int col0, int row0, int64_t k0, int64_t kend,
                            float (*As)[CONV_LDS], float (*Bs)[CONV_LDSB])
{
    const int kl = tid % 16, ml = tid / 16, NC = wgrad_cols(g);
    const int64_t kv = k0 + kl;
    const int ok = kv < kend;
    const struct wgrad_row q = wgrad_row_decode(g, ok ? kv : 0);
    for (int j = 0; j < 4; j++) {
        const int m = row0 + ml + 16 * j, n = col0 + ml + 16 * j;
        float a = 0.0f, b = 0.0f;
        if (ok && m < g->GC)
            a = G[wgrad_row_g(g, &q, m)];
        if (ok && n < NC) {
            const int64_t xi = wgrad_row_x(g, &q, n);
            if (xi >= 0)
                b = X[xi];
        }
        As[kl][ml + 16 * j] = a;
        Bs[kl][ml + 16 * j] = b;
    }
}

/* Weight-gradient epilogue (64 x 64 tiles: conv_tile_fma with bm = 64): the chunk's partial
 * tile (M = GC rows, wgrad_cols columns). */
IDX_FN void wgrad_tile_store(const struct wgrad_geom *g, float *partial, int tid, int col0,
                             int row0, float acc[4][4])
{
    const int ty = tid / 16, tx = tid % 16, NC = wgrad_cols(g);
    for (int i = 0; i < 4; i++) {
        const int m = row0 + ty + 16 * i;
        if (m >= g->GC)
            continue;
        for (int j = 0; j < 4; j++) {
            const int n = col0 + tx + 16 * j;
            if (n < NC)
                partial[(int64_t)m * NC + n] = acc[i][j];
        }
    }
}

/* ---- reductions ---- */

IDX_FN int64_t reduce_chunks(int64_t n) { return n > 0 ? (n + REDUCE_CHUNK - 1) / REDUCE_CHUNK : 1; }

/* ---- max-pool backward as a gather ---- */

/* For input voxel q of a plane (D, H, W), the pooled voxel whose 2x2x2 window holds it, or -1
 * when q lies in the floor-cut margin (D, H or W odd). Its gradient is dout[that] when the
 * saved argmax of that window equals q, else 0. */
IDX_FN int64_t maxpool_window_of(int64_t q, int D, int H, int W)
{
    const int z = (int)(q / ((int64_t)H * W));
    const int64_t rem = q - (int64_t)z * H * W;
    const int y = (int)(rem / W), x = (int)(rem - (int64_t)y * W);
    const int OD = D / 2, OH = H / 2, OW = W / 2;
    if (z / 2 >= OD || y / 2 >= OH || x / 2 >= OW)
        return -1;
    return ((int64_t)(z / 2) * OH + y / 2) * OW + x / 2;
}

#endif
