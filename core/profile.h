/* SPDX-License-Identifier: Apache-2.0 */
/*
 * profile.h: profcol's one in-memory profiles model, `struct pcol_batch`.
 *
 * The shape mirrors OTLP Profiles (opentelemetry-proto v1.11.0): one
 * dictionary per batch (strings, mappings, locations, functions, links,
 * attributes, stacks), then resource -> scope -> profile -> sample. Only the
 * codecs know wire formats; processors and exporters see this model alone.
 *
 * Dictionary tables are arrays addressed by int32 index. Entry 0 of every
 * table is the zero value ("" for strings), so index 0 means "unset". Each
 * table has an open-addressing hash index (built lazily on the first
 * lookup), so interning and merging are linear. Decoders filling a fresh
 * batch append entries as they come, so a table may hold equal entries at
 * two indexes (the wire formats allow it): compare entries by content, not
 * by index, unless both were interned.
 *
 * Ownership rules (enforced by asserts where cheap):
 *  1. A batch owns one arena. Everything it points to lives in that arena or
 *     in program-lifetime memory; no pointer crosses from one batch's arena
 *     into another's. The batch dies with one pcol_batch_release().
 *  2. Handing a batch on always transfers the caller's reference, even when
 *     the callee fails.
 *  3. A batch is used by one thread at a time. Fan-out shares read-only
 *     batches by refcount (pcol_batch_ref) and gives mutating branches a
 *     pcol_batch_clone().
 *  4. Pointers returned by the add/append functions stay valid only until
 *     the next add to the same array (arrays may move when they grow).
 */
#ifndef PCOL_PROFILE_H
#define PCOL_PROFILE_H

#include "arena.h"

#include <string.h>

/* ---- dictionary ---------------------------------------------------------- */

/* A list of table indexes; the int32s live in the batch arena. */
struct pcol_ilist {
    int32_t *v;
    uint32_t n;
};

struct pcol_str {
    const char *p; /* NUL-terminated, in the batch arena or static */
    uint32_t len;
};

enum pcol_value_kind {
    PCOL_VAL_EMPTY = 0,
    PCOL_VAL_STR, /* u.str: string table index */
    PCOL_VAL_BOOL,
    PCOL_VAL_INT,
    PCOL_VAL_DOUBLE,
    PCOL_VAL_BYTES,  /* u.bytes, n bytes */
    PCOL_VAL_ARRAY,  /* u.array, n values */
    PCOL_VAL_KVLIST, /* u.kvlist, n pairs */
};

struct pcol_kv;

/* OTLP AnyValue. Strings are interned (string table indexes), so two values
 * of one batch are equal iff their bits are equal, for scalars. */
struct pcol_value {
    uint32_t kind; /* enum pcol_value_kind */
    uint32_t n;
    union {
        int32_t str;
        bool b;
        int64_t i;
        double d;
        const uint8_t *bytes;
        struct pcol_value *array;
        struct pcol_kv *kvlist;
    } u;
};

/* OTLP KeyValue (resource and scope attributes, kvlist entries). */
struct pcol_kv {
    int32_t key; /* string index */
    struct pcol_value value;
};

struct pcol_mapping {
    uint64_t memory_start;
    uint64_t memory_limit;
    uint64_t file_offset;
    int32_t filename; /* string index */
    struct pcol_ilist attrs;
};

struct pcol_line {
    int32_t function; /* function index */
    int64_t line;
    int64_t column;
};

struct pcol_location {
    int32_t mapping; /* mapping index, 0 = unknown */
    uint64_t address;
    struct pcol_line *lines; /* callee first; the last line is the caller */
    uint32_t n_lines;
    struct pcol_ilist attrs;
};

struct pcol_function {
    int32_t name;
    int32_t system_name;
    int32_t filename;
    int64_t start_line;
};

struct pcol_link {
    uint8_t trace_id[16];
    uint8_t span_id[8];
};

/* OTLP KeyValueAndUnit: the entry type of the attribute table. */
struct pcol_attr {
    int32_t key;
    struct pcol_value value;
    int32_t unit; /* string index, 0 = none */
};

struct pcol_stack {
    struct pcol_ilist locations; /* leaf first */
};

/* One table; `items` is an array of the table's entry type. */
struct pcol_table {
    void *items;
    uint32_t n;
    uint32_t cap;
    uint64_t *slots; /* hash index: (hash32 << 32) | (index + 1); 0 = empty */
    uint32_t nslots; /* power of two, 0 until built */
    uint32_t kind;   /* which entry type (private to profile.c) */
};

struct pcol_dict {
    struct pcol_table strings;   /* struct pcol_str */
    struct pcol_table mappings;  /* struct pcol_mapping */
    struct pcol_table locations; /* struct pcol_location */
    struct pcol_table functions; /* struct pcol_function */
    struct pcol_table links;     /* struct pcol_link */
    struct pcol_table attrs;     /* struct pcol_attr */
    struct pcol_table stacks;    /* struct pcol_stack */
};

/* ---- resource -> scope -> profile -> sample ----------------------------- */

struct pcol_value_type {
    int32_t type; /* string index */
    int32_t unit; /* string index */
};

struct pcol_sample {
    int32_t stack; /* stack index */
    int32_t link;  /* link index, 0 = none */
    struct pcol_ilist attrs;
    int64_t *values;
    uint64_t *timestamps;
    uint32_t n_values;
    uint32_t n_timestamps;
};

struct pcol_profile {
    struct pcol_value_type sample_type;
    struct pcol_value_type period_type;
    struct pcol_sample *samples;
    uint32_t n_samples;
    uint32_t cap_samples;
    uint64_t time_unix_nano;
    uint64_t duration_nano;
    int64_t period;
    uint8_t profile_id[16];
    uint32_t dropped_attributes_count;
    int32_t original_payload_format; /* string index */
    const uint8_t *original_payload;
    size_t original_payload_len;
    struct pcol_ilist attrs;
};

struct pcol_scope {
    int32_t name;    /* string index */
    int32_t version; /* string index */
    struct pcol_kv *attrs;
    uint32_t n_attrs;
    uint32_t dropped_attributes_count;
    int32_t schema_url; /* string index (ScopeProfiles.schema_url) */
    struct pcol_profile *profiles;
    uint32_t n_profiles;
    uint32_t cap_profiles;
};

struct pcol_entity_ref {
    int32_t schema_url;
    int32_t type;
    struct pcol_ilist id_keys;          /* string indexes */
    struct pcol_ilist description_keys; /* string indexes */
};

struct pcol_resource {
    struct pcol_kv *attrs;
    uint32_t n_attrs;
    uint32_t dropped_attributes_count;
    struct pcol_entity_ref *entity_refs;
    uint32_t n_entity_refs;
    int32_t schema_url; /* string index (ResourceProfiles.schema_url) */
    struct pcol_scope *scopes;
    uint32_t n_scopes;
    uint32_t cap_scopes;
};

enum {
    PCOL_BATCH_READONLY = 1u << 0, /* shared by several read-only consumers */
};

struct pcol_batch {
    struct pcol_arena *arena;
    struct pcol_dict dict;
    struct pcol_resource *resources;
    uint32_t n_resources;
    uint32_t cap_resources;
    uint32_t refcount;
    uint32_t flags;
    uint64_t received_unix_nano; /* when a receiver accepted it, 0 if unknown */
    uint64_t charged;            /* core: pipelines whose memory budget it counts in */
};

/* ---- batch lifetime ------------------------------------------------------ */

/* Creates an empty batch (refcount 1) whose dictionary holds the zero
 * entries. `arena_hint` sizes the first arena chunk (0: default). */
struct pcol_batch *pcol_batch_create(size_t arena_hint);
/* Takes a new reference. */
struct pcol_batch *pcol_batch_ref(struct pcol_batch *b);
/* Drops one reference; the last one destroys the batch and its arena. NULL ok. */
void pcol_batch_release(struct pcol_batch *b);
/* Deep copy into a new batch with its own arena (borrows `src`). Only the
 * dictionary entries something refers to are copied, so a clone is also a
 * compaction (after a processor removed samples, names or profiles). */
struct pcol_batch *pcol_batch_clone(const struct pcol_batch *src);
/* Appends everything of `src` (borrowed) to `dst`, interning the dictionary
 * entries it refers to into dst's dictionary. Linear in the size of `src`. */
void pcol_batch_merge(struct pcol_batch *dst, const struct pcol_batch *src);

/* ---- dictionary maps (profile_map.c) -------------------------------------
 *
 * A map copies parts of `src` into `dst` one piece at a time: each
 * pcol_map_* returns the dst index of a src entry, interning it (and what it
 * refers to) into dst on first use. Everything new lives in dst's arena.
 * `src` is borrowed and must not change while the map lives. */
struct pcol_dict_map;

struct pcol_dict_map *pcol_dict_map_create(struct pcol_batch *dst, const struct pcol_batch *src);
void pcol_dict_map_free(struct pcol_dict_map *m);

int32_t pcol_map_str(struct pcol_dict_map *m, int32_t i);
int32_t pcol_map_attr(struct pcol_dict_map *m, int32_t i);
int32_t pcol_map_link(struct pcol_dict_map *m, int32_t i);
int32_t pcol_map_stack(struct pcol_dict_map *m, int32_t i);
struct pcol_ilist pcol_map_attrs(struct pcol_dict_map *m, struct pcol_ilist l);
struct pcol_kv *pcol_map_kvs(struct pcol_dict_map *m, const struct pcol_kv *kv, uint32_t n);
void pcol_map_value(struct pcol_dict_map *m, struct pcol_value *out, const struct pcol_value *in);
/* Fills `*out` with a copy of sample `in` (values and timestamps copied). */
void pcol_map_sample(struct pcol_dict_map *m, struct pcol_sample *out,
                     const struct pcol_sample *in);

/* Append to dst a resource / scope carrying the source's attributes and
 * header fields but no children, and a profile with (or without) its
 * samples. */
struct pcol_resource *pcol_map_add_resource(struct pcol_dict_map *m,
                                            const struct pcol_resource *sr);
struct pcol_scope *pcol_map_add_scope(struct pcol_dict_map *m, struct pcol_resource *dr,
                                      const struct pcol_scope *ss);
struct pcol_profile *pcol_map_add_profile(struct pcol_dict_map *m, struct pcol_scope *ds,
                                          const struct pcol_profile *sp, bool with_samples);

/* Bytes the batch holds (its arena), for memory budgets. */
static inline size_t pcol_batch_bytes(const struct pcol_batch *b)
{
    return pcol_arena_bytes(b->arena);
}

/* Counts of what a batch carries, for metrics and tests. */
size_t pcol_batch_profile_count(const struct pcol_batch *b);
size_t pcol_batch_sample_count(const struct pcol_batch *b);

/* ---- dictionary access --------------------------------------------------- */

#define PCOL_TABLE_AT(tab, type, i) (((type *)(tab).items)[(i)])

static inline const struct pcol_str *pcol_str_at(const struct pcol_batch *b, int32_t i)
{
    return &PCOL_TABLE_AT(b->dict.strings, struct pcol_str, i);
}
static inline const char *pcol_cstr(const struct pcol_batch *b, int32_t i)
{
    return PCOL_TABLE_AT(b->dict.strings, struct pcol_str, i).p;
}
static inline const struct pcol_mapping *pcol_mapping_at(const struct pcol_batch *b, int32_t i)
{
    return &PCOL_TABLE_AT(b->dict.mappings, struct pcol_mapping, i);
}
static inline const struct pcol_location *pcol_location_at(const struct pcol_batch *b, int32_t i)
{
    return &PCOL_TABLE_AT(b->dict.locations, struct pcol_location, i);
}
static inline const struct pcol_function *pcol_function_at(const struct pcol_batch *b, int32_t i)
{
    return &PCOL_TABLE_AT(b->dict.functions, struct pcol_function, i);
}
static inline const struct pcol_link *pcol_link_at(const struct pcol_batch *b, int32_t i)
{
    return &PCOL_TABLE_AT(b->dict.links, struct pcol_link, i);
}
static inline const struct pcol_attr *pcol_attr_at(const struct pcol_batch *b, int32_t i)
{
    return &PCOL_TABLE_AT(b->dict.attrs, struct pcol_attr, i);
}
static inline const struct pcol_stack *pcol_stack_at(const struct pcol_batch *b, int32_t i)
{
    return &PCOL_TABLE_AT(b->dict.stacks, struct pcol_stack, i);
}

/* Interns a string: returns the index of an equal string, or copies `s` into
 * the batch arena and appends it. `s` is borrowed. */
int32_t pcol_dict_str(struct pcol_batch *b, const char *s, size_t len);
static inline int32_t pcol_dict_cstr(struct pcol_batch *b, const char *s)
{
    return pcol_dict_str(b, s, strlen(s));
}
/* Like pcol_dict_str, but `s` (NUL-terminated at s[len]) already lives in the
 * batch arena or in static memory, so it is referenced, not copied. */
int32_t pcol_dict_str_ref(struct pcol_batch *b, const char *s, size_t len);
/* Appends without looking for an equal entry (decoders filling a table whose
 * entries are known distinct, or where duplicates are allowed). `s` must live
 * in the batch arena or static memory. */
int32_t pcol_dict_str_append(struct pcol_batch *b, const char *s, size_t len);
/* Index of an equal string, or -1. Does not insert. */
int32_t pcol_dict_find_str(struct pcol_batch *b, const char *s, size_t len);

/* Interns an entry of the table's type: returns the index of an equal entry
 * or appends a shallow copy of `*entry`. Lists and nested values the entry
 * points to must already live in the batch arena. */
int32_t pcol_dict_intern(struct pcol_batch *b, struct pcol_table *t, const void *entry);
/* Appends a shallow copy without looking for an equal entry. */
int32_t pcol_dict_append(struct pcol_batch *b, struct pcol_table *t, const void *entry);
/* Reserves room for `n` more entries (decoders that know the count). */
void pcol_dict_reserve(struct pcol_batch *b, struct pcol_table *t, uint32_t n);

/* Convenience interners that build the entry and its lists in the arena. */
int32_t pcol_dict_stack(struct pcol_batch *b, const int32_t *locs, uint32_t n);
/* Interns a location whose lines and attributes may live anywhere: they are
 * copied into the arena only when the location is new. */
int32_t pcol_dict_location(struct pcol_batch *b, const struct pcol_location *l);
int32_t pcol_dict_attr(struct pcol_batch *b, int32_t key, const struct pcol_value *v, int32_t unit);
int32_t pcol_dict_link(struct pcol_batch *b, const uint8_t trace_id[16], const uint8_t span_id[8]);

/* Copies `n` ints into the arena. */
struct pcol_ilist pcol_ilist_dup(struct pcol_batch *b, const int32_t *v, uint32_t n);

/* Value helpers. Equality/hash are deep and compare string indexes, so they
 * are meaningful within one batch only. */
bool pcol_value_eq(const struct pcol_value *a, const struct pcol_value *b);
uint64_t pcol_value_hash(const struct pcol_value *v, uint64_t seed);

/* Finds the attribute with key `key` in `list`, or NULL. */
const struct pcol_attr *pcol_attrs_find(const struct pcol_batch *b, struct pcol_ilist list,
                                        int32_t key);
/* Finds the key/value with key `key` in a kv array, or NULL. */
const struct pcol_kv *pcol_kvs_find(const struct pcol_kv *kv, uint32_t n, int32_t key);

/* ---- building the tree --------------------------------------------------- */

/* Each returns a zeroed new element appended to its parent's array. */
struct pcol_resource *pcol_batch_add_resource(struct pcol_batch *b);
struct pcol_scope *pcol_resource_add_scope(struct pcol_batch *b, struct pcol_resource *r);
struct pcol_profile *pcol_scope_add_profile(struct pcol_batch *b, struct pcol_scope *s);
struct pcol_sample *pcol_profile_add_sample(struct pcol_batch *b, struct pcol_profile *p);
void pcol_profile_reserve_samples(struct pcol_batch *b, struct pcol_profile *p, uint32_t n);

/* Generic arena array growth used by the functions above (and by codecs
 * building kv arrays): makes room for one more element of `size` bytes. */
void *pcol__grow(struct pcol_batch *b, void *arr, uint32_t n, uint32_t *cap, size_t size);

/* ---- hashing ------------------------------------------------------------- */

uint64_t pcol_hash_bytes(const void *p, size_t n, uint64_t seed);
static inline uint64_t pcol_hash_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 32);
}

#endif
