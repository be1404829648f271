/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pattern.h: regular expressions for options (`pattern`, `keep`, `extract`).
 *
 * The engine is POSIX extended regular expressions (libc regcomp) with the
 * pieces of Go/RE2 syntax that Collector configs use translated on compile:
 * named groups `(?P<name>...)` and `(?<name>...)`, non-capturing groups
 * `(?:...)`, `\d` / `\D`, and a leading `(?i)` for case-insensitive
 * matching. Anything else starting with `(?` is refused with a reason, so a
 * pattern never silently means something else. Matching is unanchored, as
 * Go's MatchString: write `^...$` to match whole strings.
 *
 * Ownership: pcol_regex_compile() allocates in the given arena and ties the
 * compiled program to it (regfree runs when the arena dies).
 */
#ifndef PCOL_PATTERN_H
#define PCOL_PATTERN_H

#include "common.h"

#include <regex.h>

struct pcol_arena;

struct pcol_regex {
    const char *pattern; /* as written */
    regex_t re;
    /* Capture groups, 1-based as regexec numbers them: names[i] is the name
     * of group i, or NULL for unnamed ones; names[0] is unused. */
    const char *const *names;
    uint32_t n_groups;
};

struct pcol_regex_list {
    const struct pcol_regex *v;
    size_t n;
};

/* Compiles `pattern` into `*r`. Returns 0, or PCOL_EINVAL with a reason in
 * `why` (`why_len` bytes). */
int pcol_regex_compile(struct pcol_regex *r, const char *pattern, struct pcol_arena *a, char *why,
                       size_t why_len);

/* Whether `s` (NUL-terminated) contains a match. */
bool pcol_regex_match(const struct pcol_regex *r, const char *s);

/* Whether any expression of the list matches `s`. */
bool pcol_regex_list_match(const struct pcol_regex_list *l, const char *s);

/* Matches `s` and fills `m` (r->n_groups + 1 entries). */
bool pcol_regex_exec(const struct pcol_regex *r, const char *s, regmatch_t *m);

#endif
