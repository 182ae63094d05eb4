/* fmap_fast.h - the fast per-voxel kernels of the voxel-based feature maps (radiomics/featuremap.c):
 * first order, GLCM, GLRLM, GLSZM, GLDM and NGTDM computed straight from a kernel box of levels,
 * without allocation per voxel. Same definitions as firstorder.c, glcm.c, ... (PyRadiomics 3.0.1,
 * FACTS.md sections 9-14); internal to radiomics/. Covered by test/radiomics/test_featuremap.c
 * (fast path against the per-class reference path on every voxel, and PyRadiomics goldens). */
#ifndef SARC_FMAP_FAST_H
#define SARC_FMAP_FAST_H

#include <stdint.h>

#include "radiomics/radiomics.h"

#define FMAP_MAX_OFF 1000

/* Built once per map (read-only, shared by the threads): the kernel box and every list and
 * table on it. */
struct fmap_plan {
    int bn[3];      /* box extents x, y, z (2 R + 1, or 1 along force2Ddimension) */
    int B;          /* bn[0] * bn[1] * bn[2] */
    int ng;         /* largest level of the discretisation (global) */
    int na;         /* GLCM offsets on the full box, rad_offsets' order */
    int off[FMAP_MAX_OFF][3]; /* (dk, dj, di) */
    int *pstart;    /* na + 1: pairs of offset a are pair[pstart[a] .. pstart[a + 1]) */
    int *pair;      /* (p, q) box positions, q = p + offset, both inside the box */
    int maxcount;   /* largest count a matrix cell, row or total can reach (2 B + 2) */
    double *ltab;   /* log2(c) for c = 0..maxcount (ltab[0] = 0, unused) */
    double *kw;     /* (ng + 1, 5): GLCM difference weights by k */
    double *sqtab, *isqtab; /* sqrt(c), 1 / sqrt(c) for c = 0..maxcount (MCC) */
    double *j2tab, *ij2tab; /* (c + 1)^2 and 1 / (c + 1)^2 for c = 0..maxcount (size columns) */
    double *il2tab; /* 1 / l^2 for the levels l = 1..ng (il2tab[0] = 0, unused) */
    int gmax;       /* the most distinct levels a kernel can hold: min(B, ng) */
    int glcm_fast;  /* the fast GLCM applies (no weightingNorm) */
    int no;         /* GLDM / NGTDM neighbour offsets (all of the distances) */
    int *nb_start;  /* B + 1: neighbours of box position p are nb[nb_start[p] .. nb_start[p + 1]) */
    int *nb;        /* neighbour positions inside the box */
    int nr;         /* GLRLM offsets (distance 1, half) on the full box, rad_offsets' order */
    int roff[13][3];
    int *rprev, *rnext; /* (nr, B): the box position one step back / forward, -1 outside */
    int *lpos;      /* (nr, B + 1): box positions line by line along each GLRLM offset (+1 spare) */
    uint8_t *lflag; /* (nr, B + 1): bit 0 first of its line, bit 1 last of its line */
    int L;          /* longest line of the box (run-length columns) */
    int nz1;        /* GLSZM connectivity offsets (distance 1, full) */
    int *zb_start, *zb; /* their neighbour lists inside the box, as nb_start / nb */
    int want_mcc;   /* MCC enabled (else NaN, no eigenproblem) */
    int roi_levels; /* distinct levels of the whole ROI (rad_roi.voxel_levels; set by the caller) */
    int sym;        /* symmetricalGLCM */
};

/* Per-thread scratch, sized from the plan. */
struct fmap_scratch {
    int G;          /* distinct levels of the current kernel (fmap_kernel_begin) */
    int *gi;        /* ng + 1: global level -> local index, -1 when absent */
    int *loc;       /* B: local level index per box position, -1 outside the kernel */
    double *val;    /* gmax level values */
    int *C;         /* gmax^2 counts (symmetrised); all zero between directions */
    int *ckey;      /* B: the non-zero cells of C (upper triangle when symmetric), as i * G + j */
    int *rr, *rc;   /* gmax row / column sums */
    int *sumc, *difc; /* 2 ng + 1 / ng + 1 counts by level sum / difference */
    int *sumk, *difk; /* their touched keys */
    double *S, *S2, *eigw; /* MCC matrices gmax^2 and eigenvalues */
    int *id2;
    double *fa;     /* na * 24 per-direction features */
    double *v;      /* B sorted intensities */
    int *cell_i, *cell_j; /* gmax^2: the non-zero GLCM cells of one direction */
    double *cell_v;
    uint32_t *dcnt; /* gmax * (no + 1): GLDM counts, all zero between calls */
    int *dsum;      /* no + 1 + gmax: their column and row sums */
    double *nn, *sv; /* gmax: NGTDM counts and sums */
    int *rsum;      /* L + gmax + 1: GLRLM column and row sums */
    uint32_t *rcnt; /* (gmax + 1) * L run-length counts (row gmax: background), all zero between directions */
    int *rl;        /* B run lengths */
    int *stack, *zg, *zs; /* B: GLSZM flood fill, zone level index and size */
    int *vis;       /* B */
    double *pg, *ps; /* gmax / B + 1 */
    uint8_t *dne;   /* na: 1 where fmap_glcm found a pair along offset a in the current kernel */
};

int fmap_plan_init(struct fmap_plan *pl, const struct rad_settings *s, int ng, struct sarc_err *e);
void fmap_plan_free(struct fmap_plan *pl);
int fmap_scratch_init(struct fmap_scratch *w, const struct fmap_plan *pl);
void fmap_scratch_free(struct fmap_scratch *w);

/* One voxel: fmap_kernel_begin indexes the kernel's levels (lev: B global levels, 0 = not in
 * the kernel) for the class functions below, fmap_kernel_end clears that index. */
void fmap_kernel_begin(const struct fmap_plan *pl, struct fmap_scratch *w, const int *lev);
void fmap_kernel_end(struct fmap_scratch *w);

/* lev: B global levels of the kernel box (0: not in the kernel), x: B intensities. ext: the
 * extents (x, y, z) of the kernel box clipped to the grid, which decide (as the per-class path
 * does) which offsets exist. out: the 18 / 24 features in rad_class_table order. */
int fmap_firstorder(const struct fmap_plan *pl, struct fmap_scratch *w, const int *lev, const double *x,
                    const struct rad_settings *s, const double sp[3], double *out);
int fmap_glcm(const struct fmap_plan *pl, struct fmap_scratch *w, const int *lev, const int ext[3],
              double *out, struct sarc_err *e);
/* GLDM and NGTDM of the kernel: gldm.c / ngtdm.c's arithmetic in their order (NGTDM
 * bit-identical; GLDM's entropy from the log2 table, about 1e-16 relative). */
int fmap_gldm(const struct fmap_plan *pl, struct fmap_scratch *w, const int *lev, const struct rad_settings *s, double *out);
int fmap_ngtdm(const struct fmap_plan *pl, struct fmap_scratch *w, const int *lev, double *out);
/* GLRLM (no weightingNorm) and GLSZM of the kernel: glrlm.c / glszm.c's arithmetic, entropies
 * from the log2 table (about 1e-16 relative). */
int fmap_glrlm(const struct fmap_plan *pl, struct fmap_scratch *w, const int *lev, const int ext[3], double *out);
int fmap_glszm(const struct fmap_plan *pl, struct fmap_scratch *w, const int *lev, double *out);
/* glrlm.c: the 16 features of one run-length matrix P (G x L, column c = run length c + 1);
 * lt: NULL or a log2 table of the integers (tex_size_sums_lt). */
void glrlm_matrix_features(const double *P, int G, int L, const double *val, const double *lt, double *f);

#endif
