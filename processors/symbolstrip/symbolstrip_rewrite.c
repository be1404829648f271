/* SPDX-License-Identifier: Apache-2.0 */
/*
 * symbolstrip_rewrite.c: how `symbolstrip` changes one batch's dictionary.
 *
 * Functions are shared by every location that names them, so the function
 * table is rewritten in place, each entry once; then, in drop mode, the
 * location lines of stripped functions are removed; then the mapping
 * entries lose their paths and their `pprof.mapping.has_*` flags where the
 * mode asks. Resource, scope, profile, sample, location and other mapping
 * attributes, addresses, memory ranges, file offsets and build ids are never
 * touched. symbolstrip.c then passes on a clone, which leaves behind the
 * strings, functions and locations nothing refers to any more.
 *
 * In place means the tables' hash indexes no longer match the changed
 * function, location and mapping entries, so nothing here interns into
 * those tables; only strings are interned (hashed and trimmed names), and
 * string entries are never changed.
 *
 * Ownership: the batch is borrowed (private to the processor: it mutates);
 * new lists and lines are allocated in its arena; the per-batch caches are
 * heap memory freed before returning.
 */
#include "symbolstrip.h"

#include <stdlib.h>
#include <string.h>

/* The mapping flags pprof's Mapping.has_* become (docs/conversion.md). */
enum { F_FUNCTIONS, F_FILENAMES, F_LINE_NUMBERS, F_INLINE_FRAMES, N_FLAGS };
static const char *const flag_keys[N_FLAGS] = {
    "pprof.mapping.has_functions",
    "pprof.mapping.has_filenames",
    "pprof.mapping.has_line_numbers",
    "pprof.mapping.has_inline_frames",
};

struct rw {
    const struct pcol__symstrip *s;
    struct pcol_batch *b;
    uint8_t *stripped;  /* function index -> 1 when stripped */
    int32_t *renamed;   /* string index -> hashed or trimmed index, -1 unknown */
    uint32_t n_strings; /* string count before the rewrite (the cache's size) */
    struct pcol__symstrip_stats st;
};

/* Whether function `f` stays readable: its name or system name matches a
 * `keep` expression. */
static bool kept(const struct rw *rw, const struct pcol_function *f)
{
    const struct pcol_regex_list *keep = &rw->s->keep;

    if (!keep->n) {
        return false;
    }
    return (f->name && pcol_regex_list_match(keep, pcol_cstr(rw->b, f->name))) ||
           (f->system_name && pcol_regex_list_match(keep, pcol_cstr(rw->b, f->system_name)));
}

/* Hash mode: the index of the hashed text of string `i` ("" stays ""). A
 * name OpenSSL fails to hash is dropped rather than passed on readable. */
static int32_t hashed(struct rw *rw, int32_t i)
{
    const struct pcol_str *str = pcol_str_at(rw->b, i);
    char out[PCOL__SYMSTRIP_HASH_LEN + 1];

    if (i == 0 || str->len == 0) {
        return 0;
    }
    if (rw->renamed[i] < 0) {
        rw->renamed[i] = pcol__symstrip_hash(rw->s, str->p, str->len, out)
                             ? pcol_dict_str(rw->b, out, PCOL__SYMSTRIP_HASH_LEN)
                             : 0;
    }
    return rw->renamed[i];
}

/* Filenames mode: file name `i` without the longest `trim_prefixes` entry it
 * starts with (unchanged when none does); with no prefixes configured, or
 * when nothing is left, "". */
static int32_t trimmed(struct rw *rw, int32_t i)
{
    const struct pcol_str_list *pre = &rw->s->trim_prefixes;
    const struct pcol_str *str = pcol_str_at(rw->b, i);
    size_t best = 0, k;
    bool found = false;

    if (i == 0 || pre->n == 0) {
        return 0;
    }
    if (rw->renamed[i] >= 0) {
        return rw->renamed[i];
    }
    for (k = 0; k < pre->n; k++) {
        size_t n = strlen(pre->v[k]);
        if (n <= str->len && (!found || n > best) && memcmp(str->p, pre->v[k], n) == 0) {
            best = n;
            found = true;
        }
    }
    if (!found) {
        rw->renamed[i] = i;
    } else if (best == str->len) {
        rw->renamed[i] = 0;
    } else {
        /* The suffix already lives in the arena, NUL-terminated: reference it. */
        rw->renamed[i] = pcol_dict_str_ref(rw->b, str->p + best, str->len - best);
    }
    return rw->renamed[i];
}

static void rewrite_functions(struct rw *rw)
{
    struct pcol_batch *b = rw->b;
    uint32_t i, n = b->dict.functions.n;

    for (i = 1; i < n; i++) {
        struct pcol_function *f = &PCOL_TABLE_AT(b->dict.functions, struct pcol_function, i);
        struct pcol_function was = *f;

        if (kept(rw, f)) {
            continue;
        }
        rw->stripped[i] = 1;
        switch (rw->s->mode) {
        case PCOL__SYMSTRIP_DROP: *f = (struct pcol_function){0, 0, 0, 0}; break;
        case PCOL__SYMSTRIP_HASH:
            f->name = hashed(rw, f->name);
            f->system_name = hashed(rw, f->system_name);
            f->filename = hashed(rw, f->filename);
            break;
        case PCOL__SYMSTRIP_FILENAMES: f->filename = trimmed(rw, f->filename); break;
        default: break;
        }
        if (memcmp(&was, f, sizeof(*f)) != 0) {
            rw->st.functions++;
        }
    }
}

/* Drop mode: a line stays only when its function is kept (a line number
 * without a function name means nothing); a location whose lines all go
 * keeps its mapping and address, so it can be symbolised later. */
static void drop_lines(struct rw *rw)
{
    struct pcol_batch *b = rw->b;
    uint32_t i, j, n = b->dict.locations.n;

    for (i = 1; i < n; i++) {
        struct pcol_location *l = &PCOL_TABLE_AT(b->dict.locations, struct pcol_location, i);
        struct pcol_line *lines;
        uint32_t keep = 0;

        for (j = 0; j < l->n_lines; j++) {
            keep += l->lines[j].function != 0 && !rw->stripped[l->lines[j].function];
        }
        if (keep == l->n_lines) {
            continue;
        }
        rw->st.lines += l->n_lines - keep;
        /* A new array: another entry may share the old one. */
        lines = keep ? pcol_arena_alloc(b->arena, keep * sizeof(*lines)) : NULL;
        for (j = 0, keep = 0; j < l->n_lines; j++) {
            if (l->lines[j].function != 0 && !rw->stripped[l->lines[j].function]) {
                lines[keep++] = l->lines[j];
            }
        }
        l->lines = lines;
        l->n_lines = keep;
    }
}

/* Removes the attributes whose key is one of `keys` (string indexes, -1
 * unused) from mapping `m`. Returns whether any was removed. */
static bool drop_flags(struct pcol_batch *b, struct pcol_mapping *m, const int32_t *keys)
{
    int32_t *v = NULL;
    uint32_t j, k, n = 0;

    for (j = 0; j < m->attrs.n; j++) {
        int32_t key = pcol_attr_at(b, m->attrs.v[j])->key;
        bool drop = false;
        for (k = 0; k < N_FLAGS; k++) {
            drop = drop || key == keys[k];
        }
        if (drop && !v) {
            v = pcol_arena_alloc(b->arena, m->attrs.n * sizeof(*v));
            memcpy(v, m->attrs.v, j * sizeof(*v));
            n = j;
        } else if (!drop && v) {
            v[n++] = m->attrs.v[j];
        }
    }
    if (!v) {
        return false;
    }
    m->attrs.v = n ? v : NULL;
    m->attrs.n = n;
    return true;
}

/* Which has_* flags the mode makes false (their key indexes, -1 when not
 * cleared or absent from the batch). Returns whether any is to clear. */
static bool flags_to_clear(const struct rw *rw, int32_t keys[N_FLAGS])
{
    bool clear[N_FLAGS] = {false, false, false, false};
    bool any = false;
    uint32_t k;

    if (rw->s->mode == PCOL__SYMSTRIP_DROP) {
        clear[F_FUNCTIONS] = clear[F_FILENAMES] = true;
        clear[F_LINE_NUMBERS] = clear[F_INLINE_FRAMES] = true;
    } else if (rw->s->mode == PCOL__SYMSTRIP_FILENAMES && rw->s->trim_prefixes.n == 0) {
        clear[F_FILENAMES] = true;
    }
    for (k = 0; k < N_FLAGS; k++) {
        keys[k] = clear[k] ? pcol_dict_find_str(rw->b, flag_keys[k], strlen(flag_keys[k])) : -1;
        any = any || keys[k] > 0;
    }
    return any;
}

static void rewrite_mappings(struct rw *rw, bool names_changed)
{
    struct pcol_batch *b = rw->b;
    bool paths = rw->s->mapping_paths || rw->s->mode == PCOL__SYMSTRIP_MAPPING_PATHS;
    int32_t keys[N_FLAGS];
    bool flags = names_changed && flags_to_clear(rw, keys);
    uint32_t i;

    if (!paths && !flags) {
        return;
    }
    for (i = 1; i < b->dict.mappings.n; i++) {
        struct pcol_mapping *m = &PCOL_TABLE_AT(b->dict.mappings, struct pcol_mapping, i);
        bool changed = paths && m->filename != 0;

        if (paths) {
            m->filename = 0;
        }
        if (flags && drop_flags(b, m, keys)) {
            changed = true;
        }
        rw->st.mappings += changed;
    }
}

struct pcol__symstrip_stats pcol__symstrip_rewrite(const struct pcol__symstrip *s,
                                                   struct pcol_batch *b)
{
    struct rw rw = {s, b, NULL, NULL, b->dict.strings.n, {0, 0, 0}};

    if (s->mode != PCOL__SYMSTRIP_MAPPING_PATHS) {
        rw.stripped = pcol_xcalloc(b->dict.functions.n ? b->dict.functions.n : 1, 1);
        rw.renamed = pcol_xmalloc((rw.n_strings ? rw.n_strings : 1) * sizeof(int32_t));
        memset(rw.renamed, 0xff, rw.n_strings * sizeof(int32_t));
        rewrite_functions(&rw);
        if (s->mode == PCOL__SYMSTRIP_DROP) {
            drop_lines(&rw);
        }
    }
    rewrite_mappings(&rw, rw.st.functions || rw.st.lines);
    free(rw.stripped);
    free(rw.renamed);
    return rw.st;
}
