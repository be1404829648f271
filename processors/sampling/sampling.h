/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sampling.h: the `sampling` processor's private header: its context (the
 * options as the option engine writes them, then the state init builds) and
 * the functions its files share. Not part of the plugin API.
 *
 *   sampling.c       options, lifecycle, process(): decide, count, rebuild
 *   policy.c         policy matching
 *   probabilistic.c  the consistent hash decision
 *   rate_limit.c     token buckets per key value, bounded with an LRU
 *
 * Ownership: the core owns the context; the option engine owns every string,
 * list and regex it wrote into it. init makes the compiled policy regexes
 * (in `arena`), the bucket table and the verdict scratch array; destroy
 * frees them.
 */
#ifndef PCOL_SAMPLING_H
#define PCOL_SAMPLING_H

#include "component.h"

enum sampling_action {
    SAMPLING_KEEP = 0, /* kept, the samplers are skipped */
    SAMPLING_DROP,     /* dropped, reason "policy" */
    SAMPLING_SAMPLE,   /* go on to the samplers */
};

/* What process() decided for one profile. */
enum sampling_verdict {
    VERDICT_KEEP = 0,
    VERDICT_DROP_POLICY,
    VERDICT_DROP_PROBABILISTIC,
    VERDICT_DROP_RATE_LIMIT,
    VERDICT_COUNT,
};

struct sampling_match {
    struct pcol_str_map attributes; /* key -> text, "*" = present */
    struct pcol_str_map regex;      /* key -> pattern (compiled into `res` at init) */
    const char *sample_type;        /* NULL: any */
    /* state */
    struct pcol_regex *res; /* regex.n compiled patterns, same order */
};

struct sampling_policy {
    const char *name;
    struct sampling_match match;
    int action; /* enum sampling_action */
};

struct sampling_probabilistic {
    double percentage;
    uint64_t hash_seed;
    const char *attribute; /* NULL: service.name + profile id */
};

/* A token bucket per key value; see rate_limit.c. */
struct sampling_bucket;

struct sampling_buckets {
    struct sampling_bucket **slots; /* hash chains */
    size_t nslots;                  /* power of two, 0 until the first key */
    size_t n;                       /* buckets alive */
    struct sampling_bucket *mru;    /* LRU list: most recently used first */
    struct sampling_bucket *lru;
};

struct sampling_rate_limit {
    uint64_t profiles; /* per interval; 0 = off */
    int64_t interval;  /* ns */
    uint64_t burst;    /* 0 = same as profiles */
    const char *key;
    uint64_t max_keys;
    /* state */
    struct sampling_buckets buckets;
};

struct sampling {
    /* options */
    struct pcol_section_list policies; /* struct sampling_policy */
    struct sampling_probabilistic probabilistic;
    struct sampling_rate_limit rate_limit;
    /* state */
    struct pcol_instance *inst;
    struct pcol_arena *arena; /* compiled regexes */
    struct pcol_buf text;     /* scratch: attribute values as text */
    uint8_t *verdicts;        /* one per profile of the batch in hand */
    size_t cap_verdicts;
    bool active; /* some policy or sampler can drop or keep anything */
};

/* ---- policy.c ----------------------------------------------------------------- */

/* Compiles the regexes of every policy into sp->arena. Returns 0, or
 * PCOL_EINVAL with the reason in `why` (validate already reported it). */
int pcol__sampling_policies_init(struct sampling *sp, char *why, size_t why_len);

/* Reports bad regexes of `policies` at their places in the config. */
void pcol__sampling_policies_validate(const struct pcol_section_list *policies,
                                      const struct pcol_cfg_node *node, struct pcol_diag *diag);

/* The action of the first policy that matches, or SAMPLING_SAMPLE when none
 * does. */
enum sampling_action pcol__sampling_policy_action(struct sampling *sp, const struct pcol_batch *b,
                                                  const struct pcol_resource *r,
                                                  const struct pcol_scope *s,
                                                  const struct pcol_profile *p);

/* ---- probabilistic.c -------------------------------------------------------- */

/* FNV-1a 64 of the 8-byte big-endian seed followed by `n` bytes of `p`. */
uint64_t pcol__sampling_fnv1a(uint64_t seed, const void *p, size_t n);

/* Whether the probabilistic sampler keeps profile `p`. */
bool pcol__sampling_probabilistic_keep(struct sampling *sp, const struct pcol_batch *b,
                                       const struct pcol_resource *r, const struct pcol_scope *s,
                                       const struct pcol_profile *p);

/* ---- rate_limit.c ----------------------------------------------------------- */

/* Whether the rate limiter keeps profile `p` at `now_ms` (uv_now): takes a
 * token from the bucket of its `key` value when there is one. */
bool pcol__sampling_rate_keep(struct sampling *sp, const struct pcol_batch *b,
                              const struct pcol_resource *r, const struct pcol_scope *s,
                              const struct pcol_profile *p, uint64_t now_ms);

/* Frees every bucket. */
void pcol__sampling_rate_free(struct sampling_rate_limit *rl);

#endif
