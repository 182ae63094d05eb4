/* cuda_backend.c - the device U-Net (see cuda_backend.h): nn/unet.c's graph written with the
 * launchers of cuda/, every tensor carved out of one device allocation made at init (sizes
 * first, then one block; nothing is allocated in a step). The whole body is compiled only with
 * SARC_CUDA; CPU-only builds get stubs that return SARC_ERR_UNSUPPORTED.
 * Covered by test/cuda/test_cuda_graph.c (CPU stand-ins) and test/gpu/gpu_check.c through
 * test/gpu/check.sh (needs a GPU). */
#include "nn/cuda_backend.h"

#include <stdlib.h>
#include <string.h>

#ifdef SARC_CUDA

#include "cuda/conv3d.h"
#include "cuda/conv_transpose3d.h"
#include "cuda/cuda_common.h"
#include "cuda/eltwise.h"
#include "cuda/loss.h"
#include "cuda/maxpool3d.h"
#include "cuda/optim.h"

#define NSITES 6 /* dropout sites: input, conv1, conv2, conv3, dconv1, dconv2 */

struct cuda_unet {
    struct unet_arch a;
    int maxN;
    int64_t np;
    int64_t woff[UNET_NLAYERS], boff[UNET_NLAYERS];
    int s0[3], s1[3], h1[3], s2[3], h2[3], s3[3], t1[3];
    struct cuda_ctx ctx;
    void *mem;     /* the one device allocation */
    float *block;  /* (4, np): w | g | m | v */
    /* activations, (N, C, spatial) each */
    float *x, *xd, *c1, *p1, *c2, *p2, *c3, *t1b, *u1, *cat1, *t2, *u2, *cat2, *t3, *logit, *y;
    int32_t *am1, *am2;
    float *mask[NSITES];
    /* gradients of activations */
    float *dlogit, *dt3, *dcat2, *dc1, *du2, *dt2, *dcat1, *dc2, *du1, *dt1, *dc3, *dp2, *dp1;
    float *scal; /* [0] loss, [1] d loss = 1 */
};

static int64_t vol(const int d[3]) { return (int64_t)d[0] * d[1] * d[2]; }

/* carving: offsets first (pass 0 counts, pass 1 assigns) */
struct carver {
    char *base;
    size_t off;
};
static void *carve(struct carver *c, int64_t count, size_t elem)
{
    void *p = c->base ? c->base + c->off : NULL;
    c->off += ((size_t)count * elem + 255) / 256 * 256;
    return p;
}

static void layout(struct cuda_unet *u, struct carver *c, size_t ws_bytes)
{
    const int64_t N = u->maxN, cin = u->a.cin, f1 = u->a.f[0], f2 = u->a.f[1], f3 = u->a.f[2];
    const int64_t n0 = vol(u->s0), n1 = vol(u->s1), nh1 = vol(u->h1), n2 = vol(u->s2);
    const int64_t nh2 = vol(u->h2), n3 = vol(u->s3), nt1 = vol(u->t1);
    const int ch[NSITES] = {(int)cin, (int)f1, (int)f2, (int)f3, (int)f3, (int)f2};
    u->block = carve(c, 4 * u->np, sizeof(float));
    u->x = carve(c, N * cin * n0, 4);
    u->xd = carve(c, N * cin * n0, 4);
    u->c1 = carve(c, N * f1 * n1, 4);
    u->p1 = carve(c, N * f1 * nh1, 4);
    u->am1 = carve(c, N * f1 * nh1, 4);
    u->c2 = carve(c, N * f2 * n2, 4);
    u->p2 = carve(c, N * f2 * nh2, 4);
    u->am2 = carve(c, N * f2 * nh2, 4);
    u->c3 = carve(c, N * f3 * n3, 4);
    u->t1b = carve(c, N * f3 * nt1, 4);
    u->u1 = carve(c, N * f3 * n2, 4);
    const int64_t sk = u->a.skip; /* the concatenations exist only with skips */
    u->cat1 = carve(c, sk * N * (f2 + f3) * n2, 4);
    u->t2 = carve(c, N * f2 * nh1, 4);
    u->u2 = carve(c, N * f2 * n1, 4);
    u->cat2 = carve(c, sk * N * (f1 + f2) * n1, 4);
    u->t3 = carve(c, N * f1 * n0, 4);
    u->logit = carve(c, N * n1, 4);
    u->y = carve(c, N * n1, 4);
    for (int L = 0; L < NSITES; L++)
        u->mask[L] = carve(c, N * ch[L], 4);
    u->dlogit = carve(c, N * n1, 4);
    u->dt3 = carve(c, N * f1 * n0, 4);
    u->dcat2 = carve(c, sk * N * (f1 + f2) * n1, 4);
    u->dc1 = carve(c, N * f1 * n1, 4);
    u->du2 = carve(c, N * f2 * n1, 4);
    u->dt2 = carve(c, N * f2 * nh1, 4);
    u->dcat1 = carve(c, sk * N * (f2 + f3) * n2, 4);
    u->dc2 = carve(c, N * f2 * n2, 4);
    u->du1 = carve(c, N * f3 * n2, 4);
    u->dt1 = carve(c, N * f3 * nt1, 4);
    u->dc3 = carve(c, N * f3 * n3, 4);
    u->dp2 = carve(c, N * f2 * nh2, 4);
    u->dp1 = carve(c, N * f1 * nh1, 4);
    u->scal = carve(c, 4, 4);
    u->ctx.ws = carve(c, (int64_t)ws_bytes, 1);
    u->ctx.ws_bytes = ws_bytes;
}

/* layer dims for batch N: conv layers through conv3d_dims_init, transposed ones through
 * conv_transpose3d_dims_init */
static int layer_dims(const struct cuda_unet *u, int l, int N, struct conv3d_dims *s,
                      struct sarc_err *e)
{
    const int cin = u->a.cin, f1 = u->a.f[0], f2 = u->a.f[1], f3 = u->a.f[2];
    switch (l) {
    case UNET_CONV1: return conv3d_dims_init(s, N, cin, u->s0[0], u->s0[1], u->s0[2], f1, 0, e);
    case UNET_CONV2: return conv3d_dims_init(s, N, f1, u->h1[0], u->h1[1], u->h1[2], f2, 0, e);
    case UNET_CONV3: return conv3d_dims_init(s, N, f2, u->h2[0], u->h2[1], u->h2[2], f3, 0, e);
    case UNET_DCONV1:
        return conv_transpose3d_dims_init(s, N, f3, u->s3[0], u->s3[1], u->s3[2], f3, e);
    case UNET_DCONV2: /* on [conv2 out, up(dconv1)], or up(dconv1) alone without skips */
        return conv_transpose3d_dims_init(s, N, u->a.skip ? f2 + f3 : f3, u->s2[0], u->s2[1],
                                          u->s2[2], f2, e);
    case UNET_DCONV3: /* on [conv1 out, up(dconv2)], or up(dconv2) alone */
        return conv_transpose3d_dims_init(s, N, u->a.skip ? f1 + f2 : f2, u->s1[0], u->s1[1],
                                          u->s1[2], f1, e);
    default: return conv3d_dims_init(s, N, f1, u->s0[0], u->s0[1], u->s0[2], 1, 0, e);
    }
}
static int is_transposed(int l) { return l == UNET_DCONV1 || l == UNET_DCONV2 || l == UNET_DCONV3; }

int cuda_unet_init(struct cuda_unet **out, const struct unet_arch *a, int max_batch, int tf32,
                   struct sarc_err *e)
{
    *out = NULL;
    int rc = unet_arch_check(a, e);
    if (rc)
        return rc;
    if (max_batch < 1 || max_batch > 4096)
        return ERR(e, SARC_ERR_RANGE, "CUDA U-Net: batch %d, expected 1..4096", max_batch);
    struct cuda_unet *u = calloc(1, sizeof *u);
    if (!u)
        return ERR(e, SARC_ERR_NOMEM, "CUDA U-Net: out of host memory");
    u->a = *a;
    u->maxN = max_batch;
    u->ctx.tf32 = tf32 ? 1 : 0;
    struct unet_params hp;
    rc = unet_params_alloc(&hp, a, e);
    if (rc)
        goto fail;
    u->np = hp.n;
    memcpy(u->woff, hp.woff, sizeof u->woff);
    memcpy(u->boff, hp.boff, sizeof u->boff);
    unet_params_free(&hp);
    for (int i = 0; i < 3; i++) {
        u->s0[i] = a->patch[i];
        u->s1[i] = u->s0[i] - 2;
        u->h1[i] = u->s1[i] / 2;
        u->s2[i] = u->h1[i] - 2;
        u->h2[i] = u->s2[i] / 2;
        u->s3[i] = u->h2[i] - 2;
        u->t1[i] = u->s3[i] + 2;
    }
    /* workspace: the largest weight-gradient plan of any layer, or the loss reduction */
    size_t ws = reduce_workspace_bytes_cuda((int64_t)max_batch * vol(u->s1));
    for (int l = 0; l < UNET_NLAYERS; l++) {
        struct conv3d_dims s;
        rc = layer_dims(u, l, max_batch, &s, e);
        if (rc)
            goto fail;
        const size_t need = is_transposed(l) ? conv_transpose3d_workspace_bytes_cuda(&s)
                                             : conv3d_workspace_bytes_cuda(&s);
        if (need > ws)
            ws = need;
    }
    struct carver c = {NULL, 0};
    layout(u, &c, ws);
    rc = cuda_mem_alloc(&u->mem, c.off, e);
    if (rc) {
        err_prefix(e, "CUDA U-Net: %.1f GiB of device memory", c.off / 1073741824.0);
        goto fail;
    }
    c.base = u->mem;
    c.off = 0;
    layout(u, &c, ws);
    const float one[4] = {0, 1, 0, 0};
    rc = cuda_mem_to_device(u->scal, one, sizeof one, e);
    if (rc)
        goto fail;
    rc = cuda_mem_zero(u->block, sizeof(float) * 4 * (size_t)u->np, e);
    if (rc)
        goto fail;
    *out = u;
    return 0;
fail:
    cuda_unet_free(u);
    return rc;
}

void cuda_unet_free(struct cuda_unet *u)
{
    if (!u)
        return;
    cuda_mem_free(u->mem);
    free(u);
}

int64_t cuda_unet_nparams(const struct cuda_unet *u) { return u->np; }

int cuda_unet_params_set(struct cuda_unet *u, const float *params, struct sarc_err *e)
{
    int rc = cuda_mem_zero(u->block + u->np, sizeof(float) * 3 * (size_t)u->np, e);
    return rc ? rc : cuda_mem_to_device(u->block, params, sizeof(float) * (size_t)u->np, e);
}

int cuda_unet_params_get(struct cuda_unet *u, float *params, struct sarc_err *e)
{
    int rc = cuda_sync(&u->ctx, e);
    return rc ? rc : cuda_mem_to_host(params, u->block, sizeof(float) * (size_t)u->np, e);
}

int cuda_unet_grads_get(struct cuda_unet *u, float *grads, struct sarc_err *e)
{
    int rc = cuda_sync(&u->ctx, e);
    return rc ? rc : cuda_mem_to_host(grads, u->block + u->np, sizeof(float) * (size_t)u->np, e);
}

int cuda_unet_state_set(struct cuda_unet *u, const float *w, const float *m, const float *v,
                        struct sarc_err *e)
{
    const size_t nb = sizeof(float) * (size_t)u->np;
    int rc = cuda_mem_zero(u->block + u->np, 3 * nb, e);
    if (!rc)
        rc = cuda_mem_to_device(u->block, w, nb, e);
    if (!rc && m)
        rc = cuda_mem_to_device(u->block + 2 * u->np, m, nb, e);
    if (!rc && v)
        rc = cuda_mem_to_device(u->block + 3 * u->np, v, nb, e);
    return rc;
}

int cuda_unet_state_get(struct cuda_unet *u, float *w, float *m, float *v, struct sarc_err *e)
{
    const size_t nb = sizeof(float) * (size_t)u->np;
    int rc = cuda_sync(&u->ctx, e);
    if (!rc)
        rc = cuda_mem_to_host(w, u->block, nb, e);
    if (!rc && m)
        rc = cuda_mem_to_host(m, u->block + 2 * u->np, nb, e);
    if (!rc && v)
        rc = cuda_mem_to_host(v, u->block + 3 * u->np, nb, e);
    return rc;
}

#define TRY(call)                                                                               \
    do {                                                                                        \
        int rc_ = (call);                                                                       \
        if (rc_)                                                                                \
            return rc_;                                                                         \
    } while (0)
#define W_OF(l) (u->block + u->woff[l])
#define B_OF(l) (u->block + u->boff[l])
#define GW_OF(l) (u->block + u->np + u->woff[l])
#define GB_OF(l) (u->block + u->np + u->boff[l])

static int conv_fwd(struct cuda_unet *u, int l, int N, float *out, const float *in,
                    struct sarc_err *e)
{
    struct conv3d_dims s;
    TRY(layer_dims(u, l, N, &s, e));
    if (is_transposed(l))
        return conv_transpose3d_forward_cuda(out, in, W_OF(l), B_OF(l), &s, &u->ctx, e);
    return conv3d_forward_cuda(out, in, W_OF(l), B_OF(l), &s, &u->ctx, e);
}

/* din = (zeroed, then +=) input gradient (NULL: skip); gradients += into the block */
static int conv_bwd(struct cuda_unet *u, int l, int N, float *din, const float *dout,
                    const float *in, struct sarc_err *e)
{
    struct conv3d_dims s;
    TRY(layer_dims(u, l, N, &s, e));
    if (din)
        TRY(cuda_mem_zero_async(din, sizeof(float) * (size_t)s.N * s.C * s.D * s.H * s.W,
                                &u->ctx, e));
    if (is_transposed(l))
        return conv_transpose3d_backward_cuda(din, GW_OF(l), GB_OF(l), dout, in, W_OF(l), &s,
                                              &u->ctx, e);
    return conv3d_backward_cuda(din, GW_OF(l), GB_OF(l), dout, in, W_OF(l), &s, &u->ctx, e);
}

static int forward_device(struct cuda_unet *u, int N, int train, uint64_t seed, uint64_t step,
                          int sample0, struct sarc_err *e)
{
    const struct cuda_ctx *cx = &u->ctx;
    const int cin = u->a.cin, f1 = u->a.f[0], f2 = u->a.f[1], f3 = u->a.f[2];
    const int ch[NSITES] = {cin, f1, f2, f3, f3, f2};
    const int64_t n0 = vol(u->s0), n1 = vol(u->s1), nh1 = vol(u->h1), n2 = vol(u->s2);
    const int64_t n3 = vol(u->s3), nt1 = vol(u->t1);
    for (int L = 0; L < NSITES; L++)
        TRY(dropout_mask_unet_cuda(u->mask[L], N, ch[L], u->a.dropout, train, seed, step, L,
                                   sample0, cx, e));
    TRY(dropout_forward_cuda(u->xd, u->x, u->mask[0], (int64_t)N * cin, n0, cx, e));
    /* encoder */
    TRY(conv_fwd(u, UNET_CONV1, N, u->c1, u->xd, e));
    TRY(relu_drop_forward_cuda(u->c1, u->mask[1], (int64_t)N * f1, n1, cx, e));
    TRY(maxpool3d_forward_cuda(u->p1, u->am1, u->c1, (int64_t)N * f1, u->s1[0], u->s1[1],
                               u->s1[2], cx, e));
    TRY(conv_fwd(u, UNET_CONV2, N, u->c2, u->p1, e));
    TRY(relu_drop_forward_cuda(u->c2, u->mask[2], (int64_t)N * f2, n2, cx, e));
    TRY(maxpool3d_forward_cuda(u->p2, u->am2, u->c2, (int64_t)N * f2, u->s2[0], u->s2[1],
                               u->s2[2], cx, e));
    TRY(conv_fwd(u, UNET_CONV3, N, u->c3, u->p2, e));
    TRY(relu_drop_forward_cuda(u->c3, u->mask[3], (int64_t)N * f3, n3, cx, e));
    /* decoder */
    TRY(conv_fwd(u, UNET_DCONV1, N, u->t1b, u->c3, e));
    TRY(relu_drop_forward_cuda(u->t1b, u->mask[4], (int64_t)N * f3, nt1, cx, e));
    TRY(upsample2x_forward_cuda(u->u1, u->t1b, (int64_t)N * f3, u->t1[0], u->t1[1], u->t1[2],
                                cx, e));
    if (u->a.skip)
        TRY(concat_forward_cuda(u->cat1, u->c2, u->u1, N, f2, f3, n2, cx, e));
    TRY(conv_fwd(u, UNET_DCONV2, N, u->t2, u->a.skip ? u->cat1 : u->u1, e));
    TRY(relu_drop_forward_cuda(u->t2, u->mask[5], (int64_t)N * f2, nh1, cx, e));
    TRY(upsample2x_forward_cuda(u->u2, u->t2, (int64_t)N * f2, u->h1[0], u->h1[1], u->h1[2],
                                cx, e));
    if (u->a.skip)
        TRY(concat_forward_cuda(u->cat2, u->c1, u->u2, N, f1, f2, n1, cx, e));
    TRY(conv_fwd(u, UNET_DCONV3, N, u->t3, u->a.skip ? u->cat2 : u->u2, e));
    TRY(relu_drop_forward_cuda(u->t3, NULL, (int64_t)N * f1, n0, cx, e));
    return conv_fwd(u, UNET_OUT, N, u->logit, u->t3, e);
}

static int batch_ok(const struct cuda_unet *u, int N, struct sarc_err *e)
{
    if (N < 1 || N > u->maxN)
        return ERR(e, SARC_ERR_RANGE, "CUDA U-Net: batch %d, expected 1..%d", N, u->maxN);
    return 0;
}

int cuda_unet_forward(struct cuda_unet *u, const float *x, int N, int train, uint64_t seed,
                      uint64_t step, int sample0, float *logits, struct sarc_err *e)
{
    TRY(batch_ok(u, N, e));
    const int64_t nx = (int64_t)N * u->a.cin * vol(u->s0);
    TRY(cuda_mem_to_device(u->x, x, sizeof(float) * (size_t)nx, e));
    TRY(forward_device(u, N, train, seed, step, sample0, e));
    TRY(cuda_sync(&u->ctx, e));
    if (logits)
        TRY(cuda_mem_to_host(logits, u->logit, sizeof(float) * (size_t)N * vol(u->s1), e));
    return 0;
}

/* dlogit_ready 0: dlogit = d(mean BCE)/dlogit from logit and y; 1: dlogit already holds it */
static int backward_device(struct cuda_unet *u, int N, int dlogit_ready, struct sarc_err *e)
{
    const struct cuda_ctx *cx = &u->ctx;
    const int f1 = u->a.f[0], f2 = u->a.f[1], f3 = u->a.f[2];
    const int64_t n0 = vol(u->s0), n1 = vol(u->s1), nh1 = vol(u->h1), n2 = vol(u->s2);
    const int64_t n3 = vol(u->s3), nt1 = vol(u->t1);
    /* gradients of this batch only */
    TRY(cuda_mem_zero_async(u->block + u->np, sizeof(float) * (size_t)u->np, cx, e));
    if (!dlogit_ready) {
        TRY(cuda_mem_zero_async(u->dlogit, sizeof(float) * (size_t)N * n1, cx, e));
        TRY(bce_logits_backward_cuda(u->dlogit, u->scal + 1, u->logit, u->y, (int64_t)N * n1,
                                     cx, e));
    }
    /* out conv, dconv3 */
    TRY(conv_bwd(u, UNET_OUT, N, u->dt3, u->dlogit, u->t3, e));
    TRY(relu_drop_backward_cuda(u->dt3, u->t3, NULL, (int64_t)N * f1, n0, cx, e));
    /* skip: the concat's gradient splits into conv1's share and up(dconv2)'s; no skip: all of
     * it is up(dconv2)'s and conv1's share is 0 */
    TRY(cuda_mem_zero_async(u->dc1, sizeof(float) * (size_t)N * f1 * n1, cx, e));
    if (u->a.skip) {
        TRY(conv_bwd(u, UNET_DCONV3, N, u->dcat2, u->dt3, u->cat2, e));
        TRY(cuda_mem_zero_async(u->du2, sizeof(float) * (size_t)N * f2 * n1, cx, e));
        TRY(concat_backward_cuda(u->dc1, u->du2, u->dcat2, N, f1, f2, n1, cx, e));
    } else
        TRY(conv_bwd(u, UNET_DCONV3, N, u->du2, u->dt3, u->u2, e));
    TRY(cuda_mem_zero_async(u->dt2, sizeof(float) * (size_t)N * f2 * nh1, cx, e));
    TRY(upsample2x_backward_cuda(u->dt2, u->du2, (int64_t)N * f2, u->h1[0], u->h1[1], u->h1[2],
                                 cx, e));
    TRY(relu_drop_backward_cuda(u->dt2, u->t2, u->mask[5], (int64_t)N * f2, nh1, cx, e));
    /* dconv2 */
    TRY(cuda_mem_zero_async(u->dc2, sizeof(float) * (size_t)N * f2 * n2, cx, e));
    if (u->a.skip) {
        TRY(conv_bwd(u, UNET_DCONV2, N, u->dcat1, u->dt2, u->cat1, e));
        TRY(cuda_mem_zero_async(u->du1, sizeof(float) * (size_t)N * f3 * n2, cx, e));
        TRY(concat_backward_cuda(u->dc2, u->du1, u->dcat1, N, f2, f3, n2, cx, e));
    } else
        TRY(conv_bwd(u, UNET_DCONV2, N, u->du1, u->dt2, u->u1, e));
    TRY(cuda_mem_zero_async(u->dt1, sizeof(float) * (size_t)N * f3 * nt1, cx, e));
    TRY(upsample2x_backward_cuda(u->dt1, u->du1, (int64_t)N * f3, u->t1[0], u->t1[1], u->t1[2],
                                 cx, e));
    TRY(relu_drop_backward_cuda(u->dt1, u->t1b, u->mask[4], (int64_t)N * f3, nt1, cx, e));
    /* dconv1, conv3 */
    TRY(conv_bwd(u, UNET_DCONV1, N, u->dc3, u->dt1, u->c3, e));
    TRY(relu_drop_backward_cuda(u->dc3, u->c3, u->mask[3], (int64_t)N * f3, n3, cx, e));
    TRY(conv_bwd(u, UNET_CONV3, N, u->dp2, u->dc3, u->p2, e));
    /* pool 2 gradient on top of the skip share already in dc2 */
    TRY(maxpool3d_backward_cuda(u->dc2, u->dp2, u->am2, (int64_t)N * f2, u->s2[0], u->s2[1],
                                u->s2[2], cx, e));
    TRY(relu_drop_backward_cuda(u->dc2, u->c2, u->mask[2], (int64_t)N * f2, n2, cx, e));
    TRY(conv_bwd(u, UNET_CONV2, N, u->dp1, u->dc2, u->p1, e));
    TRY(maxpool3d_backward_cuda(u->dc1, u->dp1, u->am1, (int64_t)N * f1, u->s1[0], u->s1[1],
                                u->s1[2], cx, e));
    TRY(relu_drop_backward_cuda(u->dc1, u->c1, u->mask[1], (int64_t)N * f1, n1, cx, e));
    return conv_bwd(u, UNET_CONV1, N, NULL, u->dc1, u->xd, e);
}

int cuda_unet_backward(struct cuda_unet *u, const float *dlogit, int N, struct sarc_err *e)
{
    TRY(batch_ok(u, N, e));
    TRY(cuda_mem_to_device(u->dlogit, dlogit, sizeof(float) * (size_t)N * vol(u->s1), e));
    return backward_device(u, N, 1, e);
}

int cuda_unet_adam_step(struct cuda_unet *u, struct nn_adam *a, struct sarc_err *e)
{
    return adam_step_cuda(a, u->block, u->np, &u->ctx, e);
}

int cuda_unet_train_step(struct cuda_unet *u, const float *x, const float *y, int N,
                         uint64_t seed, uint64_t step, struct nn_adam *a, double *loss,
                         struct sarc_err *e)
{
    TRY(batch_ok(u, N, e));
    const int64_t nx = (int64_t)N * u->a.cin * vol(u->s0), ny = (int64_t)N * vol(u->s1);
    TRY(cuda_mem_to_device(u->x, x, sizeof(float) * (size_t)nx, e));
    TRY(cuda_mem_to_device(u->y, y, sizeof(float) * (size_t)ny, e));
    TRY(forward_device(u, N, 1, seed, step, 0, e));
    TRY(bce_logits_forward_cuda(u->scal, u->logit, u->y, ny, &u->ctx, e));
    TRY(backward_device(u, N, 0, e));
    TRY(adam_step_cuda(a, u->block, u->np, &u->ctx, e));
    float l = 0;
    TRY(cuda_sync(&u->ctx, e));
    TRY(cuda_mem_to_host(&l, u->scal, sizeof l, e));
    if (loss)
        *loss = l;
    return 0;
}

const struct unet_dev_ops cuda_unet_ops = {cuda_unet_init,     cuda_unet_free,
                                            cuda_unet_state_set, cuda_unet_state_get,
                                            cuda_unet_forward,  cuda_unet_backward,
                                            cuda_unet_adam_step};

#else /* CPU-only build */

struct cuda_unet {
    int unused;
};

static int no_cuda(struct sarc_err *e)
{
    return ERR(e, SARC_ERR_UNSUPPORTED, "built without CUDA: rebuild with nvcc on PATH");
}

int cuda_unet_init(struct cuda_unet **u, const struct unet_arch *a, int max_batch, int tf32,
                   struct sarc_err *e)
{
    (void)a, (void)max_batch, (void)tf32;
    *u = NULL;
    return no_cuda(e);
}
void cuda_unet_free(struct cuda_unet *u) { free(u); }
int64_t cuda_unet_nparams(const struct cuda_unet *u) { return u ? 0 : 0; }
int cuda_unet_params_set(struct cuda_unet *u, const float *params, struct sarc_err *e)
{
    (void)u, (void)params;
    return no_cuda(e);
}
int cuda_unet_params_get(struct cuda_unet *u, float *params, struct sarc_err *e)
{
    (void)u, (void)params;
    return no_cuda(e);
}
int cuda_unet_grads_get(struct cuda_unet *u, float *grads, struct sarc_err *e)
{
    (void)u, (void)grads;
    return no_cuda(e);
}
int cuda_unet_forward(struct cuda_unet *u, const float *x, int N, int train, uint64_t seed,
                      uint64_t step, int sample0, float *logits, struct sarc_err *e)
{
    (void)u, (void)x, (void)N, (void)train, (void)seed, (void)step, (void)sample0, (void)logits;
    return no_cuda(e);
}
int cuda_unet_train_step(struct cuda_unet *u, const float *x, const float *y, int N,
                         uint64_t seed, uint64_t step, struct nn_adam *a, double *loss,
                         struct sarc_err *e)
{
    (void)u, (void)x, (void)y, (void)N, (void)seed, (void)step, (void)a, (void)loss;
    return no_cuda(e);
}
int cuda_unet_backward(struct cuda_unet *u, const float *dlogit, int N, struct sarc_err *e)
{
    (void)u, (void)dlogit, (void)N;
    return no_cuda(e);
}
int cuda_unet_adam_step(struct cuda_unet *u, struct nn_adam *a, struct sarc_err *e)
{
    (void)u, (void)a;
    return no_cuda(e);
}
int cuda_unet_state_set(struct cuda_unet *u, const float *w, const float *m, const float *v,
                        struct sarc_err *e)
{
    (void)u, (void)w, (void)m, (void)v;
    return no_cuda(e);
}
int cuda_unet_state_get(struct cuda_unet *u, float *w, float *m, float *v, struct sarc_err *e)
{
    (void)u, (void)w, (void)m, (void)v;
    return no_cuda(e);
}

const struct unet_dev_ops cuda_unet_ops = {cuda_unet_init,     cuda_unet_free,
                                            cuda_unet_state_set, cuda_unet_state_get,
                                            cuda_unet_forward,  cuda_unet_backward,
                                            cuda_unet_adam_step};

#endif
