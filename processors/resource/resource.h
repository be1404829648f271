/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resource.h: what the files of the `resource` processor share.
 *
 *   resource.c          the component: lifecycle, process(), the doc comment
 *   resource_config.c   option tables, validate, typed `value` parsing
 *   resource_detect.c   the env, system and kubernetes detectors
 *   resource_actions.c  the action engine on one attribute list (wlist)
 *   resource_targets.c  loading/storing lists of each target; sample cache
 *
 * Ownership: the context is the instance's (the core allocates and frees
 * it); the option fields' strings and compiled patterns belong to the option
 * engine. Everything under "built by init" is heap memory the context owns
 * until destroy. Per-batch scratch (prepared actions, the working list, the
 * sample cache) is reused between batches and never points into a batch
 * after process() returns, except through `prep` values that are rebuilt
 * for every batch.
 */
#ifndef PCOL_PROC_RESOURCE_H
#define PCOL_PROC_RESOURCE_H

#include "component.h"

enum pcol__res_action_kind {
    PCOL__RES_INSERT,
    PCOL__RES_UPDATE,
    PCOL__RES_UPSERT,
    PCOL__RES_DELETE,
    PCOL__RES_HASH,
    PCOL__RES_EXTRACT,
    PCOL__RES_CONVERT,
};

enum pcol__res_target {
    PCOL__RES_T_RESOURCE,
    PCOL__RES_T_SCOPE,
    PCOL__RES_T_PROFILE,
    PCOL__RES_T_SAMPLE,
    PCOL__RES_TARGETS,
};

enum pcol__res_type {
    PCOL__RES_TYPE_INT,
    PCOL__RES_TYPE_DOUBLE,
    PCOL__RES_TYPE_STRING,
    PCOL__RES_TYPE_BOOL,
};

/* One element of `attributes`, as the option engine fills it. */
struct pcol__res_action_cfg {
    int action; /* enum pcol__res_action_kind */
    const char *key;
    struct pcol_scalar value;
    const char *from_attribute;
    const struct pcol_regex *pattern;
    int converted_type; /* enum pcol__res_type; meaningful for convert only */
    int target;         /* enum pcol__res_target */
};

/* A typed `value`: 42 int, 1.5 double, true bool, anything quoted a string. */
struct pcol__res_literal {
    uint32_t kind; /* PCOL_VAL_STR, _INT, _DOUBLE or _BOOL */
    const char *text;
    size_t len;
    int64_t i;
    double d;
    bool b;
};

/* An action ready to run: from the config, or made from a detected
 * attribute (an upsert, or an insert when override is false). */
struct pcol__res_action {
    int kind; /* enum pcol__res_action_kind */
    int target;
    const char *key; /* NULL for delete/hash by pattern alone */
    size_t key_len;
    bool has_value;
    struct pcol__res_literal value;
    const char *from; /* from_attribute */
    size_t from_len;
    const struct pcol_regex *pattern;
    int type; /* convert */
};

/* An action's batch-specific parts, interned into the batch at hand. */
struct pcol__res_prep {
    const struct pcol__res_action *a;
    int32_t key;         /* string index of key (interned when the action writes it) */
    struct pcol_value v; /* the literal, its string interned */
    int32_t *groups;     /* extract: string index per capture group, 0 = unnamed */
};

/* One attribute in the working list of a target. `src` is its index in the
 * attribute table while unchanged (ilist targets), else 0. */
struct pcol__res_wattr {
    int32_t key;
    struct pcol_value value;
    int32_t unit;
    int32_t src;
};

struct pcol__res_wlist {
    struct pcol__res_wattr *v;
    uint32_t n, cap;
    bool dirty;
};

/* Sample-list cache: one entry per distinct source attribute list. */
struct pcol__res_cache_slot {
    uint64_t hash;
    struct pcol_ilist src;
    struct pcol_ilist dst;
    bool used;
};

struct pcol__res_kubernetes {
    const char *pod_name;
    const char *namespace_name;
    const char *node_name;
    const char *container_name;
    const char *pod_uid;
};

/* A detected resource attribute (heap strings). */
struct pcol__res_detected {
    char *key;
    char *value;
};

struct pcol__res_ctx {
    /* options */
    struct pcol_section_list attributes; /* struct pcol__res_action_cfg */
    struct pcol_str_list detectors;
    bool override;
    struct pcol__res_kubernetes kubernetes;

    /* built by init */
    struct pcol_instance *inst;
    struct pcol__res_detected *detected;
    size_t n_detected;
    struct pcol__res_action *actions; /* by target; detected first among resource ones */
    size_t n_actions;
    size_t first[PCOL__RES_TARGETS + 1]; /* actions of target t: [first[t], first[t + 1]) */
    size_t max_groups;                   /* largest n_groups of an extract pattern */

    /* per-batch scratch */
    struct pcol__res_prep *prep; /* n_actions */
    int32_t *group_keys;         /* the prep entries' `groups` */
    struct pcol__res_wlist w;
    struct pcol_buf text;
    regmatch_t *match; /* max_groups + 1 */
    struct pcol__res_cache_slot *cache;
    uint32_t cache_cap, cache_used;
};

/* ---- resource_config.c ------------------------------------------------------- */

extern const struct pcol_option pcol__res_options[];
void pcol__res_validate(const void *ctx, const struct pcol_cfg_node *node, struct pcol_diag *diag);
/* Types a `value` scalar. Returns false with the reason in `why`. */
bool pcol__res_literal_parse(const struct pcol_scalar *sc, struct pcol__res_literal *out, char *why,
                             size_t why_len);

/* ---- resource_detect.c --------------------------------------------------------- */

/* Runs the configured detectors in order (earlier ones win) into
 * c->detected. Problems are logged; detection itself never fails. */
void pcol__res_detect(struct pcol__res_ctx *c);
void pcol__res_detected_free(struct pcol__res_ctx *c);
/* Decodes %XX escapes of `s` (n bytes) into a new heap string; an invalid
 * escape is kept as written. */
char *pcol__res_percent_decode(const char *s, size_t n);

/* ---- resource_actions.c -------------------------------------------------------- */

/* Interns what action `p->a` needs into batch `b`. */
void pcol__res_prepare(struct pcol_batch *b, struct pcol__res_prep *p, int32_t *groups);
/* Runs one action on the working list. */
void pcol__res_apply(struct pcol__res_ctx *c, struct pcol_batch *b, const struct pcol__res_prep *p,
                     struct pcol__res_wlist *w);
/* Lowercase hex SHA-1 of `n` bytes into `out` (41 bytes with the NUL). */
void pcol__res_sha1_hex(const void *p, size_t n, char out[41]);

/* ---- resource_targets.c -------------------------------------------------------- */

/* Runs the `n` prepared actions `prep` (all of `target`, in config order) on
 * each attribute list of that target in `b`. */
void pcol__res_run_target(struct pcol__res_ctx *c, struct pcol_batch *b, int target,
                          const struct pcol__res_prep *prep, size_t n);
void pcol__res_cache_free(struct pcol__res_ctx *c);

#endif
