/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest.c: the Pyroscope `/ingest` protocol without the HTTP: the `name`
 * label set, time and rate parameters, body format selection, multipart
 * bodies, a JSON syntax check, and labelling what was decoded. Part of the
 * pprof receiver (see ingest.h); pure functions, safe on any thread.
 */
#include "ingest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NS_PER_S 1000000000ull

/* ---- small text helpers ---------------------------------------------------------- */

static bool is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Trims blanks in place: cuts the end with a NUL and returns the start. */
static char *trim(char *s)
{
    size_t n;

    while (is_blank((unsigned char)*s)) {
        s++;
    }
    n = strlen(s);
    while (n && is_blank((unsigned char)s[n - 1])) {
        s[--n] = '\0';
    }
    return s;
}

/* A character for an error message: 'x', or \xNN when not printable. */
static const char *show_char(unsigned char c, char buf[8])
{
    if (c >= 0x20 && c < 0x7f && c != '\'') {
        buf[0] = '\'';
        buf[1] = (char)c;
        buf[2] = '\'';
        buf[3] = '\0';
    } else {
        memcpy(buf, "\\x", 2);
        pcol_hex_encode(buf + 2, &c, 1);
        buf[4] = '\0';
    }
    return buf;
}

static bool ci_contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; hay && *hay; hay++) {
        if (strncasecmp(hay, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- name{tags} ----------------------------------------------------------------------- */

/* Pyroscope's rules: service names may hold A-Z a-z 0-9 _ . - /, tag keys
 * A-Z a-z 0-9 _ . (values anything but ',' and '}'; there is no escaping). */
static bool app_char(int c)
{
    return is_alnum(c) || c == '_' || c == '.' || c == '-' || c == '/';
}

static bool key_char(int c)
{
    return is_alnum(c) || c == '_' || c == '.';
}

static const char *first_bad(const char *s, bool (*ok)(int))
{
    for (; *s; s++) {
        if (!ok((unsigned char)*s)) {
            return s;
        }
    }
    return NULL;
}

static void add_tag(struct pcol_pyro_name *n, const char *key, const char *value)
{
    size_t i;

    for (i = 0; i < n->n_tags; i++) {
        if (strcmp(n->tags[i].key, key) == 0) {
            n->tags[i].value = value;
            return;
        }
    }
    n->tags[n->n_tags].key = key;
    n->tags[n->n_tags].value = value;
    n->n_tags++;
}

/* Parses "key=value,...}" (the text after '{'), cutting it in place. */
static int parse_tags(struct pcol_pyro_name *n, char *p, struct pcol_err *err)
{
    char cb[8], *key, *value, end;
    const char *bad;
    size_t k;

    for (;;) {
        key = p;
        k = strcspn(p, "=}");
        if (!p[k]) {
            return pcol_err_set(err, PCOL_EINVAL, "name: missing '}' after the tags");
        }
        end = p[k];
        p[k] = '\0';
        key = trim(key);
        if (end == '}') {
            if (*key) {
                return pcol_err_set(err, PCOL_EINVAL, "name: tag \"%.64s\" has no '=value'", key);
            }
            return 0;
        }
        if (!*key) {
            return pcol_err_set(err, PCOL_EINVAL, "name: a tag has an empty key");
        }
        if ((bad = first_bad(key, key_char)) != NULL) {
            return pcol_err_set(err, PCOL_EINVAL,
                                "name: invalid character %s in tag key \"%.64s\" (allowed: "
                                "A-Z a-z 0-9 _ .)",
                                show_char((unsigned char)*bad, cb), key);
        }
        value = p + k + 1;
        k = strcspn(value, ",}");
        if (!value[k]) {
            return pcol_err_set(err, PCOL_EINVAL, "name: missing '}' after the tags");
        }
        end = value[k];
        value[k] = '\0';
        add_tag(n, key, trim(value));
        if (end == '}') {
            return 0;
        }
        p = value + k + 1;
    }
}

int pcol_pyro_parse_name(const char *s, struct pcol_pyro_name *out, struct pcol_err *err)
{
    char cb[8], *brace, *app;
    const char *bad, *q;
    size_t cap = 1;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    for (q = s; *q; q++) {
        cap += *q == '=';
    }
    out->buf = pcol_xstrdup(s);
    out->tags = pcol_xcalloc(cap, sizeof(*out->tags));
    brace = strchr(out->buf, '{');
    if (brace) {
        *brace = '\0';
    }
    app = trim(out->buf);
    if (!*app) {
        rc = pcol_err_set(err, PCOL_EINVAL, "name: service name is required");
    } else if ((bad = first_bad(app, app_char)) != NULL) {
        rc = pcol_err_set(err, PCOL_EINVAL,
                          "name: invalid character %s in service name \"%.64s\" (allowed: "
                          "A-Z a-z 0-9 _ . - /)",
                          show_char((unsigned char)*bad, cb), app);
    } else if (brace) {
        rc = parse_tags(out, brace + 1, err);
    }
    if (rc != 0) {
        pcol_pyro_name_free(out);
        return rc;
    }
    out->app = app;
    return 0;
}

void pcol_pyro_name_free(struct pcol_pyro_name *n)
{
    free(n->buf);
    free(n->tags);
    memset(n, 0, sizeof(*n));
}

/* ---- from / until / sampleRate ----------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's method). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int days_in_month(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

static int parse_yyyymmdd(uint64_t v, const char *s, uint64_t *out, struct pcol_err *err)
{
    int64_t y = (int64_t)(v / 10000);
    int m = (int)(v / 100 % 100), d = (int)(v % 100);

    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) {
        return pcol_err_set(err, PCOL_EINVAL, "\"%s\" is not a valid YYYYMMDD date", s);
    }
    *out = (uint64_t)days_from_civil(y, m, d) * 86400 * NS_PER_S;
    return 0;
}

/* `now`, `now-1h`, `now+30m`. */
static int parse_relative(const char *s, uint64_t now, uint64_t *out, struct pcol_err *err)
{
    static const struct {
        char unit;
        uint64_t ns;
    } units[] = {{'s', NS_PER_S},
                 {'m', 60 * NS_PER_S},
                 {'h', 3600 * NS_PER_S},
                 {'d', 86400 * NS_PER_S},
                 {'w', 7 * 86400 * NS_PER_S}};
    const char *p = s + 3;
    uint64_t n = 0, delta;
    size_t i;

    if (!*p) {
        *out = now;
        return 0;
    }
    if ((*p != '-' && *p != '+') || !is_digit((unsigned char)p[1])) {
        goto bad;
    }
    for (p++; is_digit((unsigned char)*p); p++) {
        if (n > (UINT64_MAX - 9) / 10) {
            goto bad;
        }
        n = n * 10 + (uint64_t)(*p - '0');
    }
    i = 0;
    while (i < PCOL_ARRAY_SIZE(units) && !(p[0] == units[i].unit && !p[1])) {
        i++;
    }
    if (i == PCOL_ARRAY_SIZE(units) || __builtin_mul_overflow(n, units[i].ns, &delta)) {
        goto bad;
    }
    if (s[3] == '-') {
        *out = delta > now ? 0 : now - delta;
    } else if (__builtin_add_overflow(now, delta, out)) {
        goto bad;
    }
    return 0;
bad:
    return pcol_err_set(err, PCOL_EINVAL,
                        "\"%.40s\" is not a relative time like now-1h (units s, m, h, d, w)", s);
}

int pcol_pyro_parse_time(const char *s, uint64_t now_ns, uint64_t *out_ns, struct pcol_err *err)
{
    size_t nd = strspn(s, "0123456789");
    uint64_t v;

    if (strncmp(s, "now", 3) == 0) {
        return parse_relative(s, now_ns, out_ns, err);
    }
    if (nd == 0 || s[nd] || nd > 20) {
        return pcol_err_set(err, PCOL_EINVAL,
                            "\"%.40s\" is not a time (Unix s, ms, us or ns, YYYYMMDD, or now-1h)",
                            s);
    }
    errno = 0;
    v = strtoull(s, NULL, 10);
    if (errno) {
        return pcol_err_set(err, PCOL_EINVAL, "\"%s\" is too large for a time", s);
    }
    switch (nd) {
    case 8: return parse_yyyymmdd(v, s, out_ns, err);
    case 13: *out_ns = v * 1000000; return 0;
    case 16: *out_ns = v * 1000; return 0;
    case 19: *out_ns = v; return 0;
    default: break;
    }
    if (__builtin_mul_overflow(v, NS_PER_S, out_ns)) {
        return pcol_err_set(err, PCOL_EINVAL, "\"%s\" seconds is too large for a time", s);
    }
    return 0;
}

int64_t pcol_pyro_sample_rate(const char *s)
{
    long long v;
    char *end;

    if (!s || !*s) {
        return PCOL_PYRO_DEFAULT_SAMPLE_RATE;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (*end || errno || v < 0 || v > 1000000000) {
        return PCOL_PYRO_DEFAULT_SAMPLE_RATE;
    }
    return v;
}

enum pcol_pyro_format pcol_pyro_select_format(const char *format, const char *content_type,
                                              const char **name)
{
    static const char *const unsupported[] = {"jfr", "speedscope"};
    const char *f = format ? format : "";
    size_t i;

    *name = NULL;
    if (!strcmp(f, "trie") || ci_contains(content_type, "binary/octet-stream+trie")) {
        *name = "trie";
        return PCOL_PYRO_UNSUPPORTED;
    }
    if (!strcmp(f, "tree") || ci_contains(content_type, "binary/octet-stream+tree")) {
        *name = "tree";
        return PCOL_PYRO_UNSUPPORTED;
    }
    if (!strcmp(f, "lines")) {
        return PCOL_PYRO_LINES;
    }
    if (!strcmp(f, "pprof")) {
        return PCOL_PYRO_PPROF;
    }
    for (i = 0; i < PCOL_ARRAY_SIZE(unsupported); i++) {
        if (!strcmp(f, unsupported[i])) {
            *name = unsupported[i];
            return PCOL_PYRO_UNSUPPORTED;
        }
    }
    if (ci_contains(content_type, "multipart/form-data")) {
        return PCOL_PYRO_MULTIPART;
    }
    return PCOL_PYRO_FOLDED;
}

/* ---- multipart/form-data --------------------------------------------------------------- */

static size_t skip_blanks(const char *v, size_t n, size_t i)
{
    while (i < n && is_blank((unsigned char)v[i])) {
        i++;
    }
    return i;
}

/* Reads a parameter value at v[*i] (a token, or a quoted string whose
 * backslashes escape the next character) and advances past it. When `out`
 * is not NULL the unquoted value goes to out[size]. Returns its length,
 * PCOL_ERANGE when it does not fit, PCOL_EINVAL for an unterminated quote. */
static int param_value(const char *v, size_t n, size_t *i, char *out, size_t size)
{
    bool quoted = *i < n && v[*i] == '"';
    size_t j = *i + quoted, len = 0;

    for (; j < n; j++) {
        if (quoted ? v[j] == '"' : (v[j] == ';' || is_blank((unsigned char)v[j]))) {
            break;
        }
        j += quoted && v[j] == '\\' && j + 1 < n;
        if (out && len + 1 >= size) {
            return PCOL_ERANGE;
        }
        if (out) {
            out[len] = v[j];
        }
        len++;
    }
    if (quoted && j >= n) {
        return PCOL_EINVAL;
    }
    *i = j + quoted;
    if (out) {
        out[len] = '\0';
    }
    return (int)len;
}

/* Finds parameter `name` in a header value v[0..n) such as
 * `form-data; name="profile"; filename=x` and copies its value, unquoted,
 * into out[size]. Returns its length, PCOL_ENOENT when absent, PCOL_ERANGE
 * when it does not fit, PCOL_EINVAL for an unterminated quote. */
static int header_param(const char *v, size_t n, const char *name, char *out, size_t size)
{
    size_t i = 0, nlen = strlen(name), key;
    bool match;
    int rc;

    while (i < n && v[i] != ';') {
        i++;
    }
    while (i < n) {
        key = i = skip_blanks(v, n, i + 1);
        while (i < n && v[i] != '=' && v[i] != ';' && !is_blank((unsigned char)v[i])) {
            i++;
        }
        match = i - key == nlen && strncasecmp(v + key, name, nlen) == 0;
        i = skip_blanks(v, n, i);
        if (i < n && v[i] == '=') {
            i = skip_blanks(v, n, i + 1);
            rc = param_value(v, n, &i, match ? out : NULL, size);
            if (match || rc < 0) {
                return rc;
            }
        }
        while (i < n && v[i] != ';') {
            i++;
        }
    }
    return PCOL_ENOENT;
}

int pcol_multipart_boundary(const char *content_type, char *out, struct pcol_err *err)
{
    int rc = PCOL_ENOENT;

    if (content_type) {
        rc = header_param(content_type, strlen(content_type), "boundary", out,
                          PCOL_MULTIPART_MAX_BOUNDARY + 1);
    }
    if (rc == PCOL_ERANGE) {
        return pcol_err_set(err, PCOL_EINVAL, "multipart: the boundary is longer than %d bytes",
                            PCOL_MULTIPART_MAX_BOUNDARY);
    }
    if (rc <= 0) {
        return pcol_err_set(err, PCOL_EINVAL,
                            "multipart: the Content-Type has no boundary parameter");
    }
    return 0;
}

enum delim { DELIM_NONE, DELIM_OPEN, DELIM_CLOSE };

/* Finds the next delimiter line at or after `from`: "--boundary" at the start
 * of a line, then "--" (the close delimiter) or blanks and a line end.
 * `*next` is where what follows it starts. */
static enum delim find_delim(const uint8_t *p, size_t n, size_t from, const char *b, size_t blen,
                             size_t *at, size_t *next)
{
    const uint8_t *hit;
    size_t i = from, j;

    while (i <= n && n - i >= blen + 2) {
        hit = memchr(p + i, '-', n - i - blen - 1);
        if (!hit) {
            break;
        }
        i = (size_t)(hit - p);
        if (p[i + 1] != '-' || memcmp(p + i + 2, b, blen) != 0 || (i > 0 && p[i - 1] != '\n')) {
            i++;
            continue;
        }
        *at = i;
        j = i + 2 + blen;
        if (n - j >= 2 && p[j] == '-' && p[j + 1] == '-') {
            *next = j + 2;
            return DELIM_CLOSE;
        }
        while (j < n && (p[j] == ' ' || p[j] == '\t')) {
            j++;
        }
        j += j < n && p[j] == '\r';
        if (j < n && p[j] == '\n') {
            *next = j + 1;
            return DELIM_OPEN;
        }
        i++;
    }
    return DELIM_NONE;
}

static int disposition(const char *v, size_t n, struct pcol_multipart_part *part, size_t index,
                       struct pcol_err *err)
{
    static const char *const file_params[] = {"filename", "filename*"};
    char scratch[2];
    size_t i;
    int rc = header_param(v, n, "name", part->name, sizeof(part->name));

    if (rc == PCOL_ERANGE) {
        return pcol_err_set(err, PCOL_EINVAL, "multipart: part %zu has a name over %d bytes", index,
                            PCOL_MULTIPART_MAX_NAME);
    }
    for (i = 0; rc != PCOL_EINVAL && i < PCOL_ARRAY_SIZE(file_params); i++) {
        rc = header_param(v, n, file_params[i], scratch, sizeof(scratch));
        part->is_file |= rc >= 0 || rc == PCOL_ERANGE;
    }
    if (rc == PCOL_EINVAL) {
        return pcol_err_set(err, PCOL_EINVAL,
                            "multipart: part %zu has an unterminated quote in Content-Disposition",
                            index);
    }
    return 0;
}

/* Reads the headers of part `index` from p[i..): only Content-Disposition
 * matters. `*data` is where its content starts. */
static int part_headers(const uint8_t *p, size_t n, size_t i, struct pcol_multipart_part *part,
                        size_t index, size_t *data, struct pcol_err *err)
{
    static const char cd[] = "content-disposition:";
    const uint8_t *nl;
    size_t end, len;
    int rc;

    for (;;) {
        nl = i < n ? memchr(p + i, '\n', n - i) : NULL;
        if (!nl) {
            return pcol_err_set(err, PCOL_EINVAL, "multipart: the headers of part %zu never end",
                                index);
        }
        end = (size_t)(nl - p);
        len = end - i;
        len -= len && p[end - 1] == '\r';
        if (len == 0) {
            *data = end + 1;
            return 0;
        }
        if (len > sizeof(cd) - 1 && strncasecmp((const char *)p + i, cd, sizeof(cd) - 1) == 0) {
            rc = disposition((const char *)p + i + sizeof(cd) - 1, len - (sizeof(cd) - 1), part,
                             index, err);
            if (rc != 0) {
                return rc;
            }
        }
        i = end + 1;
    }
}

int pcol_multipart_parse(const uint8_t *body, size_t len, const char *boundary,
                         struct pcol_multipart *out, struct pcol_err *err)
{
    size_t blen = strlen(boundary), at = 0, next = 0, data = 0, cap = 0, end;
    struct pcol_multipart_part *part;
    enum delim d;
    int rc;

    memset(out, 0, sizeof(*out));
    d = find_delim(body, len, 0, boundary, blen, &at, &next);
    if (d == DELIM_NONE) {
        return pcol_err_set(err, PCOL_EINVAL, "multipart: no \"--%.64s\" boundary line in the body",
                            boundary);
    }
    while (d == DELIM_OPEN) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 4;
            out->v = pcol_xrealloc(out->v, cap * sizeof(*out->v));
        }
        part = &out->v[out->n];
        memset(part, 0, sizeof(*part));
        rc = part_headers(body, len, next, part, out->n, &data, err);
        if (rc == 0) {
            d = find_delim(body, len, data, boundary, blen, &at, &next);
            rc = d == DELIM_NONE ? pcol_err_set(err, PCOL_EINVAL,
                                                "multipart: part %zu is not followed by a "
                                                "boundary (is the closing \"--%.64s--\" missing?)",
                                                out->n, boundary)
                                 : 0;
        }
        if (rc != 0) {
            pcol_multipart_free(out);
            return rc;
        }
        /* The line break before a delimiter belongs to the delimiter. */
        end = at;
        end -= end > data && body[end - 1] == '\n';
        end -= end > data && body[end - 1] == '\r';
        part->data = body + data;
        part->len = end - data;
        out->n++;
    }
    return 0;
}

void pcol_multipart_free(struct pcol_multipart *m)
{
    free(m->v);
    memset(m, 0, sizeof(*m));
}

const struct pcol_multipart_part *pcol_multipart_find(const struct pcol_multipart *m,
                                                      const char *name)
{
    const struct pcol_multipart_part *plain = NULL;
    size_t i;

    for (i = 0; i < m->n; i++) {
        if (strcmp(m->v[i].name, name) != 0) {
            continue;
        }
        if (m->v[i].is_file) {
            return &m->v[i];
        }
        plain = plain ? plain : &m->v[i];
    }
    return plain;
}

/* ---- JSON syntax check ------------------------------------------------------------------- */

#define JSON_MAX_DEPTH 64

struct js {
    const uint8_t *p;
    size_t n, i;
    int depth;
};

static int js_value(struct js *j);

static void js_blank(struct js *j)
{
    while (j->i < j->n &&
           (j->p[j->i] == ' ' || j->p[j->i] == '\t' || j->p[j->i] == '\n' || j->p[j->i] == '\r')) {
        j->i++;
    }
}

static bool js_eat(struct js *j, char c)
{
    if (j->i < j->n && j->p[j->i] == (uint8_t)c) {
        j->i++;
        return true;
    }
    return false;
}

static int js_string(struct js *j)
{
    static const char escapes[] = "\"\\/bfnrt";
    size_t k;

    if (!js_eat(j, '"')) {
        return PCOL_EINVAL;
    }
    while (j->i < j->n && j->p[j->i] != '"') {
        uint8_t c = j->p[j->i++];
        if (c < 0x20) {
            return PCOL_EINVAL;
        }
        if (c != '\\') {
            continue;
        }
        if (j->i >= j->n) {
            return PCOL_EINVAL;
        }
        c = j->p[j->i++];
        if (c == 'u') {
            for (k = 0; k < 4; k++, j->i++) {
                if (j->i >= j->n || pcol_hex_value(j->p[j->i]) < 0) {
                    return PCOL_EINVAL;
                }
            }
        } else if (!c || !strchr(escapes, c)) {
            return PCOL_EINVAL;
        }
    }
    return js_eat(j, '"') ? 0 : PCOL_EINVAL;
}

static size_t js_digits(struct js *j)
{
    size_t start = j->i;

    while (j->i < j->n && is_digit(j->p[j->i])) {
        j->i++;
    }
    return j->i - start;
}

static int js_number(struct js *j)
{
    js_eat(j, '-');
    if (!js_eat(j, '0') && (j->i >= j->n || !js_digits(j))) {
        return PCOL_EINVAL;
    }
    if (js_eat(j, '.') && !js_digits(j)) {
        return PCOL_EINVAL;
    }
    if (js_eat(j, 'e') || js_eat(j, 'E')) {
        if (!js_eat(j, '+')) {
            js_eat(j, '-');
        }
        if (!js_digits(j)) {
            return PCOL_EINVAL;
        }
    }
    return 0;
}

static int js_literal(struct js *j, const char *word)
{
    size_t n = strlen(word);

    if (j->n - j->i < n || memcmp(j->p + j->i, word, n) != 0) {
        return PCOL_EINVAL;
    }
    j->i += n;
    return 0;
}

/* An object (`object` true) or an array, after its opening bracket. */
static int js_container(struct js *j, bool object)
{
    char close = object ? '}' : ']';
    int rc;

    if (++j->depth > JSON_MAX_DEPTH) {
        return PCOL_EINVAL;
    }
    js_blank(j);
    if (js_eat(j, close)) {
        j->depth--;
        return 0;
    }
    do {
        js_blank(j);
        if (object) {
            if ((rc = js_string(j)) != 0) {
                return rc;
            }
            js_blank(j);
            if (!js_eat(j, ':')) {
                return PCOL_EINVAL;
            }
        }
        if ((rc = js_value(j)) != 0) {
            return rc;
        }
        js_blank(j);
    } while (js_eat(j, ','));
    j->depth--;
    return js_eat(j, close) ? 0 : PCOL_EINVAL;
}

static int js_value(struct js *j)
{
    js_blank(j);
    if (j->i >= j->n) {
        return PCOL_EINVAL;
    }
    switch (j->p[j->i]) {
    case '{': j->i++; return js_container(j, true);
    case '[': j->i++; return js_container(j, false);
    case '"': return js_string(j);
    case 't': return js_literal(j, "true");
    case 'f': return js_literal(j, "false");
    case 'n': return js_literal(j, "null");
    default: return js_number(j);
    }
}

int pcol_json_check(const uint8_t *p, size_t n, struct pcol_err *err)
{
    struct js j = {p, n, 0, 0};
    int rc = js_value(&j);

    if (rc == 0) {
        js_blank(&j);
        if (j.i != n) {
            rc = PCOL_EINVAL;
        }
    }
    if (rc != 0) {
        return pcol_err_set(err, PCOL_EINVAL, "invalid JSON at byte %zu", j.i);
    }
    return 0;
}

/* ---- labelling ------------------------------------------------------------------------------- */

/* Sets key=value in kv[0..n) (replacing an equal key) and returns the new n. */
static uint32_t put_attr(struct pcol_kv *kv, uint32_t n, int32_t key, int32_t value)
{
    uint32_t i = 0;

    while (i < n && kv[i].key != key) {
        i++;
    }
    memset(&kv[i], 0, sizeof(kv[i]));
    kv[i].key = key;
    kv[i].value.kind = PCOL_VAL_STR;
    kv[i].value.u.str = value;
    return i == n ? n + 1 : n;
}

void pcol_pyro_label(struct pcol_batch *b, uint32_t first, const char *service, size_t service_len,
                     const struct pcol_pyro_name *name, const char *spy)
{
    int32_t k_service = pcol_dict_cstr(b, "service.name");
    int32_t v_service = pcol_dict_str(b, service, service_len);
    uint32_t r, n;
    size_t i;

    for (r = first; r < b->n_resources; r++) {
        struct pcol_resource *res = &b->resources[r];
        struct pcol_kv *kv =
            pcol_arena_alloc(b->arena, (res->n_attrs + name->n_tags + 2) * sizeof(*kv));

        if (res->n_attrs) {
            memcpy(kv, res->attrs, res->n_attrs * sizeof(*kv));
        }
        n = put_attr(kv, res->n_attrs, k_service, v_service);
        for (i = 0; i < name->n_tags; i++) {
            n = put_attr(kv, n, pcol_dict_cstr(b, name->tags[i].key),
                         pcol_dict_cstr(b, name->tags[i].value));
        }
        if (spy) {
            n = put_attr(kv, n, pcol_dict_cstr(b, PCOL_PYRO_ATTR_SPY), pcol_dict_cstr(b, spy));
        }
        res->attrs = kv;
        res->n_attrs = n;
    }
}

void pcol_pyro_fill_times(struct pcol_batch *b, uint32_t first, uint64_t from, uint64_t until)
{
    /* pprof writers that do not know the time leave 0 or a few seconds. */
    const uint64_t year_1971 = 365ull * 86400 * NS_PER_S;
    uint32_t r, s, p;

    for (r = first; r < b->n_resources; r++) {
        const struct pcol_resource *res = &b->resources[r];
        for (s = 0; s < res->n_scopes; s++) {
            for (p = 0; p < res->scopes[s].n_profiles; p++) {
                struct pcol_profile *prof = &res->scopes[s].profiles[p];
                if (prof->time_unix_nano >= year_1971) {
                    continue;
                }
                prof->time_unix_nano = from;
                if (!prof->duration_nano && until > from) {
                    prof->duration_nano = until - from;
                }
            }
        }
    }
}
