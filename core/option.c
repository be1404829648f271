/* SPDX-License-Identifier: Apache-2.0 */
/*
 * option.c: the option engine: value parsers (durations, sizes, endpoints,
 * ...), pcol_options_apply(), the table self-check and the describe and
 * Markdown renderers. See option.h for the table format and ownership.
 */
#include "option.h"

#include "buf.h"
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PATH_MAX_LEN 256
#define WHY_MAX 200
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

/* ---- scalar parsers: return false and say why ------------------------------- */

static bool parse_bool(const char *s, bool *out, char *why)
{
    static const char *const yes[] = {"true", "True", "TRUE"}, *const no[] = {"false", "False",
                                                                             "FALSE"};
    size_t i;

    for (i = 0; i < PCOL_ARRAY_SIZE(yes); i++) {
        if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
            *out = !strcmp(s, yes[i]);
            return true;
        }
    }
    snprintf(why, WHY_MAX, "invalid boolean \"%.64s\" (use true or false)", s);
    return false;
}

/* Unsigned digits, decimal or 0x hex, nothing else (strtoull alone would
 * accept spaces and a minus sign). */
static bool parse_digits(const char *s, uint64_t *out)
{
    int base = 10;
    char *end;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!(base == 16 ? isxdigit((unsigned char)*s) : isdigit((unsigned char)*s))) {
        return false;
    }
    errno = 0;
    *out = strtoull(s, &end, base);
    return errno == 0 && *end == '\0';
}

static bool parse_int(const char *s, int64_t *out, char *why)
{
    bool neg = s[0] == '-';
    uint64_t mag;

    if (!parse_digits(s + (s[0] == '-' || s[0] == '+'), &mag) ||
        mag > (uint64_t)INT64_MAX + neg) {
        snprintf(why, WHY_MAX, "invalid integer \"%.64s\"", s);
        return false;
    }
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return true;
}

static bool parse_uint(const char *s, uint64_t *out, char *why)
{
    if (!parse_digits(s, out)) {
        snprintf(why, WHY_MAX, "invalid unsigned integer \"%.64s\"", s);
        return false;
    }
    return true;
}

static bool parse_double(const char *s, double *out, char *why)
{
    char *end;

    if (!(isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+' || s[0] == '.')) {
        snprintf(why, WHY_MAX, "invalid number \"%.64s\"", s);
        return false;
    }
    *out = strtod(s, &end);
    if (*end || end == s || !isfinite(*out)) {
        snprintf(why, WHY_MAX, "invalid number \"%.64s\"", s);
        return false;
    }
    return true;
}

/* A decimal number with an optional fraction: "12", "1.5", ".5". Returns
 * the end, or NULL when there are no digits or the whole part overflows. */
static const char *parse_decimal(const char *p, uint64_t *whole, uint64_t *frac, uint64_t *scale)
{
    bool digits = false;

    *whole = *frac = 0;
    *scale = 1;
    for (; isdigit((unsigned char)*p); p++, digits = true) {
        if (*whole > (UINT64_MAX - 9) / 10) {
            return NULL;
        }
        *whole = *whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        for (p++; isdigit((unsigned char)*p); p++, digits = true) {
            if (*scale < 1000000000000000000ull) {
                *frac = *frac * 10 + (uint64_t)(*p - '0');
                *scale *= 10;
            }
        }
    }
    return digits ? p : NULL;
}

/* whole*unit + frac/scale*unit, or false on overflow past `limit`. */
static bool scale_value(uint64_t whole, uint64_t frac, uint64_t scale, uint64_t unit,
                        uint64_t limit, uint64_t *out)
{
    uint64_t v;

    if (__builtin_mul_overflow(whole, unit, &v) ||
        __builtin_add_overflow(v, (uint64_t)((long double)frac * unit / scale), &v) || v > limit) {
        return false;
    }
    *out = v;
    return true;
}

static const struct {
    const char *name;
    uint64_t ns;
} duration_units[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xc2\xb5s", 1000},   /* µs, MICRO SIGN */
    {"\xce\xbcs", 1000},   /* μs, GREEK SMALL LETTER MU */
    {"ms", 1000000},
    {"s", 1000000000ull},
    {"m", 60000000000ull},
    {"h", 3600000000000ull},
};

static size_t find_duration_unit(const char *unit, size_t len)
{
    size_t i;

    for (i = 0; i < PCOL_ARRAY_SIZE(duration_units); i++) {
        if (strlen(duration_units[i].name) == len && !memcmp(unit, duration_units[i].name, len)) {
            break;
        }
    }
    return i;
}

/* Go's time.ParseDuration grammar, which collector configs use: a sequence
 * of decimal numbers each with a unit ("1h30m", "1.5s"), optional sign. */
static bool parse_duration(const char *s, int64_t *out, char *why)
{
    const char *p = s + (s[0] == '-' || s[0] == '+');
    uint64_t total = 0, whole, frac, scale, part;
    bool first = true;

    if (!strcmp(p, "0")) {
        *out = 0;
        return true;
    }
    if (!*p) {
        snprintf(why, WHY_MAX, "invalid duration \"%.64s\"", s);
        return false;
    }
    while (*p) {
        const char *unit;
        size_t ulen, i;

        if (!(p = parse_decimal(p, &whole, &frac, &scale))) {
            snprintf(why, WHY_MAX, "invalid duration \"%.64s\"", s);
            return false;
        }
        for (unit = p; *p && !isdigit((unsigned char)*p) && *p != '.'; p++) {
        }
        ulen = (size_t)(p - unit);
        i = find_duration_unit(unit, ulen);
        if (ulen == 0 && first && !*p) {
            snprintf(why, WHY_MAX, "duration \"%.64s\" needs a unit, e.g. \"%.64ss\" (units: ns, "
                     "us, ms, s, m, h)", s, s);
            return false;
        }
        if (ulen == 0) {
            snprintf(why, WHY_MAX, "duration \"%.64s\" has a number without a unit (units: ns, "
                     "us, ms, s, m, h)", s);
            return false;
        }
        if (i == PCOL_ARRAY_SIZE(duration_units)) {
            snprintf(why, WHY_MAX, "unknown unit \"%.*s\" in duration \"%.64s\" (units: ns, us, "
                     "ms, s, m, h)", (int)(ulen > 16 ? 16 : ulen), unit, s);
            return false;
        }
        if (!scale_value(whole, frac, scale, duration_units[i].ns, INT64_MAX, &part) ||
            __builtin_add_overflow(total, part, &total) || total > INT64_MAX) {
            snprintf(why, WHY_MAX, "duration \"%.64s\" is too long", s);
            return false;
        }
        first = false;
    }
    *out = s[0] == '-' ? -(int64_t)total : (int64_t)total;
    return true;
}

static const struct {
    const char *name;
    uint64_t bytes;
} size_units[] = {
    {"B", 1},
    {"KB", 1000},
    {"MB", 1000000},
    {"GB", 1000000000},
    {"TB", 1000000000000ull},
    {"KiB", 1ull << 10},
    {"MiB", 1ull << 20},
    {"GiB", 1ull << 30},
    {"TiB", 1ull << 40},
};

/* "123" bytes, or a number and a unit: decimal KB/MB/... or binary
 * KiB/MiB/...; units ignore case and may follow one space. */
static bool parse_size(const char *s, uint64_t *out, char *why)
{
    uint64_t whole, frac, scale, unit = 1;
    const char *p = parse_decimal(s, &whole, &frac, &scale);
    size_t i;

    if (!p) {
        snprintf(why, WHY_MAX, "invalid size \"%.64s\" (e.g. \"512KiB\", \"4MiB\", \"1GB\")", s);
        return false;
    }
    if (*p == ' ') {
        p++;
    }
    if (*p) {
        for (i = 0; i < PCOL_ARRAY_SIZE(size_units) && strcasecmp(p, size_units[i].name); i++) {
        }
        if (i == PCOL_ARRAY_SIZE(size_units)) {
            snprintf(why, WHY_MAX, "unknown unit in size \"%.64s\" (units: B, KB, MB, GB, TB, "
                     "KiB, MiB, GiB, TiB)", s);
            return false;
        }
        unit = size_units[i].bytes;
    }
    if (unit == 1 && scale > 1) {
        snprintf(why, WHY_MAX, "size \"%.64s\" is not a whole number of bytes", s);
        return false;
    }
    if (!scale_value(whole, frac, scale, unit, UINT64_MAX, out)) {
        snprintf(why, WHY_MAX, "size \"%.64s\" is too large", s);
        return false;
    }
    return true;
}

static bool valid_host(const char *h, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (isspace((unsigned char)h[i]) || iscntrl((unsigned char)h[i]) || h[i] == '/' ||
            h[i] == '[' || h[i] == ']') {
            return false;
        }
    }
    return true;
}

static bool parse_port(const char *p, uint16_t *out)
{
    unsigned long v = 0;
    size_t i;

    for (i = 0; i < 5 && isdigit((unsigned char)p[i]); i++) {
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    if (i == 0 || p[i] || v > 65535) {
        return false;
    }
    *out = (uint16_t)v;
    return true;
}

/* "host:port", "[v6addr]:port" or ":port" (all interfaces). */
static bool parse_endpoint(const char *s, struct pcol_arena *a, struct pcol_endpoint *out,
                           char *why)
{
    const char *host = s, *hend, *port;

    if (strstr(s, "://")) {
        snprintf(why, WHY_MAX, "expected host:port, not a URL: \"%.64s\"", s);
        return false;
    }
    if (s[0] == '[') {
        hend = strchr(s, ']');
        if (!hend || hend == s + 1 || hend[1] != ':') {
            snprintf(why, WHY_MAX, "invalid endpoint \"%.64s\" (expected [address]:port)", s);
            return false;
        }
        host = s + 1;
        port = hend + 2;
    } else {
        hend = strrchr(s, ':');
        if (!hend) {
            snprintf(why, WHY_MAX, "endpoint \"%.64s\" has no port (expected host:port)", s);
            return false;
        }
        if (memchr(s, ':', (size_t)(hend - s))) {
            snprintf(why, WHY_MAX, "IPv6 address in \"%.64s\" needs brackets, e.g. "
                     "\"[::1]:4317\"", s);
            return false;
        }
        port = hend + 1;
    }
    if (!valid_host(host, (size_t)(hend - host))) {
        snprintf(why, WHY_MAX, "invalid host in endpoint \"%.64s\"", s);
        return false;
    }
    if (!parse_port(port, &out->port)) {
        snprintf(why, WHY_MAX, "invalid port in endpoint \"%.64s\" (0 to 65535)", s);
        return false;
    }
    out->host = pcol_arena_strndup(a, host, (size_t)(hend - host));
    return true;
}

/* ---- per-type facts ------------------------------------------------------------ */

static const struct {
    const char *name;                   /* for describe */
    const char *expect;                 /* "expected ..." in errors */
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
};

static bool valid_type(enum pcol_opt_type t)
{
    return t >= PCOL_OPT_BOOL && t <= PCOL_OPT_SECTION_LIST;
}

/* Types whose min/max bound a length or a count rather than the value. */
static bool bounds_count(enum pcol_opt_type t)
{
    return t == PCOL_OPT_STRING || t == PCOL_OPT_STRING_LIST || t == PCOL_OPT_STRING_MAP ||
           t == PCOL_OPT_SECTION_LIST;
}

static bool takes_bounds(enum pcol_opt_type t)
{
    return bounds_count(t) || t == PCOL_OPT_INT || t == PCOL_OPT_UINT || t == PCOL_OPT_DOUBLE ||
           t == PCOL_OPT_DURATION || t == PCOL_OPT_SIZE;
}

static void join_path(char *out, const char *prefix, const char *name)
{
    snprintf(out, PATH_MAX_LEN, "%s%s%s", prefix, *prefix ? "." : "", name);
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

static void join_names(char *out, size_t n, const char *const *names, const char *sep)
{
    size_t used = 0;

    out[0] = '\0';
    for (; *names && used < n; names++) {
        used += (size_t)snprintf(out + used, n - used, "%s%s", used ? sep : "", *names);
    }
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
    case PCOL_OPT_BOOL: ok = parse_bool(s, &v->b, why); break;
    case PCOL_OPT_INT: ok = parse_int(s, &v->i, why); break;
    case PCOL_OPT_UINT: ok = parse_uint(s, &v->u, why); break;
    case PCOL_OPT_DOUBLE: ok = parse_double(s, &v->f, why); break;
    case PCOL_OPT_STRING: v->s = pcol_arena_strndup(ap->arena, s, node->len); break;
    case PCOL_OPT_ENUM: ok = parse_enum(row, s, &v->e, why); break;
    case PCOL_OPT_DURATION: ok = parse_duration(s, &v->i, why); break;
    case PCOL_OPT_SIZE: ok = parse_size(s, &v->u, why); break;
    case PCOL_OPT_ENDPOINT: ok = parse_endpoint(s, ap->arena, &v->ep, why); break;
    default: ok = false; snprintf(why, sizeof(why), "not a scalar option"); break;
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
    case PCOL_OPT_INT: return parse_int(text, &v->i, why);
    case PCOL_OPT_DOUBLE: return parse_double(text, &v->f, why);
    case PCOL_OPT_DURATION: return parse_duration(text, &v->i, why);
    case PCOL_OPT_SIZE: return parse_size(text, &v->u, why);
    default: return parse_uint(text, &v->u, why);
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
static bool check_bounds(struct apply *ap, const struct pcol_option *row,
                         const union opt_value *v, const struct pcol_cfg_node *at, const char *path)
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

static bool parse_string_map(struct apply *ap, const struct pcol_option *row,
                             const struct pcol_cfg_node *node, union opt_value *v,
                             const char *path)
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
        if (row->def && (!(def = pcol__cfg_parse_value(ap->arena, DEFAULTS_FILE, row->def, ap->d))
                         || !parse_value(ap, row, def, &v, path))) {
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

int pcol_options_apply(const struct pcol_option *table, const struct pcol_cfg_node *node,
                       void *ctx, struct pcol_arena *arena, struct pcol_diag *d)
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
            pcol_diag_add(d, NULL, "option table: \"%s\": sections, and only sections, need a "
                          "sub-table", path);
        }
        if (row->type == PCOL_OPT_SECTION_LIST && !row->elem_size) {
            pcol_diag_add(d, NULL, "option table: \"%s\": a section list needs elem_size", path);
        }
        if (row->def && (row->type == PCOL_OPT_SECTION || (row->flags & PCOL_OPT_REQUIRED))) {
            pcol_diag_add(d, NULL, "option table: \"%s\": sections and required options take "
                          "no default", path);
        }
        check_row_bounds(d, row, path);
        if (row->def && default_parsable(row)) {
            union opt_value v;
            const struct pcol_cfg_node *def = pcol__cfg_parse_value(ap->arena, DEFAULTS_FILE,
                                                                    row->def, d);

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

/* ---- describe and Markdown ----------------------------------------------------------- */

struct doc_row {
    unsigned depth;
    char *cell[5];                      /* name, type, default, range, help */
    bool literal_default;
};

struct doc {
    struct doc_row *v;
    size_t n, cap;
};

static const char *const doc_headers[5] = {"OPTION", "TYPE", "DEFAULT", "RANGE / VALUES",
                                           "DESCRIPTION"};

static char *doc_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *doc_printf(const char *fmt, ...)
{
    va_list va;
    char *s;
    int n;

    va_start(va, fmt);
    n = vsnprintf(NULL, 0, fmt, va);
    va_end(va);
    s = pcol_xmalloc((size_t)(n < 0 ? 0 : n) + 1);
    va_start(va, fmt);
    vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, va);
    va_end(va);
    return s;
}

static char *doc_range(const struct pcol_option *row)
{
    const char *unit = row->type == PCOL_OPT_STRING ? " chars" : bounds_count(row->type)
                                                                     ? " entries" : "";
    char names[WHY_MAX];

    if (row->type == PCOL_OPT_ENUM && row->enum_names) {
        join_names(names, sizeof(names), row->enum_names, ", ");
        return doc_printf("%s", names);
    }
    if (row->min && row->max) {
        return doc_printf("%s .. %s%s", row->min, row->max, unit);
    }
    if (row->min || row->max) {
        return doc_printf("%s %s%s", row->min ? ">=" : "<=", row->min ? row->min : row->max,
                          unit);
    }
    return doc_printf("%s", "");
}

static void doc_collect(struct doc *doc, const struct pcol_option *table, const char *prefix,
                        unsigned depth)
{
    char path[PATH_MAX_LEN];
    const struct pcol_option *row;

    for (row = table; row->name; row++) {
        struct doc_row *r;

        if (doc->n == doc->cap) {
            doc->cap = doc->cap ? doc->cap * 2 : 32;
            doc->v = pcol_xrealloc(doc->v, doc->cap * sizeof(*doc->v));
        }
        r = &doc->v[doc->n++];
        join_path(path, prefix, row->name);
        r->depth = depth;
        r->cell[0] = doc_printf("%s", path);
        r->cell[1] = doc_printf("%s", valid_type(row->type) ? type_info[row->type].name : "?");
        r->literal_default = row->def && !(row->flags & (PCOL_OPT_SECRET | PCOL_OPT_REQUIRED));
        r->cell[2] = doc_printf("%s", (row->flags & PCOL_OPT_REQUIRED) ? "(required)"
                                      : !row->def ? "" : (row->flags & PCOL_OPT_SECRET)
                                      ? "(hidden)" : row->def);
        r->cell[3] = doc_range(row);
        r->cell[4] = doc_printf("%s%s%s", (row->flags & PCOL_OPT_DEPRECATED) ? "Deprecated: " : "",
                                row->help ? row->help : "",
                                (row->flags & PCOL_OPT_SECRET) ? " (secret)" : "");
        if (row->sub && row->type == PCOL_OPT_SECTION_LIST) {
            snprintf(path + strlen(path), sizeof(path) - strlen(path), "[]");
        }
        if (row->sub) {
            doc_collect(doc, row->sub, path, depth + 1);
        }
    }
}

static void doc_free(struct doc *doc)
{
    size_t i, c;

    for (i = 0; i < doc->n; i++) {
        for (c = 0; c < 5; c++) {
            free(doc->v[i].cell[c]);
        }
    }
    free(doc->v);
}

void pcol_options_describe(const struct pcol_option *table, FILE *out)
{
    struct doc doc = {0};
    size_t width[4], i, c;

    doc_collect(&doc, table, "", 0);
    for (c = 0; c < 4; c++) {
        width[c] = strlen(doc_headers[c]);
        for (i = 0; i < doc.n; i++) {
            size_t w = strlen(doc.v[i].cell[c]) + (c == 0 ? 2 * doc.v[i].depth : 0);

            width[c] = w > width[c] ? w : width[c];
        }
    }
    fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s\n", (int)width[0], doc_headers[0], (int)width[1],
            doc_headers[1], (int)width[2], doc_headers[2], (int)width[3], doc_headers[3],
            doc_headers[4]);
    for (i = 0; i < doc.n; i++) {
        const struct doc_row *r = &doc.v[i];

        fprintf(out, "%*s%-*s  %-*s  %-*s  %-*s  %s\n", (int)(2 * r->depth), "",
                (int)(width[0] - 2 * r->depth), r->cell[0], (int)width[1], r->cell[1],
                (int)width[2], r->cell[2], (int)width[3], r->cell[3], r->cell[4]);
    }
    doc_free(&doc);
}

/* Names and literal defaults go in backticks; '|' would end the cell. */
static void md_cell(struct pcol_buf *out, const char *s, bool code)
{
    bool tick = code && *s;

    pcol_buf_puts(out, tick ? " `" : " ");
    for (; *s; s++) {
        if (*s == '|') {
            pcol_buf_putc(out, '\\');
        }
        pcol_buf_putc(out, *s);
    }
    pcol_buf_puts(out, tick ? "` |" : " |");
}

void pcol_options_markdown(const struct pcol_option *table, struct pcol_buf *out)
{
    struct doc doc = {0};
    size_t i;

    doc_collect(&doc, table, "", 0);
    pcol_buf_puts(out, "| Option | Type | Default | Range / values | Description |\n");
    pcol_buf_puts(out, "|---|---|---|---|---|\n");
    for (i = 0; i < doc.n; i++) {
        const struct doc_row *r = &doc.v[i];

        pcol_buf_putc(out, '|');
        md_cell(out, r->cell[0], true);
        md_cell(out, r->cell[1], false);
        md_cell(out, r->cell[2], r->literal_default);
        md_cell(out, r->cell[3], false);
        md_cell(out, r->cell[4], false);
        pcol_buf_putc(out, '\n');
    }
    doc_free(&doc);
}
