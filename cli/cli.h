/* cli.h: pmvm's command line: the commands main.c dispatches to. */
#ifndef PMVM_CLI_H
#define PMVM_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* Set by the Makefile (VERSION). */
#ifndef PMVM_VERSION
#define PMVM_VERSION "unknown"
#endif

/* Subcommands; argv[0] is the subcommand's name. Each returns a status. */
int cmd_run(int argc, char **argv);
int cmd_cpuid(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* One line per command of the table: its name and what it does. */
void cli_commands(FILE *f);

#endif
