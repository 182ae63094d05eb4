/* bruker.h - Bruker ParaVision 2dseq images with their JCAMP-DX parameters (visu_pars for PV 6
 * and 360; reco + d3proc for PV 5). Accepts the 2dseq path, its pdata/N folder, or the
 * experiment folder (pdata/1). Covered by test/io/test_bruker.c. */
#ifndef SARC_BRUKER_H
#define SARC_BRUKER_H

#include "io/volio.h"

int bruker_read(const char *path, const struct volume_read_opts *opts, struct volume *v, struct sarc_err *e);

#endif
