/* fuzz_jcamp.c - libFuzzer target for the JCAMP-DX parser (io/jcamp.c): parses the input from
 * memory and walks every accessor over every parameter. Seeds: test/fuzz/corpus/jcamp/ (replayed
 * by test/fuzz/test_replay_readers.c in `make test`). Run with `make fuzz`. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "io/jcamp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jcamp j;
    struct sarc_err e;
    if (jcamp_parse((const char *)data, size, &j, &e) == 0) {
        FILE *null = fopen("/dev/null", "w");
        for (int i = 0; i < j.nparam; i++) {
            double v[16];
            (void)jcamp_nums(&j, j.param[i].name, v, 16);
            (void)jcamp_str(&j, j.param[i].name);
            (void)jcamp_count(&j, j.param[i].name);
            if (null)
                jcamp_param_print(null, &j.param[i]);
        }
        if (null)
            fclose(null);
        jcamp_free(&j);
    }
    return 0;
}
