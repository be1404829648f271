/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compare.c: the normalising comparators of compare.h (test code only).
 *
 * Both comparators render every field to a canonical string: ids and string
 * indexes resolved, strings quoted and escaped (so different values never
 * render alike), unordered things (labels, attribute sets) sorted. Samples
 * become one key string each and compare as sorted multisets. Locations are
 * rendered once per side and interned in a table shared by both sides, so a
 * sample key names its locations by canonical number instead of repeating
 * their text; that keeps google-pprof__large.cpu cheap.
 *
 * Each call owns one scratch arena and one scratch buffer and frees both
 * before returning. Renderers append to the scratch buffer; take() copies a
 * finished rendering into the arena and truncates the buffer back, so
 * renderers nest freely. An id or index that does not resolve is recorded
 * once (the first) and makes the comparison fail with that reason.
 */
#include "compare.h"

#include "compress.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A pprof bigger than this after gunzip is not a test input. */
#define TU_PPROF_MAX (1024u * 1024 * 1024)
/* Attribute values nest; deeper than this is treated as malformed. */
#define MAX_VALUE_DEPTH 32

/* ---- shared machinery ---------------------------------------------------- */

/* Interns renderings: equal strings from either side get one id. */
struct canon {
    const char **strs;
    uint64_t *slots; /* (hash32 << 32) | (id + 1); 0 = empty */
    uint32_t n;
    uint32_t cap;
    uint32_t nslots;
};

struct cmp {
    struct pcol_arena *arena;
    struct pcol_buf buf;
    struct canon canon;
    char problem[PCOL_ERR_MAX]; /* first id/index that did not resolve */
    char path[128];             /* where the walk is, for messages */
    char *why;
    size_t whylen;
};

/* A sample reduced to its stack (canonical location ids, leaf first) and
 * the rendering of everything else about it. */
struct sview {
    uint32_t *ids;
    uint32_t n;
    const char *rest;
};

/* A sample's key and its position in its profile. */
struct skey {
    const char *k;
    uint32_t idx;
};

/* Result of comparing two key multisets. */
struct diff {
    size_t only[2]; /* keys found on one side only */
    /* first[0]: the first A-only sample; first[1]: the B-only sample most
     * like it (or the first B-only one); -1 if none. */
    int64_t first[2];
};

static void cmp_init(struct cmp *c, char *why, size_t whylen)
{
    memset(c, 0, sizeof(*c));
    c->arena = pcol_arena_create(1u << 20);
    c->why = why;
    c->whylen = whylen;
    if (why && whylen) {
        why[0] = '\0';
    }
}

static void cmp_fini(struct cmp *c)
{
    pcol_buf_free(&c->buf);
    pcol_arena_destroy(c->arena);
}

/* Writes the reason for inequality; returns false for `return say(...)`. */
static bool say(struct cmp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool say(struct cmp *c, const char *fmt, ...)
{
    va_list ap;

    if (c->why && c->whylen) {
        va_start(ap, fmt);
        vsnprintf(c->why, c->whylen, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* Records that side `tag` has something that does not resolve. */
static void bad(struct cmp *c, char tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void bad(struct cmp *c, char tag, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (c->problem[0]) {
        return;
    }
    n = snprintf(c->problem, sizeof(c->problem), "%c: %s%s", tag, c->path, c->path[0] ? ": " : "");
    if (n < 0 || (size_t)n >= sizeof(c->problem)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(c->problem + n, sizeof(c->problem) - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Appends one step to the path; returns the old length for path_pop(). */
static size_t path_push(struct cmp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(struct cmp *c, const char *fmt, ...)
{
    size_t len = strlen(c->path);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->path + len, sizeof(c->path) - len, fmt, ap);
    va_end(ap);
    return len;
}

static void path_pop(struct cmp *c, size_t len)
{
    c->path[len] = '\0';
}

static const char *take(struct cmp *c, size_t mark)
{
    const char *s = pcol_arena_strndup(c->arena, (const char *)c->buf.p + mark, c->buf.len - mark);

    c->buf.len = mark;
    return s;
}

static void put_fmt(struct cmp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_fmt(struct cmp *c, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0) {
        pcol_buf_append(&c->buf, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
    }
}

/* Quoted and escaped, so no rendering can contain a bare separator or NUL. */
static void put_qstr(struct cmp *c, const char *s, size_t n)
{
    size_t i;

    pcol_buf_putc(&c->buf, '"');
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            pcol_buf_putc(&c->buf, '\\');
            pcol_buf_putc(&c->buf, (char)ch);
        } else if (ch < 0x20 || ch == 0x7f) {
            put_fmt(c, "\\x%02x", ch);
        } else {
            pcol_buf_putc(&c->buf, (char)ch);
        }
    }
    pcol_buf_putc(&c->buf, '"');
}

static void put_hex(struct cmp *c, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        pcol_buf_putc(&c->buf, digits[p[i] >> 4]);
        pcol_buf_putc(&c->buf, digits[p[i] & 15]);
    }
}

/* OTLP table entry 0 is the all-zero entry and means "none", so after an
 * OTLP hop a reference to an all-empty function or mapping cannot be told
 * from no reference (decoders may merge such duplicates of entry 0). Both
 * render as "-": the rendering buf[mark..] becomes "-" if it is `empty`. */
static void collapse_empty(struct cmp *c, size_t mark, const char *empty)
{
    size_t n = strlen(empty);

    if (c->buf.len - mark == n && memcmp(c->buf.p + mark, empty, n) == 0) {
        c->buf.len = mark;
        pcol_buf_putc(&c->buf, '-');
    }
}

static int cmp_cstr(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Sorts `v` and appends it as "{a, b}": attribute and label sets. */
static void put_sorted_set(struct cmp *c, const char **v, size_t n)
{
    size_t i;

    if (n > 1) {
        qsort(v, n, sizeof(*v), cmp_cstr);
    }
    pcol_buf_putc(&c->buf, '{');
    for (i = 0; i < n; i++) {
        if (i) {
            pcol_buf_puts(&c->buf, ", ");
        }
        pcol_buf_puts(&c->buf, v[i]);
    }
    pcol_buf_putc(&c->buf, '}');
}

static const char **str_array(struct cmp *c, size_t n)
{
    return pcol_arena_alloc(c->arena, (n ? n : 1) * sizeof(const char *));
}

static void canon_grow(struct cmp *c)
{
    struct canon *k = &c->canon;
    uint32_t nslots = k->nslots ? k->nslots * 2 : 1024;
    uint64_t *slots = pcol_arena_calloc(c->arena, nslots * sizeof(uint64_t));
    uint32_t i, j;

    for (i = 0; i < k->nslots; i++) {
        if (!k->slots[i]) {
            continue;
        }
        j = (uint32_t)(k->slots[i] >> 32) & (nslots - 1);
        while (slots[j]) {
            j = (j + 1) & (nslots - 1);
        }
        slots[j] = k->slots[i];
    }
    k->slots = slots;
    k->nslots = nslots;
}

/* Interns the rendering buf[mark..], truncates the buffer back to `mark`
 * and returns the rendering's canonical id. */
static uint32_t canon_take(struct cmp *c, size_t mark)
{
    struct canon *k = &c->canon;
    const char *s = (const char *)c->buf.p + mark;
    size_t len = c->buf.len - mark;
    uint32_t h, i, id;

    if ((k->n + 1) * 2 > k->nslots) {
        canon_grow(c);
    }
    h = (uint32_t)pcol_hash_bytes(s, len, 0);
    for (i = h & (k->nslots - 1); k->slots[i]; i = (i + 1) & (k->nslots - 1)) {
        id = (uint32_t)k->slots[i] - 1;
        if ((uint32_t)(k->slots[i] >> 32) == h && strncmp(k->strs[id], s, len) == 0 &&
            k->strs[id][len] == '\0') {
            c->buf.len = mark;
            return id;
        }
    }
    if (k->n == k->cap) {
        uint32_t cap = k->cap ? k->cap * 2 : 1024;
        k->strs =
            pcol_arena_grow(c->arena, k->strs, k->cap * sizeof(*k->strs), cap * sizeof(*k->strs));
        k->cap = cap;
    }
    id = k->n++;
    k->strs[id] = take(c, mark);
    k->slots[i] = ((uint64_t)h << 32) | (id + 1);
    return id;
}

static int32_t *canon_cache(struct cmp *c, size_t n)
{
    int32_t *v = pcol_arena_alloc(c->arena, (n ? n : 1) * sizeof(int32_t));

    memset(v, 0xff, (n ? n : 1) * sizeof(int32_t));
    return v;
}

/* Compares one rendered field of both sides. */
static bool same(struct cmp *c, const char *what, const char *va, const char *vb)
{
    if (c->problem[0]) {
        return say(c, "%s", c->problem);
    }
    if (strcmp(va, vb) == 0) {
        return true;
    }
    return say(c, "%s%s%s differs: A %s, B %s", c->path, c->path[0] ? ": " : "", what, va, vb);
}

static bool same_u64(struct cmp *c, const char *what, uint64_t a, uint64_t b)
{
    if (a == b) {
        return true;
    }
    return say(c, "%s%s%s differs: A %" PRIu64 ", B %" PRIu64, c->path, c->path[0] ? ": " : "",
               what, a, b);
}

static bool same_i64(struct cmp *c, const char *what, int64_t a, int64_t b)
{
    if (a == b) {
        return true;
    }
    return say(c, "%s%s%s differs: A %" PRId64 ", B %" PRId64, c->path, c->path[0] ? ": " : "",
               what, a, b);
}

static int cmp_skey(const void *x, const void *y)
{
    const struct skey *a = x, *b = y;
    int r = strcmp(a->k, b->k);

    return r ? r : (a->idx > b->idx) - (a->idx < b->idx);
}

static size_t common_prefix(const char *a, const char *b)
{
    size_t n = 0;

    while (a[n] && a[n] == b[n]) {
        n++;
    }
    return n;
}

/* Sorts both key lists and walks them in step; true when they are equal.
 * Keys start with the stack, so the B-only key sharing the longest prefix
 * with the first A-only key is usually the same stack changed elsewhere. */
static bool multiset_diff(struct cmp *c, struct skey *ka, size_t na, struct skey *kb, size_t nb,
                          struct diff *d)
{
    bool *b_only = pcol_arena_calloc(c->arena, nb + 1);
    const char *first_a = NULL;
    size_t i = 0, j = 0, best = 0;

    qsort(ka, na, sizeof(*ka), cmp_skey);
    qsort(kb, nb, sizeof(*kb), cmp_skey);
    memset(d, 0, sizeof(*d));
    d->first[0] = d->first[1] = -1;
    while (i < na || j < nb) {
        int r = i == na ? 1 : j == nb ? -1 : strcmp(ka[i].k, kb[j].k);
        if (r == 0) {
            i++;
            j++;
        } else if (r < 0) {
            if (d->only[0]++ == 0) {
                d->first[0] = ka[i].idx;
                first_a = ka[i].k;
            }
            i++;
        } else {
            d->only[1]++;
            b_only[j++] = true;
        }
    }
    for (j = 0; j < nb; j++) {
        size_t n = first_a && b_only[j] ? common_prefix(first_a, kb[j].k) : 0;
        if (b_only[j] && (d->first[1] < 0 || n > best)) {
            d->first[1] = kb[j].idx;
            best = n;
        }
    }
    return d->only[0] == 0 && d->only[1] == 0;
}

static const char *sview_key(struct cmp *c, const struct sview *v)
{
    size_t mark = c->buf.len;
    uint32_t i;

    for (i = 0; i < v->n; i++) {
        put_fmt(c, "%" PRIu32 ",", v->ids[i]);
    }
    pcol_buf_putc(&c->buf, '|');
    pcol_buf_puts(&c->buf, v->rest);
    return take(c, mark);
}

/* The sample in full, for messages. */
static const char *sview_text(struct cmp *c, const struct sview *v)
{
    size_t mark = c->buf.len;
    uint32_t i;

    pcol_buf_puts(&c->buf, "stack=[");
    for (i = 0; i < v->n; i++) {
        pcol_buf_puts(&c->buf, i ? ", " : "");
        pcol_buf_puts(&c->buf, c->canon.strs[v->ids[i]]);
    }
    pcol_buf_puts(&c->buf, "] ");
    pcol_buf_puts(&c->buf, v->rest);
    return take(c, mark);
}

static const char *frame_text(struct cmp *c, const struct sview *v, uint32_t i)
{
    return i < v->n ? c->canon.strs[v->ids[i]] : "none";
}

/* Says where two samples first differ: a stack frame, or the rest. */
static const char *sview_detail(struct cmp *c, const struct sview *a, const struct sview *b)
{
    uint32_t i = 0;

    while (i < a->n && i < b->n && a->ids[i] == b->ids[i]) {
        i++;
    }
    if (i < a->n || i < b->n) {
        return pcol_arena_sprintf(c->arena,
                                  "stack frame %" PRIu32 " differs (A has %" PRIu32
                                  " frames, B %" PRIu32 "): A %s, B %s",
                                  i, a->n, b->n, frame_text(c, a, i), frame_text(c, b, i));
    }
    return pcol_arena_sprintf(c->arena, "same stack, A %s, B %s", a->rest, b->rest);
}

/* Explains a sample multiset difference; `va` / `vb` are the samples
 * d->first names (NULL when there is none). */
static bool samples_differ(struct cmp *c, size_t na, size_t nb, const struct diff *d,
                           const struct sview *va, const struct sview *vb)
{
    char head[320];

    snprintf(head, sizeof(head),
             "%s%ssamples differ (A has %zu, B has %zu; %zu only in A, %zu "
             "only in B)",
             c->path, c->path[0] ? ": " : "", na, nb, d->only[0], d->only[1]);
    if (va && vb) {
        return say(c,
                   "%s: A #%" PRId64 " vs closest B #%" PRId64 ": %s; A #%" PRId64 ": %s; "
                   "B #%" PRId64 ": %s",
                   head, d->first[0], d->first[1], sview_detail(c, va, vb), d->first[0],
                   sview_text(c, va), d->first[1], sview_text(c, vb));
    }
    if (va) {
        return say(c, "%s: A #%" PRId64 " has no counterpart: %s", head, d->first[0],
                   sview_text(c, va));
    }
    return say(c, "%s: B #%" PRId64 " has no counterpart: %s", head, d->first[1],
               sview_text(c, vb));
}

/* ---- pprof --------------------------------------------------------------- */

Perftools__Profiles__Profile *tu_pprof_load(const uint8_t *p, size_t n, struct pcol_arena *a)
{
    ProtobufCAllocator alloc = {pcol__arena_pb_alloc, pcol__arena_pb_free, a};
    struct pcol_buf raw = {0};
    Perftools__Profiles__Profile *prof = NULL;

    if (pcol_is_gzip(p, n)) {
        if (pcol_decompress(PCOL_ENC_GZIP, p, n, TU_PPROF_MAX, &raw, NULL) != 0) {
            goto out;
        }
        p = raw.p;
        n = raw.len;
    }
    /* protobuf-c copies strings and bytes, so `raw` may go right after. */
    prof = perftools__profiles__profile__unpack(&alloc, n, p);
out:
    pcol_buf_free(&raw);
    return prof;
}

/* pprof ids -> array index (open addressing; pprof ids are never 0). */
struct idmap {
    uint64_t *ids;
    uint32_t *idx;
    uint32_t mask;
};

struct pp_side {
    const Perftools__Profiles__Profile *p;
    char tag;
    struct idmap mappings;
    struct idmap locations;
    struct idmap functions;
    int32_t *loc_canon; /* per location index, -1 until rendered */
};

static void idmap_init(struct cmp *c, struct idmap *m, size_t n)
{
    size_t nslots = 2;

    while (nslots < 2 * n) {
        nslots *= 2;
    }
    m->ids = pcol_arena_calloc(c->arena, nslots * sizeof(uint64_t));
    m->idx = pcol_arena_alloc(c->arena, nslots * sizeof(uint32_t));
    m->mask = (uint32_t)nslots - 1;
}

static void idmap_put(struct cmp *c, char tag, struct idmap *m, const char *what, uint64_t id,
                      uint32_t idx)
{
    uint32_t i;

    if (id == 0) {
        bad(c, tag, "%s %" PRIu32 " has id 0", what, idx);
        return;
    }
    for (i = (uint32_t)pcol_hash_mix(0, id) & m->mask; m->ids[i]; i = (i + 1) & m->mask) {
        if (m->ids[i] == id) {
            bad(c, tag, "duplicate %s id %" PRIu64, what, id);
            return;
        }
    }
    m->ids[i] = id;
    m->idx[i] = idx;
}

static int64_t idmap_get(const struct idmap *m, uint64_t id)
{
    uint32_t i;

    for (i = (uint32_t)pcol_hash_mix(0, id) & m->mask; m->ids[i]; i = (i + 1) & m->mask) {
        if (m->ids[i] == id) {
            return m->idx[i];
        }
    }
    return -1;
}

static void pp_side_init(struct cmp *c, struct pp_side *s, const Perftools__Profiles__Profile *p,
                         char tag)
{
    size_t i;

    s->p = p;
    s->tag = tag;
    idmap_init(c, &s->mappings, p->n_mapping);
    idmap_init(c, &s->locations, p->n_location);
    idmap_init(c, &s->functions, p->n_function);
    for (i = 0; i < p->n_mapping; i++) {
        idmap_put(c, tag, &s->mappings, "mapping", p->mapping[i]->id, (uint32_t)i);
    }
    for (i = 0; i < p->n_location; i++) {
        idmap_put(c, tag, &s->locations, "location", p->location[i]->id, (uint32_t)i);
    }
    for (i = 0; i < p->n_function; i++) {
        idmap_put(c, tag, &s->functions, "function", p->function[i]->id, (uint32_t)i);
    }
    s->loc_canon = canon_cache(c, p->n_location);
}

static const char *pp_str(struct cmp *c, const struct pp_side *s, int64_t i, const char *what)
{
    if (i == 0 && s->p->n_string_table == 0) {
        return "";
    }
    if (i < 0 || (uint64_t)i >= s->p->n_string_table) {
        bad(c, s->tag, "%s: string index %" PRId64 " out of range", what, i);
        return "?";
    }
    return s->p->string_table[i];
}

static void pp_put_str(struct cmp *c, const struct pp_side *s, int64_t i, const char *what)
{
    const char *str = pp_str(c, s, i, what);

    put_qstr(c, str, strlen(str));
}

static void pp_put_value_type(struct cmp *c, const struct pp_side *s,
                              const Perftools__Profiles__ValueType *vt)
{
    pp_put_str(c, s, vt ? vt->type : 0, "value type");
    pcol_buf_putc(&c->buf, '/');
    pp_put_str(c, s, vt ? vt->unit : 0, "value unit");
}

static void pp_put_mapping(struct cmp *c, const struct pp_side *s, uint64_t id)
{
    const Perftools__Profiles__Mapping *m;
    size_t mark = c->buf.len;
    int64_t k;

    if (id == 0) {
        pcol_buf_putc(&c->buf, '-');
        return;
    }
    k = idmap_get(&s->mappings, id);
    if (k < 0) {
        bad(c, s->tag, "mapping id %" PRIu64 " does not exist", id);
        pcol_buf_putc(&c->buf, '?');
        return;
    }
    m = s->p->mapping[k];
    put_fmt(c, "[0x%" PRIx64 "-0x%" PRIx64 "+0x%" PRIx64 " ", m->memory_start, m->memory_limit,
            m->file_offset);
    pp_put_str(c, s, m->filename, "mapping filename");
    pcol_buf_puts(&c->buf, " build=");
    pp_put_str(c, s, m->build_id, "mapping build_id");
    put_fmt(c, " has=%d%d%d%d]", m->has_functions, m->has_filenames, m->has_line_numbers,
            m->has_inline_frames);
    collapse_empty(c, mark, "[0x0-0x0+0x0 \"\" build=\"\" has=0000]");
}

static void pp_put_function(struct cmp *c, const struct pp_side *s, uint64_t id)
{
    const Perftools__Profiles__Function *f;
    size_t mark = c->buf.len;
    int64_t k;

    if (id == 0) {
        pcol_buf_putc(&c->buf, '-');
        return;
    }
    k = idmap_get(&s->functions, id);
    if (k < 0) {
        bad(c, s->tag, "function id %" PRIu64 " does not exist", id);
        pcol_buf_putc(&c->buf, '?');
        return;
    }
    f = s->p->function[k];
    pp_put_str(c, s, f->name, "function name");
    pcol_buf_putc(&c->buf, ' ');
    pp_put_str(c, s, f->system_name, "function system_name");
    pcol_buf_putc(&c->buf, ' ');
    pp_put_str(c, s, f->filename, "function filename");
    put_fmt(c, ":%" PRId64, f->start_line);
    collapse_empty(c, mark, "\"\" \"\" \"\":0");
}

static uint32_t pp_location(struct cmp *c, struct pp_side *s, uint32_t k)
{
    const Perftools__Profiles__Location *loc = s->p->location[k];
    size_t mark = c->buf.len, path, i;

    if (s->loc_canon[k] >= 0) {
        return (uint32_t)s->loc_canon[k];
    }
    path = path_push(c, ": location id %" PRIu64, loc->id);
    pcol_buf_puts(&c->buf, "{m=");
    pp_put_mapping(c, s, loc->mapping_id);
    put_fmt(c, ";a=0x%" PRIx64 "%s;lines=[", loc->address, loc->is_folded ? ";folded" : "");
    for (i = 0; i < loc->n_line; i++) {
        if (i) {
            pcol_buf_puts(&c->buf, ", ");
        }
        pp_put_function(c, s, loc->line[i]->function_id);
        put_fmt(c, " L%" PRId64 ":%" PRId64, loc->line[i]->line, loc->line[i]->column);
    }
    pcol_buf_puts(&c->buf, "]}");
    path_pop(c, path);
    s->loc_canon[k] = (int32_t)canon_take(c, mark);
    return (uint32_t)s->loc_canon[k];
}

/* Go's pprof reads a label with a str index as a string label, else as a
 * number, so that is the canonical form. */
static const char *pp_label(struct cmp *c, const struct pp_side *s,
                            const Perftools__Profiles__Label *l)
{
    size_t mark = c->buf.len;

    pp_put_str(c, s, l->key, "label key");
    if (l->str) {
        pcol_buf_puts(&c->buf, "=s:");
        pp_put_str(c, s, l->str, "label str");
    } else {
        put_fmt(c, "=n:%" PRId64, l->num);
        if (l->num_unit) {
            pcol_buf_puts(&c->buf, " unit=");
            pp_put_str(c, s, l->num_unit, "label num_unit");
        }
    }
    return take(c, mark);
}

static void pp_view(struct cmp *c, struct pp_side *s, uint32_t i, struct sview *v)
{
    const Perftools__Profiles__Sample *smp = s->p->sample[i];
    const char **labels = str_array(c, smp->n_label);
    size_t path = path_push(c, "sample %" PRIu32, i), mark, j;

    v->ids = pcol_arena_alloc(c->arena, (smp->n_location_id + 1) * sizeof(uint32_t));
    v->n = 0;
    for (j = 0; j < smp->n_location_id; j++) {
        int64_t k = idmap_get(&s->locations, smp->location_id[j]);
        if (k < 0) {
            bad(c, s->tag, "location id %" PRIu64 " does not exist", smp->location_id[j]);
            continue;
        }
        v->ids[v->n++] = pp_location(c, s, (uint32_t)k);
    }
    for (j = 0; j < smp->n_label; j++) {
        labels[j] = pp_label(c, s, smp->label[j]);
    }
    mark = c->buf.len;
    pcol_buf_puts(&c->buf, "values=[");
    for (j = 0; j < smp->n_value; j++) {
        put_fmt(c, "%s%" PRId64, j ? "," : "", smp->value[j]);
    }
    pcol_buf_puts(&c->buf, "] labels=");
    put_sorted_set(c, labels, smp->n_label);
    v->rest = take(c, mark);
    path_pop(c, path);
}

static const char *pp_value_types(struct cmp *c, const struct pp_side *s)
{
    size_t mark = c->buf.len, i;

    pcol_buf_putc(&c->buf, '[');
    for (i = 0; i < s->p->n_sample_type; i++) {
        if (i) {
            pcol_buf_puts(&c->buf, ", ");
        }
        pp_put_value_type(c, s, s->p->sample_type[i]);
    }
    pcol_buf_putc(&c->buf, ']');
    return take(c, mark);
}

/* pprof: "if unset, use the last sample type". */
static const char *pp_default_type(struct cmp *c, const struct pp_side *s)
{
    const Perftools__Profiles__Profile *p = s->p;
    size_t mark = c->buf.len;
    int64_t idx = p->default_sample_type;

    if (idx == 0 && p->n_sample_type > 0) {
        idx = p->sample_type[p->n_sample_type - 1]->type;
    }
    pp_put_str(c, s, idx, "default_sample_type");
    return take(c, mark);
}

static const char *pp_period_type(struct cmp *c, const struct pp_side *s)
{
    size_t mark = c->buf.len;

    pp_put_value_type(c, s, s->p->period_type);
    return take(c, mark);
}

static const char *pp_comments(struct cmp *c, const struct pp_side *s)
{
    size_t mark = c->buf.len, i;

    pcol_buf_putc(&c->buf, '[');
    for (i = 0; i < s->p->n_comment; i++) {
        if (i) {
            pcol_buf_puts(&c->buf, ", ");
        }
        pp_put_str(c, s, s->p->comment[i], "comment");
    }
    pcol_buf_putc(&c->buf, ']');
    return take(c, mark);
}

static const char *pp_strfield(struct cmp *c, const struct pp_side *s, int64_t i, const char *what)
{
    size_t mark = c->buf.len;

    pp_put_str(c, s, i, what);
    return take(c, mark);
}

static bool pp_header_equal(struct cmp *c, struct pp_side *a, struct pp_side *b)
{
    const Perftools__Profiles__Profile *pa = a->p, *pb = b->p;

    return same(c, "sample types", pp_value_types(c, a), pp_value_types(c, b)) &&
           same(c, "default sample type", pp_default_type(c, a), pp_default_type(c, b)) &&
           same(c, "period type", pp_period_type(c, a), pp_period_type(c, b)) &&
           same_i64(c, "period", pa->period, pb->period) &&
           same_i64(c, "time_nanos", pa->time_nanos, pb->time_nanos) &&
           same_i64(c, "duration_nanos", pa->duration_nanos, pb->duration_nanos) &&
           same(c, "comments", pp_comments(c, a), pp_comments(c, b)) &&
           same(c, "drop_frames", pp_strfield(c, a, pa->drop_frames, "drop_frames"),
                pp_strfield(c, b, pb->drop_frames, "drop_frames")) &&
           same(c, "keep_frames", pp_strfield(c, a, pa->keep_frames, "keep_frames"),
                pp_strfield(c, b, pb->keep_frames, "keep_frames")) &&
           same(c, "doc_url", pp_strfield(c, a, pa->doc_url, "doc_url"),
                pp_strfield(c, b, pb->doc_url, "doc_url"));
}

static struct skey *pp_keys(struct cmp *c, struct pp_side *s)
{
    struct skey *k = pcol_arena_alloc(c->arena, (s->p->n_sample + 1) * sizeof(*k));
    struct sview v;
    uint32_t i;

    for (i = 0; i < s->p->n_sample; i++) {
        pp_view(c, s, i, &v);
        k[i].k = sview_key(c, &v);
        k[i].idx = i;
    }
    return k;
}

static bool pp_samples_equal(struct cmp *c, struct pp_side *a, struct pp_side *b)
{
    size_t na = a->p->n_sample, nb = b->p->n_sample;
    struct skey *ka = pp_keys(c, a), *kb = pp_keys(c, b);
    struct sview va, vb;
    struct diff d;

    if (c->problem[0]) {
        return say(c, "%s", c->problem);
    }
    if (multiset_diff(c, ka, na, kb, nb, &d)) {
        return true;
    }
    if (d.first[0] >= 0) {
        pp_view(c, a, (uint32_t)d.first[0], &va);
    }
    if (d.first[1] >= 0) {
        pp_view(c, b, (uint32_t)d.first[1], &vb);
    }
    return samples_differ(c, na, nb, &d, d.first[0] >= 0 ? &va : NULL,
                          d.first[1] >= 0 ? &vb : NULL);
}

bool tu_pprof_equal(const Perftools__Profiles__Profile *a, const Perftools__Profiles__Profile *b,
                    char *why, size_t whylen)
{
    struct pp_side sa, sb;
    struct cmp c;
    bool eq;

    cmp_init(&c, why, whylen);
    if (!a || !b) {
        eq = say(&c, "%s is NULL", a ? "B" : "A");
        goto out;
    }
    pp_side_init(&c, &sa, a, 'A');
    pp_side_init(&c, &sb, b, 'B');
    eq = pp_header_equal(&c, &sa, &sb) && pp_samples_equal(&c, &sa, &sb);
out:
    cmp_fini(&c);
    return eq;
}

/* ---- model --------------------------------------------------------------- */

struct bt_side {
    const struct pcol_batch *b;
    char tag;
    int32_t *loc_canon; /* per location index, -1 until rendered */
};

struct bt_cmp {
    struct cmp c;
    struct bt_side side[2];
    const char *const *ignore_scope_attrs;
};

static bool in_range(struct cmp *c, const struct bt_side *s, int32_t i, const struct pcol_table *t,
                     const char *what)
{
    if (i >= 0 && (uint32_t)i < t->n) {
        return true;
    }
    bad(c, s->tag, "%s index %" PRId32 " out of range (table has %" PRIu32 ")", what, i, t->n);
    return false;
}

static void bt_put_str(struct cmp *c, const struct bt_side *s, int32_t i)
{
    const struct pcol_str *str;

    if (!in_range(c, s, i, &s->b->dict.strings, "string")) {
        pcol_buf_putc(&c->buf, '?');
        return;
    }
    str = pcol_str_at(s->b, i);
    put_qstr(c, str->p, str->len);
}

static void bt_put_value(struct cmp *c, const struct bt_side *s, const struct pcol_value *v,
                         int depth)
{
    uint32_t i;

    if (depth > MAX_VALUE_DEPTH) {
        bad(c, s->tag, "attribute value nested deeper than %d", MAX_VALUE_DEPTH);
        return;
    }
    switch (v->kind) {
    case PCOL_VAL_EMPTY: pcol_buf_puts(&c->buf, "empty"); break;
    case PCOL_VAL_STR:
        pcol_buf_puts(&c->buf, "s:");
        bt_put_str(c, s, v->u.str);
        break;
    case PCOL_VAL_BOOL: pcol_buf_puts(&c->buf, v->u.b ? "b:true" : "b:false"); break;
    case PCOL_VAL_INT: put_fmt(c, "i:%" PRId64, v->u.i); break;
    case PCOL_VAL_DOUBLE: put_fmt(c, "d:%.17g", v->u.d); break;
    case PCOL_VAL_BYTES:
        pcol_buf_puts(&c->buf, "x:");
        put_hex(c, v->u.bytes, v->n);
        break;
    case PCOL_VAL_ARRAY:
        pcol_buf_puts(&c->buf, "a:[");
        for (i = 0; i < v->n; i++) {
            pcol_buf_puts(&c->buf, i ? ", " : "");
            bt_put_value(c, s, &v->u.array[i], depth + 1);
        }
        pcol_buf_putc(&c->buf, ']');
        break;
    case PCOL_VAL_KVLIST:
        pcol_buf_puts(&c->buf, "kv:{");
        for (i = 0; i < v->n; i++) {
            pcol_buf_puts(&c->buf, i ? ", " : "");
            bt_put_str(c, s, v->u.kvlist[i].key);
            pcol_buf_putc(&c->buf, '=');
            bt_put_value(c, s, &v->u.kvlist[i].value, depth + 1);
        }
        pcol_buf_putc(&c->buf, '}');
        break;
    default: bad(c, s->tag, "attribute value of unknown kind %" PRIu32, v->kind); break;
    }
}

static bool ignored_key(const struct bt_side *s, int32_t key, const char *const *ignore)
{
    const struct pcol_str *str;

    if (!ignore || key < 0 || (uint32_t)key >= s->b->dict.strings.n) {
        return false;
    }
    str = pcol_str_at(s->b, key);
    for (; *ignore; ignore++) {
        if (strlen(*ignore) == str->len && memcmp(*ignore, str->p, str->len) == 0) {
            return true;
        }
    }
    return false;
}

/* Resource and scope attributes (KeyValue) as a sorted set. */
static const char *bt_kvs(struct cmp *c, const struct bt_side *s, const struct pcol_kv *kv,
                          uint32_t n, const char *const *ignore)
{
    const char **v = str_array(c, n);
    size_t mark = c->buf.len, m;
    uint32_t i, k = 0;

    for (i = 0; i < n; i++) {
        if (ignored_key(s, kv[i].key, ignore)) {
            continue;
        }
        m = c->buf.len;
        bt_put_str(c, s, kv[i].key);
        pcol_buf_putc(&c->buf, '=');
        bt_put_value(c, s, &kv[i].value, 0);
        v[k++] = take(c, m);
    }
    put_sorted_set(c, v, k);
    return take(c, mark);
}

/* Dictionary attributes (KeyValueAndUnit) by index, as a sorted set. */
static void bt_put_attrs(struct cmp *c, const struct bt_side *s, struct pcol_ilist list)
{
    const char **v = str_array(c, list.n);
    size_t m;
    uint32_t i;

    for (i = 0; i < list.n; i++) {
        const struct pcol_attr *a;
        m = c->buf.len;
        if (in_range(c, s, list.v[i], &s->b->dict.attrs, "attribute")) {
            a = pcol_attr_at(s->b, list.v[i]);
            bt_put_str(c, s, a->key);
            pcol_buf_putc(&c->buf, '=');
            bt_put_value(c, s, &a->value, 0);
            if (a->unit) {
                pcol_buf_puts(&c->buf, " unit=");
                bt_put_str(c, s, a->unit);
            }
        }
        v[i] = take(c, m);
    }
    put_sorted_set(c, v, list.n);
}

static void bt_put_mapping(struct cmp *c, const struct bt_side *s, int32_t i)
{
    const struct pcol_mapping *m;
    size_t mark = c->buf.len;

    if (i == 0) {
        pcol_buf_putc(&c->buf, '-');
        return;
    }
    if (!in_range(c, s, i, &s->b->dict.mappings, "mapping")) {
        pcol_buf_putc(&c->buf, '?');
        return;
    }
    m = pcol_mapping_at(s->b, i);
    put_fmt(c, "[0x%" PRIx64 "-0x%" PRIx64 "+0x%" PRIx64 " ", m->memory_start, m->memory_limit,
            m->file_offset);
    bt_put_str(c, s, m->filename);
    pcol_buf_puts(&c->buf, " attrs=");
    bt_put_attrs(c, s, m->attrs);
    pcol_buf_putc(&c->buf, ']');
    collapse_empty(c, mark, "[0x0-0x0+0x0 \"\" attrs={}]");
}

static void bt_put_function(struct cmp *c, const struct bt_side *s, int32_t i)
{
    const struct pcol_function *f;
    size_t mark = c->buf.len;

    if (i == 0) {
        pcol_buf_putc(&c->buf, '-');
        return;
    }
    if (!in_range(c, s, i, &s->b->dict.functions, "function")) {
        pcol_buf_putc(&c->buf, '?');
        return;
    }
    f = pcol_function_at(s->b, i);
    bt_put_str(c, s, f->name);
    pcol_buf_putc(&c->buf, ' ');
    bt_put_str(c, s, f->system_name);
    pcol_buf_putc(&c->buf, ' ');
    bt_put_str(c, s, f->filename);
    put_fmt(c, ":%" PRId64, f->start_line);
    collapse_empty(c, mark, "\"\" \"\" \"\":0");
}

static uint32_t bt_location(struct cmp *c, struct bt_side *s, int32_t k)
{
    const struct pcol_location *loc = pcol_location_at(s->b, k);
    size_t mark = c->buf.len, path;
    uint32_t i;

    if (s->loc_canon[k] >= 0) {
        return (uint32_t)s->loc_canon[k];
    }
    path = path_push(c, ": location %" PRId32, k);
    pcol_buf_puts(&c->buf, "{m=");
    bt_put_mapping(c, s, loc->mapping);
    put_fmt(c, ";a=0x%" PRIx64 ";lines=[", loc->address);
    for (i = 0; i < loc->n_lines; i++) {
        if (i) {
            pcol_buf_puts(&c->buf, ", ");
        }
        bt_put_function(c, s, loc->lines[i].function);
        put_fmt(c, " L%" PRId64 ":%" PRId64, loc->lines[i].line, loc->lines[i].column);
    }
    pcol_buf_puts(&c->buf, "];attrs=");
    bt_put_attrs(c, s, loc->attrs);
    pcol_buf_putc(&c->buf, '}');
    path_pop(c, path);
    s->loc_canon[k] = (int32_t)canon_take(c, mark);
    return (uint32_t)s->loc_canon[k];
}

static void bt_put_link(struct cmp *c, const struct bt_side *s, int32_t link)
{
    const struct pcol_link *l;

    if (link == 0) {
        pcol_buf_putc(&c->buf, '-');
        return;
    }
    if (!in_range(c, s, link, &s->b->dict.links, "link")) {
        pcol_buf_putc(&c->buf, '?');
        return;
    }
    l = pcol_link_at(s->b, link);
    put_hex(c, l->trace_id, sizeof(l->trace_id));
    pcol_buf_putc(&c->buf, ':');
    put_hex(c, l->span_id, sizeof(l->span_id));
}

static void bt_view(struct cmp *c, struct bt_side *s, const struct pcol_sample *smp,
                    struct sview *v)
{
    const struct pcol_stack *st = NULL;
    size_t mark;
    uint32_t i;

    if (in_range(c, s, smp->stack, &s->b->dict.stacks, "stack")) {
        st = pcol_stack_at(s->b, smp->stack);
    }
    v->ids = pcol_arena_alloc(c->arena, ((st ? st->locations.n : 0) + 1) * sizeof(uint32_t));
    v->n = 0;
    for (i = 0; st && i < st->locations.n; i++) {
        if (in_range(c, s, st->locations.v[i], &s->b->dict.locations, "location")) {
            v->ids[v->n++] = bt_location(c, s, st->locations.v[i]);
        }
    }
    mark = c->buf.len;
    pcol_buf_puts(&c->buf, "values=[");
    for (i = 0; i < smp->n_values; i++) {
        put_fmt(c, "%s%" PRId64, i ? "," : "", smp->values[i]);
    }
    pcol_buf_puts(&c->buf, "] timestamps=[");
    for (i = 0; i < smp->n_timestamps; i++) {
        put_fmt(c, "%s%" PRIu64, i ? "," : "", smp->timestamps[i]);
    }
    pcol_buf_puts(&c->buf, "] attrs=");
    bt_put_attrs(c, s, smp->attrs);
    pcol_buf_puts(&c->buf, " link=");
    bt_put_link(c, s, smp->link);
    v->rest = take(c, mark);
}

static const char *bt_str(struct cmp *c, const struct bt_side *s, int32_t i)
{
    size_t mark = c->buf.len;

    bt_put_str(c, s, i);
    return take(c, mark);
}

static const char *bt_value_type(struct cmp *c, const struct bt_side *s,
                                 const struct pcol_value_type *vt)
{
    size_t mark = c->buf.len;

    bt_put_str(c, s, vt->type);
    pcol_buf_putc(&c->buf, '/');
    bt_put_str(c, s, vt->unit);
    return take(c, mark);
}

static const char *bt_attrs(struct cmp *c, const struct bt_side *s, struct pcol_ilist list)
{
    size_t mark = c->buf.len;

    bt_put_attrs(c, s, list);
    return take(c, mark);
}

static const char *bt_hex(struct cmp *c, const uint8_t *p, size_t n)
{
    size_t mark = c->buf.len;

    put_hex(c, p, n);
    return take(c, mark);
}

/* The payload itself is compared by length and hash: a message has no room
 * for megabytes, and a 64-bit hash collision is not a realistic risk. */
static const char *bt_payload(struct cmp *c, const struct bt_side *s, const struct pcol_profile *p)
{
    size_t mark = c->buf.len;

    bt_put_str(c, s, p->original_payload_format);
    put_fmt(c, " %zu bytes, hash %016" PRIx64, p->original_payload_len,
            pcol_hash_bytes(p->original_payload, p->original_payload_len, 0));
    return take(c, mark);
}

static const char *bt_entity_refs(struct cmp *c, const struct bt_side *s,
                                  const struct pcol_resource *r)
{
    size_t mark = c->buf.len;
    uint32_t i, j;

    pcol_buf_putc(&c->buf, '[');
    for (i = 0; i < r->n_entity_refs; i++) {
        const struct pcol_entity_ref *e = &r->entity_refs[i];
        pcol_buf_puts(&c->buf, i ? ", {schema_url=" : "{schema_url=");
        bt_put_str(c, s, e->schema_url);
        pcol_buf_puts(&c->buf, " type=");
        bt_put_str(c, s, e->type);
        pcol_buf_puts(&c->buf, " id_keys=[");
        for (j = 0; j < e->id_keys.n; j++) {
            pcol_buf_puts(&c->buf, j ? "," : "");
            bt_put_str(c, s, e->id_keys.v[j]);
        }
        pcol_buf_puts(&c->buf, "] description_keys=[");
        for (j = 0; j < e->description_keys.n; j++) {
            pcol_buf_puts(&c->buf, j ? "," : "");
            bt_put_str(c, s, e->description_keys.v[j]);
        }
        pcol_buf_puts(&c->buf, "]}");
    }
    pcol_buf_putc(&c->buf, ']');
    return take(c, mark);
}

static struct skey *bt_keys(struct bt_cmp *t, int side, const struct pcol_profile *p)
{
    struct skey *k = pcol_arena_alloc(t->c.arena, ((size_t)p->n_samples + 1) * sizeof(*k));
    struct sview v;
    uint32_t i;

    for (i = 0; i < p->n_samples; i++) {
        size_t path = path_push(&t->c, " sample %" PRIu32, i);
        bt_view(&t->c, &t->side[side], &p->samples[i], &v);
        path_pop(&t->c, path);
        k[i].k = sview_key(&t->c, &v);
        k[i].idx = i;
    }
    return k;
}

static bool bt_samples_equal(struct bt_cmp *t, const struct pcol_profile *pa,
                             const struct pcol_profile *pb)
{
    struct cmp *c = &t->c;
    struct skey *ka = bt_keys(t, 0, pa), *kb = bt_keys(t, 1, pb);
    struct sview va, vb;
    struct diff d;

    if (c->problem[0]) {
        return say(c, "%s", c->problem);
    }
    if (multiset_diff(c, ka, pa->n_samples, kb, pb->n_samples, &d)) {
        return true;
    }
    if (d.first[0] >= 0) {
        bt_view(c, &t->side[0], &pa->samples[d.first[0]], &va);
    }
    if (d.first[1] >= 0) {
        bt_view(c, &t->side[1], &pb->samples[d.first[1]], &vb);
    }
    return samples_differ(c, pa->n_samples, pb->n_samples, &d, d.first[0] >= 0 ? &va : NULL,
                          d.first[1] >= 0 ? &vb : NULL);
}

static bool bt_profile_equal(struct bt_cmp *t, const struct pcol_profile *pa,
                             const struct pcol_profile *pb)
{
    struct cmp *c = &t->c;
    const struct bt_side *a = &t->side[0], *b = &t->side[1];

    return same(c, "sample_type", bt_value_type(c, a, &pa->sample_type),
                bt_value_type(c, b, &pb->sample_type)) &&
           same(c, "period_type", bt_value_type(c, a, &pa->period_type),
                bt_value_type(c, b, &pb->period_type)) &&
           same_i64(c, "period", pa->period, pb->period) &&
           same_u64(c, "time_unix_nano", pa->time_unix_nano, pb->time_unix_nano) &&
           same_u64(c, "duration_nano", pa->duration_nano, pb->duration_nano) &&
           same(c, "profile_id", bt_hex(c, pa->profile_id, sizeof(pa->profile_id)),
                bt_hex(c, pb->profile_id, sizeof(pb->profile_id))) &&
           same_u64(c, "dropped_attributes_count", pa->dropped_attributes_count,
                    pb->dropped_attributes_count) &&
           same(c, "original_payload", bt_payload(c, a, pa), bt_payload(c, b, pb)) &&
           same(c, "attribute set", bt_attrs(c, a, pa->attrs), bt_attrs(c, b, pb->attrs)) &&
           bt_samples_equal(t, pa, pb);
}

static bool bt_scope_equal(struct bt_cmp *t, const struct pcol_scope *sa,
                           const struct pcol_scope *sb)
{
    struct cmp *c = &t->c;
    const struct bt_side *a = &t->side[0], *b = &t->side[1];
    uint32_t i;

    if (!(same(c, "name", bt_str(c, a, sa->name), bt_str(c, b, sb->name)) &&
          same(c, "version", bt_str(c, a, sa->version), bt_str(c, b, sb->version)) &&
          same(c, "attribute set", bt_kvs(c, a, sa->attrs, sa->n_attrs, t->ignore_scope_attrs),
               bt_kvs(c, b, sb->attrs, sb->n_attrs, t->ignore_scope_attrs)) &&
          same_u64(c, "dropped_attributes_count", sa->dropped_attributes_count,
                   sb->dropped_attributes_count) &&
          same(c, "schema_url", bt_str(c, a, sa->schema_url), bt_str(c, b, sb->schema_url)) &&
          same_u64(c, "profile count", sa->n_profiles, sb->n_profiles))) {
        return false;
    }
    for (i = 0; i < sa->n_profiles; i++) {
        size_t path = path_push(c, " profile %" PRIu32, i);
        if (!bt_profile_equal(t, &sa->profiles[i], &sb->profiles[i])) {
            return false;
        }
        path_pop(c, path);
    }
    return true;
}

static bool bt_resource_equal(struct bt_cmp *t, const struct pcol_resource *ra,
                              const struct pcol_resource *rb, uint32_t ri)
{
    struct cmp *c = &t->c;
    const struct bt_side *a = &t->side[0], *b = &t->side[1];
    size_t path = path_push(c, "resource %" PRIu32, ri);
    uint32_t i;

    if (!(same(c, "attribute set", bt_kvs(c, a, ra->attrs, ra->n_attrs, NULL),
               bt_kvs(c, b, rb->attrs, rb->n_attrs, NULL)) &&
          same_u64(c, "dropped_attributes_count", ra->dropped_attributes_count,
                   rb->dropped_attributes_count) &&
          same(c, "schema_url", bt_str(c, a, ra->schema_url), bt_str(c, b, rb->schema_url)) &&
          same(c, "entity_refs", bt_entity_refs(c, a, ra), bt_entity_refs(c, b, rb)) &&
          same_u64(c, "scope count", ra->n_scopes, rb->n_scopes))) {
        return false;
    }
    for (i = 0; i < ra->n_scopes; i++) {
        size_t scope = path_push(c, " scope %" PRIu32, i);
        if (!bt_scope_equal(t, &ra->scopes[i], &rb->scopes[i])) {
            return false;
        }
        path_pop(c, scope);
    }
    path_pop(c, path);
    return true;
}

static void bt_side_init(struct bt_cmp *t, int i, const struct pcol_batch *b)
{
    t->side[i].b = b;
    t->side[i].tag = i ? 'B' : 'A';
    t->side[i].loc_canon = canon_cache(&t->c, b->dict.locations.n);
}

bool tu_batch_equal_opts(const struct pcol_batch *a, const struct pcol_batch *b,
                         const struct tu_batch_cmp_opts *opts, char *why, size_t whylen)
{
    struct bt_cmp t;
    uint32_t i;
    bool eq = true;

    memset(&t, 0, sizeof(t));
    cmp_init(&t.c, why, whylen);
    t.ignore_scope_attrs = opts ? opts->ignore_scope_attrs : NULL;
    if (!a || !b) {
        eq = say(&t.c, "%s is NULL", a ? "B" : "A");
        goto out;
    }
    bt_side_init(&t, 0, a);
    bt_side_init(&t, 1, b);
    eq = same_u64(&t.c, "resource count", a->n_resources, b->n_resources);
    for (i = 0; eq && i < a->n_resources; i++) {
        eq = bt_resource_equal(&t, &a->resources[i], &b->resources[i], i);
    }
out:
    cmp_fini(&t.c);
    return eq;
}

bool tu_batch_equal(const struct pcol_batch *a, const struct pcol_batch *b, char *why,
                    size_t whylen)
{
    return tu_batch_equal_opts(a, b, NULL, why, whylen);
}
