/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scrape.h: the pprof receiver's scraper (receivers/pprof/scrape.c): the
 * `scrape:` section's options and checks, and the scraper that pulls Go
 * net/http/pprof profiles from every target once per interval, decodes
 * them, labels them and submits them as the receiver's own batches.
 *
 * Only pprof.c and the scraper's tests include this header.
 *
 * Ownership: the settings live in the receiver's context (the option engine
 * owns their strings). A scraper is the receiver's from
 * pcol_pprof_scraper_create() until pcol_pprof_scraper_free(); it borrows
 * the settings and the instance for its whole life and owns its timers,
 * HTTP client, TLS context and the decode jobs it has on the thread pool.
 */
#ifndef PCOL_PPROF_SCRAPE_H
#define PCOL_PPROF_SCRAPE_H

#include "component.h"
#include "tls.h"

/* One entry of scrape.targets. */
struct pcol_pprof_scrape_target {
    const char *url;
    const char *service_name;
    struct pcol_str_map labels;
};

/* The `scrape:` section. */
struct pcol_pprof_scrape_settings {
    struct pcol_section_list targets; /* struct pcol_pprof_scrape_target */
    struct pcol_str_list profiles;
    struct pcol_str_map paths;
    int64_t interval; /* ns */
    int64_t seconds;  /* ns; 0: interval - 1 s */
    int64_t timeout;  /* ns */
    uint64_t max_response_size;
    struct pcol_tls_settings tls;
};

/* Option rows of the section (embed as a SECTION). */
extern const struct pcol_option pcol_pprof_scrape_options[];

/* Cross-field checks: URLs, profile names, paths, seconds against
 * interval. `node` is the `scrape` mapping as written (NULL when absent). */
void pcol_pprof_scrape_validate(const struct pcol_pprof_scrape_settings *s,
                                const struct pcol_cfg_node *node, struct pcol_diag *d);

/* ---- pure helpers (unit-tested) ----------------------------------------------- */

/* A target URL taken apart: http:// or https://, a host (IPv6 in
 * brackets), an optional port (80 / 443) and an optional path prefix; no
 * query, no fragment. Heap strings; free with pcol_pprof_scrape_url_free. */
struct pcol_pprof_scrape_url {
    char *host; /* without brackets */
    uint16_t port;
    bool tls;
    char *prefix; /* "" or "/app" (no trailing '/') */
};

int pcol_pprof_scrape_url_parse(const char *url, struct pcol_pprof_scrape_url *out,
                                struct pcol_err *err);
void pcol_pprof_scrape_url_free(struct pcol_pprof_scrape_url *u);

/* The default net/http/pprof path of a profile name, or NULL when the name
 * is not one of cpu, heap, allocs, goroutine, mutex, block, threadcreate. */
const char *pcol_pprof_scrape_default_path(const char *profile);

/* The request path: prefix + path, with `seconds=N` added to the query when
 * cpu_seconds > 0. Heap string. */
char *pcol_pprof_scrape_request_path(const char *prefix, const char *path, int64_t cpu_seconds);

/* The CPU profile length in whole seconds the settings give (seconds, or
 * interval - 1 s). */
int64_t pcol_pprof_scrape_cpu_seconds(const struct pcol_pprof_scrape_settings *s);

/* ---- the scraper ---------------------------------------------------------------- */

struct pcol_pprof_scraper;

/* Prepares scraping for the receiver `inst` (no I/O, no timers): parses the
 * targets, loads the TLS files when a target is https, makes the HTTP
 * client. *out is NULL when there are no targets. 0 or a PCOL_E* code
 * (logged). `max_decompressed` bounds a profile after gunzip. */
int pcol_pprof_scraper_create(struct pcol_instance *inst,
                              const struct pcol_pprof_scrape_settings *s, size_t max_decompressed,
                              struct pcol_pprof_scraper **out);

/* Starts the timers: each target x profile is scraped once per interval,
 * the first time after a random delay of up to half the interval (5 s at
 * most). */
void pcol_pprof_scraper_run(struct pcol_pprof_scraper *sc);

/* Stops: closes the timers, cancels the requests in flight (closing the
 * HTTP client), waits for decodes on the thread pool (their profiles are
 * still submitted), then calls done(data) once, possibly before returning. */
void pcol_pprof_scraper_stop(struct pcol_pprof_scraper *sc, void (*done)(void *data), void *data);

/* Frees a scraper that was stopped, or never run. NULL is ignored. */
void pcol_pprof_scraper_free(struct pcol_pprof_scraper *sc);

#endif
