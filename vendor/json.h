/* json.h - a small JSON writer (RFC 8259) into a growing memory buffer.
 *
 * Usage: struct json j; json_init(&j); json_obj_begin(&j); json_key(&j, "n"); json_int(&j, 3);
 * json_obj_end(&j); ... use j.buf / j.len ...; json_free(&j).
 * Commas and nesting are handled by the writer. Strings are escaped (control characters as
 * \uXXXX; bytes >= 0x80 are passed through, invalid UTF-8 is replaced by U+FFFD). Non-finite
 * numbers have no JSON form: json_num writes null for them (callers who must keep NaN write a
 * string). Numbers are written with 17 significant digits, so they read back bit-identically.
 * Allocation failure sets j->oom and turns later calls into no-ops.
 * A small reader sits beside the writer (json_parse): it reads the JSON that sarc writes (audit
 * trails, model.json) into a tree of struct json_value.
 * Covered by test/vendor/test_json.c (and test_json_python.c: parsed back by Python's json). */
#ifndef SARC_JSON_H
#define SARC_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 64

struct json {
    char *buf; /* NUL-terminated, owned */
    size_t len, cap;
    int depth;
    int count[JSON_MAX_DEPTH]; /* values written at each level */
    int after_key;
    int pretty; /* 0: compact one line (JSON Lines); 1: indented */
    int oom;
};

void json_init(struct json *j);
void json_free(struct json *j);
void json_reset(struct json *j); /* empties the buffer, keeps the allocation */

void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t n);
void json_num(struct json *j, double v);
void json_int(struct json *j, int64_t v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);
/* Inserts already-formatted JSON text as one value (caller guarantees validity). */
void json_raw(struct json *j, const char *text);

/* Writes the shortest %.Ng (N = 15..17) of a finite v that reads back to the same double, as
 * Python's repr chooses its digits (%.15g drops trailing zeros, so a shorter exact form is found
 * at 15 too). The one number formatter of the tree: JSON, CSV (io/csv num_format) and PyRadiomics-
 * style text (radiomics/diagnostics) all use it. */
void num_shortest(char *buf, size_t size, double v);

/* Shorthands for "key": value inside an object. */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_num(struct json *j, const char *key, double v);
void json_kv_int(struct json *j, const char *key, int64_t v);
void json_kv_bool(struct json *j, const char *key, int v);

/* ---- reader ---- */

/* A parsed value. type: 'o' object, 'a' array, 's' string, 'n' number, 't' true, 'f' false,
 * 'z' null. Strings and numbers keep their text (numbers as written; strings with \" \\ \/ \n
 * \t decoded, \uXXXX shown as '?', other escapes as the escaped letter); objects and arrays hold
 * n items (objects also n keys). Everything is owned by the value: free with json_value_free. */
struct json_value {
    char type;
    char *text;
    int n;
    char **keys;
    struct json_value *items;
};

/* Parses one value at text (leading whitespace skipped; nesting at most 64); *end, if not NULL,
 * receives the position after it. 0, or -1 for malformed text or out of memory (v is then empty).
 * Never reads past the terminating NUL. */
int json_parse(const char *text, struct json_value *v, const char **end);
void json_value_free(struct json_value *v);
/* The member `key` of an object (the first one), or NULL (also when obj is not an object). */
const struct json_value *json_get(const struct json_value *obj, const char *key);

#endif
