/* SPDX-License-Identifier: Apache-2.0 */
/* test_option.c: the option engine: every type good and bad (with exact
 * positions), defaults, bounds, enums, unknown keys, required, sections,
 * secrets, deprecation, the table self-check and the describe output. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "option.h"

/* ---- a table that uses every type -------------------------------------------- */

struct tls_opts {
    bool insecure;
    const char *cert_file;
    int min_version;
};

struct action {
    const char *key;
    const char *value;
    int action;
};

struct test_ctx {
    bool flag;
    int64_t count;
    uint64_t ucount;
    double ratio;
    const char *name;
    int mode;
    int64_t timeout;
    uint64_t limit;
    struct pcol_endpoint endpoint;
    struct pcol_str_list tags;
    struct pcol_str_map headers;
    struct tls_opts tls;
    struct pcol_section_list actions;
    const char *token;
    const char *old_name;
};

static const char *const modes[] = {"fast", "safe", "off", NULL};
static const char *const tls_versions[] = {"1.2", "1.3", NULL};
static const char *const action_names[] = {"insert", "update", "upsert", "delete", NULL};

static const struct pcol_option tls_table[] = {
    {.name = "insecure",
     .type = PCOL_OPT_BOOL,
     .offset = offsetof(struct tls_opts, insecure),
     .def = "false",
     .help = "Send in plain text."},
    {.name = "cert_file",
     .type = PCOL_OPT_STRING,
     .offset = offsetof(struct tls_opts, cert_file),
     .help = "Certificate path."},
    {.name = "min_version",
     .type = PCOL_OPT_ENUM,
     .enum_names = tls_versions,
     .def = "1.2",
     .offset = offsetof(struct tls_opts, min_version),
     .help = "Oldest TLS version."},
    {0},
};

static const struct pcol_option action_table[] = {
    {.name = "key",
     .type = PCOL_OPT_STRING,
     .offset = offsetof(struct action, key),
     .flags = PCOL_OPT_REQUIRED,
     .help = "Attribute key."},
    {.name = "value",
     .type = PCOL_OPT_STRING,
     .offset = offsetof(struct action, value),
     .help = "Attribute value."},
    {.name = "action",
     .type = PCOL_OPT_ENUM,
     .enum_names = action_names,
     .def = "upsert",
     .offset = offsetof(struct action, action),
     .help = "What to do."},
    {0},
};

static const struct pcol_option table[] = {
    {.name = "flag",
     .type = PCOL_OPT_BOOL,
     .offset = offsetof(struct test_ctx, flag),
     .def = "false",
     .help = "A switch."},
    {.name = "count",
     .type = PCOL_OPT_INT,
     .offset = offsetof(struct test_ctx, count),
     .def = "-5",
     .min = "-10",
     .max = "100",
     .help = "A signed number."},
    {.name = "ucount",
     .type = PCOL_OPT_UINT,
     .offset = offsetof(struct test_ctx, ucount),
     .def = "7",
     .max = "1000",
     .help = "An unsigned number."},
    {.name = "ratio",
     .type = PCOL_OPT_DOUBLE,
     .offset = offsetof(struct test_ctx, ratio),
     .def = "0.5",
     .min = "0",
     .max = "1",
     .help = "A fraction."},
    {.name = "name",
     .type = PCOL_OPT_STRING,
     .offset = offsetof(struct test_ctx, name),
     .def = "profcol",
     .min = "1",
     .max = "16",
     .help = "A short name."},
    {.name = "mode",
     .type = PCOL_OPT_ENUM,
     .offset = offsetof(struct test_ctx, mode),
     .enum_names = modes,
     .def = "safe",
     .help = "How to run."},
    {.name = "timeout",
     .type = PCOL_OPT_DURATION,
     .offset = offsetof(struct test_ctx, timeout),
     .def = "5s",
     .min = "1ms",
     .max = "1h",
     .help = "Per-attempt timeout."},
    {.name = "limit",
     .type = PCOL_OPT_SIZE,
     .offset = offsetof(struct test_ctx, limit),
     .def = "4MiB",
     .min = "1KiB",
     .help = "Largest body."},
    {.name = "endpoint",
     .type = PCOL_OPT_ENDPOINT,
     .offset = offsetof(struct test_ctx, endpoint),
     .def = "localhost:4318",
     .help = "Address to listen on."},
    {.name = "tags",
     .type = PCOL_OPT_STRING_LIST,
     .offset = offsetof(struct test_ctx, tags),
     .def = "[a, b]",
     .max = "3",
     .help = "Labels."},
    {.name = "headers",
     .type = PCOL_OPT_STRING_MAP,
     .offset = offsetof(struct test_ctx, headers),
     .help = "Extra headers."},
    {.name = "tls",
     .type = PCOL_OPT_SECTION,
     .offset = offsetof(struct test_ctx, tls),
     .sub = tls_table,
     .help = "TLS settings."},
    {.name = "actions",
     .type = PCOL_OPT_SECTION_LIST,
     .offset = offsetof(struct test_ctx, actions),
     .sub = action_table,
     .elem_size = sizeof(struct action),
     .max = "4",
     .help = "Attribute actions."},
    {.name = "token",
     .type = PCOL_OPT_STRING,
     .offset = offsetof(struct test_ctx, token),
     .min = "8",
     .flags = PCOL_OPT_SECRET,
     .help = "Bearer token."},
    {.name = "old_name",
     .type = PCOL_OPT_STRING,
     .offset = offsetof(struct test_ctx, old_name),
     .flags = PCOL_OPT_DEPRECATED,
     .help = "Use name instead."},
    {0},
};

/* ---- fixture ----------------------------------------------------------------------- */

struct fx {
    struct pcol_config *cfg;
    struct pcol_arena *arena;
    struct pcol_diag d;
    struct test_ctx ctx;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    f->cfg = pcol_config_create();
    f->arena = pcol_arena_create(0);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;

    pcol_diag_free(&f->d);
    pcol_arena_destroy(f->arena);
    pcol_config_destroy(f->cfg);
    free(f);
    return 0;
}

/* Loads `yaml` (one mapping) and applies `t` to it; returns the apply code. */
static int apply_yaml(struct fx *f, const struct pcol_option *t, const char *yaml, void *ctx)
{
    assert_int_equal(pcol_config_load_string(f->cfg, "t.yaml", yaml, &f->d), 0);
    return pcol_options_apply(t, pcol_config_root(f->cfg), ctx, f->arena, &f->d);
}

static void assert_defaults(const struct test_ctx *c)
{
    assert_false(c->flag);
    assert_int_equal(c->count, -5);
    assert_int_equal(c->ucount, 7);
    assert_true(c->ratio == 0.5);
    assert_string_equal(c->name, "profcol");
    assert_int_equal(c->mode, 1);
    assert_int_equal(c->timeout, 5000000000LL);
    assert_int_equal(c->limit, 4u << 20);
    assert_string_equal(c->endpoint.host, "localhost");
    assert_int_equal(c->endpoint.port, 4318);
    assert_int_equal(c->tags.n, 2);
    assert_string_equal(c->tags.v[0], "a");
    assert_string_equal(c->tags.v[1], "b");
    assert_int_equal(c->headers.n, 0);
    assert_false(c->tls.insecure);
    assert_null(c->tls.cert_file);
    assert_int_equal(c->tls.min_version, 0);
    assert_int_equal(c->actions.n, 0);
    assert_null(c->token);
    assert_null(c->old_name);
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_table_is_valid(void **state)
{
    struct fx *f = *state;

    assert_int_equal(pcol_options_check_table(table, &f->d), 0);
    assert_int_equal(f->d.n, 0);
}

static void test_defaults_when_absent(void **state)
{
    struct fx *f = *state;

    memset(&f->ctx, 0xa5, sizeof(f->ctx));
    assert_int_equal(pcol_options_apply(table, NULL, &f->ctx, f->arena, &f->d), 0);
    assert_defaults(&f->ctx);
    /* An empty mapping and a YAML null mean the same. */
    memset(&f->ctx, 0xa5, sizeof(f->ctx));
    assert_int_equal(apply_yaml(f, table, "{}\n", &f->ctx), 0);
    assert_defaults(&f->ctx);
    assert_int_equal(f->d.n, 0);
}

static void test_null_value_keeps_default(void **state)
{
    struct fx *f = *state;

    assert_int_equal(apply_yaml(f, table, "timeout:\nname: ~\ntls:\n", &f->ctx), 0);
    assert_defaults(&f->ctx);
}

static void test_good_values(void **state)
{
    struct fx *f = *state;
    const struct action *a;
    const char *yaml = "flag: true\n"
                       "count: -10\n"
                       "ucount: 0x10\n"
                       "ratio: 1\n"
                       "name: \"my name\"\n"
                       "mode: off\n"
                       "timeout: 1m30s\n"
                       "limit: 64KiB\n"
                       "endpoint: \"[::1]:0\"\n"
                       "tags: [x, \"y z\", '']\n"
                       "headers: {X-Scope-OrgID: tenant, Empty: }\n"
                       "tls: {insecure: True, cert_file: /etc/cert.pem, min_version: \"1.3\"}\n"
                       "actions:\n"
                       "  - key: service.name\n"
                       "    value: api\n"
                       "  - {key: env, action: delete}\n"
                       "token: s3cr3t-t0ken\n";

    assert_int_equal(apply_yaml(f, table, yaml, &f->ctx), 0);
    assert_int_equal(f->d.n, 0);
    assert_true(f->ctx.flag);
    assert_int_equal(f->ctx.count, -10);
    assert_int_equal(f->ctx.ucount, 16);
    assert_true(f->ctx.ratio == 1.0);
    assert_string_equal(f->ctx.name, "my name");
    assert_int_equal(f->ctx.mode, 2);
    assert_int_equal(f->ctx.timeout, 90000000000LL);
    assert_int_equal(f->ctx.limit, 65536);
    assert_string_equal(f->ctx.endpoint.host, "::1");
    assert_int_equal(f->ctx.endpoint.port, 0);
    assert_int_equal(f->ctx.tags.n, 3);
    assert_string_equal(f->ctx.tags.v[1], "y z");
    assert_string_equal(f->ctx.tags.v[2], "");
    assert_null(f->ctx.tags.v[3]);
    assert_int_equal(f->ctx.headers.n, 2);
    assert_string_equal(f->ctx.headers.v[0].key, "X-Scope-OrgID");
    assert_string_equal(f->ctx.headers.v[0].value, "tenant");
    assert_string_equal(f->ctx.headers.v[1].key, "Empty");
    assert_string_equal(f->ctx.headers.v[1].value, "");
    assert_true(f->ctx.tls.insecure);
    assert_string_equal(f->ctx.tls.cert_file, "/etc/cert.pem");
    assert_int_equal(f->ctx.tls.min_version, 1);
    assert_int_equal(f->ctx.actions.n, 2);
    a = f->ctx.actions.v;
    assert_string_equal(a[0].key, "service.name");
    assert_string_equal(a[0].value, "api");
    assert_int_equal(a[0].action, 2); /* the sub-table default */
    assert_string_equal(a[1].key, "env");
    assert_null(a[1].value);
    assert_int_equal(a[1].action, 3);
    assert_string_equal(f->ctx.token, "s3cr3t-t0ken");
}

static void test_values_outlive_config(void **state)
{
    struct fx *f = *state;

    assert_int_equal(apply_yaml(f, table, "name: kept\ntags: [one]\n", &f->ctx), 0);
    pcol_config_destroy(f->cfg);
    f->cfg = pcol_config_create();
    assert_string_equal(f->ctx.name, "kept");
    assert_string_equal(f->ctx.tags.v[0], "one");
}

static void test_bad_values_exact_positions(void **state)
{
    struct fx *f = *state;
    const char *yaml = "flag: yes\n"                                /* 1 */
                       "count: 1.5\n"                               /* 2 */
                       "ucount: -1\n"                               /* 3 */
                       "ratio: abc\n"                               /* 4 */
                       "mode: fsat\n"                               /* 5 */
                       "timeout: 10\n"                              /* 6 */
                       "limit: 4M\n"                                /* 7 */
                       "endpoint: localhost\n"                      /* 8 */
                       "tags: just-one\n"                           /* 9 */
                       "headers: [a]\n"                             /* 10 */
                       "tls: {insecure: maybe}\n"                   /* 11 */
                       "actions: [{key: k, action: drop}, nope]\n"; /* 12 */

    assert_int_equal(apply_yaml(f, table, yaml, &f->ctx), PCOL_EINVAL);
    ASSERT_ERROR(&f->d, 1, 7, "option \"flag\": invalid boolean \"yes\" (use true or false)");
    ASSERT_ERROR(&f->d, 2, 8, "option \"count\": invalid integer \"1.5\"");
    ASSERT_ERROR(&f->d, 3, 9, "option \"ucount\": invalid unsigned integer \"-1\"");
    ASSERT_ERROR(&f->d, 4, 8, "option \"ratio\": invalid number \"abc\"");
    ASSERT_ERROR(&f->d, 5, 7, "invalid value \"fsat\" (allowed: fast, safe, off)");
    ASSERT_ERROR(&f->d, 6, 10, "duration \"10\" needs a unit, e.g. \"10s\"");
    ASSERT_ERROR(&f->d, 7, 8, "unknown unit in size \"4M\"");
    ASSERT_ERROR(&f->d, 8, 11, "endpoint \"localhost\" has no port");
    ASSERT_ERROR(&f->d, 9, 7, "option \"tags\": expected a sequence of strings, found a scalar");
    ASSERT_ERROR(&f->d, 10, 10,
                 "option \"headers\": expected a mapping of strings, found a "
                 "sequence");
    ASSERT_ERROR(&f->d, 11, 17, "option \"tls.insecure\": invalid boolean \"maybe\"");
    ASSERT_ERROR(&f->d, 12, 28,
                 "option \"actions[0].action\": invalid value \"drop\" (allowed: "
                 "insert, update, upsert, delete)");
    ASSERT_ERROR(&f->d, 12, 35, "option \"actions[1]\": expected a mapping, found a scalar");
    assert_int_equal(f->d.errors, 13);
    /* Every bad field kept its default. */
    assert_false(f->ctx.flag);
    assert_int_equal(f->ctx.count, -5);
    assert_int_equal(f->ctx.mode, 1);
    assert_int_equal(f->ctx.timeout, 5000000000LL);
    assert_int_equal(f->ctx.tags.n, 2);
    assert_false(f->ctx.tls.insecure);
}

static void test_wrong_node_kinds(void **state)
{
    struct fx *f = *state;

    assert_int_equal(apply_yaml(f, table, "count: [1]\ntls: on\ntags: [[a]]\n", &f->ctx),
                     PCOL_EINVAL);
    ASSERT_ERROR(&f->d, 1, 8, "option \"count\": expected an integer, found a sequence");
    ASSERT_ERROR(&f->d, 2, 6, "option \"tls\": expected a mapping of options, found a scalar");
    ASSERT_ERROR(&f->d, 3, 8, "option \"tags[0]\": expected a string");
    assert_int_equal(f->d.errors, 3);
}

static void test_bounds(void **state)
{
    struct fx *f = *state;
    const char *yaml = "count: 101\n"
                       "ucount: 1001\n"
                       "ratio: -0.1\n"
                       "name: a-name-longer-than-16\n"
                       "timeout: 2h\n"
                       "limit: 10B\n"
                       "tags: [a, b, c, d]\n"
                       "actions: [{key: a}, {key: b}, {key: c}, {key: d}, {key: e}]\n";

    assert_int_equal(apply_yaml(f, table, yaml, &f->ctx), PCOL_EINVAL);
    ASSERT_ERROR(&f->d, 1, 8, "\"101\" is out of range (must be between -10 and 100)");
    ASSERT_ERROR(&f->d, 2, 9, "\"1001\" is out of range (must be at most 1000)");
    ASSERT_ERROR(&f->d, 3, 8, "\"-0.1\" is out of range (must be between 0 and 1)");
    ASSERT_ERROR(&f->d, 4, 7, "option \"name\": is 21 characters long (must be between 1 and 16)");
    ASSERT_ERROR(&f->d, 5, 10, "\"2h\" is out of range (must be between 1ms and 1h)");
    ASSERT_ERROR(&f->d, 6, 8, "\"10B\" is out of range (must be at least 1KiB)");
    ASSERT_ERROR(&f->d, 7, 7, "option \"tags\": has 4 entries (must be at most 3)");
    ASSERT_ERROR(&f->d, 8, 10, "option \"actions\": has 5 entries (must be at most 4)");
    assert_int_equal(f->d.errors, 8);
    /* The edges themselves are fine. */
    pcol_diag_free(&f->d);
    pcol_config_destroy(f->cfg);
    f->cfg = pcol_config_create();
    assert_int_equal(apply_yaml(f, table, "count: 100\ntimeout: 1h\nlimit: 1KiB\n", &f->ctx), 0);
    assert_int_equal(f->ctx.count, 100);
}

static void test_unknown_key_did_you_mean(void **state)
{
    struct fx *f = *state;

    assert_int_equal(apply_yaml(f, table,
                                "endpiont: x:1\ntls:\n  insecur: true\nzzzzzz: 1\n"
                                "TIMEOUT: 1s\n",
                                &f->ctx),
                     PCOL_EINVAL);
    ASSERT_ERROR(&f->d, 1, 1, "unknown option \"endpiont\" (did you mean \"endpoint\"?)");
    ASSERT_ERROR(&f->d, 3, 3,
                 "unknown option \"insecur\" in \"tls\" (did you mean "
                 "\"insecure\"?)");
    ASSERT_ERROR(&f->d, 4, 1, "unknown option \"zzzzzz\"");
    ASSERT_ERROR(&f->d, 5, 1, "(did you mean \"timeout\"?)");
    assert_null(strstr(f->d.v[2].msg, "did you mean"));
    assert_int_equal(f->d.errors, 4);
    /* Unknown keys do not stop the known ones. */
    assert_true(f->ctx.ratio == 0.5);
}

struct req_ctx {
    const char *endpoint;
    bool other;
};

static const struct pcol_option req_table[] = {
    {.name = "endpoint",
     .type = PCOL_OPT_STRING,
     .offset = offsetof(struct req_ctx, endpoint),
     .flags = PCOL_OPT_REQUIRED,
     .help = "Where to send."},
    {.name = "other",
     .type = PCOL_OPT_BOOL,
     .offset = offsetof(struct req_ctx, other),
     .help = "Unused."},
    {0},
};

static void test_required_missing(void **state)
{
    struct fx *f = *state;
    struct req_ctx ctx;

    assert_int_equal(
        apply_yaml(f, table, "actions:\n  - key: a\n  - value: v\n    action: insert\n", &f->ctx),
        PCOL_EINVAL);
    ASSERT_ERROR(&f->d, 3, 5, "missing required option \"actions[1].key\"");
    assert_int_equal(f->d.errors, 1);

    pcol_diag_free(&f->d);
    pcol_config_destroy(f->cfg);
    f->cfg = pcol_config_create();
    /* An empty value counts as missing too; the error points at the mapping. */
    assert_int_equal(apply_yaml(f, req_table, "\n\nother: false\nendpoint:\n", &ctx), PCOL_EINVAL);
    ASSERT_ERROR(&f->d, 3, 1, "missing required option \"endpoint\"");
    assert_int_equal(f->d.errors, 1);
}

static void test_secret_never_echoed(void **state)
{
    struct fx *f = *state;
    size_t i;
    FILE *out;
    char *text = NULL;
    size_t len = 0;
    struct {
        int64_t pin;
        const char *password;
    } ctx;
    static const struct pcol_option secrets[] = {
        {.name = "pin",
         .type = PCOL_OPT_INT,
         .offset = 0,
         .flags = PCOL_OPT_SECRET,
         .help = "A secret number."},
        {.name = "password",
         .type = PCOL_OPT_STRING,
         .offset = sizeof(int64_t),
         .def = "hunter2-default",
         .flags = PCOL_OPT_SECRET,
         .help = "A password."},
        {0},
    };

    assert_int_equal(apply_yaml(f, table, "token: hunter2\n", &f->ctx), PCOL_EINVAL);
    ASSERT_ERROR(&f->d, 1, 8, "invalid value for secret option \"token\"");
    assert_int_equal(pcol_options_apply(secrets, NULL, &ctx, f->arena, &f->d), 0);
    assert_string_equal(ctx.password, "hunter2-default");

    pcol_config_destroy(f->cfg);
    f->cfg = pcol_config_create();
    assert_int_equal(apply_yaml(f, secrets, "pin: hunter2\n", &ctx), PCOL_EINVAL);
    ASSERT_ERROR(&f->d, 1, 6, "invalid value for secret option \"pin\"");
    for (i = 0; i < f->d.n; i++) {
        assert_null(strstr(f->d.v[i].msg, "hunter2"));
    }
    out = open_memstream(&text, &len);
    pcol_options_describe(secrets, out);
    fclose(out);
    assert_null(strstr(text, "hunter2"));
    assert_non_null(strstr(text, "(hidden)"));
    free(text);
}

static void test_deprecated_warns(void **state)
{
    struct fx *f = *state;

    assert_int_equal(apply_yaml(f, table, "old_name: legacy\n", &f->ctx), 0);
    ASSERT_WARNING(&f->d, 1, 1, "option \"old_name\" is deprecated: Use name instead.");
    assert_int_equal(f->d.errors, 0);
    assert_string_equal(f->ctx.old_name, "legacy");
}

struct one_duration {
    int64_t v;
};

static const struct pcol_option duration_table[] = {
    {.name = "d", .type = PCOL_OPT_DURATION, .offset = 0, .help = "Any duration."},
    {0},
};

static void test_every_duration_unit(void **state)
{
    static const struct {
        const char *text;
        int64_t ns;
    } good[] = {
        {"100ns", 100},
        {"500us", 500000},
        {"\"500\xc2\xb5s\"", 500000},
        {"250ms", 250000000},
        {"10s", 10000000000LL},
        {"1m30s", 90000000000LL},
        {"2h", 7200000000000LL},
        {"1.5h", 5400000000000LL},
        {"0", 0},
        {"-1s", -1000000000LL},
        {"1h2m3s4ms5us6ns", 3723004005006LL},
        {".5s", 500000000},
    };
    static const struct {
        const char *text, *error;
    } bad[] = {
        {"10", "duration \"10\" needs a unit, e.g. \"10s\""},
        {"1.5", "needs a unit"},
        {"10x", "unknown unit \"x\" in duration \"10x\""},
        {"s", "invalid duration \"s\""},
        {"\"\"", "invalid duration \"\""},
        {"3000000h", "is too long"},
        {"1s2", "has a number without a unit"},
    };
    struct fx *f = *state;
    struct one_duration c;
    char yaml[64];
    size_t i;

    for (i = 0; i < PCOL_ARRAY_SIZE(good); i++) {
        snprintf(yaml, sizeof(yaml), "d: %s\n", good[i].text);
        assert_int_equal(apply_yaml(f, duration_table, yaml, &c), 0);
        assert_int_equal(c.v, good[i].ns);
        pcol_config_destroy(f->cfg);
        f->cfg = pcol_config_create();
    }
    for (i = 0; i < PCOL_ARRAY_SIZE(bad); i++) {
        snprintf(yaml, sizeof(yaml), "d: %s\n", bad[i].text);
        assert_int_equal(apply_yaml(f, duration_table, yaml, &c), PCOL_EINVAL);
        ASSERT_ERROR(&f->d, 1, 4, bad[i].error);
        pcol_config_destroy(f->cfg);
        f->cfg = pcol_config_create();
    }
}

static const struct pcol_option size_table[] = {
    {.name = "s", .type = PCOL_OPT_SIZE, .offset = 0, .help = "Any size."},
    {0},
};

static void test_every_size_unit(void **state)
{
    static const struct {
        const char *text;
        uint64_t bytes;
    } good[] = {
        {"123", 123},
        {"0", 0},
        {"10B", 10},
        {"1KB", 1000},
        {"4MB", 4000000},
        {"1GB", 1000000000},
        {"2TB", 2000000000000ULL},
        {"64KiB", 65536},
        {"4MiB", 4194304},
        {"1GiB", 1073741824},
        {"1TiB", 1099511627776ULL},
        {"1.5KiB", 1536},
        {"10 MiB", 10485760},
        {"4mib", 4194304},
    };
    static const struct {
        const char *text, *error;
    } bad[] = {
        {"4M", "unknown unit in size \"4M\""},
        {"-1", "invalid size \"-1\""},
        {"1.5", "size \"1.5\" is not a whole number of bytes"},
        {"99999999999TiB", "is too large"},
        {"abc", "invalid size \"abc\""},
    };
    struct fx *f = *state;
    uint64_t c;
    char yaml[64];
    size_t i;

    for (i = 0; i < PCOL_ARRAY_SIZE(good); i++) {
        snprintf(yaml, sizeof(yaml), "s: %s\n", good[i].text);
        assert_int_equal(apply_yaml(f, size_table, yaml, &c), 0);
        assert_int_equal(c, good[i].bytes);
        pcol_config_destroy(f->cfg);
        f->cfg = pcol_config_create();
    }
    for (i = 0; i < PCOL_ARRAY_SIZE(bad); i++) {
        snprintf(yaml, sizeof(yaml), "s: %s\n", bad[i].text);
        assert_int_equal(apply_yaml(f, size_table, yaml, &c), PCOL_EINVAL);
        ASSERT_ERROR(&f->d, 1, 4, bad[i].error);
        pcol_config_destroy(f->cfg);
        f->cfg = pcol_config_create();
    }
}

static const struct pcol_option endpoint_table[] = {
    {.name = "e", .type = PCOL_OPT_ENDPOINT, .offset = 0, .help = "Any endpoint."},
    {0},
};

static void test_endpoints(void **state)
{
    static const struct {
        const char *text, *host;
        uint16_t port;
    } good[] = {
        {"localhost:4318", "localhost", 4318},
        {"0.0.0.0:0", "0.0.0.0", 0},
        {"\"[::1]:4317\"", "::1", 4317},
        {"\":8080\"", "", 8080},
        {"collector.example.com:65535", "collector.example.com", 65535},
    };
    static const struct {
        const char *text, *error;
    } bad[] = {
        {"localhost", "has no port"},
        {"\"::1:4317\"", "needs brackets, e.g. \"[::1]:4317\""},
        {"host:65536", "invalid port"},
        {"host:abc", "invalid port"},
        {"\"host:\"", "invalid port"},
        {"http://host:1", "not a URL"},
        {"\"[::1]4317\"", "expected [address]:port"},
        {"\"[]:80\"", "expected [address]:port"},
        {"\"a b:80\"", "invalid host"},
    };
    struct fx *f = *state;
    struct pcol_endpoint c;
    char yaml[64];
    size_t i;

    for (i = 0; i < PCOL_ARRAY_SIZE(good); i++) {
        snprintf(yaml, sizeof(yaml), "e: %s\n", good[i].text);
        assert_int_equal(apply_yaml(f, endpoint_table, yaml, &c), 0);
        assert_string_equal(c.host, good[i].host);
        assert_int_equal(c.port, good[i].port);
        pcol_config_destroy(f->cfg);
        f->cfg = pcol_config_create();
    }
    for (i = 0; i < PCOL_ARRAY_SIZE(bad); i++) {
        snprintf(yaml, sizeof(yaml), "e: %s\n", bad[i].text);
        assert_int_equal(apply_yaml(f, endpoint_table, yaml, &c), PCOL_EINVAL);
        ASSERT_ERROR(&f->d, 1, 4, bad[i].error);
        pcol_config_destroy(f->cfg);
        f->cfg = pcol_config_create();
    }
}

static void test_integer_edges(void **state)
{
    static const struct pcol_option ints[] = {
        {.name = "i", .type = PCOL_OPT_INT, .offset = 0, .help = "Signed."},
        {.name = "u", .type = PCOL_OPT_UINT, .offset = 8, .help = "Unsigned."},
        {.name = "f", .type = PCOL_OPT_DOUBLE, .offset = 16, .help = "Real."},
        {0},
    };
    struct {
        int64_t i;
        uint64_t u;
        double f;
    } c;
    struct fx *f = *state;

    assert_int_equal(apply_yaml(f, ints,
                                "i: -9223372036854775808\nu: 18446744073709551615\n"
                                "f: 1e-3\n",
                                &c),
                     0);
    assert_true(c.i == INT64_MIN);
    assert_true(c.u == UINT64_MAX);
    assert_true(c.f == 0.001);
    pcol_config_destroy(f->cfg);
    f->cfg = pcol_config_create();
    assert_int_equal(apply_yaml(f, ints,
                                "i: 9223372036854775808\nu: 18446744073709551616\n"
                                "f: .inf\n",
                                &c),
                     PCOL_EINVAL);
    ASSERT_ERROR(&f->d, 1, 4, "invalid integer");
    ASSERT_ERROR(&f->d, 2, 4, "invalid unsigned integer");
    ASSERT_ERROR(&f->d, 3, 4, "invalid number \".inf\"");
}

static char *describe_text(const struct pcol_option *t)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    pcol_options_describe(t, out);
    fclose(out);
    return text;
}

static void test_describe_and_markdown(void **state)
{
    static const char *const expect[] = {
        "OPTION",
        "DESCRIPTION",
        "endpoint",
        "localhost:4318",
        "Address to listen on.",
        "fast, safe, off",
        "1ms .. 1h",
        ">= 1KiB",
        "-10 .. 100",
        "<= 3 entries",
        "  tls.insecure",
        "  tls.min_version",
        "1.2, 1.3",
        "  actions[].key",
        "(required)",
        "Deprecated: Use name instead.",
        "Bearer token. (secret)",
        "section list",
    };
    struct pcol_buf md = {0};
    char *text = describe_text(table);
    size_t i;

    (void)state;
    for (i = 0; i < PCOL_ARRAY_SIZE(expect); i++) {
        if (!strstr(text, expect[i])) {
            fail_msg("describe output lacks \"%s\":\n%s", expect[i], text);
        }
    }
    free(text);
    pcol_options_markdown(table, &md);
    pcol_buf_putc(&md, '\0');
    assert_non_null(strstr((char *)md.p, "| Option | Type | Default | Range / values | "));
    assert_non_null(strstr((char *)md.p, "| `endpoint` | endpoint | `localhost:4318` |  | "
                                         "Address to listen on. |"));
    assert_non_null(strstr((char *)md.p, "| `actions[].key` | string | (required) |"));
    pcol_buf_free(&md);
}

static void test_check_table_catches_mistakes(void **state)
{
    static const char *const dup_enum[] = {"a", "a", NULL};
    static const struct pcol_option sub[] = {
        {.name = "x", .type = PCOL_OPT_DURATION, .def = "10", .help = "Bad default."},
        {0},
    };
    static const struct pcol_option bad[] = {
        {.name = "d", .type = PCOL_OPT_DURATION, .def = "1h", .max = "1m", .help = "Over max."},
        {.name = "d", .type = PCOL_OPT_BOOL, .help = "Twice."},
        {.name = "e", .type = PCOL_OPT_ENUM, .help = "No names."},
        {.name = "e2", .type = PCOL_OPT_ENUM, .enum_names = dup_enum, .help = "Dup."},
        {.name = "r",
         .type = PCOL_OPT_STRING,
         .def = "x",
         .flags = PCOL_OPT_REQUIRED,
         .help = "Required with default."},
        {.name = "h", .type = PCOL_OPT_INT},
        {.name = "s", .type = PCOL_OPT_SECTION, .help = "No sub-table."},
        {.name = "l", .type = PCOL_OPT_SECTION_LIST, .sub = sub, .help = "No elem_size."},
        {.name = "b", .type = PCOL_OPT_BOOL, .min = "1", .help = "Bounded bool."},
        {.name = "m", .type = PCOL_OPT_INT, .min = "5", .max = "1", .help = "min > max."},
        {.name = "t", .type = (enum pcol_opt_type)0, .help = "No type."},
        {.name = "n", .type = PCOL_OPT_SECTION, .sub = sub, .help = "Nested bad default."},
        {0},
    };
    static const char *const expect[] = {
        "\"d\": \"1h\" is out of range (must be at most 1m)",
        "\"d\": name is empty or used twice",
        "\"e\": an enum needs enum_names",
        "\"e2\": enum value \"a\" is listed twice",
        "\"r\": sections and required options take no default",
        "\"h\": no help text",
        "\"s\": sections, and only sections, need a sub-table",
        "\"l\": a section list needs elem_size",
        "\"b\": a bool takes no min/max",
        "\"m\": min is greater than max",
        "\"t\": unknown type 0",
        "option \"n.x\": duration \"10\" needs a unit",
    };
    struct fx *f = *state;
    size_t i, j;

    assert_int_equal(pcol_options_check_table(bad, &f->d), PCOL_EINVAL);
    for (i = 0; i < PCOL_ARRAY_SIZE(expect); i++) {
        for (j = 0; j < f->d.n && !strstr(f->d.v[j].msg, expect[i]); j++) {
        }
        if (j == f->d.n) {
            pcol_diag_print(&f->d, stderr);
            fail_msg("check_table did not report \"%s\"", expect[i]);
        }
    }
}

/* PCOL_OPT_PRESENCE: a written section, even empty, sets its flag; an
 * absent one does not, though its defaults are still written. */
struct presence_ctx {
    struct {
        uint64_t n;
    } sec;
    bool sec_present;
    bool other;
};

static const struct pcol_option presence_sub[] = {
    {"n", PCOL_OPT_UINT, 0, "7", NULL, NULL, NULL, 0, NULL, 0, "A number."},
    {0},
};

static const struct pcol_option presence_table[] = {
    {"sec", PCOL_OPT_SECTION, offsetof(struct presence_ctx, sec), NULL, NULL, NULL, NULL,
     PCOL_OPT_PRESENCE, presence_sub, 0, "On by presence.",
     offsetof(struct presence_ctx, sec_present)},
    {"other", PCOL_OPT_BOOL, offsetof(struct presence_ctx, other), "false", NULL, NULL, NULL, 0,
     NULL, 0, "Unrelated."},
    {0},
};

static void test_section_presence(void **state)
{
    struct fx *f = *state;
    struct presence_ctx c;

    memset(&c, 0, sizeof(c));
    assert_int_equal(apply_yaml(f, presence_table, "other: true\n", &c), 0);
    assert_false(c.sec_present);
    assert_int_equal(c.sec.n, 7);
    memset(&c, 0, sizeof(c));
    pcol_config_destroy(f->cfg);
    f->cfg = pcol_config_create();
    assert_int_equal(apply_yaml(f, presence_table, "sec: {}\n", &c), 0);
    assert_true(c.sec_present);
    assert_int_equal(c.sec.n, 7);
}

/* ---- regular expressions and typed scalars ------------------------------------ */

struct re_ctx {
    const struct pcol_regex *pattern;
    struct pcol_regex_list keep;
    struct pcol_scalar value;
    struct pcol_scalar other;
};

static const struct pcol_option re_table[] = {
    {.name = "pattern",
     .type = PCOL_OPT_REGEX,
     .offset = offsetof(struct re_ctx, pattern),
     .help = "A pattern."},
    {.name = "keep",
     .type = PCOL_OPT_REGEX_LIST,
     .offset = offsetof(struct re_ctx, keep),
     .def = "['^runtime\\.']",
     .max = "3",
     .help = "Patterns."},
    {.name = "value",
     .type = PCOL_OPT_SCALAR,
     .offset = offsetof(struct re_ctx, value),
     .help = "A value."},
    {.name = "other",
     .type = PCOL_OPT_SCALAR,
     .offset = offsetof(struct re_ctx, other),
     .def = "7",
     .help = "Another."},
    {0},
};

static void test_regex_and_scalar(void **state)
{
    struct fx *f = *state;
    struct re_ctx c;
    regmatch_t m[4];
    const char *s = "host-42.example";

    memset(&c, 0, sizeof(c));
    assert_int_equal(pcol_options_check_table(re_table, &f->d), 0);
    assert_int_equal(apply_yaml(f, re_table, "value: \"42\"\n", &c), 0);
    /* Defaults: the list compiles, the scalar keeps its text, unquoted. */
    assert_null(c.pattern);
    assert_int_equal(c.keep.n, 1);
    assert_true(pcol_regex_list_match(&c.keep, "runtime.mallocgc"));
    assert_false(pcol_regex_list_match(&c.keep, "main.runtime"));
    assert_string_equal(c.value.text, "42");
    assert_true(c.value.quoted);
    assert_string_equal(c.other.text, "7");
    assert_false(c.other.quoted);

    pcol_config_destroy(f->cfg);
    f->cfg = pcol_config_create();
    memset(&c, 0, sizeof(c));
    assert_int_equal(apply_yaml(f, re_table,
                                "pattern: '(?i)^(?P<name>[a-z]+)-(?:x)?(?<num>\\d+)'\n"
                                "keep: [a, b]\nvalue: 42\n",
                                &c),
                     0);
    assert_false(c.value.quoted);
    assert_int_equal(c.pattern->n_groups, 3);
    assert_string_equal(c.pattern->names[1], "name");
    assert_null(c.pattern->names[2]);
    assert_string_equal(c.pattern->names[3], "num");
    assert_true(pcol_regex_exec(c.pattern, s, m));
    assert_int_equal(m[1].rm_so, 0);
    assert_int_equal(m[1].rm_eo, 4);
    assert_int_equal(m[3].rm_so, 5);
    assert_int_equal(m[3].rm_eo, 7);
    assert_true(pcol_regex_match(c.pattern, "HOST-1"));
    assert_false(pcol_regex_match(c.pattern, "host-x"));
    assert_int_equal(c.keep.n, 2);
}

static void test_regex_errors(void **state)
{
    struct fx *f = *state;
    struct re_ctx c;

    memset(&c, 0, sizeof(c));
    assert_int_equal(apply_yaml(f, re_table,
                                "pattern: '(?=look)'\n"
                                "keep: ['ok', '(unclosed', 'x']\n",
                                &c),
                     PCOL_EINVAL);
    ASSERT_ERROR(&f->d, 1, 10, "unsupported group syntax");
    ASSERT_ERROR(&f->d, 2, 14, "option \"keep[1]\": invalid regular expression");
    pcol_diag_free(&f->d);
    memset(&f->d, 0, sizeof(f->d));
    pcol_config_destroy(f->cfg);
    f->cfg = pcol_config_create();
    assert_int_equal(apply_yaml(f, re_table, "keep: [a, b, c, d]\n", &c), PCOL_EINVAL);
    ASSERT_ERROR(&f->d, 1, 7, "has 4 entries");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_table_is_valid),
        T(test_defaults_when_absent),
        T(test_null_value_keeps_default),
        T(test_good_values),
        T(test_values_outlive_config),
        T(test_bad_values_exact_positions),
        T(test_wrong_node_kinds),
        T(test_bounds),
        T(test_unknown_key_did_you_mean),
        T(test_required_missing),
        T(test_secret_never_echoed),
        T(test_deprecated_warns),
        T(test_every_duration_unit),
        T(test_every_size_unit),
        T(test_endpoints),
        T(test_integer_edges),
        T(test_describe_and_markdown),
        T(test_check_table_catches_mistakes),
        T(test_section_presence),
        T(test_regex_and_scalar),
        T(test_regex_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
