/* SPDX-License-Identifier: Apache-2.0 */
/* cli.c: helpers every subcommand shares: option matching, sizes, usage errors. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pcol_cli_usage_error(const struct pcol_command *c, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "profcol: %s: ", c->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (usage: %.*s)\n", (int)strcspn(c->usage, "\n"), c->usage);
    return PCOL_CLI_BAD;
}

int pcol_cli_parse_size(const char *s, size_t *out)
{
    static const struct {
        const char *suffix;
        uint64_t mul;
    } units[] = {
        {"", 1},         {"B", 1},          {"K", 1u << 10},    {"KiB", 1u << 10},
        {"KB", 1000},    {"M", 1u << 20},   {"MiB", 1u << 20},  {"MB", 1000000},
        {"G", 1u << 30}, {"GiB", 1u << 30}, {"GB", 1000000000},
    };
    unsigned long long v;
    char *end;
    size_t i;

    if (!isdigit((unsigned char)*s)) {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno) {
        return -1;
    }
    for (i = 0; i < PCOL_ARRAY_SIZE(units); i++) {
        if (!strcmp(end, units[i].suffix)) {
            if (v == 0 || v > SIZE_MAX / units[i].mul) {
                return -1;
            }
            *out = (size_t)(v * units[i].mul);
            return 0;
        }
    }
    return -1;
}

bool pcol_cli_take_opt(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);

    if (strncmp(argv[*i], name, n)) {
        return false;
    }
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return true;
    }
    if (argv[*i][n] != '\0') {
        return false;
    }
    *value = *i + 1 < argc ? argv[++*i] : NULL;
    return true;
}
