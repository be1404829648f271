/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_url.c: the shared URL parser (core/url.c): schemes in either case,
 * default ports, IPv6 in brackets, paths and queries kept as written, bare
 * host:port only where allowed, and the refusals (bad ports, no host,
 * fragments, credentials) with their reasons. Every failure must leave the
 * result zeroed.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "url.h"

static void ok(const char *s, bool bare, const char *host, uint16_t port, bool tls, bool has_port,
               const char *path)
{
    struct pcol_url u;
    struct pcol_err err = {{0}};

    if (pcol_url_parse(s, bare, &u, &err) != 0) {
        fail_msg("%s: %s", s, err.msg);
    }
    assert_string_equal(u.host, host);
    assert_int_equal(u.port, port);
    assert_int_equal(u.tls, tls);
    assert_int_equal(u.has_port, has_port);
    assert_int_equal(u.has_scheme, strstr(s, "://") != NULL);
    assert_string_equal(u.path, path);
    pcol_url_free(&u);
    assert_null(u.host);
}

static void bad(const char *s, bool bare, const char *why)
{
    struct pcol_url u;
    struct pcol_err err = {{0}};

    assert_int_equal(pcol_url_parse(s, bare, &u, &err), PCOL_EINVAL);
    if (!strstr(err.msg, why)) {
        fail_msg("%s: '%s' lacks '%s'", s, err.msg, why);
    }
    assert_null(u.host);
    assert_null(u.path);
}

static void test_good(void **state)
{
    (void)state;
    ok("http://h", false, "h", 80, false, false, "");
    ok("https://h", false, "h", 443, true, false, "");
    ok("HTTPS://h:8443/", false, "h", 8443, true, true, "/");
    ok("Http://h:1", false, "h", 1, false, true, "");
    ok("http://h:65535/a/b//", false, "h", 65535, false, true, "/a/b//");
    ok("http://h/p?x=1&y=2", false, "h", 80, false, false, "/p?x=1&y=2");
    ok("http://h?x=1", false, "h", 80, false, false, "?x=1");
    ok("http://[::1]:6060/debug", false, "::1", 6060, false, true, "/debug");
    ok("https://[2001:db8::1]", false, "2001:db8::1", 443, true, false, "");
    ok("localhost:4317", true, "localhost", 4317, false, true, "");
    ok("[::1]:4317", true, "::1", 4317, false, true, "");
    ok("gw:4317/x", true, "gw", 4317, false, true, "/x");
    ok("https://gw", true, "gw", 443, true, false, "");
}

static void test_bad(void **state)
{
    (void)state;
    bad("ftp://h:1", false, "start with http:// or https://");
    bad("h:1", false, "start with http:// or https://");
    bad("ftp://h:1", true, "write host:port, or start with http:// or https://");
    bad("", false, "start with http://");
    bad("gw", true, "needs a port");
    bad("http://h:0", false, "port must be a number from 1 to 65535");
    bad("http://h:65536", false, "port must be a number from 1 to 65535");
    bad("http://h:123456", false, "port must be a number from 1 to 65535");
    bad("http://h:x1", false, "port must be a number from 1 to 65535");
    bad("http://h:", false, "port must be a number from 1 to 65535");
    bad("h:abc", true, "port must be a number from 1 to 65535");
    bad("http://", false, "no host");
    bad("http://:80", false, "no host");
    bad("http:///x", false, "no host");
    bad("http://[]:80", false, "no host");
    bad(":4317", true, "no host");
    bad("http://h/a#top", false, "fragment");
    bad("http://h#top", false, "fragment");
    bad("http://::1:6060", false, "write IPv6 addresses in brackets");
    bad("::1:4317", true, "write IPv6 addresses in brackets");
    bad("http://[::1:6060", false, "missing ']'");
    bad("http://[::1]x", false, "unexpected text after ']'");
    bad("http://[::1]:0", false, "port must be a number");
    bad("http://user:pw@h:1", false, "credentials in the URL are not supported");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
