/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c: the `profcol` entry point and its table of subcommands. With no
 * command (or only options), profcol runs the pipeline: `profcol [run]
 * [--config F]...`. See cli.h for the conventions every command follows.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static int cmd_help(int argc, char **argv);

#define RUN_OPTIONS                                                                                \
    "  --config F        a config file; repeat to merge several (later wins). Without\n"           \
    "                    any, the built-in default config (configs/default.yaml)\n"

static const struct pcol_command commands[] = {
    {"run", pcol_cmd_run, "run the pipeline (the default command)",
     "profcol [run] [--config F]... [--ready-file PATH] [--log-level L] [--log-format F]\n"
     "\n"
     "Runs the pipelines of the config until SIGTERM or SIGINT (graceful stop:\n"
     "receivers stop, processors flush, exporters drain within\n"
     "service.shutdown_timeout). SIGHUP reloads the config; a bad new config is\n"
     "reported and the old one keeps running.\n"
     "\n" RUN_OPTIONS "  --ready-file PATH written once every listener is bound, one line each:\n"
     "                    KIND ID PROTOCOL ADDRESS (use port 0 to let the system pick)\n"
     "  --log-level L     debug, info, warn or error (overrides the config)\n"
     "  --log-format F    text or json (overrides the config)\n"
     "\n"
     "Exit status: 0 ok, 1 could not start, 2 bad config or (finite runs) bad input.\n"},
    {"validate", pcol_cmd_validate, "check a config without running it",
     "profcol validate [--config F]...\n"
     "\n"
     "Loads, merges and checks the config, every component's options and the\n"
     "pipeline wiring, and prints every problem as FILE:LINE:COL: MESSAGE.\n"
     "\n" RUN_OPTIONS "\n"
     "Exit status: 0 valid, 2 invalid.\n"},
    {"components", pcol_cmd_components, "list the receivers, processors and exporters",
     "profcol components\n"},
    {"describe", pcol_cmd_describe, "show the options of a component type",
     "profcol describe TYPE\n"
     "\n"
     "Prints every option of TYPE (e.g. pprof, file): name, type, default, range or\n"
     "allowed values, and what it does. TYPE may be KIND/TYPE (receiver/file) when\n"
     "several kinds share a name.\n"},
    {"convert", pcol_cmd_convert, "convert a profile between pprof, OTLP protobuf and OTLP/JSON",
     "profcol convert [--from FMT] [--to FMT] [--no-compress] [--max-size N]\n"
     "                [--keep-original] [--use-original] IN OUT\n"
     "\n"
     "Converts one profile. IN and OUT may be '-' for stdin and stdout.\n"
     "\n"
     "  --from FMT      input format: pprof, otlp, otlp-json (default: detected from\n"
     "                  the content, then from IN's extension)\n"
     "  --to FMT        output format (default: from OUT's extension: .pb.gz .pprof\n"
     "                  .prof .pb -> pprof; .binpb .otlp -> otlp; .json -> otlp-json)\n"
     "  --no-compress   write raw protobuf; otherwise pprof is gzipped, and OTLP is\n"
     "                  gzipped or zstd-compressed when OUT ends in .gz or .zst\n"
     "  --max-size N    refuse input that decompresses to more than N bytes\n"
     "                  (default 256MiB; suffixes K/KiB, M/MiB, G/GiB, KB, MB, GB)\n"
     "  --keep-original  pprof input: also carry its exact bytes in the OTLP output\n"
     "                  (original_payload_format \"pprof\")\n"
     "  --use-original  pprof output: write a carried original_payload byte for byte\n"
     "\n"
     "Input may be gzip or zstd compressed. OTLP profiles that cannot share one pprof\n"
     "go to extra files named after OUT: out.pb.gz, out.2.pb.gz, out.3.pb.gz, ...\n"
     "Exit status: 0 ok, 1 output I/O error, 2 bad input or usage.\n"},
    {"help", cmd_help, "show this help, or the usage of COMMAND", "profcol help [COMMAND]\n"},
};

const struct pcol_command *pcol_cli_find(const char *name)
{
    size_t i;

    for (i = 0; i < PCOL_ARRAY_SIZE(commands); i++) {
        if (!strcmp(commands[i].name, name)) {
            return &commands[i];
        }
    }
    return NULL;
}

static void print_main_usage(FILE *f)
{
    size_t i;

    fprintf(f,
            "usage: profcol [COMMAND] [ARGS...]\n"
            "       profcol --version | --help\n\n"
            "profcol %s: a pipeline for profiles (pprof, OTLP).\n\nCommands:\n",
            PCOL_VERSION);
    for (i = 0; i < PCOL_ARRAY_SIZE(commands); i++) {
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(f, "\nRun 'profcol help COMMAND' for a command's options.\n");
}

static int cmd_help(int argc, char **argv)
{
    const struct pcol_command *c;

    if (argc < 2) {
        print_main_usage(stdout);
        return 0;
    }
    c = pcol_cli_find(argv[1]);
    if (!c) {
        return pcol_cli_usage_error(pcol_cli_find("help"), "unknown command '%s'", argv[1]);
    }
    printf("usage: %s", c->usage);
    return 0;
}

int main(int argc, char **argv)
{
    const struct pcol_command *c;

    if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
        printf("profcol %s\n", PCOL_VERSION);
        return 0;
    }
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        print_main_usage(stdout);
        return 0;
    }
    /* No command, or options first: `run` is the default command. */
    if (argc < 2 || argv[1][0] == '-') {
        return pcol_cmd_run(argc, argv);
    }
    c = pcol_cli_find(argv[1]);
    if (!c) {
        fprintf(stderr, "profcol: unknown command '%s' (run 'profcol help')\n", argv[1]);
        return PCOL_CLI_BAD;
    }
    return c->fn(argc - 1, argv + 1);
}
