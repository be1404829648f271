/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_pprof_decode.c: pprof (perftools.profiles.Profile, gzip or raw) ->
 * the model, following docs/conversion.md. Part of the pprof codec, with
 * codec_pprof_encode.c; only these two files know the pprof wire types.
 *
 * The protobuf is unpacked straight into the batch arena, so its strings are
 * referenced by the dictionary, not copied. Every id, index and count is
 * checked (as Go's reader does) before it is used. Scratch maps live on the
 * heap for the duration of one call. On error the batch may hold dictionary
 * entries but no new resource.
 */
#include "codec_otlp_internal.h"
#include "codec_pprof.h"
#include "compress.h"

#include "pprof/profile.pb-c.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTEXT_PREFIX "otel.resource_profiles "
#define LEGACY_MSG                                                                                 \
    "legacy text/binary pprof format is not supported; convert it with `go tool pprof -proto`"

/* Attribute keys the mapping uses; interned once per decode, on first use. */
enum key {
    K_SAMPLE_TYPE_ORDER,
    K_DEFAULT_SAMPLE_TYPE,
    K_BUILD_ID,
    K_HAS_FUNCTIONS,
    K_HAS_FILENAMES,
    K_HAS_LINE_NUMBERS,
    K_HAS_INLINE_FRAMES,
    K_IS_FOLDED,
    K_DROP_FRAMES,
    K_KEEP_FRAMES,
    K_DOC_URL,
    K_COMMENT,
    K_COUNT
};

static const char *const key_names[K_COUNT] = {
    [K_SAMPLE_TYPE_ORDER] = "pprof.scope.sample_type_order",
    [K_DEFAULT_SAMPLE_TYPE] = "pprof.scope.default_sample_type",
    [K_BUILD_ID] = "process.executable.build_id.gnu",
    [K_HAS_FUNCTIONS] = "pprof.mapping.has_functions",
    [K_HAS_FILENAMES] = "pprof.mapping.has_filenames",
    [K_HAS_LINE_NUMBERS] = "pprof.mapping.has_line_numbers",
    [K_HAS_INLINE_FRAMES] = "pprof.mapping.has_inline_frames",
    [K_IS_FOLDED] = "pprof.location.is_folded",
    [K_DROP_FRAMES] = "pprof.profile.drop_frames",
    [K_KEEP_FRAMES] = "pprof.profile.keep_frames",
    [K_DOC_URL] = "pprof.profile.doc_url",
    [K_COMMENT] = "pprof.profile.comment",
};

/* pprof id -> position in its list. Ids are usually dense (1..n), so a
 * plain array serves when they are small; a hash otherwise. */
struct idmap {
    int32_t *dense; /* id -> position + 1, 0 = absent */
    uint64_t n_dense;
    uint64_t *keys; /* open addressing; 0 = empty (ids are never 0) */
    int32_t *pos;
    uint64_t mask;
};

/* Per-key state while one sample's labels are grouped by key. */
struct keyslot {
    uint32_t stamp; /* sample number + 1 when last touched */
    uint32_t count; /* labels with this key in the sample */
    uint32_t first; /* first such label */
    uint32_t fill;  /* values gathered so far */
    uint32_t out;   /* position of the attribute in the sample's list */
    struct pcol_value *vals;
};

/* What one pprof sample becomes, shared by the profile of every type. */
struct conv_sample {
    int32_t stack;
    int32_t link;
    struct pcol_ilist attrs;
};

struct dec {
    struct pcol_batch *b;
    Perftools__Profiles__Profile *p; /* ours to change: it dies with the call */
    struct pcol_err *err;
    bool fresh;                             /* the batch tables hold only their zero entries */
    int32_t *str;                           /* pprof string index -> batch string index */
    int32_t *mapping, *function, *location; /* list position -> batch index */
    struct idmap mappings, functions, locations;
    int32_t key[K_COUNT];       /* batch string index, 0 until interned */
    int32_t true_attr[K_COUNT]; /* attribute `key = true`, 0 until interned */
    struct keyslot *slots;      /* per pprof string index, for label keys */
    int32_t *scratch;           /* stack locations or attribute indexes */
    size_t n_scratch;
    struct conv_sample *conv;
};

/* ---- small helpers ------------------------------------------------------- */

/* A string that is not in the pprof (static storage). A fresh batch gets it
 * appended, not interned: interning would hash every string of the profile
 * to build the table's index, a large part of the decoding time. */
static int32_t static_str(struct dec *d, const char *s)
{
    return d->fresh ? pcol_dict_str_append(d->b, s, strlen(s))
                    : pcol_dict_str_ref(d->b, s, strlen(s));
}

static int32_t key_of(struct dec *d, enum key k)
{
    if (!d->key[k]) {
        d->key[k] = static_str(d, key_names[k]);
    }
    return d->key[k];
}

static int32_t true_attr_of(struct dec *d, enum key k)
{
    struct pcol_value v = {.kind = PCOL_VAL_BOOL, .u.b = true};

    if (!d->true_attr[k]) {
        d->true_attr[k] = pcol_dict_attr(d->b, key_of(d, k), &v, 0);
    }
    return d->true_attr[k];
}

static int32_t str_attr(struct dec *d, enum key k, int32_t s)
{
    struct pcol_value v = {.kind = PCOL_VAL_STR, .u.str = s};

    return pcol_dict_attr(d->b, key_of(d, k), &v, 0);
}

/* Batch string index of pprof string `i` (already checked). */
static inline int32_t S(const struct dec *d, int64_t i)
{
    return d->str[i];
}

/* pprof string `i` (already checked); a profile may have no string table. */
static inline const char *pstr(const struct dec *d, int64_t i)
{
    return d->p->n_string_table ? d->p->string_table[i] : "";
}

static inline bool has_text(const struct dec *d, int64_t i)
{
    return pstr(d, i)[0] != '\0';
}

static int32_t *scratch(struct dec *d, size_t n)
{
    if (n > d->n_scratch) {
        d->scratch = pcol_xrealloc(d->scratch, n * sizeof(int32_t));
        d->n_scratch = n;
    }
    return d->scratch;
}

static inline bool str_ok(const struct dec *d, int64_t i)
{
    return (uint64_t)i < d->p->n_string_table || i == 0;
}

/* Names the place of a bad string index; the callers test str_ok() first so
 * the common path makes no variadic call. */
__attribute__((format(printf, 3, 4))) static int check_str(struct dec *d, int64_t i,
                                                           const char *fmt, ...)
{
    char place[128];
    va_list ap;

    if (PCOL_LIKELY(str_ok(d, i))) {
        return 0;
    }
    va_start(ap, fmt);
    vsnprintf(place, sizeof(place), fmt, ap);
    va_end(ap);
    return pcol_err_set(d->err, PCOL_EINVAL,
                        "%s: string index %" PRId64 " is out of range (string table has %zu "
                        "entries)",
                        place, i, d->p->n_string_table);
}

/* ---- id maps ------------------------------------------------------------- */

static uint64_t id_hash(uint64_t id)
{
    id *= 0x9e3779b97f4a7c15ull;
    return id ^ (id >> 29);
}

static void idmap_init(struct idmap *m, size_t n, uint64_t max_id)
{
    uint64_t cap = 16;

    memset(m, 0, sizeof(*m));
    if (max_id <= 4 * (uint64_t)n) {
        m->n_dense = max_id + 1;
        m->dense = pcol_xcalloc(m->n_dense, sizeof(int32_t));
        return;
    }
    while (cap < 2 * (uint64_t)n) {
        cap *= 2;
    }
    m->keys = pcol_xcalloc(cap, sizeof(uint64_t));
    m->pos = pcol_xmalloc(cap * sizeof(int32_t));
    m->mask = cap - 1;
}

/* Returns false if `id` is already there. */
static bool idmap_put(struct idmap *m, uint64_t id, int32_t pos)
{
    uint64_t i;

    if (m->dense) {
        if (m->dense[id]) {
            return false;
        }
        m->dense[id] = pos + 1;
        return true;
    }
    for (i = id_hash(id) & m->mask; m->keys[i]; i = (i + 1) & m->mask) {
        if (m->keys[i] == id) {
            return false;
        }
    }
    m->keys[i] = id;
    m->pos[i] = pos;
    return true;
}

/* Position of `id`, or -1. */
static inline int32_t idmap_get(const struct idmap *m, uint64_t id)
{
    uint64_t i;

    if (m->dense) {
        return id < m->n_dense ? m->dense[id] - 1 : -1;
    }
    if (id == 0) {
        return -1;
    }
    for (i = id_hash(id) & m->mask; m->keys[i]; i = (i + 1) & m->mask) {
        if (m->keys[i] == id) {
            return m->pos[i];
        }
    }
    return -1;
}

static void idmap_free(struct idmap *m)
{
    free(m->dense);
    free(m->keys);
    free(m->pos);
}

static uint64_t mapping_id(const void *e)
{
    return ((const Perftools__Profiles__Mapping *)e)->id;
}

static uint64_t location_id(const void *e)
{
    return ((const Perftools__Profiles__Location *)e)->id;
}

static uint64_t function_id(const void *e)
{
    return ((const Perftools__Profiles__Function *)e)->id;
}

/* Builds `m` over a list of messages, rejecting zero and repeated ids. */
static int index_ids(struct dec *d, struct idmap *m, void *const *items, size_t n,
                     uint64_t (*id_of)(const void *), const char *what)
{
    uint64_t max = 0, id;
    size_t i;

    for (i = 0; i < n; i++) {
        id = id_of(items[i]);
        if (id == 0) {
            return pcol_err_set(d->err, PCOL_EINVAL, "%s %zu: id 0 is not allowed", what, i);
        }
        max = id > max ? id : max;
    }
    idmap_init(m, n, max);
    for (i = 0; i < n; i++) {
        if (!idmap_put(m, id_of(items[i]), (int32_t)i)) {
            return pcol_err_set(d->err, PCOL_EINVAL, "%s %zu: id %" PRIu64 " is used twice", what,
                                i, id_of(items[i]));
        }
    }
    return 0;
}

/* ---- recognising the input ----------------------------------------------- */

static bool word_is(const uint8_t *p, size_t w, uint64_t v)
{
    uint64_t le = 0, be = 0;
    size_t i;

    for (i = 0; i < w; i++) {
        le |= (uint64_t)p[i] << (8 * i);
        be = be << 8 | p[i];
    }
    return le == v || be == v;
}

/* Legacy CPU profiles start with the header words 0, 3, 0 (header count,
 * header size, version) in 64- or 32-bit words of the writer's byte order;
 * no protobuf starts with a zero byte, so this cannot hide a real pprof. */
static bool is_legacy_binary(const uint8_t *p, size_t n)
{
    size_t w;

    for (w = 8; w >= 4; w -= 4) {
        if (n >= 3 * w && word_is(p, w, 0) && word_is(p + w, w, 3) && word_is(p + 2 * w, w, 0)) {
            return true;
        }
    }
    return false;
}

/* Legacy text profiles (heap, contention, growth, thread, goroutine, Java)
 * start with one of a few headers. */
static bool is_legacy_text(const uint8_t *p, size_t n)
{
    static const char *const heads[] = {
        "--- ", "heap profile:", "heap_v2/", "contention", "growth", "threadz", "fragmentation",
    };
    const char *s = (const char *)p;
    size_t i, line;

    for (i = 0; i < PCOL_ARRAY_SIZE(heads); i++) {
        size_t len = strlen(heads[i]);
        if (n >= len && memcmp(s, heads[i], len) == 0) {
            return true;
        }
    }
    /* "<name> profile: total N" (goroutine, threadcreate, ...). */
    for (line = 0; line < n && line < 64 && s[line] != '\n'; line++) {
        if (s[line] == ' ') {
            return n - line >= 16 && memcmp(s + line, " profile: total ", 16) == 0;
        }
    }
    return false;
}

/* ---- checks (Go's reader rules) ------------------------------------------ */

static int check_header(struct dec *d)
{
    const Perftools__Profiles__Profile *p = d->p;
    int rc = 0;
    size_t i;

    if (p->n_string_table && p->string_table[0][0]) {
        return pcol_err_set(d->err, PCOL_EINVAL, "string_table[0] must be \"\", not \"%.40s\"",
                            p->string_table[0]);
    }
    for (i = 0; i < p->n_sample_type && !rc; i++) {
        rc = check_str(d, p->sample_type[i]->type, "sample_type %zu: type", i);
        rc = rc ? rc : check_str(d, p->sample_type[i]->unit, "sample_type %zu: unit", i);
    }
    if (!rc && p->period_type) {
        rc = check_str(d, p->period_type->type, "period_type: type");
        rc = rc ? rc : check_str(d, p->period_type->unit, "period_type: unit");
    }
    rc = rc ? rc : check_str(d, p->drop_frames, "drop_frames");
    rc = rc ? rc : check_str(d, p->keep_frames, "keep_frames");
    rc = rc ? rc : check_str(d, p->doc_url, "doc_url");
    rc = rc ? rc : check_str(d, p->default_sample_type, "default_sample_type");
    for (i = 0; i < p->n_comment && !rc; i++) {
        rc = check_str(d, p->comment[i], "comment %zu", i);
    }
    if (rc) {
        return rc;
    }
    if (p->time_nanos < 0 || p->duration_nanos < 0) {
        return pcol_err_set(d->err, PCOL_EINVAL, "%s is negative (%" PRId64 ")",
                            p->time_nanos < 0 ? "time_nanos" : "duration_nanos",
                            p->time_nanos < 0 ? p->time_nanos : p->duration_nanos);
    }
    if (!p->n_sample_type && p->n_sample) {
        return pcol_err_set(d->err, PCOL_EINVAL, "profile has %zu samples but no sample types",
                            p->n_sample);
    }
    return 0;
}

/* ---- dictionary ---------------------------------------------------------- */

static void add_strings(struct dec *d)
{
    const Perftools__Profiles__Profile *p = d->p;
    size_t i, n = p->n_string_table;

    d->str = pcol_xmalloc((n ? n : 1) * sizeof(int32_t));
    d->str[0] = 0;
    if (d->fresh) {
        /* Room for the attribute keys too, so the table never moves. */
        pcol_dict_reserve(d->b, &d->b->dict.strings, (uint32_t)n + K_COUNT + 8);
    }
    for (i = 1; i < n; i++) {
        const char *s = p->string_table[i];
        size_t len = strlen(s);
        if (!len) {
            /* Keeps "" at index 0 so empty strings compare equal. */
            d->str[i] = 0;
        } else {
            d->str[i] =
                d->fresh ? pcol_dict_str_append(d->b, s, len) : pcol_dict_str_ref(d->b, s, len);
        }
    }
}

static int32_t add_entry(struct dec *d, struct pcol_table *t, const void *e)
{
    return d->fresh ? pcol_dict_append(d->b, t, e) : pcol_dict_intern(d->b, t, e);
}

static int bad_function(struct dec *d, size_t i, const Perftools__Profiles__Function *f)
{
    int rc = check_str(d, f->name, "function %zu: name", i);

    rc = rc ? rc : check_str(d, f->system_name, "function %zu: system_name", i);
    return rc ? rc : check_str(d, f->filename, "function %zu: filename", i);
}

static int add_functions(struct dec *d)
{
    const Perftools__Profiles__Profile *p = d->p;
    size_t i;

    d->function = pcol_xmalloc((p->n_function + 1) * sizeof(int32_t));
    pcol_dict_reserve(d->b, &d->b->dict.functions, (uint32_t)p->n_function);
    for (i = 0; i < p->n_function; i++) {
        const Perftools__Profiles__Function *f = p->function[i];
        struct pcol_function e;

        if (!str_ok(d, f->name) || !str_ok(d, f->system_name) || !str_ok(d, f->filename)) {
            return bad_function(d, i, f);
        }
        e = (struct pcol_function){S(d, f->name), S(d, f->system_name), S(d, f->filename),
                                   f->start_line};
        d->function[i] = add_entry(d, &d->b->dict.functions, &e);
    }
    return 0;
}

static int32_t mapping_attrs(struct dec *d, const Perftools__Profiles__Mapping *m, int32_t *attrs)
{
    static const enum key flags[] = {K_HAS_FUNCTIONS, K_HAS_FILENAMES, K_HAS_LINE_NUMBERS,
                                     K_HAS_INLINE_FRAMES};
    const protobuf_c_boolean set[] = {m->has_functions, m->has_filenames, m->has_line_numbers,
                                      m->has_inline_frames};
    int32_t n = 0;
    size_t k;

    if (has_text(d, m->build_id)) {
        attrs[n++] = str_attr(d, K_BUILD_ID, S(d, m->build_id));
    }
    for (k = 0; k < PCOL_ARRAY_SIZE(flags); k++) {
        if (set[k]) {
            attrs[n++] = true_attr_of(d, flags[k]);
        }
    }
    return n;
}

static int add_mappings(struct dec *d)
{
    const Perftools__Profiles__Profile *p = d->p;
    int32_t attrs[5];
    size_t i;
    int rc;

    d->mapping = pcol_xmalloc((p->n_mapping + 1) * sizeof(int32_t));
    pcol_dict_reserve(d->b, &d->b->dict.mappings, (uint32_t)p->n_mapping);
    for (i = 0; i < p->n_mapping; i++) {
        const Perftools__Profiles__Mapping *m = p->mapping[i];
        struct pcol_mapping e;

        if ((rc = check_str(d, m->filename, "mapping %zu: filename", i)) != 0 ||
            (rc = check_str(d, m->build_id, "mapping %zu: build_id", i)) != 0) {
            return rc;
        }
        e = (struct pcol_mapping){
            m->memory_start, m->memory_limit, m->file_offset, S(d, m->filename), {NULL, 0}};
        e.attrs = pcol_ilist_dup(d->b, attrs, (uint32_t)mapping_attrs(d, m, attrs));
        d->mapping[i] = add_entry(d, &d->b->dict.mappings, &e);
    }
    return 0;
}

static int add_lines(struct dec *d, size_t i, const Perftools__Profiles__Location *l,
                     struct pcol_line *lines)
{
    size_t j;

    for (j = 0; j < l->n_line; j++) {
        const Perftools__Profiles__Line *ln = l->line[j];
        int32_t pos = idmap_get(&d->functions, ln->function_id);

        if (pos < 0 && ln->function_id) {
            return pcol_err_set(d->err, PCOL_EINVAL,
                                "location %zu: line %zu: function id %" PRIu64 " does not exist", i,
                                j, ln->function_id);
        }
        lines[j].function = pos < 0 ? 0 : d->function[pos];
        lines[j].line = ln->line;
        lines[j].column = ln->column;
    }
    return 0;
}

static int add_locations(struct dec *d)
{
    const Perftools__Profiles__Profile *p = d->p;
    struct pcol_ilist folded = {NULL, 0};
    size_t i;
    int rc;

    d->location = pcol_xmalloc((p->n_location + 1) * sizeof(int32_t));
    pcol_dict_reserve(d->b, &d->b->dict.locations, (uint32_t)p->n_location);
    for (i = 0; i < p->n_location; i++) {
        const Perftools__Profiles__Location *l = p->location[i];
        struct pcol_location e = {0, l->address, NULL, (uint32_t)l->n_line, {NULL, 0}};
        int32_t pos = idmap_get(&d->mappings, l->mapping_id);

        if (pos < 0 && l->mapping_id) {
            return pcol_err_set(d->err, PCOL_EINVAL,
                                "location %zu: mapping id %" PRIu64 " does not exist", i,
                                l->mapping_id);
        }
        e.mapping = pos < 0 ? 0 : d->mapping[pos];
        if (l->n_line) {
            e.lines = pcol_arena_alloc(d->b->arena, l->n_line * sizeof(*e.lines));
            if ((rc = add_lines(d, i, l, e.lines)) != 0) {
                return rc;
            }
        }
        if (l->is_folded) {
            if (!folded.n) {
                int32_t a = true_attr_of(d, K_IS_FOLDED);
                folded = pcol_ilist_dup(d->b, &a, 1);
            }
            e.attrs = folded;
        }
        d->location[i] = add_entry(d, &d->b->dict.locations, &e);
    }
    return 0;
}

/* ---- samples ------------------------------------------------------------- */

static bool parse_hex(const char *s, uint8_t *out, size_t n)
{
    size_t i;

    if (strlen(s) != 2 * n) {
        return false;
    }
    for (i = 0; i < 2 * n; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0) {
            return false;
        }
        out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | v : v << 4);
    }
    return true;
}

static struct pcol_value label_value(const struct dec *d, const Perftools__Profiles__Label *l)
{
    struct pcol_value v = {.kind = PCOL_VAL_INT, .u.i = l->num};

    if (l->str) {
        v.kind = PCOL_VAL_STR;
        v.u.str = S(d, l->str);
    }
    return v;
}

static int32_t label_unit(const struct dec *d, const Perftools__Profiles__Label *l)
{
    return l->str ? 0 : S(d, l->num_unit);
}

/* A sample with exactly one `trace_id` (32 hex) and one `span_id` (16 hex)
 * string label gets a Link; the two labels are then not attributes. */
static int32_t sample_link(struct dec *d, const Perftools__Profiles__Sample *s, size_t *trace,
                           size_t *span)
{
    struct pcol_link link;
    size_t j, n_trace = 0, n_span = 0;

    for (j = 0; j < s->n_label; j++) {
        const char *key = pstr(d, s->label[j]->key);
        if (strcmp(key, "trace_id") == 0) {
            *trace = j;
            n_trace++;
        } else if (strcmp(key, "span_id") == 0) {
            *span = j;
            n_span++;
        }
    }
    if (n_trace != 1 || n_span != 1 || !s->label[*trace]->str || !s->label[*span]->str ||
        !parse_hex(pstr(d, s->label[*trace]->str), link.trace_id, 16) ||
        !parse_hex(pstr(d, s->label[*span]->str), link.span_id, 8)) {
        return 0;
    }
    return pcol_dict_link(d->b, link.trace_id, link.span_id);
}

static int check_labels(struct dec *d, size_t si, const Perftools__Profiles__Sample *s)
{
    int rc = 0;
    size_t j;

    for (j = 0; j < s->n_label && !rc; j++) {
        const Perftools__Profiles__Label *l = s->label[j];
        if (str_ok(d, l->key) && str_ok(d, l->str) && str_ok(d, l->num_unit)) {
            continue;
        }
        rc = check_str(d, l->key, "sample %zu: label %zu: key", si, j);
        rc = rc ? rc : check_str(d, l->str, "sample %zu: label %zu: str", si, j);
        rc = rc ? rc : check_str(d, l->num_unit, "sample %zu: label %zu: num_unit", si, j);
    }
    return rc;
}

/* Labels -> attribute list. Labels sharing a key become one array-valued
 * attribute (OTLP allows one attribute per key), placed where the key first
 * appears; grouping goes through per-key slots so it stays linear. */
static int sample_attrs(struct dec *d, size_t si, const Perftools__Profiles__Sample *s,
                        struct conv_sample *out)
{
    uint32_t stamp = (uint32_t)si + 1, n = 0;
    size_t j, trace = SIZE_MAX, span = SIZE_MAX;
    int32_t *attrs = scratch(d, s->n_label);
    int rc = check_labels(d, si, s);

    if (rc) {
        return rc;
    }
    if (!d->slots) {
        d->slots = pcol_xcalloc(d->p->n_string_table ? d->p->n_string_table : 1, sizeof(*d->slots));
    }
    out->link = sample_link(d, s, &trace, &span);
    for (j = 0; j < s->n_label; j++) {
        struct keyslot *ks = &d->slots[s->label[j]->key];
        if (out->link && (j == trace || j == span)) {
            continue;
        }
        if (ks->stamp != stamp) {
            *ks = (struct keyslot){stamp, 1, (uint32_t)j, 0, n++, NULL};
        } else {
            ks->count++;
        }
    }
    for (j = 0; j < s->n_label; j++) {
        const Perftools__Profiles__Label *l = s->label[j], *first;
        struct keyslot *ks = &d->slots[l->key];
        struct pcol_value v = label_value(d, l);

        if (out->link && (j == trace || j == span)) {
            continue;
        }
        if (ks->count == 1) {
            attrs[ks->out] = pcol_dict_attr(d->b, S(d, l->key), &v, label_unit(d, l));
            continue;
        }
        first = s->label[ks->first];
        if (!l->str != !first->str || (!l->str && l->num_unit != first->num_unit)) {
            return pcol_err_set(d->err, PCOL_EINVAL,
                                "sample %zu: label \"%.60s\" repeats with different kinds or "
                                "units",
                                si, pstr(d, l->key));
        }
        if (!ks->fill) {
            ks->vals = pcol_arena_alloc(d->b->arena, ks->count * sizeof(*ks->vals));
        }
        ks->vals[ks->fill++] = v;
        if (ks->fill == ks->count) {
            struct pcol_value arr = {.kind = PCOL_VAL_ARRAY, .n = ks->count, .u.array = ks->vals};
            attrs[ks->out] = pcol_dict_attr(d->b, S(d, l->key), &arr, label_unit(d, first));
        }
    }
    out->attrs = pcol_ilist_dup(d->b, attrs, n);
    return 0;
}

/* The sample's location ids -> a stack. The int32 list is written over the
 * unpacked uint64 id array, which lives in the batch arena: element j only
 * overwrites ids already read, and the stack needs no copy of its own. */
static int sample_stack(struct dec *d, size_t si, Perftools__Profiles__Sample *s, int32_t *stack)
{
    int32_t *locs = (int32_t *)(void *)s->location_id;
    struct pcol_stack st = {{locs, (uint32_t)s->n_location_id}};
    size_t j;

    for (j = 0; j < s->n_location_id; j++) {
        int32_t pos = idmap_get(&d->locations, s->location_id[j]);
        if (pos < 0) {
            return pcol_err_set(d->err, PCOL_EINVAL,
                                "sample %zu: location id %" PRIu64 " does not exist", si,
                                s->location_id[j]);
        }
        locs[j] = d->location[pos];
    }
    *stack = st.locations.n ? pcol_dict_intern(d->b, &d->b->dict.stacks, &st) : 0;
    return 0;
}

static int convert_samples(struct dec *d)
{
    const Perftools__Profiles__Profile *p = d->p;
    size_t i;
    int rc;

    d->conv = pcol_xcalloc(p->n_sample ? p->n_sample : 1, sizeof(*d->conv));
    pcol_dict_reserve(d->b, &d->b->dict.stacks, (uint32_t)p->n_sample);
    for (i = 0; i < p->n_sample; i++) {
        Perftools__Profiles__Sample *s = p->sample[i];

        if (s->n_value != p->n_sample_type) {
            return pcol_err_set(d->err, PCOL_EINVAL,
                                "sample %zu: has %zu values but there are %zu sample types", i,
                                s->n_value, p->n_sample_type);
        }
        if ((rc = sample_stack(d, i, s, &d->conv[i].stack)) != 0 ||
            (s->n_label && (rc = sample_attrs(d, i, s, &d->conv[i])) != 0)) {
            return rc;
        }
    }
    return 0;
}

/* ---- resource, scope, profiles ------------------------------------------- */

/* profile i <- sample type order[i]: the default type first, then the others
 * in their original order. pprof's default is default_sample_type if it names
 * a type, else the last type. */
static void type_order(const struct dec *d, int64_t *order)
{
    const Perftools__Profiles__Profile *p = d->p;
    size_t i, n = p->n_sample_type, def = n - 1, k = 0;

    if (has_text(d, p->default_sample_type)) {
        for (i = 0; i < n; i++) {
            if (strcmp(pstr(d, p->sample_type[i]->type), pstr(d, p->default_sample_type)) == 0) {
                def = i;
                break;
            }
        }
    }
    order[k++] = (int64_t)def;
    for (i = 0; i < n; i++) {
        if (i != def) {
            order[k++] = (int64_t)i;
        }
    }
}

static bool is_pprof_scope_key(const struct pcol_batch *b, int32_t key)
{
    return strncmp(pcol_cstr(b, key), "pprof.scope.", 12) == 0;
}

/* Applies the first comment carrying an OTel context (written by the
 * encoder) to the new resource and scope. Returns the comment's position,
 * or SIZE_MAX if there is none that parses. */
static size_t apply_context(struct dec *d, struct pcol_resource *r, struct pcol_scope *s)
{
    const Perftools__Profiles__Profile *p = d->p;
    size_t i, plen = strlen(CONTEXT_PREFIX);

    for (i = 0; i < p->n_comment; i++) {
        const char *c = pstr(d, p->comment[i]);
        struct pcol_resource rt;
        struct pcol_scope st;
        struct pcol_err ignored;

        if (strncmp(c, CONTEXT_PREFIX, plen) != 0) {
            continue;
        }
        memset(&rt, 0, sizeof(rt));
        memset(&st, 0, sizeof(st));
        /* A comment that does not parse stays an ordinary comment. */
        if (pcol__otlp_context_from_json(d->b, c + plen, strlen(c + plen), &rt, &st, &ignored) !=
            0) {
            continue;
        }
        r->attrs = rt.attrs;
        r->n_attrs = rt.n_attrs;
        r->dropped_attributes_count = rt.dropped_attributes_count;
        r->entity_refs = rt.entity_refs;
        r->n_entity_refs = rt.n_entity_refs;
        r->schema_url = rt.schema_url;
        s->name = st.name;
        s->version = st.version;
        s->attrs = st.attrs;
        s->n_attrs = st.n_attrs;
        s->dropped_attributes_count = st.dropped_attributes_count;
        s->schema_url = st.schema_url;
        return i;
    }
    return SIZE_MAX;
}

static void set_scope_attrs(struct dec *d, struct pcol_scope *s, const int64_t *order, size_t n)
{
    const Perftools__Profiles__Profile *p = d->p;
    struct pcol_kv *kv = pcol_arena_alloc(d->b->arena, (s->n_attrs + 2) * sizeof(*kv));
    struct pcol_value *ord = n ? pcol_arena_alloc(d->b->arena, n * sizeof(*ord)) : NULL;
    uint32_t i, k = 0;

    /* The context came from our own encoder, which leaves these keys out;
     * drop any that crept in so no key appears twice. */
    for (i = 0; i < s->n_attrs; i++) {
        if (!is_pprof_scope_key(d->b, s->attrs[i].key)) {
            kv[k++] = s->attrs[i];
        }
    }
    for (i = 0; i < n; i++) {
        ord[i] = (struct pcol_value){.kind = PCOL_VAL_INT, .u.i = order[i]};
    }
    kv[k].key = key_of(d, K_SAMPLE_TYPE_ORDER);
    kv[k++].value = (struct pcol_value){.kind = PCOL_VAL_ARRAY, .n = (uint32_t)n, .u.array = ord};
    if (p->default_sample_type) {
        kv[k].key = key_of(d, K_DEFAULT_SAMPLE_TYPE);
        kv[k++].value =
            (struct pcol_value){.kind = PCOL_VAL_STR, .u.str = S(d, p->default_sample_type)};
    }
    s->attrs = kv;
    s->n_attrs = k;
}

static struct pcol_ilist profile_attrs(struct dec *d, size_t context_comment)
{
    const Perftools__Profiles__Profile *p = d->p;
    struct pcol_value *comments = NULL, arr;
    int32_t attrs[4];
    uint32_t n = 0, nc = 0;
    size_t i;

    if (has_text(d, p->drop_frames)) {
        attrs[n++] = str_attr(d, K_DROP_FRAMES, S(d, p->drop_frames));
    }
    if (has_text(d, p->keep_frames)) {
        attrs[n++] = str_attr(d, K_KEEP_FRAMES, S(d, p->keep_frames));
    }
    if (has_text(d, p->doc_url)) {
        attrs[n++] = str_attr(d, K_DOC_URL, S(d, p->doc_url));
    }
    if (p->n_comment > (context_comment == SIZE_MAX ? 0 : 1)) {
        comments = pcol_arena_alloc(d->b->arena, p->n_comment * sizeof(*comments));
        for (i = 0; i < p->n_comment; i++) {
            if (i != context_comment) {
                comments[nc++] =
                    (struct pcol_value){.kind = PCOL_VAL_STR, .u.str = S(d, p->comment[i])};
            }
        }
        arr = (struct pcol_value){.kind = PCOL_VAL_ARRAY, .n = nc, .u.array = comments};
        attrs[n++] = pcol_dict_attr(d->b, key_of(d, K_COMMENT), &arr, 0);
    }
    return pcol_ilist_dup(d->b, attrs, n);
}

static void fill_profile(struct dec *d, struct pcol_profile *prof, int64_t type,
                         struct pcol_ilist attrs)
{
    const Perftools__Profiles__Profile *p = d->p;
    int64_t *vals = NULL;
    size_t j;

    if (p->n_sample_type) {
        prof->sample_type.type = S(d, p->sample_type[type]->type);
        prof->sample_type.unit = S(d, p->sample_type[type]->unit);
    }
    if (p->period_type) {
        prof->period_type.type = S(d, p->period_type->type);
        prof->period_type.unit = S(d, p->period_type->unit);
    }
    prof->period = p->period;
    prof->time_unix_nano = (uint64_t)p->time_nanos;
    prof->duration_nano = (uint64_t)p->duration_nanos;
    prof->attrs = attrs;
    if (!p->n_sample) {
        return;
    }
    /* Values first: a block that is the arena's last may be grown in place,
     * which must never happen to an array whose elements are shared. */
    vals = pcol_arena_alloc(d->b->arena, p->n_sample * sizeof(*vals));
    pcol_profile_reserve_samples(d->b, prof, (uint32_t)p->n_sample);
    for (j = 0; j < p->n_sample; j++) {
        struct pcol_sample *s = &prof->samples[j];
        vals[j] = p->sample[j]->value[type];
        s->stack = d->conv[j].stack;
        s->link = d->conv[j].link;
        s->attrs = d->conv[j].attrs;
        s->values = &vals[j];
        s->n_values = 1;
        s->timestamps = NULL;
        s->n_timestamps = 0;
    }
    prof->n_samples = (uint32_t)p->n_sample;
}

static void build_tree(struct dec *d, const uint8_t *buf, size_t len, bool keep_original)
{
    const Perftools__Profiles__Profile *p = d->p;
    size_t i, n_types = p->n_sample_type, n_prof = n_types ? n_types : 1, ctx;
    struct pcol_resource *r = pcol_batch_add_resource(d->b);
    struct pcol_scope *s = pcol_resource_add_scope(d->b, r);
    int64_t *order = pcol_xmalloc(n_prof * sizeof(*order));
    struct pcol_ilist attrs;

    order[0] = 0;
    if (n_types) {
        type_order(d, order);
    }
    ctx = apply_context(d, r, s);
    set_scope_attrs(d, s, order, n_types);
    attrs = profile_attrs(d, ctx);
    for (i = 0; i < n_prof; i++) {
        pcol_scope_add_profile(d->b, s);
    }
    for (i = 0; i < n_prof; i++) {
        fill_profile(d, &s->profiles[i], order[i], attrs);
    }
    if (keep_original) {
        s->profiles[0].original_payload_format = static_str(d, "pprof");
        s->profiles[0].original_payload = pcol_arena_memdup(d->b->arena, buf, len);
        s->profiles[0].original_payload_len = len;
    }
    free(order);
}

/* ---- entry point --------------------------------------------------------- */

static int convert(struct dec *d, const uint8_t *buf, size_t len, bool keep_original)
{
    const Perftools__Profiles__Profile *p = d->p;
    struct pcol_dict *t = &d->b->dict;
    int rc;

    d->fresh =
        t->strings.n == 1 && t->mappings.n == 1 && t->locations.n == 1 && t->functions.n == 1;
    if ((rc = check_header(d)) != 0 ||
        (rc = index_ids(d, &d->mappings, (void *const *)p->mapping, p->n_mapping, mapping_id,
                        "mapping")) != 0 ||
        (rc = index_ids(d, &d->functions, (void *const *)p->function, p->n_function, function_id,
                        "function")) != 0 ||
        (rc = index_ids(d, &d->locations, (void *const *)p->location, p->n_location, location_id,
                        "location")) != 0) {
        return rc;
    }
    add_strings(d);
    if ((rc = add_functions(d)) != 0 || (rc = add_mappings(d)) != 0 ||
        (rc = add_locations(d)) != 0 || (rc = convert_samples(d)) != 0) {
        return rc;
    }
    build_tree(d, buf, len, keep_original);
    return 0;
}

static void dec_free(struct dec *d)
{
    idmap_free(&d->mappings);
    idmap_free(&d->functions);
    idmap_free(&d->locations);
    free(d->str);
    free(d->mapping);
    free(d->function);
    free(d->location);
    free(d->slots);
    free(d->scratch);
    free(d->conv);
}

int pcol_pprof_decode(struct pcol_batch *b, const uint8_t *buf, size_t len,
                      const struct pcol_pprof_decode_opts *opts, struct pcol_err *err)
{
    size_t max =
        opts && opts->max_decompressed ? opts->max_decompressed : PCOL_PPROF_DEFAULT_MAX_SIZE;
    ProtobufCAllocator al = {pcol__arena_pb_alloc, pcol__arena_pb_free, b->arena};
    struct pcol_buf raw = {NULL, 0, 0};
    const uint8_t *data = buf;
    size_t n = len;
    struct dec d;
    int rc;

    memset(&d, 0, sizeof(d));
    if (!len) {
        return pcol_err_set(err, PCOL_EINVAL, "not a pprof profile: the input is empty");
    }
    if (pcol_is_gzip(buf, len)) {
        if ((rc = pcol_decompress(PCOL_ENC_GZIP, buf, len, max, &raw, err)) != 0) {
            pcol_buf_free(&raw);
            return pcol_err_wrap(err, rc, "pprof");
        }
        data = raw.p;
        n = raw.len;
    } else if (len > max) {
        return pcol_err_set(err, PCOL_ERANGE, "pprof profile is %zu bytes, more than %zu", len,
                            max);
    }
    if (is_legacy_binary(data, n) || is_legacy_text(data, n)) {
        pcol_buf_free(&raw);
        return pcol_err_set(err, PCOL_ENOTSUP, LEGACY_MSG);
    }
    d.p = perftools__profiles__profile__unpack(&al, n, data);
    pcol_buf_free(&raw);
    if (!d.p) {
        return pcol_err_set(err, PCOL_EINVAL,
                            "not a pprof profile: the bytes are not a valid "
                            "perftools.profiles.Profile protobuf");
    }
    d.b = b;
    d.err = err;
    rc = convert(&d, buf, len, opts && opts->keep_original);
    dec_free(&d);
    return rc;
}
