/* fuzz_nifti.c - libFuzzer target for the NIfTI reader (io/nifti.c) and the gzip paths
 * (vendor/gzip.c): the input is parsed as a single-file .nii from memory (all frames and frame 0),
 * inflated as gzip, zlib and raw deflate with a small output limit, and when it inflates, the
 * result is parsed as a .nii too (the .nii.gz path). Seeds: test/fuzz/corpus/nifti/ (replayed by
 * test/fuzz/test_replay_nifti.c in `make test`). Run with `make fuzz`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "io/nifti.h"
#include "vendor/gzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_both(const uint8_t *data, size_t size)
{
    struct volume v;
    struct sarc_err e;
    if (nifti_parse(data, size, NULL, &v, &e) == 0)
        volume_free(&v);
    struct volume_read_opts o = {0, NULL};
    if (nifti_parse(data, size, &o, &v, &e) == 0)
        volume_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sarc_err e;
    uint8_t *out = NULL;
    size_t n = 0, used = 0;
    parse_both(data, size);
    if (gzip_decompress(data, size, &out, &n, (size_t)1 << 24, &e) == 0) {
        parse_both(out, n);
        free(out);
    }
    if (zlib_decompress(data, size, &out, &n, (size_t)1 << 24, &e) == 0)
        free(out);
    if (inflate_raw(data, size, &out, &n, (size_t)1 << 24, &used, &e) == 0)
        free(out);
    uint8_t head[600];
    (void)gzip_peek(data, size, head, sizeof head, &n, &e);
    return 0;
}
