/* test_file.c - io/file: whole-file reads (limit, missing file, directory), atomic writes (no
 * temporary left behind, replacement of an existing file, failure in a missing folder), appends,
 * mkdirs, and the path helpers. */
#include <dirent.h>
#include <stdlib.h>

#include "io/file.h"
#include "test/harness.h"

TEST(file_read_write_atomic)
{
    const char *p = test_tmp("f.bin");
    struct sarc_err e = {0};
    uint8_t *b = NULL;
    size_t n = 0;
    REQUIRE_OK(file_write_atomic(p, "abc", 3, &e), e);
    REQUIRE_OK(file_write_atomic(p, "hello", 5, &e), e); /* replaces */
    REQUIRE_OK(file_read_all(p, &b, &n, 0, &e), e);
    CHECK(n == 5 && memcmp(b, "hello", 5) == 0 && b[5] == 0);
    free(b);
    CHECK_INT(file_size(p), 5);
    CHECK(file_is_regular(p) && !file_is_dir(p));
    CHECK_INT(file_read_all(p, &b, &n, 4, &e), SARC_ERR_RANGE);
    CHECK(b == NULL && n == 0);
    CHECK_INT(file_read_all(test_tmp("nope.bin"), &b, &n, 0, &e), SARC_ERR_IO);
    CHECK_INT(file_write_atomic(test_tmp("no/such/dir/x"), "a", 1, &e), SARC_ERR_IO);
    /* empty file */
    REQUIRE_OK(file_write_atomic(p, "", 0, &e), e);
    REQUIRE_OK(file_read_all(p, &b, &n, 0, &e), e);
    CHECK(n == 0 && b);
    free(b);
    /* no temporary files left in the folder */
    char dir[1024];
    path_dirname(dir, sizeof dir, p);
    DIR *d = opendir(dir);
    REQUIRE(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        CHECK_MSG(strstr(de->d_name, "f.bin.tmp") == NULL, "left behind: %s", de->d_name);
    closedir(d);
}

TEST(file_append_mkdirs_paths)
{
    const char *p = test_tmp("app.txt");
    struct sarc_err e = {0};
    remove(p);
    CHECK_OK(file_append(p, "one\n", 4, &e), e);
    CHECK_OK(file_append(p, "two\n", 4, &e), e);
    uint8_t *b = NULL;
    size_t n = 0;
    REQUIRE_OK(file_read_all(p, &b, &n, 0, &e), e);
    CHECK(n == 8 && memcmp(b, "one\ntwo\n", 8) == 0);
    free(b);
    const char *d = test_tmp("x/y/z");
    CHECK_OK(file_mkdirs(d, &e), e);
    CHECK(file_is_dir(d));
    CHECK_OK(file_mkdirs(d, &e), e); /* existing: fine */
    CHECK_INT(file_mkdirs(p, &e), SARC_ERR_IO); /* a file */
    CHECK(path_has_suffix("a/B.NII.GZ", ".nii.gz") && !path_has_suffix("a.nii", ".nii.gz") && !path_has_suffix("z", ".nii"));
    char out[16];
    CHECK_INT(path_join(out, sizeof out, "dir", "name"), 0);
    CHECK_STR(out, "dir/name");
    CHECK_INT(path_join(out, sizeof out, "dir/", "name"), 0);
    CHECK_STR(out, "dir/name");
    CHECK_INT(path_join(out, sizeof out, "a-long-directory", "name"), -1);
    path_dirname(out, sizeof out, "a/b/c.nii");
    CHECK_STR(out, "a/b");
    path_dirname(out, sizeof out, "c.nii");
    CHECK_STR(out, ".");
    path_dirname(out, sizeof out, "/c.nii");
    CHECK_STR(out, "/");
}
