/* SPDX-License-Identifier: Apache-2.0 */
/*
 * option.h: the declarative option engine. Each component describes its
 * settings once, in a static table of `struct pcol_option` rows; that table
 * alone drives YAML parsing, defaults, bounds and enum checks, `profcol
 * describe TYPE` and docs/components.md.
 *
 * A table is an array of rows ended by an all-zero row. Each row writes one
 * field of the component's context struct, found by `offset`:
 *
 *   type        field type in ctx               YAML
 *   BOOL        bool                            true / false
 *   INT         int64_t                         decimal or 0x hex
 *   UINT        uint64_t                        decimal or 0x hex, no sign
 *   DOUBLE      double                          finite number
 *   STRING      const char * (NULL if unset)    any scalar
 *   ENUM        int: index into enum_names      one of enum_names, exactly
 *   DURATION    int64_t nanoseconds             "250ms", "1m30s", "1.5h"; units
 *                                               ns us µs ms s m h; "0" alone
 *   SIZE        uint64_t bytes                  "123", "64KiB", "4MB" (=4e6);
 *                                               B KB MB GB TB KiB MiB GiB TiB
 *   ENDPOINT    struct pcol_endpoint            "host:port", "[::1]:port",
 *                                               ":port"; port 0..65535
 *   STRING_LIST struct pcol_str_list (counted)  sequence of scalars
 *   STRING_MAP  struct pcol_str_map (counted,   mapping of scalars
 *               file order kept)
 *   SECTION     an embedded struct parsed with  mapping
 *               `sub` (offsets relative to it)
 *   SECTION_LIST struct pcol_section_list: `n`  sequence of mappings
 *               structs of `elem_size` bytes,
 *               each parsed with `sub`
 *   REGEX       const struct pcol_regex *       a regular expression (pattern.h),
 *               (NULL if unset)                 compiled when the config loads
 *   REGEX_LIST  struct pcol_regex_list          sequence of regular expressions
 *   SCALAR      struct pcol_scalar: the text    any scalar, typed by the
 *               and whether it was quoted       component (attribute values:
 *                                               42 is an int, "42" a string)
 *
 * `def`, `min` and `max` are YAML text parsed by the same parser as user
 * values, so "10s" bounds a DURATION and "4MiB" a SIZE. For STRING they bound
 * the length, for STRING_LIST, STRING_MAP and SECTION_LIST the count. A YAML
 * null (`key:` with no value) counts as "not given" and keeps the default.
 *
 * Ownership: tables are static and borrowed. Every string and array written
 * into ctx is allocated in the arena passed to pcol_options_apply(), so ctx
 * values live as long as that arena, independently of the config tree.
 */
#ifndef PCOL_OPTION_H
#define PCOL_OPTION_H

#include "common.h"
#include "pattern.h"

#include <stdio.h>

struct pcol_arena;
struct pcol_buf;
struct pcol_cfg_node;
struct pcol_diag;

enum pcol_opt_type {
    PCOL_OPT_BOOL = 1, /* 0 is left out so a row with no type is caught */
    PCOL_OPT_INT,
    PCOL_OPT_UINT,
    PCOL_OPT_DOUBLE,
    PCOL_OPT_STRING,
    PCOL_OPT_ENUM,
    PCOL_OPT_DURATION,
    PCOL_OPT_SIZE,
    PCOL_OPT_ENDPOINT,
    PCOL_OPT_STRING_LIST,
    PCOL_OPT_STRING_MAP,
    PCOL_OPT_SECTION,
    PCOL_OPT_SECTION_LIST,
    PCOL_OPT_REGEX,
    PCOL_OPT_REGEX_LIST,
    PCOL_OPT_SCALAR,
};

enum {
    PCOL_OPT_REQUIRED = 1u << 0,   /* must be given; no default allowed */
    PCOL_OPT_SECRET = 1u << 1,     /* value is never printed, not even in errors */
    PCOL_OPT_DEPRECATED = 1u << 2, /* accepted with a warning; help says what to use */
    PCOL_OPT_PRESENCE = 1u << 3,   /* SECTION: set the bool at present_offset when written */
};

struct pcol_option {
    const char *name;
    enum pcol_opt_type type;
    size_t offset;   /* offsetof() into the context struct */
    const char *def; /* YAML text; NULL: zero / empty */
    const char *min; /* YAML text; NULL: unbounded */
    const char *max;
    const char *const *enum_names; /* ENUM: NULL-terminated, value = index */
    unsigned flags;                /* PCOL_OPT_REQUIRED | ... */
    const struct pcol_option *sub; /* SECTION, SECTION_LIST */
    size_t elem_size;              /* SECTION_LIST: sizeof one element */
    const char *help;              /* one sentence */
    /* SECTION with PCOL_OPT_PRESENCE: offset (in the same struct as `offset`)
     * of a bool set to true when the section is written, even empty, for
     * settings that are on by presence (`batch: {}`, `grpc:`). */
    size_t present_offset;
};

/* host is "" for ":port"; IPv6 hosts are stored without brackets. */
struct pcol_endpoint {
    const char *host;
    uint16_t port;
};

struct pcol_str_list {
    const char *const *v;
    size_t n;
};

struct pcol_str_pair {
    const char *key;
    const char *value;
};

struct pcol_str_map {
    const struct pcol_str_pair *v;
    size_t n;
};

struct pcol_scalar {
    const char *text; /* NULL if unset */
    bool quoted;
};

struct pcol_section_list {
    void *v; /* n elements of the row's elem_size */
    size_t n;
};

/* The only way config reaches a component. Writes every default into `ctx`,
 * then each key of `node` (a mapping; NULL or a YAML null means "all
 * defaults"): unknown keys, wrong node kinds, bad values, out-of-range values
 * and missing REQUIRED keys are all reported to `d` with their positions,
 * and a field whose value is bad keeps its default. Returns 0, or PCOL_EINVAL
 * when it added errors. Borrows everything; allocates in `arena`. */
int pcol_options_apply(const struct pcol_option *table, const struct pcol_cfg_node *node, void *ctx,
                       struct pcol_arena *arena, struct pcol_diag *d);

/* Checks a table is well formed: names unique, defaults and bounds parse and
 * fit, enums and sections complete. Returns 0 or PCOL_EINVAL (errors in d). */
int pcol_options_check_table(const struct pcol_option *table, struct pcol_diag *d);

/* A readable table of name (dotted for sections), type, default,
 * range or allowed values, and help, for `profcol describe TYPE`. */
void pcol_options_describe(const struct pcol_option *table, FILE *out);
/* The same as a Markdown table, appended to `out` (for docs/components.md). */
void pcol_options_markdown(const struct pcol_option *table, struct pcol_buf *out);

#endif
