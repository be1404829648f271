/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scrape.c: the pprof receiver's scraper (see scrape.h). One job per
 * target x profile, each with its own repeating libuv timer: a tick sends
 * one GET through the shared HTTP client (core/http_client.h), the gzip
 * pprof that comes back is decoded (on the thread pool when it is over
 * 64 KiB), labelled with the target's resource attributes and submitted.
 * A job never overlaps itself: a tick that finds its previous scrape still
 * running is skipped and counted. Jobs share nothing but the client, so a
 * slow or dead target delays only its own jobs (the client opens one
 * HTTP/1.1 connection per request in flight and backs off from an origin
 * whose connects fail, failing its requests at once meanwhile); connections
 * are kept alive between scrapes of a target.
 *
 * Metrics (labels receiver, target = the url as configured, profile):
 *   profcol_scrape_profiles_total      pprof profiles fetched and submitted
 *   profcol_scrape_failures_total      scrapes that failed, with a reason:
 *       connection, timeout, http_<status>, too_large, undecodable,
 *       memory_limit (the pipeline's budget was full)
 *   profcol_scrape_skipped_total       ticks skipped (previous still running)
 * The first failure per target x reason is logged; later ones are counted.
 *
 * Ownership: the scraper owns its targets, jobs (and their timers), the
 * HTTP client and a TLS context reference. A decode job owns its batch
 * until the batch goes to pcol_submit(), and a copy of the response body
 * when it runs on the thread pool (inline it borrows the response's).
 * Everything runs on the loop thread except decode_work().
 */
#include "scrape.h"

#include "codec_pprof.h"
#include "http_client.h"
#include "ingest.h"
#include "telemetry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INLINE_MAX (64 * 1024) /* bodies up to this decode on the loop thread */
#define JITTER_MAX_MS 5000
#define MAX_LOGGED 16 /* reasons remembered per target for "log once" */
#define ATTR_URL "profcol.scrape.url"
#define ATTR_PROFILE "pyroscope.profile.name" /* scope attribute: cpu, allocs, block, ... */

struct target {
    const struct pcol_pprof_scrape_target *cfg;
    struct pcol_pprof_scrape_url url;
    struct pcol_pyro_name attrs; /* labels + profcol.scrape.url (tags borrowed) */
    char logged[MAX_LOGGED][24]; /* failure reasons already logged */
};

struct job {
    struct pcol_pprof_scraper *sc;
    struct target *t;
    const char *profile; /* borrowed from the settings */
    char *path;          /* request path with its query */
    char *labels;        /* metric labels: receiver, target, profile */
    uint64_t timeout_ms;
    uv_timer_t timer;
    bool busy;     /* a scrape is in flight or decoding */
    uint64_t from; /* wall clock when the scrape started */
    uint64_t *m_profiles, *m_skipped;
};

struct pcol_pprof_scraper {
    struct pcol_instance *inst;
    const struct pcol_pprof_scrape_settings *s;
    size_t max_decompressed;
    struct target *targets;
    size_t n_targets;
    struct job *jobs;
    size_t n_jobs;
    struct pcol_tls_ctx *tls;
    struct pcol_http_client *client;
    char who[96];
    uint64_t rng;
    bool running, stopping, client_closing;
    unsigned open_timers;
    unsigned decoding; /* decode jobs on the thread pool */
    void (*stop_done)(void *data);
    void *stop_data;
};

/* One response being decoded. */
struct decode {
    struct job *job;
    const uint8_t *data; /* the response body, or `copy` */
    uint8_t *copy;       /* for the thread pool: the body outlives the response */
    size_t len;
    size_t max_decompressed;
    struct pcol_batch *b;
    uint64_t until;
    int rc;
    struct pcol_err err;
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t next_random(struct pcol_pprof_scraper *sc)
{
    /* xorshift64*: spreading first scrapes needs no more */
    sc->rng ^= sc->rng >> 12;
    sc->rng ^= sc->rng << 25;
    sc->rng ^= sc->rng >> 27;
    return sc->rng * 0x2545f4914f6cdd1dull;
}

/* ---- failures ---------------------------------------------------------------------- */

/* True the first time `reason` is seen for target t. */
static bool first_time(struct target *t, const char *reason)
{
    size_t i;

    for (i = 0; i < MAX_LOGGED && t->logged[i][0]; i++) {
        if (!strcmp(t->logged[i], reason)) {
            return false;
        }
    }
    if (i == MAX_LOGGED) {
        return false; /* a target failing in this many ways is logged enough */
    }
    snprintf(t->logged[i], sizeof(t->logged[i]), "%s", reason);
    return true;
}

static void failed(struct job *job, const char *reason, const char *detail)
{
    struct pcol_buf labels = {0};

    pcol_buf_printf(&labels, "%s,reason=\"%s\"", job->labels, reason);
    pcol_buf_putc(&labels, '\0');
    ++*pcol_metric_counter("profcol_scrape_failures_total",
                           "Scrapes of a target's profile that failed, by reason.",
                           (const char *)labels.p);
    pcol_buf_free(&labels);
    if (first_time(job->t, reason)) {
        pcol_log(job->sc->inst, PCOL_LOG_WARN,
                 "scraping %s (%s: GET %s) failed (%s): %s; further %s failures of this "
                 "target are only counted",
                 job->t->cfg->url, job->profile, job->path, reason, detail, reason);
    }
}

/* ---- decoding and submitting --------------------------------------------------------- */

/* Every scope of a scraped profile says which profile it was (cpu, allocs,
 * mutex, block, ...): Go's block and mutex profiles have the same sample
 * types, and a backend's profile name (Pyroscope's __name__) needs to know. */
static void tag_profile_name(struct pcol_batch *b, const char *profile)
{
    int32_t key = pcol_dict_cstr(b, ATTR_PROFILE), value = pcol_dict_cstr(b, profile);
    uint32_t i, j;

    for (i = 0; i < b->n_resources; i++) {
        for (j = 0; j < b->resources[i].n_scopes; j++) {
            struct pcol_scope *sc = &b->resources[i].scopes[j];
            /* A new array: the decoder's may be shared. */
            struct pcol_kv *kv = pcol_arena_alloc(b->arena, (sc->n_attrs + 1) * sizeof(*kv));
            if (sc->n_attrs) {
                memcpy(kv, sc->attrs, sc->n_attrs * sizeof(*kv));
            }
            memset(&kv[sc->n_attrs], 0, sizeof(*kv));
            kv[sc->n_attrs].key = key;
            kv[sc->n_attrs].value.kind = PCOL_VAL_STR;
            kv[sc->n_attrs].value.u.str = value;
            sc->attrs = kv;
            sc->n_attrs++;
        }
    }
}

static void decode_work(void *data)
{
    struct decode *dj = data;
    struct target *t = dj->job->t;
    struct pcol_pprof_decode_opts o = {0};

    o.max_decompressed = dj->max_decompressed;
    dj->rc = pcol_pprof_decode(dj->b, dj->data, dj->len, &o, &dj->err);
    if (dj->rc == 0) {
        pcol_pyro_label(dj->b, 0, t->cfg->service_name, strlen(t->cfg->service_name), &t->attrs,
                        NULL);
        pcol_pyro_fill_times(dj->b, 0, dj->job->from, dj->until);
        tag_profile_name(dj->b, dj->job->profile);
    }
    free(dj->copy);
    dj->copy = NULL;
    dj->data = NULL;
}

static void maybe_stopped(struct pcol_pprof_scraper *sc);

static void decode_done(void *data, int status)
{
    struct decode *dj = data;
    struct job *job = dj->job;
    struct pcol_pprof_scraper *sc = job->sc;
    int rc;

    if (status != 0 && dj->rc == 0) {
        pcol_err_set(&dj->err, PCOL_EIO, "the decode was cancelled");
        dj->rc = PCOL_EIO;
    }
    if (dj->rc != 0) {
        failed(job, dj->rc == PCOL_ERANGE ? "too_large" : "undecodable", dj->err.msg);
    } else {
        dj->b->received_unix_nano = now_ns();
        rc = pcol_submit(sc->inst, dj->b);
        dj->b = NULL;
        if (rc == PCOL_EBUSY) {
            failed(job, "memory_limit", "the pipeline is over its memory limit");
        } else if (rc == PCOL_ERANGE) {
            failed(job, "too_large", "the profile is larger than the pipeline's memory_limit");
        } else {
            ++*job->m_profiles;
        }
    }
    pcol_batch_release(dj->b);
    free(dj->copy);
    free(dj);
    job->busy = false;
}

static void decode_async_done(void *data, int status)
{
    struct pcol_pprof_scraper *sc = ((struct decode *)data)->job->sc;

    decode_done(data, status);
    sc->decoding--;
    maybe_stopped(sc);
}

static void decode_start(struct job *job, const uint8_t *body, size_t len)
{
    struct pcol_pprof_scraper *sc = job->sc;
    struct decode *dj = pcol_xcalloc(1, sizeof(*dj));

    dj->job = job;
    dj->data = body;
    dj->len = len;
    dj->max_decompressed = sc->max_decompressed;
    dj->until = now_ns();
    dj->b = pcol_batch_create(0);
    job->busy = true;
    if (len > INLINE_MAX) {
        dj->copy = pcol_xmalloc(len);
        memcpy(dj->copy, body, len);
        dj->data = dj->copy;
        if (pcol_work(sc->inst, decode_work, decode_async_done, dj) == 0) {
            sc->decoding++;
            return;
        }
    }
    decode_work(dj);
    decode_done(dj, 0);
}

/* ---- requests ------------------------------------------------------------------------ */

/* The first line of an error body (Go's pprof handlers answer text/plain). */
static void body_line(const struct pcol_http_client_resp *resp, char *out, size_t size)
{
    size_t n = 0;

    while (n < resp->body_len && n + 1 < size && resp->body[n] != '\n' && resp->body[n] != '\r') {
        out[n] = resp->body[n] >= ' ' && resp->body[n] < 0x7f ? (char)resp->body[n] : '?';
        n++;
    }
    out[n] = '\0';
}

static void on_response(void *data, const struct pcol_http_client_resp *resp)
{
    struct job *job = data;
    struct pcol_pprof_scraper *sc = job->sc;
    char reason[24], detail[200], line[120];

    job->busy = false;
    if (resp->error) {
        if (!sc->stopping) {
            failed(job,
                   resp->timed_out              ? "timeout"
                   : resp->error == PCOL_ERANGE ? "too_large"
                                                : "connection",
                   resp->error_msg ? resp->error_msg : "no response");
        }
        return;
    }
    if (resp->status != 200) {
        body_line(resp, line, sizeof(line));
        snprintf(reason, sizeof(reason), "http_%d", resp->status);
        snprintf(detail, sizeof(detail), "HTTP %d%s%s%s", resp->status, *line ? " \"" : "", line,
                 *line ? "\"" : "");
        failed(job, reason, detail);
        return;
    }
    /* Refused before decoding: counted as the receiver's refusals too, as
     * pcol_submit() counts those it refuses itself. */
    if (!pcol_receiver_fits(sc->inst, resp->body_len)) {
        pcol_receiver_refused(sc->inst, "too_large", 0, NULL);
        failed(job, "too_large", "the profile is larger than the pipeline's memory_limit");
        return;
    }
    if (!pcol_receiver_has_room(sc->inst, resp->body_len)) {
        pcol_receiver_refused(sc->inst, "memory_limit", 0, NULL);
        failed(job, "memory_limit", "the pipeline is over its memory limit");
        return;
    }
    decode_start(job, resp->body, resp->body_len);
}

static void on_tick(uv_timer_t *timer)
{
    struct job *job = PCOL_CONTAINER_OF(timer, struct job, timer);
    struct pcol_pprof_scraper *sc = job->sc;
    struct pcol_http_client_req req = {0};
    struct pcol_err err = {{0}};

    if (job->busy) {
        ++*job->m_skipped;
        return;
    }
    req.host = job->t->url.host;
    req.port = job->t->url.port;
    req.tls = job->t->url.tls ? sc->tls : NULL;
    req.method = "GET";
    req.path = job->path;
    req.timeout_ms = job->timeout_ms;
    job->from = now_ns();
    if (pcol_http_client_request(sc->client, &req, on_response, job, &err) != 0) {
        failed(job, "connection", err.msg);
        return;
    }
    job->busy = true;
}

/* ---- lifecycle ------------------------------------------------------------------------ */

static void target_init(struct target *t, const struct pcol_pprof_scrape_target *cfg)
{
    size_t i;

    t->cfg = cfg;
    t->attrs.n_tags = cfg->labels.n + 1;
    t->attrs.tags = pcol_xcalloc(t->attrs.n_tags, sizeof(*t->attrs.tags));
    t->attrs.tags[0].key = ATTR_URL;
    t->attrs.tags[0].value = cfg->url;
    for (i = 0; i < cfg->labels.n; i++) {
        t->attrs.tags[i + 1].key = cfg->labels.v[i].key;
        t->attrs.tags[i + 1].value = cfg->labels.v[i].value;
    }
}

static void job_init(struct pcol_pprof_scraper *sc, struct job *job, struct target *t,
                     const char *profile)
{
    const struct pcol_pprof_scrape_settings *s = sc->s;
    const char *path = pcol_pprof_scrape_default_path(profile);
    int64_t cpu = strcmp(profile, "cpu") ? 0 : pcol_pprof_scrape_cpu_seconds(s);
    struct pcol_buf labels = {0};
    size_t i;

    for (i = 0; i < s->paths.n; i++) {
        if (!strcmp(s->paths.v[i].key, profile)) {
            path = s->paths.v[i].value;
        }
    }
    job->sc = sc;
    job->t = t;
    job->profile = profile;
    job->path = pcol_pprof_scrape_request_path(t->url.prefix, path, cpu);
    job->timeout_ms = (uint64_t)(s->timeout / 1000000) + (uint64_t)cpu * 1000;
    pcol_buf_printf(&labels, "receiver=\"%s\",target=\"%s\",profile=\"%s\"", pcol_id(sc->inst),
                    t->cfg->url, profile);
    pcol_buf_putc(&labels, '\0');
    job->labels = (char *)labels.p; /* the job owns the text */
    job->m_profiles = pcol_metric_counter(
        "profcol_scrape_profiles_total",
        "Profiles (pprof responses) scraped from a target and submitted.", job->labels);
    job->m_skipped = pcol_metric_counter(
        "profcol_scrape_skipped_total",
        "Scrapes skipped because the previous one of the same target and profile was still "
        "running.",
        job->labels);
}

int pcol_pprof_scraper_create(struct pcol_instance *inst,
                              const struct pcol_pprof_scrape_settings *s, size_t max_decompressed,
                              struct pcol_pprof_scraper **out)
{
    static const char *const alpn[] = {"http/1.1", NULL};
    const struct pcol_pprof_scrape_target *cfg = s->targets.v;
    struct pcol_http_client_opts opts = {0};
    struct pcol_pprof_scraper *sc;
    struct pcol_err err = {{0}};
    bool any_tls = false;
    size_t i, j;

    *out = NULL;
    if (s->targets.n == 0 || s->profiles.n == 0) {
        return 0;
    }
    sc = pcol_xcalloc(1, sizeof(*sc));
    sc->inst = inst;
    sc->s = s;
    sc->max_decompressed = max_decompressed;
    sc->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)sc ^ 0x9e3779b97f4a7c15ull;
    sc->targets = pcol_xcalloc(s->targets.n, sizeof(*sc->targets));
    for (i = 0; i < s->targets.n; i++, sc->n_targets++) {
        if (pcol_pprof_scrape_url_parse(cfg[i].url, &sc->targets[i].url, &err) != 0) {
            pcol_log(inst, PCOL_LOG_ERROR, "scrape.targets: %s", err.msg);
            pcol_pprof_scraper_free(sc);
            return PCOL_EINVAL;
        }
        target_init(&sc->targets[i], &cfg[i]);
        any_tls |= sc->targets[i].url.tls;
    }
    if (any_tls) {
        struct pcol_tls_settings ts = s->tls;

        ts.insecure = false; /* an https:// target means TLS */
        sc->tls = pcol_tls_ctx_create_client(&ts, alpn, &err);
        if (!sc->tls) {
            pcol_log(inst, PCOL_LOG_ERROR, "scrape.tls: %s", err.msg);
            pcol_pprof_scraper_free(sc);
            return PCOL_EINVAL;
        }
    }
    snprintf(sc->who, sizeof(sc->who), "receiver %s scrape", pcol_id(inst));
    opts.connect_timeout_ms = (uint64_t)(s->timeout / 1000000);
    opts.max_response_bytes = (size_t)s->max_response_size;
    opts.log_who = sc->who;
    sc->client = pcol_http_client_create(pcol_loop(inst), &opts);
    sc->jobs = pcol_xcalloc(s->targets.n * s->profiles.n, sizeof(*sc->jobs));
    for (i = 0; i < sc->n_targets; i++) {
        for (j = 0; j < s->profiles.n; j++) {
            job_init(sc, &sc->jobs[sc->n_jobs++], &sc->targets[i], s->profiles.v[j]);
        }
    }
    *out = sc;
    return 0;
}

void pcol_pprof_scraper_run(struct pcol_pprof_scraper *sc)
{
    uint64_t interval_ms = (uint64_t)(sc->s->interval / 1000000);
    uint64_t spread = interval_ms / 2 < JITTER_MAX_MS ? interval_ms / 2 : JITTER_MAX_MS;
    size_t i;

    for (i = 0; i < sc->n_jobs; i++) {
        uv_timer_init(pcol_loop(sc->inst), &sc->jobs[i].timer);
        uv_timer_start(&sc->jobs[i].timer, on_tick, next_random(sc) % (spread + 1), interval_ms);
        sc->open_timers++;
    }
    sc->running = true;
    pcol_log(sc->inst, PCOL_LOG_INFO, "scraping %zu target%s x %zu profile%s every %llu ms",
             sc->n_targets, sc->n_targets == 1 ? "" : "s", sc->s->profiles.n,
             sc->s->profiles.n == 1 ? "" : "s", (unsigned long long)interval_ms);
}

static void maybe_stopped(struct pcol_pprof_scraper *sc)
{
    void (*done)(void *) = sc->stop_done;

    if (!sc->stopping || !done || sc->open_timers || sc->client_closing || sc->decoding) {
        return;
    }
    sc->stop_done = NULL;
    done(sc->stop_data);
}

static void timer_closed(uv_handle_t *h)
{
    struct job *job = PCOL_CONTAINER_OF((uv_timer_t *)h, struct job, timer);
    struct pcol_pprof_scraper *sc = job->sc;

    sc->open_timers--;
    maybe_stopped(sc);
}

static void client_closed(void *data)
{
    struct pcol_pprof_scraper *sc = data;

    sc->client_closing = false;
    maybe_stopped(sc);
}

void pcol_pprof_scraper_stop(struct pcol_pprof_scraper *sc, void (*done)(void *data), void *data)
{
    struct pcol_http_client *c = sc->client;
    size_t i;

    sc->stopping = true;
    sc->stop_done = done;
    sc->stop_data = data;
    sc->open_timers++; /* holds maybe_stopped() off until everything is under way */
    if (sc->running) {
        for (i = 0; i < sc->n_jobs; i++) {
            uv_close((uv_handle_t *)&sc->jobs[i].timer, timer_closed);
        }
        sc->running = false;
    }
    if (c) {
        sc->client = NULL;
        sc->client_closing = true;
        pcol_http_client_close(c, client_closed, sc);
    }
    sc->open_timers--;
    maybe_stopped(sc);
}

void pcol_pprof_scraper_free(struct pcol_pprof_scraper *sc)
{
    size_t i;

    if (!sc) {
        return;
    }
    if (sc->client) {
        pcol_http_client_close(sc->client, NULL, NULL); /* nothing open: frees it now */
    }
    for (i = 0; i < sc->n_jobs; i++) {
        free(sc->jobs[i].path);
        free(sc->jobs[i].labels);
    }
    for (i = 0; i < sc->n_targets; i++) {
        pcol_pprof_scrape_url_free(&sc->targets[i].url);
        free(sc->targets[i].attrs.tags);
    }
    free(sc->jobs);
    free(sc->targets);
    pcol_tls_ctx_unref(sc->tls);
    free(sc);
}
