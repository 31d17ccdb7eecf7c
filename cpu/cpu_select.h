/* cpu_select.h: --cpu, --policy and --set: which PMU model the guest gets. */
#ifndef PMVM_CPU_SELECT_H
#define PMVM_CPU_SELECT_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "pmu/pmu.h"

#define CPU_SELECT_DEFAULT_CPU "sapphire-rapids"
#define CPU_SELECT_DEFAULT_POLICY "native"
#define CPU_SELECT_MAX_SETS 64

/*
 * The options a subcommand collects before resolving a model: --cpu NAME
 * (configs/NAME.ini) or --cpu FILE.ini, --policy NAME, and repeated
 * --set section.KEY=VALUE overrides (pmu.* or cpu.*), applied in order.
 */
struct cpu_select {
    const char *cpu;
    bool cpu_given;        /* --cpu was on the command line */
    const char *dump;      /* --cpu-dump FILE */
    const char *core_type; /* --core-type core|atom */
    const char *policy;
    const char *sets[CPU_SELECT_MAX_SETS];
    size_t nsets;
};

/* getopt_long codes and entries for the options; put
 * CPU_SELECT_LONG_OPTIONS in a subcommand's struct option table. */
enum {
    CPU_SELECT_OPT_CPU = 0x100,
    CPU_SELECT_OPT_POLICY,
    CPU_SELECT_OPT_SET,
    CPU_SELECT_OPT_DUMP,
    CPU_SELECT_OPT_CORE_TYPE,
};
#define CPU_SELECT_LONG_OPTIONS                                   \
    {"cpu", required_argument, NULL, CPU_SELECT_OPT_CPU},         \
    {"policy", required_argument, NULL, CPU_SELECT_OPT_POLICY},   \
    {"set", required_argument, NULL, CPU_SELECT_OPT_SET},         \
    {"cpu-dump", required_argument, NULL, CPU_SELECT_OPT_DUMP},   \
    {"core-type", required_argument, NULL, CPU_SELECT_OPT_CORE_TYPE}

/* Defaults: sapphire-rapids, native, no overrides. */
void cpu_select_init(struct cpu_select *s);

/* Takes getopt_long's (opt, optarg) if it is one of these options and
 * returns true; false for any other option. Exits 64 on a malformed --set
 * or too many of them. */
bool cpu_select_option(struct cpu_select *s, int opt, const char *arg);

/*
 * The CPU's own model before any policy: from --cpu-dump FILE, --cpu host
 * (the CPU pmvm runs on; host:core, host:atom), or a model file or name
 * as cpu_select_resolve() finds it, with the overrides. *inferred (may be
 * NULL) gets the keys not read from the CPU, as pmu_model_from_cpuid().
 * Exits with one line on any error, as cpu_select_resolve().
 */
void cpu_select_model(const struct cpu_select *s, struct pmu_model *m,
                      uint64_t *inferred);

/*
 * Finds the model (--cpu FILE.ini, or NAME as cpu/model_find.h says; a
 * hybrid CPU's core type after a colon: NAME:core, NAME:atom), follows
 * aliases, loads it with the overrides, validates it and applies the
 * policy. host may be NULL. On any error prints ONE line and exits: 64
 * (EX_USAGE) for a bad option, 65 (EX_DATAERR) for a bad model.
 */
void cpu_select_resolve(const struct cpu_select *s, struct pmu_model *host,
                        struct pmu_model *guest);

#endif
