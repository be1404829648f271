/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_pprof_decode.c: pprof (perftools.profiles.Profile, gzip or raw) ->
 * the model, following docs/conversion.md: the entry point, recognising the
 * input, the checks Go's reader makes, id maps and the dictionary. The
 * samples and the resource/scope/profiles built from them are in
 * codec_pprof_decode_samples.c; the state both share is in
 * codec_pprof_internal.h. With codec_pprof_encode.c these are the only files
 * that know the pprof wire types.
 *
 * The protobuf is unpacked straight into the batch arena, so its strings are
 * referenced by the dictionary, not copied. Every id, index and count is
 * checked (as Go's reader does) before it is used. Scratch maps live on the
 * heap for the duration of one call. On error the batch may hold dictionary
 * entries but no new resource.
 */
#include "codec_pprof_internal.h"
#include "compress.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEGACY_MSG                                                                                 \
    "legacy text/binary pprof format is not supported; convert it with `go tool pprof -proto`"

/* Indexed by enum key (codec_pprof_internal.h). */
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

/* ---- small helpers ------------------------------------------------------- */

/* A string that is not in the pprof (static storage). A fresh batch gets it
 * appended, not interned: interning would hash every string of the profile
 * to build the table's index, a large part of the decoding time. */
int32_t pcol__pprof_static_str(struct dec *d, const char *s)
{
    return d->fresh ? pcol_dict_str_append(d->b, s, strlen(s))
                    : pcol_dict_str_ref(d->b, s, strlen(s));
}

int32_t pcol__pprof_key_of(struct dec *d, enum key k)
{
    if (!d->key[k]) {
        d->key[k] = pcol__pprof_static_str(d, key_names[k]);
    }
    return d->key[k];
}

static int32_t true_attr_of(struct dec *d, enum key k)
{
    struct pcol_value v = {.kind = PCOL_VAL_BOOL, .u.b = true};

    if (!d->true_attr[k]) {
        d->true_attr[k] = pcol_dict_attr(d->b, pcol__pprof_key_of(d, k), &v, 0);
    }
    return d->true_attr[k];
}

int32_t pcol__pprof_str_attr(struct dec *d, enum key k, int32_t s)
{
    struct pcol_value v = {.kind = PCOL_VAL_STR, .u.str = s};

    return pcol_dict_attr(d->b, pcol__pprof_key_of(d, k), &v, 0);
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

int pcol__pprof_check_labels(struct dec *d, size_t si, const Perftools__Profiles__Sample *s)
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
        attrs[n++] = pcol__pprof_str_attr(d, K_BUILD_ID, S(d, m->build_id));
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
        (rc = add_locations(d)) != 0 || (rc = pcol__pprof_convert_samples(d)) != 0) {
        return rc;
    }
    pcol__pprof_build_tree(d, buf, len, keep_original);
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
