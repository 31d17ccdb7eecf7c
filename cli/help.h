/* help.h: pmvm's help texts: the usage, each command's options from one table, and the exit statuses. */
#ifndef PMVM_HELP_H
#define PMVM_HELP_H

#include <stdio.h>

/* The commands an option belongs to, as bits. */
enum {
    HELP_RUN = 1u << 0,
    HELP_CPUID = 1u << 1,
    HELP_EXPLAIN = 1u << 2,
    HELP_MODEL = 1u << 3,
    HELP_DIFF = 1u << 4,
    HELP_ALL = (1u << 5) - 1,
};

/* pmvm --help: the usage lines, every option under its group, the exit
 * statuses and the examples. */
void help_print(FILE *f);

/* COMMAND --help: (usage), the command's own text, then the options of
 * (command), grouped as pmvm --help groups them. Returns 0. */
int help_command(const char *usage, unsigned command);

#endif
