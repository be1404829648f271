/* SPDX-License-Identifier: Apache-2.0 */
/*
 * option_parse.c: the text -> value half of the option engine: one parser
 * per scalar type (bool, int, uint, double, duration, size, endpoint), each
 * returning false with a one-line reason in `why`. option.c reads user
 * values, defaults and min/max text through them, so all three accept
 * exactly the same text.
 *
 * Ownership: pure functions of their text; only an endpoint's host is
 * allocated, in the caller's arena. option.c owns the tables and their use.
 */
#include "option_internal.h"

#include "arena.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool pcol__opt_parse_bool(const char *s, bool *out, char *why)
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

bool pcol__opt_parse_int(const char *s, int64_t *out, char *why)
{
    bool neg = s[0] == '-';
    uint64_t mag;

    if (!parse_digits(s + (s[0] == '-' || s[0] == '+'), &mag) || mag > (uint64_t)INT64_MAX + neg) {
        snprintf(why, WHY_MAX, "invalid integer \"%.64s\"", s);
        return false;
    }
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return true;
}

bool pcol__opt_parse_uint(const char *s, uint64_t *out, char *why)
{
    if (!parse_digits(s, out)) {
        snprintf(why, WHY_MAX, "invalid unsigned integer \"%.64s\"", s);
        return false;
    }
    return true;
}

bool pcol__opt_parse_double(const char *s, double *out, char *why)
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
    {"ns", 1},           {"us", 1000},         {"\xc2\xb5s", 1000}, /* µs, MICRO SIGN */
    {"\xce\xbcs", 1000},                                            /* μs, GREEK SMALL LETTER MU */
    {"ms", 1000000},     {"s", 1000000000ull}, {"m", 60000000000ull}, {"h", 3600000000000ull},
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
bool pcol__opt_parse_duration(const char *s, int64_t *out, char *why)
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
            snprintf(why, WHY_MAX,
                     "duration \"%.64s\" needs a unit, e.g. \"%.64ss\" (units: ns, "
                     "us, ms, s, m, h)",
                     s, s);
            return false;
        }
        if (ulen == 0) {
            snprintf(why, WHY_MAX,
                     "duration \"%.64s\" has a number without a unit (units: ns, "
                     "us, ms, s, m, h)",
                     s);
            return false;
        }
        if (i == PCOL_ARRAY_SIZE(duration_units)) {
            snprintf(why, WHY_MAX,
                     "unknown unit \"%.*s\" in duration \"%.64s\" (units: ns, us, "
                     "ms, s, m, h)",
                     (int)(ulen > 16 ? 16 : ulen), unit, s);
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
bool pcol__opt_parse_size(const char *s, uint64_t *out, char *why)
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
            snprintf(why, WHY_MAX,
                     "unknown unit in size \"%.64s\" (units: B, KB, MB, GB, TB, "
                     "KiB, MiB, GiB, TiB)",
                     s);
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
bool pcol__opt_parse_endpoint(const char *s, struct pcol_arena *a, struct pcol_endpoint *out,
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
            snprintf(why, WHY_MAX,
                     "IPv6 address in \"%.64s\" needs brackets, e.g. "
                     "\"[::1]:4317\"",
                     s);
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
