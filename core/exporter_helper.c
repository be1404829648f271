/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exporter_helper.c: everything between a pipeline and an exporter's send():
 * a bounded queue, a limit on concurrent sends, encoding (on the thread pool
 * for large batches), retries with exponential backoff and jitter, and a
 * drain with a deadline at shutdown. Exporters stay a pure encode() plus one
 * async send() attempt.
 *
 * Ownership: the helper owns every queued struct pcol_export and the batch
 * reference it holds until the batch is encoded; the exporter borrows an
 * export from send() until it calls pcol_export_done(). The queue is a plain
 * in-memory FIFO behind enqueue/pop, so a disk-backed store can replace it
 * without touching exporters.
 */
#include "pipeline.h"

#include "log.h"

#include <math.h>
#include <stdlib.h>

/* Batches at least this big are encoded on the thread pool. */
#define ENCODE_OFFLOAD_BYTES (256 * 1024)

enum export_state {
    EXP_QUEUED,
    EXP_ENCODING,
    EXP_SENDING,
    EXP_BACKOFF,
};

struct pcol_export {
    struct pcol__exporter_helper *h;
    struct pcol_export *next; /* queue link, then the active list */
    struct pcol_batch *batch; /* until encoded */
    struct pcol_buf payload;
    uint64_t profiles, samples;
    uint64_t first_attempt_ms;
    uint32_t attempts;
    enum export_state state;
    int encode_rc;
    bool timer_open;
    uv_timer_t timer; /* retry backoff */
};

struct pcol__exporter_helper {
    struct pcol_instance *inst;
    const struct pcol_export_settings *cfg;
    struct pcol_export *head, **tail; /* waiting to start */
    struct pcol_export *active;       /* started, not finished */
    size_t pending;   /* queued + in flight */
    size_t in_flight; /* started, not finished */
    size_t capacity;
    size_t consumers;
    bool draining, dropping;
    bool pumping; /* a send that completes at once re-enters pump(): loop instead */
    pcol_stop_cb drain_done;
    uv_timer_t deadline;
    bool deadline_open;
    bool destroy_pending;
    uint32_t open_handles;
};

static void pump(struct pcol__exporter_helper *h);
static void attempt(struct pcol_export *exp);

static void set_queue_gauge(struct pcol__exporter_helper *h)
{
    *h->inst->m_queue_size = (int64_t)h->pending;
}

struct pcol__exporter_helper *pcol__exporter_helper_create(struct pcol_instance *inst)
{
    struct pcol__exporter_helper *h = pcol_xcalloc(1, sizeof(*h));

    h->inst = inst;
    h->cfg = (const struct pcol_export_settings *)((const char *)inst->ctx +
                                                    inst->def->settings_offset);
    h->tail = &h->head;
    h->consumers = h->cfg->sending_queue.num_consumers ? h->cfg->sending_queue.num_consumers : 1;
    /* With the queue off, only what the consumers are sending is held. */
    h->capacity = h->cfg->sending_queue.enabled ? h->cfg->sending_queue.queue_size : h->consumers;
    *inst->m_queue_capacity = (int64_t)h->capacity;
    return h;
}

static void maybe_free(struct pcol__exporter_helper *h)
{
    if (h->destroy_pending && h->open_handles == 0) {
        free(h);
    }
}

static void export_closed(uv_handle_t *handle)
{
    struct pcol_export *exp = PCOL_CONTAINER_OF(handle, struct pcol_export, timer);
    struct pcol__exporter_helper *h = exp->h;

    free(exp);
    h->open_handles--;
    maybe_free(h);
}

/* Ends an export for good: counts it, frees it, starts the next one. */
static void finish(struct pcol_export *exp, bool delivered)
{
    struct pcol__exporter_helper *h = exp->h;
    struct pcol_instance *inst = h->inst;
    struct pcol_export **pp;

    for (pp = &h->active; *pp; pp = &(*pp)->next) {
        if (*pp == exp) {
            *pp = exp->next;
            break;
        }
    }
    if (delivered) {
        *inst->m_items += exp->profiles;
        *inst->m_samples += exp->samples;
    } else {
        *inst->m_failed += exp->profiles;
    }
    pcol_batch_release(exp->batch);
    pcol_buf_free(&exp->payload);
    h->pending--;
    h->in_flight--;
    set_queue_gauge(h);
    if (exp->timer_open) {
        uv_close((uv_handle_t *)&exp->timer, export_closed);
    } else {
        free(exp);
    }
    pump(h);
    if (h->draining && h->pending == 0 && h->drain_done) {
        pcol_stop_cb done = h->drain_done;
        h->drain_done = NULL;
        if (h->deadline_open) {
            uv_timer_stop(&h->deadline);
        }
        done(inst);
    }
}

static void give_up(struct pcol_export *exp, const char *why)
{
    struct pcol_instance *inst = exp->h->inst;

    /* Logged once per exporter; the counter says how often. */
    if (*inst->m_failed == 0) {
        pcol_log(inst, PCOL_LOG_ERROR,
                 "dropped a batch of %llu profiles: %s; further drops are only counted",
                 (unsigned long long)exp->profiles, why);
    }
    finish(exp, false);
}

void pcol__exporter_helper_enqueue(struct pcol__exporter_helper *h, struct pcol_batch *b)
{
    struct pcol_instance *inst = h->inst;
    struct pcol_export *exp;

    if (h->pending >= h->capacity || h->draining) {
        uint64_t n = pcol_batch_profile_count(b);
        if (*inst->m_enqueue_failed == 0) {
            pcol_log(inst, PCOL_LOG_WARN, "%s: dropped a batch of %llu profiles; further drops "
                     "are only counted", h->draining ? "stopping" : "sending queue is full",
                     (unsigned long long)n);
        }
        *inst->m_enqueue_failed += n;
        pcol_batch_release(b);
        return;
    }
    exp = pcol_xcalloc(1, sizeof(*exp));
    exp->h = h;
    exp->batch = b;
    exp->profiles = pcol_batch_profile_count(b);
    exp->samples = pcol_batch_sample_count(b);
    *h->tail = exp;
    h->tail = &exp->next;
    h->pending++;
    set_queue_gauge(h);
    pump(h);
}

static void encode_work(void *data)
{
    struct pcol_export *exp = data;
    struct pcol_instance *inst = exp->h->inst;

    exp->encode_rc = inst->def->encode(inst, exp->batch, &exp->payload);
}

static void encoded(struct pcol_export *exp)
{
    /* The payload is all we need now: free the batch (and its budget). */
    pcol_batch_release(exp->batch);
    exp->batch = NULL;
    if (exp->encode_rc != 0) {
        give_up(exp, "could not encode it");
        return;
    }
    attempt(exp);
}

static void encode_done(void *data, int status)
{
    struct pcol_export *exp = data;

    if (status != 0) {
        exp->encode_rc = PCOL_EIO;
    }
    encoded(exp);
}

static void start(struct pcol_export *exp)
{
    struct pcol__exporter_helper *h = exp->h;

    h->in_flight++;
    exp->next = h->active;
    h->active = exp;
    exp->first_attempt_ms = uv_now(h->inst->loop);
    exp->state = EXP_ENCODING;
    if (pcol_batch_bytes(exp->batch) >= ENCODE_OFFLOAD_BYTES &&
        pcol_work(h->inst, encode_work, encode_done, exp) == 0) {
        return;
    }
    encode_work(exp);
    encoded(exp);
}

static void pump(struct pcol__exporter_helper *h)
{
    if (h->pumping) {
        return;
    }
    h->pumping = true;
    while (h->head && h->in_flight < h->consumers && !h->dropping) {
        struct pcol_export *exp = h->head;
        h->head = exp->next;
        if (!h->head) {
            h->tail = &h->head;
        }
        exp->next = NULL;
        start(exp);
    }
    h->pumping = false;
}

static void attempt(struct pcol_export *exp)
{
    struct pcol_instance *inst = exp->h->inst;

    exp->attempts++;
    exp->state = EXP_SENDING;
    if (inst->def->send(inst, exp) != 0) {
        pcol_export_done(exp, PCOL_EXPORT_RETRYABLE, 0, "the exporter could not start sending");
    }
}

static void backoff_fired(uv_timer_t *t)
{
    struct pcol_export *exp = PCOL_CONTAINER_OF(t, struct pcol_export, timer);

    if (exp->h->dropping) {
        give_up(exp, "shutdown deadline passed while waiting to retry");
        return;
    }
    attempt(exp);
}

/* Exponential backoff with jitter: initial * multiplier^(n-1), capped, then
 * spread by +-randomization_factor so many sidecars do not retry together. */
static uint64_t backoff_ms(const struct pcol_export_settings *cfg, uint32_t attempts)
{
    double ms = (double)cfg->retry_on_failure.initial_interval / 1e6;
    double max = (double)cfg->retry_on_failure.max_interval / 1e6;
    double f = cfg->retry_on_failure.randomization_factor;
    uint32_t i;

    for (i = 1; i < attempts && ms < max; i++) {
        ms *= cfg->retry_on_failure.multiplier;
    }
    if (ms > max) {
        ms = max;
    }
    ms *= 1.0 - f + 2.0 * f * ((double)rand() / RAND_MAX);
    return ms < 1 ? 1 : (uint64_t)ms;
}

const struct pcol_buf *pcol_export_payload(const struct pcol_export *exp)
{
    return &exp->payload;
}

uint64_t pcol_export_timeout_ms(const struct pcol_export *exp)
{
    return (uint64_t)exp->h->cfg->timeout / 1000000;
}

void pcol_export_done(struct pcol_export *exp, enum pcol_export_result result,
                      uint64_t retry_after_ms, const char *detail)
{
    struct pcol__exporter_helper *h = exp->h;
    const struct pcol_export_settings *cfg = h->cfg;
    uint64_t now = uv_now(h->inst->loop), wait;

    if (result == PCOL_EXPORT_OK) {
        finish(exp, true);
        return;
    }
    if (result == PCOL_EXPORT_PERMANENT) {
        give_up(exp, detail ? detail : "permanent error");
        return;
    }
    if (!cfg->retry_on_failure.enabled || h->dropping) {
        give_up(exp, detail ? detail : "retryable error, retries off");
        return;
    }
    wait = backoff_ms(cfg, exp->attempts);
    if (retry_after_ms > wait) {
        wait = retry_after_ms;
    }
    if (cfg->retry_on_failure.max_elapsed_time &&
        (now + wait - exp->first_attempt_ms) * 1000000ull >
            (uint64_t)cfg->retry_on_failure.max_elapsed_time) {
        give_up(exp, detail ? detail : "retries exhausted");
        return;
    }
    pcol_log(h->inst, PCOL_LOG_DEBUG, "attempt %u failed (%s); retrying in %llu ms",
             exp->attempts, detail ? detail : "retryable", (unsigned long long)wait);
    if (!exp->timer_open) {
        uv_timer_init(h->inst->loop, &exp->timer);
        exp->timer_open = true;
        h->open_handles++;
    }
    exp->state = EXP_BACKOFF;
    uv_timer_start(&exp->timer, backoff_fired, wait, 0);
}

size_t pcol__exporter_helper_pending(const struct pcol__exporter_helper *h)
{
    return h->pending;
}

/* Past the deadline: drop what waits, cut retries short; sends already on
 * the wire are left to finish (the exporter reports them). */
static void deadline_fired(uv_timer_t *t)
{
    struct pcol__exporter_helper *h = PCOL_CONTAINER_OF(t, struct pcol__exporter_helper, deadline);
    struct pcol_export *exp;

    h->dropping = true;
    if (h->pending) {
        pcol_log(h->inst, PCOL_LOG_WARN, "shutdown deadline passed: dropping %zu batches",
                 h->pending);
    }
    while ((exp = h->head) != NULL) {
        h->head = exp->next;
        exp->next = NULL;
        h->in_flight++; /* finish() accounts for it as started */
        finish(exp, false);
    }
    h->tail = &h->head;
    /* finish() edits the active list, so restart the walk after each. */
    for (exp = h->active; exp;) {
        if (exp->state == EXP_BACKOFF) {
            uv_timer_stop(&exp->timer);
            give_up(exp, "shutdown deadline passed while waiting to retry");
            exp = h->active;
        } else {
            exp = exp->next;
        }
    }
}

static void deadline_closed(uv_handle_t *handle)
{
    struct pcol__exporter_helper *h =
        PCOL_CONTAINER_OF((uv_timer_t *)handle, struct pcol__exporter_helper, deadline);

    h->open_handles--;
    maybe_free(h);
}

void pcol__exporter_helper_drain(struct pcol__exporter_helper *h, uint64_t deadline_ms,
                                 pcol_stop_cb done)
{
    h->draining = true;
    if (h->pending == 0) {
        done(h->inst);
        return;
    }
    h->drain_done = done;
    if (!h->deadline_open) {
        uv_timer_init(h->inst->loop, &h->deadline);
        h->deadline_open = true;
        h->open_handles++;
    }
    uv_timer_start(&h->deadline, deadline_fired, deadline_ms, 0);
}

void pcol__exporter_helper_destroy(struct pcol__exporter_helper *h)
{
    if (!h) {
        return;
    }
    h->destroy_pending = true;
    if (h->deadline_open) {
        uv_close((uv_handle_t *)&h->deadline, deadline_closed);
        h->deadline_open = false;
    }
    maybe_free(h);
}

/* ---- option rows shared by every exporter ------------------------------------ */

#define Q(field) offsetof(struct pcol_export_settings, sending_queue.field) - \
                     offsetof(struct pcol_export_settings, sending_queue)
#define R(field) offsetof(struct pcol_export_settings, retry_on_failure.field) - \
                     offsetof(struct pcol_export_settings, retry_on_failure)

const struct pcol_option pcol__export_queue_options[] = {
    {"enabled", PCOL_OPT_BOOL, Q(enabled), "true", NULL, NULL, NULL, 0, NULL, 0,
     "Queue batches in memory before sending (off: only what is being sent is held)."},
    {"num_consumers", PCOL_OPT_UINT, Q(num_consumers), "10", "1", "1000", NULL, 0, NULL, 0,
     "Batches sent at the same time."},
    {"queue_size", PCOL_OPT_UINT, Q(queue_size), "1000", "1", NULL, NULL, 0, NULL, 0,
     "Batches the queue holds; more are dropped and counted."},
    {0},
};

const struct pcol_option pcol__export_retry_options[] = {
    {"enabled", PCOL_OPT_BOOL, R(enabled), "true", NULL, NULL, NULL, 0, NULL, 0,
     "Retry batches that failed with a retryable error."},
    {"initial_interval", PCOL_OPT_DURATION, R(initial_interval), "5s", "1ms", NULL, NULL, 0,
     NULL, 0, "Wait before the first retry."},
    {"max_interval", PCOL_OPT_DURATION, R(max_interval), "30s", "1ms", NULL, NULL, 0, NULL, 0,
     "Longest wait between retries."},
    {"max_elapsed_time", PCOL_OPT_DURATION, R(max_elapsed_time), "300s", "0", NULL, NULL, 0,
     NULL, 0, "Give up on a batch after this long (0: never)."},
    {"multiplier", PCOL_OPT_DOUBLE, R(multiplier), "1.5", "1", "100", NULL, 0, NULL, 0,
     "Growth of the wait after each failure."},
    {"randomization_factor", PCOL_OPT_DOUBLE, R(randomization_factor), "0.5", "0", "1", NULL, 0,
     NULL, 0, "Jitter: each wait is spread by this fraction either way."},
    {0},
};
