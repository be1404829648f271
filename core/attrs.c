/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attrs.c: attribute lookup and value text. See attrs.h.
 */
#include "attrs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void base64(const uint8_t *p, size_t n, struct pcol_buf *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;

    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], tab[v & 63]};
        pcol_buf_append(out, q, 4);
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], i + 1 < n ? tab[(v >> 6) & 63] : '=', '='};
        pcol_buf_append(out, q, 4);
    }
}

static void value_json(const struct pcol_batch *b, const struct pcol_value *v, struct pcol_buf *out)
{
    uint32_t i;

    switch (v->kind) {
    case PCOL_VAL_STR: pcol_buf_json_string(out, pcol_cstr(b, v->u.str)); break;
    case PCOL_VAL_BYTES:
        pcol_buf_putc(out, '"');
        base64(v->u.bytes, v->n, out);
        pcol_buf_putc(out, '"');
        break;
    case PCOL_VAL_ARRAY:
        pcol_buf_putc(out, '[');
        for (i = 0; i < v->n; i++) {
            if (i) {
                pcol_buf_putc(out, ',');
            }
            value_json(b, &v->u.array[i], out);
        }
        pcol_buf_putc(out, ']');
        break;
    case PCOL_VAL_KVLIST:
        pcol_buf_putc(out, '{');
        for (i = 0; i < v->n; i++) {
            if (i) {
                pcol_buf_putc(out, ',');
            }
            pcol_buf_json_string(out, pcol_cstr(b, v->u.kvlist[i].key));
            pcol_buf_putc(out, ':');
            value_json(b, &v->u.kvlist[i].value, out);
        }
        pcol_buf_putc(out, '}');
        break;
    case PCOL_VAL_EMPTY: pcol_buf_puts(out, "null"); break;
    default: pcol_value_text(b, v, out); break;
    }
}

void pcol_value_text(const struct pcol_batch *b, const struct pcol_value *v, struct pcol_buf *out)
{
    char num[40];

    switch (v->kind) {
    case PCOL_VAL_STR: {
        const struct pcol_str *s = pcol_str_at(b, v->u.str);
        pcol_buf_append(out, s->p, s->len);
        break;
    }
    case PCOL_VAL_BOOL: pcol_buf_puts(out, v->u.b ? "true" : "false"); break;
    case PCOL_VAL_INT:
        snprintf(num, sizeof(num), "%" PRId64, v->u.i);
        pcol_buf_puts(out, num);
        break;
    case PCOL_VAL_DOUBLE: {
        int prec;
        /* The shortest precision that reads back to the same double. */
        for (prec = 1; prec < 17; prec++) {
            snprintf(num, sizeof(num), "%.*g", prec, v->u.d);
            if (strtod(num, NULL) == v->u.d) {
                break;
            }
        }
        snprintf(num, sizeof(num), "%.*g", prec, v->u.d);
        pcol_buf_puts(out, num);
        break;
    }
    case PCOL_VAL_BYTES: base64(v->u.bytes, v->n, out); break;
    case PCOL_VAL_ARRAY:
    case PCOL_VAL_KVLIST: value_json(b, v, out); break;
    default: break;
    }
}

/* Keys are compared by content: a decoded batch may hold one string at two
 * indexes (the wire formats allow it), so equal indexes are only a shortcut. */
static bool key_is(const struct pcol_batch *b, int32_t k, const char *key, size_t len)
{
    const struct pcol_str *s = pcol_str_at(b, k);

    return s->len == len && memcmp(s->p, key, len) == 0;
}

static const struct pcol_value *lookup(const struct pcol_batch *b, const struct pcol_resource *r,
                                       const struct pcol_scope *s, const struct pcol_profile *p,
                                       const char *key, size_t len)
{
    uint32_t i;

    if (len == 0) {
        return NULL; /* "" is the key of nothing */
    }
    if (p) {
        for (i = 0; i < p->attrs.n; i++) {
            const struct pcol_attr *a = pcol_attr_at(b, p->attrs.v[i]);
            if (key_is(b, a->key, key, len)) {
                return &a->value;
            }
        }
    }
    if (s) {
        for (i = 0; i < s->n_attrs; i++) {
            if (key_is(b, s->attrs[i].key, key, len)) {
                return &s->attrs[i].value;
            }
        }
    }
    if (r) {
        for (i = 0; i < r->n_attrs; i++) {
            if (key_is(b, r->attrs[i].key, key, len)) {
                return &r->attrs[i].value;
            }
        }
    }
    return NULL;
}

const struct pcol_value *pcol_attr_lookup(const struct pcol_batch *b, const struct pcol_resource *r,
                                          const struct pcol_scope *s, const struct pcol_profile *p,
                                          int32_t key)
{
    const struct pcol_str *k;

    if (key <= 0) {
        return NULL;
    }
    k = pcol_str_at(b, key);
    return lookup(b, r, s, p, k->p, k->len);
}

const struct pcol_value *pcol_attr_lookup_cstr(const struct pcol_batch *b,
                                               const struct pcol_resource *r,
                                               const struct pcol_scope *s,
                                               const struct pcol_profile *p, const char *key)
{
    return lookup(b, r, s, p, key, strlen(key));
}
