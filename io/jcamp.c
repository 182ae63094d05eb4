/* jcamp.c - JCAMP-DX parameter files, ParaVision dialect (see jcamp.h for the grammar).
 *
 * Parsing works on memory through a bounds-checked cursor (pointer + end; nothing reads past end
 * and the input need not be NUL-terminated). Every record is located first ("##" at the start
 * of a line), then its value text is tokenised: numbers, words, <strings>, (structs) and the
 * run-length form @N*(value). All results live in one arena freed by jcamp_free.
 * Deliberately left out: JCAMP-DX spectral data tables (##XYDATA and friends, never in ParaVision
 * parameter files) and escapes inside strings (ParaVision writes none).
 * Covered by test/io/test_jcamp.c; fuzz target test/fuzz/fuzz_jcamp.c (corpus replayed by
 * test/fuzz/test_replay_readers.c). */
#include "io/jcamp.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/file.h"

/* ---- arena: bump allocation in 64 KiB+ blocks, freed at once ---- */

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

static void *arena_alloc(struct arena_block **head, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct arena_block *b = *head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = *head;
        b->used = 0;
        b->cap = cap;
        *head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static void arena_free_all(struct arena_block *b)
{
    while (b) {
        struct arena_block *n = b->next;
        free(b);
        b = n;
    }
}

static char *arena_strndup(struct arena_block **a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* ---- tokenizer state ---- */

struct pstate {
    const char *base; /* start of the whole buffer (for line numbers) */
    const char *p, *end;
    struct arena_block **arena;
    long long total; /* expanded values so far (bounded by JCAMP_MAX_VALUES) */
    struct sarc_err *e;
    const char *pname;
};

static int line_of(const struct pstate *s, const char *at)
{
    int line = 1;
    for (const char *q = s->base; q < at; q++)
        line += *q == '\n';
    return line;
}

static int perr(struct pstate *s, const char *at, const char *what)
{
    return ERR(s->e, SARC_ERR_FORMAT, "line %d: parameter %s: %s", line_of(s, at), s->pname, what);
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/* Skips blanks, line breaks and "$$" comments (to the end of their line). */
static void skip_blank(struct pstate *s)
{
    for (;;) {
        while (s->p < s->end && is_space(*s->p))
            s->p++;
        if (s->end - s->p >= 2 && s->p[0] == '$' && s->p[1] == '$') {
            while (s->p < s->end && *s->p != '\n')
                s->p++;
            continue;
        }
        return;
    }
}

/* A growable temporary list of values (malloc'ed; copied into the arena when complete). */
struct vlist {
    struct jcamp_value *v;
    int n, cap;
};

static int vlist_push(struct vlist *l, const struct jcamp_value *v)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 8;
        struct jcamp_value *nv = realloc(l->v, sizeof *nv * (size_t)cap);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = *v;
    return 0;
}

/* Moves the list into the arena (*out, *n); frees the temporary. */
static int vlist_finish(struct pstate *s, struct vlist *l, struct jcamp_value **out, int *n)
{
    *out = NULL;
    *n = l->n;
    if (l->n > 0) {
        *out = arena_alloc(s->arena, sizeof **out * (size_t)l->n);
        if (!*out) {
            free(l->v);
            l->v = NULL;
            return ERR(s->e, SARC_ERR_NOMEM, "out of memory parsing parameter %s", s->pname);
        }
        memcpy(*out, l->v, sizeof **out * (size_t)l->n);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
    return 0;
}

static int count_add(struct pstate *s, long long n)
{
    s->total += n;
    if (s->total > JCAMP_MAX_VALUES)
        return ERR(s->e, SARC_ERR_RANGE, "parameter %s: more than %d values in one file", s->pname, JCAMP_MAX_VALUES);
    return 0;
}

/* A word or number: characters up to a blank or one of , ( ) < and "$$". */
static int parse_word(struct pstate *s, struct jcamp_value *v)
{
    const char *a = s->p;
    while (s->p < s->end && !is_space(*s->p) && *s->p != ',' && *s->p != '(' && *s->p != ')' && *s->p != '<' &&
           !(s->p[0] == '$' && s->end - s->p >= 2 && s->p[1] == '$'))
        s->p++;
    size_t n = (size_t)(s->p - a);
    if (n == 0)
        return perr(s, a, "unexpected character");
    char *t = arena_strndup(s->arena, a, n);
    if (!t)
        return ERR(s->e, SARC_ERR_NOMEM, "out of memory");
    memset(v, 0, sizeof *v);
    v->text = t;
    v->kind = JV_WORD;
    /* A number starts like one (so that words such as "inf" or "nan" stay words) and strtod
     * consumes all of it. */
    if (t[0] == '-' || t[0] == '+' || t[0] == '.' || (t[0] >= '0' && t[0] <= '9')) {
        char *endp;
        double d = strtod(t, &endp);
        if (*endp == 0 && endp != t) {
            v->kind = JV_NUM;
            v->num = d;
        }
    }
    return count_add(s, 1);
}

/* A <string>: line breaks inside are dropped (ParaVision wraps long strings). */
static int parse_string(struct pstate *s, struct jcamp_value *v)
{
    const char *open = s->p;
    s->p++; /* '<' */
    const char *a = s->p;
    while (s->p < s->end && *s->p != '>')
        s->p++;
    if (s->p >= s->end)
        return perr(s, open, "string without closing '>'");
    size_t n = (size_t)(s->p - a);
    char *t = arena_alloc(s->arena, n + 1);
    if (!t)
        return ERR(s->e, SARC_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] != '\n' && a[i] != '\r')
            t[k++] = a[i];
    t[k] = 0;
    s->p++; /* '>' */
    memset(v, 0, sizeof *v);
    v->kind = JV_STR;
    v->text = t;
    return count_add(s, 1);
}

static int parse_seq(struct pstate *s, int depth, int in_struct, struct vlist *out);

/* A (struct): members separated by commas. A member of several tokens becomes a nested struct;
 * an empty member an empty string. */
static int parse_struct(struct pstate *s, int depth, struct jcamp_value *v)
{
    const char *open = s->p;
    if (depth >= JCAMP_MAX_DEPTH)
        return perr(s, open, "structs nested too deeply");
    s->p++; /* '(' */
    struct vlist members = {0};
    int rc = 0;
    for (;;) {
        struct vlist item = {0};
        rc = parse_seq(s, depth + 1, 1, &item);
        if (rc) {
            free(item.v);
            goto fail;
        }
        struct jcamp_value m;
        memset(&m, 0, sizeof m);
        if (item.n == 1) {
            m = item.v[0];
            free(item.v);
        } else if (item.n == 0) {
            m.kind = JV_STR;
            m.text = "";
            free(item.v);
        } else {
            m.kind = JV_STRUCT;
            if ((rc = vlist_finish(s, &item, &m.child, &m.nchild)))
                goto fail;
        }
        if (vlist_push(&members, &m)) {
            rc = ERR(s->e, SARC_ERR_NOMEM, "out of memory");
            goto fail;
        }
        if (s->p >= s->end) {
            rc = perr(s, open, "struct without closing ')'");
            goto fail;
        }
        if (*s->p == ')') {
            s->p++;
            break;
        }
        s->p++; /* ',' */
    }
    memset(v, 0, sizeof *v);
    v->kind = JV_STRUCT;
    return vlist_finish(s, &members, &v->child, &v->nchild);
fail:
    free(members.v);
    return rc;
}

/* @N*(value): N copies of the values inside the parentheses. */
static int parse_repeat(struct pstate *s, int depth, struct vlist *out)
{
    const char *at = s->p;
    s->p++; /* '@' */
    long long n = 0;
    int digits = 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
        n = n * 10 + (*s->p - '0');
        if (n > JCAMP_MAX_VALUES)
            return ERR(s->e, SARC_ERR_RANGE, "line %d: parameter %s: repeat count above %d", line_of(s, at), s->pname, JCAMP_MAX_VALUES);
        s->p++;
        digits++;
    }
    if (!digits || s->p >= s->end || *s->p != '*' || s->end - s->p < 2 || s->p[1] != '(')
        return perr(s, at, "run-length form is not @N*(value)");
    s->p += 2;
    if (depth >= JCAMP_MAX_DEPTH)
        return perr(s, at, "nested too deeply");
    struct vlist inner = {0};
    int rc = parse_seq(s, depth + 1, 2, &inner);
    if (rc) {
        free(inner.v);
        return rc;
    }
    if (s->p >= s->end || *s->p != ')') {
        free(inner.v);
        return perr(s, at, "run-length form without closing ')'");
    }
    s->p++;
    /* the inner values were counted once; count the other n-1 copies */
    if ((rc = count_add(s, (n - 1) * inner.n)) != 0) {
        free(inner.v);
        return rc;
    }
    for (long long i = 0; i < n; i++)
        for (int k = 0; k < inner.n; k++)
            if (vlist_push(out, &inner.v[k])) {
                free(inner.v);
                return ERR(s->e, SARC_ERR_NOMEM, "out of memory");
            }
    free(inner.v);
    return 0;
}

/* A sequence of values. in_struct: 0 top level (to the end), 1 a struct member (stops before
 * ',' or ')'), 2 inside @N*( ) (stops before ')'). */
static int parse_seq(struct pstate *s, int depth, int in_struct, struct vlist *out)
{
    for (;;) {
        skip_blank(s);
        if (s->p >= s->end)
            return 0;
        char c = *s->p;
        if (in_struct && c == ')')
            return 0;
        if (in_struct == 1 && c == ',')
            return 0;
        if (c == ',' || (c == ')' && !in_struct)) {
            /* a stray separator at top level (seen in hand-edited files): skip it */
            s->p++;
            continue;
        }
        struct jcamp_value v;
        int rc;
        if (c == '@' && s->end - s->p >= 2 && s->p[1] >= '0' && s->p[1] <= '9') {
            if ((rc = parse_repeat(s, depth, out)))
                return rc;
            continue;
        }
        if (c == '<')
            rc = parse_string(s, &v);
        else if (c == '(')
            rc = parse_struct(s, depth, &v);
        else
            rc = parse_word(s, &v);
        if (rc)
            return rc;
        if (vlist_push(out, &v))
            return ERR(s->e, SARC_ERR_NOMEM, "out of memory");
    }
}

/* ---- records ---- */

/* "( 3, 2 )" -> dims; 1 if the text [a, b) is such a list of non-negative integers. */
static int parse_dims(const char *a, const char *b, long long dims[JCAMP_MAX_DIMS], int *ndims)
{
    while (a < b && is_space(*a))
        a++;
    while (b > a && is_space(b[-1]))
        b--;
    if (b - a < 3 || *a != '(' || b[-1] != ')')
        return 0;
    a++;
    b--;
    int n = 0;
    for (;;) {
        while (a < b && is_space(*a))
            a++;
        if (a >= b || *a < '0' || *a > '9')
            return 0;
        long long v = 0;
        while (a < b && *a >= '0' && *a <= '9') {
            v = v * 10 + (*a - '0');
            if (v > (1LL << 40))
                return 0;
            a++;
        }
        if (n == JCAMP_MAX_DIMS)
            return 0;
        dims[n++] = v;
        while (a < b && is_space(*a))
            a++;
        if (a == b)
            break;
        if (*a != ',')
            return 0;
        a++;
    }
    *ndims = n;
    return 1;
}

/* 1 if [a, b) holds anything other than blanks and "$$" comments. */
static int has_content(const char *a, const char *b)
{
    while (a < b) {
        if (is_space(*a)) {
            a++;
            continue;
        }
        if (b - a >= 2 && a[0] == '$' && a[1] == '$') {
            while (a < b && *a != '\n')
                a++;
            continue;
        }
        return 1;
    }
    return 0;
}

static const char *line_end(const char *p, const char *end)
{
    const char *q = memchr(p, '\n', (size_t)(end - p));
    return q ? q : end;
}

/* The raw value text without "$$" comment lines and trailing blanks (for printing). */
static const char *raw_text(struct arena_block **a, const char *v0, const char *v1)
{
    char *t = arena_alloc(a, (size_t)(v1 - v0) + 1);
    if (!t)
        return NULL;
    size_t k = 0;
    const char *p = v0;
    while (p < v1) {
        const char *le = line_end(p, v1);
        const char *q = p;
        while (q < le && (*q == ' ' || *q == '\t'))
            q++;
        int comment = (le - q >= 2 && q[0] == '$' && q[1] == '$');
        if (!comment) {
            if (k)
                t[k++] = '\n';
            const char *r = le;
            while (r > p && (r[-1] == '\r' || r[-1] == ' ' || r[-1] == '\t'))
                r--;
            memcpy(t + k, p, (size_t)(r - p));
            k += (size_t)(r - p);
        }
        p = le < v1 ? le + 1 : v1;
    }
    while (k && is_space(t[k - 1]))
        k--;
    t[k] = 0;
    return t;
}

/* 1 if the line starting at p begins a record. */
static int is_record(const char *p, const char *end) { return end - p >= 2 && p[0] == '#' && p[1] == '#'; }

int jcamp_parse(const char *buf, size_t len, struct jcamp *j, struct sarc_err *e)
{
    memset(j, 0, sizeof *j);
    struct arena_block *arena = NULL;
    int rc = 0;
    const char *end = buf + len;
    if (!buf && len)
        return ERR(e, SARC_ERR_ARG, "no input");
    if (len && memchr(buf, 0, len))
        return ERR(e, SARC_ERR_FORMAT, "not a JCAMP-DX parameter file (binary data: NUL byte at offset %zu)",
                   (size_t)((const char *)memchr(buf, 0, len) - buf));
    const char *p = buf;
    /* blanks and "$$" comment lines may precede the first record */
    for (;;) {
        while (p < end && is_space(*p))
            p++;
        if (end - p >= 2 && p[0] == '$' && p[1] == '$') {
            const char *le = line_end(p, end);
            p = le < end ? le + 1 : end;
            continue;
        }
        break;
    }
    if (!is_record(p, end))
        return ERR(e, SARC_ERR_FORMAT, "not a JCAMP-DX parameter file (does not start with '##')");

    /* count records: lines that start with "##" */
    int nrec = 0;
    for (const char *q = p; q < end;) {
        if (is_record(q, end))
            nrec++;
        const char *le = line_end(q, end);
        q = le < end ? le + 1 : end;
    }
    j->param = NULL;
    if (nrec > 0) {
        j->param = arena_alloc(&arena, sizeof *j->param * (size_t)nrec);
        if (!j->param) {
            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    struct pstate s = {buf, NULL, NULL, &arena, 0, e, ""};
    while (p < end) {
        if (!is_record(p, end)) {
            /* text between records belongs to the previous record (handled below); a line that
             * cannot belong anywhere is only possible before the first record, excluded above */
            const char *le = line_end(p, end);
            p = le < end ? le + 1 : end;
            continue;
        }
        const char *le = line_end(p, end);
        const char *name0 = p + 2;
        int is_core = 1;
        if (name0 < le && *name0 == '$') {
            is_core = 0;
            name0++;
        }
        const char *eq = memchr(name0, '=', (size_t)(le - name0));
        if (!eq) {
            s.pname = "?";
            rc = perr(&s, p, "record without '='");
            goto fail;
        }
        const char *name1 = eq;
        while (name1 > name0 && is_space(name1[-1]))
            name1--;
        if (name1 == name0 || name1 - name0 > 255) {
            s.pname = "?";
            rc = perr(&s, p, "record name empty or longer than 255 characters");
            goto fail;
        }
        for (const char *c = name0; c < name1; c++)
            if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e) {
                s.pname = "?";
                rc = perr(&s, p, "record name with a blank or non-ASCII character");
                goto fail;
            }
        /* the value: rest of this line and every following line up to the next record */
        const char *v0 = eq + 1, *v1 = le;
        const char *q = le < end ? le + 1 : end;
        while (q < end && !is_record(q, end)) {
            const char *qe = line_end(q, end);
            v1 = qe;
            q = qe < end ? qe + 1 : end;
        }
        struct jcamp_param *pr = &j->param[j->nparam];
        memset(pr, 0, sizeof *pr);
        char *nm = arena_strndup(&arena, name0, (size_t)(name1 - name0));
        const char *raw = raw_text(&arena, v0, v1);
        if (!nm || !raw) {
            rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
            goto fail;
        }
        pr->name = nm;
        pr->raw = raw;
        pr->is_core = is_core;
        s.pname = nm;
        if (is_core) {
            /* header records are free text: one string value */
            pr->val = arena_alloc(&arena, sizeof *pr->val);
            if (!pr->val) {
                rc = ERR(e, SARC_ERR_NOMEM, "out of memory");
                goto fail;
            }
            memset(pr->val, 0, sizeof *pr->val);
            pr->val->kind = JV_STR;
            pr->val->text = raw;
            pr->nval = 1;
        } else {
            /* "( 3, 2 )" alone on the first line with values after it = declared dimensions */
            const char *vs = v0;
            if (parse_dims(v0, le, pr->dims, &pr->ndims) && has_content(le, v1))
                vs = le;
            else
                pr->ndims = 0;
            s.p = vs;
            s.end = v1;
            struct vlist l = {0};
            if ((rc = parse_seq(&s, 0, 0, &l)) != 0) {
                free(l.v);
                goto fail;
            }
            if ((rc = vlist_finish(&s, &l, &pr->val, &pr->nval)) != 0)
                goto fail;
        }
        j->nparam++;
        p = q;
        if (is_core && strcmp(nm, "END") == 0)
            break;
    }
    j->arena_ = arena;
    return 0;
fail:
    arena_free_all(arena);
    memset(j, 0, sizeof *j);
    return rc;
}

int jcamp_read(const char *path, struct jcamp *j, struct sarc_err *e)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    memset(j, 0, sizeof *j);
    int rc = file_read_all(path, &buf, &len, (size_t)64 << 20, e);
    if (rc)
        return rc;
    rc = jcamp_parse((const char *)buf, len, j, e);
    free(buf);
    return rc;
}

void jcamp_free(struct jcamp *j)
{
    if (!j)
        return;
    arena_free_all(j->arena_);
    memset(j, 0, sizeof *j);
}

/* ---- access ---- */

const struct jcamp_param *jcamp_find(const struct jcamp *j, const char *name)
{
    if (!j || !name)
        return NULL;
    for (int i = 0; i < j->nparam; i++)
        if (strcmp(j->param[i].name, name) == 0)
            return &j->param[i];
    return NULL;
}

/* Leaf walk: stores numbers into out[0..n) and counts them; returns -1 on a non-number. */
static int leaves_num(const struct jcamp_value *v, int nv, double *out, int n, int *k)
{
    for (int i = 0; i < nv; i++) {
        if (v[i].kind == JV_STRUCT) {
            if (leaves_num(v[i].child, v[i].nchild, out, n, k))
                return -1;
        } else if (v[i].kind == JV_NUM) {
            if (*k < n)
                out[*k] = v[i].num;
            if (*k < INT32_MAX)
                (*k)++;
        } else
            return -1;
    }
    return 0;
}

int jcamp_nums(const struct jcamp *j, const char *name, double *out, int n)
{
    const struct jcamp_param *p = jcamp_find(j, name);
    if (!p)
        return -1;
    int k = 0;
    if (leaves_num(p->val, p->nval, out, n, &k))
        return -1;
    return k;
}

int jcamp_num(const struct jcamp *j, const char *name, double *out, struct sarc_err *e)
{
    const struct jcamp_param *p = jcamp_find(j, name);
    if (!p)
        return ERR(e, SARC_ERR_FORMAT, "parameter %s is missing", name);
    double v;
    if (jcamp_nums(j, name, &v, 1) < 1)
        return ERR(e, SARC_ERR_FORMAT, "parameter %s = '%.40s' is not a number", name, p->raw);
    *out = v;
    return 0;
}

static const char *first_text(const struct jcamp_value *v, int nv)
{
    for (int i = 0; i < nv; i++) {
        if (v[i].kind == JV_STRUCT)
            return first_text(v[i].child, v[i].nchild);
        return v[i].text;
    }
    return NULL;
}

const char *jcamp_str(const struct jcamp *j, const char *name)
{
    const struct jcamp_param *p = jcamp_find(j, name);
    return p ? first_text(p->val, p->nval) : NULL;
}

static long long leaf_count(const struct jcamp_value *v, int nv)
{
    long long k = 0;
    for (int i = 0; i < nv; i++)
        k += v[i].kind == JV_STRUCT ? leaf_count(v[i].child, v[i].nchild) : 1;
    return k;
}

int jcamp_count(const struct jcamp *j, const char *name)
{
    const struct jcamp_param *p = jcamp_find(j, name);
    if (!p)
        return -1;
    long long k = leaf_count(p->val, p->nval);
    return k > INT32_MAX ? INT32_MAX : (int)k;
}

/* ---- printing ---- */

void jcamp_value_print(FILE *f, const struct jcamp_value *v)
{
    switch (v->kind) {
    case JV_NUM:
    case JV_WORD: fputs(v->text, f); break;
    case JV_STR: fprintf(f, "<%s>", v->text); break;
    case JV_STRUCT:
        fputc('(', f);
        for (int i = 0; i < v->nchild; i++) {
            if (i)
                fputs(", ", f);
            jcamp_value_print(f, &v->child[i]);
        }
        fputc(')', f);
        break;
    }
}

void jcamp_param_print(FILE *f, const struct jcamp_param *p)
{
    fprintf(f, "%s =", p->name);
    if (p->is_core) {
        fprintf(f, " %s\n", p->raw);
        return;
    }
    if (p->ndims) {
        fputs(" (", f);
        for (int i = 0; i < p->ndims; i++)
            fprintf(f, "%s%lld", i ? ", " : " ", p->dims[i]);
        fputs(" )", f);
    }
    for (int i = 0; i < p->nval; i++) {
        fputc(' ', f);
        jcamp_value_print(f, &p->val[i]);
    }
    fputc('\n', f);
}
