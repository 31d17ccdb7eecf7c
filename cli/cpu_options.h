/* cpu_options.h: --cpu, --cpu-dump, --core-type, --policy and --set, the options every command takes to pick the guest's model. */
#ifndef PMVM_CPU_OPTIONS_H
#define PMVM_CPU_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>

#include "cpu/cpu_select.h"

/* getopt_long codes and entries for the options; put CPU_LONG_OPTIONS in
 * a command's struct option table. */
enum {
    CPU_OPT_CPU = 0x100,
    CPU_OPT_POLICY,
    CPU_OPT_SET,
    CPU_OPT_DUMP,
    CPU_OPT_CORE_TYPE,
};
#define CPU_LONG_OPTIONS                                   \
    {"cpu", required_argument, NULL, CPU_OPT_CPU},         \
    {"policy", required_argument, NULL, CPU_OPT_POLICY},   \
    {"set", required_argument, NULL, CPU_OPT_SET},         \
    {"cpu-dump", required_argument, NULL, CPU_OPT_DUMP},   \
    {"core-type", required_argument, NULL, CPU_OPT_CORE_TYPE}

/* Takes getopt_long's (opt, optarg) into (s) if it is one of these options
 * and returns true; false for any other option. Exits 64 on a policy or
 * core type that is not one, a malformed --set, or too many of them. */
bool cli_cpu_option(struct cpu_select *s, int opt, const char *arg);

#endif
