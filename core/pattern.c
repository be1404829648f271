/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pattern.c: RE2-flavoured syntax translated to POSIX ERE. See pattern.h.
 *
 * The translation walks the pattern once: escapes RE2 knows and ERE does not
 * (\d, \n, \A, ...) are rewritten, bracket expressions are rebuilt so that
 * backslash escapes inside them keep RE2's meaning, `(?:` and named groups
 * become plain groups (their names recorded by group number), and anything
 * that would silently change meaning (lookarounds, inline flags after the
 * start, lazy repetition, back-references, duplicate names) is refused.
 */
#include "pattern.h"

#include "arena.h"
#include "buf.h"

#include <stdio.h>
#include <string.h>

static void regex_free(void *arg)
{
    regfree(&((struct pcol_regex *)arg)->re);
}

/* Parses `(?P<name>` / `(?<name>` at p (p points at "(?"); returns the
 * length of the prefix and the name span, or 0. */
static size_t named_group(const char *p, const char **name, size_t *len)
{
    size_t i = p[2] == 'P' ? 3 : 2;
    size_t start;

    if (p[i] != '<') {
        return 0;
    }
    start = ++i;
    while (p[i] == '_' || (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
           (p[i] >= '0' && p[i] <= '9')) {
        i++;
    }
    if (p[i] != '>' || i == start) {
        return 0;
    }
    *name = p + start;
    *len = i - start;
    return i + 1;
}

/* One escape outside brackets (p points at the backslash, p[1] is not NUL):
 * appends its ERE form. Letters RE2 gives a meaning that ERE lacks are
 * translated or refused, never passed on to mean something else. */
static bool escape(const char *p, struct pcol_buf *out, char *why, size_t why_len)
{
    char c = p[1];

    switch (c) {
    case 'd': pcol_buf_puts(out, "[0-9]"); return true;
    case 'D': pcol_buf_puts(out, "[^0-9]"); return true;
    case 'n': pcol_buf_putc(out, '\n'); return true;
    case 't': pcol_buf_putc(out, '\t'); return true;
    case 'r': pcol_buf_putc(out, '\r'); return true;
    case 'f': pcol_buf_putc(out, '\f'); return true;
    case 'v': pcol_buf_putc(out, '\v'); return true;
    case 'A': pcol_buf_putc(out, '^'); return true;
    case 'z': pcol_buf_putc(out, '$'); return true;
    case 'w':
    case 'W':
    case 's':
    case 'S':
    case 'b':
    case 'B': pcol_buf_append(out, p, 2); return true; /* the same in glibc's ERE */
    default: break;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        snprintf(why, why_len, "unsupported escape \\%c", c);
        return false;
    }
    pcol_buf_append(out, p, 2); /* an escaped punctuation character */
    return true;
}

/* Translates a bracket expression `[...]` starting at p into `out`; returns
 * its length, or 0 (reason in `why`). In RE2 a backslash escapes inside
 * brackets too (`[\w.-]`, `[\]]`); in POSIX it is a literal, so escapes are
 * rewritten, and `]`, `^` and `-` moved where POSIX reads them literally. */
static size_t bracket(const char *p, struct pcol_buf *out, char *why, size_t why_len)
{
    struct pcol_buf body = {0};
    bool negate = false, rbracket = false, caret = false, dash = false;
    size_t i = 1;

    if (p[i] == '^') {
        negate = true;
        i++;
    }
    if (p[i] == ']') {
        rbracket = true;
        i++;
    }
    while (p[i] && p[i] != ']') {
        if (p[i] == '[' && (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
            const char *end = strstr(p + i + 2, (char[]){p[i + 1], ']', 0});
            size_t n = end ? (size_t)(end - p) + 2 - i : 1;
            pcol_buf_append(&body, p + i, n);
            i += n;
            continue;
        }
        if (p[i] == '^' && body.len == 0 && !rbracket) {
            caret = true; /* literal here; placed last so it never reads as a negation */
            i++;
            continue;
        }
        if (p[i] != '\\' || !p[i + 1]) {
            pcol_buf_putc(&body, p[i++]);
            continue;
        }
        switch (p[i + 1]) {
        case 'd': pcol_buf_puts(&body, "0-9"); break;
        case 'w': pcol_buf_puts(&body, "[:alnum:]_"); break;
        case 's': pcol_buf_puts(&body, "[:space:]"); break;
        case 'n': pcol_buf_putc(&body, '\n'); break;
        case 't': pcol_buf_putc(&body, '\t'); break;
        case 'r': pcol_buf_putc(&body, '\r'); break;
        case 'f': pcol_buf_putc(&body, '\f'); break;
        case 'v': pcol_buf_putc(&body, '\v'); break;
        case ']': rbracket = true; break;
        case '^': caret = true; break;
        case '-': dash = true; break;
        default:
            if ((p[i + 1] >= 'a' && p[i + 1] <= 'z') || (p[i + 1] >= 'A' && p[i + 1] <= 'Z') ||
                (p[i + 1] >= '0' && p[i + 1] <= '9')) {
                snprintf(why, why_len, "unsupported escape \\%c inside [...]", p[i + 1]);
                pcol_buf_free(&body);
                return 0;
            }
            pcol_buf_putc(&body, p[i + 1]);
            break;
        }
        i += 2;
    }
    if (p[i] != ']') {
        snprintf(why, why_len, "missing ] at the end of \"%.12s\"", p);
        pcol_buf_free(&body);
        return 0;
    }
    if (caret && !negate && !rbracket && body.len == 0) {
        /* Only ^ (and maybe -): `[^]` would be a negation, so write it another way. */
        pcol_buf_puts(out, dash ? "[-^]" : "\\^");
    } else {
        pcol_buf_puts(out, negate ? "[^" : "[");
        if (rbracket) {
            pcol_buf_putc(out, ']');
        }
        pcol_buf_append(out, body.p, body.len);
        if (caret) {
            pcol_buf_putc(out, '^');
        }
        if (dash) {
            pcol_buf_putc(out, '-');
        }
        pcol_buf_putc(out, ']');
    }
    pcol_buf_free(&body);
    return i + 1;
}

/* Whether group `name` (len bytes) is already among names[1..n]. */
static bool name_taken(const char *const *names, uint32_t n, const char *name, size_t len)
{
    uint32_t i;

    for (i = 1; i <= n; i++) {
        if (names[i] && strlen(names[i]) == len && !memcmp(names[i], name, len)) {
            return true;
        }
    }
    return false;
}

int pcol_regex_compile(struct pcol_regex *r, const char *pattern, struct pcol_arena *a, char *why,
                       size_t why_len)
{
    struct pcol_buf ere = {0};
    const char **names;
    const char *p = pattern;
    uint32_t groups = 0, cap = 8;
    int flags = REG_EXTENDED, rc;

    names = pcol_arena_calloc(a, (cap + 1) * sizeof(*names));
    if (!strncmp(p, "(?i)", 4)) {
        flags |= REG_ICASE;
        p += 4;
    }
    while (*p) {
        if (*p == '\\' && p[1]) {
            if (!escape(p, &ere, why, why_len)) {
                pcol_buf_free(&ere);
                return PCOL_EINVAL;
            }
            p += 2;
            continue;
        }
        if (*p == '[') {
            size_t n = bracket(p, &ere, why, why_len);
            if (!n) {
                pcol_buf_free(&ere);
                return PCOL_EINVAL;
            }
            p += n;
            continue;
        }
        if ((*p == '*' || *p == '+' || *p == '?' || *p == '}') && p[1] == '?') {
            /* POSIX has no lazy repetition: `*?` would silently be greedy. */
            snprintf(why, why_len,
                     "non-greedy repetition \"%.2s\" is not supported (POSIX matching is "
                     "leftmost-longest)",
                     p);
            pcol_buf_free(&ere);
            return PCOL_EINVAL;
        }
        if (*p == '(') {
            const char *name = NULL;
            size_t name_len = 0, skip = 1;

            if (p[1] == '?') {
                if (p[2] == ':') {
                    skip = 3;
                } else if (!(skip = named_group(p, &name, &name_len))) {
                    snprintf(why, why_len,
                             "unsupported group syntax at \"%.12s\" (supported: (?P<name>...), "
                             "(?<name>...), (?:...), a leading (?i))",
                             p);
                    pcol_buf_free(&ere);
                    return PCOL_EINVAL;
                } else if (name_taken(names, groups, name, name_len)) {
                    snprintf(why, why_len, "duplicate capture group name \"%.*s\"", (int)name_len,
                             name);
                    pcol_buf_free(&ere);
                    return PCOL_EINVAL;
                }
            }
            if (++groups > cap) {
                const char **more = pcol_arena_calloc(a, (cap * 2 + 1) * sizeof(*more));
                memcpy(more, names, (cap + 1) * sizeof(*more));
                names = more;
                cap *= 2;
            }
            names[groups] = name ? pcol_arena_strndup(a, name, name_len) : NULL;
            pcol_buf_putc(&ere, '(');
            p += skip;
            continue;
        }
        pcol_buf_putc(&ere, *p++);
    }
    pcol_buf_putc(&ere, '\0');
    rc = regcomp(&r->re, (const char *)ere.p, flags);
    pcol_buf_free(&ere);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &r->re, msg, sizeof(msg));
        snprintf(why, why_len, "invalid regular expression: %s", msg);
        return PCOL_EINVAL;
    }
    if (r->re.re_nsub != groups) {
        /* Cannot happen with the translation above; refuse rather than misname groups. */
        regfree(&r->re);
        snprintf(why, why_len, "could not number the capture groups");
        return PCOL_EINVAL;
    }
    r->pattern = pcol_arena_strndup(a, pattern, strlen(pattern));
    r->names = names;
    r->n_groups = groups;
    pcol_arena_on_destroy(a, regex_free, r);
    return 0;
}

bool pcol_regex_match(const struct pcol_regex *r, const char *s)
{
    return regexec(&r->re, s, 0, NULL, 0) == 0;
}

bool pcol_regex_list_match(const struct pcol_regex_list *l, const char *s)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (pcol_regex_match(&l->v[i], s)) {
            return true;
        }
    }
    return false;
}

bool pcol_regex_exec(const struct pcol_regex *r, const char *s, regmatch_t *m)
{
    return regexec(&r->re, s, r->n_groups + 1, m, 0) == 0;
}
