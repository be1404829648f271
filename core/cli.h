/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h: the `profcol` command line. main.c holds the table of subcommands
 * (name, function, summary, usage); each subcommand lives in its own
 * cmd_*.c, owns its arguments and returns the exit status: 0 ok, 1 I/O or
 * runtime error, 2 bad input, bad config or bad usage. Errors are one line
 * on stderr, "profcol: COMMAND: [FILE: ]REASON".
 */
#ifndef PCOL_CLI_H
#define PCOL_CLI_H

#include "common.h"

enum { PCOL_CLI_IO = 1, PCOL_CLI_BAD = 2 };

struct pcol_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
    const char *usage; /* first line: the synopsis used in one-line usage errors */
};

const struct pcol_command *pcol_cli_find(const char *name);

/* Prints "profcol: NAME: REASON (usage: SYNOPSIS)" and returns PCOL_CLI_BAD. */
int pcol_cli_usage_error(const struct pcol_command *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Matches "--name VALUE" and "--name=VALUE"; advances *i past the value,
 * which is NULL when missing. */
bool pcol_cli_take_opt(int argc, char **argv, int *i, const char *name, const char **value);
/* "123", "64MiB", "1G", "10KB" -> bytes; -1 if malformed, zero or too big. */
int pcol_cli_parse_size(const char *s, size_t *out);

int pcol_cmd_convert(int argc, char **argv);
int pcol_cmd_run(int argc, char **argv);
int pcol_cmd_validate(int argc, char **argv);
int pcol_cmd_components(int argc, char **argv);
int pcol_cmd_describe(int argc, char **argv);

#endif
