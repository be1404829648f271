/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pyroscope_exporter.c: the parts of the `pyroscope` exporter that
 * need no network: endpoint parsing, label names and values (invalid
 * characters, ',' and '}' stripped, include/exclude, sorted, reserved
 * names, unknown_service), the profile name (`__name__`) from sample types
 * and hints, the exact /ingest query (percent-encoding, from/until), the
 * /ingest payload framing (every frame decodes to the input's sample sums;
 * truncations read as malformed), the Push body decoded back with protoc-c
 * code generated from proto/pyroscope_push.proto (labels, UUID v4 IDs, the
 * raw profiles gunzip into pprofs with the input's sample sums, whole-body
 * gzip), status classes, error details and Retry-After, and config errors
 * at their line:col. Sending is tested end to end by
 * tests/e2e/pyroscope_exporter.sh.
 */
#include "proc_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../exporters/pyroscope/pyroscope_exporter.h"
#include "codec_pprof.h"
#include "pyroscope_push.pb-c.h"

extern const struct pcol_component_def pcol_exporter_pyroscope;

/* ---- helpers ------------------------------------------------------------------------ */

/* The exporter's context as the option engine fills it from `yaml`. */
static struct pcol__pyroexp *ctx_from(struct pcol_arena *a, const char *yaml)
{
    struct pcol_diag d = {0};
    const struct pcol_cfg_node *node = pcol__cfg_parse_value(a, "test.yaml", yaml, &d);
    struct pcol__pyroexp *x = pcol_arena_calloc(a, sizeof(*x));

    assert_non_null(node);
    if (pcol_options_apply(pcol_exporter_pyroscope.options, node, x, a, &d) != 0) {
        pcol_diag_print(&d, stderr);
        fail();
    }
    pcol_diag_free(&d);
    return x;
}

static struct pcol_batch *corpus_batch(const char *name)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_buf in = {0};
    struct pcol_err err = {{0}};

    tu_read_corpus(name, &in);
    if (pcol_pprof_decode(b, in.p, in.len, NULL, &err) != 0) {
        fail_msg("%s: %s", name, err.msg);
    }
    pcol_buf_free(&in);
    return b;
}

/* Gives resource `r` the string attributes kv[0]=kv[1], kv[2]=kv[3], ... */
static void set_attrs(struct pcol_batch *b, struct pcol_resource *r, const char *const *kv,
                      size_t n)
{
    size_t i;

    r->attrs = pcol_arena_calloc(b->arena, (n / 2 + 2) * sizeof(*r->attrs));
    r->n_attrs = 0;
    for (i = 0; i + 1 < n; i += 2) {
        struct pcol_kv *e = &r->attrs[r->n_attrs++];
        e->key = pcol_dict_cstr(b, kv[i]);
        e->value.kind = PCOL_VAL_STR;
        e->value.u.str = pcol_dict_cstr(b, kv[i + 1]);
    }
}

/* A batch of one resource and scope whose profiles have the given sample
 * types ("type/unit"), one sample each with value 1, and `period`. */
static struct pcol_batch *typed_batch(const char *const *types, size_t n, const char *period)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_resource *r = pcol_batch_add_resource(b);
    struct pcol_scope *s = pcol_resource_add_scope(b, r);
    size_t i;

    for (i = 0; i < n; i++) {
        struct pcol_profile *p = pcol_scope_add_profile(b, s);
        struct pcol_sample *smp = pcol_profile_add_sample(b, p);
        const char *slash = strchr(types[i], '/');

        p->sample_type.type = pcol_dict_str(b, types[i], (size_t)(slash - types[i]));
        p->sample_type.unit = pcol_dict_cstr(b, slash + 1);
        p->period_type.type = pcol_dict_cstr(b, period);
        p->period_type.unit = pcol_dict_cstr(b, "nanoseconds");
        p->time_unix_nano = 1700000000000000000ull;
        smp->values = pcol_arena_calloc(b->arena, sizeof(int64_t));
        smp->values[0] = 1;
        smp->n_values = 1;
    }
    return b;
}

/* Sums of sample values per "type/unit", over a whole batch. */
struct sums {
    char key[16][64];
    int64_t v[16];
    size_t n;
};

static void add_sums(const struct pcol_batch *b, struct sums *s)
{
    uint32_t r, c, p, i, k;

    for (r = 0; r < b->n_resources; r++) {
        for (c = 0; c < b->resources[r].n_scopes; c++) {
            const struct pcol_scope *sc = &b->resources[r].scopes[c];
            for (p = 0; p < sc->n_profiles; p++) {
                const struct pcol_profile *pr = &sc->profiles[p];
                char key[64];
                size_t j;

                snprintf(key, sizeof(key), "%s/%s", pcol_cstr(b, pr->sample_type.type),
                         pcol_cstr(b, pr->sample_type.unit));
                for (j = 0; j < s->n && strcmp(s->key[j], key); j++) {
                }
                if (j == s->n) {
                    assert_true(s->n < 16);
                    snprintf(s->key[s->n++], sizeof(s->key[0]), "%s", key);
                    s->v[j] = 0;
                }
                for (i = 0; i < pr->n_samples; i++) {
                    for (k = 0; k < pr->samples[i].n_values; k++) {
                        s->v[j] += pr->samples[i].values[k];
                    }
                }
            }
        }
    }
}

static void assert_sums_equal(const struct sums *a, const struct sums *b)
{
    size_t i, j;

    assert_int_equal(a->n, b->n);
    for (i = 0; i < a->n; i++) {
        for (j = 0; j < b->n && strcmp(a->key[i], b->key[j]); j++) {
        }
        if (j == b->n) {
            fail_msg("sample type %s is missing", a->key[i]);
        }
        if (a->v[i] != b->v[j]) {
            fail_msg("%s: sum %lld, expected %lld", a->key[i], (long long)b->v[j],
                     (long long)a->v[i]);
        }
    }
}

/* Decodes a (gzip) pprof and adds its sums. */
static void add_pprof_sums(const uint8_t *p, size_t n, struct sums *s)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_err err = {{0}};

    assert_true(pcol_is_gzip(p, n));
    if (pcol_pprof_decode(b, p, n, NULL, &err) != 0) {
        fail_msg("pprof: %s", err.msg);
    }
    add_sums(b, s);
    pcol_batch_release(b);
}

/* Two corpus profiles as two resources with their own service.name. */
static struct pcol_batch *two_services(void)
{
    static const char *const shop[] = {"service.name", "shop", "k8s.pod.name", "shop-1"};
    static const char *const cart[] = {"service.name", "cart", "region", "eu,west}"};
    struct pcol_batch *b = corpus_batch("google-pprof__sample.cpu");
    struct pcol_batch *heap = corpus_batch("parca__alloc_objects.pb.gz");

    pcol_batch_merge(b, heap);
    pcol_batch_release(heap);
    assert_int_equal(b->n_resources, 2);
    set_attrs(b, &b->resources[0], shop, 4);
    set_attrs(b, &b->resources[1], cart, 4);
    return b;
}

/* ---- endpoints ---------------------------------------------------------------------- */

static void test_endpoints(void **state)
{
    static const struct {
        const char *endpoint;
        int rc;
        const char *host;
        uint16_t port;
        bool tls;
        const char *prefix;
    } cases[] = {
        {"http://pyroscope:4040", 0, "pyroscope", 4040, false, ""},
        {"http://pyroscope:4040/", 0, "pyroscope", 4040, false, ""},
        {"HTTPS://grafana.net/prof//", 0, "grafana.net", 443, true, "/prof"},
        {"http://p", 0, "p", 80, false, ""},
        {"http://[::1]:9/a/b", 0, "::1", 9, false, "/a/b"},
        {"pyroscope:4040", PCOL_EINVAL, NULL, 0, false, NULL},
        {"http://:4040", PCOL_EINVAL, NULL, 0, false, NULL},
        {"http://p:0", PCOL_EINVAL, NULL, 0, false, NULL},
        {"http://p:70000", PCOL_EINVAL, NULL, 0, false, NULL},
        {"http://p:1/x?y=1", PCOL_EINVAL, NULL, 0, false, NULL},
        {"http://p:1/#f", PCOL_EINVAL, NULL, 0, false, NULL},
        {"http://[::1", PCOL_EINVAL, NULL, 0, false, NULL},
        {"http://[::1]x", PCOL_EINVAL, NULL, 0, false, NULL},
    };
    size_t i;

    PCOL_UNUSED(state);
    for (i = 0; i < PCOL_ARRAY_SIZE(cases); i++) {
        struct pcol__pyroexp_target t;
        struct pcol_err err = {{0}};
        int rc = pcol__pyroexp_target_parse(cases[i].endpoint, &t, &err);

        if (rc != cases[i].rc) {
            fail_msg("%s: rc %d (%s)", cases[i].endpoint, rc, err.msg);
        }
        if (rc != 0) {
            assert_non_null(strstr(err.msg, cases[i].endpoint));
            assert_null(t.host);
            continue;
        }
        assert_string_equal(t.host, cases[i].host);
        assert_int_equal(t.port, cases[i].port);
        assert_int_equal(t.tls, cases[i].tls);
        assert_string_equal(t.prefix, cases[i].prefix);
        pcol__pyroexp_target_free(&t);
    }
}

/* ---- labels ------------------------------------------------------------------------- */

static char *name_of(const char *in, enum pcol__pyroexp_names style)
{
    static char out[256];
    struct pcol_buf b = {0};

    pcol__pyroexp_label_name(in, style, &b);
    snprintf(out, sizeof(out), "%.*s", (int)b.len, (const char *)b.p);
    pcol_buf_free(&b);
    return out;
}

static char *value_of(const char *in, bool ingest)
{
    static char out[4096];
    struct pcol_buf b = {0};

    pcol__pyroexp_label_value(in, strlen(in), ingest, &b);
    assert_true(b.len < sizeof(out));
    snprintf(out, sizeof(out), "%.*s", (int)b.len, (const char *)b.p);
    pcol_buf_free(&b);
    return out;
}

static void test_label_names(void **state)
{
    PCOL_UNUSED(state);
    assert_string_equal(name_of("k8s.pod.name", PCOL__PYROEXP_NAMES_LEGACY), "k8s_pod_name");
    assert_string_equal(name_of("k8s.pod.name", PCOL__PYROEXP_NAMES_INGEST), "k8s.pod.name");
    assert_string_equal(name_of("k8s.pod.name", PCOL__PYROEXP_NAMES_UTF8), "k8s.pod.name");
    /* One '_' per character, also for a two-byte one. */
    assert_string_equal(name_of("weird key-x/\xc3\xbc", PCOL__PYROEXP_NAMES_LEGACY),
                        "weird_key_x__");
    assert_string_equal(name_of("weird key-x/\xc3\xbc", PCOL__PYROEXP_NAMES_INGEST),
                        "weird_key_x__");
    assert_string_equal(name_of("weird key-x/\xc3\xbc", PCOL__PYROEXP_NAMES_UTF8),
                        "weird key-x/\xc3\xbc");
    /* Legacy names cannot start with a digit; /ingest tag keys may. */
    assert_string_equal(name_of("9lives", PCOL__PYROEXP_NAMES_LEGACY), "_9lives");
    assert_string_equal(name_of("9lives", PCOL__PYROEXP_NAMES_INGEST), "9lives");
    /* Invalid UTF-8 and control characters never pass. */
    assert_string_equal(name_of("a\xff\x01z", PCOL__PYROEXP_NAMES_UTF8), "a__z");
    assert_string_equal(name_of("a\xe2\x82", PCOL__PYROEXP_NAMES_UTF8), "a__");
}

static void test_label_values(void **state)
{
    char long_value[2100];

    PCOL_UNUSED(state);
    /* /ingest: ',' and '}' cannot be escaped in name=app{k=v}: removed. */
    assert_string_equal(value_of("a,b}c{d=e", true), "abc{d=e");
    assert_string_equal(value_of("  eu west \t", true), "eu west");
    assert_string_equal(value_of(" , ", true), "");
    /* Push carries any UTF-8. */
    assert_string_equal(value_of("a,b}c ", false), "a,b}c ");
    assert_string_equal(value_of("\xc3\xa9t\xc3\xa9", false), "\xc3\xa9t\xc3\xa9");
    assert_string_equal(value_of("a\xff", false), "a\xef\xbf\xbd");
    assert_string_equal(value_of("a\xff", true), "a\xef\xbf\xbd");
    /* Cut to 2048 bytes, never inside a character. */
    memset(long_value, 'a', 2047);
    strcpy(long_value + 2047, "\xc3\xa9zz");
    assert_int_equal(strlen(value_of(long_value, false)), 2047);
    long_value[0] = 'b';
    long_value[2047] = 'c';
    assert_int_equal(strlen(value_of(long_value, true)), 2048);
}

static void test_resource_labels(void **state)
{
    static const char *const attrs[] = {
        "service.name", "checkout", "zone",  "b", "weird key",    "v,1}", "k8s.pod.name",  "pod-1",
        "__hidden",     "x",        "empty", "",  "service_name", "dup",  "pyroscope.spy", "gospy",
        "weird_key",    "second",   "7days", "y",
    };
    struct pcol_arena *a = pcol_arena_create(0);
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_resource *r = pcol_batch_add_resource(b);
    struct pcol__pyroexp *x;
    struct pcol__pyroexp_labels l = {0};
    struct pcol_kv *extra;
    char *svc;

    PCOL_UNUSED(state);
    set_attrs(b, r, attrs, PCOL_ARRAY_SIZE(attrs));
    /* Non-string values are sent as text. */
    extra = &r->attrs[r->n_attrs++];
    extra->key = pcol_dict_cstr(b, "replicas");
    extra->value.kind = PCOL_VAL_INT;
    extra->value.u.i = 3;

    /* Defaults, ingest: sorted legacy names; service.name, "__", empty
     * values, service_name and pyroscope_spy left out; of the two names
     * that become weird_key the first attribute wins. */
    x = ctx_from(a, "endpoint: http://p:4040");
    pcol__pyroexp_resource_labels(x, b, r, &l);
    pcol__pyroexp_labels_sort(&l);
    assert_int_equal(l.n, 5);
    assert_string_equal(l.v[0].name, "_7days");
    assert_string_equal(l.v[1].name, "k8s_pod_name");
    assert_string_equal(l.v[1].value, "pod-1");
    assert_string_equal(l.v[2].name, "replicas");
    assert_string_equal(l.v[2].value, "3");
    assert_string_equal(l.v[3].name, "weird_key");
    assert_string_equal(l.v[3].value, "v1");
    assert_string_equal(l.v[4].name, "zone");
    pcol__pyroexp_labels_free(&l);

    /* include / exclude on the original keys; dots kept without
     * sanitizing; Push values keep ',' and '}'. */
    x = ctx_from(a, "endpoint: http://p:4040\nprotocol: push\nsanitize_label_names: false\n"
                    "labels:\n  include: ['^k8s\\.', '^weird', zone]\n  exclude: ['^weird_']\n");
    pcol__pyroexp_resource_labels(x, b, r, &l);
    pcol__pyroexp_labels_sort(&l);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0].name, "k8s.pod.name");
    assert_string_equal(l.v[1].name, "weird key");
    assert_string_equal(l.v[1].value, "v,1}");
    assert_string_equal(l.v[2].name, "zone");
    pcol__pyroexp_labels_free(&l);

    /* Service names. */
    svc = pcol__pyroexp_service_name(b, r, true);
    assert_string_equal(svc, "checkout");
    free(svc);
    set_attrs(b, r, (const char *const[]){"service.name", "my shop/\xc3\xa9-1.v2"}, 2);
    svc = pcol__pyroexp_service_name(b, r, true);
    assert_string_equal(svc, "my_shop/_-1.v2");
    free(svc);
    svc = pcol__pyroexp_service_name(b, r, false);
    assert_string_equal(svc, "my shop/\xc3\xa9-1.v2");
    free(svc);
    set_attrs(b, r, (const char *const[]){"host.name", "h"}, 2);
    svc = pcol__pyroexp_service_name(b, r, true);
    assert_string_equal(svc, "unknown_service");
    free(svc);
    svc = pcol__pyroexp_service_name(b, r, false);
    assert_string_equal(svc, "unknown_service");
    free(svc);

    pcol_batch_release(b);
    pcol_arena_destroy(a);
}

/* ---- profile names ------------------------------------------------------------------ */

static const char *name_for(struct pcol_batch *b)
{
    static char buf[64];
    const struct pcol_resource *r = &b->resources[0];

    return pcol__pyroexp_profile_name(b, r, &r->scopes[0], 0, r->scopes[0].n_profiles, buf,
                                      sizeof(buf));
}

static void check_name(const char *const *types, size_t n, const char *period, const char *want)
{
    struct pcol_batch *b = typed_batch(types, n, period);

    if (strcmp(name_for(b), want) != 0) {
        fail_msg("%s...: %s, expected %s", types[0], name_for(b), want);
    }
    pcol_batch_release(b);
}

#define CHECK_NAME(period, want, ...)                                                              \
    check_name((const char *const[]){__VA_ARGS__},                                                 \
               sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *), period, want)

static void test_profile_names(void **state)
{
    static const char *const corpus[][2] = {
        {"google-pprof__sample.cpu", "process_cpu"},
        {"parca__alloc_objects.pb.gz", "memory"},
        {"parca__fgprof.pb.gz", "wall"},
        {"parca__profile-with-labels.pb.gz", "process_cpu"},
        {"pprof_all_fields.pb.gz", "wall"},
    };
    struct pcol_batch *b;
    size_t i;

    PCOL_UNUSED(state);
    CHECK_NAME("cpu", "process_cpu", "samples/count", "cpu/nanoseconds");
    CHECK_NAME("cpu", "process_cpu", "samples/count");
    CHECK_NAME("wall", "wall", "samples/count", "wall/nanoseconds", "cpu/nanoseconds");
    CHECK_NAME("space", "memory", "alloc_objects/count", "alloc_space/bytes");
    CHECK_NAME("inuse_space", "memory", "inuse_objects/count", "inuse_space/bytes");
    CHECK_NAME("contentions", "mutex", "contentions/count", "delay/nanoseconds");
    CHECK_NAME("", "block", "block_count/count");
    CHECK_NAME("", "mutex", "mutex_duration/nanoseconds");
    CHECK_NAME("goroutine", "goroutine", "goroutine/count");
    CHECK_NAME("", "exception", "exception/count");
    CHECK_NAME("", "threadcreate", "threadcreate/count");
    CHECK_NAME("", "process_cpu", "-/count");

    /* contentions / delay: block when something says so. */
    b = typed_batch((const char *const[]){"contentions/count", "delay/nanoseconds"}, 2,
                    "contentions");
    set_attrs(b, &b->resources[0], (const char *const[]){"url.path", "/debug/pprof/block"}, 2);
    assert_string_equal(name_for(b), "block");
    set_attrs(b, &b->resources[0], (const char *const[]){"pyroscope.profile.name", "mutex"}, 2);
    assert_string_equal(name_for(b), "mutex");
    /* An attribute that is not a hint says nothing. */
    set_attrs(b, &b->resources[0], (const char *const[]){"service.name", "blockchain"}, 2);
    assert_string_equal(name_for(b), "mutex");
    b->resources[0].scopes[0].name = pcol_dict_cstr(b, "godeltaprof/block");
    assert_string_equal(name_for(b), "block");
    pcol_batch_release(b);

    for (i = 0; i < PCOL_ARRAY_SIZE(corpus); i++) {
        b = corpus_batch(corpus[i][0]);
        if (strcmp(name_for(b), corpus[i][1]) != 0) {
            fail_msg("%s: %s, expected %s", corpus[i][0], name_for(b), corpus[i][1]);
        }
        pcol_batch_release(b);
    }
}

/* ---- /ingest ------------------------------------------------------------------------ */

static char *query_of(const struct pcol__pyroexp *x, struct pcol_batch *b, uint64_t duration)
{
    static char out[1024];
    struct pcol_profile *p = &b->resources[0].scopes[0].profiles[0];
    struct pcol_pprof_meta meta = {.n_profiles = 1, .time_unix_nano = p->time_unix_nano};
    struct pcol_buf q = {0};

    p->duration_nano = duration;
    pcol__pyroexp_ingest_query(x, b, &meta, &q);
    snprintf(out, sizeof(out), "%.*s", (int)q.len, (const char *)q.p);
    pcol_buf_free(&q);
    return out;
}

static void test_ingest_query(void **state)
{
    static const char *const attrs[] = {"service.name", "shop", "region", "eu west,1}",
                                        "k8s.pod.name", "p-1~", "a&b",    "=?%"};
    struct pcol_arena *a = pcol_arena_create(0);
    struct pcol__pyroexp *x = ctx_from(a, "endpoint: http://p:4040");
    struct pcol_batch *b = typed_batch((const char *const[]){"cpu/nanoseconds"}, 1, "cpu");
    struct pcol_profile *p = &b->resources[0].scopes[0].profiles[0];

    PCOL_UNUSED(state);
    /* No attributes, no time: unknown_service, no braces, no from/until. */
    p->time_unix_nano = 0;
    assert_string_equal(query_of(x, b, 0), "name=unknown_service&format=pprof&spyName=profcol");

    /* Tags sorted by their sanitised names, values percent-encoded, from
     * rounded down and until (time + duration) rounded up. */
    set_attrs(b, &b->resources[0], attrs, PCOL_ARRAY_SIZE(attrs));
    p->time_unix_nano = 1700000000500000000ull;
    assert_string_equal(query_of(x, b, 10000000000ull),
                        "name=shop%7Ba_b%3D%3D%3F%25%2Ck8s_pod_name%3Dp-1~%2Cregion%3Deu%20west1"
                        "%7D&from=1700000000&until=1700000011&format=pprof&spyName=profcol");
    /* A whole-second end stays; spy_name "" leaves spyName out. */
    x = ctx_from(a, "endpoint: http://p:4040\nspy_name: \"\"\nlabels: {include: [region]}\n"
                    "sanitize_label_names: false\n");
    p->time_unix_nano = 1700000000000000000ull;
    assert_string_equal(query_of(x, b, 2000000000ull),
                        "name=shop%7Bregion%3Deu%20west1%7D&from=1700000000&until=1700000002"
                        "&format=pprof");
    x = ctx_from(a, "endpoint: http://p:4040\nspy_name: my spy/1\nlabels: {include: [k8s]}\n"
                    "sanitize_label_names: false\n");
    assert_string_equal(query_of(x, b, 0), "name=shop%7Bk8s.pod.name%3Dp-1~%7D&from=1700000000"
                                           "&until=1700000000&format=pprof&spyName=my%20spy%2F1");
    pcol_batch_release(b);
    pcol_arena_destroy(a);
}

static void test_ingest_encode(void **state)
{
    struct pcol_arena *a = pcol_arena_create(0);
    struct pcol__pyroexp *x = ctx_from(a, "endpoint: http://p:4040");
    struct pcol_batch *b = two_services();
    struct sums want = {0}, got = {0};
    struct pcol__pyroexp_frame f;
    struct pcol_buf out = {0};
    uint32_t i, profiles = 0;
    size_t cut;

    PCOL_UNUSED(state);
    add_sums(b, &want);
    assert_int_equal(pcol__pyroexp_ingest_encode(x, b, &out), 0);
    /* Two resources whose profiles line up: two requests. */
    assert_int_equal(pcol__pyroexp_ingest_count(out.p, out.len), 2);
    for (i = 0; i < 2; i++) {
        assert_true(pcol__pyroexp_ingest_frame(out.p, out.len, i, &f));
        add_pprof_sums(f.body, f.body_len, &got);
        profiles += f.profiles;
    }
    assert_false(pcol__pyroexp_ingest_frame(out.p, out.len, 2, &f));
    assert_sums_equal(&want, &got);
    assert_int_equal(profiles, pcol_batch_profile_count(b));
    assert_true(pcol__pyroexp_ingest_frame(out.p, out.len, 0, &f));
    assert_true(f.query_len > 10 && !memcmp(f.query, "name=shop%7Bk8s_pod_name%3Dshop-1%7D&", 37));
    assert_true(pcol__pyroexp_ingest_frame(out.p, out.len, 1, &f));
    assert_true(!memcmp(f.query, "name=cart%7Bregion%3Deuwest%7D&", 31));

    /* Every truncation of the payload reads as malformed, never past it. */
    for (cut = 0; cut < out.len; cut += cut < 64 ? 1 : 997) {
        bool ok0 = pcol__pyroexp_ingest_frame(out.p, cut, 0, &f);
        bool ok1 = pcol__pyroexp_ingest_frame(out.p, cut, 1, &f);
        assert_false(ok0 && ok1);
        if (ok0) {
            assert_true(f.body + f.body_len <= out.p + cut);
        }
    }
    pcol_buf_free(&out);

    /* An empty batch: zero requests. */
    pcol_batch_release(b);
    b = pcol_batch_create(0);
    assert_int_equal(pcol__pyroexp_ingest_encode(x, b, &out), 0);
    assert_int_equal(pcol__pyroexp_ingest_count(out.p, out.len), 0);
    pcol_buf_free(&out);
    pcol_batch_release(b);
    pcol_arena_destroy(a);
}

/* ---- Push --------------------------------------------------------------------------- */

static const char *label(const Push__V1__RawProfileSeries *s, const char *name)
{
    size_t i;

    for (i = 0; i < s->n_labels; i++) {
        if (!strcmp(s->labels[i]->name, name)) {
            return s->labels[i]->value;
        }
    }
    return NULL;
}

static void assert_uuid_v4(const char *id)
{
    size_t i;

    assert_int_equal(strlen(id), 36);
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            assert_int_equal(id[i], '-');
        } else {
            assert_true(pcol_hex_value(id[i]) >= 0);
        }
    }
    assert_int_equal(id[14], '4');
    assert_true(strchr("89ab", id[19]) != NULL);
}

static void check_push(const char *yaml, bool gzip)
{
    struct pcol_arena *a = pcol_arena_create(0);
    struct pcol__pyroexp *x = ctx_from(a, yaml);
    struct pcol_batch *b = two_services();
    struct sums want = {0}, got = {0};
    struct pcol_buf out = {0}, plain = {0};
    Push__V1__PushRequest *req;
    size_t i, j;

    add_sums(b, &want);
    assert_int_equal(pcol__pyroexp_push_encode(x, b, &out), 0);
    if (gzip) {
        assert_true(pcol_is_gzip(out.p, out.len));
        assert_int_equal(pcol_decompress(PCOL_ENC_GZIP, out.p, out.len, 64u << 20, &plain, NULL),
                         0);
    } else {
        pcol_buf_append(&plain, out.p, out.len);
    }
    req = push__v1__push_request__unpack(NULL, plain.len, plain.p);
    assert_non_null(req);
    assert_int_equal(req->n_series, 2);
    for (i = 0; i < req->n_series; i++) {
        const Push__V1__RawProfileSeries *s = req->series[i];

        for (j = 1; j < s->n_labels; j++) {
            assert_true(strcmp(s->labels[j - 1]->name, s->labels[j]->name) < 0);
        }
        assert_string_equal(label(s, "__delta__"), "false");
        assert_string_equal(label(s, "pyroscope_spy"), "profcol");
        assert_int_equal(s->n_samples, 1);
        assert_uuid_v4(s->samples[0]->id);
        add_pprof_sums(s->samples[0]->raw_profile.data, s->samples[0]->raw_profile.len, &got);
    }
    assert_sums_equal(&want, &got);
    assert_string_equal(label(req->series[0], "__name__"), "process_cpu");
    assert_string_equal(label(req->series[0], "service_name"), "shop");
    assert_string_equal(label(req->series[1], "__name__"), "memory");
    assert_string_equal(label(req->series[1], "service_name"), "cart");
    if (x->sanitize_label_names) {
        assert_string_equal(label(req->series[0], "k8s_pod_name"), "shop-1");
        assert_int_equal(req->series[0]->n_labels, 5);
    } else {
        assert_string_equal(label(req->series[0], "k8s.pod.name"), "shop-1");
    }
    /* Push values keep ',' and '}'. */
    assert_string_equal(label(req->series[1], "region"), "eu,west}");
    assert_string_not_equal(req->series[0]->samples[0]->id, req->series[1]->samples[0]->id);

    push__v1__push_request__free_unpacked(req, NULL);
    pcol_buf_free(&out);
    pcol_buf_free(&plain);
    pcol_batch_release(b);
    pcol_arena_destroy(a);
}

static void test_push_encode(void **state)
{
    struct pcol_arena *a = pcol_arena_create(0);
    struct pcol_batch *empty = pcol_batch_create(0);
    struct pcol_buf out = {0};

    PCOL_UNUSED(state);
    check_push("endpoint: http://p:4040\nprotocol: push", false);
    check_push("endpoint: http://p:4040\nprotocol: push\ncompression: gzip\n"
               "sanitize_label_names: false",
               true);
    /* Nothing to push encodes to nothing, even with gzip. */
    assert_int_equal(
        pcol__pyroexp_push_encode(
            ctx_from(a, "endpoint: http://p\nprotocol: push\ncompression: gzip"), empty, &out),
        0);
    assert_int_equal(out.len, 0);
    pcol_batch_release(empty);
    pcol_arena_destroy(a);
}

static void test_uuid(void **state)
{
    char a[37], b[37];

    PCOL_UNUSED(state);
    pcol__pyroexp_uuid(a);
    pcol__pyroexp_uuid(b);
    assert_uuid_v4(a);
    assert_uuid_v4(b);
    assert_string_not_equal(a, b);
}

/* ---- answers ------------------------------------------------------------------------ */

static void test_classify(void **state)
{
    static const int accepted[] = {200, 202, 204};
    static const int retry[] = {429, 500, 502, 503, 504, 599};
    static const int permanent[] = {100, 301, 400, 401, 403, 404, 405, 408, 413, 415, 422, 499};
    size_t i;

    PCOL_UNUSED(state);
    for (i = 0; i < PCOL_ARRAY_SIZE(accepted); i++) {
        assert_int_equal(pcol__pyroexp_classify(accepted[i]), PCOL__PYROEXP_ACCEPTED);
    }
    for (i = 0; i < PCOL_ARRAY_SIZE(retry); i++) {
        assert_int_equal(pcol__pyroexp_classify(retry[i]), PCOL__PYROEXP_RETRY);
    }
    for (i = 0; i < PCOL_ARRAY_SIZE(permanent); i++) {
        assert_int_equal(pcol__pyroexp_classify(permanent[i]), PCOL__PYROEXP_PERMANENT);
    }
}

static const char *detail_of(int status, const char *body)
{
    static char out[256];
    struct pcol_http_client_resp resp = {
        .status = status, .body = (const uint8_t *)body, .body_len = strlen(body)};

    pcol__pyroexp_error_detail(&resp, out, sizeof(out));
    return out;
}

static void test_error_detail(void **state)
{
    static const char json[] =
        "{\"code\":\"unknown\",\"details\":[{\"x\":\"}\"}],\"message\":\"pushing IngestInput-pprof "
        "failed \\\"bad\\\"\\u00e9\"}";
    char cut[sizeof(json)];
    size_t i;

    PCOL_UNUSED(state);
    assert_string_equal(detail_of(422, json),
                        "HTTP 422 (unknown): pushing IngestInput-pprof failed \"bad\"?");
    assert_string_equal(detail_of(401, "{\"code\":\"unauthenticated\"}"),
                        "HTTP 401 (unauthenticated)");
    assert_string_equal(detail_of(413, "{}"), "HTTP 413");
    assert_string_equal(detail_of(404, "404 page not found\n"), "HTTP 404: 404 page not found");
    assert_string_equal(detail_of(500, ""), "HTTP 500");
    /* Every truncation of the JSON reads without a crash. */
    for (i = 0; i < sizeof(json) - 1; i++) {
        memcpy(cut, json, i);
        cut[i] = '\0';
        assert_true(strncmp(detail_of(422, cut), "HTTP 422", 8) == 0);
    }
}

static void test_retry_after(void **state)
{
    const time_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */

    PCOL_UNUSED(state);
    assert_int_equal(pcol_http_retry_after_ms("2", now), 2000);
    assert_int_equal(pcol_http_retry_after_ms("0", now), 0);
    assert_int_equal(pcol_http_retry_after_ms("99999999999", now), 86400000);
    assert_int_equal(pcol_http_retry_after_ms("Sun, 06 Nov 1994 08:49:47 GMT", now), 10000);
    assert_int_equal(pcol_http_retry_after_ms("Sun, 06 Nov 1994 08:49:30 GMT", now), 0);
    assert_int_equal(pcol_http_retry_after_ms("Sun, 06 Nov 1994 08:49:47 GMTx", now), 0);
    assert_int_equal(pcol_http_retry_after_ms("2s", now), 0);
    assert_int_equal(pcol_http_retry_after_ms("", now), 0);
    assert_int_equal(pcol_http_retry_after_ms(NULL, now), 0);
}

/* ---- config ------------------------------------------------------------------------- */

static void test_config_errors(void **state)
{
    struct pcol_diag d = {0};

    PCOL_UNUSED(state);
    assert_int_equal(ph_config_errors(&pcol_exporter_pyroscope,
                                      "endpoint: http://p:4040\n"
                                      "protocol: push\n"
                                      "compression: gzip\n"
                                      "tenant_id: team-a\n"
                                      "basic_auth: {username: u, password_env: P}\n"
                                      "headers: {x-team: a}\n"
                                      "labels: {include: ['^k8s\\.'], exclude: [pod]}\n",
                                      &d),
                     0);
    pcol_diag_free(&d);

    memset(&d, 0, sizeof(d));
    assert_int_equal(ph_config_errors(&pcol_exporter_pyroscope,
                                      "endpoint: pyroscope:4040\n"
                                      "compression: gzip\n"
                                      "tenant_id: \"a b\"\n"
                                      "basic_auth: {username: u}\n"
                                      "bearer_token: t\n"
                                      "bearer_token_env: T\n"
                                      "headers: {\"bad name\": x}\n",
                                      &d),
                     7);
    ASSERT_ERROR(&d, 1, 11, "start with http:// or https://");
    ASSERT_ERROR(&d, 2, 14, "compression applies to protocol push");
    ASSERT_ERROR(&d, 3, 12, "tenant_id: use A-Z");
    ASSERT_ERROR(&d, 4, 13, "basic_auth needs both a username and a password");
    ASSERT_ERROR(&d, 4, 13, "either basic_auth or a bearer token");
    ASSERT_ERROR(&d, 6, 19, "bearer_token or bearer_token_env, not both");
    ASSERT_ERROR(&d, 7, 10, "header \"bad name\"");
    pcol_diag_free(&d);

    memset(&d, 0, sizeof(d));
    assert_int_equal(ph_config_errors(&pcol_exporter_pyroscope,
                                      "protocol: grpc\n"
                                      "labels: {include: ['(?=x)']}\n",
                                      &d),
                     3);
    ASSERT_ERROR(&d, 1, 1, "endpoint");
    ASSERT_ERROR(&d, 1, 11, "grpc");
    ASSERT_ERROR(&d, 2, 20, "(?=");
    pcol_diag_free(&d);

    memset(&d, 0, sizeof(d));
    assert_int_equal(ph_config_errors(&pcol_exporter_pyroscope,
                                      "endpoint: http://p\n"
                                      "basic_auth: {username: u, username_env: U, password: p}\n",
                                      &d),
                     1);
    ASSERT_ERROR(&d, 2, 13, "username or username_env, not both");
    pcol_diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoints),     cmocka_unit_test(test_label_names),
        cmocka_unit_test(test_label_values),  cmocka_unit_test(test_resource_labels),
        cmocka_unit_test(test_profile_names), cmocka_unit_test(test_ingest_query),
        cmocka_unit_test(test_ingest_encode), cmocka_unit_test(test_push_encode),
        cmocka_unit_test(test_uuid),          cmocka_unit_test(test_classify),
        cmocka_unit_test(test_error_detail),  cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
