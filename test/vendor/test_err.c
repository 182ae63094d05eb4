/* test_err.c - the error struct, prefixes and overflow-checked size arithmetic. */
#include <stdint.h>

#include "test/harness.h"
#include "vendor/err.h"

TEST(err_set_and_prefix)
{
    struct sarc_err e = {0};
    int rc = ERR(&e, SARC_ERR_FORMAT, "dim[%d] = %d, expected 1..32767", 3, -4);
    CHECK_INT(rc, SARC_ERR_FORMAT);
    CHECK_STR(e.msg, "dim[3] = -4, expected 1..32767");
    CHECK(e.line > 0 && e.file != NULL);
    err_prefix(&e, "header");
    CHECK_STR(e.msg, "header: dim[3] = -4, expected 1..32767");
    CHECK_INT(ERR(NULL, SARC_ERR_IO, "ignored"), SARC_ERR_IO);
    /* a long prefix is truncated, never overflows */
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    err_prefix(&e, "%s", big);
    CHECK(strlen(e.msg) < sizeof e.msg);
    CHECK_STR(err_name(SARC_ERR_NOMEM), "out of memory");
}

TEST(err_size_arithmetic_overflow)
{
    size_t r = 7;
    CHECK(size_mul(SIZE_MAX / 2 + 1, 2, &r) == -1);
    CHECK(r == 7);
    CHECK(size_mul(1000, 1000, &r) == 0 && r == 1000000);
    CHECK(size_add(SIZE_MAX, 1, &r) == -1);
    long long q = 0;
    CHECK(i64_mul(INT64_MAX / 3 + 1, 3, &q) == -1);
    CHECK(i64_mul(-1, 3, &q) == -1);
    CHECK(i64_mul(0, INT64_MAX, &q) == 0 && q == 0);
}
