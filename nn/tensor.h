/* tensor.h - the tensor type of nn/ and the arena that owns tensor memory.
 *
 * A tensor is float32, contiguous, up to 5-D, in the documented layout (N, C, D, H, W): the last
 * dimension is fastest. A tensor never owns its data: the data lives in an arena (activations,
 * gradients and saved state of one training step: struct nn_arena, freed or reset in one call)
 * or in a parameter block (nn/optim.h), or in caller memory that a tape leaf aliases.
 *
 * The arena is a bump allocator over a list of blocks; nn_arena_reset() keeps one block as large
 * as everything that was allocated before, so from the second training step on nothing is
 * allocated inside a step. Memory is 64-byte aligned and zero-filled by nn_arena_alloc.
 * Covered by test/nn/test_nn_misc.c. */
#ifndef SARC_NN_TENSOR_H
#define SARC_NN_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "vendor/err.h"

#define TENSOR_MAXDIM 5

struct tensor {
    float *data;                /* n floats, contiguous, not owned */
    int ndim;                   /* 1..TENSOR_MAXDIM */
    int shape[TENSOR_MAXDIM];   /* shape[0..ndim-1]; entries past ndim are 1 */
    int64_t n;                  /* product of the shape */
};

/* Element count of a shape: 0 and SARC_ERR_RANGE if ndim is not 1..5, an extent is < 1 or
 * > 1<<30, or the product exceeds 1<<40 elements. */
int tensor_count(int ndim, const int *shape, int64_t *n, struct sarc_err *e);

/* Fills t's shape fields (data untouched). Errors as tensor_count. */
int tensor_set_shape(struct tensor *t, int ndim, const int *shape, struct sarc_err *e);

/* 1 if a and b have the same ndim and extents. */
int tensor_same_shape(const struct tensor *a, const struct tensor *b);

/* Writes "(2, 3, 18, 142, 142)" into buf. */
void tensor_shape_str(const struct tensor *t, char *buf, size_t size);

/* ---- arena ---- */

struct nn_arena_block;

struct nn_arena {
    struct nn_arena_block *head; /* newest block first */
    size_t used;                 /* bytes handed out since the last reset (with padding) */
    size_t high;                 /* largest `used` seen: the size kept by reset */
    size_t limit;                /* 0 = no limit; else allocations beyond it fail NOMEM */
    int no_zero;                 /* 1: reset does not clear memory (scratch whose users write
                                    before they read); allocations are then NOT zeroed */
};

/* An empty arena (no memory yet). */
void nn_arena_init(struct nn_arena *a);

/* nbytes of zeroed (unless no_zero), 64-byte aligned memory owned by the arena, valid until the
 * next reset or free. NULL + SARC_ERR_NOMEM on failure or when the limit would be exceeded. */
void *nn_arena_alloc(struct nn_arena *a, size_t nbytes, struct sarc_err *e);

/* Allocates a tensor of the given shape in the arena (zeroed). */
int nn_arena_tensor(struct nn_arena *a, struct tensor *t, int ndim, const int *shape,
                    struct sarc_err *e);

/* Invalidates everything allocated so far; keeps one block of the high-water size so that the
 * next step allocates nothing new. */
void nn_arena_reset(struct nn_arena *a);

/* Frees all memory; the arena is empty again (may be reused). */
void nn_arena_free(struct nn_arena *a);

#endif
