/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h: the YAML config loader, its diagnostics, and the checked view of
 * a profcol config (components and pipelines).
 *
 * Loading turns each YAML file into a small tree of `struct pcol_cfg_node`
 * (scalar, sequence or mapping, each with file:line:col) and merges it into
 * what earlier files gave: later files win, mappings merge key by key,
 * sequences and scalars are replaced. `${env:NAME}`, `${env:NAME:-default}`,
 * `${NAME}` and `$$` are expanded in scalar values (never in keys) while the
 * tree is built. pcol_config_check() then checks the top-level shape and the
 * pipeline wiring and builds the lists later stages walk. It does not know
 * component types: the registry hands each component's node to the option
 * engine (option.h).
 *
 * Ownership: a `struct pcol_config` owns one arena holding every node, string
 * and list it hands out; all of it dies with pcol_config_destroy(). Functions
 * here borrow their pointer arguments. A `struct pcol_diag` owns its messages
 * (heap copies, so it may outlive the config) until pcol_diag_free().
 */
#ifndef PCOL_CONFIG_H
#define PCOL_CONFIG_H

#include "arena.h"
#include "option.h"

#include <stdio.h>

/* ---- diagnostics ----------------------------------------------------------- */

enum pcol_diag_severity {
    PCOL_DIAG_ERROR,
    PCOL_DIAG_WARNING,
};

struct pcol_diag_entry {
    enum pcol_diag_severity severity;
    char *file;    /* NULL when the problem has no place in a file */
    uint32_t line; /* 1-based; 0 when unknown */
    uint32_t col;  /* 1-based; 0 when unknown */
    char *msg;     /* one line, no trailing newline */
};

/* Every problem found while loading, checking and applying a config. All of
 * them are collected so a user sees everything at once. Zero-initialise it
 * (`struct pcol_diag d = {0};`) before use. */
struct pcol_diag {
    struct pcol_diag_entry *v;
    size_t n, cap;
    size_t errors, warnings;
};

struct pcol_cfg_node;

/* Adds an error (pcol_diag_add) or a warning (pcol_diag_warn) at `at`'s
 * position; `at` may be NULL for problems with no place in a file. */
void pcol_diag_add(struct pcol_diag *d, const struct pcol_cfg_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pcol_diag_warn(struct pcol_diag *d, const struct pcol_cfg_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds a message at an explicit place (file may be NULL, line/col 0). */
void pcol_diag_at(struct pcol_diag *d, enum pcol_diag_severity sev, const char *file, uint32_t line,
                  uint32_t col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Prints every message as `file:line:col: error: text`, ordered by file (in
 * order of first appearance), then by position; messages at the same place
 * keep the order they were added in. */
void pcol_diag_print(const struct pcol_diag *d, FILE *out);
void pcol_diag_free(struct pcol_diag *d);

/* ---- "did you mean" --------------------------------------------------------- */

/* Finds the known name nearest to a misspelt one: feed every candidate to
 * pcol_suggest_add(), then read `best` (NULL when nothing is close enough:
 * within Damerau distance 2, or a third of the word's length for long
 * words). Strings are borrowed. */
struct pcol_suggest {
    const char *word;
    const char *best;
    size_t best_dist;
};

void pcol_suggest_init(struct pcol_suggest *s, const char *word);
void pcol_suggest_add(struct pcol_suggest *s, const char *candidate);

/* ---- the node tree ---------------------------------------------------------- */

enum pcol_cfg_node_kind {
    PCOL_NODE_SCALAR,
    PCOL_NODE_SEQUENCE,
    PCOL_NODE_MAPPING,
};

struct pcol_cfg_pair {
    const struct pcol_cfg_node *key; /* always a scalar */
    const struct pcol_cfg_node *value;
};

/* Nodes are read-only once loaded; a node reached through a YAML alias is
 * shared and carries the position of its anchor. */
struct pcol_cfg_node {
    enum pcol_cfg_node_kind kind;
    const char *file;
    uint32_t line, col; /* 1-based */
    /* SCALAR: NUL-terminated text after ${...} expansion; `len` excludes the
     * NUL (a YAML "\0" escape can make strlen(text) < len). `is_null` is set
     * for plain `~`, `null` and empty values. */
    const char *text;
    size_t len;
    bool is_null;
    bool quoted; /* written in quotes or as a block scalar: a string, never a number */
    /* SEQUENCE: `items`; MAPPING: `pairs` (in file order, keys unique). */
    size_t count;
    const struct pcol_cfg_node *const *items;
    const struct pcol_cfg_pair *pairs;
};

/* The value stored under `key` in mapping `map`, or NULL (also when `map`
 * is NULL or not a mapping). */
const struct pcol_cfg_node *pcol_cfg_get(const struct pcol_cfg_node *map, const char *key);
/* "scalar", "sequence" or "mapping", for messages. */
const char *pcol_cfg_kind_name(enum pcol_cfg_node_kind kind);

/* ---- loading ---------------------------------------------------------------- */

struct pcol_config;

struct pcol_config *pcol_config_create(void);
void pcol_config_destroy(struct pcol_config *cfg);

/* Parses one YAML source and merges it over what was loaded before. `name`
 * is what diagnostics call the source. Returns 0, or PCOL_EINVAL after
 * adding the problems to `d` (the source is then left out of the merge).
 * Loading goes on after a failed source so every file gets checked. */
int pcol_config_load_file(struct pcol_config *cfg, const char *path, struct pcol_diag *d);
int pcol_config_load_string(struct pcol_config *cfg, const char *name, const char *text,
                            struct pcol_diag *d);

/* The merged tree (a mapping), or NULL when nothing was loaded. */
const struct pcol_cfg_node *pcol_config_root(const struct pcol_config *cfg);
/* The config's arena, for code that keeps values as long as the config. */
struct pcol_arena *pcol_config_arena(struct pcol_config *cfg);

/* Parses `text` as one YAML value (no ${...} expansion) into a node in
 * `arena`; used for option defaults. Returns NULL after adding the problem
 * to `d`. */
const struct pcol_cfg_node *pcol__cfg_parse_value(struct pcol_arena *arena, const char *name,
                                                  const char *text, struct pcol_diag *d);

/* ---- the checked config ----------------------------------------------------- */

enum pcol_component_kind {
    PCOL_RECEIVER,
    PCOL_PROCESSOR,
    PCOL_EXPORTER,
    PCOL_COMPONENT_KINDS,
};

/* "receiver", "processor", "exporter". */
const char *pcol_component_kind_name(enum pcol_component_kind kind);

/* One entry of the top-level `receivers`, `processors` or `exporters`. */
struct pcol_cfg_component {
    enum pcol_component_kind kind;
    const char *id;                   /* "otlp/in" */
    const char *type;                 /* "otlp" */
    const char *name;                 /* "in", or "" when the id has no name */
    const struct pcol_cfg_node *key;  /* where the id is written */
    const struct pcol_cfg_node *node; /* its settings as written, for the option
                                       * engine (which reports a non-mapping) */
    bool used;                        /* referenced by at least one pipeline */
};

/* One entry of `service.pipelines`: `refs[kind]` are the components of that
 * kind in the order the pipeline lists them. */
struct pcol_cfg_pipeline {
    const char *id;   /* "profiles" or "profiles/NAME" */
    const char *name; /* "NAME", or "" */
    const struct pcol_cfg_node *key;
    const struct pcol_cfg_component *const *refs[PCOL_COMPONENT_KINDS];
    size_t n_refs[PCOL_COMPONENT_KINDS];
    uint64_t memory_limit; /* bytes of batches in flight; 0 = unlimited */
};

enum pcol_log_level { PCOL_LOG_DEBUG, PCOL_LOG_INFO, PCOL_LOG_WARN, PCOL_LOG_ERROR };
enum pcol_log_encoding { PCOL_LOG_CONSOLE, PCOL_LOG_JSON };
enum pcol_metrics_level {
    PCOL_METRICS_NONE,
    PCOL_METRICS_BASIC,
    PCOL_METRICS_NORMAL,
    PCOL_METRICS_DETAILED,
};

struct pcol_telemetry_logs {
    int level;    /* enum pcol_log_level */
    int encoding; /* enum pcol_log_encoding */
};

struct pcol_telemetry_metrics {
    struct pcol_endpoint address;
    int level; /* enum pcol_metrics_level */
};

/* service.telemetry, filled through the option engine (defaults: logs info
 * console, metrics normal on localhost:8888). */
struct pcol_telemetry_config {
    struct pcol_telemetry_logs logs;
    struct pcol_telemetry_metrics metrics;
};

/* service.shutdown_timeout and friends (defaults when absent). */
struct pcol_service_config {
    int64_t shutdown_timeout; /* ns: how long exporters may drain at stop */
};

/* Checks the merged tree: top-level keys, component ids, pipeline ids and
 * wiring, telemetry options; warns about components no pipeline uses.
 * Returns 0, or PCOL_EINVAL when it added errors to `d`. Refuses (PCOL_EINVAL,
 * nothing added) when a load failed, since a partial config would only give
 * misleading errors. */
int pcol_config_check(struct pcol_config *cfg, struct pcol_diag *d);

/* After a successful check: the components of one kind in file order, the
 * pipelines, the telemetry settings, and the `plugins` sequence of scalar
 * paths (NULL when absent). */
size_t pcol_config_components(const struct pcol_config *cfg, enum pcol_component_kind kind,
                              const struct pcol_cfg_component **list);
const struct pcol_cfg_component *
pcol_config_component(const struct pcol_config *cfg, enum pcol_component_kind kind, const char *id);
size_t pcol_config_pipelines(const struct pcol_config *cfg, const struct pcol_cfg_pipeline **list);
const struct pcol_telemetry_config *pcol_config_telemetry(const struct pcol_config *cfg);
const struct pcol_service_config *pcol_config_service(const struct pcol_config *cfg);
const struct pcol_cfg_node *pcol_config_plugins(const struct pcol_config *cfg);

#endif
