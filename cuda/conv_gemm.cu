/* conv_gemm.cu - implicit-GEMM kernels for every 3x3x3 stride-1 convolution pass (see
 * cuda/index.h for the geometry of each pass and cuda/conv_gemm.h for the contracts).
 *
 * Data pass (conv_gemm_kernel): a block of 256 threads owns a bm (output channels) x bn
 * (output voxels) tile, bm x bn = 16 x 256, 32 x 128 or 64 x 64 by the channel count
 * (conv_tile_bm). Per stage it stages 16 reduction rows of the weights (As) and of the
 * gathered input window (Bs, zero padding applied at load) in shared memory, then each thread
 * accumulates a 4x4 register tile (rows ty + (bm/4)i, columns tx + (bn/4)j: conflict-free
 * reads, coalesced stores). No im2col buffer is written. Each output element is summed by one thread
 * in k order: no atomics, same bits on every run.
 * TF32 variant (template flag): the same staging, the product by WMMA m16n16k8 TF32 fragments
 * (8 warps, each 16 x 32 of the tile), FP32 accumulation, result staged through shared memory.
 *
 * Weight-gradient pass (wgrad_gemm_kernel): rows = G channels, columns = X channel x 27 kernel
 * offsets, reduction over voxels cut in fixed chunks (blockIdx.z); each chunk writes its own
 * partial tile; wgrad_reduce_kernel adds the partials in chunk order in double and += into dw.
 * The bias gradient is one block per channel with a fixed-order double tree reduction.
 *
 * The per-thread work (staging, 4x4 products, epilogues) lives in cuda/index.h so that
 * test/cuda/test_cuda_index.c can run it on the CPU, block by block and phase by phase.
 * Speed: not yet measured (no GPU in the session that wrote this); test/gpu/check.sh times
 * every U-Net layer. Tiles of 4096 outputs with 4x4 per thread are a plain first version:
 * expect well under the 50%-of-peak target until it is tuned (8x8 per thread, double-buffered
 * staging, vectorised loads) with measurements on a GPU.
 * Covered by test/cuda/test_cuda_index.c (CPU), test/cuda/test_cuda_ops.c and
 * test/gpu/check.sh (GPU). */
#include <mma.h>

#include "cuda/check.h"
#include "cuda/conv_gemm.h"

#define LDS CONV_LDS
#define LDSB CONV_LDSB

template <bool TF32>
__global__ void __launch_bounds__(CONV_THREADS)
conv_gemm_kernel(struct conv_geom g, const float *__restrict__ in, const float *__restrict__ w,
                 const float *__restrict__ bias, float *__restrict__ out, int accumulate, int bm)
{
    __shared__ __align__(32) float As[CONV_BK][LDS];  /* As[k][m] = weight of row m, reduction k */
    __shared__ __align__(32) float Bs[CONV_BK][LDSB]; /* Bs[k][n] = input of column n, reduction k */
    const int tid = threadIdx.x, bn = CONV_TILE / bm; /* TF32: bm = bn = 64 */
    const int64_t cols = conv_geom_cols(&g);
    const int K = conv_geom_k(&g);
    const int64_t col0 = (int64_t)blockIdx.x * bn;
    const int row0 = blockIdx.y * bm;
    /* the loader's column is fixed per thread: decode it once */
    const int64_t my_col = col0 + tid % bn;
    const struct conv_col q = conv_col_decode(&g, my_col < cols ? my_col : 0);

    float acc[4][4] = {{0}};
    using namespace nvcuda;
    wmma::fragment<wmma::accumulator, 16, 16, 8, float> cf[2];
    const int warp = tid / 32, wm = warp % 4, wn = warp / 4;
    if constexpr (TF32) {
        wmma::fill_fragment(cf[0], 0.0f);
        wmma::fill_fragment(cf[1], 0.0f);
    }

    for (int k0 = 0; k0 < K; k0 += CONV_BK) {
        conv_tile_load(&g, in, w, tid, bm, col0, row0, k0, &q, As, Bs);
        __syncthreads();
        if constexpr (TF32) {
            for (int ks = 0; ks < CONV_BK; ks += 8) {
                wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major> af;
                wmma::load_matrix_sync(af, &As[ks][16 * wm], LDS);
                for (int t = 0; t < af.num_elements; t++)
                    af.x[t] = wmma::__float_to_tf32(af.x[t]);
                for (int f = 0; f < 2; f++) {
                    wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> bf;
                    wmma::load_matrix_sync(bf, &Bs[ks][32 * wn + 16 * f], LDSB);
                    for (int t = 0; t < bf.num_elements; t++)
                        bf.x[t] = wmma::__float_to_tf32(bf.x[t]);
                    wmma::mma_sync(cf[f], af, bf, cf[f]);
                }
            }
        } else {
            conv_tile_fma(tid, bm, As, Bs, acc);
        }
        __syncthreads();
    }

    if constexpr (TF32) {
        /* the 64x64 tile goes through shared memory (As and Bs are too small: use a new one) */
        __shared__ __align__(32) float Cs[CONV_BM][LDS];
        wmma::store_matrix_sync(&Cs[16 * wm][32 * wn], cf[0], LDS, wmma::mem_row_major);
        wmma::store_matrix_sync(&Cs[16 * wm][32 * wn + 16], cf[1], LDS, wmma::mem_row_major);
        __syncthreads();
        const int ty = tid / 16, tx = tid % 16;
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                acc[i][j] = Cs[ty + 16 * i][tx + 16 * j];
    }
    conv_tile_store(&g, out, bias, accumulate, tid, bm, col0, row0, acc);
}

extern "C" int conv_gemm_run(const struct conv_geom *g, float *out_gpu, const float *in_gpu,
                             const float *w_gpu, const float *bias_gpu, int accumulate,
                             const struct cuda_ctx *ctx, struct sarc_err *e)
{
    if (g->N < 1 || g->C < 1 || g->OC < 1 || g->OD < 1 || g->OH < 1 || g->OW < 1)
        return ERR(e, SARC_ERR_RANGE, "conv (CUDA): N %d C %d OC %d output (%d, %d, %d), "
                   "expected all >= 1", g->N, g->C, g->OC, g->OD, g->OH, g->OW);
    const int tf32 = ctx && ctx->tf32;
    const int bm = tf32 ? CONV_BM : conv_tile_bm(g->OC), bn = CONV_TILE / bm;
    const int64_t cols = conv_geom_cols(g);
    const int64_t bx = (cols + bn - 1) / bn;
    if (bx > 2147483647LL)
        return ERR(e, SARC_ERR_RANGE, "conv (CUDA): %lld output voxels is too many", (long long)cols);
    dim3 grid((unsigned)bx, (unsigned)((g->OC + bm - 1) / bm));
    if (tf32)
        conv_gemm_kernel<true><<<grid, CONV_THREADS, 0, CTX_STREAM(ctx)>>>(
            *g, in_gpu, w_gpu, bias_gpu, out_gpu, accumulate, bm);
    else
        conv_gemm_kernel<false><<<grid, CONV_THREADS, 0, CTX_STREAM(ctx)>>>(
            *g, in_gpu, w_gpu, bias_gpu, out_gpu, accumulate, bm);
    CUDA_LAUNCHED(e);
    return 0;
}

/* ---- weight gradient ---- */

__global__ void __launch_bounds__(CONV_THREADS)
wgrad_gemm_kernel(struct wgrad_geom g, const float *__restrict__ G, const float *__restrict__ X,
                  float *__restrict__ partial, int64_t chunk_len)
{
    __shared__ float As[CONV_BK][LDS];  /* As[k][m] = G[voxel k, channel m] */
    __shared__ float Bs[CONV_BK][LDSB]; /* Bs[k][n] = X[voxel k shifted by offset of column n] */
    const int tid = threadIdx.x;
    const int64_t K = wgrad_k(&g);
    const int col0 = blockIdx.x * CONV_BN, row0 = blockIdx.y * CONV_BM;
    const int64_t kbeg = (int64_t)blockIdx.z * chunk_len;
    const int64_t kend = kbeg + chunk_len < K ? kbeg + chunk_len : K;
    float acc[4][4] = {{0}};
    for (int64_t k0 = kbeg; k0 < kend; k0 += CONV_BK) {
        wgrad_tile_load(&g, G, X, tid, col0, row0, k0, kend, As, Bs);
        __syncthreads();
        conv_tile_fma(tid, CONV_BM, As, Bs, acc);
        __syncthreads();
    }
    wgrad_tile_store(&g, partial + (int64_t)blockIdx.z * g.GC * wgrad_cols(&g), tid, col0, row0,
                     acc);
}

/* dw[e] += sum over chunks (in chunk order, double) of partial[chunk][e]. */
__global__ void wgrad_reduce_kernel(const float *__restrict__ partial, int64_t nchunks, int64_t MN,
                                    float *__restrict__ dw)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < MN;
         i += (int64_t)gridDim.x * blockDim.x) {
        double s = 0;
        for (int64_t c = 0; c < nchunks; c++)
            s += partial[c * MN + i];
        dw[i] += (float)s;
    }
}

/* db[o] += sum over n and voxels of G[n, o, :]: one block per channel, each thread a fixed
 * strided subset in double, then a fixed tree. */
__global__ void bias_grad_kernel(const float *__restrict__ G, int N, int C, int64_t sp,
                                 float *__restrict__ db)
{
    __shared__ double red[REDUCE_THREADS];
    const int o = blockIdx.x;
    double s = 0;
    for (int n = 0; n < N; n++) {
        const float *row = G + ((int64_t)n * C + o) * sp;
        for (int64_t p = threadIdx.x; p < sp; p += REDUCE_THREADS)
            s += row[p];
    }
    red[threadIdx.x] = s;
    __syncthreads();
    for (int h = REDUCE_THREADS / 2; h > 0; h /= 2) {
        if ((int)threadIdx.x < h)
            red[threadIdx.x] += red[threadIdx.x + h];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        db[o] += (float)red[0];
}

extern "C" size_t conv_wgrad_workspace_bytes(const struct wgrad_geom *g)
{
    return (size_t)wgrad_chunks(g) * (size_t)g->GC * (size_t)wgrad_cols(g) * sizeof(float);
}

extern "C" int conv_wgrad_run(const struct wgrad_geom *g, float *dw_gpu, float *db_gpu,
                              const float *G_gpu, const float *X_gpu, const struct cuda_ctx *ctx,
                              struct sarc_err *e)
{
    if (g->N < 1 || g->GC < 1 || g->XC < 1 || g->GD < 1 || g->GH < 1 || g->GW < 1)
        return ERR(e, SARC_ERR_RANGE, "conv weight gradient (CUDA): bad shape");
    cudaStream_t st = CTX_STREAM(ctx);
    if (db_gpu) {
        bias_grad_kernel<<<g->GC, REDUCE_THREADS, 0, st>>>(
            G_gpu, g->N, g->GC, (int64_t)g->GD * g->GH * g->GW, db_gpu);
        CUDA_LAUNCHED(e);
    }
    if (!dw_gpu)
        return 0;
    const size_t need = conv_wgrad_workspace_bytes(g);
    if (!ctx || ctx->ws_bytes < need)
        return ERR(e, SARC_ERR_ARG, "conv weight gradient (CUDA): workspace %zu bytes, need %zu",
                   ctx ? ctx->ws_bytes : (size_t)0, need);
    const int64_t nch = wgrad_chunks(g);
    const int NC = wgrad_cols(g);
    dim3 grid((unsigned)((NC + CONV_BN - 1) / CONV_BN), (unsigned)((g->GC + CONV_BM - 1) / CONV_BM),
              (unsigned)nch);
    float *partial = (float *)ctx->ws;
    wgrad_gemm_kernel<<<grid, CONV_THREADS, 0, st>>>(*g, G_gpu, X_gpu, partial, wgrad_chunk_len(g));
    CUDA_LAUNCHED(e);
    const int64_t MN = (int64_t)g->GC * NC;
    wgrad_reduce_kernel<<<cuda_grid_for(MN, 256), 256, 0, st>>>(partial, nch, MN, dw_gpu);
    CUDA_LAUNCHED(e);
    return 0;
}
