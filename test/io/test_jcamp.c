/* test_jcamp.c - JCAMP-DX parameter parser (io/jcamp.c) on small hand-written parameter files
 * (every construct of the ParaVision dialect and the ways it can be broken) and `sarc params`.
 * The real parameter files of ../shared/data/bruker are exercised through test_bruker.c, whose
 * oracle (EXPECTED.json) was produced by an independent parser. */
#include <stdlib.h>
#include <string.h>

#include "io/jcamp.h"
#include "test/harness.h"

static int parse(const char *text, struct jcamp *j, struct sarc_err *e) { return jcamp_parse(text, strlen(text), j, e); }

TEST(jcamp_constructs)
{
    const char *text =
        "##TITLE=Parameter List, ParaVision 6.0.1\n"
        "##JCAMPDX=4.24\n"
        "$$ a comment line\n"
        "##$VisuCoreDim=2\n"
        "##$Scalar=-1.5e-3 $$ trailing comment\n"
        "##$Word=littleEndian\n"
        "##$Size=( 3 )\n"
        "160 192\n"
        "  7\n"
        "##$Units=( 2, 65 )\n"
        "<mm> <m\n"
        "m>\n"
        "##$Date=<2016-07-18T12:48:45,114+0200>\n"
        "##$FG=( 2 )\n"
        "(9, <FG_SLICE>, <>, 0, 2) (2, <FG_DIFFUSION>, <diffusion>, 2, 2)\n"
        "##$Pair=(1.51901862051761, 8.71498313399863, -1.81563097587924)\n"
        "##$Rle=( 6 )\n"
        "@3*(0.5) 2 @2*(-1)\n"
        "##$RleStruct=( 2 )\n"
        "@2*((1, <a>))\n"
        "##$Empty=( 0 )\n"
        "$$ a comment between records\n"
        "##$Nested=((1, (2, 3)), <x y>)\n"
        "##$Multi=(3 4, 5)\n"
        "##END=\n"
        "##$After=1\n";
    struct jcamp j;
    struct sarc_err e;
    REQUIRE_OK(parse(text, &j, &e), e);
    CHECK_STR(jcamp_str(&j, "TITLE"), "Parameter List, ParaVision 6.0.1");
    CHECK(jcamp_find(&j, "TITLE")->is_core);
    double d = 0;
    CHECK_OK(jcamp_num(&j, "VisuCoreDim", &d, &e), e);
    CHECK(d == 2);
    CHECK_OK(jcamp_num(&j, "Scalar", &d, &e), e);
    CHECK(d == -1.5e-3);
    CHECK_STR(jcamp_str(&j, "Word"), "littleEndian");
    CHECK(jcamp_num(&j, "Word", &d, &e) == SARC_ERR_FORMAT);
    /* sized array: declared dims kept, values across lines */
    const struct jcamp_param *p = jcamp_find(&j, "Size");
    REQUIRE(p != NULL);
    CHECK_INT(p->ndims, 1);
    CHECK_INT(p->dims[0], 3);
    double v[8];
    CHECK_INT(jcamp_nums(&j, "Size", v, 8), 3);
    CHECK(v[0] == 160 && v[1] == 192 && v[2] == 7);
    /* string array; the line break inside a string is dropped */
    p = jcamp_find(&j, "Units");
    REQUIRE(p != NULL);
    CHECK_INT(p->ndims, 2);
    CHECK_INT(p->dims[1], 65);
    CHECK_INT(p->nval, 2);
    CHECK_STR(p->val[1].text, "mm");
    CHECK(p->val[1].kind == JV_STR);
    CHECK_STR(jcamp_str(&j, "Date"), "2016-07-18T12:48:45,114+0200");
    /* structs */
    p = jcamp_find(&j, "FG");
    REQUIRE(p && p->nval == 2);
    CHECK(p->val[1].kind == JV_STRUCT && p->val[1].nchild == 5);
    CHECK(p->val[1].child[0].num == 2);
    CHECK_STR(p->val[1].child[1].text, "FG_DIFFUSION");
    CHECK_STR(p->val[0].child[2].text, "");
    CHECK_INT(jcamp_nums(&j, "FG", v, 8), -1); /* holds strings */
    /* a struct on the first line is a value, not dimensions */
    p = jcamp_find(&j, "Pair");
    REQUIRE(p != NULL);
    CHECK_INT(p->ndims, 0);
    CHECK_INT(jcamp_nums(&j, "Pair", v, 8), 3);
    CHECK_CLOSE(v[2], -1.81563097587924, 0, 0);
    /* run-length form */
    CHECK_INT(jcamp_nums(&j, "Rle", v, 8), 6);
    CHECK(v[0] == 0.5 && v[2] == 0.5 && v[3] == 2 && v[4] == -1 && v[5] == -1);
    p = jcamp_find(&j, "RleStruct");
    REQUIRE(p && p->nval == 2);
    CHECK_STR(p->val[1].child[1].text, "a");
    /* "( 0 )" alone is a one-value struct (no values follow) */
    CHECK_INT(jcamp_count(&j, "Empty"), 1);
    /* nesting and a multi-token member */
    p = jcamp_find(&j, "Nested");
    REQUIRE(p && p->nval == 1 && p->val[0].nchild == 2);
    CHECK(p->val[0].child[0].child[1].child[1].num == 3);
    CHECK_STR(p->val[0].child[1].text, "x y");
    p = jcamp_find(&j, "Multi");
    REQUIRE(p && p->val[0].nchild == 2 && p->val[0].child[0].kind == JV_STRUCT);
    CHECK_INT(jcamp_count(&j, "Multi"), 3);
    /* nothing after ##END= */
    CHECK(jcamp_find(&j, "After") == NULL);
    CHECK(jcamp_find(&j, "Missing") == NULL);
    CHECK(jcamp_num(&j, "Missing", &d, &e) == SARC_ERR_FORMAT);
    CHECK_MSG(strstr(e.msg, "Missing") != NULL, "message: %s", e.msg);
    jcamp_free(&j);
}

TEST(jcamp_crlf_and_words)
{
    const char *text = "$$ written by hand\r\n\r\n##TITLE=x\r\n##$A=( 2 )\r\n1 2\r\n##$B=inf\r\n##$C=+.5\r\n##$D=1e400\r\n";
    struct jcamp j;
    struct sarc_err e;
    REQUIRE_OK(parse(text, &j, &e), e);
    double v[4];
    CHECK_INT(jcamp_nums(&j, "A", v, 4), 2);
    CHECK(v[1] == 2);
    CHECK_STR(jcamp_str(&j, "B"), "inf"); /* a word, not a number */
    CHECK_INT(jcamp_nums(&j, "B", v, 4), -1);
    CHECK_INT(jcamp_nums(&j, "C", v, 4), 1);
    CHECK(v[0] == 0.5);
    jcamp_free(&j);
}

/* Broken files: a clean error naming the line, j zeroed. */
TEST(jcamp_bad_input)
{
    static const char *bad[] = {
        "",
        "garbage\n##$A=1\n",
        "##$A=<unterminated\n##$B=1\n",
        "##$A=(1, 2\n",
        "##$A=@3(1)\n",
        "##$A=@3*1\n",
        "##$A=@99999999999*(1)\n",
        "##$A=@16777216*(1)\n",
        "##$A=@1500000*(1) @1500000*(1)\n",
        "##$A=((((((((((((((((((1))))))))))))))))))\n",
        "##$A 1\n",
        "##$=1\n",
        "##$A B=1\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct jcamp j;
        struct sarc_err e;
        err_clear(&e);
        int rc = parse(bad[i], &j, &e);
        CHECK_MSG(rc != 0, "case %zu parsed: %s", i, bad[i]);
        CHECK_MSG(e.msg[0] != 0, "case %zu: no message", i);
        CHECK(j.nparam == 0 && j.param == NULL);
    }
    /* a NUL byte */
    const char nul[] = "##$A=1\n\0##$B=2\n";
    struct jcamp j;
    struct sarc_err e;
    CHECK(jcamp_parse(nul, sizeof nul - 1, &j, &e) == SARC_ERR_FORMAT);
    CHECK_MSG(strstr(e.msg, "NUL") != NULL, "message: %s", e.msg);
    /* the error names the line */
    CHECK(parse("##$A=1\n##$B=2\n##$C=<x\n", &j, &e) == SARC_ERR_FORMAT);
    CHECK_MSG(strstr(e.msg, "line 3") && strstr(e.msg, "C"), "message: %s", e.msg);
    /* not NUL-terminated input: the parser stops at len */
    char buf[16];
    memcpy(buf, "##$A=12345678901", 16);
    REQUIRE_OK(jcamp_parse(buf, 8, &j, &e), e);
    double d;
    CHECK_OK(jcamp_num(&j, "A", &d, &e), e);
    CHECK(d == 123);
    jcamp_free(&j);
}

/* `sarc params FILE [NAME...]` */
TEST(jcamp_cli_params)
{
    const char *path = test_tmp("params_visu");
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs("##TITLE=t\n##$VisuCoreSize=( 2 )\n160 192\n##$VisuCoreDataSlope=( 3 )\n@3*(0.25)\n##$VisuFGOrderDesc=( 1 )\n(3, <FG_ECHO>, <>, 0, 1)\n##END=\n", f);
    fclose(f);
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "'%s' params '%s' VisuCoreDataSlope VisuFGOrderDesc", test_sarc(), path);
    CHECK_INT(test_system(cmd), 0);
    CHECK_STR(test_last_output(), "VisuCoreDataSlope = ( 3 ) 0.25 0.25 0.25\nVisuFGOrderDesc = ( 1 ) (3, <FG_ECHO>, <>, 0, 1)\n");
    snprintf(cmd, sizeof cmd, "'%s' params '%s'", test_sarc(), path);
    CHECK_INT(test_system(cmd), 0);
    CHECK_MSG(strstr(test_last_output(), "VisuCoreSize = ( 2 ) 160 192\n") != NULL, "output: %s", test_last_output());
    snprintf(cmd, sizeof cmd, "'%s' params '%s' NoSuchParam", test_sarc(), path);
    CHECK_INT(test_system(cmd), 2);
    CHECK_MSG(strncmp(test_last_output(), "sarc: ", 6) == 0 && strstr(test_last_output(), "NoSuchParam"), "output: %s", test_last_output());
    f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs("\x01\x02garbage", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' params '%s'", test_sarc(), path);
    CHECK_INT(test_system(cmd), 2);
    CHECK(strncmp(test_last_output(), "sarc: ", 6) == 0);
}

/* The oracle's exclusion rule (readers_jcamp_brkraw.py excluded()): values holding a <string>,
 * a positive exponent ("e+"), or a struct starting on the record's line and continuing on the
 * next (three brkraw deviations: it turns "<20251013>" into a number, keeps "-2.14748e+09" as a
 * string and keeps only the last line of such a struct). raw is the value text as written,
 * "( dims )" included. */
static int brkraw_excluded(const char *raw)
{
    if (strchr(raw, '<') || strstr(raw, "e+"))
        return 1;
    const char *p = raw;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '(')
        return 0;
    int depth = 0;
    for (; *p && *p != '\n'; p++)
        depth += (*p == '(') - (*p == ')');
    return depth != 0;
}

/* Oracle: brkraw's independent parser on every real parameter file of ../shared/data/bruker*
 * (test/golden/readers/jcamp_brkraw.txt by test/oracles/readers_jcamp_brkraw.py): the same
 * number of parameters, and over those that are numbers or numeric arrays the same count, number
 * of values and sums (1e-12 relative: the same decimal strings through strtod). */
TEST(jcamp_real_files_vs_brkraw)
{
    if (!test_shared("data/bruker"))
        SKIP("../shared/data/bruker is absent");
    FILE *f = fopen("test/golden/readers/jcamp_brkraw.txt", "r");
    REQUIRE(f != NULL);
    char line[2048], rel[1024];
    int files = 0;
    while (fgets(line, sizeof line, f)) {
        long long np, nk, nv;
        double sum, abssum;
        if (sscanf(line, "file %1023s params %lld numeric %lld values %lld sum %lf abssum %lf", rel, &np, &nk, &nv, &sum, &abssum) != 6)
            continue;
        const char *p = test_shared(rel);
        CHECK_MSG(p != NULL, "%s is missing", rel);
        if (!p)
            continue;
        struct jcamp j;
        struct sarc_err e;
        int rc = jcamp_read(p, &j, &e);
        CHECK_MSG(rc == 0, "%s: %s", rel, e.msg);
        if (rc)
            continue;
        long long cp = 0, ck = 0, cv = 0;
        double cs = 0, ca = 0;
        for (int i = 0; i < j.nparam; i++) {
            if (j.param[i].is_core)
                continue;
            cp++;
            if (brkraw_excluded(j.param[i].raw))
                continue;
            int n = jcamp_nums(&j, j.param[i].name, NULL, 0);
            if (n < 1)
                continue;
            double *v = malloc(sizeof(double) * (size_t)n);
            REQUIRE(v != NULL);
            jcamp_nums(&j, j.param[i].name, v, n);
            int finite = 1;
            for (int k = 0; k < n; k++)
                finite &= isfinite(v[k]) != 0;
            if (finite) {
                ck++;
                cv += n;
                for (int k = 0; k < n; k++) {
                    cs += v[k];
                    ca += fabs(v[k]);
                }
            }
            free(v);
        }
        CHECK_MSG(cp == np && ck == nk && cv == nv, "%s: %lld params, %lld numeric, %lld values; brkraw %lld, %lld, %lld", rel, cp, ck, cv, np,
                  nk, nv);
        CHECK_MSG(fabs(cs - sum) <= 1e-12 * abssum && fabs(ca - abssum) <= 1e-12 * abssum, "%s: sum %.17g abssum %.17g; brkraw %.17g %.17g",
                  rel, cs, ca, sum, abssum);
        jcamp_free(&j);
        files++;
    }
    fclose(f);
    CHECK_MSG(files >= 40, "%d parameter files compared", files);
}
