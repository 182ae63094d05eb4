/* tensor.c - tensor shapes and the bump arena of nn/ (see tensor.h).
 * Covered by test/nn/test_nn_misc.c. */
#include "nn/tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 64

struct nn_arena_block {
    struct nn_arena_block *next;
    size_t size, off; /* usable bytes after the header, bytes handed out */
    unsigned char *mem;
    void *raw;        /* what malloc returned */
};

int tensor_count(int ndim, const int *shape, int64_t *n, struct sarc_err *e)
{
    *n = 0;
    if (ndim < 1 || ndim > TENSOR_MAXDIM)
        return ERR(e, SARC_ERR_RANGE, "tensor ndim = %d, expected 1..%d", ndim, TENSOR_MAXDIM);
    int64_t c = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 1 || shape[i] > (1 << 30))
            return ERR(e, SARC_ERR_RANGE, "tensor shape[%d] = %d, expected 1..%d", i, shape[i],
                       1 << 30);
        c *= shape[i];
        if (c > ((int64_t)1 << 40))
            return ERR(e, SARC_ERR_RANGE, "tensor has more than 2^40 elements");
    }
    *n = c;
    return 0;
}

int tensor_set_shape(struct tensor *t, int ndim, const int *shape, struct sarc_err *e)
{
    int64_t n;
    int rc = tensor_count(ndim, shape, &n, e);
    if (rc)
        return rc;
    t->ndim = ndim;
    for (int i = 0; i < TENSOR_MAXDIM; i++)
        t->shape[i] = i < ndim ? shape[i] : 1;
    t->n = n;
    return 0;
}

int tensor_same_shape(const struct tensor *a, const struct tensor *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return 0;
    return 1;
}

void tensor_shape_str(const struct tensor *t, char *buf, size_t size)
{
    size_t off = 0;
    if (size == 0)
        return;
    buf[0] = 0;
    for (int i = 0; i < t->ndim && off < size; i++) {
        int w = snprintf(buf + off, size - off, "%s%d", i ? ", " : "(", t->shape[i]);
        if (w < 0)
            return;
        off += (size_t)w;
    }
    if (off < size)
        snprintf(buf + off, size - off, ")");
}

void nn_arena_init(struct nn_arena *a) { memset(a, 0, sizeof *a); }

/* A block with at least size usable bytes, 64-byte aligned, zeroed. */
static struct nn_arena_block *block_new(size_t size)
{
    struct nn_arena_block *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    size_t total;
    if (size_add(size, ARENA_ALIGN, &total)) {
        free(b);
        return NULL;
    }
    b->raw = calloc(1, total);
    if (!b->raw) {
        free(b);
        return NULL;
    }
    uintptr_t p = (uintptr_t)b->raw;
    b->mem = (unsigned char *)((p + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1));
    b->size = size;
    return b;
}

void *nn_arena_alloc(struct nn_arena *a, size_t nbytes, struct sarc_err *e)
{
    size_t need;
    if (nbytes == 0)
        nbytes = 1;
    if (size_add(nbytes, ARENA_ALIGN - 1, &need)) {
        ERR(e, SARC_ERR_NOMEM, "arena request of %zu bytes overflows", nbytes);
        return NULL;
    }
    need &= ~(size_t)(ARENA_ALIGN - 1);
    if (a->limit && (a->used > a->limit || need > a->limit - a->used)) {
        ERR(e, SARC_ERR_NOMEM, "arena limit of %zu bytes exceeded (%zu in use, %zu asked)",
            a->limit, a->used, need);
        return NULL;
    }
    struct nn_arena_block *b = a->head;
    if (!b || b->size - b->off < need) {
        /* a new block: at least 1 MiB, at least twice the previous one */
        size_t size = need;
        if (size < ((size_t)1 << 20))
            size = (size_t)1 << 20;
        if (b && size < 2 * b->size && b->size < ((size_t)1 << 40))
            size = 2 * b->size;
        b = block_new(size);
        if (!b) {
            ERR(e, SARC_ERR_NOMEM, "out of memory allocating %zu bytes for tensors", size);
            return NULL;
        }
        b->next = a->head;
        a->head = b;
    }
    void *p = b->mem + b->off;
    b->off += need;
    a->used += need;
    if (a->used > a->high)
        a->high = a->used;
    return p;
}

int nn_arena_tensor(struct nn_arena *a, struct tensor *t, int ndim, const int *shape,
                    struct sarc_err *e)
{
    t->data = NULL;
    int rc = tensor_set_shape(t, ndim, shape, e);
    if (rc)
        return rc;
    size_t nbytes;
    if (size_mul((size_t)t->n, sizeof(float), &nbytes))
        return ERR(e, SARC_ERR_NOMEM, "tensor of %lld elements overflows", (long long)t->n);
    t->data = nn_arena_alloc(a, nbytes, e);
    return t->data ? 0 : SARC_ERR_NOMEM;
}

void nn_arena_reset(struct nn_arena *a)
{
    struct nn_arena_block *b = a->head;
    if (b && !b->next && b->size >= a->high) {
        /* one block big enough already: clear what was used and reuse it */
        if (!a->no_zero)
            memset(b->mem, 0, b->off);
        b->off = 0;
        a->used = 0;
        return;
    }
    size_t keep = a->high;
    nn_arena_free(a);
    a->high = keep;
    if (keep)
        a->head = block_new(keep); /* NULL is fine: the next alloc retries */
}

void nn_arena_free(struct nn_arena *a)
{
    struct nn_arena_block *b = a->head;
    while (b) {
        struct nn_arena_block *next = b->next;
        free(b->raw);
        free(b);
        b = next;
    }
    const size_t limit = a->limit;
    const int no_zero = a->no_zero;
    memset(a, 0, sizeof *a);
    a->limit = limit;
    a->no_zero = no_zero;
}
