/* test_json_python.c - vendor/json output (and an audit trail made of it) parsed back by
 * Python's json module, the oracle, when python3 is on PATH (SKIP otherwise; the test suite never
 * needs Python): escapes, control characters, invalid UTF-8 replaced, nesting, numbers that must
 * read back to the same double (Python compares with float.hex). */
#include <stdlib.h>

#include "io/audit.h"
#include "io/file.h"
#include "test/harness.h"
#include "vendor/json.h"

TEST(json_python_parses_our_output)
{
    if (test_system("python3 -c 'import json'") != 0)
        SKIP("python3 not on PATH");
    struct json j;
    json_init(&j);
    json_obj_begin(&j);
    json_kv_str(&j, "s", "q\"b\\s/\n\t\x01\x1f end");
    json_kv_str(&j, "u", "\xff\xfe ok \xc3\xa9 \xe2\x82\xac");
    json_key(&j, "n");
    json_arr_begin(&j);
    json_num(&j, 0.1);
    json_num(&j, 1.0 / 3);
    json_num(&j, 1e-300);
    json_num(&j, -2.5e300);
    json_num(&j, NAN);
    json_int(&j, -9007199254740993LL);
    json_arr_end(&j);
    json_key(&j, "deep");
    for (int i = 0; i < 30; i++)
        json_arr_begin(&j);
    for (int i = 0; i < 30; i++)
        json_arr_end(&j);
    json_kv_bool(&j, "t", 1);
    json_obj_end(&j);
    REQUIRE(!j.oom);
    const char *p = test_tmp("sample.json");
    struct sarc_err e = {0};
    REQUIRE_OK(file_write_atomic(p, j.buf, j.len, &e), e);
    json_free(&j);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "python3 -c \"import json,sys; d=json.load(open(sys.argv[1], encoding='utf-8')); "
             "assert d['s']=='q\\\"b\\\\\\\\s/\\\\n\\\\t\\\\x01\\\\x1f end', repr(d['s']); "
             "assert d['u']=='\\\\ufffd\\\\ufffd ok \\\\xe9 \\\\u20ac', repr(d['u']); "
             "n=d['n']; assert [x.hex() for x in n[:4]]==[(0.1).hex(),(1/3).hex(),(1e-300).hex(),(-2.5e300).hex()], n; "
             "assert n[4] is None and n[5]==-9007199254740993 and d['t'] is True; print('ok')\" %s", p);
    int rc = test_system(cmd);
    CHECK_MSG(rc == 0, "python: %s", test_last_output());
}

TEST(json_python_parses_audit_trail)
{
    if (test_system("python3 -c 'import json'") != 0)
        SKIP("python3 not on PATH");
    const char *trail = test_tmp("py_trail.jsonl");
    remove(trail);
    struct sarc_err e = {0};
    char *argv[] = {"sarc", "x\ty", NULL};
    struct audit_run_info info = {2, argv, 7, 1, "cpu"};
    REQUIRE_OK(audit_open(trail, &info, &e), e);
    struct audit_step *st = audit_step_begin("py");
    double x[3] = {1, NAN, 3};
    audit_summary(st, "x", x, 3);
    audit_output_array(st, "x", x, 3);
    audit_param_str(st, "weird", "\"\\\n");
    audit_step_end(st);
    audit_close(0);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "python3 -c \"import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; "
             "assert [x['type'] for x in r]==['run','step','end'], r; assert r[0]['argv']==['sarc','x\\\\ty']; "
             "s=r[1]; assert s['summary']['x']['count']==2 and s['summary']['x']['nan']==1 and s['params']['weird']=='\\\"\\\\\\\\\\\\n'; "
             "assert s['outputs'][0]['shape']==[3] and len(s['outputs'][0]['sha256'])==64; print('ok')\" %s", trail);
    int rc = test_system(cmd);
    CHECK_MSG(rc == 0, "python: %s", test_last_output());
}
