/* SPDX-License-Identifier: Apache-2.0 */
/* log.c: text and JSON log lines on stderr. */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static enum pcol_log_level log_level = PCOL_LOG_INFO;
static enum pcol_log_encoding log_encoding = PCOL_LOG_CONSOLE;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void pcol_log_setup(enum pcol_log_level level, enum pcol_log_encoding encoding)
{
    log_level = level;
    log_encoding = encoding;
}

bool pcol_log_enabled(enum pcol_log_level level)
{
    return level >= log_level;
}

int pcol_log_level_parse(const char *name)
{
    size_t i;

    for (i = 0; i < PCOL_ARRAY_SIZE(level_names); i++) {
        if (!strcmp(name, level_names[i])) {
            return (int)i;
        }
    }
    return -1;
}

static void json_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c);
        } else {
            fputc(c, f);
        }
    }
}

void pcol_logv(enum pcol_log_level level, const char *who, const char *fmt, va_list ap)
{
    char msg[1024], ts[64];
    struct timespec now;
    struct tm tm;

    if (!pcol_log_enabled(level)) {
        return;
    }
    vsnprintf(msg, sizeof(msg), fmt, ap);
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(now.tv_nsec / 1000000) % 1000);
    /* One fprintf per line keeps lines whole when threads log too. */
    flockfile(stderr);
    if (log_encoding == PCOL_LOG_JSON) {
        fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\"", ts, level_names[level]);
        if (who) {
            fputs(",\"component\":\"", stderr);
            json_escape(stderr, who);
            fputc('"', stderr);
        }
        fputs(",\"msg\":\"", stderr);
        json_escape(stderr, msg);
        fputs("\"}\n", stderr);
    } else if (who) {
        fprintf(stderr, "%s %-5s [%s] %s\n", ts, level_names[level], who, msg);
    } else {
        fprintf(stderr, "%s %-5s %s\n", ts, level_names[level], msg);
    }
    funlockfile(stderr);
}

void pcol_logf(enum pcol_log_level level, const char *who, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    pcol_logv(level, who, fmt, ap);
    va_end(ap);
}
