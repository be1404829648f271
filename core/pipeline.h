/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline.h: the core's side of components: instances, pipelines, the
 * exporter helper, and how a batch travels
 *
 *   receiver --pcol_submit--> pipeline(s) --process--> processors
 *            --fan-out--> exporter helper queue --encode/send--> exporter
 *
 * Fan-out follows the Collector's rule: consumers that only read share one
 * batch by reference (marked READONLY); every mutating consumer but one gets
 * a private clone; a batch is never shared between a mutating and a read-only
 * consumer.
 *
 * Memory budget: a batch is charged to a pipeline when it enters it, and the
 * charge is released when the batch dies (an arena cleanup), wherever that
 * happens (dropped, exported, held by a processor). Over budget, pcol_submit
 * refuses with PCOL_EBUSY and receivers answer 503 / UNAVAILABLE.
 *
 * Ownership: the service (service.c) owns instances and pipelines; this
 * module only links and drives them. Everything runs on the loop thread.
 * Only core files include this header.
 */
#ifndef PCOL_PIPELINE_H
#define PCOL_PIPELINE_H

#include "component.h"

struct pcol_service;
struct pcol_pipeline;
struct pcol__exporter_helper;

/* What sending_queue.queue_size and the batch sizes count. */
enum pcol_export_sizer {
    PCOL_SIZER_REQUESTS, /* batches as they arrived from the pipeline */
    PCOL_SIZER_ITEMS,    /* profile samples */
    PCOL_SIZER_BYTES,    /* bytes the batches hold in memory (their arenas) */
};

/* Settings of the exporter helper, embedded in every exporter's context at
 * `def->settings_offset` and filled by the PCOL_EXPORT_OPTIONS rows. */
struct pcol_export_settings {
    int64_t timeout; /* ns per attempt, 0 = none */
    struct {
        bool enabled;
        uint64_t num_consumers;
        uint64_t queue_size; /* in units of `sizer`, batches being sent included */
        int sizer;           /* enum pcol_export_sizer */
        bool batch_present;  /* `batch:` was written: batching is on unless enabled is false */
        struct {
            bool enabled;
            int sizer;             /* enum pcol_export_sizer, for min_size and max_size */
            uint64_t min_size;     /* send once this much is queued... */
            uint64_t max_size;     /* ...never merging past this (0 = no cap) */
            int64_t flush_timeout; /* ns: ...or once the oldest batch waited this long */
        } batch;
    } sending_queue;
    struct {
        bool enabled;
        int64_t initial_interval;
        int64_t max_interval;
        int64_t max_elapsed_time; /* 0 = retry forever */
        double multiplier;
        double randomization_factor;
    } retry_on_failure;
};

struct pcol_instance {
    const struct pcol_component_def *def;
    enum pcol_component_kind kind;
    const char *id;           /* "pprof/edge" (instance arena) */
    const char *who;          /* "receiver pprof/edge", the log prefix */
    void *ctx;                /* def->ctx_size bytes, filled by the option engine */
    struct pcol_arena *arena; /* ctx and every option value */
    struct pcol_service *svc;
    uv_loop_t *loop;
    struct pcol_instance *next; /* service's list, in start order */

    /* receivers: the pipelines they feed */
    struct pcol_pipeline **pipes;
    uint32_t n_pipes;
    /* processors: one instance per pipeline position */
    struct pcol_pipeline *pipe;
    uint32_t pos;
    /* exporters */
    struct pcol__exporter_helper *helper;

    bool initialised, started, stopping, stopped, finished, failed;
    uint32_t pending_work; /* pcol_work jobs not yet done */

    /* metrics, by component kind */
    uint64_t *m_items;          /* accepted (receiver) / sent (exporter) profiles */
    uint64_t *m_samples;        /* accepted / sent samples */
    uint64_t *m_refused_busy;   /* receiver: refused, over budget */
    uint64_t *m_failed;         /* exporter: send_failed profiles */
    uint64_t *m_enqueue_failed; /* exporter: queue full */
    uint64_t *m_dropped;        /* processor: dropped profiles */
    int64_t *m_queue_size;      /* exporter: batches queued or in flight */
    int64_t *m_queue_capacity;  /* with sizer requests; other sizers: 0, and the
                                   exporter helper adds gauges in their unit */
};

struct pcol_pipeline {
    const char *id;
    uint32_t index;
    struct pcol_instance **procs;
    uint32_t n_procs;
    struct pcol_instance **exps;
    uint32_t n_exps;
    bool mutates;                /* some processor mutates: entering needs a private batch */
    struct pcol__budget *budget; /* shared with the batches charged to it */
};

/* Creates pipeline `p`'s memory budget (`limit` bytes, 0 = unlimited) and
 * its metrics; pcol__pipeline_fini() drops the pipeline's reference (batches
 * still charged keep the budget alive until they die). */
void pcol__pipeline_init(struct pcol_pipeline *p, uint64_t limit);
void pcol__pipeline_fini(struct pcol_pipeline *p);

/* Creates the instance's metrics (after id and kind are set). */
void pcol__instance_metrics(struct pcol_instance *inst);

/* Runs batch `b` (taken) through pipeline `p` from processor position `pos`
 * on, then fans it out to the exporters. */
void pcol__pipeline_run(struct pcol_pipeline *p, struct pcol_batch *b, uint32_t pos);

/* Exporter helper (exporter_helper.c). */
struct pcol__exporter_helper *pcol__exporter_helper_create(struct pcol_instance *exp);
/* Queues a read-only reference to `b` (taken). Counts and drops when full. */
void pcol__exporter_helper_enqueue(struct pcol__exporter_helper *h, struct pcol_batch *b);
/* Drains: finishes queued and in-flight exports, or drops what is left when
 * `deadline_ms` passes; then done(inst). */
void pcol__exporter_helper_drain(struct pcol__exporter_helper *h, uint64_t deadline_ms,
                                 pcol_stop_cb done);
void pcol__exporter_helper_destroy(struct pcol__exporter_helper *h);
/* Batches queued or in flight (a merged export counts its sources). */
size_t pcol__exporter_helper_pending(const struct pcol__exporter_helper *h);

/* ---- the store behind sending_queue ------------------------------------------
 *
 * The exporter helper keeps waiting batches in a store reached only through
 * these five operations, so a disk-backed store (a write-ahead log that
 * survives restarts: serialise the batch on push, rebuild it on pop) can
 * replace the in-memory FIFO without touching the helper's policy or any
 * exporter. Capacity, batching and retries stay in the helper. Everything
 * runs on the loop thread.
 */
struct pcol__queued {
    struct pcol_batch *batch;
    uint64_t profiles, samples, bytes; /* counted once, at enqueue */
    uint64_t enqueued_ms;              /* uv_now() at enqueue, for flush_timeout */
};

struct pcol__export_queue;

struct pcol__export_queue_ops {
    /* Appends `*item`; takes item->batch even on failure. Returns 0, or
     * PCOL_EIO when the store could not keep it (the helper counts a drop). */
    int (*push)(struct pcol__export_queue *q, const struct pcol__queued *item);
    /* The oldest item, borrowed until the next push or pop; NULL when empty. */
    const struct pcol__queued *(*peek)(struct pcol__export_queue *q);
    /* Moves the oldest item into `*out`, giving out->batch to the caller;
     * false when empty. */
    bool (*pop)(struct pcol__export_queue *q, struct pcol__queued *out);
    /* What the store holds, counted in `sizer` units. */
    uint64_t (*size)(const struct pcol__export_queue *q, enum pcol_export_sizer sizer);
    /* Releases every batch left, then the store. */
    void (*destroy)(struct pcol__export_queue *q);
};

struct pcol__export_queue {
    const struct pcol__export_queue_ops *ops;
};

/* The in-memory FIFO (exporter_helper.c). */
struct pcol__export_queue *pcol__export_queue_memory(void);

/* Option rows for struct pcol_export_settings; an exporter table includes
 * them with PCOL_EXPORT_OPTIONS(ctx type, member, default num_consumers). */
extern const struct pcol_option pcol__export_queue_options[];
extern const struct pcol_option pcol__export_retry_options[];
#define PCOL_EXPORT_OPTIONS(type, member)                                                          \
    {"timeout",                                                                                    \
     PCOL_OPT_DURATION,                                                                            \
     offsetof(type, member.timeout),                                                               \
     "5s",                                                                                         \
     "0",                                                                                          \
     NULL,                                                                                         \
     NULL,                                                                                         \
     0,                                                                                            \
     NULL,                                                                                         \
     0,                                                                                            \
     "Time limit of one export attempt, after which it counts as failed and is "                   \
     "retried (0: none)."},                                                                        \
        {"sending_queue",                                                                          \
         PCOL_OPT_SECTION,                                                                         \
         offsetof(type, member.sending_queue),                                                     \
         NULL,                                                                                     \
         NULL,                                                                                     \
         NULL,                                                                                     \
         NULL,                                                                                     \
         0,                                                                                        \
         pcol__export_queue_options,                                                               \
         0,                                                                                        \
         "The queue in front of the exporter."},                                                   \
    {                                                                                              \
        "retry_on_failure", PCOL_OPT_SECTION, offsetof(type, member.retry_on_failure), NULL, NULL, \
            NULL, NULL, 0, pcol__export_retry_options, 0,                                          \
            "Retries of failed exports, with exponential backoff and jitter."                      \
    }

#endif
