/* test_bad_input.c - every subcommand that reads files, given a garbage or a truncated input,
 * exits with code 2, prints "sarc: <file>: ..." and leaves no output behind (the brief's bad-input
 * contract, checked across all commands in one table). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "io/file.h"
#include "test/harness.h"

static int write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(p, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

TEST(cli_every_command_refuses_bad_input)
{
    const char *nii = test_shared("data/nifti/minimal.nii.gz");
    if (!nii)
        SKIP("../shared/data/nifti/minimal.nii.gz not found");
    /* garbage bytes, a truncated gzip NIfTI, a CSV whose second line is short */
    char g[512], t[512], csv[512], out[512], dir[512];
    snprintf(g, sizeof g, "%s", test_tmp("garbage.nii.gz"));
    snprintf(t, sizeof t, "%s", test_tmp("trunc.nii.gz"));
    snprintf(csv, sizeof csv, "%s", test_tmp("bad.csv"));
    snprintf(out, sizeof out, "%s", test_tmp("bad_out.nii.gz"));
    snprintf(dir, sizeof dir, "%s", test_tmp("bad_outdir"));
    uint8_t *buf;
    size_t len;
    struct sarc_err e = {0};
    REQUIRE_OK(file_read_all(nii, &buf, &len, 0, &e), e);
    REQUIRE(len > 100);
    REQUIRE(write_bytes(t, buf, 100) == 0);
    free(buf);
    REQUIRE(write_bytes(g, "garbage\0\1\2 not an image", 24) == 0);
    REQUIRE(write_bytes(csv, "id,a,b\n1,2\n", 11) == 0);

    /* %1$s garbage, %2$s truncated, %3$s bad csv, %4$s output file, %5$s output folder */
    static const char *const forms[] = {
        "info %1$s",
        "info %2$s",
        "convert %2$s %4$s",
        "n4 %2$s -o %4$s",
        "morph dilate %1$s -o %4$s --radius-mm 3",
        "components %2$s -o %4$s",
        "resample %1$s -o %4$s --spacing 1,1,1",
        "growcut %1$s --seeds %2$s -o %4$s",
        "regions --mask %1$s --image %2$s -o %5$s",
        "radiomics %2$s %1$s -o %4$s",
        "featuremap %2$s %1$s -o %5$s",
        "train %3$s -o %4$s",
        "segment --model %1$s --image T2=%2$s -o %4$s",
        "evaluate %1$s %2$s",
        "kfold %3$s -o %5$s",
        "ttest %3$s %3$s -o %4$s",
        "wilcoxon %3$s %3$s -o %4$s",
        "mrmr %3$s --label b -o %4$s",
        "svm --train %3$s --test %3$s --label b -o %4$s",
        "mlp --train %3$s --test %3$s --label b -o %4$s",
        "roc %3$s --label a --score b",
        "classify %3$s --label b --model svm -o %5$s",
        "params %1$s",
        "audit show %1$s",
    };
    for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
        char args[2048], cmd[4096];
        snprintf(args, sizeof args, forms[k], g, t, csv, out, dir);
        snprintf(cmd, sizeof cmd, "%s %s --audit none -q", test_sarc(), args);
        int rc = test_system(cmd);
        const char *o = test_last_output();
        CHECK_MSG(rc == 2, "sarc %s: exit %d, expected 2 (%.120s)", args, rc, o);
        CHECK_MSG(strncmp(o, "sarc: ", 6) == 0, "sarc %s: message does not start with 'sarc: ': %.120s", args, o);
        CHECK_MSG(access(out, F_OK) != 0, "sarc %s left an output file behind", args);
        unlink(out);
    }
}
