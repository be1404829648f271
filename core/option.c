/* SPDX-License-Identifier: Apache-2.0 */
/*
 * option.c: the option engine: per-type facts, pcol_options_apply() and the
 * table self-check. The scalar parsers are in option_parse.c, the describe
 * and Markdown renderers in option_doc.c. See option.h for the table format
 * and ownership.
 */
#include "option_internal.h"

#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULTS_FILE "<option table>"

union opt_value {
    bool b;
    int64_t i;
    uint64_t u;
    double f;
    const char *s;
    int e;
    struct pcol_endpoint ep;
    struct pcol_str_list sl;
    struct pcol_str_map sm;
    struct pcol_section_list sec;
    const struct pcol_regex *re;
    struct pcol_regex_list rl;
    struct pcol_scalar sc;
};

struct apply {
    struct pcol_arena *arena;
    struct pcol_diag *d;
};

static void write_defaults(struct apply *ap, const struct pcol_option *table, void *ctx,
                           const char *prefix);
static void apply_mapping(struct apply *ap, const struct pcol_option *table,
                          const struct pcol_cfg_node *node, const struct pcol_cfg_node *where,
                          void *ctx, const char *prefix);

/* ---- per-type facts ------------------------------------------------------------ */

static const struct {
    const char *name;   /* for describe */
    const char *expect; /* "expected ..." in errors */
    enum pcol_cfg_node_kind kind;
} type_info[] = {
    [PCOL_OPT_BOOL] = {"bool", "true or false", PCOL_NODE_SCALAR},
    [PCOL_OPT_INT] = {"int", "an integer", PCOL_NODE_SCALAR},
    [PCOL_OPT_UINT] = {"uint", "an unsigned integer", PCOL_NODE_SCALAR},
    [PCOL_OPT_DOUBLE] = {"double", "a number", PCOL_NODE_SCALAR},
    [PCOL_OPT_STRING] = {"string", "a string", PCOL_NODE_SCALAR},
    [PCOL_OPT_ENUM] = {"enum", "one of the allowed values", PCOL_NODE_SCALAR},
    [PCOL_OPT_DURATION] = {"duration", "a duration such as \"10s\"", PCOL_NODE_SCALAR},
    [PCOL_OPT_SIZE] = {"size", "a size such as \"4MiB\"", PCOL_NODE_SCALAR},
    [PCOL_OPT_ENDPOINT] = {"endpoint", "host:port", PCOL_NODE_SCALAR},
    [PCOL_OPT_STRING_LIST] = {"string list", "a sequence of strings", PCOL_NODE_SEQUENCE},
    [PCOL_OPT_STRING_MAP] = {"string map", "a mapping of strings", PCOL_NODE_MAPPING},
    [PCOL_OPT_SECTION] = {"section", "a mapping", PCOL_NODE_MAPPING},
    [PCOL_OPT_SECTION_LIST] = {"section list", "a sequence of mappings", PCOL_NODE_SEQUENCE},
    [PCOL_OPT_REGEX] = {"regex", "a regular expression", PCOL_NODE_SCALAR},
    [PCOL_OPT_REGEX_LIST] = {"regex list", "a sequence of regular expressions", PCOL_NODE_SEQUENCE},
    [PCOL_OPT_SCALAR] = {"scalar", "a scalar value", PCOL_NODE_SCALAR},
};

static bool valid_type(enum pcol_opt_type t)
{
    return t >= PCOL_OPT_BOOL && t <= PCOL_OPT_SCALAR;
}

const char *pcol__opt_type_name(enum pcol_opt_type t)
{
    return valid_type(t) ? type_info[t].name : "?";
}

static bool takes_bounds(enum pcol_opt_type t)
{
    return bounds_count(t) || t == PCOL_OPT_INT || t == PCOL_OPT_UINT || t == PCOL_OPT_DOUBLE ||
           t == PCOL_OPT_DURATION || t == PCOL_OPT_SIZE;
}

/* Every complaint about a value goes through here, so a SECRET value can
 * never reach a message, whatever the parser wanted to say. */
static void value_error(struct apply *ap, const struct pcol_option *row,
                        const struct pcol_cfg_node *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void value_error(struct apply *ap, const struct pcol_option *row,
                        const struct pcol_cfg_node *at, const char *path, const char *fmt, ...)
{
    char why[WHY_MAX];
    va_list va;

    if (row->flags & PCOL_OPT_SECRET) {
        pcol_diag_add(ap->d, at, "invalid value for secret option \"%s\"", path);
        return;
    }
    va_start(va, fmt);
    vsnprintf(why, sizeof(why), fmt, va);
    va_end(va);
    pcol_diag_add(ap->d, at, "option \"%s\": %s", path, why);
}

static bool parse_enum(const struct pcol_option *row, const char *s, int *out, char *why)
{
    char allowed[WHY_MAX / 2];
    int i;

    for (i = 0; row->enum_names[i]; i++) {
        if (!strcmp(s, row->enum_names[i])) {
            *out = i;
            return true;
        }
    }
    join_names(allowed, sizeof(allowed), row->enum_names, ", ");
    snprintf(why, WHY_MAX, "invalid value \"%.64s\" (allowed: %s)", s, allowed);
    return false;
}

/* ---- values ---------------------------------------------------------------------- */

static bool parse_scalar(struct apply *ap, const struct pcol_option *row,
                         const struct pcol_cfg_node *node, union opt_value *v, const char *path)
{
    const char *s = node->text;
    char why[WHY_MAX];
    bool ok = true;

    if (strlen(s) != node->len) {
        value_error(ap, row, node, path, "the value contains a NUL character");
        return false;
    }
    switch (row->type) {
    case PCOL_OPT_BOOL: ok = pcol__opt_parse_bool(s, &v->b, why); break;
    case PCOL_OPT_INT: ok = pcol__opt_parse_int(s, &v->i, why); break;
    case PCOL_OPT_UINT: ok = pcol__opt_parse_uint(s, &v->u, why); break;
    case PCOL_OPT_DOUBLE: ok = pcol__opt_parse_double(s, &v->f, why); break;
    case PCOL_OPT_STRING: v->s = pcol_arena_strndup(ap->arena, s, node->len); break;
    case PCOL_OPT_SCALAR:
        v->sc.text = pcol_arena_strndup(ap->arena, s, node->len);
        v->sc.quoted = node->quoted;
        break;
    case PCOL_OPT_ENUM: ok = parse_enum(row, s, &v->e, why); break;
    case PCOL_OPT_DURATION: ok = pcol__opt_parse_duration(s, &v->i, why); break;
    case PCOL_OPT_SIZE: ok = pcol__opt_parse_size(s, &v->u, why); break;
    case PCOL_OPT_ENDPOINT: ok = pcol__opt_parse_endpoint(s, ap->arena, &v->ep, why); break;
    case PCOL_OPT_REGEX: {
        struct pcol_regex *re = pcol_arena_calloc(ap->arena, sizeof(*re));
        ok = pcol_regex_compile(re, s, ap->arena, why, sizeof(why)) == 0;
        v->re = ok ? re : NULL;
        break;
    }
    default:
        ok = false;
        snprintf(why, sizeof(why), "not a scalar option");
        break;
    }
    if (!ok) {
        value_error(ap, row, node, path, "%s", why);
    }
    return ok;
}

/* Bounds are parsed like the row's values; lengths and counts like UINT. */
static bool parse_bound(const struct pcol_option *row, const char *text, union opt_value *v,
                        char *why)
{
    switch (row->type) {
    case PCOL_OPT_INT: return pcol__opt_parse_int(text, &v->i, why);
    case PCOL_OPT_DOUBLE: return pcol__opt_parse_double(text, &v->f, why);
    case PCOL_OPT_DURATION: return pcol__opt_parse_duration(text, &v->i, why);
    case PCOL_OPT_SIZE: return pcol__opt_parse_size(text, &v->u, why);
    default: return pcol__opt_parse_uint(text, &v->u, why);
    }
}

static int compare(const struct pcol_option *row, const union opt_value *a,
                   const union opt_value *b)
{
    switch (row->type) {
    case PCOL_OPT_INT:
    case PCOL_OPT_DURATION: return (a->i > b->i) - (a->i < b->i);
    case PCOL_OPT_DOUBLE: return (a->f > b->f) - (a->f < b->f);
    default: return (a->u > b->u) - (a->u < b->u);
    }
}

static uint64_t measure(const struct pcol_option *row, const union opt_value *v)
{
    switch (row->type) {
    case PCOL_OPT_STRING: return v->s ? strlen(v->s) : 0;
    case PCOL_OPT_STRING_LIST: return v->sl.n;
    case PCOL_OPT_STRING_MAP: return v->sm.n;
    case PCOL_OPT_REGEX_LIST: return v->rl.n;
    default: return v->sec.n;
    }
}

static void range_text(const struct pcol_option *row, char *out, size_t n)
{
    if (row->min && row->max) {
        snprintf(out, n, "must be between %s and %s", row->min, row->max);
    } else if (row->min) {
        snprintf(out, n, "must be at least %s", row->min);
    } else {
        snprintf(out, n, "must be at most %s", row->max);
    }
}

/* Unparsable bounds are pcol_options_check_table()'s to report. */
static bool check_bounds(struct apply *ap, const struct pcol_option *row, const union opt_value *v,
                         const struct pcol_cfg_node *at, const char *path)
{
    union opt_value m = *v, lo, hi;
    char why[WHY_MAX], range[WHY_MAX];

    if (bounds_count(row->type)) {
        m.u = measure(row, v);
    }
    if (!((row->min && parse_bound(row, row->min, &lo, why) && compare(row, &m, &lo) < 0) ||
          (row->max && parse_bound(row, row->max, &hi, why) && compare(row, &m, &hi) > 0))) {
        return true;
    }
    range_text(row, range, sizeof(range));
    if (row->type == PCOL_OPT_STRING) {
        value_error(ap, row, at, path, "is %llu characters long (%s)", (unsigned long long)m.u,
                    range);
    } else if (bounds_count(row->type)) {
        value_error(ap, row, at, path, "has %llu entries (%s)", (unsigned long long)m.u, range);
    } else {
        value_error(ap, row, at, path, "\"%.64s\" is out of range (%s)", at->text, range);
    }
    return false;
}

static bool parse_string_list(struct apply *ap, const struct pcol_option *row,
                              const struct pcol_cfg_node *node, union opt_value *v,
                              const char *path)
{
    const char **items = pcol_arena_alloc(ap->arena, (node->count + 1) * sizeof(*items));
    char ipath[PATH_MAX_LEN];
    bool ok = true;
    size_t i;

    for (i = 0; i < node->count; i++) {
        const struct pcol_cfg_node *item = node->items[i];

        snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
        if (item->kind != PCOL_NODE_SCALAR || item->is_null || strlen(item->text) != item->len) {
            value_error(ap, row, item, ipath, "expected a string");
            ok = false;
            continue;
        }
        items[i] = pcol_arena_strndup(ap->arena, item->text, item->len);
    }
    items[node->count] = NULL;
    v->sl.v = items;
    v->sl.n = node->count;
    return ok;
}

static bool parse_regex_list(struct apply *ap, const struct pcol_option *row,
                             const struct pcol_cfg_node *node, union opt_value *v, const char *path)
{
    struct pcol_regex *items = pcol_arena_calloc(ap->arena, (node->count + 1) * sizeof(*items));
    char ipath[PATH_MAX_LEN], why[WHY_MAX];
    bool ok = true;
    size_t i, n = 0;

    for (i = 0; i < node->count; i++) {
        const struct pcol_cfg_node *item = node->items[i];

        snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
        if (item->kind != PCOL_NODE_SCALAR || item->is_null || strlen(item->text) != item->len) {
            value_error(ap, row, item, ipath, "expected a regular expression");
            ok = false;
        } else if (pcol_regex_compile(&items[n], item->text, ap->arena, why, sizeof(why)) != 0) {
            value_error(ap, row, item, ipath, "%s", why);
            ok = false;
        } else {
            n++;
        }
    }
    v->rl.v = items;
    v->rl.n = n;
    return ok;
}

static bool parse_string_map(struct apply *ap, const struct pcol_option *row,
                             const struct pcol_cfg_node *node, union opt_value *v, const char *path)
{
    struct pcol_str_pair *pairs = pcol_arena_alloc(ap->arena, (node->count + 1) * sizeof(*pairs));
    char kpath[PATH_MAX_LEN];
    bool ok = true;
    size_t i;

    for (i = 0; i < node->count; i++) {
        const struct pcol_cfg_node *key = node->pairs[i].key, *val = node->pairs[i].value;

        join_path(kpath, path, key->text);
        if (val->kind != PCOL_NODE_SCALAR || strlen(val->text) != val->len) {
            value_error(ap, row, val, kpath, "expected a string, found a %s",
                        pcol_cfg_kind_name(val->kind));
            ok = false;
            continue;
        }
        pairs[i].key = pcol_arena_strndup(ap->arena, key->text, key->len);
        pairs[i].value = val->is_null ? "" : pcol_arena_strndup(ap->arena, val->text, val->len);
    }
    v->sm.v = pairs;
    v->sm.n = node->count;
    return ok;
}

/* Each element gets its sub-table's defaults, then its own keys; problems
 * inside elements are reported there and do not drop the list. */
static void parse_section_list(struct apply *ap, const struct pcol_option *row,
                               const struct pcol_cfg_node *node, union opt_value *v,
                               const char *path)
{
    char *elems = pcol_arena_calloc(ap->arena, (node->count + 1) * row->elem_size);
    char ipath[PATH_MAX_LEN];
    size_t i;

    for (i = 0; i < node->count; i++) {
        const struct pcol_cfg_node *item = node->items[i];
        void *elem = elems + i * row->elem_size;

        snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
        write_defaults(ap, row->sub, elem, ipath);
        if (item->kind != PCOL_NODE_MAPPING) {
            value_error(ap, row, item, ipath, "expected a mapping, found a %s",
                        pcol_cfg_kind_name(item->kind));
            continue;
        }
        apply_mapping(ap, row->sub, item, item, elem, ipath);
    }
    v->sec.v = elems;
    v->sec.n = node->count;
}

static bool parse_value(struct apply *ap, const struct pcol_option *row,
                        const struct pcol_cfg_node *node, union opt_value *v, const char *path)
{
    bool ok = true;

    if (node->kind != type_info[row->type].kind) {
        value_error(ap, row, node, path, "expected %s, found a %s", type_info[row->type].expect,
                    pcol_cfg_kind_name(node->kind));
        return false;
    }
    switch (row->type) {
    case PCOL_OPT_STRING_LIST: ok = parse_string_list(ap, row, node, v, path); break;
    case PCOL_OPT_STRING_MAP: ok = parse_string_map(ap, row, node, v, path); break;
    case PCOL_OPT_REGEX_LIST: ok = parse_regex_list(ap, row, node, v, path); break;
    case PCOL_OPT_SECTION_LIST: parse_section_list(ap, row, node, v, path); break;
    default: ok = parse_scalar(ap, row, node, v, path); break;
    }
    return ok && check_bounds(ap, row, v, node, path);
}

static void store(const struct pcol_option *row, void *ctx, const union opt_value *v)
{
    void *f = (char *)ctx + row->offset;

    switch (row->type) {
    case PCOL_OPT_BOOL: *(bool *)f = v->b; break;
    case PCOL_OPT_INT:
    case PCOL_OPT_DURATION: *(int64_t *)f = v->i; break;
    case PCOL_OPT_UINT:
    case PCOL_OPT_SIZE: *(uint64_t *)f = v->u; break;
    case PCOL_OPT_DOUBLE: *(double *)f = v->f; break;
    case PCOL_OPT_STRING: *(const char **)f = v->s; break;
    case PCOL_OPT_ENUM: *(int *)f = v->e; break;
    case PCOL_OPT_ENDPOINT: *(struct pcol_endpoint *)f = v->ep; break;
    case PCOL_OPT_STRING_LIST: *(struct pcol_str_list *)f = v->sl; break;
    case PCOL_OPT_STRING_MAP: *(struct pcol_str_map *)f = v->sm; break;
    case PCOL_OPT_SECTION_LIST: *(struct pcol_section_list *)f = v->sec; break;
    case PCOL_OPT_REGEX: *(const struct pcol_regex **)f = v->re; break;
    case PCOL_OPT_REGEX_LIST: *(struct pcol_regex_list *)f = v->rl; break;
    case PCOL_OPT_SCALAR: *(struct pcol_scalar *)f = v->sc; break;
    case PCOL_OPT_SECTION: break;
    }
}

/* ---- apply ------------------------------------------------------------------------- */

static void write_defaults(struct apply *ap, const struct pcol_option *table, void *ctx,
                           const char *prefix)
{
    char path[PATH_MAX_LEN];
    const struct pcol_option *row;

    for (row = table; row->name; row++) {
        union opt_value v;
        const struct pcol_cfg_node *def;

        join_path(path, prefix, row->name);
        if (row->type == PCOL_OPT_SECTION) {
            write_defaults(ap, row->sub, (char *)ctx + row->offset, path);
            continue;
        }
        memset(&v, 0, sizeof(v));
        if (row->def &&
            (!(def = pcol__cfg_parse_value(ap->arena, DEFAULTS_FILE, row->def, ap->d)) ||
             !parse_value(ap, row, def, &v, path))) {
            memset(&v, 0, sizeof(v));
        }
        if (row->type == PCOL_OPT_ENDPOINT && !v.ep.host) {
            v.ep.host = "";
        }
        store(row, ctx, &v);
    }
}

static const struct pcol_option *find_row(const struct pcol_option *table, const char *name)
{
    for (; table->name; table++) {
        if (!strcmp(table->name, name)) {
            return table;
        }
    }
    return NULL;
}

static void unknown_option(struct apply *ap, const struct pcol_option *table,
                           const struct pcol_cfg_node *key, const char *prefix)
{
    struct pcol_suggest s;

    pcol_suggest_init(&s, key->text);
    for (; table->name; table++) {
        pcol_suggest_add(&s, table->name);
    }
    pcol_diag_add(ap->d, key, "unknown option \"%.80s\"%s%s%s%s%s%s", key->text,
                  *prefix ? " in \"" : "", prefix, *prefix ? "\"" : "",
                  s.best ? " (did you mean \"" : "", s.best ? s.best : "", s.best ? "\"?)" : "");
}

/* `where` places "missing required option" errors when `node` is absent. */
static void apply_mapping(struct apply *ap, const struct pcol_option *table,
                          const struct pcol_cfg_node *node, const struct pcol_cfg_node *where,
                          void *ctx, const char *prefix)
{
    char path[PATH_MAX_LEN];
    const struct pcol_option *row;
    size_t nrows, i;
    bool *seen;

    if (node && node->kind == PCOL_NODE_SCALAR && node->is_null) {
        node = NULL;
    }
    if (node && node->kind != PCOL_NODE_MAPPING) {
        pcol_diag_add(ap->d, node, "%s%s%sexpected a mapping of options, found a %s",
                      *prefix ? "option \"" : "", prefix, *prefix ? "\": " : "",
                      pcol_cfg_kind_name(node->kind));
        return;
    }
    for (nrows = 0; table[nrows].name; nrows++) {
    }
    seen = pcol_xcalloc(nrows + 1, sizeof(*seen));
    for (i = 0; node && i < node->count; i++) {
        const struct pcol_cfg_node *key = node->pairs[i].key, *value = node->pairs[i].value;
        union opt_value v;

        if (!(row = find_row(table, key->text))) {
            unknown_option(ap, table, key, prefix);
            continue;
        }
        join_path(path, prefix, row->name);
        if (row->flags & PCOL_OPT_DEPRECATED) {
            pcol_diag_warn(ap->d, key, "option \"%s\" is deprecated: %s", path, row->help);
        }
        if (row->type == PCOL_OPT_SECTION) {
            seen[row - table] = true;
            if (row->flags & PCOL_OPT_PRESENCE) {
                *(bool *)((char *)ctx + row->present_offset) = true;
            }
            apply_mapping(ap, row->sub, value, value, (char *)ctx + row->offset, path);
            continue;
        }
        if (value->kind == PCOL_NODE_SCALAR && value->is_null) {
            continue;
        }
        seen[row - table] = true;
        memset(&v, 0, sizeof(v));
        if (parse_value(ap, row, value, &v, path)) {
            store(row, ctx, &v);
        }
    }
    for (row = table; row->name; row++) {
        if ((row->flags & PCOL_OPT_REQUIRED) && !seen[row - table]) {
            join_path(path, prefix, row->name);
            pcol_diag_add(ap->d, node ? node : where, "missing required option \"%s\"", path);
        }
    }
    free(seen);
}

int pcol_options_apply(const struct pcol_option *table, const struct pcol_cfg_node *node, void *ctx,
                       struct pcol_arena *arena, struct pcol_diag *d)
{
    struct apply ap = {arena, d};
    size_t errors = d->errors;

    write_defaults(&ap, table, ctx, "");
    apply_mapping(&ap, table, node, node, ctx, "");
    return d->errors == errors ? 0 : PCOL_EINVAL;
}

/* ---- table self-check ------------------------------------------------------------- */

static void check_enum(struct pcol_diag *d, const struct pcol_option *row, const char *path)
{
    size_t i, j;

    if (!row->enum_names || !row->enum_names[0]) {
        pcol_diag_add(d, NULL, "option table: \"%s\": an enum needs enum_names", path);
        return;
    }
    for (i = 0; row->enum_names[i]; i++) {
        for (j = 0; j < i; j++) {
            if (!strcmp(row->enum_names[i], row->enum_names[j])) {
                pcol_diag_add(d, NULL, "option table: \"%s\": enum value \"%s\" is listed twice",
                              path, row->enum_names[i]);
            }
        }
    }
}

static void check_row_bounds(struct pcol_diag *d, const struct pcol_option *row, const char *path)
{
    union opt_value lo, hi;
    char why[WHY_MAX];
    bool lo_ok = false, hi_ok = false;

    if ((row->min || row->max) && !takes_bounds(row->type)) {
        pcol_diag_add(d, NULL, "option table: \"%s\": a %s takes no min/max", path,
                      type_info[row->type].name);
        return;
    }
    if (row->min && !(lo_ok = parse_bound(row, row->min, &lo, why))) {
        pcol_diag_add(d, NULL, "option table: \"%s\": bad min: %s", path, why);
    }
    if (row->max && !(hi_ok = parse_bound(row, row->max, &hi, why))) {
        pcol_diag_add(d, NULL, "option table: \"%s\": bad max: %s", path, why);
    }
    if (lo_ok && hi_ok && compare(row, &lo, &hi) > 0) {
        pcol_diag_add(d, NULL, "option table: \"%s\": min is greater than max", path);
    }
}

/* Rows too broken to parse a default with are reported on their own. */
static bool default_parsable(const struct pcol_option *row)
{
    switch (row->type) {
    case PCOL_OPT_ENUM: return row->enum_names != NULL;
    case PCOL_OPT_SECTION: return false;
    case PCOL_OPT_SECTION_LIST: return row->sub && row->elem_size;
    default: return true;
    }
}

static void check_rows(struct apply *ap, const struct pcol_option *table, const char *prefix)
{
    char path[PATH_MAX_LEN];
    const struct pcol_option *row, *prev;

    for (row = table; row->name; row++) {
        struct pcol_diag *d = ap->d;
        bool section = row->type == PCOL_OPT_SECTION || row->type == PCOL_OPT_SECTION_LIST;

        join_path(path, prefix, row->name);
        for (prev = table; prev < row && strcmp(prev->name, row->name); prev++) {
        }
        if (!*row->name || prev < row) {
            pcol_diag_add(d, NULL, "option table: \"%s\": name is empty or used twice", path);
        }
        if (!valid_type(row->type)) {
            pcol_diag_add(d, NULL, "option table: \"%s\": unknown type %d", path, row->type);
            continue;
        }
        if (!row->help || !*row->help) {
            pcol_diag_add(d, NULL, "option table: \"%s\": no help text", path);
        }
        if (row->type == PCOL_OPT_ENUM) {
            check_enum(d, row, path);
        } else if (row->enum_names) {
            pcol_diag_add(d, NULL, "option table: \"%s\": enum_names on a non-enum", path);
        }
        if (section != (row->sub != NULL)) {
            pcol_diag_add(d, NULL,
                          "option table: \"%s\": sections, and only sections, need a "
                          "sub-table",
                          path);
        }
        if (row->type == PCOL_OPT_SECTION_LIST && !row->elem_size) {
            pcol_diag_add(d, NULL, "option table: \"%s\": a section list needs elem_size", path);
        }
        if (row->def && (row->type == PCOL_OPT_SECTION || (row->flags & PCOL_OPT_REQUIRED))) {
            pcol_diag_add(d, NULL,
                          "option table: \"%s\": sections and required options take "
                          "no default",
                          path);
        }
        check_row_bounds(d, row, path);
        if (row->def && default_parsable(row)) {
            union opt_value v;
            const struct pcol_cfg_node *def =
                pcol__cfg_parse_value(ap->arena, DEFAULTS_FILE, row->def, d);

            if (def) {
                parse_value(ap, row, def, &v, path);
            }
        }
        if (row->sub) {
            check_rows(ap, row->sub, path);
        }
    }
}

int pcol_options_check_table(const struct pcol_option *table, struct pcol_diag *d)
{
    struct apply ap = {pcol_arena_create(0), d};
    size_t errors = d->errors;

    check_rows(&ap, table, "");
    pcol_arena_destroy(ap.arena);
    return d->errors == errors ? 0 : PCOL_EINVAL;
}
