/* SPDX-License-Identifier: Apache-2.0 */
/*
 * component.h: the plugin API. Everything a receiver, processor or exporter
 * may use is declared here or in profile.h; components include nothing else
 * from core/ (an external plugin built against these two headers keeps
 * working as long as PCOL_ABI_VERSION matches).
 *
 * Components may also use option.h (their option tables), pattern.h
 * (regular expressions), attrs.h (attribute lookup) and config.h (the
 * diagnostics their validate hook reports to); nothing else.
 *
 * A component is one `const struct pcol_component_def`. The core creates one
 * *instance* per config entry (`type` or `type/name`): it allocates the
 * component's context struct (`ctx_size` bytes, zeroed), fills it from the
 * YAML through the option table, and calls the lifecycle hooks in order:
 * validate -> init -> start -> ... -> stop -> destroy.
 *
 * Ownership:
 *  - The core owns the instance and the context; the option engine owns the
 *    strings it writes into the context (they live until destroy).
 *  - pcol_submit() and pcol_emit() always take the caller's batch reference,
 *    even when they fail.
 *  - A processor's process() borrows the batch unless it returns PCOL_HOLD,
 *    which moves ownership to the processor until it calls pcol_emit() or
 *    pcol_batch_release().
 *  - An exporter's encode() borrows the batch read-only.
 *  - Everything runs on the loop thread unless a function says otherwise.
 *  - An async hook that returns an error never calls its callback; one that
 *    returns 0 calls it exactly once.
 */
#ifndef PCOL_COMPONENT_H
#define PCOL_COMPONENT_H

#include "attrs.h"
#include "buf.h"
#include "config.h"
#include "option.h"
#include "profile.h"

#include <uv.h>

/* Bumped whenever this header or profile.h changes incompatibly. */
#define PCOL_ABI_VERSION 1

struct pcol_instance; /* opaque, owned by the core */

/* What a processor did with a batch (Envoy's filter contract). */
enum pcol_status {
    PCOL_CONTINUE = 0, /* pass it on (possibly changed in place) */
    PCOL_DROP,         /* drop it; the core releases it and counts the drop */
    PCOL_HOLD,         /* the processor keeps it and will pcol_emit() it later */
    PCOL_ERROR,        /* refuse it; the core releases it and counts the refusal */
};

/* How one export attempt ended. */
enum pcol_export_result {
    PCOL_EXPORT_OK = 0,
    PCOL_EXPORT_RETRYABLE, /* try again later (the exporter helper decides when) */
    PCOL_EXPORT_PERMANENT, /* the data can never be delivered: drop and count */
};

struct pcol_export; /* one queued export, owned by the exporter helper */
typedef void (*pcol_stop_cb)(struct pcol_instance *inst);

struct pcol_component_def {
    uint32_t abi_version;              /* PCOL_ABI_VERSION */
    uint32_t kind;                     /* enum pcol_component_kind */
    const char *name;                  /* the YAML type, e.g. "pprof" */
    const char *summary;               /* one line for `profcol components` */
    const struct pcol_option *options; /* option table (option.h) */
    size_t ctx_size;                   /* size of the context the options fill */

    /* Cross-field checks after the options are parsed; report problems with
     * pcol_diag_add(diag, node, ...) (config.h). May be NULL. */
    void (*validate)(const void *ctx, const struct pcol_cfg_node *node, struct pcol_diag *diag);
    /* Builds internal state; no I/O. Returns 0 or a PCOL_E* code. */
    int (*init)(struct pcol_instance *inst);
    /* Binds listeners, starts timers. Receivers start last, exporters first. */
    int (*start)(struct pcol_instance *inst);
    /* Graceful stop: stop accepting / flush held batches / drain, then call
     * done(inst) once. NULL: stopping is immediate. */
    void (*stop)(struct pcol_instance *inst, pcol_stop_cb done);
    /* Frees what init/start made; every handle is closed by now. May be NULL. */
    void (*destroy)(struct pcol_instance *inst);

    /* Processors only. */
    enum pcol_status (*process)(struct pcol_instance *inst, struct pcol_batch *b);
    bool mutates; /* process() changes batches: fan-out gives it a private clone */

    /* Exporters only: a pure encoding of a batch (borrowed) into `out` (may
     * be NULL when there is nothing to encode), and one async attempt to
     * deliver encoded bytes. send() reports with
     * pcol_export_done(). Retries, queueing and timeouts belong to the core's
     * exporter helper, never to the exporter. */
    int (*encode)(struct pcol_instance *inst, const struct pcol_batch *b, struct pcol_buf *out);
    int (*send)(struct pcol_instance *inst, struct pcol_export *exp);
    /* Exporters only: offsetof(ctx type, the struct pcol_export_settings
     * member its option table fills with PCOL_EXPORT_OPTIONS). */
    size_t settings_offset;
};

/* ---- instance accessors -------------------------------------------------- */

void *pcol_ctx(struct pcol_instance *inst);
const char *pcol_id(const struct pcol_instance *inst); /* "pprof/edge" */
uv_loop_t *pcol_loop(struct pcol_instance *inst);

/* Logs one line prefixed with the instance id. */
void pcol_log(struct pcol_instance *inst, enum pcol_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- receivers ------------------------------------------------------------- */

/* Whether the pipelines fed by this receiver have room for about `bytes`
 * more (the memory budget). Receivers ask before reading or decoding a body
 * and answer 503 + Retry-After when not. */
bool pcol_receiver_has_room(struct pcol_instance *rcv, size_t bytes);

/* Whether a batch of `bytes` could ever fit: false when it is larger than a
 * pipeline's whole memory budget, so waiting or retrying cannot help
 * (receivers answer 413 rather than 503). */
bool pcol_receiver_fits(struct pcol_instance *rcv, size_t bytes);

/* Hands a decoded batch to every pipeline the receiver feeds. Takes `b`.
 * Returns 0 when accepted; PCOL_EBUSY when a pipeline is over its memory
 * budget now (the sender should retry later); PCOL_ERANGE when the batch is
 * larger than a pipeline's whole budget (it never fits). Both refusals are
 * counted (reasons memory_limit and too_large). */
int pcol_submit(struct pcol_instance *rcv, struct pcol_batch *b);

/* Counts profiles a receiver could not accept because the input was bad
 * (metric `..._refused_profiles_total{reason}`). With a `detail`, the first
 * refusal per reason is also logged; pass NULL when the receiver logs the
 * problem itself. */
void pcol_receiver_refused(struct pcol_instance *rcv, const char *reason, uint64_t profiles,
                           const char *detail);

/* Tells the service a listener is bound (`addr` like "127.0.0.1:4040"), for
 * the log and for `--ready-file`; `what` names it ("http", "grpc"). */
void pcol_receiver_listening(struct pcol_instance *rcv, const char *what, const char *addr);

/* A receiver with finite input (e.g. a `once` file receiver) says it is
 * done; `failed` makes the process exit non-zero. When every receiver of a
 * finite run is done, the service stops gracefully. */
void pcol_receiver_finished(struct pcol_instance *rcv, bool failed);

/* ---- processors ------------------------------------------------------------ */

/* Sends a held batch on down the pipeline (after this processor). Takes `b`.
 * A processor that replaces a batch (a compacted or rebuilt copy) returns
 * PCOL_HOLD from process(), emits the new batch and releases the old one. */
void pcol_emit(struct pcol_instance *proc, struct pcol_batch *b);

/* Counts `profiles` this processor removed from batches it passed on (or
 * whole batches it dropped on purpose), by `reason` (metric
 * profcol_processor_dropped_profiles_total{reason}); the first drop per
 * reason is logged once. A processor that returns PCOL_DROP is counted by the
 * core under reason "batch" instead. */
void pcol_processor_dropped(struct pcol_instance *proc, const char *reason, uint64_t profiles);

/* A processor holding and growing a batch of its own (an aggregation
 * window) calls this after each growth, so the bytes it holds count against
 * the pipeline's memory budget; the first call charges `b`, later ones add
 * what it grew by. The charge ends when `b` dies. */
void pcol_processor_charge(struct pcol_instance *proc, struct pcol_batch *b);

/* Whether the pipeline's budget has room for `bytes` more (a processor that
 * holds data flushes early instead of filling the budget). */
bool pcol_processor_has_room(struct pcol_instance *proc, size_t bytes);

/* ---- exporters ------------------------------------------------------------- */

/* The encoded payload of an export attempt (borrowed until done). */
const struct pcol_buf *pcol_export_payload(const struct pcol_export *exp);
/* A counter the exporter may keep across the attempts of one export (0 on
 * the first): an exporter whose payload becomes several requests records
 * how many were accepted, so a retry sends only the rest. */
uint32_t *pcol_export_progress(struct pcol_export *exp);
/* The exporter's `timeout` in milliseconds (0: none). send() must end the
 * attempt within it: network exporters give it to their client and report
 * PCOL_EXPORT_RETRYABLE when it passes. */
uint64_t pcol_export_timeout_ms(const struct pcol_export *exp);
/* Counts `profiles` of this export that the server refused in a partial
 * success (metric send_failed); the attempt itself still ends with
 * pcol_export_done(exp, PCOL_EXPORT_OK, ...): a partial success is never
 * retried. */
void pcol_export_rejected(struct pcol_export *exp, uint64_t profiles);

/* Ends an attempt started by send(). `retry_after_ms` > 0 is the server's
 * hint for RETRYABLE results: the HTTP Retry-After header, or the delay of a
 * gRPC google.rpc.RetryInfo detail; the helper waits at least that long
 * (within max_elapsed_time). `detail` is logged. */
void pcol_export_done(struct pcol_export *exp, enum pcol_export_result result,
                      uint64_t retry_after_ms, const char *detail);

/* ---- thread pool ----------------------------------------------------------- */

/* Runs work(data) on the libuv thread pool, then done(data, status) on the
 * loop thread (status UV_ECANCELED if the loop is stopping). Whatever `data`
 * points to is handed to the worker until done runs. */
int pcol_work(struct pcol_instance *inst, void (*work)(void *data),
              void (*done)(void *data, int status), void *data);

/* ---- external plugins -------------------------------------------------------- */

/* A plugin shared object exports this symbol: a NULL-terminated array of
 * definitions, each with abi_version = PCOL_ABI_VERSION. */
#define PCOL_PLUGIN_SYMBOL "pcol_plugin_components"

#endif
