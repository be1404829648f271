/* SPDX-License-Identifier: Apache-2.0 */
/*
 * service.h: the running pipeline service: config -> instances and
 * pipelines (a "graph"), start in order (exporters, processors, receivers),
 * signals, graceful stop, SIGHUP reload, and finite runs (every receiver said
 * it is finished). `profcol run` and `profcol validate` are thin wrappers.
 *
 * Ownership: the service owns the loop, every graph and everything in them.
 */
#ifndef PCOL_SERVICE_H
#define PCOL_SERVICE_H

#include "component.h"

/* Exit statuses of `profcol run` / `profcol validate`. */
enum {
    PCOL_EXIT_OK = 0,
    PCOL_EXIT_RUNTIME = 1, /* could not start (e.g. a port in use) or crashed out */
    PCOL_EXIT_INVALID = 2, /* bad config, or a finite run met bad input */
};

struct pcol_service_opts {
    const char *const *configs; /* config files, merged in order */
    size_t n_configs;           /* 0: the embedded default config */
    const char *ready_file;     /* written once every listener is bound; NULL: none */
    int log_level;              /* enum pcol_log_level, or -1: from the config */
    int log_encoding;           /* enum pcol_log_encoding, or -1: from the config */
};

/* configs/default.yaml, compiled in. */
extern const char pcol_default_config[];

/* Checks the whole config (files, options of every component, wiring)
 * without opening anything; prints every problem to `out`. */
int pcol_service_validate(const struct pcol_service_opts *opts, FILE *out);
/* Runs until SIGTERM/SIGINT or the end of a finite run; returns an exit status. */
int pcol_service_run(const struct pcol_service_opts *opts);

/* Called by the instance API (pipeline.c). */
struct pcol_service;
void pcol__service_receiver_finished(struct pcol_service *svc, struct pcol_instance *rcv);
void pcol__service_listening(struct pcol_service *svc, struct pcol_instance *rcv, const char *what,
                             const char *addr);

#endif
