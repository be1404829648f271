/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pyroscope_ingest.c: the pure parts of the pprof receiver
 * (receivers/pprof/ingest.c, text.c): the name{tags} parser, from/until
 * rules, sampleRate, format selection, multipart, the JSON check, the text
 * formats, the app-name suffix table and labelling. Owned by the pprof
 * receiver work.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../receivers/pprof/ingest.h"
#include "codec_pprof.h"

#define S_NS 1000000000ull

/* ---- name ------------------------------------------------------------------------ */

static const char *tag(const struct pcol_pyro_name *n, const char *key)
{
    size_t i;

    for (i = 0; i < n->n_tags; i++) {
        if (!strcmp(n->tags[i].key, key)) {
            return n->tags[i].value;
        }
    }
    return NULL;
}

static void test_name_plain(void **state)
{
    struct pcol_pyro_name n;
    struct pcol_err err = {{0}};

    (void)state;
    assert_int_equal(pcol_pyro_parse_name("  my-app/x.y_Z9 ", &n, &err), 0);
    assert_string_equal(n.app, "my-app/x.y_Z9");
    assert_int_equal(n.n_tags, 0);
    pcol_pyro_name_free(&n);
    assert_int_equal(pcol_pyro_parse_name("app{}", &n, &err), 0);
    assert_string_equal(n.app, "app");
    assert_int_equal(n.n_tags, 0);
    pcol_pyro_name_free(&n);
}

static void test_name_tags(void **state)
{
    struct pcol_pyro_name n;
    struct pcol_err err = {{0}};

    (void)state;
    assert_int_equal(
        pcol_pyro_parse_name(" svc { a = 1 , b.c= two words ,k=v=w}ignored{x=y}", &n, &err), 0);
    assert_string_equal(n.app, "svc");
    assert_int_equal(n.n_tags, 3);
    assert_string_equal(n.tags[0].key, "a");
    assert_string_equal(tag(&n, "a"), "1");
    assert_string_equal(tag(&n, "b.c"), "two words");
    assert_string_equal(tag(&n, "k"), "v=w");
    assert_null(tag(&n, "x"));
    pcol_pyro_name_free(&n);

    /* What the Node SDK 0.6.4 sends; later duplicates replace. */
    assert_int_equal(pcol_pyro_parse_name("node-test-app{otel.scope.name=com.grafana.pyroscope/"
                                          "nodejs,otel.scope.version=0.6.4,region=us-east,"
                                          "region=eu,trailing=}",
                                          &n, &err),
                     0);
    assert_int_equal(n.n_tags, 4);
    assert_string_equal(tag(&n, "otel.scope.name"), "com.grafana.pyroscope/nodejs");
    assert_string_equal(tag(&n, "region"), "eu");
    assert_string_equal(tag(&n, "trailing"), "");
    pcol_pyro_name_free(&n);

    assert_int_equal(pcol_pyro_parse_name("app{a=b,}", &n, &err), 0);
    assert_int_equal(n.n_tags, 1);
    pcol_pyro_name_free(&n);
}

static void test_name_errors(void **state)
{
    static const struct {
        const char *name;
        const char *msg;
    } cases[] = {
        {"", "service name is required"},
        {"   {a=b}", "service name is required"},
        {"a b", "invalid character ' ' in service name \"a b\""},
        {"app!", "invalid character '!'"},
        {"app,x", "invalid character ','"},
        {"app\x01", "invalid character \\x01"},
        {"app{a-b=1}", "invalid character '-' in tag key \"a-b\""},
        {"app{a b=1}", "invalid character ' ' in tag key"},
        {"app{a/b=1}", "invalid character '/' in tag key"},
        {"app{=1}", "empty key"},
        {"app{a=1", "missing '}'"},
        {"app{a=1,b", "missing '}'"},
        {"app{", "missing '}'"},
        {"app{a}", "tag \"a\" has no '=value'"},
    };
    struct pcol_pyro_name n;
    struct pcol_err err;
    size_t i;

    (void)state;
    for (i = 0; i < PCOL_ARRAY_SIZE(cases); i++) {
        memset(&err, 0, sizeof(err));
        assert_int_equal(pcol_pyro_parse_name(cases[i].name, &n, &err), PCOL_EINVAL);
        assert_null(n.buf);
        assert_true(strncmp(err.msg, "name: ", 6) == 0);
        if (!strstr(err.msg, cases[i].msg)) {
            fail_msg("%s: got \"%s\", expected \"%s\"", cases[i].name, err.msg, cases[i].msg);
        }
    }
}

/* ---- from / until / sampleRate ------------------------------------------------------- */

static void test_time_digit_rules(void **state)
{
    static const struct {
        const char *s;
        uint64_t ns;
    } cases[] = {
        {"20260821", 1787270400ull * S_NS}, /* 8 digits: YYYYMMDD */
        {"20240229", 1709164800ull * S_NS}, /* a leap day */
        {"19700101", 0},
        {"1795234802", 1795234802ull * S_NS},      /* 10: seconds (Node, Java) */
        {"1795234802123", 1795234802123000000ull}, /* 13: ms */
        {"1795234802123456", 1795234802123456000ull},
        {"1795234802123456789", 1795234802123456789ull}, /* 19: ns (Go) */
        {"1", S_NS},                                     /* any other count: seconds */
        {"123456789", 123456789ull * S_NS},
        {"12345678901", 12345678901ull * S_NS},
    };
    struct pcol_err err = {{0}};
    uint64_t v;
    size_t i;

    (void)state;
    for (i = 0; i < PCOL_ARRAY_SIZE(cases); i++) {
        v = 1;
        assert_int_equal(pcol_pyro_parse_time(cases[i].s, 0, &v, &err), 0);
        if (v != cases[i].ns) {
            fail_msg("%s: %llu, expected %llu", cases[i].s, (unsigned long long)v,
                     (unsigned long long)cases[i].ns);
        }
    }
}

static void test_time_relative(void **state)
{
    const uint64_t now = 1795234802ull * S_NS;
    struct pcol_err err = {{0}};
    uint64_t v;

    (void)state;
    assert_int_equal(pcol_pyro_parse_time("now", now, &v, &err), 0);
    assert_true(v == now);
    assert_int_equal(pcol_pyro_parse_time("now-1h", now, &v, &err), 0);
    assert_true(v == now - 3600 * S_NS);
    assert_int_equal(pcol_pyro_parse_time("now+30m", now, &v, &err), 0);
    assert_true(v == now + 1800 * S_NS);
    assert_int_equal(pcol_pyro_parse_time("now-2d", now, &v, &err), 0);
    assert_true(v == now - 2 * 86400 * S_NS);
    assert_int_equal(pcol_pyro_parse_time("now-15s", now, &v, &err), 0);
    assert_true(v == now - 15 * S_NS);
    assert_int_equal(pcol_pyro_parse_time("now-1w", now, &v, &err), 0);
    assert_true(v == now - 7 * 86400 * S_NS);
}

static void test_time_errors(void **state)
{
    static const char *const bad[] = {
        "",
        "abc",
        "12a",
        "-5",
        "1.5",
        "20261301",
        "20230229",
        "20260132",
        "now-",
        "now-1x",
        "now1h",
        "now-h",
        "now-1hh",
        "99999999999999999999",
        "123456789012345678901",
        "18446744073709551615",
    };
    struct pcol_err err;
    uint64_t v;
    size_t i;

    (void)state;
    for (i = 0; i < PCOL_ARRAY_SIZE(bad); i++) {
        memset(&err, 0, sizeof(err));
        if (pcol_pyro_parse_time(bad[i], 1795234802ull * S_NS, &v, &err) != PCOL_EINVAL) {
            fail_msg("\"%s\" was accepted", bad[i]);
        }
        assert_true(err.msg[0] != '\0');
    }
}

static void test_sample_rate(void **state)
{
    (void)state;
    assert_int_equal(pcol_pyro_sample_rate(NULL), 100);
    assert_int_equal(pcol_pyro_sample_rate(""), 100);
    assert_int_equal(pcol_pyro_sample_rate("17"), 17);
    assert_int_equal(pcol_pyro_sample_rate("0"), 0);
    assert_int_equal(pcol_pyro_sample_rate("-5"), 100);
    assert_int_equal(pcol_pyro_sample_rate("1.5"), 100);
    assert_int_equal(pcol_pyro_sample_rate("abc"), 100);
    assert_int_equal(pcol_pyro_sample_rate("2000000000"), 100);
}

static void test_format_selection(void **state)
{
    static const struct {
        const char *format;
        const char *ctype;
        enum pcol_pyro_format want;
        const char *name;
    } cases[] = {
        {NULL, NULL, PCOL_PYRO_FOLDED, NULL},
        {"folded", "text/plain", PCOL_PYRO_FOLDED, NULL},
        {"collapsed", NULL, PCOL_PYRO_FOLDED, NULL},
        {"whatever", "application/octet-stream", PCOL_PYRO_FOLDED, NULL},
        {"pprof", "application/octet-stream", PCOL_PYRO_PPROF, NULL},
        /* format=pprof wins over a multipart Content-Type, as in Pyroscope. */
        {"pprof", "multipart/form-data; boundary=x", PCOL_PYRO_PPROF, NULL},
        {NULL, "Multipart/Form-Data; boundary=x", PCOL_PYRO_MULTIPART, NULL},
        {"lines", "multipart/form-data; boundary=x", PCOL_PYRO_LINES, NULL},
        {"trie", NULL, PCOL_PYRO_UNSUPPORTED, "trie"},
        {"pprof", "binary/octet-stream+trie", PCOL_PYRO_UNSUPPORTED, "trie"},
        {NULL, "binary/octet-stream+tree", PCOL_PYRO_UNSUPPORTED, "tree"},
        {"tree", NULL, PCOL_PYRO_UNSUPPORTED, "tree"},
        {"jfr", "multipart/form-data; boundary=x", PCOL_PYRO_UNSUPPORTED, "jfr"},
        {"speedscope", NULL, PCOL_PYRO_UNSUPPORTED, "speedscope"},
    };
    const char *name;
    size_t i;

    (void)state;
    for (i = 0; i < PCOL_ARRAY_SIZE(cases); i++) {
        assert_int_equal(pcol_pyro_select_format(cases[i].format, cases[i].ctype, &name),
                         cases[i].want);
        if (cases[i].name) {
            assert_string_equal(name, cases[i].name);
        } else {
            assert_null(name);
        }
    }
}

/* ---- multipart --------------------------------------------------------------------------- */

static void test_multipart_boundary(void **state)
{
    char b[PCOL_MULTIPART_MAX_BOUNDARY + 1], longer[400];
    struct pcol_err err = {{0}};

    (void)state;
    assert_int_equal(pcol_multipart_boundary("multipart/form-data; boundary=abc123", b, &err), 0);
    assert_string_equal(b, "abc123");
    assert_int_equal(
        pcol_multipart_boundary("multipart/form-data; boundary=\"a b;c\\\"d\"", b, &err), 0);
    assert_string_equal(b, "a b;c\"d");
    assert_int_equal(pcol_multipart_boundary("Multipart/Form-Data; charset=\"x;y\"; "
                                             "BOUNDARY = ----formdata-undici-0123",
                                             b, &err),
                     0);
    assert_string_equal(b, "----formdata-undici-0123");
    assert_int_equal(pcol_multipart_boundary("multipart/form-data", b, &err), PCOL_EINVAL);
    assert_non_null(strstr(err.msg, "no boundary"));
    assert_int_equal(pcol_multipart_boundary(NULL, b, &err), PCOL_EINVAL);
    assert_int_equal(pcol_multipart_boundary("multipart/form-data; boundary=\"\"", b, &err),
                     PCOL_EINVAL);
    assert_int_equal(pcol_multipart_boundary("multipart/form-data; boundary=\"abc", b, &err),
                     PCOL_EINVAL);
    memset(longer, 'x', sizeof(longer));
    memcpy(longer, "multipart/form-data; boundary=", 30);
    longer[30 + PCOL_MULTIPART_MAX_BOUNDARY + 1] = '\0';
    assert_int_equal(pcol_multipart_boundary(longer, b, &err), PCOL_EINVAL);
    assert_non_null(strstr(err.msg, "longer than"));
    longer[30 + PCOL_MULTIPART_MAX_BOUNDARY] = '\0';
    assert_int_equal(pcol_multipart_boundary(longer, b, &err), 0);
}

static int parse(const char *body, size_t len, struct pcol_multipart *m, struct pcol_err *err)
{
    memset(err, 0, sizeof(*err));
    return pcol_multipart_parse((const uint8_t *)body, len, "XyZ", m, err);
}

static void assert_part(const struct pcol_multipart_part *p, const char *name, bool is_file,
                        const char *data, size_t len)
{
    assert_non_null(p);
    assert_string_equal(p->name, name);
    assert_int_equal(p->is_file, is_file);
    assert_int_equal(p->len, len);
    assert_memory_equal(p->data, data, len);
}

/* What Go's mime/multipart writes for pyroscope-go: CRLF lines, file parts
 * with filenames; data holding CRLF, a "--XyZ" not at a line start and NUL. */
static void test_multipart_go_style(void **state)
{
    static const char body[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"profile\"; filename=\"profile.pprof\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "\x1f\x8b\r\nab--XyZ\0c\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"sample_type_config\"; "
        "filename=\"sample_type_config.json\"\r\n"
        "\r\n"
        "{\"a\":1}\r\n"
        "--XyZ\r\n"
        "content-disposition: form-data; name=spyName\r\n"
        "\r\n"
        "gospy\r\n"
        "--XyZ--\r\n";
    struct pcol_multipart m;
    struct pcol_err err;

    (void)state;
    assert_int_equal(parse(body, sizeof(body) - 1, &m, &err), 0);
    assert_int_equal(m.n, 3);
    assert_part(&m.v[0], "profile", true, "\x1f\x8b\r\nab--XyZ\0c", 13);
    assert_part(&m.v[1], "sample_type_config", true, "{\"a\":1}", 7);
    assert_part(&m.v[2], "spyName", false, "gospy", 5);
    assert_ptr_equal(pcol_multipart_find(&m, "spyName"), &m.v[2]);
    assert_null(pcol_multipart_find(&m, "prev_profile"));
    pcol_multipart_free(&m);
}

/* LF-only lines, blanks after a delimiter, a preamble, an epilogue, an empty
 * part, RFC 5987 filename*, a part without Content-Disposition; a file part
 * wins over a plain one of the same name. */
static void test_multipart_lf_and_extras(void **state)
{
    static const char body[] =
        "preamble --XyZ not a delimiter\n"
        "--XyZ   \n"
        "Content-Disposition: form-data; name=\"profile\"\n"
        "\n"
        "plain\n"
        "--XyZ\n"
        "Content-Disposition: form-data; name=\"profile\"; filename=profile\n"
        "\n"
        "file\n"
        "--XyZ\n"
        "Content-Disposition: form-data; name=\"empty\"; filename*=UTF-8''e\n"
        "\n"
        "\n"
        "--XyZ\n"
        "\n"
        "no disposition\n"
        "--XyZ--\n"
        "epilogue\n";
    struct pcol_multipart m;
    struct pcol_err err;

    (void)state;
    assert_int_equal(parse(body, sizeof(body) - 1, &m, &err), 0);
    assert_int_equal(m.n, 4);
    assert_part(&m.v[0], "profile", false, "plain", 5);
    assert_part(&m.v[1], "profile", true, "file", 4);
    assert_part(&m.v[2], "empty", true, "", 0);
    assert_part(&m.v[3], "", false, "no disposition", 14);
    assert_ptr_equal(pcol_multipart_find(&m, "profile"), &m.v[1]);
    pcol_multipart_free(&m);

    /* Only a close delimiter: no parts. */
    assert_int_equal(parse("--XyZ--\r\n", 9, &m, &err), 0);
    assert_int_equal(m.n, 0);
    pcol_multipart_free(&m);
}

static void test_multipart_errors(void **state)
{
    static const struct {
        const char *body;
        const char *msg;
    } cases[] = {
        {"", "no \"--XyZ\" boundary line"},
        {"just text\r\n", "no \"--XyZ\" boundary line"},
        {"--XyZX\r\n\r\ndata\r\n--XyZX--\r\n", "no \"--XyZ\" boundary line"},
        /* the closing delimiter is missing */
        {"--XyZ\r\nContent-Disposition: form-data; name=\"profile\"\r\n\r\ndata\r\n",
         "closing \"--XyZ--\" missing"},
        {"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ndata\r\n--XyZ\r\n",
         "headers of part 1 never end"},
        {"--XyZ\r\nContent-Disposition: form-data; name=\"profile", "headers of part 0 never end"},
        {"--XyZ\r\nContent-Disposition: form-data; name=\"pro\r\n\r\nx\r\n--XyZ--",
         "unterminated quote"},
        {"--XyZ\r\nContent-Disposition: form-data; name=p; filename=\"x\r\n\r\nx\r\n--XyZ--",
         "unterminated quote"},
    };
    struct pcol_multipart m;
    struct pcol_err err;
    size_t i;

    (void)state;
    for (i = 0; i < PCOL_ARRAY_SIZE(cases); i++) {
        assert_int_equal(parse(cases[i].body, strlen(cases[i].body), &m, &err), PCOL_EINVAL);
        assert_null(m.v);
        if (!strstr(err.msg, cases[i].msg)) {
            fail_msg("case %zu: got \"%s\", expected \"%s\"", i, err.msg, cases[i].msg);
        }
    }
}

/* ---- JSON --------------------------------------------------------------------------------- */

static void test_json_check(void **state)
{
    static const char *const good[] = {
        "{\"alloc_objects\":{\"units\":\"objects\",\"aggregation\":\"sum\",\"display-name\":"
        "\"alloc_objects\",\"sampled\":true,\"cumulative\":false}}",
        " [ ] ",
        "\"\\u00e9\\n\\\"\"",
        "null",
        "-0.5e+3",
        "[1,2.0,{\"a\":[null,false]}]",
        "0",
    };
    static const char *const bad[] = {
        "",   "{",  "{\"a\":}", "{\"a\" 1}", "[1,]",     "tru",         "{\"a\":1} x", "\"\\x\"",
        "01", "1.", "-",        "{a:1}",     "\"\x01\"", "\"\\u12g4\"", "[1 2]",       "'a'",
    };
    char deep[200];
    struct pcol_err err = {{0}};
    size_t i;

    (void)state;
    for (i = 0; i < PCOL_ARRAY_SIZE(good); i++) {
        if (pcol_json_check((const uint8_t *)good[i], strlen(good[i]), &err) != 0) {
            fail_msg("good JSON %zu refused: %s", i, err.msg);
        }
    }
    for (i = 0; i < PCOL_ARRAY_SIZE(bad); i++) {
        if (pcol_json_check((const uint8_t *)bad[i], strlen(bad[i]), &err) != PCOL_EINVAL) {
            fail_msg("bad JSON \"%s\" accepted", bad[i]);
        }
        assert_non_null(strstr(err.msg, "invalid JSON at byte"));
    }
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    assert_int_equal(pcol_json_check((const uint8_t *)deep, sizeof(deep), &err), PCOL_EINVAL);
}

/* ---- app-name suffix table ------------------------------------------------------------------- */

static void test_app_suffix(void **state)
{
    size_t len;

    (void)state;
    assert_string_equal(pcol_pyro_app_suffix("myapp.cpu", &len), "cpu");
    assert_int_equal(len, 5);
    assert_string_equal(pcol_pyro_app_suffix("myapp", &len), "");
    assert_int_equal(len, 5);
    assert_string_equal(pcol_pyro_app_suffix("my.app.alloc_space", &len), "alloc_space");
    assert_int_equal(len, 6);
}

static void test_text_sample_types(void **state)
{
    static const struct {
        const char *suffix;
        int64_t rate;
        const char *type, *unit, *period_type;
        int64_t period;
    } cases[] = {
        {"", 100, "cpu", "nanoseconds", "cpu", 10000000},
        {"cpu", 17, "cpu", "nanoseconds", "cpu", 58823529},
        {"itimer", 100, "cpu", "nanoseconds", "cpu", 10000000},
        {"cpu", 0, "samples", "count", NULL, 1},
        {"wall", 100, "wall", "nanoseconds", "wall", 10000000},
        {"milliseconds", 1000, "wall", "nanoseconds", "wall", 1000000},
        {"seconds", 0, "samples", "count", NULL, 1},
        {"alloc_space", 100, "alloc_space", "bytes", NULL, 1},
        {"inuse_objects", 100, "inuse_objects", "count", NULL, 1},
        {"goroutines", 100, "goroutine", "count", NULL, 1},
        {"mutex_count", 100, "contentions", "count", NULL, 1},
        {"mutex_duration", 100, "delay", "nanoseconds", NULL, 1},
        {"block_duration", 100, "delay", "nanoseconds", NULL, 1},
        {"lock_count", 100, "contentions", "count", NULL, 1},
        {"alloc_in_new_tlab_bytes", 100, "alloc_in_new_tlab_bytes", "bytes", NULL, 1},
        {"live", 100, "live", "count", NULL, 1},
        {"exceptions", 100, "samples", "count", NULL, 1},
        {"bytes", 100, "samples", "bytes", NULL, 1},
    };
    struct pcol_pyro_sample_type st;
    struct pcol_err err = {{0}};
    size_t i;

    (void)state;
    for (i = 0; i < PCOL_ARRAY_SIZE(cases); i++) {
        assert_int_equal(pcol_pyro_text_sample_type(cases[i].suffix, cases[i].rate, &st, &err), 0);
        assert_string_equal(st.type, cases[i].type);
        assert_string_equal(st.unit, cases[i].unit);
        if (cases[i].period_type) {
            assert_string_equal(st.period_type, cases[i].period_type);
            assert_string_equal(st.period_unit, "nanoseconds");
        } else {
            assert_null(st.period_type);
        }
        assert_int_equal(st.period, cases[i].period);
    }
    assert_int_equal(pcol_pyro_text_sample_type("app", 100, &st, &err), PCOL_EINVAL);
    assert_non_null(strstr(err.msg, "unknown profile type \"app\""));
    assert_int_equal(pcol_pyro_text_sample_type("CPU", 100, &st, &err), PCOL_EINVAL);
}

/* ---- text formats -------------------------------------------------------------------------- */

static const struct pcol_profile *only_profile(const struct pcol_batch *b)
{
    assert_int_equal(b->n_resources, 1);
    assert_int_equal(b->resources[0].n_scopes, 1);
    assert_int_equal(b->resources[0].scopes[0].n_profiles, 1);
    return &b->resources[0].scopes[0].profiles[0];
}

/* The sample's frames, leaf first, joined with ';'. */
static void stack_text(const struct pcol_batch *b, const struct pcol_sample *s, char *out,
                       size_t size)
{
    const struct pcol_stack *st = pcol_stack_at(b, s->stack);
    size_t n = 0;
    uint32_t i;

    out[0] = '\0';
    for (i = 0; i < st->locations.n; i++) {
        const struct pcol_location *loc = pcol_location_at(b, st->locations.v[i]);
        assert_int_equal(loc->n_lines, 1);
        assert_int_equal(loc->mapping, 0);
        assert_true(loc->address == 0);
        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? ";" : "",
                              pcol_cstr(b, pcol_function_at(b, loc->lines[0].function)->name));
    }
}

static void assert_sample(const struct pcol_batch *b, const struct pcol_profile *p, uint32_t i,
                          const char *leaf_first, int64_t value)
{
    char text[256];

    assert_true(i < p->n_samples);
    stack_text(b, &p->samples[i], text, sizeof(text));
    assert_string_equal(text, leaf_first);
    assert_int_equal(p->samples[i].n_values, 1);
    assert_int_equal(p->samples[i].values[0], value);
}

static int parse_text(struct pcol_batch *b, bool lines, const char *text, const char *suffix,
                      int64_t rate, struct pcol_err *err)
{
    struct pcol_pyro_sample_type st;

    assert_int_equal(pcol_pyro_text_sample_type(suffix, rate, &st, err), 0);
    memset(err, 0, sizeof(*err));
    return pcol_pyro_parse_text(b, lines, (const uint8_t *)text, strlen(text), &st, err);
}

static void test_folded(void **state)
{
    static const char text[] = "main;work;leaf 10\n"
                               "main;work 5\r\n"
                               "no_space_line_is_skipped\n"
                               "\n"
                               "main;work;leaf 2\n"
                               "x;;y 3\n"
                               "a b;c d 7"; /* no final newline */
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_err err;
    const struct pcol_profile *p;

    (void)state;
    assert_int_equal(parse_text(b, false, text, "cpu", 100, &err), 0);
    p = only_profile(b);
    assert_string_equal(pcol_cstr(b, p->sample_type.type), "cpu");
    assert_string_equal(pcol_cstr(b, p->sample_type.unit), "nanoseconds");
    assert_string_equal(pcol_cstr(b, p->period_type.type), "cpu");
    assert_int_equal(p->period, 10000000);
    assert_int_equal(p->n_samples, 4);
    assert_sample(b, p, 0, "leaf;work;main", 12 * 10000000);
    assert_sample(b, p, 1, "work;main", 5 * 10000000);
    assert_sample(b, p, 2, "y;x", 3 * 10000000);
    assert_sample(b, p, 3, "c d;a b", 7 * 10000000);
    /* One function and one location per distinct name (+ the zero entries). */
    assert_int_equal(b->dict.functions.n, 8);
    assert_int_equal(b->dict.locations.n, 8);
    pcol_batch_release(b);
}

static void test_folded_errors(void **state)
{
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        {"a;b 1.5", "line 1: the count \"1.5\""},
        {"a;b 1\na;b -3", "line 2: the count \"-3\""},
        {"a;b 1\n\na;b ", "line 3: the count \"\""},
        {"a;b 99999999999999999999", "line 1: the count"},
        {"a;b 9223372036854775807", "line 1: count 9223372036854775807 times the period"},
        {"a 9223372036854775807\na 9223372036854775807", "line 2: the stack's total overflows"},
    };
    struct pcol_batch *b;
    struct pcol_err err;
    size_t i;

    (void)state;
    for (i = 0; i < PCOL_ARRAY_SIZE(cases); i++) {
        b = pcol_batch_create(0);
        assert_int_equal(parse_text(b, false, cases[i].text, "cpu", i == 5 ? 0 : 100, &err),
                         PCOL_EINVAL);
        if (!strstr(err.msg, cases[i].msg)) {
            fail_msg("case %zu: got \"%s\", expected \"%s\"", i, err.msg, cases[i].msg);
        }
        pcol_batch_release(b);
    }
}

static void test_folded_nothing(void **state)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_err err;

    (void)state;
    assert_int_equal(parse_text(b, false, "no_space\nalso-none\n\n 5\n", "", 100, &err), 0);
    assert_int_equal(b->n_resources, 0);
    pcol_batch_release(b);
}

static void test_lines(void **state)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_err err;
    const struct pcol_profile *p;

    (void)state;
    assert_int_equal(
        parse_text(b, true, "main;a\r\nmain;b\n\nmain;a\nmain;a 1\n", "alloc_space", 100, &err), 0);
    p = only_profile(b);
    assert_string_equal(pcol_cstr(b, p->sample_type.type), "alloc_space");
    assert_string_equal(pcol_cstr(b, p->sample_type.unit), "bytes");
    assert_int_equal(p->period_type.type, 0);
    assert_int_equal(p->period, 0);
    assert_int_equal(p->n_samples, 3);
    assert_sample(b, p, 0, "a;main", 2);
    assert_sample(b, p, 1, "b;main", 1);
    assert_sample(b, p, 2, "a 1;main", 1); /* lines have no count */
    pcol_batch_release(b);
}

/* ---- labelling and times ------------------------------------------------------------------- */

static const char *res_attr(struct pcol_batch *b, const struct pcol_resource *r, const char *key)
{
    int32_t k = pcol_dict_find_str(b, key, strlen(key));
    const struct pcol_kv *kv = k > 0 ? pcol_kvs_find(r->attrs, r->n_attrs, k) : NULL;

    if (!kv) {
        return NULL;
    }
    assert_int_equal(kv->value.kind, PCOL_VAL_STR);
    return pcol_cstr(b, kv->value.u.str);
}

static void test_label_pprof(void **state)
{
    struct pcol_buf in = {0};
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_pyro_name name;
    struct pcol_err err = {{0}};
    const struct pcol_resource *r;

    (void)state;
    tu_read_corpus("parca__two-stacks.pb.gz", &in);
    assert_int_equal(pcol_pprof_decode(b, in.p, in.len, NULL, &err), 0);
    assert_int_equal(pcol_pyro_parse_name("svc.cpu{region=eu,service.name=other,z=1}", &name, &err),
                     0);
    pcol_pyro_label(b, 0, name.app, 3, &name, "gospy");
    r = &b->resources[0];
    assert_int_equal(r->n_attrs, 4);
    /* A tag of the same key replaces the service name. */
    assert_string_equal(res_attr(b, r, "service.name"), "other");
    assert_string_equal(res_attr(b, r, "region"), "eu");
    assert_string_equal(res_attr(b, r, "z"), "1");
    assert_string_equal(res_attr(b, r, PCOL_PYRO_ATTR_SPY), "gospy");
    pcol_pyro_name_free(&name);

    assert_int_equal(pcol_pyro_parse_name("svc.cpu", &name, &err), 0);
    pcol_pyro_label(b, 0, name.app, 3, &name, NULL);
    assert_int_equal(r->n_attrs, 4);
    assert_string_equal(res_attr(b, r, "service.name"), "svc");
    pcol_pyro_name_free(&name);
    pcol_buf_free(&in);
    pcol_batch_release(b);
}

static void test_fill_times(void **state)
{
    const uint64_t from = 1795234802ull * S_NS, until = from + 10 * S_NS;
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_err err;
    struct pcol_profile *p;

    (void)state;
    assert_int_equal(parse_text(b, false, "a 1\n", "cpu", 100, &err), 0);
    assert_int_equal(parse_text(b, false, "b 1\n", "cpu", 100, &err), 0);
    assert_int_equal(parse_text(b, false, "c 1\n", "cpu", 100, &err), 0);
    /* profile 1 has a real time, profile 2 a 1970 one with a duration */
    b->resources[1].scopes[0].profiles[0].time_unix_nano = from - 60 * S_NS;
    b->resources[2].scopes[0].profiles[0].time_unix_nano = 5 * S_NS;
    b->resources[2].scopes[0].profiles[0].duration_nano = 3 * S_NS;
    pcol_pyro_fill_times(b, 0, from, until);
    p = &b->resources[0].scopes[0].profiles[0];
    assert_true(p->time_unix_nano == from && p->duration_nano == 10 * S_NS);
    p = &b->resources[1].scopes[0].profiles[0];
    assert_true(p->time_unix_nano == from - 60 * S_NS && p->duration_nano == 0);
    p = &b->resources[2].scopes[0].profiles[0];
    assert_true(p->time_unix_nano == from && p->duration_nano == 3 * S_NS);
    pcol_batch_release(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_plain),
        cmocka_unit_test(test_name_tags),
        cmocka_unit_test(test_name_errors),
        cmocka_unit_test(test_time_digit_rules),
        cmocka_unit_test(test_time_relative),
        cmocka_unit_test(test_time_errors),
        cmocka_unit_test(test_sample_rate),
        cmocka_unit_test(test_format_selection),
        cmocka_unit_test(test_multipart_boundary),
        cmocka_unit_test(test_multipart_go_style),
        cmocka_unit_test(test_multipart_lf_and_extras),
        cmocka_unit_test(test_multipart_errors),
        cmocka_unit_test(test_json_check),
        cmocka_unit_test(test_app_suffix),
        cmocka_unit_test(test_text_sample_types),
        cmocka_unit_test(test_folded),
        cmocka_unit_test(test_folded_errors),
        cmocka_unit_test(test_folded_nothing),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_label_pprof),
        cmocka_unit_test(test_fill_times),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
