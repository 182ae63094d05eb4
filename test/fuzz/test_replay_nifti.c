/* test_replay_nifti.c - replays test/fuzz/corpus/nifti/ (seeds from nibabel, made by
 * test/oracles/nifti_make_corpus.py, plus any crash-* reproducers of `make fuzz`) through the same
 * calls as test/fuzz/fuzz_nifti.c: every file must parse or fail with a message, never crash
 * (SAN=1 turns a memory error into a failure). The valid seeds must read as nibabel wrote them.
 * Then a small always-on fuzz run: deterministic mutations (byte sets, header-field sets,
 * truncations; keyed by vendor/rng.h) of every seed. */
#include <dirent.h>
#include <stdlib.h>

#include "io/file.h"
#include "io/nifti.h"
#include "test/harness.h"
#include "vendor/gzip.h"
#include "vendor/rng.h"

/* The fuzz target's calls; returns 1 if the bytes parsed as .nii (directly or after gzip), 0 on
 * clean errors, -1 if an error came without a message. */
static int run_one(const uint8_t *b, size_t n)
{
    struct volume v;
    struct sarc_err e;
    int parsed = 0;
    err_clear(&e);
    if (nifti_parse(b, n, NULL, &v, &e) == 0) {
        parsed = 1;
        volume_free(&v);
    } else if (!e.msg[0] || v.data)
        return -1;
    uint8_t *out = NULL;
    size_t on = 0, used = 0;
    err_clear(&e);
    if (gzip_decompress(b, n, &out, &on, (size_t)1 << 24, &e) == 0) {
        err_clear(&e);
        if (nifti_parse(out, on, NULL, &v, &e) == 0) {
            parsed = 1;
            volume_free(&v);
        } else if (!e.msg[0])
            parsed = -1;
        free(out);
    } else if (!e.msg[0] || out)
        return -1;
    if (zlib_decompress(b, n, &out, &on, (size_t)1 << 24, &e) == 0)
        free(out);
    if (inflate_raw(b, n, &out, &on, (size_t)1 << 24, &used, &e) == 0)
        free(out);
    return parsed;
}

TEST(fuzz_nifti_corpus_replay)
{
    const char *dir = "test/fuzz/corpus/nifti";
    DIR *d = opendir(dir);
    REQUIRE_MSG(d, "no %s", dir);
    struct dirent *de;
    int files = 0, parsed = 0;
    uint64_t key = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !strcmp(de->d_name, "README"))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        uint8_t *b = NULL;
        size_t n = 0;
        struct sarc_err e = {0};
        if (file_read_all(path, &b, &n, 0, &e) != 0)
            continue;
        files++;
        int r = run_one(b, n);
        CHECK_MSG(r >= 0, "%s: an error without a message", de->d_name);
        const int should_parse = strncmp(de->d_name, "bad", 3) && strncmp(de->d_name, "trunc", 5) && strncmp(de->d_name, "dims", 4) &&
                                 strncmp(de->d_name, "unknown", 7) && strncmp(de->d_name, "crash", 5);
        if (should_parse)
            CHECK_MSG(r == 1, "%s: a valid seed did not parse", de->d_name);
        else if (strncmp(de->d_name, "crash", 5))
            CHECK_MSG(r == 0, "%s: a malformed seed parsed", de->d_name);
        parsed += r == 1;
        /* mutations of this seed: 200 per file, deterministic */
        uint8_t *m = malloc(n ? n : 1);
        REQUIRE(m);
        key++;
        for (uint64_t k = 0; k < 200 && n; k++) {
            memcpy(m, b, n);
            size_t len = n;
            uint32_t kind = rng_u32(11, key, 4 * k) % 4;
            uint32_t pos = rng_u32(11, key, 4 * k + 1) % (uint32_t)n;
            uint32_t val = rng_u32(11, key, 4 * k + 2);
            if (kind == 0)
                m[pos] = (uint8_t)val;
            else if (kind == 1 && pos + 1 < n) /* a 16-bit header field (dims, datatype) */
                m[pos & ~1u] = (uint8_t)val, m[(pos & ~1u) + 1] = (uint8_t)(val >> 8);
            else if (kind == 2)
                len = pos;
            else
                m[pos] ^= (uint8_t)(1u << (val & 7));
            int rr = run_one(m, len);
            CHECK_MSG(rr >= 0, "%s mutation %llu: an error without a message", de->d_name, (unsigned long long)k);
        }
        free(m);
        free(b);
    }
    closedir(d);
    CHECK_MSG(files >= 10 && parsed >= 7, "%d files, %d parsed", files, parsed);
}

TEST(fuzz_nifti_seeds_as_nibabel_wrote)
{
    struct volume v = {0};
    struct sarc_err e = {0};
    /* np.arange(24, uint8).reshape(2, 3, 4): C order in nibabel = index (i, j, k) -> 12 i + 4 j + k */
    REQUIRE_OK(nifti_read("test/fuzz/corpus/nifti/u8.nii.gz", NULL, &v, &e), e);
    CHECK(v.dim[0] == 2 && v.dim[1] == 3 && v.dim[2] == 4);
    CHECK(v.data[1] == 12 && v.data[2] == 4 && v.data[2 * 3] == 1);
    CHECK_CLOSE(v.affine[1][1], 0.25, 0, 0);
    CHECK_CLOSE(v.affine[1][3], -2, 0, 0);
    volume_free(&v);
    REQUIRE_OK(nifti_read("test/fuzz/corpus/nifti/i16_be.nii", NULL, &v, &e), e);
    CHECK(v.type == VT_I16 && v.data[0] == -7 && v.data[1] == -1); /* (1,0,0) = 6 - 7 */
    volume_free(&v);
    REQUIRE_OK(nifti_read("test/fuzz/corpus/nifti/f32_scaled.nii", NULL, &v, &e), e);
    CHECK_CLOSE(v.data[0], -1.0 * 2 + 5, 1e-6, 0);
    CHECK_CLOSE(v.scl_slope, 2, 0, 0);
    volume_free(&v);
    REQUIRE_OK(nifti_read("test/fuzz/corpus/nifti/qform_only.nii", NULL, &v, &e), e);
    CHECK(v.qform_code == 1 && v.sform_code == 0);
    CHECK_CLOSE(v.affine[0][1], -1, 1e-6, 1e-6);
    CHECK_CLOSE(v.affine[1][0], 1, 1e-6, 1e-6);
    CHECK_CLOSE(v.affine[0][3], 4, 0, 0);
    volume_free(&v);
    REQUIRE_OK(nifti_read("test/fuzz/corpus/nifti/nifti2.nii", NULL, &v, &e), e);
    CHECK(v.type == VT_I32 && !strcmp(v.format, "nifti2") && v.data[1] == 4);
    volume_free(&v);
    REQUIRE_OK(nifti_read("test/fuzz/corpus/nifti/4d.nii", NULL, &v, &e), e);
    CHECK(v.ndim == 4 && v.dim[3] == 4 && v.data[1] == 24 && v.type == VT_U16);
    volume_free(&v);
}
