/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pattern.c: the regular expressions of options (core/pattern.c): RE2
 * syntax translated to POSIX ERE. Named groups and their numbering, (?:..),
 * \d and the other escapes, (?i), bracket expressions with backslash
 * escapes, unanchored matching, and the refusals (lookarounds, inline flags,
 * lazy repetition, back-references, duplicate names) with their reasons.
 *
 * Each test owns one arena; every compiled expression dies with it.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "pattern.h"

struct fx {
    struct pcol_arena *a;
    char why[256];
};

static int fx_setup(void **state)
{
    struct fx *f = pcol_xcalloc(1, sizeof(*f));

    f->a = pcol_arena_create(0);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;

    pcol_arena_destroy(f->a);
    free(f);
    return 0;
}

/* Compiles `pattern`, failing the test with the reason when it is refused. */
static const struct pcol_regex *compile(struct fx *f, const char *pattern)
{
    struct pcol_regex *r = pcol_arena_calloc(f->a, sizeof(*r));

    f->why[0] = '\0';
    if (pcol_regex_compile(r, pattern, f->a, f->why, sizeof(f->why)) != 0) {
        fail_msg("\"%s\" refused: %s", pattern, f->why);
    }
    return r;
}

/* Asserts `pattern` is refused with a reason containing `text`. */
static void refused(struct fx *f, const char *pattern, const char *text)
{
    /* In the arena: an expression compiled by mistake is freed with it. */
    struct pcol_regex *r = pcol_arena_calloc(f->a, sizeof(*r));

    f->why[0] = '\0';
    if (pcol_regex_compile(r, pattern, f->a, f->why, sizeof(f->why)) != PCOL_EINVAL) {
        fail_msg("\"%s\" was accepted", pattern);
    }
    if (!strstr(f->why, text)) {
        fail_msg("\"%s\": reason \"%s\" does not contain \"%s\"", pattern, f->why, text);
    }
}

/* The text of group `g` of the last match, in a static buffer. */
static const char *group(const char *s, const regmatch_t *m, uint32_t g)
{
    static char out[128];
    size_t n;

    if (m[g].rm_so < 0) {
        return "(none)";
    }
    n = (size_t)(m[g].rm_eo - m[g].rm_so);
    assert_true(n < sizeof(out));
    memcpy(out, s + m[g].rm_so, n);
    out[n] = '\0';
    return out;
}

static void named_groups_are_numbered_in_order(void **state)
{
    struct fx *f = *state;
    const struct pcol_regex *r =
        compile(f, "^(?P<svc>[a-z]+)-(v)(?<major>[0-9]+)\\.(?:x|y)(?P<minor>[0-9]+)$");
    const char *s = "checkout-v12.y7";
    regmatch_t m[8];

    assert_string_equal(r->pattern,
                        "^(?P<svc>[a-z]+)-(v)(?<major>[0-9]+)\\.(?:x|y)(?P<minor>[0-9]+)$");
    /* svc, (v), major, (?:x|y), minor: the non-capturing group still takes a number. */
    assert_int_equal(r->n_groups, 5);
    assert_string_equal(r->names[1], "svc");
    assert_null(r->names[2]);
    assert_string_equal(r->names[3], "major");
    assert_null(r->names[4]);
    assert_string_equal(r->names[5], "minor");
    assert_true(pcol_regex_exec(r, s, m));
    assert_string_equal(group(s, m, 1), "checkout");
    assert_string_equal(group(s, m, 3), "12");
    assert_string_equal(group(s, m, 4), "y");
    assert_string_equal(group(s, m, 5), "7");
    assert_false(pcol_regex_exec(r, "checkout-v12.z7", m));
}

static void many_groups_grow_the_name_table(void **state)
{
    struct fx *f = *state;
    const struct pcol_regex *r = compile(f, "(?P<g1>a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(?P<g11>k)");
    const char *s = "abcdefghijk";
    regmatch_t m[12];

    assert_int_equal(r->n_groups, 11);
    assert_string_equal(r->names[1], "g1");
    assert_null(r->names[8]);
    assert_null(r->names[9]);
    assert_string_equal(r->names[11], "g11");
    assert_true(pcol_regex_exec(r, s, m));
    assert_string_equal(group(s, m, 11), "k");
}

static void optional_group_that_did_not_take_part(void **state)
{
    struct fx *f = *state;
    const struct pcol_regex *r = compile(f, "^(?P<a>x)?(?P<b>y)$");
    regmatch_t m[3];

    assert_true(pcol_regex_exec(r, "y", m));
    assert_string_equal(group("y", m, 1), "(none)");
    assert_string_equal(group("y", m, 2), "y");
}

static void digit_escapes(void **state)
{
    struct fx *f = *state;
    const struct pcol_regex *d = compile(f, "^\\d+$");
    const struct pcol_regex *nd = compile(f, "^\\D+$");
    const struct pcol_regex *in_bracket = compile(f, "^[\\d.]+$");

    assert_true(pcol_regex_match(d, "0123456789"));
    assert_false(pcol_regex_match(d, "12a"));
    assert_false(pcol_regex_match(d, "d"));
    assert_true(pcol_regex_match(nd, "abc-"));
    assert_false(pcol_regex_match(nd, "ab1"));
    /* Inside brackets \d is still a digit (POSIX alone would read "\" or "d"). */
    assert_true(pcol_regex_match(in_bracket, "1.21.3"));
    assert_false(pcol_regex_match(in_bracket, "d"));
    assert_false(pcol_regex_match(in_bracket, "\\"));
}

static void word_and_space_escapes(void **state)
{
    struct fx *f = *state;
    const struct pcol_regex *w = compile(f, "^[\\w.-]+$");
    const struct pcol_regex *s = compile(f, "^a\\sb$");
    const struct pcol_regex *tab = compile(f, "^a\\tb$");
    const struct pcol_regex *anchors = compile(f, "\\Afoo\\z");

    assert_true(pcol_regex_match(w, "k8s.pod-name_1"));
    assert_false(pcol_regex_match(w, "a b"));
    assert_false(pcol_regex_match(w, "a\\w"));
    assert_true(pcol_regex_match(s, "a b"));
    assert_true(pcol_regex_match(s, "a\tb"));
    assert_true(pcol_regex_match(tab, "a\tb"));
    assert_false(pcol_regex_match(tab, "atb"));
    assert_true(pcol_regex_match(anchors, "foo"));
    assert_false(pcol_regex_match(anchors, "xfoo"));
    assert_false(pcol_regex_match(anchors, "foox"));
}

static void bracket_escapes_keep_their_meaning(void **state)
{
    struct fx *f = *state;
    const struct pcol_regex *rb = compile(f, "^[\\]a]+$");
    const struct pcol_regex *caret = compile(f, "^[\\^]$");
    const struct pcol_regex *dash = compile(f, "^[a\\-z]+$");
    const struct pcol_regex *neg = compile(f, "^[^/]+$");
    const struct pcol_regex *cls = compile(f, "^[[:upper:]_]+$");
    const struct pcol_regex *lead = compile(f, "^[]x]+$");
    const struct pcol_regex *bs = compile(f, "^[\\\\]$");

    assert_true(pcol_regex_match(rb, "]a]"));
    assert_false(pcol_regex_match(rb, "\\"));
    assert_true(pcol_regex_match(caret, "^"));
    assert_false(pcol_regex_match(caret, "a"));
    /* An escaped dash is a literal, not a range from a to z. */
    assert_true(pcol_regex_match(dash, "a-z"));
    assert_false(pcol_regex_match(dash, "m"));
    assert_true(pcol_regex_match(neg, "abc"));
    assert_false(pcol_regex_match(neg, "a/b"));
    assert_true(pcol_regex_match(cls, "ABC_D"));
    assert_false(pcol_regex_match(cls, "AbC"));
    assert_true(pcol_regex_match(lead, "]x]"));
    assert_true(pcol_regex_match(bs, "\\"));
    assert_false(pcol_regex_match(bs, "a"));
}

static void case_insensitive_prefix(void **state)
{
    struct fx *f = *state;
    const struct pcol_regex *ci = compile(f, "(?i)^host-(?P<n>\\d+)$");
    const struct pcol_regex *cs = compile(f, "^host$");
    regmatch_t m[2];

    assert_true(pcol_regex_match(ci, "HOST-7"));
    assert_true(pcol_regex_match(ci, "Host-42"));
    assert_false(pcol_regex_match(ci, "host-x"));
    assert_int_equal(ci->n_groups, 1);
    assert_string_equal(ci->names[1], "n");
    assert_true(pcol_regex_exec(ci, "HoSt-99", m));
    assert_string_equal(group("HoSt-99", m, 1), "99");
    /* Without the prefix the case matters; the pattern keeps its text. */
    assert_false(pcol_regex_match(cs, "HOST"));
    assert_string_equal(ci->pattern, "(?i)^host-(?P<n>\\d+)$");
}

static void matching_is_unanchored(void **state)
{
    struct fx *f = *state;
    const struct pcol_regex *r = compile(f, "thread");
    struct pcol_regex_list l;
    struct pcol_regex both[2];

    assert_true(pcol_regex_match(r, "thread_id"));
    assert_true(pcol_regex_match(r, "my_thread_name"));
    assert_false(pcol_regex_match(r, "THREAD"));
    memcpy(&both[0], compile(f, "^a$"), sizeof(both[0]));
    memcpy(&both[1], compile(f, "^b$"), sizeof(both[1]));
    l.v = both;
    l.n = 2;
    assert_true(pcol_regex_list_match(&l, "b"));
    assert_false(pcol_regex_list_match(&l, "ab"));
    l.n = 0;
    assert_false(pcol_regex_list_match(&l, "a"));
}

static void unsupported_groups_are_refused(void **state)
{
    struct fx *f = *state;

    refused(f, "a(?=b)", "unsupported group syntax at \"(?=b)\"");
    refused(f, "a(?!b)", "unsupported group syntax");
    refused(f, "(?<=a)b", "unsupported group syntax");
    refused(f, "(?<!a)b", "unsupported group syntax");
    refused(f, "(?P<n>a)(?P=n)", "unsupported group syntax");
    refused(f, "(?s).*", "unsupported group syntax");
    refused(f, "(?i:abc)", "unsupported group syntax");
    refused(f, "a(?i)b", "unsupported group syntax");
    refused(f, "(?P<>a)", "unsupported group syntax");
    refused(f, "(?P<bad-name>a)", "unsupported group syntax");
    refused(f, "(?P<x>a)|(?<x>b)", "duplicate capture group name \"x\"");
}

static void silent_meaning_changes_are_refused(void **state)
{
    struct fx *f = *state;

    refused(f, "a.*?b", "non-greedy repetition \"*?\"");
    refused(f, "a+?", "non-greedy");
    refused(f, "a??", "non-greedy");
    refused(f, "a{1,3}?", "non-greedy");
    refused(f, "(a)\\1", "unsupported escape \\1");
    refused(f, "\\pL", "unsupported escape \\p");
    refused(f, "[\\D]", "unsupported escape \\D inside [...]");
    refused(f, "[abc", "missing ]");
    refused(f, "a(b", "invalid regular expression");
    refused(f, "a\\", "invalid regular expression");
    /* Escaped punctuation and `?` after a group are fine. */
    assert_true(pcol_regex_match(compile(f, "^a\\.b\\?$"), "a.b?"));
    assert_true(pcol_regex_match(compile(f, "^(ab)?c$"), "c"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(named_groups_are_numbered_in_order),
        T(many_groups_grow_the_name_table),
        T(optional_group_that_did_not_take_part),
        T(digit_escapes),
        T(word_and_space_escapes),
        T(bracket_escapes_keep_their_meaning),
        T(case_insensitive_prefix),
        T(matching_is_unanchored),
        T(unsupported_groups_are_refused),
        T(silent_meaning_changes_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
