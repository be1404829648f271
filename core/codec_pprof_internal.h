/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_pprof_internal.h: the state of one pprof decode, shared by the two
 * halves of the decoder and private to them: codec_pprof_decode.c (entry
 * point, input checks, id maps, dictionary) and codec_pprof_decode_samples.c
 * (samples, then the resource, scope and profiles). The state is created and
 * freed by pcol_pprof_decode, within one call.
 */
#ifndef PCOL_CODEC_PPROF_INTERNAL_H
#define PCOL_CODEC_PPROF_INTERNAL_H

#include "codec_otlp_internal.h"
#include "codec_pprof.h"

#include "pprof/profile.pb-c.h"

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

static inline uint64_t id_hash(uint64_t id)
{
    id *= 0x9e3779b97f4a7c15ull;
    return id ^ (id >> 29);
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

/* ---- defined in codec_pprof_decode.c ------------------------------------ */

/* Batch index of a string that is not in the pprof (static storage). */
int32_t pcol__pprof_static_str(struct dec *d, const char *s);
/* Batch string index of the name of attribute key `k`. */
int32_t pcol__pprof_key_of(struct dec *d, enum key k);
/* Batch index of the attribute `k = <batch string s>`. */
int32_t pcol__pprof_str_attr(struct dec *d, enum key k, int32_t s);
/* Checks the string indexes of sample si's labels. */
int pcol__pprof_check_labels(struct dec *d, size_t si, const Perftools__Profiles__Sample *s);

/* ---- defined in codec_pprof_decode_samples.c ---------------------------- */

/* Turns every pprof sample into a conv_sample (d->conv): stack, link,
 * attributes. Needs the dictionary added first. */
int pcol__pprof_convert_samples(struct dec *d);
/* Appends the resource, its scope and one profile per sample type. */
void pcol__pprof_build_tree(struct dec *d, const uint8_t *buf, size_t len, bool keep_original);

#endif
