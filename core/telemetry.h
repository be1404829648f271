/* SPDX-License-Identifier: Apache-2.0 */
/*
 * telemetry.h: profcol's own metrics (Prometheus text) and health endpoints.
 *
 * The registry lives for the whole process, across config reloads, so
 * counters keep counting. A series is a (name, labels) pair; asking for one
 * returns a stable pointer to its value that the caller increments directly
 * on the loop thread (the thread pool never touches metrics).
 *
 * The endpoint (service.telemetry.metrics.address) serves GET /metrics,
 * /healthz (200 while the process runs) and /readyz (200 once every
 * receiver has started, 503 while starting or stopping).
 */
#ifndef PCOL_TELEMETRY_H
#define PCOL_TELEMETRY_H

#include "buf.h"
#include "config.h"

#include <uv.h>

enum pcol_metric_type {
    PCOL_METRIC_COUNTER,
    PCOL_METRIC_GAUGE,
};

/* The series `name{labels}`; `labels` is rendered Prometheus label text
 * without braces (`receiver="pprof",reason="bad_request"`), "" for none.
 * Strings are copied. The first call for a name sets its help and type. */
uint64_t *pcol_metric_counter(const char *name, const char *help, const char *labels);
int64_t *pcol_metric_gauge(const char *name, const char *help, const char *labels);

/* Appends the Prometheus text exposition of every series to `out`. */
void pcol_metrics_render(struct pcol_buf *out);
/* Frees the registry (at process exit, for leak checkers). */
void pcol_metrics_free(void);

struct pcol_telemetry_server;

/* Serves the endpoints on `addr`. `ready` is read on each /readyz. */
struct pcol_telemetry_server *pcol_telemetry_start(uv_loop_t *loop,
                                                   const struct pcol_endpoint *addr,
                                                   const bool *ready, struct pcol_err *err);
int pcol_telemetry_port(const struct pcol_telemetry_server *ts);
/* Closes the listener; done(data) runs once everything is closed. */
void pcol_telemetry_stop(struct pcol_telemetry_server *ts, void (*done)(void *), void *data);

#endif
