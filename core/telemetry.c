/* SPDX-License-Identifier: Apache-2.0 */
/* telemetry.c: the metrics registry, its Prometheus rendering, and the
 * /metrics, /healthz and /readyz endpoints on the shared HTTP server. */
#include "telemetry.h"

#include "http_server.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct series {
    struct series *next;
    char *labels;
    union {
        uint64_t counter;
        int64_t gauge;
    } v;
};

struct family {
    struct family *next;
    char *name;
    char *help;
    enum pcol_metric_type type;
    struct series *series, **tail;
};

static struct family *families, **families_tail = &families;

static struct series *series_get(const char *name, const char *help, enum pcol_metric_type type,
                                 const char *labels)
{
    struct family *f;
    struct series *s;

    for (f = families; f; f = f->next) {
        if (!strcmp(f->name, name)) {
            break;
        }
    }
    if (!f) {
        f = pcol_xcalloc(1, sizeof(*f));
        f->name = pcol_xstrdup(name);
        f->help = pcol_xstrdup(help);
        f->type = type;
        f->tail = &f->series;
        *families_tail = f;
        families_tail = &f->next;
    }
    for (s = f->series; s; s = s->next) {
        if (!strcmp(s->labels, labels)) {
            return s;
        }
    }
    s = pcol_xcalloc(1, sizeof(*s));
    s->labels = pcol_xstrdup(labels);
    *f->tail = s;
    f->tail = &s->next;
    return s;
}

uint64_t *pcol_metric_counter(const char *name, const char *help, const char *labels)
{
    return &series_get(name, help, PCOL_METRIC_COUNTER, labels)->v.counter;
}

int64_t *pcol_metric_gauge(const char *name, const char *help, const char *labels)
{
    return &series_get(name, help, PCOL_METRIC_GAUGE, labels)->v.gauge;
}

void pcol_metrics_render(struct pcol_buf *out)
{
    const struct family *f;
    const struct series *s;

    for (f = families; f; f = f->next) {
        pcol_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
                        f->type == PCOL_METRIC_COUNTER ? "counter" : "gauge");
        for (s = f->series; s; s = s->next) {
            pcol_buf_puts(out, f->name);
            if (s->labels[0]) {
                pcol_buf_printf(out, "{%s}", s->labels);
            }
            if (f->type == PCOL_METRIC_COUNTER) {
                pcol_buf_printf(out, " %" PRIu64 "\n", s->v.counter);
            } else {
                pcol_buf_printf(out, " %" PRId64 "\n", s->v.gauge);
            }
        }
    }
}

void pcol_metrics_free(void)
{
    struct family *f, *fn;
    struct series *s, *sn;

    for (f = families; f; f = fn) {
        fn = f->next;
        for (s = f->series; s; s = sn) {
            sn = s->next;
            free(s->labels);
            free(s);
        }
        free(f->name);
        free(f->help);
        free(f);
    }
    families = NULL;
    families_tail = &families;
}

/* ---- endpoint --------------------------------------------------------------- */

struct pcol_telemetry_server {
    struct pcol_http_server *http;
    const bool *ready;
    void (*done)(void *);
    void *done_data;
};

static void on_metrics(struct pcol_http_request *req, void *data)
{
    struct pcol_buf body = {0};

    (void)data;
    pcol_metrics_render(&body);
    pcol_http_respond_take(req, 200, "text/plain; version=0.0.4; charset=utf-8", body.p, body.len,
                           free);
}

static void on_healthz(struct pcol_http_request *req, void *data)
{
    (void)data;
    pcol_http_respond(req, 200, "text/plain", "ok\n", 3);
}

static void on_readyz(struct pcol_http_request *req, void *data)
{
    struct pcol_telemetry_server *ts = data;

    if (*ts->ready) {
        pcol_http_respond(req, 200, "text/plain", "ready\n", 6);
    } else {
        pcol_http_respond(req, 503, "text/plain", "not ready\n", 10);
    }
}

struct pcol_telemetry_server *pcol_telemetry_start(uv_loop_t *loop,
                                                   const struct pcol_endpoint *addr,
                                                   const bool *ready, struct pcol_err *err)
{
    struct pcol_telemetry_server *ts = pcol_xcalloc(1, sizeof(*ts));

    ts->ready = ready;
    ts->http = pcol_http_server_create(loop, NULL);
    if (!ts->http) {
        free(ts);
        pcol_err_set(err, PCOL_EIO, "cannot create the metrics server");
        return NULL;
    }
    pcol_http_route(ts->http, "GET", "/metrics", on_metrics, ts, 0);
    pcol_http_route(ts->http, "GET", "/healthz", on_healthz, ts, 0);
    pcol_http_route(ts->http, "GET", "/readyz", on_readyz, ts, 0);
    if (pcol_http_server_listen(ts->http, addr->host[0] ? addr->host : "0.0.0.0", addr->port,
                                err) != 0) {
        pcol_http_server_close(ts->http, NULL, NULL);
        free(ts);
        return NULL;
    }
    return ts;
}

int pcol_telemetry_port(const struct pcol_telemetry_server *ts)
{
    return pcol_http_server_port(ts->http);
}

static void on_http_closed(void *data)
{
    struct pcol_telemetry_server *ts = data;

    if (ts->done) {
        ts->done(ts->done_data);
    }
    free(ts);
}

void pcol_telemetry_stop(struct pcol_telemetry_server *ts, void (*done)(void *), void *data)
{
    ts->done = done;
    ts->done_data = data;
    pcol_http_server_close(ts->http, on_http_closed, ts);
}
