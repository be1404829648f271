/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proc_harness.h: one way for the processor tests to drive a processor the
 * way the service does: options from YAML text through the option engine,
 * validate, init, start, then batches through a real pipeline whose next
 * stage records what comes out (whether the processor passed a batch on or
 * emitted it later), a real libuv loop for timers, and stop/destroy.
 */
#ifndef PCOL_PROC_HARNESS_H
#define PCOL_PROC_HARNESS_H

#include "testutil.h"

#include "component.h"

#define PH_MAX_OUT 256

struct ph;

/* Creates and starts processor `def` from `yaml` (its config entry's body,
 * e.g. "mode: drop\nkeep: ['^runtime\\.']"; "" for defaults). Fails the
 * test when the config is refused; `memory_limit` bounds the pipeline's
 * budget (0: unlimited). */
struct ph *ph_create(const struct pcol_component_def *def, const char *yaml);
struct ph *ph_create_limited(const struct pcol_component_def *def, const char *yaml,
                             uint64_t memory_limit);

/* Applies `yaml` and runs validate only; returns the number of errors and
 * leaves every message in `*d` (caller frees it) for ASSERT_ERROR. */
size_t ph_config_errors(const struct pcol_component_def *def, const char *yaml,
                        struct pcol_diag *d);

/* Runs batch `b` (taken) through the processor. */
void ph_process(struct ph *h, struct pcol_batch *b);

/* Batches that came out so far, oldest first; ph_take() hands over the
 * oldest (NULL when none), ph_count() says how many are waiting. */
struct pcol_batch *ph_take(struct ph *h);
size_t ph_count(const struct ph *h);

/* Runs the loop for `ms` milliseconds (timers fire). */
void ph_run_for(struct ph *h, uint64_t ms);

/* Graceful stop (held data is flushed out), then destroy; outputs not yet
 * taken are released. */
void ph_stop(struct ph *h);
void ph_destroy(struct ph *h);

/* The processor's context (its options as parsed). */
void *ph_ctx(struct ph *h);

/* The processor's drop counter for `reason` ("batch" for whole batches it
 * returned PCOL_DROP or PCOL_ERROR for). */
uint64_t ph_dropped(const struct ph *h, const char *reason);

/* Bytes the pipeline's memory budget counts right now. */
uint64_t ph_budget_bytes(const struct ph *h);

/* Corpus helpers: a batch decoded from a corpus pprof or OTLP file. */
struct pcol_batch *ph_corpus_batch(const char *name);

#endif
