/* SPDX-License-Identifier: Apache-2.0 */
/* test_config.c: the YAML config loader: fixtures under tests/data/config
 * (good/ must load cleanly, each bad/ file names the diagnostics it must
 * produce), ${env:...} expansion, merging, syntax errors, the walk API and
 * the diagnostics themselves. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define CONFIG_DATA PCOL_TEST_DATA_DIR "/config"

struct fx {
    struct pcol_config *cfg;
    struct pcol_diag d;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    f->cfg = pcol_config_create();
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;

    pcol_diag_free(&f->d);
    pcol_config_destroy(f->cfg);
    free(f);
    return 0;
}

/* ---- fixtures -------------------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml files of one fixture directory, sorted; NULL-terminated. */
static char **list_yaml(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, len;

    if (!dp) {
        fail_msg("cannot open %s", dir);
    }
    while ((e = readdir(dp))) {
        len = strlen(e->d_name);
        if (len > 5 && !strcmp(e->d_name + len - 5, ".yaml")) {
            names = realloc(names, (n + 2) * sizeof(*names));
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(dp);
    if (!n) {
        fail_msg("no fixtures in %s", dir);
    }
    qsort(names, n, sizeof(*names), cmp_names);
    names[n] = NULL;
    return names;
}

/* Checks one fixture against its leading "# expect: L:C text" (errors) and
 * "# warning: L:C text" lines: each must appear, and there must be exactly
 * as many errors as expect lines. Returns how many expect lines it had. */
static size_t run_fixture(const char *path)
{
    struct pcol_buf text = {0};
    struct pcol_config *cfg = pcol_config_create();
    struct pcol_diag d = {0};
    size_t expected = 0, warnings = 0;
    char *line, *save = NULL;

    tu_read_file(path, &text);
    pcol_buf_putc(&text, '\0');
    if (pcol_config_load_file(cfg, path, &d) == 0) {
        pcol_config_check(cfg, &d);
    }
    for (line = strtok_r((char *)text.p, "\n", &save); line && line[0] == '#';
         line = strtok_r(NULL, "\n", &save)) {
        enum pcol_diag_severity sev;
        unsigned l, c;
        int off = 0;

        if (!strncmp(line, "# expect: ", 10)) {
            sev = PCOL_DIAG_ERROR;
            expected++;
        } else if (!strncmp(line, "# warning: ", 11)) {
            sev = PCOL_DIAG_WARNING;
            warnings++;
        } else {
            continue;
        }
        if (sscanf(strchr(line, ':') + 1, " %u:%u %n", &l, &c, &off) != 2 || !off) {
            fail_msg("%s: malformed expectation \"%s\"", path, line);
        }
        if (!tu_has_diag(&d, sev, l, c, strchr(line, ':') + 1 + off)) {
            fail_msg("%s: expected diagnostic not reported: %s", path, line);
        }
    }
    if (d.errors != expected || d.warnings != warnings) {
        pcol_diag_print(&d, stderr);
        fail_msg("%s: %zu errors and %zu warnings, expected %zu and %zu", path, d.errors,
                 d.warnings, expected, warnings);
    }
    pcol_diag_free(&d);
    pcol_config_destroy(cfg);
    pcol_buf_free(&text);
    return expected;
}

static void run_dir(const char *dir, bool bad)
{
    char **names = list_yaml(dir), **n;
    char path[4096];

    for (n = names; *n; n++) {
        snprintf(path, sizeof(path), "%s/%s", dir, *n);
        if ((run_fixture(path) > 0) != bad) {
            fail_msg("%s: a %s fixture must %s \"# expect:\" lines", path, bad ? "bad" : "good",
                     bad ? "have" : "have no");
        }
        free(*n);
    }
    free(names);
}

static void test_good_fixtures(void **state)
{
    (void)state;
    run_dir(CONFIG_DATA "/good", false);
}

static void test_bad_fixtures(void **state)
{
    (void)state;
    run_dir(CONFIG_DATA "/bad", true);
}

/* ---- the walk API ------------------------------------------------------------------ */

static void test_walk_full_config(void **state)
{
    struct fx *f = *state;
    const struct pcol_cfg_component *c;
    const struct pcol_cfg_pipeline *p;
    const struct pcol_telemetry_config *t;
    const struct pcol_cfg_node *n;

    assert_int_equal(pcol_config_load_file(f->cfg, CONFIG_DATA "/good/full.yaml", &f->d), 0);
    assert_int_equal(pcol_config_check(f->cfg, &f->d), 0);
    assert_int_equal(f->d.n, 0);

    assert_int_equal(pcol_config_components(f->cfg, PCOL_RECEIVER, &c), 2);
    assert_string_equal(c[0].id, "otlp");
    assert_string_equal(c[0].type, "otlp");
    assert_string_equal(c[0].name, "");
    assert_string_equal(c[1].id, "pprof/push");
    assert_string_equal(c[1].type, "pprof");
    assert_string_equal(c[1].name, "push");
    assert_int_equal(c[1].key->line, 8);
    assert_int_equal(c[1].key->col, 3);
    /* Settings are handed over as written, env already expanded. */
    n = pcol_cfg_get(pcol_cfg_get(pcol_cfg_get(c[0].node, "protocols"), "grpc"), "endpoint");
    assert_string_equal(n->text, "0.0.0.0:4317");
    assert_int_equal(pcol_config_components(f->cfg, PCOL_PROCESSOR, &c), 3);
    assert_true(c[2].node->is_null);
    /* An alias shares its anchor's tree. */
    assert_ptr_equal(c[0].node, c[1].node);
    n = pcol_cfg_get(c[1].node, "attributes")->items[0];
    assert_string_equal(pcol_cfg_get(n, "value")->text, "dev");
    assert_int_equal(pcol_config_components(f->cfg, PCOL_EXPORTER, &c), 2);
    assert_string_equal(pcol_cfg_get(pcol_cfg_get(c[0].node, "headers"), "X-Price")->text, "$5");
    assert_non_null(pcol_config_component(f->cfg, PCOL_EXPORTER, "file/archive"));
    assert_null(pcol_config_component(f->cfg, PCOL_EXPORTER, "file"));

    assert_int_equal(pcol_config_pipelines(f->cfg, &p), 2);
    assert_string_equal(p[0].id, "profiles");
    assert_string_equal(p[0].name, "");
    assert_int_equal(p[0].n_refs[PCOL_RECEIVER], 2);
    assert_string_equal(p[0].refs[PCOL_RECEIVER][1]->id, "pprof/push");
    assert_int_equal(p[0].n_refs[PCOL_PROCESSOR], 2);
    assert_string_equal(p[0].refs[PCOL_PROCESSOR][0]->id, "resource/team");
    assert_string_equal(p[0].refs[PCOL_PROCESSOR][1]->id, "sampling");
    assert_int_equal(p[0].n_refs[PCOL_EXPORTER], 1);
    assert_string_equal(p[1].id, "profiles/archive");
    assert_string_equal(p[1].name, "archive");
    assert_int_equal(p[1].n_refs[PCOL_EXPORTER], 2);
    assert_string_equal(p[1].refs[PCOL_EXPORTER][0]->id, "file/archive");
    assert_true(p[1].refs[PCOL_EXPORTER][0]->used);

    t = pcol_config_telemetry(f->cfg);
    assert_int_equal(t->logs.level, PCOL_LOG_DEBUG);
    assert_int_equal(t->logs.encoding, PCOL_LOG_JSON);
    assert_string_equal(t->metrics.address.host, "127.0.0.1");
    assert_int_equal(t->metrics.address.port, 9888);
    assert_int_equal(t->metrics.level, PCOL_METRICS_DETAILED);

    n = pcol_config_plugins(f->cfg);
    assert_int_equal(n->count, 1);
    assert_string_equal(n->items[0]->text, "/usr/lib/profcol/plugins/libexample.so");
}

static void test_telemetry_defaults(void **state)
{
    struct fx *f = *state;
    const struct pcol_telemetry_config *t;

    assert_int_equal(pcol_config_load_file(f->cfg, CONFIG_DATA "/good/minimal.yaml", &f->d), 0);
    assert_int_equal(pcol_config_check(f->cfg, &f->d), 0);
    t = pcol_config_telemetry(f->cfg);
    assert_int_equal(t->logs.level, PCOL_LOG_INFO);
    assert_int_equal(t->logs.encoding, PCOL_LOG_CONSOLE);
    assert_string_equal(t->metrics.address.host, "localhost");
    assert_int_equal(t->metrics.address.port, 8888);
    assert_int_equal(t->metrics.level, PCOL_METRICS_NORMAL);
    assert_null(pcol_config_plugins(f->cfg));
}

/* ---- ${...} expansion ---------------------------------------------------------------- */

static void test_env_expansion(void **state)
{
    struct fx *f = *state;
    const struct pcol_cfg_node *root;
    static const struct {
        const char *key, *value;
    } expect[] = {
        {"a", "value-a"},
        {"b", "value-a"},
        {"c", "fallback"},
        {"d", ""},
        {"e", "x:$5:value-a"},
        {"f", "$${env:PCOL_T_A}"},
        {"g", "cost $ 3, $HOME, $"},
        {"h", ""},
        {"i", "value-a"},
        {"${env:PCOL_T_A}", "keys stay"},
        {"j", ":-"},
        {"k", "host:value-a:80"},
    };
    size_t i;

    setenv("PCOL_T_A", "value-a", 1);
    setenv("PCOL_T_EMPTY", "", 1);
    unsetenv("PCOL_T_UNSET");
    assert_int_equal(pcol_config_load_string(f->cfg, "env.yaml",
                                             "a: ${env:PCOL_T_A}\n"
                                             "b: ${PCOL_T_A}\n"
                                             "c: ${env:PCOL_T_UNSET:-fallback}\n"
                                             "d: ${env:PCOL_T_UNSET}\n"
                                             "e: \"x:$$5:${env:PCOL_T_A}\"\n"
                                             "f: $$$${env:PCOL_T_A}\n"
                                             "g: cost $ 3, $HOME, $\n"
                                             "h: ${env:PCOL_T_EMPTY:-not used}\n"
                                             "i: '${env:PCOL_T_A}'\n"
                                             "${env:PCOL_T_A}: keys stay\n"
                                             "j: ${env:PCOL_T_UNSET:-:-}\n"
                                             "k: host:${env:PCOL_T_A}:80\n",
                                             &f->d),
                     0);
    root = pcol_config_root(f->cfg);
    for (i = 0; i < PCOL_ARRAY_SIZE(expect); i++) {
        const struct pcol_cfg_node *n = pcol_cfg_get(root, expect[i].key);

        assert_non_null(n);
        assert_string_equal(n->text, expect[i].value);
        assert_int_equal(n->len, strlen(expect[i].value));
    }
    /* An unset variable without a default expands to "" with a warning. */
    assert_int_equal(f->d.errors, 0);
    assert_int_equal(f->d.warnings, 1);
    ASSERT_WARNING(&f->d, 4, 4,
                   "environment variable PCOL_T_UNSET is not set; using an empty "
                   "value");
    unsetenv("PCOL_T_A");
    unsetenv("PCOL_T_EMPTY");
}

/* ---- merge -------------------------------------------------------------------------- */

static void test_merge_later_wins(void **state)
{
    struct fx *f = *state;
    const struct pcol_cfg_node *root, *protocols, *n, *debug;
    const struct pcol_cfg_pipeline *p;
    const char *base = CONFIG_DATA "/merge/base.yaml", *over = CONFIG_DATA "/merge/override.yaml";

    assert_int_equal(pcol_config_load_file(f->cfg, base, &f->d), 0);
    assert_int_equal(pcol_config_load_file(f->cfg, over, &f->d), 0);
    assert_int_equal(pcol_config_check(f->cfg, &f->d), 0);
    assert_int_equal(f->d.n, 0);
    root = pcol_config_root(f->cfg);

    /* Mappings merge: grpc comes from the override, http stays from the base,
     * each with the file and line it was written at. */
    protocols = pcol_cfg_get(pcol_cfg_get(pcol_cfg_get(root, "receivers"), "otlp"), "protocols");
    assert_int_equal(protocols->count, 2);
    n = pcol_cfg_get(pcol_cfg_get(protocols, "grpc"), "endpoint");
    assert_string_equal(n->text, "127.0.0.1:14317");
    assert_string_equal(n->file, over);
    assert_int_equal(n->line, 6);
    assert_int_equal(n->col, 19);
    n = pcol_cfg_get(pcol_cfg_get(protocols, "http"), "endpoint");
    assert_string_equal(n->text, "0.0.0.0:4318");
    assert_string_equal(n->file, base);
    assert_int_equal(n->line, 7);

    /* Scalars are replaced; a key only the override has is added after the
     * base's keys. */
    debug = pcol_cfg_get(pcol_cfg_get(root, "exporters"), "debug");
    n = pcol_cfg_get(debug, "verbosity");
    assert_string_equal(n->text, "detailed");
    assert_string_equal(n->file, over);
    assert_int_equal(n->line, 9);
    n = pcol_cfg_get(root, "exporters");
    assert_int_equal(n->count, 2);
    assert_string_equal(n->pairs[1].key->text, "file");

    /* Sequences are replaced as a whole; untouched ones stay. */
    assert_int_equal(pcol_config_pipelines(f->cfg, &p), 1);
    assert_int_equal(p[0].n_refs[PCOL_EXPORTER], 2);
    assert_string_equal(p[0].refs[PCOL_EXPORTER][0]->id, "file");
    assert_string_equal(p[0].refs[PCOL_EXPORTER][0]->key->file, over);
    assert_int_equal(p[0].n_refs[PCOL_RECEIVER], 1);
    n = pcol_cfg_get(
        pcol_cfg_get(pcol_cfg_get(pcol_cfg_get(root, "service"), "pipelines"), "profiles"),
        "receivers");
    assert_string_equal(n->file, base);
    assert_int_equal(n->line, 14);
}

static void test_merge_errors_name_their_file(void **state)
{
    struct fx *f = *state;

    assert_int_equal(pcol_config_load_string(f->cfg, "one.yaml",
                                             "receivers:\n  otlp:\nexporters:\n  debug:\n", &f->d),
                     0);
    assert_int_equal(pcol_config_load_string(f->cfg, "two.yaml",
                                             "service:\n  pipelines:\n    profiles:\n"
                                             "      receivers: [otlp]\n"
                                             "      exporters: [debgu]\n",
                                             &f->d),
                     0);
    assert_int_equal(pcol_config_check(f->cfg, &f->d), PCOL_EINVAL);
    assert_int_equal(f->d.errors, 1);
    assert_string_equal(f->d.v[0].file, "two.yaml");
    ASSERT_ERROR(&f->d, 5, 19,
                 "exporter \"debgu\" is not defined under \"exporters\" (did you "
                 "mean \"debug\"?)");
}

/* ---- loader errors ------------------------------------------------------------------- */

static void test_syntax_error_position(void **state)
{
    struct fx *f = *state;

    assert_int_equal(pcol_config_load_string(f->cfg, "s.yaml",
                                             "receivers:\n  otlp:\n    a: b\n   c: d\n", &f->d),
                     PCOL_EINVAL);
    assert_int_equal(f->d.errors, 1);
    assert_string_equal(f->d.v[0].file, "s.yaml");
    ASSERT_ERROR(&f->d, 4, 4, "invalid YAML: did not find expected key");
    /* A failed source stays out of the merge and blocks the check. */
    assert_null(pcol_config_root(f->cfg));
    assert_int_equal(pcol_config_check(f->cfg, &f->d), PCOL_EINVAL);
    assert_int_equal(f->d.errors, 1);
}

static void test_reader_error_position(void **state)
{
    struct fx *f = *state;

    assert_int_equal(pcol_config_load_string(f->cfg, "u.yaml", "a: 1\nbb: \xff\xfe\n", &f->d),
                     PCOL_EINVAL);
    ASSERT_ERROR(&f->d, 2, 5, "invalid YAML: invalid leading UTF-8 octet");
}

static void test_missing_file(void **state)
{
    struct fx *f = *state;
    char *text = NULL;
    size_t len = 0;
    FILE *out;

    assert_int_equal(pcol_config_load_file(f->cfg, "/nonexistent/profcol.yaml", &f->d), PCOL_EIO);
    assert_int_equal(f->d.errors, 1);
    out = open_memstream(&text, &len);
    pcol_diag_print(&f->d, out);
    fclose(out);
    assert_string_equal(text, "/nonexistent/profcol.yaml: error: cannot open config file: "
                              "No such file or directory\n");
    free(text);
}

static void test_deep_nesting_is_refused(void **state)
{
    struct fx *f = *state;
    char yaml[2 * 200 + 8];

    memcpy(yaml, "a: ", 3);
    memset(yaml + 3, '[', 200);
    memset(yaml + 203, ']', 200);
    yaml[403] = '\0';
    assert_int_equal(pcol_config_load_string(f->cfg, "deep.yaml", yaml, &f->d), PCOL_EINVAL);
    assert_int_equal(f->d.errors, 1);
    assert_non_null(strstr(f->d.v[0].msg, "nested more than 64 levels deep"));
}

static void test_unusable_keys(void **state)
{
    struct fx *f = *state;

    assert_int_equal(
        pcol_config_load_string(f->cfg, "n.yaml", "\"a\\0b\": 1\n? [x]\n: 2\nok: 3\n", &f->d),
        PCOL_EINVAL);
    ASSERT_ERROR(&f->d, 1, 1, "a key must not contain a NUL character");
    ASSERT_ERROR(&f->d, 2, 3, "mapping keys must be scalars, not a sequence");
    assert_int_equal(f->d.errors, 2);
}

static void test_empty_config(void **state)
{
    struct fx *f = *state;

    assert_int_equal(pcol_config_load_string(f->cfg, "empty.yaml", "# nothing\n", &f->d), 0);
    assert_null(pcol_config_root(f->cfg));
    assert_int_equal(pcol_config_check(f->cfg, &f->d), PCOL_EINVAL);
    assert_int_equal(f->d.errors, 1);
    assert_non_null(strstr(f->d.v[0].msg, "no pipelines defined"));
}

static void test_parse_value(void **state)
{
    struct fx *f = *state;
    struct pcol_arena *a = pcol_config_arena(f->cfg);
    const struct pcol_cfg_node *n;

    n = pcol__cfg_parse_value(a, "<default>", "[a, b]", &f->d);
    assert_int_equal(n->kind, PCOL_NODE_SEQUENCE);
    assert_int_equal(n->count, 2);
    n = pcol__cfg_parse_value(a, "<default>", "", &f->d);
    assert_true(n->kind == PCOL_NODE_SCALAR && n->is_null);
    n = pcol__cfg_parse_value(a, "<default>", "'${env:HOME}'", &f->d);
    assert_string_equal(n->text, "${env:HOME}");
    assert_false(n->is_null);
    assert_null(pcol__cfg_parse_value(a, "<default>", "[", &f->d));
    assert_int_equal(f->d.errors, 1);
}

/* ---- diagnostics and suggestions ----------------------------------------------------- */

static void test_diag_print_sorted(void **state)
{
    struct fx *f = *state;
    char *text = NULL;
    size_t len = 0;
    FILE *out;

    pcol_diag_at(&f->d, PCOL_DIAG_ERROR, "b.yaml", 3, 1, "third");
    pcol_diag_at(&f->d, PCOL_DIAG_WARNING, "a.yaml", 9, 2, "second");
    pcol_diag_at(&f->d, PCOL_DIAG_ERROR, "b.yaml", 1, 5, "first in b");
    pcol_diag_at(&f->d, PCOL_DIAG_ERROR, NULL, 0, 0, "no place\nat all");
    pcol_diag_at(&f->d, PCOL_DIAG_ERROR, "a.yaml", 9, 2, "same place, added later");
    out = open_memstream(&text, &len);
    pcol_diag_print(&f->d, out);
    fclose(out);
    assert_string_equal(text, "error: no place at all\n"
                              "b.yaml:1:5: error: first in b\n"
                              "b.yaml:3:1: error: third\n"
                              "a.yaml:9:2: warning: second\n"
                              "a.yaml:9:2: error: same place, added later\n");
    assert_int_equal(f->d.errors, 4);
    assert_int_equal(f->d.warnings, 1);
    free(text);
}

static const char *suggest(const char *word)
{
    static const char *const names[] = {"receivers", "processors", "exporters", "service",
                                        "endpoint",  "timeout",    "tls",       NULL};
    struct pcol_suggest s;
    const char *const *n;

    pcol_suggest_init(&s, word);
    for (n = names; *n; n++) {
        pcol_suggest_add(&s, *n);
    }
    return s.best;
}

static void test_did_you_mean(void **state)
{
    (void)state;
    assert_string_equal(suggest("recievers"), "receivers");
    assert_string_equal(suggest("endpiont"), "endpoint");
    assert_string_equal(suggest("exporter"), "exporters");
    assert_string_equal(suggest("Timeout"), "timeout");
    assert_string_equal(suggest("servcie"), "service");
    assert_string_equal(suggest("tsl"), "tls");
    assert_string_equal(suggest("proccesorss"), "processors");
    assert_null(suggest("x"));
    assert_null(suggest("zzzzzz"));
    assert_null(suggest("pipelines"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_good_fixtures),
        T(test_bad_fixtures),
        T(test_walk_full_config),
        T(test_telemetry_defaults),
        T(test_env_expansion),
        T(test_merge_later_wins),
        T(test_merge_errors_name_their_file),
        T(test_syntax_error_position),
        T(test_reader_error_position),
        T(test_missing_file),
        T(test_deep_nesting_is_refused),
        T(test_unusable_keys),
        T(test_empty_config),
        T(test_parse_value),
        T(test_diag_print_sorted),
        T(test_did_you_mean),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
