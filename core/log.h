/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h: profcol's own log: one line per event on stderr, as text
 * (`2026-11-21T05:10:00.123Z warn  [receiver pprof/edge] message`) or JSON
 * (`{"ts":"...","level":"warn","component":"receiver pprof/edge","msg":"..."}`).
 * Components log through pcol_log() (component.h), which adds their id.
 * The level and encoding are process-wide settings owned by the service.
 */
#ifndef PCOL_LOG_H
#define PCOL_LOG_H

#include "config.h"

#include <stdarg.h>

void pcol_log_setup(enum pcol_log_level level, enum pcol_log_encoding encoding);
bool pcol_log_enabled(enum pcol_log_level level);
/* `who` names the source ("service", "receiver pprof/edge"); may be NULL. */
void pcol_logf(enum pcol_log_level level, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pcol_logv(enum pcol_log_level level, const char *who, const char *fmt, va_list ap);
/* "debug", "info", "warn", "error" -> level; -1 when unknown. */
int pcol_log_level_parse(const char *name);

#endif
