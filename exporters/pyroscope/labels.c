/* SPDX-License-Identifier: Apache-2.0 */
/*
 * labels.c: how the `pyroscope` exporter names things in Pyroscope's terms.
 *
 * Labels: every resource attribute whose key passes labels.include (all
 * when empty) and is not matched by labels.exclude becomes a label, except
 * service.name (it is the app name / service_name). Names are made valid:
 *   - sanitize_label_names: true (default): A-Z a-z 0-9 _, no leading digit
 *     (the v1 rule; Pyroscope 2 stores other names but its read path hides
 *     them from clients that do not announce UTF-8 label names);
 *   - false, /ingest: A-Z a-z 0-9 _ . (all the name grammar can carry);
 *   - false, Push: any valid UTF-8.
 * Every other character becomes one '_'. Values are any attribute as text
 * (pcol_value_text); for /ingest ',' and '}' are removed (the grammar has no
 * escaping) and spaces trimmed (the server trims them); invalid UTF-8
 * becomes U+FFFD; values are cut to 2048 bytes, Pyroscope's limit. Labels
 * whose name or value ends up empty, names starting with "__" (Pyroscope's
 * own), "service_name" and "pyroscope_spy" (the exporter sets those) are
 * left out. Sorted by name; of equal names the
 * first attribute wins.
 *
 * Profile name (`__name__`), from the sample types of one pprof: any type
 * `wall` -> wall; else the first type that says: contains `cpu` ->
 * process_cpu; contains `alloc_` or `inuse_`, or is `space` / `objects` ->
 * memory; contains `mutex_` -> mutex, `block_` -> block; is `contentions`
 * or `delay` -> block when the scope name or a `pyroscope.profile.name`,
 * `url.path` or `url.full` attribute (profile, scope or resource) mentions
 * "block", else mutex (what /ingest guesses too: the Go block and mutex
 * profiles have the same sample types);
 * contains `goroutine` -> goroutine. Then the period type by the same
 * rules (and one containing `wall`, e.g. fgprof's wallclock -> wall); else
 * the first sample type as a legacy name when it has a letter; else
 * process_cpu.
 *
 * Ownership: everything is borrowed for the call; label sets own heap
 * copies. Pure functions: safe on any thread (the batch is only read).
 */
#include "pyroscope_exporter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const hint_keys[] = {"pyroscope.profile.name", "url.path", "url.full"};

static bool is_alnum(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Length of the valid UTF-8 sequence at p (n > 0 bytes left), 0 if none. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint32_t cp;
    size_t len, i;

    if (p[0] < 0x80) {
        return 1;
    }
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
        cp = p[0] & 0x1fu;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        cp = p[0] & 0x0fu;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        cp = p[0] & 0x07u;
    } else {
        return 0;
    }
    if (n < len) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = cp << 6 | (p[i] & 0x3fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return len;
}

enum pcol__pyroexp_names pcol__pyroexp_name_style(const struct pcol__pyroexp *x)
{
    if (x->sanitize_label_names) {
        return PCOL__PYROEXP_NAMES_LEGACY;
    }
    return x->protocol == PCOL__PYROEXP_INGEST ? PCOL__PYROEXP_NAMES_INGEST
                                               : PCOL__PYROEXP_NAMES_UTF8;
}

void pcol__pyroexp_label_name(const char *in, enum pcol__pyroexp_names style, struct pcol_buf *out)
{
    const uint8_t *p = (const uint8_t *)in;
    size_t n = strlen(in), i = 0, start = out->len, len;

    while (i < n) {
        uint8_t c = p[i];

        if (c < 0x80) {
            bool ok = is_alnum(c) || c == '_' ||
                      (c == '.' && style != PCOL__PYROEXP_NAMES_LEGACY) ||
                      (style == PCOL__PYROEXP_NAMES_UTF8 && c >= 0x20 && c != 0x7f);
            if (style == PCOL__PYROEXP_NAMES_LEGACY && out->len == start && c >= '0' && c <= '9') {
                pcol_buf_putc(out, '_');
            }
            pcol_buf_putc(out, ok ? (char)c : '_');
            i++;
            continue;
        }
        len = utf8_seq(p + i, n - i);
        if (len && style == PCOL__PYROEXP_NAMES_UTF8) {
            pcol_buf_append(out, p + i, len);
        } else {
            pcol_buf_putc(out, '_');
        }
        i += len ? len : 1;
    }
}

void pcol__pyroexp_label_value(const char *in, size_t n, bool ingest, struct pcol_buf *out)
{
    static const uint8_t replacement[] = {0xef, 0xbf, 0xbd};
    const uint8_t *p = (const uint8_t *)in;
    size_t i = 0, start = out->len, len;

    while (i < n) {
        const uint8_t *seq = p + i;

        len = utf8_seq(p + i, n - i);
        i += len ? len : 1;
        if (!len) {
            seq = replacement;
            len = sizeof(replacement);
        } else if (ingest && (*seq == ',' || *seq == '}' ||
                              ((*seq == ' ' || *seq == '\t') && out->len == start))) {
            continue;
        }
        if (out->len - start + len > PCOL__PYROEXP_MAX_VALUE) {
            break;
        }
        pcol_buf_append(out, seq, len);
    }
    while (ingest && out->len > start &&
           (out->p[out->len - 1] == ' ' || out->p[out->len - 1] == '\t')) {
        out->len--;
    }
}

/* ---- label sets --------------------------------------------------------------------- */

static char *dup_n(const void *p, size_t n)
{
    char *s = pcol_xmalloc(n + 1);

    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static void add_n(struct pcol__pyroexp_labels *l, const void *name, size_t name_len,
                  const void *value, size_t value_len)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = pcol_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n].name = dup_n(name, name_len);
    l->v[l->n].value = dup_n(value, value_len);
    l->n++;
}

void pcol__pyroexp_labels_add(struct pcol__pyroexp_labels *l, const char *name, const char *value)
{
    add_n(l, name, strlen(name), value, strlen(value));
}

void pcol__pyroexp_labels_sort(struct pcol__pyroexp_labels *l)
{
    size_t i, j, o;

    /* Insertion sort: stable (the first of equal names stays first), and
     * label sets are small. */
    for (i = 1; i < l->n; i++) {
        struct pcol__pyroexp_label t = l->v[i];

        for (j = i; j > 0 && strcmp(l->v[j - 1].name, t.name) > 0; j--) {
            l->v[j] = l->v[j - 1];
        }
        l->v[j] = t;
    }
    for (i = o = 0; i < l->n; i++) {
        if (o > 0 && strcmp(l->v[o - 1].name, l->v[i].name) == 0) {
            free(l->v[i].name);
            free(l->v[i].value);
            continue;
        }
        l->v[o++] = l->v[i];
    }
    l->n = o;
}

void pcol__pyroexp_labels_free(struct pcol__pyroexp_labels *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].value);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static bool selected(const struct pcol__pyroexp *x, const char *key)
{
    if (x->labels.include.n && !pcol_regex_list_match(&x->labels.include, key)) {
        return false;
    }
    return !pcol_regex_list_match(&x->labels.exclude, key);
}

void pcol__pyroexp_resource_labels(const struct pcol__pyroexp *x, const struct pcol_batch *b,
                                   const struct pcol_resource *r, struct pcol__pyroexp_labels *out)
{
    enum pcol__pyroexp_names style = pcol__pyroexp_name_style(x);
    bool ingest = x->protocol == PCOL__PYROEXP_INGEST;
    struct pcol_buf name = {0}, text = {0}, value = {0};
    uint32_t i;

    for (i = 0; i < r->n_attrs; i++) {
        const char *key = pcol_cstr(b, r->attrs[i].key);

        if (!strcmp(key, "service.name") || !selected(x, key)) {
            continue;
        }
        name.len = text.len = value.len = 0;
        pcol__pyroexp_label_name(key, style, &name);
        pcol_value_text(b, &r->attrs[i].value, &text);
        pcol__pyroexp_label_value((const char *)text.p, text.len, ingest, &value);
        pcol_buf_putc(&name, '\0');
        if (name.len == 1 || !value.len || !strncmp((const char *)name.p, "__", 2) ||
            !strcmp((const char *)name.p, "service_name") ||
            !strcmp((const char *)name.p, "pyroscope_spy")) {
            continue;
        }
        name.len--;
        add_n(out, name.p, name.len, value.p, value.len);
    }
    pcol_buf_free(&name);
    pcol_buf_free(&text);
    pcol_buf_free(&value);
}

static bool app_char(uint8_t c)
{
    return is_alnum(c) || c == '_' || c == '.' || c == '-' || c == '/';
}

char *pcol__pyroexp_service_name(const struct pcol_batch *b, const struct pcol_resource *r,
                                 bool ingest)
{
    struct pcol_buf text = {0}, out = {0};
    uint32_t i;
    size_t j, len;

    for (i = 0; i < r->n_attrs; i++) {
        if (!strcmp(pcol_cstr(b, r->attrs[i].key), "service.name")) {
            pcol_value_text(b, &r->attrs[i].value, &text);
            break;
        }
    }
    if (!ingest) {
        pcol__pyroexp_label_value((const char *)text.p, text.len, false, &out);
    }
    for (j = 0; ingest && j < text.len; j += len ? len : 1) {
        len = text.p[j] < 0x80 ? 1 : utf8_seq(text.p + j, text.len - j);
        pcol_buf_putc(&out, len == 1 && app_char(text.p[j]) ? (char)text.p[j] : '_');
    }
    if (!out.len) {
        pcol_buf_puts(&out, "unknown_service");
    }
    pcol_buf_putc(&out, '\0');
    pcol_buf_free(&text);
    return (char *)out.p;
}

/* ---- profile names ------------------------------------------------------------------ */

static bool has_hint(const struct pcol_batch *b, int32_t key, const struct pcol_value *v,
                     const char *word)
{
    const char *k = pcol_cstr(b, key);
    size_t i;

    if (v->kind != PCOL_VAL_STR) {
        return false;
    }
    for (i = 0; i < PCOL_ARRAY_SIZE(hint_keys); i++) {
        if (!strcmp(k, hint_keys[i])) {
            return strstr(pcol_cstr(b, v->u.str), word) != NULL;
        }
    }
    return false;
}

/* Whether a contentions/delay profile says it is a block profile. */
static bool says_block(const struct pcol_batch *b, const struct pcol_resource *r,
                       const struct pcol_scope *s, const struct pcol_profile *p)
{
    uint32_t i;

    if (strstr(pcol_cstr(b, s->name), "block")) {
        return true;
    }
    for (i = 0; i < p->attrs.n; i++) {
        const struct pcol_attr *a = pcol_attr_at(b, p->attrs.v[i]);
        if (has_hint(b, a->key, &a->value, "block")) {
            return true;
        }
    }
    for (i = 0; i < s->n_attrs; i++) {
        if (has_hint(b, s->attrs[i].key, &s->attrs[i].value, "block")) {
            return true;
        }
    }
    for (i = 0; i < r->n_attrs; i++) {
        if (has_hint(b, r->attrs[i].key, &r->attrs[i].value, "block")) {
            return true;
        }
    }
    return false;
}

/* The name one type name implies, or NULL; `block` answers contentions. */
static const char *type_rule(const char *t, bool block)
{
    if (strstr(t, "cpu")) {
        return "process_cpu";
    }
    if (strstr(t, "alloc_") || strstr(t, "inuse_") || !strcmp(t, "space") ||
        !strcmp(t, "objects")) {
        return "memory";
    }
    if (strstr(t, "mutex_")) {
        return "mutex";
    }
    if (strstr(t, "block_")) {
        return "block";
    }
    if (!strcmp(t, "contentions") || !strcmp(t, "delay")) {
        return block ? "block" : "mutex";
    }
    if (strstr(t, "goroutine")) {
        return "goroutine";
    }
    return NULL;
}

const char *pcol__pyroexp_profile_name(const struct pcol_batch *b, const struct pcol_resource *r,
                                       const struct pcol_scope *s, uint32_t first, uint32_t n,
                                       char *buf, size_t cap)
{
    const struct pcol_profile *p = &s->profiles[first];
    bool block = says_block(b, r, s, p);
    const char *name = NULL;
    struct pcol_buf legacy = {0};
    uint32_t i;

    for (i = first; i < first + n; i++) {
        if (!strcmp(pcol_cstr(b, s->profiles[i].sample_type.type), "wall")) {
            name = "wall";
        }
    }
    for (i = first; !name && i < first + n; i++) {
        name = type_rule(pcol_cstr(b, s->profiles[i].sample_type.type), block);
    }
    if (!name && strstr(pcol_cstr(b, p->period_type.type), "wall")) {
        name = "wall";
    }
    if (!name) {
        name = type_rule(pcol_cstr(b, p->period_type.type), block);
    }
    if (!name) {
        pcol__pyroexp_label_name(pcol_cstr(b, p->sample_type.type), PCOL__PYROEXP_NAMES_LEGACY,
                                 &legacy);
        pcol_buf_putc(&legacy, '\0');
        name = strspn((const char *)legacy.p, "_0123456789") + 1 < legacy.len
                   ? (const char *)legacy.p
                   : "process_cpu";
    }
    snprintf(buf, cap, "%s", name);
    pcol_buf_free(&legacy);
    return buf;
}
