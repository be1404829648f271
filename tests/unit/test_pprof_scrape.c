/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pprof_scrape.c: the pprof receiver's scraper (receivers/pprof/
 * scrape.c, scrape_options.c). The pure helpers (target URLs, request
 * paths, CPU seconds), the `scrape:` checks with their positions and
 * defaults, and the receiver itself, started as the service starts it on a
 * real loop feeding a real pipeline, against a loopback HTTP server
 * (core/http_server.h) that serves corpus profiles, Go-style 404s, garbage,
 * and requests that never end.
 *
 * Ownership: each test owns its loop, test server and receiver harness and
 * closes them all (uv_loop_close must succeed: no handle left open).
 */
#include "testutil.h"

#include "proc_harness.h"

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../receivers/pprof/scrape.h"
#include "codec_pprof.h"
#include "http_server.h"
#include "pipeline.h"
#include "telemetry.h"
#include "tls.h"

extern const struct pcol_component_def pcol_receiver_pprof;

#define CPU_FILE "google-pprof__large.cpu"       /* 1.2 MB: decoded on the thread pool */
#define ALLOCS_FILE "parca__alloc_objects.pb.gz" /* 94 KB gzip: thread pool too */
#define GOROUTINE_FILE "parca__two-stacks.pb.gz" /* tiny: decoded inline */

/* ---- pure helpers ------------------------------------------------------------------ */

static void url_ok(const char *url, const char *host, uint16_t port, bool tls, const char *prefix)
{
    struct pcol_pprof_scrape_url u;
    struct pcol_err err = {{0}};

    assert_int_equal(pcol_pprof_scrape_url_parse(url, &u, &err), 0);
    assert_string_equal(u.host, host);
    assert_int_equal(u.port, port);
    assert_int_equal(u.tls, tls);
    assert_string_equal(u.prefix, prefix);
    pcol_pprof_scrape_url_free(&u);
}

static void url_bad(const char *url, const char *why)
{
    struct pcol_pprof_scrape_url u;
    struct pcol_err err = {{0}};

    assert_int_equal(pcol_pprof_scrape_url_parse(url, &u, &err), PCOL_EINVAL);
    if (!strstr(err.msg, why)) {
        fail_msg("%s: '%s' lacks '%s'", url, err.msg, why);
    }
    assert_null(u.host);
    assert_null(u.prefix);
}

static void test_urls(void **state)
{
    (void)state;
    url_ok("http://127.0.0.1:6060", "127.0.0.1", 6060, false, "");
    url_ok("HTTP://localhost", "localhost", 80, false, "");
    url_ok("https://app.example:8443/", "app.example", 8443, true, "");
    url_ok("https://app.example/svc/pprof//", "app.example", 443, true, "/svc/pprof");
    url_ok("http://[::1]:6060", "::1", 6060, false, "");
    url_bad("ftp://h:1", "start with http:// or https://");
    url_bad("127.0.0.1:6060", "start with http:// or https://");
    url_bad("http://h:0", "port must be a number from 1 to 65535");
    url_bad("http://h:70000", "port must be a number from 1 to 65535");
    url_bad("http://h:x", "port must be a number");
    url_bad("http://h/debug?x=1", "no query or fragment");
    url_bad("http://h#top", "no query or fragment");
    url_bad("http://user:pw@h:1", "credentials in the URL are not supported");
    url_bad("http://h/a b", "no spaces, quotes");
    url_bad("http://h/\"x", "no spaces, quotes");
    url_bad("http://::1:6060", "write IPv6 addresses in brackets");
    url_bad("http://[::1:6060", "missing ']'");
    url_bad("http://", "no host");
    url_bad("http://:6060", "no host");
}

static void path_is(const char *prefix, const char *path, int64_t seconds, const char *want)
{
    char *got = pcol_pprof_scrape_request_path(prefix, path, seconds);

    assert_string_equal(got, want);
    free(got);
}

static void test_paths_and_seconds(void **state)
{
    struct pcol_pprof_scrape_settings s = {0};

    (void)state;
    assert_string_equal(pcol_pprof_scrape_default_path("cpu"), "/debug/pprof/profile");
    assert_string_equal(pcol_pprof_scrape_default_path("allocs"), "/debug/pprof/allocs");
    assert_string_equal(pcol_pprof_scrape_default_path("threadcreate"),
                        "/debug/pprof/threadcreate");
    assert_null(pcol_pprof_scrape_default_path("memory"));
    assert_null(pcol_pprof_scrape_default_path("CPU"));
    path_is("", "/debug/pprof/profile", 14, "/debug/pprof/profile?seconds=14");
    path_is("/app", "/debug/pprof/heap", 0, "/app/debug/pprof/heap");
    path_is("/app", "/debug/fgprof?format=pprof", 5, "/app/debug/fgprof?format=pprof&seconds=5");
    s.interval = 15000000000ll;
    assert_int_equal(pcol_pprof_scrape_cpu_seconds(&s), 14);
    s.interval = 2500000000ll;
    assert_int_equal(pcol_pprof_scrape_cpu_seconds(&s), 1);
    s.seconds = 5000000000ll;
    assert_int_equal(pcol_pprof_scrape_cpu_seconds(&s), 5);
}

/* ---- configuration ------------------------------------------------------------------- */

static void test_defaults(void **state)
{
    struct pcol_arena *a = pcol_arena_create(0);
    struct pcol_diag d = {0};
    const struct pcol_cfg_node *node =
        pcol__cfg_parse_value(a, "test.yaml", "targets: [{url: 'http://h:1'}]", &d);
    struct pcol_pprof_scrape_settings s;
    const struct pcol_pprof_scrape_target *t;
    static const char *const want[] = {"cpu", "allocs", "goroutine", "mutex", "block"};
    size_t i;

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(pcol_options_apply(pcol_pprof_scrape_options, node, &s, a, &d), 0);
    pcol_pprof_scrape_validate(&s, node, &d);
    assert_int_equal(d.errors + d.warnings, 0);
    assert_int_equal(s.profiles.n, 5);
    for (i = 0; i < 5; i++) {
        assert_string_equal(s.profiles.v[i], want[i]);
    }
    assert_int_equal(s.interval, 15000000000ll);
    assert_int_equal(s.seconds, 0);
    assert_int_equal(pcol_pprof_scrape_cpu_seconds(&s), 14);
    assert_int_equal(s.timeout, 10000000000ll);
    assert_int_equal(s.max_response_size, 32u << 20);
    assert_int_equal(s.paths.n, 0);
    assert_int_equal(s.targets.n, 1);
    t = s.targets.v;
    assert_string_equal(t->url, "http://h:1");
    assert_string_equal(t->service_name, "unspecified");
    assert_int_equal(t->labels.n, 0);
    pcol_diag_free(&d);
    pcol_arena_destroy(a);
}

static void test_config_errors(void **state)
{
    struct pcol_diag d = {0};

    (void)state;
    assert_int_equal(ph_config_errors(&pcol_receiver_pprof,
                                      "scrape:\n"
                                      "  interval: 10s\n"
                                      "  seconds: 10s\n"
                                      "  profiles: [cpu, cpux, goroutine, cpu]\n"
                                      "  paths: {alocs: /x, goroutine: debug/x, block: /b}\n"
                                      "  targets:\n"
                                      "    - url: 'http://h:1/x?q=1'\n"
                                      "      labels: {env: a, service.name: x}\n"
                                      "    - url: http://[::1:6060\n",
                                      &d),
                     8);
    ASSERT_ERROR(&d, 3, 12, "seconds (10s) must be shorter than interval (10s)");
    ASSERT_ERROR(&d, 4, 19, "unknown profile \"cpux\"; did you mean \"cpu\"?");
    ASSERT_ERROR(&d, 4, 36, "profile \"cpu\" is listed twice");
    ASSERT_ERROR(&d, 5, 11, "unknown profile \"alocs\"; did you mean \"allocs\"?");
    ASSERT_ERROR(&d, 5, 33, "path \"debug/x\": start with '/'");
    ASSERT_WARNING(&d, 5, 42, "profile \"block\" is not in scrape.profiles");
    ASSERT_ERROR(&d, 7, 12, "url \"http://h:1/x?q=1\": no query or fragment");
    ASSERT_ERROR(&d, 8, 24, "set service.name with service_name, not as a label");
    ASSERT_ERROR(&d, 9, 12, "missing ']' after the IPv6 address");
    pcol_diag_free(&d);

    /* The option engine's own checks: a target needs its url. */
    assert_int_equal(ph_config_errors(&pcol_receiver_pprof,
                                      "scrape:\n"
                                      "  targets:\n"
                                      "    - service_name: no-url\n",
                                      &d),
                     1);
    ASSERT_ERROR(&d, 3, 7, "url");
    pcol_diag_free(&d);

    assert_int_equal(ph_config_errors(&pcol_receiver_pprof,
                                      "scrape:\n"
                                      "  interval: 3s\n"
                                      "  seconds: 1500ms\n"
                                      "  targets: [{url: 'http://h:1'}]\n",
                                      &d),
                     1);
    ASSERT_ERROR(&d, 3, 12, "seconds must be whole seconds");
    pcol_diag_free(&d);

    assert_int_equal(ph_config_errors(&pcol_receiver_pprof,
                                      "scrape:\n"
                                      "  interval: 1s\n"
                                      "  targets: [{url: 'http://h:1'}]\n",
                                      &d),
                     1);
    ASSERT_ERROR(&d, 2, 13, "an interval under 2s leaves no time for a CPU profile");
    pcol_diag_free(&d);

    /* Without cpu, 1 s is fine; a scrape section without targets warns. */
    assert_int_equal(ph_config_errors(&pcol_receiver_pprof,
                                      "scrape:\n"
                                      "  interval: 1s\n"
                                      "  profiles: [goroutine]\n"
                                      "  targets: [{url: 'https://h', labels: {a: b}}]\n",
                                      &d),
                     0);
    assert_int_equal(d.warnings, 0);
    pcol_diag_free(&d);
    assert_int_equal(ph_config_errors(&pcol_receiver_pprof, "scrape: {interval: 5s}", &d), 0);
    ASSERT_WARNING(&d, 1, 9, "scrape has no targets: nothing is scraped");
    pcol_diag_free(&d);
    assert_int_equal(ph_config_errors(&pcol_receiver_pprof, "scrape: {interval: 500ms}", &d), 1);
    pcol_diag_free(&d);
}

/* ---- a loopback server playing a Go program ------------------------------------------- */

#define MAX_HELD 16

struct srv {
    struct pcol_http_server *http;
    int port;
    struct pcol_buf cpu, allocs, goroutine;
    char cpu_query[64];
    unsigned hits_slow;
    struct pcol_http_request *held[MAX_HELD];
    size_t n_held;
    bool closed;
};

static void serve(struct pcol_http_request *req, const struct pcol_buf *b)
{
    pcol_http_respond(req, 200, "application/octet-stream", b->p, b->len);
}

static void on_cpu(struct pcol_http_request *req, void *data)
{
    struct srv *s = data;

    snprintf(s->cpu_query, sizeof(s->cpu_query), "%s", req->query);
    serve(req, &s->cpu);
}

static void on_allocs(struct pcol_http_request *req, void *data)
{
    serve(req, &((struct srv *)data)->allocs);
}

static void on_goroutine(struct pcol_http_request *req, void *data)
{
    serve(req, &((struct srv *)data)->goroutine);
}

static void on_unknown(struct pcol_http_request *req, void *data)
{
    (void)data;
    /* What net/http/pprof answers for a profile it does not know. */
    pcol_http_response_header(req, "X-Go-Pprof", "1");
    pcol_http_respond(req, 404, "text/plain; charset=utf-8", "Unknown profile\n", 16);
}

static void on_garbage(struct pcol_http_request *req, void *data)
{
    (void)data;
    pcol_http_respond(req, 200, "application/octet-stream", "not a profile", 13);
}

static void on_slow(struct pcol_http_request *req, void *data)
{
    struct srv *s = data;

    s->hits_slow++;
    assert_true(s->n_held < MAX_HELD);
    s->held[s->n_held++] = req;
}

/* Starts the server on 127.0.0.1:0; HTTPS with `tls` (borrowed). */
static void srv_start_tls(struct srv *s, uv_loop_t *loop, struct pcol_tls_ctx *tls)
{
    struct pcol_http_server_opts o = {0};
    struct pcol_err err = {{0}};

    memset(s, 0, sizeof(*s));
    tu_read_corpus(CPU_FILE, &s->cpu);
    tu_read_corpus(ALLOCS_FILE, &s->allocs);
    tu_read_corpus(GOROUTINE_FILE, &s->goroutine);
    o.tls = tls;
    s->http = pcol_http_server_create(loop, &o);
    assert_non_null(s->http);
    pcol_http_route(s->http, "GET", "/debug/pprof/profile", on_cpu, s, 0);
    pcol_http_route(s->http, "GET", "/debug/pprof/allocs", on_allocs, s, 0);
    pcol_http_route(s->http, "GET", "/debug/pprof/goroutine", on_goroutine, s, 0);
    pcol_http_route(s->http, "GET", "/debug/pprof/unknown", on_unknown, s, 0);
    pcol_http_route(s->http, "GET", "/garbage", on_garbage, s, 0);
    pcol_http_route(s->http, "GET", "/slow", on_slow, s, 0);
    assert_int_equal(pcol_http_server_listen(s->http, "127.0.0.1", 0, &err), 0);
    s->port = pcol_http_server_port(s->http);
}

static void srv_start(struct srv *s, uv_loop_t *loop)
{
    srv_start_tls(s, loop, NULL);
}

static void srv_closed(void *data)
{
    ((struct srv *)data)->closed = true;
}

static void srv_stop(struct srv *s, uv_loop_t *loop)
{
    size_t i;
    int spins = 0;

    for (i = 0; i < s->n_held; i++) {
        pcol_http_respond(s->held[i], 200, NULL, NULL, 0); /* the client is long gone */
    }
    pcol_http_server_close(s->http, srv_closed, s);
    while (!s->closed && spins++ < 1000) {
        uv_run(loop, UV_RUN_ONCE);
    }
    assert_true(s->closed);
    pcol_buf_free(&s->cpu);
    pcol_buf_free(&s->allocs);
    pcol_buf_free(&s->goroutine);
}

/* A port nothing listens on (bound, then closed). */
static int closed_port(uv_loop_t *loop)
{
    struct sockaddr_in sa;
    struct sockaddr_storage got;
    int len = sizeof(got);
    uv_tcp_t tcp;

    uv_ip4_addr("127.0.0.1", 0, &sa);
    uv_tcp_init(loop, &tcp);
    assert_int_equal(uv_tcp_bind(&tcp, (const struct sockaddr *)&sa, 0), 0);
    assert_int_equal(uv_tcp_getsockname(&tcp, (struct sockaddr *)&got, &len), 0);
    uv_close((uv_handle_t *)&tcp, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return ntohs(((struct sockaddr_in *)&got)->sin_port);
}

/* ---- the receiver, driven as the service drives it ------------------------------------- */

#define MAX_OUT 64

struct rh {
    uv_loop_t *loop;
    struct pcol_arena *arena;
    struct pcol_instance rcv, sink;
    struct pcol_instance *procs[1];
    struct pcol_pipeline pipe;
    struct pcol_pipeline *pipes[1];
    struct pcol_batch *out[MAX_OUT];
    size_t n_out;
};

static enum pcol_status sink_process(struct pcol_instance *inst, struct pcol_batch *b)
{
    struct rh *h = pcol_ctx(inst);

    assert_true(h->n_out < MAX_OUT);
    h->out[h->n_out++] = b;
    return PCOL_HOLD;
}

static const struct pcol_component_def sink_def = {
    .kind = PCOL_PROCESSOR, .name = "sink", .process = sink_process};

/* Creates receiver `id` (unique per test: metrics outlive it) from `yaml`
 * feeding one pipeline (budget `limit`) whose sink keeps every batch. */
static struct rh *rh_create(uv_loop_t *loop, const char *id, const char *yaml, uint64_t limit)
{
    struct rh *h = pcol_xcalloc(1, sizeof(*h));
    struct pcol_diag d = {0};
    const struct pcol_cfg_node *node;

    h->loop = loop;
    h->arena = pcol_arena_create(0);
    node = pcol__cfg_parse_value(h->arena, "test.yaml", yaml, &d);
    h->pipe.id = id;
    h->pipe.procs = h->procs;
    h->pipe.n_procs = 1;
    pcol__pipeline_init(&h->pipe, limit);
    h->sink.def = &sink_def;
    h->sink.kind = PCOL_PROCESSOR;
    h->sink.id = h->sink.who = "sink";
    h->sink.loop = loop;
    h->sink.ctx = h;
    h->sink.pipe = &h->pipe;
    h->procs[0] = &h->sink;
    h->pipes[0] = &h->pipe;
    h->rcv.def = &pcol_receiver_pprof;
    h->rcv.kind = PCOL_RECEIVER;
    h->rcv.id = h->rcv.who = id;
    h->rcv.loop = loop;
    h->rcv.arena = h->arena;
    h->rcv.pipes = h->pipes;
    h->rcv.n_pipes = 1;
    h->rcv.ctx = pcol_arena_calloc(h->arena, pcol_receiver_pprof.ctx_size);
    if (d.errors == 0) {
        pcol_options_apply(pcol_receiver_pprof.options, node, h->rcv.ctx, h->arena, &d);
    }
    if (d.errors == 0) {
        pcol_receiver_pprof.validate(h->rcv.ctx, node, &d);
    }
    if (d.errors) {
        pcol_diag_print(&d, stderr);
    }
    assert_int_equal(d.errors, 0);
    pcol_diag_free(&d);
    pcol__instance_metrics(&h->rcv);
    pcol__instance_metrics(&h->sink);
    h->rcv.initialised = true;
    return h;
}

static void rh_start(struct rh *h)
{
    assert_int_equal(pcol_receiver_pprof.start(&h->rcv), 0);
    h->rcv.started = true;
}

static void on_stopped(struct pcol_instance *inst)
{
    assert_false(inst->stopped); /* done exactly once */
    inst->stopped = true;
}

/* Stops and destroys the receiver; returns how long the stop took (ms). */
static uint64_t rh_destroy(struct rh *h)
{
    uint64_t t0 = uv_hrtime();
    uint64_t took;
    int spins = 0;
    size_t i;

    h->rcv.stopping = true;
    pcol_receiver_pprof.stop(&h->rcv, on_stopped);
    while (!h->rcv.stopped && spins++ < 10000) {
        uv_run(h->loop, UV_RUN_ONCE);
    }
    took = (uv_hrtime() - t0) / 1000000;
    assert_true(h->rcv.stopped);
    pcol_receiver_pprof.destroy(&h->rcv);
    for (i = 0; i < h->n_out; i++) {
        pcol_batch_release(h->out[i]);
    }
    pcol__pipeline_fini(&h->pipe);
    pcol_arena_destroy(h->arena);
    free(h);
    return took;
}

static void on_timer(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static void run_for(uv_loop_t *loop, uint64_t ms)
{
    uv_timer_t t;

    uv_timer_init(loop, &t);
    uv_timer_start(&t, on_timer, ms, 0);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

static void loop_close(uv_loop_t *loop)
{
    uv_run(loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(loop), 0);
}

/* A scrape metric of receiver `id`, target `url`, `profile` (and `reason`). */
static uint64_t metric(const char *name, const char *id, const char *url, const char *profile,
                       const char *reason)
{
    char labels[512];
    int n = snprintf(labels, sizeof(labels), "receiver=\"%s\",target=\"%s\",profile=\"%s\"", id,
                     url, profile);

    if (reason) {
        snprintf(labels + n, sizeof(labels) - (size_t)n, ",reason=\"%s\"", reason);
    }
    return *pcol_metric_counter(name, "", labels);
}

static uint64_t failures(const char *id, const char *url, const char *profile, const char *reason)
{
    return metric("profcol_scrape_failures_total", id, url, profile, reason);
}

/* "type/unit samples=N sum=S" per profile, one line each. */
static void summary(const struct pcol_batch *b, struct pcol_buf *out)
{
    uint32_t r, s, p, i, v;

    for (r = 0; r < b->n_resources; r++) {
        for (s = 0; s < b->resources[r].n_scopes; s++) {
            const struct pcol_scope *sc = &b->resources[r].scopes[s];
            for (p = 0; p < sc->n_profiles; p++) {
                const struct pcol_profile *pr = &sc->profiles[p];
                int64_t sum = 0;
                for (i = 0; i < pr->n_samples; i++) {
                    for (v = 0; v < pr->samples[i].n_values; v++) {
                        sum += pr->samples[i].values[v];
                    }
                }
                pcol_buf_printf(out, "%s/%s samples=%u sum=%lld\n",
                                pcol_cstr(b, pr->sample_type.type),
                                pcol_cstr(b, pr->sample_type.unit), pr->n_samples, (long long)sum);
            }
        }
    }
    pcol_buf_putc(out, '\0');
}

static void corpus_summary(const char *name, struct pcol_buf *out)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_pprof_decode_opts o = {0};
    struct pcol_buf raw = {0};
    struct pcol_err err = {{0}};

    tu_read_corpus(name, &raw);
    assert_int_equal(pcol_pprof_decode(b, raw.p, raw.len, &o, &err), 0);
    summary(b, out);
    pcol_buf_free(&raw);
    pcol_batch_release(b);
}

static const char *res_attr(struct pcol_batch *b, const char *key)
{
    int32_t k = pcol_dict_find_str(b, key, strlen(key));
    const struct pcol_kv *kv;

    if (k < 0 || b->n_resources != 1) {
        return NULL;
    }
    kv = pcol_kvs_find(b->resources[0].attrs, b->resources[0].n_attrs, k);
    return kv && kv->value.kind == PCOL_VAL_STR ? pcol_cstr(b, kv->value.u.str) : NULL;
}

/* Runs the loop in slices until `h` has `n` batches or `max_ms` passed. */
static void run_until_out(struct rh *h, size_t n, uint64_t max_ms)
{
    uint64_t t;

    for (t = 0; t < max_ms && h->n_out < n; t += 50) {
        run_for(h->loop, 50);
    }
}

/* ---- scraping ---------------------------------------------------------------------------- */

/* Three profiles of one target arrive once each, decoded exactly as the
 * corpus files they are, with the target's resource attributes. */
static void test_scrape_delivers(void **state)
{
    static const char *const files[] = {CPU_FILE, ALLOCS_FILE, GOROUTINE_FILE};
    static const char *const id = "pprof/delivers";
    struct pcol_buf want[3] = {{0}};
    bool seen[3] = {false};
    char yaml[512], url[64];
    uv_loop_t loop;
    struct srv s;
    struct rh *h;
    size_t i, j;

    (void)state;
    uv_loop_init(&loop);
    srv_start(&s, &loop);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
    snprintf(yaml, sizeof(yaml),
             "endpoint: 127.0.0.1:0\n"
             "scrape:\n"
             "  interval: 2s\n"
             "  profiles: [cpu, allocs, goroutine]\n"
             "  targets:\n"
             "    - url: %s\n"
             "      service_name: checkout\n"
             "      labels: {env: test, zone: z1}\n",
             url);
    h = rh_create(&loop, id, yaml, 0);
    rh_start(h);
    run_until_out(h, 3, 5000);
    assert_int_equal(h->n_out, 3);
    for (i = 0; i < 3; i++) {
        corpus_summary(files[i], &want[i]);
    }
    for (i = 0; i < h->n_out; i++) {
        struct pcol_buf got = {0};
        summary(h->out[i], &got);
        for (j = 0; j < 3 && strcmp((char *)got.p, (char *)want[j].p); j++) {
        }
        if (j == 3) {
            fail_msg("batch %zu matches no corpus file:\n%s", i, (char *)got.p);
        }
        assert_false(seen[j]);
        seen[j] = true;
        assert_string_equal(res_attr(h->out[i], "service.name"), "checkout");
        assert_string_equal(res_attr(h->out[i], "env"), "test");
        assert_string_equal(res_attr(h->out[i], "zone"), "z1");
        assert_string_equal(res_attr(h->out[i], "profcol.scrape.url"), url);
        assert_true(h->out[i]->received_unix_nano > 0);
        pcol_buf_free(&got);
    }
    assert_string_equal(s.cpu_query, "seconds=1"); /* interval 2s - 1s */
    assert_int_equal(metric("profcol_scrape_profiles_total", id, url, "cpu", NULL), 1);
    assert_int_equal(metric("profcol_scrape_profiles_total", id, url, "allocs", NULL), 1);
    assert_int_equal(metric("profcol_scrape_profiles_total", id, url, "goroutine", NULL), 1);
    /* one OTLP profile per sample type: a line of the summaries each */
    for (i = 0, j = 0; i < 3; i++) {
        const char *c;
        for (c = (const char *)want[i].p; *c; c++) {
            j += *c == '\n';
        }
    }
    assert_int_equal(*h->rcv.m_items, j);
    rh_destroy(h);
    srv_stop(&s, &loop);
    loop_close(&loop);
    for (i = 0; i < 3; i++) {
        pcol_buf_free(&want[i]);
    }
}

/* A 404 path override, an undecodable body and a closed port are counted
 * by reason, once per tick, and nothing reaches the pipeline. */
static void test_scrape_failures(void **state)
{
    static const char *const id = "pprof/failures";
    char yaml[512], good[64], dead[64];
    uv_loop_t loop;
    struct srv s;
    struct rh *h;
    uint64_t n;

    (void)state;
    uv_loop_init(&loop);
    srv_start(&s, &loop);
    snprintf(good, sizeof(good), "http://127.0.0.1:%d", s.port);
    snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", closed_port(&loop));
    snprintf(yaml, sizeof(yaml),
             "endpoint: 127.0.0.1:0\n"
             "scrape:\n"
             "  interval: 1s\n"
             "  profiles: [allocs, goroutine]\n"
             "  paths: {goroutine: /debug/pprof/unknown, allocs: /garbage}\n"
             "  targets: [{url: '%s'}, {url: '%s'}]\n",
             good, dead);
    h = rh_create(&loop, id, yaml, 0);
    rh_start(h);
    run_for(&loop, 2600); /* first ticks within 0.5 s, then every second */
    n = failures(id, good, "goroutine", "http_404");
    assert_true(n >= 2 && n <= 3);
    n = failures(id, good, "allocs", "undecodable");
    assert_true(n >= 2 && n <= 3);
    n = failures(id, dead, "allocs", "connection");
    assert_true(n >= 2 && n <= 3);
    n = failures(id, dead, "goroutine", "connection");
    assert_true(n >= 2 && n <= 3);
    assert_int_equal(failures(id, good, "goroutine", "connection"), 0);
    assert_int_equal(metric("profcol_scrape_profiles_total", id, good, "allocs", NULL), 0);
    assert_int_equal(h->n_out, 0);
    rh_destroy(h);
    srv_stop(&s, &loop);
    loop_close(&loop);
}

/* A target that never answers: its next tick is skipped while the request
 * runs, the request times out, and another profile of the same target
 * keeps arriving every interval meanwhile. */
static void test_scrape_slow_target(void **state)
{
    static const char *const id = "pprof/slow";
    char yaml[512], url[64];
    uv_loop_t loop;
    struct srv s;
    struct rh *h;

    (void)state;
    uv_loop_init(&loop);
    srv_start(&s, &loop);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
    snprintf(yaml, sizeof(yaml),
             "endpoint: 127.0.0.1:0\n"
             "scrape:\n"
             "  interval: 1s\n"
             "  timeout: 1500ms\n"
             "  profiles: [goroutine, allocs]\n"
             "  paths: {goroutine: /slow}\n"
             "  targets: [{url: '%s'}]\n",
             url);
    h = rh_create(&loop, id, yaml, 0);
    rh_start(h);
    run_for(&loop, 3300);
    /* ticks at j, j+1, j+2 (j <= 0.5 s): request, skipped, timed out at
     * j+1.5, new request at j+2 */
    assert_true(s.hits_slow >= 2);
    assert_true(failures(id, url, "goroutine", "timeout") >= 1);
    assert_true(metric("profcol_scrape_skipped_total", id, url, "goroutine", NULL) >= 1);
    assert_true(metric("profcol_scrape_profiles_total", id, url, "allocs", NULL) >= 3);
    assert_true(h->n_out >= 3);
    assert_int_equal(metric("profcol_scrape_skipped_total", id, url, "allocs", NULL), 0);
    rh_destroy(h);
    srv_stop(&s, &loop);
    loop_close(&loop);
}

/* Stopping with a CPU profile in flight cancels it at once, uncounted. */
static void test_scrape_stop_cancels(void **state)
{
    static const char *const id = "pprof/stop";
    char yaml[512], url[64];
    uv_loop_t loop;
    struct srv s;
    struct rh *h;
    uint64_t took;

    (void)state;
    uv_loop_init(&loop);
    srv_start(&s, &loop);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
    snprintf(yaml, sizeof(yaml),
             "endpoint: 127.0.0.1:0\n"
             "scrape:\n"
             "  interval: 4s\n"
             "  profiles: [cpu]\n"
             "  paths: {cpu: /slow}\n"
             "  targets: [{url: '%s'}]\n",
             url);
    h = rh_create(&loop, id, yaml, 0);
    rh_start(h);
    run_for(&loop, 2300); /* the first tick comes within 2 s */
    assert_int_equal(s.hits_slow, 1);
    took = rh_destroy(h);
    assert_true(took < 1000);
    assert_int_equal(failures(id, url, "cpu", "connection"), 0);
    assert_int_equal(failures(id, url, "cpu", "timeout"), 0);
    srv_stop(&s, &loop);
    loop_close(&loop);
}

/* A full memory budget: the scrape is refused before decoding. */
static void test_scrape_memory_limit(void **state)
{
    static const char *const id = "pprof/budget";
    struct pcol_batch *big = pcol_batch_create(0);
    struct pcol_pprof_decode_opts o = {0};
    struct pcol_buf raw = {0};
    struct pcol_err err = {{0}};
    char yaml[512], url[64];
    uv_loop_t loop;
    struct srv s;
    struct rh *h;
    int i;

    (void)state;
    tu_read_corpus(CPU_FILE, &raw);
    assert_int_equal(pcol_pprof_decode(big, raw.p, raw.len, &o, &err), 0);
    pcol_buf_free(&raw);
    uv_loop_init(&loop);
    srv_start(&s, &loop);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
    snprintf(yaml, sizeof(yaml),
             "endpoint: 127.0.0.1:0\n"
             "scrape:\n"
             "  interval: 1s\n"
             "  profiles: [goroutine]\n"
             "  targets: [{url: '%s'}]\n",
             url);
    /* Room for `big` and 100 bytes; the goroutine profile is 173. */
    h = rh_create(&loop, id, yaml, pcol_batch_bytes(big) + 100);
    pcol__pipeline_run(&h->pipe, big, 0); /* the sink holds it: the budget is full */
    assert_int_equal(h->n_out, 1);
    rh_start(h);
    for (i = 0; i < 60 && failures(id, url, "goroutine", "memory_limit") == 0; i++) {
        run_for(&loop, 50);
    }
    assert_int_equal(failures(id, url, "goroutine", "memory_limit"), 1);
    assert_int_equal(*pcol_metric_counter("profcol_receiver_refused_profiles_total", "",
                                          "receiver=\"pprof/budget\",reason=\"memory_limit\""),
                     1);
    assert_int_equal(h->n_out, 1);
    assert_int_equal(metric("profcol_scrape_profiles_total", id, url, "goroutine", NULL), 0);
    rh_destroy(h);
    srv_stop(&s, &loop);
    loop_close(&loop);
}

/* ---- HTTPS -------------------------------------------------------------------------------- */

/* An https:// target verified with scrape.tls.ca_file; a second receiver
 * trusting another CA fails the handshake (reason connection). */
static void test_scrape_https(void **state)
{
    static const char *const id = "pprof/https", *const id_bad = "pprof/https-bad-ca";
    struct pcol_tls_settings ss = {0};
    struct pcol_err err = {{0}};
    struct pcol_tls_ctx *tls;
    char yaml[512], url[64];
    uv_loop_t loop;
    struct srv s;
    struct rh *h, *bad;
    int i;

    (void)state;
    ss.cert_file = tu_cert("server.crt");
    ss.key_file = tu_cert("server.key");
    tls = pcol_tls_ctx_create_server(&ss, pcol_http_server_alpn, &err);
    if (!tls) {
        fail_msg("%s", err.msg);
    }
    uv_loop_init(&loop);
    srv_start_tls(&s, &loop, tls);
    pcol_tls_ctx_unref(tls);
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", s.port);
    snprintf(yaml, sizeof(yaml),
             "endpoint: 127.0.0.1:0\n"
             "scrape:\n"
             "  interval: 1s\n"
             "  profiles: [goroutine]\n"
             "  tls: {ca_file: '%s'}\n"
             "  targets: [{url: '%s', service_name: secure}]\n",
             tu_cert("ca1.crt"), url);
    h = rh_create(&loop, id, yaml, 0);
    snprintf(yaml, sizeof(yaml),
             "endpoint: 127.0.0.1:0\n"
             "scrape:\n"
             "  interval: 1s\n"
             "  profiles: [goroutine]\n"
             "  tls: {ca_file: '%s'}\n"
             "  targets: [{url: '%s'}]\n",
             tu_cert("ca2.crt"), url);
    bad = rh_create(&loop, id_bad, yaml, 0);
    rh_start(h);
    rh_start(bad);
    for (i = 0; i < 200 && (h->n_out == 0 || failures(id_bad, url, "goroutine", "connection") == 0);
         i++) {
        run_for(&loop, 50);
    }
    assert_true(h->n_out >= 1);
    assert_string_equal(res_attr(h->out[0], "service.name"), "secure");
    assert_string_equal(res_attr(h->out[0], "profcol.scrape.url"), url);
    assert_int_equal(failures(id, url, "goroutine", "connection"), 0);
    assert_true(failures(id_bad, url, "goroutine", "connection") >= 1);
    assert_int_equal(bad->n_out, 0);
    rh_destroy(bad);
    rh_destroy(h);
    srv_stop(&s, &loop);
    loop_close(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_paths_and_seconds),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_scrape_delivers),
        cmocka_unit_test(test_scrape_failures),
        cmocka_unit_test(test_scrape_slow_target),
        cmocka_unit_test(test_scrape_stop_cancels),
        cmocka_unit_test(test_scrape_memory_limit),
        cmocka_unit_test(test_scrape_https),
    };
    int rc;

    /* libuv writes with write(): a peer that is gone must not kill the test. */
    signal(SIGPIPE, SIG_IGN);
    rc = cmocka_run_group_tests(tests, tu_certs_make, tu_certs_remove);

    pcol_metrics_free();
    return rc;
}
