/* test_csv.c - CSV parsing (quotes, CRLF, blank lines, BOM), numbers, errors, and writing. */
#include <stdlib.h>

#include "io/csv.h"
#include "test/harness.h"

TEST(csv_parse_quotes_and_numbers)
{
    const char *text = "\xEF\xBB\xBFid,\"a,b\",c\r\n1,\"x \"\"q\"\"\",3.5\r\n\n2,,nan\n";
    struct csv t;
    struct sarc_err e = {0};
    REQUIRE_OK(csv_parse(&t, text, strlen(text), &e), e);
    CHECK_INT(t.ncols, 3);
    CHECK_INT(t.nrows, 2);
    CHECK_STR(t.header[0], "id");
    CHECK_STR(t.header[1], "a,b");
    CHECK_STR(csv_cell(&t, 0, 1), "x \"q\"");
    CHECK_INT(csv_col(&t, "c"), 2);
    CHECK_INT(csv_col(&t, "zz"), -1);
    double v;
    CHECK_OK(csv_num(&t, 0, 2, &v, &e), e);
    CHECK_CLOSE(v, 3.5, 0, 0);
    CHECK_OK(csv_num(&t, 1, 1, &v, &e), e);
    CHECK(isnan(v));
    CHECK(csv_num(&t, 0, 1, &v, &e) == SARC_ERR_FORMAT);
    csv_free(&t);
}

TEST(csv_parse_errors)
{
    struct csv t;
    struct sarc_err e = {0};
    CHECK(csv_parse(&t, "a,b\n1\n", 6, &e) == SARC_ERR_FORMAT);
    CHECK(strstr(e.msg, "line 2") != NULL);
    CHECK(csv_parse(&t, "a,b\n\"1,2\n", 9, &e) == SARC_ERR_FORMAT);
    CHECK(csv_parse(&t, "", 0, &e) == SARC_ERR_FORMAT);
}

TEST(csv_write_roundtrip)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct csv_writer w = {f, 1};
    csv_put(&w, "name");
    csv_put(&w, "va,l");
    csv_endrow(&w);
    csv_put(&w, "x\"y");
    csv_putnum(&w, 0.1);
    csv_endrow(&w);
    fclose(f);
    CHECK_STR(buf, "name,\"va,l\"\n\"x\"\"y\",0.1\n");
    struct csv t;
    struct sarc_err e = {0};
    REQUIRE_OK(csv_parse(&t, buf, len, &e), e);
    CHECK_STR(csv_cell(&t, 0, 0), "x\"y");
    csv_free(&t);
    free(buf);
    char b[40];
    num_format(b, sizeof b, 1.0 / 3);
    CHECK(strtod(b, NULL) == 1.0 / 3);
    num_format(b, sizeof b, NAN);
    CHECK_STR(b, "nan");
}
