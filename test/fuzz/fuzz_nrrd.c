/* fuzz_nrrd.c - libFuzzer target for the NRRD reader (io/nrrd.c): header parsing and decoding of an
 * attached .nrrd from memory, with and without a segment selection. Seeds:
 * test/fuzz/corpus/nrrd/ (replayed by test/fuzz/test_replay_readers.c in `make test`). Run with
 * `make fuzz`. */
#include <stddef.h>
#include <stdint.h>

#include "io/nrrd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nrrd_header h;
    struct sarc_err e;
    if (nrrd_parse_header(data, size, &h, &e) == 0)
        nrrd_header_free(&h);
    struct volume v;
    if (nrrd_parse(data, size, NULL, &v, &e) == 0)
        volume_free(&v);
    struct volume_read_opts o = {-1, "1"};
    if (nrrd_parse(data, size, &o, &v, &e) == 0)
        volume_free(&v);
    return 0;
}
