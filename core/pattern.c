/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pattern.c: RE2-flavoured syntax translated to POSIX ERE. See pattern.h.
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

/* Copies a bracket expression `[...]` starting at p; returns its length. */
static size_t bracket(const char *p, struct pcol_buf *out)
{
    size_t i = 1;

    if (p[i] == '^') {
        i++;
    }
    if (p[i] == ']') {
        i++;
    }
    while (p[i] && p[i] != ']') {
        if (p[i] == '[' && (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
            const char *end = strstr(p + i + 2, (char[]){p[i + 1], ']', 0});
            i = end ? (size_t)(end - p) + 2 : i + 1;
            continue;
        }
        i++;
    }
    if (p[i] == ']') {
        i++;
    }
    pcol_buf_append(out, p, i);
    return i;
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
            if (p[1] == 'd' || p[1] == 'D') {
                pcol_buf_puts(&ere, p[1] == 'd' ? "[0-9]" : "[^0-9]");
            } else {
                pcol_buf_append(&ere, p, 2);
            }
            p += 2;
            continue;
        }
        if (*p == '[') {
            p += bracket(p, &ere);
            continue;
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
