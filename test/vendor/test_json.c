/* test_json.c - the JSON writer: nesting, commas, escapes, numbers that read back exactly.
 * (test/vendor/test_json_python.c parses a sample with Python's json when python3 is present.) */
#include <stdlib.h>

#include "test/harness.h"
#include "vendor/json.h"

TEST(json_writer_structure)
{
    struct json j;
    json_init(&j);
    json_obj_begin(&j);
    json_kv_str(&j, "name", "a\"b\\c\n\x01");
    json_key(&j, "list");
    json_arr_begin(&j);
    json_int(&j, -3);
    json_num(&j, 0.1);
    json_num(&j, NAN);
    json_bool(&j, 1);
    json_null(&j);
    json_arr_begin(&j);
    json_arr_end(&j);
    json_arr_end(&j);
    json_key(&j, "empty");
    json_obj_begin(&j);
    json_obj_end(&j);
    json_kv_str(&j, "bad_utf8", "\xff" "ok\xc3\xa9");
    json_obj_end(&j);
    CHECK_STR(j.buf, "{\"name\":\"a\\\"b\\\\c\\n\\u0001\",\"list\":[-3,0.1,null,true,null,[]],\"empty\":{},"
                     "\"bad_utf8\":\"\xEF\xBF\xBDok\xc3\xa9\"}");
    CHECK(!j.oom);
    json_free(&j);
}

TEST(json_numbers_roundtrip)
{
    struct json j;
    json_init(&j);
    const double vals[] = {1.0 / 3, 1e-300, 123456789.0, -0.0, 6.02214076e23, 0.1 + 0.2};
    for (int i = 0; i < 6; i++) {
        json_reset(&j);
        json_num(&j, vals[i]);
        CHECK_MSG(strtod(j.buf, NULL) == vals[i], "%s does not read back as %.17g", j.buf, vals[i]);
    }
    json_free(&j);
}
