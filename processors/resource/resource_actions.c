/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resource_actions.c: the action engine of the `resource` processor. It
 * works on one target's attributes loaded into a working list (see
 * resource_targets.c), with the OpenTelemetry Collector's semantics:
 *
 *   insert   set key only if absent          value, or from_attribute's value
 *   update   set key only where present      and unit (a literal value keeps
 *   upsert   either                          the unit the attribute had)
 *   delete   remove key and every key matching pattern
 *   hash     replace those values with the lowercase hex SHA-1 of their text
 *   extract  match pattern on key's value (as text); each named group
 *            becomes (or overwrites) an attribute; a group that took no part
 *            gives ""; no match: nothing; the source is kept
 *   convert  to int, double, string or bool; what does not convert stays
 *
 * Keys are compared by content, not by string index: a decoder may hold one
 * string at two indexes. Changes mark the list dirty; an unchanged list is
 * never written back.
 *
 * Ownership: the working list and text buffer are the context's scratch;
 * values in them point into the batch being processed.
 */
#include "resource.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

void pcol__res_sha1_hex(const void *p, size_t n, char out[41])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    if (!EVP_Digest(p, n, md, &len, EVP_sha1(), NULL) || len != 20) {
        pcol_fatal("SHA-1 is not available from libcrypto");
    }
    pcol_hex_encode(out, md, 20);
    out[40] = '\0';
}

void pcol__res_prepare(struct pcol_batch *b, struct pcol__res_prep *p, int32_t *groups)
{
    const struct pcol__res_action *a = p->a;
    uint32_t g;

    memset(&p->v, 0, sizeof(p->v));
    p->groups = NULL;
    p->key = -1;
    if (a->key) {
        p->key = a->kind == PCOL__RES_INSERT || a->kind == PCOL__RES_UPSERT
                     ? pcol_dict_str(b, a->key, a->key_len)
                     : pcol_dict_find_str(b, a->key, a->key_len);
    }
    if (a->has_value) {
        p->v.kind = a->value.kind;
        switch (a->value.kind) {
        case PCOL_VAL_STR: p->v.u.str = pcol_dict_str(b, a->value.text, a->value.len); break;
        case PCOL_VAL_INT: p->v.u.i = a->value.i; break;
        case PCOL_VAL_DOUBLE: p->v.u.d = a->value.d; break;
        case PCOL_VAL_BOOL: p->v.u.b = a->value.b; break;
        default: break;
        }
    }
    if (a->kind == PCOL__RES_EXTRACT) {
        p->groups = groups;
        for (g = 1; g <= a->pattern->n_groups; g++) {
            groups[g] = a->pattern->names[g] ? pcol_dict_cstr(b, a->pattern->names[g]) : 0;
        }
    }
}

/* ---- the working list ---------------------------------------------------------- */

static bool key_is(const struct pcol_batch *b, int32_t k, const char *name, size_t len, int32_t idx)
{
    const struct pcol_str *s;

    if (k == idx) {
        return true;
    }
    s = pcol_str_at(b, k);
    return s->len == len && !memcmp(s->p, name, len);
}

static int64_t find(const struct pcol_batch *b, const struct pcol__res_wlist *w, const char *name,
                    size_t len, int32_t idx)
{
    uint32_t i;

    for (i = 0; name && i < w->n; i++) {
        if (key_is(b, w->v[i].key, name, len, idx)) {
            return i;
        }
    }
    return -1;
}

static void append(struct pcol__res_wlist *w, int32_t key, const struct pcol_value *v, int32_t unit)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->v = pcol_xrealloc(w->v, w->cap * sizeof(*w->v));
    }
    w->v[w->n].key = key;
    w->v[w->n].value = *v;
    w->v[w->n].unit = unit;
    w->v[w->n].src = 0;
    w->n++;
    w->dirty = true;
}

static void set(struct pcol__res_wlist *w, uint32_t i, const struct pcol_value *v, int32_t unit)
{
    struct pcol__res_wattr *e = &w->v[i];

    if (e->unit == unit && pcol_value_eq(&e->value, v)) {
        return;
    }
    e->value = *v;
    e->unit = unit;
    e->src = 0;
    w->dirty = true;
}

/* The value insert/update/upsert set: the literal, or a copy of
 * from_attribute's value and unit (`unit` -1: keep the target's). False
 * when from_attribute is absent. */
static bool source(const struct pcol_batch *b, const struct pcol__res_prep *p,
                   const struct pcol__res_wlist *w, struct pcol_value *v, int32_t *unit)
{
    int64_t j;

    if (p->a->has_value) {
        *v = p->v;
        *unit = -1;
        return true;
    }
    if ((j = find(b, w, p->a->from, p->a->from_len, -1)) < 0) {
        return false;
    }
    *v = w->v[j].value;
    *unit = w->v[j].unit;
    return true;
}

static bool selected(const struct pcol_batch *b, const struct pcol__res_prep *p, int32_t key)
{
    const struct pcol__res_action *a = p->a;

    return (a->key && key_is(b, key, a->key, a->key_len, p->key)) ||
           (a->pattern && pcol_regex_match(a->pattern, pcol_cstr(b, key)));
}

/* The value as NUL-terminated text in c->text. */
static const char *text_of(struct pcol__res_ctx *c, const struct pcol_batch *b,
                           const struct pcol_value *v)
{
    c->text.len = 0;
    pcol_value_text(b, v, &c->text);
    pcol_buf_putc(&c->text, '\0');
    c->text.len--;
    return (const char *)c->text.p;
}

/* ---- convert -------------------------------------------------------------------- */

/* Go's strconv.ParseBool spellings. */
static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    size_t i;

    for (i = 0; i < PCOL_ARRAY_SIZE(yes); i++) {
        if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
            *out = !strcmp(s, yes[i]);
            return true;
        }
    }
    return false;
}

/* A whole-string number with no surrounding spaces. */
static bool parse_int(const char *s, int64_t *out)
{
    char *end;

    if (!*s || !(*s == '-' || *s == '+' || (*s >= '0' && *s <= '9'))) {
        return false;
    }
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno == 0 && *end == '\0';
}

static bool parse_double(const char *s, double *out)
{
    char *end;

    if (!*s || *s == ' ' || *s == '\t' || *s == '\n') {
        return false;
    }
    *out = strtod(s, &end);
    return *end == '\0';
}

/* Converts `in` to `type` into `out`; false when it does not convert or is
 * already of that type. */
static bool convert(struct pcol__res_ctx *c, struct pcol_batch *b, const struct pcol_value *in,
                    int type, struct pcol_value *out)
{
    memset(out, 0, sizeof(*out));
    switch (type) {
    case PCOL__RES_TYPE_STRING:
        if (in->kind == PCOL_VAL_STR) {
            return false;
        }
        text_of(c, b, in);
        out->kind = PCOL_VAL_STR;
        out->u.str = pcol_dict_str(b, (const char *)c->text.p, c->text.len);
        return true;
    case PCOL__RES_TYPE_INT:
        out->kind = PCOL_VAL_INT;
        switch (in->kind) {
        case PCOL_VAL_STR: return parse_int(pcol_cstr(b, in->u.str), &out->u.i);
        case PCOL_VAL_BOOL: out->u.i = in->u.b; return true;
        case PCOL_VAL_DOUBLE:
            /* Truncation, as the collector's int64(d); out of range does not convert. */
            if (!(in->u.d > -9223372036854775808.0 && in->u.d < 9223372036854775808.0)) {
                return false;
            }
            out->u.i = (int64_t)in->u.d;
            return true;
        default: return false;
        }
    case PCOL__RES_TYPE_DOUBLE:
        out->kind = PCOL_VAL_DOUBLE;
        switch (in->kind) {
        case PCOL_VAL_STR: return parse_double(pcol_cstr(b, in->u.str), &out->u.d);
        case PCOL_VAL_BOOL: out->u.d = in->u.b ? 1.0 : 0.0; return true;
        case PCOL_VAL_INT: out->u.d = (double)in->u.i; return true;
        default: return false;
        }
    case PCOL__RES_TYPE_BOOL:
        out->kind = PCOL_VAL_BOOL;
        switch (in->kind) {
        case PCOL_VAL_STR: return parse_bool(pcol_cstr(b, in->u.str), &out->u.b);
        case PCOL_VAL_INT: out->u.b = in->u.i != 0; return true;
        case PCOL_VAL_DOUBLE:
            if (isnan(in->u.d)) {
                return false;
            }
            out->u.b = in->u.d != 0;
            return true;
        default: return false;
        }
    default: return false;
    }
}

/* ---- the actions ------------------------------------------------------------------ */

static void do_set(struct pcol_batch *b, const struct pcol__res_prep *p, struct pcol__res_wlist *w)
{
    const struct pcol__res_action *a = p->a;
    struct pcol_value v;
    int32_t unit;
    bool found = false;
    uint32_t i;

    if (a->kind == PCOL__RES_INSERT && find(b, w, a->key, a->key_len, p->key) >= 0) {
        return;
    }
    if (!source(b, p, w, &v, &unit)) {
        return;
    }
    if (a->kind != PCOL__RES_INSERT) {
        for (i = 0; i < w->n; i++) {
            if (key_is(b, w->v[i].key, a->key, a->key_len, p->key)) {
                set(w, i, &v, unit < 0 ? w->v[i].unit : unit);
                found = true;
            }
        }
    }
    if (!found && a->kind != PCOL__RES_UPDATE) {
        append(w, p->key, &v, unit < 0 ? 0 : unit);
    }
}

static void do_delete(struct pcol_batch *b, const struct pcol__res_prep *p,
                      struct pcol__res_wlist *w)
{
    uint32_t i, o = 0;

    for (i = 0; i < w->n; i++) {
        if (!selected(b, p, w->v[i].key)) {
            w->v[o++] = w->v[i];
        }
    }
    if (o != w->n) {
        w->n = o;
        w->dirty = true;
    }
}

static void do_hash(struct pcol__res_ctx *c, struct pcol_batch *b, const struct pcol__res_prep *p,
                    struct pcol__res_wlist *w)
{
    struct pcol_value v = {.kind = PCOL_VAL_STR};
    char hex[41];
    uint32_t i;

    for (i = 0; i < w->n; i++) {
        if (selected(b, p, w->v[i].key)) {
            text_of(c, b, &w->v[i].value);
            pcol__res_sha1_hex(c->text.p, c->text.len, hex);
            v.u.str = pcol_dict_str(b, hex, 40);
            set(w, i, &v, w->v[i].unit);
        }
    }
}

static void do_extract(struct pcol__res_ctx *c, struct pcol_batch *b,
                       const struct pcol__res_prep *p, struct pcol__res_wlist *w)
{
    const struct pcol__res_action *a = p->a;
    const struct pcol_regex *re = a->pattern;
    struct pcol_value v = {.kind = PCOL_VAL_STR};
    int64_t j = find(b, w, a->key, a->key_len, p->key);
    const char *s;
    uint32_t g, i;

    if (j < 0) {
        return;
    }
    s = text_of(c, b, &w->v[j].value);
    if (!pcol_regex_exec(re, s, c->match)) {
        return;
    }
    for (g = 1; g <= re->n_groups; g++) {
        const regmatch_t *m = &c->match[g];
        bool found = false;

        if (!p->groups[g]) {
            continue;
        }
        v.u.str = m->rm_so < 0 ? 0
                               : pcol_dict_str(b, (const char *)c->text.p + m->rm_so,
                                               (size_t)(m->rm_eo - m->rm_so));
        for (i = 0; i < w->n; i++) {
            if (key_is(b, w->v[i].key, re->names[g], strlen(re->names[g]), p->groups[g])) {
                set(w, i, &v, w->v[i].unit);
                found = true;
            }
        }
        if (!found) {
            append(w, p->groups[g], &v, 0);
        }
    }
}

static void do_convert(struct pcol__res_ctx *c, struct pcol_batch *b,
                       const struct pcol__res_prep *p, struct pcol__res_wlist *w)
{
    const struct pcol__res_action *a = p->a;
    struct pcol_value v;
    uint32_t i;

    for (i = 0; i < w->n; i++) {
        if (key_is(b, w->v[i].key, a->key, a->key_len, p->key) &&
            convert(c, b, &w->v[i].value, a->type, &v)) {
            set(w, i, &v, w->v[i].unit);
        }
    }
}

void pcol__res_apply(struct pcol__res_ctx *c, struct pcol_batch *b, const struct pcol__res_prep *p,
                     struct pcol__res_wlist *w)
{
    switch (p->a->kind) {
    case PCOL__RES_INSERT:
    case PCOL__RES_UPDATE:
    case PCOL__RES_UPSERT: do_set(b, p, w); break;
    case PCOL__RES_DELETE: do_delete(b, p, w); break;
    case PCOL__RES_HASH: do_hash(c, b, p, w); break;
    case PCOL__RES_EXTRACT: do_extract(c, b, p, w); break;
    case PCOL__RES_CONVERT: do_convert(c, b, p, w); break;
    default: break;
    }
}
