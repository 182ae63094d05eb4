/* json.c - see json.h. */
#include "vendor/json.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_init(struct json *j)
{
    memset(j, 0, sizeof *j);
}

void json_free(struct json *j)
{
    free(j->buf);
    memset(j, 0, sizeof *j);
}

void json_reset(struct json *j)
{
    char *b = j->buf;
    size_t cap = j->cap;
    int pretty = j->pretty;
    memset(j, 0, sizeof *j);
    j->buf = b;
    j->cap = cap;
    j->pretty = pretty;
    if (b)
        b[0] = 0;
}

static void put(struct json *j, const char *s, size_t n)
{
    if (j->oom)
        return;
    if (j->len + n + 1 > j->cap) {
        size_t cap = j->cap ? j->cap : 256;
        while (cap < j->len + n + 1)
            cap *= 2;
        char *b = realloc(j->buf, cap);
        if (!b) {
            j->oom = 1;
            return;
        }
        j->buf = b;
        j->cap = cap;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = 0;
}

static void puts_(struct json *j, const char *s) { put(j, s, strlen(s)); }

static void newline(struct json *j)
{
    if (!j->pretty)
        return;
    put(j, "\n", 1);
    for (int i = 0; i < j->depth; i++)
        put(j, "  ", 2);
}

/* Called before every value or key: writes the separating comma and indentation. */
static void sep(struct json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->depth > 0 && j->depth <= JSON_MAX_DEPTH) {
        if (j->count[j->depth - 1]++ > 0)
            put(j, ",", 1);
        newline(j);
    }
}

static void open_(struct json *j, const char *c)
{
    sep(j);
    puts_(j, c);
    if (j->depth < JSON_MAX_DEPTH)
        j->count[j->depth] = 0;
    j->depth++;
}

static void close_(struct json *j, const char *c)
{
    if (j->depth <= 0)
        return;
    j->depth--;
    if (j->depth < JSON_MAX_DEPTH && j->count[j->depth] > 0)
        newline(j);
    puts_(j, c);
}

void json_obj_begin(struct json *j) { open_(j, "{"); }
void json_obj_end(struct json *j) { close_(j, "}"); }
void json_arr_begin(struct json *j) { open_(j, "["); }
void json_arr_end(struct json *j) { close_(j, "]"); }

/* Length of a valid UTF-8 sequence starting at s (at most n bytes), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned min;
    unsigned cp;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2;
        min = 0x80;
        cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3;
        min = 0x800;
        cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4;
        min = 0x10000;
        cp = s[0] & 0x07;
    } else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static void string_body(struct json *j, const char *s, size_t n)
{
    put(j, "\"", 1);
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(j, esc, 2);
            i++;
        } else if (c < 0x20) {
            const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
            if (named)
                puts_(j, named);
            else {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                puts_(j, esc);
            }
            i++;
        } else if (c < 0x80) {
            put(j, (const char *)u + i, 1);
            i++;
        } else {
            size_t l = utf8_len(u + i, n - i);
            if (l) {
                put(j, (const char *)u + i, l);
                i += l;
            } else {
                puts_(j, "\xEF\xBF\xBD"); /* U+FFFD for an invalid byte */
                i++;
            }
        }
    }
    put(j, "\"", 1);
}

void json_key(struct json *j, const char *key)
{
    sep(j);
    string_body(j, key, strlen(key));
    put(j, j->pretty ? ": " : ":", j->pretty ? 2 : 1);
    j->after_key = 1;
}

void json_strn(struct json *j, const char *s, size_t n)
{
    sep(j);
    string_body(j, s ? s : "", s ? n : 0);
}

void json_str(struct json *j, const char *s) { json_strn(j, s, s ? strlen(s) : 0); }

void num_shortest(char *buf, size_t size, double v)
{
    for (int prec = 15; prec <= 17; prec++) { /* 17 digits always read back */
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

void json_num(struct json *j, double v)
{
    sep(j);
    if (!isfinite(v)) {
        puts_(j, "null");
        return;
    }
    char b[40];
    num_shortest(b, sizeof b, v);
    puts_(j, b);
}

void json_int(struct json *j, int64_t v)
{
    sep(j);
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)v);
    puts_(j, b);
}

void json_bool(struct json *j, int v)
{
    sep(j);
    puts_(j, v ? "true" : "false");
}

void json_null(struct json *j)
{
    sep(j);
    puts_(j, "null");
}

void json_raw(struct json *j, const char *text)
{
    sep(j);
    puts_(j, text);
}

void json_kv_str(struct json *j, const char *key, const char *s)
{
    json_key(j, key);
    json_str(j, s);
}
void json_kv_num(struct json *j, const char *key, double v)
{
    json_key(j, key);
    json_num(j, v);
}
void json_kv_int(struct json *j, const char *key, int64_t v)
{
    json_key(j, key);
    json_int(j, v);
}
void json_kv_bool(struct json *j, const char *key, int v)
{
    json_key(j, key);
    json_bool(j, v);
}

/* ---- reader ---- */

struct jp {
    const char *p;
    int depth, bad;
};

void json_value_free(struct json_value *v)
{
    for (int i = 0; i < v->n; i++) {
        json_value_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->text);
    memset(v, 0, sizeof *v);
}

static void jp_ws(struct jp *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n')
        j->p++;
}

/* Parses the JSON string at j->p (escapes decoded as struct json_value says); returns it
 * malloc'ed, or NULL with j->bad set. */
static char *jp_string(struct jp *j)
{
    if (*j->p != '"') {
        j->bad = 1;
        return NULL;
    }
    j->p++;
    size_t cap = 16, len = 0;
    char *s = malloc(cap);
    if (!s) {
        j->bad = 1;
        return NULL;
    }
    while (*j->p && *j->p != '"') {
        char c = *j->p++;
        if (c == '\\') {
            char x = *j->p;
            if (!x)
                break;
            j->p++;
            c = x == 'n' ? '\n' : x == 't' ? '\t' : (x == '"' || x == '\\' || x == '/') ? x : '?';
            if (x == 'u') /* \uXXXX: shown as '?' */
                for (int k = 0; k < 4 && isxdigit((unsigned char)*j->p); k++)
                    j->p++;
        }
        if (len + 2 > cap) {
            cap *= 2;
            char *ns = realloc(s, cap);
            if (!ns) {
                free(s);
                j->bad = 1;
                return NULL;
            }
            s = ns;
        }
        s[len++] = c;
    }
    if (*j->p != '"') {
        free(s);
        j->bad = 1;
        return NULL;
    }
    j->p++;
    s[len] = 0;
    return s;
}

/* Makes room for one more item (and key, for objects) in v; 0 or -1 (out of memory). */
static int jp_push(struct json_value *v, int *cap, int want_keys)
{
    if (v->n < *cap)
        return 0;
    int nc = *cap ? 2 * *cap : 8;
    struct json_value *ni = realloc(v->items, sizeof *ni * (size_t)nc);
    if (!ni)
        return -1;
    v->items = ni;
    if (want_keys) {
        char **nk = realloc(v->keys, sizeof *nk * (size_t)nc);
        if (!nk)
            return -1;
        v->keys = nk;
    }
    *cap = nc;
    return 0;
}

/* Parses one value at j->p into v. 0, or -1 with j->bad set; on failure v holds what was parsed
 * so far and the caller frees it. */
static int jp_value(struct jp *j, struct json_value *v)
{
    memset(v, 0, sizeof *v);
    jp_ws(j);
    if (++j->depth > 64)
        return j->bad = 1, -1;
    char c = *j->p;
    if (c == '{' || c == '[') {
        const int obj = c == '{';
        v->type = obj ? 'o' : 'a';
        j->p++;
        jp_ws(j);
        int cap = 0;
        if (*j->p == (obj ? '}' : ']')) {
            j->p++;
            j->depth--;
            return 0;
        }
        for (;;) {
            if (jp_push(v, &cap, obj))
                return j->bad = 1, -1;
            char *key = NULL;
            if (obj) {
                jp_ws(j);
                key = jp_string(j);
                jp_ws(j);
                if (!key || *j->p != ':') {
                    free(key);
                    return j->bad = 1, -1;
                }
                j->p++;
                v->keys[v->n] = key;
            }
            if (jp_value(j, &v->items[v->n])) {
                json_value_free(&v->items[v->n]);
                if (obj)
                    free(key);
                return -1;
            }
            v->n++;
            jp_ws(j);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p == (obj ? '}' : ']')) {
                j->p++;
                break;
            }
            return j->bad = 1, -1;
        }
    } else if (c == '"') {
        v->type = 's';
        v->text = jp_string(j);
        if (!v->text)
            return -1;
    } else if (c == '-' || isdigit((unsigned char)c)) {
        const char *s = j->p;
        while (*j->p && strchr("+-0123456789.eE", *j->p))
            j->p++;
        v->type = 'n';
        v->text = malloc((size_t)(j->p - s) + 1);
        if (!v->text)
            return j->bad = 1, -1;
        memcpy(v->text, s, (size_t)(j->p - s));
        v->text[j->p - s] = 0;
    } else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "false", 5) || !strncmp(j->p, "null", 4)) {
        v->type = c == 't' ? 't' : c == 'f' ? 'f' : 'z';
        j->p += c == 'f' ? 5 : 4;
    } else
        return j->bad = 1, -1;
    j->depth--;
    return 0;
}

int json_parse(const char *text, struct json_value *v, const char **end)
{
    struct jp j = {text, 0, 0};
    if (jp_value(&j, v)) {
        json_value_free(v);
        return -1;
    }
    if (end)
        *end = j.p;
    return 0;
}

const struct json_value *json_get(const struct json_value *obj, const char *key)
{
    if (!obj || obj->type != 'o')
        return NULL;
    for (int i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i], key))
            return &obj->items[i];
    return NULL;
}
