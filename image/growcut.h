/* growcut.h - GrowCut semi-automatic segmentation (Vezhnevets & Konouchine 2005, "GrowCut -
 * interactive multi-label N-D image segmentation by cellular automata"), the method of 3D
 * Slicer's GrowCut effect. Covered by test/image/test_growcut.c. */
#ifndef SARC_GROWCUT_H
#define SARC_GROWCUT_H

#include <stdint.h>

#include "io/volume.h"
#include "vendor/err.h"

/* Grows the seed labels over image (first frame). seeds: nx*ny*nz bytes, 0 = unknown, 1 = tumour,
 * 2 = background (others are an error; both 1 and 2 must occur). labels (same size, written):
 * 0 = unreached, 1, 2. max_iterations <= 0 means until convergence (at most nx+ny+nz+... steps
 * are ever needed in practice; a hard cap of 100000 applies). *iterations (may be NULL) gets the
 * number of automaton steps run. */
int growcut_segment(const struct volume *image, const uint8_t *seeds, int max_iterations, uint8_t *labels,
                    int *iterations, struct sarc_err *e);

#endif
